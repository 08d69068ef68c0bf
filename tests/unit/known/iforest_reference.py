#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# tests/unit/known/iforest_reference.py -- reference side of test_iforest.c's scikit-learn
# agreement test; run by hand (Debian python3-sklearn 1.2.1, numpy 1.24.2) from the project root:
#   /usr/bin/python3 tests/unit/known/iforest_reference.py [/work/shared/data/series]
# Builds a real 4-feature data set from four NAB (MIT) AWS CloudWatch CPU series of the same two
# weeks, runs sklearn's IsolationForest on it and on a clear-cut subset, and writes the data with
# sklearn's scores and flags to tests/unit/known/iforest_{nab4,clearcut}.csv. See README-iforest.md.
import csv
import os
import sys

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest

SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/series"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)))
SERIES = ["nab_ec2_cpu_utilization_24ae8d", "nab_ec2_cpu_utilization_53ea38",
          "nab_ec2_cpu_utilization_5f5533", "nab_rds_cpu_utilization_cc0c53"]
COLS = ["ec2_24ae8d", "ec2_53ea38", "ec2_5f5533", "rds_cc0c53"]
STEP = 300
FIRST, ROWS = 2400, 1440  # rows 2400..3839 of the joined grid: 5 days holding NAB's later windows
CONTAMINATION = 0.12
SEED = 42
CLEAR_OUT, CLEAR_IN = 12, 88


def load(name):
    """timestamp (ceil to the 300 s grid; 5f5533 is sampled 3 min off the others) -> value text"""
    m = {}
    with open(os.path.join(SRC, name + ".csv")) as f:
        for r in csv.DictReader(f):
            t = -(-int(r["timestamp"]) // STEP) * STEP
            m.setdefault(t, r["value"])  # first row wins on a repeated slot
    return m


def run(x):
    n = x.shape[0]
    m = IsolationForest(n_estimators=100, max_samples=min(256, n), contamination=CONTAMINATION,
                        random_state=SEED).fit(x)
    s = -m.score_samples(x)  # sklearn's score_samples is -s; we write s in [0,1]
    flag = (m.predict(x) == -1).astype(int)
    return s, flag, -m.offset_


def write(path, ts, text, s, flag, thr):
    with open(path, "w", newline="") as f:
        f.write("# sklearn %s IsolationForest(n_estimators=100, max_samples=min(256,n), "
                "contamination=%g, random_state=%d); score = -score_samples, "
                "threshold = -offset_ = %.17g\n"
                % (sklearn.__version__, CONTAMINATION, SEED, thr))
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["timestamp"] + COLS + ["sk_score", "sk_flag"])
        for i in range(len(ts)):
            w.writerow([ts[i]] + list(text[i]) + ["%.17g" % s[i], int(flag[i])])


def main():
    maps = [load(s) for s in SERIES]
    common = sorted(set(maps[0]).intersection(*maps[1:]))
    ts = common[FIRST:FIRST + ROWS]
    text = [[m[t] for m in maps] for t in ts]
    x = np.array([[float(v) for v in r] for r in text])

    s, flag, thr = run(x)
    write(os.path.join(OUT, "iforest_nab4.csv"), ts, text, s, flag, thr)
    print("nab4: n=%d flagged=%d threshold=%.6f" % (len(ts), flag.sum(), thr))

    # Clear-cut case, chosen without sklearn: distance = max over features of |x - mean| / sd;
    # the 12 rows farthest out, plus 88 rows from the quieter half, evenly spaced in time.
    # (MAD is no scale here: ec2_24ae8d sits on a few discrete levels and its MAD is 0.002.)
    d = np.max(np.abs(x - x.mean(axis=0)) / x.std(axis=0), axis=1)
    order = np.argsort(-d, kind="stable")
    out = sorted(order[:CLEAR_OUT])
    quiet = np.sort(order[len(order) // 2:])
    inl = list(quiet[np.linspace(0, len(quiet) - 1, CLEAR_IN).round().astype(int)])
    pick = sorted(out + inl)
    xc = x[pick]
    sc, fc, thrc = run(xc)
    write(os.path.join(OUT, "iforest_clearcut.csv"), [ts[i] for i in pick], [text[i] for i in pick],
          sc, fc, thrc)
    chosen = np.isin(pick, out).astype(int)
    print("clearcut: n=%d flagged=%d (distance outliers %d, same rows %s) threshold=%.6f "
          "max inlier score %.6f min outlier score %.6f"
          % (len(pick), fc.sum(), chosen.sum(), bool((chosen == fc).all()), thrc,
             sc[chosen == 0].max(), sc[chosen == 1].min()))


if __name__ == "__main__":
    main()
