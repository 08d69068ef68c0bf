/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_naive.c -- naive and seasonal naive: forecasts, interval growth, gaps,
 * warm-up fallback, save/load. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/base.h"
#include "models/naive.h"

#define H 10

typedef struct outbuf {
    double mean[H], lo80[H], hi80[H], lo95[H], hi95[H];
    fc_output o;
} outbuf;

static void out_init(outbuf *b)
{
    b->o = (fc_output){b->mean, b->lo80, b->hi80, b->lo95, b->hi95};
}

static void *make(const forecaster_ops *ops, const fc_params *p)
{
    void *s = malloc(ops->state_size(p));
    ops->init(s, p);
    return s;
}

static void test_naive_forecasts_last_value_with_growing_interval(void **state)
{
    (void)state;
    fc_params p = {.step_s = 60};
    void *s = make(&naive_ops, &p);
    const double y[] = {1, 2, 1, 2, 5};
    for (size_t i = 0; i < 5; i++)
        naive_ops.update(s, y[i]);
    outbuf b;
    out_init(&b);
    assert_int_equal(naive_ops.forecast(s, H, &b.o), 0);
    double sigma = sqrt((1 + 1 + 1 + 9) / 4.0);
    for (int k = 0; k < H; k++) {
        assert_float_equal(b.mean[k], 5, 0);
        assert_float_equal(b.hi80[k] - b.mean[k], 1.2815515655446004 * sigma * sqrt(k + 1), 1e-9);
        assert_true(b.hi95[k] > b.hi80[k] && b.lo95[k] < b.lo80[k]);
    }
    assert_int_equal(naive_ops.forecast(s, 0, &b.o), -MAI_EINVAL);
    free(s);
}

static void test_naive_skips_gaps_and_never_outputs_nan(void **state)
{
    (void)state;
    fc_params p = {.step_s = 60};
    void *s = make(&naive_ops, &p);
    outbuf b;
    out_init(&b);
    assert_int_equal(naive_ops.forecast(s, H, &b.o), 0);     /* nothing seen yet */
    for (int k = 0; k < H; k++)
        assert_true(isfinite(b.mean[k]) && isfinite(b.lo95[k]) && isfinite(b.hi95[k]));
    naive_ops.update(s, 3);
    naive_ops.update(s, NAN);
    naive_ops.update(s, INFINITY);
    naive_ops.forecast(s, H, &b.o);
    assert_float_equal(b.mean[0], 3, 0);
    assert_true(b.hi80[0] > 3);                                  /* wide, not zero */
    free(s);
}

static void test_snaive_repeats_the_season(void **state)
{
    (void)state;
    fc_params p = {.step_s = 300, .season_day = 4};
    void *s = make(&snaive_ops, &p);
    double y[12];
    for (int i = 0; i < 12; i++)
        y[i] = (double)(i % 4) * 10 + (i >= 8 ? 1 : 0);    /* last season 1 higher */
    assert_int_equal(snaive_ops.fit(s, y, 12, NULL), 0);
    outbuf b;
    out_init(&b);
    snaive_ops.forecast(s, H, &b.o);
    for (int k = 0; k < H; k++)
        assert_float_equal(b.mean[k], (double)((12 + k) % 4) * 10 + 1, 0);
    /* the interval widens once per season: steps 1-4 alike, 5-8 wider */
    assert_float_equal(b.hi80[0] - b.mean[0], b.hi80[3] - b.mean[3], 1e-5);
    assert_true(b.hi80[4] - b.mean[4] > b.hi80[3] - b.mean[3]);
    free(s);
}

static void test_snaive_falls_back_to_naive_before_a_full_season(void **state)
{
    (void)state;
    fc_params p = {.step_s = 300, .season_day = 288};
    void *s = make(&snaive_ops, &p);
    for (int i = 0; i < 100; i++)
        snaive_ops.update(s, (double)i);
    outbuf b;
    out_init(&b);
    snaive_ops.forecast(s, H, &b.o);
    for (int k = 0; k < H; k++)
        assert_float_equal(b.mean[k], 99, 0);
    free(s);
}

static void test_naive_save_load_round_trips_and_refuses_garbage(void **state)
{
    (void)state;
    fc_params p = {.step_s = 300, .season_day = 6};
    void *s = make(&snaive_ops, &p);
    for (int i = 0; i < 20; i++)
        snaive_ops.update(s, sin(i));
    uint8_t buf[512];
    size_t n = snaive_ops.save(s, buf, sizeof buf);
    assert_true(n <= sizeof buf);
    void *t = make(&snaive_ops, &p);
    assert_int_equal(snaive_ops.load(t, &p, buf, n), 0);
    outbuf a, b;
    out_init(&a);
    out_init(&b);
    snaive_ops.forecast(s, H, &a.o);
    snaive_ops.forecast(t, H, &b.o);
    assert_memory_equal(a.mean, b.mean, sizeof a.mean);
    assert_memory_equal(a.hi95, b.hi95, sizeof a.hi95);
    assert_int_equal(snaive_ops.load(t, &p, buf, n - 1), -MAI_EPROTO);
    buf[0] = 'X';
    assert_int_equal(snaive_ops.load(t, &p, buf, n), -MAI_EPROTO);
    fc_params other = {.step_s = 300, .season_day = 7};
    buf[0] = 'N';
    assert_int_equal(snaive_ops.load(t, &other, buf, n), -MAI_EPROTO);
    free(s);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_naive_forecasts_last_value_with_growing_interval),
        cmocka_unit_test(test_naive_skips_gaps_and_never_outputs_nan),
        cmocka_unit_test(test_snaive_repeats_the_season),
        cmocka_unit_test(test_snaive_falls_back_to_naive_before_a_full_season),
        cmocka_unit_test(test_naive_save_load_round_trips_and_refuses_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
