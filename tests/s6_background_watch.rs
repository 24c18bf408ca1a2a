//! s6-background-watch: small /bin/sh daemons that fork, write the pidfile
//! and exit, driven through fifos (no sleeps); every test kills and reaps
//! what it started, even when it fails.

mod common;

use common::*;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NAME: &str = "s6-background-watch";

/// Blocks on the fifo `$1` (opened read-write, so `open` does not block)
/// until a line arrives; trapped signals run their traps meanwhile.
const BLOCK: &str =
    r#"block() { exec 3<>"$1"; while :; do read x <&3 && break; done; exec 3<&-; }"#;

/// A test's directory: `parent.sh` and `daemon.sh`, fifos `pgo` (releases
/// the parent) and `dgo` (releases the daemon), `pid`, `log`.
struct Setup {
    dir: Tmp,
}

impl Setup {
    /// `new(tag, parent, daemon)`: writes the two scripts. Both get the
    /// directory as `$d` and the `block` function.
    fn new(tag: &str, parent: &str, daemon: &str) -> Setup {
        let dir = Tmp::new(&format!("bgw-{tag}"));
        let head = format!("d='{}'\n{BLOCK}\n", dir.display());
        std::fs::write(dir.join("parent.sh"), format!("{head}{parent}\n")).unwrap();
        std::fs::write(dir.join("daemon.sh"), format!("{head}{daemon}\n")).unwrap();
        for f in ["pgo", "dgo", "ogo"] {
            mkfifo(&dir.join(f), 0o600);
        }
        std::fs::write(dir.join("log"), "").unwrap();
        Setup { dir }
    }

    fn path(&self, f: &str) -> PathBuf {
        self.dir.join(f)
    }

    /// `cmd(opts)`: the watcher command: `s6-background-watch OPTS pid sh parent.sh`.
    fn cmd(&self, opts: &[&str]) -> Command {
        let mut c = cmd(NAME);
        c.args(opts).arg(self.path("pid")).arg("sh").arg(self.path("parent.sh"));
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        c
    }

    /// `log_has(what)`: waits until the log has the line `what`.
    fn log_has(&self, what: &str) {
        poll(LONG, &format!("{what} in the log"), || {
            let log = std::fs::read_to_string(self.path("log")).unwrap_or_default();
            log.lines().any(|l| l == what).then_some(())
        })
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path("log")).unwrap_or_default()
    }

    /// `release(fifo)`: sends a line to a blocked script.
    fn release(&self, fifo: &str) {
        use std::io::Write;
        let p = self.path(fifo);
        let mut f = poll(LONG, &format!("a reader on {fifo}"), || {
            std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&p).ok()
        });
        f.write_all(b"go\n").unwrap();
    }

    /// `pid()`: the pid the parent wrote.
    fn pid(&self) -> i32 {
        poll(LONG, "the pidfile", || {
            let s = std::fs::read_to_string(self.path("pid")).ok()?;
            s.strip_suffix('\n')?.parse().ok()
        })
    }
}

/// A running watcher; dropping it kills it and everything below it.
struct Watcher {
    child: Child,
}

impl Watcher {
    fn spawn(mut c: Command) -> Watcher {
        Watcher { child: c.spawn().expect("spawn s6-background-watch") }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn kill(&self, sig: i32) {
        // SAFETY: plain kill(2) of our own unreaped child.
        assert_eq!(unsafe { libc::kill(self.pid(), sig) }, 0);
    }

    /// `daemon()`: waits for the daemon phase (the watcher holds a pidfd)
    /// and returns the pid the pidfd refers to.
    fn daemon(&self) -> i32 {
        poll(LONG, "a pidfd in the watcher", || pidfd_of(self.pid()))
    }

    /// `finish()`: waits for the exit; returns the code and stderr.
    fn finish(mut self) -> (i32, String) {
        let status = poll(LONG, "the watcher's exit", || self.child.try_wait().unwrap());
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (status.code().unwrap_or_else(|| panic!("watcher killed: {status:?}")), err)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let me = self.pid();
            // Each pid is an unreaped descendant of the still-living
            // watcher, so it cannot have been recycled.
            for pid in descendants(me) {
                kill(pid, libc::SIGKILL);
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `pidfd_of(pid)`: the pid behind the first pidfd that `pid` holds.
fn pidfd_of(pid: i32) -> Option<i32> {
    for e in std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.flatten() {
        let Ok(target) = std::fs::read_link(e.path()) else { continue };
        if target.as_os_str() == "anon_inode:[pidfd]" {
            let info =
                std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", e.file_name().to_str()?))
                    .ok()?;
            return info
                .lines()
                .find_map(|l| l.strip_prefix("Pid:"))
                .and_then(|v| v.trim().parse().ok());
        }
    }
    None
}

/// `fd_targets(pid)`: what each descriptor of `pid` points to.
fn fd_targets(pid: i32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|t| t.to_string_lossy().into_owned())
        .collect()
}

/// `fd_targets_above2(pid)`: the same for descriptors 3 and up.
fn fd_targets_above2(pid: i32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return Vec::new() };
    dir.flatten()
        .filter(|e| {
            e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()).is_some_and(|n| n > 2)
        })
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|t| t.to_string_lossy().into_owned())
        .collect()
}

/// Traps that log HUP and USR1.
const TRAPS: &str = r#"trap 'echo HUP >> "$d/log"' HUP
trap 'echo USR1 >> "$d/log"' USR1"#;

/// Logs "ready", then waits for signals in `wait`, which, unlike `read`,
/// cannot miss a trapped signal that arrives just before it blocks.
/// "ready" only once `sleep` runs: before its exec, the forked shell still
/// has the TERM trap's handler, and a `kill $s` from the trap would be
/// lost there, leaving `sleep` behind.
const WAIT: &str = r#"sleep 600 & s=$!
while read -r c < /proc/$s/comm && [ "$c" != sleep ]; do :; done
echo ready >> "$d/log"
while :; do wait $s; done"#;

/// A daemon forked by the parent, its stdio away from the watcher's pipe.
const FORK: &str = r#"sh "$d/daemon.sh" </dev/null >/dev/null 2>>"$d/daemon.err" &
echo $! > "$d/pid""#;

/// The usual parent: fork the daemon, write the pidfile, exit 0.
fn parent() -> String {
    format!("{FORK}\nexit 0")
}

// ---------------------------------------------------------------- usage

#[test]
fn usage_and_bad_options() {
    let usage = "s6-background-watch: usage: s6-background-watch [ -t timeout ] [ -d notif ] pidfile prog...\n";
    for args in
        [&[][..], &["pidfile"], &["-t", "5"], &["-x", "p", "true"], &["--bogus=1", "p", "true"]]
    {
        let out = run(cmd(NAME).args(args));
        assert_eq!(code(&out), 100, "{args:?}");
        assert_eq!(text(&out.stderr), usage, "{args:?}");
    }
    // A bad -t/-d value is bad usage, in s6's style: the usage line, 100.
    for args in [
        &["-t", "abc", "p", "true"][..],
        &["-t", "-1", "p", "true"],
        &["--timeout-ready=x", "p", "true"],
        &["-d", "x", "p", "true"],
        &["-d", "-1", "p", "true"],
        &["--notification-fd=3x", "p", "true"],
    ] {
        let out = run(cmd(NAME).args(args));
        assert_eq!(code(&out), 100, "{args:?}");
        assert_eq!(text(&out.stderr), usage, "{args:?}");
    }
    for fd in ["0", "1", "2"] {
        let out = run(cmd(NAME).args(["-d", fd, "p", "true"]));
        assert_eq!(code(&out), 100);
        assert_eq!(
            text(&out.stderr),
            "s6-background-watch: fatal: notification-fd cannot be 0, 1 or 2\n"
        );
    }
    // A descriptor that is not open.
    let out = run(cmd(NAME).args(["-d", "57", "p", "true"]));
    assert_eq!(code(&out), 111);
    assert_eq!(
        text(&out.stderr),
        "s6-background-watch: fatal: unable to use notification-fd 57: Bad file descriptor\n"
    );
    let out = run(cmd(NAME).arg("--help"));
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).starts_with("usage: s6-background-watch [ -t timeout ]"));
}

#[test]
fn prog_cannot_be_spawned() {
    let dir = Tmp::new("bgw-spawn");
    let out = run(cmd(NAME).arg(dir.join("pid")).arg("/nonexistent/prog"));
    assert_eq!(code(&out), 127);
    assert_eq!(
        text(&out.stderr),
        "s6-background-watch: fatal: unable to spawn /nonexistent/prog: No such file or directory\n"
    );
    let out = run(cmd(NAME).arg(dir.join("pid")).arg(&dir));
    assert_eq!(code(&out), 126);
}

// ---------------------------------------------------------- daemon phase

#[test]
fn daemon_exit_codes() {
    for (exit, want) in [(0, 0), (7, 7), (200, 128)] {
        let s = Setup::new(
            &format!("exit{exit}"),
            &parent(),
            &format!("block \"$d/dgo\"\nexit {exit}"),
        );
        let w = Watcher::spawn(s.cmd(&[]));
        assert_eq!(w.daemon(), s.pid());
        s.release("dgo");
        let (c, err) = w.finish();
        assert_eq!(c, want, "daemon exit {exit}: {err}");
        assert_eq!(err, "");
    }
}

#[test]
fn daemon_killed_by_forwarded_term() {
    let s = Setup::new("term", &parent(), "block \"$d/dgo\"");
    let w = Watcher::spawn(s.cmd(&[]));
    let daemon = w.daemon();
    w.kill(libc::SIGTERM);
    let (c, err) = w.finish();
    assert_eq!(c, 143, "{err}");
    assert_eq!(err, "");
    assert!(!alive(daemon));
}

#[test]
fn signals_forwarded_in_daemon_phase() {
    let daemon = format!("{TRAPS}\ntrap 'echo TERM >> \"$d/log\"; kill $s; exit 0' TERM\n{WAIT}");
    let s = Setup::new("fwd-daemon", &parent(), &daemon);
    let w = Watcher::spawn(s.cmd(&[]));
    s.log_has("ready");
    w.daemon();
    w.kill(libc::SIGHUP);
    s.log_has("HUP");
    w.kill(libc::SIGUSR1);
    s.log_has("USR1");
    w.kill(libc::SIGTERM);
    let (c, err) = w.finish();
    assert_eq!(c, 0, "{err}");
    assert_eq!(s.log(), "ready\nHUP\nUSR1\nTERM\n");
}

#[test]
fn watcher_holds_the_daemon_by_pidfd() {
    let s = Setup::new("pidfd", &parent(), "block \"$d/dgo\"\nexit 3");
    let w = Watcher::spawn(s.cmd(&[]));
    let daemon = s.pid();
    // The pidfd the watcher holds refers to the daemon.
    assert_eq!(w.daemon(), daemon);
    // The daemon is the watcher's child now (re-parented to the subreaper).
    assert_eq!(stat(daemon).unwrap().1, w.pid());
    // The watcher's own descriptors: one signalfd, one pidfd; everything
    // else it has, it inherited and passed on (the daemon has it too).
    let fds = fd_targets_above2(w.pid());
    assert_eq!(fds.iter().filter(|t| *t == "anon_inode:[pidfd]").count(), 1, "{fds:?}");
    assert_eq!(fds.iter().filter(|t| *t == "anon_inode:[signalfd]").count(), 1, "{fds:?}");
    let daemon_fds = fd_targets_above2(daemon);
    for t in fds.iter().filter(|t| !t.starts_with("anon_inode:")) {
        assert!(daemon_fds.contains(t), "{t} not passed on: {fds:?} vs {daemon_fds:?}");
    }
    s.release("dgo");
    assert_eq!(w.finish().0, 3);
}

#[test]
fn double_forking_daemon() {
    let parent = r#"( sh "$d/daemon.sh" </dev/null >/dev/null 2>>"$d/daemon.err" &
  echo $! > "$d/pid" )
exit 0"#;
    let s = Setup::new("dfork", parent, "block \"$d/dgo\"\nexit 5");
    let w = Watcher::spawn(s.cmd(&[]));
    let daemon = w.daemon();
    assert_eq!(daemon, s.pid());
    assert_eq!(stat(daemon).unwrap().1, w.pid());
    // The intermediate process is gone, reaped: only the daemon is left.
    poll(LONG, "only the daemon under the watcher", || {
        (child_states(w.pid()) == vec![(daemon, 'S')]).then_some(())
    });
    s.release("dgo");
    assert_eq!(w.finish().0, 5);
}

/// A double fork whose intermediate process outlives the parent: the
/// parent records its pid in `ppid` and forks the intermediate, which forks
/// the daemon and hands its pid to the parent through the fifo `ogo`; the
/// parent writes the pidfile and exits 0, while the intermediate blocks on
/// `pgo`, then runs `tail` and exits.
fn slow_intermediate(tail: &str) -> String {
    format!(
        r#"echo $$ > "$d/ppid"
( sh "$d/daemon.sh" </dev/null >/dev/null 2>>"$d/daemon.err" &
  echo $! > "$d/ogo"
  block "$d/pgo"
  {tail}
  exit 0 ) </dev/null >/dev/null 2>&1 &
read p < "$d/ogo"
echo $p > "$d/pid"
exit 0"#
    )
}

/// `parent_gone(s, w)`: waits until the watcher has reaped the parent of a
/// `slow_intermediate` and checks that the intermediate, still alive, is
/// now the watcher's child and the daemon's parent; returns the daemon.
fn parent_gone(s: &Setup, w: &Watcher) -> i32 {
    let parent: i32 = poll(LONG, "the parent's pid", || {
        std::fs::read_to_string(s.path("ppid")).ok()?.strip_suffix('\n')?.parse().ok()
    });
    let daemon = s.pid();
    poll(LONG, "the parent reaped", || stat(parent).is_none().then_some(()));
    let mid = stat(daemon).expect("the daemon").1;
    assert_ne!(mid, w.pid(), "the daemon's parent is the intermediate");
    assert_eq!(stat(mid).expect("the intermediate").1, w.pid());
    daemon
}

/// Kills, when dropped, what still runs a script of this test's directory,
/// and everything below it: what an early exit of the watcher (a failed
/// test) left behind, outside the watcher's own guard.
struct Sweep<'a>(&'a Setup);

impl Drop for Sweep<'_> {
    fn drop(&mut self) {
        sweep(&self.0.dir);
    }
}

/// `sweep(dir)`: kills what runs with `dir` in its command line, and
/// everything below it.
fn sweep(dir: &std::path::Path) {
    let dir = dir.as_os_str().as_encoded_bytes();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{p}/cmdline")) else { continue };
        if cmdline.windows(dir.len()).any(|w| w == dir) {
            // A process running with this test's directory in its
            // command line (or below one), checked just above.
            for q in descendants(p).into_iter().chain([p]) {
                kill(q, libc::SIGKILL);
            }
        }
    }
}

#[test]
fn signal_reaches_a_descendant_at_once() {
    // The daemon is a descendant but not yet our child when the parent
    // exits 0 (the intermediate never exits here): it is held by its
    // pidfd at once, and a SIGTERM reaches it at once; its status is
    // reported although it never becomes our child (s6-svc -d works).
    let s = Setup::new("slow-mid", &slow_intermediate(""), "block \"$d/dgo\"\nexit 5");
    let _sweep = Sweep(&s);
    let w = Watcher::spawn(s.cmd(&[]));
    let daemon = parent_gone(&s, &w);
    assert_eq!(w.daemon(), daemon);
    w.kill(libc::SIGTERM);
    let (c, err) = w.finish();
    assert_eq!(c, 143, "{err}");
    assert_eq!(err, "");
    assert!(!alive(daemon));
}

#[test]
fn signals_forwarded_while_a_descendant() {
    let daemon = format!("{TRAPS}\ntrap 'echo TERM >> \"$d/log\"; kill $s; exit 0' TERM\n{WAIT}");
    let s = Setup::new("slow-mid-sig", &slow_intermediate(""), &daemon);
    let _sweep = Sweep(&s);
    let w = Watcher::spawn(s.cmd(&[]));
    s.log_has("ready");
    let daemon = parent_gone(&s, &w);
    assert_eq!(w.daemon(), daemon);
    w.kill(libc::SIGHUP);
    s.log_has("HUP");
    w.kill(libc::SIGUSR1);
    s.log_has("USR1");
    // The intermediate ends: the daemon becomes our child, still held.
    s.release("pgo");
    poll(LONG, "the daemon re-parented", || (stat(daemon)?.1 == w.pid()).then_some(()));
    w.kill(libc::SIGTERM);
    let (c, err) = w.finish();
    assert_eq!(c, 0, "{err}");
    assert_eq!(err, "");
    assert_eq!(s.log(), "ready\nHUP\nUSR1\nTERM\n");
}

#[test]
fn daemon_dead_while_a_descendant_reports_its_status() {
    // The daemon dies while its parent (the intermediate) still runs and
    // has not reaped it: its status is read from the zombie.
    let s = Setup::new("slow-mid-dead", &slow_intermediate("wait $!"), "block \"$d/dgo\"\nexit 3");
    let _sweep = Sweep(&s);
    let w = Watcher::spawn(s.cmd(&[]));
    let daemon = parent_gone(&s, &w);
    assert_eq!(w.daemon(), daemon);
    s.release("dgo");
    let (c, err) = w.finish();
    assert_eq!(c, 3, "{err}");
    assert_eq!(err, "");
}

#[test]
fn daemon_reaped_by_its_intermediate() {
    // The daemon dies while it is not ours yet, and is reaped at once
    // (SIGCHLD ignored by its parent): nothing is left to watch, its
    // status is gone.
    // The intermediate is perl (Debian's perl-base is essential) with
    // SIGCHLD ignored, which a shell would not keep: the kernel reaps the
    // daemon the moment it exits.
    let parent = r#"echo $$ > "$d/ppid"
perl -e '$SIG{CHLD} = "IGNORE"; my $p = fork; if (!$p) { exec "sh", "$ARGV[0]/daemon.sh"; }
open(my $o, ">", "$ARGV[0]/ogo"); print $o "$p\n"; close $o; sleep 1000;' "$d" </dev/null >/dev/null 2>&1 &
read p < "$d/ogo"
echo $p > "$d/pid"
exit 0"#;
    let s = Setup::new("slow-mid-reaped", parent, "block \"$d/dgo\"\nexit 3");
    let _sweep = Sweep(&s);
    let w = Watcher::spawn(s.cmd(&[]));
    let daemon = parent_gone(&s, &w);
    assert_eq!(w.daemon(), daemon);
    s.release("dgo");
    let (c, err) = w.finish();
    assert_eq!(c, 104, "{err}");
    assert_eq!(
        err,
        format!(
            "s6-background-watch: fatal: pid {daemon} read from {} exited before it could be watched\n",
            s.path("pid").display()
        )
    );
}

#[test]
fn every_signal_reaches_a_descendant_in_order() {
    // 1000 queued SIGRTMIN+1 sent while the daemon is a descendant, not
    // our child: all 1000 reach it (none merged), before the SIGRTMIN+2
    // sent after them. The daemon counts them with sigwaitinfo (python3).
    if installed("python3").is_none() {
        return;
    }
    let count = r#"import signal, sys
a, b = signal.SIGRTMIN + 1, signal.SIGRTMIN + 2
signal.pthread_sigmask(signal.SIG_BLOCK, [a, b])
log = sys.argv[1]
open(log, "a").write("ready\n")
n = 0
while signal.sigwaitinfo([a, b]).si_signo == a:
    n += 1
open(log, "a").write("%d\n" % n)
"#;
    let s =
        Setup::new("rt-count", &slow_intermediate(""), "exec python3 \"$d/count.py\" \"$d/log\"");
    std::fs::write(s.path("count.py"), count).unwrap();
    let _sweep = Sweep(&s);
    let w = Watcher::spawn(s.cmd(&[]));
    s.log_has("ready");
    let daemon = parent_gone(&s, &w);
    assert_eq!(w.daemon(), daemon);
    let rt = libc::SIGRTMIN();
    for _ in 0..1000 {
        w.kill(rt + 1);
    }
    w.kill(rt + 2);
    s.log_has("1000");
    let (c, err) = w.finish();
    assert_eq!(c, 0, "{err}");
}

#[test]
fn orphans_of_the_daemon_are_reaped() {
    // Ten orphans, re-parented to the watcher while alive, then released.
    let daemon = r#"i=0
while [ $i -lt 10 ]; do
  ( sh -c '. "$1"; block "$2"' - "$d/daemon.sh.fn" "$d/ogo" </dev/null >/dev/null 2>&1 & )
  i=$((i+1))
done
echo spawned >> "$d/log"
block "$d/dgo"
exit 4"#;
    let s = Setup::new("orphans", &parent(), daemon);
    std::fs::write(s.path("daemon.sh.fn"), BLOCK).unwrap();
    let w = Watcher::spawn(s.cmd(&[]));
    let daemon = w.daemon();
    s.log_has("spawned");
    poll(LONG, "ten orphans under the watcher", || (children(w.pid()).len() == 11).then_some(()));
    // Each orphan takes one line: release all ten.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().read(true).write(true).open(s.path("ogo")).unwrap();
        f.write_all(&b"go\n".repeat(10)).unwrap();
        poll(LONG, "every orphan reaped", || {
            (child_states(w.pid()) == vec![(daemon, 'S')]).then_some(())
        });
    }
    s.release("dgo");
    assert_eq!(w.finish().0, 4);
}

// ---------------------------------------------------------- parent phase

#[test]
fn signals_forwarded_in_parent_phase() {
    let parent = format!(
        "echo 4242 > \"$d/pid\"\n{TRAPS}\ntrap 'echo TERM >> \"$d/log\"; kill $s; exit 3' TERM\n{WAIT}"
    );
    let s = Setup::new("fwd-parent", &parent, "exit 0");
    let w = Watcher::spawn(s.cmd(&[]));
    s.log_has("ready");
    w.kill(libc::SIGHUP);
    s.log_has("HUP");
    w.kill(libc::SIGUSR1);
    s.log_has("USR1");
    w.kill(libc::SIGTERM);
    let (c, err) = w.finish();
    assert_eq!(c, 3);
    assert_eq!(err, "s6-background-watch: fatal: sh (parent) exited 3\n");
    assert_eq!(s.log(), "ready\nHUP\nUSR1\nTERM\n");
    assert!(!s.path("pid").exists(), "pidfile not removed");
}

#[test]
fn signal_after_the_parent_ended_goes_to_the_daemon() {
    // The parent has exited 0 but the watcher has not reaped it yet when a
    // SIGTERM comes: signals are read lowest number first, so SIGTERM (15)
    // is read before the parent's SIGCHLD (17). Sent to the parent's
    // zombie it would be lost; it must reach the daemon.
    let parent = format!("{FORK}\nblock \"$d/pgo\"\nexit 0");
    let daemon = format!("trap 'echo TERM >> \"$d/log\"; kill $s; exit 0' TERM\n{WAIT}");
    let s = Setup::new("zombie-parent", &parent, &daemon);
    let w = Watcher::spawn(s.cmd(&[]));
    s.log_has("ready");
    let daemon = s.pid();
    let parent = poll(LONG, "the parent", || children(w.pid()).into_iter().find(|&p| p != daemon));
    // Freeze the watcher, let the parent end, then signal the watcher.
    w.kill(libc::SIGSTOP);
    poll(LONG, "the watcher stopped", || (stat(w.pid())?.0 == 'T').then_some(()));
    s.release("pgo");
    poll(LONG, "the parent's zombie", || (stat(parent)?.0 == 'Z').then_some(()));
    w.kill(libc::SIGTERM);
    w.kill(libc::SIGCONT);
    let (c, err) = w.finish();
    assert_eq!(c, 0, "{err}");
    assert_eq!(err, "");
    assert_eq!(s.log(), "ready\nTERM\n");
}

#[test]
fn parent_exits_nonzero() {
    for (exit, want) in [(1, 1), (100, 100), (200, 128)] {
        let s = Setup::new(
            &format!("pexit{exit}"),
            &format!("echo 4242 > \"$d/pid\"\nexit {exit}"),
            "",
        );
        let (c, err) = Watcher::spawn(s.cmd(&[])).finish();
        assert_eq!(c, want);
        assert_eq!(err, format!("s6-background-watch: fatal: sh (parent) exited {exit}\n"));
        assert!(!s.path("pid").exists(), "pidfile not removed");
    }
}

#[test]
fn parent_killed() {
    let s = Setup::new("pkill", "echo 4242 > \"$d/pid\"\nkill -s USR2 $$\nexit 0", "");
    let (c, err) = Watcher::spawn(s.cmd(&[])).finish();
    assert_eq!(c, 128 + libc::SIGUSR2);
    assert_eq!(
        err,
        format!("s6-background-watch: fatal: sh (parent) crashed with signal {}\n", libc::SIGUSR2)
    );
    assert!(!s.path("pid").exists(), "pidfile not removed");
}

#[test]
fn timeout_ready_kills_the_parent() {
    for opt in [&["-t", "300"][..], &["--timeout-ready=300"], &["-t300"]] {
        let s = Setup::new("timeout", "echo 4242 > \"$d/pid\"\nblock \"$d/pgo\"\nexit 0", "");
        let start = Instant::now();
        let (c, err) = Watcher::spawn(s.cmd(opt)).finish();
        assert_eq!(c, 137, "{opt:?}: {err}");
        assert_eq!(
            err,
            "s6-background-watch: warning: sh (parent) did not exit before timeout-ready, killing it\n\
             s6-background-watch: fatal: sh (parent) crashed with signal 9\n"
        );
        // Loose: well before the 30 s a hang would take.
        assert!(start.elapsed() < Duration::from_secs(10));
        assert!(!s.path("pid").exists());
    }
}

#[test]
fn timeout_zero_means_no_timeout() {
    // Upstream kills the parent at once with -t 0; here it waits.
    let parent = format!("echo ready >> \"$d/log\"\nblock \"$d/pgo\"\n{}", parent());
    let s = Setup::new("timeout0", &parent, "block \"$d/dgo\"\nexit 6");
    let w = Watcher::spawn(s.cmd(&["-t", "0"]));
    s.log_has("ready");
    // The parent is alive and the watcher asleep, in the parent phase.
    asleep_in_poll(w.pid());
    assert_eq!(children(w.pid()).len(), 1);
    s.release("pgo");
    w.daemon();
    s.release("dgo");
    let (c, err) = w.finish();
    assert_eq!(c, 6);
    assert_eq!(err, "");
}

// --------------------------------------------------------------- pidfile

fn refused(tag: &str, parent: &str) -> (String, PathBuf) {
    let s = Setup::new(tag, parent, "");
    let (c, err) = Watcher::spawn(s.cmd(&[])).finish();
    assert_eq!(c, 104, "{tag}: {err}");
    (err, s.path("pid"))
}

#[test]
fn bad_pidfiles() {
    let (err, pid) = refused("nopid", "exit 0");
    assert_eq!(
        err,
        format!(
            "s6-background-watch: fatal: unable to read {}: No such file or directory\n",
            pid.display()
        )
    );
    let (err, pid) = refused("dirpid", "mkdir \"$d/pid\"");
    assert_eq!(
        err,
        format!("s6-background-watch: fatal: unable to read {}: Is a directory\n", pid.display())
    );
    let (err, pid) = refused("emptypid", ": > \"$d/pid\"");
    assert_eq!(err, format!("s6-background-watch: fatal: pidfile {} is empty\n", pid.display()));
    for (tag, content) in [("garbage", "abc"), ("space", " 12"), ("neg", "-12"), ("blank", "")] {
        let (err, pid) = refused(tag, &format!("echo '{content}' > \"$d/pid\""));
        assert_eq!(
            err,
            format!(
                "s6-background-watch: fatal: pidfile {} does not contain a valid pid\n",
                pid.display()
            ),
            "{tag}"
        );
    }
    // A pid behind more leading zeros than the watcher reads is not taken
    // for the zeros alone (pid 0).
    let zeros = "0".repeat(40);
    let (err, pid) = refused("longpid", &format!("echo {zeros}1 > \"$d/pid\""));
    assert_eq!(
        err,
        format!(
            "s6-background-watch: fatal: pidfile {} does not contain a valid pid\n",
            pid.display()
        )
    );
    // A fifo with no writer: refused at once, no hang in open(2).
    let (err, pid) = refused("fifopid", "mkfifo \"$d/pid\"");
    assert_eq!(err, format!("s6-background-watch: fatal: pidfile {} is empty\n", pid.display()));
    for n in ["0", "1", "$PPID"] {
        let (err, pid) = refused("badnum", &format!("echo {n} > \"$d/pid\""));
        assert!(err.starts_with("s6-background-watch: fatal: invalid pid "), "{n}: {err}");
        assert!(err.ends_with(&format!(" read from {}\n", pid.display())), "{n}: {err}");
        assert_eq!(err.lines().count(), 1);
    }
}

#[test]
fn pidfile_naming_a_stranger_is_refused() {
    // Upstream trusts this pid and would signal it; here it is refused.
    let me = std::process::id();
    let (err, pid) = refused("stranger", &format!("echo {me} > \"$d/pid\""));
    assert_eq!(
        err,
        format!(
            "s6-background-watch: fatal: pid {me} read from {} is not a descendant of sh\n",
            pid.display()
        )
    );
    // Still alive, never signalled.
    assert!(alive(me as i32));
}

#[test]
fn daemon_dead_before_the_pidfile_is_read() {
    // The daemon ends (and is reaped by the watcher, its subreaper) while
    // the parent still runs; upstream fails with 111 there.
    // The daemon waits until its parent (a subshell) is gone, so that no
    // shell reaps it but the watcher.
    let parent = r#"( sh "$d/daemon.sh" </dev/null >/dev/null 2>&1 & echo $! > "$d/pid" )
read p < "$d/pid"
echo go > "$d/dgo"
while read -r a b c rest < /proc/$p/stat && [ "$c" != Z ]; do :; done 2>/dev/null
exit 0"#;
    for (body, want) in [("exit 9", 9), ("exit 222", 128), ("kill -s TERM $$", 143)] {
        let s = Setup::new("early", parent, &format!("block \"$d/dgo\"\n{body}"));
        let (c, err) = Watcher::spawn(s.cmd(&[])).finish();
        assert_eq!(c, want, "{body}: {err}");
        assert_eq!(err, "");
    }
}

// ---------------------------------------------------------- notification

/// A pipe whose write end the watcher gets as descriptor 3; returns the
/// read end (non-blocking) and the test's copy of the write end, to be
/// dropped once the watcher is spawned.
fn notif_pipe(c: &mut Command) -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two-element array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) }, 0);
    let (rd, wr) = (fds[0], fds[1]);
    common::fds_to(c, &[(wr, 3)]);
    // SAFETY: rd and wr are fresh descriptors owned by nobody else.
    unsafe { (std::fs::File::from_raw_fd(rd), std::os::fd::OwnedFd::from_raw_fd(wr)) }
}

/// `read_now(f)`: Some(bytes) (empty at end of file) or None if nothing yet.
fn read_now(f: &mut std::fs::File) -> Option<Vec<u8>> {
    let mut buf = [0u8; 16];
    match f.read(&mut buf) {
        Ok(n) => Some(buf[..n].to_vec()),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(e) => panic!("read: {e}"),
    }
}

fn pipe_inode(f: &std::fs::File) -> String {
    use std::os::unix::fs::MetadataExt;
    format!("pipe:[{}]", f.metadata().unwrap().ino())
}

#[test]
fn notification_fd() {
    for opt in ["-d3", "--notification-fd=3"] {
        let parent = format!("{FORK}\necho ready >> \"$d/log\"\nblock \"$d/pgo\"\nexit 0");
        let s = Setup::new("notif", &parent, "block \"$d/dgo\"\nexit 0");
        let mut c = s.cmd(&[opt]);
        let (mut rd, wr) = notif_pipe(&mut c);
        let w = Watcher::spawn(c);
        drop(wr);
        let ino = pipe_inode(&rd);
        s.log_has("ready");
        let daemon = s.pid();
        // Parent still running: nothing yet, and neither the parent nor the
        // daemon holds the descriptor.
        assert_eq!(read_now(&mut rd), None);
        let parent_pid = children(w.pid())[0];
        assert!(fd_targets(w.pid()).contains(&ino));
        for p in [parent_pid, daemon] {
            assert!(!fd_targets(p).contains(&ino), "pid {p} holds the notification pipe");
        }
        s.release("pgo");
        let got = poll(LONG, "the notification", || read_now(&mut rd));
        assert_eq!(got, b"\n");
        // Then end of file: the watcher closed it and nobody else has it,
        // while the daemon still runs.
        let eof = poll(LONG, "end of file", || read_now(&mut rd));
        assert_eq!(eof, b"");
        assert!(alive(daemon));
        assert!(!fd_targets(daemon).contains(&ino));
        s.release("dgo");
        let (code, err) = w.finish();
        assert_eq!(code, 0, "{err}");
        assert_eq!(err, "");
    }
}

#[test]
fn notification_not_sent_when_parent_fails() {
    let s = Setup::new("notif-fail", "exit 2", "");
    let mut c = s.cmd(&["-d", "3"]);
    let (mut rd, wr) = notif_pipe(&mut c);
    let w = Watcher::spawn(c);
    drop(wr);
    let (code, _) = w.finish();
    assert_eq!(code, 2);
    // (Polled: a child that another test forks may hold a copy of the
    // write end for a moment, until it execs.)
    let got = poll(LONG, "end of file", || read_now(&mut rd));
    assert_eq!(got, b"", "EOF without a newline");
}

// -------------------------------------------------------- inherited state

fn sigmask(sigs: &[i32]) -> String {
    format!("{:016x}", sigs.iter().fold(0u64, |m, &s| m | 1 << (s - 1)))
}

#[test]
fn spawned_program_inherits_the_signal_state() {
    // Upstream empties the mask; here the program gets exactly what the
    // watcher was started with, SIGCHLD "ignore" included.
    let dir = Tmp::new("bgw-sigstate");
    let ignore = [libc::SIGPIPE, libc::SIGUSR2, libc::SIGCHLD];
    let block = [libc::SIGUSR1, libc::SIGWINCH];
    let mut c = cmd(NAME);
    c.arg(dir.join("pid")).args(["grep", "-e", "^SigBlk", "-e", "^SigIgn", "/proc/self/status"]);
    sigstate(&mut c, &ignore, &block);
    let out = run(&mut c);
    assert_eq!(code(&out), 104);
    let status = text(&out.stdout);
    assert_eq!(status_field(&status, "SigBlk"), sigmask(&block));
    // What a direct run sees (the test environment may add its own).
    let mut direct = Command::new("grep");
    direct.args(["-e", "^SigBlk", "-e", "^SigIgn", "/proc/self/status"]);
    sigstate(&mut direct, &ignore, &block);
    let want = text(&run(&mut direct).stdout);
    assert_eq!(status, want);
    let ign = u64::from_str_radix(&status_field(&status, "SigIgn"), 16).unwrap();
    for sig in ignore {
        assert_ne!(ign & 1 << (sig - 1), 0, "signal {sig} not ignored");
    }

    // Started with nothing ignored or blocked: nothing leaks either.
    let mut c = cmd(NAME);
    c.arg(dir.join("pid")).args(["grep", "-e", "^SigBlk", "-e", "^SigIgn", "/proc/self/status"]);
    sigstate(&mut c, &[], &[]);
    let status = text(&run(&mut c).stdout);
    let mut direct = Command::new("grep");
    direct.args(["-e", "^SigBlk", "-e", "^SigIgn", "/proc/self/status"]);
    sigstate(&mut direct, &[], &[]);
    assert_eq!(status, text(&run(&mut direct).stdout));
    assert_eq!(status_field(&status, "SigBlk"), sigmask(&[]));
}

#[test]
fn daemon_inherits_ignored_signals() {
    let s = Setup::new("sigdaemon", &parent(), "block \"$d/dgo\"\nexit 0");
    let mut c = s.cmd(&[]);
    sigstate(&mut c, &[libc::SIGPIPE, libc::SIGHUP], &[]);
    let w = Watcher::spawn(c);
    let daemon = w.daemon();
    let status = std::fs::read_to_string(format!("/proc/{daemon}/status")).unwrap();
    let ign = u64::from_str_radix(&status_field(&status, "SigIgn"), 16).unwrap();
    for sig in [libc::SIGPIPE, libc::SIGHUP] {
        assert_ne!(ign & 1 << (sig - 1), 0, "signal {sig} not ignored in the daemon");
    }
    s.release("dgo");
    assert_eq!(w.finish().0, 0);

    // And SIGPIPE stays default when it was.
    let s = Setup::new("sigdaemon2", &parent(), "block \"$d/dgo\"\nexit 0");
    let mut c = s.cmd(&[]);
    sigstate(&mut c, &[], &[]);
    let w = Watcher::spawn(c);
    let daemon = w.daemon();
    let status = std::fs::read_to_string(format!("/proc/{daemon}/status")).unwrap();
    let ign = u64::from_str_radix(&status_field(&status, "SigIgn"), 16).unwrap();
    assert_eq!(ign & 1 << (libc::SIGPIPE - 1), 0, "SIGPIPE ignored in the daemon");
    s.release("dgo");
    assert_eq!(w.finish().0, 0);
}

#[test]
fn works_when_started_with_sigchld_ignored() {
    // An ignored SIGCHLD would make the kernel discard every status.
    let s = Setup::new("chldign", &parent(), "block \"$d/dgo\"\nexit 7");
    let mut c = s.cmd(&[]);
    sigstate(&mut c, &[libc::SIGCHLD], &[]);
    let w = Watcher::spawn(c);
    w.daemon();
    s.release("dgo");
    assert_eq!(w.finish().0, 7);
}

#[test]
fn watcher_sleeps_in_one_blocking_call() {
    let s = Setup::new("idle", &parent(), "block \"$d/dgo\"\nexit 0");
    let w = Watcher::spawn(s.cmd(&[]));
    w.daemon();
    // poll(2) without a timeout.
    asleep_in_poll(w.pid());
    s.release("dgo");
    assert_eq!(w.finish().0, 0);
}

/// A daemon that logs each SIGPIPE it gets, and logs and exits 0 on SIGTERM.
fn pipe_logging_daemon() -> String {
    format!(
        "trap 'echo PIPE >> \"$d/log\"' PIPE\ntrap 'echo TERM >> \"$d/log\"; kill $s; exit 0' TERM\n{WAIT}"
    )
}

#[test]
fn notification_reader_gone_is_a_warning() {
    // The reader closed its end: the write fails with EPIPE, a warning; the
    // SIGPIPE it raised is not forwarded, and the daemon stays watched.
    let daemon = pipe_logging_daemon();
    let s = Setup::new("notif-gone", &parent(), &daemon);
    let mut c = s.cmd(&["-d", "3"]);
    let (rd, wr) = notif_pipe(&mut c);
    drop(rd);
    let w = Watcher::spawn(c);
    drop(wr);
    s.log_has("ready");
    w.daemon();
    w.kill(libc::SIGTERM);
    let (code, err) = w.finish();
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        "s6-background-watch: warning: unable to write to notification-fd: Broken pipe\n"
    );
    assert_eq!(s.log(), "ready\nTERM\n");
}

#[test]
fn own_sigpipe_is_not_forwarded() {
    // The watcher's stderr is a pipe with no reader: its warning (the -d
    // reader is gone too) raises a SIGPIPE in the watcher itself, which is
    // not a signal sent to it and must not reach the daemon.
    let daemon = pipe_logging_daemon();
    let s = Setup::new("own-pipe", &parent(), &daemon);
    let mut c = s.cmd(&["-d", "3"]);
    let (rd, wr) = notif_pipe(&mut c);
    drop(rd);
    let (err_rd, err_wr) = std::io::pipe().unwrap();
    drop(err_rd);
    c.stderr(err_wr);
    let mut w = Watcher::spawn(c);
    drop(wr);
    s.log_has("ready");
    w.daemon();
    w.kill(libc::SIGTERM);
    let status = poll(LONG, "the watcher's exit", || w.child.try_wait().unwrap());
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_eq!(s.log(), "ready\nTERM\n");
}

// ------------------------------------------------------------ hardening

#[test]
fn failed_parent_removes_only_the_pidfile_it_wrote() {
    // When the parent fails, the pidfile is removed only if it is a
    // regular file written since the parent was spawned: never a device
    // node, a directory, a symbolic link, or a file that was there before.
    let make = |s: &Setup, what: &str| {
        let p = s.path("pid");
        match what {
            "device" => {
                let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
                // SAFETY: c is a valid path; makedev(1, 3) is /dev/null's.
                assert_eq!(
                    unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) },
                    0
                );
            }
            "dir" => std::fs::create_dir(&p).unwrap(),
            "symlink" => {
                std::fs::write(s.path("target"), "4242\n").unwrap();
                std::os::unix::fs::symlink(s.path("target"), &p).unwrap();
            }
            "old" => {
                std::fs::write(&p, "4242\n").unwrap();
                let f = std::fs::File::open(&p).unwrap();
                f.set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1 << 30))
                    .unwrap();
            }
            _ => unreachable!(),
        }
    };
    for what in ["device", "dir", "symlink", "old"] {
        for parent in ["exit 3", "kill -s USR2 $$"] {
            let s = Setup::new(&format!("keep-{what}"), parent, "");
            make(&s, what);
            let (c, _) = Watcher::spawn(s.cmd(&[])).finish();
            assert!(c == 3 || c == 128 + libc::SIGUSR2, "{what}: {c}");
            assert!(s.path("pid").symlink_metadata().is_ok(), "{what} removed ({parent})");
            if what == "symlink" {
                assert!(s.path("target").exists(), "the link's target removed");
            }
        }
    }
    // The timeout path too, with /dev/null's twin.
    let s = Setup::new("keep-timeout", "block \"$d/pgo\"", "");
    make(&s, "device");
    let (c, _) = Watcher::spawn(s.cmd(&["-t", "100"])).finish();
    assert_eq!(c, 137);
    assert!(s.path("pid").symlink_metadata().is_ok(), "device removed after timeout");
    // A pidfile the parent wrote (over an old one) is removed.
    let s = Setup::new("own-pidfile", "echo 4242 > \"$d/pid\"\nexit 1", "");
    make(&s, "old");
    let (c, _) = Watcher::spawn(s.cmd(&[])).finish();
    assert_eq!(c, 1);
    assert!(!s.path("pid").exists(), "the parent's pidfile kept");
}

/// `block_all(cmd)`: the command starts with every catchable signal
/// blocked, the C library's own (32, 33; 34 with musl) included, through
/// the system call (the C library's sigprocmask drops those).
fn block_all(c: &mut Command) {
    // SAFETY: runs in the child before exec: one raw rt_sigprocmask on a
    // local 8-byte set.
    unsafe {
        c.pre_exec(|| {
            let set: u64 = !((1 << (libc::SIGKILL - 1)) | (1 << (libc::SIGSTOP - 1)));
            let r = libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                &set as *const u64,
                std::ptr::null_mut::<u64>(),
                8usize,
            );
            if r != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn survives_and_forwards_every_catchable_signal() {
    // Signals 32 and 33 (glibc) or 32 to 34 (musl) are the C library's:
    // it will not block them, and their default action kills. The watcher
    // must survive every catchable signal and forward each one: the
    // daemon, started with all of them blocked, has them all pending.
    let s = Setup::new("allsigs", &parent(), "exec sleep 600");
    let mut c = s.cmd(&[]);
    block_all(&mut c);
    let w = Watcher::spawn(c);
    let daemon = w.daemon();
    poll(LONG, "the daemon in sleep", || {
        (std::fs::read_to_string(format!("/proc/{daemon}/comm")).ok()? == "sleep\n").then_some(())
    });
    let sent: Vec<i32> =
        (1..=64).filter(|&n| ![libc::SIGKILL, libc::SIGSTOP, libc::SIGCHLD].contains(&n)).collect();
    for &n in &sent {
        w.kill(n);
    }
    // SIGCONT is forwarded too, but a stop signal sent after it removes
    // it from the pending set (and it removes pending stop signals): it
    // is not expected there.
    let expected: Vec<i32> = sent.iter().copied().filter(|&n| n != libc::SIGCONT).collect();
    let want = sigmask(&expected);
    let deadline = Instant::now() + LONG;
    loop {
        let st = std::fs::read_to_string(format!("/proc/{daemon}/status")).unwrap();
        let got = status_field(&st, "ShdPnd");
        if got == want {
            break;
        }
        assert!(Instant::now() < deadline, "pending {got}, want {want}; {st}");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(alive(w.pid()), "the watcher died");
    asleep_in_poll(w.pid());
}

/// `full_pipe(c)`: a blocking pipe whose write end the watcher gets as
/// descriptor 3, already full; returns the read end (non-blocking) and
/// the test's copy of the write end.
fn full_pipe(c: &mut Command) -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::{AsRawFd, FromRawFd};
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two-element array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh descriptors owned by nobody else.
    let (rd, wr) =
        unsafe { (std::fs::File::from_raw_fd(fds[0]), std::os::fd::OwnedFd::from_raw_fd(fds[1])) };
    let w = wr.as_raw_fd();
    // SAFETY: fcntl on our descriptors; write from a local buffer.
    unsafe {
        libc::fcntl(rd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK);
        libc::fcntl(w, libc::F_SETFL, libc::O_NONBLOCK);
        let buf = [b'x'; 4096];
        while libc::write(w, buf.as_ptr().cast(), buf.len()) > 0 {}
        while libc::write(w, buf.as_ptr().cast(), 1) > 0 {}
        // Blocking again: the watcher's write would block.
        libc::fcntl(w, libc::F_SETFL, 0);
    }
    common::fds_to(c, &[(w, 3)]);
    (rd, wr)
}

#[test]
fn full_notification_pipe_never_blocks_the_watcher() {
    // The -d descriptor is a full pipe: the watcher keeps forwarding
    // signals and watching the daemon while it cannot write, and writes
    // the newline once there is room.
    let s = Setup::new("notif-full", &parent(), "block \"$d/dgo\"\nexit 7");
    let mut c = s.cmd(&["-d", "3"]);
    let (mut rd, wr) = full_pipe(&mut c);
    let w = Watcher::spawn(c);
    drop(wr);
    let daemon = w.daemon();
    w.kill(libc::SIGTERM);
    let (code, err) = w.finish();
    assert_eq!(code, 143, "{err}");
    assert!(!alive(daemon));
    drop(rd.read_to_end(&mut Vec::new()));

    let s = Setup::new("notif-full2", &parent(), "block \"$d/dgo\"\nexit 7");
    let mut c = s.cmd(&["-d", "3"]);
    let (mut rd, wr) = full_pipe(&mut c);
    let w = Watcher::spawn(c);
    drop(wr);
    w.daemon();
    // Drain: the newline comes after the filler.
    let mut all = Vec::new();
    poll(LONG, "the notification after the filler", || {
        let mut buf = [0u8; 65536];
        match rd.read(&mut buf) {
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("read: {e}"),
        }
        (all.last() == Some(&b'\n')).then_some(())
    });
    s.release("dgo");
    let (code, err) = w.finish();
    assert_eq!(code, 7, "{err}");
}

#[test]
fn daemon_status_kept_whatever_the_number_of_other_children() {
    // The daemon dies and is reaped before the pidfile is read, then more
    // than 4096 other orphans come and go: its own status is reported.
    let parent = r#"( sh "$d/daemon.sh" </dev/null >/dev/null 2>&1 & echo $! > "$d/pid" )
read p < "$d/pid"
echo go > "$d/dgo"
while [ -e /proc/$p ]; do :; done
i=0
while [ $i -lt 4200 ]; do ( : & ); i=$((i + 1)); done
exit 0"#;
    let s = Setup::new("many-early", parent, "block \"$d/dgo\"\nexit 42");
    let (c, err) = Watcher::spawn(s.cmd(&[])).finish();
    assert_eq!(c, 42, "{err}");
    assert_eq!(err, "");
}

// ------------------------------------------- pidfile written after the parent

/// A parent whose daemon writes the pidfile itself, once the parent has
/// exited (as memcached -d -P, redis-server --daemonize, sshd do).
const LATE: &str = r#"echo $$ > "$d/ppid"
( sh "$d/daemon.sh" </dev/null >/dev/null 2>>"$d/daemon.err" & )
exit 0"#;

/// The daemon's head for `LATE`: waits until the parent is gone.
const LATE_HEAD: &str = r#"read pp < "$d/ppid"
while [ -e /proc/$pp ] && read -r a b c rest < /proc/$pp/stat && [ "$c" != Z ]; do :; done 2>/dev/null
"#;

#[test]
fn pidfile_written_after_the_parent_exits() {
    let daemon =
        format!("{LATE_HEAD}block \"$d/pgo\"\necho $$ > \"$d/pid\"\nblock \"$d/dgo\"\nexit 5");
    let s = Setup::new("late", LATE, &daemon);
    let _sweep = Sweep(&s);
    let w = Watcher::spawn(s.cmd(&[]));
    // The parent is gone, the pidfile not there: the watcher waits.
    poll(LONG, "the daemon re-parented", || children(w.pid()).len().eq(&1).then_some(()));
    assert_eq!(pidfd_of(w.pid()), None);
    assert!(alive(w.pid()));
    s.release("pgo");
    let daemon = s.pid();
    assert_eq!(w.daemon(), daemon);
    s.release("dgo");
    let (c, err) = w.finish();
    assert_eq!(c, 5, "{err}");
    assert_eq!(err, "");
}

#[test]
fn pidfile_wait_ends_at_the_deadline_or_with_the_last_descendant() {
    // -t: the wait for the pidfile ends at the deadline (104, the daemon
    // left running); without -t, when no descendant remains.
    let daemon = format!("{LATE_HEAD}block \"$d/dgo\"\nexit 0");
    let s = Setup::new("late-deadline", LATE, &daemon);
    let _sweep = Sweep(&s);
    let (c, err) = Watcher::spawn(s.cmd(&["-t", "500"])).finish();
    assert_eq!(c, 104, "{err}");
    assert_eq!(
        err,
        format!(
            "s6-background-watch: fatal: unable to read {}: No such file or directory\n",
            s.path("pid").display()
        )
    );
    let s = Setup::new("late-gone", LATE, &daemon);
    let _sweep = Sweep(&s);
    let w = Watcher::spawn(s.cmd(&[]));
    poll(LONG, "the daemon re-parented", || children(w.pid()).len().eq(&1).then_some(()));
    s.release("dgo");
    let (c, err) = w.finish();
    assert_eq!(c, 104, "{err}");
    // A stale pidfile (older than the run) is not taken for the daemon's.
    let daemon =
        format!("{LATE_HEAD}block \"$d/pgo\"\necho $$ > \"$d/pid\"\nblock \"$d/dgo\"\nexit 6");
    let s = Setup::new("late-stale", LATE, &daemon);
    let _sweep = Sweep(&s);
    std::fs::write(s.path("pid"), "1234567\n").unwrap();
    let f = std::fs::File::open(s.path("pid")).unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1 << 30)).unwrap();
    let w = Watcher::spawn(s.cmd(&[]));
    poll(LONG, "the daemon re-parented", || children(w.pid()).len().eq(&1).then_some(()));
    s.release("pgo");
    w.daemon();
    s.release("dgo");
    assert_eq!(w.finish().0, 6);
}

/// `watch_real(tag, args)`: runs a real daemon under the watcher (the
/// pidfile is `DIR/pid`, `DIR` replaces `@`), checks it is held, stops it
/// with SIGTERM, and checks it is gone.
fn watch_real(tag: &str, prog: PathBuf, args: &[&str]) {
    let dir = Tmp::new(&format!("bgw-real-{tag}"));
    let d = dir.display().to_string();
    // A daemon left running by a failure is killed (its command line
    // names the directory).
    struct Guard(PathBuf);
    impl Drop for Guard {
        fn drop(&mut self) {
            sweep(&self.0);
        }
    }
    let _guard = Guard(dir.to_path_buf());
    let mut c = cmd(NAME);
    c.arg(dir.join("pid")).arg(&prog);
    c.args(args.iter().map(|a| a.replace('@', &d)));
    c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let w = Watcher::spawn(c);
    let daemon = w.daemon();
    let pid: i32 = poll(LONG, "the pidfile", || {
        std::fs::read_to_string(dir.join("pid")).ok()?.trim().parse().ok()
    });
    assert_eq!(daemon, pid);
    assert_eq!(stat(daemon).unwrap().1, w.pid(), "{tag} is not the watcher's child");
    w.kill(libc::SIGTERM);
    let (c, err) = w.finish();
    assert!(c == 0 || c == 143, "{tag}: {c} {err}");
    assert!(!alive(daemon));
}

#[test]
fn real_daemons_that_write_the_pidfile_late() {
    if let Some(p) = installed("memcached") {
        watch_real("memcached", p, &["-d", "-P", "@/pid", "-s", "@/sock", "-u", "root"]);
    }
    if let Some(p) = installed("sshd") {
        // sshd without -D: a config of its own (a free port, a host key
        // made here), and the privilege separation directory it needs.
        let keys = Tmp::new("bgw-sshd-keys");
        struct Guard(PathBuf);
        impl Drop for Guard {
            fn drop(&mut self) {
                sweep(&self.0);
            }
        }
        let _guard = Guard(keys.to_path_buf());
        let key = keys.join("key");
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", ""])
            .arg("-f")
            .arg(&key)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if made {
            let _ = std::fs::create_dir_all("/run/sshd");
            let port =
                std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let cfg = keys.join("cfg");
            std::fs::write(
                &cfg,
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile @/pid\nUsePAM no\n",
                    key.display()
                ),
            )
            .unwrap();
            let cfg = cfg.display().to_string();
            // The pidfile's directory is watch_real's: the config names it
            // through `@`, replaced below.
            let text = std::fs::read_to_string(&cfg).unwrap();
            let dir = Tmp::new("bgw-real-sshd");
            std::fs::write(&cfg, text.replace('@', &dir.display().to_string())).unwrap();
            watch_real("sshd", p, &["-f", &cfg]);
        } else {
            eprintln!("SKIP: ssh-keygen failed: the sshd test is not run");
        }
    }
    if let Some(p) = installed("redis-server") {
        watch_real(
            "redis",
            p,
            &[
                "--daemonize",
                "yes",
                "--pidfile",
                "@/pid",
                "--port",
                "0",
                "--unixsocket",
                "@/sock",
                "--dir",
                "@",
                "--save",
                "",
            ],
        );
    }
}

#[test]
fn signals_reach_the_children_while_the_pidfile_is_awaited() {
    // While the pidfile is awaited, a SIGTERM (s6-svc -d) goes to our
    // children, the daemon among them: it ends, no descendant is left,
    // and the wait ends (104: the pidfile never came).
    let daemon = format!("{LATE_HEAD}trap 'echo TERM >> \"$d/log\"; kill $s; exit 0' TERM\n{WAIT}");
    let s = Setup::new("late-term", LATE, &daemon);
    let _sweep = Sweep(&s);
    let w = Watcher::spawn(s.cmd(&[]));
    s.log_has("ready");
    poll(LONG, "the daemon re-parented", || children(w.pid()).len().eq(&1).then_some(()));
    w.kill(libc::SIGTERM);
    s.log_has("TERM");
    let (c, err) = w.finish();
    assert_eq!(c, 104, "{err}");
}

#[test]
fn late_pidfile_daemon_under_s6_supervise() {
    // memcached -d -P under Debian's s6-supervise: the service comes up
    // once (no restart loop), s6-svc -d stops the daemon, nothing is left.
    let (Some(supervise), Some(svc), Some(mc)) =
        (debian("s6-supervise"), debian("s6-svc"), installed("memcached"))
    else {
        return;
    };
    let dir = Tmp::new("bgw-supervised");
    struct Guard(PathBuf);
    impl Drop for Guard {
        fn drop(&mut self) {
            sweep(&self.0);
        }
    }
    let _guard = Guard(dir.to_path_buf());
    let sv = dir.join("sv");
    std::fs::create_dir(&sv).unwrap();
    let d = dir.display();
    let script = format!(
        "#!/bin/sh\necho start >> {d}/starts\nexec {} {d}/pid {} -d -P {d}/pid -s {d}/sock -u root\n",
        applet(NAME).display(),
        mc.display()
    );
    std::fs::write(sv.join("run"), script).unwrap();
    std::fs::set_permissions(sv.join("run"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap();
    let mut s6 = Reaped::new(
        Command::new(&supervise)
            .arg(&sv)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let watcher: i32 = poll(LONG, "the watcher holding memcached", || {
        let pid: i32 = std::fs::read_to_string(dir.join("pid")).ok()?.trim().parse().ok()?;
        let w = stat(pid)?.1;
        pidfd_of(w).filter(|&p| p == pid).map(|_| w)
    });
    let daemon: i32 = std::fs::read_to_string(dir.join("pid")).unwrap().trim().parse().unwrap();
    assert!(alive(watcher) && alive(daemon));
    assert_eq!(std::fs::read_to_string(dir.join("starts")).unwrap(), "start\n", "restarted");
    let out = run(Command::new(&svc).args(["-d"]).arg(&sv));
    assert_eq!(code(&out), 0);
    poll(LONG, "memcached stopped", || (!alive(daemon) && !alive(watcher)).then_some(()));
    let out = run(Command::new(&svc).args(["-x"]).arg(&sv));
    assert_eq!(code(&out), 0);
    let st = poll(LONG, "s6-supervise's exit", || s6.try_wait().unwrap());
    assert!(st.success(), "{st:?}");
    assert_eq!(std::fs::read_to_string(dir.join("starts")).unwrap(), "start\n", "restarted");
    drop(s6);
}

// ------------------------------------------------- pidfile from before

/// `stale(s, future)`: a pidfile naming nobody written before the start,
/// dated an hour ahead if `future` (clock skew, a restored backup).
fn stale(s: &Setup, future: bool) {
    std::fs::write(s.path("pid"), "4242\n").unwrap();
    if future {
        let t = std::time::SystemTime::now() + Duration::from_secs(3600);
        std::fs::File::open(s.path("pid")).unwrap().set_modified(t).unwrap();
    }
}

#[test]
fn pidfile_from_before_the_start_is_kept_when_the_parent_fails() {
    // Dated in the future, or written in the clock tick just before the
    // start: still not this run's (a snapshot of the path, not a clock).
    let s = Setup::new("keepfuture", "exit 3", "");
    stale(&s, true);
    let (c, err) = Watcher::spawn(s.cmd(&[])).finish();
    assert_eq!((c, err.as_str()), (3, "s6-background-watch: fatal: sh (parent) exited 3\n"));
    assert_eq!(std::fs::read_to_string(s.path("pid")).unwrap(), "4242\n", "kept");
    let s = Setup::new("keeptick", "exit 3", "");
    for i in 0..10 {
        stale(&s, false);
        let (c, _) = Watcher::spawn(s.cmd(&[])).finish();
        assert_eq!(c, 3);
        assert!(s.path("pid").exists(), "{i}: a pidfile written just before the start is kept");
    }
    // Rewritten in place by the parent (same inode, other content), or
    // replaced: this run's, removed.
    for (tag, parent) in [
        ("rewritten", "echo 77777 > \"$d/pid\"\nexit 3"),
        ("replaced", "echo 77 > \"$d/new\"\nmv \"$d/new\" \"$d/pid\"\nexit 3"),
    ] {
        let s = Setup::new(tag, parent, "");
        stale(&s, true);
        let (c, _) = Watcher::spawn(s.cmd(&[])).finish();
        assert_eq!(c, 3, "{tag}");
        assert!(!s.path("pid").exists(), "{tag}: removed");
    }
}

#[test]
fn pidfile_from_before_the_start_is_not_the_daemons() {
    // The parent exits 0 before anything rewrites the future-dated stale
    // pidfile: the watcher waits for the new one instead of reading 4242.
    let parent = r#"echo $$ > "$d/ppid"
( block "$d/pgo"
  sh "$d/daemon.sh" </dev/null >/dev/null 2>>"$d/daemon.err" &
  echo $! > "$d/pid" ) </dev/null >/dev/null 2>&1 &
exit 0"#;
    let s = Setup::new("stalewait", parent, "block \"$d/dgo\"\nexit 5");
    let _sweep = Sweep(&s);
    stale(&s, true);
    let w = Watcher::spawn(s.cmd(&[]));
    let ppid: i32 = poll(LONG, "the parent's pid", || {
        std::fs::read_to_string(s.path("ppid")).ok()?.strip_suffix('\n')?.parse().ok()
    });
    poll(LONG, "the parent reaped", || stat(ppid).is_none().then_some(()));
    // Still there, asleep waiting for the pidfile (a watcher that took
    // 4242 would be gone, refusing it).
    asleep_in_poll(w.pid());
    s.release("pgo");
    let daemon = w.daemon();
    assert_ne!(daemon, 4242);
    s.release("dgo");
    let (c, err) = w.finish();
    assert_eq!((c, err.as_str()), (5, ""));
}
