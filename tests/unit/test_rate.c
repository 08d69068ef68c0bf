/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_rate.c -- counter to rate conversion: steady rates, resets, gaps, order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "models/rate.h"

static void test_rate_first_sample_gives_no_rate(void **state)
{
    (void)state;
    rate_state s;
    rate_init(&s);
    double r = -1;
    assert_int_equal(rate_update(&s, 1000, 5.0, &r), 0);
    assert_float_equal(r, -1, 0);
}

static void test_rate_per_second(void **state)
{
    (void)state;
    rate_state s;
    rate_init(&s);
    double r;
    rate_update(&s, 0, 100.0, &r);
    assert_int_equal(rate_update(&s, 15000, 130.0, &r), 1);
    assert_float_equal(r, 2.0, 1e-12);
    assert_int_equal(rate_update(&s, 16000, 130.5, &r), 1);
    assert_float_equal(r, 0.5, 1e-12);
}

static void test_rate_reset_counts_new_value_as_increase(void **state)
{
    (void)state;
    rate_state s;
    rate_init(&s);
    double r;
    rate_update(&s, 0, 1000.0, &r);
    assert_int_equal(rate_update(&s, 10000, 20.0, &r), 1);
    assert_float_equal(r, 2.0, 1e-12);     /* restarted from 0, now 20 over 10 s */
    assert_int_equal(s.resets, 1);
}

static void test_rate_nan_starts_again(void **state)
{
    (void)state;
    rate_state s;
    rate_init(&s);
    double r;
    rate_update(&s, 0, 10.0, &r);
    assert_int_equal(rate_update(&s, 1000, NAN, &r), 0);
    assert_int_equal(rate_update(&s, 2000, 50.0, &r), 0);
    assert_int_equal(rate_update(&s, 3000, 51.0, &r), 1);
    assert_float_equal(r, 1.0, 1e-12);
}

static void test_rate_same_or_older_time_restarts(void **state)
{
    (void)state;
    rate_state s;
    rate_init(&s);
    double r;
    rate_update(&s, 5000, 10.0, &r);
    assert_int_equal(rate_update(&s, 5000, 12.0, &r), 0);   /* no division by zero */
    assert_int_equal(rate_update(&s, 7000, 16.0, &r), 1);
    assert_float_equal(r, 2.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_first_sample_gives_no_rate),
        cmocka_unit_test(test_rate_per_second),
        cmocka_unit_test(test_rate_reset_counts_new_value_as_increase),
        cmocka_unit_test(test_rate_nan_starts_again),
        cmocka_unit_test(test_rate_same_or_older_time_restarts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
