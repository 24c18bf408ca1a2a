//! s6-supervise: keeps one service running. Spawns `./run`, restarts it
//! when it dies (after `./finish`), obeys the bytes written to
//! `supervise/control`, and publishes its state in `supervise/status` and
//! as events on the `event/` fifodir, all in s6's wire formats.
//!
//! Reads top to bottom: the command line, the start-up in the service
//! directory, then one loop sleeping in `poll::wait` on the signal
//! descriptor, the control fifo, the notification pipe and, for a
//! `pidfile` service, the daemon's pidfd or the watch on the pid file's
//! directory. The only deadline is a timer the contract names: the restart
//! throttle, the 10 s spawn retry, `timeout-kill`, `timeout-finish`.

use s6box::argv::{Argv, OwnedArgv};
use s6box::exec::{self, Child};
use s6box::fmt::dec;
use s6box::msg;
use s6box::pidfile;
use s6box::poll;
use s6box::sig::{self, Signals};
use s6box::supervision::servicedir::{self as sd, Value};
use s6box::supervision::status::{self, FINISHING, PAUSED, READY, Status, WANT_UP};
use s6box::supervision::{EVENT, SUPERVISE, control, ftrig, svlock, tally};
use s6box::tai::Tain;
use s6box::adopt::{Adopted, Early, Refused, adopt_daemon};
use s6box::watch::{self, Daemon, Ended};
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::Pid;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

const USAGE: &str = "s6-supervise dir";
const USAGE_CODE: i32 = 100;
const SYS: i32 = 111;
/// The wait before retrying a `./run` that could not be spawned.
const RETRY: Duration = Duration::from_secs(10);
/// The repeat of a SIGKILL that did not end `run` or `finish`.
const REKILL: Duration = Duration::from_secs(5);
/// The restart throttle: a service is not restarted sooner than this after
/// it was last started or became ready.
const THROTTLE: Duration = Duration::from_secs(1);

enum State {
    /// Nothing runs; `deadline` (if any) is the next start.
    Down,
    /// `run` (or the daemon) runs, at this phase; `deadline` is
    /// `timeout-kill`.
    Up(Phase),
    /// `finish` runs; `deadline` is `timeout-finish`.
    Finish,
}

/// Where a `pidfile` service stands while it is up.
enum Phase {
    /// No `pidfile`: `run` is the service.
    Plain,
    /// `run` (the parent) runs; the daemon is not known yet.
    Parent(Pf),
    /// The parent exited 0 and the pid file is not written yet: watched.
    Waiting(Pf, pidfile::Appear),
    /// The daemon is the service.
    Daemon(Daemon),
}

/// A `pidfile` service's pid file, until the daemon is known.
struct Pf {
    path: Vec<u8>,
    /// When the parent was spawned: an older file is not this run's.
    since: pidfile::Time,
    /// Children reaped meanwhile (one may be the daemon).
    early: Early,
}

struct Sup {
    name: Vec<u8>,
    st: Status,
    state: State,
    /// `run`'s (or the daemon's) pid while up, `finish`'s while finishing.
    pid: Option<Pid>,
    /// The service's process group (for P, C, K, SIGINT, killpg).
    pgid: i32,
    notif: Option<OwnedFd>,
    deadline: Option<Instant>,
    /// When the current run of the service became ready.
    ready_at: Option<Instant>,
    exit_when_down: bool,
    subreaper: bool,
    signals: Signals,
    me: Pid,
    ctl: OwnedFd,
    _ctl_wr: OwnedFd,
    _lock: OwnedFd,
}

fn path(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// `warn_invalid(file)`: `warning: invalid FILE`.
fn warn_invalid(file: &str) {
    msg::warn(&[b"invalid ", file.as_bytes()]);
}

/// `uint_file(file)`: an integer file, `None` when absent or invalid (with
/// a warning).
fn uint_file(file: &str) -> Option<u64> {
    match sd::uint(file) {
        Value::Valid(v) => Some(v),
        Value::Absent => None,
        Value::Invalid => {
            warn_invalid(file);
            None
        }
    }
}

fn down_signal() -> i32 {
    match sd::signal(sd::DOWN_SIGNAL) {
        Value::Valid(s) => s,
        Value::Absent => libc::SIGTERM,
        Value::Invalid => {
            warn_invalid(sd::DOWN_SIGNAL);
            libc::SIGTERM
        }
    }
}

fn kill(pid: i32, sig: i32) {
    // SAFETY: kill takes two integers; a negative pid names a group, as
    // the callers intend (process-group commands).
    unsafe { libc::kill(pid, sig) };
}

fn raw(p: Pid) -> i32 {
    p.as_raw_nonzero().get()
}

/// `place(fd, n)`: makes descriptor `n` the one the program gets for `fd`.
fn place(fd: BorrowedFd, n: i32) -> Result<(), Errno> {
    if fd.as_raw_fd() == n {
        rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty())
    } else {
        s6box::fd::copy_to(fd, n)
    }
}

/// `null_onto(n)`: `/dev/null` on descriptor `n`.
fn null_onto(n: i32) -> Result<(), Errno> {
    let fd = rustix::fs::open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?;
    place(fd.as_fd(), n)?;
    if fd.as_raw_fd() == n {
        std::mem::forget(fd);
    }
    Ok(())
}

/// `mkdir_or_target(dir, mode)`: creates `dir`, or the target of a
/// dangling symlink named `dir`. `Ok(true)` if it was created.
fn mkdir_or_target(dir: &str, mode: rustix::fs::RawMode) -> Result<bool, Errno> {
    match rustix::fs::mkdir(dir, Mode::from_raw_mode(mode)) {
        Ok(()) => Ok(true),
        Err(Errno::EXIST) => match rustix::fs::stat(dir) {
            Err(Errno::NOENT) => {
                let target = rustix::fs::readlink(dir, Vec::new())?;
                rustix::fs::mkdir(target.as_c_str(), Mode::from_raw_mode(mode))?;
                Ok(true)
            }
            _ => Ok(false),
        },
        Err(e) => Err(e),
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    if argv.len() >= 2 && argv.get(1).to_bytes() == b"--help" {
        msg::print_usage(USAGE);
        return 0;
    }
    if argv.len() < 2 {
        msg::usage(USAGE);
    }
    let dir = argv.get(1).to_bytes();
    let name = dir.to_vec();
    if let Err(e) = rustix::process::chdir(OsStr::from_bytes(dir)) {
        msg::fatal_sys(SYS, &[b"chdir to ", dir], e);
    }
    msg::set_tail(&name);
    for n in 0..3 {
        if rustix::io::fcntl_getfd(s6box::fd::borrow(n)) == Err(Errno::BADF)
            && let Err(e) = null_onto(n)
        {
            msg::fatal_sys(SYS, &[b"open /dev/null"], e);
        }
    }
    let mut sup = start_up(name);
    s6box::trim::enable();
    sup.run()
}

fn start_up(name: Vec<u8>) -> Sup {
    match mkdir_or_target(EVENT, 0o700) {
        Ok(true) => {
            let gid = rustix::process::getegid().as_raw();
            if let Err(e) = ftrig::set_mode(path(EVENT), Some(gid)) {
                msg::fatal_sys(SYS, &[b"chmod event"], e);
            }
        }
        Ok(false) => {}
        Err(e) => msg::fatal_sys(SYS, &[b"mkdir event"], e),
    }
    if let Err(e) = mkdir_or_target(SUPERVISE, 0o700) {
        msg::fatal_sys(SYS, &[b"mkdir supervise"], e);
    }
    if !rustix::fs::stat(SUPERVISE).is_ok_and(|s| {
        rustix::fs::FileType::from_raw_mode(s.st_mode) == rustix::fs::FileType::Directory
    }) {
        msg::fatal(USAGE_CODE, &[b"supervise exists and is not a directory"]);
    }
    let lock = match svlock::take(path(svlock::PATH)) {
        Ok(fd) => fd,
        Err(Errno::BUSY) => {
            msg::fatal(USAGE_CODE, &[b"another instance of s6-supervise is already running"])
        }
        Err(e) => msg::fatal_sys(SYS, &[b"lock supervise/lock"], e),
    };
    let (ctl, ctl_wr) = match control::serve(path(control::PATH)) {
        Ok(p) => p,
        Err(Errno::NOTSUP) => msg::fatal(USAGE_CODE, &[b"supervise/control is not a FIFO"]),
        Err(e) => msg::fatal_sys(SYS, &[b"open supervise/control"], e),
    };
    if let Err(e) = sig::keep_children() {
        msg::fatal_sys(SYS, &[b"set SIGCHLD to default"], e);
    }
    let signals = sig::catch_all().unwrap_or_else(|e| msg::fatal_sys(SYS, &[b"trap signals"], e));
    if let Err(e) = ftrig::clean(path(EVENT)) {
        msg::warn_sys(&[b"ftrigw_clean event"], e);
    }
    if let Err(e) = tally::clear(path(tally::PATH)) {
        msg::warn_sys(&[b"truncate supervise/death_tally"], e);
    }
    let now = Tain::now();
    let mut flags = READY | PAUSED;
    if !sd::exists(sd::DOWN) {
        flags |= WANT_UP;
    }
    let st = Status { stamp: now, readystamp: now, pid: 0, wstat: 0, flags };
    let mut sup = Sup {
        name,
        st,
        state: State::Down,
        pid: None,
        pgid: 0,
        notif: None,
        deadline: None,
        ready_at: None,
        exit_when_down: false,
        subreaper: false,
        signals,
        me: rustix::process::getpid(),
        ctl,
        _ctl_wr: ctl_wr,
        _lock: lock,
    };
    sup.write();
    // Paused with pid 0 means "not started yet" only in this first record.
    sup.st.set(PAUSED, false);
    sup.event(b"s");
    if sup.st.flag(WANT_UP) {
        sup.start();
    }
    sup
}

impl Sup {
    fn is_up(&self) -> bool {
        matches!(self.state, State::Up(_))
    }

    fn write(&mut self) {
        if let Err(e) = status::write(path(status::PATH), &self.st) {
            msg::warn_sys(&[b"write status file"], e);
        }
    }

    fn event(&self, ev: &[u8]) {
        let _ = ftrig::notify(path(EVENT), ev);
    }

    /// The loop: sleep until a signal, a command, a readiness note, the
    /// daemon's end, a pid file, or a contract timer.
    fn run(&mut self) -> ! {
        loop {
            let mut fds: [BorrowedFd; 4] = [self.signals.as_fd(); 4];
            let mut n = 1;
            let mut bits = [0u8; 4];
            fds[n] = self.ctl.as_fd();
            bits[n] = b'c';
            n += 1;
            if let Some(fd) = &self.notif {
                fds[n] = fd.as_fd();
                bits[n] = b'n';
                n += 1;
            }
            match &self.state {
                State::Up(Phase::Waiting(_, appear)) => {
                    fds[n] = appear.fd();
                    bits[n] = b'w';
                    n += 1;
                }
                State::Up(Phase::Daemon(d)) => {
                    if let Some(fd) = d.event_fd() {
                        fds[n] = fd;
                        bits[n] = b'p';
                        n += 1;
                    }
                }
                _ => {}
            }
            let ready = poll::wait(&fds[..n], self.deadline);
            if ready == 0 {
                self.deadline = None;
                self.timer();
                continue;
            }
            let mut what = [0u8; 4];
            for i in 0..n {
                if ready & (1 << i) != 0 {
                    what[i] = if i == 0 { b's' } else { bits[i] };
                }
            }
            // A readiness line written just before the service died is
            // read before the death closes its pipe: `U` comes before `d`.
            if what.contains(&b'n') {
                self.on_notif();
            }
            for w in what {
                match w {
                    b's' => self.on_signals(),
                    b'c' => self.on_control(),
                    b'w' => self.on_pidfile_watch(),
                    b'p' => self.on_daemon_exit(),
                    _ => {}
                }
            }
        }
    }

    #[inline(never)]
    fn timer(&mut self) {
        match self.state {
            State::Down => {
                if self.st.flag(WANT_UP) {
                    self.start();
                }
            }
            State::Up(_) => {
                let killpg = sd::exists(sd::FLAG_KILLPG);
                if killpg && self.pgid > 0 {
                    kill(-self.pgid, libc::SIGKILL);
                    kill(-self.pgid, libc::SIGCONT);
                } else {
                    self.signal_service(libc::SIGKILL);
                    self.signal_service(libc::SIGCONT);
                }
                self.deadline = Instant::now().checked_add(REKILL);
            }
            State::Finish => {
                msg::warn(&[
                    b"finish script lifetime reached maximum value - sending it a SIGKILL",
                ]);
                if let Some(p) = self.pid {
                    kill(raw(p), libc::SIGCONT);
                    kill(raw(p), libc::SIGKILL);
                }
                self.deadline = Instant::now().checked_add(REKILL);
            }
        }
    }

    /// `start()`: spawns `./run` (the service goes up), or arms the 10 s
    /// retry.
    #[inline(never)]
    fn start(&mut self) {
        self.deadline = None;
        let mut notif_fd = match uint_file(sd::NOTIFICATION_FD) {
            Some(0) => {
                warn_invalid(sd::NOTIFICATION_FD);
                None
            }
            Some(n) => i32::try_from(n).ok(),
            None => None,
        };
        let lock_fd = uint_file(sd::LOCK_FD).and_then(|n| i32::try_from(n).ok());
        if notif_fd.is_some() && notif_fd == lock_fd {
            msg::warn(&[b"unable to start service: notification-fd and lock-fd are the same"]);
            self.deadline = Instant::now().checked_add(RETRY);
            return;
        }
        let newpidns =
            cfg!(any(target_os = "linux", target_os = "android")) && sd::exists(sd::FLAG_NEWPIDNS);
        let pidfile = match sd::pidfile_path(sd::PIDFILE) {
            Value::Valid(p) => self.pidfile_prepare(p),
            Value::Absent => None,
            Value::Invalid => {
                warn_invalid(sd::PIDFILE);
                None
            }
        };
        if pidfile.is_some() {
            // The daemon, not run, says when the service is ready.
            notif_fd = None;
        }
        let pipe = match notif_fd {
            Some(_) => match s6box::fd::pipe_cloexec() {
                Ok(p) => Some(p),
                Err(e) => {
                    msg::warn_sys(&[b"create notification pipe"], e);
                    self.deadline = Instant::now().checked_add(RETRY);
                    return;
                }
            },
            None => None,
        };
        // Only for a pidfile (rustix's clock: one more static written).
        let since = pidfile.as_ref().map(|_| pidfile::now());
        let args = OwnedArgv::new([OsStr::new("./run"), OsStr::from_bytes(&self.name)]);
        let wr = pipe.as_ref().map(|(_, w)| w.as_fd());
        let setup = |child: &mut Child| -> Result<(), Errno> {
            rustix::process::setsid()?;
            if let (Some(w), Some(n)) = (wr, notif_fd) {
                child.keep_clear(n)?;
                place(w, n)?;
            }
            if let Some(l) = lock_fd {
                child.keep_clear(l)?;
                service_lock(child, l)?;
            }
            Ok(())
        };
        match exec::spawn_with(args.argv(), newpidns, setup) {
            Ok(pid) => {
                self.notif = pipe.map(|(r, _)| r);
                self.pid = Some(pid);
                self.pgid = raw(pid);
                self.ready_at = None;
                self.state = State::Up(match (pidfile, since) {
                    (Some(path), Some(since)) => {
                        Phase::Parent(Pf { path, since, early: Early::default() })
                    }
                    _ => Phase::Plain,
                });
                self.st.pid = raw(pid) as u64;
                self.st.stamp = Tain::now();
                self.st.set(READY, false);
                self.st.set(PAUSED, false);
                self.st.set(FINISHING, false);
                self.write();
                self.event(b"u");
            }
            Err(e) => {
                msg::warn_sys(&[b"spawn ./run - waiting 10 seconds"], e);
                self.deadline = Instant::now().checked_add(RETRY);
            }
        }
    }

    /// `signal_service(sig)`: `sig` to `run`, or to the daemon.
    fn signal_service(&self, sig: i32) {
        match (&self.state, self.pid) {
            (State::Up(Phase::Daemon(d)), _) => {
                let _ = d.signal(sig);
            }
            (State::Up(Phase::Waiting(..)), _) => {}
            (_, Some(p)) => kill(raw(p), sig),
            _ => {}
        }
    }

    /// `down()`: the down signal then SIGCONT, and `timeout-kill` armed.
    fn down(&mut self) {
        if !self.is_up() {
            return;
        }
        self.signal_service(down_signal());
        self.signal_service(libc::SIGCONT);
        if let Some(ms) = uint_file(sd::TIMEOUT_KILL)
            && ms > 0
        {
            self.deadline = Instant::now().checked_add(Duration::from_millis(ms));
        }
    }

    fn want(&mut self, up: bool) {
        self.st.set(WANT_UP, up);
        self.write();
    }

    fn touch_down(&self) -> bool {
        match rustix::fs::open(
            sd::DOWN,
            OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        ) {
            Ok(_) => true,
            Err(e) => {
                msg::warn_sys(&[b"touch ./down file"], e);
                false
            }
        }
    }

    #[inline(never)]
    fn command(&mut self, c: u8) {
        let up = self.is_up();
        if let Some(sig) = control::signal_of_letter(c) {
            if up {
                self.signal_service(sig);
                if c == b'p' || c == b'c' {
                    self.st.set(PAUSED, c == b'p');
                    self.write();
                }
            }
            return;
        }
        match c {
            b'P' | b'C' | b'K' if up && self.pgid > 0 => {
                let sig = match c {
                    b'P' => libc::SIGSTOP,
                    b'C' => libc::SIGCONT,
                    _ => libc::SIGKILL,
                };
                kill(-self.pgid, sig);
                if c != b'K' {
                    self.st.set(PAUSED, c == b'P');
                    self.write();
                }
            }
            b'r' if up => self.signal_service(down_signal()),
            b'o' => {
                self.want(false);
                if matches!(self.state, State::Down) {
                    self.start();
                }
            }
            b'd' => {
                self.want(false);
                self.down();
            }
            b'D' => {
                self.touch_down();
                self.want(false);
                self.down();
            }
            b'u' | b'U' => {
                if c == b'U'
                    && let Err(e) = rustix::fs::unlink(sd::DOWN)
                    && e != Errno::NOENT
                {
                    msg::warn_sys(&[b"unlink ./down file"], e);
                }
                self.want(true);
                if matches!(self.state, State::Down) {
                    self.start();
                }
            }
            b'O' => self.want(false),
            b'Q' => {
                self.touch_down();
                self.want(false);
            }
            b'x' => self.exit_later(),
            _ => {}
        }
    }

    /// `exit_later()`: `x`: exit once the service is down.
    fn exit_later(&mut self) {
        self.exit_when_down = true;
        match self.state {
            State::Down => self.quit(),
            State::Up(_) => {
                // The supervisor's stdin and stdout may be a logger's pipe:
                // let go of them so the logger can end with the service.
                let _ = null_onto(0);
                let _ = null_onto(1);
            }
            State::Finish => {}
        }
    }

    fn quit(&self) -> ! {
        self.event(b"x");
        msg::exit(0)
    }

    #[inline(never)]
    fn on_control(&mut self) {
        let mut buf = [0u8; 64];
        loop {
            let got = match control::read(&self.ctl, &mut buf) {
                Ok(b) if !b.is_empty() => b.to_vec(),
                Ok(_) => return,
                Err(e) => msg::fatal_sys(SYS, &[b"read supervise/control"], e),
            };
            for c in got {
                self.command(c);
            }
        }
    }

    #[inline(never)]
    fn on_notif(&mut self) {
        let Some(fd) = &self.notif else { return };
        let mut buf = [0u8; 64];
        // One read per wake-up: the pipe blocks, and a second read after
        // half a line would hang the supervisor.
        match rustix::io::read(fd, &mut buf) {
            Ok(0) => self.notif = None,
            Ok(n) => {
                if buf[..n].contains(&b'\n') {
                    self.notif = None;
                    self.became_ready();
                }
            }
            Err(Errno::INTR) | Err(Errno::AGAIN) => {}
            Err(_) => self.notif = None,
        }
    }

    fn became_ready(&mut self) {
        self.ready_at = Some(Instant::now());
        self.st.readystamp = Tain::now();
        self.st.set(READY, true);
        self.write();
        self.event(b"U");
    }

    #[inline(never)]
    fn on_signals(&mut self) {
        while let Some(s) = self.signals.next_from_others(self.me) {
            match s {
                libc::SIGCHLD => self.reap(),
                libc::SIGTERM => {
                    self.st.set(WANT_UP, false);
                    self.write();
                    self.down();
                    self.exit_later();
                }
                libc::SIGHUP => self.exit_later(),
                libc::SIGQUIT => self.quit(),
                libc::SIGINT => {
                    if self.is_up() && self.pgid > 0 {
                        kill(-self.pgid, libc::SIGINT);
                    }
                    self.quit()
                }
                s => sig::act_as_default(s),
            }
        }
    }

    fn reap(&mut self) {
        let mut ended = Vec::new();
        watch::reap(|p, st| ended.push((p, st)));
        // Others first: while a `pidfile` parent runs, one of them may be
        // the daemon, needed at the hand-over that the parent's end starts.
        let mut mine = None;
        for (p, st) in ended {
            if Some(p) == self.pid {
                mine = Some(st);
            } else if let State::Up(
                Phase::Parent(Pf { early, .. }) | Phase::Waiting(Pf { early, .. }, _),
            ) = &mut self.state
            {
                early.record(p, st);
            }
        }
        if let Some(st) = mine {
            match self.state {
                State::Up(_) => self.service_ended(st),
                State::Finish => self.finish_done(Some(st)),
                State::Down => {}
            }
        }
        if let State::Up(Phase::Waiting(..)) = self.state
            && !watch::has_children()
        {
            // Last look at the file, then the failure.
            self.pidfile_handover();
        }
    }

    /// `service_ended(wstat)`: `run` (a plain service's) or the daemon died,
    /// or the `pidfile` parent exited.
    fn service_ended(&mut self, wstat: i32) {
        if let State::Up(Phase::Parent(_)) = self.state {
            if wstat == 0 {
                return self.pidfile_handover();
            }
            self.pidfile_clear();
            msg::warn(&[b"./run (parent) did not exit 0: the daemon is not watched"]);
        }
        self.died(wstat);
    }

    /// `died(wstat)`: the service is down: record it, run `finish`.
    #[inline(never)]
    fn died(&mut self, wstat: i32) {
        let dead_pgid = self.pgid;
        // Down until `finish` is spawned.
        self.state = State::Down;
        self.notif = None;
        self.deadline = None;
        let now = Tain::now();
        self.st.wstat = wstat as u16;
        self.st.set(PAUSED, false);
        self.st.set(READY, false);
        self.st.stamp = now;
        let max = uint_file(sd::MAX_DEATH_TALLY).unwrap_or(tally::DEFAULT_MAX).min(tally::MAX);
        if let Err(e) = tally::append(path(tally::PATH), &tally::Death::of_wstat(now, wstat), max) {
            msg::warn_sys(&[b"write supervise/death_tally"], e);
        }
        if sd::exists(sd::FINISH) {
            let (code, sig) = if libc::WIFSIGNALED(wstat) {
                (256, libc::WTERMSIG(wstat))
            } else {
                (libc::WEXITSTATUS(wstat), 0)
            };
            let (code, sig, pg) = (dec(code.into()), dec(sig.into()), dec(dead_pgid.into()));
            let args = OwnedArgv::new(
                [&b"./finish"[..], &code, &sig, &self.name, &pg].map(OsStr::from_bytes),
            );
            let setup = |_: &mut Child| rustix::process::setsid().map(|_| ());
            match exec::spawn_with(args.argv(), false, setup) {
                Ok(pid) => {
                    self.state = State::Finish;
                    self.pid = Some(pid);
                    self.st.pid = raw(pid) as u64;
                    self.st.set(FINISHING, true);
                    self.write();
                    self.event(b"d");
                    let ms = uint_file(sd::TIMEOUT_FINISH).unwrap_or(5000);
                    if ms > 0 {
                        self.deadline = Instant::now().checked_add(Duration::from_millis(ms));
                    }
                    return;
                }
                Err(e) => msg::warn_sys(&[b"spawn ./finish"], e),
            }
        }
        self.finish_done(None);
    }

    /// `finish_done(wstat)`: `finish` ended (or there was none): down and
    /// ready; restart after the throttle if wanted.
    #[inline(never)]
    fn finish_done(&mut self, wstat: Option<i32>) {
        let had_finish = wstat.is_some();
        self.state = State::Down;
        self.pid = None;
        self.deadline = None;
        let now = Instant::now();
        self.st.pid = 0;
        self.st.set(FINISHING, false);
        self.st.set(READY, true);
        self.st.readystamp = Tain::now();
        let permanent = wstat.is_some_and(|w| libc::WIFEXITED(w) && libc::WEXITSTATUS(w) == 125);
        if permanent {
            self.st.set(WANT_UP, false);
        }
        self.write();
        let ev: &[u8] = match (had_finish, permanent) {
            (false, _) => b"dD",
            (true, true) => b"OD",
            (true, false) => b"D",
        };
        self.event(ev);
        if self.exit_when_down {
            self.quit();
        }
        if self.st.flag(WANT_UP) {
            let at = match self.ready_at.take() {
                Some(r) => (r + THROTTLE).max(now),
                None => now + THROTTLE,
            };
            if at <= now {
                self.start();
            } else {
                self.deadline = Some(at);
            }
        }
    }

    // --- pidfile: a daemon that backgrounds itself ---

    /// `pidfile_prepare(path)`: before a start: subreaper, and no stale pid
    /// file. `None` (with a warning) if the platform cannot watch daemons.
    fn pidfile_prepare(&mut self, path: Vec<u8>) -> Option<Vec<u8>> {
        if !self.subreaper {
            match watch::acquire() {
                Ok(()) if watch::SUBREAPER => self.subreaper = true,
                Ok(()) | Err(Errno::NOSYS) => {
                    msg::warn(&[b"pidfile is not supported on this system: ignored"]);
                    return None;
                }
                Err(e) => {
                    msg::warn_sys(&[b"become a subreaper: pidfile ignored"], e);
                    return None;
                }
            }
        }
        match rustix::fs::unlink(OsStr::from_bytes(&path)) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => msg::warn_sys(&[b"remove stale pidfile ", &path], e),
        }
        Some(path)
    }

    /// `pidfile_clear()`: the parent failed: the pid file it wrote, if
    /// any, is removed, so that it is never read later.
    fn pidfile_clear(&self) {
        if let State::Up(Phase::Parent(pf) | Phase::Waiting(pf, _)) = &self.state {
            let _ = pidfile::remove_if_written_since(OsStr::from_bytes(&pf.path), pf.since);
        }
    }

    /// `pidfile_failed(pf, why)`: no daemon to watch: warning, and the
    /// service counts as dead with the parent's status (0).
    fn pidfile_failed(&mut self, pf: &Pf, why: &[u8]) {
        msg::warn(&[b"pidfile ", &pf.path, b": ", why]);
        self.died(0);
    }

    /// `pidfile_handover()`: the parent exited 0 (or the pid file's
    /// directory changed since): find the daemon.
    #[inline(never)]
    fn pidfile_handover(&mut self) {
        let State::Up(phase) = &mut self.state else { return };
        let (pf, appear) = match std::mem::replace(phase, Phase::Plain) {
            Phase::Parent(pf) => (pf, None),
            Phase::Waiting(pf, mut a) => match a.check() {
                Some(content) => return self.pidfile_content(pf, &content),
                None => (pf, Some(a)),
            },
            other => {
                *phase = other;
                return;
            }
        };
        if let Some(a) = appear {
            // Still not written: wait on while a descendant lives.
            if watch::has_children() {
                self.state = State::Up(Phase::Waiting(pf, a));
            } else {
                self.pidfile_failed(&pf, b"missing, and no descendant of ./run is left");
            }
            return;
        }
        match pidfile::read(OsStr::from_bytes(&pf.path), pf.since) {
            Ok((content, true)) if !content.is_empty() => self.pidfile_content(pf, &content),
            Ok(_) | Err(Errno::NOENT) => {
                if !watch::has_children() {
                    return self
                        .pidfile_failed(&pf, b"missing, and no descendant of ./run is left");
                }
                match pidfile::Appear::new(OsStr::from_bytes(&pf.path), pf.since) {
                    Ok(a) => {
                        // Written between the read and the watch?
                        self.state = State::Up(Phase::Waiting(pf, a));
                        self.pidfile_handover();
                    }
                    Err(e) => {
                        msg::warn_sys(&[b"watch the directory of ", &pf.path], e);
                        self.pidfile_failed(&pf, b"missing");
                    }
                }
            }
            Err(_) => self.pidfile_failed(&pf, b"unreadable"),
        }
    }

    /// `pidfile_content(pf, content)`: the pid file is written: check the
    /// pid and take the daemon as the service.
    fn pidfile_content(&mut self, pf: Pf, content: &[u8]) {
        let daemon = match adopt_daemon(content, self.me, &pf.early) {
            Ok(Adopted::Watching(d)) => d,
            Ok(Adopted::Ended(st)) => return self.died(st),
            Err(Refused::BadPid(_)) => {
                return self.pidfile_failed(&pf, b"does not contain a valid pid");
            }
            Err(Refused::Invalid(n)) => {
                return self.pidfile_failed(&pf, &[b"invalid pid ", &dec(n.into())[..]].concat());
            }
            Err(Refused::NotOurs(p) | Refused::Check(p, _)) => {
                let why = [b"pid ", &dec(raw(p).into())[..], b" is not a descendant of ./run"];
                return self.pidfile_failed(&pf, &why.concat());
            }
            Err(Refused::Attach(p, e)) => {
                msg::warn_sys(&[b"watch pid ", &dec(raw(p).into())], e);
                return self.pidfile_failed(&pf, b"the daemon cannot be watched");
            }
        };
        let pid = daemon.pid();
        self.pid = Some(pid);
        self.pgid = rustix::process::getpgid(Some(pid)).map(raw).unwrap_or(raw(pid));
        self.state = State::Up(Phase::Daemon(daemon));
        self.st.pid = raw(pid) as u64;
        self.write();
        if sd::exists(sd::NOTIFICATION_FD) && !self.st.flag(READY) {
            self.became_ready();
        }
        if !self.st.flag(WANT_UP) {
            // A down command came while the parent ran.
            self.down();
        }
    }

    /// The pid file's directory changed: maybe it is written now.
    fn on_pidfile_watch(&mut self) {
        self.pidfile_handover();
    }

    /// The daemon's pidfd (or kqueue) says it ended: its status comes by
    /// SIGCHLD when it is our child; otherwise (it died before coming back
    /// to us) it is read from its zombie, or lost.
    fn on_daemon_exit(&mut self) {
        self.reap();
        let State::Up(Phase::Daemon(d)) = &self.state else { return };
        match d.ended() {
            Ended::Running => {}
            Ended::Status(st) => self.died(st),
            Ended::Unknown => self.died(0),
        }
    }
}

/// `service_lock(child, n)`: in the child, before the exec: `n` holds an
/// exclusive lock on `supervise/service-lock`, and no other descriptor of
/// that file stays open (closing one would release the lock).
fn service_lock(child: &mut Child, n: i32) -> Result<(), Errno> {
    let fd = rustix::fs::open(
        sd::SERVICE_LOCK,
        OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )?;
    place(fd.as_fd(), n)?;
    if fd.as_raw_fd() == n {
        std::mem::forget(fd);
    } else {
        drop(fd);
    }
    let l = s6box::fd::borrow(n);
    match s6box::lock::lock(l, false, s6box::lock::Wait::No) {
        Err(Errno::BUSY) => {
            msg::warn(&[b"another instance of the service is already running, child will block"]);
            child.detach();
            s6box::lock::lock(l, false, s6box::lock::Wait::Forever)
        }
        r => r,
    }
}
