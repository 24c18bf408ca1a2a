//! Processes: signals to a process or a process group, reaping ended
//! children, and what Linux's /proc tells about a process (its parent,
//! its children, a zombie's status).

use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions};

/// `kill(pid, sig)`: sends `sig` to the one process `pid` (a signal number
/// as the C library has it, real-time ones included).
pub fn kill(pid: Pid, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill takes two integers; pid is positive (a `Pid`), so it
    // names one process, never a group.
    if unsafe { libc::kill(pid.as_raw_nonzero().get(), sig) } == 0 {
        Ok(())
    } else {
        Err(crate::msg::errno())
    }
}

/// `kill_group(pgid, sig)`: sends `sig` to every process of the group
/// `pgid`; EINVAL if `pgid` is not positive (never every process, never
/// our own group by accident).
pub fn kill_group(pgid: i32, sig: i32) -> Result<(), Errno> {
    if pgid <= 0 {
        return Err(Errno::INVAL);
    }
    // SAFETY: kill takes two integers; a negative pid names the group.
    if unsafe { libc::kill(-pgid, sig) } == 0 { Ok(()) } else { Err(crate::msg::errno()) }
}

/// `reap(f)`: collects every child that has ended, without blocking, and
/// calls `f(pid, raw_wait_status)` for each.
pub fn reap(mut f: impl FnMut(Pid, i32)) {
    loop {
        match rustix::process::wait(WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => f(pid, status.as_raw()),
            Err(Errno::INTR) => {}
            // None: nothing more has ended; ECHILD: no children left.
            _ => return,
        }
    }
}

/// `die_with_parent(parent)`: (in a child) SIGKILL comes when the parent
/// ends; `Errno::SRCH` if `parent` is not our parent any more (it ended
/// before the request took effect). A parent outside our PID namespace
/// cannot be checked. Linux only (`Errno::NOSYS` elsewhere).
pub fn die_with_parent(parent: Pid) -> Result<(), Errno> {
    linux_like!(if {
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
        match rustix::process::getppid() {
            Some(p) if p != parent => Err(Errno::SRCH),
            _ => Ok(()),
        }
    } else {
        let _ = parent;
        Err(Errno::NOSYS)
    })
}

/// `outlive_parent(parent)`: undoes `die_with_parent`; `Errno::SRCH` if
/// the parent ended meanwhile.
pub fn outlive_parent(parent: Pid) -> Result<(), Errno> {
    linux_like!(if {
        rustix::process::set_parent_process_death_signal(None)?;
        match rustix::process::getppid() {
            Some(p) if p != parent => Err(Errno::SRCH),
            _ => Ok(()),
        }
    } else {
        let _ = parent;
        Ok(())
    })
}

/// `has_children()`: whether this process has a child, running or ended
/// but not reaped.
pub fn has_children() -> bool {
    use rustix::process::{WaitId, WaitIdOptions};
    let opts = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    loop {
        return match rustix::process::waitid(WaitId::All, opts) {
            Err(Errno::INTR) => continue,
            Err(Errno::CHILD) => false,
            _ => true,
        };
    }
}

/// `children(f)`: calls `f` on the pid of each child of ours that Linux
/// lists in /proc/self/task/PID/children (nothing elsewhere, or when the
/// kernel lacks the file).
pub fn children(mut f: impl FnMut(Pid)) {
    linux_like!(if {
        use rustix::fs::{Mode, OFlags};
        use std::os::unix::ffi::OsStrExt;
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let mut path = b"/proc/self/task/".to_vec();
        path.extend_from_slice(&crate::fmt::dec(me.into()));
        path.extend_from_slice(b"/children");
        let Ok(fd) = rustix::fs::open(&path[..], OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        else {
            return;
        };
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = rustix::io::read(&fd, &mut buf) {
            all.extend_from_slice(&buf[..n]);
        }
        for word in all.split(|&c| c == b' ' || c == b'\n') {
            let n = crate::cli::parse_decimal::<i32>(std::ffi::OsStr::from_bytes(word));
            if let Some(pid) = n.and_then(Pid::from_raw) {
                f(pid);
            }
        }
    } else {
        let _ = &mut f;
    })
}

/// `zombie_status(pid)`: the raw wait status of `pid` if it is a zombie
/// (ended, not reaped), from field 52 of /proc/PID/stat (Linux 3.5 and
/// later); `None` otherwise or elsewhere.
pub fn zombie_status(pid: Pid) -> Option<i32> {
    linux_like!(if {
        let stat = proc_stat(pid.as_raw_nonzero().get())?;
        let mut fields = stat_fields(&stat)?;
        // Field 3 is the state; the exit code is field 52.
        if fields.next()? != b"Z" {
            return None;
        }
        let code = fields.nth(52 - 4)?;
        std::str::from_utf8(code).ok()?.parse().ok()
    } else {
        let _ = pid;
        None
    })
}

/// `descends(pid)`: whether `pid` is our descendant, by its /proc parent chain (Linux; `false` elsewhere).
pub fn descends(pid: Pid) -> bool {
    linux_like!(if {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let mut p = pid.as_raw_nonzero().get();
        // Bounded: a chain read while processes come and go could loop.
        for _ in 0..4096 {
            match ppid(p) {
                Some(q) if q == me => return true,
                Some(q) if q > 1 => p = q,
                _ => return false,
            }
        }
        false
    } else {
        let _ = pid;
        false
    })
}

linux_like! {
    /// `ppid(pid)`: the parent of `pid`, from /proc/PID/stat.
    fn ppid(pid: i32) -> Option<i32> {
        stat_ppid(&proc_stat(pid)?)
    }
}

linux_like! {
    /// `proc_stat(pid)`: the text of /proc/PID/stat.
    fn proc_stat(pid: i32) -> Option<Vec<u8>> {
        use rustix::fs::{Mode, OFlags};
        let mut path = b"/proc/".to_vec();
        crate::fmt::push_dec(&mut path, pid.into());
        path.extend_from_slice(b"/stat");
        let fd = rustix::fs::open(&path[..], OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
        let mut buf = [0u8; 1024];
        let got = crate::io::read_full(&fd, &mut buf).ok()?;
        Some(buf[..got].to_vec())
    }
}

linux_like! {
    /// `stat_fields(stat)`: the fields of a /proc/PID/stat line from field 3
    /// (the state) on. The command name (field 2) may hold spaces and
    /// parentheses: fields are counted after the last `)`.
    fn stat_fields(stat: &[u8]) -> Option<impl Iterator<Item = &[u8]>> {
        let close = stat.iter().rposition(|&c| c == b')')?;
        Some(stat[close + 1..].split(|&c| c == b' ' || c == b'\n').filter(|f| !f.is_empty()))
    }
}

linux_like! {
    /// `stat_ppid(stat)`: field 4 of a /proc/PID/stat line.
    fn stat_ppid(stat: &[u8]) -> Option<i32> {
        let mut fields = stat_fields(stat)?;
        let _state = fields.next()?;
        std::str::from_utf8(fields.next()?).ok()?.parse().ok()
    }
}

linux_like! {
    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn ppid_from_stat() {
            assert_eq!(stat_ppid(b"42 (sh) S 7 42 42 0 -1"), Some(7));
            assert_eq!(stat_ppid(b"42 (a) b (c) R 1234 1 1"), Some(1234));
            assert_eq!(stat_ppid(b"42 ((x)) Z 0 0"), Some(0));
            assert_eq!(stat_ppid(b"42 (a b) S"), None);
            assert_eq!(stat_ppid(b"42 (sh S 7"), None);
            assert_eq!(stat_ppid(b""), None);
            assert_eq!(stat_ppid(b"42 (sh) S x"), None);
        }

        #[test]
        fn our_children_descend_from_us() {
            let me = rustix::process::getpid();
            let parent = rustix::process::getppid().unwrap();
            assert!(!descends(parent));
            assert!(!descends(Pid::INIT));
            assert_eq!(ppid(me.as_raw_nonzero().get()), Some(parent.as_raw_nonzero().get()));
            let mut child = std::process::Command::new("sleep").arg("600").spawn().unwrap();
            let pid = Pid::from_raw(child.id() as i32).unwrap();
            let ok = descends(pid);
            let _ = child.kill();
            let _ = child.wait();
            assert!(ok);
        }
    }
}
