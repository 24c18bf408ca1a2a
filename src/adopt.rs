//! Adopting the daemon a pidfile names: the one check shared by
//! s6-supervise (a `pidfile` service) and s6-background-watch. The pid is
//! read, refused if it cannot be the daemon (not a pid, ours, init's),
//! looked up among the children reaped meanwhile (`Early`: it may have
//! died before anyone looked), checked to be ours (our child through the
//! subreaper, or on Linux a descendant not re-parented yet), then held
//! (`watch::Daemon`: a pidfd where the system has them).

use crate::pidfile::{self, BadPid};
use crate::watch::{self, Daemon, Found};
use rustix::io::Errno;
use rustix::process::Pid;

/// How many statuses of children reaped before the daemon is known are
/// kept (the first ones: the daemon is forked early, and a crowd of
/// orphans ending after it must not push its status out).
pub const EARLY_MAX: usize = 1024;

/// Statuses of children reaped before the daemon is known, one of which
/// may be the daemon's: the latest for each pid, at most `EARLY_MAX` pids
/// (the first ones seen).
#[derive(Default)]
pub struct Early {
    entries: Vec<(Pid, i32)>,
}

impl Early {
    /// `record(pid, status)`: keeps `pid`'s raw wait status (replacing an
    /// older one of the same pid, a recycled pid; a new pid is dropped
    /// when `EARLY_MAX` are kept).
    pub fn record(&mut self, pid: Pid, status: i32) {
        if let Some(e) = self.entries.iter_mut().find(|(p, _)| *p == pid) {
            e.1 = status;
        } else if self.entries.len() < EARLY_MAX {
            self.entries.push((pid, status));
        }
    }

    /// `get(pid)`: the status kept for `pid`, if any.
    pub fn get(&self, pid: Pid) -> Option<i32> {
        self.entries.iter().find(|&&(p, _)| p == pid).map(|&(_, st)| st)
    }
}

/// What the pidfile led to.
pub enum Adopted {
    /// The daemon runs, and is held.
    Watching(Daemon),
    /// The daemon had already ended, with this raw wait status.
    Ended(i32),
}

/// Why the pidfile's pid is not taken as the daemon.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The pidfile's content is not a pid (empty, or garbage).
    BadPid(BadPid),
    /// A number that cannot be the daemon (0 or less, ours, init's).
    Invalid(i32),
    /// Not a descendant of ours.
    NotOurs(Pid),
    /// Checking whether it is our child failed.
    Check(Pid, Errno),
    /// It could not be held.
    Attach(Pid, Errno),
}

/// `adopt_daemon(content, me, early)`: the daemon named by a pidfile's
/// `content` (see `pidfile::read`), checked and held, or already ended.
pub fn adopt_daemon(content: &[u8], me: Pid, early: &Early) -> Result<Adopted, Refused> {
    let n = pidfile::parse(content).map_err(Refused::BadPid)?;
    let pid = match Pid::from_raw(n) {
        Some(p) if p != me && p != Pid::INIT => p,
        _ => return Err(Refused::Invalid(n)),
    };
    if let Some(st) = early.get(pid) {
        // The daemon already died, and was reaped as an orphan.
        return Ok(Adopted::Ended(st));
    }
    match watch::check(pid) {
        Ok(Found::Running) => {}
        Ok(Found::Ended(st)) => return Ok(Adopted::Ended(st)),
        Ok(Found::NotOurs) if watch::descends(pid) => {}
        Ok(Found::NotOurs) => return Err(Refused::NotOurs(pid)),
        Err(e) => return Err(Refused::Check(pid, e)),
    }
    Daemon::attach(pid).map(Adopted::Watching).map_err(|e| Refused::Attach(pid, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(n: i32) -> Pid {
        Pid::from_raw(n).unwrap()
    }

    #[test]
    fn early_is_bounded_and_keeps_the_latest() {
        let mut e = Early::default();
        e.record(pid(5), 1);
        e.record(pid(5), 2);
        assert_eq!(e.get(pid(5)), Some(2));
        for n in 100..100 + EARLY_MAX as i32 {
            e.record(pid(n), n);
        }
        assert_eq!(e.entries.len(), EARLY_MAX);
        assert_eq!(e.get(pid(5)), Some(2));
        assert_eq!(e.get(pid(100 + EARLY_MAX as i32 - 1)), None);
        e.record(pid(5), 3);
        assert_eq!(e.get(pid(5)), Some(3));
    }

    #[test]
    fn refusals() {
        let me = rustix::process::getpid();
        let e = Early::default();
        let r = |c: &[u8]| adopt_daemon(c, me, &e).err();
        assert_eq!(r(b""), Some(Refused::BadPid(BadPid::Empty)));
        assert_eq!(r(b"12x\n"), Some(Refused::BadPid(BadPid::Garbage)));
        assert_eq!(r(b"1\n"), Some(Refused::Invalid(1)));
        assert_eq!(r(b"0\n"), Some(Refused::Invalid(0)));
        let mine = me.as_raw_nonzero().get().to_string();
        assert_eq!(r(mine.as_bytes()), Some(Refused::Invalid(me.as_raw_nonzero().get())));
        let mut e = Early::default();
        e.record(pid(4242), 9);
        assert!(matches!(adopt_daemon(b"4242\n", me, &e), Ok(Adopted::Ended(9))));
    }
}
