//! s6-svdt-clear: empty a service's death tally (atomically).

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::path;
use s6box::supervision::tally;
use s6box::{exitcode, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-svdt-clear servicedir";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let dir = cli.operand();
    s6box::supervision::servicedir::paths_or_die([dir]);
    match tally::clear(&path::join(dir, tally::PATH)) {
        Ok(()) => 0,
        Err(e) => {
            msg::fatal_sys(exitcode::SYS, &[b"clear death tally for service ", dir.as_bytes()], e)
        }
    }
}
