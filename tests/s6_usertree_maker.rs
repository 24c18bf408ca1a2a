//! s6-usertree-maker against the 2.15 reference: the same files (the
//! execlineb path aside), modes, `-r` mode, and the same errors.

mod common;

use common::{Tmp, cmd, code, run, text};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

fn files(dir: &Path) -> Vec<(String, u32, String)> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let m = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let body = if m.is_dir() {
                stack.push(p.clone());
                String::new()
            } else {
                fs::read_to_string(&p)
                    .unwrap()
                    .replace("#!/opt/s6-2.15.0.0/bin/execlineb", "#!/bin/execlineb")
            };
            v.push((rel, m.mode(), body));
        }
    }
    v.sort();
    v
}

#[test]
fn output_matches_reference() {
    let t = Tmp::new("usertree");
    let sets: &[&[&str]] = &[
        &[],
        &[
            "-E",
            "/etc/env",
            "-e",
            "FOO",
            "-e",
            "B\"R\u{e9}",
            "-l",
            "nobody",
            "-t",
            "3",
            "-P",
            "x y",
        ],
        &["-d", "/srv/u", "-p", "/a:/b", "-S", "100", "-n", "3", "-s", "9999"],
        &["-E", "/e", "-d", "${HOME}/sv"],
        &["-e", "IGNORED"],
        &["-r", "svc/lg"],
        &["-r", "svc/lg/pipe", "-t", "0"],
    ];
    for (i, args) in sets.iter().enumerate() {
        let ours = t.0.join(format!("o{i}"));
        let out =
            run(cmd("s6-usertree-maker").args(*args).args(["nobody", "/var/log/u"]).arg(&ours));
        assert_eq!(code(&out), 0, "{args:?}: {}", text(&out.stderr));
        let run_script = if args.contains(&"-r") { ours.join("svc/run") } else { ours.join("run") };
        let script = fs::read_to_string(run_script).unwrap();
        assert!(script.starts_with(
            "#!/bin/execlineb -P\nfdmove -c 2 1\nemptyenv -p\nexport USER \"nobody\"\n"
        ));
        if let Some(r) = common::reference("s6-usertree-maker") {
            let theirs = t.0.join(format!("r{i}"));
            let out = run(Command::new(&r).args(*args).args(["nobody", "/var/log/u"]).arg(&theirs));
            assert_eq!(code(&out), 0);
            assert_eq!(files(&ours), files(&theirs), "{args:?}");
        }
    }
}

#[test]
fn errors_match_reference() {
    let t = Tmp::new("usertree-err");
    let cases: &[&[&str]] = &[
        &["nobody", "rel", "D"],
        &["-d", "rel", "nobody", "/l", "D"],
        &["-t", "4", "nobody", "/l", "D"],
        &["-e", "A=B", "nobody", "/l", "D"],
        &["-r", "a", "nobody", "/l", "D"],
        &["-r", "/a/b", "nobody", "/l", "D"],
        &["-r", "a//c", "nobody", "/l", "D"],
        &["nobody", "/l"],
    ];
    for args in cases {
        let a = run(cmd("s6-usertree-maker").args(*args).current_dir(&t.0));
        assert_eq!(code(&a), 100, "{args:?}");
        assert!(!t.0.join("D").exists());
        if let Some(r) = common::reference("s6-usertree-maker") {
            let b = run(Command::new(&r).args(*args).current_dir(&t.0));
            assert_eq!((code(&a), text(&a.stderr)), (code(&b), text(&b.stderr)), "{args:?}");
        }
    }
    let many: Vec<String> = (0..65).flat_map(|i| ["-e".to_string(), format!("V{i}")]).collect();
    let a = run(cmd("s6-usertree-maker").args(&many).args(["nobody", "/l"]).arg(t.0.join("D")));
    assert_eq!(
        (code(&a), text(&a.stderr)),
        (100, "s6-usertree-maker: fatal: too many -v variables\n".into())
    );
    fs::create_dir(t.0.join("E")).unwrap();
    let a = run(cmd("s6-usertree-maker").args(["nobody", "/l"]).arg(t.0.join("E")));
    assert_eq!(code(&a), 111);
    assert!(text(&a.stderr).ends_with(": File exists\n"));
}
