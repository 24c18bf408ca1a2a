//! Instanced services: a service directory `SVC` whose run script keeps
//! an s6-svscan on `SVC/instance`; instance NAME is the copy
//! `SVC/instances/NAME` of `SVC/template` plus the link
//! `SVC/instance/NAME` -> `../instances/NAME`. Nothing else is recorded,
//! so s6's tools and these manage each other's instances.

use super::scandir::{self, Link, LinkError, LinkOptions};
use crate::path::join;
use crate::tree;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::time::Instant;

/// `valid_name(name)`: non-empty, not starting with `.`, no space, tab,
/// form feed, CR, LF, and (beyond s6) no `/`.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name[0] != b'.' && !name.iter().any(|c| b" \t\x0c\r\n/".contains(c))
}

/// Why "is it live?" failed.
#[derive(Debug)]
pub enum LiveError {
    /// `SVC/instance` cannot be entered.
    Chdir(OsString, Errno),
    /// Its `.s6-svscan/lock` cannot be opened.
    Open(OsString, Errno),
    /// No scanner holds the lock.
    NotRunning,
}

impl LiveError {
    /// `fatal(svc)`: dies with s6's message for this failure (111, or 1
    /// when the scanner is not running).
    pub fn fatal(&self, svc: &OsStr) -> ! {
        use crate::{exitcode, msg};
        match self {
            LiveError::Chdir(p, e) => {
                msg::fatal_sys(exitcode::SYS, &[b"chdir to ", p.as_bytes()], *e)
            }
            LiveError::Open(p, e) => msg::fatal_sys(exitcode::SYS, &[b"open ", p.as_bytes()], *e),
            LiveError::NotRunning => {
                msg::fatal(1, &[b"instanced service not running on ", svc.as_bytes()])
            }
        }
    }
}

/// `live(svc)`: checks that an s6-svscan runs on `svc/instance`; returns
/// that directory, open.
pub fn live(svc: &OsStr) -> Result<OwnedFd, LiveError> {
    let scan = join(svc, "instance");
    let dir = tree::open_dir(rustix::fs::CWD, &super::maker::cstr(scan.as_bytes()))
        .map_err(|e| LiveError::Chdir(scan.clone(), e))?;
    let lock = rustix::fs::openat(
        &dir,
        c".s6-svscan/lock",
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
    .map_err(|e| LiveError::Open(join(&scan, ".s6-svscan/lock"), e))?;
    match crate::lock::is_locked(lock.as_fd()) {
        Ok(true) => Ok(dir),
        Ok(false) => Err(LiveError::NotRunning),
        Err(e) => Err(LiveError::Open(join(&scan, ".s6-svscan/lock"), e)),
    }
}

/// What `create` is asked.
pub struct Create<'a> {
    pub svc: &'a OsStr,
    pub name: &'a [u8],
    pub opts: LinkOptions,
}

/// Why `create` failed.
#[derive(Debug)]
pub enum CreateError {
    /// `SVC/instances` or `SVC/instance` cannot be made.
    Mkdir(OsString, Errno),
    Live(LiveError),
    /// A directory is already there.
    Exists(OsString),
    /// Something else is there.
    Unexpected(OsString),
    Stat(OsString, Errno),
    /// The template could not be copied (nothing left).
    Copy(Errno),
    /// A later step failed (everything undone).
    Failed(Errno),
    /// The supervisors did not start in time (everything undone).
    TimedOut,
}

/// `ensure_dir(svc, name)`: makes `svc/name` (0755) unless it exists.
fn ensure_dir(svc: &OsStr, name: &str) -> Result<(), CreateError> {
    let p = join(svc, name);
    match rustix::fs::mkdir(&p, Mode::from_raw_mode(0o755)) {
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        Err(e) => Err(CreateError::Mkdir(p, e)),
    }
}

/// `create(c)`: makes instance `c.name` of the live instanced service
/// `c.svc` and waits until its supervisors have started. The copy is made
/// under a hidden name and renamed into place without replacing: of
/// several racing creates exactly one wins, the others get `Exists` and
/// never touch the winner's files.
pub fn create(c: &Create) -> Result<(), CreateError> {
    ensure_dir(c.svc, "instances")?;
    ensure_dir(c.svc, "instance")?;
    live(c.svc).map_err(CreateError::Live)?;
    let instances = join(c.svc, "instances");
    let final_path = OsString::from_vec([instances.as_bytes(), b"/", c.name].concat());
    let dir = tree::open_dir(rustix::fs::CWD, &super::maker::cstr(instances.as_bytes()))
        .map_err(|e| CreateError::Stat(final_path.clone(), e))?;
    let cname = super::maker::cstr(c.name);
    match rustix::fs::statat(&dir, &cname, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) if FileType::from_raw_mode(st.st_mode).is_dir() => {
            return Err(CreateError::Exists(final_path));
        }
        Ok(_) => return Err(CreateError::Unexpected(final_path)),
        Err(Errno::NOENT) => {}
        Err(e) => return Err(CreateError::Stat(final_path, e)),
    }

    // The copy, under a name no instance can have.
    let mut tmp = b".".to_vec();
    tmp.extend_from_slice(c.name);
    tmp.extend_from_slice(b":new:");
    crate::fmt::push_dec(&mut tmp, rustix::process::getpid().as_raw_nonzero().get() as i64);
    let tmp = super::maker::cstr(&tmp);
    let template = super::maker::cstr(join(c.svc, "template").as_bytes());
    if let Err(e) = tree::copy(rustix::fs::CWD, &template, dir.as_fd(), &tmp) {
        let _ = tree::remove(dir.as_fd(), &tmp);
        return Err(CreateError::Copy(e));
    }
    let renamed = crate::linux_like!(if {
        rustix::fs::renameat_with(&dir, &tmp, &dir, &cname, rustix::fs::RenameFlags::NOREPLACE)
    } else {
        // No renameat2 here: an existing name is refused first (two
        // creates racing for one name may then both pass this check).
        match rustix::fs::statat(&dir, &cname, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => Err(Errno::EXIST),
            Err(Errno::NOENT) => rustix::fs::renameat(&dir, &tmp, &dir, &cname),
            Err(e) => Err(e),
        }
    });
    match renamed {
        Ok(()) => {}
        Err(e) => {
            let _ = tree::remove(dir.as_fd(), &tmp);
            return Err(match e {
                Errno::EXIST | Errno::NOTEMPTY => CreateError::Exists(final_path),
                e => CreateError::Failed(e),
            });
        }
    }

    let scan = join(c.svc, "instance");
    let l = Link { scan: &scan, svc: &final_path, name: c.name, opts: c.opts };
    let target = [b"../instances/", c.name].concat();
    let r = scandir::link_as(&l, Some(&target), |_| {});
    if r.is_err() {
        let _ = tree::remove(dir.as_fd(), &cname);
    }
    r.map_err(|e| match e {
        LinkError::TimedOut => CreateError::TimedOut,
        LinkError::NotRunning => CreateError::Live(LiveError::NotRunning),
        LinkError::Lock(_, e) | LinkError::Run(_, e) | LinkError::Failed(e) => {
            CreateError::Failed(e)
        }
    })
}

/// `delete(svc, name, wait)`: removes the instance's link, has the
/// scanner drop its supervisors, waits for them to exit when `wait` is
/// `Some(deadline)` (a passed deadline is not an error), then removes
/// `svc/instances/name`. No such instance: fine. `Err`: signals could
/// not be caught (nothing done), or the directory could not be removed.
pub fn delete(svc: &OsStr, name: &[u8], wait: Option<Option<Instant>>) -> Result<(), Errno> {
    let scan = join(svc, "instance");
    scandir::unlink(&scan, name, wait, |_, _| {})?;
    let instances = join(svc, "instances");
    let dir = match tree::open_dir(rustix::fs::CWD, &super::maker::cstr(instances.as_bytes())) {
        Ok(d) => d,
        Err(Errno::NOENT) => return Ok(()),
        Err(e) => return Err(e),
    };
    match tree::remove(dir.as_fd(), &super::maker::cstr(name)) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Why `list` failed.
#[derive(Debug)]
pub enum ListError {
    Live(LiveError),
    /// `SVC/instance` cannot be read.
    Readdir(Errno),
}

/// `list(svc)`: the instances' names, sorted (entries of `svc/instance`
/// not starting with `.`), the scanner checked live first.
pub fn list(svc: &OsStr) -> Result<Vec<Vec<u8>>, ListError> {
    let dir = live(svc).map_err(ListError::Live)?;
    let names = tree::entries(&dir).map_err(ListError::Readdir)?;
    let mut v: Vec<Vec<u8>> =
        names.into_iter().map(|n| n.into_bytes()).filter(|n| n[0] != b'.').collect();
    v.sort();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name(b"web-1"));
        for bad in [&b""[..], b".x", b"a b", b"a\tb", b"a\nb", b"a/../../template"] {
            assert!(!valid_name(bad));
        }
    }
}
