//! Small files read or replaced whole: a replacement is written under
//! `NAME.new`, then renamed over `NAME`, so a reader sees the old content
//! or the new one, never half.

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// `replace(path, data)`: writes `data` to `path.new` (mode 0666 less the
/// umask), then renames it over `path`. The temporary file is made anew
/// (whatever had its name is removed first, never truncated or written
/// through: a directory others can write cannot redirect the write), and
/// removed if anything fails.
pub fn replace(path: &OsStr, data: &[u8]) -> Result<(), Errno> {
    let mut tmp = Vec::with_capacity(path.len() + 4);
    tmp.extend_from_slice(path.as_bytes());
    tmp.extend_from_slice(b".new");
    let tmp = OsStr::from_bytes(&tmp);
    let fd = match create_new(tmp) {
        Err(Errno::EXIST) => {
            rustix::fs::unlinkat(rustix::fs::CWD, tmp, AtFlags::empty())?;
            create_new(tmp)?
        }
        r => r?,
    };
    let r = crate::io::write_all(&fd, data).and_then(|()| rustix::fs::rename(tmp, path));
    drop(fd);
    if r.is_err() {
        let _ = rustix::fs::unlinkat(rustix::fs::CWD, tmp, AtFlags::empty());
    }
    r
}

/// `create_new(path)`: creates `path` for writing (mode 0666 less the
/// umask); fails if anything has that name (a link included).
fn create_new(path: &OsStr) -> Result<rustix::fd::OwnedFd, Errno> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::from_raw_mode(0o666))
}

/// `create_empty(path)`: creates `path` as an empty file; fails if
/// anything has that name.
pub fn create_empty(path: &OsStr) -> Result<(), Errno> {
    create_new(path).map(drop)
}

/// `read_small(path, max)`: at most `max` bytes from the start of `path`.
pub fn read_small(path: &OsStr, max: usize) -> Result<Vec<u8>, Errno> {
    let fd =
        rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK, Mode::empty())?;
    let mut buf = vec![0u8; max];
    let got = crate::io::read_full(&fd, &mut buf)?;
    buf.truncate(got);
    Ok(buf)
}
