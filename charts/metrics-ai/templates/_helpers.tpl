{{/* SPDX-License-Identifier: Apache-2.0 */}}
{{/* Names, labels, the catalogue's recording rules and the pod template shared by the workloads. */}}

{{- define "metrics-ai.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "metrics-ai.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "metrics-ai.selectorLabels" -}}
app.kubernetes.io/name: {{ include "metrics-ai.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "metrics-ai.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "metrics-ai.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "metrics-ai.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "metrics-ai.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "metrics-ai.headlessName" -}}
{{- printf "%s-headless" (include "metrics-ai.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The recording rules: the override given with --set-file, else the built-in catalogue's file. */}}
{{- define "metrics-ai.recordingRules" -}}
{{- $src := .Values.signalCatalogue.recordingRules | default (.Files.Get "files/recording-rules.yml") }}
{{- $doc := fromYaml $src }}
{{- if or (not $doc) (hasKey $doc "Error") (not $doc.groups) }}
{{- fail "signalCatalogue.recordingRules: not a rule file with groups (give the output of metrics-ai rules)" }}
{{- end }}
{{- toYaml $doc }}
{{- end }}

{{/* The recorded series names, '|'-joined, plus remoteWrite.extraMetrics: what remote_write keeps. */}}
{{- define "metrics-ai.keepRegex" -}}
{{- $doc := include "metrics-ai.recordingRules" . | fromYaml }}
{{- $names := list }}
{{- range $doc.groups }}{{ range .rules }}{{ if .record }}{{ $names = append $names .record }}{{ end }}{{ end }}{{ end }}
{{- range .Values.remoteWrite.extraMetrics }}{{ $names = append $names . }}{{ end }}
{{- join "|" $names }}
{{- end }}

{{- define "metrics-ai.alertJob" -}}
{{- .Values.prometheusRule.alerts.job | default (include "metrics-ai.fullname" .) }}
{{- end }}

{{- define "metrics-ai.podTemplate" -}}
metadata:
  labels:
    {{- include "metrics-ai.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "metrics-ai.serviceAccountName" . }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: metrics-ai
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --listen=:{{ int64 .Values.config.port }}
        - --interval={{ int64 .Values.config.interval }}
        - --threads={{ int64 .Values.config.threads }}
        - --max-series={{ int64 .Values.config.maxSeries }}
        - --max-models={{ int64 .Values.config.maxModels }}
        - --anomaly-threshold={{ .Values.config.anomalyThreshold }}
        - --snapshot-interval={{ int64 .Values.config.snapshotInterval }}
        {{- with .Values.config.lstmMetrics }}
        - --lstm-metrics={{ . }}
        {{- end }}
        {{- with .Values.config.horizons }}
        - --horizons={{ . }}
        {{- end }}
        {{- with .Values.config.backfillSelectors }}
        - --backfill-selectors={{ . }}
        {{- end }}
        {{- if .Values.signalCatalogue.override }}
        - --signals=/etc/metrics-ai/signals.txt
        {{- end }}
        {{- if .Values.auth.bearerTokenSecret.name }}
        - --auth-bearer-token-file=/etc/metrics-ai-auth/token
        {{- end }}
        {{- if .Values.auth.basicUsersSecret.name }}
        - --auth-basic-users-file=/etc/metrics-ai-auth/users
        {{- end }}
        {{- if .Values.auth.metrics }}
        - --auth-metrics
        {{- end }}
        {{- if .Values.tls.secretName }}
        - --tls-cert=/etc/metrics-ai-tls/tls.crt
        - --tls-key=/etc/metrics-ai-tls/tls.key
        {{- end }}
        {{- if .Values.config.quiet }}
        - --quiet
        {{- end }}
        {{- range $i, $w := .Values.alertSinks.webhooks }}
        {{- if $w.url }}
        - --alert-webhook={{ $w.url }}
        {{- else }}
        - --alert-webhook=$(ALERT_WEBHOOK_URL_{{ $i }})
        {{- end }}
        {{- end }}
        {{- with .Values.alertSinks.pushgateway }}
        - --pushgateway={{ . }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      env:
        - name: MODEL_FILES_DIR
          value: {{ printf "%s/model_files" .Values.persistence.mountPath | quote }}
        - name: FORECAST_PLOTS_DIR
          value: {{ printf "%s/forecast_plots" .Values.persistence.mountPath | quote }}
        {{- range $k, $v := .Values.env }}
        {{- if ne (toString $v) "" }}
        - name: {{ $k }}
          value: {{ toString $v | quote }}
        {{- end }}
        {{- end }}
        {{- range $i, $w := .Values.alertSinks.webhooks }}
        {{- if not $w.url }}
        - name: ALERT_WEBHOOK_URL_{{ $i }}
          valueFrom:
            secretKeyRef:
              name: {{ $w.secretKeyRef.name }}
              key: {{ $w.secretKeyRef.key }}
        {{- end }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      workingDir: {{ .Values.persistence.mountPath }}
      ports:
        - name: http
          containerPort: {{ int64 .Values.config.port }}
          protocol: TCP
      startupProbe:
        httpGet: {path: /-/healthy, port: http, scheme: {{ if .Values.tls.secretName }}HTTPS{{ else }}HTTP{{ end }}}
        periodSeconds: 10
        failureThreshold: {{ .Values.startupProbe.failureThreshold }}
      livenessProbe:
        httpGet: {path: /-/healthy, port: http, scheme: {{ if .Values.tls.secretName }}HTTPS{{ else }}HTTP{{ end }}}
        periodSeconds: 20
        failureThreshold: 3
      readinessProbe:
        httpGet: {path: /-/ready, port: http, scheme: {{ if .Values.tls.secretName }}HTTPS{{ else }}HTTP{{ end }}}
        periodSeconds: 10
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: data
          mountPath: {{ .Values.persistence.mountPath }}
        - name: tmp
          mountPath: /tmp
        {{- if .Values.signalCatalogue.override }}
        - name: signals
          mountPath: /etc/metrics-ai
          readOnly: true
        {{- end }}
        {{- if or .Values.auth.bearerTokenSecret.name .Values.auth.basicUsersSecret.name }}
        - name: auth
          mountPath: /etc/metrics-ai-auth
          readOnly: true
        {{- end }}
        {{- if .Values.tls.secretName }}
        - name: tls
          mountPath: /etc/metrics-ai-tls
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- if .Values.signalCatalogue.override }}
    - name: signals
      configMap:
        name: {{ include "metrics-ai.fullname" . }}-signals
    {{- end }}
    {{- if or .Values.auth.bearerTokenSecret.name .Values.auth.basicUsersSecret.name }}
    - name: auth
      projected:
        sources:
          {{- with .Values.auth.bearerTokenSecret }}
          {{- if .name }}
          - secret:
              name: {{ .name }}
              items: [{key: {{ .key | quote }}, path: token}]
          {{- end }}
          {{- end }}
          {{- with .Values.auth.basicUsersSecret }}
          {{- if .name }}
          - secret:
              name: {{ .name }}
              items: [{key: {{ .key | quote }}, path: users}]
          {{- end }}
          {{- end }}
    {{- end }}
    {{- if .Values.tls.secretName }}
    - name: tls
      secret:
        secretName: {{ .Values.tls.secretName }}
    {{- end }}
    {{- if not .Values.persistence.enabled }}
    - name: data
      emptyDir: {}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
