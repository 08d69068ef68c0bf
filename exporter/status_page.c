/* SPDX-License-Identifier: Apache-2.0
 * exporter/status_page.c -- the HTML status page (see status_page.h). */
#include "exporter/status_page.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/report.h"
#include "models/eta.h"

#define ROWS_MAX 50     /* rows shown per alert table */

static const char *label(const result_row *row, const char *name)
{
    for (uint32_t i = 0; i < row->nlabels; i++)
        if (row->labels[2 * i] && strcmp(row->labels[2 * i], name) == 0)
            return row->labels[2 * i + 1] ? row->labels[2 * i + 1] : "";
    return "";
}

static const char *where(const result_row *row)
{
    const char *m = label(row, "mountpoint");
    return *m ? m : label(row, "device");
}

static const char *instance(const result_row *row)
{
    return row->display ? row->display : label(row, "instance");
}

static void num(expo_buf *b, double v)
{
    if (isnan(v))
        expo_puts(b, "-");
    else
        expo_printf(b, "%.3g", v);
}

static void table_head(expo_buf *b, const char *id, const char *title, uint64_t total,
                       const char *const *cols, int ncols)
{
    expo_printf(b, "<h2 id=\"%s\">%s: %llu</h2>\n", id, title, (unsigned long long)total);
    if (!total)
        return;
    expo_puts(b, "<table><tr>");
    for (int i = 0; i < ncols; i++)
        expo_printf(b, "<th>%s</th>", cols[i]);
    expo_puts(b, "</tr>\n");
}

static void table_end(expo_buf *b, uint64_t total, uint64_t shown)
{
    if (!total)
        return;
    expo_puts(b, "</table>\n");
    if (total > shown)
        expo_printf(b, "<p>&hellip; %llu more</p>\n", (unsigned long long)(total - shown));
}

static void disk_alerts(expo_buf *b, const results *r)
{
    static const char *const cols[] = {"instance", "mountpoint", "current %", "days to 90%",
                                       "linear", "prophet", "alert"};
    uint64_t total = r->disk_critical + r->disk_warning + r->disk_soon, shown = 0;
    table_head(b, "disk", "Disk alerts", total, cols, 7);
    report_disk *it = NULL;
    size_t n = 0;
    if (total && report_disk_rows(r, &it, &n) != 0)
        b->oom = 1;
    for (size_t i = 0; i < n && shown < ROWS_MAX && it[i].level != ETA_OK; i++) {
        const report_disk *d = &it[i];
        shown++;
        const char *name = eta_alert_name(d->level);
        expo_printf(b, "<tr class=\"%s\"><td>", name);
        expo_html(b, d->instance);
        expo_puts(b, "</td><td>");
        expo_html(b, d->mountpoint);
        expo_puts(b, "</td><td>");
        num(b, d->current_pct);
        expo_printf(b, "</td><td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%s</td></tr>\n", d->days,
                    d->lin, d->pro, name);
    }
    free(it);
    table_end(b, total, shown);
}

static void crisis(expo_buf *b, const results *r)
{
    static const char *const cols[] = {"instance", "signal", "device", "current", "threshold",
                                       "days to threshold"};
    uint64_t shown = 0;
    table_head(b, "crisis", "I/O+Network crisis", r->io_network_crisis, cols, 6);
    for (size_t i = 0; i < r->nrows && shown < ROWS_MAX && r->io_network_crisis; i++) {
        const result_row *row = &r->rows[i];
        if (!row->has_eta || !row->layer || eta_days_seed(row->eta[0]) > 30 ||
            (strcmp(row->layer, "io") != 0 && strcmp(row->layer, "net") != 0))
            continue;
        shown++;
        expo_puts(b, "<tr class=\"WARNING\"><td>");
        expo_html(b, instance(row));
        expo_puts(b, "</td><td>");
        expo_html(b, row->signal);
        expo_puts(b, "</td><td>");
        expo_html(b, where(row));
        expo_puts(b, "</td><td>");
        num(b, row->current);
        expo_puts(b, "</td><td>");
        num(b, row->threshold);
        expo_puts(b, "</td><td>");
        expo_printf(b, "%.1f", eta_days_seed(row->eta[0]));
        expo_puts(b, "</td></tr>\n");
    }
    table_end(b, r->io_network_crisis, shown);
}

static void anomalies(expo_buf *b, const results *r, int golden)
{
    static const char *const cols[] = {"instance", "signal", "device / mount", "current",
                                       "anomaly score"};
    uint64_t total = golden ? r->golden_anomaly : r->io_network_anomaly, shown = 0;
    table_head(b, golden ? "golden" : "io-anomaly",
               golden ? "Golden signal anomalies" : "I/O+Network anomalies", total, cols, 5);
    for (size_t i = 0; i < r->nrows && shown < ROWS_MAX && total; i++) {
        const result_row *row = &r->rows[i];
        if (!row->anomalous || !row->layer || (strcmp(row->layer, "golden") == 0) != golden)
            continue;
        shown++;
        expo_printf(b, "<tr class=\"%s\"><td>", row->anomaly >= 0.99 ? "CRITICAL" : "WARNING");
        expo_html(b, instance(row));
        expo_puts(b, "</td><td>");
        expo_html(b, row->signal);
        expo_puts(b, "</td><td>");
        expo_html(b, where(row));
        expo_puts(b, "</td><td>");
        num(b, row->current);
        expo_puts(b, "</td><td>");
        num(b, row->anomaly);
        expo_puts(b, "</td></tr>\n");
    }
    table_end(b, total, shown);
}

static void nodes(expo_buf *b, const results *r, int pressure)
{
    static const char *const fcols[] = {"instance", "host cpu", "host mem", "pod cpu",
                                        "pod mem", "score", "severity", "kind"};
    static const char *const pcols[] = {"instance", "host cpu", "host mem", "severity"};
    uint64_t total = 0, shown = 0;
    for (size_t i = 0; i < r->nnodes; i++)
        total += (uint64_t)(pressure ? r->nodes[i].host_pressure != 0 : r->nodes[i].flagged != 0);
    table_head(b, pressure ? "pressure" : "classification",
               pressure ? "Host pressure" : "Classification anomalies", total,
               pressure ? pcols : fcols, pressure ? 4 : 8);
    for (size_t i = 0; i < r->nnodes && shown < ROWS_MAX; i++) {
        const result_node *nd = &r->nodes[i];
        if (pressure ? !nd->host_pressure : !nd->flagged)
            continue;
        shown++;
        const char *sev = pressure || nd->severity < 2 ? "WARNING" : "CRITICAL";
        expo_printf(b, "<tr class=\"%s\"><td>", sev);
        expo_html(b, nd->display);
        for (int k = 0; k < (pressure ? 2 : 4); k++) {
            expo_puts(b, "</td><td>");
            num(b, nd->value[k]);
        }
        if (!pressure) {
            expo_puts(b, "</td><td>");
            num(b, nd->score);
        }
        expo_printf(b, "</td><td>%s</td>", sev);
        if (!pressure) {
            expo_puts(b, "<td>");
            expo_html(b, nd->kind);
            expo_puts(b, "</td>");
        }
        expo_puts(b, "</tr>\n");
    }
    table_end(b, total, shown);
}

static const char STYLE[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
    "th{background:#eee}.CRITICAL td{background:#f8d0d0}.WARNING td{background:#fbeec8}"
    ".SOON td{background:#e3eefb}.ok{color:#2a7a2a}.alert{color:#b00020;font-weight:bold}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dd{margin:0}";

void status_page_write(expo_buf *b, const results *r, const status_store *s)
{
    expo_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    if (s->refresh_s > 0)
        expo_printf(b, "<meta http-equiv=\"refresh\" content=\"%d\">", s->refresh_s);
    expo_printf(b, "<title>metrics-ai</title><style>%s</style></head><body>\n", STYLE);
    expo_printf(b, "<h1>metrics-ai %s</h1>\n<dl>", s->version ? s->version : "");
    expo_printf(b, "<dt>series held</dt><dd id=\"series\">%llu (%llu active)</dd>",
                (unsigned long long)s->series, (unsigned long long)s->active);
    expo_printf(b, "<dt>samples accepted</dt><dd>%llu (%llu rejected)</dd>",
                (unsigned long long)s->samples_accepted,
                (unsigned long long)s->samples_rejected);
    expo_printf(b, "<dt>up</dt><dd>%lld s</dd>", (long long)s->uptime_s);
    if (r) {
        expo_printf(b, "<dt>models</dt><dd id=\"models\">%llu ready, %llu warming up</dd>",
                    (unsigned long long)r->models_ready,
                    (unsigned long long)(r->models - r->models_ready));
        expo_printf(b, "<dt>model cycles</dt><dd>%llu, the last took %.3f s; %llu fits</dd>",
                    (unsigned long long)r->cycles, r->cycle_seconds,
                    (unsigned long long)r->fits);
    } else {
        expo_puts(b, "<dt>models</dt><dd id=\"models\">waiting for the first cycle</dd>");
    }
    expo_puts(b, "</dl>\n");
    if (r) {
        uint64_t flagged = 0, pressure = 0;
        for (size_t i = 0; i < r->nnodes; i++) {
            flagged += r->nodes[i].flagged != 0;
            pressure += r->nodes[i].host_pressure != 0;
        }
        uint64_t total = r->disk_critical + r->disk_warning + r->disk_soon +
                         r->io_network_crisis + r->io_network_anomaly + r->golden_anomaly +
                         flagged + pressure;
        expo_printf(b, "<p id=\"summary\" class=\"%s\">%s: Disk &rarr; %llu critical, %llu "
                    "warning, %llu soon | I/O+Network Crisis &rarr; %llu | I/O+Network Anomaly "
                    "&rarr; %llu | Golden Signals &rarr; %llu | Classification Anomalies &rarr; "
                    "%llu | Host Pressure &rarr; %llu</p>\n", total ? "alert" : "ok",
                    total ? "Alerts" : "All OK", (unsigned long long)r->disk_critical,
                    (unsigned long long)r->disk_warning, (unsigned long long)r->disk_soon,
                    (unsigned long long)r->io_network_crisis,
                    (unsigned long long)r->io_network_anomaly,
                    (unsigned long long)r->golden_anomaly, (unsigned long long)flagged,
                    (unsigned long long)pressure);
        disk_alerts(b, r);
        crisis(b, r);
        anomalies(b, r, 0);
        anomalies(b, r, 1);
        nodes(b, r, 0);
        nodes(b, r, 1);
    }
    expo_puts(b, "<h2>Links</h2>\n<ul><li><a href=\"/metrics\">/metrics</a>: forecasts, "
                   "anomaly scores, times to threshold, alert counts and self-metrics</li>"
                   "<li><a href=\"/api/v1/store?metric=up\">/api/v1/store?metric=NAME</a>: what "
                   "the store holds for one metric</li>");
    if (s->plots_href) {
        expo_puts(b, "<li><a href=\"");
        expo_html(b, s->plots_href);
        expo_puts(b, "\">plots and reports</a></li>");
    }
    expo_puts(b, "<li><a href=\"/-/healthy\">/-/healthy</a>, <a href=\"/-/ready\">/-/ready"
                   "</a></li></ul>\n<p>Remote write: <code>POST /api/v1/write</code> (1.0 and "
                   "2.0). Remote read: <code>POST /api/v1/read</code> (stored series, and the "
                   "forecast curves as <code>metrics_ai_forecast_curve</code>). Selective retraining: <code>POST /api/v1/admin/retrain?disk=LIST&amp;"
                   "io_net=LIST</code>.</p>\n</body></html>\n");
}
