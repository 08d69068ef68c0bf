/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_store_api.c -- GET /api/v1/store's JSON: labels, kind, rates, null gaps,
 * limits, and the error for a missing metric name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "adapter/store_api.h"
#include "req_builder.h"

static store *st;

static int setup(void **state)
{
    (void)state;
    store_config c = {.shards = 4, .max_series = 100, .fine_cap = 60, .fine_step_ms = 60000,
                      .coarse_cap = 24, .coarse_step_ms = 3600000};
    if (store_create(&c, &st) != 0)
        return -1;
    static req_builder b;
    rb_init(&b);
    static const char *const A[] = {"__name__", "bytes_total", "dev", "a", NULL};
    static const char *const B[] = {"__name__", "bytes_total", "dev", "b", NULL};
    static const char *const G[] = {"__name__", "temp", NULL};
    rw_series *a = rb_series(&b, A);
    rb_sample(&b, a, 0, 0);
    rb_sample(&b, a, 60000, 120);       /* 2/s */
    rb_sample(&b, a, 180000, 480);      /* a gap at 120 s, then 3/s */
    rb_sample(&b, rb_series(&b, B), 0, 5);
    rb_sample(&b, rb_series(&b, G), 60000, 21.5);
    store_scratch *sc = store_scratch_create();
    store_result res;
    int rc = store_ingest(st, &b.req, sc, &res);
    store_scratch_destroy(sc);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    store_destroy(st);
    return 0;
}

static cJSON *query(const char *metric, size_t limit, unsigned want_status)
{
    store_api_query q = {metric, limit, 60};
    char *out = NULL;
    assert_int_equal(store_api_render(st, &q, &out), want_status);
    assert_non_null(out);
    cJSON *j = cJSON_Parse(out);
    free(out);
    assert_non_null(j);
    return j;
}

static cJSON *series_with_dev(cJSON *list, const char *dev)
{
    cJSON *s;
    cJSON_ArrayForEach(s, list) {
        cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "labels"), "dev");
        if (d && strcmp(d->valuestring, dev) == 0)
            return s;
    }
    return NULL;
}

static void test_store_api_shows_counter_rates_with_null_gaps(void **state)
{
    (void)state;
    cJSON *j = query("bytes_total", 100, 200);
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "success");
    cJSON *list = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "data"), "series");
    assert_int_equal(cJSON_GetArraySize(list), 2);
    cJSON *a = series_with_dev(list, "a");
    assert_non_null(a);
    assert_string_equal(cJSON_GetObjectItem(a, "kind")->valuestring, "counter");
    assert_int_equal(cJSON_GetObjectItem(a, "samples")->valueint, 3);
    cJSON *fine = cJSON_GetObjectItem(a, "fine");
    assert_int_equal((int64_t)cJSON_GetObjectItem(fine, "start_ms")->valuedouble, 60000);
    cJSON *vals = cJSON_GetObjectItem(fine, "values");
    assert_int_equal(cJSON_GetArraySize(vals), 3);
    assert_float_equal(cJSON_GetArrayItem(vals, 0)->valuedouble, 2.0, 1e-6);
    assert_true(cJSON_IsNull(cJSON_GetArrayItem(vals, 1)));
    assert_float_equal(cJSON_GetArrayItem(vals, 2)->valuedouble, 3.0, 1e-6);
    cJSON *b = series_with_dev(list, "b");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "fine"),
                                                            "values")), 0);
    cJSON_Delete(j);
}

static void test_store_api_shows_gauge_values(void **state)
{
    (void)state;
    cJSON *j = query("temp", 100, 200);
    cJSON *list = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "data"), "series");
    assert_int_equal(cJSON_GetArraySize(list), 1);
    cJSON *s = cJSON_GetArrayItem(list, 0);
    assert_string_equal(cJSON_GetObjectItem(s, "kind")->valuestring, "gauge");
    cJSON *vals = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "fine"), "values");
    assert_float_equal(cJSON_GetArrayItem(vals, 0)->valuedouble, 21.5, 1e-6);
    cJSON_Delete(j);
}

static void test_store_api_respects_limit_and_says_truncated(void **state)
{
    (void)state;
    cJSON *j = query("bytes_total", 1, 200);
    cJSON *data = cJSON_GetObjectItem(j, "data");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(data, "series")), 1);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(data, "truncated")));
    cJSON_Delete(j);
    j = query("no_such_metric", 10, 200);
    data = cJSON_GetObjectItem(j, "data");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(data, "series")), 0);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(data, "truncated")));
    cJSON_Delete(j);
}

static void test_store_api_requires_metric(void **state)
{
    (void)state;
    cJSON *j = query(NULL, 10, 400);
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "error");
    assert_non_null(strstr(cJSON_GetObjectItem(j, "error")->valuestring, "metric"));
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_api_shows_counter_rates_with_null_gaps),
        cmocka_unit_test(test_store_api_shows_gauge_values),
        cmocka_unit_test(test_store_api_respects_limit_and_says_truncated),
        cmocka_unit_test(test_store_api_requires_metric),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
