#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Remote read figures: a fresh ./metrics-ai (--interval 2) on a free loopback port gets SERIES
# node_exporter-like series with two hours of history from ./build/rwload (480 rounds 15 s apart,
# sent as fast as they go); once every series has a model and a cycle has passed, it answers
# three reads, each three times, as SAMPLES and as streamed XOR chunks: the mean forecast curve
# of every series over the next 24 h, the stored node_* series over the last 2 h, and one
# series' three curves over 7 days. Prints per read and answer type the median wall time (curl),
# the answer's bytes, and the series and samples counted from the streamed frames.
#
# Run from the project root: tests/bench/rread_bench.sh
# Env: SERIES (default 1560).
set -euo pipefail
cd "$(dirname "$0")/../.."
SERIES=${SERIES:-1560}
for f in ./metrics-ai ./build/rwload; do
    [[ -x $f ]] || { echo "rread_bench.sh: FAIL: $f missing (make metrics-ai build/rwload)" >&2; exit 1; }
done
T=$(mktemp -d)
PID=
cleanup() { if [[ -n $PID ]]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; fi; rm -rf "$T"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MAI=http://127.0.0.1:$PORT
./metrics-ai --listen "127.0.0.1:$PORT" --interval 2 -q >"$T/mai.log" 2>&1 &
PID=$!
for _ in $(seq 1 50); do curl -fs -o /dev/null "$MAI/-/ready" && break; sleep 0.1; done
./build/rwload --url "$MAI/api/v1/write" --series "$SERIES" --connections 2 --warmup-rounds 480 \
    --max-requests $(( 480 * ((SERIES + 499) / 500) )) --start-hours-ago 2 --duration 1 \
    >"$T/rwload.log" 2>&1
models() { curl -fs "$MAI/metrics" | awk '/^metrics_ai_models\{/ { n += $2 } END { print n + 0 }'; }
for _ in $(seq 1 120); do [[ $(models) -ge $SERIES ]] && break; sleep 0.5; done
sleep 3                                     # one more cycle: every series forecast on its history

export PYTHONPATH="$PWD/tests/integration"     # promwire.py: the wire formats by hand
cat >"$T/req.py" <<'PY'
import sys
from promwire import ld, snappy, vi
out, start, end, streamed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
ms = b""
for spec in sys.argv[5:]:           # TYPE:NAME:VALUE, TYPE 0 = EQ, 2 = RE
    t, name, value = spec.split(":", 2)
    ms += ld(3, (vi(1, int(t)) if int(t) else b"") + ld(2, name.encode()) + ld(3, value.encode()))
req = ld(1, vi(1, start) + vi(2, end) + ms) + (ld(2, bytes([1, 0])) if streamed else b"")
open(out, "wb").write(snappy(req))
PY
cat >"$T/count.py" <<'PY'
import sys
from promwire import read_uv as uv
data = open(sys.argv[1], "rb").read()
def fields(b):
    i, out = 0, []
    while i < len(b):
        k, i = uv(b, i)
        if k & 7 == 0:
            v, i = uv(b, i)
        else:
            n, i = uv(b, i); v = b[i:i + n]; i += n
        out.append((k >> 3, v))
    return out
i = series = samples = 0
while i < len(data):
    n, i = uv(data, i)
    for f, s in fields(data[i + 4:i + 4 + n]):
        series += f == 1
        samples += sum(int.from_bytes(dict(fields(v))[4][:2], "big") for g, v in fields(s) if g == 2) if f == 1 else 0
    i += 4 + n
print(series, samples)
PY

NOW=$(( $(date +%s) * 1000 ))
ONE=$(curl -fs "$MAI/api/v1/store?metric=node_load1&limit=1&points=0" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["series"][0]["labels"]["instance"])')
printf '%-34s %-8s %10s %12s %8s %10s\n' read answer ms bytes series samples
run() {
    local name=$1 start=$2 end=$3
    shift 3
    local counts=
    for streamed in 1 0; do
        python3 "$T/req.py" "$T/req" "$start" "$end" "$streamed" "$@"
        local times=() size=0
        for _ in 1 2 3; do
            read -r code size t < <(curl -s -o "$T/out" -w '%{http_code} %{size_download} %{time_total}\n' \
                -H 'Content-Type: application/x-protobuf' -H 'Content-Encoding: snappy' \
                --data-binary @"$T/req" "$MAI/api/v1/read")
            [[ $code == 200 ]] || { echo "rread_bench.sh: FAIL: $name answered $code: $(head -c 200 "$T/out")" >&2; exit 1; }
            times+=("$t")
        done
        [[ $streamed == 1 ]] && counts=$(python3 "$T/count.py" "$T/out")
        local ms
        ms=$(printf '%s\n' "${times[@]}" | sort -g | awk 'NR == 2 { printf "%.1f", $1 * 1000 }')
        read -r nseries nsamples <<<"$counts"
        printf '%-34s %-8s %10s %12s %8s %10s\n' "$name" "$([[ $streamed == 1 ]] && echo streamed || echo samples)" \
            "$ms" "$size" "$nseries" "$nsamples"
    done
}
run "curve, every series, mean, 24 h" "$NOW" $(( NOW + 86400000 )) \
    0:__name__:metrics_ai_forecast_curve 0:bound:mean
run "stored node_.*, last 2 h" $(( NOW - 7200000 )) "$NOW" '2:__name__:node_.*'
run "curve, one series, 3 bounds, 7 d" "$NOW" $(( NOW + 7 * 86400000 )) \
    0:__name__:metrics_ai_forecast_curve 0:metric:node_load1 "0:instance:$ONE"
echo "metrics-ai peak RSS: $(awk '/VmHWM/ { print $2, $3 }' "/proc/$PID/status")"
