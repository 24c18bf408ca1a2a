//! s6-fdholder-store: hands a copy of a descriptor to a fd-holder daemon.

use s6box::argv::Argv;
use s6box::fdholder::client::{command_line, connect_or_die, fail};
use s6box::fdholder::never;
use s6box::tai::Tain;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-fdholder-store [ -d fd ] [ -t timeout ] [ -T fdtimeout ] socket id";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let (mut fd, mut fdt) = (0i32, 0u32);
    let (rest, t) = command_line(argv, USAGE, 2, |cli, c| {
        match c {
            'd' => fd = cli.number(),
            'T' => fdt = cli.number(),
            _ => return false,
        }
        true
    });
    let (path, id) = (rest.os(0).as_bytes(), rest.os(1).as_bytes());
    let client = connect_or_die(path, t, b"a");
    let now = Tain::now();
    let deadline = if fdt == 0 { never(now) } else { now.add_ms(fdt.into()) };
    if let Err(e) = client.store(s6box::fd::borrow(fd), &deadline, id) {
        fail(&[b"store fd"], e);
    }
    0
}
