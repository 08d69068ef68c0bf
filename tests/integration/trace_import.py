#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/integration/trace_import.py -- turns real traces of ../shared/data into the Prometheus
# text import of victoria-metrics (/api/v1/import/prometheus), retimed to end at END.
#   trace_import.py OUT EXPECT END STEP ROWS SPEC...
# Each SPEC is NAME|LABELS|CSV|SCALE[|OFFSET|FILL]: LABELS is instance=host01:9100[,k=v...] (a
# bare value means the instance); the CSV's last ROWS values, times SCALE, plus OFFSET, plus a
# linear FILL over the ROWS (0 at the first, FILL at the last), are placed at
# END - (ROWS-1-j)*STEP. Writes the import (ms timestamps) to OUT and "NAME INSTANCE T VALUE" lines
# to EXPECT.
import csv
import sys

out, expect, end, step, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
with open(out, "w") as o, open(expect, "w") as e:
    for spec in sys.argv[6:]:
        parts = spec.split("|")
        name, labels, path, scale = parts[:4]
        offset = float(parts[4]) if len(parts) > 4 else 0.0
        fill = float(parts[5]) if len(parts) > 5 else 0.0
        pairs = [p.split("=", 1) if "=" in p else ["instance", p] for p in labels.split(",")]
        inst = dict(pairs).get("instance", "")
        lab = ",".join('%s="%s"' % (k, v) for k, v in pairs)
        vals = [float(r["value"]) for r in csv.DictReader(open(path))][-rows:]
        for j, v in enumerate(vals):
            t = end - (len(vals) - 1 - j) * step
            x = v * float(scale) + offset + fill * j / max(len(vals) - 1, 1)
            o.write("%s{%s} %r %d\n" % (name, lab, x, t * 1000))
            e.write("%s %s %d %r\n" % (name, inst, t, x))
