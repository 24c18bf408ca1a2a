//! s6-svunlink: remove a service from the scan directory of a running
//! s6-svscan, tell it to rescan and drop inactive services, and wait
//! until the supervisor (and the logger's) has exited. A destructor: it
//! exits 0 even when the wait times out.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::msg;
use s6box::path::join;
use s6box::supervision::{control, events, svlock};
use rustix::io::Errno;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-svunlink [ -X ] [ -t timeout ] scandir servicename";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut nowait, mut timeout) = (false, 0u32);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('X') => nowait = true,
            Opt::Short('t') => timeout = cli.number(),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let scan = rest.os(0);
    let at = join(scan, rest.get(1).to_bytes());
    let deadline = events::deadline(timeout);

    // Subscribed through the real path, so the fifo can still be
    // removed once the link is gone.
    let mut w = None;
    if !nowait {
        let mut wait =
            events::Wait::new().unwrap_or_else(|e| msg::fatal_sys(111, &[b"catch signals"], e));
        for d in [at.clone(), join(&at, "log")] {
            if !svlock::supervised(&d).unwrap_or(false) {
                continue;
            }
            let ev = join(&d, "event");
            let sub = std::fs::canonicalize(&ev)
                .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))
                .and_then(|p| wait.subscribe(p.as_os_str()));
            if let Err(e) = sub {
                msg::warn_sys(&[b"subscribe to ", ev.as_bytes()], e);
            }
        }
        w = Some(wait);
    }
    let unlinked = rustix::fs::unlink(&at);
    let _ = control::send(&join(scan, ".s6-svscan/control"), b"an");
    if let Some(mut wait) = w {
        if matches!(unlinked, Ok(()) | Err(Errno::NOENT)) && !wait.listeners.is_empty() {
            let _ = wait.wait(deadline, |ls| ls.iter().all(|l| l.got.contains(&b'x')));
        }
        drop(wait);
    }
    0
}
