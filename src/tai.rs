//! TAI64N timestamps as s6 writes them in logs: `@` and 24 hex digits
//! (16 for the label, 2^62 + TAI seconds, 8 for nanoseconds), the fixed
//! table of leap seconds that links TAI to UTC (TAI = UTC + 10 s + the
//! leap seconds inserted so far), the clock, the C library's broken-down
//! local time, and a fast newline search shared by the timestamp filters.

/// Length of a written stamp: `@` and 24 hex digits.
pub const STAMP_LEN: usize = 25;

/// 2^62: the TAI64 label of the TAI epoch (1970-01-01 00:00:10 UTC).
const EPOCH: u64 = 1 << 62;

/// TAI - UTC before the first leap second (1972-01-01).
const BASE_OFFSET: i64 = 10;

/// Unix times of the first UTC second after each inserted leap second
/// (each leap second is 23:59:60 of the day before); 27 since 2017-01-01.
const LEAPS: [i64; 27] = [
    78796800, 94694400, 126230400, 157766400, 189302400, 220924800, 252460800, 283996800,
    315532800, 362793600, 394329600, 425865600, 489024000, 567993600, 631152000, 662688000,
    709948800, 741484800, 773020800, 820454400, 867715200, 915148800, 1136073600, 1230768000,
    1341100800, 1435708800, 1483228800,
];

/// `label_of_unix(secs)`: the TAI64 label of Unix time `secs` (a UTC
/// reading of the system clock).
pub fn label_of_unix(secs: i64) -> u64 {
    let leaps = LEAPS.iter().take_while(|&&l| l <= secs).count() as i64;
    EPOCH.wrapping_add_signed(secs + BASE_OFFSET + leaps)
}

/// A UTC time decoded from a label: Unix seconds, and whether the label
/// names an inserted leap second (shown as second 60 of `unix`'s minute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    /// Unix time; during a leap second, the second before it (23:59:59).
    pub unix: i64,
    /// The label is the leap second itself (23:59:60).
    pub leap: bool,
}

/// `utc_of_label(label)`: the UTC time of a label, or `None` before the
/// Unix epoch or outside [2^62, 2^63) (as s6, which leaves such stamps alone).
pub fn utc_of_label(label: u64) -> Option<Utc> {
    if !(EPOCH..1 << 63).contains(&label) {
        return None;
    }
    // Seconds since the TAI epoch minus the base offset: Unix time plus
    // the leap seconds inserted before it.
    let u = (label - EPOCH) as i64 - BASE_OFFSET;
    if u < 0 {
        return None;
    }
    let mut unix = u;
    for (i, &l) in LEAPS.iter().enumerate() {
        let at = l + i as i64; // the leap second's own u
        if u < at {
            break;
        }
        if u == at {
            return Some(Utc { unix: l - 1, leap: true });
        }
        unix = u - i as i64 - 1;
    }
    Some(Utc { unix, leap: false })
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `encode(label, nanos)`: `@` and the 24 lowercase hex digits.
pub fn encode(label: u64, nanos: u32) -> [u8; STAMP_LEN] {
    let mut out = [0u8; STAMP_LEN];
    out[0] = b'@';
    for i in 0..16 {
        out[1 + i] = HEX[((label >> (60 - 4 * i)) & 15) as usize];
    }
    for i in 0..8 {
        out[17 + i] = HEX[((nanos >> (28 - 4 * i)) & 15) as usize];
    }
    out
}

/// Value of each byte as a hex digit (either case), or 0xff.
static HEX_VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// `hex(digits)`: the value of a run of hex digits, or `None`.
fn hex(digits: &[u8]) -> Option<u64> {
    let mut v = 0u64;
    let mut bad = 0u8;
    for &c in digits {
        let d = HEX_VALUE[c as usize];
        bad |= d;
        v = v << 4 | (d & 15) as u64;
    }
    // Valid digits are below 16; 0xff has bit 7 set.
    (bad & 0x80 == 0).then_some(v)
}

/// `decode(bytes)`: (label, nanoseconds) if `bytes` starts with `@` and 24
/// hex digits (either case, as s6 reads them); what follows does not matter.
/// Nanoseconds are not range-checked (s6 does not check them either).
pub fn decode(b: &[u8]) -> Option<(u64, u32)> {
    if b.len() < STAMP_LEN || b[0] != b'@' {
        return None;
    }
    Some((hex(&b[1..17])?, hex(&b[17..25])? as u32))
}

/// `stamp_prefix(b)`: whether `b` (shorter than a stamp) could be the
/// beginning of one: `@` and hex digits.
pub fn stamp_prefix(b: &[u8]) -> bool {
    b.len() < STAMP_LEN
        && b.first().is_none_or(|&c| c == b'@')
        && b.iter().skip(1).all(|&c| HEX_VALUE[c as usize] < 16)
}

/// `now()`: the system clock (UTC): Unix seconds and nanoseconds.
pub fn now() -> (i64, u32) {
    // Through the C library's clock_gettime, whose vDSO pointer is set up
    // at start anyway: rustix's own vDSO cache is one more static written,
    // which costs a long-running supervisor a dirty page.
    use std::time::{SystemTime, UNIX_EPOCH};
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            match d.subsec_nanos() {
                0 => (-(d.as_secs() as i64), 0),
                n => (-(d.as_secs() as i64) - 1, 1_000_000_000 - n),
            }
        }
    }
}

/// A TAI64N moment in binary form: the label (2^62 + TAI seconds) and
/// nanoseconds; 12 bytes big-endian on the wire (`pack`/`unpack`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tain {
    /// The TAI64 label.
    pub label: u64,
    /// Nanoseconds, below 10^9.
    pub nanos: u32,
}

/// The size of a packed `Tain`.
pub const TAIN_LEN: usize = 12;

impl Tain {
    /// `Tain::now()`: this moment, from the system clock.
    pub fn now() -> Tain {
        let (secs, nanos) = now();
        Tain { label: label_of_unix(secs), nanos }
    }

    /// `pack()`: the 12 wire bytes (label then nanoseconds, big-endian).
    pub fn pack(&self) -> [u8; TAIN_LEN] {
        let mut b = [0u8; TAIN_LEN];
        b[..8].copy_from_slice(&self.label.to_be_bytes());
        b[8..].copy_from_slice(&self.nanos.to_be_bytes());
        b
    }

    /// `unpack(b)`: reads the first 12 bytes of `b` (at least 12 long).
    pub fn unpack(b: &[u8]) -> Tain {
        let mut l = [0u8; 8];
        let mut n = [0u8; 4];
        l.copy_from_slice(&b[..8]);
        n.copy_from_slice(&b[8..12]);
        Tain { label: u64::from_be_bytes(l), nanos: u32::from_be_bytes(n) }
    }

    /// `text()`: `@` and 24 hex digits, as s6 prints stamps.
    pub fn text(&self) -> [u8; STAMP_LEN] {
        encode(self.label, self.nanos)
    }

    /// `add_ms(ms)`: this moment plus `ms` milliseconds.
    pub fn add_ms(&self, ms: u64) -> Tain {
        let total = u64::from(self.nanos) + (ms % 1000) * 1_000_000;
        Tain {
            label: self.label.saturating_add(ms / 1000 + total / 1_000_000_000),
            nanos: (total % 1_000_000_000) as u32,
        }
    }

    /// `secs_since(earlier)`: whole seconds from `earlier` to this moment
    /// (0 if `earlier` is later).
    pub fn secs_since(&self, earlier: &Tain) -> u64 {
        if self <= earlier {
            return 0;
        }
        let mut s = self.label - earlier.label;
        if self.nanos < earlier.nanos {
            s -= 1;
        }
        s
    }

    /// `ms_until(later)`: milliseconds from this moment to `later`,
    /// rounded up (0 if `later` is not later).
    pub fn ms_until(&self, later: &Tain) -> u64 {
        if later <= self {
            return 0;
        }
        let ns = (later.label - self.label) as u128 * 1_000_000_000 + later.nanos as u128
            - self.nanos as u128;
        ns.div_ceil(1_000_000).min(u64::MAX as u128) as u64
    }
}

/// `stamp_now()`: the stamp of this moment.
pub fn stamp_now() -> [u8; STAMP_LEN] {
    let (secs, nanos) = now();
    encode(label_of_unix(secs), nanos)
}

/// A broken-down calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tm {
    /// Full year (1970, 2038...).
    pub year: i64,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0..=23.
    pub hour: u32,
    /// 0..=59.
    pub min: u32,
    /// 0..=60.
    pub sec: u32,
}

unsafe extern "C" {
    fn tzset();
}

/// `init_local()`: reads the time zone rules (`TZ`, `/etc/localtime`) once,
/// before the first `local`; returns the zone's kind for `local`.
pub fn init_local() -> Zone {
    // SAFETY: tzset takes no arguments and only sets the C library's
    // time zone state; s6box is single-threaded.
    unsafe { tzset() }
    // A "right/" zone counts leap seconds in time_t (glibc applies them;
    // musl ignores them): there, time_t 26 s after the start of 2017 is
    // the leap second 2016-12-31 23:59:60 UTC, second 60 in any zone a
    // whole number of minutes away from UTC.
    let right = localtime(LEAPS[26] + 26).is_some_and(|tm| tm.sec == 60);
    Zone { right }
}

/// The local time zone, as `init_local` found it.
#[derive(Debug, Clone, Copy)]
pub struct Zone {
    /// time_t counts leap seconds (a "right/" zone on glibc): it is
    /// TAI - 10 s, not Unix time.
    right: bool,
}

/// `local(zone, label)`: the local broken-down time of a TAI64 label, an
/// inserted leap second as second 60; `None` for labels `utc_of_label`
/// refuses and times the C library cannot represent.
pub fn local(zone: Zone, label: u64) -> Option<Tm> {
    let t = utc_of_label(label)?;
    if zone.right {
        // Seconds since the TAI epoch minus 10: what such zones expect.
        return localtime((label - EPOCH) as i64 - BASE_OFFSET);
    }
    let mut tm = localtime(t.unix)?;
    if t.leap {
        tm.sec = 60;
    }
    Some(tm)
}

/// `utc(label)`: the UTC broken-down time of a TAI64 label, by arithmetic
/// (glibc's gmtime_r would apply a "right/" `TZ`'s leap seconds), an
/// inserted leap second as second 60; `None` for labels `utc_of_label`
/// refuses and years beyond the C library's (`tm_year`, an `int`).
pub fn utc(label: u64) -> Option<Tm> {
    let t = utc_of_label(label)?;
    let mut tm = utc_calendar(t.unix)?;
    if t.leap {
        tm.sec = 60;
    }
    Some(tm)
}

/// `utc_calendar(unix)`: the proleptic Gregorian UTC date of Unix time
/// `unix`, or `None` when `year - 1900` does not fit an `int` (as gmtime_r).
pub fn utc_calendar(unix: i64) -> Option<Tm> {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400) as u32;
    // Days to civil date, counted in 400-year eras from 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1st
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = era * 400 + yoe + i64::from(month <= 2);
    i32::try_from(year - 1900).ok()?;
    Some(Tm { year, month, day, hour: secs / 3600, min: secs / 60 % 60, sec: secs % 60 })
}

/// `localtime(t)`: the C library's local broken-down time of `t`
/// (`localtime_r`); `None` when it cannot represent it (a year beyond its
/// `int`).
fn localtime(t: i64) -> Option<Tm> {
    // time_t (inferred from the call below) is 64 bits on the platforms
    // s6box builds for; a narrower one refuses what does not fit.
    #[allow(clippy::useless_conversion)]
    let t = t.try_into().ok()?;
    // SAFETY: a zeroed tm is a valid value (integers, and on some systems a
    // null zone name pointer that the call overwrites).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers refer to live locals of the right types for the
    // duration of the call; localtime_r writes only into `tm`.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return None;
    }
    Some(from_c(&tm))
}

/// `from_c(tm)`: the C library's broken-down time as a `Tm`.
fn from_c(tm: &libc::tm) -> Tm {
    Tm {
        year: tm.tm_year as i64 + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        min: tm.tm_min as u32,
        sec: tm.tm_sec as u32,
    }
}

fn two(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

/// `push_date(out, tm)`: appends `YYYY-MM-DD HH:MM:SS`.
pub fn push_date(out: &mut Vec<u8>, tm: &Tm) {
    crate::fmt::push_dec(out, tm.year);
    out.push(b'-');
    two(out, tm.month);
    out.push(b'-');
    two(out, tm.day);
    out.push(b' ');
    two(out, tm.hour);
    out.push(b':');
    two(out, tm.min);
    out.push(b':');
    two(out, tm.sec);
}

/// "00" to "99".
static PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// `push_nanos(out, nanos)`: appends the 9-digit fraction. A value of 10^9
/// or more (not a valid TAI64N stamp) gives its first 9 digits, as s6 does.
pub fn push_nanos(out: &mut Vec<u8>, nanos: u32) {
    let mut d = [0u8; 10];
    let mut n = nanos;
    // Two digits at a time.
    for pair in d.rchunks_exact_mut(2) {
        let r = (n % 100) as usize;
        n /= 100;
        pair.copy_from_slice(&PAIRS[2 * r..2 * r + 2]);
    }
    out.extend_from_slice(if nanos >= 1_000_000_000 { &d[..9] } else { &d[1..] });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example() {
        let s = encode(label_of_unix(1795576152), 500_000_000);
        assert_eq!(&s, b"@400000006b06517d1dcd6500");
        assert_eq!(decode(&s), Some((0x400000006b06517d, 500_000_000)));
    }

    #[test]
    fn table_matches_offsets() {
        // TAI - UTC is 10 s before 1972-07-01, 37 s from 2017-01-01.
        assert_eq!(label_of_unix(0), EPOCH + 10);
        assert_eq!(label_of_unix(78796799), EPOCH + 78796799 + 10);
        assert_eq!(label_of_unix(78796800), EPOCH + 78796800 + 11);
        assert_eq!(label_of_unix(1483228799), EPOCH + 1483228799 + 36);
        assert_eq!(label_of_unix(1483228800), EPOCH + 1483228800 + 37);
        assert!(LEAPS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn round_trip_and_leap_seconds() {
        for &l in &LEAPS {
            for unix in [l - 2, l - 1, l, l + 1] {
                let label = label_of_unix(unix);
                assert_eq!(utc_of_label(label), Some(Utc { unix, leap: false }), "{unix}");
            }
            // The leap second sits between 23:59:59 and 00:00:00.
            let leap = label_of_unix(l - 1) + 1;
            assert_eq!(label_of_unix(l), leap + 1);
            assert_eq!(utc_of_label(leap), Some(Utc { unix: l - 1, leap: true }));
        }
        for unix in [0, 1, 1795576152, 1 << 40] {
            assert_eq!(utc_of_label(label_of_unix(unix)).map(|u| u.unix), Some(unix));
        }
    }

    #[test]
    fn out_of_range_labels() {
        assert_eq!(utc_of_label(EPOCH + 9), None);
        assert_eq!(utc_of_label(EPOCH + 10), Some(Utc { unix: 0, leap: false }));
        assert_eq!(utc_of_label(EPOCH - 1), None);
        assert_eq!(utc_of_label(1 << 63), None);
        assert_eq!(utc_of_label(u64::MAX), None);
    }

    #[test]
    fn decoding() {
        assert_eq!(decode(b"@400000006B06517D1DCD6500"), Some((0x400000006b06517d, 0x1dcd6500)));
        assert_eq!(
            decode(b"@400000006b06517d1dcd6500 rest"),
            Some((0x400000006b06517d, 0x1dcd6500))
        );
        assert_eq!(decode(b"@400000006b06517d1dcd650"), None);
        assert_eq!(decode(b"@400000006b06517d1dcd650g"), None);
        assert_eq!(decode(b" 400000006b06517d1dcd6500"), None);
        assert_eq!(decode(b""), None);
        assert!(stamp_prefix(b"") && stamp_prefix(b"@") && stamp_prefix(b"@4000aF"));
        assert!(!stamp_prefix(b"a") && !stamp_prefix(b"@40g") && !stamp_prefix(b"@4000 "));
        assert!(!stamp_prefix(b"@400000006b06517d1dcd6500"));
    }

    #[test]
    fn formatting() {
        let tm = Tm { year: 2016, month: 12, day: 31, hour: 23, min: 59, sec: 60 };
        let mut out = Vec::new();
        push_date(&mut out, &tm);
        out.push(b'.');
        push_nanos(&mut out, 5);
        assert_eq!(out, b"2016-12-31 23:59:60.000000005");
        let mut out = Vec::new();
        push_nanos(&mut out, 1_000_000_000);
        push_nanos(&mut out, u32::MAX);
        push_nanos(&mut out, 999_999_999);
        assert_eq!(out, b"100000000429496729999999999");
    }

    #[test]
    fn calendar_utc() {
        let tm = utc_calendar(1483228799).unwrap();
        assert_eq!(tm, Tm { year: 2016, month: 12, day: 31, hour: 23, min: 59, sec: 59 });
        assert_eq!(
            utc_calendar(0),
            Some(Tm { year: 1970, month: 1, day: 1, hour: 0, min: 0, sec: 0 })
        );
        let leap = utc(label_of_unix(1483228799) + 1).unwrap();
        assert_eq!(leap, Tm { year: 2016, month: 12, day: 31, hour: 23, min: 59, sec: 60 });
        assert_eq!(utc(label_of_unix(0) - 1), None);
        // Against the C library's gmtime_r, across eras, leap days and the
        // largest year it represents (year - 1900 = i32::MAX).
        let max = 67768036191676799;
        let mut probes = vec![-1, 0, 59, 951_782_400, 951_868_800, 4_107_542_399, max, max + 1];
        // Every few weeks from 1900 to 2200, then sparser up to the limit.
        probes.extend((-2_208_988_800..7_258_118_400).step_by(86_399 * 37 + 7));
        let step = usize::try_from(3_333_333_333_333u64 + 12_345).unwrap_or(usize::MAX);
        probes.extend((-(1i64 << 40)..max).step_by(step));
        for t in probes {
            // A 32-bit time_t (the libc crate's on 32-bit musl) has no
            // answer to compare with past 2038.
            #[allow(clippy::useless_conversion)]
            let Some(tt) = t.try_into().ok() else { continue };
            // SAFETY: a zeroed tm is valid; gmtime_r writes into it only.
            let c = unsafe {
                let mut tm: libc::tm = std::mem::zeroed();
                (!libc::gmtime_r(&tt, &mut tm).is_null()).then(|| from_c(&tm))
            };
            assert_eq!(utc_calendar(t), c, "{t}");
        }
    }

    #[test]
    fn tain_arithmetic() {
        let t = Tain { label: (1 << 62) + 100, nanos: 900_000_000 };
        assert_eq!(Tain::unpack(&t.pack()), t);
        assert_eq!(&t.text()[..], b"@400000000000006435a4e900");
        let u = t.add_ms(1_250);
        assert_eq!(u, Tain { label: (1 << 62) + 102, nanos: 150_000_000 });
        assert_eq!(u.secs_since(&t), 1);
        assert_eq!(t.secs_since(&u), 0);
        assert_eq!(t.ms_until(&u), 1_250);
        assert_eq!(t.ms_until(&Tain { nanos: t.nanos + 1, ..t }), 1);
        assert_eq!(u.ms_until(&t), 0);
    }
}
