#!/bin/bash
# bench/sudo.sh [ BINARY ]
# s6-sudo against `s6-ipcserver PATH s6-sudod PROG`, s6box (static musl
# release build, installed copy) side by side with upstream 2.15's static
# programs (installed copies), a static C program as PROG on both sides:
#  - round trip: ROUNDS interleaved rounds of N sequential `s6-sudo PATH`
#    runs each (PROG a static `true`), time per round trip, and the median
#    of the per-round ratios s6box / 2.15;
#  - memory per idle connection: CONNS `s6-sudo PATH` clients held open
#    (PROG a static `pause`): private pages (Private_Clean +
#    Private_Dirty of /proc/PID/smaps_rollup) plus page tables (VmPTE) of
#    every client process (s6-sudo, or 2.15's s6-sudoc it exec'd into) and
#    every s6-sudod, plus the server's growth, divided by CONNS; median of
#    the per-round ratios.
# Needs: musl-gcc, /opt/s6-2.15.0.0/bin (../shared/ref/install.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
ROUNDS=${ROUNDS:-7}
CONNS=${CONNS:-40}
MROUNDS=${MROUNDS:-3}
REF=${REF:-/opt/s6-2.15.0.0/bin}
work=$(mktemp -d /tmp/s6box-bench-sudo.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

. bench/lib.sh
install_s6box "$work/ours" "${1:-}" s6-ipcserver s6-sudod s6-sudo
mkdir -p "$work/ref"
for p in s6-ipcserver s6-ipcserver-socketbinder s6-ipcserverd s6-sudod s6-sudo s6-sudoc s6-ipcclient; do
  cp "$REF/$p" "$work/ref/$p"
done

cat > "$work/true.c" <<'C'
int main(void) { return 0; }
C
cat > "$work/pause.c" <<'C'
#include <unistd.h>
int main(void) { pause(); return 0; }
C
cat > "$work/loop.c" <<'C'
/* loop N prog args...: runs prog N times in sequence (vfork + exec, wait),
   prints the elapsed nanoseconds; fails if a run fails. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    pid_t pid; int st;
    if (posix_spawn(&pid, argv[2], 0, 0, argv + 2, environ)) return 111;
    if (waitpid(pid, &st, 0) < 0 || st) { fprintf(stderr, "run %ld: status %d\n", i, st); return 1; }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
  return 0;
}
C
for p in true pause loop; do musl-gcc -static -O2 -o "$work/$p" "$work/$p.c"; strip "$work/$p"; done

# start_server SIDE SOCK PROG: s6-ipcserver of SIDE serving s6-sudod PROG;
# sets `server` to its pid once it accepts connections.
start_server() {
  local side=$1 sock=$2 prog=$3
  rm -f "$sock" "$sock.lock"
  mkfifo "$work/ready.$side"
  PATH="$work/$side:/usr/bin:/bin" "$work/$side/s6-ipcserver" -1 -c 1000 -C 1000 "$sock" \
    "$work/$side/s6-sudod" "$prog" > "$work/ready.$side" 2>> "$work/server.err" &
  server=$!
  pids+=("$server")
  head -c 1 "$work/ready.$side" > /dev/null
  rm -f "$work/ready.$side"
}

stop_server() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# mem PID...: private pages plus page tables, in kB, summed.
mem() {
  local p t=0
  for p in "$@"; do
    t=$((t + $(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$p/smaps_rollup") \
      + $(awk '/^VmPTE:/ {print $2}' "/proc/$p/status")))
  done
  echo "$t"
}

children() { tr ' ' '\n' < "/proc/$1/task/$1/children" | grep -c . || true; }

echo "round trip: $ROUNDS rounds of $N sequential s6-sudo runs per side (interleaved), PROG a static true"
start_server ours "$work/s.ours" "$work/true"; srv_ours=$server
start_server ref "$work/s.ref" "$work/true"; srv_ref=$server
rt() { PATH="$work/$1:/usr/bin:/bin" "$work/loop" "$N" "$work/$1/s6-sudo" "$work/s.$1"; }
rt ours > /dev/null; rt ref > /dev/null
ratios=()
for ((r = 0; r < ROUNDS; r++)); do
  if ((r % 2)); then b=$(rt ref); a=$(rt ours); else a=$(rt ours); b=$(rt ref); fi
  ratios+=("$a $b")
done
stop_server "$srv_ours"; stop_server "$srv_ref"
printf '%s\n' "${ratios[@]}" | python3 -c '
import sys, statistics
n = int(sys.argv[1])
rows = [tuple(map(int, l.split())) for l in sys.stdin if l.strip()]
a = statistics.median(x / n / 1e3 for x, _ in rows)
b = statistics.median(y / n / 1e3 for _, y in rows)
r = statistics.median(x / y for x, y in rows)
print(f"  s6box {a:7.1f} us   2.15 {b:7.1f} us   ratio (median of rounds) {r:.2f}   (goal 0.7, bar 0.8)")
' "$N"

echo "memory per idle connection: $CONNS s6-sudo clients held open, PROG a static pause, $MROUNDS rounds"
# held SIDE: starts the server and CONNS clients, prints kB per connection.
held() {
  local side=$1 base i clients=() d total
  start_server "$side" "$work/m.$side" "$work/pause"
  local srv=$server
  base=$(mem "$srv")
  for ((i = 0; i < CONNS; i++)); do
    PATH="$work/$side:/usr/bin:/bin" "$work/$side/s6-sudo" "$work/m.$side" < /dev/null > /dev/null 2>&1 &
    clients+=($!)
    pids+=($!)
  done
  # Every s6-sudod has answered once every program (pause) runs.
  for ((i = 0; i < 500; i++)); do
    [ "$(pgrep -c -x pause -P "$(tr ' ' ',' < "/proc/$srv/task/$srv/children" | sed 's/,$//')" 2>/dev/null || echo 0)" -ge "$CONNS" ] && break
    sleep 0.02
  done
  sleep 0.2
  d=$(tr ' ' '\n' < "/proc/$srv/task/$srv/children" | grep .)
  total=$(($(mem "${clients[@]}") + $(mem $d) + $(mem "$srv") - base))
  awk -v t="$total" -v n="$CONNS" 'BEGIN {printf "%.1f\n", t / n}'
  pkill -x -P "$(echo $d | tr ' ' ',')" pause 2>/dev/null || true
  for i in "${clients[@]}"; do wait "$i" 2>/dev/null || true; done
  stop_server "$srv"
}
mrows=()
for ((r = 0; r < MROUNDS; r++)); do
  if ((r % 2)); then b=$(held ref); a=$(held ours); else a=$(held ours); b=$(held ref); fi
  mrows+=("$a $b")
done
printf '%s\n' "${mrows[@]}" | python3 -c '
import sys, statistics
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
a = statistics.median(x for x, _ in rows)
b = statistics.median(y for _, y in rows)
r = statistics.median(x / y for x, y in rows)
print(f"  s6box {a:7.1f} kB   2.15 {b:7.1f} kB   ratio (median of rounds) {r:.2f}   (goal 0.8, bar 1.05)")
'
echo "binary: $bin ($(stat -c %s "$bin") bytes, installed copy)"
