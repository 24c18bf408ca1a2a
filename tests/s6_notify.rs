//! The sd_notify bridges: s6-notify-socket-from-fd sends what sd_notify
//! sends (READY=1 with the program's pid, then a BARRIER=1 carrying a
//! descriptor) to path and exact-length abstract addresses (2.15 does
//! not: beyond); s6-notify-fd-from-socket turns a real READY=1 sender
//! (python, systemd-notify) into s6-supervise's readiness, and its helper
//! ends with the program (2.15's never notices: beyond).

mod common;

use common::{Tmp, cmd, code, run, text};
use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A datagram socket bound at `addr` (a leading NUL: abstract, exact
/// length) through libc, with a receive timeout.
fn receiver(addr: &[u8]) -> OwnedFd {
    // SAFETY: plain socket calls on a sockaddr_un filled within bounds.
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let mut sa: libc::sockaddr_un = std::mem::zeroed();
        sa.sun_family = libc::AF_UNIX as _;
        for (i, &b) in addr.iter().enumerate() {
            sa.sun_path[i] = b as libc::c_char;
        }
        let len = std::mem::size_of::<libc::sa_family_t>() + addr.len();
        assert_eq!(libc::bind(fd, &sa as *const _ as *const libc::sockaddr, len as u32), 0);
        let tv = libc::timeval { tv_sec: 10, tv_usec: 0 };
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as u32,
        );
        OwnedFd::from_raw_fd(fd)
    }
}

/// A datagram and the descriptors it carried.
type Datagram = (Vec<u8>, Vec<OwnedFd>);

/// The next datagram (None on timeout) and the descriptors it carried.
fn recv(fd: &OwnedFd, timeout_ms: i64) -> Option<Datagram> {
    // SAFETY: recvmsg into local buffers sized as declared.
    unsafe {
        let tv = libc::timeval { tv_sec: timeout_ms / 1000, tv_usec: (timeout_ms % 1000) * 1000 };
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as u32,
        );
        let mut buf = [0u8; 4096];
        let mut cbuf = [0u64; 16];
        let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
        let mut m: libc::msghdr = std::mem::zeroed();
        m.msg_iov = &mut iov;
        m.msg_iovlen = 1;
        m.msg_control = cbuf.as_mut_ptr().cast();
        m.msg_controllen = std::mem::size_of_val(&cbuf) as _;
        let n = libc::recvmsg(fd.as_raw_fd(), &mut m, libc::MSG_CMSG_CLOEXEC);
        if n < 0 {
            return None;
        }
        let mut fds = Vec::new();
        let mut c = libc::CMSG_FIRSTHDR(&m);
        while !c.is_null() {
            if (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c) as *const i32;
                let count = ((*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize) / 4;
                for i in 0..count {
                    fds.push(OwnedFd::from_raw_fd(*data.add(i)));
                }
            }
            c = libc::CMSG_NXTHDR(&m, c);
        }
        Some((buf[..n as usize].to_vec(), fds))
    }
}

fn socket_from_fd(
    prog: &Path,
    addr_env: &str,
    addr: &[u8],
) -> (u32, Option<Datagram>, Option<Vec<u8>>) {
    let s = receiver(addr);
    let mut child = Command::new(prog)
        .args(["sh", "-c", "echo; exec sleep 100"])
        .env("NOTIFY_SOCKET", addr_env)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let first = recv(&s, 3000);
    let second = recv(&s, 1000).map(|(m, fds)| {
        drop(fds); // the manager is done: the helper may go
        m
    });
    child.kill().unwrap();
    child.wait().unwrap();
    (pid, first, second)
}

#[test]
fn socket_from_fd_sends_as_sd_notify() {
    let t = Tmp::new("notify-sock");
    let path = t.0.join("notify");
    // An abstract name of its own for each run: a closed socket's name
    // stays bound while a child forked meanwhile by another test's thread
    // still holds the descriptor (until its exec).
    let address = |abstract_name: bool, side: &str| {
        if abstract_name {
            let name = format!("s6box-test-{}-{side}", std::process::id());
            (format!("@{name}"), format!("\0{name}").into_bytes())
        } else {
            (path.to_str().unwrap().to_string(), path.to_str().unwrap().as_bytes().to_vec())
        }
    };
    for abstract_name in [false, true] {
        let (env, addr) = address(abstract_name, "ours");
        let _ = fs::remove_file(&path);
        let (pid, first, second) =
            socket_from_fd(&common::applet("s6-notify-socket-from-fd"), &env, &addr);
        let (m, fds) = first.expect("no READY datagram");
        assert_eq!(text(&m), format!("READY=1\nMAINPID={pid}\n"));
        assert!(fds.is_empty());
        assert_eq!(second.as_deref(), Some(&b"BARRIER=1\n"[..]));
        if let Some(r) = common::reference("s6-notify-socket-from-fd") {
            let (env, addr) = address(abstract_name, "ref");
            let _ = fs::remove_file(&path);
            let (_, first, _) = socket_from_fd(&r, &env, &addr);
            // Beyond (2.15 bug): no pid, the barrier in the same datagram,
            // and nothing at all at an exact-length abstract address.
            if let Some((m, _)) = first {
                assert_eq!(text(&m), "READY=1\nBARRIER=1\nMAINPID=", "beyond (2.15 bug)");
            } else {
                assert!(env.starts_with('@'), "beyond (2.15 bug)");
            }
        }
    }
}

#[test]
fn socket_from_fd_options() {
    // No NOTIFY_SOCKET: prog as is, its stdout untouched.
    let out = run(cmd("s6-notify-socket-from-fd")
        .args(["sh", "-c", "echo out"])
        .env_remove("NOTIFY_SOCKET"));
    assert_eq!(text(&out.stdout), "out\n");
    // NOTIFY_SOCKET removed unless -k; -d names the descriptor.
    let t = Tmp::new("notify-opts");
    let path = t.0.join("n");
    let s = receiver(path.to_str().unwrap().as_bytes());
    let out = run(cmd("s6-notify-socket-from-fd")
        .args(["-d", "5", "sh", "-c", "echo \"[$NOTIFY_SOCKET]\"; echo >&5"])
        .env("NOTIFY_SOCKET", &path)
        .stderr(Stdio::null()));
    assert_eq!(text(&out.stdout), "[]\n");
    assert!(recv(&s, 3000).is_some());
    assert!(recv(&s, 3000).is_some());
    let out = run(cmd("s6-notify-socket-from-fd")
        .args([
            "--keep-environment",
            "--notification-fd=5",
            "sh",
            "-c",
            "echo \"[$NOTIFY_SOCKET]\"; echo >&5",
        ])
        .env("NOTIFY_SOCKET", &path)
        .stderr(Stdio::null()));
    assert_eq!(text(&out.stdout), format!("[{}]\n", path.display()));
    assert!(recv(&s, 3000).is_some());
    assert!(recv(&s, 3000).is_some());
    for (args, err) in [
        (
            &["-d", "x", "true"][..],
            "s6-notify-socket-from-fd: fatal: notification-fd must be an unsigned integer\n",
        ),
        (
            &["-t", "x", "true"],
            "s6-notify-socket-from-fd: fatal: timeout must be an unsigned integer\n",
        ),
        (&["-z", "true"], "s6-notify-socket-from-fd: fatal: unrecognized short option: z\n"),
        (
            &["--bogus", "true"],
            "s6-notify-socket-from-fd: fatal: unrecognized boolean option: --bogus\n",
        ),
    ] {
        let out = run(cmd("s6-notify-socket-from-fd").args(args));
        assert_eq!((code(&out), text(&out.stderr)), (100, err.to_string()), "{args:?}");
    }
    let out = run(cmd("s6-notify-socket-from-fd").arg("/nonexistent").env("NOTIFY_SOCKET", &path));
    assert_eq!(code(&out), 127);
}

/// A service directory whose run script is `body`, supervised by
/// s6box's s6-supervise; stopped at the end.
struct Supervised {
    dir: std::path::PathBuf,
    child: std::process::Child,
}

impl Supervised {
    fn start(dir: &Path, body: &str) -> Supervised {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("run"), format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(dir.join("run"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(dir.join("notification-fd"), "3\n").unwrap();
        let path =
            format!("{}:{}", common::links().display(), std::env::var("PATH").unwrap_or_default());
        let child = cmd("s6-supervise")
            .arg(dir)
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Supervised { dir: dir.to_path_buf(), child }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        let _ = run(cmd("s6-svc").arg("-xd").arg(&self.dir));
        let end = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Real READY=1 senders under s6-supervise: s6-svwait -U returns.
#[test]
fn fd_from_socket_real_senders_under_supervise() {
    let Some(_) = common::installed("python3") else { return };
    let Some(_) = common::installed("systemd-notify") else { return };
    let t = Tmp::new("notify-fd");
    let bodies = [
        // sd_notify's own form: no trailing newline.
        "exec s6-notify-fd-from-socket python3 -c 'import socket,os,time\na=os.environ[\"NOTIFY_SOCKET\"]\na=\"\\0\"+a[1:] if a[0]==\"@\" else a\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.sendto(b\"STATUS=starting\",a)\ns.sendto(b\"READY=10\",a)\ns.sendto(b\"\",a)\ns.sendto(b\"STATUS=up\\nREADY=1\",a)\ntime.sleep(100)'",
        "exec s6-notify-fd-from-socket sh -c 'systemd-notify --ready; exec sleep 100'",
    ];
    for (i, body) in bodies.iter().enumerate() {
        let dir = t.0.join(format!("svc{i}"));
        let _s = Supervised::start(&dir, body);
        common::poll(Duration::from_secs(10), "supervise/status", || {
            dir.join("supervise/status").exists().then_some(())
        });
        let out = run(cmd("s6-svwait").args(["-U", "-t", "10000"]).arg(&dir));
        assert_eq!(code(&out), 0, "{body}: {}", text(&out.stderr));
    }
}

/// Descriptor 3 read to the end: what the helper wrote before going.
fn helper_result(prog: &Path, args: &[&str], marker: &str) -> (Vec<u8>, Option<i32>) {
    let (mut r, w) = std::io::pipe().unwrap();
    let mut c = Command::new(prog);
    c.args(args).arg(marker).stdout(Stdio::null()).stderr(Stdio::null());
    common::fds_to(&mut c, &[(w.as_raw_fd(), 3)]);
    let mut child = c.spawn().unwrap();
    drop(w);
    let status = child.wait().unwrap().code();
    // The helper holds the write end until it exits.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = r.read_to_end(&mut b);
        let _ = tx.send(b);
    });
    match rx.recv_timeout(Duration::from_secs(2)) {
        Ok(b) => (b, status),
        Err(_) => {
            // Still there: find it by its marker and stop it.
            for e in fs::read_dir("/proc").unwrap().flatten() {
                let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
                let cl = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                if text(&cl).contains(marker) {
                    common::proc::kill(pid, libc::SIGKILL);
                }
            }
            (b"STILL RUNNING".to_vec(), status)
        }
    }
}

#[test]
fn fd_from_socket_helper_ends_with_prog() {
    let marker = format!("marker-{}", std::process::id());
    for args in [&["-3", "3", "sh", "-c", "exit 7"][..], &["-f", "-3", "3", "sh", "-c", "exit 7"]] {
        let (got, status) =
            helper_result(&common::applet("s6-notify-fd-from-socket"), args, &marker);
        assert_eq!(status, Some(7));
        assert_eq!(got, b"", "{args:?}");
    }
    // Timeout: the helper gives up, nothing written.
    let (got, _) = helper_result(
        &common::applet("s6-notify-fd-from-socket"),
        &["-t", "100", "-3", "3", "sh", "-c", "exec sleep 1"],
        &marker,
    );
    assert_eq!(got, b"");
    // NOTIFY_SOCKET is @ + 5 hex digits, the descriptor not inherited.
    let (got, _) = helper_result(
        &common::applet("s6-notify-fd-from-socket"),
        &["-3", "3", "sh", "-c", "echo $NOTIFY_SOCKET >&2; ls /proc/self/fd >&2; exit 0"],
        &marker,
    );
    assert_eq!(got, b"");
    if let Some(r) = common::reference("s6-notify-fd-from-socket") {
        let (got, status) = helper_result(&r, &["-3", "3", "sh", "-c", "exit 7"], &marker);
        assert_eq!(status, Some(7));
        assert_eq!(got, b"STILL RUNNING", "beyond (2.15 bug): 2.15's helper outlives prog");
    }
}

#[test]
fn fd_from_socket_environment_and_errors() {
    let (mut r, w) = std::io::pipe().unwrap();
    let mut c = cmd("s6-notify-fd-from-socket");
    c.args(["-3", "7", "sh", "-c", "echo $NOTIFY_SOCKET; ls /proc/self/fd"])
        .env("NOTIFY_SOCKET", "old");
    common::fds_to(&mut c, &[(w.as_raw_fd(), 7)]);
    let out = run(&mut c);
    drop(w);
    let mut sink = Vec::new();
    let _ = r.read_to_end(&mut sink);
    let o = text(&out.stdout);
    let mut lines = o.lines();
    let ns = lines.next().unwrap();
    assert!(
        ns.len() == 6 && ns.starts_with('@') && ns[1..].chars().all(|c| c.is_ascii_hexdigit()),
        "{ns}"
    );
    let fds: Vec<&str> = lines.collect();
    assert!(!fds.contains(&"7"), "descriptor 7 leaked into prog: {fds:?}");

    let t = Tmp::new("notify-err");
    let out = run(cmd("s6-notify-fd-from-socket").arg("true").current_dir(&t.0));
    assert_eq!(code(&out), 111);
    assert_eq!(
        text(&out.stderr),
        "s6-notify-fd-from-socket: fatal: unable to read ./notification-fd: No such file or directory\n"
    );
    fs::write(t.0.join("notification-fd"), "x\n").unwrap();
    let out = run(cmd("s6-notify-fd-from-socket").arg("true").current_dir(&t.0));
    assert_eq!(
        (code(&out), text(&out.stderr)),
        (100, "s6-notify-fd-from-socket: fatal: invalid ./notification-fd\n".into())
    );
    fs::write(t.0.join("notification-fd"), "9\n").unwrap();
    let out = run(cmd("s6-notify-fd-from-socket").arg("true").current_dir(&t.0));
    assert_eq!(code(&out), 111);
    assert_eq!(
        text(&out.stderr),
        "s6-notify-fd-from-socket: fatal: notification-fd sanity check failed: Bad file descriptor\n"
    );
}
