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

bin=${1:-}
if [ -z "$bin" ]; then
  cargo build -q --release --target x86_64-unknown-linux-musl
  bin=target/x86_64-unknown-linux-musl/release/s6box
fi
ln -s "$(realpath "$bin")" "$work/s6-applyuidgid"

cat > "$work/floor.c" <<'C'
#include <unistd.h>
int main(int argc, char **argv) { (void)argc; execv(argv[1], argv + 1); return 127; }
C
musl-gcc -static -O2 -o "$work/floor" "$work/floor.c"
strip "$work/floor"

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

echo "binary: $bin ($(stat -c %s "$bin") bytes); floor: static musl C ($(stat -c %s "$work/floor") bytes)"
python3 - "$work/r.json" "$HOPS" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
hops = int(sys.argv[2])
base = r["true"]["median"]
per = {k: (v["median"] - base) / hops * 1e6 for k, v in r.items() if k != "true"}
print(f"{'chain':8} {'median ms':>10} {'us/hop':>8} {'x floor':>8}")
for k in ["floor", "s6box", "debian"]:
    if k in per:
        print(f"{k:8} {r[k]['median']*1e3:10.3f} {per[k]:8.1f} {per[k]/per['floor']:8.2f}")
PY
