//! s6-fdholderd's service loop: one process, one blocking poll, the
//! listening socket, up to `-c` connections each reading one message at a
//! time and answering in order. Memory is what is held plus a small fixed
//! amount per connection: a connection whose unsent answers pass
//! `OUT_BOUND` is not read further until they go, a dump is produced one
//! batch at a time as the client takes them, and an idle connection holds
//! no buffer. The daemon sleeps until a descriptor is ready, the nearest
//! deadline of a held descriptor, or the nearest `-t` expiry: nothing
//! else wakes it.

use super::table::Table;
use super::{FDS_MAX, HEADER_LEN, REQUEST_MAX, Request, code, parse_header, parse_request};
use crate::fdpass::header;
use crate::regex::Regex;
use crate::tai::Tain;
use crate::{fdpass, msg, sig, socket};
use rustix::event::{PollFd, PollFlags};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Unsent answer bytes past which a connection is not read further.
pub const OUT_BOUND: usize = 64 * 1024;

/// Reads per connection per wake-up (fairness).
const BURST: usize = 32;

/// The daemon's settings (s6-fdholderd's options, checked).
pub struct Config {
    /// `-c`: at most this many connections.
    pub maxconn: usize,
    /// `-n`: at most this many held descriptors.
    pub maxfds: usize,
    /// `-t`: idle connections closed after this long.
    pub timeout: Option<Duration>,
    /// `-T`: after SIGTERM, exit at the latest after this long.
    pub lameduck: Option<Duration>,
    /// `-v`: 0 silences the warnings.
    pub verbosity: u32,
    /// `-1`: write a newline to stdout once serving.
    pub notify: bool,
}

/// The access rules: what a connecting client may do.
pub trait Rules {
    /// `lookup(uid, gid)`: the environment changes of the rule allowing
    /// the client (name, value; `None` unsets), `Ok(None)` if it is not
    /// allowed, `Err` if the rules could not be read.
    #[allow(clippy::type_complexity)]
    fn lookup(
        &mut self,
        uid: u32,
        gid: u32,
    ) -> Result<Option<Vec<(Vec<u8>, Option<Vec<u8>>)>>, Errno>;
    /// `reload()`: SIGHUP: reopen what the rules are read from.
    fn reload(&mut self);
}

/// What one client may do.
#[derive(Default)]
struct Rights {
    store: Option<Rc<Regex>>,
    retrieve: Option<Rc<Regex>>,
    list: bool,
    getdump: bool,
    setdump: bool,
}

impl Rights {
    fn may_store(&self, id: &[u8]) -> bool {
        self.store.as_ref().is_some_and(|r| r.matches(id))
    }
    fn may_retrieve(&self, id: &[u8]) -> bool {
        self.retrieve.as_ref().is_some_and(|r| r.matches(id))
    }
}

/// Compiled regexes shared by the connections that use the same rule.
#[derive(Default)]
struct RegexCache(Vec<(Vec<u8>, Rc<Regex>)>);

impl RegexCache {
    fn get(&mut self, pattern: &[u8]) -> Result<Rc<Regex>, Vec<u8>> {
        self.0.retain(|(_, r)| Rc::strong_count(r) > 1);
        if let Some((_, r)) = self.0.iter().find(|(p, _)| p == pattern) {
            return Ok(r.clone());
        }
        let pat: &[u8] = if pattern.is_empty() { b".*" } else { pattern };
        let r = Rc::new(Regex::compile(pat)?);
        self.0.push((pattern.to_vec(), r.clone()));
        Ok(r)
    }
}

/// An answer carrying descriptors, sent once the bytes before it are.
enum Pending {
    /// A retrieved descriptor: taken out of the table, or still held
    /// (looked up when sent).
    Fd(Vec<u8>, FdSrc),
    /// A dump: the identifiers at the time of the request, sent 253 at a
    /// time.
    Dump(Vec<Box<[u8]>>, usize),
}

enum FdSrc {
    Owned(OwnedFd),
    Held(Box<[u8]>),
}

/// One client connection.
struct Conn {
    sock: OwnedFd,
    rights: Rights,
    /// Bytes received and not handled yet (requests, the last one maybe
    /// incomplete).
    inbuf: Vec<u8>,
    infds: Vec<OwnedFd>,
    out: Vec<u8>,
    outpos: usize,
    pending: Option<Pending>,
    /// A setdump in progress: (batches left, descriptors left).
    setdump: Option<(u32, u32)>,
    deadline: Option<Instant>,
}

/// A connection to close (protocol error, peer gone).
struct Drop_;

impl Conn {
    fn unsent(&self) -> usize {
        self.out.len() - self.outpos
    }

    fn wants_read(&self) -> bool {
        self.pending.is_none() && self.unsent() <= OUT_BOUND
    }

    fn wants_write(&self) -> bool {
        self.unsent() > 0 || self.pending.is_some()
    }

    fn answer(&mut self, body: &[u8]) {
        self.out.extend_from_slice(&header(body.len(), 0));
        self.out.extend_from_slice(body);
    }
}

/// The daemon.
struct Server<'r> {
    cfg: Config,
    rules: &'r mut dyn Rules,
    table: Table,
    conns: Vec<Conn>,
    regexes: RegexCache,
    warned_full: bool,
    /// Out of descriptors at the last accept: the listening socket is not
    /// watched until something else happens (no spinning on it).
    accept_paused: bool,
}

/// `serve(listen, cfg, rules)`: serves the bound, listening socket
/// `listen` until SIGTERM; returns the exit code (0, plus 1 if it still
/// held descriptors, plus 2 if clients were still connected).
pub fn serve(listen: OwnedFd, cfg: Config, rules: &mut dyn Rules) -> i32 {
    let signals = match sig::catch_all() {
        Ok(s) => s,
        Err(e) => msg::fatal_sys(111, &[b"catch signals"], e),
    };
    if let Err(e) = socket::set_nonblock(&listen, true) {
        msg::fatal_sys(111, &[b"set the socket non-blocking"], e);
    }
    // Stdout is closed for good, after `-1`'s newline.
    if let Ok(out) = crate::fd::adopt(1)
        && cfg.notify
    {
        let _ = crate::supervision::readiness::notify(out);
    }
    let mut s = Server {
        cfg,
        rules,
        table: Table::default(),
        conns: Vec::new(),
        regexes: RegexCache::default(),
        warned_full: false,
        accept_paused: false,
    };
    s.run(&listen, &signals)
}

impl Server<'_> {
    fn warn(&self, parts: &[&[u8]]) {
        if self.cfg.verbosity > 0 {
            msg::warn(parts);
        }
    }

    fn run(&mut self, listen: &OwnedFd, signals: &sig::Signals) -> i32 {
        let mut quitting: Option<Option<Instant>> = None;
        let mut pfds: Vec<PollFd<'_>> = Vec::new();
        loop {
            let now = Instant::now();
            let wall = Tain::now();
            self.table.expire(&wall);
            self.conns.retain(|c| {
                c.deadline.is_none_or(|d| d > now) || c.wants_write() && quitting.is_some()
            });
            if let Some(end) = quitting
                && (!self.conns.iter().any(Conn::wants_write) || end.is_some_and(|e| e <= now))
            {
                return i32::from(!self.table.is_empty()) + 2 * i32::from(!self.conns.is_empty());
            }
            let accepting =
                quitting.is_none() && !self.accept_paused && self.conns.len() < self.cfg.maxconn;
            if quitting.is_none() && self.conns.len() >= self.cfg.maxconn && !self.warned_full {
                self.warned_full = true;
                let n = crate::fmt::dec(self.cfg.maxconn as i64);
                self.warn(&[&n, b" clients connected (-c): new ones wait"]);
            } else if self.conns.len() < self.cfg.maxconn {
                self.warned_full = false;
            }
            // The nearest deadline: an expiry, an idle connection, -T.
            let mut deadline: Option<Instant> =
                self.table.next_deadline().map(|t| now + Duration::from_millis(wall.ms_until(&t)));
            let mut nearer = |d: Option<Instant>| {
                if let Some(d) = d {
                    deadline = Some(deadline.map_or(d, |x| x.min(d)));
                }
            };
            for c in &self.conns {
                nearer(c.deadline);
            }
            if let Some(end) = quitting {
                nearer(end);
            }
            pfds.clear();
            pfds.push(PollFd::from_borrowed_fd(unowned(signals), PollFlags::IN));
            if accepting {
                pfds.push(PollFd::from_borrowed_fd(unowned(listen), PollFlags::IN));
            }
            let base = pfds.len();
            for c in &self.conns {
                let mut f = PollFlags::empty();
                if quitting.is_none() && c.wants_read() {
                    f |= PollFlags::IN;
                }
                if c.wants_write() {
                    f |= PollFlags::OUT;
                }
                pfds.push(PollFd::from_borrowed_fd(unowned(&c.sock), f));
            }
            // Idle (no client), it gives its stack pages back; serving, it
            // keeps them (a trim per request would double latency).
            if self.conns.is_empty() {
                crate::trim::enable();
            } else {
                crate::trim::disable();
            }
            match crate::poll::sleep(&mut pfds, deadline) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => crate::msg::fatal_sys(crate::exitcode::SYS, &[b"poll"], e),
            }
            let ready: Vec<(bool, bool)> = pfds[base..]
                .iter()
                .map(|p| {
                    let r = p.revents();
                    (
                        r.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR),
                        r.contains(PollFlags::OUT),
                    )
                })
                .collect();
            let sig_ready = !pfds[0].revents().is_empty();
            let listen_ready = accepting && !pfds[1].revents().is_empty();
            // Something else woke us: descriptors may have been freed.
            self.accept_paused &= !listen_ready;
            pfds.clear();
            // Connections (their indices are those of `ready`).
            let mut keep = vec![true; ready.len()];
            for (i, &(r, w)) in ready.iter().enumerate() {
                // Requests already received wait for the answers to drain.
                let read = (r || !self.conns[i].inbuf.is_empty()) && quitting.is_none();
                keep[i] = (!w || self.flush(i).is_ok())
                    && (!read || self.read(i).is_ok())
                    && self.flush(i).is_ok();
            }
            let mut k = keep.iter();
            self.conns.retain(|_| *k.next().unwrap_or(&true));
            if sig_ready {
                while let Ok(Some(s)) = signals.read() {
                    let Some(s) = crate::sigpolicy::FDHOLDERD.filter(s) else { continue };
                    match s {
                        libc::SIGTERM if quitting.is_none() => {
                            quitting = Some(self.cfg.lameduck.map(|d| Instant::now() + d));
                            // Clients already gone do not count as connected.
                            self.conns.retain(|c| c.wants_write() || !hung_up(&c.sock));
                        }
                        libc::SIGHUP => self.rules.reload(),
                        _ => {}
                    }
                }
            }
            if listen_ready && quitting.is_none() {
                self.accept(listen);
            }
        }
    }

    /// `accept(listen)`: takes waiting clients, up to `-c`.
    fn accept(&mut self, listen: &OwnedFd) {
        while self.conns.len() < self.cfg.maxconn {
            let sock = match socket::accept(listen, true) {
                Ok(s) => s,
                Err(Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM) => {
                    self.accept_paused = true;
                    return;
                }
                Err(_) => return,
            };
            let creds = match socket::peer_creds(&sock) {
                Ok(c) => c,
                Err(e) => {
                    if self.cfg.verbosity > 0 {
                        msg::warn_sys(&[b"getpeereid"], e);
                    }
                    continue;
                }
            };
            let env = match self.rules.lookup(creds.uid, creds.gid) {
                Ok(Some(env)) => env,
                Ok(None) => continue,
                Err(e) => {
                    self.warn(&[b"error while checking rules: ", &msg::strerror(e)]);
                    continue;
                }
            };
            let Some(rights) = self.rights(&env) else { continue };
            let deadline = self.cfg.timeout.map(|t| Instant::now() + t);
            self.conns.push(Conn {
                sock,
                rights,
                inbuf: Vec::new(),
                infds: Vec::new(),
                out: Vec::new(),
                outpos: 0,
                pending: None,
                setdump: None,
                deadline,
            });
        }
    }

    /// `rights(env)`: a client's rights from its rule's environment, or
    /// `None` (with a warning) if a regex is invalid.
    fn rights(&mut self, env: &[(Vec<u8>, Option<Vec<u8>>)]) -> Option<Rights> {
        let get =
            |name: &[u8]| env.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref());
        let mut r = Rights {
            list: get(b"S6_FDHOLDER_LIST").is_some(),
            getdump: get(b"S6_FDHOLDER_GETDUMP").is_some(),
            setdump: get(b"S6_FDHOLDER_SETDUMP").is_some(),
            ..Rights::default()
        };
        for (name, slot) in [
            (&b"S6_FDHOLDER_STORE_REGEX"[..], &mut r.store),
            (&b"S6_FDHOLDER_RETRIEVE_REGEX"[..], &mut r.retrieve),
        ] {
            if let Some(v) = get(name) {
                match self.regexes.get(v) {
                    Ok(re) => *slot = Some(re),
                    Err(text) => {
                        self.warn(&[b"invalid ", name, b" value: ", v, b": ", &text]);
                        return None;
                    }
                }
            }
        }
        Some(r)
    }

    /// `read(i)`: reads and handles connection i's requests, in order, as
    /// long as its answers go out. Reads take what is there (several
    /// requests at once), bounded by the largest request; the descriptors
    /// that came are taken in order, each request taking as many as its
    /// header says (they arrive with its first byte, so before its last).
    fn read(&mut self, i: usize) -> Result<(), Drop_> {
        let mut drained = false;
        let mut reads = 0;
        loop {
            // The complete requests first.
            loop {
                let c = &mut self.conns[i];
                if !c.wants_read() {
                    return Ok(());
                }
                if c.inbuf.len() < HEADER_LEN {
                    break;
                }
                let (len, nfds) = parse_header(&c.inbuf, REQUEST_MAX).ok_or(Drop_)?;
                if len == 0 {
                    return Err(Drop_);
                }
                let end = HEADER_LEN + len;
                if c.inbuf.len() < end {
                    break;
                }
                if c.infds.len() < nfds {
                    return Err(Drop_);
                }
                let fds: Vec<OwnedFd> = c.infds.drain(..nfds).collect();
                let buf = std::mem::take(&mut c.inbuf);
                c.deadline = self.cfg.timeout.map(|t| Instant::now() + t);
                let r = self.handle(i, &buf[HEADER_LEN..end], fds);
                let c = &mut self.conns[i];
                c.inbuf = buf;
                c.inbuf.drain(..end);
                r?;
                self.flush(i)?;
            }
            if drained || reads == BURST {
                break;
            }
            reads += 1;
            // Then what has come since.
            let c = &mut self.conns[i];
            let have = c.inbuf.len();
            let target = match parse_header(&c.inbuf, REQUEST_MAX) {
                Some((len, _)) if have >= HEADER_LEN => HEADER_LEN + len,
                _ => HEADER_LEN,
            };
            let room = target.saturating_sub(have).max(256);
            c.inbuf.resize(have + room, 0);
            let got = fdpass::recv_now(&c.sock, &mut c.inbuf[have..], &mut c.infds, 2 * FDS_MAX);
            match got {
                Ok(0) => return Err(Drop_),
                Ok(n) => {
                    c.inbuf.truncate(have + n);
                    drained = n < room;
                }
                Err(Errno::AGAIN) => {
                    c.inbuf.truncate(have);
                    break;
                }
                Err(_) => return Err(Drop_),
            }
        }
        // Idle: no buffer kept.
        let c = &mut self.conns[i];
        if c.inbuf.is_empty() {
            c.inbuf = Vec::new();
        }
        Ok(())
    }

    /// `full(what)`: the warning of a store or setdump refused for `-n`.
    fn full(&self, what: &[&[u8]]) {
        let n = crate::fmt::dec(self.cfg.maxfds as i64);
        let mut parts: Vec<&[u8]> = vec![b"unable to "];
        parts.extend_from_slice(what);
        parts.extend_from_slice(&[b": ", &n, b" descriptors held (-n)"]);
        self.warn(&parts);
    }

    /// `handle(i, body, fds)`: one request of connection i.
    fn handle(&mut self, i: usize, body: &[u8], mut fds: Vec<OwnedFd>) -> Result<(), Drop_> {
        let req = parse_request(body, fds.len()).ok_or(Drop_)?;
        let c = &self.conns[i];
        if c.setdump.is_some() && !matches!(req, Request::Batch(_)) {
            return Err(Drop_);
        }
        let wall = Tain::now();
        match req {
            Request::Store { deadline, id } => {
                let a = if !c.rights.may_store(id) {
                    code::EPERM
                } else if self.table.len() >= self.cfg.maxfds {
                    self.full(&[b"store ", id]);
                    code::ENFILE
                } else if self.table.contains(id) {
                    code::EBUSY
                } else {
                    let fd = fds.pop().ok_or(Drop_)?;
                    self.table.insert(id, deadline, fd, &wall);
                    code::OK
                };
                self.conns[i].answer(&[a]);
            }
            Request::Delete { id } => {
                let a = if !c.rights.may_store(id) {
                    code::EPERM
                } else if self.table.remove(id).is_some() {
                    code::OK
                } else {
                    code::ENOENT
                };
                self.conns[i].answer(&[a]);
            }
            Request::Retrieve { del, id } => {
                if !c.rights.may_retrieve(id) || del && !c.rights.may_store(id) {
                    self.conns[i].answer(&[code::EPERM]);
                } else if !self.table.contains(id) {
                    self.conns[i].answer(&[code::ENOENT]);
                } else {
                    let src = if del {
                        FdSrc::Owned(self.table.remove(id).ok_or(Drop_)?)
                    } else {
                        FdSrc::Held(id.into())
                    };
                    let mut m = header(1, 1).to_vec();
                    m.push(code::OK);
                    self.conns[i].pending = Some(Pending::Fd(m, src));
                }
            }
            Request::List => {
                if !c.rights.list {
                    self.conns[i].answer(&[code::EPERM]);
                } else {
                    let mut b = vec![code::OK];
                    b.extend_from_slice(&(self.table.len() as u32).to_be_bytes());
                    for (id, _, _) in self.table.iter() {
                        b.extend_from_slice(id);
                        b.push(0);
                    }
                    self.conns[i].answer(&b);
                }
            }
            Request::GetDump => {
                if !c.rights.getdump {
                    self.conns[i].answer(&[code::EPERM]);
                } else {
                    let n = self.table.len();
                    let mut b = vec![code::OK];
                    b.extend_from_slice(&(super::batches(n) as u32).to_be_bytes());
                    b.extend_from_slice(&(n as u32).to_be_bytes());
                    let ids: Vec<Box<[u8]>> =
                        self.table.iter().map(|(id, _, _)| id.into()).collect();
                    let c = &mut self.conns[i];
                    c.answer(&b);
                    if n > 0 {
                        c.pending = Some(Pending::Dump(ids, 0));
                    }
                }
            }
            Request::SetDump { count } => {
                if !c.rights.setdump {
                    self.conns[i].answer(&[code::EPERM]);
                } else if count as usize + self.table.len() > self.cfg.maxfds {
                    let k = crate::fmt::dec(i64::from(count));
                    self.full(&[b"set dump of ", &k]);
                    self.conns[i].answer(&[code::ENFILE]);
                } else {
                    let n = super::batches(count as usize) as u32;
                    let mut b = vec![code::OK];
                    b.extend_from_slice(&n.to_be_bytes());
                    let c = &mut self.conns[i];
                    c.answer(&b);
                    if count > 0 {
                        c.setdump = Some((n, count));
                    }
                }
            }
            Request::Batch(entries) => {
                let (batches, left) = self.conns[i].setdump.ok_or(Drop_)?;
                let n = fds.len() as u32;
                let last = batches == 1;
                if n > left || last && n != left || !last && n != FDS_MAX as u32 {
                    return Err(Drop_);
                }
                let new = entries.clone().filter(|(_, id)| !self.table.contains(id)).count();
                if self.table.len() + new > self.cfg.maxfds {
                    let k = crate::fmt::dec(i64::from(n));
                    self.full(&[b"set dump of ", &k]);
                    self.conns[i].setdump = None;
                    self.conns[i].answer(&[code::ENFILE]);
                    return Ok(());
                }
                for ((deadline, id), fd) in entries.zip(fds.drain(..)) {
                    self.table.insert(id, deadline, fd, &wall);
                }
                let c = &mut self.conns[i];
                if last {
                    c.setdump = None;
                    c.answer(&[code::OK]);
                } else {
                    c.setdump = Some((batches - 1, left - n));
                    c.answer(&[code::EAGAIN]);
                }
            }
        }
        Ok(())
    }

    /// `flush(i)`: sends what connection i can take now.
    fn flush(&mut self, i: usize) -> Result<(), Drop_> {
        loop {
            let c = &mut self.conns[i];
            if c.outpos < c.out.len() {
                match fdpass::send_now(&c.sock, &c.out[c.outpos..], &[]) {
                    Ok(n) => c.outpos += n,
                    Err(Errno::AGAIN) => return Ok(()),
                    Err(_) => return Err(Drop_),
                }
                continue;
            }
            if c.out.capacity() > 512 || c.pending.is_none() {
                c.out = Vec::new();
            } else {
                c.out.clear();
            }
            c.outpos = 0;
            let Some(p) = c.pending.take() else {
                c.deadline = self.cfg.timeout.map(|t| Instant::now() + t);
                return Ok(());
            };
            match p {
                Pending::Fd(m, src) => {
                    let fd = match &src {
                        FdSrc::Owned(fd) => fd.as_fd(),
                        FdSrc::Held(id) => self.table.get(id).ok_or(Drop_)?,
                    };
                    let c = &self.conns[i];
                    match fdpass::send_now(&c.sock, &m, &[fd]) {
                        Ok(n) => {
                            let c = &mut self.conns[i];
                            c.out.extend_from_slice(&m[n..]);
                        }
                        Err(Errno::AGAIN) => {
                            self.conns[i].pending = Some(Pending::Fd(m, src));
                            return Ok(());
                        }
                        Err(_) => return Err(Drop_),
                    }
                }
                Pending::Dump(ids, next) => {
                    let end = (next + FDS_MAX).min(ids.len());
                    let mut body = Vec::new();
                    let mut fds: Vec<BorrowedFd<'_>> = Vec::with_capacity(end - next);
                    for id in &ids[next..end] {
                        let (fd, t) = self.table.get_with_deadline(id).ok_or(Drop_)?;
                        super::push_entry(&mut body, &t, id);
                        fds.push(fd);
                    }
                    let mut m = header(body.len(), fds.len()).to_vec();
                    m.extend_from_slice(&body);
                    let c = &self.conns[i];
                    match fdpass::send_now(&c.sock, &m, &fds) {
                        Ok(n) => {
                            drop(fds);
                            let c = &mut self.conns[i];
                            c.out.extend_from_slice(&m[n..]);
                            if end < ids.len() {
                                c.pending = Some(Pending::Dump(ids, end));
                            }
                        }
                        Err(Errno::AGAIN) => {
                            drop(fds);
                            self.conns[i].pending = Some(Pending::Dump(ids, next));
                            return Ok(());
                        }
                        Err(_) => return Err(Drop_),
                    }
                }
            }
        }
    }
}

/// `unowned(fd)`: a borrow of `fd` not tied to its owner's borrow, for
/// the poll array (emptied before any connection is touched).
fn unowned(fd: &impl AsFd) -> BorrowedFd<'static> {
    use rustix::fd::AsRawFd;
    msg::fd(fd.as_fd().as_raw_fd())
}

/// `hung_up(sock)`: the peer closed its end (end-of-file or an error is
/// all that is left to read).
fn hung_up(sock: &OwnedFd) -> bool {
    use rustix::net::RecvFlags;
    let mut b = [0u8; 1];
    !matches!(
        rustix::net::recv(sock, &mut b, RecvFlags::PEEK | RecvFlags::DONTWAIT),
        Ok((1, _)) | Err(Errno::AGAIN)
    )
}
