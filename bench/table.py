#!/usr/bin/env python3
"""table.py: the README's results table from one or more runs of `bench` (JSON lines files):
the median over the runs of each figure, with the runs' spread (max/min) to show the noise.
Usage: bench/table.py run1.jsonl run2.jsonl ..."""
import json
import statistics as st
import sys

runs = [[json.loads(l) for l in open(f) if l.startswith("{")] for f in sys.argv[1:]]
rows, ratios = {}, {}
for run in runs:
    for r in run:
        if "peer" in r and not r.get("skipped"):
            rows.setdefault((r["workload"], r["n"], r["peer"]), []).append(r)
        elif "ratio" in r:  # the paired ratio of one run (samples taken in turn)
            ratios.setdefault((r["workload"], r["n"]), []).append(r["value"])

def med(key, w, n, peer):
    return st.median(r[key] for r in rows[(w, n, peer)])

def spread(key, w, n, peer):
    v = [r[key] for r in rows[(w, n, peer)]]
    return max(v) / min(v)

targets = {"W1": 2, "W3": 8, "W2": 12, "W2-native": 3}
print("| workload | n | tapegrad record / backward / total | hand-C total | ratio, paired (target) "
      "| bytes/node tape, RSS | run spread |")
print("|---|---|---|---|---|---|---|")
for (w, n, peer) in sorted(rows, key=lambda k: (k[0], k[1])):
    if peer != "tapegrad":
        continue
    hand = (w if w in ("W1", "W3") else "W2", n, "hand-C")
    if w in ("W1", "W3"):
        tg = [med(k, w, n, peer) for k in ("record_ns_per_node", "backward_ns_per_node",
                                           "total_ns_per_node")]
        h = med("total_ns_per_node", *hand)
        cell = "%.3g / %.3g / %.3g ns" % tuple(tg)
        hcell = "%.3g ns" % h
        ratio = tg[2] / h
        sp = spread("total_ns_per_node", w, n, peer)
    else:
        ms = med("ms_per_step", w, n, peer)
        h = med("ms_per_step", *hand)
        cell = "%.3g ms/step (%.3g ns/node, %d nodes)" % (
            ms, med("total_ns_per_node", w, n, peer), rows[(w, n, peer)][0]["nodes"])
        hcell = "%.3g ms/step" % h
        ratio = ms / h
        sp = spread("ms_per_step", w, n, peer)
    if (w, n) in ratios:
        ratio = st.median(ratios[(w, n)])
    t = targets.get(w)
    rcell = "%.2fx" % ratio + (" (%g, %s)" % (t, "met" if ratio <= t else "missed") if t else "")
    mem = "%.3g, %.3g" % (med("bytes_per_node", w, n, peer), med("bytes_per_node_rss", w, n, peer))
    print("| %s | %s | %s | %s | %s | %s | %.2f |" % (w, n, cell, hcell, rcell, mem, sp))
