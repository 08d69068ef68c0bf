/* SPDX-License-Identifier: Apache-2.0
 * exporter/report.c -- disk_full_prediction.csv and the console tables (see report.h). Numbers
 * are written the way the seed's pandas/JSON output shows them: rounded to 2 decimals with
 * trailing zeros dropped but one decimal kept (79.67, 31.8, 9999.0); NaN is an empty CSV field. */
#include "exporter/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/atomic_file.h"
#include "models/eta.h"

#define DISK_TABLE_MAX 20
#define PRED_TABLE_MAX 10
#define NODE_TABLE_MAX 20
#define TABLE_MAX_COLS 9

const char *report_row_label(const result_row *row, const char *name)
{
    for (uint32_t i = 0; i < row->nlabels; i++)
        if (row->labels[2 * i] && strcmp(row->labels[2 * i], name) == 0)
            return row->labels[2 * i + 1] ? row->labels[2 * i + 1] : "";
    return "";
}

static const char *label(const result_row *row, const char *name)
{
    return report_row_label(row, name);
}

static int is_disk(const result_row *row)
{
    return row->signal && strcmp(row->signal, "DISK_USAGE") == 0;
}

static int disk_cmp(const void *a, const void *b)
{
    const report_disk *x = a, *y = b;
    if (x->days != y->days)
        return x->days < y->days ? -1 : 1;
    int c = strcmp(x->instance, y->instance);
    return c ? c : strcmp(x->mountpoint, y->mountpoint);
}

int report_disk_rows(const results *r, report_disk **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!r)
        return 0;
    size_t cnt = 0;
    for (size_t i = 0; i < r->nrows; i++)
        cnt += is_disk(&r->rows[i]);
    if (!cnt)
        return 0;
    report_disk *it = calloc(cnt, sizeof *it);
    if (!it)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        const result_row *row = &r->rows[i];
        if (!is_disk(row))
            continue;
        report_disk *d = &it[k++];
        d->instance = row->display ? row->display : label(row, "instance");
        d->mountpoint = label(row, "mountpoint");
        /* current_%: the newest finished value; without one, the forecast at the shortest
         * horizon. The catalogue's DISK_USAGE is a ratio with threshold 0.9; a threshold above
         * 1 means an override in percent. */
        double scale = row->has_eta && row->threshold > 1.0 ? 1.0 : 100.0;
        d->current_pct = isfinite(row->current) ? row->current * scale
                         : r->nh > 0            ? row->mean[0] * scale : NAN;
        if (row->has_eta) {
            d->ens = eta_days_seed(row->eta[0]);
            d->lin = eta_days_seed(row->eta[1]);
            d->pro = eta_days_seed(row->eta[2]);
            d->days_lo = eta_days_seed(row->eta_lower);
            d->days_hi = eta_days_seed(row->eta_upper);
        } else {
            d->ens = d->lin = d->pro = d->days_lo = d->days_hi = 9999.0;
        }
        d->days = d->ens;   /* the seed's days_to_90pct is the ensemble's */
        d->level = eta_alert_level(d->days);
    }
    qsort(it, cnt, sizeof *it, disk_cmp);
    *out = it;
    *n = cnt;
    return 0;
}

const char *report_num(char *buf, size_t len, double v, int decimals)
{
    if (isnan(v)) {
        buf[0] = '\0';
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, len, "%s", v > 0 ? "inf" : "-inf");
        return buf;
    }
    snprintf(buf, len, "%.*f", decimals, v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *e = buf + strlen(buf) - 1;
        while (e > dot + 1 && *e == '0')
            *e-- = '\0';
    }
    if (strcmp(buf, "-0.0") == 0)
        snprintf(buf, len, "0.0");
    return buf;
}

/* 2 decimals, the CSV's and the tables' precision. */
static const char *num(char *buf, size_t len, double v)
{
    return report_num(buf, len, v, 2);
}

/* A CSV field, quoted (RFC 4180) when it holds a comma, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int report_disk_csv(const results *r, const char *dir, char *err, size_t errlen)
{
    report_disk *it = NULL;
    size_t n = 0;
    atomic_file af;
    if (atomic_open(&af, dir, REPORT_DISK_CSV, err, errlen) != 0)
        return -1;
    if (report_disk_rows(r, &it, &n) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "cannot write %s: out of memory", af.path);
        atomic_abort(&af);
        return -1;
    }
    FILE *f = af.f;
    fputs("instance,mountpoint,current_%,days_to_90pct,ensemble_eta,linear_eta,prophet_eta,alert\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const report_disk *d = &it[i];
        char b[5][48];
        csv_field(f, d->instance);
        fputc(',', f);
        csv_field(f, d->mountpoint);
        fprintf(f, ",%s,%s,%s,%s,%s,%s\n", num(b[0], sizeof b[0], d->current_pct),
                num(b[1], sizeof b[1], d->days), num(b[2], sizeof b[2], d->ens),
                num(b[3], sizeof b[3], d->lin), num(b[4], sizeof b[4], d->pro),
                eta_alert_name(d->level));
    }
    free(it);
    return atomic_commit(&af, err, errlen);
}

/* ---- console ---- */

static int width(const char *s)
{
    /* display width: UTF-8 continuation bytes do not count */
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *out, const char *s, int w)
{
    fputs(s, out);
    for (int i = width(s); i < w; i++)
        fputc(' ', out);
}

/* A table of nrows rows of ncols cells (cells[row * ncols + col]), column widths from the
 * header and the cells, two spaces before each column, the last column unpadded. */
static void table(FILE *out, int ncols, const char *const *hdr, const char *const *cells,
                  size_t nrows)
{
    int w[TABLE_MAX_COLS];
    for (int c = 0; c < ncols; c++) {
        w[c] = width(hdr[c]);
        for (size_t i = 0; i < nrows; i++) {
            int x = width(cells[i * (size_t)ncols + (size_t)c]);
            w[c] = x > w[c] ? x : w[c];
        }
    }
    for (size_t i = 0; i <= nrows; i++) {
        for (int c = 0; c < ncols; c++) {
            fputs("  ", out);
            pad(out, i == 0 ? hdr[c] : cells[(i - 1) * (size_t)ncols + (size_t)c],
                c + 1 == ncols ? 0 : w[c]);
        }
        fputc('\n', out);
    }
}

static void disk_table(const report_disk *it, size_t n, FILE *out)
{
    size_t cnt[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++)
        cnt[it[i].level & 3]++;
    fprintf(out, "Disk forecast: %zu critical, %zu warning, %zu soon, %zu disks\n",
            cnt[ETA_CRITICAL], cnt[ETA_WARNING], cnt[ETA_SOON], n);
    if (!n) {
        fputs("  (no DISK_USAGE series)\n", out);
        return;
    }
    static const char *const hdr[5] = {"instance", "mountpoint", "current %", "days to 90%",
                                       "alert"};
    size_t shown = n < DISK_TABLE_MAX ? n : DISK_TABLE_MAX;
    const char *cells[DISK_TABLE_MAX * 5];
    char b[DISK_TABLE_MAX][2][48];
    for (size_t i = 0; i < shown; i++) {
        const report_disk *d = &it[i];
        const char *cur = num(b[i][0], sizeof b[i][0], d->current_pct);
        const char *row[5] = {d->instance, d->mountpoint, *cur ? cur : "-",
                              num(b[i][1], sizeof b[i][1], d->days), eta_alert_name(d->level)};
        memcpy(&cells[i * 5], row, sizeof row);
    }
    table(out, 5, hdr, cells, shown);
    if (n > shown)
        fprintf(out, "  \xe2\x80\xa6 %zu more\n", n - shown);
}

static const char *severity_name(int severity)
{
    return severity >= 2 ? "CRITICAL" : severity == 1 ? "WARNING" : "OK";
}

/* Flagged nodes (score descending), then the nodes under host pressure. */
static int node_score_cmp(const void *a, const void *b)
{
    const result_node *x = *(const result_node *const *)a, *y = *(const result_node *const *)b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(x->node, y->node);
}

static void node_tables(const results *r, FILE *out)
{
    const result_node *flag[NODE_TABLE_MAX], *press[NODE_TABLE_MAX];
    size_t nf = 0, np = 0, tf = 0, tp = 0;
    for (size_t i = 0; i < r->nnodes; i++) {
        const result_node *nd = &r->nodes[i];
        if (nd->flagged && tf++ < NODE_TABLE_MAX)
            flag[nf++] = nd;
        if (nd->host_pressure && tp++ < NODE_TABLE_MAX)
            press[np++] = nd;
    }
    qsort(flag, nf, sizeof *flag, node_score_cmp);
    qsort(press, np, sizeof *press, node_score_cmp);
    fprintf(out, "Classification anomalies: %zu of %zu nodes\n", tf, r->nnodes);
    static const char *const fh[9] = {"instance", "host_cpu", "host_mem", "pod_cpu", "pod_mem",
                                      "score", "severity", "kind", "why"};
    const char *cells[NODE_TABLE_MAX * 9];
    char b[NODE_TABLE_MAX][6][48];
    char why[NODE_TABLE_MAX][96];
    static const char *const feat[4] = {"host_cpu", "host_mem", "pod_cpu", "pod_mem"};
    for (size_t i = 0; i < nf; i++) {
        const result_node *nd = flag[i];
        int top = 0;
        for (int k = 1; k < 4; k++)
            top = nd->contrib[k] > nd->contrib[top] ? k : top;
        snprintf(why[i], sizeof why[i], "%s %.0f%%", feat[top], 100.0 * nd->contrib[top]);
        const char *row[9] = {nd->display, num(b[i][0], 48, nd->value[0]),
                              num(b[i][1], 48, nd->value[1]), num(b[i][2], 48, nd->value[2]),
                              num(b[i][3], 48, nd->value[3]), num(b[i][4], 48, nd->score),
                              severity_name(nd->severity), nd->kind ? nd->kind : "", why[i]};
        memcpy(&cells[i * 9], row, sizeof row);
    }
    if (nf)
        table(out, 9, fh, cells, nf);
    fprintf(out, "Host pressure: %zu of %zu nodes\n", tp, r->nnodes);
    static const char *const ph[4] = {"instance", "host_cpu", "host_mem", "severity"};
    for (size_t i = 0; i < np; i++) {
        const result_node *nd = press[i];
        const char *row[4] = {nd->display, num(b[i][0], 48, nd->value[0]),
                              num(b[i][1], 48, nd->value[1]), "WARNING"};
        memcpy(&cells[i * 4], row, sizeof row);
    }
    if (np)
        table(out, 4, ph, cells, np);
}

/* The I/O, network and golden signals whose anomaly score is at or above the threshold. */
static void signal_anomaly_table(const results *r, FILE *out)
{
    const char *cells[NODE_TABLE_MAX * 5];
    char b[NODE_TABLE_MAX][2][48];
    size_t shown = 0, io = 0, golden = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        const result_row *row = &r->rows[i];
        if (!row->anomalous)
            continue;
        int is_golden = row->layer && strcmp(row->layer, "golden") == 0;
        golden += (size_t)is_golden;
        io += (size_t)!is_golden;
        if (shown == NODE_TABLE_MAX)
            continue;
        const char *where = *label(row, "mountpoint") ? label(row, "mountpoint")
                                                      : label(row, "device");
        const char *cell[5] = {row->display ? row->display : label(row, "instance"),
                               row->signal ? row->signal : row->metric, *where ? where : "-",
                               num(b[shown][0], 48, row->current),
                               num(b[shown][1], 48, row->anomaly)};
        memcpy(&cells[shown * 5], cell, sizeof cell);
        shown++;
    }
    fprintf(out, "I/O+Network anomalies: %zu, golden signal anomalies: %zu (score >= %g)\n", io,
            golden, r->anomaly_threshold);
    static const char *const hdr[5] = {"instance", "signal", "device/mount", "current",
                                       "anomaly score"};
    if (shown)
        table(out, 5, hdr, cells, shown);
}

/* The predictions table shows the series whose forecasts are most trustworthy: fitted rows
 * ranked by their mean skill ratio over the horizons where it is known (ensemble MAE / seasonal
 * naive MAE, lower is better), rows with no known skill after them; not-ready rows (last-value
 * fallback) are left out. Ties by metric, then instance. */
typedef struct pred_item {
    const result_row *row;
    double key;
} pred_item;

static int pred_cmp(const void *a, const void *b)
{
    const pred_item *x = a, *y = b;
    int xn = isnan(x->key), yn = isnan(y->key);
    if (xn != yn)
        return xn - yn;
    if (!xn && x->key != y->key)
        return x->key < y->key ? -1 : 1;
    int c = strcmp(x->row->metric ? x->row->metric : "", y->row->metric ? y->row->metric : "");
    return c ? c : strcmp(label(x->row, "instance"), label(y->row, "instance"));
}

static void pred_table(const results *r, FILE *out)
{
    size_t cnt = 0;
    for (size_t i = 0; i < r->nrows; i++)
        cnt += r->rows[i].ready != 0;
    fprintf(out, "Predictions: %zu fitted series, best skill first (skill = ensemble MAE / "
                 "seasonal naive MAE)\n", cnt);
    if (!cnt)
        return;
    pred_item *p = malloc(cnt * sizeof *p);
    if (!p) {
        fputs("  (out of memory)\n", out);
        return;
    }
    size_t k = 0;
    uint32_t nh = r->nh < RESULTS_MAX_HORIZONS ? r->nh : RESULTS_MAX_HORIZONS;
    for (size_t i = 0; i < r->nrows; i++) {
        const result_row *row = &r->rows[i];
        if (!row->ready)
            continue;
        double s = 0;
        int m = 0;
        for (uint32_t h = 0; h < nh; h++)
            if (isfinite(row->skill[h])) {
                s += row->skill[h];
                m++;
            }
        p[k++] = (pred_item){row, m ? s / m : NAN};
    }
    qsort(p, cnt, sizeof *p, pred_cmp);
    size_t shown = cnt < PRED_TABLE_MAX ? cnt : PRED_TABLE_MAX;

    int wm = width("metric"), wi = width("instance"), ws = width("skill");
    int wh[RESULTS_MAX_HORIZONS];
    char cell[PRED_TABLE_MAX][RESULTS_MAX_HORIZONS][80];
    char skill[PRED_TABLE_MAX][24];
    for (uint32_t h = 0; h < nh; h++)
        wh[h] = width(r->horizon[h]);
    for (size_t i = 0; i < shown; i++) {
        const result_row *row = p[i].row;
        int a = width(row->metric ? row->metric : ""), b = width(label(row, "instance"));
        wm = a > wm ? a : wm;
        wi = b > wi ? b : wi;
        if (isnan(p[i].key))
            snprintf(skill[i], sizeof skill[i], "-");
        else
            snprintf(skill[i], sizeof skill[i], "%.3g", p[i].key);
        ws = width(skill[i]) > ws ? width(skill[i]) : ws;
        for (uint32_t h = 0; h < nh; h++) {
            snprintf(cell[i][h], sizeof cell[i][h], "%.4g [%.4g, %.4g]", row->mean[h],
                     row->lower[h], row->upper[h]);
            int c = width(cell[i][h]);
            wh[h] = c > wh[h] ? c : wh[h];
        }
    }
    fputs("  ", out);
    pad(out, "metric", wm);
    fputs("  ", out);
    pad(out, "instance", wi);
    fputs("  ", out);
    pad(out, "skill", ws);
    for (uint32_t h = 0; h < nh; h++) {
        fputs("  ", out);
        pad(out, r->horizon[h], h + 1 == nh ? 0 : wh[h]);
    }
    fputc('\n', out);
    for (size_t i = 0; i < shown; i++) {
        const result_row *row = p[i].row;
        fputs("  ", out);
        pad(out, row->metric ? row->metric : "", wm);
        fputs("  ", out);
        pad(out, *label(row, "instance") ? label(row, "instance") : "-", wi);
        fputs("  ", out);
        pad(out, skill[i], ws);
        for (uint32_t h = 0; h < nh; h++) {
            fputs("  ", out);
            pad(out, cell[i][h], h + 1 == nh ? 0 : wh[h]);
        }
        fputc('\n', out);
    }
    if (cnt > shown)
        fprintf(out, "  \xe2\x80\xa6 %zu more\n", cnt - shown);
    free(p);
}

/* A Python-repr-like quoted string for the DEBUG lines. */
static void py_str(FILE *out, const char *s)
{
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('\'', out);
}

static void debug_lines(const report_disk *it, size_t n, FILE *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const report_disk *d = &it[i];
        if (d->level == ETA_OK)
            continue;
        char b[7][48];
        fprintf(out, "DEBUG: disk_alerts[%zu]={'instance': ", k++);
        py_str(out, d->instance);
        fputs(", 'mountpoint': ", out);
        py_str(out, d->mountpoint);
        const char *cur = num(b[0], sizeof b[0], d->current_pct);
        fprintf(out, ", 'current_%%': %s, 'days_to_90pct': %s, 'ensemble_eta': %s, "
                     "'linear_eta': %s, 'prophet_eta': %s, 'alert': '%s', "
                     "'ensemble_eta_lower': %s, 'ensemble_eta_upper': %s}\n",
                *cur ? cur : "nan", num(b[1], sizeof b[1], d->days),
                num(b[2], sizeof b[2], d->ens), num(b[3], sizeof b[3], d->lin),
                num(b[4], sizeof b[4], d->pro), eta_alert_name(d->level),
                num(b[5], sizeof b[5], d->days_lo), num(b[6], sizeof b[6], d->days_hi));
    }
    if (!k)
        fprintf(out, "DEBUG: disk_alerts=[] (%zu disks, none within 30 days of 90%%)\n", n);
}

void report_console(const results *r, FILE *out, int verbosity)
{
    if (verbosity < 0 || !out)
        return;
    if (!r) {
        fputs("No forecasts yet (waiting for the first model cycle)\n", out);
        return;
    }
    report_disk *it = NULL;
    size_t n = 0;
    if (report_disk_rows(r, &it, &n) != 0) {
        fputs("Disk forecast: (out of memory)\n", out);
    } else {
        disk_table(it, n, out);
        if (verbosity >= 1)
            debug_lines(it, n, out);
    }
    free(it);
    node_tables(r, out);
    signal_anomaly_table(r, out);
    pred_table(r, out);
    fflush(out);
}
