//! s6-svscanctl: sends command bytes to the s6-svscan running on a scan
//! directory, through its `.s6-svscan/control` fifo.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::supervision::control::{self, SendError};
use s6box::{exitcode, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-svscanctl [ -zabhitqnN ] svscandir";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut cmds = Vec::new();
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short(c @ ('z' | 'a' | 'b' | 'h' | 'i' | 't' | 'q' | 'n' | 'N')) => {
                cmds.push(c as u8)
            }
            _ => cli.usage(),
        }
    }
    let dir = cli.operand();
    let d = dir.as_bytes();
    match control::send_to(dir, ".s6-svscan", &cmds) {
        Ok(()) => exitcode::OK,
        Err(SendError::NotListening) => msg::fatal(
            exitcode::USAGE,
            &[b"unable to control ", d, b": supervisor not listening"],
        ),
        Err(SendError::Broken(e)) => msg::fatal(
            exitcode::USAGE,
            &[b"something is wrong with the ", d, b"/.s6-svscan directory. errno reported: ", &msg::strerror(e)],
        ),
        Err(SendError::Other(e)) => msg::fatal_sys(exitcode::SYS, &[b"control ", d], e),
    }
}
