//! s6-svwait: wait until all (`-a`) or one (`-o`) of the services reach
//! a state (up, ready, down, finished, restarted).

use s6box::argv::Argv;
use s6box::cli::Cli;
use crate::applets::waiting;
use std::ffi::OsStr;

const USAGE: &str =
    "s6-svwait [ -U | -u | -d | -D | -r | -R ] [ -a | -o ] [ -t timeout ] servicedir...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let o = waiting::options(&mut cli, true);
    let dirs: Vec<&OsStr> = cli.rest().iter().collect();
    if dirs.is_empty() {
        return 0;
    }
    let waiter = waiting::start(&dirs, o.goal, o.or);
    waiting::finish(waiter, o.deadline, None)
}
