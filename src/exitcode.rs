//! Exit codes shared by every applet, and the approximation of a child's
//! fate (execline's exitcodes page).

/// Success.
pub const OK: i32 = 0;
/// A condition the applet reports as plain failure (unknown user, lock busy).
pub const FAIL: i32 = 1;
/// s6-fghack: the program wrote on the hack pipe.
pub const WROTE: i32 = 102;
/// Bad usage.
pub const USAGE: i32 = 100;
/// s6-background-watch: the pidfile is missing or does not name our daemon.
pub const BADPID: i32 = 104;
/// A system call failed.
pub const SYS: i32 = 111;
/// The platform lacks what the applet needs.
pub const NOSYS: i32 = 112;
/// The program was found but could not be executed.
pub const EXEC_FAILED: i32 = 126;
/// The program was not found.
pub const NOT_FOUND: i32 = 127;
/// Base of "killed by signal n" (128 + n), and the code for exits >= 128.
pub const SIGNALED: i32 = 128;

/// `approximate(status)`: the exit code that reports a raw wait status:
/// 128+n if killed by signal n, 128 for an exit code >= 128, else the code.
pub fn approximate(status: i32) -> i32 {
    if libc::WIFSIGNALED(status) {
        SIGNALED + libc::WTERMSIG(status)
    } else if libc::WIFEXITED(status) {
        let code = libc::WEXITSTATUS(status);
        if code >= SIGNALED { SIGNALED } else { code }
    } else {
        // Stopped or continued: not an end; reported as a failure if asked.
        SIGNALED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_code() {
        for code in 0..=255 {
            let want = if code >= 128 { 128 } else { code };
            assert_eq!(approximate(code << 8), want, "exit {code}");
        }
    }

    #[test]
    fn every_signal() {
        for sig in 1..=64 {
            assert_eq!(approximate(sig), 128 + sig, "signal {sig}");
            // The same with the core-dump bit.
            assert_eq!(approximate(sig | 0x80), 128 + sig, "signal {sig} + core");
        }
    }
}
