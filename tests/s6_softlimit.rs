//! s6-softlimit: the limits prog sees in /proc/self/limits, compared with
//! Debian's s6-softlimit; -h, -H and -P (which Debian 2.11 lacks) on their
//! own; failures.
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

type Limits = BTreeMap<String, (String, String)>;

/// `limits(out)`: /proc/self/limits as printed by cat: name → (soft, hard).
fn limits(out: &Output) -> Limits {
    common::text(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| {
            let name = l[..26].trim().to_string();
            let mut f = l[26..].split_whitespace();
            (name, (f.next().unwrap().to_string(), f.next().unwrap().to_string()))
        })
        .collect()
}

fn run_with(program: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).args(["cat", "/proc/self/limits"]);
    common::run(&mut cmd)
}

fn ours(args: &[&str]) -> Output {
    run_with(&common::applet("s6-softlimit"), args)
}

fn ok(out: &Output) -> Limits {
    assert_eq!(common::code(out), 0, "{}", common::text(&out.stderr));
    limits(out)
}

/// The test's own limits (what prog would see without s6-softlimit).
fn own() -> Limits {
    limits(&common::run(Command::new("cat").arg("/proc/self/limits")))
}

/// `get(res)`: (soft, hard) of the test process, `None` for unlimited.
fn get(res: libc::__rlimit_resource_t) -> (Option<u64>, Option<u64>) {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: r is a valid rlimit for getrlimit to fill.
    assert_eq!(unsafe { libc::getrlimit(res, &mut r) }, 0);
    let f = |v: libc::rlim_t| (v != libc::RLIM_INFINITY).then_some(v);
    (f(r.rlim_cur), f(r.rlim_max))
}

fn show(v: Option<u64>) -> String {
    v.map_or("unlimited".to_string(), |n| n.to_string())
}

#[test]
fn same_limits_as_debian() {
    let Some(deb) = common::debian("s6-softlimit") else { return };
    let cases: &[&[&str]] = &[
        &["-a", "1000000000"],
        &["-a", "="],
        &["-c", "0"],
        &["-c", "4096"],
        &["-c", "="],
        &["-d", "500000000"],
        &["-d", "="],
        &["-f", "1048576"],
        &["-f", "="],
        &["-l", "65536"],
        &["-l", "="],
        &["-l", "999999999999"],
        &["-m", "300000000"],
        &["-m", "="],
        &["-o", "64"],
        &["-o", "="],
        &["-o", "99999999"],
        &["-p", "1000"],
        &["-p", "="],
        &["-r", "100000000"],
        &["-r", "="],
        &["-s", "1000000"],
        &["-s", "="],
        &["-t", "3600"],
        &["-t", "="],
        &["-o100", "-c", "7", "-t1"],
        &["-o", "100", "-o", "50"],
        &["--", "-o"],
    ];
    for args in cases {
        let (mut a, mut b) = (ours(args), run_with(&deb, args));
        if args == &["--", "-o"] {
            // prog is "-o": both fail to exec it the same way.
            a.stderr.clear();
            b.stderr.clear();
            assert_eq!(common::code(&a), common::code(&b));
            continue;
        }
        assert_eq!(ok(&a), ok(&b), "{args:?}");
        assert_ne!(ok(&a), Limits::new());
    }
}

#[test]
fn soft_limit_set_and_clamped() {
    let mine = own();
    let l = ok(&ours(&["-o", "50", "-c", "1000"]));
    assert_eq!(l["Max open files"], ("50".into(), mine["Max open files"].1.clone()));
    assert_eq!(l["Max core file size"].0, "1000");
    // Above the hard limit: clamped to it.
    let (_, hard) = get(libc::RLIMIT_NOFILE);
    let l = ok(&ours(&["-o", "99999999999"]));
    assert_eq!(l["Max open files"].0, show(hard));
    // `=`: the hard limit.
    let (_, hard) = get(libc::RLIMIT_CORE);
    let l = ok(&ours(&["-c", "="]));
    assert_eq!(l["Max core file size"], (show(hard), show(hard)));
    // -m: data, stack, locked memory, address space; nothing else.
    let l = ok(&ours(&["-m", "200000000"]));
    for (name, res) in [
        ("Max data size", libc::RLIMIT_DATA),
        ("Max stack size", libc::RLIMIT_STACK),
        ("Max locked memory", libc::RLIMIT_MEMLOCK),
        ("Max address space", libc::RLIMIT_AS),
    ] {
        let (_, hard) = get(res);
        let want = hard.map_or(200000000, |h| h.min(200000000));
        assert_eq!(l[name].0, want.to_string(), "{name}");
    }
    assert_eq!(l["Max resident set"], mine["Max resident set"]);
    assert_eq!(l["Max open files"], mine["Max open files"]);
}

#[test]
fn realtime_priority() {
    // Debian's 2.11 has no -P: checked on its own.
    let (_, hard) = get(libc::RLIMIT_RTPRIO);
    let l = ok(&ours(&["-P", "0"]));
    assert_eq!(l["Max realtime priority"], ("0".into(), show(hard)));
    let l = ok(&ours(&["-P", "="]));
    assert_eq!(l["Max realtime priority"], (show(hard), show(hard)));
    let l = ok(&ours(&["-h", "-P", "0"]));
    assert_eq!(l["Max realtime priority"], ("0".into(), "0".into()));
}

#[test]
fn hard_limits_in_command_line_order() {
    // -h lowers the hard limit and a soft limit above it.
    let l = ok(&ours(&["-h", "-o", "100"]));
    assert_eq!(l["Max open files"], ("100".into(), "100".into()));
    // -h leaves a soft limit below the new hard limit alone.
    let l = ok(&ours(&["-o", "40", "-h", "-o", "100"]));
    assert_eq!(l["Max open files"], ("40".into(), "100".into()));
    // Options before -h are soft; after it, hard.
    let l = ok(&ours(&["-c", "1000", "-h", "-c", "5000", "-t", "100"]));
    assert_eq!(l["Max core file size"], ("1000".into(), "5000".into()));
    let soft = get(libc::RLIMIT_CPU).0.map_or(100, |s| s.min(100));
    assert_eq!(l["Max cpu time"], (soft.to_string(), "100".into()));
    // -H sets both; a later -h switches to hard only.
    let l = ok(&ours(&["-H", "-c", "3000", "-h", "-t", "50"]));
    assert_eq!(l["Max core file size"], ("3000".into(), "3000".into()));
    assert_eq!(l["Max cpu time"].1, "50");
    // Lowering with -H -m: every memory kind, both limits.
    let v = get(libc::RLIMIT_MEMLOCK).1.map_or(4000000, |h| h.min(4000000)).to_string();
    let l = ok(&ours(&["-H", "-m", &v]));
    for name in ["Max data size", "Max stack size", "Max locked memory", "Max address space"] {
        assert_eq!(l[name], (v.clone(), v.clone()), "{name}");
    }
}

#[test]
fn raising_a_hard_limit_fails_cleanly() {
    // Root here lacks CAP_SYS_RESOURCE: raising a hard limit is EPERM.
    let (_, hard) = get(libc::RLIMIT_NOFILE);
    let Some(hard) = hard else { return };
    let above = (hard + 1).to_string();
    for args in [vec!["-H", "-o", above.as_str()], vec!["-h", "-o", "="], vec!["-h", "-o", &above]]
    {
        let out = ours(&args);
        if common::code(&out) == 0 {
            eprintln!("SKIP: this process may raise hard limits (CAP_SYS_RESOURCE)");
            return;
        }
        assert_eq!(common::code(&out), 111, "{args:?}");
        assert_eq!(
            common::text(&out.stderr),
            "s6-softlimit: fatal: unable to setrlimit: Operation not permitted\n"
        );
        assert!(out.stdout.is_empty(), "prog must not run");
    }
}

#[test]
fn bad_usage() {
    let usage = "s6-softlimit: usage: s6-softlimit [ -H | -h ] [ -a allmem ] [ -c core ] [ -d data ] [ -f fsize ] [ -l lock ] [ -m mem ] [ -o ofiles ] [ -P prio ] [ -p proc ] [ -r res ] [ -s stack ] [ -t cpusecs ] prog...\n";
    let cases: &[&[&str]] = &[
        &[],
        &["-o", "10"],
        &["-x", "true"],
        &["-o", "abc", "true"],
        &["-o", "-1", "true"],
        &["-o", "12k", "true"],
        &["-o", "", "true"],
        &["-o", "99999999999999999999999", "true"],
        &["--ofiles=3", "true"],
        &["-o"],
    ];
    for args in cases {
        let out = common::run(common::cmd("s6-softlimit").args(*args));
        assert_eq!(common::code(&out), 100, "{args:?}");
        assert_eq!(common::text(&out.stderr), usage, "{args:?}");
    }
    // Where Debian also refuses, it refuses with 100 too.
    if let Some(deb) = common::debian("s6-softlimit") {
        for args in cases {
            if args.first() == Some(&"-x") || args.first() == Some(&"--ofiles=3") {
                continue; // Debian ignores unknown options.
            }
            let out = common::run(Command::new(&deb).args(*args));
            assert_eq!(common::code(&out), 100, "Debian {args:?}");
        }
    }
    let out = common::run(common::cmd("s6-softlimit").args(["-o", "10", "/nonexistent"]));
    assert_eq!(common::code(&out), 127);
}

#[test]
fn nothing_else_changes() {
    let mut direct = Command::new("ls");
    direct.arg("/proc/self/fd");
    let want = common::fd_list(&common::run(&mut direct));
    let out = common::run(common::cmd("s6-softlimit").args(["-c", "0", "ls", "/proc/self/fd"]));
    assert_eq!(common::fd_list(&out), want);

    let mut cmd = common::cmd("s6-softlimit");
    cmd.args(["-o", "100", "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"]);
    common::sigstate(&mut cmd, &[libc::SIGPIPE], &[libc::SIGUSR2]);
    let text = common::text(&common::run(&mut cmd).stdout);
    let ign = u64::from_str_radix(&common::status_field(&text, "SigIgn"), 16).unwrap();
    let blk = u64::from_str_radix(&common::status_field(&text, "SigBlk"), 16).unwrap();
    assert_ne!(ign & (1 << (libc::SIGPIPE - 1)), 0, "SIGPIPE stays ignored");
    assert_eq!(blk, 1 << (libc::SIGUSR2 - 1));
    // And SIGPIPE default stays default.
    let mut cmd = common::cmd("s6-softlimit");
    cmd.args(["-o", "100", "grep", "-E", "^SigIgn", "/proc/self/status"]);
    common::sigstate(&mut cmd, &[], &[]);
    let text = common::text(&common::run(&mut cmd).stdout);
    let ign = u64::from_str_radix(&common::status_field(&text, "SigIgn"), 16).unwrap();
    assert_eq!(ign & (1 << (libc::SIGPIPE - 1)), 0);
}
