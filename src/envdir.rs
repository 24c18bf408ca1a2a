//! Reading an s6-envdir: one variable per file, named after it, valued
//! by the file's first line (or, `verbatim`, all of it); an empty file
//! unsets. Shared by s6-envdir and the access rules' `env/` directories.

use rustix::fd::OwnedFd;
use rustix::fs::{Dir, Mode, OFlags, open, openat};
use rustix::io::Errno;
use std::ffi::{CStr, OsString};
use std::os::unix::ffi::OsStringExt;

/// Without `-L`, only this many bytes of each file are read.
/// (s6 keeps 4095: doc/s6-envdir.md.)
pub const CLAMP: usize = 4096;

/// How the files are turned into values.
pub struct Rules {
    /// `-f`: the whole file, not its first line.
    pub verbatim: bool,
    /// `-n`: keep trailing blanks (first-line mode) or the final newline (`-f`).
    pub keep_tail: bool,
    /// `-L`: no clamp.
    pub unlimited: bool,
    /// What a NUL byte becomes.
    pub nul: u8,
}

/// `read_raw(file, rules)`: the bytes the value is made from: the first
/// `CLAMP` bytes, or (`-L`) up to the end of the first line, or (`-fL`) the
/// whole file. Reading stops early at a newline when only the first line
/// is wanted.
fn read_raw(file: &OwnedFd, rules: &Rules) -> Result<Vec<u8>, Errno> {
    let limit = if rules.unlimited { usize::MAX } else { CLAMP };
    let mut buf = Vec::new();
    let mut chunk = [0u8; CLAMP];
    while buf.len() < limit {
        let want = (limit - buf.len()).min(CLAMP);
        let n = match rustix::io::read(file, &mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
        if !rules.verbatim && chunk[..n].contains(&b'\n') {
            break;
        }
    }
    Ok(buf)
}

/// `value(raw, rules)`: the variable's value from a non-empty file's bytes:
/// the first line without trailing spaces, tabs and carriage returns, or
/// (`-f`) the whole file without one final newline; then NULs translated.
fn value(mut raw: Vec<u8>, rules: &Rules) -> Vec<u8> {
    if rules.verbatim {
        if !rules.keep_tail && raw.last() == Some(&b'\n') {
            raw.pop();
        }
    } else {
        if let Some(end) = raw.iter().position(|&c| c == b'\n') {
            raw.truncate(end);
        }
        if !rules.keep_tail {
            // s6 counts a carriage return as a trailing blank too (its page
            // names only spaces and tabs): a CRLF file gives the same value.
            let blank = |c: &u8| matches!(c, b' ' | b'\t' | b'\r');
            let end = raw.iter().rposition(|c| !blank(c)).map_or(0, |i| i + 1);
            raw.truncate(end);
        }
    }
    for c in raw.iter_mut().filter(|c| **c == 0) {
        *c = rules.nul;
    }
    raw
}

/// `wanted(name)`: whether a directory entry names a variable: no leading
/// dot, no `=`.
fn wanted(name: &[u8]) -> bool {
    !name.is_empty() && name[0] != b'.' && !name.contains(&b'=')
}

/// Every (name, value) a directory asks for, `None` meaning "unset".
pub type Changes = Vec<(OsString, Option<Vec<u8>>)>;

/// `read(dir, rules, strict)`: what `dir` asks for; nothing when it does
/// not exist and `strict` is off. Every descriptor opened here is
/// close-on-exec and closed on return.
pub fn read(dir: &CStr, rules: &Rules, strict: bool) -> Result<Changes, Errno> {
    let mut out = Vec::new();
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let fd = match open(dir, flags, Mode::empty()) {
        Err(Errno::NOENT) if !strict => return Ok(out),
        r => r?,
    };
    let mut entries = Dir::new(fd)?;
    while let Some(entry) = entries.read() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if !wanted(name) {
            continue;
        }
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
        let file = openat(entries.fd()?, entry.file_name(), flags, Mode::empty())?;
        let raw = read_raw(&file, rules)?;
        let v = if raw.is_empty() { None } else { Some(value(raw, rules)) };
        out.push((OsString::from_vec(name.to_vec()), v));
    }
    Ok(out)
}

impl Rules {
    /// `PLAIN`: s6-envdir without options (first line, trimmed, clamped,
    /// NUL read as newline), the access rules' `env/` format.
    pub const PLAIN: Rules =
        Rules { verbatim: false, keep_tail: false, unlimited: false, nul: b'\n' };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(verbatim: bool, keep_tail: bool) -> Rules {
        Rules { verbatim, keep_tail, unlimited: false, nul: b'\n' }
    }

    #[test]
    fn first_line_trimmed() {
        assert_eq!(value(b"a b \t\nsecond\n".to_vec(), &rules(false, false)), b"a b");
        assert_eq!(value(b"a b \t\nsecond\n".to_vec(), &rules(false, true)), b"a b \t");
        assert_eq!(value(b"  \t\n".to_vec(), &rules(false, false)), b"");
        assert_eq!(value(b"\n".to_vec(), &rules(false, false)), b"");
        assert_eq!(value(b"a\rb \r\t\r\n".to_vec(), &rules(false, false)), b"a\rb");
        assert_eq!(value(b"a\r\n".to_vec(), &rules(false, true)), b"a\r");
        assert_eq!(value(b"a\r\n".to_vec(), &rules(true, false)), b"a\r");
    }

    #[test]
    fn nul_translated_after_trim() {
        assert_eq!(value(b"a\0\0b  \0 \n".to_vec(), &rules(false, false)), b"a\n\nb  \n");
    }

    #[test]
    fn verbatim() {
        assert_eq!(value(b"a\n\n".to_vec(), &rules(true, false)), b"a\n");
        assert_eq!(value(b"a\n\n".to_vec(), &rules(true, true)), b"a\n\n");
        assert_eq!(value(b"a  ".to_vec(), &rules(true, false)), b"a  ");
    }

    #[test]
    fn names() {
        assert!(wanted(b"A"));
        assert!(!wanted(b".A"));
        assert!(!wanted(b"X=Y"));
        assert!(!wanted(b""));
    }
}
