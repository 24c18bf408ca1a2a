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

use rustix::fd::BorrowedFd;
use rustix::io::Errno;
use rustix::process::Pid;

linux_like! {
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
            pub pidfd: Option<rustix::fd::OwnedFd>,
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
                    if r == 0 { Ok(()) } else { Err(crate::msg::errno()) }
                }
                None => crate::proc::kill(pid, sig),
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
                None => !crate::proc::descends(pid),
            };
            if !exited {
                return Ended::Running;
            }
            match crate::proc::zombie_status(pid) {
                Some(st) => Ended::Status(st),
                None => Ended::Unknown,
            }
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
            _ => match crate::msg::errno() {
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
        crate::proc::kill(pid, sig)
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
        kq: rustix::fd::OwnedFd,
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
        crate::proc::kill(pid, sig)
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
        crate::proc::kill(pid, sig)
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
/// `acquire()`: makes this process able to watch a descendant that its
/// parent abandons (subreaper where the system has one). `Err(NOSYS)`: the
/// platform has no way to do it.
pub fn acquire() -> Result<(), Errno> {
    imp::acquire()
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
                    match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::NOHANG)
                    {
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
        match crate::proc::kill(pid, 0) {
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
