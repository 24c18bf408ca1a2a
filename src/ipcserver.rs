//! s6's local super-server, shared by `s6-ipcserver-socketbinder`,
//! `s6-ipcserverd` and `s6-ipcserver` (which does the whole chain in one
//! process): `bind_stdin` puts a bound, listening Unix socket on
//! descriptor 0 under the `path.lock` protocol; `serve` is the accept
//! loop that spawns one program per connection with the UCSPI variables.

use crate::argv::Argv;
use crate::exec::{Envp, spawn_vfork};
use crate::{exitcode, fmt, lock, msg, poll, sig, socket};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::Pid;

/// What `bind_stdin` does: the socket binder's options.
pub struct Bind<'a> {
    /// The socket's path.
    pub path: &'a [u8],
    /// `-d`: unlink an existing `path` first.
    pub replace: bool,
    /// `listen` backlog; 0: no listen.
    pub backlog: i32,
    /// `-m`: a datagram socket.
    pub dgram: bool,
    /// The socket file's mode (`& 0777`).
    pub perms: u32,
    /// `-B`: leave the socket blocking.
    pub blocking: bool,
}

impl Default for Bind<'_> {
    /// 2.15's defaults: `-d -b 128 -M -a 0777`, non-blocking, no path yet.
    fn default() -> Self {
        Bind {
            path: b"",
            replace: true,
            backlog: socket::SOMAXCONN,
            dgram: false,
            perms: 0o777,
            blocking: false,
        }
    }
}

/// `bind_stdin(b)`: creates the socket on descriptor 0 (not close-on-exec),
/// binds it under `path.lock` (held, without waiting, from before the
/// unlink until the returned descriptor is closed), listens. Dies with
/// s6's messages (`unable to bind to PATH`, `unable to listen to PATH`).
pub fn bind_stdin(b: &Bind) -> OwnedFd {
    let sock = socket::socket(b.dgram, !b.blocking)
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"create socket"], e));
    let bind_failed = |e: Errno| -> ! { msg::fatal_sys(exitcode::SYS, &[b"bind to ", b.path], e) };
    let lockfd = bind_locked(&sock, b.path, b.replace, b.perms).unwrap_or_else(|e| bind_failed(e));
    if b.backlog > 0 {
        socket::listen(&sock, b.backlog)
            .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"listen to ", b.path], e));
    }
    crate::fd::move_to(sock, 0).unwrap_or_else(|e| bind_failed(e));
    lockfd
}

/// `bind_locked(sock, path, replace, perms)`: binds `sock` to `path`
/// (mode `perms & 0777`) under an exclusive lock on `path.lock` (created
/// 0600, taken without waiting: `EBUSY` when held elsewhere), removing an
/// existing `path` first if `replace`; returns the lock's descriptor,
/// which holds it.
pub fn bind_locked(
    sock: &OwnedFd,
    path: &[u8],
    replace: bool,
    perms: u32,
) -> Result<OwnedFd, Errno> {
    use rustix::fs::{Mode, OFlags};
    let mut lockpath = path.to_vec();
    lockpath.extend_from_slice(b".lock");
    let lockfd = rustix::fs::open(
        lockpath.as_slice(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    lock::lock(lockfd.as_fd(), false, lock::Wait::No)?;
    if replace {
        let _ = rustix::fs::unlink(path);
    }
    socket::bind_perms(sock, path, perms)?;
    Ok(lockfd)
}

/// s6-ipcserverd's options.
pub struct Serve {
    /// `-v`: 0 fatal errors only, 1 warnings, 2 one line per event.
    pub verbosity: u32,
    /// `-1`: a newline on stdout once accepting.
    pub ready: bool,
    /// `-p` (default): read the peer's credentials; `-P`: do not.
    pub creds: bool,
    /// `-c`: concurrent children.
    pub maxconn: u32,
    /// `-C`: concurrent children per uid.
    pub localmax: u32,
}

impl Default for Serve {
    /// 2.15's defaults: `-v1 -p -c 40 -C 40`, no `-1`.
    fn default() -> Self {
        Serve { verbosity: 1, ready: false, creds: true, maxconn: 40, localmax: 40 }
    }
}

/// The largest `-c` (2.15's).
pub const MAXCONN_MAX: u32 = 16384;

/// The per-connection variables a UCSPI server sets besides `PROTO`,
/// by their suffix (`${PROTO}SUFFIX`; `serve`'s PROTO is `IPC`).
pub const REMOTE_VARS: [&[u8]; 4] = [b"REMOTEEUID", b"REMOTEEGID", b"REMOTEPATH", b"CONNNUM"];

/// `proto_var(proto, suffix)`: the UCSPI variable `${PROTO}SUFFIX` a
/// program under a server reads: its name and its value, if set.
pub fn proto_var(proto: &[u8], suffix: &[u8]) -> (Vec<u8>, Option<std::ffi::OsString>) {
    use std::os::unix::ffi::OsStrExt;
    let name = [proto, suffix].concat();
    let value = std::env::var_os(std::ffi::OsStr::from_bytes(&name));
    (name, value)
}

/// `line(kind, parts)`: `s6-ipcserverd: KIND: PARTS` on stderr, whoever
/// runs the loop (s6-ipcserver's lines are its s6-ipcserverd's).
fn line(kind: &[u8], parts: &[&[u8]]) {
    let mut buf = Vec::with_capacity(96);
    buf.extend_from_slice(b"s6-ipcserverd: ");
    buf.extend_from_slice(kind);
    buf.extend_from_slice(b": ");
    for p in parts {
        buf.extend_from_slice(p);
    }
    buf.push(b'\n');
    msg::write_all(msg::fd(2), &buf);
}

/// One running child: its pid and the client's uid (None with `-P`).
struct Conn {
    pid: Pid,
    uid: Option<u32>,
}

/// The server's state.
struct Server<'a> {
    o: &'a Serve,
    prog: Argv,
    env: Envp,
    base: usize,
    children: Vec<Conn>,
    nonblocking: bool,
    /// Accepting is suspended (out of descriptors) until a child ends.
    paused: bool,
}

fn dec(n: impl Into<i64>) -> Vec<u8> {
    fmt::dec(n.into())
}

fn id_or_q(id: Option<u32>) -> Vec<u8> {
    id.map_or_else(|| b"?".to_vec(), dec)
}

impl Server<'_> {
    fn info(&self, parts: &[&[u8]]) {
        if self.o.verbosity >= 2 {
            line(b"info", parts);
        }
    }

    fn status(&self) {
        self.info(&[b"status: ", &dec(self.children.len() as u32), b"/", &dec(self.o.maxconn)]);
    }

    /// Every ended child reaped, each logged.
    fn reap(&mut self) {
        use rustix::process::{WaitOptions, waitpid};
        while let Ok(Some((pid, st))) = waitpid(None, WaitOptions::NOHANG) {
            let Some(i) = self.children.iter().position(|c| c.pid == pid) else { continue };
            let c = self.children.swap_remove(i);
            self.paused = false;
            let raw = st.as_raw();
            let (what, n): (&[u8], i32) = if libc::WIFSIGNALED(raw) {
                (b" signal ", libc::WTERMSIG(raw))
            } else {
                (b" exitcode ", libc::WEXITSTATUS(raw))
            };
            self.info(&[
                b"end pid ",
                &dec(pid.as_raw_nonzero().get()),
                b" uid ",
                &id_or_q(c.uid),
                what,
                &dec(n),
            ]);
            self.status();
        }
    }

    fn kill_all(&self, sigs: &[rustix::process::Signal]) {
        for c in &self.children {
            for &s in sigs {
                let _ = rustix::process::kill_process(c.pid, s);
            }
        }
    }

    /// One accepted connection: limits, then the program.
    fn handle(&mut self, conn: OwnedFd) {
        use rustix::fd::AsRawFd;
        // The connection goes to 0 and 1 of the child: keep it off the
        // standard numbers (stdout is closed, so accept may return 1).
        let conn = if conn.as_raw_fd() < 3 {
            match rustix::io::fcntl_dupfd_cloexec(&conn, 3) {
                Ok(c) => c,
                Err(e) => return self.warn_sys(&[b"dup"], e),
            }
        } else {
            conn
        };
        let creds = if self.o.creds {
            match socket::peer_creds(&conn) {
                Ok(c) => Some(c),
                Err(e) => return self.warn_sys(&[b"getpeereid"], e),
            }
        } else {
            None
        };
        let uid = creds.map(|c| c.uid);
        let count =
            uid.map(|u| self.children.iter().filter(|c| c.uid == Some(u)).count() as u32 + 1);
        let local = || -> Vec<u8> {
            let mut v = count.map_or_else(|| b"?".to_vec(), dec);
            v.push(b'/');
            v.extend_from_slice(&dec(if uid.is_some() { self.o.localmax } else { self.o.maxconn }));
            v
        };
        let who = || -> Vec<u8> {
            let mut v = id_or_q(uid);
            v.push(b':');
            v.extend_from_slice(&id_or_q(creds.map(|c| c.gid)));
            v
        };
        if let Some(k) = count
            && k > self.o.localmax
        {
            self.info(&[b"deny ", &who(), b" count ", &local()]);
            return;
        }
        let mut path = socket::peer_path(&conn).unwrap_or_default();
        if let Some(nul) = path.iter().position(|&c| c == 0) {
            path.truncate(nul);
        }
        self.env.truncate(self.base);
        self.env.push(b"PROTO", b"IPC");
        if let Some(c) = creds {
            self.env.push(b"IPCREMOTEEUID", &dec(c.uid));
            self.env.push(b"IPCREMOTEEGID", &dec(c.gid));
        }
        self.env.push(b"IPCREMOTEPATH", &path);
        self.env.push(b"IPCCONNNUM", &count.map(dec).unwrap_or_default());
        let fds = [(conn.as_fd(), 0), (conn.as_fd(), 1)];
        match spawn_vfork(self.prog, &mut self.env, &fds) {
            Ok(pid) => {
                self.children.push(Conn { pid, uid });
                self.info(&[
                    b"allow ",
                    &who(),
                    b" pid ",
                    &dec(pid.as_raw_nonzero().get()),
                    b" count ",
                    &local(),
                ]);
                self.status();
            }
            Err(e) => {
                if self.o.verbosity >= 1 {
                    line(
                        b"warning",
                        &[
                            b"unable to spawn ",
                            self.prog.get(0).to_bytes(),
                            b": ",
                            &msg::strerror(e),
                        ],
                    );
                }
            }
        }
    }

    fn warn_sys(&self, what: &[&[u8]], e: Errno) {
        if self.o.verbosity >= 1 {
            let mut parts: Vec<&[u8]> = vec![b"unable to "];
            parts.extend_from_slice(what);
            let reason = msg::strerror(e);
            parts.push(b": ");
            parts.push(&reason);
            line(b"warning", &parts);
        }
    }

    /// Accepts what is waiting, up to the limit.
    fn accept(&mut self, listener: BorrowedFd) {
        while (self.children.len() as u32) < self.o.maxconn {
            match socket::accept(listener, false) {
                Ok(c) => self.handle(c),
                Err(Errno::AGAIN) => return,
                Err(Errno::CONNABORTED | Errno::PROTO) => {}
                Err(e) => {
                    if self.children.is_empty() {
                        msg::fatal_sys(exitcode::SYS, &[b"accept"], e);
                    }
                    // Out of descriptors or memory: wait for a child to end
                    // rather than poll a listener that stays readable.
                    self.warn_sys(&[b"accept"], e);
                    self.paused = true;
                    return;
                }
            }
            if !self.nonblocking {
                return;
            }
        }
    }
}

/// `serve(o, prog)`: s6-ipcserverd's loop on the listening socket on
/// descriptor 0; never returns (exit 0 on SIGTERM, SIGQUIT, SIGABRT).
pub fn serve(o: &Serve, prog: Argv) -> ! {
    use rustix::process::Signal;
    let listener = msg::fd(0);
    socket::is_socket(listener)
        .unwrap_or_else(|_| msg::fatal(exitcode::USAGE, &[b"stdin is not a socket"]));
    let signals =
        sig::catch_all().unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"catch signals"], e));
    sig::keep_children().unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"catch signals"], e));
    let _ = rustix::io::fcntl_setfd(listener, rustix::io::FdFlags::CLOEXEC);
    let nonblocking = rustix::fs::fcntl_getfl(listener)
        .map(|f| f.contains(rustix::fs::OFlags::NONBLOCK))
        .unwrap_or(false);
    let env = {
        let ipc: Vec<Vec<u8>> = REMOTE_VARS.iter().map(|v| [b"IPC", *v].concat()).collect();
        let mut ucspi: Vec<&[u8]> = vec![b"PROTO"];
        ucspi.extend(ipc.iter().map(Vec::as_slice));
        Envp::current_without(&ucspi)
    };
    let base = env.len();
    let mut s = Server { o, prog, env, base, children: Vec::new(), nonblocking, paused: false };
    s.info(&[b"starting"]);
    s.status();
    if let Ok(out) = crate::fd::adopt(1)
        && o.ready
    {
        let _ = crate::supervision::readiness::notify(out);
    }
    loop {
        let accepting = (s.children.len() as u32) < o.maxconn && !s.paused;
        let ready = poll::wait_io(
            &[(Some(signals.as_fd()), false), (accepting.then_some(listener), false)],
            None,
        );
        if ready & 1 != 0 {
            let mut quit = false;
            while let Ok(Some(n)) = signals.read() {
                let Some(n) = crate::sigpolicy::IPCSERVERD.filter(n) else { continue };
                match n {
                    libc::SIGCHLD => s.reap(),
                    libc::SIGTERM => {
                        s.info(&[b"received SIGTERM, quitting"]);
                        quit = true;
                    }
                    libc::SIGHUP => {
                        s.info(&[b"received SIGHUP, sending SIGTERM+SIGCONT to all connections"]);
                        s.kill_all(&[Signal::TERM, Signal::CONT]);
                    }
                    libc::SIGQUIT => {
                        s.info(&[b"received SIGQUIT, sending SIGTERM+SIGCONT to all connections and quitting"]);
                        s.kill_all(&[Signal::TERM, Signal::CONT]);
                        quit = true;
                    }
                    libc::SIGABRT => {
                        s.info(&[
                            b"received SIGABRT, sending SIGKILL to all connections and quitting",
                        ]);
                        s.kill_all(&[Signal::KILL]);
                        quit = true;
                    }
                    _ => {}
                }
                if quit {
                    s.info(&[b"exiting"]);
                    msg::exit(0);
                }
            }
        }
        if ready & 2 != 0 {
            s.accept(listener);
        }
    }
}

/// `parse_perms(s)`: an octal mode as s6 reads `-a` (any octal number that
/// fits 32 bits; only the permission bits are used), or `None`.
pub fn parse_perms(s: &[u8]) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u32, |n, &c| {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        n.checked_mul(8)?.checked_add(u32::from(c - b'0'))
    })
}

/// `clamp(o)`: the limits as 2.15 takes them: `-c 0` is 1, at most
/// `MAXCONN_MAX`; `-C` at most `-c` (`-C 0` refuses every client).
pub fn clamp(o: &mut Serve) {
    o.maxconn = o.maxconn.clamp(1, MAXCONN_MAX);
    o.localmax = o.localmax.min(o.maxconn);
}
