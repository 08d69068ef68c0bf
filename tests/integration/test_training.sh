#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_training.sh -- the seed's workflow against Debian's victoria-metrics
# loaded with real traces of ../shared/data (host CPU and memory, and a disk whose usage is a real
# trace plus a known linear fill), retimed to end now:
#   1. `metrics-ai --training` backfills the whole START_HOURS_AGO range, fits every model,
#      prints the backtests, writes the snapshot, the manifests and the per-model files, exits 0;
#   2. `metrics-ai --forecast --interval 0` restores them, fetches only the gap since the
#      snapshot, runs one cycle (disk_full_prediction.csv with the disk's row), saves, exits 0;
#   3. the service restarted on the same MODEL_FILES_DIR restores every series and model state
#      bit for bit (the digest it computes over the live state equals the one written) and
#      exports forecasts at once.
# Bounded: each run has its own time limit; at most about 90 s in all.
# shellcheck disable=SC2016  # check/wait_until evaluate single-quoted expressions later
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

need_traces test_training
STEP=300
HOURS=48

start_vm vm || exit 1
NOW=$(date +%s)
END=$(( (NOW / STEP + 2) * STEP ))
ROWS=$(( HOURS * 3600 / STEP ))
CPU=instance:metrics_ai_host_cpu:ratio
MEM=instance:metrics_ai_host_mem:ratio
DISK=instance_mountpoint:metrics_ai_disk_usage:ratio
# the disk: 0.70 + 0.02 x a real CPU trace (noise) + a fill of 0.10 over the 48 h
python3 "$IT_DIR/trace_import.py" "$IT_TMP/import.txt" "$IT_TMP/expect.txt" "$END" "$STEP" "$ROWS" \
    "$CPU|host01:9100|$SERIES/nab_ec2_cpu_utilization_5f5533.csv|0.01" \
    "$MEM|host01:9100|$SERIES/alibaba2018_cluster_mem_util_percent.csv|0.01" \
    "$DISK|instance=host01:9100,mountpoint=/|$SERIES/nab_ec2_cpu_utilization_24ae8d.csv|0.0002|0.70|0.10"
curl -fsS --max-time 30 --data-binary "@$IT_TMP/import.txt" "$VM/api/v1/import/prometheus"
curl -fsS --max-time 10 -o /dev/null "$VM/internal/force_flush"

MODELS=$IT_TMP/models
PLOTS=$IT_TMP/plots
run_mai() {     # run_mai NAME SECONDS ARGS...: one bounded single run; its exit code
    local name=$1 secs=$2
    shift 2
    (cd "$IT_TMP" && timeout -k 5 "$secs" env VM_URL="$VM" STEP=${STEP}s START_HOURS_AGO=$HOURS \
        MODEL_FILES_DIR="$MODELS" FORECAST_PLOTS_DIR="$PLOTS" \
        "$IT_MAI" --fine-hours $((HOURS + 1)) "$@") >"$IT_TMP/$name.log" 2>&1
}

# ---- 1. --training ------------------------------------------------------------------------
run_mai training 60 --training
rc=$?
check "--training exits 0 (rc $rc)" '[ "$rc" = 0 ] || { show_log training 30; false; }'
check "--training backfilled the whole range (3 signals with data)" \
    'grep -q "backfill done: 3 with data" "$IT_TMP/training.log"'
check "--training fitted every modelled series again" \
    'grep -qE "training: every one of the [1-9][0-9]* modelled series is fitted again" "$IT_TMP/training.log"'
check "--training printed the backtest of each catalogue model" \
    'grep -q "^backtest of the catalogue models" "$IT_TMP/training.log" &&
     grep -qE "^  disk_host01_root +[0-9]+ steps  ensemble MAE" "$IT_TMP/training.log"'
check "--training wrote the snapshot" '[ -s "$MODELS/snapshot.bin" ]'
check "the manifests list the models, each with a readable .meta.json and a .model file" \
    'python3 - "$MODELS" <<'"'"'PY'"'"'
import json, os, sys
d = sys.argv[1]
disk = json.load(open(f"{d}/disk_full_models.json"))["models"]
layer = json.load(open(f"{d}/layer_models.json"))["models"]
json.load(open(f"{d}/io_net_models.json"))
assert [m["name"] for m in disk] == ["disk_host01_root"], disk
assert disk[0]["mountpoint"] == "/" and disk[0]["signal"] == "DISK_USAGE", disk
assert sorted(m["signal"] for m in layer) == ["HOST_CPU", "HOST_MEM"], layer
for m in disk + layer:
    meta = json.load(open(os.path.join(d, m["meta"])))
    assert os.path.getsize(os.path.join(d, m["model"])) > 100, m
    assert meta["fine"]["fitted"] and meta["fine"]["trained_at"], meta
    assert meta["fine"]["points"] >= 500 and meta["fine"]["data_start"] < meta["fine"]["data_end"]
    assert "arima" in meta["fine"]["members"], meta["fine"]["members"]
    bt = meta["backtest"]["horizons"][0]
    assert bt["ensemble"]["mase"] > 0, bt
print("  %d models; disk backtest %s" % (len(disk) + len(layer),
      json.load(open(f"{d}/disk_host01_root.meta.json"))["backtest"]["horizons"][0]["ensemble"]))
PY'

# ---- 2. --forecast --interval 0 -------------------------------------------------------------
sleep 1
run_mai forecast 60 --forecast --interval 0
rc=$?
check "--forecast --interval 0 exits 0 (rc $rc)" '[ "$rc" = 0 ] || { show_log forecast 30; false; }'
check "... restored the snapshot as written" \
    'grep -q "snapshot restored from $MODELS/snapshot.bin: .* (as written)" "$IT_TMP/forecast.log"'
t_start=$(sed -n 's/.*backfill from .*: range \([0-9]*\)\.\.\([0-9]*\) .*/\1/p' "$IT_TMP/forecast.log")
check "... fetched only the gap since the snapshot (range starts at ${t_start:-?}, now $NOW)" \
    '[ -n "$t_start" ] && [ "$t_start" -ge $((NOW - 3600)) ]'
check "... ran one cycle and wrote disk_full_prediction.csv with the disk's row" \
    'grep -q "^host01,/," "$PLOTS/disk_full_prediction.csv" || grep -q "^host01 (host01),/," "$PLOTS/disk_full_prediction.csv" ||
     { cat "$PLOTS/disk_full_prediction.csv" 2>/dev/null | sed "s/^/  | /"; false; }'
check "... and saved the snapshot again" 'grep -q "snapshot written (single run)" "$IT_TMP/forecast.log"'
written=$(sed -n 's/.*snapshot written (single run).*digest \(store=[0-9a-f]* models=[0-9a-f]*\).*/\1/p' "$IT_TMP/forecast.log")

# ---- 3. the service restores every series and model ------------------------------------------
MAI_PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$MAI_PORT
start_proc mai env STEP=${STEP}s MODEL_FILES_DIR="$MODELS" FORECAST_PLOTS_DIR="$PLOTS" \
    "$IT_MAI" --listen "127.0.0.1:$MAI_PORT" --fine-hours $((HOURS + 1)) --interval 2
MAI_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 30 || { show_log mai; exit 1; }
restored=$(sed -n 's/.*snapshot restored from.*digest \(store=[0-9a-f]* models=[0-9a-f]*\).*/\1/p' "$IT_TMP/mai.log")
check "the service restored every series and model state bit for bit (written ${written:-?}, live ${restored:-?})" \
    '[ -n "$written" ] && [ "$written" = "$restored" ] && grep -q "(as written)" "$IT_TMP/mai.log"'
DISK_LABELS="instance=\"host01:9100\",mountpoint=\"/\",metric=\"$DISK\""
wait_until 10 '[ -n "$(metric_value "$MAI/metrics" metrics_ai_forecast_ready "$DISK_LABELS")" ]'
ready=$(metric_value "$MAI/metrics" metrics_ai_forecast_ready "$DISK_LABELS")
check "the restored disk model forecasts at once, ready (got ${ready:-none})" '[ "$ready" = 1 ]'
finish test_training
