#!/bin/bash
# bench/hot-functions.sh: remakes link/hot.ld, the list of the functions
# s6box runs at start-up and in its common paths, which the x86-64 static
# build places together at the start of its code (.cargo/config.toml).
# An exec then faults in two or three 64 KiB windows of text instead of
# one in nearly every window (measured: 19 page faults per exec of
# `s6-ipcclient` without the list, 13 with it; 2.15's is 6).
#
# How: an unstripped release build runs a set of common commands under
# qemu-user's execution log (`qemu-x86_64-static -d exec`); every address
# executed is mapped to its function. Rust names lose their hash (a
# pattern), so the list stays valid as the code changes; a pattern that
# matches nothing is harmless, and a function missing from the list only
# costs a page fault. Rerun after large changes.
# Needs: qemu-user-static (qemu-x86_64-static), python3, binutils.
set -euo pipefail
cd "$(dirname "$0")/.."
QEMU=${QEMU:-qemu-x86_64-static}
command -v "$QEMU" >/dev/null || { echo "needs $QEMU (apt-get install qemu-user-static)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

CARGO_PROFILE_RELEASE_STRIP=false cargo build -q --release --target x86_64-unknown-linux-musl \
  --target-dir target/hot-sym
B=$PWD/target/hot-sym/x86_64-unknown-linux-musl/release/s6box
mkdir -p "$work/bin" "$work/sv" "$work/ed" "$work/scan"
for n in $("$B" --list); do ln -s "$B" "$work/bin/$n"; done
export PATH="$work/bin:$PATH"
n=0
# q PROG ARGS...: s6box's PROG under the execution log (qemu-user takes a
# path, not a name to search); qbg: the same in the background.
q() { n=$((n + 1)); "$QEMU" -d exec,nochain -D "$work/q$n.log" "$work/bin/$1" "${@:2}" || true; }
qbg() { n=$((n + 1)); "$QEMU" -d exec,nochain -D "$work/q$n.log" "$work/bin/$1" "${@:2}" & pids+=($!); }
# until TEST...: waits (10 s at most) for TEST to hold.
until_ready() { for _ in $(seq 200); do "$@" && return 0; sleep 0.05; done; echo "timed out: $*"; exit 1; }

printf '#!/bin/sh\nexec sleep 100\n' > "$work/sv/run"; chmod 755 "$work/sv/run"
echo x > "$work/ed/A"
# Long-running programs: start-up and first events.
qbg s6-supervise "$work/sv"
until_ready test -p "$work/sv/supervise/control"
# The server's children run natively (qemu-user does not follow an exec):
# s6-sudod is run under the log by name.
qbg s6-ipcserver -1 "$work/sock" "$QEMU" -d exec,nochain -D "$work/q999.log" "$work/bin/s6-sudod" true > /dev/null
until_ready test -S "$work/sock"
qbg s6-svscan "$work/scan"
mkdir -p "$work/rules/uid/0/env"
touch "$work/rules/uid/0/allow"
for v in LIST GETDUMP SETDUMP STORE_REGEX RETRIEVE_REGEX; do echo > "$work/rules/uid/0/env/S6_FDHOLDER_$v"; done
qbg s6-fdholder-daemon -1 -i "$work/rules" "$work/fdsock" > /dev/null
until_ready test -S "$work/fdsock"
# Clients and chainloaders.
q s6-svc -u "$work/sv"
q s6-svstat "$work/sv"
q s6-svok "$work/sv"
q s6-svwait -u -t 2000 "$work/sv"
q s6-ipcclient "$work/sock" true
q s6-sudo "$work/sock"
q s6-envdir "$work/ed" true
q s6-setuidgid root true
q s6-softlimit -o 100 true
q s6-ipcclient
echo hi | q s6-tai64n > /dev/null
echo hi | q s6-log "$work/log"
q s6-svscanctl -a "$work/scan"
q s6-fdholder-store "$work/fdsock" xid < /dev/null
q s6-fdholder-list "$work/fdsock" > /dev/null
q s6-fdholder-retrieve -D "$work/fdsock" xid true
sleep 0.5
q s6-svc -xd "$work/sv"

nm -n --defined-only "$B" | awk '$2 ~ /^[tTwW]$/ {print $1, $3}' > "$work/syms"
LIBC=$(dirname "$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-musl/lib/self-contained/libc.a")/libc.a
python3 - "$work" "$LIBC" <<'PY' > link/hot.ld
import bisect, glob, re, subprocess, sys
work, libc = sys.argv[1], sys.argv[2]
syms = [(int(a, 16), n) for a, n in (l.split() for l in open(work + "/syms"))]
addrs = [a for a, _ in syms]
# Order: the functions most commands run first (start-up, parsing,
# messages), then by first use, so that each command's own functions sit
# together after the common ones.
order, uses = {}, {}
for f in sorted(glob.glob(work + "/q*.log"), key=lambda p: int(re.search(r"q(\d+)", p).group(1))):
    seen = set()
    for m in re.finditer(r"\[[0-9a-f]+/([0-9a-f]+)", open(f).read()):
        a = int(m.group(1), 16)
        i = bisect.bisect_right(addrs, a) - 1
        if i >= 0 and a < 0x1000000:
            seen.add(syms[i][1])
            order.setdefault(syms[i][1], len(order))
    for n in seen:
        uses[n] = uses.get(n, 0) + 1
# musl's functions in a plain .text section (assembly) are named by their
# object; the others have a section of their own.
plain, obj, named = set(), {}, set()
for l in subprocess.run(["objdump", "-h", libc], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"^(\S+\.lo):\s+file format", l)
    if m:
        cur = m.group(1)
        continue
    m = re.match(r"^\s+\d+\s+(\.text\S*)\s+([0-9a-f]+)", l)
    if m and m.group(1) == ".text" and int(m.group(2), 16) > 0:
        plain.add(cur)
    elif m:
        named.add(m.group(1))
for l in subprocess.run(["nm", "-A", "--defined-only", libc], capture_output=True, text=True).stdout.splitlines():
    p = l.split()
    if len(p) == 3 and p[1] in "Tt":
        obj.setdefault(p[2], p[0].split(":")[1])
pats = ["*crt1.o(.text)"]
for name in sorted(order, key=lambda n: (-min(uses[n], 3), order[n])):
    m = re.match(r"^(_ZN.*17h)[0-9a-f]{16}E$", name)
    if m:
        p = "*(.text.%s*)" % m.group(1)
    elif ".text." + name not in named and name in obj and obj[name] in plain:
        p = "*libc.a:%s(.text)" % obj[name]
    else:
        p = "*(.text.%s)" % name
    if p not in pats:
        pats.append(p)
print("""/* Made by bench/hot-functions.sh (see there): the functions s6box runs
   at start-up and in its common paths, placed together before the rest
   of the code, so that an exec touches a few 64 KiB windows of text
   instead of nearly all of them. A pattern that matches nothing is
   harmless. */
SECTIONS
{
  .text.s6box_hot :
  {""")
for p in pats:
    print("    " + p)
print("""  }
}
INSERT BEFORE .text;

/* The two large arrays of .bss (the allocator's arena, the vfork child's
   stack) after every other variable, so that the small ones share the
   page or two an exec touches anyway. */
SECTIONS
{
  .bss.s6box_large (NOLOAD) :
  {
    *(.bss._ZN5s6box5alloc6MEMORY*)
    *(.bss._ZN5s6box4exec5vfork11CHILD_STACK*)
  }
}
INSERT AFTER .bss;""")
PY
echo "link/hot.ld: $(grep -c '^    ' link/hot.ld) patterns"
# Cargo does not see the linker script as an input: make it relink.
touch src/main.rs
