#!/bin/bash
# bench/background-watch.sh [ BINARY ]   (default: static musl release build)
# s6-background-watch while it watches a daemon:
#  - idle cost: voluntary/involuntary context switches and utime+stime
#    ticks of the watcher over a 2-second window with nothing happening
#    (target: no change at all);
#  - resident memory of the waiting watcher (VmRSS; target < 1 MiB);
#  - signal forwarding latency, from kill(2) of the watcher to the
#    daemon's SIGUSR1 handler running, over N signals (target: median
#    < 100 us).
# The daemon is a small C program (built here with cc): its parent forks
# it, waits until its handler is installed, writes the pidfile and exits 0.
# Its SIGUSR1 handler writes CLOCK_MONOTONIC (taken in the handler) into a
# fifo; the measuring side takes CLOCK_MONOTONIC just before kill(2) of the
# watcher and reads the handler's timestamp back, one signal at a time, so
# each sample is exactly "kill -> handler" (the return trip through the
# fifo is not counted).
# Needs: cargo, cc.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
WINDOW=${WINDOW:-2}
work=$(mktemp -d)
watcher=
cleanup() {
  if [ -n "$watcher" ]; then kill -TERM "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Default: the static musl release build, the binary that ships.
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build -q --release --target x86_64-unknown-linux-musl
  bin=target/x86_64-unknown-linux-musl/release/s6box
fi
ln -s "$(realpath "$bin")" "$work/s6-background-watch"

cat > "$work/lat.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static int out = -1;

static void on_usr1(int s) {
  struct timespec ts;
  (void)s;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (write(out, &ts, sizeof ts) < 0) _exit(111);
}

static void on_term(int s) { (void)s; _exit(0); }

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static int cmp(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "parent")) {
    /* lat parent PIDFILE FIFO: fork the daemon, write its pid, exit 0 */
    int p[2]; char c;
    if (pipe(p) < 0) return 111;
    pid_t pid = fork();
    if (pid < 0) return 111;
    if (!pid) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_usr1; sa.sa_flags = SA_RESTART;
      sigaction(SIGUSR1, &sa, 0);
      sa.sa_handler = on_term;
      sigaction(SIGTERM, &sa, 0);
      out = open(argv[3], O_RDWR);
      if (out < 0) _exit(111);
      close(p[0]); close(0); close(1);
      if (write(p[1], "", 1) != 1) _exit(111);
      close(p[1]);
      for (;;) pause();
    }
    close(p[1]);
    if (read(p[0], &c, 1) != 1) return 111;
    FILE *f = fopen(argv[2], "w");
    if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f)) return 111;
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "measure")) {
    /* lat measure WATCHERPID FIFO N: N samples of kill -> handler, in ns */
    pid_t w = atoi(argv[2]);
    int n = atoi(argv[4]), in = open(argv[3], O_RDONLY);
    long long *v = calloc(n, sizeof *v);
    if (in < 0 || !v) return 111;
    for (int i = 0; i < n; i++) {
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      if (kill(w, SIGUSR1) < 0) return 111;
      if (read(in, &t1, sizeof t1) != sizeof t1) return 111;
      v[i] = ns(t1) - ns(t0);
    }
    qsort(v, n, sizeof *v, cmp);
    printf("signals: %d  median %.1f us  p90 %.1f us  p99 %.1f us  min %.1f us  max %.1f us\n", n,
      v[n / 2] / 1e3, v[n * 9 / 10] / 1e3, v[n * 99 / 100] / 1e3, v[0] / 1e3, v[n - 1] / 1e3);
    return 0;
  }
  return 100;
}
C
cc -O2 -o "$work/lat" "$work/lat.c"
mkfifo "$work/fifo"

"$work/s6-background-watch" "$work/pid" "$work/lat" parent "$work/pid" "$work/fifo" &
watcher=$!
# Wait for the daemon phase: the watcher holds a pidfd.
for _ in $(seq 1 500); do
  if ls -l "/proc/$watcher/fd" 2>/dev/null | grep -q 'anon_inode:\[pidfd\]'; then break; fi
  sleep 0.01
done
ls -l "/proc/$watcher/fd" | grep -q 'anon_inode:\[pidfd\]' || { echo "watcher never reached the daemon phase" >&2; exit 1; }

field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$watcher/status"; }
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$watcher/stat"; }

echo "binary: $bin ($(stat -c %s "$bin") bytes)"
v0=$(field voluntary_ctxt_switches); n0=$(field nonvoluntary_ctxt_switches); t0=$(ticks)
sleep "$WINDOW"
v1=$(field voluntary_ctxt_switches); n1=$(field nonvoluntary_ctxt_switches); t1=$(ticks)
echo "idle ${WINDOW}s: voluntary switches +$((v1 - v0)), involuntary +$((n1 - n0)), utime+stime ticks +$((t1 - t0))"
echo "wait channel: $(cat "/proc/$watcher/wchan" 2>/dev/null || echo '?')"
echo "memory: VmRSS $(field VmRSS) kB, VmHWM $(field VmHWM) kB, RssAnon $(field RssAnon) kB, RssFile $(field RssFile) kB"
"$work/lat" measure "$watcher" "$work/fifo" "$N"
kill -TERM "$watcher"
set +e
wait "$watcher"; rc=$?
set -e
watcher=
echo "watcher exit after SIGTERM forwarded to the daemon: $rc"
