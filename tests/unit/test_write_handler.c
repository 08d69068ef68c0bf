/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_write_handler.c -- the remote write path after HTTP: protocol negotiation,
 * snappy checks, decoding errors, partial writes, the 2.0 *-Written counts and self-metrics. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/selfstats.h"
#include "adapter/write_handler.h"
#include "remote.pb-c.h"
#include "write_v2.pb-c.h"

static store *st;
static write_env env;

/* Allocation counting: this binary replaces malloc and friends by thin wrappers over glibc's
 * (not under AddressSanitizer, which owns them there). */
#if !defined(__SANITIZE_ADDRESS__)
static int counting;
static long allocations;
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
void *malloc(size_t n)
{
    allocations += counting;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
    allocations += counting;
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
    allocations += counting;
    return __libc_realloc(p, n);
}
#endif

static int setup(void **state)
{
    (void)state;
    store_config c = {.shards = 4, .max_series = 1000, .fine_cap = 60, .fine_step_ms = 60000,
                      .coarse_cap = 24, .coarse_step_ms = 3600000};
    if (store_create(&c, &st) != 0)
        return -1;
    env.st = st;
    env.max_decoded_bytes = 1 << 20;
    env.limits = (rw_limits){.max_labels_per_series = 32, .max_label_bytes = 1024,
                             .max_series = 100000, .max_samples = 100000};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_destroy(st);
    st = NULL;
    write_worker_release();
    return 0;
}

/* Snappy-compresses raw into a malloc'd buffer. */
static uint8_t *compress(const uint8_t *raw, size_t n, size_t *out_n)
{
    size_t cap = snappy_max_compressed_length(n);
    uint8_t *out = malloc(cap);
    assert_int_equal(snappy_compress((const char *)raw, n, (char *)out, &cap), SNAPPY_OK);
    *out_n = cap;
    return out;
}

/* A v1 body: one series per name with one sample each at t_ms; no_name drops __name__ from
 * series index no_name (-1: none); histograms adds that many histograms to the first series. */
static uint8_t *v1_body(const char *const *names, size_t n, int64_t t_ms, double v, int no_name,
                        size_t histograms, size_t *out_n)
{
    Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
    Prometheus__TimeSeries ts[8], *tsp[8];
    Prometheus__Label lab[8][2], *labp[8][2];
    Prometheus__Sample sm[8], *smp[8];
    Prometheus__Histogram h = PROMETHEUS__HISTOGRAM__INIT, *hp[4] = {&h, &h, &h, &h};
    assert_true(n <= 8 && histograms <= 4);
    for (size_t i = 0; i < n; i++) {
        prometheus__time_series__init(&ts[i]);
        prometheus__label__init(&lab[i][0]);
        prometheus__label__init(&lab[i][1]);
        prometheus__sample__init(&sm[i]);
        lab[i][0].name = "__name__";
        lab[i][0].value = (char *)names[i];
        lab[i][1].name = "job";
        lab[i][1].value = "test";
        labp[i][0] = &lab[i][0];
        labp[i][1] = &lab[i][1];
        sm[i].value = v;
        sm[i].timestamp = t_ms;
        smp[i] = &sm[i];
        ts[i].labels = (int)i == no_name ? &labp[i][1] : labp[i];
        ts[i].n_labels = (int)i == no_name ? 1 : 2;
        ts[i].samples = &smp[i];
        ts[i].n_samples = 1;
        tsp[i] = &ts[i];
    }
    if (histograms) {
        ts[0].histograms = hp;
        ts[0].n_histograms = histograms;
    }
    wr.timeseries = tsp;
    wr.n_timeseries = n;
    size_t raw_n = prometheus__write_request__get_packed_size(&wr);
    uint8_t *raw = malloc(raw_n + 1);
    prometheus__write_request__pack(&wr, raw);
    uint8_t *out = compress(raw, raw_n, out_n);
    free(raw);
    return out;
}

static uint64_t counter(atomic_uint_fast64_t *c)
{
    return atomic_load(c);
}

static void process(const uint8_t *body, size_t n, int version, write_reply *r)
{
    memset(r, 0, sizeof *r);
    r->version = version;
    write_process(&env, body, n, r);
}

static void test_write_negotiates_versions(void **state)
{
    (void)state;
    write_reply r;
    assert_int_equal(write_negotiate(NULL, NULL, &r), 0);
    assert_int_equal(r.version, VER_1);
    assert_int_equal(write_negotiate("application/x-protobuf", "snappy", &r), 0);
    assert_int_equal(r.version, VER_1);
    assert_int_equal(write_negotiate("Application/X-Protobuf ; proto=prometheus.WriteRequest",
                                     "Snappy", &r), 0);
    assert_int_equal(r.version, VER_1);
    assert_int_equal(write_negotiate("application/x-protobuf;proto=io.prometheus.write.v2.Request",
                                     "snappy", &r), 0);
    assert_int_equal(r.version, VER_2);
    assert_int_equal(write_negotiate("application/x-protobuf; charset=x; "
                                     "proto=\"io.prometheus.write.v2.Request\"", NULL, &r), 0);
    assert_int_equal(r.version, VER_2);
}

static void test_write_refuses_unknown_media_types_with_415(void **state)
{
    (void)state;
    write_reply r;
    const char *bad_types[] = {"application/json", "image/png", "application/x-protobuf;proto=foo",
                               "application/x-protobufx", "text/plain"};
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        assert_int_equal(write_negotiate(bad_types[i], "snappy", &r), -MAI_ENOTSUP);
        assert_int_equal(r.status, 415);
        assert_non_null(strstr(r.text, "Content-Type"));
        assert_null(strchr(r.text, '\n'));
    }
    const char *bad_enc[] = {"gzip", "deflate", "zstd", "identity"};
    for (size_t i = 0; i < sizeof bad_enc / sizeof bad_enc[0]; i++) {
        assert_int_equal(write_negotiate("application/x-protobuf", bad_enc[i], &r), -MAI_ENOTSUP);
        assert_int_equal(r.status, 415);
        assert_non_null(strstr(r.text, "Content-Encoding"));
        assert_int_equal(r.written_headers, 0);
    }
    /* A 2.0 sender learns it was 2.0 that failed: the *-Written headers go out, all 0. */
    assert_int_equal(write_negotiate("application/x-protobuf;proto=io.prometheus.write.v2.Request",
                                     "gzip", &r), -MAI_ENOTSUP);
    assert_int_equal(r.status, 415);
    assert_int_equal(r.version, VER_2);
    assert_int_equal(r.written_headers, 1);
    assert_int_equal(r.samples_written, 0);
}

static void test_write_accepts_v1_with_204_and_no_written_headers(void **state)
{
    (void)state;
    const char *names[] = {"a_metric", "b_metric"};
    size_t n;
    uint8_t *body = v1_body(names, 2, 60000, 1.5, -1, 0, &n);
    uint64_t acc0 = counter(&g_selfstats.samples_accepted);
    write_reply r;
    process(body, n, VER_1, &r);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.written_headers, 0);
    assert_int_equal(counter(&g_selfstats.samples_accepted) - acc0, 2);
    process(body, n, VER_1, &r);        /* a resend: exact duplicates succeed */
    assert_int_equal(r.status, 204);
    free(body);
}

static void test_write_v2_reports_written_counts(void **state)
{
    (void)state;
    char *symbols[] = {"", "__name__", "v2_metric", "job", "x"};
    uint32_t refs[] = {1, 2, 3, 4};
    Io__Prometheus__Write__V2__Sample s1 = IO__PROMETHEUS__WRITE__V2__SAMPLE__INIT;
    Io__Prometheus__Write__V2__Sample s2 = IO__PROMETHEUS__WRITE__V2__SAMPLE__INIT;
    s1.value = 1;
    s1.timestamp = 1000;
    s2.value = 2;
    s2.timestamp = 2000;
    Io__Prometheus__Write__V2__Sample *sp[] = {&s1, &s2};
    Io__Prometheus__Write__V2__Exemplar ex = IO__PROMETHEUS__WRITE__V2__EXEMPLAR__INIT;
    Io__Prometheus__Write__V2__Exemplar *exp[] = {&ex};
    Io__Prometheus__Write__V2__TimeSeries ts = IO__PROMETHEUS__WRITE__V2__TIME_SERIES__INIT;
    ts.labels_refs = refs;
    ts.n_labels_refs = 4;
    ts.samples = sp;
    ts.n_samples = 2;
    ts.exemplars = exp;
    ts.n_exemplars = 1;
    Io__Prometheus__Write__V2__TimeSeries *tsp[] = {&ts};
    Io__Prometheus__Write__V2__Request req = IO__PROMETHEUS__WRITE__V2__REQUEST__INIT;
    req.symbols = symbols;
    req.n_symbols = 5;
    req.timeseries = tsp;
    req.n_timeseries = 1;
    uint8_t raw[512];
    size_t raw_n = io__prometheus__write__v2__request__pack(&req, raw);
    size_t n;
    uint8_t *body = compress(raw, raw_n, &n);
    write_reply r;
    process(body, n, VER_2, &r);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.written_headers, 1);
    assert_int_equal(r.samples_written, 2);
    assert_int_equal(r.histograms_written, 0);
    assert_int_equal(r.exemplars_written, 1);
    free(body);

    refs[3] = 99;                       /* out of the symbols table: refused, counted 0 */
    raw_n = io__prometheus__write__v2__request__pack(&req, raw);
    body = compress(raw, raw_n, &n);
    process(body, n, VER_2, &r);
    assert_int_equal(r.status, 400);
    assert_int_equal(r.written_headers, 1);
    assert_int_equal(r.samples_written, 0);
    assert_non_null(strstr(r.text, "symbols"));
    free(body);
}

static void test_write_refuses_snappy_problems(void **state)
{
    (void)state;
    write_reply r;
    process((const uint8_t *)"", 0, VER_1, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.text, "empty body"));

    const uint8_t framed[] = {0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0, 0};
    process(framed, sizeof framed, VER_1, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.text, "framed"));

    const uint8_t garbage[] = {0x0a, 0x99, 0x99, 0x99, 0x01, 0x02};
    process(garbage, sizeof garbage, VER_1, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.text, "snappy"));

    /* Declares 2 MiB against a 1 MiB limit: refused before any allocation. */
    const uint8_t bomb[] = {0x80, 0x80, 0x80, 0x01, 0x00};
    process(bomb, sizeof bomb, VER_1, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.text, "--max-decoded-bytes"));
    /* One byte under and exactly at the limit are not 413. */
    env.max_decoded_bytes = (1 << 21) - 1;
    process(bomb, sizeof bomb, VER_1, &r);
    assert_int_equal(r.status, 413);
    env.max_decoded_bytes = 1 << 21;
    process(bomb, sizeof bomb, VER_1, &r);
    assert_int_equal(r.status, 400);    /* allowed size, but the data is missing */
    env.max_decoded_bytes = 1 << 20;
}

static void test_write_refuses_malformed_protobuf(void **state)
{
    (void)state;
    const uint8_t raw[] = {0x0a, 0x05, 0x0a, 0x10, 0x01};   /* label length past the end */
    size_t n;
    uint8_t *body = compress(raw, sizeof raw, &n);
    uint64_t rx0 = counter(&g_selfstats.samples_received);
    write_reply r;
    process(body, n, VER_1, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.text, "malformed prometheus.WriteRequest"));
    assert_int_equal(counter(&g_selfstats.samples_received), rx0);
    free(body);
}

static void test_write_keeps_valid_series_of_a_partly_invalid_request(void **state)
{
    (void)state;
    const char *names[] = {"good_one", "nameless", "good_two"};
    size_t n;
    uint8_t *body = v1_body(names, 3, 120000, 2.0, 1, 0, &n);
    uint64_t acc0 = counter(&g_selfstats.samples_accepted);
    uint64_t rej0 = counter(&g_selfstats.samples_rejected[REJ_NO_METRIC_NAME]);
    write_reply r;
    process(body, n, VER_1, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.text, "1 of 3 samples not written"));
    assert_non_null(strstr(r.text, "__name__"));
    assert_int_equal(counter(&g_selfstats.samples_accepted) - acc0, 2);
    assert_int_equal(counter(&g_selfstats.samples_rejected[REJ_NO_METRIC_NAME]) - rej0, 1);
    free(body);
}

static void test_write_reports_out_of_order_and_histograms(void **state)
{
    (void)state;
    const char *names[] = {"ooo_metric"};
    size_t n;
    uint8_t *body = v1_body(names, 1, 600000, 1.0, -1, 0, &n);
    write_reply r;
    process(body, n, VER_1, &r);
    assert_int_equal(r.status, 204);
    free(body);
    body = v1_body(names, 1, 300000, 1.0, -1, 0, &n);
    uint64_t ooo0 = counter(&g_selfstats.samples_rejected[REJ_OUT_OF_ORDER]);
    process(body, n, VER_1, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.text, "out of order"));
    assert_int_equal(counter(&g_selfstats.samples_rejected[REJ_OUT_OF_ORDER]) - ooo0, 1);
    free(body);

    const char *hn[] = {"hist_metric"};
    body = v1_body(hn, 1, 600000, 1.0, -1, 2, &n);
    uint64_t h0 = counter(&g_selfstats.histograms_dropped);
    process(body, n, VER_1, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.text, "histograms"));
    assert_int_equal(counter(&g_selfstats.histograms_dropped) - h0, 2);
    free(body);
}

static void test_write_accepts_special_values(void **state)
{
    (void)state;
    const char *names[] = {"special_metric"};
    double stale;
    uint64_t bits = 0x7ff0000000000002ULL;
    memcpy(&stale, &bits, sizeof stale);
    const double values[] = {NAN, INFINITY, -INFINITY, stale};
    write_reply r;
    for (size_t i = 0; i < 4; i++) {
        size_t n;
        uint8_t *body = v1_body(names, 1, 1000 * (int64_t)(i + 1), values[i], -1, 0, &n);
        process(body, n, VER_1, &r);
        assert_int_equal(r.status, 204);
        free(body);
    }
    store_stats s;
    store_get_stats(st, &s);
    assert_true(s.series >= 1);
}

static void test_write_accepts_metadata_only_request(void **state)
{
    (void)state;
    Prometheus__MetricMetadata m = PROMETHEUS__METRIC_METADATA__INIT, *mp[] = {&m};
    m.type = PROMETHEUS__METRIC_METADATA__METRIC_TYPE__COUNTER;
    m.metric_family_name = "requests";
    Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
    wr.metadata = mp;
    wr.n_metadata = 1;
    uint8_t raw[128];
    size_t raw_n = prometheus__write_request__pack(&wr, raw);
    size_t n;
    uint8_t *body = compress(raw, raw_n, &n);
    uint64_t m0 = counter(&g_selfstats.metadata_received);
    write_reply r;
    process(body, n, VER_1, &r);
    assert_int_equal(r.status, 204);
    assert_int_equal(counter(&g_selfstats.metadata_received) - m0, 1);
    store_stats s;
    store_get_stats(st, &s);
    assert_int_equal(s.metadata_families, 1);
    free(body);
}

static void test_write_steady_state_allocates_nothing(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#else
    const char *names[] = {"steady_a", "steady_b", "steady_c", "steady_d", "steady_e"};
    size_t n[4];
    uint8_t *body[4];
    for (int i = 0; i < 4; i++)     /* encode before counting: the test's own mallocs */
        body[i] = v1_body(names, 5, 10000000 + 15000 * (int64_t)i, (double)i, -1, 0, &n[i]);
    write_reply r;
    process(body[0], n[0], VER_1, &r);     /* creates the series */
    process(body[1], n[1], VER_1, &r);     /* warms the per-thread buffers */
    assert_int_equal(r.status, 204);
    counting = 1;
    allocations = 0;
    process(body[2], n[2], VER_1, &r);
    process(body[3], n[3], VER_1, &r);
    counting = 0;
    assert_int_equal(r.status, 204);
    assert_int_equal(allocations, 0);
    for (int i = 0; i < 4; i++)
        free(body[i]);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_negotiates_versions),
        cmocka_unit_test(test_write_refuses_unknown_media_types_with_415),
        cmocka_unit_test(test_write_accepts_v1_with_204_and_no_written_headers),
        cmocka_unit_test(test_write_v2_reports_written_counts),
        cmocka_unit_test(test_write_refuses_snappy_problems),
        cmocka_unit_test(test_write_refuses_malformed_protobuf),
        cmocka_unit_test(test_write_keeps_valid_series_of_a_partly_invalid_request),
        cmocka_unit_test(test_write_reports_out_of_order_and_histograms),
        cmocka_unit_test(test_write_accepts_special_values),
        cmocka_unit_test(test_write_accepts_metadata_only_request),
        cmocka_unit_test(test_write_steady_state_allocates_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
