//! Pidfiles, the way a daemon that backgrounds itself tells where it went:
//! reading and checking the pid (`parse`, `read`), telling a pidfile
//! written by this run from a stale one (`Fresh`: `Before::take`, a
//! snapshot of the path taken before the program starts; or a time,
//! `now`, `written_since`), removing only what this run wrote
//! (`remove_if_written_since`), and waiting for a
//! pidfile to appear without polling (`Appear`: an inotify watch on its
//! directory on Linux, a kqueue vnode watch elsewhere), as an object with
//! a pollable descriptor and a `check` method, so any event loop built on
//! `poll::wait` can carry it.

use crate::cli::parse_decimal;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Why a pidfile's content is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum BadPid {
    /// Nothing in it.
    Empty,
    /// Not a decimal pid alone on its first line.
    Garbage,
}

/// The longest first line taken as a pid (longer ones are refused, not
/// cut short: leading zeros could otherwise be read as pid 0).
pub const LINE_MAX: usize = 32;

/// `parse(content)`: the pid on the first line (decimal digits, then a
/// newline or the end of the file). `content` holds the file's first
/// `LINE_MAX + 1` bytes, or all of it if shorter.
pub fn parse(content: &[u8]) -> Result<i32, BadPid> {
    if content.is_empty() {
        return Err(BadPid::Empty);
    }
    let line = content.split(|&c| c == b'\n').next().unwrap_or(content);
    if line.len() > LINE_MAX {
        return Err(BadPid::Garbage);
    }
    parse_decimal::<i32>(OsStr::from_bytes(line)).ok_or(BadPid::Garbage)
}

/// A point in time comparable with file modification times.
pub type Time = rustix::fs::Timespec;

/// `now()`: the current time as the file system stamps files: the coarse
/// real-time clock on Linux (file times come from it, and may lag the
/// precise clock by a tick, so a file written just after `now()` is never
/// dated before it).
pub fn now() -> Time {
    let id = linux_like!(if {
        rustix::time::ClockId::RealtimeCoarse
    } else {
        rustix::time::ClockId::Realtime
    });
    rustix::time::clock_gettime(id)
}

/// `mtime(st)`: a stat's modification time.
fn mtime(st: &rustix::fs::Stat) -> Time {
    Time { tv_sec: st.st_mtime as _, tv_nsec: st.st_mtime_nsec as _ }
}

/// `written_since(st, since)`: whether a stat describes a regular file last
/// modified at `since` or later. A time with no nanoseconds comes from a
/// file system that stamps whole seconds (ext3, for one): there the same
/// second counts, or a file written just after `since` would look older.
pub fn written_since(st: &rustix::fs::Stat, since: Time) -> bool {
    let t = mtime(st);
    let whole_seconds = t.tv_nsec == 0;
    FileType::from_raw_mode(st.st_mode as _) == FileType::RegularFile
        && (t.tv_sec > since.tv_sec
            || (t.tv_sec == since.tv_sec && (whole_seconds || t.tv_nsec >= since.tv_nsec)))
}

/// What a regular file's identity and last change are: (device, inode,
/// size, mtime, ctime).
type Id = (u64, u64, i64, Time, Time);

/// `id(st)`: the identity of the file a stat describes.
#[allow(clippy::unnecessary_cast)] // the field types vary between systems
fn id(st: &rustix::fs::Stat) -> Id {
    let ctime = Time { tv_sec: st.st_ctime as _, tv_nsec: st.st_ctime_nsec as _ };
    (st.st_dev as u64, st.st_ino as u64, st.st_size as i64, mtime(st), ctime)
}

/// What tells a file this run's program wrote from one that was there
/// before: a snapshot of the path (`Before`), or a time (`Time`: written
/// at that time or later, as the clock goes; a file written in the tick
/// before, or dated ahead, passes for fresh).
pub trait Fresh: Copy {
    /// `fresh(st)`: whether `st` describes a regular file this run wrote.
    fn fresh(&self, st: &rustix::fs::Stat) -> bool;
}

impl Fresh for Time {
    fn fresh(&self, st: &rustix::fs::Stat) -> bool {
        written_since(st, *self)
    }
}

/// What was at a pidfile's path before the program that writes it
/// started: a regular file (its device, inode, size, mtime and ctime),
/// or nothing (absent, or not a regular file). A regular file there now
/// is fresh if it differs in any of them; no clock is read, so a file
/// written just before the start, or dated in the future, stays stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Before(Option<Id>);

impl Before {
    /// `take(path)`: the snapshot of `path` now (a symbolic link
    /// followed, as `read` does).
    pub fn take(path: &OsStr) -> Before {
        Before(rustix::fs::stat(path).ok().filter(is_regular).map(|st| id(&st)))
    }
}

impl Fresh for Before {
    fn fresh(&self, st: &rustix::fs::Stat) -> bool {
        is_regular(st) && self.0 != Some(id(st))
    }
}

/// `is_regular(st)`: whether a stat describes a regular file.
fn is_regular(st: &rustix::fs::Stat) -> bool {
    FileType::from_raw_mode(st.st_mode as _) == FileType::RegularFile
}

/// `read(path, since)`: the file's first `LINE_MAX + 1` bytes, enough to
/// tell a pid line from a longer one, and whether the file is fresh: a
/// regular file `since` calls fresh, or not a regular file (a fifo or the
/// like counts as fresh). Non-blocking, so a fifo with no writer reads as
/// empty instead of hanging in open(2).
pub fn read(path: &OsStr, since: impl Fresh) -> Result<(Vec<u8>, bool), Errno> {
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = rustix::fs::open(path, flags, Mode::empty())?;
    let st = rustix::fs::fstat(&fd)?;
    let fresh = !is_regular(&st) || since.fresh(&st);
    let mut buf = [0u8; LINE_MAX + 1];
    let got = crate::io::read_full(&fd, &mut buf)?;
    Ok((buf[..got].to_vec(), fresh))
}

/// `remove_if_written_since(path, since)`: removes `path` only if it is a
/// regular file (checked without following a symbolic link) that `since`
/// calls fresh: a pidfile this run's program wrote, never a device, a
/// directory entry of another kind, or a file that was there before.
/// `Ok(false)`: left alone (missing included).
pub fn remove_if_written_since(path: &OsStr, since: impl Fresh) -> Result<bool, Errno> {
    let st = match rustix::fs::lstat(path) {
        Ok(st) => st,
        Err(Errno::NOENT) => return Ok(false),
        Err(e) => return Err(e),
    };
    if !since.fresh(&st) {
        return Ok(false);
    }
    match rustix::fs::unlink(path) {
        Ok(()) => Ok(true),
        Err(Errno::NOENT) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `split(path)`: (directory, file name) of a path; the directory is `.`
/// for a bare name.
fn split(path: &OsStr) -> (&OsStr, &OsStr) {
    let b = path.as_bytes();
    match b.iter().rposition(|&c| c == b'/') {
        Some(0) => (OsStr::new("/"), OsStr::from_bytes(&b[1..])),
        Some(i) => (OsStr::from_bytes(&b[..i]), OsStr::from_bytes(&b[i + 1..])),
        None => (OsStr::new("."), path),
    }
}

/// Waiting for a pidfile to appear (or be rewritten): a watch on its
/// directory, whose descriptor becomes readable when an entry of the
/// directory is created, renamed into it, written or closed after
/// writing. No polling: between events nothing runs.
pub struct Appear<F: Fresh = Time> {
    fd: OwnedFd,
    path: Vec<u8>,
    since: F,
}

impl<F: Fresh> Appear<F> {
    /// `new(path, since)`: starts watching `path`'s directory; `check`
    /// then accepts only a file `since` calls fresh. Fails when the
    /// directory cannot be watched (missing, or no inotify/kqueue).
    pub fn new(path: &OsStr, since: F) -> Result<Appear<F>, Errno> {
        let (dir, _) = split(path);
        let fd = imp::watch(dir)?;
        Ok(Appear { fd, path: path.as_bytes().to_vec(), since })
    }

    /// `fd()`: the descriptor to poll for reading.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// `check()`: after `fd` became readable (or at any time): consumes
    /// the pending events and returns the pidfile's head when it is there,
    /// written since `since`, and complete: a first line ended by a
    /// newline, or (no newline) the writer has closed it.
    pub fn check(&mut self) -> Option<Vec<u8>> {
        let (_, name) = split(OsStr::from_bytes(&self.path));
        let closed = imp::drain(&self.fd, name.as_bytes());
        let (content, fresh) = read(OsStr::from_bytes(&self.path), self.since).ok()?;
        let complete = content.contains(&b'\n') || (closed && !content.is_empty());
        (fresh && complete).then_some(content)
    }
}

linux_like! {
    mod imp {
        use super::*;
        use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};

        pub fn watch(dir: &OsStr) -> Result<OwnedFd, Errno> {
            let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)?;
            let what = WatchFlags::CREATE
                | WatchFlags::MOVED_TO
                | WatchFlags::MODIFY
                | WatchFlags::CLOSE_WRITE
                | WatchFlags::ONLYDIR;
            inotify::add_watch(&fd, dir, what)?;
            Ok(fd)
        }

        /// Reads every pending event; whether one said `name` was closed
        /// after writing.
        pub fn drain(fd: &OwnedFd, name: &[u8]) -> bool {
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 4096];
            let mut reader = inotify::Reader::new(fd, &mut buf);
            let mut closed = false;
            while let Ok(ev) = reader.next() {
                if ev.events().contains(ReadFlags::CLOSE_WRITE)
                    && ev.file_name().is_some_and(|n| n.to_bytes() == name)
                {
                    closed = true;
                }
            }
            closed
        }
    }
}

kqueue_os! {
mod imp {
    use super::*;
    use rustix::event::kqueue::{self, Event, EventFilter, EventFlags, VnodeEvents};

    /// A kqueue with a vnode watch on the directory (an entry added or
    /// renamed in). A write to an existing file does not show on its
    /// directory: `check` is then done at the next event or timeout.
    pub fn watch(dir: &OsStr) -> Result<OwnedFd, Errno> {
        let d = rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::DIRECTORY,
            Mode::empty(),
        )?;
        let kq = kqueue::kqueue()?;
        let ev = Event::new(
            EventFilter::Vnode {
                vnode: rustix::fd::AsRawFd::as_raw_fd(&d),
                flags: VnodeEvents::WRITE | VnodeEvents::EXTEND,
            },
            EventFlags::ADD | EventFlags::CLEAR,
            std::ptr::null_mut(),
        );
        let mut out: Vec<Event> = Vec::new();
        // SAFETY: the directory descriptor is leaked below, so it outlives
        // the kqueue that refers to it.
        unsafe { kqueue::kevent_timespec(&kq, &[ev], &mut out, None)? };
        std::mem::forget(d);
        Ok(kq)
    }

    pub fn drain(fd: &OwnedFd, _name: &[u8]) -> bool {
        let mut out: Vec<Event> = Vec::with_capacity(8);
        let zero = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: only vnode events on a descriptor that is never closed.
        let _ = unsafe { kqueue::kevent_timespec(fd, &[], &mut out, Some(&zero)) };
        true
    }
}
}

other_os! {
mod imp {
    use super::*;

    pub fn watch(_: &OsStr) -> Result<OwnedFd, Errno> {
        Err(Errno::NOSYS)
    }

    pub fn drain(_: &OwnedFd, _: &[u8]) -> bool {
        true
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pidfile_content() {
        assert_eq!(parse(b"123\n"), Ok(123));
        assert_eq!(parse(b"123"), Ok(123));
        assert_eq!(parse(b"123\nmore\n"), Ok(123));
        assert_eq!(parse(b""), Err(BadPid::Empty));
        let mut zeros = vec![b'0'; LINE_MAX - 1];
        zeros.extend_from_slice(b"7\n");
        assert_eq!(parse(&zeros), Ok(7));
        for bad in [
            &b"\n"[..],
            b"abc\n",
            b" 12\n",
            b"12 \n",
            b"-5\n",
            b"+5\n",
            b"99999999999\n",
            b"12\r\n",
            &[b'0'; LINE_MAX + 1],
        ] {
            assert_eq!(parse(bad), Err(BadPid::Garbage), "{bad:?}");
        }
    }

    #[test]
    fn paths_split() {
        assert_eq!(split(OsStr::new("/run/x.pid")), (OsStr::new("/run"), OsStr::new("x.pid")));
        assert_eq!(split(OsStr::new("x.pid")), (OsStr::new("."), OsStr::new("x.pid")));
        assert_eq!(split(OsStr::new("/x.pid")), (OsStr::new("/"), OsStr::new("x.pid")));
        assert_eq!(split(OsStr::new("a/b/c")), (OsStr::new("a/b"), OsStr::new("c")));
    }

    fn tmp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("s6box-pidfile-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn whole_second_times_count_the_same_second() {
        let d = tmp("seconds");
        let f = d.join("f");
        std::fs::write(&f, "1\n").unwrap();
        let since = Time { tv_sec: 2_000_000_000, tv_nsec: 500 };
        let set = |secs: u64, nanos: u32| {
            let t = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::new(secs, nanos);
            std::fs::File::open(&f).unwrap().set_modified(t).unwrap();
            written_since(&rustix::fs::stat(&f).unwrap(), since)
        };
        assert!(set(2_000_000_000, 0), "whole second, same second");
        assert!(set(2_000_000_000, 500));
        assert!(!set(2_000_000_000, 499));
        assert!(!set(1_999_999_999, 0));
        assert!(set(2_000_000_001, 1));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn only_a_regular_file_written_since_is_removed() {
        let d = tmp("remove");
        let old = d.join("old");
        std::fs::write(&old, "1\n").unwrap();
        let f = std::fs::File::open(&old).unwrap();
        f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000))
            .unwrap();
        let since = now();
        let new = d.join("new");
        std::fs::write(&new, "2\n").unwrap();
        let sub = d.join("sub");
        std::fs::create_dir(&sub).unwrap();
        let link = d.join("link");
        std::os::unix::fs::symlink(&new, &link).unwrap();
        assert_eq!(remove_if_written_since(old.as_os_str(), since), Ok(false));
        assert_eq!(remove_if_written_since(sub.as_os_str(), since), Ok(false));
        assert_eq!(remove_if_written_since(link.as_os_str(), since), Ok(false));
        assert_eq!(remove_if_written_since(OsStr::new("/dev/null"), since), Ok(false));
        assert_eq!(remove_if_written_since(d.join("none").as_os_str(), since), Ok(false));
        assert!(old.exists() && sub.exists() && link.symlink_metadata().is_ok());
        assert_eq!(remove_if_written_since(new.as_os_str(), since), Ok(true));
        assert!(!new.exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_snapshot_tells_what_changed_without_a_clock() {
        let d = tmp("before");
        let p = d.join("x.pid");
        let fresh =
            |b: Before| rustix::fs::stat(p.as_path()).map(|st| b.fresh(&st)).unwrap_or(false);
        let absent = Before::take(p.as_os_str());
        std::fs::write(&p, "5\n").unwrap();
        assert!(fresh(absent), "absent before: any regular file is fresh");
        // Dated ahead, or written just now: unchanged since the snapshot.
        let t = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        std::fs::File::open(&p).unwrap().set_modified(t).unwrap();
        let b = Before::take(p.as_os_str());
        assert!(!fresh(b));
        assert_eq!(remove_if_written_since(p.as_os_str(), b), Ok(false));
        assert_eq!(read(p.as_os_str(), b), Ok((b"5\n".to_vec(), false)));
        // Rewritten in place, or replaced: fresh.
        std::fs::write(&p, "66\n").unwrap();
        assert!(fresh(b));
        let b = Before::take(p.as_os_str());
        std::fs::write(d.join("new"), "66\n").unwrap();
        std::fs::rename(d.join("new"), &p).unwrap();
        assert!(fresh(b));
        assert_eq!(remove_if_written_since(p.as_os_str(), b), Ok(true));
        // Not a regular file before: nothing to compare with.
        let b = Before::take(OsStr::new("/dev/null"));
        assert_eq!(b, Before(None));
        std::fs::remove_dir_all(&d).unwrap();
    }

    linux_like! {
        #[test]
        fn appear_reports_a_complete_fresh_pidfile() {
            use std::io::Write;
            let d = tmp("appear");
            let p = d.join("x.pid");
            std::fs::write(&p, "5\n").unwrap();
            let f = std::fs::File::open(&p).unwrap();
            f.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
            let since = now();
            let mut a = Appear::new(p.as_os_str(), since).unwrap();
            // Stale: there, but written before `since`.
            assert_eq!(a.check(), None);
            std::fs::remove_file(&p).unwrap();
            let mut w = std::fs::File::create(&p).unwrap();
            assert!(crate::poll::wait(&[a.fd()], Some(std::time::Instant::now())) <= 1);
            assert_eq!(a.check(), None, "empty");
            w.write_all(b"12").unwrap();
            assert_eq!(a.check(), None, "no newline, still open");
            w.write_all(b"34").unwrap();
            drop(w);
            // The close event can come late: a child another test thread
            // forks holds the file until it execs.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let got = loop {
                assert_eq!(crate::poll::wait(&[a.fd()], Some(deadline)), 1, "no close event");
                if let Some(c) = a.check() {
                    break c;
                }
            };
            assert_eq!(got, b"1234");
            std::fs::write(&p, "77\n").unwrap();
            assert_eq!(a.check(), Some(b"77\n".to_vec()));
            std::fs::remove_dir_all(&d).unwrap();
        }
    }
}
