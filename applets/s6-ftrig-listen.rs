//! s6-ftrig-listen: subscribe to several fifodirs, spawn prog, then wait
//! until the events of all (`-a`) or one (`-o`) of them match their
//! regexps.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use crate::applets::waiting;
use s6box::supervision::events;
use s6box::{exitcode, msg};
use rustix::io::Errno;

const USAGE: &str = "s6-ftrig-listen [ -a | -o ] [ -t timeout ] fifodir1 regexp1 ... \"\" prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut timeout, mut any) = (0, false);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('a') => any = false,
            Opt::Short('o') => any = true,
            Opt::Short('t') => timeout = waiting::timeout_value(&mut cli),
            Opt::Short(c) => cli.unrecognized(c),
            Opt::Long(_) => cli.usage(),
        }
    }
    let rest = cli.rest();
    // Pairs up to the empty argument that ends them, then prog.
    let Some(end) = (0..rest.len()).step_by(2).find(|&i| rest.get(i).to_bytes().is_empty()) else {
        cli.usage()
    };
    if end == 0 || end + 1 >= rest.len() {
        cli.usage();
    }
    let pairs: Vec<(&[u8], &[u8])> =
        (0..end).step_by(2).map(|i| (rest.get(i).to_bytes(), rest.get(i + 1).to_bytes())).collect();
    let deadline = events::deadline(timeout);
    let (mut w, res) = waiting::subscribe_all(&pairs);
    waiting::spawn(&mut w, rest.skip(end + 1));
    let mut matched = vec![false; pairs.len()];
    let r = w.wait(deadline, |ls| {
        for (i, l) in ls.iter().enumerate() {
            if !matched[i] && res[i].matches(&l.got) {
                matched[i] = true;
            }
        }
        if any { matched.contains(&true) } else { !matched.contains(&false) }
    });
    drop(w);
    match r {
        Ok(true) => 0,
        r => {
            let e = r.err().unwrap_or(Errno::TIMEDOUT);
            msg::fatal_sys(exitcode::FAIL, &[b"get expected event"], e)
        }
    }
}
