//! The command fifo: `supervise/control` for s6-supervise,
//! `.s6-svscan/control` for s6-svscan. The server keeps it open for
//! reading and writing (it never sees end-of-file) and applies the bytes
//! one at a time; a client opens it write-only and non-blocking (ENXIO:
//! nobody listens) and writes all its command bytes in one write.
//!
//! s6-supervise's bytes: `a b q h k t i 1 2 y` (SIGALRM, SIGABRT, SIGQUIT,
//! SIGHUP, SIGKILL, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGWINCH), `p c`
//! (SIGSTOP/SIGCONT, paused), `P C K` (the same and SIGKILL to the process
//! group), `r` restart, `o` once, `d` down, `u` up, `D U` (with `./down`),
//! `O` want down only, `Q` down file only, `x` exit when down.

use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::ffi::OsStr;

/// The file's path relative to a service directory.
pub const PATH: &str = "supervise/control";

/// `letter_of_signal(sig)`: the command byte that sends `sig` to a service
/// (`s6-svc -s`), if there is one.
pub fn letter_of_signal(sig: i32) -> Option<u8> {
    SIGNAL_LETTERS.iter().find(|&&(_, s)| s == sig).map(|&(c, _)| c)
}

/// `signal_of_letter(c)`: the signal a command byte sends to `run`'s pid
/// alone (`p` and `c` included), if it is one of those.
pub fn signal_of_letter(c: u8) -> Option<i32> {
    SIGNAL_LETTERS.iter().find(|&&(l, _)| l == c).map(|&(_, s)| s)
}

static SIGNAL_LETTERS: &[(u8, i32)] = &[
    (b'a', libc::SIGALRM),
    (b'b', libc::SIGABRT),
    (b'q', libc::SIGQUIT),
    (b'h', libc::SIGHUP),
    (b'k', libc::SIGKILL),
    (b't', libc::SIGTERM),
    (b'i', libc::SIGINT),
    (b'1', libc::SIGUSR1),
    (b'2', libc::SIGUSR2),
    (b'y', libc::SIGWINCH),
    (b'p', libc::SIGSTOP),
    (b'c', libc::SIGCONT),
];

/// `serve(path)`: the server side: creates the fifo (mode 0600) if it is
/// missing, then opens it for reading (non-blocking) and for writing
/// (kept, so the reader never sees end-of-file). Returns (reader, writer).
pub fn serve(path: &OsStr) -> Result<(OwnedFd, OwnedFd), Errno> {
    match crate::fd::mkfifo(path, 0o600) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(e),
    }
    let rd =
        rustix::fs::open(path, OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())?;
    let wr =
        rustix::fs::open(path, OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())?;
    if !rustix::fs::fstat(&rd)
        .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_fifo())
    {
        return Err(Errno::NOTSUP);
    }
    Ok((rd, wr))
}

/// `read(fd, buf)`: the command bytes waiting on the server's reader
/// (empty when there are none now).
pub fn read<'a>(fd: &OwnedFd, buf: &'a mut [u8]) -> Result<&'a [u8], Errno> {
    loop {
        return match rustix::io::read(fd, &mut *buf) {
            Ok(n) => Ok(&buf[..n]),
            Err(Errno::AGAIN) => Ok(&buf[..0]),
            Err(Errno::INTR) => continue,
            Err(e) => Err(e),
        };
    }
}

/// Why `send_to` could not send, as s6's clients tell it apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Nobody listens: the fifo has no reader, or the server's directory
    /// (`supervise`, `.s6-svscan`) is missing.
    NotListening,
    /// The server's directory is there but unusable (a file, no fifo in
    /// it): the error met.
    Broken(Errno),
    /// Anything else (the directory itself cannot be opened, permission
    /// denied): the error.
    Other(Errno),
}

/// `send_to(dir, sub, bytes)`: `send` to `dir/sub/control` (no bytes: the
/// fifo only opened, to check that someone listens), a failure diagnosed
/// as s6's clients do: `dir` opened, then `sub` in it.
pub fn send_to(dir: &OsStr, sub: &str, bytes: &[u8]) -> Result<(), SendError> {
    let path = crate::path::join(&crate::path::join(dir, sub), "control");
    let sent = if bytes.is_empty() {
        let flags = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        rustix::fs::open(&path, flags, Mode::empty()).map(drop)
    } else {
        send(&path, bytes)
    };
    let e = match sent {
        Ok(()) => return Ok(()),
        Err(Errno::NXIO) => return Err(SendError::NotListening),
        Err(e @ (Errno::NOENT | Errno::NOTDIR)) => e,
        Err(e) => return Err(SendError::Other(e)),
    };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let top = rustix::fs::open(dir, flags, Mode::empty()).map_err(SendError::Other)?;
    match rustix::fs::openat(&top, sub, flags, Mode::empty()) {
        Err(Errno::NOENT) => Err(SendError::NotListening),
        r => Err(SendError::Broken(r.err().unwrap_or(e))),
    }
}

/// `send(path, bytes)`: the client side: writes `bytes` in one write to
/// the fifo at `path`. `Errno::NXIO`: nobody listens (also when `path` is
/// not a fifo: a regular file planted there, or reached through a link,
/// is never written to); `Errno::NOENT`: no fifo.
pub fn send(path: &OsStr, bytes: &[u8]) -> Result<(), Errno> {
    let fd =
        rustix::fs::open(path, OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())?;
    if !rustix::fs::fstat(&fd)
        .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_fifo())
    {
        return Err(Errno::NXIO);
    }
    crate::sig::no_sigpipe(|| {
        loop {
            return match rustix::io::write(&fd, bytes) {
                Ok(n) if n == bytes.len() => Ok(()),
                Ok(_) => Err(Errno::AGAIN),
                Err(Errno::INTR) => continue,
                Err(e) => Err(e),
            };
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_writes_only_to_a_fifo() {
        let dir = std::env::temp_dir().join(format!("s6box-control-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let file = dir.join("file");
        std::fs::write(&file, b"secret\n").unwrap();
        let link = dir.join("control");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(send(link.as_os_str(), b"u"), Err(Errno::NXIO));
        assert_eq!(send(file.as_os_str(), b"u"), Err(Errno::NXIO));
        assert_eq!(std::fs::read(&file).unwrap(), b"secret\n");
        let fifo = dir.join("fifo");
        let (rd, _wr) = serve(fifo.as_os_str()).unwrap();
        send(fifo.as_os_str(), b"ud").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(read(&rd, &mut buf).unwrap(), b"ud");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
