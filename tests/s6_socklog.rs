//! s6-socklog against the 2.15 reference: the same datagrams (raw ones,
//! util-linux `logger`, Python's SysLogHandler, syslog(3) through
//! Python's `syslog` module on a private /dev/log) give the same bytes;
//! UDP; the empty datagram (2.15 dies: beyond); a blocked stdout keeps
//! memory bounded and loses nothing accepted; SIGTERM and the lame-duck
//! timeout; the start-up errors; a 100,000-datagram burst into s6-log.

mod common;

use common::{Tmp, cmd, code, run, text};
use std::fs;
use std::io::Read;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn ours() -> PathBuf {
    common::applet("s6-socklog")
}

/// `capture(prog, dir, senders, lines, devlog)`: runs `prog` on a socket
/// (`/dev/log` in a private mount namespace when `devlog`, else
/// `dir/sock`, named $SOCK for the senders), waits for its readiness
/// notification, runs the shell commands `senders`, waits until `lines`
/// lines are out, stops it with SIGTERM; returns its output.
fn capture(prog: &Path, dir: &Path, senders: &str, lines: usize, devlog: bool) -> Vec<u8> {
    let out = dir.join("out");
    let fifo = dir.join("ready");
    let _ = fs::remove_file(&out);
    let _ = fs::remove_file(&fifo);
    let setup = if devlog {
        format!(
            "mkdir -p {d}/dev && mount --bind /dev {d}/dev && mount -t tmpfs none /dev && touch /dev/null && mount --bind {d}/dev/null /dev/null && export SOCK=/dev/log &&",
            d = dir.display()
        )
    } else {
        format!("export SOCK={}/sock &&", dir.display())
    };
    let script = format!(
        "{setup} mkfifo {f} && {{ {p} -d 3 -x $SOCK 3>{f} >{o} & P=$!; read x <{f};
         {senders}
         i=0; while [ $(wc -l <{o}) -lt {lines} ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; kill $P; wait $P; echo $?; }}",
        f = fifo.display(),
        p = prog.display(),
        o = out.display(),
    );
    let mut c = if devlog { Command::new("unshare") } else { Command::new("sh") };
    if devlog {
        c.arg("-m").arg("sh");
    }
    let r = run(c.arg("-c").arg(&script).stdin(Stdio::null()));
    assert_eq!(text(&r.stdout).trim(), "0", "{}", text(&r.stderr));
    let got = fs::read(&out).unwrap();
    assert_eq!(got.iter().filter(|&&c| c == b'\n').count(), lines, "{}", text(&got));
    got
}

const RAW: &[&[u8]] = &[
    b"<13>hi",
    b"<1024>x",
    b"<4294967296>x",
    b"<4294967295>y",
    b"<0013>z",
    b"noprio",
    b"<>e",
    b"<13",
    b"a\x00b\nc\n\x00",
    b"\n\x00",
    b"<191>r\r\xe9 tab\there",
    b"<34>auth crit",
    b"<192>mark",
    b"<200>unknown",
];

/// A python3 command sending RAW (and `extra`) to $SOCK.
fn raw_sender(extra: &[Vec<u8>]) -> String {
    let mut all: Vec<Vec<u8>> = RAW.iter().map(|d| d.to_vec()).collect();
    all.extend_from_slice(extra);
    let hex: Vec<String> =
        all.iter().map(|d| d.iter().map(|b| format!("{b:02x}")).collect::<String>()).collect();
    format!(
        "python3 -c 'import socket,os,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\nfor d in sys.argv[1:]: s.sendto(bytes.fromhex(d), os.environ[\"SOCK\"])' {}",
        hex.join(" ")
    )
}

fn sizes() -> Vec<Vec<u8>> {
    [75usize, 76, 1023, 1024, 1025, 1026, 5000]
        .iter()
        .map(|&n| {
            let mut v = b"<30>".to_vec();
            v.resize(n, b'q');
            v
        })
        .collect()
}

#[test]
fn raw_datagrams_match_reference() {
    let Some(_) = common::installed("python3") else { return };
    let t = Tmp::new("socklog-raw");
    let n = RAW.len() + sizes().len();
    let s = raw_sender(&sizes());
    let ours = capture(&ours(), &t.0, &s, n, false);
    assert!(
        text(&ours).starts_with("user.notice: hi\nkern.emerg: x\n<4294967296>x\n"),
        "{}",
        text(&ours)
    );
    let want_long = format!("daemon.info: {}...\n", "q".repeat(1021));
    assert!(text(&ours).contains(&want_long));
    if let Some(r) = common::reference("s6-socklog") {
        assert_eq!(text(&capture(&r, &t.0, &s, n, false)), text(&ours));
    }
}

#[test]
fn raw_mode_and_linelen_match_reference() {
    let Some(_) = common::installed("python3") else { return };
    let t = Tmp::new("socklog-r");
    let n = RAW.len() + sizes().len();
    let s = raw_sender(&sizes());
    for opts in ["-r", "-l 100", "-l 5"] {
        let p = format!("{} {opts}", ours().display());
        let a = capture(Path::new(&p), &t.0, &s, n, false);
        if let Some(r) = common::reference("s6-socklog") {
            let p = format!("{} {opts}", r.display());
            assert_eq!(text(&capture(Path::new(&p), &t.0, &s, n, false)), text(&a), "{opts}");
        }
    }
}

/// Digits differ between runs (times, ports): compared as `#`.
fn nodigits(b: &[u8]) -> String {
    text(b).chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

#[test]
fn real_senders_match_reference() {
    let Some(_) = common::installed("logger") else { return };
    let Some(_) = common::installed("python3") else { return };
    let t = Tmp::new("socklog-real");
    let senders = r#"logger -u $SOCK -p auth.warning "hello world";
        logger -u $SOCK --rfc3164 -t tag -p local3.debug "msg two";
        logger -u $SOCK -t t3 -p mail.err "multi
line";
        python3 -c 'import logging, logging.handlers, os
h=logging.handlers.SysLogHandler(address=os.environ["SOCK"]); l=logging.getLogger("x"); l.addHandler(h)
l.warning("py warn\nline2"); l.error("py err"); l.critical("crit \u00e9")'
        python3 -c 'import syslog
syslog.openlog("ident", 0, syslog.LOG_AUTH)
syslog.syslog(syslog.LOG_ERR, "via syslog3")
syslog.syslog(syslog.LOG_DEBUG|syslog.LOG_LOCAL3, "dbg")
syslog.syslog(syslog.LOG_INFO|syslog.LOG_AUTHPRIV, "priv")'"#;
    let ours = capture(&ours(), &t.0, senders, 9, true);
    let o = text(&ours);
    assert!(o.starts_with("auth.warn: "), "{o}");
    assert!(o.contains("auth.err: ") && o.contains("ident: via syslog3\n"), "{o}");
    assert!(o.contains("local3.debug: "), "{o}");
    assert!(o.contains("user.warn: py warn~line2\nuser.err: py err\nuser.crit: crit \u{e9}\n"));
    if let Some(r) = common::reference("s6-socklog") {
        let theirs = capture(&r, &t.0, senders, 9, true);
        assert_eq!(nodigits(&theirs), nodigits(&ours));
    }
}

#[test]
fn udp_matches_reference() {
    let _t = Tmp::new("socklog-udp");
    let mut progs = vec![ours()];
    progs.extend(common::reference("s6-socklog"));
    let mut outs = Vec::new();
    for (i, p) in progs.iter().enumerate() {
        let port = 20000 + (std::process::id() % 20000) as u16 + i as u16;
        let mut child = Command::new(p)
            .arg("-d3")
            .arg("-i")
            .arg(format!("127.0.0.1_{port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn_with_fd3();
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for d in [&b"<13>over udp"[..], b"<86>x"] {
            sock.send_to(d, ("127.0.0.1", port)).unwrap();
        }
        let mut out = child.stdout.take().unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while buf.iter().filter(|&&c| c == b'\n').count() < 2 {
            let n = out.read(&mut chunk).unwrap();
            assert!(n > 0);
            buf.extend_from_slice(&chunk[..n]);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let me = sock.local_addr().unwrap().port();
        let want =
            format!("127.0.0.1_{me}: user.notice: over udp\n127.0.0.1_{me}: authpriv.info: x\n");
        assert_eq!(text(&buf), want, "{}", p.display());
        outs.push(buf);
    }
}

/// Spawning with a readiness pipe on fd 3, returned once the program
/// says it is ready.
trait SpawnReady {
    fn spawn_with_fd3(&mut self) -> common::proc::Reaped;
}

impl SpawnReady for Command {
    fn spawn_with_fd3(&mut self) -> common::proc::Reaped {
        let (mut r, w) = std::io::pipe().unwrap();
        use std::os::fd::AsRawFd;
        common::fds_to(self, &[(w.as_raw_fd(), 3)]);
        let child = common::proc::Reaped::spawn(self);
        drop(w);
        let mut b = [0u8; 1];
        assert_eq!(r.read(&mut b).unwrap(), 1);
        assert_eq!(&b, b"\n");
        child
    }
}

/// Beyond (2.15 bug): an empty datagram gives nothing, and the logger
/// goes on; 2.15 exits 111.
#[test]
fn empty_datagram() {
    let t = Tmp::new("socklog-empty");
    let sock = t.0.join("sock");
    let mut progs = vec![(true, ours())];
    progs.extend(common::reference("s6-socklog").map(|r| (false, r)));
    for (is_ours, p) in progs {
        let _ = fs::remove_file(&sock);
        let mut child = Command::new(&p)
            .arg("-d3")
            .arg("-x")
            .arg(&sock)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn_with_fd3();
        let s = UnixDatagram::unbound().unwrap();
        s.send_to(b"", &sock).unwrap();
        let _ = s.send_to(b"<13>after", &sock);
        if is_ours {
            let mut out = child.stdout.take().unwrap();
            let mut b = [0u8; 64];
            let n = out.read(&mut b).unwrap();
            assert_eq!(&b[..n], b"user.notice: after\n");
            child.kill().unwrap();
            child.wait().unwrap();
        } else {
            let o = child.output();
            assert_eq!(code(&o), 111, "beyond (2.15 bug)");
        }
    }
}

fn rss_kib(pid: u32) -> u64 {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    common::status_field(&s, "VmRSS").trim_end_matches(" kB").trim().parse().unwrap()
}

/// A blocked stdout: s6-socklog stops reading (senders wait in the
/// kernel), grows by less than 64 KiB, and every datagram it accepted
/// comes out once stdout drains; SIGTERM then exits 0.
#[test]
fn blocked_output_is_bounded_and_lossless() {
    let t = Tmp::new("socklog-blocked");
    let sock = t.0.join("sock");
    let mut child = cmd("s6-socklog")
        .arg("-d3")
        .arg("-x")
        .arg(&sock)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn_with_fd3();
    let s = UnixDatagram::unbound().unwrap();
    // Warm up (the code of the loop paged in), then the idle size.
    let mut out = child.stdout.take().unwrap();
    for _ in 0..10 {
        s.send_to(b"<13>warm up", &sock).unwrap();
    }
    let mut warm = Vec::new();
    let mut chunk = vec![0u8; 65536];
    while warm.iter().filter(|&&c| c == b'\n').count() < 10 {
        let n = out.read(&mut chunk).unwrap();
        assert!(n > 0);
        warm.extend_from_slice(&chunk[..n]);
    }
    let idle = rss_kib(child.id());
    s.set_nonblocking(true).unwrap();
    let mut sent = 0usize;
    let mut refused = 0;
    // Nobody reads stdout: the pipe fills, then s6-socklog's buffer, then
    // the socket's queue; sends then fail with EAGAIN.
    for i in 0..100_000 {
        let m =
            format!("<13>message number {i:06} padding padding padding padding padding padding");
        match s.send_to(m.as_bytes(), &sock) {
            Ok(_) => sent += 1,
            Err(_) => {
                refused += 1;
                if refused > 2000 {
                    break;
                }
                std::thread::yield_now();
            }
        }
    }
    assert!(refused > 0, "output never blocked");
    let peak = rss_kib(child.id());
    assert!(peak <= idle + 64, "idle {idle} KiB, blocked {peak} KiB");
    // Drain: every accepted datagram is a line.
    let mut got = Vec::new();
    while got.iter().filter(|&&c| c == b'\n').count() < sent {
        let n = out.read(&mut chunk).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&chunk[..n]);
    }
    let lines: Vec<&[u8]> = got.split(|&c| c == b'\n').filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), sent);
    assert!(lines[0].starts_with(b"user.notice: message number 000000"));
    common::proc::kill(child.id() as i32, libc::SIGTERM);
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(0));
}

/// SIGTERM with output blocked and `-t`: 99 once the time has passed.
#[test]
fn lame_duck_timeout() {
    let t = Tmp::new("socklog-lame");
    let sock = t.0.join("sock");
    let mut child = cmd("s6-socklog")
        .args(["-d3", "-t", "200", "-x"])
        .arg(&sock)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn_with_fd3();
    let s = UnixDatagram::unbound().unwrap();
    s.set_nonblocking(true).unwrap();
    // Fill until stdout's pipe takes no more (its page slots full) and
    // the socket's queue is full too: then s6-socklog holds lines it
    // cannot write (counting refusals alone left the pipe not full under
    // load, nothing held, exit 0).
    use std::os::fd::AsRawFd;
    let out = child.stdout.as_ref().unwrap().as_raw_fd();
    // SAFETY: fcntl and ioctl on a descriptor of ours, one int written.
    let (cap, queued) = unsafe {
        let cap = libc::fcntl(out, libc::F_GETPIPE_SZ);
        let queued = move || {
            let mut n: libc::c_int = 0;
            libc::ioctl(out, libc::FIONREAD, &mut n);
            n
        };
        (cap, queued)
    };
    let pid = child.id() as i32;
    let fill = || while s.send_to(b"<13>fill fill fill fill fill fill fill fill", &sock).is_ok() {};
    common::poll(Duration::from_secs(30), "stdout's pipe full", || {
        fill();
        common::proc::asleep_in_poll(pid);
        let before = queued();
        fill();
        common::proc::asleep_in_poll(pid);
        (before > cap / 2 && queued() == before).then_some(())
    });
    common::proc::kill(child.id() as i32, libc::SIGTERM);
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(99));
}

#[test]
fn startup_errors_match_reference() {
    let t = Tmp::new("socklog-err");
    let sock = t.0.join("sock");
    let s = sock.to_str().unwrap().to_string();
    let cases: Vec<Vec<String>> = vec![
        vec!["-d".into(), "2".into(), "-x".into(), s.clone()],
        vec!["-d".into(), "7".into(), "-x".into(), s.clone()],
        vec!["-i".into(), "1.2.3".into()],
        vec!["-U".into(), "-x".into(), s.clone()],
        vec!["-x".into(), format!("{}/no/such", t.0.display())],
        vec!["-l".into(), "x".into()],
    ];
    for args in &cases {
        let a = run(cmd("s6-socklog").args(args).env_remove("UID").stdout(Stdio::null()));
        if let Some(r) = common::reference("s6-socklog") {
            let b = run(Command::new(r).args(args).env_remove("UID").stdout(Stdio::null()));
            assert_eq!((code(&a), text(&a.stderr)), (code(&b), text(&b.stderr)), "{args:?}");
        } else {
            assert!(code(&a) == 100 || code(&a) == 111);
        }
    }
    // Busy: another s6-socklog holds the lock.
    let mut first = cmd("s6-socklog")
        .arg("-d3")
        .arg("-x")
        .arg(&sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn_with_fd3();
    let mode =
        fs::metadata(&sock).map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()));
    assert_eq!(mode.unwrap() & 0o777, 0o777);
    let a = run(cmd("s6-socklog").arg("-x").arg(&sock));
    assert_eq!(code(&a), 111);
    // EBUSY's text is the C library's: glibc's, or musl's in a static build.
    let busy = |why: &str| format!("s6-socklog: fatal: unable to bind socket to {s}: {why}\n");
    let err = text(&a.stderr);
    assert!(err == busy("Device or resource busy") || err == busy("Resource busy"), "{err}");
    first.kill().unwrap();
    first.wait().unwrap();
    // stdout closed: 100 before binding.
    let script = format!("exec {} -x {s} >&-", ours().display());
    let a = run(Command::new("sh").arg("-c").arg(&script));
    assert_eq!(code(&a), 100);
    assert_eq!(text(&a.stderr), "s6-socklog: fatal: invalid stdout: Bad file descriptor\n");
}

/// 100,000 datagrams from a blocking sender through `s6-socklog | s6-log`:
/// all in `current`.
#[test]
fn burst_into_s6_log() {
    let t = Tmp::new("socklog-burst");
    let sock = t.0.join("sock");
    let logdir = t.0.join("logdir");
    let (r, w) = std::io::pipe().unwrap();
    let mut socklog = cmd("s6-socklog")
        .arg("-d3")
        .arg("-x")
        .arg(&sock)
        .stdout(w)
        .stderr(Stdio::null())
        .spawn_with_fd3();
    let mut log = cmd("s6-log")
        .args(["-b", "n3", "s100000000"])
        .arg(&logdir)
        .stdin(r)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let s = UnixDatagram::unbound().unwrap();
    const N: usize = 100_000;
    for i in 0..N {
        let m =
            format!("<38>burst {i:06} ........................................................");
        s.send_to(m.as_bytes(), &sock).unwrap();
    }
    common::poll(Duration::from_secs(60), "all lines in current", || {
        let c = fs::read(logdir.join("current")).ok()?;
        (c.iter().filter(|&&b| b == b'\n').count() >= N).then_some(())
    });
    let c = fs::read(logdir.join("current")).unwrap();
    let lines: Vec<&[u8]> = c.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), N);
    assert_eq!(
        lines[N - 1],
        format!(
            "auth.info: burst {:06} ........................................................",
            N - 1
        )
        .as_bytes()
    );
    common::proc::kill(socklog.id() as i32, libc::SIGTERM);
    assert_eq!(socklog.wait().unwrap().code(), Some(0));
    log.wait().unwrap();
}
