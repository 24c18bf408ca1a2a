//! s6-socklog: a syslogd. Binds a Unix datagram socket (`/dev/log`) or a
//! UDP one, and writes one line per datagram to stdout (for s6-log):
//! `FACILITY.PRIORITY: message`. The output buffer is bounded: while it
//! is full nothing is read, so senders wait in the kernel and no datagram
//! it accepted is lost.

use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{AddressFamily, RecvFlags};
use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::creds::{self, Target};
use s6box::{exitcode, fmt, ipcserver, msg, poll, sig, sigpolicy, socket, syslog};
use std::net::{IpAddr, SocketAddr};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-socklog [ -d notif ] [ -r ] [ -U | -u uid -g gid -G gidlist ] [ -l linelen ] [ -t lameducktimeout ] [ -x socket | -i ip_port ]";

/// Lines held at most before reading stops.
const HELD_LINES: usize = 4;

/// Exit code when the buffered lines could not be written in time.
const TIMED_OUT: i32 = 99;

/// Where to listen.
enum Listen {
    Unix(Vec<u8>),
    Udp(SocketAddr),
}

/// `parse_ip_port(s)`: `a.b.c.d`, `a.b.c.d:port`, `a.b.c.d_port`, `v6`,
/// `v6_port` (port 514 by default).
fn parse_ip_port(s: &[u8]) -> Option<SocketAddr> {
    let s = std::str::from_utf8(s).ok()?;
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, 514));
    }
    let cut = s.rfind(['_', ':'])?;
    let ip = s[..cut].parse::<IpAddr>().ok()?;
    if ip.is_ipv6() && s.as_bytes()[cut] == b':' {
        return None;
    }
    let port = s[cut + 1..].parse::<u16>().ok().filter(|_| s[cut + 1..].bytes().all(|c| c.is_ascii_digit()))?;
    Some(SocketAddr::new(ip, port))
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut notif, mut raw, mut from_env) = (None::<i32>, false, false);
    let mut t = Target::default();
    let (mut linelen, mut lameduck) = (1024usize, 0u32);
    let mut listen = Listen::Unix(b"/dev/log".to_vec());
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('d') => notif = Some(cli.number()),
            Opt::Short('r') => raw = true,
            Opt::Short('U') => from_env = true,
            Opt::Short('u') => t.uid = Some(cli.number()),
            Opt::Short('g') => t.gid = Some(cli.number()),
            Opt::Short('G') => {
                let v = cli.value();
                t.groups = Some(creds::parse_gidlist(v.as_bytes()).unwrap_or_else(|| cli.usage()));
            }
            Opt::Short('l') => linelen = cli.number(),
            Opt::Short('t') => lameduck = cli.number(),
            Opt::Short('x') => listen = Listen::Unix(cli.value().as_bytes().to_vec()),
            Opt::Short('i') => {
                let v = cli.value();
                listen = Listen::Udp(parse_ip_port(v.as_bytes()).unwrap_or_else(|| cli.usage()));
            }
            _ => cli.usage(),
        }
    }
    let linelen = linelen.clamp(76, 1048576);
    if from_env {
        let (uid, gid, groups) = creds::from_env();
        t = Target { uid: Some(uid), gid: Some(gid), groups: Some(groups) };
    }
    for (fd, name) in [(1, &b"stdout"[..]), (2, b"stderr")] {
        if let Err(e) = rustix::io::fcntl_getfd(msg::fd(fd)) {
            msg::fatal(exitcode::USAGE, &[b"invalid ", name, b": ", &msg::strerror(e)]);
        }
    }
    if let Some(n) = notif {
        if n < 3 {
            msg::fatal(exitcode::USAGE, &[b"notification fd must be 3 or more"]);
        }
        if let Err(e) = rustix::io::fcntl_getfd(msg::fd(n)) {
            msg::fatal(exitcode::USAGE, &[b"invalid notification fd: ", &msg::strerror(e)]);
        }
    }
    let signals = sig::catch_all().unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"catch signals"], e));

    let (sock, _lock, udp) = match &listen {
        Listen::Unix(path) => {
            let failed =
                |e: Errno| -> ! { msg::fatal_sys(exitcode::SYS, &[b"bind socket to ", path], e) };
            let sock = socket::socket(true, true).unwrap_or_else(|e| failed(e));
            let lock = ipcserver::bind_locked(&sock, path, true, 0o777).unwrap_or_else(|e| failed(e));
            (sock, Some(lock), false)
        }
        Listen::Udp(addr) => {
            let failed = |e: Errno| -> ! {
                let (ip, port) = (addr.ip().to_string(), fmt::dec(i64::from(addr.port())));
                msg::fatal_sys(
                    exitcode::SYS,
                    &[b"bind socket to ip ", ip.as_bytes(), b" port ", &port],
                    e,
                )
            };
            let family = if addr.is_ipv6() { AddressFamily::INET6 } else { AddressFamily::INET };
            let sock = socket::socket_in(family, true, true).unwrap_or_else(|e| failed(e));
            rustix::net::sockopt::set_socket_reuseaddr(&sock, true).unwrap_or_else(|e| failed(e));
            rustix::net::bind(&sock, addr).unwrap_or_else(|e| failed(e));
            (sock, None, true)
        }
    };
    // stdin is not read: /dev/null in its place.
    if let Ok(null) = rustix::fs::open("/dev/null", rustix::fs::OFlags::RDONLY, rustix::fs::Mode::empty()) {
        let _ = s6box::fd::move_to(null, 0);
    }
    if let Err((call, e)) = creds::apply(&t) {
        msg::fatal_sys(exitcode::SYS, &[call.as_bytes()], e);
    }
    if let Some(n) = notif
        && let Ok(fd) = s6box::fd::adopt(n)
    {
        let _ = s6box::supervision::readiness::notify(fd);
    }
    serve(&sock, &signals, linelen, raw, udp, lameduck)
}

/// `serve(...)`: the loop; returns the exit code after SIGTERM.
fn serve(sock: &OwnedFd, signals: &sig::Signals, linelen: usize, raw: bool, udp: bool, lameduck: u32) -> i32 {
    // The longest line: an address prefix, the priority, the message
    // with `...`, the newline.
    let maxline = 64 + 20 + linelen + 1 + 3 + 1;
    let cap = HELD_LINES * maxline;
    let mut out: Vec<u8> = Vec::with_capacity(cap);
    let mut done = 0usize;
    let mut buf = vec![0u8; linelen + 1];
    let me = rustix::process::getpid();
    loop {
        let pending = done < out.len();
        let room = out.len() + maxline <= cap;
        let ready = poll::wait_io(
            &[
                (Some(signals.as_fd()), false),
                (room.then(|| sock.as_fd()), false),
                (pending.then(|| msg::fd(1)), true),
            ],
            None,
        );
        if ready & 1 != 0 {
            while let Some(s) = signals.next_from_others(me) {
                if s == libc::SIGTERM {
                    return lame_duck(&out[done..], lameduck);
                }
                sigpolicy::SOCKLOG.filter(s);
            }
        }
        if ready & 4 != 0 {
            // At most a pipe's atomic size: a write after POLLOUT then
            // never blocks on a pipe.
            let end = out.len().min(done + 4096);
            match rustix::io::write(msg::fd(1), &out[done..end]) {
                Ok(n) => done += n,
                Err(Errno::INTR) | Err(Errno::AGAIN) => {}
                Err(e) => msg::fatal_sys(exitcode::SYS, &[b"write to stdout"], e),
            }
            if done == out.len() {
                out.clear();
                done = 0;
            } else if done >= cap / 2 {
                out.drain(..done);
                done = 0;
            }
        }
        if ready & 2 != 0 {
            while out.len() + maxline <= cap {
                let (n, from) = if udp {
                    match rustix::net::recvfrom(sock, &mut buf[..], RecvFlags::DONTWAIT) {
                        Ok((n, _, from)) => (n, from.and_then(|a| SocketAddr::try_from(a).ok())),
                        Err(Errno::AGAIN) | Err(Errno::INTR) => break,
                        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"recv"], e),
                    }
                } else {
                    match rustix::net::recv(sock, &mut buf[..], RecvFlags::DONTWAIT) {
                        Ok((n, _)) => (n, None),
                        Err(Errno::AGAIN) | Err(Errno::INTR) => break,
                        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"recv"], e),
                    }
                };
                // An empty datagram says nothing.
                if n == 0 {
                    continue;
                }
                if let Some(a) = from {
                    out.extend_from_slice(a.ip().to_string().as_bytes());
                    out.push(b'_');
                    fmt::push_dec(&mut out, i64::from(a.port()));
                    out.extend_from_slice(b": ");
                }
                syslog::datagram(&mut out, &buf[..n], n == linelen + 1, raw);
            }
        }
    }
}

/// `lame_duck(rest, ms)`: writes what is buffered, within `ms` if not 0.
fn lame_duck(mut rest: &[u8], ms: u32) -> i32 {
    let deadline = poll::deadline(ms);
    while !rest.is_empty() {
        if poll::wait_io(&[(Some(msg::fd(1)), true)], deadline) == 0 {
            return TIMED_OUT;
        }
        match rustix::io::write(msg::fd(1), &rest[..rest.len().min(4096)]) {
            Ok(n) => rest = &rest[n..],
            Err(Errno::INTR) | Err(Errno::AGAIN) => {}
            Err(e) => msg::fatal_sys(exitcode::SYS, &[b"write to stdout"], e),
        }
    }
    0
}
