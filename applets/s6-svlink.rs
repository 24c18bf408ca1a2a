//! s6-svlink: link a service directory into the scan directory of a
//! running s6-svscan, tell it to rescan, and wait until the supervisor
//! (and the logger's, for a logged service) has started.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::supervision::scandir::{self, Link, LinkError};
use s6box::{exitcode, msg};
use rustix::io::Errno;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str =
    "s6-svlink [ -d | -D ] [ -f ] [ -P ] [ -t timeout ] scandir servicedir [ name ]";

/// Exit code of a wait that timed out.
const TIMED_OUT: i32 = 99;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let o = super::waiting::link_options(&mut cli);
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let (scan, svc) = (rest.os(0), rest.os(1));
    let name = if rest.len() > 2 {
        rest.get(2).to_bytes()
    } else {
        scandir::default_name(svc.as_bytes())
    };
    for (bad, what) in [
        (scan.is_empty(), "invalid scandir"),
        (svc.is_empty(), "invalid servicedir"),
        (!scandir::valid_name(name), "invalid name"),
    ] {
        if bad {
            msg::fatal(exitcode::USAGE, &[what.as_bytes()]);
        }
    }
    let l = Link { scan, svc, name, opts: o };
    let warn = |d: &std::ffi::OsStr| msg::warn(&[b"supervisor already running on ", d.as_bytes()]);
    let (code, e) = match scandir::link(&l, warn) {
        Ok(()) => return 0,
        Err(LinkError::NotRunning) => {
            msg::fatal(exitcode::FAIL, &[b"s6-svscan not running on ", scan.as_bytes()])
        }
        Err(LinkError::Lock(f, e)) => msg::fatal_sys(exitcode::SYS, &[b"open ", f.as_bytes()], e),
        Err(LinkError::Run(f, e)) => msg::fatal_sys(exitcode::SYS, &[b"stat ", f.as_bytes()], e),
        Err(LinkError::Failed(e)) => (exitcode::SYS, e),
        Err(LinkError::TimedOut) => (TIMED_OUT, Errno::TIMEDOUT),
    };
    let (svc, scan) = (svc.as_bytes(), scan.as_bytes());
    let what: [&[u8]; 6] =
        [b"link servicedir ", svc, b" into scandir ", scan, b" with name ", name];
    msg::fatal_sys(code, &what, e)
}
