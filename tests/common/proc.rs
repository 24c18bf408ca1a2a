//! Processes seen through /proc: state, parent, children and descendants,
//! CPU time and wake-ups, signals by pid, ending a child within a grace
//! period, and the one detector of "asleep in its poll".

use super::poll;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// How long a wait for a process to reach a state may take: generous, as
/// the tests run under load; every wait returns as soon as it can.
pub const LONG: Duration = Duration::from_secs(30);

/// `stat(pid)`: (state, ppid) of a process, from /proc/PID/stat.
pub fn stat(pid: i32) -> Option<(char, i32)> {
    let f = stat_fields(pid)?;
    Some((f[0].chars().next()?, f[1].parse().ok()?))
}

/// `stat_fields(pid)`: the fields of /proc/PID/stat after the command
/// name (field 3, the state, is the first).
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(s[s.rfind(')')? + 2..].split(' ').map(str::to_string).collect())
}

/// `state(pid)`: the state letter in /proc/PID/stat.
pub fn state(pid: i32) -> Option<char> {
    stat(pid).map(|(s, _)| s)
}

/// `alive(pid)`: whether `pid` exists and is neither a zombie nor dead.
pub fn alive(pid: i32) -> bool {
    state(pid).is_some_and(|s| s != 'Z' && s != 'X')
}

/// `pids()`: every process id in /proc.
pub fn pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect()
}

/// `child_states(pid)`: the (pid, state) of every child of `pid`, zombies
/// included.
pub fn child_states(pid: i32) -> Vec<(i32, char)> {
    children(pid)
        .into_iter()
        .filter_map(|p| match stat(p) {
            Some((state, ppid)) if ppid == pid => Some((p, state)),
            _ => None,
        })
        .collect()
}

/// `children(pid)`: the children of `pid`, zombies included, as the
/// kernel lists them (/proc/PID/task/TID/children, every thread's): one
/// read per thread, not a scan of every process.
pub fn children(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    let mut out = Vec::new();
    for t in tasks.flatten() {
        let list = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        out.extend(list.split_whitespace().filter_map(|s| s.parse::<i32>().ok()));
    }
    out
}

/// `descendants(root)`: every process whose parent chain reaches `root`
/// (root excluded), parents before their children, from one reading of
/// /proc.
pub fn descendants(root: i32) -> Vec<i32> {
    let parent: Vec<(i32, i32)> =
        pids().into_iter().filter_map(|p| Some((p, stat(p)?.1))).collect();
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(c, pp) in &parent {
            if pp == p && !out.contains(&c) {
                out.push(c);
                frontier.push(c);
            }
        }
    }
    out
}

/// `cmdline(pid)`: the command line, arguments joined by spaces. A
/// program run by qemu-user through binfmt (`S6BOX_BIN` of another
/// architecture) shows the emulator and the file's path first: they are
/// left out, so the program's own argv is seen, as natively.
pub fn cmdline(pid: i32) -> String {
    let b = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut args: Vec<&[u8]> = b.split(|&c| c == 0).collect();
    if args.first().is_some_and(|a| a.windows(5).any(|w| w == b"qemu-")) && args.len() > 2 {
        args.drain(..2);
    }
    String::from_utf8_lossy(&args.join(&b' ')).trim().to_string()
}

/// `proc_field(pid, key)`: a field of /proc/PID/status.
pub fn proc_field(pid: i32, key: &str) -> String {
    super::status_field(&std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap(), key)
}

/// `cpu_ticks(pid)`: user + system CPU time, in clock ticks.
pub fn cpu_ticks(pid: i32) -> u64 {
    let f = stat_fields(pid).unwrap_or_else(|| panic!("no process {pid}"));
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// `voluntary_switches(pid)`: how many times `pid` went to sleep.
pub fn voluntary_switches(pid: i32) -> u64 {
    proc_field(pid, "voluntary_ctxt_switches").parse().unwrap()
}

/// `kill(pid, sig)`: kill(2), result ignored (the process may be gone).
pub fn kill(pid: i32, sig: i32) {
    // SAFETY: kill takes two integers.
    unsafe { libc::kill(pid, sig) };
}

/// `kill_within(dir)`: SIGKILL to every process whose working directory
/// is `dir` or below it (a service whose supervisor a test killed, reparented
/// away from the tree it was started in); returns their pids.
#[allow(dead_code)]
pub fn kill_within(dir: &std::path::Path) -> Vec<i32> {
    let mut killed = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return killed };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cwd) = std::fs::read_link(e.path().join("cwd")) else { continue };
        let cwd = cwd.to_string_lossy();
        let cwd = cwd.strip_suffix(" (deleted)").unwrap_or(&cwd);
        if std::path::Path::new(cwd).starts_with(dir) {
            kill(pid, libc::SIGKILL);
            killed.push(pid);
        }
    }
    killed
}

/// `kill_tree(root)`: kills `root` and everything below it, leaves first
/// stopped so none forks away: stops descendants until no new one
/// appears, then SIGKILL to each and to `root`.
pub fn kill_tree(root: i32) {
    let mut seen: Vec<i32> = Vec::new();
    for _ in 0..50 {
        let new: Vec<i32> = descendants(root).into_iter().filter(|p| !seen.contains(p)).collect();
        if new.is_empty() {
            break;
        }
        for &p in &new {
            kill(p, libc::SIGSTOP);
        }
        seen.extend(new);
    }
    for &p in &seen {
        kill(p, libc::SIGKILL);
    }
    kill(root, libc::SIGKILL);
}

/// `end_child(child, grace)`: waits up to `grace` for a child told to
/// exit, then kills it; reaped either way.
pub fn end_child(child: &mut Child, grace: Duration) {
    let end = Instant::now() + grace;
    let mut nap = Duration::from_micros(100);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The system calls that wait for descriptors.
#[cfg(target_arch = "x86_64")]
const POLL_CALLS: &[i64] = &[
    libc::SYS_poll,
    libc::SYS_ppoll,
    libc::SYS_select,
    libc::SYS_pselect6,
    libc::SYS_epoll_wait,
    libc::SYS_epoll_pwait,
];
#[cfg(not(target_arch = "x86_64"))]
const POLL_CALLS: &[i64] = &[libc::SYS_ppoll, libc::SYS_pselect6, libc::SYS_epoll_pwait];

/// What one look at a process says about its sleep.
#[derive(Debug, PartialEq, Eq)]
enum Sleep {
    /// Gone, a zombie, or stopped: it will not get to its poll by itself.
    Never(String),
    /// Blocked in a call that waits for descriptors.
    InPoll,
    /// Blocked elsewhere, or running: (state, wchan, syscall).
    Other(String),
}

/// `look(pid, in_poll)`: where `pid` is now: its state, and the kernel
/// function it sleeps in (/proc/PID/wchan) or, when the kernel hides that,
/// the system call it is blocked in (/proc/PID/syscall). `InPoll` needs
/// a poll-family call when `in_poll`, any blocking call otherwise.
fn look(pid: i32, in_poll: bool) -> Sleep {
    let Some(st) = state(pid) else { return Sleep::Never(format!("process {pid} is gone")) };
    if matches!(st, 'Z' | 'X' | 'T' | 't') {
        return Sleep::Never(format!("process {pid} is in state {st}"));
    }
    let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
    let nr = syscall.split(' ').next().and_then(|n| n.trim().parse::<i64>().ok());
    let waits = if !in_poll {
        nr.is_some()
    } else if wchan.is_empty() || wchan == "0" {
        nr.is_some_and(|n| POLL_CALLS.contains(&n))
    } else {
        wchan.contains("poll") || wchan.contains("select")
    };
    if st == 'S' && waits {
        Sleep::InPoll
    } else {
        Sleep::Other(format!("state {st}, wchan {wchan:?}, syscall {:?}", syscall.trim()))
    }
}

/// `asleep_in_poll(pid)`: waits until `pid` sleeps in its poll (state S,
/// blocked in poll/ppoll/select/epoll) and did not wake up between two
/// looks, CPU time unchanged. Panics at once when the process is gone, a
/// zombie or stopped, after 5 s of sleep elsewhere without a wake-up (it
/// is blocked there, not on its way to its poll), and after `LONG`.
pub fn asleep_in_poll(pid: i32) {
    wait_asleep(pid, true);
}

/// `asleep(pid)`: as `asleep_in_poll`, blocked in any system call (a
/// program whose one blocking call is a read or a wait).
pub fn asleep(pid: i32) {
    wait_asleep(pid, false);
}

fn wait_asleep(pid: i32, in_poll: bool) {
    let start = Instant::now();
    let mut last: Option<(u64, u64)> = None;
    let mut elsewhere: Option<(Instant, String, u64)> = None;
    let mut nap = Duration::from_micros(200);
    loop {
        let seen = look(pid, in_poll);
        let counts = (voluntary_switches_of(pid), cpu_ticks_of(pid));
        match seen {
            Sleep::Never(why) => panic!("waiting for {pid} to sleep in poll: {why}"),
            Sleep::InPoll => {
                elsewhere = None;
                if last == Some(counts) && counts.0 != u64::MAX {
                    return;
                }
                last = Some(counts);
            }
            Sleep::Other(what) => {
                last = None;
                match &elsewhere {
                    Some((since, w, sw)) if *w == what && *sw == counts.0 => {
                        assert!(
                            since.elapsed() < Duration::from_secs(5),
                            "{pid} sleeps elsewhere than in {}: {what}",
                            if in_poll { "poll" } else { "a system call" }
                        );
                    }
                    _ => elsewhere = Some((Instant::now(), what.clone(), counts.0)),
                }
                assert!(start.elapsed() < LONG, "{pid} not asleep in poll after {LONG:?}: {what}");
            }
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(10));
    }
}

fn voluntary_switches_of(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(u64::MAX)
}

fn cpu_ticks_of(pid: i32) -> u64 {
    stat_fields(pid)
        .and_then(|f| Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?))
        .unwrap_or(u64::MAX)
}

/// `wakeups(pid, window)`: once `pid` sleeps in its poll, how many times
/// it woke up during the next `window` (a measurement over a window, not
/// a synchronisation).
pub fn wakeups(pid: i32, window: Duration) -> u64 {
    asleep_in_poll(pid);
    let before = voluntary_switches(pid);
    std::thread::sleep(window);
    voluntary_switches(pid) - before
}

/// `asleep_now(pid)`: one look: whether `pid` sleeps in its poll now.
pub fn asleep_now(pid: i32) -> bool {
    look(pid, true) == Sleep::InPoll
}

/// `wait_gone(pid)`: waits until `pid` no longer exists (reaped).
pub fn wait_gone(pid: i32, what: &str) {
    poll(LONG, what, || stat(pid).is_none().then_some(()));
}

/// A child process killed and reaped when dropped (a failed test leaves
/// nothing running), unless taken out (`output`, `into_inner`).
pub struct Reaped(Option<Child>);

impl Reaped {
    /// `new(child)`: guards `child`.
    pub fn new(child: Child) -> Reaped {
        Reaped(Some(child))
    }

    /// `spawn(cmd)`: spawns and guards.
    pub fn spawn(cmd: &mut Command) -> Reaped {
        Reaped::new(cmd.spawn().expect("spawn"))
    }

    /// `pid()`: the child's pid.
    pub fn pid(&self) -> i32 {
        self.id() as i32
    }

    /// `output()`: waits for the exit and collects the piped outputs.
    pub fn output(mut self) -> Output {
        self.0.take().unwrap().wait_with_output().unwrap()
    }

    /// `into_inner()`: the child, no longer guarded.
    pub fn into_inner(mut self) -> Child {
        self.0.take().unwrap()
    }
}

impl std::ops::Deref for Reaped {
    type Target = Child;
    fn deref(&self) -> &Child {
        self.0.as_ref().unwrap()
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut Child {
        self.0.as_mut().unwrap()
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
