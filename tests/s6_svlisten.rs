//! s6-svlisten1 and s6-svlisten: subscribe, spawn prog (with the
//! inherited signal state), wait; usage, spawn failures, timeouts,
//! failures, against live supervisors and the 2.15 reference.
mod common;

use common::Tmp;
use common::sv;
use common::sv::{Supervisor, compare, listeners, supervisors};

#[test]
fn listen_one_and_many() {
    for (label, sup) in supervisors() {
        let d = Tmp::new(&format!("svlisten-{label}"));
        let a = d.service("a", sv::SLEEPER, true);
        let b = d.service("b", sv::SLEEPER, true);
        let _s = [&a, &b].map(|p| Supervisor::start(&sup, p));
        sv::wait_down(&a);
        sv::wait_down(&b);
        let out = common::run(
            common::cmd("s6-svlisten1")
                .current_dir(&d.0)
                .args(["-u", "-t", "20000", "a", "s6-svc", "-u", "a"])
                .env(
                    "PATH",
                    format!("{}:{}", common::links().display(), std::env::var("PATH").unwrap()),
                ),
        );
        assert_eq!(common::code(&out), 0, "{label}: {}", common::text(&out.stderr));
        assert!(sv::status(&a).unwrap().up());
        let out = common::run(
            common::cmd("s6-svlisten")
                .current_dir(&d.0)
                .args(["-d", "-t", "20000", "a", "b", "", "s6-svc", "-d", "a"])
                .env(
                    "PATH",
                    format!("{}:{}", common::links().display(), std::env::var("PATH").unwrap()),
                ),
        );
        assert_eq!(common::code(&out), 0, "{label}: {}", common::text(&out.stderr));
        // Timeouts, with prog's output, as the reference.
        compare("s6-svlisten1", &d.0, &["-u", "-t", "200", "a", "echo", "hi"]);
        compare("s6-svlisten", &d.0, &["-u", "-t", "200", "a", "b", "", "echo", "hi"]);
        compare("s6-svlisten", &d.0, &["-o", "-d", "-t", "200", "a", "b", "", "echo", "hi"]);
        // Supervisors exiting: s6box's on a, the reference's on b.
        let mut runs = vec![(common::applet("s6-svlisten1"), "a")];
        if let Some(r) = common::reference("s6-svlisten1") {
            runs.push((r, "b"));
        }
        for (prog, dir) in runs {
            let out = sv::run_in(&prog, &d.0, &["-u", "-t", "20000", dir, "s6-svc", "-x", dir]);
            assert_eq!(common::code(&out), 1, "{label} {}", prog.display());
            assert_eq!(
                common::text(&out.stderr),
                format!("s6-svlisten1: fatal: {dir} failed permanently or its supervisor died\n")
            );
        }
        // Supervisors exiting once down: no failure, as 2.15.
        let mut runs = vec![(common::applet("s6-svlisten"), ["c", "e"])];
        if let Some(r) = common::reference("s6-svlisten") {
            runs.push((r, ["f", "g"]));
        }
        for (prog, [x, y]) in runs {
            let [p, q] = [x, y].map(|n| d.service(n, sv::SLEEPER, false));
            let _s = [&p, &q].map(|s| Supervisor::start(&sup, s));
            sv::wait_up(&p);
            sv::wait_up(&q);
            let args = ["-D", "-t", "20000", x, y, "", "s6-svc", "-dx", x, y];
            let out = sv::run_in(&prog, &d.0, &args);
            assert_eq!(
                common::code(&out),
                0,
                "{label} {}: {}",
                prog.display(),
                common::text(&out.stderr)
            );
        }
        assert!(listeners(&a).is_empty() && listeners(&b).is_empty(), "{label}: fifos removed");
    }
}

#[test]
fn usage_and_spawn_failures() {
    let d = Tmp::new("svlisten-usage");
    let sv = d.service("sv", sv::SLEEPER, true);
    std::fs::create_dir_all(sv.join("supervise")).unwrap();
    std::fs::write(sv.join("supervise/status"), [0u8; 35]).unwrap();
    for args in [&["-u", "sv"][..], &["-z", "sv", "true"], &["-t", "x", "sv", "true"], &[]] {
        compare("s6-svlisten1", &d.0, args);
    }
    for args in [
        &["-u", "sv"][..],
        &["-u", "sv", ""],
        &["-u", "", "echo"],
        &["-u", "sv", "echo"],
        &["-u", "", "echo", "hi"],
        &["-u", "", "/nonexistent", "x"],
        &["-d", "sv", "", "true"],
    ] {
        compare("s6-svlisten", &d.0, args);
    }
    compare("s6-svlisten1", &d.0, &["-d", "sv", "true"]);
    let out = compare("s6-svlisten1", &d.0, &["-u", "-t", "100", "sv", "/nonexistent/x"]);
    if let Some(out) = out {
        assert_eq!(common::code(&out), 111);
    }
    assert!(listeners(&sv).is_empty());
}

#[test]
fn prog_inherits_the_signal_state() {
    let d = Tmp::new("svlisten-sig");
    let sv = d.service("sv", sv::SLEEPER, true);
    std::fs::create_dir_all(sv.join("supervise")).unwrap();
    std::fs::write(sv.join("supervise/status"), [0u8; 35]).unwrap();
    let mut cmd = common::cmd("s6-svlisten1");
    common::sigstate(&mut cmd, &[libc::SIGPIPE], &[libc::SIGUSR1]);
    let out = common::run(cmd.current_dir(&d.0).args([
        "-d",
        "sv",
        "sh",
        "-c",
        "exec grep -E '^Sig(Blk|Ign)' /proc/self/status > out",
    ]));
    assert_eq!(common::code(&out), 0);
    let got = common::poll(common::LONG, "prog's output", || {
        std::fs::read_to_string(d.path("out")).ok().filter(|s| s.lines().count() == 2)
    });
    let blk = common::status_field(&got, "SigBlk");
    let ign = common::status_field(&got, "SigIgn");
    assert_eq!(u64::from_str_radix(&blk, 16).unwrap(), 1 << (libc::SIGUSR1 - 1));
    assert_ne!(u64::from_str_radix(&ign, 16).unwrap() & (1 << (libc::SIGPIPE - 1)), 0);
}
