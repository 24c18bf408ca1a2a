//! The applets, one file each, each behind the Cargo feature of its name,
//! and the multicall table. Adding an applet: one line in `applets!`
//! below (sorted), plus its Cargo feature.

use s6box::argv::Argv;

/// An applet's entry point: gets its own argv (argv[0] is its name),
/// returns the exit code (or never returns, having exec'd).
pub type Entry = fn(Argv) -> i32;

/// The command-line side of the waiting clients, shared by several
/// applets (unused parts dropped when some are left out).
#[allow(dead_code)]
pub mod waiting;

/// The name checks and hand-over shared by s6-instance-control and
/// s6-instance-status.
#[allow(dead_code)]
pub mod instance;

/// The command line shared by the sd_notify bridges.
#[allow(dead_code)]
pub mod notify;

/// `applets! { "name" "file.rs" module, ... }`: declares each applet's
/// module behind its feature and enters it in `APPLETS`.
macro_rules! applets {
    ($($name:literal $file:literal $module:ident,)*) => {
        $(
            #[cfg(feature = $name)]
            #[path = $file]
            pub mod $module;
        )*

        /// Every applet built in, sorted by name (a unit test checks it).
        pub static APPLETS: &[(&str, Entry)] = &[
            $(
                #[cfg(feature = $name)]
                ($name, $module::main),
            )*
        ];
    };
}

applets! {
    "s6-accessrules-cdb-from-fs" "s6-accessrules-cdb-from-fs.rs" s6_accessrules_cdb_from_fs,
    "s6-accessrules-fs-from-cdb" "s6-accessrules-fs-from-cdb.rs" s6_accessrules_fs_from_cdb,
    "s6-applyuidgid" "s6-applyuidgid.rs" s6_applyuidgid,
    "s6-background-watch" "s6-background-watch.rs" s6_background_watch,
    "s6-cleanfifodir" "s6-cleanfifodir.rs" s6_cleanfifodir,
    "s6-connlimit" "s6-connlimit.rs" s6_connlimit,
    "s6-envdir" "s6-envdir.rs" s6_envdir,
    "s6-envuidgid" "s6-envuidgid.rs" s6_envuidgid,
    "s6-fdholder-daemon" "s6-fdholder-daemon.rs" s6_fdholder_daemon,
    "s6-fdholder-delete" "s6-fdholder-delete.rs" s6_fdholder_delete,
    "s6-fdholder-getdump" "s6-fdholder-getdump.rs" s6_fdholder_getdump,
    "s6-fdholder-list" "s6-fdholder-list.rs" s6_fdholder_list,
    "s6-fdholder-retrieve" "s6-fdholder-retrieve.rs" s6_fdholder_retrieve,
    "s6-fdholder-setdump" "s6-fdholder-setdump.rs" s6_fdholder_setdump,
    "s6-fdholder-store" "s6-fdholder-store.rs" s6_fdholder_store,
    "s6-fdholder-transferdump" "s6-fdholder-transferdump.rs" s6_fdholder_transferdump,
    "s6-fdholderd" "s6-fdholderd.rs" s6_fdholderd,
    "s6-fghack" "s6-fghack.rs" s6_fghack,
    "s6-ftrig-listen" "s6-ftrig-listen.rs" s6_ftrig_listen,
    "s6-ftrig-listen1" "s6-ftrig-listen1.rs" s6_ftrig_listen1,
    "s6-ftrig-notify" "s6-ftrig-notify.rs" s6_ftrig_notify,
    "s6-ftrig-wait" "s6-ftrig-wait.rs" s6_ftrig_wait,
    "s6-instance-control" "s6-instance-control.rs" s6_instance_control,
    "s6-instance-create" "s6-instance-create.rs" s6_instance_create,
    "s6-instance-delete" "s6-instance-delete.rs" s6_instance_delete,
    "s6-instance-list" "s6-instance-list.rs" s6_instance_list,
    "s6-instance-maker" "s6-instance-maker.rs" s6_instance_maker,
    "s6-instance-status" "s6-instance-status.rs" s6_instance_status,
    "s6-ioconnect" "s6-ioconnect.rs" s6_ioconnect,
    "s6-ipcclient" "s6-ipcclient.rs" s6_ipcclient,
    "s6-ipcserver" "s6-ipcserver.rs" s6_ipcserver,
    "s6-ipcserver-access" "s6-ipcserver-access.rs" s6_ipcserver_access,
    "s6-ipcserver-socketbinder" "s6-ipcserver-socketbinder.rs" s6_ipcserver_socketbinder,
    "s6-ipcserverd" "s6-ipcserverd.rs" s6_ipcserverd,
    "s6-log" "s6-log.rs" s6_log,
    "s6-mkfifodir" "s6-mkfifodir.rs" s6_mkfifodir,
    "s6-notify-fd-from-socket" "s6-notify-fd-from-socket.rs" s6_notify_fd_from_socket,
    "s6-notify-socket-from-fd" "s6-notify-socket-from-fd.rs" s6_notify_socket_from_fd,
    "s6-notifyoncheck" "s6-notifyoncheck.rs" s6_notifyoncheck,
    "s6-permafailon" "s6-permafailon.rs" s6_permafailon,
    "s6-setlock" "s6-setlock.rs" s6_setlock,
    "s6-setsid" "s6-setsid.rs" s6_setsid,
    "s6-setuidgid" "s6-setuidgid.rs" s6_setuidgid,
    "s6-socklog" "s6-socklog.rs" s6_socklog,
    "s6-softlimit" "s6-softlimit.rs" s6_softlimit,
    "s6-sudo" "s6-sudo.rs" s6_sudo,
    "s6-sudoc" "s6-sudoc.rs" s6_sudoc,
    "s6-sudod" "s6-sudod.rs" s6_sudod,
    "s6-supervise" "s6-supervise.rs" s6_supervise,
    "s6-svc" "s6-svc.rs" s6_svc,
    "s6-svdt" "s6-svdt.rs" s6_svdt,
    "s6-svdt-clear" "s6-svdt-clear.rs" s6_svdt_clear,
    "s6-svlink" "s6-svlink.rs" s6_svlink,
    "s6-svlisten" "s6-svlisten.rs" s6_svlisten,
    "s6-svlisten1" "s6-svlisten1.rs" s6_svlisten1,
    "s6-svok" "s6-svok.rs" s6_svok,
    "s6-svperms" "s6-svperms.rs" s6_svperms,
    "s6-svscan" "s6-svscan.rs" s6_svscan,
    "s6-svscanctl" "s6-svscanctl.rs" s6_svscanctl,
    "s6-svstat" "s6-svstat.rs" s6_svstat,
    "s6-svunlink" "s6-svunlink.rs" s6_svunlink,
    "s6-svwait" "s6-svwait.rs" s6_svwait,
    "s6-tai64n" "s6-tai64n.rs" s6_tai64n,
    "s6-tai64nlocal" "s6-tai64nlocal.rs" s6_tai64nlocal,
    "s6-usertree-maker" "s6-usertree-maker.rs" s6_usertree_maker,
    "ucspilogd" "ucspilogd.rs" ucspilogd,
}

/// `find(name)`: the entry of the applet called exactly `name`.
pub fn find(name: &[u8]) -> Option<(&'static str, Entry)> {
    APPLETS.binary_search_by(|(n, _)| n.as_bytes().cmp(name)).ok().map(|i| APPLETS[i])
}
