//! s6-fdholder-list: prints the identifiers a fd-holder daemon holds.

use s6box::argv::Argv;
use s6box::fdholder::client::{command_line, connect_or_die, fail};
use s6box::fdholder::quote;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-fdholder-list [ -t timeout ] socket";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let (rest, t) = command_line(argv, USAGE, 1, |_, _| false);
    let client = connect_or_die(rest.os(0).as_bytes(), t, b"a");
    let ids = client.list().unwrap_or_else(|e| fail(&[b"get fd list"], e));
    let mut out = Vec::new();
    for id in ids {
        quote(&mut out, &id);
        out.push(b'\n');
    }
    s6box::filter::write(&out);
    0
}
