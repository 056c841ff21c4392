#!/usr/bin/env python3
"""ab.py: two builds of bench, run in turn, for measuring one change on a shared machine.

    python3 bench/ab.py OLD_BENCH NEW_BENCH ROUNDS FIELD -- ARGS...

runs `OLD ARGS`, then `NEW ARGS`, ROUNDS times, reads FIELD (e.g. total_ns_per_node,
ms_per_step, replay_total_ns_per_node) from the first JSON line each prints, and prints the
medians, the median of the rounds' new/old ratios, their range, and the load average."""
import json
import os
import statistics
import subprocess
import sys


def field(exe, args, name):
    out = subprocess.run([exe] + args, capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        d = json.loads(line)
        if name in d:
            return d[name]
    raise SystemExit(f"ab.py: {exe} printed no {name}")


def main():
    if len(sys.argv) < 6 or sys.argv[5] != "--":
        raise SystemExit(__doc__)
    old, new, rounds, name, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[6:]
    a, b = [], []
    load0 = os.getloadavg()[0]
    for _ in range(rounds):
        a.append(field(old, args, name))
        b.append(field(new, args, name))
    ratios = [y / x for x, y in zip(a, b)]
    print(f"{' '.join(args)}: {name} old {statistics.median(a):.4g} new {statistics.median(b):.4g}"
          f"  new/old {statistics.median(ratios):.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f},"
          f" {rounds} rounds, load {load0:.1f}-{os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
