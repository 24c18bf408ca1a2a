//! s6-ftrig-wait: subscribe to a fifodir and wait until the events
//! received match a regexp; print them.

use s6box::argv::Argv;
use s6box::cli::Cli;
use crate::applets::waiting;
use s6box::{exitcode, msg};
use rustix::io::Errno;

const USAGE: &str = "s6-ftrig-wait [ -t timeout ] fifodir regexp";

/// Exit code of a wait that timed out (2.15; 2.11 gave 1).
const TIMED_OUT: i32 = 99;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let deadline = waiting::timeout_option(&mut cli);
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let (dir, re) = (rest.get(0).to_bytes(), rest.get(1).to_bytes());
    let (mut w, res) = waiting::subscribe_all(&[(dir, re)]);
    let r = w.wait(deadline, |l| res[0].matches(&l[0].got));
    if let Ok(true) = r {
        return waiting::print_first(w);
    }
    drop(w);
    match r {
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"match regexp on ", re], e),
        _ => msg::fatal_sys(TIMED_OUT, &[b"match regexp on ", re], Errno::TIMEDOUT),
    }
}
