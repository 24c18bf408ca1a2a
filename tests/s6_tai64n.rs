//! s6-tai64n: the stamp format and label against the clock, lines and
//! bytes passed through, the partial last line, flushing, errors.
mod common;

use common::tai::{Session, filter, into_dead_pipe, is_stamp, label_now};
use common::{cmd, code, debian, text};
use std::time::Duration;

/// `split(out)`: (stamp, rest of line with its newline) for each line.
fn split(out: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    out.split_inclusive(|&c| c == b'\n')
        .map(|l| {
            assert!(l.len() >= 26 && is_stamp(&l[..25]) && l[25] == b' ', "bad line {:?}", text(l));
            (l[..25].to_vec(), l[26..].to_vec())
        })
        .collect()
}

fn label(stamp: &[u8]) -> u64 {
    u64::from_str_radix(std::str::from_utf8(&stamp[1..17]).unwrap(), 16).unwrap()
}

#[test]
fn stamps_each_line_with_the_clock() {
    let before = label_now();
    let out = filter(&mut cmd("s6-tai64n"), b"one\ntwo\n\nthree  \n");
    let after = label_now();
    assert_eq!(code(&out), 0);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let lines = split(&out.stdout);
    let rest: Vec<&[u8]> = lines.iter().map(|(_, r)| r.as_slice()).collect();
    assert_eq!(rest, [&b"one\n"[..], b"two\n", b"\n", b"three  \n"]);
    for (stamp, _) in &lines {
        let l = label(stamp);
        assert!(before <= l && l <= after, "label {l:x} not in [{before:x}, {after:x}]");
        let nanos = u32::from_str_radix(std::str::from_utf8(&stamp[17..]).unwrap(), 16).unwrap();
        assert!(nanos < 1_000_000_000);
    }
}

#[test]
fn partial_last_line_gets_a_newline() {
    let out = filter(&mut cmd("s6-tai64n"), b"a\nlast");
    assert_eq!(code(&out), 0);
    let rest: Vec<Vec<u8>> = split(&out.stdout).into_iter().map(|(_, r)| r).collect();
    assert_eq!(rest, [b"a\n".to_vec(), b"last\n".to_vec()]);
    let out = filter(&mut cmd("s6-tai64n"), b"x");
    assert_eq!(split(&out.stdout)[0].1, b"x\n");
}

#[test]
fn empty_input_empty_output() {
    let out = filter(&mut cmd("s6-tai64n"), b"");
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty());
}

#[test]
fn binary_bytes_pass_through() {
    let mut line: Vec<u8> = (0..=255u8).filter(|&c| c != b'\n').collect();
    line.extend_from_slice(b"\r\x00\xff\n");
    let mut input = line.clone();
    input.extend_from_slice(&line);
    let out = filter(&mut cmd("s6-tai64n"), &input);
    assert_eq!(code(&out), 0);
    let lines = split(&out.stdout);
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|(_, r)| *r == line));
}

#[test]
fn one_mebibyte_line() {
    let mut input: Vec<u8> = (0..1 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    input.push(b'\n');
    input.extend_from_slice(b"next\n");
    let out = filter(&mut cmd("s6-tai64n"), &input);
    assert_eq!(code(&out), 0);
    let lines = split(&out.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].1, input[..(1 << 20) + 1]);
    assert_eq!(lines[1].1, b"next\n");
}

#[test]
fn many_lines_in_small_pieces_keep_their_bytes() {
    // Lines of varied lengths, fed a few bytes at a time: every line keeps
    // its bytes, gets one stamp, and stamps never go backwards.
    let mut input = Vec::new();
    for i in 0..3000u32 {
        input.extend((0..i % 97).map(|j| (i * 31 + j) as u8).filter(|&c| c != b'\n'));
        input.push(b'\n');
    }
    let out = common::tai::filter_in_pieces(&mut cmd("s6-tai64n"), &input, 333);
    assert_eq!(code(&out), 0);
    let lines = split(&out.stdout);
    assert_eq!(lines.len(), 3000);
    let joined: Vec<u8> = lines.iter().flat_map(|(_, r)| r.clone()).collect();
    assert_eq!(joined, input);
    assert!(lines.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[test]
fn flushes_each_line_when_input_pauses() {
    let mut s = Session::start(&mut cmd("s6-tai64n"));
    for word in [&b"first\n"[..], b"second\n", b"third\n"] {
        s.send(word);
        let line = s.line(Duration::from_secs(20));
        assert!(is_stamp(&line[..25]) && line[25] == b' ', "{}", text(&line));
        assert_eq!(&line[26..], word);
    }
    // A partial line is flushed as it is, with the stamp of its first
    // byte; its continuation gets no second stamp.
    s.send(b"part");
    let head = s.bytes(30, Duration::from_secs(20));
    assert!(is_stamp(&head[..25]), "{}", text(&head));
    assert_eq!(&head[25..], b" part");
    s.send(b"ial");
    assert_eq!(s.bytes(3, Duration::from_secs(20)), b"ial");
    s.send(b" line\nnext\n");
    assert_eq!(s.line(Duration::from_secs(20)), b" line\n");
    assert_eq!(&s.line(Duration::from_secs(20))[25..], b" next\n");
    // A partial last line is completed at the end.
    s.send(b"last");
    assert_eq!(&s.bytes(30, Duration::from_secs(20))[25..], b" last");
    let (rest, status) = s.finish();
    assert_eq!(status, 0);
    assert_eq!(rest, b"\n");
}

#[test]
fn round_trip_through_debians_tai64nlocal() {
    let Some(local) = debian("s6-tai64nlocal") else { return };
    let stamped = filter(&mut cmd("s6-tai64n"), b"hello\nworld\n").stdout;
    let out = filter(std::process::Command::new(local).arg("-g"), &stamped);
    assert_eq!(code(&out), 0);
    // Debian converts each of our stamps, and agrees with the clock.
    let lines: Vec<&[u8]> = out.stdout.split_inclusive(|&c| c == b'\n').collect();
    assert_eq!(lines.len(), 2);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let gm = |secs: i64| {
        // SAFETY: a zeroed tm is valid; gmtime_r writes into it only.
        let tm = unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            libc::gmtime_r(&secs, &mut tm);
            tm
        };
        format!("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday)
    };
    let days = [gm(now.as_secs() as i64 - 60), gm(now.as_secs() as i64)];
    for (line, word) in lines.iter().zip(["hello\n", "world\n"]) {
        let t = text(line);
        assert!(days.iter().any(|d| t.starts_with(d.as_str())), "{t}");
        assert_eq!(&t[29..], format!(" {word}"));
    }
}

#[test]
fn unknown_option_is_usage() {
    let out = common::run(cmd("s6-tai64n").arg("-x"));
    assert_eq!(code(&out), 100);
    assert_eq!(text(&out.stderr), "s6-tai64n: usage: s6-tai64n\n");
    assert!(out.stdout.is_empty());
}

#[test]
fn unreadable_stdin() {
    let dir = std::fs::File::open("/").unwrap();
    let out = cmd("s6-tai64n").stdin(dir).output().unwrap();
    assert_eq!(code(&out), 111);
    assert_eq!(text(&out.stderr), "s6-tai64n: fatal: unable to read from stdin: Is a directory\n");
}

#[test]
fn closed_stdout_with_sigpipe_default_kills() {
    use std::os::unix::process::ExitStatusExt;
    let out = into_dead_pipe(&mut cmd("s6-tai64n"), false, b"hello\n");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
    assert!(out.stderr.is_empty());
}

#[test]
fn closed_stdout_with_sigpipe_ignored_is_111() {
    let out = into_dead_pipe(&mut cmd("s6-tai64n"), true, b"hello\n");
    assert_eq!(code(&out), 111);
    let want = "s6-tai64n: fatal: unable to write to stdout: Broken pipe\n";
    assert_eq!(text(&out.stderr), want);
    if let Some(deb) = debian("s6-tai64n") {
        let d = into_dead_pipe(&mut std::process::Command::new(deb), true, b"hello\n");
        assert_eq!(code(&d), 111);
        assert_eq!(text(&d.stderr), want);
    }
}

#[test]
fn nonblocking_stdin_waits_instead_of_failing() {
    let mut c = cmd("s6-tai64n");
    common::tai::nonblocking(&mut c, 0);
    let mut s = Session::start(&mut c);
    for word in [&b"one\n"[..], b"two\n"] {
        s.send(word);
        assert_eq!(&s.line(Duration::from_secs(20))[26..], word);
    }
    let (rest, status) = s.finish();
    assert_eq!((rest, status), (Vec::new(), 0));
}

#[test]
fn nonblocking_stdout_waits_instead_of_failing() {
    // 4 MiB of output through a 64 KiB pipe: writes hit EAGAIN often.
    let input: Vec<u8> = (0..1 << 22).map(|i| if i % 1000 == 999 { b'\n' } else { b'z' }).collect();
    let mut c = cmd("s6-tai64n");
    common::tai::nonblocking(&mut c, 1);
    let out = filter(&mut c, &input);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let joined: Vec<u8> = split(&out.stdout).into_iter().flat_map(|(_, r)| r).collect();
    let mut want = input.clone();
    want.push(b'\n');
    assert_eq!(joined, want);
}

#[test]
fn closed_stdin_and_stdout() {
    use std::os::unix::process::CommandExt;
    for (fd, want) in [
        (0, "s6-tai64n: fatal: unable to read from stdin: Bad file descriptor\n"),
        (1, "s6-tai64n: fatal: unable to write to stdout: Bad file descriptor\n"),
    ] {
        let mut c = cmd("s6-tai64n");
        // SAFETY: runs in the child before exec; close is async-signal-safe.
        unsafe {
            c.pre_exec(move || {
                libc::close(fd);
                Ok(())
            });
        }
        let out = filter(&mut c, b"hi\n");
        assert_eq!(code(&out), 111);
        assert_eq!(text(&out.stderr), want);
    }
}

#[test]
fn full_disk_is_a_write_error() {
    // (Debian's program says "unable to read from stdin" here.)
    common::tai::check_full_disk("s6-tai64n");
}

#[test]
fn lines_read_before_a_read_error_are_written() {
    // A pty whose other side closed: the typed lines come, then EIO. Every
    // accepted line is written before the 111 (Debian prints them all).
    let deb = debian("s6-tai64n");
    for program in std::iter::once(common::applet("s6-tai64n")).chain(deb) {
        let out = common::tai::from_hung_up_pty(&mut std::process::Command::new(&program), 50);
        assert_eq!(code(&out), 111, "{}", program.display());
        let got = text(&out.stdout);
        assert_eq!(got.lines().count(), 50, "{}: {got:?}", program.display());
        assert!(got.lines().last().unwrap().ends_with(" line 49"), "{got:?}");
        assert!(text(&out.stderr).contains("unable to read from stdin"), "{}", text(&out.stderr));
    }
}
