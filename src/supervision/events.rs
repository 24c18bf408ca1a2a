//! Waiting for fifodir events in-process (no `s6-ftrigrd` helper): the
//! signals are caught first, then the fifos are made, then one blocking
//! poll sleeps on the fifos and the signal descriptor until the caller's
//! condition holds or a deadline passes. A terminating signal removes
//! every fifo before the process dies of it, so no exit path leaves a
//! listener fifo behind.

use super::ftrig::Listener;
use crate::{poll, sig};
use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions};
use std::ffi::OsStr;
use std::time::Instant;

const NOHANG: WaitOptions = WaitOptions::NOHANG;

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Woke {
    /// The caller's condition holds.
    Done,
    /// The deadline passed.
    Deadline,
    /// The child ended, with this raw wait status.
    Child(i32),
}

/// Subscriptions to fifodirs and the signals that end them.
pub struct Wait {
    signals: sig::Signals,
    /// Bit n: signal n was ignored when the program started (an inherited
    /// ignore is respected: that signal neither kills nor stops it).
    ignored: u128,
    /// The subscriptions, in the order they were made.
    pub listeners: Vec<Listener>,
}

impl Wait {
    /// `new()`: catches every signal (see `sig::catch_all`); call it
    /// before subscribing, so a signal arriving right after a
    /// subscription still finds the fifo to remove.
    pub fn new() -> Result<Wait, Errno> {
        let mut ignored = 0u128;
        for s in sig::catchable() {
            if sig::is_ignored(s) {
                ignored |= 1u128 << s;
            }
        }
        let signals = sig::catch_all()?;
        Ok(Wait { signals, ignored, listeners: Vec::new() })
    }

    /// `subscribe(dir)`: adds a listener fifo in the fifodir `dir`.
    /// `Errno::MFILE` past `poll::MAX - 1` subscriptions.
    pub fn subscribe(&mut self, dir: &OsStr) -> Result<(), Errno> {
        if self.listeners.len() + 1 >= poll::MAX {
            return Err(Errno::MFILE);
        }
        self.listeners.push(Listener::subscribe(dir)?);
        Ok(())
    }

    /// `wait(deadline, done)`: reads events as they come and, after each
    /// arrival, asks `done(listeners)`; returns `Ok(true)` when it says
    /// yes, `Ok(false)` when `deadline` passes first. Ended children are
    /// reaped on the way; a terminating signal removes the fifos and
    /// kills the process with that signal.
    pub fn wait(
        &mut self,
        deadline: Option<Instant>,
        done: impl FnMut(&[Listener]) -> bool,
    ) -> Result<bool, Errno> {
        Ok(matches!(self.wait_child(deadline, None, done)?, Woke::Done))
    }

    /// `wait_child(deadline, child, done)`: as `wait`, and also wakes up
    /// when `child` ends, with its raw wait status.
    pub fn wait_child(
        &mut self,
        deadline: Option<Instant>,
        child: Option<Pid>,
        mut done: impl FnMut(&[Listener]) -> bool,
    ) -> Result<Woke, Errno> {
        let n = self.listeners.len();
        loop {
            let ready = {
                let mut fds: Vec<BorrowedFd<'_>> = self.listeners.iter().map(|l| l.fd()).collect();
                fds.push(self.signals.as_fd());
                poll::wait(&fds, deadline)
            };
            if ready == 0 {
                return Ok(Woke::Deadline);
            }
            let mut ended = None;
            if ready & (1 << n) != 0 {
                ended = self.signals_arrived(child);
            }
            let mut got = false;
            for (i, l) in self.listeners.iter_mut().enumerate() {
                if ready & (1 << i) != 0 && l.read()? > 0 {
                    got = true;
                }
            }
            if got && done(&self.listeners) {
                return Ok(Woke::Done);
            }
            if let Some(status) = ended {
                return Ok(Woke::Child(status));
            }
        }
    }

    /// `signals_arrived(child)`: acts on the pending signals; returns
    /// `child`'s raw wait status if it ended.
    fn signals_arrived(&mut self, child: Option<Pid>) -> Option<i32> {
        let mut ended = None;
        while let Ok(Some(s)) = self.signals.read() {
            let ignored = s < 128 && self.ignored & (1u128 << s) != 0;
            match s {
                // With a child to watch, only it is collected (reaping
                // others could take its status first).
                libc::SIGCHLD => match child {
                    Some(pid) if ended.is_none() => {
                        if let Ok(Some((_, st))) = rustix::process::waitpid(Some(pid), NOHANG) {
                            ended = Some(st.as_raw());
                        }
                    }
                    Some(_) => {}
                    None => reap(),
                },
                libc::SIGCONT | libc::SIGURG | libc::SIGWINCH => {}
                _ if ignored => {}
                libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => {
                    let _ = rustix::process::kill_process(
                        rustix::process::getpid(),
                        rustix::process::Signal::STOP,
                    );
                }
                _ => {
                    self.listeners.clear();
                    sig::die_by(s)
                }
            }
        }
        ended
    }
}

/// `reap()`: collects every ended child without blocking.
fn reap() {
    while let Ok(Some(_)) = rustix::process::waitpid(None, rustix::process::WaitOptions::NOHANG) {}
}

/// `deadline(ms)`: the moment `ms` milliseconds from now; none for 0
/// (no time limit), as every `-t timeout` option of s6 reads it.
pub fn deadline(ms: u32) -> Option<Instant> {
    (ms != 0).then(|| Instant::now() + std::time::Duration::from_millis(u64::from(ms)))
}

/// `timeout_value(cli)`: the value of a `-t timeout` option of the ftrig
/// listeners, or death as 2.15 words it (`timeout must be an unsigned
/// integer`, exit 100).
pub fn timeout_value(cli: &mut crate::cli::Cli) -> u32 {
    let v = cli.value();
    crate::cli::parse_decimal(&v).unwrap_or_else(|| {
        crate::msg::fatal(crate::exitcode::USAGE, &[b"timeout must be an unsigned integer"])
    })
}

/// `subscribe_all(pairs)`: compiles every regexp, then catches signals
/// and subscribes to every fifodir, in order; dies with s6's messages
/// (`unable to subscribe to DIR with regexp RE: REASON`): 100 for an
/// invalid regexp, 111 for a fifodir that cannot be listened to (the
/// fifos already made are removed first).
pub fn subscribe_all(pairs: &[(&[u8], &[u8])]) -> (Wait, Vec<crate::regex::Regex>) {
    use std::os::unix::ffi::OsStrExt;
    let die = |dir: &[u8], re: &[u8], code: i32, e: Errno| -> ! {
        crate::msg::fatal_sys(code, &[b"subscribe to ", dir, b" with regexp ", re], e)
    };
    let mut res = Vec::with_capacity(pairs.len());
    for &(dir, re) in pairs {
        match crate::regex::Regex::new(re) {
            Some(r) => res.push(r),
            None => die(dir, re, crate::exitcode::USAGE, Errno::INVAL),
        }
    }
    let mut w = Wait::new().unwrap_or_else(|e| crate::msg::fatal_sys(111, &[b"catch signals"], e));
    for &(dir, re) in pairs {
        if let Err(e) = w.subscribe(OsStr::from_bytes(dir)) {
            w.listeners.clear();
            die(dir, re, crate::exitcode::SYS, e);
        }
    }
    (w, res)
}
