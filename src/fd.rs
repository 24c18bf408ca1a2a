//! Descriptors by number: named on a command line (`-d fd`), inherited
//! (`adopt`), put on a fixed number for the exec'd program (`copy_to`,
//! `move_to`, `place_all`), and the standard ones kept open (`sanitize_std`).

use rustix::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::{Errno, FdFlags};

/// `borrow(n)`: descriptor `n`, named by the user, for calls that only use
/// it (tcsetpgrp, fstat); a closed one makes those calls fail with EBADF.
pub fn borrow(n: i32) -> BorrowedFd<'static> {
    // SAFETY: nothing is closed through this borrow; a descriptor that is
    // not open only makes the system calls using it fail.
    unsafe { BorrowedFd::borrow_raw(n) }
}

/// `inherit(fd)`: clears close-on-exec on `fd` and gives up ownership: the
/// exec'd program gets it. Returns its number.
pub fn inherit(fd: OwnedFd) -> Result<i32, Errno> {
    rustix::io::fcntl_setfd(&fd, FdFlags::empty())?;
    Ok(fd.into_raw_fd())
}

/// `move_to(fd, n)`: makes descriptor number `n` refer to what `fd` refers
/// to (replacing whatever `n` was), not close-on-exec, for the exec'd
/// program; `fd` itself is closed unless it already is `n`.
pub fn move_to(fd: OwnedFd, n: i32) -> Result<(), Errno> {
    if fd.as_raw_fd() == n {
        return inherit(fd).map(|_| ());
    }
    copy_to(fd.as_fd(), n)
}

/// `copy_to(fd, n)`: makes descriptor number `n` refer to what `fd` refers
/// to (replacing whatever `n` was), not close-on-exec; `fd` stays open.
/// When `fd` already is `n`, its close-on-exec flag is cleared (dup2(n, n)
/// would leave it set).
pub fn copy_to(fd: BorrowedFd, n: i32) -> Result<(), Errno> {
    if fd.as_raw_fd() == n {
        return rustix::io::fcntl_setfd(fd, FdFlags::empty());
    }
    // SAFETY: dup2 on a descriptor open for the duration of the call; `n`
    // is replaced as the caller asked (-d n, or stderr put back). The new
    // descriptor has close-on-exec clear and is deliberately left open,
    // owned by nobody in this process.
    if unsafe { libc::dup2(fd.as_raw_fd(), n) } < 0 {
        return Err(crate::msg::errno());
    }
    Ok(())
}

/// `place_all(fds)`: for a child about to exec: makes each `(fd, n)`'s
/// `fd` its descriptor `n` (not close-on-exec), whatever the numbers: every
/// source is first copied above all the targets (close-on-exec), so a
/// source numbered like another target is never overwritten too early.
pub fn place_all(fds: &[(BorrowedFd, i32)]) -> Result<(), Errno> {
    let above = fds.iter().map(|&(_, n)| n).max().unwrap_or(0).max(2) + 1;
    let mut high = Vec::with_capacity(fds.len());
    for &(fd, _) in fds {
        high.push(rustix::io::fcntl_dupfd_cloexec(fd, above)?);
    }
    for (h, &(_, n)) in high.iter().zip(fds) {
        copy_to(h.as_fd(), n)?;
    }
    Ok(())
}

/// `null_onto(n)`: `/dev/null` on descriptor `n` (not close-on-exec), open
/// for reading on 0 and for writing on any other number, as s6 does.
pub fn null_onto(n: i32) -> Result<(), Errno> {
    let mode = if n == 0 { OFlags::RDONLY } else { OFlags::WRONLY };
    move_to(rustix::fs::open("/dev/null", mode | OFlags::CLOEXEC, Mode::empty())?, n)
}

/// `sanitize_std()`: a closed stdin, stdout or stderr is opened on
/// /dev/null (`null_onto`), so no descriptor the program opens later takes
/// its number.
pub fn sanitize_std() -> Result<(), Errno> {
    for n in 0..3 {
        if rustix::io::fcntl_getfd(borrow(n)) == Err(Errno::BADF) {
            null_onto(n)?;
        }
    }
    Ok(())
}

/// `adopt(n)`: takes over inherited descriptor `n` (which must be open:
/// EBADF otherwise) and makes it close-on-exec, so no program started from
/// here inherits it. The caller becomes its only owner.
pub fn adopt(n: i32) -> Result<OwnedFd, Errno> {
    if n < 0 {
        return Err(Errno::BADF);
    }
    let flags = rustix::io::fcntl_getfd(borrow(n))?;
    rustix::io::fcntl_setfd(borrow(n), flags | FdFlags::CLOEXEC)?;
    // SAFETY: fcntl proved the descriptor open; it was inherited, nothing
    // else in this process owns it, and the caller takes over its closing.
    Ok(unsafe { <OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(n) })
}

/// `pipe_cloexec()`: a pipe whose two ends are close-on-exec.
pub fn pipe_cloexec() -> Result<(rustix::fd::OwnedFd, rustix::fd::OwnedFd), Errno> {
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    {
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        let (rd, wr) = rustix::pipe::pipe()?;
        rustix::io::fcntl_setfd(&rd, rustix::io::FdFlags::CLOEXEC)?;
        rustix::io::fcntl_setfd(&wr, rustix::io::FdFlags::CLOEXEC)?;
        Ok((rd, wr))
    }
}

/// `mkfifo(path, mode)`: creates a fifo (mode less the umask), as
/// mkfifo(3) (rustix has no portable call for it).
pub fn mkfifo(path: &std::ffi::OsStr, mode: u32) -> Result<(), Errno> {
    let path = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(path))
        .map_err(|_| Errno::INVAL)?;
    // SAFETY: `path` is NUL-terminated and outlives the call.
    if unsafe { libc::mkfifo(path.as_ptr(), mode as libc::mode_t) } < 0 {
        return Err(crate::msg::errno());
    }
    Ok(())
}

/// `mkfifo_at(dir, name, mode)`: creates the fifo `name` in the directory
/// open on `dir` (mode less the umask), as mkfifoat(3).
pub fn mkfifo_at(dir: impl AsFd, name: &std::ffi::OsStr, mode: u32) -> Result<(), Errno> {
    let name = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(name))
        .map_err(|_| Errno::INVAL)?;
    let dir = dir.as_fd();
    // SAFETY: `name` is NUL-terminated and outlives the call; `dir` is a
    // descriptor borrowed for the call.
    if unsafe { libc::mkfifoat(dir.as_raw_fd(), name.as_ptr(), mode as libc::mode_t) } < 0 {
        return Err(crate::msg::errno());
    }
    Ok(())
}

/// `open_own_at(dir, name, flags, mode, kind)`: opens `name` in the directory
/// open on `dir` without following a symbolic link (and without blocking
/// on a fifo), for a program that must not be led to act on another file
/// by whoever can write that directory: the file must be of type `kind`
/// and not linked elsewhere (one link), or `Errno::LOOP` (a symbolic
/// link), `Errno::INVAL` (another type), `Errno::MLINK`.
pub fn open_own_at(
    dir: impl AsFd,
    name: impl rustix::path::Arg,
    flags: OFlags,
    mode: u32,
    kind: rustix::fs::FileType,
) -> Result<OwnedFd, Errno> {
    let all = flags | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, all, Mode::from_raw_mode(mode as _))?;
    let st = rustix::fs::fstat(&fd)?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode) != kind {
        return Err(Errno::INVAL);
    }
    if st.st_nlink > 1 {
        return Err(Errno::MLINK);
    }
    if !flags.contains(OFlags::NONBLOCK) {
        // Back to blocking I/O, as asked (a regular file ignores it).
        let fl = rustix::fs::fcntl_getfl(&fd)?;
        rustix::fs::fcntl_setfl(&fd, fl - OFlags::NONBLOCK)?;
    }
    Ok(fd)
}

/// `datasync(fd)`: flushes a file's data to its device (fdatasync, or
/// fsync where the system has no fdatasync).
pub fn datasync(fd: impl rustix::fd::AsFd) -> Result<(), Errno> {
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "openbsd"))]
    {
        rustix::fs::fsync(fd)
    }
    #[cfg(not(any(target_os = "macos", target_os = "ios", target_os = "openbsd")))]
    {
        rustix::fs::fdatasync(fd)
    }
}

/// `close(n)`: closes descriptor `n`, one the process was handed by
/// number (s6-sudoc giving up its stdin and stdout); a descriptor that is
/// not open is left so.
pub fn close(n: i32) {
    // SAFETY: `n` is a descriptor the process inherited and that nothing
    // in it owns (no OwnedFd holds 0 or 1); closing it is what the caller
    // asks for, and a closed one only makes close fail.
    unsafe { libc::close(n) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloexec(n: i32) -> bool {
        rustix::io::fcntl_getfd(borrow(n)).unwrap().contains(FdFlags::CLOEXEC)
    }

    #[test]
    fn placed_descriptors_are_inherited() {
        let (a, b) = pipe_cloexec().unwrap();
        let (na, nb) = (a.as_raw_fd(), b.as_raw_fd());
        // On its own number: only the flag changes.
        copy_to(a.as_fd(), na).unwrap();
        assert!(!cloexec(na));
        // Swapped: each source survives until it is copied.
        let (ino_a, ino_b) = (rustix::fs::fstat(&a).unwrap(), rustix::fs::fstat(&b).unwrap());
        place_all(&[(a.as_fd(), nb), (b.as_fd(), na)]).unwrap();
        assert_eq!(rustix::fs::fstat(borrow(nb)).unwrap().st_ino, ino_a.st_ino);
        assert_eq!(rustix::fs::fstat(borrow(na)).unwrap().st_ino, ino_b.st_ino);
        assert!(!cloexec(na) && !cloexec(nb));
    }
}
