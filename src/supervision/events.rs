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

/// What one sleep ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slept {
    /// The deadline passed.
    Deadline,
    /// Something arrived: new event bytes (`got`) in some listener's
    /// `got`, the watched child's raw wait status (`ended`), or neither
    /// (a signal acted on).
    Woke { got: bool, ended: Option<i32> },
}

/// Subscriptions to fifodirs and the signals that end them.
pub struct Wait {
    signals: sig::Signals,
    /// The subscriptions, in the order they were made.
    pub listeners: Vec<Listener>,
}

impl Wait {
    /// `new()`: catches every signal (see `sig::catch_all`); call it
    /// before subscribing, so a signal arriving right after a
    /// subscription still finds the fifo to remove.
    pub fn new() -> Result<Wait, Errno> {
        let signals = sig::catch_all()?;
        Ok(Wait { signals, listeners: Vec::new() })
    }

    /// `subscribe(dir)`: adds a listener fifo in the fifodir `dir`.
    pub fn subscribe(&mut self, dir: &OsStr) -> Result<(), Errno> {
        self.listeners.push(Listener::subscribe(dir)?);
        Ok(())
    }

    /// `spawn(prog)`: spawns `prog` (subscriptions made first, so it
    /// cannot trigger an event too early); if that fails, the fifos are
    /// removed.
    pub fn spawn(&mut self, prog: crate::argv::Argv) -> Result<Pid, Errno> {
        crate::exec::spawn(prog).inspect_err(|_| self.listeners.clear())
    }

    /// `into_first()`: what the first listener received, the fifos
    /// removed.
    pub fn into_first(mut self) -> Vec<u8> {
        std::mem::take(&mut self.listeners[0].got)
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
        loop {
            match self.sleep(deadline, child)? {
                Slept::Deadline => return Ok(Woke::Deadline),
                Slept::Woke { got, ended } => {
                    if got && done(&self.listeners) {
                        return Ok(Woke::Done);
                    }
                    if let Some(status) = ended {
                        return Ok(Woke::Child(status));
                    }
                }
            }
        }
    }

    /// `sleep(deadline, child)`: the one blocking poll on the signals and
    /// the listeners: acts on the signals that came (see `wait`), appends
    /// what arrived to each listener's `got`. A caller with its own
    /// reading of the events (`svwait`) loops on it.
    pub fn sleep(&mut self, deadline: Option<Instant>, child: Option<Pid>) -> Result<Slept, Errno> {
        let ready = {
            let mut fds: Vec<BorrowedFd<'_>> = Vec::with_capacity(self.listeners.len() + 1);
            fds.push(self.signals.as_fd());
            fds.extend(self.listeners.iter().map(|l| l.fd()));
            poll::wait(&fds, deadline)
        };
        if ready == 0 {
            return Ok(Slept::Deadline);
        }
        let ended = if ready & 1 != 0 { self.signals_arrived(child) } else { None };
        let mut got = false;
        for (i, l) in self.listeners.iter_mut().enumerate() {
            // Past poll::MAX descriptors, the last bit stands for the rest.
            if ready & (1 << (i + 1).min(poll::MAX - 1)) != 0 && l.read()? > 0 {
                got = true;
            }
        }
        Ok(Slept::Woke { got, ended })
    }

    /// `signals_arrived(child)`: acts on the pending signals; returns
    /// `child`'s raw wait status if it ended. Signals this process raised
    /// on itself (the SIGPIPE of a command written to a supervisor that
    /// just died) are dropped.
    fn signals_arrived(&mut self, child: Option<Pid>) -> Option<i32> {
        let me = rustix::process::getpid();
        let mut ended = None;
        while let Some(s) = self.signals.next_from_others(me) {
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
                    None => crate::watch::reap(|_, _| {}),
                },
                libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU if !sig::ignored(s) => {
                    let _ = rustix::process::kill_process(me, rustix::process::Signal::STOP);
                }
                _ if sig::kills(s) => {
                    self.listeners.clear();
                    sig::die_by(s)
                }
                _ => {}
            }
        }
        ended
    }
}

/// `deadline(ms)`: the moment `ms` milliseconds from now; none for 0
/// (no time limit), as every `-t timeout` option of s6 reads it, or for
/// a moment too far to compute.
pub fn deadline(ms: impl Into<u64>) -> Option<Instant> {
    match ms.into() {
        0 => None,
        ms => Instant::now().checked_add(std::time::Duration::from_millis(ms)),
    }
}

/// Why `subscribe_all` failed (`usize`: the pair concerned).
#[derive(Debug)]
pub enum SubscribeError {
    /// The regexp does not compile.
    Regex(usize),
    /// Catching signals failed.
    Signals(Errno),
    /// The fifodir cannot be listened to (the fifos already made are
    /// removed).
    Subscribe(usize, Errno),
}

/// `subscribe_all(pairs)`: compiles every regexp of the (fifodir,
/// regexp) pairs, then catches signals and subscribes to every fifodir,
/// in order.
pub fn subscribe_all(
    pairs: &[(&[u8], &[u8])],
) -> Result<(Wait, Vec<crate::regex::Regex>), SubscribeError> {
    use std::os::unix::ffi::OsStrExt;
    let mut res = Vec::with_capacity(pairs.len());
    for (i, &(_, re)) in pairs.iter().enumerate() {
        res.push(crate::regex::Regex::new(re).ok_or(SubscribeError::Regex(i))?);
    }
    let mut w = Wait::new().map_err(SubscribeError::Signals)?;
    for (i, &(dir, _)) in pairs.iter().enumerate() {
        w.subscribe(OsStr::from_bytes(dir)).map_err(|e| SubscribeError::Subscribe(i, e))?;
    }
    Ok((w, res))
}
