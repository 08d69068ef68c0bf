/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_selfstats.c -- request accounting: status codes to label indexes, latency
 * buckets, version bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "adapter/selfstats.h"

static void test_selfstats_maps_codes(void **state)
{
    (void)state;
    assert_int_equal(selfstats_code_index(204), CODE_204);
    assert_int_equal(selfstats_code_index(413), CODE_413);
    assert_int_equal(selfstats_code_index(415), CODE_415);
    assert_int_equal(selfstats_code_index(503), CODE_503);
    assert_int_equal(selfstats_code_index(502), CODE_500);  /* other codes count as 500 */
    assert_string_equal(selfstats_code_names[CODE_503], "503");
}

static void test_selfstats_latency_goes_to_first_bound_at_or_above(void **state)
{
    (void)state;
    uint64_t b0 = atomic_load(&g_selfstats.latency_bucket[3]);  /* le 0.001 */
    uint64_t b1 = atomic_load(&g_selfstats.latency_bucket[4]);  /* le 0.0025 */
    selfstats_observe_request(VER_1, 204, 1000000);    /* exactly 1 ms: le 0.001 */
    selfstats_observe_request(VER_1, 204, 1000001);    /* just above: le 0.0025 */
    assert_int_equal(atomic_load(&g_selfstats.latency_bucket[3]) - b0, 1);
    assert_int_equal(atomic_load(&g_selfstats.latency_bucket[4]) - b1, 1);
}

static void test_selfstats_out_of_range_version_counts_as_unknown(void **state)
{
    (void)state;
    uint64_t u0 = atomic_load(&g_selfstats.requests[VER_UNKNOWN][CODE_400]);
    selfstats_observe_request(17, 400, 0);
    selfstats_observe_request(-3, 400, 0);
    assert_int_equal(atomic_load(&g_selfstats.requests[VER_UNKNOWN][CODE_400]) - u0, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selfstats_maps_codes),
        cmocka_unit_test(test_selfstats_latency_goes_to_first_bound_at_or_above),
        cmocka_unit_test(test_selfstats_out_of_range_version_counts_as_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
