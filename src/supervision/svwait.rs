//! Waiting for services to reach a state, in-process: the logic shared by
//! `s6-svc -w?`, `s6-svwait`, `s6-svlisten1` and `s6-svlisten`.
//!
//! For each service directory, in order: subscribe to its `event/`
//! fifodir (made, group-only, if missing), then read `supervise/status`
//! for the current state. Only then may the caller act (send commands,
//! spawn a program): a transition after the subscription arrives as an
//! event, so none is missed. The events then move each service's state:
//! `u` up, `U` up and ready, `d` down, `D` down and ready; `O` (permanent
//! failure, when waiting for an up state) and `x` (the supervisor exits)
//! count a failure and settle that service. The wait ends when all (`-a`)
//! or one (`-o`) of the services are settled; its result is the number
//! of failures counted by then (0: reached). `-r`/`-R` first wait until
//! every service is down, then for the up state.
//!
//! A terminating signal ends the wait: the listener fifos are removed,
//! then the process dies by that signal.

use super::events::{self, Slept};
use super::ftrig::{self, Listener};
use super::{EVENT, atomic, status};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::time::Instant;

/// The state to wait for, from its letter (`u U d D r R`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Goal {
    /// Up (or down).
    pub up: bool,
    /// And ready (up and ready, or down with `finish` done).
    pub ready: bool,
    /// Restarted: down first, then up.
    pub restart: bool,
}

impl Goal {
    /// `of_letter(c)`: the goal `c` names, if any.
    pub fn of_letter(c: u8) -> Option<Goal> {
        let (up, ready, restart) = match c {
            b'u' => (true, false, false),
            b'U' => (true, true, false),
            b'd' => (false, false, false),
            b'D' => (false, true, false),
            b'r' => (true, false, true),
            b'R' => (true, true, true),
            _ => return None,
        };
        Some(Goal { up, ready, restart })
    }

    /// `without_readiness()`: the same goal, readiness not asked (what
    /// `-wU` falls back to on a service without `notification-fd`).
    pub fn without_readiness(self) -> Goal {
        Goal { ready: self.ready && !self.up, ..self }
    }
}

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The state was reached.
    Reached,
    /// It ended with this many failures (`O` or `x`) counted.
    Failed(i32),
    /// The deadline passed.
    TimedOut,
}

/// Why a wait could not start.
#[derive(Debug)]
pub enum StartError {
    /// Subscribing to the events of this directory failed.
    Subscribe(OsString, Errno),
    /// Reading a status file failed.
    Status(Errno),
    /// Catching signals failed.
    Signals(Errno),
}

/// What is known of one service (its listener is `events.listeners[i]`).
struct Service {
    /// Event bytes of the listener's `got` already applied.
    seen: usize,
    up: bool,
    ready: bool,
}

/// A wait in progress: the subscriptions and signals (`events::Wait`),
/// the services' states.
pub struct Waiter {
    events: events::Wait,
    services: Vec<Service>,
    goal: Goal,
    or: bool,
    /// `-r`/`-R`: still waiting for every service to be down.
    going_down: bool,
    failures: i32,
}

/// `subscribe(dir)`: a listener on `dir/event`, the fifodir made (mode
/// 03730, this process's group) if it is missing, as s6's listeners do.
pub fn subscribe(dir: &OsStr) -> Result<Listener, Errno> {
    let fifodir = atomic::join(dir, EVENT);
    match ftrig::make_dir(&fifodir, Some(rustix::process::getegid().as_raw())) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(e),
    }
    Listener::subscribe(&fifodir)
}

impl Waiter {
    /// `start(dirs, goal, or)`: catches signals, then for each directory
    /// subscribes and reads the status.
    pub fn start(dirs: &[&OsStr], goal: Goal, or: bool) -> Result<Waiter, StartError> {
        let events = events::Wait::new().map_err(StartError::Signals)?;
        let mut w = Waiter {
            events,
            services: Vec::with_capacity(dirs.len()),
            goal,
            or,
            going_down: goal.restart,
            failures: 0,
        };
        for &dir in dirs {
            let listener = subscribe(dir).map_err(|e| StartError::Subscribe(dir.to_owned(), e))?;
            let st = status::read_dir(dir).map_err(StartError::Status)?;
            w.events.listeners.push(listener);
            w.services.push(Service { seen: 0, up: st.is_up(), ready: st.flag(status::READY) });
        }
        Ok(w)
    }

    /// The state wanted now: (up, ready asked, all services).
    fn want(&self) -> (bool, bool, bool) {
        if self.going_down {
            (false, false, true)
        } else {
            (self.goal.up, self.goal.ready, !self.or)
        }
    }

    fn reached(&self) -> bool {
        let (up, ready, all) = self.want();
        let ok = |s: &Service| s.up == up && (!ready || s.ready);
        if all { self.services.iter().all(ok) } else { self.services.iter().any(ok) }
    }

    /// `check()`: the outcome if the wait is over now.
    fn check(&mut self) -> Option<Outcome> {
        loop {
            if !self.reached() {
                return None;
            }
            if self.going_down && self.failures == 0 {
                self.going_down = false;
                continue;
            }
            return Some(match self.failures {
                0 => Outcome::Reached,
                n => Outcome::Failed(n),
            });
        }
    }

    /// `apply(i, event)`: one event byte of service `i`; the outcome if it
    /// ends the wait.
    fn apply(&mut self, i: usize, event: u8) -> Option<Outcome> {
        let (up, ready, _) = self.want();
        let s = &mut self.services[i];
        match event {
            b'u' => (s.up, s.ready) = (true, false),
            b'U' => (s.up, s.ready) = (true, true),
            b'd' => (s.up, s.ready) = (false, false),
            b'D' => (s.up, s.ready) = (false, true),
            b'O' if up => {
                (s.up, s.ready) = (up, ready);
                self.failures += 1;
            }
            b'x' => {
                (s.up, s.ready) = (up, ready);
                self.failures += 1;
            }
            _ => return None,
        }
        self.check()
    }

    /// `spawn(prog)`: spawns `prog` once subscribed (see
    /// `events::Wait::spawn`); if that fails, the fifos are removed.
    pub fn spawn(&mut self, prog: crate::argv::Argv) -> Result<rustix::process::Pid, Errno> {
        self.events.spawn(prog)
    }

    /// `wait(deadline)`: follows the events until the wait ends or
    /// `deadline` passes. Ended children (a spawned program) are reaped;
    /// a signal that would have killed the process removes the fifos,
    /// then kills it. If the events cannot be read, the fifos are removed
    /// and the error returned.
    pub fn wait(&mut self, deadline: Option<Instant>) -> Result<Outcome, Errno> {
        if let Some(o) = self.check() {
            return Ok(o);
        }
        loop {
            match self.events.sleep(deadline, None) {
                Ok(Slept::Deadline) => return Ok(Outcome::TimedOut),
                Ok(Slept::Woke { .. }) => {}
                Err(e) => {
                    self.events.listeners.clear();
                    return Err(e);
                }
            }
            for i in 0..self.services.len() {
                while let Some(&event) = self.events.listeners[i].got.get(self.services[i].seen) {
                    self.services[i].seen += 1;
                    if let Some(o) = self.apply(i, event) {
                        return Ok(o);
                    }
                }
                self.events.listeners[i].got.clear();
                self.services[i].seen = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(Goal::of_letter(b'U'), Some(Goal { up: true, ready: true, restart: false }));
        assert!(Goal::of_letter(b'D').unwrap().without_readiness().ready);
        assert!(!Goal::of_letter(b'R').unwrap().without_readiness().ready);
        assert!(Goal::of_letter(b'x').is_none());
    }
}
