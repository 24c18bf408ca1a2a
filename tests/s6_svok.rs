//! s6-svok: 0 under a live supervisor (2.15, 2.11), 1 without one, 111 on
//! a path that cannot be checked, 100 usage; as the 2.15 reference.
mod common;

use common::Tmp;
use common::sv;
use common::sv::{Crafted, Supervisor, compare, supervisors};

#[test]
fn live_and_gone() {
    for (label, sup) in supervisors() {
        let d = Tmp::new(&format!("svok-{label}"));
        let sv = d.service("sv", sv::SLEEPER, true);
        let mut s = Supervisor::start(&sup, &sv);
        let out = compare("s6-svok", &d.0, &["sv"]).unwrap();
        assert_eq!(common::code(&out), 0);
        common::kill(s.pid() as i32, libc::SIGTERM);
        s.wait_exit();
        let out = compare("s6-svok", &d.0, &["sv"]).unwrap();
        assert_eq!(common::code(&out), 1);
    }
}

#[test]
fn error_paths() {
    let d = Tmp::new("svok-errors");
    std::fs::create_dir_all(d.path("nosup")).unwrap();
    std::fs::create_dir_all(d.path("nolock/supervise")).unwrap();
    std::fs::write(d.path("afile"), "").unwrap();
    std::fs::create_dir_all(d.path("badsup")).unwrap();
    std::fs::write(d.path("badsup/supervise"), "").unwrap();
    let _c = Crafted::new(&d.path("held"));
    for args in [
        &["nosup"][..],
        &["nolock"],
        &["nonexistent"],
        &["afile"],
        &["badsup"],
        &["held"],
        &["held", "extra"],
        &[],
        &[""],
    ] {
        compare("s6-svok", &d.0, args);
    }
    let out = common::run(common::cmd("s6-svok").current_dir(&d.0).arg("afile"));
    assert_eq!(common::code(&out), 111);
    assert_eq!(
        common::text(&out.stderr),
        "s6-svok: fatal: unable to check afile: Not a directory\n"
    );
}

#[test]
fn permission_denied_as_nobody() {
    let d = Tmp::new("svok-nobody");
    let c = Crafted::new(&d.path("sv"));
    std::fs::set_permissions(
        d.path("sv/supervise"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let ours = common::run(sv::as_nobody(&mut common::cmd("s6-svok")).arg(&c.dir));
    assert_eq!(common::code(&ours), 111);
    if let Some(r) = common::reference("s6-svok") {
        let theirs = common::run(sv::as_nobody(&mut std::process::Command::new(r)).arg(&c.dir));
        assert_eq!((theirs.status.code(), theirs.stderr), (ours.status.code(), ours.stderr));
    }
}
