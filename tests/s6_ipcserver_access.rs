//! s6-ipcserver-access without a server: PROTO, IPCREMOTEEUID and
//! IPCREMOTEEGID in the environment, `-l` or a socket on descriptor 0.
//! Every decision is compared with 2.15 and Debian's 2.11 (exit code,
//! stderr with the pid normalised, the program's environment as a set),
//! with the rules as a directory and as cdbs made by either compiler, read
//! by either reader.
mod common;
#[path = "common/rules.rs"]
mod rules;

use rules::{allow, mkrule, refs};
use s6box::cdb;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

type Env = BTreeMap<Vec<u8>, Vec<u8>>;

/// What one run shows: exit code, stderr (pid normalised), environment.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    code: i32,
    stderr: String,
    env: Env,
    stdout: String,
}

fn ours() -> PathBuf {
    common::applet("s6-ipcserver-access")
}

fn envs(stdout: &[u8]) -> Env {
    stdout
        .split(|&c| c == 0)
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let eq = l.iter().position(|&c| c == b'=')?;
            Some((l[..eq].to_vec(), l[eq + 1..].to_vec()))
        })
        .collect()
}

fn command(prog: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(prog);
    cmd.env_clear().env("PATH", "/usr/bin:/bin").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn seen(out: &Output, with_env: bool) -> Seen {
    Seen {
        code: common::code(out),
        stderr: common::normalise_pids(&common::text(&out.stderr)),
        env: if with_env { envs(&out.stdout) } else { Env::new() },
        stdout: if with_env { String::new() } else { common::text(&out.stdout) },
    }
}

/// `client(prog, uid, gid, opts)`: a run for client uid:gid, printing the
/// program's environment (`env -0`).
fn client<S: AsRef<str>>(prog: &Path, uid: &str, gid: &str, opts: &[S]) -> Seen {
    let env = [
        ("PROTO", "IPC"),
        ("IPCREMOTEEUID", uid),
        ("IPCREMOTEEGID", gid),
        ("IPCREMOTEPATH", "rp"),
        ("IPCCONNNUM", "3"),
        ("KEEP", "k"),
        ("UNSETME", "u"),
    ];
    let mut args: Vec<&str> = opts.iter().map(AsRef::as_ref).collect();
    args.extend(["env", "-0"]);
    seen(&common::run(&mut command(prog, &env, &args)), true)
}

/// A tree with every kind of rule; euid and egid are 0 (tests run as root).
fn tree(root: &Path, default: bool) {
    mkrule(root, "uid/self", &[("allow", b""), ("env/SELF", b"yes\n")]);
    mkrule(root, "uid/5", &[("allow", b""), ("deny", b"")]);
    mkrule(root, "uid/6", &[("nothing", b"x")]);
    mkrule(root, "uid/7", &[("deny", b"")]);
    mkrule(
        root,
        "uid/8",
        &[
            ("allow", b"anything"),
            ("env/A", b"first line  \t\nsecond\n"),
            ("env/UNSETME", b""),
            ("env/NUL", b"a\0b\n"),
            ("env/BLANK", b" \n"),
            ("env/KEEP", b"changed\n"),
            ("env/.hidden", b"no\n"),
        ],
    );
    mkrule(root, "gid/self", &[("allow", b""), ("env/GSELF", b"g\n")]);
    mkrule(root, "gid/20", &[("allow", b""), ("env/G", b"twenty\n")]);
    mkrule(root, "gid/21", &[("deny", b"")]);
    mkrule(root, "ip4/10.0.0.0_8", &[("allow", b"")]);
    mkrule(root, ".hidden/1", &[("allow", b"")]);
    mkrule(root, "uid/.9", &[("allow", b"")]);
    if default {
        mkrule(root, "uid/default", &[("allow", b""), ("env/DEF", b"d\n")]);
    }
}

/// The (uid, gid) pairs tried on every tree.
const CLIENTS: &[(&str, &str)] = &[
    ("0", "0"),
    ("0", "20"),
    ("5", "0"),
    ("6", "20"),
    ("6", "21"),
    ("7", "20"),
    ("8", "21"),
    ("9", "0"),
    ("9", "20"),
    ("9", "21"),
    ("9", "99"),
    ("4294967295", "4294967295"),
];

const OPTS: &[&[&str]] = &[&["-v2", "-l", "loc"], &["-v2", "-E"], &["-l", "loc"], &["-v0", "-E"]];

/// Compiles `dir` with `compiler` into `file`.
fn compile(compiler: &Path, file: &Path, dir: &Path) {
    let out = common::run(Command::new(compiler).arg(file).arg(dir));
    assert_eq!(common::code(&out), 0, "{compiler:?}: {}", common::text(&out.stderr));
}

#[test]
fn decisions_same_as_references_dir_and_cdb_both_ways() {
    let tmp = common::Tmp::new("access-decisions");
    let debian_compiler = common::debian("s6-accessrules-cdb-from-fs");
    let readers = refs("s6-ipcserver-access");
    for default in [true, false] {
        let root = tmp.0.join(format!("rules-{default}"));
        tree(&root, default);
        let ours_cdb = tmp.0.join(format!("ours-{default}.cdb"));
        compile(&common::applet("s6-accessrules-cdb-from-fs"), &ours_cdb, &root);
        let mut cdbs = vec![ours_cdb];
        if let Some(c) = &debian_compiler {
            let theirs = tmp.0.join(format!("debian-{default}.cdb"));
            compile(c, &theirs, &root);
            cdbs.push(theirs);
        }
        let root_s = root.to_str().unwrap();
        for (uid, gid) in CLIENTS {
            for opts in OPTS {
                let with = |extra: &[&str]| -> Vec<String> {
                    opts.iter().chain(extra).map(|s| s.to_string()).collect()
                };
                let want = client(&ours(), uid, gid, &with(&["-i", root_s]));
                // Ours on each cdb, each reference on the tree and each cdb.
                for file in &cdbs {
                    let x = with(&["-x", file.to_str().unwrap()]);
                    assert_eq!(
                        client(&ours(), uid, gid, &x),
                        want,
                        "ours -x {file:?} {uid}:{gid} {opts:?}"
                    );
                    for r in &readers {
                        assert_eq!(
                            client(r, uid, gid, &x),
                            want,
                            "{r:?} -x {file:?} {uid}:{gid} {opts:?}"
                        );
                    }
                }
                for r in &readers {
                    assert_eq!(
                        client(r, uid, gid, &with(&["-i", root_s])),
                        want,
                        "{r:?} -i {uid}:{gid} {opts:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn decisions() {
    let tmp = common::Tmp::new("access-rules");
    tree(&tmp.0, false);
    let dir = tmp.0.to_str().unwrap();
    let run = |uid, gid, extra: &[&str]| {
        client(&ours(), uid, gid, &[&["-v2", "-i", dir], extra].concat())
    };
    // uid/self comes first for our own uid.
    let s = run("0", "20", &["-E"]);
    assert_eq!(s.code, 0);
    assert_eq!(s.env.get(b"SELF".as_slice()).map(Vec::as_slice), Some(b"yes".as_slice()));
    assert!(s.stderr.starts_with("s6-ipcserver-access: info: allow pid P uid 0 gid 20\n"));
    // allow beats deny; a rule with neither is no match; gid rules next.
    assert_eq!(run("5", "21", &["-E"]).code, 0);
    let s = run("6", "20", &["-E"]);
    assert_eq!(s.env.get(b"G".as_slice()).map(Vec::as_slice), Some(b"twenty".as_slice()));
    let s = run("6", "21", &["-E"]);
    assert_eq!(s.code, 1);
    assert_eq!(s.stderr, "s6-ipcserver-access: info: deny pid P uid 6 gid 21: Permission denied\n");
    let s = run("9", "99", &["-E"]);
    assert_eq!(s.code, 1);
    assert_eq!(
        s.stderr,
        "s6-ipcserver-access: info: deny pid P uid 9 gid 99: No such file or directory\n"
    );
    // The env/ changes: first line trimmed, NUL as newline, empty unsets.
    let s = run("8", "21", &["-l", "here"]);
    assert_eq!(s.code, 0);
    let get = |k: &str| s.env.get(k.as_bytes()).map(|v| common::text(v));
    assert_eq!(get("A").as_deref(), Some("first line"));
    assert_eq!(get("NUL").as_deref(), Some("a\nb"));
    assert_eq!(get("BLANK").as_deref(), Some(""));
    assert_eq!(get("KEEP").as_deref(), Some("changed"));
    assert_eq!(get("UNSETME"), None);
    assert_eq!(get(".hidden"), None);
    assert_eq!(get("IPCLOCALPATH").as_deref(), Some("here"));
    assert_eq!(get("PROTO").as_deref(), Some("IPC"));
    // -E removes the UCSPI variables and adds none.
    let s = run("8", "21", &["-E"]);
    for k in
        ["PROTO", "IPCREMOTEEUID", "IPCREMOTEEGID", "IPCREMOTEPATH", "IPCCONNNUM", "IPCLOCALPATH"]
    {
        assert!(!s.env.contains_key(k.as_bytes()), "{k} left by -E");
    }
    // Edits apply to the next client: the directory is read every time.
    std::fs::write(tmp.0.join("uid/7/allow"), b"").unwrap();
    assert_eq!(run("7", "21", &["-E"]).code, 0);
    // A missing rules directory denies everyone.
    let s = client(&ours(), "0", "0", &["-v2", "-i", "/nonexistent/rules", "-E"]);
    assert_eq!(s.code, 1);
    assert!(s.stderr.ends_with(": No such file or directory\n"), "{}", s.stderr);
}

/// Environment errors and options, against both references.
#[test]
fn errors_same_as_references() {
    type Vars = &'static [(&'static str, &'static str)];
    let cases: &[(Vars, &[&str])] = &[
        (&[], &["true"]),
        (&[("PROTO", "IPC")], &["true"]),
        (&[("PROTO", "")], &["true"]),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "x")], &["true"]),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "")], &["true"]),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "-1")], &["true"]),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "+1")], &["true"]),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "4294967296")], &["true"]),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "0")], &["true"]),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "0"), ("IPCREMOTEEGID", "y")], &["true"]),
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "007"), ("IPCREMOTEEGID", "0")],
            &["-v2", "-l", "x", "true"],
        ),
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v2", "-l", "x", "true"],
        ),
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v3", "-l", "x", "true"],
        ),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")], &["-l", "x", "true"]),
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v0", "-l", "x", "true"],
        ),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")], &["-vx", "true"]),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")], &["-z", "true"]),
        (&[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")], &["-v2"]),
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v2", "-l", "x", "nonexistent-prog"],
        ),
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v2", "-x", "/nonexistent.cdb", "true"],
        ),
        // The last of -i and -x wins.
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v2", "-x", "/nonexistent.cdb", "-i", "/nonexistent", "true"],
        ),
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v2", "-i", "/nonexistent", "-x", "/nonexistent.cdb", "true"],
        ),
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v2", "-e", "-E", "-l", "x", "env"],
        ),
        (
            &[("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v2", "-E", "-e", "-l", "x", "env"],
        ),
        // Any PROTO.
        (
            &[("PROTO", "TCP"), ("TCPREMOTEEUID", "1"), ("TCPREMOTEEGID", "0")],
            &["-v2", "-l", "x", "env"],
        ),
        (
            &[("PROTO", "TCP"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")],
            &["-v2", "-l", "x", "env"],
        ),
    ];
    for (env, args) in cases {
        let want = seen(&common::run(&mut command(&ours(), env, args)), false);
        for r in refs("s6-ipcserver-access") {
            let got = seen(&common::run(&mut command(&r, env, args)), false);
            assert_eq!(got, want, "{r:?} {env:?} {args:?}");
        }
    }
    let out = common::run(&mut command(&ours(), &[], &["true"]));
    assert_eq!(common::code(&out), 100);
    assert_eq!(common::text(&out.stderr), "s6-ipcserver-access: fatal: PROTO not set\n");
}

/// `IPCLOCALPATH` from `getsockname` of descriptor 0: a bound socket gives
/// its path, an unbound one the empty string, a non-socket is fatal.
#[test]
fn local_path_from_descriptor_0() {
    let tmp = common::Tmp::new("access-sock");
    let path = tmp.0.join("sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let (unbound, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let env = [("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")];
    let mut progs = vec![ours()];
    progs.extend(refs("s6-ipcserver-access"));
    for prog in &progs {
        let mut cmd = command(prog, &env, &["env", "-0"]);
        cmd.stdin(Stdio::from(std::os::fd::OwnedFd::from(listener.try_clone().unwrap())));
        let s = seen(&cmd.output().unwrap(), true);
        assert_eq!(s.code, 0, "{prog:?} {}", s.stderr);
        let got = s.env.get(b"IPCLOCALPATH".as_slice()).cloned();
        assert_eq!(got.as_deref(), Some(path.to_str().unwrap().as_bytes()), "{prog:?}");

        let mut cmd = command(prog, &env, &["env", "-0"]);
        cmd.stdin(Stdio::from(std::os::fd::OwnedFd::from(unbound.try_clone().unwrap())));
        let s = seen(&cmd.output().unwrap(), true);
        assert_eq!(s.env.get(b"IPCLOCALPATH".as_slice()).map(Vec::as_slice), Some(b"".as_slice()));

        // -E needs no socket.
        let out = common::run(&mut command(prog, &env, &["-E", "true"]));
        assert_eq!(common::code(&out), 0, "{prog:?}");
    }
    // Not a socket: the allow line, then the failure (REASON is the C
    // library's text, so compare with Debian's, glibc like ours).
    let want = common::run(&mut command(&ours(), &env, &["true"]));
    assert_eq!(common::code(&want), 111);
    let err = common::normalise_pids(&common::text(&want.stderr));
    assert_eq!(
        err,
        "s6-ipcserver-access: info: allow pid P uid 1 gid 0\n\
         s6-ipcserver-access: fatal: unable to ipc_local: Socket operation on non-socket\n"
    );
    if let Some(d) = common::debian("s6-ipcserver-access") {
        let got = common::run(&mut command(&d, &env, &["true"]));
        assert_eq!(
            (common::code(&got), common::normalise_pids(&common::text(&got.stderr))),
            (111, err)
        );
    }
}

/// The pid in the info lines is the program's own (it execs into prog).
#[test]
fn info_line_names_own_pid() {
    let env = [("PROTO", "IPC"), ("IPCREMOTEEUID", "3"), ("IPCREMOTEEGID", "4")];
    let out = common::run(&mut command(&ours(), &env, &["-l", "x", "sh", "-c", "echo $$"]));
    assert_eq!(common::code(&out), 0);
    let pid = common::text(&out.stdout).trim().to_string();
    assert_eq!(
        common::text(&out.stderr),
        format!("s6-ipcserver-access: info: allow pid {pid} uid 3 gid 4\n")
    );
}

/// An `exec` rule runs `execlineb -Pc CONTENT` (found in PATH), prog
/// ignored; compared with 2.15, directory and cdb.
#[test]
fn exec_rule() {
    let Some(_) = common::installed("execlineb") else { return };
    let tmp = common::Tmp::new("access-exec");
    let root = tmp.0.join("rules");
    mkrule(&root, "uid/1", &[("allow", b""), ("exec", b"echo from-rule"), ("env/V", b"v\n")]);
    mkrule(&root, "uid/2", &[("allow", b""), ("exec", b"")]);
    mkrule(&root, "uid/3", &[("allow", b""), ("exec", b"echo cut\0 after-nul")]);
    let file = tmp.0.join("rules.cdb");
    compile(&common::applet("s6-accessrules-cdb-from-fs"), &file, &root);
    let mut progs = vec![ours()];
    progs.extend(common::reference("s6-ipcserver-access"));
    for prog in &progs {
        for rules in [["-i", root.to_str().unwrap()], ["-x", file.to_str().unwrap()]] {
            let run = |uid: &str| {
                let env = [("PROTO", "IPC"), ("IPCREMOTEEUID", uid), ("IPCREMOTEEGID", "0")];
                let mut args = vec!["-E"];
                args.extend(rules);
                args.extend(["echo", "from-prog"]);
                common::run(&mut command(prog, &env, &args))
            };
            let out = run("1");
            assert_eq!(common::code(&out), 0, "{prog:?} {}", common::text(&out.stderr));
            assert_eq!(common::text(&out.stdout), "from-rule\n", "{prog:?} {rules:?}");
            assert_eq!(common::text(&run("2").stdout), "from-prog\n", "{prog:?} {rules:?}");
            assert_eq!(common::text(&run("3").stdout), "cut\n", "{prog:?} {rules:?}");
        }
    }
    // execlineb looked up in PATH: not found gives 127.
    let env = [("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")];
    let mut cmd = command(&ours(), &env, &["-E", "-i", root.to_str().unwrap(), "true"]);
    cmd.env("PATH", tmp.0.to_str().unwrap());
    let out = common::run(&mut cmd);
    assert_eq!(common::code(&out), 127);
    assert!(
        common::text(&out.stderr)
            .ends_with("fatal: unable to exec execlineb: No such file or directory\n")
    );
}

/// Odd and malformed records, written by our cdb writer: ours answers as
/// both references do (deny, no match, or `unable to check cdb ruleset`).
#[test]
fn odd_records_same_as_references() {
    let tmp = common::Tmp::new("access-odd");
    let var = |n: usize| [b"V=".as_slice(), &vec![b'x'; n - 3], b"\0"].concat();
    let records: Vec<(u32, Vec<u8>)> = vec![
        (1, b"Dxyz".to_vec()),
        (2, b"X".to_vec()),
        (3, b"".to_vec()),
        (4, b"A\0".to_vec()),
        (5, allow(&var(4096), b"")),
        (6, allow(&var(4097), b"")),
        (7, allow(b"", &[b'e'; 4097])),
        (8, [allow(b"A=1\0", b""), b"x".to_vec()].concat()),
        (9, b"A\0\x04A=1\0\0\x05ab".to_vec()),
        (10, allow(b"A=1\0\0", b"")),
        (11, allow(b"A=b=c\0NOEQ\0", b"")),
    ];
    let mut w = cdb::Writer::new();
    for (uid, data) in &records {
        w.add(format!("uid/{uid}").as_bytes(), data).unwrap();
    }
    let file = tmp.0.join("odd.cdb");
    std::fs::write(&file, w.finish()).unwrap();
    let f = file.to_str().unwrap();
    for (uid, _) in &records {
        let want = client(&ours(), &uid.to_string(), "0", &["-v2", "-E", "-x", f]);
        for r in refs("s6-ipcserver-access") {
            assert_eq!(
                client(&r, &uid.to_string(), "0", &["-v2", "-E", "-x", f]),
                want,
                "{r:?} uid {uid}"
            );
        }
    }
    let s = client(&ours(), "3", "0", &["-v2", "-E", "-x", f]);
    assert_eq!(s.code, 111);
    assert_eq!(
        s.stderr,
        format!(
            "s6-ipcserver-access: fatal: unable to check cdb ruleset in {f}: Invalid argument\n"
        )
    );
    // An env without its final NUL: s6 reads past the record; refused here.
    let mut w = cdb::Writer::new();
    w.add(b"uid/1", &allow(b"A=1", b"")).unwrap();
    std::fs::write(&file, w.finish()).unwrap();
    let s = client(&ours(), "1", "0", &["-v2", "-E", "-x", f]);
    assert_eq!(s.code, 111, "{}", s.stderr);
}

/// Truncated and corrupted cdbs: never a crash (exit 0, 1 or 111).
#[test]
fn corrupt_cdb_never_crashes() {
    let tmp = common::Tmp::new("access-corrupt");
    let root = tmp.0.join("rules");
    tree(&root, true);
    let good = tmp.0.join("good.cdb");
    compile(&common::applet("s6-accessrules-cdb-from-fs"), &good, &root);
    let bytes = std::fs::read(&good).unwrap();
    let file = tmp.0.join("bad.cdb");
    let f = file.to_str().unwrap();
    let mut variants: Vec<Vec<u8>> = Vec::new();
    for cut in [0, 1, 100, 2047, 2048, 2049, 2100, bytes.len() - 1] {
        variants.push(bytes[..cut.min(bytes.len())].to_vec());
    }
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0xff;
        variants.push(b);
    }
    for v in variants {
        std::fs::write(&file, &v).unwrap();
        for (uid, gid) in [("9", "20"), ("8", "21"), ("0", "0")] {
            let s = client(&ours(), uid, gid, &["-E", "-x", f]);
            assert!([0, 1, 111].contains(&s.code), "exit {} {}", s.code, s.stderr);
        }
    }
    let empty = client(&ours(), "1", "0", &["-E", "-x", "/dev/null"]);
    assert_eq!(empty.code, 111);
    assert!(empty.stderr.contains("unable to cdb_init /dev/null: "), "{}", empty.stderr);
}

/// Errors in the tree other than "no such file" are fatal, as in s6.
#[test]
fn broken_tree_is_fatal() {
    let tmp = common::Tmp::new("access-broken");
    let root = tmp.0.join("rules");
    mkrule(&root, "uid/1", &[("allow", b""), ("env", b"not a directory")]);
    mkrule(&root, "uid/2", &[("allow", b""), ("exec/x", b"")]);
    mkrule(&root, "uid", &[("3", b"a file")]);
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = root.to_str().unwrap();
    for uid in ["1", "2", "3"] {
        let want = client(&ours(), uid, "0", &["-v2", "-E", "-i", dir]);
        assert_eq!(want.code, 111, "{uid}: {}", want.stderr);
        assert!(want.stderr.contains("fatal: unable to check fs ruleset in "), "{}", want.stderr);
        for r in refs("s6-ipcserver-access") {
            assert_eq!(client(&r, uid, "0", &["-v2", "-E", "-i", dir]), want, "{r:?} {uid}");
        }
    }
}

/// The program gets no descriptor of s6-ipcserver-access's own (the cdb,
/// the rules directory's files are close-on-exec).
#[test]
fn no_descriptor_leaked() {
    let tmp = common::Tmp::new("access-fds");
    let root = tmp.0.join("rules");
    mkrule(&root, "uid/1", &[("allow", b""), ("env/A", b"a\n")]);
    let file = tmp.0.join("rules.cdb");
    compile(&common::applet("s6-accessrules-cdb-from-fs"), &file, &root);
    let direct = common::fd_list(&common::run(Command::new("ls").arg("/proc/self/fd")));
    for rules in [["-i", root.to_str().unwrap()], ["-x", file.to_str().unwrap()]] {
        let env = [("PROTO", "IPC"), ("IPCREMOTEEUID", "1"), ("IPCREMOTEEGID", "0")];
        let mut args = vec!["-E"];
        args.extend(rules);
        args.extend(["ls", "/proc/self/fd"]);
        let out = common::run(&mut command(&ours(), &env, &args));
        assert_eq!(common::code(&out), 0, "{}", common::text(&out.stderr));
        assert_eq!(common::fd_list(&out), direct, "{rules:?}");
    }
}

/// `uid/self` and `gid/self` follow the effective ids: run as nobody,
/// nobody's own connections match them, root's do not; same as both
/// references.
#[test]
fn self_rules_as_nobody() {
    let tmp = common::Tmp::new("access-self");
    let root = tmp.0.join("rules");
    mkrule(&root, "uid/self", &[("allow", b""), ("env/WHO", b"uid-self\n")]);
    mkrule(&root, "gid/self", &[("allow", b""), ("env/WHO", b"gid-self\n")]);
    mkrule(&root, "uid/0", &[("deny", b"")]);
    let (uid, gid) = common::NOBODY;
    let (u, g) = (uid.to_string(), gid.to_string());
    let dir = root.to_str().unwrap();
    let mut progs = vec![ours()];
    progs.extend(refs("s6-ipcserver-access"));
    let mut results = Vec::new();
    for prog in &progs {
        let mut seen_here = Vec::new();
        for (cu, cg) in [(u.as_str(), g.as_str()), ("5", g.as_str()), ("0", "0"), (u.as_str(), "0")]
        {
            let env = [("PROTO", "IPC"), ("IPCREMOTEEUID", cu), ("IPCREMOTEEGID", cg)];
            let mut cmd = command(prog, &env, &["-v2", "-E", "-i", dir, "env", "-0"]);
            common::as_user(&mut cmd, uid, gid);
            seen_here.push(seen(&common::run(&mut cmd), true));
        }
        results.push(seen_here);
    }
    let who = |s: &Seen| s.env.get(b"WHO".as_slice()).map(|v| common::text(v));
    assert_eq!(who(&results[0][0]).as_deref(), Some("uid-self"));
    assert_eq!(who(&results[0][1]).as_deref(), Some("gid-self"));
    assert_eq!(results[0][2].code, 1);
    assert_eq!(who(&results[0][3]).as_deref(), Some("uid-self"));
    for (prog, r) in progs.iter().zip(&results).skip(1) {
        assert_eq!(r, &results[0], "{prog:?}");
    }
}
