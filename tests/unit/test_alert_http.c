/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_alert_http.c -- the alert sinks' HTTP: which outcomes are retried (5xx, 429,
 * timeouts, refused connections; never other 4xx or fatal errors), the backoff sequence and its
 * cap, the retry loop on scripted attempts (attempt count, waits, stop), the host-only form of
 * URLs for logs, and the libcurl transport against a real loopback HTTP server (method, body,
 * Content-Type, 503-503-200, 404 once, a refused port, a timeout, the stop flag). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "adapter/alert_http.h"
#include "http_sink.h"

static void test_retryable(void **state)
{
    (void)state;
    assert_true(alert_http_retryable(ALERT_HTTP_DONE, 500));
    assert_true(alert_http_retryable(ALERT_HTTP_DONE, 502));
    assert_true(alert_http_retryable(ALERT_HTTP_DONE, 503));
    assert_true(alert_http_retryable(ALERT_HTTP_DONE, 599));
    assert_true(alert_http_retryable(ALERT_HTTP_DONE, 429));
    assert_false(alert_http_retryable(ALERT_HTTP_DONE, 400));
    assert_false(alert_http_retryable(ALERT_HTTP_DONE, 401));
    assert_false(alert_http_retryable(ALERT_HTTP_DONE, 403));
    assert_false(alert_http_retryable(ALERT_HTTP_DONE, 404));
    assert_false(alert_http_retryable(ALERT_HTTP_DONE, 413));
    assert_false(alert_http_retryable(ALERT_HTTP_DONE, 200));
    assert_false(alert_http_retryable(ALERT_HTTP_DONE, 301));
    assert_false(alert_http_retryable(ALERT_HTTP_DONE, 600));
    assert_true(alert_http_retryable(ALERT_HTTP_TIMEOUT, 0));
    assert_true(alert_http_retryable(ALERT_HTTP_CONNECT, 0));
    assert_false(alert_http_retryable(ALERT_HTTP_FATAL, 0));
    assert_false(alert_http_retryable(ALERT_HTTP_STOPPED, 0));
}

static void test_backoff(void **state)
{
    (void)state;
    alert_http_policy p = ALERT_HTTP_POLICY_DEFAULT;
    assert_int_equal(p.max_attempts, 3);
    assert_int_equal(alert_http_backoff_ms(&p, 1), 1000);
    assert_int_equal(alert_http_backoff_ms(&p, 2), 2000);
    assert_int_equal(alert_http_backoff_ms(&p, 3), 4000);
    assert_int_equal(alert_http_backoff_ms(&p, 4), 8000);
    assert_int_equal(alert_http_backoff_ms(&p, 5), 8000);       /* capped */
    assert_int_equal(alert_http_backoff_ms(&p, 60), 8000);      /* no overflow */
    p.backoff_ms = 300;
    p.backoff_max_ms = 1000;
    assert_int_equal(alert_http_backoff_ms(&p, 3), 1000);
}

/* Scripted attempts: each returns the next (transport, status). */
typedef struct script {
    int transport[8];
    long status[8];
    int n, calls;
    long slept[8];
    int nslept;
    int stop_after_sleeps;      /* sleep says "stop" from this many sleeps on (0 = never) */
} script;

static int scripted(void *ctx, long *status, char *err, size_t errlen)
{
    script *s = ctx;
    int i = s->calls < s->n ? s->calls : s->n - 1;
    s->calls++;
    *status = s->status[i];
    if (s->transport[i] != ALERT_HTTP_DONE)
        snprintf(err, errlen, "transport %d", s->transport[i]);
    return s->transport[i];
}

static int record_sleep(void *ctx, long ms)
{
    script *s = ctx;
    if (s->nslept < 8)
        s->slept[s->nslept] = ms;
    s->nslept++;
    return s->stop_after_sleeps && s->nslept >= s->stop_after_sleeps;
}

static void test_retry_loop(void **state)
{
    (void)state;
    alert_http_policy p = {100, 1000, 4, 10, 25};
    alert_http_result r;

    script a = {{ALERT_HTTP_DONE, ALERT_HTTP_DONE, ALERT_HTTP_DONE}, {503, 502, 204}, 3, 0, {0}, 0, 0};
    assert_int_equal(alert_http_retry(&p, scripted, &a, record_sleep, &a, &r), 0);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.transport, ALERT_HTTP_DONE);
    assert_int_equal(a.nslept, 2);
    assert_int_equal(a.slept[0], 10);
    assert_int_equal(a.slept[1], 20);

    script b = {{ALERT_HTTP_DONE}, {404}, 1, 0, {0}, 0, 0};      /* other 4xx: once */
    assert_int_equal(alert_http_retry(&p, scripted, &b, record_sleep, &b, &r), -1);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.err, "HTTP status 404");
    assert_int_equal(b.nslept, 0);

    script c = {{ALERT_HTTP_DONE}, {429}, 1, 0, {0}, 0, 0};      /* 429 every time: all 4 */
    assert_int_equal(alert_http_retry(&p, scripted, &c, record_sleep, &c, &r), -1);
    assert_int_equal(r.attempts, 4);
    assert_int_equal(c.nslept, 3);
    assert_int_equal(c.slept[2], 25);                          /* 10, 20, capped 25 */

    script d = {{ALERT_HTTP_TIMEOUT, ALERT_HTTP_CONNECT, ALERT_HTTP_DONE}, {0, 0, 200}, 3, 0,
                {0}, 0, 0};
    assert_int_equal(alert_http_retry(&p, scripted, &d, record_sleep, &d, &r), 0);
    assert_int_equal(r.attempts, 3);

    script e = {{ALERT_HTTP_FATAL}, {0}, 1, 0, {0}, 0, 0};       /* bad URL: once */
    assert_int_equal(alert_http_retry(&p, scripted, &e, record_sleep, &e, &r), -1);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.transport, ALERT_HTTP_FATAL);
    assert_int_equal(r.status, 0);

    script f = {{ALERT_HTTP_DONE}, {500}, 1, 0, {0}, 0, 1};      /* stop during the first wait */
    assert_int_equal(alert_http_retry(&p, scripted, &f, record_sleep, &f, &r), -1);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.transport, ALERT_HTTP_STOPPED);

    p.max_attempts = 0;                                         /* at least one attempt */
    script g = {{ALERT_HTTP_DONE}, {500}, 1, 0, {0}, 0, 0};
    assert_int_equal(alert_http_retry(&p, scripted, &g, record_sleep, &g, &r), -1);
    assert_int_equal(g.calls, 1);
}

static void test_url_host(void **state)
{
    (void)state;
    char b[64];
    alert_http_url_host("https://hooks.slack.com/services/T000/B000/XXXXSECRET", b, sizeof b);
    assert_string_equal(b, "hooks.slack.com");
    alert_http_url_host("http://user:pw@example.org:8080/x?token=secret", b, sizeof b);
    assert_string_equal(b, "example.org:8080");
    alert_http_url_host("http://127.0.0.1:9091", b, sizeof b);
    assert_string_equal(b, "127.0.0.1:9091");
    alert_http_url_host("http://[::1]:9091/metrics", b, sizeof b);
    assert_string_equal(b, "[::1]:9091");
    alert_http_url_host("http:///path", b, sizeof b);
    assert_string_equal(b, "?");
    alert_http_url_host(NULL, b, sizeof b);
    assert_string_equal(b, "?");
}

static void url_of(char *out, size_t len, unsigned short port, const char *path)
{
    snprintf(out, len, "http://127.0.0.1:%u%s", (unsigned)port, path);
}

static void test_transport(void **state)
{
    (void)state;
    assert_int_equal(alert_http_global_init(), 0);
    alert_http_policy p = {2000, 5000, 3, 10, 20};
    alert_http_result r;
    char url[128];

    unsigned st[] = {503, 503, 200};
    http_sink s;
    assert_int_equal(sink_start(&s, st, 3, 0), 0);
    url_of(url, sizeof url, s.port, "/hook/secret");
    assert_int_equal(alert_http_send("POST", url, "application/json", "{\"a\":1}", 7, &p, NULL, &r),
                     0);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(r.status, 200);
    assert_int_equal(sink_count(&s), 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(s.req[i].method, "POST");
        assert_string_equal(s.req[i].path, "/hook/secret");
        assert_string_equal(s.req[i].content_type, "application/json");
        assert_string_equal(s.req[i].body, "{\"a\":1}");
    }
    sink_stop(&s);

    unsigned st404[] = {404};
    assert_int_equal(sink_start(&s, st404, 1, 0), 0);
    url_of(url, sizeof url, s.port, "/metrics/job/x");
    assert_int_equal(alert_http_send("PUT", url, "text/plain", "x 1\n", 4, &p, NULL, &r), -1);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.status, 404);
    assert_int_equal(sink_count(&s), 1);
    assert_string_equal(s.req[0].method, "PUT");
    assert_string_equal(s.req[0].body, "x 1\n");
    sink_stop(&s);

    url_of(url, sizeof url, sink_dead_port(), "/");
    assert_int_equal(alert_http_send("POST", url, "application/json", "{}", 2, &p, NULL, &r), -1);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(r.transport, ALERT_HTTP_CONNECT);
    assert_int_equal(r.status, 0);
    assert_true(strlen(r.err) > 0);

    /* the server answers after 1.5 s; the request allows 0.3 s */
    assert_int_equal(sink_start(&s, NULL, 0, 1500), 0);
    url_of(url, sizeof url, s.port, "/slow");
    alert_http_policy fast = {300, 300, 2, 10, 20};
    assert_int_equal(alert_http_send("POST", url, "application/json", "{}", 2, &fast, NULL, &r),
                     -1);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r.transport, ALERT_HTTP_TIMEOUT);

    /* stop raised: no request goes out */
    atomic_int stop;
    atomic_init(&stop, 1);
    assert_int_equal(alert_http_send("POST", url, "application/json", "{}", 2, &p, &stop, &r), -1);
    assert_int_equal(r.transport, ALERT_HTTP_STOPPED);
    assert_int_equal(r.attempts, 1);
    sink_stop(&s);

    assert_int_equal(alert_http_send("POST", "ftp://127.0.0.1/x", "application/json", "{}", 2,
                                     &p, NULL, &r), -1);
    assert_int_equal(r.transport, ALERT_HTTP_FATAL);
    assert_int_equal(r.attempts, 1);
    alert_http_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retryable),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_retry_loop),
        cmocka_unit_test(test_url_host),
        cmocka_unit_test(test_transport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
