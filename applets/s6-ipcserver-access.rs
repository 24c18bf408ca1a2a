//! s6-ipcserver-access: between s6-ipcserverd and the service, allows or
//! refuses the client by its uid and gid (`${PROTO}REMOTEEUID`,
//! `${PROTO}REMOTEEGID`) against a rules directory (`-i`) or a rules cdb
//! (`-x`), then sets the UCSPI local variable, applies the rule's
//! environment and execs prog (or the rule's `exec` through execlineb).

use s6box::accessrules::{self, Verdict};
use s6box::argv::{Argv, OwnedArgv};
use s6box::cli::{Cli, Opt, parse_decimal};
use s6box::{cdb, env, exec, exitcode, fmt, msg, socket};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-ipcserver-access [ -v verbosity ] [ -e | -E ] [ -l localname ] [ -i rulesdir | -x rulesfile ] prog...";

/// Where the rules are.
enum Rules {
    None,
    Dir(OsString),
    Cdb(OsString),
}

/// `id(proto, suffix)`: `${PROTO}SUFFIX` as a uid or gid, or death (100).
fn id(proto: &[u8], suffix: &[u8]) -> u32 {
    let (name, value) = s6box::ipcserver::proto_var(proto, suffix);
    match value {
        None => msg::fatal(exitcode::USAGE, &[&name, b" not set"]),
        Some(v) => parse_decimal::<u32>(&v)
            .unwrap_or_else(|| msg::fatal(exitcode::USAGE, &[b"invalid $", &name])),
    }
}

/// `info(what, uid, gid)`: `info: WHAT pid PID uid UID gid GID` and what
/// follows, on stderr.
fn info_line(what: &[u8], uid: u32, gid: u32, tail: &[u8]) {
    let mut line = Vec::with_capacity(96);
    line.extend_from_slice(msg::prog().as_bytes());
    line.extend_from_slice(b": info: ");
    line.extend_from_slice(what);
    line.extend_from_slice(b" pid ");
    fmt::push_dec(&mut line, i64::from(rustix::process::getpid().as_raw_nonzero().get()));
    line.extend_from_slice(b" uid ");
    fmt::push_dec(&mut line, i64::from(uid));
    line.extend_from_slice(b" gid ");
    fmt::push_dec(&mut line, i64::from(gid));
    line.extend_from_slice(tail);
    line.push(b'\n');
    msg::write_all(msg::fd(2), &line);
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut verbosity: u32 = 1;
    let mut ucspi = true;
    let mut local: Option<OsString> = None;
    let mut rules = Rules::None;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('v') => verbosity = cli.number(),
            Opt::Short('e') => ucspi = true,
            Opt::Short('E') => ucspi = false,
            Opt::Short('l') => local = Some(cli.value()),
            Opt::Short('i') => rules = Rules::Dir(cli.value()),
            Opt::Short('x') => rules = Rules::Cdb(cli.value()),
            _ => cli.usage(),
        }
    }
    let prog = cli.rest();
    if prog.is_empty() {
        cli.usage();
    }
    let Some(proto) = std::env::var_os("PROTO") else {
        msg::fatal(exitcode::USAGE, &[b"PROTO not set"])
    };
    let proto = proto.as_bytes();
    let uid = id(proto, b"REMOTEEUID");
    let gid = id(proto, b"REMOTEEGID");

    let verdict = match &rules {
        Rules::None => {
            if verbosity >= 2 {
                msg::warn(&[b"invoked without a ruleset!"]);
            }
            Verdict::Allow(Default::default())
        }
        Rules::Dir(dir) => accessrules::check_dir(dir.as_bytes(), uid, gid).unwrap_or_else(|e| {
            msg::fatal_sys(exitcode::SYS, &[b"check fs ruleset in ", dir.as_bytes()], e)
        }),
        Rules::Cdb(file) => {
            let path = CString::new(file.as_bytes()).unwrap_or_default();
            let db = cdb::File::open(&path).unwrap_or_else(|e| {
                msg::fatal_sys(exitcode::SYS, &[b"cdb_init ", file.as_bytes()], e)
            });
            accessrules::check_cdb(&db, uid, gid).unwrap_or_else(|e| {
                msg::fatal_sys(exitcode::SYS, &[b"check cdb ruleset in ", file.as_bytes()], e)
            })
        }
    };
    let rule = match verdict {
        Verdict::Allow(rule) => rule,
        denied => {
            if verbosity >= 2 {
                let reason = if denied == Verdict::Deny {
                    rustix::io::Errno::ACCESS
                } else {
                    rustix::io::Errno::NOENT
                };
                info_line(b"deny", uid, gid, &[b": ".as_slice(), &msg::strerror(reason)].concat());
            }
            return exitcode::FAIL;
        }
    };
    if verbosity >= 1 {
        info_line(b"allow", uid, gid, b"");
    }

    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut values: Vec<Option<Vec<u8>>> = Vec::new();
    if ucspi {
        let path = match local {
            Some(l) => l.as_bytes().to_vec(),
            None => socket::local_path(msg::fd(0))
                .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"ipc_local"], e)),
        };
        names.push([proto, b"LOCALPATH"].concat());
        values.push(Some(path));
    } else {
        names.push(b"PROTO".to_vec());
        values.push(None);
        for suffix in s6box::ipcserver::REMOTE_VARS {
            names.push([proto, suffix].concat());
            values.push(None);
        }
    }
    for (name, value) in rule.env {
        names.push(name);
        values.push(value);
    }
    let changes: Vec<(&[u8], Option<&[u8]>)> =
        names.iter().zip(&values).map(|(n, v)| (n.as_slice(), v.as_deref())).collect();
    env::apply(&changes);

    if rule.exec.is_empty() {
        exec::exec(prog)
    }
    // The command line is a C string: it ends at its first NUL, as in s6.
    let line = rule.exec.split(|&c| c == 0).next().unwrap_or_default();
    let argv = OwnedArgv::new([OsStr::new("execlineb"), OsStr::new("-Pc"), OsStr::from_bytes(line)]);
    exec::exec(argv.argv())
}
