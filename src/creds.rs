//! Changing credentials: supplementary groups, then gid, then uid. A call
//! whose result is already in place is skipped, so a process that already
//! runs as the target account succeeds where upstream s6 fails on
//! `setgroups: Operation not permitted`.

use crate::msg::errno;
use rustix::io::Errno;

/// What to become; `None` leaves that part as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// The uid to take.
    pub uid: Option<u32>,
    /// The gid to take.
    pub gid: Option<u32>,
    /// The supplementary groups (the gid is put first if missing).
    pub groups: Option<Vec<u32>>,
}

/// `current_groups()`: the supplementary group list of this process.
pub fn current_groups() -> Result<Vec<u32>, Errno> {
    // SAFETY: a null buffer with size 0 asks for the count only; then the
    // buffer holds `n` gids and getgroups writes at most that many.
    unsafe {
        let n = libc::getgroups(0, std::ptr::null_mut());
        if n < 0 {
            return Err(errno());
        }
        let mut v: Vec<libc::gid_t> = vec![0; n as usize];
        let m = libc::getgroups(n, v.as_mut_ptr());
        if m < 0 {
            return Err(errno());
        }
        v.truncate(m as usize);
        Ok(v.into_iter().collect())
    }
}

/// `full_list(gid, groups)`: `groups` with `gid` first if it is missing.
pub fn full_list(gid: u32, groups: &[u32]) -> Vec<u32> {
    let mut list = Vec::with_capacity(groups.len() + 1);
    if !groups.contains(&gid) {
        list.push(gid);
    }
    list.extend_from_slice(groups);
    list
}

fn same_set(mut a: Vec<u32>, mut b: Vec<u32>) -> bool {
    a.sort_unstable();
    a.dedup();
    b.sort_unstable();
    b.dedup();
    a == b
}

/// `resid_os! { items }`: items for the systems with getresuid/setresuid
/// and their gid twins; `resid_os! { else items }`: for the others.
macro_rules! resid_os {
    (else $($i:item)*) => {$(
        #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd", target_os = "openbsd", target_os = "dragonfly")))]
        $i
    )*};
    ($($i:item)*) => {$(
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd", target_os = "openbsd", target_os = "dragonfly"))]
        $i
    )*};
}

resid_os! {
    /// Reading and setting the real, effective and saved ids together, where
    /// getresuid/setresuid and their gid twins exist.
    mod ids {
        use rustix::io::Errno;

        type GetRes = unsafe extern "C" fn(*mut u32, *mut u32, *mut u32) -> libc::c_int;
        type SetRes = unsafe extern "C" fn(u32, u32, u32) -> libc::c_int;

        fn triple(get: GetRes) -> [u32; 3] {
            let [mut r, mut e, mut s] = [0u32; 3];
            // SAFETY: the three pointers are valid for writes.
            unsafe { get(&mut r, &mut e, &mut s) };
            [r, e, s]
        }

        /// `set_all(get, set, id)`: sets all three ids to `id` at once, unless
        /// they already are: no id is ever left behind, as Linux's
        /// unprivileged setuid/setgid would leave the real and saved ones.
        /// `u32::MAX` is not an id (for setresuid it means "unchanged"):
        /// refused like setuid does, EINVAL.
        fn set_all(get: GetRes, set: SetRes, id: u32) -> Result<(), Errno> {
            if id == u32::MAX {
                return Err(Errno::INVAL);
            }
            if triple(get) == [id; 3] {
                return Ok(());
            }
            // SAFETY: plain system call wrapper.
            if unsafe { set(id, id, id) } != 0 {
                return Err(super::errno());
            }
            if triple(get) != [id; 3] {
                return Err(Errno::PERM);
            }
            Ok(())
        }

        /// `gids()`: real, effective, saved gid.
        pub fn gids() -> [u32; 3] {
            triple(libc::getresgid)
        }
        /// `set_uid(id)`: real, effective and saved uid become `id`, or the
        /// system's refusal.
        pub fn set_uid(id: u32) -> Result<(), Errno> {
            set_all(libc::getresuid, libc::setresuid, id)
        }
        /// `set_gid(id)`: real, effective and saved gid become `id`, or the
        /// system's refusal.
        pub fn set_gid(id: u32) -> Result<(), Errno> {
            set_all(libc::getresgid, libc::setresgid, id)
        }
    }
}

resid_os! { else
    /// Reading the real and effective ids (the saved one is not visible, so
    /// it is taken as the effective) and setting all three with setuid/setgid.
    mod ids {
        use rustix::io::Errno;

        type Get = unsafe extern "C" fn() -> u32;
        type Set = unsafe extern "C" fn(u32) -> libc::c_int;

        fn pair(real: Get, effective: Get) -> [u32; 3] {
            // SAFETY: these getters cannot fail.
            let (r, e) = unsafe { (real(), effective()) };
            [r, e, e]
        }

        /// `set_all(set, real, effective, id)`: always calls `set` (the saved
        /// id cannot be checked, so "already in place" cannot be known; the
        /// call succeeds then anyway), twice: an unprivileged setuid(id) with
        /// `id` the real id only sets the effective id; the second call, with
        /// `id` now the effective id, sets all three. Then the real and
        /// effective ids must be `id`.
        fn set_all(set: Set, real: Get, effective: Get, id: u32) -> Result<(), Errno> {
            if id == u32::MAX {
                return Err(Errno::INVAL);
            }
            // SAFETY: plain system call wrappers.
            if unsafe { set(id) } != 0 || unsafe { set(id) } != 0 {
                return Err(super::errno());
            }
            if pair(real, effective) != [id; 3] {
                return Err(Errno::PERM);
            }
            Ok(())
        }

        /// `gids()`: real, effective, effective gid.
        pub fn gids() -> [u32; 3] {
            pair(libc::getgid, libc::getegid)
        }
        /// `set_uid(id)`: real, effective and saved uid become `id`, or the
        /// system's refusal.
        pub fn set_uid(id: u32) -> Result<(), Errno> {
            set_all(libc::setuid, libc::getuid, libc::geteuid, id)
        }
        /// `set_gid(id)`: real, effective and saved gid become `id`, or the
        /// system's refusal.
        pub fn set_gid(id: u32) -> Result<(), Errno> {
            set_all(libc::setgid, libc::getgid, libc::getegid, id)
        }
    }
}

/// `apply(t)`: sets groups, then gid, then uid (real, effective and saved
/// alike), skipping a call whose result is already in place; on failure
/// returns what failed, as s6 words it (`set supplementary group list`,
/// `setgid`, `setuid`), with its error. Nothing after a failed call is
/// attempted.
pub fn apply(t: &Target) -> Result<(), (&'static str, Errno)> {
    if let Some(groups) = &t.groups {
        let gid = t.gid.unwrap_or_else(|| ids::gids()[1]);
        let want = full_list(gid, groups);
        let have = current_groups().map_err(|e| ("get supplementary group list", e))?;
        // The list itself must match, not merely the access it grants: the
        // effective gid grants access whether listed or not, but a process
        // started with an empty list must still get the list it asks for
        // (what /proc/PID/status shows, what getgroups returns to prog).
        if !same_set(have, want.clone()) {
            let list: Vec<libc::gid_t> = want.iter().map(|&g| g as libc::gid_t).collect();
            // SAFETY: list holds list.len() gids.
            if unsafe { libc::setgroups(list.len() as _, list.as_ptr()) } != 0 {
                return Err(("set supplementary group list", errno()));
            }
        }
    }
    if let Some(gid) = t.gid {
        ids::set_gid(gid).map_err(|e| ("setgid", e))?;
    }
    if let Some(uid) = t.uid {
        ids::set_uid(uid).map_err(|e| ("setuid", e))?;
    }
    Ok(())
}

/// A server's `-U -u -g -G` options (s6-ipcserver, s6-fdholder-daemon):
/// the privileges to drop after binding, as `s6-applyuidgid` would.
#[derive(Default)]
pub struct DropOptions {
    from_env: bool,
    uid: Option<u32>,
    gid: Option<u32>,
    groups: Option<Vec<u32>>,
}

impl DropOptions {
    /// `option(cli, c)`: takes option `c` if it is `-U`, `-u`, `-g` or `-G`
    /// (false otherwise); a bad value is usage death.
    pub fn option(&mut self, cli: &mut crate::cli::Cli, c: char) -> bool {
        use std::os::unix::ffi::OsStrExt;
        match c {
            'U' => self.from_env = true,
            'u' => self.uid = Some(cli.number()),
            'g' => self.gid = Some(cli.number()),
            'G' => {
                let v = cli.value();
                self.groups = Some(parse_gidlist(v.as_bytes()).unwrap_or_else(|| cli.usage()));
            }
            _ => return false,
        }
        true
    }

    /// `apply()`: if any was given, drops privileges as `s6-applyuidgid
    /// -Uz` would: the environment's `UID`/`GID`/`GIDLIST` first (with
    /// `-U`), then the explicit ones; a uid or gid of 0 means "leave as
    /// is". Dies as `become_or_die` on failure.
    pub fn apply(self) {
        if !self.from_env && self.uid.is_none() && self.gid.is_none() && self.groups.is_none() {
            return;
        }
        let mut t = Target { uid: None, gid: None, groups: None };
        if self.from_env {
            let (u, g, list) = from_env();
            t = Target {
                uid: (u != 0).then_some(u),
                gid: (g != 0).then_some(g),
                groups: Some(list),
            };
        }
        if let Some(u) = self.uid {
            t.uid = (u != 0).then_some(u);
        }
        if let Some(g) = self.gid {
            t.gid = (g != 0).then_some(g);
        }
        if self.groups.is_some() {
            t.groups = self.groups;
        }
        become_or_die(&t, self.from_env);
    }
}

/// `become_or_die(t, unexport)`: `apply(t)`, dying with 111 and s6's words
/// on failure; then, if `unexport`, removes `UID`, `GID` and `GIDLIST`
/// from the environment the program will get.
pub fn become_or_die(t: &Target, unexport: bool) {
    if let Err((call, e)) = apply(t) {
        crate::msg::fatal_sys(crate::exitcode::SYS, &[call.as_bytes()], e);
    }
    if unexport {
        for name in ["UID", "GID", "GIDLIST"] {
            crate::env::unset(name);
        }
    }
}

/// `from_env()`: the ids `-U` asks for (s6-applyuidgid, s6-ipcserver):
/// `UID`, `GID`, `GIDLIST` from the environment, dying as s6 does when one
/// is missing (`NAME not set`) or malformed (`invalid $NAME`), 100.
pub fn from_env() -> (u32, u32, Vec<u32>) {
    use std::os::unix::ffi::OsStrExt;
    fn var(name: &str) -> std::ffi::OsString {
        std::env::var_os(name).unwrap_or_else(|| {
            crate::msg::fatal(crate::exitcode::USAGE, &[name.as_bytes(), b" not set"])
        })
    }
    fn invalid(name: &str) -> ! {
        crate::msg::fatal(crate::exitcode::USAGE, &[b"invalid $", name.as_bytes()])
    }
    let uid = crate::cli::parse_decimal(&var("UID")).unwrap_or_else(|| invalid("UID"));
    let gid = crate::cli::parse_decimal(&var("GID")).unwrap_or_else(|| invalid("GID"));
    let list = var("GIDLIST");
    let groups = parse_gidlist(list.as_bytes()).unwrap_or_else(|| invalid("GIDLIST"));
    (uid, gid, groups)
}

/// `parse_gidlist(s)`: a group list the way s6 reads one: numbers
/// separated by runs of `,` `:` `;` or blanks, stopping at any other byte;
/// `None` if `s` is not empty and does not start with a number.
pub fn parse_gidlist(s: &[u8]) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let start = i;
        let mut n: u64 = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            n = n * 10 + u64::from(s[i] - b'0');
            if n > u64::from(u32::MAX) {
                return None;
            }
            i += 1;
        }
        if i == start {
            return if out.is_empty() && !s.is_empty() { None } else { Some(out) };
        }
        out.push(n as u32);
        let sep = i;
        while i < s.len() && matches!(s[i], b',' | b':' | b';' | b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        if i == sep || i == s.len() {
            return Some(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gidlist_like_s6() {
        let ok: &[(&str, &[u32])] = &[
            ("", &[]),
            ("1", &[1]),
            ("1,2,3", &[1, 2, 3]),
            ("1,x", &[1]),
            ("1,,2", &[1, 2]),
            ("1,", &[1]),
            ("1 2", &[1, 2]),
            ("1:2;3", &[1, 2, 3]),
            ("1.2", &[1]),
            ("0x10", &[0]),
            ("1,2x", &[1, 2]),
        ];
        for (s, want) in ok {
            assert_eq!(parse_gidlist(s.as_bytes()).as_deref(), Some(*want), "{s:?}");
        }
        for bad in ["x", ",1", " 1", "+1", "99999999999"] {
            assert_eq!(parse_gidlist(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn gid_goes_first() {
        assert_eq!(full_list(5, &[1, 2]), [5, 1, 2]);
        assert_eq!(full_list(2, &[1, 2]), [1, 2]);
        assert_eq!(full_list(7, &[]), [7]);
    }
}
