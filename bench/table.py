#!/usr/bin/env python3
"""table.py: the README's results tables from one or more runs of `bench` or `bench scaling`
(JSON lines files). Each cell: the peer's time (median over the runs of its median) and, in
parentheses, its paired ratio to hand-C (the median over the runs of each run's ratio of
samples taken in turn; the range over the runs after it when there are several).
Usage: bench/table.py run1.jsonl run2.jsonl ..."""
import json
import statistics as st
import sys

runs = [[json.loads(l) for l in open(f) if l.startswith("{")] for f in sys.argv[1:]]
lines, ratios, loads = {}, {}, []
for run in runs:
    for r in run:
        if "ratio" in r:
            key = (r["ratio"], r.get("mode", "record"), r.get("den_mode", "record"),
                   r["workload"], r["n"])
            ratios.setdefault(key, []).append(r)
            if r.get("load", -1) >= 0:
                loads.append(r["load"])
        elif "peer" in r and "workload" in r and not r.get("skipped"):
            lines.setdefault((r["peer"], r.get("mode", "record"), r["workload"], r["n"]), []).append(r)


def time_of(r):
    for k, unit in (("ms_per_step", "ms"), ("ms_per_step_reuse", "ms"),
                    ("total_ns_per_node", "ns"), ("replay_total_ns_per_node", "ns")):
        if k in r:
            return r[k], unit
    return None, ""


def time_cell(peer, mode, w, n):
    rs = lines.get((peer, mode, w, n))
    if not rs:
        return None
    v, unit = time_of(rs[0])
    return "%.3g %s" % (st.median(time_of(r)[0] for r in rs), unit)


def ratio_cell(num, mode, den, den_mode, w, n, with_target=True):
    rs = ratios.get(("%s/%s" % (num, den), mode, den_mode, w, n))
    if not rs:
        return None
    v = [r["value"] for r in rs]
    cell = "%.2fx" % st.median(v)
    if len(v) > 1:
        cell += " [%.2f-%.2f]" % (min(v), max(v))
    t = rs[0].get("target")
    if with_target and t is not None:
        cell += " (%g: %s)" % (t, "met" if st.median(v) <= t else "missed")
    return cell


def both(peer, mode, w, n):
    t = time_cell(peer, mode, w, n)
    r = ratio_cell(peer, mode, "hand-C", "record", w, n)
    if t is None:
        return "-"
    return t + ("; " + r if r else "")


keys = sorted({(k[2], k[3]) for k in lines}, key=lambda k: (k[0], k[1]))
print("| workload | n | hand-C | tapegrad record + backward | tapegrad replay + backward "
      "| ADOL-C re-tape | ADOL-C replay | tapegrad / ADOL-C replay (record, replay) |")
print("|---|---|---|---|---|---|---|---|")
for w, n in keys:
    hand_w = w if w in ("W1", "W3", "W2-big") else "W2"
    hand = time_cell("hand-C", "record", hand_w, n if hand_w != "W2" else 100) or "-"
    adolc_w = "W2" if w == "W2-native" else w
    vs = [ratio_cell("tapegrad", m, "ADOL-C", "replay", w, n, False) or "-" for m in ("record", "replay")]
    print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
        w, n, hand, both("tapegrad", "record", w, n), both("tapegrad", "replay", w, n),
        both("ADOL-C", "record", adolc_w, n) if w != "W2-native" else "-",
        both("ADOL-C", "replay", adolc_w, n), ", ".join(vs)))
if loads:
    print("\nload average during the runs: %.1f-%.1f (median %.1f)" % (min(loads), max(loads),
                                                                     st.median(loads)))
