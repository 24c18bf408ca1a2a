//! s6-svperms: show or set who may read a service's status, send it
//! commands, and listen to its events, through the modes and groups of
//! `supervise/`, `supervise/control` and `event/`.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::path::join;
use s6box::{account, exitcode, fmt, msg};
use rustix::fs::{Gid, Mode};
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-svperms [ -v ] [ -u | -g group | -G group | -o | -O group ] [ -e | -E group ] servicedir...";

/// The group a file is given: its owner's primary group, or a named one.
#[derive(Clone, Copy)]
enum Group {
    Owner,
    Gid(u32),
}

/// Mode and group of `supervise/`, then of `supervise/control`.
type StatusPerms = (u32, Group, u32, Group);

/// `group(cli)`: the option's group: a name from the group database, or
/// `:gid`.
fn group(cli: &mut Cli) -> Group {
    let v = cli.value();
    let b = v.as_bytes();
    if let Some(num) = b.strip_prefix(b":") {
        return Group::Gid(
            s6box::cli::parse_decimal(OsStr::from_bytes(num)).unwrap_or_else(|| cli.usage()),
        );
    }
    let name = CString::new(b).unwrap_or_else(|_| cli.usage());
    match account::group(&name) {
        Ok(Some(g)) => Group::Gid(g),
        Ok(None) => {
            msg::fatal(exitcode::USAGE, &[b"unable to find entry for ", b, b" in group database"])
        }
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"read group database"], e),
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut verbose, mut status, mut events): (bool, Option<StatusPerms>, Option<(u32, Group)>) =
        (false, None, None);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('v') => verbose = true,
            Opt::Short('u') => status = Some((0o700, Group::Owner, 0o600, Group::Owner)),
            Opt::Short('g') => status = Some((0o710, group(&mut cli), 0o600, Group::Owner)),
            Opt::Short('G') => {
                let g = group(&mut cli);
                status = Some((0o710, g, 0o620, g));
            }
            Opt::Short('o') => status = Some((0o711, Group::Owner, 0o600, Group::Owner)),
            Opt::Short('O') => status = Some((0o711, Group::Owner, 0o620, group(&mut cli))),
            Opt::Short('e') => events = Some((0o1733, Group::Owner)),
            Opt::Short('E') => events = Some((0o3730, group(&mut cli))),
            _ => cli.usage(),
        }
    }
    let dirs = cli.rest();
    if dirs.is_empty() {
        cli.usage();
    }
    let change = status.is_some() || events.is_some();
    if change {
        s6box::supervision::servicedir::paths_or_die(dirs.iter());
        for dir in dirs.iter() {
            if let Some((sm, sg, cm, cg)) = status {
                let sup = join(dir, "supervise");
                set(&sup, sm, sg);
                set(&join(&sup, "control"), cm, cg);
            }
            if let Some((em, eg)) = events {
                set(&join(dir, "event"), em, eg);
            }
        }
        if !verbose {
            return 0;
        }
    }
    // All of stdout in one write at the end, as 2.15 does.
    let (mut ok, mut out) = (true, Vec::new());
    for dir in dirs.iter() {
        ok &= show(dir, &mut out);
    }
    msg::write_all(msg::fd(1), &out);
    if ok { 0 } else { exitcode::FAIL }
}

/// `set(path, mode, group)`: gives `path` its group and mode, or dies.
fn set(path: &OsStr, mode: u32, group: Group) {
    let p = path.as_bytes();
    let gid = match group {
        Group::Gid(g) => Some(g),
        Group::Owner => {
            let st = rustix::fs::stat(path)
                .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"stat ", p], e));
            account::primary_gid(st.st_uid)
                .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"read user database"], e))
        }
    };
    if let Err(e) = rustix::fs::chown(path, None, gid.filter(|&g| g != u32::MAX).map(Gid::from_raw))
    {
        msg::fatal_sys(exitcode::SYS, &[b"chown ", p], e);
    }
    if let Err(e) = rustix::fs::chmod(path, Mode::from_raw_mode(mode as _)) {
        msg::fatal_sys(exitcode::SYS, &[b"chmod ", p], e);
    }
}

/// `inspect(path)`: (mode bits, gid) of `path`, or a warning.
fn inspect(path: &OsStr) -> Option<(u32, u32)> {
    match rustix::fs::stat(path) {
        #[allow(clippy::unnecessary_cast)] // u16 on BSD
        Ok(st) => Some((st.st_mode as u32 & 0o7777, st.st_gid)),
        Err(e) => {
            msg::warn_sys(&[b"stat ", path.as_bytes()], e);
            None
        }
    }
}

fn incorrect(path: &OsStr, mode: u32) {
    let mut m = Vec::with_capacity(6);
    for shift in [9, 6, 3, 0] {
        let d = (mode >> shift) & 7;
        if d != 0 || !m.is_empty() || shift == 0 {
            m.push(b'0' + d as u8);
        }
    }
    msg::warn(&[path.as_bytes(), b" has incorrect permissions: ", &m]);
}

fn push_group(line: &mut Vec<u8>, gid: u32) {
    line.extend_from_slice(b"group ");
    match account::group_name(gid) {
        Ok(Some(name)) => line.extend_from_slice(&name),
        _ => fmt::push_dec(line, i64::from(gid)),
    }
}

/// `show(dir)`: prints the three lines of `dir` (a line that cannot be
/// told is a warning instead) into `out`; false if there was a warning.
fn show(dir: &OsStr, out: &mut Vec<u8>) -> bool {
    let mut ok = true;
    let line = |out: &mut Vec<u8>, what: &[u8]| {
        out.extend_from_slice(dir.as_bytes());
        out.push(b' ');
        out.extend_from_slice(what);
    };
    let sup = join(dir, "supervise");
    match inspect(&sup) {
        None => ok = false,
        Some((m, g)) if matches!(m & 0o5777, 0o700 | 0o710 | 0o711) => {
            line(out, b"status: ");
            match m & 0o777 {
                0o700 => out.extend_from_slice(b"owner"),
                0o710 => push_group(out, g),
                _ => out.extend_from_slice(b"public"),
            }
            out.push(b'\n');
            let ctl = join(&sup, "control");
            match inspect(&ctl) {
                None => ok = false,
                Some((m, g)) if matches!(m & 0o777, 0o600 | 0o620) => {
                    line(out, b"control: ");
                    if m & 0o777 == 0o600 {
                        out.extend_from_slice(b"owner");
                    } else {
                        push_group(out, g);
                    }
                    out.push(b'\n');
                }
                Some((m, _)) => {
                    incorrect(&ctl, m);
                    ok = false;
                }
            }
        }
        Some((m, _)) => {
            incorrect(&sup, m);
            ok = false;
        }
    }
    let ev = join(dir, "event");
    match inspect(&ev) {
        None => ok = false,
        Some((0o3730, g)) => {
            line(out, b"events: ");
            push_group(out, g);
            out.push(b'\n');
        }
        Some((0o1733, _)) => {
            line(out, b"events: public\n");
        }
        Some((m, _)) => {
            incorrect(&ev, m);
            ok = false;
        }
    }
    ok
}
