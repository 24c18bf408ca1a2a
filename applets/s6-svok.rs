//! s6-svok: exit 0 if a supervisor runs on the service directory (it
//! holds `supervise/lock`), 1 if not.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::supervision::svlock;
use s6box::{exitcode, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-svok servicedir";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let dir = cli.operand();
    match svlock::supervised(dir) {
        Ok(true) => 0,
        Ok(false) => exitcode::FAIL,
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"check ", dir.as_bytes()], e),
    }
}
