//! A child that may not change a file's mode or owner by name: a seccomp
//! filter (Linux, x86-64 and aarch64) makes chmod, fchmodat, fchmodat2,
//! chown, lchown and fchownat fail with EPERM, so a test proves that a
//! program acting in a directory others can write changes modes only
//! through descriptors (fchmod, fchown). `None` where no filter is known.

use std::process::Command;

/// `deny_by_name(cmd)`: installs the filter in the child before its exec
/// (and sets umask 077, so a mode left to creation shows); false where
/// the platform has no filter here (the test then only SKIPs that part).
pub fn deny_by_name(cmd: &mut Command) -> bool {
    #[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        use std::os::unix::process::CommandExt;
        #[cfg(target_arch = "x86_64")]
        const ARCH: u32 = 0xc000_003e;
        #[cfg(target_arch = "aarch64")]
        const ARCH: u32 = 0xc000_00b7;
        let mut denied: Vec<u32> = vec![
            libc::SYS_fchmodat as u32,
            452, // fchmodat2
            libc::SYS_fchownat as u32,
        ];
        #[cfg(target_arch = "x86_64")]
        denied.extend([libc::SYS_chmod as u32, libc::SYS_chown as u32, libc::SYS_lchown as u32]);
        let stmt = |code: u16, k: u32| libc::sock_filter { code, jt: 0, jf: 0, k };
        let jeq = |k: u32, jt: u8, jf: u8| libc::sock_filter { code: 0x15, jt, jf, k };
        let (ld_abs, ret) = (0x20u16, 0x06u16);
        let allow = 0x7fff_0000u32;
        let eperm = 0x0005_0000u32 | libc::EPERM as u32;
        let mut prog = vec![stmt(ld_abs, 4), jeq(ARCH, 1, 0), stmt(ret, allow), stmt(ld_abs, 0)];
        let n = denied.len();
        for (i, nr) in denied.iter().enumerate() {
            // Matched: jump to the EPERM return after the remaining tests
            // and the ALLOW return.
            prog.push(jeq(*nr, (n - i) as u8, 0));
        }
        prog.push(stmt(ret, allow));
        prog.push(stmt(ret, eperm));
        // SAFETY: runs in the child between fork and exec; umask and prctl
        // are async-signal-safe, and `prog` outlives the call (moved into
        // the closure).
        unsafe {
            cmd.pre_exec(move || {
                libc::umask(0o077);
                let fprog =
                    libc::sock_fprog { len: prog.len() as u16, filter: prog.as_ptr() as *mut _ };
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &fprog) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        true
    }
    #[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
    {
        let _ = cmd;
        eprintln!("SKIP: no seccomp filter for this platform");
        false
    }
}
