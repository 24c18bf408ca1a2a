//! s6's access rules by uid and gid (`s6-ipcserver-access`): the lookup
//! order, a rule read from a rules directory (`DIR/uid/N/{allow,deny,
//! env/,exec}`) or from a rules cdb (key `uid/N`, data `D`, or `A`, u16 BE
//! env length, env, u16 BE exec length, exec), and the record format the
//! compiler writes.

use crate::cdb;
use crate::envdir::{self, Rules};
use crate::file::read_small;
use rustix::fs::Access;
use rustix::io::Errno;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// The most bytes of `exec` used, and of a record's compiled env.
pub const MAX: usize = 4096;

/// One environment change: set `NAME` to the value, or unset it (`None`).
pub type EnvChange = (Vec<u8>, Option<Vec<u8>>);

/// What an allowing rule asks for.
#[derive(Debug, Default, PartialEq, Eq, Clone)]
pub struct Rule {
    /// The `env/` changes, in the rule's order.
    pub env: Vec<EnvChange>,
    /// The `exec` command line for `execlineb -Pc`; empty: none.
    pub exec: Vec<u8>,
    /// The `exec` file held `MAX` bytes or more (only the first `MAX` kept).
    pub exec_truncated: bool,
}

/// The outcome of a rule, or of the whole lookup.
#[derive(Debug, PartialEq, Eq, Clone)]
pub enum Verdict {
    Allow(Rule),
    Deny,
    /// No rule matched (or the rules directory is missing).
    NotFound,
}

/// `keys(uid, gid)`: the rule names to try, first match winning:
/// `uid/self` (when `uid` is our effective uid), `uid/UID`, `gid/self`
/// (when `gid` is our effective gid), `gid/GID`, `uid/default`.
pub fn keys(uid: u32, gid: u32) -> Vec<Vec<u8>> {
    let num = |dir: &[u8], n: u32| {
        let mut k = dir.to_vec();
        crate::fmt::push_dec(&mut k, i64::from(n));
        k
    };
    let mut v = Vec::with_capacity(5);
    if uid == rustix::process::geteuid().as_raw() {
        v.push(b"uid/self".to_vec());
    }
    v.push(num(b"uid/", uid));
    if gid == rustix::process::getegid().as_raw() {
        v.push(b"gid/self".to_vec());
    }
    v.push(num(b"gid/", gid));
    v.push(b"uid/default".to_vec());
    v
}

fn cpath(parts: &[&[u8]]) -> Result<CString, Errno> {
    CString::new(parts.concat()).map_err(|_| Errno::INVAL)
}

/// Why a rule in a directory could not be read: the step (`access`,
/// `envdir`, `openreadnclose`, s6's words), the path, the error.
#[derive(Debug)]
pub struct DirError {
    pub step: &'static str,
    pub path: Vec<u8>,
    pub errno: Errno,
}

/// `step(what, path, r)`: tags an error with its step and path.
fn step<T>(what: &'static str, path: &[&[u8]], r: Result<T, Errno>) -> Result<T, DirError> {
    r.map_err(|errno| DirError { step: what, path: path.concat(), errno })
}

/// `exists(path)`: whether `path` exists (symlinks followed, as s6);
/// errors other than "no such file" are errors.
fn exists(path: &[&[u8]]) -> Result<bool, DirError> {
    let r = cpath(path).and_then(|p| rustix::fs::access(p.as_c_str(), Access::EXISTS));
    match r {
        Ok(()) => Ok(true),
        Err(Errno::NOENT) => Ok(false),
        r => step("access", path, r.map(|()| false)),
    }
}

/// `read_dir_rule(dir)`: the rule in directory `dir` (a `DIR/uid/N`):
/// `Allow` if it has `allow` (with its `env/` and the first `MAX` bytes
/// of `exec`), else `Deny` if it has `deny`, else `None` (not a match).
/// A missing `dir` is no match; other errors are returned.
pub fn read_dir_rule(dir: &[u8]) -> Result<Option<Verdict>, DirError> {
    if exists(&[dir, b"/allow"])? {
        let envdir = [dir, b"/env"];
        let r = cpath(&envdir).and_then(|p| envdir::read(&p, &Rules::PLAIN, false));
        let env = step("envdir", &envdir, r)?;
        let env = env.into_iter().map(|(n, v)| (OsString::into_vec(n), v)).collect();
        let exec_path = [dir, b"/exec"];
        let exec = match read_small(OsStr::from_bytes(&exec_path.concat()), MAX) {
            Err(Errno::NOENT) => Vec::new(),
            r => step("openreadnclose", &exec_path, r)?,
        };
        let exec_truncated = exec.len() == MAX;
        return Ok(Some(Verdict::Allow(Rule { env, exec, exec_truncated })));
    }
    if exists(&[dir, b"/deny"])? {
        return Ok(Some(Verdict::Deny));
    }
    Ok(None)
}

/// `check_dir(rulesdir, uid, gid)`: the lookup in a rules directory,
/// read now (edits apply to the next lookup).
pub fn check_dir(rulesdir: &[u8], uid: u32, gid: u32) -> Result<Verdict, Errno> {
    for key in keys(uid, gid) {
        match read_dir_rule(&[rulesdir, b"/", &key].concat()) {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => return Err(e.errno),
        }
    }
    Ok(Verdict::NotFound)
}

/// `check_cdb(file, uid, gid)`: the lookup in a rules cdb; a malformed
/// record is `EINVAL`.
pub fn check_cdb(file: &cdb::File, uid: u32, gid: u32) -> Result<Verdict, Errno> {
    for key in keys(uid, gid) {
        if let Some(data) = file.find(&key)?
            && let Some(v) = decode(&data)?
        {
            return Ok(v);
        }
    }
    Ok(Verdict::NotFound)
}

/// `encode_env(env)`: the compiled env: `NAME=value\0` (set) and
/// `NAME\0` (unset), in order.
pub fn encode_env(env: &[EnvChange]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in env {
        out.extend_from_slice(name);
        if let Some(v) = value {
            out.push(b'=');
            out.extend_from_slice(v);
        }
        out.push(0);
    }
    out
}

/// `encode(verdict)`: a rules cdb record's data: `D`, or `A` + u16 BE
/// envlen + env + u16 BE execlen + exec; `None` for `NotFound`. The
/// caller keeps env and exec within `MAX` (`E2BIG` otherwise).
pub fn encode(verdict: &Verdict) -> Result<Option<Vec<u8>>, Errno> {
    match verdict {
        Verdict::NotFound => Ok(None),
        Verdict::Deny => Ok(Some(b"D".to_vec())),
        Verdict::Allow(rule) => {
            let env = encode_env(&rule.env);
            if env.len() > MAX || rule.exec.len() > MAX {
                return Err(Errno::TOOBIG);
            }
            let mut out = Vec::with_capacity(5 + env.len() + rule.exec.len());
            out.push(b'A');
            out.extend_from_slice(&(env.len() as u16).to_be_bytes());
            out.extend_from_slice(&env);
            out.extend_from_slice(&(rule.exec.len() as u16).to_be_bytes());
            out.extend_from_slice(&rule.exec);
            Ok(Some(out))
        }
    }
}

/// `decode(data)`: a rules cdb record: `D...` denies, a well-formed `A`
/// record allows, any other first byte is no match (`None`). `EINVAL`
/// for an empty or malformed `A` record (lengths over `MAX` or not adding
/// up, an env not ending in NUL), as s6 refuses them.
pub fn decode(data: &[u8]) -> Result<Option<Verdict>, Errno> {
    match data.first() {
        None => Err(Errno::INVAL),
        Some(b'D') => Ok(Some(Verdict::Deny)),
        Some(b'A') => {
            let u16_at = |i: usize| -> Result<usize, Errno> {
                let b = data.get(i..i + 2).ok_or(Errno::INVAL)?;
                Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
            };
            let envlen = u16_at(1)?;
            if envlen > MAX {
                return Err(Errno::INVAL);
            }
            let execlen = u16_at(3 + envlen)?;
            if execlen > MAX || data.len() != 5 + envlen + execlen {
                return Err(Errno::INVAL);
            }
            let env = &data[3..3 + envlen];
            if env.last().is_some_and(|&c| c != 0) {
                return Err(Errno::INVAL);
            }
            let env = env
                .split(|&c| c == 0)
                .filter(|e| !e.is_empty())
                .map(|e| match e.iter().position(|&c| c == b'=') {
                    Some(eq) => (e[..eq].to_vec(), Some(e[eq + 1..].to_vec())),
                    None => (e.to_vec(), None),
                })
                .collect();
            let exec = data[5 + envlen..].to_vec();
            Ok(Some(Verdict::Allow(Rule { env, exec, exec_truncated: false })))
        }
        Some(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(env: &[(&[u8], Option<&[u8]>)], exec: &[u8]) -> Verdict {
        let env = env.iter().map(|(n, v)| (n.to_vec(), v.map(<[u8]>::to_vec))).collect();
        Verdict::Allow(Rule { env, exec: exec.to_vec(), exec_truncated: false })
    }

    #[test]
    fn records_round_trip() {
        let v = allow(&[(b"A", Some(b"1")), (b"B", None), (b"C", Some(b""))], b"echo hi");
        let data = encode(&v).unwrap().unwrap();
        assert_eq!(data, b"A\0\x09A=1\0B\0C=\0\0\x07echo hi");
        assert_eq!(decode(&data).unwrap(), Some(v));
        assert_eq!(encode(&Verdict::Deny).unwrap().unwrap(), b"D");
        assert_eq!(encode(&Verdict::NotFound).unwrap(), None);
        assert_eq!(decode(b"A\0\0\0\0").unwrap(), Some(allow(&[], b"")));
    }

    /// What s6 2.11 and 2.15's s6-ipcserver-access do with odd records.
    #[test]
    fn odd_records() {
        assert_eq!(decode(b"Dxyz").unwrap(), Some(Verdict::Deny));
        assert_eq!(decode(b"X").unwrap(), None);
        assert_eq!(decode(b""), Err(Errno::INVAL));
        assert_eq!(decode(b"A"), Err(Errno::INVAL));
        assert_eq!(decode(b"A\0"), Err(Errno::INVAL));
        assert_eq!(decode(b"A\0\0\0"), Err(Errno::INVAL));
        assert_eq!(decode(b"A\0\0\0\0x"), Err(Errno::INVAL));
        assert_eq!(decode(b"A\0\x04A=1\0\0\x05ab"), Err(Errno::INVAL));
        // An env not ending in NUL: s6 reads past it; refused here.
        assert_eq!(decode(b"A\0\x03A=1\0\0"), Err(Errno::INVAL));
        // Empty entries are skipped.
        assert_eq!(decode(b"A\0\x05A=1\0\0\0\0").unwrap(), Some(allow(&[(b"A", Some(b"1"))], b"")));
        let big = |envlen: usize, execlen: usize| {
            let mut d = vec![b'A'];
            d.extend_from_slice(&(envlen as u16).to_be_bytes());
            d.extend(std::iter::repeat_n(b'x', envlen.saturating_sub(1)));
            if envlen > 0 {
                d.push(0);
            }
            d.extend_from_slice(&(execlen as u16).to_be_bytes());
            d.extend(std::iter::repeat_n(b'e', execlen));
            d
        };
        assert!(decode(&big(4096, 4096)).unwrap().is_some());
        assert_eq!(decode(&big(4097, 0)), Err(Errno::INVAL));
        assert_eq!(decode(&big(0, 4097)), Err(Errno::INVAL));
    }

    #[test]
    fn too_big_refused() {
        let v = allow(&[(b"A", Some(&[b'x'; 4093]))], b"");
        assert_eq!(encode(&v).unwrap().unwrap().len(), 5 + 4096);
        let v = allow(&[(b"A", Some(&[b'x'; 4094]))], b"");
        assert_eq!(encode(&v), Err(Errno::TOOBIG));
    }

    #[test]
    fn lookup_order() {
        let me = rustix::process::geteuid().as_raw();
        let my_gid = rustix::process::getegid().as_raw();
        let other = me.wrapping_add(1);
        let other_gid = my_gid.wrapping_add(1);
        let k = keys(me, my_gid);
        let s = |n: u32| n.to_string();
        let want: Vec<Vec<u8>> = vec![
            b"uid/self".to_vec(),
            format!("uid/{}", s(me)).into_bytes(),
            b"gid/self".to_vec(),
            format!("gid/{}", s(my_gid)).into_bytes(),
            b"uid/default".to_vec(),
        ];
        assert_eq!(k, want);
        let k = keys(other, other_gid);
        assert_eq!(k.len(), 3);
        assert_eq!(k[2], b"uid/default");
    }
}
