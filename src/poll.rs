//! Sleeping in one blocking call: poll(2) on a few descriptors (a signal
//! descriptor, a control fifo, a pidfd, a pipe) with an optional deadline.
//! Every waiting program in s6box sleeps here, so none of them spins or
//! wakes up on a timer the contract does not name.

use crate::{exitcode, msg};
use rustix::event::{PollFd, PollFlags};
use rustix::fd::BorrowedFd;
use rustix::io::Errno;
use std::time::{Duration, Instant};

/// The most descriptors one wait watches without allocating.
pub const MAX: usize = 32;

/// `deadline(ms)`: the moment `ms` milliseconds from now; none for 0
/// (no time limit), as every `-t timeout` option of s6 reads it, or for
/// a moment too far to compute.
pub fn deadline(ms: impl Into<u64>) -> Option<Instant> {
    match ms.into() {
        0 => None,
        ms => Instant::now().checked_add(Duration::from_millis(ms)),
    }
}

/// `wait(fds, deadline)`: sleeps until one of `fds` is readable (or hung
/// up), or `deadline` passes. Returns a bit set: bit i is set when `fds[i]`
/// is ready; 0 means the deadline passed. Past `MAX` descriptors (a
/// listener per service directory), bit `MAX - 1` stands for every
/// descriptor from `MAX - 1` on: the caller reads those without blocking
/// to find which. A failing poll is fatal (111).
///
/// A supervisor sleeps here: its frame stays small (one array of
/// `PollFd`), so the stack a sleeping supervisor keeps is a page or two.
pub fn wait(fds: &[BorrowedFd<'_>], deadline: Option<Instant>) -> u32 {
    let n = fds.len();
    if n == 0 {
        msg::fatal_sys(exitcode::SYS, &[b"poll"], Errno::INVAL);
    }
    if n > MAX {
        let mut pfds: Vec<PollFd<'_>> =
            fds.iter().map(|&fd| PollFd::from_borrowed_fd(fd, PollFlags::IN)).collect();
        return match sleep(&mut pfds, deadline) {
            Ok(true) => ready_bits(&pfds, |i| i.min(MAX - 1)),
            Ok(false) => 0,
            Err(e) => msg::fatal_sys(exitcode::SYS, &[b"poll"], e),
        };
    }
    let mut pfds: [PollFd<'_>; MAX] =
        std::array::from_fn(|i| PollFd::from_borrowed_fd(fds[i.min(n - 1)], PollFlags::IN));
    match sleep(&mut pfds[..n], deadline) {
        Ok(true) => ready_bits(&pfds[..n], |i| i),
        Ok(false) => 0,
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"poll"], e),
    }
}

/// `wait_io(fds, deadline)`: as `wait` (at most `MAX` descriptors), each
/// descriptor watched for reading, or for writing when its flag is true
/// (a write of a few bytes then does not block: a notification
/// descriptor). A `None` entry is skipped (its bit is never set), so the
/// bit numbers can stay fixed while an optional descriptor comes and goes.
pub fn wait_io(fds: &[(Option<BorrowedFd<'_>>, bool)], deadline: Option<Instant>) -> u32 {
    try_wait_io(fds, deadline).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"poll"], e))
}

/// `try_wait_io(fds, deadline)`: as `wait_io`, but a failing poll (or no
/// descriptor at all: EINVAL) is returned instead of being fatal.
pub fn try_wait_io(
    fds: &[(Option<BorrowedFd<'_>>, bool)],
    deadline: Option<Instant>,
) -> Result<u32, Errno> {
    let mut index = [0u8; MAX];
    let mut n = 0;
    for (i, (fd, _)) in fds.iter().enumerate().take(MAX) {
        if fd.is_some() {
            index[n] = i as u8;
            n += 1;
        }
    }
    if n == 0 {
        return Err(Errno::INVAL);
    }
    let mut pfds: [PollFd<'_>; MAX] = std::array::from_fn(|k| {
        let (fd, out) = fds[usize::from(index[k.min(n - 1)])];
        let fd = fd.unwrap_or_else(|| crate::msg::fd(0));
        PollFd::from_borrowed_fd(fd, if out { PollFlags::OUT } else { PollFlags::IN })
    });
    if !sleep(&mut pfds[..n], deadline)? {
        return Ok(0);
    }
    Ok(ready_bits(&pfds[..n], |k| usize::from(index[k])))
}

/// `until_ready(fd, for_writing)`: sleeps until `fd` is readable (or
/// writable, with `for_writing`), hung up or in error: after EAGAIN on a
/// non-blocking descriptor.
pub fn until_ready(fd: BorrowedFd<'_>, for_writing: bool) -> Result<(), Errno> {
    try_wait_io(&[(Some(fd), for_writing)], None).map(|_| ())
}

/// `ready_now(fd)`: whether a read from `fd` would return at once (data,
/// end of file, an error), by a poll that does not wait. A descriptor poll
/// cannot watch (POLLNVAL: a tty on macOS) or a failing poll counts as not
/// ready.
pub fn ready_now(fd: BorrowedFd<'_>) -> bool {
    let mut fds = [PollFd::from_borrowed_fd(fd, PollFlags::IN)];
    let zero = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
    loop {
        return match rustix::event::poll(&mut fds, Some(&zero)) {
            Ok(n) => n > 0 && !fds[0].revents().contains(PollFlags::NVAL),
            Err(Errno::INTR) => continue,
            Err(_) => false,
        };
    }
}

/// `ready_bits(pfds, bit)`: the bit set of the entries with events, entry
/// k setting bit `bit(k)`.
fn ready_bits(pfds: &[PollFd<'_>], bit: impl Fn(usize) -> usize) -> u32 {
    let mut ready = 0u32;
    for (k, p) in pfds.iter().enumerate() {
        if !p.revents().is_empty() {
            ready |= 1 << bit(k);
        }
    }
    ready
}

/// `sleep(pfds, deadline)`: the one poll loop, on any number of
/// descriptors each with its own interest (a server's connections): true once some descriptor
/// has events (read them in `pfds`), false when `deadline` passed; EINTR retried, other
/// failures returned. A long wait is made of steps of at most `i32::MAX`
/// milliseconds (where poll takes an int of milliseconds, macOS and
/// OpenBSD, a longer one is refused). Memory is given back (`trim::now`,
/// where a program enabled it) just before each block.
pub fn sleep(pfds: &mut [PollFd<'_>], deadline: Option<Instant>) -> Result<bool, Errno> {
    const STEP: Duration = Duration::from_millis(i32::MAX as u64);
    loop {
        let timeout = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(false);
                }
                let left = left.min(STEP);
                Some(rustix::time::Timespec {
                    tv_sec: left.as_secs() as _,
                    tv_nsec: i64::from(left.subsec_nanos()) as _,
                })
            }
            None => None,
        };
        crate::trim::now();
        match rustix::event::poll(pfds, timeout.as_ref()) {
            Ok(0) => continue,
            Ok(_) => {
                if pfds.iter().any(|p| !p.revents().is_empty()) {
                    return Ok(true);
                }
            }
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
}
