#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_forecast_accuracy.sh -- the forecasting engine on the real traces of
# ../shared/data: `metrics-ai predict` answers every task of eval/origins.csv, and the official
# scorer's figures meet the targets: at each horizon the median MASE is at most 0.9 x the best
# reference method's in BASELINES.md, and the 80% interval covers 75-85% of outcomes.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

SHARED=${SHARED_DIR:-$IT_ROOT/../shared}
if [ ! -f "$SHARED/data/eval/origins.csv" ]; then
    check "the shared data set is beside the project ($SHARED)" false
    finish test_forecast_accuracy
    exit 1
fi
inputs=()
for f in "$SHARED"/data/series/*.csv; do inputs+=(--input "$f"); done
OPENBLAS_NUM_THREADS=1 "$IT_MAI" predict "${inputs[@]}" --origins "$SHARED/data/eval/origins.csv" \
    --output "$IT_TMP/ens.csv" --timing "$IT_TMP/timing_ens.csv" 2>"$IT_TMP/predict.err"
rc=$?
check "metrics-ai predict ran (exit $rc)" '[ "$rc" -eq 0 ] || { tail -3 "$IT_TMP/predict.err"; false; }'
/usr/bin/python3 "$SHARED/tools/eval/score_forecasts.py" "$SHARED/data" "$IT_TMP/ens.csv" \
    >"$IT_TMP/score.txt" 2>&1
sed 's/^/  | /' "$IT_TMP/score.txt" | head -6
verdict=$(/usr/bin/python3 - "$SHARED/data/BASELINES.md" "$IT_TMP/score.txt" <<'PY'
import sys
def rows(path):
    out = {}
    for line in open(path):
        c = [x.strip() for x in line.strip().strip("|").split("|")]
        if len(c) >= 9 and c[0] in ("15m", "1h", "24h") and c[2].isdigit():
            out.setdefault(c[0], []).append((c[1], float(c[3]), c[7], c[8]))
    return out
base, ours = rows(sys.argv[1]), rows(sys.argv[2])
ok = True
for h in ("15m", "1h", "24h"):
    best = min(base[h], key=lambda r: r[1])
    name, mase, cov, answered = ours[h][0]
    done, total = answered.split("/")
    cov = float(cov)
    good = mase <= 0.9 * best[1] and 0.75 <= cov <= 0.85 and done == total
    ok &= good
    print(f"{h}: MASE {mase:.3f} vs 0.9 x {best[0]} {best[1]:.3f} = {0.9 * best[1]:.3f}; "
          f"coverage80 {cov:.3f}; answered {answered}: {'ok' if good else 'MISSED'}")
print("PASS" if ok else "FAIL")
PY
)
printf '%s\n' "$verdict" | sed 's/^/  /'
check "every horizon meets the accuracy and coverage targets" '[ "$(printf "%s\n" "$verdict" | tail -1)" = PASS ]'
finish test_forecast_accuracy
