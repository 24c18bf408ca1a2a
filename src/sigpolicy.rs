//! The signal policy of the long-running programs, in one place: which
//! signals each acts on, which it catches to no effect, and what every
//! other signal does. Each program catches every signal (`sig::catch_all`)
//! and asks its `Policy` what a signal read from the descriptor means.
//!
//! s6 2.15 blocks the signals a program handles and leaves the others at
//! their disposition: a signal whose default kills ends the program, a
//! stop signal stops it, one ignored at start-up stays ignored. The
//! policies below follow that (`Others::AsStartup`) unless the program's
//! page says "beyond s6". The same table is in doc/HACKING.md.

use crate::sig;

/// What a signal does to a program.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fate {
    /// The program acts on it (its own meaning).
    Handle,
    /// Passed on to the process the program stands for.
    Forward,
    /// Nothing happens.
    Nothing,
    /// The process stops until continued, as a stop signal's default.
    Stop,
    /// The process dies of it (`sig::die_by`), once it has cleaned up.
    Die,
}

/// What a program does with the signals it does not handle.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Others {
    /// As the disposition it was started with (`default_fate`), as s6.
    AsStartup,
    /// Caught and ignored.
    Ignore,
    /// Forwarded.
    Forward,
}

/// One program's policy.
#[derive(Debug)]
pub struct Policy {
    /// The signals it acts on (`set`).
    pub handles: u64,
    /// The signals caught to no effect (SIGPIPE, as s6 catches it: a write
    /// to a pipe with no reader fails with EPIPE instead).
    pub ignores: u64,
    /// Every other catchable signal.
    pub others: Others,
}

/// `set(sigs)`: a set of signals (1 to 64) as a bit mask, bit `n - 1` for
/// signal `n`.
pub const fn set(sigs: &[i32]) -> u64 {
    let mut m = 0;
    let mut i = 0;
    while i < sigs.len() {
        m |= 1 << (sigs[i] - 1);
        i += 1;
    }
    m
}

/// `has(set, sig)`: whether `sig` is in `set`.
fn has(set: u64, sig: i32) -> bool {
    (1..=64).contains(&sig) && set & (1 << (sig - 1)) != 0
}

impl Policy {
    /// `fate(sig)`: what `sig` does to the program.
    pub fn fate(&self, sig: i32) -> Fate {
        if has(self.handles, sig) {
            Fate::Handle
        } else if has(self.ignores, sig) {
            Fate::Nothing
        } else {
            match self.others {
                Others::AsStartup => default_fate(sig),
                Others::Ignore => Fate::Nothing,
                Others::Forward => Fate::Forward,
            }
        }
    }

    /// `filter(sig)`: `Some(sig)` if the program acts on `sig` (handles or
    /// forwards it); otherwise what the policy says is done here (nothing,
    /// a stop, or death: for a program with nothing to clean up first).
    #[inline(never)]
    pub fn filter(&self, sig: i32) -> Option<i32> {
        match self.fate(sig) {
            Fate::Handle | Fate::Forward => Some(sig),
            f => {
                suffer(f, sig);
                None
            }
        }
    }
}

/// `default_fate(sig)`: what `sig` would have done to the process, had it
/// not been caught: nothing if it was ignored at start-up (see
/// `sig::ignored`) or its default ignores it (CHLD, CONT, URG, WINCH),
/// a stop for TSTP, TTIN, TTOU, death for the rest.
pub fn default_fate(sig: i32) -> Fate {
    if sig::ignored(sig) {
        return Fate::Nothing;
    }
    match sig {
        libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => Fate::Stop,
        libc::SIGCHLD | libc::SIGCONT | libc::SIGURG | libc::SIGWINCH => Fate::Nothing,
        _ => Fate::Die,
    }
}

/// `suffer(fate, sig)`: carries out `Stop` (the process stops itself
/// until a SIGCONT) and `Die` (`sig::die_by(sig)`); nothing for the
/// other fates.
pub fn suffer(fate: Fate, sig: i32) {
    match fate {
        Fate::Stop => {
            let _ = crate::proc::kill(rustix::process::getpid(), libc::SIGSTOP);
        }
        Fate::Die => sig::die_by(sig),
        _ => {}
    }
}

/// s6-supervise: SIGCHLD (reap), SIGTERM (`-xd`), SIGHUP (`-x`), SIGQUIT
/// (exit now), SIGINT (to the service's group, then exit); SIGPIPE caught;
/// the rest as at start-up.
pub const SUPERVISE: Policy = Policy {
    handles: set(&[libc::SIGCHLD, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGINT]),
    ignores: set(&[libc::SIGPIPE]),
    others: Others::AsStartup,
};

/// s6-svscan: SIGCHLD, SIGALRM, SIGABRT, and the signals a
/// `.s6-svscan/SIGNAME` script may divert (SIGHUP, SIGINT, SIGTERM,
/// SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGPWR on Linux). Beyond s6: the
/// rest are caught and ignored (the root of the supervision tree does not
/// die of a stray signal).
pub const SVSCAN: Policy =
    Policy { handles: set(SVSCAN_HANDLES) | PWR, ignores: 0, others: Others::Ignore };

const SVSCAN_HANDLES: &[i32] = &[
    libc::SIGCHLD,
    libc::SIGALRM,
    libc::SIGABRT,
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];
/// SIGPWR, where there is one (`sig::SIGPWR`).
const PWR: u64 = match sig::SIGPWR {
    Some(s) => set(&[s]),
    None => 0,
};

/// s6-log: SIGTERM, SIGHUP (finish and exit; `-p`: SIGTERM does nothing),
/// SIGINT (beyond s6: as SIGTERM; s6 dies of it), SIGALRM (rotate),
/// SIGCHLD (a processor ended); SIGPIPE caught; the rest as at start-up.
pub const LOG: Policy = Policy {
    handles: set(&[libc::SIGCHLD, libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGALRM]),
    ignores: set(&[libc::SIGPIPE]),
    others: Others::AsStartup,
};

/// s6-background-watch: SIGCHLD (reap); every other signal is forwarded
/// to the parent, then to the daemon.
pub const BACKGROUND_WATCH: Policy =
    Policy { handles: set(&[libc::SIGCHLD]), ignores: 0, others: Others::Forward };

/// The waiting clients that spawn nothing (s6-svwait, s6-ftrig-wait; also
/// s6-svlink, s6-svunlink, s6-notifyoncheck, s6-sudod waiting for its
/// program): SIGCHLD (reap); the rest as
/// at start-up (a fatal one removes the listener fifos first).
pub const WAITER: Policy =
    Policy { handles: set(&[libc::SIGCHLD]), ignores: 0, others: Others::AsStartup };

/// The waiting clients that spawn a program or send commands (s6-svc -w,
/// s6-svlisten, s6-svlisten1, s6-ftrig-listen, s6-ftrig-listen1): as
/// `WAITER`, and SIGPIPE caught, as s6.
pub const LISTENER: Policy = Policy {
    handles: set(&[libc::SIGCHLD]),
    ignores: set(&[libc::SIGPIPE]),
    others: Others::AsStartup,
};

/// s6-ipcserverd (and s6-ipcserver): SIGCHLD (reap), SIGTERM (quit),
/// SIGHUP (TERM+CONT to every child), SIGQUIT (the same, then quit),
/// SIGABRT (KILL to every child, then quit); the rest as at start-up.
pub const IPCSERVERD: Policy = Policy {
    handles: set(&[libc::SIGCHLD, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGABRT]),
    ignores: 0,
    others: Others::AsStartup,
};

/// s6-fdholderd (and s6-fdholder-daemon): SIGTERM (quit, after `-T`),
/// SIGHUP (reload the rules); SIGCHLD and SIGPIPE caught to no effect; the
/// rest as at start-up.
pub const FDHOLDERD: Policy = Policy {
    handles: set(&[libc::SIGTERM, libc::SIGHUP]),
    ignores: set(&[libc::SIGPIPE, libc::SIGCHLD]),
    others: Others::AsStartup,
};

/// s6-socklog: SIGTERM (flush within the lame-duck time, then exit);
/// the rest as at start-up (a SIGPIPE it raised itself, writing to a
/// closed stdout, is dropped: the write fails instead).
pub const SOCKLOG: Policy =
    Policy { handles: set(&[libc::SIGTERM]), ignores: 0, others: Others::AsStartup };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fates() {
        assert_eq!(SUPERVISE.fate(libc::SIGTERM), Fate::Handle);
        assert_eq!(SUPERVISE.fate(libc::SIGPIPE), Fate::Nothing);
        assert_eq!(LOG.fate(libc::SIGUSR1), Fate::Die);
        assert_eq!(LOG.fate(libc::SIGTSTP), Fate::Stop);
        assert_eq!(LOG.fate(libc::SIGWINCH), Fate::Nothing);
        assert_eq!(SVSCAN.fate(libc::SIGUSR1), Fate::Handle);
        assert_eq!(SVSCAN.fate(libc::SIGVTALRM), Fate::Nothing);
        if let Some(pwr) = sig::SIGPWR {
            assert_eq!(SVSCAN.fate(pwr), Fate::Handle);
        }
        assert_eq!(SVSCAN.fate(65), Fate::Nothing);
        assert_eq!(BACKGROUND_WATCH.fate(libc::SIGUSR1), Fate::Forward);
        assert_eq!(WAITER.fate(libc::SIGUSR2), Fate::Die);
        assert_eq!(LISTENER.fate(libc::SIGPIPE), Fate::Nothing);
        assert_eq!(SOCKLOG.fate(libc::SIGTERM), Fate::Handle);
        assert_eq!(SOCKLOG.fate(libc::SIGUSR1), Fate::Die);
    }
}
