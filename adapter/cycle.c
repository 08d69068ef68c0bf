/* SPDX-License-Identifier: Apache-2.0
 * adapter/cycle.c -- the model cycle (see cycle.h). Per series it keeps two ensembles ("parts"):
 * the fine part, at the fine ring's step, serves horizons up to a quarter of the fine ring's span
 * (15m and 1h by default); the coarse part, at the coarse ring's step, serves the longer ones
 * (24h, 7d). A part is fed finished ring buckets (the newest bucket may still change), gets its
 * first full fit once it has MIN_FIT points, then again each time its history has doubled, and
 * at most once a season after that; seasons are detected from the history at each fit. Before
 * its first fit a part still forecasts: its members start as last-value forecasters. */
#include "adapter/cycle.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/classify.h"
#include "adapter/hash.h"
#include "adapter/intern.h"
#include "adapter/log.h"
#include "adapter/plot_cycle.h"
#include "adapter/retrain.h"
#include "adapter/signals.h"
#include "exporter/atomic_file.h"
#include "exporter/report.h"
#include "models/anomaly.h"
#include "models/base.h"
#include "models/codec.h"
#include "models/ensemble.h"
#include "models/eta.h"
#include "models/ring.h"
#include "models/season.h"

#define MIN_FIT 24          /* points before a part's first fit */
#define SKILL_MIN_SCORED 5  /* scored forecasts before skill is exported */
#define ETA_DAYS 30         /* time-to-threshold looks this far ahead (the seed's SOON range) */

typedef struct part {
    int used;
    ens_config cfg;                 /* the shape the state was sized for (largest season) */
    void *state;
    size_t bytes;
    uint32_t nh;                    /* result horizons this part serves */
    uint32_t hidx[CYCLE_MAX_HORIZONS];
    uint32_t steps[CYCLE_MAX_HORIZONS];
    int64_t last_bucket;            /* newest bucket fed; RING_EMPTY before any */
    uint64_t points;                /* buckets fed, gaps included */
    uint64_t fitted_at;             /* points at the last fit; 0 = never fitted */
    int force_fit;                  /* a retrain request: fit at the next chance, past budget */
    int64_t fitted_unix;            /* wall clock of the last fit, unix seconds; 0 = never */
} part;

typedef struct model_entry {
    store_ref ref;
    const istr *const *labels;
    uint32_t nlabels;
    const char *metric;
    const signal_def *sig;          /* the series' catalogue signal, or NULL */
    char *display;                  /* "host02 (192.168.10.82)" of its instance, or NULL */
    part fine, coarse;
    an_state an;                    /* streaming anomaly score over the fine points */
    double anomaly;                 /* highest score of the points fed in the last cycle */
    double current;                 /* the newest fine point fed (NaN before any) */
} model_entry;

struct cycle {
    cycle_config cfg;
    char hname[CYCLE_MAX_HORIZONS][16];
    ens_config fine_cfg, coarse_cfg;            /* every series */
    ens_config fine_lstm_cfg, coarse_lstm_cfg;  /* series named in lstm_metrics: + LSTM */
    int has_fine, has_coarse;
    model_entry **entries;
    size_t n, cap;
    size_t n_generic;               /* entries outside the signal catalogue */
    int refused_logged;
    /* work memory, sized for the larger part */
    float *ring_buf;
    double *hist;
    void *scratch;
    double *work;
    double *path;                   /* mean, lo80, hi80 of the longest path */
    size_t eta_h;                   /* coarse steps in ETA_DAYS */
    double *eta_t;                  /* coarse ring times for the linear ETA */
    /* totals */
    uint64_t cycles, fits;
    double fit_seconds;
    size_t rotate;
    uint64_t fits_printed;
    double printed_at;
    /* thread */
    pthread_t th;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;              /* wakes the thread: stop, or a retrain request */
    pthread_cond_t done_cv;         /* a retrain request was applied */
    int stop;
    /* retrain requests (under mu): the newest pending pair, and what was applied */
    retrain_spec *want[2];          /* [RETRAIN_DISK], [RETRAIN_IO_NET]; NULL = none */
    int want_all;                   /* --training: every series, catalogue or not */
    uint64_t retrain_seq, retrain_done;
    size_t retrain_matched;
    /* plots: the series of this cycle handed to plot_cycle when due */
    plot_cycle *plots;
    double plotted_at;
    plot_src *psrc;
    size_t npsrc;
};

void cycle_horizon_name(double seconds, char *out, size_t cap)
{
    long long s = (long long)llround(seconds);
    if (s % 86400 == 0 && s / 86400 != 1 && s >= 86400 * 2 && s % (86400 * 7) == 0)
        snprintf(out, cap, "%lldd", s / 86400);
    else if (s % 3600 == 0)
        snprintf(out, cap, "%lldh", s / 3600);
    else if (s % 60 == 0)
        snprintf(out, cap, "%lldm", s / 60);
    else
        snprintf(out, cap, "%llds", s);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
    return (double)mai_monotonic_ns() / 1e9;
}

/* Splits the horizons between the parts and builds each part's ensemble shape. */
static void plan(cycle *c)
{
    const cycle_config *k = &c->cfg;
    double fine_span = (double)k->fine_cap * (double)k->fine_step_s;
    uint32_t fsteps[CYCLE_MAX_HORIZONS], csteps[CYCLE_MAX_HORIZONS], nf = 0, nc = 0;
    for (uint32_t h = 0; h < k->nh; h++) {
        cycle_horizon_name(k->horizon_s[h], c->hname[h], sizeof c->hname[h]);
        if (k->horizon_s[h] <= fine_span / 4) {
            double st = floor(k->horizon_s[h] / (double)k->fine_step_s + 0.5);
            uint32_t s = st < 1 ? 1 : (uint32_t)st;
            if (nf == 0 || s > fsteps[nf - 1])
                fsteps[nf++] = s;
        } else {
            double st = ceil(k->horizon_s[h] / (double)k->coarse_step_s - 1e-9);
            uint32_t s = st < 1 ? 1 : (uint32_t)st;
            if (nc == 0 || s > csteps[nc - 1])
                csteps[nc++] = s;
        }
    }
    fc_params fp = {.step_s = (double)k->fine_step_s, .max_history = k->fine_cap};
    if (fine_span >= 2 * 86400.0 && 86400 % k->fine_step_s == 0)
        fp.season_day = (uint32_t)(86400 / k->fine_step_s);
    fc_params cp = {.step_s = (double)k->coarse_step_s, .max_history = k->coarse_cap};
    if ((double)k->coarse_cap * (double)k->coarse_step_s >= 2 * 86400.0 &&
        86400 % k->coarse_step_s == 0) {
        cp.season_day = (uint32_t)(86400 / k->coarse_step_s);
        cp.season_week = cp.season_day * 7;
    }
    c->has_fine = nf > 0;
    c->has_coarse = nc > 0;
    if (c->has_fine)
        ens_config_default(&c->fine_cfg, &fp, fsteps, nf);
    if (c->has_coarse)
        ens_config_default(&c->coarse_cfg, &cp, csteps, nc);
    c->fine_lstm_cfg = c->fine_cfg;
    c->coarse_lstm_cfg = c->coarse_cfg;
    ens_config_add_lstm(&c->fine_lstm_cfg, k->lstm_seq_len, k->lstm_epochs);
    ens_config_add_lstm(&c->coarse_lstm_cfg, k->lstm_seq_len, k->lstm_epochs);
}

static int part_init(const cycle *c, part *p, const ens_config *shape, int coarse)
{
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->cfg = *shape;
    p->last_bucket = RING_EMPTY;
    double fine_span = (double)c->cfg.fine_cap * (double)c->cfg.fine_step_s;
    for (uint32_t h = 0; h < c->cfg.nh; h++) {
        int is_fine = c->cfg.horizon_s[h] <= fine_span / 4;
        if (is_fine == coarse)
            continue;
        double step = coarse ? (double)c->cfg.coarse_step_s : (double)c->cfg.fine_step_s;
        double st = coarse ? ceil(c->cfg.horizon_s[h] / step - 1e-9)
                           : floor(c->cfg.horizon_s[h] / step + 0.5);
        p->hidx[p->nh] = h;
        p->steps[p->nh] = st < 1 ? 1 : (uint32_t)st;
        p->nh++;
    }
    p->bytes = ens_state_size(shape);
    p->state = aligned_alloc(ENS_ALIGN, mai_round_up(p->bytes, ENS_ALIGN));
    if (!p->state)
        return -MAI_ENOMEM;
    return ens_init(p->state, shape);
}

static void part_free(part *p)
{
    free(p->state);
    p->state = NULL;
}

/* Whether metric is one of the comma-separated names in lstm_metrics. */
static int wants_lstm(const cycle *c, const char *metric)
{
    const char *p = c->cfg.lstm_metrics;
    size_t n = strlen(metric);
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, metric, n) == 0)
            return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

static int discover(const store_series_view *v, void *arg)
{
    cycle *c = arg;
    if (*v->model)
        return 0;
    const char *metric = "";
    for (uint32_t i = 0; i < v->nlabels; i++)
        if (strcmp(v->labels[2 * i]->s, "__name__") == 0)
            metric = v->labels[2 * i + 1]->s;
    if (strncmp(metric, "metrics_ai_", 11) == 0)
        return 0;                   /* our own exports, scraped back: never forecast forecasts */
    const signal_def *sig = signals_by_metric(c->cfg.cat, metric);
    /* catalogue signals are always modelled; --model-allow/--model-deny and --max-models
     * choose among the other series */
    if (!sig && ((c->cfg.model_allow && regexec(c->cfg.model_allow, metric, 0, NULL, 0) != 0) ||
                 (c->cfg.model_deny && regexec(c->cfg.model_deny, metric, 0, NULL, 0) == 0)))
        return 0;
    if (!sig && c->n_generic >= c->cfg.max_models) {
        if (!c->refused_logged && c->cfg.max_models > 0) {
            log_msg(LOG_WARN, "model limit %zu reached (--max-models): further series are "
                    "stored but not forecast", c->cfg.max_models);
            c->refused_logged = 1;
        }
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        model_entry **e = realloc(c->entries, cap * sizeof *e);
        if (!e)
            return 1;
        c->entries = e;
        c->cap = cap;
    }
    model_entry *e = calloc(1, sizeof *e);
    if (!e)
        return 1;
    e->ref = v->ref;
    e->labels = (const istr *const *)v->labels;
    e->nlabels = v->nlabels;
    e->metric = metric;
    e->sig = sig;
    e->current = NAN;
    an_config ac;
    an_config_default(&ac);
    an_config_for_step(&ac, (double)c->cfg.fine_step_s);
    ac.direction = (an_direction)c->cfg.anomaly_direction;
    ac.min_change = c->cfg.anomaly_min_change;
    ac.persistence = c->cfg.anomaly_persistence ? c->cfg.anomaly_persistence : 1;
    if (an_init(&e->an, &ac) != 0) {    /* checked by config: the defaults then */
        an_config_default(&ac);
        an_config_for_step(&ac, (double)c->cfg.fine_step_s);
        an_init(&e->an, &ac);
    }
    int lstm = wants_lstm(c, metric);
    int rc = 0;
    if (c->has_fine)
        rc = part_init(c, &e->fine, lstm ? &c->fine_lstm_cfg : &c->fine_cfg, 0);
    if (rc == 0 && c->has_coarse)
        rc = part_init(c, &e->coarse, lstm ? &c->coarse_lstm_cfg : &c->coarse_cfg, 1);
    if (rc != 0) {
        part_free(&e->fine);
        part_free(&e->coarse);
        free(e);
        return 1;
    }
    *v->model = e;
    c->entries[c->n++] = e;
    c->n_generic += !sig;
    return 0;
}

static int member_index(const part *p, const char *name)
{
    for (uint32_t m = 0; m < p->cfg.nm; m++)
        if (strcmp(p->cfg.members[m]->name, name) == 0)
            return (int)m;
    return -1;
}

/* Feeds the buckets finished since the last cycle. */
static void feed(cycle *c, model_entry *e, part *p, int coarse)
{
    size_t cap = coarse ? c->cfg.coarse_cap : c->cfg.fine_cap;
    int64_t first = 0, newest;
    size_t n = store_ring_since(c->cfg.st, e->ref, coarse, p->last_bucket, c->ring_buf, cap,
                                &first, &newest);
    for (size_t i = 0; i < n; i++)
        ens_update(p->state, c->ring_buf[i], c->work);
    if (!coarse && n) {
        e->anomaly = 0;
        for (size_t i = 0; i < n; i++) {
            double a = an_update(&e->an, c->ring_buf[i]);
            e->anomaly = a > e->anomaly ? a : e->anomaly;
            if (isfinite(c->ring_buf[i]))
                e->current = c->ring_buf[i];
        }
    }
    if (n) {
        p->points += n;
        p->last_bucket = first + (int64_t)n - 1;
    }
}

/* Time to the signal's threshold from the coarse part: along the ensemble's path (bounds from
 * its 80% interval), along the Prophet-style member's, and by a robust line through the coarse
 * ring (seconds; INFINITY when not within ETA_DAYS). */
static void eta(cycle *c, model_entry *e, result_row *row)
{
    part *p = &e->coarse;
    if (!e->sig || isnan(e->sig->threshold) || !p->used || p->points == 0)
        return;
    size_t h = c->eta_h;
    double step = (double)c->cfg.coarse_step_s, thr = e->sig->threshold;
    fc_output o = {c->path, c->path + h, c->path + 2 * h, NULL, NULL};
    ens_forecast(p->state, h, &o, c->work);
    int64_t first = 0, newest;
    size_t n = store_ring_since(c->cfg.st, e->ref, 1, RING_EMPTY, c->ring_buf, c->cfg.coarse_cap,
                                &first, &newest);
    double current = n ? c->ring_buf[n - 1] : NAN;
    row->threshold = thr;
    row->eta[0] = eta_from_path(c->path, h, step, thr, current);
    row->eta_lower = eta_from_path(c->path + 2 * h, h, step, thr, current);  /* hi80: earliest */
    row->eta_upper = eta_from_path(c->path + h, h, step, thr, current);      /* lo80: latest */
    int pm = member_index(p, "prophet");
    fc_output po = {c->path, NULL, NULL, NULL, NULL};
    row->eta[2] = pm >= 0 && ens_member_forecast(p->state, (uint32_t)pm, h, &po) == 0
                      ? eta_from_path(c->path, h, step, thr, current) : INFINITY;
    for (size_t i = 0; i < n; i++) {
        c->eta_t[i] = (double)(first + (int64_t)i) * step;
        c->hist[i] = c->ring_buf[i];
    }
    row->eta[1] = n >= 3 ? eta_linear(c->eta_t, c->hist, n, thr, ETA_DAYS * 86400.0, NULL, NULL)
                         : INFINITY;
    row->has_eta = 1;
}

/* The label value of an entry, or NULL. */
static const char *entry_label(const model_entry *e, const char *name)
{
    for (uint32_t i = 0; i < e->nlabels; i++)
        if (strcmp(e->labels[2 * i]->s, name) == 0)
            return e->labels[2 * i + 1]->s;
    return NULL;
}

/* The catalogue signal's alert categories: disk levels, I/O and network crisis (saturation
 * within ETA_DAYS), I/O and network anomaly and golden-signal anomaly (score at or above the
 * alert threshold now). */
static void signal_alerts(cycle *c, model_entry *e, result_row *row, results *r)
{
    if (!e->sig)
        return;
    row->signal = e->sig->id;
    row->layer = e->sig->layer;
    /* names are learned from node_uname_info as it arrives: the display may change */
    const char *inst = entry_label(e, "instance");
    char buf[256];
    if (inst && (c->cfg.names ? naming_display(c->cfg.names, inst, buf, sizeof buf)
                              : naming_host(inst, buf, sizeof buf)) &&
        (!e->display || strcmp(e->display, buf) != 0)) {
        char *d = strdup(buf);
        if (d) {
            free(e->display);   /* the cycle's copy; each published set owns its own */
            e->display = d;
        }
    }
    row->display = e->display ? strdup(e->display) : NULL;
    int io_net = strcmp(e->sig->layer, "io") == 0 || strcmp(e->sig->layer, "net") == 0;
    int golden = strcmp(e->sig->layer, "golden") == 0;
    if (row->has_eta && strcmp(e->sig->id, "DISK_USAGE") == 0) {
        int level = eta_alert_level(eta_days_seed(row->eta[0]));
        r->disk_critical += level == ETA_CRITICAL;
        r->disk_warning += level == ETA_WARNING;
        r->disk_soon += level == ETA_SOON;
    } else if (row->has_eta && io_net) {
        r->io_network_crisis += row->eta[0] <= ETA_DAYS * 86400.0;
    }
    row->anomalous = (io_net || golden) && row->anomaly >= r->anomaly_threshold;
    r->io_network_anomaly += (uint64_t)(row->anomalous && io_net);
    r->golden_anomaly += (uint64_t)(row->anomalous && golden);
}

static int fit_due(const part *p)
{
    if (p->points < MIN_FIT)
        return 0;
    if (p->fitted_at == 0)
        return 1;
    uint64_t period = p->cfg.p.season_day ? p->cfg.p.season_week ? p->cfg.p.season_week
                                                                 : p->cfg.p.season_day
                                          : p->cfg.p.max_history;
    uint64_t since = p->points - p->fitted_at;
    return since >= p->fitted_at || since >= period;
}

/* Full fit on the whole ring history, with the season the data show. */
/* --dump-csv: the exact points a fit trains on, as DIR/<metric>[_<instance>][_<mountpoint or
 * device>]_<label hash>.<fine|coarse>.csv with `timestamp,value` (seconds; empty buckets left
 * out), which `metrics-ai predict --input` reads back. Replaced at every fit. */
static void dump_training(cycle *c, const model_entry *e, int coarse, int64_t first,
                          const double *y, size_t n)
{
    char name[400];
    size_t len = 0;
    const char *parts[3] = {e->metric, entry_label(e, "instance"), entry_label(e, "mountpoint")};
    if (!parts[2])
        parts[2] = entry_label(e, "device");
    uint64_t h = 0;
    for (uint32_t i = 0; i < 2 * e->nlabels; i++)
        h = mai_hash_bytes(e->labels[i]->s, strlen(e->labels[i]->s) + 1, h);
    for (int k = 0; k < 3; k++) {
        if (!parts[k] || !*parts[k])
            continue;
        if (len)
            name[len++] = '_';
        for (const char *q = parts[k]; *q && len < 200 * (size_t)(k + 1) / 3 + 60; q++)
            name[len++] = (isalnum((unsigned char)*q) || *q == '.' || *q == '-') ? *q : '_';
    }
    snprintf(name + len, sizeof name - len, "_%016llx.%s.csv", (unsigned long long)h,
             coarse ? "coarse" : "fine");
    atomic_file af;
    char err[512];
    if (atomic_open(&af, c->cfg.dump_csv_dir, name, err, sizeof err) != 0) {
        log_msg(LOG_WARN, "--dump-csv: %s", err);
        return;
    }
    int64_t step = coarse ? c->cfg.coarse_step_s : c->cfg.fine_step_s;
    fputs("timestamp,value\n", af.f);
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i]))
            fprintf(af.f, "%lld,%.17g\n", (long long)((first + (int64_t)i) * step), y[i]);
    if (atomic_commit(&af, err, sizeof err) != 0)
        log_msg(LOG_WARN, "--dump-csv: %s", err);
}

static void fit(cycle *c, model_entry *e, part *p, int coarse)
{
    size_t cap = coarse ? c->cfg.coarse_cap : c->cfg.fine_cap;
    int64_t first = 0, newest;
    size_t n = store_ring_since(c->cfg.st, e->ref, coarse, RING_EMPTY, c->ring_buf, cap, &first,
                                &newest);
    if (n < MIN_FIT)
        return;
    for (size_t i = 0; i < n; i++)
        c->hist[i] = c->ring_buf[i];
    if (c->cfg.dump_csv_dir)
        dump_training(c, e, coarse, first, c->hist, n);
    double t0 = cpu_now();
    if (c->cfg.minimal_refits && p->fitted_at > 0 && !p->force_fit) {
        /* --forecast: the seed's minimal update. Seasons, ARIMA orders, Prophet
         * hyperparameters and the error history are kept; coefficients are re-estimated on the
         * recent data and the LSTM is fine-tuned. */
        ens_fit(p->state, c->hist, n, 1, c->scratch, c->work);
    } else {
        ens_config shape = p->cfg;
        uint32_t day = p->cfg.p.season_day;
        shape.p.season_day = day ? season_detect(c->hist, n, &day, 1, SEASON_MIN_ACF) : 0;
        shape.p.season_week = shape.p.season_day ? p->cfg.p.season_week : 0;
        ens_init(p->state, &shape);
        ens_fit(p->state, c->hist, n, 0, c->scratch, c->work);
    }
    c->fit_seconds += cpu_now() - t0;
    c->fits++;
    p->last_bucket = first + (int64_t)n - 1;
    if (p->points < n)
        p->points = n;
    p->fitted_at = p->points;
    p->force_fit = 0;
    p->fitted_unix = (int64_t)time(NULL);
}


/* Sums over ready series for the per-model figures of a result set. */
typedef struct agg {
    double err_sum[RESULTS_MAX_HORIZONS][RESULTS_MAX_MODELS];
    double err_n[RESULTS_MAX_HORIZONS][RESULTS_MAX_MODELS];
    double ens_sum[RESULTS_MAX_HORIZONS], ens_n[RESULTS_MAX_HORIZONS];
    double w_sum[RESULTS_MAX_MODELS], w_n[RESULTS_MAX_MODELS];
} agg;

/* Forecasts a part's horizons into the row; adds its members' errors and weights to a. */
static void forecast(cycle *c, const part *p, result_row *row, agg *a, double *fallback)
{
    size_t h = p->steps[p->nh - 1];
    fc_output o = {c->path, c->path + h, c->path + 2 * h, NULL, NULL};
    ens_forecast(p->state, h, &o, c->work);
    ens_info info;
    ens_get_info(p->state, &info);
    if (info.observed == 0 && !isnan(fallback[0])) {
        /* no bucket finished yet at this step (the coarse ring's first hour): the longest
         * forecast the other part has stands in, rather than a forecast of nothing */
        for (size_t k = 0; k < h; k++) {
            c->path[k] = fallback[0];
            c->path[h + k] = fallback[1];
            c->path[2 * h + k] = fallback[2];
        }
    }
    fallback[0] = c->path[h - 1];
    fallback[1] = c->path[2 * h - 1];
    fallback[2] = c->path[3 * h - 1];
    int sn = member_index(p, "snaive");
    for (uint32_t i = 0; i < p->nh; i++) {
        uint32_t k = p->steps[i], hi = p->hidx[i], j = 0;
        while (j + 1 < p->cfg.nh && p->cfg.horizons[j] < k)    /* the ensemble's horizon index */
            j++;
        row->mean[hi] = c->path[k - 1];
        row->lower[hi] = c->path[h + k - 1];
        row->upper[hi] = c->path[2 * h + k - 1];
        row->skill[hi] = NAN;
        if (info.scored[j] >= SKILL_MIN_SCORED && sn >= 0 && info.mae[j][sn] > 0)
            row->skill[hi] = info.mae_ens[j] / info.mae[j][sn];
        if (p->fitted_at == 0 || info.scored[j] < SKILL_MIN_SCORED || !(info.scale > 0))
            continue;
        for (uint32_t m = 0; m < p->cfg.nm && m < RESULTS_MAX_MODELS; m++) {
            a->err_sum[hi][m] += info.mae[j][m] / info.scale;
            a->err_n[hi][m] += 1;
            a->w_sum[m] += info.weight[j][m];
            a->w_n[m] += 1;
        }
        a->ens_sum[hi] += info.mae_ens[j] / info.scale;
        a->ens_n[hi] += 1;
    }
}

/* Keeps the path forecast() just left in c->path as the row's curve for remote read: the
 * forecast for bucket last_bucket + 1 + k, at the part's own step. Absent (n = 0) before the part
 * has seen a bucket, or when out of memory. */
static void keep_curve(const cycle *c, const part *p, int coarse, result_row *row)
{
    size_t h = p->steps[p->nh - 1];
    if (p->last_bucket == RING_EMPTY || h == 0)
        return;
    float *m = malloc(3 * h * sizeof *m);
    if (!m)
        return;
    for (size_t k = 0; k < 3 * h; k++)
        m[k] = (float)c->path[k];
    int64_t step_ms = 1000 * (coarse ? c->cfg.coarse_step_s : c->cfg.fine_step_s);
    row->curve[coarse] = (result_curve){.start_ms = (p->last_bucket + 1) * step_ms,
                                        .step_ms = step_ms, .n = (uint32_t)h,
                                        .mean = m, .lower = m + h, .upper = m + 2 * h};
}

static void free_results(results *r)
{
    free(r->nodes);
    for (size_t i = 0; i < r->nrows; i++) {
        free((void *)r->rows[i].labels);
        free((void *)r->rows[i].display);
        for (int k = 0; k < RESULTS_CURVES; k++)
            free(r->rows[i].curve[k].mean);
    }
    free(r->rows);
    free(r);
}

static int work_alloc(cycle *c)
{
    size_t cap = c->cfg.fine_cap > c->cfg.coarse_cap ? c->cfg.fine_cap : c->cfg.coarse_cap;
    size_t wbytes = 0, sbytes = 0, maxh = 1;
    if (c->has_fine) {
        uint32_t h = c->fine_lstm_cfg.horizons[c->fine_lstm_cfg.nh - 1];
        wbytes = ens_work_size(&c->fine_lstm_cfg, h);
        sbytes = ens_fit_scratch_size(&c->fine_lstm_cfg, c->cfg.fine_cap);
        maxh = h;
    }
    if (c->has_coarse) {
        uint32_t h = c->coarse_lstm_cfg.horizons[c->coarse_lstm_cfg.nh - 1];
        size_t w = ens_work_size(&c->coarse_lstm_cfg, h),
               s = ens_fit_scratch_size(&c->coarse_lstm_cfg, c->cfg.coarse_cap);
        wbytes = w > wbytes ? w : wbytes;
        sbytes = s > sbytes ? s : sbytes;
        maxh = h > maxh ? h : maxh;
    }
    c->ring_buf = malloc(cap * sizeof *c->ring_buf);
    c->hist = malloc(cap * sizeof *c->hist);
    c->scratch = aligned_alloc(ENS_ALIGN, mai_round_up(sbytes + 64, ENS_ALIGN));
    c->work = aligned_alloc(ENS_ALIGN, mai_round_up(wbytes, ENS_ALIGN));
    c->eta_h = (size_t)(ETA_DAYS * 86400 / c->cfg.coarse_step_s);
    if (c->has_coarse) {
        size_t w = ens_work_size(&c->coarse_lstm_cfg, c->eta_h);
        if (w > wbytes) {
            free(c->work);
            wbytes = w;
            c->work = aligned_alloc(ENS_ALIGN, mai_round_up(wbytes, ENS_ALIGN));
        }
        maxh = c->eta_h > maxh ? c->eta_h : maxh;
    }
    c->path = malloc(3 * maxh * sizeof *c->path);
    c->eta_t = malloc(cap * sizeof *c->eta_t);
    return (c->ring_buf && c->hist && c->scratch && c->work && c->path && c->eta_t)
               ? 0 : -MAI_ENOMEM;
}

/* The --show-backtest table: the online backtest every ensemble keeps (each member's forecasts
 * scored when their targets arrived), as mean MASE over the ready series. */
static void print_backtest(const results *r)
{
    printf("backtest: mean MASE over %llu ready series (forecasts scored online; MASE = MAE / "
           "mean absolute one-step change)\n%-8s", (unsigned long long)r->models_ready, "horizon");
    for (uint32_t m = 0; m < r->nm; m++)
        printf(" %9s", r->model[m]);
    printf(" %9s\n", "ensemble");
    for (uint32_t h = 0; h < r->nh; h++) {
        printf("%-8s", r->horizon[h]);
        for (uint32_t m = 0; m < r->nm; m++)
            printf(" %9.3f", r->model_error[h][m]);
        printf(" %9.3f\n", r->ensemble_error[h]);
    }
    fflush(stdout);
}

/* Node classification over the catalogue's host and pod layer signals. */
static void classify_nodes(cycle *c, results *r)
{
    r->node_threshold = NAN;
    if (c->cfg.names)
        naming_learn_from_store(c->cfg.names, c->cfg.st);
    classify_config cc = {.lookback_hrs = c->cfg.lookback_hrs,
                          .contamination = c->cfg.contamination};
    classify_result cr;
    if (classify_run(c->cfg.st, c->cfg.names, &cc, &cr) == 0 && cr.n > 0) {
        r->nodes = calloc(cr.n, sizeof *r->nodes);
        for (size_t i = 0; r->nodes && i < cr.n; i++) {
            const classify_row *k = &cr.rows[i];
            result_node *o = &r->nodes[i];
            snprintf(o->node, sizeof o->node, "%s", k->node);
            snprintf(o->display, sizeof o->display, "%s", k->display);
            o->value[0] = k->host_cpu;
            o->value[1] = k->host_mem;
            o->value[2] = k->pod_cpu;
            o->value[3] = k->pod_mem;
            memcpy(o->contrib, k->contrib, sizeof o->contrib);
            o->score = k->score;
            o->flagged = k->flagged;
            o->severity = k->severity;
            o->kind = k->flagged && k->kind ? k->kind : "";
            o->host_pressure = k->host_pressure;
        }
        if (r->nodes)
            r->nnodes = cr.n;
        r->node_threshold = cr.threshold;
    }
    classify_result_free(&cr);
}

static int has_disk_rows(const results *r)
{
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].has_eta && strcmp(r->rows[i].signal, "DISK_USAGE") == 0)
            return 1;
    return 0;
}

/* Applies the pending retrain request, if any: every catalogue series it names is fitted again
 * from its whole ring at this cycle, whatever the fit budget. */
static void apply_retrain(cycle *c)
{
    pthread_mutex_lock(&c->mu);
    retrain_spec *want[2] = {c->want[0], c->want[1]};
    uint64_t seq = c->retrain_seq;
    int all = c->want_all;
    c->want[0] = c->want[1] = NULL;
    c->want_all = 0;
    pthread_mutex_unlock(&c->mu);
    if (seq == c->retrain_done)
        return;
    size_t matched = 0;
    for (size_t k = 0; k < c->n; k++) {
        model_entry *e = c->entries[k];
        if (all) {
            e->fine.force_fit = e->fine.used;
            e->coarse.force_fit = e->coarse.used;
            matched++;
            continue;
        }
        if (!e->sig)
            continue;
        const char *inst = entry_label(e, "instance");
        char node[256], host[256];
        const char *names[3] = {NULL, NULL, inst};
        if (inst) {
            names[0] = c->cfg.names ? naming_node(c->cfg.names, inst, node, sizeof node)
                                    : naming_host(inst, node, sizeof node);
            names[1] = naming_host(inst, host, sizeof host);
        }
        const char *mount = entry_label(e, "mountpoint");
        if (retrain_matches(want[0], e->sig->id, e->sig->layer, names, mount) ||
            retrain_matches(want[1], e->sig->id, e->sig->layer, names, mount)) {
            e->fine.force_fit = e->fine.used;
            e->coarse.force_fit = e->coarse.used;
            matched++;
        }
    }
    if (all)
        log_msg(LOG_INFO, "training: every one of the %zu modelled series is fitted again",
                matched);
    else
        log_msg(LOG_INFO, "retrain: %zu catalogue series named (disk %s, I/O and network %s)",
                matched, want[0] ? "requested" : "-", want[1] ? "requested" : "-");
    free(want[0]);
    free(want[1]);
    pthread_mutex_lock(&c->mu);
    c->retrain_done = seq;
    c->retrain_matched = matched;
    pthread_cond_broadcast(&c->done_cv);
    pthread_mutex_unlock(&c->mu);
}

int cycle_retrain(cycle *c, const retrain_spec *disk, const retrain_spec *io_net, double wait_s,
                  size_t *matched)
{
    retrain_spec *copy[2] = {NULL, NULL};
    const retrain_spec *in[2] = {disk, io_net};
    for (int i = 0; i < 2; i++) {
        if (!in[i] || (!in[i]->all && in[i]->n == 0))
            continue;
        copy[i] = malloc(sizeof *copy[i]);
        if (!copy[i]) {
            free(copy[0]);
            return -MAI_ENOMEM;
        }
        *copy[i] = *in[i];
    }
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < 2; i++) {   /* a newer request replaces a pending one */
        free(c->want[i]);
        c->want[i] = copy[i];
    }
    uint64_t seq = ++c->retrain_seq;
    pthread_cond_signal(&c->cv);
    int rc = 1;
    if (wait_s > 0 && c->running) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double end = (double)until.tv_sec + until.tv_nsec / 1e9 + wait_s;
        until.tv_sec = (time_t)end;
        until.tv_nsec = (long)((end - (double)until.tv_sec) * 1e9);
        while (c->retrain_done < seq &&
               pthread_cond_timedwait(&c->done_cv, &c->mu, &until) == 0)
            ;
    }
    if (c->retrain_done >= seq) {
        if (matched)
            *matched = c->retrain_matched;
        rc = 0;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void cycle_visit_models(cycle *c, int (*fn)(const cycle_model_view *v, void *ctx), void *ctx)
{
    const char *lab[2 * 64];
    for (size_t k = 0; k < c->n; k++) {
        const model_entry *e = c->entries[k];
        uint32_t nl = e->nlabels < 64 ? e->nlabels : 64;
        for (uint32_t i = 0; i < 2 * nl; i++)
            lab[i] = e->labels[i]->s;
        cycle_model_view v = {.ref = e->ref, .metric = e->metric, .labels = lab, .nlabels = nl,
                              .sig = e->sig, .display = e->display};
        const part *parts[2] = {&e->fine, &e->coarse};
        for (int i = 0; i < 2; i++)
            v.part[i] = (cycle_part_view){
                .used = parts[i]->used,
                .step_s = i ? (int64_t)c->cfg.coarse_step_s : (int64_t)c->cfg.fine_step_s,
                .last_bucket = parts[i]->last_bucket, .points = parts[i]->points,
                .fitted_at = parts[i]->fitted_at, .fitted_unix = parts[i]->fitted_unix,
                .cfg = &parts[i]->cfg, .state = parts[i]->state};
        if (fn(&v, ctx) != 0)
            return;
    }
}

void cycle_fit_all(cycle *c)
{
    pthread_mutex_lock(&c->mu);
    c->want_all = 1;
    c->retrain_seq++;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Plots (adapter/plot_cycle.h): created with the cycle when --plot-interval is set. */
static int plot_setup(cycle *c)
{
    if (c->cfg.plot_interval_s == 0)
        return 0;
    plot_cycle_config pc = {.st = c->cfg.st, .names = c->cfg.names, .set = c->cfg.plot_set,
                            .cat = c->cfg.cat,
                            .fine_step_s = c->cfg.fine_step_s,
                            .coarse_step_s = c->cfg.coarse_step_s, .fine_cap = c->cfg.fine_cap,
                            .coarse_cap = c->cfg.coarse_cap, .backtest = c->cfg.plot_backtest,
                            .train_fraction = c->cfg.train_fraction > 0 ? c->cfg.train_fraction
                                                                        : 0.8};
    an_config_default(&pc.an);
    an_config_for_step(&pc.an, (double)c->cfg.fine_step_s);
    pc.an.direction = (an_direction)c->cfg.anomaly_direction;
    pc.an.min_change = c->cfg.anomaly_min_change;
    pc.an.persistence = c->cfg.anomaly_persistence ? c->cfg.anomaly_persistence : 1;
    int rc = plot_cycle_create(&pc, &c->plots);
    if (rc == -MAI_EINVAL)      /* e.g. an empty FORECAST_PLOTS_DIR: the cycle runs without */
        log_msg(LOG_WARN, "plots: not written (directory \"%s\", windows %d h + %d h)",
                c->cfg.plot_set.dir ? c->cfg.plot_set.dir : "", c->cfg.plot_set.history_hours,
                c->cfg.plot_set.forecast_hours);
    return rc == -MAI_EINVAL ? 0 : rc;
}

/* When plots are due this cycle, the list of series to hand them is started. */
static void plot_begin(cycle *c)
{
    c->npsrc = 0;
    free(c->psrc);
    c->psrc = NULL;
    if (c->plots && c->n &&
        (c->plotted_at == 0 || wall_now() - c->plotted_at >= c->cfg.plot_interval_s - 0.5))
        c->psrc = calloc(c->n, sizeof *c->psrc);
}

static void plot_note(cycle *c, const model_entry *e, const result_row *row)
{
    if (!c->psrc || !e->sig || c->npsrc >= c->n)
        return;
    c->psrc[c->npsrc++] = (plot_src){
        .row = row, .ref = e->ref,
        .fine_state = e->fine.used ? e->fine.state : NULL,
        .coarse_state = e->coarse.used ? e->coarse.state : NULL,
        .fine_cfg = e->fine.used ? &e->fine.cfg : NULL,
        .coarse_cfg = e->coarse.used ? &e->coarse.cfg : NULL};
}

static void plot_write(cycle *c, const results *r)
{
    if (!c->psrc)
        return;
    plot_set_stats stats;
    char err[512];
    /* "now" is the newest history point: the plots stay readable when data stops arriving */
    if (plot_cycle_run(c->plots, r, c->psrc, c->npsrc, NAN, &stats, err, sizeof err) != 0)
        log_msg(LOG_WARN, "%s", err);
    else
        log_msg(LOG_DEBUG, "plots: %zu files in %.3f s", stats.written, stats.seconds);
    c->plotted_at = wall_now();
    free(c->psrc);
    c->psrc = NULL;
}

void cycle_run_once(cycle *c)
{
    double w0 = wall_now();
    mai_str all = {"", 0};
    store_visit(c->cfg.st, all, discover, c);
    apply_retrain(c);
    plot_begin(c);

    results *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->free_fn = free_results;
    r->rows = calloc(c->n ? c->n : 1, sizeof *r->rows);
    if (!r->rows) {
        free(r);
        return;
    }
    r->nh = c->cfg.nh;
    r->anomaly_threshold = c->cfg.anomaly_threshold > 0 ? c->cfg.anomaly_threshold : 0.75;
    for (uint32_t h = 0; h < c->cfg.nh; h++)
        memcpy(r->horizon[h], c->hname[h], sizeof r->horizon[h]);
    const ens_config *shape = c->has_fine ? &c->fine_lstm_cfg : &c->coarse_lstm_cfg;
    r->nm = shape->nm < RESULTS_MAX_MODELS ? shape->nm : RESULTS_MAX_MODELS;
    for (uint32_t m = 0; m < r->nm; m++)
        snprintf(r->model[m], sizeof r->model[m], "%s", shape->members[m]->name);

    agg a;
    memset(&a, 0, sizeof a);
    double fit_start = c->fit_seconds;
    size_t fits_this_cycle = 0;
    for (size_t k = 0; k < c->n; k++) {
        model_entry *e = c->entries[(k + c->rotate) % c->n];
        part *parts[2] = {e->fine.used ? &e->fine : NULL, e->coarse.used ? &e->coarse : NULL};
        for (int pi = 0; pi < 2; pi++) {
            part *p = parts[pi];
            if (!p)
                continue;
            feed(c, e, p, pi);
            int budget_left = fits_this_cycle == 0 ||
                              c->fit_seconds - fit_start < c->cfg.fit_budget_s;
            if ((fit_due(p) && budget_left) || (p->force_fit && p->points >= MIN_FIT)) {
                fit(c, e, p, pi);
                fits_this_cycle++;
            }
        }
        result_row *row = &r->rows[r->nrows++];
        const char **lab = malloc(2 * (e->nlabels ? e->nlabels : 1) * sizeof *lab);
        if (!lab) {
            r->nrows--;
            continue;
        }
        for (uint32_t i = 0; i < 2 * e->nlabels; i++)
            lab[i] = e->labels[i]->s;
        row->labels = lab;
        row->nlabels = e->nlabels;
        row->metric = e->metric;
        row->ready = 1;
        double fallback[3] = {NAN, NAN, NAN};
        for (int pi = 0; pi < 2; pi++) {
            part *p = parts[pi];
            if (!p)
                continue;
            forecast(c, p, row, &a, fallback);
            keep_curve(c, p, pi, row);
            row->points += p->points;
            row->ready &= p->fitted_at > 0;
            r->state_bytes += p->bytes;
        }
        row->anomaly = e->anomaly;
        row->current = e->current;
        eta(c, e, row);
        signal_alerts(c, e, row, r);
        r->models_ready += (uint64_t)row->ready;
        plot_note(c, e, row);
    }
    c->rotate = c->n ? (c->rotate + 1) % c->n : 0;
    for (uint32_t h = 0; h < r->nh; h++) {
        for (uint32_t m = 0; m < r->nm; m++)
            r->model_error[h][m] = a.err_n[h][m] > 0 ? a.err_sum[h][m] / a.err_n[h][m] : NAN;
        r->ensemble_error[h] = a.ens_n[h] > 0 ? a.ens_sum[h] / a.ens_n[h] : NAN;
    }
    for (uint32_t m = 0; m < r->nm; m++)
        r->ensemble_weight[m] = a.w_n[m] > 0 ? a.w_sum[m] / a.w_n[m] : NAN;
    c->cycles++;
    r->cycles = c->cycles;
    r->fits = c->fits;
    r->fit_seconds = c->fit_seconds;
    r->models = c->n;
    r->cycle_seconds = wall_now() - w0;
    if (c->cfg.show_backtest && c->fits > c->fits_printed && r->models_ready > 0 &&
        (c->fits_printed == 0 || wall_now() - c->printed_at >= 600)) {
        print_backtest(r);
        c->fits_printed = c->fits;
        c->printed_at = wall_now();
    }
    classify_nodes(c, r);
    plot_write(c, r);
    if (c->cfg.console)
        report_console(r, stdout, c->cfg.verbosity);
    if (c->cfg.reports_dir && has_disk_rows(r)) {
        char err[512];
        if (report_disk_csv(r, c->cfg.reports_dir, err, sizeof err) != 0)
            log_msg(LOG_WARN, "%s", err);
    }
    results_publish(c->cfg.box, r);
}

static void *thread_main(void *arg)
{
    cycle *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        pthread_mutex_unlock(&c->mu);
        cycle_run_once(c);
        if (c->cfg.after_cycle)
            c->cfg.after_cycle(c->cfg.after_cycle_arg);
        pthread_mutex_lock(&c->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += c->cfg.interval_s;
        while (!c->stop && c->retrain_seq == c->retrain_done &&
               pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int cycle_create(const cycle_config *cfg, int start, cycle **out)
{
    if (!cfg->st || !cfg->box || cfg->nh == 0 || cfg->nh > CYCLE_MAX_HORIZONS ||
        cfg->fine_step_s <= 0 || cfg->coarse_step_s <= 0 || cfg->interval_s == 0)
        return -MAI_EINVAL;
    for (uint32_t h = 1; h < cfg->nh; h++)
        if (!(cfg->horizon_s[h] > cfg->horizon_s[h - 1]))
            return -MAI_EINVAL;
    cycle *c = calloc(1, sizeof *c);
    if (!c)
        return -MAI_ENOMEM;
    c->cfg = *cfg;
    plan(c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_cond_init(&c->done_cv, NULL);
    if (work_alloc(c) != 0 || plot_setup(c) != 0) {
        cycle_destroy(c);
        return -MAI_ENOMEM;
    }
    if (start) {
        if (pthread_create(&c->th, NULL, thread_main, c) != 0) {
            cycle_destroy(c);
            return -MAI_ENOMEM;
        }
        c->running = 1;
    }
    *out = c;
    return 0;
}

static int forget(const store_series_view *v, void *arg)
{
    (void)arg;
    *v->model = NULL;
    return 0;
}

void cycle_destroy(cycle *c)
{
    if (!c)
        return;
    if (c->running) {
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->th, NULL);
    }
    if (c->cfg.show_backtest && c->fits > c->fits_printed) {
        const results *r = results_acquire(c->cfg.box);
        if (r && r->models_ready > 0)
            print_backtest(r);
        results_release(c->cfg.box, r);
    }
    if (c->n) {                     /* the store outlives us: leave no pointer to freed models */
        mai_str all = {"", 0};
        store_visit(c->cfg.st, all, forget, NULL);
    }
    for (size_t i = 0; i < c->n; i++) {
        part_free(&c->entries[i]->fine);
        part_free(&c->entries[i]->coarse);
        free(c->entries[i]->display);
        free(c->entries[i]);
    }
    free(c->entries);
    free(c->ring_buf);
    free(c->hist);
    free(c->scratch);
    free(c->work);
    free(c->path);
    free(c->eta_t);
    free(c->want[0]);
    free(c->want[1]);
    plot_cycle_destroy(c->plots);
    free(c->psrc);
    pthread_cond_destroy(&c->cv);
    pthread_cond_destroy(&c->done_cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* ---- thread control and persistence (adapter/snapshot.c) ---- */

int cycle_start(cycle *c)
{
    if (c->running)
        return 0;
    c->stop = 0;
    if (pthread_create(&c->th, NULL, thread_main, c) != 0)
        return -MAI_ENOMEM;
    c->running = 1;
    return 0;
}

void cycle_stop(cycle *c)
{
    if (!c->running)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->th, NULL);
    c->running = 0;
}

/* Record: 'E', parts u8 (bit 0 fine, bit 1 coarse), 0, 0; nlabels u32, per label name and value
 * (length u32, bytes); anomaly f64; an_state size u32 and bytes (host layout: the anomaly
 * module owns it); per part present: last_bucket i64, points u64, fitted_at u64, ens_save length
 * u32 and bytes. Little-endian apart from the anomaly blob. */
typedef struct sbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} sbuf;

static uint8_t *sb_room(sbuf *b, size_t k)
{
    if (b->n + k > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->n + k)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return NULL;
        }
        b->p = q;
        b->cap = cap;
    }
    b->n += k;
    return b->p + b->n - k;
}

static void sb_put(sbuf *b, const void *p, size_t k)
{
    uint8_t *q = sb_room(b, k);
    if (q)
        memcpy(q, p, k);
}

static void sb_u32(sbuf *b, uint32_t v)
{
    uint8_t *q = sb_room(b, 4);
    if (q)
        le_put_u32(q, v);
}

static void sb_u64(sbuf *b, uint64_t v)
{
    uint8_t *q = sb_room(b, 8);
    if (q)
        le_put_u64(q, v);
}

static void save_part(sbuf *b, const part *p)
{
    sb_u64(b, (uint64_t)p->last_bucket);
    sb_u64(b, p->points);
    sb_u64(b, p->fitted_at);
    sb_u64(b, (uint64_t)p->fitted_unix);
    size_t need = ens_save(p->state, NULL, 0);
    sb_u32(b, (uint32_t)need);
    uint8_t *q = sb_room(b, need);
    if (q)
        ens_save(p->state, q, need);
}

int cycle_save(cycle *c, store_record_fn fn, void *ctx)
{
    sbuf b = {0};
    int rc = 0;
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        const model_entry *e = c->entries[i];
        b.n = 0;
        /* head[2]: record version; 1 adds each part's fit time */
        const uint8_t head[4] = {'E', (uint8_t)(e->fine.used | e->coarse.used << 1), 1, 0};
        sb_put(&b, head, sizeof head);
        sb_u32(&b, e->nlabels);
        for (uint32_t k = 0; k < 2 * e->nlabels; k++) {
            sb_u32(&b, e->labels[k]->n);
            sb_put(&b, e->labels[k]->s, e->labels[k]->n);
        }
        sb_u64(&b, mai_double_bits(e->anomaly));
        sb_u32(&b, (uint32_t)sizeof e->an);
        sb_put(&b, &e->an, sizeof e->an);
        if (e->fine.used)
            save_part(&b, &e->fine);
        if (e->coarse.used)
            save_part(&b, &e->coarse);
        rc = b.oom ? -MAI_ENOMEM : fn(ctx, b.p, b.n);
    }
    free(b.p);
    return rc;
}

typedef struct saved_part {
    int64_t last_bucket, fitted_unix;
    uint64_t points, fitted_at;
    const uint8_t *blob;
    uint32_t len;
} saved_part;

static void read_part(codec_rd *r, saved_part *sp, int version)
{
    sp->last_bucket = (int64_t)codec_u64(r);
    sp->points = codec_u64(r);
    sp->fitted_at = codec_u64(r);
    sp->fitted_unix = version >= 1 ? (int64_t)codec_u64(r) : 0;
    sp->len = codec_u32(r);
    sp->blob = codec_take(r, sp->len);
}

typedef struct load_ctx {
    cycle *c;
    model_entry *e;
    int dup;
} load_ctx;

static int load_visit(const store_series_view *v, void *arg)
{
    load_ctx *lc = arg;
    if (*v->model) {
        lc->dup = 1;
        return 0;
    }
    size_t before = lc->c->n;
    discover(v, lc->c);
    lc->e = lc->c->n > before ? lc->c->entries[before] : NULL;
    return 0;
}

/* Puts a saved part back; 0, or -MAI_EINVAL when the part starts empty instead. A newest
 * bucket whose time (bucket * step_ms) is past the range of int64 milliseconds is refused. */
static int load_part(part *p, const saved_part *sp, int64_t step_ms)
{
    if (!p->used)
        return -MAI_EINVAL;
    if (sp->last_bucket != RING_EMPTY &&
        (sp->last_bucket <= -(INT64_MAX / step_ms) || sp->last_bucket >= INT64_MAX / step_ms - 1))
        return -MAI_EINVAL;
    if (ens_load(p->state, &p->cfg, sp->blob, sp->len) != 0 || sp->fitted_at > sp->points)
        return -MAI_EINVAL;         /* ens_load left it empty: fed again from the ring */
    p->last_bucket = sp->last_bucket;
    p->points = sp->points;
    p->fitted_at = sp->fitted_at;
    p->fitted_unix = sp->fitted_unix;
    return 0;
}

int cycle_load(cycle *c, const uint8_t *rec, size_t n)
{
    codec_rd r = {rec, n, 0, 0};
    const uint8_t *head = codec_take(&r, 4);
    if (!head || head[0] != 'E' || head[1] > 3 || head[2] > 1 || head[3])
        return -MAI_EPROTO;
    uint32_t nl = codec_u32(&r);
    if (nl == 0 || (size_t)nl * 8 > n - r.at)
        return -MAI_EPROTO;
    rw_label *l = malloc(nl * sizeof *l);
    if (!l)
        return -MAI_ENOMEM;
    for (uint32_t i = 0; i < nl; i++) {
        uint32_t kn = codec_u32(&r);
        const uint8_t *k = codec_take(&r, kn);
        uint32_t vn = codec_u32(&r);
        const uint8_t *v = codec_take(&r, vn);
        l[i].name = (mai_str){k ? (const char *)k : "", k ? kn : 0};
        l[i].value = (mai_str){v ? (const char *)v : "", v ? vn : 0};
    }
    uint64_t anomaly_bits = codec_u64(&r);
    uint32_t an_size = codec_u32(&r);
    const uint8_t *an = codec_take(&r, an_size);
    saved_part sp[2] = {{0}, {0}};
    for (int i = 0; i < 2; i++)
        if (head[1] >> i & 1)
            read_part(&r, &sp[i], head[2]);
    if (r.bad || r.at != r.n) {
        free(l);
        return -MAI_EPROTO;
    }
    load_ctx lc = {c, NULL, 0};
    int rc = store_visit_series(c->cfg.st, l, nl, load_visit, &lc);
    free(l);
    if (rc != 0)
        return -MAI_EINVAL;
    if (lc.dup)
        return -MAI_EPROTO;
    if (!lc.e)
        return -MAI_ELIMIT;
    model_entry *e = lc.e;
    part *parts[2] = {&e->fine, &e->coarse};
    const int64_t step_ms[2] = {1000 * c->cfg.fine_step_s, 1000 * c->cfg.coarse_step_s};
    for (int i = 0; i < 2; i++)
        if ((head[1] >> i & 1) && load_part(parts[i], &sp[i], step_ms[i]) != 0)
            rc = -MAI_EINVAL;
    if (parts[0]->used != (head[1] & 1) || parts[1]->used != (head[1] >> 1 & 1))
        rc = -MAI_EINVAL;
    if (an_size == sizeof e->an) {
        memcpy(&e->an, an, sizeof e->an);
        memcpy(&e->anomaly, &anomaly_bits, sizeof e->anomaly);
    } else {
        rc = -MAI_EINVAL;
    }
    return rc;
}
