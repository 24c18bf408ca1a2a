//! s6-fdholder-setdump: hands a fd-holder daemon the set of descriptors
//! described by `S6_FD#`, `S6_FD_i`, `S6_FDID_i` and `S6_FDLIMIT_i`
//! (as s6-fdholder-getdump leaves them).

use s6box::argv::Argv;
use s6box::cli::parse_decimal;
use s6box::fdholder::client::{command_line, connect_or_die, fail};
use s6box::fdholder::{never, parse_limit, valid_id};
use s6box::tai::Tain;
use s6box::{exitcode, fmt, msg};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-fdholder-setdump [ -t timeout ] socket";

/// `var(name)`: the variable's value, or `fatal: NAME not set` (100).
fn var(name: &[u8]) -> Vec<u8> {
    match std::env::var_os(OsStr::from_bytes(name)) {
        Some(v) => v.as_bytes().to_vec(),
        None => msg::fatal(exitcode::USAGE, &[name, b" not set"]),
    }
}

/// `invalid(name)`: `fatal: invalid $NAME` (100).
fn invalid(name: &[u8]) -> ! {
    msg::fatal(exitcode::USAGE, &[b"invalid $", name])
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let (rest, t) = command_line(argv, USAGE, 1, |_, _| false);
    let count: u32 = parse_decimal(OsStr::from_bytes(&var(b"S6_FD#")))
        .unwrap_or_else(|| invalid(b"S6_FD#"));
    let client = connect_or_die(rest.os(0).as_bytes(), t, b"a");
    if count == 0 {
        return 0;
    }
    let never = never(Tain::now());
    let mut entries = Vec::with_capacity(count.min(1 << 16) as usize);
    for i in 0..count {
        let n = fmt::dec(i.into());
        let name = [&b"S6_FD_"[..], &n].concat();
        let fd: i32 = parse_decimal(OsStr::from_bytes(&var(&name))).unwrap_or_else(|| invalid(&name));
        let name = [&b"S6_FDID_"[..], &n].concat();
        let id = var(&name);
        if !valid_id(&id) {
            invalid(&name);
        }
        let name = [&b"S6_FDLIMIT_"[..], &n].concat();
        let limit = match std::env::var_os(OsStr::from_bytes(&name)) {
            None => never,
            Some(v) => parse_limit(v.as_bytes()).unwrap_or_else(|| invalid(&name)),
        };
        entries.push((id, limit, s6box::fd::borrow(fd)));
    }
    let list: Vec<(&[u8], Tain, _)> = entries.iter().map(|(i, l, f)| (&i[..], *l, *f)).collect();
    if let Err(e) = client.setdump(&list) {
        fail(&[b"set dump"], e);
    }
    0
}
