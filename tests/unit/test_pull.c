/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_pull.c -- the query_range pull client without a server: answer parsing on
 * canned JSON bodies (labels, naming, NaN/Inf, merging the two sides of `RECORD or EXPR`, every
 * error path), the parsed answer going into a real store, endpoint and URL building, range
 * splitting under the points-per-series limit, backoff and retry classification, and a backfill
 * against a loopback port nobody listens on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapter/pull.h"

static char err[512];

static int parse(pull_matrix *m, const char *body, const char *name)
{
    err[0] = '\0';
    return pull_parse_matrix(m, body, strlen(body), name, NULL, err, sizeof err);
}

/* The value of label key in series i, or NULL. */
static const char *label(const pull_matrix *m, uint32_t i, const char *key)
{
    static char buf[256];
    const rw_series *s = &m->req.series[i];
    for (uint32_t k = 0; k < s->nlabels; k++) {
        const rw_label *l = &m->req.labels[s->label0 + k];
        if (mai_str_eq_cstr(l->name, key)) {
            snprintf(buf, sizeof buf, "%.*s", (int)l->value.n, l->value.p);
            return buf;
        }
    }
    return NULL;
}

static void labels_sorted(const pull_matrix *m)
{
    for (uint32_t i = 0; i < m->req.nseries; i++) {
        const rw_series *s = &m->req.series[i];
        for (uint32_t k = 1; k < s->nlabels; k++)
            assert_true(mai_str_cmp(m->req.labels[s->label0 + k - 1].name,
                                    m->req.labels[s->label0 + k].name) < 0);
    }
}

static void test_parse_named(void **state)
{
    (void)state;
    pull_matrix m;
    pull_matrix_init(&m);
    const char *body =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
        "{\"metric\":{\"instance\":\"b:9100\",\"job\":\"node\",\"empty\":\"\"},"
        " \"values\":[[1700000000,\"0.5\"],[1700000060.5,\"NaN\"],[1700000120,\"+Inf\"],"
        "             [1700000180,\"-Inf\"],[1700000240,\"1e3\"]]},"
        "{\"metric\":{\"instance\":\"a:9100\",\"__name__\":\"ignored\"},"
        " \"values\":[[1700000000,\"2\"]]}]}}";
    assert_int_equal(parse(&m, body, "instance:metrics_ai_host_cpu:ratio"), 0);
    assert_int_equal(m.req.nseries, 2);
    assert_int_equal(m.points, 6);
    labels_sorted(&m);
    /* sorted by label set: instance a first; __name__ replaced, empty label dropped */
    assert_string_equal(label(&m, 0, "instance"), "a:9100");
    assert_string_equal(label(&m, 0, "__name__"), "instance:metrics_ai_host_cpu:ratio");
    assert_string_equal(label(&m, 1, "__name__"), "instance:metrics_ai_host_cpu:ratio");
    assert_null(label(&m, 1, "empty"));
    assert_int_equal(m.req.series[1].nlabels, 3);
    const rw_sample *s = &m.req.samples[m.req.series[1].sample0];
    assert_int_equal(m.req.series[1].nsamples, 5);
    assert_int_equal(s[0].t_ms, 1700000000000LL);
    assert_true(s[0].v == 0.5);
    assert_int_equal(s[1].t_ms, 1700000060500LL);
    assert_true(isnan(s[1].v) && !mai_is_stale(s[1].v));
    assert_true(isinf(s[2].v) && s[2].v > 0);
    assert_true(isinf(s[3].v) && s[3].v < 0);
    assert_true(s[4].v == 1000.0);
    pull_matrix_free(&m);
}

static void test_parse_raw_selector(void **state)
{
    (void)state;
    pull_matrix m;
    pull_matrix_init(&m);
    const char *body =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
        "{\"metric\":{\"__name__\":\"node_load1\",\"instance\":\"h:9100\"},"
        " \"values\":[[10,\"1\"],[20,\"2\"]]},"
        "{\"metric\":{\"instance\":\"h:9100\"},\"values\":[[10,\"3\"]]}]}}";
    assert_int_equal(parse(&m, body, NULL), 0);
    assert_int_equal(m.req.nseries, 1);     /* the unnamed one is dropped, and counted */
    assert_int_equal(m.unnamed, 1);
    assert_int_equal(m.points, 2);
    assert_string_equal(label(&m, 0, "__name__"), "node_load1");
    pull_matrix_free(&m);
}

/* `RECORD or (EXPR)`: the recorded series (named) where the rule ran, the expression's answer
 * (unnamed) before; once named they are one series, merged in time order, the first answer
 * winning a shared timestamp. */
static void test_parse_merges_or_sides(void **state)
{
    (void)state;
    pull_matrix m;
    pull_matrix_init(&m);
    const char *body =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
        "{\"metric\":{\"__name__\":\"rec\",\"instance\":\"h\"},"
        " \"values\":[[300,\"30\"],[400,\"40\"]]},"
        "{\"metric\":{\"instance\":\"h\"},\"values\":[[100,\"1\"],[200,\"2\"],[300,\"99\"]]}]}}";
    assert_int_equal(parse(&m, body, "rec"), 0);
    assert_int_equal(m.req.nseries, 1);
    assert_int_equal(m.merged, 1);
    assert_int_equal(m.req.series[0].nsamples, 4);
    assert_int_equal(m.points, 4);
    const rw_sample *s = m.req.samples;
    int64_t want_t[] = {100000, 200000, 300000, 400000};
    double want_v[] = {1, 2, 30, 40};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s[i].t_ms, want_t[i]);
        assert_true(s[i].v == want_v[i]);
    }
    pull_matrix_free(&m);
}

static void test_parse_empty_result(void **state)
{
    (void)state;
    pull_matrix m;
    pull_matrix_init(&m);
    assert_int_equal(parse(&m, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
                               "\"result\":[]}}", "x"), 0);
    assert_int_equal(m.req.nseries, 0);
    assert_int_equal(m.points, 0);
    pull_matrix_free(&m);
}

/* Every malformed answer: -MAI_EPROTO, one line naming the problem, nothing kept. */
static void test_parse_errors(void **state)
{
    (void)state;
    static const struct { const char *body, *want; } cases[] = {
        {"{\"status\":\"success\",", "not valid JSON"},
        {"[1,2]", "no \"status\""},
        {"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error at char 5\"}",
         "status \"error\": bad_data: parse error at char 5"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
         "resultType is \"vector\", expected \"matrix\""},
        {"{\"status\":\"success\",\"data\":{\"result\":[]}}", "no data.resultType"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\"}}", "no data.result"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
         "{\"metric\":{}}]}}",
         "series 0 has no \"metric\" object or no \"values\""},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
         "\"values\":[[1,\"1\"],[2,\"abc\"]]}]}}", "series 0, point 1: expected [unix seconds"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
         "\"values\":[[1,\"1\",3]]}]}}", "point 0: expected"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
         "\"values\":[[\"1\",\"1\"]]}]}}", "point 0: expected"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
         "\"values\":[[5,\"1\"],[5,\"2\"]]}]}}", "series 0, point 1: timestamps not increasing"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
         "{\"a\":1},\"values\":[]}]}}", "series 0: a label value is not a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pull_matrix m;
        pull_matrix_init(&m);
        int rc = parse(&m, cases[i].body, "x");
        if (rc != -MAI_EPROTO || !strstr(err, cases[i].want))
            fail_msg("case %zu: rc %d, err \"%s\", want \"%s\"", i, rc, err, cases[i].want);
        assert_null(strchr(err, '\n'));
        assert_null(m.tree);
        assert_int_equal(m.req.nseries, 0);
        pull_matrix_free(&m);
    }
}

/* Label limits mark a series invalid (as remote write does): the store skips it. */
static void test_parse_limits_and_ingest(void **state)
{
    (void)state;
    pull_matrix m;
    pull_matrix_init(&m);
    const char *body =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
        "{\"metric\":{\"instance\":\"h1\",\"a\":\"1\",\"b\":\"2\"},\"values\":[[60,\"1\"]]},"
        "{\"metric\":{\"instance\":\"h2\"},\"values\":[[60,\"5\"],[120,\"6\"],[180,\"7\"]]},"
        "{\"metric\":{\"instance\":\"this-value-is-too-long\"},\"values\":[[60,\"1\"]]}]}}";
    rw_limits lim = {.max_labels_per_series = 3, .max_label_bytes = 16};
    assert_int_equal(pull_parse_matrix(&m, body, strlen(body), "rec", &lim, err, sizeof err), 0);
    assert_int_equal(m.req.nseries, 3);
    assert_int_equal(m.req.invalid_series, 2);
    assert_int_equal(m.req.invalid_by_reason[RW_INVALID_TOO_MANY_LABELS], 1);
    assert_int_equal(m.req.invalid_by_reason[RW_INVALID_LABEL_TOO_LONG], 1);

    store_config c = {.shards = 4, .max_series = 10, .fine_cap = 60, .fine_step_ms = 60000,
                      .coarse_cap = 24, .coarse_step_ms = 3600000};
    store *st = NULL;
    assert_int_equal(store_create(&c, &st), 0);
    store_scratch *sc = store_scratch_create();
    store_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(store_ingest(st, &m.req, sc, &res), 0);
    assert_int_equal(res.new_series, 1);
    assert_int_equal(res.accepted, 3);
    rw_label key[] = {{{"__name__", 8}, {"rec", 3}}, {{"instance", 8}, {"h2", 2}}};
    store_series_info info;
    assert_int_equal(store_series_get(st, key, 2, &info), 0);
    assert_int_equal(info.samples, 3);
    assert_int_equal(info.last_t_ms, 180000);
    float ring_vals[8];
    int64_t first;
    assert_int_equal(store_series_ring(st, key, 2, 0, ring_vals, 8, &first), 3);
    assert_int_equal(first, 1);
    assert_true(ring_vals[0] == 5.0f && ring_vals[2] == 7.0f);
    store_scratch_destroy(sc);
    store_destroy(st);
    pull_matrix_free(&m);
}

static void test_error_text(void **state)
{
    (void)state;
    char out[128];
    const char *prom = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"x\"}";
    pull_error_text(prom, strlen(prom), out, sizeof out);
    assert_string_equal(out, "bad_data: x");
    const char *vm = "{\"status\":\"error\",\"errorType\":\"422\",\"error\":\"cannot parse\"}";
    pull_error_text(vm, strlen(vm), out, sizeof out);
    assert_string_equal(out, "cannot parse");
    const char *text = "502 Bad Gateway\nnginx";
    pull_error_text(text, strlen(text), out, sizeof out);
    assert_string_equal(out, "502 Bad Gateway");
    pull_error_text(NULL, 0, out, sizeof out);
    assert_string_equal(out, "");
}

static void test_endpoint_and_url(void **state)
{
    (void)state;
    char ep[128], url[512];
    assert_int_equal(pull_endpoint("http://vm:8428", ep, sizeof ep), 0);
    assert_string_equal(ep, "http://vm:8428/api/v1/query_range");
    assert_int_equal(pull_endpoint("http://vm:8428//", ep, sizeof ep), 0);
    assert_string_equal(ep, "http://vm:8428/api/v1/query_range");
    assert_int_equal(pull_endpoint("http://vm.london.local/api/v1/query_range", ep, sizeof ep), 0);
    assert_string_equal(ep, "http://vm.london.local/api/v1/query_range");
    assert_int_equal(pull_endpoint("http://vmselect/select/0/prometheus", ep, sizeof ep), 0);
    assert_string_equal(ep, "http://vmselect/select/0/prometheus/api/v1/query_range");
    assert_int_equal(pull_endpoint("http://vm/?nocache=1", ep, sizeof ep), 0);
    assert_string_equal(ep, "http://vm/api/v1/query_range?nocache=1");
    assert_int_equal(pull_endpoint("http://vm:8428", ep, 10), -MAI_EINVAL);

    assert_int_equal(pull_query_url("http://vm/api/v1/query_range", "up{job=\"a b\"} or (x)",
                                     60, 120, 60, url, sizeof url), 0);
    assert_string_equal(url, "http://vm/api/v1/query_range?query=up%7Bjob%3D%22a%20b%22%7D%20or"
                             "%20%28x%29&start=60&end=120&step=60");
    assert_int_equal(pull_query_url("http://vm/api/v1/query_range?nocache=1", "up", 0, 0, 1,
                                    url, sizeof url), 0);
    assert_string_equal(url, "http://vm/api/v1/query_range?nocache=1&query=up&start=0&end=0"
                             "&step=1");
    assert_int_equal(pull_query_url("http://vm", "up", 0, 0, 1, url, 20), -MAI_EINVAL);

    pull_url_shown("https://user:secret@vm:8428/api/v1/query_range", url, sizeof url);
    assert_string_equal(url, "https://***@vm:8428/api/v1/query_range");
    pull_url_shown("http://vm:8428/x?a=b@c", url, sizeof url);
    assert_string_equal(url, "http://vm:8428/x?a=b@c");

    size_t n;
    const signal_def *sig = signals_builtin(&n);
    char q[1024];
    assert_int_equal(pull_signal_query(&sig[0], q, sizeof q), 0);
    char want[1024];
    snprintf(want, sizeof want, "%s or (%s)", sig[0].record, sig[0].expr);
    assert_string_equal(q, want);
    assert_int_equal(pull_signal_query(&sig[0], q, 8), -MAI_EINVAL);
}

static void test_range(void **state)
{
    (void)state;
    int64_t s, e;
    pull_range(1700000059, 360, 60, &s, &e);
    assert_int_equal(e, 1700000040);
    assert_int_equal(e - s, 360 * 3600);
    pull_range(1700000000, 1, 7, &s, &e);      /* a step that does not divide the hour */
    assert_int_equal(e % 7, 0);
    assert_int_equal(s % 7, 0);
    assert_true(e - s <= 3600 && e - s > 3600 - 7);
}

/* Splitting: every query under the limit, the chunks contiguous on the step grid, covering the
 * range once; the first query short, then sized by the series count. */
static void test_chunks(void **state)
{
    (void)state;
    assert_int_equal(pull_chunk_points(0, 1), PULL_FIRST_CHUNK_POINTS);
    assert_int_equal(pull_chunk_points(0, 0), PULL_MAX_POINTS_PER_SERIES);
    assert_int_equal(pull_chunk_points(1, 0), PULL_MAX_POINTS_PER_SERIES);
    assert_int_equal(pull_chunk_points(1000, 0), PULL_TARGET_POINTS_PER_QUERY / 1000);
    assert_int_equal(pull_chunk_points(UINT32_MAX, 0), 1);

    assert_int_equal(pull_chunk_end(0, 600, 60, 5), 240);
    assert_int_equal(pull_chunk_end(0, 600, 60, 11), 600);
    assert_int_equal(pull_chunk_end(0, 600, 60, 100), 600);
    assert_int_equal(pull_chunk_end(0, 600, 60, 0), 0);

    static const uint32_t series[] = {0, 1, 3, 500};
    for (size_t k = 0; k < sizeof series / sizeof series[0]; k++) {
        int64_t start, end, step = 60;
        pull_range(1700000000, 360, step, &start, &end);
        int64_t covered = 0, next = start, queries = 0;
        int first = 1;
        for (int64_t s = start; s <= end; first = 0) {
            int64_t e = pull_chunk_end(s, end, step, pull_chunk_points(series[k], first));
            assert_int_equal(s, next);
            assert_true(e >= s && e <= end);
            assert_true((e - s) / step + 1 <= PULL_MAX_POINTS_PER_SERIES);
            assert_true((e - s) / step < 11000);      /* Prometheus' own test */
            covered += (e - s) / step + 1;
            queries++;
            next = e + step;
            if (e >= end)
                break;
            s = e + step;
        }
        assert_int_equal(covered, 360 * 60 + 1);
        if (series[k] <= 1)
            assert_int_equal(queries, 3);   /* 1440, then 11000, then the remaining 9161 */
    }
}

static void test_backoff_and_retry(void **state)
{
    (void)state;
    assert_int_equal(pull_backoff_ms(1), 500);
    assert_int_equal(pull_backoff_ms(2), 1000);
    assert_int_equal(pull_backoff_ms(3), 2000);
    assert_int_equal(pull_backoff_ms(5), 8000);
    assert_int_equal(pull_backoff_ms(40), PULL_BACKOFF_MAX_MS);
    assert_int_equal(pull_backoff_ms(0), 500);
    assert_true(pull_retryable(7, 0));       /* CURLE_COULDNT_CONNECT */
    assert_true(pull_retryable(28, 0));      /* CURLE_OPERATION_TIMEDOUT */
    assert_true(pull_retryable(0, 500));
    assert_true(pull_retryable(0, 503));
    assert_true(pull_retryable(0, 429));
    assert_false(pull_retryable(0, 400));
    assert_false(pull_retryable(0, 422));
    assert_false(pull_retryable(0, 404));
    assert_false(pull_retryable(0, 200));
}

static void test_split_selectors(void **state)
{
    (void)state;
    char list[] = " node_load1 ;; up{job=\"a;b\\\";\",x='c;'} ;  \t ; x";
    char *out[4];
    size_t n = pull_split_selectors(list, out, 4);
    assert_int_equal(n, 3);
    assert_string_equal(out[0], "node_load1");
    assert_string_equal(out[1], "up{job=\"a;b\\\";\",x='c;'}");
    assert_string_equal(out[2], "x");
    char one[] = "a;b;c";
    assert_int_equal(pull_split_selectors(one, out, 2), 2);
    char none[] = "";
    assert_int_equal(pull_split_selectors(none, out, 4), 0);
}

/* A free loopback port with nobody listening on it. */
static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A server that refuses connections: the first query fails after its attempts, the backfill
 * stops there with -MAI_EIO and one line, and the store is untouched. Bad configuration is
 * refused before any I/O. */
static void test_backfill_unreachable(void **state)
{
    (void)state;
    store_config c = {.shards = 2, .max_series = 10, .fine_cap = 60, .fine_step_ms = 60000,
                      .coarse_cap = 24, .coarse_step_ms = 3600000};
    store *st = NULL;
    assert_int_equal(store_create(&c, &st), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", dead_port());
    pull_config pc = {.vm_url = url, .step_s = 60, .max_attempts = 2,
                      .connect_timeout_ms = 1000, .timeout_ms = 2000};
    pull_range(1700000000, 1, 60, &pc.start_s, &pc.end_s);
    pull_stats s;
    assert_int_equal(pull_backfill(&pc, st, &s, err, sizeof err), -MAI_EIO);
    assert_non_null(strstr(err, "backfill HOST_CPU from http://127.0.0.1:"));
    assert_non_null(strstr(err, "(after 2 attempts)"));
    assert_null(strchr(err, '\n'));
    assert_int_equal(s.queries_ok, 0);
    assert_int_equal(s.queries_failed, 1);
    store_stats ss;
    store_get_stats(st, &ss);
    assert_int_equal(ss.series, 0);

    pc.vm_url = "";
    assert_int_equal(pull_backfill(&pc, st, &s, err, sizeof err), -MAI_EINVAL);
    pc.vm_url = url;
    pc.end_s = pc.start_s - 60;
    assert_int_equal(pull_backfill(&pc, st, &s, err, sizeof err), -MAI_EINVAL);
    store_destroy(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_named),
        cmocka_unit_test(test_parse_raw_selector),
        cmocka_unit_test(test_parse_merges_or_sides),
        cmocka_unit_test(test_parse_empty_result),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_limits_and_ingest),
        cmocka_unit_test(test_error_text),
        cmocka_unit_test(test_endpoint_and_url),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_chunks),
        cmocka_unit_test(test_backoff_and_retry),
        cmocka_unit_test(test_split_selectors),
        cmocka_unit_test(test_backfill_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
