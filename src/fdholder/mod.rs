//! The fd-holder's wire format (`../shared/spec/fdholder.md`): identifiers,
//! deadlines, the requests and answers byte by byte, the dump batches, the
//! quoting of `s6-fdholder-list` and the `S6_FD#` environment of getdump.
//! Pure parsing and building: the transport (framed messages with
//! descriptors) is elsewhere. Parsing is strict and bounded: a length an
//! attacker chose is checked against the largest valid message before
//! anything is allocated.

use crate::tai::{TAIN_LEN, Tain};

pub mod client;
pub mod daemon;
pub mod server;
pub mod table;

/// The longest identifier.
pub const ID_MAX: usize = 255;
/// The most descriptors one message carries.
pub const FDS_MAX: usize = crate::fdpass::MAX_FDS;
/// A framed message's header: u32 body length, u16 descriptor count.
pub const HEADER_LEN: usize = crate::fdpass::HEADER;
/// The largest body of a valid request: a setdump batch of 253 entries
/// with 255-byte identifiers (a longer header is a protocol error).
pub const REQUEST_MAX: usize = 1 + FDS_MAX * (TAIN_LEN + 1 + ID_MAX + 1);
/// The largest body any fd-holder message may announce (2.15's bound).
pub const BODY_MAX: usize = 1 << 28;

/// Answer bytes (Linux errno numbers; a client sets errno to the byte).
pub mod code {
    /// Success.
    pub const OK: u8 = 0;
    /// No right for that request.
    pub const EPERM: u8 = 1;
    /// No such identifier.
    pub const ENOENT: u8 = 2;
    /// More setdump batches expected.
    pub const EAGAIN: u8 = 11;
    /// Identifier already held.
    pub const EBUSY: u8 = 16;
    /// The daemon is full (`-n`).
    pub const ENFILE: u8 = 23;
}

/// `parse_header(h, max)`: (body length, descriptor count), or `None`
/// when the header announces more than `max` bytes or 253 descriptors.
pub fn parse_header(h: &[u8], max: usize) -> Option<(usize, usize)> {
    let (len, n) = crate::fdpass::parse_header(h)?;
    (len <= max.min(BODY_MAX) && n <= FDS_MAX).then_some((len, n))
}

/// `valid_id(id)`: 1 to 255 bytes, no NUL.
pub fn valid_id(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= ID_MAX && !id.contains(&0)
}

/// `never(now)`: the deadline clients give for "no expiry": now + 2^61 s.
pub fn never(now: Tain) -> Tain {
    Tain { label: now.label.saturating_add(1 << 61), nanos: now.nanos }
}

/// `is_never(deadline, now)`: at least 2^60 s away, shown as no limit.
pub fn is_never(deadline: &Tain, now: &Tain) -> bool {
    deadline.label >= now.label.saturating_add(1 << 60)
}

/// `batches(total)`: how many dump batches carry `total` descriptors.
pub fn batches(total: usize) -> usize {
    total.div_ceil(FDS_MAX)
}

/// A request, borrowed from its body.
#[derive(Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// `S`: hold the one descriptor carried under `id` until `deadline`.
    Store { deadline: Tain, id: &'a [u8] },
    /// `D`: close and forget `id`.
    Delete { id: &'a [u8] },
    /// `R`: send a copy of `id`'s descriptor, and forget it if `del`.
    Retrieve { del: bool, id: &'a [u8] },
    /// `L`: the identifiers.
    List,
    /// `?`: the whole state.
    GetDump,
    /// `!`: a set of `count` descriptors follows in batches.
    SetDump { count: u32 },
    /// `.`: one batch of a setdump, its entries (one per descriptor).
    Batch(Entries<'a>),
}

/// `parse_request(body, nfds)`: the request, or `None` if malformed
/// (unknown letter, wrong length, missing NUL, bad identifier, wrong
/// number of descriptors).
pub fn parse_request(body: &[u8], nfds: usize) -> Option<Request<'_>> {
    let (&letter, rest) = body.split_first()?;
    let want_fds = |n: usize| (nfds == n).then_some(());
    match letter {
        b'S' => {
            want_fds(1)?;
            let (deadline, rest) = (rest.get(..TAIN_LEN)?, &rest[TAIN_LEN.min(rest.len())..]);
            let id = counted_id(rest, true)?;
            Some(Request::Store { deadline: Tain::unpack(deadline), id })
        }
        b'D' => {
            want_fds(0)?;
            Some(Request::Delete { id: counted_id(rest, true)? })
        }
        b'R' => {
            want_fds(0)?;
            let (&del, rest) = rest.split_first()?;
            Some(Request::Retrieve { del: del != 0, id: counted_id(rest, true)? })
        }
        b'L' if rest.is_empty() => want_fds(0).map(|_| Request::List),
        b'?' if rest.is_empty() => want_fds(0).map(|_| Request::GetDump),
        b'!' if rest.len() == 4 => {
            want_fds(0)?;
            Some(Request::SetDump { count: u32::from_be_bytes(rest.try_into().ok()?) })
        }
        b'.' => {
            if nfds == 0 {
                return None;
            }
            let e = Entries(rest);
            (e.clone().count_valid()? == nfds).then_some(Request::Batch(e))
        }
        _ => None,
    }
}

/// `counted_id(b, whole)`: `len(1) id NUL` at the start of `b` (and
/// nothing after it when `whole`).
fn counted_id(b: &[u8], whole: bool) -> Option<&[u8]> {
    let (&len, rest) = b.split_first()?;
    let len = usize::from(len);
    let id = rest.get(..len)?;
    if rest.get(len) != Some(&0) || !valid_id(id) || (whole && rest.len() != len + 1) {
        return None;
    }
    Some(id)
}

/// The entries of a dump batch: `deadline(12) len(1) id NUL`, repeated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entries<'a>(pub &'a [u8]);

impl<'a> Entries<'a> {
    /// `count_valid()`: the number of entries, or `None` if any is
    /// malformed or bytes are left over.
    pub fn count_valid(self) -> Option<usize> {
        let mut n = 0;
        let mut rest = self.0;
        while !rest.is_empty() {
            let (_, id, r) = entry(rest)?;
            let _ = id;
            rest = r;
            n += 1;
        }
        Some(n)
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = (Tain, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let (t, id, rest) = entry(self.0)?;
        self.0 = rest;
        Some((t, id))
    }
}

/// `entry(b)`: one dump entry at the start of `b`, and what follows.
fn entry(b: &[u8]) -> Option<(Tain, &[u8], &[u8])> {
    let t = Tain::unpack(b.get(..TAIN_LEN)?);
    let rest = &b[TAIN_LEN..];
    let id = counted_id(rest, false)?;
    Some((t, id, &rest[id.len() + 2..]))
}

/// `push_entry(out, deadline, id)`: appends one dump entry.
pub fn push_entry(out: &mut Vec<u8>, deadline: &Tain, id: &[u8]) {
    out.extend_from_slice(&deadline.pack());
    push_id(out, id);
}

/// `push_id(out, id)`: appends `len(1) id NUL`.
fn push_id(out: &mut Vec<u8>, id: &[u8]) {
    out.push(id.len() as u8);
    out.extend_from_slice(id);
    out.push(0);
}

/// `store(deadline, id)`: an `S` request's body (with one descriptor).
pub fn store(deadline: &Tain, id: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(TAIN_LEN + id.len() + 3);
    b.push(b'S');
    push_entry(&mut b, deadline, id);
    b
}

/// `delete(id)`: a `D` request's body.
pub fn delete(id: &[u8]) -> Vec<u8> {
    let mut b = vec![b'D'];
    push_id(&mut b, id);
    b
}

/// `retrieve(id, del)`: an `R` request's body.
pub fn retrieve(id: &[u8], del: bool) -> Vec<u8> {
    let mut b = vec![b'R', u8::from(del)];
    push_id(&mut b, id);
    b
}

/// `setdump(count)`: a `!` request's body.
pub fn setdump(count: u32) -> Vec<u8> {
    let mut b = vec![b'!'];
    b.extend_from_slice(&count.to_be_bytes());
    b
}

/// `list_answer_ids(body)`: the identifiers of a successful `L` answer
/// (after its 0 byte): count(4) then each id and a NUL; `None` if the
/// count and the ids disagree.
pub fn list_answer_ids(body: &[u8]) -> Option<Vec<&[u8]>> {
    let n = u32::from_be_bytes(body.get(..4)?.try_into().ok()?) as usize;
    let mut rest = &body[4..];
    let mut ids = Vec::with_capacity(n.min(rest.len()));
    while !rest.is_empty() {
        let end = rest.iter().position(|&c| c == 0)?;
        ids.push(&rest[..end]);
        rest = &rest[end + 1..];
    }
    (ids.len() == n).then_some(ids)
}

/// `quote(out, id)`: appends `id` as s6-fdholder-list prints it: `\a` to
/// `\r` for bytes 7 to 13, `\\`, `\0x` and two lowercase hex digits for
/// other controls and bytes 127 to 255, everything else as is.
pub fn quote(out: &mut Vec<u8>, id: &[u8]) {
    for &c in id {
        match c {
            7..=13 => {
                out.push(b'\\');
                out.push(b"abtnvfr"[usize::from(c - 7)]);
            }
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=31 | 127..=255 => {
                out.extend_from_slice(b"\\0x");
                crate::fmt::push_hex(out, &[c]);
            }
            _ => out.push(c),
        }
    }
}

/// `parse_limit(v)`: an `S6_FDLIMIT_i` value, `@` and 24 hex digits
/// (either case).
pub fn parse_limit(v: &[u8]) -> Option<Tain> {
    let (label, nanos) = crate::tai::decode(v)?;
    (v.len() == crate::tai::STAMP_LEN).then_some(Tain { label, nanos })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fdpass::header;

    #[test]
    fn spec_example_bytes() {
        let t = Tain::unpack(&[0x60, 0, 0, 0, 0x6b, 0x15, 0xcf, 0xf7, 0x1a, 3, 0, 0x91]);
        let b = store(&t, b"xfoo");
        assert_eq!(header(b.len(), 1), [0, 0, 0, 0x13, 0, 1]);
        assert_eq!(parse_request(&b, 1), Some(Request::Store { deadline: t, id: b"xfoo" }));
        assert_eq!(parse_request(&b, 0), None);
        let r = retrieve(b"xfoo", false);
        assert_eq!(r, b"R\0\x04xfoo\0");
        assert_eq!(parse_request(&r, 0), Some(Request::Retrieve { del: false, id: b"xfoo" }));
    }

    #[test]
    fn malformed_requests() {
        for (b, n) in [
            (&b""[..], 0),
            (b"Z", 0),
            (b"L", 1),
            (b"Lx", 0),
            (b"D\x04xfoo", 0),
            (b"D\x04xfoo\0x", 0),
            (b"D\x00\0", 0),
            (b"D\x03xf\0o\0", 0),
            (b"R\0\x05xfoo\0", 0),
            (b"!\0\0\0", 0),
            (b".", 1),
        ] {
            assert_eq!(parse_request(b, n), None, "{b:?}");
        }
    }

    #[test]
    fn batches_and_entries() {
        assert_eq!((batches(0), batches(1), batches(253), batches(254)), (0, 1, 1, 2));
        let mut b = vec![b'.'];
        let t = Tain { label: 5, nanos: 6 };
        push_entry(&mut b, &t, b"a");
        push_entry(&mut b, &t, b"bc");
        let Some(Request::Batch(e)) = parse_request(&b, 2) else { panic!() };
        assert_eq!(e.collect::<Vec<_>>(), vec![(t, &b"a"[..]), (t, &b"bc"[..])]);
        assert_eq!(parse_request(&b, 3), None);
        assert!(parse_header(&header(REQUEST_MAX + 1, 0), REQUEST_MAX).is_none());
        assert!(parse_header(&header(10, 254), REQUEST_MAX).is_none());
    }

    #[test]
    fn quoting() {
        let mut o = Vec::new();
        quote(&mut o, b"a b\"\\\x07\r\x01\x7f\xff");
        assert_eq!(o, b"a b\"\\\\\\a\\r\\0x01\\0x7f\\0xff");
    }
}
