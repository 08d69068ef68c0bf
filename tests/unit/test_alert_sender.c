/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_alert_sender.c -- the sender thread against real loopback receivers and a real
 * results box: one delivery per new cycle (webhook only when actionable, push always), nothing
 * again for the same cycle, notify wakes it at once, a slow sink never blocks publishing and only
 * the newest set is sent after it (the one-slot mailbox), stop aborts a slow transfer promptly,
 * every set is released (freed) and bad configurations are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <string.h>

#include "adapter/alert_sender.h"
#include "adapter/log.h"
#include "models/base.h"
#include "http_sink.h"

static atomic_int freed;

static void free_set(results *r)
{
    atomic_fetch_add(&freed, 1);
    free(r);
}

/* A set for cycle n: disk_critical = n makes it actionable and visible in the pushed text. */
static results *set_for(uint64_t n, int actionable)
{
    results *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->cycles = n;
    r->disk_critical = actionable ? n : 0;
    r->free_fn = free_set;
    return r;
}

static double now_s(void)
{
    return (double)mai_monotonic_ns() / 1e9;
}

/* Waits (at most secs) until cond holds; returns it. */
#define WAIT_FOR(cond, secs)                                                                       \
    do {                                                                                           \
        double t0_ = now_s();                                                                      \
        while (!(cond) && now_s() - t0_ < (secs)) {                                                \
            struct timespec ts_ = {0, 10000000L};                                                  \
            nanosleep(&ts_, NULL);                                                                 \
        }                                                                                          \
    } while (0)

static void test_config_errors(void **state)
{
    (void)state;
    alert_sender *s = (alert_sender *)1;
    results_box *box = results_box_create();
    alert_sender_config c = {.box = box, .policy = ALERT_HTTP_POLICY_DEFAULT};
    assert_int_equal(alert_sender_start(&c, &s), -MAI_EINVAL);      /* no sink */
    assert_null(s);
    c.pushgateway = "";
    assert_int_equal(alert_sender_start(&c, &s), -MAI_EINVAL);
    c.pushgateway = "http://127.0.0.1:1";
    c.box = NULL;
    assert_int_equal(alert_sender_start(&c, &s), -MAI_EINVAL);
    alert_sender_stop(NULL);
    alert_sender_notify(NULL);
    /* from the configuration: nothing configured, nothing started */
    mai_config cfg;
    config_defaults(&cfg);
    char err[256];
    assert_int_equal(alert_sender_from_config(&cfg, box, &s, err, sizeof err), 0);
    assert_null(s);
    results_box_destroy(box);
}

static void test_deliveries(void **state)
{
    (void)state;
    atomic_store(&freed, 0);
    http_sink hook, pg;
    assert_int_equal(sink_start(&hook, NULL, 0, 0), 0);
    assert_int_equal(sink_start(&pg, NULL, 0, 0), 0);
    char hu[96], pu[96];
    snprintf(hu, sizeof hu, "http://127.0.0.1:%u/hook", (unsigned)hook.port);
    snprintf(pu, sizeof pu, "http://127.0.0.1:%u", (unsigned)pg.port);
    const char *urls[1] = {hu};
    results_box *box = results_box_create();
    alert_sender_config c = {.box = box, .webhooks = urls, .n_webhooks = 1, .pushgateway = pu,
                             .instance = "node-a", .policy = {2000, 5000, 2, 10, 20},
                             .poll_ms = 20};
    alert_sender *s = NULL;
    assert_int_equal(alert_sender_start(&c, &s), 0);
    results_publish(box, set_for(1, 1));
    WAIT_FOR(alert_sender_delivered(s) >= 1, 5.0);
    assert_int_equal(alert_sender_delivered(s), 1);
    assert_int_equal(sink_count(&hook), 1);
    assert_int_equal(sink_count(&pg), 1);
    assert_string_equal(hook.req[0].method, "POST");
    assert_non_null(strstr(hook.req[0].body, "\"critical\":1,"));
    assert_string_equal(pg.req[0].method, "PUT");
    assert_string_equal(pg.req[0].path, "/metrics/job/metrics_ai/instance/node-a");
    assert_non_null(strstr(pg.req[0].body, "\nmetrics_ai_disk_alerts_critical 1\n"));

    /* the same cycle is not sent again */
    struct timespec ts = {0, 150000000L};
    nanosleep(&ts, NULL);
    assert_int_equal(alert_sender_delivered(s), 1);
    assert_int_equal(sink_count(&pg), 1);

    /* healthy cycle: pushed (zeros), no webhook */
    results_publish(box, set_for(2, 0));
    WAIT_FOR(sink_count(&pg) >= 2, 5.0);
    WAIT_FOR(alert_sender_delivered(s) >= 2, 5.0);
    assert_int_equal(sink_count(&pg), 2);
    assert_int_equal(sink_count(&hook), 1);
    assert_non_null(strstr(pg.req[1].body, "\nmetrics_ai_disk_alerts_critical 0\n"));
    alert_sender_stop(s);
    results_box_destroy(box);
    assert_int_equal(atomic_load(&freed), 2);
    sink_stop(&hook);
    sink_stop(&pg);
}

static void test_notify(void **state)
{
    (void)state;
    http_sink pg;
    assert_int_equal(sink_start(&pg, NULL, 0, 0), 0);
    char pu[96];
    snprintf(pu, sizeof pu, "http://127.0.0.1:%u", (unsigned)pg.port);
    results_box *box = results_box_create();
    alert_sender_config c = {.box = box, .pushgateway = pu, .instance = "n",
                             .policy = {2000, 5000, 1, 10, 20}, .poll_ms = 60000};
    alert_sender *s = NULL;
    assert_int_equal(alert_sender_start(&c, &s), 0);
    struct timespec ts = {0, 100000000L};
    nanosleep(&ts, NULL);               /* the thread is now in its minute-long wait */
    results_publish(box, set_for(7, 1));
    double t0 = now_s();
    alert_sender_notify(s);
    WAIT_FOR(sink_count(&pg) >= 1, 5.0);
    assert_int_equal(sink_count(&pg), 1);
    assert_true(now_s() - t0 < 2.0);
    alert_sender_stop(s);
    results_box_destroy(box);
    sink_stop(&pg);
}

static void test_slow_sink(void **state)
{
    (void)state;
    atomic_store(&freed, 0);
    http_sink pg;
    assert_int_equal(sink_start(&pg, NULL, 0, 600), 0);     /* answers after 0.6 s */
    char pu[96];
    snprintf(pu, sizeof pu, "http://127.0.0.1:%u", (unsigned)pg.port);
    results_box *box = results_box_create();
    alert_sender_config c = {.box = box, .pushgateway = pu, .instance = "n",
                             .policy = {2000, 5000, 1, 10, 20}, .poll_ms = 10};
    alert_sender *s = NULL;
    assert_int_equal(alert_sender_start(&c, &s), 0);
    results_publish(box, set_for(1, 1));
    struct timespec ts = {0, 100000000L};
    nanosleep(&ts, NULL);               /* the push of cycle 1 is in flight */
    double t0 = now_s();
    for (uint64_t n = 2; n <= 5; n++)
        results_publish(box, set_for(n, 1));
    assert_true(now_s() - t0 < 0.05);   /* publishing never waits for the sink */
    WAIT_FOR(alert_sender_delivered(s) >= 2, 5.0);
    WAIT_FOR(sink_count(&pg) >= 2, 5.0);
    assert_int_equal(sink_count(&pg), 2);   /* cycle 1, then only the newest (5) */
    assert_non_null(strstr(pg.req[0].body, "\nmetrics_ai_disk_alerts_critical 1\n"));
    assert_non_null(strstr(pg.req[1].body, "\nmetrics_ai_disk_alerts_critical 5\n"));
    assert_int_equal(atomic_load(&freed), 4);       /* 1..4 replaced and released */

    /* stop while a transfer hangs: aborted, not waited out */
    pg.delay_ms = 3000;
    results_publish(box, set_for(6, 1));
    nanosleep(&ts, NULL);
    t0 = now_s();
    alert_sender_stop(s);
    assert_true(now_s() - t0 < 1.5);
    results_box_destroy(box);
    assert_int_equal(atomic_load(&freed), 6);
    sink_stop(&pg);
}

int main(void)
{
    log_set_verbosity(-1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_deliveries),
        cmocka_unit_test(test_notify),
        cmocka_unit_test(test_slow_sink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
