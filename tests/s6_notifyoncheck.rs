//! s6-notifyoncheck under a real supervisor (the 2.15 reference
//! s6-supervise, and s6box's own): readiness reported once the check succeeds, the
//! checker gives up when prog dies, and start-up errors as the reference.

mod common;

use common::Tmp;
use common::sv::{self, Supervisor};
use common::{cmd, code, reference, run, text};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `service(dir, opts)`: a service whose run is `s6-notifyoncheck OPTS
/// sleep 1000`, its check `[ -e ok ]` in `data/check`.
fn service(dir: &Path, opts: &str) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("notification-fd"), "3\n").unwrap();
    let me = common::applet("s6-notifyoncheck");
    sv::service(dir, &format!("exec {} {opts} sleep 1000", me.display()));
    common::script(&dir.join("data/check"), "[ -e ok ]");
}

/// `supervise(dir, ours)`: the reference s6-supervise on `dir`, or
/// s6box's own when `ours`; told to bring the service down and exit at
/// the end of the test (then killed if it has not).
fn supervise(dir: &Path, ours: bool) -> Option<Supervisor> {
    let prog = if ours { sv::ours() } else { reference("s6-supervise")? };
    Some(Supervisor::start(&prog, dir))
}

/// `svstat(dir, fields)`: the reference s6-svstat's answer.
fn svstat(dir: &Path, fields: &str) -> String {
    let r = reference("s6-svstat").unwrap();
    text(&run(Command::new(r).args(["-o", fields]).arg(dir)).stdout).trim().to_string()
}

fn listeners(dir: &Path) -> usize {
    sv::listeners(dir).len()
}

#[test]
fn ready_when_the_check_succeeds() {
    ready_when_the_check_succeeds_under(false);
}

#[test]
fn ready_when_the_check_succeeds_under_s6box_supervise() {
    ready_when_the_check_succeeds_under(true);
}

fn ready_when_the_check_succeeds_under(ours: bool) {
    for opts in ["-w 50", "-d -w 50", "-w 50 -c \"test -e ok\""] {
        let t = Tmp::new(if ours { "notifyoncheck-own" } else { "notifyoncheck" });
        let dir = t.0.join("sv");
        service(&dir, opts);
        let Some(_s) = supervise(&dir, ours) else { return };
        common::poll(Duration::from_secs(10), "up", || {
            (svstat(&dir, "up") == "true").then_some(())
        });
        // The checker is subscribed: its fifo is there, and not ready yet.
        common::poll(Duration::from_secs(10), "checker", || {
            (sv::subscribers(&dir) == 1).then_some(())
        });
        assert_eq!(svstat(&dir, "ready"), "false", "{opts}");
        std::fs::write(dir.join("ok"), "").unwrap();
        common::poll(Duration::from_secs(10), "ready", || {
            (svstat(&dir, "ready") == "true").then_some(())
        });
        common::poll(Duration::from_secs(10), "checker gone", || {
            (listeners(&dir) == 0).then_some(())
        });
    }
}

#[test]
fn gives_up_when_prog_dies() {
    gives_up_when_prog_dies_under(false);
}

#[test]
fn gives_up_when_prog_dies_under_s6box_supervise() {
    gives_up_when_prog_dies_under(true);
}

fn gives_up_when_prog_dies_under(ours: bool) {
    let t = Tmp::new(if ours { "notifyoncheck-dies-own" } else { "notifyoncheck-dies" });
    let dir = t.0.join("sv");
    service(&dir, "-n 0 -w 50");
    let Some(_s) = supervise(&dir, ours) else { return };
    common::poll(Duration::from_secs(10), "checker", || (sv::subscribers(&dir) == 1).then_some(()));
    let control = dir.join("supervise/control");
    std::fs::OpenOptions::new().write(true).open(&control).unwrap().write_all(b"d").unwrap();
    common::poll(Duration::from_secs(10), "checker gone", || (listeners(&dir) == 0).then_some(()));
    assert_eq!(svstat(&dir, "up"), "false");
}

#[test]
fn start_up_errors_as_the_reference() {
    let Some(r) = reference("s6-notifyoncheck") else { return };
    let t = Tmp::new("notifyoncheck-err");
    let cases: &[(&str, &[&str])] = &[
        ("abc\n", &["true"]),
        ("3x\n", &["true"]),
        ("  3\n", &["true"]),
        ("3", &["true"]),
        ("3\n", &["-3", "x", "true"]),
        ("3\n", &["-3", "5", "true"]),
        ("3\n", &["-s", "x", "true"]),
        ("3\n", &["-w", "x", "-s", "y", "true"]),
        ("3\n", &["-n", "x", "-T", "y", "true"]),
        ("3\n", &["-t", "x", "-T", "y", "true"]),
        ("3\n", &["-3", "1", "true"]),
        ("3\n", &["-3", "1"]),
        ("3\n", &["-x"]),
        ("3\n", &["-3", "2147483648", "true"]),
    ];
    for (content, args) in cases {
        std::fs::write(t.0.join("notification-fd"), content).unwrap();
        // Descriptor 3 is open (on /dev/null) for both.
        let null = std::fs::File::open("/dev/null").unwrap();
        let with3 = |c: &mut Command| {
            use std::os::fd::AsRawFd;
            common::fds_to(c, &[(null.as_raw_fd(), 3)]);
        };
        let mut a = cmd("s6-notifyoncheck");
        a.current_dir(&t.0).args(*args);
        with3(&mut a);
        let mut b = Command::new(&r);
        b.current_dir(&t.0).args(*args);
        with3(&mut b);
        let (a, b) = (run(&mut a), run(&mut b));
        assert_eq!(
            (code(&a), text(&a.stderr)),
            (code(&b), text(&b.stderr)),
            "{content:?} {args:?}"
        );
    }
    std::fs::remove_file(t.0.join("notification-fd")).unwrap();
    let a = run(cmd("s6-notifyoncheck").current_dir(&t.0).arg("true"));
    let b = run(Command::new(&r).current_dir(&t.0).arg("true"));
    assert_eq!((code(&a), text(&a.stderr)), (code(&b), text(&b.stderr)));
}
