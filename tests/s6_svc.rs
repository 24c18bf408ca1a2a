//! s6-svc: the bytes written (letters, -s, command-line order, several
//! directories), every failure's message and exit code (102, 1, 111, 100)
//! as the 2.15 reference, and -w? waits against live supervisors (2.15,
//! 2.11): reached, timed out (99), permanent failure and supervisor exit
//! (1, or their number), done in one process.
mod common;

use common::Tmp;
use common::sv;
use common::sv::{Supervisor, compare, supervisors};
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// A fake supervisor: `supervise/control` held open for reading by this
/// test, so the bytes a client writes can be read back.
struct Fifo {
    file: std::fs::File,
}

impl Fifo {
    fn new(dir: &Path) -> Fifo {
        std::fs::create_dir_all(dir.join("supervise")).unwrap();
        let p = dir.join("supervise/control");
        let file = common::fifo_reader(&p, 0o600);
        assert!(std::fs::metadata(&p).unwrap().file_type().is_fifo());
        Fifo { file }
    }

    fn take(&mut self) -> Vec<u8> {
        let mut buf = vec![0u8; 4096];
        match self.file.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(_) => Vec::new(),
        }
    }
}

#[test]
fn bytes_written_match_the_reference() {
    let d = Tmp::new("svc-bytes");
    let mut f = Fifo::new(&d.path("sv"));
    let mut g = Fifo::new(&d.path("sv2"));
    let cases: &[&[&str]] = &[
        &["-abqhkti12pcyrPCKoduDUxOQ"],
        &["-s", "USR1", "-d"],
        &["-s", "SIGUSR2"],
        &["-s", "usr1"],
        &["-s", "1", "-s", "2"],
        &["-s", "STOP", "-s", "CONT", "-s", "WINCH", "-s", "19"],
        &["-T", "5", "-u"],
        &["-ud"],
        &[],
    ];
    for args in cases {
        let mut all = args.to_vec();
        all.extend(["sv", "sv2"]);
        let ours = common::run(common::cmd("s6-svc").current_dir(&d.0).args(&all));
        assert_eq!(common::code(&ours), 0, "{args:?}: {}", common::text(&ours.stderr));
        let (mine, mine2) = (f.take(), g.take());
        assert_eq!(mine, mine2, "{args:?}: both directories get the same bytes");
        if let Some(r) = common::reference("s6-svc") {
            common::run(std::process::Command::new(r).current_dir(&d.0).args(&all));
            assert_eq!(mine, f.take(), "{args:?}");
            g.take();
        }
    }
}

#[test]
fn usage_and_signal_errors() {
    let d = Tmp::new("svc-usage");
    let _f = Fifo::new(&d.path("sv"));
    for args in [
        &["-s", "FOO", "sv"][..],
        &["-s", "PIPE", "sv"],
        &["-s", "0", "sv"],
        &["-s", "40", "sv"],
        &["-s", "", "sv"],
        &["-s", "99999999999", "sv"],
        &["-T", "x", "-u", "sv"],
        &["-wx", "sv"],
        &["-w", "", "sv"],
        &["-z", "sv"],
        &["-X", "sv"],
        &["-u"],
        &[],
    ] {
        let out = compare("s6-svc", &d.0, args)
            .unwrap_or_else(|| common::run(common::cmd("s6-svc").current_dir(&d.0).args(args)));
        assert_eq!(common::code(&out), 100, "{args:?}");
    }
}

fn error_tree() -> Tmp {
    let d = Tmp::new("svc-errors");
    std::fs::create_dir_all(d.path("nosup")).unwrap();
    std::fs::create_dir_all(d.path("nocontrol/supervise")).unwrap();
    std::fs::write(d.path("afile"), "").unwrap();
    std::fs::create_dir_all(d.path("badsup")).unwrap();
    std::fs::write(d.path("badsup/supervise"), "").unwrap();
    let p = d.path("noreader/supervise");
    std::fs::create_dir_all(&p).unwrap();
    common::mkfifo(&p.join("control"), 0o600);
    d
}

#[test]
fn failures_match_the_reference() {
    let d = error_tree();
    let expect = [
        ("nosup", 102),
        ("noreader", 102),
        ("nocontrol", 1),
        ("badsup", 1),
        ("nonexistent", 111),
        ("afile", 111),
    ];
    for (dir, code) in expect {
        for args in [vec!["-u", dir], vec![dir]] {
            let out = compare("s6-svc", &d.0, &args).unwrap_or_else(|| {
                common::run(common::cmd("s6-svc").current_dir(&d.0).args(&args))
            });
            assert_eq!(common::code(&out), code, "{args:?}");
        }
    }
    // Several directories: each is tried, the last failure's code wins.
    for args in [
        &["-u", "nosup", "afile"][..],
        &["-u", "afile", "nosup"],
        &["-u", "nocontrol", "nosup"],
        &["-u", "nosup", "nocontrol"],
    ] {
        compare("s6-svc", &d.0, args);
    }
    let out = common::run(common::cmd("s6-svc").current_dir(&d.0).args(["-u", "nocontrol"]));
    assert_eq!(
        common::text(&out.stderr),
        "s6-svc: warning: something is wrong with the nocontrol/supervise directory: No such file or directory\n"
    );
    // -w on directories that cannot be waited for: 111 before anything is sent.
    for args in [
        &["-wu", "-u", "nosup"][..],
        &["-wu", "-u", "nonexistent"],
        &["-wu", "-u", "afile"],
        &["-wu", "-u", "badsup"],
        &["-wu", "-u", "noreader"],
        &["-wd", "nonexistent"],
    ] {
        let out = compare("s6-svc", &d.0, args)
            .unwrap_or_else(|| common::run(common::cmd("s6-svc").current_dir(&d.0).args(args)));
        assert_eq!(common::code(&out), 111, "{args:?}");
    }
    // s6box names itself where 2.15 names its helper.
    let out = common::run(common::cmd("s6-svc").current_dir(&d.0).args(["-wu", "-u", "nosup"]));
    assert_eq!(
        common::text(&out.stderr),
        "s6-svc: fatal: unable to s6_svstatus_read: No such file or directory\n"
    );
    assert!(sv::listeners(&d.path("nosup")).is_empty(), "no fifo left");
}

/// An empty service path: 100, `invalid service path`, nothing sent (as
/// 2.15 for the first directory; s6box checks them all first).
#[test]
fn empty_service_path() {
    let d = Tmp::new("svc-empty");
    let sv = d.service("sv", sv::SLEEPER, true);
    for args in [&["-u", ""][..], &["-wu", "-T", "100", "-u", ""], &["-u", "", "sv"], &[""]] {
        compare("s6-svc", &d.0, args);
    }
    std::fs::create_dir_all(sv.join("supervise")).unwrap();
    let mut fifo = Fifo::new(&sv);
    for args in [&["-u", ""][..], &["-u", "sv", ""], &["-wu", "-T", "100", "-u", "sv", ""]] {
        let out = common::run(common::cmd("s6-svc").current_dir(&d.0).args(args));
        assert_eq!(
            (common::code(&out), common::text(&out.stderr)),
            (100, "s6-svc: fatal: invalid service path\n".to_string()),
            "{args:?}"
        );
        assert_eq!(fifo.take(), b"", "{args:?}: nothing sent");
    }
}

#[test]
fn waits_against_live_supervisors() {
    for (label, sup) in supervisors() {
        let d = Tmp::new(&format!("svc-wait-{label}"));
        let sv = d.service("sv", sv::SLEEPER, true);
        let _s = Supervisor::start(&sup, &sv);
        sv::wait_down(&sv);
        for (args, up) in [
            (&["-wu", "-T", "20000", "-u", "sv"][..], true),
            (&["-wD", "-T", "20000", "-d", "sv"], false),
            (&["-wU", "-T", "20000", "-u", "sv"], true),
            (&["-wd", "-T", "20000", "-d", "sv"], false),
            (&["-wd", "-T", "20000", "sv"], false),
        ] {
            let out = common::run(common::cmd("s6-svc").current_dir(&d.0).args(args));
            assert_eq!(common::code(&out), 0, "{label} {args:?}: {}", common::text(&out.stderr));
            let st = sv::status(&sv).unwrap();
            assert_eq!(st.up(), up, "{label} {args:?}: state reached when s6-svc returns");
            if args[0] == "-wU" {
                assert_eq!(
                    common::text(&out.stderr),
                    "s6-svc: warning: sv/notification-fd not present - ignoring request for readiness notification\n"
                );
            }
            assert!(sv::listeners(&sv).is_empty(), "{label}: fifo removed");
        }
        // Already in the state: at once, whatever the reference says.
        compare("s6-svc", &d.0, &["-wd", "-T", "20000", "sv"]);
        // Timed out: 99.
        let out = compare("s6-svc", &d.0, &["-wu", "-T", "200", "-O", "sv"]).unwrap_or_else(|| {
            common::run(common::cmd("s6-svc").current_dir(&d.0).args(["-wu", "-T", "200", "sv"]))
        });
        assert_eq!(common::code(&out), 99);
        assert_eq!(common::text(&out.stderr), "s6-svc: fatal: timed out\n");
        assert!(sv::listeners(&sv).is_empty(), "{label}: fifo removed on timeout");
    }
}

#[test]
fn readiness_and_failures() {
    for (label, sup) in supervisors() {
        let d = Tmp::new(&format!("svc-fail-{label}"));
        let rd = sv::ready_service(&d, "rd");
        let pf = sv::permafail_service(&d, "pf");
        let x1 = d.service("x1", sv::SLEEPER, true);
        let x2 = d.service("x2", sv::SLEEPER, true);
        let _s = [&rd, &pf, &x1, &x2].map(|p| Supervisor::start(&sup, p));
        let out = common::run(
            common::cmd("s6-svc").current_dir(&d.0).args(["-wU", "-T", "20000", "-u", "rd"]),
        );
        assert_eq!(common::code(&out), 0, "{label}: {}", common::text(&out.stderr));
        assert!(sv::status(&rd).unwrap().ready(), "{label}: ready when -wU returns");
        assert!(out.stderr.is_empty());
        // Permanent failure before readiness: 1.
        if label == "2.15" {
            let out = compare("s6-svc", &d.0, &["-wU", "-T", "20000", "-u", "pf"]).unwrap();
            assert_eq!(common::code(&out), 1);
        }
        // Supervisors exiting once down: no failure (2.15 too).
        for (dirs, who) in [(["e1", "e2"], "s6box"), (["e3", "e4"], "2.15")] {
            let prog = match who {
                "s6box" => common::applet("s6-svc"),
                _ => match common::reference("s6-svc") {
                    Some(p) => p,
                    None => continue,
                },
            };
            let [a, b] = dirs.map(|n| d.service(n, sv::SLEEPER, false));
            let _s = [&a, &b].map(|p| Supervisor::start(&sup, p));
            sv::wait_up(&a);
            sv::wait_up(&b);
            let args = ["-wD", "-T", "20000", "-dx", dirs[0], dirs[1]];
            let out = sv::run_in(&prog, &d.0, &args);
            assert_eq!(common::code(&out), 0, "{label} {who}: {}", common::text(&out.stderr));
            assert!(out.stderr.is_empty(), "{label} {who}");
        }
        // Supervisors exiting: their number.
        let out = common::run(
            common::cmd("s6-svc").current_dir(&d.0).args(["-wu", "-T", "20000", "-x", "x1", "x2"]),
        );
        assert_eq!(common::code(&out), 2, "{label}: {}", common::text(&out.stderr));
        assert_eq!(
            common::text(&out.stderr),
            "s6-svc: fatal: some services reported permanent failure or their supervisor died\n"
        );
    }
}

#[test]
fn permission_denied_as_nobody() {
    let Some((_, sup)) = supervisors().into_iter().next() else { return };
    let d = Tmp::new("svc-nobody");
    let sv = d.service("sv", sv::SLEEPER, true);
    let _s = Supervisor::start(&sup, &sv);
    for args in [&["-u"][..], &["-wu", "-u"], &["-wd", "-T", "100"]] {
        let ours = common::run(sv::as_nobody(&mut common::cmd("s6-svc")).args(args).arg(&sv));
        assert_eq!(common::code(&ours), 111, "{args:?}");
        if let Some(r) = common::reference("s6-svc") {
            let theirs = common::run(
                sv::as_nobody(&mut std::process::Command::new(r))
                    .env("PATH", sv::path_with_reference())
                    .args(args)
                    .arg(&sv),
            );
            assert_eq!(theirs.status.code(), ours.status.code(), "{args:?}");
            assert_eq!(sv::as_svc(&common::text(&theirs.stderr)), common::text(&ours.stderr));
        }
    }
    assert!(!sv::status(&sv).unwrap().up(), "nothing was sent");
}
