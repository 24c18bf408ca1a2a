//! Whole buffers through a descriptor: a write that goes on until all is
//! written, a read that goes on until the buffer is full or the end of the
//! file. EINTR is retried; a non-blocking descriptor's EAGAIN waits in
//! `poll::until_ready` (the O_NONBLOCK flag of a possibly shared
//! description is never changed).

use rustix::fd::AsFd;
use rustix::io::Errno;

/// `write_all(fd, buf)`: writes all of `buf`. A write that takes nothing
/// fails with EIO (it would be retried forever).
pub fn write_all(fd: impl AsFd, buf: &[u8]) -> Result<(), Errno> {
    write_all_counted(fd, buf).map_err(|(_, e)| e)
}

/// `write_all_counted(fd, buf)`: as `write_all`, but a failure also says
/// how many bytes of `buf` went out before it.
pub fn write_all_counted(fd: impl AsFd, buf: &[u8]) -> Result<(), (usize, Errno)> {
    let mut done = 0;
    while done < buf.len() {
        match rustix::io::write(&fd, &buf[done..]) {
            Ok(0) => return Err((done, Errno::IO)),
            Ok(n) => done += n,
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                if let Err(e) = crate::poll::until_ready(fd.as_fd(), true) {
                    return Err((done, e));
                }
            }
            Err(e) => return Err((done, e)),
        }
    }
    Ok(())
}

/// `read_full(fd, buf)`: reads until `buf` is full or the end of the file;
/// how many bytes came. EAGAIN (a non-blocking fifo with a writer but no
/// data) ends the read as the end of the file does.
pub fn read_full(fd: impl AsFd, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut got = 0;
    while got < buf.len() {
        match rustix::io::read(&fd, &mut buf[got..]) {
            Ok(0) | Err(Errno::AGAIN) => break,
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_buffers_through_a_socket() {
        // A socket pair half-closed with shutdown, not a pipe end dropped: a
        // test thread forking at the same time may hold a copy of any
        // descriptor until it execs, and a shutdown holds whatever copies.
        use rustix::net::{AddressFamily, Shutdown, SocketFlags, SocketType};
        let pair = || {
            rustix::net::socketpair(
                AddressFamily::UNIX,
                SocketType::STREAM,
                SocketFlags::CLOEXEC,
                None,
            )
            .unwrap()
        };
        let (rd, wr) = pair();
        write_all(&wr, b"hello").unwrap();
        rustix::net::shutdown(&wr, Shutdown::Write).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(read_full(&rd, &mut buf), Ok(5));
        assert_eq!(&buf[..5], b"hello");
        let (rd, wr) = pair();
        rustix::net::shutdown(&rd, Shutdown::Read).unwrap();
        let r = crate::sig::ignoring(libc::SIGPIPE, || write_all_counted(&wr, b"x"));
        assert_eq!(r, Err((0, Errno::PIPE)));
    }
}
