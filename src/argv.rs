//! The command line as the kernel gave it: borrowed C strings, never copied,
//! so that the tail can be handed to `execv` as it is.

use std::ffi::{CStr, OsStr};
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;

/// A slice of a null-terminated `argv` array: `len` strings, then a null.
#[derive(Clone, Copy)]
pub struct Argv {
    ptr: *const *const c_char,
    len: usize,
}

impl Argv {
    /// `from_raw(argc, argv)`: wraps the process's own argument vector.
    ///
    /// # Safety
    /// `argv` must point to `argc` valid NUL-terminated strings followed by a
    /// null pointer, all living for the rest of the process.
    pub unsafe fn from_raw(argc: libc::c_int, argv: *const *const c_char) -> Argv {
        let len = if argv.is_null() { 0 } else { argc.max(0) as usize };
        Argv { ptr: argv, len }
    }

    /// `len()`: the number of arguments.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `is_empty()`: whether there is no argument at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `get(i)`: argument `i` as a C string.
    pub fn get(&self, i: usize) -> &'static CStr {
        assert!(i < self.len);
        // SAFETY: i < len, and from_raw's contract makes every pointer below
        // len a valid NUL-terminated string living for the whole process.
        unsafe { CStr::from_ptr(*self.ptr.add(i)) }
    }

    /// `os(i)`: argument `i` as bytes in an `OsStr`.
    pub fn os(&self, i: usize) -> &'static OsStr {
        OsStr::from_bytes(self.get(i).to_bytes())
    }

    /// `skip(n)`: the arguments from `n` on, still null-terminated.
    pub fn skip(&self, n: usize) -> Argv {
        let n = n.min(self.len);
        // SAFETY: n <= len, so the result stays inside the same array, whose
        // terminating null pointer is unchanged.
        Argv { ptr: unsafe { self.ptr.add(n) }, len: self.len - n }
    }

    /// `as_ptr()`: the null-terminated pointer array, for `execv`.
    pub fn as_ptr(&self) -> *const *const c_char {
        self.ptr
    }

    /// `iter()`: the arguments as `OsStr`s.
    pub fn iter(&self) -> impl Iterator<Item = &'static OsStr> + '_ {
        (0..self.len).map(|i| self.os(i))
    }
}

/// An owned argument vector, for applets that build a command line.
pub struct OwnedArgv {
    _strings: Vec<std::ffi::CString>,
    ptrs: Vec<*const c_char>,
}

impl OwnedArgv {
    /// `new(args)`: copies `args` into C strings (an interior NUL is cut there).
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> OwnedArgv {
        let strings: Vec<std::ffi::CString> = args
            .into_iter()
            .map(|a| {
                let b = a.as_ref().as_bytes();
                let b = b.split(|&c| c == 0).next().unwrap_or(b);
                std::ffi::CString::new(b).unwrap_or_default()
            })
            .collect();
        let mut ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        OwnedArgv { _strings: strings, ptrs }
    }

    /// `argv()`: a borrowed view, valid while `self` lives.
    pub fn argv(&self) -> Argv {
        Argv { ptr: self.ptrs.as_ptr(), len: self.ptrs.len() - 1 }
    }
}
