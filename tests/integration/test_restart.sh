#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_restart.sh -- persistence across restarts: rwload feeds metrics-ai over
# remote write with MODEL_FILES_DIR in the temp dir until a cycle has fitted models; SIGTERM
# writes the shutdown snapshot, and the restarted process restores it: the digest it logs over
# the restored state (store rings and model states) equals the digest written, and the same
# series and ready models are exported. Then SIGKILL during ingest (periodic snapshots every
# second): the last good snapshot loads and the service is ready; a corrupt snapshot.bin is
# refused with a one-line reason and snapshot.prev.bin restored; SIGKILL in the middle of a
# snapshot write (snapshot.bin.tmp half written) leaves the last good snapshot, which loads.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

models="$IT_TMP/models"
port=$(free_port)
url="http://127.0.0.1:$port"
start_mai() {   # start_mai NAME [FLAGS...]
    local name=$1
    shift
    start_proc "$name" env MODEL_FILES_DIR="$models" "$IT_MAI" --listen "127.0.0.1:$port" \
        --threads 2 --interval 1 --max-models 100 --horizons 15m,1h "$@"
    mai_pid=$BG_PID
    wait_http "$url/-/ready" "$mai_pid" 30
}
# digest NAME KIND: "store=... models=..." from the last "snapshot written (KIND)" or
# "snapshot restored" line of NAME.log.
digest() {
    grep -E "snapshot $2" "$IT_TMP/$1.log" | tail -n 1 | grep -oE 'store=[0-9a-f]+ models=[0-9a-f]+'
}
load() {        # load SECONDS HOURS_AGO: 1 560 node_exporter-like series, 15 s apart, from then
    "$IT_RWLOAD" --url "$url/api/v1/write" --series 1560 --samples-per-request 1560 \
        --connections 2 --duration "$1" --max-requests 2000 --start-hours-ago "$2" \
        >>"$IT_TMP/rwload.out" 2>&1
}

start_mai mai1 --snapshot-interval 0 || { show_log mai1; finish test_restart; exit 1; }
load 3 24     # at most 2 000 rounds: 8.3 h of history, 24 h ago to 15.7 h ago
rc=$?
check "rwload sent its load" '[ "$rc" -eq 0 ]'
wait_until 60 'num_gt "$(metric_value "$url/metrics" metrics_ai_models state=\"ready\")" 0'
page1="$IT_TMP/metrics1.txt"
snapshot "$url/metrics" "$page1"
ready1=$(metric_value "$page1" metrics_ai_models 'state="ready"')
series1=$(metric_value "$page1" metrics_ai_series_active)
check "a cycle fitted models before the restart (ready=$ready1, series=$series1)" \
    'num_gt "$ready1" 0 && num_gt "$series1" 1000'
stop_proc "$mai_pid" 30
written=$(digest mai1 'written \(shutdown\)')
check "SIGTERM wrote the shutdown snapshot ($written)" '[ -n "$written" ] && [ -s "$models/snapshot.bin" ]'

start_mai mai2 --snapshot-interval 1 || { show_log mai2; finish test_restart; exit 1; }
restored=$(digest mai2 restored)
check_eq "digest of the restored state equals the one written" "$restored" "$written"
check "restore line says as written" 'grep -q "snapshot restored from $models/snapshot.bin.*(as written)" "$IT_TMP/mai2.log"'
page2="$IT_TMP/metrics2.txt"
snapshot "$url/metrics" "$page2"
check_eq "same active series after the restart" "$(metric_value "$page2" metrics_ai_series_active)" "$series1"
wait_until 20 'num_ge "$(metric_value "$url/metrics" metrics_ai_models state=\"ready\")" "$ready1"'
check "ready models kept across the restart" \
    'num_ge "$(metric_value "$url/metrics" metrics_ai_models state=\"ready\")" "$ready1"'

# SIGKILL while rwload writes and periodic snapshots are being taken
load 6 15 &   # newer samples than those already held
load_pid=$!
wait_until 30 '[ "$(grep -c "snapshot written (periodic)" "$IT_TMP/mai2.log")" -ge 2 ]'
check "periodic snapshots written during ingest" \
    '[ "$(grep -c "snapshot written (periodic)" "$IT_TMP/mai2.log")" -ge 2 ]'
kill -KILL "$mai_pid" 2>/dev/null
wait "$mai_pid" 2>/dev/null
wait "$load_pid" 2>/dev/null
check "snapshot.bin is whole after SIGKILL" '[ -s "$models/snapshot.bin" ]'
start_mai mai3 --snapshot-interval 0
rc=$?
check "ready after SIGKILL and restart" '[ "$rc" -eq 0 ]'
check "the last good snapshot loaded" 'grep -q "snapshot restored from $models/snapshot.bin.*(as written)" "$IT_TMP/mai3.log"'
check "no snapshot refused" '! grep -q "snapshot refused" "$IT_TMP/mai3.log"'
check "series held after SIGKILL" 'num_ge "$(metric_value "$url/metrics" metrics_ai_series_active)" "$series1"'
stop_proc "$mai_pid" 30

# a corrupt snapshot.bin: refused in one line naming it, snapshot.prev.bin restored
size=$(stat -c %s "$models/snapshot.bin")
printf '\xff\xff\xff\xff' | dd of="$models/snapshot.bin" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
start_mai mai4 --snapshot-interval 0
rc=$?
check "ready with a corrupt snapshot.bin" '[ "$rc" -eq 0 ]'
check "corrupt snapshot.bin refused with its reason" \
    'grep -qE "snapshot refused: $models/snapshot.bin: CRC mismatch in section (STOR|MODL)" "$IT_TMP/mai4.log"'
check "snapshot.prev.bin restored instead" 'grep -q "snapshot restored from $models/snapshot.prev.bin" "$IT_TMP/mai4.log"'
check "series back from snapshot.prev.bin" 'num_ge "$(metric_value "$url/metrics" metrics_ai_series_active)" "$series1"'
stop_proc "$mai_pid" 30

# SIGKILL in the middle of a snapshot write: a watcher kills metrics-ai as soon as
# snapshot.bin.tmp holds bytes and before it is renamed (up to 3 tries when the write wins the
# race). snapshot.bin is then still the last good one: the restart restores it, as written, with
# the digest of the last "snapshot written" line, and the half-written temp file is ignored.
cat >"$IT_TMP/killer.py" <<'PY'
import os, signal, sys, time
pid, tmp = int(sys.argv[1]), sys.argv[2]
t_end = time.time() + 20
while time.time() < t_end:
    try:
        if os.stat(tmp).st_size > 0:
            os.kill(pid, signal.SIGKILL)
            print("killed with %d bytes in %s" % (os.stat(tmp).st_size, os.path.basename(tmp)))
            sys.exit(0)
    except FileNotFoundError:
        pass
print("no snapshot write seen in 20 s")
sys.exit(1)
PY
mid=0
for try in 1 2 3; do
    start_mai "mai5_$try" --snapshot-interval 1 || { show_log "mai5_$try"; break; }
    wait_until 30 '[ "$(grep -c "snapshot written (periodic)" "$IT_TMP/mai5_$try.log")" -ge 1 ]'
    python3 "$IT_TMP/killer.py" "$mai_pid" "$models/snapshot.bin.tmp" >"$IT_TMP/killer.out" 2>&1
    wait "$mai_pid" 2>/dev/null
    last=$(digest "mai5_$try" 'written \(periodic\)')
    if [ -s "$models/snapshot.bin.tmp" ]; then
        mid=1
        break
    fi
    log "try $try: the write finished before the kill; again"
done
check "SIGKILL landed during a snapshot write ($(cat "$IT_TMP/killer.out"))" '[ "$mid" = 1 ]'
check "a periodic snapshot was written before the kill ($last)" '[ -n "$last" ]'
start_mai mai6 --snapshot-interval 0
rc=$?
check "ready after SIGKILL during a snapshot write" '[ "$rc" -eq 0 ]'
check "no snapshot refused after SIGKILL during a write" '! grep -q "snapshot refused" "$IT_TMP/mai6.log"'
check_eq "the last good snapshot restored: digest of the last write before the kill" \
    "$(digest mai6 restored)" "$last"
check "restored from snapshot.bin, as written" \
    'grep -q "snapshot restored from $models/snapshot.bin.*(as written)" "$IT_TMP/mai6.log"'
check "series held after SIGKILL during a write" \
    'num_ge "$(metric_value "$url/metrics" metrics_ai_series_active)" "$series1"'
stop_proc "$mai_pid" 30
check "the next write replaced the half-written temp file" '[ ! -e "$models/snapshot.bin.tmp" ]'
log "snapshot.bin: $(stat -c %s "$models/snapshot.bin") bytes"
log "$(grep -h 'snapshot written (shutdown)' "$IT_TMP/mai1.log" | sed 's/.*snapshot written/written/')"
log "$(grep -h 'snapshot restored' "$IT_TMP/mai2.log" | sed 's/.*snapshot restored/restored/')"
finish test_restart
