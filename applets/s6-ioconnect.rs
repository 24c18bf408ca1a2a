//! s6-ioconnect: copies stdin to fd 7 and fd 6 to stdout, both directions
//! at once through bounded buffers; end-of-file on an input becomes a
//! half-close (or a close) of the matching output once its data is out.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::{exitcode, fd, msg, poll, socket};
use rustix::fd::BorrowedFd;
use rustix::io::Errno;
use std::time::{Duration, Instant};

const USAGE: &str = "s6-ioconnect [ -t timeout ] [ -r fdr ] [ -w fdw ]";

/// Bytes one direction holds at most.
const BUF: usize = 16384;

/// One direction: input, output, the bytes read and not yet written.
struct Pipe {
    input: i32,
    output: i32,
    buf: Box<[u8; BUF]>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
}

impl Pipe {
    fn new(input: i32, output: i32) -> Pipe {
        Pipe { input, output, buf: Box::new([0; BUF]), start: 0, end: 0, eof: false, done: false }
    }

    fn wants_read(&self) -> bool {
        !self.done && !self.eof && self.end < BUF
    }

    fn wants_write(&self) -> bool {
        !self.done && self.start < self.end
    }

    /// Reads what is there; true if a byte moved.
    fn read(&mut self) -> bool {
        match rustix::io::read(fd::borrow(self.input), &mut self.buf[self.end..]) {
            Ok(0) => {
                self.eof = true;
                self.finish_if_drained();
                false
            }
            Ok(n) => {
                self.end += n;
                true
            }
            Err(Errno::AGAIN | Errno::INTR) => false,
            Err(e) => {
                msg::warn_sys(&[b"read from fd ", &s6box::fmt::dec(self.input.into())], e);
                self.eof = true;
                self.finish_if_drained();
                false
            }
        }
    }

    /// Writes what is buffered; true if a byte moved.
    fn write(&mut self) -> bool {
        match rustix::io::write(fd::borrow(self.output), &self.buf[self.start..self.end]) {
            Ok(n) => {
                self.start += n;
                if self.start == self.end {
                    self.start = 0;
                    self.end = 0;
                    self.finish_if_drained();
                }
                n > 0
            }
            Err(Errno::AGAIN | Errno::INTR) => false,
            Err(e) => {
                msg::warn_sys(&[b"write to fd ", &s6box::fmt::dec(self.output.into())], e);
                self.done = true;
                false
            }
        }
    }

    /// Input ended and everything written: the output gets end-of-file.
    fn finish_if_drained(&mut self) {
        if self.eof && self.start == self.end && !self.done {
            self.done = true;
            if socket::shutdown_write(fd::borrow(self.output)).is_err()
                && let Ok(f) = s6box::fd::adopt(self.output)
            {
                drop(f);
            }
        }
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut timeout, mut fdr, mut fdw) = (0u64, 6i32, 7i32);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('t') => timeout = cli.number(),
            Opt::Short('r') => fdr = cli.number(),
            Opt::Short('w') => fdw = cli.number(),
            Opt::Short('0' | '1' | '6' | '7') => {}
            _ => cli.usage(),
        }
    }
    for n in [0, fdw, fdr, 1] {
        let d: BorrowedFd = fd::borrow(n);
        if let Err(e) = rustix::fs::fstat(d) {
            msg::fatal_sys(exitcode::SYS, &[b"fstat fd ", &s6box::fmt::dec(n.into())], e);
        }
    }
    for n in [0, fdw, fdr, 1] {
        let _ = socket::set_nonblock(fd::borrow(n), true);
    }
    let mut dirs = [Pipe::new(0, fdw), Pipe::new(fdr, 1)];
    let limit = (timeout > 0).then(|| Duration::from_millis(timeout));
    let mut deadline = limit.map(|l| Instant::now() + l);
    while !dirs.iter().all(|d| d.done) {
        let slots: [(Option<BorrowedFd>, bool); 4] = [
            (dirs[0].wants_read().then(|| fd::borrow(dirs[0].input)), false),
            (dirs[0].wants_write().then(|| fd::borrow(dirs[0].output)), true),
            (dirs[1].wants_read().then(|| fd::borrow(dirs[1].input)), false),
            (dirs[1].wants_write().then(|| fd::borrow(dirs[1].output)), true),
        ];
        let ready = poll::wait_io(&slots, deadline);
        if ready == 0 {
            return exitcode::FAIL;
        }
        let mut moved = false;
        for (i, d) in dirs.iter_mut().enumerate() {
            if ready & (1 << (2 * i)) != 0 && d.wants_read() {
                moved |= d.read();
            }
            if ready & (2 << (2 * i)) != 0 && d.wants_write() {
                moved |= d.write();
            }
        }
        if moved {
            deadline = limit.map(|l| Instant::now() + l);
        }
    }
    exitcode::OK
}
