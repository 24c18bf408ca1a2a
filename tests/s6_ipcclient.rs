//! s6-ipcclient: against 2.15's and Debian's, on our server and 2.15's:
//! descriptors 6 and 7, PROTO and IPCLOCALPATH, -p, -l, -v, failures.
mod common;
mod ipc_common;

use common::{Tmp, code, text};
use ipc_common::*;
use std::fs;
use std::path::Path;
use std::process::Command;

/// A server (ours or 2.15's s6-ipcserver) echoing its peer's path.
fn server(prog: &Path, dir: &Path, sock: &Path) -> Server {
    let mut c = Command::new(prog);
    c.arg(sock).args(["sh", "-c", "echo \"peer=$IPCREMOTEPATH\""]);
    Server::start(c, dir, sock)
}

const CLIENT_SCRIPT: &str = "cat <&6; env | grep -E '^(PROTO|IPCLOCALPATH)=' | sort; \
     for n in 6 7; do grep -E '^flags' /proc/self/fdinfo/$n; readlink /proc/self/fd/$n | cut -c1-7; done; \
     ls /proc/self/fd | awk '$1<10' | tr '\\n' ' '";

#[test]
fn descriptors_environment_and_bind_against_the_references() {
    let dir = Tmp::new("ipcclient-env");
    let mut servers = vec![("ours", common::applet("s6-ipcserver"))];
    if let Some(r) = common::reference("s6-ipcserver") {
        servers.push(("2.15", r));
    }
    let mut seen = Vec::new();
    for (slabel, sprog) in &servers {
        let sock = dir.0.join(format!("s-{}", slabel.replace('.', "")));
        let _srv = server(sprog, &dir.0, &sock);
        for (clabel, cprog) in all("s6-ipcclient") {
            // No -p: unbound, IPCLOCALPATH empty.
            let out = client(&cprog, &sock, CLIENT_SCRIPT);
            assert_eq!(code(&out), 0, "{clabel} on {slabel}: {}", text(&out.stderr));
            seen.push((format!("{clabel} on {slabel}"), text(&out.stdout)));
            // -p bindpath and -l localname.
            let bp = dir.0.join("bp");
            let _ = fs::remove_file(&bp);
            let out = Command::new(&cprog)
                .arg("-p")
                .arg(&bp)
                .args(["-l", "name"])
                .arg(&sock)
                .args(["sh", "-c", "cat <&6; echo $IPCLOCALPATH"])
                .output()
                .unwrap();
            assert_eq!(code(&out), 0, "{clabel}: {}", text(&out.stderr));
            assert_eq!(
                text(&out.stdout),
                format!("peer={}\nname\n", bp.display()),
                "{clabel} on {slabel}"
            );
            // -p alone: IPCLOCALPATH is the bind path. An existing one: 111.
            let _ = fs::remove_file(&bp);
            let out = Command::new(&cprog)
                .arg("-p")
                .arg(&bp)
                .arg(&sock)
                .args(["sh", "-c", "echo $IPCLOCALPATH"])
                .output()
                .unwrap();
            assert_eq!(text(&out.stdout), format!("{}\n", bp.display()), "{clabel}");
            let out =
                Command::new(&cprog).arg("-p").arg(&bp).arg(&sock).arg("true").output().unwrap();
            assert_eq!(code(&out), 111, "{clabel}");
            let want = format!("s6-ipcclient: fatal: unable to bind socket to {}: ", bp.display());
            assert!(text(&out.stderr).starts_with(&want), "{clabel}: {}", text(&out.stderr));
            let _ = fs::remove_file(&bp);
        }
    }
    // (3 is ls's own directory.)
    let want =
        "peer=\nIPCLOCALPATH=\nPROTO=IPC\nflags:\t02\nsocket:\nflags:\t02\nsocket:\n0 1 2 3 6 7 ";
    for (label, out) in &seen {
        assert_eq!(out, want, "{label}");
    }
}

#[test]
fn verbose_line_and_failures_match_215() {
    let dir = Tmp::new("ipcclient-fail");
    let sock = dir.0.join("s");
    let missing = dir.0.join("nothing");
    let mut outs = Vec::new();
    {
        let _srv = server(&common::applet("s6-ipcserver"), &dir.0, &sock);
        for (label, prog) in all("s6-ipcclient") {
            let v = Command::new(&prog).arg("-v").arg(&sock).arg("true").output().unwrap();
            let q = Command::new(&prog).arg("-q").arg(&sock).arg("true").output().unwrap();
            let nf = Command::new(&prog).arg(&sock).arg("/nonexistent/prog").output().unwrap();
            let refused = Command::new(&prog).arg(&missing).arg("true").output().unwrap();
            let usage = Command::new(&prog).arg(&sock).output().unwrap();
            outs.push((label, [v, q, nf, refused, usage]));
        }
    }
    let (_, o) = &outs[0];
    assert_eq!(
        text(&o[0].stderr),
        format!("s6-ipcclient: info: s6-ipcclient: connected to {}\n", sock.display())
    );
    assert_eq!(text(&o[1].stderr), "");
    assert_eq!(code(&o[2]), 127);
    assert_eq!(code(&o[3]), 111);
    assert_eq!(
        text(&o[3].stderr),
        format!(
            "s6-ipcclient: fatal: unable to connect to {}: No such file or directory\n",
            missing.display()
        )
    );
    assert_eq!(code(&o[4]), 100);
    for (label, r) in &outs[1..] {
        for i in 0..5 {
            assert_eq!(code(&r[i]), code(&o[i]), "{label} case {i}");
            if *label == "2.15" || i != 2 {
                assert_eq!(text(&r[i].stderr), text(&o[i].stderr), "{label} case {i}");
            }
        }
    }
}
