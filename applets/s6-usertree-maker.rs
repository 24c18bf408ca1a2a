//! s6-usertree-maker: make a service directory running a user's own
//! supervision tree (an s6-svscan as that user, in a clean environment),
//! with a logger.

use rustix::io::Errno;
use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::supervision::maker::{self, Failed, Logger, Out, RcNames, SHEBANG, cstr, quote};
use s6box::{exitcode, msg, tree};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-usertree-maker [ -d userscandir ] [ -p path ] [ -E envdir [ -e var ... ] ] [ -r service/logger[/pipeline] ] [ -l loguser ] [ -t stamptype ] [ -n nfiles ] [ -s filesize ] [ -S maxsize ] [ -P prefix ] user logdir dir";

/// The most `-e` variables.
const MAX_VARS: usize = 64;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut scandir = b"${HOME}/service".to_vec();
    let mut path = b"/usr/bin:/bin".to_vec();
    let (mut envdir, mut vars, mut rc, mut loguser, mut prefix) = (None, Vec::new(), None, None, None);
    let (mut stamp, mut nfiles, mut filesize, mut maxsize) = (1u32, 10u32, 1000000u32, 0u32);
    let b = |v: std::ffi::OsString| v.as_bytes().to_vec();
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('d') => scandir = b(cli.value()),
            Opt::Short('p') => path = b(cli.value()),
            Opt::Short('E') => envdir = Some(b(cli.value())),
            Opt::Short('e') => {
                let v = b(cli.value());
                if vars.len() >= MAX_VARS {
                    msg::fatal(exitcode::USAGE, &[b"too many -v variables"]);
                }
                if v.is_empty() || v.contains(&b'=') {
                    msg::fatal(exitcode::USAGE, &[b"invalid variable name: ", &v]);
                }
                vars.push(v);
            }
            Opt::Short('r') => rc = Some(b(cli.value())),
            Opt::Short('l') => loguser = Some(b(cli.value())),
            Opt::Short('t') => stamp = cli.number(),
            Opt::Short('n') => nfiles = cli.number(),
            Opt::Short('s') => filesize = cli.number(),
            Opt::Short('S') => maxsize = cli.number(),
            Opt::Short('P') => prefix = Some(b(cli.value())),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 3 {
        cli.usage();
    }
    let (user, logdir, dir) = (rest.get(0).to_bytes(), rest.get(1).to_bytes(), rest.get(2).to_bytes());
    if !logdir.starts_with(b"/") {
        msg::fatal(exitcode::USAGE, &[b"logdir must be absolute"]);
    }
    if !scandir.starts_with(b"/") && !scandir.starts_with(b"${HOME}/") {
        msg::fatal(exitcode::USAGE, &[b"userscandir must be absolute or start with ${HOME}/"]);
    }
    if stamp > 3 {
        msg::fatal(exitcode::USAGE, &[b"stamptype must be 0, 1, 2 or 3"]);
    }
    let names = rc.as_deref().map(|r| {
        maker::rc_names(r, true).unwrap_or_else(|m| msg::fatal(exitcode::USAGE, &[m.as_bytes()]))
    });
    let umask = maker::umask();
    let run = run_script(user, &scandir, &path, envdir.as_deref(), &vars);
    let logger = Logger {
        user: loguser.as_deref(),
        dir: logdir,
        stamp,
        nfiles,
        filesize,
        maxsize,
        prefix: prefix.as_deref(),
    };

    let mode = if names.is_some() { 0o777 & !umask } else { 0o700 };
    let made_dir = match rustix::fs::mkdir(rest.os(2), s6box::tree::mode(mode)) {
        Ok(()) => true,
        Err(Errno::EXIST) if names.is_some() => false,
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"mkdir ", dir], e),
    };
    let undo = |made: &[Vec<u8>]| maker::undo(dir, made_dir, made);
    let fd = tree::open_dir(rustix::fs::CWD, &cstr(dir)).unwrap_or_else(|e| {
        undo(&[]);
        msg::fatal_sys(exitcode::SYS, &[b"open ", dir], e)
    });
    if made_dir && names.is_none() {
        let _ = rustix::fs::fchmod(&fd, rustix::fs::Mode::from_raw_mode(0o755));
    }
    let out = Out { fd, base: dir.to_vec(), umask };
    let mut made = Vec::new();
    if let Err((what, e)) = write(&out, &names, &run, &logger, &mut made) {
        undo(&made);
        msg::fatal_sys(exitcode::SYS, &[&what], e);
    }
    if maker::weird_umask(umask) {
        msg::warn(&[b"weird umask, check permissions manually on ", &out.full(b"run")]);
    }
    0
}

/// `run_script(...)`: the tree's run script.
fn run_script(user: &[u8], scandir: &[u8], path: &[u8], envdir: Option<&[u8]>, vars: &[Vec<u8>]) -> Vec<u8> {
    let u = quote(user);
    let mut r = SHEBANG.to_vec();
    let mut line = |parts: &[&[u8]]| {
        for p in parts {
            r.extend_from_slice(p);
        }
        r.push(b'\n');
    };
    line(&[b"fdmove -c 2 1"]);
    line(&[b"emptyenv -p"]);
    line(&[b"export USER ", &u]);
    line(&[b"s6-envuidgid -i -- ", &u]);
    line(&[b"s6-applyuidgid -U --"]);
    line(&[b"backtick -in HOME { homeof ", &u, b" }"]);
    if let Some(e) = envdir {
        line(&[b"s6-envdir -i -- ", &quote(e)]);
        if !vars.is_empty() {
            line(&[b"multisubstitute"]);
            line(&[b"{"]);
            for v in vars {
                let q = quote(v);
                line(&[b"  importas -D \"\" -- ", &q, b" ", &q]);
            }
            line(&[b"}"]);
        }
    }
    line(&[b"multisubstitute"]);
    line(&[b"{"]);
    for v in ["USER", "HOME", "UID", "GID", "GIDLIST"] {
        line(&[b"  importas -i ", v.as_bytes(), b" ", v.as_bytes()]);
    }
    line(&[b"}"]);
    if envdir.is_some() {
        for v in vars {
            let q = quote(v);
            line(&[b"export ", &q, b" ${", &q, b"}"]);
        }
    }
    line(&[b"export PATH ", &quote(path)]);
    line(&[b"s6-svscan -d3 -- ", &quote(scandir)]);
    r
}

/// `write(out, names, run, logger, made)`: every file; `made` collects
/// the top-level names made (for the undo in `-r` mode).
fn write(
    out: &Out,
    names: &Option<RcNames>,
    run: &[u8],
    logger: &Logger,
    made: &mut Vec<Vec<u8>>,
) -> Result<(), Failed> {
    let Some(n) = names else {
        out.file(b"notification-fd", b"3\n", false)?;
        out.file(b"run", run, true)?;
        return logger.write(out, b"log", true);
    };
    let (svc, lg) = (n.service, n.logger.unwrap_or(b"log"));
    let at = |d: &[u8], f: &[u8]| [d, b"/", f].concat();
    out.dir(svc)?;
    made.push(svc.to_vec());
    out.file(&at(svc, b"type"), b"longrun\n", false)?;
    out.file(&at(svc, b"producer-for"), &[lg, b"\n"].concat(), false)?;
    out.file(&at(svc, b"notification-fd"), b"3\n", false)?;
    out.file(&at(svc, b"run"), run, false)?;
    made.push(lg.to_vec());
    logger.write(out, lg, false)?;
    out.file(&at(lg, b"type"), b"longrun\n", false)?;
    out.file(&at(lg, b"consumer-for"), &[svc, b"\n"].concat(), false)?;
    if let Some(p) = n.pipeline {
        out.file(&at(lg, b"pipeline-name"), &[p, b"\n"].concat(), false)?;
    }
    Ok(())
}
