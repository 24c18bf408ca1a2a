//! s6-sudoc: the client side of s6-sudo. On the connection at fds 6
//! (read) and 7 (write): reads s6-sudod's banner, sends its arguments,
//! environment and stdin, stdout, stderr in one message, gives up its
//! own stdin and stdout, then waits (one blocking poll) for the answer
//! byte and the program's wait status, and exits with the program's code.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::exitcode::{self, SYS, USAGE};
use s6box::{env, fd, fdpass, msg, poll, sudo};
use std::os::unix::ffi::OsStrExt;

const USAGE_LINE: &str = "s6-sudoc [ -e ] [ -t timeoutconn ] [ -T timeoutrun ] [ args... ]";

/// What the options ask for.
#[derive(Default, Clone, Copy)]
pub struct Opts {
    /// `-e`: send no environment.
    pub noenv: bool,
    /// `-t`: ms to get the server to start the program (0: forever).
    pub tconn: u32,
    /// `-T`: ms to wait for the program's end (0: forever).
    pub trun: u32,
}

impl Opts {
    /// `option(cli, opt)`: takes `-e -t -T`; false for any other.
    pub fn option(&mut self, cli: &mut Cli, opt: &Opt) -> bool {
        match opt {
            Opt::Short('e') => self.noenv = true,
            Opt::Short('t') => self.tconn = cli.number(),
            Opt::Short('T') => self.trun = cli.number(),
            _ => return false,
        }
        true
    }
}

pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE_LINE);
    let mut o = Opts::default();
    while let Some(opt) = cli.opt() {
        if !o.option(&mut cli, &opt) {
            cli.usage();
        }
    }
    let args = cli.rest();
    for n in [6, 7] {
        if let Err(e) = s6box::socket::set_nonblock(fd::borrow(n), true) {
            msg::fatal_sys(SYS, &[b"make socket non-blocking"], e);
        }
    }
    run(fd::borrow(6), fd::borrow(7), o, args, &[])
}

/// `run(rd, wr, o, args, extra)`: the whole client on an open connection
/// (`rd` and `wr` may be the same socket); `extra` variables are sent
/// after the environment, replacing any of the same name (s6-sudo's
/// `PROTO` and `IPCLOCALPATH`). Returns the exit code, or dies.
pub fn run(
    rd: rustix::fd::BorrowedFd<'_>,
    wr: rustix::fd::BorrowedFd<'_>,
    o: Opts,
    args: Argv,
    extra: &[(&[u8], &[u8])],
) -> i32 {
    let conn = poll::deadline(o.tconn);
    let mut banner = [0u8; 15];
    let mut none = Vec::new();
    match fdpass::recv(rd, &mut banner, &mut none, 0, conn) {
        Ok(0) | Err(rustix::io::Errno::TIMEDOUT) => msg::fatal(
            SYS,
            &[b"unable to connect to the s6-sudod server - check that you have appropriate permissions"],
        ),
        Ok(15) => {}
        Ok(_) => msg::fatal_sys(SYS, &[b"read banner from s6-sudod"], fdpass::EOF),
        Err(e) => msg::fatal_sys(SYS, &[b"read banner from s6-sudod"], e),
    }
    if &banner != sudo::SERVER_BANNER {
        msg::fatal(USAGE, &[b"wrong banner - check that you are connecting to a s6-sudod server"]);
    }
    let payload = request(args, o.noenv, extra);
    let stdio = [fd::borrow(0), fd::borrow(1), fd::borrow(2)];
    if let Err(e) = fdpass::send_message(wr, &payload, &stdio, conn) {
        msg::fatal_sys(SYS, &[b"send args to server"], e);
    }
    drop(payload);
    // The server's program has them now: the caller sees end-of-file on
    // its output when that program closes it, not when we exit.
    fd::close(0);
    fd::close(1);
    let mut answer = [0u8; 1];
    match fdpass::recv(rd, &mut answer, &mut none, 0, conn) {
        Ok(1) => {}
        Ok(_) => msg::fatal_sys(SYS, &[b"get confirmation from server"], fdpass::EOF),
        Err(e) => msg::fatal_sys(SYS, &[b"get confirmation from server"], e),
    }
    if answer[0] != 0 {
        let e = rustix::io::Errno::from_raw_os_error(i32::from(answer[0]));
        msg::fatal_sys(SYS, &[b"start privileged program: server answered"], e);
    }
    let run = poll::deadline(o.trun);
    let mut status = [0u8; 4];
    match fdpass::recv(rd, &mut status, &mut none, 0, run) {
        Ok(4) => {}
        Ok(_) => msg::fatal_sys(SYS, &[b"get exit status from server"], fdpass::EOF),
        Err(e) => msg::fatal_sys(SYS, &[b"get exit status from server"], e),
    }
    exitcode::approximate(u32::from_be_bytes(status) as i32)
}

/// `request(args, noenv, extra)`: the payload, built in one buffer of the
/// exact size straight from argv and the environment (a waiting client
/// keeps no garbage of copies).
fn request(args: Argv, noenv: bool, extra: &[(&[u8], &[u8])]) -> Vec<u8> {
    let replaced = |e: &[u8]| {
        extra.iter().any(|(n, _)| e.len() > n.len() && e.starts_with(n) && e[n.len()] == b'=')
    };
    let each_var = |f: &mut dyn FnMut(&[u8])| {
        if noenv {
            return;
        }
        env::for_each(|e| {
            if !replaced(e) {
                f(e)
            }
        });
        let mut line = Vec::new();
        for (k, v) in extra {
            line.clear();
            line.extend_from_slice(k);
            line.push(b'=');
            line.extend_from_slice(v);
            f(&line);
        }
    };
    let mut sizes = sudo::Sizes::default();
    args.iter().for_each(|a| sizes.arg(a.as_bytes()));
    each_var(&mut |e| sizes.var(e));
    let mut out = sizes.start();
    args.iter().for_each(|a| sudo::push(&mut out, a.as_bytes()));
    each_var(&mut |e| sudo::push(&mut out, e));
    out
}
