# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# tests/integration/lib.sh -- helpers shared by tests/integration/test_*.sh (sourced, not run):
# a temp dir and process list torn down by an EXIT trap (processes stopped in reverse start order,
# then the temp dir removed), free loopback ports, bounded waits, check/finish bookkeeping,
# a Prometheus instant-query helper and /metrics readers.
# Every loop here is bounded in count and in time; everything listens on 127.0.0.1 only.

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_ROOT=$(cd "$IT_DIR/../.." && pwd)
# shellcheck disable=SC2034  # used by the test scripts that source this file
IT_MAI="$IT_ROOT/metrics-ai" IT_RWLOAD="$IT_ROOT/build/rwload"
IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mai-it.XXXXXX") || { echo "cannot create a temp dir" >&2; exit 1; }
IT_PIDS=()
IT_NAMES=()
IT_PORTS=()
IT_PASS=0
IT_FAIL=0
IT_T0=$(date +%s.%N)

log() { printf '  %s\n' "$*"; }

# elapsed: seconds since the test sourced this file, one decimal.
elapsed() { awk -v a="$IT_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }'; }

# stop_pid PID [SECONDS]: TERM, up to SECONDS (default 10) for it to exit, then KILL; reaps it.
# Only ever signals a pid this shell started.
stop_pid() {
    local pid=$1 secs=${2:-10} i
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < secs * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        # a child that exited is a zombie until reaped: wait reaps it without blocking long
        if [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then break; fi
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
        echo "  (pid $pid did not stop in ${secs}s: KILL)" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

# it_cleanup: stop every started process, newest first, then remove the temp dir.
it_cleanup() {
    local k
    for ((k = ${#IT_PIDS[@]} - 1; k >= 0; k--)); do
        stop_pid "${IT_PIDS[k]}"
    done
    IT_PIDS=()
    if [ -n "${IT_KEEP_TMP:-}" ]; then
        echo "  (temp dir kept: $IT_TMP)" >&2
    else
        rm -rf "$IT_TMP"
    fi
}
trap it_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port: a loopback TCP port the kernel just handed out and nobody answers on, distinct from
# the ones this test already picked (at most 50 tries).
free_port() {
    local p i q dup
    for ((i = 0; i < 50; i++)); do
        p=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()') || continue
        dup=0
        for q in "${IT_PORTS[@]+"${IT_PORTS[@]}"}"; do [ "$q" = "$p" ] && dup=1; done
        [ "$dup" = 1 ] && continue
        if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
        IT_PORTS+=("$p")
        echo "$p"
        return 0
    done
    echo "no free loopback port found" >&2
    return 1
}

# start_proc NAME CMD...: run CMD in the background from a working directory of its own,
# $IT_TMP/run-NAME (so that files written relative to it, such as the default ./model_files
# snapshots, are never shared between two starts), output to $IT_TMP/NAME.log; its pid goes to
# BG_PID and to the cleanup list.
start_proc() {
    local name=$1
    shift
    mkdir -p "$IT_TMP/run-$name"
    (cd "$IT_TMP/run-$name" && exec "$@") >"$IT_TMP/$name.log" 2>&1 </dev/null &
    BG_PID=$!
    IT_PIDS+=("$BG_PID")
    IT_NAMES+=("$name")
}

# stop_proc PID: stop one process now (it stays in the cleanup list; stopping twice is harmless).
stop_proc() { stop_pid "$1" "${2:-10}"; }

# alive PID: true while PID runs (a zombie counts as gone).
alive() {
    kill -0 "$1" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# wait_http URL PID [SECONDS]: poll URL every 0.1 s until it answers 2xx, while PID lives
# (default 15 s). Prints the tail of the process log on failure.
wait_http() {
    local url=$1 pid=$2 secs=${3:-15} i
    for ((i = 0; i < secs * 10; i++)); do
        if ! alive "$pid"; then
            echo "  process $pid exited before $url answered" >&2
            return 1
        fi
        curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "  $url not ready after ${secs}s" >&2
    return 1
}

# wait_until SECONDS EXPR: evaluate EXPR every 0.5 s until it is true or SECONDS pass.
wait_until() {
    local secs=$1 expr=$2 i
    for ((i = 0; i < secs * 2; i++)); do
        eval "$expr" && return 0
        sleep 0.5
    done
    eval "$expr"
}

# show_log NAME [LINES]: last lines of a started process' log, indented.
show_log() {
    echo "  --- last ${2:-20} lines of $1.log ---"
    tail -n "${2:-20}" "$IT_TMP/$1.log" 2>/dev/null | sed 's/^/  | /'
}

# check DESC EXPR: evaluate EXPR (a shell expression) and record ok/FAIL.
check() {
    local desc=$1 expr=$2
    if eval "$expr"; then
        echo "  ok   $desc"
        IT_PASS=$((IT_PASS + 1))
    else
        echo "  FAIL $desc"
        IT_FAIL=$((IT_FAIL + 1))
    fi
}

# check_eq DESC GOT WANT: string equality, printing both on failure.
check_eq() {
    if [ "$2" = "$3" ]; then
        echo "  ok   $1"
        IT_PASS=$((IT_PASS + 1))
    else
        echo "  FAIL $1 (got '$2', want '$3')"
        IT_FAIL=$((IT_FAIL + 1))
    fi
}

# finish NAME: print the test's tally; returns non-zero when any check failed or none ran.
finish() {
    echo "  $1: $IT_PASS checks passed, $IT_FAIL failed ($(elapsed)s)"
    [ "$IT_FAIL" -eq 0 ] && [ "$IT_PASS" -gt 0 ]
}

# num_gt A B / num_ge A B / num_eq A B: numeric comparisons that are false on empty input.
num_gt() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
num_ge() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
num_eq() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0) }'; }

# _metrics_page SRC: a /metrics page from a URL (http://...) or from a file saved earlier (to read
# several values from one consistent snapshot).
_metrics_page() {
    case $1 in
    http://*) curl -fsS --max-time 5 "$1" 2>/dev/null ;;
    *) cat "$1" 2>/dev/null ;;
    esac
}

# snapshot URL FILE: save a /metrics page for metric_value/metric_sum/metric_lines.
snapshot() { curl -fsS --max-time 5 "$1" -o "$2" 2>/dev/null; }

# metric_value SRC NAME [LABELS]: value of the sample NAME{LABELS} on a /metrics page, LABELS
# being the label text exactly as exposed (e.g. 'reason="out_of_order"'); without LABELS the
# sample without labels. Prints an integer when the value is one, or nothing if absent.
metric_value() {
    local url=$1 key=$2
    [ -n "${3:-}" ] && key="$2{$3}"
    _metrics_page "$url" | awk -v key="$key" '
        /^#/ { next }
        $1 == key {
            v = $2
            if (v ~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/ && v + 0 == int(v + 0)) printf "%.0f\n", v
            else print v
            exit
        }'
}

# metric_sum SRC NAME [AWK_REGEX]: sum over the samples of NAME whose label text (between the
# braces) matches AWK_REGEX (default: all). Prints 0 when none match.
metric_sum() {
    _metrics_page "$1" | awk -v name="$2" -v re="${3:-}" '
        /^#/ { next }
        {
            n = $1; l = ""
            if ((i = index(n, "{")) > 0) { l = substr(n, i + 1, length(n) - i - 1); n = substr(n, 1, i - 1) }
            if (n == name && (re == "" || l ~ re)) s += $2
        }
        END { printf "%.0f\n", s }'
}

# metric_lines SRC NAME: the sample lines of NAME (all label sets).
metric_lines() {
    _metrics_page "$1" | awk -v name="$2" '
        /^#/ { next } { n = $1; sub(/\{.*/, "", n); if (n == name) print }'
}

# prom_query BASE_URL EXPR: instant query; prints one line per result, "LABELS VALUE" with
# LABELS as {k="v",...} (without __name__), or nothing. Returns 1 if the query failed.
prom_query() {
    curl -fsS --max-time 5 "$1/api/v1/query" --data-urlencode "query=$2" 2>/dev/null |
        python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(1)
if d.get("status") != "success":
    sys.exit(1)
r = d["data"]["result"]
if d["data"]["resultType"] == "scalar":
    print("{} " + r[1]); sys.exit(0)
for s in r:
    m = {k: v for k, v in s["metric"].items() if k != "__name__"}
    print("{" + ",".join("%s=\"%s\"" % (k, m[k]) for k in sorted(m)) + "} " + s["value"][1])
'
}

# prom_value BASE_URL EXPR: the value of the first result of an instant query, or nothing.
prom_value() { prom_query "$1" "$2" | head -n 1 | awk '{ print $NF }'; }

# start_vm NAME [FLAG...]: Debian's victoria-metrics on a free loopback port with temp storage,
# ready; sets VM_PID and VM (its base URL). latencyOffset 0: VM otherwise hides the newest 30 s,
# and the test traces end now. Returns non-zero (log shown) when it does not come up.
start_vm() {
    local name=$1 port
    shift
    port=$(free_port) || return 1
    VM=http://127.0.0.1:$port
    start_proc "$name" "${VM_BIN:-/usr/bin/victoria-metrics}" -httpListenAddr="127.0.0.1:$port" \
        -storageDataPath="$IT_TMP/$name-data" -loggerLevel=ERROR -search.latencyOffset=0s \
        -search.disableCache -http.maxGracefulShutdownDuration=1s "$@"
    VM_PID=$BG_PID
    wait_http "$VM/health" "$VM_PID" 20 || { show_log "$name"; return 1; }
}

# need_traces TEST: SHARED and SERIES (../shared/data/series); fails the test when they or
# victoria-metrics are missing.
need_traces() {
    SHARED=${SHARED_DIR:-$IT_ROOT/../shared}
    SERIES=$SHARED/data/series
    if [ ! -x "${VM_BIN:-/usr/bin/victoria-metrics}" ] || [ ! -d "$SERIES" ]; then
        check "victoria-metrics and the shared traces ($SERIES) are present" false
        finish "$1"
        exit 1
    fi
}

# page_has URL PATTERN: true when the page at URL holds a line matching the grep pattern. The page
# is read whole first: `curl | grep -q` under pipefail fails at random when grep stops reading
# early and curl gets SIGPIPE.
page_has() {
    local page
    page=$(curl -fsS --max-time 5 "$1" 2>/dev/null) || return 1
    grep -q -- "$2" <<<"$page"
}
