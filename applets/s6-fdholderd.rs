//! s6-fdholderd: the fd-holder daemon, serving the listening socket it
//! gets as stdin (`../shared/spec/fdholder.md`).

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::fdholder::daemon::{self, Options};

const USAGE: &str = "s6-fdholderd [ -v verbosity ] [ -1 ] [ -c maxconn ] [ -n maxfds ] [ -t timeout ] [ -T lameducktimeout ] [ -i rulesdir | -x rulesfile ]";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut opts = Options::new();
    while let Some(o) = cli.opt() {
        if !opts.option(&mut cli, &o) {
            cli.usage();
        }
    }
    opts.check_rules();
    daemon::run(opts)
}
