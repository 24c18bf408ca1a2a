//! s6box: the s6 helper tools in one multicall binary. `dispatch` picks
//! the applet; the other modules are the mechanisms applets share.

pub mod account;
pub mod alloc;
pub mod argv;
pub mod cli;
pub mod creds;
pub mod dispatch;
pub mod env;
pub mod exec;
pub mod exitcode;
pub mod fd;
pub mod filter;
pub mod fmt;
pub mod lock;
pub mod msg;
pub mod pidfile;
pub mod poll;
pub mod regex;
pub mod sig;
pub mod supervision;
pub mod tai;
pub mod trim;
pub mod watch;

#[path = "../applets/mod.rs"]
pub mod applets;
