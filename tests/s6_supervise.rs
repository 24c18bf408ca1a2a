//! s6-supervise: driven by s6's own clients (Debian's s6-svc, s6-svstat,
//! s6-svok, s6-svwait, or the 2.15 reference's), compared scenario by
//! scenario with the 2.15 reference s6-supervise (status records field by
//! field, times aside, and the event stream). Every test kills and reaps
//! what it started (see `common::sv::Svc`).

mod common;

use common::sv::*;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SLEEP: &str = "#!/bin/sh\nexec sleep 1000\n";

/// The same scenario under our supervisor and the reference's: their
/// transcripts (status shapes and events) must be equal.
fn same_as_reference(tag: &str, scenario: fn(&str, &Path) -> Vec<String>) {
    let mine = scenario(&format!("{tag}-ours"), &ours());
    let Some(r) = reference("s6-supervise") else { return };
    let theirs = scenario(&format!("{tag}-ref"), &r);
    assert_eq!(mine, theirs, "ours vs the 2.15 reference");
}

fn commands(tag: &str, bin: &Path) -> Vec<String> {
    let mut s = Svc::new(tag, &[("x:run", SLEEP)]);
    s.start(bin);
    let mut t = Vec::new();
    let first = s.wait_status("up", Status::up);
    t.push(first.shape());
    s.svc("-d");
    t.push(s.wait_status("down", |s| !s.up()).shape());
    s.wait_events("sudD");
    s.svc("-u");
    t.push(s.wait_status("up", Status::up).shape());
    s.wait_events("sudDu");
    s.svc("-p");
    t.push(s.wait_status("paused", Status::paused).shape());
    s.svc("-c");
    t.push(s.wait_status("continued", |s| !s.paused()).shape());
    s.svc("-o");
    t.push(s.wait_status("once", |s| !s.want_up()).shape());
    s.svc("-k");
    t.push(s.wait_status("down", |s| !s.up()).shape());
    s.wait_events("sudDudD");
    s.svc("-o");
    t.push(s.wait_status("up once", Status::up).shape());
    s.wait_events("sudDudDu");
    s.svc("-u");
    let pid = s.wait_status("want up", Status::want_up).pid;
    s.svc("-r");
    // The restart comes after the 1 s throttle.
    t.push(s.wait_status("restarted", |s| s.up() && s.pid != pid).shape());
    s.wait_events("sudDudDudDu");
    s.svc("-O");
    t.push(s.wait_status("want down", |s| !s.want_up()).shape());
    s.svc("-u");
    t.push(s.wait_status("want up", Status::want_up).shape());
    s.svc("-x");
    s.svc("-d");
    assert_eq!(s.wait_exit(), 0);
    s.wait_events("sudDudDudDudDx");
    t.push(s.status().shape());
    t.push(s.events());
    s.no_zombies_if_running();
    t
}

trait Maybe {
    fn no_zombies_if_running(&self);
}
impl Maybe for Svc {
    fn no_zombies_if_running(&self) {
        if self.sup.is_some() {
            self.no_zombies();
        }
    }
}

#[test]
fn commands_as_reference() {
    same_as_reference("cmd", commands);
}

fn finish_and_readiness(tag: &str, bin: &Path) -> Vec<String> {
    let mut s = Svc::new(
        tag,
        &[
            ("x:run", "#!/bin/sh\necho >&3\nexec sleep 1000\n"),
            ("notification-fd", "3\n"),
            ("x:finish", "#!/bin/sh\necho \"$1 $2 $3\" >> args\n[ -e perm ] && exit 125\nexit 0\n"),
        ],
    );
    s.start(bin);
    let mut t = Vec::new();
    t.push(s.wait_status("up and ready", |s| s.up() && s.ready()).shape());
    s.wait_events("suU");
    let pid = s.status().pid;
    s.svc("-k");
    t.push(s.wait_status("up again", |s| s.up() && s.pid != pid && s.ready()).shape());
    s.wait_events("suUdDuU");
    s.write("perm", "");
    s.svc("-t");
    t.push(s.wait_status("down for good", |s| s.pid == 0 && !s.want_up()).shape());
    s.wait_events("suUdDuUdOD");
    t.push(s.events());
    let dir = s.dir.to_string_lossy().to_string();
    t.push(std::fs::read_to_string(s.path("args")).unwrap().replace(&dir, "DIR"));
    let deaths = std::fs::read(s.path("supervise/death_tally")).unwrap();
    t.push(format!("{:?}", deaths.chunks(14).map(|c| (c[12], c[13])).collect::<Vec<_>>()));
    s.no_zombies();
    t
}

#[test]
fn finish_readiness_and_permanent_failure_as_reference() {
    same_as_reference("fin", finish_and_readiness);
}

fn kill_timeout_and_down_signal(tag: &str, bin: &Path) -> Vec<String> {
    let mut s = Svc::new(
        tag,
        &[
            ("x:run", "#!/bin/sh\ntrap '' TERM HUP\necho >&3\nexec sleep 1000\n"),
            ("notification-fd", "3\n"),
            ("timeout-kill", "200\n"),
            ("down-signal", "SIGHUP\n"),
        ],
    );
    s.start(bin);
    let mut t = Vec::new();
    t.push(s.wait_status("up", |s| s.up() && s.ready()).shape());
    s.svc("-d");
    t.push(s.wait_status("killed", |s| s.pid == 0).shape());
    s.write("down-signal", "USR1\n");
    s.write("timeout-kill", "0\n");
    s.svc("-u");
    s.wait_status("ready", |s| s.up() && s.ready());
    s.svc("-d");
    t.push(s.wait_status("down by USR1", |s| s.pid == 0).shape());
    s.write("down-signal", "12\n");
    s.svc("-u");
    s.wait_status("ready", |s| s.up() && s.ready());
    s.svc("-d");
    t.push(s.wait_status("down by 12", |s| s.pid == 0).shape());
    s.wait_events("suUdDuUdDuUdD");
    t.push(s.events());
    t
}

#[test]
fn timeout_kill_and_down_signal_as_reference() {
    same_as_reference("tk", kill_timeout_and_down_signal);
}

fn down_file_and_capital_commands(tag: &str, bin: &Path) -> Vec<String> {
    let mut s = Svc::new(tag, &[("x:run", SLEEP), ("down", "")]);
    s.start(bin);
    let mut t = Vec::new();
    // Down at start, never started.
    t.push(s.status().shape());
    s.svc("-U");
    t.push(s.wait_status("up", Status::up).shape());
    t.push(s.path("down").exists().to_string());
    s.svc("-D");
    t.push(s.wait_status("down", |s| s.pid == 0).shape());
    t.push(s.path("down").exists().to_string());
    std::fs::remove_file(s.path("down")).unwrap();
    s.svc("-Q");
    poll(LONG, "./down made by -Q", || s.path("down").exists().then_some(()));
    t.push(s.status().shape());
    t.push(s.events());
    t
}

#[test]
fn down_file_and_capital_commands_as_reference() {
    same_as_reference("dn", down_file_and_capital_commands);
}

fn signals_to_the_supervisor(tag: &str, bin: &Path) -> Vec<String> {
    let mut t = Vec::new();
    // SIGTERM: down, finish, exit 0.
    let mut s = Svc::new(tag, &[("x:run", SLEEP), ("x:finish", "#!/bin/sh\necho $1 $2 > fin\n")]);
    s.start(bin);
    s.wait_status("up", Status::up);
    s.signal(libc::SIGTERM);
    t.push(s.wait_exit().to_string());
    t.push(s.status().shape());
    t.push(std::fs::read_to_string(s.path("fin")).unwrap());
    t.push(s.events());
    assert!(s.leftovers().is_empty());
    drop(s);
    // SIGHUP while up: exits only after the service dies.
    let mut s = Svc::new(&format!("{tag}-hup"), &[("x:run", SLEEP)]);
    s.start(bin);
    let pid = s.wait_status("up", Status::up).pid as i32;
    s.signal(libc::SIGHUP);
    poll(LONG, "x made the supervisor let go of stdout", || {
        let fd1 = std::fs::read_link(format!("/proc/{}/fd/1", s.sup_pid())).ok()?;
        (fd1 == Path::new("/dev/null")).then_some(())
    });
    assert!(s.sup.as_mut().unwrap().try_wait().unwrap().is_none());
    kill(pid, libc::SIGKILL);
    t.push(s.wait_exit().to_string());
    t.push(s.events());
    drop(s);
    // SIGQUIT: exit at once, the service stays.
    let mut s = Svc::new(&format!("{tag}-quit"), &[("x:run", SLEEP)]);
    s.start(bin);
    let pid = s.wait_status("up", Status::up).pid as i32;
    s.signal(libc::SIGQUIT);
    t.push(s.wait_exit().to_string());
    t.push(alive(pid).to_string());
    t.push(s.events());
    drop(s);
    // SIGINT: SIGINT to the service's group, exit.
    let mut s = Svc::new(&format!("{tag}-int"), &[("x:run", SLEEP)]);
    s.start(bin);
    let pid = s.wait_status("up", Status::up).pid as i32;
    s.signal(libc::SIGINT);
    t.push(s.wait_exit().to_string());
    poll(LONG, "the service killed by SIGINT", || (!alive(pid)).then_some(()));
    // 2.15 reports the death too (`dD` before `x`) when it is already
    // pending as it exits, which depends on timing: not compared.
    t.push(s.events().replace("dD", ""));
    t
}

#[test]
fn signals_to_the_supervisor_as_reference() {
    same_as_reference("sig", signals_to_the_supervisor);
}

fn start_up(tag: &str, bin: &Path) -> Vec<String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut s = Svc::new(tag, &[("x:run", SLEEP)]);
    s.no_event_dir();
    s.start(bin);
    s.wait_status("up", Status::up);
    let mut t = Vec::new();
    for (f, mask) in [("event", 0o7777), ("supervise", 0o7777), ("supervise/control", 0o7777)] {
        let m = std::fs::metadata(s.path(f)).unwrap();
        t.push(format!("{f} {:o} {}", m.permissions().mode() & mask, m.gid()));
    }
    for f in ["supervise/lock", "supervise/status", "supervise/death_tally"] {
        let m = std::fs::metadata(s.path(f)).unwrap();
        t.push(format!("{f} {:o} {}", m.permissions().mode() & 0o777, m.len()));
    }
    // s6-svok and s6-svstat agree it is supervised and up.
    if let Some(ok) = client("s6-svok") {
        t.push(code(&s.client(&ok, &[])).to_string());
    }
    if let Some(st) = reference("s6-svstat") {
        t.push(text(&s.client(&st, &["-o", "up,wantedup,normallyup,ready,paused"]).stdout));
    }
    // A second supervisor on the same directory.
    let out = run(Command::new(bin).arg(&s.dir));
    t.push(code(&out).to_string());
    let dirname = s.dir.to_string_lossy().to_string();
    t.push(text(&out.stderr).replace(&dirname, "DIR"));
    t
}

#[test]
fn start_up_as_reference() {
    same_as_reference("su", start_up);
}

#[test]
fn usage_chdir_and_bad_supervise() {
    let out = run(&mut cmd("s6-supervise"));
    assert_eq!(code(&out), 100);
    assert_eq!(text(&out.stderr), "s6-supervise: usage: s6-supervise dir\n");
    let out = run(cmd("s6-supervise").arg("/nonexistent/sv"));
    assert_eq!(code(&out), 111);
    assert_eq!(
        text(&out.stderr),
        "s6-supervise: fatal: unable to chdir to /nonexistent/sv: No such file or directory\n"
    );
    for (tag, setup) in [("notdir", "supervise"), ("notfifo", "supervise/control")] {
        let mut outs = Vec::new();
        for bin in [Some(ours()), reference("s6-supervise")].into_iter().flatten() {
            let s = Svc::new(tag, &[("x:run", SLEEP)]);
            if setup == "supervise/control" {
                std::fs::create_dir(s.path("supervise")).unwrap();
            }
            std::fs::write(s.path(setup), "").unwrap();
            let out = run(Command::new(bin).arg(&s.dir));
            let dirname = s.dir.to_string_lossy().to_string();
            outs.push((code(&out), text(&out.stderr).replace(&dirname, "DIR")));
        }
        assert_eq!(outs[0].0, 100, "{outs:?}");
        if outs.len() == 2 {
            assert_eq!(outs[0], outs[1]);
        }
    }
}

#[test]
fn svwait_and_svstat_clients() {
    let mut s = Svc::new(
        "wait",
        &[
            ("x:run", "#!/bin/sh\n[ -e go ] && echo >&4\nexec sleep 1000\n"),
            ("notification-fd", "4"),
        ],
    );
    s.start(&ours());
    s.wait_status("up", Status::up);
    for prog in [common::debian("s6-svwait"), reference("s6-svwait")].into_iter().flatten() {
        let out = s.client(&prog, &["-u", "-t", "20000"]);
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    }
    s.write("go", "");
    // s6-svc -wU -r: restart and wait until ready (2.15's needs its own dir
    // first in PATH to find s6-svlisten1).
    if let Some(svc) = reference("s6-svc") {
        let path = format!("{REFERENCE_BIN}:{}", std::env::var("PATH").unwrap_or_default());
        let out =
            run(Command::new(svc).env("PATH", path).args(["-T", "20000", "-wU", "-r"]).arg(&s.dir));
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        assert!(s.status().ready());
    }
    if let Some(st) = reference("s6-svstat") {
        let out = s.client(&st, &["-o", "up,ready,wantedup,normallyup,signal"]);
        assert_eq!(text(&out.stdout), "true true true true NA\n");
    }
    if let Some(st) = common::debian("s6-svstat") {
        let out = s.client(&st, &[]);
        assert!(text(&out.stdout).starts_with("up (pid "), "{}", text(&out.stdout));
    }
}

#[test]
fn run_and_finish_process_state() {
    // Perl, not sh: dash empties the signal mask it starts with.
    let record = r#"#!/usr/bin/perl
use Cwd;
opendir(my $d, "/proc/self/fd");
my @fds = sort { $a <=> $b } grep { /^\d+$/ && readlink("/proc/self/fd/$_") !~ m{^/proc/} } readdir($d);
closedir($d);
my $f = $0 =~ /finish/ ? "finish" : "run";
open(my $o, ">", "$f.out.tmp");
print $o "argv=$0 @ARGV\ncwd=" . getcwd() . "\nenv=$ENV{S6BOX_T}\n@fds\n";
open(my $st, "<", "/proc/self/status");
print $o grep { /^Sig(Blk|Ign)/ } <$st>;
open(my $s2, "<", "/proc/self/stat");
my @x = split(/ /, (split(/\) /, <$s2>))[1]);
print $o "$$ $x[2] $x[3]\n";
close($o);
rename("$f.out.tmp", "$f.out");
if ($f eq "run") { open(my $n, ">&=5"); print $n "\n"; close($n); exec("sleep", "1000"); }
"#;
    let mut s = Svc::new(
        "state",
        &[
            ("x:run", record),
            ("x:finish", record),
            ("notification-fd", "5\n"),
            // perl may start slowly on a loaded machine: no time limit.
            ("timeout-finish", "0\n"),
        ],
    );
    let mut c = Command::new(ours());
    c.env("S6BOX_T", "kept");
    sigstate(&mut c, &[libc::SIGUSR1, libc::SIGPIPE], &[libc::SIGUSR2]);
    s.start_cmd(&mut c);
    // Up and ready (the first record, before run, is "ready" too).
    s.wait_status("ready", |s| s.up() && s.ready());
    poll(LONG, "run.out", || {
        std::fs::read_to_string(s.path("run.out")).ok().filter(|t| t.contains("SigIgn"))
    });
    s.svc("-d");
    s.wait_status("down", |s| s.pid == 0 && !s.finishing());
    let dir = s.dir.to_string_lossy().to_string();
    let sup_ign = proc_field(s.sup_pid(), "SigIgn");
    for (f, argv) in
        [("run.out", format!("./run {dir}")), ("finish.out", format!("./finish 256 15 {dir}"))]
    {
        let out = std::fs::read_to_string(s.path(f)).unwrap();
        let l: Vec<&str> = out.lines().collect();
        assert!(l[0].starts_with(&format!("argv={argv}")), "{out}");
        assert_eq!(l[1], format!("cwd={dir}"));
        assert_eq!(l[2], "env=kept");
        // Only the standard descriptors and the notification pipe.
        let want = if f == "run.out" { "0 1 2 5" } else { "0 1 2" };
        assert_eq!(l[3], want, "{f}: {out}");
        // SIGUSR2 (12) blocked, SIGUSR1 (10) and SIGPIPE (13) ignored.
        assert_eq!(l[4], "SigBlk:\t0000000000000800", "{out}");
        // (perl itself ignores SIGFPE, 0x80.)
        let ign = u64::from_str_radix(l[5].trim_start_matches("SigIgn:\t"), 16).unwrap();
        assert_eq!(ign & !0x80, u64::from_str_radix(&sup_ign, 16).unwrap(), "{out}");
        assert_eq!(u64::from_str_radix(&sup_ign, 16).unwrap() & 0x1a00, 0x1200);
        // pid = process group = session.
        let ids: Vec<&str> = l[6].split(' ').collect();
        assert_eq!((ids[0], ids[0]), (ids[1], ids[2]), "{f}: new session: {out}");
    }
    s.no_zombies();
}

#[test]
fn lock_fd_held_for_the_life_of_the_service() {
    let mut s = Svc::new(
        "lockfd",
        &[("x:run", "#!/bin/sh\necho started >> starts\nexec sleep 1000\n"), ("lock-fd", "7\n")],
    );
    s.start(&ours());
    let pid = s.wait_status("up", Status::up).pid as i32;
    poll(LONG, "first start", || {
        std::fs::read_to_string(s.path("starts")).ok().filter(|t| t == "started\n")
    });
    // The lock is held by the service's own process, after its exec.
    let lock = s.path("supervise/service-lock");
    let holder = || {
        let f = std::fs::OpenOptions::new().write(true).open(&lock).unwrap();
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = libc::F_WRLCK as i16;
        fl.l_whence = libc::SEEK_SET as i16;
        use std::os::fd::AsRawFd;
        // SAFETY: F_GETLK fills the initialised flock structure.
        assert_eq!(unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETLK, &mut fl) }, 0);
        (fl.l_type != libc::F_UNLCK as i16).then_some(fl.l_pid)
    };
    assert_eq!(holder(), Some(pid));
    // The supervisor dies, the service lives on: the next supervisor's
    // service blocks until the old instance is gone.
    let mut old = s.sup.take().unwrap();
    old.kill().unwrap();
    old.wait().unwrap();
    s.start(&ours());
    s.wait_err("another instance of the service is already running, child will block");
    let new = s.wait_status("new instance spawned", |s| s.up() && s.pid as i32 != pid).pid as i32;
    assert_eq!(std::fs::read_to_string(s.path("starts")).unwrap(), "started\n");
    kill(pid, libc::SIGKILL);
    poll(LONG, "second start", || {
        std::fs::read_to_string(s.path("starts")).ok().filter(|t| t == "started\nstarted\n")
    });
    assert_eq!(holder(), Some(new));
}

#[test]
fn lock_fd_equal_to_notification_fd_is_refused() {
    let mut s = Svc::new("lockeq", &[("x:run", SLEEP), ("lock-fd", "3"), ("notification-fd", "3")]);
    s.start(&ours());
    s.wait_err("warning: unable to start service: notification-fd and lock-fd are the same");
    assert_eq!(s.status().pid, 0);
}

#[test]
fn flag_newpidns_makes_run_pid_1() {
    let mut s = Svc::new(
        "pidns",
        &[("x:run", "#!/bin/sh\necho $$ > mypid\nexec sleep 1000\n"), ("flag-newpidns", "")],
    );
    s.start(&ours());
    s.wait_status("up", Status::up);
    poll(LONG, "mypid", || {
        std::fs::read_to_string(s.path("mypid")).ok().filter(|t| t.ends_with('\n'))
    });
    assert_eq!(std::fs::read_to_string(s.path("mypid")).unwrap(), "1\n");
    // pid 1 of a namespace ignores signals it has no handler for.
    s.svc("-dk");
    s.wait_status("down", |s| s.pid == 0);
}

#[test]
fn garbage_in_every_file() {
    let mut s = Svc::new(
        "garbage",
        &[
            ("x:run", SLEEP),
            ("notification-fd", "x3\n"),
            ("lock-fd", "-1\n"),
            ("timeout-kill", "soon\n"),
            ("timeout-finish", "1e3\n"),
            ("max-death-tally", "many\n"),
            ("down-signal", "SIGNOPE\n"),
            ("pidfile", ""),
        ],
    );
    s.start(&ours());
    s.wait_status("up", Status::up);
    s.svc("-d");
    s.wait_status("down", |s| s.pid == 0);
    let err = s.err();
    for f in
        ["notification-fd", "lock-fd", "pidfile", "down-signal", "timeout-kill", "max-death-tally"]
    {
        assert!(err.contains(&format!("warning: invalid {f}\n")), "{f}: {err}");
    }
    // The default down signal (SIGTERM) was used; the death was recorded.
    assert_eq!(s.status().wstat, libc::SIGTERM as u16);
    assert_eq!(std::fs::read(s.path("supervise/death_tally")).unwrap().len(), 14);
}

#[test]
fn max_death_tally_keeps_the_newest() {
    let mut s = Svc::new("tally", &[("x:run", SLEEP), ("max-death-tally", "2\n")]);
    s.start(&ours());
    for sig in ["-1", "-2", "-a"] {
        let pid = s.wait_status("up", Status::up).pid;
        s.svc(sig);
        s.wait_status("restarted", |s| s.up() && s.pid != pid);
    }
    let t = std::fs::read(s.path("supervise/death_tally")).unwrap();
    let recs: Vec<(u8, u8)> = t.chunks(14).map(|c| (c[12], c[13])).collect();
    assert_eq!(recs, [(140, 12), (142, 14)]);
}

#[test]
fn run_missing_or_not_executable_retries_without_spinning() {
    for (tag, file) in [("norun", None), ("noexec", Some("run"))] {
        let mut s = Svc::new(tag, &[]);
        if let Some(f) = file {
            s.write(f, SLEEP);
        }
        s.start(&ours());
        s.wait_err("warning: unable to spawn ./run - waiting 10 seconds: ");
        let st = s.status();
        assert_eq!((st.pid, st.flags), (0, 0x0d), "not started yet");
        // Sleeping until the retry: no wake-ups meanwhile.
        assert_eq!(
            wakeups(s.sup_pid(), Duration::from_millis(500)),
            0,
            "the supervisor woke up while waiting"
        );
        // Fixed: it starts at the next -u, without waiting.
        s.write("x:run", SLEEP);
        s.svc("-u");
        s.wait_status("up", Status::up);
    }
}

#[test]
fn idle_supervisor_never_wakes_up() {
    let mut s = Svc::new("idle", &[("x:run", SLEEP)]);
    s.start(&ours());
    s.wait_status("up", Status::up);
    s.wait_events("su");
    assert_eq!(wakeups(s.sup_pid(), Duration::from_millis(1000)), 0);
}

#[test]
fn unprivileged_supervisor_on_a_root_directory() {
    let mut outs = Vec::new();
    for bin in [Some(ours()), reference("s6-supervise")].into_iter().flatten() {
        let mut s = Svc::new("ro", &[("x:run", SLEEP)]);
        s.no_event_dir();
        let mut c = Command::new(bin);
        as_user(&mut c, NOBODY.0, NOBODY.1);
        let out = run(c.arg(&s.dir));
        let dirname = s.dir.to_string_lossy().to_string();
        outs.push((code(&out), text(&out.stderr).replace(&dirname, "DIR")));
    }
    let want = "s6-supervise DIR: fatal: unable to mkdir event: Permission denied\n";
    assert_eq!(outs[0], (111, want.to_string()));
    if outs.len() == 2 {
        assert_eq!(outs[0], outs[1]);
    }
}

#[test]
fn unknown_control_bytes_are_ignored_and_x_when_down_exits() {
    let mut s = Svc::new("ctl", &[("x:run", SLEEP), ("down", "")]);
    s.start(&ours());
    let st = s.status();
    std::fs::write(s.path("supervise/control"), "zZ!?\n").unwrap();
    std::fs::write(s.path("supervise/control"), "x").unwrap();
    assert_eq!(s.wait_exit(), 0);
    assert_eq!(s.events(), "sx");
    assert_eq!(s.status(), st);
}

#[test]
fn timeout_finish_kills_a_stuck_finish() {
    let mut s = Svc::new(
        "tf",
        &[
            ("x:run", SLEEP),
            ("x:finish", "#!/bin/sh\nexec sleep 1000\n"),
            ("timeout-finish", "100\n"),
            ("down", ""),
        ],
    );
    s.start(&ours());
    s.svc("-o");
    s.wait_status("up", Status::up);
    s.svc("-d");
    s.wait_err("warning: finish script lifetime reached maximum value - sending it a SIGKILL");
    s.wait_status("down", |s| s.pid == 0 && !s.finishing() && s.ready());
    s.wait_events_end("dD");
    s.no_zombies();
}

fn other_signals_and_dangling_links(tag: &str, bin: &Path) -> Vec<String> {
    let mut t = Vec::new();
    // A signal s6-supervise has no use for acts as its disposition at
    // start: default (SIGUSR1 kills it), or ignored.
    let mut s = Svc::new(tag, &[("x:run", SLEEP)]);
    s.start(bin);
    let pid = s.wait_status("up", Status::up).pid as i32;
    s.signal(libc::SIGUSR1);
    let mut c = s.sup.take().unwrap();
    let st = poll(LONG, "the supervisor's end", || c.try_wait().unwrap());
    t.push(format!("{st:?}"));
    t.push(alive(pid).to_string());
    drop(s);
    let mut s = Svc::new(&format!("{tag}-ign"), &[("x:run", SLEEP), ("down", "")]);
    let mut c = Command::new(bin);
    sigstate(&mut c, &[libc::SIGUSR1], &[]);
    s.start_cmd(&mut c);
    s.signal(libc::SIGUSR1);
    s.svc("-x");
    t.push(s.wait_exit().to_string());
    drop(s);
    // event and supervise as dangling symlinks: their targets are made.
    let mut s = Svc::new(&format!("{tag}-links"), &[("x:run", SLEEP)]);
    s.no_event_dir();
    std::os::unix::fs::symlink(s.root.join("ev"), s.path("event")).unwrap();
    std::os::unix::fs::symlink(s.root.join("sup"), s.path("supervise")).unwrap();
    s.start(bin);
    s.wait_status("up", Status::up);
    t.push(s.root.join("ev").is_dir().to_string());
    t.push(s.root.join("sup/control").exists().to_string());
    t
}

#[test]
fn other_signals_and_dangling_links_as_reference() {
    let t = other_signals_and_dangling_links("oth-check", &ours());
    assert_eq!(t[1..], ["true", "0", "true", "true"], "{t:?}");
    assert!(t[0].contains("10"), "killed by SIGUSR1: {t:?}");
    same_as_reference("oth", other_signals_and_dangling_links);
}

fn process_group_commands(tag: &str, bin: &Path) -> Vec<String> {
    let mut t = Vec::new();
    let Some(svc) = reference("s6-svc") else { return t };
    // run and a child of its, in run's process group.
    let mut s = Svc::new(
        tag,
        &[("x:run", "#!/bin/sh\nsleep 1000 &\necho $! > kid\nexec sleep 1000\n"), ("down", "")],
    );
    s.start(bin);
    s.svc("-o");
    let pid = s.wait_status("up", Status::up).pid as i32;
    let kid: i32 = poll(LONG, "kid", || {
        std::fs::read_to_string(s.path("kid")).ok().and_then(|t| t.trim().parse().ok())
    });
    let send = |opt: &str| {
        let out = s.client(&svc, &[opt]);
        assert!(out.status.success(), "s6-svc {opt}: {}", text(&out.stderr));
    };
    send("-P");
    poll(LONG, "both stopped", || {
        (state(pid) == Some('T') && state(kid) == Some('T')).then_some(())
    });
    t.push(s.wait_status("paused", Status::paused).shape());
    send("-C");
    poll(LONG, "both running", || {
        (state(pid) != Some('T') && state(kid) != Some('T')).then_some(())
    });
    t.push(s.wait_status("continued", |s| !s.paused()).shape());
    send("-K");
    t.push(s.wait_status("down", |s| s.pid == 0).shape());
    poll(LONG, "the child killed too", || (!alive(kid)).then_some(()));
    s.wait_events("sudD");
    t.push(s.events());
    t
}

#[test]
fn process_group_commands_as_reference() {
    same_as_reference("pg", process_group_commands);
}

#[test]
fn timeout_kill_to_the_process_group() {
    // run ignores SIGTERM, and so does its child: flag-timeout-killpg makes
    // the SIGKILL reach both.
    let mut s = Svc::new(
        "killpg",
        &[
            ("x:run", "#!/bin/sh\ntrap '' TERM\nsleep 1000 &\necho $! > kid\nexec sleep 1000\n"),
            ("timeout-kill", "100\n"),
            ("flag-timeout-killpg", ""),
        ],
    );
    s.start(&ours());
    s.wait_status("up", Status::up);
    let kid: i32 = poll(LONG, "kid", || {
        std::fs::read_to_string(s.path("kid")).ok().and_then(|t| t.trim().parse().ok())
    });
    s.svc("-d");
    let st = s.wait_status("killed", |s| s.pid == 0);
    assert_eq!(st.wstat, libc::SIGKILL as u16);
    poll(LONG, "the child killed too", || (!alive(kid)).then_some(()));
}

#[test]
fn partial_readiness_line_does_not_block_the_supervisor() {
    let mut s = Svc::new(
        "partial",
        &[("x:run", "#!/bin/sh\nprintf x >&3\nexec sleep 1000\n"), ("notification-fd", "3\n")],
    );
    s.start(&ours());
    s.wait_status("up", Status::up);
    s.wait_events("su");
    // The service wrote half a line and keeps the pipe open: the
    // supervisor must still obey commands.
    s.svc("-d");
    s.wait_status("down", |s| s.pid == 0 && !s.want_up());
    s.wait_events("sudD");
    s.no_zombies();
}

/// A readiness line written just before the service exits reaches the
/// status and the events (`U` before `d`) even when the supervisor wakes
/// up for both at once.
#[test]
fn readiness_just_before_death_is_not_lost() {
    let mut s = Svc::new(
        "readydie",
        &[("x:run", "#!/bin/sh\necho >&3\nexit 0\n"), ("notification-fd", "3\n"), ("down", "")],
    );
    s.start(&ours());
    s.wait_events("s");
    let mut want = String::from("s");
    for _ in 0..20 {
        s.svc("-o");
        want.push_str("uUdD");
        s.wait_events(&want);
    }
    s.no_zombies();
}

/// The signal policy (doc/HACKING.md, "Signal policy"): SIGPIPE is caught
/// to no effect; a stop signal stops the supervisor until SIGCONT, as its
/// default disposition does in s6.
fn stray_pipe_and_stop_signals(tag: &str, bin: &Path) -> Vec<String> {
    let mut t = Vec::new();
    let mut s = Svc::new(tag, &[("x:run", SLEEP)]);
    s.start(bin);
    s.wait_status("up", Status::up);
    let sup = s.sup_pid();
    s.signal(libc::SIGPIPE);
    // Still there to obey: the signal was read before the command.
    s.svc("-d");
    s.wait_status("down", |st| !st.up());
    t.push(format!("after SIGPIPE: {}", alive(sup)));
    s.signal(libc::SIGTSTP);
    poll(LONG, "the supervisor stopped", || (state(sup) == Some('T')).then_some(()));
    t.push("stopped by SIGTSTP".to_string());
    s.signal(libc::SIGCONT);
    poll(LONG, "the supervisor continued", || (state(sup) != Some('T')).then_some(()));
    s.svc("-u");
    s.wait_status("up", Status::up);
    t.push("continued".to_string());
    s.svc("-xd");
    t.push(s.wait_exit().to_string());
    t
}

#[test]
fn stray_pipe_and_stop_signals_as_reference() {
    let t = stray_pipe_and_stop_signals("stray-check", &ours());
    assert_eq!(t, ["after SIGPIPE: true", "stopped by SIGTSTP", "continued", "0"]);
    same_as_reference("stray", stray_pipe_and_stop_signals);
}

/// `start_with_path(s, bin)`: starts `bin` on the service with PATH
/// holding the reference first (2.15 runs s6-setlock for `lock-fd`).
fn start_with_path(s: &mut Svc, bin: &Path) {
    s.start_cmd(Command::new(bin).env("PATH", path_with_reference()));
}

/// The supervisors to compare: ours, and the 2.15 reference if present.
fn ours_and_reference() -> Vec<(&'static str, std::path::PathBuf)> {
    let mut v = vec![("s6box", ours())];
    v.extend(reference("s6-supervise").map(|r| ("2.15", r)));
    v
}

/// A child waiting for `supervise/service-lock` dies with the supervisor
/// that spawned it: killed, it never wins the lock later to run `./run`
/// unsupervised (issue 20, item 5). Ours only: 2.15's `s6-setlock`
/// child holds no lock once `run` is exec'd (nothing in /proc/locks, a
/// second instance starts at once), so its waiter never waits.
#[test]
fn lock_fd_waiter_dies_with_its_supervisor() {
    {
        let (label, bin) = ("s6box", ours());
        let run = "#!/bin/sh\necho started >> starts\nexec sleep 1000\n";
        let mut s = Svc::new(&format!("lockwait-{label}"), &[("x:run", run), ("lock-fd", "7\n")]);
        start_with_path(&mut s, &bin);
        let first = s.wait_status("up", Status::up).pid as i32;
        let mut old = s.sup.take().unwrap();
        old.kill().unwrap();
        old.wait().unwrap();
        start_with_path(&mut s, &bin);
        s.wait_err("another instance of the service is already running, child will block");
        let waiter = s.wait_status("waiter spawned", |st| st.up() && st.pid as i32 != first).pid;
        let mut second = s.sup.take().unwrap();
        second.kill().unwrap();
        second.wait().unwrap();
        poll(LONG, &format!("{label}: the waiter to die with its supervisor"), || {
            (!alive(waiter as i32)).then_some(())
        });
        kill(first, libc::SIGKILL);
        poll(LONG, "the first instance gone", || (!alive(first)).then_some(()));
        assert_eq!(std::fs::read_to_string(s.path("starts")).unwrap(), "started\n", "{label}");
    }
}

/// `lock-fd` 0, 1 or 2 would replace a standard descriptor of `run` (a
/// logger's stdin, a service's stdout): invalid, with 2.15's warning, and
/// the service starts without a lock (2.15 refuses 0 only).
#[test]
fn lock_fd_on_a_standard_descriptor_is_invalid() {
    for (label, bin) in ours_and_reference() {
        for n in [0, 1, 2] {
            if label == "2.15" && n > 0 {
                continue;
            }
            let mut s = Svc::new(
                &format!("lockstd{n}-{label}"),
                &[("x:run", SLEEP), ("lock-fd", &format!("{n}\n"))],
            );
            start_with_path(&mut s, &bin);
            let pid = s.wait_status("up", Status::up).pid as i32;
            poll(LONG, "run exec'd into sleep", || cmdline(pid).starts_with("sleep").then_some(()));
            let target = std::fs::read_link(format!("/proc/{pid}/fd/{n}")).unwrap();
            assert!(!target.ends_with("service-lock"), "{label} lock-fd {n}: {target:?}");
            s.wait_err("warning: invalid lock-fd\n");
        }
    }
}

/// A `notification-fd` past the descriptor range is warned about, as
/// 2.15 does, not silently dropped; the service still starts.
#[test]
fn notification_fd_out_of_range_is_warned_about() {
    for (label, bin) in ours_and_reference() {
        let mut s = Svc::new(
            &format!("notifbig-{label}"),
            &[("x:run", SLEEP), ("notification-fd", "4294967299\n")],
        );
        start_with_path(&mut s, &bin);
        s.wait_status("up", Status::up);
        s.wait_err("warning: invalid notification-fd\n");
    }
}

/// `-p` then `-d` on a service that ignores SIGTERM: the SIGCONT that
/// comes with the down signal resumes it, and `paused` is cleared (as
/// 2.15).
#[test]
fn down_after_pause_clears_paused() {
    if client("s6-svc").is_none() {
        return;
    }
    for (label, bin) in ours_and_reference() {
        let run = "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n";
        let mut s = Svc::new(&format!("pausedown-{label}"), &[("x:run", run)]);
        s.start(&bin);
        let pid = s.wait_status("up", Status::up).pid as i32;
        // Past the shell's `trap` (it execs sleep after): a SIGTERM that
        // came earlier would end it when resumed.
        poll(LONG, "the service in sleep", || {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            (comm.trim_end() == "sleep").then_some(())
        });
        s.svc("-p");
        s.wait_status("paused", Status::paused);
        s.svc("-d");
        let st =
            s.wait_status(&format!("{label}: paused cleared"), |s| !s.want_up() && !s.paused());
        assert_eq!(st.pid as i32, pid, "{label}: still the same process");
        poll(LONG, "the service resumed", || (state(pid) == Some('S')).then_some(()));
    }
}

/// Any directory name is supervised, even one that looks like an option:
/// s6-svscan runs `s6-supervise NAME` in the scan directory, and 2.15's
/// s6-supervise takes its one argument as it is.
#[test]
fn a_directory_named_like_an_option_is_supervised() {
    for (label, bin) in ours_and_reference() {
        for name in ["--help", "-x", "--"] {
            let root = Tmp::new(&format!("optname-{label}"));
            let dir = service(&root.join(name), "exec sleep 1000");
            let err = std::fs::File::create(root.join("err")).unwrap();
            let mut c = Command::new(&bin)
                .current_dir(&root.0)
                .arg(name)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(err)
                .spawn()
                .unwrap();
            let up = poll(LONG, &format!("{label}: {name} supervised"), || {
                if let Ok(Some(st)) = c.try_wait() {
                    let err = std::fs::read_to_string(root.join("err")).unwrap_or_default();
                    panic!("{label}: s6-supervise {name} exited: {st:?}: {err}");
                }
                status(&dir).filter(Status::up)
            });
            kill(c.id() as i32, libc::SIGTERM);
            end_child(&mut c, Duration::from_secs(10));
            kill(up.pid as i32, libc::SIGKILL);
        }
    }
}
