//! The global allocator. Small requests are bump-allocated from a fixed
//! arena in .bss; a block is given back (or resized in place) only while
//! it is the last one handed out, so a loop that allocates and frees stays
//! in a few bytes. Larger requests, and every request once the arena is
//! full, go to the C library's malloc.
//!
//! Why: a chainloader allocates a few hundred bytes (its parsed command
//! line) and execs. musl's malloc, on first use, makes four system calls
//! and splits the address space into three new mappings, which the exec
//! then tears down: measured at about 11 µs of a 90 µs exec hop
//! (bench/exec-hop.sh). The arena costs one zero-page fault.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Arena size: enough for any chainloader's command line handling.
const ARENA: usize = 16 * 1024;
/// Larger requests go straight to malloc (they are buffers that live long).
const SMALL: usize = 2048;

#[repr(C, align(16))]
struct Arena(UnsafeCell<[u8; ARENA]>);

// SAFETY: the bytes are only handed out in disjoint blocks, reserved with
// an atomic compare-and-swap on TOP; nobody else touches them.
unsafe impl Sync for Arena {}

static MEMORY: Arena = Arena(UnsafeCell::new([0; ARENA]));
/// Offset of the first free byte of the arena.
static TOP: AtomicUsize = AtomicUsize::new(0);

/// The allocator installed for s6box.
pub struct BumpThenMalloc;

fn base() -> usize {
    MEMORY.0.get() as usize
}

fn in_arena(p: *mut u8) -> bool {
    (base()..base() + ARENA).contains(&(p as usize))
}

/// `reserve(layout)`: a block of the arena, or null if it does not fit.
fn reserve(layout: Layout) -> *mut u8 {
    if layout.size() > SMALL || layout.align() > 4096 {
        return std::ptr::null_mut();
    }
    let mut top = TOP.load(Ordering::Relaxed);
    loop {
        let start = (base() + top).next_multiple_of(layout.align()) - base();
        let end = start + layout.size();
        if end > ARENA {
            return std::ptr::null_mut();
        }
        match TOP.compare_exchange_weak(top, end, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return (base() + start) as *mut u8,
            Err(now) => top = now,
        }
    }
}

/// `release(p, size)`: gives back the arena block `p` if it is the last
/// one handed out (otherwise it stays used).
fn release(p: *mut u8, size: usize) {
    let start = p as usize - base();
    let _ = TOP.compare_exchange(start + size, start, Ordering::Relaxed, Ordering::Relaxed);
}

/// `resize_last(p, old, new)`: grows or shrinks the arena block `p` in
/// place if it is the last one handed out and the arena has room.
fn resize_last(p: *mut u8, old: usize, new: usize) -> bool {
    let start = p as usize - base();
    start + new <= ARENA
        && TOP
            .compare_exchange(start + old, start + new, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

// SAFETY: blocks from the arena are disjoint, aligned as asked (start is
// rounded up to layout.align()) and at least layout.size() long; a block is
// given back (TOP moved down to its start) only by its own dealloc, and only
// when nothing was handed out after it, so live blocks never overlap.
// Everything else is malloc's, and goes back to it.
unsafe impl GlobalAlloc for BumpThenMalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = reserve(layout);
        if !p.is_null() {
            return p;
        }
        // SAFETY: the caller's layout has a non-zero size (GlobalAlloc rule).
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if in_arena(p) {
            release(p, layout.size());
        } else {
            // SAFETY: p came from System.alloc with this layout.
            unsafe { System.dealloc(p, layout) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !in_arena(p) {
            // SAFETY: p came from System with this layout; the caller
            // guarantees new_size is valid for layout.align().
            return unsafe { System.realloc(p, layout, new_size) };
        }
        if new_size <= SMALL && resize_last(p, layout.size(), new_size) {
            return p;
        }
        // SAFETY: same alignment, new_size valid (caller's guarantee).
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: new has a non-zero size.
        let q = unsafe { self.alloc(new) };
        if !q.is_null() {
            // SAFETY: both blocks are at least min(old, new) long and disjoint
            // (q is a fresh block).
            unsafe { std::ptr::copy_nonoverlapping(p, q, layout.size().min(new_size)) };
            release(p, layout.size());
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_disjoint_and_fall_back() {
        let a = BumpThenMalloc;
        // Live blocks: (address, size, align).
        let mut live: Vec<(usize, usize, usize)> = Vec::new();
        for (size, align) in [(1, 1), (24, 8), (3, 1), (64, 64), (16, 16), (5000, 8), (100, 4096)] {
            let l = Layout::from_size_align(size, align).unwrap();
            // SAFETY: non-zero sizes; each block is freed below with its layout.
            let p = unsafe { a.alloc(l) };
            assert!(!p.is_null());
            assert_eq!(p as usize % align, 0);
            assert_eq!(in_arena(p), size <= SMALL, "size {size}");
            // SAFETY: p is valid for `size` bytes.
            unsafe { p.write_bytes(0xa5, size) };
            // SAFETY: p came from a.alloc(l).
            let q = unsafe { a.realloc(p, l, size * 3) };
            assert_eq!(q as usize % align, 0);
            // SAFETY: q is valid for size*3 bytes and kept the first `size`.
            assert!(unsafe { std::slice::from_raw_parts(q, size) }.iter().all(|&b| b == 0xa5));
            for &(s, n, _) in &live {
                assert!(q as usize + size * 3 <= s || s + n <= q as usize, "overlap");
            }
            live.push((q as usize, size * 3, align));
        }
        // Freed last first: each is the arena's last block in turn.
        for &(q, n, align) in live.iter().rev() {
            // SAFETY: q came from a.realloc with this size and alignment.
            unsafe { a.dealloc(q as *mut u8, Layout::from_size_align(n, align).unwrap()) };
        }
    }
}
