#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_chart.sh -- validates charts/metrics-ai offline, with real tools: helm
# v3.17.2 lint --strict and template for several value sets (values.schema.json enforced),
# yamllint on the rendered output, kubernetes-models schemas on every document, promtool check
# rules and test rules (tests/rules/*.yml) on the rendered PrometheusRule, promtool check config
# on the remote_write / remote_read blocks NOTES.txt prints, the dashboard's queries against the
# real binary's /metrics and `metrics-ai rules --list`, and the committed recording rules against
# `metrics-ai rules`. Tools come from .ci/install-chart-tools.sh (make chart-tools).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

TOOLS=${TOOLS_DIR:-$IT_ROOT/.ci/.tools}
HELM=$TOOLS/helm/helm
CHART=$IT_ROOT/charts/metrics-ai
for tool in "$HELM" "$(command -v promtool)" "$(command -v yamllint)" "$(command -v node)"; do
    if [ ! -x "$tool" ]; then
        echo "  missing tool ${tool:-(promtool, yamllint or node)}: run .ci/install-deps.sh (make chart-tools)" >&2
        exit 1
    fi
done
if [ ! -d "$TOOLS/k8sval/node_modules/kubernetes-models" ]; then
    echo "  missing $TOOLS/k8sval: run make chart-tools" >&2
    exit 1
fi
export HELM_CACHE_HOME=$IT_TMP/helm/cache HELM_CONFIG_HOME=$IT_TMP/helm/config HELM_DATA_HOME=$IT_TMP/helm/data
export NODE_PATH=$TOOLS/k8sval/node_modules
# shellcheck disable=SC2034  # read inside check's eval strings
YAMLLINT_CONF='{extends: default, rules: {line-length: disable, document-start: disable, indentation: {indent-sequences: whatever}}}'

# 1. the committed recording rules are what the binary prints now
"$IT_MAI" rules > "$IT_TMP/rules-now.yml"
"$IT_MAI" rules --list > "$IT_TMP/rules-list.txt"
check "files/recording-rules.yml is current (make chart-rules)" \
    'cmp -s "$IT_TMP/rules-now.yml" "$CHART/files/recording-rules.yml"'

# 2. lint
check "helm lint --strict" '"$HELM" lint --strict "$CHART" > "$IT_TMP/lint.txt" 2>&1'

# 3. render value combinations; each must pass yamllint and the Kubernetes schemas
render() { # NAME ARGS...: helm template into $IT_TMP/NAME.yaml
    local name=$1
    shift
    "$HELM" template mai "$CHART" --namespace monitoring --kube-version 1.30.0 "$@" > "$IT_TMP/$name.yaml" 2> "$IT_TMP/$name.err"
}
combos=(
    "defaults|"
    "no-persistence|--set persistence.enabled=false"
    "operator|--set serviceMonitor.enabled=true,prometheusRule.enabled=true,prometheusRule.labels.release=kps"
    "sharded|--set replicas=3,serviceMonitor.enabled=true,prometheusRule.enabled=true"
    "secure|--set auth.bearerTokenSecret.name=mai-token,auth.basicUsersSecret.name=mai-users,auth.metrics=true,tls.secretName=mai-tls"
    "sinks|--set alertSinks.webhooks[0].url=https://hooks.example/x,alertSinks.webhooks[1].secretKeyRef.name=slack,alertSinks.webhooks[1].secretKeyRef.key=url,alertSinks.pushgateway=http://pg:9091,env.VM_URL=http://vm:8428"
)
for c in "${combos[@]}"; do
    name=${c%%|*}
    # shellcheck disable=SC2086  # the value flags are split on purpose
    if render "$name" ${c#*|}; then
        check "$name: helm template" true
        check "$name: yamllint" 'yamllint -d "$YAMLLINT_CONF" "$IT_TMP/$name.yaml" > "$IT_TMP/$name.lint" 2>&1 || { cat "$IT_TMP/$name.lint"; false; }'
        check "$name: kubernetes-models schemas" 'node "$IT_DIR/k8s_validate.js" "$IT_TMP/$name.yaml" > "$IT_TMP/$name.k8s" 2>&1 || { cat "$IT_TMP/$name.k8s"; false; }'
    else
        check "$name: helm template" false
        cat "$IT_TMP/$name.err"
    fi
done
check "persistence on: StatefulSet with a volumeClaimTemplate" \
    'grep -q "^kind: StatefulSet" "$IT_TMP/defaults.yaml" && grep -q "volumeClaimTemplates:" "$IT_TMP/defaults.yaml"'
check "persistence off: Deployment on emptyDir" \
    'grep -q "^kind: Deployment" "$IT_TMP/no-persistence.yaml" && ! grep -q "^kind: StatefulSet" "$IT_TMP/no-persistence.yaml"'
check "operator: ServiceMonitor and PrometheusRule rendered" \
    'grep -q "^kind: ServiceMonitor" "$IT_TMP/operator.yaml" && grep -q "^kind: PrometheusRule" "$IT_TMP/operator.yaml"'
check "sinks: flags and the secret-backed webhook" \
    'grep -q -- "--alert-webhook=\$(ALERT_WEBHOOK_URL_1)" "$IT_TMP/sinks.yaml" && grep -q -- "--pushgateway=http://pg:9091" "$IT_TMP/sinks.yaml" && grep -q "name: ALERT_WEBHOOK_URL_1" "$IT_TMP/sinks.yaml"'

# 4. bad values are refused
check "schema refuses service.port=70000" '! render bad1 --set service.port=70000 && grep -q "less than or equal to 65535" "$IT_TMP/bad1.err"'
check "replicas=2 without persistence is refused" '! render bad2 --set replicas=2,persistence.enabled=false && grep -q "needs persistence.enabled" "$IT_TMP/bad2.err"'
check "a broken recording rules override is refused" '! render bad3 --set signalCatalogue.recordingRules=nonsense'

# 5. rules: promtool check rules on the rendered groups, then the unit tests of every alert
render rules --set prometheusRule.enabled=true,prometheusRule.alerts.job=metrics-ai --show-only templates/prometheusrule.yaml
mkdir -p "$IT_TMP/rules"
extract_groups() { # RENDERED OUT: the PrometheusRule's spec.groups as a Prometheus rule file
    python3 -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
yaml.safe_dump({"groups": d["spec"]["groups"]}, open(sys.argv[2], "w"), sort_keys=False, width=10000)' "$1" "$2"
}
extract_groups "$IT_TMP/rules.yaml" "$IT_TMP/rules/metrics-ai-rules.yml"
check "promtool check rules on the PrometheusRule" \
    'promtool check rules "$IT_TMP/rules/metrics-ai-rules.yml" > "$IT_TMP/check-rules.txt" 2>&1 || { cat "$IT_TMP/check-rules.txt"; false; }'
nalerts=$(grep -c '^ *- alert: ' "$IT_TMP/rules/metrics-ai-rules.yml")
cp "$IT_ROOT"/tests/rules/*.yml "$IT_TMP/rules/"
tested=$(cat "$IT_ROOT"/tests/rules/*.yml | grep -o 'alertname: [A-Za-z]*' | sort -u | wc -l)
check "every alert rule ($nalerts) has promtool tests ($tested alert names tested)" '[ "$nalerts" -gt 0 ] && [ "$tested" -eq "$nalerts" ]'
for a in $(grep -o 'alert: [A-Za-z]*' "$IT_TMP/rules/metrics-ai-rules.yml" | cut -d' ' -f2); do
    # shellcheck disable=SC2034  # read inside check's eval string
    fires=$(python3 -c 'import sys, yaml
n = 0
for f in sys.argv[2:]:
    for t in yaml.safe_load(open(f))["tests"]:
        for a in t.get("alert_rule_test", []):
            if a["alertname"] == sys.argv[1]:
                n += 1 if a.get("exp_alerts") else 1000
print(n)' "$a" "$IT_ROOT"/tests/rules/*.yml)
    # fires >= 1001: at least one case where it fires and one where it does not
    check "$a: a case that fires and one that does not" '[ "$fires" -gt 1000 ] && [ $((fires % 1000)) -ge 1 ]'
done
for t in "$IT_ROOT"/tests/rules/*.yml; do
    check "promtool test rules $(basename "$t")" \
        'promtool test rules "$IT_TMP/rules/$(basename "$t")" > "$IT_TMP/test-rules.txt" 2>&1 || { cat "$IT_TMP/test-rules.txt"; false; }'
done
# the tests must be able to fail: a critical level of 2 days leaves the 2-day disk unalerted
render rules-off --set prometheusRule.enabled=true,prometheusRule.alerts.job=metrics-ai,prometheusRule.alerts.diskCriticalDays=2 --show-only templates/prometheusrule.yaml
mkdir -p "$IT_TMP/rules-off"
extract_groups "$IT_TMP/rules-off.yaml" "$IT_TMP/rules-off/metrics-ai-rules.yml"
cp "$IT_ROOT"/tests/rules/*.yml "$IT_TMP/rules-off/"
check "the rule tests fail on changed thresholds" '! promtool test rules "$IT_TMP/rules-off/alerts_test.yml" > /dev/null 2>&1'

# 6. NOTES.txt: the printed remote_write / remote_read / scrape blocks pass promtool check config
notes() { # NAME ARGS...: the rendered NOTES text into $IT_TMP/NAME.notes
    local name=$1
    shift
    rm -rf "$IT_TMP/notes-chart" && cp -r "$CHART" "$IT_TMP/notes-chart"
    printf 'kind: RenderedNotes\ntext: |\n  {{- include "metrics-ai.notes" . | nindent 2 }}\n' > "$IT_TMP/notes-chart/templates/zz-notes.yaml"
    "$HELM" template mai "$IT_TMP/notes-chart" --namespace monitoring "$@" --show-only templates/zz-notes.yaml |
        python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["text"])' > "$IT_TMP/$name.notes"
}
notes_config() { # NOTES OUT: the top-level YAML blocks of the notes as a prometheus.yml
    awk '/^(remote_write|remote_read|scrape_configs):/ { on = 1 } on && /^[^ ]/ && !/^(remote_write|remote_read|scrape_configs):/ { on = 0 } on' "$1" > "$2"
}
for n in 1 3; do
    notes "notes$n" --set replicas=$n
    notes_config "$IT_TMP/notes$n.notes" "$IT_TMP/prom$n.yml"
    check "NOTES (replicas=$n): promtool check config on the printed blocks" \
        'promtool check config "$IT_TMP/prom$n.yml" > "$IT_TMP/prom$n.txt" 2>&1 || { cat "$IT_TMP/prom$n.yml" "$IT_TMP/prom$n.txt"; false; }'
    check "NOTES (replicas=$n): $n remote_write and $n remote_read blocks, read_recent and the curve matcher" \
        'python3 -c "import sys, yaml
c = yaml.safe_load(open(sys.argv[1])); n = int(sys.argv[2])
rw, rr = c[\"remote_write\"], c[\"remote_read\"]
assert len(rw) == n and len(rr) == n, (len(rw), len(rr))
assert all(r[\"read_recent\"] is True and r[\"required_matchers\"] == {\"__name__\": \"metrics_ai_forecast_curve\"} for r in rr)
keep = set(rw[0][\"write_relabel_configs\"][0][\"regex\"].split(\"|\"))
rec = {l.split()[-1] for l in open(sys.argv[3]).read().splitlines()[1:] if l.strip()}
assert keep == rec, keep ^ rec
if n > 1:
    mods = [w[\"write_relabel_configs\"][1] for w in rw]
    assert all(m[\"action\"] == \"hashmod\" and m[\"modulus\"] == n for m in mods)
    assert [w[\"write_relabel_configs\"][2][\"regex\"] for w in rw] == [str(i) for i in range(n)]
" "$IT_TMP/prom$n.yml" $n "$IT_TMP/rules-list.txt"'
done

# signal catalogue override: rules from `metrics-ai rules --signals` replace the built-in ones,
# in the PrometheusRule and in the keep regex NOTES prints
printf 'OOM_KILLS off\n' > "$IT_TMP/override.txt"
"$IT_MAI" rules --signals "$IT_TMP/override.txt" > "$IT_TMP/override-rules.yml"
render override --set prometheusRule.enabled=true,prometheusRule.alerts.enabled=false --show-only templates/prometheusrule.yaml --set-file signalCatalogue.recordingRules="$IT_TMP/override-rules.yml"
notes override --set-file signalCatalogue.recordingRules="$IT_TMP/override-rules.yml"
check "auth and TLS: the Secrets are mounted and passed with their flags, probes over HTTPS" \
    'python3 -c "import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
pod = [d for d in docs if d[\"kind\"] in (\"StatefulSet\", \"Deployment\")][0][\"spec\"][\"template\"][\"spec\"]
c = pod[\"containers\"][0]
for a in (\"--auth-bearer-token-file=/etc/metrics-ai-auth/token\", \"--auth-basic-users-file=/etc/metrics-ai-auth/users\",
          \"--auth-metrics\", \"--tls-cert=/etc/metrics-ai-tls/tls.crt\", \"--tls-key=/etc/metrics-ai-tls/tls.key\"):
    assert a in c[\"args\"], (a, c[\"args\"])
vols = {v[\"name\"]: v for v in pod[\"volumes\"]}
names = [s[\"secret\"][\"name\"] for s in vols[\"auth\"][\"projected\"][\"sources\"]]
assert names == [\"mai-token\", \"mai-users\"], names
assert vols[\"tls\"][\"secret\"][\"secretName\"] == \"mai-tls\"
assert c[\"readinessProbe\"][\"httpGet\"][\"scheme\"] == \"HTTPS\"
" "$IT_TMP/secure.yaml"'
render override-svc --set-file signalCatalogue.override="$IT_TMP/override.txt"
check "catalogue override: the file is a ConfigMap, mounted and passed to the service with --signals" \
    'python3 -c "import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
cm = [d for d in docs if d[\"kind\"] == \"ConfigMap\" and d[\"metadata\"][\"name\"].endswith(\"-signals\")]
assert cm and cm[0][\"data\"][\"signals.txt\"].strip() == \"OOM_KILLS off\", cm
pod = [d for d in docs if d[\"kind\"] in (\"StatefulSet\", \"Deployment\")][0][\"spec\"][\"template\"][\"spec\"]
c = pod[\"containers\"][0]
assert \"--signals=/etc/metrics-ai/signals.txt\" in c[\"args\"], c[\"args\"]
assert any(m[\"mountPath\"] == \"/etc/metrics-ai\" for m in c[\"volumeMounts\"])
assert any(v.get(\"configMap\", {}).get(\"name\") == cm[0][\"metadata\"][\"name\"] for v in pod[\"volumes\"])
" "$IT_TMP/override-svc.yaml"'
check "catalogue override: 13 recording rules, OOM_KILLS neither recorded nor kept" \
    '[ "$(grep -c "record: " "$IT_TMP/override.yaml")" -eq 13 ] && ! grep -q oom_kills "$IT_TMP/override.yaml" && grep -q "regex: .*host_cpu" "$IT_TMP/override.notes" && ! grep -q oom_kills "$IT_TMP/override.notes"'

# 7. the dashboard: JSON, and only series metrics-ai exports or the catalogue records
port=$(free_port)
start_proc mai env MODEL_FILES_DIR="$IT_TMP/models" FORECAST_PLOTS_DIR="$IT_TMP/plots" "$IT_MAI" --listen "127.0.0.1:$port" -q
wait_http "http://127.0.0.1:$port/-/ready" "$BG_PID" 15 && snapshot "http://127.0.0.1:$port/metrics" "$IT_TMP/metrics.txt"
stop_proc "$BG_PID"
check "dashboard JSON parses and names only exported or recorded series" \
    'python3 "$IT_DIR/dashboard_check.py" "$CHART/files/dashboard.json" "$IT_TMP/metrics.txt" "$IT_TMP/rules-list.txt" "$IT_ROOT/README.md" "$IT_TMP/dashboard-queries.yml"'
check "dashboard queries are valid PromQL (promtool check rules)" \
    'promtool check rules "$IT_TMP/dashboard-queries.yml" > "$IT_TMP/dq.txt" 2>&1 || { cat "$IT_TMP/dq.txt"; false; }'
check "dashboard ConfigMap carries the sidecar label and the same JSON" \
    'python3 -c "import sys, yaml, json
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d[\"kind\"] == \"ConfigMap\"]
assert docs[0][\"metadata\"][\"labels\"][\"grafana_dashboard\"] == \"1\"
assert json.loads(docs[0][\"data\"][\"metrics-ai.json\"]) == json.load(open(sys.argv[2]))
" "$IT_TMP/defaults.yaml" "$CHART/files/dashboard.json"'

finish "chart validation"
