//! s6-svperms against the 2.15 reference: the same changes on two copies
//! of a service directory, the same report.

mod common;

use common::{cmd, code, reference, run, text};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use common::Tmp;

fn chmod(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// A service directory as s6-supervise leaves it.
fn service(dir: &Path) {
    std::fs::create_dir_all(dir.join("supervise")).unwrap();
    std::fs::create_dir_all(dir.join("event")).unwrap();
    common::mkfifo(&dir.join("supervise/control"), 0o600);
    chmod(&dir.join("supervise"), 0o700);
    chmod(&dir.join("supervise/control"), 0o600);
    chmod(&dir.join("event"), 0o3730);
}

fn state(dir: &Path) -> Vec<(u32, u32)> {
    ["supervise", "supervise/control", "event"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| (m.mode() & 0o7777, m.gid()))
        .collect()
}

#[test]
fn changes_and_reports_as_the_reference() {
    let Some(r) = reference("s6-svperms") else { return };
    let t = Tmp::new("svperms");
    let (mine, theirs) = (t.0.join("mine"), t.0.join("theirs"));
    for side in [&mine, &theirs] {
        service(&side.join("sv"));
        std::fs::create_dir_all(side.join("empty")).unwrap();
        std::fs::create_dir_all(side.join("half/supervise")).unwrap();
    }
    let cases: &[&[&str]] = &[
        &["sv"],
        &["-g", "users", "sv"],
        &["-G", "users", "sv"],
        &["-o", "sv"],
        &["-O", "users", "sv"],
        &["-u", "sv"],
        &["-e", "sv"],
        &["-E", "users", "sv"],
        &["-v", "-o", "-e", "sv"],
        &["-v", "-G", ":100", "sv"],
        &["-g", ":4294967295", "sv"],
        &["-g", "nosuchgroup", "sv"],
        &["-g", ":abc", "sv"],
        &["-g", "", "sv"],
        &["-u", "-e", "sv", "missing"],
        &["-o", "-g", "users", "sv"],
        &["sv", "empty", "half"],
        &["-v", "-e", "sv", "empty"],
        &["-G", "users", "half"],
        &["-v", "sv/"],
        &["sv", ""],
        &["-x", "sv"],
        &[],
        &["-u"],
    ];
    for args in cases {
        let a = run(cmd("s6-svperms").current_dir(&mine).args(*args));
        let b = run(Command::new(&r).current_dir(&theirs).args(*args));
        assert_eq!(
            (code(&a), text(&a.stdout), text(&a.stderr)),
            (code(&b), text(&b.stdout), text(&b.stderr)),
            "{args:?}"
        );
        assert_eq!(state(&mine.join("sv")), state(&theirs.join("sv")), "{args:?}");
    }
    // Modes s6-supervise never sets are reported, not guessed at.
    for (file, modes) in [
        ("event", &[0o3730, 0o1733, 0o733, 0o2730, 0o1730, 0o3733, 0o3710][..]),
        ("supervise/control", &[0o620, 0o2620, 0o4620, 0o621, 0o640][..]),
        ("supervise", &[0o700, 0o710, 0o711, 0o2710, 0o4711, 0o1711, 0o701, 0o770][..]),
    ] {
        for &m in modes {
            chmod(&mine.join("sv").join(file), m);
            chmod(&theirs.join("sv").join(file), m);
            let a = run(cmd("s6-svperms").current_dir(&mine).arg("sv"));
            let b = run(Command::new(&r).current_dir(&theirs).arg("sv"));
            assert_eq!(
                (code(&a), text(&a.stdout), text(&a.stderr)),
                (code(&b), text(&b.stdout), text(&b.stderr)),
                "{file} {m:o}"
            );
        }
        let fix = if file == "event" {
            0o3730
        } else if file == "supervise" {
            0o700
        } else {
            0o600
        };
        chmod(&mine.join("sv").join(file), fix);
        chmod(&theirs.join("sv").join(file), fix);
    }
}

/// An empty service path with a change to make: 100 before anything is
/// changed (2.15 would change `/supervise` and `/event`).
#[test]
fn empty_path_changes_nothing() {
    let t = Tmp::new("svperms-empty");
    service(&t.0.join("sv"));
    let before = state(&t.0.join("sv"));
    for args in [&["-e", ""][..], &["-u", "-E", "users", "sv", ""], &["-v", "-o", "", "sv"]] {
        let out = run(cmd("s6-svperms").current_dir(&t.0).args(args));
        assert_eq!(
            (code(&out), text(&out.stdout), text(&out.stderr)),
            (100, String::new(), "s6-svperms: fatal: invalid service path\n".to_string()),
            "{args:?}"
        );
        assert_eq!(state(&t.0.join("sv")), before, "{args:?}");
    }
}
