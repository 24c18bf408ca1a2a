//! Giving back memory before a long sleep: a supervisor runs in a hundred
//! copies, each sleeping in `poll` nearly all its life, so what each one
//! keeps mapped while asleep is what it costs (its proportional set size).
//!
//! `enable()` once, then `poll::wait` calls `now()` just before it blocks:
//! - the stack pages below the current stack pointer (left dirty by
//!   start-up and by the last event's deepest call chain) are dropped
//!   (`MADV_DONTNEED`: the next use gets a fresh zero page);
//! - the program's text and read-only data are unmapped from the page
//!   tables (the pages stay in the page cache; the next instruction
//!   fetched faults back in only the code around it). Exec maps the whole binary's text, a page cache
//!   folio at a time, so without this a sleeping supervisor maps most of
//!   the multicall binary, not just the loop it sleeps in.
//!
//! Both are two system calls per wake-up and a few minor faults after it.
//! Only x86-64 Linux (raw `syscall`, so that no C library code outside
//! this function is fetched between the drop and the sleep); elsewhere
//! `now()` does nothing.

use std::sync::atomic::{AtomicBool, Ordering};

static ON: AtomicBool = AtomicBool::new(false);

/// `enable()`: `now()` gives memory back from then on (a single-threaded
/// program only: the stack below the caller's is dropped).
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// `disable()`: `now()` does nothing again (a server trims only when idle).
pub fn disable() {
    ON.store(false, Ordering::Relaxed);
}

/// `now()`: if enabled, drops the stack below the caller's frame and the
/// text's page table entries.
#[inline(never)]
pub fn now() {
    if ON.load(Ordering::Relaxed) {
        drop_pages();
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe extern "C" {
    // Linker-defined: the first byte of the program (its ELF header) and
    // the first writable section (the read-only segments, text and
    // .rodata, all lie below it).
    static __executable_start: u8;
    static __init_array_start: u8;
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn drop_pages() {
    const PAGE: usize = 4096;
    const MADV_DONTNEED: usize = 4;
    // The kernel keeps a guard gap of 1 MiB (256 pages) free below the
    // stack mapping, and the stack pointer is above the mapping's start:
    // so [sp - 1 MiB, sp) holds only this stack's pages and unmapped
    // addresses (madvise skips those, answering ENOMEM, which is ignored).
    const SPAN: usize = 1 << 20;
    let sp: usize;
    // SAFETY: reads the stack pointer; no memory is touched.
    unsafe { std::arch::asm!("mov {}, rsp", out(reg) sp) };
    // Keep a margin: nothing below the stack pointer is live (no signal
    // handlers run on this stack: signals come through a signalfd; the asm
    // below does not use the stack), the margin is only caution.
    let end = (sp - 512) & !(PAGE - 1);
    let start = end - SPAN;
    // SAFETY: the pages dropped are below every live frame of the only
    // thread (see enable()); dropping them only zeroes them.
    unsafe { madvise(start, SPAN, MADV_DONTNEED) };
    // Taking the addresses of the linker symbols (never read). The
    // writable segment's mapping starts at the page of its first section,
    // so everything below that page is read-only: text, .rodata, headers.
    let (start_text, end_ro) =
        (&raw const __executable_start as usize, &raw const __init_array_start as usize);
    let text = start_text & !(PAGE - 1);
    let len = (end_ro & !(PAGE - 1)).saturating_sub(text);
    // SAFETY: the range holds private read-only file mappings never written
    // (no copy-on-write page to lose; a gap between them is skipped; at
    // most the TLS template .tdata of the writable segment, which is only
    // ever read, comes before __init_array_start):
    // dropping their page table entries only makes the next access fault
    // the same bytes back in from the file.
    unsafe { madvise(text, len, MADV_DONTNEED) };
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn drop_pages() {}

/// The raw madvise(2) system call (errors ignored).
///
/// # Safety
/// The range must hold no memory still in use by anyone.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[inline(always)]
unsafe fn madvise(addr: usize, len: usize, advice: usize) {
    const SYS_MADVISE: usize = 28;
    // SAFETY: the caller's contract; the syscall instruction clobbers rcx
    // and r11 and returns in rax.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") SYS_MADVISE => _,
            in("rdi") addr,
            in("rsi") len,
            in("rdx") advice,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        )
    };
}
