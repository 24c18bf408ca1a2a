//! s6-ipcserver-socketbinder, s6-ipcserverd and s6-ipcserver: against
//! 2.15's static programs and Debian's 2.11, mixed both ways (2.15's
//! binder handing its socket to our server, 2.15's client on ours), the
//! UCSPI variables, the log lines, limits under a flood, hostile and
//! foreign-uid clients, signals, and the process quality (no zombie, the
//! spawned program's descriptors and signal state, no wake-up idle).
mod common;
mod ipc_common;

use common::{LONG, Tmp, code, text};
use ipc_common::*;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn ours(name: &str) -> PathBuf {
    common::applet(name)
}

/// The (ours) server under `binder`: `binder SOCK serverd ARGS... prog...`.
fn chain(binder: &Path, serverd: &Path, sock: &Path, dargs: &[&str], prog: &[&str]) -> Command {
    let mut c = Command::new(binder);
    c.arg(sock).arg(serverd).args(dargs).args(prog);
    c
}

/// Our binder and server, as a command.
fn our_chain(sock: &Path, dargs: &[&str], prog: &[&str]) -> Command {
    chain(&ours("s6-ipcserver-socketbinder"), &ours("s6-ipcserverd"), sock, dargs, prog)
}

/// Our binder and server: `s6-ipcserver-socketbinder SOCK s6-ipcserverd
/// DARGS... PROG...`, started.
fn our_server(dir: &Path, sock: &Path, dargs: &[&str], prog: &[&str]) -> Server {
    Server::start(our_chain(sock, dargs, prog), dir, sock)
}

/// The program run per connection: prints its UCSPI variables (sorted) and
/// its descriptors to the client.
/// (Descriptors from 10 on come from the test harness itself.)
const ENV_PROG: &str = "env | grep -E '^(PROTO|IPC)' | sort; ls /proc/self/fd | sort -n | awk '$1<10' | tr '\\n' ' '; echo";

#[test]
fn usage_and_bad_values_match_the_references() {
    let cases: &[(&str, &[&str])] = &[
        ("s6-ipcserver-socketbinder", &[]),
        ("s6-ipcserver-socketbinder", &["s"]),
        ("s6-ipcserver-socketbinder", &["-Z", "s", "true"]),
        ("s6-ipcserver-socketbinder", &["-a", "0778", "s", "true"]),
        ("s6-ipcserver-socketbinder", &["-a", "040000000000", "s", "true"]),
        ("s6-ipcserver-socketbinder", &["-b", "x", "s", "true"]),
        ("s6-ipcserverd", &[]),
        ("s6-ipcserverd", &["-Z", "true"]),
        ("s6-ipcserverd", &["-v", "x", "true"]),
        ("s6-ipcserverd", &["-c", "x", "true"]),
        ("s6-ipcserverd", &["true"]),
        ("s6-ipcserver", &[]),
        ("s6-ipcserver", &["s"]),
        ("s6-ipcserver", &["-Z", "s", "true"]),
        ("s6-ipcserver", &["-a", "9", "s", "true"]),
        ("s6-ipcserver", &["-u", "x", "s", "true"]),
    ];
    let dir = Tmp::new("ipcserver-usage");
    for (name, args) in cases {
        let mut seen = Vec::new();
        for (label, prog) in all(name) {
            let out = common::run(Command::new(&prog).args(*args).current_dir(&dir.0));
            seen.push((label, code(&out), text(&out.stderr)));
        }
        for (label, c, e) in &seen[1..] {
            assert_eq!(seen[0].1, *c, "{name} {args:?}: exit code vs {label}");
            if *label == "2.15" {
                assert_eq!(seen[0].2, *e, "{name} {args:?}: message vs {label}");
            }
        }
    }
}

#[test]
fn socketbinder_perms_lock_blocking_and_errors() {
    let dir = Tmp::new("ipcserver-binder");
    for (label, binder) in all("s6-ipcserver-socketbinder") {
        let s = dir.0.join(format!("s-{label}"));
        // Exact perms whatever the umask; fd 0 a listening, non-blocking,
        // inheritable socket; the lock file beside it, 0600.
        for (args, perms, nonblock) in [
            (&["-a", "0640"][..], 0o640, true),
            (&["-B", "-a", "0706"][..], 0o706, false),
            (&[][..], 0o777, true),
        ] {
            let mut c = Command::new("sh");
            c.args(["-c", "umask 077; exec \"$@\"", "sh"]).arg(&binder).args(args).arg(&s);
            c.args(["sh", "-c", "grep flags /proc/self/fdinfo/0; readlink /proc/self/fd/0"]);
            let out = common::run(&mut c);
            assert_eq!(code(&out), 0, "{label}: {}", text(&out.stderr));
            let m = fs::symlink_metadata(&s).unwrap();
            assert!(m.file_type().is_socket(), "{label}");
            assert_eq!(m.permissions().mode() & 0o7777, perms, "{label} {args:?}");
            let lock = fs::metadata(format!("{}.lock", s.display())).unwrap();
            assert_eq!(lock.permissions().mode() & 0o777, 0o600, "{label}");
            let o = text(&out.stdout);
            let flags = u32::from_str_radix(o.split_whitespace().nth(1).unwrap(), 8).unwrap();
            assert_eq!(flags & 0o4000 != 0, nonblock, "{label} {args:?}: O_NONBLOCK");
            assert_eq!(flags & 0o2000000, 0, "{label}: not close-on-exec");
            assert!(o.contains("socket:["), "{label}");
        }
        // -D: an existing path is kept, bind fails (the reason's text is the
        // C library's: compare the start).
        let out = common::run(Command::new(&binder).args(["-D"]).arg(&s).arg("true"));
        assert_eq!(code(&out), 111, "{label}");
        let want = format!("s6-ipcserver-socketbinder: fatal: unable to bind to {}: ", s.display());
        assert!(text(&out.stderr).starts_with(&want), "{label}: {}", text(&out.stderr));
        // -m needs -b 0.
        let out = common::run(Command::new(&binder).args(["-m"]).arg(&s).arg("true"));
        assert_eq!(code(&out), 111, "{label}");
        assert!(text(&out.stderr).contains("unable to listen to "), "{label}");
        let out = common::run(Command::new(&binder).args(["-m", "-b0"]).arg(&s).arg("true"));
        assert_eq!(code(&out), 0, "{label}: {}", text(&out.stderr));
        // Too long for a sockaddr_un.
        let long = dir.0.join("x".repeat(120));
        let out = common::run(Command::new(&binder).arg(&long).arg("true"));
        assert_eq!(code(&out), 111, "{label}");
        assert!(text(&out.stderr).contains("unable to bind to "), "{label}");
        // prog missing: 127.
        let out = common::run(Command::new(&binder).arg(&s).arg("/nonexistent/prog"));
        assert_eq!(code(&out), 127, "{label}");
    }
}

#[test]
fn socketbinder_lock_held_refuses_at_once() {
    let dir = Tmp::new("ipcserver-binderlock");
    let s = dir.0.join("s");
    let lock = dir.0.join("s.lock");
    fs::write(&lock, "").unwrap();
    // s6-setlock holds it (POSIX record lock, as the binders take).
    let mut holder = Command::new(ours("s6-setlock"))
        .arg(&lock)
        .args(["sh", "-c", "echo held; exec cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut b = [0u8; 5];
    holder.stdout.as_mut().unwrap().read_exact(&mut b).unwrap();
    for (label, binder) in ours_and_215("s6-ipcserver-socketbinder") {
        let out = common::run(Command::new(&binder).arg(&s).arg("true"));
        assert_eq!(code(&out), 111, "{label}");
        let want = format!("s6-ipcserver-socketbinder: fatal: unable to bind to {}: ", s.display());
        assert!(text(&out.stderr).starts_with(&want), "{label}: {}", text(&out.stderr));
        assert!(!s.exists(), "{label}");
    }
    drop(holder.stdin.take());
    holder.wait().unwrap();
}

/// Runs two clients (root with a bound path, nobody) against a server and
/// returns (the client outputs, the server's normalised log).
fn env_session(
    server: Command,
    dir: &Path,
    sock: &Path,
    client_prog: &Path,
) -> (Vec<String>, String) {
    let mut srv = Server::start(server, dir, sock);
    let mut outs = Vec::new();
    let bound = dir.join("cl");
    let _ = fs::remove_file(&bound);
    let out = Command::new(client_prog)
        .arg("-p")
        .arg(&bound)
        .arg(sock)
        .args(["sh", "-c", "cat <&6"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    outs.push(text(&out.stdout));
    // The end is logged when the server reaps, which may come after the
    // client saw end-of-file: wait for it, so the log's order is fixed.
    srv.wait_err("uid 0 exitcode 0\ns6-ipcserverd: info: status: 0/40\n");
    let _ = fs::remove_file(&bound);
    let out =
        common::sv::as_nobody(Command::new(client_prog).arg(sock).args(["sh", "-c", "cat <&6"]))
            .output()
            .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    outs.push(text(&out.stdout));
    common::poll(LONG, "children reaped", || srv.children().is_empty().then_some(()));
    srv.wait_err("status: 0/40\ns6-ipcserverd: info: allow 65534");
    srv.wait_err("uid 65534 exitcode 0\ns6-ipcserverd: info: status: 0/40\n");
    srv.signal(libc::SIGTERM);
    assert_eq!(srv.wait().code(), Some(0));
    (outs, common::normalise_pids(&srv.err()))
}

#[test]
fn ucspi_variables_log_lines_and_fds_against_215_and_mixed() {
    let dir = Tmp::new("ipcserver-env");
    let sock = dir.0.join("s");
    let prog = ["sh", "-c", ENV_PROG];
    let mut sessions = Vec::new();
    // ours alone, 2.15 alone, 2.15's binder with our server, ours with
    // 2.15's client.
    let mut combos =
        vec![("ours", our_chain(&sock, &["-v2", "-C", "3"], &prog), ours("s6-ipcclient"))];
    if let (Some(b), Some(d), Some(c)) = (
        common::reference("s6-ipcserver-socketbinder"),
        common::reference("s6-ipcserverd"),
        common::reference("s6-ipcclient"),
    ) {
        combos.push(("2.15", chain(&b, &d, &sock, &["-v2", "-C", "3"], &prog), c.clone()));
        combos.push((
            "2.15 binder, our server",
            chain(&b, &ours("s6-ipcserverd"), &sock, &["-v2", "-C", "3"], &prog),
            ours("s6-ipcclient"),
        ));
        combos.push(("our server, 2.15 client", our_chain(&sock, &["-v2", "-C", "3"], &prog), c));
    }
    for (label, cmd, client) in combos {
        let (outs, log) = env_session(cmd, &dir.0, &sock, &client);
        sessions.push((label, outs, log));
    }
    let (_, outs, log) = &sessions[0];
    let bound = dir.0.join("cl");
    assert_eq!(
        outs[0],
        format!(
            "IPCCONNNUM=1\nIPCREMOTEEGID=0\nIPCREMOTEEUID=0\nIPCREMOTEPATH={}\nPROTO=IPC\n0 1 2 3 \n",
            bound.display()
        )
    );
    assert_eq!(
        outs[1],
        "IPCCONNNUM=1\nIPCREMOTEEGID=65534\nIPCREMOTEEUID=65534\nIPCREMOTEPATH=\nPROTO=IPC\n0 1 2 3 \n"
    );
    let want = "s6-ipcserverd: info: starting
s6-ipcserverd: info: status: 0/40
s6-ipcserverd: info: allow 0:0 pid P count 1/3
s6-ipcserverd: info: status: 1/40
s6-ipcserverd: info: end pid P uid 0 exitcode 0
s6-ipcserverd: info: status: 0/40
s6-ipcserverd: info: allow 65534:65534 pid P count 1/3
s6-ipcserverd: info: status: 1/40
s6-ipcserverd: info: end pid P uid 65534 exitcode 0
s6-ipcserverd: info: status: 0/40
s6-ipcserverd: info: received SIGTERM, quitting
s6-ipcserverd: info: exiting
";
    assert_eq!(log, want);
    for (label, o, l) in &sessions[1..] {
        // 2.15's IPCCONNNUM counts the others only (a bug not copied).
        let fix = |s: &str| s.replace("IPCCONNNUM=0", "IPCCONNNUM=1");
        assert_eq!(fix(&o[0]), outs[0], "{label}");
        assert_eq!(fix(&o[1]), outs[1], "{label}");
        assert_eq!(l, want, "{label}");
    }
}

/// A server whose program holds the connection until the client closes.
fn holding_server(dir: &Path, sock: &Path, dargs: &[&str]) -> Server {
    Server::start(our_chain(sock, dargs, &["sh", "-c", "echo in; exec cat >/dev/null"]), dir, sock)
}

/// A client that connects, waits to be served ("in"), then holds the
/// connection until killed.
fn held_client(client: &Path, sock: &Path, nobody: bool) -> std::process::Child {
    let mut c = Command::new(client);
    c.arg(sock).args(["sh", "-c", "read x <&6; echo $x; exec cat >&7"]);
    if nobody {
        common::sv::as_nobody(&mut c);
    }
    let mut child =
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut b = [0u8; 3];
    child.stdout.as_mut().unwrap().read_exact(&mut b).unwrap();
    assert_eq!(&b, b"in\n");
    child
}

#[test]
fn per_uid_limit_denies_with_a_clean_line_and_goes_on() {
    let dir = Tmp::new("ipcserver-deny");
    let sock = dir.0.join("s");
    let srv = holding_server(&dir.0, &sock, &["-v2", "-C", "1", "-c", "5"]);
    let client = ours("s6-ipcclient");
    // One nobody connection held; a second from nobody is accepted and
    // closed at once (end-of-file); root is still served.
    let mut held = held_client(&client, &sock, true);
    let out = common::sv::as_nobody(Command::new(&client).arg(&sock).args(["sh", "-c", "cat <&6"]))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out.stdout), "");
    srv.wait_err("s6-ipcserverd: info: deny 65534:65534 count 2/1\n");
    let mut root = held_client(&client, &sock, false);
    assert_eq!(srv.children().len(), 2);
    // 2.15's client is refused the same way.
    if let Some(c215) = common::reference("s6-ipcclient") {
        let out =
            common::sv::as_nobody(Command::new(&c215).arg(&sock).args(["sh", "-c", "cat <&6"]))
                .output()
                .unwrap();
        assert_eq!(code(&out), 0);
        assert_eq!(text(&out.stdout), "");
    }
    for c in [&mut held, &mut root] {
        let _ = c.kill();
        let _ = c.wait();
    }
    common::poll(LONG, "children end", || srv.children().is_empty().then_some(()));
    assert!(!srv.err().contains("count 2/1:"), "no stale errno after the deny line");
}

#[test]
fn flood_far_beyond_maxconn_keeps_the_limit_and_memory_and_serves_everyone() {
    let dir = Tmp::new("ipcserver-flood");
    let sock = dir.0.join("s");
    let srv = our_server(&dir.0, &sock, &["-c", "3"], &["sh", "-c", "read x; echo ok$x"]);
    let pid = srv.pid();
    // A hostile client: connects, sends nothing, holds its slot.
    let mut silent = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    common::poll(LONG, "silent client served", || (srv.children().len() == 1).then_some(()));
    let client = ours("s6-ipcclient");
    // Two floods: the first one warms the server up (code pages, heap);
    // the second must not make it grow.
    let mut rss = Vec::new();
    for round in 0..2 {
        let n = 40;
        let mut clients: Vec<std::process::Child> = (0..n)
            .map(|i| {
                Command::new(&client)
                    .arg(&sock)
                    .args(["sh", "-c", &format!("echo {i} >&7; read r <&6; [ \"$r\" = ok{i} ]")])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut max_seen = 0;
        let mut ok = 0;
        common::poll(LONG, "every flooding client served", || {
            max_seen = max_seen.max(srv.children().len());
            clients.retain_mut(|c| match c.try_wait().unwrap() {
                Some(st) => {
                    assert!(st.success(), "a client was not served right");
                    ok += 1;
                    false
                }
                None => true,
            });
            clients.is_empty().then_some(())
        });
        assert_eq!(ok, n, "round {round}");
        assert!(max_seen <= 3, "{max_seen} children at once with -c 3");
        common::poll(LONG, "flood reaped", || (srv.children().len() == 1).then_some(()));
        rss.push(rss_anon_kb(pid));
    }
    assert!(rss[1] <= rss[0] + 8, "server grew from {} kB to {} kB", rss[0], rss[1]);
    // The silent client held its slot all along, and is served.
    use std::io::Write;
    silent.write_all(b"z\n").unwrap();
    let mut got = String::new();
    silent.read_to_string(&mut got).unwrap();
    assert_eq!(got, "okz\n");
    common::poll(LONG, "all reaped", || srv.children().is_empty().then_some(()));
    assert_idle(pid, "s6-ipcserverd");
}

#[test]
fn refused_flood_costs_nothing() {
    // -C 0 refuses everyone: thousands of refused clients, constant memory.
    let dir = Tmp::new("ipcserver-refused");
    let sock = dir.0.join("s");
    let srv = holding_server(&dir.0, &sock, &["-C", "0"]);
    let pid = srv.pid();
    let one = || {
        let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        let mut b = Vec::new();
        s.read_to_end(&mut b).unwrap();
        assert!(b.is_empty());
    };
    for _ in 0..200 {
        one();
    }
    let rss0 = rss_anon_kb(pid);
    for _ in 0..2000 {
        one();
    }
    let rss1 = rss_anon_kb(pid);
    assert!(rss1 <= rss0 + 4, "server grew from {rss0} kB to {rss1} kB");
    assert!(srv.children().is_empty());
}

#[test]
fn spawned_program_gets_the_servers_start_signal_state_and_no_zombie() {
    let dir = Tmp::new("ipcserver-sig");
    // SIGCHLD default (the vfork-style spawn) and ignored (the fork
    // fallback, "ignore" given back to the program).
    for ignore in [&[libc::SIGPIPE][..], &[libc::SIGPIPE, libc::SIGCHLD][..]] {
        let sock = dir.0.join("s");
        let mut cmd = Command::new(ours("s6-ipcserver"));
        // grep itself (a shell would clear the mask and SIGCHLD's "ignore").
        cmd.arg(&sock).args(["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]);
        common::sigstate(&mut cmd, ignore, &[libc::SIGUSR1]);
        let srv = Server::start(cmd, &dir.0, &sock);
        let status = fs::read_to_string(format!("/proc/{}/status", srv.pid())).unwrap();
        let out = client(&ours("s6-ipcclient"), &sock, "cat <&6");
        let o = text(&out.stdout);
        // The same program exec'd directly with the same start state.
        let mut direct = Command::new("grep");
        direct.args(["-E", "^Sig(Blk|Ign)", "/proc/self/status"]);
        common::sigstate(&mut direct, ignore, &[libc::SIGUSR1]);
        let want = text(&common::run(&mut direct).stdout);
        assert_eq!(o, want, "the spawned program's signal state");
        let blk = u64::from_str_radix(&common::status_field(&o, "SigBlk"), 16).unwrap();
        let ign = u64::from_str_radix(&common::status_field(&o, "SigIgn"), 16).unwrap();
        assert_eq!(blk, 1 << (libc::SIGUSR1 - 1), "mask");
        assert_ne!(ign & (1 << (libc::SIGPIPE - 1)), 0, "SIGPIPE stays ignored");
        // The server itself blocks everything (it reads its signals).
        assert_ne!(common::status_field(&status, "SigBlk"), "0000000000000000");
        // Children are reaped one by one, SIGCHLD ignored at start or not.
        for _ in 0..5 {
            let out = client(&ours("s6-ipcclient"), &sock, "cat <&6");
            assert_eq!(code(&out), 0);
        }
        common::poll(LONG, "no child left", || srv.children().is_empty().then_some(()));
    }
}

#[test]
fn idle_server_sleeps_with_and_without_children() {
    let dir = Tmp::new("ipcserver-idle");
    let sock = dir.0.join("s");
    let srv = holding_server(&dir.0, &sock, &[]);
    assert_idle(srv.pid(), "s6-ipcserverd without children");
    let mut c = held_client(&ours("s6-ipcclient"), &sock, false);
    assert_idle(srv.pid(), "s6-ipcserverd with a child");
    let _ = c.kill();
    let _ = c.wait();
    common::poll(LONG, "child reaped", || srv.children().is_empty().then_some(()));
    for k in srv.children() {
        assert_ne!(common::state(k as i32), Some('Z'));
    }
}

#[test]
fn signals_hup_term_quit_abrt_like_215() {
    let dir = Tmp::new("ipcserver-signals");
    let client = ours("s6-ipcclient");
    let mut impls = vec![("ours", ours("s6-ipcserver-socketbinder"), ours("s6-ipcserverd"))];
    if let (Some(b), Some(d)) =
        (common::reference("s6-ipcserver-socketbinder"), common::reference("s6-ipcserverd"))
    {
        impls.push(("2.15", b, d));
    }
    let mut logs = Vec::new();
    for (label, b, d) in &impls {
        let sock = dir.0.join(format!("s-{}", label.replace('.', "")));
        let mut log = Vec::new();
        for (sig, name) in [
            (libc::SIGHUP, "HUP"),
            (libc::SIGTERM, "TERM"),
            (libc::SIGQUIT, "QUIT"),
            (libc::SIGABRT, "ABRT"),
        ] {
            let mut srv = Server::start(
                chain(b, d, &sock, &["-v2"], &["sh", "-c", "echo in; exec cat >/dev/null"]),
                &dir.0,
                &sock,
            );
            let mut c = held_client(&client, &sock, false);
            let kid = srv.children()[0];
            srv.signal(sig);
            match name {
                "HUP" => {
                    common::poll(LONG, "child killed", || srv.children().is_empty().then_some(()));
                    // Still serving.
                    let mut c2 = held_client(&client, &sock, false);
                    let _ = c2.kill();
                    let _ = c2.wait();
                    srv.wait_err("exitcode 0\ns6-ipcserverd: info: status: 0/40\n");
                    srv.signal(libc::SIGTERM);
                    assert_eq!(srv.wait().code(), Some(0), "{label}");
                }
                "TERM" => {
                    assert_eq!(srv.wait().code(), Some(0), "{label}");
                    // The child keeps serving its client.
                    assert!(
                        Path::new(&format!("/proc/{kid}")).exists(),
                        "{label}: child left running"
                    );
                    common::kill(kid as i32, libc::SIGKILL);
                }
                _ => {
                    assert_eq!(srv.wait().code(), Some(0), "{label} {name}");
                }
            }
            let _ = c.kill();
            let _ = c.wait();
            log.push(common::normalise_pids(&srv.err()));
        }
        logs.push((label, log));
    }
    for (label, log) in &logs[1..] {
        for (i, l) in log.iter().enumerate() {
            assert_eq!(*l, logs[0].1[i], "{label}");
        }
    }
    assert!(
        logs[0].1[3]
            .contains("received SIGABRT, sending SIGKILL to all connections and quitting\n")
    );
}

#[test]
fn readiness_newline_then_stdout_closed() {
    let dir = Tmp::new("ipcserver-ready");
    for (label, srvprog) in ours_and_215("s6-ipcserver") {
        let sock = dir.0.join("s");
        let mut child = Command::new(&srvprog)
            .arg("-1")
            .arg(&sock)
            .arg("true")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = String::new();
        child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        assert_eq!(out, "\n", "{label}");
        // Served as soon as the newline came.
        let o = client(&ours("s6-ipcclient"), &sock, "true");
        assert_eq!(code(&o), 0, "{label}");
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn spawn_failure_warns_and_goes_on() {
    let dir = Tmp::new("ipcserver-spawnfail");
    let sock = dir.0.join("s");
    let srv = our_server(&dir.0, &sock, &[], &["/nonexistent/prog"]);
    for _ in 0..2 {
        let out = client(&ours("s6-ipcclient"), &sock, "cat <&6");
        assert_eq!(code(&out), 0);
        assert_eq!(text(&out.stdout), "");
    }
    let e = srv.wait_err("unable to spawn");
    assert!(
        e.starts_with(
            "s6-ipcserverd: warning: unable to spawn /nonexistent/prog: No such file or directory\n"
        ),
        "{e}"
    );
}

#[test]
fn ipcserver_is_the_chain_without_path_with_dropped_privileges() {
    let dir = Tmp::new("ipcserver-chain");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).unwrap();
    // A PATH whose s6 programs all fail: ours never looks there.
    let fake = dir.0.join("fake");
    fs::create_dir(&fake).unwrap();
    for n in ["s6-ipcserver-socketbinder", "s6-applyuidgid", "s6-ipcserverd"] {
        let p = fake.join(n);
        fs::write(&p, "#!/bin/sh\necho fake >&2; exit 99\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut impls =
        vec![("ours", ours("s6-ipcserver"), format!("{}:/usr/bin:/bin", fake.display()))];
    if let Some(r) = common::reference("s6-ipcserver") {
        impls.push(("2.15", r, format!("{}:/usr/bin:/bin", common::REFERENCE_BIN)));
    }
    let mut seen = Vec::new();
    for (label, prog, path) in impls {
        let sock = dir.0.join(format!("s-{}", label.replace('.', "")));
        let mut c = Command::new(&prog);
        c.env("PATH", &path).env("UID", "65534").env("GID", "65534").env("GIDLIST", "65534");
        c.args(["-U", "-a", "0666"]).arg(&sock);
        c.args(["sh", "-c", "id -u; id -g; id -G; env | grep -cE '^(UID|GID|GIDLIST)='; ls /proc/self/fd | awk '$1<10' | tr '\\n' ' '"]);
        let srv = Server::start(c, &dir.0, &sock);
        // (2.15's chain listens before s6-applyuidgid runs.)
        common::poll(LONG, "privileges dropped", || {
            let st = fs::read_to_string(format!("/proc/{}/status", srv.pid())).unwrap();
            common::status_field(&st, "Uid").starts_with("65534\t65534\t65534").then_some(())
        });
        let m = fs::metadata(&sock).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o666, "{label}");
        use std::os::unix::fs::MetadataExt;
        assert_eq!(m.uid(), 0, "{label}: bound before the drop");
        let out = client(&ours("s6-ipcclient"), &sock, "cat <&6");
        seen.push((label, text(&out.stdout), srv.err()));
    }
    assert_eq!(seen[0].1, "65534\n65534\n65534\n0\n0 1 2 3 ");
    assert_eq!(seen[0].2, "");
    for (label, out, err) in &seen[1..] {
        assert_eq!(*out, seen[0].1, "{label}");
        assert_eq!(*err, seen[0].2, "{label}");
    }
}

#[test]
fn no_credentials_with_capital_p_like_215_and_our_binder_under_215s_server() {
    let dir = Tmp::new("ipcserver-nocreds");
    let sock = dir.0.join("s");
    let prog = ["sh", "-c", ENV_PROG];
    let mut combos = vec![("ours", our_chain(&sock, &["-v2", "-P"], &prog))];
    if let Some(d) = common::reference("s6-ipcserverd") {
        combos.push((
            "our binder, 2.15 server",
            chain(&ours("s6-ipcserver-socketbinder"), &d, &sock, &["-v2", "-P"], &prog),
        ));
    }
    let mut seen = Vec::new();
    for (label, cmd) in combos {
        let mut srv = Server::start(cmd, &dir.0, &sock);
        let out = client(&ours("s6-ipcclient"), &sock, "cat <&6");
        assert_eq!(code(&out), 0, "{label}");
        srv.wait_err("exitcode 0\ns6-ipcserverd: info: status: 0/40\n");
        srv.signal(libc::SIGTERM);
        assert_eq!(srv.wait().code(), Some(0), "{label}");
        seen.push((label, text(&out.stdout), common::normalise_pids(&srv.err())));
    }
    assert_eq!(seen[0].1, "IPCCONNNUM=\nIPCREMOTEPATH=\nPROTO=IPC\n0 1 2 3 \n");
    assert_eq!(
        seen[0].2,
        "s6-ipcserverd: info: starting
s6-ipcserverd: info: status: 0/40
s6-ipcserverd: info: allow ?:? pid P count ?/40
s6-ipcserverd: info: status: 1/40
s6-ipcserverd: info: end pid P uid ? exitcode 0
s6-ipcserverd: info: status: 0/40
s6-ipcserverd: info: received SIGTERM, quitting
s6-ipcserverd: info: exiting
"
    );
    for (label, out, err) in &seen[1..] {
        assert_eq!(*out, seen[0].1, "{label}");
        assert_eq!(*err, seen[0].2, "{label}");
    }
}
