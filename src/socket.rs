//! Unix domain sockets, the mechanism of s6's local services: create,
//! bind with exact permissions, listen, accept, connect, the peer's
//! credentials (from the kernel, never from what the peer sends), the
//! addresses as bytes, half-close. Every descriptor made here is
//! close-on-exec; errors are returned, never fatal.

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrAny, SocketAddrUnix, SocketFlags, SocketType};

/// The backlog `listen` gets when none is asked for: the C library's
/// `SOMAXCONN` as a static musl build of s6 has it (128).
pub const SOMAXCONN: i32 = 128;

/// `socket(dgram, nonblock)`: a new Unix socket, stream or datagram,
/// close-on-exec, non-blocking if asked.
pub fn socket(dgram: bool, nonblock: bool) -> Result<OwnedFd, Errno> {
    socket_in(AddressFamily::UNIX, dgram, nonblock)
}

/// `socket_in(family, dgram, nonblock)`: as `socket`, in any address
/// family (s6-socklog's UDP socket).
pub fn socket_in(family: AddressFamily, dgram: bool, nonblock: bool) -> Result<OwnedFd, Errno> {
    let kind = if dgram { SocketType::DGRAM } else { SocketType::STREAM };
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    {
        let mut flags = SocketFlags::CLOEXEC;
        if nonblock {
            flags |= SocketFlags::NONBLOCK;
        }
        rustix::net::socket_with(family, kind, flags, None)
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        let _ = SocketFlags::empty();
        let fd = rustix::net::socket(family, kind, None)?;
        rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
        set_nonblock(&fd, nonblock)?;
        Ok(fd)
    }
}

/// `set_nonblock(fd, on)`: sets or clears O_NONBLOCK on `fd`.
pub fn set_nonblock(fd: impl AsFd, on: bool) -> Result<(), Errno> {
    use rustix::fs::OFlags;
    let fd = fd.as_fd();
    let flags = rustix::fs::fcntl_getfl(fd)?;
    let new = if on { flags | OFlags::NONBLOCK } else { flags - OFlags::NONBLOCK };
    if new != flags {
        rustix::fs::fcntl_setfl(fd, new)?;
    }
    Ok(())
}

/// `address(path)`: the Unix address of `path` (ENAMETOOLONG if it does not
/// fit a `sockaddr_un` with its terminating NUL).
fn address(path: &[u8]) -> Result<SocketAddrUnix, Errno> {
    if path.contains(&0) {
        return Err(Errno::INVAL);
    }
    // Like the C library's users: the path and its NUL must fit.
    if path.len() >= 108 {
        return Err(Errno::NAMETOOLONG);
    }
    SocketAddrUnix::new(path)
}

/// `bind(fd, path)`: binds `fd` to `path` (the file's mode follows the umask).
pub fn bind(fd: impl AsFd, path: &[u8]) -> Result<(), Errno> {
    rustix::net::bind(fd, &address(path)?)
}

/// `bind_perms(fd, path, perms)`: binds `fd` to `path`, the socket file's
/// mode being exactly `perms & 0777` whatever the umask (the umask is set to
/// its complement for the bind, then put back).
pub fn bind_perms(fd: impl AsFd, path: &[u8], perms: u32) -> Result<(), Errno> {
    use rustix::fs::Mode;
    let addr = address(path)?;
    let old = rustix::process::umask(Mode::from_bits_truncate((!perms & 0o777) as _));
    let r = rustix::net::bind(fd, &addr);
    rustix::process::umask(old);
    r
}

/// `listen(fd, backlog)`: makes a bound stream socket accept connections.
pub fn listen(fd: impl AsFd, backlog: i32) -> Result<(), Errno> {
    rustix::net::listen(fd, backlog)
}

/// `accept(fd, nonblock)`: the next connection on listening socket `fd`,
/// close-on-exec (non-blocking if asked); EAGAIN when none is waiting on
/// a non-blocking `fd`. EINTR is retried.
pub fn accept(fd: impl AsFd, nonblock: bool) -> Result<OwnedFd, Errno> {
    let fd = fd.as_fd();
    loop {
        #[cfg(not(any(target_os = "macos", target_os = "ios")))]
        let r = {
            let mut flags = SocketFlags::CLOEXEC;
            if nonblock {
                flags |= SocketFlags::NONBLOCK;
            }
            rustix::net::accept_with(fd, flags)
        };
        #[cfg(any(target_os = "macos", target_os = "ios"))]
        let r = rustix::net::accept(fd).and_then(|c| {
            rustix::io::fcntl_setfd(&c, rustix::io::FdFlags::CLOEXEC)?;
            set_nonblock(&c, nonblock)?;
            Ok(c)
        });
        match r {
            Err(Errno::INTR) => continue,
            r => return r,
        }
    }
}

/// `connect(fd, path)`: connects `fd` to the socket at `path`, waiting for
/// the server to accept the connection into its backlog (a blocking `fd`).
pub fn connect(fd: impl AsFd, path: &[u8]) -> Result<(), Errno> {
    let addr = address(path)?;
    let fd = fd.as_fd();
    match rustix::net::connect(fd, &addr) {
        // Interrupted: the connection goes on in the background; wait for
        // it to complete and report its outcome.
        Err(Errno::INTR) => {
            let mut p = [rustix::event::PollFd::new(&fd, rustix::event::PollFlags::OUT)];
            loop {
                match rustix::event::poll(&mut p, None) {
                    Err(Errno::INTR) => continue,
                    Err(e) => return Err(e),
                    Ok(_) => break,
                }
            }
            rustix::net::sockopt::socket_error(fd)?
        }
        r => r,
    }
}

/// What failed in `connect_to`: binding to the local path or connecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectError {
    /// Creating the socket failed.
    Socket(Errno),
    /// Binding to the local path failed.
    Bind(Errno),
    /// Connecting failed.
    Connect(Errno),
}

/// `connect_to(path, local)`: a new blocking close-on-exec stream socket,
/// bound to `local` first if given (which must not exist), connected to
/// `path`.
pub fn connect_to(path: &[u8], local: Option<&[u8]>) -> Result<OwnedFd, ConnectError> {
    let fd = socket(false, false).map_err(ConnectError::Socket)?;
    if let Some(local) = local {
        bind(&fd, local).map_err(ConnectError::Bind)?;
    }
    connect(&fd, path).map_err(ConnectError::Connect)?;
    Ok(fd)
}

/// A peer's credentials, as the kernel recorded them at `connect()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Creds {
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    /// Process id (0 where the system does not tell).
    pub pid: i32,
}

/// `peer_creds(fd)`: the effective uid, gid and pid of the process that
/// connected `fd` (SO_PEERCRED; getpeereid on the BSDs, pid 0).
pub fn peer_creds(fd: impl AsFd) -> Result<Creds, Errno> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let c = rustix::net::sockopt::socket_peercred(fd)?;
        Ok(Creds { uid: c.uid.as_raw(), gid: c.gid.as_raw(), pid: c.pid.as_raw_nonzero().get() })
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        use rustix::fd::AsRawFd;
        let (mut uid, mut gid) = (0, 0);
        // SAFETY: getpeereid writes two ids into the locals passed.
        if unsafe { libc::getpeereid(fd.as_fd().as_raw_fd(), &mut uid, &mut gid) } < 0 {
            return Err(crate::msg::errno());
        }
        Ok(Creds { uid, gid, pid: 0 })
    }
}

/// `path_bytes(addr)`: a Unix address as bytes: the path, `\0` and the
/// name for an abstract one, empty for an unnamed one.
fn path_bytes(addr: SocketAddrAny) -> Vec<u8> {
    let Ok(unix) = SocketAddrUnix::try_from(addr) else { return Vec::new() };
    if let Some(p) = unix.path_bytes() {
        return p.to_vec();
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(name) = unix.abstract_name() {
        let mut v = vec![0];
        v.extend_from_slice(name);
        return v;
    }
    Vec::new()
}

/// `peer_path(fd)`: the path the peer's socket is bound to (empty if it
/// is not bound).
pub fn peer_path(fd: impl AsFd) -> Result<Vec<u8>, Errno> {
    Ok(rustix::net::getpeername(fd)?.map(path_bytes).unwrap_or_default())
}

/// `local_path(fd)`: the path socket `fd` is bound to (empty if none).
pub fn local_path(fd: impl AsFd) -> Result<Vec<u8>, Errno> {
    Ok(path_bytes(rustix::net::getsockname(fd)?))
}

/// `shutdown_write(fd)`: half-closes a connected socket: the peer reads
/// end-of-file, and can still write to us.
pub fn shutdown_write(fd: impl AsFd) -> Result<(), Errno> {
    rustix::net::shutdown(fd, rustix::net::Shutdown::Write)
}

/// `is_socket(fd)`: whether `fd` is an open socket (ENOTSOCK otherwise,
/// EBADF if closed).
pub fn is_socket(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let st = rustix::fs::fstat(fd)?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode as _) == rustix::fs::FileType::Socket {
        Ok(())
    } else {
        Err(Errno::NOTSOCK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_listen_accept_connect_creds_paths() {
        let dir = std::env::temp_dir().join(format!("s6box-socket-{}", std::process::id()));
        let _ = std::fs::create_dir(&dir);
        let path = dir.join("s");
        let local = dir.join("c");
        let p = path.as_os_str().as_encoded_bytes();
        let l = local.as_os_str().as_encoded_bytes();
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&local);
        let srv = socket(false, true).unwrap();
        bind_perms(&srv, p, 0o640).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o640);
        listen(&srv, SOMAXCONN).unwrap();
        assert_eq!(accept(&srv, false).err(), Some(Errno::AGAIN));
        let cli = connect_to(p, Some(l)).unwrap();
        let conn = accept(&srv, false).unwrap();
        let c = peer_creds(&conn).unwrap();
        assert_eq!(c.uid, rustix::process::geteuid().as_raw());
        assert_eq!(c.pid, std::process::id() as i32);
        assert_eq!(peer_path(&conn).unwrap(), l);
        assert_eq!(local_path(&srv).unwrap(), p);
        assert_eq!(local_path(&conn).unwrap(), p);
        shutdown_write(&cli).unwrap();
        let mut b = [0u8; 1];
        assert_eq!(rustix::io::read(&conn, &mut b).unwrap(), 0);
        is_socket(conn.as_fd()).unwrap();
        assert_eq!(
            connect_to(&[b'x'; 200], None).err(),
            Some(ConnectError::Connect(Errno::NAMETOOLONG))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
