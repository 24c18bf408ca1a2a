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
    spawn_with(None, argv, &[])
}

/// `spawn_with(path, argv, fds)`: as `spawn`, but runs the program at
/// `path` when given (argv[0] is then only the name it sees; no PATH
/// search), and first makes, for each `(from, to)` in `fds`, descriptor
/// `to` a copy of `from` (not close-on-exec) in the child. `to` numbers
/// must not be used as a later `from`.
pub fn spawn_with(
    path: Option<&CStr>,
    argv: Argv,
    fds: &[(i32, i32)],
) -> Result<rustix::process::Pid, Errno> {
    let (rd, wr) = crate::fd::pipe_cloexec()?;
    // SAFETY: s6box is single-threaded, so the child may run any code; it
    // only restores signal state, moves descriptors, execs, and _exits on
    // failure.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(crate::msg::errno());
    }
    if pid == 0 {
        drop(rd);
        sig::restore();
        let mut e = None;
        for &(from, to) in fds {
            let r = if from == to {
                rustix::io::fcntl_setfd(crate::fd::borrow(from), rustix::io::FdFlags::empty())
            } else {
                crate::fd::copy_to(crate::fd::borrow(from), to)
            };
            if let Err(err) = r {
                e = Some(err);
                break;
            }
        }
        let e = match (e, path) {
            (Some(e), _) => e,
            (None, Some(p)) => execv(p, argv),
            (None, None) => try_exec(argv),
        };
        msg::write_all(&wr, &e.raw_os_error().to_ne_bytes());
        // SAFETY: _exit ends the child at once, without running the parent's
        // exit handlers or flushing its copied buffers.
        unsafe { libc::_exit(exitcode::NOT_FOUND) }
    }
    drop(wr);
    let mut buf = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match rustix::io::read(&rd, &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    let child = rustix::process::Pid::from_raw(pid).ok_or(Errno::INVAL)?;
    if got == 4 {
        let _ = wait_pid(child);
        return Err(Errno::from_raw_os_error(i32::from_ne_bytes(buf)));
    }
    Ok(child)
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
