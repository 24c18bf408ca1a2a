//! File hierarchies copied and removed through directory descriptors,
//! never following a symbolic link met on the way (a link planted in a
//! directory others can write is copied or removed as a link).

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{CStr, CString};

const DIR_FLAGS: OFlags =
    OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

/// `open_dir(at, name)`: the directory `name` under `at`, a symbolic link
/// refused (`ELOOP` or `ENOTDIR`).
pub fn open_dir(at: BorrowedFd, name: &CStr) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(at, name, DIR_FLAGS, Mode::empty())
}

/// `copy(from_dir, from, to_dir, to)`: copies `from` (under `from_dir`)
/// to the new name `to` (under `to_dir`, which must not exist): regular
/// files (content and mode, setuid/setgid/sticky included), directories,
/// symbolic links (as links), fifos, device nodes and sockets; owner and
/// group where permitted; times not kept. On error, what was made is
/// left for the caller to remove.
pub fn copy(from_dir: BorrowedFd, from: &CStr, to_dir: BorrowedFd, to: &CStr) -> Result<(), Errno> {
    let st = rustix::fs::statat(from_dir, from, AtFlags::SYMLINK_NOFOLLOW)?;
    let mode = st.st_mode & 0o7777;
    let owner = (st.st_uid, st.st_gid);
    match FileType::from_raw_mode(st.st_mode) {
        FileType::Directory => {
            let src = open_dir(from_dir, from)?;
            rustix::fs::mkdirat(to_dir, to, Mode::from_raw_mode(0o700))?;
            let dst = open_dir(to_dir, to)?;
            for name in entries(&src)? {
                copy(src.as_fd(), &name, dst.as_fd(), &name)?;
            }
            own(&dst, owner);
            rustix::fs::fchmod(&dst, Mode::from_raw_mode(mode))?;
        }
        FileType::Symlink => {
            let target = rustix::fs::readlinkat(from_dir, from, Vec::new())?;
            rustix::fs::symlinkat(&*target, to_dir, to)?;
            let _ = rustix::fs::chownat(
                to_dir,
                to,
                Some(rustix::fs::Uid::from_raw(owner.0)),
                Some(rustix::fs::Gid::from_raw(owner.1)),
                AtFlags::SYMLINK_NOFOLLOW,
            );
        }
        FileType::RegularFile => {
            let src = rustix::fs::openat(
                from_dir,
                from,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
                Mode::empty(),
            )?;
            let dst = rustix::fs::openat(
                to_dir,
                to,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )?;
            let mut buf = vec![0u8; 65536];
            loop {
                let n = match rustix::io::read(&src, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(Errno::INTR) => continue,
                    Err(e) => return Err(e),
                };
                crate::supervision::atomic::write_whole(&dst, &buf[..n])?;
            }
            own(&dst, owner);
            rustix::fs::fchmod(&dst, Mode::from_raw_mode(mode))?;
        }
        ft => {
            let dev = if matches!(ft, FileType::CharacterDevice | FileType::BlockDevice) {
                st.st_rdev
            } else {
                0
            };
            rustix::fs::mknodat(to_dir, to, ft, Mode::from_raw_mode(mode), dev)?;
            let _ = rustix::fs::chownat(
                to_dir,
                to,
                Some(rustix::fs::Uid::from_raw(owner.0)),
                Some(rustix::fs::Gid::from_raw(owner.1)),
                AtFlags::SYMLINK_NOFOLLOW,
            );
            rustix::fs::chmodat(to_dir, to, Mode::from_raw_mode(mode), AtFlags::empty())?;
        }
    }
    Ok(())
}

/// `own(fd, (uid, gid))`: gives the file that owner, if permitted.
fn own(fd: &OwnedFd, (uid, gid): (u32, u32)) {
    let _ = rustix::fs::fchown(
        fd,
        Some(rustix::fs::Uid::from_raw(uid)),
        Some(rustix::fs::Gid::from_raw(gid)),
    );
}

/// `entries(dir)`: the names in an open directory, `.` and `..` left out.
pub fn entries(dir: &OwnedFd) -> Result<Vec<CString>, Errno> {
    let mut d = rustix::fs::Dir::read_from(dir)?;
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

/// `remove(at, name)`: removes `name` under `at` and, if it is a
/// directory (not a link to one), everything in it. Absent: `ENOENT`.
pub fn remove(at: BorrowedFd, name: &CStr) -> Result<(), Errno> {
    match rustix::fs::unlinkat(at, name, AtFlags::empty()) {
        Err(Errno::ISDIR) | Err(Errno::PERM) => {}
        r => return r,
    }
    let dir = match open_dir(at, name) {
        Ok(d) => d,
        // Not a directory after all (replaced meanwhile): try again once.
        Err(Errno::NOTDIR) | Err(Errno::LOOP) => {
            return rustix::fs::unlinkat(at, name, AtFlags::empty());
        }
        Err(e) => return Err(e),
    };
    // A process still writing there (a supervisor being stopped) may
    // add entries meanwhile: a few more passes.
    let mut tries = 0;
    loop {
        for e in entries(&dir)? {
            match remove(dir.as_fd(), &e) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => return Err(e),
            }
        }
        match rustix::fs::unlinkat(at, name, AtFlags::REMOVEDIR) {
            Err(Errno::NOTEMPTY) if tries < 100 => tries += 1,
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn copy_then_remove() {
        let base = std::env::temp_dir().join(format!("s6box-tree-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("a/sub")).unwrap();
        std::fs::write(base.join("a/run"), "x").unwrap();
        std::fs::set_permissions(base.join("a/run"), std::fs::Permissions::from_mode(0o4755))
            .unwrap();
        std::os::unix::fs::symlink("/etc/passwd", base.join("a/sub/l")).unwrap();
        let b = rustix::fs::open(&base, DIR_FLAGS, Mode::empty()).unwrap();
        copy(b.as_fd(), c"a", b.as_fd(), c"b").unwrap();
        assert_eq!(std::fs::read(base.join("b/run")).unwrap(), b"x");
        let m = std::fs::metadata(base.join("b/run")).unwrap().permissions().mode();
        assert_eq!(m & 0o7777, 0o4755);
        assert_eq!(std::fs::read_link(base.join("b/sub/l")).unwrap().to_str(), Some("/etc/passwd"));
        remove(b.as_fd(), c"b").unwrap();
        assert!(!base.join("b").exists());
        assert!(std::fs::metadata("/etc/passwd").is_ok());
        let _ = std::fs::remove_dir_all(&base);
    }
}
