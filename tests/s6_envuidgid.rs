//! s6-envuidgid against Debian's, on a private account database: the
//! variables it sets, its exit codes and messages.

#[path = "common/accounts.rs"]
mod accounts;
mod common;

use accounts::Db;
use common::{applet, code, debian, text};
use std::process::Output;

const USAGE: &str = "s6-envuidgid: usage: s6-envuidgid [ -i | -D defaultuid:defaultgid:defaultgidlist ] [ -u | -g | -B ] [ -n ] account prog...\n";

/// Prints the three variables, `-` for an unset one.
const SHOW: [&str; 3] =
    ["/bin/sh", "-c", "echo \"UID=${UID-unset} GID=${GID-unset} GIDLIST=${GIDLIST-unset}\""];

fn args<'a>(opts: &[&'a str]) -> Vec<&'a str> {
    let mut v = opts.to_vec();
    v.extend(SHOW);
    v
}

/// Ours on `opts... SHOW`, checked against Debian's on the same: exit
/// code, stdout and stderr (program name included) all equal.
fn both(db: &Db, opts: &[&str], nobody: bool) -> Output {
    let argv = args(opts);
    let ours = db.run(&applet("s6-envuidgid"), &argv, nobody);
    if let Some(deb) = debian("s6-envuidgid") {
        let theirs = db.run(&deb, &argv, nobody);
        assert_eq!(code(&ours), code(&theirs), "exit code, {opts:?}: {}", text(&ours.stderr));
        assert_eq!(text(&ours.stdout), text(&theirs.stdout), "stdout, {opts:?}");
        assert_eq!(text(&ours.stderr), text(&theirs.stderr), "stderr, {opts:?}");
    }
    ours
}

fn expect(db: &Db, opts: &[&str], want: &str) {
    let out = both(db, opts, false);
    assert_eq!(code(&out), 0, "{opts:?}: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{want}\n"), "{opts:?}");
    assert!(out.stderr.is_empty());
}

fn fails(db: &Db, opts: &[&str], code_: i32, stderr: &str) {
    let out = both(db, opts, false);
    assert_eq!(code(&out), code_, "{opts:?}");
    assert_eq!(text(&out.stderr), stderr, "{opts:?}");
    assert!(out.stdout.is_empty(), "{opts:?}: no exec");
}

#[test]
fn users_like_debian() {
    let db = Db::temp("env-users");
    expect(&db, &["alice"], "UID=1001 GID=1001 GIDLIST=2001,2002,2003");
    expect(&db, &["bob"], "UID=1002 GID=1002 GIDLIST=");
    expect(&db, &["carol"], "UID=1003 GID=1003 GIDLIST=1003,2002");
    expect(&db, &["root"], "UID=0 GID=0 GIDLIST=");
    expect(&db, &["nobody"], "UID=65534 GID=65534 GIDLIST=");
    expect(&db, &["--", "alice"], "UID=1001 GID=1001 GIDLIST=2001,2002,2003");
}

#[test]
fn modes_like_debian() {
    let db = Db::temp("env-modes");
    expect(&db, &["-u", "alice"], "UID=1001 GID=unset GIDLIST=unset");
    expect(&db, &["-g", "audio"], "UID=unset GID=2002 GIDLIST=unset");
    expect(&db, &["-B", "alice:audio"], "UID=1001 GID=2002 GIDLIST=unset");
    expect(&db, &["-B", ":audio"], "UID=0 GID=2002 GIDLIST=unset");
    expect(&db, &["-B", "alice:"], "UID=1001 GID=0 GIDLIST=unset");
    expect(&db, &["-B", ":"], "UID=0 GID=0 GIDLIST=unset");
    // No colon: the whole is the user, the gid is the default, not the
    // user's primary group.
    expect(&db, &["-B", "alice"], "UID=1001 GID=0 GIDLIST=unset");
    // The last of -u, -g, -B wins.
    expect(&db, &["-ug", "wheel"], "UID=unset GID=2001 GIDLIST=unset");
    expect(&db, &["-uB", "alice"], "UID=1001 GID=0 GIDLIST=unset");
    expect(&db, &["-Bu", "alice"], "UID=1001 GID=unset GIDLIST=unset");
    expect(&db, &["-g", "-u", "bob"], "UID=1002 GID=unset GIDLIST=unset");
}

#[test]
fn numeric_fallback_like_debian() {
    let db = Db::temp("env-numeric");
    // -n alone selects -B.
    expect(&db, &["-n", "5"], "UID=5 GID=0 GIDLIST=unset");
    expect(&db, &["-n", "alice"], "UID=1001 GID=0 GIDLIST=unset");
    expect(&db, &["-n", "5:6"], "UID=5 GID=6 GIDLIST=unset");
    expect(&db, &["-nB", "root:42"], "UID=0 GID=42 GIDLIST=unset");
    expect(&db, &["-n", "-B", "42:audio"], "UID=42 GID=2002 GIDLIST=unset");
    expect(&db, &["-nu", "77"], "UID=77 GID=unset GIDLIST=unset");
    expect(&db, &["-un", "77"], "UID=77 GID=unset GIDLIST=unset");
    expect(&db, &["-ng", "77"], "UID=unset GID=77 GIDLIST=unset");
    expect(&db, &["-gn", "007"], "UID=unset GID=7 GIDLIST=unset");
    expect(&db, &["-n", "4294967295"], "UID=4294967295 GID=0 GIDLIST=unset");
    // A name in the database wins over the number it could be.
    expect(&db, &["-ng", "wheel"], "UID=unset GID=2001 GIDLIST=unset");
    fails(&db, &["-n", "nosuch"], 1, "s6-envuidgid: fatal: unknown user: nosuch\n");
    fails(&db, &["-n", "-B", "5:x"], 1, "s6-envuidgid: fatal: unknown group: x\n");
    fails(&db, &["-n", ""], 1, "s6-envuidgid: fatal: unknown user: \n");
}

#[test]
fn unknown_accounts_like_debian() {
    let db = Db::temp("env-unknown");
    fails(&db, &["nosuch"], 1, "s6-envuidgid: fatal: unknown user: nosuch\n");
    fails(&db, &["-i", "bobby"], 1, "s6-envuidgid: fatal: unknown user: bobby\n");
    fails(&db, &["-u", "77"], 1, "s6-envuidgid: fatal: unknown user: 77\n");
    fails(&db, &["-g", "alicex"], 1, "s6-envuidgid: fatal: unknown group: alicex\n");
    // A user name is not a group name.
    fails(&db, &["-g", "dave"], 1, "s6-envuidgid: fatal: unknown group: dave\n");
    fails(&db, &["-B", "nosuch:audio"], 1, "s6-envuidgid: fatal: unknown user: nosuch\n");
    fails(&db, &["-B", "alice:nosuch"], 1, "s6-envuidgid: fatal: unknown group: nosuch\n");
    // The group is looked up first.
    fails(&db, &["-B", "nosuchu:nosuchg"], 1, "s6-envuidgid: fatal: unknown group: nosuchg\n");
    fails(&db, &["-B", "alice:audio:x"], 1, "s6-envuidgid: fatal: unknown group: audio:x\n");
    fails(&db, &["-B", ""], 1, "s6-envuidgid: fatal: unknown user: \n");
    fails(&db, &[""], 1, "s6-envuidgid: fatal: unknown user: \n");
    // -i after -D drops the defaults.
    fails(&db, &["-D", "1:2:3", "-i", "nosuch"], 1, "s6-envuidgid: fatal: unknown user: nosuch\n");
}

#[test]
fn defaults_like_debian() {
    let db = Db::temp("env-defaults");
    expect(&db, &["-D", "1:2:3,4", "nosuch"], "UID=1 GID=2 GIDLIST=3,4");
    expect(&db, &["-D", "::", "nosuch"], "UID=0 GID=0 GIDLIST=");
    expect(&db, &["-D", ":", "nosuch"], "UID=0 GID=0 GIDLIST=");
    expect(&db, &["-D", "1", "nosuch"], "UID=1 GID=0 GIDLIST=");
    expect(&db, &["-D", ":2", "nosuch"], "UID=0 GID=2 GIDLIST=");
    expect(&db, &["-D", "1:2:", "nosuch"], "UID=1 GID=2 GIDLIST=");
    expect(&db, &["-D", "1::3", "nosuch"], "UID=1 GID=0 GIDLIST=3");
    expect(&db, &["-D", "1:2:3:4", "nosuch"], "UID=1 GID=2 GIDLIST=3,4");
    expect(&db, &["-D", "1:2:3,x", "nosuch"], "UID=1 GID=2 GIDLIST=3");
    expect(&db, &["-D", "01:02:03", "nosuch"], "UID=1 GID=2 GIDLIST=3");
    expect(&db, &["-D", "4294967295:1", "nosuch"], "UID=4294967295 GID=1 GIDLIST=");
    expect(&db, &["-D", "1:2:3", ""], "UID=1 GID=2 GIDLIST=3");
    expect(&db, &["-D1:2:3", "-D", "4", "nosuch"], "UID=4 GID=0 GIDLIST=");
    expect(&db, &["-i", "-D", "1:2:3", "nosuch"], "UID=1 GID=2 GIDLIST=3");
    // A known account ignores the defaults.
    expect(&db, &["-D", "1:2:3", "carol"], "UID=1003 GID=1003 GIDLIST=1003,2002");
    expect(&db, &["-uD", "1:2:3", "nosuch"], "UID=1 GID=unset GIDLIST=unset");
    expect(&db, &["-gD", "1:2:3", "nosuch"], "UID=unset GID=2 GIDLIST=unset");
    expect(&db, &["-BD", "1:2:3", "nosuch:nosuch"], "UID=1 GID=2 GIDLIST=unset");
    expect(&db, &["-BD", "1:2:3", "alice:nosuch"], "UID=1001 GID=2 GIDLIST=unset");
    // With -D, empty parts of -B take the defaults too.
    expect(&db, &["-BD", "1:2:3", ":"], "UID=1 GID=2 GIDLIST=unset");
    expect(&db, &["-BD", "1:2:3", ""], "UID=1 GID=2 GIDLIST=unset");
    // The number first, then the default.
    expect(&db, &["-nD", "1:2:3", "nosuch"], "UID=1 GID=2 GIDLIST=unset");
    expect(&db, &["-nD", "1:2:3", "5"], "UID=5 GID=2 GIDLIST=unset");
}

#[test]
fn malformed_defaults_are_usage() {
    let db = Db::temp("env-bad-d");
    for d in [
        "",
        "x",
        "1x:2",
        "1:2x:3",
        " 1:2",
        "1 :2",
        "1:2: 3",
        "1:2:x",
        "+1:2",
        "1:2:+3",
        "-1:2",
        "4294967296:1",
        "=1:2",
    ] {
        fails(&db, &["-D", d, "nosuch"], 100, USAGE);
    }
}

#[test]
fn usage() {
    let db = Db::temp("env-usage");
    fails(&db, &["-x"], 100, USAGE);
    fails(&db, &["-D"], 100, USAGE);
    for argv in [&[][..], &["alice"], &["-u", "alice"]] {
        let out = common::run(common::cmd("s6-envuidgid").args(argv));
        assert_eq!(code(&out), 100, "{argv:?}");
        assert_eq!(text(&out.stderr), USAGE);
    }
    let out = common::run(common::cmd("s6-envuidgid").arg("--help"));
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out.stdout), &USAGE["s6-envuidgid: ".len()..]);
}

/// Variables it does not set reach prog as they were; those it sets are
/// replaced.
#[test]
fn other_variables_untouched() {
    let db = Db::temp("env-keep");
    for (opts, want) in [
        (&["-u", "bob"][..], "UID=1002 GID=8 GIDLIST=9"),
        (&["-g", "wheel"], "UID=7 GID=2001 GIDLIST=9"),
        (&["-B", "bob:wheel"], "UID=1002 GID=2001 GIDLIST=9"),
        (&["bob"], "UID=1002 GID=1002 GIDLIST="),
    ] {
        let mut c = db.cmd(&applet("s6-envuidgid"), &args(opts), false);
        c.env("UID", "7").env("GID", "8").env("GIDLIST", "9");
        let out = common::run(&mut c);
        assert_eq!(code(&out), 0, "{opts:?}");
        assert_eq!(text(&out.stdout), format!("{want}\n"), "{opts:?}");
    }
}

/// Unprivileged callers get the same answers; no credential changes.
#[test]
fn as_nobody_like_debian() {
    let db = Db::temp("env-nobody");
    for opts in [&["alice"][..], &["-B", "carol:wheel"], &["nosuch"], &["-D", "1:2:3", "nosuch"]] {
        let mut argv = opts.to_vec();
        argv.extend(["/bin/sh", "-c", "id -u; echo \"$UID $GID $GIDLIST\""]);
        let ours = db.run(&applet("s6-envuidgid"), &argv, true);
        if opts == ["nosuch"] {
            assert_eq!(code(&ours), 1);
        } else {
            assert_eq!(code(&ours), 0, "{opts:?}: {}", text(&ours.stderr));
            assert!(text(&ours.stdout).starts_with("65534\n"));
        }
        if let Some(deb) = debian("s6-envuidgid") {
            let theirs = db.run(&deb, &argv, true);
            assert_eq!(code(&ours), code(&theirs), "{opts:?}");
            assert_eq!(text(&ours.stdout), text(&theirs.stdout), "{opts:?}");
        }
    }
}

/// Where s6box differs from Debian's s6-envuidgid, on purpose.
#[test]
fn deviations() {
    let db = Db::temp("env-dev");
    let run = |opts: &[&str]| db.run(&applet("s6-envuidgid"), &args(opts), false);
    // -n takes a number only if the whole name is one; Debian takes a
    // leading number ("5x" as 5) and cuts long ones to 9 digits.
    for (opts, err) in [
        (&["-n", "5x"][..], "unknown user: 5x"),
        (&["-n", "99999999999"], "unknown user: 99999999999"),
        (&["-nB", "1:2:3"], "unknown group: 2:3"),
    ] {
        let out = run(opts);
        assert_eq!(code(&out), 1, "{opts:?}");
        assert_eq!(text(&out.stderr), format!("s6-envuidgid: fatal: {err}\n"));
        assert!(out.stdout.is_empty());
    }
    // A gid shared by two groups naming the user is listed once (Debian
    // lists 2001 twice); a name repeated in one group counts once in both.
    let out = run(&["dave"]);
    assert_eq!(text(&out.stdout), "UID=1004 GID=1004 GIDLIST=2001,2004\n");
}

#[test]
fn missing_program() {
    let db = Db::temp("env-noprog");
    let out = db.run(&applet("s6-envuidgid"), &["bob", "/nonexistent/prog"], false);
    assert_eq!(code(&out), 127);
    assert_eq!(
        text(&out.stderr),
        "s6-envuidgid: fatal: unable to exec /nonexistent/prog: No such file or directory\n"
    );
}
