//! s6-applyuidgid: options, messages, exec failures, credentials, the
//! inherited process state, and comparison with Debian's program.

mod common;
use common::*;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

const USAGE: &str = "s6-applyuidgid: usage: s6-applyuidgid [ -z ] [ -u uid ] [ -g gid ] [ -G gidlist ] [ -U ] prog...\n";

fn ours(args: &[&str]) -> Output {
    run(cmd("s6-applyuidgid").args(args).env_remove("UID").env_remove("GID").env_remove("GIDLIST"))
}

/// Bad usage: exit 100, the usage line, and the program is never run.
#[test]
fn bad_usage_is_100_and_runs_nothing() {
    let cases: &[&[&str]] = &[
        &[],
        &["-z"],
        &["-x", "echo", "ran"],
        &["-u"],
        &["-u", "abc", "echo", "ran"],
        &["-u", "-1", "echo", "ran"],
        &["-u", "", "echo", "ran"],
        &["-u", "12abc", "echo", "ran"],
        &["-u", "99999999999", "echo", "ran"],
        &["-g", "x", "echo", "ran"],
        &["-G", "x", "echo", "ran"],
        &["-G", ",1", "echo", "ran"],
        &["--"],
        &["--long", "echo", "ran"],
    ];
    for args in cases {
        let out = ours(args);
        assert_eq!(code(&out), 100, "{args:?}");
        assert_eq!(text(&out.stderr), USAGE, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} ran the program");
    }
}

#[test]
fn exec_failures_are_127_and_126() {
    let out = ours(&["s6box-no-such-program"]);
    assert_eq!(code(&out), 127);
    assert_eq!(
        text(&out.stderr),
        "s6-applyuidgid: fatal: unable to exec s6box-no-such-program: No such file or directory\n"
    );
    let out = ours(&["/nonexistent/prog"]);
    assert_eq!(code(&out), 127);
    let out = ours(&["/etc/passwd"]);
    assert_eq!(code(&out), 126);
    assert_eq!(
        text(&out.stderr),
        "s6-applyuidgid: fatal: unable to exec /etc/passwd: Permission denied\n"
    );
    let out = ours(&["/"]);
    assert_eq!(code(&out), 126);
}

#[test]
fn path_search_skips_unusable_entries() {
    let dir = Tmp::new("path");
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    // A non-executable file of the same name earlier in PATH: skipped,
    // the later real one runs.
    std::fs::write(bad.join("true"), "not a program").unwrap();
    let path = format!("/nonexistent:{}:/usr/bin:/bin", bad.display());
    let out = run(cmd("s6-applyuidgid").env("PATH", &path).arg("true"));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    // Only the unusable one: EACCES wins over ENOENT, so 126.
    let out = run(cmd("s6-applyuidgid")
        .env("PATH", format!("/nonexistent:{}", bad.display()))
        .arg("true"));
    assert_eq!(code(&out), 126);
    assert!(text(&out.stderr).ends_with("unable to exec true: Permission denied\n"));
    // No PATH at all: the default /usr/bin:/bin.
    let out = run(cmd("s6-applyuidgid").env_remove("PATH").arg("true"));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    // An empty entry is not the current directory (as in s6, unlike
    // execvp): a stray colon never runs a program from where the service
    // happens to be. Debian agrees (on "" and ":" it exits 126 with
    // "Success", a quirk not copied).
    let here = dir.join("here");
    std::fs::create_dir_all(&here).unwrap();
    std::fs::copy("/bin/true", here.join("s6box-in-cwd")).unwrap();
    for path in ["", ":", ":/nonexistent", "/nonexistent:", "/nonexistent::/x"] {
        let out =
            run(cmd("s6-applyuidgid").current_dir(&here).env("PATH", path).arg("s6box-in-cwd"));
        assert_eq!(code(&out), 127, "PATH={path:?}");
        assert_eq!(
            text(&out.stderr),
            "s6-applyuidgid: fatal: unable to exec s6box-in-cwd: No such file or directory\n"
        );
        if path.len() > 1
            && let Some(deb) = debian("s6-applyuidgid")
        {
            let out =
                run(Command::new(deb).current_dir(&here).env("PATH", path).arg("s6box-in-cwd"));
            assert_eq!(code(&out), 127, "Debian, PATH={path:?}");
        }
    }
}

#[test]
fn options_end_at_the_first_operand() {
    let out = ours(&["echo", "-u", "1", "--", "-z"]);
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out.stdout), "-u 1 -- -z\n");
    let out = ours(&["--", "echo", "-g"]);
    assert_eq!(text(&out.stdout), "-g\n");
}

#[test]
fn sets_uid_gid_and_groups() {
    let out = ours(&["-u", "65534", "-g", "65534", "-G", "1,2", "id"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.starts_with("uid=65534(nobody) gid=65534("), "{t}");
    assert!(t.contains("groups=65534("), "{t}");
    assert!(t.contains(",1(daemon),2(bin)"), "{t}");
    // Attached values, bundling, later options override earlier ones.
    let out = ours(&["-g3", "-G1", "-g", "4", "id", "-G"]);
    assert_eq!(text(&out.stdout), "4 1\n");
    // 0 means "leave it alone"; without -G the groups stay.
    let out = ours(&["-u", "0", "-g", "0", "id", "-u"]);
    assert_eq!(text(&out.stdout), "0\n");
    // An empty list is valid: only the gid remains.
    let out = ours(&["-G", "", "-g", "5", "id", "-G"]);
    assert_eq!(text(&out.stdout), "5\n");
}

#[test]
fn failing_setuid_never_runs_the_program() {
    let out = ours(&["-u", "4294967295", "echo", "ran"]);
    assert_eq!(code(&out), 111);
    assert_eq!(text(&out.stderr), "s6-applyuidgid: fatal: unable to setuid: Invalid argument\n");
    assert!(out.stdout.is_empty());
    // (uid_t)-1 is no id; to setresuid/setresgid it would mean "unchanged".
    let out = ours(&["-g", "4294967295", "echo", "ran"]);
    assert_eq!(code(&out), 111);
    assert_eq!(text(&out.stderr), "s6-applyuidgid: fatal: unable to setgid: Invalid argument\n");
    assert!(out.stdout.is_empty());
    let out = run(cmd("s6-setuidgid").args(["4294967295:4294967295", "echo", "ran"]));
    assert_eq!(code(&out), 111);
    assert!(out.stdout.is_empty());
}

#[test]
fn unprivileged_caller_cannot_half_drop() {
    // As nobody, asking for other groups fails at setgroups: nothing runs.
    let mut c = cmd("s6-applyuidgid");
    c.args(["-u", "65534", "-g", "65534", "-G", "1", "echo", "ran"]);
    as_user(&mut c, NOBODY.0, NOBODY.1);
    let out = run(&mut c);
    assert_eq!(code(&out), 111);
    assert_eq!(
        text(&out.stderr),
        "s6-applyuidgid: fatal: unable to set supplementary group list: Operation not permitted\n"
    );
    assert!(out.stdout.is_empty());
    // Asking for another uid fails at setuid, after nothing was changed
    // that could let the program run.
    let mut c = cmd("s6-applyuidgid");
    c.args(["-u", "1", "echo", "ran"]);
    as_user(&mut c, NOBODY.0, NOBODY.1);
    let out = run(&mut c);
    assert_eq!(code(&out), 111);
    assert!(text(&out.stderr).contains("unable to setuid: Operation not permitted"));
    assert!(out.stdout.is_empty());
}

/// Beyond s6: already running as the target credentials (uid, gid and
/// the list itself: here `65534`, as a container's USER gets) succeeds.
#[test]
fn already_the_target_succeeds_where_s6_fails() {
    let args = ["-u", "65534", "-g", "65534", "-G", "", "id"];
    let mut c = cmd("s6-applyuidgid");
    c.args(args);
    with_creds(&mut c, [65534; 3], [65534; 3], &[65534]);
    let out = run(&mut c);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("uid=65534(nobody) gid=65534("));
    if let Some(deb) = debian("s6-applyuidgid") {
        let mut c = Command::new(deb);
        c.args(args);
        with_creds(&mut c, [65534; 3], [65534; 3], &[65534]);
        let out = run(&mut c);
        assert_eq!(code(&out), 111, "upstream is expected to fail here");
        assert!(text(&out.stderr).contains("unable to set supplementary group list"));
    }
}

#[test]
fn from_environment_with_u() {
    let out = run(cmd("s6-applyuidgid")
        .env("UID", "1")
        .env("GID", "2")
        .env("GIDLIST", "3,4")
        .args(["-U", "id"]));
    assert_eq!(text(&out.stdout), "uid=1(daemon) gid=2(bin) groups=2(bin),3(sys),4(adm)\n");
    // Options after -U override the variables.
    let out = run(cmd("s6-applyuidgid")
        .env("UID", "1")
        .env("GID", "2")
        .env("GIDLIST", "3")
        .args(["-U", "-g", "5", "id", "-G"]));
    assert_eq!(text(&out.stdout), "5 3\n");
    // Unset and invalid variables.
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "s6-applyuidgid: fatal: UID not set\n"),
        (&[("UID", "1")], "s6-applyuidgid: fatal: GID not set\n"),
        (&[("UID", "1"), ("GID", "2")], "s6-applyuidgid: fatal: GIDLIST not set\n"),
        (&[("UID", "x"), ("GID", "2"), ("GIDLIST", "")], "s6-applyuidgid: fatal: invalid $UID\n"),
        (&[("UID", ""), ("GID", "2"), ("GIDLIST", "")], "s6-applyuidgid: fatal: invalid $UID\n"),
        (&[("UID", "1"), ("GID", "x"), ("GIDLIST", "")], "s6-applyuidgid: fatal: invalid $GID\n"),
        (
            &[("UID", "1"), ("GID", "2"), ("GIDLIST", "x")],
            "s6-applyuidgid: fatal: invalid $GIDLIST\n",
        ),
    ];
    for (vars, want) in cases {
        let mut c = cmd("s6-applyuidgid");
        c.env_remove("UID").env_remove("GID").env_remove("GIDLIST").args(["-U", "echo", "ran"]);
        for (k, v) in *vars {
            c.env(k, v);
        }
        let out = run(&mut c);
        assert_eq!(code(&out), 100, "{vars:?}");
        assert_eq!(text(&out.stderr), *want, "{vars:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn z_unexports_the_variables() {
    let out = run(cmd("s6-applyuidgid")
        .env("UID", "0")
        .env("GID", "0")
        .env("GIDLIST", "0")
        .env("KEEP", "yes")
        .args(["-Uz", "env"]));
    assert_eq!(code(&out), 0);
    let t = text(&out.stdout);
    assert!(t.lines().any(|l| l == "KEEP=yes"));
    assert!(
        !t.lines()
            .any(|l| l.starts_with("UID=") || l.starts_with("GID=") || l.starts_with("GIDLIST=")),
        "{t}"
    );
    // Without -z they stay.
    let out = run(cmd("s6-applyuidgid").env("UID", "0").args(["env"]));
    assert!(text(&out.stdout).lines().any(|l| l == "UID=0"));
}

#[test]
fn non_utf8_arguments_and_environment_pass_through() {
    let arg = OsString::from_vec(b"a\xff\xfeb".to_vec());
    let val = OsString::from_vec(b"v\x80\xc3".to_vec());
    let out = run(cmd("s6-applyuidgid").env("S6BOX_BYTES", &val).args([
        OsString::from("printf"),
        OsString::from("%s"),
        arg.clone(),
    ]));
    assert_eq!(code(&out), 0);
    assert_eq!(out.stdout, arg.as_bytes());
    let out = run(cmd("s6-applyuidgid").env("S6BOX_BYTES", &val).arg("env"));
    let needle = [b"S6BOX_BYTES=".as_slice(), val.as_bytes()].concat();
    assert!(out.stdout.windows(needle.len()).any(|w| w == needle.as_slice()));
    // A non-UTF-8 program name in the error message, byte for byte.
    let out = ours(&[]);
    assert_eq!(code(&out), 100);
    let out = run(cmd("s6-applyuidgid").arg(os(b"no-such-\xff")));
    assert_eq!(code(&out), 127);
    assert_eq!(
        out.stderr,
        b"s6-applyuidgid: fatal: unable to exec no-such-\xff: No such file or directory\n"
    );
}

fn sig_fields(out: &Output) -> (String, String) {
    let t = text(&out.stdout);
    (status_field(&t, "SigIgn"), status_field(&t, "SigBlk"))
}

/// SIGPIPE ignored or default, SIGUSR1 blocked or not: the program sees
/// exactly what a direct run sees.
#[test]
fn signal_state_is_inherited_exactly() {
    for ignore in [&[][..], &[libc::SIGPIPE][..], &[libc::SIGPIPE, libc::SIGHUP][..]] {
        for block in [&[][..], &[libc::SIGUSR1][..], &[libc::SIGUSR1, libc::SIGTERM][..]] {
            let mut direct = Command::new("cat");
            direct.arg("/proc/self/status");
            sigstate(&mut direct, ignore, block);
            let mut via = cmd("s6-applyuidgid");
            via.args(["-g", "0", "cat", "/proc/self/status"]);
            sigstate(&mut via, ignore, block);
            let (d, v) = (run(&mut direct), run(&mut via));
            assert_eq!(code(&v), 0);
            assert_eq!(sig_fields(&d), sig_fields(&v), "ignore {ignore:?} block {block:?}");
        }
    }
    // And the bits are what was asked (other bits may come from whatever
    // runs the tests): SIGPIPE is bit 12, SIGUSR1 bit 9.
    let bit = |hex: &str, sig: i32| u64::from_str_radix(hex, 16).unwrap() >> (sig - 1) & 1;
    for (ignore, block) in [(false, false), (true, true), (true, false), (false, true)] {
        let mut via = cmd("s6-applyuidgid");
        via.args(["cat", "/proc/self/status"]);
        let ign: &[i32] = if ignore { &[libc::SIGPIPE] } else { &[] };
        let blk: &[i32] = if block { &[libc::SIGUSR1] } else { &[] };
        sigstate(&mut via, ign, blk);
        let (i, b) = sig_fields(&run(&mut via));
        assert_eq!(bit(&i, libc::SIGPIPE), ignore as u64, "SigIgn {i}");
        assert_eq!(bit(&b, libc::SIGUSR1), block as u64, "SigBlk {b}");
    }
}

/// The program sees the same descriptors as a direct run: none added
/// (every descriptor of s6box's own is close-on-exec), none lost.
#[test]
fn descriptors_are_neither_added_nor_lost() {
    fn with_extra_fds(c: &mut Command) {
        // SAFETY: dup2 in the child before exec, on descriptors it owns.
        unsafe {
            c.pre_exec(|| {
                libc::dup2(2, 5);
                libc::dup2(2, 9);
                Ok(())
            });
        }
    }
    let mut direct = Command::new("ls");
    direct.arg("/proc/self/fd");
    with_extra_fds(&mut direct);
    let mut via = cmd("s6-applyuidgid");
    via.args(["-g", "0", "-G", "0", "ls", "/proc/self/fd"]);
    with_extra_fds(&mut via);
    let (d, v) = (run(&mut direct), run(&mut via));
    assert_eq!(code(&v), 0);
    assert_eq!(fd_list(&d), fd_list(&v));
    assert!(fd_list(&v).contains(&"5".to_string()) && fd_list(&v).contains(&"9".to_string()));
    // Closed standard descriptors stay closed (std's runtime would reopen
    // them on /dev/null; s6box's entry point does not). The shell checks
    // its own descriptors without opening any.
    let mut via = cmd("s6-applyuidgid");
    via.args([
        "sh",
        "-c",
        "for n in 0 1; do test -e /proc/$$/fd/$n && echo $n open >&2; done; exit 0",
    ]);
    // SAFETY: close in the child before exec.
    unsafe {
        via.pre_exec(|| {
            libc::close(0);
            libc::close(1);
            Ok(())
        });
    }
    let out = via.output().unwrap();
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out.stderr), "", "a closed standard descriptor was reopened");
}

/// The same cases through Debian's s6-applyuidgid: same exit code, same
/// stdout, same stderr.
#[test]
fn same_as_debian() {
    let Some(deb) = debian("s6-applyuidgid") else { return };
    let cases: &[&[&str]] = &[
        &[],
        &["-u", "1", "-g", "1", "id"],
        &["-u", "65534", "-g", "65534", "-G", "1,2", "id"],
        &["-G", "", "-g", "5", "id"],
        &["-g", "3", "-G", "1", "-g", "4", "id"],
        &["-G", "1,x", "id"],
        &["-G", "1,,2", "id"],
        &["-G", "1 2;3:4", "id"],
        &["-G", "7,3,7", "-g", "7", "id"],
        &["-G", "x", "id"],
        &["-u", "abc", "true"],
        &["-u", "-1", "true"],
        &["-u", "4294967295", "id"],
        &["-x", "true"],
        &["-U", "true"],
        &["s6box-no-such-program"],
        &["/etc/passwd"],
        &["-z", "--", "id"],
        &["-zg", "2", "id", "-G"],
    ];
    for args in cases {
        let a = ours(args);
        let b = run(Command::new(&deb)
            .args(*args)
            .env_remove("UID")
            .env_remove("GID")
            .env_remove("GIDLIST"));
        assert_eq!(code(&a), code(&b), "{args:?}");
        assert_eq!(text(&a.stdout), text(&b.stdout), "{args:?}");
        assert_eq!(text(&a.stderr), text(&b.stderr), "{args:?}");
    }
    let envs: &[&[(&str, &str)]] = &[
        &[("UID", "1"), ("GID", "2"), ("GIDLIST", "3,4")],
        &[("UID", "1"), ("GID", "2")],
        &[("UID", "x"), ("GID", "2"), ("GIDLIST", "")],
        &[("UID", "1"), ("GID", "2"), ("GIDLIST", "3,x")],
        &[("UID", "1"), ("GID", "2"), ("GIDLIST", "x")],
        &[("UID", "1"), ("GID", "2"), ("GIDLIST", "")],
    ];
    for vars in envs {
        let mut a = cmd("s6-applyuidgid");
        let mut b = Command::new(&deb);
        for c in [&mut a, &mut b] {
            c.env_remove("UID").env_remove("GID").env_remove("GIDLIST").args(["-U", "id"]);
            for (k, v) in *vars {
                c.env(k, v);
            }
        }
        let (a, b) = (run(&mut a), run(&mut b));
        assert_eq!(code(&a), code(&b), "{vars:?}");
        assert_eq!(a.stdout, b.stdout, "{vars:?}");
        assert_eq!(a.stderr, b.stderr, "{vars:?}");
    }
}

/// `with_creds(c, uids, gids, groups)`: the command starts with these
/// real, effective and saved uids and gids, and this supplementary list.
fn with_creds(c: &mut Command, uids: [u32; 3], gids: [u32; 3], groups: &[u32]) {
    let groups: Vec<libc::gid_t> = groups.to_vec();
    // SAFETY: runs in the child before exec; setgroups, setresgid and
    // setresuid are async-signal-safe system calls on local data.
    unsafe {
        c.pre_exec(move || {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                || libc::setresgid(gids[0], gids[1], gids[2]) != 0
                || libc::setresuid(uids[0], uids[1], uids[2]) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A process whose real, effective and saved ids differ (set-id programs,
/// `setpriv --euid`) is never left with one of them behind: Linux's
/// unprivileged setuid/setgid change only the effective id, so a real or
/// saved 0 would let the program take root back. Every id is set; where
/// the kernel allows that (the target is one of the current ids), the
/// program runs fully dropped, and its permitted capabilities are gone.
#[test]
fn mixed_ids_are_dropped_whole() {
    type Case<'a> = (&'a str, [u32; 3], [u32; 3], &'a [&'a str]);
    let cases: &[Case] = &[
        ("s6-applyuidgid", [0, 65534, 65534], [0; 3], &["-u", "65534"]),
        ("s6-applyuidgid", [0, 65534, 0], [0; 3], &["-u", "65534"]),
        ("s6-applyuidgid", [65534, 65534, 0], [0; 3], &["-u", "65534"]),
        ("s6-applyuidgid", [65534, 0, 0], [0; 3], &["-u", "65534"]),
        ("s6-applyuidgid", [1000; 3], [0, 65534, 65534], &["-g", "65534"]),
        ("s6-applyuidgid", [1000; 3], [65534, 65534, 0], &["-g", "65534"]),
        ("s6-applyuidgid", [1000; 3], [0, 65534, 0], &["-g", "65534"]),
        ("s6-applyuidgid", [0, 65534, 65534], [0, 65534, 65534], &["-u", "65534", "-g", "65534"]),
        ("s6-setuidgid", [0, 65534, 65534], [0, 65534, 65534], &["65534:65534"]),
        ("s6-setuidgid", [65534, 65534, 0], [65534, 65534, 0], &["65534:65534"]),
    ];
    for (applet, uids, gids, args) in cases {
        let mut c = cmd(applet);
        c.args(*args).args(["cat", "/proc/self/status"]);
        // s6-setuidgid sets the list too: already in place here, or the
        // unprivileged setgroups would be refused.
        let groups: &[u32] = if *applet == "s6-setuidgid" { &[65534] } else { &[] };
        with_creds(&mut c, *uids, *gids, groups);
        let out = run(&mut c);
        let what = format!("{applet} {args:?} from uids {uids:?} gids {gids:?}");
        assert_eq!(code(&out), 0, "{what}: {}", text(&out.stderr));
        let t = text(&out.stdout);
        let uid = if args.contains(&"-g") && !args.contains(&"-u") { uids[1] } else { 65534 };
        let gid = if args.contains(&"-g") || *applet == "s6-setuidgid" { 65534 } else { gids[1] };
        assert_eq!(status_field(&t, "Uid"), format!("{uid}\t{uid}\t{uid}\t{uid}"), "{what}");
        assert_eq!(status_field(&t, "Gid"), format!("{gid}\t{gid}\t{gid}\t{gid}"), "{what}");
        assert_eq!(status_field(&t, "CapPrm"), "0000000000000000", "{what}");
    }
}

/// The group list counts as in place when it is the same set as the one
/// asked for (the target gid added first when missing): order, repeats
/// and the gid's own place do not matter (the kernel keeps the list
/// sorted), but the gid must be in the list itself: an effective gid that
/// grants the same access is not the list asked for. As nobody, where
/// setgroups would fail, so a skip shows as success.
#[test]
fn group_list_already_in_place_is_a_set_comparison() {
    let nobody = [65534; 3];
    let ok: &[(&[u32], &str)] = &[
        (&[2, 1, 1, 65534], "1,2"),
        (&[65534, 1, 2], "2,1,2,1"),
        (&[1, 2, 65534], "65534,1,2"),
        (&[1, 2, 65534], "1,2"),
        (&[65534], ""),
    ];
    for (have, ask) in ok {
        let mut c = cmd("s6-applyuidgid");
        c.args(["-u", "65534", "-g", "65534", "-G", ask, "cat", "/proc/self/status"]);
        with_creds(&mut c, nobody, nobody, have);
        let out = run(&mut c);
        assert_eq!(code(&out), 0, "have {have:?}, ask {ask:?}: {}", text(&out.stderr));
        let t = text(&out.stdout);
        assert_eq!(status_field(&t, "Uid"), "65534\t65534\t65534\t65534");
        assert_eq!(status_field(&t, "Gid"), "65534\t65534\t65534\t65534");
    }
    // A group more or a group less is a real change: refused, nothing runs.
    let refused: &[(&[u32], &str)] = &[
        (&[1, 2, 65534], "1"),
        (&[1, 65534], "1,2"),
        (&[1, 2], "1,3"),
        (&[1], ""),
        (&[], ""),
        (&[1, 2], "1,2"),
    ];
    for (have, ask) in refused {
        let mut c = cmd("s6-applyuidgid");
        c.args(["-u", "65534", "-g", "65534", "-G", ask, "echo", "ran"]);
        with_creds(&mut c, nobody, nobody, have);
        let out = run(&mut c);
        assert_eq!(code(&out), 111, "have {have:?}, ask {ask:?}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            text(&out.stderr),
            "s6-applyuidgid: fatal: unable to set supplementary group list: Operation not permitted\n"
        );
    }
}

#[test]
fn supplementary_list_set_when_the_caller_has_none() {
    // An empty list at start does not count as "already in place": -G (or
    // -g alone with an empty -G) gives the list that was asked for.
    let deb = common::debian("s6-applyuidgid");
    for args in [
        &["-u", "65534", "-g", "65534", "-G", "65534"][..],
        &["-g", "0", "-G", "0"],
        &["-g", "0", "-G", ""],
    ] {
        for program in std::iter::once(common::applet("s6-applyuidgid")).chain(deb.clone()) {
            let out = common::run(
                std::process::Command::new("setpriv")
                    .arg("--clear-groups")
                    .arg(&program)
                    .args(args)
                    .args(["grep", "^Groups:", "/proc/self/status"]),
            );
            assert_eq!(common::code(&out), 0, "{}", common::text(&out.stderr));
            let want = format!("Groups:\t{}", args[args.len() - 3]);
            assert_eq!(
                common::text(&out.stdout).trim_end(),
                want,
                "{} {args:?}",
                program.display()
            );
        }
    }
}
