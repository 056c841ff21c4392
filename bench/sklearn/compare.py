#!/usr/bin/env python3
"""compare.py: tapegrad's `fit` against scikit-learn's MLPClassifier on the three classic tables
that Debian's python3-sklearn ships as CSV (iris, wine, breast cancer), with the same hidden
layers, optimizer (adam) and number of epochs, on the same seeded stratified splits, each with a
StandardScaler fitted on the training rows. Prints the mean test accuracy and training time of
each, and their ratios, as a Markdown table. The data come from the installed package; nothing is
copied into the tree. Both learn from the same rows and are scored on the same rows: the splits
are scikit-learn's (train_test_split, stratified, random_state = seed), written to a temporary
directory; fit trains on the training part with --test 0 and `fit --predict` scores the test part.

usage: compare.py FIT_BINARY [--epochs 200] [--seeds 5] [--layers 16] [--datasets iris,wine,...]
Exit status: 0 done (the goals are reported, not enforced), 77 scikit-learn missing, 2 usage.

Timing, paired and interleaved (the machine is shared): for every table and seed, fit runs as a
process and then scikit-learn's fit() call. Times are CPU seconds (user + system, every thread),
not wall time, since other jobs on a shared machine stretch wall time at random: for fit the
whole process (reading the CSV, standardizing, training, evaluating, saving the model), for
scikit-learn the scaler and MLPClassifier.fit alone (data already in memory, interpreter and
imports not counted); so the ratio is conservative for tapegrad.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import warnings

try:
    import numpy as np
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler
except ImportError as e:  # optional: CI skips with this message
    print(f"compare.py: scikit-learn is not installed ({e}); skipped", file=sys.stderr)
    sys.exit(77)

DATA = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data")
TABLES = {"iris": "iris.csv", "wine": "wine_data.csv", "breast_cancer": "breast_cancer.csv"}
ACCURACY = re.compile(r"accuracy ([0-9.]+)%")


def load(path):
    """scikit-learn's own layout: a count line, then rows of features and the integer label."""
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    return rows[:, :-1], rows[:, -1].astype(int)


def write_csv(path, x, y):
    """A header of names, then the rows: the layout fit reads (and the label last)."""
    with open(path, "w") as f:
        f.write(",".join([f"x{k + 1}" for k in range(x.shape[1])] + ["label"]) + "\n")
        for row, label in zip(x, y):
            f.write(",".join(repr(float(v)) for v in row) + f",{label}\n")


def cpu_of(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"compare.py: {' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
    return out, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def run_fit(binary, split, seed, epochs, layers, workdir):
    """fit trains on the split's training rows (--test 0: no split of its own), then
    --predict scores the test rows; only the training process is timed."""
    xtr, xte, ytr, yte = split
    train, test = os.path.join(workdir, "train.csv"), os.path.join(workdir, "test.csv")
    model = os.path.join(workdir, "model.tgm")
    write_csv(train, xtr, ytr)
    write_csv(test, xte, yte)
    _, dt = cpu_of([binary, train, "--epochs", str(epochs), "--layers", layers, "--seed",
                    str(seed), "--test", "0", "--optim", "adam", "--model", model, "--quiet"])
    out, _ = cpu_of([binary, "--predict", test, "--model", model, "--out", os.devnull])
    m = ACCURACY.search(out.stderr)
    if not m:
        sys.exit(f"compare.py: no accuracy in fit --predict's output:\n{out.stderr}")
    return float(m.group(1)) / 100.0, dt


def run_sklearn(split, seed, epochs, layers):
    xtr, xte, ytr, yte = split
    t0 = time.process_time()
    scaler = StandardScaler().fit(xtr)
    clf = MLPClassifier(hidden_layer_sizes=layers, solver="adam", max_iter=epochs,
                        n_iter_no_change=epochs, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(scaler.transform(xtr), ytr)
    dt = time.process_time() - t0
    return clf.score(scaler.transform(xte), yte), dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fit")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--layers", default="16")
    ap.add_argument("--datasets", default=",".join(TABLES))
    a = ap.parse_args()
    layers = tuple(int(v) for v in a.layers.split(","))
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; hidden {a.layers}, adam, "
          f"{a.epochs} epochs, {a.seeds} seeded stratified 80/20 splits, StandardScaler\n")
    print("| table | rows x features | tapegrad accuracy | sklearn accuracy | difference (points) "
          "| tapegrad CPU (s) | sklearn CPU (s) | sklearn / tapegrad |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for name in a.datasets.split(","):
            path = os.path.join(DATA, TABLES[name])
            x, y = load(path)
            acc_t, acc_s, time_t, time_s = [], [], [], []
            for seed in range(1, a.seeds + 1):
                split = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
                at, tt = run_fit(a.fit, split, seed, a.epochs, a.layers, work)
                as_, ts = run_sklearn(split, seed, a.epochs, layers)
                acc_t.append(at)
                time_t.append(tt)
                acc_s.append(as_)
                time_s.append(ts)
            mt, ms = 100 * np.mean(acc_t), 100 * np.mean(acc_s)
            tt, ts = np.mean(time_t), np.mean(time_s)
            print(f"| {name} | {x.shape[0]} x {x.shape[1]} | {mt:.1f}% | {ms:.1f}% | {mt - ms:+.1f} "
                  f"| {tt:.3f} | {ts:.3f} | {ts / tt:.1f}x |", flush=True)
    print("\ngoal: tapegrad within 1 point of scikit-learn's accuracy, and >= 10x faster")


if __name__ == "__main__":
    main()
