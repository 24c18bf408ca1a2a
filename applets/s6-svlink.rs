//! s6-svlink: link a service directory into the scan directory of a
//! running s6-svscan, tell it to rescan, and wait until the supervisor
//! (and the logger's, for a logged service) has started.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::path::join;
use s6box::supervision::{control, events, ftrig, svlock};
use s6box::{exitcode, msg};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str =
    "s6-svlink [ -d | -D ] [ -f ] [ -P ] [ -t timeout ] scandir servicedir [ name ]";

/// Exit code of a wait that timed out.
const TIMED_OUT: i32 = 99;

/// What to do with `./down`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Down {
    /// Leave it as it is.
    Keep,
    /// `-d`: start down, then remove `./down` once supervised.
    Once,
    /// `-D`: start down and stay down (create `./down`).
    Stay,
}

struct Link<'a> {
    scan: &'a [u8],
    svc: &'a [u8],
    name: &'a [u8],
}

impl Link<'_> {
    /// `fail(code, e)`: dies with `unable to link servicedir ...: REASON`.
    fn fail(&self, code: i32, e: Errno) -> ! {
        msg::fatal_sys(
            code,
            &[
                b"link servicedir ",
                self.svc,
                b" into scandir ",
                self.scan,
                b" with name ",
                self.name,
            ],
            e,
        )
    }
}

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
    let name: Vec<u8> = if rest.len() > 2 {
        rest.get(2).to_bytes().to_vec()
    } else {
        let t = svc.as_bytes();
        let t = &t[..t.len() - t.iter().rev().take_while(|&&c| c == b'/').count()];
        t.rsplit(|&c| c == b'/').next().unwrap_or(t).to_vec()
    };
    let link = Link { scan: scan.as_bytes(), svc: svc.as_bytes(), name: &name };
    let deadline = events::deadline(timeout);

    let scanlock = join(scan, ".s6-svscan/lock");
    match svlock::held(&scanlock) {
        Ok(true) => {}
        Ok(false) => msg::fatal(exitcode::FAIL, &[b"s6-svscan not running on ", link.scan]),
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"open ", scanlock.as_bytes()], e),
    }

    // The service and its logger, and whether each needs waiting for.
    let mut dirs: Vec<(OsString, bool)> = vec![(svc.to_owned(), true)];
    let log = join(svc, "log");
    if rustix::fs::stat(&log)
        .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir())
    {
        dirs.push((log, true));
    }
    for (d, wait) in &mut dirs {
        if svlock::supervised(d).unwrap_or(false) {
            msg::warn(&[b"supervisor already running on ", d.as_bytes()]);
            *wait = false;
            continue;
        }
        let run = join(d, "run");
        if let Err(e) = rustix::fs::stat(&run) {
            msg::fatal_sys(exitcode::SYS, &[b"stat ", run.as_bytes()], e);
        }
    }

    let gid = (!public).then(|| rustix::process::getegid().as_raw());
    for (d, _) in dirs.iter().filter(|(_, wait)| *wait) {
        if down != Down::Keep
            && let Err(e) = s6box::file::replace(&join(d, "down"), b"")
        {
            link.fail(exitcode::SYS, e);
        }
        if let Err(e) = event_dir(&join(d, "event"), gid, force) {
            link.fail(exitcode::SYS, e);
        }
    }

    let mut w = events::Wait::new().unwrap_or_else(|e| link.fail(exitcode::SYS, e));
    for (d, wait) in &dirs {
        if *wait && let Err(e) = w.subscribe(&join(d, "event")) {
            drop(w);
            link.fail(exitcode::SYS, e);
        }
    }

    let target = match std::fs::canonicalize(svc) {
        Ok(p) => p.into_os_string(),
        Err(e) => {
            drop(w);
            link.fail(exitcode::SYS, Errno::from_io_error(&e).unwrap_or(Errno::IO))
        }
    };
    let at = join(scan, &name);
    match rustix::fs::symlink(&target, &at) {
        Ok(()) => {}
        // Already linked there: fine.
        Err(Errno::EXIST)
            if rustix::fs::readlink(&at, Vec::new())
                .is_ok_and(|t| t.as_bytes() == target.as_bytes()) => {}
        Err(e) => {
            drop(w);
            link.fail(exitcode::SYS, e);
        }
    }
    if let Err(e) = control::send(&join(scan, ".s6-svscan/control"), b"a") {
        drop(w);
        undo(&at, down);
        link.fail(exitcode::SYS, e);
    }
    let started = if w.listeners.is_empty() {
        Ok(true)
    } else {
        w.wait(deadline, |ls| ls.iter().all(|l| l.got.contains(&b's')))
    };
    drop(w);
    match started {
        Ok(true) => {
            if down == Down::Once {
                let _ = rustix::fs::unlink(join(&at, "down"));
            }
            0
        }
        r => {
            undo(&at, down);
            link.fail(
                if r.is_ok() { TIMED_OUT } else { exitcode::SYS },
                r.err().unwrap_or(Errno::TIMEDOUT),
            )
        }
    }
}

/// `event_dir(path, gid, force)`: makes the fifodir (group `gid`, or
/// public); an existing one gets the mode only with `-f`.
fn event_dir(path: &OsStr, gid: Option<u32>, force: bool) -> Result<(), Errno> {
    match ftrig::make_dir(path, gid) {
        Err(Errno::EXIST) => {
            let st = rustix::fs::stat(path)?;
            if !rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() {
                return Err(Errno::NOTDIR);
            }
            if force { ftrig::set_mode(path, gid) } else { Ok(()) }
        }
        r => r,
    }
}

/// `undo(at, down)`: takes back a link whose supervisor did not start:
/// tells any supervisor there to exit, and removes the link.
fn undo(at: &OsStr, down: Down) {
    if down == Down::Once {
        let _ = rustix::fs::unlink(join(at, "down"));
    }
    let _ = control::send(&join(at, control::PATH), b"xd");
    let _ = control::send(&join(&join(at, "log"), control::PATH), b"xd");
    let _ = rustix::fs::unlink(at);
}
