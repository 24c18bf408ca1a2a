//! s6-svwait: wait until all (`-a`) or one (`-o`) of the services reach
//! a state (up, ready, down, finished, restarted).

use crate::argv::Argv;
use crate::cli::{Cli, Opt};
use crate::supervision::svwait::{self, Goal, Waiter};
use std::ffi::OsStr;

const USAGE: &str =
    "s6-svwait [ -U | -u | -d | -D | -r | -R ] [ -a | -o ] [ -t timeout ] servicedir...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut goal, mut or, mut timeout) = (b'u', false, 0u64);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short(c @ ('U' | 'u' | 'd' | 'D' | 'r' | 'R')) => goal = c as u8,
            Opt::Short('a') => or = false,
            Opt::Short('o') => or = true,
            Opt::Short('t') => timeout = u64::from(cli.number::<u32>()),
            _ => cli.usage(),
        }
    }
    let dirs: Vec<&OsStr> = cli.rest().iter().collect();
    if dirs.is_empty() {
        return 0;
    }
    let goal = Goal::of_letter(goal).unwrap_or_else(|| cli.usage());
    let mut waiter = Waiter::start(&dirs, goal, or).unwrap_or_else(|e| e.die());
    let outcome = waiter.wait(svwait::deadline(timeout), || {});
    drop(waiter);
    svwait::report(outcome, None)
}
