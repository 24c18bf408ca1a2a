//! s6-softlimit: change resource limits, then exec prog. The whole command
//! line is checked before any limit is touched.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt, parse_decimal};
use s6box::{exec, exitcode, msg};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

const USAGE: &str = "s6-softlimit [ -H | -h ] [ -a allmem ] [ -c core ] [ -d data ] [ -f fsize ] [ -l lock ] [ -m mem ] [ -o ofiles ] [ -P prio ] [ -p proc ] [ -r res ] [ -s stack ] [ -t cpusecs ] prog...";

/// Which limits an option sets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// The soft limit, clamped to the hard limit (default).
    Soft,
    /// `-h`: the hard limit; the soft limit is lowered to it if above.
    Hard,
    /// `-H`: both.
    Both,
}

/// A limit asked for: `=` or a number. `None` in a limit is "unlimited".
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Want {
    /// `=`: the hard limit (soft mode), unlimited (hard modes).
    Ceiling,
    Value(u64),
}

/// The address space limit, where the platform has one.
#[cfg(not(target_os = "openbsd"))]
const AS: Option<Resource> = Some(Resource::As);
#[cfg(target_os = "openbsd")]
const AS: Option<Resource> = None;

/// The resident set limit, where the platform has one.
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const RSS: Option<Resource> = Some(Resource::Rss);
#[cfg(any(target_os = "macos", target_os = "ios"))]
const RSS: Option<Resource> = None;

s6box::linux_like! {
    /// The real-time priority limit, where the platform has one.
    const RTPRIO: Option<Resource> = Some(Resource::Rtprio);
}
s6box::linux_like! { else
    const RTPRIO: Option<Resource> = None;
}

/// `resources(c)`: the resources option `-c` sets (`None`: not an option,
/// or, inside, a resource this platform lacks).
fn resources(c: char) -> Option<[Option<Resource>; 4]> {
    let one = |r: Option<Resource>| Some([r, None, None, None]);
    match c {
        'a' => one(AS),
        'c' => one(Some(Resource::Core)),
        'd' => one(Some(Resource::Data)),
        'f' => one(Some(Resource::Fsize)),
        'l' => one(Some(Resource::Memlock)),
        'm' => Some([Some(Resource::Data), Some(Resource::Stack), Some(Resource::Memlock), AS]),
        'o' => one(Some(Resource::Nofile)),
        'P' => one(RTPRIO),
        'p' => one(Some(Resource::Nproc)),
        'r' => one(RSS),
        's' => one(Some(Resource::Stack)),
        't' => one(Some(Resource::Cpu)),
        _ => None,
    }
}

/// `lower(a, b)`: the smaller of two limits, `None` being unlimited.
fn lower(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// `target(now, mode, want)`: the limits to set, from the current ones.
fn target(now: &Rlimit, mode: Mode, want: Want) -> Rlimit {
    let ceiling = match want {
        Want::Ceiling => None,
        Want::Value(n) => Some(n),
    };
    match mode {
        Mode::Soft => {
            let soft = match want {
                Want::Ceiling => now.maximum,
                Want::Value(n) => lower(Some(n), now.maximum),
            };
            Rlimit { current: soft, maximum: now.maximum }
        }
        Mode::Hard => Rlimit { current: lower(now.current, ceiling), maximum: ceiling },
        Mode::Both => Rlimit { current: ceiling, maximum: ceiling },
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    use std::os::unix::ffi::OsStrExt;
    let mut cli = Cli::new(argv, USAGE);
    let mut mode = Mode::Soft;
    let mut todo: Vec<(Resource, Mode, Want)> = Vec::new();
    while let Some(opt) = cli.opt() {
        let Opt::Short(c) = opt else { cli.usage() };
        match c {
            'H' => mode = Mode::Both,
            'h' => mode = Mode::Hard,
            _ => {
                let Some(list) = resources(c) else { cli.usage() };
                let v = cli.value();
                let want = if v.as_bytes() == b"=" {
                    Want::Ceiling
                } else {
                    Want::Value(parse_decimal(&v).unwrap_or_else(|| cli.usage()))
                };
                todo.extend(list.into_iter().flatten().map(|r| (r, mode, want)));
            }
        }
    }
    let prog = cli.rest();
    if prog.is_empty() {
        cli.usage();
    }
    for (res, mode, want) in todo {
        let new = target(&getrlimit(res), mode, want);
        if let Err(e) = setrlimit(res, new) {
            msg::fatal_sys(exitcode::SYS, &[b"setrlimit"], e);
        }
    }
    exec::exec(prog)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Rlimit = Rlimit { current: Some(10), maximum: Some(100) };

    #[test]
    fn soft_is_clamped() {
        assert_eq!(target(&NOW, Mode::Soft, Want::Value(50)).current, Some(50));
        assert_eq!(target(&NOW, Mode::Soft, Want::Value(500)).current, Some(100));
        assert_eq!(target(&NOW, Mode::Soft, Want::Ceiling).current, Some(100));
        assert_eq!(target(&NOW, Mode::Soft, Want::Value(500)).maximum, Some(100));
    }

    #[test]
    fn hard_lowers_soft() {
        let r = target(&NOW, Mode::Hard, Want::Value(5));
        assert_eq!((r.current, r.maximum), (Some(5), Some(5)));
        let r = target(&NOW, Mode::Hard, Want::Value(50));
        assert_eq!((r.current, r.maximum), (Some(10), Some(50)));
        let r = target(&NOW, Mode::Hard, Want::Ceiling);
        assert_eq!((r.current, r.maximum), (Some(10), None));
    }

    #[test]
    fn both() {
        let r = target(&NOW, Mode::Both, Want::Value(50));
        assert_eq!((r.current, r.maximum), (Some(50), Some(50)));
        let r = target(&NOW, Mode::Both, Want::Ceiling);
        assert_eq!((r.current, r.maximum), (None, None));
    }
}
