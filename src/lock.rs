//! POSIX record locks on a whole file (`fcntl` F_SETLK/F_SETLKW), the kind
//! s6-setlock and every other fcntl-lock user share. They belong to the
//! process and survive exec as long as a descriptor of the file stays open
//! (closing any descriptor of the file drops them).
//!
//! A wait with a time limit has no system call of its own: the blocking
//! F_SETLKW runs in a helper thread (a lock taken by any thread belongs to
//! the process) while the caller sleeps on a channel with the time limit.
//! No signal, timer or disposition is touched, so nothing needs undoing
//! before exec. On a time-out the helper thread stays blocked: the caller
//! must then end the process.

use rustix::fd::{AsRawFd, BorrowedFd};
use rustix::fs::{FlockOperation, fcntl_lock};
use rustix::io::Errno;
use std::time::Duration;

/// How long to wait for a lock held by another process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Fail at once (`Errno::BUSY`).
    No,
    /// Until it is free.
    Forever,
    /// At most this long (`Errno::TIMEDOUT` after).
    For(Duration),
}

fn op(shared: bool, block: bool) -> FlockOperation {
    match (shared, block) {
        (true, true) => FlockOperation::LockShared,
        (true, false) => FlockOperation::NonBlockingLockShared,
        (false, true) => FlockOperation::LockExclusive,
        (false, false) => FlockOperation::NonBlockingLockExclusive,
    }
}

/// `try_lock(fd, shared)`: one attempt; a lock held elsewhere is `BUSY`.
fn try_lock(fd: BorrowedFd, shared: bool) -> Result<(), Errno> {
    loop {
        return match fcntl_lock(fd, op(shared, false)) {
            Err(Errno::INTR) => continue,
            Err(Errno::AGAIN | Errno::ACCESS) => Err(Errno::BUSY),
            r => r,
        };
    }
}

/// `wait_lock(fd, shared)`: blocks until the lock is taken.
fn wait_lock(fd: BorrowedFd, shared: bool) -> Result<(), Errno> {
    loop {
        return match fcntl_lock(fd, op(shared, true)) {
            Err(Errno::INTR) => continue,
            r => r,
        };
    }
}

/// `lock(fd, shared, wait)`: takes a shared (read) or exclusive (write)
/// record lock on the whole file open on `fd`.
pub fn lock(fd: BorrowedFd, shared: bool, wait: Wait) -> Result<(), Errno> {
    let limit = match wait {
        Wait::No => return try_lock(fd, shared),
        Wait::Forever => return wait_lock(fd, shared),
        Wait::For(limit) => limit,
    };
    match try_lock(fd, shared) {
        Err(Errno::BUSY) if limit.is_zero() => return Err(Errno::TIMEDOUT),
        Err(Errno::BUSY) => {}
        r => return r,
    }
    let raw = fd.as_raw_fd();
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let helper = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let _ = tx.send(wait_lock(crate::fd::borrow(raw), shared));
        })
        .map_err(|e| Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EAGAIN)))?;
    match rx.recv_timeout(limit) {
        Ok(r) => {
            let _ = helper.join();
            r
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(Errno::TIMEDOUT),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(Errno::NOLCK),
    }
}
