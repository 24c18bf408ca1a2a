//! Changing the environment that `exec` hands to the program, without the
//! C library's setenv. The first change copies the inherited variable
//! array into s6box's own memory and installs the copy as `environ`, so
//! getenv, `std::env::var_os` and `execv` all see every change.
//!
//! Why: musl's setenv allocates with malloc, whose first use costs four
//! system calls and three new mappings, about 25 µs of an s6-envdir exec
//! hop (bench/process-state.sh); s6box's allocator serves these few bytes
//! from its arena (src/alloc.rs).

use std::ffi::{CStr, OsStr, c_char};
use std::os::unix::ffi::OsStrExt;
use std::sync::Mutex;

/// The installed array: "NAME=VALUE" C strings, then a null pointer.
struct Vars(Vec<*const c_char>);

// SAFETY: the pointers are to strings that live until exit (the inherited
// ones, and the leaked ones `set` makes); the Mutex serialises access.
unsafe impl Send for Vars {}

static VARS: Mutex<Option<Vars>> = Mutex::new(None);

#[cfg(not(any(target_os = "macos", target_os = "ios")))]
fn environ_slot() -> *mut *const *const c_char {
    unsafe extern "C" {
        static mut environ: *const *const c_char;
    }
    &raw mut environ
}

#[cfg(any(target_os = "macos", target_os = "ios"))]
fn environ_slot() -> *mut *const *const c_char {
    // SAFETY: _NSGetEnviron returns the address of the process's environ.
    unsafe { libc::_NSGetEnviron().cast() }
}

/// Runs `f` on the variables (without the final null), then installs them.
fn change(f: impl FnOnce(&mut Vec<*const c_char>)) {
    let mut vars = VARS.lock().unwrap_or_else(|p| p.into_inner());
    let vars = vars.get_or_insert_with(|| {
        let mut v = Vec::new();
        // SAFETY: environ is null or a null-terminated array of valid C
        // strings (the C runtime's, or one we installed).
        unsafe {
            let mut p = *environ_slot();
            while !p.is_null() && !(*p).is_null() {
                v.push(*p);
                p = p.add(1);
            }
        }
        v.push(std::ptr::null());
        Vars(v)
    });
    vars.0.pop();
    f(&mut vars.0);
    vars.0.push(std::ptr::null());
    // SAFETY: the array is null-terminated and its strings live until exit;
    // no other thread reads the environment (the only thread s6box ever
    // starts, s6-setlock -t's lock waiter in src/lock.rs, never does).
    unsafe { *environ_slot() = vars.0.as_ptr() };
}

/// `for_each(f)`: calls `f` on every `NAME=VALUE` entry of the
/// environment as it is now, in order, without copying any (`f` must not
/// change the environment).
pub fn for_each(mut f: impl FnMut(&[u8])) {
    let _vars = VARS.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY: environ is null or a null-terminated array of valid C
    // strings (the C runtime's, or one we installed), and nothing changes
    // it while the lock is held.
    unsafe {
        let mut p = *environ_slot();
        while !p.is_null() && !(*p).is_null() {
            f(CStr::from_ptr(*p).to_bytes());
            p = p.add(1);
        }
    }
}

/// Whether the C string `entry` ("NAME=VALUE") is the variable `name`.
fn is(entry: *const c_char, name: &[u8]) -> bool {
    // SAFETY: every entry is a valid C string (see `change`).
    let e = unsafe { CStr::from_ptr(entry) }.to_bytes();
    e.len() > name.len() && e.starts_with(name) && e[name.len()] == b'='
}

/// `set(name, value)`: sets `name` (no `=`, no NUL) to `value` for the
/// program; a value is cut at its first NUL, which C strings cannot hold.
pub fn set(name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) {
    let name = name.as_ref().as_bytes();
    let value = value.as_ref().as_bytes();
    let value = value.split(|&c| c == 0).next().unwrap_or(value);
    let mut entry = Vec::with_capacity(name.len() + value.len() + 2);
    entry.extend_from_slice(name);
    entry.push(b'=');
    entry.extend_from_slice(value);
    entry.push(0);
    // Leaked on purpose: the array points to it until exec or exit.
    let entry: &'static [u8] = Box::leak(entry.into_boxed_slice());
    change(|vars| {
        vars.retain(|&e| !is(e, name));
        vars.push(entry.as_ptr().cast());
    });
}

/// `unset(name)`: removes `name` from the program's environment.
pub fn unset(name: impl AsRef<OsStr>) {
    let name = name.as_ref().as_bytes();
    change(|vars| vars.retain(|&e| !is(e, name)));
}

/// `name_of(entry)`: the NAME of a "NAME=VALUE" entry (all of it when it
/// has no `=`).
fn name_of<'a>(entry: *const c_char) -> &'a [u8] {
    // SAFETY: every entry is a valid C string that lives until exit (see
    // `change`).
    let e = unsafe { CStr::from_ptr(entry) }.to_bytes();
    e.split(|&c| c == b'=').next().unwrap_or(e)
}

/// `heapsort(v)`: sorts `v` in O(n log n) with little code (the standard
/// library's sort costs about 8 KiB of binary per element type here).
fn heapsort<T: Ord>(v: &mut [T]) {
    fn sift<T: Ord>(v: &mut [T], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && v[child] < v[child + 1] {
                child += 1;
            }
            if v[root] >= v[child] {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(v, 0, end);
    }
}

/// `apply(changes)`: sets (`Some(value)`) or unsets (`None`) every named
/// variable at once, the last change to a name winning: one pass over the
/// environment and a binary search per variable, so O((n + m) log m) for
/// n variables and m changes, where `set`/`unset` one by one would be
/// O(n·m). Names have no `=` and no NUL; a value is cut at its first NUL.
pub fn apply(changes: &[(&[u8], Option<&[u8]>)]) {
    // The last change of each name, by name.
    let mut last: Vec<(&[u8], usize)> =
        changes.iter().enumerate().map(|(i, &(name, _))| (name, i)).collect();
    heapsort(&mut last);
    let mut kept: Vec<usize> = Vec::with_capacity(last.len());
    for (k, &(name, i)) in last.iter().enumerate() {
        if last.get(k + 1).is_none_or(|&(next, _)| next != name) {
            kept.push(i);
        }
    }
    last.dedup_by(|a, b| a.0 == b.0);
    let names: Vec<&[u8]> = last.into_iter().map(|(name, _)| name).collect();
    heapsort(&mut kept);
    // Every new "NAME=VALUE\0" in one buffer, leaked on purpose: the
    // array points into it until exec or exit.
    let mut buf = Vec::new();
    let mut starts = Vec::new();
    for &i in &kept {
        if let (name, Some(value)) = changes[i] {
            let value = value.split(|&c| c == 0).next().unwrap_or(value);
            starts.push(buf.len());
            buf.extend_from_slice(name);
            buf.push(b'=');
            buf.extend_from_slice(value);
            buf.push(0);
        }
    }
    let buf: &'static [u8] = Box::leak(buf.into_boxed_slice());
    change(|vars| {
        vars.retain(|&e| names.binary_search(&name_of(e)).is_err());
        vars.extend(starts.iter().map(|&s| buf[s..].as_ptr().cast::<c_char>()));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    // Changing the real environment here would race the other unit tests
    // (the harness runs them in threads); the integration tests check what
    // programs see (tests/s6_envdir.rs compares it with Debian's s6-envdir).
    #[test]
    fn heapsort_sorts() {
        let mut v: Vec<u32> = (0..1000).map(|i| (i * 7919) % 1009).collect();
        let mut w = v.clone();
        heapsort(&mut v);
        w.sort();
        assert_eq!(v, w);
        let mut e: [u8; 0] = [];
        heapsort(&mut e);
        let mut one = [5];
        heapsort(&mut one);
        assert_eq!(one, [5]);
    }

    #[test]
    fn entries_match_by_exact_name() {
        let e = c"PATH=/bin".as_ptr();
        assert!(is(e, b"PATH"));
        assert!(!is(e, b"PAT"));
        assert!(!is(e, b"PATH="));
        assert!(!is(e, b"PATHX"));
        assert!(is(c"EMPTY=".as_ptr(), b"EMPTY"));
        assert!(!is(c"NOEQUALS".as_ptr(), b"NOEQUALS"));
    }
}
