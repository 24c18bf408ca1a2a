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

#[cfg(feature = "s6-svc")]
#[path = "s6-svc.rs"]
pub mod s6_svc;

#[cfg(feature = "s6-svdt")]
#[path = "s6-svdt.rs"]
pub mod s6_svdt;

#[cfg(feature = "s6-svdt-clear")]
#[path = "s6-svdt-clear.rs"]
pub mod s6_svdt_clear;

#[cfg(feature = "s6-svlisten")]
#[path = "s6-svlisten.rs"]
pub mod s6_svlisten;

#[cfg(feature = "s6-svlisten1")]
#[path = "s6-svlisten1.rs"]
pub mod s6_svlisten1;

#[cfg(feature = "s6-svok")]
#[path = "s6-svok.rs"]
pub mod s6_svok;

#[cfg(feature = "s6-svstat")]
#[path = "s6-svstat.rs"]
pub mod s6_svstat;

#[cfg(feature = "s6-svwait")]
#[path = "s6-svwait.rs"]
pub mod s6_svwait;
