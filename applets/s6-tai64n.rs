//! s6-tai64n: prefix each line of stdin with the TAI64N stamp of the
//! moment it was read, and a space.
//!
//! Lines that arrive in one read were read at the same moment and share one
//! clock reading. Each input byte is copied once, into the output buffer,
//! which is written when it is big or when the next read could block.

use s6box::argv::Argv;
use s6box::cli::Cli;
use s6box::{filter, tai};

const USAGE: &str = "s6-tai64n";

/// Bytes asked of each read, and the output size that triggers a write.
const CHUNK: usize = 128 * 1024;

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    if cli.opt().is_some() {
        cli.usage();
    }
    let mut input = vec![0u8; CHUNK];
    let mut out: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut at_start = true;
    loop {
        filter::flush_if_idle(&mut out);
        let n = filter::read(&mut input, &mut out);
        if n == 0 {
            break;
        }
        let mut stamp = [b' '; tai::STAMP_LEN + 1];
        stamp[..tai::STAMP_LEN].copy_from_slice(&tai::stamp_now());
        let mut data = &input[..n];
        while !data.is_empty() {
            if at_start {
                out.extend_from_slice(&stamp);
            }
            match s6box::bytes::find_newline(data) {
                Some(i) => {
                    out.extend_from_slice(&data[..=i]);
                    data = &data[i + 1..];
                    at_start = true;
                }
                None => {
                    out.extend_from_slice(data);
                    at_start = false;
                    break;
                }
            }
        }
        if out.len() >= CHUNK {
            filter::flush(&mut out);
        }
    }
    if !at_start {
        out.push(b'\n');
    }
    filter::flush(&mut out);
    0
}
