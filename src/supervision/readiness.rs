//! s6's readiness notification: the service writes a newline to the
//! descriptor named by `notification-fd`, then closes it.

use rustix::fd::OwnedFd;
use rustix::io::Errno;

/// `notify(fd)`: writes one newline to `fd` and closes it. A reader that is
/// gone gives EPIPE, never a SIGPIPE that acts (`sig::no_sigpipe`).
pub fn notify(fd: OwnedFd) -> Result<(), Errno> {
    crate::sig::no_sigpipe(|| crate::io::write_all(&fd, b"\n"))
}
