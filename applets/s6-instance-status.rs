//! s6-instance-status: s6-svstat on an instance of an instanced service.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::{exitcode, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-instance-status [ -uwNrpest | -o up,wantedup,normallyup,ready,paused,pid,exitcode,signal,signum,updownsince,readysince,updownfor,readyfor ] [ -n ] service name";

/// The most fields s6 prints at once.
const MAX_FIELDS: usize = 16;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut fields = 0usize;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('o') => {
                let v = cli.value();
                for f in v.as_bytes().split(|&c| c == b',') {
                    if f.is_empty() {
                        msg::fatal(exitcode::USAGE, &[b"invalid null option field"]);
                    }
                    fields += 1;
                }
            }
            Opt::Short('n') => {}
            Opt::Short(c) if "uwNrpest".contains(c) => fields += 1,
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if fields > MAX_FIELDS {
        msg::fatal(exitcode::USAGE, &[b"too many option fields"]);
    }
    super::instance::forward(argv, rest, "s6-svstat", USAGE)
}
