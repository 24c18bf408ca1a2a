//! The command-line side shared by the waiting clients (s6-ftrig-wait,
//! s6-ftrig-listen*, s6-svwait, s6-svlisten*, s6-svc -w; the options of
//! s6-svlink, s6-svunlink, s6-instance-create and s6-instance-delete):
//! their options, and s6's messages and exit codes for what the
//! library's waits return.

use rustix::io::Errno;
use rustix::process::Pid;
use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::sigpolicy::{self, Policy};
use s6box::supervision::events::{self, SubscribeError, Wait};
use s6box::supervision::scandir::{Down, LinkOptions};
use s6box::supervision::servicedir;
use s6box::supervision::svwait::{Goal, Outcome, StartError, Waiter};
use s6box::{exitcode, msg, regex::Regex};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::Instant;

/// `timeout_option(cli)`: the options of the ftrig listeners without
/// `-a`/`-o`: `-t timeout` only (2.15's messages otherwise); the
/// deadline.
pub fn timeout_option(cli: &mut Cli) -> Option<Instant> {
    let mut timeout = 0;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('t') => timeout = timeout_value(cli),
            Opt::Short(c) => cli.unrecognized(c),
            Opt::Long(_) => cli.usage(),
        }
    }
    events::deadline(timeout)
}

/// `link_options(cli)`: `-d | -D`, `-f`, `-P`, `-t timeout` (usage death
/// otherwise).
pub fn link_options(cli: &mut Cli) -> LinkOptions {
    let mut o = LinkOptions { down: Down::Keep, force: false, public: false, deadline: None };
    let mut timeout = 0u32;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('d') => o.down = Down::Once,
            Opt::Short('D') => o.down = Down::Stay,
            Opt::Short('f') => o.force = true,
            Opt::Short('P') => o.public = true,
            Opt::Short('t') => timeout = cli.number(),
            _ => cli.usage(),
        }
    }
    o.deadline = events::deadline(timeout);
    o
}

/// `unlink_options(cli)`: s6-svunlink's and s6-instance-delete's `-X`
/// (do not wait: `None`) and `-t timeout` (`Some(deadline)`); usage
/// death otherwise.
pub fn unlink_options(cli: &mut Cli) -> Option<Option<Instant>> {
    let (mut nowait, mut timeout) = (false, 0u32);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('X') => nowait = true,
            Opt::Short('t') => timeout = cli.number(),
            _ => cli.usage(),
        }
    }
    (!nowait).then(|| events::deadline(timeout))
}

/// `timeout_value(cli)`: the value of a `-t timeout` option of the ftrig
/// listeners, or death as 2.15 words it (`timeout must be an unsigned
/// integer`, exit 100).
pub fn timeout_value(cli: &mut Cli) -> u32 {
    cli.unsigned("timeout")
}

/// `subscribe_all(pairs, policy)`: `events::subscribe_all`, or death with s6's
/// messages (`unable to subscribe to DIR with regexp RE: REASON`): 100 for
/// an invalid regexp, 111 for a fifodir that cannot be listened to.
pub fn subscribe_all(pairs: &[(&[u8], &[u8])], policy: &'static Policy) -> (Wait, Vec<Regex>) {
    let die = |i: usize, code: i32, e: Errno| -> ! {
        let (dir, re) = pairs[i];
        msg::fatal_sys(code, &[b"subscribe to ", dir, b" with regexp ", re], e)
    };
    match events::subscribe_all(pairs, policy) {
        Ok(r) => r,
        Err(SubscribeError::Regex(i)) => die(i, exitcode::USAGE, Errno::INVAL),
        Err(SubscribeError::Subscribe(i, e)) => die(i, exitcode::SYS, e),
        Err(SubscribeError::Signals(e)) => msg::fatal_sys(exitcode::SYS, &[b"catch signals"], e),
    }
}

/// `spawn_failed(prog, e)`: s6's `unable to spawn PROG` (111), once the
/// fifos are removed.
pub fn spawn_failed(prog: Argv, e: Errno) -> ! {
    msg::fatal_sys(exitcode::SYS, &[b"spawn ", prog.get(0).to_bytes()], e)
}

/// `spawn(w, prog)`: spawns `prog` once subscribed, or dies.
pub fn spawn(w: &mut Wait, prog: Argv) -> Pid {
    w.spawn(prog).unwrap_or_else(|e| spawn_failed(prog, e))
}

/// `print_first(w)`: what the first listener received, printed with a
/// newline once the fifos are removed (s6-ftrig-wait, s6-ftrig-listen1
/// on a match); 0.
pub fn print_first(w: Wait) -> i32 {
    let mut out = w.into_first();
    out.push(b'\n');
    msg::write_all(msg::fd(1), &out);
    0
}

/// The options of s6-svwait, s6-svlisten1 and s6-svlisten.
pub struct Options {
    pub goal: Goal,
    /// `-o`: one service is enough.
    pub or: bool,
    pub deadline: Option<Instant>,
}

/// `options(cli, with_or)`: reads `-U -u -d -D -r -R`, `-a -o` (if
/// `with_or`) and `-t timeout`; usage death on anything else.
pub fn options(cli: &mut Cli, with_or: bool) -> Options {
    let (mut goal, mut or, mut timeout) = (b'u', false, 0u32);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short(c @ ('U' | 'u' | 'd' | 'D' | 'r' | 'R')) => goal = c as u8,
            Opt::Short('a') if with_or => or = false,
            Opt::Short('o') if with_or => or = true,
            Opt::Short('t') => timeout = cli.number::<u32>(),
            _ => cli.usage(),
        }
    }
    let goal = Goal::of_letter(goal).unwrap_or_else(|| cli.usage());
    Options { goal, or, deadline: events::deadline(timeout) }
}

/// `start(dirs, goal, or, policy)`: `Waiter::start`, or death with s6's
/// message (111); an empty directory path first: 100 (`invalid service
/// path`, never `/event` subscribed to).
pub fn start(dirs: &[&OsStr], goal: Goal, or: bool, policy: &'static Policy) -> Waiter {
    servicedir::paths_or_die(dirs.iter().copied());
    let code = exitcode::SYS;
    Waiter::start(dirs, goal, or, policy).unwrap_or_else(|e| match e {
        StartError::Subscribe(dir, e) => {
            msg::fatal_sys(code, &[b"subscribe to events for ", dir.as_os_str().as_bytes()], e)
        }
        StartError::Status(e) => msg::fatal_sys(code, &[b"s6_svstatus_read"], e),
        StartError::Signals(e) => msg::fatal_sys(code, &[b"catch signals"], e),
    })
}

/// `finish(waiter, deadline, single)`: waits, the fifos removed, then
/// the exit code and message of `report`.
pub fn finish(mut waiter: Waiter, deadline: Option<Instant>, single: Option<&OsStr>) -> i32 {
    let outcome = waiter.wait(deadline);
    drop(waiter);
    match outcome {
        Ok(o) => report(o, single),
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"read events"], e),
    }
}

/// `listen(dirs, o, prog, single)`: s6-svlisten and s6-svlisten1 once
/// their arguments are read: subscribe, spawn `prog`, wait.
pub fn listen(dirs: &[&OsStr], o: &Options, prog: Argv, single: bool) -> i32 {
    let mut waiter = start(dirs, o.goal, o.or, &sigpolicy::LISTENER);
    if let Err(e) = waiter.spawn(prog) {
        drop(waiter);
        spawn_failed(prog, e);
    }
    finish(waiter, o.deadline, single.then(|| dirs[0]))
}

/// `report(outcome, single)`: the exit code of a wait, with s6's message
/// (`single`: the one directory s6-svlisten1 names).
pub fn report(outcome: Outcome, single: Option<&OsStr>) -> i32 {
    match (outcome, single) {
        (Outcome::Reached, _) => 0,
        (Outcome::TimedOut, _) => msg::fatal(99, &[b"timed out"]),
        (Outcome::Failed(n), None) => {
            msg::fatal(n, &[b"some services reported permanent failure or their supervisor died"])
        }
        (Outcome::Failed(n), Some(dir)) => {
            msg::fatal(n, &[dir.as_bytes(), b" failed permanently or its supervisor died"])
        }
    }
}
