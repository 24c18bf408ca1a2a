//! Shared test harness: a directory of applet symlinks made from
//! `s6box --list`, commands that run applets by name, the signal state a
//! test wants the applet to inherit, polling with a deadline instead of
//! sleeps, temporary directories and scripts, the references
//! (Debian's s6, upstream 2.15, s6-rc) for comparisons, processes seen
//! through /proc (`proc`), and service directories with their
//! supervisors (`sv`), the timestamp filters' sessions (`tai`), and a
//! child that may not chmod or chown by name (`seccomp`).
#![allow(dead_code)]

pub mod proc;
pub mod seccomp;
pub mod sv;
pub mod tai;
pub use proc::*;

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `bin()`: the s6box binary under test: the one cargo built, or the one
/// named by `S6BOX_BIN` when set (another target's build, run through
/// qemu-user and binfmt, or the size profile's: see .ci/run).
pub fn bin() -> PathBuf {
    match std::env::var_os("S6BOX_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_s6box")),
    }
}

/// `links()`: a directory holding one symlink per applet, named after it,
/// made once per test binary from `s6box --list`.
pub fn links() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new(bin()).arg("--list").output().unwrap();
        assert!(out.status.success());
        for name in String::from_utf8(out.stdout).unwrap().lines() {
            std::os::unix::fs::symlink(bin(), dir.join(name)).unwrap();
        }
        dir
    })
}

/// `applet(name)`: the path of the symlink that runs applet `name`.
pub fn applet(name: &str) -> PathBuf {
    let p = links().join(name);
    assert!(p.exists(), "applet {name} is not in s6box --list");
    p
}

/// `cmd(name)`: a command running applet `name` through its symlink.
pub fn cmd(name: &str) -> Command {
    Command::new(applet(name))
}

/// Where Debian's s6 package puts its programs.
pub const DEBIAN_BIN: &str = "/usr/bin";
/// Where `../shared/ref/install.sh` puts the upstream 2.15 programs.
pub const REFERENCE_BIN: &str = "/opt/s6-2.15.0.0/bin";
/// Where `../shared/ref/install-s6-rc.sh` puts s6-rc's programs.
pub const S6RC_BIN: &str = "/opt/s6-rc/bin";

/// `refs_required()`: whether a missing reference is a failure
/// (`S6BOX_REQUIRE_REFS=1`, set by .ci/run, which installs them all)
/// rather than a SKIP note.
pub fn refs_required() -> bool {
    std::env::var_os("S6BOX_REQUIRE_REFS").is_some_and(|v| v == "1")
}

/// `absent(what, install)`: `None` with a visible SKIP note, or a panic
/// when references are required.
fn absent(what: &str, install: &str) -> Option<PathBuf> {
    assert!(!refs_required(), "{what} is absent, and S6BOX_REQUIRE_REFS=1 requires it ({install})");
    eprintln!("SKIP: {what} is absent ({install}): comparison not run");
    None
}

/// `present(dir, name)`: `dir/name` when it exists.
fn present(dir: &str, name: &str) -> Option<PathBuf> {
    let p = Path::new(dir).join(name);
    p.exists().then_some(p)
}

/// `debian(name)`: Debian's s6 program `name` (2.11, in /usr/bin), or
/// `None` with a visible SKIP note when the s6 package is not installed.
pub fn debian(name: &str) -> Option<PathBuf> {
    present(DEBIAN_BIN, name).or_else(|| absent(&format!("Debian's {name}"), "apt-get install s6"))
}

/// `reference(name)`: the upstream 2.15 reference program
/// (`/opt/s6-2.15.0.0/bin/NAME`, put there by `../shared/ref/install.sh`),
/// or `None` with a visible SKIP note.
pub fn reference(name: &str) -> Option<PathBuf> {
    present(REFERENCE_BIN, name)
        .or_else(|| absent(&format!("the 2.15 reference {name}"), "../shared/ref/install.sh"))
}

/// `s6rc(name)`: s6-rc 0.6.1.1's program `name` (`/opt/s6-rc/bin/NAME`,
/// put there by `../shared/ref/install-s6-rc.sh`), or `None` with a
/// visible SKIP note.
pub fn s6rc(name: &str) -> Option<PathBuf> {
    present(S6RC_BIN, name)
        .or_else(|| absent(&format!("s6-rc's {name}"), "../shared/ref/install-s6-rc.sh"))
}

/// `s6_client(name)`: one of s6's programs, Debian's when installed, else
/// the 2.15 reference's (`None`, with a SKIP note, when neither is).
pub fn s6_client(name: &str) -> Option<PathBuf> {
    present(DEBIAN_BIN, name).or_else(|| reference(name))
}

/// `installed(name)`: a system program that .ci/run installs from Debian
/// (python3, memcached, sshd, redis-server), from /usr/bin or /usr/sbin,
/// or `None` with a visible SKIP note (a failure when references are
/// required).
pub fn installed(name: &str) -> Option<PathBuf> {
    present("/usr/bin", name)
        .or_else(|| present("/usr/sbin", name))
        .or_else(|| absent(name, ".ci/run installs it"))
}

/// `path_with(dirs)`: a PATH for programs that find s6's programs there:
/// s6box's applets first, then `dirs` (references), then the test's PATH.
pub fn path_with(dirs: &[&str]) -> String {
    let mut p = links().display().to_string();
    for d in dirs {
        p.push(':');
        p.push_str(d);
    }
    p.push(':');
    p.push_str(&std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()));
    p
}

/// `run(cmd)`: runs with stdin closed to input (`/dev/null`) and captures.
pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("spawn")
}

/// `run_input(cmd, input)`: runs `cmd` with `input` on stdin (written by
/// a thread, so big inputs cannot deadlock) and captures its output.
pub fn run_input(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// `run_reference(cmd)`: `run` for a reference program, run again (at
/// most 10 times) while it failed only because its s6-ftrigrd helper did
/// not answer within the program's own deadline (`ftrigr_startf: ...
/// timed out`, `s6-ftrigrd: fatal: unable to sync with client`): a matter
/// of load, never the answer a test compares.
pub fn run_reference(cmd: &mut Command) -> Output {
    let late = |o: &Output| {
        let e = text(&o.stderr);
        (e.contains("ftrigr_startf: ") && e.contains("timed out"))
            || e.contains("s6-ftrigrd: fatal: unable to sync with client")
    };
    let mut out = run(cmd);
    for _ in 0..10 {
        if !late(&out) {
            break;
        }
        out = run(cmd);
    }
    out.stderr = without_ftrigrd(&text(&out.stderr)).into_bytes();
    out
}

/// `without_ftrigrd(stderr)`: a reference's stderr without the lines of
/// its s6-ftrigrd helper, which may complain as it is left behind at exit
/// (`unable to flush asyncout: Broken pipe`): the helper's own race, not
/// a result of the program compared.
pub fn without_ftrigrd(stderr: &str) -> String {
    stderr.split_inclusive('\n').filter(|l| !l.starts_with("s6-ftrigrd: ")).collect()
}

/// `normalise_pids(s)`: every `pid 1234` becomes `pid P` (log lines of
/// two implementations compared).
pub fn normalise_pids(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("pid ") {
        out.push_str(&rest[..i + 4]);
        rest = rest[i + 4..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('P');
    }
    out.push_str(rest);
    out
}

/// `text(bytes)`: lossy UTF-8, for assertions.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `code(out)`: the exit code, panicking if the process was killed.
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or_else(|| panic!("killed: {:?}", out.status))
}

/// `sigstate(cmd, ignore, block)`: makes the command start with exactly the
/// signals in `ignore` ignored and those in `block` blocked (std's Command
/// resets SIGPIPE and the mask; this runs after that reset). The others
/// are set to default: a suite started in the background by a shell
/// inherits SIGINT and SIGQUIT ignored.
pub fn sigstate(cmd: &mut Command, ignore: &[i32], block: &[i32]) {
    let ignore = ignore.to_vec();
    let block = block.to_vec();
    // SAFETY: the closure runs in the forked child before exec and only
    // makes async-signal-safe calls (signal, sigprocmask) on local data.
    unsafe {
        cmd.pre_exec(move || {
            for s in [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGUSR1] {
                libc::signal(s, libc::SIG_DFL);
            }
            for &s in &ignore {
                libc::signal(s, libc::SIG_IGN);
            }
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for &s in &block {
                libc::sigaddset(&mut set, s);
            }
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
}

/// `status_field(status, key)`: a field of a /proc/PID/status text.
pub fn status_field(status: &str, key: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no {key} in status"))
}

/// `poll(deadline, what, f)`: calls `f` until it returns `Some`, or panics
/// naming `what` after `deadline`. Short naps between calls, never a sleep
/// standing in for synchronisation.
pub fn poll<T>(deadline: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + deadline;
    let mut nap = Duration::from_micros(100);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    }
}

/// A test's temporary directory, removed when dropped.
pub struct Tmp(pub PathBuf);

impl Tmp {
    /// `new(tag)`: a fresh empty directory for one test (`tmpdir(tag)`).
    pub fn new(tag: &str) -> Tmp {
        Tmp(tmpdir(tag))
    }

    /// `path(name)`: a path inside.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl std::ops::Deref for Tmp {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Tmp {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for Tmp {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `tmpdir(tag)`: a fresh empty directory for one test under /tmp,
/// world-traversable (tests run programs as `nobody` in it), named after
/// the tag and the test binary's pid.
pub fn tmpdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("s6box-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `script(path, body)`: an executable shell script `#!/bin/sh` + `body`,
/// its directory made first.
pub fn script(path: &Path, body: &str) {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `fifo_reader(path)`: a new fifo at `path`, held open for reading
/// without blocking (read-write, so it never sees end of file).
pub fn fifo_reader(path: &Path, mode: u32) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    mkfifo(path, mode);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .unwrap()
}

/// `fifodir_subscribers(fifodir)`: how many listeners are subscribed to
/// a fifodir: fifos under their final `ftrig1:` name (a listener makes
/// its fifo under a dot-name, which notifiers skip, then renames it).
pub fn fifodir_subscribers(fifodir: &Path) -> usize {
    std::fs::read_dir(fifodir)
        .map(|rd| {
            rd.flatten().filter(|e| e.file_name().as_encoded_bytes().starts_with(b"ftrig1")).count()
        })
        .unwrap_or(0)
}

/// `mkfifo(path, mode)`: a named pipe.
pub fn mkfifo(path: &Path, mode: u32) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: c is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), mode) }, 0, "mkfifo {path:?}");
}

/// `fds_of(cmd_args)`: the descriptor numbers a program sees, by running
/// `ls /proc/self/fd` under the given command prefix (ls's own directory
/// descriptor excluded).
pub fn fd_list(out: &Output) -> Vec<String> {
    let mut v: Vec<String> = text(&out.stdout).split_whitespace().map(str::to_string).collect();
    v.sort();
    v
}

/// `os(s)`: an `OsStr` from bytes.
pub fn os(b: &[u8]) -> &OsStr {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(b)
}

/// `nobody()`: (uid, gid) of the unprivileged account tests drop to.
pub const NOBODY: (u32, u32) = (65534, 65534);

/// `as_user(cmd, uid, gid)`: runs the command as uid/gid with no
/// supplementary groups (requires root).
pub fn as_user(cmd: &mut Command, uid: u32, gid: u32) {
    // SAFETY: runs in the child before exec; setgroups/setgid/setuid are
    // async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// `fds_to(cmd, pairs)`: in the child, makes descriptor `to` a copy of
/// `from` (not close-on-exec) for each `(from, to)`. Every source is
/// first copied above all targets, so a source that already has a
/// target's number (a pipe that landed on 3) is neither left
/// close-on-exec (dup2(3, 3) does nothing) nor overwritten by another
/// pair.
pub fn fds_to(cmd: &mut Command, pairs: &[(i32, i32)]) {
    let pairs: Vec<(i32, i32)> = pairs.to_vec();
    // SAFETY: runs in the child between fork and exec; fcntl and dup2 are
    // async-signal-safe and the sources are open in the parent.
    unsafe {
        cmd.pre_exec(move || {
            let mut high = [0i32; 8];
            for (i, &(from, _)) in pairs.iter().enumerate().take(high.len()) {
                high[i] = libc::fcntl(from, libc::F_DUPFD_CLOEXEC, 64);
                if high[i] < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            for (i, &(_, to)) in pairs.iter().enumerate().take(high.len()) {
                if libc::dup2(high[i], to) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}
