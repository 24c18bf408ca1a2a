//! s6-ftrig-notify: send each byte of a message as an event to every
//! listener of a fifodir, in one write per listener.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::supervision::ftrig;
use s6box::{exitcode, msg};

const USAGE: &str = "s6-ftrig-notify fifodir message";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    // No options: the first argument is the fifodir, even `-x` or `--`.
    let cli = Cli::new(argv, USAGE);
    let rest = argv.skip(1);
    if rest.len() < 2 {
        cli.usage();
    }
    if let Err(e) = ftrig::notify(rest.os(0), rest.get(1).to_bytes()) {
        msg::fatal_sys(exitcode::SYS, &[b"notify ", rest.get(0).to_bytes()], e);
    }
    0
}
