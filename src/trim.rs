//! Giving back stack memory before a long sleep: a supervisor runs in a
//! hundred copies, each sleeping in `poll` nearly all its life, so what
//! each one keeps for itself while asleep is what it costs.
//!
//! `enable()` once, then `poll::wait` calls `now()` just before it blocks:
//! the stack pages below the current stack pointer, down to the start of
//! the stack mapping (left dirty by start-up and by the last event's
//! deepest call chain) are dropped (`MADV_DONTNEED`: the next use gets a
//! fresh zero page). One system call per wake-up and a fault or two after
//! it. Measured with 100 supervisors (`bench/s6-supervise.sh`): 51.3 kB of
//! private pages and page tables each, against 52.1 kB without.
//!
//! Only x86-64 Linux (raw `syscall`, so that nothing runs on the stack
//! between the drop and the sleep); elsewhere `now()` does nothing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The lowest address of the stack mapping, found by the first `enable`
/// (0: not found, or never enabled).
static LOW: AtomicUsize = AtomicUsize::new(0);

/// Whether `now()` acts (between `enable` and `disable`).
static ON: AtomicBool = AtomicBool::new(false);

/// `enable()`: `now()` gives memory back from then on (a single-threaded
/// program only: the stack below the caller's is dropped). Does nothing
/// when the stack mapping cannot be found (no /proc). The mapping is
/// looked up once: enabling again costs nothing.
pub fn enable() {
    if LOW.load(Ordering::Relaxed) == 0 {
        LOW.store(stack_low(), Ordering::Relaxed);
    }
    ON.store(true, Ordering::Relaxed);
}

/// `disable()`: `now()` does nothing again (a server trims only when idle).
pub fn disable() {
    ON.store(false, Ordering::Relaxed);
}

/// `now()`: if enabled, drops the stack pages below the caller's frame.
#[inline(never)]
pub fn now() {
    let low = LOW.load(Ordering::Relaxed);
    if low != 0 && ON.load(Ordering::Relaxed) {
        drop_below(low);
    }
}

/// `stack_low()`: the start of the `[stack]` line of /proc/self/maps, or 0.
/// The mapping only grows downwards, so pages below this address that the
/// stack takes later are merely not dropped.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn stack_low() -> usize {
    use rustix::fs::{Mode, OFlags};
    let Ok(fd) =
        rustix::fs::open("/proc/self/maps", OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
    else {
        return 0;
    };
    let mut maps = Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(n @ 1..) = crate::io::read_full(&fd, &mut buf) {
        maps.extend_from_slice(&buf[..n]);
    }
    maps.split(|&c| c == b'\n')
        .find(|l| l.ends_with(b"[stack]"))
        .and_then(|l| l.split(|&c| c == b'-').next())
        .and_then(|a| std::str::from_utf8(a).ok())
        .and_then(|a| usize::from_str_radix(a, 16).ok())
        .unwrap_or(0)
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn stack_low() -> usize {
    0
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn drop_below(low: usize) {
    const PAGE: usize = 4096;
    const MADV_DONTNEED: usize = 4;
    const SYS_MADVISE: usize = 28;
    let sp: usize;
    // SAFETY: reads the stack pointer; no memory is touched.
    unsafe { std::arch::asm!("mov {}, rsp", out(reg) sp) };
    // Keep a margin: nothing below the stack pointer is live (no signal
    // handlers run on this stack: signals come through a signalfd; the
    // system call below does not use the stack), the margin is only
    // caution.
    let end = sp.saturating_sub(512) & !(PAGE - 1);
    if end <= low {
        return;
    }
    // SAFETY: [low, end) lies in the stack mapping, below every live frame
    // of the only thread (see enable()); dropping the pages only zeroes
    // them. The syscall instruction clobbers rcx and r11 and returns in
    // rax; errors are ignored.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") SYS_MADVISE => _,
            in("rdi") low,
            in("rsi") end - low,
            in("rdx") MADV_DONTNEED,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        )
    };
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn drop_below(_: usize) {}
