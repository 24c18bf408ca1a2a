//! s6-applyuidgid: set uid, gid and supplementary groups, then exec prog.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::creds::{self, Target};
use s6box::exec;

const USAGE: &str = "s6-applyuidgid [ -z ] [ -u uid ] [ -g gid ] [ -G gidlist ] [ -U ] prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    use std::os::unix::ffi::OsStrExt;
    let mut cli = Cli::new(argv, USAGE);
    let (mut uid, mut gid, mut groups, mut unexport) = (0u32, 0u32, None, false);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('z') => unexport = true,
            Opt::Short('u') => uid = cli.number(),
            Opt::Short('g') => gid = cli.number(),
            Opt::Short('G') => {
                let v = cli.value();
                groups = Some(creds::parse_gidlist(v.as_bytes()).unwrap_or_else(|| cli.usage()));
            }
            Opt::Short('U') => {
                let (u, g, list) = creds::from_env();
                (uid, gid, groups) = (u, g, Some(list));
            }
            _ => cli.usage(),
        }
    }
    let prog = cli.rest();
    if prog.is_empty() {
        cli.usage();
    }
    let target = Target { uid: (uid != 0).then_some(uid), gid: (gid != 0).then_some(gid), groups };
    creds::become_or_die(&target, unexport);
    exec::exec(prog)
}
