//! The s6box executable: a C-ABI `main`, so that nothing of Rust's runtime
//! start-up (SIGPIPE set to ignored, standard descriptors reopened) runs
//! before an applet. Everything else is in the library.
#![no_main]

#[global_allocator]
static ALLOC: s6box::alloc::BumpThenMalloc = s6box::alloc::BumpThenMalloc;

/// `main(argc, argv)`: hands the raw command line to the dispatcher.
///
/// # Safety
/// Called only by the C runtime, with the process's own argc and argv.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: argc and argv come from the C runtime: argv holds argc valid
    // NUL-terminated strings followed by a null pointer, alive until exit.
    let args = unsafe { s6box::argv::Argv::from_raw(argc, argv) };
    s6box::dispatch::run(args)
}
