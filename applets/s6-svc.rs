//! s6-svc: send commands to the supervisors of service directories, and
//! with `-w?` wait, in this process, until they reach a state.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::sigpolicy;
use s6box::supervision::events;
use crate::applets::waiting;
use s6box::path;
use s6box::supervision::svwait::Goal;
use s6box::supervision::control::{self, SendError};
use s6box::supervision::{servicedir, signame};
use s6box::{exitcode, msg};
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
    servicedir::paths_or_die(dirs.iter().copied());
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
    let waiter = waiting::start(&dirs, goal, false, &sigpolicy::LISTENER);
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
    let path = path::join(dir, servicedir::NOTIFICATION_FD);
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
    let dirb = dir.as_bytes();
    match control::send_to(dir, s6box::supervision::SUPERVISE, letters) {
        Ok(()) => Ok(()),
        Err(SendError::NotListening) => {
            msg::warn(&[b"unable to control ", dirb, b": supervisor not listening"]);
            Err(102)
        }
        Err(SendError::Broken(e)) => {
            let what: [&[u8]; 4] =
                [b"something is wrong with the ", dirb, b"/supervise directory: ", &msg::strerror(e)];
            msg::warn(&what);
            Err(exitcode::FAIL)
        }
        Err(SendError::Other(e)) => {
            msg::warn_sys(&[b"control ", dirb], e);
            Err(exitcode::SYS)
        }
    }
}
