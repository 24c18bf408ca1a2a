//! s6-accessrules-cdb-from-fs and s6-accessrules-fs-from-cdb: cdbs
//! compared by content (key → decoded rule) with Debian's 2.11 compiler
//! (2.15's answers every command line with its usage), trees compared
//! with both references' fs-from-cdb, the temporary file and its
//! clean-up, and hostile inputs: links planted by another user, cdb keys
//! and variable names that would escape the directory.
mod common;
#[path = "common/rules.rs"]
mod rules;

use rules::{allow, mkrule, refs};
use s6box::accessrules::{self, Verdict};
use s6box::cdb;
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn compiler() -> PathBuf {
    common::applet("s6-accessrules-cdb-from-fs")
}

fn decompiler() -> PathBuf {
    common::applet("s6-accessrules-fs-from-cdb")
}

fn run(prog: &Path, args: &[&Path]) -> Output {
    common::run(Command::new(prog).args(args))
}

fn with_umask(prog: &Path, args: &[&Path], mask: u32) -> Output {
    let mut cmd = Command::new(prog);
    cmd.args(args);
    // SAFETY: umask is async-signal-safe; runs in the child before exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(mask as libc::mode_t);
            Ok(())
        });
    }
    common::run(&mut cmd)
}

/// A cdb's content: key → rule, env changes sorted (readdir order is free).
fn content(file: &Path) -> BTreeMap<Vec<u8>, String> {
    let bytes = std::fs::read(file).unwrap();
    cdb::records(&bytes)
        .map(|r| {
            let (k, d) = r.unwrap();
            let v = match accessrules::decode(d).unwrap() {
                Some(Verdict::Allow(mut rule)) => {
                    rule.env.sort();
                    format!("allow {:?} exec {:?}", rule.env, common::text(&rule.exec))
                }
                other => format!("{other:?}"),
            };
            (k.to_vec(), v)
        })
        .collect()
}

/// A tree with every kind of entry the compiler meets.
fn sample(root: &Path) {
    mkrule(
        root,
        "uid/0",
        &[("allow", b""), ("env/FOO", b"val  \t\nx"), ("env/BAR", b""), ("exec", b"echo hi\n")],
    );
    mkrule(root, "uid/self", &[("deny", b"")]);
    mkrule(root, "uid/5", &[("allow", b"x"), ("deny", b"y")]);
    mkrule(root, "uid/6", &[("nothing", b"")]);
    mkrule(
        root,
        "uid/7",
        &[("allow", b""), ("env/NUL", b"a\0b\n"), ("env/E", b"\n"), ("env/.dot", b"no\n")],
    );
    mkrule(root, "uid/default", &[("deny", b"")]);
    mkrule(root, "gid/100", &[("allow", b""), ("env/G", b"g\n"), ("exec", b"")]);
    mkrule(root, "gid/self", &[("allow", b"")]);
    mkrule(root, "ip4/10.0.0.0_8", &[("allow", b"")]);
    mkrule(root, "reversedns/@example.com", &[("deny", b"")]);
    mkrule(root, ".hidden/1", &[("allow", b"")]);
    mkrule(root, "uid/.2", &[("allow", b"")]);
}

#[test]
fn compiles_as_debian() {
    let tmp = common::Tmp::new("rules-compile");
    let root = tmp.0.join("rules");
    sample(&root);
    let ours = tmp.0.join("ours.cdb");
    let out = run(&compiler(), &[&ours, &root]);
    assert_eq!(common::code(&out), 0, "{}", common::text(&out.stderr));
    assert_eq!(common::text(&out.stderr), "");
    let c = content(&ours);
    assert_eq!(c.len(), 9, "{c:?}");
    assert!(!c.contains_key(b"uid/6".as_slice()) && !c.contains_key(b"uid/.2".as_slice()));
    assert_eq!(
        c[b"uid/0".as_slice()],
        "allow [([66, 65, 82], None), ([70, 79, 79], Some([118, 97, 108]))] exec \"echo hi\\n\""
    );
    let Some(deb) = common::debian("s6-accessrules-cdb-from-fs") else { return };
    let theirs = tmp.0.join("theirs.cdb");
    let out = run(&deb, &[&theirs, &root]);
    assert_eq!(common::code(&out), 0);
    assert_eq!(content(&theirs), c);
    assert_eq!(std::fs::metadata(&ours).unwrap().mode() & 0o7777, 0o600);
    assert_eq!(std::fs::metadata(&theirs).unwrap().mode() & 0o7777, 0o600);
}

#[test]
fn limits_as_debian() {
    let tmp = common::Tmp::new("rules-limits");
    let root = tmp.0.join("rules");
    let file = tmp.0.join("r.cdb");
    let deb = common::debian("s6-accessrules-cdb-from-fs");
    // exec: 4095 bytes kept silently; 4096 and more: cut, with a warning.
    for (n, warned) in [(4095, false), (4096, true), (5000, true)] {
        let _ = std::fs::remove_dir_all(&root);
        mkrule(&root, "uid/1", &[("allow", b""), ("exec", &vec![b'e'; n])]);
        let warning = format!(
            "s6-accessrules-cdb-from-fs: warning: possibly truncated file {}/uid/1/exec\n",
            root.display()
        );
        let mut progs = vec![compiler()];
        progs.extend(deb.clone());
        for p in &progs {
            let out = run(p, &[&file, &root]);
            assert_eq!(common::code(&out), 0, "{p:?}");
            assert_eq!(
                common::text(&out.stderr),
                if warned { warning.clone() } else { String::new() },
                "{p:?} {n}"
            );
            let c = content(&file);
            assert!(c[b"uid/1".as_slice()].contains(&"e".repeat(n.min(4096))), "{p:?}");
            assert!(!c[b"uid/1".as_slice()].contains(&"e".repeat(4097)), "{p:?}");
        }
    }
    // env: 4096 bytes compiled (the most both releases' readers accept),
    // more refused (2.11's compiler let up to 4100 through, into records
    // its own reader then refused: compared only where both agree).
    let var = |n: usize| vec![b'x'; n];
    for (sizes, ok) in [
        (&[4092usize][..], true),
        (&[4093usize][..], false),
        (&[2000, 2000][..], true),
        (&[3000, 3000][..], false),
    ] {
        let _ = std::fs::remove_dir_all(&root);
        let files: Vec<(String, Vec<u8>)> =
            sizes.iter().enumerate().map(|(i, &n)| (format!("env/V{i}"), var(n))).collect();
        let mut list: Vec<(&str, &[u8])> =
            files.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        list.push(("allow", b""));
        mkrule(&root, "uid/1", &list);
        std::fs::write(&file, b"old").unwrap();
        let out = run(&compiler(), &[&file, &root]);
        if ok {
            assert_eq!(common::code(&out), 0, "{sizes:?} {}", common::text(&out.stderr));
        } else {
            assert_eq!(common::code(&out), 100, "{sizes:?}");
            assert_eq!(
                common::text(&out.stderr),
                format!(
                    "s6-accessrules-cdb-from-fs: fatal: {}/uid/1/env too big\n",
                    root.display()
                )
            );
            // The old file is untouched and nothing is left beside it.
            assert_eq!(std::fs::read(&file).unwrap(), b"old");
            assert_eq!(std::fs::read_dir(&tmp.0).unwrap().count(), 2);
        }
        if let Some(d) = deb.as_ref().filter(|_| sizes != [4093]) {
            let out = run(d, &[&file, &root]);
            assert_eq!(common::code(&out), if ok { 0 } else { 100 }, "debian {sizes:?}");
        }
    }
}

#[test]
fn errors_as_debian() {
    let tmp = common::Tmp::new("rules-errors");
    let file = tmp.0.join("r.cdb");
    let top_file = tmp.0.join("top-file");
    mkrule(&top_file, "uid/1", &[("allow", b"")]);
    std::fs::write(top_file.join("README"), b"x").unwrap();
    let env_file = tmp.0.join("env-file");
    mkrule(&env_file, "uid/1", &[("allow", b""), ("env", b"x")]);
    let class_file = tmp.0.join("class-file");
    mkrule(&class_file, "uid", &[("1", b"a file")]);
    let missing = tmp.0.join("missing");
    let nodir = tmp.0.join("nodir/r.cdb");
    let cases: Vec<Vec<&Path>> = vec![
        vec![&file, &missing],
        vec![&file, &top_file],
        vec![&file, &env_file],
        vec![&file, &class_file],
        vec![&file],
        vec![],
    ];
    for args in &cases {
        let ours = run(&compiler(), args);
        if let Some(d) = common::debian("s6-accessrules-cdb-from-fs") {
            let theirs = run(&d, args);
            assert_eq!(common::code(&ours), common::code(&theirs), "{args:?}");
            if !args.is_empty() && args.len() == 2 {
                assert_eq!(common::text(&ours.stderr), common::text(&theirs.stderr), "{args:?}");
            }
        }
        assert!(!file.exists(), "{args:?}");
    }
    let out = run(&compiler(), &[]);
    assert_eq!(
        common::text(&out.stderr),
        "s6-accessrules-cdb-from-fs: usage: s6-accessrules-cdb-from-fs [ -m mode ] cdbfile dir\n"
    );
    // No such directory for the file: mkstemp's failure names the template.
    let good = tmp.0.join("good");
    mkrule(&good, "uid/1", &[("allow", b"")]);
    let out = run(&compiler(), &[&nodir, &good]);
    assert_eq!(common::code(&out), 111);
    assert!(
        common::text(&out.stderr).starts_with(&format!(
            "s6-accessrules-cdb-from-fs: fatal: unable to mkstemp {}:s6-accessrules-cdb-from-fs:",
            nodir.display()
        )),
        "{}",
        common::text(&out.stderr)
    );
}

/// The temporary file: beside the target, named
/// `cdbfile:s6-accessrules-cdb-from-fs:XXXXXX`, removed on failure; the
/// target replaced by a rename (a reader holding the old file keeps it).
#[test]
fn temporary_file_and_atomic_replace() {
    let tmp = common::Tmp::new("rules-atomic");
    let root = tmp.0.join("rules");
    mkrule(&root, "uid/1", &[("allow", b"")]);
    let file = tmp.0.join("r.cdb");
    std::fs::write(&file, b"old content").unwrap();
    let held = std::fs::File::open(&file).unwrap();
    let out = with_umask(&compiler(), &[&file, &root], 0);
    assert_eq!(common::code(&out), 0);
    assert_eq!(
        std::fs::metadata(&file).unwrap().mode() & 0o7777,
        0o600,
        "mkstemp's mode whatever the umask"
    );
    assert_ne!(std::fs::metadata(&file).unwrap().ino(), held.metadata().unwrap().ino());
    assert_eq!(std::io::read_to_string(&held).unwrap(), "old content");
    // -m sets the mode exactly.
    for (m, want) in [("0644", 0o644), ("600", 0o600), ("4755", 0o4755), ("0", 0)] {
        let out = common::run(Command::new(compiler()).args(["-m", m]).arg(&file).arg(&root));
        assert_eq!(common::code(&out), 0, "{m}");
        assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o7777, want, "{m}");
    }
    for bad in ["9", "x", "", "77777"] {
        let out = common::run(Command::new(compiler()).args(["-m", bad]).arg(&file).arg(&root));
        assert_eq!(common::code(&out), 100, "-m {bad:?}");
    }
    // A rename that fails (the target is a non-empty directory): the
    // message names the temporary file, which is gone afterwards.
    let target = tmp.0.join("target.cdb");
    std::fs::create_dir_all(target.join("inside")).unwrap();
    let out = run(&compiler(), &[&target, &root]);
    assert_eq!(common::code(&out), 111);
    let err = common::text(&out.stderr);
    let prefix = format!(
        "s6-accessrules-cdb-from-fs: fatal: unable to rename {}:s6-accessrules-cdb-from-fs:",
        target.display()
    );
    assert!(err.starts_with(&prefix), "{err}");
    let suffix = &err[prefix.len()..prefix.len() + 6];
    assert!(suffix.bytes().all(|c| c.is_ascii_alphanumeric()), "{err}");
    assert!(err[prefix.len() + 6..].starts_with(&format!(" to {}: ", target.display())), "{err}");
    let left: Vec<_> = std::fs::read_dir(&tmp.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 3, "{left:?}");
}

/// A whole tree as (path, kind, mode, content).
fn snapshot(dir: &Path) -> BTreeMap<String, (char, u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, (char, u32, Vec<u8>)>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if m.is_dir() {
                out.insert(rel, ('d', m.mode() & 0o7777, Vec::new()));
                walk(base, &p, out);
            } else {
                out.insert(rel, ('f', m.mode() & 0o7777, std::fs::read(&p).unwrap()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

#[test]
fn decompiles_as_references() {
    let tmp = common::Tmp::new("rules-decompile");
    let root = tmp.0.join("rules");
    sample(&root);
    let file = tmp.0.join("r.cdb");
    assert_eq!(common::code(&run(&compiler(), &[&file, &root])), 0);
    for mask in [0o022, 0o077, 0] {
        let ours = tmp.0.join(format!("ours-{mask}"));
        let out = with_umask(&decompiler(), &[&ours, &file], mask);
        assert_eq!(common::code(&out), 0, "{}", common::text(&out.stderr));
        let want = snapshot(&ours);
        assert_eq!(want["uid"].1, 0o755, "directories are 0755 whatever the umask, as in s6");
        assert_eq!(want["uid/0/allow"].1, 0o666 & !mask);
        assert_eq!(want["uid/0/env/FOO"].2, b"val\n");
        assert_eq!(want["uid/0/env/BAR"].2, b"");
        assert_eq!(want["uid/0/exec"].2, b"echo hi\n");
        for (i, r) in refs("s6-accessrules-fs-from-cdb").iter().enumerate() {
            let theirs = tmp.0.join(format!("theirs-{mask}-{i}"));
            let out = with_umask(r, &[&theirs, &file], mask);
            assert_eq!(common::code(&out), 0, "{r:?}");
            assert_eq!(snapshot(&theirs), want, "{r:?} umask {mask:o}");
        }
        // Compiled again: the same records, except a value holding a
        // newline, read back as its first line (as in s6).
        let again = tmp.0.join(format!("again-{mask}.cdb"));
        assert_eq!(common::code(&run(&compiler(), &[&again, &ours])), 0);
        let (mut a, mut b) = (content(&again), content(&file));
        let uid7 = b"uid/7".as_slice();
        assert_eq!(
            a.remove(uid7).unwrap(),
            "allow [([69], Some([])), ([78, 85, 76], Some([97]))] exec \"\""
        );
        assert_eq!(
            b.remove(uid7).unwrap(),
            "allow [([69], Some([])), ([78, 85, 76], Some([97, 10, 98]))] exec \"\""
        );
        assert_eq!(a, b);
    }
}

#[test]
fn decompile_errors_as_references() {
    let tmp = common::Tmp::new("rules-decompile-errors");
    let root = tmp.0.join("rules");
    mkrule(&root, "uid/1", &[("allow", b"")]);
    let file = tmp.0.join("r.cdb");
    assert_eq!(common::code(&run(&compiler(), &[&file, &root])), 0);
    let exists = tmp.0.join("exists");
    std::fs::create_dir(&exists).unwrap();
    let fresh = tmp.0.join("fresh");
    let missing = tmp.0.join("missing.cdb");
    let not_cdb = tmp.0.join("not.cdb");
    std::fs::write(&not_cdb, vec![0xffu8; 3000]).unwrap();
    let empty = tmp.0.join("empty.cdb");
    std::fs::write(&empty, b"").unwrap();
    let short = tmp.0.join("short.cdb");
    std::fs::write(&short, &std::fs::read(&file).unwrap()[..100]).unwrap();
    let cases: Vec<Vec<&Path>> = vec![
        vec![&exists, &file],
        vec![&fresh, &missing],
        vec![&exists, &missing],
        vec![&fresh, &not_cdb],
        vec![&fresh, &empty],
        vec![&fresh, &short],
        vec![&fresh],
    ];
    for args in &cases {
        let ours = run(&decompiler(), args);
        assert!(!fresh.exists(), "{args:?}");
        for r in refs("s6-accessrules-fs-from-cdb") {
            let theirs = run(&r, args);
            assert_eq!(common::code(&ours), common::code(&theirs), "{r:?} {args:?}");
            // 2.11 doubles a ": " in the invalid-cdb line. A garbage
            // header (table 0 past the end): s6 reads a record anyway and
            // calls it invalid data; the file is not a cdb.
            let theirs_text = common::text(&theirs.stderr).replace("fatal: : ", "fatal: ");
            if args.len() == 2 && args[1] != not_cdb {
                assert_eq!(common::text(&ours.stderr), theirs_text, "{r:?} {args:?}");
            }
            assert!(!fresh.exists(), "{r:?} {args:?}");
        }
    }
    let out = run(&decompiler(), &[&exists, &file]);
    assert_eq!(
        common::text(&out.stderr),
        format!(
            "s6-accessrules-fs-from-cdb: fatal: unable to mkdir {}: File exists\n",
            exists.display()
        )
    );
}

/// Keys and variable names that would leave the directory (s6 2.15 and
/// 2.11 create `DIR/../evil`): refused, nothing written anywhere, the
/// partial tree removed.
#[test]
fn hostile_cdb_cannot_escape() {
    let tmp = common::Tmp::new("rules-hostile-cdb");
    let bad: Vec<(&[u8], Vec<u8>)> = vec![
        (b"../evil", b"D".to_vec()),
        (b"uid/../../evil", b"D".to_vec()),
        (b"uid/..", b"D".to_vec()),
        (b"/evil", b"D".to_vec()),
        (b"uid/2/x", b"D".to_vec()),
        (b"foo", b"D".to_vec()),
        (b"uid/1", allow(b"../evil=1\0", b"")),
        (b"uid/1", allow(b"a/b=1\0", b"")),
        (b"uid/1", allow(b"..=1\0", b"")),
        (b"uid/1", allow(b"=1\0", b"")),
        (b"uid/1", allow(b"", &[b'x'; 5000])),
        (b"uid/1", b"A\0".to_vec()),
    ];
    for (i, (key, data)) in bad.iter().enumerate() {
        let mut w = cdb::Writer::new();
        w.add(b"uid/0", b"D").unwrap();
        w.add(key, data).unwrap();
        let file = tmp.0.join(format!("bad{i}.cdb"));
        std::fs::write(&file, w.finish()).unwrap();
        let work = tmp.0.join(format!("w{i}"));
        std::fs::create_dir(&work).unwrap();
        let out = work.join("out");
        let r = run(&decompiler(), &[&out, &file]);
        assert_eq!(common::code(&r), 111, "{i}: {}", common::text(&r.stderr));
        assert_eq!(
            common::text(&r.stderr),
            format!(
                "s6-accessrules-fs-from-cdb: fatal: unable to handle cdb record: {} does not contain valid accessrules data\n",
                file.display()
            )
        );
        assert!(!out.exists(), "{i}: partial tree left");
        assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "{i}");
    }
    assert!(!tmp.0.join("evil").exists());
}

/// Run as root in a directory `nobody` can write: links planted there by
/// nobody are replaced or refused, never followed.
#[test]
fn planted_links_never_followed() {
    let tmp = common::Tmp::new("rules-planted");
    let root = tmp.0.join("rules");
    mkrule(&root, "uid/1", &[("allow", b"")]);
    let victim = tmp.0.join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let victim_dir = tmp.0.join("victim-dir");
    std::fs::create_dir(&victim_dir).unwrap();
    let shared = tmp.0.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let plant = |link: &Path, to: &Path| {
        let mut cmd = Command::new("ln");
        cmd.arg("-sfn").arg(to).arg(link);
        common::as_user(&mut cmd, common::NOBODY.0, common::NOBODY.1);
        assert_eq!(common::code(&common::run(&mut cmd)), 0);
    };
    // The compiler's target is a link to a root file: the link is
    // replaced by the cdb, the file it pointed to untouched.
    let target = shared.join("rules.cdb");
    plant(&target, &victim);
    let out = run(&compiler(), &[&target, &root]);
    assert_eq!(common::code(&out), 0, "{}", common::text(&out.stderr));
    assert!(!std::fs::symlink_metadata(&target).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert_eq!(std::fs::metadata(&target).unwrap().uid(), 0);
    // fs-from-cdb's directory is a planted link: refused, nothing written.
    let out_dir = shared.join("tree");
    plant(&out_dir, &victim_dir);
    let out = run(&decompiler(), &[&out_dir, &target]);
    assert_eq!(common::code(&out), 111);
    assert!(common::text(&out.stderr).ends_with(": File exists\n"));
    assert_eq!(std::fs::read_dir(&victim_dir).unwrap().count(), 0);
    assert!(std::fs::symlink_metadata(&out_dir).unwrap().file_type().is_symlink());
}
