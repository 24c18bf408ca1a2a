//! s6-svlink and s6-svunlink with a running s6-svscan (the 2.15
//! reference, and s6box's own): link, wait for the supervisors, unlink, wait for their
//! exit; errors and timeouts as the reference.

mod common;

use common::sv;
use common::{cmd, code, reference, run, text};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::Tmp;

/// A reference s6-svscan, stopped with its supervisors at the end.
struct Scanner(Child, PathBuf);
impl Drop for Scanner {
    fn drop(&mut self) {
        common::kill(self.0.id() as i32, libc::SIGCONT);
        if let Some(ctl) = reference("s6-svscanctl") {
            let _ = run(Command::new(ctl).arg("-t").arg(&self.1));
        }
        common::end_child(&mut self.0, Duration::from_secs(10));
    }
}

fn scanner(dir: &Path) -> Option<Scanner> {
    scanner_with(dir, false)
}

/// `scanner_with(dir, ours)`: the reference s6-svscan, or s6box's own
/// (its s6-supervise found first in PATH) when `ours`.
fn scanner_with(dir: &Path, ours: bool) -> Option<Scanner> {
    let mut c = if ours {
        let path = format!(
            "{}:{}",
            common::links().display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        let mut c = cmd("s6-svscan");
        c.env("PATH", path);
        c
    } else {
        Command::new(reference("s6-svscan")?)
    };
    std::fs::create_dir_all(dir).unwrap();
    let child = c
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let s = Scanner(child, dir.to_path_buf());
    // Ready once it reads its control fifo (it makes the fifo, then
    // opens it: a writer in between would get ENXIO).
    common::poll(Duration::from_secs(10), "svscan", || {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(dir.join(".s6-svscan/control"))
            .ok()
            .map(drop)
    });
    Some(s)
}

/// `service(dir, log)`: a service that stays up, with a logger if asked.
fn service(dir: &Path, log: bool) {
    sv::service(dir, sv::SLEEPER);
    if log {
        sv::service(&dir.join("log"), sv::SLEEPER);
    }
}

fn supervised(dir: &Path) -> bool {
    let r = reference("s6-svok").unwrap();
    code(&run(Command::new(r).arg(dir))) == 0
}

/// `gone(dir)`: the supervisor of `dir` has exited (it sends `x` just
/// before exiting, so its lock may outlive the event by a moment).
fn gone(dir: &Path) {
    common::poll(Duration::from_secs(10), "supervisor exit", || (!supervised(dir)).then_some(()));
}

fn fifos(dir: &Path) -> usize {
    sv::listeners(dir).len()
}

#[test]
fn link_then_unlink() {
    link_then_unlink_under(false);
}

#[test]
fn link_then_unlink_under_s6box_svscan() {
    link_then_unlink_under(true);
}

fn link_then_unlink_under(ours: bool) {
    let t = Tmp::new(if ours { "svlink-own" } else { "svlink" });
    let scan = t.0.join("scan");
    let Some(_s) = scanner_with(&scan, ours) else { return };
    let a = t.0.join("a");
    service(&a, false);
    let out = run(cmd("s6-svlink").args(["-t", "20000"]).arg(&scan).arg(&a));
    assert_eq!((code(&out), text(&out.stderr)), (0, String::new()));
    assert_eq!(std::fs::read_link(scan.join("a")).unwrap(), a);
    assert!(supervised(&a), "supervisor running when s6-svlink returns");
    assert_eq!(std::fs::metadata(a.join("event")).unwrap().permissions().mode() & 0o7777, 0o3730);
    assert_eq!(fifos(&a), 0);
    let out = run(cmd("s6-svunlink").args(["-t", "20000"]).arg(&scan).arg("a"));
    assert_eq!((code(&out), text(&out.stderr)), (0, String::new()));
    assert!(!scan.join("a").exists());
    // `x` comes just before the supervisor exits (and drops its lock).
    gone(&a);
    assert_eq!(fifos(&a), 0);

    // A logged service, down files, a public event directory, a name.
    let b = t.0.join("b");
    service(&b, true);
    let out = run(cmd("s6-svlink").args(["-D", "-P", "-t", "20000"]).arg(&scan).arg(&b).arg("bee"));
    assert_eq!((code(&out), text(&out.stderr)), (0, String::new()));
    assert!(supervised(&b) && supervised(&b.join("log")));
    assert!(b.join("down").exists() && b.join("log/down").exists());
    assert_eq!(std::fs::metadata(b.join("event")).unwrap().permissions().mode() & 0o7777, 0o1733);
    let out = run(cmd("s6-svunlink").args(["-t", "20000"]).arg(&scan).arg("bee"));
    assert_eq!(code(&out), 0);
    gone(&b);
    gone(&b.join("log"));
    std::fs::remove_file(b.join("down")).unwrap();
    std::fs::remove_file(b.join("log/down")).unwrap();
    // -d: started down, ./down removed once supervised (2.15 leaves the
    // logger's).
    let out = run(cmd("s6-svlink").args(["-d", "-t", "20000"]).arg(&scan).arg(&b));
    assert_eq!(code(&out), 0);
    assert!(!b.join("down").exists() && b.join("log/down").exists());
    let r = reference("s6-svstat").unwrap();
    assert_eq!(text(&run(Command::new(&r).args(["-o", "up"]).arg(&b)).stdout), "false\n");
    // Already supervised: a warning, no error.
    let out = run(cmd("s6-svlink").args(["-t", "20000"]).arg(&scan).arg(&b));
    assert_eq!(code(&out), 0);
    assert!(text(&out.stderr).contains("warning: supervisor already running on"));
    let out = run(cmd("s6-svunlink").args(["-X"]).arg(&scan).arg("b"));
    assert_eq!(code(&out), 0);
    assert!(!scan.join("b").exists());
}

#[test]
fn errors_as_the_reference() {
    let Some(r) = reference("s6-svlink") else { return };
    let Some(ru) = reference("s6-svunlink") else { return };
    let t = Tmp::new("svlink-err");
    let scan = t.0.join("scan");
    let Some(_s) = scanner(&scan) else { return };
    std::fs::create_dir_all(t.0.join("fake/.s6-svscan")).unwrap();
    std::fs::write(t.0.join("fake/.s6-svscan/lock"), "").unwrap();
    std::fs::create_dir_all(t.0.join("norun")).unwrap();
    service(&t.0.join("nolog"), false);
    std::fs::create_dir_all(t.0.join("nolog/log")).unwrap();
    service(&t.0.join("evfile"), false);
    std::fs::write(t.0.join("evfile/event"), "").unwrap();
    service(&t.0.join("ok"), false);
    // The name taken by another service (a dangling link would do, but
    // s6-svscan removes one if it scans before the case runs).
    service(&t.0.join("other"), false);
    std::os::unix::fs::symlink(t.0.join("other"), scan.join("taken")).unwrap();
    let cases: &[&[&str]] = &[
        &["fake", "ok"],
        &["missing", "ok"],
        &["scan", "norun"],
        &["scan", "nolog"],
        &["scan", "missing"],
        &["scan", "evfile"],
        &["scan", "ok", "taken"],
        &["-t", "x", "scan", "ok"],
        &["-z", "scan", "ok"],
        &["scan"],
        &["", "ok"],
        &["scan", ""],
        &["", ""],
        &["scan", "", ""],
        &["scan", "ok", ""],
        &["scan", "ok", "."],
        &["scan", "ok", ".."],
        &["scan", "ok", ".x"],
        &["scan", "ok", "/x"],
        &["scan", "/"],
        &["scan", "/x/.hid"],
        &["scan", "."],
    ];
    for args in cases {
        let a = run(cmd("s6-svlink").current_dir(&t.0).args(*args));
        let b = run(Command::new(&r).current_dir(&t.0).args(*args));
        assert_eq!((code(&a), text(&a.stderr)), (code(&b), text(&b.stderr)), "{args:?}");
    }
    for args in [
        &["scan", "missing"][..],
        &["missing", "x"],
        &["-t", "x", "scan", "a"],
        &["scan"],
        &["scan", ""],
        &["scan", "."],
        &["scan", ".."],
        &["scan", ".x"],
        &["scan", "/"],
        &["scan", "/x"],
        &["", ""],
    ] {
        let a = run(cmd("s6-svunlink").current_dir(&t.0).args(args));
        let b = run(Command::new(&ru).current_dir(&t.0).args(args));
        assert_eq!((code(&a), text(&a.stderr)), (code(&b), text(&b.stderr)), "{args:?}");
    }
}

#[test]
fn timeout_takes_the_link_back() {
    let t = Tmp::new("svlink-timeout");
    let scan = t.0.join("scan");
    let Some(s) = scanner(&scan) else { return };
    let a = t.0.join("a");
    service(&a, false);
    common::kill(s.0.id() as i32, libc::SIGSTOP);
    let out = run(cmd("s6-svlink").args(["-t", "200"]).arg(&scan).arg(&a));
    common::kill(s.0.id() as i32, libc::SIGCONT);
    assert_eq!(code(&out), 99);
    assert_eq!(
        text(&out.stderr).replace("Connection timed out", "Operation timed out"),
        format!(
            "s6-svlink: fatal: unable to link servicedir {} into scandir {} with name a: Operation timed out\n",
            a.display(),
            scan.display()
        )
    );
    assert!(std::fs::symlink_metadata(scan.join("a")).is_err(), "link taken back");
    assert_eq!(fifos(&a), 0);
}

/// s6-svunlink with an empty scandir: 100, `invalid scandir` as
/// s6-svlink words it (2.15 would unlink the name under `/`).
#[test]
fn svunlink_empty_scandir() {
    let out = run(cmd("s6-svunlink").args(["", "h20c-nonexistent"]));
    assert_eq!(
        (code(&out), text(&out.stderr)),
        (100, "s6-svunlink: fatal: invalid scandir\n".to_string())
    );
}
