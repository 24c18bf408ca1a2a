//! The shared test harness itself: a missing reference is a SKIP note
//! locally and a failure under S6BOX_REQUIRE_REFS=1 (as in CI); the
//! asleep-in-poll detector answers as soon as the answer is known.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Run only as a child of `missing_reference_*`: looks a reference up
/// that no installation has.
#[test]
#[ignore]
fn probe_missing_reference() {
    assert!(reference("s6-no-such-program").is_none());
    assert!(debian("s6-no-such-program").is_none());
    assert!(s6rc("s6-rc-no-such-program").is_none());
}

/// `probe(require)`: runs the probe in a child test binary, with or
/// without S6BOX_REQUIRE_REFS=1.
fn probe(require: bool) -> std::process::Output {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", "probe_missing_reference", "--ignored", "--nocapture"]);
    c.env_remove("S6BOX_REQUIRE_REFS");
    if require {
        c.env("S6BOX_REQUIRE_REFS", "1");
    }
    run(&mut c)
}

#[test]
fn missing_reference_skips_locally() {
    let out = probe(false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("SKIP: the 2.15 reference s6-no-such-program is absent"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn missing_reference_fails_when_required() {
    let out = probe(true);
    assert!(!out.status.success());
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains("the 2.15 reference s6-no-such-program is absent, and S6BOX_REQUIRE_REFS=1"),
        "{all}"
    );
}

#[test]
fn asleep_in_poll_sees_a_poll() {
    let t = Tmp::new("harness-poll");
    let fd = t.path("fd");
    assert!(run(cmd("s6-mkfifodir").arg(&fd)).status.success());
    let mut c = cmd("s6-ftrig-wait");
    c.args(["-t", "60000"]).arg(&fd).arg("x").stdout(Stdio::null()).stderr(Stdio::null());
    let w = Reaped::spawn(&mut c);
    asleep_in_poll(w.pid());
    assert_eq!(wakeups(w.pid(), Duration::from_millis(100)), 0);
}

#[test]
fn asleep_in_poll_answers_early_when_it_never_will() {
    // Asleep elsewhere (nanosleep): a failure after 5 s, not 30.
    let s = Reaped::spawn(Command::new("sleep").arg("100").stdin(Stdio::null()));
    let start = Instant::now();
    let r = std::panic::catch_unwind(|| asleep_in_poll(s.pid()));
    assert!(r.is_err());
    assert!(start.elapsed() < Duration::from_secs(15), "{:?}", start.elapsed());
    // Asleep in any call: nanosleep will do.
    asleep(s.pid());
    // Gone: a failure at once.
    let mut s = s.into_inner();
    s.kill().unwrap();
    s.wait().unwrap();
    let start = Instant::now();
    assert!(std::panic::catch_unwind(|| asleep_in_poll(s.id() as i32)).is_err());
    assert!(start.elapsed() < Duration::from_secs(1));
}
