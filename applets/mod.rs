//! The applets, one file each, each behind the Cargo feature of its name.

#[cfg(feature = "s6-applyuidgid")]
#[path = "s6-applyuidgid.rs"]
pub mod s6_applyuidgid;

#[cfg(feature = "s6-background-watch")]
#[path = "s6-background-watch.rs"]
pub mod s6_background_watch;

#[cfg(feature = "s6-envdir")]
#[path = "s6-envdir.rs"]
pub mod s6_envdir;

#[cfg(feature = "s6-envuidgid")]
#[path = "s6-envuidgid.rs"]
pub mod s6_envuidgid;

#[cfg(feature = "s6-fghack")]
#[path = "s6-fghack.rs"]
pub mod s6_fghack;

#[cfg(feature = "s6-setlock")]
#[path = "s6-setlock.rs"]
pub mod s6_setlock;

#[cfg(feature = "s6-setsid")]
#[path = "s6-setsid.rs"]
pub mod s6_setsid;

#[cfg(feature = "s6-setuidgid")]
#[path = "s6-setuidgid.rs"]
pub mod s6_setuidgid;

#[cfg(feature = "s6-softlimit")]
#[path = "s6-softlimit.rs"]
pub mod s6_softlimit;

#[cfg(feature = "s6-supervise")]
#[path = "s6-supervise.rs"]
pub mod s6_supervise;

#[cfg(feature = "s6-tai64n")]
#[path = "s6-tai64n.rs"]
pub mod s6_tai64n;

#[cfg(feature = "s6-tai64nlocal")]
#[path = "s6-tai64nlocal.rs"]
pub mod s6_tai64nlocal;

#[cfg(feature = "s6-svscan")]
#[path = "s6-svscan.rs"]
pub mod s6_svscan;

#[cfg(feature = "s6-svscanctl")]
#[path = "s6-svscanctl.rs"]
pub mod s6_svscanctl;
