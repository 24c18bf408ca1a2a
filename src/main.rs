//! The s6box executable: a C-ABI `main`, so that nothing of Rust's runtime
//! start-up (SIGPIPE set to ignored, standard descriptors reopened) runs
//! before an applet, and the dispatch on the exact basename of argv[0].
//! The applets live in `applets/`; the mechanisms they share are the
//! library (`src/lib.rs`).
#![cfg_attr(not(test), no_main)]

#[path = "../applets/mod.rs"]
mod applets;

use s6box::argv::Argv;
use s6box::{exitcode, msg};

#[global_allocator]
static ALLOC: s6box::alloc::BumpThenMalloc = s6box::alloc::BumpThenMalloc;

/// `main(argc, argv)`: hands the raw command line to the dispatcher.
///
/// # Safety
/// Called only by the C runtime, with the process's own argc and argv.
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: argc and argv come from the C runtime: argv holds argc valid
    // NUL-terminated strings followed by a null pointer, alive until exit.
    let args = unsafe { Argv::from_raw(argc, argv) };
    run(args)
}

fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&c| c == b'/').next().unwrap_or(path)
}

fn list() -> Vec<u8> {
    let mut out = Vec::new();
    for (name, _) in applets::APPLETS {
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
    match applets::find(name) {
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
    use applets::{APPLETS, find};

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
