//! s6-ftrig-listen1: subscribe to a fifodir, spawn prog, then wait until
//! the events received match a regexp; print them.

use crate::argv::Argv;
use crate::cli::{Cli, Opt};
use crate::supervision::events;
use crate::{exec, exitcode, msg};
use rustix::io::Errno;

const USAGE: &str = "s6-ftrig-listen1 [ -t timeout ] fifodir regexp prog...";

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
    if rest.len() < 3 {
        cli.usage();
    }
    let (dir, re) = (rest.get(0).to_bytes(), rest.get(1).to_bytes());
    let deadline = events::deadline(timeout);
    let (mut w, res) = events::subscribe_all(&[(dir, re)]);
    let prog = rest.skip(2);
    if let Err(e) = exec::spawn(prog) {
        drop(w);
        msg::fatal_sys(exitcode::SYS, &[b"spawn ", prog.get(0).to_bytes()], e);
    }
    match w.wait(deadline, |l| res[0].matches(&l[0].got)) {
        Ok(true) => {
            let mut out = std::mem::take(&mut w.listeners[0].got);
            drop(w);
            out.push(b'\n');
            msg::write_all(msg::fd(1), &out);
            0
        }
        r => {
            drop(w);
            let e = r.err().unwrap_or(Errno::TIMEDOUT);
            msg::fatal_sys(exitcode::FAIL, &[b"get expected event"], e)
        }
    }
}
