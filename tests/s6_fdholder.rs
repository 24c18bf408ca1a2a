//! The fd-holder family (`../shared/spec/fdholder.md`): s6box's daemon and
//! 2.15's, s6box's clients and 2.15's, in every pairing; dumps moved
//! between the two daemons; the "beyond s6" items.

mod common;

use common::*;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which implementation runs a program.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    Ours,
    Ref,
}

/// `prog(side, name)`: the program's path, or `None` for a missing
/// reference (`common::reference`: SKIP note, or failure when
/// S6BOX_REQUIRE_REFS=1).
fn prog(side: Side, name: &str) -> Option<PathBuf> {
    match side {
        Side::Ours => Some(applet(name)),
        Side::Ref => reference(name),
    }
}

/// Both sides, or ours alone when the reference is missing.
fn sides() -> Vec<Side> {
    if prog(Side::Ref, "s6-fdholderd").is_some() {
        vec![Side::Ours, Side::Ref]
    } else {
        vec![Side::Ours]
    }
}

/// `client(side, name)`: a command running a client.
fn client(side: Side, name: &str) -> Command {
    Command::new(prog(side, name).expect("side available"))
}

/// The rules of most tests: root may do everything with identifiers
/// starting with `x`, nobody (65534) is not allowed.
fn rules(dir: &Path, store: &str, retrieve: &str) -> PathBuf {
    let r = dir.join("rules");
    let env = r.join("uid/0/env");
    fs::create_dir_all(&env).unwrap();
    fs::write(r.join("uid/0/allow"), "").unwrap();
    for (k, v) in [
        ("S6_FDHOLDER_LIST", "\n"),
        ("S6_FDHOLDER_GETDUMP", "\n"),
        ("S6_FDHOLDER_SETDUMP", "\n"),
        ("S6_FDHOLDER_STORE_REGEX", store),
        ("S6_FDHOLDER_RETRIEVE_REGEX", retrieve),
    ] {
        fs::write(env.join(k), format!("{v}\n")).unwrap();
    }
    r
}

/// A running daemon: `s6-fdholderd -1 ARGS -i rules` on a socket bound
/// by the test, handed as stdin.
struct Daemon {
    child: Child,
    path: PathBuf,
}

impl Daemon {
    fn start(side: Side, dir: &Path, name: &str, args: &[&str]) -> Daemon {
        let rules = dir.join("rules");
        if !rules.exists() {
            self::rules(dir, "^x", "^x");
        }
        Daemon::start_with(side, dir, name, args, &["-i", rules.to_str().unwrap()])
    }

    fn start_with(side: Side, dir: &Path, name: &str, args: &[&str], access: &[&str]) -> Daemon {
        let path = dir.join(name);
        let _ = fs::remove_file(&path);
        let l = UnixListener::bind(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o777)).unwrap();
        let mut cmd = Command::new(prog(side, "s6-fdholderd").unwrap());
        cmd.arg("-1").args(args).args(access);
        cmd.stdin(Stdio::from(OwnedFd::from(l))).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line, "\n", "{side:?} daemon not ready");
        Daemon { child, path }
    }

    fn s(&self) -> &Path {
        &self.path
    }

    /// `stop()`: SIGTERM, the exit code and stderr.
    fn stop(mut self) -> (i32, String) {
        let pid = self.child.id() as i32;
        kill(pid, libc::SIGTERM);
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let st = self.child.wait().unwrap();
        (st.code().unwrap_or(-1), err)
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ok(cmd)`: runs, asserts exit 0, returns stdout.
fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert_eq!(code(&out), 0, "{cmd:?}: {} / {}", text(&out.stderr), text(&out.stdout));
    text(&out.stdout)
}

/// `fails(cmd, code, msg)`: runs, asserts the exit code and that stderr
/// starts with `msg` (REASON left out where the caller leaves it out).
fn fails(cmd: &mut Command, want: i32, msg: &str) -> String {
    let out = run(cmd);
    let err = text(&out.stderr);
    assert_eq!(code(&out), want, "{cmd:?}: {err}");
    assert!(err.starts_with(msg), "{cmd:?}: {err:?} should start with {msg:?}");
    err
}

fn list(side: Side, s: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        ok(client(side, "s6-fdholder-list").arg(s)).lines().map(str::to_string).collect();
    v.sort();
    v
}

/// `store_file(side, s, id, file)`: stores a descriptor reading `file`.
fn store_file(side: Side, s: &Path, id: &str, file: &Path) -> std::process::Output {
    let mut c = client(side, "s6-fdholder-store");
    c.arg(s).arg(id).stdin(fs::File::open(file).unwrap());
    c.output().unwrap()
}

#[test]
fn store_retrieve_delete_list_every_pairing() {
    let t = Tmp::new("fdh-basic");
    let data = t.0.join("data");
    fs::write(&data, "line one\nline two\n").unwrap();
    for d in sides() {
        for c in sides() {
            let daemon = Daemon::start(d, &t.0, "s", &[]);
            let s = daemon.s();
            let out = store_file(c, s, "xfoo", &data);
            assert_eq!(code(&out), 0, "{d:?}/{c:?}: {}", text(&out.stderr));
            // A second store of the same identifier: EBUSY.
            let out = store_file(c, s, "xfoo", &data);
            assert_eq!(code(&out), 1);
            assert!(text(&out.stderr).contains(": fatal: unable to store fd: "), "{out:?}");
            assert_eq!(list(c, s), vec!["xfoo"]);
            let got =
                ok(client(c, "s6-fdholder-retrieve").arg(s).arg("xfoo").args(["head", "-n1"]));
            assert_eq!(got, "line one\n", "{d:?}/{c:?}");
            // The descriptor is shared: the offset moved.
            let got = ok(client(c, "s6-fdholder-retrieve").arg(s).arg("xfoo").arg("cat"));
            assert!(got.ends_with("line two\n"), "{got:?}");
            ok(client(c, "s6-fdholder-delete").arg(s).arg("xfoo"));
            assert!(list(c, s).is_empty());
            let name = "s6-fdholder-retrieve";
            fails(
                client(c, name).arg(s).arg("xfoo").arg("true"),
                1,
                &format!("{name}: fatal: unable to retrieve fd for id xfoo: "),
            );
            fails(
                client(c, "s6-fdholder-delete").arg(s).arg("xfoo"),
                1,
                "s6-fdholder-delete: fatal: unable to delete fd for id xfoo: ",
            );
            // retrieve -D takes it away.
            assert_eq!(code(&store_file(c, s, "xbar", &data)), 0);
            ok(client(c, "s6-fdholder-retrieve").args(["-D"]).arg(s).arg("xbar").arg("true"));
            assert!(list(c, s).is_empty());
            // Rights: an identifier outside the regex.
            let out = store_file(c, s, "yfoo", &data);
            assert_eq!(code(&out), 1);
            assert!(text(&out.stderr).contains("unable to store fd: Operation not permitted"));
            let (rc, err) = daemon.stop();
            assert_eq!(rc, 0, "{d:?}: {err}");
        }
    }
}

#[test]
fn same_messages_and_codes_as_2_15() {
    let t = Tmp::new("fdh-msgs");
    let data = t.0.join("data");
    fs::write(&data, "x\n").unwrap();
    if prog(Side::Ref, "s6-fdholder-store").is_none() {
        return;
    }
    let daemon = Daemon::start(Side::Ours, &t.0, "s", &[]);
    let s = daemon.s().to_str().unwrap().to_string();
    let long = "x".repeat(300);
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("s6-fdholder-store", vec![]),
        ("s6-fdholder-store", vec![&s]),
        ("s6-fdholder-store", vec!["-Z", &s, "xa"]),
        ("s6-fdholder-store", vec![&s, &long]),
        ("s6-fdholder-store", vec!["-d", "9", &s, "xa"]),
        ("s6-fdholder-store", vec!["/nonexistent/s", "xa"]),
        ("s6-fdholder-retrieve", vec![&s, "xa"]),
        ("s6-fdholder-retrieve", vec![&s, "xnone", "true"]),
        ("s6-fdholder-retrieve", vec![&s, "ynone", "true"]),
        ("s6-fdholder-delete", vec![&s, &long]),
        ("s6-fdholder-delete", vec![&s]),
        ("s6-fdholder-list", vec![]),
        ("s6-fdholder-list", vec!["/nonexistent/s"]),
        ("s6-fdholder-getdump", vec![&s]),
        ("s6-fdholder-setdump", vec![]),
        ("s6-fdholder-transferdump", vec![&s]),
        ("s6-fdholder-transferdump", vec!["-t", "5:x", &s, &s]),
        ("s6-fdholder-transferdump", vec!["-t", "20000:", &s, "/nonexistent/s"]),
        ("s6-fdholder-transferdump", vec!["/nonexistent/s", &s]),
    ];
    for (name, args) in cases {
        let a = run(client(Side::Ours, name).args(&args));
        let b = run(client(Side::Ref, name).args(&args));
        let norm = |e: &[u8]| {
            let e = text(e);
            // REASON is the host's strerror: keep up to the last ": ".
            match e.rfind(": ") {
                Some(i) if e.contains("unable to") => e[..i].to_string(),
                _ => e,
            }
        };
        assert_eq!(
            code(&a),
            code(&b),
            "{name} {args:?}: {} / {}",
            text(&a.stderr),
            text(&b.stderr)
        );
        assert_eq!(norm(&a.stderr), norm(&b.stderr), "{name} {args:?}");
    }
    // setdump's environment checks.
    for env in [
        vec![("S6_FD#", "x")],
        vec![("S6_FD#", "1")],
        vec![("S6_FD#", "1"), ("S6_FD_0", "0")],
        vec![("S6_FD#", "1"), ("S6_FD_0", "0"), ("S6_FDID_0", "xz"), ("S6_FDLIMIT_0", "zz")],
    ] {
        let go = |side| {
            let mut c = client(side, "s6-fdholder-setdump");
            c.arg(&s).env_remove("S6_FD#");
            for (k, v) in &env {
                c.env(k, v);
            }
            run(&mut c)
        };
        let (a, b) = (go(Side::Ours), go(Side::Ref));
        assert_eq!((code(&a), text(&a.stderr)), (code(&b), text(&b.stderr)), "{env:?}");
    }
}

#[test]
fn refused_client_and_daemon_startup_errors() {
    let t = Tmp::new("fdh-refused");
    fs::set_permissions(&t.0, fs::Permissions::from_mode(0o755)).unwrap();
    for d in sides() {
        let daemon = Daemon::start(d, &t.0, "s", &[]);
        for c in sides() {
            let mut cmd = client(c, "s6-fdholder-list");
            cmd.arg(daemon.s());
            as_user(&mut cmd, NOBODY.0, NOBODY.1);
            let err = fails(&mut cmd, 1, "s6-fdholder-list: fatal: unable to get fd list: ");
            assert!(
                err.contains("Broken pipe") || err.contains("Connection reset by peer"),
                "{d:?}/{c:?}: {err}"
            );
        }
        drop(daemon);
    }
    // Start-up checks, in order.
    let l = UnixListener::bind(t.0.join("s2")).unwrap();
    for d in sides() {
        let fd = || Stdio::from(OwnedFd::from(l.try_clone().unwrap()));
        let out = Command::new(prog(d, "s6-fdholderd").unwrap()).stdin(fd()).output().unwrap();
        assert_eq!(code(&out), 100);
        assert_eq!(text(&out.stderr), "s6-fdholderd: fatal: no access rights specified!\n");
        let out = Command::new(prog(d, "s6-fdholderd").unwrap())
            .args(["-i", "/nonexistent"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(code(&out), 100);
        assert_eq!(text(&out.stderr), "s6-fdholderd: fatal: stdin is not a socket\n");
        let out = Command::new(prog(d, "s6-fdholderd").unwrap())
            .args(["-x", "/nonexistent/rules.cdb"])
            .stdin(fd())
            .output()
            .unwrap();
        assert_eq!(code(&out), 111);
        assert!(
            text(&out.stderr)
                .starts_with("s6-fdholderd: fatal: unable to cdb_init /nonexistent/rules.cdb: "),
            "{}",
            text(&out.stderr)
        );
        let out = Command::new(prog(d, "s6-fdholderd").unwrap())
            .args(["-c", "x", "-i", "r"])
            .stdin(fd())
            .output()
            .unwrap();
        assert_eq!(code(&out), 100);
        assert!(text(&out.stderr).starts_with("s6-fdholderd: usage: s6-fdholderd "));
    }
}

/// `dump_env(side, s)`: getdump's S6_ variables, fd numbers replaced by
/// `N` (they depend on the client).
fn dump_env(side: Side, s: &Path) -> Vec<String> {
    let out = ok(client(side, "s6-fdholder-getdump").arg(s).arg("env"));
    let mut v: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("S6_FD"))
        .map(|l| {
            if l.starts_with("S6_FD_") {
                l.split('=').next().unwrap().to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    v.sort();
    v
}

#[test]
fn dumps_and_transfers_between_daemons() {
    let t = Tmp::new("fdh-dump");
    let data = t.0.join("data");
    fs::write(&data, "payload\n").unwrap();
    let all = sides();
    for &a in &all {
        for &b in &all {
            for &c in &all {
                let src = Daemon::start(a, &t.0, "src", &[]);
                let dst = Daemon::start(b, &t.0, "dst", &[]);
                for id in ["x1", "x2", "x three"] {
                    assert_eq!(code(&store_file(c, src.s(), id, &data)), 0);
                }
                ok(client(c, "s6-fdholder-store")
                    .args(["-T", "100000"])
                    .arg(src.s())
                    .arg("xt")
                    .stdin(Stdio::null()));
                let before = dump_env(c, src.s());
                assert!(before.contains(&"S6_FD#=4".to_string()), "{before:?}");
                assert_eq!(before.iter().filter(|l| l.starts_with("S6_FDLIMIT_")).count(), 1);
                ok(client(c, "s6-fdholder-transferdump").arg(src.s()).arg(dst.s()));
                // Same identifiers, same deadlines, and working descriptors.
                assert_eq!(dump_env(c, dst.s()).len(), before.len());
                let lim = |v: &[String]| {
                    v.iter()
                        .filter(|l| l.starts_with("S6_FDLIMIT_"))
                        .map(|l| l.split('=').nth(1).unwrap().to_string())
                        .collect::<Vec<_>>()
                };
                assert_eq!(lim(&dump_env(c, dst.s())), lim(&before));
                assert_eq!(list(c, dst.s()), vec!["x three", "x1", "x2", "xt"]);
                let got =
                    ok(client(c, "s6-fdholder-retrieve").arg(dst.s()).arg("x three").arg("cat"));
                assert_eq!(got, "payload\n", "{a:?}->{b:?} by {c:?}");
                // A held identifier is replaced by a setdump.
                ok(client(c, "s6-fdholder-transferdump").arg(src.s()).arg(dst.s()));
                assert_eq!(list(c, dst.s()).len(), 4);
            }
        }
    }
}

#[test]
fn list_quoting_matches_2_15() {
    let t = Tmp::new("fdh-quote");
    let ids: &[&[u8]] =
        &[b"xa b\"\\", b"x\x07\x08\t\n\x0b\x0c\r", b"x\x01\x1f\x7f\xff\xc3\xa9", b"x%s"];
    for d in sides() {
        let daemon = Daemon::start(d, &t.0, "s", &[]);
        for id in ids {
            ok(client(Side::Ours, "s6-fdholder-store")
                .arg(daemon.s())
                .arg(os(id))
                .stdin(Stdio::null()));
        }
        let outs: Vec<String> = sides()
            .into_iter()
            .map(|c| {
                let mut v: Vec<String> = ok(client(c, "s6-fdholder-list").arg(daemon.s()))
                    .lines()
                    .map(str::to_string)
                    .collect();
                v.sort();
                v.join("\n")
            })
            .collect();
        assert!(outs.iter().all(|o| o == &outs[0]), "{outs:?}");
        assert!(outs[0].contains("x\\0x01\\0x1f\\0x7f\\0xff\\0xc3\\0xa9"), "{}", outs[0]);
    }
}

#[test]
fn expiry_and_equal_deadlines() {
    // Beyond 4: `a` and `b` share a deadline; delete `b`, then store `c`
    // with -T 300: the daemon answers, `c` expires, the daemon sleeps.
    let t = Tmp::new("fdh-ties");
    let daemon = Daemon::start(Side::Ours, &t.0, "s", &[]);
    let s = daemon.s();
    for c in sides() {
        let mut set = client(c, "s6-fdholder-setdump");
        set.arg(s).env("S6_FD#", "2").env("S6_FD_0", "0").env("S6_FDID_0", "xa");
        set.env("S6_FD_1", "0")
            .env("S6_FDID_1", "xb")
            .env_remove("S6_FDLIMIT_0")
            .env_remove("S6_FDLIMIT_1");
        ok(&mut set);
        ok(client(c, "s6-fdholder-delete").arg(s).arg("xb"));
        ok(client(c, "s6-fdholder-store")
            .args(["-t", "5000", "-T", "300"])
            .arg(s)
            .arg("xc")
            .stdin(Stdio::null()));
        ok(client(c, "s6-fdholder-store")
            .args(["-T", "300"])
            .arg(s)
            .arg("xd")
            .stdin(Stdio::null()));
        assert_eq!(list(c, s), vec!["xa", "xc", "xd"]);
        poll(LONG, "expiry of xc and xd", || (list(c, s) == vec!["xa"]).then_some(()));
        ok(client(c, "s6-fdholder-delete").arg(s).arg("xa"));
    }
    // Idle, holding descriptors with and without deadlines: no wake-up.
    ok(client(Side::Ours, "s6-fdholder-store")
        .args(["-T", "3600000"])
        .arg(s)
        .arg("xlate")
        .stdin(Stdio::null()));
    ok(client(Side::Ours, "s6-fdholder-store").arg(s).arg("xnever").stdin(Stdio::null()));
    let switches = || {
        let st = fs::read_to_string(format!("/proc/{}/status", daemon.pid())).unwrap();
        status_field(&st, "voluntary_ctxt_switches").parse::<u64>().unwrap()
            + status_field(&st, "nonvoluntary_ctxt_switches").parse::<u64>().unwrap()
    };
    // Once the last client's connection is closed (one socket left: the
    // listening one), nothing may wake the daemon.
    let sockets = || {
        fs::read_dir(format!("/proc/{}/fd", daemon.pid()))
            .unwrap()
            .filter(|e| {
                fs::read_link(e.as_ref().unwrap().path())
                    .is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
            })
            .count()
    };
    poll(LONG, "the clients' connections closed", || (sockets() == 1).then_some(()));
    let before = switches();
    std::thread::sleep(Duration::from_millis(1500)); // measuring a quiet interval
    assert_eq!(switches(), before, "the idle daemon woke up");
}

#[test]
fn full_daemon_says_so() {
    let t = Tmp::new("fdh-full");
    for d in sides() {
        let daemon = Daemon::start(d, &t.0, "s", &["-n", "2"]);
        let s = daemon.s();
        for id in ["x1", "x2"] {
            ok(client(Side::Ours, "s6-fdholder-store").arg(s).arg(id).stdin(Stdio::null()));
        }
        for c in sides() {
            fails(
                client(c, "s6-fdholder-store").arg(s).arg("x3").stdin(Stdio::null()),
                1,
                "s6-fdholder-store: fatal: unable to store fd: Too many open files in system",
            );
            let mut set = client(c, "s6-fdholder-setdump");
            set.arg(s).env("S6_FD#", "1").env("S6_FD_0", "0").env("S6_FDID_0", "x1");
            set.stdin(Stdio::null());
            fails(
                &mut set,
                1,
                "s6-fdholder-setdump: fatal: unable to set dump: Too many open files in system",
            );
        }
        let (rc, err) = daemon.stop();
        assert_eq!(rc, 1, "{d:?}: holding descriptors at exit");
        if d == Side::Ours {
            assert!(
                err.contains(
                    "s6-fdholderd: warning: unable to store x3: 2 descriptors held (-n)\n"
                ),
                "{err}"
            );
            assert!(
                err.contains(
                    "s6-fdholderd: warning: unable to set dump of 1: 2 descriptors held (-n)\n"
                ),
                "{err}"
            );
        }
    }
}

/// `frame(body, nfds)`: a framed message's bytes.
fn frame(body: &[u8], nfds: u16) -> Vec<u8> {
    let mut m = (body.len() as u32).to_be_bytes().to_vec();
    m.extend_from_slice(&nfds.to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// `read_answer(c)`: one framed answer (no descriptors expected).
fn read_answer(c: &mut UnixStream) -> Vec<u8> {
    let mut h = [0u8; 6];
    c.read_exact(&mut h).unwrap();
    let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
    let mut b = vec![0u8; len];
    c.read_exact(&mut b).unwrap();
    b
}

#[test]
fn pipelined_requests_and_protocol_errors() {
    let t = Tmp::new("fdh-proto");
    for d in sides() {
        let daemon = Daemon::start(d, &t.0, "s", &[]);
        let s = daemon.s();
        // Several requests before reading any answer: answered in order.
        let mut c = UnixStream::connect(s).unwrap();
        let mut req = frame(b"D\x02xa\0", 0);
        req.extend(frame(b"L", 0));
        req.extend(frame(b"D\x02xb\0", 0));
        c.write_all(&req).unwrap();
        assert_eq!(read_answer(&mut c), [2], "{d:?}");
        assert_eq!(read_answer(&mut c), [0, 0, 0, 0, 0]);
        assert_eq!(read_answer(&mut c), [2]);
        c.write_all(&frame(b"Zjunk", 0)).unwrap();
        // The unknown letter: closed, nothing sent.
        let mut rest = Vec::new();
        c.set_read_timeout(Some(LONG)).unwrap();
        let _ = c.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{d:?}: {rest:?}");
        // Other malformed requests, each on its own connection.
        for bad in [
            frame(b"", 0),
            frame(b"L", 1),
            frame(b"D\x03xa\0", 0),
            frame(b"D\x00\0", 0),
            frame(b".\0", 0),
            [0xff, 0xff, 0xff, 0xff, 0, 0].to_vec(),
            [0, 0, 0, 1, 1, 0].to_vec(),
        ] {
            let mut c = UnixStream::connect(s).unwrap();
            c.write_all(&bad).unwrap();
            c.set_read_timeout(Some(LONG)).unwrap();
            let mut rest = Vec::new();
            let _ = c.read_to_end(&mut rest);
            assert!(rest.is_empty(), "{d:?} {bad:?}: {rest:?}");
        }
        // Still serving.
        assert!(list(Side::Ours, s).is_empty());
    }
}

#[test]
fn client_timeout_closes_idle_connections() {
    // Beyond 7: with -t, a connection idle after an answer is closed too.
    let t = Tmp::new("fdh-idle");
    let daemon = Daemon::start(Side::Ours, &t.0, "s", &["-t", "300"]);
    let mut c = UnixStream::connect(daemon.s()).unwrap();
    c.write_all(&frame(b"L", 0)).unwrap();
    assert_eq!(read_answer(&mut c), [0, 0, 0, 0, 0]);
    let start = Instant::now();
    c.set_read_timeout(Some(LONG)).unwrap();
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert!(start.elapsed() >= Duration::from_millis(250), "{:?}", start.elapsed());
    // A connection that says nothing at all.
    let mut c = UnixStream::connect(daemon.s()).unwrap();
    c.set_read_timeout(Some(LONG)).unwrap();
    c.read_to_end(&mut rest).unwrap();
}

#[test]
fn client_that_never_reads_cannot_grow_the_daemon() {
    // Beyond 5: 2000 list requests of 1000 ids, never read.
    let t = Tmp::new("fdh-flood");
    let daemon = Daemon::start(Side::Ours, &t.0, "s", &["-n", "1000"]);
    let s = daemon.s();
    let mut set = client(Side::Ours, "s6-fdholder-setdump");
    set.arg(s).env("S6_FD#", "1000");
    for i in 0..1000 {
        set.env(format!("S6_FD_{i}"), "0").env(format!("S6_FDID_{i}"), format!("x{i:0>40}"));
    }
    ok(set.stdin(Stdio::null()));
    let rss =
        || proc_field(daemon.pid(), "VmRSS").trim_end_matches(" kB").trim().parse::<u64>().unwrap();
    let before = rss();
    let c = UnixStream::connect(s).unwrap();
    c.set_nonblocking(true).unwrap();
    let one = frame(b"L", 0);
    let mut sent = 0;
    let mut c2 = &c;
    let end = Instant::now() + Duration::from_secs(3);
    while sent < 2000 && Instant::now() < end {
        match c2.write(&one) {
            Ok(n) if n == one.len() => sent += 1,
            Ok(_) => break,
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    // The daemon stopped reading: the client could not send them all.
    assert!(sent < 2000, "all 2000 requests were taken");
    let grown = rss().saturating_sub(before);
    assert!(grown < 2048, "the daemon grew by {grown} kB");
    // Other clients are still served.
    assert_eq!(list(Side::Ours, s).len(), 1000);
    // Read at last, the flooding client gets every answer, in order.
    c.set_nonblocking(false).unwrap();
    c.set_read_timeout(Some(LONG)).unwrap();
    let mut c3 = &c;
    for k in 0..sent {
        let mut h = [0u8; 6];
        c3.read_exact(&mut h).unwrap_or_else(|e| panic!("answer {k} of {sent}: {e}"));
        let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        assert_eq!(len, 5 + 1000 * 42);
        let mut b = vec![0u8; len];
        c3.read_exact(&mut b).unwrap();
    }
}

#[test]
fn sigterm_exit_codes() {
    let t = Tmp::new("fdh-term");
    for d in sides() {
        let daemon = Daemon::start(d, &t.0, "s", &[]);
        assert_eq!(daemon.stop().0, 0);
        let daemon = Daemon::start(d, &t.0, "s", &[]);
        ok(client(Side::Ours, "s6-fdholder-store").arg(daemon.s()).arg("xa").stdin(Stdio::null()));
        assert_eq!(daemon.stop().0, 1, "{d:?}");
        let daemon = Daemon::start(d, &t.0, "s", &[]);
        let mut c = UnixStream::connect(daemon.s()).unwrap();
        c.write_all(&frame(b"L", 0)).unwrap();
        assert_eq!(read_answer(&mut c), [0, 0, 0, 0, 0]);
        assert_eq!(daemon.stop().0, 2, "{d:?}");
        assert!(t.0.join("s").exists(), "socket left in place");
    }
}

#[test]
fn long_identifiers_in_dumps() {
    // Beyond 2: four 255-byte identifiers through getdump.
    let t = Tmp::new("fdh-longid");
    for d in sides() {
        let daemon = Daemon::start(d, &t.0, "s", &[]);
        let ids: Vec<String> = (0..4).map(|i| format!("x{i}{}", "y".repeat(253))).collect();
        for id in &ids {
            ok(client(Side::Ours, "s6-fdholder-store")
                .arg(daemon.s())
                .arg(id)
                .stdin(Stdio::null()));
        }
        let env = dump_env(Side::Ours, daemon.s());
        for id in &ids {
            assert!(env.iter().any(|l| l.ends_with(&format!("={id}"))), "{d:?}");
        }
    }
}

#[test]
fn dumps_of_thousands_of_descriptors() {
    // Beyond 3: 10,000 descriptors through getdump and transferdump.
    let t = Tmp::new("fdh-many");
    let n: usize = 10_000;
    let src = Daemon::start(Side::Ours, &t.0, "src", &["-n", "12000"]);
    let dst = Daemon::start(Side::Ours, &t.0, "dst", &["-n", "12000"]);
    // Fill through raw setdump batches (one descriptor, sent many times).
    let (r, _w) = std::io::pipe().unwrap();
    let mut c = UnixStream::connect(src.s()).unwrap();
    c.write_all(&frame(&[&b"!"[..], &(n as u32).to_be_bytes()].concat(), 0)).unwrap();
    let a = read_answer(&mut c);
    assert_eq!(a, [&[0u8][..], &(n.div_ceil(253) as u32).to_be_bytes()].concat());
    let mut i = 0;
    while i < n {
        let k = (n - i).min(253);
        let mut body = vec![b'.'];
        for j in i..i + k {
            body.extend_from_slice(&[0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            let id = format!("x{j:0>19}");
            body.push(id.len() as u8);
            body.extend_from_slice(id.as_bytes());
            body.push(0);
        }
        send_with_fds(&c, &frame(&body, k as u16), &vec![r.as_raw_fd(); k]);
        let want = if i + k == n { 0 } else { 11 };
        assert_eq!(read_answer(&mut c), [want]);
        i += k;
    }
    drop(c);
    // (sh would drop S6_FD#, not a shell name: env prints it.)
    let out = ok(client(Side::Ours, "s6-fdholder-getdump").arg(src.s()).arg("env"));
    assert!(out.lines().any(|l| l == "S6_FD#=10000"));
    assert_eq!(out.lines().filter(|l| l.starts_with("S6_FDID_")).count(), n);
    assert!(out.lines().any(|l| l == "S6_FDID_9999=x0000000000000009999"));
    ok(client(Side::Ours, "s6-fdholder-transferdump").arg(src.s()).arg(dst.s()));
    assert_eq!(list(Side::Ours, dst.s()).len(), n);
    // 2.15's clients against our daemon, over 253.
    if prog(Side::Ref, "s6-fdholder-list").is_some() {
        assert_eq!(list(Side::Ref, dst.s()).len(), n);
    }
}

/// `send_with_fds(sock, data, fds)`: one sendmsg with SCM_RIGHTS.
fn send_with_fds(sock: &UnixStream, data: &[u8], fds: &[i32]) {
    // SAFETY: plain sendmsg with a control buffer sized for `fds`.
    unsafe {
        let space = libc::CMSG_SPACE(std::mem::size_of_val(fds) as u32) as usize;
        let mut cbuf = vec![0u8; space];
        let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut _, iov_len: data.len() };
        let mut m: libc::msghdr = std::mem::zeroed();
        m.msg_iov = &mut iov;
        m.msg_iovlen = 1;
        m.msg_control = cbuf.as_mut_ptr().cast();
        m.msg_controllen = space as _;
        let cm = libc::CMSG_FIRSTHDR(&m);
        (*cm).cmsg_level = libc::SOL_SOCKET;
        (*cm).cmsg_type = libc::SCM_RIGHTS;
        (*cm).cmsg_len = libc::CMSG_LEN(std::mem::size_of_val(fds) as u32) as _;
        std::ptr::copy_nonoverlapping(fds.as_ptr(), libc::CMSG_DATA(cm).cast(), fds.len());
        let n = libc::sendmsg(sock.as_raw_fd(), &m, 0);
        assert_eq!(n, data.len() as isize);
    }
}

#[test]
fn fdholder_daemon_binds_drops_and_serves_in_one_process() {
    let t = Tmp::new("fdh-daemon");
    fs::set_permissions(&t.0, fs::Permissions::from_mode(0o755)).unwrap();
    let r = rules(&t.0, "^x", "^x");
    // nobody may list too (it is the daemon's own uid after -u).
    let nob = r.join("uid/65534");
    fs::create_dir_all(nob.join("env")).unwrap();
    fs::write(nob.join("allow"), "").unwrap();
    fs::write(nob.join("env/S6_FDHOLDER_LIST"), "\n").unwrap();
    let s = t.0.join("s");
    // Usage and rules checks.
    let out = run(cmd("s6-fdholder-daemon").args(["-i", "r"]));
    assert_eq!(code(&out), 100);
    assert!(
        text(&out.stderr)
            .starts_with("s6-fdholder-daemon: usage: s6-fdholder-daemon [ -v verbosity ]")
    );
    let out = run(cmd("s6-fdholder-daemon").arg(&s));
    assert_eq!(
        (code(&out), text(&out.stderr)),
        (100, "s6-fdholder-daemon: fatal: no access rights specified!\n".into())
    );
    // An empty PATH: nothing is looked up (2.15 exits 127 here).
    let mut c = cmd("s6-fdholder-daemon");
    c.args(["-1", "-u", "65534", "-g", "65534", "-i"]).arg(&r).arg("--").arg(&s);
    c.env("PATH", "").stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "\n");
    let uid = proc_field(child.id() as i32, "Uid");
    assert!(uid.starts_with("65534\t"), "{uid}");
    let mode = fs::metadata(&s).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o777);
    // The root client is refused by... nothing: uid 0 has its rule.
    ok(client(Side::Ours, "s6-fdholder-store").arg(&s).arg("xa").stdin(Stdio::null()));
    assert_eq!(list(Side::Ours, &s), vec!["xa"]);
    // -D with the path taken.
    let out = run(cmd("s6-fdholder-daemon").args(["-D", "-i"]).arg(&r).arg(&s));
    assert_eq!(code(&out), 111);
    assert!(
        text(&out.stderr).contains(&format!("unable to bind to {}: ", s.display())),
        "{}",
        text(&out.stderr)
    );
    // SIGTERM: the warnings and exit code are s6-fdholderd's.
    kill(child.id() as i32, libc::SIGTERM);
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(1));
}

#[test]
fn s6_rc_pipeline_loses_no_line() {
    // s6-rc 0.6 unchanged on s6box's fd-holder, scanner and supervisors:
    // a producer and its logger; the logger restarted three times.
    // (s6-rc's scripts find execline in PATH: 2.15's, after our applets.)
    let (Some(_), Some(_)) = (s6rc("s6-rc-compile"), reference("execlineb")) else { return };
    let t = Tmp::new("fdh-s6rc");
    let d = &t.0;
    let src = d.join("src");
    let n = 300;
    fs::create_dir_all(src.join("producer")).unwrap();
    fs::write(src.join("producer/type"), "longrun\n").unwrap();
    fs::write(src.join("producer/producer-for"), "logger\n").unwrap();
    script(
        &src.join("producer/run"),
        &format!(
            "i=0; while [ $i -lt {n} ]; do i=$((i+1)); echo \"line $i\"; sleep 0.005; done; exec sleep 1000"
        ),
    );
    fs::create_dir_all(src.join("logger")).unwrap();
    fs::write(src.join("logger/type"), "longrun\n").unwrap();
    fs::write(src.join("logger/consumer-for"), "producer\n").unwrap();
    fs::write(src.join("logger/pipeline-name"), "pipe\n").unwrap();
    script(&src.join("logger/run"), &format!("exec s6-log {}", d.join("logs").display()));
    // s6box's applets first in PATH, then 2.15's (execline), then s6-rc.
    let env_path = path_with(&[REFERENCE_BIN, S6RC_BIN]);
    // s6-rc's programs, with s6box's applets first in PATH.
    let rc = |name: &str| {
        let mut c = Command::new(Path::new(S6RC_BIN).join(name));
        c.env("PATH", &env_path);
        c
    };
    ok(rc("s6-rc-compile").arg(d.join("compiled")).arg(&src));
    let scan = d.join("scan");
    fs::create_dir_all(&scan).unwrap();
    let mut svscan = Command::new(applet("s6-svscan"))
        .env("PATH", &env_path)
        .arg(&scan)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let live = d.join("live");
    let result = std::panic::catch_unwind(|| {
        poll(LONG, "s6-svscan running", || scan.join(".s6-svscan/control").exists().then_some(()));
        ok(rc("s6-rc-init").arg("-c").arg(d.join("compiled")).arg("-l").arg(&live).arg(&scan));
        ok(rc("s6-rc").arg("-l").arg(&live).args(["-u", "change", "producer", "logger"]));
        let holder = live.join("servicedirs/s6rc-fdholder/s");
        let ids = list(Side::Ours, &holder);
        assert_eq!(ids, vec!["pipe:s6rc-r-logger", "pipe:s6rc-w-logger"]);
        let logger = live.join("servicedirs/logger");
        let pid = || {
            let o = run(Command::new(applet("s6-svstat")).args(["-o", "pid"]).arg(&logger));
            text(&o.stdout).trim().parse::<i32>().unwrap_or(0)
        };
        for _ in 0..3 {
            let old = pid();
            ok(Command::new(applet("s6-svc")).arg("-r").arg(&logger));
            poll(LONG, "logger restarted", || {
                let p = pid();
                (p != 0 && p != old).then_some(())
            });
        }
        let current = d.join("logs/current");
        let want: String = (1..=n).map(|i| format!("line {i}\n")).collect();
        poll(LONG, "every line logged", || {
            let got = fs::read_to_string(&current).unwrap_or_default();
            (got.lines().count() >= n).then_some(())
        });
        assert_eq!(fs::read_to_string(&current).unwrap(), want, "lines lost or repeated");
        ok(rc("s6-rc").arg("-l").arg(&live).args(["-bda", "change"]));
    });
    let _ = run(Command::new(applet("s6-svscanctl")).arg("-t").arg(&scan));
    end_child(&mut svscan, LONG);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn rules_cdb_reopened_on_sighup_and_invalid_regex() {
    let t = Tmp::new("fdh-cdb");
    let r = rules(&t.0, "^x", "^x");
    let cdb = t.0.join("rules.cdb");
    ok(cmd("s6-accessrules-cdb-from-fs").arg(&cdb).arg(&r));
    for d in sides() {
        let daemon = Daemon::start_with(d, &t.0, "s", &[], &["-x", cdb.to_str().unwrap()]);
        let s = daemon.s();
        ok(client(Side::Ours, "s6-fdholder-store").arg(s).arg("xa").stdin(Stdio::null()));
        // Rules changed and recompiled: not seen until SIGHUP.
        fs::write(r.join("uid/0/env/S6_FDHOLDER_STORE_REGEX"), "^y\n").unwrap();
        ok(cmd("s6-accessrules-cdb-from-fs").arg(&cdb).arg(&r));
        ok(client(Side::Ours, "s6-fdholder-store").arg(s).arg("xb").stdin(Stdio::null()));
        kill(daemon.pid(), libc::SIGHUP);
        poll(LONG, "the new rules", || {
            let o = run(client(Side::Ours, "s6-fdholder-store").arg(s).arg("yc"));
            (code(&o) == 0).then_some(())
        });
        fails(
            client(Side::Ours, "s6-fdholder-store").arg(s).arg("xd").stdin(Stdio::null()),
            1,
            "s6-fdholder-store: fatal: unable to store fd: Operation not permitted",
        );
        fs::write(r.join("uid/0/env/S6_FDHOLDER_STORE_REGEX"), "^x\n").unwrap();
        ok(cmd("s6-accessrules-cdb-from-fs").arg(&cdb).arg(&r));
        drop(daemon);
    }
    // A cdb whose tables point past its end: the lookup fails, the client
    // is disconnected, the daemon warns as 2.15 does.
    let bad = t.0.join("bad.cdb");
    let mut b = Vec::new();
    for _ in 0..256 {
        b.extend_from_slice(&4096u32.to_le_bytes());
        b.extend_from_slice(&5u32.to_le_bytes());
    }
    fs::write(&bad, b).unwrap();
    for d in sides() {
        let daemon = Daemon::start_with(d, &t.0, "s3", &[], &["-x", bad.to_str().unwrap()]);
        fails(
            client(Side::Ours, "s6-fdholder-list").arg(daemon.s()),
            1,
            "s6-fdholder-list: fatal: unable to get fd list: ",
        );
        let (_, err) = daemon.stop();
        assert!(
            err.starts_with("s6-fdholderd: warning: error while checking rules: "),
            "{d:?}: {err}"
        );
    }
    // An invalid regex: the client is disconnected, the daemon warns.
    fs::write(r.join("uid/0/env/S6_FDHOLDER_STORE_REGEX"), "a(\n").unwrap();
    let daemon = Daemon::start(Side::Ours, &t.0, "s2", &[]);
    let err = fails(
        client(Side::Ours, "s6-fdholder-list").arg(daemon.s()),
        1,
        "s6-fdholder-list: fatal: unable to get fd list: ",
    );
    assert!(!err.contains("timed out"), "{err}");
    let (_, err) = daemon.stop();
    assert!(
        err.starts_with("s6-fdholderd: warning: invalid S6_FDHOLDER_STORE_REGEX value: a(: "),
        "{err}"
    );
}

#[test]
fn client_timeout_against_a_silent_server() {
    let t = Tmp::new("fdh-silent");
    let path = t.0.join("s");
    let _l = UnixListener::bind(&path).unwrap(); // never accepts, never answers
    for c in sides() {
        let start = Instant::now();
        let err = fails(
            client(c, "s6-fdholder-list").args(["-t", "300"]).arg(&path),
            1,
            "s6-fdholder-list: fatal: unable to get fd list: ",
        );
        assert!(err.contains("timed out"), "{c:?}: {err}");
        assert!(start.elapsed() >= Duration::from_millis(290));
    }
}

#[test]
fn maxconn_lameduck_and_what_retrieve_leaves() {
    let t = Tmp::new("fdh-limits");
    for d in sides() {
        // -c 1: a second client waits in the backlog (its -t expires)
        // until the first is gone.
        let daemon = Daemon::start(d, &t.0, "s", &["-c", "1"]);
        let mut first = UnixStream::connect(daemon.s()).unwrap();
        first.write_all(&frame(b"L", 0)).unwrap();
        assert_eq!(read_answer(&mut first), [0, 0, 0, 0, 0]);
        fails(
            client(Side::Ours, "s6-fdholder-list").args(["-t", "300"]).arg(daemon.s()),
            1,
            "s6-fdholder-list: fatal: unable to get fd list: ",
        );
        drop(first);
        assert!(list(Side::Ours, daemon.s()).is_empty());
        drop(daemon);
    }
    // -T: a client that never reads its answers does not hold SIGTERM up
    // past the lame-duck timeout.
    let daemon = Daemon::start(Side::Ours, &t.0, "s", &["-T", "300"]);
    let set = || {
        let mut c = client(Side::Ours, "s6-fdholder-setdump");
        c.arg(daemon.s()).env("S6_FD#", "200");
        for i in 0..200 {
            c.env(format!("S6_FD_{i}"), "0").env(format!("S6_FDID_{i}"), format!("x{i:0>250}"));
        }
        c
    };
    ok(set().stdin(Stdio::null()));
    let c = UnixStream::connect(daemon.s()).unwrap();
    let mut c2 = &c;
    for _ in 0..20 {
        c2.write_all(&frame(b"L", 0)).unwrap();
    }
    poll(LONG, "answers pending", || {
        proc_field(daemon.pid(), "State").starts_with('S').then_some(())
    });
    let start = Instant::now();
    let (rc, _) = daemon.stop();
    assert_eq!(rc, 3, "held and connected");
    assert!(start.elapsed() >= Duration::from_millis(250), "{:?}", start.elapsed());
    drop(c);
    // retrieve changes fd 0 and nothing else.
    let daemon = Daemon::start(Side::Ours, &t.0, "s", &[]);
    ok(client(Side::Ours, "s6-fdholder-store").arg(daemon.s()).arg("xa").stdin(Stdio::null()));
    let mut base = Command::new("ls");
    base.arg("/proc/self/fd");
    let before = fd_list(&run(&mut base));
    let mut r = client(Side::Ours, "s6-fdholder-retrieve");
    r.arg(daemon.s()).arg("xa").args(["ls", "/proc/self/fd"]);
    let after = fd_list(&run(&mut r));
    assert_eq!(before, after);
}
