//! s6-fdholder-getdump: gets every descriptor a fd-holder daemon holds
//! and execs a program with them, described in `S6_FD#`, `S6_FD_i`,
//! `S6_FDID_i` and `S6_FDLIMIT_i`.

use s6box::argv::Argv;
use s6box::fdholder::client::{command_line, connect_or_die, fail};
use s6box::fdholder::is_never;
use s6box::tai::Tain;
use s6box::{env, exec, exitcode, fd, fmt, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-fdholder-getdump [ -t timeout ] socket prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let (rest, t) = command_line(argv, USAGE, 2, |_, _| false);
    let client = connect_or_die(rest.os(0).as_bytes(), t, b"a");
    let dump = client.getdump().unwrap_or_else(|e| fail(&[b"get dump"], e));
    drop(client);
    let now = Tain::now();
    // (name, value) pairs: S6_FD#, then per entry its three variables.
    let mut vars: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::with_capacity(1 + 3 * dump.len());
    vars.push((b"S6_FD#".to_vec(), Some(fmt::dec(dump.len() as i64))));
    for (i, e) in dump.into_iter().enumerate() {
        let n = fmt::dec(i as i64);
        let name = |p: &[u8]| [p, &n].concat();
        let limit = (!is_never(&e.deadline, &now)).then(|| e.deadline.text().to_vec());
        let num = fd::inherit(e.fd).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"fcntl"], e));
        vars.push((name(b"S6_FD_"), Some(fmt::dec(num.into()))));
        vars.push((name(b"S6_FDID_"), Some(e.id)));
        vars.push((name(b"S6_FDLIMIT_"), limit));
    }
    let changes: Vec<(&[u8], Option<&[u8]>)> =
        vars.iter().map(|(n, v)| (&n[..], v.as_deref())).collect();
    env::apply(&changes);
    exec::exec(rest.skip(1))
}
