//! s6-envuidgid: look an account up, put its uid, gid and supplementary
//! groups in `UID`, `GID` and `GIDLIST`, then exec prog. No credential
//! changes.

use s6box::account;
use s6box::argv::Argv;
use s6box::cli::{Cli, Opt, parse_decimal};
use s6box::creds;
use s6box::{env, exec, exitcode, msg};
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-envuidgid [ -i | -D defaultuid:defaultgid:defaultgidlist ] [ -u | -g | -B ] [ -n ] account prog...";

/// What to look up and which variables to set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A user: `UID`, `GID`, `GIDLIST`.
    All,
    /// `-u`: a user, `UID` only.
    User,
    /// `-g`: a group, `GID` only.
    Group,
    /// `-B`: `user:group`, `UID` and `GID`.
    Both,
}

/// The values taken for an unknown account (`-D`), all zero without it.
#[derive(Debug, Default, PartialEq, Eq)]
struct Defaults {
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
}

/// A number or nothing (0), as in the parts of `-D`.
fn number_or_zero(s: &[u8]) -> Option<u32> {
    if s.is_empty() { Some(0) } else { parse_decimal(OsStr::from_bytes(s)) }
}

fn split_colon(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&c| c == b':') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// `parse_defaults(s)`: `uid[:gid[:gidlist]]`, empty parts meaning 0 or an
/// empty list; `None` if malformed (the empty string is).
fn parse_defaults(s: &[u8]) -> Option<Defaults> {
    if s.is_empty() {
        return None;
    }
    let (uid, rest) = split_colon(s);
    let mut d = Defaults { uid: number_or_zero(uid)?, ..Defaults::default() };
    if let Some(rest) = rest {
        let (gid, list) = split_colon(rest);
        d.gid = number_or_zero(gid)?;
        if let Some(list) = list {
            d.groups = creds::parse_gidlist(list)?;
        }
    }
    Some(d)
}

/// How unknown names are handled.
struct Lookup<'a> {
    numeric: bool,
    defaults: Option<&'a Defaults>,
}

fn cstring(name: &[u8]) -> CString {
    // An argv string has no interior NUL.
    CString::new(name).unwrap_or_default()
}

impl Lookup<'_> {
    /// The uid of user `name`: the database, else the number (`-n`), else
    /// the default (`-D`), else fatal.
    fn uid(&self, name: &[u8]) -> u32 {
        match account::user(&cstring(name)) {
            Ok(Some(u)) => u.uid,
            Ok(None) => self.fallback(name, b"user", |d| d.uid),
            Err(e) => msg::fatal_sys(exitcode::SYS, &[b"getpwnam ", name], e),
        }
    }

    /// The gid of group `name`, with the same fallbacks as `uid`.
    fn gid(&self, name: &[u8]) -> u32 {
        match account::group(&cstring(name)) {
            Ok(Some(g)) => g,
            Ok(None) => self.fallback(name, b"group", |d| d.gid),
            Err(e) => msg::fatal_sys(exitcode::SYS, &[b"getgrnam ", name], e),
        }
    }

    fn fallback(&self, name: &[u8], what: &[u8], pick: fn(&Defaults) -> u32) -> u32 {
        if self.numeric
            && let Some(n) = parse_decimal(OsStr::from_bytes(name))
        {
            return n;
        }
        match self.defaults {
            Some(d) => pick(d),
            None => unknown(what, name),
        }
    }
}

fn unknown(what: &[u8], name: &[u8]) -> ! {
    msg::fatal(exitcode::FAIL, &[b"unknown ", what, b": ", name])
}

fn set_number(name: &str, n: u32) {
    env::set(name, n.to_string());
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut mode, mut numeric, mut defaults) = (Mode::All, false, None);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('u') => mode = Mode::User,
            Opt::Short('g') => mode = Mode::Group,
            Opt::Short('B') => mode = Mode::Both,
            Opt::Short('n') => numeric = true,
            Opt::Short('i') => defaults = None,
            Opt::Short('D') => {
                let v = cli.value();
                defaults = Some(parse_defaults(v.as_bytes()).unwrap_or_else(|| cli.usage()));
            }
            _ => cli.usage(),
        }
    }
    let rest = cli.rest();
    if rest.len() < 2 {
        cli.usage();
    }
    if numeric && mode == Mode::All {
        mode = Mode::Both;
    }
    let account = rest.get(0).to_bytes();
    let look = Lookup { numeric, defaults: defaults.as_ref() };
    let zero = Defaults::default();
    match mode {
        Mode::All => {
            let name = cstring(account);
            let (uid, gid, groups) = match account::user(&name) {
                Ok(Some(u)) => match account::groups_of(&name) {
                    Ok(groups) => (u.uid, u.gid, groups),
                    Err(e) => msg::fatal_sys(exitcode::SYS, &[b"getgrent"], e),
                },
                Ok(None) => {
                    let d = defaults.as_ref().unwrap_or_else(|| unknown(b"user", account));
                    (d.uid, d.gid, d.groups.clone())
                }
                Err(e) => msg::fatal_sys(exitcode::SYS, &[b"getpwnam ", account], e),
            };
            set_number("UID", uid);
            set_number("GID", gid);
            env::set("GIDLIST", gidlist_text(&groups));
        }
        Mode::User => set_number("UID", look.uid(account)),
        Mode::Group => set_number("GID", look.gid(account)),
        Mode::Both => {
            let d = defaults.as_ref().unwrap_or(&zero);
            let (user, group) = split_colon(account);
            // The group is looked up first, as upstream does: with both
            // unknown, the group is the one reported.
            let gid = match group {
                Some(g) if !g.is_empty() => look.gid(g),
                _ => d.gid,
            };
            let uid = match (user.is_empty(), group) {
                (true, Some(_)) => d.uid,
                _ => look.uid(user),
            };
            set_number("UID", uid);
            set_number("GID", gid);
        }
    }
    exec::exec(rest.skip(1))
}

/// `gidlist_text(groups)`: `1,2,3`.
fn gidlist_text(groups: &[u32]) -> String {
    let mut s = String::new();
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&g.to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(uid: u32, gid: u32, groups: &[u32]) -> Option<Defaults> {
        Some(Defaults { uid, gid, groups: groups.to_vec() })
    }

    #[test]
    fn defaults_like_s6() {
        assert_eq!(parse_defaults(b"1:2:3,4"), d(1, 2, &[3, 4]));
        assert_eq!(parse_defaults(b"::"), d(0, 0, &[]));
        assert_eq!(parse_defaults(b":"), d(0, 0, &[]));
        assert_eq!(parse_defaults(b"1"), d(1, 0, &[]));
        assert_eq!(parse_defaults(b"1::3"), d(1, 0, &[3]));
        assert_eq!(parse_defaults(b"1:2:3:4"), d(1, 2, &[3, 4]));
        assert_eq!(parse_defaults(b"1:2:3,x"), d(1, 2, &[3]));
        assert_eq!(parse_defaults(b"01:02:03"), d(1, 2, &[3]));
        assert_eq!(parse_defaults(b"4294967295:1"), d(u32::MAX, 1, &[]));
        for bad in ["", "x", "1x:2", "1:2x:3", " 1:2", "1 :2", "1:2: 3", "1:2:x", "+1:2", "-1:2"] {
            assert_eq!(parse_defaults(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(parse_defaults(b"4294967296:1"), None);
    }

    #[test]
    fn gidlist_joined() {
        assert_eq!(gidlist_text(&[]), "");
        assert_eq!(gidlist_text(&[5]), "5");
        assert_eq!(gidlist_text(&[5, 0, 7]), "5,0,7");
    }
}
