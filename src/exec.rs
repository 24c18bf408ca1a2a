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
    match path_search(name, |file| Err(execv(file, argv))) {
        Ok(()) => Errno::NOENT,
        Err(e) => e,
    }
}

/// `path_search(name, run)`: calls `run` on each PATH candidate for `name`
/// (a name without `/`) until one succeeds or fails otherwise than "not
/// there"; else the error to report (EACCES if a candidate was refused,
/// else ENOENT).
fn path_search(name: &CStr, run: impl FnMut(&CStr) -> Result<(), Errno>) -> Result<(), Errno> {
    search(&candidates(name.to_bytes()), run)
}

/// `candidates(name)`: `dir/name` for each entry of PATH (or of the
/// default), each NUL-terminated, one after the other in one buffer. An
/// empty entry is skipped, as s6 does, not read as the current directory:
/// a stray colon must not run programs from the cwd.
fn candidates(name: &[u8]) -> Vec<u8> {
    let path = std::env::var_os("PATH");
    let path = path.as_ref().map_or(DEFAULT_PATH, |p| p.as_bytes());
    let mut buf = Vec::with_capacity(path.len() + 8 * (name.len() + 2));
    for dir in path.split(|&c| c == b':').filter(|d| !d.is_empty()) {
        buf.extend_from_slice(dir);
        buf.push(b'/');
        buf.extend_from_slice(name);
        buf.push(0);
    }
    buf
}

/// `search(candidates, run)`: `run` on each of `candidates` (as made by
/// `candidates`) until one succeeds or fails otherwise than "not there";
/// else the error to report. No allocation: the vfork child uses it.
fn search(candidates: &[u8], mut run: impl FnMut(&CStr) -> Result<(), Errno>) -> Result<(), Errno> {
    let mut saved = Errno::NOENT;
    for file in candidates.split_inclusive(|&c| c == 0) {
        let Ok(file) = CStr::from_bytes_with_nul(file) else { continue };
        match run(file) {
            Err(Errno::NOENT | Errno::NOTDIR | Errno::STALE | Errno::NODEV | Errno::TIMEDOUT) => {}
            Err(Errno::ACCESS) => saved = Errno::ACCESS,
            r => return r,
        }
    }
    Err(saved)
}

/// A program's environment as the C array `execve` takes: `NAME=value`
/// strings, each NUL-terminated, and the null-terminated pointer list.
#[derive(Default)]
pub struct Envp {
    strings: Vec<Vec<u8>>,
    // Only the vfork spawn (Linux-like) passes the array itself.
    #[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
    ptrs: Vec<*const libc::c_char>,
}

impl Envp {
    /// `current_without(names)`: the process's environment less the
    /// variables named in `names`.
    pub fn current_without(names: &[&[u8]]) -> Envp {
        let mut e = Envp::default();
        for (k, v) in std::env::vars_os() {
            if !names.contains(&k.as_bytes()) {
                e.push(k.as_bytes(), v.as_bytes());
            }
        }
        e
    }

    /// `push(name, value)`: adds `NAME=value` (no check for duplicates).
    pub fn push(&mut self, name: &[u8], value: &[u8]) {
        let mut s = Vec::with_capacity(name.len() + value.len() + 2);
        s.extend_from_slice(name);
        s.push(b'=');
        s.extend_from_slice(value);
        s.push(0);
        self.strings.push(s);
    }

    /// `truncate(n)`: keeps the first `n` variables (drops what was pushed
    /// since the environment had `n`).
    pub fn truncate(&mut self, n: usize) {
        self.strings.truncate(n);
    }

    /// `len()`: the number of variables.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// `is_empty()`: no variable at all.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// The null-terminated pointer array, valid until the next change.
    #[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
    fn as_ptr(&mut self) -> *const *const libc::c_char {
        self.ptrs.clear();
        self.ptrs.extend(self.strings.iter().map(|s| s.as_ptr().cast::<libc::c_char>()));
        self.ptrs.push(std::ptr::null());
        self.ptrs.as_ptr()
    }
}

/// `spawn_vfork(argv, envp, fds)`: starts `argv` (PATH searched as `exec`
/// does) without copying this process's address space, with environment
/// `envp`, each `(fd, n)` of `fds` put on descriptor `n` (a source must not
/// be one of the target numbers unless it is its own), the rest of the
/// descriptors and the start-up signal state inherited. Returns the pid,
/// or the exec error. Where the signal state cannot be reproduced that
/// way, or on systems without clone(2), forks instead.
pub fn spawn_vfork(
    argv: Argv,
    envp: &mut Envp,
    fds: &[(rustix::fd::BorrowedFd, i32)],
) -> Result<rustix::process::Pid, Errno> {
    spawn_vfork_file(None, argv, envp, fds)
}

/// `spawn_vfork_file(file, argv, envp, fds)`: as `spawn_vfork`, the
/// program being `file` when given (`argv[0]` only the name it sees), else
/// `argv[0]` searched in PATH.
pub fn spawn_vfork_file(
    file: Option<&CStr>,
    argv: Argv,
    envp: &mut Envp,
    fds: &[(rustix::fd::BorrowedFd, i32)],
) -> Result<rustix::process::Pid, Errno> {
    if argv.is_empty() {
        return Err(Errno::NOENT);
    }
    if sig::dispositions_untouched() {
        crate::linux_like!(if {
            return vfork::spawn(file, argv, envp, fds);
        } else {});
    }
    let vars: Vec<(Vec<u8>, Vec<u8>)> = envp
        .strings
        .iter()
        .filter_map(|s| {
            let s = &s[..s.len() - 1];
            let eq = s.iter().position(|&c| c == b'=')?;
            Some((s[..eq].to_vec(), s[eq + 1..].to_vec()))
        })
        .collect();
    spawn_with(argv, false, |child| {
        child.place(fds)?;
        for (k, _) in std::env::vars_os() {
            crate::env::unset(&k);
        }
        for (k, v) in &vars {
            crate::env::set(std::ffi::OsStr::from_bytes(k), std::ffi::OsStr::from_bytes(v));
        }
        match file {
            Some(f) => Err(execv(f, argv)),
            None => Ok(()),
        }
    })
}

crate::linux_like! {
    mod vfork {
        //! The vfork-style spawn: clone(2) with CLONE_VM and CLONE_VFORK, the
        //! child running on a stack lent by the parent (suspended until the
        //! child execs or exits). Everything the child needs is made ready
        //! by the parent; the child only makes system calls: no allocation,
        //! no lock, no signal handler (s6box installs none on Linux: signals
        //! are read from a signalfd), and it reports an exec failure through
        //! the shared memory, not a pipe.

        use super::{Argv, Envp, candidates, search};
        use crate::sig;
        use rustix::fd::AsRawFd;
        use rustix::io::Errno;
        use std::ffi::CStr;

        /// The child's stack: room for its frames, debug builds too.
        const STACK: usize = 16 * 1024;

        /// The stack lent to the child, in .bss rather than in the caller's
        /// frame: a frame that large would be probed page by page, and the
        /// whole of it would stay in the caller's memory; here only the
        /// page or two the child uses are ever touched.
        #[repr(C, align(16))]
        struct Stack(std::cell::UnsafeCell<[u8; STACK]>);
        // SAFETY: only used under LENT, by one spawn at a time.
        unsafe impl Sync for Stack {}
        static CHILD_STACK: Stack = Stack(std::cell::UnsafeCell::new([0; STACK]));
        /// Held while the stack is lent (spawns of several threads: the
        /// unit tests), kept apart so its page is not the stack's.
        static LENT: std::sync::Mutex<()> = std::sync::Mutex::new(());

        /// What the child reads, and the error it writes back.
        struct Job<'a> {
            file: Option<&'a CStr>,
            /// The PATH candidates when `argv[0]` is to be searched.
            candidates: &'a [u8],
            argv: *const *const libc::c_char,
            envp: *const *const libc::c_char,
            fds: &'a [(i32, i32)],
            mask: Option<libc::sigset_t>,
            /// 0, or the errno of the failed exec or descriptor move.
            err: i32,
        }

        /// `spawn(file, argv, envp, fds)`: see `spawn_vfork_file`.
        pub fn spawn(
            file: Option<&CStr>,
            argv: Argv,
            envp: &mut Envp,
            fds: &[(rustix::fd::BorrowedFd, i32)],
        ) -> Result<rustix::process::Pid, Errno> {
            let moves: Vec<(i32, i32)> = fds.iter().map(|&(f, n)| (f.as_raw_fd(), n)).collect();
            // SAFETY: argv[0] exists (checked by the caller) and is a
            // NUL-terminated string (Argv's invariant).
            let name = unsafe { CStr::from_ptr(*argv.as_ptr()) };
            let name = name.to_bytes();
            let cands = match file {
                None if !name.is_empty() && !name.contains(&b'/') => candidates(name),
                _ => Vec::new(),
            };
            let mut job = Job {
                file,
                candidates: &cands,
                argv: argv.as_ptr(),
                envp: envp.as_ptr(),
                fds: &moves,
                mask: sig::start_mask(),
                err: 0,
            };
            let _lent = LENT.lock().unwrap_or_else(|p| p.into_inner());
            // Every Linux architecture Rust supports grows its stack down:
            // the child starts at the top of the lent block.
            let top = CHILD_STACK.0.get().cast::<u8>().wrapping_add(STACK);
            // SAFETY: the child runs `child` on the lent stack, which
            // outlives it (CLONE_VFORK suspends this thread until the
            // child has exec'd or exited, so neither the stack nor `job`
            // is touched by two at once). The child only makes system
            // calls and writes `job.err`.
            let pid = unsafe {
                libc::clone(
                    child,
                    top.cast(),
                    libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                    (&mut job as *mut Job).cast(),
                )
            };
            if pid < 0 {
                return Err(crate::msg::errno());
            }
            let pid = rustix::process::Pid::from_raw(pid).ok_or(Errno::INVAL)?;
            // SAFETY: read after the child is done with it (CLONE_VFORK);
            // volatile, as the compiler does not see the child write it.
            let err = unsafe { std::ptr::read_volatile(&job.err) };
            if err != 0 {
                let _ = super::wait_pid(pid);
                return Err(Errno::from_raw_os_error(err));
            }
            Ok(pid)
        }

        /// The child: places the descriptors, sets the start-up mask, execs.
        extern "C" fn child(arg: *mut libc::c_void) -> libc::c_int {
            // SAFETY: `arg` is the parent's `Job`, alive and left alone
            // while the parent is suspended.
            let job = unsafe { &mut *arg.cast::<Job>() };
            let e = run(job);
            // SAFETY: volatile, so the write is not dropped: the parent
            // reads it once the child is gone.
            unsafe { std::ptr::write_volatile(&mut job.err, e.raw_os_error()) };
            // SAFETY: _exit ends the child at once, running nothing of the
            // parent's.
            unsafe { libc::_exit(super::fail_code(e)) }
        }

        /// `run(job)`: returns only with the error.
        fn run(job: &Job) -> Errno {
            for &(from, to) in job.fds {
                // SAFETY: plain descriptor calls on numbers the parent owns.
                let r = unsafe {
                    if from == to {
                        libc::fcntl(from, libc::F_SETFD, 0)
                    } else {
                        libc::dup2(from, to)
                    }
                };
                if r < 0 {
                    return crate::msg::errno();
                }
            }
            if let Some(m) = &job.mask
                && let Err(e) = sig::set_mask(m)
            {
                return e;
            }
            let exec = |f: &CStr| -> Result<(), Errno> {
                // SAFETY: NUL-terminated file, null-terminated arrays of
                // NUL-terminated strings (Argv's invariant, Envp::as_ptr).
                unsafe { libc::execve(f.as_ptr(), job.argv, job.envp) };
                Err(crate::msg::errno())
            };
            // SAFETY: argv[0] exists (checked by the caller) and is a
            // NUL-terminated string.
            let name = unsafe { CStr::from_ptr(*job.argv) };
            let r = match job.file {
                Some(f) => exec(f),
                None if name.to_bytes().contains(&b'/') => exec(name),
                None if name.to_bytes().is_empty() => Err(Errno::NOENT),
                None => search(job.candidates, exec),
            };
            r.err().unwrap_or(Errno::NOENT)
        }
    }
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
            let flags = (libc::CLONE_NEWPID | libc::SIGCHLD) as libc::c_ulong;
            // The raw call's first two arguments are (flags, stack), except
            // on s390x (stack, flags); the other three are 0 in any order.
            let (a, b) = if cfg!(target_arch = "s390x") { (0, flags) } else { (flags, 0) };
            // SAFETY: a clone with only CLONE_NEWPID and the exit signal, no new
            // stack, behaves as fork(2) (the child continues on a copy of this
            // stack). s6box is single-threaded, so no lock is held across it,
            // and the child only restores signals, sets up and execs.
            return unsafe { libc::syscall(libc::SYS_clone, a, b, 0usize, 0usize, 0usize) } as i32;
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

    #[test]
    fn spawn_vfork_runs_with_env_and_fds_and_reports_errors() {
        let mut env = Envp::current_without(&[b"S6BOX_T"]);
        env.push(b"S6BOX_T", b"x y");
        let ok = OwnedArgv::new(["sh", "-c", "[ \"$S6BOX_T\" = \"x y\" ] && echo hi >&5"]);
        let (rd, wr) = crate::fd::pipe_cloexec().unwrap();
        use rustix::fd::AsFd;
        let pid = spawn_vfork(ok.argv(), &mut env, &[(wr.as_fd(), 5)]).expect("spawn sh");
        drop(wr);
        assert_eq!(wait_pid(pid).unwrap(), 0);
        let mut b = [0u8; 8];
        assert_eq!(rustix::io::read(&rd, &mut b).unwrap(), 3);
        let missing = OwnedArgv::new(["s6box-no-such-program"]);
        assert_eq!(spawn_vfork(missing.argv(), &mut env, &[]).err(), Some(Errno::NOENT));
        let denied = OwnedArgv::new(["/etc/passwd"]);
        assert_eq!(spawn_vfork(denied.argv(), &mut env, &[]).err(), Some(Errno::ACCESS));
    }
}
