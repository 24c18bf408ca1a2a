//! Plumbing for stdin-to-stdout filters that flush "exactly when the next
//! read could block": big reads from stdin, full writes to stdout, and a
//! zero-timeout poll to learn whether more input is already there. The
//! O_NONBLOCK flag of the (possibly shared) descriptions is never changed;
//! EINTR is retried and EAGAIN waits in poll. Failures die with s6's
//! messages (`unable to read from stdin`, `unable to write to stdout`), 111.

use crate::{exitcode, msg, poll};
use rustix::io::Errno;

/// `read(buf, out)`: reads what stdin has (at least one byte, blocking if
/// need be) into `buf`; 0 at end of input. Before waiting for a
/// non-blocking stdin, flushes `out`. On a read error, writes `out` (every
/// line accepted so far) and dies.
pub fn read(buf: &mut [u8], out: &mut Vec<u8>) -> usize {
    loop {
        match rustix::io::read(msg::fd(0), &mut *buf) {
            Ok(n) => return n,
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                // Someone else may have taken the input poll saw: this
                // wait could be long.
                if !out.is_empty() {
                    flush(out);
                }
                if let Err(e) = poll::until_ready(msg::fd(0), false) {
                    die_read(e, out)
                }
            }
            Err(e) => die_read(e, out),
        }
    }
}

fn die_read(e: Errno, out: &mut Vec<u8>) -> ! {
    flush(out);
    msg::fatal_sys(exitcode::SYS, &[b"read from stdin"], e)
}

/// `input_ready()`: whether a read from stdin would return at once (data,
/// end of input or an error), by a poll with a zero timeout.
pub fn input_ready() -> bool {
    // Cannot tell (POLLNVAL, a failing poll): not ready, so the caller
    // flushes, which is always correct.
    poll::ready_now(msg::fd(0))
}

/// `write(buf)`: writes all of `buf` to stdout. Dies on a write error
/// (EPIPE when SIGPIPE is ignored; with SIGPIPE at its default the kernel
/// ends the process first, like any filter's).
pub fn write(buf: &[u8]) {
    if let Err(e) = crate::io::write_all(msg::fd(1), buf) {
        msg::fatal_sys(exitcode::SYS, &[b"write to stdout"], e)
    }
}

/// `flush(out)`: writes and empties `out`.
pub fn flush(out: &mut Vec<u8>) {
    write(out);
    out.clear();
}

/// `flush_if_idle(out)`: before a read that could block: flushes `out`
/// unless more input is already waiting (then the next read adds to it).
pub fn flush_if_idle(out: &mut Vec<u8>) {
    if !out.is_empty() && !input_ready() {
        flush(out);
    }
}
