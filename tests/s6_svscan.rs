//! s6-svscan and s6-svscanctl: the tree, its control, and process-1 duty
//! in a PID namespace. The supervisors are s6box's own s6-supervise when
//! the binary carries it, else the 2.15 reference's (first in PATH).

mod common;

use common::sv::service;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(20);

/// `ours_supervise()`: whether s6box carries s6-supervise (else the tree
/// runs the reference's).
fn ours_supervise() -> bool {
    let out = Command::new(bin()).arg("--list").output().unwrap();
    text(&out.stdout).lines().any(|l| l == "s6-supervise")
}

/// `path_env()`: s6box's applets first, then the reference, then the
/// system.
fn path_env() -> String {
    format!(
        "{}:{}:{}",
        links().display(),
        REFERENCE_BIN,
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    )
}

/// `usable()`: false (with a SKIP note) when the tree cannot run here.
fn usable() -> bool {
    if ours_supervise() {
        return true;
    }
    reference("s6-supervise").is_some()
}

/// `logger(svc, logdir)`: `svc/log/run` runs s6box's s6-log (no
/// rotation in a test's time) into `logdir`, made first; the lines end up
/// in `logdir/current`.
fn logger(svc: &Path, logdir: &Path) {
    fs::create_dir_all(logdir).unwrap();
    script(&svc.join("log/run"), &format!("exec s6-log -b s16000000 {}", logdir.display()));
}

/// A running s6-svscan on a scan directory of its own.
struct Tree {
    dir: Tmp,
    scan: PathBuf,
    child: Option<Child>,
}

impl Tree {
    fn new(tag: &str) -> Tree {
        let dir = Tmp::new(tag);
        let scan = dir.join("scan");
        fs::create_dir_all(&scan).unwrap();
        Tree { dir, scan, child: None }
    }

    fn start_with(&mut self, prog: &Path, args: &[&str]) {
        let err = fs::File::create(self.dir.join("err")).unwrap();
        let child = Command::new(prog)
            .args(args)
            .arg(&self.scan)
            .env("PATH", path_env())
            .stdin(Stdio::null())
            .stdout(fs::File::create(self.dir.join("out")).unwrap())
            .stderr(err)
            .spawn()
            .unwrap();
        self.child = Some(child);
        poll(LONG, "control fifo listened to", || {
            Command::new(applet("s6-svscanctl"))
                .arg(&self.scan)
                .stderr(Stdio::null())
                .status()
                .ok()
                .filter(|s| s.success())
        });
    }

    fn start(&mut self) {
        self.start_with(&applet("s6-svscan"), &[]);
    }

    fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    fn err(&self) -> String {
        fs::read_to_string(self.dir.join("err")).unwrap_or_default()
    }

    /// The supervisor of `name` (`s6-supervise NAME`).
    fn sup(&self, name: &str) -> Option<i32> {
        let want = format!("s6-supervise {name}");
        descendants(self.pid()).into_iter().find(|&p| {
            stat(p).is_some_and(|(st, pp)| pp == self.pid() && st != 'Z') && cmdline(p) == want
        })
    }

    /// `wait_sup(name)`: the supervisor of `name`, once it has changed into
    /// the service directory (one just forked has not: moving the
    /// directory then would make it fail on its own).
    fn wait_sup(&self, name: &str) -> i32 {
        let dir = self.scan.join(name);
        poll(LONG, &format!("supervisor of {name}"), || {
            let p = self.sup(name)?;
            let cwd = fs::read_link(format!("/proc/{p}/cwd")).ok()?;
            (fs::canonicalize(&dir).ok()? == cwd).then_some(p)
        })
    }

    fn wait_up(&self, name: &str) {
        let svc = self.scan.join(name);
        poll(LONG, &format!("{name} up"), || {
            let out = Command::new(applet_or_ref("s6-svstat")).arg(&svc).output().ok()?;
            text(&out.stdout).starts_with("up ").then_some(())
        });
    }

    fn ctl(&self, letters: &str) {
        let st = Command::new(applet("s6-svscanctl"))
            .arg(format!("-{letters}"))
            .arg(&self.scan)
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Waits for s6-svscan's exit; its code.
    fn wait_exit(&mut self) -> i32 {
        let child = self.child.as_mut().unwrap();
        let st = poll(LONG, "s6-svscan exit", || child.try_wait().unwrap());
        self.child = None;
        st.code().unwrap_or(-1)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            kill_tree(c.id() as i32);
            let _ = c.wait();
        }
        // What left the tree (a service whose supervisor a test killed)
        // still runs in one of its directories.
        kill_within(&self.dir.0);
    }
}

/// s6-svstat: s6box's when it has one, else the reference's.
fn applet_or_ref(name: &str) -> PathBuf {
    let p = links().join(name);
    if p.exists() { p } else { PathBuf::from(REFERENCE_BIN).join(name) }
}

/// `kill_sup(p)`: SIGKILL to a supervisor and to what it runs (which
/// would otherwise outlive the test).
fn kill_sup(p: i32) {
    let below = descendants(p);
    kill(p, libc::SIGKILL);
    for q in below {
        kill(q, libc::SIGKILL);
    }
}

#[test]
fn usage_and_option_errors_match_the_reference() {
    let dir = Tmp::new("svscan-usage");
    let cases: &[&[&str]] = &[
        &["-C", "x", "."],
        &["-t", "x", "."],
        &["-d", "1", "."],
        &["-X", "2", "."],
        &["-d", "7", "."],
        &["--timeout=x", "."],
        &["nosuch"],
    ];
    for args in cases {
        let ours = run(cmd("s6-svscan").args(*args).current_dir(&dir));
        assert_eq!(code(&ours), if args[0] == "nosuch" { 111 } else { 100 }, "{args:?}");
        if let Some(r) = reference("s6-svscan") {
            let theirs = run(Command::new(r).args(*args).current_dir(&dir));
            assert_eq!(code(&ours), code(&theirs), "{args:?}");
            assert_eq!(text(&ours.stderr), text(&theirs.stderr), "{args:?}");
        }
    }
    let ours = run(cmd("s6-svscan").arg("-Z"));
    assert_eq!(code(&ours), 100);
    assert!(text(&ours.stderr).starts_with("s6-svscan: usage: s6-svscan "));
}

#[test]
fn svscanctl_errors_match_the_reference() {
    let dir = Tmp::new("svscanctl-errors");
    fs::create_dir_all(dir.join(".s6-svscan")).unwrap();
    let fifo = dir.join(".s6-svscan/control");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let d = dir.to_str().unwrap();
    let cases: &[&[&str]] = &[&["-a", d], &["-a", "/nonexistent-scandir"], &["-x", d], &["-a"]];
    for args in cases {
        let ours = run(cmd("s6-svscanctl").args(*args));
        for r in [reference("s6-svscanctl")].into_iter().flatten() {
            let theirs = run(Command::new(r).args(*args));
            assert_eq!(code(&ours), code(&theirs), "{args:?}");
            assert_eq!(text(&ours.stderr), text(&theirs.stderr), "{args:?}");
        }
    }
    let ours = run(cmd("s6-svscanctl").args(["-a", d]));
    assert_eq!(code(&ours), 100);
}

/// No `.s6-svscan/control` to write to: 100 `supervisor not listening`
/// (no `.s6-svscan`) or `something is wrong` (an unusable `.s6-svscan`),
/// 111 when the directory itself cannot be opened, as 2.15.
#[test]
fn svscanctl_without_control_as_the_reference() {
    let t = Tmp::new("svscanctl-nocontrol");
    fs::create_dir_all(t.join("empty")).unwrap();
    fs::create_dir_all(t.join("nosv/.s6-svscan")).unwrap();
    fs::create_dir_all(t.join("badsv")).unwrap();
    fs::write(t.join("badsv/.s6-svscan"), "").unwrap();
    fs::create_dir_all(t.join("dangling/.s6-svscan")).unwrap();
    std::os::unix::fs::symlink("/nonexistent", t.join("dangling/.s6-svscan/control")).unwrap();
    fs::create_dir_all(t.join("reg/.s6-svscan")).unwrap();
    fs::write(t.join("reg/.s6-svscan/control"), "").unwrap();
    fs::write(t.join("afile"), "").unwrap();
    let wrong = |d: &str, e: &str| {
        format!(
            "s6-svscanctl: fatal: something is wrong with the {d}/.s6-svscan directory. errno reported: {e}\n"
        )
    };
    let cases = [
        (
            "empty",
            100,
            "s6-svscanctl: fatal: unable to control empty: supervisor not listening\n".to_string(),
        ),
        ("nosv", 100, wrong("nosv", "No such file or directory")),
        ("badsv", 100, wrong("badsv", "Not a directory")),
        ("dangling", 100, wrong("dangling", "No such file or directory")),
        (
            "missing",
            111,
            "s6-svscanctl: fatal: unable to control missing: No such file or directory\n"
                .to_string(),
        ),
        (
            "afile",
            111,
            "s6-svscanctl: fatal: unable to control afile: Not a directory\n".to_string(),
        ),
        (
            "",
            111,
            "s6-svscanctl: fatal: unable to control : No such file or directory\n".to_string(),
        ),
    ];
    for (d, rc, err) in cases {
        for opts in [&["-a"][..], &[]] {
            let mut args = opts.to_vec();
            args.push(d);
            let ours = run(cmd("s6-svscanctl").current_dir(&t.0).args(&args));
            assert_eq!((code(&ours), text(&ours.stderr)), (rc, err.clone()), "{args:?}");
            if let Some(r) = reference("s6-svscanctl") {
                let theirs = run(Command::new(r).current_dir(&t.0).args(&args));
                assert_eq!(
                    (code(&theirs), text(&theirs.stderr)),
                    (rc, err.clone()),
                    "2.15 {args:?}"
                );
            }
        }
    }
    // A regular file planted as `control`: 2.15 writes the command into it
    // and exits 0; s6box writes only to a fifo (beyond s6: root never
    // writes into a file someone planted), so nothing listens there.
    // Without a command, both only look, and succeed.
    for (opts, rc, err) in [
        (
            &["-a"][..],
            100,
            "s6-svscanctl: fatal: unable to control reg: supervisor not listening\n",
        ),
        (&[][..], 0, ""),
    ] {
        let mut args = opts.to_vec();
        args.push("reg");
        let ours = run(cmd("s6-svscanctl").current_dir(&t.0).args(&args));
        assert_eq!((code(&ours), text(&ours.stderr)), (rc, err.to_string()), "{args:?}");
        assert_eq!(fs::read(t.join("reg/.s6-svscan/control")).unwrap(), b"", "{args:?}");
        if let Some(r) = reference("s6-svscanctl") {
            let theirs = run(Command::new(r).current_dir(&t.0).args(&args));
            assert_eq!((code(&theirs), text(&theirs.stderr)), (0, String::new()), "2.15 {args:?}");
            fs::write(t.join("reg/.s6-svscan/control"), "").unwrap();
        }
    }
}

#[test]
fn tree_with_logger_driven_by_s6_tools_both_ways() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-tools");
    service(&t.scan.join("a"), "echo hello\nexec sleep 100000");
    logger(&t.scan.join("a"), &t.dir.join("alog"));
    service(&t.scan.join("b"), "exec sleep 100000");
    std::os::unix::fs::symlink("/nonexistent-target", t.scan.join("dangling")).unwrap();
    t.start();
    for s in ["a", "a/log", "b"] {
        t.wait_sup(s);
        t.wait_up(s);
    }
    assert!(fs::symlink_metadata(t.scan.join("dangling")).is_err(), "dangling link removed");
    poll(LONG, "line through the logger pipe", || {
        (fs::read_to_string(t.dir.join("alog/current")).unwrap_or_default() == "hello\n")
            .then_some(())
    });
    // s6's tools drive s6box's s6-svscan: status read by both s6-svstat,
    // scans asked by both s6-svscanctl.
    for tool in [debian("s6-svstat"), reference("s6-svstat")].into_iter().flatten() {
        let out = run(Command::new(tool).arg(t.scan.join("b")));
        assert!(text(&out.stdout).starts_with("up "), "{}", text(&out.stdout));
    }
    for (i, tool) in
        [debian("s6-svscanctl"), reference("s6-svscanctl")].into_iter().flatten().enumerate()
    {
        let name = format!("new{i}");
        service(&t.scan.join(&name), "exec sleep 100000");
        let out = run(Command::new(tool).args(["-a"]).arg(&t.scan));
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        t.wait_sup(&name);
    }
    // Unknown bytes: one warning each.
    fs::write(t.scan.join(".s6-svscan/control"), "xy").unwrap();
    poll(LONG, "warnings", || {
        t.err().contains("s6-svscan: warning: received unknown control command: y\n").then_some(())
    });
    assert!(t.err().contains("s6-svscan: warning: received unknown control command: x\n"));
    // Idle: no wake-up at all (once back asleep after the warnings).
    let window = Duration::from_millis(300);
    assert_eq!(wakeups(t.pid(), window), 0, "s6-svscan woke up while idle");
    // A second s6-svscan on the same directory: 100.
    let second = run(cmd("s6-svscan").arg(&t.scan));
    assert_eq!(code(&second), 100);
    assert_eq!(
        text(&second.stderr),
        "s6-svscan: fatal: another instance of s6-svscan is already running on the same directory\n"
    );
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn rescans_new_removed_renamed() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-rescan");
    service(&t.scan.join("a"), "exec sleep 100000");
    service(&t.scan.join("b"), "exec sleep 100000");
    let started = Instant::now();
    t.start();
    let a = t.wait_sup("a");
    let b = t.wait_sup("b");
    service(&t.scan.join("c"), "exec sleep 100000");
    t.ctl("a");
    t.wait_sup("c");
    // A rename keeps the supervisor (same device and inode)...
    fs::rename(t.scan.join("a"), t.scan.join("renamed")).unwrap();
    t.ctl("a");
    assert!(t.sup("a") == Some(a) && t.sup("renamed").is_none());
    // ...and its next restart uses the new name, no sooner than one second
    // after its previous start.
    kill_sup(a);
    t.wait_sup("renamed");
    assert!(started.elapsed() >= Duration::from_secs(1), "restart was not delayed");
    // A removed entry is inactive: left running until -n.
    fs::rename(t.scan.join("b"), t.dir.join("b-out")).unwrap();
    t.ctl("a");
    assert_eq!(t.sup("b"), Some(b));
    t.ctl("n");
    poll(LONG, "inactive supervisor stopped", || t.sup("b").is_none().then_some(()));
    // -h: scan, then stop what disappeared.
    fs::rename(t.scan.join("c"), t.dir.join("c-out")).unwrap();
    t.ctl("h");
    poll(LONG, "c stopped by -h", || t.sup("c").is_none().then_some(()));
    // An inactive supervisor that dies is not restarted.
    service(&t.scan.join("d"), "exec sleep 100000");
    t.ctl("a");
    let d = t.wait_sup("d");
    fs::rename(t.scan.join("d"), t.dir.join("d-out")).unwrap();
    t.ctl("a");
    kill_sup(d);
    poll(LONG, "d reaped", || stat(d).is_none().then_some(()));
    t.ctl("a");
    assert!(t.sup("d").is_none());
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn logger_pipe_survives_restarts_of_both_sides() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-pipe");
    // Numbered lines, one every 20 ms; `written` holds the last one sent.
    // While `pause` exists, it writes nothing (and says so in `paused`).
    service(
        &t.scan.join("a"),
        "i=0\nwhile :; do\n  if [ -e ../../pause ]; then : > ../../paused; sleep 0.02; continue; fi\n  \
         i=$((i+1)); echo \"$i\"; echo \"$i\" > ../../written; sleep 0.02\ndone",
    );
    logger(&t.scan.join("a"), &t.dir.join("alog"));
    t.start();
    let log = t.dir.join("alog/current");
    let count = || fs::read_to_string(&log).unwrap_or_default().lines().count();
    poll(LONG, "lines", || (count() >= 5).then_some(()));
    // The logger's supervisor and its logger die; lines keep going into
    // the pipe held by s6-svscan, and the next logger gets them. The
    // service pauses while the logger is killed, so the logger dies with
    // nothing read and not yet written (cat's own window).
    let written = || -> u64 {
        fs::read_to_string(t.dir.join("written")).unwrap_or_default().trim().parse().unwrap_or(0)
    };
    fs::write(t.dir.join("pause"), "").unwrap();
    poll(LONG, "service paused", || t.dir.join("paused").exists().then_some(()));
    poll(LONG, "logger caught up", || (count() as u64 == written()).then_some(()));
    let lsup = t.wait_sup("a/log");
    let loggers: Vec<i32> = descendants(lsup);
    kill(lsup, libc::SIGKILL);
    for &p in &loggers {
        kill(p, libc::SIGTERM);
    }
    // A reader woken by a signal still takes data that arrives first.
    poll(LONG, "old logger gone", || {
        loggers.iter().all(|&p| stat(p).is_none_or(|(s, _)| s == 'Z')).then_some(())
    });
    fs::remove_file(t.dir.join("pause")).unwrap();
    let new_lsup = poll(LONG, "logger supervisor back", || t.sup("a/log").filter(|&p| p != lsup));
    assert_ne!(new_lsup, lsup);
    let n = count();
    poll(LONG, "lines after the logger restart", || (count() >= n + 5).then_some(()));
    // The service's supervisor dies too: the new one writes to the same pipe.
    let ssup = t.wait_sup("a");
    let services = descendants(ssup);
    kill(ssup, libc::SIGKILL);
    for p in services {
        kill(p, libc::SIGTERM);
    }
    poll(LONG, "service supervisor back", || t.sup("a").filter(|&p| p != ssup));
    let n = count();
    poll(LONG, "lines after the service restart", || (count() >= n + 5).then_some(()));
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
    // Every line, in order, none lost: the first run counted 1..k, the
    // second starts again at 1.
    let text = fs::read_to_string(&log).unwrap();
    assert!(text.ends_with('\n'));
    let nums: Vec<u64> = text.lines().map(|l| l.parse().unwrap()).collect();
    let restarts = nums.windows(2).filter(|w| w[1] != w[0] + 1).count();
    assert_eq!(restarts, 1, "one gap only (the service's restart): {nums:?}");
    let last: u64 = // (empty when killed between the truncation and the write)
        fs::read_to_string(t.dir.join("written")).unwrap().trim().parse().unwrap_or(0);
    assert!(*nums.last().unwrap() >= last, "lines lost at the end");
}

#[test]
fn signals_and_scripts() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-signals");
    service(&t.scan.join("a"), "exec sleep 100000");
    script(&t.scan.join(".s6-svscan/SIGUSR1"), "echo usr1 >> ../usr1");
    script(&t.scan.join(".s6-svscan/SIGHUP"), "echo hup >> ../hup");
    script(&t.scan.join(".s6-svscan/SIGTERM"), "echo term >> ../term");
    script(&t.scan.join(".s6-svscan/finish"), "echo finish > ../finish\nexit 42");
    t.start();
    let a = t.wait_sup("a");
    kill(t.pid(), libc::SIGUSR1);
    poll(LONG, "SIGUSR1 script", || t.dir.join("usr1").exists().then_some(()));
    // A script replaces the default action: SIGHUP and SIGTERM do nothing else.
    service(&t.scan.join("b"), "exec sleep 100000");
    kill(t.pid(), libc::SIGHUP);
    kill(t.pid(), libc::SIGTERM);
    poll(LONG, "SIGHUP and SIGTERM scripts", || {
        (t.dir.join("hup").exists() && t.dir.join("term").exists()).then_some(())
    });
    assert_eq!(t.sup("a"), Some(a));
    assert!(t.sup("b").is_none(), "SIGHUP's scan should have been replaced by the script");
    // Script children are reaped: no zombie under s6-svscan.
    poll(LONG, "scripts reaped", || {
        descendants(t.pid()).iter().all(|&p| stat(p).is_none_or(|(s, _)| s != 'Z')).then_some(())
    });
    // SIGALRM: a scan.
    kill(t.pid(), libc::SIGALRM);
    t.wait_sup("b");
    // SIGINT (no script): the tree comes down, finish's code is ours.
    kill(t.pid(), libc::SIGINT);
    assert_eq!(t.wait_exit(), 42);
    assert_eq!(fs::read_to_string(t.dir.join("finish")).unwrap(), "finish\n");
    assert!(stat(a).is_none_or(|(s, _)| s == 'Z'));
}

#[test]
fn abort_execs_finish_at_once() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-abort");
    service(&t.scan.join("a"), "exec sleep 100000");
    script(&t.scan.join(".s6-svscan/finish"), "exec sleep 100000");
    t.start();
    let a = t.wait_sup("a");
    t.ctl("b");
    // s6-svscan became finish (same pid) without stopping the supervisor.
    poll(LONG, "finish exec'd", || cmdline(t.pid()).contains("sleep 100000").then_some(()));
    assert!(stat(a).is_some_and(|(s, _)| s != 'Z'));
}

/// s6box's s6-svscanctl driving s6's s6-svscan (2.15's, and Debian's
/// 2.11, which finds s6box's s6-supervise first in PATH when it has one).
#[test]
fn our_svscanctl_drives_s6s_svscan() {
    for (tag, r) in [("ref", reference("s6-svscan")), ("debian", debian("s6-svscan"))] {
        let Some(r) = r else { continue };
        if !usable() {
            return;
        }
        let mut t = Tree::new(&format!("svscan-{tag}"));
        service(&t.scan.join("a"), "exec sleep 100000");
        t.start_with(&r, &[]);
        t.wait_sup("a");
        service(&t.scan.join("b"), "exec sleep 100000");
        t.ctl("a");
        t.wait_sup("b");
        fs::rename(t.scan.join("b"), t.dir.join("b-out")).unwrap();
        t.ctl("h");
        poll(LONG, "b stopped", || t.sup("b").is_none().then_some(()));
        t.ctl("t");
        assert_eq!(t.wait_exit(), 0, "{tag}");
    }
}

#[test]
fn faults_warn_and_retry_without_spinning() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-faults");
    service(&t.scan.join("a"), "exec sleep 100000");
    service(&t.scan.join("b"), "exec sleep 100000");
    fs::write(t.scan.join("b/log"), "not a directory").unwrap();
    t.start();
    t.wait_sup("b");
    assert!(t.err().contains("s6-svscan: warning: b/log is not a directory - no logger\n"));
    // A service directory that vanishes under its supervisor: the dead
    // supervisor is not restarted on a directory that is gone.
    let a = t.wait_sup("a");
    fs::rename(t.scan.join("a"), t.dir.join("a-out")).unwrap();
    kill_sup(a);
    poll(LONG, "a reaped", || stat(a).is_none().then_some(()));
    let cpu0 = cpu_ticks(t.pid());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(t.sup("a").is_none());
    assert!(!t.err().contains("unable to chdir to a"), "restarted on a vanished a: {}", t.err());
    assert!(cpu_ticks(t.pid()) - cpu0 < 20, "s6-svscan spins");
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}

/// Fork failure: s6-svscan runs as an unused uid whose process limit
/// leaves no room for the last supervisor: warnings, retries every second,
/// no exit, no spin; once the limit is raised the supervisor starts.
#[test]
fn fork_failure_is_retried() {
    if !usable() {
        return;
    }
    let uid = 47311;
    let mut t = Tree::new("svscan-nproc");
    for s in ["a", "b", "c"] {
        service(&t.scan.join(s), "exec sleep 100000");
    }
    chown_r(&t.dir, uid);
    let err = fs::File::create(t.dir.join("err")).unwrap();
    // 3 processes: s6-svscan and two supervisors at most; the third
    // supervisor's fork fails.
    let child = Command::new("prlimit")
        .args(["--nproc=3:1000", "--"])
        .args(["setpriv", &format!("--reuid={uid}"), &format!("--regid={uid}"), "--clear-groups"])
        .arg(applet("s6-svscan"))
        .arg(&t.scan)
        .env("PATH", path_env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap();
    t.child = Some(child);
    poll(LONG, "two fork failures", || {
        (t.err().matches("unable to spawn s6-supervise for ").count() >= 2).then_some(())
    });
    assert!(t.child.as_mut().unwrap().try_wait().unwrap().is_none(), "s6-svscan exited");
    let cpu0 = cpu_ticks(t.pid());
    std::thread::sleep(Duration::from_millis(1000));
    assert!(cpu_ticks(t.pid()) - cpu0 < 20, "s6-svscan spins");
    // Raised by the same uid (root lacks CAP_SYS_RESOURCE here).
    let st = Command::new("setpriv")
        .args([&format!("--reuid={uid}"), &format!("--regid={uid}"), "--clear-groups"])
        .args(["prlimit", "--pid", &t.pid().to_string(), "--nproc=1000:1000"])
        .status()
        .unwrap();
    assert!(st.success());
    for s in ["a", "b", "c"] {
        t.wait_sup(s);
    }
    t.ctl("t");
    t.wait_exit();
}

fn chown_r(p: &Path, uid: u32) {
    let st = Command::new("chown").arg("-R").arg(format!("{uid}:{uid}")).arg(p).status().unwrap();
    assert!(st.success());
}

/// The container recipe of doc/container.md, as pid 1 of a PID namespace.
struct Container {
    dir: Tmp,
    scan: PathBuf,
    child: Option<Child>,
}

impl Container {
    fn new(tag: &str) -> Container {
        let dir = Tmp::new(tag);
        let scan = dir.join("scan");
        let recipe = Path::new(env!("CARGO_MANIFEST_DIR")).join("doc/container/scandir");
        fs::create_dir_all(scan.join(".s6-svscan")).unwrap();
        fs::copy(recipe.join(".s6-svscan/finish"), scan.join(".s6-svscan/finish")).unwrap();
        Container { dir, scan, child: None }
    }

    fn start(&mut self) {
        let child = Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc"])
            .arg(applet("s6-svscan"))
            .arg(&self.scan)
            .env("PATH", path_env())
            .stdin(Stdio::null())
            .stdout(fs::File::create(self.dir.join("out")).unwrap())
            .stderr(fs::File::create(self.dir.join("err")).unwrap())
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// The host pid of the namespace's pid 1.
    fn init(&self) -> i32 {
        let u = self.child.as_ref().unwrap().id() as i32;
        poll(LONG, "namespace init", || {
            descendants(u).into_iter().find(|&p| stat(p).is_some_and(|(_, pp)| pp == u))
        })
    }

    fn wait_exit(&mut self) -> i32 {
        let child = self.child.as_mut().unwrap();
        let st = poll(LONG, "container exit", || child.try_wait().unwrap());
        self.child = None;
        st.code().unwrap_or(-1)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // Killing the namespace's pid 1 kills everything in it.
            let u = c.id() as i32;
            for p in descendants(u) {
                if stat(p).is_some_and(|(_, pp)| pp == u) {
                    kill(p, libc::SIGKILL);
                }
            }
            kill(u, libc::SIGKILL);
            let _ = c.wait();
        }
    }
}

fn unshare_works() -> bool {
    let ok = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIP: unshare --pid --fork --mount-proc unavailable");
    }
    ok
}

#[test]
fn container_init_reaps_orphans_and_stops_loggers_last() {
    if !usable() || !unshare_works() {
        return;
    }
    let mut c = Container::new("svscan-pid1");
    // app: numbered lines to its logger; `written` holds the last one sent.
    service(
        &c.scan.join("app"),
        "i=0\nwhile :; do i=$((i+1)); echo \"$i\"; echo \"$i\" > ../../written; sleep 0.01; done",
    );
    logger(&c.scan.join("app"), &c.dir.join("applog"));
    // worker: 100 double forks whose grandchildren end as orphans of pid 1.
    service(
        &c.scan.join("worker"),
        "for i in $(seq 100); do (sleep 0.05 &); done\necho done > ../../forked\nexec sleep 100000",
    );
    c.start();
    let init = c.init();
    assert!(cmdline(init).contains("s6-svscan"), "{}", cmdline(init));
    poll(LONG, "double forks done", || c.dir.join("forked").exists().then_some(()));
    // Every orphan ends and is reaped by pid 1: no zombie in the namespace.
    poll(LONG, "no zombies", || {
        let d = descendants(init);
        let sleeping = d.iter().any(|&p| cmdline(p) == "sleep 0.05");
        let zombies = d.iter().any(|&p| stat(p).is_some_and(|(s, _)| s == 'Z'));
        (!sleeping && !zombies).then_some(())
    });
    let log = c.dir.join("applog/current");
    poll(LONG, "app logging", || {
        (fs::read_to_string(&log).unwrap_or_default().lines().count() > 10).then_some(())
    });
    // docker stop: SIGTERM to pid 1.
    kill(init, libc::SIGTERM);
    assert_eq!(c.wait_exit(), 0);
    let text = fs::read_to_string(&log).unwrap();
    assert!(text.ends_with('\n'));
    let nums: Vec<u64> = text.lines().map(|l| l.parse().unwrap()).collect();
    assert!(nums.iter().enumerate().all(|(i, &n)| n == i as u64 + 1), "gap in the log");
    let last: u64 = // (empty when killed between the truncation and the write)
        fs::read_to_string(c.dir.join("written")).unwrap().trim().parse().unwrap_or(0);
    assert!(
        *nums.last().unwrap() >= last,
        "lines lost: log ends at {:?}, sent {last}",
        nums.last()
    );
}

#[test]
fn container_ends_with_the_exit_code_of_a_service_that_fails_for_good() {
    if !usable() || !unshare_works() {
        return;
    }
    let mut c = Container::new("svscan-permafail");
    let recipe = Path::new(env!("CARGO_MANIFEST_DIR")).join("doc/container/scandir");
    fs::create_dir_all(c.scan.join("app")).unwrap();
    fs::copy(recipe.join("app/finish"), c.scan.join("app/finish")).unwrap();
    // app fails at once, every time: the 3rd failure is permanent.
    service(&c.scan.join("app"), "echo failing\nexit 3");
    logger(&c.scan.join("app"), &c.dir.join("applog"));
    service(&c.scan.join("worker"), "exec sleep 100000");
    c.start();
    assert_eq!(c.wait_exit(), 3);
    assert_eq!(
        fs::read_to_string(c.dir.join("applog/current")).unwrap().matches("failing\n").count(),
        3
    );
    assert!(text(&fs::read(c.dir.join("err")).unwrap()).contains("PERMANENT FAILURE"));
}

/// 2.11's forms (`-c max`, no scandir: the current directory) and 2.15's
/// long options; `--timeout` rescans without being asked.
#[test]
fn old_and_long_option_forms() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-forms");
    service(&t.scan.join("a"), "exec sleep 100000");
    let err = fs::File::create(t.dir.join("err")).unwrap();
    let child = cmd("s6-svscan")
        .args(["-c", "10", "--timeout=100", "--name-max=20", "--services-max=30"])
        .current_dir(&t.scan)
        .env("PATH", path_env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap();
    t.child = Some(child);
    t.wait_sup("a");
    // Picked up by the periodic scan, no s6-svscanctl -a.
    service(&t.scan.join("b"), "exec sleep 100000");
    t.wait_sup("b");
    service(&t.scan.join("name-longer-than-twenty"), "exec sleep 100000");
    poll(LONG, "name too long", || {
        t.err()
            .contains(
                "s6-svscan: warning: name too long - not spawning service: name-longer-than-twenty\n",
            )
            .then_some(())
    });
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}

/// s6box's s6-svscan runs its own s6-supervise (by executable path, with
/// any PATH) when the binary carries it.
#[test]
fn supervisors_are_s6box_itself_whatever_path_says() {
    if !ours_supervise() {
        eprintln!("SKIP: s6box has no s6-supervise yet");
        return;
    }
    let mut t = Tree::new("svscan-ownpath");
    service(&t.scan.join("a"), "exec /bin/sleep 100000");
    let err = fs::File::create(t.dir.join("err")).unwrap();
    let child = cmd("s6-svscan")
        .arg(&t.scan)
        .env("PATH", "/nonexistent")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap();
    t.child = Some(child);
    let a = t.wait_sup("a");
    assert_eq!(fs::read_link(format!("/proc/{a}/exe")).unwrap(), bin().canonicalize().unwrap());
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}

/// `-d 3`: a newline once commands are accepted, and no supervisor holds
/// the descriptor. `-X 4`: the console holder is s6-svscan-log's
/// supervisor's stderr and finish's stdout.
#[test]
fn notification_and_console_holder() {
    if !usable() {
        return;
    }
    use std::os::unix::io::AsRawFd;
    let mut t = Tree::new("svscan-notif");
    service(&t.scan.join("a"), "exec sleep 100000");
    service(&t.scan.join("s6-svscan-log"), "echo to-console >&2\nexec sleep 100000");
    script(&t.scan.join(".s6-svscan/finish"), "echo finish-on-console");
    let (rd, wr) = std::io::pipe().unwrap();
    let console = fs::File::create(t.dir.join("console")).unwrap();
    let (wfd, cfd) = (wr.as_raw_fd(), console.as_raw_fd());
    let mut c = cmd("s6-svscan");
    c.args(["-d", "3", "-X", "4"])
        .arg(&t.scan)
        .env("PATH", path_env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(t.dir.join("err")).unwrap());
    common::fds_to(&mut c, &[(wfd, 3), (cfd, 4)]);
    t.child = Some(c.spawn().unwrap());
    drop(wr);
    drop(console);
    // The newline, then end-of-file: nobody else holds the write end.
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut &rd, &mut got).unwrap();
    assert_eq!(got, b"\n");
    t.wait_sup("a");
    poll(LONG, "console output", || {
        fs::read_to_string(t.dir.join("console")).unwrap().contains("to-console\n").then_some(())
    });
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
    assert!(fs::read_to_string(t.dir.join("console")).unwrap().ends_with("finish-on-console\n"));
}

/// A scan directory on a read-only file system (its `.s6-svscan` a link
/// to a writable place): the supervisors cannot make `supervise/` and
/// die; s6-svscan restarts them once a second, and neither exits nor
/// spins.
#[test]
fn read_only_scandir_is_retried_without_spinning() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-rofs");
    fs::create_dir_all(t.dir.join("state")).unwrap();
    std::os::unix::fs::symlink("../state", t.scan.join(".s6-svscan")).unwrap();
    service(&t.scan.join("a"), "exec sleep 100000");
    let scan = t.scan.display().to_string();
    let setup = format!(
        "mount --bind '{scan}' '{scan}' && mount -o remount,bind,ro '{scan}' && exec \"$0\" '{scan}'"
    );
    let child = Command::new("unshare")
        .args(["-m", "sh", "-c", &setup])
        .arg(applet("s6-svscan"))
        .env("PATH", path_env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(t.dir.join("err")).unwrap())
        .spawn()
        .unwrap();
    t.child = Some(child);
    poll(LONG, "supervisor started three times", || {
        (t.err().lines().filter(|l| l.starts_with("s6-supervise a")).count() >= 3).then_some(())
    });
    assert!(t.child.as_mut().unwrap().try_wait().unwrap().is_none(), "s6-svscan exited");
    let cpu0 = cpu_ticks(t.pid());
    std::thread::sleep(Duration::from_millis(1000));
    assert!(cpu_ticks(t.pid()) - cpu0 < 20, "s6-svscan spins");
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}

/// `wait_new_sup(t, name, old)`: the supervisor of `name` once it is not
/// `old`, and when it was first seen.
fn wait_new_sup(t: &Tree, name: &str, old: i32) -> (i32, Instant) {
    poll(LONG, &format!("a new supervisor of {name}"), || {
        t.sup(name).filter(|&p| p != old).map(|p| (p, Instant::now()))
    })
}

/// A supervisor killed after a second or more of life is restarted at
/// once; one killed sooner, no sooner than a second after its previous
/// start (issue 20, item 7: the throttle counts from the start, as s6).
#[test]
fn dead_supervisor_restarts_at_once_after_a_second_of_life() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-restart");
    service(&t.scan.join("a"), "exec sleep 100000");
    t.start();
    let first = t.wait_sup("a");
    std::thread::sleep(Duration::from_millis(1200));
    let killed = Instant::now();
    kill_sup(first);
    let (second, seen) = wait_new_sup(&t, "a", first);
    let delay = seen - killed;
    assert!(delay < Duration::from_millis(900), "restarted after {delay:?}");
    // Killed at once: the next start waits for the second to be up.
    kill_sup(second);
    let (_, again) = wait_new_sup(&t, "a", second);
    let gap = again - seen;
    assert!(gap >= Duration::from_millis(900), "restarted {gap:?} after the previous start");
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}

/// Supervisors due for a restart at the same time restart in the order
/// of their previous starts (2.15 restarts them as it reaps them, oldest
/// child first): each logger before its service, and a catch-all logger
/// started first stays first.
#[test]
fn simultaneous_restarts_keep_the_start_order() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-order");
    let names = ["a", "a/log", "b", "b/log", "c", "d", "d/log"];
    for n in ["a", "b", "c", "d"] {
        service(&t.scan.join(n), "exec sleep 100000");
    }
    for n in ["a", "b", "d"] {
        service(&t.scan.join(n).join("log"), "exec cat >/dev/null");
    }
    t.start();
    for n in names {
        t.wait_sup(n);
    }
    // b restarted alone: its last start is now the newest.
    std::thread::sleep(Duration::from_millis(1200));
    let b = t.sup("b").unwrap();
    kill_sup(b);
    wait_new_sup(&t, "b", b);
    std::thread::sleep(Duration::from_millis(1200));
    let mut old: Vec<(i32, &str)> = names.iter().map(|n| (t.wait_sup(n), *n)).collect();
    old.sort();
    // All dead before the scanner looks: one reap sees every death.
    kill(t.pid(), libc::SIGSTOP);
    for &(p, _) in &old {
        kill_sup(p);
    }
    for &(p, _) in &old {
        poll(LONG, "a zombie", || (state(p) == Some('Z')).then_some(()));
    }
    kill(t.pid(), libc::SIGCONT);
    let mut new: Vec<(i32, &str)> = Vec::new();
    for &(p, n) in &old {
        new.push((wait_new_sup(&t, n, p).0, n));
    }
    new.sort();
    let before: Vec<&str> = old.iter().map(|x| x.1).collect();
    let after: Vec<&str> = new.iter().map(|x| x.1).collect();
    assert_eq!(after, before, "restart order");
    let log_first = after.iter().position(|n| *n == "a/log") < after.iter().position(|n| *n == "a");
    assert!(log_first, "{after:?}");
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}

/// No pipe for a logged service (RLIMIT_NOFILE reached): neither side is
/// started, the scan is retried a second later (no busy loop), and once
/// the limit is raised the service starts with its logger (issue 20,
/// item 8).
#[test]
fn logged_service_never_starts_without_its_pipe() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-nofile");
    service(&t.scan.join("a"), "echo hello\nexec sleep 100000");
    service(&t.scan.join("a/log"), "exec cat > out");
    // 0-2, the lock, the control fifo's two ends, the signal descriptor
    // and the scan's two directory descriptors: no room for a pipe.
    let svscan = applet("s6-svscan");
    let args = ["--nofile=9:4096", "--", svscan.to_str().unwrap()];
    t.start_with(Path::new("/usr/bin/prlimit"), &args);
    assert!(t.sup("a").is_none());
    poll(LONG, "the pipe failure", || t.err().contains("Too many open files").then_some(()));
    assert!(t.sup("a").is_none() && t.sup("a/log").is_none(), "{}", t.err());
    let cpu0 = cpu_ticks(t.pid());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(cpu_ticks(t.pid()) - cpu0 < 20, "s6-svscan spins");
    assert!(t.sup("a").is_none(), "a started without its logger");
    let st = Command::new("prlimit")
        .args(["--pid", &t.pid().to_string(), "--nofile=1024:4096"])
        .status()
        .unwrap();
    assert!(st.success());
    t.wait_sup("a");
    t.wait_sup("a/log");
    let out = t.scan.join("a/log/out");
    poll(LONG, "hello in the logger", || {
        fs::read_to_string(&out).ok().filter(|s| s == "hello\n").map(|_| ())
    });
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}

/// `tree_finish(tag, prog, crash)`: a tree whose `.s6-svscan/finish` is
/// not executable, with a `crash` script or none, brought down: (exit
/// code, stderr, crash ran).
fn tree_finish(tag: &str, prog: &Path, crash: bool) -> (i32, String, bool) {
    let mut t = Tree::new(tag);
    let ctl = t.scan.join(".s6-svscan");
    fs::create_dir_all(&ctl).unwrap();
    fs::write(ctl.join("finish"), "#!/bin/sh\nexit 0\n").unwrap();
    let mark = t.dir.join("crashed");
    if crash {
        script(&ctl.join("crash"), &format!("echo \"$@\" > {}\nexit 7", mark.display()));
    }
    t.start_with(prog, &[]);
    t.ctl("t");
    let code = t.wait_exit();
    (code, t.err(), mark.exists())
}

/// A `.s6-svscan/finish` that cannot be exec'd: s6's warning, then
/// `.s6-svscan/crash` is exec'd; if that fails too, exit 111 (issue 20,
/// item 13; 2.15 exits 126 or 127 there).
#[test]
fn finish_that_cannot_be_execd_execs_crash() {
    if !usable() {
        return;
    }
    let warn = "s6-svscan: warning: unable to exec finish script .s6-svscan/finish: Permission denied\ns6-svscan: warning: executing into .s6-svscan/crash\n";
    let (code, err, ran) = tree_finish("svscan-fincrash", &applet("s6-svscan"), true);
    assert_eq!((code, err.as_str(), ran), (7, warn, true));
    let (code, err, ran) = tree_finish("svscan-fincrash2", &applet("s6-svscan"), false);
    let fatal = "s6-svscan: fatal: unable to exec .s6-svscan/crash: No such file or directory\n";
    assert_eq!((code, err, ran), (111, format!("{warn}{fatal}"), false));
    if let Some(r) = reference("s6-svscan") {
        let (code, err, ran) = tree_finish("svscan-fincrash-ref", &r, true);
        assert_eq!((code, err.as_str(), ran), (7, warn, true), "2.15");
        let (_, err, _) = tree_finish("svscan-fincrash2-ref", &r, false);
        assert_eq!(err, format!("{warn}{fatal}"), "2.15");
    }
}

/// `-c max`: at most max services, their loggers not counted; the others
/// get 2.11's warning (issue 20, item 14), as 2.11's s6-svscan does.
#[test]
fn c_counts_services_not_loggers() {
    if !usable() {
        return;
    }
    let mut progs = vec![("s6box", applet("s6-svscan"))];
    progs.extend(debian("s6-svscan").map(|d| ("2.11", d)));
    for (label, prog) in progs {
        for logged in [true, false] {
            let mut t = Tree::new(&format!("svscan-c-{label}"));
            for n in ["a", "b", "c", "d"] {
                service(&t.scan.join(n), "exec sleep 100000");
                if logged {
                    service(&t.scan.join(n).join("log"), "exec cat >/dev/null");
                }
            }
            t.start_with(&prog, &["-c", "2"]);
            let running = poll(LONG, "two warnings and two services", || {
                let running: Vec<&str> =
                    ["a", "b", "c", "d"].into_iter().filter(|n| t.sup(n).is_some()).collect();
                let warned = t.err().matches(": too many services\n").count();
                (warned == 2 && running.len() == 2).then_some(running)
            });
            for n in running.iter().filter(|_| logged) {
                t.wait_sup(&format!("{n}/log"));
                let w = format!("s6-svscan: warning: unable to start supervisor for {n}: too many");
                assert!(!t.err().contains(&w), "{label}: {}", t.err());
            }
            for n in ["a", "b", "c", "d"].iter().filter(|n| !running.contains(n)) {
                let w = format!(
                    "s6-svscan: warning: unable to start supervisor for {n}: too many services\n"
                );
                assert!(t.err().contains(&w), "{label}: {}", t.err());
                assert!(t.sup(&format!("{n}/log")).is_none(), "{label}");
            }
            t.ctl("t");
            t.wait_exit();
        }
    }
}

/// Any directory name is supervised, even one that looks like an option
/// (issue 20, item 11).
#[test]
fn service_named_like_an_option_is_supervised() {
    if !usable() {
        return;
    }
    let mut t = Tree::new("svscan-optname");
    service(&t.scan.join("--help"), "exec sleep 100000");
    service(&t.scan.join("-x"), "exec sleep 100000");
    t.start();
    t.wait_up("--help");
    t.wait_up("-x");
    t.ctl("t");
    assert_eq!(t.wait_exit(), 0);
}
