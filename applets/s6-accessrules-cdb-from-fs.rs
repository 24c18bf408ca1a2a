//! s6-accessrules-cdb-from-fs: compiles a rules directory into a rules
//! cdb for `s6-ipcserver-access -x`. The file is written under a
//! temporary name in the same directory (created exclusively, mode 0600,
//! synced), then renamed over cdbfile: a server never reads half a file,
//! and on failure the temporary file is removed and cdbfile left as it was.

use s6box::accessrules::{self, Verdict};
use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::io::write_all;
use s6box::{cdb, exitcode, msg, tree};
use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, Dir, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{CStr, CString};

const USAGE: &str = "s6-accessrules-cdb-from-fs [ -m mode ] cdbfile dir";

/// `open_dir(path)`: a directory of the rules tree (links followed, as s6:
/// the tree is the administrator's), or death.
fn open_dir(path: &[u8]) -> OwnedFd {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    CString::new(path)
        .map_err(|_| Errno::INVAL)
        .and_then(|p| rustix::fs::open(p.as_c_str(), flags, Mode::empty()))
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"opendir ", path], e))
}

/// `names(fd, path)`: the entries of a directory, dot entries skipped.
fn names(fd: &OwnedFd, path: &[u8]) -> Vec<Vec<u8>> {
    let die = |e: Errno| -> ! { msg::fatal_sys(exitcode::SYS, &[b"readdir ", path], e) };
    let mut dir = Dir::read_from(fd).unwrap_or_else(|e| die(e));
    let mut out = Vec::new();
    while let Some(entry) = dir.read() {
        let name = entry.unwrap_or_else(|e| die(e)).file_name().to_bytes().to_vec();
        if !name.starts_with(b".") {
            out.push(name);
        }
    }
    out
}

/// `compile(dir)`: the cdb of every `DIR/NAME` rule of the tree.
fn compile(dir: &[u8]) -> Vec<u8> {
    let mut db = cdb::Writer::new();
    let top = open_dir(dir);
    for class in names(&top, dir) {
        let class_path = [dir, b"/", &class].concat();
        let fd = open_dir(&class_path);
        for name in names(&fd, &class_path) {
            let rule_path = [&class_path[..], b"/", &name].concat();
            let verdict = accessrules::read_dir_rule(&rule_path).unwrap_or_else(|e| {
                msg::fatal_sys(exitcode::SYS, &[e.step.as_bytes(), b" ", &e.path], e.errno)
            });
            let Some(verdict) = verdict else { continue };
            if let Verdict::Allow(rule) = &verdict {
                if accessrules::encode_env(&rule.env).len() > accessrules::MAX {
                    msg::fatal(exitcode::USAGE, &[&rule_path, b"/env too big"]);
                }
                if rule.exec_truncated {
                    msg::warn(&[b"possibly truncated file ", &rule_path, b"/exec"]);
                }
            }
            // Within MAX, checked above: encode cannot fail.
            let Ok(Some(data)) = accessrules::encode(&verdict) else { continue };
            let key = [&class[..], b"/", &name].concat();
            db.add(&key, &data).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"cdb_make_add"], e));
        }
    }
    db.finish()
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut mode: Option<u32> = None;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('m') => {
                let v = cli.value();
                let v = v.to_str().and_then(|s| u32::from_str_radix(s, 8).ok());
                match v {
                    Some(m) if m <= 0o7777 => mode = Some(m),
                    _ => cli.usage(),
                }
            }
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    let target = rest.get(0).to_bytes();
    let data = compile(rest.get(1).to_bytes());

    // The temporary file goes beside the target, in a directory opened
    // once: the rename happens in the directory the file was made in.
    let (parent, base): (&[u8], &[u8]) = match target.iter().rposition(|&c| c == b'/') {
        Some(0) => (b"/", &target[1..]),
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (b".", target),
    };
    let prefix = [target, b":s6-accessrules-cdb-from-fs:"].concat();
    let template = [&prefix[..], b"XXXXXX"].concat();
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dirfd = CString::new(parent)
        .map_err(|_| Errno::INVAL)
        .and_then(|p| rustix::fs::open(p.as_c_str(), flags, Mode::empty()))
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"mkstemp ", &template], e));
    let tmp_prefix = [base, b":s6-accessrules-cdb-from-fs:"].concat();
    let (fd, tmp) = tree::create_temp(&dirfd, &tmp_prefix)
        .unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"mkstemp ", &template], e));
    let tmp = CString::new(tmp).unwrap_or_default();
    let tmp_path = [&prefix[..], &tmp.as_bytes()[tmp_prefix.len()..]].concat();
    let fail = |what: &[&[u8]], e: Errno| -> ! {
        let _ = rustix::fs::unlinkat(&dirfd, &tmp, AtFlags::empty());
        msg::fatal_sys(exitcode::SYS, what, e)
    };
    if let Err(e) = write_all(&fd, &data) {
        fail(&[b"write to ", &tmp_path], e);
    }
    if let Err(e) = rustix::fs::fsync(&fd) {
        fail(&[b"fsync ", &tmp_path], e);
    }
    if let Some(m) = mode
        && let Err(e) = rustix::fs::fchmod(&fd, tree::mode(m))
    {
        fail(&[b"fchmod ", &tmp_path], e);
    }
    drop(fd);
    let base = CString::new(base).unwrap_or_default();
    if let Err(e) = rename(&dirfd, &tmp, &base) {
        fail(&[b"rename ", &tmp_path, b" to ", target], e);
    }
    exitcode::OK
}

/// `rename(dir, from, to)`: renames within one directory descriptor; a
/// link at `to` is replaced, not followed.
fn rename(dir: &OwnedFd, from: &CStr, to: &CStr) -> Result<(), Errno> {
    if to.is_empty() {
        return Err(Errno::ISDIR);
    }
    rustix::fs::renameat(dir, from, dir, to)
}
