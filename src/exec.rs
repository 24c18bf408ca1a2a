//! Running `prog...`: exec with a PATH search (127 when not found, 126 for
//! any other failure), and spawn, for the applets that run a child. Both
//! hand the program the signal mask and dispositions the applet started
//! with (see `sig`), and add no descriptor.

use crate::argv::Argv;
use crate::exitcode;
use crate::msg;
use crate::sig;
use rustix::io::Errno;
use std::ffi::CStr;
use std::os::unix::ffi::OsStrExt;

/// PATH when the environment has none, as skalibs does.
const DEFAULT_PATH: &[u8] = b"/usr/bin:/bin";

/// `exec(argv)`: restores the inherited signal state and execs `argv`;
/// on failure dies with `unable to exec PROG: REASON`, 127 or 126.
pub fn exec(argv: Argv) -> ! {
    sig::restore();
    let e = try_exec(argv);
    msg::fatal_sys(fail_code(e), &[b"exec ", argv.get(0).to_bytes()], e)
}

/// `fail_code(e)`: 127 if `e` means "not found", else 126.
pub fn fail_code(e: Errno) -> i32 {
    if e == Errno::NOENT { exitcode::NOT_FOUND } else { exitcode::EXEC_FAILED }
}

/// `try_exec(argv)`: execs `argv[0]` (searched in PATH when it has no `/`)
/// with the current environment; returns only with the error.
pub fn try_exec(argv: Argv) -> Errno {
    if argv.is_empty() {
        return Errno::NOENT;
    }
    let name = argv.get(0);
    if name.to_bytes().contains(&b'/') {
        return execv(name, argv);
    }
    if name.to_bytes().is_empty() {
        return Errno::NOENT;
    }
    let path = std::env::var_os("PATH");
    let path = path.as_ref().map(|p| p.as_bytes()).unwrap_or(DEFAULT_PATH);
    let mut saved = Errno::NOENT;
    let mut buf = Vec::with_capacity(256);
    // An empty entry is skipped, as s6 does, not read as the current
    // directory: a stray colon must not run programs from the cwd.
    for dir in path.split(|&c| c == b':').filter(|d| !d.is_empty()) {
        buf.clear();
        buf.extend_from_slice(dir);
        buf.push(b'/');
        buf.extend_from_slice(name.to_bytes());
        buf.push(0);
        let Ok(file) = CStr::from_bytes_with_nul(&buf) else { continue };
        match execv(file, argv) {
            Errno::NOENT | Errno::NOTDIR | Errno::STALE | Errno::NODEV | Errno::TIMEDOUT => {}
            Errno::ACCESS => saved = Errno::ACCESS,
            e => return e,
        }
    }
    saved
}

/// `try_exec_file(file, argv)`: execs the program at `file` (no PATH
/// search; `argv[0]` is only the name it sees); returns only with the
/// error.
pub fn try_exec_file(file: &CStr, argv: Argv) -> Errno {
    execv(file, argv)
}

fn execv(file: &CStr, argv: Argv) -> Errno {
    // SAFETY: file is NUL-terminated; argv.as_ptr() is a null-terminated
    // array of NUL-terminated strings (Argv's invariant). execv only returns
    // on failure, leaving errno set.
    unsafe { libc::execv(file.as_ptr(), argv.as_ptr()) };
    crate::msg::errno()
}

/// `spawn(argv)`: forks a child that execs `argv` with the inherited signal
/// state; returns its pid once the exec succeeded, or the exec error (the
/// failed child is already reaped).
pub fn spawn(argv: Argv) -> Result<rustix::process::Pid, Errno> {
    spawn_with(argv, false, |_| Ok(()))
}

/// The child's side of `spawn_with`, handed to its set-up closure.
pub struct Child {
    report: Option<rustix::fd::OwnedFd>,
}

impl Child {
    /// `detach()`: lets the parent go on now, as if the exec had succeeded
    /// (before a set-up step that may block, such as waiting for a lock).
    /// A later failure is the child's own: it prints
    /// `unable to exec PROG: REASON` and exits 127 or 126.
    pub fn detach(&mut self) {
        self.report = None;
    }

    /// `keep_clear(n)`: moves the child's report descriptor off number `n`,
    /// before the set-up puts a descriptor for the program there.
    pub fn keep_clear(&mut self, n: i32) -> Result<(), Errno> {
        use rustix::fd::AsRawFd;
        if let Some(fd) = &self.report
            && fd.as_raw_fd() == n
        {
            // Far above the usual targets, so that moving it for one
            // target never lands it on another.
            let moved = rustix::io::fcntl_dupfd_cloexec(fd, n.max(99) + 1)?;
            self.report = Some(moved);
        }
        Ok(())
    }

    /// `place(fds)`: `fd::place_all(fds)`, the child's report descriptor
    /// first moved off every target number.
    pub fn place(&mut self, fds: &[(rustix::fd::BorrowedFd, i32)]) -> Result<(), Errno> {
        for &(_, n) in fds {
            self.keep_clear(n)?;
        }
        crate::fd::place_all(fds)
    }
}

/// `spawn_with(argv, newpidns, setup)`: as `spawn`, but the child runs
/// `setup` after restoring the signal state and before the exec (an error
/// from it comes back to the parent like an exec error). With `newpidns`
/// (Linux), the child starts in a new PID namespace, as its pid 1.
pub fn spawn_with(
    argv: Argv,
    newpidns: bool,
    setup: impl FnOnce(&mut Child) -> Result<(), Errno>,
) -> Result<rustix::process::Pid, Errno> {
    let (rd, wr) = crate::fd::pipe_cloexec()?;
    let pid = fork_ns(newpidns);
    if pid < 0 {
        return Err(crate::msg::errno());
    }
    if pid == 0 {
        drop(rd);
        sig::restore();
        let mut child = Child { report: Some(wr) };
        let e = match setup(&mut child) {
            Ok(()) => try_exec(argv),
            Err(e) => e,
        };
        match child.report {
            Some(wr) => msg::write_all(&wr, &e.raw_os_error().to_ne_bytes()),
            None => msg::warn_sys(&[b"exec ", argv.get(0).to_bytes()], e),
        }
        // SAFETY: _exit ends the child at once, without running the parent's
        // exit handlers or flushing its copied buffers.
        unsafe { libc::_exit(fail_code(e)) }
    }
    drop(wr);
    let mut buf = [0u8; 4];
    let got = crate::io::read_full(&rd, &mut buf)?;
    let child = rustix::process::Pid::from_raw(pid).ok_or(Errno::INVAL)?;
    if got == 4 {
        let _ = wait_pid(child);
        return Err(Errno::from_raw_os_error(i32::from_ne_bytes(buf)));
    }
    Ok(child)
}

/// `fork_ns(newpidns)`: fork(2), or on Linux with `newpidns` a clone(2) whose
/// child is pid 1 of a new PID namespace.
fn fork_ns(newpidns: bool) -> i32 {
    linux_like!(if {
        if newpidns {
            // SAFETY: a clone with only CLONE_NEWPID and the exit signal, no new
            // stack, behaves as fork(2) (the child continues on a copy of this
            // stack). s6box is single-threaded, so no lock is held across it,
            // and the child only restores signals, sets up and execs.
            return unsafe {
                libc::syscall(
                    libc::SYS_clone,
                    (libc::CLONE_NEWPID | libc::SIGCHLD) as libc::c_ulong,
                    0usize,
                    0usize,
                    0usize,
                    0usize,
                )
            } as i32;
        }
    } else {});
    let _ = newpidns;
    // SAFETY: s6box is single-threaded, so the child may run any code; it
    // only restores signal state, sets up, execs, and _exits on failure.
    unsafe { libc::fork() }
}

/// `spawn_in(argv, dir, fds)`: as `spawn`, but the child first changes
/// to the directory open on `dir` and makes each `(fd, n)` of `fds` its
/// descriptor `n` (not close-on-exec); the rest of its descriptors are as
/// `spawn` leaves them. For programs that work on files of a directory
/// (s6-log's processors).
pub fn spawn_in(
    argv: Argv,
    dir: rustix::fd::BorrowedFd,
    fds: &[(rustix::fd::BorrowedFd, i32)],
) -> Result<rustix::process::Pid, Errno> {
    spawn_with(argv, false, |child| {
        rustix::process::fchdir(dir)?;
        child.place(fds)
    })
}

/// `fork()`: a plain fork: `Ok(None)` in the child, `Ok(Some(pid))` in
/// the parent. The child keeps the parent's signal state (s6box is
/// single-threaded, so it may run any code).
pub fn fork() -> Result<Option<rustix::process::Pid>, Errno> {
    let pid = fork_ns(false);
    if pid < 0 {
        return Err(crate::msg::errno());
    }
    Ok(rustix::process::Pid::from_raw(pid))
}

/// `wait_pid(pid)`: blocks until `pid` ends and returns its raw wait status.
pub fn wait_pid(pid: rustix::process::Pid) -> Result<i32, Errno> {
    loop {
        match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()) {
            Ok(Some((_, status))) => return Ok(status.as_raw()),
            Ok(None) => {}
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::OwnedArgv;

    #[test]
    fn spawn_reports_exec_errors_and_runs_programs() {
        let ok = OwnedArgv::new(["sh", "-c", "exit 7"]);
        let pid = spawn(ok.argv()).expect("spawn sh");
        assert_eq!(exitcode::approximate(wait_pid(pid).unwrap()), 7);
        let missing = OwnedArgv::new(["s6box-no-such-program"]);
        assert_eq!(spawn(missing.argv()).err(), Some(Errno::NOENT));
        let denied = OwnedArgv::new(["/etc/passwd"]);
        assert_eq!(spawn(denied.argv()).err(), Some(Errno::ACCESS));
        assert_eq!(fail_code(Errno::NOENT), 127);
        assert_eq!(fail_code(Errno::ACCESS), 126);
    }
}
