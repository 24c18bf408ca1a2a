//! Shared by the ipc family's tests: the implementations to compare
//! (ours, 2.15's static, Debian's 2.11), a running server with its stderr
//! in a file, clients, process inspection (children, sleep, wake-ups).
#![allow(dead_code)]

use crate::common;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const LONG: Duration = Duration::from_secs(30);

/// `require(p, name)`: a reference program, or a SKIP note; with
/// `S6BOX_REQUIRE_REFS=1` (CI) a missing reference fails the test.
pub fn require(p: Option<PathBuf>, name: &str) -> Option<PathBuf> {
    if p.is_none() && std::env::var_os("S6BOX_REQUIRE_REFS").is_some_and(|v| v == "1") {
        panic!("reference {name} missing and S6BOX_REQUIRE_REFS=1");
    }
    p
}

/// `r215(name)`: 2.15's program.
pub fn r215(name: &str) -> Option<PathBuf> {
    require(common::reference(name), name)
}

/// `r211(name)`: Debian's 2.11 program.
pub fn r211(name: &str) -> Option<PathBuf> {
    require(common::debian(name), name)
}

/// `all(name)`: (label, program) for ours, 2.15 and 2.11 where present.
pub fn all(name: &str) -> Vec<(&'static str, PathBuf)> {
    let mut v = vec![("ours", common::applet(name))];
    if let Some(p) = r215(name) {
        v.push(("2.15", p));
    }
    if let Some(p) = r211(name) {
        v.push(("2.11", p));
    }
    v
}

/// `ours_and_215(name)`: ours and 2.15's.
pub fn ours_and_215(name: &str) -> Vec<(&'static str, PathBuf)> {
    all(name).into_iter().filter(|(l, _)| *l != "2.11").collect()
}

/// A running server (any command), its stderr going to a file; killed
/// (SIGKILL) and reaped on drop, with whatever it left.
pub struct Server {
    pub child: Option<Child>,
    pub dir: PathBuf,
    pub sock: PathBuf,
    err: PathBuf,
}

impl Server {
    /// `start(cmd, dir, sock)`: runs `cmd` (stdout piped), stderr to
    /// `dir/err-N`; waits until `sock` accepts connections.
    pub fn start(mut cmd: Command, dir: &Path, sock: &Path) -> Server {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let err = dir.join(format!("err-{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&err).unwrap())
            .spawn()
            .expect("spawn server");
        let s =
            Server { child: Some(child), dir: dir.to_path_buf(), sock: sock.to_path_buf(), err };
        common::poll(LONG, "server socket", || listening(&s.sock).then_some(()));
        s
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// `err()`: what the server wrote on stderr so far.
    pub fn err(&self) -> String {
        fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// `wait_err(what)`: polls until stderr contains `what`.
    pub fn wait_err(&self, what: &str) -> String {
        common::poll(LONG, what, || {
            let e = self.err();
            e.contains(what).then_some(e)
        })
    }

    /// `signal(sig)`.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.pid() as i32, sig) };
    }

    /// `wait()`: the exit status once it ends (within LONG).
    pub fn wait(&mut self) -> std::process::ExitStatus {
        let child = self.child.as_mut().unwrap();
        common::poll(LONG, "server exit", || child.try_wait().unwrap())
    }

    /// `children()`: pids of the server's children now.
    pub fn children(&self) -> Vec<u32> {
        children(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            for k in children(c.id()) {
                // SAFETY: kill(2) on a child of our child, found in /proc.
                unsafe { libc::kill(k as i32, libc::SIGKILL) };
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `listening(path)`: a socket bound to `path` listens (/proc/net/unix),
/// found without connecting (a probe would be a client of the server).
pub fn listening(path: &Path) -> bool {
    let want = path.to_string_lossy();
    fs::read_to_string("/proc/net/unix").unwrap_or_default().lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 8 && f[3] == "00010000" && f[7] == want
    })
}

/// `children(pid)`: the pids of `pid`'s children (Linux /proc).
pub fn children(pid: u32) -> Vec<u32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// `state(pid)`: the one-letter state of `pid` (Z for a zombie).
pub fn state(pid: u32) -> String {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    s.rsplit(')').next().unwrap_or("").split_whitespace().next().unwrap_or("").to_string()
}

/// `asleep(pid)`: blocked in a system call (not running).
pub fn asleep(pid: u32) -> bool {
    let s = fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
    s.split(' ').next().and_then(|n| n.parse::<u64>().ok()).is_some() && state(pid) == "S"
}

/// `switches(pid)`: voluntary context switches so far.
pub fn switches(pid: u32) -> u64 {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    common::status_field(&s, "voluntary_ctxt_switches").parse().unwrap()
}

/// `assert_idle(pid)`: asleep, and no wake-up for 300 ms.
pub fn assert_idle(pid: u32, who: &str) {
    common::poll(LONG, "asleep", || asleep(pid).then_some(()));
    let before = switches(pid);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(switches(pid), before, "{who} woke up while idle");
}

/// `settle(pid)`: waits until `pid` has stopped waking up for 100 ms (a
/// state that takes a while to reach, such as buffers filling up).
pub fn settle(pid: u32) {
    common::poll(LONG, "settled", || {
        let before = switches(pid);
        std::thread::sleep(Duration::from_millis(100));
        (switches(pid) == before).then_some(())
    });
}

/// `rss_kb(pid)`: VmRSS in kB.
pub fn rss_kb(pid: u32) -> u64 {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    common::status_field(&s, "VmRSS").trim_end_matches(" kB").trim().parse().unwrap()
}

/// `rss_anon_kb(pid)`: RssAnon in kB (heap and stack, not code pages).
pub fn rss_anon_kb(pid: u32) -> u64 {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    common::status_field(&s, "RssAnon").trim_end_matches(" kB").trim().parse().unwrap()
}

/// `client(prog, sock, script)`: `prog sock sh -c script`, output captured.
pub fn client(prog: &Path, sock: &Path, script: &str) -> Output {
    Command::new(prog)
        .arg(sock)
        .args(["sh", "-c", script])
        .stdin(Stdio::null())
        .output()
        .expect("spawn client")
}

/// `as_nobody(cmd)`: run as 65534:65534 with no groups.
pub fn as_nobody(cmd: &mut Command) -> &mut Command {
    common::as_user(cmd, common::NOBODY.0, common::NOBODY.1);
    cmd
}

/// `normalise(err)`: pids replaced by `P` in the server's log lines.
pub fn normalise(err: &str) -> String {
    err.lines()
        .map(|l| {
            let mut out = Vec::new();
            let words: Vec<&str> = l.split(' ').collect();
            for (i, w) in words.iter().enumerate() {
                if i > 0 && words[i - 1] == "pid" {
                    out.push("P");
                } else {
                    out.push(w);
                }
            }
            out.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `new_session(cmd)`: the command starts its own process group, so a test
/// can signal the whole tree.
pub fn new_group(cmd: &mut Command) -> &mut Command {
    cmd.process_group(0)
}
