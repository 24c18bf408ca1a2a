//! Helpers shared by the timestamp filters' tests: running a filter on
//! given input, a stdout whose reader is gone, and an interactive session
//! (write a line, wait for its converted copy with a deadline).

use crate::common;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// `filter(cmd, input)`: `common::run_input`, under the filters' name.
pub fn filter(cmd: &mut Command, input: &[u8]) -> Output {
    common::run_input(cmd, input)
}

/// `filter_in_pieces(cmd, input, piece)`: as `filter`, the input sent
/// `piece` bytes at a time through a SOCK_SEQPACKET socket, so that each
/// read of the filter returns exactly one piece (a pipe would merge them).
pub fn filter_in_pieces(cmd: &mut Command, input: &[u8], piece: usize) -> Output {
    let mut fds = [0; 2];
    let kind = libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC;
    // SAFETY: socketpair fills two new descriptors, each owned once below.
    assert_eq!(unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] and fds[1] are fresh descriptors owned by nobody else.
    let (ours, theirs) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let child = cmd
        .stdin(Stdio::from(theirs))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Release the Command's copy of the filter's end.
    cmd.stdin(Stdio::null());
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let mut sock = std::fs::File::from(ours);
        for p in data.chunks(piece) {
            // One write, one message (the socket's buffer takes a piece whole).
            if sock.write(p).map_or(true, |n| n != p.len()) {
                return;
            }
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// `dead_pipe()`: the write end of a pipe whose read end is closed.
pub fn dead_pipe() -> OwnedFd {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two new descriptors, each owned exactly once below.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fds[0] and fds[1] are fresh descriptors owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(r);
    w
}

/// `into_dead_pipe(cmd, ignore_sigpipe, input)`: runs the filter writing
/// to a pipe nobody reads, SIGPIPE inherited ignored or default.
pub fn into_dead_pipe(cmd: &mut Command, ignore_sigpipe: bool, input: &[u8]) -> Output {
    let ignore: &[i32] = if ignore_sigpipe { &[libc::SIGPIPE] } else { &[] };
    common::sigstate(cmd, ignore, &[]);
    filter_to(cmd, Stdio::from(dead_pipe()), input)
}

/// `filter_to(cmd, stdout, input)`: runs the filter writing to `stdout`,
/// with a small `input`, and captures its stderr.
pub fn filter_to(cmd: &mut Command, stdout: Stdio, input: &[u8]) -> Output {
    cmd.stdout(stdout);
    let mut child = cmd.stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// A running filter fed line by line.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Vec<u8>>,
    got: Vec<u8>,
}

impl Session {
    /// `start(cmd)`: spawns the filter with pipes on both sides.
    pub fn start(cmd: &mut Command) -> Session {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Session { child, stdin, rx, got: Vec::new() }
    }

    /// `send(bytes)`: writes to the filter's stdin.
    pub fn send(&mut self, b: &[u8]) {
        let s = self.stdin.as_mut().unwrap();
        s.write_all(b).unwrap();
        s.flush().unwrap();
    }

    /// `line(deadline)`: the next output line (with its newline), waiting
    /// for it at most `deadline`; panics when it does not come.
    pub fn line(&mut self, deadline: Duration) -> Vec<u8> {
        let end = Instant::now() + deadline;
        loop {
            if let Some(i) = self.got.iter().position(|&c| c == b'\n') {
                return self.got.drain(..=i).collect();
            }
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(chunk) => self.got.extend_from_slice(&chunk),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no line within {deadline:?}; have {:?}", common::text(&self.got))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("output ended; have {:?}", common::text(&self.got))
                }
            }
        }
    }

    /// `bytes(n, deadline)`: the next `n` output bytes, newline or not.
    pub fn bytes(&mut self, n: usize, deadline: Duration) -> Vec<u8> {
        let end = Instant::now() + deadline;
        while self.got.len() < n {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(chunk) => self.got.extend_from_slice(&chunk),
                Err(_) => panic!("no {n} bytes in time; have {:?}", common::text(&self.got)),
            }
        }
        self.got.drain(..n).collect()
    }

    /// `finish()`: closes stdin, collects what is left and the exit code.
    pub fn finish(mut self) -> (Vec<u8>, i32) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        let mut rest = std::mem::take(&mut self.got);
        while let Ok(chunk) = self.rx.recv_timeout(common::LONG) {
            rest.extend_from_slice(&chunk);
        }
        (rest, status.code().unwrap_or(-1))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `is_stamp(b)`: `@` and 24 lowercase hex digits.
pub fn is_stamp(b: &[u8]) -> bool {
    b.len() == 25 && b[0] == b'@' && b[1..].iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// `label_now()`: the TAI64 label of the system clock now (valid after
/// 2017-01-01, when TAI - UTC became 37 s).
pub fn label_now() -> u64 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    (1u64 << 62) + secs.as_secs() + 37
}

/// `nonblocking(cmd, fd)`: the command starts with O_NONBLOCK set on the
/// file description of its descriptor `fd`.
pub fn nonblocking(cmd: &mut Command, fd: i32) {
    use std::os::unix::process::CommandExt;
    // SAFETY: runs in the child before exec; fcntl is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            let fl = libc::fcntl(fd, libc::F_GETFL);
            if fl < 0 || libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// `check_full_disk(name)`: the filter writing to /dev/full exits 111 with
/// its write error.
pub fn check_full_disk(name: &str) {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = filter_to(&mut common::cmd(name), full.into(), b"hello\n");
    assert_eq!(common::code(&out), 111);
    let want = format!("{name}: fatal: unable to write to stdout: No space left on device\n");
    assert_eq!(common::text(&out.stderr), want);
}

/// `from_hung_up_pty(cmd, lines)`: runs `cmd` with stdin on a pty master
/// whose slave wrote `lines` lines and was then closed: the lines can be
/// read, then read(2) fails with EIO.
#[allow(dead_code)]
pub fn from_hung_up_pty(cmd: &mut Command, lines: usize) -> Output {
    // SAFETY: posix_openpt/grantpt/unlockpt/ptsname_r on a descriptor we
    // own; the buffers are ours and sized; tcgetattr/tcsetattr get an
    // initialised termios.
    let (master, slave) = unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(m >= 0);
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(m, name.as_mut_ptr(), name.len()), 0);
        let s = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(s >= 0);
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(s, &mut t), 0);
        t.c_oflag &= !libc::OPOST;
        assert_eq!(libc::tcsetattr(s, libc::TCSANOW, &t), 0);
        (std::fs::File::from_raw_fd(m), std::fs::File::from_raw_fd(s))
    };
    let mut s = slave;
    for i in 0..lines {
        writeln!(s, "line {i}").unwrap();
    }
    drop(s);
    cmd.stdin(Stdio::from(master)).output().expect("spawn")
}
