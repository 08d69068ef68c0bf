/* SPDX-License-Identifier: Apache-2.0
 * adapter/plot_cycle.c -- builds the plot set of a cycle (see plot_cycle.h): per catalogue
 * series its history, forecast path and anomalous points; the host and pod layer means over
 * nodes with an optional train/test backtest; the classification scatter. */
#include "adapter/plot_cycle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/signals.h"
#include "models/base.h"
#include "models/ring.h"
#include "models/season.h"

#define MAX_FC_STEPS 100000     /* forecast points per plot, at most */
#define MIN_FC_POINTS 24        /* coarse steps in the window before the coarse part is used */
#define MIN_TRAIN 24            /* backtest: training points at least (the cycle's MIN_FIT) */

struct plot_cycle {
    plot_cycle_config cfg;
    float *ring;
    double *y;
    size_t cap;                 /* slots of ring and y */
    void *work, *state, *scratch;
    size_t work_cap, state_cap, scratch_cap;
};

/* One series' plot arrays (owned) and names. */
typedef struct sbuf {
    double *t, *v;              /* history */
    size_t n;
    double step;                /* history step */
    double *ft, *fm, *fl, *fu;  /* forecast */
    size_t fn;
    double fstep;
    double *at, *av;            /* anomalies */
    size_t an;
    double *bt, *bm, *bl, *bu;  /* backtest prediction over the test part */
    size_t bn;
    double split, mae;
    double current;
    char node[128];
    char signal[64];
} sbuf;

static void sbuf_free(sbuf *b)
{
    free(b->t);
    free(b->v);
    free(b->ft);
    free(b->fm);
    free(b->fl);
    free(b->fu);
    free(b->at);
    free(b->av);
    free(b->bt);
    free(b->bm);
    free(b->bl);
    free(b->bu);
    memset(b, 0, sizeof *b);
}

/* *p holds at least need bytes, ENS_ALIGN-aligned; 0 or -1 */
static int grow_aligned(void **p, size_t *cap, size_t need)
{
    if (*p && *cap >= need)
        return 0;
    void *q = aligned_alloc(ENS_ALIGN, mai_round_up(need ? need : 1, ENS_ALIGN));
    if (!q)
        return -1;
    free(*p);
    *p = q;
    *cap = need;
    return 0;
}

static double *dalloc(size_t n)
{
    return malloc((n ? n : 1) * sizeof(double));
}

int plot_cycle_create(const plot_cycle_config *c, plot_cycle **out)
{
    if (!c->st || !c->set.dir || !*c->set.dir || c->fine_step_s <= 0 || c->coarse_step_s <= 0 ||
        c->set.history_hours <= 0 || c->set.forecast_hours <= 0 ||
        !(c->train_fraction > 0 && c->train_fraction < 1))
        return -MAI_EINVAL;
    plot_cycle *p = calloc(1, sizeof *p);
    if (!p)
        return -MAI_ENOMEM;
    p->cfg = *c;
    p->cap = c->fine_cap > c->coarse_cap ? c->fine_cap : c->coarse_cap;
    p->ring = malloc((p->cap ? p->cap : 1) * sizeof *p->ring);
    p->y = dalloc(p->cap);
    if (!p->ring || !p->y) {
        plot_cycle_destroy(p);
        return -MAI_ENOMEM;
    }
    *out = p;
    return 0;
}

void plot_cycle_destroy(plot_cycle *p)
{
    if (!p)
        return;
    free(p->ring);
    free(p->y);
    free(p->work);
    free(p->state);
    free(p->scratch);
    free(p);
}

/* Every finished bucket of one ring into p->y; *first gets the first bucket number. */
static size_t copy_ring(plot_cycle *p, store_ref ref, int coarse, int64_t *first)
{
    size_t cap = coarse ? p->cfg.coarse_cap : p->cfg.fine_cap;
    int64_t newest;
    *first = 0;
    size_t n = store_ring_since(p->cfg.st, ref, coarse, RING_EMPTY, p->ring, cap, first, &newest);
    for (size_t i = 0; i < n; i++)
        p->y[i] = p->ring[i];
    return n;
}

/* The history comes from the coarse ring when the window is longer than the fine ring's span. */
static int history_coarse(const plot_cycle *p)
{
    return (double)p->cfg.set.history_hours * 3600.0 >
           (double)p->cfg.fine_cap * (double)p->cfg.fine_step_s;
}

/* Every finished bucket of the chosen ring (trim() cuts it to the window later: the anomaly
 * score is replayed over all of it first, so the window's first points are scored too). */
static int series_history(plot_cycle *p, const plot_src *s, sbuf *b)
{
    int coarse = history_coarse(p);
    double step = (double)(coarse ? p->cfg.coarse_step_s : p->cfg.fine_step_s);
    int64_t first;
    size_t n = copy_ring(p, s->ref, coarse, &first);
    b->step = step;
    b->n = n;
    b->t = dalloc(n);
    b->v = dalloc(n);
    if (!b->t || !b->v)
        return -1;
    b->current = NAN;
    for (size_t i = 0; i < n; i++) {
        b->t[i] = (double)(first + (int64_t)i) * step;
        b->v[i] = p->y[i];
        if (isfinite(b->v[i]))
            b->current = b->v[i];
    }
    return 0;
}

/* Keeps the last PLOT_HISTORY_HOURS of the history and the anomalies inside them. */
static void trim(const plot_cycle *p, sbuf *b)
{
    size_t want = (size_t)ceil((double)p->cfg.set.history_hours * 3600.0 / b->step - 1e-9);
    if (b->n <= want)
        return;
    size_t skip = b->n - want;
    memmove(b->t, b->t + skip, want * sizeof *b->t);
    memmove(b->v, b->v + skip, want * sizeof *b->v);
    b->n = want;
    size_t k = 0;
    for (size_t i = 0; i < b->an; i++)
        if (b->at[i] >= b->t[0]) {
            b->at[k] = b->at[i];
            b->av[k] = b->av[i];
            k++;
        }
    b->an = k;
}

/* Mean and 80% band over PLOT_FORECAST_HOURS from the coarse part when the window is longer
 * than the fine part's horizons (a quarter of the fine ring's span) and holds MIN_FC_POINTS
 * coarse steps, else from the fine part. The path starts after the part's newest finished
 * bucket, the last one the cycle fed; points before the end of the history are left out (the
 * coarse ring's newest finished bucket lags the fine ring's). */
static int series_forecast(plot_cycle *p, const plot_src *s, sbuf *b)
{
    double fc_s = (double)p->cfg.set.forecast_hours * 3600.0;
    double fine_span = (double)p->cfg.fine_cap * (double)p->cfg.fine_step_s;
    int coarse = s->coarse_state &&
                 ((fc_s > fine_span / 4 && fc_s >= MIN_FC_POINTS * (double)p->cfg.coarse_step_s) ||
                  !s->fine_state);
    const void *state = coarse ? s->coarse_state : s->fine_state;
    const ens_config *shape = coarse ? s->coarse_cfg : s->fine_cfg;
    if (!state || !shape)
        return 0;
    ens_info info;
    ens_get_info(state, &info);
    if (info.observed == 0)
        return 0;
    int64_t first;
    size_t n = copy_ring(p, s->ref, coarse, &first);
    if (n == 0)
        return 0;
    double step = (double)(coarse ? p->cfg.coarse_step_s : p->cfg.fine_step_s);
    size_t h = (size_t)ceil(fc_s / step - 1e-9);
    h = h < 1 ? 1 : h > MAX_FC_STEPS ? MAX_FC_STEPS : h;
    if (grow_aligned(&p->work, &p->work_cap, ens_work_size(shape, h)) != 0)
        return -1;
    b->ft = dalloc(h);
    b->fm = dalloc(h);
    b->fl = dalloc(h);
    b->fu = dalloc(h);
    if (!b->ft || !b->fm || !b->fl || !b->fu)
        return -1;
    fc_output o = {b->fm, b->fl, b->fu, NULL, NULL};
    if (ens_forecast(state, h, &o, p->work) != 0)
        return 0;
    int64_t last = first + (int64_t)n - 1;
    double end = b->n ? b->t[b->n - 1] : -INFINITY;
    size_t k = 0;
    for (size_t j = 0; j < h; j++) {
        double t = (double)(last + 1 + (int64_t)j) * step;
        if (t <= end)
            continue;
        b->ft[k] = t;
        b->fm[k] = b->fm[j];
        b->fl[k] = b->fl[j];
        b->fu[k] = b->fu[j];
        k++;
    }
    b->fn = k;
    b->fstep = step;
    return 0;
}

/* The points of the history that a fresh anomaly score, replayed over it, puts at or above
 * thr (the score gives nothing for its first an_config.warm finite points). */
static int anomalies(const plot_cycle *p, sbuf *b, double thr)
{
    /* the time constants follow the history's own step (fine or coarse ring); the user's
     * controls come from the configuration */
    an_config ac;
    an_config_default(&ac);
    if (b->n >= 2 && b->t[1] > b->t[0])
        an_config_for_step(&ac, b->t[1] - b->t[0]);
    ac.direction = p->cfg.an.direction;
    ac.min_change = p->cfg.an.min_change;
    ac.persistence = p->cfg.an.persistence;
    an_state st;
    if (an_init(&st, &ac) != 0) {
        an_config_default(&ac);
        an_init(&st, &ac);
    }
    b->at = dalloc(b->n);
    b->av = dalloc(b->n);
    if (!b->at || !b->av)
        return -1;
    b->an = 0;
    for (size_t i = 0; i < b->n; i++) {
        double a = an_update(&st, b->v[i]);
        if (isfinite(b->v[i]) && a >= thr) {
            b->at[b->an] = b->t[i];
            b->av[b->an] = b->v[i];
            b->an++;
        }
    }
    return 0;
}

/* Means of k series' arrays on a common grid of the given step: out[j] is the mean of the
 * finite values at t0 + j * step. */
static int grid_mean(const double *const *ts, const double *const *vs, const size_t *ns, size_t k,
                     double step, double **t_out, double **v_out, size_t *n_out)
{
    double t0 = INFINITY, t1 = -INFINITY;
    for (size_t i = 0; i < k; i++)
        if (ns[i]) {
            t0 = fmin(t0, ts[i][0]);
            t1 = fmax(t1, ts[i][ns[i] - 1]);
        }
    *n_out = 0;
    if (!(t1 >= t0))
        return 0;
    size_t n = (size_t)llround((t1 - t0) / step) + 1;
    double *t = dalloc(n), *v = dalloc(n), *cnt = dalloc(n);
    if (!t || !v || !cnt) {
        free(t);
        free(v);
        free(cnt);
        return -1;
    }
    for (size_t j = 0; j < n; j++) {
        t[j] = t0 + (double)j * step;
        v[j] = 0;
        cnt[j] = 0;
    }
    for (size_t i = 0; i < k; i++)
        for (size_t m = 0; m < ns[i]; m++) {
            long long j = llround((ts[i][m] - t0) / step);
            if (j >= 0 && (size_t)j < n && isfinite(vs[i][m])) {
                v[j] += vs[i][m];
                cnt[j] += 1;
            }
        }
    for (size_t j = 0; j < n; j++)
        v[j] = cnt[j] > 0 ? v[j] / cnt[j] : NAN;
    free(cnt);
    *t_out = t;
    *v_out = v;
    *n_out = n;
    return 0;
}

/* The shape without the LSTM member (backtests stay cheap). */
static ens_config without_lstm(const ens_config *c)
{
    ens_config o = *c;
    o.nm = 0;
    for (uint32_t m = 0; m < c->nm; m++)
        if (strcmp(c->members[m]->name, "lstm") != 0)
            o.members[o.nm++] = c->members[m];
    return o;
}

/* Backtest of the layer mean: a fresh ensemble fitted on the first train_fraction of the plotted
 * history forecasts the rest; the MAE over the test part's finite points. */
static int backtest(plot_cycle *p, const ens_config *shape_in, sbuf *b)
{
    size_t ntrain = (size_t)floor((double)b->n * p->cfg.train_fraction);
    if (!shape_in || ntrain < MIN_TRAIN || ntrain >= b->n)
        return 0;
    size_t h = b->n - ntrain;
    ens_config shape = without_lstm(shape_in);
    uint32_t day = shape.p.season_day;
    shape.p.season_day = day ? season_detect(b->v, ntrain, &day, 1, SEASON_MIN_ACF) : 0;
    shape.p.season_week = shape.p.season_day ? shape.p.season_week : 0;
    size_t wneed = ens_work_size(&shape, h);
    if (grow_aligned(&p->state, &p->state_cap, ens_state_size(&shape)) != 0 ||
        grow_aligned(&p->scratch, &p->scratch_cap,
                     ens_fit_scratch_size(&shape, ntrain) + 64) != 0 ||
        grow_aligned(&p->work, &p->work_cap, wneed) != 0)
        return -1;
    if (ens_init(p->state, &shape) != 0 ||
        ens_fit(p->state, b->v, ntrain, 0, p->scratch, p->work) != 0)
        return 0;
    b->bt = dalloc(h);
    b->bm = dalloc(h);
    b->bl = dalloc(h);
    b->bu = dalloc(h);
    if (!b->bt || !b->bm || !b->bl || !b->bu)
        return -1;
    fc_output o = {b->bm, b->bl, b->bu, NULL, NULL};
    if (ens_forecast(p->state, h, &o, p->work) != 0)
        return 0;
    double sum = 0;
    size_t cnt = 0;
    for (size_t j = 0; j < h; j++) {
        b->bt[j] = b->t[ntrain + j];
        double y = b->v[ntrain + j];
        if (isfinite(y) && isfinite(b->bm[j])) {
            sum += fabs(y - b->bm[j]);
            cnt++;
        }
    }
    b->bn = h;
    b->split = b->t[ntrain];
    b->mae = cnt ? sum / (double)cnt : NAN;
    return 0;
}

static const char *row_label(const result_row *r, const char *name)
{
    for (uint32_t i = 0; i < r->nlabels; i++)
        if (strcmp(r->labels[2 * i], name) == 0)
            return r->labels[2 * i + 1];
    return NULL;
}

/* History, forecast and anomalies of one series; the history cut to the window when window
 * is set, else the whole ring. */
static int one_series(plot_cycle *p, const plot_src *s, double thr, int window, sbuf *b)
{
    memset(b, 0, sizeof *b);
    b->split = NAN;
    b->mae = NAN;
    const char *inst = row_label(s->row, "instance");
    if (!inst)
        inst = row_label(s->row, "node");
    if (inst && p->cfg.names)
        naming_node(p->cfg.names, inst, b->node, sizeof b->node);
    else if (inst)
        naming_host(inst, b->node, sizeof b->node);
    snprintf(b->signal, sizeof b->signal, "%s", s->row->signal ? s->row->signal : "");
    if (series_history(p, s, b) != 0 || anomalies(p, b, thr) != 0)
        return -1;
    if (window)
        trim(p, b);
    return series_forecast(p, s, b);
}

/* The mean over nodes of one signal (HOST_CPU, POD_CPU) as one series, with its backtest. */
static int layer_mean(plot_cycle *p, const plot_src *src, size_t n, const char *signal,
                      double thr, int with_backtest, sbuf *out, size_t *nodes)
{
    memset(out, 0, sizeof *out);
    out->split = NAN;
    out->mae = NAN;
    *nodes = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += src[i].row->signal && strcmp(src[i].row->signal, signal) == 0;
    if (k == 0)
        return 0;
    sbuf *each = calloc(k, sizeof *each);
    const double **ts = calloc(4 * k, sizeof *ts);
    size_t *ns = calloc(2 * k, sizeof *ns);
    const ens_config *shape = NULL;
    int rc = each && ts && ns ? 0 : -1;
    size_t m = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!src[i].row->signal || strcmp(src[i].row->signal, signal) != 0)
            continue;
        rc = one_series(p, &src[i], thr, 0, &each[m]);
        if (!shape)
            shape = history_coarse(p) ? src[i].coarse_cfg : src[i].fine_cfg;
        m++;
    }
    if (rc == 0) {
        const double **vs = ts + k, **fts = ts + 2 * k, **fvs = ts + 3 * k;
        for (size_t i = 0; i < m; i++) {
            ts[i] = each[i].t;
            vs[i] = each[i].v;
            ns[i] = each[i].n;
            fts[i] = each[i].ft;
            fvs[i] = each[i].fm;
            ns[k + i] = each[i].fn;
        }
        out->step = m ? each[0].step : 1;
        out->fstep = 1;
        for (size_t i = 0; i < m; i++)
            if (each[i].fn) {
                out->fstep = each[i].fstep;
                break;
            }
        rc = grid_mean(ts, vs, ns, m, out->step, &out->t, &out->v, &out->n);
        if (rc == 0)
            rc = grid_mean(fts, fvs, ns + k, m, out->fstep, &out->ft, &out->fm, &out->fn);
        if (rc == 0 && out->fn) {           /* the band: mean of the lower and upper bounds */
            for (size_t i = 0; i < m; i++)
                fvs[i] = each[i].fl;
            double *t2 = NULL;
            size_t n2 = 0;
            rc = grid_mean(fts, fvs, ns + k, m, out->fstep, &t2, &out->fl, &n2);
            free(t2);
            for (size_t i = 0; rc == 0 && i < m; i++)
                fvs[i] = each[i].fu;
            t2 = NULL;
            if (rc == 0)
                rc = grid_mean(fts, fvs, ns + k, m, out->fstep, &t2, &out->fu, &n2);
            free(t2);
        }
        if (rc == 0)
            rc = anomalies(p, out, thr);
        if (rc == 0)
            trim(p, out);
        if (rc == 0 && with_backtest)
            rc = backtest(p, shape, out);
        snprintf(out->signal, sizeof out->signal, "%s, mean of %zu node%s", signal, m,
                 m == 1 ? "" : "s");
        *nodes = m;
    }
    for (size_t i = 0; each && i < m; i++)
        sbuf_free(&each[i]);
    free(each);
    free(ts);
    free(ns);
    return rc;
}

static void fill_in(plot_series_in *o, const sbuf *b, const result_row *row, const char *unit)
{
    memset(o, 0, sizeof *o);
    o->signal = b->signal;
    o->unit = unit;
    o->node = b->node;
    o->display = row ? row->display : NULL;
    o->mountpoint = row ? row_label(row, "mountpoint") : NULL;
    o->hist_t = b->t;
    o->hist_v = b->v;
    o->hist_n = b->n;
    o->fc_t = b->ft;
    o->fc_mean = b->fm;
    o->fc_lower = b->fl;
    o->fc_upper = b->fu;
    o->fc_n = b->fn;
    o->bt_t = b->bt;
    o->bt_mean = b->bm;
    o->bt_lower = b->bl;
    o->bt_upper = b->bu;
    o->bt_n = b->bn;
    o->bt_split_t = b->split;
    o->bt_mae = b->mae;
    o->threshold = row && row->has_eta ? row->threshold : NAN;
    o->eta_s = row && row->has_eta ? row->eta[0] : NAN;
    o->anom_t = b->at;
    o->anom_v = b->av;
    o->anom_n = b->an;
}

static int is_ionet(const result_row *r)
{
    return r->layer && (strcmp(r->layer, "io") == 0 || strcmp(r->layer, "net") == 0);
}

/* The catalogue unit of a signal ("ratio", "cores", "bytes_per_second"), or NULL. */
static const char *unit_of(const plot_cycle *p, const char *signal)
{
    const signal_def *sig = signal ? signals_by_id(p->cfg.cat, signal) : NULL;
    return sig ? sig->unit : NULL;
}

int plot_cycle_run(plot_cycle *p, const results *r, const plot_src *src, size_t n, double now,
                   plot_set_stats *stats, char *err, size_t errlen)
{
    double thr = r && r->anomaly_threshold > 0 ? r->anomaly_threshold : 0.75;
    size_t nd = 0, ni = 0;
    for (size_t i = 0; i < n; i++) {
        const result_row *row = src[i].row;
        if (!row->signal)
            continue;
        nd += strcmp(row->signal, "DISK_USAGE") == 0;
        ni += is_ionet(row);
    }
    sbuf *bufs = calloc(nd + ni + 2, sizeof *bufs);
    plot_series_in *ins = calloc(nd + ni + 2, sizeof *ins);
    const result_row **rows = calloc(nd + ni + 2, sizeof *rows);
    plot_node_in *nodes = r && r->nnodes ? calloc(r->nnodes, sizeof *nodes) : NULL;
    int rc = bufs && ins && rows && (!r || !r->nnodes || nodes) ? 0 : -1;
    size_t used = 0, nhost = 0, npod = 0;
    int bt = p->cfg.backtest;
    if (rc == 0)
        rc = layer_mean(p, src, n, "HOST_CPU", thr, bt, &bufs[0], &nhost);
    if (rc == 0)
        rc = layer_mean(p, src, n, "POD_CPU", thr, bt, &bufs[1], &npod);
    if (rc == 0) {
        fill_in(&ins[0], &bufs[0], NULL, unit_of(p, "HOST_CPU"));
        fill_in(&ins[1], &bufs[1], NULL, unit_of(p, "POD_CPU"));
        if (!nhost)
            ins[0].signal = "HOST_CPU";
        if (!npod)
            ins[1].signal = "POD_CPU";
        used = 2;
    }
    /* disks, then I/O and network; of several devices of one node and signal, the plot shows
     * the one with the highest current value (the seed's file name has no device) */
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        size_t start = used;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const result_row *row = src[i].row;
            if (!row->signal ||
                (pass == 0 ? strcmp(row->signal, "DISK_USAGE") != 0 : !is_ionet(row)))
                continue;
            sbuf b;
            rc = one_series(p, &src[i], thr, 1, &b);
            if (rc != 0) {
                sbuf_free(&b);
                break;
            }
            size_t at = used;
            for (size_t j = start; pass == 1 && j < used; j++)
                if (strcmp(bufs[j].node, b.node) == 0 && strcmp(bufs[j].signal, b.signal) == 0)
                    at = j;
            if (at < used && !(b.current > bufs[at].current)) {
                sbuf_free(&b);
                continue;
            }
            if (at < used)
                sbuf_free(&bufs[at]);
            bufs[at] = b;
            rows[at] = row;
            used += at == used;
        }
    }
    for (size_t i = 2; i < used; i++)
        fill_in(&ins[i], &bufs[i], rows[i], unit_of(p, bufs[i].signal));
    for (size_t i = 0; nodes && i < r->nnodes; i++) {
        nodes[i].display = r->nodes[i].display;
        nodes[i].host = r->nodes[i].value[0];
        nodes[i].pod = r->nodes[i].value[2];
        nodes[i].flagged = r->nodes[i].flagged;
        nodes[i].kind = r->nodes[i].kind;
    }
    if (rc == 0) {
        size_t ndisk = 0;
        for (size_t i = 2; i < used && strcmp(bufs[i].signal, "DISK_USAGE") == 0; i++)
            ndisk++;
        plot_set_in in = {.now = now,
                          .host_layer = &ins[0],
                          .pod_layer = &ins[1],
                          .disks = ins + 2,
                          .ndisks = ndisk,
                          .ionet = ins + 2 + ndisk,
                          .nionet = used - 2 - ndisk,
                          .nodes = nodes,
                          .nnodes = nodes ? r->nnodes : 0,
                          .classification = 1,
                          .backtest = bt};
        rc = plot_set_write(&p->cfg.set, &in, stats, err, errlen);
    } else {
        snprintf(err, errlen, "plots: out of memory");
    }
    for (size_t i = 0; bufs && i < nd + ni + 2; i++)
        sbuf_free(&bufs[i]);
    free(bufs);
    free(ins);
    free(rows);
    free(nodes);
    return rc;
}
