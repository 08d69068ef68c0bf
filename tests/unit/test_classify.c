/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_classify.c -- node classification: six nodes over 24 h at 60 s where one turns
 * CPU-saturated with idle pods in the last hour (flagged, cpu_saturation, host_cpu dominant,
 * host pressure), the normal nodes unflagged, names from node_uname_info, pod normalisation by
 * CPU count and MemTotal, no data, and determinism. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/classify.h"
#include "adapter/naming.h"
#include "adapter/store.h"
#include "models/base.h"

#include "req_builder.h"

#define NODES 6
#define STEPS 1440
#define STEP_MS 60000
#define ABNORMAL 2          /* node3 */
#define NO_PODS 5           /* node6 has no pod series */
#define GIB (1024.0 * 1024.0 * 1024.0)

static const int64_t T0 = (int64_t)28333334 * STEP_MS;

static store *make_store(void)
{
    store_config c = {.shards = 4, .max_series = 1000, .fine_cap = STEPS, .fine_step_ms = STEP_MS,
                      .coarse_cap = 24, .coarse_step_ms = 3600000};
    store *s = NULL;
    assert_int_equal(store_create(&c, &s), 0);
    return s;
}

static void ingest(store *s, req_builder *b)
{
    store_scratch *sc = store_scratch_create();
    assert_non_null(sc);
    store_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(store_ingest(s, &b->req, sc, &res), 0);
    assert_int_equal(res.refused_series, 0);
    store_scratch_destroy(sc);
}

/* Deterministic noise in [-1, 1]. */
static double noise(uint64_t *st)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*st >> 11) / (double)(1ULL << 53) * 2.0 - 1.0;
}

/* Value of feature f for node i at step j. */
static double value(int i, int f, int j, uint64_t *st)
{
    double ph = sin(2.0 * M_PI * (double)j / STEPS);   /* one day; the newest step is mid-range */
    int bad = i == ABNORMAL && j >= STEPS - 60;
    double n = noise(st);
    switch (f) {
    case 0: return bad ? 0.95 + 0.01 * n : 0.25 + 0.05 * i + 0.10 * ph + 0.01 * n;
    case 1: return bad ? 0.55 + 0.01 * n : 0.40 + 0.03 * i + 0.05 * ph + 0.01 * n;
    case 2:   /* pod cores of 4; node5 (i = 4) is light */
        if (bad)
            return 0.15 + 0.02 * n;
        return i == 4 ? 0.15 + 0.05 * ph + 0.02 * n : 1.2 + 0.2 * i + 0.3 * ph + 0.05 * n;
    default:  /* pod bytes of 16 GiB */
        if (bad)
            return (0.9 + 0.05 * n) * GIB;
        return i == 4 ? (0.9 + 0.2 * ph + 0.05 * n) * GIB
                      : (4.0 + 0.5 * i + 1.0 * ph + 0.1 * n) * GIB;
    }
}

static const char *const METRICS[4] = {
    "instance:metrics_ai_host_cpu:ratio", "instance:metrics_ai_host_mem:ratio",
    "node:metrics_ai_pod_cpu:cores", "node:metrics_ai_pod_mem:bytes"};

/* Six nodes' four signals over 24 h, plus node_uname_info, node_cpu_seconds_total (4 CPUs) and
 * node_memory_MemTotal_bytes (16 GiB) when with_host_info. */
static store *six_nodes(int with_host_info)
{
    store *s = make_store();
    req_builder *b = malloc(sizeof *b);
    assert_non_null(b);
    for (int i = 0; i < NODES; i++) {
        char inst[64], node[64], fqdn[64], cpu[16];
        snprintf(inst, sizeof inst, "10.0.0.%d:9100", i + 1);
        snprintf(node, sizeof node, "node%d", i + 1);
        snprintf(fqdn, sizeof fqdn, "node%d.london.local", i + 1);
        for (int f = 0; f < 4; f++) {
            if (f >= 2 && i == NO_PODS)
                continue;
            uint64_t st = (uint64_t)(i * 4 + f + 1) * 0x9e3779b97f4a7c15ULL;
            for (int j0 = 0; j0 < STEPS; j0 += 1000) {
                rb_init(b);
                const char *pairs[] = {"__name__", METRICS[f], f < 2 ? "instance" : "node",
                                       f < 2 ? inst : node, NULL};
                rw_series *se = rb_series(b, pairs);
                for (int j = j0; j < STEPS && j < j0 + 1000; j++)
                    rb_sample(b, se, T0 + (int64_t)j * STEP_MS, value(i, f, j, &st));
                ingest(s, b);
            }
        }
        if (!with_host_info)
            continue;
        rb_init(b);
        const char *u[] = {"__name__", "node_uname_info", "instance", inst, "nodename", fqdn,
                           NULL};
        rb_sample(b, rb_series(b, u), T0, 1);
        const char *m[] = {"__name__", "node_memory_MemTotal_bytes", "instance", inst, NULL};
        rb_sample(b, rb_series(b, m), T0, 16 * GIB);
        for (int k = 0; k < 4; k++) {
            snprintf(cpu, sizeof cpu, "%d", k);
            const char *c[] = {"__name__", "node_cpu_seconds_total", "cpu", cpu, "instance", inst,
                               "mode", "idle", NULL};
            rb_sample(b, rb_series(b, c), T0, 100.0 * k);
        }
        ingest(s, b);
    }
    free(b);
    return s;
}

static naming *make_naming(store *s)
{
    mai_config *c = calloc(1, sizeof *c);
    assert_non_null(c);
    config_defaults(c);
    naming *n = NULL;
    char err[256];
    assert_int_equal(naming_create(c, &n, err, sizeof err), 0);
    free(c);
    if (s)
        naming_learn_from_store(n, s);
    return n;
}

static const classify_row *row_of(const classify_result *r, const char *node)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->rows[i].node, node) == 0)
            return &r->rows[i];
    return NULL;
}

static void test_classify_flags_cpu_saturated_node(void **state)
{
    (void)state;
    store *s = six_nodes(1);
    naming *n = make_naming(s);
    classify_config cfg = {.lookback_hrs = 24, .contamination = 0.12};
    classify_result r;
    assert_int_equal(classify_run(s, n, &cfg, &r), 0);

    assert_int_equal(r.n, NODES);
    assert_int_equal(r.train_rows, NODES * (STEPS - 1));   /* the newest bucket is unfinished */
    assert_true(r.threshold > 0 && r.threshold < 1);
    for (size_t i = 0; i < r.n; i++) {
        const classify_row *w = &r.rows[i];
        char want[32];
        snprintf(want, sizeof want, "node%zu", i + 1);        /* sorted by node name */
        assert_string_equal(w->node, want);
        if (i == ABNORMAL)
            continue;
        if (w->flagged)
            fail_msg("%s flagged: score %g threshold %g", w->node, w->score, r.threshold);
        assert_int_equal(w->severity, CLASSIFY_OK);
        assert_string_equal(w->kind, "");
        assert_false(w->host_pressure);
    }

    const classify_row *w = row_of(&r, "node3");
    assert_non_null(w);
    assert_string_equal(w->display, "node3 (10.0.0.3)");
    assert_true(w->flagged);
    assert_true(w->score > r.threshold);
    assert_true(w->severity == CLASSIFY_WARNING || w->severity == CLASSIFY_CRITICAL);
    assert_string_equal(w->kind, "cpu_saturation");
    assert_int_equal(w->dominant, CLASSIFY_HOST_CPU);
    for (int f = 1; f < CLASSIFY_FEATURES; f++)
        assert_true(w->contrib[CLASSIFY_HOST_CPU] > w->contrib[f]);
    double sum = 0;
    for (int f = 0; f < CLASSIFY_FEATURES; f++)
        sum += w->contrib[f];
    assert_true(fabs(sum - 1) < 1e-9);
    assert_true(w->host_cpu > 0.9);
    /* pods normalised: 0.15 cores of 4 CPUs, 0.9 GiB of 16 GiB */
    assert_true(w->pod_cpu_normalised && w->pod_mem_normalised);
    assert_true(w->pod_cpu > 0.02 && w->pod_cpu < 0.06);
    assert_true(w->pod_mem > 0.04 && w->pod_mem < 0.07);
    assert_true(w->host_pressure);
    assert_int_equal(w->pressure_severity, CLASSIFY_WARNING);
    assert_int_equal(w->t_ms, T0 + (int64_t)(STEPS - 2) * STEP_MS);
    assert_int_equal(r.flagged, 1);
    assert_int_equal(r.host_pressure, 1);

    /* node6 has no pod series: pod values 0 */
    const classify_row *six = row_of(&r, "node6");
    assert_non_null(six);
    assert_false(six->has_pods);
    assert_true(six->pod_cpu == 0 && six->pod_mem == 0);
    assert_string_equal(classify_severity_name(w->severity),
                        w->severity == CLASSIFY_CRITICAL ? "CRITICAL" : "WARNING");
    assert_string_equal(classify_feature_name(w->dominant), "host_cpu");

    /* a huge critical margin keeps it at WARNING */
    classify_result r2;
    cfg.critical_margin = 10;
    assert_int_equal(classify_run(s, n, &cfg, &r2), 0);
    assert_int_equal(row_of(&r2, "node3")->severity, CLASSIFY_WARNING);
    classify_result_free(&r2);

    classify_result_free(&r);
    naming_destroy(n);
    store_destroy(s);
}

static void test_classify_is_deterministic(void **state)
{
    (void)state;
    store *s = six_nodes(1);
    naming *n = make_naming(s);
    classify_result a, b;
    assert_int_equal(classify_run(s, n, NULL, &a), 0);
    assert_int_equal(classify_run(s, n, NULL, &b), 0);
    assert_int_equal(a.n, b.n);
    assert_true(a.threshold == b.threshold);
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.rows[i].node, b.rows[i].node);
        assert_true(a.rows[i].score == b.rows[i].score);
        assert_int_equal(a.rows[i].flagged, b.rows[i].flagged);
        for (int f = 0; f < CLASSIFY_FEATURES; f++)
            assert_true(a.rows[i].contrib[f] == b.rows[i].contrib[f]);
    }
    classify_result_free(&a);
    classify_result_free(&b);
    naming_destroy(n);
    store_destroy(s);
}

/* Without node_uname_info, CPU count or MemTotal: hosts are named by the instance's host part,
 * so pod series (keyed by node name) stand apart and add no row; pods stay unnormalised. */
static void test_classify_without_host_info(void **state)
{
    (void)state;
    store *s = six_nodes(0);
    naming *n = make_naming(s);
    classify_result r;
    assert_int_equal(classify_run(s, n, NULL, &r), 0);
    assert_int_equal(r.n, NODES);
    const classify_row *w = row_of(&r, "10.0.0.3");
    assert_non_null(w);
    assert_string_equal(w->display, "10.0.0.3");
    assert_false(w->has_pods);
    assert_false(w->pod_cpu_normalised);
    assert_true(w->flagged);
    assert_string_equal(w->kind, "cpu_saturation");
    assert_true(w->host_pressure);   /* no pod usage at all counts as small */
    classify_result_free(&r);

    /* names NULL: the same */
    assert_int_equal(classify_run(s, NULL, NULL, &r), 0);
    assert_int_equal(r.n, NODES);
    assert_non_null(row_of(&r, "10.0.0.3"));
    classify_result_free(&r);
    naming_destroy(n);
    store_destroy(s);
}

static void test_classify_no_data(void **state)
{
    (void)state;
    store *s = make_store();
    naming *n = make_naming(s);
    classify_result r;
    assert_int_equal(classify_run(s, n, NULL, &r), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.flagged, 0);
    assert_true(isnan(r.threshold));
    classify_result_free(&r);

    /* one host sample only: no finished bucket, no rows */
    req_builder *b = malloc(sizeof *b);
    assert_non_null(b);
    rb_init(b);
    const char *c[] = {"__name__", METRICS[0], "instance", "10.0.0.1:9100", NULL};
    const char *m[] = {"__name__", METRICS[1], "instance", "10.0.0.1:9100", NULL};
    rb_sample(b, rb_series(b, c), T0, 0.5);
    rb_sample(b, rb_series(b, m), T0, 0.5);
    ingest(s, b);
    free(b);
    assert_int_equal(classify_run(s, n, NULL, &r), 0);
    assert_int_equal(r.n, 0);
    classify_result_free(&r);

    assert_int_equal(classify_run(NULL, n, NULL, &r), -MAI_EINVAL);
    classify_result_free(&r);
    classify_result_free(NULL);
    naming_destroy(n);
    store_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_flags_cpu_saturated_node),
        cmocka_unit_test(test_classify_is_deterministic),
        cmocka_unit_test(test_classify_without_host_info),
        cmocka_unit_test(test_classify_no_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
