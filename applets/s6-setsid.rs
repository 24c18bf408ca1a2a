//! s6-setsid: run prog as a session leader, or in a new background or
//! foreground process group.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::{exec, exitcode, msg, sig};
use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::Errno;

const USAGE: &str = "s6-setsid [ -s | -b | -f | -g ] [ -i | -I | -q ] [ -d ctty ] prog...";

/// What to become.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Session,
    Background,
    Foreground,
    Grab,
}

/// What to do when an operation fails.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnError {
    Warn,
    Die,
    Quiet,
}

impl OnError {
    fn report(self, what: &[u8], e: Errno) {
        match self {
            OnError::Warn => msg::warn_sys(&[what], e),
            OnError::Die => msg::fatal_sys(exitcode::SYS, &[what], e),
            OnError::Quiet => {}
        }
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut mode, mut on_error, mut ctty) = (Mode::Session, OnError::Warn, None);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('s') => mode = Mode::Session,
            Opt::Short('b') => mode = Mode::Background,
            Opt::Short('f') => mode = Mode::Foreground,
            Opt::Short('g') => mode = Mode::Grab,
            Opt::Short('i') => on_error = OnError::Die,
            Opt::Short('I') => on_error = OnError::Warn,
            Opt::Short('q') => on_error = OnError::Quiet,
            Opt::Short('d') => ctty = Some(cli.number()),
            Opt::Long(l) => match l.as_str() {
                "session" => mode = Mode::Session,
                "background-process-group" => mode = Mode::Background,
                "foreground-process-group" => mode = Mode::Foreground,
                "foreground-process-group-grab" => mode = Mode::Grab,
                "strict" => on_error = OnError::Die,
                "no-strict" => on_error = OnError::Warn,
                "quiet" => on_error = OnError::Quiet,
                "ctty" => ctty = Some(cli.number()),
                _ => cli.usage(),
            },
            _ => cli.usage(),
        }
    }
    let prog = cli.rest();
    if prog.is_empty() {
        cli.usage();
    }
    if mode == Mode::Session {
        if let Err(e) = rustix::process::setsid() {
            on_error.report(b"setsid", e);
        }
    } else {
        if let Err(e) = rustix::process::setpgid(None, None) {
            on_error.report(b"setpgid", e);
        }
        if mode != Mode::Background {
            foreground(ctty, mode == Mode::Grab, on_error);
        }
    }
    exec::exec(prog)
}

/// `foreground(ctty, grab, on_error)`: makes our process group the
/// terminal's foreground group; `/dev/tty` (when no descriptor is given) is
/// opened close-on-exec and closed before returning.
fn foreground(ctty: Option<i32>, grab: bool, on_error: OnError) {
    use rustix::fs::{Mode as FileMode, OFlags, open};
    let opened;
    let tty: BorrowedFd = match ctty {
        Some(fd) => s6box::fd::borrow(fd),
        None => {
            let flags = OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC;
            match open("/dev/tty", flags, FileMode::empty()) {
                Ok(fd) => {
                    opened = fd;
                    opened.as_fd()
                }
                Err(e) => return on_error.report(b"open /dev/tty", e),
            }
        }
    };
    let set = || rustix::termios::tcsetpgrp(tty, rustix::process::getpgrp());
    let r = if grab { sig::ignoring(libc::SIGTTOU, set) } else { set() };
    if let Err(e) = r {
        on_error.report(b"tcsetpgrp", e);
    }
}
