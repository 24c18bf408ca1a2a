//! s6-ipcserver-socketbinder: a bound, listening Unix socket on
//! descriptor 0, then exec prog.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::{exec, ipcserver};

const USAGE: &str = "s6-ipcserver-socketbinder [ -d | -D ] [ -b backlog ] [ -M | -m ] [ -a perms ] [ -B ] path prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    use std::os::unix::ffi::OsStrExt;
    let mut cli = Cli::new(argv, USAGE);
    let mut b = ipcserver::Bind::default();
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('d') => b.replace = true,
            Opt::Short('D') => b.replace = false,
            Opt::Short('b') => b.backlog = cli.number(),
            Opt::Short('M') => b.dgram = false,
            Opt::Short('m') => b.dgram = true,
            Opt::Short('a') => {
                let v = cli.value();
                b.perms = ipcserver::parse_perms(v.as_bytes()).unwrap_or_else(|| cli.usage());
            }
            Opt::Short('B') => b.blocking = true,
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    b.path = rest.get(0).to_bytes();
    let lock = ipcserver::bind_stdin(&b);
    // The lock is released when its descriptor closes, at the exec.
    let _keep = lock;
    exec::exec(rest.skip(1))
}
