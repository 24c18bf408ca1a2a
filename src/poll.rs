//! Sleeping in one blocking call: poll(2) on a few descriptors (a signal
//! descriptor, a control fifo, a pidfd, a pipe) with an optional deadline.
//! Every waiting program in s6box sleeps here, so none of them spins or
//! wakes up on a timer the contract does not name.

use crate::{exitcode, msg};
use rustix::event::{PollFd, PollFlags};
use rustix::fd::BorrowedFd;
use rustix::io::Errno;
use std::time::Instant;

/// The most descriptors one wait watches.
pub const MAX: usize = 32;

/// `wait(fds, deadline)`: sleeps until one of `fds` is readable (or hung
/// up), or `deadline` passes. Returns a bit set: bit i is set when `fds[i]`
/// is ready; 0 means the deadline passed. `fds` holds 1 to `MAX`
/// descriptors. A failing poll is fatal (111).
pub fn wait(fds: &[BorrowedFd<'_>], deadline: Option<Instant>) -> u32 {
    let n = fds.len().min(MAX);
    let mut io: [(Option<BorrowedFd<'_>>, bool); MAX] = [(None, false); MAX];
    for (slot, fd) in io.iter_mut().zip(fds) {
        *slot = (Some(*fd), false);
    }
    wait_io(&io[..n], deadline)
}

/// `wait_io(fds, deadline)`: as `wait`, each descriptor watched for
/// reading, or for writing when its flag is true (a write of a few bytes
/// then does not block: a notification descriptor). A `None` entry is
/// skipped (its bit is never set), so the bit numbers can stay fixed
/// while an optional descriptor comes and goes.
pub fn wait_io(fds: &[(Option<BorrowedFd<'_>>, bool)], deadline: Option<Instant>) -> u32 {
    let all: [(BorrowedFd<'_>, usize, bool); MAX] = [(crate::msg::fd(0), 0, false); MAX];
    let mut used = all;
    let mut n = 0;
    for (i, (fd, out)) in fds.iter().enumerate().take(MAX) {
        if let Some(fd) = fd {
            used[n] = (*fd, i, *out);
            n += 1;
        }
    }
    if n == 0 {
        msg::fatal_sys(exitcode::SYS, &[b"poll"], Errno::INVAL);
    }
    loop {
        let timeout = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return 0;
                }
                Some(rustix::time::Timespec {
                    tv_sec: left.as_secs().min(i64::MAX as u64) as i64,
                    tv_nsec: i64::from(left.subsec_nanos()) as _,
                })
            }
            None => None,
        };
        let mut pfds: [PollFd<'_>; MAX] = std::array::from_fn(|i| {
            let (fd, _, out) = used[i.min(n - 1)];
            PollFd::from_borrowed_fd(fd, if out { PollFlags::OUT } else { PollFlags::IN })
        });
        crate::trim::now();
        match rustix::event::poll(&mut pfds[..n], timeout.as_ref()) {
            Ok(0) => continue,
            Ok(_) => {
                let mut ready = 0u32;
                for (k, p) in pfds[..n].iter().enumerate() {
                    if !p.revents().is_empty() {
                        ready |= 1 << used[k].1;
                    }
                }
                if ready != 0 {
                    return ready;
                }
            }
            Err(Errno::INTR) => continue,
            Err(e) => msg::fatal_sys(exitcode::SYS, &[b"poll"], e),
        }
    }
}

/// `wait_any(fds, deadline)`: `wait` for any number of descriptors (a
/// listener per service directory): true when at least one is ready,
/// false when the deadline passed. The caller reads every descriptor
/// without blocking to find which.
pub fn wait_any(fds: &[BorrowedFd<'_>], deadline: Option<Instant>) -> bool {
    if fds.len() <= MAX {
        return wait(fds, deadline) != 0;
    }
    let mut pfds: Vec<PollFd<'_>> =
        fds.iter().map(|&fd| PollFd::from_borrowed_fd(fd, PollFlags::IN)).collect();
    loop {
        let timeout = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return false;
                }
                Some(rustix::time::Timespec {
                    tv_sec: left.as_secs().min(i64::MAX as u64) as i64,
                    tv_nsec: i64::from(left.subsec_nanos()) as _,
                })
            }
            None => None,
        };
        crate::trim::now();
        match rustix::event::poll(&mut pfds, timeout.as_ref()) {
            Ok(0) => continue,
            Ok(_) => {
                if pfds.iter().any(|p| !p.revents().is_empty()) {
                    return true;
                }
            }
            Err(Errno::INTR) => continue,
            Err(e) => msg::fatal_sys(exitcode::SYS, &[b"poll"], e),
        }
    }
}
