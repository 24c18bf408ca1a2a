//! The command-line side shared by the instance programs: the checks of
//! the service and instance operands (s6-instance-create, -delete), and
//! s6-instance-control's and s6-instance-status's hand-over to s6box's
//! own s6-svc or s6-svstat run on the instance.

use s6box::argv::{Argv, OwnedArgv};
use s6box::supervision::instance;
use s6box::{exitcode, msg};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// `operands(cli)`: the `service instancename` operands after the
/// options, or usage death (`invalid service path`, `invalid instance
/// name`, exit 100).
pub fn operands(cli: &mut s6box::cli::Cli) -> (&'static std::ffi::OsStr, &'static [u8]) {
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let (svc, name) = (rest.os(0), rest.get(1).to_bytes());
    if svc.is_empty() {
        msg::fatal(exitcode::USAGE, &[b"invalid service path"]);
    }
    if !instance::valid_name(name) {
        msg::fatal(exitcode::USAGE, &[b"invalid instance name"]);
    }
    (svc, name)
}

/// `forward(argv, rest, applet)`: checks the two operands in `rest`,
/// then becomes `applet` with the options given (`argv` up to `rest`,
/// verbatim) and `SERVICE/instance/NAME`: this binary exec'd under that
/// name (its messages are that applet's), or called in-process if the
/// binary cannot be found again.
pub fn forward(argv: Argv, rest: Argv, applet: &'static str, usage: &str) -> i32 {
    if rest.len() < 2 {
        msg::usage(usage);
    }
    let (svc, name) = (rest.get(0).to_bytes(), rest.get(1).to_bytes());
    if svc.is_empty() {
        msg::fatal(exitcode::USAGE, &[b"invalid service name"]);
    }
    if !instance::valid_name(name) {
        msg::fatal(exitcode::USAGE, &[b"invalid instance name"]);
    }
    let nopts = argv.len() - rest.len();
    let mut args: Vec<OsString> = vec![applet.into()];
    args.extend((1..nopts).map(|i| argv.os(i).to_owned()));
    let mut at = svc.to_vec();
    if !at.ends_with(b"/") {
        at.push(b'/');
    }
    at.extend_from_slice(b"instance/");
    at.extend_from_slice(name);
    args.push(OsString::from_vec(at));
    let owned = OwnedArgv::new(&args);
    let _ = s6box::exec::try_exec_file(c"/proc/self/exe", owned.argv());
    match super::find(applet.as_bytes()) {
        Some((_, entry)) => entry(owned.argv()),
        None => msg::fatal(exitcode::SYS, &[b"unable to find ", applet.as_bytes()]),
    }
}
