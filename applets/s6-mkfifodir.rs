//! s6-mkfifodir: create a fifodir, public (01733) or for one group
//! (03730); `-f` gives an existing one the asked mode.

use s6box::argv::Argv;
use s6box::cli::{Cli, Opt};
use s6box::supervision::ftrig;
use s6box::{exitcode, msg};
use rustix::io::Errno;

const USAGE: &str = "s6-mkfifodir [ -f ] [ -g gid ] fifodir";

/// `main(argv)`: the applet.
pub fn main(argv: Argv) -> i32 {
    let mut cli = Cli::new(argv, USAGE);
    let (mut force, mut gid) = (false, None);
    while let Some(opt) = cli.opt() {
        match opt {
            Opt::Short('f') => force = true,
            Opt::Short('g') => gid = Some(cli.number::<u32>()),
            _ => cli.usage(),
        }
    }
    let path = cli.operand();
    let dir = std::os::unix::ffi::OsStrExt::as_bytes(path);
    let r = match ftrig::make_dir(path, gid) {
        Err(Errno::EXIST) => existing(path, gid, force),
        r => r,
    };
    if let Err(e) = r {
        msg::fatal_sys(exitcode::SYS, &[b"create fifodir at ", dir], e);
    }
    0
}

/// `existing(path, gid, force)`: an existing fifodir is accepted if it is
/// a directory of ours, and given the asked mode with `-f`.
fn existing(path: &std::ffi::OsStr, gid: Option<u32>, force: bool) -> Result<(), Errno> {
    let st = rustix::fs::stat(path)?;
    if !rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() {
        return Err(Errno::NOTDIR);
    }
    if st.st_uid != rustix::process::getuid().as_raw() {
        return Err(Errno::ACCESS);
    }
    if force { ftrig::set_mode(path, gid) } else { Ok(()) }
}
