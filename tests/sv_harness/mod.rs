//! Service directories and supervisors for the supervision clients' tests:
//! s6's own supervisors (the 2.15 reference and Debian's 2.11) run on
//! temporary service directories, each killed and reaped on drop (its
//! service too); crafted states (a status file, a lock held by a child)
//! for the cases a live supervisor cannot be held in; and running a client
//! side by side with the 2.15 reference.
#![allow(dead_code)]

use crate::common;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long any wait for a supervisor's state may take (generous: tests
/// run under load, and the supervisor throttles restarts to one a second).
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A temporary directory (world-traversable, for `nobody`), removed on
/// drop.
pub struct Dir(pub PathBuf);

impl Dir {
    /// `new(tag)`: a fresh directory under /tmp.
    pub fn new(tag: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("s6box-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        Dir(p)
    }

    /// `path(name)`: a path inside.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// `service(name, run, down)`: a service directory with a `run` script
    /// body (`#!/bin/sh` is added), and a `down` file if asked.
    pub fn service(&self, name: &str, run: &str, down: bool) -> PathBuf {
        let d = self.path(name);
        std::fs::create_dir_all(&d).unwrap();
        script(&d.join("run"), run);
        if down {
            std::fs::write(d.join("down"), "").unwrap();
        }
        d
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `script(path, body)`: an executable shell script.
pub fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A service that stays up.
pub const LONG: &str = "exec sleep 1000";
/// A service that notifies readiness on descriptor 3, then stays up.
pub const READY: &str = "echo >&3\nexec sleep 1000";

/// `ready_service(dir, name)`: a down service that notifies readiness.
pub fn ready_service(dir: &Dir, name: &str) -> PathBuf {
    let d = dir.service(name, READY, true);
    std::fs::write(d.join("notification-fd"), "3\n").unwrap();
    d
}

/// `permafail_service(dir, name)`: a down service whose `run` fails and
/// whose `finish` reports a permanent failure (125), with readiness.
pub fn permafail_service(dir: &Dir, name: &str) -> PathBuf {
    let d = dir.service(name, "exit 1", true);
    script(&d.join("finish"), "exit 125");
    std::fs::write(d.join("notification-fd"), "3\n").unwrap();
    d
}

/// The supervisors available: (label, program): s6box's own (when built
/// in), the 2.15 reference, Debian's 2.11.
pub fn supervisors() -> Vec<(&'static str, PathBuf)> {
    let mut v = Vec::new();
    let ours = common::links().join("s6-supervise");
    if ours.exists() {
        v.push(("s6box", ours));
    }
    if let Some(p) = common::reference("s6-supervise") {
        v.push(("2.15", p));
    }
    if let Some(p) = common::debian("s6-supervise") {
        v.push(("2.11", p));
    }
    v
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
        common::poll(DEADLINE, "the supervisor to start", || {
            (locked(dir) && status(dir).is_some()).then_some(())
        });
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
        // SAFETY: kill(2) on our own child's pid, not yet reaped.
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        let end = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = c.try_wait() {
                break;
            }
            if std::time::Instant::now() > end {
                let _ = c.kill();
                let _ = c.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Some(st) = status(&self.dir)
            && st.pid != 0
        {
            // SAFETY: kill(2) of a service process the supervisor left.
            unsafe { libc::kill(st.pid as i32, libc::SIGKILL) };
        }
    }
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

/// A decoded status record.
#[derive(Clone, Copy, Debug)]
pub struct Status {
    pub pid: u64,
    pub wstat: u16,
    pub flags: u8,
}

impl Status {
    pub fn up(&self) -> bool {
        self.pid != 0 && self.flags & 2 == 0
    }
    pub fn ready(&self) -> bool {
        self.flags & 8 != 0
    }
}

/// `status(dir)`: the service's status record, if readable.
pub fn status(dir: &Path) -> Option<Status> {
    let b = std::fs::read(dir.join("supervise/status")).ok()?;
    (b.len() == 35).then(|| Status {
        pid: u64::from_be_bytes(b[24..32].try_into().unwrap()),
        wstat: u16::from_be_bytes([b[32], b[33]]),
        flags: b[34],
    })
}

/// `wait_state(dir, what, f)`: polls the status until `f` holds.
pub fn wait_state(dir: &Path, what: &str, f: impl Fn(&Status) -> bool) {
    common::poll(DEADLINE, what, || status(dir).filter(|s| f(s)).map(|_| ()));
}

/// `wait_up(dir)` / `wait_down(dir)`: the service is up / down and ready.
pub fn wait_up(dir: &Path) {
    wait_state(dir, "the service up", Status::up);
}
pub fn wait_down(dir: &Path) {
    wait_state(dir, "the service down", |s| !s.up() && s.ready() && s.pid == 0);
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
        let holder = common::cmd("s6-setlock")
            .arg(&lock)
            .args(["sleep", "1000"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let c = Crafted { dir: dir.to_path_buf(), holder };
        common::poll(DEADLINE, "the lock holder", || locked(dir).then_some(()));
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
    format!("{}:{}", common::REFERENCE_BIN, std::env::var("PATH").unwrap_or_default())
}

/// `run_in(program, cwd, args)`: runs a client in `cwd` (so directory
/// names in messages are the same for both programs).
pub fn run_in(program: &Path, cwd: &Path, args: &[&str]) -> Output {
    common::run(
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
    let reference = common::reference(name)?;
    let mut last = None;
    for _ in 0..3 {
        let r = run_in(&reference, cwd, args);
        let o = run_in(&common::applet(name), cwd, args);
        let same = r.stdout == o.stdout
            && r.status.code() == o.status.code()
            && as_svc(&common::text(&r.stderr)) == as_svc(&common::text(&o.stderr));
        if same {
            return Some(o);
        }
        last = Some((r, o));
    }
    let (r, o) = last.unwrap();
    panic!(
        "{name} {args:?}: reference rc={:?} out={:?} err={:?}; s6box rc={:?} out={:?} err={:?}",
        r.status.code(),
        common::text(&r.stdout),
        common::text(&r.stderr),
        o.status.code(),
        common::text(&o.stdout),
        common::text(&o.stderr)
    );
}

/// `as_nobody(cmd)`: the command run as nobody with no groups.
pub fn as_nobody(cmd: &mut Command) -> &mut Command {
    common::as_user(cmd, common::NOBODY.0, common::NOBODY.1);
    cmd
}
