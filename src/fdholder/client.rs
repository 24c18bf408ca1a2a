//! The client side of the fd-holder protocol, as the seven client
//! programs use it: one connection, requests answered in order, each
//! exchange bounded by the `-t` deadline.

use super::{BODY_MAX, FDS_MAX, REQUEST_MAX, Tain, batches, code};
use crate::fdpass::{self, Message};
use crate::socket;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use std::time::Instant;

/// A connection to a fd-holder daemon.
pub struct Client {
    sock: OwnedFd,
    deadline: Option<Instant>,
}

/// One held descriptor, as a dump carries it.
pub struct Entry {
    /// Its identifier.
    pub id: Vec<u8>,
    /// Its deadline.
    pub deadline: Tain,
    /// The descriptor (close-on-exec).
    pub fd: OwnedFd,
}

/// `status(byte)`: an answer byte as a result (the byte is an errno).
fn status(b: u8) -> Result<(), Errno> {
    if b == code::OK { Ok(()) } else { Err(Errno::from_raw_os_error(i32::from(b))) }
}

impl Client {
    /// `connect(path, deadline)`: connects to the daemon at `path`;
    /// every later exchange must end before `deadline`.
    pub fn connect(path: &[u8], deadline: Option<Instant>) -> Result<Client, Errno> {
        let sock = socket::connect_to(path, None).map_err(|e| match e {
            socket::ConnectError::Socket(e)
            | socket::ConnectError::Bind(e)
            | socket::ConnectError::Connect(e) => e,
        })?;
        Ok(Client { sock, deadline })
    }

    fn send(&self, body: &[u8], fds: &[BorrowedFd<'_>]) -> Result<(), Errno> {
        fdpass::send_message(&self.sock, body, fds, self.deadline)
    }

    fn recv(&self, max_len: usize, max_fds: usize) -> Result<Message, Errno> {
        fdpass::recv_message(&self.sock, max_len, max_fds, self.deadline)
    }

    /// `simple()`: a one-byte answer.
    fn simple(&self) -> Result<(), Errno> {
        let m = self.recv(1, 0)?;
        match m.data[..] {
            [b] => status(b),
            _ => Err(Errno::PROTO),
        }
    }

    /// `store(fd, deadline, id)`: holds a copy of `fd` under `id`.
    pub fn store(&self, fd: BorrowedFd<'_>, deadline: &Tain, id: &[u8]) -> Result<(), Errno> {
        check_id(id)?;
        self.send(&super::store(deadline, id), &[fd])?;
        self.simple()
    }

    /// `delete(id)`: closes the descriptor held under `id`.
    pub fn delete(&self, id: &[u8]) -> Result<(), Errno> {
        check_id(id)?;
        self.send(&super::delete(id), &[])?;
        self.simple()
    }

    /// `retrieve(id, del)`: a copy of the descriptor held under `id`
    /// (forgotten by the daemon if `del`).
    pub fn retrieve(&self, id: &[u8], del: bool) -> Result<OwnedFd, Errno> {
        check_id(id)?;
        self.send(&super::retrieve(id, del), &[])?;
        let mut m = self.recv(1, 1)?;
        match (&m.data[..], m.fds.len()) {
            ([0], 1) => m.fds.pop().ok_or(Errno::PROTO),
            ([b], 0) if *b != 0 => Err(Errno::from_raw_os_error(i32::from(*b))),
            _ => Err(Errno::PROTO),
        }
    }

    /// `list()`: the identifiers held.
    pub fn list(&self) -> Result<Vec<Vec<u8>>, Errno> {
        self.send(b"L", &[])?;
        let m = self.recv(BODY_MAX, 0)?;
        let (&b, rest) = m.data.split_first().ok_or(Errno::PROTO)?;
        status(b)?;
        let ids = super::list_answer_ids(rest).ok_or(Errno::PROTO)?;
        Ok(ids.into_iter().map(<[u8]>::to_vec).collect())
    }

    /// `getdump()`: every held descriptor, with its identifier and deadline.
    pub fn getdump(&self) -> Result<Vec<Entry>, Errno> {
        self.send(b"?", &[])?;
        let m = self.recv(9, 0)?;
        let (&b, rest) = m.data.split_first().ok_or(Errno::PROTO)?;
        status(b)?;
        if rest.len() != 8 {
            return Err(Errno::PROTO);
        }
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let total = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        if n != batches(total) {
            return Err(Errno::PROTO);
        }
        let mut out = Vec::new();
        for _ in 0..n {
            let m = self.recv(REQUEST_MAX, FDS_MAX)?;
            let entries = super::Entries(&m.data);
            if entries.clone().count_valid() != Some(m.fds.len()) || out.len() + m.fds.len() > total
            {
                return Err(Errno::PROTO);
            }
            for ((deadline, id), fd) in entries.zip(m.fds) {
                out.push(Entry { id: id.to_vec(), deadline, fd });
            }
        }
        if out.len() != total {
            return Err(Errno::PROTO);
        }
        Ok(out)
    }

    /// `setdump(entries)`: adds a whole set (identifier, deadline,
    /// descriptor), in batches of 253.
    pub fn setdump(&self, entries: &[(&[u8], Tain, BorrowedFd<'_>)]) -> Result<(), Errno> {
        let total = u32::try_from(entries.len()).map_err(|_| Errno::TOOBIG)?;
        for (id, _, _) in entries {
            check_id(id)?;
        }
        self.send(&super::setdump(total), &[])?;
        let m = self.recv(5, 0)?;
        let (&b, rest) = m.data.split_first().ok_or(Errno::PROTO)?;
        status(b)?;
        let n = <[u8; 4]>::try_from(rest).map_err(|_| Errno::PROTO)?;
        if u32::from_be_bytes(n) as usize != batches(entries.len()) {
            return Err(Errno::PROTO);
        }
        let chunks = entries.chunks(FDS_MAX);
        let last = chunks.len();
        for (k, chunk) in chunks.enumerate() {
            let mut body = vec![b'.'];
            let mut fds = Vec::with_capacity(chunk.len());
            for (id, t, fd) in chunk {
                super::push_entry(&mut body, t, id);
                fds.push(fd.as_fd());
            }
            self.send(&body, &fds)?;
            let m = self.recv(1, 0)?;
            let b = *m.data.first().ok_or(Errno::PROTO)?;
            match (b, k + 1 == last) {
                (code::EAGAIN, false) | (code::OK, true) => {}
                (code::OK, false) | (code::EAGAIN, true) => return Err(Errno::PROTO),
                (b, _) => status(b)?,
            }
        }
        Ok(())
    }
}

/// `check_id(id)`: an identifier the protocol can carry (over 255 bytes:
/// ENAMETOOLONG, as 2.15's clients say; empty or with a NUL: EINVAL).
fn check_id(id: &[u8]) -> Result<(), Errno> {
    if id.len() > super::ID_MAX {
        return Err(Errno::NAMETOOLONG);
    }
    if !super::valid_id(id) {
        return Err(Errno::INVAL);
    }
    Ok(())
}

/// `command_line(argv, usage, min, extra)`: a client's command line:
/// the options `extra` takes (it returns whether it took option `c`),
/// then `-t timeout`; the operands, at least `min` of them (else usage).
/// Returns the operands and the `-t` value (0: none).
pub fn command_line(
    argv: crate::argv::Argv,
    usage: &'static str,
    min: usize,
    mut extra: impl FnMut(&mut crate::cli::Cli, char) -> bool,
) -> (crate::argv::Argv, u32) {
    use crate::cli::Opt;
    let mut cli = crate::cli::Cli::new(argv, usage);
    let mut t = 0;
    while let Some(o) = cli.opt() {
        match o {
            Opt::Short(c) if extra(&mut cli, c) => {}
            Opt::Short('t') => t = cli.number(),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < min {
        cli.usage();
    }
    (rest, t)
}

/// `connect_or_die(path, ms, which)`: a connection, or
/// `fatal: unable to connect to WHICH fd-holder daemon at PATH: REASON`
/// (111); `which` is `a`, `a source` or `a destination`.
pub fn connect_or_die(path: &[u8], ms: u32, which: &[u8]) -> Client {
    Client::connect(path, crate::poll::deadline(ms)).unwrap_or_else(|e| {
        crate::msg::fatal_sys(
            crate::exitcode::SYS,
            &[b"connect to ", which, b" fd-holder daemon at ", path],
            e,
        )
    })
}

/// `fail(what, e)`: `fatal: unable to WHAT: REASON`, exit 1 (the exchange
/// failed).
pub fn fail(what: &[&[u8]], e: Errno) -> ! {
    crate::msg::fatal_sys(crate::exitcode::FAIL, what, e)
}
