//! s6-svwait: subscribe, read the status, follow the events; -a/-o, the
//! exit codes of 2.15 (0, 99, 1 or the number of supervisors gone, 111),
//! in one process, leaving no fifo behind even when killed.
mod common;

use common::Tmp;
use common::sv;
use common::sv::{Supervisor, compare, listeners, supervisors};
use std::process::{Command, Stdio};

/// A client started in the background in `cwd`, reaped on drop.
struct Bg(common::Reaped);

impl Bg {
    fn start(program: &std::path::Path, cwd: &std::path::Path, args: &[&str]) -> Bg {
        Bg(common::Reaped::spawn(
            Command::new(program)
                .current_dir(cwd)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        ))
    }
    fn finish(mut self) -> (i32, String) {
        let mut err = String::new();
        use std::io::Read;
        self.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let st = self.0.wait().unwrap();
        (st.code().unwrap_or(-1), err)
    }
}

/// `subscribed(dirs, n)`: waits until each dir has `n` subscribed
/// listeners (an event sent while a fifo still has its dot-name is lost).
fn subscribed(dirs: &[&std::path::Path], n: usize) {
    common::poll(common::LONG, "the listeners", || {
        dirs.iter().all(|d| sv::subscribers(d) >= n).then_some(())
    });
}

fn svc(cwd: &std::path::Path, args: &[&str]) {
    let out = common::run(common::cmd("s6-svc").current_dir(cwd).args(args));
    assert_eq!(common::code(&out), 0, "s6-svc {args:?}: {}", common::text(&out.stderr));
}

const SOME: &str = "some services reported permanent failure or their supervisor died\n";

/// Runs the scenario `act` with both s6box's and the reference's
/// s6-svwait listening at once; both must end the same way.
fn scenario(
    sup: &std::path::Path,
    tag: &str,
    services: &[(&str, u8)],
    args: &[&str],
    act: impl Fn(&std::path::Path),
    expect: i32,
) {
    let d = Tmp::new(tag);
    let mut sups = Vec::new();
    let mut dirs = Vec::new();
    for &(name, kind) in services {
        let p = match kind {
            b'r' => sv::ready_service(&d, name),
            b'p' => sv::permafail_service(&d, name),
            b'u' => d.service(name, sv::SLEEPER, false),
            _ => d.service(name, sv::SLEEPER, true),
        };
        sups.push(Supervisor::start(sup, &p));
        if kind == b'u' {
            sv::wait_up(&p);
        } else {
            sv::wait_down(&p);
        }
        dirs.push(p);
    }
    let mut all = args.to_vec();
    all.extend(services.iter().map(|s| s.0));
    let ours = Bg::start(&common::applet("s6-svwait"), &d.0, &all);
    let theirs = common::reference("s6-svwait").map(|r| Bg::start(&r, &d.0, &all));
    let dir_refs: Vec<&std::path::Path> = dirs.iter().map(|p| p.as_path()).collect();
    subscribed(&dir_refs, if theirs.is_some() { 2 } else { 1 });
    act(&d.0);
    let (code, err) = ours.finish();
    assert_eq!(code, expect, "{tag}: {err}");
    match code {
        0 => assert_eq!(err, ""),
        99 => assert_eq!(err, "s6-svwait: fatal: timed out\n"),
        _ => assert_eq!(err, format!("s6-svwait: fatal: {SOME}")),
    }
    if let Some(t) = theirs {
        let (tcode, terr) = t.finish();
        let terr = common::without_ftrigrd(&terr);
        assert_eq!((tcode, terr), (code, err), "{tag}: the reference ends the same way");
    }
    for p in &dirs {
        assert!(listeners(p).iter().all(|n| !n.starts_with("ftrig1")), "{tag}: fifos removed");
    }
}

#[test]
fn states_and_exit_codes() {
    for (label, sup) in supervisors() {
        let t = |s: &str| format!("svwait-{label}-{s}");
        scenario(
            &sup,
            &t("up"),
            &[("a", b'd')],
            &["-u", "-t", "20000"],
            |c| svc(c, &["-u", "a"]),
            0,
        );
        scenario(
            &sup,
            &t("ready"),
            &[("a", b'r')],
            &["-U", "-t", "20000"],
            |c| svc(c, &["-u", "a"]),
            0,
        );
        scenario(
            &sup,
            &t("down"),
            &[("a", b'u')],
            &["-D", "-t", "20000"],
            |c| svc(c, &["-d", "a"]),
            0,
        );
        scenario(
            &sup,
            &t("restart"),
            &[("a", b'd')],
            &["-r", "-t", "20000"],
            |c| svc(c, &["-u", "a"]),
            0,
        );
        scenario(&sup, &t("timeout"), &[("a", b'd')], &["-u", "-t", "300"], |_| {}, 99);
        scenario(
            &sup,
            &t("all"),
            &[("a", b'd'), ("b", b'd')],
            &["-u", "-t", "20000"],
            |c| {
                svc(c, &["-u", "a"]);
                svc(c, &["-u", "b"]);
            },
            0,
        );
        scenario(
            &sup,
            &t("or"),
            &[("a", b'd'), ("b", b'd')],
            &["-o", "-u", "-t", "20000"],
            |c| svc(c, &["-u", "b"]),
            0,
        );
        // Supervisors exiting: -o or one directory: 1; -a: their number.
        scenario(
            &sup,
            &t("x1"),
            &[("a", b'd')],
            &["-u", "-t", "20000"],
            |c| svc(c, &["-x", "a"]),
            1,
        );
        scenario(
            &sup,
            &t("xo"),
            &[("a", b'd'), ("b", b'd')],
            &["-o", "-u", "-t", "20000"],
            |c| svc(c, &["-x", "a"]),
            1,
        );
        scenario(
            &sup,
            &t("xx"),
            &[("a", b'd'), ("b", b'd')],
            &["-u", "-t", "20000"],
            |c| svc(c, &["-x", "a", "b"]),
            2,
        );
        // A supervisor exiting once its service is in the wanted state
        // is no failure (shutdown scripts: -dx on each, one at a time).
        scenario(
            &sup,
            &t("Dx"),
            &[("a", b'u'), ("b", b'u')],
            &["-D", "-t", "20000"],
            |c| {
                svc(c, &["-dx", "a"]);
                common::poll(common::LONG, "a's supervisor gone", || {
                    (!sv::locked(&c.join("a"))).then_some(())
                });
                svc(c, &["-dx", "b"]);
            },
            0,
        );
        // -a: one supervisor gone, the other never comes: timed out.
        scenario(
            &sup,
            &t("xa"),
            &[("a", b'd'), ("b", b'd')],
            &["-u", "-t", "500"],
            |c| svc(c, &["-x", "a"]),
            99,
        );
        // Permanent failure: one directory 1; -a with another pending: 99.
        scenario(
            &sup,
            &t("O1"),
            &[("a", b'p')],
            &["-U", "-t", "20000"],
            |c| svc(c, &["-u", "a"]),
            1,
        );
        scenario(
            &sup,
            &t("Oa"),
            &[("a", b'p'), ("b", b'r')],
            &["-U", "-t", "800"],
            |c| svc(c, &["-u", "a"]),
            99,
        );
    }
}

#[test]
fn no_directory_and_errors() {
    let d = Tmp::new("svwait-errors");
    std::fs::create_dir_all(d.path("nosup")).unwrap();
    std::fs::write(d.path("afile"), "").unwrap();
    let out = compare("s6-svwait", &d.0, &[])
        .unwrap_or_else(|| common::run(&mut common::cmd("s6-svwait")));
    assert_eq!(common::code(&out), 0);
    for args in [
        &["-u", "nosup"][..],
        &["-u", "nonexistent"],
        &["-u", "afile"],
        &["-u", "nosup", "nonexistent"],
        &["-t", "x", "nosup"],
        &["-z", "nosup"],
    ] {
        compare("s6-svwait", &d.0, args);
    }
    let out = common::run(common::cmd("s6-svwait").current_dir(&d.0).arg("nosup"));
    assert_eq!(common::code(&out), 111);
    assert!(listeners(&d.path("nosup")).is_empty(), "fifo removed on failure");
    // The listener made the fifodir, group-only, as s6's do.
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(d.path("nosup/event")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o7777, 0o3730);
}

/// An empty service path: 100 before subscribing (2.15 makes `/event`
/// and fails with 111; s6-svc words the check).
#[test]
fn empty_service_path() {
    let d = Tmp::new("svwait-empty");
    std::fs::create_dir_all(d.path("nosup")).unwrap();
    for args in [&["-u", ""][..], &["-u", "nosup", ""], &["-o", "-t", "100", "", "nosup"]] {
        let out = common::run(common::cmd("s6-svwait").current_dir(&d.0).args(args));
        assert_eq!(
            (common::code(&out), common::text(&out.stderr)),
            (100, "s6-svwait: fatal: invalid service path\n".to_string()),
            "{args:?}"
        );
        assert!(listeners(&d.path("nosup")).is_empty(), "{args:?}: no subscription");
    }
    let out = common::run(common::cmd("s6-svlisten1").current_dir(&d.0).args(["-u", "", "true"]));
    assert_eq!(
        (common::code(&out), common::text(&out.stderr)),
        (100, "s6-svlisten1: fatal: invalid service path\n".to_string())
    );
}

#[test]
fn stale_status_is_judged_on_the_file() {
    let Some((_, sup)) = supervisors().into_iter().next() else { return };
    let d = Tmp::new("svwait-stale");
    let sv = d.service("sv", sv::SLEEPER, true);
    let mut s = Supervisor::start(&sup, &sv);
    common::kill(s.pid() as i32, libc::SIGTERM);
    s.wait_exit();
    compare("s6-svwait", &d.0, &["-d", "sv"]);
    compare("s6-svwait", &d.0, &["-u", "-t", "200", "sv"]);
}

#[test]
fn killed_listener_leaves_no_fifo() {
    let d = Tmp::new("svwait-kill");
    let sv = d.service("sv", sv::SLEEPER, true);
    std::fs::create_dir_all(sv.join("supervise")).unwrap();
    std::fs::write(sv.join("supervise/status"), [0u8; 35]).unwrap();
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT] {
        let mut cmd = common::cmd("s6-svwait");
        common::sigstate(&mut cmd, &[], &[]);
        let mut child = cmd.args(["-u", "sv"]).current_dir(&d.0).spawn().unwrap();
        subscribed(&[&sv], 1);
        common::kill(child.id() as i32, sig);
        let st = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(st.signal(), Some(sig), "dies by the signal");
        assert!(listeners(&sv).is_empty(), "signal {sig}: fifo removed");
    }
    // An ignored signal stays ignored.
    let mut cmd = common::cmd("s6-svwait");
    common::sigstate(&mut cmd, &[libc::SIGHUP], &[]);
    let mut child = cmd
        .args(["-u", "-t", "300", "sv"])
        .current_dir(&d.0)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    subscribed(&[&sv], 1);
    common::kill(child.id() as i32, libc::SIGHUP);
    assert_eq!(child.wait().unwrap().code(), Some(99));
    assert!(listeners(&sv).is_empty());
}

#[test]
fn many_directories_and_huge_timeouts() {
    let d = Tmp::new("svwait-many");
    let mut names = Vec::new();
    for i in 0..12 {
        let name = format!("s{i}");
        let sv = d.service(&name, sv::SLEEPER, true);
        std::fs::create_dir_all(sv.join("supervise")).unwrap();
        std::fs::write(sv.join("supervise/status"), [0u8; 35]).unwrap();
        names.push(name);
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    // The longest timeout, 2^32-1 ms (2.15 fails on it: "unable to
    // ftrigr_startf"; a larger one is a usage error for both).
    let mut args = vec!["-d", "-t", "4294967295"];
    args.extend(&refs);
    let out = common::run(common::cmd("s6-svwait").current_dir(&d.0).args(&args));
    assert_eq!(common::code(&out), 0, "{}", common::text(&out.stderr));
    let mut args = vec!["-o", "-u", "-t", "200"];
    args.extend(&refs);
    let out = compare("s6-svwait", &d.0, &args)
        .unwrap_or_else(|| common::run(common::cmd("s6-svwait").current_dir(&d.0).args(&args)));
    assert_eq!(common::code(&out), 99);
    for n in &names {
        assert!(listeners(&d.path(n)).is_empty(), "{n}: fifo removed");
    }
    compare("s6-svwait", &d.0, &["-t", "4294967296", "s0"]);
}
