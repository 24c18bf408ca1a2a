//! s6-cleanfifodir: remove the stale listener fifos (no reader) of a
//! fifodir.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::supervision::ftrig;
use s6box::{exitcode, msg};

const USAGE: &str = "s6-cleanfifodir fifodir";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    // No options: the first argument is the fifodir, even `-x` or `--`.
    let cli = Cli::new(argv, USAGE);
    let rest = argv.skip(1);
    if rest.is_empty() {
        cli.usage();
    }
    if let Err(e) = ftrig::clean(rest.os(0)) {
        msg::fatal_sys(exitcode::SYS, &[b"clean up fifodir at ", rest.get(0).to_bytes()], e);
    }
    0
}
