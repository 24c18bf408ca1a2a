#!/bin/sh
# s6-envdir against directories of 10 to 100,000 files: Debian's and
# s6box's, side by side, same directory, same prog (/bin/true).
# The stack limit is raised so the kernel accepts 100,000 variables
# (ARG_MAX is a quarter of it).
# Usage: bench/envdir.sh [BINARY] [SIZES]   (default: the musl release
# build; "10 1000 10000 50000 100000")
set -eu
cd "$(dirname "$0")/.."
sizes=${2:-"10 1000 10000 50000 100000"}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
. bench/lib.sh
install_s6box "$dir/bin" "${1:-}" s6-envdir
ulimit -s 65536

ms() { echo $(( ($2 - $1) / 1000000 )); }

for n in $sizes; do
  e="$dir/env$n"
  mkdir "$e"
  i=0
  (cd "$e" && while [ $i -lt "$n" ]; do echo "value $i" > "V$i"; i=$((i + 1)); done)
  # Enough runs for about 1 s of the fastest side, at least 1.
  runs=$(( 200000 / (n + 100) ))
  [ "$runs" -ge 1 ] || runs=1
  line="$n files ($runs runs):"
  for side in Debian s6box; do
    case $side in
      Debian) [ -x /usr/bin/s6-envdir ] || { line="$line  Debian: absent"; continue; }; p=/usr/bin/s6-envdir ;;
      s6box) p="$dir/bin/s6-envdir" ;;
    esac
    "$p" "$e" /bin/true || { line="$line  $side: FAILED"; continue; }
    start=$(date +%s%N)
    r=0
    while [ $r -lt "$runs" ]; do "$p" "$e" /bin/true; r=$((r + 1)); done
    end=$(date +%s%N)
    line="$line  $side: $(( (end - start) / runs / 1000 )) us/run"
  done
  echo "$line"
  rm -rf "$e"
done
