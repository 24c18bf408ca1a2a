//! s6-setuidgid against Debian's, on a private account database; and the
//! "already the target" case run as nobody, where upstream fails.

#[path = "common/accounts.rs"]
mod accounts;
mod common;

use accounts::{Db, SHOW, tail};
use common::{Tmp, applet, code, debian, text};
use std::process::Output;

fn db(tag: &str) -> Db {
    Db::temp(tag)
}

fn args(account: &str) -> Vec<&str> {
    let mut v = vec![account];
    v.extend(SHOW);
    v
}

/// Runs ours (and Debian's, when present) on the same arguments; returns
/// ours, after checking that both agree on the code, stdout and message.
fn both(db: &Db, argv: &[&str], nobody: bool) -> Output {
    let ours = db.run(&applet("s6-setuidgid"), argv, nobody);
    if let Some(deb) = debian("s6-setuidgid") {
        let theirs = db.run(&deb, argv, nobody);
        assert_eq!(code(&ours), code(&theirs), "exit code, {argv:?}: {}", text(&ours.stderr));
        assert_eq!(text(&ours.stdout), text(&theirs.stdout), "stdout, {argv:?}");
        assert_eq!(tail(&ours.stderr), tail(&theirs.stderr), "stderr, {argv:?}");
    }
    ours
}

#[test]
fn user_names_like_debian() {
    let db = db("suid-names");
    for (user, id) in [
        (
            "alice",
            "uid=1001(alice) gid=1001(alice) groups=1001(alice),2001(wheel),2002(audio),2003(video)",
        ),
        ("bob", "uid=1002(bob) gid=1002(bob) groups=1002(bob)"),
        ("carol", "uid=1003(carol) gid=1003(carol) groups=1003(carol),2002(audio)"),
        ("nobody", "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)"),
        ("root", "uid=0(root) gid=0(root) groups=0(root)"),
    ] {
        let mut c = db.cmd(&applet("s6-setuidgid"), &args(user), false);
        c.env("UID", "7").env("GID", "8").env("GIDLIST", "9");
        let out = common::run(&mut c);
        assert_eq!(code(&out), 0, "{user}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert_eq!(stdout.lines().next(), Some(id), "{user}");
        // Every uid and gid (real, effective, saved, fs) changed.
        let uid = id.split(['=', '(']).nth(1).unwrap();
        assert!(stdout.contains(&format!("Uid:\t{uid}\t{uid}\t{uid}\t{uid}\n")), "{stdout}");
        // UID, GID and GIDLIST are gone from the environment.
        assert!(!stdout.contains("UID=") && !stdout.contains("GID"), "{user}: {stdout}");
        both(&db, &args(user), false);
    }
}

#[test]
fn same_gid_in_two_groups_is_listed_once() {
    // Debian puts 2001 twice in the kernel's list (wheel and wheel2);
    // s6box lists each gid once. `id` shows the same either way.
    let db = db("suid-dup");
    let out = db.run(&applet("s6-setuidgid"), &args("dave"), false);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("uid=1004(dave) gid=1004 groups=1004,2001(wheel),2004(staff)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("Groups:\t1004 2001 2004 \n"), "{stdout}");
}

#[test]
fn numeric_pairs_like_debian() {
    let db = db("suid-num");
    for (pair, id) in [
        ("1001:2002", "uid=1001(alice) gid=2002(audio) groups=2002(audio)"),
        ("5:6", "uid=5 gid=6 groups=6"),
        ("0:0", "uid=0(root) gid=0(root) groups=0(root)"),
    ] {
        // The environment is left alone in this form.
        let mut c = db.cmd(&applet("s6-setuidgid"), &args(pair), false);
        c.env("UID", "7").env("GID", "8").env("GIDLIST", "9");
        let out = common::run(&mut c);
        assert_eq!(code(&out), 0, "{pair}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert_eq!(stdout.lines().next(), Some(id));
        assert!(stdout.ends_with("GID=8\nGIDLIST=9\nUID=7\n"), "{stdout}");
        both(&db, &args(pair), false);
    }
}

#[test]
fn empty_account_changes_nothing() {
    let db = db("suid-empty");
    let out = both(&db, &args(""), false);
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).starts_with("uid=0(root) gid=0(root) groups=0(root)\n"));
}

#[test]
fn unknown_user_is_1() {
    let db = db("suid-unknown");
    for user in ["nosuch", "bobby", "1001"] {
        let out = both(&db, &args(user), false);
        assert_eq!(code(&out), 1);
        assert_eq!(text(&out.stderr), format!("s6-setuidgid: fatal: unknown user: {user}\n"));
        assert!(out.stdout.is_empty(), "no exec");
    }
}

#[test]
fn malformed_pair_is_usage() {
    let db = db("suid-bad");
    for pair in ["1:", ":1", ":", "1:x", "x:1", "1:2:3", "4294967296:1", "-1:2", "alice:"] {
        let out = db.run(&applet("s6-setuidgid"), &args(pair), false);
        assert_eq!(code(&out), 100, "{pair}");
        assert_eq!(
            text(&out.stderr),
            "s6-setuidgid: usage: s6-setuidgid username prog...\n",
            "{pair}"
        );
        assert!(out.stdout.is_empty(), "no exec");
        if let Some(deb) = debian("s6-setuidgid") {
            assert_eq!(code(&db.run(&deb, &args(pair), false)), 100, "Debian, {pair}");
        }
    }
}

#[test]
fn usage() {
    for argv in [&[][..], &["alice"], &["-x", "alice", "true"]] {
        let out = common::run(common::cmd("s6-setuidgid").args(argv));
        assert_eq!(code(&out), 100, "{argv:?}");
        assert_eq!(text(&out.stderr), "s6-setuidgid: usage: s6-setuidgid username prog...\n");
    }
    let out = common::run(common::cmd("s6-setuidgid").arg("--help"));
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out.stdout), "usage: s6-setuidgid username prog...\n");
}

#[test]
fn missing_program() {
    let db = db("suid-noprog");
    let out = db.run(&applet("s6-setuidgid"), &["bob", "/nonexistent/prog"], false);
    assert_eq!(code(&out), 127);
    assert_eq!(
        text(&out.stderr),
        "s6-setuidgid: fatal: unable to exec /nonexistent/prog: No such file or directory\n"
    );
}

/// Beyond upstream: a process already running as the target account (a
/// container started as the service user) gets through; Debian's fails on
/// `setgroups`.
#[test]
fn already_the_target_as_nobody() {
    let db = db("suid-beyond");
    for account in ["nobody", "65534:65534"] {
        let out = db.run(&applet("s6-setuidgid"), &args(account), true);
        assert_eq!(code(&out), 0, "{account}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout)
                .starts_with("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"),
            "{}",
            text(&out.stdout)
        );
        if let Some(deb) = debian("s6-setuidgid") {
            let theirs = db.run(&deb, &args(account), true);
            assert_eq!(code(&theirs), 111, "Debian, {account}");
            assert!(text(&theirs.stderr).ends_with(
                "fatal: unable to set supplementary group list: Operation not permitted\n"
            ));
        }
    }
}

/// A non-root caller asking for another account fails before exec, with
/// Debian's message and code.
#[test]
fn other_account_as_nobody_fails_whole() {
    let db = db("suid-eperm");
    for (account, call) in [
        ("alice", "set supplementary group list"),
        ("carol", "set supplementary group list"),
        // The list itself ([65534]) must be the one asked for: any other
        // gid means another list. Only when the list is already right is
        // the first call actually needed setuid. Debian fails on
        // setgroups, with the same code.
        ("bob", "set supplementary group list"),
        ("root", "set supplementary group list"),
        ("65534:1", "set supplementary group list"),
        ("0:0", "set supplementary group list"),
        ("1:65534", "setuid"),
    ] {
        let out = db.run(&applet("s6-setuidgid"), &args(account), true);
        assert_eq!(code(&out), 111, "{account}");
        assert!(out.stdout.is_empty(), "{account}: no exec");
        assert_eq!(
            text(&out.stderr),
            format!("s6-setuidgid: fatal: unable to {call}: Operation not permitted\n"),
            "{account}"
        );
        if let Some(deb) = debian("s6-setuidgid") {
            let theirs = db.run(&deb, &args(account), true);
            assert_eq!(code(&theirs), 111, "Debian, {account}");
            assert!(theirs.stdout.is_empty());
        }
    }
}

/// s6-applyuidgid shares the skip: already uid, gid and groups 65534.
#[test]
fn applyuidgid_already_the_target_as_nobody() {
    let db = db("apply-beyond");
    let mut argv = vec!["-u", "65534", "-g", "65534", "-G", ""];
    argv.extend(SHOW);
    let out = db.run(&applet("s6-applyuidgid"), &argv, true);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .starts_with("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n")
    );
    let mut c = db.cmd(&applet("s6-applyuidgid"), &["-Uz", SHOW[0], SHOW[1], SHOW[2]], true);
    c.env("UID", "65534").env("GID", "65534").env("GIDLIST", "65534");
    let out = common::run(&mut c);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("UID="));
    if let Some(deb) = debian("s6-applyuidgid") {
        let theirs = db.run(&deb, &argv, true);
        assert_eq!(code(&theirs), 111);
    }
    // A real change is still refused, with s6's words.
    let out = db.run(&applet("s6-applyuidgid"), &["-G", "1", "true"], true);
    assert_eq!(code(&out), 111);
    assert_eq!(
        text(&out.stderr),
        "s6-applyuidgid: fatal: unable to set supplementary group list: Operation not permitted\n"
    );
}

/// Root whose supplementary list is empty (as this test process is) stays
/// so for `root`: the list [0] it would be set to grants nothing more, the
/// effective gid being 0. `id` is the same as Debian's; only the kernel's
/// list differs (Debian writes [0]).
#[test]
fn root_with_no_supplementary_list() {
    let ours = common::run(common::cmd("s6-setuidgid").args(args("root")));
    assert_eq!(code(&ours), 0, "{}", text(&ours.stderr));
    let stdout = text(&ours.stdout);
    assert!(stdout.starts_with("uid=0(root) gid=0(root) groups=0(root)\n"), "{stdout}");
}

/// The skip compares against the groups in effect once the gid is the
/// target's: a list that only looks complete thanks to the current gid
/// is still replaced.
#[test]
fn gid_change_keeps_requested_groups() {
    let mut c = std::process::Command::new("setpriv");
    c.args(["--regid=5", "--groups=7"]).arg(applet("s6-applyuidgid"));
    c.args(["-g", "7", "-G", "5", "/bin/sh", "-c", "grep -E '^(Gid|Groups):' /proc/self/status"]);
    let out = common::run(&mut c);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Gid:\t7\t7\t7\t7\nGroups:\t5 7 \n");
}

/// Near NGROUPS_MAX (65536 on Linux): a user named by 65535 groups gets
/// them all plus its primary group; one more group is the kernel's EINVAL,
/// fatal before exec. (Debian's chainloading fails on the first already:
/// its GIDLIST is too long for the environment.)
#[test]
fn group_lists_near_ngroups_max() {
    let passwd =
        "root:x:0:0::/:/bin/sh\nfull:x:5000:5000::/:/bin/sh\nover:x:5001:5001::/:/bin/sh\n";
    let mut group = String::from("root:x:0:\n");
    for i in 1..=65535 {
        group.push_str(&format!("g{i}:x:{}:full,over\n", 100000 + i));
    }
    group.push_str("extra:x:300000:over\n");
    let db = Db::temp_with("suid-ngroups", passwd, &group);
    let count = ["/bin/sh", "-c", "id -G | wc -w"];
    let out = db.run(&applet("s6-setuidgid"), &[&["full"][..], &count].concat(), false);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "65536");
    let out = db.run(&applet("s6-setuidgid"), &[&["over"][..], &count].concat(), false);
    assert_eq!(code(&out), 111);
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "s6-setuidgid: fatal: unable to set supplementary group list: Invalid argument\n"
    );
}

/// Odd accounts, ours against Debian's (s6-setuidgid and s6-envuidgid):
/// a primary gid that no group has, a name with a blank, a non-UTF-8
/// name, an all-digit name (a name first, for both programs).
#[test]
fn odd_accounts_like_debian() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let passwd = b"root:x:0:0::/:/bin/sh\neve:x:1005:7777::/:/bin/sh\na b:x:1006:1006::/:/bin/sh\nx\xffy:x:1009:1009::/:/bin/sh\n123:x:1008:1008::/:/bin/sh\n";
    let group = b"root:x:0:\na b:x:2005:a b,eve\n456:x:2006:123\ng\xffh:x:2007:x\xffy\n";
    let dir = Tmp::new("suid-odd");
    // (Non-UTF-8 bytes: written over the files Db::with made.)
    let db = Db::with(&dir, "", "");
    std::fs::write(dir.join("passwd"), passwd).unwrap();
    std::fs::write(dir.join("group"), group).unwrap();
    let show = ["/bin/sh", "-c", "id -u; id -g; id -G; env | grep -E '^(UID|GID|GIDLIST)=' | sort"];
    let cases: &[(&str, &[&[u8]], &str)] = &[
        ("s6-setuidgid", &[b"eve"], "1005\n7777\n7777 2005\n"),
        ("s6-setuidgid", &[b"a b"], "1006\n1006\n1006 2005\n"),
        ("s6-setuidgid", &[b"x\xffy"], "1009\n1009\n1009 2007\n"),
        ("s6-setuidgid", &[b"123"], "1008\n1008\n1008 2006\n"),
        ("s6-envuidgid", &[b"eve"], "0\n0\n0\nGID=7777\nGIDLIST=2005\nUID=1005\n"),
        ("s6-envuidgid", &[b"-g", b"g\xffh"], "0\n0\n0\nGID=2007\n"),
        ("s6-envuidgid", &[b"-n", b"123:456"], "0\n0\n0\nGID=2006\nUID=1008\n"),
    ];
    for (name, account, want) in cases {
        let mut argv: Vec<OsString> =
            account.iter().map(|a| OsString::from_vec(a.to_vec())).collect();
        argv.extend(show.iter().map(OsString::from));
        let mut c = db.cmd(&applet(name), &argv, false);
        c.env_remove("UID").env_remove("GID").env_remove("GIDLIST");
        let ours = common::run(&mut c);
        assert_eq!(code(&ours), 0, "{name} {account:?}: {}", text(&ours.stderr));
        assert_eq!(text(&ours.stdout), *want, "{name} {account:?}");
        if let Some(deb) = debian(name) {
            let mut c = db.cmd(&deb, &argv, false);
            c.env_remove("UID").env_remove("GID").env_remove("GIDLIST");
            let theirs = common::run(&mut c);
            assert_eq!(code(&theirs), 0, "Debian {name} {account:?}");
            assert_eq!(text(&theirs.stdout), *want, "Debian {name} {account:?}");
        }
    }
}

#[test]
fn supplementary_list_set_when_the_caller_has_none() {
    // Started with an empty supplementary list, the target's list must
    // still be put in place (the skip-if-in-place rule compares the list
    // itself, not the groups that grant access).
    for program in
        std::iter::once(common::applet("s6-setuidgid")).chain(common::debian("s6-setuidgid"))
    {
        let out = common::run(
            std::process::Command::new("setpriv").arg("--clear-groups").arg(&program).args([
                "nobody",
                "grep",
                "^Groups:",
                "/proc/self/status",
            ]),
        );
        assert_eq!(common::code(&out), 0, "{}", common::text(&out.stderr));
        assert_eq!(common::text(&out.stdout).trim_end(), "Groups:\t65534", "{}", program.display());
    }
}
