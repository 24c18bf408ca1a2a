//! s6-svscan: the root of a supervision tree. One `s6-supervise` per
//! service directory of the scan directory (and one per `log/`, fed by a
//! pipe this process holds so that neither side's restart loses it), the
//! `.s6-svscan/control` fifo, and process-1 duty: every ended child is
//! reaped. One event loop sleeping in `poll::wait` on the signal
//! descriptor and the control fifo, with a deadline only for the timers
//! the contract names (`-t` rescans, the restart of a supervisor that died
//! less than a second after its start, the retry of a failed scan).

use s6box::argv::{Argv, OwnedArgv};
use s6box::cli::{Cli, Opt};
use s6box::supervision::control;
use s6box::{exec, exitcode, fd, msg, poll, sig, sigpolicy};
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use rustix::process::Pid;
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

const USAGE: &str = "s6-svscan [ -c max | -C services_max ] [ -L name_max ] [ -t timeout ] [ -d notif ] [ -X consoleholder ] [ scandir ]";

/// Default and lowest supervisor count (services and loggers), as 2.15.
const SERVICES_MAX: usize = 1000;
const SERVICES_MIN: usize = 4;
/// Default longest service name, as 2.15.
const NAME_MAX: usize = 251;
/// The restart throttle: a supervisor is not started again sooner than
/// this after its previous start; also the retry delay after a failure.
const RESTART_DELAY: Duration = Duration::from_secs(1);

/// One supervisor: its pid while it runs, and its last start.
#[derive(Default)]
struct Sup {
    pid: Option<Pid>,
    /// When it was last started, and that start's rank among all starts.
    started: Option<(Instant, u64)>,
}

impl Sup {
    /// `due()`: the earliest time it may be started again.
    fn due(&self) -> Option<Instant> {
        self.started.map(|(t, _)| t + RESTART_DELAY)
    }
}

/// The logger of a service: the supervisor of `NAME/log`, and the pipe
/// from the service's stdout to the logger's stdin, held here for the
/// life of the pair.
struct Logger {
    sup: Sup,
    rd: OwnedFd,
    /// Dropped when the tree (or this pair) is brought down, so the logger
    /// sees end-of-file once its producers are gone.
    wr: Option<OwnedFd>,
}

/// A service directory found by a scan, identified by device and inode.
struct Service {
    dev: u64,
    ino: u64,
    /// Its name in the scan directory at the last scan that saw it.
    name: Vec<u8>,
    /// Seen by the last scan.
    active: bool,
    sup: Sup,
    log: Option<Logger>,
    /// `NAME/log` is a directory but its pipe could not be made: the
    /// service waits for it (a later scan retries).
    log_missing: bool,
}

impl Service {
    fn running(&self) -> usize {
        usize::from(self.sup.pid.is_some())
            + self.log.as_ref().map_or(0, |l| usize::from(l.sup.pid.is_some()))
    }
}

/// How the tree is being brought down.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Services get SIGTERM, loggers SIGHUP (`t`, `i`).
    Clean,
    /// Everything gets SIGTERM (`q`).
    Quit,
}

struct Scanner {
    /// Sorted by (dev, ino).
    services: Vec<Service>,
    /// Supervisors of `services` (loggers included), running or not.
    supervisors: usize,
    services_max: usize,
    /// `-c max`: at most this many services, loggers not counted.
    max_services: Option<usize>,
    name_max: usize,
    /// The s6-supervise to run: s6box's own executable, or `None` for a
    /// PATH search.
    supervise: Option<CString>,
    console: Option<i32>,
    /// When the next scan is due because something failed.
    scan_at: Option<Instant>,
    /// When the next throttled restart is due.
    restart_at: Option<Instant>,
    /// Starts so far (ranks the supervisors by their last start).
    starts: u64,
    stopping: Option<Stop>,
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut services_max = SERVICES_MAX;
    let mut name_max = NAME_MAX;
    let mut max_services = None::<usize>;
    let mut rescan = 0u64;
    let mut notif = None::<i32>;
    let mut console = None::<i32>;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('C') => services_max = cli.unsigned("services_max"),
            Opt::Long(l) if l == "services-max" => services_max = cli.unsigned("services_max"),
            Opt::Short('c') => max_services = Some(cli.unsigned("max")),
            Opt::Short('L') => name_max = cli.unsigned("name_max"),
            Opt::Long(l) if l == "name-max" => name_max = cli.unsigned("name_max"),
            Opt::Short('t') => rescan = cli.unsigned("timeout"),
            Opt::Long(l) if l == "timeout" => rescan = cli.unsigned("timeout"),
            Opt::Short('d') => notif = Some(fd_number(&mut cli, "notif")),
            Opt::Long(l) if l == "notification-fd" => notif = Some(fd_number(&mut cli, "notif")),
            Opt::Short('X') => console = Some(fd_number(&mut cli, "consoleholder")),
            Opt::Long(l) if l == "console-holder" => {
                console = Some(fd_number(&mut cli, "consoleholder"))
            }
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    let services_max = services_max.max(SERVICES_MIN);
    let name_max = name_max.max(1);
    // Close-on-exec from now on: no supervisor inherits it.
    let notif = match notif.map(fd::adopt) {
        Some(Err(e)) => {
            msg::fatal(exitcode::USAGE, &[b"invalid notification fd: ", &msg::strerror(e)])
        }
        Some(Ok(f)) => Some(f),
        None => None,
    };
    if let Some(n) = console {
        if let Err(e) = rustix::io::fcntl_getfd(fd::borrow(n)) {
            msg::fatal(exitcode::USAGE, &[b"invalid console holder fd: ", &msg::strerror(e)]);
        }
        if let Err(e) = rustix::io::fcntl_setfd(fd::borrow(n), rustix::io::FdFlags::CLOEXEC) {
            msg::fatal_sys(exitcode::SYS, &[b"coe console holder"], e);
        }
    }
    if let Err(e) = fd::sanitize_std() {
        msg::fatal_sys(exitcode::SYS, &[b"sanitize standard fds"], e);
    }
    if !rest.is_empty()
        && let Err(e) = rustix::process::chdir(rest.os(0))
    {
        msg::fatal_sys(exitcode::SYS, &[b"chdir to ", rest.os(0).as_bytes()], e);
    }
    // Resolved once: the tree keeps using the path s6box was started
    // from, so a binary replaced there is picked up by the next supervisor.
    let supervise = own_supervise();
    let (_lock, ctl_rd, _ctl_wr) = setup();
    if let Err(e) = sig::keep_children() {
        msg::fatal_sys(exitcode::SYS, &[b"trap signals"], e);
    }
    let signals = sig::catch_all().unwrap_or_else(|e| crash(&[b"trap signals"], e));
    remove_dangling();
    let mut sc = Scanner {
        services: Vec::new(),
        supervisors: 0,
        services_max,
        max_services,
        name_max,
        supervise,
        console,
        scan_at: None,
        restart_at: None,
        starts: 0,
        stopping: None,
    };
    sc.scan();
    if let Some(f) = notif {
        let _ = s6box::supervision::readiness::notify(f);
    }
    let rescan = (rescan > 0).then(|| Duration::from_millis(rescan));
    let mut next_rescan = rescan.map(|d| Instant::now() + d);
    let me = rustix::process::getpid();
    let mut buf = [0u8; 64];
    s6box::trim::enable();
    loop {
        if sc.stopping.is_some() {
            sc.reap();
            if sc.services.iter().all(|s| s.running() == 0) {
                finish(sc.console);
            }
        }
        let deadline = if sc.stopping.is_some() {
            None
        } else {
            [sc.scan_at, next_rescan, sc.restart_at].into_iter().flatten().min()
        };
        let ready = poll::wait(&[signals.as_fd(), ctl_rd.as_fd()], deadline);
        if ready & 1 != 0 {
            while let Some(s) = signals.next_from_others(me) {
                if let Some(s) = sigpolicy::SVSCAN.filter(s) {
                    sc.signal(s);
                }
            }
        }
        if ready & 2 != 0 {
            match control::read(&ctl_rd, &mut buf) {
                Ok(cmds) => {
                    let cmds = cmds.to_vec();
                    for c in cmds {
                        sc.command(c);
                    }
                }
                Err(e) => crash(&[b"read control pipe"], e),
            }
        }
        if sc.stopping.is_none() {
            let now = Instant::now();
            if sc.scan_at.is_some_and(|t| t <= now) {
                sc.scan_at = None;
                sc.scan();
            }
            if sc.restart_at.is_some_and(|t| t <= now) {
                sc.restart_due();
            }
            if let (Some(t), Some(d)) = (next_rescan, rescan)
                && t <= now
            {
                next_rescan = Some(now + d);
                sc.scan();
            }
        }
    }
}

fn fd_number(cli: &mut Cli, what: &str) -> i32 {
    let n: i32 = cli.unsigned(what);
    if n < 3 {
        msg::fatal(exitcode::USAGE, &[what.as_bytes(), b" must be 3 or more"]);
    }
    n
}

/// `own_supervise()`: the path of this executable, when it carries the
/// s6-supervise applet; `None` (PATH search) otherwise.
fn own_supervise() -> Option<CString> {
    crate::applets::find(b"s6-supervise")?;
    let p = rustix::fs::readlink("/proc/self/exe", Vec::new()).ok()?;
    let b = p.as_bytes();
    // A binary already replaced when we started: its old path is still
    // where the upgrade put the new one.
    let b = b.strip_suffix(b" (deleted)").unwrap_or(b);
    if !b.starts_with(b"/") {
        return None;
    }
    CString::new(b).ok()
}

/// `setup()`: `.s6-svscan/` (0700), its lock (held: exit 100) and the
/// control fifo; returns the lock and the fifo's two ends.
fn setup() -> (OwnedFd, OwnedFd, OwnedFd) {
    match rustix::fs::mkdir(".s6-svscan", Mode::from_raw_mode(0o700)) {
        Ok(()) => {}
        Err(Errno::EXIST) => match rustix::fs::stat(".s6-svscan") {
            Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() => {}
            Ok(_) => msg::fatal(exitcode::SYS, &[b".s6-svscan exists and is not a directory"]),
            Err(e) => msg::fatal_sys(exitcode::SYS, &[b"stat .s6-svscan"], e),
        },
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"mkdir .s6-svscan"], e),
    }
    let lock = match s6box::supervision::svlock::take(OsStr::new(".s6-svscan/lock")) {
        Ok(l) => l,
        Err(Errno::BUSY) => msg::fatal(
            exitcode::USAGE,
            &[b"another instance of s6-svscan is already running on the same directory"],
        ),
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"lock .s6-svscan/lock"], e),
    };
    match control::serve(OsStr::new(".s6-svscan/control")) {
        Ok((rd, wr)) => (lock, rd, wr),
        Err(Errno::NOTSUP) => msg::fatal(exitcode::SYS, &[b".s6-svscan/control is not a FIFO"]),
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"open .s6-svscan/control"], e),
    }
}

/// `remove_dangling()`: removes the symbolic links of the scan directory
/// that point nowhere (2.14).
fn remove_dangling() {
    let Ok(dir) =
        rustix::fs::open(".", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
    else {
        return;
    };
    let Ok(entries) = rustix::fs::Dir::read_from(&dir) else { return };
    let mut gone = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        if name.to_bytes().starts_with(b".") {
            continue;
        }
        let Ok(st) = rustix::fs::lstat(name) else { continue };
        if rustix::fs::FileType::from_raw_mode(st.st_mode).is_symlink()
            && matches!(rustix::fs::stat(name), Err(Errno::NOENT))
        {
            gone.push(name.to_owned());
        }
    }
    for n in gone {
        if let Err(e) = rustix::fs::unlinkat(rustix::fs::CWD, &n, AtFlags::empty()) {
            msg::warn_sys(&[b"remove dangling link ", n.to_bytes()], e);
        }
    }
}

/// `crash(parts, e)`: a system call that must not fail did: the warning,
/// then exec `.s6-svscan/crash`; 111 if that fails too.
fn crash(parts: &[&[u8]], e: Errno) -> ! {
    msg::warn_sys(parts, e);
    msg::warn(&[b"executing into .s6-svscan/crash"]);
    let argv = OwnedArgv::new([".s6-svscan/crash"]);
    sig::restore();
    let e = exec::try_exec(argv.argv());
    msg::fatal_sys(exitcode::SYS, &[b"exec .s6-svscan/crash"], e)
}

/// `finish(console)`: the tree is down (or `b` was asked): exec
/// `.s6-svscan/finish`, or exit 0 without one; one that cannot be exec'd
/// is a crash. Its exit code is ours. The lock, like every descriptor of
/// ours, closes at the exec.
fn finish(console: Option<i32>) -> ! {
    if let Some(c) = console {
        // The console comes back to stdout and stderr for the last words.
        let _ = fd::copy_to(fd::borrow(c), 1);
        let _ = fd::copy_to(fd::borrow(c), 2);
    }
    let argv = OwnedArgv::new([".s6-svscan/finish"]);
    sig::restore();
    let e = exec::try_exec(argv.argv());
    if e == Errno::NOENT {
        msg::exit(0)
    }
    crash(&[b"exec finish script .s6-svscan/finish"], e)
}

fn send(pid: Option<Pid>, sig: i32) {
    if let Some(p) = pid {
        let _ = s6box::proc::kill(p, sig);
    }
}

/// `dev_ino(st)`: the identity of a file (the field types vary by system).
#[allow(clippy::unnecessary_cast)]
fn dev_ino(st: &rustix::fs::Stat) -> (u64, u64) {
    (st.st_dev as u64, st.st_ino as u64)
}

/// `stat_dir(path)`: (dev, ino) of `path` if it is a directory (following
/// symbolic links).
fn stat_dir(path: &[u8]) -> Result<Option<(u64, u64)>, Errno> {
    let st = rustix::fs::stat(OsStr::from_bytes(path))?;
    Ok(rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir().then_some(dev_ino(&st)))
}

fn log_path(name: &[u8]) -> Vec<u8> {
    let mut p = name.to_vec();
    p.extend_from_slice(b"/log");
    p
}

impl Scanner {
    /// `scan()`: reads the scan directory; new entries get their
    /// supervisors, known ones are marked active (and renamed), missing
    /// ones inactive; every active supervisor that is not running is
    /// started. Services are kept sorted by (device, inode).
    fn scan(&mut self) {
        let dir = match rustix::fs::open(
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(d) => d,
            Err(e) => return self.scan_failed(b"opendir .", e),
        };
        let mut entries = match rustix::fs::Dir::read_from(&dir) {
            Ok(d) => d,
            Err(e) => return self.scan_failed(b"readdir .", e),
        };
        for s in &mut self.services {
            s.active = false;
        }
        for e in &mut entries {
            let e = match e {
                Ok(e) => e,
                Err(e) => {
                    // Nothing certain about what was not read: keep it all.
                    for s in &mut self.services {
                        s.active = true;
                    }
                    return self.scan_failed(b"readdir .", e);
                }
            };
            let name = e.file_name();
            if name.to_bytes().starts_with(b".") {
                continue;
            }
            let (dev, ino) = match rustix::fs::statat(&dir, name, AtFlags::empty()) {
                Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() => dev_ino(&st),
                Ok(_) | Err(Errno::NOENT) => continue,
                Err(e) => {
                    msg::warn_sys(&[b"stat ", name.to_bytes()], e);
                    continue;
                }
            };
            let name = name.to_bytes();
            if name.len() > self.name_max {
                msg::warn(&[b"name too long - not spawning service: ", name]);
                continue;
            }
            let (i, new) = match self.services.binary_search_by_key(&(dev, ino), |s| (s.dev, s.ino))
            {
                Ok(i) => {
                    let s = &mut self.services[i];
                    s.active = true;
                    if s.name != name {
                        s.name = name.to_vec();
                    }
                    (i, false)
                }
                Err(i) => {
                    if self.supervisors + 1 > self.services_max
                        || self.max_services.is_some_and(|m| self.services.len() >= m)
                    {
                        msg::warn(&[
                            b"unable to start supervisor for ",
                            name,
                            b": too many services",
                        ]);
                        continue;
                    }
                    self.supervisors += 1;
                    let s = Service {
                        dev,
                        ino,
                        name: name.to_vec(),
                        active: true,
                        sup: Sup::default(),
                        log: None,
                        log_missing: false,
                    };
                    self.services.insert(i, s);
                    (i, true)
                }
            };
            // A logger is looked for when the service is new or about to
            // get a new supervisor (which is when a pipe can be put in).
            let s = &self.services[i];
            if s.log.is_none() && s.sup.pid.is_none() {
                self.check_logger(i, new);
            }
        }
        drop(entries);
        drop(dir);
        self.drop_dead();
        self.restart_due();
    }

    fn scan_failed(&mut self, what: &[u8], e: Errno) {
        msg::warn_sys(&[what], e);
        self.retry();
    }

    /// `check_logger(i, new)`: gives service `i` a logger (and its pipe)
    /// when `NAME/log` is a directory it does not have yet.
    fn check_logger(&mut self, i: usize, new: bool) {
        let lp = log_path(&self.services[i].name);
        match stat_dir(&lp) {
            Ok(Some(_)) => {}
            Ok(None) => {
                if new {
                    msg::warn(&[&lp, b" is not a directory - no logger"]);
                }
                return;
            }
            Err(Errno::NOENT) => return,
            Err(e) => {
                msg::warn_sys(&[b"stat ", &lp], e);
                return;
            }
        }
        if self.supervisors + 1 > self.services_max {
            msg::warn(&[b"unable to start supervisor for ", &lp, b": too many services"]);
            return;
        }
        let s = &mut self.services[i];
        match fd::pipe_cloexec() {
            Ok((rd, wr)) => {
                s.log = Some(Logger { sup: Sup::default(), rd, wr: Some(wr) });
                s.log_missing = false;
                self.supervisors += 1;
            }
            Err(e) => {
                // Never started without its logger: its output would go
                // to ours for good. A scan a second later tries again.
                msg::warn_sys(&[b"create pipe for ", &s.name], e);
                s.log_missing = true;
                self.retry();
            }
        }
    }

    /// `drop_dead()`: forgets inactive services whose supervisors are all
    /// gone (their pipe is closed with them).
    fn drop_dead(&mut self) {
        let mut gone = 0;
        self.services.retain(|s| {
            let keep = s.active || s.running() > 0;
            if !keep {
                gone += 1 + usize::from(s.log.is_some());
            }
            keep
        });
        self.supervisors -= gone;
    }

    /// `retry()`: a scan in one second, after something failed.
    fn retry(&mut self) {
        let t = Instant::now() + RESTART_DELAY;
        self.scan_at = Some(self.scan_at.map_or(t, |a| a.min(t)));
    }

    /// `restart_due()`: starts every supervisor of an active service that
    /// is not running and whose throttle is over (a second after its
    /// previous start), in the order of their previous starts, as 2.15
    /// restarts them as it reaps them, oldest first; never-started ones
    /// after, in scan order, a logger before its service. A service whose
    /// logger has no pipe yet waits. The next throttled one arms the timer.
    fn restart_due(&mut self) {
        self.restart_at = None;
        // A restart without a scan: a service directory that went away
        // under its dead supervisor is inactive, as the next scan would say.
        for s in self.services.iter_mut().filter(|s| s.active) {
            let restarting = |sup: &Sup| sup.pid.is_none() && sup.started.is_some();
            if (restarting(&s.sup) || s.log.as_ref().is_some_and(|l| restarting(&l.sup)))
                && !matches!(stat_dir(&s.name), Ok(Some(id)) if id == (s.dev, s.ino))
            {
                s.active = false;
            }
        }
        self.drop_dead();
        let now = Instant::now();
        let mut due = Vec::new();
        for (i, s) in self.services.iter().enumerate().filter(|(_, s)| s.active) {
            let log = s.log.as_ref().map(|l| &l.sup);
            let main = (!s.log_missing).then_some(&s.sup);
            for (is_log, sup) in [(true, log), (false, main)] {
                let Some(sup) = sup.filter(|sup| sup.pid.is_none()) else { continue };
                match sup.due() {
                    Some(t) if t > now => {
                        self.restart_at = Some(self.restart_at.map_or(t, |a| a.min(t)));
                    }
                    _ => due.push((sup.started.map_or(u64::MAX, |(_, n)| n), i, !is_log)),
                }
            }
        }
        due.sort_unstable();
        for (_, i, not_log) in due {
            self.spawn_one(i, !not_log);
        }
    }

    /// `spawn_one(i, log)`: starts the supervisor of service `i` (or of its
    /// logger); a failure is retried by a scan a second later.
    fn spawn_one(&mut self, i: usize, log: bool) {
        let s = &self.services[i];
        let (dir, fds) = if log {
            let Some(l) = &s.log else { return };
            (log_path(&s.name), vec![(l.rd.as_raw_fd(), 0)])
        } else {
            let mut fds: Vec<(i32, i32)> = match s.log.as_ref().and_then(|l| l.wr.as_ref()) {
                Some(wr) => vec![(wr.as_raw_fd(), 1)],
                None => Vec::new(),
            };
            // The catch-all logger of an s6-linux-init style tree writes
            // its own errors to the console.
            if let Some(c) = self.console
                && s.name == b"s6-svscan-log"
            {
                fds.push((c, 2));
            }
            (s.name.clone(), fds)
        };
        match self.spawn(&dir, &fds) {
            Ok(p) => {
                self.starts += 1;
                let started = Some((Instant::now(), self.starts));
                let s = &mut self.services[i];
                let sup = if log { s.log.as_mut().map(|l| &mut l.sup) } else { Some(&mut s.sup) };
                if let Some(sup) = sup {
                    sup.pid = Some(p);
                    sup.started = started;
                }
            }
            Err(e) => {
                msg::warn_sys(&[b"spawn s6-supervise for ", &dir], e);
                self.retry();
            }
        }
    }

    /// `spawn(dir, fds)`: `s6-supervise DIR` with the descriptor moves:
    /// s6box's own executable, else (or if it is gone) from PATH.
    fn spawn(&self, dir: &[u8], fds: &[(i32, i32)]) -> Result<Pid, Errno> {
        let argv = OwnedArgv::new([OsStr::new("s6-supervise"), OsStr::from_bytes(dir)]);
        let argv = argv.argv();
        let fds: Vec<_> = fds.iter().map(|&(from, to)| (fd::borrow(from), to)).collect();
        let mut env = exec::Envp::current_without(&[]);
        match self.supervise.as_deref() {
            Some(p) => match exec::spawn_vfork_file(Some(p), argv, &mut env, &fds) {
                // s6box moved away since: s6-supervise from PATH.
                Err(Errno::NOENT) => exec::spawn_vfork(argv, &mut env, &fds),
                r => r,
            },
            None => exec::spawn_vfork(argv, &mut env, &fds),
        }
    }

    /// `reap()`: collects every ended child; a dead supervisor of an active
    /// service is started again, at once if it ran for a second or more.
    fn reap(&mut self) {
        let mut died = false;
        let stopping = self.stopping.is_some();
        s6box::proc::reap(|pid, _| {
            for s in &mut self.services {
                if s.sup.pid == Some(pid) {
                    s.sup.pid = None;
                    died |= s.active && !stopping;
                    return;
                }
                if let Some(l) = &mut s.log
                    && l.sup.pid == Some(pid)
                {
                    l.sup.pid = None;
                    died |= s.active && !stopping;
                    return;
                }
            }
        });
        if !stopping {
            self.drop_dead();
        }
        if died {
            self.restart_due();
        }
    }

    /// `kill_inactive(all_term)`: stops the supervisors of the services the
    /// last scan did not see: services with SIGTERM, loggers with SIGHUP
    /// (or SIGTERM with `all_term`).
    fn kill_inactive(&mut self, all_term: bool) {
        for s in self.services.iter_mut().filter(|s| !s.active) {
            send(s.sup.pid, libc::SIGTERM);
            if let Some(l) = &mut s.log {
                l.wr = None;
                send(l.sup.pid, if all_term { libc::SIGTERM } else { libc::SIGHUP });
            }
        }
    }

    /// `stop(how)`: brings the whole tree down; `finish` runs when the last
    /// supervisor is gone.
    fn stop(&mut self, how: Stop) {
        self.stopping = Some(match (self.stopping, how) {
            (Some(Stop::Quit), _) | (_, Stop::Quit) => Stop::Quit,
            _ => Stop::Clean,
        });
        for s in &mut self.services {
            send(s.sup.pid, libc::SIGTERM);
            if let Some(l) = &mut s.log {
                // The logger ends once its producers are gone and the pipe
                // is drained: our copy of the write end must go.
                l.wr = None;
                send(l.sup.pid, if how == Stop::Quit { libc::SIGTERM } else { libc::SIGHUP });
            }
        }
    }

    /// `command(c, lock)`: one control byte.
    fn command(&mut self, c: u8) {
        match c {
            b'z' => self.reap(),
            b'a' => self.scan_unless_stopping(),
            b'b' => finish(self.console),
            b'h' => {
                self.scan_unless_stopping();
                self.kill_inactive(false);
            }
            b'n' => self.kill_inactive(false),
            b'N' => self.kill_inactive(true),
            b't' | b'i' => self.stop(Stop::Clean),
            b'q' => self.stop(Stop::Quit),
            _ => msg::warn(&[b"received unknown control command: ", &[c]]),
        }
    }

    fn scan_unless_stopping(&mut self) {
        if self.stopping.is_none() {
            self.scan();
        }
    }

    /// `signal(s, lock)`: one signal; for the configurable ones, an
    /// executable `.s6-svscan/SIGNAME` runs instead of the default action.
    fn signal(&mut self, s: i32) {
        let (name, default): (&str, Option<u8>) = match s {
            libc::SIGCHLD => return self.reap(),
            libc::SIGALRM => return self.command(b'a'),
            libc::SIGABRT => return self.command(b'b'),
            libc::SIGHUP => ("SIGHUP", Some(b'h')),
            libc::SIGINT => ("SIGINT", Some(b'i')),
            libc::SIGTERM => ("SIGTERM", Some(b't')),
            libc::SIGQUIT => ("SIGQUIT", Some(b'q')),
            libc::SIGUSR1 => ("SIGUSR1", None),
            libc::SIGUSR2 => ("SIGUSR2", None),
            s if Some(s) == s6box::sig::SIGPWR => ("SIGPWR", None),
            libc::SIGWINCH => ("SIGWINCH", None),
            _ => return,
        };
        let mut path = b".s6-svscan/".to_vec();
        path.extend_from_slice(name.as_bytes());
        let argv = OwnedArgv::new([OsStr::from_bytes(&path)]);
        match exec::spawn(argv.argv()) {
            Ok(_) => {}
            Err(e) => {
                if e != Errno::NOENT {
                    msg::warn_sys(&[b"spawn ", &path], e);
                }
                if let Some(c) = default {
                    self.command(c);
                }
            }
        }
    }
}
