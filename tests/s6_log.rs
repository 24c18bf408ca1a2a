//! s6-log: scripts and outputs against Debian's s6-log and the 2.15
//! reference, logdirs handed between s6's s6-log and ours, signals,
//! processors, a full disk, and kill -9 at any moment.

mod common;

use common::Tmp;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A running logger, killed and reaped when dropped.
struct Running(common::Reaped);

impl Running {
    fn stdin(&mut self) -> &mut std::process::ChildStdin {
        self.0.stdin.as_mut().unwrap()
    }
    /// Bytes written to its stdin and not read yet.
    fn unread(&self) -> i32 {
        use std::os::fd::AsRawFd;
        let fd = self.0.stdin.as_ref().unwrap().as_raw_fd();
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int through a valid pointer.
        unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
        n
    }
    fn signal(&self, sig: i32) {
        common::kill(self.0.id() as i32, sig);
    }
    fn wait_output(mut self) -> Output {
        drop(self.0.stdin.take());
        self.0.output()
    }
}

fn spawn(prog: &Path, args: &[&str], cwd: &Path) -> Running {
    let mut c = Command::new(prog);
    // Its own process group, whose parent (the test) is in the session:
    // never orphaned, so SIGTSTP stops it even when the suite runs in a
    // background job whose group is orphaned (the kernel drops stop
    // signals there).
    use std::os::unix::process::CommandExt;
    c.process_group(0);
    common::sigstate(&mut c, &[], &[]);
    c.args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Running(common::Reaped::spawn(&mut c))
}

fn ours() -> PathBuf {
    common::applet("s6-log")
}

/// `feed(prog, args, input, cwd)`: runs to completion on `input`.
fn feed(prog: &Path, args: &[&str], input: &[u8], cwd: &Path) -> Output {
    let mut r = spawn(prog, args, cwd);
    let mut stdin = r.0.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = r.wait_output();
    writer.join().unwrap();
    out
}

fn show(o: &Output) -> String {
    format!(
        "rc={:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        common::text(&o.stdout),
        common::text(&o.stderr)
    )
}

fn input() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz\n");
    v.extend_from_slice(b"fatal: oops\nSTAT ok\nxyz line\n\n\nlast one\nbinary \x01\xff\x7f ok\n");
    v.extend_from_slice(&[b'L'; 9000]);
    v.extend_from_slice(b"\nend\n");
    v
}

/// Scripts whose results involve no time: byte-identical to the 2.15
/// reference (and to Debian's 2.11 where it knows the directives).
#[test]
fn outputs_and_script_errors_match_s6() {
    let dir = Tmp::new("s6log-cmp");
    let cases: &[&str] = &[
        "",
        "x",
        "R",
        "+( 1",
        "nx 1",
        "n 1",
        "s10 1",
        "1 2",
        "E5 2",
        "E0 2",
        "E1 2",
        "E100 2",
        "- +a 1",
        "-- -a 1",
        "f",
        "fx 1",
        "tt 1",
        "12 1",
        "1x",
        "n1x 1",
        "-d 1 1",
        "-d 7 1",
        "E5 pfoo 2",
        "-l 50 1",
        "-l 10 1",
        "-l 0 1",
        "-l 48 1 2",
        "^5 =",
        "=",
        "-v 1 +a",
        "1 +a",
        "-q 1 +a",
        "s4096 l3000 1",
        "l3000 s4096 1",
        "- +fatal: 2 - +^STAT 1 f pX 1",
        "-x 1",
        "-lx 1",
        "-q -v 1",
        "-Z 1",
        "+ 1",
        "p 1",
        "pfoo 1",
        "-b -p 1",
        "-- 1",
        "1 s",
        "1 1",
        "2 1 2",
        "-t 5 1",
        "-t 1",
        "R10 1",
        // Syntax is checked in the first pass, before the count of
        // actions (issue 20, item 17).
        "fx",
        "tT",
        "tx",
        "Tx",
        "12",
        "22",
        "= fx",
        "fx =",
        "+( fx 1",
        "nx fx",
        "x fx",
        "fx x",
    ];
    let mut refs = vec![];
    if let Some(r) = common::reference("s6-log") {
        refs.push((r, true));
    }
    if let Some(d) = common::debian("s6-log") {
        refs.push((d, false));
    }
    // Lines around the limits, split the same way.
    let mut around = Vec::new();
    for len in 40..120 {
        around.extend(std::iter::repeat_n(b'a' + (len % 26) as u8, len));
        around.push(b'\n');
    }
    for case in ["-l 48 1", "-l 50 1", "-l 64 E20 1 2", "-l 100 pPFX 1"] {
        let args: Vec<&str> = case.split_whitespace().collect();
        let a = feed(&ours(), &args, &around, &dir.0);
        for (r, _) in &refs {
            let b = feed(r, &args, &around, &dir.0);
            assert_eq!(show(&a), show(&b), "script {case:?} vs {}", r.display());
        }
    }
    for case in cases {
        let args: Vec<&str> = case.split_whitespace().collect();
        let a = feed(&ours(), &args, &input(), &dir.0);
        for (r, is215) in &refs {
            // Debian's 2.11 has no -t nor R, and its usage line says so.
            if !is215 && (case.contains('R') || case.contains("-t") || a.status.code() == Some(100))
            {
                continue;
            }
            let b = feed(r, &args, &input(), &dir.0);
            assert_eq!(show(&a), show(&b), "script {case:?} vs {}", r.display());
        }
    }
}

/// Status files: same bytes as s6's.
#[test]
fn status_files_match_s6() {
    let Some(r) = common::reference("s6-log") else { return };
    let dir = Tmp::new("s6log-status");
    for script in ["=./st", "^5 =./st", "^0 =./st", "pfoo ^30 =./st", "- +STAT =./st"] {
        let args: Vec<&str> = script.split_whitespace().collect();
        feed(&ours(), &args, &input(), &dir.0);
        let a = std::fs::read(dir.join("st")).unwrap();
        std::fs::remove_file(dir.join("st")).unwrap();
        feed(&r, &args, &input(), &dir.0);
        let b = std::fs::read(dir.join("st")).unwrap();
        std::fs::remove_file(dir.join("st")).unwrap();
        assert_eq!(a, b, "{script}");
    }
}

fn is_tai(s: &str) -> bool {
    s.len() == 25 && s.starts_with("@4000") && s[1..].bytes().all(|c| c.is_ascii_hexdigit())
}

/// `t` and `T`: the format of the stamps, in order, TAI64N first.
#[test]
fn stamps_have_s6s_format_and_order() {
    let dir = Tmp::new("s6log-stamps");
    let lines: Vec<u8> = (0..2000).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
    let out = feed(&ours(), &["t", "T", "pP", "1"], &lines, &dir.0);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = common::text(&out.stdout);
    let mut last = String::new();
    for (i, l) in text.lines().enumerate() {
        let (tai, rest) = l.split_at(25);
        assert!(is_tai(tai), "{l}");
        assert!(*tai >= *last, "stamps out of order at {l}");
        last = tai.to_string();
        // " YYYY-MM-DD HH:MM:SS.nnnnnnnnn  P line N"
        let b = rest.as_bytes();
        assert_eq!(b[0], b' ');
        let iso = &rest[1..30];
        assert!(
            iso.as_bytes()[4] == b'-' && iso.as_bytes()[10] == b' ' && iso.as_bytes()[19] == b'.',
            "{l}"
        );
        assert_eq!(&rest[30..], format!("  P line {i}"), "{l}");
    }
    assert_eq!(text.lines().count(), 2000);
}

fn archives(d: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(d) else { return Vec::new() };
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with('@'))
        .collect();
    v.sort();
    v
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Everything a logdir holds, oldest first.
fn logdir_content(d: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for a in archives(d) {
        all.extend(std::fs::read(a).unwrap());
    }
    if let Ok(p) = std::fs::read(d.join("previous")) {
        all.extend(p);
    }
    all.extend(std::fs::read(d.join("current")).unwrap_or_default());
    all
}

fn numbered(from: usize, to: usize) -> Vec<u8> {
    (from..to)
        .flat_map(|i| format!("line {i:08} abcdefghijklmnopqrstuvwxyz\n").into_bytes())
        .collect()
}

/// s6's layout, names and modes; size rotation and the archive count.
#[test]
fn logdir_layout_and_rotation() {
    let dir = Tmp::new("s6log-layout");
    let data = numbered(0, 3000);
    let out = feed(&ours(), &["n5", "s4096", "./L"], &data, &dir.0);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let l = dir.join("L");
    assert_eq!(mode(&l), 0o2700 & !0o2000 | (mode(&l) & 0o2000));
    assert_eq!(mode(&l.join("current")), 0o744);
    assert_eq!(mode(&l.join("lock")), 0o644);
    assert_eq!(mode(&l.join("state")), 0o644);
    let arch = archives(&l);
    assert_eq!(arch.len(), 5, "{arch:?}");
    for a in &arch {
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(is_tai(&name[..25]) && name.ends_with(".s"), "{name}");
        assert_eq!(mode(a), 0o744);
        let len = std::fs::metadata(a).unwrap().len();
        assert!((4096 - 2000..=4096).contains(&len), "{name}: {len}");
        assert!(std::fs::read(a).unwrap().ends_with(b"\n"));
    }
    // The newest lines are all there, in order, whole.
    let content = logdir_content(&l);
    assert!(data.ends_with(&content));
    // Total size cap: S.
    let out = feed(&ours(), &["n100", "s4096", "S9000", "./M"], &data, &dir.0);
    assert_eq!(out.status.code(), Some(0));
    let total: u64 =
        archives(&dir.join("M")).iter().map(|a| std::fs::metadata(a).unwrap().len()).sum();
    assert!(total <= 9000 && total > 0, "{total}");
}

/// A logdir handed from s6's s6-log to ours and back, cleanly and after
/// a kill -9: each reads the other's `current` and archives.
#[test]
fn logdir_handed_between_s6_and_s6box() {
    let Some(r) = common::reference("s6-log") else { return };
    let dir = Tmp::new("s6log-handover");
    let l = dir.join("H");
    let args = ["n100", "s4096", "./H"];
    let deb = common::debian("s6-log").unwrap_or_else(|| r.clone());
    let progs = [ours(), r.clone(), ours(), deb, ours(), r.clone(), ours()];
    let mut n = 0;
    for p in &progs {
        let out = feed(p, &args, &numbered(n, n + 500), &dir.0);
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        n += 500;
    }
    assert_eq!(logdir_content(&l), numbered(0, n));
    // Killed writers: the next one (either) archives an unfinished
    // current as @….u and goes on.
    for (killed, next) in [(ours(), r.clone()), (r.clone(), ours())] {
        let mut w = spawn(&killed, &args, &dir.0);
        w.stdin().write_all(&numbered(n, n + 10)).unwrap();
        w.stdin().flush().unwrap();
        let want = numbered(n, n + 10);
        common::poll(WAIT, "lines in current", || {
            std::fs::read(l.join("current")).ok().filter(|c| c.ends_with(&want))
        });
        n += 10;
        w.signal(libc::SIGKILL);
        drop(w);
        assert_eq!(mode(&l.join("current")) & 0o100, 0);
        let out = feed(&next, &args, &numbered(n, n + 10), &dir.0);
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        n += 10;
        assert!(archives(&l).iter().any(|a| a.to_str().unwrap().ends_with(".u")));
    }
    assert_eq!(logdir_content(&l), numbered(0, n));
}

/// A second logger on a locked logdir fails as s6's does.
#[test]
fn locked_logdir_is_refused() {
    let dir = Tmp::new("s6log-lock");
    let mut first = spawn(&ours(), &["./D"], &dir.0);
    first.stdin().write_all(b"x\n").unwrap();
    common::poll(WAIT, "current", || {
        std::fs::read(dir.join("D/current")).ok().filter(|c| c == b"x\n")
    });
    let out = feed(&ours(), &["./D"], b"", &dir.0);
    assert_eq!(out.status.code(), Some(111));
    assert!(
        common::text(&out.stderr).starts_with("s6-log: fatal: unable to lock ./D/lock: "),
        "{}",
        show(&out)
    );
}

/// SIGTERM waits for the last line's end (at most -t), SIGHUP ends too,
/// -p ignores SIGTERM, SIGALRM rotates.
#[test]
fn signals() {
    let dir = Tmp::new("s6log-signals");
    // TERM with a line in progress: the rest arrives, then exit.
    let mut w = spawn(&ours(), &["-t", "60000", "1"], &dir.0);
    w.stdin().write_all(b"one\ntw").unwrap();
    w.stdin().flush().unwrap();
    common::poll(WAIT, "first line read", || (w.unread() == 0).then_some(()));
    w.signal(libc::SIGTERM);
    w.stdin().write_all(b"o\nthree\n").unwrap();
    let out = w.wait_output();
    assert_eq!(out.status.code(), Some(0));
    assert!(common::text(&out.stdout).starts_with("one\ntwo\n"), "{}", show(&out));
    // TERM with an unfinished line and a short -t: the newline is added.
    let mut w = spawn(&ours(), &["-t", "100", "1"], &dir.0);
    w.stdin().write_all(b"half").unwrap();
    w.stdin().flush().unwrap();
    common::poll(WAIT, "read", || (w.unread() == 0).then_some(()));
    w.signal(libc::SIGTERM);
    let out = w.wait_output();
    assert_eq!(out.stdout, b"half\n");
    // -p: TERM ignored, HUP ends.
    let mut w = spawn(&ours(), &["-p", "1"], &dir.0);
    w.stdin().write_all(b"a\n").unwrap();
    w.stdin().flush().unwrap();
    common::poll(WAIT, "read", || (w.unread() == 0).then_some(()));
    w.signal(libc::SIGTERM);
    w.stdin().write_all(b"b\n").unwrap();
    w.stdin().flush().unwrap();
    common::poll(WAIT, "b read", || (w.unread() == 0).then_some(()));
    w.signal(libc::SIGHUP);
    let id = w.0.id();
    common::poll(WAIT, "exit on HUP", || {
        std::fs::read_to_string(format!("/proc/{id}/status"))
            .ok()
            .filter(|s| s.contains("State:\tZ"))
            .map(|_| ())
    });
    let out = w.wait_output();
    assert_eq!(out.stdout, b"a\nb\n");
    assert_eq!(out.status.code(), Some(0));
    // ALRM: rotation now.
    let mut w = spawn(&ours(), &["./A"], &dir.0);
    w.stdin().write_all(b"x\n").unwrap();
    w.stdin().flush().unwrap();
    common::poll(WAIT, "x in current", || {
        std::fs::read(dir.join("A/current")).ok().filter(|c| c == b"x\n")
    });
    w.signal(libc::SIGALRM);
    common::poll(WAIT, "rotation", || (archives(&dir.join("A")).len() == 1).then_some(()));
    let out = w.wait_output();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(&archives(&dir.join("A"))[0]).unwrap(), b"x\n");
}

/// Beyond s6: an unterminated last line is kept, with a newline.
#[test]
fn last_line_without_newline_is_kept() {
    let dir = Tmp::new("s6log-eof");
    let out = feed(&ours(), &["1", "./E"], b"a\nb", &dir.0);
    assert_eq!(out.stdout, b"a\nb\n");
    assert_eq!(std::fs::read(dir.join("E/current")).unwrap(), b"a\nb\n");
}

/// -d: a newline on the descriptor once ready.
#[test]
fn readiness_notification() {
    let dir = Tmp::new("s6log-notif");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("echo hi | {} -d 3 ./N 3>&1 >/dev/null; cat ./N/current", ours().display()))
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"\nhi\n", "{}", show(&out));
}

/// Processors: `?` through /bin/sh, `!` through execlineb; stdin
/// previous, stdout processed, fd 4 state, fd 5 newstate, in the logdir;
/// a failing one is retried after `r` with a warning, and nothing is lost.
#[test]
fn processors() {
    let dir = Tmp::new("s6log-proc");
    let data = numbered(0, 1000);
    let script = "tr a-z A-Z; n=$(cat <&4); echo $((n+1)) >&5";
    let out = feed(&ours(), &["n1000", "s4096", &format!("?{script}"), "./P"], &data, &dir.0);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let p = dir.join("P");
    let arch = archives(&p);
    assert!(arch.len() >= 2, "{arch:?}");
    let upper = String::from_utf8(data.clone()).unwrap().to_uppercase().into_bytes();
    let mut all: Vec<u8> = arch.iter().flat_map(|a| std::fs::read(a).unwrap()).collect();
    let cur = std::fs::read(p.join("current")).unwrap();
    all.extend(String::from_utf8(cur).unwrap().to_uppercase().into_bytes());
    assert_eq!(all, upper);
    let state = std::fs::read_to_string(p.join("state")).unwrap();
    assert_eq!(state.trim(), arch.len().to_string());
    for f in ["previous", "processed", "newstate"] {
        assert!(!p.join(f).exists(), "{f} left");
    }
    if common::installed("execlineb").is_some() {
        let out = feed(&ours(), &["n1000", "s4096", "!tr a-z A-Z", "./X"], &data, &dir.0);
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        let a = archives(&dir.join("X"));
        assert!(!a.is_empty());
        assert!(std::fs::read(&a[0]).unwrap().starts_with(b"LINE 00000000"));
    }
    // Fails once, then works.
    std::fs::write(dir.join("failonce"), b"").unwrap();
    let script =
        format!("if [ -e {0} ]; then rm {0}; exit 1; fi; cat", dir.join("failonce").display());
    let out =
        feed(&ours(), &["r100", "s4096", &format!("?{script}"), "./F"], &numbered(0, 200), &dir.0);
    assert_eq!(out.status.code(), Some(0));
    assert!(common::text(&out.stderr).contains("processor failed in ./F"), "{}", show(&out));
    assert_eq!(logdir_content(&dir.join("F")), numbered(0, 200));
}

/// A full disk: a warning, retries every `r`, and every line once space
/// returns. A small tmpfs in a private mount namespace.
#[test]
fn full_disk_is_retried_without_loss() {
    let dir = Tmp::new("s6log-enospc");
    let have_unshare =
        Command::new("unshare").args(["-m", "true"]).status().map(|s| s.success()).unwrap_or(false);
    if !have_unshare {
        eprintln!("SKIP: unshare -m unavailable");
        return;
    }
    let script = r#"
set -e
mount -t tmpfs -o size=64k tmpfs "$D/mnt"
head -c 60000 /dev/zero > "$D/mnt/filler" 2>/dev/null || true
mkfifo "$D/fifo"
"$LOG" r50 s100000 "$D/mnt/L" < "$D/fifo" 2> "$D/err" &
pid=$!
exec 3> "$D/fifo"
i=0
while [ $i -lt 400 ]; do echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" >&3; i=$((i+1)); done
n=0
until grep -q "No space left" "$D/err"; do n=$((n+1)); [ $n -lt 2000 ] || exit 9; sleep 0.01; done
rm "$D/mnt/filler"
exec 3>&-
wait $pid
cat "$D/mnt/L/current"
"#;
    std::fs::create_dir(dir.join("mnt")).unwrap();
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .env("D", &dir.0)
        .env("LOG", ours())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let want: Vec<u8> = (0..400)
        .flat_map(|i| format!("line {i} xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n").into_bytes())
        .collect();
    assert_eq!(common::text(&out.stdout), common::text(&want));
    let err = std::fs::read_to_string(dir.join("err")).unwrap();
    assert!(err.starts_with("s6-log: warning: unable to write to current in logdir "), "{err}");
    assert_eq!(err.lines().count(), 1, "one warning, not one per retry: {err}");
}

/// kill -9 at any moment: every line that reached the logdir is there
/// exactly once, whole, in order, across restarts; lines acknowledged
/// (seen in the logdir) before a kill are never lost.
#[test]
fn kill_9_loop_loses_and_doubles_nothing() {
    let dir = Tmp::new("s6log-kill9");
    let args = ["n1000", "s4096", "./K"];
    let mut next = 0usize;
    let mut acked = 0usize;
    for round in 0..30 {
        let mut w = spawn(&ours(), &args, &dir.0);
        let batch = numbered(next, next + 300);
        next += 300;
        if round % 2 == 0 {
            // Killed after its lines are in the logdir.
            w.stdin().write_all(&batch).unwrap();
            w.stdin().flush().unwrap();
            let last = numbered(next - 1, next);
            common::poll(WAIT, "batch written", || {
                std::fs::read(dir.join("K/current")).ok().filter(|c| c.ends_with(&last))
            });
            acked = next;
        } else {
            // Killed while writing and rotating.
            let mut stdin = w.0.stdin.take().unwrap();
            let t = std::thread::spawn(move || {
                let _ = stdin.write_all(&batch);
            });
            std::thread::sleep(Duration::from_micros(300 * round as u64));
            w.signal(libc::SIGKILL);
            t.join().unwrap();
        }
        w.signal(libc::SIGKILL);
        drop(w);
    }
    // A clean last run finalises.
    let out = feed(&ours(), &args, b"", &dir.0);
    assert_eq!(out.status.code(), Some(0));
    let content = common::text(&logdir_content(&dir.join("K")));
    let mut prev: Option<usize> = None;
    let mut seen = std::collections::BTreeSet::new();
    for l in content.lines() {
        assert!(l.len() == 40 && l.starts_with("line ") && l.ends_with("xyz"), "cut line {l:?}");
        let n: usize = l[5..13].parse().unwrap();
        assert!(seen.insert(n), "line {n} twice");
        assert!(prev.is_none_or(|p| n > p), "line {n} out of order");
        prev = Some(n);
    }
    // Every even round's batch was acknowledged before its kill.
    for round in (0..30).step_by(2) {
        for n in round * 300..round * 300 + 300 {
            assert!(seen.contains(&n), "acknowledged line {n} lost");
        }
    }
    let _ = acked;
    assert!(!dir.join("K/previous").exists());
}

/// Periodic rotation: `R` seconds after the first line of a `current`.
#[test]
fn periodic_rotation() {
    let dir = Tmp::new("s6log-period");
    let mut w = spawn(&ours(), &["R1", "./R"], &dir.0);
    w.stdin().write_all(b"a\n").unwrap();
    w.stdin().flush().unwrap();
    common::poll(WAIT, "rotation after R1", || (archives(&dir.join("R")).len() == 1).then_some(()));
    let out = w.wait_output();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(&archives(&dir.join("R"))[0]).unwrap(), b"a\n");
}

/// Memory stays bounded: long lines are split under the default -l.
#[test]
fn long_lines_are_split_and_memory_bounded() {
    let dir = Tmp::new("s6log-long");
    let mut data = vec![b'x'; 3_000_000];
    data.push(b'\n');
    let out = feed(&ours(), &["n1000", "./B"], &data, &dir.0);
    assert_eq!(out.status.code(), Some(0));
    let content = logdir_content(&dir.join("B"));
    let lines: Vec<&[u8]> = content.split(|&c| c == b'\n').filter(|l| !l.is_empty()).collect();
    assert!(lines.iter().all(|l| l.len() <= 8192));
    assert_eq!(lines.iter().map(|l| l.len()).sum::<usize>(), 3_000_000);
}

/// kill -9 while a processor works: the next logger processes `previous`
/// again, its archive sorts after every other, the old `current` goes
/// on after it, and nothing is lost or doubled.
#[test]
fn kill_9_during_processing() {
    let dir = Tmp::new("s6log-killproc");
    let gate = dir.join("gate");
    assert!(Command::new("mkfifo").arg(&gate).status().unwrap().success());
    let slow = format!("?cat {} >/dev/null; cat", gate.display());
    // Whatever happens, the processor (orphaned by the kill) is let go:
    // the gate is opened once the processor reads it (it may not have
    // reached it yet), and a processor still there after that is killed.
    struct Open(PathBuf);
    impl Drop for Open {
        fn drop(&mut self) {
            use std::os::unix::fs::OpenOptionsExt;
            let deadline = std::time::Instant::now() + WAIT;
            while std::time::Instant::now() < deadline {
                let opened = std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&self.0);
                if opened.is_ok() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let logdir = self.0.parent().unwrap().join("KP");
            for e in std::fs::read_dir("/proc").unwrap().flatten() {
                let pid = e.file_name().to_string_lossy().parse::<i32>();
                if let Ok(pid) = pid
                    && std::fs::read_link(e.path().join("cwd")).is_ok_and(|c| c == logdir)
                {
                    common::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
    let open_gate = Open(gate.clone());
    // Input from a file, smaller than one read (8191 bytes): one read
    // takes it all, then the rotation waits for the processor (reading
    // stops, every line is in `previous` or `current`).
    std::fs::write(dir.join("input"), numbered(0, 150)).unwrap();
    let w = Running(common::Reaped::spawn(
        Command::new(ours())
            .args(["s4096", "n100", &slow, "./KP"])
            .current_dir(&dir.0)
            .stdin(std::fs::File::open(dir.join("input")).unwrap()),
    ));
    let last = numbered(149, 150);
    let kp = dir.join("KP");
    common::poll(WAIT, "previous and every line written", || {
        (kp.join("previous").exists()
            && std::fs::read(kp.join("current")).is_ok_and(|c| c.ends_with(&last)))
        .then_some(())
    });
    w.signal(libc::SIGKILL);
    drop(w);
    // Let the orphaned processor finish.
    drop(open_gate);
    let out = feed(&ours(), &["s4096", "n100", "?cat", "./KP"], &numbered(150, 250), &dir.0);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(common::text(&logdir_content(&kp)), common::text(&numbered(0, 250)));
}

/// The signal policy (doc/HACKING.md, "Signal policy"), as in s6 2.15: a
/// signal s6-log does not handle acts as its disposition at start-up
/// (SIGUSR1 ends it, SIGTSTP stops it), SIGPIPE is caught to no effect.
fn stray_signals(prog: &Path, dir: &Path) -> Vec<String> {
    use std::os::unix::process::ExitStatusExt;
    let mut t = Vec::new();
    let current = |want: &'static [u8]| {
        move || std::fs::read(dir.join("L/current")).ok().filter(|c| c == want).map(|_| ())
    };
    let mut w = spawn(prog, &["./L"], dir);
    w.stdin().write_all(b"a\n").unwrap();
    w.stdin().flush().unwrap();
    common::poll(WAIT, "a logged", current(b"a\n"));
    w.signal(libc::SIGPIPE);
    let id = w.0.id() as i32;
    w.signal(libc::SIGTSTP);
    common::poll(WAIT, "stopped", || (common::state(id) == Some('T')).then_some(()));
    t.push("stopped".to_string());
    w.signal(libc::SIGCONT);
    common::poll(WAIT, "continued", || (common::state(id) != Some('T')).then_some(()));
    w.stdin().write_all(b"b\n").unwrap();
    w.stdin().flush().unwrap();
    common::poll(WAIT, "b logged", current(b"a\nb\n"));
    w.signal(libc::SIGUSR1);
    common::poll(WAIT, "the end", || (common::state(id) == Some('Z')).then_some(()));
    let out = w.wait_output();
    t.push(format!("signal {:?}", out.status.signal()));
    t
}

#[test]
fn stray_signals_act_as_in_s6() {
    let dir = Tmp::new("s6log-stray");
    let t = stray_signals(&ours(), &dir.0);
    assert_eq!(t, ["stopped", "signal Some(10)"]);
    let Some(r) = common::reference("s6-log") else { return };
    let dir = Tmp::new("s6log-stray-ref");
    assert_eq!(stray_signals(&r, &dir.0), t, "ours vs the 2.15 reference");
}

/// `plant(link, target)`: `nobody` makes `link` a symbolic link to
/// `target`.
fn plant(link: &Path, target: &Path) {
    let mut c = Command::new("ln");
    c.arg("-sfn").arg(target).arg(link);
    let (uid, gid) = common::NOBODY;
    common::as_user(&mut c, uid, gid);
    assert!(common::run(&mut c).status.success(), "plant {}", link.display());
}

/// A file of root's, mode 0600, for a hostile user to aim at.
fn victim(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, "secret\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

fn untouched(p: &Path, what: &str) {
    assert_eq!(mode(p), 0o600, "{what}: mode changed");
    assert_eq!(std::fs::read(p).unwrap(), b"secret\n", "{what}: content changed");
}

/// A logdir `nobody` owns, in a directory only root writes.
fn hostile_logdir(t: &Tmp, name: &str) -> PathBuf {
    std::fs::set_permissions(&t.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let l = t.join(name);
    std::fs::create_dir(&l).unwrap();
    std::os::unix::fs::chown(&l, Some(common::NOBODY.0), Some(common::NOBODY.1)).unwrap();
    l
}

/// Issue 20, item 1: on a logdir a user can write, links planted under
/// `previous`, `current` or a status file's `.new` never lead root's
/// s6-log to change another file's mode or content (2.15 touches none).
#[test]
fn hostile_logdir_cannot_redirect_s6_log() {
    let mut progs = vec![(ours(), "ours")];
    if let Some(r) = common::reference("s6-log") {
        progs.push((r, "2.15"));
    }
    for (prog, who) in &progs {
        let t = Tmp::new("s6log-hostile");
        let target = victim(&t.0, "shadow");
        // `previous` (no processor): archived, its target not chmodded.
        let l = hostile_logdir(&t, "A");
        plant(&l.join("previous"), &target);
        feed(prog, &["./A"], b"hello\n", &t.0);
        untouched(&target, &format!("{who}: previous"));
        // `current`: no line appended through it; a new one is made.
        let l = hostile_logdir(&t, "B");
        plant(&l.join("current"), &target);
        let out = feed(prog, &["./B"], b"hello\n", &t.0);
        untouched(&target, &format!("{who}: current"));
        assert_eq!(out.status.code(), Some(0), "{who}: {}", show(&out));
        assert_eq!(std::fs::read(l.join("current")).unwrap(), b"hello\n", "{who}");
        if who != &"ours" {
            continue;
        }
        // `previous` with a processor: never read through the link.
        let l = hostile_logdir(&t, "C");
        plant(&l.join("previous"), &target);
        let out = feed(prog, &["r100000", "?cat", "./C"], b"hello\n", &t.0);
        untouched(&target, "ours: previous processed");
        for e in std::fs::read_dir(&l).unwrap() {
            let p = e.unwrap().path();
            if p.symlink_metadata().unwrap().is_file() {
                assert!(!std::fs::read(&p).unwrap().starts_with(b"secret"), "{}", show(&out));
            }
        }
        // A status file's `.new`: made anew, never written through.
        let l = hostile_logdir(&t, "D");
        plant(&l.join("st.new"), &target);
        let out = feed(prog, &["=./D/st"], b"hello\n", &t.0);
        untouched(&target, "ours: status file");
        let st = std::fs::read(l.join("st")).unwrap();
        assert!(st.starts_with(b"hello\n"), "{}", show(&out));
    }
}

/// Issue 20, item 1, deterministic: s6-log changes modes only through
/// descriptors (run under a filter refusing chmod/chown by name: a
/// finalised `previous` recovered, a processor's `processed` archived).
#[test]
fn s6_log_sets_modes_only_through_descriptors() {
    let t = Tmp::new("s6log-nochmod");
    let l = t.join("L");
    std::fs::create_dir(&l).unwrap();
    std::fs::write(l.join("previous"), b"a\n").unwrap();
    std::fs::write(l.join("current"), b"b\n").unwrap();
    let mut r = Command::new(ours());
    r.args(["s4096", "?cat", "./L"]).current_dir(&t.0).stdin(Stdio::piped());
    r.stdout(Stdio::piped()).stderr(Stdio::piped());
    if !common::seccomp::deny_by_name(&mut r) {
        return;
    }
    let mut r = Running(common::Reaped::spawn(&mut r));
    r.stdin().write_all(&numbered(0, 200)).unwrap();
    let out = r.wait_output();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let arch = archives(&l);
    assert!(arch.len() >= 2, "{arch:?}");
    for a in &arch {
        assert_eq!(mode(a), 0o744, "{}", a.display());
    }
    let mut want = b"a\nb\n".to_vec();
    want.extend(numbered(0, 200));
    assert_eq!(common::text(&logdir_content(&l)), common::text(&want));
}

/// Issue 20, item 2: a logger killed while idle leaves an empty `current`;
/// the next one removes it instead of archiving it, so empty `.u` files
/// never count against `n` and evict real archives (as 2.15).
#[test]
fn idle_kills_archive_no_empty_current() {
    let mut progs = vec![(ours(), "ours")];
    if let Some(r) = common::reference("s6-log") {
        progs.push((r, "2.15"));
    }
    for (prog, who) in &progs {
        let t = Tmp::new("s6log-idlekill");
        let l = t.join("K");
        let args = ["n3", "s4096", "./K"];
        let out = feed(prog, &args, &numbered(0, 400), &t.0);
        assert_eq!(out.status.code(), Some(0), "{who}: {}", show(&out));
        let kill_idle = || {
            let w = spawn(prog, &args, &t.0);
            common::poll(WAIT, "current opened", || {
                std::fs::metadata(l.join("current"))
                    .ok()
                    .filter(|m| m.permissions().mode() & 0o100 == 0)
                    .map(|_| ())
            });
            common::asleep(w.0.pid());
            w.signal(libc::SIGKILL);
            drop(w);
        };
        // The first kill leaves the lines of the last `current`, which
        // the next start archives: a real `.u`. The next kills leave
        // `current` empty.
        kill_idle();
        kill_idle();
        let before = archives(&l);
        assert_eq!(before.len(), 3, "{who}: {before:?}");
        for _ in 0..3 {
            kill_idle();
        }
        assert_eq!(archives(&l), before, "{who}: archives changed");
        let out = feed(prog, &args, b"", &t.0);
        assert_eq!(out.status.code(), Some(0), "{who}: {}", show(&out));
        assert_eq!(archives(&l), before, "{who}: archives changed at the last start");
    }
}

/// The TAI64N label and nanoseconds of now, from s6-tai64n.
fn tai_now() -> (u64, u32) {
    let out = feed(&common::applet("s6-tai64n"), &[], b"x\n", Path::new("/"));
    let s = common::text(&out.stdout);
    (u64::from_str_radix(&s[1..17], 16).unwrap(), u32::from_str_radix(&s[17..25], 16).unwrap())
}

/// Issue 20, item 4: archive names always increase, so name order is the
/// order of the lines: a `previous` recovered with a processor (its
/// mtime older than the archive before it) and the unfinished `current`
/// found with it come after every existing archive, even one named in
/// the future (a clock set back).
#[test]
fn archive_names_increase_after_recovery() {
    let t = Tmp::new("s6log-order");
    let (label, nanos) = tai_now();
    let future = format!("@{:016x}{nanos:08x}.s", label + 30);
    for (name, script) in [("P", Some("?cat")), ("N", None)] {
        let l = t.join(name);
        std::fs::create_dir(&l).unwrap();
        std::fs::write(l.join(&future), b"a\n").unwrap();
        std::fs::set_permissions(l.join(&future), std::fs::Permissions::from_mode(0o744)).unwrap();
        let mut want = b"a\n".to_vec();
        if script.is_some() {
            std::fs::write(l.join("previous"), b"b\n").unwrap();
            let old = std::time::SystemTime::now() - Duration::from_secs(100);
            std::fs::File::options()
                .write(true)
                .open(l.join("previous"))
                .unwrap()
                .set_modified(old)
                .unwrap();
            want.extend(b"b\n");
        }
        std::fs::write(l.join("current"), b"c\n").unwrap();
        std::fs::set_permissions(l.join("current"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        want.extend(b"c\nd\n");
        let mut args: Vec<&str> = script.into_iter().collect();
        let dir = format!("./{name}");
        args.push(&dir);
        let out = feed(&ours(), &args, b"d\n", &t.0);
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        assert_eq!(
            common::text(&logdir_content(&l)),
            common::text(&want),
            "{name}: {:?}",
            archives(&l)
        );
    }
}

/// Issue 20, item 3: at most one read of 8191 bytes (s6's buffer) is held
/// before it is written, so a kill -9 loses no more than s6's would: with
/// stdout a full pipe, the bytes taken from stdin and not yet in stdout
/// stay under that bound (a read of 128 KiB lost up to that much).
#[test]
fn at_most_one_small_read_is_held() {
    use std::os::fd::AsRawFd;
    let dir = Tmp::new("s6log-held");
    let (in_r, mut in_w) = std::io::pipe().unwrap();
    let (out_r, out_w) = std::io::pipe().unwrap();
    // SAFETY: fcntl on descriptors this test owns.
    let sized = unsafe {
        libc::fcntl(in_w.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) >= 1 << 20
            && libc::fcntl(out_w.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) >= 4096
    };
    if !sized {
        eprintln!("SKIP: pipe sizes cannot be set");
        return;
    }
    let data = numbered(0, 5000);
    in_w.write_all(&data).unwrap();
    let w = common::Reaped::spawn(
        Command::new(ours())
            .arg("1")
            .current_dir(&dir.0)
            .stdin(in_r)
            .stdout(out_w)
            .stderr(Stdio::null()),
    );
    // Blocked writing to the full stdout.
    common::asleep(w.pid());
    let fionread = |fd: i32| {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int through a valid pointer.
        unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
        n as usize
    };
    let left = fionread(in_w.as_raw_fd());
    let out = fionread(out_r.as_raw_fd());
    let held = data.len() - left - out;
    assert!(held <= 8191, "{held} bytes held (taken {}, written {out})", data.len() - left);
    drop(w);
}
