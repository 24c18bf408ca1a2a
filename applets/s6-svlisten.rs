//! s6-svlisten: subscribe to the events of several services, spawn prog,
//! then wait until all (`-a`) or one (`-o`) of them reach a state. The
//! directories end at an empty argument (an execline block, once parsed).

use crate::argv::Argv;
use crate::cli::{Cli, Opt};
use crate::supervision::svwait::{self, Goal, Waiter};
use crate::{exec, exitcode, msg};
use std::ffi::OsStr;

const USAGE: &str = "s6-svlisten [ -U | -u | -d | -D | -r | -R ] [ -a | -o ] [ -t timeout ] servicedir... \"\" prog...";

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
    let goal = Goal::of_letter(goal).unwrap_or_else(|| cli.usage());
    let deadline = svwait::deadline(timeout);
    let mut waiter = Waiter::start(&dirs, goal, or).unwrap_or_else(|e| e.die());
    if let Err(e) = exec::spawn(prog) {
        drop(waiter);
        msg::fatal_sys(exitcode::SYS, &[b"spawn ", prog.get(0).to_bytes()], e);
    }
    let outcome = waiter.wait(deadline, svwait::reap_all);
    drop(waiter);
    svwait::report(outcome, None)
}
