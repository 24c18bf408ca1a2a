//! File hierarchies made, copied and removed through directory
//! descriptors, for programs that may run as root in a directory others
//! can write: every creation is exclusive (`O_EXCL`: a name planted
//! beforehand makes it fail), no symbolic link is ever followed below the
//! directory the caller opened (a link met on the way is copied or
//! removed as a link).

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, Dir, FileType, Gid, Mode, OFlags, Uid};
use rustix::io::Errno;
use std::ffi::{CStr, CString};

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
            // Changed only if the umask took bits away (a change of
            // metadata costs a journal entry; a look does not).
            if rustix::fs::fstat(&fd)?.st_mode & 0o7777 != mode as _ {
                rustix::fs::fchmod(&fd, self::mode(mode))?;
            }
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
        let c = CString::new(name.clone()).map_err(|_| Errno::INVAL)?;
        match create_file(&at, &c, 0o600) {
            Ok(fd) => return Ok((fd, name)),
            Err(Errno::EXIST) => last = Errno::EXIST,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// `entries(dir)`: the names in an open directory, `.` and `..` left out.
pub fn entries(dir: impl AsFd) -> Result<Vec<CString>, Errno> {
    let mut d = Dir::read_from(dir)?;
    let mut v = Vec::new();
    while let Some(e) = d.read() {
        let e = e?;
        let n = e.file_name();
        if n != c"." && n != c".." {
            v.push(n.to_owned());
        }
    }
    Ok(v)
}

/// `copy(from_dir, from, to_dir, to)`: copies `from` (under `from_dir`)
/// to the new name `to` (under `to_dir`, which must not exist): regular
/// files (content and mode, setuid/setgid/sticky included), directories,
/// symbolic links (as links), fifos, device nodes and sockets; owner and
/// group where permitted; times not kept. On error, what was made is
/// left for the caller to `remove`.
pub fn copy(from_dir: impl AsFd, from: &CStr, to_dir: impl AsFd, to: &CStr) -> Result<(), Errno> {
    let st = rustix::fs::statat(&from_dir, from, AtFlags::SYMLINK_NOFOLLOW)?;
    #[allow(clippy::unnecessary_cast)] // mode_t is 16 bits on the BSDs and macOS
    let bits = st.st_mode as u32 & 0o7777;
    let owner = (st.st_uid, st.st_gid);
    let own_at = || {
        let (u, g) = (Uid::from_raw(owner.0), Gid::from_raw(owner.1));
        let _ = rustix::fs::chownat(&to_dir, to, Some(u), Some(g), AtFlags::SYMLINK_NOFOLLOW);
    };
    match FileType::from_raw_mode(st.st_mode) {
        FileType::Directory => {
            let src = open_dir(&from_dir, from)?;
            let dst = make_dir(&to_dir, to, 0o700, false)?;
            for name in entries(&src)? {
                copy(&src, &name, &dst, &name)?;
            }
            settle(&dst, owner, bits)?;
        }
        FileType::Symlink => {
            let target = rustix::fs::readlinkat(&from_dir, from, Vec::new())?;
            rustix::fs::symlinkat(&*target, &to_dir, to)?;
            own_at();
        }
        FileType::RegularFile => {
            let src = rustix::fs::openat(
                &from_dir,
                from,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
                Mode::empty(),
            )?;
            // Made with its final permissions (less the umask), setuid,
            // setgid and sticky bits aside until it has its owner.
            let dst = create_file(&to_dir, to, bits & 0o777)?;
            let mut buf = [0u8; 8192];
            loop {
                let n = match rustix::io::read(&src, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(Errno::INTR) => continue,
                    Err(e) => return Err(e),
                };
                crate::io::write_all(&dst, &buf[..n])?;
            }
            settle(&dst, owner, bits)?;
        }
        ft => {
            let dev = if matches!(ft, FileType::CharacterDevice | FileType::BlockDevice) {
                st.st_rdev
            } else {
                0
            };
            #[cfg(not(target_os = "macos"))]
            rustix::fs::mknodat(&to_dir, to, ft, mode(bits), dev)?;
            // macOS has no mknodat: a fifo is made with mkfifoat, anything
            // else is refused.
            #[cfg(target_os = "macos")]
            {
                let _ = dev;
                if ft != FileType::Fifo {
                    return Err(Errno::OPNOTSUPP);
                }
                use std::os::unix::ffi::OsStrExt;
                crate::fd::mkfifo_at(&to_dir, std::ffi::OsStr::from_bytes(to.to_bytes()), bits)?;
            }
            own_at();
            rustix::fs::chmodat(&to_dir, to, mode(bits), AtFlags::empty())?;
        }
    }
    Ok(())
}

/// `settle(fd, (uid, gid), bits)`: gives the file that owner (if
/// permitted) and exactly the permission bits `bits`; each changed only
/// if it differs (a change of metadata costs a journal entry; a look does
/// not). A change of owner clears setuid and setgid: the mode follows it.
fn settle(fd: impl AsFd, (uid, gid): (u32, u32), bits: u32) -> Result<(), Errno> {
    let st = rustix::fs::fstat(&fd)?;
    let mut chowned = false;
    if (st.st_uid, st.st_gid) != (uid, gid) {
        chowned =
            rustix::fs::fchown(&fd, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid))).is_ok();
    }
    #[allow(clippy::unnecessary_cast)] // mode_t is 16 bits on the BSDs and macOS
    if chowned || st.st_mode as u32 & 0o7777 != bits {
        rustix::fs::fchmod(&fd, mode(bits))?;
    }
    Ok(())
}

/// `remove(at, name)`: removes `name` under `at`, and everything in it if
/// it is a directory (not a link to one), through descriptors: a link is
/// unlinked, never followed. Absent: `ENOENT`. Best effort: what can go
/// goes, the first error is returned. Entries added meanwhile (a
/// supervisor still writing there) are removed in a few more passes.
pub fn remove(at: impl AsFd, name: &CStr) -> Result<(), Errno> {
    match rustix::fs::unlinkat(&at, name, AtFlags::empty()) {
        Err(Errno::ISDIR) | Err(Errno::PERM) => {}
        r => return r,
    }
    let dir = match open_dir(&at, name) {
        Ok(d) => d,
        // Not a directory after all (replaced meanwhile): try again once.
        Err(Errno::NOTDIR) | Err(Errno::LOOP) => {
            return rustix::fs::unlinkat(&at, name, AtFlags::empty());
        }
        Err(e) => return Err(e),
    };
    let mut tries = 0;
    loop {
        let mut first = Ok(());
        for e in entries(&dir)? {
            match remove(&dir, &e) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => first = first.and(Err(e)),
            }
        }
        match rustix::fs::unlinkat(&at, name, AtFlags::REMOVEDIR) {
            Err(Errno::NOTEMPTY) if first.is_ok() && tries < 100 => tries += 1,
            r => return first.and(r),
        }
    }
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
        assert_eq!(remove(&top, c"sub").err(), Some(Errno::NOENT));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn copy_then_remove() {
        let base = tmp("copy");
        std::fs::create_dir_all(base.join("a/sub")).unwrap();
        std::fs::write(base.join("a/run"), "x").unwrap();
        std::fs::set_permissions(base.join("a/run"), std::fs::Permissions::from_mode(0o4755))
            .unwrap();
        std::os::unix::fs::symlink("/etc/passwd", base.join("a/sub/l")).unwrap();
        let b = rustix::fs::open(&base, dir_flags(), Mode::empty()).unwrap();
        copy(&b, c"a", &b, c"b").unwrap();
        assert_eq!(std::fs::read(base.join("b/run")).unwrap(), b"x");
        let m = std::fs::metadata(base.join("b/run")).unwrap().permissions().mode();
        assert_eq!(m & 0o7777, 0o4755);
        assert_eq!(std::fs::read_link(base.join("b/sub/l")).unwrap().to_str(), Some("/etc/passwd"));
        remove(&b, c"b").unwrap();
        assert!(!base.join("b").exists());
        assert!(std::fs::metadata("/etc/passwd").is_ok());
        let _ = std::fs::remove_dir_all(&base);
    }
}
