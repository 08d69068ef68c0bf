/* SPDX-License-Identifier: Apache-2.0
 * exporter/alert_payload.c -- the seed's webhook payload and alert counts (see alert_payload.h).
 * Floats are written as raw JSON numbers so that whole values keep their ".0" (9999.0), as the
 * seed's Python json.dumps shows them; disk rows come from report_disk_rows(), the same rows as
 * disk_full_prediction.csv. Samples are ordered most urgent first: disks and crises by days to
 * the threshold, anomalies by score, nodes by score. */
#include "exporter/alert_payload.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/report.h"
#include "models/eta.h"

#define CRISIS_SECONDS (30 * 86400.0)   /* the seed's 30-day look-ahead */
#define CRITICAL_SCORE 0.99             /* anomaly samples at or above: CRITICAL */
#define DAY_DECIMALS 2
#define VALUE_DECIMALS 6
#define SHARE_DECIMALS 4

static const char *const feature[4] = {"host_cpu", "host_mem", "pod_cpu", "pod_mem"};

static int is_io_net(const result_row *row)
{
    return row->layer && (strcmp(row->layer, "io") == 0 || strcmp(row->layer, "net") == 0);
}

static int is_golden(const result_row *row)
{
    return row->layer && strcmp(row->layer, "golden") == 0;
}

static int is_crisis(const result_row *row)
{
    return is_io_net(row) && row->has_eta && row->eta[0] <= CRISIS_SECONDS;
}

void alert_counts_of(const results *r, alert_counts *out)
{
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    out->disk_critical = r->disk_critical;
    out->disk_warning = r->disk_warning;
    out->disk_soon = r->disk_soon;
    out->disk_total = r->disk_critical + r->disk_warning + r->disk_soon;
    out->io_network_crisis = r->io_network_crisis;
    out->io_network_anomaly = r->io_network_anomaly;
    out->golden_anomaly = r->golden_anomaly;
    for (size_t i = 0; i < r->nnodes; i++) {
        out->classification_anomaly += r->nodes[i].flagged != 0;
        out->host_pressure += r->nodes[i].host_pressure != 0;
    }
}

int alert_actionable(const alert_counts *c)
{
    return c->disk_total || c->io_network_crisis || c->io_network_anomaly || c->golden_anomaly ||
           c->classification_anomaly || c->host_pressure;
}

#define ARROW "\xe2\x86\x92"    /* U+2192 RIGHTWARDS ARROW */

size_t alert_summary_text(const alert_counts *c, char *buf, size_t len)
{
    int n = snprintf(buf, len,
                     "Disk " ARROW " %llu critical, %llu warning, %llu soon | I/O+Network Crisis "
                     ARROW " %llu | I/O+Network Anomaly " ARROW " %llu | Golden Signals " ARROW
                     " %llu | Classification Anomalies " ARROW " %llu | Host Pressure " ARROW " %llu",
                     (unsigned long long)c->disk_critical, (unsigned long long)c->disk_warning,
                     (unsigned long long)c->disk_soon, (unsigned long long)c->io_network_crisis,
                     (unsigned long long)c->io_network_anomaly,
                     (unsigned long long)c->golden_anomaly,
                     (unsigned long long)c->classification_anomaly,
                     (unsigned long long)c->host_pressure);
    return n < 0 ? 0 : (size_t)n;
}

void alert_iso_time(const struct timespec *t, char out[32])
{
    struct tm tm;
    time_t s = t->tv_sec;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%06ld", (long)(t->tv_nsec / 1000));
}

void alert_detected_at(const struct timespec *t, char out[32])
{
    struct tm tm;
    time_t s = t->tv_sec;
    gmtime_r(&s, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ---- JSON building: each helper returns 0, or -1 when out of memory ---- */

static int add_float(cJSON *o, const char *name, double v, int decimals)
{
    char b[64];
    if (!isfinite(v))
        return cJSON_AddNullToObject(o, name) ? 0 : -1;
    report_num(b, sizeof b, v, decimals);
    return cJSON_AddRawToObject(o, name, b) ? 0 : -1;
}

static int add_int(cJSON *o, const char *name, uint64_t v)
{
    return cJSON_AddNumberToObject(o, name, (double)v) ? 0 : -1;
}

static int add_str(cJSON *o, const char *name, const char *s)
{
    return cJSON_AddStringToObject(o, name, s ? s : "") ? 0 : -1;
}

/* {"total": total, "samples": []}; *samples gets the array. NULL when out of memory. */
static cJSON *category(cJSON *root, const char *name, uint64_t total, cJSON **samples)
{
    cJSON *o = cJSON_AddObjectToObject(root, name);
    if (!o || add_int(o, "total", total) != 0)
        return NULL;
    *samples = cJSON_AddArrayToObject(o, "samples");
    return *samples ? o : NULL;
}

static cJSON *sample(cJSON *arr)
{
    cJSON *s = cJSON_CreateObject();
    if (s && !cJSON_AddItemToArray(arr, s)) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

static const char *instance_of(const result_row *row)
{
    return row->display ? row->display : report_row_label(row, "instance");
}

static int add_disk(cJSON *root, const results *r, const alert_counts *c)
{
    cJSON *o = cJSON_AddObjectToObject(root, "disk");
    if (!o || add_int(o, "critical", c->disk_critical) || add_int(o, "warning", c->disk_warning) ||
        add_int(o, "soon", c->disk_soon) || add_int(o, "total", c->disk_total))
        return -1;
    cJSON *arr = cJSON_AddArrayToObject(o, "samples");
    if (!arr)
        return -1;
    report_disk *d = NULL;
    size_t n = 0, shown = 0;
    if (report_disk_rows(r, &d, &n) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && shown < ALERT_PAYLOAD_MAX_SAMPLES && rc == 0; i++) {
        if (d[i].level == ETA_OK)
            continue;
        cJSON *s = sample(arr);
        rc = !s || add_str(s, "instance", d[i].instance) ||
             add_str(s, "mountpoint", d[i].mountpoint) ||
             add_float(s, "current_%", d[i].current_pct, DAY_DECIMALS) ||
             add_float(s, "days_to_90pct", d[i].days, DAY_DECIMALS) ||
             add_float(s, "ensemble_eta", d[i].ens, DAY_DECIMALS) ||
             add_float(s, "linear_eta", d[i].lin, DAY_DECIMALS) ||
             add_float(s, "prophet_eta", d[i].pro, DAY_DECIMALS) ||
             add_str(s, "alert", eta_alert_name(d[i].level)) ? -1 : 0;
        shown++;
    }
    free(d);
    return rc;
}

/* Rows of r passing keep, ordered by cmp, at most ALERT_PAYLOAD_MAX_SAMPLES of them. */
static size_t pick_rows(const results *r, int (*keep)(const result_row *),
                        int (*cmp)(const void *, const void *), const result_row ***out)
{
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; r && i < r->nrows; i++)
        n += keep(&r->rows[i]) != 0;
    if (!n)
        return 0;
    const result_row **p = malloc(n * sizeof *p);
    if (!p)
        return (size_t)-1;
    size_t k = 0;
    for (size_t i = 0; i < r->nrows; i++)
        if (keep(&r->rows[i]))
            p[k++] = &r->rows[i];
    qsort(p, n, sizeof *p, cmp);
    *out = p;
    return n < ALERT_PAYLOAD_MAX_SAMPLES ? n : ALERT_PAYLOAD_MAX_SAMPLES;
}

static int by_eta(const void *a, const void *b)
{
    const result_row *x = *(const result_row *const *)a, *y = *(const result_row *const *)b;
    if (x->eta[0] != y->eta[0])
        return x->eta[0] < y->eta[0] ? -1 : 1;
    return strcmp(instance_of(x), instance_of(y));
}

static int by_score(const void *a, const void *b)
{
    const result_row *x = *(const result_row *const *)a, *y = *(const result_row *const *)b;
    if (x->anomaly != y->anomaly)
        return x->anomaly > y->anomaly ? -1 : 1;
    return strcmp(instance_of(x), instance_of(y));
}

static int io_net_anomalous(const result_row *row)
{
    return row->anomalous && is_io_net(row);
}

static int golden_anomalous(const result_row *row)
{
    return row->anomalous && is_golden(row);
}

static int add_crisis(cJSON *root, const results *r, const alert_counts *c)
{
    cJSON *arr;
    if (!category(root, "io_network_crisis", c->io_network_crisis, &arr))
        return -1;
    const result_row **p;
    size_t n = pick_rows(r, is_crisis, by_eta, &p);
    if (n == (size_t)-1)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const result_row *row = p[i];
        double days = eta_days_seed(row->eta[0]);
        cJSON *s = sample(arr);
        rc = !s || add_str(s, "instance", instance_of(row)) || add_str(s, "signal", row->signal) ||
             add_str(s, "device", report_row_label(row, "device")) ||
             add_float(s, "current", row->current, VALUE_DECIMALS) ||
             add_float(s, "threshold", row->threshold, VALUE_DECIMALS) ||
             add_float(s, "days_to_threshold", days, DAY_DECIMALS) ||
             add_float(s, "ensemble_eta", days, DAY_DECIMALS) ||
             add_float(s, "linear_eta", eta_days_seed(row->eta[1]), DAY_DECIMALS) ||
             add_float(s, "prophet_eta", eta_days_seed(row->eta[2]), DAY_DECIMALS) ||
             add_str(s, "severity", eta_alert_name(eta_alert_level(days))) ? -1 : 0;
    }
    free(p);
    return rc;
}

static int add_anomalies(cJSON *root, const char *name, uint64_t total, const results *r,
                         int (*keep)(const result_row *), const char *detected_at)
{
    cJSON *arr;
    if (!category(root, name, total, &arr))
        return -1;
    const result_row **p;
    size_t n = pick_rows(r, keep, by_score, &p);
    if (n == (size_t)-1)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const result_row *row = p[i];
        const char *dev = report_row_label(row, "device");
        const char *mnt = report_row_label(row, "mountpoint");
        cJSON *s = sample(arr);
        rc = !s || add_str(s, "instance", instance_of(row)) ||
             add_str(s, "signal", row->signal ? row->signal : row->metric) ||
             (*dev && add_str(s, "device", dev)) || (*mnt && add_str(s, "mountpoint", mnt)) ||
             add_float(s, "current", row->current, VALUE_DECIMALS) ||
             add_float(s, "anomaly_score", row->anomaly, VALUE_DECIMALS) ||
             add_str(s, "severity", row->anomaly >= CRITICAL_SCORE ? "CRITICAL" : "WARNING") ||
             add_str(s, "detected_at", detected_at) ? -1 : 0;
    }
    free(p);
    return rc;
}

static int node_by_score(const void *a, const void *b)
{
    const result_node *x = *(const result_node *const *)a, *y = *(const result_node *const *)b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(x->node, y->node);
}

/* The nodes with flagged (which = 0) or host_pressure (1) set, by score, capped. */
static size_t pick_nodes(const results *r, int which, const result_node ***out)
{
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; r && i < r->nnodes; i++)
        n += (which ? r->nodes[i].host_pressure : r->nodes[i].flagged) != 0;
    if (!n)
        return 0;
    const result_node **p = malloc(n * sizeof *p);
    if (!p)
        return (size_t)-1;
    size_t k = 0;
    for (size_t i = 0; i < r->nnodes; i++)
        if ((which ? r->nodes[i].host_pressure : r->nodes[i].flagged) != 0)
            p[k++] = &r->nodes[i];
    qsort(p, n, sizeof *p, node_by_score);
    *out = p;
    return n < ALERT_PAYLOAD_MAX_SAMPLES ? n : ALERT_PAYLOAD_MAX_SAMPLES;
}

static int add_classification(cJSON *root, const results *r, const alert_counts *c,
                              const char *detected_at)
{
    cJSON *arr;
    if (!category(root, "classification_anomaly", c->classification_anomaly, &arr))
        return -1;
    const result_node **p;
    size_t n = pick_nodes(r, 0, &p);
    if (n == (size_t)-1)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const result_node *nd = p[i];
        cJSON *s = sample(arr);
        rc = !s || add_str(s, "instance", nd->display);
        for (int k = 0; k < 4 && !rc; k++)
            rc = add_float(s, feature[k], nd->value[k], VALUE_DECIMALS);
        rc = rc || add_str(s, "severity", nd->severity >= 2 ? "CRITICAL" : "WARNING") ||
             add_str(s, "signal", "anomalous_node") || add_str(s, "detected_at", detected_at) ||
             add_str(s, "kind", nd->kind);
        cJSON *why = rc ? NULL : cJSON_AddObjectToObject(s, "contributions");
        rc = rc || !why;
        for (int k = 0; k < 4 && !rc; k++)
            rc = add_float(why, feature[k], nd->contrib[k], SHARE_DECIMALS);
        rc = rc ? -1 : 0;
    }
    free(p);
    return rc;
}

static int add_pressure(cJSON *root, const results *r, const alert_counts *c,
                        const char *detected_at)
{
    cJSON *arr;
    if (!category(root, "host_pressure", c->host_pressure, &arr))
        return -1;
    const result_node **p;
    size_t n = pick_nodes(r, 1, &p);
    if (n == (size_t)-1)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const result_node *nd = p[i];
        cJSON *s = sample(arr);
        rc = !s || add_str(s, "instance", nd->display) ||
             add_float(s, "host_cpu", nd->value[0], VALUE_DECIMALS) ||
             add_float(s, "host_mem", nd->value[1], VALUE_DECIMALS) ||
             add_str(s, "severity", "WARNING") || add_str(s, "signal", "host_pressure") ||
             add_str(s, "detected_at", detected_at) ? -1 : 0;
    }
    free(p);
    return rc;
}

char *alert_payload_json(const results *r, const struct timespec *now)
{
    alert_counts c;
    alert_counts_of(r, &c);
    char ts[32], at[32], summary[512];
    alert_iso_time(now, ts);
    alert_detected_at(now, at);
    alert_summary_text(&c, summary, sizeof summary);
    cJSON *root = cJSON_CreateObject();
    char *out = NULL;
    if (root && add_str(root, "timestamp", ts) == 0 && add_str(root, "summary_text", summary) == 0
        && add_str(root, "text", summary) == 0 && add_disk(root, r, &c) == 0 &&
        add_crisis(root, r, &c) == 0 &&
        add_anomalies(root, "io_network_anomaly", c.io_network_anomaly, r, io_net_anomalous,
                      at) == 0 &&
        add_anomalies(root, "golden_anomaly", c.golden_anomaly, r, golden_anomalous, at) == 0 &&
        add_classification(root, r, &c, at) == 0 && add_pressure(root, r, &c, at) == 0)
        out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}
