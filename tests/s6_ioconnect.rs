//! s6-ioconnect: both directions at once with bounded buffers, half-close
//! on end-of-file, -t, the ignored options, the descriptor checks; ours,
//! 2.15's and Debian's on the same cases.
mod common;
mod ipc_common;

use common::{LONG, code, text};
use ipc_common::*;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `prog args` with stdin and stdout piped and one end of a socket
/// pair on 6 and 7; returns the child and the other end.
fn start(prog: &std::path::Path, args: &[&str]) -> (Child, UnixStream) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let mut c = Command::new(prog);
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    common::fds_to(&mut c, &[(theirs.as_raw_fd(), 6), (theirs.as_raw_fd(), 7)]);
    let child = c.spawn().unwrap();
    drop(theirs);
    (child, ours)
}

fn finish(child: Child) -> std::process::Output {
    let mut child = common::Reaped::new(child);
    common::poll(LONG, "s6-ioconnect to end", || child.try_wait().unwrap());
    child.output()
}

#[test]
fn both_directions_then_half_close_each_way() {
    for (label, prog) in all("s6-ioconnect") {
        let (mut child, mut sock) = start(&prog, &[]);
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        stdin.write_all(b"to the socket\n").unwrap();
        sock.write_all(b"to stdout\n").unwrap();
        let mut b = [0u8; 14];
        sock.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"to the socket\n", "{label}");
        let mut b = [0u8; 10];
        stdout.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"to stdout\n", "{label}");
        // stdin's end: the socket reads end-of-file, and can still write.
        drop(stdin);
        let mut rest = Vec::new();
        sock.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "{label}");
        sock.write_all(b"after\n").unwrap();
        sock.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "after\n", "{label}");
        let out = finish(child);
        assert_eq!(code(&out), 0, "{label}: {}", text(&out.stderr));
    }
}

#[test]
fn a_peer_that_never_reads_stalls_only_its_direction() {
    for (label, prog) in all("s6-ioconnect") {
        let (mut child, mut sock) = start(&prog, &[]);
        let pid = child.id();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // 16 MiB towards a socket nobody reads: the writer blocks, the
        // program does not grow.
        let writer = std::thread::spawn(move || {
            let chunk = vec![b'x'; 65536];
            for _ in 0..256 {
                if stdin.write_all(&chunk).is_err() {
                    break;
                }
            }
        });
        // Meanwhile the other direction flows.
        for i in 0..50 {
            let line = format!("line {i}\n");
            sock.write_all(line.as_bytes()).unwrap();
            let mut b = vec![0u8; line.len()];
            stdout.read_exact(&mut b).unwrap();
            assert_eq!(b, line.as_bytes(), "{label}");
        }
        common::asleep(pid as i32);
        if label == "ours" {
            // The writer fills the pipe and the socket: then nothing moves.
            settle(pid);
            assert!(rss_anon_kb(pid) < 1024, "{label}: {} kB", rss_anon_kb(pid));
            assert_idle(pid, "s6-ioconnect stalled");
        }
        let _ = child.kill();
        let _ = child.wait();
        drop(sock);
        writer.join().unwrap();
    }
}

#[test]
fn timeout_and_ignored_options() {
    for (label, prog) in all("s6-ioconnect") {
        // Nothing moves: exit 1, silently.
        let (child, _sock) = start(&prog, &["-0", "-1", "-6", "-7", "-t", "200"]);
        let t0 = Instant::now();
        let out = finish(child);
        assert_eq!(code(&out), 1, "{label}");
        assert_eq!(text(&out.stderr), "", "{label}");
        assert!(t0.elapsed() >= Duration::from_millis(190), "{label}");
        // Traffic keeps it alive past the timeout.
        let (mut child, mut sock) = start(&prog, &["-t", "300"]);
        let mut stdout = child.stdout.take().unwrap();
        for _ in 0..6 {
            sock.write_all(b"k").unwrap();
            let mut b = [0u8; 1];
            stdout.read_exact(&mut b).unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(child.try_wait().unwrap().is_none(), "{label}: alive after 600 ms of traffic");
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn idle_ioconnect_sleeps() {
    let (mut child, _sock) = start(&common::applet("s6-ioconnect"), &[]);
    assert_idle(child.id(), "s6-ioconnect");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn closed_descriptors_are_reported_in_215s_order() {
    // (closed descriptors, -r/-w)
    let cases: &[(&[i32], &[&str])] = &[
        (&[6, 7], &[]),
        (&[6], &[]),
        (&[7], &[]),
        (&[0, 6], &[]),
        (&[1, 7], &[]),
        (&[1, 6], &[]),
        (&[4], &["-r", "4"]),
        (&[], &["-Z"]),
        (&[], &["-t", "x"]),
    ];
    for (closed, args) in cases {
        let mut seen = Vec::new();
        for (label, prog) in all("s6-ioconnect") {
            let (a, _b) = UnixStream::pair().unwrap();
            let mut c = Command::new(&prog);
            c.args(*args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
            common::fds_to(&mut c, &[(a.as_raw_fd(), 6), (a.as_raw_fd(), 7)]);
            let closed = closed.to_vec();
            // SAFETY: close(2) in the child before exec.
            unsafe {
                c.pre_exec(move || {
                    for &n in &closed {
                        libc::close(n);
                    }
                    Ok(())
                });
            }
            let out = c.output().unwrap();
            seen.push((label, code(&out), text(&out.stderr)));
        }
        for (label, c, e) in &seen[1..] {
            assert_eq!((seen[0].1, &seen[0].2), (*c, e), "{closed:?} {args:?} vs {label}");
        }
    }
}
