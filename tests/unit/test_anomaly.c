/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_anomaly.c -- the streaming anomaly score: spike in a noisy sine, direction,
 * min-change, persistence, hold, no look-ahead, gaps and stale markers, range. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "models/anomaly.h"
#include "models/base.h"

#define N 2000

/* Deterministic noise in [-0.5, 0.5). */
static double noise(uint32_t *x)
{
    *x = *x * 1664525u + 1013904223u;
    return (double)(*x >> 8) / 16777216.0 - 0.5;
}

static void sine(double *y, size_t n)
{
    uint32_t x = 7;
    for (size_t i = 0; i < n; i++)
        y[i] = 10.0 + 3.0 * sin(2 * M_PI * (double)i / 96.0) + 0.3 * noise(&x);
}

static void run(const an_config *c, const double *y, size_t n, double *s)
{
    an_state st;
    assert_int_equal(an_init(&st, c), 0);
    for (size_t i = 0; i < n; i++)
        s[i] = an_update(&st, y[i]);
}

static double max_range(const double *s, size_t a, size_t b)
{
    double m = 0;
    for (size_t i = a; i < b; i++)
        m = s[i] > m ? s[i] : m;
    return m;
}

static void test_spike_in_noisy_sine(void **state)
{
    (void)state;
    static double y[N], s[N];
    sine(y, N);
    y[1500] += 8;
    an_config c;
    an_config_default(&c);
    run(&c, y, N, s);
    assert_true(s[1500] > 0.99);
    assert_true(max_range(s, 600, 1500) < 0.9);      /* after warm-up, before the spike */
    assert_true(max_range(s, 1520, N) < 0.9);
    for (size_t i = 0; i < N; i++)
        assert_true(s[i] >= 0 && s[i] <= 1);
}

static void test_hold_decays(void **state)
{
    (void)state;
    static double y[N], s[N];
    sine(y, N);
    y[1500] += 8;
    an_config c;
    an_config_default(&c);
    c.hold_half_life = 10;
    run(&c, y, N, s);
    assert_true(s[1500] > 0.99);
    assert_true(fabs(s[1510] - 0.5 * s[1500]) < 0.05);  /* one half-life later */
    assert_true(s[1501] < s[1500] && s[1501] > 0.9);
    c.hold_half_life = 0;                               /* off: the score drops at once */
    run(&c, y, N, s);
    assert_true(s[1500] > 0.99 && s[1501] < 0.9);
    c.hold_half_life = -1;
    an_state st;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
}

static void test_direction_up_ignores_drop(void **state)
{
    (void)state;
    static double y[N], s[N];
    sine(y, N);
    y[1500] -= 8;
    an_config c;
    an_config_default(&c);
    run(&c, y, N, s);
    assert_true(s[1500] > 0.99);        /* both: the drop is seen */
    c.direction = AN_UP;
    run(&c, y, N, s);
    assert_true(s[1500] < 0.5);
    c.direction = AN_DOWN;
    run(&c, y, N, s);
    assert_true(s[1500] > 0.99);
}

static void test_min_change_on_flat(void **state)
{
    (void)state;
    static double y[N], s[N];
    for (size_t i = 0; i < N; i++)
        y[i] = 50.0;
    y[1000] = 50.5;                     /* small blip */
    y[1500] = 60.0;                     /* large spike */
    an_config c;
    an_config_default(&c);
    run(&c, y, N, s);
    assert_true(s[1000] > 0.99);        /* on a flat line any change is a record */
    c.min_change = 2.0;
    run(&c, y, N, s);
    assert_true(max_range(s, 0, 1500) == 0);
    assert_true(s[1500] > 0.99);
}

static void test_persistence(void **state)
{
    (void)state;
    static double y[N], s[N];
    sine(y, N);
    y[1200] += 8;                       /* a one-point blip */
    for (size_t i = 1500; i < 1510; i++)
        y[i] += 12;                     /* a larger shift lasting 10 points */
    an_config c;
    an_config_default(&c);
    c.persistence = 3;
    run(&c, y, N, s);
    /* the blip is suppressed: its neighbours are not anomalous */
    assert_true(max_range(s, 1195, 1210) < 0.5);
    /* the shift is reported once it held 3 points, not before */
    assert_true(s[1500] < 0.5 && s[1501] < 0.5);
    assert_true(s[1502] > 0.9);
    c.persistence = 0;
    an_state st;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
    c.persistence = AN_MAX_PERSIST + 1;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
}

static void test_no_lookahead(void **state)
{
    (void)state;
    static double y[N], s1[N], s2[N];
    sine(y, N);
    an_config c;
    an_config_default(&c);
    c.persistence = 4;
    run(&c, y, N, s1);
    for (size_t i = 1000; i < N; i++)
        y[i] = (i % 2) ? 1e6 : -1e6;
    run(&c, y, N, s2);
    assert_memory_equal(s1, s2, 1000 * sizeof *s1);
}

static void test_gaps_and_stale(void **state)
{
    (void)state;
    static double y[N], s[N];
    sine(y, N);
    for (size_t i = 300; i < 400; i++)
        y[i] = NAN;
    uint64_t bits = MAI_STALE_NAN_BITS;
    memcpy(&y[800], &bits, sizeof bits);
    y[900] = INFINITY;
    y[0] = NAN;
    an_config c;
    an_config_default(&c);
    c.persistence = 2;
    run(&c, y, N, s);
    for (size_t i = 0; i < N; i++)
        assert_true(!isnan(s[i]) && s[i] >= 0 && s[i] <= 1);
    assert_true(s[350] == 0 && s[800] == 0);
    /* all missing: all zero */
    an_state st;
    assert_int_equal(an_init(&st, &c), 0);
    for (int i = 0; i < 10; i++)
        assert_true(an_update(&st, NAN) == 0);
}

static void test_range_random_walk(void **state)
{
    (void)state;
    static double y[N], s[N];
    uint32_t x = 3;
    double v = 0;
    for (size_t i = 0; i < N; i++) {
        v += noise(&x) * (i % 97 == 0 ? 1e9 : 1.0);
        y[i] = v;
    }
    an_config c;
    an_config_default(&c);
    run(&c, y, N, s);
    for (size_t i = 0; i < N; i++)
        assert_true(s[i] >= 0 && s[i] <= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spike_in_noisy_sine),
        cmocka_unit_test(test_hold_decays),
        cmocka_unit_test(test_direction_up_ignores_drop),
        cmocka_unit_test(test_min_change_on_flat),
        cmocka_unit_test(test_persistence),
        cmocka_unit_test(test_no_lookahead),
        cmocka_unit_test(test_gaps_and_stale),
        cmocka_unit_test(test_range_random_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
