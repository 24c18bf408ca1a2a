"""Shared by the benchmarks that compare s6box with the 2.15 reference
side by side (bench/ipc.sh, bench/fdholder.sh; PYTHONPATH=bench): running
a program to its end, stopping a server, and the interleaved rounds with
their table of medians and per-round ratios."""
import os, signal, statistics, sys


def run(argv, env=None):
    """Runs argv to its end (posix_spawn, no shell); exits on a failure."""
    pid = os.posix_spawn(argv[0], argv, os.environ if env is None else env)
    _, st = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{argv} failed")


def stop(p):
    """SIGTERM to a server (a Popen), then reaps it."""
    p.send_signal(signal.SIGTERM)
    p.wait()


def interleaved(sides, figures, rounds):
    """Runs each figure (label, function of a side's directory, ...) on
    both sides ("s6box", "2.15": their directories in `sides`) `rounds`
    times, the two sides' order alternating round by round. Returns
    {label: {"s6box": [..], "2.15": [..], "ratio": [s6box / 2.15, ..]}}."""
    results = {f[0]: {"s6box": [], "2.15": [], "ratio": []} for f in figures}
    for r in range(rounds):
        order = ["s6box", "2.15"] if r % 2 == 0 else ["2.15", "s6box"]
        for label, fn, *_ in figures:
            got = {side: fn(sides[side]) for side in order}
            res = results[label]
            for side in got:
                res[side].append(got[side])
            res["ratio"].append(got["s6box"] / got["2.15"])
    return results


def table(results, rows, width, value):
    """Prints one line per (label, unit) of `rows`: the medians of both
    sides (formatted by `value(x, unit)`), the median ratio and the
    ratios' range, under a header; `width` is the label column's."""
    med = statistics.median
    print(f"{'figure':{width}} {'s6box':>10} {'2.15':>10} {'ratio':>7} {'ratio range':>14}")
    for label, unit in rows:
        res = results[label]
        print(f"{label:{width}} {value(med(res['s6box']), unit)} {value(med(res['2.15']), unit)}"
              f" {med(res['ratio']):7.2f} {min(res['ratio']):6.2f}-{max(res['ratio']):.2f}")

def private_kb(pid):
    """Private pages plus page tables of a process, in kB."""
    kb = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                kb += int(line.split()[1])
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmPTE:"):
                kb += int(line.split()[1])
    return kb
