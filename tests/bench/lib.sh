# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers shared by bench.sh and bench-compare.sh (sourced, not run): free ports, starting and
# stopping receivers, readiness waits, /proc and /metrics readings, RESULT-line parsing.
# Every loop here is bounded in count and time.

BENCH_PIDS=()

bench_log() { printf '%s\n' "$*" >&2; }

# free_port: a loopback TCP port nobody answers on (random in 20000-59999, at most 200 tries).
free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    bench_log "no free port found"
    return 1
}

# start_bg LOGFILE CMD...: start CMD in the background; its pid goes to BG_PID and BENCH_PIDS.
start_bg() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 </dev/null &
    BG_PID=$!
    BENCH_PIDS+=("$BG_PID")
}

# stop_pid PID: TERM, up to 10 s for it to go, then KILL.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_all() {
    local pid
    for pid in "${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}"; do
        stop_pid "$pid"
    done
    BENCH_PIDS=()
}

# wait_ready URL PID [SECONDS]: poll URL until 200 while PID lives (default 30 s).
wait_ready() {
    local url=$1 pid=$2 secs=${3:-30} i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        if curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# rss_bytes PID
rss_bytes() {
    awk '/^VmRSS:/ { printf "%.0f\n", $2 * 1024; found = 1 } END { if (!found) print 0 }' \
        "/proc/$1/status" 2>/dev/null || echo 0
}

# metric_sum URL KEY: sum of the samples whose series is exactly KEY (name{labels} as exposed),
# or, when KEY has no '{', of every series of that metric name. Prints an integer, or "" if none.
metric_sum() {
    local url=$1 key=$2
    curl -fsS --max-time 10 "$url" 2>/dev/null | awk -v key="$key" '
        /^#/ { next }
        {
            name = $1; sub(/\{.*/, "", name)
            if ($1 == key || (index(key, "{") == 0 && name == key)) { s += $2; n++ }
        }
        END { if (n) printf "%.0f\n", s }'
}

# kv LINE KEY: value of KEY=value in a RESULT line.
kv() {
    awk -v k="$2" '{ for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) { print substr($i, length(k) + 2); exit } } }' <<<"$1"
}

# ratio A B [FORMAT]: A/B, or "-" if either is missing or B is zero.
ratio() {
    awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {
        if (a == "" || b == "" || a == "na" || b == "na" || b + 0 == 0) { print "-"; exit }
        printf f "\n", a / b }'
}
