//! s6-background-watch: spawn a daemon that backgrounds itself, read the
//! pid its parent (or, once the parent has exited, the daemon itself)
//! writes to a pidfile, and stand for the daemon in the foreground:
//! forward signals to it, exit with its status.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::fmt::dec;
use s6box::pidfile::{self, BadPid};
use s6box::poll::{wait, wait_io};
use s6box::sig;
use s6box::adopt::{Adopted, Early, Refused, adopt_daemon};
use s6box::watch::{self, Daemon, Ended};
use s6box::{exec, exitcode, msg};
use rustix::fd::AsFd;
use rustix::io::Errno;
use rustix::process::Pid;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

const USAGE: &str = "s6-background-watch [ -t timeout ] [ -d notif ] pidfile prog...";

/// `forward(daemon, sig, name)`: passes `sig` on to the daemon (one that
/// has just ended is no error).
fn forward(daemon: &Daemon, sig: i32, name: &[u8]) {
    match daemon.signal(sig) {
        Ok(()) | Err(Errno::SRCH) => {}
        Err(e) => msg::warn_sys(&[b"send signal ", &dec(sig.into()), b" to ", name], e),
    }
}

/// The most signals kept for a daemon not known yet.
const HELD_MAX: usize = 1024;

/// `ready_now(path, since)`: whether the pidfile is there, written by this
/// run (not a stale one) and not empty.
fn ready_now(path: &OsStr, since: pidfile::Time) -> bool {
    matches!(pidfile::read(path, since), Ok((c, true)) if !c.is_empty())
}

/// `wait_for_pidfile(path, since, deadline, signals, early)`: beyond s6:
/// after the parent's clean exit, waits for the pidfile to appear (a
/// daemon whose own child writes it once the parent has gone), watching
/// its directory, while a descendant of ours lives and `deadline` has not
/// passed. Signals received meanwhile go to every child of ours: the
/// daemon is one of them, or below one. Where the children cannot be
/// listed (not Linux, or a kernel without /proc/PID/task/TID/children),
/// they are kept in `held` for the daemon.
fn wait_for_pidfile(
    path: &OsStr,
    since: pidfile::Time,
    deadline: Option<Instant>,
    signals: &sig::Signals,
    early: &mut Early,
    held: &mut Vec<i32>,
) {
    let Ok(mut appear) = pidfile::Appear::new(path, since) else { return };
    let me = rustix::process::getpid();
    while appear.check().is_none() && watch::has_children() {
        if wait(&[signals.as_fd(), appear.fd()], deadline) == 0 {
            return;
        }
        while let Some(s) = signals.next_from_others(me) {
            if s == libc::SIGCHLD {
                watch::reap(|p, st| early.record(p, st));
            } else {
                let mut sent = false;
                watch::children(|c| sent |= watch::signal_child(c, s).is_ok());
                if !sent && held.len() < HELD_MAX {
                    held.push(s);
                }
            }
        }
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut timeout, mut notif) = (0u64, None);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('t') => timeout = cli.number(),
            Opt::Long(l) if l == "timeout-ready" => timeout = cli.number(),
            Opt::Short('d') => notif = Some(cli.number::<i32>()),
            Opt::Long(l) if l == "notification-fd" => notif = Some(cli.number::<i32>()),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let pidfile = rest.os(0);
    let prog = rest.skip(1);
    let name = prog.get(0).to_bytes();

    let notif = notif.map(|n| {
        if n < 3 {
            msg::fatal(exitcode::USAGE, &[b"notification-fd cannot be 0, 1 or 2"]);
        }
        watch::adopt_fd(n).unwrap_or_else(|e| {
            msg::fatal_sys(exitcode::SYS, &[b"use notification-fd ", &dec(n.into())], e)
        })
    });

    match watch::acquire() {
        Ok(()) => {}
        Err(Errno::NOSYS) => msg::fatal(
            exitcode::NOSYS,
            &[b"system does not meet the requirements to watch auto-backgrounding daemons"],
        ),
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"become a subreaper"], e),
    }
    if let Err(e) = sig::keep_children() {
        msg::fatal_sys(exitcode::SYS, &[b"set SIGCHLD to default"], e);
    }
    let me = rustix::process::getpid();
    let signals =
        sig::catch_all().unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"catch signals"], e));
    // Files written from now on are this run's: the pidfile is removed
    // after a failure only if it is one of them, and a stale one is not
    // taken for the daemon's.
    let since = pidfile::now();
    let parent = exec::spawn(prog)
        .unwrap_or_else(|e| msg::fatal_sys(exec::fail_code(e), &[b"spawn ", name], e));
    let mut deadline =
        if timeout > 0 { Instant::now().checked_add(Duration::from_millis(timeout)) } else { None };

    // Parent phase: forward signals to the parent until it exits.
    let mut early = Early::default();
    // `held`: signals kept for the daemon (one read after the parent
    // ended, which its zombie would not get).
    let (status, mut held) = 'parent: loop {
        if wait(&[signals.as_fd()], deadline) == 0 {
            msg::warn(&[name, b" (parent) did not exit before timeout-ready, killing it"]);
            let _ = watch::signal_child(parent, libc::SIGKILL);
            deadline = None;
            continue;
        }
        while let Some(s) = signals.next_from_others(me) {
            // Reap before forwarding anything: signals are read lowest
            // number first, so the parent's SIGCHLD may be queued behind
            // this one, and a signal sent to its zombie would be lost.
            let mut ended = None;
            watch::reap(|pid, st| {
                if pid == parent {
                    ended = Some(st)
                } else {
                    early.record(pid, st);
                }
            });
            if let Some(st) = ended {
                break 'parent (st, Vec::from_iter((s != libc::SIGCHLD).then_some(s)));
            }
            if s != libc::SIGCHLD {
                let _ = watch::signal_child(parent, s);
            }
        }
    };
    if status != 0 {
        // Only a regular file written since the parent was spawned: never
        // a device, a directory entry of another kind, or an older file.
        if let Err(e) = pidfile::remove_if_written_since(pidfile, since) {
            msg::warn_sys(&[b"remove ", pidfile.as_bytes()], e);
        }
        if libc::WIFSIGNALED(status) {
            let n = libc::WTERMSIG(status);
            msg::fatal(128 + n, &[name, b" (parent) crashed with signal ", &dec(n.into())]);
        }
        let n = libc::WEXITSTATUS(status);
        msg::fatal(exitcode::approximate(status), &[name, b" (parent) exited ", &dec(n.into())]);
    }

    // The pidfile, waited for if the daemon writes it late, and the check
    // that it names our daemon.
    if !ready_now(pidfile, since) && watch::has_children() {
        wait_for_pidfile(pidfile, since, deadline, &signals, &mut early, &mut held);
    }
    let (content, _) = pidfile::read(pidfile, since)
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::BADPID, &[b"read ", pidfile.as_bytes()], e));
    let f = pidfile.as_bytes();
    let refuse = |p: Pid, why: &[u8], what: &[u8]| -> ! {
        let n = dec(p.as_raw_nonzero().get().into());
        msg::fatal(exitcode::BADPID, &[b"pid ", &n, b" read from ", f, why, what])
    };
    let daemon = match adopt_daemon(&content, me, &early) {
        Ok(Adopted::Watching(d)) => d,
        Ok(Adopted::Ended(st)) => return exitcode::approximate(st),
        Err(Refused::BadPid(BadPid::Empty)) => {
            msg::fatal(exitcode::BADPID, &[b"pidfile ", f, b" is empty"])
        }
        Err(Refused::BadPid(BadPid::Garbage)) => {
            msg::fatal(exitcode::BADPID, &[b"pidfile ", f, b" does not contain a valid pid"])
        }
        Err(Refused::Invalid(n)) => {
            msg::fatal(exitcode::BADPID, &[b"invalid pid ", &dec(n.into()), b" read from ", f])
        }
        Err(Refused::NotOurs(p) | Refused::Attach(p, Errno::SRCH)) => {
            refuse(p, b" is not a descendant of ", name)
        }
        Err(Refused::Check(p, e)) => {
            msg::fatal_sys(exitcode::SYS, &[b"check pid ", &dec(p.as_raw_nonzero().get().into())], e)
        }
        Err(Refused::Attach(p, e)) => {
            msg::fatal_sys(exitcode::SYS, &[b"watch pid ", &dec(p.as_raw_nonzero().get().into())], e)
        }
    };
    let gone = || refuse(daemon.pid(), b" exited before it could be watched", b"");
    drop(early);

    // Daemon phase: forward every signal to the daemon at once, reap every
    // child, notify readiness when the descriptor can take it (a full pipe
    // never blocks the watcher), exit when the daemon exits.
    let mut notif = notif;
    for s in held {
        forward(&daemon, s, name);
    }
    loop {
        let fds = [
            (Some(signals.as_fd()), false),
            (daemon.event_fd(), false),
            (notif.as_ref().map(|fd| fd.as_fd()), true),
        ];
        let ready = wait_io(&fds, None);
        if ready & 4 != 0
            && let Some(fd) = notif.take()
            && let Err(e) = watch::notify(fd)
        {
            msg::warn_sys(&[b"write to notification-fd"], e);
        }
        if ready & 2 != 0 {
            match daemon.ended() {
                Ended::Running => {}
                Ended::Status(st) => return exitcode::approximate(st),
                Ended::Unknown => gone(),
            }
        }
        if ready & 1 == 0 {
            continue;
        }
        while let Some(s) = signals.next_from_others(me) {
            if s != libc::SIGCHLD {
                forward(&daemon, s, name);
                continue;
            }
            let mut ended = None;
            watch::reap(|p, st| {
                if p == daemon.pid() {
                    ended = Some(st)
                }
            });
            if let Some(st) = ended {
                return exitcode::approximate(st);
            }
        }
    }
}
