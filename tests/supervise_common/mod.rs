//! Harness for the s6-supervise tests: a service directory in a temporary
//! directory, a supervisor (ours or the 2.15 reference) running on it, a
//! listener fifo in its `event/` fifodir, the status record decoded, and
//! s6's own clients to drive it. Dropping a `Svc` kills and reaps the
//! supervisor and kills every process left running in the service
//! directory (found by their working directory), by pid.
#![allow(dead_code)]

use super::common::*;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const LONG: Duration = Duration::from_secs(30);

/// A decoded `supervise/status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct St {
    pub stamp: [u8; 12],
    pub readystamp: [u8; 12],
    pub pid: u64,
    pub wstat: u16,
    pub flags: u8,
}

impl St {
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

/// `ours()`: our s6-supervise.
pub fn ours() -> PathBuf {
    applet("s6-supervise")
}

/// `client(name)`: one of s6's clients: Debian's when installed, else the
/// 2.15 reference's (and `None` when neither is there).
pub fn client(name: &str) -> Option<PathBuf> {
    let d = Path::new("/usr/bin").join(name);
    if d.exists() {
        return Some(d);
    }
    reference(name)
}

pub struct Svc {
    pub root: PathBuf,
    pub dir: PathBuf,
    pub sup: Option<Child>,
    fifo: Option<(PathBuf, std::fs::File)>,
    pub got: Vec<u8>,
}

impl Svc {
    /// `new(tag, files)`: a service directory with `files` (name, content;
    /// names starting with `x:` are made executable).
    pub fn new(tag: &str, files: &[(&str, &str)]) -> Svc {
        let root = tmpdir(&format!("sup-{tag}"));
        let dir = root.join("sv");
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
        let err = std::fs::File::create(self.root.join("err")).unwrap();
        c.arg(&self.dir).stdin(Stdio::null()).stdout(Stdio::null()).stderr(err);
        // Its own process group, so the test's terminal signals never reach it.
        c.process_group(0);
        self.sup = Some(c.spawn().unwrap());
        let st = self.path("supervise/status");
        poll(LONG, "the supervisor's status file", || st.exists().then_some(()));
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
        let c = std::ffi::CString::new(tmp.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: c is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o622) }, 0, "mkfifo {tmp:?}");
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&tmp)
            .unwrap();
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
        while self.events() != want {
            assert!(
                std::time::Instant::now() < end,
                "events: want {want:?}, got {:?}",
                self.events()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// `wait_events_end(want)`: waits until the events end with `want`.
    pub fn wait_events_end(&mut self, want: &str) {
        poll(LONG, &format!("events ending {want:?}"), || {
            self.events().ends_with(want).then_some(())
        });
    }

    pub fn status(&self) -> St {
        let b = std::fs::read(self.path("supervise/status")).unwrap();
        assert_eq!(b.len(), 35);
        St {
            stamp: b[0..12].try_into().unwrap(),
            readystamp: b[12..24].try_into().unwrap(),
            pid: u64::from_be_bytes(b[24..32].try_into().unwrap()),
            wstat: u16::from_be_bytes([b[32], b[33]]),
            flags: b[34],
        }
    }

    /// `wait_status(what, f)`: waits until the status satisfies `f`.
    pub fn wait_status(&self, what: &str, f: impl Fn(&St) -> bool) -> St {
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
        std::fs::read_to_string(self.root.join("err")).unwrap_or_default()
    }

    /// `wait_err(what)`: waits until the supervisor printed `what`.
    pub fn wait_err(&self, what: &str) {
        poll(LONG, &format!("{what:?} on stderr"), || self.err().contains(what).then_some(()));
    }

    pub fn sup_pid(&self) -> i32 {
        self.sup.as_ref().unwrap().id() as i32
    }

    /// `signal(sig)`: a signal to the supervisor.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill on our unreaped child's pid.
        unsafe { libc::kill(self.sup_pid(), sig) };
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
                && cwd.starts_with(&self.root)
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
                // SAFETY: kill with a positive pid found in /proc.
                unsafe { libc::kill(p, libc::SIGKILL) };
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
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// `state(pid)`: the state letter in /proc/PID/stat.
pub fn state(pid: i32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s[s.rfind(')')? + 2..].chars().next()
}

/// `children(pid)`: the children of `pid`.
pub fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// `proc_field(pid, key)`: a line of /proc/PID/status.
pub fn proc_field(pid: i32, key: &str) -> String {
    status_field(&std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap(), key)
}

/// `alive(pid)`: whether `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    state(pid).is_some_and(|s| s != 'Z')
}

/// `kill(pid, sig)`.
pub fn kill(pid: i32, sig: i32) {
    // SAFETY: kill takes two integers.
    unsafe { libc::kill(pid, sig) };
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
