//! s6-accessrules-fs-from-cdb: writes a rules cdb back out as a rules
//! directory. `dir` must not exist; every directory and file is created
//! exclusively through directory descriptors (a name planted by someone
//! else makes it fail, a link is never followed), and on failure the
//! partial tree is removed.

use s6box::accessrules::{self, Verdict};
use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::io::write_all;
use s6box::{cdb, exitcode, msg, tree};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use std::ffi::CString;

const USAGE: &str = "s6-accessrules-fs-from-cdb dir cdbfile";

/// Directories are made with exactly this mode, as s6 does (whatever the
/// umask); files with 0666 less the umask.
const DIR_MODE: u32 = 0o755;
const FILE_MODE: u32 = 0o666;

/// Why the tree could not be written.
enum Failure {
    /// A system call: `unable to STEP PATH: REASON`.
    Sys(&'static [u8], Vec<u8>, Errno),
    /// A record that is not access rules data.
    Invalid,
    /// The file is not a cdb.
    Corrupt,
}

/// `component(name)`: `name` as one path component: not empty, not `.` or
/// `..`, no `/` (a hostile cdb cannot write outside `dir`).
fn component(name: &[u8]) -> Result<CString, Failure> {
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
        return Err(Failure::Invalid);
    }
    CString::new(name).map_err(|_| Failure::Invalid)
}

/// `write_file(at, name, content, path)`: a new file holding `content`.
fn write_file(at: &OwnedFd, name: &CString, content: &[u8], path: &[u8]) -> Result<(), Failure> {
    let sys = |e| Failure::Sys(b"openwritenclose_unsafe ", path.to_vec(), e);
    let fd = tree::create_file(at, name, FILE_MODE).map_err(sys)?;
    write_all(&fd, content).map_err(sys)
}

/// `record(top, dir, key, data)`: writes one record's `CLASS/NAME/...`.
fn record(top: &OwnedFd, dir: &[u8], key: &[u8], data: &[u8]) -> Result<(), Failure> {
    let slash = key.iter().position(|&c| c == b'/').ok_or(Failure::Invalid)?;
    let (class, name) = (component(&key[..slash])?, component(&key[slash + 1..])?);
    let verdict = accessrules::decode(data).map_err(|_| Failure::Invalid)?;
    let class_path = [dir, b"/", class.as_bytes()].concat();
    let mkdir = |at: &OwnedFd, n: &CString, path: &[u8]| {
        tree::make_dir(at, n, DIR_MODE, true).map_err(|e| Failure::Sys(b"mkdir ", path.to_vec(), e))
    };
    let class_fd = mkdir(top, &class, &class_path)?;
    let rule_path = [&class_path[..], b"/", name.as_bytes()].concat();
    let rule_fd = mkdir(&class_fd, &name, &rule_path)?;
    let path = |leaf: &[u8]| [&rule_path[..], b"/", leaf].concat();
    match verdict {
        None | Some(Verdict::NotFound) => Ok(()),
        Some(Verdict::Deny) => write_file(&rule_fd, &CString::from(c"deny"), b"", &path(b"deny")),
        Some(Verdict::Allow(rule)) => {
            write_file(&rule_fd, &CString::from(c"allow"), b"", &path(b"allow"))?;
            if !rule.env.is_empty() {
                let env_path = path(b"env");
                let env_fd = mkdir(&rule_fd, &CString::from(c"env"), &env_path)?;
                for (var, value) in &rule.env {
                    let var_name = component(var)?;
                    let content = match value {
                        Some(v) => [&v[..], b"\n"].concat(),
                        None => Vec::new(),
                    };
                    let var_path = [&env_path[..], b"/", var].concat();
                    write_file(&env_fd, &var_name, &content, &var_path)?;
                }
            }
            if !rule.exec.is_empty() {
                write_file(&rule_fd, &CString::from(c"exec"), &rule.exec, &path(b"exec"))?;
            }
            Ok(())
        }
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let rest = Cli::new(argv, USAGE).operands(2);
    let (dir, file) = (rest.get(0), rest.get(1));
    // The whole file, read first: nothing is created for a missing one.
    let data = std::fs::read(rest.os(1)).unwrap_or_else(|e| {
        let e = Errno::from_io_error(&e).unwrap_or(Errno::IO);
        msg::fatal_sys(exitcode::SYS, &[b"cdb_init"], e)
    });
    // An empty file cannot be mapped, for s6: its cdb_init fails. A short
    // one fails at the first record.
    if data.is_empty() {
        msg::fatal(exitcode::SYS, &[b"unable to cdb_init: ", &msg::strerror(Errno::INVAL)]);
    }
    let cwd = rustix::fs::CWD;
    let top = tree::make_dir(cwd, dir, DIR_MODE, false).unwrap_or_else(|e| {
        // Created but not opened (replaced meanwhile): drop it if empty.
        if e != Errno::EXIST {
            let _ = rustix::fs::unlinkat(cwd, dir, rustix::fs::AtFlags::REMOVEDIR);
        }
        msg::fatal_sys(exitcode::SYS, &[b"mkdir ", dir.to_bytes()], e)
    });
    let result = (|| {
        for r in cdb::records(&data) {
            let (key, value) = r.map_err(|_| Failure::Corrupt)?;
            record(&top, dir.to_bytes(), key, value)?;
        }
        Ok(())
    })();
    let Err(failure) = result else { return exitcode::OK };
    let _ = tree::remove(cwd, dir);
    match failure {
        Failure::Sys(step, path, e) => msg::fatal_sys(exitcode::SYS, &[step, &path], e),
        Failure::Invalid => msg::fatal(
            exitcode::SYS,
            &[b"unable to handle cdb record: ", file.to_bytes(), b" does not contain valid accessrules data"],
        ),
        Failure::Corrupt => msg::fatal(exitcode::SYS, &[b"unable to cdb_traverse_next: invalid cdb"]),
    }
}
