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

/// The counts of a client payload, gathered before it is written, so
/// that the payload is one allocation of the exact size.
#[derive(Default, Clone, Copy)]
pub struct Sizes {
    argc: usize,
    envc: usize,
    arglen: usize,
    envlen: usize,
}

/// `cut(s)`: `s` up to its first NUL (a C string cannot hold more).
fn cut(s: &[u8]) -> &[u8] {
    s.iter().position(|&c| c == 0).map_or(s, |i| &s[..i])
}

impl Sizes {
    /// `arg(a)`: counts one argument.
    pub fn arg(&mut self, a: &[u8]) {
        self.argc += 1;
        self.arglen += cut(a).len() + 1;
    }

    /// `var(e)`: counts one `NAME=value` string.
    pub fn var(&mut self, e: &[u8]) {
        self.envc += 1;
        self.envlen += cut(e).len() + 1;
    }

    /// `start()`: a buffer holding the banner and the counts, with room
    /// for exactly the strings counted, to be added with `push` (the
    /// arguments first).
    pub fn start(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PAYLOAD_HEAD + self.arglen + self.envlen);
        out.extend_from_slice(CLIENT_BANNER);
        for n in [self.argc, self.envc, self.arglen, self.envlen] {
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        out
    }
}

/// `push(out, s)`: appends one string (cut at a NUL) and its NUL.
pub fn push(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(cut(s));
    out.push(0);
}

/// `request(args, env)`: the client payload for `args` and `env` (each
/// env entry `NAME=value`; a NUL inside a string cuts it there).
pub fn request(args: &[&[u8]], env: &[&[u8]]) -> Vec<u8> {
    let mut sizes = Sizes::default();
    args.iter().for_each(|a| sizes.arg(a));
    env.iter().for_each(|e| sizes.var(e));
    let mut out = sizes.start();
    args.iter().chain(env).for_each(|s| push(&mut out, s));
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
    /// The client's `NAME=value` strings, each NUL-terminated (see
    /// `vars`).
    pub env: &'a [u8],
}

impl<'a> Request<'a> {
    /// `vars()`: the client's `NAME=value` strings.
    pub fn vars(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        // Each string ends with a NUL: split the block less its last one.
        let body = self.env.split_last().map(|(_, body)| body);
        body.into_iter().flat_map(|b| b.split(|&c| c == 0))
    }
}

fn u32_at(p: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]])
}

/// `counted(block, n)`: whether `block` is exactly `n` NUL-terminated
/// strings.
fn counted(block: &[u8], n: u32) -> bool {
    block.last().is_none_or(|&c| c == 0) && block.iter().filter(|&&c| c == 0).count() == n as usize
}

/// `strings(block, n)`: the `n` NUL-terminated strings filling `block`
/// exactly, or `None`.
fn strings(block: &[u8], n: u32) -> Option<Vec<&[u8]>> {
    if !counted(block, n) {
        return None;
    }
    let mut v = Vec::with_capacity(n as usize);
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
    let env = &body[arglen..];
    if !counted(env, envc) {
        return Err(Malformed::Counts);
    }
    let req = Request { args, env };
    if req.vars().any(|e| !e.contains(&b'=')) {
        return Err(Malformed::Environment);
    }
    Ok(req)
}

/// `client_value(req, name)`: the value the client sent for `name` (its
/// first `name=` string), if any.
pub fn client_value<'a>(req: &Request<'a>, name: &[u8]) -> Option<&'a [u8]> {
    req.vars().find_map(|e| {
        (e.len() > name.len() && e.starts_with(name) && e[name.len()] == b'=')
            .then(|| &e[name.len() + 1..])
    })
}

/// `filtered_value(own, client_env, name)`: the value the program gets for
/// a variable of the server's environment: the client's when the
/// server's is empty and the client sent one, else the server's own. (A
/// variable absent from the server's environment is never created.)
pub fn filtered_value<'a>(own: &'a [u8], req: &Request<'a>, name: &[u8]) -> &'a [u8] {
    if own.is_empty() { client_value(req, name).unwrap_or(own) } else { own }
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
        assert_eq!(r.vars().collect::<Vec<_>>(), [&b"X=1"[..], b"EMPTY="]);
        let none = request(&[], &[]);
        assert_eq!(none.len(), PAYLOAD_HEAD);
        assert_eq!(parse(&none).unwrap(), Request { args: vec![], env: b"" });
        assert_eq!(parse(&none).unwrap().vars().count(), 0);
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
        let p = request(&[], &[b"A=client", b"B=", b"A=second"]);
        let env = parse(&p).unwrap();
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
