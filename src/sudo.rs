//! The s6-sudo protocol (`s6-sudoc` talking to `s6-sudod`), byte for
//! byte as s6's: the server's banner; one framed message from the client
//! (`fdpass` framing, its stdin, stdout and stderr attached) whose
//! payload is the client banner, u32 argc, u32 envc, u32 bytes of
//! arguments, u32 bytes of environment (big-endian), then the arguments
//! and the `NAME=value` strings, each NUL-terminated; the server's answer
//! byte (0: the program runs, else an errno value); the program's raw
//! wait status as a u32. Parsing is strict and bounded: a malformed
//! message is an error naming what is wrong, never a panic.

/// What `s6-sudod` writes first.
pub const SERVER_BANNER: &[u8; 15] = b"s6-sudo b v1.0\n";
/// What starts the client's payload.
pub const CLIENT_BANNER: &[u8; 15] = b"s6-sudo a v1.0\n";
/// The client banner and the four counts.
pub const PAYLOAD_HEAD: usize = CLIENT_BANNER.len() + 16;
/// The largest payload a server accepts (16 MiB: more than any argument
/// list and environment the client could have been started with).
pub const MAX_PAYLOAD: usize = 1 << 24;
/// The most arguments, or variables, a server accepts (2.15's limit).
pub const MAX_STRINGS: u32 = 131072;
/// The descriptors a client sends: its stdin, stdout, stderr.
pub const FDS: usize = 3;

/// `request(args, env)`: the client payload for `args` and `env` (each
/// env entry `NAME=value`; a NUL inside a string cuts it there).
pub fn request(args: &[&[u8]], env: &[&[u8]]) -> Vec<u8> {
    let cut = |s: &[u8]| s.iter().position(|&c| c == 0).map_or(s.len(), |i| i);
    let arglen: usize = args.iter().map(|a| cut(a) + 1).sum();
    let envlen: usize = env.iter().map(|e| cut(e) + 1).sum();
    let mut out = Vec::with_capacity(PAYLOAD_HEAD + arglen + envlen);
    out.extend_from_slice(CLIENT_BANNER);
    for n in [args.len(), env.len(), arglen, envlen] {
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    for s in args.iter().chain(env) {
        out.extend_from_slice(&s[..cut(s)]);
        out.push(0);
    }
    out
}

/// What is wrong with a client's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Too short to hold the banner and the counts.
    Message,
    /// Not the client banner.
    Banner,
    /// More than `MAX_STRINGS` arguments or variables announced.
    TooMany,
    /// The byte counts do not add up to the payload's length.
    Lengths,
    /// The strings do not match argc or envc (or lack their NUL).
    Counts,
    /// A variable without `=`.
    Environment,
}

impl Malformed {
    /// `text()`: s6-sudod's message for it (exit 100).
    pub fn text(self) -> &'static [u8] {
        match self {
            Malformed::Message => b"wrong client message",
            Malformed::Banner => b"wrong client banner",
            Malformed::TooMany => b"too many args/envvars from client",
            Malformed::Lengths | Malformed::Counts => b"wrong client argc/envlen",
            Malformed::Environment => b"bad environment from client",
        }
    }

    /// `answered()`: whether the server answers EINVAL before dying (where
    /// 2.15 does: the strings themselves are wrong).
    pub fn answered(self) -> bool {
        matches!(self, Malformed::Counts | Malformed::Environment)
    }
}

/// A client's request: its arguments and environment, borrowed from the
/// payload (without their NULs).
#[derive(Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The client's arguments, appended to the server's.
    pub args: Vec<&'a [u8]>,
    /// The client's `NAME=value` strings.
    pub env: Vec<&'a [u8]>,
}

fn u32_at(p: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]])
}

/// `strings(block, n)`: the `n` NUL-terminated strings filling `block`
/// exactly, or `None`.
fn strings(block: &[u8], n: u32) -> Option<Vec<&[u8]>> {
    if block.last().is_some_and(|&c| c != 0) {
        return None;
    }
    let count = block.iter().filter(|&&c| c == 0).count();
    if count != n as usize {
        return None;
    }
    let mut v = Vec::with_capacity(count);
    if let Some((_, body)) = block.split_last() {
        v.extend(body.split(|&c| c == 0));
    }
    Some(v)
}

/// `parse(payload)`: the request a client's payload holds, or what is
/// wrong with it.
pub fn parse(payload: &[u8]) -> Result<Request<'_>, Malformed> {
    if payload.len() < PAYLOAD_HEAD {
        return Err(Malformed::Message);
    }
    if &payload[..CLIENT_BANNER.len()] != CLIENT_BANNER {
        return Err(Malformed::Banner);
    }
    let b = CLIENT_BANNER.len();
    let (argc, envc) = (u32_at(payload, b), u32_at(payload, b + 4));
    let (arglen, envlen) = (u32_at(payload, b + 8) as usize, u32_at(payload, b + 12) as usize);
    if argc > MAX_STRINGS || envc > MAX_STRINGS {
        return Err(Malformed::TooMany);
    }
    let body = &payload[PAYLOAD_HEAD..];
    if arglen.checked_add(envlen) != Some(body.len()) {
        return Err(Malformed::Lengths);
    }
    let args = strings(&body[..arglen], argc).ok_or(Malformed::Counts)?;
    let env = strings(&body[arglen..], envc).ok_or(Malformed::Counts)?;
    if env.iter().any(|e| !e.contains(&b'=')) {
        return Err(Malformed::Environment);
    }
    Ok(Request { args, env })
}

/// `client_value(env, name)`: the value the client sent for `name` (its
/// first `name=` string), if any.
pub fn client_value<'a>(env: &[&'a [u8]], name: &[u8]) -> Option<&'a [u8]> {
    env.iter().find_map(|e| {
        (e.len() > name.len() && e.starts_with(name) && e[name.len()] == b'=')
            .then(|| &e[name.len() + 1..])
    })
}

/// `filtered_value(own, client_env, name)`: the value the program gets for
/// a variable of the server's environment: the client's when the
/// server's is empty and the client sent one, else the server's own. (A
/// variable absent from the server's environment is never created.)
pub fn filtered_value<'a>(own: &'a [u8], env: &[&'a [u8]], name: &[u8]) -> &'a [u8] {
    if own.is_empty() { client_value(env, name).unwrap_or(own) } else { own }
}

/// `status(raw)`: the wait status as the server sends it.
pub fn status(raw: i32) -> [u8; 4] {
    (raw as u32).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip() {
        let p = request(&[b"a", b"", b"c d"], &[b"X=1", b"EMPTY="]);
        assert_eq!(&p[..15], CLIENT_BANNER);
        assert_eq!(&p[15..31], &[0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 11]);
        let r = parse(&p).unwrap();
        assert_eq!(r.args, [&b"a"[..], b"", b"c d"]);
        assert_eq!(r.env, [&b"X=1"[..], b"EMPTY="]);
        let none = request(&[], &[]);
        assert_eq!(none.len(), PAYLOAD_HEAD);
        assert_eq!(parse(&none).unwrap(), Request { args: vec![], env: vec![] });
    }

    fn with_counts(argc: u32, envc: u32, arglen: u32, envlen: u32, body: &[u8]) -> Vec<u8> {
        let mut p = CLIENT_BANNER.to_vec();
        for n in [argc, envc, arglen, envlen] {
            p.extend_from_slice(&n.to_be_bytes());
        }
        p.extend_from_slice(body);
        p
    }

    #[test]
    fn malformed_payloads() {
        assert_eq!(parse(b"s6-sudo a v1.0\n\0\0"), Err(Malformed::Message));
        let mut p = request(&[], &[]);
        p[8] = b'x';
        assert_eq!(parse(&p), Err(Malformed::Banner));
        assert_eq!(parse(&with_counts(131073, 0, 0, 0, b"")), Err(Malformed::TooMany));
        assert_eq!(parse(&with_counts(0, u32::MAX, 0, 0, b"")), Err(Malformed::TooMany));
        assert_eq!(parse(&with_counts(1, 0, 2, 0, b"a\0junk")), Err(Malformed::Lengths));
        assert_eq!(parse(&with_counts(0, 0, u32::MAX, u32::MAX, b"")), Err(Malformed::Lengths));
        assert_eq!(parse(&with_counts(5, 0, 2, 0, b"a\0")), Err(Malformed::Counts));
        assert_eq!(parse(&with_counts(0, 0, 2, 0, b"a\0")), Err(Malformed::Counts));
        assert_eq!(parse(&with_counts(1, 0, 2, 0, b"ab")), Err(Malformed::Counts));
        assert_eq!(parse(&with_counts(0, 1, 0, 3, b"X=1")), Err(Malformed::Counts));
        assert_eq!(parse(&with_counts(0, 1, 0, 5, b"NOEQ\0")), Err(Malformed::Environment));
        assert!(Malformed::Environment.answered() && !Malformed::Lengths.answered());
    }

    #[test]
    fn environment_filter() {
        let env: [&[u8]; 3] = [b"A=client", b"B=", b"A=second"];
        assert_eq!(client_value(&env, b"A"), Some(&b"client"[..]));
        assert_eq!(client_value(&env, b"B"), Some(&b""[..]));
        assert_eq!(client_value(&env, b"C"), None);
        assert_eq!(filtered_value(b"", &env, b"A"), b"client");
        assert_eq!(filtered_value(b"server", &env, b"A"), b"server");
        assert_eq!(filtered_value(b"", &env, b"C"), b"");
    }

    #[test]
    fn status_bytes() {
        assert_eq!(status(3 << 8), [0, 0, 3, 0]);
        assert_eq!(status(9), [0, 0, 0, 9]);
    }
}
