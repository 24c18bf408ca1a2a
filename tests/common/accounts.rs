//! A private account database for the privilege tools' tests: temporary
//! `passwd` and `group` files bind-mounted over /etc/passwd and /etc/group
//! in a private mount namespace (`unshare -m`, needs root), so tests never
//! read or touch the machine's accounts. glibc's NSS "files" source reads
//! those paths, so s6box (glibc debug build) and Debian's programs both see
//! the private database.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The users: several supplementary groups (alice), none (bob), a primary
/// group also listed as supplementary (carol), and a gid shared by two
/// groups naming dave.
pub const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/sh
alice:x:1001:1001::/:/bin/sh
bob:x:1002:1002::/:/bin/sh
carol:x:1003:1003::/:/bin/sh
dave:x:1004:1004::/:/bin/sh
nobody:x:65534:65534::/nonexistent:/bin/sh
";

/// The groups, in the order `GIDLIST` must follow.
pub const GROUP: &str = "\
root:x:0:
alice:x:1001:
bob:x:1002:
carol:x:1003:carol
wheel:x:2001:alice,dave
audio:x:2002:carol,alice
video:x:2003:alice,bobby
staff:x:2004:dave,dave
wheel2:x:2001:dave
nogroup:x:65534:
";

/// The two files of one test's database (and the temporary directory
/// holding them, removed with the `Db`, when it made one).
pub struct Db {
    passwd: PathBuf,
    group: PathBuf,
    tmp: Option<crate::common::Tmp>,
}

impl Db {
    /// `temp(tag)`: the database in a temporary directory of its own.
    pub fn temp(tag: &str) -> Db {
        Db::temp_with(tag, PASSWD, GROUP)
    }

    /// `temp_with(tag, passwd, group)`: as `temp`, of these contents.
    pub fn temp_with(tag: &str, passwd_text: &str, group_text: &str) -> Db {
        let tmp = crate::common::Tmp::new(tag);
        let mut db = Db::with(&tmp, passwd_text, group_text);
        db.tmp = Some(tmp);
        db
    }

    /// `new(dir)`: writes the database into `dir`.
    pub fn new(dir: &Path) -> Db {
        Db::with(dir, PASSWD, GROUP)
    }

    /// `with(dir, passwd, group)`: writes a database of these contents.
    pub fn with(dir: &Path, passwd_text: &str, group_text: &str) -> Db {
        let passwd = dir.join("passwd");
        let group = dir.join("group");
        std::fs::write(&passwd, passwd_text).unwrap();
        std::fs::write(&group, group_text).unwrap();
        Db { passwd, group, tmp: None }
    }

    /// `cmd(prog, args, nobody)`: a command running `prog args...` with
    /// this database in place, as root with the supplementary list [0] or,
    /// with `nobody`, as uid/gid 65534 with no supplementary groups
    /// (dropped after the mounts by setpriv).
    pub fn cmd<S: AsRef<OsStr>>(&self, prog: &Path, args: &[S], nobody: bool) -> Command {
        let mut c = Command::new("unshare");
        c.arg("-m").arg("sh").arg("-c");
        c.arg(r#"mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@""#);
        c.arg("sh").arg(&self.passwd).arg(&self.group);
        if nobody {
            // nobody as after a login (initgroups): supplementary list
            // [65534], which is what "already the target" means.
            c.args(["setpriv", "--reuid=65534", "--regid=65534", "--groups=65534"]);
        } else {
            // Root as after a login (initgroups): supplementary list [0].
            c.args(["setpriv", "--groups=0"]);
        }
        c.arg(prog).args(args);
        c
    }

    /// `run(prog, args, nobody)`: runs `cmd` and captures its output.
    pub fn run<S: AsRef<OsStr>>(&self, prog: &Path, args: &[S], nobody: bool) -> Output {
        crate::common::run(&mut self.cmd(prog, args, nobody))
    }
}

/// The shell program tests chain into: prints `id`, the credentials lines
/// of /proc/self/status, and the `UID`, `GID`, `GIDLIST` variables.
pub const SHOW: [&str; 3] = [
    "/bin/sh",
    "-c",
    "id; grep -E '^(Uid|Gid|Groups):' /proc/self/status; env | grep -E '^(UID|GID|GIDLIST)=' | sort; exit 0",
];

/// `tail(stderr)`: each stderr line without its `PROG: ` prefix, so
/// messages compare across programs (upstream s6-setuidgid's come from
/// s6-envuidgid and s6-applyuidgid).
pub fn tail(stderr: &[u8]) -> String {
    crate::common::text(stderr)
        .lines()
        .map(|l| l.split_once(": ").map_or(l, |(_, rest)| rest).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
