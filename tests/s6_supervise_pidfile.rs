//! s6-supervise's `pidfile` (the seed's feature, beyond s6): a daemon that
//! backgrounds itself is supervised directly. Small /bin/sh daemons; every
//! test kills what it started (see `common::sv::Svc`).

mod common;

use common::sv::*;
use common::*;
use std::process::{Command, Stdio};

/// A parent that starts `sleep 1000` in the background, writes its pid and
/// exits 0.
const SINGLE: &str = "#!/bin/sh\nsleep 1000 </dev/null >/dev/null 2>&1 &\necho $! > daemon.pid\n";

fn read_pid(s: &Svc) -> i32 {
    std::fs::read_to_string(s.path("daemon.pid")).unwrap().trim().parse().unwrap()
}

fn ppid(pid: i32) -> i32 {
    stat(pid).expect("a live process").1
}

#[test]
fn single_fork_daemon_is_the_service() {
    let mut s = Svc::new(
        "pf-single",
        &[("x:run", SINGLE), ("pidfile", "daemon.pid\n"), ("notification-fd", "3\n")],
    );
    s.start(&ours());
    // The parent's exit hands the service over: status pid = the daemon,
    // ready (notification-fd exists), no d nor second u.
    let st = s.wait_status("the daemon", |st| st.up() && st.ready());
    let daemon = read_pid(&s);
    assert_eq!(st.pid as i32, daemon);
    assert_eq!(ppid(daemon), s.sup_pid(), "re-parented to the supervisor");
    s.wait_events("suU");
    if let Some(svstat) = client("s6-svstat") {
        let out = text(&s.client(&svstat, &[]).stdout);
        assert!(out.starts_with(&format!("up (pid {daemon}")), "{out}");
    }
    // -k reaches the daemon; its death restarts the service.
    s.svc("-k");
    let st = s.wait_status("a new daemon", |st| st.up() && st.ready() && st.pid as i32 != daemon);
    assert_eq!(st.wstat, libc::SIGKILL as u16);
    assert!(!alive(daemon));
    s.wait_events("suUdDuU");
    let daemon = st.pid as i32;
    // -r: the down signal to the daemon, and a restart.
    s.svc("-r");
    let st = s.wait_status("restarted", |st| st.up() && st.ready() && st.pid as i32 != daemon);
    assert_eq!(st.wstat, libc::SIGTERM as u16);
    let daemon = st.pid as i32;
    // -d: down for good.
    s.svc("-d");
    let st = s.wait_status("down", |st| st.pid == 0);
    assert_eq!(st.wstat, libc::SIGTERM as u16);
    assert!(!alive(daemon));
    s.wait_events("suUdDuUdDuUdD");
    s.no_zombies();
    let tally = std::fs::read(s.path("supervise/death_tally")).unwrap();
    let recs: Vec<(u8, u8)> = tally.chunks(14).map(|c| (c[12], c[13])).collect();
    assert_eq!(recs, [(137, 9), (143, 15), (143, 15)]);
}

#[test]
fn pidfile_written_after_the_parent_exits() {
    // A double fork whose daemon writes its own pid a little later.
    let mut s = Svc::new(
        "pf-late",
        &[
            (
                "x:run",
                "#!/bin/sh\n( sh -c 'sleep 0.3; echo $$ > daemon.tmp; mv daemon.tmp daemon.pid; \
                 exec sleep 1000' </dev/null >/dev/null 2>&1 & )\n",
            ),
            ("pidfile", "daemon.pid\n"),
            ("notification-fd", "3\n"),
        ],
    );
    s.start(&ours());
    let st = s.wait_status("the daemon", |st| st.up() && st.ready());
    let daemon = read_pid(&s);
    assert_eq!(st.pid as i32, daemon);
    s.wait_events("suU");
    s.svc("-d");
    s.wait_status("down", |st| st.pid == 0);
    poll(LONG, "the daemon's end", || (!alive(daemon)).then_some(()));
    s.no_zombies();
}

#[test]
fn intermediate_still_running_when_the_parent_exits() {
    let mut s = Svc::new(
        "pf-inter",
        &[
            (
                "x:run",
                "#!/bin/sh\nsh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > daemon.pid; \
                 exec sleep 0.5' &\nwhile [ ! -s daemon.pid ]; do :; done\n",
            ),
            ("pidfile", "daemon.pid\n"),
        ],
    );
    s.start(&ours());
    let daemon = poll(LONG, "the daemon", || {
        let st = s.status();
        (st.up() && std::fs::read_to_string(s.path("daemon.pid")).is_ok_and(|t| t.ends_with('\n')))
            .then_some(st.pid as i32)
    });
    poll(LONG, "status pid = the daemon", || (s.status().pid as i32 == read_pid(&s)).then_some(()));
    let daemon = if daemon == read_pid(&s) { daemon } else { read_pid(&s) };
    // Once the intermediate is gone, the daemon is our child.
    poll(LONG, "re-parented", || (ppid(daemon) == s.sup_pid()).then_some(()));
    s.svc("-k");
    let st = s.wait_status("restarted", |st| st.up() && st.pid as i32 != daemon);
    assert!(!alive(daemon));
    let _ = st;
    s.svc("-d");
    s.no_zombies();
}

#[test]
fn parent_failure_is_the_death_of_the_service() {
    let mut s = Svc::new(
        "pf-fail",
        &[
            ("x:run", "#!/bin/sh\necho 12345 > daemon.pid\nexit 3\n"),
            ("pidfile", "daemon.pid\n"),
            ("down", ""),
        ],
    );
    s.start(&ours());
    s.svc("-o");
    let st = s.wait_status("down again", |st| st.pid == 0 && st.wstat == 0x300);
    assert!(!st.want_up());
    s.wait_events("sudD");
    s.wait_err("warning: ./run (parent) did not exit 0: the daemon is not watched");
    // Its pid file is not left behind to be read later.
    assert!(!s.path("daemon.pid").exists());
}

#[test]
fn stranger_pid_is_refused_and_left_alone() {
    let mut stranger = Command::new("sleep").arg("1000").stdin(Stdio::null()).spawn().unwrap();
    let pid = stranger.id() as i32;
    let mut s = Svc::new(
        "pf-stranger",
        &[
            ("x:run", &format!("#!/bin/sh\necho {pid} > daemon.pid\n")),
            ("pidfile", "daemon.pid\n"),
            ("down", ""),
        ],
    );
    s.start(&ours());
    s.svc("-o");
    s.wait_events("sudD");
    s.wait_err(&format!("warning: pidfile daemon.pid: pid {pid} is not a descendant of ./run"));
    assert_eq!(s.status().pid, 0);
    assert!(alive(pid));
    let _ = stranger.kill();
    let _ = stranger.wait();
}

#[test]
fn garbage_and_missing_pidfiles() {
    for (tag, body, why) in [
        ("pf-garbage", "echo 12x > daemon.pid", "does not contain a valid pid"),
        ("pf-zero", "echo 0 > daemon.pid", "invalid pid 0"),
        ("pf-missing", ":", "missing, and no descendant of ./run is left"),
    ] {
        let mut s = Svc::new(
            tag,
            &[
                ("x:run", &format!("#!/bin/sh\n{body}\n")),
                ("pidfile", "daemon.pid\n"),
                ("down", ""),
            ],
        );
        s.start(&ours());
        s.svc("-o");
        s.wait_events("sudD");
        s.wait_err(&format!("warning: pidfile daemon.pid: {why}"));
        s.no_zombies();
    }
}

#[test]
fn stale_pidfile_is_never_read() {
    let mut stranger = Command::new("sleep").arg("1000").stdin(Stdio::null()).spawn().unwrap();
    let pid = stranger.id() as i32;
    let mut s = Svc::new(
        "pf-stale",
        &[
            (
                "x:run",
                "#!/bin/sh\n( sh -c 'sleep 0.2; echo $$ > daemon.pid; exec sleep 1000' \
                 </dev/null >/dev/null 2>&1 & )\n",
            ),
            ("pidfile", "daemon.pid\n"),
            ("daemon.pid", &format!("{pid}\n")),
        ],
    );
    s.start(&ours());
    let st = s.wait_status("the real daemon", |st| {
        st.up() && st.pid as i32 != pid && {
            std::fs::read_to_string(s.path("daemon.pid"))
                .is_ok_and(|t| t.trim() == st.pid.to_string())
        }
    });
    assert!(alive(st.pid as i32));
    assert!(!s.err().contains("descendant"), "{}", s.err());
    let _ = stranger.kill();
    let _ = stranger.wait();
}

#[test]
fn orphans_are_reaped() {
    // The daemon keeps forking short-lived children that it does not wait
    // for; they come back to the supervisor and must not stay zombies.
    let mut s = Svc::new(
        "pf-orphans",
        &[
            (
                "x:run",
                "#!/bin/sh\n( sh -c 'echo $$ > daemon.pid; for i in 1 2 3 4 5; do \
                 ( true & ); done; exec sleep 1000' </dev/null >/dev/null 2>&1 & )\n",
            ),
            ("pidfile", "daemon.pid\n"),
        ],
    );
    s.start(&ours());
    poll(LONG, "status pid = the daemon", || {
        let st = s.status();
        std::fs::read_to_string(s.path("daemon.pid"))
            .is_ok_and(|t| st.up() && t.trim() == st.pid.to_string())
            .then_some(())
    });
    let daemon = s.status().pid as i32;
    // The orphans come and go; in the end only the daemon is left.
    poll(LONG, "only the daemon left as a child", || {
        (children(s.sup_pid()) == [daemon]).then_some(())
    });
    s.no_zombies();
}

#[test]
fn parent_killed_and_idle_daemon_phase() {
    let mut s = Svc::new(
        "pf-killed",
        &[("x:run", "#!/bin/sh\nkill -9 $$\n"), ("pidfile", "daemon.pid\n"), ("down", "")],
    );
    s.start(&ours());
    s.svc("-o");
    let st = s.wait_status("down", |st| st.pid == 0 && st.wstat == 9);
    assert!(!st.want_up());
    s.wait_err("warning: ./run (parent) did not exit 0: the daemon is not watched");
    drop(s);
    // While the daemon runs, the supervisor sleeps.
    let mut s = Svc::new("pf-idle", &[("x:run", SINGLE), ("pidfile", "daemon.pid\n")]);
    s.start(&ours());
    poll(LONG, "status pid = the daemon", || {
        let st = s.status();
        std::fs::read_to_string(s.path("daemon.pid"))
            .is_ok_and(|t| st.up() && t.trim() == st.pid.to_string())
            .then_some(())
    });
    let window = std::time::Duration::from_millis(500);
    assert_eq!(wakeups(s.sup_pid(), window), 0, "woke up while the daemon ran");
}
