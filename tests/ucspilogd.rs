//! ucspilogd against the 2.15 reference: the same input gives the same
//! bytes (LF and NUL line ends, TAI64N stamps, variables, `-D`, invalid
//! PRI values, an unterminated last line); a line is written while the
//! connection stays open; under s6-ipcserver with logger's and
//! syslog(3)'s stream formats.

mod common;

use common::{Tmp, cmd, code, run, text};
use std::io::{Read, Write};
use std::process::{Command, Stdio};

const INPUT: &[u8] = b"<13>a line\n<14>second\0<15>third\r\n@400000006745f0a123456789 <13>stamped\n\nno pri\n@40000000 <13>short\n<4294967296>big\n<4294967295>max\n<>x\n<0086>lead\n<13>@400000006745f0a123456789 x\n\xe9\x01\ttab\nlast";

#[test]
fn lines_match_reference() {
    let cases: &[&[&str]] =
        &[&[], &["A"], &["A", "B"], &["-D", "dflt", "A", "B"], &["-D", "", "B"]];
    for args in cases {
        let ours =
            common::run_input(cmd("ucspilogd").args(*args).env("A", "aa").env_remove("B"), INPUT);
        assert_eq!(code(&ours), 0);
        if args.is_empty() {
            assert!(text(&ours.stdout).starts_with("user.notice: a line\nuser.info: second\nuser.debug: third\r\n@400000006745f0a123456789 user.notice: stamped\n\nno pri\n"));
            assert!(text(&ours.stdout).ends_with("\nlast\n"));
        }
        if let Some(r) = common::reference("ucspilogd") {
            let theirs = common::run_input(
                Command::new(r).args(*args).env("A", "aa").env_remove("B"),
                INPUT,
            );
            assert_eq!(text(&ours.stdout), text(&theirs.stdout), "{args:?}");
            assert_eq!(code(&theirs), 0);
        }
    }
    let u = run(cmd("ucspilogd").arg("-D"));
    assert_eq!(code(&u), 100);
    assert_eq!(text(&u.stderr), "ucspilogd: usage: ucspilogd [ -D default ] [ var... ]\n");
}

/// A line comes out while the connection is still open.
#[test]
fn line_not_held_back() {
    let mut child = cmd("ucspilogd").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut i = child.stdin.take().unwrap();
    i.write_all(b"<13>first\0").unwrap();
    let mut o = child.stdout.take().unwrap();
    let mut buf = [0u8; 64];
    let n = o.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"user.notice: first\n");
    drop(i);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// Under s6-ipcserver on a stream socket: util-linux logger (LF ends)
/// and glibc's syslog(3) through python's `syslog` module (NUL ends) on
/// a private /dev/log.
#[test]
fn real_stream_senders() {
    let Some(_) = common::installed("logger") else { return };
    let Some(_) = common::installed("python3") else { return };
    let t = Tmp::new("ucspilogd-real");
    let out = t.0.join("out");
    let script = format!(
        "mkdir -p {d}/dev && mount --bind /dev {d}/dev && mount -t tmpfs none /dev && touch /dev/null && mount --bind {d}/dev/null /dev/null &&
         mkfifo {d}/ready && {{ {srv} -1 /dev/log sh -c 'exec {u} IPCREMOTEEUID >&3' 3>{o} >{d}/ready & P=$!; read x <{d}/ready;
         logger -u /dev/log --socket-errors=on -T -p auth.err -t tg 'stream hello';
         python3 -c 'import syslog
syslog.openlog(\"pyid\", 0, syslog.LOG_DAEMON)
syslog.syslog(syslog.LOG_WARNING, \"one\")
syslog.syslog(syslog.LOG_INFO, \"two\")';
         i=0; while [ $(wc -l <{o}) -lt 3 ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; kill $P; wait $P; }}",
        d = t.0.display(),
        srv = common::applet("s6-ipcserver").display(),
        u = common::applet("ucspilogd").display(),
        o = out.display(),
    );
    let r = run(Command::new("unshare")
        .arg("-m")
        .arg("sh")
        .arg("-c")
        .arg(&script)
        .stdin(Stdio::null()));
    let got = text(&std::fs::read(&out).unwrap());
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 3, "{got} {}", text(&r.stderr));
    assert!(
        lines.iter().any(|l| l.starts_with("0: auth.err: ") && l.ends_with("tg: stream hello")),
        "{got}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("0: daemon.warn: ") && l.ends_with("pyid: one")),
        "{got}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("0: daemon.info: ") && l.ends_with("pyid: two")),
        "{got}"
    );
}
