//! The applets, one file each, each behind the Cargo feature of its name.

#[cfg(feature = "s6-applyuidgid")]
#[path = "s6-applyuidgid.rs"]
pub mod s6_applyuidgid;

#[cfg(feature = "s6-tai64n")]
#[path = "s6-tai64n.rs"]
pub mod s6_tai64n;

#[cfg(feature = "s6-tai64nlocal")]
#[path = "s6-tai64nlocal.rs"]
pub mod s6_tai64nlocal;
