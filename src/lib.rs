//! s6box's mechanism library: everything the applets share, in layers
//! (see doc/HACKING.md). The applets and the multicall dispatch are the
//! binary's (`src/main.rs`, `applets/`).

/// The one list of the Linux-like targets (signalfd, pidfd, inotify,
/// /proc, subreaper): `linux_like! { items }` keeps items there only;
/// `linux_like! { else items }` keeps them everywhere else;
/// `linux_like!(if { a } else { b })` is the block `a` there, `b`
/// elsewhere (an expression; a block may declare what the platform has).
#[macro_export]
macro_rules! linux_like {
    (if { $($a:tt)* } else { $($b:tt)* }) => {{
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            $($a)*
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            $($b)*
        }
    }};
    (else $($i:item)*) => {$(
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        $i
    )*};
    ($($i:item)*) => {$(
        #[cfg(any(target_os = "linux", target_os = "android"))]
        $i
    )*};
}

/// Whether this is a Linux-like target (`linux_like!`), for a test in
/// code that compiles everywhere.
pub const LINUX_LIKE: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// `kqueue_os! { items }`: items for the systems where kqueue stands in
/// for inotify and pidfds (the BSDs, macOS).
macro_rules! kqueue_os {
    ($($i:item)*) => {$(
        #[cfg(any(target_os = "freebsd", target_os = "dragonfly", target_os = "netbsd", target_os = "openbsd", target_os = "macos"))]
        $i
    )*};
}

/// `other_os! { items }`: items for the systems with neither the Linux
/// descriptors nor kqueue (the `ENOSYS` fallbacks).
macro_rules! other_os {
    ($($i:item)*) => {$(
        #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd", target_os = "dragonfly", target_os = "netbsd", target_os = "openbsd", target_os = "macos")))]
        $i
    )*};
}

pub mod accessrules;
pub mod account;
pub mod adopt;
pub mod alloc;
pub mod argv;
pub mod bytes;
pub mod cdb;
pub mod cli;
pub mod creds;
pub mod env;
pub mod envdir;
pub mod exec;
pub mod exitcode;
pub mod fd;
pub mod fdholder;
pub mod fdpass;
pub mod file;
pub mod filter;
pub mod fmt;
pub mod io;
pub mod ipcserver;
pub mod lock;
pub mod msg;
pub mod path;
pub mod pidfile;
pub mod poll;
pub mod proc;
pub mod regex;
pub mod sdnotify;
pub mod sig;
pub mod sigpolicy;
pub mod socket;
pub mod sudo;
pub mod supervision;
pub mod syslog;
pub mod tai;
pub mod tree;
pub mod trim;
pub mod watch;
