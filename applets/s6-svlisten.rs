//! s6-svlisten: subscribe to the events of several services, spawn prog,
//! then wait until all (`-a`) or one (`-o`) of them reach a state. The
//! directories end at an empty argument (an execline block, once parsed).

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::exec;
use crate::applets::waiting;
use std::ffi::OsStr;

const USAGE: &str = "s6-svlisten [ -U | -u | -d | -D | -r | -R ] [ -a | -o ] [ -t timeout ] servicedir... \"\" prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let o = waiting::options(&mut cli, true);
    let rest = cli.rest();
    // As s6: fewer than three arguments (dirs, "", prog) is a usage error.
    if rest.len() < 3 {
        cli.usage();
    }
    let Some(end) = rest.iter().position(|a| a.is_empty()) else { cli.usage() };
    let prog = rest.skip(end + 1);
    if prog.is_empty() {
        cli.usage();
    }
    let dirs: Vec<&OsStr> = rest.iter().take(end).collect();
    if dirs.is_empty() {
        exec::exec(prog);
    }
    waiting::listen(&dirs, &o, prog, false)
}
