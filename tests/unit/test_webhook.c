/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_webhook.c -- --alert-webhook: the body only when something is actionable (and
 * it is the alert payload), the log line with the URL's host and never its secret path, and a
 * real delivery to two loopback receivers (one answering 500 then 200, one 400: retried, not
 * retried) with method, Content-Type and body checked. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <string.h>

#include "adapter/webhook.h"
#include "exporter/alert_payload.h"
#include "http_sink.h"

static const struct timespec NOW = {1763724776, 529548000};

static void one_pressured_node(results *r, result_node *nd)
{
    memset(r, 0, sizeof *r);
    memset(nd, 0, sizeof *nd);
    snprintf(nd->node, sizeof nd->node, "pi");
    snprintf(nd->display, sizeof nd->display, "pi (192.168.10.200)");
    nd->value[0] = 0.174918;
    nd->value[1] = 0.840407;
    nd->kind = "";
    nd->host_pressure = 1;
    r->nodes = nd;
    r->nnodes = 1;
}

static void test_body(void **state)
{
    (void)state;
    char *body = (char *)"x";
    assert_int_equal(webhook_body(NULL, &NOW, &body), 0);
    assert_null(body);
    results r;
    result_node nd;
    one_pressured_node(&r, &nd);
    nd.host_pressure = 0;
    assert_int_equal(webhook_body(&r, &NOW, &body), 0);     /* healthy: no webhook */
    assert_null(body);
    nd.host_pressure = 1;
    assert_int_equal(webhook_body(&r, &NOW, &body), 1);
    assert_non_null(body);
    char *want = alert_payload_json(&r, &NOW);
    assert_string_equal(body, want);
    free(want);
    free(body);
}

static void test_log_line(void **state)
{
    (void)state;
    const char *url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";
    alert_http_result ok = {.status = 200, .transport = ALERT_HTTP_DONE, .attempts = 1};
    char line[512];
    webhook_log_line(url, 0, &ok, line, sizeof line);
    assert_string_equal(line, "Alert webhook sent to hooks.slack.com: HTTP 200 (1 attempt)");
    alert_http_result bad = {.status = 503, .transport = ALERT_HTTP_DONE, .attempts = 3};
    snprintf(bad.err, sizeof bad.err, "HTTP status 503");
    webhook_log_line(url, -1, &bad, line, sizeof line);
    assert_string_equal(line, "Alert webhook to hooks.slack.com failed after 3 attempts: "
                              "HTTP status 503");
    assert_null(strstr(line, "SECRET"));
    assert_null(strstr(line, "services"));
}

static void test_send(void **state)
{
    (void)state;
    assert_int_equal(alert_http_global_init(), 0);
    unsigned st_a[] = {500, 200}, st_b[] = {400};
    http_sink a, b;
    assert_int_equal(sink_start(&a, st_a, 2, 0), 0);
    assert_int_equal(sink_start(&b, st_b, 1, 0), 0);
    char ua[128], ub[128];
    snprintf(ua, sizeof ua, "http://127.0.0.1:%u/services/T1/B1/secret", (unsigned)a.port);
    snprintf(ub, sizeof ub, "http://127.0.0.1:%u/hook", (unsigned)b.port);
    const char *urls[2] = {ua, ub};
    results r;
    result_node nd;
    one_pressured_node(&r, &nd);
    char *body = NULL;
    assert_int_equal(webhook_body(&r, &NOW, &body), 1);
    alert_http_policy p = {2000, 5000, 3, 10, 20};
    assert_int_equal(webhook_send(urls, 2, body, &p, NULL), 1);    /* b refused it */
    assert_int_equal(sink_count(&a), 2);                         /* 500 retried */
    assert_int_equal(sink_count(&b), 1);                         /* 400 not */
    for (int i = 0; i < 2; i++) {
        assert_string_equal(a.req[i].method, "POST");
        assert_string_equal(a.req[i].path, "/services/T1/B1/secret");
        assert_string_equal(a.req[i].content_type, "application/json");
        assert_string_equal(a.req[i].body, body);
    }
    cJSON *j = cJSON_Parse(b.req[0].body);
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "host_pressure"), "total")->valueint,
                     1);
    cJSON_Delete(j);
    free(body);
    sink_stop(&a);
    sink_stop(&b);
    alert_http_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_log_line),
        cmocka_unit_test(test_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
