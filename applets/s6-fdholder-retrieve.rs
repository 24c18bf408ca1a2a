//! s6-fdholder-retrieve: gets a descriptor from a fd-holder daemon and
//! execs a program with it as stdin.

use s6box::argv::Argv;
use s6box::fdholder::client::{command_line, connect_or_die, fail};
use s6box::{exec, exitcode, fd, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-fdholder-retrieve [ -D ] [ -t timeout ] socket id prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut del = false;
    let (rest, t) = command_line(argv, USAGE, 3, |_, c| {
        del |= c == 'D';
        c == 'D'
    });
    let (path, id) = (rest.os(0).as_bytes(), rest.os(1).as_bytes());
    let client = connect_or_die(path, t, b"a");
    let got = client.retrieve(id, del).unwrap_or_else(|e| fail(&[b"retrieve fd for id ", id], e));
    drop(client);
    if let Err(e) = fd::move_to(got, 0) {
        msg::fatal_sys(exitcode::SYS, &[b"move fd to stdin"], e);
    }
    exec::exec(rest.skip(2))
}
