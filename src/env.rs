//! Changing the environment that `exec` hands to the program.

use std::ffi::OsStr;

/// `set(name, value)`: sets `name` to `value` for the program.
pub fn set(name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) {
    // SAFETY: no other thread reads the environment: the only thread s6box
    // ever starts (s6-setlock -t's lock waiter, src/lock.rs) never does.
    unsafe { std::env::set_var(name, value) }
}

/// `unset(name)`: removes `name` from the program's environment.
pub fn unset(name: impl AsRef<OsStr>) {
    // SAFETY: as in `set`: single-threaded.
    unsafe { std::env::remove_var(name) }
}
