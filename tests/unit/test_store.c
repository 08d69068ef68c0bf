/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_store.c -- the series store: gauges and counters into rings, metadata-driven
 * kinds, duplicates, out-of-order, stale markers, the series limit, and concurrent ingest;
 * store_save/store_load round-trip labels, kinds, counter state and rings bit for bit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/store.h"

#include "req_builder.h"

static store *make_store(size_t max_series, unsigned shards)
{
    store_config c = {.shards = shards, .max_series = max_series, .fine_cap = 60,
                      .fine_step_ms = 60000, .coarse_cap = 24, .coarse_step_ms = 3600000};
    store *s = NULL;
    assert_int_equal(store_create(&c, &s), 0);
    return s;
}

static const char *const UP[] = {"__name__", "up", "job", "node", NULL};
static const char *const CPU[] = {"__name__", "node_cpu_seconds_total", "cpu", "0", "mode",
                                  "idle", NULL};

static long ring_of(store *s, const char *const *pairs, float *out, size_t max, int64_t *first)
{
    rw_label l[16];
    uint32_t n = 0;
    for (int i = 0; pairs[i]; i += 2, n++) {
        l[n].name = S(pairs[i]);
        l[n].value = S(pairs[i + 1]);
    }
    return store_series_ring(s, l, n, 0, out, max, first);
}

static int info_of(store *s, const char *const *pairs, store_series_info *info)
{
    rw_label l[16];
    uint32_t n = 0;
    for (int i = 0; pairs[i]; i += 2, n++) {
        l[n].name = S(pairs[i]);
        l[n].value = S(pairs[i + 1]);
    }
    return store_series_get(s, l, n, info);
}

static void ingest(store *s, req_builder *b, store_result *res)
{
    store_scratch *sc = store_scratch_create();
    assert_non_null(sc);
    assert_int_equal(store_ingest(s, &b->req, sc, res), 0);
    store_scratch_destroy(sc);
}

static void test_store_rejects_bad_config(void **state)
{
    (void)state;
    store *s = NULL;
    store_config c = {.shards = 3, .max_series = 10, .fine_cap = 10, .fine_step_ms = 1000,
                      .coarse_cap = 10, .coarse_step_ms = 1000};
    assert_int_equal(store_create(&c, &s), -MAI_EINVAL);   /* not a power of two */
    c.shards = 4;
    c.fine_cap = 0;
    assert_int_equal(store_create(&c, &s), -MAI_EINVAL);
    c.fine_cap = 10;
    c.fine_step_ms = 0;
    assert_int_equal(store_create(&c, &s), -MAI_EINVAL);
}

static void test_store_appends_gauge_into_fine_ring(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rw_series *se = rb_series(b, UP);
    rb_sample(b, se, 600000, 1.0);
    rb_sample(b, se, 630000, 3.0);      /* same minute: mean 2 */
    rb_sample(b, se, 720000, 5.0);      /* a minute skipped */
    store_result res;
    ingest(s, b, &res);
    assert_int_equal(res.accepted, 3);
    assert_int_equal(res.new_series, 1);
    float out[60];
    int64_t first;
    long n = ring_of(s, UP, out, 60, &first);
    assert_int_equal(n, 3);
    assert_int_equal(first, 10);
    assert_float_equal(out[0], 2.0, 1e-6);
    assert_true(isnan(out[1]));
    assert_float_equal(out[2], 5.0, 1e-6);
    store_series_info info;
    assert_int_equal(info_of(s, UP, &info), 0);
    assert_int_equal(info.kind, STORE_GAUGE);
    assert_int_equal(info.samples, 3);
    free(b);
    store_destroy(s);
}

static void test_store_converts_total_counter_to_rate(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rw_series *se = rb_series(b, CPU);
    rb_sample(b, se, 0, 100.0);
    rb_sample(b, se, 60000, 160.0);     /* 1/s */
    rb_sample(b, se, 120000, 30.0);     /* reset: 30 over 60 s = 0.5/s */
    store_result res;
    ingest(s, b, &res);
    float out[60];
    int64_t first;
    long n = ring_of(s, CPU, out, 60, &first);
    assert_int_equal(n, 2);
    assert_int_equal(first, 1);
    assert_float_equal(out[0], 1.0, 1e-6);
    assert_float_equal(out[1], 0.5, 1e-6);
    store_series_info info;
    info_of(s, CPU, &info);
    assert_int_equal(info.kind, STORE_COUNTER);
    assert_int_equal(info.counter_resets, 1);
    free(b);
    store_destroy(s);
}

static void test_store_metadata_makes_counter_and_restarts_history(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    static const char *const REQS[] = {"__name__", "http_requests", "job", "api", NULL};
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rw_series *se = rb_series(b, REQS);
    rb_sample(b, se, 0, 10.0);
    store_result res;
    ingest(s, b, &res);
    store_series_info info;
    info_of(s, REQS, &info);
    assert_int_equal(info.kind, STORE_GAUGE);   /* no metadata, no _total: a gauge */

    rw_metadata m = {S("http_requests"), RW_TYPE_COUNTER};
    store_set_metadata(s, &m, 1);
    rb_init(b);
    se = rb_series(b, REQS);
    rb_sample(b, se, 60000, 70.0);
    rb_sample(b, se, 120000, 130.0);
    ingest(s, b, &res);
    assert_int_equal(res.kind_changes, 1);
    info_of(s, REQS, &info);
    assert_int_equal(info.kind, STORE_COUNTER);
    float out[60];
    int64_t first;
    long n = ring_of(s, REQS, out, 60, &first);
    assert_int_equal(n, 1);             /* the gauge history was dropped, then one rate */
    assert_float_equal(out[0], 1.0, 1e-6);
    free(b);
    store_destroy(s);
}

static void test_store_histogram_bucket_is_counter_by_family_metadata(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    rw_metadata m = {S("request_duration_seconds"), RW_TYPE_HISTOGRAM};
    store_set_metadata(s, &m, 1);
    static const char *const BKT[] = {"__name__", "request_duration_seconds_bucket", "le", "1",
                                      NULL};
    static const char *const G[] = {"__name__", "temperature_count_of_things", NULL};
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rb_sample(b, rb_series(b, BKT), 0, 1.0);
    rb_sample(b, rb_series(b, G), 0, 1.0);
    store_result res;
    ingest(s, b, &res);
    store_series_info info;
    info_of(s, BKT, &info);
    assert_int_equal(info.kind, STORE_COUNTER);
    info_of(s, G, &info);
    assert_int_equal(info.kind, STORE_GAUGE);
    free(b);
    store_destroy(s);
}

static void test_store_v2_metadata_type_decides_kind(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rw_series *se = rb_series(b, UP);
    se->meta_type = RW_TYPE_COUNTER;
    rb_sample(b, se, 0, 1.0);
    store_result res;
    ingest(s, b, &res);
    store_series_info info;
    info_of(s, UP, &info);
    assert_int_equal(info.kind, STORE_COUNTER);
    free(b);
    store_destroy(s);
}

static void test_store_drops_out_of_order_and_accepts_duplicates(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rw_series *se = rb_series(b, UP);
    rb_sample(b, se, 120000, 1.0);
    rb_sample(b, se, 120000, 1.0);      /* exact duplicate: accepted */
    rb_sample(b, se, 120000, 2.0);      /* same time, other value: dropped */
    rb_sample(b, se, 60000, 3.0);       /* older: dropped */
    store_result res;
    ingest(s, b, &res);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.duplicates, 1);
    assert_int_equal(res.conflicts, 1);
    assert_int_equal(res.out_of_order, 1);
    float out[60];
    int64_t first;
    assert_int_equal(ring_of(s, UP, out, 60, &first), 1);
    assert_float_equal(out[0], 1.0, 0);
    free(b);
    store_destroy(s);
}

/* Timestamps more than 2^53 ms from 1970 are dropped (counted), whatever else the request holds;
 * the ends of the range are kept, and a series' first sample may be negative. */
static void test_store_drops_timestamps_out_of_range(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    req_builder *b = malloc(sizeof *b);
    static const char *const LO[] = {"__name__", "lo", NULL};
    static const char *const HI[] = {"__name__", "hi", NULL};
    rb_init(b);
    rw_series *lo = rb_series(b, LO);
    rb_sample(b, lo, INT64_MIN, 1.0);
    rb_sample(b, lo, -STORE_MAX_ABS_TS_MS - 1, 1.0);
    rb_sample(b, lo, -STORE_MAX_ABS_TS_MS, 2.0);
    rw_series *hi = rb_series(b, HI);
    rb_sample(b, hi, STORE_MAX_ABS_TS_MS, 3.0);
    rb_sample(b, hi, STORE_MAX_ABS_TS_MS + 1, 4.0);
    rb_sample(b, hi, INT64_MAX, 5.0);
    store_result res;
    ingest(s, b, &res);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.bad_timestamp, 4);
    store_series_info info;
    assert_int_equal(info_of(s, LO, &info), 0);
    assert_int_equal(info.last_t_ms, -STORE_MAX_ABS_TS_MS);
    assert_int_equal(info_of(s, HI, &info), 0);
    assert_int_equal(info.last_t_ms, STORE_MAX_ABS_TS_MS);
    float out[60];
    int64_t first;
    assert_int_equal(ring_of(s, HI, out, 60, &first), 1);
    assert_int_equal(first, STORE_MAX_ABS_TS_MS / 60000);
    assert_float_equal(out[0], 3.0, 0);
    free(b);
    store_destroy(s);
}

static void test_store_stale_marker_ends_activity(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    double stale;
    uint64_t bits = 0x7ff0000000000002ULL;
    memcpy(&stale, &bits, sizeof stale);
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rw_series *se = rb_series(b, UP);
    rb_sample(b, se, 0, 1.0);
    rb_sample(b, se, 15000, stale);
    store_result res;
    ingest(s, b, &res);
    assert_int_equal(res.stale_markers, 1);
    store_stats st;
    store_get_stats(s, &st);
    assert_int_equal(st.series, 1);
    assert_int_equal(st.active, 0);
    store_series_info info;
    info_of(s, UP, &info);
    assert_int_equal(info.stale, 1);

    rb_init(b);                          /* a plain NaN is data, not the end */
    se = rb_series(b, UP);
    rb_sample(b, se, 30000, NAN);
    ingest(s, b, &res);
    store_get_stats(s, &st);
    assert_int_equal(st.active, 1);
    assert_int_equal(res.accepted, 1);
    free(b);
    store_destroy(s);
}

static void test_store_series_limit_refuses_new_series(void **state)
{
    (void)state;
    store *s = make_store(2, 1);
    static const char *const A[] = {"__name__", "a", NULL};
    static const char *const B[] = {"__name__", "b", NULL};
    static const char *const C[] = {"__name__", "c", NULL};
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rb_sample(b, rb_series(b, A), 0, 1);
    rb_sample(b, rb_series(b, B), 0, 1);
    rw_series *c = rb_series(b, C);
    rb_sample(b, c, 0, 1);
    rb_sample(b, c, 1000, 1);
    store_result res;
    ingest(s, b, &res);
    assert_int_equal(res.new_series, 2);
    assert_int_equal(res.refused_series, 1);
    assert_int_equal(res.series_limit, 2);
    assert_int_equal(res.accepted, 2);
    store_series_info info;
    assert_int_equal(info_of(s, C, &info), -MAI_EINVAL);
    rb_init(b);                          /* existing series keep working at the limit */
    rb_sample(b, rb_series(b, A), 60000, 2);
    ingest(s, b, &res);
    assert_int_equal(res.accepted, 1);
    free(b);
    store_destroy(s);
}

static void test_store_lookup_ignores_label_order(void **state)
{
    (void)state;
    store *s = make_store(100, 8);
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rb_sample(b, rb_series(b, CPU), 0, 1.0);
    store_result res;
    ingest(s, b, &res);
    static const char *const SHUFFLED[] = {"mode", "idle", "__name__", "node_cpu_seconds_total",
                                           "cpu", "0", NULL};
    store_series_info info;
    assert_int_equal(info_of(s, SHUFFLED, &info), 0);
    static const char *const OTHER[] = {"mode", "user", "__name__", "node_cpu_seconds_total",
                                        "cpu", "0", NULL};
    assert_int_equal(info_of(s, OTHER, &info), -MAI_EINVAL);
    free(b);
    store_destroy(s);
}

static void test_store_coarse_ring_keeps_hourly_means(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rw_series *se = rb_series(b, UP);
    for (int m = 0; m < 120; m++)
        rb_sample(b, se, (int64_t)m * 60000, m < 60 ? 1.0 : 3.0);
    store_result res;
    ingest(s, b, &res);
    rw_label l[2] = {{S("__name__"), S("up")}, {S("job"), S("node")}};
    float out[24];
    int64_t first;
    long n = store_series_ring(s, l, 2, 1, out, 24, &first);
    assert_int_equal(n, 2);
    assert_int_equal(first, 0);
    assert_float_equal(out[0], 1.0, 1e-6);
    assert_float_equal(out[1], 3.0, 1e-6);
    free(b);
    store_destroy(s);
}

/* Four threads ingest 64 series each, 50 rounds, through the same shards. */
typedef struct worker_arg {
    store *s;
    int id;
    uint64_t accepted;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    req_builder *b = malloc(sizeof *b);
    store_scratch *sc = store_scratch_create();
    char names[64][32];
    for (int round = 0; round < 50; round++) {
        rb_init(b);
        for (int i = 0; i < 64; i++) {
            snprintf(names[i], sizeof names[i], "m_%d_%d", a->id, i);
            const char *pairs[] = {"__name__", names[i], NULL};
            rw_series *se = rb_series(b, pairs);
            rb_sample(b, se, (int64_t)round * 15000, round);
        }
        store_result res;
        if (store_ingest(a->s, &b->req, sc, &res) == 0)
            a->accepted += res.accepted;
    }
    store_scratch_destroy(sc);
    free(b);
    return NULL;
}

static void test_store_concurrent_ingest_loses_nothing(void **state)
{
    (void)state;
    store *s = make_store(100000, 16);
    pthread_t th[4];
    worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg){s, i, 0};
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    uint64_t total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += args[i].accepted;
    }
    assert_int_equal(total, 4 * 50 * 64);
    store_stats st;
    store_get_stats(s, &st);
    assert_int_equal(st.series, 4 * 64);
    assert_int_equal(st.active, 4 * 64);
    assert_true(st.memory_series_bytes >= 4 * 64 * store_record_bytes(s));
    store_destroy(s);
}

static void test_store_skips_invalid_series(void **state)
{
    (void)state;
    store *s = make_store(100, 4);
    req_builder *b = malloc(sizeof *b);
    rb_init(b);
    rw_series *bad = rb_series(b, UP);
    rb_sample(b, bad, 0, 1.0);
    bad->invalid = RW_INVALID_DUPLICATE_LABEL;
    store_result res;
    ingest(s, b, &res);
    assert_int_equal(res.accepted, 0);
    store_stats st;
    store_get_stats(s, &st);
    assert_int_equal(st.series, 0);
    free(b);
    store_destroy(s);
}

/* Records of store_save, kept in memory (one buffer, length-prefixed). */
typedef struct recs {
    uint8_t *p;
    size_t n, cap, count;
} recs;

static int keep_record(void *ctx, const uint8_t *rec, size_t n)
{
    recs *r = ctx;
    if (r->n + n + 8 > r->cap) {
        r->cap = (r->n + n + 8) * 2;
        r->p = realloc(r->p, r->cap);
        assert_non_null(r->p);
    }
    memcpy(r->p + r->n, &n, sizeof n);
    memcpy(r->p + r->n + 8, rec, n);
    r->n += n + 8;
    r->count++;
    return 0;
}

/* Walks the records: *at is advanced; returns the record or NULL at the end. */
static const uint8_t *next_record(const recs *r, size_t *at, size_t *n)
{
    if (*at >= r->n)
        return NULL;
    memcpy(n, r->p + *at, sizeof *n);
    const uint8_t *p = r->p + *at + 8;
    *at += *n + 8;
    return p;
}

static int cmp_bytes(const void *a, const void *b)
{
    const uint8_t *const *x = a, *const *y = b;
    size_t nx, ny;
    memcpy(&nx, *x - 8, sizeof nx);
    memcpy(&ny, *y - 8, sizeof ny);
    int c = memcmp(*x, *y, nx < ny ? nx : ny);
    return c ? c : (nx > ny) - (nx < ny);
}

/* Both stores save the same records (in any order: table order depends on insertion). */
static void assert_same_records(store *a, store *b)
{
    recs ra = {0}, rb = {0};
    assert_int_equal(store_save(a, keep_record, &ra), 0);
    assert_int_equal(store_save(b, keep_record, &rb), 0);
    assert_int_equal(ra.count, rb.count);
    assert_int_equal(ra.n, rb.n);
    const uint8_t **la = malloc(ra.count * sizeof *la), **lb = malloc(rb.count * sizeof *lb);
    size_t at = 0, n, i = 0;
    const uint8_t *p;
    while ((p = next_record(&ra, &at, &n)))
        la[i++] = p;
    at = 0;
    i = 0;
    while ((p = next_record(&rb, &at, &n)))
        lb[i++] = p;
    qsort(la, ra.count, sizeof *la, cmp_bytes);
    qsort(lb, rb.count, sizeof *lb, cmp_bytes);
    for (i = 0; i < ra.count; i++)
        assert_int_equal(cmp_bytes(&la[i], &lb[i]), 0);
    free(la);
    free(lb);
    free(ra.p);
    free(rb.p);
}

static const char *const REQS[] = {"__name__", "http_requests", "code", "200", NULL};
static const char *const DISK[] = {"__name__", "disk_used", "mount", "/", NULL};

/* Gauges with gaps and a wrapped fine ring, a counter by name and one by metadata (with a reset),
 * a stale series. t0 in ms; k rounds of samples 20 s apart. */
static void fill_mixed(store *s, int64_t t0, int rounds)
{
    rw_metadata m = {S("http_requests"), RW_TYPE_COUNTER};
    store_set_metadata(s, &m, 1);
    req_builder *b = malloc(sizeof *b);
    for (int r = 0; r < rounds; r++) {
        rb_init(b);
        int64_t t = t0 + (int64_t)r * 20000;
        rw_series *se = rb_series(b, UP);
        rb_sample(b, se, t, r % 7 == 3 ? NAN : 1.0 + 0.25 * (r % 5));
        se = rb_series(b, CPU);
        rb_sample(b, se, t, 1000.0 + 3.5 * r);
        se = rb_series(b, REQS);
        rb_sample(b, se, t, r == 40 ? 2.0 : 100.0 + 7 * r);     /* a reset at round 40 */
        if (r % 30 < 20) {                                       /* gaps of 10 rounds */
            se = rb_series(b, DISK);
            rb_sample(b, se, t, 1e9 + 12345.678 * r);
        }
        store_result res;
        ingest(s, b, &res);
    }
    rb_init(b);
    double stale;
    uint64_t bits = 0x7ff0000000000002ULL;
    memcpy(&stale, &bits, sizeof stale);
    rw_series *se = rb_series(b, DISK);
    rb_sample(b, se, t0 + (int64_t)rounds * 20000, stale);
    store_result res;
    ingest(s, b, &res);
    free(b);
}

static store *reload(store *from, const store_config *c, int *failures)
{
    store *to = NULL;
    assert_int_equal(store_create(c, &to), 0);
    recs r = {0};
    assert_int_equal(store_save(from, keep_record, &r), 0);
    size_t at = 0, n;
    const uint8_t *p;
    *failures = 0;
    while ((p = next_record(&r, &at, &n)))
        *failures += store_load(to, p, n) != 0;
    free(r.p);
    return to;
}

static void test_store_save_load_round_trips_bit_for_bit(void **state)
{
    (void)state;
    store *a = make_store(100, 4);
    fill_mixed(a, 1700000000000LL, 300);            /* 100 min: the 60-slot fine ring wraps */
    store_config c = {.shards = 8, .max_series = 100, .fine_cap = 60, .fine_step_ms = 60000,
                      .coarse_cap = 24, .coarse_step_ms = 3600000};   /* other shard count */
    int failures;
    store *b = reload(a, &c, &failures);
    assert_int_equal(failures, 0);
    assert_same_records(a, b);
    store_stats sa, sb;
    store_get_stats(a, &sa);
    store_get_stats(b, &sb);
    assert_int_equal(sa.series, 4);
    assert_int_equal(sb.series, sa.series);
    assert_int_equal(sb.active, sa.active);
    assert_int_equal(sb.metadata_families, sa.metadata_families);
    store_series_info ia, ib;
    const char *const *all[] = {UP, CPU, REQS, DISK};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(info_of(a, all[i], &ia), 0);
        assert_int_equal(info_of(b, all[i], &ib), 0);
        assert_memory_equal(&ia, &ib, sizeof ia);
        float fa[60], fb[60];
        int64_t f0a, f0b;
        long na = ring_of(a, all[i], fa, 60, &f0a), nb = ring_of(b, all[i], fb, 60, &f0b);
        assert_int_equal(na, nb);
        assert_true(f0a == f0b);
        assert_memory_equal(fa, fb, (size_t)na * sizeof *fa);
    }
    /* both go on the same way: counter state, running means and staleness came back */
    fill_mixed(a, 1700000000000LL + 300 * 20000 + 10000, 50);
    fill_mixed(b, 1700000000000LL + 300 * 20000 + 10000, 50);
    assert_same_records(a, b);
    store_destroy(a);
    store_destroy(b);
}

static void test_store_load_refuses_bad_records_and_other_steps(void **state)
{
    (void)state;
    store *a = make_store(100, 4);
    fill_mixed(a, 1700000000000LL, 100);
    recs r = {0};
    assert_int_equal(store_save(a, keep_record, &r), 0);
    store *b = make_store(100, 4);
    size_t at = 0, n;
    const uint8_t *p;
    while ((p = next_record(&r, &at, &n))) {
        for (size_t k = 0; k < n; k++)              /* every truncation */
            assert_int_equal(store_load(b, p, k), -MAI_EPROTO);
        assert_int_equal(store_load(b, p, n), 0);
        if (p[0] == 'S')                            /* a series twice */
            assert_int_equal(store_load(b, p, n), -MAI_EPROTO);
    }
    store_stats st;
    store_get_stats(b, &st);
    assert_int_equal(st.series, 4);
    store_destroy(b);

    store_config c = {.shards = 4, .max_series = 100, .fine_cap = 60, .fine_step_ms = 30000,
                      .coarse_cap = 24, .coarse_step_ms = 3600000};
    int failures;
    b = reload(a, &c, &failures);                   /* another fine step: nothing restored */
    assert_int_equal(failures, 4);
    store_get_stats(b, &st);
    assert_int_equal(st.series, 0);
    store_destroy(b);

    c.fine_step_ms = 60000;
    c.max_series = 2;
    b = reload(a, &c, &failures);                   /* the series limit holds */
    assert_int_equal(failures, 2);
    store_destroy(b);

    c.max_series = 100;
    c.fine_cap = 10;                                /* a smaller ring keeps the newest buckets */
    b = reload(a, &c, &failures);
    assert_int_equal(failures, 0);
    float fa[60], fb[60];
    int64_t f0a, f0b;
    long na = ring_of(a, UP, fa, 60, &f0a), nb = ring_of(b, UP, fb, 60, &f0b);
    assert_int_equal(nb, 10);
    assert_true(na > 10);
    assert_true(f0b == f0a + (na - 10));
    assert_memory_equal(fa + (na - 10), fb, 10 * sizeof *fb);
    store_destroy(b);
    free(r.p);
    store_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_rejects_bad_config),
        cmocka_unit_test(test_store_appends_gauge_into_fine_ring),
        cmocka_unit_test(test_store_converts_total_counter_to_rate),
        cmocka_unit_test(test_store_metadata_makes_counter_and_restarts_history),
        cmocka_unit_test(test_store_histogram_bucket_is_counter_by_family_metadata),
        cmocka_unit_test(test_store_v2_metadata_type_decides_kind),
        cmocka_unit_test(test_store_drops_out_of_order_and_accepts_duplicates),
        cmocka_unit_test(test_store_drops_timestamps_out_of_range),
        cmocka_unit_test(test_store_stale_marker_ends_activity),
        cmocka_unit_test(test_store_series_limit_refuses_new_series),
        cmocka_unit_test(test_store_lookup_ignores_label_order),
        cmocka_unit_test(test_store_coarse_ring_keeps_hourly_means),
        cmocka_unit_test(test_store_concurrent_ingest_loses_nothing),
        cmocka_unit_test(test_store_skips_invalid_series),
        cmocka_unit_test(test_store_save_load_round_trips_bit_for_bit),
        cmocka_unit_test(test_store_load_refuses_bad_records_and_other_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
