//! s6-fghack: the old anti-backgrounding hack. Spawn prog with 31 write
//! ends of one pipe open, and wait until every process holding one (prog,
//! the daemon it forked, their children) is gone. Obsolescent:
//! s6-background-watch is the better tool.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::{exec, exitcode, msg, poll, sig};
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::io::{Errno, FdFlags};
use rustix::process::Pid;

const USAGE: &str = "s6-fghack prog...";

/// Extra duplicates of the write end, besides the first.
const DUPS: usize = 30;

/// Descriptors kept free for what comes after the pipe: the pipe
/// `exec::spawn` reports through, and prog's pidfd.
const RESERVE: usize = 3;

/// `hackpipe()`: the pipe's read end (close-on-exec) and up to 31 write
/// ends, all inheritable: as many as the descriptor limit allows (at
/// least one), with room left for spawning prog. Every one is numbered 3
/// or more, so a standard descriptor that s6-fghack got closed stays
/// closed in prog.
fn hackpipe() -> Result<(OwnedFd, Vec<OwnedFd>), Errno> {
    let (rd, wr) = s6box::fd::pipe_cloexec()?;
    let above2 = |fd: OwnedFd| -> Result<OwnedFd, Errno> {
        if fd.as_raw_fd() >= 3 { Ok(fd) } else { rustix::io::fcntl_dupfd_cloexec(&fd, 3) }
    };
    let rd = above2(rd)?;
    let first = above2(wr)?;
    let reserve: Vec<OwnedFd> =
        (0..RESERVE).map_while(|_| rustix::io::fcntl_dupfd_cloexec(&rd, 3).ok()).collect();
    let mut ends = Vec::with_capacity(DUPS + 1);
    for _ in 0..DUPS {
        match rustix::io::fcntl_dupfd_cloexec(&first, 3) {
            Ok(end) => ends.push(end),
            // Out of descriptors: prog gets the ends that fit.
            Err(Errno::MFILE) => break,
            Err(e) => return Err(e),
        }
    }
    ends.push(first);
    for end in &ends {
        rustix::io::fcntl_setfd(end, FdFlags::empty())?;
    }
    drop(reserve);
    Ok((rd, ends))
}

s6box::linux_like! {
    /// `exit_watch(pid)`: a descriptor that becomes readable when `pid` ends
    /// (a pidfd), so prog is reaped as soon as it exits instead of lingering
    /// as a zombie for the daemon's lifetime. `None` where unavailable.
    fn exit_watch(pid: Pid) -> Option<OwnedFd> {
        rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()
    }
}
s6box::linux_like! { else
    fn exit_watch(_pid: Pid) -> Option<OwnedFd> {
        None
    }
}

fn reap(pid: Pid, name: &[u8]) -> i32 {
    exec::wait_pid(pid).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"wait for ", name], e))
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    if cli.opt().is_some() {
        cli.usage();
    }
    let prog = cli.rest();
    if prog.is_empty() {
        cli.usage();
    }
    let name = prog.get(0).to_bytes();
    msg::warn(&[b"this program is obsolescent, please use s6-background-watch instead"]);
    // With SIGCHLD ignored, prog's status would be discarded: take it
    // back to default here (prog still gets the "ignore").
    if let Err(e) = sig::keep_children() {
        msg::fatal_sys(exitcode::SYS, &[b"set SIGCHLD to default"], e);
    }
    let (rd, ends) =
        hackpipe().unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"create hackpipe"], e));
    let pid =
        exec::spawn(prog).unwrap_or_else(|e| msg::fatal_sys(exitcode::SYS, &[b"exec ", name], e));
    drop(ends);
    let mut watch = exit_watch(pid);
    let mut status = None;
    loop {
        if let Some(w) = &watch {
            let ready = poll::wait(&[rd.as_fd(), w.as_fd()], None);
            if ready & 2 != 0 {
                status = Some(reap(pid, name));
                watch = None;
            }
            if ready & 1 == 0 {
                continue;
            }
        }
        let mut byte = [0u8; 1];
        match rustix::io::read(&rd, &mut byte) {
            Ok(0) => break,
            Ok(_) => msg::fatal(exitcode::WROTE, &[name, b" wrote on hackpipe"]),
            Err(Errno::INTR) => {}
            Err(e) => msg::fatal_sys(exitcode::SYS, &[b"read hackpipe"], e),
        }
    }
    let status = status.unwrap_or_else(|| reap(pid, name));
    exitcode::approximate(status)
}
