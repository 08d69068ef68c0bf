/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_pushgateway.c -- --pushgateway: grouping-key segments (percent-encoding,
 * the @base64 form for values with '/' and for the empty value, padding), the push URL (a
 * trailing '/' of the base dropped, too-long keys refused), the exact text of the nine gauges,
 * and a real PUT to a loopback receiver (method, path, Content-Type, body; 503 retried). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "adapter/pushgateway.h"
#include "http_sink.h"

static void test_segment(void **state)
{
    (void)state;
    char b[128];
    assert_int_equal(pushgateway_segment("instance", "host01", b, sizeof b), 15);
    assert_string_equal(b, "instance/host01");
    pushgateway_segment("instance", "host01.example.org:9201", b, sizeof b);
    assert_string_equal(b, "instance/host01.example.org%3A9201");
    pushgateway_segment("instance", "a b&c?d#e%f", b, sizeof b);
    assert_string_equal(b, "instance/a%20b%26c%3Fd%23e%25f");
    pushgateway_segment("instance", "h\xc3\xa9", b, sizeof b);
    assert_string_equal(b, "instance/h%C3%A9");
    /* '/' needs the base64url form; padding for 1, 2 and 3-byte tails */
    pushgateway_segment("path", "/var/tmp", b, sizeof b);
    assert_string_equal(b, "path@base64/L3Zhci90bXA=");
    pushgateway_segment("path", "/", b, sizeof b);
    assert_string_equal(b, "path@base64/Lw==");
    pushgateway_segment("path", "a/b", b, sizeof b);
    assert_string_equal(b, "path@base64/YS9i");
    pushgateway_segment("path", "/\xff\xfe", b, sizeof b);   /* url-safe alphabet: _ and - */
    assert_string_equal(b, "path@base64/L__-");
    pushgateway_segment("instance", "", b, sizeof b);
    assert_string_equal(b, "instance@base64/=");
    char small[12];
    assert_int_equal(pushgateway_segment("instance", "host01", small, sizeof small), -1);
    assert_int_equal(pushgateway_segment("instance", "x", small, 0), -1);
}

static void test_url(void **state)
{
    (void)state;
    char b[256];
    assert_int_equal(pushgateway_url("http://pg:9091", "metrics_ai", "node-1", b, sizeof b), 0);
    assert_string_equal(b, "http://pg:9091/metrics/job/metrics_ai/instance/node-1");
    assert_int_equal(pushgateway_url("http://pg:9091/", "metrics_ai", "a/b", b, sizeof b), 0);
    assert_string_equal(b, "http://pg:9091/metrics/job/metrics_ai/instance@base64/YS9i");
    assert_int_equal(pushgateway_url("http://pg:9091/prefix//", "metrics_ai", "[::1]:9201", b,
                                     sizeof b), 0);
    assert_string_equal(b, "http://pg:9091/prefix/metrics/job/metrics_ai/instance/%5B%3A%3A1%5D%3A9201");
    char small[40];
    assert_int_equal(pushgateway_url("http://pg:9091", "metrics_ai", "node-1", small, sizeof small),
                     -1);
}

static const alert_counts COUNTS = {.disk_critical = 1, .disk_warning = 2, .disk_soon = 3,
                                    .disk_total = 6, .io_network_crisis = 4,
                                    .io_network_anomaly = 5, .golden_anomaly = 7,
                                    .classification_anomaly = 8, .host_pressure = 9};

#define G(name, help, v) "# HELP " name " " help "\n# TYPE " name " gauge\n" name " " v "\n"
static const char *const BODY =
    G("metrics_ai_disk_alerts_critical", "Count of critical disk alerts (under 3 days to 90%)", "1")
    G("metrics_ai_disk_alerts_warning", "Count of warning disk alerts (3 to 7 days to 90%)", "2")
    G("metrics_ai_disk_alerts_soon", "Count of soon disk alerts (7 to 30 days to 90%)", "3")
    G("metrics_ai_disk_alerts_total", "Total non-OK disk alerts", "6")
    G("metrics_ai_io_network_crisis_total", "I/O+Network crisis count", "4")
    G("metrics_ai_io_network_anomaly_total", "I/O+Network anomaly count", "5")
    G("metrics_ai_golden_anomaly_total", "Golden anomaly signal count", "7")
    G("metrics_ai_classification_anomaly_total", "Classification anomaly count", "8")
    G("metrics_ai_host_pressure_total", "Host pressure alert count", "9");

static void test_body(void **state)
{
    (void)state;
    char *b = pushgateway_body(&COUNTS);
    assert_non_null(b);
    assert_string_equal(b, BODY);
    free(b);
    alert_counts zero;
    memset(&zero, 0, sizeof zero);
    b = pushgateway_body(&zero);
    assert_non_null(strstr(b, "\nmetrics_ai_host_pressure_total 0\n"));
    assert_non_null(strstr(b, "\nmetrics_ai_disk_alerts_critical 0\n"));
    free(b);
}

static void test_push(void **state)
{
    (void)state;
    assert_int_equal(alert_http_global_init(), 0);
    unsigned st[] = {503, 200};
    http_sink s;
    assert_int_equal(sink_start(&s, st, 2, 0), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u/", (unsigned)s.port);
    alert_http_policy p = {2000, 5000, 3, 10, 20};
    assert_int_equal(pushgateway_push(base, "node/1", &COUNTS, &p, NULL), 0);
    assert_int_equal(sink_count(&s), 2);
    assert_string_equal(s.req[1].method, "PUT");
    assert_string_equal(s.req[1].path, "/metrics/job/metrics_ai/instance@base64/bm9kZS8x");
    assert_string_equal(s.req[1].content_type, PUSHGATEWAY_CONTENT_TYPE);
    assert_string_equal(s.req[1].body, BODY);
    sink_stop(&s);
    unsigned bad[] = {400};
    assert_int_equal(sink_start(&s, bad, 1, 0), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", (unsigned)s.port);
    assert_int_equal(pushgateway_push(base, "node-1", &COUNTS, &p, NULL), -1);
    assert_int_equal(sink_count(&s), 1);
    assert_string_equal(s.req[0].path, "/metrics/job/metrics_ai/instance/node-1");
    sink_stop(&s);
    alert_http_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segment),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_push),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
