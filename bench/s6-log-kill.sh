#!/bin/bash
# s6-log under kill -9 in a running pipeline: lines lost over KILLS kills,
# s6box against the 2.15 reference, in the same run.
#   A producer (seq) writes numbered lines as fast as the pipe takes them
#   into a fifo this script also holds open (as s6-svscan holds a logged
#   service's pipe), so only what a killed logger had read and not
#   written is lost. A logger is started on the fifo, killed with SIGKILL
#   after a random 5 to 50 ms, and started again, KILLS times; then the
#   producer stops, a last logger drains the pipe, and the logdir (every
#   archive, then `current`) is checked: the numbers missing between the
#   first and the last are the lines lost (a line cut by the kill counts
#   as lost).
#   bench/s6-log-kill.sh      (KILLS=100; BIN=path to an s6box binary,
#                              default: a fresh static musl release build;
#                              EXTRA="name:path/to/s6-log ..." more loggers)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
KILLS=${KILLS:-100}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
install_s6box "$TMP/s6box" "${BIN:-}" s6-log
progs="s6box:$TMP/s6box/s6-log"
if [ -x /opt/s6-2.15.0.0/bin/s6-log ]; then
    progs="$progs ref-2.15:/opt/s6-2.15.0.0/bin/s6-log"
fi
progs="$progs ${EXTRA:-}"

# lost DIR: lines missing from the logdir's whole lines.
lost() {
    for f in $(ls "$1" | grep '^@' | sort) current; do
        # Whole lines only: a last line without its newline is cut.
        awk '{ print }' "$1/$f" | { if [ -n "$(tail -c1 "$1/$f")" ]; then sed '$d'; else cat; fi; }
    done | awk '$1 > 0 && !m { min = $1; m = 1 } $1 > 0 { if ($1 < min) min = $1; if ($1 > max) max = $1; if (!seen[$1]++) n++ }
        END { printf "%d lines kept, %d lost between %d and %d\n", n, max - min + 1 - n, min, max }'
}

for p in $progs; do
    name=${p%%:*} log=${p#*:}
    d=$TMP/$name
    mkdir -p "$d"
    mkfifo "$d/fifo"
    exec 3<>"$d/fifo"
    seq 1 1000000000 >&3 &
    producer=$!
    for i in $(seq "$KILLS"); do
        "$log" n1000 s1000000 "$d/L" <"$d/fifo" 3>&- &
        l=$!
        sleep "0.0$(( RANDOM % 46 + 5 ))" 2>/dev/null || sleep 0.02
        kill -9 "$l"
        wait "$l" 2>/dev/null || true
    done
    kill "$producer"
    wait "$producer" 2>/dev/null || true
    # The last logger's stdin opened here, while fd 3 still holds the
    # pipe (a fifo nobody has open drops its data).
    exec 4<"$d/fifo"
    "$log" n1000 s1000000 "$d/L" <&4 3>&- 4<&- &
    l=$!
    exec 3>&- 4<&-
    wait "$l" || echo "$name: the last logger exited $?"
    echo "$name, $KILLS kills: $(lost "$d/L")"
    rm -rf "$d"
done
