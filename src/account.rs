//! Account look-ups through the C library (`getpwnam`, `getgrnam`, the
//! group database walk), so NSS works with glibc and a static musl build
//! reads /etc/passwd and /etc/group.

use rustix::io::Errno;
use std::ffi::CStr;

/// A user database entry: the uid and primary gid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User {
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
}

fn clear_errno() {
    // SAFETY: errno is the calling thread's own variable.
    unsafe { *errno_location() = 0 };
}

/// The raw errno, 0 included (a look-up that finds nothing leaves 0).
fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

linux_like! {
    fn errno_location() -> *mut libc::c_int {
        // SAFETY: always returns the valid address of this thread's errno.
        unsafe { libc::__errno_location() }
    }
}
#[cfg(any(target_os = "freebsd", target_os = "dragonfly", target_os = "macos", target_os = "ios"))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: always returns the valid address of this thread's errno.
    unsafe { libc::__error() }
}
#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: always returns the valid address of this thread's errno.
    unsafe { libc::__errno() }
}

/// The end of a failed look-up: not found (None) or an error.
fn not_found() -> Result<Option<User>, Errno> {
    match errno() {
        0 | libc::ENOENT | libc::ESRCH | libc::EBADF | libc::EPERM => Ok(None),
        e => Err(Errno::from_raw_os_error(e)),
    }
}

/// `user(name)`: the user named `name`, `None` if there is none.
pub fn user(name: &CStr) -> Result<Option<User>, Errno> {
    clear_errno();
    // SAFETY: name is NUL-terminated; the returned entry is read at once,
    // before any other database call (single-threaded).
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return not_found();
    }
    // SAFETY: pw is a valid passwd entry returned by getpwnam.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(Some(User { uid, gid }))
}

/// `group(name)`: the gid of the group named `name`, `None` if there is none.
pub fn group(name: &CStr) -> Result<Option<u32>, Errno> {
    clear_errno();
    // SAFETY: name is NUL-terminated; the entry is read at once.
    let gr = unsafe { libc::getgrnam(name.as_ptr()) };
    if gr.is_null() {
        return not_found().map(|_| None);
    }
    // SAFETY: gr is a valid group entry returned by getgrnam.
    Ok(Some(unsafe { (*gr).gr_gid }))
}

/// `primary_gid(uid)`: the primary group of the user with id `uid`,
/// `None` if there is none.
pub fn primary_gid(uid: u32) -> Result<Option<u32>, Errno> {
    clear_errno();
    // SAFETY: the returned entry is read at once, before any other
    // database call (single-threaded).
    let pw = unsafe { libc::getpwuid(uid) };
    if pw.is_null() {
        return not_found().map(|_| None);
    }
    // SAFETY: pw is a valid passwd entry returned by getpwuid.
    Ok(Some(unsafe { (*pw).pw_gid }))
}

/// `group_name(gid)`: the name of the group `gid`, `None` if it has none.
pub fn group_name(gid: u32) -> Result<Option<Vec<u8>>, Errno> {
    clear_errno();
    // SAFETY: the returned entry is read at once (single-threaded).
    let gr = unsafe { libc::getgrgid(gid) };
    if gr.is_null() {
        return not_found().map(|_| None);
    }
    // SAFETY: gr is a valid group entry; gr_name is NUL-terminated.
    Ok(Some(unsafe { CStr::from_ptr((*gr).gr_name) }.to_bytes().to_vec()))
}

/// `groups_of(name)`: the gids of every group whose member list names
/// `name`, in database order, without duplicates.
pub fn groups_of(name: &CStr) -> Result<Vec<u32>, Errno> {
    let mut out = Vec::new();
    // SAFETY: the walk uses the C library's static entry, read fully before
    // the next getgrent call; gr_mem is a null-terminated array of
    // NUL-terminated strings. endgrent closes the database.
    unsafe {
        libc::setgrent();
        loop {
            clear_errno();
            let gr = libc::getgrent();
            if gr.is_null() {
                let e = errno();
                libc::endgrent();
                if e != 0 && e != libc::ENOENT {
                    return Err(Errno::from_raw_os_error(e));
                }
                break;
            }
            let mut mem = (*gr).gr_mem;
            while !mem.is_null() && !(*mem).is_null() {
                if CStr::from_ptr(*mem) == name {
                    out.push((*gr).gr_gid);
                    break;
                }
                mem = mem.add(1);
            }
        }
    }
    Ok(first_of_each(out))
}

/// `first_of_each(gids)`: `gids` without repeats, each kept where it first
/// appears; O(n log n), as a user may be in tens of thousands of groups.
fn first_of_each(gids: Vec<u32>) -> Vec<u32> {
    let mut sorted = gids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    let mut taken = vec![false; sorted.len()];
    let mut out = gids;
    out.retain(|g| match sorted.binary_search(g) {
        Ok(i) => !std::mem::replace(&mut taken[i], true),
        Err(_) => false,
    });
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn first_of_each_keeps_database_order() {
        assert_eq!(super::first_of_each(vec![5, 3, 5, 1, 3, 7]), [5, 3, 1, 7]);
        assert_eq!(super::first_of_each(vec![]), [] as [u32; 0]);
    }
}
