//! The applets, one file each, each behind the Cargo feature of its name.

#[cfg(feature = "s6-applyuidgid")]
#[path = "s6-applyuidgid.rs"]
pub mod s6_applyuidgid;

#[cfg(feature = "s6-background-watch")]
#[path = "s6-background-watch.rs"]
pub mod s6_background_watch;
