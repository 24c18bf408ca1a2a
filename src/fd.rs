//! Descriptors named by number on a command line (`-d fd`), and handing a
//! descriptor over to the exec'd program.

use rustix::fd::{BorrowedFd, IntoRawFd, OwnedFd};
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
    use rustix::fd::{AsFd, AsRawFd};
    if fd.as_raw_fd() == n {
        return inherit(fd).map(|_| ());
    }
    copy_to(fd.as_fd(), n)
}

/// `copy_to(fd, n)`: makes descriptor number `n` refer to what `fd` refers
/// to (replacing whatever `n` was), not close-on-exec; `fd` stays open.
pub fn copy_to(fd: BorrowedFd, n: i32) -> Result<(), Errno> {
    use rustix::fd::AsRawFd;
    // SAFETY: dup2 on a descriptor open for the duration of the call; `n`
    // is replaced as the caller asked (-d n, or stderr put back). The new
    // descriptor has close-on-exec clear and is deliberately left open,
    // owned by nobody in this process.
    if unsafe { libc::dup2(fd.as_raw_fd(), n) } < 0 {
        return Err(crate::msg::errno());
    }
    Ok(())
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
