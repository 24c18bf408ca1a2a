#!/bin/sh
# Cost of one exec hop through each process-state chainloader
# (s6-envdir, s6-softlimit, s6-setsid, s6-setlock), s6box against
# Debian's s6 and against running the program directly.
#
# usage: bench/process-state.sh [ S6BOX [ N ] ]
#   S6BOX: the binary (default: the static musl release build)
#   N:     runs per line (default 2000)
set -eu
bin=${1:-target/x86_64-unknown-linux-musl/release/s6box}
n=${2:-2000}
[ -x "$bin" ] || { echo "no $bin: build it first" >&2; exit 100; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for a in s6-envdir s6-softlimit s6-setsid s6-setlock; do
  ln -s "$(realpath "$bin")" "$work/$a"
done
mkdir "$work/env"
printf 'value\n' > "$work/env/A"
printf 'other value  \n' > "$work/env/B"
: > "$work/env/HOME"

# time_it LABEL CMD...: N runs of CMD, microseconds per run.
time_it() {
  label=$1; shift
  i=0
  start=$(date +%s%N)
  while [ $i -lt "$n" ]; do "$@"; i=$((i + 1)); done
  end=$(date +%s%N)
  printf '%-40s %8d us/run\n' "$label" $(( (end - start) / n / 1000 ))
}

true_=/bin/true
time_it "direct: /bin/true" "$true_"
for impl in s6box debian; do
  if [ $impl = s6box ]; then d=$work; else d=/usr/bin; fi
  [ -x "$d/s6-envdir" ] || { echo "SKIP: $impl absent"; continue; }
  time_it "$impl: s6-envdir DIR true" "$d/s6-envdir" "$work/env" "$true_"
  time_it "$impl: s6-softlimit -o 1000 -c 0 true" "$d/s6-softlimit" -o 1000 -c 0 "$true_"
  time_it "$impl: s6-setsid -b true" "$d/s6-setsid" -b "$true_"
  time_it "$impl: s6-setlock -n FILE true" "$d/s6-setlock" -n "$work/lock" "$true_"
done
