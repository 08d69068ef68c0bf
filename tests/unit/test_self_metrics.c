/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_self_metrics.c -- the self-metrics page: every family once, counters and
 * histogram consistent with the atomics, and promtool's lint passing on it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/self_metrics.h"

static void render(expo_buf *b)
{
    self_metrics_store ss = {.series = 12, .active = 10, .series_limit = 100,
                             .metadata_families = 3, .memory_series_bytes = 1 << 20,
                             .record_bytes = 16000, .fine_slots = 1440, .fine_step_s = 60,
                             .coarse_slots = 840, .coarse_step_s = 3600};
    expo_init(b);
    self_metrics_write(b, &g_selfstats, &ss);
    assert_false(b->oom);
}

static void test_self_metrics_reflect_counters(void **state)
{
    (void)state;
    selfstats_add(&g_selfstats.samples_received, 7);
    selfstats_add(&g_selfstats.samples_rejected[REJ_OUT_OF_ORDER], 2);
    selfstats_observe_request(VER_1, 204, 2000000);     /* 2 ms */
    selfstats_observe_request(VER_2, 400, 20000000000); /* 20 s: above every bound */
    expo_buf b;
    render(&b);
    assert_non_null(strstr(b.p, "\nmetrics_ai_samples_received_total 7\n"));
    assert_non_null(strstr(b.p, "metrics_ai_samples_rejected_total{reason=\"out_of_order\"} 2\n"));
    assert_non_null(strstr(b.p, "metrics_ai_remote_write_requests_total{code=\"400\","
                                "version=\"2.0\"} 1\n"));
    assert_non_null(strstr(b.p, "metrics_ai_series_active 10\n"));
    /* 2 ms falls in le=0.0025 and above; the 20 s request only in +Inf. */
    assert_non_null(strstr(b.p, "_bucket{le=\"0.001\"} 0\n"));
    assert_non_null(strstr(b.p, "_bucket{le=\"0.0025\"} 1\n"));
    assert_non_null(strstr(b.p, "_bucket{le=\"5\"} 1\n"));
    assert_non_null(strstr(b.p, "_bucket{le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(b.p, "metrics_ai_remote_write_request_duration_seconds_count 2\n"));
    assert_non_null(strstr(b.p, "process_resident_memory_bytes "));
    assert_int_equal(b.p[b.len - 1], '\n');
    expo_free(&b);
}

static void test_self_metrics_declare_each_family_once(void **state)
{
    (void)state;
    expo_buf b;
    render(&b);
    const char *p = b.p;
    int types = 0;
    while ((p = strstr(p, "# TYPE ")) != NULL) {
        char name[128];
        assert_int_equal(sscanf(p + 7, "%127s", name), 1);
        char needle[160];
        snprintf(needle, sizeof needle, "# TYPE %s ", name);
        assert_ptr_equal(strstr(b.p, needle), p);   /* the first TYPE line for it is this one */
        assert_null(strstr(p + 1, needle));         /* and there is no other */
        p += 7;
        types++;
    }
    assert_true(types >= 20);
    expo_free(&b);
}

static void test_self_metrics_pass_promtool_lint(void **state)
{
    (void)state;
    if (access("/usr/bin/promtool", X_OK) != 0) {
        skip();
        return;
    }
    expo_buf b;
    render(&b);
    char path[] = "/tmp/mai_self_metrics_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b.p, b.len), (ssize_t)b.len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s", path);
    int rc = system(cmd);
    unlink(path);
    assert_int_equal(rc, 0);
    expo_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_metrics_reflect_counters),
        cmocka_unit_test(test_self_metrics_declare_each_family_once),
        cmocka_unit_test(test_self_metrics_pass_promtool_lint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
