//! s6-notify-fd-from-socket: run a daemon speaking systemd's readiness
//! protocol under s6: `NOTIFY_SOCKET` points at a socket a helper
//! listens on; its `READY=1` becomes the newline s6-supervise waits for
//! on the notification descriptor. The helper ends with the program.

use rustix::fd::AsFd;
use rustix::io::Errno;
use s6box::argv::Argv;
use s6box::{env, exec, exitcode, fd, file, msg, poll, sdnotify, socket};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-notify-fd-from-socket [ -f ] [ -3 fd ] [ -t timeout ] prog...";

/// Exit code of a helper that waited too long.
const TIMED_OUT: i32 = 99;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let o = super::notify::parse(argv, USAGE, '3', false);
    let fd = o.fd.unwrap_or_else(|| {
        let b = file::read_small(OsStr::new("./notification-fd"), 64).unwrap_or_else(|e| {
            msg::fatal_sys(exitcode::SYS, &[b"read ./notification-fd"], e)
        });
        let line = b.split(|&c| c == b'\n').next().unwrap_or(b"");
        s6box::cli::parse_decimal(OsStr::from_bytes(line))
            .unwrap_or_else(|| msg::fatal(exitcode::USAGE, &[b"invalid ./notification-fd"]))
    });
    // Ours from now on: close-on-exec, so prog does not get it.
    let notif = fd::adopt(fd).unwrap_or_else(|e| {
        let r = msg::strerror(e);
        msg::fatal(exitcode::SYS, &[b"notification-fd sanity check failed: ", &r])
    });
    let sys = |what: &[u8], e: Errno| -> ! { msg::fatal_sys(exitcode::SYS, &[what], e) };
    let sock = socket::socket(true, true).unwrap_or_else(|e| sys(b"create socket", e));
    let name = sdnotify::autobind(sock.as_fd()).unwrap_or_else(|e| sys(b"bind socket", e));
    // The program keeps this process's pid: the helper follows it.
    let me = rustix::process::getpid();
    let pidfd = s6box::linux_like!(if {
        rustix::process::pidfd_open(me, rustix::process::PidfdFlags::empty()).ok()
    } else {
        None::<rustix::fd::OwnedFd>
    });
    let deadline = poll::deadline(o.timeout);
    if super::notify::fork_helper(o.doublefork) {
        helper(&sock, &notif, pidfd.as_ref().map(|p| p.as_fd()), deadline, o.doublefork, me);
    }
    drop((sock, notif, pidfd));
    env::set("NOTIFY_SOCKET", OsStr::from_bytes(&name));
    exec::exec(o.prog)
}

/// `helper(...)`: waits for `READY=1` on `sock` and writes a newline to
/// `notif`; exits without writing when the program ends (its pidfd, or
/// with a direct fork its parent-death) or the deadline passes.
fn helper(
    sock: &rustix::fd::OwnedFd,
    notif: &rustix::fd::OwnedFd,
    pidfd: Option<rustix::fd::BorrowedFd>,
    deadline: Option<std::time::Instant>,
    doublefork: bool,
    prog: rustix::process::Pid,
) -> ! {
    if pidfd.is_none() && !doublefork {
        s6box::linux_like!(if {
            let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM));
        } else {});
        if rustix::process::getppid() != Some(prog) {
            msg::exit(1);
        }
    }
    let mut buf = vec![0u8; 4096];
    loop {
        let ready = poll::wait_io(&[(Some(sock.as_fd()), false), (pidfd, false)], deadline);
        if ready == 0 {
            msg::fatal(TIMED_OUT, &[b"timed out waiting for notification"]);
        }
        if ready & 1 != 0 {
            loop {
                match sdnotify::recv(sock, &mut buf) {
                    Ok(n) if sdnotify::is_ready(&buf[..n]) => {
                        let _ = rustix::io::write(notif, b"\n");
                        msg::exit(0);
                    }
                    Ok(_) => {}
                    Err(Errno::AGAIN) => break,
                    Err(Errno::INTR) => {}
                    Err(e) => msg::fatal_sys(exitcode::SYS, &[b"recv"], e),
                }
            }
        }
        if ready & 2 != 0 {
            msg::exit(1);
        }
    }
}
