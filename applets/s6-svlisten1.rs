//! s6-svlisten1: subscribe to a service's events, spawn prog, then wait
//! until the service reaches a state.

use s6box::argv::Argv;
use s6box::cli::Cli;
use crate::applets::waiting;

const USAGE: &str =
    "s6-svlisten1 [ -U | -u | -d | -D | -r | -R ] [ -t timeout ] servicedir prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let o = waiting::options(&mut cli, false);
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    waiting::listen(&[rest.os(0)], &o, rest.skip(1), true)
}
