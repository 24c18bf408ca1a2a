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
#     being hyperfine's --prepare step;
#   - `s6-svstat` and `s6-svok`: exec and read.
# Needs: hyperfine, the 2.15 reference in /opt/s6-2.15.0.0.
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
hf=(hyperfine -N --warmup 10 --runs "$RUNS" --export-json)
"${hf[@]}" "$work/up.json" \
  --prepare "$REF/s6-svc -wD -d $sv" -n s6box "$work/bin/s6-svc -wu -u $sv" \
  --prepare "$REF/s6-svc -wD -d $sv" -n reference "$ref/s6-svc -wu -u $sv" >/dev/null
"${hf[@]}" "$work/down.json" \
  --prepare "$REF/s6-svc -wu -u $sv" -n s6box "$work/bin/s6-svc -wD -d $sv" \
  --prepare "$REF/s6-svc -wu -u $sv" -n reference "$ref/s6-svc -wD -d $sv" >/dev/null
"$REF/s6-svc" -wu -u "$sv"
"${hf[@]}" "$work/stat.json" \
  -n s6box "$work/bin/s6-svstat $sv" -n reference "$ref/s6-svstat $sv" >/dev/null
"${hf[@]}" "$work/ok.json" \
  -n s6box "$work/bin/s6-svok $sv" -n reference "$ref/s6-svok $sv" >/dev/null

echo "binary: $bin ($(stat -c %s "$bin") bytes, installed copy); reference: $REF; supervisor: the reference's"
python3 - "$work" <<'PY'
import json, sys, os
d = sys.argv[1]
print(f"{'case':24} {'s6box ms':>9} {'ref ms':>9} {'ratio':>6}   {'s6box cpu':>9} {'ref cpu':>9}")
for name, label in [("up", "s6-svc -wu -u (down)"), ("down", "s6-svc -wD -d (up)"),
                    ("stat", "s6-svstat"), ("ok", "s6-svok")]:
    r = {x["command"]: x for x in json.load(open(os.path.join(d, name + ".json")))["results"]}
    o, t = r["s6box"], r["reference"]
    cpu = lambda x: (x["user"] + x["system"]) * 1e3
    print(f"{label:24} {o['median']*1e3:9.3f} {t['median']*1e3:9.3f} {o['median']/t['median']:6.2f}"
          f"   {cpu(o):9.3f} {cpu(t):9.3f}")
print("ms: median wall time of one command; ratio: s6box / reference; cpu: mean user+system ms")
PY
