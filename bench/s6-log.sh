#!/bin/sh
# s6-log throughput and memory: s6box (static musl release build, an
# installed copy) against the 2.15 reference's static s6-log and Debian's
# (copies installed the same way), same input, side by side.
#   - throughput (MB/s of input, best of RUNS) for `t s1000000 n10 DIR`
#     (rotation included), for `1` alone (to /dev/null), and for a
#     `-`/`+` regex selection into a logdir;
#   - VmHWM (peak resident memory, from /usr/bin/time's %M) for 1 GB of
#     short lines and for 64 MB of 1 MB lines under the default -l.
#   bench/s6-log.sh           (RUNS=5, SIZE=200000000 by default)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-5}
SIZE=${SIZE:-200000000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
install_s6box "$TMP/s6box" "" s6-log
OURS=$TMP/s6box/s6-log
progs="s6box:$OURS"
if [ -x /opt/s6-2.15.0.0/bin/s6-log ]; then
    mkdir -p "$TMP/ref" && cp /opt/s6-2.15.0.0/bin/s6-log "$TMP/ref/s6-log"
    progs="$progs ref-2.15:$TMP/ref/s6-log"
fi
if [ -x /usr/bin/s6-log ]; then
    mkdir -p "$TMP/deb" && cp /usr/bin/s6-log "$TMP/deb/s6-log"
    progs="$progs debian-2.11:$TMP/deb/s6-log"
fi

# 69 bytes of text + newline, a varied word so the regexes work a little.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "%s service[%05d]: request %07d handled in %03d ms ok\n", (i % 7 ? "info" : "warn"), i % 99991, i, i % 997 }' > "$TMP/block"
: > "$TMP/in"
while [ "$(wc -c < "$TMP/in")" -lt "$SIZE" ]; do cat "$TMP/block" >> "$TMP/in"; done
BYTES=$(wc -c < "$TMP/in")

# best NAME PROG ARGS...: best wall time of RUNS runs on the input, MB/s.
best() {
    name=$1 prog=$2
    shift 2
    b=
    i=0
    while [ $i -lt "$RUNS" ]; do
        rm -rf "$TMP/logdir"
        t0=$(date +%s%N)
        "$prog" "$@" < "$TMP/in" > /dev/null
        t1=$(date +%s%N)
        d=$((t1 - t0))
        if [ -z "$b" ] || [ $d -lt "$b" ]; then b=$d; fi
        i=$((i + 1))
    done
    printf '  %-12s %6d MB/s  (best %d.%03d s of %d)\n' "$name" \
        $((BYTES * 1000 / b)) $((b / 1000000000)) $((b / 1000000 % 1000)) "$RUNS"
}

all() {
    for p in $progs; do
        best "${p%%:*}" "${p#*:}" "$@"
    done
}

echo "input: $BYTES bytes of 70-byte lines (from a file)"
echo "t s1000000 n10 DIR:"
all t s1000000 n10 "$TMP/logdir"
echo "1 (to /dev/null):"
all 1
echo "- +warn '-7 ms ok\$' s1000000 n10 DIR (regex selection):"
all - +warn '-7 ms ok$' s1000000 n10 "$TMP/logdir"

# hwm NAME PROG INPUTCMD: peak RSS of one run fed by INPUTCMD.
hwm() {
    name=$1 prog=$2 input=$3
    rm -rf "$TMP/logdir"
    kb=$(sh -c "$input" | /usr/bin/time -f %M "$prog" s1000000 n2 "$TMP/logdir" 2>&1 >/dev/null | tail -1)
    printf '  %-12s VmHWM %6d kB\n' "$name" "$kb"
}
echo "memory, 1 GB of 70-byte lines (s1000000 n2 DIR):"
for p in $progs; do
    hwm "${p%%:*}" "${p#*:}" "for i in \$(seq 143); do cat $TMP/block; done"
done
head -c 1048575 /dev/zero | tr '\0' x > "$TMP/long"
echo >> "$TMP/long"
echo "memory, 64 lines of 1 MB, default -l 8192 (s1000000 n2 DIR):"
for p in $progs; do
    hwm "${p%%:*}" "${p#*:}" "for i in \$(seq 64); do cat $TMP/long; done"
done
