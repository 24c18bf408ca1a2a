//! s6-svstat: every line shape and field on crafted states and on live
//! supervisors (2.15 and 2.11), byte for byte against the 2.15 reference;
//! error paths (not a directory, no supervisor, unknown service, nobody).
mod common;

use common::Tmp;
use common::sv;
use common::sv::{Crafted, Supervisor, compare, supervisors};

const ALL: &str = "up,wantedup,normallyup,ready,paused,pid,pgid,exitcode,signal,signum,updownsince,readysince,updownfor,readyfor";

fn all_forms(cwd: &std::path::Path, dir: &str) {
    for args in [
        vec![dir],
        vec!["-n", dir],
        vec!["-o", ALL, dir],
        vec!["-uwNrpgest", dir],
        vec!["-n", "-o", "signal,signum", "-u", dir],
    ] {
        compare("s6-svstat", cwd, &args);
    }
}

#[test]
fn crafted_states_match_the_reference() {
    let d = Tmp::new("svstat-crafted");
    let c = Crafted::new(&d.path("sv"));
    // (pid, wstat, flags, age, ready age): not started, exits, signals
    // (named, unnamed, core dump), up with every flag, finishing.
    let states: &[(u64, u16, u8, i64, i64)] = &[
        (0, 0, 13, 5, 3),
        (0, 0, 5, 5, 3),
        (0, 0, 1, 5, 3),
        (0, 9, 13, 5, 3),
        (0, 3 << 8, 12, 5, 3),
        (0, 3 << 8, 4, 5, 3),
        (0, 0x80 | 11, 4, 5, 3),
        (0, 200 << 8, 0, 5, 3),
        (0, 34, 8, 5, 3),
        (1, 0, 0, 5, 3),
        (1, 0, 13, 5, 3),
        (1, 0x80 | 11, 13, 5, 3),
        (1, 0, 8, 5, 3),
        (1, 0, 4, 70000, 3),
        (0, 0, 8, 5, -3),
    ];
    for &(pid, wstat, flags, age, rage) in states {
        c.set(pid, wstat, flags, age, rage);
        all_forms(&d.0, "sv");
        std::fs::write(d.path("sv/down"), "").unwrap();
        all_forms(&d.0, "sv");
        std::fs::remove_file(d.path("sv/down")).unwrap();
    }
}

#[test]
fn live_supervisors() {
    for (label, sup) in supervisors() {
        let d = Tmp::new(&format!("svstat-live-{label}"));
        let up = d.service("up", sv::SLEEPER, false);
        let down = d.service("down", sv::SLEEPER, true);
        let _a = Supervisor::start(&sup, &up);
        let _b = Supervisor::start(&sup, &down);
        sv::wait_up(&up);
        all_forms(&d.0, "up");
        all_forms(&d.0, "down");
        common::run(common::cmd("s6-svc").args(["-wd", "-d"]).arg(&up));
        all_forms(&d.0, "up");
    }
}

#[test]
fn bad_fields_and_usage() {
    let d = Tmp::new("svstat-usage");
    let _c = Crafted::new(&d.path("sv"));
    _c.set(0, 0, 8, 1, 1);
    for args in [
        &["-o", "up,", "sv"][..],
        &["-o", "", "sv"],
        &["-o", ",", "sv"],
        &["-o", "up,,pid", "sv"],
        &["-o", "u", "sv"],
        &["-o", "foo", "sv"],
        &["-x", "sv"],
        &[],
        &["sv", "extra"],
    ] {
        compare("s6-svstat", &d.0, args);
    }
}

#[test]
fn error_paths() {
    let d = Tmp::new("svstat-errors");
    std::fs::create_dir_all(d.path("nosup")).unwrap();
    std::fs::create_dir_all(d.path("stale/supervise")).unwrap();
    std::fs::write(d.path("stale/supervise/lock"), "").unwrap();
    std::fs::write(d.path("afile"), "").unwrap();
    std::fs::create_dir_all(d.path("badsup")).unwrap();
    std::fs::write(d.path("badsup/supervise"), "").unwrap();
    for dir in ["nosup", "stale", "nonexistent", "afile", "badsup", ""] {
        compare("s6-svstat", &d.0, &[dir]);
    }
    let out = compare("s6-svstat", &d.0, &["nosup"])
        .unwrap_or_else(|| common::run(common::cmd("s6-svstat").current_dir(&d.0).arg("nosup")));
    assert_eq!(common::code(&out), 1);
    assert_eq!(
        common::text(&out.stderr),
        "s6-svstat: fatal: unable to read status for nosup: s6-supervise not running\n"
    );
    // A short status file under a held lock: "Broken pipe", 111.
    let c = Crafted::new(&d.path("short"));
    std::fs::write(c.dir.join("supervise/status"), [0u8; 20]).unwrap();
    compare("s6-svstat", &d.0, &["short"]);
}

#[test]
fn permission_denied_as_nobody() {
    let d = Tmp::new("svstat-nobody");
    let c = Crafted::new(&d.path("sv"));
    c.set(0, 0, 8, 1, 1);
    std::fs::set_permissions(
        d.path("sv/supervise"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let ours = common::run(sv::as_nobody(&mut common::cmd("s6-svstat")).arg(&c.dir));
    assert_eq!(common::code(&ours), 111);
    assert_eq!(
        common::text(&ours.stderr),
        format!("s6-svstat: fatal: unable to check {}: Permission denied\n", c.dir.display())
    );
    if let Some(r) = common::reference("s6-svstat") {
        let theirs = common::run(sv::as_nobody(&mut std::process::Command::new(r)).arg(&c.dir));
        assert_eq!(theirs.status.code(), ours.status.code());
        assert_eq!(theirs.stderr, ours.stderr);
    }
}
