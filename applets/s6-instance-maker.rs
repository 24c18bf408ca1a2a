//! s6-instance-maker: make a service directory running an s6-svscan over
//! its `instance/`, with a template for `s6-instance-create`. Every check
//! is made before anything is written; a failure removes what was made.

use rustix::io::Errno;
use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::supervision::maker::{self, Failed, Logger, Out, RcNames, SHEBANG, cstr, quote};
use s6box::{exitcode, msg, tree};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-instance-maker [ -c max ] [ -u user ] [ -l loguser ] [ -L logdir ] [ -t stamptype ] [ -n nfiles ] [ -s filesize ] [ -S maxsize ] [ -P prefix ] [ -r service[/logger[/pipeline]] ] template dir";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut max, mut user, mut loguser, mut logdir) = (500u32, None, None, None);
    let (mut stamp, mut nfiles, mut filesize, mut maxsize) = (1u32, 10u32, 1000000u32, 0u32);
    let (mut prefix, mut rc) = (None, None);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('c') => max = cli.number(),
            Opt::Short('u') => user = Some(cli.value()),
            Opt::Short('l') => loguser = Some(cli.value()),
            Opt::Short('L') => logdir = Some(cli.value()),
            Opt::Short('t') => stamp = cli.number(),
            Opt::Short('n') => nfiles = cli.number(),
            Opt::Short('s') => filesize = cli.number(),
            Opt::Short('S') => maxsize = cli.number(),
            Opt::Short('P') => prefix = Some(cli.value()),
            Opt::Short('r') => rc = Some(cli.value()),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let (template, dir) = (rest.get(0).to_bytes(), rest.get(1).to_bytes());
    let max = max.clamp(1, 90000);
    let b = |o: &Option<std::ffi::OsString>| o.as_ref().map(|v| v.as_bytes().to_vec());
    let (user, loguser, logdir, prefix, rc) = (b(&user), b(&loguser), b(&logdir), b(&prefix), b(&rc));
    if logdir.as_ref().is_some_and(|d| !d.starts_with(b"/")) {
        msg::fatal(exitcode::USAGE, &[b"logdir must be absolute"]);
    }
    if stamp > 3 {
        msg::fatal(exitcode::USAGE, &[b"stamptype must be 0, 1, 2 or 3"]);
    }
    if user.as_ref().is_some_and(|u| u.iter().any(|c| b" \t\n".contains(c))) {
        msg::fatal(exitcode::USAGE, &[b"invalid user"]);
    }
    let names = rc.as_deref().map(|r| {
        maker::rc_names(r, false).unwrap_or_else(|m| msg::fatal(exitcode::USAGE, &[m.as_bytes()]))
    });
    if let Some(n) = &names {
        match (n.logger.is_some(), logdir.is_some()) {
            (true, false) => msg::fatal(
                exitcode::USAGE,
                &[b"logger specified (-r) but logdir not specified (-L)"],
            ),
            (false, true) => msg::fatal(
                exitcode::USAGE,
                &[b"logdir specified (-L) but logger name not specified (-r)"],
            ),
            _ => {}
        }
    }
    if let Err(e) = rustix::fs::lstat(rest.os(0)) {
        let what: [&[u8]; 4] = [b"copy file hierarchy from ", template, b" to ", dir];
        msg::fatal_sys(exitcode::SYS, &what, e);
    }
    let umask = maker::umask();

    let mut run = SHEBANG.to_vec();
    run.extend_from_slice(b"\nfdmove -c 2 1\n");
    if let Some(u) = &user {
        run.extend_from_slice(b"s6-setuidgid ");
        run.extend_from_slice(&quote(u));
        run.push(b'\n');
    }
    run.extend_from_slice(b"s6-svscan -d3 -C");
    s6box::fmt::push_dec(&mut run, 2 * max as i64);
    run.extend_from_slice(b" -- instance\n");
    let logger = logdir.as_deref().map(|d| Logger {
        user: loguser.as_deref(),
        dir: d,
        stamp,
        nfiles,
        filesize,
        maxsize,
        prefix: prefix.as_deref(),
    });

    // `dir` itself: made here (removed whole on failure), or with -r
    // possibly already there (then only what is made inside is removed).
    let made_dir = match rustix::fs::mkdir(rest.os(1), rustix::fs::Mode::from_raw_mode(0o700)) {
        Ok(()) => true,
        Err(Errno::EXIST) if names.is_some() => false,
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"mkdir ", dir], e),
    };
    let undo = |made: &[Vec<u8>]| maker::undo(dir, made_dir, made);
    let fd = match tree::open_dir(rustix::fs::CWD, &cstr(dir)) {
        Ok(fd) => fd,
        Err(e) => {
            undo(&[]);
            msg::fatal_sys(exitcode::SYS, &[b"open ", dir], e)
        }
    };
    if made_dir {
        let _ = rustix::fs::fchmod(&fd, rustix::fs::Mode::from_raw_mode(0o755));
    }
    let out = Out { fd, base: dir.to_vec(), umask };
    let mut made = Vec::new();
    let r = write(&out, &names, &run, logger.as_ref(), template, &mut made);
    if let Err((what, e)) = r {
        undo(&made);
        msg::fatal_sys(exitcode::SYS, &[&what], e);
    }
    if maker::weird_umask(umask) {
        msg::warn(&[b"weird umask, check permissions manually on ", &out.full(b"run")]);
    }
    0
}

/// `write(out, names, run, logger, template, made)`: every file; `made`
/// collects the top-level names made (for the undo in `-r` mode).
fn write(
    out: &Out,
    names: &Option<RcNames>,
    run: &[u8],
    logger: Option<&Logger>,
    template: &[u8],
    made: &mut Vec<Vec<u8>>,
) -> Result<(), Failed> {
    let (svc, rcmode): (Vec<u8>, bool) = match names {
        Some(n) => (n.service.to_vec(), true),
        None => (Vec::new(), false),
    };
    let sub = |name: &[u8]| -> Vec<u8> {
        if svc.is_empty() { name.to_vec() } else { [&svc[..], b"/", name].concat() }
    };
    if rcmode {
        out.dir(&svc)?;
        made.push(svc.clone());
        out.file(&sub(b"type"), b"longrun\n", false)?;
        if let Some(lg) = names.as_ref().and_then(|n| n.logger) {
            out.file(&sub(b"producer-for"), &[lg, b"\n"].concat(), false)?;
        }
    }
    out.file(&sub(b"notification-fd"), b"3\n", false)?;
    out.file(&sub(b"run"), run, !rcmode)?;
    if !rcmode {
        out.dir(b"instance")?;
        out.dir(b"instances")?;
    }
    let tpl = sub(b"template");
    if let Err(e) = tree::copy(rustix::fs::CWD, &cstr(template), out.at(), &cstr(&tpl)) {
        let what = [&b"copy file hierarchy from "[..], template, b" to ", &out.full(&tpl)];
        return Err((what.concat(), e));
    }
    if let Some(l) = logger {
        match names.as_ref().and_then(|n| n.logger) {
            Some(lg) => {
                made.push(lg.to_vec());
                l.write(out, lg, false)?;
                out.file(&[lg, b"/type"].concat(), b"longrun\n", false)?;
                let cf = [&svc[..], b"\n"].concat();
                out.file(&[lg, b"/consumer-for"].concat(), &cf, false)?;
                if let Some(p) = names.as_ref().and_then(|n| n.pipeline) {
                    let pn = [p, b"\n"].concat();
                    out.file(&[lg, b"/pipeline-name"].concat(), &pn, false)?;
                }
            }
            None => l.write(out, b"log", true)?,
        }
    }
    Ok(())
}
