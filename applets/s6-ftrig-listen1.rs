//! s6-ftrig-listen1: subscribe to a fifodir, spawn prog, then wait until
//! the events received match a regexp; print them.

use s6box::argv::Argv;
use s6box::cli::Cli;
use crate::applets::waiting;
use s6box::{exitcode, msg};
use rustix::io::Errno;

const USAGE: &str = "s6-ftrig-listen1 [ -t timeout ] fifodir regexp prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let deadline = waiting::timeout_option(&mut cli);
    let rest = cli.rest();
    if rest.len() < 3 {
        cli.usage();
    }
    let (dir, re) = (rest.get(0).to_bytes(), rest.get(1).to_bytes());
    let (mut w, res) = waiting::subscribe_all(&[(dir, re)]);
    waiting::spawn(&mut w, rest.skip(2));
    match w.wait(deadline, |l| res[0].matches(&l[0].got)) {
        Ok(true) => waiting::print_first(w),
        r => {
            drop(w);
            let e = r.err().unwrap_or(Errno::TIMEDOUT);
            msg::fatal_sys(exitcode::FAIL, &[b"get expected event"], e)
        }
    }
}
