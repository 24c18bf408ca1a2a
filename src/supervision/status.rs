//! `supervise/status`: the 35-byte record a supervisor replaces at every
//! change, and every client reads.
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 12 | stamp: TAI64N of the last up or down transition |
//! | 12 | 12 | readystamp: when the service last became ready (or down and ready) |
//! | 24 | 8 | pid: `run`'s pid while up, `finish`'s while finishing, else 0 |
//! | 32 | 2 | wstat: the last death's raw wait status |
//! | 34 | 1 | flags: 1 paused, 2 finishing, 4 want up, 8 ready |

use crate::tai::Tain;
use crate::{file, path};
use rustix::io::Errno;
use std::ffi::OsStr;

/// The size of the record.
pub const LEN: usize = 35;
/// The file's path relative to the service directory.
pub const PATH: &str = "supervise/status";

/// Flag bits of byte 34.
pub const PAUSED: u8 = 1;
/// `finish` is running.
pub const FINISHING: u8 = 2;
/// The service is wanted up.
pub const WANT_UP: u8 = 4;
/// The service is ready (or down and ready).
pub const READY: u8 = 8;

/// A decoded status record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Last up or down transition.
    pub stamp: Tain,
    /// Last time it became ready.
    pub readystamp: Tain,
    /// `run`'s (or `finish`'s) pid, 0 when down.
    pub pid: u64,
    /// The last death's raw wait status (16 bits).
    pub wstat: u16,
    /// `PAUSED | FINISHING | WANT_UP | READY`.
    pub flags: u8,
}

impl Status {
    /// `encode()`: the 35 wire bytes.
    pub fn encode(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[0..12].copy_from_slice(&self.stamp.pack());
        b[12..24].copy_from_slice(&self.readystamp.pack());
        b[24..32].copy_from_slice(&self.pid.to_be_bytes());
        b[32..34].copy_from_slice(&self.wstat.to_be_bytes());
        b[34] = self.flags & 15;
        b
    }

    /// `decode(b)`: the record in `b`, or `None` if `b` is not 35 bytes.
    pub fn decode(b: &[u8]) -> Option<Status> {
        if b.len() != LEN {
            return None;
        }
        let mut pid = [0u8; 8];
        pid.copy_from_slice(&b[24..32]);
        Some(Status {
            stamp: Tain::unpack(&b[0..12]),
            readystamp: Tain::unpack(&b[12..24]),
            pid: u64::from_be_bytes(pid),
            wstat: u16::from_be_bytes([b[32], b[33]]),
            flags: b[34],
        })
    }

    /// `flag(bit)`: whether a flag bit is set.
    pub fn flag(&self, bit: u8) -> bool {
        self.flags & bit != 0
    }

    /// `set(bit, on)`: sets or clears a flag bit.
    pub fn set(&mut self, bit: u8, on: bool) {
        if on {
            self.flags |= bit;
        } else {
            self.flags &= !bit;
        }
    }

    /// `is_up()`: `run` is alive (pid set and not finishing).
    pub fn is_up(&self) -> bool {
        self.pid != 0 && !self.flag(FINISHING)
    }

    /// `not_started()`: 2.15's "not started yet" (paused with pid 0).
    pub fn not_started(&self) -> bool {
        self.pid == 0 && self.flag(PAUSED)
    }
}

/// `read(path)`: the record in the first 35 bytes of the status file at
/// `path`; a shorter file is `Errno::PIPE`, as s6's readers report it
/// ("Broken pipe").
pub fn read(path: &OsStr) -> Result<Status, Errno> {
    let b = file::read_small(path, LEN)?;
    Status::decode(&b).ok_or(Errno::PIPE)
}

/// `read_dir(servicedir)`: the status of the service in `servicedir`.
pub fn read_dir(servicedir: &OsStr) -> Result<Status, Errno> {
    read(&path::join(servicedir, PATH))
}

/// `write(path, status)`: replaces the status file atomically.
pub fn write(path: &OsStr, st: &Status) -> Result<(), Errno> {
    file::replace(path, &st.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from upstream 2.15's s6-supervise: service up after a
    /// SIGKILL restart (pid 0x1688, wstat 9, want up).
    const REF_215_UP: [u8; LEN] = [
        0x40, 0, 0, 0, 0x6b, 0x0c, 0xfc, 0x36, 0x03, 0xcf, 0x02, 0x16, 0x40, 0, 0, 0, 0x6b, 0x0c,
        0xfc, 0x35, 0x03, 0xb3, 0x03, 0xb0, 0, 0, 0, 0, 0, 0, 0x16, 0x88, 0x00, 0x09, 0x04,
    ];
    /// Captured from Debian's 2.11 s6-supervise: down after `-d` (wstat
    /// SIGTERM, ready).
    const REF_211_DOWN: [u8; LEN] = [
        0x40, 0, 0, 0, 0x6b, 0x0c, 0xfc, 0x47, 0x0a, 0x75, 0x09, 0x9a, 0x40, 0, 0, 0, 0x6b, 0x0c,
        0xfc, 0x47, 0x0a, 0x8a, 0xed, 0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x0f, 0x08,
    ];

    #[test]
    fn round_trips_captured_records() {
        let up = Status::decode(&REF_215_UP).unwrap();
        assert_eq!(up.pid, 0x1688);
        assert_eq!(up.wstat, 9);
        assert!(up.flag(WANT_UP) && !up.flag(READY) && up.is_up());
        assert_eq!(up.stamp.label, 0x4000_0000_6b0c_fc36);
        assert_eq!(up.stamp.nanos, 0x03cf_0216);
        assert_eq!(up.encode(), REF_215_UP);
        let down = Status::decode(&REF_211_DOWN).unwrap();
        assert_eq!((down.pid, down.wstat, down.flags), (0, 15, READY));
        assert!(!down.is_up());
        assert_eq!(down.encode(), REF_211_DOWN);
        assert!(Status::decode(&REF_211_DOWN[..34]).is_none());
    }

    #[test]
    fn finishing_is_not_up() {
        let st = Status { pid: 7, flags: FINISHING, ..Status::default() };
        assert!(!st.is_up());
        let st = Status { pid: 0, flags: PAUSED | READY, ..Status::default() };
        assert!(st.not_started());
    }
}
