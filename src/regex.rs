//! POSIX extended regular expressions through the C library's
//! regcomp/regexec, the dialect s6 uses for s6-log's selections and the
//! event regexps of the fifodir listeners. Patterns and subjects are bytes.

use std::ffi::CString;

/// A compiled ERE.
pub struct Regex {
    re: Box<libc::regex_t>,
    /// A pattern without special characters (but `^` first or `$` last):
    /// a plain byte search gives regexec's answer, much faster.
    literal: Option<Literal>,
}

struct Literal {
    text: Vec<u8>,
    start: bool,
    end: bool,
}

impl Literal {
    fn of(pattern: &[u8]) -> Option<Literal> {
        let (start, p) = match pattern.split_first() {
            Some((b'^', rest)) => (true, rest),
            _ => (false, pattern),
        };
        let (end, p) = match p.split_last() {
            Some((b'$', rest)) => (true, rest),
            _ => (false, p),
        };
        if p.iter().any(|c| b".[]()*+?{}|^$\\".contains(c)) {
            return None;
        }
        Some(Literal { text: p.to_vec(), start, end })
    }

    fn matches(&self, h: &[u8]) -> bool {
        let n = &self.text[..];
        match (self.start, self.end) {
            (true, true) => h == n,
            (true, false) => h.starts_with(n),
            (false, true) => h.ends_with(n),
            (false, false) => find(h, n),
        }
    }
}

/// `find(h, n)`: `n` occurs in `h`.
fn find(h: &[u8], n: &[u8]) -> bool {
    let Some(&first) = n.first() else { return true };
    let mut i = 0;
    while let Some(p) = h[i..].iter().position(|&c| c == first) {
        let at = i + p;
        if h.len() - at < n.len() {
            return false;
        }
        if &h[at..at + n.len()] == n {
            return true;
        }
        i = at + 1;
    }
    false
}

impl Regex {
    /// `new(pattern)`: compiles `pattern` as an ERE (`None` if invalid or
    /// if it holds a NUL byte).
    pub fn new(pattern: &[u8]) -> Option<Regex> {
        Regex::compile(pattern).ok()
    }

    /// `compile(pattern)`: as `new`, the failure being the C library's
    /// text for it (regerror; a NUL byte reads as an invalid pattern).
    pub fn compile(pattern: &[u8]) -> Result<Regex, Vec<u8>> {
        let Ok(pat) = CString::new(pattern) else {
            return Err(b"Invalid regular expression".to_vec());
        };
        // SAFETY: regex_t is plain data that regcomp initialises; a zeroed
        // one is a valid place for it to write.
        let mut re: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: `re` points to writable memory of the right type, `pat`
        // is NUL-terminated and outlives the call.
        let r =
            unsafe { libc::regcomp(&mut *re, pat.as_ptr(), libc::REG_EXTENDED | libc::REG_NOSUB) };
        if r == 0 {
            return Ok(Regex { re, literal: Literal::of(pattern) });
        }
        let mut text = [0u8; 128];
        // SAFETY: regerror writes at most `text.len()` bytes, NUL included,
        // describing error `r` of the (failed) compilation in `re`.
        let n = unsafe { libc::regerror(r, &*re, text.as_mut_ptr().cast(), text.len()) };
        let end = n.min(text.len()).saturating_sub(1);
        Err(text[..end].to_vec())
    }

    /// `matches(subject)`: the ERE matches somewhere in `subject` (which
    /// is cut at its first NUL byte, as C strings are).
    pub fn matches(&self, subject: &[u8]) -> bool {
        if self.literal.is_some() {
            return self.matches_with(subject, &mut Vec::new());
        }
        let end = subject.iter().position(|&c| c == 0).unwrap_or(subject.len());
        let mut buf = Vec::with_capacity(end + 1);
        buf.extend_from_slice(&subject[..end]);
        buf.push(0);
        // SAFETY: `re` was compiled by regcomp; `buf` is NUL-terminated;
        // REG_NOSUB with nmatch 0 writes no match array.
        unsafe { libc::regexec(&*self.re, buf.as_ptr().cast(), 0, std::ptr::null_mut(), 0) == 0 }
    }

    /// `matches_with(subject, scratch)`: as `matches`, with a buffer
    /// kept by the caller for the NUL-terminated copy regexec needs.
    pub fn matches_with(&self, subject: &[u8], scratch: &mut Vec<u8>) -> bool {
        let end = subject.iter().position(|&c| c == 0).unwrap_or(subject.len());
        if let Some(l) = &self.literal {
            return l.matches(&subject[..end]);
        }
        scratch.clear();
        scratch.extend_from_slice(&subject[..end]);
        scratch.push(0);
        // SAFETY: `re` was compiled by regcomp; `scratch` is NUL-terminated;
        // REG_NOSUB with nmatch 0 writes no match array.
        unsafe {
            libc::regexec(&*self.re, scratch.as_ptr().cast(), 0, std::ptr::null_mut(), 0) == 0
        }
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
        assert!(!Regex::compile(b"a(").err().unwrap().is_empty());
        assert!(Regex::new(b"a\0b").is_none());
        assert!(Regex::new(b"").unwrap().matches(b""));
    }

    #[test]
    fn literals_agree_with_regexec() {
        let pats: &[&[u8]] = &[
            b"",
            b"^",
            b"$",
            b"^$",
            b"warn",
            b"^warn",
            b"ok$",
            b"^ok$",
            b"a b",
            b"7 ms ok$",
            b"x\xff",
        ];
        let subjects: &[&[u8]] = &[
            b"",
            b"warn",
            b"a warn b",
            b"ok",
            b"ok ok",
            b"7 ms ok",
            b"x 7 ms ok",
            b"a b",
            b"wa\0warn",
            b"\xffx",
        ];
        for p in pats {
            let lit = Regex::new(p).unwrap();
            assert!(lit.literal.is_some(), "{p:?}");
            let mut slow = Regex::new(p).unwrap();
            slow.literal = None;
            for s in subjects {
                assert_eq!(lit.matches(s), slow.matches(s), "{p:?} on {s:?}");
            }
        }
        assert!(Regex::new(b"a.b").unwrap().literal.is_none());
    }
}
