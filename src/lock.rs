//! POSIX record locks on a whole file (`fcntl` F_SETLK/F_SETLKW), the kind
//! s6-setlock and every other fcntl-lock user share. They belong to the
//! process and survive exec as long as a descriptor of the file stays open
//! (closing any descriptor of the file drops them).
//!
//! A wait with a time limit has no system call of its own: the blocking
//! F_SETLKW runs in a helper thread (a lock taken by any thread belongs to
//! the process) while the caller sleeps in poll(2) with the time limit on
//! a pipe the thread reports to. No signal, timer or disposition is
//! touched, so nothing needs undoing before exec; the thread is joined
//! before `lock` returns success. On a time-out (or any other error while
//! waiting) the helper thread may stay blocked: the caller must then end
//! the process. This is the only thread s6box starts; it only locks and
//! writes its 4-byte report.

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

/// What the helper thread needs: the descriptor to lock, the kind of lock,
/// and where to write the result (an errno, 0 for success).
struct Job {
    fd: i32,
    shared: bool,
    report: i32,
}

extern "C" fn helper(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the Box<Job> leaked by `wait_for`, handed over to
    // this thread alone.
    let job = unsafe { Box::from_raw(arg.cast::<Job>()) };
    let code = match wait_lock(crate::fd::borrow(job.fd), job.shared) {
        Ok(()) => 0,
        Err(e) => e.raw_os_error(),
    };
    crate::msg::write_all(crate::fd::borrow(job.report), &code.to_ne_bytes());
    std::ptr::null_mut()
}

/// `wait_for(fd, shared, limit)`: F_SETLKW in a helper thread, the caller
/// sleeping in poll(2) on a pipe the thread reports to, at most `limit`.
fn wait_for(fd: BorrowedFd, shared: bool, limit: Duration) -> Result<(), Errno> {
    use rustix::fd::AsFd;
    let (rd, wr) = crate::fd::pipe_cloexec()?;
    let job = Box::into_raw(Box::new(Job { fd: fd.as_raw_fd(), shared, report: wr.as_raw_fd() }));
    let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: `helper` has the signature pthread_create expects and takes
    // ownership of `job`; default attributes.
    let r =
        unsafe { libc::pthread_create(thread.as_mut_ptr(), std::ptr::null(), helper, job.cast()) };
    if r != 0 {
        // SAFETY: the thread was not created, so `job` is still ours.
        drop(unsafe { Box::from_raw(job) });
        return Err(Errno::from_raw_os_error(r));
    }
    // A limit too far to compute is no limit.
    let deadline = std::time::Instant::now().checked_add(limit);
    let woke = match crate::poll::try_wait_io(&[(Some(rd.as_fd()), false)], deadline) {
        Ok(0) => Err(Errno::TIMEDOUT),
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = woke {
        // Timed out (or poll failed): the thread stays blocked and may
        // still write, so the pipe is never closed; the caller exits.
        std::mem::forget((rd, wr));
        return Err(e);
    }
    let mut buf = [0u8; 4];
    let n = rustix::io::read(&rd, &mut buf)?;
    // SAFETY: the thread was created above and has finished its work (it
    // wrote its report); joining it frees its resources.
    unsafe { libc::pthread_join(thread.assume_init(), std::ptr::null_mut()) };
    match (n, i32::from_ne_bytes(buf)) {
        (4, 0) => Ok(()),
        (4, e) => Err(Errno::from_raw_os_error(e)),
        _ => Err(Errno::NOLCK),
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
        Err(Errno::BUSY) if limit.is_zero() => Err(Errno::TIMEDOUT),
        Err(Errno::BUSY) => wait_for(fd, shared, limit),
        r => r,
    }
}

/// `is_locked(fd)`: whether another process holds a lock on the file open
/// on `fd` that would conflict with an exclusive one (F_GETLK; `fd` may be
/// read-only).
pub fn is_locked(fd: BorrowedFd) -> Result<bool, Errno> {
    // SAFETY: flock is plain data; a zeroed one with the fields set below
    // asks about the whole file. fcntl(F_GETLK) writes into it and nothing
    // else; `fd` is open for the duration of the call.
    unsafe {
        let mut fl: libc::flock = std::mem::zeroed();
        fl.l_type = libc::F_WRLCK as _;
        fl.l_whence = libc::SEEK_SET as _;
        fl.l_start = 0;
        fl.l_len = 0;
        loop {
            if libc::fcntl(fd.as_raw_fd(), libc::F_GETLK, &mut fl) == 0 {
                return Ok(fl.l_type != libc::F_UNLCK as _);
            }
            let e = crate::msg::errno();
            if e != Errno::INTR {
                return Err(e);
            }
        }
    }
}
