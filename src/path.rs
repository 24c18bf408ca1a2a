//! Paths built from a directory named on a command line: `dir/name`, as
//! bytes (a path need not be UTF-8).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// `join_bytes(dir, name)`: `dir/name`. The slash is always added, as s6
/// does (`dir/` gives `dir//name`, the same file).
pub fn join_bytes(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(dir.len() + 1 + name.len());
    p.extend_from_slice(dir);
    p.push(b'/');
    p.extend_from_slice(name);
    p
}

/// `join(dir, name)`: `join_bytes` for a directory given as an `OsStr`.
pub fn join(dir: &OsStr, name: impl AsRef<[u8]>) -> OsString {
    OsString::from_vec(join_bytes(dir.as_bytes(), name.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined() {
        assert_eq!(join(OsStr::new("sv"), "supervise/status"), "sv/supervise/status");
        assert_eq!(join_bytes(b"sv/", b"log"), b"sv//log");
    }
}
