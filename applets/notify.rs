//! The command line shared by the sd_notify bridges
//! (s6-notify-socket-from-fd, s6-notify-fd-from-socket): short and long
//! options, s6's words for unknown ones, and the helper's fork.

use s6box::argv::Argv;
use s6box::cli::{self, Cli, Opt};
use s6box::{exitcode, msg};

/// The options both bridges take.
pub struct Options {
    pub fd: Option<i32>,
    pub timeout: u32,
    pub doublefork: bool,
    pub keep_env: bool,
    pub prog: Argv,
}

/// `parse(argv, usage, fd_letter, keep_env)`: the options; `fd_letter`
/// is `d` or `3`; `-k` only where `keep_env` is allowed.
pub fn parse(argv: Argv, usage: &'static str, fd_letter: char, keep_env: bool) -> Options {
    let mut cli = Cli::new(argv, usage);
    let mut o = Options { fd: None, timeout: 0, doublefork: true, keep_env: false, prog: argv };
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short(c) if c == fd_letter => o.fd = Some(value(&mut cli, "notification-fd")),
            Opt::Long(l) if l == "notification-fd" => {
                o.fd = Some(value(&mut cli, "notification-fd"))
            }
            Opt::Short('t') => o.timeout = value(&mut cli, "timeout"),
            Opt::Long(l) if l == "timeout" => o.timeout = value(&mut cli, "timeout"),
            Opt::Short('f') => o.doublefork = false,
            Opt::Long(l) if l == "no-doublefork" => o.doublefork = false,
            Opt::Long(l) if l == "doublefork" => o.doublefork = true,
            Opt::Short('k') if keep_env => o.keep_env = true,
            Opt::Long(l) if keep_env && l == "keep-environment" => o.keep_env = true,
            Opt::Short(c) => cli.unrecognized(c),
            Opt::Long(l) => {
                msg::fatal(exitcode::USAGE, &[b"unrecognized boolean option: --", l.as_bytes()])
            }
        }
    }
    o.prog = cli.rest();
    if o.prog.is_empty() {
        cli.usage();
    }
    o
}

/// `value(cli, what)`: a non-empty unsigned value (`WHAT must be an
/// unsigned integer`).
fn value<T: std::str::FromStr>(cli: &mut Cli, what: &str) -> T {
    let v = cli.value();
    if v.is_empty() {
        cli.usage();
    }
    cli::unsigned_of(&v, what)
}

/// `fork_helper(doublefork)`: `true` in the helper process: a grandchild
/// (double fork: the caller reaps the intermediate child) or a direct
/// child of the caller (which then execs the program). The helper's
/// stdin and stdout are /dev/null: it holds no pipe of the program's.
pub fn fork_helper(doublefork: bool) -> bool {
    let fail = |e| msg::fatal_sys(exitcode::SYS, &[b"fork"], e);
    let helper = || {
        use rustix::fs::{Mode, OFlags, open};
        for (n, flags) in [(0, OFlags::RDONLY), (1, OFlags::WRONLY)] {
            if let Ok(null) = open("/dev/null", flags | OFlags::CLOEXEC, Mode::empty()) {
                let _ = s6box::fd::copy_to(rustix::fd::AsFd::as_fd(&null), n);
            }
        }
        true
    };
    match s6box::exec::fork().unwrap_or_else(fail) {
        None if !doublefork => helper(),
        None => match s6box::exec::fork() {
            Ok(None) => helper(),
            _ => msg::exit(0),
        },
        Some(pid) => {
            if doublefork {
                let _ = s6box::exec::wait_pid(pid);
            }
            false
        }
    }
}
