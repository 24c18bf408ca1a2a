//! s6-sudo, s6-sudoc, s6-sudod: ours against 2.15's (`/opt/s6-2.15.0.0`)
//! and Debian 2.11's (`/usr/bin`) in every pairing, under 2.15's
//! s6-ipcserver and ours; the server options, the timeouts, the client's
//! departure, hostile raw clients, and what the spawned program gets
//! (descriptors, signal state).
mod common;
mod ipc_common;

use common::{Tmp, cmd, poll, text};
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REF: &str = common::REFERENCE_BIN;
const WAIT: Duration = Duration::from_secs(20);

/// Who made a program: s6box, upstream 2.15, Debian's 2.11.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    Ours,
    V215,
    V211,
}

/// `prog(side, name)`: the program, or `None` (`common`'s SKIP note, or
/// failure when the references are required).
fn prog(side: Side, name: &str) -> Option<PathBuf> {
    match side {
        Side::Ours => Some(common::applet(name)),
        Side::V215 => common::reference(name),
        Side::V211 => common::debian(name),
    }
}

/// PATH for a side's chain (2.15's s6-sudo and s6-ipcserver exec their
/// siblings through PATH).
fn path_for(side: Side) -> String {
    match side {
        Side::V215 => format!("{REF}:/usr/bin:/bin"),
        _ => "/usr/bin:/bin".into(),
    }
}

/// The variables the servers run with: two present and empty, one set.
const SERVER_ENV: &[(&str, &str)] =
    &[("EMPTY1", ""), ("EMPTY2", ""), ("SET", "server"), ("IPCLOCALPATH", "")];

/// A running `s6-ipcserver -1 SOCK s6-sudod OPTS /bin/sh -c 'eval "$1"' sh`:
/// the client's first argument is the script the program runs.
struct Server {
    child: Child,
    sock: PathBuf,
    errfile: PathBuf,
    _dir: Tmp,
}

impl Server {
    fn start(ipc: Side, sudod: Side, opts: &[&str]) -> Option<Server> {
        Server::start_with(ipc, sudod, opts, &["/bin/sh", "-c", "eval \"$1\"", "sh"])
    }

    fn start_with(ipc: Side, sudod: Side, opts: &[&str], sargv: &[&str]) -> Option<Server> {
        let server = prog(ipc, "s6-ipcserver")?;
        let sudod = prog(sudod, "s6-sudod")?;
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = Tmp::new(&format!("sudo-{n}"));
        let sock = dir.0.join("s");
        let errfile = dir.0.join("stderr");
        let mut c = Command::new(server);
        c.arg("-1").arg(&sock).arg(sudod).args(opts).args(sargv);
        c.env_clear().envs(SERVER_ENV.iter().copied()).env("PATH", path_for(ipc));
        c.stdin(Stdio::null()).stdout(Stdio::piped());
        c.stderr(std::fs::File::create(&errfile).unwrap());
        common::sv::close_inherited(&mut c);
        let mut child = c.spawn().expect("spawn s6-ipcserver");
        let mut nl = [0u8; 1];
        let got = child.stdout.take().unwrap().read(&mut nl).unwrap_or(0);
        let s = Server { child, sock, errfile, _dir: dir };
        assert_eq!(got, 1, "server not ready: {}", s.stderr());
        Some(s)
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.errfile).unwrap_or_default()
    }

    fn dir(&self) -> &Path {
        &self._dir.0
    }

    /// `client(side, opts, script, args)`: s6-sudo of `side` running
    /// `script` on this server.
    fn client(&self, side: Side, opts: &[&str], script: &str, args: &[&str]) -> Option<Command> {
        let mut c = Command::new(prog(side, "s6-sudo")?);
        c.args(opts).arg(&self.sock).arg(script).args(args);
        c.env_clear().env("PATH", path_for(side));
        Some(c)
    }

    /// Waits until the server has no child left (every s6-sudod done
    /// and reaped: no zombie).
    fn idle(&self) {
        let pid = self.child.id() as i32;
        poll(WAIT, "the server's children to end", || {
            common::children(pid).is_empty().then_some(())
        });
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        common::kill(self.child.id() as i32, libc::SIGTERM);
        let _ = self.child.wait();
    }
}

/// Every (client, s6-ipcserver, s6-sudod) pairing tested.
const PAIRINGS: &[(Side, Side, Side)] = &[
    (Side::Ours, Side::V215, Side::Ours),
    (Side::Ours, Side::V215, Side::V215),
    (Side::Ours, Side::V215, Side::V211),
    (Side::V215, Side::V215, Side::Ours),
    (Side::V211, Side::V215, Side::Ours),
    (Side::Ours, Side::Ours, Side::Ours),
    (Side::V215, Side::Ours, Side::Ours),
    (Side::V211, Side::Ours, Side::V215),
];

#[test]
fn round_trips_in_every_pairing() {
    for &(client, ipc, sudod) in PAIRINGS {
        let Some(srv) = Server::start(ipc, sudod, &[]) else { continue };
        let what = format!("client {client:?}, ipcserver {ipc:?}, sudod {sudod:?}");
        let run =
            |opts: &[&str], script: &str, args: &[&str], input: &[u8], env: &[(&str, &str)]| {
                let mut c = srv.client(client, opts, script, args)?;
                c.envs(env.iter().copied());
                Some(common::run_input(&mut c, input))
            };
        let Some(o) = run(&[], "exit 3", &[], b"", &[]) else { continue };
        assert_eq!(o.status.code(), Some(3), "{what}: {}", text(&o.stderr));
        let o = run(&[], "exit 200", &[], b"", &[]).unwrap();
        assert_eq!(o.status.code(), Some(128), "{what}");
        let o = run(&[], "kill -9 $$", &[], b"", &[]).unwrap();
        assert_eq!(o.status.code(), Some(137), "{what}: signal as 128+n");
        let o = run(&[], "cat; echo err >&2", &[], b"hello\n", &[]).unwrap();
        assert_eq!((text(&o.stdout).as_str(), o.status.code()), ("hello\n", Some(0)), "{what}");
        assert_eq!(text(&o.stderr), "err\n", "{what}");
        let o = run(&[], "shift; printf '%s|' \"$@\"", &["a b", "", "-x"], b"", &[]).unwrap();
        assert_eq!(text(&o.stdout), "a b||-x|", "{what}: arguments");
        let show = "echo \"E1=${EMPTY1-unset} E2=${EMPTY2-unset} S=$SET A=${ABSENT-unset}\"";
        let env = [("EMPTY1", "c1"), ("SET", "client"), ("ABSENT", "client")];
        let o = run(&[], show, &[], b"", &env).unwrap();
        assert_eq!(text(&o.stdout), "E1=c1 E2= S=server A=unset\n", "{what}: env filter");
        let o = run(&["-e"], show, &[], b"", &env).unwrap();
        assert_eq!(text(&o.stdout), "E1= E2= S=server A=unset\n", "{what}: -e");
        // What the program's descriptors are: its stdio, nothing else
        // (ls's own directory descriptor aside).
        let o = run(&[], "exec ls /proc/self/fd", &[], b"", &[]).unwrap();
        let fds: Vec<String> = text(&o.stdout).split_whitespace().map(String::from).collect();
        assert_eq!(fds, ["0", "1", "2", "3"], "{what}: descriptors of the program");
        srv.idle();
    }
}

#[test]
fn client_options_of_the_connection() {
    // IPCLOCALPATH as s6-ipcclient sets it (-l, else -p, else empty),
    // passed through the server's empty variable.
    let Some(srv) = Server::start(Side::V215, Side::Ours, &[]) else { return };
    for side in [Side::Ours, Side::V215] {
        let bind = srv.dir().join(format!("bind-{side:?}"));
        let bind = bind.to_str().unwrap();
        for (opts, want) in [
            (vec![], String::new()),
            (vec!["-l", "name"], "name".to_string()),
            (vec!["-p", bind], bind.to_string()),
        ] {
            let Some(mut c) = srv.client(side, &opts, "echo \"$IPCLOCALPATH\"", &[]) else {
                continue;
            };
            let o = common::run_input(&mut c, b"");
            assert_eq!(
                text(&o.stdout),
                format!("{want}\n"),
                "{side:?} {opts:?}: {}",
                text(&o.stderr)
            );
            let _ = std::fs::remove_file(bind);
        }
        // -v: s6-ipcclient's line.
        let o = common::run_input(&mut srv.client(side, &["-v"], "true", &[]).unwrap(), b"");
        let line =
            format!("s6-ipcclient: info: s6-ipcclient: connected to {}\n", srv.sock.display());
        assert_eq!(text(&o.stderr), line, "{side:?} -v");
    }
    srv.idle();
}

/// `term_script(dir)`: a program that records a SIGTERM in `dir/term`
/// (then ends), prints its pid and closes its stdout.
fn term_script(dir: &Path) -> String {
    let f = dir.join("term");
    format!(
        "trap 'echo TERM > {}; kill $!; exit 0' TERM; echo $$; exec >&-; sleep 60 & wait",
        f.display()
    )
}

fn wait_file(p: &Path) -> String {
    poll(WAIT, &format!("{}", p.display()), || {
        std::fs::read_to_string(p).ok().filter(|s| s.ends_with('\n'))
    })
}

#[test]
fn eof_on_stdout_then_client_killed_gets_the_program_sigterm() {
    for &(client, ipc, sudod) in &[
        (Side::Ours, Side::V215, Side::Ours),
        (Side::V215, Side::V215, Side::Ours),
        (Side::Ours, Side::V215, Side::V215),
        (Side::Ours, Side::Ours, Side::Ours),
    ] {
        let Some(srv) = Server::start(ipc, sudod, &[]) else { continue };
        let Some(mut c) = srv.client(client, &[], &term_script(srv.dir()), &[]) else { continue };
        c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut out = String::new();
        child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        // End-of-file came from the program closing its stdout: the
        // client is still waiting.
        assert!(child.try_wait().unwrap().is_none(), "{client:?}/{sudod:?}: EOF before the end");
        assert!(out.trim().parse::<i32>().is_ok(), "pid line: {out:?}");
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(wait_file(&srv.dir().join("term")), "TERM\n", "{client:?}/{sudod:?}");
        srv.idle();
    }
}

#[test]
fn waiting_client_and_server_never_wake_up() {
    for ipc in [Side::V215, Side::Ours] {
        let Some(srv) = Server::start(ipc, Side::Ours, &[]) else { continue };
        let mut c = srv.client(Side::Ours, &[], &term_script(srv.dir()), &[]).unwrap();
        c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        let mut out = String::new();
        child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        let sudod =
            poll(WAIT, "s6-sudod", || ipc_common::children(srv.child.id()).first().copied());
        ipc_common::assert_idle(child.id(), "s6-sudo");
        ipc_common::assert_idle(sudod, "s6-sudod");
        child.kill().unwrap();
        child.wait().unwrap();
        wait_file(&srv.dir().join("term"));
        srv.idle();
    }
}

#[test]
fn timeoutrun_expiry() {
    for &(client, sudod) in
        &[(Side::Ours, Side::Ours), (Side::V215, Side::Ours), (Side::Ours, Side::V215)]
    {
        let Some(srv) = Server::start(Side::V215, sudod, &[]) else { continue };
        let Some(mut c) = srv.client(client, &["-T", "300"], &term_script(srv.dir()), &[]) else {
            continue;
        };
        let t = Instant::now();
        let o = common::run_input(&mut c, b"");
        assert_eq!(o.status.code(), Some(111), "{client:?}");
        assert!(t.elapsed() < Duration::from_secs(10));
        let e = text(&o.stderr);
        assert!(
            e.contains("fatal: unable to get exit status from server: ") && e.contains("timed out"),
            "{e}"
        );
        assert_eq!(wait_file(&srv.dir().join("term")), "TERM\n");
        srv.idle();
    }
}

#[test]
fn timeoutconn_expiry_on_a_silent_server() {
    for side in [Side::Ours, Side::V215] {
        let Some(sudo) = prog(side, "s6-sudo") else { continue };
        let dir = Tmp::new(&format!("sudo-silent-{side:?}"));
        let sock = dir.0.join("s");
        // Listens, never accepts: the connection waits in the backlog.
        let _l = UnixListener::bind(&sock).unwrap();
        let mut c = Command::new(sudo);
        c.args(["-t", "300"]).arg(&sock).arg("x").env("PATH", path_for(side));
        let t = Instant::now();
        let o = common::run_input(&mut c, b"");
        assert!(t.elapsed() < Duration::from_secs(10));
        assert_eq!(o.status.code(), Some(111), "{side:?}");
        assert!(
            text(&o.stderr).ends_with(
                "fatal: unable to connect to the s6-sudod server - check that you have appropriate permissions\n"
            ),
            "{side:?}: {}",
            text(&o.stderr)
        );
    }
}

#[test]
fn spawn_failure_is_reported() {
    let Some(srv) = Server::start_with(Side::V215, Side::Ours, &[], &["/nonexistent/prog"]) else {
        return;
    };
    let o = common::run_input(&mut srv.client(Side::Ours, &[], "x", &[]).unwrap(), b"");
    assert_eq!(o.status.code(), Some(111));
    assert_eq!(
        text(&o.stderr),
        "s6-sudo: fatal: unable to start privileged program: server answered: No such file or directory\n"
    );
    if let Some(mut c) = srv.client(Side::V215, &[], "x", &[]) {
        let o = common::run_input(&mut c, b"");
        assert_eq!(o.status.code(), Some(111));
        let e = text(&o.stderr);
        assert!(e.contains("server answered") && e.contains("No such file or directory"), "{e}");
    }
    srv.idle();
    assert!(
        srv.stderr().contains("s6-sudod: fatal: unable to spawn /nonexistent/prog: No such file")
    );
}

#[test]
fn server_options() {
    for sudod in [Side::Ours, Side::V215] {
        // -0: stdin is /dev/null.
        let Some(srv) = Server::start(Side::V215, sudod, &["-0"]) else { continue };
        let o = common::run_input(
            &mut srv.client(Side::Ours, &[], "cat; echo done", &[]).unwrap(),
            b"data\n",
        );
        assert_eq!(text(&o.stdout), "done\n", "{sudod:?} -0");
        drop(srv);
        // -1: stdout is /dev/null.
        let srv = Server::start(Side::V215, sudod, &["-1"]).unwrap();
        let o = common::run_input(
            &mut srv.client(Side::Ours, &[], "echo out; echo err >&2", &[]).unwrap(),
            b"",
        );
        assert_eq!(
            (text(&o.stdout).as_str(), text(&o.stderr).as_str()),
            ("", "err\n"),
            "{sudod:?} -1"
        );
        drop(srv);
        // -2: stderr is the server's.
        let srv = Server::start(Side::V215, sudod, &["-2"]).unwrap();
        let o = common::run_input(
            &mut srv.client(Side::Ours, &[], "echo out; echo err2 >&2", &[]).unwrap(),
            b"",
        );
        assert_eq!(
            (text(&o.stdout).as_str(), text(&o.stderr).as_str()),
            ("out\n", ""),
            "{sudod:?} -2"
        );
        srv.idle();
        assert!(srv.stderr().contains("err2\n"), "{sudod:?}: {}", srv.stderr());
        drop(srv);
        // -d: the program outlives its client, untouched.
        let srv = Server::start(Side::V215, sudod, &["-d"]).unwrap();
        let (f1, f2) = (srv.dir().join("started"), srv.dir().join("alive"));
        let script = format!(
            "trap 'echo TERM > {2}' TERM; echo x > {0}; i=0; while [ ! -e {1}.go ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; echo alive >> {2}",
            f1.display(),
            f2.display(),
            f2.display()
        );
        let mut c = srv.client(Side::Ours, &[], &script, &[]).unwrap();
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        wait_file(&f1);
        child.kill().unwrap();
        child.wait().unwrap();
        std::fs::write(format!("{}.go", f2.display()), "").unwrap();
        assert_eq!(wait_file(&f2), "alive\n", "{sudod:?} -d: no SIGTERM");
        srv.idle();
    }
}

#[test]
fn server_timeout_on_a_silent_client() {
    for sudod in [Side::Ours, Side::V215] {
        let Some(srv) = Server::start(Side::V215, sudod, &["-t", "300"]) else { continue };
        let mut s = UnixStream::connect(&srv.sock).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut banner = [0u8; 15];
        s.read_exact(&mut banner).unwrap();
        assert_eq!(&banner, b"s6-sudo b v1.0\n");
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).expect("the server closes the connection");
        assert!(rest.is_empty());
        srv.idle();
        let e = srv.stderr();
        assert!(
            e.contains("s6-sudod: fatal: unable to read message from client: ")
                && e.contains("timed out"),
            "{e}"
        );
    }
}

/// `direct(sudod, opts, sargv)`: s6-sudod run on one end of a socket
/// pair (fds 0 and 1), the other end returned.
fn direct(sudod: &Path, opts: &[&str], sargv: &[&str]) -> (Child, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    let mut c = Command::new(sudod);
    c.args(opts).args(sargv);
    c.stdin(std::os::fd::OwnedFd::from(b.try_clone().unwrap()))
        .stdout(std::os::fd::OwnedFd::from(b))
        .stderr(Stdio::piped());
    (c.spawn().unwrap(), a)
}

fn finish(child: Child) -> (Option<i32>, String) {
    let o = child.wait_with_output().unwrap();
    (o.status.code(), text(&o.stderr))
}

fn frame(len: u32, nfds: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = len.to_be_bytes().to_vec();
    v.extend_from_slice(&nfds.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

#[test]
fn hostile_clients() {
    let good = s6box::sudo::request(&[], &[]);
    let mut bad_banner = good.clone();
    bad_banner[8] = b'x';
    for side in [Side::Ours, Side::V215] {
        let Some(sudod) = prog(side, "s6-sudod") else { continue };
        let devnull = std::fs::File::open("/dev/null").unwrap();
        let three = [devnull.as_fd(), devnull.as_fd(), devnull.as_fd()];
        let cases: Vec<(&str, Vec<u8>, usize, i32, &str)> = vec![
            (
                "wrong banner",
                frame(good.len() as u32, 3, &bad_banner),
                3,
                100,
                "fatal: wrong client banner\n",
            ),
            (
                "2 fds",
                frame(good.len() as u32, 2, &good),
                2,
                100,
                "fatal: client did not send 3 fds\n",
            ),
            (
                "oversized",
                frame(u32::MAX, 3, &good),
                3,
                111,
                "fatal: unable to read message from client: Protocol error\n",
            ),
            ("short", frame(4, 3, b"s6-s"), 3, 100, "fatal: wrong client message\n"),
            (
                "truncated",
                frame(100, 3, b"s6-sudo a"),
                3,
                111,
                "fatal: unable to read message from client: ",
            ),
            ("nothing", Vec::new(), 0, 111, "fatal: unable to read message from client: "),
        ];
        for (what, bytes, nfds, code, msg) in cases {
            let (child, mut s) = direct(&sudod, &[], &["/bin/true"]);
            let mut banner = [0u8; 15];
            s.read_exact(&mut banner).unwrap();
            if !bytes.is_empty() {
                s6box::fdpass::send(s.as_fd(), &bytes, &three[..nfds], None).unwrap();
            }
            s.shutdown(std::net::Shutdown::Write).unwrap();
            let (rc, err) = finish(child);
            assert_eq!(rc, Some(code), "{side:?} {what}: {err}");
            assert!(err.starts_with("s6-sudod: ") && err.contains(msg), "{side:?} {what}: {err}");
            assert_eq!(err.lines().count(), 1, "{side:?} {what}: {err}");
        }
    }
    // A huge announced length costs nothing until the bytes come.
    let (child, mut s) = direct(&common::applet("s6-sudod"), &[], &["/bin/true"]);
    let mut banner = [0u8; 15];
    s.read_exact(&mut banner).unwrap();
    s.write_all(&frame((1 << 24) - 1, 3, b"s6-sudo a v1.0\n")).unwrap();
    let status = format!("/proc/{}/status", child.id());
    let rss: u64 = poll(WAIT, "s6-sudod waiting for the rest", || {
        let st = std::fs::read_to_string(&status).ok()?;
        let state = common::status_field(&st, "State");
        state.starts_with('S').then(|| {
            common::status_field(&st, "VmRSS").trim_end_matches(" kB").trim().parse().unwrap()
        })
    });
    assert!(rss < 4096, "s6-sudod grew to {rss} kB for an announced length");
    drop(s);
    let (rc, err) = finish(child);
    assert_eq!(rc, Some(111), "{err}");
}

#[test]
fn program_gets_the_servers_signal_state() {
    // s6-sudod started with SIGPIPE ignored and SIGUSR1 blocked, run
    // directly (2.15's s6-ipcserverd would reset both for it).
    let (a, b) = UnixStream::pair().unwrap();
    let mut d = cmd("s6-sudod");
    d.args(["/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]);
    d.stdin(std::os::fd::OwnedFd::from(b.try_clone().unwrap()))
        .stdout(std::os::fd::OwnedFd::from(b))
        .stderr(Stdio::piped());
    common::sigstate(&mut d, &[libc::SIGPIPE], &[libc::SIGUSR1]);
    let d = d.spawn().unwrap();
    // s6-sudod's own start-up state (it waits for the message: nothing
    // caught or blocked yet), whatever else the harness left ignored.
    let st = std::fs::read_to_string(format!("/proc/{}/status", d.id())).unwrap();
    let (blk, ign) = (common::status_field(&st, "SigBlk"), common::status_field(&st, "SigIgn"));
    assert_eq!(u64::from_str_radix(&blk, 16).unwrap() & 0x200, 0x200);
    assert_eq!(u64::from_str_radix(&ign, 16).unwrap() & 0x1000, 0x1000);
    let mut c = cmd("s6-sudoc");
    common::fds_to(&mut c, &[(a.as_raw_fd(), 6), (a.as_raw_fd(), 7)]);
    let o = common::run_input(&mut c, b"");
    drop(a);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        format!("SigBlk:\t{blk}\nSigIgn:\t{ign}\n"),
        "the program's mask and ignored signals"
    );
    assert_eq!(finish(d).0, Some(0));
}

#[test]
fn sudoc_under_the_references_ipcclient_and_usage() {
    // Our s6-sudoc exec'd by 2.15's s6-ipcclient, against 2.15's server.
    if let (Some(ipcclient), Some(srv)) =
        (prog(Side::V215, "s6-ipcclient"), Server::start(Side::V215, Side::V215, &[]))
    {
        let mut c = Command::new(ipcclient);
        c.arg(&srv.sock).arg(common::applet("s6-sudoc")).arg("echo \"$PROTO $IPCLOCALPATH.\"");
        c.env_clear().env("PROTO", "").env("IPCLOCALPATH", "");
        let o = common::run_input(&mut c, b"");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        srv.idle();
    }
    for (name, line) in [
        ("s6-sudoc", "s6-sudoc [ -e ] [ -t timeoutconn ] [ -T timeoutrun ] [ args... ]"),
        ("s6-sudod", "s6-sudod [ -0 ] [ -1 ] [ -2 ] [ -d ] [ -t timeout ] args..."),
        (
            "s6-sudo",
            "s6-sudo [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] [ -e ] [ -t timeout ] [ -T timeoutrun ] path [ args... ]",
        ),
    ] {
        let o = common::run(cmd(name).arg("-x"));
        assert_eq!(o.status.code(), Some(100));
        assert_eq!(text(&o.stderr), format!("{name}: usage: {line}\n"));
    }
    let o = common::run(&mut cmd("s6-sudo"));
    assert_eq!(o.status.code(), Some(100));
    let o = common::run(cmd("s6-sudoc").arg("x"));
    assert_eq!(o.status.code(), Some(111));
    assert_eq!(
        text(&o.stderr),
        "s6-sudoc: fatal: unable to make socket non-blocking: Bad file descriptor\n"
    );
    let o = common::run(cmd("s6-sudo").arg("/nonexistent/sock"));
    assert_eq!(o.status.code(), Some(111));
    assert_eq!(
        text(&o.stderr),
        "s6-sudo: fatal: unable to connect to /nonexistent/sock: No such file or directory\n"
    );
}
