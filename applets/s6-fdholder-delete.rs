//! s6-fdholder-delete: makes a fd-holder daemon close a descriptor.

use s6box::argv::Argv;
use s6box::fdholder::client::{command_line, connect_or_die, fail};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-fdholder-delete [ -t timeout ] socket id";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let (rest, t) = command_line(argv, USAGE, 2, |_, _| false);
    let (path, id) = (rest.os(0).as_bytes(), rest.os(1).as_bytes());
    let client = connect_or_die(path, t, b"a");
    if let Err(e) = client.delete(id) {
        fail(&[b"delete fd for id ", id], e);
    }
    0
}
