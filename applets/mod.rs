//! The applets, one file each, each behind the Cargo feature of its name.

#[cfg(feature = "s6-applyuidgid")]
#[path = "s6-applyuidgid.rs"]
pub mod s6_applyuidgid;

#[cfg(feature = "s6-background-watch")]
#[path = "s6-background-watch.rs"]
pub mod s6_background_watch;

#[cfg(feature = "s6-cleanfifodir")]
#[path = "s6-cleanfifodir.rs"]
pub mod s6_cleanfifodir;

#[cfg(feature = "s6-envdir")]
#[path = "s6-envdir.rs"]
pub mod s6_envdir;

#[cfg(feature = "s6-envuidgid")]
#[path = "s6-envuidgid.rs"]
pub mod s6_envuidgid;

#[cfg(feature = "s6-fghack")]
#[path = "s6-fghack.rs"]
pub mod s6_fghack;

#[cfg(feature = "s6-ftrig-listen")]
#[path = "s6-ftrig-listen.rs"]
pub mod s6_ftrig_listen;

#[cfg(feature = "s6-ftrig-listen1")]
#[path = "s6-ftrig-listen1.rs"]
pub mod s6_ftrig_listen1;

#[cfg(feature = "s6-ftrig-notify")]
#[path = "s6-ftrig-notify.rs"]
pub mod s6_ftrig_notify;

#[cfg(feature = "s6-ftrig-wait")]
#[path = "s6-ftrig-wait.rs"]
pub mod s6_ftrig_wait;

#[cfg(feature = "s6-log")]
#[path = "s6-log.rs"]
pub mod s6_log;

#[cfg(feature = "s6-mkfifodir")]
#[path = "s6-mkfifodir.rs"]
pub mod s6_mkfifodir;

#[cfg(feature = "s6-notifyoncheck")]
#[path = "s6-notifyoncheck.rs"]
pub mod s6_notifyoncheck;

#[cfg(feature = "s6-permafailon")]
#[path = "s6-permafailon.rs"]
pub mod s6_permafailon;

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

#[cfg(feature = "s6-svc")]
#[path = "s6-svc.rs"]
pub mod s6_svc;

#[cfg(feature = "s6-svdt")]
#[path = "s6-svdt.rs"]
pub mod s6_svdt;

#[cfg(feature = "s6-svdt-clear")]
#[path = "s6-svdt-clear.rs"]
pub mod s6_svdt_clear;

#[cfg(feature = "s6-svlink")]
#[path = "s6-svlink.rs"]
pub mod s6_svlink;

#[cfg(feature = "s6-svlisten")]
#[path = "s6-svlisten.rs"]
pub mod s6_svlisten;

#[cfg(feature = "s6-svlisten1")]
#[path = "s6-svlisten1.rs"]
pub mod s6_svlisten1;

#[cfg(feature = "s6-svok")]
#[path = "s6-svok.rs"]
pub mod s6_svok;

#[cfg(feature = "s6-svperms")]
#[path = "s6-svperms.rs"]
pub mod s6_svperms;

#[cfg(feature = "s6-svscan")]
#[path = "s6-svscan.rs"]
pub mod s6_svscan;

#[cfg(feature = "s6-svscanctl")]
#[path = "s6-svscanctl.rs"]
pub mod s6_svscanctl;

#[cfg(feature = "s6-svstat")]
#[path = "s6-svstat.rs"]
pub mod s6_svstat;

#[cfg(feature = "s6-svunlink")]
#[path = "s6-svunlink.rs"]
pub mod s6_svunlink;

#[cfg(feature = "s6-svwait")]
#[path = "s6-svwait.rs"]
pub mod s6_svwait;

#[cfg(feature = "s6-tai64n")]
#[path = "s6-tai64n.rs"]
pub mod s6_tai64n;

#[cfg(feature = "s6-tai64nlocal")]
#[path = "s6-tai64nlocal.rs"]
pub mod s6_tai64nlocal;
