//! s6-permafailon against the 2.15 reference (and Debian's), on the same
//! death tallies.

mod common;

use common::{cmd, code, debian, reference, run, text};
use std::path::Path;
use std::process::Command;

use common::Tmp;

/// A TAI64N label `ago` seconds before now.
fn stamp(ago: u64) -> [u8; 12] {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut b = [0u8; 12];
    b[..8].copy_from_slice(&((1u64 << 62) + 10 + 27 + now - ago).to_be_bytes());
    b
}

fn tally(dir: &Path, deaths: &[(u64, u8, u8)]) {
    let mut b = Vec::new();
    for &(ago, code, sig) in deaths {
        b.extend_from_slice(&stamp(ago));
        b.push(code);
        b.push(sig);
    }
    std::fs::create_dir_all(dir.join("supervise")).unwrap();
    std::fs::write(dir.join("supervise/death_tally"), b).unwrap();
}

const CASES: &[&str] = &[
    "60 1 1",
    "60 2 1",
    "60 1 SIGKILL",
    "60 1 sig9",
    "60 1 kill",
    "60 1 2-3",
    "60 3 1-3,SIGKILL",
    "60 4 1-3,SIGKILL",
    "200 2 1",
    "60 1 3-2",
    "60 1 256",
    "60 1 ,1",
    "60 1 1,",
    "60 0 5",
    "x 1 1",
    "60 x 1",
    "60 1 SIGFOO",
    "60 1 sig99",
    "60 1 SIG0",
    "60 1 9",
    "60 1 SIGKILL,1-3",
    "60 2 SIGKILL,1-3",
    "0 1 1",
    "60 1 SIG",
    "60 1 foo",
    "60 1 1-",
    "60 1 -3",
    "60 1 1-2-3",
    "60 1 01",
    "60 1 sigkill",
    "60 1 sig65",
    "60 1 0-255",
    "60 1 1x",
    "60 1 3,3",
    "60 1 ,",
    "60 1 sig09",
    "4294967296 1 1",
    "60 4294967296 1",
    "60 5 1",
    "60 5",
    "-- 60 5 1",
];

fn compare(dir: &Path, with: &Path, deb: bool) {
    for case in CASES {
        let args: Vec<&str> = case.split(' ').chain(["echo", "ok"]).collect();
        let a = run(cmd("s6-permafailon").current_dir(dir).args(&args));
        let b = run(Command::new(with).current_dir(dir).args(&args));
        if deb && code(&b) == 100 && code(&a) == 100 {
            continue; // 2.11 words some list errors differently
        }
        assert_eq!(
            (code(&a), text(&a.stdout), text(&a.stderr)),
            (code(&b), text(&b.stdout), text(&b.stderr)),
            "{case}"
        );
    }
}

#[test]
fn same_verdicts_as_the_reference() {
    let t = Tmp::new("permafailon");
    tally(&t.0, &[(100, 1, 0), (5, 1, 0), (3, 137, 9), (1, 3, 0)]);
    if let Some(r) = reference("s6-permafailon") {
        compare(&t.0, &r, false);
    }
    if let Some(d) = debian("s6-permafailon") {
        compare(&t.0, &d, true);
    }
}

#[test]
fn missing_or_odd_tally() {
    let t = Tmp::new("permafailon-missing");
    let a = run(cmd("s6-permafailon").current_dir(&t.0).args(["60", "1", "1", "echo", "ok"]));
    assert_eq!((code(&a), text(&a.stdout)), (0, "ok\n".into()));
    assert_eq!(
        text(&a.stderr),
        "s6-permafailon: warning: unable to stat supervise/death_tally: No such file or directory\n"
    );
    std::fs::create_dir_all(t.0.join("supervise/death_tally")).unwrap();
    let a = run(cmd("s6-permafailon").current_dir(&t.0).args(["60", "1", "1", "echo", "ok"]));
    assert_eq!((code(&a), text(&a.stdout)), (0, "ok\n".into()));
    let a = run(cmd("s6-permafailon").current_dir(&t.0).args(["60", "1", "1", "/nonexistent"]));
    assert_eq!(code(&a), 127);
    // Triggered with no prog: 125; not triggered with no prog: 0.
    std::fs::remove_dir(t.0.join("supervise/death_tally")).unwrap();
    tally(&t.0, &[(1, 1, 0)]);
    assert_eq!(code(&run(cmd("s6-permafailon").current_dir(&t.0).args(["60", "1", "1"]))), 125);
    assert_eq!(code(&run(cmd("s6-permafailon").current_dir(&t.0).args(["60", "2", "1"]))), 0);
}
