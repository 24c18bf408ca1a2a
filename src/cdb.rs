//! D. J. Bernstein's constant database (cdb), the format of s6's rules
//! files: a 2048-byte header of 256 (table position, slot count) pairs,
//! the records (key length, data length, key, data), then the 256 hash
//! tables of (hash, record position) slots; every integer u32
//! little-endian. Reading is bounds-checked against the file's size: a
//! corrupt or hostile file gives `EINVAL`, never a panic, an out-of-bounds
//! read or an allocation larger than the file.

use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::ffi::CStr;

/// Size of the header: 256 pairs of u32.
const HEADER: u32 = 2048;

/// `hash(key)`: the cdb hash (h = 5381; h = (h * 33) ^ c, modulo 2^32).
pub fn hash(key: &[u8]) -> u32 {
    key.iter().fold(5381u32, |h, &c| (h << 5).wrapping_add(h) ^ u32::from(c))
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Random access to the bytes of a cdb, with its size.
trait Source {
    fn size(&self) -> u64;
    /// Fills `buf` from `pos`; `EINVAL` if that is past the end.
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<(), Errno>;
}

impl Source for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let start = usize::try_from(pos).map_err(|_| Errno::INVAL)?;
        let end = start.checked_add(buf.len()).ok_or(Errno::INVAL)?;
        buf.copy_from_slice(self.get(start..end).ok_or(Errno::INVAL)?);
        Ok(())
    }
}

/// `find_in(src, key)`: the data of the first record of `key`, if any.
fn find_in<S: Source + ?Sized>(src: &S, key: &[u8]) -> Result<Option<Vec<u8>>, Errno> {
    let size = src.size();
    let h = hash(key);
    let mut pair = [0u8; 8];
    src.read_at(u64::from(h & 255) * 8, &mut pair)?;
    let (table, slots) = (u64::from(u32_at(&pair, 0)), u64::from(u32_at(&pair, 4)));
    if slots == 0 {
        return Ok(None);
    }
    if table + slots * 8 > size {
        return Err(Errno::INVAL);
    }
    let mut slot = (u64::from(h >> 8)) % slots;
    let mut seen = Vec::new();
    for _ in 0..slots {
        src.read_at(table + slot * 8, &mut pair)?;
        let (sh, pos) = (u32_at(&pair, 0), u64::from(u32_at(&pair, 4)));
        if pos == 0 {
            return Ok(None);
        }
        if sh == h {
            src.read_at(pos, &mut pair)?;
            let (klen, dlen) = (u64::from(u32_at(&pair, 0)), u64::from(u32_at(&pair, 4)));
            if pos + 8 + klen + dlen > size {
                return Err(Errno::INVAL);
            }
            if klen == key.len() as u64 {
                seen.resize(key.len(), 0);
                src.read_at(pos + 8, &mut seen)?;
                if seen == key {
                    // Bounded by the file's size, checked above.
                    let mut data = vec![0u8; dlen as usize];
                    src.read_at(pos + 8 + klen, &mut data)?;
                    return Ok(Some(data));
                }
            }
        }
        slot = (slot + 1) % slots;
    }
    Ok(None)
}

/// `find(bytes, key)`: the data of `key` in a cdb held in memory.
pub fn find(bytes: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>, Errno> {
    find_in(bytes, key)
}

/// An open cdb file, read with `pread` (a lookup reads a few dozen bytes,
/// whatever the file's size).
pub struct File {
    fd: OwnedFd,
    size: u64,
}

impl Source for File {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, mut pos: u64, mut buf: &mut [u8]) -> Result<(), Errno> {
        if pos.checked_add(buf.len() as u64).is_none_or(|end| end > self.size) {
            return Err(Errno::INVAL);
        }
        while !buf.is_empty() {
            match rustix::io::pread(&self.fd, &mut *buf, pos) {
                // The file shrank under us.
                Ok(0) => return Err(Errno::INVAL),
                Ok(n) => {
                    buf = &mut buf[n..];
                    pos += n as u64;
                }
                Err(Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl File {
    /// `open(path)`: opens a cdb (close-on-exec); `EINVAL` if it is empty
    /// (a file too short for its header fails at `find`, as in s6).
    pub fn open(path: &CStr) -> Result<File, Errno> {
        let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        let size = rustix::fs::fstat(&fd)?.st_size as u64;
        if size == 0 {
            return Err(Errno::INVAL);
        }
        Ok(File { fd, size })
    }

    /// `find(key)`: the data of the first record of `key`, if any.
    pub fn find(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Errno> {
        find_in(self, key)
    }
}

/// `records(bytes)`: every (key, data) record of a cdb held in memory, in
/// file order (from the header to the first hash table); an item is
/// `Err(EINVAL)` where the file is corrupt, and nothing follows it.
pub fn records(bytes: &[u8]) -> impl Iterator<Item = Result<(&[u8], &[u8]), Errno>> {
    let end = if bytes.len() < HEADER as usize { None } else { Some(u32_at(bytes, 0) as usize) };
    let mut pos = HEADER as usize;
    let mut failed = end.is_none_or(|e| e > bytes.len());
    if end.is_some_and(|e| e < pos) {
        pos = usize::MAX;
    }
    let end = end.unwrap_or(0);
    std::iter::from_fn(move || {
        if failed {
            failed = false;
            pos = usize::MAX;
            return Some(Err(Errno::INVAL));
        }
        if pos >= end {
            return None;
        }
        let record = (|| {
            let head = bytes.get(pos..pos.checked_add(8)?.min(end))?;
            if head.len() < 8 {
                return None;
            }
            let (klen, dlen) = (u32_at(head, 0) as usize, u32_at(head, 4) as usize);
            let kstart = pos + 8;
            let dstart = kstart.checked_add(klen)?;
            let dend = dstart.checked_add(dlen)?;
            if dend > end {
                return None;
            }
            Some((&bytes[kstart..dstart], &bytes[dstart..dend], dend))
        })();
        match record {
            Some((k, d, next)) => {
                pos = next;
                Some(Ok((k, d)))
            }
            None => {
                pos = usize::MAX;
                Some(Err(Errno::INVAL))
            }
        }
    })
}

/// Builds a cdb in memory: `add` the records, then `finish`.
pub struct Writer {
    out: Vec<u8>,
    /// (hash, record position) of every record, in order.
    slots: Vec<(u32, u32)>,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    /// `new()`: an empty database.
    pub fn new() -> Writer {
        Writer { out: vec![0; HEADER as usize], slots: Vec::new() }
    }

    /// `add(key, data)`: appends a record; `EFBIG` past the format's 4 GiB.
    pub fn add(&mut self, key: &[u8], data: &[u8]) -> Result<(), Errno> {
        let pos = u32::try_from(self.out.len()).map_err(|_| Errno::FBIG)?;
        let (klen, dlen) = (u32::try_from(key.len()), u32::try_from(data.len()));
        let (Ok(klen), Ok(dlen)) = (klen, dlen) else { return Err(Errno::FBIG) };
        let end = 8u64 + u64::from(pos) + u64::from(klen) + u64::from(dlen);
        // Room for the tables too: two slots of 8 bytes per record.
        if end + 16 * (self.slots.len() as u64 + 1) > u64::from(u32::MAX) {
            return Err(Errno::FBIG);
        }
        self.out.extend_from_slice(&klen.to_le_bytes());
        self.out.extend_from_slice(&dlen.to_le_bytes());
        self.out.extend_from_slice(key);
        self.out.extend_from_slice(data);
        self.slots.push((hash(key), pos));
        Ok(())
    }

    /// `finish()`: the whole file: the header, the records, then the 256
    /// tables, each with twice as many slots as records hashing to it.
    pub fn finish(mut self) -> Vec<u8> {
        let mut count = [0u32; 256];
        for &(h, _) in &self.slots {
            count[(h & 255) as usize] += 1;
        }
        for (t, &c) in count.iter().enumerate() {
            let n = c as usize * 2;
            // `add` kept the total below 4 GiB, tables included.
            let at = self.out.len() as u32;
            self.out[t * 8..t * 8 + 4].copy_from_slice(&at.to_le_bytes());
            self.out[t * 8 + 4..t * 8 + 8].copy_from_slice(&(n as u32).to_le_bytes());
            if n == 0 {
                continue;
            }
            let mut table = vec![(0u32, 0u32); n];
            for &(h, pos) in self.slots.iter().filter(|&&(h, _)| (h & 255) as usize == t) {
                let mut i = (h >> 8) as usize % n;
                while table[i].1 != 0 {
                    i = (i + 1) % n;
                }
                table[i] = (h, pos);
            }
            for (h, pos) in table {
                self.out.extend_from_slice(&h.to_le_bytes());
                self.out.extend_from_slice(&pos.to_le_bytes());
            }
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(recs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut w = Writer::new();
        for (k, d) in recs {
            w.add(k, d).unwrap();
        }
        w.finish()
    }

    #[test]
    fn hash_is_djb() {
        assert_eq!(hash(b""), 5381);
        assert_eq!(hash(b"a"), (5381u32 * 33) ^ 97);
        // A long key wraps modulo 2^32 instead of overflowing.
        let _ = hash(&[0xff; 10000]);
    }

    #[test]
    fn round_trip() {
        let keys: Vec<Vec<u8>> = (0..2000).map(|i| format!("uid/{i}").into_bytes()).collect();
        let recs: Vec<(&[u8], &[u8])> = keys.iter().map(|k| (k.as_slice(), &k[4..])).collect();
        let db = build(&recs);
        for k in &keys {
            assert_eq!(find(&db, k).unwrap().as_deref(), Some(&k[4..]));
        }
        assert_eq!(find(&db, b"uid/2000").unwrap(), None);
        assert_eq!(find(&db, b"").unwrap(), None);
        let all: Vec<_> = records(&db).collect::<Result<_, _>>().unwrap();
        assert_eq!(all.len(), 2000);
        assert_eq!(all[7], (b"uid/7".as_slice(), b"7".as_slice()));
    }

    #[test]
    fn empty_database() {
        let db = build(&[]);
        assert_eq!(db.len(), 2048);
        assert_eq!(find(&db, b"x").unwrap(), None);
        assert_eq!(records(&db).count(), 0);
        // A zero-filled header is an empty database too (s6 agrees).
        assert_eq!(find(&[0u8; 2048], b"x").unwrap(), None);
        assert_eq!(records(&[0u8; 3000]).count(), 0);
    }

    #[test]
    fn first_duplicate_wins() {
        let db = build(&[(b"k", b"1"), (b"k", b"2")]);
        assert_eq!(find(&db, b"k").unwrap().as_deref(), Some(b"1".as_slice()));
    }

    /// A file written by the reference compiler (s6 2.11's
    /// s6-accessrules-cdb-from-fs on a small tree): every record found by
    /// key, the traversal lists them all, and our writer lays the same
    /// records out byte for byte (same order in, same file out).
    #[test]
    fn reads_reference_file() {
        let db = include_bytes!("../tests/data/rules-2.11.cdb");
        let want: &[(&[u8], &[u8])] = &[
            (b"uid/self", b"A\0\0\0\0"),
            (b"uid/65534", b"D"),
            (b"uid/0", b"A\0\x0cFOO=val\0BAR\0\0\x08echo hi\n"),
            (b"uid/default", b"D"),
            (b"ip4/10.0.0.0_8", b"A\0\0\0\0"),
            (b"gid/100", b"A\0\0\0\0"),
        ];
        for (k, d) in want {
            assert_eq!(find(db, k).unwrap().as_deref(), Some(*d));
        }
        assert_eq!(find(db, b"uid/1").unwrap(), None);
        let all: Vec<_> = records(db).collect::<Result<_, _>>().unwrap();
        assert_eq!(all, want);
        assert_eq!(build(want), db);
    }

    /// Every truncation and every corrupted byte of a database: never a
    /// panic, never a wrong record.
    #[test]
    fn corrupt_files() {
        let db = build(&[(b"uid/0", b"A\0\0\0\0"), (b"uid/1", b"D"), (b"gid/5", b"Dx")]);
        for cut in 0..db.len() {
            let short = &db[..cut];
            for k in [&b"uid/0"[..], b"uid/1", b"gid/5", b"nope"] {
                if let Ok(Some(d)) = find(short, k) {
                    assert_eq!(Some(d), find(&db, k).unwrap());
                }
            }
            let _ = records(short).count();
        }
        for i in 0..db.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut bad = db.clone();
                bad[i] = v;
                for k in [&b"uid/0"[..], b"uid/1", b"gid/5", b"nope"] {
                    let _ = find(&bad, k);
                }
                let n = records(&bad).take(100).count();
                assert!(n <= 4);
            }
        }
    }

    #[test]
    fn hostile_sizes() {
        let mut db = build(&[(b"k", b"v")]);
        let h = hash(b"k");
        let t = (h & 255) as usize * 8;
        // Slot count far beyond the file.
        db[t + 4..t + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(find(&db, b"k"), Err(Errno::INVAL));
        // A record claiming 4 GiB of data: refused before allocating.
        let mut db = build(&[(b"k", b"v")]);
        db[2052..2056].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(find(&db, b"k"), Err(Errno::INVAL));
        assert!(records(&db).any(|r| r.is_err()));
        // A table pointing into the header loops at most `slots` times.
        let mut db = build(&[(b"k", b"v")]);
        db[t..t + 4].copy_from_slice(&0u32.to_le_bytes());
        let _ = find(&db, b"k");
        // Table 0's position past the end.
        let mut db = build(&[(b"k", b"v")]);
        db[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(records(&db).next().unwrap().is_err());
    }
}
