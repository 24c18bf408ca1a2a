//! s6-log: reads lines on stdin and, following its logging script,
//! selects them, stamps them, and stores them in logdirs with automatic
//! rotation, or sends them to stdout, stderr (alerts) or status files.
//!
//! Each read (up to `CHUNK` bytes) is cut into lines (split at the line
//! limit), every line goes through the script into per-output buffers,
//! and the buffers are written before the next read: s6-log never holds
//! more than one read's worth of lines (plus an unfinished line), so its
//! memory is bounded, and a line is in `current` before more input is
//! taken. A logdir that cannot be written (a full disk) or rotated (a
//! failing processor) stops the reading until a retry, `r` milliseconds
//! later, works: nothing is dropped.
//!
//! Logdirs follow s6's layout: `lock` (record lock), `current` (0644
//! while written, 0744 once cleanly finalised), `state`, `previous`,
//! `processed`, `newstate`, archives `@TAI64N.s` and `@TAI64N.u`.

use s6box::argv::{Argv, OwnedArgv};
use s6box::cli::{Cli, Opt};
use s6box::regex::Regex;
use s6box::{exec, lock, msg, poll, sig, tai, watch};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

const USAGE: &str = "s6-log [ -d notif ] [ -q | -v ] [ -b ] [ -p ] [ -l linelimit ] [ -t lastlinetimeout ] [ -- ] logging_script";

/// Bytes asked of each read of stdin.
const CHUNK: usize = 128 * 1024;

/// A TAI64N stamp and its space.
type Stamp = [u8; tai::STAMP_LEN + 1];

/// A selection directive.
enum Sel {
    Plus(Regex),
    Minus(Regex),
    Forgotten,
}

/// Where an action sends the line.
enum Kind {
    Stdout,
    /// Alert on stderr, with the `E` size.
    Alert(usize),
    /// Index into `Logger::status`.
    Status(usize),
    /// Index into `Logger::dirs`.
    Logdir(usize),
}

struct Action {
    tai: bool,
    iso: bool,
    prefix: Option<Vec<u8>>,
    kind: Kind,
}

enum Step {
    Sel(Sel),
    Act(Action),
}

/// A status file: its path, its `^` size, and the content waiting to be
/// written (only the last line of a read matters).
struct Status {
    path: Vec<u8>,
    size: usize,
    pending: Option<Vec<u8>>,
}

/// How a processor runs.
#[derive(Clone)]
enum Processor {
    Execline(Vec<u8>),
    Shell(Vec<u8>),
}

/// The control settings in force when a logdir directive is met.
#[derive(Clone)]
struct Control {
    n: u32,
    s: u64,
    total: u64,
    tolerance: u64,
    retry: u64,
    alert: usize,
    status: usize,
    prefix: Option<Vec<u8>>,
    processor: Option<Processor>,
    period: u64,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            n: 10,
            s: 99999,
            total: 0,
            tolerance: 2000,
            retry: 2000,
            alert: 200,
            status: 1001,
            prefix: None,
            processor: None,
            period: 0,
        }
    }
}

/// A processor at work on `previous`.
struct Job {
    pid: rustix::process::Pid,
    processed: OwnedFd,
    newstate: OwnedFd,
}

/// `previous`: the last `current`, for the processor.
struct Previous {
    /// The processor at work on it (none: not started yet, or to be
    /// retried).
    job: Option<Job>,
    /// The moment its archive is named for, when found at start (when it
    /// was written); none: when the archive is made.
    at: Option<(i64, u32)>,
}

/// Where a logdir's rotation stands.
#[derive(Default)]
struct Rotation {
    /// A rotation is asked for and not done yet: how many bytes of `buf`
    /// still belong to the old `current` (written before it rotates).
    asked: Option<usize>,
    /// There is a `previous` (rotations wait until it is processed).
    previous: Option<Previous>,
    /// `R`: when `current` is to be rotated.
    period_at: Option<Instant>,
}

/// One logdir.
struct Logdir {
    path: Vec<u8>,
    dir: OwnedFd,
    _lock: OwnedFd,
    cur: Option<OwnedFd>,
    /// Bytes in `current` on disk.
    size: u64,
    /// Whole lines (or the rest of one) waiting to be written.
    buf: Vec<u8>,
    n: u32,
    s: u64,
    total: u64,
    tolerance: u64,
    retry: Duration,
    processor: Option<Processor>,
    period: u64,
    rot: Rotation,
    /// After an error: when to try again.
    retry_at: Option<Instant>,
    /// The failure last warned about (cleared by a write that works).
    warned: Vec<u8>,
}

struct Opts {
    verbosity: u32,
    protect: bool,
    linelimit: usize,
    lastline: Duration,
    notif: Option<i32>,
}

/// The running logger.
struct Logger {
    steps: Box<[Step]>,
    dirs: Vec<Logdir>,
    status: Vec<Status>,
    stdout_ok: bool,
    out: Vec<u8>,
    err: Vec<u8>,
    /// The current read's stamps, made on first use.
    tai: Option<Stamp>,
    iso: Option<Vec<u8>>,
    clock: (i64, u32),
    zone: Option<tai::Zone>,
    scratch: Vec<u8>,
    verbosity: u32,
}

fn cstr(v: &mut Vec<u8>) -> &CStr {
    v.push(0);
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len() - 1);
    v.truncate(end + 1);
    CStr::from_bytes_with_nul(v).unwrap_or(c"")
}

fn join(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(a.len() + b.len() + 1);
    v.extend_from_slice(a);
    v.push(b'/');
    v.extend_from_slice(b);
    v
}

/// `number(s)`: a directive's decimal value.
fn number(s: &[u8]) -> Option<u64> {
    s6box::cli::parse_decimal(OsStr::from_bytes(s))
}

/// A parsed logging script: the steps, the logdirs with the control
/// settings each was declared under, the status files, and whether
/// non-action directives trail after the last action (ignored, with a
/// warning).
type Script = (Vec<Step>, Vec<(Vec<u8>, Control)>, Vec<Status>, bool);

/// Why a logging script is refused (each is a usage error, 100).
#[derive(Debug, PartialEq, Eq)]
enum ScriptError {
    Unrecognized(Vec<u8>),
    Syntax(Vec<u8>),
    NoAction,
    /// An `l` directive larger than half the `s` before it.
    Conflicts(Vec<u8>),
}

/// `parse_or_die(args, verbosity)`: the logging script, or death with
/// s6's messages.
fn parse_or_die(args: Argv, verbosity: u32) -> Script {
    let e = match parse(args) {
        Ok(script) => {
            if script.3 && verbosity >= 1 {
                msg::warn(&[b"ignoring extraneous non-action directives"]);
            }
            return script;
        }
        Err(e) => e,
    };
    let usage = s6box::exitcode::USAGE;
    match e {
        ScriptError::Unrecognized(d) => msg::fatal(usage, &[b"unrecognized directive: ", &d]),
        ScriptError::Syntax(d) => msg::fatal(usage, &[b"syntax error at directive: ", &d]),
        ScriptError::NoAction => msg::fatal(usage, &[b"no action directive specified"]),
        ScriptError::Conflicts(d) => {
            msg::fatal(usage, &[b"directive ", &d, b" conflicts with previous s directive"])
        }
    }
}

/// `parse(args)`: the logging script.
fn parse(args: Argv) -> Result<Script, ScriptError> {
    let mut steps = Vec::new();
    let mut dirs = Vec::new();
    let mut status = Vec::new();
    let mut c = Control::default();
    let (mut tai_next, mut iso_next) = (false, false);
    let mut s_given = false;
    let mut trailing_sel = false;
    let unrecognized = |d: &[u8]| ScriptError::Unrecognized(d.to_vec());
    let syntax = |d: &[u8]| ScriptError::Syntax(d.to_vec());
    // First pass, as s6: only the first characters, and the count of
    // actions; then the full reading.
    let mut actions = 0;
    for arg in args.iter() {
        match arg.as_bytes().first() {
            Some(b'+' | b'-' | b'f' | b'n' | b's' | b'S' | b'l' | b'r' | b'E' | b'^' | b'R')
            | Some(b'p' | b'!' | b'?' | b't' | b'T') => {}
            Some(b'1' | b'2' | b'=' | b'/' | b'.') => actions += 1,
            _ => return Err(unrecognized(arg.as_bytes())),
        }
    }
    if actions == 0 {
        return Err(ScriptError::NoAction);
    }
    for arg in args.iter() {
        let d = arg.as_bytes();
        let Some(&first) = d.first() else { return Err(unrecognized(d)) };
        let rest = &d[1..];
        let num = || number(rest).ok_or_else(|| unrecognized(d));
        let mut action = None;
        match first {
            b'+' | b'-' => {
                let re = Regex::new(rest).ok_or_else(|| unrecognized(d))?;
                steps.push(Step::Sel(if first == b'+' { Sel::Plus(re) } else { Sel::Minus(re) }));
                trailing_sel = true;
                continue;
            }
            b'f' => {
                if !rest.is_empty() {
                    return Err(syntax(d));
                }
                steps.push(Step::Sel(Sel::Forgotten));
                trailing_sel = true;
                continue;
            }
            b'n' => c.n = num()?.min(u64::from(u32::MAX)) as u32,
            b's' => {
                c.s = num()?.clamp(4096, 268_435_455);
                s_given = true;
            }
            b'S' => c.total = num()?,
            b'l' => {
                let l = num()?;
                if s_given && l > c.s / 2 {
                    return Err(ScriptError::Conflicts(d.to_vec()));
                }
                c.tolerance = l;
            }
            b'r' => c.retry = num()?,
            b'E' => c.alert = num()?.min(usize::MAX as u64) as usize,
            b'^' => c.status = num()?.min(usize::MAX as u64) as usize,
            b'R' => c.period = num()?,
            b'p' => c.prefix = (!rest.is_empty()).then(|| rest.to_vec()),
            b'!' => c.processor = (!rest.is_empty()).then(|| Processor::Execline(rest.to_vec())),
            b'?' => c.processor = (!rest.is_empty()).then(|| Processor::Shell(rest.to_vec())),
            b't' | b'T' => {
                if !rest.is_empty() {
                    return Err(syntax(d));
                }
                if first == b't' {
                    tai_next = true;
                } else {
                    iso_next = true;
                }
            }
            b'1' | b'2' => {
                if !rest.is_empty() {
                    return Err(syntax(d));
                }
                action = Some(if first == b'1' { Kind::Stdout } else { Kind::Alert(c.alert) });
            }
            b'=' => {
                if rest.is_empty() {
                    return Err(syntax(d));
                }
                status.push(Status { path: rest.to_vec(), size: c.status, pending: None });
                action = Some(Kind::Status(status.len() - 1));
            }
            b'/' | b'.' => {
                dirs.push((d.to_vec(), c.clone()));
                action = Some(Kind::Logdir(dirs.len() - 1));
            }
            _ => return Err(unrecognized(d)),
        }
        if let Some(kind) = action {
            steps.push(Step::Act(Action {
                tai: tai_next,
                iso: iso_next,
                prefix: c.prefix.clone(),
                kind,
            }));
            tai_next = false;
            iso_next = false;
            trailing_sel = false;
        }
    }
    Ok((steps, dirs, status, trailing_sel))
}

/// `exists(dir, name)`: `name` is there (a failing stat counts as absent).
fn stat_at(dir: BorrowedFd, name: &CStr) -> Option<rustix::fs::Stat> {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()
}

fn unlink_at(dir: BorrowedFd, name: &CStr) -> Result<(), Errno> {
    match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `archive_name(dir, suffix, at)`: `@TAI64N.s` or `.u` for the moment
/// `at` (Unix seconds and nanoseconds; now if `None`), not yet taken in
/// `dir` (a taken name moves on by a nanosecond).
fn archive_name(dir: BorrowedFd, suffix: u8, at: Option<(i64, u32)>) -> Vec<u8> {
    let (secs, mut nanos) = at.unwrap_or_else(tai::now);
    let label = tai::label_of_unix(secs);
    loop {
        let mut name = Vec::with_capacity(28);
        name.extend_from_slice(&tai::encode(label, nanos));
        name.push(b'.');
        name.push(suffix);
        name.push(0);
        let c = CStr::from_bytes_with_nul(&name).unwrap_or(c"@");
        if stat_at(dir, c).is_none() {
            name.pop();
            return name;
        }
        nanos = (nanos + 1) % 1_000_000_000;
    }
}

fn rename_at(dir: BorrowedFd, from: &CStr, to: &[u8]) -> Result<(), Errno> {
    let mut t = to.to_vec();
    rustix::fs::renameat(dir, from, dir, cstr(&mut t))
}

fn open_at(dir: BorrowedFd, name: &CStr, flags: OFlags) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(dir, name, flags | OFlags::CLOEXEC, Mode::from_raw_mode(0o644))
}

fn write_fd(fd: BorrowedFd, mut buf: &[u8]) -> Result<usize, (usize, Errno)> {
    let total = buf.len();
    while !buf.is_empty() {
        match rustix::io::write(fd, buf) {
            Ok(0) => return Err((total - buf.len(), Errno::IO)),
            Ok(n) => buf = &buf[n..],
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                // A non-blocking descriptor (an inherited stdout): wait
                // until it takes more.
                let mut p = [rustix::event::PollFd::new(&fd, rustix::event::PollFlags::OUT)];
                let _ = rustix::event::poll(&mut p, None);
            }
            Err(e) => return Err((total - buf.len(), e)),
        }
    }
    Ok(total)
}

fn is_archive(name: &[u8]) -> bool {
    name.len() == 27
        && name[0] == b'@'
        && name[25] == b'.'
        && (name[26] == b's' || name[26] == b'u')
        && name[1..25].iter().all(u8::is_ascii_hexdigit)
}

impl Logdir {
    /// `open(path, c)`: creates, locks and recovers the logdir, and opens
    /// `current`; fatal (111) on failure, as s6.
    fn open(path: Vec<u8>, c: &Control) -> Logdir {
        let mut p = path.clone();
        let pc = cstr(&mut p).to_owned();
        match rustix::fs::mkdir(&*pc, Mode::from_raw_mode(0o2700)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => msg::fatal_sys(111, &[b"mkdir ", &path], e),
        }
        let dir = rustix::fs::open(
            &*pc,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap_or_else(|e| msg::fatal_sys(111, &[b"open ", &path], e));
        let lock_fd = open_at(dir.as_fd(), c"lock", OFlags::WRONLY | OFlags::CREATE)
            .unwrap_or_else(|e| msg::fatal_sys(111, &[b"open ", &join(&path, b"lock")], e));
        if let Err(e) = lock::lock(lock_fd.as_fd(), false, lock::Wait::No) {
            msg::fatal_sys(111, &[b"lock ", &join(&path, b"lock")], e);
        }
        let mut ld = Logdir {
            path,
            dir,
            _lock: lock_fd,
            cur: None,
            size: 0,
            buf: Vec::new(),
            n: c.n,
            s: c.s,
            total: c.total,
            tolerance: c.tolerance.min(c.s / 2),
            retry: Duration::from_millis(c.retry),
            processor: c.processor.clone(),
            period: c.period,
            rot: Rotation::default(),
            retry_at: None,
            warned: Vec::new(),
        };
        if let Err((what, e)) = ld.recover() {
            msg::fatal_sys(111, &[what, b" in logdir ", &ld.path], e);
        }
        ld
    }

    /// Puts the logdir back in order after whatever ended the last writer.
    fn recover(&mut self) -> Result<(), (&'static [u8], Errno)> {
        let d = self.dir.as_fd();
        // A name still linked to an archive (s6 archives by link, then
        // unlink): the archive is made, the name only goes.
        for name in [c"previous", c"processed"] {
            if stat_at(d, name).is_some_and(|st| st.st_nlink > 1) {
                unlink_at(d, name).map_err(|e| (&b"unlink"[..], e))?;
            }
        }
        let has_previous = stat_at(d, c"previous").is_some();
        if stat_at(d, c"processed").is_some() && !has_previous {
            // The processor had finished and `previous` was gone: only the
            // renames were left.
            archive_processed(d, None)?;
        } else {
            unlink_at(d, c"processed").map_err(|e| (&b"unlink processed"[..], e))?;
            unlink_at(d, c"newstate").map_err(|e| (&b"unlink newstate"[..], e))?;
        }
        if has_previous {
            if self.processor.is_some() {
                // Its archive is named for when it was rotated, so it
                // sorts before the `.u` made of `current` just below.
                #[allow(clippy::useless_conversion)]
                let at = stat_at(d, c"previous")
                    .map(|st| (i64::from(st.st_mtime), st.st_mtime_nsec as u32));
                self.rot.previous = Some(Previous { job: None, at });
            } else {
                let _ = rustix::fs::chmodat(
                    d,
                    c"previous",
                    Mode::from_raw_mode(0o744),
                    AtFlags::empty(),
                );
                let name = archive_name(d, b's', None);
                rename_at(d, c"previous", &name).map_err(|e| (&b"rename previous"[..], e))?;
            }
        }
        if let Some(st) = stat_at(d, c"current")
            && st.st_mode & 0o100 == 0
        {
            // Not finalised: the writer died. Its last line may be cut
            // (a write interrupted by SIGKILL): that part goes, so
            // every line of the archive is whole.
            let fd = open_at(d, c"current", OFlags::RDWR).map_err(|e| (&b"open current"[..], e))?;
            truncate_partial(fd.as_fd(), st.st_size as u64)
                .map_err(|e| (&b"truncate current"[..], e))?;
            let _ = rustix::fs::fsync(&fd);
            let name = archive_name(d, b'u', None);
            rename_at(d, c"current", &name).map_err(|e| (&b"rename current"[..], e))?;
        }
        if stat_at(d, c"state").is_none() {
            open_at(d, c"state", OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC)
                .map_err(|e| (&b"create state"[..], e))?;
        }
        self.open_current().map_err(|e| (&b"open current"[..], e))?;
        self.cleanup();
        Ok(())
    }

    fn open_current(&mut self) -> Result<(), Errno> {
        let fd = open_at(
            self.dir.as_fd(),
            c"current",
            OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND,
        )?;
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o644))?;
        self.size = rustix::fs::fstat(&fd)?.st_size as u64;
        self.cur = Some(fd);
        Ok(())
    }

    /// Deletes the oldest archives beyond `n` files or `S` bytes.
    fn cleanup(&mut self) {
        let Ok(rd) = std::fs::read_dir(OsStr::from_bytes(&self.path)) else { return };
        let mut names: Vec<Vec<u8>> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().as_bytes().to_vec())
            .filter(|n| is_archive(n))
            .collect();
        names.sort();
        let d = self.dir.as_fd();
        let mut sizes: Vec<u64> = Vec::new();
        if self.total > 0 {
            for n in &names {
                let mut c = n.clone();
                sizes.push(stat_at(d, cstr(&mut c)).map(|s| s.st_size as u64).unwrap_or(0));
            }
        }
        let mut total: u64 = sizes.iter().sum();
        let mut count = names.len();
        for (i, n) in names.iter().enumerate() {
            let over_n = count > self.n as usize;
            let over_s = self.total > 0 && total > self.total;
            if !over_n && !over_s {
                break;
            }
            let mut c = n.clone();
            if let Err(e) = unlink_at(d, cstr(&mut c)) {
                msg::warn_sys(&[b"unlink ", &join(&self.path, n)], e);
            }
            count -= 1;
            total -= sizes.get(i).copied().unwrap_or(0);
        }
    }

    /// `job()`: the processor at work, if any.
    fn job(&self) -> Option<&Job> {
        self.rot.previous.as_ref().and_then(|p| p.job.as_ref())
    }

    /// Not taking input for now: an error waits for its retry, or a
    /// rotation waits for a processor.
    fn blocked(&self) -> bool {
        self.retry_at.is_some() || (self.rot.asked.is_some() && self.rot.previous.is_some())
    }

    /// An operation failed: one warning per kind of failure in a row (not
    /// one per retry), and a retry `r` milliseconds later.
    fn fail(&mut self, what: &[u8], e: Errno) {
        let mut key = what.to_vec();
        key.extend_from_slice(&e.raw_os_error().to_ne_bytes());
        if self.warned != key {
            msg::warn_sys(&[what, b" in logdir ", &self.path, b" (will retry)"], e);
            self.warned = key;
        }
        self.retry_at = Some(Instant::now() + self.retry);
    }

    /// `flush()`: writes the buffer to `current`; false on error (the
    /// unwritten rest stays, the retry is armed).
    fn flush(&mut self) -> bool {
        // Everything read is written at once, even while a rotation waits
        // for a busy processor: a line in memory would be lost to a
        // kill -9; `current` then passes `s` by at most one read, and
        // reading stops until the rotation is done.
        let limit = self.buf.len();
        if limit == 0 {
            return self.buf.is_empty();
        }
        if self.cur.is_none()
            && let Err(e) = self.open_current()
        {
            self.fail(b"open current", e);
            return false;
        }
        let Some(cur) = self.cur.as_ref() else { return false };
        let was_empty = self.size == 0;
        let r = write_fd(cur.as_fd(), &self.buf[..limit]);
        let written = match r {
            Ok(n) => n,
            Err((n, _)) => n,
        };
        // Starts the write-back of what is written now (Linux: a
        // "don't need" advice on dirty pages queues them for the disk), so
        // the fsync of a rotation finds little left to wait for.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let _ = rustix::fs::fadvise(
            cur,
            self.size,
            std::num::NonZeroU64::new(written as u64),
            rustix::fs::Advice::DontNeed,
        );
        self.size += written as u64;
        self.buf.drain(..written);
        if let Some(a) = &mut self.rot.asked {
            *a = a.saturating_sub(written);
        }
        if was_empty && self.size > 0 && self.period > 0 {
            self.rot.period_at = Some(Instant::now() + Duration::from_secs(self.period));
        }
        if let Err((_, e)) = r {
            self.fail(b"write to current", e);
            return false;
        }
        self.warned.clear();
        self.buf.is_empty()
    }

    /// `request_rotation()`: `current` is to be rotated after the lines
    /// already buffered.
    fn request_rotation(&mut self) {
        if self.rot.asked.is_none() {
            self.rot.asked = Some(self.buf.len());
        }
    }

    /// `append(parts)`: one line (the parts end with its newline), with
    /// the size rotations.
    fn append(&mut self, stamp: Option<&Stamp>, parts: [&[u8]; 3], line: &[u8]) {
        let len = stamp.map_or(0, |s| s.len())
            + parts.iter().map(|p| p.len()).sum::<usize>()
            + line.len();
        let used = self.size + self.buf.len() as u64;
        if used > 0 && used + len as u64 > self.s {
            self.request_rotation();
            self.try_rotate();
        }
        // A fixed-size stamp is copied inline; empty parts cost nothing.
        if let Some(s) = stamp {
            self.buf.extend_from_slice(s);
        }
        for p in parts {
            if !p.is_empty() {
                self.buf.extend_from_slice(p);
            }
        }
        self.buf.extend_from_slice(line);
        if self.size + self.buf.len() as u64 >= self.s - self.tolerance {
            self.request_rotation();
            self.try_rotate();
        }
    }

    /// Rotates if asked and possible now.
    fn try_rotate(&mut self) {
        if self.rot.asked.is_none() || self.retry_at.is_some() || self.rot.previous.is_some() {
            return;
        }
        self.flush();
        if self.retry_at.is_some() || self.rot.asked.is_some_and(|a| a > 0) {
            return;
        }
        if self.size == 0 {
            self.rot.asked = None;
            self.flush();
            return;
        }
        let d = self.dir.as_fd();
        if let Some(cur) = self.cur.as_ref() {
            if let Err(e) = s6box::fd::datasync(cur) {
                return self.fail(b"fsync current", e);
            }
            if let Err(e) = rustix::fs::fchmod(cur, Mode::from_raw_mode(0o744)) {
                return self.fail(b"chmod current", e);
            }
        }
        if self.processor.is_some() {
            if let Err(e) = rustix::fs::renameat(d, c"current", d, c"previous") {
                return self.fail(b"rename current to previous", e);
            }
            self.rot.previous = Some(Previous { job: None, at: None });
        } else {
            let name = archive_name(d, b's', None);
            if let Err(e) = rename_at(d, c"current", &name) {
                return self.fail(b"rename current", e);
            }
        }
        self.cur = None;
        self.size = 0;
        self.rot.asked = None;
        self.rot.period_at = None;
        if let Err(e) = self.open_current() {
            self.fail(b"open current", e);
        }
        if self.rot.previous.is_some() {
            self.start_processor();
        } else {
            self.cleanup();
        }
        // Lines that waited for this rotation go through the size checks
        // again, into the new `current`.
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            for line in rest.split_inclusive(|&c| c == b'\n') {
                self.append(None, [b"", b"", b""], line);
            }
        }
    }

    /// Runs the processor on `previous`.
    fn start_processor(&mut self) {
        let Some(p) = self.processor.clone() else { return };
        let d = self.dir.as_fd();
        let r = (|| -> Result<Job, (&'static [u8], Errno)> {
            let input =
                open_at(d, c"previous", OFlags::RDONLY).map_err(|e| (&b"open previous"[..], e))?;
            let processed =
                open_at(d, c"processed", OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC)
                    .map_err(|e| (&b"open processed"[..], e))?;
            let state = open_at(d, c"state", OFlags::RDONLY | OFlags::CREATE)
                .map_err(|e| (&b"open state"[..], e))?;
            let newstate = open_at(d, c"newstate", OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC)
                .map_err(|e| (&b"open newstate"[..], e))?;
            let argv = match &p {
                Processor::Execline(s) => OwnedArgv::new([
                    OsStr::new("execlineb"),
                    OsStr::new("-Pc"),
                    OsStr::from_bytes(s),
                ]),
                Processor::Shell(s) => {
                    OwnedArgv::new([OsStr::new("/bin/sh"), OsStr::new("-c"), OsStr::from_bytes(s)])
                }
            };
            let fds = [
                (input.as_fd(), 0),
                (processed.as_fd(), 1),
                (state.as_fd(), 4),
                (newstate.as_fd(), 5),
            ];
            let pid =
                exec::spawn_in(argv.argv(), d, &fds).map_err(|e| (&b"spawn processor"[..], e))?;
            Ok(Job { pid, processed, newstate })
        })();
        match r {
            Ok(job) => {
                if let Some(p) = &mut self.rot.previous {
                    p.job = Some(job);
                }
            }
            Err((what, e)) => self.fail(what, e),
        }
    }

    /// The processor ended with `status`.
    fn processor_done(&mut self, status: i32) {
        let Some(job) = self.rot.previous.as_mut().and_then(|p| p.job.take()) else { return };
        if status != 0 {
            let what: &[u8] = if libc::WIFSIGNALED(status) {
                b"processor crashed in "
            } else {
                b"processor failed in "
            };
            msg::warn(&[what, &self.path, b" (will retry)"]);
            self.retry_at = Some(Instant::now() + self.retry);
            return;
        }
        let d = self.dir.as_fd();
        let at = self.rot.previous.as_ref().and_then(|p| p.at);
        let r = (|| -> Result<(), (&'static [u8], Errno)> {
            rustix::fs::fsync(&job.processed).map_err(|e| (&b"fsync processed"[..], e))?;
            rustix::fs::fsync(&job.newstate).map_err(|e| (&b"fsync newstate"[..], e))?;
            rustix::fs::fchmod(&job.processed, Mode::from_raw_mode(0o744))
                .map_err(|e| (&b"chmod processed"[..], e))?;
            archive_processed(d, at)
        })();
        match r {
            Ok(()) => {
                self.rot.previous = None;
                self.cleanup();
                self.try_rotate();
            }
            Err((what, e)) => self.fail(what, e),
        }
    }

    /// The retry time has come.
    fn retry_now(&mut self) {
        self.retry_at = None;
        if let Some(p) = &self.rot.previous
            && p.job.is_none()
        {
            let d = self.dir.as_fd();
            if stat_at(d, c"previous").is_none() && stat_at(d, c"processed").is_some() {
                let at = p.at;
                // A failure after `previous` went: finish the renames.
                match archive_processed(d, at) {
                    Ok(()) => {
                        self.rot.previous = None;
                        self.cleanup();
                    }
                    Err((what, e)) => return self.fail(what, e),
                }
            } else {
                self.start_processor();
            }
        }
        if self.flush() {
            self.try_rotate();
        }
    }

    /// At exit: everything written, `current` synced and marked finalised.
    fn finish(&mut self) -> bool {
        if !self.flush() {
            return false;
        }
        if let Some(cur) = self.cur.as_ref() {
            let _ = rustix::fs::fsync(cur);
            let _ = rustix::fs::fchmod(cur, Mode::from_raw_mode(0o744));
        }
        true
    }
}

/// `archive_processed(dir, at)`: the end of a processor's run, once
/// `processed` and `newstate` are complete: `previous` goes, `newstate`
/// becomes `state`, `processed` (finalised, 0744) becomes the archive
/// `@TAI64N.s` named for `at` (now if `None`). A step an interrupted run
/// already did is skipped, so the same sequence finishes a run cut short
/// (at start, or at a retry).
fn archive_processed(d: BorrowedFd, at: Option<(i64, u32)>) -> Result<(), (&'static [u8], Errno)> {
    unlink_at(d, c"previous").map_err(|e| (&b"unlink previous"[..], e))?;
    match rustix::fs::renameat(d, c"newstate", d, c"state") {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(e) => return Err((&b"rename newstate"[..], e)),
    }
    let _ = rustix::fs::chmodat(d, c"processed", Mode::from_raw_mode(0o744), AtFlags::empty());
    let name = archive_name(d, b's', at);
    rename_at(d, c"processed", &name).map_err(|e| (&b"rename processed"[..], e))
}

/// `truncate_partial(fd, size)`: cuts a file after its last newline.
fn truncate_partial(fd: BorrowedFd, size: u64) -> Result<(), Errno> {
    if size == 0 {
        return Ok(());
    }
    let mut buf = vec![0u8; 4096];
    let mut end = size;
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let len = (end - start) as usize;
        let n = rustix::io::pread(fd, &mut buf[..len], start)?;
        if n < len {
            return Ok(());
        }
        if let Some(i) = buf[..len].iter().rposition(|&c| c == b'\n') {
            let keep = start + i as u64 + 1;
            if keep != size {
                rustix::fs::ftruncate(fd, keep)?;
            }
            return Ok(());
        }
        end = start;
    }
    rustix::fs::ftruncate(fd, 0)
}

impl Logger {
    fn stamps(&mut self, tai_wanted: bool, iso_wanted: bool) {
        if tai_wanted && self.tai.is_none() {
            let mut s = [b' '; tai::STAMP_LEN + 1];
            s[..tai::STAMP_LEN]
                .copy_from_slice(&tai::encode(tai::label_of_unix(self.clock.0), self.clock.1));
            self.tai = Some(s);
        }
        if iso_wanted && self.iso.is_none() {
            let zone = *self.zone.get_or_insert_with(tai::init_local);
            let label = tai::label_of_unix(self.clock.0);
            let mut v = Vec::with_capacity(32);
            if let Some(tm) = tai::local(zone, label) {
                tai::push_date(&mut v, &tm);
            }
            v.push(b'.');
            tai::push_nanos(&mut v, self.clock.1);
            v.extend_from_slice(b"  ");
            self.iso = Some(v);
        }
    }

    /// A new read: a new clock reading for the stamps.
    fn new_chunk(&mut self) {
        self.clock = tai::now();
        self.tai = None;
        self.iso = None;
    }

    /// `line(line)`: one line (ending with its newline) through the
    /// script.
    fn line(&mut self, line: &[u8]) {
        let body = &line[..line.len().saturating_sub(1)];
        let mut selected = true;
        let mut acted = false;
        let steps = std::mem::take(&mut self.steps);
        for step in &steps {
            match step {
                Step::Sel(s) => match s {
                    Sel::Plus(re) => {
                        if !selected && re.matches_with(body, &mut self.scratch) {
                            selected = true;
                        }
                    }
                    Sel::Minus(re) => {
                        if selected && re.matches_with(body, &mut self.scratch) {
                            selected = false;
                        }
                    }
                    Sel::Forgotten => selected = !acted,
                },
                Step::Act(a) => {
                    if selected {
                        acted = true;
                        self.act(a, line);
                    }
                }
            }
        }
        self.steps = steps;
    }

    fn act(&mut self, a: &Action, line: &[u8]) {
        let body = &line[..line.len().saturating_sub(1)];
        self.stamps(a.tai, a.iso);
        let empty: &[u8] = b"";
        let t: &[u8] =
            if a.tai { self.tai.as_ref().map(|s| &s[..]).unwrap_or(empty) } else { empty };
        let i: &[u8] = if a.iso { self.iso.as_deref().unwrap_or(empty) } else { empty };
        let (p, sp): (&[u8], &[u8]) = match &a.prefix {
            Some(p) => (p, b" "),
            None => (empty, empty),
        };
        match a.kind {
            Kind::Logdir(n) => {
                let stamp = if a.tai { self.tai.as_ref() } else { None };
                self.dirs[n].append(stamp, [i, p, sp], line)
            }
            Kind::Stdout => {
                if self.stdout_ok {
                    for part in [t, i, p, sp, line] {
                        self.out.extend_from_slice(part);
                    }
                }
            }
            Kind::Alert(e) => {
                let cut = e > 0 && body.len() > e.saturating_add(3);
                let shown = if cut { &body[..e] } else { body };
                for part in [b"s6-log: alert: ", t, i, p, sp, shown] {
                    self.err.extend_from_slice(part);
                }
                if cut {
                    self.err.extend_from_slice(b"...");
                }
                self.err.push(b'\n');
            }
            Kind::Status(n) => {
                let st = &mut self.status[n];
                let mut v = Vec::with_capacity(st.size.max(64));
                for part in [t, i, p, sp, body] {
                    v.extend_from_slice(part);
                }
                if st.size == 0 {
                    v.push(b'\n');
                } else {
                    v.truncate(st.size);
                    v.resize(st.size, b'\n');
                }
                st.pending = Some(v);
            }
        }
    }

    /// Writes what a read produced: logdirs, stdout, alerts, status files.
    fn flush(&mut self) {
        for d in &mut self.dirs {
            if d.retry_at.is_none() {
                d.flush();
                d.try_rotate();
            }
        }
        if !self.err.is_empty() {
            msg::write_all(msg::fd(2), &self.err);
            self.err.clear();
        }
        if !self.out.is_empty() {
            if self.stdout_ok && write_fd(msg::fd(1), &self.out).is_err() {
                self.stdout_ok = false;
            }
            self.out.clear();
        }
        for st in &mut self.status {
            if let Some(v) = st.pending.take()
                && let Err(e) = write_status(&st.path, &v)
                && self.verbosity >= 1
            {
                msg::warn_sys(&[b"write status file ", &st.path], e);
            }
        }
    }
}

/// `write_status(path, content)`: replaces the file atomically.
fn write_status(path: &[u8], content: &[u8]) -> Result<(), Errno> {
    let mut tmp = path.to_vec();
    tmp.extend_from_slice(b".new");
    let mut p = path.to_vec();
    let tmpc = cstr(&mut tmp);
    let fd = rustix::fs::open(
        tmpc,
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )?;
    write_fd(fd.as_fd(), content).map_err(|(_, e)| e)?;
    drop(fd);
    rustix::fs::rename(tmpc, cstr(&mut p))
}

/// Cuts input into lines at newlines and at the line limit, keeping an
/// unfinished line between reads.
struct Lines {
    partial: Vec<u8>,
    limit: usize,
}

impl Lines {
    /// `feed(data, line)`: cuts `data` into lines, each given (with its
    /// newline) to `line`; keeps the unfinished end.
    fn feed(&mut self, mut data: &[u8], mut line: impl FnMut(&[u8])) {
        while !data.is_empty() {
            let room = if self.limit == 0 { usize::MAX } else { self.limit - self.partial.len() };
            let window = &data[..data.len().min(room.saturating_add(1))];
            match tai::find_newline(window) {
                Some(i) => {
                    if self.partial.is_empty() {
                        line(&data[..=i]);
                    } else {
                        self.partial.extend_from_slice(&data[..=i]);
                        line(&self.partial);
                        self.partial.clear();
                    }
                    data = &data[i + 1..];
                }
                None if data.len() > room => {
                    self.partial.extend_from_slice(&data[..room]);
                    self.partial.push(b'\n');
                    line(&self.partial);
                    self.partial.clear();
                    data = &data[room..];
                }
                None => {
                    // At exactly the limit, the next byte decides: its
                    // newline, or the start of the split-off rest.
                    self.partial.extend_from_slice(data);
                    return;
                }
            }
        }
    }

    /// The unfinished line, given its newline (EOF, exit).
    fn close(&mut self, line: impl FnOnce(&[u8])) {
        if !self.partial.is_empty() {
            let mut p = std::mem::take(&mut self.partial);
            p.push(b'\n');
            line(&p);
        }
    }
}

fn parse_opts(cli: &mut Cli) -> Opts {
    let mut o = Opts {
        verbosity: 1,
        protect: false,
        linelimit: 8192,
        lastline: Duration::from_millis(2000),
        notif: None,
    };
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('d') => {
                let n: u32 = cli.number();
                if n < 3 {
                    msg::fatal(s6box::exitcode::USAGE, &[b"notification fd must be 3 or more"]);
                }
                o.notif = Some(n.min(i32::MAX as u32) as i32);
            }
            Opt::Short('q') => o.verbosity = o.verbosity.saturating_sub(1),
            Opt::Short('v') => o.verbosity += 1,
            Opt::Short('b') => {}
            Opt::Short('p') => o.protect = true,
            Opt::Short('l') => {
                let l: usize = cli.number();
                o.linelimit = if l == 0 { 0 } else { l.max(48) };
            }
            Opt::Short('t') => o.lastline = Duration::from_millis(cli.number()),
            _ => cli.usage(),
        }
    }
    o
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let o = parse_opts(&mut cli);
    let script = cli.rest();
    if script.is_empty() {
        cli.usage();
    }
    let notif = o.notif.map(|n| {
        watch::adopt_fd(n).unwrap_or_else(|e| {
            msg::fatal(s6box::exitcode::USAGE, &[b"invalid notification fd: ", &msg::strerror(e)])
        })
    });
    let (steps, dirspecs, status, _) = parse_or_die(script, o.verbosity);
    let dirs = dirspecs.into_iter().map(|(p, c)| Logdir::open(p, &c)).collect();
    if let Err(e) = sig::keep_children() {
        msg::fatal_sys(111, &[b"restore SIGCHLD"], e);
    }
    let signals = sig::catch_all().unwrap_or_else(|e| msg::fatal_sys(111, &[b"catch signals"], e));
    let mut lg = Logger {
        steps: steps.into_boxed_slice(),
        dirs,
        status,
        stdout_ok: true,
        out: Vec::new(),
        err: Vec::new(),
        tai: None,
        iso: None,
        clock: (0, 0),
        zone: None,
        scratch: Vec::new(),
        verbosity: o.verbosity,
    };
    // Processing left over from the last run.
    for d in &mut lg.dirs {
        if d.rot.previous.is_some() {
            d.start_processor();
        }
    }
    if let Some(fd) = notif {
        let _ = watch::notify(fd);
    }
    run(&mut lg, &signals, &o)
}

fn run(lg: &mut Logger, signals: &sig::Signals, o: &Opts) -> i32 {
    let mut input = vec![0u8; CHUNK];
    let mut lines = Lines { partial: Vec::new(), limit: o.linelimit };
    let mut eof = false;
    // Set when asked to stop: the deadline for the unfinished line.
    let mut stopping: Option<Instant> = None;
    let stdin = msg::fd(0);
    loop {
        let done_reading = eof || (stopping.is_some() && lines.partial.is_empty());
        if done_reading {
            lines.close(|l| lg.line(l));
            lg.flush();
            if finish(lg, signals) {
                return 0;
            }
        }
        let blocked = lg.dirs.iter().any(Logdir::blocked);
        let mut deadline: Option<Instant> = stopping.filter(|_| !done_reading);
        for d in &lg.dirs {
            for t in
                [d.retry_at, d.rot.period_at.filter(|_| d.retry_at.is_none())].into_iter().flatten()
            {
                deadline = Some(deadline.map_or(t, |x| x.min(t)));
            }
        }
        let read_now = !done_reading && !blocked;
        let ready = if read_now {
            poll::wait(&[signals.as_fd(), stdin], deadline)
        } else {
            poll::wait(&[signals.as_fd()], deadline)
        };
        if ready & 1 != 0 {
            while let Ok(Some(s)) = signals.read() {
                match s {
                    libc::SIGTERM if o.protect => {}
                    libc::SIGTERM | libc::SIGHUP | libc::SIGINT if stopping.is_none() => {
                        stopping = Some(Instant::now() + o.lastline);
                    }
                    libc::SIGALRM => {
                        for d in &mut lg.dirs {
                            if d.size + d.buf.len() as u64 > 0 {
                                d.request_rotation();
                                d.try_rotate();
                            }
                        }
                    }
                    libc::SIGCHLD => reap(lg),
                    _ => {}
                }
            }
        }
        if read_now && ready & 2 != 0 {
            match rustix::io::read(stdin, &mut input) {
                Ok(0) => eof = true,
                Ok(n) => {
                    lg.new_chunk();
                    lines.feed(&input[..n], |l| lg.line(l));
                    lg.flush();
                }
                Err(Errno::INTR | Errno::AGAIN) => {}
                Err(e) => {
                    msg::warn_sys(&[b"read from stdin"], e);
                    eof = true;
                }
            }
        }
        let now = Instant::now();
        if let Some(t) = stopping
            && now >= t
            && !lines.partial.is_empty()
        {
            lg.new_chunk();
            lines.close(|l| lg.line(l));
            lg.flush();
        }
        timers(lg, now);
    }
}

fn timers(lg: &mut Logger, now: Instant) {
    for d in &mut lg.dirs {
        if d.retry_at.is_some_and(|t| now >= t) {
            d.retry_now();
        }
        if d.retry_at.is_none() && d.rot.period_at.is_some_and(|t| now >= t) {
            d.rot.period_at = None;
            d.request_rotation();
            d.try_rotate();
        }
    }
}

/// Reaps ended children; a processor's end goes to its logdir.
fn reap(lg: &mut Logger) {
    s6box::watch::reap(|pid, status| {
        for d in &mut lg.dirs {
            if d.job().is_some_and(|j| j.pid == pid) {
                d.processor_done(status);
            }
        }
    });
}

/// At exit: waits for running processors, writes everything (retrying
/// on errors), finalises `current`; returns when all is done.
fn finish(lg: &mut Logger, signals: &sig::Signals) -> bool {
    loop {
        if lg.dirs.iter().any(|d| d.job().is_some()) {
            poll::wait(&[signals.as_fd()], None);
            while let Ok(Some(s)) = signals.read() {
                if s == libc::SIGCHLD {
                    reap(lg);
                }
            }
            continue;
        }
        let mut all = true;
        let mut deadline: Option<Instant> = None;
        for d in &mut lg.dirs {
            if d.retry_at.is_some_and(|t| Instant::now() >= t) {
                d.retry_at = None;
            }
            if d.retry_at.is_none() || d.buf.is_empty() {
                if !d.finish() {
                    all = false;
                }
            } else {
                all = false;
            }
            if let Some(t) = d.retry_at
                && !d.buf.is_empty()
            {
                deadline = Some(deadline.map_or(t, |x| x.min(t)));
            }
        }
        if all {
            return true;
        }
        poll::wait(&[signals.as_fd()], deadline);
        while let Ok(Some(_)) = signals.read() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s6box::argv::OwnedArgv;

    fn script(args: &[&str]) -> Result<Script, ScriptError> {
        parse(OwnedArgv::new(args).argv())
    }

    fn actions(steps: &[Step]) -> Vec<(bool, bool)> {
        let acts = steps.iter().filter_map(|s| if let Step::Act(a) = s { Some(a) } else { None });
        acts.map(|a| (a.tai, a.iso)).collect()
    }

    #[test]
    fn script_settings_and_actions() {
        let (steps, dirs, status, trailing) =
            script(&["+foo", "-bar", "n5", "s5000", "S9000", "T", "/tmp/x", "t", "1", "=st", "2"])
                .unwrap();
        assert_eq!(steps.len(), 6);
        assert!(matches!(steps[0], Step::Sel(Sel::Plus(_))));
        assert!(matches!(steps[1], Step::Sel(Sel::Minus(_))));
        // `t` and `T` stamp the next action only.
        assert_eq!(actions(&steps), [(false, true), (true, false), (false, false), (false, false)]);
        assert_eq!(dirs.len(), 1);
        assert_eq!(dirs[0].0, b"/tmp/x");
        let c = &dirs[0].1;
        assert_eq!((c.n, c.s, c.total), (5, 5000, 9000));
        assert_eq!(status.len(), 1);
        assert_eq!(status[0].path, b"st");
        assert!(!trailing);
    }

    #[test]
    fn script_clamps_and_settings_per_logdir() {
        let (_, dirs, _, trailing) =
            script(&["s10", "./a", "s999999999", "!gzip", "./b", "f"]).unwrap();
        assert_eq!(dirs[0].1.s, 4096);
        assert!(dirs[0].1.processor.is_none());
        assert_eq!(dirs[1].1.s, 268_435_455);
        assert!(matches!(&dirs[1].1.processor, Some(Processor::Execline(p)) if p == b"gzip"));
        assert!(trailing);
    }

    #[test]
    fn script_errors() {
        let err = |a: &[&str]| script(a).err();
        let v = |s: &str| s.as_bytes().to_vec();
        assert_eq!(err(&["x", "1"]), Some(ScriptError::Unrecognized(v("x"))));
        assert_eq!(err(&["", "1"]), Some(ScriptError::Unrecognized(v(""))));
        assert_eq!(err(&["nabc", "1"]), Some(ScriptError::Unrecognized(v("nabc"))));
        assert_eq!(err(&["+(", "1"]), Some(ScriptError::Unrecognized(v("+("))));
        assert_eq!(err(&["f1", "1"]), Some(ScriptError::Syntax(v("f1"))));
        assert_eq!(err(&["1x"]), Some(ScriptError::Syntax(v("1x"))));
        assert_eq!(err(&["="]), Some(ScriptError::Syntax(v("="))));
        assert_eq!(err(&["+a", "n3"]), Some(ScriptError::NoAction));
        assert_eq!(err(&["s8192", "l5000", "1"]), Some(ScriptError::Conflicts(v("l5000"))));
        // Only an `s` given before counts.
        assert!(err(&["l5000", "1"]).is_none());
    }

    fn split(limit: usize, feeds: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut lines = Lines { partial: Vec::new(), limit };
        let mut got = Vec::new();
        for f in feeds {
            lines.feed(f, |l| got.push(l.to_vec()));
        }
        lines.close(|l| got.push(l.to_vec()));
        got
    }

    #[test]
    fn lines_across_reads() {
        let got = split(0, &[b"a\nb", b"c\n\nd"]);
        assert_eq!(got, [&b"a\n"[..], b"bc\n", b"\n", b"d\n"]);
    }

    #[test]
    fn lines_split_at_the_limit() {
        let long = [b'x'; 100];
        let got = split(48, &[&long]);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], [&[b'x'; 48][..], b"\n"].concat());
        assert_eq!(got[1], got[0]);
        assert_eq!(got[2], b"xxxx\n");
        // Exactly the limit, its newline in the next read: one line.
        let got = split(48, &[&long[..48], b"\n"]);
        assert_eq!(got, [[&long[..48], b"\n"].concat()]);
        // Exactly the limit, then more: split there.
        let got = split(48, &[&long[..48], b"y\n"]);
        assert_eq!(got, [[&long[..48], b"\n"].concat(), b"y\n".to_vec()]);
    }

    #[test]
    fn archive_names() {
        let path = std::env::temp_dir().join(format!("s6-log-archive-{}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        let dir = std::fs::File::open(&path).unwrap();
        let d = dir.as_fd();
        let first = archive_name(d, b's', Some((0, 0)));
        assert_eq!(first, b"@400000000000000a00000000.s");
        assert!(is_archive(&first));
        std::fs::write(path.join(OsStr::from_bytes(&first)), b"").unwrap();
        // A taken name moves on by a nanosecond.
        assert_eq!(archive_name(d, b's', Some((0, 0))), b"@400000000000000a00000001.s");
        assert_eq!(archive_name(d, b'u', Some((0, 0))), b"@400000000000000a00000000.u");
        std::fs::remove_dir_all(&path).unwrap();
        assert!(!is_archive(b"@400000000000000a00000000.x"));
        assert!(!is_archive(b"current"));
        assert!(!is_archive(b"@40000000000000g000000000.s"));
    }
}
