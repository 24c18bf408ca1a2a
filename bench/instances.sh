#!/bin/bash
# bench/instances.sh [ BINARY ]
# s6box against the 2.15 reference, one run, same machine:
#   - syslog: N datagrams (~90 bytes, a blocking C sender) through
#     `s6-socklog -x P | s6-log -b n3 s100000000 DIR` until all are in
#     `current` (datagrams/s);
#   - s6-instance-create / s6-instance-delete latency, the instance
#     scanner running (each side its own s6-svscan), median of RUNS,
#     each timed around the one command by a small C program;
#   - ucspilogd on MB megabytes of 100-byte lines (lines/s).
# Needs: cc, the 2.15 reference in /opt/s6-2.15.0.0.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
RUNS=${RUNS:-50}
MB=${MB:-100}
REF=${REF:-/opt/s6-2.15.0.0/bin}
# Instanced services live where scan directories do, in /run, a tmpfs
# (s6-rc's live directory, s6-linux-init, s6-overlay): the work directory
# is on a tmpfs (/dev/shm) unless BENCH_DIR names another place, so that a
# disk's journal does not blur the programs' own costs.
work=$(mktemp -d -p "${BENCH_DIR:-/dev/shm}")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
. bench/lib.sh
install_s6box "$work/bin" "${1:-}" s6-socklog s6-log ucspilogd s6-instance-maker \
  s6-instance-create s6-instance-delete s6-svscan s6-supervise s6-svscanctl

cat > "$work/send.c" <<'C'
#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int n = atoi(argv[2]), s = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strcpy(a.sun_path, argv[1]);
  char m[128];
  for (int i = 0; i < n; i++) {
    int l = snprintf(m, sizeof m, "<30>Dec  6 12:00:00 benchd[1234]: message %08d padding padding padding pad", i);
    while (sendto(s, m, l, 0, (struct sockaddr *)&a, sizeof a) < 0) ;
  }
  return 0;
}
C
cc -O2 -o "$work/send" "$work/send.c"
# elapsed PROG ARGS...: runs PROG, prints its wall time in ms (no shell
# or `date` process inside the measured interval).
cat > "$work/elapsed.c" <<'C'
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
int main(int argc, char **argv) {
  struct timespec a, b; pid_t p; int st;
  clock_gettime(CLOCK_MONOTONIC, &a);
  if (posix_spawn(&p, argv[1], 0, 0, argv + 1, environ)) return 111;
  waitpid(p, &st, 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.3f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e6);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 111;
}
C
cc -O2 -o "$work/elapsed" "$work/elapsed.c"

now() { date +%s.%N; }

syslog() { # BINDIR -> datagrams/s
  local b=$1 d=$work/sl.$RANDOM
  mkdir -p "$d"
  mkfifo "$d/pipe"
  "$b/s6-socklog" -x "$d/sock" 2>/dev/null > "$d/pipe" &
  local sp=$!
  "$b/s6-log" -b n3 s100000000 "$d/log" < "$d/pipe" &
  local lp=$!
  while [ ! -S "$d/sock" ]; do sleep 0.01; done
  local t0; t0=$(now)
  "$work/send" "$d/sock" "$N"
  while [ "$(wc -l < "$d/log/current" 2>/dev/null || echo 0)" -lt "$N" ]; do sleep 0.01; done
  local t1; t1=$(now)
  kill "$sp" 2>/dev/null || true
  wait "$sp" "$lp" 2>/dev/null || true
  echo "$N / ($t1 - $t0)" | bc -l | cut -d. -f1
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

instanced() { # BINDIR -> the service directory, its scanner running
  local b=$1 d=$work/inst.$RANDOM
  mkdir -p "$d/tpl"
  printf '#!/bin/sh\nexec sleep 1000\n' > "$d/tpl/run"; chmod 755 "$d/tpl/run"
  "$work/bin/s6-instance-maker" "$d/tpl" "$d/svc"
  (cd "$d/svc" && PATH="$b:/usr/lib/execline/bin:/usr/bin:/bin" exec ./run 3>/dev/null >/dev/null 2>&1) &
  pids+=($!)
  while [ ! -p "$d/svc/instance/.s6-svscan/control" ]; do sleep 0.01; done
  echo "$d/svc"
}

instances() { # -> "ours_create ref_create ours_delete ref_delete" (ms, medians)
  local os rs
  os=$(instanced "$work/bin"); rs=$(instanced "$REF")
  sleep 0.2
  local oc=() rc=() od=() rd=() i
  # Interleaved: one create of each side, then the next.
  for i in $(seq "$RUNS"); do
    oc+=("$("$work/elapsed" "$work/bin/s6-instance-create" "$os" "i$i")")
    rc+=("$("$work/elapsed" "$REF/s6-instance-create" "$rs" "i$i")")
  done
  for i in $(seq "$RUNS"); do
    od+=("$("$work/elapsed" "$work/bin/s6-instance-delete" "$os" "i$i")")
    rd+=("$("$work/elapsed" "$REF/s6-instance-delete" "$rs" "i$i")")
  done
  "$work/bin/s6-svscanctl" -t "$os/instance" 2>/dev/null || true
  "$REF/s6-svscanctl" -t "$rs/instance" 2>/dev/null || true
  local v
  for v in oc rc od rd; do
    eval "printf '%s\n' \"\${$v[@]}\"" | median | xargs printf '%.2f '
  done
  echo
}

ucspi() { # BINDIR -> lines/s
  local b=$1 f=$work/lines
  [ -f "$f" ] || python3 -c "
import sys
l=b'<13>'+b'x'*95+b'\n'
sys.stdout.buffer.write(l*($MB*10000))" > "$f"
  local t0 t1; t0=$(now); "$b/ucspilogd" < "$f" > /dev/null; t1=$(now)
  echo "$MB * 10000 / ($t1 - $t0)" | bc -l | cut -d. -f1
}

printf '%-34s %12s %12s %7s\n' measure s6box 2.15 ratio
o=$(syslog "$work/bin"); r=$(syslog "$REF")
printf '%-34s %12s %12s %7.2f\n' "syslog datagrams/s" "$o" "$r" "$(echo "$o/$r" | bc -l)"
read -r oc rc od rd < <(instances)
printf '%-34s %12s %12s %7.2f\n' "s6-instance-create ms (median)" "$oc" "$rc" "$(echo "$oc/$rc" | bc -l)"
printf '%-34s %12s %12s %7.2f\n' "s6-instance-delete ms (median)" "$od" "$rd" "$(echo "$od/$rd" | bc -l)"
o=$(ucspi "$work/bin"); r=$(ucspi "$REF")
printf '%-34s %12s %12s %7.2f\n' "ucspilogd lines/s" "$o" "$r" "$(echo "$o/$r" | bc -l)"
