//! `supervise/death_tally`: one 14-byte record per death of the service,
//! oldest first: the TAI64N stamp of the death (12 bytes), the exit code
//! or 128+signal (1 byte), the signal or 0 (1 byte). At most
//! `max-death-tally` records (default 100, at most 4096), replaced
//! atomically.

use crate::tai::Tain;
use crate::{file, path};
use rustix::io::Errno;
use std::ffi::OsStr;

/// The size of one record.
pub const LEN: usize = 14;
/// The file's path relative to the service directory.
pub const PATH: &str = "supervise/death_tally";
/// The default number of records kept.
pub const DEFAULT_MAX: u64 = 100;
/// The most records ever kept.
pub const MAX: u64 = 4096;

/// One death.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Death {
    /// When it died.
    pub stamp: Tain,
    /// Exit code, or 128 + signal.
    pub code: u8,
    /// The killing signal, or 0.
    pub sig: u8,
}

impl Death {
    /// `of_wstat(stamp, wstat)`: the record for a raw wait status.
    pub fn of_wstat(stamp: Tain, wstat: i32) -> Death {
        let sig = wstat & 0x7f;
        if sig != 0 {
            Death { stamp, code: (128 + sig).min(255) as u8, sig: sig as u8 }
        } else {
            Death { stamp, code: ((wstat >> 8) & 0xff) as u8, sig: 0 }
        }
    }

    /// `encode()`: the 14 wire bytes.
    pub fn encode(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[..12].copy_from_slice(&self.stamp.pack());
        b[12] = self.code;
        b[13] = self.sig;
        b
    }

    /// `decode(b)`: the record in the first 14 bytes of `b`.
    pub fn decode(b: &[u8]) -> Option<Death> {
        (b.len() >= LEN).then(|| Death { stamp: Tain::unpack(b), code: b[12], sig: b[13] })
    }
}

/// `decode_all(b)`: every whole record in `b` (a trailing partial one is
/// ignored).
pub fn decode_all(b: &[u8]) -> Vec<Death> {
    b.chunks_exact(LEN).filter_map(Death::decode).collect()
}

/// `read(path)`: the records of the tally file at `path`.
pub fn read(path: &OsStr) -> Result<Vec<Death>, Errno> {
    let b = file::read_small(path, (MAX as usize) * LEN)?;
    Ok(decode_all(&b))
}

/// `read_dir(servicedir)`: the records of the service in `servicedir`.
pub fn read_dir(servicedir: &OsStr) -> Result<Vec<Death>, Errno> {
    read(&path::join(servicedir, PATH))
}

/// `append(path, death, max)`: adds a record, keeping the newest `max`,
/// and replaces the file atomically. With `max` 0 the file is emptied.
pub fn append(path: &OsStr, death: &Death, max: u64) -> Result<(), Errno> {
    let max = max.min(MAX) as usize;
    // Only the newest max - 1 records are read (a supervisor appends at
    // every death: no buffer larger than what is kept).
    let mut b = match newest(path, max.saturating_sub(1) * LEN) {
        Ok(b) => b,
        Err(Errno::NOENT) => Vec::new(),
        Err(e) => return Err(e),
    };
    if max > 0 {
        b.extend_from_slice(&death.encode());
    }
    file::replace(path, &b)
}

/// `newest(path, bytes)`: the last whole records of the file, at most
/// `bytes` of them.
fn newest(path: &OsStr, bytes: usize) -> Result<Vec<u8>, Errno> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    let size = rustix::fs::fstat(&fd)?.st_size.max(0) as usize;
    let whole = size - size % LEN;
    let start = whole - whole.min(bytes);
    let mut b = vec![0u8; whole - start];
    let mut got = 0;
    while got < b.len() {
        match rustix::io::pread(&fd, &mut b[got..], (start + got) as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    b.truncate(got - got % LEN);
    Ok(b)
}

/// `clear(path)`: empties the tally atomically: a new empty file when
/// there is none (one creation: a reader sees no file or an empty one),
/// else a replacement.
pub fn clear(path: &OsStr) -> Result<(), Errno> {
    file::create_empty(path).or_else(|_| file::replace(path, b""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from 2.15: a death by SIGKILL.
    const REF_KILL: [u8; LEN] =
        [0x40, 0, 0, 0, 0x6b, 0x0c, 0xfc, 0x35, 0x03, 0xac, 0xbe, 0x31, 0x89, 0x09];

    #[test]
    fn records() {
        let d = Death::decode(&REF_KILL).unwrap();
        assert_eq!((d.code, d.sig), (137, 9));
        assert_eq!(d.encode(), REF_KILL);
        assert_eq!(Death::of_wstat(d.stamp, 9), d);
        let e = Death::of_wstat(d.stamp, 3 << 8);
        assert_eq!((e.code, e.sig), (3, 0));
        let core = Death::of_wstat(d.stamp, 0x80 | 11);
        assert_eq!((core.code, core.sig), (139, 11));
        assert_eq!(decode_all(&[REF_KILL.as_slice(), &REF_KILL[..5]].concat()).len(), 1);
    }

    #[test]
    fn append_keeps_the_newest() {
        let dir = std::env::temp_dir().join(format!("s6box-tally-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("death_tally");
        let p = path.as_os_str();
        let d = Death::decode(&REF_KILL).unwrap();
        for code in 1..=5u8 {
            append(p, &Death { code, ..d }, 3).unwrap();
        }
        let codes: Vec<u8> = read(p).unwrap().iter().map(|d| d.code).collect();
        assert_eq!(codes, [3, 4, 5]);
        append(p, &Death { code: 6, ..d }, 1).unwrap();
        assert_eq!(read(p).unwrap().iter().map(|d| d.code).collect::<Vec<_>>(), [6]);
        append(p, &Death { code: 7, ..d }, 0).unwrap();
        assert!(read(p).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
