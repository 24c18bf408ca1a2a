//! Descriptor passing over a Unix stream socket (`SCM_RIGHTS`), and the
//! message framing s6 builds on it (skalibs' "unixmessage": u32 payload
//! length and u16 descriptor count, big-endian, then the payload, the
//! descriptors travelling with the first bytes): the wire of s6-sudo and
//! of the fd-holder. Received descriptors are close-on-exec at once;
//! descriptors beyond what the receiver accepts are closed, never kept.
//! Sockets may be blocking or not: without a deadline a call blocks in
//! the system call itself (or in `poll` on a non-blocking socket); with
//! one it waits in `poll` until then (ETIMEDOUT after it).

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::{Errno, IoSlice, IoSliceMut};
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use std::mem::MaybeUninit;
use std::time::Instant;

/// The frame header's size: u32 payload length, u16 descriptor count.
pub const HEADER: usize = 6;

/// The most descriptors one `sendmsg` may carry (Linux's SCM_MAX_FD).
pub const MAX_FDS: usize = 253;

/// The error a message cut short by end-of-file gives.
pub const EOF: Errno = Errno::CONNRESET;

/// Flags of a send: never raise SIGPIPE (a peer gone is an EPIPE error);
/// with a deadline, never block (the wait is a poll that can end).
fn send_flags(deadline: Option<Instant>) -> SendFlags {
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    let f = SendFlags::NOSIGNAL;
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    let f = SendFlags::empty();
    if deadline.is_some() { f | SendFlags::DONTWAIT } else { f }
}

/// Flags of a receive: descriptors close-on-exec on arrival where the
/// system can (elsewhere, right after); with a deadline, never block.
fn recv_flags(deadline: Option<Instant>) -> RecvFlags {
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    let f = RecvFlags::CMSG_CLOEXEC;
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    let f = RecvFlags::empty();
    if deadline.is_some() { f | RecvFlags::DONTWAIT } else { f }
}

/// `ready(fd, write, deadline)`: waits until `fd` is readable (or
/// writable); ETIMEDOUT once `deadline` passed.
fn ready(fd: BorrowedFd<'_>, write: bool, deadline: Option<Instant>) -> Result<(), Errno> {
    if crate::poll::wait_io(&[(Some(fd), write)], deadline) == 0 {
        return Err(Errno::TIMEDOUT);
    }
    Ok(())
}

/// `send(sock, data, fds, deadline)`: writes all of `data` to `sock`, the
/// descriptors `fds` (at most `MAX_FDS`) attached to its first bytes in
/// one `sendmsg` (the receiver gets them with those bytes). EPIPE or
/// ECONNRESET when the peer is gone; ETIMEDOUT past `deadline`.
pub fn send(
    sock: impl AsFd,
    data: &[u8],
    fds: &[BorrowedFd<'_>],
    deadline: Option<Instant>,
) -> Result<(), Errno> {
    let sock = sock.as_fd();
    if fds.len() > MAX_FDS || (data.is_empty() && !fds.is_empty()) {
        return Err(Errno::INVAL);
    }
    let mut off = 0;
    let mut fds_sent = fds.is_empty();
    while off < data.len() {
        let now = if fds_sent { &[][..] } else { fds };
        match send_once(sock, &data[off..], now, send_flags(deadline)) {
            Ok(n) => {
                off += n;
                fds_sent |= n > 0;
            }
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => ready(sock, true, deadline)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `send_once(sock, data, fds, flags)`: one `sendmsg` (a plain `send`
/// without descriptors): how many bytes went.
fn send_once(
    sock: BorrowedFd<'_>,
    data: &[u8],
    fds: &[BorrowedFd<'_>],
    flags: SendFlags,
) -> Result<usize, Errno> {
    if fds.is_empty() {
        return rustix::net::send(sock, data, flags);
    }
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(Errno::INVAL);
    }
    rustix::net::sendmsg(sock, &[IoSlice::new(data)], &mut control, flags)
}

/// `send_now(sock, data, fds)`: one non-blocking `sendmsg` of `data`,
/// `fds` (at most `MAX_FDS`) attached to its first byte: how many bytes
/// went (EAGAIN: none), for a server that cannot wait on one client.
/// No SIGPIPE.
pub fn send_now(sock: impl AsFd, data: &[u8], fds: &[BorrowedFd<'_>]) -> Result<usize, Errno> {
    if fds.len() > MAX_FDS || (data.is_empty() && !fds.is_empty()) {
        return Err(Errno::INVAL);
    }
    loop {
        match send_once(sock.as_fd(), data, fds, send_flags(Some(Instant::now()))) {
            Err(Errno::INTR) => continue,
            r => return r,
        }
    }
}

/// `recv(sock, buf, fds, max_fds, deadline)`: reads until `buf` is full or
/// end-of-file (returns the count read, short only at end-of-file),
/// appending the descriptors that arrive meanwhile to `fds`
/// (close-on-exec). Past `max_fds` descriptors in `fds`, the extra ones
/// are closed, as are any the kernel had to cut (control data
/// truncated), and the call fails with EPROTO once `buf` is read.
/// ETIMEDOUT past `deadline`.
pub fn recv(
    sock: impl AsFd,
    buf: &mut [u8],
    fds: &mut Vec<OwnedFd>,
    max_fds: usize,
    deadline: Option<Instant>,
) -> Result<usize, Errno> {
    let sock = sock.as_fd();
    let mut got = 0;
    let mut excess = false;
    while got < buf.len() {
        match recv_once(sock, &mut buf[got..], fds, max_fds, recv_flags(deadline)) {
            Ok((n, cut)) => {
                excess |= cut;
                if n == 0 {
                    break;
                }
                got += n;
            }
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => ready(sock, false, deadline)?,
            Err(e) => return Err(e),
        }
    }
    if excess {
        return Err(Errno::PROTO);
    }
    Ok(got)
}

/// `recv_once(sock, buf, fds, max_fds, flags)`: one `recvmsg`: the bytes
/// read, and whether descriptors had to be closed (past `max_fds` in
/// `fds`, or cut by the kernel).
fn recv_once(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
    fds: &mut Vec<OwnedFd>,
    max_fds: usize,
    flags: RecvFlags,
) -> Result<(usize, bool), Errno> {
    // Room for one descriptor more than accepted, so that an excess is
    // seen (and closed) even without the kernel's truncation flag.
    let room = max_fds.saturating_sub(fds.len()).min(MAX_FDS);
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS + 1))];
    let len = rustix::cmsg_space!(ScmRights(room + 1));
    let mut control = RecvAncillaryBuffer::new(&mut space[..len]);
    let msg = rustix::net::recvmsg(sock, &mut [IoSliceMut::new(buf)], &mut control, flags)?;
    let mut excess = msg.flags.contains(ReturnFlags::CTRUNC);
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = m {
            for fd in received {
                #[cfg(any(target_os = "macos", target_os = "ios"))]
                rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
                if fds.len() < max_fds {
                    fds.push(fd);
                } else {
                    excess = true;
                }
            }
        }
    }
    Ok((msg.bytes, excess))
}

/// `recv_now(sock, buf, fds, max_fds)`: one non-blocking `recvmsg` into
/// `buf` (0: end-of-file; EAGAIN: nothing yet), the descriptors that came
/// appended to `fds` (close-on-exec); EPROTO if some had to be closed
/// (past `max_fds`, or cut by the kernel): for a server reading many
/// clients.
pub fn recv_now(
    sock: impl AsFd,
    buf: &mut [u8],
    fds: &mut Vec<OwnedFd>,
    max_fds: usize,
) -> Result<usize, Errno> {
    loop {
        match recv_once(sock.as_fd(), buf, fds, max_fds, recv_flags(Some(Instant::now()))) {
            Err(Errno::INTR) => continue,
            Ok((_, true)) => return Err(Errno::PROTO),
            Ok((n, false)) => return Ok(n),
            Err(e) => return Err(e),
        }
    }
}

/// A framed message: its payload and the descriptors that came with it.
pub struct Message {
    /// The payload.
    pub data: Vec<u8>,
    /// The descriptors, close-on-exec, in the order sent.
    pub fds: Vec<OwnedFd>,
}

/// `header(len, nfds)`: the 6 bytes framing a payload of `len` bytes
/// with `nfds` descriptors (the caller keeps them in range).
pub fn header(len: usize, nfds: usize) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..4].copy_from_slice(&(len as u32).to_be_bytes());
    h[4..].copy_from_slice(&(nfds as u16).to_be_bytes());
    h
}

/// `parse_header(h)`: (payload length, descriptor count) of the header
/// at the start of `h`, `None` while fewer than `HEADER` bytes are there.
pub fn parse_header(h: &[u8]) -> Option<(usize, usize)> {
    let h: &[u8; HEADER] = h.get(..HEADER)?.try_into().ok()?;
    let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
    Some((len, usize::from(u16::from_be_bytes([h[4], h[5]]))))
}

/// `frame(payload, nfds)`: header then payload, ready for `send`.
pub fn frame(payload: &[u8], nfds: usize) -> Result<Vec<u8>, Errno> {
    u32::try_from(payload.len()).map_err(|_| Errno::MSGSIZE)?;
    if nfds > MAX_FDS {
        return Err(Errno::INVAL);
    }
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&header(payload.len(), nfds));
    out.extend_from_slice(payload);
    Ok(out)
}

/// `send_message(sock, payload, fds, deadline)`: one framed message,
/// `fds` attached (as `send`).
pub fn send_message(
    sock: impl AsFd,
    payload: &[u8],
    fds: &[BorrowedFd<'_>],
    deadline: Option<Instant>,
) -> Result<(), Errno> {
    send(sock, &frame(payload, fds.len())?, fds, deadline)
}

/// `recv_message(sock, max_len, max_fds, deadline)`: the next framed
/// message. A header announcing more than `max_len` bytes or `max_fds`
/// descriptors, or descriptors that do not match the announced count:
/// EPROTO (nothing allocated for the announced length: the buffer grows
/// only with bytes actually received). End-of-file within the message:
/// `EOF`. ETIMEDOUT past `deadline`.
pub fn recv_message(
    sock: impl AsFd,
    max_len: usize,
    max_fds: usize,
    deadline: Option<Instant>,
) -> Result<Message, Errno> {
    let sock = sock.as_fd();
    let mut fds = Vec::new();
    let mut head = [0u8; HEADER];
    if recv(sock, &mut head, &mut fds, max_fds, deadline)? < HEADER {
        return Err(EOF);
    }
    let (len, nfds) = parse_header(&head).ok_or(EOF)?;
    if len > max_len || nfds > max_fds {
        return Err(Errno::PROTO);
    }
    let mut data = Vec::new();
    while data.len() < len {
        let start = data.len();
        data.resize(len.min((2 * start).max(2048)), 0);
        let n = recv(sock, &mut data[start..], &mut fds, nfds, deadline)?;
        if start + n < data.len() {
            return Err(EOF);
        }
    }
    if fds.len() != nfds {
        return Err(Errno::PROTO);
    }
    Ok(Message { data, fds })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::net::{AddressFamily, SocketFlags, SocketType};

    fn pair() -> (OwnedFd, OwnedFd) {
        rustix::net::socketpair(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None)
            .unwrap()
    }

    fn cloexec(fd: &OwnedFd) -> bool {
        rustix::io::fcntl_getfd(fd).unwrap().contains(rustix::io::FdFlags::CLOEXEC)
    }

    #[test]
    fn message_with_descriptors_round_trip() {
        let (a, b) = pair();
        let (r, w) = crate::fd::pipe_cloexec().unwrap();
        send_message(&a, b"hello", &[r.as_fd(), w.as_fd()], None).unwrap();
        let m = recv_message(&b, 100, 3, None).unwrap();
        assert_eq!(m.data, b"hello");
        assert_eq!(m.fds.len(), 2);
        assert!(m.fds.iter().all(cloexec));
        rustix::io::write(&m.fds[1], b"x").unwrap();
        let mut one = [0u8; 1];
        assert_eq!(rustix::io::read(&r, &mut one).unwrap(), 1);
        // No descriptor at all, and an empty payload.
        send_message(&a, b"", &[], None).unwrap();
        let m = recv_message(&b, 100, 3, None).unwrap();
        assert!(m.data.is_empty() && m.fds.is_empty());
    }

    #[test]
    fn limits_and_bad_frames() {
        let (a, b) = pair();
        // An announced length over the limit: refused before any read.
        send(&a, &[0xff, 0xff, 0xff, 0xff, 0, 0], &[], None).unwrap();
        assert_eq!(recv_message(&b, 1 << 20, 3, None).err(), Some(Errno::PROTO));
        // More descriptors than accepted: the extra ones are closed (once
        // ours is gone too, no copy of the write end is left anywhere).
        let (a, b) = pair();
        let (r, w) = crate::fd::pipe_cloexec().unwrap();
        let many = [w.as_fd(), w.as_fd(), w.as_fd(), w.as_fd()];
        send(&a, &frame(b"x", 3).unwrap(), &many, None).unwrap();
        assert_eq!(recv_message(&b, 100, 3, None).err(), Some(Errno::PROTO));
        drop(w);
        let mut one = [0u8; 1];
        assert_eq!(rustix::io::read(&r, &mut one).unwrap(), 0, "no descriptor kept");
        // Cut short: end-of-file within the payload.
        let (a, b) = pair();
        send(&a, &frame(b"abcdef", 0).unwrap()[..8], &[], None).unwrap();
        drop(a);
        assert_eq!(recv_message(&b, 100, 3, None).err(), Some(EOF));
        // Nothing arrives: the deadline.
        let (_a, b) = pair();
        let d = Instant::now() + std::time::Duration::from_millis(20);
        assert_eq!(recv_message(&b, 100, 3, Some(d)).err(), Some(Errno::TIMEDOUT));
        // Peer gone: the sender gets an error, no SIGPIPE.
        let (a, b) = pair();
        drop(b);
        assert!(send(&a, b"x", &[], None).is_err());
    }
}
