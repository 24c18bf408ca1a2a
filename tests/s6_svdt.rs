//! s6-svdt and s6-svdt-clear: the death tally printed (names, numbers,
//! -n) as the 2.15 reference prints it, from crafted records and from a
//! live supervisor's; clearing; error paths.
mod common;

use common::Tmp;
use common::sv;
use common::sv::{Supervisor, compare, supervisors};
use std::time::{SystemTime, UNIX_EPOCH};

fn crafted_tally(path: &std::path::Path) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let mut b = Vec::new();
    for (i, (code, sig)) in
        [(3u8, 0u8), (137, 9), (139, 11), (0, 0), (162, 34), (255, 0)].into_iter().enumerate()
    {
        b.extend_from_slice(&((1u64 << 62) + 37 + now - 10 + i as u64).to_be_bytes());
        b.extend_from_slice(&(123_456_789u32 + i as u32).to_be_bytes());
        b.push(code);
        b.push(sig);
    }
    b.extend_from_slice(&[1, 2, 3]);
    std::fs::write(path, b).unwrap();
}

#[test]
fn crafted_tally_matches_the_reference() {
    let d = Tmp::new("svdt-crafted");
    std::fs::create_dir_all(d.path("sv/supervise")).unwrap();
    crafted_tally(&d.path("sv/supervise/death_tally"));
    for args in [
        &["sv"][..],
        &["-s", "sv"],
        &["-S", "sv"],
        &["-s", "-S", "sv"],
        &["-n", "2", "sv"],
        &["-n", "0", "sv"],
        &["-n", "100", "sv"],
        &["-n", "x", "sv"],
        &["-n", "4294967295", "sv"],
        &["-n", "4294967296", "sv"],
        &["sv", "extra"],
        &[],
    ] {
        compare("s6-svdt", &d.0, args);
    }
}

#[test]
fn error_paths_and_clear() {
    let d = Tmp::new("svdt-errors");
    std::fs::create_dir_all(d.path("nosup")).unwrap();
    std::fs::create_dir_all(d.path("empty/supervise")).unwrap();
    std::fs::write(d.path("afile"), "").unwrap();
    for dir in ["nosup", "empty", "nonexistent", "afile"] {
        compare("s6-svdt", &d.0, &[dir]);
        compare("s6-svdt-clear", &d.0, &[dir]);
    }
    compare("s6-svdt-clear", &d.0, &[]);
    // An empty path: read as 2.15 does; never cleared (2.15 would write
    // /supervise/death_tally): 100, as s6-svc words it.
    compare("s6-svdt", &d.0, &[""]);
    let out = common::run(common::cmd("s6-svdt-clear").arg(""));
    assert_eq!(
        (common::code(&out), common::text(&out.stderr)),
        (100, "s6-svdt-clear: fatal: invalid service path\n".to_string())
    );
    // A missing tally in an existing supervise/ is made, empty, as s6 does.
    assert_eq!(std::fs::read(d.path("empty/supervise/death_tally")).unwrap(), b"");
    std::fs::create_dir_all(d.path("sv/supervise")).unwrap();
    crafted_tally(&d.path("sv/supervise/death_tally"));
    let out = common::run(common::cmd("s6-svdt-clear").arg(d.path("sv")));
    assert_eq!(common::code(&out), 0);
    assert_eq!(std::fs::read(d.path("sv/supervise/death_tally")).unwrap(), b"");
    assert!(!d.path("sv/supervise/death_tally.new").exists());
    let out = common::run(common::cmd("s6-svdt").arg(d.path("sv")));
    assert_eq!((common::code(&out), out.stdout.len()), (0, 0));
}

#[test]
fn permission_denied_as_nobody() {
    let d = Tmp::new("svdt-nobody");
    std::fs::create_dir_all(d.path("sv/supervise")).unwrap();
    crafted_tally(&d.path("sv/supervise/death_tally"));
    std::fs::set_permissions(
        d.path("sv/supervise"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    for name in ["s6-svdt", "s6-svdt-clear"] {
        let ours = common::run(sv::as_nobody(&mut common::cmd(name)).arg(d.path("sv")));
        assert_eq!(common::code(&ours), 111, "{name}");
        if let Some(r) = common::reference(name) {
            let theirs =
                common::run(sv::as_nobody(&mut std::process::Command::new(r)).arg(d.path("sv")));
            assert_eq!((theirs.status.code(), theirs.stderr), (ours.status.code(), ours.stderr));
        }
    }
}

#[test]
fn live_tally() {
    for (label, sup) in supervisors() {
        let d = Tmp::new(&format!("svdt-live-{label}"));
        let sv = d.service("sv", sv::SLEEPER, false);
        let _s = Supervisor::start(&sup, &sv);
        sv::wait_up(&sv);
        common::run(common::cmd("s6-svc").args(["-wd", "-d"]).arg(&sv));
        for args in [&["sv"][..], &["-s", "sv"]] {
            let out = compare("s6-svdt", &d.0, args).unwrap();
            let text = common::text(&out.stdout);
            assert!(
                text.ends_with(" signal SIGTERM\n") || text.ends_with(" signal 15\n"),
                "{text}"
            );
        }
        let out = common::run(common::cmd("s6-svdt-clear").arg(&sv));
        assert_eq!(common::code(&out), 0);
        compare("s6-svdt", &d.0, &["sv"]);
    }
}
