#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_security.sh -- HTTPS and authentication end to end: a self-signed
# certificate made here with the openssl CLI; metrics-ai with --tls-cert/--tls-key, a bearer token
# file and a basic users file (one plaintext, one salted SHA-256 line); curl checks which endpoints
# answer 401 (with WWW-Authenticate), which stay open, that both schemes pass, that plain HTTP and
# an untrusted CA are refused; real Prometheus 2.42 remote-writes over https (tls_config.ca_file)
# through two queues, one with `authorization: {credentials_file: ...}` and one with basic_auth,
# loses nothing, and scrapes /metrics over https with the token (--auth-metrics); a second instance without
# credentials refuses the admin endpoint (403) unless --admin-open; bad certificate files give a
# one-line error; no secret appears in any log (metrics-ai runs at -vvv).
# shellcheck disable=SC2016  # check/wait_until take expressions evaluated later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

for bin in openssl prometheus prometheus-node-exporter curl sha256sum; do
    if ! command -v "$bin" >/dev/null; then
        echo "  FAIL $bin not installed"
        exit 1
    fi
done

MAI_PORT=$(free_port) && NODE_PORT=$(free_port) && PROM_PORT=$(free_port) &&
    OPEN_PORT=$(free_port) || exit 1
MAI=https://127.0.0.1:$MAI_PORT
PROM=http://127.0.0.1:$PROM_PORT

# Certificates: the server's (CN and SAN 127.0.0.1) and an unrelated one as a wrong CA.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$IT_TMP/key.pem" -out "$IT_TMP/cert.pem" \
    >"$IT_TMP/openssl.log" 2>&1 || { cat "$IT_TMP/openssl.log"; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other \
    -keyout "$IT_TMP/other-key.pem" -out "$IT_TMP/other.pem" >/dev/null 2>&1 || exit 1

TOKEN="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
PW1="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
PW2="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
SALT=s$RANDOM
printf '%s\n' "$TOKEN" >"$IT_TMP/token"
{
    echo "# metrics-ai users"
    echo "alice:$PW1"
    echo "bob:sha256:$SALT:$(printf %s "$SALT$PW2" | sha256sum | cut -c1-64)"
} >"$IT_TMP/users"
chmod 600 "$IT_TMP/token" "$IT_TMP/users" "$IT_TMP/key.pem"

start_proc metrics-ai "$IT_MAI" --listen "127.0.0.1:$MAI_PORT" --interval 1 -vvv \
    --tls-cert "$IT_TMP/cert.pem" --tls-key "$IT_TMP/key.pem" \
    --auth-bearer-token-file "$IT_TMP/token" --auth-basic-users-file "$IT_TMP/users" --auth-metrics \
    --request-timeout 3
MAI_PID=$BG_PID
CURL=(curl -sS --max-time 5 --cacert "$IT_TMP/cert.pem")
AUTH=(-H "Authorization: Bearer $TOKEN")
ready() { "${CURL[@]}" -fo /dev/null "$MAI/-/ready" 2>/dev/null; }
wait_until 10 ready || { show_log metrics-ai; exit 1; }
log "metrics-ai serving HTTPS on :$MAI_PORT after $(elapsed)s"

# code METHOD PATH [curl args...]: the HTTP status, with headers saved in $IT_TMP/hdr.
code() {
    local m=$1 p=$2
    shift 2
    "${CURL[@]}" -X "$m" -D "$IT_TMP/hdr" -o "$IT_TMP/body" -w '%{http_code}' "$@" "$MAI$p"
}

check_eq "GET /-/healthy without credentials: 200" "$(code GET /-/healthy)" 200
check_eq "GET /-/ready without credentials: 200" "$(code GET /-/ready)" 200
for ep in "GET /metrics" "GET /" "POST /api/v1/write" "POST /api/v1/read" "GET /api/v1/store?metric=up" \
          "POST /api/v1/admin/retrain?disk=all"; do
    # shellcheck disable=SC2086  # "METHOD PATH"
    check_eq "$ep without credentials: 401" "$(code $ep)" 401
done
check "the 401 names both schemes in WWW-Authenticate" \
    'grep -qi "^WWW-Authenticate: Bearer realm=\"metrics-ai\"" "$IT_TMP/hdr" &&
     grep -qi "^WWW-Authenticate: Basic realm=\"metrics-ai\"" "$IT_TMP/hdr"'
check_eq "POST /api/v1/write with a wrong token: 401" \
    "$(code POST /api/v1/write -H "Authorization: Bearer ${TOKEN}x")" 401
check_eq "POST /api/v1/write with a token prefix: 401" \
    "$(code POST /api/v1/write -H "Authorization: Bearer ${TOKEN%?}")" 401
check_eq "POST /api/v1/write with alice's password for bob: 401" \
    "$(code POST /api/v1/write -u "bob:$PW1")" 401
# Authorised requests reach the handlers: an empty write body is a 400 from the decoder; the
# admin endpoint without a list is a 400 from its own check.
check_eq "POST /api/v1/write with the bearer token reaches the handler (400 for an empty body)" \
    "$(code POST /api/v1/write -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/x-protobuf')" 400
check_eq "POST /api/v1/write as alice (plaintext line) reaches the handler" \
    "$(code POST /api/v1/write -u "alice:$PW1" -H 'Content-Type: application/x-protobuf')" 400
check_eq "POST /api/v1/write as bob (salted SHA-256 line) reaches the handler" \
    "$(code POST /api/v1/write -u "bob:$PW2" -H 'Content-Type: application/x-protobuf')" 400
check_eq "GET /api/v1/store with the token: 200" \
    "$(code GET '/api/v1/store?metric=up' -H "Authorization: Bearer $TOKEN")" 200
check_eq "POST /api/v1/admin/retrain with the token reaches the handler (400: no list)" \
    "$(code POST /api/v1/admin/retrain -H "Authorization: Bearer $TOKEN")" 400
check "plain HTTP to the HTTPS port gets no HTTP answer" \
    '! curl -sS --max-time 3 -o /dev/null "http://127.0.0.1:$MAI_PORT/-/healthy" 2>/dev/null'
check "a client trusting another CA refuses the certificate" \
    '! curl -sS --max-time 3 --cacert "$IT_TMP/other.pem" -o /dev/null "$MAI/-/healthy" 2>"$IT_TMP/wrongca.err"'
check "over TLS, a client trickling its headers is closed after --request-timeout 3 s" \
    'python3 - "$MAI_PORT" "$IT_TMP/cert.pem" >"$IT_TMP/trickle.out" 2>&1 <<PY
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5),
                    server_hostname="127.0.0.1")
t0 = time.time()
s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n")
for i in range(40):                         # 8 s at most
    time.sleep(0.2)
    try:
        s.sendall(b"X-%d: a\r\n" % i)
        s.settimeout(0.01)
        try:
            if s.recv(4096) == b"":
                break
        except (socket.timeout, ssl.SSLWantReadError):
            pass
        s.settimeout(5)
    except OSError:
        break
took = time.time() - t0
print("closed after %.1f s" % took)
sys.exit(not 2.9 <= took <= 4.5)
PY' || sed "s/^/  | /" "$IT_TMP/trickle.out"

# Real Prometheus over HTTPS with the bearer token from a file.
start_proc node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT"
NODE_PID=$BG_PID
cat >"$IT_TMP/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$NODE_PORT']}]
  - job_name: metrics-ai
    scheme: https
    authorization: {credentials_file: $IT_TMP/token}
    tls_config: {ca_file: $IT_TMP/cert.pem}
    static_configs: [{targets: ['127.0.0.1:$MAI_PORT']}]
remote_write:
  - url: $MAI/api/v1/write
    authorization: {credentials_file: $IT_TMP/token}
    tls_config: {ca_file: $IT_TMP/cert.pem}
    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}
  - url: $MAI/api/v1/write
    name: basic
    basic_auth: {username: bob, password_file: $IT_TMP/bob.pw}
    tls_config: {ca_file: $IT_TMP/cert.pem}
    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}
EOF
printf '%s' "$PW2" >"$IT_TMP/bob.pw"
wait_http "http://127.0.0.1:$NODE_PORT/metrics" "$NODE_PID" 10 || { show_log node-exporter; exit 1; }
bad_before=$("${CURL[@]}" "${AUTH[@]}" -f "$MAI/metrics" |
      awk '/^metrics_ai_remote_write_requests_total\{.*code="[45]/ { s += $2 } END { printf "%.0f\n", s }')
start_proc prometheus prometheus --config.file="$IT_TMP/prometheus.yml" \
    --storage.tsdb.path="$IT_TMP/prom" --web.listen-address="127.0.0.1:$PROM_PORT" \
    --storage.remote.flush-deadline=5s
PROM_PID=$BG_PID
wait_http "$PROM/-/ready" "$PROM_PID" 15 || { show_log prometheus; exit 1; }
metric() { "${CURL[@]}" "${AUTH[@]}" -f "$MAI/metrics" 2>/dev/null | awk -v k="$1" '$1 == k { printf "%.0f\n", $2 }'; }
arrived() { num_gt "$(metric metrics_ai_samples_accepted_total)" 1000; }
wait_until 30 arrived
check "Prometheus remote-writes over HTTPS (token and basic queues): > 1000 samples accepted (got $(metric metrics_ai_samples_accepted_total))" \
    'arrived'
scraped() { [ "$(prom_value "$PROM" 'up{job="metrics-ai"}')" = 1 ]; }
wait_until 10 scraped
check 'Prometheus scrapes /metrics over HTTPS with the token (--auth-metrics): up{job="metrics-ai"} == 1' scraped
curl -fsS --max-time 5 "$PROM/metrics" >"$IT_TMP/prom-metrics.txt" 2>/dev/null
psum() { awk -v n="$1" '/^#/ { next } { m = $1; sub(/\{.*/, "", m); if (m == n) { s += $2; f = 1 } }
                        END { if (f) printf "%.0f\n", s }' "$IT_TMP/prom-metrics.txt"; }
p_total=$(psum prometheus_remote_storage_samples_total)
p_failed=$(psum prometheus_remote_storage_samples_failed_total)
check "Prometheus counted samples sent over HTTPS by both queues ($p_total) and none failed ($p_failed)" \
    'num_gt "$p_total" 0 && [ "$p_failed" = 0 ]'
p_basic=$(awk '/^prometheus_remote_storage_samples_total\{.*remote_name="basic"/ { printf "%.0f\n", $2 }' "$IT_TMP/prom-metrics.txt")
check "the basic_auth queue sent samples too ($p_basic)" 'num_gt "$p_basic" 0'
stop_proc "$PROM_PID" 15
accepted=$(metric metrics_ai_samples_accepted_total)
bad=$("${CURL[@]}" "${AUTH[@]}" -f "$MAI/metrics" |
      awk '/^metrics_ai_remote_write_requests_total\{.*code="[45]/ { s += $2 } END { printf "%.0f\n", s }')
check "after Prometheus' flush metrics-ai accepted ($accepted, the second queue's as duplicates) >= Prometheus sent ($p_total)" \
    'num_ge "$accepted" "$p_total"'
check_eq "no 4xx/5xx remote write answers to Prometheus (all $bad are curl's own above)" "$bad" "$bad_before"

# Without credentials: admin closed (403) unless --admin-open; write and read stay open.
start_proc mai-open "$IT_MAI" --listen "127.0.0.1:$OPEN_PORT" --interval 1
OPEN_PID=$BG_PID
wait_http "http://127.0.0.1:$OPEN_PORT/-/ready" "$OPEN_PID" 10 || { show_log mai-open; exit 1; }
st=$(curl -sS --max-time 5 -o "$IT_TMP/body" -w '%{http_code}' -X POST \
     "http://127.0.0.1:$OPEN_PORT/api/v1/admin/retrain?disk=all")
check "no credentials configured: the admin endpoint answers 403 naming --admin-open (got $st)" \
    '[ "$st" = 403 ] && grep -q -- "--admin-open" "$IT_TMP/body"'
stop_proc "$OPEN_PID"
start_proc mai-admin-open "$IT_MAI" --listen "127.0.0.1:$OPEN_PORT" --interval 1 --admin-open
OPEN_PID=$BG_PID
wait_http "http://127.0.0.1:$OPEN_PORT/-/ready" "$OPEN_PID" 10 || { show_log mai-admin-open; exit 1; }
st=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST \
     "http://127.0.0.1:$OPEN_PORT/api/v1/admin/retrain?disk=all")
check_eq "with --admin-open the admin endpoint serves (200 or 202)" "$( [ "$st" = 200 ] || [ "$st" = 202 ] && echo served || echo "$st")" served
stop_proc "$OPEN_PID"

# Bad certificate files: one line, naming the flag and file; the process exits non-zero.
bad_start() {
    (cd "$IT_TMP" && timeout 20 "$IT_MAI" --listen "127.0.0.1:$OPEN_PORT" --interval 1 "$@" \
        >"$IT_TMP/bad.out" 2>&1)
    echo $?
}
echo "not a certificate" >"$IT_TMP/garbage.pem"
check_eq "--tls-cert on a missing file exits 1" "$(bad_start --tls-cert "$IT_TMP/none.pem" --tls-key "$IT_TMP/key.pem")" 1
check "... with one line naming --tls-cert and the file" \
    'grep -q "^metrics-ai: --tls-cert $IT_TMP/none.pem: cannot read: No such file or directory$" "$IT_TMP/bad.out"'
check_eq "--tls-cert on a file without a PEM certificate exits 1" "$(bad_start --tls-cert "$IT_TMP/garbage.pem" --tls-key "$IT_TMP/key.pem")" 1
check "... with one line saying it is not a PEM certificate" \
    'grep -q "^metrics-ai: --tls-cert .*: not a PEM certificate" "$IT_TMP/bad.out"'
check_eq "a key that does not match the certificate exits 1" "$(bad_start --tls-cert "$IT_TMP/cert.pem" --tls-key "$IT_TMP/other-key.pem")" 1
check "... with GnuTLS' reason on one line" \
    'grep -q "^metrics-ai: cannot start HTTPS.*do not match" "$IT_TMP/bad.out"'

# No secret in any log: the token, both passwords, in metrics-ai's (-vvv) and Prometheus' logs.
stop_proc "$MAI_PID"
lines=$(wc -l <"$IT_TMP/metrics-ai.log")
check "metrics-ai logged the refusals (-vvv: $lines lines) ..." 'grep -q "refused with 401" "$IT_TMP/metrics-ai.log"'
check "... and no secret: token, passwords and salted digest appear in no log" \
    '! grep -F -e "$TOKEN" -e "$PW1" -e "$PW2" -e "$(printf %s "$SALT$PW2" | sha256sum | cut -c1-64)" "$IT_TMP"/*.log'

echo "  summary: HTTPS + bearer/basic auth; Prometheus remote-wrote $accepted accepted samples over TLS"
finish test_security
