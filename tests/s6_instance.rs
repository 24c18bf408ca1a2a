//! s6-instance-maker, -create, -delete, -list, -control, -status against
//! the 2.15 reference: the maker's files compared byte for byte (the
//! execlineb path and the scanner option aside), instances made by
//! either set of tools managed by the other, under either s6-svscan;
//! the beyond-s6 points (atomic creates, `/` refused, no partial
//! directory) checked, and shown failing with 2.15 where they do.

mod common;

use common::{Tmp, cmd, code, run, text};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const REF: &str = common::REFERENCE_BIN;

/// `refs()`: whether the 2.15 programs are there (`common::reference`).
fn refs() -> bool {
    common::reference("s6-instance-maker").is_some()
}

/// A program: ours (through its applet link) or the reference's.
fn prog(ours: bool, name: &str) -> Command {
    if ours { cmd(name) } else { Command::new(Path::new(REF).join(name)) }
}

fn template(dir: &Path) -> PathBuf {
    let t = dir.join("tpl");
    fs::create_dir_all(t.join("sub")).unwrap();
    fs::write(t.join("run"), "#!/bin/sh\nexec sleep 1000\n").unwrap();
    fs::set_permissions(t.join("run"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(t.join("sub/data"), "x").unwrap();
    std::os::unix::fs::symlink("../run", t.join("sub/link")).unwrap();
    t
}

/// The instanced service's own scanner (its `run`, as s6-supervise would
/// start it), with the given s6 programs first in PATH; its whole tree
/// is stopped at the end.
struct Scanner {
    child: Child,
    svc: PathBuf,
}

impl Scanner {
    fn start(svc: &Path, ours: bool) -> Scanner {
        let first = if ours { common::links().to_path_buf() } else { PathBuf::from(REF) };
        // 2.15's run scripts need an execline in PATH (its fdmove).
        let path = format!("{}:/usr/lib/execline/bin:/usr/bin:/bin", first.display());
        let mut c = Command::new(svc.join("run"));
        c.current_dir(svc)
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        common::fds_to(&mut c, &[(2, 3)]);
        let child = c.spawn().unwrap();
        let s = Scanner { child, svc: svc.to_path_buf() };
        common::poll(Duration::from_secs(10), "instance scanner", || {
            use std::os::unix::fs::OpenOptionsExt;
            fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(svc.join("instance/.s6-svscan/control"))
                .ok()
                .map(drop)
        });
        s
    }
}

impl Drop for Scanner {
    fn drop(&mut self) {
        common::proc::kill_tree(self.child.id() as i32);
        let _ = self.child.wait();
        let _ = &self.svc;
    }
}

fn ok(out: &std::process::Output) {
    assert_eq!(code(out), 0, "stderr: {}", text(&out.stderr));
}

fn supervised(dir: &Path) -> bool {
    code(&run(cmd("s6-svok").arg(dir))) == 0
}

/// `files(dir)`: every file under `dir` as (path, mode, content or link
/// text), sorted, with the execlineb path and the scanner option
/// normalised.
fn files(dir: &Path) -> Vec<(String, u32, String)> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let m = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let body = if m.file_type().is_symlink() {
                fs::read_link(&p).unwrap().display().to_string()
            } else if m.is_dir() {
                stack.push(p.clone());
                String::new()
            } else {
                let s = fs::read_to_string(&p).unwrap();
                s.replace("#!/opt/s6-2.15.0.0/bin/execlineb", "#!/bin/execlineb")
            };
            v.push((rel, m.mode(), body));
        }
    }
    v.sort();
    v
}

#[test]
fn maker_output_matches_reference() {
    if !refs() {
        return;
    }
    let t = Tmp::new("instmaker");
    let tpl = template(&t.0);
    let sets: &[&[&str]] = &[
        &[],
        &["-c", "7", "-u", "nobody"],
        &[
            "-L",
            "/var/log/x",
            "-l",
            "nobo\"dy\u{e9}",
            "-t",
            "3",
            "-n",
            "4",
            "-s",
            "5000",
            "-S",
            "90000",
            "-P",
            "pre fix",
        ],
        &["-L", "/var/log/x y", "-t", "0", "-c", "100000"],
        &["-r", "svc"],
        &["-r", "svc/lg/pipe", "-L", "/var/log/x", "-t", "2"],
        &["-r", "svc/lg", "-L", "/v", "-u", "daemon"],
    ];
    for (i, args) in sets.iter().enumerate() {
        let (a, b) = (t.0.join(format!("ref{i}")), t.0.join(format!("our{i}")));
        ok(&run(prog(false, "s6-instance-maker").args(*args).arg(&tpl).arg(&a)));
        ok(&run(cmd("s6-instance-maker").args(*args).arg(&tpl).arg(&b)));
        let mut want = files(&a);
        // 2.15.0.0 writes `-c MAX`, which its own s6-svscan refuses; the
        // fix writes -C 2*MAX.
        for f in &mut want {
            if let Some(p) = f.2.find("s6-svscan -d3 -c") {
                let end = p + 16 + f.2[p + 16..].find(' ').unwrap();
                let n: u32 = f.2[p + 16..end].parse().unwrap();
                f.2 = format!("{}s6-svscan -d3 -C{}{}", &f.2[..p], 2 * n, &f.2[end..]);
            }
        }
        assert_eq!(files(&b), want, "options {args:?}");
    }
}

#[test]
fn maker_modes_follow_umask() {
    let t = Tmp::new("instmaker-umask");
    let tpl = template(&t.0);
    for (umask, run_mode, file_mode) in [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)] {
        let d = t.0.join(format!("u{umask:o}"));
        let mut c = cmd("s6-instance-maker");
        // SAFETY: umask is async-signal-safe.
        unsafe {
            c.pre_exec(move || {
                libc::umask(umask);
                Ok(())
            });
        }
        ok(&run(c.arg("-L").arg("/l").arg(&tpl).arg(&d)));
        let mode = |p: &str| fs::metadata(d.join(p)).unwrap().mode() & 0o7777;
        assert_eq!(mode(""), 0o755);
        assert_eq!(mode("instance"), 0o755);
        assert_eq!(mode("run"), run_mode);
        assert_eq!(mode("log/run"), run_mode);
        assert_eq!(mode("notification-fd"), file_mode);
        assert_eq!(mode("template/run"), 0o755);
    }
}

#[test]
fn maker_errors_match_reference() {
    let t = Tmp::new("instmaker-err");
    let tpl = template(&t.0);
    let cases: &[&[&str]] = &[
        &["-L", "rel"],
        &["-t", "4"],
        &["-u", "a b"],
        &["-r", "/a"],
        &["-r", "a/"],
        &["-r", "a//b"],
        &["-r", "a/b"],
        &["-r", "a", "-L", "/x"],
        &["-c", "x"],
        &["-r", "a\nb"],
    ];
    for args in cases {
        let ours = run(cmd("s6-instance-maker").args(*args).arg(&tpl).arg(t.0.join("o")));
        assert_eq!(code(&ours), 100, "{args:?}");
        assert!(!t.0.join("o").exists());
        if refs() {
            let r = run(prog(false, "s6-instance-maker").args(*args).arg(&tpl).arg(t.0.join("r")));
            assert_eq!(code(&r), 100, "{args:?}");
            let e = text(&r.stderr).replace("specifiec", "specified");
            assert_eq!(text(&ours.stderr), e, "{args:?}");
        }
    }
    // dir exists: 111, nothing touched.
    fs::create_dir(t.0.join("there")).unwrap();
    let out = run(cmd("s6-instance-maker").arg(&tpl).arg(t.0.join("there")));
    assert_eq!(code(&out), 111);
    let want = format!(
        "s6-instance-maker: fatal: unable to mkdir {}: File exists\n",
        t.0.join("there").display()
    );
    assert_eq!(text(&out.stderr), want);
    assert_eq!(fs::read_dir(t.0.join("there")).unwrap().count(), 0);
    // Missing template: nothing made.
    let out = run(cmd("s6-instance-maker").arg(t.0.join("nope")).arg(t.0.join("x")));
    assert_eq!(code(&out), 111);
    assert!(!t.0.join("x").exists());
}

/// Beyond s6: a copy failing half-way (a full file system) leaves no
/// partial directory; 2.15 leaves one.
#[test]
fn maker_leaves_no_partial_directory() {
    let t = Tmp::new("instmaker-full");
    let tpl = template(&t.0);
    fs::write(tpl.join("big"), vec![b'x'; 256 * 1024]).unwrap();
    let mnt = t.0.join("mnt");
    fs::create_dir(&mnt).unwrap();
    let mut progs = vec![(true, common::applet("s6-instance-maker"))];
    if refs() {
        progs.push((false, Path::new(REF).join("s6-instance-maker")));
    }
    for (ours, p) in progs {
        let script = format!(
            "mount -t tmpfs -o size=64k none {m} && {p} {t} {m}/svc; echo $?; ls -A {m}",
            m = mnt.display(),
            p = p.display(),
            t = tpl.display()
        );
        let out = run(Command::new("unshare").arg("-m").arg("sh").arg("-c").arg(&script));
        let o = text(&out.stdout);
        let mut lines = o.lines();
        let status = lines.next();
        let left: Vec<&str> = lines.collect();
        if ours {
            assert_eq!(status, Some("111"), "{o} {}", text(&out.stderr));
            assert!(left.is_empty(), "left behind: {left:?}");
            assert!(text(&out.stderr).contains("unable to copy file hierarchy from "));
        } else {
            // Beyond (2.15 bug): 2.15 leaves a directory there, and even
            // exits 0 with a truncated template.
            assert_eq!(left, ["svc"], "{o}");
        }
    }
}

/// `lifecycle(maker_ours, scanner_ours, create_ours, manage_ours)`: an
/// instance made by one set of tools, managed by the other.
fn lifecycle(maker: bool, scanner: bool, creator: bool, manager: bool) {
    let t = Tmp(common::tmpdir(&format!("inst-{maker}{scanner}{creator}{manager}")));
    let tpl = template(&t.0);
    let svc = t.0.join("svc");
    ok(&run(prog(maker, "s6-instance-maker").arg(&tpl).arg(&svc)));
    let _s = Scanner::start(&svc, scanner);
    ok(&run(prog(creator, "s6-instance-create").arg(&svc).arg("one")));
    let inst = svc.join("instance/one");
    assert_eq!(fs::read_link(&inst).unwrap(), Path::new("../instances/one"));
    assert!(supervised(&inst));
    assert_eq!(fs::read(svc.join("instances/one/sub/data")).unwrap(), b"x");
    ok(&run(prog(creator, "s6-instance-create").arg(&svc).arg("two")));

    let out = run(prog(manager, "s6-instance-list").arg(&svc));
    ok(&out);
    let mut names: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    names.sort();
    assert_eq!(names, ["one", "two"]);

    let out = run(prog(manager, "s6-instance-status")
        .arg("-o")
        .arg("up,normallyup")
        .arg(&svc)
        .arg("one"));
    ok(&out);
    assert_eq!(text(&out.stdout), "true true\n");
    ok(&run(prog(manager, "s6-instance-control").arg("-wD").arg("-d").arg(&svc).arg("one")));
    let out = run(prog(creator, "s6-instance-status").arg("-u").arg(&svc).arg("one"));
    assert_eq!(text(&out.stdout), "false\n");
    ok(&run(prog(manager, "s6-instance-control")
        .arg("-wu")
        .arg("-T5000")
        .arg("-u")
        .arg(&svc)
        .arg("one")));

    let sup = fs::read(svc.join("instances/one/supervise/status")).is_ok();
    assert!(sup);
    ok(&run(prog(manager, "s6-instance-delete").arg(&svc).arg("one")));
    assert!(!svc.join("instance/one").exists());
    assert!(!svc.join("instances/one").exists());
    // Deleting nothing is fine.
    ok(&run(prog(manager, "s6-instance-delete").arg(&svc).arg("one")));
    ok(&run(prog(creator, "s6-instance-delete").arg("-t").arg("5000").arg(&svc).arg("two")));
    let out = run(prog(manager, "s6-instance-list").arg(&svc));
    ok(&out);
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn lifecycle_ours() {
    lifecycle(true, true, true, true);
}

#[test]
fn lifecycle_reference_instances_managed_by_ours() {
    if refs() {
        // 2.15's directory (its -c option) under s6box's s6-svscan.
        lifecycle(false, true, false, true);
    }
}

#[test]
fn lifecycle_our_instances_managed_by_reference() {
    if refs() {
        // Our directory under 2.15's own s6-svscan.
        lifecycle(true, false, true, false);
    }
}

/// Beyond (2.15 bug): 2.15's maker writes `s6-svscan -c`, which 2.15's
/// s6-svscan refuses; ours writes `-C`, which it accepts.
#[test]
fn reference_scanner_refuses_reference_maker_option() {
    if !refs() {
        return;
    }
    let t = Tmp::new("inst-c");
    let tpl = template(&t.0);
    let svc = t.0.join("svc");
    ok(&run(prog(false, "s6-instance-maker").arg(&tpl).arg(&svc)));
    let out = run(Command::new(svc.join("run"))
        .current_dir(&svc)
        .env("PATH", format!("{REF}:/usr/bin:/bin"))
        .stdin(Stdio::null()));
    assert_eq!(code(&out), 100, "beyond (2.15 bug)");
    assert!(text(&out.stdout).contains("unrecognized short option: c"));
}

#[test]
fn create_options_and_errors() {
    let t = Tmp::new("inst-opts");
    let tpl = template(&t.0);
    let svc = t.0.join("svc");
    ok(&run(cmd("s6-instance-maker").arg(&tpl).arg(&svc)));

    // No scanner ever ran: its lock file is missing (111, as 2.15).
    let out = run(cmd("s6-instance-create").arg(&svc).arg("a"));
    assert_eq!(code(&out), 111);
    let want = format!(
        "s6-instance-create: fatal: unable to open {}/instance/.s6-svscan/lock: No such file or directory\n",
        svc.display()
    );
    assert_eq!(text(&out.stderr), want);
    if refs() {
        let r = run(prog(false, "s6-instance-create").arg(&svc).arg("a"));
        assert_eq!(text(&r.stderr), want);
    }

    let _s = Scanner::start(&svc, true);
    for bad in ["", ".a", "a b", "a/../../template", "a/b", "x\ny"] {
        for p in ["s6-instance-create", "s6-instance-delete"] {
            let out = run(cmd(p).arg(&svc).arg(bad));
            assert_eq!(code(&out), 100, "{p} {bad:?}");
            assert_eq!(text(&out.stderr), format!("{p}: fatal: invalid instance name\n"));
        }
    }
    assert!(svc.join("template/run").exists());
    let out = run(cmd("s6-instance-create").arg("").arg("a"));
    assert_eq!(text(&out.stderr), "s6-instance-create: fatal: invalid service path\n");

    // -d: normally up, down now; -D: down file kept.
    ok(&run(cmd("s6-instance-create").arg("-d").arg(&svc).arg("d")));
    assert!(!svc.join("instances/d/down").exists());
    let out = run(cmd("s6-instance-status").arg("-o").arg("up,normallyup").arg(&svc).arg("d"));
    assert_eq!(text(&out.stdout), "false true\n");
    ok(&run(cmd("s6-instance-create").arg("-D").arg(&svc).arg("dd")));
    assert!(svc.join("instances/dd/down").exists());
    let ev = fs::metadata(svc.join("instances/dd/event")).unwrap();
    assert_eq!(ev.mode() & 0o7777, 0o3730);
    ok(&run(cmd("s6-instance-create").arg("-P").arg("-d").arg(&svc).arg("p")));
    let ev = fs::metadata(svc.join("instances/p/event")).unwrap();
    assert_eq!(ev.mode() & 0o7777, 0o1733);

    // Already there, or something else in the way.
    let out = run(cmd("s6-instance-create").arg(&svc).arg("d"));
    assert_eq!(code(&out), 100);
    let want = format!(
        "s6-instance-create: fatal: instance appears to already exist at {}/instances/d\n",
        svc.display()
    );
    assert_eq!(text(&out.stderr), want);
    fs::write(svc.join("instances/f"), "").unwrap();
    let out = run(cmd("s6-instance-create").arg(&svc).arg("f"));
    assert_eq!(code(&out), 100);
    assert!(text(&out.stderr).contains("unexpected file preventing instance creation at "));

    // Control and status: checks first, then s6-svc / s6-svstat words.
    let out = run(cmd("s6-instance-control").arg("-wx").arg(&svc).arg("d"));
    assert_eq!(code(&out), 100);
    assert!(text(&out.stderr).starts_with("s6-instance-control: usage: "));
    let out = run(cmd("s6-instance-control").arg("-u").arg("").arg("d"));
    assert_eq!(text(&out.stderr), "s6-instance-control: fatal: invalid service name\n");
    let many = format!("-{}", "a".repeat(63));
    let out = run(cmd("s6-instance-control").arg(&many).arg(&svc).arg("d"));
    assert_eq!(text(&out.stderr), "s6-instance-control: fatal: too many commands\n");
    let out = run(cmd("s6-instance-status").arg("-o").arg("up,,pid").arg(&svc).arg("d"));
    assert_eq!(text(&out.stderr), "s6-instance-status: fatal: invalid null option field\n");
    let out = run(cmd("s6-instance-status").arg("-uwNrpestuwNrpestu").arg(&svc).arg("d"));
    assert_eq!(text(&out.stderr), "s6-instance-status: fatal: too many option fields\n");
    let out = run(cmd("s6-instance-control").arg("-u").arg(&svc).arg("nope"));
    assert_eq!(code(&out), 111);
    // Exactly s6box's s6-svc on the instance's path.
    let direct = run(cmd("s6-svc").arg("-u").arg(svc.join("instance/nope")));
    assert_eq!(text(&out.stderr), text(&direct.stderr));
    assert!(text(&out.stderr).starts_with("s6-svc: "));
    let a = run(cmd("s6-instance-status").arg(&svc).arg("nope"));
    let b = run(cmd("s6-svstat").arg(svc.join("instance/nope")));
    assert_eq!((code(&a), text(&a.stderr)), (code(&b), text(&b.stderr)));
    if refs() {
        let r = run(prog(false, "s6-instance-control").arg("-u").arg(&svc).arg("nope"));
        assert_eq!(code(&r), 111);
    }

    // -t: the scanner stopped, so nothing starts: 99, everything undone.
    let pid = _s.child.id() as i32;
    common::proc::kill(pid, libc::SIGSTOP);
    let out = run(cmd("s6-instance-create").arg("-t").arg("300").arg(&svc).arg("late"));
    common::proc::kill(pid, libc::SIGCONT);
    assert_eq!(code(&out), 99, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("s6-instance-create: fatal: unable to create instance of ")
    );
    assert!(!svc.join("instance/late").exists());
    assert!(!svc.join("instances/late").exists());
}

/// Beyond s6: creates of one name racing each other give exactly one
/// complete, supervised instance; the others exit 100.
#[test]
fn concurrent_creates_give_one_instance() {
    let t = Tmp::new("inst-race");
    let tpl = template(&t.0);
    for i in 0..20 {
        fs::write(tpl.join(format!("f{i}")), vec![b'y'; 4096]).unwrap();
    }
    let svc = t.0.join("svc");
    ok(&run(cmd("s6-instance-maker").arg(&tpl).arg(&svc)));
    let _s = Scanner::start(&svc, true);
    for round in 0..3 {
        let name = format!("n{round}");
        let kids: Vec<Child> = (0..6)
            .map(|_| {
                cmd("s6-instance-create")
                    .arg(&svc)
                    .arg(&name)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let codes: Vec<i32> =
            kids.into_iter().map(|k| code(&k.wait_with_output().unwrap())).collect();
        assert_eq!(codes.iter().filter(|&&c| c == 0).count(), 1, "{codes:?}");
        assert!(codes.iter().all(|&c| c == 0 || c == 100), "{codes:?}");
        assert!(supervised(&svc.join("instance").join(&name)));
        assert!(svc.join("instances").join(&name).join("run").exists());
        let left: Vec<_> = fs::read_dir(svc.join("instances"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(left.is_empty(), "temporary copies left");
    }
}

/// `-X`: the directory goes at once.
#[test]
fn delete_without_waiting() {
    let t = Tmp::new("inst-X");
    let tpl = template(&t.0);
    let svc = t.0.join("svc");
    ok(&run(cmd("s6-instance-maker").arg(&tpl).arg(&svc)));
    let _s = Scanner::start(&svc, true);
    ok(&run(cmd("s6-instance-create").arg(&svc).arg("x")));
    ok(&run(cmd("s6-instance-delete").arg("-X").arg(&svc).arg("x")));
    assert!(!svc.join("instances/x").exists());
    assert!(!svc.join("instance/x").exists());
}
