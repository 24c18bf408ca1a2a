//! The fifodir tools: s6-mkfifodir, s6-cleanfifodir, s6-ftrig-notify,
//! s6-ftrig-wait, s6-ftrig-listen1, s6-ftrig-listen, against the 2.15
//! reference (and Debian's where both agree), both ways.

mod common;

use common::{cmd, code, reference, run, text};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Tmp;

/// `spawn(c)`: a child killed and reaped at the end of the test, its
/// outputs piped.
fn spawn(c: &mut Command) -> common::Reaped {
    common::Reaped::spawn(c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()))
}

/// The listener fifos in a fifodir.
fn fifos(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ftrig1:") || n.starts_with(".ftrig1:"))
        .collect();
    v.sort();
    v
}

/// Waits until `n` listener fifos are in place (renamed from their
/// temporary dot-name: notifiers skip those).
fn wait_fifos(dir: &Path, n: usize) {
    common::poll(Duration::from_secs(10), "listener fifos", || {
        (common::fifodir_subscribers(dir) >= n).then_some(())
    });
}

/// System error texts differ between C libraries (musl: "Operation timed
/// out", glibc: "Connection timed out").
fn norm(s: &[u8]) -> String {
    text(s).replace("Connection timed out", "Operation timed out")
}

fn mkfifodir(dir: &Path) {
    let out = run(cmd("s6-mkfifodir").arg(dir));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn mkfifodir_as_the_reference() {
    let t = Tmp::new("ftrig-mk");
    let mine = t.0.join("mine");
    let theirs = t.0.join("theirs");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(mine.join("f"), "").unwrap();
    std::fs::write(theirs.join("f"), "").unwrap();
    let Some(r) = reference("s6-mkfifodir") else { return };
    let cases: &[&[&str]] = &[
        &["pub"],
        &["-g", "100", "grp"],
        &["pub"],
        &["-f", "-g", "100", "pub"],
        &["-f", "grp"],
        &["f"],
        &["-f", "f"],
        &["nodir/x"],
        &["-g", "x", "y"],
        &["-g", "4294967296", "y"],
        &[],
        &["-z", "y"],
        &["a", "b"],
    ];
    for args in cases {
        let a = run(cmd("s6-mkfifodir").current_dir(&mine).args(*args));
        let b = run(Command::new(&r).current_dir(&theirs).args(*args));
        assert_eq!((code(&a), text(&a.stderr)), (code(&b), text(&b.stderr)), "{args:?}");
        for name in ["pub", "grp", "a"] {
            let (m, t) = (mine.join(name), theirs.join(name));
            if t.exists() {
                assert_eq!(mode(&m), mode(&t), "{args:?} {name}");
            }
        }
    }
    // Not ours: refused.
    let other = mine.join("other");
    std::fs::create_dir(&other).unwrap();
    std::os::unix::fs::chown(&other, Some(65534), None).unwrap();
    let a = run(cmd("s6-mkfifodir").arg(&other));
    assert_eq!(code(&a), 111);
    assert!(text(&a.stderr).ends_with("Permission denied\n"), "{}", text(&a.stderr));
}

#[test]
fn notify_to_reference_wait_and_back() {
    let t = Tmp::new("ftrig-cross");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let Some(rwait) = reference("s6-ftrig-wait") else { return };
    let Some(rnotify) = reference("s6-ftrig-notify") else { return };
    // Our notify, the reference's wait.
    let w = spawn(Command::new(&rwait).args(["-t", "20000"]).arg(&dir).arg("y"));
    wait_fifos(&dir, 1);
    let n = run(cmd("s6-ftrig-notify").arg(&dir).arg("xyzabc"));
    assert_eq!(code(&n), 0);
    let out = w.output();
    assert_eq!((code(&out), text(&out.stdout)), (0, "xyzabc\n".into()), "{}", text(&out.stderr));
    // The reference's notify, our wait.
    let w = spawn(cmd("s6-ftrig-wait").args(["-t", "20000"]).arg(&dir).arg("y"));
    wait_fifos(&dir, 1);
    let n = run(Command::new(&rnotify).arg(&dir).arg("xyzabc"));
    assert_eq!(code(&n), 0);
    let out = w.output();
    assert_eq!((code(&out), text(&out.stdout)), (0, "xyzabc\n".into()), "{}", text(&out.stderr));
    assert!(fifos(&dir).is_empty());
}

#[test]
fn every_event_since_subscribing_is_matched() {
    let t = Tmp::new("ftrig-anchor");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    // `^b` never matches "ab" then "b": the stream starts at "a".
    let w = spawn(cmd("s6-ftrig-wait").args(["-t", "20000"]).arg(&dir).arg("^b|c$"));
    wait_fifos(&dir, 1);
    assert_eq!(code(&run(cmd("s6-ftrig-notify").arg(&dir).arg("ab"))), 0);
    assert_eq!(code(&run(cmd("s6-ftrig-notify").arg(&dir).arg("b"))), 0);
    assert_eq!(code(&run(cmd("s6-ftrig-notify").arg(&dir).arg("c"))), 0);
    let out = w.output();
    assert_eq!((code(&out), text(&out.stdout)), (0, "abbc\n".into()), "{}", text(&out.stderr));
}

#[test]
fn errors_as_the_reference() {
    let t = Tmp::new("ftrig-err");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let file = t.0.join("file");
    std::fs::write(&file, "").unwrap();
    let missing = t.0.join("missing");
    let d = dir.to_str().unwrap();
    let f = file.to_str().unwrap();
    let m = missing.to_str().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("s6-ftrig-wait", &["-t", "50", d, "a"]),
        ("s6-ftrig-wait", &["-t", "50", f, "a"]),
        ("s6-ftrig-wait", &["-t", "50", m, "a"]),
        ("s6-ftrig-wait", &["-t", "x", d, "a"]),
        ("s6-ftrig-wait", &["-t", "4294967296", d, "a"]),
        ("s6-ftrig-wait", &["-z", d, "a"]),
        ("s6-ftrig-wait", &[d]),
        ("s6-ftrig-listen1", &["-t", "50", d, "a", "true"]),
        ("s6-ftrig-listen1", &["-t", "50", f, "a", "true"]),
        ("s6-ftrig-listen1", &["-t", "50", d, "a"]),
        ("s6-ftrig-listen1", &[d, "a", "/nonexistent/prog"]),
        ("s6-ftrig-listen", &["-t", "50", d, "a", d, "b", "", "true"]),
        ("s6-ftrig-listen", &["-o", "-t", "50", d, "a", "", "true"]),
        ("s6-ftrig-listen", &["-t", "50", d, "a", ""]),
        ("s6-ftrig-listen", &["-t", "50", d, "a"]),
        ("s6-ftrig-listen", &["-t", "50", "", "true"]),
        ("s6-ftrig-notify", &[f, "a"]),
        ("s6-ftrig-notify", &[m, "a"]),
        ("s6-ftrig-notify", &[d]),
        ("s6-ftrig-notify", &["--", d]),
        ("s6-cleanfifodir", &[f]),
        ("s6-cleanfifodir", &[]),
        ("s6-cleanfifodir", &["-x"]),
    ];
    for (prog, args) in cases {
        let Some(r) = reference(prog) else { return };
        let a = run(cmd(prog).args(*args));
        let b = common::run_reference(Command::new(&r).args(*args));
        assert_eq!(
            (code(&a), text(&a.stdout), norm(&a.stderr)),
            (code(&b), text(&b.stdout), norm(&b.stderr)),
            "{prog} {args:?}"
        );
        assert!(fifos(&dir).is_empty(), "{prog} {args:?} left a fifo");
    }
    // Exit codes that differ from 2.11 follow 2.15: a wait times out with
    // 99, a listener with 1.
    let a = run(cmd("s6-ftrig-wait").args(["-t", "50", d, "a"]));
    assert_eq!(code(&a), 99);
}

#[test]
fn invalid_regexp_is_a_usage_error() {
    let t = Tmp::new("ftrig-re");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let d = dir.to_str().unwrap();
    for (prog, args) in [
        ("s6-ftrig-wait", vec!["-t", "50", d, "("]),
        ("s6-ftrig-listen1", vec!["-t", "50", d, "(", "true"]),
        ("s6-ftrig-listen", vec!["-t", "50", d, "a", "/nonexistent", "(", "", "true"]),
    ] {
        let a = run(cmd(prog).args(&args));
        assert_eq!(code(&a), 100, "{prog}");
        let bad = if prog == "s6-ftrig-listen" { "/nonexistent" } else { d };
        assert_eq!(
            text(&a.stderr),
            format!(
                "{prog}: fatal: unable to subscribe to {bad} with regexp (: Invalid argument\n"
            )
        );
        assert!(fifos(&dir).is_empty());
    }
}

#[test]
fn stale_fifos_and_planted_files() {
    let t = Tmp::new("ftrig-stale");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let stale = dir.join("ftrig1:@400000006b0cfc6a36fe0785:abcdef");
    let planted = dir.join("ftrig1:@400000006b0cfc6a36fe0785:abcdeg");
    let mk = || {
        common::mkfifo(&stale, 0o622);
    };
    mk();
    std::fs::write(&planted, "hello").unwrap();
    let w = spawn(cmd("s6-ftrig-wait").args(["-t", "20000"]).arg(&dir).arg("X"));
    wait_fifos(&dir, 3);
    let n = run(cmd("s6-ftrig-notify").arg(&dir).arg("XY"));
    assert_eq!(code(&n), 0);
    let out = w.output();
    assert_eq!(text(&out.stdout), "XY\n");
    assert!(!stale.exists(), "stale fifo removed");
    // A regular file under a listener's name is neither written to nor
    // removed (2.15 writes into it).
    assert_eq!(std::fs::read_to_string(&planted).unwrap(), "hello");
    mk();
    assert_eq!(code(&run(cmd("s6-cleanfifodir").arg(&dir))), 0);
    assert!(!stale.exists());
    assert!(planted.exists());
    assert!(std::fs::metadata(&planted).unwrap().file_type().is_file());
    let _ = std::fs::metadata(&dir).unwrap().file_type().is_fifo();
}

#[test]
fn a_killed_listener_leaves_no_fifo() {
    let t = Tmp::new("ftrig-kill");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let d = dir.to_str().unwrap();
    for (sig, prog, args) in [
        (libc::SIGTERM, "s6-ftrig-wait", vec![d, "a"]),
        (libc::SIGINT, "s6-ftrig-wait", vec!["-t", "60000", d, "a"]),
        (libc::SIGHUP, "s6-ftrig-listen1", vec![d, "a", "true"]),
        (libc::SIGQUIT, "s6-ftrig-listen", vec![d, "a", d, "b", "", "true"]),
        (libc::SIGTERM, "s6-ftrig-listen", vec!["-o", d, "a", "", "true"]),
    ] {
        let mut c = cmd(prog);
        common::sigstate(&mut c, &[], &[]);
        let p = spawn(c.args(&args));
        let n = if prog == "s6-ftrig-listen" && args.len() > 5 { 2 } else { 1 };
        wait_fifos(&dir, n);
        common::kill(p.pid(), sig);
        let out = p.output();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(sig), "{prog}: {:?}", out.status);
        assert!(fifos(&dir).is_empty(), "{prog} left {:?}", fifos(&dir));
    }
}

#[test]
fn listen1_spawns_then_prints_events() {
    let t = Tmp::new("ftrig-l1");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let me = common::applet("s6-ftrig-notify");
    let a = run(cmd("s6-ftrig-listen1")
        .args(["-t", "20000"])
        .arg(&dir)
        .arg("b")
        .arg(&me)
        .arg(&dir)
        .arg("abc"));
    assert_eq!((code(&a), text(&a.stdout)), (0, "abc\n".into()), "{}", text(&a.stderr));
    let a = run(cmd("s6-ftrig-listen")
        .args(["-t", "20000"])
        .arg(&dir)
        .arg("b")
        .arg(&dir)
        .arg("c")
        .arg("")
        .arg(&me)
        .arg(&dir)
        .arg("abc"));
    assert_eq!((code(&a), text(&a.stdout)), (0, String::new()), "{}", text(&a.stderr));
    let a = run(cmd("s6-ftrig-listen")
        .args(["-o", "-t", "20000"])
        .arg(&dir)
        .arg("b")
        .arg(&dir)
        .arg("z")
        .arg("")
        .arg(&me)
        .arg(&dir)
        .arg("abc"));
    assert_eq!(code(&a), 0, "{}", text(&a.stderr));
    let a = run(cmd("s6-ftrig-listen")
        .args(["-t", "300"])
        .arg(&dir)
        .arg("b")
        .arg(&dir)
        .arg("z")
        .arg("")
        .arg(&me)
        .arg(&dir)
        .arg("abc"));
    assert_eq!(code(&a), 1);
    assert_eq!(
        norm(&a.stderr),
        "s6-ftrig-listen: fatal: unable to get expected event: Operation timed out\n"
    );
    assert!(fifos(&dir).is_empty());
    // The reference's listen1 on our notify.
    let Some(r) = reference("s6-ftrig-listen1") else { return };
    let b = run(Command::new(&r)
        .args(["-t", "20000"])
        .arg(&dir)
        .arg("b")
        .arg(&me)
        .arg(&dir)
        .arg("abc"));
    assert_eq!((code(&b), text(&b.stdout)), (0, "abc\n".into()));
}

#[test]
fn prog_inherits_the_signal_state() {
    let t = Tmp::new("ftrig-sig");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let state =
        |c: &mut Command| common::sigstate(c, &[libc::SIGPIPE, libc::SIGHUP], &[libc::SIGUSR2]);
    let show = ["-E", "^Sig(Ign|Blk)", "/proc/self/status"];
    let direct = {
        let mut c = Command::new("grep");
        c.args(show);
        state(&mut c);
        text(&run(&mut c).stdout)
    };
    assert!(direct.contains("SigBlk:\t0000000000000800"), "{direct}");
    for prog in ["s6-ftrig-listen1", "s6-ftrig-listen"] {
        let mut c = cmd(prog);
        c.args(["-t", "20000"]).arg(&dir).arg("x");
        if prog == "s6-ftrig-listen" {
            c.arg("");
        }
        c.arg("grep").args(show);
        state(&mut c);
        let p = spawn(&mut c);
        wait_fifos(&dir, 1);
        assert_eq!(code(&run(cmd("s6-ftrig-notify").arg(&dir).arg("x"))), 0);
        let out = p.output();
        assert_eq!(code(&out), 0, "{prog}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains(&direct), "{prog}: {}", text(&out.stdout));
    }
    assert!(fifos(&dir).is_empty());
}

#[test]
fn an_inherited_ignore_is_respected() {
    let t = Tmp::new("ftrig-ign");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let mut c = cmd("s6-ftrig-wait");
    c.args(["-t", "20000"]).arg(&dir).arg("x");
    common::sigstate(&mut c, &[libc::SIGHUP], &[]);
    let p = spawn(&mut c);
    wait_fifos(&dir, 1);
    common::kill(p.pid(), libc::SIGHUP);
    assert_eq!(code(&run(cmd("s6-ftrig-notify").arg(&dir).arg("x"))), 0);
    let out = p.output();
    assert_eq!((code(&out), text(&out.stdout)), (0, "x\n".into()), "{}", text(&out.stderr));
    assert!(fifos(&dir).is_empty());
}

#[test]
fn permission_denied_as_nobody() {
    let t = Tmp::new("ftrig-perm");
    let dir = t.0.join("fd");
    let out = run(cmd("s6-mkfifodir").args(["-g", "0"]).arg(&dir));
    assert_eq!(code(&out), 0);
    let (uid, gid) = common::NOBODY;
    let d = dir.to_str().unwrap();
    for (prog, args) in [
        ("s6-ftrig-wait", vec!["-t", "50", d, "a"]),
        ("s6-ftrig-listen1", vec!["-t", "50", d, "a", "true"]),
        ("s6-ftrig-notify", vec![d, "a"]),
        ("s6-cleanfifodir", vec![d]),
    ] {
        let Some(r) = reference(prog) else { return };
        let mut a = cmd(prog);
        a.args(&args);
        common::as_user(&mut a, uid, gid);
        let mut b = Command::new(r);
        b.args(&args);
        common::as_user(&mut b, uid, gid);
        let (a, b) = (run(&mut a), common::run_reference(&mut b));
        assert_eq!((code(&a), text(&a.stderr)), (code(&b), text(&b.stderr)), "{prog}");
        assert!(text(&a.stderr).ends_with(": Permission denied\n"), "{prog}: {}", text(&a.stderr));
    }
}

/// The signal policy (doc/HACKING.md, "Signal policy"), as in s6 2.15:
/// the listeners that spawn a program catch SIGPIPE to no effect;
/// s6-ftrig-wait dies of it (its default disposition).
fn sigpipe(bin: &dyn Fn(&str) -> Command, tag: &str) -> Vec<String> {
    use std::os::unix::process::ExitStatusExt;
    let t = Tmp::new(tag);
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let d = dir.to_str().unwrap();
    let mut r = Vec::new();
    for (prog, args) in
        [("s6-ftrig-listen1", vec![d, "a", "true"]), ("s6-ftrig-wait", vec![d, "a"])]
    {
        for f in fifos(&dir) {
            let _ = std::fs::remove_file(dir.join(f));
        }
        let p = spawn(bin(prog).args(&args));
        wait_fifos(&dir, 1);
        common::kill(p.pid(), libc::SIGPIPE);
        if prog == "s6-ftrig-listen1" {
            run(cmd("s6-ftrig-notify").args([d, "a"]));
        }
        let out = p.output();
        r.push(format!(
            "{prog}: {:?} {:?} {}",
            out.status.code(),
            out.status.signal(),
            text(&out.stdout)
        ));
    }
    r
}

#[test]
fn sigpipe_as_the_reference() {
    let ours = sigpipe(&|p| cmd(p), "ftrig-pipe");
    assert_eq!(ours, ["s6-ftrig-listen1: Some(0) None a\n", "s6-ftrig-wait: None Some(13) "]);
    let Some(r) = reference("s6-ftrig-wait") else { return };
    let bin = r.parent().unwrap().to_path_buf();
    assert_eq!(sigpipe(&|p| Command::new(bin.join(p)), "ftrig-pipe-ref"), ours);
}

/// Issue 20, item 1: a listener never changes a mode by name (a fifodir
/// others can write could swap the name for a link to any file): run
/// under a filter that refuses chmod/chown by name, with umask 077, it
/// still listens, on a fifo of mode 0622.
#[test]
fn listener_sets_modes_only_through_descriptors() {
    let t = Tmp::new("ftrig-nochmod");
    let dir = t.0.join("fd");
    mkfifodir(&dir);
    let mut c = cmd("s6-ftrig-wait");
    c.args(["-t", "20000"]).arg(&dir).arg("x");
    if !common::seccomp::deny_by_name(&mut c) {
        return;
    }
    let w = spawn(&mut c);
    common::poll(Duration::from_secs(10), "listener fifo or exit", || {
        (common::fifodir_subscribers(&dir) >= 1 || common::state(w.pid()) == Some('Z'))
            .then_some(())
    });
    let f = fifos(&dir);
    assert!(f.len() == 1 && f[0].starts_with("ftrig1:"), "{f:?}");
    assert_eq!(mode(&dir.join(&f[0])), 0o622);
    let out = run(cmd("s6-ftrig-notify").arg(&dir).arg("x"));
    assert_eq!(code(&out), 0);
    let out = w.output();
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (Some(0), "x\n".into()),
        "{}",
        text(&out.stderr)
    );
}

/// Issue 20, item 1, the attack itself: in a fifodir anyone may write
/// (no sticky bit), `nobody` swaps every listener fifo it sees for a
/// symbolic link to a file of root's while root's listeners come and go;
/// the file's mode and content never change.
#[test]
fn hostile_fifodir_cannot_redirect_a_listener() {
    let t = Tmp::new("ftrig-hostile");
    let dir = t.0.join("fd");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&t.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let target = t.0.join("shadow");
    std::fs::write(&target, "secret\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    // The attacker: bounded in time (5 s), killed at the end anyway.
    let script = r#"end=$(( $(date +%s) + 5 ))
while [ "$(date +%s)" -lt "$end" ]; do
  for f in "$D"/.ftrig1:* "$D"/ftrig1:*; do
    [ -p "$f" ] && ln -sfn "$T" "$f" 2>/dev/null
  done
done"#;
    let mut a = Command::new("sh");
    a.args(["-c", script]).env("D", &dir).env("T", &target);
    let (uid, gid) = common::NOBODY;
    common::as_user(&mut a, uid, gid);
    let attacker = spawn(&mut a);
    let start = std::time::Instant::now();
    let mut runs = 0;
    while start.elapsed() < Duration::from_secs(3) {
        // Times out (99), or fails on a swapped fifo (111): either way.
        run(cmd("s6-ftrig-wait").args(["-t", "1"]).arg(&dir).arg("x"));
        runs += 1;
    }
    drop(attacker);
    let st = std::fs::metadata(&target).unwrap();
    assert_eq!(st.permissions().mode() & 0o7777, 0o600, "after {runs} listeners");
    assert_eq!(std::fs::read(&target).unwrap(), b"secret\n");
}
