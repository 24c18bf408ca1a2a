//! Signal names as s6 prints and reads them: `SIGTERM` out, `SIGTERM`,
//! `TERM`, `term` or `15` in. A number with no name prints as `SIG???`,
//! as s6 does.

/// Signals with a name, in number order of Linux (the numbers come from
/// the C library of the target).
static NAMES: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("CHLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("SYS", libc::SIGSYS),
];

/// The names of the signals only some systems have (Linux on MIPS has
/// SIGEMT where the other architectures have SIGSTKFLT).
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6"
    ))
))]
static PLATFORM: &[(&str, i32)] = &[("STKFLT", libc::SIGSTKFLT), ("PWR", libc::SIGPWR)];
/// The names of the signals only some systems have (Linux on MIPS has
/// SIGEMT where the other architectures have SIGSTKFLT).
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6"
    )
))]
static PLATFORM: &[(&str, i32)] = &[("EMT", libc::SIGEMT), ("PWR", libc::SIGPWR)];
linux_like! { else
    /// The names of the signals only some systems have.
    static PLATFORM: &[(&str, i32)] = &[("EMT", libc::SIGEMT), ("INFO", libc::SIGINFO)];
}

/// Other names accepted on input.
static ALIASES: &[(&str, i32)] =
    &[("IOT", libc::SIGABRT), ("CLD", libc::SIGCHLD), ("POLL", libc::SIGIO)];

/// `name(sig)`: the name without `SIG` (`TERM`), or `None`.
pub fn name(sig: i32) -> Option<&'static str> {
    NAMES.iter().chain(PLATFORM).find(|&&(_, n)| n == sig).map(|&(s, _)| s)
}

/// `push_name(out, sig)`: appends `SIGTERM`, or `SIG???` for a number
/// with no name.
pub fn push_name(out: &mut Vec<u8>, sig: i32) {
    out.extend_from_slice(b"SIG");
    out.extend_from_slice(name(sig).unwrap_or("???").as_bytes());
}

/// `number(text)`: the signal `text` names: `SIGTERM`, `TERM` (any case),
/// or a decimal number from 1 to the highest signal.
pub fn number(text: &[u8]) -> Option<i32> {
    if !text.is_empty() && text.iter().all(u8::is_ascii_digit) {
        let n: i32 = std::str::from_utf8(text).ok()?.parse().ok()?;
        return (1..=max()).contains(&n).then_some(n);
    }
    let bare = match text {
        [b'S' | b's', b'I' | b'i', b'G' | b'g', rest @ ..] if !rest.is_empty() => rest,
        _ => text,
    };
    NAMES
        .iter()
        .chain(PLATFORM)
        .chain(ALIASES)
        .find(|(s, _)| s.as_bytes().eq_ignore_ascii_case(bare))
        .map(|&(_, n)| n)
}

/// `max()`: the highest signal number.
pub fn max() -> i32 {
    linux_like!(if {
        libc::SIGRTMAX()
    } else {
        libc::SIGSYS.max(libc::SIGUSR2).max(32)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        let mut out = Vec::new();
        push_name(&mut out, 15);
        push_name(&mut out, 40);
        assert_eq!(out, b"SIGTERMSIG???");
        for t in [&b"SIGTERM"[..], b"TERM", b"term", b"sigterm", b"15"] {
            assert_eq!(number(t), Some(libc::SIGTERM), "{t:?}");
        }
        assert_eq!(number(b"IOT"), Some(libc::SIGABRT));
        for t in [&b""[..], b"SIG", b"0", b"FOO", b"1x", b"99999999999"] {
            assert_eq!(number(t), None, "{t:?}");
        }
    }
}
