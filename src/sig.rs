//! Signals, handled synchronously: an applet that waits blocks the signals
//! it wants and reads them from one descriptor (a signalfd on Linux, a
//! self-pipe elsewhere), then sleeps in one blocking call. Whatever it
//! changed is undone by `restore` before every exec or spawn, so programs
//! get the mask and dispositions the applet was started with.

use crate::msg::errno;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use std::sync::Mutex;

/// What `catch_all` changed, to be undone by `restore`.
struct Saved {
    /// The signal mask at start-up.
    mask: libc::sigset_t,
    /// Bit n: signal n was ignored at start-up (self-pipe systems only).
    #[allow(dead_code)] // read on the self-pipe systems only
    ignored: u128,
}

// SAFETY: sigset_t is plain data; the Mutex serialises access.
unsafe impl Send for Saved {}

static SAVED: Mutex<Option<Saved>> = Mutex::new(None);

linux_like! {
    /// SIGPWR, where the system has it.
    pub const SIGPWR: Option<i32> = Some(libc::SIGPWR);
}
linux_like! { else
    /// SIGPWR, where the system has it.
    pub const SIGPWR: Option<i32> = None;
}

/// Whether this is a MIPS target, where the kernel's signal ABI differs.
const MIPS: bool = cfg!(any(
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "mips32r6",
    target_arch = "mips64r6"
));

/// The kernel's signal-set size in bytes, the `sigsetsize` argument of the
/// rt_sig* system calls (`_NSIG / 8`): 128 signals on MIPS, 64 on every
/// other Linux architecture. Any other size is refused with EINVAL.
pub const KERNEL_SIGSET: usize = if MIPS { 16 } else { 8 };

linux_like! {
    // The C library's sigset_t holds the kernel's set (mask() passes
    // pointers to sigset_t values with KERNEL_SIGSET as their size).
    const _: () = assert!(KERNEL_SIGSET <= std::mem::size_of::<libc::sigset_t>());
}

/// `catchable()`: every signal number a process can catch (not KILL, STOP).
pub fn catchable() -> impl Iterator<Item = i32> {
    (1..max_signal()).filter(|&s| s != libc::SIGKILL && s != libc::SIGSTOP)
}

fn max_signal() -> i32 {
    linux_like!(if { libc::SIGRTMAX() + 1 } else { 32 })
}

/// `restore()`: puts back the start-up signal mask and dispositions, if an
/// applet changed them; a no-op otherwise. Called before exec and in a
/// spawned child.
pub fn restore() {
    let saved = SAVED.lock().unwrap_or_else(|p| p.into_inner());
    linux_like!(if {} else {
        if let Some(s) = saved.as_ref() {
            for sig in catchable() {
                let disp =
                    if s.ignored & (1u128 << sig) != 0 { libc::SIG_IGN } else { libc::SIG_DFL };
                // SAFETY: SIG_IGN and SIG_DFL are valid dispositions for any
                // catchable signal.
                unsafe { libc::signal(sig, disp) };
            }
        }
    });
    // After the loop above, which sees SIGCHLD as keep_children left it;
    // and also when catch_all was never called.
    if CHLD_IGNORED.load(std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: SIG_IGN is a valid disposition for SIGCHLD.
        unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    }
    if let Some(s) = saved.as_ref() {
        let _ = mask(libc::SIG_SETMASK, &s.mask);
    }
}

/// `start_mask()`: the signal mask the process started with, if
/// `catch_all` changed it (None: the current mask is the start-up one).
pub fn start_mask() -> Option<libc::sigset_t> {
    SAVED.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|s| s.mask)
}

/// `dispositions_untouched()`: whether every signal disposition is still
/// the start-up one (Linux, where `catch_all` only blocks, and SIGCHLD not
/// changed by `keep_children`): a spawn that sets the start-up mask then
/// reproduces the whole start-up signal state.
pub fn dispositions_untouched() -> bool {
    cfg!(any(target_os = "linux", target_os = "android"))
        && !CHLD_IGNORED.load(std::sync::atomic::Ordering::Relaxed)
}

/// `empty_set()`: a signal set with no signal in it.
fn empty_set() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        set
    }
}

/// `add(set, sig)`: puts `sig` in `set`. On Linux the bit is set directly:
/// the C libraries refuse the signals they keep for themselves (32 and 33
/// with glibc, 32 to 34 with musl) in sigaddset, yet those numbers can be
/// sent by anyone and their default action kills: they must be blocked
/// and read like the others.
fn add(set: &mut libc::sigset_t, sig: i32) {
    linux_like!(if {
        const BITS: usize = 8 * std::mem::size_of::<libc::c_ulong>();
        let n = (sig - 1) as usize;
        if n < 8 * std::mem::size_of::<libc::sigset_t>() {
            // SAFETY: Linux's sigset_t (glibc and musl alike) is an array of
            // unsigned longs, bit n-1 of the array standing for signal n;
            // `n / BITS` is within the set, checked above.
            unsafe {
                let words = (set as *mut libc::sigset_t).cast::<libc::c_ulong>();
                *words.add(n / BITS) |= 1 << (n % BITS);
            }
        }
    } else {
        // SAFETY: set is an initialised sigset_t.
        unsafe {
            libc::sigaddset(set, sig);
        }
    })
}

/// `mask(how, set)`: changes the signal mask and returns the old one. On
/// Linux through the system call itself: the C library's sigprocmask
/// silently drops its own signals from the set.
/// `set_mask(set)`: makes `set` the signal mask (one system call, no
/// allocation: a vfork child uses it).
pub fn set_mask(set: &libc::sigset_t) -> Result<(), Errno> {
    mask(libc::SIG_SETMASK, set).map(|_| ())
}

fn mask(how: i32, set: &libc::sigset_t) -> Result<libc::sigset_t, Errno> {
    let mut old = empty_set();
    let r = linux_like!(if {
        // SAFETY: both pointers are to sigset_t values at least
        // KERNEL_SIGSET bytes long (checked at compile time), the size
        // passed.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                how,
                set as *const libc::sigset_t,
                &mut old as *mut libc::sigset_t,
                KERNEL_SIGSET,
            )
        }
    } else {
        // SAFETY: both point to initialised sigset_t values.
        unsafe { libc::sigprocmask(how, set, &mut old) }
    });
    if r == 0 { Ok(old) } else { Err(errno()) }
}

/// The descriptor that signals are read from.
pub struct Signals {
    fd: OwnedFd,
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// `catch_all()`: from now on every catchable signal, SIGCHLD included, is
/// queued for `Signals::read` instead of acting; the start-up state is kept
/// for `restore`. The descriptor is close-on-exec and non-blocking.
pub fn catch_all() -> Result<Signals, Errno> {
    let mut saved = SAVED.lock().unwrap_or_else(|p| p.into_inner());
    let mut set = empty_set();
    for sig in catchable() {
        add(&mut set, sig);
    }
    let old = mask(libc::SIG_BLOCK, &set)?;
    if saved.is_none() {
        *saved = Some(Saved { mask: old, ignored: 0 });
    }
    open(set, saved.as_mut().map(|s| &mut s.ignored))
}

linux_like! {
    fn open(set: libc::sigset_t, _ignored: Option<&mut u128>) -> Result<Signals, Errno> {
        // Linux queues a blocked signal even when its disposition is "ignore",
        // so the dispositions need no change and exec keeps them as they are.
        // SAFETY: set is an initialised sigset_t; -1 asks for a new descriptor.
        let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
        if fd < 0 {
            return Err(errno());
        }
        // SAFETY: signalfd just returned this descriptor, owned by nobody else.
        Ok(Signals { fd: unsafe { <OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(fd) } })
    }
}

linux_like! { else
    static PIPE_WR: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);
}

linux_like! { else
    extern "C" fn on_signal(sig: libc::c_int) {
        let fd = PIPE_WR.load(std::sync::atomic::Ordering::Relaxed);
        let b = sig as u8;
        // SAFETY: write is async-signal-safe; the byte lives on this stack.
        unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    }
}

linux_like! { else
    fn open(set: libc::sigset_t, ignored: Option<&mut u128>) -> Result<Signals, Errno> {
        use rustix::fd::IntoRawFd;
        let (rd, wr) = crate::fd::pipe_cloexec()?;
        for fd in [&rd, &wr] {
            rustix::fs::fcntl_setfl(fd, rustix::fs::OFlags::NONBLOCK)?;
        }
        PIPE_WR.store(wr.into_raw_fd(), std::sync::atomic::Ordering::Relaxed);
        let mut was_ignored = 0u128;
        for sig in catchable() {
            // SAFETY: on_signal only calls write(2); sigaction gets initialised
            // structures and reports the previous disposition in `old`.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                let mut old: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigfillset(&mut sa.sa_mask);
                if libc::sigaction(sig, &sa, &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN {
                    was_ignored |= 1u128 << sig;
                }
            }
        }
        if let Some(i) = ignored {
            *i |= was_ignored;
        }
        // The handlers write to the pipe: unblock what catch_all blocked.
        let _ = mask(libc::SIG_UNBLOCK, &set);
        Ok(Signals { fd: rd })
    }
}

linux_like! {
    const READ_SIZE: usize = std::mem::size_of::<libc::signalfd_siginfo>();
}
linux_like! { else
    const READ_SIZE: usize = 1;
}

linux_like! {
    /// The signal number in one record: `ssi_signo`, the first field of a
    /// signalfd_siginfo.
    fn signo(buf: &[u8; READ_SIZE]) -> i32 {
        u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as i32
    }
}

linux_like! { else
    /// The signal number in one record: the byte the handler wrote.
    fn signo(buf: &[u8; READ_SIZE]) -> i32 {
        i32::from(buf[0])
    }
}

linux_like! {
    /// The sender's pid in one record: `ssi_pid`, after `ssi_signo`,
    /// `ssi_errno` and `ssi_code`.
    fn sender(buf: &[u8; READ_SIZE]) -> i32 {
        u32::from_ne_bytes([buf[12], buf[13], buf[14], buf[15]]) as i32
    }
}

linux_like! { else
    /// The sender's pid: unknown to a self-pipe.
    fn sender(_: &[u8; READ_SIZE]) -> i32 {
        0
    }
}

impl Signals {
    /// `read()`: the next pending signal number, or `None` if there is none
    /// now.
    pub fn read(&self) -> Result<Option<i32>, Errno> {
        Ok(self.read_with_sender()?.map(|(sig, _)| sig))
    }

    /// `next_from_others(me)`: the next pending signal that some other
    /// process sent, or `None` if there is none now. Signals we raised on
    /// ourselves (the SIGPIPE of a message written to a pipe with no
    /// reader) are dropped: nobody asked for them to be acted on or
    /// forwarded.
    pub fn next_from_others(&self, me: rustix::process::Pid) -> Option<i32> {
        loop {
            return match self.read_with_sender() {
                Ok(Some((_, from))) if from == me.as_raw_nonzero().get() => continue,
                Ok(Some((sig, _))) => Some(sig),
                _ => None,
            };
        }
    }

    /// `read_with_sender()`: the next pending signal and the pid of the
    /// process that sent it (0 when unknown: kernel-made signals, or
    /// systems without signalfd). A signal the process raised on itself,
    /// such as the SIGPIPE of a write to a pipe with no reader, carries
    /// its own pid.
    pub fn read_with_sender(&self) -> Result<Option<(i32, i32)>, Errno> {
        let mut buf = [0u8; READ_SIZE];
        loop {
            return match rustix::io::read(&self.fd, &mut buf) {
                Ok(n) if n == READ_SIZE => Ok(Some((signo(&buf), sender(&buf)))),
                Ok(_) => Ok(None),
                Err(Errno::AGAIN) => Ok(None),
                Err(Errno::INTR) => continue,
                Err(e) => Err(e),
            };
        }
    }
}

/// SIGCHLD was ignored at start-up and `keep_children` changed that.
static CHLD_IGNORED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `keep_children()`: if SIGCHLD was ignored at start-up (which makes the
/// kernel discard the statuses of ended children), sets it to default so
/// children can be waited for; `restore` puts the "ignore" back for the
/// programs that are exec'd or spawned.
pub fn keep_children() -> Result<(), Errno> {
    // SAFETY: sigaction with a null new action only reads the current one
    // into an initialised structure.
    let ignored = unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut old) != 0 {
            return Err(errno());
        }
        old.sa_sigaction == libc::SIG_IGN
    };
    if ignored {
        CHLD_IGNORED.store(true, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: SIG_DFL is a valid disposition for SIGCHLD.
        unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    }
    Ok(())
}

/// `ignoring(sig, f)`: runs `f` with `sig` ignored, then puts back the
/// disposition `sig` had before (handler, flags and mask included), so the
/// change never reaches an exec'd program.
pub fn ignoring<T>(sig: i32, f: impl FnOnce() -> T) -> T {
    // SAFETY: sigaction gets an initialised structure asking for SIG_IGN and
    // stores the previous disposition in `old`; `old` is only handed back
    // if that call succeeded.
    let old = unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        let mut old: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = libc::SIG_IGN;
        libc::sigemptyset(&mut sa.sa_mask);
        (libc::sigaction(sig, &sa, &mut old) == 0).then_some(old)
    };
    let r = f();
    if let Some(old) = old {
        // SAFETY: `old` is the disposition sigaction reported for `sig`.
        unsafe { libc::sigaction(sig, &old, std::ptr::null_mut()) };
    }
    r
}

/// `no_sigpipe(f)`: runs `f` (a write to a pipe or fifo whose reader may
/// be gone) so that the SIGPIPE it may raise never acts: it gets EPIPE
/// instead. SIGPIPE is ignored during `f`; where the caller blocks it (to
/// read its signals), a SIGPIPE that became pending during `f` is taken
/// back, so it is not read and passed on as if someone had sent it.
pub fn no_sigpipe<T>(f: impl FnOnce() -> T) -> T {
    let before = pending(libc::SIGPIPE);
    let r = ignoring(libc::SIGPIPE, f);
    if !before && pending(libc::SIGPIPE) {
        take_pending(libc::SIGPIPE);
    }
    r
}

/// `pending(sig)`: whether `sig` is blocked and waiting to be delivered.
fn pending(sig: i32) -> bool {
    let mut set = empty_set();
    // SAFETY: sigpending fills an initialised set; sigismember reads it.
    unsafe { libc::sigpending(&mut set) == 0 && libc::sigismember(&set, sig) == 1 }
}

/// `take_pending(sig)`: removes a pending `sig` without waiting (the
/// caller checked that it is pending).
fn take_pending(sig: i32) {
    let mut set = empty_set();
    add(&mut set, sig);
    #[cfg(not(any(target_os = "macos", target_os = "openbsd")))]
    {
        let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: set is initialised, zero is a valid timespec, and a null
        // siginfo pointer is allowed.
        unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
    }
    #[cfg(any(target_os = "macos", target_os = "openbsd"))]
    {
        // No sigtimedwait; sigwait returns at once for a pending signal.
        let mut got = 0;
        // SAFETY: set is initialised and `got` is a valid int to write.
        unsafe { libc::sigwait(&set, &mut got) };
    }
}

/// `ignored(sig)`: whether `sig`'s disposition is "ignore" (as the
/// process was started with it, on Linux where `catch_all` leaves
/// dispositions alone), so a waiting program that caught it acts on it
/// only if it would have acted without catching.
pub fn ignored(sig: i32) -> bool {
    linux_like!(if {} else {
        if let Some(s) = SAVED.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return (0..128).contains(&sig) && s.ignored & (1u128 << sig) != 0;
        }
    });
    // SAFETY: sigaction with a null new action only reads the current one
    // into an initialised structure.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

/// `die_by(sig)`: ends the process as if `sig` had killed it (default
/// disposition, unblocked, raised), so a caller that caught a terminating
/// signal to clean up (a listener removing its fifo) still reports it to
/// its parent. Exits 128+sig if the signal does not kill.
pub fn die_by(sig: i32) -> ! {
    let mut set = empty_set();
    add(&mut set, sig);
    // SAFETY: SIG_DFL is a valid disposition; raise sends `sig` to this
    // thread.
    unsafe { libc::signal(sig, libc::SIG_DFL) };
    let _ = mask(libc::SIG_UNBLOCK, &set);
    // SAFETY: as above.
    unsafe { libc::raise(sig) };
    crate::msg::exit(128 + sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_sigset_size_per_architecture() {
        let mips = cfg!(any(target_arch = "mips", target_arch = "mips64"));
        assert_eq!(KERNEL_SIGSET, if mips { 16 } else { 8 });
        if crate::LINUX_LIKE {
            // The kernel's highest signal fits its set: SIGRTMAX is 64 (128
            // on MIPS), and the call with that size is accepted.
            assert_eq!(max_signal() as usize - 1, 8 * KERNEL_SIGSET);
            let now = mask(libc::SIG_BLOCK, &empty_set()).unwrap();
            assert_eq!(mask(libc::SIG_SETMASK, &now).map(|_| ()), Ok(()));
        }
    }
}
