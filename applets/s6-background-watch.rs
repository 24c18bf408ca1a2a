//! s6-background-watch: spawn a daemon that backgrounds itself, read the
//! pid its parent writes to a pidfile, and stand for the daemon in the
//! foreground: forward signals to it, exit with its status.

use crate::argv::Argv;
use crate::cli::{Cli, Opt, parse_decimal};
use crate::fmt::dec;
use crate::poll::wait;
use crate::sig;
use crate::watch::{self, Daemon, Found};
use crate::{exec, exitcode, msg};
use rustix::fd::AsFd;
use rustix::io::Errno;
use rustix::process::Pid;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

const USAGE: &str = "s6-background-watch [ -t timeout ] [ -d notif ] pidfile prog...";

/// How many statuses of children reaped before the pidfile is read are
/// kept, in case one of them is the daemon (the oldest are forgotten).
const EARLY_MAX: usize = 4096;

fn invalid(name: &str, value: &OsStr) -> ! {
    msg::fatal(exitcode::USAGE, &[b"invalid value for ", name.as_bytes(), b": ", value.as_bytes()])
}

/// `forward(daemon, sig, name)`: passes `sig` on to the daemon (one that
/// has just ended is no error).
fn forward(daemon: &Daemon, sig: i32, name: &[u8]) {
    match daemon.signal(sig) {
        Ok(()) | Err(Errno::SRCH) => {}
        Err(e) => msg::warn_sys(&[b"send signal ", &dec(sig.into()), b" to ", name], e),
    }
}

/// `remember(early, pid, status)`: keeps a reaped child's status until the
/// pidfile is read.
fn remember(early: &mut Vec<(Pid, i32)>, pid: Pid, status: i32) {
    early.retain(|&(p, _)| p != pid);
    if early.len() >= EARLY_MAX {
        early.remove(0);
    }
    early.push((pid, status));
}

/// Why a pidfile's content is refused.
#[derive(Debug, PartialEq, Eq)]
enum BadPid {
    Empty,
    Garbage,
}

/// The longest first line taken as a pid (longer ones are refused, not
/// cut short: leading zeros could otherwise be read as pid 0).
const LINE_MAX: usize = 32;

/// `parse_pid(content)`: the pid on the first line (decimal digits, then a
/// newline or the end of the file). `content` holds the file's first
/// `LINE_MAX + 1` bytes, or all of it if shorter.
fn parse_pid(content: &[u8]) -> Result<i32, BadPid> {
    if content.is_empty() {
        return Err(BadPid::Empty);
    }
    let line = content.split(|&c| c == b'\n').next().unwrap_or(content);
    if line.len() > LINE_MAX {
        return Err(BadPid::Garbage);
    }
    parse_decimal::<i32>(OsStr::from_bytes(line)).ok_or(BadPid::Garbage)
}

/// `read_pidfile(path)`: the file's first `LINE_MAX + 1` bytes: enough to
/// tell a pid line from a longer one. Non-blocking, so a fifo with no
/// writer reads as empty instead of hanging in open(2).
fn read_pidfile(path: &OsStr) -> Result<Vec<u8>, Errno> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = rustix::fs::open(path, flags, Mode::empty())?;
    let mut buf = [0u8; LINE_MAX + 1];
    let got = watch::read_head(&fd, &mut buf)?;
    Ok(buf[..got].to_vec())
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut timeout, mut notif) = (0u64, None);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('t') => {
                let v = cli.value();
                timeout = parse_decimal(&v).unwrap_or_else(|| invalid("timeout-ready (-t)", &v));
            }
            Opt::Long(l) if l == "timeout-ready" => {
                let v = cli.value();
                timeout = parse_decimal(&v).unwrap_or_else(|| invalid("--timeout-ready", &v));
            }
            Opt::Short('d') => {
                let v = cli.value();
                notif = Some(parse_decimal::<i32>(&v).unwrap_or_else(|| invalid("notif (-d)", &v)));
            }
            Opt::Long(l) if l == "notification-fd" => {
                let v = cli.value();
                notif = Some(parse_decimal(&v).unwrap_or_else(|| invalid("--notification-fd", &v)));
            }
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
    let parent = exec::spawn(prog)
        .unwrap_or_else(|e| msg::fatal_sys(exec::fail_code(e), &[b"spawn ", name], e));
    let mut deadline =
        if timeout > 0 { Instant::now().checked_add(Duration::from_millis(timeout)) } else { None };

    // Parent phase: forward signals to the parent until it exits.
    let mut early = Vec::new();
    // `held`: a signal read after the parent ended, kept for the daemon.
    let (status, held) = 'parent: loop {
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
                if pid == parent { ended = Some(st) } else { remember(&mut early, pid, st) }
            });
            if let Some(st) = ended {
                break 'parent (st, (s != libc::SIGCHLD).then_some(s));
            }
            if s != libc::SIGCHLD {
                let _ = watch::signal_child(parent, s);
            }
        }
    };
    if status != 0 {
        if let Err(e) = rustix::fs::unlink(pidfile)
            && e != Errno::NOENT
        {
            msg::warn_sys(&[b"remove ", pidfile.as_bytes()], e);
        }
        if libc::WIFSIGNALED(status) {
            let n = libc::WTERMSIG(status);
            msg::fatal(128 + n, &[name, b" (parent) crashed with signal ", &dec(n.into())]);
        }
        let n = libc::WEXITSTATUS(status);
        msg::fatal(exitcode::approximate(status), &[name, b" (parent) exited ", &dec(n.into())]);
    }

    // The pidfile, and the check that it names our daemon.
    let content = read_pidfile(pidfile)
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::BADPID, &[b"read ", pidfile.as_bytes()], e));
    let pid = match parse_pid(&content) {
        Ok(p) => p,
        Err(BadPid::Empty) => {
            msg::fatal(exitcode::BADPID, &[b"pidfile ", pidfile.as_bytes(), b" is empty"])
        }
        Err(BadPid::Garbage) => msg::fatal(
            exitcode::BADPID,
            &[b"pidfile ", pidfile.as_bytes(), b" does not contain a valid pid"],
        ),
    };
    let pid = match Pid::from_raw(pid) {
        Some(p) if p != me && p != Pid::INIT => p,
        _ => msg::fatal(
            exitcode::BADPID,
            &[b"invalid pid ", &dec(pid.into()), b" read from ", pidfile.as_bytes()],
        ),
    };
    let refuse = |why: &[u8], what: &[u8]| -> ! {
        let n = dec(pid.as_raw_nonzero().get().into());
        msg::fatal(exitcode::BADPID, &[b"pid ", &n, b" read from ", pidfile.as_bytes(), why, what])
    };
    let not_ours = || refuse(b" is not a descendant of ", name);
    // A descendant that is not our child yet (a double fork's intermediate
    // still runs) will be once the intermediate ends: wait for that,
    // re-checking after each child we reap, holding the signals we get.
    let mut held: Vec<i32> = held.into_iter().collect();
    let mut waited = false;
    loop {
        match watch::check(pid) {
            Ok(Found::Running) => break,
            Ok(Found::Ended(st)) => return exitcode::approximate(st),
            Ok(Found::NotOurs) => {}
            Err(e) => msg::fatal_sys(
                exitcode::SYS,
                &[b"check pid ", &dec(pid.as_raw_nonzero().get().into())],
                e,
            ),
        }
        // The daemon died and was reaped before it could be checked.
        if watch::SUBREAPER
            && let Some(&(_, st)) = early.iter().find(|&&(p, _)| p == pid)
        {
            return exitcode::approximate(st);
        }
        if !watch::descends(pid) {
            if waited && rustix::process::test_kill_process(pid) == Err(Errno::SRCH) {
                refuse(b" exited before it could be watched", b"");
            }
            not_ours();
        }
        waited = true;
        wait(&[signals.as_fd()], None);
        while let Some(s) = signals.next_from_others(me) {
            if s != libc::SIGCHLD && !held.contains(&s) {
                held.push(s);
            }
        }
        watch::reap(|p, st| remember(&mut early, p, st));
    }
    let daemon = match Daemon::attach(pid) {
        Ok(d) => d,
        Err(Errno::SRCH) => not_ours(),
        Err(e) => msg::fatal_sys(
            exitcode::SYS,
            &[b"watch pid ", &dec(pid.as_raw_nonzero().get().into())],
            e,
        ),
    };
    drop(early);
    if let Some(fd) = notif
        && let Err(e) = watch::notify(fd)
    {
        msg::warn_sys(&[b"write to notification-fd"], e);
    }

    // Daemon phase: forward signals to the daemon, reap every child.
    for s in held {
        forward(&daemon, s, name);
    }
    loop {
        let ready = match daemon.event_fd() {
            Some(event) => wait(&[signals.as_fd(), event], None),
            None => wait(&[signals.as_fd()], None),
        };
        if ready & 2 != 0
            && let Some(st) = daemon.exit_event()
        {
            return exitcode::approximate(st);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pidfile_content() {
        assert_eq!(parse_pid(b"123\n"), Ok(123));
        assert_eq!(parse_pid(b"123"), Ok(123));
        assert_eq!(parse_pid(b"123\nmore\n"), Ok(123));
        assert_eq!(parse_pid(b""), Err(BadPid::Empty));
        let mut zeros = vec![b'0'; LINE_MAX - 1];
        zeros.extend_from_slice(b"7\n");
        assert_eq!(parse_pid(&zeros), Ok(7));
        for bad in [
            &b"\n"[..],
            b"abc\n",
            b" 12\n",
            b"12 \n",
            b"-5\n",
            b"+5\n",
            b"99999999999\n",
            b"12\r\n",
            &[b'0'; LINE_MAX + 1],
        ] {
            assert_eq!(parse_pid(bad), Err(BadPid::Garbage), "{bad:?}");
        }
    }

    #[test]
    fn early_statuses_are_bounded() {
        let mut early = Vec::new();
        for i in 1..=(EARLY_MAX as i32 + 10) {
            remember(&mut early, Pid::from_raw(i).unwrap(), i);
        }
        assert_eq!(early.len(), EARLY_MAX);
        remember(&mut early, Pid::from_raw(EARLY_MAX as i32 + 10).unwrap(), 7);
        assert_eq!(early.len(), EARLY_MAX);
        assert_eq!(early.last(), Some(&(Pid::from_raw(EARLY_MAX as i32 + 10).unwrap(), 7)));
    }
}
