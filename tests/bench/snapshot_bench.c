/* SPDX-License-Identifier: Apache-2.0
 * tests/bench/snapshot_bench.c -- cost of persistence: for N series in a real store (default
 * ring shapes, `--hours` of 60 s data) with models for at most `--models` of them (one cycle run,
 * a few fitted within `--fit-seconds`, the rest fed but not fitted), the time to write the
 * snapshot file, its size, and the time to restore it into a fresh store and cycle; the digest
 * of the restored state must equal the one written. Bounded: one write and one restore per N.
 *   build/snapshot_bench [--series N ...] [--hours H] [--models M] [--fit-seconds S] [--dir D] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapter/cycle.h"
#include "adapter/log.h"
#include "adapter/snapshot.h"
#include "adapter/store.h"
#include "models/base.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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

typedef struct world {
    store *st;
    results_box *box;
    cycle *cy;
} world;

static int make_world(world *w, size_t n, size_t models, double fit_s)
{
    store_config sc = {.shards = 64, .max_series = n + 10, .fine_cap = 1440,
                       .fine_step_ms = 60000, .coarse_cap = 840, .coarse_step_ms = 3600000};
    cycle_config cc = {.fine_step_s = 60, .coarse_step_s = 3600, .fine_cap = 1440,
                       .coarse_cap = 840, .nh = 4, .horizon_s = {900, 3600, 86400, 604800},
                       .interval_s = 15, .max_models = models, .fit_budget_s = fit_s};
    if (store_create(&sc, &w->st) != 0 || !(w->box = results_box_create()))
        return -1;
    cc.st = w->st;
    cc.box = w->box;
    return cycle_create(&cc, 0, &w->cy);
}

static void free_world(world *w)
{
    cycle_destroy(w->cy);
    results_box_destroy(w->box);
    store_destroy(w->st);
}

/* n series "bench_snap{instance="host-i"}" with `hours` of one sample a minute. */
static void fill(store *st, size_t n, unsigned hours)
{
    enum { BATCH = 1000 };
    store_scratch *scr = store_scratch_create();
    rw_request req;
    rw_request_init(&req);
    req.series = calloc(BATCH, sizeof *req.series);
    req.labels = calloc(2 * BATCH, sizeof *req.labels);
    req.samples = calloc(BATCH, sizeof *req.samples);
    char (*inst)[24] = malloc(BATCH * sizeof *inst);
    int64_t t_end = 1700000000000LL, t0 = t_end - (int64_t)hours * 3600000;
    for (int64_t t = t0; t < t_end; t += 60000) {
        for (size_t i = 0; i < n; i += BATCH) {
            size_t m = n - i < BATCH ? n - i : BATCH;
            req.nseries = (uint32_t)m;
            req.nlabels = req.nsamples = 0;
            for (size_t k = 0; k < m; k++) {
                rw_series *s = &req.series[k];
                memset(s, 0, sizeof *s);
                s->label0 = req.nlabels;
                s->sample0 = req.nsamples;
                s->nlabels = 2;
                s->nsamples = 1;
                s->meta_type = -1;
                snprintf(inst[k], sizeof inst[k], "host-%zu", i + k);
                req.labels[req.nlabels++] = (rw_label){{"__name__", 8}, {"bench_snap", 10}};
                req.labels[req.nlabels++] =
                    (rw_label){{"instance", 8}, {inst[k], (uint32_t)strlen(inst[k])}};
                double day = (double)(t % 86400000) / 86400000.0;
                req.samples[req.nsamples].t_ms = t;
                req.samples[req.nsamples++].v =
                    50 + 20 * sin(2 * M_PI * day + (double)(i + k)) + 3 * urand();
            }
            store_result res;
            store_ingest(st, &req, scr, &res);
        }
    }
    free(inst);
    free(req.series);
    free(req.labels);
    free(req.samples);
    req.series = NULL;
    req.labels = NULL;
    req.samples = NULL;
    store_scratch_destroy(scr);
}

static int bench(size_t n, unsigned hours, size_t models, double fit_s, const char *dir)
{
    world a, b;
    if (make_world(&a, n, models, fit_s) != 0 || make_world(&b, n, models, fit_s) != 0)
        return 1;
    double t = now_s();
    fill(a.st, n, hours);
    double fill_s = now_s() - t;
    t = now_s();
    cycle_run_once(a.cy);           /* models for up to `models` series, a few fitted */
    double cycle_s = now_s() - t;
    const results *r = results_acquire(a.box);
    unsigned long long nmodels = r ? r->models : 0, fits = r ? r->fits : 0;
    results_release(a.box, r);
    snapshot_stats ws, rs;
    char err[1400];
    if (snapshot_write(dir, a.st, a.cy, &ws, err, sizeof err) != 0) {
        fprintf(stderr, "snapshot_bench: %s\n", err);
        return 1;
    }
    snapshot_restore(dir, b.st, b.cy, &rs);
    int same = rs.digest.store == ws.digest.store && rs.digest.models == ws.digest.models;
    printf("RESULT bench=snapshot series=%zu history_h=%u models=%llu fitted=%llu "
           "write_s=%.3f restore_s=%.3f file_bytes=%llu bytes_per_series=%.0f "
           "write_mb_per_s=%.0f digest_equal=%d fill_s=%.1f cycle_s=%.1f\n",
           n, hours, nmodels, fits, ws.seconds, rs.seconds, (unsigned long long)ws.bytes,
           (double)ws.bytes / (double)n, (double)ws.bytes / 1e6 / ws.seconds, same, fill_s,
           cycle_s);
    fflush(stdout);
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, SNAPSHOT_FILE);
    unlink(p);
    snprintf(p, sizeof p, "%s/%s", dir, SNAPSHOT_PREV_FILE);
    unlink(p);
    free_world(&a);
    free_world(&b);
    return same ? 0 : 1;
}

int main(int argc, char **argv)
{
    size_t series[8] = {10000, 100000};
    int nseries = 2, user_series = 0;
    unsigned hours = 6;
    size_t models = 10000;
    double fit_s = 2;
    char dir[512] = "";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--series") == 0) {
            if (!user_series)
                nseries = 0;
            user_series = 1;
            if (nseries < 8)
                series[nseries++] = strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--hours") == 0) {
            hours = (unsigned)atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--models") == 0) {
            models = strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--fit-seconds") == 0) {
            fit_s = atof(argv[i + 1]);
        } else if (strcmp(argv[i], "--dir") == 0) {
            snprintf(dir, sizeof dir, "%s", argv[i + 1]);
        }
    }
    int made = 0;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/mai-snapbench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
                                                                              : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
        made = 1;
    }
    log_set_verbosity(-1);
    int rc = 0;
    for (int i = 0; i < nseries && rc == 0; i++)
        rc = bench(series[i], hours, models, fit_s, dir);
    if (made)
        rmdir(dir);
    return rc;
}
