//! s6-connlimit: every case run by ours and by both references (2.15 and
//! Debian's 2.11), same exit code and same stderr; `IPCCONNNUM` counts
//! this connection, so `IPCCONNMAX=N` admits exactly N.
mod common;

use std::path::Path;
use std::process::{Command, Output};

fn run(prog: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(prog);
    cmd.env_clear().env("PATH", "/usr/bin:/bin").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    common::run(&mut cmd)
}

/// Variables set for one run.
type Vars = &'static [(&'static str, &'static str)];

/// (environment, arguments, expected exit code, expected stderr).
const CASES: &[(Vars, &[&str], i32, &str)] = &[
    (&[], &["true"], 100, "s6-connlimit: fatal: PROTO not set\n"),
    (&[("PROTO", "")], &["true"], 100, "s6-connlimit: fatal: empty PROTO\n"),
    (&[("PROTO", "IPC")], &["true"], 100, "s6-connlimit: fatal: IPCCONNNUM not set\n"),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "")],
        &["true"],
        100,
        "s6-connlimit: fatal: invalid IPCCONNNUM\n",
    ),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "x")],
        &["true"],
        100,
        "s6-connlimit: fatal: invalid IPCCONNNUM\n",
    ),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", " 1")],
        &["true"],
        100,
        "s6-connlimit: fatal: invalid IPCCONNNUM\n",
    ),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "4294967296")],
        &["true"],
        100,
        "s6-connlimit: fatal: invalid IPCCONNNUM\n",
    ),
    (&[("PROTO", "IPC"), ("IPCCONNNUM", "5")], &["true"], 0, ""),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "5"), ("IPCCONNMAX", "")],
        &["true"],
        100,
        "s6-connlimit: fatal: invalid IPCCONNMAX\n",
    ),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "5"), ("IPCCONNMAX", "x")],
        &["true"],
        100,
        "s6-connlimit: fatal: invalid IPCCONNMAX\n",
    ),
    // IPCCONNMAX=5 admits the fifth connection and refuses the sixth.
    (&[("PROTO", "IPC"), ("IPCCONNNUM", "5"), ("IPCCONNMAX", "5")], &["true"], 0, ""),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "6"), ("IPCCONNMAX", "5")],
        &["true"],
        1,
        "s6-connlimit: fatal: number of connections from this client limited to 5\n",
    ),
    // MAX is printed as written.
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "6"), ("IPCCONNMAX", "05")],
        &["true"],
        1,
        "s6-connlimit: fatal: number of connections from this client limited to 05\n",
    ),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "1"), ("IPCCONNMAX", "0")],
        &["true"],
        1,
        "s6-connlimit: fatal: number of connections from this client limited to 0\n",
    ),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "4294967295"), ("IPCCONNMAX", "4294967295")],
        &["true"],
        0,
        "",
    ),
    (&[("PROTO", "IPC"), ("IPCCONNNUM", "007"), ("IPCCONNMAX", "7")], &["true"], 0, ""),
    // Any PROTO: the variables are named after it.
    (
        &[("PROTO", "TCP"), ("TCPCONNNUM", "2"), ("TCPCONNMAX", "1")],
        &["true"],
        1,
        "s6-connlimit: fatal: number of connections from this client limited to 1\n",
    ),
    (
        &[("PROTO", "TCP"), ("IPCCONNNUM", "2")],
        &["true"],
        100,
        "s6-connlimit: fatal: TCPCONNNUM not set\n",
    ),
    // No option parsing: everything is the program.
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "1")],
        &["-x"],
        127,
        "s6-connlimit: fatal: unable to exec -x: No such file or directory\n",
    ),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "1")],
        &["--", "true"],
        127,
        "s6-connlimit: fatal: unable to exec --: No such file or directory\n",
    ),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "1")],
        &["/nonexistent/prog"],
        127,
        "s6-connlimit: fatal: unable to exec /nonexistent/prog: No such file or directory\n",
    ),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "1")],
        &["/etc/passwd"],
        126,
        "s6-connlimit: fatal: unable to exec /etc/passwd: Permission denied\n",
    ),
    // No program: the checks, then exit 0.
    (&[("PROTO", "IPC"), ("IPCCONNNUM", "1")], &[], 0, ""),
    (
        &[("PROTO", "IPC"), ("IPCCONNNUM", "3"), ("IPCCONNMAX", "2")],
        &[],
        1,
        "s6-connlimit: fatal: number of connections from this client limited to 2\n",
    ),
    (&[], &[], 100, "s6-connlimit: fatal: PROTO not set\n"),
];

#[test]
fn cases() {
    for (env, args, code, err) in CASES {
        let out = run(&common::applet("s6-connlimit"), env, args);
        assert_eq!(common::code(&out), *code, "{env:?} {args:?}: {}", common::text(&out.stderr));
        assert_eq!(common::text(&out.stderr), *err, "{env:?} {args:?}");
    }
}

#[test]
fn same_as_references() {
    let refs: Vec<_> = [common::reference("s6-connlimit"), common::debian("s6-connlimit")]
        .into_iter()
        .flatten()
        .collect();
    for r in &refs {
        for (env, args, _, _) in CASES {
            let (a, b) = (run(&common::applet("s6-connlimit"), env, args), run(r, env, args));
            assert_eq!(common::code(&a), common::code(&b), "{r:?} {env:?} {args:?}");
            assert_eq!(common::text(&a.stderr), common::text(&b.stderr), "{r:?} {env:?} {args:?}");
        }
    }
}

#[test]
fn execs_with_arguments_and_environment() {
    let env = [("PROTO", "IPC"), ("IPCCONNNUM", "2"), ("IPCCONNMAX", "2"), ("X", "y")];
    let out =
        run(&common::applet("s6-connlimit"), &env, &["sh", "-c", "echo \"$0 $1 $X\"", "a", "b"]);
    assert_eq!(common::code(&out), 0);
    assert_eq!(common::text(&out.stdout), "a b y\n");
}

#[test]
fn signal_state_inherited() {
    // An ignored SIGPIPE and a blocked SIGUSR1 reach the program.
    let mut cmd = common::cmd("s6-connlimit");
    cmd.env_clear().env("PATH", "/usr/bin:/bin").env("PROTO", "IPC").env("IPCCONNNUM", "1").args([
        "grep",
        "-E",
        "^(SigIgn|SigBlk)",
        "/proc/self/status",
    ]);
    common::sigstate(&mut cmd, &[libc::SIGPIPE], &[libc::SIGUSR1]);
    let out = common::run(&mut cmd);
    let text = common::text(&out.stdout);
    let field = |k: &str| u64::from_str_radix(&common::status_field(&text, k), 16).unwrap();
    assert_ne!(field("SigIgn") & (1 << (libc::SIGPIPE - 1)), 0, "{text}");
    assert_ne!(field("SigBlk") & (1 << (libc::SIGUSR1 - 1)), 0, "{text}");
}
