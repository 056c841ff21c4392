#!/usr/bin/env python3
"""bench_memory.py: memory of W2 (micrograd's moons step) in Python, the two numbers the issue
asks for, in one run:

  bytes per op node   the Python heap one step's graph holds right after it is built
                      (tracemalloc sees all of it for both: micrograd's Values and tapegrad's C
                      Values come from Python's allocator), divided by W2's 65,077 op nodes;
  resident growth     micrograd's demo loop, unchanged but for the import, for --steps steps
                      (10,000 by default) on tapegrad: the resident set (/proc/self/statm)
                      after step 100 and at the end. Must stay under 50 MB of growth.

    PYTHONPATH=build/python python3 bench/python/bench_memory.py [--steps 10000] [--micrograd DIR]
"""
import argparse
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_w2  # noqa: E402  (the data, the initial weights, the demo's loss)

NODES = 65077


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def graph_bytes(engine):
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = engine.loss()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del loss
    return held


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--micrograd", help="a checkout of karpathy/micrograd")
    args = ap.parse_args()
    import tapegrad
    import tapegrad.nn
    X, y = bench_w2.moons()
    engines = [bench_w2.Engine("tapegrad", tapegrad.Value, tapegrad.nn, X, y),
               bench_w2.Engine("tapegrad-dot", tapegrad.Value, tapegrad.nn, X, y, fast=True)]
    mg, why = bench_w2.find_micrograd(args.micrograd)
    if mg:
        engines.insert(0, bench_w2.Engine("micrograd", mg[0], mg[1], X, y))
    else:
        print(f"bench_memory: micrograd skipped: {why}", file=sys.stderr)
    for e in engines:
        b = graph_bytes(e)
        print(json_line(peer="python-" + e.name, workload="W2", nodes=NODES,
                        bytes_per_node=b / NODES, bytes_per_node_method="tracemalloc"))

    loop = engines[-2]  # tapegrad with micrograd's code
    start = time.perf_counter()
    rss100 = None
    for k in range(args.steps):
        loop.k = k % 100  # the demo's schedule lr = 1 - 0.9 k/100, restarted every 100 steps
        loop.step()       # (past step 111 it would turn negative and climb the loss)
        if k == 99:
            rss100 = rss_mb()
        if k % 1000 == 0:
            print(f"bench_memory: step {k}, rss {rss_mb():.1f} MB", file=sys.stderr)
    end = rss_mb()
    print(json_line(peer="python-tapegrad", workload="W2-loop", steps=args.steps,
                    rss_mb_after_100_steps=rss100, rss_mb_at_end=end,
                    rss_growth_mb=end - rss100 if rss100 is not None else None,
                    seconds=time.perf_counter() - start,
                    loss_at_end=loop.losses[-1] if loop.losses else None))
    return 0 if rss100 is None or end - rss100 < 50 else 1


def json_line(**fields):
    import json
    return json.dumps(fields)


if __name__ == "__main__":
    sys.exit(main())
