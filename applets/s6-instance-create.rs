//! s6-instance-create: make an instance of a running instanced service
//! (a copy of its template, linked into its scanner's directory) and
//! wait until its supervisors have started. Racing creates of one name
//! give one instance.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::supervision::instance::{self, Create, CreateError};
use s6box::{exitcode, msg};
use rustix::io::Errno;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-instance-create [ -d | -D ] [ -f ] [ -P ] [ -t timeout ] service instancename";

/// Exit code of a create that timed out.
const TIMED_OUT: i32 = 99;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let o = super::waiting::link_options(&mut cli);
    let (svc, name) = super::instance::operands(&mut cli);
    let c = Create { svc, name, opts: o };
    let (code, e) = match instance::create(&c) {
        Ok(()) => return 0,
        Err(CreateError::Mkdir(p, e)) => msg::fatal_sys(exitcode::SYS, &[b"mkdir ", p.as_bytes()], e),
        Err(CreateError::Live(l)) => l.fatal(svc),
        Err(CreateError::Exists(p)) => msg::fatal(
            exitcode::USAGE,
            &[b"instance appears to already exist at ", p.as_bytes()],
        ),
        Err(CreateError::Unexpected(p)) => msg::fatal(
            exitcode::USAGE,
            &[b"unexpected file preventing instance creation at ", p.as_bytes()],
        ),
        Err(CreateError::Stat(p, e)) => msg::fatal_sys(exitcode::SYS, &[b"stat ", p.as_bytes()], e),
        Err(CreateError::Copy(e)) => {
            let (s, n) = (svc.as_bytes(), name);
            msg::fatal_sys(exitcode::SYS, &[b"copy ", s, b"/template to ", s, b"/instances/", n], e)
        }
        Err(CreateError::Failed(e)) => (exitcode::SYS, e),
        Err(CreateError::TimedOut) => (TIMED_OUT, Errno::TIMEDOUT),
    };
    msg::fatal_sys(code, &[b"create instance of ", svc.as_bytes(), b" named ", name], e)
}
