#!/bin/bash
# bench/s6-svscan.sh [ BINARY ]   (default: static musl release build)
# A supervision tree of N services (default 1000; `run` is `exec sleep`),
# s6box's s6-svscan + s6-supervise against installed copies of the 2.15
# reference's, side by side in one run:
#  - start to all up: from the exec of s6-svscan until every
#    supervise/status shows a pid (polled every 5 ms);
#  - memory of the scanner, and the mean per supervisor: private pages
#    (Private_Clean + Private_Dirty of smaps_rollup) plus page tables
#    (VmPTE of /proc/PID/status), what each process costs for itself;
#  - idle wake-ups: voluntary + involuntary context switches summed over
#    the scanner and every supervisor during WINDOW seconds (default 5);
#  - a rescan with nothing new: the scanner's CPU time for one
#    `s6-svscanctl -a` (schedstat, median of 5);
#  - `s6-svscanctl -t` to the whole tree gone (s6-svscan has exited, so
#    every supervisor has been reaped).
# When BINARY carries no s6-supervise applet, s6box's s6-svscan runs the
# reference s6-supervise (said in the output).
# Needs: cargo (without BINARY), python3, the reference in /opt/s6-2.15.0.0.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${N:-1000}
WINDOW=${WINDOW:-5}
REF=${REF:-/opt/s6-2.15.0.0/bin}
work=$(mktemp -d)
scanner=
cleanup() {
  if [ -n "$scanner" ] && kill -0 "$scanner" 2>/dev/null; then
    "$work/ours/s6-svscanctl" -q "$work/scan" 2>/dev/null || kill -TERM "$scanner" 2>/dev/null || true
    wait "$scanner" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

install_s6box "$work/ours" "${1:-}" s6-svscan s6-svscanctl s6-supervise
mkdir -p "$work/ref"
cp "$REF/s6-svscan" "$REF/s6-supervise" "$REF/s6-svscanctl" "$work/ref/"
if "$work/ours/s6box" --list | grep -qx s6-supervise; then
  oursup="s6box's"
else
  oursup="the reference's (s6box has none yet)"
  rm -f "$work/ours/s6-supervise"
fi

cat > "$work/probe.py" <<'PY'
import os, sys, time
def up(scan, n):
    c = 0
    for i in range(n):
        try:
            with open(f"{scan}/s{i}/supervise/status", "rb") as f:
                b = f.read(35)
            if len(b) >= 32 and int.from_bytes(b[24:32], "big") != 0:
                c += 1
        except OSError:
            pass
    return c
def tree(root):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                s = open(f"/proc/{d}/stat").read()
                pp = int(s[s.rfind(")") + 2:].split()[1])
                kids.setdefault(pp, []).append(int(d))
            except OSError:
                pass
    return [root] + [p for p in kids.get(root, []) if open(f"/proc/{p}/cmdline","rb").read().startswith(b"s6-supervise")]
def switches(pids):
    t = 0
    for p in pids:
        try:
            for l in open(f"/proc/{p}/status"):
                if l.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    t += int(l.split()[1])
        except OSError:
            pass
    return t
def mem(p):
    t = 0
    for l in open(f"/proc/{p}/smaps_rollup"):
        if l.startswith(("Private_Clean:", "Private_Dirty:")):
            t += int(l.split()[1])
    for l in open(f"/proc/{p}/status"):
        if l.startswith("VmPTE:"):
            t += int(l.split()[1])
    return t
cmd = sys.argv[1]
if cmd == "waitup":
    scan, n, t0 = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    while up(scan, n) < n:
        time.sleep(0.005)
    print(f"{time.monotonic() - t0:.3f}")
elif cmd == "mem":
    pids = tree(int(sys.argv[2]))
    sups = pids[1:]
    print(f"{mem(pids[0])} {sum(mem(p) for p in sups) / max(len(sups), 1):.1f} {len(sups)}")
elif cmd == "idle":
    pids = tree(int(sys.argv[2]))
    a = switches(pids)
    time.sleep(float(sys.argv[3]))
    print(switches(pids) - a)
elif cmd == "rescan":
    pid, ctl, scan = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    samples = []
    for _ in range(5):
        a = int(open(f"/proc/{pid}/schedstat").read().split()[0])
        os.spawnv(os.P_WAIT, ctl, [ctl, "-a", scan])
        time.sleep(0.5)
        samples.append(int(open(f"/proc/{pid}/schedstat").read().split()[0]) - a)
    samples.sort()
    print(f"{samples[2] / 1e6:.2f}")
elif cmd == "now":
    print(time.monotonic())
PY

make_scan() {
  rm -rf "$work/scan"
  mkdir -p "$work/scan"
  for ((i = 0; i < N; i++)); do
    mkdir "$work/scan/s$i"
    printf '#!/bin/sh\nexec sleep 100000\n' > "$work/scan/s$i/run"
    chmod +x "$work/scan/s$i/run"
  done
}

# measure DIR: one full round with DIR's s6-svscan (and DIR first in PATH).
measure() {
  local dir=$1 t0 up mem idle rescan t1 gone
  make_scan
  sync
  t0=$(python3 "$work/probe.py" now)
  # s6box without s6-supervise finds the reference's, not Debian's.
  PATH="$dir:$work/ref:$PATH" "$dir/s6-svscan" "$work/scan" </dev/null >/dev/null 2>"$work/err" &
  scanner=$!
  up=$(python3 "$work/probe.py" waitup "$work/scan" "$N" "$t0")
  sleep 1
  mem=$(python3 "$work/probe.py" mem "$scanner")
  idle=$(python3 "$work/probe.py" idle "$scanner" "$WINDOW")
  rescan=$(python3 "$work/probe.py" rescan "$scanner" "$dir/s6-svscanctl" "$work/scan")
  t1=$(python3 "$work/probe.py" now)
  "$dir/s6-svscanctl" -t "$work/scan"
  wait "$scanner" || true
  gone=$(python3 -c "import time; print(f'{time.monotonic() - $t1:.3f}')")
  scanner=
  set -- $mem
  printf '%10s %12s %14s %14s %14s %12s\n' "$up" "$1" "$2" "$idle" "$rescan" "$gone" > "$work/row"
}

echo "N=$N services; s6box's tree runs $oursup s6-supervise"
printf '%-28s %10s %12s %14s %14s %14s %12s\n' tree "all up (s)" "scanner mem" "mem/supervisor" "idle wakeups" "rescan (ms)" "-t gone (s)"
row() { measure "$2"; printf '%-28s %s\n' "$1" "$(cat "$work/row")"; }
row "s6box ($(stat -c %s "$work/ours/s6box") B)" "$work/ours"
row "reference 2.15" "$work/ref"
row "s6box (again)" "$work/ours"
row "reference 2.15 (again)" "$work/ref"
echo "(mem: private pages + page tables, KiB; idle wake-ups over ${WINDOW} s summed over the scanner and its supervisors)"
