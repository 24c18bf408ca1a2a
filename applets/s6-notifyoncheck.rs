//! s6-notifyoncheck: readiness by polling. Execs prog; a child (a
//! grandchild with `-d`) runs `./data/check` (or `execlineb -Pc
//! checkprog`) until it succeeds, then writes a newline to the
//! notification descriptor. The child listens to the service's `event/`
//! (subscribed before the fork, in-process) and gives up when prog dies.

use s6box::argv::{Argv, OwnedArgv};
use s6box::cli::{Cli, Opt, parse_decimal, unsigned_of};
use s6box::supervision::events::{self, Woke};
use s6box::supervision::svlock;
use s6box::{exec, exitcode, fd, msg};
use rustix::io::{Errno, FdFlags};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

const USAGE: &str = "s6-notifyoncheck [ -d ] [ -3 fd ] [ -s initialsleep ] [ -T globaltimeout ] [ -t localtimeout ] [ -w waitingtime ] [ -n tries ] [ -c \"checkprog...\" ] prog...";

/// The child's exit codes (nobody reads them; upstream's page lists them).
const READY: i32 = 0;
const TRIES_EXHAUSTED: i32 = 1;
const PROG_DIED: i32 = 2;
const TIMED_OUT: i32 = 3;

/// The polling policy.
struct Policy {
    initial: u32,
    global: u32,
    local: u32,
    waiting: u32,
    tries: u32,
}

/// `number_of(v, what, default)`: an option's value if it was given.
fn number_of(v: &Option<OsString>, what: &str, default: u32) -> u32 {
    v.as_deref().map_or(default, |v| unsigned_of(v, what))
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut double, mut notif, mut checkprog): (bool, Option<u32>, Option<OsString>) =
        (false, None, None);
    // The numbers are checked after the descriptor, in this order, as
    // 2.15 does: -s -T -t -w -n.
    let mut raw: [Option<OsString>; 5] = Default::default();
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('d') => double = true,
            Opt::Short('3') => notif = Some(cli.unsigned("notification-fd")),
            Opt::Short('s') => raw[0] = Some(cli.value()),
            Opt::Short('T') => raw[1] = Some(cli.value()),
            Opt::Short('t') => raw[2] = Some(cli.value()),
            Opt::Short('w') => raw[3] = Some(cli.value()),
            Opt::Short('n') => raw[4] = Some(cli.value()),
            Opt::Short('c') => checkprog = Some(cli.value()),
            Opt::Short(c) => cli.unrecognized(c),
            Opt::Long(_) => cli.usage(),
        }
    }
    let prog = cli.rest();
    if prog.is_empty() {
        cli.usage();
    }
    let notif = notif.unwrap_or_else(read_notification_fd);
    let nfd = i32::try_from(notif).unwrap_or(-1);
    let sane = if nfd < 0 { Err(Errno::BADF) } else { rustix::io::fcntl_getfd(fd::borrow(nfd)) };
    if let Err(e) = sane {
        msg::fatal(exitcode::SYS, &[b"notification-fd sanity check failed: ", &msg::strerror(e)]);
    }
    let p = Policy {
        initial: number_of(&raw[0], "initial-sleep", 10),
        global: number_of(&raw[1], "global-timeout", 0),
        local: number_of(&raw[2], "local-timeout", 0),
        waiting: number_of(&raw[3], "waiting-time", 1000),
        // 2.15 names -n "waiting-time" in its message too.
        tries: number_of(&raw[4], "waiting-time", 7),
    };
    if !svlock::held(OsStr::new("./supervise/lock")).unwrap_or(false) {
        msg::fatal(exitcode::USAGE, &[b"s6-supervise not running."]);
    }
    let check = match &checkprog {
        Some(c) => OwnedArgv::new([OsStr::new("execlineb"), OsStr::new("-Pc"), c.as_os_str()]),
        None => OwnedArgv::new(["./data/check"]),
    };
    // Subscribed before the fork: prog's death cannot be missed.
    let mut w = events::Wait::new()
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"catch signals"], e));
    if let Err(e) = w.subscribe(OsStr::new("./event")) {
        msg::fatal_sys(exitcode::SYS, &[b"subscribe to ./event"], e);
    }
    match exec::fork() {
        Err(e) => {
            drop(w);
            msg::fatal_sys(exitcode::SYS, &[b"fork"], e)
        }
        Ok(Some(child)) => {
            if double {
                let _ = exec::wait_pid(child);
            }
            // prog does not get the descriptor; the child writes to it.
            let _ = rustix::io::fcntl_setfd(fd::borrow(nfd), FdFlags::CLOEXEC);
            // The fifo is the child's now: the exec closes our copies
            // (close-on-exec) without removing it.
            std::mem::forget(w);
            exec::exec(prog)
        }
        Ok(None) => {
            if double {
                match exec::fork() {
                    Ok(None) => {}
                    Ok(Some(_)) => msg::exit(0),
                    Err(_) => {
                        drop(w);
                        msg::exit(exitcode::SYS)
                    }
                }
            }
            let code = poll_check(&mut w, &p, check.argv(), nfd);
            drop(w);
            msg::exit(code)
        }
    }
}

/// `read_notification_fd()`: the number in `./notification-fd` (digits,
/// an optional newline), or death.
fn read_notification_fd() -> u32 {
    let b = s6box::file::read_small(OsStr::new("notification-fd"), 64)
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"read ./notification-fd"], e));
    let t = b.strip_suffix(b"\n").unwrap_or(&b);
    parse_decimal(OsStr::from_bytes(t))
        .unwrap_or_else(|| msg::fatal(exitcode::USAGE, &[b"invalid ./notification-fd"]))
}

/// `at(ms)`: the moment `ms` from now, capped by `global`.
fn at(ms: u32, global: Option<Instant>) -> Option<Instant> {
    let t = Instant::now() + Duration::from_millis(u64::from(ms));
    Some(global.map_or(t, |g| g.min(t)))
}

/// `poll_check(w, p, check, nfd)`: the child's loop; returns its exit
/// code.
fn poll_check(w: &mut events::Wait, p: &Policy, check: Argv, nfd: i32) -> i32 {
    let died = |ls: &[s6box::supervision::ftrig::Listener]| ls[0].got.contains(&b'd');
    let global = events::deadline(p.global);
    let expired = || global.is_some_and(|g| Instant::now() >= g);
    let pause = |w: &mut events::Wait, ms: u32| -> Option<i32> {
        match w.wait_child(at(ms, global), None, died) {
            Ok(Woke::Done) => Some(PROG_DIED),
            Ok(_) if expired() => Some(TIMED_OUT),
            Ok(_) => None,
            Err(_) => Some(exitcode::SYS),
        }
    };
    if let Some(code) = pause(w, p.initial) {
        return code;
    }
    let mut n = 0u32;
    loop {
        let pid = match exec::spawn(check) {
            Ok(pid) => pid,
            Err(e) => {
                msg::warn_sys(&[b"spawn ", check.get(0).to_bytes()], e);
                return exitcode::SYS;
            }
        };
        let deadline = if p.local == 0 { global } else { at(p.local, global) };
        match w.wait_child(deadline, Some(pid), died) {
            Ok(Woke::Child(0)) => {
                msg::write_all(fd::borrow(nfd), b"\n");
                return READY;
            }
            Ok(Woke::Child(_)) => {}
            r => {
                // Timed out, prog died, or a failure: the check goes.
                let _ = s6box::proc::kill(pid, libc::SIGKILL);
                let _ = exec::wait_pid(pid);
                match r {
                    Ok(Woke::Done) => return PROG_DIED,
                    Err(_) => return exitcode::SYS,
                    _ if expired() => return TIMED_OUT,
                    _ => {}
                }
            }
        }
        n += 1;
        if p.tries != 0 && n >= p.tries {
            return TRIES_EXHAUSTED;
        }
        if let Some(code) = pause(w, p.waiting) {
            return code;
        }
    }
}
