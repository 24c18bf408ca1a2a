//! s6-svlink: link a service directory into the scan directory of a
//! running s6-svscan, tell it to rescan, and wait until the supervisor
//! (and the logger's, for a logged service) has started.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::supervision::events;
use s6box::supervision::scandir::{self, Down, Link, LinkError};
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
    let (mut down, mut force, mut public, mut timeout) = (Down::Keep, false, false, 0u32);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('d') => down = Down::Once,
            Opt::Short('D') => down = Down::Stay,
            Opt::Short('f') => force = true,
            Opt::Short('P') => public = true,
            Opt::Short('t') => timeout = cli.number(),
            _ => cli.usage(),
        }
    }
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
    let deadline = events::deadline(timeout);
    let l = Link { scan, svc, name, down, force, public, deadline };
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
