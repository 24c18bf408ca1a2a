//! s6-setlock: take a POSIX record lock on a file, then exec prog with the
//! locked descriptor open, so the lock lives as long as prog.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::lock::{self, Wait};
use s6box::{exec, exitcode, fd, msg};
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::ffi::CStr;
use std::time::Duration;

const USAGE: &str = "s6-setlock [ -r | -w ] [ -n | -N | -t timeout ] [ -d fd ] lockfile prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut shared, mut wait, mut target) = (false, Wait::Forever, None::<i32>);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('r') => shared = true,
            Opt::Short('w') => shared = false,
            Opt::Short('n') => wait = Wait::No,
            Opt::Short('N') => wait = Wait::Forever,
            Opt::Short('t') => wait = Wait::For(Duration::from_millis(cli.number())),
            Opt::Short('d') => target = Some(cli.number()),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let (file, prog) = (rest.get(0), rest.skip(1));
    // With `-d 2` the lock takes stderr's place: a close-on-exec copy of
    // stderr, put back before a failure message, keeps that message on the
    // real stderr and out of the lock file.
    let stderr = match target {
        Some(2) => rustix::io::fcntl_dupfd_cloexec(msg::fd(2), 0).ok(),
        _ => None,
    };
    let die = |code: i32, parts: &[&[u8]], e: Errno| -> ! {
        if let Some(copy) = &stderr {
            let _ = fd::copy_to(copy.as_fd(), 2);
        }
        msg::fatal_sys(code, parts, e)
    };
    let how: &[u8] = if shared { b" for reading" } else { b" for writing" };
    let opened = open(file, shared)
        .unwrap_or_else(|e| die(exitcode::SYS, &[b"open ", file.to_bytes(), how], e));
    // A closed 0, 1 or 2 must not receive the lock: prog would write its
    // output (and we our messages) into the locked file. `-d` puts it
    // where it is asked to go.
    let opened = match target {
        None if opened.as_raw_fd() < 3 => {
            let moved = rustix::io::fcntl_dupfd_cloexec(&opened, 3)
                .unwrap_or_else(|e| die(exitcode::SYS, &[b"hand over the lock descriptor"], e));
            drop(opened);
            moved
        }
        _ => opened,
    };
    // The descriptor is handed to prog (and, with -d, moved) before
    // locking: closing a second descriptor of the file after locking would
    // drop the lock.
    let held = match target {
        Some(n) => fd::move_to(opened, n).map(|()| n),
        None => fd::inherit(opened),
    }
    .unwrap_or_else(|e| die(exitcode::SYS, &[b"hand over the lock descriptor"], e));
    if let Err(e) = lock::lock(fd::borrow(held), shared, wait) {
        die(exitcode::FAIL, &[b"lock ", file.to_bytes()], e);
    }
    // As exec::exec, but a failure is reported through `die`. s6-setlock
    // changes no signal state, so there is nothing to restore.
    let e = exec::try_exec(prog);
    die(exec::fail_code(e), &[b"exec ", prog.get(0).to_bytes()], e)
}

/// `open(file, shared)`: the lock file, opened without blocking (a fifo
/// with nobody on the other side must not hang us in open(2)): for
/// reading (created first if missing; a directory will do) or for
/// writing (created if missing).
fn open(file: &CStr, shared: bool) -> Result<OwnedFd, Errno> {
    let base = OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let mode = Mode::from_raw_mode(0o644);
    if !shared {
        return rustix::fs::open(file, base | OFlags::WRONLY | OFlags::CREATE, mode);
    }
    match rustix::fs::open(file, base | OFlags::RDONLY, mode) {
        Err(Errno::NOENT) => rustix::fs::open(file, base | OFlags::RDONLY | OFlags::CREATE, mode),
        r => r,
    }
}
