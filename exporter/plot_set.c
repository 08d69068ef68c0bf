/* SPDX-License-Identifier: Apache-2.0
 * exporter/plot_set.c -- turns the per-series inputs of plot_set.h into plot_spec charts
 * (windows, titles with the configured durations, threshold and "now" lines, legends) and
 * writes each under the seed's file name. */
#include "exporter/plot_set.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "exporter/atomic_file.h"
#include "exporter/plot.h"

#define NAME_PART 96                /* bytes kept of each sanitised name part */
#define TITLE_LEN 512

plot_set_cfg plot_set_cfg_from(const mai_config *c)
{
    plot_set_cfg g;
    g.dir = c->forecast_plots_dir;
    g.history_hours = c->plot_history_hours;
    g.forecast_hours = c->plot_forecast_hours;
    g.width = PLOT_SET_WIDTH;
    g.height = PLOT_SET_HEIGHT;
    g.scatter_width = PLOT_SET_SCATTER_WIDTH;
    g.scatter_height = PLOT_SET_SCATTER_HEIGHT;
    return g;
}

void plot_set_window_text(const plot_set_cfg *cfg, char *buf, size_t len)
{
    snprintf(buf, len, "%d hour%s Historical + %d hour%s Forecast", cfg->history_hours,
             cfg->history_hours == 1 ? "" : "s", cfg->forecast_hours,
             cfg->forecast_hours == 1 ? "" : "s");
}

void plot_set_disk_name(const char *node, const char *mountpoint, char *buf, size_t len)
{
    char n[NAME_PART], m[NAME_PART];
    const char *mp = mountpoint ? mountpoint : "";
    if (strcmp(mp, "/") == 0)
        mp = "root";
    else
        while (*mp == '/')
            mp++;
    plot_sanitize(node, n, sizeof n);
    plot_sanitize(mp, m, sizeof m);
    snprintf(buf, len, "disk_%s_%s_forecast.png", n, m);
}

void plot_set_crisis_name(const char *node, const char *signal, char *buf, size_t len)
{
    char n[NAME_PART], s[NAME_PART];
    plot_sanitize(node, n, sizeof n);
    plot_sanitize(signal, s, sizeof s);
    snprintf(buf, len, "%s_%s_forecast.png", n, s);
}

void plot_set_ensemble_name(const char *signal, const char *node, char *buf, size_t len)
{
    char n[NAME_PART], s[NAME_PART];
    plot_sanitize(node, n, sizeof n);
    plot_sanitize(signal, s, sizeof s);
    snprintf(buf, len, "%s_%s_layer_forecast.png", s, n);
}

typedef struct run {
    const plot_set_cfg *cfg;
    plot_set_stats st;
    char *err;
    size_t errlen;
    char window[96];
    double now;
    plot_ctx *ctx;              /* buffers shared by the batch; NULL: each plot its own */
} run;

static void emit(run *r, const plot_spec *s, const char *name)
{
    char path[MAI_CONFIG_PATH_MAX + 2 * NAME_PART + 64];
    char e[512];
    snprintf(path, sizeof path, "%s/%s", r->cfg->dir, name);
    if (plot_write_png_ctx(r->ctx, s, path, e, sizeof e) == 0) {
        r->st.written++;
        return;
    }
    if (r->st.failed++ == 0 && r->err && r->errlen)
        snprintf(r->err, r->errlen, "%s", e);
}

static const char *who(const plot_series_in *s)
{
    return s->display && *s->display ? s->display : s->node ? s->node : "";
}

static void eta_text(double eta_s, char *buf, size_t len)
{
    if (isnan(eta_s))
        buf[0] = '\0';
    else if (!isfinite(eta_s))
        snprintf(buf, len, "no crossing predicted");
    else if (eta_s <= 0)
        snprintf(buf, len, "threshold reached");
    else if (eta_s < 3600)
        snprintf(buf, len, "threshold in %.0f min", eta_s / 60);
    else if (eta_s < 2 * 86400)
        snprintf(buf, len, "threshold in %.1f h", eta_s / 3600);
    else
        snprintf(buf, len, "threshold in %.1f days", eta_s / 86400);
}

/* history + forecast + "now", windowed by the configuration */
static plot_spec forecast_spec(const run *r, const plot_series_in *s, const char *title,
                               int band)
{
    plot_spec p = plot_spec_init(title, s->unit, r->cfg->width, r->cfg->height);
    p.hist_t = s->hist_t;
    p.hist_v = s->hist_v;
    p.hist_n = s->hist_t && s->hist_v ? s->hist_n : 0;
    p.fc_t = s->fc_t;
    p.fc_mean = s->fc_mean;
    p.fc_n = s->fc_t && s->fc_mean ? s->fc_n : 0;
    if (band) {
        p.fc_lower = s->fc_lower;
        p.fc_upper = s->fc_upper;
        p.band_label = s->fc_lower && s->fc_upper ? "80% interval" : NULL;
    }
    p.anom_t = s->anom_t;
    p.anom_v = s->anom_v;
    p.anom_n = s->anom_t && s->anom_v ? s->anom_n : 0;
    p.anom_label = p.anom_n ? "anomaly" : NULL;
    p.hist_label = "history";
    p.fc_label = "forecast";
    if (isfinite(r->now)) {
        p.vline_t = r->now;
        p.vline_label = "now";
        p.x_min = r->now - r->cfg->history_hours * 3600.0;
        p.x_max = r->now + r->cfg->forecast_hours * 3600.0;
    }
    return p;
}

static void threshold_line(plot_spec *p, const plot_series_in *s, char *buf, size_t len)
{
    if (!isfinite(s->threshold))
        return;
    char v[48];
    plot_format_value(s->unit, s->threshold, v, sizeof v);
    snprintf(buf, len, "threshold %s", v);
    p->hlines[0].y = s->threshold;
    p->hlines[0].label = buf;
    p->n_hlines = 1;
}

static void layer_plots(run *r, const plot_series_in *s, const char *layer, const char *fc_name,
                        const char *bt_name, int backtest)
{
    char title[TITLE_LEN];
    snprintf(title, sizeof title, "%s layer forecast: %s - %s", layer, s->signal ? s->signal : "",
             r->window);
    plot_spec p = forecast_spec(r, s, title, 1);
    p.fc_label = "ensemble forecast";
    emit(r, &p, fc_name);
    if (!backtest)
        return;

    char mae[64] = "";
    if (isfinite(s->bt_mae)) {
        char v[48];
        plot_format_value(s->unit, s->bt_mae, v, sizeof v);
        snprintf(mae, sizeof mae, ", test MAE %s", v);
    }
    snprintf(title, sizeof title, "%s layer backtest: %s - %d hours Historical, train | test%s",
             layer, s->signal ? s->signal : "", r->cfg->history_hours, mae);
    plot_spec b = plot_spec_init(title, s->unit, r->cfg->width, r->cfg->height);
    b.hist_t = s->hist_t;
    b.hist_v = s->hist_v;
    b.hist_n = s->hist_t && s->hist_v ? s->hist_n : 0;
    b.fc_t = s->bt_t;
    b.fc_mean = s->bt_mean;
    b.fc_lower = s->bt_lower;
    b.fc_upper = s->bt_upper;
    b.fc_n = s->bt_t && s->bt_mean ? s->bt_n : 0;
    b.vline_t = isfinite(s->bt_split_t) ? s->bt_split_t : b.fc_n ? s->bt_t[0] : NAN;
    b.vline_label = "train | test";
    b.hist_label = "actual";
    b.fc_label = "backtest prediction";
    b.band_label = s->bt_lower && s->bt_upper ? "80% interval" : NULL;
    if (isfinite(r->now)) {
        b.x_min = r->now - r->cfg->history_hours * 3600.0;
        b.x_max = r->now;
    }
    emit(r, &b, bt_name);
}

static void disk_plot(run *r, const plot_series_in *s)
{
    char title[TITLE_LEN], eta[64], th[64], name[3 * NAME_PART];
    eta_text(s->eta_s, eta, sizeof eta);
    snprintf(title, sizeof title, "Disk %s %s%s%s - %s", who(s), s->mountpoint ? s->mountpoint : "",
             *eta ? ": " : "", eta, r->window);
    plot_spec p = forecast_spec(r, s, title, 1);
    threshold_line(&p, s, th, sizeof th);
    plot_set_disk_name(s->node, s->mountpoint, name, sizeof name);
    emit(r, &p, name);
}

static void ionet_plots(run *r, const plot_series_in *s)
{
    char title[TITLE_LEN], eta[64], th[64], name[3 * NAME_PART];
    const char *sig = s->signal ? s->signal : "";
    eta_text(s->eta_s, eta, sizeof eta);
    snprintf(title, sizeof title, "%s %s crisis%s%s - %s", who(s), sig, *eta ? ": " : "", eta,
             r->window);
    plot_spec c = forecast_spec(r, s, title, 0);
    threshold_line(&c, s, th, sizeof th);
    plot_set_crisis_name(s->node, sig, name, sizeof name);
    emit(r, &c, name);

    snprintf(title, sizeof title, "%s %s ensemble forecast - %s", sig, who(s), r->window);
    plot_spec e = forecast_spec(r, s, title, 1);
    e.fc_label = "ensemble forecast";
    plot_set_ensemble_name(sig, s->node, name, sizeof name);
    emit(r, &e, name);
}

static void classification_plot(run *r, const plot_set_in *in)
{
    size_t n = in->nnodes, flagged = 0;
    enum { LABEL = 160 };
    plot_point *pts = n ? malloc(n * sizeof *pts) : NULL;
    char *labels = n ? malloc(n * LABEL) : NULL;
    if (n && (!pts || !labels)) {
        free(pts);
        free(labels);
        if (r->st.failed++ == 0 && r->err && r->errlen)
            snprintf(r->err, r->errlen, "plots: cannot write %s/%s: %s", r->cfg->dir,
                     PLOT_CLASSIFICATION, strerror(ENOMEM));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const plot_node_in *nd = &in->nodes[i];
        pts[i].x = nd->host;
        pts[i].y = nd->pod;
        pts[i].flagged = nd->flagged;
        pts[i].label = NULL;
        if (nd->flagged) {
            flagged++;
            snprintf(labels + i * LABEL, LABEL, "%s%s%s", nd->display ? nd->display : "",
                     nd->kind && *nd->kind ? " " : "", nd->kind ? nd->kind : "");
            pts[i].label = labels + i * LABEL;
        }
    }
    char title[TITLE_LEN];
    snprintf(title, sizeof title, "Node classification: host vs pod usage (%zu nodes, %zu flagged)",
             n, flagged);
    plot_spec p = plot_spec_init(title, "ratio", r->cfg->scatter_width, r->cfg->scatter_height);
    static const plot_point none = {NAN, NAN, 0, NULL};
    p.points = n ? pts : &none;
    p.n_points = n;
    p.x_unit = "ratio";
    p.x_title = "host usage (CPU and memory)";
    p.y_title = "pod usage (CPU and memory)";
    p.hist_label = "normal";
    p.anom_label = flagged ? "anomalous" : NULL;
    emit(r, &p, PLOT_CLASSIFICATION);
    free(pts);
    free(labels);
}

static double latest_time(const plot_series_in *s, double t)
{
    if (!s || !s->hist_t || !s->hist_v)
        return t;
    for (size_t i = s->hist_n; i-- > 0;) {
        if (isfinite(s->hist_v[i]) && isfinite(s->hist_t[i])) {
            if (!isfinite(t) || s->hist_t[i] > t)
                t = s->hist_t[i];
            break;
        }
    }
    return t;
}

int plot_set_write(const plot_set_cfg *cfg, const plot_set_in *in, plot_set_stats *stats,
                   char *err, size_t errlen)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (err && errlen)
        err[0] = '\0';
    run r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.err = err;
    r.errlen = errlen;
    int rc = 0;
    if (!cfg || !cfg->dir || !*cfg->dir || !in || cfg->history_hours < 1 ||
        cfg->forecast_hours < 1) {
        if (err && errlen)
            snprintf(err, errlen, "plots: no directory, input or window given");
        rc = -1;
        goto out;
    }
    if (atomic_mkdirs(cfg->dir) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "plots: cannot create directory %s: %s", cfg->dir,
                     strerror(errno));
        rc = -1;
        goto out;
    }
    plot_set_window_text(cfg, r.window, sizeof r.window);
    r.ctx = plot_ctx_new();
    r.now = in->now;
    if (!isfinite(r.now)) {
        r.now = latest_time(in->host_layer, r.now);
        r.now = latest_time(in->pod_layer, r.now);
        for (size_t i = 0; i < in->ndisks; i++)
            r.now = latest_time(&in->disks[i], r.now);
        for (size_t i = 0; i < in->nionet; i++)
            r.now = latest_time(&in->ionet[i], r.now);
    }
    if (in->host_layer)
        layer_plots(&r, in->host_layer, "Host", PLOT_HOST_FORECAST, PLOT_HOST_BACKTEST,
                    in->backtest);
    if (in->pod_layer)
        layer_plots(&r, in->pod_layer, "Pod", PLOT_POD_FORECAST, PLOT_POD_BACKTEST, in->backtest);
    for (size_t i = 0; i < in->ndisks; i++)
        disk_plot(&r, &in->disks[i]);
    for (size_t i = 0; i < in->nionet; i++)
        ionet_plots(&r, &in->ionet[i]);
    if (in->nnodes > 0 || in->classification)
        classification_plot(&r, in);
    rc = r.st.failed ? -1 : 0;
    plot_ctx_free(r.ctx);
out:
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r.st.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (stats)
        *stats = r.st;
    return rc;
}
