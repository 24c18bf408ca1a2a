//! POSIX extended regular expressions through the C library's
//! regcomp/regexec, the dialect s6 uses for s6-log's selections and the
//! event regexps of the fifodir listeners. Patterns and subjects are bytes.

use std::ffi::CString;

/// A compiled ERE.
pub struct Regex {
    re: Box<libc::regex_t>,
}

impl Regex {
    /// `new(pattern)`: compiles `pattern` as an ERE (`None` if invalid or
    /// if it holds a NUL byte).
    pub fn new(pattern: &[u8]) -> Option<Regex> {
        let pat = CString::new(pattern).ok()?;
        // SAFETY: regex_t is plain data that regcomp initialises; a zeroed
        // one is a valid place for it to write.
        let mut re: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: `re` points to writable memory of the right type, `pat`
        // is NUL-terminated and outlives the call.
        let r =
            unsafe { libc::regcomp(&mut *re, pat.as_ptr(), libc::REG_EXTENDED | libc::REG_NOSUB) };
        (r == 0).then_some(Regex { re })
    }

    /// `matches(subject)`: the ERE matches somewhere in `subject` (which
    /// is cut at its first NUL byte, as C strings are).
    pub fn matches(&self, subject: &[u8]) -> bool {
        let end = subject.iter().position(|&c| c == 0).unwrap_or(subject.len());
        let mut buf = Vec::with_capacity(end + 1);
        buf.extend_from_slice(&subject[..end]);
        buf.push(0);
        // SAFETY: `re` was compiled by regcomp; `buf` is NUL-terminated;
        // REG_NOSUB with nmatch 0 writes no match array.
        unsafe { libc::regexec(&*self.re, buf.as_ptr().cast(), 0, std::ptr::null_mut(), 0) == 0 }
    }

    /// `matches_cstr(subject)`: as `matches`, for a subject already
    /// NUL-terminated (no copy).
    pub fn matches_cstr(&self, subject: &std::ffi::CStr) -> bool {
        // SAFETY: `re` was compiled by regcomp; `subject` is NUL-terminated;
        // REG_NOSUB with nmatch 0 writes no match array.
        unsafe { libc::regexec(&*self.re, subject.as_ptr(), 0, std::ptr::null_mut(), 0) == 0 }
    }
}

impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: `re` was successfully compiled by regcomp and is freed
        // once.
        unsafe { libc::regfree(&mut *self.re) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_syntax() {
        let re = Regex::new(b"^d*D$").unwrap();
        assert!(re.matches(b"dD"));
        assert!(re.matches(b"D"));
        assert!(!re.matches(b"udD"));
        assert!(Regex::new(b"a(b|c)+").unwrap().matches(b"xxabcb"));
        assert!(Regex::new(b"(").is_none());
        assert!(Regex::new(b"a\0b").is_none());
        assert!(Regex::new(b"").unwrap().matches(b""));
    }
}
