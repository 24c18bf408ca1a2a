//! s6-instance-delete: remove an instance of a running instanced
//! service: its link goes, the scanner stops its supervisors, their exit
//! is waited for (unless `-X`), then its directory is removed.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::supervision::instance;
use s6box::{exitcode, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-instance-delete [ -X ] [ -t timeout ] service instancename";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut nowait, mut timeout) = (false, 0u32);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('X') => nowait = true,
            Opt::Short('t') => timeout = cli.number(),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let (svc, name) = (rest.os(0), rest.get(1).to_bytes());
    if svc.is_empty() {
        msg::fatal(exitcode::USAGE, &[b"invalid service path"]);
    }
    if !instance::valid_name(name) {
        msg::fatal(exitcode::USAGE, &[b"invalid instance name"]);
    }
    if let Err(e) = instance::live(svc) {
        e.fatal(svc);
    }
    let wait = (!nowait).then(|| s6box::poll::deadline(timeout));
    if let Err(e) = instance::delete(svc, name, wait) {
        let what: [&[u8]; 4] =
            [b"prepare deletion of instance ", name, b" of service ", svc.as_bytes()];
        msg::fatal_sys(exitcode::SYS, &what, e);
    }
    0
}
