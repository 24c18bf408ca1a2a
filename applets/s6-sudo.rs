//! s6-sudo: `s6-ipcclient path s6-sudoc args...` in one process, with no
//! PATH lookup: connects to the s6-sudod service at `path`, then runs
//! s6-sudoc's part on the connection, sending the environment s6-sudoc
//! would get under s6-ipcclient (`PROTO=IPC` and `IPCLOCALPATH` added).

use super::s6_sudoc::{self, Opts};
use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::exitcode::SYS;
use s6box::msg;
use s6box::socket::{self, ConnectError};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-sudo [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] [ -e ] [ -t timeout ] [ -T timeoutrun ] path [ args... ]";

pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut verbosity, mut bindpath, mut localname) = (1, None, None);
    let mut o = Opts::default();
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('q') => verbosity = 0,
            Opt::Short('Q') => verbosity = 1,
            Opt::Short('v') => verbosity = 2,
            Opt::Short('p') => bindpath = Some(cli.value()),
            Opt::Short('l') => localname = Some(cli.value()),
            Opt::Short('e') => o.noenv = true,
            Opt::Short('t') => o.tconn = cli.number(),
            Opt::Short('T') => o.trun = cli.number(),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.is_empty() {
        cli.usage();
    }
    let path = rest.get(0).to_bytes();
    let bind = bindpath.as_ref().map(|p| p.as_bytes());
    let conn = socket::connect_to(path, bind).unwrap_or_else(|e| match e {
        ConnectError::Socket(e) => msg::fatal_sys(SYS, &[b"create socket"], e),
        ConnectError::Bind(e) => {
            msg::fatal_sys(SYS, &[b"bind socket to ", bind.unwrap_or_default()], e)
        }
        ConnectError::Connect(e) => msg::fatal_sys(SYS, &[b"connect to ", path], e),
    });
    if verbosity >= 2 {
        // s6-ipcclient's line, word for word.
        let line = [b"s6-ipcclient: info: s6-ipcclient: connected to ", path, b"\n"].concat();
        msg::write_all(msg::fd(2), &line);
    }
    let local = localname.or(bindpath).unwrap_or_default();
    let extra: [(&[u8], &[u8]); 2] = [(b"PROTO", b"IPC"), (b"IPCLOCALPATH", local.as_bytes())];
    use rustix::fd::AsFd;
    s6_sudoc::run(conn.as_fd(), conn.as_fd(), o, rest.skip(1), &extra)
}
