#!/usr/bin/env python3
"""table.py: the README's results tables from one or more runs of `bench` or `bench scaling`
(JSON lines files). Each cell: the peer's time (median over the runs of its median) and, in
parentheses, its paired ratio to hand-C (the median over the runs of each run's ratio of
samples taken in turn; the range over the runs after it when there are several).
Usage: bench/table.py run1.jsonl run2.jsonl ...   |   bench/table.py --scaling scaling.jsonl"""
import json
import statistics as st
import sys

scaling = len(sys.argv) > 1 and sys.argv[1] == "--scaling"
files = sys.argv[2:] if scaling else sys.argv[1:]
runs = [[json.loads(l) for l in open(f) if l.startswith("{")] for f in files]
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


def main_table():
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


def scaling_table():
    """The scaling run's W1/W3 rows: per-node times over the sizes, flatness, bandwidth share.
    Bytes a node that tapegrad streams through memory in record + backward: the record writes
    value, grad and code (24), the sweep reads them (24) and writes grad (8): 56."""
    bw = [r for run in runs for r in run if "bandwidth" in r]
    print("| workload | n | hand-C ns/node | tapegrad record + backward ns/node (paired ratio) "
          "| tapegrad replay + backward ns/node (paired ratio) | tapegrad GB/s streamed (56 B/node) |")
    print("|---|---|---|---|---|---|")
    for w in ("W1", "W3"):
        ns = sorted({k[3] for k in lines if k[2] == w})
        rec = []
        for n in ns:
            h = lines.get(("hand-C", "record", w, n))
            t = lines.get(("tapegrad", "record", w, n))
            p = lines.get(("tapegrad", "replay", w, n))
            if not (h and t and p):
                continue
            tt = st.median(r["total_ns_per_node"] for r in t)
            tp = st.median(r["replay_total_ns_per_node"] for r in p)
            rec.append(tt)
            r1 = ratio_cell("tapegrad", "record", "hand-C", "record", w, n, False)
            r2 = ratio_cell("tapegrad", "replay", "hand-C", "record", w, n, False)
            print("| %s | %s | %.3g | %.3g (%s) | %.3g (%s) | %.2f |" % (
                w, n, st.median(r["total_ns_per_node"] for r in h), tt, r1, tp, r2, 56 / tt))
        if rec:
            print("| %s | flatness | | max/min %.2f over %d sizes | | |" % (w, max(rec) / min(rec), len(rec)))
    for r in bw:
        print("\nmemory bandwidth (stream-like, best of 5, load %.1f): copy %.3g GB/s, triad %.3g "
              "GB/s, write %.3g GB/s" % (r["load"], r["copy_gb_s"], r["triad_gb_s"], r["write_gb_s"]))
    for (peer, mode, w, n), rs in sorted(lines.items()):
        if w == "W2-big":
            r = rs[0]
            t = r.get("ms_per_step", r.get("ms_per_step_reuse"))
            print("\nW2-big %s %s: %.4g ms/step, %d nodes, %.3g bytes/node, loss0 %.17g, ok %s" % (
                peer, mode, t, r["nodes"], r["bytes_per_node"], r["loss0"], r["ok"]))
    for key in (("tapegrad/hand-C", "record", "record", "W2-big", 1000),
                ("tapegrad/hand-C", "replay", "record", "W2-big", 1000)):
        if key in ratios:
            print("W2-big paired ratio %s: %.3g" % (key[1], ratios[key][0]["value"]))


if scaling:
    scaling_table()
else:
    main_table()
