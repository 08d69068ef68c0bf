/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_cycle.c -- the model cycle over a real store: series found and modelled (not
 * our own metrics_ai_* ones), finite forecasts inside their intervals at every horizon, points
 * growing between cycles, warm-up ending at MIN_FIT points, a constant forecast as itself, the
 * --max-models limit, one fit per cycle at a zero budget, horizon names, config checks, and the
 * thread starting and stopping. Runs cycles on the test's thread (cycle_run_once). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/config.h"
#include "adapter/csv_series.h"
#include "adapter/cycle.h"
#include "adapter/signals.h"
#include "adapter/store.h"
#include "exporter/results.h"
#include "models/eta.h"

#include "req_builder.h"

#define PI 3.14159265358979323846
#define MIN_S 60
#define HOUR_S 3600
#define DAY_MS 86400000LL
#define T0_MS (19675 * DAY_MS)      /* midnight, 2023-11-14 */

static const char *const GAUGE[] = {"__name__", "node_load1", "instance", "a:9100", NULL};
static const char *const COUNTER[] = {"__name__", "http_requests_total", "job", "api", NULL};
static const char *const CONST[] = {"__name__", "const_gauge", "job", "c", NULL};
static const char *const DISK[] = {"__name__", "instance_mountpoint:metrics_ai_disk_usage:ratio",
                                   "instance", "a:9100", "mountpoint", "/", NULL};
static const char *const NETERR[] = {"__name__",
                                     "instance:metrics_ai_net_errors:packets_per_second",
                                     "instance", "b:9100", NULL};
static const char *const IOUTIL[] = {"__name__", "instance_device:metrics_ai_disk_io_util:ratio",
                                     "instance", "b:9100", "device", "sda", NULL};
static int64_t g_spike_from = INT64_MAX;    /* NETERR jumps to 40 from this minute on */
static const char *const OWN[] = {"__name__", "metrics_ai_forecast", "horizon", "15m",
                                  "metric", "node_load1", NULL};

typedef struct fixture {
    store *st;
    store_scratch *sc;
    results_box *box;
    cycle *cyc;
    req_builder *rb;
    int64_t next_min;       /* the next minute to ingest, from T0 */
} fixture;

static double gauge_at(int64_t t_s)
{
    return 10 + 5 * sin(2 * PI * (double)t_s / 86400);
}

/* Requests so far at t_s: the rate is 2 + sin(day phase) per second. */
static double counter_at(int64_t t_s)
{
    return 20000 + 2 * (double)t_s - 86400 / (2 * PI) * cos(2 * PI * (double)t_s / 86400);
}

static void fx_store(fixture *f)
{
    memset(f, 0, sizeof *f);
    store_config sc = {.shards = 4, .max_series = 100, .fine_cap = 120, .fine_step_ms = 60000,
                       .coarse_cap = 48, .coarse_step_ms = 3600000};
    assert_int_equal(store_create(&sc, &f->st), 0);
    f->sc = store_scratch_create();
    assert_non_null(f->sc);
    f->box = results_box_create();
    assert_non_null(f->box);
    f->rb = malloc(sizeof *f->rb);
    assert_non_null(f->rb);
}

static cycle_config base_config(const fixture *f)
{
    cycle_config c = {.st = f->st, .box = f->box, .fine_step_s = 60, .coarse_step_s = 3600,
                      .fine_cap = 120, .coarse_cap = 48, .horizon_s = {900, 3600, 86400},
                      .nh = 3, .interval_s = 15, .max_models = 100, .fit_budget_s = 30};
    return c;
}

static void fx_cycle(fixture *f, const cycle_config *c)
{
    assert_int_equal(cycle_create(c, 0, &f->cyc), 0);
    assert_non_null(f->cyc);
}

static void fx_free(fixture *f)
{
    cycle_destroy(f->cyc);          /* before the box: it publishes into it */
    results_box_destroy(f->box);
    store_destroy(f->st);
    store_scratch_destroy(f->sc);
    free(f->rb);
}

/* Ingests one sample a minute of each series in series (NULL-terminated) for minutes more
 * minutes, in requests of at most an hour. */
static void ingest_minutes(fixture *f, const char *const *const *series, int64_t minutes)
{
    int64_t end = f->next_min + minutes;
    while (f->next_min < end) {
        int64_t chunk = end - f->next_min < 60 ? end - f->next_min : 60;
        rb_init(f->rb);
        for (int k = 0; series[k]; k++) {
            rw_series *se = rb_series(f->rb, series[k]);
            for (int64_t m = f->next_min; m < f->next_min + chunk; m++) {
                int64_t t_s = m * MIN_S;
                double v = series[k] == COUNTER ? counter_at(t_s)
                         : series[k] == CONST ? 42.0
                         : series[k] == GAUGE ? gauge_at(t_s)
                         : series[k] == DISK ? 0.5 + 0.005 * (double)t_s / HOUR_S
                         : series[k] == NETERR ? (m >= g_spike_from ? 40.0
                                                  : 1.0 + 0.2 * sin(0.7 * (double)m))
                         : series[k] == IOUTIL ? 0.3 + 0.05 * sin(0.3 * (double)m) : 1.0;
                rb_sample(f->rb, se, T0_MS + t_s * 1000, v);
            }
        }
        store_result res;
        assert_int_equal(store_ingest(f->st, &f->rb->req, f->sc, &res), 0);
        assert_int_equal(res.accepted, (uint64_t)f->rb->req.nsamples);
        f->next_min += chunk;
    }
}

static const result_row *row_of(const results *r, const char *metric)
{
    const result_row *hit = NULL;
    for (size_t i = 0; i < r->nrows; i++) {
        if (strcmp(r->rows[i].metric, metric) == 0) {
            assert_null(hit);       /* one row per series */
            hit = &r->rows[i];
        }
    }
    return hit;
}

static const char *label_of(const result_row *row, const char *name)
{
    for (uint32_t i = 0; i < row->nlabels; i++)
        if (strcmp(row->labels[2 * i], name) == 0)
            return row->labels[2 * i + 1];
    return NULL;
}

static void assert_row_sane(const results *r, const result_row *row)
{
    for (uint32_t h = 0; h < r->nh; h++) {
        double lo = row->lower[h], m = row->mean[h], hi = row->upper[h];
        if (!isfinite(lo) || !isfinite(m) || !isfinite(hi) || !(lo <= m) || !(m <= hi))
            fail_msg("%s at %s: lower %.17g mean %.17g upper %.17g", row->metric, r->horizon[h],
                     lo, m, hi);
        assert_true(isnan(row->skill[h]) || (isfinite(row->skill[h]) && row->skill[h] >= 0));
    }
}

static void assert_near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.17g, want %.17g +- %g", what, got, want, tol);
}

static const char *const *const ALL[] = {GAUGE, COUNTER, CONST, OWN, NULL};

static void test_cycle_models_series_and_forecasts(void **state)
{
    (void)state;
    fixture f;
    fx_store(&f);
    cycle_config cc = base_config(&f);
    fx_cycle(&f, &cc);
    assert_null(results_acquire(f.box));            /* nothing before the first cycle */

    ingest_minutes(&f, ALL, 30);
    cycle_run_once(f.cyc);
    const results *r = results_acquire(f.box);
    assert_non_null(r);
    assert_int_equal(r->nh, 3);
    assert_string_equal(r->horizon[0], "15m");
    assert_string_equal(r->horizon[1], "1h");
    assert_string_equal(r->horizon[2], "24h");
    assert_int_equal(r->nrows, 3);                  /* not the metrics_ai_ series */
    assert_int_equal(r->models, 3);
    assert_int_equal(r->cycles, 1);
    assert_true(r->nm >= 2 && r->nm <= RESULTS_MAX_MODELS);
    for (size_t i = 0; i < r->nrows; i++) {
        assert_true(strncmp(r->rows[i].metric, "metrics_ai_", 11) != 0);
        assert_row_sane(r, &r->rows[i]);
    }
    const result_row *g = row_of(r, "node_load1");
    assert_non_null(g);
    assert_non_null(row_of(r, "http_requests_total"));
    assert_non_null(row_of(r, "const_gauge"));
    assert_null(row_of(r, "metrics_ai_forecast"));
    assert_string_equal(label_of(g, "__name__"), "node_load1");
    assert_string_equal(label_of(g, "instance"), "a:9100");
    assert_int_equal(g->nlabels, 2);
    assert_int_equal(g->ready, 0);                  /* the coarse part has no hour yet */
    uint64_t p1 = g->points;
    assert_int_equal(p1, 29);                       /* finished fine buckets; no coarse one */
    results_release(f.box, r);

    /* 90 more minutes: fine points grow, the first coarse bucket is finished */
    ingest_minutes(&f, ALL, 90);
    cycle_run_once(f.cyc);
    r = results_acquire(f.box);
    assert_int_equal(r->nrows, 3);
    assert_int_equal(r->cycles, 2);
    g = row_of(r, "node_load1");
    uint64_t p2 = g->points;
    assert_true(p2 > p1);
    assert_int_equal(p2, 119 + 1);                  /* fine buckets 0..118, coarse hour 0 */
    assert_int_equal(g->ready, 0);
    for (size_t i = 0; i < r->nrows; i++)
        assert_row_sane(r, &r->rows[i]);
    results_release(f.box, r);

    /* past a day: the coarse part has its 24 points, every part is fitted */
    ingest_minutes(&f, ALL, 24 * 60);
    cycle_run_once(f.cyc);
    ingest_minutes(&f, ALL, 60);
    cycle_run_once(f.cyc);
    r = results_acquire(f.box);
    assert_int_equal(r->cycles, 4);
    assert_int_equal(r->nrows, 3);
    assert_int_equal(r->models, 3);
    assert_int_equal(r->models_ready, 3);
    assert_true(r->fits >= 6);                      /* each series: fine and coarse */
    assert_true(r->state_bytes > 0);
    for (size_t i = 0; i < r->nrows; i++) {
        assert_row_sane(r, &r->rows[i]);
        assert_int_equal(r->rows[i].ready, 1);
    }
    g = row_of(r, "node_load1");
    assert_true(g->points > p2);
    /* a constant gauge forecasts its constant, with a degenerate interval around it */
    const result_row *k = row_of(r, "const_gauge");
    for (uint32_t h = 0; h < r->nh; h++) {
        assert_near(k->mean[h], 42.0, 1e-6, "constant mean");
        assert_near(k->lower[h], 42.0, 1e-3, "constant lower");
        assert_near(k->upper[h], 42.0, 1e-3, "constant upper");
    }
    /* the counter is forecast as its rate, about 1..3 per second */
    const result_row *c = row_of(r, "http_requests_total");
    for (uint32_t h = 0; h < r->nh; h++)
        if (!(c->mean[h] > 0.5 && c->mean[h] < 3.5))
            fail_msg("counter rate forecast at %s: %g", r->horizon[h], c->mean[h]);
    /* the gauge stays in its range */
    for (uint32_t h = 0; h < r->nh; h++)
        if (!(g->mean[h] > 3 && g->mean[h] < 17))
            fail_msg("gauge forecast at %s: %g", r->horizon[h], g->mean[h]);
    results_release(f.box, r);
    fx_free(&f);
}

static void test_ready_after_min_fit_points(void **state)
{
    (void)state;
    /* fine horizons only: ready once the fine part has 24 finished minutes */
    fixture f;
    fx_store(&f);
    cycle_config cc = base_config(&f);
    cc.horizon_s[0] = 300;
    cc.horizon_s[1] = 900;
    cc.nh = 2;
    fx_cycle(&f, &cc);
    static const char *const *const ONE[] = {GAUGE, NULL};
    ingest_minutes(&f, ONE, 24);                    /* buckets 0..23: 23 finished */
    cycle_run_once(f.cyc);
    const results *r = results_acquire(f.box);
    assert_int_equal(r->nrows, 1);
    assert_int_equal(r->rows[0].points, 23);
    assert_int_equal(r->rows[0].ready, 0);
    assert_int_equal(r->models_ready, 0);
    assert_int_equal(r->fits, 0);
    assert_row_sane(r, &r->rows[0]);
    /* before its first fit a part forecasts the last value */
    assert_near(r->rows[0].mean[0], gauge_at(22 * MIN_S), 1e-3, "warm-up forecast");
    results_release(f.box, r);

    ingest_minutes(&f, ONE, 1);                     /* the 24th finished bucket */
    cycle_run_once(f.cyc);
    r = results_acquire(f.box);
    assert_int_equal(r->rows[0].points, 24);
    assert_int_equal(r->rows[0].ready, 1);
    assert_int_equal(r->models_ready, 1);
    assert_int_equal(r->fits, 1);
    assert_row_sane(r, &r->rows[0]);
    results_release(f.box, r);

    cycle_run_once(f.cyc);                          /* nothing new: no refit, same points */
    r = results_acquire(f.box);
    assert_int_equal(r->rows[0].points, 24);
    assert_int_equal(r->fits, 1);
    results_release(f.box, r);
    fx_free(&f);
}

static void test_max_models_is_respected(void **state)
{
    (void)state;
    fixture f;
    fx_store(&f);
    cycle_config cc = base_config(&f);
    cc.max_models = 1;
    fx_cycle(&f, &cc);
    ingest_minutes(&f, ALL, 30);
    cycle_run_once(f.cyc);
    cycle_run_once(f.cyc);
    const results *r = results_acquire(f.box);
    assert_int_equal(r->nrows, 1);
    assert_int_equal(r->models, 1);
    assert_true(strncmp(r->rows[0].metric, "metrics_ai_", 11) != 0);
    assert_row_sane(r, &r->rows[0]);
    results_release(f.box, r);
    fx_free(&f);

    /* 0: no series gets a model, the set is still published */
    fx_store(&f);
    cc = base_config(&f);
    cc.max_models = 0;
    fx_cycle(&f, &cc);
    ingest_minutes(&f, ALL, 5);
    cycle_run_once(f.cyc);
    r = results_acquire(f.box);
    assert_non_null(r);
    assert_int_equal(r->nrows, 0);
    assert_int_equal(r->models, 0);
    results_release(f.box, r);
    fx_free(&f);

    /* the limit bounds the series outside the catalogue: catalogue signals arriving after it
     * is reached still get models */
    fx_store(&f);
    cc = base_config(&f);
    cc.max_models = 1;
    fx_cycle(&f, &cc);
    ingest_minutes(&f, ALL, 5);
    cycle_run_once(f.cyc);
    static const char *const *const sig_series[] = {DISK, NETERR, NULL};
    ingest_minutes(&f, sig_series, 5);
    cycle_run_once(f.cyc);
    r = results_acquire(f.box);
    assert_non_null(r);
    assert_int_equal(r->models, 3);
    assert_non_null(row_of(r, DISK[1]));
    assert_non_null(row_of(r, NETERR[1]));
    results_release(f.box, r);
    fx_free(&f);
}

/* --model-allow / --model-deny choose the generic series; an override catalogue's own signals
 * are recognised by their recorded names and always modelled. */
static void test_allow_deny_and_catalogue_override(void **state)
{
    (void)state;
    static const char *const MINE[] = {"__name__", "instance:my_signal:ratio", "instance",
                                       "a:9100", NULL};
    signals *cat = NULL;
    char err[200];
    assert_int_equal(signals_new(&cat), 0);
    assert_int_equal(signals_load_string(cat, "MYSIG record=instance:my_signal:ratio layer=io "
                                              "unit=ratio threshold=0.8 expr=vector(1)\n",
                                         "test", err, sizeof err), 0);
    regex_t allow, deny;
    assert_int_equal(config_name_regex("--model-allow", "node_.*|http_.*", &allow, err,
                                       sizeof err), 0);
    assert_int_equal(config_name_regex("--model-deny", "http_requests_total", &deny, err,
                                       sizeof err), 0);
    fixture f;
    fx_store(&f);
    cycle_config c = base_config(&f);
    c.cat = cat;
    c.model_allow = &allow;
    c.model_deny = &deny;
    fx_cycle(&f, &c);
    static const char *const *const series[] = {GAUGE, COUNTER, CONST, MINE, NULL};
    ingest_minutes(&f, series, 30);
    cycle_run_once(f.cyc);
    const results *r = results_acquire(f.box);
    assert_non_null(r);
    assert_non_null(row_of(r, "node_load1"));               /* allowed */
    assert_null(row_of(r, "http_requests_total"));         /* allowed, then denied */
    assert_null(row_of(r, "const_gauge"));                 /* not allowed */
    const result_row *mine = row_of(r, "instance:my_signal:ratio");
    assert_non_null(mine);                                  /* the override's signal */
    assert_string_equal(mine->signal, "MYSIG");
    assert_string_equal(mine->layer, "io");
    assert_int_equal(r->models, 2);
    results_release(f.box, r);
    fx_free(&f);
    regfree(&allow);
    regfree(&deny);
    signals_free(cat);
}

static int scored_of_gauge(const cycle_model_view *v, void *ctx)
{
    if (strcmp(v->metric, "node_load1") != 0 || !v->part[0].used)
        return 0;
    ens_info info;
    ens_get_info(v->part[0].state, &info);
    *(uint32_t *)ctx = info.scored[0];
    return 1;
}

/* Forecasts scored at the shortest horizon after a first fit and a periodic refit. */
static uint32_t scored_after_refit(int minimal, uint64_t *fits)
{
    fixture f;
    fx_store(&f);
    cycle_config c = base_config(&f);
    c.minimal_refits = minimal;
    fx_cycle(&f, &c);
    static const char *const *const series[] = {GAUGE, NULL};
    ingest_minutes(&f, series, 30);
    cycle_run_once(f.cyc);          /* the first fit, at 24 points */
    ingest_minutes(&f, series, 30);
    cycle_run_once(f.cyc);          /* 30 points since: the periodic refit */
    uint32_t scored = 0;
    cycle_visit_models(f.cyc, scored_of_gauge, &scored);
    const results *r = results_acquire(f.box);
    *fits = r->fits;
    results_release(f.box, r);
    fx_free(&f);
    return scored;
}

/* --forecast: a periodic refit is the seed's minimal update and keeps the error history the
 * weights come from; without it, the refit starts the history again. */
static void test_minimal_refits_keep_the_error_history(void **state)
{
    (void)state;
    uint64_t fits_min = 0, fits_full = 0;
    uint32_t kept = scored_after_refit(1, &fits_min);
    uint32_t fresh = scored_after_refit(0, &fits_full);
    assert_int_equal(fits_min, fits_full);      /* the same fits, of another kind */
    assert_true(fits_min >= 2);
    if (!(kept > fresh))
        fail_msg("scored after a minimal refit %u, after a full refit %u", kept, fresh);
}

static void test_zero_budget_fits_one_per_cycle(void **state)
{
    (void)state;
    fixture f;
    fx_store(&f);
    cycle_config cc = base_config(&f);
    cc.horizon_s[0] = 900;
    cc.nh = 1;                                      /* one fine part per series */
    cc.fit_budget_s = 0;
    fx_cycle(&f, &cc);
    static const char *const *const THREE[] = {GAUGE, COUNTER, CONST, NULL};
    ingest_minutes(&f, THREE, 40);
    for (uint64_t k = 1; k <= 3; k++) {
        cycle_run_once(f.cyc);
        const results *r = results_acquire(f.box);
        assert_int_equal(r->fits, k);               /* at least one fit a cycle, no more */
        assert_int_equal(r->models_ready, k);       /* every series gets its turn */
        results_release(f.box, r);
    }
    fx_free(&f);
}

static void test_interval_holds_forecast_on_growing_series(void **state)
{
    (void)state;
    /* Exponential growth: every member lags, the ensemble's recent errors all have one sign,
     * and an interval built from them alone would leave the forecast outside. */
    fixture f;
    fx_store(&f);
    cycle_config cc = base_config(&f);
    fx_cycle(&f, &cc);
    static const char *const GROW[] = {"__name__", "queue_depth", NULL};
    int64_t m = 0;
    for (int round = 0; round < 12; round++) {
        rb_init(f.rb);
        rw_series *se = rb_series(f.rb, GROW);
        for (int j = 0; j < 60; j++, m++)
            rb_sample(f.rb, se, T0_MS + m * MIN_S * 1000, 100 * exp((double)m / 300) +
                      (m % 2 ? 1 : -1));
        store_result res;
        assert_int_equal(store_ingest(f.st, &f.rb->req, f.sc, &res), 0);
        cycle_run_once(f.cyc);
        const results *r = results_acquire(f.box);
        assert_int_equal(r->nrows, 1);
        assert_row_sane(r, &r->rows[0]);
        results_release(f.box, r);
    }
    fx_free(&f);
}

/* A disk filling 0.5% an hour from 50%: after 40 h it is at 70%, 40 h from 90%. */
static void test_disk_signal_gets_time_to_threshold(void **state)
{
    (void)state;
    fixture f;
    fx_store(&f);
    cycle_config c = base_config(&f);
    fx_cycle(&f, &c);
    static const char *const *const series[] = {DISK, NULL};
    for (int i = 0; i < 4; i++) {
        ingest_minutes(&f, series, 10 * 60);
        cycle_run_once(f.cyc);
    }
    const results *r = results_acquire(f.box);
    assert_non_null(r);
    const result_row *row = row_of(r, "instance_mountpoint:metrics_ai_disk_usage:ratio");
    assert_non_null(row);
    assert_int_equal(row->has_eta, 1);
    assert_string_equal(row->signal, "DISK_USAGE");
    assert_near(row->threshold, 0.9, 1e-12, "threshold");
    double want = 40.0 * HOUR_S;                   /* the last finished hour is one behind */
    assert_near(row->eta[1], want, 0.05 * want + HOUR_S, "linear ETA");
    /* a young ensemble (few 24h forecasts scored yet) still gives its flat members weight, so
     * its crossing comes later than the line's; it must come, and within the 30-day range */
    assert_true(isfinite(row->eta[0]) && row->eta[0] >= 0.8 * want && row->eta[0] <= 3 * want);
    assert_true(row->eta_lower <= row->eta[0] && row->eta[0] <= row->eta_upper);
    /* the disk is counted once, at the level its ensemble ETA gives */
    int level = eta_alert_level(eta_days_seed(row->eta[0]));
    assert_true(level >= ETA_SOON);
    assert_int_equal(r->disk_critical + r->disk_warning + r->disk_soon, 1);
    assert_int_equal(level == ETA_CRITICAL ? r->disk_critical
                     : level == ETA_WARNING ? r->disk_warning : r->disk_soon, 1);
    results_release(f.box, r);
    fx_free(&f);
}

/* A golden signal that jumps far past anything seen counts as a golden anomaly now; a steady
 * I/O signal does not count; both rows carry their signal, layer, newest value and display. */
static void test_golden_and_io_anomalies_are_counted(void **state)
{
    (void)state;
    fixture f;
    fx_store(&f);
    cycle_config c = base_config(&f);
    fx_cycle(&f, &c);
    static const char *const *const series[] = {NETERR, IOUTIL, NULL};
    for (int i = 0; i < 10; i++) {      /* past the score's warm-up, an hour a cycle */
        ingest_minutes(&f, series, 60);
        cycle_run_once(f.cyc);
    }
    const results *r = results_acquire(f.box);
    assert_non_null(r);
    assert_int_equal(r->golden_anomaly, 0);
    assert_int_equal(r->io_network_anomaly, 0);
    assert_true(r->anomaly_threshold == 0.75);
    results_release(f.box, r);

    g_spike_from = f.next_min;
    ingest_minutes(&f, series, 4);
    cycle_run_once(f.cyc);
    g_spike_from = INT64_MAX;
    r = results_acquire(f.box);
    assert_non_null(r);
    const result_row *ne = row_of(r, NETERR[1]), *io = row_of(r, IOUTIL[1]);
    assert_non_null(ne);
    assert_non_null(io);
    assert_string_equal(ne->signal, "NET_ERRORS");
    assert_string_equal(ne->layer, "golden");
    assert_string_equal(ne->display, "b");
    assert_true(ne->current == 40.0);     /* the newest finished minute */
    assert_true(ne->anomaly >= 0.9);
    assert_int_equal(ne->anomalous, 1);
    assert_string_equal(io->signal, "DISK_IO_UTIL");
    assert_string_equal(io->layer, "io");
    assert_int_equal(io->anomalous, 0);
    assert_int_equal(r->golden_anomaly, 1);
    assert_int_equal(r->io_network_anomaly, 0);
    results_release(f.box, r);
    fx_free(&f);
}

/* A retrain request refits exactly the named catalogue series at the next cycle, without new
 * data and whatever the budget; a request naming nothing fits nothing. */
static void test_retrain_refits_named_series(void **state)
{
    (void)state;
    fixture f;
    fx_store(&f);
    cycle_config c = base_config(&f);
    c.fit_budget_s = 0;
    fx_cycle(&f, &c);
    static const char *const *const series[] = {DISK, GAUGE, NULL};
    for (int i = 0; i < 4; i++) {
        ingest_minutes(&f, series, 10 * 60);
        for (int k = 0; k < 4; k++)
            cycle_run_once(f.cyc);     /* a fit at a time: let every due fit happen */
    }
    const results *r = results_acquire(f.box);
    uint64_t fits0 = r->fits;
    results_release(f.box, r);
    cycle_run_once(f.cyc);
    r = results_acquire(f.box);
    assert_int_equal(r->fits, fits0);       /* nothing due without new data */
    results_release(f.box, r);

    retrain_spec none, disk;
    char err[128];
    assert_int_equal(retrain_parse("zzz", RETRAIN_DISK, "--disk-retrain",
                                   NULL, &none, err, sizeof err),
                     0);
    assert_int_equal(cycle_retrain(f.cyc, &none, NULL, 0, NULL), 1);   /* pending: no thread */
    cycle_run_once(f.cyc);
    r = results_acquire(f.box);
    assert_int_equal(r->fits, fits0);
    results_release(f.box, r);
    size_t matched = 99;
    assert_int_equal(cycle_retrain(f.cyc, NULL, NULL, 0, &matched), 1);
    cycle_run_once(f.cyc);

    assert_int_equal(retrain_parse("a:/", RETRAIN_DISK, "--disk-retrain",
                                   NULL, &disk, err, sizeof err),
                     0);
    assert_int_equal(cycle_retrain(f.cyc, &disk, NULL, 0, NULL), 1);
    cycle_run_once(f.cyc);
    r = results_acquire(f.box);
    assert_int_equal(r->fits, fits0 + 2);   /* the disk's fine and coarse parts, past budget 0 */
    results_release(f.box, r);
    fx_free(&f);
}

/* --dump-csv: each fit writes its exact training points, readable by the CSV reader. */
static void test_dump_csv_writes_training_data(void **state)
{
    (void)state;
    char dir[] = "/tmp/mai-dump.XXXXXX";
    assert_non_null(mkdtemp(dir));
    fixture f;
    fx_store(&f);
    cycle_config c = base_config(&f);
    c.dump_csv_dir = dir;
    fx_cycle(&f, &c);
    static const char *const *const series[] = {DISK, NULL};
    ingest_minutes(&f, series, 60);
    cycle_run_once(f.cyc);
    char path[256];
    snprintf(path, sizeof path, "%s/instance_mountpoint_metrics_ai_disk_usage_ratio_a_9100___",
             dir);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls %s*.fine.csv > %s/list 2>/dev/null", path, dir);
    assert_int_equal(system(cmd), 0);
    char list[300];
    snprintf(list, sizeof list, "%s/list", dir);
    FILE *l = fopen(list, "r");
    assert_non_null(l);
    char file[300];
    assert_non_null(fgets(file, sizeof file, l));
    fclose(l);
    file[strcspn(file, "\n")] = '\0';
    csv_series cs;
    char err[256];
    assert_int_equal(csv_series_read(file, &cs, NULL, err, sizeof err), 0);
    assert_true(cs.n >= 59 && cs.n <= 60);  /* the finished minutes */
    assert_true(fabs(cs.v[0] - 0.5) < 1e-6);
    assert_true(cs.t[1] - cs.t[0] == 60);
    csv_series_free(&cs);
    fx_free(&f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_horizon_names(void **state)
{
    (void)state;
    static const struct {
        double s;
        const char *name;
    } cases[] = {
        {900, "15m"}, {3600, "1h"}, {86400, "24h"}, {604800, "7d"}, {172800, "48h"},
        {60, "1m"}, {90, "90s"}, {5400, "90m"}, {1209600, "14d"}, {7200, "2h"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[16];
        memset(out, 'x', sizeof out);
        cycle_horizon_name(cases[i].s, out, sizeof out);
        if (strcmp(out, cases[i].name) != 0)
            fail_msg("%g s: got '%s', want '%s'", cases[i].s, out, cases[i].name);
    }
}

static void test_create_rejects_bad_configs(void **state)
{
    (void)state;
    fixture f;
    fx_store(&f);
    cycle *c = (cycle *)&f;                         /* must stay untouched on failure */
    cycle_config cc = base_config(&f);
    cc.nh = 0;
    assert_int_equal(cycle_create(&cc, 0, &c), -MAI_EINVAL);
    cc = base_config(&f);
    cc.nh = CYCLE_MAX_HORIZONS + 1;
    assert_int_equal(cycle_create(&cc, 0, &c), -MAI_EINVAL);
    cc = base_config(&f);
    cc.horizon_s[1] = 600;                          /* 900, 600: descending */
    assert_int_equal(cycle_create(&cc, 0, &c), -MAI_EINVAL);
    cc = base_config(&f);
    cc.horizon_s[1] = 900;                          /* equal is not ascending */
    assert_int_equal(cycle_create(&cc, 0, &c), -MAI_EINVAL);
    cc = base_config(&f);
    cc.interval_s = 0;
    assert_int_equal(cycle_create(&cc, 0, &c), -MAI_EINVAL);
    cc = base_config(&f);
    cc.st = NULL;
    assert_int_equal(cycle_create(&cc, 0, &c), -MAI_EINVAL);
    cc = base_config(&f);
    cc.box = NULL;
    assert_int_equal(cycle_create(&cc, 0, &c), -MAI_EINVAL);
    cc = base_config(&f);
    cc.fine_step_s = 0;
    assert_int_equal(cycle_create(&cc, 0, &c), -MAI_EINVAL);
    cc = base_config(&f);
    cc.coarse_step_s = -3600;
    assert_int_equal(cycle_create(&cc, 0, &c), -MAI_EINVAL);
    assert_ptr_equal(c, (cycle *)&f);
    /* and the base config is fine; destroy(NULL) is a no-op */
    cc = base_config(&f);
    assert_int_equal(cycle_create(&cc, 0, &c), 0);
    cycle_destroy(c);
    cycle_destroy(NULL);
    fx_free(&f);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_thread_starts_and_stops(void **state)
{
    (void)state;
    fixture f;
    fx_store(&f);
    ingest_minutes(&f, ALL, 30);
    cycle_config cc = base_config(&f);
    cc.interval_s = 1;
    assert_int_equal(cycle_create(&cc, 1, &f.cyc), 0);
    /* the thread runs its first cycle at once */
    double t0 = now_s();
    const results *r = NULL;
    while (!(r = results_acquire(f.box)) && now_s() - t0 < 3) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    assert_non_null(r);
    assert_int_equal(r->nrows, 3);
    results_release(f.box, r);
    /* a retrain request wakes it; the caller waits for the cycle to apply it */
    cycle_destroy(f.cyc);
    cc.interval_s = 3600;
    assert_int_equal(cycle_create(&cc, 1, &f.cyc), 0);
    retrain_spec all;
    char err[64];
    assert_int_equal(retrain_parse("all", RETRAIN_DISK, "--disk-retrain",
                                   NULL, &all, err, sizeof err), 0);
    size_t matched = 99;
    t0 = now_s();
    assert_int_equal(cycle_retrain(f.cyc, &all, NULL, 5, &matched), 0);
    assert_true(now_s() - t0 < 4);
    assert_int_equal(matched, 0);           /* no DISK_USAGE series here */
    /* destroy wakes it from its wait: well under the interval */
    t0 = now_s();
    cycle_destroy(f.cyc);
    f.cyc = NULL;
    double took = now_s() - t0;
    if (took > 0.9)
        fail_msg("cycle_destroy took %.3f s", took);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cycle_models_series_and_forecasts),
        cmocka_unit_test(test_ready_after_min_fit_points),
        cmocka_unit_test(test_max_models_is_respected),
        cmocka_unit_test(test_allow_deny_and_catalogue_override),
        cmocka_unit_test(test_minimal_refits_keep_the_error_history),
        cmocka_unit_test(test_zero_budget_fits_one_per_cycle),
        cmocka_unit_test(test_interval_holds_forecast_on_growing_series),
        cmocka_unit_test(test_disk_signal_gets_time_to_threshold),
        cmocka_unit_test(test_golden_and_io_anomalies_are_counted),
        cmocka_unit_test(test_retrain_refits_named_series),
        cmocka_unit_test(test_dump_csv_writes_training_data),
        cmocka_unit_test(test_horizon_names),
        cmocka_unit_test(test_create_rejects_bad_configs),
        cmocka_unit_test(test_thread_starts_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
