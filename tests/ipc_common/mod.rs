//! Shared by the ipc family's tests (s6-ipcserver*, s6-ipcclient,
//! s6-ioconnect, s6-sudo*), on top of `common`: the implementations to
//! compare (ours, 2.15's static, Debian's 2.11, looked up by `common`'s
//! `reference` and `debian`), a running server with its stderr in a
//! file, clients, and the family's idleness checks (built on `common`'s
//! /proc helpers).
#![allow(dead_code)]

use crate::common::{self, LONG};
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// `all(name)`: (label, program) for ours, 2.15 and 2.11 where present.
pub fn all(name: &str) -> Vec<(&'static str, PathBuf)> {
    let mut v = vec![("ours", common::applet(name))];
    if let Some(p) = common::reference(name) {
        v.push(("2.15", p));
    }
    if let Some(p) = common::debian(name) {
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
        common::kill(self.pid() as i32, sig);
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
                common::kill(k as i32, libc::SIGKILL);
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

/// `children(pid)`: the pids of `pid`'s children (`common::children`,
/// with the u32 pids of `Child::id`).
pub fn children(pid: u32) -> Vec<u32> {
    common::children(pid as i32).into_iter().map(|p| p as u32).collect()
}

/// `assert_idle(pid)`: asleep in a system call, and no wake-up for 300 ms.
pub fn assert_idle(pid: u32, who: &str) {
    let pid = pid as i32;
    common::asleep(pid);
    let before = common::voluntary_switches(pid);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(common::voluntary_switches(pid), before, "{who} woke up while idle");
}

/// `settle(pid)`: waits until `pid` has stopped waking up for 100 ms (a
/// state that takes a while to reach, such as buffers filling up).
pub fn settle(pid: u32) {
    common::poll(LONG, "settled", || {
        let before = common::voluntary_switches(pid as i32);
        std::thread::sleep(Duration::from_millis(100));
        (common::voluntary_switches(pid as i32) == before).then_some(())
    });
}

/// `rss_anon_kb(pid)`: RssAnon in kB (heap and stack, not code pages).
pub fn rss_anon_kb(pid: u32) -> u64 {
    common::proc_field(pid as i32, "RssAnon").trim_end_matches(" kB").trim().parse().unwrap()
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

/// `new_session(cmd)`: the command starts its own process group, so a test
/// can signal the whole tree.
pub fn new_group(cmd: &mut Command) -> &mut Command {
    cmd.process_group(0)
}
