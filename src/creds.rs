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

/// The real, effective and saved ids, where getresuid/getresgid exist.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
mod ids {
    type GetRes = unsafe extern "C" fn(*mut u32, *mut u32, *mut u32) -> libc::c_int;

    fn triple(get: GetRes) -> [u32; 3] {
        let [mut r, mut e, mut s] = [0u32; 3];
        // SAFETY: the three pointers are valid for writes.
        unsafe { get(&mut r, &mut e, &mut s) };
        [r, e, s]
    }
    /// `uids()`: real, effective, saved uid.
    pub fn uids() -> [u32; 3] {
        triple(libc::getresuid)
    }
    /// `gids()`: real, effective, saved gid.
    pub fn gids() -> [u32; 3] {
        triple(libc::getresgid)
    }
}

/// The real and effective ids (the saved one is taken as the effective).
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "dragonfly"
)))]
mod ids {
    type Get = unsafe extern "C" fn() -> u32;

    fn pair(real: Get, effective: Get) -> [u32; 3] {
        // SAFETY: these getters cannot fail.
        let (r, e) = unsafe { (real(), effective()) };
        [r, e, e]
    }
    /// `uids()`: real, effective, effective uid.
    pub fn uids() -> [u32; 3] {
        pair(libc::getuid, libc::geteuid)
    }
    /// `gids()`: real, effective, effective gid.
    pub fn gids() -> [u32; 3] {
        pair(libc::getgid, libc::getegid)
    }
}

/// `apply(t)`: sets groups, then gid, then uid, skipping a call whose
/// result is already in place; on failure returns what failed, as s6
/// words it (`set supplementary group list`, `setgid`, `setuid`), with
/// its error. Nothing after a
/// failed call is attempted.
pub fn apply(t: &Target) -> Result<(), (&'static str, Errno)> {
    if let Some(groups) = &t.groups {
        let gid = t.gid.unwrap_or_else(|| ids::gids()[1]);
        let want = full_list(gid, groups);
        let have = current_groups().map_err(|e| ("get supplementary group list", e))?;
        // The effective gid always counts as a member, listed or not: once
        // it is `gid`, the groups in effect are `have` plus `gid`. (Adding
        // the current egid instead would let a stale list through when the
        // gid changes, losing requested groups.)
        let mut have_all = have;
        have_all.push(gid);
        if !same_set(have_all, want.clone()) {
            let list: Vec<libc::gid_t> = want.iter().map(|&g| g as libc::gid_t).collect();
            // SAFETY: list holds list.len() gids.
            if unsafe { libc::setgroups(list.len() as _, list.as_ptr()) } != 0 {
                return Err(("set supplementary group list", errno()));
            }
        }
    }
    if let Some(gid) = t.gid
        && ids::gids() != [gid; 3]
        // SAFETY: plain system call wrapper.
        && unsafe { libc::setgid(gid) } != 0
    {
        return Err(("setgid", errno()));
    }
    if let Some(uid) = t.uid
        && ids::uids() != [uid; 3]
        // SAFETY: plain system call wrapper.
        && unsafe { libc::setuid(uid) } != 0
    {
        return Err(("setuid", errno()));
    }
    Ok(())
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
