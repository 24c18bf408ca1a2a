//! A service directory linked into (or unlinked from) the scan directory
//! of a running s6-svscan, the supervisors' start (or exit) waited for
//! through their `event/` fifodirs: s6-svlink and s6-svunlink.

use super::{control, events, ftrig, svlock};
use crate::path::join;
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::Instant;

/// What to do with the service's `./down` file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Down {
    /// Leave it as it is.
    Keep,
    /// Start down, then remove `./down` once supervised.
    Once,
    /// Start down and stay down (create `./down`).
    Stay,
}

/// How a link is made (s6-svlink's and s6-instance-create's options).
#[derive(Clone, Copy)]
pub struct LinkOptions {
    /// `-d` (`Once`), `-D` (`Stay`).
    pub down: Down,
    /// `-f`: give an existing `event/` fifodir the mode too.
    pub force: bool,
    /// `-P`: `event/` public, not this process's group only.
    pub public: bool,
    /// `-t`: when to give up waiting for the supervisors.
    pub deadline: Option<Instant>,
}

/// A link to make.
pub struct Link<'a> {
    pub scan: &'a OsStr,
    pub svc: &'a OsStr,
    /// The name in the scan directory.
    pub name: &'a [u8],
    pub opts: LinkOptions,
}

/// Why a link failed.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkError {
    /// No s6-svscan holds the scan directory's lock.
    NotRunning,
    /// The scan directory's lock file cannot be opened.
    Lock(OsString, Errno),
    /// A directory to supervise has no readable `run`.
    Run(OsString, Errno),
    /// Linking or the preparation failed (undone where it was done).
    Failed(Errno),
    /// The supervisors did not start in time (the link is undone).
    TimedOut,
}

/// `valid_name(name)`: whether `name` may name a service in a scan
/// directory: not empty, not starting with `.` (s6-svscan's own entries)
/// or `/`.
pub fn valid_name(name: &[u8]) -> bool {
    !matches!(name.first(), None | Some(b'.' | b'/'))
}

/// `default_name(svc)`: the name a service is linked under when none is
/// given: the last component of `svc`.
pub fn default_name(svc: &[u8]) -> &[u8] {
    let t = &svc[..svc.len() - svc.iter().rev().take_while(|&&c| c == b'/').count()];
    t.rsplit(|&c| c == b'/').next().unwrap_or(t)
}

/// `link(l, supervised)`: links `l.svc` into `l.scan` as `l.name`, tells
/// s6-svscan to rescan, and waits until the supervisor (and the logger's,
/// for a `log` subdirectory) has started. A directory already supervised
/// is reported to `supervised(dir)` and not waited for.
pub fn link(l: &Link, supervised: impl FnMut(&OsStr)) -> Result<(), LinkError> {
    link_as(l, None, supervised)
}

/// `link_as(l, target, supervised)`: as `link`, the link's text being
/// `target` when given (an instance's `../instances/NAME`) instead of
/// the service directory's absolute path.
pub fn link_as(
    l: &Link,
    target: Option<&[u8]>,
    mut supervised: impl FnMut(&OsStr),
) -> Result<(), LinkError> {
    let fail = LinkError::Failed;
    let scanlock = join(l.scan, ".s6-svscan/lock");
    match svlock::held(&scanlock) {
        Ok(true) => {}
        Ok(false) => return Err(LinkError::NotRunning),
        Err(e) => return Err(LinkError::Lock(scanlock, e)),
    }

    // The service and its logger, and whether each needs waiting for.
    let mut dirs: Vec<(OsString, bool)> = vec![(l.svc.to_owned(), true)];
    let log = join(l.svc, "log");
    if rustix::fs::stat(&log)
        .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir())
    {
        dirs.push((log, true));
    }
    for (d, wait) in &mut dirs {
        if svlock::supervised(d).unwrap_or(false) {
            supervised(d);
            *wait = false;
            continue;
        }
        let run = join(d, "run");
        if let Err(e) = rustix::fs::stat(&run) {
            return Err(LinkError::Run(run, e));
        }
    }

    let o = l.opts;
    let gid = (!o.public).then(|| rustix::process::getegid().as_raw());
    for (d, _) in dirs.iter().filter(|(_, wait)| *wait) {
        if o.down != Down::Keep {
            crate::file::replace(&join(d, "down"), b"").map_err(fail)?;
        }
        event_dir(&join(d, "event"), gid, o.force).map_err(fail)?;
    }

    // Dropping `w` removes its fifos, on every path out.
    let mut w = events::Wait::new().map_err(fail)?;
    for (d, wait) in &dirs {
        if *wait {
            w.subscribe(&join(d, "event")).map_err(fail)?;
        }
    }

    let target = match target {
        Some(t) => OsStr::from_bytes(t).to_owned(),
        None => std::fs::canonicalize(l.svc)
            .map_err(|e| fail(Errno::from_io_error(&e).unwrap_or(Errno::IO)))?
            .into_os_string(),
    };
    let at = join(l.scan, l.name);
    match rustix::fs::symlink(&target, &at) {
        Ok(()) => {}
        // Already linked there: fine.
        Err(Errno::EXIST)
            if rustix::fs::readlink(&at, Vec::new())
                .is_ok_and(|t| t.as_bytes() == target.as_bytes()) => {}
        Err(e) => return Err(fail(e)),
    }
    if let Err(e) = control::send(&join(l.scan, ".s6-svscan/control"), b"a") {
        drop(w);
        undo(&at, o.down);
        return Err(fail(e));
    }
    let started = if w.listeners.is_empty() {
        Ok(true)
    } else {
        w.wait(o.deadline, |ls| ls.iter().all(|l| l.got.contains(&b's')))
    };
    drop(w);
    match started {
        Ok(true) => {
            if o.down == Down::Once {
                let _ = rustix::fs::unlink(join(&at, "down"));
            }
            Ok(())
        }
        r => {
            undo(&at, o.down);
            Err(r.map_or_else(fail, |_| LinkError::TimedOut))
        }
    }
}

/// `event_dir(path, gid, force)`: makes the fifodir (group `gid`, or
/// public); an existing one gets the mode only with `force`.
fn event_dir(path: &OsStr, gid: Option<u32>, force: bool) -> Result<(), Errno> {
    match ftrig::make_dir(path, gid) {
        Err(Errno::EXIST) => {
            let st = rustix::fs::stat(path)?;
            if !rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() {
                return Err(Errno::NOTDIR);
            }
            if force { ftrig::set_mode(path, gid) } else { Ok(()) }
        }
        r => r,
    }
}

/// `undo(at, down)`: takes back a link whose supervisor did not start:
/// tells any supervisor there to exit, and removes the link.
fn undo(at: &OsStr, down: Down) {
    if down == Down::Once {
        let _ = rustix::fs::unlink(join(at, "down"));
    }
    let _ = control::send(&join(at, control::PATH), b"xd");
    let _ = control::send(&join(&join(at, "log"), control::PATH), b"xd");
    let _ = rustix::fs::unlink(at);
}

/// `unlink(scan, name, wait, unwatched)`: removes the link `scan/name`,
/// tells s6-svscan to rescan and drop inactive services, and, if `wait`
/// (`Some(deadline)`), waits until the supervisor (and the logger's) has
/// exited or the deadline passed. A supervisor whose events cannot be
/// followed is reported to `unwatched(event_dir, error)`. `Err`: signals
/// could not be caught (nothing done).
pub fn unlink(
    scan: &OsStr,
    name: &[u8],
    wait: Option<Option<Instant>>,
    mut unwatched: impl FnMut(&OsStr, Errno),
) -> Result<(), Errno> {
    let at = join(scan, name);
    // Subscribed through the real path, so the fifo can still be
    // removed once the link is gone.
    let mut w = None;
    if wait.is_some() {
        let mut ws = events::Wait::new()?;
        for d in [at.clone(), join(&at, "log")] {
            if !svlock::supervised(&d).unwrap_or(false) {
                continue;
            }
            let ev = join(&d, "event");
            let sub = std::fs::canonicalize(&ev)
                .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))
                .and_then(|p| ws.subscribe(p.as_os_str()));
            if let Err(e) = sub {
                unwatched(&ev, e);
            }
        }
        w = Some(ws);
    }
    let unlinked = rustix::fs::unlink(&at);
    let _ = control::send(&join(scan, ".s6-svscan/control"), b"an");
    if let (Some(mut ws), Some(deadline)) = (w, wait)
        && matches!(unlinked, Ok(()) | Err(Errno::NOENT))
        && !ws.listeners.is_empty()
    {
        let _ = ws.wait(deadline, |ls| ls.iter().all(|l| l.got.contains(&b'x')));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(default_name(b"/srv/web//"), b"web");
        assert_eq!(default_name(b"web"), b"web");
        assert_eq!(default_name(b"a/b"), b"b");
        assert!(valid_name(b"web") && valid_name(b"a/b") && valid_name(b"a."));
        for bad in [&b""[..], b".", b"..", b".x", b"/", b"/x"] {
            assert!(!valid_name(bad));
        }
        assert_eq!(join(OsStr::new("/scan"), b"web"), OsStr::new("/scan/web"));
    }
}
