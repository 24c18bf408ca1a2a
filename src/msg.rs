//! Diagnostics in the skalibs format, one `write` per line on stderr:
//! `PROG: usage: ...`, `PROG: fatal: ...`, `PROG: warning: ...`.
//! The program name is set when an applet starts (a chain done in-process
//! may rename itself as the program whose part runs).

use crate::exitcode;
use rustix::io::Errno;
use std::sync::OnceLock;

static PROG: std::sync::Mutex<&'static str> = std::sync::Mutex::new("s6box");

/// `set_prog(name)`: names the running program in every later message.
pub fn set_prog(name: &'static str) {
    *PROG.lock().unwrap_or_else(|p| p.into_inner()) = name;
}

/// Words printed after the program name (`s6-supervise NAME: ...`).
static TAIL: OnceLock<Vec<u8>> = OnceLock::new();

/// `set_tail(words)`: from now on, messages start `PROG WORDS: ` (s6-supervise
/// names its service this way once it is in the service directory).
pub fn set_tail(words: &[u8]) {
    let _ = TAIL.set(words.to_vec());
}

/// `prog()`: the running program's name (`s6box` before an applet starts).
pub fn prog() -> &'static str {
    *PROG.lock().unwrap_or_else(|p| p.into_inner())
}

/// `errno()`: the error the last failed C library call left (EIO if it
/// left none, which a failed call never does).
pub fn errno() -> Errno {
    match std::io::Error::last_os_error().raw_os_error() {
        Some(n) if n != 0 => Errno::from_raw_os_error(n),
        _ => Errno::IO,
    }
}

/// `strerror(e)`: the C library's text for `e` (`No such file or directory`).
pub fn strerror(e: Errno) -> Vec<u8> {
    // SAFETY: strerror returns a pointer to a NUL-terminated string that
    // stays valid until the next strerror call; s6box is single-threaded and
    // the text is copied out at once.
    let text = unsafe { std::ffi::CStr::from_ptr(libc::strerror(e.raw_os_error())) };
    text.to_bytes().to_vec()
}

fn line(kind: &str, parts: &[&[u8]], err: Option<Errno>) {
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(prog().as_bytes());
    if let Some(t) = TAIL.get() {
        buf.push(b' ');
        buf.extend_from_slice(t);
    }
    buf.extend_from_slice(b": ");
    buf.extend_from_slice(kind.as_bytes());
    buf.extend_from_slice(b": ");
    for p in parts {
        buf.extend_from_slice(p);
    }
    if let Some(e) = err {
        buf.extend_from_slice(b": ");
        buf.extend_from_slice(&strerror(e));
    }
    buf.push(b'\n');
    write_all(fd(2), &buf);
}

/// `fd(n)`: borrows descriptor `n` (0, 1 or 2) for a write that may fail.
pub fn fd(n: i32) -> rustix::fd::BorrowedFd<'static> {
    // SAFETY: a closed or reused descriptor only makes the write fail or go
    // where the caller's standard descriptor now points, as in C; nothing
    // is closed through this borrow.
    unsafe { rustix::fd::BorrowedFd::borrow_raw(n) }
}

/// `write_all(fd, buf)`: `io::write_all`, errors dropped (nothing better
/// can be done with a failing stderr).
pub fn write_all(fd: impl rustix::fd::AsFd, buf: &[u8]) {
    let _ = crate::io::write_all(fd, buf);
}

/// `exit(code)`: ends the process now, without unwinding or flushing.
pub fn exit(code: i32) -> ! {
    std::process::exit(code)
}

/// `usage(line)`: `PROG: usage: LINE`, exit 100.
pub fn usage(usage_line: &str) -> ! {
    line("usage", &[usage_line.as_bytes()], None);
    exit(exitcode::USAGE)
}

/// `fatal(code, parts)`: `PROG: fatal: PARTS`, exit `code`.
pub fn fatal(code: i32, parts: &[&[u8]]) -> ! {
    line("fatal", parts, None);
    exit(code)
}

/// `fatal_sys(code, parts, e)`: `PROG: fatal: unable to PARTS: REASON`, exit `code`.
pub fn fatal_sys(code: i32, parts: &[&[u8]], e: Errno) -> ! {
    let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
    all.push(b"unable to ");
    all.extend_from_slice(parts);
    line("fatal", &all, Some(e));
    exit(code)
}

/// `warn(parts)`: `PROG: warning: PARTS`.
pub fn warn(parts: &[&[u8]]) {
    line("warning", parts, None);
}

/// `warn_sys(parts, e)`: `PROG: warning: unable to PARTS: REASON`.
pub fn warn_sys(parts: &[&[u8]], e: Errno) {
    let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
    all.push(b"unable to ");
    all.extend_from_slice(parts);
    line("warning", &all, Some(e));
}

/// `print_usage(line)`: the usage line on stdout, for `--help`.
pub fn print_usage(usage_line: &str) {
    let mut buf = Vec::with_capacity(usage_line.len() + 8);
    buf.extend_from_slice(b"usage: ");
    buf.extend_from_slice(usage_line.as_bytes());
    buf.push(b'\n');
    write_all(fd(1), &buf);
}
