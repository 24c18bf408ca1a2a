//! s6-tai64nlocal: byte-identical with Debian's program across time zones
//! and -g (1970, leap seconds, today, after 2038, malformed stamps), known
//! conversions, pass-through of other lines, flushing, errors.
mod common;

use common::tai::{Session, filter, filter_in_pieces, into_dead_pipe, label_now};
use common::{cmd, code, debian, text};
use std::process::Command;
use std::time::Duration;

const EPOCH: u64 = 1 << 62;

fn stamp(label: u64, nanos: u32) -> String {
    format!("@{label:016x}{nanos:08x}")
}

/// Input covering the interesting stamps, one per line with a tag.
fn samples() -> Vec<u8> {
    let mut s = String::new();
    let mut add =
        |label: u64, nanos: u32, tag: &str| s.push_str(&format!("{} {tag}\n", stamp(label, nanos)));
    // 1970: the Unix epoch is TAI 10 s; before it s6 leaves stamps alone.
    for t in [0u64, 9, 10, 11, 86_400] {
        add(EPOCH + t, 5, &format!("tai{t}"));
    }
    // Around every leap second: 23:59:59, 23:59:60, 00:00:00.
    let leaps: [u64; 27] = [
        78796800, 94694400, 126230400, 157766400, 189302400, 220924800, 252460800, 283996800,
        315532800, 362793600, 394329600, 425865600, 489024000, 567993600, 631152000, 662688000,
        709948800, 741484800, 773020800, 820454400, 867715200, 915148800, 1136073600, 1230768000,
        1341100800, 1435708800, 1483228800,
    ];
    for (i, l) in leaps.iter().enumerate() {
        let before = EPOCH + l - 1 + 10 + i as u64;
        for k in 0..3 {
            add(before + k, 999_999_999, "leap");
        }
    }
    // Today, after 2038, far ahead.
    let now = label_now();
    add(now, 123_456_789, "now");
    add(EPOCH + (1 << 31) + 37 + 400 * 86_400, 7, "after 2038");
    add(EPOCH + (1 << 34), 1, "year 2514");
    add(EPOCH + (1 << 40), 0, "far");
    // Six months apart, for daylight saving time.
    for m in 0..4 {
        add(now + m * 91 * 86_400, 0, "season");
    }
    // Malformed or out of range: passed through.
    add(EPOCH - 100, 7, "before 2^62");
    add(1 << 63, 0, "2^63");
    add(u64::MAX, 0, "max");
    add(EPOCH + 1483228837, 1_000_000_000, "nanos 10^9");
    add(EPOCH + 1483228837, u32::MAX, "nanos max");
    s.push_str("@400000006B06517D1DCD6500 upper case\n");
    s.push_str("@400000006b06517d1dcd6500xno space\n");
    s.push_str("@400000006b06517d1dcd6500\n");
    s.push_str("@400000006b06517d1dcd650 short\n");
    s.push_str("@400000006b06517d1dcd650g bad digit\n");
    s.push_str(" @400000006b06517d1dcd6500 leading space\n");
    s.push_str("@\n\nplain line\n@4000\n");
    s.push_str("@40000000586846a400000000\r\n\r\n@40000000586846a5\r\n");
    s.push_str("@40000000586846a400000000\t\x00tab and NUL\n");
    s.push_str("@400000006b06517d1dcd6500 partial last line");
    s.into_bytes()
}

/// Time zones compared; "" is TZ set empty, "-" TZ unset (/etc/localtime).
const ZONES: [&str; 6] =
    ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "", "-"];

fn run_tz(mut c: Command, tz: &str, g: bool, input: &[u8]) -> std::process::Output {
    if tz == "-" {
        c.env_remove("TZ");
    } else {
        c.env("TZ", tz);
    }
    if g {
        c.arg("-g");
    }
    filter(&mut c, input)
}

#[test]
fn byte_identical_with_debian() {
    let Some(deb) = debian("s6-tai64nlocal") else { return };
    let input = samples();
    for tz in ZONES {
        for g in [false, true] {
            let ours = run_tz(cmd("s6-tai64nlocal"), tz, g, &input);
            let theirs = run_tz(Command::new(&deb), tz, g, &input);
            assert_eq!(code(&ours), 0);
            assert_eq!(code(&theirs), 0);
            assert!(ours.stderr.is_empty(), "{}", text(&ours.stderr));
            assert_eq!(text(&ours.stdout), text(&theirs.stdout), "TZ={tz} -g={g}");
        }
    }
}

#[test]
fn byte_identical_in_small_pieces() {
    // Stamps cut across reads convert the same.
    let Some(deb) = debian("s6-tai64nlocal") else { return };
    let input = samples();
    let mut ours = cmd("s6-tai64nlocal");
    ours.env("TZ", "America/New_York");
    for piece in [1, 7, 24, 26] {
        let out = filter_in_pieces(&mut ours, &input, piece);
        let theirs = run_tz(Command::new(&deb), "America/New_York", false, &input);
        assert_eq!(text(&out.stdout), text(&theirs.stdout), "pieces of {piece}");
    }
}

#[test]
fn known_conversions() {
    let input = [
        stamp(EPOCH + 10, 0),
        stamp(EPOCH + 1483228835, 5),
        stamp(EPOCH + 1483228836, 5),
        stamp(EPOCH + 1483228837, 5),
        stamp(EPOCH + 0x6b06517d, 500_000_000),
    ]
    .map(|s| s + " x\n")
    .concat();
    let out = run_tz(cmd("s6-tai64nlocal"), "UTC", false, input.as_bytes());
    assert_eq!(
        text(&out.stdout),
        "1970-01-01 00:00:00.000000000 x\n\
         2016-12-31 23:59:59.000000005 x\n\
         2016-12-31 23:59:60.000000005 x\n\
         2017-01-01 00:00:00.000000005 x\n\
         2026-11-25 03:09:12.500000000 x\n"
    );
    let out = run_tz(cmd("s6-tai64nlocal"), "Asia/Kolkata", false, input.as_bytes());
    assert!(text(&out.stdout).contains("2017-01-01 05:29:60.000000005 x\n"));
    let out = run_tz(cmd("s6-tai64nlocal"), "Asia/Kolkata", true, input.as_bytes());
    assert!(text(&out.stdout).contains("2016-12-31 23:59:60.000000005 x\n"));
}

#[test]
fn other_lines_pass_through() {
    let input = b"plain\n\n@notastamp\n\x00\xff\xfe binary\r\n@400000006b06517d1dcd650";
    let out = filter(&mut cmd("s6-tai64nlocal"), input);
    assert_eq!(code(&out), 0);
    assert_eq!(out.stdout, input);
}

#[test]
fn empty_input_empty_output() {
    let out = filter(&mut cmd("s6-tai64nlocal"), b"");
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty());
}

#[test]
fn binary_bytes_after_the_stamp() {
    let rest: Vec<u8> = (0..=255u8).filter(|&c| c != b'\n').collect();
    let mut input = stamp(EPOCH + 1483228837, 0).into_bytes();
    input.extend_from_slice(&rest);
    input.push(b'\n');
    let out = run_tz(cmd("s6-tai64nlocal"), "UTC", false, &input);
    let mut want = b"2017-01-01 00:00:00.000000000".to_vec();
    want.extend_from_slice(&rest);
    want.push(b'\n');
    assert_eq!(out.stdout, want);
}

#[test]
fn one_mebibyte_line() {
    let body: Vec<u8> = (0..1 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    let mut input = stamp(EPOCH + 1483228837, 0).into_bytes();
    input.push(b' ');
    input.extend_from_slice(&body);
    input.extend_from_slice(b"\n");
    input.extend_from_slice(&input.clone());
    let out = run_tz(cmd("s6-tai64nlocal"), "UTC", false, &input);
    assert_eq!(code(&out), 0);
    let mut line = b"2017-01-01 00:00:00.000000000 ".to_vec();
    line.extend_from_slice(&body);
    line.push(b'\n');
    assert_eq!(out.stdout, [line.clone(), line].concat());
}

#[test]
fn flushes_each_line_when_input_pauses() {
    let mut c = cmd("s6-tai64nlocal");
    c.arg("-g");
    let mut s = Session::start(&mut c);
    for (i, word) in ["first\n", "second\n", "third\n"].iter().enumerate() {
        s.send(format!("{} {word}", stamp(EPOCH + 1483228837, i as u32)).as_bytes());
        let line = s.line(Duration::from_secs(20));
        assert_eq!(text(&line), format!("2017-01-01 00:00:00.00000000{i} {word}"));
        s.send(b"plain\n");
        assert_eq!(s.line(Duration::from_secs(20)), b"plain\n");
    }
    // A partial line that cannot hold a stamp is not held back (s6 waits
    // for the newline); an unfinished stamp is, until it is complete.
    s.send(b"no stamp");
    assert_eq!(s.bytes(8, Duration::from_secs(20)), b"no stamp");
    s.send(b"\n@4000000058684");
    assert_eq!(s.bytes(1, Duration::from_secs(20)), b"\n");
    s.send(b"6a500000000 end");
    assert_eq!(s.bytes(33, Duration::from_secs(20)), b"2017-01-01 00:00:00.000000000 end");
    s.send(b"\n@4000");
    let (rest, status) = s.finish();
    assert_eq!(status, 0);
    assert_eq!(rest, b"\n@4000");
}

#[test]
fn usage() {
    for args in [&["-x"][..], &["-g", "-t"]] {
        let out = common::run(cmd("s6-tai64nlocal").args(args));
        assert_eq!(code(&out), 100);
        assert_eq!(text(&out.stderr), "s6-tai64nlocal: usage: s6-tai64nlocal [ -g ]\n");
    }
    // Operands are ignored, as by s6.
    let out = filter(cmd("s6-tai64nlocal").args(["-g", "x"]), b"a\n");
    assert_eq!((code(&out), out.stdout), (0, b"a\n".to_vec()));
}

#[test]
fn unreadable_stdin() {
    let dir = std::fs::File::open("/").unwrap();
    let out = cmd("s6-tai64nlocal").stdin(dir).output().unwrap();
    assert_eq!(code(&out), 111);
    assert_eq!(
        text(&out.stderr),
        "s6-tai64nlocal: fatal: unable to read from stdin: Is a directory\n"
    );
}

#[test]
fn closed_stdout_with_sigpipe_default_kills() {
    use std::os::unix::process::ExitStatusExt;
    let out = into_dead_pipe(&mut cmd("s6-tai64nlocal"), false, b"hello\n");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}

#[test]
fn closed_stdout_with_sigpipe_ignored_is_111() {
    // (Debian's s6-tai64nlocal spins on EPIPE here instead of exiting.)
    let out = into_dead_pipe(&mut cmd("s6-tai64nlocal"), true, b"hello\n");
    assert_eq!(code(&out), 111);
    assert_eq!(
        text(&out.stderr),
        "s6-tai64nlocal: fatal: unable to write to stdout: Broken pipe\n"
    );
}

#[test]
fn right_zones_like_debian() {
    // A "right/" zone counts leap seconds in time_t: glibc's localtime_r
    // and gmtime_r apply them. Debian's program still converts stamps to
    // the right civil time there; a Unix time handed to the C library
    // would come out 27 s early.
    let Some(deb) = debian("s6-tai64nlocal") else { return };
    if !std::path::Path::new("/usr/share/zoneinfo/right/UTC").exists() {
        eprintln!("SKIP: no /usr/share/zoneinfo/right");
        return;
    }
    let input = samples();
    for tz in ["right/UTC", "right/Asia/Kolkata", "right/Europe/Paris"] {
        for g in [false, true] {
            let ours = run_tz(cmd("s6-tai64nlocal"), tz, g, &input);
            let theirs = run_tz(Command::new(&deb), tz, g, &input);
            assert_eq!(code(&ours), 0);
            assert_eq!(text(&ours.stdout), text(&theirs.stdout), "TZ={tz} -g={g}");
        }
    }
}

#[test]
fn final_line_that_is_only_a_stamp_is_converted() {
    // The contract converts a final partial line; Debian's program leaves
    // one that is exactly a stamp (25 bytes, no newline) as it is, but
    // converts it when anything follows (a newline, a space).
    for (input, want) in [
        (stamp(EPOCH + 1483228836, 5), "2016-12-31 23:59:60.000000005"),
        (stamp(EPOCH + 1483228836, 5) + "\n", "2016-12-31 23:59:60.000000005\n"),
        (stamp(EPOCH + 1483228837, 0) + "\r\n\r\n", "2017-01-01 00:00:00.000000000\r\n\r\n"),
        ("a\n".to_string() + &stamp(EPOCH + 10, 0), "a\n1970-01-01 00:00:00.000000000"),
    ] {
        for piece in [1, 25, 4096] {
            let out =
                filter_in_pieces(cmd("s6-tai64nlocal").env("TZ", "UTC"), input.as_bytes(), piece);
            assert_eq!((code(&out), text(&out.stdout)), (0, want.to_string()), "{input:?}");
        }
    }
}

#[test]
fn full_disk_is_a_write_error() {
    common::tai::check_full_disk("s6-tai64nlocal");
}

#[test]
fn lines_read_before_a_read_error_are_written() {
    // A pty whose other side closed: the typed lines come, then EIO. Every
    // accepted line is written before the 111 (Debian prints them all).
    let deb = debian("s6-tai64nlocal");
    for program in std::iter::once(common::applet("s6-tai64nlocal")).chain(deb) {
        let out = common::tai::from_hung_up_pty(&mut std::process::Command::new(&program), 50);
        assert_eq!(code(&out), 111, "{}", program.display());
        let got = text(&out.stdout);
        assert_eq!(got.lines().count(), 50, "{}: {got:?}", program.display());
        assert!(got.lines().last().unwrap().ends_with("line 49"), "{got:?}");
        assert!(text(&out.stderr).contains("unable to read from stdin"), "{}", text(&out.stderr));
    }
}
