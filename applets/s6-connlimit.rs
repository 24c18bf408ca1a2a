//! s6-connlimit: refuses a client that already has too many connections
//! (`${PROTO}CONNNUM` over `${PROTO}CONNMAX`, both set by the server),
//! else execs prog. `IPCCONNNUM` counts this connection too, so
//! `IPCCONNMAX=N` admits exactly N connections per client.

use s6box::argv::Argv;
use s6box::cli::{Cli, parse_decimal};
use s6box::ipcserver::proto_var;
use s6box::{exec, exitcode, msg};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "s6-connlimit prog...";

/// `main(argv)`: the applet. No options: everything after argv[0] is prog.
pub fn main(argv: Argv) -> i32 {
    // Only for `--help`; s6 parses no option (a `-x` is the program).
    let _ = Cli::new(argv, USAGE);
    let proto = match std::env::var_os("PROTO") {
        None => msg::fatal(exitcode::USAGE, &[b"PROTO not set"]),
        Some(p) if p.is_empty() => msg::fatal(exitcode::USAGE, &[b"empty PROTO"]),
        Some(p) => p,
    };
    let (num_name, num) = proto_var(proto.as_bytes(), b"CONNNUM");
    let Some(num) = num else { msg::fatal(exitcode::USAGE, &[&num_name, b" not set"]) };
    let Some(num) = parse_decimal::<u32>(&num) else {
        msg::fatal(exitcode::USAGE, &[b"invalid ", &num_name])
    };
    let (max_name, max) = proto_var(proto.as_bytes(), b"CONNMAX");
    if let Some(max) = max {
        let Some(limit) = parse_decimal::<u32>(&max) else {
            msg::fatal(exitcode::USAGE, &[b"invalid ", &max_name])
        };
        if num > limit {
            msg::fatal(
                exitcode::FAIL,
                &[b"number of connections from this client limited to ", max.as_bytes()],
            );
        }
    }
    let prog = argv.skip(1);
    if prog.is_empty() {
        return exitcode::OK;
    }
    exec::exec(prog)
}
