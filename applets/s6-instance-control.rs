//! s6-instance-control: s6-svc on an instance of an instanced service.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::{exitcode, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-instance-control [ -wu | -wU | -wd | -wD | -wr | -wR ] [ -T timeout ] [ -abqhkti12pcyroduDUxO ] service instancename";

/// The most command letters s6 sends at once.
const MAX_COMMANDS: usize = 62;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut commands = 0usize;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('w') => {
                let v = cli.value();
                if !matches!(v.as_bytes(), [b'd' | b'D' | b'u' | b'U' | b'r' | b'R']) {
                    cli.usage();
                }
            }
            Opt::Short('T') => {
                let _: u32 = cli.number();
            }
            Opt::Short(c) if "abqhkti12pcyroduDUxO".contains(c) => commands += 1,
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if commands > MAX_COMMANDS {
        msg::fatal(exitcode::USAGE, &[b"too many commands"]);
    }
    super::instance::forward(argv, rest, "s6-svc", USAGE)
}
