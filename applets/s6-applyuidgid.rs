//! s6-applyuidgid: set uid, gid and supplementary groups, then exec prog.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt, parse_decimal};
use s6box::creds::{self, Target};
use s6box::{exec, exitcode, msg};

const USAGE: &str = "s6-applyuidgid [ -z ] [ -u uid ] [ -g gid ] [ -G gidlist ] [ -U ] prog...";

/// The value of an environment variable for `-U`: set, else `NAME not set`.
fn var(name: &str) -> std::ffi::OsString {
    std::env::var_os(name)
        .unwrap_or_else(|| msg::fatal(exitcode::USAGE, &[name.as_bytes(), b" not set"]))
}

fn invalid(name: &str) -> ! {
    msg::fatal(exitcode::USAGE, &[b"invalid $", name.as_bytes()])
}

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
                uid = parse_decimal(&var("UID")).unwrap_or_else(|| invalid("UID"));
                gid = parse_decimal(&var("GID")).unwrap_or_else(|| invalid("GID"));
                let list = var("GIDLIST");
                groups = Some(
                    creds::parse_gidlist(list.as_bytes()).unwrap_or_else(|| invalid("GIDLIST")),
                );
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
