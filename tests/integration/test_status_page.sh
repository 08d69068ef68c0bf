#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_status_page.sh -- the HTML status page at "/" in a real browser: Debian's
# headless Chromium renders it while metrics-ai holds the alerting scenario of
# alert_scenario.py (a disk past 90%, an I/O crisis, anomalies, an odd node, host pressure).
# Checks: the DOM Chromium built (--dump-dom) shows the counts, the alert summary and the
# CRITICAL disk row of host02; the screenshot is a PNG of the window size that is not blank (many
# colours, and the alert rows' tints present). Bounded: about 40 s.
# shellcheck disable=SC2016,SC2034  # check/wait_until evaluate single-quoted expressions later
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || true)
if [ -z "$CHROMIUM" ]; then
    check "chromium is installed (make deps installs it)" false
    finish test_status_page
    exit 1
fi
MAI_PORT=$(free_port) || exit 1
MAI=http://127.0.0.1:$MAI_PORT
export INSTANCE_ALIAS_MAP='{"192.168.10.82": "host02", "192.168.10.83": "host03",
  "192.168.10.84": "host04", "192.168.10.85": "host05", "192.168.10.200": "pi"}'
start_proc mai "$IT_MAI" --listen "127.0.0.1:$MAI_PORT" --interval 1 -q
MAI_PID=$BG_PID
wait_http "$MAI/-/ready" "$MAI_PID" 15 || { show_log mai; exit 1; }
python3 "$IT_DIR/alert_scenario.py" "$MAI/api/v1/write" alerting >"$IT_TMP/scenario.out" 2>&1
rc=$?
check "the alerting scenario was accepted" '[ "$rc" -eq 0 ] || { cat "$IT_TMP/scenario.out"; false; }'
critical() { page_has "$MAI/" '<tr class="CRITICAL"><td>host02 (192.168.10.82)</td><td>/</td>'; }
wait_until 30 critical

# chromium NAME ARGS...: one bounded headless run with a throwaway profile
chromium_run() {
    local name=$1
    shift
    local prof
    prof=$(mktemp -d "$IT_TMP/chromium.XXXXXX")
    timeout -k 5 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$prof" "$@" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
}
chromium_run dom --dump-dom "$MAI/"
check "Chromium rendered the page (DOM dumped)" 'grep -q "<h1>metrics-ai" "$IT_TMP/dom.out"'
check "the page shows the series held and the models" \
    'grep -qE "<dd id=\"series\">[1-9][0-9]* \([0-9]+ active\)</dd>" "$IT_TMP/dom.out" &&
     grep -qE "<dd id=\"models\">[0-9]+ ready, [0-9]+ warming up</dd>" "$IT_TMP/dom.out"'
check "the page shows the alert summary with a critical disk" \
    'grep -qE "<p id=\"summary\" class=\"alert\">Alerts: Disk → [1-9][0-9]* critical" "$IT_TMP/dom.out"'
check "the page shows host02's CRITICAL disk row" \
    'grep -q "<tr class=\"CRITICAL\"><td>host02 (192.168.10.82)</td><td>/</td>" "$IT_TMP/dom.out"'
check "the page shows the host pressure of pi" 'grep -q "pi (192.168.10.200)" "$IT_TMP/dom.out"'
check "the page links /metrics" 'grep -q "<a href=\"/metrics\">" "$IT_TMP/dom.out"'

chromium_run shot --window-size=1200,900 --virtual-time-budget=3000 \
    --screenshot="$IT_TMP/status.png" "$MAI/"
check "Chromium wrote a 1200x900 screenshot that is not blank and shows the alert tints" \
    'python3 - "$IT_TMP/status.png" <<'"'"'PY'"'"'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
assert (w, h) == (1200, 900), (w, h)
idat, pos = b"", 8
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}[ctype]
stride = w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
colours = {}
for y in range(0, h, 3):
    r = rows[y]
    for x in range(0, w, 3):
        px = r[x * bpp:x * bpp + 3]
        colours[px] = colours.get(px, 0) + 1
critical = sum(v for k, v in colours.items() if abs(k[0] - 0xf8) < 6 and abs(k[1] - 0xd0) < 6 and abs(k[2] - 0xd0) < 6)
assert len(colours) > 20, f"{len(colours)} colours: blank"
assert critical > 50, f"the CRITICAL row tint covers {critical} sampled pixels"
print(f"  {len(colours)} colours, CRITICAL tint on {critical} sampled pixels")
PY'
cp "$IT_TMP/status.png" "${STATUS_PNG_OUT:-/dev/null}" 2>/dev/null
check "metrics-ai still answers after the browser visits" 'curl -fsS --max-time 2 -o /dev/null "$MAI/-/healthy"'
finish test_status_page
