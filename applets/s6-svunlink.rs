//! s6-svunlink: remove a service from the scan directory of a running
//! s6-svscan, tell it to rescan and drop inactive services, and wait
//! until the supervisor (and the logger's) has exited. A destructor: it
//! exits 0 even when the wait times out.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::msg;
use s6box::supervision::{events, scandir};
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
    let wait = (!nowait).then(|| events::deadline(timeout));
    let warn = |ev: &std::ffi::OsStr, e| msg::warn_sys(&[b"subscribe to ", ev.as_bytes()], e);
    if let Err(e) = scandir::unlink(rest.os(0), rest.get(1).to_bytes(), wait, warn) {
        msg::fatal_sys(111, &[b"catch signals"], e);
    }
    0
}
