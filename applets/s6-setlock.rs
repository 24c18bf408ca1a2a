//! s6-setlock: take a POSIX record lock on a file, then exec prog with the
//! locked descriptor open, so the lock lives as long as prog.

use crate::argv::Argv;
use crate::cli::{Cli, Opt};
use crate::lock::{self, Wait};
use crate::{exec, exitcode, fd, msg};
use rustix::fd::AsFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
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
    let (flags, how): (OFlags, &[u8]) =
        if shared { (OFlags::RDONLY, b" for reading") } else { (OFlags::WRONLY, b" for writing") };
    let flags = flags | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOCTTY;
    let opened = rustix::fs::open(file, flags, Mode::from_raw_mode(0o644))
        .unwrap_or_else(|e| die(exitcode::SYS, &[b"open ", file.to_bytes(), how], e));
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
