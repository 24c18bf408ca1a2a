//! s6's supervision wire formats and the files of a service directory, one
//! module per format, shared by s6-supervise, s6-svscan, the clients and
//! s6-log, so that the protocol reads in one place:
//!
//! - `status`: `supervise/status`, the 35-byte state record;
//! - `tally`: `supervise/death_tally`, 14-byte death records;
//! - `ftrig`: fifodirs (`event/`): notify, subscribe and listen, clean;
//! - `control`: `supervise/control` (and `.s6-svscan/control`): the
//!   command fifo, both sides;
//! - `svlock`: the supervisor's record lock and "is it supervised?";
//! - `servicedir`: the service directory's files (integers, flags, signal
//!   names) as s6-supervise reads them;
//! - `signame`: signal names and numbers as s6 prints and reads them;
//! - `readiness`: the readiness notification (a newline, then close);
//! - `svwait`: waiting for services to reach a state (the clients' `-w`);
//! - `scandir`: a service linked into (unlinked from) a scan directory;
//! - `instance`: instanced services (`instances/NAME`, `instance/NAME`);
//! - `maker`: the service directories the makers write (execline
//!   quoting, loggers, s6-rc names).

pub mod control;
pub mod events;
pub mod ftrig;
pub mod instance;
pub mod maker;
pub mod readiness;
pub mod scandir;
pub mod servicedir;
pub mod signame;
pub mod status;
pub mod svlock;
pub mod svwait;
pub mod tally;

/// The subdirectory where a supervisor keeps its files.
pub const SUPERVISE: &str = "supervise";
/// The fifodir where a supervisor sends its events.
pub const EVENT: &str = "event";
