//! The service directories written by s6-instance-maker and
//! s6-usertree-maker: execline quoting, the logger's files, the s6-rc
//! (`-r`) names, and files written under one directory descriptor with
//! s6's modes (directories 0755, `run` executable per read bit).

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::Mode;
use rustix::io::Errno;
use std::ffi::CString;

/// The first line of every generated script.
pub const SHEBANG: &[u8] = b"#!/bin/execlineb -P\n";

/// `quote(x)`: `x` as an execline double-quoted word (s6's bytes).
pub fn quote(x: &[u8]) -> Vec<u8> {
    let mut q = Vec::with_capacity(x.len() + 2);
    q.push(b'"');
    for &c in x {
        match c {
            7..=13 => {
                q.push(b'\\');
                q.push(b"abtnvfr"[(c - 7) as usize]);
            }
            b'"' | b'\\' => q.extend_from_slice(&[b'\\', c]),
            0..=0x1f | 0x7f..=0xff => {
                q.extend_from_slice(b"\\0x");
                crate::fmt::push_hex(&mut q, &[c]);
            }
            _ => q.push(c),
        }
    }
    q.push(b'"');
    q
}

/// A logger service: `s6-log` on `logdir`, optionally as `user`.
pub struct Logger<'a> {
    pub user: Option<&'a [u8]>,
    pub dir: &'a [u8],
    /// 0 none, 1 TAI64N, 2 ISO 8601, 3 both.
    pub stamp: u32,
    pub nfiles: u32,
    pub filesize: u32,
    pub maxsize: u32,
    pub prefix: Option<&'a [u8]>,
}

impl Logger<'_> {
    /// `run()`: the logger's run script.
    pub fn run(&self) -> Vec<u8> {
        let mut r = SHEBANG.to_vec();
        if let Some(u) = self.user {
            r.extend_from_slice(b"s6-setuidgid ");
            r.extend_from_slice(&quote(u));
            r.push(b'\n');
        }
        r.extend_from_slice(b"s6-log -bd3 -- ");
        if self.stamp & 1 != 0 {
            r.extend_from_slice(b"t ");
        }
        if self.stamp & 2 != 0 {
            r.extend_from_slice(b"T ");
        }
        r.push(b'n');
        crate::fmt::push_dec(&mut r, self.nfiles as i64);
        r.extend_from_slice(b" s");
        crate::fmt::push_dec(&mut r, self.filesize as i64);
        r.push(b' ');
        if self.maxsize != 0 {
            r.push(b'S');
            crate::fmt::push_dec(&mut r, self.maxsize as i64);
            r.push(b' ');
        }
        if let Some(p) = self.prefix {
            r.push(b'p');
            r.extend_from_slice(p);
            r.push(b' ');
        }
        r.extend_from_slice(&quote(self.dir));
        r.push(b'\n');
        r
    }

    /// `write(out, dir, exec)`: the logger's `run` (executable if `exec`)
    /// and `notification-fd` in the directory `dir` (made) under `out`.
    pub fn write(&self, out: &Out, dir: &[u8], exec: bool) -> Result<(), Failed> {
        out.dir(dir)?;
        out.file(&[dir, b"/notification-fd"].concat(), b"3\n", false)?;
        out.file(&[dir, b"/run"].concat(), &self.run(), exec)
    }
}

/// s6-rc names from `-r service/logger/pipeline`.
pub struct RcNames<'a> {
    pub service: &'a [u8],
    pub logger: Option<&'a [u8]>,
    pub pipeline: Option<&'a [u8]>,
}

/// `rc_names(arg, logger_required)`: the names, or s6's message.
pub fn rc_names(arg: &[u8], logger_required: bool) -> Result<RcNames<'_>, &'static str> {
    if arg.contains(&b'\n') {
        return Err("newlines are forbidden in s6-rc names");
    }
    let parts: Vec<&[u8]> = arg.splitn(3, |&c| c == b'/').collect();
    if parts[0].is_empty() {
        return Err("service name cannot be empty");
    }
    if arg.ends_with(b"/") || (logger_required && parts.len() < 2) {
        return Err(if logger_required {
            "argument to -r must be: service/logger or service/logger/pipeline"
        } else {
            "argument to -r must be: service or service/logger or service/logger/pipeline"
        });
    }
    let (logger, pipeline) = (parts.get(1).copied(), parts.get(2).copied());
    if logger.is_some_and(<[u8]>::is_empty) {
        return Err("logger name cannot be empty");
    }
    if pipeline.is_some_and(<[u8]>::is_empty) {
        return Err("pipeline name cannot be empty");
    }
    if pipeline.is_some_and(|p| p.contains(&b'/')) {
        return Err("slashes are forbidden in s6-rc names");
    }
    Ok(RcNames { service: parts[0], logger, pipeline })
}

/// A failed step: the action as s6 words it (`mkdir DIR`, `write to
/// FILE`), and why.
pub type Failed = (Vec<u8>, Errno);

/// Files written under one directory: paths relative to it, messages
/// naming `base/path`.
pub struct Out {
    pub fd: OwnedFd,
    pub base: Vec<u8>,
    pub umask: u32,
}

impl Out {
    /// `full(rel)`: `base/rel`, for messages.
    pub fn full(&self, rel: &[u8]) -> Vec<u8> {
        let mut p = self.base.clone();
        if !rel.is_empty() {
            p.push(b'/');
            p.extend_from_slice(rel);
        }
        p
    }

    /// `at()`: the directory descriptor.
    pub fn at(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// `dir(rel)`: makes the directory `rel`, mode 0755.
    pub fn dir(&self, rel: &[u8]) -> Result<(), Failed> {
        let err = |e| ([&b"mkdir "[..], &self.full(rel)].concat(), e);
        crate::tree::make_dir(self.at(), &cstr(rel), 0o755, false).map(drop).map_err(err)
    }

    /// `file(rel, data, run)`: writes a new file, mode 0666 less the
    /// umask, plus an execute bit per read bit for a `run` script.
    pub fn file(&self, rel: &[u8], data: &[u8], run: bool) -> Result<(), Failed> {
        let mut mode = 0o666 & !self.umask;
        if run {
            mode |= (mode & 0o444) >> 2;
        }
        let err = |e| ([&b"write to "[..], &self.full(rel)].concat(), e);
        let fd = crate::tree::create_file(self.at(), &cstr(rel), 0o600).map_err(err)?;
        crate::io::write_all(&fd, data).map_err(err)?;
        rustix::fs::fchmod(&fd, crate::tree::mode(mode)).map_err(err)
    }
}

/// `undo(dir, whole, made)`: takes back a failed maker's work: `dir`
/// itself when it made it (`whole`), else the names in `made` under it.
pub fn undo(dir: &[u8], whole: bool, made: &[Vec<u8>]) {
    use rustix::fd::AsFd;
    if whole {
        let _ = crate::tree::remove(rustix::fs::CWD, &cstr(dir));
    } else if let Ok(fd) = crate::tree::open_dir(rustix::fs::CWD, &cstr(dir)) {
        for m in made {
            let _ = crate::tree::remove(fd.as_fd(), &cstr(m));
        }
    }
}

/// `cstr(b)`: bytes as a C string (a NUL cuts it short).
pub fn cstr(b: &[u8]) -> CString {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    CString::new(&b[..end]).unwrap_or_default()
}

/// `umask()`: the process's umask (read by setting it back).
pub fn umask() -> u32 {
    let m = rustix::process::umask(Mode::from_raw_mode(0o022));
    rustix::process::umask(m);
    #[allow(clippy::unnecessary_cast)] // mode_t is 16 bits on the BSDs and macOS
    let bits = m.bits() as u32;
    bits
}

/// `weird_umask(umask)`: a umask removing the owner's read bit.
pub fn weird_umask(umask: u32) -> bool {
    umask & 0o400 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(b"a b$"), b"\"a b$\"");
        assert_eq!(quote(b"\"\\\n\x01\xe9\x7f"), b"\"\\\"\\\\\\n\\0x01\\0xe9\\0x7f\"");
    }

    #[test]
    fn rc() {
        assert!(rc_names(b"a/b/c", false).is_ok());
        assert_eq!(rc_names(b"/a", false).err(), Some("service name cannot be empty"));
        assert_eq!(rc_names(b"a//c", false).err(), Some("logger name cannot be empty"));
        assert_eq!(rc_names(b"a/b/c/d", false).err(), Some("slashes are forbidden in s6-rc names"));
        assert!(rc_names(b"a", true).is_err());
    }

    #[test]
    fn logger_run() {
        let l = Logger {
            user: None,
            dir: b"/var/log/x",
            stamp: 1,
            nfiles: 10,
            filesize: 1000000,
            maxsize: 0,
            prefix: None,
        };
        assert_eq!(l.run(), b"#!/bin/execlineb -P\ns6-log -bd3 -- t n10 s1000000 \"/var/log/x\"\n");
    }
}
