#!/bin/bash
# bench/fdholder.sh [ BINARY ]
# The fd-holder, s6box side by side with the 2.15 reference (static),
# both from installed copies, the two sides interleaved round by round;
# each ratio is the median of the per-round ratios (s6box / 2.15):
#   - store + retrieve: `s6-fdholder-store` then `s6-fdholder-retrieve -D
#     ... true` (a static do-nothing true), wall time per pair, each side's
#     clients against its own daemon;
#   - daemon latency: store + retrieve-and-delete on one raw connection
#     (the requests' bytes, SCM_RIGHTS), time per pair;
#   - descriptors held per MiB of the daemon's RSS, and per MiB of its
#     private pages plus page tables (smaps_rollup Private_Clean +
#     Private_Dirty, VmPTE), 9,000 held (20-byte
#     identifiers, set through raw setdump batches);
#   - idle wake-ups of the daemon over IDLE seconds, holding descriptors
#     with deadlines and without (context switches; 0 expected).
# Needs: python3, musl-gcc (Debian's musl-tools), the 2.15 reference in
# /opt/s6-2.15.0.0.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-7}
PAIRS=${PAIRS:-200}
RAW=${RAW:-2000}
IDLE=${IDLE:-3}
REF=${REF:-/opt/s6-2.15.0.0/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. bench/lib.sh
install_sides "$work" "${1:-}" "$REF" s6-fdholderd s6-fdholder-store s6-fdholder-retrieve
static_program "$work" true 'int main(void) { return 0; }'

# Rules: root may do everything.
mkdir -p "$work/rules/uid/0/env"
touch "$work/rules/uid/0/allow"
for v in LIST GETDUMP SETDUMP; do echo > "$work/rules/uid/0/env/S6_FDHOLDER_$v"; done
echo > "$work/rules/uid/0/env/S6_FDHOLDER_STORE_REGEX"
echo > "$work/rules/uid/0/env/S6_FDHOLDER_RETRIEVE_REGEX"

PYTHONPATH=bench python3 - "$work" "$ROUNDS" "$PAIRS" "$RAW" "$IDLE" <<'PY'
import array, os, socket, subprocess, sys, time
from rounds import interleaved, private_kb, run, stop, table
work, rounds, pairs, raw, idle = sys.argv[1], *map(int, sys.argv[2:6])
sides = {"s6box": work + "/bin", "2.15": work + "/ref"}
true = work + "/true"

def daemon(d, name, n=1000):
    """s6-fdholderd of side d on a socket bound here, once ready."""
    path = f"{work}/{name}"
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(128)
    p = subprocess.Popen([d + "/s6-fdholderd", "-1", "-n", str(n), "-i", work + "/rules"],
                         stdin=s.fileno(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    s.close()
    assert p.stdout.read(1) == b"\n"
    return p, path

def frame(body, nfds=0):
    return len(body).to_bytes(4, "big") + nfds.to_bytes(2, "big") + body

NEVER = (0x6000000000000000).to_bytes(8, "big") + bytes(4)

def store_body(ident, deadline=NEVER):
    return b"S" + deadline + bytes([len(ident)]) + ident + b"\0"

def recv_answer(c):
    h = b""
    fds = array.array("i")
    while len(h) < 6:
        msg, anc, _, _ = c.recvmsg(6 - len(h), socket.CMSG_SPACE(253 * 4))
        if not msg:
            sys.exit("daemon closed the connection")
        h += msg
        for lvl, typ, data in anc:
            fds.frombytes(data[: len(data) - len(data) % 4])
    n = int.from_bytes(h[:4], "big")
    body = b""
    while len(body) < n:
        msg, anc, _, _ = c.recvmsg(n - len(body), socket.CMSG_SPACE(253 * 4))
        body += msg
        for lvl, typ, data in anc:
            fds.frombytes(data[: len(data) - len(data) % 4])
    for fd in fds:
        os.close(fd)
    return body

def pair_time(d):
    """Wall time of store + retrieve -D, clients of side d."""
    p, path = daemon(d, "s-" + os.path.basename(d))
    store = [d + "/s6-fdholder-store", path, "xid"]
    retr = [d + "/s6-fdholder-retrieve", "-D", path, "xid", true]
    for _ in range(10):
        run(store); run(retr)
    t = time.perf_counter()
    for _ in range(pairs):
        run(store); run(retr)
    dt = (time.perf_counter() - t) / pairs
    stop(p)
    return dt * 1e6

def raw_time(d):
    """Daemon latency: store + retrieve-and-delete on one raw connection."""
    p, path = daemon(d, "r-" + os.path.basename(d))
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    r, w = os.pipe()
    st = frame(store_body(b"xid"), 1)
    rt = frame(b"R\x01\x03xid\0")
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))]
    def one():
        c.sendmsg([st], anc)
        assert recv_answer(c) == b"\0"
        c.sendall(rt)
        assert recv_answer(c) == b"\0"
    for _ in range(50):
        one()
    t = time.perf_counter()
    for _ in range(raw):
        one()
    dt = (time.perf_counter() - t) / raw
    c.close()
    os.close(r); os.close(w)
    stop(p)
    return dt * 1e6

def fill(path, count, deadline=NEVER, prefix=b"x"):
    """Holds `count` copies of one pipe end through raw setdump batches."""
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    r, w = os.pipe()
    c.sendall(frame(b"!" + count.to_bytes(4, "big")))
    assert recv_answer(c)[:1] == b"\0"
    i = 0
    while i < count:
        k = min(253, count - i)
        body = b"."
        for j in range(i, i + k):
            ident = prefix + b"%019d" % j
            body += deadline + bytes([len(ident)]) + ident + b"\0"
        c.sendmsg([frame(body, k)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r] * k))])
        assert recv_answer(c) in (b"\0", b"\x0b")
        i += k
    c.close()
    os.close(r); os.close(w)

def status(pid, key):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith(key + ":"):
            return int(l.split()[1])

def per_mib(d):
    p, path = daemon(d, "m-" + os.path.basename(d), 10000)
    fill(path, 9000)
    time.sleep(0.2)
    rss = status(p.pid, "VmRSS")
    private = private_kb(p.pid)
    stop(p)
    return 9000 / (rss / 1024), 9000 / (private / 1024)

per_mib_cache = {}

def per_mib_rss(d):
    per_mib_cache[d] = per_mib(d)
    return per_mib_cache[d][0]

def per_mib_private(d):
    """Per MiB of private pages plus page tables (the project's measure of
    memory), from the same daemon as per_mib_rss."""
    return per_mib_cache.pop(d)[1]

def wakeups(d):
    """Context switches of an idle daemon holding 100 descriptors without
    deadline and 100 with one (an hour away), over IDLE seconds."""
    p, path = daemon(d, "w-" + os.path.basename(d))
    fill(path, 100)
    soon = int.from_bytes(b"\x40" + bytes(7), "big") + 37 + int(time.time()) + 3600
    fill(path, 100, soon.to_bytes(8, "big") + bytes(4), b"y")
    time.sleep(0.3)
    sw = lambda: status(p.pid, "voluntary_ctxt_switches") + status(p.pid, "nonvoluntary_ctxt_switches")
    a = sw()
    time.sleep(idle)
    n = sw() - a
    stop(p)
    return n

FIGURES = [
    ("store + retrieve -D (us)", pair_time, False),
    ("raw store + retrieve-del (us)", raw_time, False),
    ("fds held per MiB of RSS", per_mib_rss, True),
    ("fds per MiB private+PTE", per_mib_private, True),
]
results = interleaved(sides, FIGURES, rounds)
table(results, [(f[0], "") for f in FIGURES], 32, lambda x, unit: f"{x:10.1f}")
w = {side: wakeups(sides[side]) for side in ("s6box", "2.15")}
print(f"{'idle wake-ups in ' + str(idle) + ' s':32} {w['s6box']:10d} {w['2.15']:10d}")
print(f"{rounds} interleaved rounds ({pairs} client pairs, {raw} raw pairs); ratio: median of"
      " per-round s6box/2.15 (times: below 1 is faster; fds per MiB: above 1 is better)")
PY
