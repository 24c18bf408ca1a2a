//! s6-svlisten1: subscribe to a service's events, spawn prog, then wait
//! until the service reaches a state.

use crate::argv::Argv;
use crate::cli::{Cli, Opt};
use crate::supervision::svwait::{self, Goal, Waiter};
use crate::{exec, exitcode, msg};

const USAGE: &str =
    "s6-svlisten1 [ -U | -u | -d | -D | -r | -R ] [ -t timeout ] servicedir prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut goal, mut timeout) = (b'u', 0u64);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short(c @ ('U' | 'u' | 'd' | 'D' | 'r' | 'R')) => goal = c as u8,
            Opt::Short('t') => timeout = u64::from(cli.number::<u32>()),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let (dir, prog) = (rest.os(0), rest.skip(1));
    let goal = Goal::of_letter(goal).unwrap_or_else(|| cli.usage());
    let deadline = svwait::deadline(timeout);
    let mut waiter = Waiter::start(&[dir], goal, false).unwrap_or_else(|e| e.die());
    if let Err(e) = exec::spawn(prog) {
        drop(waiter);
        msg::fatal_sys(exitcode::SYS, &[b"spawn ", prog.get(0).to_bytes()], e);
    }
    let outcome = waiter.wait(deadline, svwait::reap_all);
    drop(waiter);
    svwait::report(outcome, Some(dir))
}
