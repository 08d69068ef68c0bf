/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_ring.c -- fine and coarse rings: bucketing, gaps, wrap-around, refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "models/ring.h"

static void test_ring_starts_empty(void **state)
{
    (void)state;
    float slots[8];
    ring r;
    ring_init(&r, slots, 8);
    assert_int_equal(r.count, 0);
    assert_true(r.last == RING_EMPTY);
    assert_true(isnan(ring_get(&r, 0)));
    float out[8];
    int64_t first = 0;
    assert_int_equal(ring_copy(&r, out, 8, &first), 0);
    assert_true(first == RING_EMPTY);
}

static void test_ring_means_points_in_one_bucket(void **state)
{
    (void)state;
    float slots[4];
    ring r;
    ring_init(&r, slots, 4);
    assert_int_equal(ring_add(&r, 10, 1.0), 0);
    assert_int_equal(ring_add(&r, 10, 2.0), 0);
    assert_int_equal(ring_add(&r, 10, 6.0), 0);
    assert_float_equal(ring_get(&r, 10), 3.0, 1e-6);
    assert_int_equal(r.count, 1);
}

static void test_ring_leaves_gaps_as_nan(void **state)
{
    (void)state;
    float slots[8];
    ring r;
    ring_init(&r, slots, 8);
    ring_add(&r, 100, 1.0);
    ring_add(&r, 103, 4.0);
    assert_int_equal(r.count, 4);
    assert_float_equal(ring_get(&r, 100), 1.0, 0);
    assert_true(isnan(ring_get(&r, 101)));
    assert_true(isnan(ring_get(&r, 102)));
    assert_float_equal(ring_get(&r, 103), 4.0, 0);
}

static void test_ring_wraps_and_forgets_oldest(void **state)
{
    (void)state;
    float slots[4];
    ring r;
    ring_init(&r, slots, 4);
    for (int b = 0; b < 10; b++)
        ring_add(&r, b, (double)b);
    assert_int_equal(r.count, 4);
    assert_true(isnan(ring_get(&r, 5)));        /* fell off */
    float out[8];
    int64_t first;
    size_t n = ring_copy(&r, out, 8, &first);
    assert_int_equal(n, 4);
    assert_int_equal(first, 6);
    for (size_t i = 0; i < n; i++)
        assert_float_equal(out[i], (float)(6 + i), 0);
}

static void test_ring_jump_past_capacity_clears_everything(void **state)
{
    (void)state;
    float slots[4];
    ring r;
    ring_init(&r, slots, 4);
    for (int b = 0; b < 4; b++)
        ring_add(&r, b, 1.0);
    ring_add(&r, 1000, 7.0);
    assert_int_equal(r.count, 4);
    assert_float_equal(ring_get(&r, 1000), 7.0, 0);
    for (int b = 997; b < 1000; b++)
        assert_true(isnan(ring_get(&r, b)));
}

static void test_ring_refuses_older_bucket(void **state)
{
    (void)state;
    float slots[4];
    ring r;
    ring_init(&r, slots, 4);
    ring_add(&r, 5, 1.0);
    assert_int_equal(ring_add(&r, 4, 9.0), -1);
    assert_float_equal(ring_get(&r, 5), 1.0, 0);
}

static void test_ring_handles_negative_buckets(void **state)
{
    (void)state;
    float slots[3];
    ring r;
    ring_init(&r, slots, 3);
    ring_add(&r, -5, 1.0);
    ring_add(&r, -4, 2.0);
    assert_float_equal(ring_get(&r, -5), 1.0, 0);
    assert_float_equal(ring_get(&r, -4), 2.0, 0);
}

static void test_ring_agg_keeps_mean_min_max(void **state)
{
    (void)state;
    ring_agg_slot slots[4];
    ring_agg r;
    ring_agg_init(&r, slots, 4);
    ring_agg_add(&r, 7, 5.0);
    ring_agg_add(&r, 7, -1.0);
    ring_agg_add(&r, 7, 2.0);
    ring_agg_slot s = ring_agg_get(&r, 7);
    assert_float_equal(s.mean, 2.0, 1e-6);
    assert_float_equal(s.min, -1.0, 0);
    assert_float_equal(s.max, 5.0, 0);
    ring_agg_add(&r, 8, 10.0);
    s = ring_agg_get(&r, 8);
    assert_float_equal(s.min, 10.0, 0);
    assert_float_equal(s.max, 10.0, 0);
    assert_int_equal(ring_agg_add(&r, 6, 1.0), -1);
    assert_true(isnan(ring_agg_get(&r, 3).mean));
}

static void test_ring_clear_resets_count_and_last(void **state)
{
    (void)state;
    float slots[4];
    ring r;
    ring_init(&r, slots, 4);
    ring_add(&r, 1, 1.0);
    ring_clear(&r);
    assert_int_equal(r.count, 0);
    assert_true(r.last == RING_EMPTY);
    assert_int_equal(ring_add(&r, 0, 3.0), 0);  /* older than before: fine after a clear */
    assert_float_equal(ring_get(&r, 0), 3.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_starts_empty),
        cmocka_unit_test(test_ring_means_points_in_one_bucket),
        cmocka_unit_test(test_ring_leaves_gaps_as_nan),
        cmocka_unit_test(test_ring_wraps_and_forgets_oldest),
        cmocka_unit_test(test_ring_jump_past_capacity_clears_everything),
        cmocka_unit_test(test_ring_refuses_older_bucket),
        cmocka_unit_test(test_ring_handles_negative_buckets),
        cmocka_unit_test(test_ring_agg_keeps_mean_min_max),
        cmocka_unit_test(test_ring_clear_resets_count_and_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
