//! s6-ipcserverd: the accept loop on the listening socket on descriptor
//! 0, one `prog...` per connection with the UCSPI variables.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::ipcserver;

const USAGE: &str =
    "s6-ipcserverd [ -v verbosity ] [ -1 ] [ -P | -p ] [ -c maxconn ] [ -C localmaxconn ] prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut o = ipcserver::Serve::default();
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('v') => o.verbosity = cli.number(),
            Opt::Short('1') => o.ready = true,
            Opt::Short('P') => o.creds = false,
            Opt::Short('p') => o.creds = true,
            Opt::Short('c') => o.maxconn = cli.number(),
            Opt::Short('C') => o.localmax = cli.number(),
            _ => cli.usage(),
        }
    }
    let prog = cli.rest();
    if prog.is_empty() {
        cli.usage();
    }
    ipcserver::clamp(&mut o);
    ipcserver::serve(&o, prog)
}
