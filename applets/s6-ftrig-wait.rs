//! s6-ftrig-wait: subscribe to a fifodir and wait until the events
//! received match a regexp; print them.

use crate::argv::Argv;
use crate::cli::{Cli, Opt};
use crate::supervision::events;
use crate::{exitcode, msg};
use rustix::io::Errno;

const USAGE: &str = "s6-ftrig-wait [ -t timeout ] fifodir regexp";

/// Exit code of a wait that timed out (2.15; 2.11 gave 1).
const TIMED_OUT: i32 = 99;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut timeout = 0;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('t') => timeout = events::timeout_value(&mut cli),
            Opt::Short(c) => cli.unrecognized(c),
            Opt::Long(_) => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let (dir, re) = (rest.get(0).to_bytes(), rest.get(1).to_bytes());
    let deadline = events::deadline(timeout);
    let (mut w, res) = events::subscribe_all(&[(dir, re)]);
    match w.wait(deadline, |l| res[0].matches(&l[0].got)) {
        Ok(true) => {
            let mut out = std::mem::take(&mut w.listeners[0].got);
            drop(w);
            out.push(b'\n');
            msg::write_all(msg::fd(1), &out);
            0
        }
        Ok(false) => {
            drop(w);
            msg::fatal_sys(TIMED_OUT, &[b"match regexp on ", re], Errno::TIMEDOUT)
        }
        Err(e) => {
            drop(w);
            msg::fatal_sys(exitcode::SYS, &[b"match regexp on ", re], e)
        }
    }
}
