//! s6-sudo: `s6-ipcclient path s6-sudoc args...` in one process, with no
//! PATH lookup: connects to the s6-sudod service at `path` as
//! s6-ipcclient does, then runs s6-sudoc's part on the connection,
//! sending the environment s6-sudoc would get under s6-ipcclient
//! (`PROTO=IPC` and `IPCLOCALPATH` added).

use super::s6_ipcclient::Client;
use super::s6_sudoc::{self, Opts};
use rustix::fd::AsFd;
use s6box::argv::Argv;
use s6box::cli::Cli;

const USAGE: &str = "s6-sudo [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] [ -e ] [ -t timeout ] [ -T timeoutrun ] path [ args... ]";

pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let mut client = Client::default();
    let mut o = Opts::default();
    while let Some(opt) = cli.opt() {
        if !o.option(&mut cli, &opt) && !client.option(&mut cli, &opt) {
            cli.usage();
        }
    }
    let rest = cli.rest();
    if rest.is_empty() {
        cli.usage();
    }
    let conn = client.connect(rest.get(0).to_bytes());
    s6_sudoc::run(conn.as_fd(), conn.as_fd(), o, rest.skip(1), &client.vars())
}
