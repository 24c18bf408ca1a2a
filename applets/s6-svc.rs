//! s6-svc: send commands to the supervisors of service directories, and
//! with `-w?` wait, in this process, until they reach a state.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::supervision::events;
use crate::applets::waiting;
use s6box::supervision::svwait::Goal;
use s6box::supervision::{atomic, control, signame};
use s6box::{exitcode, msg};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-svc [ -wu | -wU | -wd | -wD | -wr | -wR ] [ -T timeout ] [ -s signal | -abqhkti12pcyrPCK ] [ -oduDUxOQ ] servicedirs...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut letters = Vec::new();
    let mut wait: Option<u8> = None;
    let mut timeout: u64 = 0;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('w') => {
                let v = cli.value();
                match v.as_bytes() {
                    &[c] if Goal::of_letter(c).is_some() => wait = Some(c),
                    _ => cli.usage(),
                }
            }
            Opt::Short('T') => timeout = u64::from(cli.number::<u32>()),
            Opt::Short('s') => {
                let v = cli.value();
                letters.push(signal_letter(v.as_bytes()));
            }
            Opt::Short(c) if c.is_ascii() && b"abqhkti12pcyrPCKoduDUxOQ".contains(&(c as u8)) => {
                letters.push(c as u8)
            }
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.is_empty() {
        cli.usage();
    }
    let dirs: Vec<&OsStr> = rest.iter().collect();
    let Some(w) = wait else {
        return send_all(&dirs, &letters);
    };
    let mut goal = Goal::of_letter(w).unwrap_or_else(|| cli.usage());
    if goal.up && goal.ready && !has_notification_fd(dirs[0]) {
        msg::warn(&[
            dirs[0].as_bytes(),
            b"/notification-fd not present - ignoring request for readiness notification",
        ]);
        goal = goal.without_readiness();
    }
    let waiter = waiting::start(&dirs, goal, false);
    if !letters.is_empty() {
        send_all(&dirs, &letters);
    }
    waiting::finish(waiter, events::deadline(timeout), None)
}

/// `signal_letter(text)`: the command byte of `-s text`, or usage death
/// with s6's messages.
fn signal_letter(text: &[u8]) -> u8 {
    let number = if !text.is_empty() && text.iter().all(u8::is_ascii_digit) {
        std::str::from_utf8(text).ok().and_then(|t| t.parse::<u32>().ok()).map(|n| n as i32)
    } else {
        signame::number(text)
    };
    let Some(sig) = number else { msg::fatal(exitcode::USAGE, &[b"invalid signal: ", text]) };
    control::letter_of_signal(sig).unwrap_or_else(|| {
        msg::fatal(exitcode::USAGE, &[text, b" is not in the list of user-available signals"])
    })
}

fn has_notification_fd(dir: &OsStr) -> bool {
    let path = atomic::join(dir, s6box::supervision::servicedir::NOTIFICATION_FD);
    rustix::fs::stat(&path).is_ok()
}

/// `send_all(dirs, letters)`: sends `letters` to every directory; the exit
/// code of the last failure (0 if none).
fn send_all(dirs: &[&OsStr], letters: &[u8]) -> i32 {
    let mut code = 0;
    for &dir in dirs {
        if let Err(c) = send(dir, letters) {
            code = c;
        }
    }
    code
}

/// `send(dir, letters)`: writes `letters` to `dir`'s control fifo; on
/// failure warns as s6 does and returns the exit code: 102 nobody listens
/// (or no `supervise/`), 1 `supervise/` is unusable, 111 otherwise.
fn send(dir: &OsStr, letters: &[u8]) -> Result<(), i32> {
    let path = atomic::join(dir, control::PATH);
    let e = match open_and_write(&path, letters) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let dirb = dir.as_bytes();
    let not_listening = || {
        msg::warn(&[b"unable to control ", dirb, b": supervisor not listening"]);
        Err(102)
    };
    match e {
        Errno::NXIO => not_listening(),
        Errno::NOENT | Errno::NOTDIR => {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let top = match rustix::fs::open(dir, flags, Mode::empty()) {
                Ok(fd) => fd,
                Err(e2) => {
                    msg::warn_sys(&[b"control ", dirb], e2);
                    return Err(exitcode::SYS);
                }
            };
            match rustix::fs::openat(&top, s6box::supervision::SUPERVISE, flags, Mode::empty()) {
                Err(Errno::NOENT) => not_listening(),
                r => {
                    let e = r.err().unwrap_or(e);
                    msg::warn(&[
                        b"something is wrong with the ",
                        dirb,
                        b"/supervise directory: ",
                        &msg::strerror(e),
                    ]);
                    Err(exitcode::FAIL)
                }
            }
        }
        e => {
            msg::warn_sys(&[b"control ", dirb], e);
            Err(exitcode::SYS)
        }
    }
}

/// `open_and_write(path, letters)`: `control::send`, except that no
/// command at all still checks that the fifo can be opened.
fn open_and_write(path: &OsStr, letters: &[u8]) -> Result<(), Errno> {
    if letters.is_empty() {
        let flags = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        return rustix::fs::open(path, flags, Mode::empty()).map(drop);
    }
    control::send(path, letters)
}
