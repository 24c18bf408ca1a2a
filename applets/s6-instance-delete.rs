//! s6-instance-delete: remove an instance of a running instanced
//! service: its link goes, the scanner stops its supervisors, their exit
//! is waited for (unless `-X`), then its directory is removed.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::supervision::instance;
use s6box::{exitcode, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-instance-delete [ -X ] [ -t timeout ] service instancename";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let wait = super::waiting::unlink_options(&mut cli);
    let (svc, name) = super::instance::operands(&mut cli);
    if let Err(e) = instance::live(svc) {
        e.fatal(svc);
    }
    if let Err(e) = instance::delete(svc, name, wait) {
        let what: [&[u8]; 4] =
            [b"prepare deletion of instance ", name, b" of service ", svc.as_bytes()];
        msg::fatal_sys(exitcode::SYS, &what, e);
    }
    0
}
