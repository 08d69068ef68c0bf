/* SPDX-License-Identifier: Apache-2.0
 * tests/bench/model_bench.c -- cost figures of the forecasting engine: nanoseconds per online
 * update of an ensemble with every member on (fine and coarse shapes), bytes of model state per
 * series, and the model cycle's wall and CPU time for N series held in a real store: cycle 1
 * fits every model (no budget, so its CPU divided by the fits is the cost of one fit); later
 * cycles are the steady state (feed new ring points, forecast, publish). Bounded in count.
 *   build/model_bench [--series N ...] [--cycles K] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/cycle.h"
#include "adapter/store.h"
#include "models/base.h"
#include "models/ensemble.h"

static double now_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;

static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void bench_update(const char *what, const ens_config *cfg)
{
    enum { STATES = 64, POINTS = 20000 };
    size_t bytes = mai_round_up(ens_state_size(cfg), ENS_ALIGN);
    char *states = aligned_alloc(ENS_ALIGN, bytes * STATES);
    void *work = aligned_alloc(ENS_ALIGN, mai_round_up(ens_work_size(cfg, 1), ENS_ALIGN));
    for (int i = 0; i < STATES; i++)
        ens_init(states + (size_t)i * bytes, cfg);
    double t0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int k = 0; k < POINTS; k++)
        for (int i = 0; i < STATES; i++)
            ens_update(states + (size_t)i * bytes, 50 + 10 * sin(k * 0.01 + i) + urand(), work);
    double dt = now_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
    printf("RESULT bench=update shape=%s members=%u horizons=%u ns_per_update=%.0f "
           "state_bytes=%zu\n", what, cfg->nm, cfg->nh, dt * 1e9 / ((double)POINTS * STATES),
           ens_state_size(cfg));
    free(states);
    free(work);
}

/* Fills a store with n gauges of `hours` hours at 60 s, then runs cycles. */
static void bench_cycle(size_t n, int cycles, unsigned hours)
{
    store_config sc = {.shards = 64, .max_series = n + 10, .fine_cap = 1440,
                       .fine_step_ms = 60000, .coarse_cap = 840, .coarse_step_ms = 3600000};
    store *st;
    if (store_create(&sc, &st) != 0)
        return;
    store_scratch *scr = store_scratch_create();
    rw_request req;
    rw_request_init(&req);
    enum { BATCH = 500 };
    req.series = calloc(BATCH, sizeof *req.series);
    req.labels = calloc(2 * BATCH, sizeof *req.labels);
    req.samples = calloc(BATCH, sizeof *req.samples);
    char (*names)[32] = malloc(n * sizeof *names);
    for (size_t i = 0; i < n; i++)
        snprintf(names[i], sizeof names[i], "bench_%zu", i);
    int64_t t_end = 1700000000000LL, t0 = t_end - (int64_t)hours * 3600000;
    results_box *box = results_box_create();
    cycle_config cc = {.st = st, .box = box, .fine_step_s = 60, .coarse_step_s = 3600,
                       .fine_cap = 1440, .coarse_cap = 840, .nh = 4,
                       .horizon_s = {900, 3600, 86400, 604800}, .interval_s = 15,
                       .max_models = n, .fit_budget_s = 1e9};   /* cycle 1 fits them all */
    cycle *cy;
    if (cycle_create(&cc, 0, &cy) != 0)
        return;
    double fill = now_s(CLOCK_MONOTONIC);
    for (int64_t t = t0; t <= t_end; t += 60000) {
        for (size_t i = 0; i < n; i += BATCH) {
            size_t m = n - i < BATCH ? n - i : BATCH;
            req.nseries = req.nlabels = req.nsamples = (uint32_t)m;
            for (size_t k = 0; k < m; k++) {
                rw_series *s = &req.series[k];
                memset(s, 0, sizeof *s);
                s->label0 = s->sample0 = (uint32_t)k;
                s->nlabels = s->nsamples = 1;
                s->meta_type = -1;
                req.labels[k].name = (mai_str){"__name__", 8};
                req.labels[k].value = (mai_str){names[i + k], (uint32_t)strlen(names[i + k])};
                double day = (double)(t % 86400000) / 86400000.0;
                req.samples[k].t_ms = t;
                req.samples[k].v = 50 + 20 * sin(2 * M_PI * day + (double)(i + k)) + 3 * urand();
            }
            store_result res;
            store_ingest(st, &req, scr, &res);
        }
    }
    fill = now_s(CLOCK_MONOTONIC) - fill;
    for (int c = 0; c < cycles; c++) {
        double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        cycle_run_once(cy);
        double wall = now_s(CLOCK_MONOTONIC) - w0, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        const results *r = results_acquire(box);
        printf("RESULT bench=cycle series=%zu history_h=%u cycle=%d wall_s=%.3f cpu_s=%.3f "
               "fits_total=%llu ready=%llu model_state_bytes_per_series=%.0f\n", n, hours, c + 1,
               wall, cpu, (unsigned long long)r->fits, (unsigned long long)r->models_ready,
               r->models ? (double)r->state_bytes / (double)r->models : 0.0);
        results_release(box, r);
    }
    printf("RESULT bench=fill series=%zu history_h=%u seconds=%.2f\n", n, hours, fill);
    cycle_destroy(cy);
    results_box_destroy(box);
    free(req.series);
    free(req.labels);
    free(req.samples);
    req.series = NULL;
    req.labels = NULL;
    req.samples = NULL;
    free(names);
    store_scratch_destroy(scr);
    store_destroy(st);
}

int main(int argc, char **argv)
{
    size_t series[8] = {1000, 10000};
    int nseries = 2, cycles = 3;
    unsigned hours = 48;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--series") == 0) {
            if (nseries == 2 && series[0] == 1000 && series[1] == 10000)
                nseries = 0;
            if (nseries < 8)
                series[nseries++] = strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--cycles") == 0) {
            cycles = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--hours") == 0) {
            hours = (unsigned)atoi(argv[i + 1]);
        }
    }
    fc_params fine = {.step_s = 60, .max_history = 1440};
    fc_params coarse = {.step_s = 3600, .season_day = 24, .season_week = 168,
                        .max_history = 840};
    uint32_t fh[] = {15, 60}, ch[] = {24, 168};
    ens_config fc, cc;
    ens_config_default(&fc, &fine, fh, 2);
    ens_config_default(&cc, &coarse, ch, 2);
    bench_update("fine_60s_15m_1h", &fc);
    bench_update("coarse_1h_24h_7d", &cc);
    for (int i = 0; i < nseries; i++)
        bench_cycle(series[i], cycles, hours);
    return 0;
}
