//! Service directories and the supervisors running on them, for the
//! tests of s6-supervise and of the supervision clients: a service
//! directory made from a run script (`service`), the status record
//! decoded (`Status`), a supervisor (s6box's, the 2.15 reference's or
//! Debian's 2.11) on a directory, killed and reaped on drop with its
//! service (`Supervisor`); one service directory of its own with a
//! listener fifo in `event/` and everything left running killed by pid on
//! drop (`Svc`); crafted states (a status file, a lock held by a child)
//! for the cases a live supervisor cannot be held in; and running a client
//! side by side with the 2.15 reference.

use super::*;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A service that stays up (a run script's body).
pub const SLEEPER: &str = "exec sleep 1000";
/// A service that notifies readiness on descriptor 3, then stays up.
pub const READY: &str = "echo >&3\nexec sleep 1000";

/// `service(dir, run)`: a service directory `dir` whose `run` script has
/// the body `run` (`#!/bin/sh` is added).
pub fn service(dir: &Path, run: &str) -> PathBuf {
    script(&dir.join("run"), run);
    dir.to_path_buf()
}

impl Tmp {
    /// `service(name, run, down)`: a service directory `name` inside,
    /// with a `run` script body, and a `down` file if asked.
    pub fn service(&self, name: &str, run: &str, down: bool) -> PathBuf {
        let d = service(&self.path(name), run);
        if down {
            std::fs::write(d.join("down"), "").unwrap();
        }
        d
    }
}

/// A decoded `supervise/status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    pub stamp: [u8; 12],
    pub readystamp: [u8; 12],
    pub pid: u64,
    pub wstat: u16,
    pub flags: u8,
}

impl Status {
    pub fn paused(&self) -> bool {
        self.flags & 1 != 0
    }
    pub fn finishing(&self) -> bool {
        self.flags & 2 != 0
    }
    pub fn want_up(&self) -> bool {
        self.flags & 4 != 0
    }
    pub fn ready(&self) -> bool {
        self.flags & 8 != 0
    }
    pub fn up(&self) -> bool {
        self.pid != 0 && !self.finishing()
    }
    /// Everything but the times, pid reduced to "is there one".
    pub fn shape(&self) -> String {
        format!("pid={} wstat={:#06x} flags={:#04x}", self.pid != 0, self.wstat, self.flags)
    }
}

/// `status(dir)`: the service's status record, if readable.
pub fn status(dir: &Path) -> Option<Status> {
    let b = std::fs::read(dir.join("supervise/status")).ok()?;
    (b.len() == 35).then(|| Status {
        stamp: b[0..12].try_into().unwrap(),
        readystamp: b[12..24].try_into().unwrap(),
        pid: u64::from_be_bytes(b[24..32].try_into().unwrap()),
        wstat: u16::from_be_bytes([b[32], b[33]]),
        flags: b[34],
    })
}

/// `locked(dir)`: whether some process holds `dir/supervise/lock`.
pub fn locked(dir: &Path) -> bool {
    let Ok(f) = std::fs::File::open(dir.join("supervise/lock")) else { return false };
    // SAFETY: F_GETLK on an open descriptor with an initialised flock.
    unsafe {
        let mut fl: libc::flock = std::mem::zeroed();
        fl.l_type = libc::F_WRLCK as _;
        fl.l_whence = libc::SEEK_SET as _;
        libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&f), libc::F_GETLK, &mut fl) == 0
            && fl.l_type != libc::F_UNLCK as _
    }
}

/// `wait_supervised(dir)`: waits until a supervisor holds the lock of
/// `dir` and has written its status.
pub fn wait_supervised(dir: &Path) {
    poll(LONG, "the supervisor to start", || (locked(dir) && status(dir).is_some()).then_some(()));
}

/// `ours()`: s6box's s6-supervise.
pub fn ours() -> PathBuf {
    applet("s6-supervise")
}

/// `client(name)`: one of s6's clients: Debian's when installed, else the
/// 2.15 reference's (and `None` when neither is there).
pub fn client(name: &str) -> Option<PathBuf> {
    s6_client(name)
}

pub struct Svc {
    pub root: Tmp,
    pub dir: PathBuf,
    pub sup: Option<Child>,
    fifo: Option<(PathBuf, std::fs::File)>,
    pub got: Vec<u8>,
}

impl Svc {
    /// `new(tag, files)`: a service directory with `files` (name, content;
    /// names starting with `x:` are made executable).
    pub fn new(tag: &str, files: &[(&str, &str)]) -> Svc {
        let root = Tmp::new(&format!("sup-{tag}"));
        let dir = root.path("sv");
        std::fs::create_dir(&dir).unwrap();
        let mut s = Svc { root, dir, sup: None, fifo: None, got: Vec::new() };
        for (name, content) in files {
            s.write(name, content);
        }
        // The fifodir made as the supervisor makes it, so the listener is
        // there before the supervisor starts and no event is missed.
        let ev = s.path("event");
        std::fs::create_dir(&ev).unwrap();
        std::fs::set_permissions(&ev, std::fs::Permissions::from_mode(0o3730)).unwrap();
        s.subscribe();
        s
    }

    /// `write(name, content)`: a file of the service directory (`x:name`:
    /// executable).
    pub fn write(&self, name: &str, content: &str) {
        let (name, exec) = match name.strip_prefix("x:") {
            Some(n) => (n, true),
            None => (name, false),
        };
        let p = self.dir.join(name);
        std::fs::write(&p, content).unwrap();
        if exec {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    pub fn path(&self, f: &str) -> PathBuf {
        self.dir.join(f)
    }

    /// `start(bin)`: runs the supervisor `bin` on the directory (stderr to
    /// `root/err`), waits until it holds its lock, then subscribes.
    pub fn start(&mut self, bin: &Path) {
        let mut c = Command::new(bin);
        self.start_cmd(&mut c);
    }

    /// `start_cmd(c)`: as `start`, with a prepared command (signal state).
    pub fn start_cmd(&mut self, c: &mut Command) {
        close_inherited(c);
        let err = std::fs::File::create(self.root.path("err")).unwrap();
        c.arg(&self.dir).stdin(Stdio::null()).stdout(Stdio::null()).stderr(err);
        // Its own process group, so the test's terminal signals never reach it.
        c.process_group(0);
        self.sup = Some(c.spawn().unwrap());
        wait_supervised(&self.dir);
        if self.fifo.is_none() {
            self.subscribe();
        }
    }

    /// `no_event_dir()`: removes the listener and `event/`, so the
    /// supervisor makes it (the listener comes back after the start).
    pub fn no_event_dir(&mut self) {
        if let Some((p, _)) = self.fifo.take() {
            std::fs::remove_file(p).unwrap();
        }
        std::fs::remove_dir(self.path("event")).unwrap();
    }

    /// `subscribe()`: a listener fifo in `event/`, as s6's listeners make.
    pub fn subscribe(&mut self) {
        let name = format!("ftrig1:@400000000000000000000000:{:06}", std::process::id() % 1000000);
        let tmp = self.path(&format!("event/.{name}"));
        let f = fifo_reader(&tmp, 0o622);
        let path = self.path(&format!("event/{name}"));
        std::fs::rename(&tmp, &path).unwrap();
        self.fifo = Some((path, f));
    }

    /// `events()`: every event byte received since `subscribe`.
    pub fn events(&mut self) -> String {
        use std::io::Read;
        if let Some((_, f)) = &mut self.fifo {
            let mut buf = [0u8; 256];
            while let Ok(n) = f.read(&mut buf) {
                if n == 0 {
                    break;
                }
                self.got.extend_from_slice(&buf[..n]);
            }
        }
        text(&self.got)
    }

    /// `wait_events(want)`: waits until the events received so far are
    /// exactly `want`.
    pub fn wait_events(&mut self, want: &str) {
        let end = std::time::Instant::now() + LONG;
        poll(LONG, &format!("events {want:?}"), || {
            let got = self.events();
            assert!(
                got == want || std::time::Instant::now() < end,
                "events: want {want:?}, got {got:?}"
            );
            (got == want).then_some(())
        });
    }

    /// `wait_events_end(want)`: waits until the events end with `want`.
    pub fn wait_events_end(&mut self, want: &str) {
        poll(LONG, &format!("events ending {want:?}"), || {
            self.events().ends_with(want).then_some(())
        });
    }

    pub fn status(&self) -> Status {
        status(&self.dir).expect("a 35-byte supervise/status")
    }

    /// `wait_status(what, f)`: waits until the status satisfies `f`.
    pub fn wait_status(&self, what: &str, f: impl Fn(&Status) -> bool) -> Status {
        poll(LONG, what, || {
            let s = self.status();
            f(&s).then_some(s)
        })
    }

    /// `svc(opts)`: s6's `s6-svc OPTS dir`; panics if it fails.
    pub fn svc(&self, opts: &str) {
        let Some(c) = client("s6-svc") else { return };
        let out = run(Command::new(c).arg(opts).arg(&self.dir));
        assert!(out.status.success(), "s6-svc {opts}: {}", text(&out.stderr));
    }

    /// `client(name, args)`: runs an s6 client on the directory.
    pub fn client(&self, prog: &Path, args: &[&str]) -> Output {
        run(Command::new(prog).args(args).arg(&self.dir))
    }

    /// `err()`: what the supervisor printed.
    pub fn err(&self) -> String {
        std::fs::read_to_string(self.root.path("err")).unwrap_or_default()
    }

    /// `wait_err(what)`: waits until the supervisor printed `what`.
    pub fn wait_err(&self, what: &str) {
        let end = std::time::Instant::now() + LONG;
        poll(LONG, &format!("{what:?} on stderr"), || {
            let err = self.err();
            assert!(
                err.contains(what) || std::time::Instant::now() < end,
                "want {what:?} on stderr, got {err:?}"
            );
            err.contains(what).then_some(())
        });
    }

    pub fn sup_pid(&self) -> i32 {
        self.sup.as_ref().unwrap().id() as i32
    }

    /// `signal(sig)`: a signal to the supervisor.
    pub fn signal(&self, sig: i32) {
        kill(self.sup_pid(), sig);
    }

    /// `wait_exit()`: the supervisor's exit code once it ends by itself.
    pub fn wait_exit(&mut self) -> i32 {
        let mut c = self.sup.take().unwrap();
        let st = poll(LONG, "the supervisor's exit", || c.try_wait().unwrap());
        st.code().unwrap_or(-1)
    }

    /// `no_zombies()`: waits until no child of the supervisor is a zombie
    /// (a child that just ended is reaped within the wait).
    pub fn no_zombies(&self) {
        let pid = self.sup_pid();
        poll(LONG, "no zombie child of the supervisor", || {
            children(pid).iter().all(|&c| state(c) != Some('Z')).then_some(())
        });
    }

    /// `leftovers()`: pids of processes whose working directory is in our
    /// tree (run, finish, daemons), the supervisor excepted.
    pub fn leftovers(&self) -> Vec<i32> {
        let sup = self.sup.as_ref().map(|c| c.id() as i32);
        let mut v = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
            if Some(pid) == sup {
                continue;
            }
            if let Ok(cwd) = std::fs::read_link(e.path().join("cwd"))
                && cwd.starts_with(&self.root.0)
                && state(pid).is_some_and(|s| s != 'Z')
            {
                v.push(pid);
            }
        }
        v
    }

    /// `stop()`: kills the supervisor and everything it left, by pid, and
    /// waits until they are gone.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.sup.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        poll(LONG, "leftover service processes to end", || {
            let left = self.leftovers();
            for &p in &left {
                kill(p, libc::SIGKILL);
            }
            left.is_empty().then_some(())
        });
    }
}

impl Drop for Svc {
    fn drop(&mut self) {
        self.stop();
        if let Some((p, _)) = self.fifo.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A running supervisor on one service directory; on drop it is told to
/// exit (SIGTERM: service down, then exit), killed if it lingers, reaped,
/// and the service's process is killed if it survived.
pub struct Supervisor {
    pub dir: PathBuf,
    child: Option<Child>,
}

impl Supervisor {
    /// `start(program, dir)`: runs `program dir` and waits until it holds
    /// its lock and has written its status.
    pub fn start(program: &Path, dir: &Path) -> Supervisor {
        let child = Command::new(program)
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn supervisor");
        let s = Supervisor { dir: dir.to_path_buf(), child: Some(child) };
        wait_supervised(dir);
        s
    }

    /// `pid()`: the supervisor's pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// `wait_exit()`: waits until the supervisor has exited (reaped).
    pub fn wait_exit(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        let Some(mut c) = self.child.take() else { return };
        kill(c.id() as i32, libc::SIGTERM);
        end_child(&mut c, Duration::from_secs(10));
        if let Some(st) = status(&self.dir)
            && st.pid != 0
        {
            kill(st.pid as i32, libc::SIGKILL);
        }
    }
}

/// `ready_service(dir, name)`: a down service that notifies readiness.
pub fn ready_service(dir: &Tmp, name: &str) -> PathBuf {
    let d = dir.service(name, READY, true);
    std::fs::write(d.join("notification-fd"), "3\n").unwrap();
    d
}

/// `permafail_service(dir, name)`: a down service whose `run` fails and
/// whose `finish` reports a permanent failure (125), with readiness.
pub fn permafail_service(dir: &Tmp, name: &str) -> PathBuf {
    let d = dir.service(name, "exit 1", true);
    script(&d.join("finish"), "exit 125");
    std::fs::write(d.join("notification-fd"), "3\n").unwrap();
    d
}

/// The supervisors available: (label, program): s6box's own (when built
/// in), the 2.15 reference, Debian's 2.11.
pub fn supervisors() -> Vec<(&'static str, PathBuf)> {
    let mut v = Vec::new();
    let ours = links().join("s6-supervise");
    if ours.exists() {
        v.push(("s6box", ours));
    }
    if let Some(p) = reference("s6-supervise") {
        v.push(("2.15", p));
    }
    if let Some(p) = debian("s6-supervise") {
        v.push(("2.11", p));
    }
    v
}

/// `wait_state(dir, what, f)`: polls the status until `f` holds.
pub fn wait_state(dir: &Path, what: &str, f: impl Fn(&Status) -> bool) {
    poll(LONG, what, || status(dir).filter(|s| f(s)).map(|_| ()));
}

/// `wait_up(dir)` / `wait_down(dir)`: the service is up / down and ready.
pub fn wait_up(dir: &Path) {
    wait_state(dir, "the service up", Status::up);
}
pub fn wait_down(dir: &Path) {
    wait_state(dir, "the service down", |s| !s.up() && s.ready() && s.pid == 0);
}

/// `subscribers(dir)`: how many listeners are subscribed to `dir/event`:
/// fifos under their final `ftrig1:` name (a listener makes its fifo
/// under a dot-name, which notifiers skip, then renames it).
pub fn subscribers(dir: &Path) -> usize {
    fifodir_subscribers(&dir.join("event"))
}

/// `listeners(dir)`: the entries of `dir/event` (listener fifos left).
pub fn listeners(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir.join("event")) {
        Ok(rd) => rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

/// A crafted state: a `supervise/` directory whose lock a child process
/// (s6box's s6-setlock) holds, and whose status file the test writes.
pub struct Crafted {
    pub dir: PathBuf,
    holder: Child,
}

impl Crafted {
    pub fn new(dir: &Path) -> Crafted {
        std::fs::create_dir_all(dir.join("supervise")).unwrap();
        let lock = dir.join("supervise/lock");
        std::fs::write(&lock, "").unwrap();
        let holder = cmd("s6-setlock")
            .arg(&lock)
            .args(["sleep", "1000"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let c = Crafted { dir: dir.to_path_buf(), holder };
        poll(LONG, "the lock holder", || locked(dir).then_some(()));
        c
    }

    /// `set(pid, wstat, flags, age, ready_age)`: writes a status record
    /// whose stamps are `age` and `ready_age` seconds old.
    pub fn set(&self, pid: u64, wstat: u16, flags: u8, age: i64, ready_age: i64) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let tai = |ago: i64| {
            let secs = now.as_secs() as i64 - ago;
            let mut b = ((1u64 << 62) + 37 + secs as u64).to_be_bytes().to_vec();
            b.extend_from_slice(&now.subsec_nanos().to_be_bytes());
            b
        };
        let mut rec = tai(age);
        rec.extend(tai(ready_age));
        rec.extend_from_slice(&pid.to_be_bytes());
        rec.extend_from_slice(&wstat.to_be_bytes());
        rec.push(flags);
        let tmp = self.dir.join("supervise/status.new");
        std::fs::write(&tmp, rec).unwrap();
        std::fs::rename(tmp, self.dir.join("supervise/status")).unwrap();
    }
}

impl Drop for Crafted {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// `path_with_reference()`: PATH with the 2.15 reference first (its
/// s6-svc -w execs s6-svlisten from PATH).
pub fn path_with_reference() -> String {
    format!("{}:{}", REFERENCE_BIN, std::env::var("PATH").unwrap_or_default())
}

/// `run_in(program, cwd, args)`: runs a client in `cwd` (so directory
/// names in messages are the same for both programs).
pub fn run_in(program: &Path, cwd: &Path, args: &[&str]) -> Output {
    run_reference(
        Command::new(program).current_dir(cwd).args(args).env("PATH", path_with_reference()),
    )
}

/// `same_name(text)`: a message with the program name of s6's helper
/// (`s6-svlisten: `, `s6-svwait: `) put back to `s6-svc: `, so that a
/// 2.15 s6-svc -w message compares with s6box's.
pub fn as_svc(text: &str) -> String {
    text.replace("s6-svlisten: ", "s6-svc: ").replace("s6-svwait: ", "s6-svc: ")
}

/// `compare(name, cwd, args, retries)`: runs s6box's client and the 2.15
/// reference with the same arguments in `cwd`; stdout, exit code and
/// stderr (modulo the helper names of 2.15's s6-svc -w) must agree. Output
/// that holds seconds may straddle a second: a difference is retried.
pub fn compare(name: &str, cwd: &Path, args: &[&str]) -> Option<Output> {
    let reference = reference(name)?;
    let mut last = None;
    for _ in 0..3 {
        let r = run_in(&reference, cwd, args);
        let o = run_in(&applet(name), cwd, args);
        let same = r.stdout == o.stdout
            && r.status.code() == o.status.code()
            && as_svc(&text(&r.stderr)) == as_svc(&text(&o.stderr));
        if same {
            return Some(o);
        }
        last = Some((r, o));
    }
    let (r, o) = last.unwrap();
    panic!(
        "{name} {args:?}: reference rc={:?} out={:?} err={:?}; s6box rc={:?} out={:?} err={:?}",
        r.status.code(),
        text(&r.stdout),
        text(&r.stderr),
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    );
}

/// `as_nobody(cmd)`: the command run as nobody with no groups.
pub fn as_nobody(cmd: &mut Command) -> &mut Command {
    as_user(cmd, NOBODY.0, NOBODY.1);
    cmd
}

/// `close_inherited(c)`: the command starts with only 0, 1 and 2 open (the
/// test runner's own descriptors would otherwise be inherited, and passed
/// on to `run` as they should).
pub fn close_inherited(c: &mut Command) {
    // SAFETY: runs in the child before exec; close is async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            for fd in 3..1024 {
                libc::close(fd);
            }
            Ok(())
        });
    }
}
