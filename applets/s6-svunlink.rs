//! s6-svunlink: remove a service from the scan directory of a running
//! s6-svscan, tell it to rescan and drop inactive services, and wait
//! until the supervisor (and the logger's) has exited. A destructor: it
//! exits 0 even when the wait times out.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::{exitcode, msg};
use s6box::supervision::scandir;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-svunlink [ -X ] [ -t timeout ] scandir servicename";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let wait = super::waiting::unlink_options(&mut cli);
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let (scan, name) = (rest.os(0), rest.get(1).to_bytes());
    if !scandir::valid_name(name) {
        msg::fatal(exitcode::USAGE, &[b"invalid service name"]);
    }
    if scan.is_empty() {
        msg::fatal(exitcode::USAGE, &[b"invalid scandir"]);
    }
    let warn = |ev: &std::ffi::OsStr, e| msg::warn_sys(&[b"subscribe to ", ev.as_bytes()], e);
    if let Err(e) = scandir::unlink(scan, name, wait, warn) {
        msg::fatal_sys(111, &[b"catch signals"], e);
    }
    0
}
