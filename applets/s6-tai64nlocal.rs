//! s6-tai64nlocal: replace the TAI64N stamp that starts a line with the
//! local date and time `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (`-g`: UTC).
//!
//! Other lines, and stamps the C library cannot convert, pass through
//! untouched. The date of the last second seen is kept, so lines of the
//! same second cost no calendar conversion.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::filter;
use s6box::tai::{self, STAMP_LEN};

const USAGE: &str = "s6-tai64nlocal [ -g ]";

/// Bytes asked of each read, and the output size that triggers a write.
const CHUNK: usize = 128 * 1024;

/// The line rewriter: its state carries over from one read to the next.
struct Local {
    /// `-g`: UTC; otherwise the local zone.
    zone: Option<tai::Zone>,
    /// At the start of a line (the stamp, if any, is still to come).
    at_start: bool,
    /// The first bytes of a line, when a read ended inside its stamp.
    pending: Vec<u8>,
    /// The label of the last second converted, and its date (None: not
    /// convertible).
    cache: Option<(u64, Option<Vec<u8>>)>,
}

impl Local {
    /// `date(label)`: `YYYY-MM-DD HH:MM:SS` of the TAI64 `label`, from the
    /// cache if it is the same second as the last one.
    fn date(&mut self, label: u64) -> Option<&[u8]> {
        if self.cache.as_ref().is_none_or(|(k, _)| *k != label) {
            let tm = match self.zone {
                Some(zone) => tai::local(zone, label),
                None => tai::utc(label),
            };
            let date = tm.map(|tm| {
                let mut d = Vec::with_capacity(40);
                tai::push_date(&mut d, &tm);
                d.push(b'.');
                d
            });
            self.cache = Some((label, date));
        }
        self.cache.as_ref().and_then(|(_, d)| d.as_deref())
    }

    /// `stamp(window, out)`: the converted form of the 25 bytes that start a
    /// line, or the bytes themselves.
    fn stamp(&mut self, window: &[u8], out: &mut Vec<u8>) {
        if let Some((label, nanos)) = tai::decode(window)
            && let Some(date) = self.date(label)
        {
            out.extend_from_slice(date);
            tai::push_nanos(out, nanos);
        } else {
            out.extend_from_slice(window);
        }
    }

    /// `feed(data, out)`: rewrites one read's worth of input into `out`.
    fn feed(&mut self, mut data: &[u8], out: &mut Vec<u8>) {
        while !data.is_empty() {
            if self.at_start {
                if self.pending.is_empty() && data.len() >= STAMP_LEN {
                    // Fast path: the whole stamp is here. A newline inside
                    // it makes it invalid; the copy below then ends there.
                    if tai::decode(data).is_some() {
                        self.stamp(&data[..STAMP_LEN], out);
                        data = &data[STAMP_LEN..];
                    }
                    self.at_start = false;
                    continue;
                }
                let need = STAMP_LEN - self.pending.len();
                let take = &data[..need.min(data.len())];
                if let Some(i) = s6box::bytes::find_newline(take) {
                    // A line too short to hold a stamp.
                    out.extend_from_slice(&self.pending);
                    out.extend_from_slice(&take[..=i]);
                    self.pending.clear();
                    data = &data[i + 1..];
                    continue;
                }
                self.pending.extend_from_slice(take);
                data = &data[take.len()..];
                if self.pending.len() == STAMP_LEN {
                    let window = std::mem::take(&mut self.pending);
                    self.stamp(&window, out);
                    self.pending = window;
                    self.pending.clear();
                    self.at_start = false;
                } else if !tai::stamp_prefix(&self.pending) {
                    // Cannot become a stamp: no reason to hold it back.
                    out.extend_from_slice(&self.pending);
                    self.pending.clear();
                    self.at_start = false;
                }
                continue;
            }
            match s6box::bytes::find_newline(data) {
                Some(i) => {
                    out.extend_from_slice(&data[..=i]);
                    data = &data[i + 1..];
                    self.at_start = true;
                }
                None => {
                    out.extend_from_slice(data);
                    break;
                }
            }
        }
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut utc = false;
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('g') => utc = true,
            _ => cli.usage(),
        }
    }
    let zone = (!utc).then(tai::init_local);
    let mut state =
        Local { zone, at_start: true, pending: Vec::with_capacity(STAMP_LEN), cache: None };
    let mut input = vec![0u8; CHUNK];
    let mut out: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    loop {
        filter::flush_if_idle(&mut out);
        let n = filter::read(&mut input, &mut out);
        if n == 0 {
            break;
        }
        state.feed(&input[..n], &mut out);
        if out.len() >= CHUNK {
            filter::flush(&mut out);
        }
    }
    // A line cut short inside its stamp: not a stamp, passed as it is.
    out.extend_from_slice(&state.pending);
    filter::flush(&mut out);
    0
}
