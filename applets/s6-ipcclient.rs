//! s6-ipcclient: connect to a Unix socket, then exec prog with the
//! connection on descriptors 6 (read) and 7 (write).

use rustix::fd::OwnedFd;
use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::socket::{self, ConnectError};
use s6box::{env, exec, exitcode, fd, msg};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-ipcclient [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] path prog...";

/// s6-ipcclient's options, shared with s6-sudo (which does its part
/// in-process).
pub struct Client {
    verbosity: u32,
    bindpath: Option<OsString>,
    localname: Option<OsString>,
}

impl Default for Client {
    fn default() -> Client {
        Client { verbosity: 1, bindpath: None, localname: None }
    }
}

impl Client {
    /// `option(cli, opt)`: takes `-q -Q -v -p -l`; false for any other.
    pub fn option(&mut self, cli: &mut Cli, opt: &Opt) -> bool {
        match opt {
            Opt::Short('q') => self.verbosity = 0,
            Opt::Short('Q') => self.verbosity = 1,
            Opt::Short('v') => self.verbosity = 2,
            Opt::Short('p') => self.bindpath = Some(cli.value()),
            Opt::Short('l') => self.localname = Some(cli.value()),
            _ => return false,
        }
        true
    }

    /// `connect(path)`: the connection to `path` (bound to `-p` first),
    /// or death with s6-ipcclient's messages; `-v`'s info line.
    pub fn connect(&self, path: &[u8]) -> OwnedFd {
        let bind = self.bindpath.as_ref().map(|p| p.as_bytes());
        let conn = socket::connect_to(path, bind).unwrap_or_else(|e| match e {
            ConnectError::Socket(e) => msg::fatal_sys(exitcode::SYS, &[b"create socket"], e),
            ConnectError::Bind(e) => {
                msg::fatal_sys(exitcode::SYS, &[b"bind socket to ", bind.unwrap_or_default()], e)
            }
            ConnectError::Connect(e) => msg::fatal_sys(exitcode::SYS, &[b"connect to ", path], e),
        });
        if self.verbosity >= 2 {
            let mut line = Vec::with_capacity(64 + path.len());
            line.extend_from_slice(b"s6-ipcclient: info: s6-ipcclient: connected to ");
            line.extend_from_slice(path);
            line.push(b'\n');
            msg::write_all(msg::fd(2), &line);
        }
        conn
    }

    /// `vars()`: the variables the program gets: `PROTO=IPC` and
    /// `IPCLOCALPATH` (`-l`, else `-p`, else empty).
    pub fn vars(&self) -> [(&[u8], &[u8]); 2] {
        let local = self.localname.as_ref().or(self.bindpath.as_ref());
        [(b"PROTO", b"IPC"), (b"IPCLOCALPATH", local.map_or(b"", |l| l.as_bytes()))]
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut client = Client::default();
    while let Some(opt) = cli.opt() {
        if !client.option(&mut cli, &opt) {
            cli.usage();
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let conn = client.connect(rest.get(0).to_bytes());
    fd::move_to(conn, 6).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"dup2"], e));
    fd::copy_to(fd::borrow(6), 7).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"dup2"], e));
    env::apply(&client.vars().map(|(name, value)| (name, Some(value))));
    exec::exec(rest.skip(1))
}
