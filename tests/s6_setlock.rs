//! s6-setlock: POSIX record locks that exclude Debian's s6-setlock both
//! ways, shared locks, waiting, -t, -d, the descriptor prog gets, failures.
mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

fn ours() -> PathBuf {
    common::applet("s6-setlock")
}

/// A process holding a lock: `APPLET ARGS FILE sh -c 'echo locked; exec
/// cat'`, started and waited for until prog runs; killed and reaped on drop.
struct Holder {
    child: common::Reaped,
}

impl Holder {
    fn start(program: &Path, args: &[&str], file: &Path) -> Holder {
        let child = common::Reaped::spawn(
            Command::new(program)
                .args(args)
                .arg(file)
                .args(["sh", "-c", "echo locked; exec cat"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped()),
        );
        let mut h = Holder { child };
        let mut line = String::new();
        let out = h.child.stdout.take().unwrap();
        BufReader::new(out).read_line(&mut line).unwrap();
        assert_eq!(line, "locked\n", "{} {args:?} did not take the lock", program.display());
        h
    }

    /// `release()`: lets prog end (its stdin closes) and reaps it.
    fn release(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn run(program: &Path, args: &[&str], file: &Path, prog: &[&str]) -> Output {
    common::run(Command::new(program).args(args).arg(file).args(prog))
}

fn busy(file: &Path) -> String {
    format!("s6-setlock: fatal: unable to lock {}: Device or resource busy\n", file.display())
}

/// `refused(program, args, file)`: the lock is not obtained: exit 1, prog
/// does not run; returns stderr and how long it took.
fn refused(program: &Path, args: &[&str], file: &Path) -> (String, Duration) {
    let start = Instant::now();
    let out = run(program, args, file, &["echo", "ran"]);
    let took = start.elapsed();
    assert_eq!(
        common::code(&out),
        1,
        "{} {args:?}: {}",
        program.display(),
        common::text(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "prog must not run");
    (common::text(&out.stderr), took)
}

fn granted(program: &Path, args: &[&str], file: &Path) {
    let out = run(program, args, file, &["echo", "ran"]);
    assert_eq!(
        common::code(&out),
        0,
        "{} {args:?}: {}",
        program.display(),
        common::text(&out.stderr)
    );
    assert_eq!(common::text(&out.stdout), "ran\n");
}

fn check_excluded(contender: &Path, file: &Path, ours_contending: bool) {
    let (err, _) = refused(contender, &["-n"], file);
    assert_eq!(err, busy(file));
    let (err, took) = refused(contender, &["-t", "300"], file);
    assert!(took >= Duration::from_millis(280), "gave up after {took:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    if ours_contending {
        assert_eq!(
            err,
            format!("s6-setlock: fatal: unable to lock {}: Connection timed out\n", file.display())
        );
    }
    // A shared lock is refused too.
    refused(contender, &["-nr"], file);
}

#[test]
fn exclusive_lock_excludes_debian_both_ways() {
    let dir = common::Tmp::new("setlock-excl");
    let file = dir.join("lock");
    // Ours holds, ours contends.
    let h = Holder::start(&ours(), &[], &file);
    check_excluded(&ours(), &file, true);
    let Some(deb) = common::debian("s6-setlock") else { return };
    // Ours holds, Debian contends.
    check_excluded(&deb, &file, false);
    h.release();
    granted(&deb, &["-n"], &file);
    // Debian holds, ours contends.
    let h = Holder::start(&deb, &[], &file);
    check_excluded(&ours(), &file, true);
    h.release();
    granted(&ours(), &["-n"], &file);
}

#[test]
fn shared_locks_coexist() {
    let dir = common::Tmp::new("setlock-shared");
    let file = dir.join("lock");
    let h = Holder::start(&ours(), &["-r"], &file);
    granted(&ours(), &["-nr"], &file);
    let (err, _) = refused(&ours(), &["-n"], &file);
    assert_eq!(err, busy(&file));
    if let Some(deb) = common::debian("s6-setlock") {
        granted(&deb, &["-nr"], &file);
        refused(&deb, &["-n", "-w"], &file);
        h.release();
        let h = Holder::start(&deb, &["-r"], &file);
        granted(&ours(), &["-nr"], &file);
        granted(&ours(), &["-r", "-t", "100"], &file);
        refused(&ours(), &["-n"], &file);
        h.release();
    }
}

/// `waiting(file)`: whether /proc/locks shows a process blocked on `file`.
fn waiting(file: &Path) -> Option<()> {
    let ino = std::fs::metadata(file).ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let tag = format!(":{ino} ");
    locks.lines().any(|l| l.contains("->") && l.contains(&tag)).then_some(())
}

/// `takes_it_when_released(args)`: a contender started with `args` blocks,
/// then gets the lock once the holder lets go; prog then sees one thread
/// and the signal state the applet was started with.
fn takes_it_when_released(args: &[&str]) {
    let dir = common::Tmp::new(&format!("setlock-wait{}", args.len()));
    let file = dir.join("lock");
    let h = Holder::start(&ours(), &[], &file);
    let mut cmd = Command::new(ours());
    cmd.args(args)
        .arg(&file)
        .args(["grep", "-E", "^(Threads|SigIgn|SigBlk)", "/proc/self/status"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    common::sigstate(&mut cmd, &[libc::SIGPIPE], &[libc::SIGUSR1]);
    let mut contender = cmd.spawn().unwrap();
    let blocked = std::panic::catch_unwind(|| {
        common::poll(DEADLINE, "the contender to block", || waiting(&file))
    });
    if blocked.is_err() {
        let _ = contender.kill();
        let _ = contender.wait();
        panic!("{args:?}: the contender never blocked");
    }
    assert!(contender.try_wait().unwrap().is_none(), "{args:?}: gave up early");
    h.release();
    let out = contender.wait_with_output().unwrap();
    assert_eq!(common::code(&out), 0, "{args:?}: {}", common::text(&out.stderr));
    let text = common::text(&out.stdout);
    assert_eq!(common::status_field(&text, "Threads"), "1");
    let ign = u64::from_str_radix(&common::status_field(&text, "SigIgn"), 16).unwrap();
    let blk = u64::from_str_radix(&common::status_field(&text, "SigBlk"), 16).unwrap();
    assert_ne!(ign & (1 << (libc::SIGPIPE - 1)), 0, "SIGPIPE stays ignored");
    assert_eq!(blk, 1 << (libc::SIGUSR1 - 1), "mask kept");
}

#[test]
fn waits_until_released() {
    takes_it_when_released(&[]);
    takes_it_when_released(&["-N"]);
    takes_it_when_released(&["-t", "60000"]);
}

/// `fd_targets(out)`: `ls -l /proc/self/fd` as (number, target) pairs.
fn fd_targets(out: &Output) -> Vec<(String, String)> {
    common::text(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 11 && f[9] == "->").then(|| (f[8].to_string(), f[10].to_string()))
        })
        .collect()
}

#[test]
fn lock_descriptor_is_the_only_one_added() {
    let dir = common::Tmp::new("setlock-fd");
    let file = dir.join("lock");
    let ls = ["ls", "-l", "/proc/self/fd"];
    let direct = fd_targets(&common::run(Command::new("ls").args(&ls[1..])));
    let shown = |v: &[(String, String)]| {
        v.iter().filter(|(_, t)| !t.starts_with("/proc/")).cloned().collect::<Vec<_>>()
    };
    let base = shown(&direct);
    for (args, want_fd) in
        [(&[][..], None), (&["-d", "7"][..], Some("7")), (&["-r", "-d7"], Some("7"))]
    {
        let out = run(&ours(), args, &file, &ls);
        assert_eq!(common::code(&out), 0, "{args:?}: {}", common::text(&out.stderr));
        let got = shown(&fd_targets(&out));
        let added: Vec<_> = got.iter().filter(|e| !base.iter().any(|b| b.0 == e.0)).collect();
        assert_eq!(added.len(), 1, "{args:?}: {got:?} vs {base:?}");
        assert_eq!(added[0].1, file.display().to_string());
        if let Some(n) = want_fd {
            assert_eq!(added[0].0, n, "{args:?}");
        }
        assert_eq!(got.len(), base.len() + 1, "{args:?}: nothing else added or closed");
    }
    // The lock lives in prog on descriptor 7.
    let h = Holder::start(&ours(), &["-d", "7"], &file);
    refused(&ours(), &["-n"], &file);
    if let Some(deb) = common::debian("s6-setlock") {
        refused(&deb, &["-n"], &file);
    }
    h.release();
    granted(&ours(), &["-n"], &file);
}

#[test]
fn file_is_created() {
    let dir = common::Tmp::new("setlock-create");
    for (args, name) in [(&[][..], "w"), (&["-r"][..], "r")] {
        let file = dir.join(name);
        let mut cmd = Command::new(ours());
        cmd.args(args).arg(&file).arg("true");
        // SAFETY: umask is async-signal-safe.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::umask(0o022);
                Ok(())
            });
        }
        assert_eq!(common::code(&common::run(&mut cmd)), 0);
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{args:?}");
    }
}

#[test]
fn open_failures() {
    let dir = common::Tmp::new("setlock-open");
    std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o755)).unwrap();
    let missing = dir.join("nodir").join("lock");
    let deb = common::debian("s6-setlock");
    for program in std::iter::once(ours()).chain(deb.clone()) {
        let out = run(&program, &[], &missing, &["echo", "ran"]);
        assert_eq!(common::code(&out), 111);
        assert_eq!(
            common::text(&out.stderr),
            format!(
                "s6-setlock: fatal: unable to open {} for writing: No such file or directory\n",
                missing.display()
            )
        );
        assert!(out.stdout.is_empty());
    }
    // A read-only file: -r works for an unprivileged user, -w does not.
    let ro = dir.join("ro");
    std::fs::write(&ro, "").unwrap();
    std::fs::set_permissions(&ro, PermissionsExt::from_mode(0o444)).unwrap();
    for program in std::iter::once(ours()).chain(deb) {
        let as_nobody = |args: &[&str]| {
            let mut cmd = Command::new(&program);
            cmd.args(args).arg(&ro).args(["echo", "ran"]);
            common::as_user(&mut cmd, common::NOBODY.0, common::NOBODY.1);
            common::run(&mut cmd)
        };
        let out = as_nobody(&["-r"]);
        assert_eq!(common::code(&out), 0, "{}", common::text(&out.stderr));
        let out = as_nobody(&["-n"]);
        assert_eq!(common::code(&out), 111);
        assert_eq!(
            common::text(&out.stderr),
            format!(
                "s6-setlock: fatal: unable to open {} for writing: Permission denied\n",
                ro.display()
            )
        );
    }
    let file = dir.join("lock");
    let out = run(&ours(), &[], &file, &["/nonexistent/prog"]);
    assert_eq!(common::code(&out), 127);
}

#[test]
fn bad_usage() {
    let usage = "s6-setlock: usage: s6-setlock [ -r | -w ] [ -n | -N | -t timeout ] [ -d fd ] lockfile prog...\n";
    for args in [
        &[][..],
        &["file"],
        &["-x", "file", "true"],
        &["-t", "abc", "file", "true"],
        &["-t", "-5", "file", "true"],
        &["-d", "x", "file", "true"],
        &["--wait", "file", "true"],
        &["-t"],
    ] {
        let out = common::run(common::cmd("s6-setlock").args(args));
        assert_eq!(common::code(&out), 100, "{args:?}");
        assert_eq!(common::text(&out.stderr), usage, "{args:?}");
    }
}

#[test]
fn lock_on_stderr_keeps_messages_out_of_the_lock_file() {
    // With -d 2 the lock takes stderr's place; a failure must still be
    // reported on the real stderr and never written into the lock file.
    let dir = common::Tmp::new("setlock-d2");
    let file = dir.join("lock");
    let h = Holder::start(&ours(), &[], &file);
    for args in [&["-n", "-d", "2"][..], &["-r", "-n", "-d2"], &["-t", "50", "-d", "2"]] {
        let (err, _) = refused(&ours(), args, &file);
        assert!(
            err.starts_with(&format!("s6-setlock: fatal: unable to lock {}: ", file.display())),
            "{args:?}: {err:?}"
        );
        assert_eq!(std::fs::read(&file).unwrap(), b"", "{args:?}: lock file written");
    }
    h.release();
    let out = run(&ours(), &["-d", "2"], &file, &["/nonexistent/prog"]);
    assert_eq!(common::code(&out), 127);
    assert_eq!(
        common::text(&out.stderr),
        "s6-setlock: fatal: unable to exec /nonexistent/prog: No such file or directory\n"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"", "lock file written");
    // prog gets the lock on 2 and nothing else is added.
    let out = run(
        &ours(),
        &["-d", "2"],
        &file,
        &["sh", "-c", "ls /proc/self/fd >&1; readlink /proc/self/fd/2"],
    );
    assert_eq!(common::code(&out), 0);
    let direct =
        common::fd_list(&common::run(Command::new("sh").args(["-c", "ls /proc/self/fd >&1"])));
    let text = common::text(&out.stdout);
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.pop(), Some(file.display().to_string().as_str()));
    let mut seen: Vec<String> = lines.join(" ").split_whitespace().map(str::to_string).collect();
    seen.sort();
    assert_eq!(seen, direct);
}

/// `with_closed(cmd, fds)`: the command starts with descriptors `fds` closed.
fn with_closed(cmd: &mut Command, fds: &'static [i32]) {
    // SAFETY: close is async-signal-safe; runs in the child before exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(cmd, move || {
            for &fd in fds {
                libc::close(fd);
            }
            Ok(())
        });
    }
}

#[test]
fn lock_descriptor_never_takes_a_closed_standard_slot() {
    // Started with 0, 1 or 2 closed, the lock must not land there: prog's
    // output (or a "busy" message) would go into the locked file.
    let dir = common::Tmp::new("setlock-closed-std");
    let file = dir.join("lock");
    for fds in [&[0][..], &[1], &[2], &[0, 1, 2]] {
        let fds: &'static [i32] = Box::leak(fds.to_vec().into_boxed_slice());
        let mut cmd = Command::new(ours());
        cmd.arg(&file).args(["sh", "-c", "echo out; echo err >&2; exit 0"]);
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        with_closed(&mut cmd, fds);
        let st = cmd.status().unwrap();
        assert_eq!(st.code(), Some(0), "{fds:?}");
        assert_eq!(std::fs::read(&file).unwrap(), b"", "{fds:?}: prog wrote into the lock file");
        // And a refusal's message does not go into it either.
        let h = Holder::start(&ours(), &[], &file);
        let mut cmd = Command::new(ours());
        cmd.arg("-n").arg(&file).arg("true");
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        with_closed(&mut cmd, fds);
        assert_eq!(cmd.status().unwrap().code(), Some(1), "{fds:?}");
        assert_eq!(std::fs::read(&file).unwrap(), b"", "{fds:?}: busy message in the lock file");
        h.release();
    }
    // prog sees the lock on 3 when 0 is closed (the lowest free slot >= 3).
    let mut cmd = Command::new(ours());
    cmd.arg(&file).args(["sh", "-c", "readlink /proc/self/fd/3"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    with_closed(&mut cmd, &[0]);
    let out = cmd.output().unwrap();
    assert_eq!(common::text(&out.stdout).trim(), file.display().to_string());
}

#[test]
fn fifo_as_lock_file_never_blocks_in_open() {
    // Anyone who can create the lock path must not hang a root job: a
    // fifo with no other side is opened without blocking, as Debian does
    // (-w: 111, no reader; -r: the shared lock).
    let dir = common::Tmp::new("setlock-fifo");
    let fifo = dir.join("fifo");
    common::mkfifo(&fifo, 0o644);
    let deb = common::debian("s6-setlock");
    for program in std::iter::once(ours()).chain(deb) {
        for (args, want) in [
            (&["-n"][..], 111),
            (&["-w"][..], 111),
            (&["-t", "100"][..], 111),
            (&["-r"][..], 0),
            (&["-r", "-n"][..], 0),
        ] {
            let mut cmd = Command::new(&program);
            cmd.args(args).arg(&fifo).args(["echo", "ran"]).stdin(Stdio::null());
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = common::Reaped::spawn(&mut cmd);
            let status = common::poll(DEADLINE, "s6-setlock on a fifo to exit", || {
                child.try_wait().unwrap()
            });
            let mut out = (Vec::new(), String::new());
            child.stdout.take().unwrap().read_to_end(&mut out.0).unwrap();
            child.stderr.take().unwrap().read_to_string(&mut out.1).unwrap();
            assert_eq!(status.code(), Some(want), "{} {args:?}", program.display());
            if want == 111 && program == ours() {
                assert_eq!(
                    out.1,
                    format!(
                        "s6-setlock: fatal: unable to open {} for writing: No such device or address\n",
                        fifo.display()
                    )
                );
            } else if want == 0 {
                assert_eq!(out.0, b"ran\n");
            }
        }
    }
}

#[test]
fn shared_lock_on_a_directory() {
    // -r on a directory takes the shared lock, as Debian does; -w cannot
    // open a directory for writing.
    let dir = common::Tmp::new("setlock-dir");
    let deb = common::debian("s6-setlock");
    for program in std::iter::once(ours()).chain(deb) {
        let out = run(&program, &["-r"], &dir, &["echo", "ran"]);
        assert_eq!(common::code(&out), 0, "{}: {}", program.display(), common::text(&out.stderr));
        assert_eq!(out.stdout, b"ran\n");
        let out = run(&program, &["-w"], &dir, &["echo", "ran"]);
        assert_eq!(common::code(&out), 111);
        assert_eq!(
            common::text(&out.stderr),
            format!(
                "s6-setlock: fatal: unable to open {} for writing: Is a directory\n",
                dir.display()
            )
        );
    }
}
