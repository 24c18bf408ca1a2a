//! systemd's readiness protocol (`NOTIFY_SOCKET` datagrams, as
//! sd_notify sends them), for the bridges between it and s6's
//! notification descriptor: addresses, sending with a descriptor,
//! receiving with any passed descriptor closed at once, `READY=1` found.

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::{Errno, IoSlice, IoSliceMut};
use rustix::net::{
    RecvAncillaryBuffer, RecvFlags, SendAncillaryBuffer, SendAncillaryMessage, SendFlags,
    SocketAddrUnix,
};

/// `address(value)`: `NOTIFY_SOCKET`'s value as an address: a path, or
/// with a leading `@` an abstract name of exactly the rest's length.
pub fn address(value: &[u8]) -> Result<SocketAddrUnix, Errno> {
    match value.split_first() {
        Some((b'@', name)) => crate::linux_like!(if {
            SocketAddrUnix::new_abstract_name(name)
        } else {
            let _ = name;
            Err(Errno::AFNOSUPPORT)
        }),
        Some(_) if !value.contains(&0) => SocketAddrUnix::new(value),
        _ => Err(Errno::INVAL),
    }
}

/// `autobind(sock)`: binds a Unix socket to a kernel-chosen abstract
/// name; returns it in `NOTIFY_SOCKET`'s form (`@` + the name).
/// Abstract names are Linux's: elsewhere `AFNOSUPPORT`.
pub fn autobind(sock: BorrowedFd) -> Result<Vec<u8>, Errno> {
    crate::linux_like!(if {
        rustix::net::bind(sock, &SocketAddrUnix::new_unnamed())?;
        let mut name = crate::socket::local_path(sock)?;
        if name.first() != Some(&0) {
            return Err(Errno::AFNOSUPPORT);
        }
        name[0] = b'@';
        Ok(name)
    } else {
        let _ = sock;
        Err(Errno::AFNOSUPPORT)
    })
}

/// `send(sock, to, msg, fd)`: one datagram, carrying `fd` if given.
pub fn send(
    sock: impl AsFd,
    to: &SocketAddrUnix,
    msg: &[u8],
    fd: Option<BorrowedFd>,
) -> Result<(), Errno> {
    let fds = fd.map(|f| [f]);
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut anc = SendAncillaryBuffer::new(&mut space);
    if let Some(f) = &fds {
        anc.push(SendAncillaryMessage::ScmRights(f));
    }
    rustix::net::sendmsg_addr(sock, to, &[IoSlice::new(msg)], &mut anc, SendFlags::empty())?;
    Ok(())
}

/// `recv(sock, buf)`: the next datagram's length (non-blocking; `EAGAIN`
/// when none); descriptors it carried are closed at once, so a sender
/// waiting for them to close (`BARRIER=1`) goes on.
pub fn recv(sock: impl AsFd, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(16))];
    let mut anc = RecvAncillaryBuffer::new(&mut space);
    let r = rustix::net::recvmsg(
        sock,
        &mut [IoSliceMut::new(buf)],
        &mut anc,
        crate::linux_like!(if {
            RecvFlags::DONTWAIT | RecvFlags::CMSG_CLOEXEC
        } else {
            RecvFlags::DONTWAIT
        }),
    )?;
    for m in anc.drain() {
        if let rustix::net::RecvAncillaryMessage::ScmRights(fds) = m {
            fds.for_each(|fd: OwnedFd| drop(fd));
        }
    }
    Ok(r.bytes)
}

/// `is_ready(msg)`: whether the datagram holds the line `READY=1` (at the
/// start or after a LF, ending at a LF or at the end).
pub fn is_ready(msg: &[u8]) -> bool {
    msg.split(|&c| c == b'\n').any(|l| l == b"READY=1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_lines() {
        assert!(is_ready(b"READY=1"));
        assert!(is_ready(b"READY=1\n"));
        assert!(is_ready(b"STATUS=x\nREADY=1\nMAINPID=3"));
        assert!(!is_ready(b"READY=10"));
        assert!(!is_ready(b"XREADY=1"));
        assert!(!is_ready(b""));
    }
}
