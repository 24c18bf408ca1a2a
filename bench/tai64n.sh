#!/bin/sh
# Throughput of the timestamp filters: 40 MB of 70-byte lines read from a
# file (`< file`), output to /dev/null, then into a pipe (`| cat >
# /dev/null`, where the reader's copies count too); s6box (static musl
# release build) against Debian's s6 2.11 programs and cat. MB/s (10^6
# bytes of input per second), best of RUNS runs.
#   bench/tai64n.sh            (RUNS=7 by default)
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
cargo build -q --release --target x86_64-unknown-linux-musl
BIN=$PWD/target/x86_64-unknown-linux-musl/release/s6box
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ln -s "$BIN" "$TMP/s6-tai64n"
ln -s "$BIN" "$TMP/s6-tai64nlocal"

# 69 bytes of text + newline = 70-byte lines, 40 MB in all.
LINE=$(printf '%069d' 0 | tr 0 x)
yes "$LINE" | head -c 40000000 > "$TMP/plain"
SIZE=$(wc -c < "$TMP/plain")
# Stamped input for s6-tai64nlocal (70-byte lines after the stamp too).
"$TMP/s6-tai64n" < "$TMP/plain" > "$TMP/stamped"
SSIZE=$(wc -c < "$TMP/stamped")

# best NAME SIZE INPUT CMD...: best wall time of RUNS runs, as MB/s.
best() {
    name=$1 size=$2 input=$3
    shift 3
    b=
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(date +%s%N)
        if [ "$PIPE" = yes ]; then
            "$@" < "$input" | cat > /dev/null
        else
            "$@" < "$input" > /dev/null
        fi
        t1=$(date +%s%N)
        d=$((t1 - t0))
        if [ -z "$b" ] || [ $d -lt "$b" ]; then b=$d; fi
        i=$((i + 1))
    done
    # bytes / ns * 1000 = MB/s
    printf '%-32s %8d MB/s  (best %d.%03d s of %d)\n' "$name" \
        $((size * 1000 / b)) $((b / 1000000000)) $((b / 1000000 % 1000)) "$RUNS"
}

echo "input: $SIZE bytes of 70-byte lines; stamped: $SSIZE bytes"
all() {
    best "cat" "$SIZE" "$TMP/plain" cat
    best "s6box s6-tai64n" "$SIZE" "$TMP/plain" "$TMP/s6-tai64n"
    if [ -x /usr/bin/s6-tai64n ]; then
        best "debian s6-tai64n" "$SIZE" "$TMP/plain" /usr/bin/s6-tai64n
    fi
    best "s6box s6-tai64nlocal" "$SSIZE" "$TMP/stamped" env TZ=America/New_York "$TMP/s6-tai64nlocal"
    if [ -x /usr/bin/s6-tai64nlocal ]; then
        best "debian s6-tai64nlocal" "$SSIZE" "$TMP/stamped" env TZ=America/New_York /usr/bin/s6-tai64nlocal
    fi
    best "s6box s6-tai64nlocal -g" "$SSIZE" "$TMP/stamped" "$TMP/s6-tai64nlocal" -g
    if [ -x /usr/bin/s6-tai64nlocal ]; then
        best "debian s6-tai64nlocal -g" "$SSIZE" "$TMP/stamped" /usr/bin/s6-tai64nlocal -g
    fi
}
echo "output to /dev/null:"
PIPE=no all
echo "output into a pipe (| cat > /dev/null):"
PIPE=yes all
