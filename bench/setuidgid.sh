#!/bin/sh
# Cost of `s6-setuidgid USER prog` per run: Debian's (which chainloads
# s6-envuidgid and s6-applyuidgid: three execs) against s6box's
# in-process one (one exec), and s6-envuidgid alone. Needs root.
# Usage: bench/setuidgid.sh [BINARY] [N]   (default: the musl release build, 1000)
set -eu
cd "$(dirname "$0")/.."
n=${2:-1000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
. bench/lib.sh
install_s6box "$dir" "${1:-}" s6-setuidgid s6-envuidgid

run() { # label, command...
  label=$1; shift
  start=$(date +%s%N)
  i=0
  while [ $i -lt "$n" ]; do "$@" >/dev/null; i=$((i + 1)); done
  end=$(date +%s%N)
  echo "$label: $(( (end - start) / n / 1000 )) us/run ($n runs)"
}

run "baseline /bin/true          " /bin/true
[ -x /usr/bin/s6-setuidgid ] && run "Debian s6-setuidgid nobody  " /usr/bin/s6-setuidgid nobody /bin/true
run "s6box  s6-setuidgid nobody  " "$dir/s6-setuidgid" nobody /bin/true
run "s6box  s6-setuidgid 65534:65534" "$dir/s6-setuidgid" 65534:65534 /bin/true
[ -x /usr/bin/s6-envuidgid ] && run "Debian s6-envuidgid nobody  " /usr/bin/s6-envuidgid nobody /bin/true
run "s6box  s6-envuidgid nobody  " "$dir/s6-envuidgid" nobody /bin/true
