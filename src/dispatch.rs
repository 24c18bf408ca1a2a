//! The multicall table and dispatch on the exact basename of argv[0].

#[allow(unused_imports)] // an empty build (no applet feature) uses none
use crate::applets;
use crate::argv::Argv;
use crate::exitcode;
use crate::msg;

/// An applet's entry point: gets its own argv (argv[0] is its name),
/// returns the exit code (or never returns, having exec'd).
pub type Entry = fn(Argv) -> i32;

/// Every applet built in, sorted by name (a unit test checks it).
pub static APPLETS: &[(&str, Entry)] = &[
    #[cfg(feature = "s6-applyuidgid")]
    ("s6-applyuidgid", applets::s6_applyuidgid::main),
    #[cfg(feature = "s6-background-watch")]
    ("s6-background-watch", applets::s6_background_watch::main),
    #[cfg(feature = "s6-cleanfifodir")]
    ("s6-cleanfifodir", applets::s6_cleanfifodir::main),
    #[cfg(feature = "s6-envdir")]
    ("s6-envdir", applets::s6_envdir::main),
    #[cfg(feature = "s6-envuidgid")]
    ("s6-envuidgid", applets::s6_envuidgid::main),
    #[cfg(feature = "s6-fghack")]
    ("s6-fghack", applets::s6_fghack::main),
    #[cfg(feature = "s6-ftrig-listen")]
    ("s6-ftrig-listen", applets::s6_ftrig_listen::main),
    #[cfg(feature = "s6-ftrig-listen1")]
    ("s6-ftrig-listen1", applets::s6_ftrig_listen1::main),
    #[cfg(feature = "s6-ftrig-notify")]
    ("s6-ftrig-notify", applets::s6_ftrig_notify::main),
    #[cfg(feature = "s6-ftrig-wait")]
    ("s6-ftrig-wait", applets::s6_ftrig_wait::main),
    #[cfg(feature = "s6-log")]
    ("s6-log", applets::s6_log::main),
    #[cfg(feature = "s6-mkfifodir")]
    ("s6-mkfifodir", applets::s6_mkfifodir::main),
    #[cfg(feature = "s6-notifyoncheck")]
    ("s6-notifyoncheck", applets::s6_notifyoncheck::main),
    #[cfg(feature = "s6-permafailon")]
    ("s6-permafailon", applets::s6_permafailon::main),
    #[cfg(feature = "s6-setlock")]
    ("s6-setlock", applets::s6_setlock::main),
    #[cfg(feature = "s6-setsid")]
    ("s6-setsid", applets::s6_setsid::main),
    #[cfg(feature = "s6-setuidgid")]
    ("s6-setuidgid", applets::s6_setuidgid::main),
    #[cfg(feature = "s6-softlimit")]
    ("s6-softlimit", applets::s6_softlimit::main),
    #[cfg(feature = "s6-supervise")]
    ("s6-supervise", applets::s6_supervise::main),
    #[cfg(feature = "s6-svc")]
    ("s6-svc", applets::s6_svc::main),
    #[cfg(feature = "s6-svdt")]
    ("s6-svdt", applets::s6_svdt::main),
    #[cfg(feature = "s6-svdt-clear")]
    ("s6-svdt-clear", applets::s6_svdt_clear::main),
    #[cfg(feature = "s6-svlink")]
    ("s6-svlink", applets::s6_svlink::main),
    #[cfg(feature = "s6-svlisten")]
    ("s6-svlisten", applets::s6_svlisten::main),
    #[cfg(feature = "s6-svlisten1")]
    ("s6-svlisten1", applets::s6_svlisten1::main),
    #[cfg(feature = "s6-svok")]
    ("s6-svok", applets::s6_svok::main),
    #[cfg(feature = "s6-svperms")]
    ("s6-svperms", applets::s6_svperms::main),
    #[cfg(feature = "s6-svscan")]
    ("s6-svscan", applets::s6_svscan::main),
    #[cfg(feature = "s6-svscanctl")]
    ("s6-svscanctl", applets::s6_svscanctl::main),
    #[cfg(feature = "s6-svstat")]
    ("s6-svstat", applets::s6_svstat::main),
    #[cfg(feature = "s6-svunlink")]
    ("s6-svunlink", applets::s6_svunlink::main),
    #[cfg(feature = "s6-svwait")]
    ("s6-svwait", applets::s6_svwait::main),
    #[cfg(feature = "s6-tai64n")]
    ("s6-tai64n", applets::s6_tai64n::main),
    #[cfg(feature = "s6-tai64nlocal")]
    ("s6-tai64nlocal", applets::s6_tai64nlocal::main),
];

/// `find(name)`: the entry of the applet called exactly `name`.
pub fn find(name: &[u8]) -> Option<(&'static str, Entry)> {
    APPLETS.binary_search_by(|(n, _)| n.as_bytes().cmp(name)).ok().map(|i| APPLETS[i])
}

fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&c| c == b'/').next().unwrap_or(path)
}

fn list() -> Vec<u8> {
    let mut out = Vec::new();
    for (name, _) in APPLETS {
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    out
}

fn help() -> Vec<u8> {
    let mut out = b"usage: s6box APPLET [ args... ]\n   or: APPLET [ args... ]  (through a link named APPLET)\n   or: s6box --list\napplets:\n".to_vec();
    for line in list().split_inclusive(|&c| c == b'\n') {
        out.extend_from_slice(b"  ");
        out.extend_from_slice(line);
    }
    out
}

/// `run(argv)`: runs the applet that argv[0] (or, for `s6box`, argv[1])
/// names; returns the exit code.
pub fn run(argv: Argv) -> i32 {
    let mut argv = argv;
    if argv.is_empty() {
        msg::fatal(exitcode::USAGE, &[b"no argv[0]"]);
    }
    let mut name = basename(argv.get(0).to_bytes());
    if name == b"s6box" {
        if argv.len() < 2 {
            msg::write_all(msg::fd(2), &help());
            return exitcode::USAGE;
        }
        match argv.get(1).to_bytes() {
            b"--list" => {
                msg::write_all(msg::fd(1), &list());
                return exitcode::OK;
            }
            b"--help" => {
                msg::write_all(msg::fd(1), &help());
                return exitcode::OK;
            }
            _ => {}
        }
        argv = argv.skip(1);
        name = argv.get(0).to_bytes();
    }
    match find(name) {
        Some((prog, entry)) => {
            msg::set_prog(prog);
            entry(argv)
        }
        None => msg::fatal(exitcode::USAGE, &[b"unknown applet: ", name]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in APPLETS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} must come before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn lookup_is_exact() {
        for (name, _) in APPLETS {
            assert_eq!(find(name.as_bytes()).map(|a| a.0), Some(*name));
            let mut longer = name.as_bytes().to_vec();
            longer.push(b'x');
            assert!(find(&longer).is_none());
            // A shorter name finds nothing, or the applet of exactly that
            // name (s6-ftrig-listen beside s6-ftrig-listen1).
            // A shorter name finds only an applet of exactly that name
            // (s6-svlisten for s6-svlisten1).
            let shorter = &name.as_bytes()[..name.len() - 1];
            assert!(find(shorter).is_none_or(|a| a.0.as_bytes() == shorter));
        }
        assert!(find(b"s6box").is_none());
        assert!(find(b"").is_none());
    }

    #[test]
    fn basename_of_paths() {
        assert_eq!(basename(b"/usr/bin/s6-fghack"), b"s6-fghack");
        assert_eq!(basename(b"s6-fghack"), b"s6-fghack");
        assert_eq!(basename(b"dir/"), b"");
    }
}
