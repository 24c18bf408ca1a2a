//! The supervisor's lock: an exclusive POSIX record lock on the whole of
//! `supervise/lock` (or `.s6-svscan/lock`), held for the supervisor's
//! whole life. "Is it supervised?" is answered by testing that lock and
//! nothing else.

use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::ffi::OsStr;

/// The file's path relative to a service directory.
pub const PATH: &str = "supervise/lock";

/// `take(path)`: creates `path` if needed (0644 less umask) and takes the
/// exclusive lock without waiting (`Errno::BUSY`: another holder). The
/// lock lives as long as the returned descriptor (close-on-exec).
pub fn take(path: &OsStr) -> Result<OwnedFd, Errno> {
    let fd = rustix::fs::open(
        path,
        OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )?;
    crate::lock::lock(rustix::fd::AsFd::as_fd(&fd), false, crate::lock::Wait::No)?;
    Ok(fd)
}

/// `held(path)`: whether some process holds a lock on `path` (a missing
/// file is `Errno::NOENT`).
pub fn held(path: &OsStr) -> Result<bool, Errno> {
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    crate::lock::is_locked(rustix::fd::AsFd::as_fd(&fd))
}

/// `supervised(servicedir)`: whether a supervisor runs on `servicedir`
/// (no `supervise/lock` at all: not supervised).
pub fn supervised(servicedir: &OsStr) -> Result<bool, Errno> {
    match held(&crate::path::join(servicedir, PATH)) {
        Err(Errno::NOENT) => Ok(false),
        r => r,
    }
}
