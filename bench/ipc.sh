#!/bin/bash
# bench/ipc.sh [ BINARY ]
# Local services, s6box side by side with the 2.15 reference (static),
# both from installed copies, a static do-nothing `true` (musl) as the
# program on both sides, the two sides interleaved round by round; each
# figure is the median of the per-round ratios (s6box / 2.15):
#   - connections per second: `s6-ipcserver -1 PATH true` serving a loop
#     of `s6-ipcclient PATH true` (client and server of the same side);
#   - s6-sudo round trip: SUDO_N `s6-sudo PATH` runs in a row against
#     `s6-ipcserver PATH s6-sudod true` (lower is better);
#   - the same round trip in CPU time (every process of both sides:
#     the clients, the server and what it reaped), steadier than wall
#     time on a loaded machine;
#   - memory per idle sudo connection: IDLE `s6-sudo PATH` clients held
#     open against `s6-ipcserver PATH s6-sudod pause` (a static pause):
#     private pages (Private_Clean + Private_Dirty of smaps_rollup) plus
#     page tables (VmPTE) of every client (s6-sudo, or the s6-sudoc
#     2.15's exec'd into) and every s6-sudod, plus the server's growth,
#     per connection (lower is better).
# Needs: python3, musl-gcc (Debian's musl-tools), the 2.15 reference in
# /opt/s6-2.15.0.0.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-11}
CONNS=${CONNS:-300}
SUDO_N=${SUDO_N:-200}
IDLE=${IDLE:-40}
REF=${REF:-/opt/s6-2.15.0.0/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. bench/lib.sh
# Both sides installed; the reference's s6-ipcserver execs its siblings
# through PATH, so the reference side runs with them first in it.
install_sides "$work" "${1:-}" "$REF" s6-ipcserver s6-ipcserver-socketbinder s6-ipcserverd \
  s6-applyuidgid s6-ipcclient s6-ipcserver-access s6-sudo s6-sudoc s6-sudod
static_program "$work" true 'int main(void) { return 0; }'
static_program "$work" pause '#include <unistd.h>
int main(void) { pause(); return 0; }'

PYTHONPATH=bench python3 - "$work" "$ROUNDS" "$CONNS" "$SUDO_N" "$IDLE" <<'PY'
import os, resource, signal, subprocess, sys, time
from rounds import interleaved, private_kb, run, stop, table
work, rounds, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sudo_n, idle = int(sys.argv[4]), int(sys.argv[5])
sides = {"s6box": work + "/bin", "2.15": work + "/ref"}
true = work + "/true"

def env_for(d):
    e = dict(os.environ)
    e["PATH"] = d + ":" + e.get("PATH", "/usr/bin:/bin")
    return e

def server(d, sock, prog, opts=()):
    """s6-ipcserver -1 [opts] SOCK PROG... of side d, once it is ready."""
    p = subprocess.Popen([d + "/s6-ipcserver", "-1", *opts, sock] + prog, env=env_for(d),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert p.stdout.read(1) == b"\n"
    return p

def server_cpu(pid):
    """CPU seconds of a process and of the children it reaped."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")

def client_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def in_a_row(d, tag, prog, client, n, cpu=False):
    """Seconds for n clients in a row (client: argv, given the socket)
    against `s6-ipcserver SOCK prog...` of side d, after 10 to warm up:
    elapsed, or with cpu the CPU time of every process involved."""
    sock = f"{work}/{tag}-{os.path.basename(d)}"
    p = server(d, sock, prog)
    env = env_for(d)
    argv = client(sock)
    for _ in range(10):
        run(argv, env)
    t, c0, s0 = time.perf_counter(), client_cpu(), server_cpu(p.pid)
    for _ in range(n):
        run(argv, env)
    dt = time.perf_counter() - t
    cpu_used = client_cpu() - c0 + server_cpu(p.pid) - s0
    stop(p)
    return cpu_used if cpu else dt

def conn_rate(d):
    """Connections per second: CONNS clients in a row."""
    return conns / in_a_row(d, "s", [true], lambda s: [d + "/s6-ipcclient", s, true], conns)

def conn_cpu(d):
    """CPU microseconds per connection (server, its programs, the
    clients), CONNS in a row: steadier than the wall clock."""
    cpu = in_a_row(d, "k", [true], lambda s: [d + "/s6-ipcclient", s, true], conns, True)
    return cpu / conns * 1e6

def sudo_round_trip(d):
    """Microseconds per s6-sudo round trip, SUDO_N in a row."""
    dt = in_a_row(d, "u", [d + "/s6-sudod", true], lambda s: [d + "/s6-sudo", s], sudo_n)
    return dt / sudo_n * 1e6

def sudo_round_trip_cpu(d):
    """CPU microseconds per s6-sudo round trip, SUDO_N in a row."""
    cpu = in_a_row(d, "c", [d + "/s6-sudod", true], lambda s: [d + "/s6-sudo", s], sudo_n, True)
    return cpu / sudo_n * 1e6

def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(x) for x in f.read().split()]

def idle_memory(d):
    """kB per idle s6-sudo connection: what IDLE more clients held open
    add (every client and s6-sudod, and the server's growth), measured
    after a first connection (the server's start-up state aside)."""
    sock = f"{work}/m-{os.path.basename(d)}"
    limit = str(idle + 1)
    p = server(d, sock, [d + "/s6-sudod", work + "/pause"], ["-c", limit, "-C", limit])
    env = env_for(d)
    null = os.open("/dev/null", os.O_RDWR)
    clients = []

    def connect(n):
        for _ in range(n):
            clients.append(subprocess.Popen([d + "/s6-sudo", sock], env=env, stdin=null,
                                            stdout=null, stderr=null))
        # Every connection is idle once every s6-sudod runs its pause.
        deadline = time.monotonic() + 30
        while True:
            sudods = children(p.pid)
            if len(sudods) == len(clients) and all(children(s) for s in sudods):
                break
            if time.monotonic() > deadline:
                sys.exit("idle connections not all up")
            time.sleep(0.01)
        time.sleep(0.2)
        return sum(private_kb(c.pid) for c in clients) + sum(map(private_kb, sudods)) \
            + private_kb(p.pid)

    base = connect(1)
    total = connect(idle) - base
    for s in children(p.pid):
        for prog in children(s):
            os.kill(prog, signal.SIGTERM)
    for c in clients:
        c.wait()
    os.close(null)
    stop(p)
    return total / idle

# Each figure: (label, function of the side's directory, unit, higher is
# better).
FIGURES = [
    ("connections per second", conn_rate, "/s", True),
    ("connection, CPU", conn_cpu, "us", False),
    ("s6-sudo round trip", sudo_round_trip, "us", False),
    ("s6-sudo round trip, CPU", sudo_round_trip_cpu, "us", False),
    ("memory per idle sudo conn", idle_memory, "kB", False),
]

results = interleaved(sides, FIGURES, rounds)
table(results, [(f[0], f[2]) for f in FIGURES], 26, lambda x, unit: f"{x:9.0f}{unit}")
print(f"{rounds} interleaved rounds: {conns} connections, {sudo_n} s6-sudo round trips,"
      f" {idle} idle s6-sudo connections; ratio: median of per-round s6box/2.15")
PY
