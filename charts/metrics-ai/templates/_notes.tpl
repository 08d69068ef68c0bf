{{/* SPDX-License-Identifier: Apache-2.0 */}}
{{/* The text NOTES.txt prints after install: the remote_write / remote_read blocks to paste. */}}
{{- define "metrics-ai.notes" -}}
{{- $full := include "metrics-ai.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $port := int64 .Values.service.port }}
{{- $n := int .Values.replicas }}
{{- $keep := include "metrics-ai.keepRegex" . }}
metrics-ai {{ .Chart.AppVersion }} is installed as {{ $full }} in namespace {{ $ns }} ({{ if .Values.persistence.enabled }}StatefulSet, snapshots on a PersistentVolumeClaim{{ else }}Deployment, snapshots on an emptyDir{{ end }}, {{ $n }} replica{{ if gt $n 1 }}s{{ end }}).

1. Add to prometheus.yml (Prometheus Operator: the same fields, camelCase, in the Prometheus
   resource's spec.remoteWrite / spec.remoteRead):

remote_write:
{{- if eq $n 1 }}
  - url: http://{{ $full }}.{{ $ns }}.svc:{{ $port }}/api/v1/write
    queue_config:
      max_samples_per_send: 2000
    metadata_config:
      send: true
    write_relabel_configs:
      - source_labels: [__name__]
        regex: '{{ $keep }}'
        action: keep
{{- else }}
{{- range $i, $_ := until $n }}
  - url: http://{{ $full }}-{{ $i }}.{{ include "metrics-ai.headlessName" $ }}.{{ $ns }}.svc:{{ $port }}/api/v1/write
    name: metrics-ai-shard-{{ $i }}
    queue_config:
      max_samples_per_send: 2000
    metadata_config:
      send: true
    write_relabel_configs:
      - source_labels: [__name__]
        regex: '{{ $keep }}'
        action: keep
      - source_labels: [{{ join ", " $.Values.remoteWrite.shardBy }}]
        modulus: {{ $n }}
        target_label: __tmp_metrics_ai_shard
        action: hashmod
      - source_labels: [__tmp_metrics_ai_shard]
        regex: '{{ $i }}'
        action: keep
{{- end }}
{{- end }}

remote_read:
{{- if eq $n 1 }}
  - name: metrics-ai-forecasts
    url: http://{{ $full }}.{{ $ns }}.svc:{{ $port }}/api/v1/read
    read_recent: true
    required_matchers:
      __name__: metrics_ai_forecast_curve
{{- else }}
{{- range $i, $_ := until $n }}
  - name: metrics-ai-forecasts-shard-{{ $i }}
    url: http://{{ $full }}-{{ $i }}.{{ include "metrics-ai.headlessName" $ }}.{{ $ns }}.svc:{{ $port }}/api/v1/read
    read_recent: true
    required_matchers:
      __name__: metrics_ai_forecast_curve
{{- end }}
{{- end }}

{{- if not .Values.serviceMonitor.enabled }}

scrape_configs:
  - job_name: {{ include "metrics-ai.alertJob" . }}
    honor_labels: true
    static_configs:
      - targets: [{{ if eq $n 1 }}"{{ $full }}.{{ $ns }}.svc:{{ $port }}"{{ else }}{{ range $i, $_ := until $n }}{{ if $i }}, {{ end }}"{{ $full }}-{{ $i }}.{{ include "metrics-ai.headlessName" $ }}.{{ $ns }}.svc:{{ $port }}"{{ end }}{{ end }}]
{{- end }}

{{- if gt $n 1 }}

Each replica models its own hashmod shard of the series (hashed on {{ join ", " .Values.remoteWrite.shardBy }}); the
scrape and the remote reads merge them. Node classification compares the nodes each replica
holds: give node_exporter's series the node label kube_pod_info uses and shard on [node] alone to
keep a node's host and pod signals together.
{{- end }}

2. The recording rules of the signal catalogue must run in that Prometheus (the keep regex above
   sends only their results{{ if .Values.remoteWrite.extraMetrics }} and remoteWrite.extraMetrics{{ end }}):
{{- if .Values.prometheusRule.enabled }}
   PrometheusRule {{ $full }} holds them{{ if .Values.prometheusRule.alerts.enabled }} and the alert rules on metrics_ai_*{{ end }}.
{{- else }}
   enable them with --set prometheusRule.enabled=true (Prometheus Operator), or load the output of
   `metrics-ai rules` with rule_files.
{{- end }}

3. Check it:
   kubectl -n {{ $ns }} port-forward svc/{{ $full }} {{ $port }}:{{ $port }}
   curl -s http://127.0.0.1:{{ $port }}/metrics | grep '^metrics_ai_forecast{'
{{- if .Values.dashboard.enabled }}

4. Grafana: the ConfigMap {{ $full }}-dashboard carries the dashboard "metrics-ai: forecasts,
   anomalies, time to full" for the sidecar (labels:{{ range $k, $v := .Values.dashboard.labels }} {{ $k }}={{ $v }}{{ end }}).
{{- end }}
{{- end }}
