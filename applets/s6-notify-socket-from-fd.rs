//! s6-notify-socket-from-fd: run an s6-style daemon (a newline on a
//! descriptor when ready) under systemd: a helper reads that newline and
//! sends `READY=1` and the program's pid to `NOTIFY_SOCKET`, as
//! sd_notify does, then a `BARRIER=1` and waits for the manager.

use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use s6box::argv::Argv;
use s6box::{env, exec, exitcode, fd, fmt, msg, poll, sdnotify, socket};
use std::time::Instant;

const USAGE: &str = "s6-notify-socket-from-fd [ -d fd ] [ -f ] [ -t timeout ] [ -k ] prog...";

/// Exit code of a helper that waited too long.
const TIMED_OUT: i32 = 99;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let o = super::notify::parse(argv, USAGE, 'd', true);
    let Some(value) = std::env::var_os("NOTIFY_SOCKET") else { exec::exec(o.prog) };
    use std::os::unix::ffi::OsStrExt;
    let to = sdnotify::address(value.as_bytes())
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::USAGE, &[b"use NOTIFY_SOCKET"], e));
    let (r, w) = fd::pipe_cloexec().unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"pipe"], e));
    let me = rustix::process::getpid();
    let deadline = poll::deadline(o.timeout);
    if super::notify::fork_helper(o.doublefork) {
        drop(w);
        msg::set_tail(b"(child)");
        let code = match helper(&r, &to, me, deadline) {
            Ok(c) => c,
            Err((what, e)) => msg::fatal_sys(exitcode::SYS, &[what], e),
        };
        msg::exit(code);
    }
    drop(r);
    let n = o.fd.unwrap_or(1);
    fd::move_to(w, n).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"dup2"], e));
    if !o.keep_env {
        env::unset("NOTIFY_SOCKET");
    }
    exec::exec(o.prog)
}

type Failed = (&'static [u8], Errno);

/// `helper(r, to, pid, deadline)`: the exit code: 0 notified, 1 the
/// program closed its descriptor first, 99 the deadline passed.
fn helper(
    r: &OwnedFd,
    to: &rustix::net::SocketAddrUnix,
    pid: rustix::process::Pid,
    deadline: Option<Instant>,
) -> Result<i32, Failed> {
    let mut buf = [0u8; 256];
    loop {
        if poll::wait(&[r.as_fd()], deadline) == 0 {
            return Ok(TIMED_OUT);
        }
        match rustix::io::read(r, &mut buf) {
            Ok(0) => return Ok(1),
            Ok(n) if buf[..n].contains(&b'\n') => break,
            Ok(_) | Err(Errno::INTR) | Err(Errno::AGAIN) => {}
            Err(e) => return Err((b"read from notification pipe", e)),
        }
    }
    let sock = socket::socket(true, false).map_err(|e| (&b"create socket"[..], e))?;
    let mut m = b"READY=1\nMAINPID=".to_vec();
    fmt::push_dec(&mut m, i64::from(pid.as_raw_nonzero().get()));
    m.push(b'\n');
    sdnotify::send(&sock, to, &m, None).map_err(|e| (&b"send to NOTIFY_SOCKET"[..], e))?;
    // BARRIER=1: the manager closes the descriptor once it has handled
    // what came before.
    let (br, bw) = fd::pipe_cloexec().map_err(|e| (&b"pipe"[..], e))?;
    sdnotify::send(&sock, to, b"BARRIER=1\n", Some(bw.as_fd()))
        .map_err(|e| (&b"send to NOTIFY_SOCKET"[..], e))?;
    drop(bw);
    loop {
        if poll::wait(&[br.as_fd()], deadline) == 0 {
            return Ok(TIMED_OUT);
        }
        match rustix::io::read(&br, &mut buf) {
            Ok(0) => return Ok(0),
            Ok(_) | Err(Errno::INTR) | Err(Errno::AGAIN) => {}
            Err(e) => return Err((b"read from barrier pipe", e)),
        }
    }
}
