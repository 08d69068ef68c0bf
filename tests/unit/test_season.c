/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_season.c -- seasonal period detection by autocorrelation: a noisy daily sine
 * is found among {24, 168}; white noise and pure linear trends are not seasonal; NaN gaps are
 * tolerated; two full periods are needed; the ACF of a sine is +1 at its period and -1 at half. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "models/season.h"

#define PI 3.14159265358979323846
#define N_MAX 2000

static const uint32_t CAND[2] = {24, 168};

/* Deterministic noise: xorshift64*, uniform in [-0.5, 0.5). */
static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
    rng_state = s ? s : 0x9e3779b97f4a7c15ull;
}

static double rng_u(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0 - 0.5;
}

/* A standard normal value (Box-Muller). */
static double rng_n(void)
{
    double u1 = rng_u() + 0.5, u2 = rng_u() + 0.5;
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2 * log(u1)) * cos(2 * PI * u2);
}

static void daily_sine(double *y, size_t n, double noise_sd, uint64_t seed)
{
    rng_seed(seed);
    for (size_t i = 0; i < n; i++)
        y[i] = 50 + 10 * sin(2 * PI * (double)i / 24) + noise_sd * rng_n();
}

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g +- %g", got, want, tol);
}

static void test_daily_sine_with_noise_is_24(void **state)
{
    (void)state;
    double y[N_MAX];
    /* 10 days hourly, noise sd 3 against amplitude 10, several seeds */
    for (uint64_t seed = 1; seed <= 20; seed++) {
        daily_sine(y, 240, 3.0, seed);
        assert_int_equal(season_detect(y, 240, CAND, 2, SEASON_MIN_ACF), 24);
    }
    /* the order of the candidates does not matter */
    static const uint32_t rev[2] = {168, 24};
    daily_sine(y, 240, 3.0, 7);
    assert_int_equal(season_detect(y, 240, rev, 2, SEASON_MIN_ACF), 24);
}

static void test_daily_sine_on_a_trend_is_24(void **state)
{
    (void)state;
    double y[N_MAX];
    daily_sine(y, 240, 2.0, 3);
    for (size_t i = 0; i < 240; i++)
        y[i] += 5.0 * (double)i;    /* the trend dwarfs the season: detrending must find it */
    assert_int_equal(season_detect(y, 240, CAND, 2, SEASON_MIN_ACF), 24);
}

/* Detections among seeds 1..trials of Gaussian white noise of length n. */
static unsigned noise_detections(size_t n, const uint32_t *cand, size_t ncand, unsigned trials)
{
    static double y[N_MAX];
    unsigned hits = 0;
    for (unsigned t = 1; t <= trials; t++) {
        rng_seed(t * 7919ull);
        for (size_t i = 0; i < n; i++)
            y[i] = 100 + 5 * rng_n();
        uint32_t got = season_detect(y, n, cand, ncand, SEASON_MIN_ACF);
        if (got != 0 && got != cand[0] && (ncand < 2 || got != cand[1]))
            fail_msg("detected %u, not a candidate", got);
        hits += got != 0;
    }
    return hits;
}

static void test_white_noise_is_not_seasonal(void **state)
{
    (void)state;
    /* Long histories: the 0.1 floor dominates the noise band. The default coarse ring holds
     * 840 hourly points (35 days), where about 0.5% of noise series pass; at 2000, none. */
    assert_int_equal(noise_detections(2000, CAND, 2, 100), 0);
    unsigned h840 = noise_detections(840, CAND, 2, 400);
    if (h840 > 8)
        fail_msg("white noise seasonal too often: %u/400 at n=840", h840);
    /* Shorter ones are judged against the +-2/sqrt(pairs) noise band, about 2% false positives
     * per candidate; exactly two periods (48 points, 24 pairs) must not do worse. */
    static const uint32_t day[1] = {24};
    unsigned h240 = noise_detections(240, CAND, 2, 1000);
    unsigned h48 = noise_detections(48, day, 1, 2000);
    if (h240 > 40 || h48 > 80)
        fail_msg("white noise seasonal too often: %u/1000 at n=240, %u/2000 at n=48", h240, h48);
    /* one fixed series of 10 days */
    double y[N_MAX];
    rng_seed(42);
    for (size_t i = 0; i < 240; i++)
        y[i] = 100 + 5 * rng_n();
    assert_int_equal(season_detect(y, 240, CAND, 2, SEASON_MIN_ACF), 0);
}

static void test_linear_trend_is_not_seasonal(void **state)
{
    (void)state;
    double y[N_MAX];
    static const double base[] = {0, 5, 100, 1e6, -3e4, 1e9};
    static const double slope[] = {0.1, 0.001, 7.3, 1234.567, -0.25, 0.37};
    for (size_t c = 0; c < sizeof base / sizeof base[0]; c++) {
        for (int as_float = 0; as_float < 2; as_float++) {
            /* as_float: the cycle reads its history from float rings */
            for (size_t i = 0; i < 240; i++) {
                y[i] = base[c] + slope[c] * (double)i;
                if (as_float)
                    y[i] = (float)y[i];
            }
            uint32_t got = season_detect(y, 240, CAND, 2, SEASON_MIN_ACF);
            if (got != 0)
                fail_msg("%g + %g * i (float %d): detected as period %u (acf24 %g)", base[c],
                         slope[c], as_float, got, season_acf(y, 240, 24));
        }
    }
    /* a constant is not seasonal either */
    for (size_t i = 0; i < 240; i++)
        y[i] = 0.1;
    assert_int_equal(season_detect(y, 240, CAND, 2, SEASON_MIN_ACF), 0);
    assert_near(season_acf(y, 240, 24), 0, 0);
}

static void test_nan_gaps_are_tolerated(void **state)
{
    (void)state;
    double y[N_MAX];
    daily_sine(y, 240, 2.0, 11);
    for (size_t i = 0; i < 240; i++)
        if (i % 7 == 3 || (i >= 100 && i < 115))   /* scattered gaps and a 15-hour hole */
            y[i] = NAN;
    assert_int_equal(season_detect(y, 240, CAND, 2, SEASON_MIN_ACF), 24);
    double r = season_acf(y, 240, 24);
    assert_true(isfinite(r));
    assert_true(r > 0.5);
    /* a series that is mostly gaps gives a finite answer, never NaN */
    for (size_t i = 0; i < 240; i++)
        if (i % 10 != 0)
            y[i] = NAN;
    assert_true(isfinite(season_acf(y, 240, 24)));
    for (size_t i = 0; i < 240; i++)
        y[i] = NAN;
    assert_near(season_acf(y, 240, 24), 0, 0);
    assert_int_equal(season_detect(y, 240, CAND, 2, SEASON_MIN_ACF), 0);
}

static void test_fewer_than_two_periods_is_zero(void **state)
{
    (void)state;
    double y[N_MAX];
    for (size_t i = 0; i < N_MAX; i++)
        y[i] = sin(2 * PI * (double)i / 24);
    assert_int_equal(season_detect(y, 47, CAND, 2, SEASON_MIN_ACF), 0);
    assert_int_equal(season_detect(y, 48, CAND, 2, SEASON_MIN_ACF), 24);  /* exactly two */
    assert_int_equal(season_detect(y, 0, CAND, 2, SEASON_MIN_ACF), 0);
    assert_int_equal(season_detect(y, 240, CAND, 0, SEASON_MIN_ACF), 0);  /* no candidates */
    /* 168 alone needs 336 points */
    static const uint32_t week[1] = {168};
    for (size_t i = 0; i < N_MAX; i++)
        y[i] = sin(2 * PI * (double)i / 168);
    assert_int_equal(season_detect(y, 335, week, 1, SEASON_MIN_ACF), 0);
    assert_int_equal(season_detect(y, 336, week, 1, SEASON_MIN_ACF), 168);
    /* lags the ACF cannot measure */
    assert_near(season_acf(y, 24, 24), 0, 0);
    assert_near(season_acf(y, 24, 0), 0, 0);
}

static void test_acf_of_pure_sine(void **state)
{
    (void)state;
    double y[N_MAX];
    for (size_t i = 0; i < 240; i++)
        y[i] = 3 + sin(2 * PI * (double)i / 24);
    assert_near(season_acf(y, 240, 24), 1.0, 0.01);
    assert_near(season_acf(y, 240, 12), -1.0, 0.01);
    assert_near(season_acf(y, 240, 6), 0.0, 0.02);   /* a quarter period: orthogonal */
    /* and the threshold is respected: a high min_acf rejects even a clean season */
    assert_int_equal(season_detect(y, 240, CAND, 2, 1.5), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daily_sine_with_noise_is_24),
        cmocka_unit_test(test_daily_sine_on_a_trend_is_24),
        cmocka_unit_test(test_white_noise_is_not_seasonal),
        cmocka_unit_test(test_linear_trend_is_not_seasonal),
        cmocka_unit_test(test_nan_gaps_are_tolerated),
        cmocka_unit_test(test_fewer_than_two_periods_is_zero),
        cmocka_unit_test(test_acf_of_pure_sine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
