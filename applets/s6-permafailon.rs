//! s6-permafailon: in a service directory (a `finish` script), exit 125
//! if the death tally holds enough recent deaths of the listed kinds
//! (permanent failure), else exec prog.

use s6box::argv::Argv;
use s6box::cli::{Cli, parse_decimal};
use s6box::supervision::{signame, tally};
use s6box::tai::Tain;
use s6box::{exec, exitcode, fmt, msg};
use std::ffi::OsStr;

const USAGE: &str = "s6-permafailon seconds deathcount statuslist prog...";

/// The exit code that tells s6-supervise not to restart the service.
const PERMANENT: i32 = 125;

/// The deaths that count.
#[derive(Default)]
struct Events {
    /// Bit n: exit code n.
    codes: [u64; 4],
    /// Bit n: signal n.
    sigs: u128,
}

impl Events {
    fn matches(&self, d: &tally::Death) -> bool {
        if d.sig != 0 {
            d.sig < 128 && self.sigs & (1u128 << d.sig) != 0
        } else {
            self.codes[usize::from(d.code >> 6)] & (1u64 << (d.code & 63)) != 0
        }
    }
}

fn bad(what: &str) -> ! {
    msg::fatal(exitcode::USAGE, &[what.as_bytes()])
}

/// `digits(s)`: the leading decimal number of `s` and the rest.
fn digits(s: &[u8]) -> (Option<u64>, &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let v = std::str::from_utf8(&s[..n]).ok().and_then(|t| t.parse().ok());
    (if n == 0 { None } else { Some(v.unwrap_or(u64::MAX)) }, &s[n..])
}

fn blank(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_whitespace)
}

/// `code(n)`: an exit code (0 to 255).
fn code(n: u64) -> u8 {
    u8::try_from(n).unwrap_or_else(|_| bad("invalid exit code"))
}

/// `parse(list)`: the comma-separated list of exit codes `N`, ranges
/// `N-M`, and signals (`SIGTERM`, `term`, `sig15`), as 2.15 reads it.
fn parse(list: &[u8]) -> Events {
    let mut ev = Events::default();
    if list.is_empty() {
        return ev;
    }
    let mut items: Vec<&[u8]> = list.split(|&c| c == b',').collect();
    if items.len() > 1 && items.last().is_some_and(|i| i.is_empty()) {
        items.pop();
    }
    for item in items {
        let spec = || bad("invalid status list specification");
        if item.first().is_some_and(u8::is_ascii_digit) {
            let (n, rest) = digits(item);
            let lo = code(n.unwrap_or(0));
            let (hi, rest) = match rest.strip_prefix(b"-") {
                Some(r) => {
                    let (m, rest) = digits(r);
                    let Some(m) = m else { bad("invalid interval specification") };
                    let hi = code(m);
                    if hi < lo {
                        bad("invalid interval");
                    }
                    (hi, rest)
                }
                None => (lo, rest),
            };
            if !blank(rest) {
                spec();
            }
            for c in lo..=hi {
                ev.codes[usize::from(c >> 6)] |= 1u64 << (c & 63);
            }
            continue;
        }
        let sig = match item {
            [b'S' | b's', b'I' | b'i', b'G' | b'g', num @ ..]
                if num.first().is_some_and(u8::is_ascii_digit) =>
            {
                let (n, rest) = digits(num);
                if !blank(rest) {
                    spec();
                }
                match n {
                    Some(n) if n >= 1 && n <= signame::max() as u64 => n as i32,
                    _ => bad("invalid signal"),
                }
            }
            _ => signame::number(item).unwrap_or_else(spec),
        };
        if sig < 128 {
            ev.sigs |= 1u128 << sig;
        }
    }
    ev
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let cli = Cli::new(argv, USAGE);
    let args = argv.skip(1);
    if args.len() < 3 {
        cli.usage();
    }
    let secs: u32 = parse_decimal(args.os(0)).unwrap_or_else(|| cli.usage());
    let count: u32 = parse_decimal(args.os(1)).unwrap_or_else(|| cli.usage());
    if count == 0 {
        cli.usage();
    }
    let events = parse(args.get(2).to_bytes());
    let prog = args.skip(3);
    match tally::read(OsStr::new(tally::PATH)) {
        Ok(deaths) => check(&deaths, secs, count, &events),
        Err(rustix::io::Errno::ISDIR) => msg::warn(&[b"invalid ", tally::PATH.as_bytes()]),
        Err(e) => msg::warn_sys(&[b"stat ", tally::PATH.as_bytes()], e),
    }
    if prog.is_empty() {
        return 0;
    }
    exec::exec(prog)
}

/// `check(deaths, secs, count, events)`: exits 125 with the `PERMANENT
/// FAILURE` line if `count` deaths of the listed kinds happened in the
/// last `secs` seconds (the report names the death that reached the
/// count, oldest first).
fn check(deaths: &[tally::Death], secs: u32, count: u32, events: &Events) {
    let now = Tain::now();
    let mut seen = 0;
    for d in deaths {
        if now.secs_since(&d.stamp) >= u64::from(secs) || !events.matches(d) {
            continue;
        }
        seen += 1;
        if seen < count {
            continue;
        }
        let mut line = Vec::with_capacity(128);
        line.extend_from_slice(msg::prog().as_bytes());
        line.extend_from_slice(b": info: PERMANENT FAILURE triggered after ");
        fmt::push_dec(&mut line, i64::from(count));
        line.extend_from_slice(b" events involving ");
        if d.sig != 0 {
            line.extend_from_slice(b"signal ");
            fmt::push_dec(&mut line, i64::from(d.sig));
        } else {
            line.extend_from_slice(b"exit code ");
            fmt::push_dec(&mut line, i64::from(d.code));
        }
        line.extend_from_slice(b" in the last ");
        fmt::push_dec(&mut line, i64::from(secs));
        line.extend_from_slice(b" seconds\n");
        msg::write_all(msg::fd(2), &line);
        msg::exit(PERMANENT);
    }
}
