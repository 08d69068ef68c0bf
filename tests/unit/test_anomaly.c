/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_anomaly.c -- the streaming anomaly score: spike in a noisy sine, direction,
 * min-change, persistence, hold, no look-ahead (with and without profiles), gaps and stale
 * markers, daily seasonality, level shifts, a large step learnt at once, a profile picked again
 * only after it beats the plain level in the new regime, bursts and their
 * returns, growing episodes, the grid-step rescaling, bad configurations, range and cost per
 * point. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "models/anomaly.h"
#include "models/base.h"

#define N 2000
#define DAY 288             /* points per day on a 300 s grid */
#define ND (12 * DAY)       /* twelve days */

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
        y[i] = 10.0 + 3.0 * sin(2 * M_PI / 96.0 * (double)i) + 0.3 * noise(&x);
}

/* A day with a peak of a few hours at the same time each day, on noise: the shape a plain level
 * follows only late, so without a profile every peak is a large residual. */
static double daily_value(size_t i, uint32_t *x)
{
    double ph = (double)(i % DAY) / DAY;
    double peak = exp(-0.5 * pow((ph - 0.6) / 0.05, 2));
    return 100.0 + 60.0 * peak + 2.0 * noise(x);
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
    assert_true(s[1500] > 0.9);
    assert_true(max_range(s, 600, 1500) < 0.5);     /* after warm-up, before the spike */
    assert_true(max_range(s, 1700, N) < 0.5);       /* after the hold has decayed */
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
    assert_true(s[1500] > 0.9);
    assert_true(fabs(s[1510] - 0.5 * s[1500]) < 0.05);  /* one half-life later */
    assert_true(s[1501] < s[1500] && s[1501] > 0.85);
    c.hold_half_life = 0;                               /* off: the score drops at once */
    run(&c, y, N, s);
    assert_true(s[1500] > 0.9 && s[1501] < 0.5);
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
    assert_true(s[1500] > 0.9);         /* both: the drop is seen */
    c.direction = AN_UP;
    run(&c, y, N, s);
    assert_true(s[1500] < 0.5);
    c.direction = AN_DOWN;
    run(&c, y, N, s);
    assert_true(s[1500] > 0.9);
    c.direction = (an_direction)7;
    an_state st;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
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
    c.min_change = NAN;
    an_state st;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
}

static void test_persistence(void **state)
{
    (void)state;
    static double y[N], s[N];
    sine(y, N);
    y[1200] += 8;                       /* a one-point blip */
    for (size_t i = 1500; i < 1510; i++)
        y[i] += 16;                     /* a shift twice as large, lasting 10 points */
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

/* Changing every point from some index on must not change any score before it. */
static void check_no_lookahead(const an_config *c, const double *y0, size_t n, size_t cut)
{
    static double y[ND], s1[ND], s2[ND];
    assert_true(n <= ND);
    memcpy(y, y0, n * sizeof *y);
    run(c, y, n, s1);
    for (size_t i = cut; i < n; i++)
        y[i] = (i % 2) ? 1e6 : -1e6;
    run(c, y, n, s2);
    assert_memory_equal(s1, s2, cut * sizeof *s1);
    assert_true(max_range(s2, cut, n) > 0.9);   /* the change itself is seen */
}

static void test_no_lookahead(void **state)
{
    (void)state;
    static double y[ND];
    uint32_t x = 11;
    for (size_t i = 0; i < ND; i++)
        y[i] = daily_value(i, &x);
    an_config c;
    an_config_default(&c);
    c.persistence = 4;
    check_no_lookahead(&c, y, N, 1000);
    an_config_for_step(&c, 300);        /* with the daily and weekly profiles */
    assert_int_equal(c.day_points, DAY);
    check_no_lookahead(&c, y, ND, 9 * DAY + 17);
    c.persistence = 1;
    check_no_lookahead(&c, y, ND, 10 * DAY + 100);
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
    assert_true(s[350] == 0 && s[800] == 0 && s[900] == 0);
    /* all missing: all zero */
    an_state st;
    assert_int_equal(an_init(&st, &c), 0);
    for (int i = 0; i < 10; i++)
        assert_true(an_update(&st, NAN) == 0);
}

/* Missing points advance the profiles' clock: after a half-day gap the daily peak is still
 * expected at its time of day and does not score. */
static void test_gap_keeps_profile_aligned(void **state)
{
    (void)state;
    static double y[ND], s[ND];
    uint32_t x = 5;
    for (size_t i = 0; i < ND; i++)
        y[i] = daily_value(i, &x);
    for (size_t i = 8 * DAY; i < 8 * DAY + DAY / 2; i++)
        y[i] = NAN;
    an_config c;
    an_config_default(&c);
    an_config_for_step(&c, 300);
    run(&c, y, ND, s);
    assert_true(max_range(s, 9 * DAY, ND) < 0.5);
}

/* A daily peak is learnt by the daily profile and stops scoring; the same series without the
 * profile (no clock) keeps scoring every peak. A missing peak is an anomaly. */
static void test_daily_seasonality(void **state)
{
    (void)state;
    static double y[ND], s[ND], s0[ND];
    uint32_t x = 9;
    for (size_t i = 0; i < ND; i++)
        y[i] = daily_value(i, &x);
    an_config c;
    an_config_default(&c);
    an_config_for_step(&c, 300);
    run(&c, y, ND, s);
    assert_true(max_range(s, 4 * DAY, ND) < 0.4);   /* peaks from day 5 on are expected */
    an_config p = c;
    p.day_points = 0;
    run(&p, y, ND, s0);
    double plain_peaks = max_range(s0, 4 * DAY, ND);
    assert_true(plain_peaks > max_range(s, 4 * DAY, ND) + 0.1);
    /* day 10: the peak does not come */
    size_t d = 10 * DAY;
    for (size_t i = d; i < d + DAY; i++)
        y[i] = 100.0 + 2.0 * noise(&x);
    run(&c, y, ND, s);
    assert_true(max_range(s, d, d + DAY) > 0.9);
    assert_true(max_range(s, 4 * DAY, d) < 0.4);
}

/* A level shift scores at its start and is then accepted as the new normal. */
static void test_level_shift(void **state)
{
    (void)state;
    static double y[4 * N], s[4 * N];
    uint32_t x = 13;
    for (size_t i = 0; i < 4 * N; i++)
        y[i] = 20.0 + (i >= 2 * N ? 5.0 : 0.0) + noise(&x);
    an_config c;
    an_config_default(&c);
    run(&c, y, 4 * N, s);
    assert_true(max_range(s, 2 * N, 2 * N + 5) > 0.9);
    assert_true(max_range(s, 500, 2 * N) < 0.7);
    assert_true(max_range(s, 2 * N + 600, 4 * N) < 0.7);
}

/* A step far beyond the noise (a service restarting on a new level): scored at its onset, then
 * the level jumps to the new regime after shift_points points, so the new level soon scores
 * low. Without the jump, the capped level updates take hundreds of points to get there. */
static void test_large_step_learnt(void **state)
{
    (void)state;
    static double y[4 * N], s[4 * N];
    uint32_t x = 19;
    for (size_t i = 0; i < 4 * N; i++)
        y[i] = 20.0 + (i >= 2 * N ? 40.0 : 0.0) + noise(&x);
    an_config c;
    an_config_default(&c);
    run(&c, y, 4 * N, s);
    assert_true(max_range(s, 2 * N, 2 * N + 5) > 0.9);
    assert_true(max_range(s, 2 * N + 50, 4 * N) < 0.5);
    c.shift_scales = 0;                 /* off: the new level stays a deviation much longer */
    run(&c, y, 4 * N, s);
    assert_true(max_range(s, 2 * N + 50, 2 * N + 51) > 0.9);
    c.shift_scales = 8;
    c.shift_points = 0;
    an_state st;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
    c.shift_points = 20;
    c.shift_scales = -1;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
}

/* A series with a daily peak drops to an idle level with no cycle (a group scaled to zero).
 * Before the drop the daily profile scores it; after it, every predictor jumps to the new level
 * and the profile, whose fit was earned before the drop, has to beat the plain level again in
 * the new regime before it is picked. Without the restart of its fit it would keep scoring the
 * new regime on that old fit for about 100 points. */
static void test_profile_repicked_after_shift(void **state)
{
    (void)state;
    static double y[ND];
    uint32_t x = 23;
    size_t drop = 6 * DAY + DAY / 10;   /* between two peaks (at 0.6 of a day) */
    for (size_t i = 0; i < ND; i++)
        y[i] = i < drop ? daily_value(i, &x) : 1.0 + 0.02 * noise(&x);
    an_config c;
    an_config_default(&c);
    an_config_for_step(&c, 300);
    an_state st;
    assert_int_equal(an_init(&st, &c), 0);
    double drop_score = 0;
    for (size_t i = 0; i < ND; i++) {
        double v = an_update(&st, y[i]);
        if (i == drop - 1)
            assert_int_equal(st.used, 1);           /* the daily profile */
        if (i >= drop && i < drop + 5 && v > drop_score)
            drop_score = v;
        if (i >= drop + 20 && i < drop + DAY)       /* the shift is taken after 20 points */
            assert_int_equal(st.used, 0);
    }
    assert_true(drop_score > 0.9);                  /* the drop itself scores */
}

/* Short bursts on an idle series: after a few of them, an identical burst and the return from
 * it are no longer surprising. A burst twice as high still is. */
static void test_bursts_and_returns(void **state)
{
    (void)state;
    static double y[4 * N], s[4 * N];
    uint32_t x = 17;
    for (size_t i = 0; i < 4 * N; i++) {
        y[i] = 0.1 + 0.01 * noise(&x);
        if (i % 150 >= 140 && i % 150 < 143)
            y[i] = 45.0 + noise(&x);
    }
    y[3 * N + 70] = 95.0;
    an_config c;
    an_config_default(&c);
    run(&c, y, 4 * N, s);
    assert_true(max_range(s, 1500, 3 * N + 60) < 0.6);
    assert_true(s[3 * N + 70] > 0.9);
}

/* An episode that grows for hours is compared with the records from before it: with the
 * record_delay its later, higher bursts stay surprising; without it each burst is compared with
 * the one just before it, which it beats only by a little. */
static void test_growing_episode(void **state)
{
    (void)state;
    static double y[3 * N], s[3 * N];
    uint32_t x = 19;
    for (size_t i = 0; i < 3 * N; i++) {
        double v = 10.0 + noise(&x);
        size_t k = i - 2 * N;
        if (i >= 2 * N && k < 100 && k % 10 < 3)   /* ten 3-point bursts, each 1 higher */
            v += 4.0 + (double)(k / 10);
        y[i] = v;
    }
    an_config c;
    an_config_default(&c);
    c.hold_half_life = 0;
    run(&c, y, 3 * N, s);
    double with_delay = max_range(s, 2 * N + 40, 2 * N + 100);
    assert_true(with_delay > 0.95);
    c.record_delay = 1;
    run(&c, y, 3 * N, s);
    assert_true(max_range(s, 2 * N + 40, 2 * N + 100) < 0.8);
    c.record_delay = 0;
    an_state st;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
}

static void test_config_for_step(void **state)
{
    (void)state;
    an_config d, c;
    an_config_default(&d);
    c = d;
    an_config_for_step(&c, 300);        /* the reference grid: only the clock is set */
    assert_int_equal(c.day_points, 288);
    assert_int_equal(c.spans[2], d.spans[2]);
    assert_true(fabs(c.level_alpha - d.level_alpha) < 1e-12);
    assert_true(fabs(c.hold_half_life - d.hold_half_life) < 1e-9);
    c = d;
    c.persistence = 5;
    c.direction = AN_UP;
    c.min_change = 2;
    an_config_for_step(&c, 60);         /* the service's fine grid: 5x the points */
    assert_int_equal(c.day_points, 1440);
    assert_int_equal(c.spans[0], 1);
    assert_int_equal(c.spans[1], 5 * d.spans[1]);
    assert_int_equal(c.record_delay, 5 * d.record_delay);
    assert_int_equal(c.shift_points, 5 * d.shift_points);
    assert_int_equal(c.warm, 5 * d.warm);
    assert_true(fabs(c.hold_half_life - 5 * d.hold_half_life) < 1e-9);
    assert_true(fabs(pow(1 - c.level_alpha, 5) - (1 - d.level_alpha)) < 1e-12);
    assert_true(c.persistence == 5 && c.direction == AN_UP && c.min_change == 2);
    an_state st;
    assert_int_equal(an_init(&st, &c), 0);
    c = d;
    an_config_for_step(&c, 1800);       /* half-hourly: 48 points a day, fewer per span */
    assert_int_equal(c.day_points, 48);
    assert_int_equal(c.spans[1], 2);
    assert_int_equal(an_init(&st, &c), 0);
    assert_int_equal(an_day_points(3600), 0);   /* fewer points a day than profile knots */
    assert_int_equal(an_day_points(7), 0);      /* a day is not a whole number of steps */
    assert_int_equal(an_day_points(0), 0);
    assert_int_equal(an_day_points(NAN), 0);
    c = d;
    c.pick_ratio = 1.5;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
    c = d;
    c.scale_floor = NAN;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
    c = d;
    c.level_alpha = 0;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
    c = d;
    c.spans[1] = 0;
    assert_int_equal(an_init(&st, &c), -MAI_EINVAL);
}

static void test_range_random_walk(void **state)
{
    (void)state;
    static double y[ND], s[ND];
    uint32_t x = 3;
    double v = 0;
    for (size_t i = 0; i < ND; i++) {
        v += noise(&x) * (i % 97 == 0 ? 1e9 : 1.0);
        y[i] = v;
    }
    an_config c;
    an_config_default(&c);
    an_config_for_step(&c, 300);
    run(&c, y, ND, s);
    for (size_t i = 0; i < ND; i++)
        assert_true(s[i] >= 0 && s[i] <= 1);
}

/* Cost per point with the profiles on (printed; the bound only catches gross regressions and
 * leaves room for the sanitizer build). */
static void test_cost_per_point(void **state)
{
    (void)state;
    static an_state st;
    an_config c;
    an_config_default(&c);
    an_config_for_step(&c, 60);
    assert_int_equal(an_init(&st, &c), 0);
    uint32_t x = 23;
    const size_t n = 1000000;
    double acc = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < n; i++)
        acc += an_update(&st, 50.0 + 10.0 * (double)(i % 1440 > 700) + noise(&x));
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
    printf("anomaly: %.0f ns per point, state %zu bytes\n", ns, sizeof(an_state));
    assert_true(acc >= 0);
    assert_true(ns < 5000);
    assert_true(sizeof(an_state) < 8192);
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
        cmocka_unit_test(test_gap_keeps_profile_aligned),
        cmocka_unit_test(test_daily_seasonality),
        cmocka_unit_test(test_level_shift),
        cmocka_unit_test(test_large_step_learnt),
        cmocka_unit_test(test_profile_repicked_after_shift),
        cmocka_unit_test(test_bursts_and_returns),
        cmocka_unit_test(test_growing_episode),
        cmocka_unit_test(test_config_for_step),
        cmocka_unit_test(test_range_random_walk),
        cmocka_unit_test(test_cost_per_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
