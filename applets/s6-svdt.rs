//! s6-svdt: print a service's death tally, oldest first: the TAI64N
//! stamp, then `exitcode N` or `signal SIGxxx` (`-s`: its number).

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::path;
use s6box::supervision::{signame, tally};
use s6box::{exitcode, fmt, msg};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-svdt [ -S | -s ] [ -n maxentries ] servicedir";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut numeric, mut max) = (false, u64::MAX);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('s') => numeric = true,
            Opt::Short('S') => numeric = false,
            Opt::Short('n') => max = u64::from(cli.number::<u32>()),
            _ => cli.usage(),
        }
    }
    let dir = cli.operand();
    let path = path::join(dir, tally::PATH);
    let deaths = match tally::read(&path) {
        Ok(d) => d,
        // As s6: a missing tally in an existing supervise/ is created empty.
        Err(Errno::NOENT) => {
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NONBLOCK;
            match rustix::fs::open(&path, flags | OFlags::CLOEXEC, Mode::from_raw_mode(0o666)) {
                Ok(_) => Vec::new(),
                Err(e) => die(dir.as_bytes(), e),
            }
        }
        Err(e) => die(dir.as_bytes(), e),
    };
    let skip = deaths.len().saturating_sub(usize::try_from(max).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity((deaths.len() - skip) * 48);
    for d in &deaths[skip..] {
        out.extend_from_slice(&d.stamp.text());
        if d.sig != 0 {
            out.extend_from_slice(b" signal ");
            if numeric {
                fmt::push_dec(&mut out, i64::from(d.sig));
            } else {
                signame::push_name(&mut out, i32::from(d.sig));
            }
        } else {
            out.extend_from_slice(b" exitcode ");
            fmt::push_dec(&mut out, i64::from(d.code));
        }
        out.push(b'\n');
    }
    s6box::filter::write(&out);
    0
}

fn die(dir: &[u8], e: Errno) -> ! {
    msg::fatal_sys(exitcode::SYS, &[b"read death tally for service ", dir], e)
}
