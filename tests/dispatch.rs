//! The multicall binary: dispatch on argv[0], `s6box APPLET`, --list,
//! --help, unknown applets.

mod common;
use common::*;
use std::process::Command;

#[test]
fn list_is_sorted_unique_and_nonempty() {
    let out = run(Command::new(bin()).arg("--list"));
    assert_eq!(code(&out), 0);
    let names: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert!(names.contains(&"s6-applyuidgid".to_string()), "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted);
    assert!(out.stderr.is_empty());
}

#[test]
fn help_lists_applets_and_exits_0() {
    let out = run(Command::new(bin()).arg("--help"));
    assert_eq!(code(&out), 0);
    let t = text(&out.stdout);
    assert!(t.starts_with("usage: s6box"), "{t}");
    assert!(t.contains("s6-applyuidgid"));
}

#[test]
fn bare_s6box_prints_usage_and_exits_100() {
    let out = run(&mut Command::new(bin()));
    assert_eq!(code(&out), 100);
    assert!(text(&out.stderr).starts_with("usage: s6box"));
    assert!(text(&out.stderr).contains("s6-applyuidgid"));
}

#[test]
fn unknown_applet_exits_100() {
    let out = run(Command::new(bin()).arg("s6-nosuch"));
    assert_eq!(code(&out), 100);
    assert_eq!(text(&out.stderr), "s6box: fatal: unknown applet: s6-nosuch\n");
}

#[test]
fn unknown_link_name_exits_100() {
    let dir = Tmp::new("badlink");
    std::os::unix::fs::symlink(bin(), dir.join("s6-applyuidgidx")).unwrap();
    let out = run(&mut Command::new(dir.join("s6-applyuidgidx")));
    assert_eq!(code(&out), 100);
    assert_eq!(text(&out.stderr), "s6box: fatal: unknown applet: s6-applyuidgidx\n");
}

#[test]
fn exact_match_only_no_prefix_guessing() {
    for name in ["s6-apply", "applyuidgid", "s6-applyuidgid.sh", "S6-APPLYUIDGID"] {
        let out = run(Command::new(bin()).arg(name));
        assert_eq!(code(&out), 100, "{name}");
    }
}

#[test]
fn s6box_applet_form_is_the_same_as_the_link() {
    let a = run(Command::new(bin()).args(["s6-applyuidgid", "-g", "7", "id", "-g"]));
    let b = run(cmd("s6-applyuidgid").args(["-g", "7", "id", "-g"]));
    assert_eq!(code(&a), 0);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(text(&a.stdout), "7\n");
    // The applet names itself in messages, whichever way it was called.
    let a = run(Command::new(bin()).args(["s6-applyuidgid"]));
    assert!(text(&a.stderr).starts_with("s6-applyuidgid: usage: s6-applyuidgid "));
}

#[test]
fn link_through_a_path_uses_the_basename() {
    let dir = Tmp::new("deep");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::os::unix::fs::symlink(bin(), dir.join("a/b/s6-applyuidgid")).unwrap();
    let out = run(Command::new(dir.join("a/b/s6-applyuidgid")).args(["true"]));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
}

#[test]
fn applet_help_goes_to_stdout() {
    let out = run(cmd("s6-applyuidgid").arg("--help"));
    assert_eq!(code(&out), 0);
    assert_eq!(
        text(&out.stdout),
        "usage: s6-applyuidgid [ -z ] [ -u uid ] [ -g gid ] [ -G gidlist ] [ -U ] prog...\n"
    );
}
