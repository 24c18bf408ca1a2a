//! s6-setuidgid: run prog as an account, given as a user name or as
//! `uid:gid`. Done in-process: no chainloading through s6-envuidgid and
//! s6-applyuidgid.

use s6box::account;
use s6box::argv::Argv;
use s6box::cli::{Cli, parse_decimal};
use s6box::creds::{self, Target};
use s6box::{exec, exitcode, msg};
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-setuidgid username prog...";

/// `numeric(account)`: the target of `uid:gid` (both decimal, the group
/// list just the gid), or `None` if either part is not a number.
fn numeric(account: &[u8]) -> Option<Target> {
    let colon = account.iter().position(|&c| c == b':')?;
    let uid = parse_decimal(OsStr::from_bytes(&account[..colon]))?;
    let gid = parse_decimal(OsStr::from_bytes(&account[colon + 1..]))?;
    Some(Target { uid: Some(uid), gid: Some(gid), groups: Some(Vec::new()) })
}

/// `by_name(name)`: the target for user `name` (uid, primary gid, the
/// groups whose member list names it); dies with 1 if there is no such user.
fn by_name(name: &[u8]) -> Target {
    let c = CString::new(name).unwrap_or_default();
    match account::user(&c) {
        Ok(Some(u)) => match account::groups_of(&c) {
            Ok(groups) => Target { uid: Some(u.uid), gid: Some(u.gid), groups: Some(groups) },
            Err(e) => msg::fatal_sys(exitcode::SYS, &[b"getgrent"], e),
        },
        Ok(None) => msg::fatal(exitcode::FAIL, &[b"unknown user: ", name]),
        Err(e) => msg::fatal_sys(exitcode::SYS, &[b"getpwnam ", name], e),
    }
}

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let rest = cli.operands(2);
    let account = rest.get(0).to_bytes();
    let prog = rest.skip(1);
    if account.is_empty() {
        exec::exec(prog);
    }
    let by_user = !account.contains(&b':');
    let target =
        if by_user { by_name(account) } else { numeric(account).unwrap_or_else(|| cli.usage()) };
    creds::become_or_die(&target, by_user);
    exec::exec(prog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_gid_pairs() {
        let t = |u, g| Some(Target { uid: Some(u), gid: Some(g), groups: Some(Vec::new()) });
        assert_eq!(numeric(b"1:2"), t(1, 2));
        assert_eq!(numeric(b"0:0"), t(0, 0));
        assert_eq!(numeric(b"4294967295:4294967295"), t(u32::MAX, u32::MAX));
        for bad in ["1:", ":1", ":", "1:x", "x:1", "1:2:3", "4294967296:1", "-1:2", "1: 2"] {
            assert_eq!(numeric(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
