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
//! Linux on the architectures whose stack pointer `stack_pointer` reads
//! (x86-64, aarch64, arm, riscv64); the drop is rustix's
//! `madvise`, an inline system call (no C library call that could put a
//! frame below the margin), in pages of the running kernel's size (4, 16
//! or 64 KiB on aarch64). Elsewhere `now()` does nothing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The lowest address of the stack mapping, found by the first `enable`
/// (0: not found, or never enabled).
static LOW: AtomicUsize = AtomicUsize::new(0);

/// The page size, read by the first `enable` (auxiliary vector).
static PAGE: AtomicUsize = AtomicUsize::new(4096);

/// Whether `now()` acts (between `enable` and `disable`).
static ON: AtomicBool = AtomicBool::new(false);

/// `enable()`: `now()` gives memory back from then on (a single-threaded
/// program only: the stack below the caller's is dropped). Does nothing
/// when the stack mapping cannot be found (no /proc). The mapping is
/// looked up once: enabling again costs nothing.
pub fn enable() {
    if LOW.load(Ordering::Relaxed) == 0 {
        PAGE.store(imp::page_size(), Ordering::Relaxed);
        LOW.store(imp::stack_low(), Ordering::Relaxed);
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
        imp::drop_below(low, PAGE.load(Ordering::Relaxed));
    }
}

/// Where trimming works: Linux on the architectures `stack_pointer` knows.
#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64"
    )
))]
mod imp {
    /// `stack_low()`: the start of the `[stack]` line of /proc/self/maps,
    /// or 0. The mapping only grows downwards, so pages below this address
    /// that the stack takes later are merely not dropped.
    pub fn stack_low() -> usize {
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

    /// `page_size()`: the running kernel's page size (auxiliary vector).
    pub fn page_size() -> usize {
        rustix::param::page_size()
    }

    /// `stack_pointer()`: the current stack pointer.
    #[inline(always)]
    fn stack_pointer() -> usize {
        let sp: usize;
        // SAFETY: each reads the stack pointer into a register; no memory
        // is touched.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack));
            #[cfg(any(target_arch = "aarch64", target_arch = "arm"))]
            std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack));
            #[cfg(target_arch = "riscv64")]
            std::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack));
        }
        sp
    }

    /// `drop_below(low, page)`: drops the whole pages from `low` to a
    /// margin below the stack pointer.
    pub fn drop_below(low: usize, page: usize) {
        // Keep a margin: nothing below the stack pointer is live (no signal
        // handlers run on this stack: signals come through a signalfd; the
        // system call below is inline and puts nothing on the stack), the
        // margin is only caution.
        let end = stack_pointer().saturating_sub(512) & !(page - 1);
        if end <= low {
            return;
        }
        // SAFETY: [low, end) lies in the stack mapping, below every live
        // frame of the only thread (see enable()), and is whole pages
        // (`low` starts the mapping, `end` is rounded down to the kernel's
        // page size); dropping the pages only zeroes them. Errors are
        // ignored.
        let _ = unsafe {
            rustix::mm::madvise(low as *mut _, end - low, rustix::mm::Advice::LinuxDontNeed)
        };
    }
}

/// Elsewhere: nothing to trim.
#[cfg(not(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64"
    )
)))]
mod imp {
    pub fn stack_low() -> usize {
        0
    }
    pub fn page_size() -> usize {
        4096
    }
    pub fn drop_below(_: usize, _: usize) {}
}
