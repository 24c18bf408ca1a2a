//! Watching a daemon that backgrounds itself: the platform mechanisms that
//! let a supervisor-side process keep track of a process that is not (or
//! no longer) its direct child.
//!
//! - Linux: `PR_SET_CHILD_SUBREAPER` makes orphaned descendants come back
//!   to us as children, so they can be checked, reaped and waited for; the
//!   daemon is then held through a pidfd (plain pid on kernels without
//!   pidfd: still safe, since an unreaped child's pid cannot be recycled).
//! - FreeBSD, DragonFly: `procctl(PROC_REAP_ACQUIRE)`, the same idea.
//! - NetBSD, OpenBSD, macOS: no subreaper; the daemon's exit is watched with
//!   kqueue's `EVFILT_PROC`/`NOTE_EXIT`, which also carries its status.
//! - Anything else: `acquire` fails with `ENOSYS` (the caller exits 112).

use crate::msg::errno;
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions};

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use super::*;

    pub const SUBREAPER: bool = true;

    pub fn acquire() -> Result<(), Errno> {
        match rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
            // A kernel older than 3.4 does not know the option.
            Err(Errno::INVAL) => Err(Errno::NOSYS),
            r => r,
        }
    }

    /// The daemon, held by pidfd when the kernel has them.
    pub struct Handle {
        pub pidfd: Option<OwnedFd>,
    }

    pub fn open(pid: Pid) -> Result<Handle, Errno> {
        match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
            Ok(fd) => Ok(Handle { pidfd: Some(fd) }),
            // Old kernel (ENOSYS), or seccomp/EPERM: the pid is an unreaped
            // child of ours, which cannot be recycled, so it is still safe.
            Err(_) => Ok(Handle { pidfd: None }),
        }
    }

    pub fn signal(h: &Handle, pid: Pid, sig: i32) -> Result<(), Errno> {
        match &h.pidfd {
            Some(fd) => {
                use rustix::fd::AsRawFd;
                // SAFETY: pidfd_send_signal takes a descriptor, a signal
                // number, a null siginfo pointer (meaning "as kill does")
                // and zero flags; no memory is passed.
                let r = unsafe {
                    libc::syscall(
                        libc::SYS_pidfd_send_signal,
                        fd.as_raw_fd(),
                        sig,
                        std::ptr::null::<libc::siginfo_t>(),
                        0,
                    )
                };
                if r == 0 { Ok(()) } else { Err(super::errno()) }
            }
            None => super::kill(pid, sig),
        }
    }

    pub fn event_fd(h: &Handle) -> Option<BorrowedFd<'_>> {
        use rustix::fd::AsFd;
        h.pidfd.as_ref().map(|fd| fd.as_fd())
    }

    pub fn ended(h: &Handle, pid: Pid) -> super::Ended {
        use super::{Ended, Found};
        match super::check(pid) {
            Ok(Found::Ended(st)) => return Ended::Status(st),
            Ok(Found::Running) => return Ended::Running,
            Ok(Found::NotOurs) => {}
            Err(_) => return Ended::Unknown,
        }
        // Not our child (yet): a descendant held by its pidfd, which is
        // readable once it has exited. A zombie still shows its status.
        let exited = match &h.pidfd {
            Some(fd) => {
                use rustix::fd::AsFd;
                crate::poll::ready_now(fd.as_fd())
            }
            None => !super::descends(pid),
        };
        if !exited {
            return Ended::Running;
        }
        match super::zombie_status(pid) {
            Some(st) => Ended::Status(st),
            None => Ended::Unknown,
        }
    }
}

#[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
mod imp {
    use super::*;

    pub const SUBREAPER: bool = true;

    pub fn acquire() -> Result<(), Errno> {
        // SAFETY: PROC_REAP_ACQUIRE on our own pid takes no data pointer.
        let r = unsafe {
            libc::procctl(
                libc::P_PID,
                libc::getpid() as libc::id_t,
                libc::PROC_REAP_ACQUIRE,
                std::ptr::null_mut(),
            )
        };
        match r {
            0 => Ok(()),
            _ => match super::errno() {
                // Already a reaper: just as good.
                Errno::BUSY => Ok(()),
                e => Err(e),
            },
        }
    }

    /// The daemon, an unreaped child: its pid cannot be recycled.
    pub struct Handle;

    pub fn open(_: Pid) -> Result<Handle, Errno> {
        Ok(Handle)
    }

    pub fn signal(_: &Handle, pid: Pid, sig: i32) -> Result<(), Errno> {
        super::kill(pid, sig)
    }

    pub fn event_fd(_: &Handle) -> Option<BorrowedFd<'_>> {
        None
    }

    pub fn ended(_: &Handle, pid: Pid) -> super::Ended {
        use super::{Ended, Found};
        match super::check(pid) {
            Ok(Found::Ended(st)) => Ended::Status(st),
            Ok(Found::Running) => Ended::Running,
            _ => Ended::Unknown,
        }
    }
}

#[cfg(any(target_os = "netbsd", target_os = "openbsd", target_os = "macos"))]
mod imp {
    use super::*;
    use rustix::event::kqueue::{self, Event, EventFilter, EventFlags, ProcessEvents};
    use rustix::fd::AsFd;

    pub const SUBREAPER: bool = false;

    pub fn acquire() -> Result<(), Errno> {
        Ok(())
    }

    /// The daemon, watched by a kqueue for its exit.
    pub struct Handle {
        kq: OwnedFd,
    }

    fn exit_flags() -> ProcessEvents {
        #[cfg(target_os = "macos")]
        {
            // macOS reports the exit status only when asked for it.
            ProcessEvents::EXIT | ProcessEvents::from_bits_retain(libc::NOTE_EXITSTATUS)
        }
        #[cfg(not(target_os = "macos"))]
        {
            ProcessEvents::EXIT
        }
    }

    pub fn open(pid: Pid) -> Result<Handle, Errno> {
        let kq = kqueue::kqueue()?;
        let ev = Event::new(
            EventFilter::Proc { pid, flags: exit_flags() },
            EventFlags::ADD | EventFlags::ONESHOT,
            std::ptr::null_mut(),
        );
        let mut out: Vec<Event> = Vec::new();
        // SAFETY: the event names a process, not a descriptor, so there is
        // no descriptor whose lifetime the kqueue could outlive.
        unsafe { kqueue::kevent_timespec(&kq, &[ev], &mut out, None)? };
        Ok(Handle { kq })
    }

    pub fn signal(_: &Handle, pid: Pid, sig: i32) -> Result<(), Errno> {
        super::kill(pid, sig)
    }

    pub fn event_fd(h: &Handle) -> Option<BorrowedFd<'_>> {
        Some(h.kq.as_fd())
    }

    pub fn ended(h: &Handle, _: Pid) -> super::Ended {
        let mut out: Vec<Event> = Vec::with_capacity(1);
        let zero = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: as in `open`, only process events are registered.
        let got = unsafe { kqueue::kevent_timespec(&h.kq, &[], &mut out, Some(&zero)) };
        match got.ok().and(out.first()) {
            Some(e) => super::Ended::Status(e.data() as i32),
            None => super::Ended::Running,
        }
    }
}

other_os! {
mod imp {
    use super::*;

    pub const SUBREAPER: bool = false;

    pub fn acquire() -> Result<(), Errno> {
        Err(Errno::NOSYS)
    }

    pub struct Handle;

    pub fn open(_: Pid) -> Result<Handle, Errno> {
        Err(Errno::NOSYS)
    }

    pub fn signal(_: &Handle, pid: Pid, sig: i32) -> Result<(), Errno> {
        super::kill(pid, sig)
    }

    pub fn event_fd(_: &Handle) -> Option<BorrowedFd<'_>> {
        None
    }

    pub fn ended(_: &Handle, _: Pid) -> super::Ended {
        super::Ended::Unknown
    }
}
}

/// Whether orphaned descendants are re-parented to us once `acquire`
/// succeeded (so the daemon is our child and its status comes by SIGCHLD).
pub const SUBREAPER: bool = imp::SUBREAPER;

fn kill(pid: Pid, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill takes two integers; pid is positive (a `Pid`), so it
    // names one process, never a group.
    if unsafe { libc::kill(pid.as_raw_nonzero().get(), sig) } == 0 { Ok(()) } else { Err(errno()) }
}

/// `acquire()`: makes this process able to watch a descendant that its
/// parent abandons (subreaper where the system has one). `Err(NOSYS)`: the
/// platform has no way to do it.
pub fn acquire() -> Result<(), Errno> {
    imp::acquire()
}

/// `reap(f)`: collects every child that has ended, without blocking, and
/// calls `f(pid, raw_wait_status)` for each.
pub fn reap(mut f: impl FnMut(Pid, i32)) {
    loop {
        match rustix::process::wait(WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => f(pid, status.as_raw()),
            Err(Errno::INTR) => {}
            // None: nothing more has ended; ECHILD: no children left.
            _ => return,
        }
    }
}

/// What `check` found out about a pid.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// It is our child and still runs (or cannot be checked further).
    Running,
    /// It was our child and had ended: here is its raw wait status (it is
    /// reaped now).
    Ended(i32),
    /// It is not our child.
    NotOurs,
}

/// `check(pid)`: whether `pid` is our child (on subreaper systems), without
/// reaping it unless it has already ended. Elsewhere, whether it exists.
pub fn check(pid: Pid) -> Result<Found, Errno> {
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "dragonfly"
    ))]
    {
        use rustix::process::{WaitId, WaitIdOptions};
        let opts = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        loop {
            return match rustix::process::waitid(WaitId::Pid(pid), opts) {
                Ok(None) => Ok(Found::Running),
                Ok(Some(_)) => loop {
                    match rustix::process::waitpid(Some(pid), WaitOptions::NOHANG) {
                        Ok(Some((_, st))) => break Ok(Found::Ended(st.as_raw())),
                        Ok(None) => break Ok(Found::Running),
                        Err(Errno::INTR) => {}
                        Err(e) => break Err(e),
                    }
                },
                Err(Errno::CHILD) => Ok(Found::NotOurs),
                Err(Errno::INTR) => continue,
                Err(e) => Err(e),
            };
        }
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "dragonfly"
    )))]
    {
        match kill(pid, 0) {
            Err(Errno::SRCH) => Ok(Found::NotOurs),
            _ => Ok(Found::Running),
        }
    }
}

/// The daemon, once checked: signalled through a pidfd where the system
/// has them, so a recycled pid can never get a signal meant for it.
pub struct Daemon {
    pid: Pid,
    handle: imp::Handle,
}

impl Daemon {
    /// `attach(pid)`: takes hold of the checked daemon `pid`.
    pub fn attach(pid: Pid) -> Result<Daemon, Errno> {
        Ok(Daemon { pid, handle: imp::open(pid)? })
    }

    /// `pid()`: the daemon's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// `signal(sig)`: sends `sig` to the daemon.
    pub fn signal(&self, sig: i32) -> Result<(), Errno> {
        imp::signal(&self.handle, self.pid, sig)
    }

    /// `event_fd()`: a descriptor that becomes readable when the daemon
    /// exits (Linux: its pidfd, which also tells the exit of a descendant
    /// that is not our child; kqueue systems: `NOTE_EXIT`). `None`: its
    /// exit comes as SIGCHLD only.
    pub fn event_fd(&self) -> Option<BorrowedFd<'_>> {
        imp::event_fd(&self.handle)
    }

    /// `ended()`: after `event_fd` became readable or a SIGCHLD: whether
    /// the daemon still runs, and its raw wait status if it has ended (it
    /// is then reaped if it was our child; a descendant that is not our
    /// child yet shows its status as a zombie, on Linux).
    pub fn ended(&self) -> Ended {
        imp::ended(&self.handle, self.pid)
    }
}

/// What `Daemon::ended` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Still running.
    Running,
    /// Ended with this raw wait status.
    Status(i32),
    /// Gone, its status unknown (a descendant reaped by its own parent).
    Unknown,
}

/// `has_children()`: whether this process has a child, running or ended
/// but not reaped.
pub fn has_children() -> bool {
    use rustix::process::{WaitId, WaitIdOptions};
    let opts = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    loop {
        return match rustix::process::waitid(WaitId::All, opts) {
            Err(Errno::INTR) => continue,
            Err(Errno::CHILD) => false,
            _ => true,
        };
    }
}

/// `children(f)`: calls `f` on the pid of each child of ours that Linux
/// lists in /proc/self/task/PID/children (nothing elsewhere, or when the
/// kernel lacks the file).
pub fn children(mut f: impl FnMut(Pid)) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{Mode, OFlags};
        use std::os::unix::ffi::OsStrExt;
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let mut path = b"/proc/self/task/".to_vec();
        path.extend_from_slice(&crate::fmt::dec(me.into()));
        path.extend_from_slice(b"/children");
        let Ok(fd) = rustix::fs::open(&path[..], OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        else {
            return;
        };
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = rustix::io::read(&fd, &mut buf) {
            all.extend_from_slice(&buf[..n]);
        }
        for word in all.split(|&c| c == b' ' || c == b'\n') {
            let n = crate::cli::parse_decimal::<i32>(std::ffi::OsStr::from_bytes(word));
            if let Some(pid) = n.and_then(Pid::from_raw) {
                f(pid);
            }
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = &mut f;
    }
}

/// `zombie_status(pid)`: the raw wait status of `pid` if it is a zombie
/// (ended, not reaped), from field 52 of /proc/PID/stat (Linux 3.5 and
/// later); `None` otherwise or elsewhere.
pub fn zombie_status(pid: Pid) -> Option<i32> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let stat = proc_stat(pid.as_raw_nonzero().get())?;
        let mut fields = stat_fields(&stat)?;
        // Field 3 is the state; the exit code is field 52.
        if fields.next()? != b"Z" {
            return None;
        }
        let code = fields.nth(52 - 4)?;
        std::str::from_utf8(code).ok()?.parse().ok()
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = pid;
        None
    }
}

/// `notify(fd)`: writes one newline to `fd` and closes it. A reader that is
/// gone gives EPIPE, and the SIGPIPE that came with it (blocked, since the
/// caller reads its signals) is consumed so it is not passed on.
pub fn notify(fd: OwnedFd) -> Result<(), Errno> {
    loop {
        return match rustix::io::write(&fd, b"\n") {
            Ok(_) => Ok(()),
            Err(Errno::INTR) => continue,
            Err(Errno::PIPE) => {
                // SAFETY: the set is initialised before use; a zero timeout
                // makes sigtimedwait take a pending SIGPIPE or return at once.
                unsafe {
                    let mut set: libc::sigset_t = std::mem::zeroed();
                    libc::sigemptyset(&mut set);
                    libc::sigaddset(&mut set, libc::SIGPIPE);
                    sigpipe_take(&set);
                }
                Err(Errno::PIPE)
            }
            Err(e) => Err(e),
        };
    }
}

/// Takes a pending signal of `set` without waiting.
///
/// # Safety
/// `set` must be an initialised signal set.
unsafe fn sigpipe_take(set: &libc::sigset_t) {
    #[cfg(not(any(target_os = "macos", target_os = "openbsd")))]
    {
        let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: set is initialised (caller), zero is a valid timespec, and
        // a null siginfo pointer is allowed.
        unsafe { libc::sigtimedwait(set, std::ptr::null_mut(), &zero) };
    }
    #[cfg(any(target_os = "macos", target_os = "openbsd"))]
    {
        // No sigtimedwait: take it only if it is pending, so sigwait
        // cannot block.
        // SAFETY: sigpending fills an initialised set; sigwait gets the
        // caller's initialised set and returns at once for a pending signal.
        unsafe {
            let mut pending: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut pending);
            if libc::sigpending(&mut pending) == 0
                && libc::sigismember(&pending, libc::SIGPIPE) == 1
            {
                let mut sig = 0;
                libc::sigwait(set, &mut sig);
            }
        }
    }
}

/// `signal_child(pid, sig)`: sends `sig` to `pid`, which must be an
/// unreaped child of ours (its pid cannot be recycled until we reap it).
pub fn signal_child(pid: Pid, sig: i32) -> Result<(), Errno> {
    kill(pid, sig)
}

/// `descends(pid)`: whether `pid` is our descendant, by its /proc parent chain (Linux; `false` elsewhere).
pub fn descends(pid: Pid) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let mut p = pid.as_raw_nonzero().get();
        // Bounded: a chain read while processes come and go could loop.
        for _ in 0..4096 {
            match ppid(p) {
                Some(q) if q == me => return true,
                Some(q) if q > 1 => p = q,
                _ => return false,
            }
        }
        false
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = pid;
        false
    }
}

/// `ppid(pid)`: the parent of `pid`, from /proc/PID/stat.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn ppid(pid: i32) -> Option<i32> {
    stat_ppid(&proc_stat(pid)?)
}

/// `proc_stat(pid)`: the text of /proc/PID/stat.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn proc_stat(pid: i32) -> Option<Vec<u8>> {
    use rustix::fs::{Mode, OFlags};
    let mut path = b"/proc/".to_vec();
    let start = path.len();
    let mut n = pid.unsigned_abs();
    loop {
        path.insert(start, b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    path.extend_from_slice(b"/stat");
    let fd = rustix::fs::open(&path[..], OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut buf = [0u8; 1024];
    let got = crate::io::read_full(&fd, &mut buf).ok()?;
    Some(buf[..got].to_vec())
}

/// `stat_fields(stat)`: the fields of a /proc/PID/stat line from field 3
/// (the state) on. The command name (field 2) may hold spaces and
/// parentheses: fields are counted after the last `)`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn stat_fields(stat: &[u8]) -> Option<impl Iterator<Item = &[u8]>> {
    let close = stat.iter().rposition(|&c| c == b')')?;
    Some(stat[close + 1..].split(|&c| c == b' ' || c == b'\n').filter(|f| !f.is_empty()))
}

/// `stat_ppid(stat)`: field 4 of a /proc/PID/stat line.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn stat_ppid(stat: &[u8]) -> Option<i32> {
    let mut fields = stat_fields(stat)?;
    let _state = fields.next()?;
    std::str::from_utf8(fields.next()?).ok()?.parse().ok()
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;

    #[test]
    fn ppid_from_stat() {
        assert_eq!(stat_ppid(b"42 (sh) S 7 42 42 0 -1"), Some(7));
        assert_eq!(stat_ppid(b"42 (a) b (c) R 1234 1 1"), Some(1234));
        assert_eq!(stat_ppid(b"42 ((x)) Z 0 0"), Some(0));
        assert_eq!(stat_ppid(b"42 (a b) S"), None);
        assert_eq!(stat_ppid(b"42 (sh S 7"), None);
        assert_eq!(stat_ppid(b""), None);
        assert_eq!(stat_ppid(b"42 (sh) S x"), None);
    }

    #[test]
    fn our_children_descend_from_us() {
        let me = rustix::process::getpid();
        let parent = rustix::process::getppid().unwrap();
        assert!(!descends(parent));
        assert!(!descends(Pid::INIT));
        assert_eq!(ppid(me.as_raw_nonzero().get()), Some(parent.as_raw_nonzero().get()));
        let mut child = std::process::Command::new("sleep").arg("600").spawn().unwrap();
        let pid = Pid::from_raw(child.id() as i32).unwrap();
        let ok = descends(pid);
        let _ = child.kill();
        let _ = child.wait();
        assert!(ok);
    }
}
