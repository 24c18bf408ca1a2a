#!/bin/bash
# bench/s6-supervise.sh [ BINARY ]   (default: static musl release build)
# s6box's s6-supervise side by side with installed copies of the 2.15
# reference (static, /opt/s6-2.15.0.0/bin) and Debian's (2.11, dynamic):
#  - idle: voluntary context switches and utime+stime ticks of a supervisor
#    whose service runs, over WINDOW seconds (target: 0 and 0);
#  - memory: what each of NSUP supervisors running at once costs for
#    itself: its private pages (Private_Clean + Private_Dirty of
#    /proc/PID/smaps_rollup) plus its page tables (VmPTE of
#    /proc/PID/status), mean in kB (target: at most the reference's); PSS
#    (the shared pages' share) too, for comparison;
#  - latency, median over N samples: `r` written to supervise/control (as
#    s6-svc -r does) on a ready service, to the new `u` event; and a crash
#    (SIGKILL of run) to the `u` event of the restart. The service signals
#    readiness and is left ready for 1.1 s before each sample, so the 1 s
#    restart throttle never applies.
# The service (`run`) and the measuring listener are small C programs
# (built here with cc).
# Needs: cargo, cc; the reference and Debian's s6 where present.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${N:-7}
WINDOW=${WINDOW:-5}
NSUP=${NSUP:-100}
work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -QUIT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # The services outlive a SIGQUIT of their supervisor: end them by pid.
  for f in "$work"/*/sv*/runpid; do [ -e "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

install_s6box "$work/ours" "${1:-}" s6-supervise
sups=("ours:$work/ours/s6-supervise")
if [ -x /opt/s6-2.15.0.0/bin/s6-supervise ]; then
  mkdir -p "$work/ref"; cp /opt/s6-2.15.0.0/bin/s6-supervise "$work/ref/"
  sups+=("2.15:$work/ref/s6-supervise")
fi
if [ -x /usr/bin/s6-supervise ]; then
  mkdir -p "$work/deb"; cp /usr/bin/s6-supervise "$work/deb/"
  sups+=("debian:$work/deb/s6-supervise")
fi

cat > "$work/run.c" <<'C'
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
int main(void) {
  char b[16]; int n = snprintf(b, sizeof b, "%d\n", (int)getpid());
  int f = open("runpid", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f >= 0) { if (write(f, b, n) < 0) return 111; close(f); }
  if (write(3, "\n", 1) < 0) return 111;
  close(3);
  for (;;) pause();
}
C
cat > "$work/lat.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
/* lat DIR r|k N: median microseconds from the action to the `u` event. */
static long long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
static int ev;
static void upto(char c) { char b; for (;;) { ssize_t r = read(ev, &b, 1); if (r == 1 && b == c) return; if (r <= 0 && errno != EINTR) exit(111); } }
static int cmp(const void *a, const void *b) { long long x = *(long long *)a, y = *(long long *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
  char p[4096], q[4096]; int n = atoi(argv[3]); long long *s = calloc(n, sizeof *s);
  snprintf(q, sizeof q, "%s/event/.ftrig1:@400000000000000000000000:benchx", argv[1]);
  snprintf(p, sizeof p, "%s/event/ftrig1:@400000000000000000000000:benchx", argv[1]);
  unlink(q); if (mkfifo(q, 0622) < 0) return 111;
  ev = open(q, O_RDWR); if (ev < 0 || rename(q, p) < 0) return 111;
  snprintf(q, sizeof q, "%s/supervise/status", argv[1]);
  for (int i = 0; i < n; i++) {
    usleep(1100000);
    long long t0;
    if (argv[2][0] == 'r') {
      snprintf(q, sizeof q, "%s/supervise/control", argv[1]);
      int c = open(q, O_WRONLY | O_NONBLOCK);
      t0 = now(); if (write(c, "r", 1) != 1) return 111; close(c);
    } else {
      unsigned char st[35]; int f = open(q, O_RDONLY); if (read(f, st, 35) != 35) return 111; close(f);
      long long pid = 0; for (int j = 24; j < 32; j++) pid = pid << 8 | st[j];
      t0 = now(); kill((pid_t)pid, SIGKILL);
    }
    upto('u'); s[i] = now() - t0; upto('U');
  }
  unlink(p);
  qsort(s, n, sizeof *s, cmp);
  printf("%lld\n", s[n / 2] / 1000);
  return 0;
}
C
cc -O2 -o "$work/run" "$work/run.c"
cc -O2 -o "$work/lat" "$work/lat.c"

# mksv DIR: a service directory with the C service, ready on fd 3.
mksv() {
  mkdir -p "$1"; cp "$work/run" "$1/run"; echo 3 > "$1/notification-fd"
}
# ticks PID: utime + stime.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
vcs() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$1/status"; }
# waitready DIR: until the status says ready (byte 34 bit 3) and up.
waitready() {
  local i
  for i in $(seq 1 500); do
    if [ -s "$1/supervise/status" ] && [ "$(od -An -tu1 -j34 -N1 "$1/supervise/status" | tr -d ' ')" -ge 8 ] \
      && [ -s "$1/runpid" ]; then return 0; fi
    sleep 0.01
  done
  echo "timeout waiting for $1" >&2; return 1
}

printf '%-8s %10s %8s %10s %8s %12s %14s\n' supervisor wakeups ticks "priv kB" "PSS kB" "r->u us" "crash->u us"
for entry in "${sups[@]}"; do
  name=${entry%%:*}; sup=${entry#*:}
  d="$work/$name-svs"; mkdir -p "$d"
  # Idle.
  mksv "$d/sv0"
  "$sup" "$d/sv0" </dev/null >/dev/null 2>&1 & p=$!; pids+=("$p")
  waitready "$d/sv0"; sleep 0.5
  v0=$(vcs "$p"); t0=$(ticks "$p"); sleep "$WINDOW"; v1=$(vcs "$p"); t1=$(ticks "$p")
  # Latency.
  r=$("$work/lat" "$d/sv0" r "$N")
  k=$("$work/lat" "$d/sv0" k "$N")
  # Memory: NSUP supervisors.
  sp=()
  for i in $(seq 1 "$NSUP"); do
    mksv "$d/sv$i"
    "$sup" "$d/sv$i" </dev/null >/dev/null 2>&1 & sp+=($!); pids+=($!)
  done
  for i in $(seq 1 "$NSUP"); do waitready "$d/sv$i"; done
  [ "$NSUP" -gt 0 ] && sleep 0.5
  pss=0 priv=0
  for q in "${sp[@]}"; do
    pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$q/smaps_rollup")))
    priv=$((priv + $(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$q/smaps_rollup") \
      + $(awk '/^VmPTE:/ {print $2}' "/proc/$q/status")))
  done
  mean() { awk -v s="$1" -v n="$NSUP" 'BEGIN {if (n) printf "%.1f", s / n; else print "-"}'; }
  printf '%-8s %10s %8s %10s %8s %12s %14s\n' "$name" $((v1 - v0)) $((t1 - t0)) \
    "$(mean "$priv")" "$(mean "$pss")" "$r" "$k"
  for q in "$p" "${sp[@]}"; do kill -QUIT "$q" 2>/dev/null || true; wait "$q" 2>/dev/null || true; done
  for f in "$d"/sv*/runpid; do kill -KILL "$(cat "$f")" 2>/dev/null || true; done
  pids=()
done
