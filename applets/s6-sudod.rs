//! s6-sudod: the server side of s6-sudo, on the connection at fds 0
//! (read) and 1 (write), under s6-ipcserverd. Writes its banner, reads
//! the client's message (arguments, environment, stdin, stdout, stderr),
//! spawns `sargv... cargv...` with those descriptors, its own environment
//! filtered by the client's, its working directory and the signal state
//! it was started with; answers 0 or the spawn's errno; then sleeps in
//! one poll on its signals and the socket: the program's end is sent as
//! its raw wait status (exit 0), the client's departure sends the
//! program SIGTERM and SIGCONT (exit 1; with `-d` the program is left
//! alone and waited for).

use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use s6box::argv::{Argv, OwnedArgv};
use s6box::cli::{Cli, Opt};
use s6box::exitcode::{FAIL, SYS, USAGE};
use s6box::exec::{self, Envp};
use s6box::{fd, fdpass, msg, poll, sig, sigpolicy, sudo};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

const USAGE_LINE: &str = "s6-sudod [ -0 ] [ -1 ] [ -2 ] [ -d ] [ -t timeout ] args...";

/// The connection, for reading.
fn sock_in() -> BorrowedFd<'static> {
    fd::borrow(0)
}

/// The connection, for writing.
fn sock_out() -> BorrowedFd<'static> {
    fd::borrow(1)
}

fn dup_high(f: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    rustix::io::fcntl_dupfd_cloexec(f, 3)
}

/// `answer(byte)`: the one-byte answer; false if the client is gone.
fn answer(byte: u8) -> bool {
    fdpass::send(sock_out(), &[byte], &[], None).is_ok()
}

pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE_LINE);
    let (mut null_in, mut null_out, mut own_err, mut detach) = (false, false, false, false);
    let mut timeout: u32 = 0;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('0') => null_in = true,
            Opt::Short('1') => null_out = true,
            Opt::Short('2') => own_err = true,
            Opt::Short('d') => detach = true,
            Opt::Short('t') => timeout = cli.number(),
            _ => cli.usage(),
        }
    }
    if detach {
        (null_in, null_out, own_err) = (true, true, true);
    }
    let sargv = cli.rest();
    if let Err(e) = fdpass::send(sock_out(), sudo::SERVER_BANNER, &[], None) {
        msg::fatal_sys(SYS, &[b"write banner to client"], e);
    }
    let deadline = s6box::poll::deadline(timeout);
    let fdpass::Message { data, fds: mut received } = match fdpass::recv_message(
        sock_in(),
        sudo::MAX_PAYLOAD,
        sudo::FDS,
        deadline,
    ) {
        Ok(m) => m,
        Err(e) => msg::fatal_sys(SYS, &[b"read message from client"], e),
    };
    if received.len() != sudo::FDS {
        msg::fatal(USAGE, &[b"client did not send 3 fds"]);
    }
    let req = match sudo::parse(&data) {
        Ok(r) => r,
        Err(bad) => {
            if bad.answered() {
                answer(Errno::INVAL.raw_os_error() as u8);
            }
            msg::fatal(USAGE, &[bad.text()])
        }
    };
    if sargv.is_empty() && req.args.is_empty() {
        msg::fatal(USAGE, &[b"client and server args both empty"]);
    }
    let mut words: Vec<&OsStr> = sargv.iter().collect();
    words.extend(req.args.iter().map(|a| OsStr::from_bytes(a)));
    let all = OwnedArgv::new(words);
    let mut envp = Envp::default();
    s6box::env::for_each(|e| {
        let eq = e.iter().position(|&c| c == b'=').unwrap_or(e.len());
        let (name, own) = (&e[..eq], e.get(eq + 1..).unwrap_or_default());
        envp.push(name, sudo::filtered_value(own, &req, name));
    });
    let null = (null_in || null_out).then(|| {
        use rustix::fs::{Mode, OFlags};
        rustix::fs::open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
            .and_then(|n| if n.as_raw_fd() < 3 { dup_high(n.as_fd()) } else { Ok(n) })
            .unwrap_or_else(|e| msg::fatal_sys(SYS, &[b"open /dev/null"], e))
    });
    let signals = sig::catch_all()
        .and_then(|s| sig::keep_children().map(|()| s))
        .unwrap_or_else(|e| msg::fatal_sys(SYS, &[b"catch signals"], e));
    let pid = {
        // Every source above 2, so that no target number is a source
        // (a received descriptor is that low only if our stderr was closed).
        for f in received.iter_mut() {
            if f.as_raw_fd() < 3 {
                *f = dup_high(f.as_fd()).unwrap_or_else(|e| msg::fatal_sys(SYS, &[b"dup"], e));
            }
        }
        // The program's 0, 1 (and 2) replace the connection's numbers in
        // the child only: it keeps no copy of the connection.
        let null = null.as_ref().map(AsFd::as_fd);
        let mut fds = vec![
            (null.filter(|_| null_in).unwrap_or(received[0].as_fd()), 0),
            (null.filter(|_| null_out).unwrap_or(received[1].as_fd()), 1),
        ];
        if !own_err {
            fds.push((received[2].as_fd(), 2));
        }
        let spawned = exec::spawn_vfork(all.argv(), &mut envp, &fds);
        match spawned {
            Ok(pid) => pid,
            Err(e) => {
                answer(e.raw_os_error() as u8);
                msg::fatal_sys(SYS, &[b"spawn ", all.argv().get(0).to_bytes()], e)
            }
        }
    };
    drop(req);
    drop((data, received));
    drop(null);
    let mut client = true;
    if !answer(0) {
        if !detach {
            end_program(pid);
            msg::fatal_sys(SYS, &[b"send confirmation to client"], Errno::PIPE);
        }
        client = false;
    }
    let me = rustix::process::getpid();
    let mut scratch = [0u8; 512];
    loop {
        let ready = if client && !detach {
            poll::wait(&[signals.as_fd(), sock_in()], None)
        } else {
            poll::wait(&[signals.as_fd()], None)
        };
        if ready & 2 != 0 {
            match rustix::net::recv(sock_in(), &mut scratch, rustix::net::RecvFlags::DONTWAIT) {
                Ok((n, _)) if n > 0 => {}
                Err(Errno::AGAIN | Errno::INTR) => {}
                // End-of-file or an error: the client is gone.
                _ => {
                    end_program(pid);
                    return FAIL;
                }
            }
        }
        if ready & 1 == 0 {
            continue;
        }
        while let Some(s) = signals.next_from_others(me) {
            if sigpolicy::WAITER.filter(s).is_none() {
                continue;
            }
            let Ok(Some((_, status))) =
                rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::NOHANG)
            else {
                continue;
            };
            let sent = fdpass::send(sock_out(), &sudo::status(status.as_raw()), &[], None);
            if let Err(e) = sent
                && client
                && !detach
            {
                msg::fatal_sys(SYS, &[b"write status to client"], e);
            }
            return 0;
        }
    }
}

/// `end_program(pid)`: SIGTERM then SIGCONT, as when the client goes away.
fn end_program(pid: rustix::process::Pid) {
    use rustix::process::{Signal, kill_process};
    let _ = kill_process(pid, Signal::TERM);
    let _ = kill_process(pid, Signal::CONT);
}
