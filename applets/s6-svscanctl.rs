//! s6-svscanctl: sends command bytes to the s6-svscan running on a scan
//! directory, through its `.s6-svscan/control` fifo.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::path;
use s6box::supervision::control;
use s6box::{exitcode, msg};
use rustix::io::Errno;
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
    match control::send(&path::join(dir, ".s6-svscan/control"), &cmds) {
        Ok(()) => exitcode::OK,
        Err(Errno::NXIO) => msg::fatal(
            exitcode::USAGE,
            &[b"unable to control ", dir.as_bytes(), b": supervisor not listening"],
        ),
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"control ", dir.as_bytes()], e),
    }
}
