//! ucspilogd: the stream syslog server, one per connection under a
//! super-server: each line of stdin (ended by LF or NUL) becomes
//! `[stamp ]VALUE: ...FACILITY.PRIORITY: message` on stdout.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::{filter, syslog};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "ucspilogd [ -D default ] [ var... ]";

/// Buffered output flushed past this size even while input keeps coming.
const OUT_MAX: usize = 65536;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut default = b"<undefined>".to_vec();
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('D') => default = cli.value().as_bytes().to_vec(),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    // The variables' values, each followed by ": ", computed once.
    let mut prefix = Vec::new();
    for var in rest.iter() {
        match std::env::var_os(var) {
            Some(v) => prefix.extend_from_slice(v.as_bytes()),
            None => prefix.extend_from_slice(&default),
        }
        prefix.extend_from_slice(b": ");
    }
    let mut buf = vec![0u8; 65536];
    let mut pending: Vec<u8> = Vec::new();
    let mut out: Vec<u8> = Vec::with_capacity(OUT_MAX + 4096);
    loop {
        filter::flush_if_idle(&mut out);
        let n = filter::read(&mut buf, &mut out);
        if n == 0 {
            break;
        }
        let mut data = &buf[..n];
        while let Some(end) = data.iter().position(|&c| c == b'\n' || c == 0) {
            if pending.is_empty() {
                line(&mut out, &prefix, &data[..end]);
            } else {
                pending.extend_from_slice(&data[..end]);
                line(&mut out, &prefix, &pending);
                pending.clear();
            }
            data = &data[end + 1..];
            if out.len() >= OUT_MAX {
                filter::flush(&mut out);
            }
        }
        pending.extend_from_slice(data);
    }
    if !pending.is_empty() {
        line(&mut out, &prefix, &pending);
    }
    filter::flush(&mut out);
    0
}

/// `line(out, prefix, l)`: one output line.
fn line(out: &mut Vec<u8>, prefix: &[u8], l: &[u8]) {
    let stamp = syslog::stamp_len(l);
    out.extend_from_slice(&l[..stamp]);
    out.extend_from_slice(prefix);
    let rest = syslog::decode(out, &l[stamp..]);
    out.extend_from_slice(rest);
    out.push(b'\n');
}
