#!/bin/bash
# bench/exec-hop.sh [ BINARY ]
# The cost of one exec hop: a chain of 40 `s6-applyuidgid` hops ending in
# /bin/true, for s6box (static musl release build), Debian's dynamically
# linked s6-applyuidgid, and a static C program that only execs its
# arguments (the floor). Prints per-hop microseconds and the ratios.
# Needs: hyperfine, musl-gcc (Debian's musl-tools), Debian's s6 package.
set -euo pipefail
cd "$(dirname "$0")/.."
HOPS=${HOPS:-40}
RUNS=${RUNS:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. bench/lib.sh
install_s6box "$work" "${1:-}" s6-applyuidgid

cat > "$work/floor.c" <<'C'
#include <unistd.h>
int main(int argc, char **argv) { (void)argc; execv(argv[1], argv + 1); return 127; }
C
musl-gcc -static -O2 -o "$work/floor.out" "$work/floor.c"
strip "$work/floor.out"
cp "$work/floor.out" "$work/floor"

chain() { # chain PROG: PROG repeated HOPS times, then /bin/true
  local i out=""
  for ((i = 0; i < HOPS; i++)); do out+="$1 "; done
  echo "$out/bin/true"
}

cands=("s6box:$work/s6-applyuidgid" "floor:$work/floor")
if [ -x /usr/bin/s6-applyuidgid ]; then cands+=("debian:/usr/bin/s6-applyuidgid"); fi

args=(-N --warmup 20 --runs "$RUNS" --export-json "$work/r.json" -n true /bin/true)
for c in "${cands[@]}"; do args+=(-n "${c%%:*}" "$(chain "${c#*:}")"); done
hyperfine "${args[@]}" >/dev/null

echo "binary: $bin ($(stat -c %s "$bin") bytes, run from an installed copy); floor: static musl C ($(stat -c %s "$work/floor") bytes)"
python3 - "$work/r.json" "$HOPS" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
hops = int(sys.argv[2])
def per(k, f):
    return (f(r[k]) - f(r["true"])) / hops * 1e6
wall = lambda x: x["median"]
cpu = lambda x: x["user"] + x["system"]
print(f"{'chain':8} {'wall ms':>8} {'us/hop':>7} {'x floor':>8}   {'cpu ms':>7} {'us/hop':>7} {'x floor':>8}")
for k in ["floor", "s6box", "debian"]:
    if k in r:
        print(f"{k:8} {wall(r[k])*1e3:8.3f} {per(k, wall):7.1f} {per(k, wall)/per('floor', wall):8.2f}"
              f"   {cpu(r[k])*1e3:7.3f} {per(k, cpu):7.1f} {per(k, cpu)/per('floor', cpu):8.2f}")
print("wall: median elapsed; cpu: mean user+system time (steadier on a busy machine)")
PY
