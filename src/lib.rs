//! s6box's mechanism library: everything the applets share, in layers
//! (see doc/HACKING.md). The applets and the multicall dispatch are the
//! binary's (`src/main.rs`, `applets/`).

/// `kqueue_os! { items }`: items for the systems where kqueue stands in
/// for inotify and pidfds (the BSDs, macOS).
macro_rules! kqueue_os {
    ($($i:item)*) => {$(
        #[cfg(any(
            target_os = "freebsd",
            target_os = "dragonfly",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "macos"
        ))]
        $i
    )*};
}

/// `other_os! { items }`: items for the systems with neither the Linux
/// descriptors nor kqueue (the `ENOSYS` fallbacks).
macro_rules! other_os {
    ($($i:item)*) => {$(
        #[cfg(not(any(
            target_os = "linux",
            target_os = "android",
            target_os = "freebsd",
            target_os = "dragonfly",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "macos"
        )))]
        $i
    )*};
}

pub mod account;
pub mod adopt;
pub mod alloc;
pub mod argv;
pub mod cli;
pub mod creds;
pub mod env;
pub mod exec;
pub mod exitcode;
pub mod fd;
pub mod filter;
pub mod fmt;
pub mod ipcserver;
pub mod lock;
pub mod msg;
pub mod pidfile;
pub mod poll;
pub mod regex;
pub mod sdnotify;
pub mod sig;
pub mod socket;
pub mod supervision;
pub mod syslog;
pub mod tai;
pub mod tree;
pub mod trim;
pub mod watch;
