//! Changing the environment that `exec` hands to the program.

use std::ffi::OsStr;

/// `set(name, value)`: sets `name` to `value` for the program.
pub fn set(name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) {
    // SAFETY: s6box never starts a thread, so nothing reads the environment
    // concurrently.
    unsafe { std::env::set_var(name, value) }
}

/// `unset(name)`: removes `name` from the program's environment.
pub fn unset(name: impl AsRef<OsStr>) {
    // SAFETY: as in `set`: single-threaded.
    unsafe { std::env::remove_var(name) }
}
