//! s6-fghack: the hack pipe's 31 write ends, 102 on a write, waiting for
//! every holder, the approximation of prog's status, no zombie; compared
//! with Debian's where s6box keeps its behaviour.

mod common;

use common::{Tmp, code, debian, poll, text};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};

const WARNING: &str =
    "s6-fghack: warning: this program is obsolescent, please use s6-background-watch instead\n";

fn fghack() -> Command {
    common::cmd("s6-fghack")
}

/// Ours and Debian's exit code on `sh -c SCRIPT`.
fn codes(script: &str) -> (i32, Option<i32>) {
    let ours = common::run(fghack().args(["/bin/sh", "-c", script]));
    let theirs = debian("s6-fghack")
        .map(|p| code(&common::run(Command::new(p).args(["/bin/sh", "-c", script]))));
    (code(&ours), theirs)
}

#[test]
fn warns_and_reports_the_exit_code() {
    let out = common::run(fghack().arg("true"));
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out.stderr), WARNING);
    for n in [0, 1, 3, 99, 127] {
        let (ours, theirs) = codes(&format!("exit {n}"));
        assert_eq!(ours, n);
        if let Some(t) = theirs {
            assert_eq!(t, n, "Debian, exit {n}");
        }
    }
}

/// The approximation (spec): Debian 2.11 passes 200 through and says
/// `crashed` (111) for a signal.
#[test]
fn approximates_the_status() {
    assert_eq!(codes("exit 128").0, 128);
    assert_eq!(codes("exit 200").0, 128);
    assert_eq!(codes("kill -TERM $$").0, 128 + 15);
    assert_eq!(codes("kill -KILL $$").0, 128 + 9);
}

/// Descriptor -> (mode, target), from `ls -l /proc/self/fd`.
type Fds = BTreeMap<u32, (String, String)>;

/// `ls -l /proc/self/fd` parsed.
fn fds(out: &std::process::Output) -> Fds {
    let mut m = BTreeMap::new();
    for line in text(&out.stdout).lines() {
        let Some((left, target)) = line.split_once(" -> ") else { continue };
        let fields: Vec<&str> = left.split_whitespace().collect();
        let (Some(mode), Some(fd)) = (fields.first(), fields.last()) else { continue };
        if let Ok(fd) = fd.parse() {
            m.insert(fd, (mode.to_string(), target.to_string()));
        }
    }
    m
}

/// The hack pipe's write ends (the pipe held by more than one descriptor),
/// and whatever else prog got.
fn split_hack(all: &Fds) -> (Vec<(String, String)>, Fds) {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, t) in all.values() {
        *count.entry(t).or_default() += 1;
    }
    let hack = count.iter().find(|(t, n)| t.starts_with("pipe:") && **n > 1).map(|(t, _)| *t);
    let mut ends = Vec::new();
    let mut rest = BTreeMap::new();
    for (fd, v) in all {
        if Some(v.1.as_str()) == hack {
            ends.push(v.clone());
        } else {
            rest.insert(*fd, v.clone());
        }
    }
    (ends, rest)
}

#[test]
fn thirty_one_write_ends_and_nothing_else() {
    let ls = ["/bin/ls", "-l", "/proc/self/fd"];
    let base = fds(&common::run(Command::new(ls[0]).args(&ls[1..])));
    let runs = std::iter::once(common::run(fghack().args(ls)))
        .chain(debian("s6-fghack").map(|p| common::run(Command::new(p).args(ls))));
    for (i, out) in runs.enumerate() {
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        let (ends, rest) = split_hack(&fds(&out));
        assert_eq!(ends.len(), 31, "run {i}: write ends");
        // All open for writing only: the read end stayed in s6-fghack.
        assert!(ends.iter().all(|(mode, _)| mode.starts_with("l-wx")), "{ends:?}");
        // Everything else is what ls gets without s6-fghack (its own
        // directory descriptor's target aside).
        let strip = |m: &Fds| -> Vec<u32> {
            m.iter().filter(|(_, (_, t))| !t.starts_with("/proc/")).map(|(fd, _)| *fd).collect()
        };
        if i == 0 {
            assert_eq!(strip(&rest), strip(&base), "run {i}: other descriptors");
        }
    }
}

/// Closed standard descriptors stay closed in prog: no end of the pipe
/// takes their place (a write end on a closed stdout would turn prog's
/// first output into "wrote on hackpipe"; Debian's does that).
#[test]
fn closed_standard_descriptors_stay_closed() {
    use std::os::unix::process::CommandExt;
    let mut c = fghack();
    c.args([
        "/bin/sh",
        "-c",
        "for n in 0 1; do test -e /proc/$$/fd/$n && echo $n open >&2; done; exit 6",
    ]);
    // SAFETY: close in the child before exec.
    unsafe {
        c.pre_exec(|| {
            libc::close(0);
            libc::close(1);
            Ok(())
        });
    }
    let out = c.output().unwrap();
    assert_eq!(code(&out), 6, "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), WARNING);
}

#[test]
fn writing_on_the_pipe_is_102() {
    // Find a write end in prog (a pipe held by many descriptors) and
    // write on it.
    // (dash redirects single-digit descriptors only.)
    let script = "for n in 3 4 5 6 7 8 9; do t=$(readlink /proc/self/fd/$n) || continue; c=0; \
                  for g in /proc/self/fd/*; do [ \"$(readlink $g)\" = \"$t\" ] && c=$((c+1)); done; \
                  [ $c -gt 10 ] && { echo x >&$n; exit 4; }; done; exit 9";
    let ours = common::run(fghack().args(["/bin/sh", "-c", script]));
    assert_eq!(code(&ours), 102);
    assert_eq!(
        text(&ours.stderr),
        format!("{WARNING}s6-fghack: fatal: /bin/sh wrote on hackpipe\n")
    );
    if let Some(deb) = debian("s6-fghack") {
        let theirs = common::run(Command::new(deb).args(["/bin/sh", "-c", script]));
        assert_eq!(code(&theirs), 102);
        assert_eq!(text(&theirs.stderr), "s6-fghack: fatal: /bin/sh wrote on hackpipe\n");
    }
}

#[test]
fn spawn_failure_is_111() {
    for (prog, reason) in
        [("nosuchprog", "No such file or directory"), ("/etc/passwd", "Permission denied")]
    {
        let out = common::run(fghack().arg(prog));
        assert_eq!(code(&out), 111, "{prog}");
        assert_eq!(
            text(&out.stderr),
            format!("{WARNING}s6-fghack: fatal: unable to exec {prog}: {reason}\n")
        );
        if let Some(deb) = debian("s6-fghack") {
            let theirs = common::run(Command::new(deb).arg(prog));
            assert_eq!(code(&theirs), 111);
            assert_eq!(
                text(&theirs.stderr),
                format!("s6-fghack: fatal: unable to exec {prog}: {reason}\n")
            );
        }
    }
}

#[test]
fn usage() {
    let out = common::run(&mut fghack());
    assert_eq!(code(&out), 100);
    assert_eq!(text(&out.stderr), "s6-fghack: usage: s6-fghack prog...\n");
    let out = common::run(fghack().arg("--help"));
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out.stdout), "usage: s6-fghack prog...\n");
    // Options end at the first operand: prog's own are passed through.
    let out = common::run(fghack().args(["/bin/sh", "-c", "exit 7", "-x"]));
    assert_eq!(code(&out), 7);
}

/// prog gets the signal state s6-fghack was started with.
#[test]
fn signal_state_is_inherited() {
    let grep = ["/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"];
    let mut base = Command::new(grep[0]);
    base.args(&grep[1..]);
    common::sigstate(&mut base, &[libc::SIGPIPE, libc::SIGHUP], &[libc::SIGUSR1, libc::SIGTERM]);
    let base = common::run(&mut base);
    let mut ours = fghack();
    ours.args(grep);
    common::sigstate(&mut ours, &[libc::SIGPIPE, libc::SIGHUP], &[libc::SIGUSR1, libc::SIGTERM]);
    let ours = common::run(&mut ours);
    assert_eq!(code(&ours), 0);
    assert_eq!(text(&ours.stdout), text(&base.stdout));
    // And the default SIGPIPE (std's Command resets it) stays default.
    let base = common::run(Command::new(grep[0]).args(&grep[1..]));
    let ours = common::run(fghack().args(grep));
    assert_eq!(text(&ours.stdout), text(&base.stdout));
}

/// Started with SIGCHLD ignored (the kernel then discards ended children's
/// statuses): s6-fghack still waits for prog and reports its code, and prog
/// still gets SIGCHLD ignored. Debian's exits 111 (`unable to wait_pid`).
#[test]
fn sigchld_ignored_at_start() {
    // (Not through sh: dash sets an ignored SIGCHLD back to default.)
    let grep = ["/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"];
    let mut base = Command::new(grep[0]);
    base.args(&grep[1..]);
    common::sigstate(&mut base, &[libc::SIGCHLD], &[]);
    let base = common::run(&mut base);
    let mut ours = fghack();
    ours.args(grep);
    common::sigstate(&mut ours, &[libc::SIGCHLD], &[]);
    let ours = common::run(&mut ours);
    assert_eq!(code(&ours), 0, "{}", text(&ours.stderr));
    assert_eq!(text(&ours.stderr), WARNING);
    assert_eq!(text(&ours.stdout), text(&base.stdout));
    let ign = common::status_field(&text(&ours.stdout), "SigIgn");
    assert_eq!(u64::from_str_radix(&ign, 16).unwrap() >> (libc::SIGCHLD - 1) & 1, 1, "{ign}");
    // prog's own code comes through.
    let mut ours = fghack();
    ours.args(["/bin/sh", "-c", "exit 5"]);
    common::sigstate(&mut ours, &[libc::SIGCHLD], &[]);
    let ours = common::run(&mut ours);
    assert_eq!(code(&ours), 5, "{}", text(&ours.stderr));
}

/// Kills and reaps what the daemon test left running, even when it fails,
/// and stops being a subreaper.
struct Cleanup(Vec<u32>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        // SAFETY: plain prctl on this process.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) };
        for &pid in &self.0 {
            // SAFETY: plain system calls on a pid this test started (or
            // adopted as subreaper); a stale pid only makes them fail.
            common::kill(pid as i32, libc::SIGKILL);
            unsafe { libc::waitpid(pid as i32, std::ptr::null_mut(), 0) };
        }
    }
}

/// The daemon case: prog forks a background process holding the write
/// ends and exits. s6-fghack reaps prog at once (no zombie while it
/// waits), keeps waiting until the background process is gone, then
/// exits with prog's code.
#[test]
fn waits_for_every_holder_without_a_zombie() {
    // Become the orphan's new parent, so the test can reap it.
    // SAFETY: plain prctl on this process.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }, 0);
    let dir = Tmp::new("fghack-daemon");
    let pidfile = dir.join("pid");
    let script =
        format!("/bin/sleep 600 & echo $! >{}.tmp && mv {0}.tmp {0}; exit 3", pidfile.display());
    let mut child = fghack()
        .args(["/bin/sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut cleanup = Cleanup(vec![child.id()]);
    let daemon: u32 = poll(common::LONG, "the daemon's pid", || {
        std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok()
    });
    cleanup.0.insert(0, daemon);
    // prog (sh) has exited and s6-fghack has reaped it: no child left.
    let children = format!("/proc/{0}/task/{0}/children", child.id());
    poll(common::LONG, "s6-fghack to reap prog", || {
        std::fs::read_to_string(&children).ok().filter(|c| c.trim().is_empty())
    });
    assert!(child.try_wait().unwrap().is_none(), "s6-fghack must wait for the daemon");
    // It goes to sleep in a blocking call (no busy loop).
    common::asleep(child.id() as i32);
    // SAFETY: kill on the daemon this test started; then reap it (we are
    // its subreaper).
    unsafe {
        libc::kill(daemon as i32, libc::SIGTERM);
        libc::waitpid(daemon as i32, std::ptr::null_mut(), 0);
    }
    // Reaped: its pid may be reused from now on, so Cleanup must not
    // signal it any more.
    cleanup.0.retain(|&p| p != daemon);
    let status = child.wait().unwrap();
    cleanup.0.clear();
    assert_eq!(status.code(), Some(3));
}

#[test]
fn runs_with_few_free_descriptors() {
    // With fewer free descriptors than the 31 write ends, prog still runs
    // with as many as fit (Debian: down to `-o 7`), and its status is
    // still reported.
    let deb = common::debian("s6-fghack");
    for n in ["10", "12", "20", "36"] {
        for program in std::iter::once(common::applet("s6-fghack")).chain(deb.clone()) {
            let out = common::run(
                common::cmd("s6-softlimit")
                    .args(["-o", n])
                    .arg(&program)
                    .args(["sh", "-c", "exit 3"]),
            );
            assert_eq!(
                common::code(&out),
                3,
                "{} -o {n}: {}",
                program.display(),
                common::text(&out.stderr)
            );
        }
    }
}
