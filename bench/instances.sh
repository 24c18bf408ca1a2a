#!/bin/bash
# bench/instances.sh [ BINARY ]
# s6box against the 2.15 reference, one run, same machine:
#   - syslog: N datagrams (~90 bytes, a blocking C sender) through
#     `s6-socklog -x P | s6-log -b n3 s100000000 DIR` until all are in
#     `current` (datagrams/s);
#   - s6-instance-create / s6-instance-delete latency, the instance
#     scanner running (each side its own s6-svscan), median of RUNS;
#   - ucspilogd on MB megabytes of 100-byte lines (lines/s).
# Needs: cc, the 2.15 reference in /opt/s6-2.15.0.0.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
RUNS=${RUNS:-50}
MB=${MB:-100}
REF=${REF:-/opt/s6-2.15.0.0/bin}
work=$(mktemp -d)
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

instances() { # BINDIR -> "create_ms delete_ms"
  local b=$1 d=$work/inst.$RANDOM
  mkdir -p "$d/tpl"
  printf '#!/bin/sh\nexec sleep 1000\n' > "$d/tpl/run"; chmod 755 "$d/tpl/run"
  "$work/bin/s6-instance-maker" "$d/tpl" "$d/svc"
  (cd "$d/svc" && PATH="$b:/usr/lib/execline/bin:/usr/bin:/bin" exec ./run 3>/dev/null >/dev/null 2>&1) &
  pids+=($!)
  while [ ! -p "$d/svc/instance/.s6-svscan/control" ]; do sleep 0.01; done
  sleep 0.2
  local c=() x=() i t0 t1
  for i in $(seq "$RUNS"); do
    t0=$(now); "$b/s6-instance-create" "$d/svc" "i$i"; t1=$(now)
    c+=("$(echo "($t1 - $t0) * 1000" | bc -l)")
  done
  for i in $(seq "$RUNS"); do
    t0=$(now); "$b/s6-instance-delete" "$d/svc" "i$i"; t1=$(now)
    x+=("$(echo "($t1 - $t0) * 1000" | bc -l)")
  done
  "$b/s6-svscanctl" -t "$d/svc/instance" 2>/dev/null || true
  printf '%s\n' "${c[@]}" | median | xargs printf '%.1f '
  printf '%s\n' "${x[@]}" | median | xargs printf '%.1f\n'
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
read -r oc od < <(instances "$work/bin"); read -r rc rd < <(instances "$REF")
printf '%-34s %12s %12s %7.2f\n' "s6-instance-create ms (median)" "$oc" "$rc" "$(echo "$oc/$rc" | bc -l)"
printf '%-34s %12s %12s %7.2f\n' "s6-instance-delete ms (median)" "$od" "$rd" "$(echo "$od/$rd" | bc -l)"
o=$(ucspi "$work/bin"); r=$(ucspi "$REF")
printf '%-34s %12s %12s %7.2f\n' "ucspilogd lines/s" "$o" "$r" "$(echo "$o/$r" | bc -l)"
