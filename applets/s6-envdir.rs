//! s6-envdir: set or unset environment variables from the files of a
//! directory, then exec prog. Every file is read first; the environment is
//! changed only once all of them were read, so prog never runs with half of
//! the changes.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::envdir::{self, Rules};
use s6box::{env, exec, exitcode, msg};
use rustix::io::Errno;
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-envdir [ -I | -i ] [ -n ] [ -f ] [ -L ] [ -c nullchar ] dir prog...";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut strict = true;
    let mut rules = Rules::PLAIN;
    let mut nul_ok = true;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('I') => strict = false,
            Opt::Short('i') => strict = true,
            Opt::Short('n') => rules.keep_tail = true,
            Opt::Short('f') => rules.verbatim = true,
            Opt::Short('L') => rules.unlimited = true,
            Opt::Short('c') => match cli.value().as_bytes().first() {
                Some(&c) => {
                    rules.nul = c;
                    nul_ok = true;
                }
                None => nul_ok = false,
            },
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let dir = rest.get(0);
    let die = |e: Errno| -> ! { msg::fatal_sys(exitcode::SYS, &[b"envdir ", dir.to_bytes()], e) };
    // An empty nullchar would put NULs in values, which no environment
    // variable can hold: refused as s6 does, before touching anything.
    if !nul_ok {
        die(Errno::INVAL);
    }
    match envdir::read(dir, &rules, strict) {
        Ok(list) => {
            // Names come from readdir (non-empty, no NUL) and have no `=`;
            // values hold no NUL (translated to a non-NUL byte). All at
            // once: one pass over the environment, whatever the number.
            let list: Vec<(&[u8], Option<&[u8]>)> =
                list.iter().map(|(n, v)| (n.as_bytes(), v.as_deref())).collect();
            env::apply(&list);
        }
        Err(e) => die(e),
    }
    exec::exec(rest.skip(1))
}

