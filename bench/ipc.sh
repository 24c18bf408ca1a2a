#!/bin/bash
# bench/ipc.sh [ BINARY ]
# Local services, s6box side by side with the 2.15 reference (static),
# both from installed copies, a static do-nothing `true` (musl) as the
# program on both sides, the two sides interleaved round by round; each
# figure is the median of the per-round ratios (s6box / 2.15):
#   - connections per second: `s6-ipcserver -1 PATH true` serving a loop
#     of `s6-ipcclient PATH true` (client and server of the same side),
#     and the CPU time all of it takes per connection (lower is better);
#   - (room for the s6-sudo figures: see ROUNDS below.)
# Needs: python3, musl-gcc (Debian's musl-tools), the 2.15 reference in
# /opt/s6-2.15.0.0.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-11}
CONNS=${CONNS:-300}
REF=${REF:-/opt/s6-2.15.0.0/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. bench/lib.sh
# s6box installed as an install does: a copy, its links made by symlinks.sh.
install_s6box "$work/bin" "${1:-}"
./symlinks.sh "$work/bin" "$work/bin/s6box" >/dev/null
# The reference's programs, copied too; its s6-ipcserver execs its
# siblings through PATH, so the reference side runs with them first in it.
mkdir -p "$work/ref"
for p in s6-ipcserver s6-ipcserver-socketbinder s6-ipcserverd s6-applyuidgid s6-ipcclient \
  s6-ipcserver-access s6-sudo s6-sudoc s6-sudod; do
  if [ -x "$REF/$p" ]; then cp "$REF/$p" "$work/ref/"; fi
done

cat > "$work/true.c" <<'C'
int main(void) { return 0; }
C
musl-gcc -static -O2 -o "$work/true.out" "$work/true.c"
strip "$work/true.out"
cp "$work/true.out" "$work/true"

python3 - "$work" "$ROUNDS" "$CONNS" <<'PY'
import os, resource, signal, statistics, subprocess, sys, time
work, rounds, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sides = {"s6box": work + "/bin", "2.15": work + "/ref"}
true = work + "/true"

def env_for(d):
    e = dict(os.environ)
    e["PATH"] = d + ":" + e.get("PATH", "/usr/bin:/bin")
    return e

def server(d, sock, prog):
    """s6-ipcserver -1 SOCK PROG... of side d, once it is ready."""
    p = subprocess.Popen([d + "/s6-ipcserver", "-1", sock] + prog, env=env_for(d),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert p.stdout.read(1) == b"\n"
    return p

def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait()

def run(argv, env):
    pid = os.posix_spawn(argv[0], argv, env)
    _, st = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{argv} failed")

def cpu_ms():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1e3

def connections(d):
    """CONNS clients in a row against a fresh server: connections per
    second, and the CPU time (server, its programs, the clients) per
    connection, steadier than the wall clock on a busy machine."""
    sock = f"{work}/s-{os.path.basename(d)}"
    c0 = cpu_ms()
    p = server(d, sock, [true])
    env = env_for(d)
    argv = [d + "/s6-ipcclient", sock, true]
    for _ in range(10):
        run(argv, env)
    t = time.perf_counter()
    for _ in range(conns):
        run(argv, env)
    dt = time.perf_counter() - t
    stop(p)
    return [("connections per second", conns / dt, "/s", True),
            ("CPU us per connection", (cpu_ms() - c0) * 1e3 / (conns + 10), "us", False)]

# Each measurement: a function of the side's directory returning
# (figure, value, unit, higher is better) tuples. The sudo helper adds its
# round trip and memory figures here.
MEASURES = [connections]

results = {}
for r in range(rounds):
    order = ["s6box", "2.15"] if r % 2 == 0 else ["2.15", "s6box"]
    for fn in MEASURES:
        got = {side: fn(sides[side]) for side in order}
        for i, (label, _, unit, higher) in enumerate(got["s6box"]):
            res = results.setdefault(label, {"s6box": [], "2.15": [], "ratio": [], "unit": unit})
            a, b = got["s6box"][i][1], got["2.15"][i][1]
            res["s6box"].append(a)
            res["2.15"].append(b)
            res["ratio"].append(a / b)

med = statistics.median
print(f"{'figure':26} {'s6box':>10} {'2.15':>10} {'ratio':>7} {'ratio range':>14}")
for label, res in results.items():
    u = res["unit"]
    print(f"{label:26} {med(res['s6box']):8.0f}{u:2} {med(res['2.15']):8.0f}{u:2}"
          f" {med(res['ratio']):7.2f} {min(res['ratio']):6.2f}-{max(res['ratio']):.2f}")
print(f"{rounds} interleaved rounds of {conns} connections; ratio: median of per-round s6box/2.15")
PY
