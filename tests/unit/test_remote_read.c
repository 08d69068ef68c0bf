/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_remote_read.c -- remote read answers, decoded with protobuf-c as the reference:
 * EQ/NEQ/RE/NRE matchers (anchored regexes, a missing label equal to ""), time ranges over the
 * fine and coarse rings, several queries in order, the forecast-curve series (labels, fine
 * points, the coarse path interpolated at 5 minutes, bounds, renamed clashing labels) from a
 * hand-built result set and from a real model cycle, and each bad input's status and message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/cycle.h"
#include "adapter/remote_read.h"
#include "adapter/xor_chunk.h"
#include "remote.pb-c.h"
#include "req_builder.h"
#include "xor_decoder.h"

#define MIN INT64_C(60000)
#define HOUR INT64_C(3600000)

static store *st;
static results_box *box;

/* ---------------------------------------------------------------- fixture */

/* temp{host=a|b|ab}: value = minute number (+100 for b, +200 for ab) at minutes 0..9;
 * up{job=x} (no host label): 1 at minutes 0..9; old{} at hours 0..3 (coarse ring only: the fine
 * ring of 60 slots keeps the last hour). */
static int setup(void **state)
{
    (void)state;
    store_config c = {.shards = 4, .max_series = 100, .fine_cap = 60, .fine_step_ms = MIN,
                      .coarse_cap = 24, .coarse_step_ms = HOUR};
    if (store_create(&c, &st) != 0)
        return -1;
    static const char *const A[] = {"__name__", "temp", "host", "a", NULL};
    static const char *const B[] = {"__name__", "temp", "host", "b", NULL};
    static const char *const AB[] = {"__name__", "temp", "host", "ab", NULL};
    static const char *const U[] = {"__name__", "up", "job", "x", NULL};
    static req_builder b2;
    rb_init(&b2);
    const char *const *sets[] = {A, B, AB, U};
    for (int s = 0; s < 4; s++) {
        rw_series *x = rb_series(&b2, sets[s]);
        for (int i = 0; i < 10; i++)
            rb_sample(&b2, x, (int64_t)i * MIN, s == 3 ? 1 : (s == 2 ? 200 : s * 100) + i);
    }
    static const char *const O[] = {"__name__", "old", NULL};
    rw_series *so = rb_series(&b2, O);
    for (int h = 0; h < 4; h++)
        rb_sample(&b2, so, (int64_t)h * HOUR, 10 * h);
    store_scratch *sc = store_scratch_create();
    store_result res;
    int rc = store_ingest(st, &b2.req, sc, &res);
    store_scratch_destroy(sc);
    box = results_box_create();
    return rc != 0 || !box;
}

static int teardown(void **state)
{
    (void)state;
    results_box_destroy(box);
    store_destroy(st);
    return 0;
}

/* ---------------------------------------------------------------- requests */

typedef struct mspec {
    int type;
    const char *name, *value;
} mspec;

typedef struct qspec {
    int64_t start, end;
    mspec m[6];
    size_t nm;
} qspec;

/* A snappy ReadRequest for the queries (accepted: n types, or none). */
static uint8_t *build(const qspec *qs, size_t nq, const int *accepted, size_t nacc, size_t *len)
{
    Prometheus__ReadRequest req = PROMETHEUS__READ_REQUEST__INIT;
    Prometheus__Query q[4], *qp[4];
    Prometheus__LabelMatcher lm[4][6], *lmp[4][6];
    Prometheus__ReadRequest__ResponseType types[4];
    for (size_t i = 0; i < nq; i++) {
        prometheus__query__init(&q[i]);
        q[i].start_timestamp_ms = qs[i].start;
        q[i].end_timestamp_ms = qs[i].end;
        for (size_t j = 0; j < qs[i].nm; j++) {
            prometheus__label_matcher__init(&lm[i][j]);
            lm[i][j].type = (Prometheus__LabelMatcher__Type)qs[i].m[j].type;
            lm[i][j].name = (char *)qs[i].m[j].name;
            lm[i][j].value = (char *)qs[i].m[j].value;
            lmp[i][j] = &lm[i][j];
        }
        q[i].n_matchers = qs[i].nm;
        q[i].matchers = lmp[i];
        qp[i] = &q[i];
    }
    req.n_queries = nq;
    req.queries = qp;
    for (size_t i = 0; i < nacc; i++)
        types[i] = (Prometheus__ReadRequest__ResponseType)accepted[i];
    req.n_accepted_response_types = nacc;
    req.accepted_response_types = types;
    size_t n = prometheus__read_request__get_packed_size(&req);
    uint8_t *raw = malloc(n + 1);
    assert_non_null(raw);
    prometheus__read_request__pack(&req, raw);
    size_t zn = snappy_max_compressed_length(n);
    uint8_t *z = malloc(zn);
    assert_non_null(z);
    assert_int_equal(snappy_compress((const char *)raw, n, (char *)z, &zn), SNAPPY_OK);
    free(raw);
    *len = zn;
    return z;
}

static rread_env env_with(size_t max_samples)
{
    rread_env e = {.st = st, .box = box, .max_decoded_bytes = 1 << 20,
                   .max_samples = max_samples};
    return e;
}

/* Runs the request; on 200 decodes the answer with protobuf-c (caller frees). */
static Prometheus__ReadResponse *run(const uint8_t *body, size_t n, size_t max_samples,
                                     rread_reply *r)
{
    rread_env e = env_with(max_samples);
    rread_process(&e, body, n, r);
    if (r->status != 200) {
        assert_null(r->body);
        return NULL;
    }
    size_t len;
    assert_int_equal(snappy_uncompressed_length(r->body, r->len, &len), SNAPPY_OK);
    char *raw = malloc(len + 1);
    assert_non_null(raw);
    assert_int_equal(snappy_uncompress(r->body, r->len, raw, &len), SNAPPY_OK);
    free(r->body);
    r->body = NULL;
    Prometheus__ReadResponse *resp =
        prometheus__read_response__unpack(NULL, len, (const uint8_t *)raw);
    free(raw);
    assert_non_null(resp);
    return resp;
}

static Prometheus__ReadResponse *query1(const qspec *q)
{
    size_t n;
    uint8_t *body = build(q, 1, NULL, 0, &n);
    rread_reply r;
    Prometheus__ReadResponse *resp = run(body, n, 1000000, &r);
    free(body);
    assert_int_equal(r.status, 200);
    assert_int_equal(resp->n_results, 1);
    return resp;
}

static const char *lv(const Prometheus__TimeSeries *ts, const char *name)
{
    for (size_t i = 0; i < ts->n_labels; i++)
        if (strcmp(ts->labels[i]->name, name) == 0)
            return ts->labels[i]->value;
    return NULL;
}

/* The series' host (or __name__ when it has none), comma-joined in answer order. */
static void hosts(const Prometheus__QueryResult *qr, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < qr->n_timeseries; i++) {
        const char *h = lv(qr->timeseries[i], "host");
        size_t k = strlen(out);
        snprintf(out + k, cap - k, "%s%s", k ? "," : "",
                 h ? h : lv(qr->timeseries[i], "__name__"));
    }
}

static void expect_hosts(const qspec *q, const char *want)
{
    Prometheus__ReadResponse *resp = query1(q);
    char got[256];
    hosts(resp->results[0], got, sizeof got);
    assert_string_equal(got, want);
    prometheus__read_response__free_unpacked(resp, NULL);
}

/* ---------------------------------------------------------------- stored series */

static void test_rread_eq_name_returns_every_series_sorted_with_samples(void **state)
{
    (void)state;
    qspec q = {0, 9 * MIN, {{0, "__name__", "temp"}}, 1};
    Prometheus__ReadResponse *resp = query1(&q);
    const Prometheus__QueryResult *qr = resp->results[0];
    assert_int_equal(qr->n_timeseries, 3);
    const char *want[3] = {"a", "ab", "b"};         /* sorted by label set */
    for (size_t i = 0; i < 3; i++) {
        const Prometheus__TimeSeries *ts = qr->timeseries[i];
        assert_int_equal(ts->n_labels, 2);
        assert_string_equal(ts->labels[0]->name, "__name__");
        assert_string_equal(ts->labels[0]->value, "temp");
        assert_string_equal(ts->labels[1]->name, "host");
        assert_string_equal(ts->labels[1]->value, want[i]);
        assert_int_equal(ts->n_samples, 10);
        double base = i == 0 ? 0 : i == 1 ? 200 : 100;
        for (size_t k = 0; k < 10; k++) {
            assert_int_equal(ts->samples[k]->timestamp, (int64_t)k * MIN);
            assert_true(ts->samples[k]->value == base + (double)k);
        }
    }
    prometheus__read_response__free_unpacked(resp, NULL);
}

static void test_rread_time_range_is_inclusive_and_empty_series_left_out(void **state)
{
    (void)state;
    qspec q = {2 * MIN, 5 * MIN, {{0, "__name__", "temp"}, {0, "host", "b"}}, 2};
    Prometheus__ReadResponse *resp = query1(&q);
    const Prometheus__QueryResult *qr = resp->results[0];
    assert_int_equal(qr->n_timeseries, 1);
    const Prometheus__TimeSeries *ts = qr->timeseries[0];
    assert_int_equal(ts->n_samples, 4);
    assert_int_equal(ts->samples[0]->timestamp, 2 * MIN);
    assert_true(ts->samples[0]->value == 102);
    assert_int_equal(ts->samples[3]->timestamp, 5 * MIN);
    prometheus__read_response__free_unpacked(resp, NULL);

    /* a range between two points, after every point, and one with start > end: no series */
    qspec none[3] = {{2 * MIN + 1, 3 * MIN - 1, {{0, "__name__", "temp"}}, 1},
                     {10 * MIN, 20 * MIN, {{0, "__name__", "temp"}}, 1},
                     {5 * MIN, 2 * MIN, {{0, "__name__", "temp"}}, 1}};
    for (int i = 0; i < 3; i++) {
        resp = query1(&none[i]);
        assert_int_equal(resp->results[0]->n_timeseries, 0);
        prometheus__read_response__free_unpacked(resp, NULL);
    }
}

static void test_rread_coarse_ring_serves_points_before_the_fine_ring(void **state)
{
    (void)state;
    /* old{} has samples at hours 0..3; the fine ring (60 minutes) holds only hour 3 */
    qspec q = {0, 4 * HOUR, {{0, "__name__", "old"}}, 1};
    Prometheus__ReadResponse *resp = query1(&q);
    const Prometheus__TimeSeries *ts = resp->results[0]->timeseries[0];
    assert_int_equal(ts->n_samples, 4);
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(ts->samples[k]->timestamp, (int64_t)k * HOUR);
        assert_true(ts->samples[k]->value == 10.0 * (double)k);
    }
    prometheus__read_response__free_unpacked(resp, NULL);
}

static void test_rread_neq_and_missing_label_semantics(void **state)
{
    (void)state;
    qspec neq = {0, HOUR, {{0, "__name__", "temp"}, {1, "host", "a"}}, 2};
    expect_hosts(&neq, "ab,b");
    /* host="" matches the series without a host label, and only those */
    qspec empty = {0, HOUR, {{2, "__name__", "temp|up"}, {0, "host", ""}}, 2};
    expect_hosts(&empty, "up");
    qspec notempty = {0, HOUR, {{2, "__name__", "temp|up"}, {1, "host", ""}}, 2};
    expect_hosts(&notempty, "a,ab,b");
    /* a label nobody has, compared unequal to a value: every series matches */
    qspec absent = {0, HOUR, {{2, "__name__", "temp|up"}, {1, "zone", "eu"}}, 2};
    expect_hosts(&absent, "a,ab,b,up");
}

static void test_rread_regex_is_fully_anchored(void **state)
{
    (void)state;
    qspec re = {0, HOUR, {{0, "__name__", "temp"}, {2, "host", "a"}}, 2};
    expect_hosts(&re, "a");
    qspec prefix = {0, HOUR, {{0, "__name__", "temp"}, {2, "host", "a.*"}}, 2};
    expect_hosts(&prefix, "a,ab");
    qspec alt = {0, HOUR, {{0, "__name__", "temp"}, {2, "host", "a|b"}}, 2};
    expect_hosts(&alt, "a,b");
    qspec nre = {0, HOUR, {{2, "__name__", "temp|up"}, {3, "host", "a|b"}}, 2};
    expect_hosts(&nre, "ab,up");        /* up has no host: "" does not match a|b */
    qspec name_re = {0, HOUR, {{2, "__name__", "te"}}, 1};
    expect_hosts(&name_re, "");         /* "te" is not "temp" */
    qspec dotstar = {0, HOUR, {{2, "host", ".*"}, {2, "__name__", "up"}}, 2};
    expect_hosts(&dotstar, "up");       /* .* matches the missing label's "" */
}

static void test_rread_answers_several_queries_in_order(void **state)
{
    (void)state;
    qspec q[2] = {{0, HOUR, {{0, "__name__", "up"}}, 1},
                  {0, HOUR, {{0, "__name__", "temp"}, {0, "host", "b"}}, 2}};
    size_t n;
    uint8_t *body = build(q, 2, NULL, 0, &n);
    rread_reply r;
    Prometheus__ReadResponse *resp = run(body, n, 1000, &r);
    free(body);
    assert_int_equal(r.status, 200);
    assert_int_equal(resp->n_results, 2);
    assert_string_equal(lv(resp->results[0]->timeseries[0], "__name__"), "up");
    assert_string_equal(lv(resp->results[1]->timeseries[0], "host"), "b");
    assert_int_equal(r.series, 2);
    assert_int_equal(r.samples, 20);
    prometheus__read_response__free_unpacked(resp, NULL);
}

static void test_rread_accepts_samples_among_the_response_types(void **state)
{
    (void)state;
    qspec q = {0, HOUR, {{0, "__name__", "up"}}, 1};
    int both[3] = {7, PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__SAMPLES,
                   PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__STREAMED_XOR_CHUNKS};
    size_t n;
    uint8_t *body = build(&q, 1, both, 3, &n);
    rread_reply r;
    Prometheus__ReadResponse *resp = run(body, n, 1000, &r);
    free(body);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/x-protobuf");
    assert_string_equal(r.content_encoding, "snappy");
    assert_int_equal(resp->results[0]->n_timeseries, 1);
    prometheus__read_response__free_unpacked(resp, NULL);
}

/* ---------------------------------------------------------------- bad input */

static void expect_error(const uint8_t *body, size_t n, size_t max_samples, unsigned status,
                         const char *text)
{
    rread_reply r;
    Prometheus__ReadResponse *resp = run(body, n, max_samples, &r);
    assert_null(resp);
    assert_int_equal(r.status, status);
    assert_string_equal(r.text, text);
}

static void test_rread_bad_inputs_get_exact_status_and_message(void **state)
{
    (void)state;
    expect_error((const uint8_t *)"", 0, 10, 400,
                 "empty body: expected a snappy-compressed ReadRequest");
    const uint8_t no_len[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    expect_error(no_len, sizeof no_len, 10, 400, "corrupt snappy block: unreadable length header");
    const uint8_t short_lit[] = {20, 19 << 2, 'a', 'b'};    /* a 20-byte literal, 2 present */
    expect_error(short_lit, sizeof short_lit, 10, 400,
                 "corrupt snappy block: decompression failed");
    const uint8_t huge[] = {0x80, 0x80, 0x80, 0x01, 0};     /* declares 2 MiB */
    expect_error(huge, sizeof huge, 10, 413, "snappy block declares 2097152 bytes uncompressed, "
                 "over the limit of 1048576 (--max-decoded-bytes)");
    const uint8_t bad_pb[] = {3, 2 << 2, 0x0a, 0x05, 0x01};  /* field 1 claims 5 bytes, has 1 */
    expect_error(bad_pb, sizeof bad_pb, 10, 400, "malformed ReadRequest: protobuf decoding failed");

    size_t n;
    qspec badre = {0, HOUR, {{0, "__name__", "temp"}, {2, "host", "a("}}, 2};
    uint8_t *body = build(&badre, 1, NULL, 0, &n);
    rread_reply r;
    assert_null(run(body, n, 10, &r));
    free(body);
    assert_int_equal(r.status, 400);
    assert_true(strncmp(r.text, "query 0: bad regex in matcher host=~\"a(\": ", 42) == 0);
    assert_non_null(strstr(r.text, "(POSIX extended syntax)"));

    qspec nomatch = {0, HOUR, {{0}}, 0};
    body = build(&nomatch, 1, NULL, 0, &n);
    expect_error(body, n, 10, 400, "query 0 has no matchers");
    free(body);

    qspec badtype = {0, HOUR, {{7, "__name__", "up"}}, 1};
    body = build(&badtype, 1, NULL, 0, &n);
    expect_error(body, n, 10, 400, "query 0: matcher on __name__ has unknown type 7");
    free(body);

    /* label bytes from the request never break the reason's single line */
    qspec ctl = {0, HOUR, {{7, "a\nb\r\x7f", "up"}}, 1};
    body = build(&ctl, 1, NULL, 0, &n);
    expect_error(body, n, 10, 400, "query 0: matcher on a?b?? has unknown type 7");
    free(body);

    qspec q = {0, HOUR, {{0, "__name__", "temp"}}, 1};
    int unknown[2] = {5, 9};
    body = build(&q, 1, unknown, 2, &n);
    expect_error(body, n, 10, 400, "none of the accepted response types is supported: this "
                 "server answers SAMPLES and STREAMED_XOR_CHUNKS");
    free(body);

    body = build(&q, 1, NULL, 0, &n);     /* 30 samples over a limit of 29 */
    expect_error(body, n, 29, 400, "the answer would hold more than 29 samples: narrow the "
                 "query's time range or matchers");
    rread_reply ok;
    Prometheus__ReadResponse *resp = run(body, n, 30, &ok);
    assert_int_equal(ok.status, 200);
    prometheus__read_response__free_unpacked(resp, NULL);
    free(body);
}

/* ---------------------------------------------------------------- forecast curves */

static void free_set(results *r)
{
    for (size_t i = 0; i < r->nrows; i++)
        for (int k = 0; k < RESULTS_CURVES; k++)
            free(r->rows[i].curve[k].mean);
    free(r->rows);
    free(r);
}

static result_curve make_curve(int64_t start, int64_t step, uint32_t n, double m0, double dm)
{
    float *v = malloc(3 * n * sizeof *v);
    assert_non_null(v);
    for (uint32_t k = 0; k < n; k++) {
        v[k] = (float)(m0 + dm * k);
        v[n + k] = v[k] - 1;
        v[2 * n + k] = v[k] + 1;
    }
    return (result_curve){start, step, n, v, v + n, v + 2 * n};
}

/* One row for temp{host="a",metric="clash"}: fine 60 s points at 10..12 min, values 10, 11, 12;
 * coarse hourly points at 0 h..2 h, values 0, 60, 120 (the slope of 1 a minute). */
static void publish_hand_made(void)
{
    static const char *const lab[] = {"__name__", "temp", "host", "a", "metric", "clash"};
    results *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->rows = calloc(1, sizeof *r->rows);
    assert_non_null(r->rows);
    r->nrows = 1;
    r->free_fn = free_set;
    result_row *row = &r->rows[0];
    row->labels = lab;
    row->nlabels = 3;
    row->metric = "temp";
    row->curve[0] = make_curve(10 * MIN, MIN, 3, 10, 1);
    row->curve[1] = make_curve(0, HOUR, 3, 0, 60);
    results_publish(box, r);
}

static void test_rread_forecast_curve_series_labels_and_points(void **state)
{
    (void)state;
    publish_hand_made();
    qspec q = {0, 3 * HOUR, {{0, "__name__", RREAD_CURVE_NAME}, {0, "metric", "temp"},
                             {0, "bound", "mean"}}, 3};
    Prometheus__ReadResponse *resp = query1(&q);
    const Prometheus__QueryResult *qr = resp->results[0];
    assert_int_equal(qr->n_timeseries, 1);
    const Prometheus__TimeSeries *ts = qr->timeseries[0];
    const char *names[] = {"__name__", "bound", "exported_metric", "host", "metric"};
    const char *values[] = {RREAD_CURVE_NAME, "mean", "clash", "a", "temp"};
    assert_int_equal(ts->n_labels, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(ts->labels[i]->name, names[i]);
        assert_string_equal(ts->labels[i]->value, values[i]);
    }
    /* fine: 10, 11, 12 min; then the coarse path every 5 min from 15 min to 2 h */
    size_t want = 3 + (120 - 15) / 5 + 1;
    assert_int_equal(ts->n_samples, want);
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(ts->samples[k]->timestamp, (int64_t)(10 + k) * MIN);
        assert_true(ts->samples[k]->value == 10.0 + (double)k);
    }
    for (size_t k = 3; k < want; k++) {
        int64_t t = ts->samples[k]->timestamp;
        assert_int_equal(t, (int64_t)(15 + 5 * (k - 3)) * MIN);
        assert_true(t - ts->samples[k - 1]->timestamp <= RREAD_CURVE_MAX_STEP_MS);
        assert_true(fabs(ts->samples[k]->value - (double)t / MIN) < 1e-9);  /* 1 a minute */
    }
    prometheus__read_response__free_unpacked(resp, NULL);

    /* every bound, ordered lower < mean < upper by one at each point; a range inside the
     * fine part gives the fine points only */
    qspec all = {11 * MIN, 12 * MIN, {{0, "__name__", RREAD_CURVE_NAME}}, 1};
    resp = query1(&all);
    qr = resp->results[0];
    assert_int_equal(qr->n_timeseries, 3);
    const char *order[3] = {"lower", "mean", "upper"};
    for (size_t i = 0; i < 3; i++) {
        ts = qr->timeseries[i];
        assert_string_equal(lv(ts, "bound"), order[i]);
        assert_int_equal(ts->n_samples, 2);
        assert_true(ts->samples[0]->value == 11.0 + (double)i - 1);
    }
    prometheus__read_response__free_unpacked(resp, NULL);

    /* a selector for the source metric never sees the curve, and the reverse */
    qspec src = {0, 3 * HOUR, {{0, "__name__", "temp"}, {0, "host", "a"}}, 2};
    expect_hosts(&src, "a");
    qspec other = {0, 3 * HOUR, {{0, "__name__", RREAD_CURVE_NAME}, {0, "metric", "up"}}, 2};
    expect_hosts(&other, "");
}

/* The model cycle's curves, end to end: two hours of a ramp, one cycle, then the curve. */
static void test_rread_curve_from_a_model_cycle(void **state)
{
    (void)state;
    store_config sc = {.shards = 2, .max_series = 10, .fine_cap = 240, .fine_step_ms = MIN,
                       .coarse_cap = 48, .coarse_step_ms = HOUR};
    store *s2;
    assert_int_equal(store_create(&sc, &s2), 0);
    static req_builder b;
    rb_init(&b);
    static const char *const R[] = {"__name__", "ramp", "job", "t", NULL};
    rw_series *x = rb_series(&b, R);
    int64_t t0 = 1000 * HOUR;
    for (int i = 0; i < 180; i++)
        rb_sample(&b, x, t0 + (int64_t)i * MIN, 0.5 * i);
    store_scratch *scr = store_scratch_create();
    store_result res;
    assert_int_equal(store_ingest(s2, &b.req, scr, &res), 0);
    store_scratch_destroy(scr);
    results_box *b2 = results_box_create();
    cycle_config cc = {.st = s2, .box = b2, .fine_step_s = 60, .coarse_step_s = 3600,
                       .fine_cap = 240, .coarse_cap = 48, .horizon_s = {900, 3600, 86400},
                       .nh = 3, .interval_s = 15, .max_models = 10, .fit_budget_s = 30};
    cycle *cyc;
    assert_int_equal(cycle_create(&cc, 0, &cyc), 0);
    cycle_run_once(cyc);

    qspec q = {t0, t0 + 30 * HOUR, {{0, "__name__", RREAD_CURVE_NAME}, {0, "bound", "mean"}}, 2};
    size_t n;
    uint8_t *body = build(&q, 1, NULL, 0, &n);
    rread_env e = {.st = s2, .box = b2, .max_decoded_bytes = 1 << 20, .max_samples = 100000};
    rread_reply r;
    rread_process(&e, body, n, &r);
    free(body);
    assert_int_equal(r.status, 200);
    size_t len;
    assert_int_equal(snappy_uncompressed_length(r.body, r.len, &len), SNAPPY_OK);
    char *raw = malloc(len);
    assert_int_equal(snappy_uncompress(r.body, r.len, raw, &len), SNAPPY_OK);
    free(r.body);
    Prometheus__ReadResponse *resp =
        prometheus__read_response__unpack(NULL, len, (const uint8_t *)raw);
    free(raw);
    assert_non_null(resp);
    assert_int_equal(resp->results[0]->n_timeseries, 1);
    const Prometheus__TimeSeries *ts = resp->results[0]->timeseries[0];
    assert_string_equal(lv(ts, "metric"), "ramp");
    assert_string_equal(lv(ts, "job"), "t");
    /* the fine path starts at the first unfinished minute (179: minutes 0..178 are finished)
     * and runs an hour; the coarse path continues to about 24 h past the last finished hour */
    assert_int_equal(ts->samples[0]->timestamp, t0 + 179 * MIN);
    assert_int_equal(ts->samples[59]->timestamp, t0 + 238 * MIN);
    assert_true(ts->samples[ts->n_samples - 1]->timestamp >= t0 + 24 * HOUR);
    for (size_t k = 1; k < ts->n_samples; k++) {
        int64_t dt = ts->samples[k]->timestamp - ts->samples[k - 1]->timestamp;
        assert_true(dt > 0 && dt <= RREAD_CURVE_MAX_STEP_MS);
    }
    /* a ramp of 0.5 a minute: the first forecast is near its continuation (89.5) */
    assert_true(fabs(ts->samples[0]->value - 89.5) < 5);
    prometheus__read_response__free_unpacked(resp, NULL);
    cycle_destroy(cyc);
    results_box_destroy(b2);
    store_destroy(s2);
}

/* ---------------------------------------------------------------- streamed XOR chunks */

static uint64_t read_uv(const uint8_t *p, size_t n, size_t *pos)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *pos < n; shift += 7) {
        uint8_t b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    fail_msg("truncated varint in the stream");
    return 0;
}

/* Checks a streamed answer against the SAMPLES answer of the same queries: frames well formed
 * (size, CRC-32C, ChunkedReadResponse), at most one series a frame, frames near
 * RREAD_FRAME_BYTES at most, chunks of at most 120 samples with the right time bounds, and the
 * decoded samples equal to the SAMPLES answer, series by series. Returns the frames seen. */
static size_t compare_streamed(const rread_reply *r, const Prometheus__ReadResponse *want)
{
    assert_string_equal(r->content_type, RREAD_STREAMED_CONTENT_TYPE);
    assert_null(r->content_encoding);
    const uint8_t *p = (const uint8_t *)r->body;
    size_t pos = 0, frames = 0, qi = 0, si = 0, ki = 0;     /* query, series, sample expected */
    static int64_t t[XOR_CHUNK_MAX_SAMPLES];
    static double v[XOR_CHUNK_MAX_SAMPLES];
    while (pos < r->len) {
        size_t len = (size_t)read_uv(p, r->len, &pos);
        assert_true(pos + 4 + len <= r->len);
        assert_true(len <= RREAD_FRAME_BYTES + 4096);
        uint32_t crc = (uint32_t)p[pos] << 24 | (uint32_t)p[pos + 1] << 16 |
                       (uint32_t)p[pos + 2] << 8 | p[pos + 3];
        assert_int_equal(crc, crc32c(p + pos + 4, len));
        Prometheus__ChunkedReadResponse *f =
            prometheus__chunked_read_response__unpack(NULL, len, p + pos + 4);
        assert_non_null(f);
        pos += 4 + len;
        frames++;
        assert_int_equal(f->n_chunked_series, 1);
        const Prometheus__ChunkedSeries *cs = f->chunked_series[0];
        /* a new series starts, or the previous one continues */
        while (qi < want->n_results && si == want->results[qi]->n_timeseries) {
            qi++;
            si = 0;
        }
        assert_true(qi < want->n_results);
        assert_int_equal(f->query_index, qi);
        const Prometheus__TimeSeries *ts = want->results[qi]->timeseries[si];
        assert_int_equal(cs->n_labels, ts->n_labels);
        for (size_t j = 0; j < ts->n_labels; j++) {
            assert_string_equal(cs->labels[j]->name, ts->labels[j]->name);
            assert_string_equal(cs->labels[j]->value, ts->labels[j]->value);
        }
        for (size_t c = 0; c < cs->n_chunks; c++) {
            const Prometheus__Chunk *ch = cs->chunks[c];
            assert_int_equal(ch->type, PROMETHEUS__CHUNK__ENCODING__XOR);
            size_t m = xor_decode(ch->data.data, ch->data.len, t, v);
            assert_true(m >= 1 && m <= XOR_CHUNK_MAX_SAMPLES);
            assert_int_equal(ch->min_time_ms, t[0]);
            assert_int_equal(ch->max_time_ms, t[m - 1]);
            for (size_t k = 0; k < m; k++, ki++) {
                assert_true(ki < ts->n_samples);
                assert_int_equal(t[k], ts->samples[ki]->timestamp);
                assert_memory_equal(&v[k], &ts->samples[ki]->value, sizeof v[k]);
            }
        }
        if (ki == ts->n_samples) {
            si++;
            ki = 0;
        }
        prometheus__chunked_read_response__free_unpacked(f, NULL);
    }
    while (qi < want->n_results && si == want->results[qi]->n_timeseries) {
        qi++;
        si = 0;
    }
    assert_int_equal(qi, want->n_results);      /* every series of every query came */
    return frames;
}

static void test_rread_streamed_xor_chunks_equal_the_samples_answer(void **state)
{
    (void)state;
    /* a curve of 300 000 one-minute points with noisy values: ~2 500 chunks over two frames */
    static const char *const lab[] = {"__name__", "big", "job", "j"};
    results *set = calloc(1, sizeof *set);
    assert_non_null(set);
    set->rows = calloc(1, sizeof *set->rows);
    assert_non_null(set->rows);
    set->nrows = 1;
    set->free_fn = free_set;
    set->rows[0] = (result_row){.labels = lab, .nlabels = 2, .metric = "big"};
    set->rows[0].curve[0] = make_curve(0, MIN, 600000, 5, 0.25);
    srand(3);
    for (uint32_t k = 0; k < 600000; k++)
        set->rows[0].curve[0].mean[k] += (float)rand() / (float)RAND_MAX;
    results_publish(box, set);

    qspec q[3] = {{0, 9 * MIN, {{2, "__name__", "temp|up"}}, 1},
                  {0, 4 * HOUR, {{0, "__name__", "old"}}, 1},
                  {0, 600000 * MIN, {{0, "__name__", RREAD_CURVE_NAME}, {0, "bound", "mean"}}, 2}};
    int samples = PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__SAMPLES;
    int streamed[2] = {PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__STREAMED_XOR_CHUNKS,
                       PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__SAMPLES};
    size_t n;
    uint8_t *body = build(q, 3, &samples, 1, &n);
    rread_reply r;
    Prometheus__ReadResponse *want = run(body, n, 1000000, &r);
    free(body);
    assert_int_equal(r.status, 200);
    assert_int_equal(want->n_results, 3);
    assert_int_equal(want->results[0]->n_timeseries, 4);
    assert_int_equal(want->results[2]->timeseries[0]->n_samples, 600000);

    body = build(q, 3, streamed, 2, &n);
    rread_env e = env_with(1000000);
    rread_reply sr;
    rread_process(&e, body, n, &sr);
    free(body);
    assert_int_equal(sr.status, 200);
    assert_int_equal(sr.samples, r.samples);
    size_t frames = compare_streamed(&sr, want);
    assert_true(frames >= 4 + 1 + 2);   /* the big series spans frames */
    free(sr.body);
    prometheus__read_response__free_unpacked(want, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rread_eq_name_returns_every_series_sorted_with_samples),
        cmocka_unit_test(test_rread_time_range_is_inclusive_and_empty_series_left_out),
        cmocka_unit_test(test_rread_coarse_ring_serves_points_before_the_fine_ring),
        cmocka_unit_test(test_rread_neq_and_missing_label_semantics),
        cmocka_unit_test(test_rread_regex_is_fully_anchored),
        cmocka_unit_test(test_rread_answers_several_queries_in_order),
        cmocka_unit_test(test_rread_accepts_samples_among_the_response_types),
        cmocka_unit_test(test_rread_bad_inputs_get_exact_status_and_message),
        cmocka_unit_test(test_rread_forecast_curve_series_labels_and_points),
        cmocka_unit_test(test_rread_streamed_xor_chunks_equal_the_samples_answer),
        cmocka_unit_test(test_rread_curve_from_a_model_cycle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
