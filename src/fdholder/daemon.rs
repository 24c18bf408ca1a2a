//! s6-fdholderd's options and start-up checks, shared by `s6-fdholderd`
//! and `s6-fdholder-daemon` (which binds the socket first, in-process).

use super::server::{self, Config, Rules};
use crate::accessrules::{self, Verdict};
use crate::cli::{Cli, Opt};
use crate::{cdb, exitcode, msg};
use rustix::fd::AsFd;
use rustix::io::Errno;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

/// The options of s6-fdholderd (those of s6-fdholder-daemon include them).
#[derive(Default)]
pub struct Options {
    /// `-1`.
    pub notify: bool,
    /// `-v`.
    pub verbosity: u32,
    /// `-c` as given.
    pub maxconn: u32,
    /// `-n` as given.
    pub maxfds: u32,
    /// `-t` in ms.
    pub timeout: u32,
    /// `-T` in ms.
    pub lameduck: u32,
    /// `-i`.
    pub rulesdir: Option<Vec<u8>>,
    /// `-x`.
    pub rulesfile: Option<Vec<u8>>,
}

impl Options {
    /// `new()`: the defaults (`-c 16 -n 1000 -v 1`).
    pub fn new() -> Options {
        Options { verbosity: 1, maxconn: 16, maxfds: 1000, ..Options::default() }
    }

    /// `option(cli, opt)`: takes option `opt` if it is one of
    /// s6-fdholderd's (false otherwise); a bad value is usage death.
    pub fn option(&mut self, cli: &mut Cli, opt: &Opt) -> bool {
        let Opt::Short(c) = opt else { return false };
        match c {
            '1' => self.notify = true,
            'v' => self.verbosity = cli.number(),
            'c' => self.maxconn = cli.number(),
            'n' => self.maxfds = cli.number(),
            't' => self.timeout = cli.number(),
            'T' => self.lameduck = cli.number(),
            'i' => {
                self.rulesdir = Some(cli.value().as_bytes().to_vec());
                self.rulesfile = None;
            }
            'x' => {
                self.rulesfile = Some(cli.value().as_bytes().to_vec());
                self.rulesdir = None;
            }
            _ => return false,
        }
        true
    }

    /// `check_rules()`: `fatal: no access rights specified!` (100) without
    /// `-i` or `-x`.
    pub fn check_rules(&self) {
        if self.rulesdir.is_none() && self.rulesfile.is_none() {
            msg::fatal(exitcode::USAGE, &[b"no access rights specified!"]);
        }
    }
}

/// The access rules of the daemon: a directory read at each connection,
/// or a cdb opened at start and on SIGHUP.
enum AccessRules {
    Dir(Vec<u8>),
    Cdb(CString, cdb::File),
}

impl Rules for AccessRules {
    fn lookup(&mut self, uid: u32, gid: u32) -> Result<Option<Vec<accessrules::EnvChange>>, Errno> {
        let v = match self {
            AccessRules::Dir(d) => accessrules::check_dir(d, uid, gid)?,
            AccessRules::Cdb(_, f) => accessrules::check_cdb(f, uid, gid)?,
        };
        match v {
            Verdict::Allow(rule) => {
                if !rule.exec.is_empty() {
                    let (u, g) = (crate::fmt::dec(uid.into()), crate::fmt::dec(gid.into()));
                    msg::warn(&[b"unused exec string in rules for uid ", &u, b" gid ", &g]);
                }
                Ok(Some(rule.env))
            }
            Verdict::Deny | Verdict::NotFound => Ok(None),
        }
    }

    fn reload(&mut self) {
        if let AccessRules::Cdb(path, f) = self
            && let Ok(new) = cdb::File::open(path)
        {
            *f = new;
        }
    }
}

/// `run(opts)`: the start-up checks in s6-fdholderd's order, then
/// serves the listening socket on descriptor 0 until SIGTERM; returns the
/// exit code.
pub fn run(opts: Options) -> i32 {
    let listen = match crate::fd::adopt(0) {
        Ok(fd) if crate::socket::is_socket(fd.as_fd()).is_ok() => fd,
        _ => msg::fatal(exitcode::USAGE, &[b"stdin is not a socket"]),
    };
    if opts.notify
        && let Err(e) = rustix::io::fcntl_getfd(msg::fd(1))
    {
        msg::fatal_sys(exitcode::USAGE, &[b"called with option -1 but stdout said"], e);
    }
    let mut rules = match (&opts.rulesfile, &opts.rulesdir) {
        (Some(f), _) => {
            let path = CString::new(f.clone()).unwrap_or_default();
            match cdb::File::open(&path) {
                Ok(file) => AccessRules::Cdb(path, file),
                Err(e) => msg::fatal_sys(exitcode::SYS, &[b"cdb_init ", f], e),
            }
        }
        (None, Some(d)) => AccessRules::Dir(d.clone()),
        (None, None) => msg::fatal(exitcode::USAGE, &[b"no access rights specified!"]),
    };
    let soft =
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(u64::MAX);
    if soft < 7 {
        msg::fatal(exitcode::SYS, &[b"open file limit too low"]);
    }
    let maxfds = (opts.maxfds.max(1) as u64).min(soft - 6) as usize;
    let ms = |v: u32| (v > 0).then(|| Duration::from_millis(v.into()));
    let cfg = Config {
        maxconn: opts.maxconn.clamp(1, 256) as usize,
        maxfds,
        timeout: ms(opts.timeout),
        lameduck: ms(opts.lameduck),
        verbosity: opts.verbosity,
        notify: opts.notify,
    };
    server::serve(listen, cfg, &mut rules)
}
