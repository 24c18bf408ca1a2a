//! s6-ipcserver: s6-ipcserver-socketbinder, then s6-applyuidgid if asked,
//! then s6-ipcserverd, all in this process (no sibling looked up in
//! PATH), with the chain's result: the socket on descriptor 0, the
//! privileges dropped after the bind, the same server.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::creds;
use s6box::ipcserver;

const USAGE: &str = "s6-ipcserver [ -q | -Q | -v ] [ -d | -D ] [ -P | -p ] [ -1 ] [ -c maxconn ] [ -C localmaxconn ] [ -b backlog ] [ -a socketperms ] [ -G gid,gid,... ] [ -g gid ] [ -u uid ] [ -U ] path prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    use std::os::unix::ffi::OsStrExt;
    let mut cli = Cli::new(argv, USAGE);
    let mut b = ipcserver::Bind::default();
    let mut o = ipcserver::Serve::default();
    let mut drop = creds::DropOptions::default();
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('q') => o.verbosity = 0,
            Opt::Short('Q') => o.verbosity = 1,
            Opt::Short('v') => o.verbosity = 2,
            Opt::Short('d') => b.replace = true,
            Opt::Short('D') => b.replace = false,
            Opt::Short('P') => o.creds = false,
            Opt::Short('p') => o.creds = true,
            Opt::Short('1') => o.ready = true,
            Opt::Short('c') => o.maxconn = cli.number(),
            Opt::Short('C') => o.localmax = cli.number(),
            Opt::Short('b') => b.backlog = cli.number(),
            Opt::Short('a') => {
                let v = cli.value();
                b.perms = ipcserver::parse_perms(v.as_bytes()).unwrap_or_else(|| cli.usage());
            }
            Opt::Short(c) if drop.option(&mut cli, c) => {}
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    b.path = rest.get(0).to_bytes();
    // s6-ipcserver-socketbinder's part; its lock ends with its part.
    drop_lock(ipcserver::bind_stdin(&b));
    // s6-applyuidgid -Uz -u -g -G: the environment's ids first, then the
    // explicit ones; 0 means "leave as is", as there.
    drop.apply();
    ipcserver::clamp(&mut o);
    ipcserver::serve(&o, rest.skip(1))
}

fn drop_lock(fd: rustix::fd::OwnedFd) {
    std::mem::drop(fd);
}
