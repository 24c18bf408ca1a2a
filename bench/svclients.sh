#!/bin/bash
# bench/svclients.sh [ BINARY ]
# The supervision clients, side by side with the 2.15 reference, both run
# from installed copies against the same supervisor (the reference's
# s6-supervise, on a service whose run is the reference's small static
# s6-tai64n blocked reading a pipe that never ends, so the supervisor's
# side costs as little as it can):
#   - round trip `s6-svc -wu -u` on a down service and `s6-svc -wD -d` on an
#     up one (s6 execs s6-svlisten, which spawns s6-ftrigrd and s6-svc;
#     s6box waits in one process): each measured alone, the other one
#     being its preparation;
#   - `s6-svstat` and `s6-svok`: exec and read.
# Needs: python3, the 2.15 reference in /opt/s6-2.15.0.0.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-200}
REF=${REF:-/opt/s6-2.15.0.0/bin}
work=$(mktemp -d)
sup=
cleanup() {
  if [ -n "$sup" ]; then
    kill "$sup" 2>/dev/null || true
    wait "$sup" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

. bench/lib.sh
install_s6box "$work/bin" "${1:-}" s6-svc s6-svstat s6-svok
ref="$work/ref"
mkdir -p "$ref"
for p in s6-svc s6-svstat s6-svok s6-svlisten s6-svlisten1 s6-svwait; do cp "$REF/$p" "$ref/"; done
# (The reference's s6-ftrigrd is found by its build-time path.)

sv="$work/sv"
mkdir -p "$sv"
cp "$REF/s6-tai64n" "$sv/run"
touch "$sv/down"
mkfifo "$work/never"
exec 3<>"$work/never"
"$REF/s6-supervise" "$sv" <&3 >/dev/null &
sup=$!
until "$REF/s6-svok" "$sv" 2>/dev/null; do sleep 0.01; done

export PATH="$ref:$PATH"   # the reference s6-svc -w execs s6-svlisten from PATH
# Interleaved: each run of s6box's command is followed by one of the
# reference's, each after its preparation, so the load of a busy machine
# weighs on both alike; medians over RUNS pairs.
python3 - "$work" "$RUNS" "$REF" "$sv" > "$work/table" <<'PY'
import os, resource, sys, time, statistics
work, runs, REF, sv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ours, ref = work + "/bin", work + "/ref"
def run(argv):
    t = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
    _, st = os.waitpid(pid, 0)
    dt = time.perf_counter_ns() - t
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{argv} failed")
    return dt / 1e6
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1e3
cases = [
    ("s6-svc -wu -u (down)", [REF + "/s6-svc", "-wD", "-d", sv], ["s6-svc", "-wu", "-u", sv]),
    ("s6-svc -wD -d (up)", [REF + "/s6-svc", "-wu", "-u", sv], ["s6-svc", "-wD", "-d", sv]),
    ("s6-svstat", None, ["s6-svstat", sv]),
    ("s6-svok", None, ["s6-svok", sv]),
]
print(f"{'case':24} {'s6box ms':>9} {'ref ms':>9} {'ratio':>6}   {'s6box cpu':>9} {'ref cpu':>9}")
for label, prep, cmd in cases:
    t = {"o": [], "r": []}
    c = {"o": 0.0, "r": 0.0}
    for i in range(runs + 5):
        for k, d in (("o", ours), ("r", ref)) if i % 2 == 0 else (("r", ref), ("o", ours)):
            if prep:
                run(prep)
            c0 = cpu()
            dt = run([d + "/" + cmd[0]] + cmd[1:])
            if i >= 5:
                t[k].append(dt)
                c[k] += cpu() - c0
    mo, mr = statistics.median(t["o"]), statistics.median(t["r"])
    print(f"{label:24} {mo:9.3f} {mr:9.3f} {mo/mr:6.2f}   {c['o']/runs:9.3f} {c['r']/runs:9.3f}")
print("ms: median wall time of one command (spawn to reaped); ratio: s6box / reference;")
print("cpu: mean user+system ms of the command and its children (the reference's helpers)")
PY
echo "binary: $bin ($(stat -c %s "$bin") bytes, installed copy); reference: $REF; supervisor: the reference's; $RUNS interleaved pairs"
cat "$work/table"
