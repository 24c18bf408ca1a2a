#!/bin/bash
# bench/process-state.sh [ BINARY ]
# The cost of one exec hop through each process-state chainloader: a chain
# of HOPS hops of the same applet ending in /bin/true, for s6box (static
# musl release build) and Debian's dynamically linked s6 programs.
#   s6-envdir DIR (3 files), s6-softlimit -o 1000 -c 0, s6-setsid -b -q,
#   s6-setlock -n FILE (re-locking in the same process always succeeds).
# Prints the median of each chain and the per-hop microseconds.
# Needs: hyperfine, python3; Debian's s6 package for the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
HOPS=${HOPS:-40}
RUNS=${RUNS:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. bench/lib.sh
install_s6box "$work/s6box" "${1:-}" s6-envdir s6-softlimit s6-setsid s6-setlock
mkdir "$work/env"
printf 'value\n' > "$work/env/A"
printf 'other value  \n' > "$work/env/B"
: > "$work/env/HOME"

chain() { # chain WORDS...: WORDS repeated HOPS times, then /bin/true
  local i out=""
  for ((i = 0; i < HOPS; i++)); do out+="$* "; done
  echo "$out/bin/true"
}

impls=(s6box)
if [ -x /usr/bin/s6-envdir ]; then impls+=(debian); fi
args=(-N --warmup 10 --runs "$RUNS" --export-json "$work/r.json" -n true /bin/true)
for impl in "${impls[@]}"; do
  if [ "$impl" = s6box ]; then d=$work/s6box; else d=/usr/bin; fi
  args+=(-n "$impl s6-envdir" "$(chain "$d/s6-envdir" "$work/env")")
  args+=(-n "$impl s6-softlimit" "$(chain "$d/s6-softlimit" -o 1000 -c 0)")
  args+=(-n "$impl s6-setsid" "$(chain "$d/s6-setsid" -b -q)")
  args+=(-n "$impl s6-setlock" "$(chain "$d/s6-setlock" -n "$work/lock")")
done
hyperfine "${args[@]}" >/dev/null

echo "binary: $bin ($(stat -c %s "$bin") bytes); $HOPS hops per chain, $RUNS runs"
python3 - "$work/r.json" "$HOPS" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
hops = int(sys.argv[2])
base = r["true"]["median"]
print(f"{'chain':22} {'median ms':>10} {'us/hop':>8}")
for k, v in r.items():
    if k != "true":
        print(f"{k:22} {v['median']*1e3:10.3f} {(v['median'] - base) / hops * 1e6:8.1f}")
PY
