//! Syslog messages turned into the lines s6-socklog and ucspilogd write:
//! a leading `<N>` decoded as `FACILITY.PRIORITY: `, the bytes s6-log
//! scripts select on (`^auth\.`, `^[[:alnum:]]*\.debug:`).

const FACILITIES: [&str; 25] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "unknown", "unknown", "unknown", "unknown", "local0", "local1", "local2", "local3",
    "local4", "local5", "local6", "local7", "mark",
];

const PRIORITIES: [&str; 8] = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"];

/// `pri(msg)`: the value of a leading `<N>` (decimal digits fitting 32
/// bits, leading zeros fine) and the length of that prefix.
pub fn pri(msg: &[u8]) -> Option<(u32, usize)> {
    if msg.first() != Some(&b'<') {
        return None;
    }
    let digits = msg[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || msg.get(1 + digits) != Some(&b'>') {
        return None;
    }
    let mut n: u64 = 0;
    for &c in &msg[1..1 + digits] {
        n = n * 10 + u64::from(c - b'0');
        if n > u64::from(u32::MAX) {
            return None;
        }
    }
    Some((n as u32, digits + 2))
}

/// `push_pri(out, n)`: `FACILITY.PRIORITY: ` for the value `n`.
pub fn push_pri(out: &mut Vec<u8>, n: u32) {
    let f = ((n >> 3) & 127) as usize;
    out.extend_from_slice(FACILITIES.get(f).unwrap_or(&"unknown").as_bytes());
    out.push(b'.');
    out.extend_from_slice(PRIORITIES[(n & 7) as usize].as_bytes());
    out.extend_from_slice(b": ");
}

/// `decode(out, msg)`: the decoded prefix, if any, pushed to `out`;
/// returns the rest of `msg`.
pub fn decode<'a>(out: &mut Vec<u8>, msg: &'a [u8]) -> &'a [u8] {
    match pri(msg) {
        Some((n, len)) => {
            push_pri(out, n);
            &msg[len..]
        }
        None => msg,
    }
}

/// `datagram(out, msg, truncated, raw)`: one s6-socklog line for a
/// datagram: the priority decoded (unless `raw`), trailing NULs and LFs
/// dropped, inner ones shown as `~`, `...` when `truncated`, then LF.
pub fn datagram(out: &mut Vec<u8>, msg: &[u8], truncated: bool, raw: bool) {
    let rest = if raw { msg } else { decode(out, msg) };
    let end = rest.len() - rest.iter().rev().take_while(|&&c| c == 0 || c == b'\n').count();
    out.extend(rest[..end].iter().map(|&c| if c == 0 || c == b'\n' { b'~' } else { c }));
    if truncated {
        out.extend_from_slice(b"...");
    }
    out.push(b'\n');
}

/// `stamp_len(line)`: 26 when `line` starts with `@`, 24 bytes and a
/// space (a TAI64N label s6-log or s6-tai64n put there), else 0.
pub fn stamp_len(line: &[u8]) -> usize {
    if line.first() == Some(&b'@') && line.iter().position(|&c| c == b' ') == Some(25) {
        26
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(m: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        datagram(&mut o, m, false, false);
        o
    }

    #[test]
    fn decoding() {
        assert_eq!(line(b"<13>hi"), b"user.notice: hi\n");
        assert_eq!(line(b"<1024>x"), b"kern.emerg: x\n");
        assert_eq!(line(b"<4294967296>x"), b"<4294967296>x\n");
        assert_eq!(line(b"<4294967295>x"), b"unknown.debug: x\n");
        assert_eq!(line(b"<0013>z"), b"user.notice: z\n");
        assert_eq!(line(b"<>e"), b"<>e\n");
        assert_eq!(line(b"<13"), b"<13\n");
        assert_eq!(line(b"a\0b\nc\n\0"), b"a~b~c\n");
        assert_eq!(line(b"\n\0"), b"\n");
        assert_eq!(line(b"<191>r\r\xe9"), b"local7.debug: r\r\xe9\n");
        assert_eq!(line(b"<34>x"), b"auth.crit: x\n");
        assert_eq!(line(b"<192>x"), b"mark.emerg: x\n");
        assert_eq!(line(b"<200>x"), b"unknown.emerg: x\n");
        assert_eq!(line(b"<96>x"), b"unknown.emerg: x\n");
        assert_eq!(stamp_len(b"@400000006745f0a123456789 x"), 26);
        assert_eq!(stamp_len(b"@40000000 x"), 0);
    }
}
