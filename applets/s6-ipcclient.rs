//! s6-ipcclient: connect to a Unix socket, then exec prog with the
//! connection on descriptors 6 (read) and 7 (write).

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::socket::{self, ConnectError};
use s6box::{env, exec, exitcode, fd, msg};

const USAGE: &str = "s6-ipcclient [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] path prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    use std::os::unix::ffi::OsStrExt;
    let mut cli = Cli::new(argv, USAGE);
    let (mut verbosity, mut bindpath, mut localname) = (1, None, None);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('q') => verbosity = 0,
            Opt::Short('Q') => verbosity = 1,
            Opt::Short('v') => verbosity = 2,
            Opt::Short('p') => bindpath = Some(cli.value()),
            Opt::Short('l') => localname = Some(cli.value()),
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let path = rest.get(0).to_bytes();
    let bind = bindpath.as_ref().map(|p| p.as_bytes());
    let conn = socket::connect_to(path, bind).unwrap_or_else(|e| match e {
        ConnectError::Socket(e) => msg::fatal_sys(exitcode::SYS, &[b"create socket"], e),
        ConnectError::Bind(e) => {
            msg::fatal_sys(exitcode::SYS, &[b"bind socket to ", bind.unwrap_or_default()], e)
        }
        ConnectError::Connect(e) => msg::fatal_sys(exitcode::SYS, &[b"connect to ", path], e),
    });
    if verbosity >= 2 {
        let mut line = Vec::with_capacity(64 + path.len());
        line.extend_from_slice(b"s6-ipcclient: info: s6-ipcclient: connected to ");
        line.extend_from_slice(path);
        line.push(b'\n');
        msg::write_all(msg::fd(2), &line);
    }
    fd::move_to(conn, 6).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"dup2"], e));
    fd::copy_to(fd::borrow(6), 7).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"dup2"], e));
    let local = localname.or(bindpath).unwrap_or_default();
    env::apply(&[(b"PROTO", Some(b"IPC")), (b"IPCLOCALPATH", Some(local.as_bytes()))]);
    exec::exec(rest.skip(1))
}
