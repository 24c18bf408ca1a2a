//! symlinks.sh: one link per applet from `s6box --list`, idempotent, never
//! clobbering a regular file unless -f.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn script() -> Command {
    Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("symlinks.sh"))
}

fn names() -> Vec<String> {
    let out = run(Command::new(bin()).arg("--list"));
    text(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn makes_one_link_per_applet_idempotently() {
    let dir = Tmp::new("symlinks");
    for _ in 0..2 {
        let out = run(script().arg(&dir).arg(bin()));
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        let mut made: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        made.sort();
        assert_eq!(made, names());
        for n in &made {
            assert_eq!(std::fs::read_link(dir.join(n)).unwrap(), bin());
        }
    }
    // The links work.
    let out = run(Command::new(dir.join("s6-applyuidgid")).arg("true"));
    assert_eq!(code(&out), 0);
}

#[test]
fn refuses_to_clobber_a_file_unless_forced() {
    let dir = Tmp::new("symlinks-clobber");
    let victim = dir.join("s6-applyuidgid");
    std::fs::write(&victim, "precious").unwrap();
    let out = run(script().arg(&dir).arg(bin()));
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("exists and is not a link"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let out = run(script().arg("-f").arg(&dir).arg(bin()));
    assert_eq!(code(&out), 0);
    assert_eq!(std::fs::read_link(&victim).unwrap(), bin());
}

#[test]
fn usage_without_a_directory() {
    let out = run(&mut script());
    assert_eq!(code(&out), 100);
}
