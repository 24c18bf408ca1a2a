//! s6-svstat: print the state of a supervised service, as a line for
//! humans or as the values of the fields asked for.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::supervision::status::{self, Status};
use s6box::path;
use s6box::supervision::{servicedir, signame, svlock};
use s6box::tai::Tain;
use s6box::{exitcode, fmt, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-svstat [ -uwNrpgest | -o up,wantedup,normallyup,ready,paused,pid,pgid,exitcode,signal,signum,updownsince,readysince,updownfor,readyfor ] [ -n ] servicedir";

/// The fields, in the order of their names' table.
#[derive(Clone, Copy)]
enum Field {
    Up,
    WantedUp,
    NormallyUp,
    Ready,
    Paused,
    Pid,
    Pgid,
    ExitCode,
    Signal,
    Signum,
    UpDownSince,
    ReadySince,
    UpDownFor,
    ReadyFor,
}

static NAMES: &[(&[u8], Field)] = &[
    (b"up", Field::Up),
    (b"wantedup", Field::WantedUp),
    (b"normallyup", Field::NormallyUp),
    (b"ready", Field::Ready),
    (b"paused", Field::Paused),
    (b"pid", Field::Pid),
    (b"pgid", Field::Pgid),
    (b"exitcode", Field::ExitCode),
    (b"signal", Field::Signal),
    (b"signum", Field::Signum),
    (b"updownsince", Field::UpDownSince),
    (b"readysince", Field::ReadySince),
    (b"updownfor", Field::UpDownFor),
    (b"readyfor", Field::ReadyFor),
];

/// `parse_fields(list, out)`: appends the comma-separated fields of `-o`
/// (a trailing comma ends the list; an empty or unknown name: 100).
fn parse_fields(list: &[u8], out: &mut Vec<Field>) {
    let mut rest = list;
    while !rest.is_empty() {
        let end = rest.iter().position(|&c| c == b',').unwrap_or(rest.len());
        let name = &rest[..end];
        match NAMES.iter().find(|(n, _)| *n == name) {
            Some(&(_, f)) => out.push(f),
            None => msg::fatal(exitcode::USAGE, &[b"invalid option field: ", name]),
        }
        rest = if end < rest.len() { &rest[end + 1..] } else { &[] };
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut fields = Vec::new();
    let mut numeric = false;
    while let Some(opt) = cli.opt() {
        let f = match opt {
            Opt::Short('u') => Field::Up,
            Opt::Short('w') => Field::WantedUp,
            Opt::Short('N') => Field::NormallyUp,
            Opt::Short('r') => Field::Ready,
            Opt::Short('p') => Field::Pid,
            Opt::Short('g') => Field::Pgid,
            Opt::Short('e') => Field::ExitCode,
            Opt::Short('s') => Field::Signal,
            Opt::Short('t') => Field::UpDownFor,
            Opt::Short('o') => {
                let v = cli.value();
                parse_fields(v.as_bytes(), &mut fields);
                continue;
            }
            Opt::Short('n') => {
                numeric = true;
                continue;
            }
            _ => cli.usage(),
        };
        fields.push(f);
    }
    let dir = cli.operand();
    let db = dir.as_bytes();
    match svlock::supervised(dir) {
        Ok(true) => {}
        Ok(false) => msg::fatal(
            exitcode::FAIL,
            &[b"unable to read status for ", db, b": s6-supervise not running"],
        ),
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"check ", db], e),
    }
    let st = status::read_dir(dir)
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"read status for ", db], e));
    let down = path::join(dir, servicedir::DOWN);
    let normally_up =
        rustix::fs::statat(rustix::fs::CWD, &down, rustix::fs::AtFlags::empty()).is_err();
    let now = Tain::now();
    let mut out = Vec::with_capacity(128);
    if fields.is_empty() {
        human(&mut out, &st, normally_up, numeric, &now);
    } else {
        for (i, &f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            field(&mut out, f, &st, normally_up, &now);
        }
    }
    out.push(b'\n');
    s6box::filter::write(&out);
    0
}

/// `elapsed(now, then)`: whole seconds from `then` to `now`, wrapping as
/// s6's unsigned arithmetic does when `then` is in the future.
fn elapsed(now: &Tain, then: &Tain) -> u64 {
    let mut s = now.label.wrapping_sub(then.label);
    if now.nanos < then.nanos {
        s = s.wrapping_sub(1);
    }
    s
}

fn push_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// The killing signal of the last death, if it was killed.
fn signal_of(st: &Status) -> Option<i32> {
    let s = i32::from(st.wstat & 0x7f);
    (s != 0 && s != 0x7f).then_some(s)
}

fn field(out: &mut Vec<u8>, f: Field, st: &Status, normally_up: bool, now: &Tain) {
    let up = st.is_up();
    // No death to report: up, or never started.
    let no_death = up || st.not_started();
    match f {
        Field::Up => push_bool(out, up),
        Field::WantedUp => push_bool(out, st.flag(status::WANT_UP)),
        Field::NormallyUp => push_bool(out, normally_up),
        Field::Ready => push_bool(out, up && st.flag(status::READY)),
        Field::Paused => push_bool(out, up && st.flag(status::PAUSED)),
        Field::Pid | Field::Pgid => {
            if up {
                fmt::push_u64(out, st.pid)
            } else {
                out.extend_from_slice(b"-1")
            }
        }
        Field::ExitCode => match (no_death, signal_of(st)) {
            (false, None) => fmt::push_dec(out, i64::from(st.wstat >> 8)),
            _ => out.extend_from_slice(b"-1"),
        },
        Field::Signal => match (no_death, signal_of(st)) {
            (false, Some(s)) => signame::push_name(out, s),
            _ => out.extend_from_slice(b"NA"),
        },
        Field::Signum => match (no_death, signal_of(st)) {
            (false, Some(s)) => fmt::push_dec(out, i64::from(s)),
            _ => out.extend_from_slice(b"-1"),
        },
        Field::UpDownSince => out.extend_from_slice(&st.stamp.min(*now).text()),
        Field::ReadySince => out.extend_from_slice(&st.readystamp.text()),
        Field::UpDownFor => fmt::push_u64(out, updown_for(st, now)),
        Field::ReadyFor => fmt::push_u64(out, elapsed(now, &st.readystamp)),
    }
}

/// Seconds since the last transition (a stamp in the future counts as
/// now, as s6 does for this one and for `updownsince`).
fn updown_for(st: &Status, now: &Tain) -> u64 {
    if st.stamp > *now { 0 } else { elapsed(now, &st.stamp) }
}

fn human(out: &mut Vec<u8>, st: &Status, normally_up: bool, numeric: bool, now: &Tain) {
    let up = st.is_up();
    let not_started = !up && st.not_started();
    if up {
        out.extend_from_slice(b"up (pid ");
        fmt::push_u64(out, st.pid);
        out.extend_from_slice(b" pgid ");
        fmt::push_u64(out, st.pid);
        out.extend_from_slice(b") ");
    } else if not_started {
        out.extend_from_slice(b"down (not started yet) ");
    } else {
        out.extend_from_slice(b"down (");
        match signal_of(st) {
            Some(s) => {
                out.extend_from_slice(b"signal ");
                if numeric {
                    fmt::push_dec(out, i64::from(s));
                } else {
                    signame::push_name(out, s);
                }
            }
            None => {
                out.extend_from_slice(b"exitcode ");
                fmt::push_dec(out, i64::from(st.wstat >> 8));
            }
        }
        out.extend_from_slice(b") ");
    }
    if !not_started {
        fmt::push_u64(out, updown_for(st, now));
        out.extend_from_slice(b" seconds");
    }
    if up && !normally_up {
        out.extend_from_slice(b", normally down");
    }
    if !up && normally_up {
        out.extend_from_slice(b", normally up");
    }
    if up && st.flag(status::PAUSED) {
        out.extend_from_slice(b", paused");
    }
    if !up && st.flag(status::WANT_UP) {
        out.extend_from_slice(b", want up");
    }
    if up && !st.flag(status::WANT_UP) {
        out.extend_from_slice(b", want down");
    }
    if st.flag(status::READY) && !not_started {
        out.extend_from_slice(b", ready ");
        fmt::push_u64(out, elapsed(now, &st.readystamp));
        out.extend_from_slice(b" seconds");
    }
}
