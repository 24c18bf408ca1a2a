//! Files and directories made and removed through directory descriptors,
//! for programs that may run as root in a directory others can write:
//! every creation is exclusive (`O_EXCL`: a name planted beforehand makes
//! it fail), no symbolic link is ever followed below the directory the
//! caller opened, and removal unlinks links instead of following them.

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, Dir, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::CStr;

/// `mode(bits)`: permission bits as a `Mode` (mode_t is 16 bits on some
/// systems; the bits asked for here fit).
pub fn mode(bits: u32) -> Mode {
    Mode::from_bits_truncate(bits as rustix::fs::RawMode)
}

/// Flags of a directory opened here: no link followed, close-on-exec.
fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

/// `open_dir(at, name)`: opens directory `name` under `at`, refusing a
/// symbolic link (`ELOOP` or `ENOTDIR`).
pub fn open_dir(at: impl AsFd, name: &CStr) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(at, name, dir_flags(), Mode::empty())
}

/// `make_dir(at, name, mode)`: creates directory `name` under `at` with
/// exactly `mode` (whatever the umask) and opens it. With `reuse`, an
/// existing real directory is opened instead (never a link to one).
pub fn make_dir(at: impl AsFd, name: &CStr, mode: u32, reuse: bool) -> Result<OwnedFd, Errno> {
    match rustix::fs::mkdirat(&at, name, self::mode(mode)) {
        Ok(()) => {
            let fd = open_dir(&at, name)?;
            rustix::fs::fchmod(&fd, self::mode(mode))?;
            Ok(fd)
        }
        Err(Errno::EXIST) if reuse => open_dir(&at, name),
        Err(e) => Err(e),
    }
}

/// `create_file(at, name, mode)`: creates `name` under `at` for writing,
/// exclusively (`EEXIST` if anything, a link included, is there), mode
/// `mode` less the umask, close-on-exec.
pub fn create_file(at: impl AsFd, name: &CStr, mode: u32) -> Result<OwnedFd, Errno> {
    let flags = OFlags::WRONLY
        | OFlags::CREATE
        | OFlags::EXCL
        | OFlags::NOFOLLOW
        | OFlags::NOCTTY
        | OFlags::CLOEXEC;
    rustix::fs::openat(at, name, flags, self::mode(mode))
}

/// `create_temp(at, prefix)`: as mkstemp: creates `PREFIXxxxxxx` (six
/// random letters or digits) under `at`, mode 0600, exclusively, trying
/// other names while one exists. Returns the descriptor and the name.
pub fn create_temp(at: impl AsFd, prefix: &[u8]) -> Result<(OwnedFd, Vec<u8>), Errno> {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let mut x = (now.tv_nsec as u64)
        ^ ((now.tv_sec as u64) << 32)
        ^ u64::from(rustix::process::getpid().as_raw_nonzero().get().unsigned_abs()) << 20
        | 1;
    let mut last = Errno::EXIST;
    for _ in 0..100 {
        let mut name = prefix.to_vec();
        for _ in 0..6 {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            name.push(CHARS[(x % CHARS.len() as u64) as usize]);
        }
        let c = std::ffi::CString::new(name.clone()).map_err(|_| Errno::INVAL)?;
        match create_file(&at, &c, 0o600) {
            Ok(fd) => return Ok((fd, name)),
            Err(Errno::EXIST) => last = Errno::EXIST,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// `remove(at, name)`: removes `name` under `at`, and everything in it if
/// it is a directory, through descriptors: a link is unlinked, never
/// followed. Best effort: the first error is returned.
pub fn remove(at: impl AsFd, name: &CStr) -> Result<(), Errno> {
    match rustix::fs::unlinkat(&at, name, AtFlags::empty()) {
        Err(Errno::ISDIR) | Err(Errno::PERM) => {}
        r => return r,
    }
    let mut first = Ok(());
    match open_dir(&at, name) {
        Ok(fd) => {
            let mut names = Vec::new();
            let mut entries = Dir::read_from(&fd)?;
            while let Some(Ok(e)) = entries.read() {
                let n = e.file_name();
                if n != c"." && n != c".." {
                    names.push(n.to_owned());
                }
            }
            for n in names {
                if let Err(e) = remove(&fd, &n) {
                    first = first.and(Err(e));
                }
            }
        }
        Err(e) => return Err(e),
    }
    rustix::fs::unlinkat(&at, name, AtFlags::REMOVEDIR).and(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tmp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("s6box-tree-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir(&d).unwrap();
        d
    }

    #[test]
    fn make_create_remove() {
        let d = tmp("mcr");
        let top = rustix::fs::open(&d, dir_flags(), Mode::empty()).unwrap();
        let sub = make_dir(&top, c"sub", 0o755, false).unwrap();
        assert_eq!(make_dir(&top, c"sub", 0o755, false).err(), Some(Errno::EXIST));
        make_dir(&top, c"sub", 0o755, true).unwrap();
        let meta = std::fs::metadata(d.join("sub")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, 0o755);
        create_file(&sub, c"f", 0o600).unwrap();
        assert_eq!(create_file(&sub, c"f", 0o600).err(), Some(Errno::EXIST));
        let (_, name) = create_temp(&sub, b"x:").unwrap();
        assert!(name.starts_with(b"x:") && name.len() == 8);
        // A planted link is neither followed by creation nor by removal.
        let outside = d.join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), b"k").unwrap();
        std::os::unix::fs::symlink(&outside, d.join("sub/link")).unwrap();
        assert!(make_dir(&sub, c"link", 0o755, true).is_err());
        assert!(create_file(&sub, c"link", 0o600).is_err());
        remove(&top, c"sub").unwrap();
        assert!(!d.join("sub").exists());
        assert!(outside.join("keep").exists());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
