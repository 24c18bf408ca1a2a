//! The files of a service directory as s6-supervise reads them, each
//! when it is used (never cached, so an edit takes effect at the next
//! start). Paths are relative to the service directory, which is the
//! supervisor's working directory. An integer file holds a decimal number
//! on its first line; anything else makes it invalid, and the caller warns
//! and treats it as absent.

use rustix::io::Errno;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// `run`: the service.
pub const RUN: &str = "run";
/// `finish`: run after each death.
pub const FINISH: &str = "finish";
/// `down`: do not start the service when the supervisor starts.
pub const DOWN: &str = "down";
/// `notification-fd`: readiness descriptor of `run`.
pub const NOTIFICATION_FD: &str = "notification-fd";
/// `lock-fd`: descriptor holding the service lock.
pub const LOCK_FD: &str = "lock-fd";
/// `timeout-kill`: ms before SIGKILL after the down signal.
pub const TIMEOUT_KILL: &str = "timeout-kill";
/// `timeout-finish`: ms `finish` may run.
pub const TIMEOUT_FINISH: &str = "timeout-finish";
/// `max-death-tally`: deaths kept.
pub const MAX_DEATH_TALLY: &str = "max-death-tally";
/// `down-signal`: the signal that brings the service down.
pub const DOWN_SIGNAL: &str = "down-signal";
/// `flag-timeout-killpg`: `timeout-kill` kills the process group.
pub const FLAG_KILLPG: &str = "flag-timeout-killpg";
/// `flag-newpidns`: `run` in a new PID namespace.
pub const FLAG_NEWPIDNS: &str = "flag-newpidns";
/// `pidfile`: s6box's supervision of a self-backgrounding daemon.
pub const PIDFILE: &str = "pidfile";
/// `supervise/service-lock`: the file `lock-fd` locks.
pub const SERVICE_LOCK: &str = "supervise/service-lock";

/// What an optional file held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<T> {
    /// No such file.
    Absent,
    /// A valid value.
    Valid(T),
    /// The file exists but its content is invalid (or unreadable).
    Invalid,
}

impl<T> Value<T> {
    /// `or(default)`: the value, or `default` when absent or invalid.
    pub fn or(self, default: T) -> T {
        match self {
            Value::Valid(v) => v,
            _ => default,
        }
    }
}

/// `first_line(path, max)`: the first line of a small file (without its
/// newline), `None` if absent; `Err` if unreadable.
pub fn first_line(path: &OsStr, max: usize) -> Result<Option<Vec<u8>>, Errno> {
    match crate::file::read_small(path, max) {
        Ok(mut b) => {
            if let Some(i) = b.iter().position(|&c| c == b'\n') {
                b.truncate(i);
            }
            Ok(Some(b))
        }
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `uint(path)`: the decimal number on the first line of `path`.
pub fn uint(path: &str) -> Value<u64> {
    match first_line(OsStr::new(path), 64) {
        Ok(None) => Value::Absent,
        Ok(Some(line)) => parse_uint(&line).map_or(Value::Invalid, Value::Valid),
        Err(_) => Value::Invalid,
    }
}

/// `parse_uint(line)`: a decimal number (digits only, surrounding blanks
/// allowed).
pub fn parse_uint(line: &[u8]) -> Option<u64> {
    let t = line.trim_ascii();
    if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(t).ok()?.parse().ok()
}

/// `signal(path)`: the signal named on the first line of `path`.
pub fn signal(path: &str) -> Value<i32> {
    match first_line(OsStr::new(path), 64) {
        Ok(None) => Value::Absent,
        Ok(Some(line)) => {
            super::signame::number(line.trim_ascii()).map_or(Value::Invalid, Value::Valid)
        }
        Err(_) => Value::Invalid,
    }
}

/// `exists(path)`: whether `path` exists (without following a final
/// symlink's target: a dangling `down` link still counts).
pub fn exists(path: &str) -> bool {
    rustix::fs::statat(rustix::fs::CWD, path, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).is_ok()
}

/// The longest `pidfile` path.
pub const PIDFILE_PATH_MAX: usize = 511;

/// `pidfile_path(path)`: the path that the `pidfile` file names (its first
/// line, non-empty, shorter than 512 bytes, no NUL).
pub fn pidfile_path(path: &str) -> Value<Vec<u8>> {
    match crate::file::read_small(OsStr::new(path), PIDFILE_PATH_MAX + 2) {
        Err(Errno::NOENT) => Value::Absent,
        Err(_) => Value::Invalid,
        Ok(b) => {
            let line = match b.iter().position(|&c| c == b'\n') {
                Some(i) => &b[..i],
                None if b.len() <= PIDFILE_PATH_MAX => &b[..],
                None => return Value::Invalid,
            };
            if line.is_empty() || line.len() > PIDFILE_PATH_MAX || line.contains(&0) {
                Value::Invalid
            } else {
                Value::Valid(line.to_vec())
            }
        }
    }
}

/// `paths_or_die(dirs)`: dies with s6-svc's `invalid service path` (100)
/// if one of `dirs` is empty (it would name `/supervise`, `/event`).
pub fn paths_or_die<'a>(dirs: impl IntoIterator<Item = &'a OsStr>) {
    if dirs.into_iter().any(OsStr::is_empty) {
        crate::msg::fatal(crate::exitcode::USAGE, &[b"invalid service path"]);
    }
}

/// `name_of(arg)`: the service name as given on the command line, kept
/// verbatim.
pub fn name_of(arg: &OsStr) -> &[u8] {
    arg.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_uint(b"5000"), Some(5000));
        assert_eq!(parse_uint(b" 3 "), Some(3));
        for bad in [&b""[..], b"x", b"-1", b"1x", b"99999999999999999999999"] {
            assert_eq!(parse_uint(bad), None);
        }
    }
}
