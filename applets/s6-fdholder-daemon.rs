//! s6-fdholder-daemon: binds the socket as s6-ipcserver-socketbinder,
//! drops privileges as s6-applyuidgid, then is s6-fdholderd, all in this
//! process (no program looked up in PATH): the supervisor's child is the
//! daemon.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::fdholder::daemon::{self, Options};
use s6box::{creds, ipcserver, msg};

const USAGE: &str = "s6-fdholder-daemon [ -v verbosity ] [ -d | -D ] [ -1 ] [ -c maxconn ] [ -n maxfds ] [ -b backlog ] [ -G gid,gid,... ] [ -g gid ] [ -u uid ] [ -U ] [ -t timeout ] [ -T lameducktimeout ] [ -i rulesdir | -x rulesfile ] path";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut opts = Options::new();
    let mut b = ipcserver::Bind::default();
    let mut drop = creds::DropOptions::default();
    while let Some(o) = cli.opt() {
        if opts.option(&mut cli, &o) {
            continue;
        }
        match o {
            Opt::Short('d') => b.replace = true,
            Opt::Short('D') => b.replace = false,
            Opt::Short('b') => b.backlog = cli.number(),
            Opt::Short(c) if drop.option(&mut cli, c) => {}
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.is_empty() {
        cli.usage();
    }
    opts.check_rules();
    b.path = rest.get(0).to_bytes();
    // s6-ipcserver-socketbinder's part; its lock ends with it.
    std::mem::drop(ipcserver::bind_stdin(&b));
    drop.apply();
    // From here on, s6-fdholderd speaks.
    msg::set_prog("s6-fdholderd");
    daemon::run(opts)
}
