//! s6-fdholder-transferdump: moves the whole state of one fd-holder
//! daemon into another (getdump from the first, setdump into the second).

use s6box::argv::Argv;
use s6box::cli::parse_decimal;
use s6box::fdholder::client::{command_line, connect_or_die, fail};
use rustix::fd::AsFd;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-fdholder-transferdump [ -t timeoutfrom:timeoutto ] socketfrom socketto";

/// `timeouts(v)`: `A:B`, `A`, `A:`, `:B`, `:` (an empty side is 0).
fn timeouts(v: &[u8]) -> Option<(u32, u32)> {
    let num = |b: &[u8]| if b.is_empty() { Some(0) } else { parse_decimal(OsStr::from_bytes(b)) };
    match v.iter().position(|&c| c == b':') {
        Some(i) => Some((num(&v[..i])?, num(&v[i + 1..])?)),
        None => Some((num(v)?, 0)),
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let (mut from_t, mut to_t) = (0u32, 0u32);
    let (rest, _) = command_line(argv, USAGE, 2, |cli, c| {
        if c != 't' {
            return false;
        }
        let v = cli.value();
        (from_t, to_t) = timeouts(v.as_bytes()).unwrap_or_else(|| cli.usage());
        true
    });
    let from = connect_or_die(rest.os(0).as_bytes(), from_t, b"a source");
    let dump = from.getdump().unwrap_or_else(|e| fail(&[b"get dump"], e));
    drop(from);
    let to = connect_or_die(rest.os(1).as_bytes(), to_t, b"a destination");
    let list: Vec<_> = dump.iter().map(|e| (&e.id[..], e.deadline, e.fd.as_fd())).collect();
    if let Err(e) = to.setdump(&list) {
        fail(&[b"set dump"], e);
    }
    0
}
