//! s6-instance-list: print the instances of a running instanced
//! service, one per line.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::supervision::instance::{self, ListError};
use s6box::{exitcode, filter, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-instance-list service";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let svc = cli.operand();
    if svc.is_empty() {
        msg::fatal(exitcode::USAGE, &[b"invalid service path"]);
    }
    let mut out = Vec::new();
    match instance::list(svc) {
        Ok(names) => {
            for n in names {
                out.extend_from_slice(&n);
                out.push(b'\n');
            }
        }
        Err(ListError::Live(e)) => e.fatal(svc),
        Err(ListError::Readdir(e)) => {
            msg::fatal_sys(exitcode::SYS, &[b"readdir ", svc.as_bytes(), b"/instance"], e)
        }
    }
    filter::write(&out);
    0
}
