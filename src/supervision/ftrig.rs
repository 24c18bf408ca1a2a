//! Fifodirs, s6's "ftrig" protocol: a directory of listener fifos named
//! `ftrig1:@` + 24 hex digits (a TAI64N stamp) + `:` + 6 random letters
//! or digits (39 bytes). A notifier writes its event bytes, in one write,
//! to every such fifo; a fifo with no reader is stale and is removed. A
//! listener makes its fifo, keeps it open for reading and writing (it
//! never sees end-of-file), reads the events and removes it when done.

use crate::tai::Tain;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// Every listener fifo's name starts with this.
pub const PREFIX: &[u8] = b"ftrig1:@";
/// The length of a listener fifo's name.
pub const NAME_LEN: usize = 39;
/// Mode of a public fifodir (anyone may listen).
pub const PUBLIC_MODE: rustix::fs::RawMode = 0o1733;
/// Mode of a group fifodir (only the group may listen).
pub const GROUP_MODE: rustix::fs::RawMode = 0o3730;

/// `is_listener(name)`: whether a directory entry is a listener fifo.
pub fn is_listener(name: &[u8]) -> bool {
    name.len() == NAME_LEN && name.starts_with(PREFIX)
}

/// `each_listener(dir, f)`: calls `f` with the path of every listener fifo
/// in `dir`.
fn each_listener(dir: &OsStr, mut f: impl FnMut(&OsStr)) -> Result<(), Errno> {
    let fd =
        rustix::fs::open(dir, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
    let mut names = Vec::new();
    // Linux: entries read into a small stack buffer, so a supervisor's
    // every event allocates nothing unless there are listeners.
    linux_like!(if {
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 512];
        let mut dir = rustix::fs::RawDir::new(&fd, &mut buf);
        while let Some(e) = dir.next() {
            let e = e?;
            let name = e.file_name().to_bytes();
            if is_listener(name) {
                names.push(name.to_vec());
            }
        }
    } else {
        for e in rustix::fs::Dir::read_from(&fd)? {
            let e = e?;
            if is_listener(e.file_name().to_bytes()) {
                names.push(e.file_name().to_bytes().to_vec());
            }
        }
    });
    for n in names {
        f(&crate::path::join(dir, &n));
    }
    Ok(())
}

fn unlink(path: &OsStr) {
    let _ = rustix::fs::unlinkat(rustix::fs::CWD, path, AtFlags::empty());
}

/// `open_writer(path)`: the listener fifo at `path` opened write-only and
/// non-blocking; `None` if it is stale (no reader: removed) or unusable.
fn open_writer(path: &OsStr) -> Option<OwnedFd> {
    // A symbolic link planted under a listener's name is not followed.
    let flags = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => Some(fd),
        Err(Errno::NXIO) => {
            unlink(path);
            None
        }
        Err(_) => None,
    }
}

/// `notify(dir, events)`: sends `events` in one write to every listener of
/// the fifodir `dir`; stale fifos are removed. SIGPIPE never kills the
/// caller. Fails only if the directory cannot be read.
pub fn notify(dir: &OsStr, events: &[u8]) -> Result<(), Errno> {
    crate::sig::no_sigpipe(|| {
        each_listener(dir, |path| {
            let Some(fd) = open_writer(path) else { return };
            // Only a regular listener fifo: a file planted under a
            // listener's name is left alone.
            if !rustix::fs::fstat(&fd)
                .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_fifo())
            {
                return;
            }
            loop {
                match rustix::io::write(&fd, events) {
                    Err(Errno::INTR) => continue,
                    Err(Errno::PIPE) => unlink(path),
                    _ => {}
                }
                break;
            }
        })
    })
}

/// `clean(dir)`: removes the stale listener fifos (no reader) of `dir`.
pub fn clean(dir: &OsStr) -> Result<(), Errno> {
    each_listener(dir, |path| {
        open_writer(path);
    })
}

/// `make_dir(path, gid)`: creates a fifodir: public (01733) without a
/// group, only for group `gid` (03730) with one. An existing directory is
/// left as it is (`Errno::EXIST` is returned so the caller may fix it).
pub fn make_dir(path: &OsStr, gid: Option<u32>) -> Result<(), Errno> {
    rustix::fs::mkdir(path, Mode::from_raw_mode(0o700))?;
    set_mode(path, gid)
}

/// `set_mode(path, gid)`: gives an existing fifodir the public or group
/// mode and owner group, as `make_dir` would have, through a descriptor
/// of the directory (never by name: what is changed is what was opened).
pub fn set_mode(path: &OsStr, gid: Option<u32>) -> Result<(), Errno> {
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mode = match gid {
        Some(g) => {
            rustix::fs::fchown(&fd, None, Some(rustix::fs::Gid::from_raw(g)))?;
            GROUP_MODE
        }
        None => PUBLIC_MODE,
    };
    rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode as _))
}

/// A subscription: this process's fifo in a fifodir, and the event bytes
/// received on it since it was made.
pub struct Listener {
    path: OsString,
    rd: OwnedFd,
    _wr: OwnedFd,
    /// Every event byte received so far, in order.
    pub got: Vec<u8>,
}

/// `random_tail()`: 6 random letters or digits.
fn random_tail() -> [u8; 6] {
    const SET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut raw = [0u8; 6];
    let got = crate::file::read_small(OsStr::new("/dev/urandom"), raw.len());
    if let Ok(b) = got.as_ref().map(Vec::as_slice)
        && b.len() == raw.len()
    {
        raw.copy_from_slice(b);
    } else {
        // No entropy source: the stamp and the pid still make the name
        // unique.
        let t = Tain::now();
        let mix = u64::from(t.nanos)
            ^ (u64::from(rustix::process::getpid().as_raw_nonzero().get() as u32) << 20);
        raw = std::array::from_fn(|i| (mix >> (i * 8)) as u8);
    }
    raw.map(|b| SET[usize::from(b) % SET.len()])
}

impl Listener {
    /// `subscribe(dir)`: makes a listener fifo in the fifodir `dir` (mode
    /// 0622, made under a dot-name then renamed into place) and opens it.
    /// Whoever can write the fifodir cannot lead it to act on another
    /// file: the fifo is made and renamed relative to the directory's
    /// descriptor, opened without following links, checked (a fifo of
    /// ours, one link, the same for both ends), and its mode set through
    /// the descriptor, never by name.
    pub fn subscribe(dir: &OsStr) -> Result<Listener, Errno> {
        let dirfd = rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut name = Vec::with_capacity(NAME_LEN + 1);
        name.push(b'.');
        name.extend_from_slice(PREFIX);
        let t = Tain::now();
        crate::fmt::push_hex(&mut name, &t.pack());
        name.push(b':');
        name.extend_from_slice(&random_tail());
        let tmp = OsStr::from_bytes(&name);
        let fin = OsStr::from_bytes(&name[1..]);
        // Made with its final mode (the umask set aside for the call: a
        // fchmod would cost a journal entry), checked through the
        // descriptor below.
        let umask = rustix::process::umask(Mode::empty());
        let made = crate::fd::mkfifo_at(&dirfd, tmp, 0o622);
        rustix::process::umask(umask);
        made?;
        let opened = (|| {
            let fifo = rustix::fs::FileType::Fifo;
            let open = |flags| crate::fd::open_own_at(&dirfd, tmp, flags, 0, fifo);
            let rd = open(OFlags::RDONLY | OFlags::NONBLOCK)?;
            let st = rustix::fs::fstat(&rd)?;
            if st.st_uid != rustix::process::geteuid().as_raw() {
                return Err(Errno::PERM);
            }
            #[allow(clippy::unnecessary_cast)] // mode_t is 16 bits on the BSDs and macOS
            if st.st_mode as u32 & 0o7777 != 0o622 {
                rustix::fs::fchmod(&rd, Mode::from_raw_mode(0o622))?;
            }
            let wr = open(OFlags::WRONLY | OFlags::NONBLOCK)?;
            let st2 = rustix::fs::fstat(&wr)?;
            if (st2.st_dev, st2.st_ino) != (st.st_dev, st.st_ino) {
                return Err(Errno::PERM);
            }
            rustix::fs::renameat(&dirfd, tmp, &dirfd, fin)?;
            Ok((rd, wr))
        })();
        match opened {
            Ok((rd, wr)) => Ok(Listener {
                path: crate::path::join(dir, &name[1..]),
                rd,
                _wr: wr,
                got: Vec::new(),
            }),
            Err(e) => {
                let _ = rustix::fs::unlinkat(&dirfd, tmp, AtFlags::empty());
                Err(e)
            }
        }
    }

    /// `fd()`: the descriptor to poll for events.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.rd.as_fd()
    }

    /// `read()`: appends every event byte waiting on the fifo to `got`;
    /// returns how many arrived.
    pub fn read(&mut self) -> Result<usize, Errno> {
        let mut buf = [0u8; 512];
        let mut total = 0;
        loop {
            match rustix::io::read(&self.rd, &mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => {
                    self.got.extend_from_slice(&buf[..n]);
                    total += n;
                }
                Err(Errno::AGAIN) => return Ok(total),
                Err(Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// `path()`: the fifo's path (for a cleanup from a signal path).
    pub fn path(&self) -> &OsStr {
        &self.path
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        unlink(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_reaches_listeners_and_removes_stale_fifos() {
        let dir = std::env::temp_dir().join(format!("s6box-ftrig-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        make_dir(dir.as_os_str(), None).unwrap();
        let mut l = Listener::subscribe(dir.as_os_str()).unwrap();
        let name = std::os::unix::ffi::OsStrExt::as_bytes(l.path())
            .rsplit(|&c| c == b'/')
            .next()
            .unwrap()
            .to_vec();
        assert!(is_listener(&name), "{:?}", String::from_utf8_lossy(&name));
        let stale = crate::path::join(dir.as_os_str(), b"ftrig1:@400000006b0cfc6a36fe0785:abcdef");
        crate::fd::mkfifo(&stale, 0o622).unwrap();
        notify(dir.as_os_str(), b"ud").unwrap();
        assert_eq!(l.read().unwrap(), 2);
        assert_eq!(l.got, b"ud");
        assert!(std::fs::metadata(&stale).is_err(), "stale fifo removed");
        let path = l.path().to_owned();
        drop(l);
        assert!(std::fs::metadata(&path).is_err(), "own fifo removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
