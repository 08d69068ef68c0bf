/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_arima.c -- the ARIMA forecaster: constant and trend series, recovery of simulated
 * AR(1)/MA(1) coefficients, gaps, kept-order refits, save/load, interval coverage and known
 * answers from R's arima(method = "CSS") (tests/unit/known/arima_reference.R). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/arima.h"
#include "models/base.h"

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

static double rng_uniform(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return ((double)(r->s >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(rng *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ARMA(1,1) around mu with unit innovations, after a burn-in of 200 points. */
static void sim_arma11(double *y, size_t n, double phi, double theta, double mu, uint64_t seed)
{
    rng r = {seed};
    double prev = 0, eprev = 0;
    for (size_t i = 0; i < n + 200; i++) {
        double e = rng_normal(&r);
        double v = phi * prev + e + theta * eprev;
        prev = v;
        eprev = e;
        if (i >= 200)
            y[i - 200] = mu + v;
    }
}

typedef struct fx {
    fc_params prm;
    void *state;
    void *scratch;
    size_t scratch_n;
    double *mean, *lo80, *hi80, *lo95, *hi95;
    fc_output out;
} fx;

static void fx_open(fx *f, uint32_t season, size_t max_points, size_t h)
{
    f->prm = (fc_params){300.0, season, 0, 0};
    f->state = malloc(arima_ops.state_size(&f->prm));
    f->scratch_n = arima_ops.fit_scratch_size(&f->prm, max_points);
    f->scratch = malloc(f->scratch_n);
    f->mean = calloc(h, sizeof(double));
    f->lo80 = calloc(h, sizeof(double));
    f->hi80 = calloc(h, sizeof(double));
    f->lo95 = calloc(h, sizeof(double));
    f->hi95 = calloc(h, sizeof(double));
    assert_non_null(f->state);
    assert_non_null(f->scratch);
    f->out = (fc_output){f->mean, f->lo80, f->hi80, f->lo95, f->hi95};
    arima_ops.init(f->state, &f->prm);
}

static void fx_close(fx *f)
{
    free(f->state);
    free(f->scratch);
    free(f->mean);
    free(f->lo80);
    free(f->hi80);
    free(f->lo95);
    free(f->hi95);
}

static void assert_path_finite(const fx *f, size_t h)
{
    for (size_t k = 0; k < h; k++) {
        assert_true(isfinite(f->mean[k]));
        assert_true(isfinite(f->lo80[k]) && isfinite(f->hi80[k]));
        assert_true(isfinite(f->lo95[k]) && isfinite(f->hi95[k]));
        assert_true(f->lo95[k] <= f->lo80[k] && f->lo80[k] <= f->mean[k]);
        assert_true(f->mean[k] <= f->hi80[k] && f->hi80[k] <= f->hi95[k]);
    }
}

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.10g, want %.10g (tolerance %.3g)", got, want, tol);
}

/* ---- behaviour ---------------------------------------------------------------------------- */

static void test_arima_constant_series_forecasts_the_constant(void **unused)
{
    (void)unused;
    fx f;
    double y[300];
    for (size_t i = 0; i < 300; i++)
        y[i] = 42.5;
    fx_open(&f, 0, 300, 20);
    assert_int_equal(arima_ops.fit(f.state, y, 300, f.scratch), 0);
    assert_int_equal(arima_ops.forecast(f.state, 20, &f.out), 0);
    assert_path_finite(&f, 20);
    for (size_t k = 0; k < 20; k++) {
        assert_close(f.mean[k], 42.5, 1e-9);
        assert_close(f.hi95[k] - f.lo95[k], 0.0, 1e-6);
    }
    arima_info in;
    arima_get_info(f.state, &in);
    assert_int_equal(in.fitted, 1);
    assert_int_equal(in.d, 0);
    fx_close(&f);
}

static void test_arima_linear_trend_recovered_within_one_percent_at_h10(void **unused)
{
    (void)unused;
    enum { N = 400 };
    fx f;
    double y[N];
    rng r = {7};
    for (size_t i = 0; i < N; i++)
        y[i] = 100.0 + 0.5 * (double)i + 0.2 * rng_normal(&r);
    fx_open(&f, 0, N, 10);
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    arima_info in;
    arima_get_info(f.state, &in);
    assert_true((in.d == 1 && in.constant) || in.d == 2);
    if (in.d == 1)
        assert_close(in.c, 0.5, 0.02);
    assert_int_equal(arima_ops.forecast(f.state, 10, &f.out), 0);
    assert_path_finite(&f, 10);
    double truth = 100.0 + 0.5 * (double)(N - 1 + 10);
    assert_close(f.mean[9], truth, 0.01 * truth);

    /* An exact line is reproduced exactly. */
    for (size_t i = 0; i < N; i++)
        y[i] = -3.0 + 0.25 * (double)i;
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    assert_int_equal(arima_ops.forecast(f.state, 10, &f.out), 0);
    assert_close(f.mean[9], -3.0 + 0.25 * (double)(N - 1 + 10), 1e-9);
    fx_close(&f);
}

static void test_arima_quadratic_trend_takes_d2_but_a_drift_shift_does_not(void **unused)
{
    (void)unused;
    enum { N = 400 };
    static double y[N];
    rng r = {17};
    for (size_t i = 0; i < N; i++)
        y[i] = 20.0 + 0.01 * (double)i * (double)i + 0.2 * rng_normal(&r);
    fx f;
    fx_open(&f, 0, N, 10);
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    arima_info in;
    arima_get_info(f.state, &in);
    assert_int_equal(in.d, 2);
    assert_int_equal(arima_ops.forecast(f.state, 10, &f.out), 0);
    double t = (double)(N - 1 + 10), truth = 20.0 + 0.01 * t * t;
    assert_close(f.mean[9], truth, 0.01 * truth);
    /* A random walk whose drift steps from 0 to 0.5 half-way: KPSS rejects the first difference
     * (its mean shifts), but a second difference only doubles the noise variance: d stays 1. */
    double v = 100.0;
    for (size_t i = 0; i < N; i++) {
        v += (i < N / 2 ? 0.0 : 0.5) + rng_normal(&r);
        y[i] = v;
    }
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    arima_get_info(f.state, &in);
    assert_int_equal(in.d, 1);
    fx_close(&f);
}

static void test_arima_ar1_phi_recovered_and_p_at_least_one(void **unused)
{
    (void)unused;
    enum { N = 2000 };
    static double y[N];
    sim_arma11(y, N, 0.7, 0.0, 5.0, 12345);
    fx f;
    fx_open(&f, 0, N, 5);
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    arima_info in;
    arima_get_info(f.state, &in);
    assert_int_equal(in.d, 0);
    assert_true(in.p >= 1);
    assert_int_equal(in.constant, 1);
    assert_close(in.c, 5.0, 0.3);
    /* psi_1 = phi_1 + theta_1 is 0.7 for the AR(1), whatever ARMA form was picked. */
    assert_close(in.phi[0] + in.theta[0], 0.7, 0.05);
    if (in.p == 1 && in.q == 0)
        assert_close(in.phi[0], 0.7, 0.05);
    /* The AR(1) itself recovers phi. */
    arima_info o = {.p = 1, .d = 0, .q = 0, .constant = 1};
    assert_int_equal(arima_fit_order(f.state, y, N, f.scratch, &o), 0);
    arima_get_info(f.state, &in);
    assert_close(in.phi[0], 0.7, 0.05);
    assert_close(in.sigma2, 1.0, 0.1);
    fx_close(&f);
}

static void test_arima_ma1_fitted_reasonably(void **unused)
{
    (void)unused;
    enum { N = 2000 };
    static double y[N];
    sim_arma11(y, N, 0.0, 0.5, -2.0, 777);
    fx f;
    fx_open(&f, 0, N, 5);
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    arima_info in;
    arima_get_info(f.state, &in);
    assert_int_equal(in.d, 0);
    assert_true(in.p + in.q >= 1);
    assert_close(in.phi[0] + in.theta[0], 0.5, 0.07);
    assert_close(in.sigma2, 1.0, 0.1);
    arima_info o = {.p = 0, .d = 0, .q = 1, .constant = 1};
    assert_int_equal(arima_fit_order(f.state, y, N, f.scratch, &o), 0);
    arima_get_info(f.state, &in);
    assert_close(in.theta[0], 0.5, 0.05);
    assert_close(in.c, -2.0, 0.15);
    /* Two steps ahead an MA(1) forecasts its mean. */
    assert_int_equal(arima_ops.forecast(f.state, 5, &f.out), 0);
    assert_close(f.mean[1], in.c, 1e-12);
    fx_close(&f);
}

static void test_arima_gaps_and_all_nan_never_produce_nan(void **unused)
{
    (void)unused;
    enum { N = 600, H = 300 };
    static double y[N];
    sim_arma11(y, N, 0.5, 0.2, 20.0, 99);
    for (size_t i = 0; i < 10; i++)
        y[i] = NAN;                             /* leading gap */
    for (size_t i = 100; i < 160; i++)
        y[i] = NAN;                             /* interior gap */
    y[300] = INFINITY;
    y[301] = -INFINITY;
    for (size_t i = N - 5; i < N; i++)
        y[i] = NAN;                             /* trailing gap */
    fx f;
    fx_open(&f, 24, N, H);
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    assert_int_equal(arima_ops.forecast(f.state, H, &f.out), 0);
    assert_path_finite(&f, H);
    /* Trailing gaps leave the state after y[N-1]: as fitting without them and feeding 5 gaps. */
    fx g;
    fx_open(&g, 24, N, H);
    assert_int_equal(arima_ops.fit(g.state, y, N - 5, g.scratch), 0);
    for (size_t i = 0; i < 5; i++)
        arima_ops.update(g.state, NAN);
    assert_int_equal(arima_ops.forecast(g.state, H, &g.out), 0);
    for (size_t k = 0; k < H; k++)
        assert_int_equal(mai_double_bits(f.mean[k]), mai_double_bits(g.mean[k]));
    fx_close(&g);
    for (size_t i = 0; i < 50; i++)
        arima_ops.update(f.state, NAN);
    arima_ops.update(f.state, 21.0);
    assert_int_equal(arima_ops.forecast(f.state, H, &f.out), 0);
    assert_path_finite(&f, H);

    /* All NaN: fallback, still a finite answer. */
    for (size_t i = 0; i < N; i++)
        y[i] = NAN;
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), -MAI_EINVAL);
    assert_int_equal(arima_ops.forecast(f.state, H, &f.out), 0);
    assert_path_finite(&f, H);
    /* A fresh state, and one fed only gaps. */
    arima_ops.init(f.state, &f.prm);
    assert_int_equal(arima_ops.forecast(f.state, H, &f.out), 0);
    assert_path_finite(&f, H);
    arima_ops.update(f.state, NAN);
    assert_int_equal(arima_ops.forecast(f.state, H, &f.out), 0);
    assert_path_finite(&f, H);
    assert_int_equal(arima_ops.forecast(f.state, 0, &f.out), -MAI_EINVAL);
    fx_close(&f);
}

static void test_arima_extreme_values_never_produce_nan_or_inf(void **unused)
{
    (void)unused;
    enum { N = 300, H = 50 };
    static double y[N];
    rng r = {5};
    for (size_t i = 0; i < N; i++)
        y[i] = (rng_uniform(&r) < 0.5 ? -1.0 : 1.0) * 1e300 * rng_uniform(&r);
    fx f;
    fx_open(&f, 24, N, H);
    arima_ops.fit(f.state, y, N, f.scratch);
    assert_int_equal(arima_ops.forecast(f.state, H, &f.out), 0);
    assert_path_finite(&f, H);
    arima_ops.update(f.state, 1.7e308);
    arima_ops.update(f.state, -1.7e308);
    arima_ops.update(f.state, NAN);
    assert_int_equal(arima_ops.forecast(f.state, H, &f.out), 0);
    assert_path_finite(&f, H);
    fx_close(&f);
}

static void test_arima_short_history_falls_back_to_last_value_with_wide_interval(void **unused)
{
    (void)unused;
    double y[5] = {10, 12, 11, 13, 12};
    fx f;
    fx_open(&f, 0, 5, 4);
    assert_int_equal(arima_ops.fit(f.state, y, 5, f.scratch), -MAI_EINVAL);
    assert_int_equal(arima_ops.forecast(f.state, 4, &f.out), 0);
    assert_path_finite(&f, 4);
    for (size_t k = 0; k < 4; k++)
        assert_close(f.mean[k], 12.0, 0);
    /* mean |change| is 1.5: wider than a random walk with that scale (80% half-width > 1.9). */
    assert_true(f.hi80[0] - f.mean[0] > 2.0 * 1.9);
    assert_true(f.hi80[3] - f.lo80[3] > f.hi80[0] - f.lo80[0]);
    /* update() continues the fallback. */
    arima_ops.update(f.state, 14.0);
    assert_int_equal(arima_ops.forecast(f.state, 4, &f.out), 0);
    assert_close(f.mean[0], 14.0, 0);
    fx_close(&f);
}

static void test_arima_daily_season_with_trend_is_differenced_and_followed(void **unused)
{
    (void)unused;
    enum { S = 24, N = 24 * 14 };
    static double y[N];
    rng r = {4242};
    for (size_t i = 0; i < N; i++)
        y[i] = 50.0 + 0.1 * (double)i + 10.0 * sin(6.283185307179586 * (double)(i % S) / S) +
               (i % S == 5 ? 8.0 : 0.0) + 0.5 * rng_normal(&r);
    fx f;
    fx_open(&f, S, N, 2 * S);
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    arima_info in;
    arima_get_info(f.state, &in);
    assert_int_equal(in.D, 1);
    assert_int_equal(in.season, S);
    assert_int_equal(in.d, 0);
    assert_int_equal(in.constant, 1);                   /* seasonal drift: 24 x 0.1 per day */
    assert_close(in.c, 2.4, 0.3);
    assert_int_equal(arima_ops.forecast(f.state, 2 * S, &f.out), 0);
    assert_path_finite(&f, 2 * S);
    for (size_t k = 0; k < 2 * S; k++) {
        size_t i = N + k;
        double truth = 50.0 + 0.1 * (double)i +
                       10.0 * sin(6.283185307179586 * (double)(i % S) / S) +
                       (i % S == 5 ? 8.0 : 0.0);
        assert_close(f.mean[k], truth, 2.0);
    }
    /* Without a season the same data gets no seasonal difference. */
    fx g;
    fx_open(&g, 0, N, 1);
    assert_int_equal(arima_ops.fit(g.state, y, N, g.scratch), 0);
    arima_get_info(g.state, &in);
    assert_int_equal(in.D, 0);
    fx_close(&g);
    fx_close(&f);
}

static void test_arima_keep_order_refit_keeps_the_order(void **unused)
{
    (void)unused;
    enum { N = 1500 };
    static double a[N], b[N];
    sim_arma11(a, N, 0.8, 0.4, 0.0, 31);
    rng r = {55};
    for (size_t i = 0; i < N; i++)
        b[i] = 3.0 + rng_normal(&r);            /* white noise: a search picks (0,0,0) */
    fx f;
    fx_open(&f, 0, N, 3);
    assert_int_equal(arima_ops.fit(f.state, a, N, f.scratch), 0);
    arima_info first, in;
    arima_get_info(f.state, &first);
    assert_true(first.p + first.q >= 2);
    assert_int_equal(first.order_kept, 1);

    assert_int_equal(arima_fit_keep_order(f.state, b, N, f.scratch), 0);
    arima_get_info(f.state, &in);
    assert_int_equal(in.p, first.p);
    assert_int_equal(in.d, first.d);
    assert_int_equal(in.q, first.q);
    assert_int_equal(in.constant, first.constant);
    assert_int_equal(in.candidates, 1);
    assert_true(fabs(in.phi[0] - first.phi[0]) > 0.1);   /* coefficients were refitted */

    /* Through the generic interface with the flag set. */
    arima_set_keep_order(f.state, 1);
    assert_int_equal(arima_ops.fit(f.state, b, N, f.scratch), 0);
    arima_get_info(f.state, &in);
    assert_int_equal(in.p, first.p);
    assert_int_equal(in.q, first.q);
    arima_set_keep_order(f.state, 0);
    /* Without it the search picks a different (smaller) order on white noise. */
    assert_int_equal(arima_ops.fit(f.state, b, N, f.scratch), 0);
    arima_get_info(f.state, &in);
    assert_true(in.p + in.q < first.p + first.q);
    assert_true(in.candidates > 1 && in.candidates <= ARIMA_MAX_CANDIDATES);

    /* A fresh state has no order to keep: the refit searches. */
    arima_ops.init(f.state, &f.prm);
    assert_int_equal(arima_fit_keep_order(f.state, a, N, f.scratch), 0);
    arima_get_info(f.state, &in);
    assert_true(in.candidates > 1);
    fx_close(&f);
}

/* One-step forecast of an ARIMA(1,1,1) from hand-computed CSS residuals on z = diff(y):
 * e_t = z_t - phi z_{t-1} - theta e_{t-1}. */
static double hand_next(const double *y, size_t n, double phi, double theta)
{
    double e = 0;
    for (size_t t = 2; t < n; t++) {            /* z index t-1 >= p = 1 */
        double z = y[t] - y[t - 1], zp = y[t - 1] - y[t - 2];
        e = z - phi * zp - theta * e;
    }
    return y[n - 1] + phi * (y[n - 1] - y[n - 2]) + theta * e;
}

static void test_arima_update_advances_differencing_and_residuals(void **unused)
{
    (void)unused;
    enum { N = 500 };
    static double y[N + 3];
    sim_arma11(y, N + 3, 0.6, 0.3, 0.0, 2024);
    for (size_t i = 1; i < N + 3; i++)
        y[i] += y[i - 1];                       /* integrate: ARIMA(1,1,1) */
    fx f;
    fx_open(&f, 0, N, 4);
    arima_info o = {.p = 1, .d = 1, .q = 1};
    assert_int_equal(arima_fit_order(f.state, y, N, f.scratch, &o), 0);
    arima_info in;
    arima_get_info(f.state, &in);
    assert_close(in.phi[0], 0.6, 0.1);
    assert_close(in.theta[0], 0.3, 0.1);
    assert_int_equal(arima_ops.forecast(f.state, 4, &f.out), 0);
    assert_close(f.mean[0], hand_next(y, N, in.phi[0], in.theta[0]), 1e-9);
    /* psi-weights: psi_1 = 1 + phi + theta for the integrated model. */
    double psi1 = 1 + in.phi[0] + in.theta[0];
    assert_close(f.hi80[1] - f.mean[1], 1.2815515655446004 * sqrt(in.sigma2 * (1 + psi1 * psi1)),
                 1e-9);
    for (size_t k = 0; k < 3; k++) {
        arima_ops.update(f.state, y[N + k]);
        assert_int_equal(arima_ops.forecast(f.state, 4, &f.out), 0);
        assert_close(f.mean[0], hand_next(y, N + k + 1, in.phi[0], in.theta[0]), 1e-9);
    }
    /* A gap feeds the one-step forecast: the next forecast continues with residual 0. */
    double before = f.mean[1];
    arima_ops.update(f.state, NAN);
    assert_int_equal(arima_ops.forecast(f.state, 4, &f.out), 0);
    assert_close(f.mean[0], before, 1e-9);
    fx_close(&f);
}

/* ---- known answers (R 4.2.2 arima(method = "CSS"), tests/unit/known/arima_reference.R) ---- */

static const double KA_Y1[150] = {
    51.3059, 51.4242, 48.7928, 46.6271, 45.8809, 44.9625, 44.2574, 42.9914, 42.1791, 41.7214,
    41.5756, 40.4173, 39.8689, 41.0489, 41.6298, 41.3896, 41.2327, 41.9054, 42.6901, 42.1978,
    40.967, 40.8738, 42.5747, 43.4293, 45.2873, 46.8858, 48.7001, 48.4335, 48.5413, 48.9866,
    50.0098, 50.4735, 51.824, 53.992, 55.3561, 57.2337, 59.5403, 59.7947, 59.2674, 57.4672,
    55.2298, 53.1105, 51.6534, 50.4935, 49.8395, 49.7935, 49.7539, 48.7219, 48.9709, 47.5868,
    45.4788, 43.969, 44.107, 43.5673, 43.1779, 41.9722, 39.5027, 37.8406, 35.417, 32.0001,
    29.6936, 28.1286, 27.7766, 28.8031, 27.1833, 25.5927, 25.7976, 25.0172, 25.5872, 26.1749,
    26.874, 27.897, 29.7506, 32.4117, 34.8296, 35.5464, 35.0367, 34.4722, 33.8053, 31.9378,
    28.7861, 27.3987, 25.8749, 26.7972, 27.5306, 29.1473, 31.2944, 31.2429, 32.0919, 32.354,
    31.2889, 29.7964, 27.5802, 25.9924, 25.457, 24.3386, 23.2795, 22.725, 20.6829, 20.5066,
    20.4878, 20.5281, 20.7356, 20.9983, 20.9311, 21.729, 23.3559, 23.4268, 24.0871, 25.5869,
    25.5611, 24.3202, 23.9, 25.2264, 28.429, 30.265, 31.7927, 32.6932, 33.9502, 34.6839,
    34.1552, 34.5575, 34.8366, 34.8977, 33.5859, 33.4769, 32.5155, 29.5302, 27.2327, 26.6984,
    26.1283, 26.7678, 27.822, 28.5203, 27.8151, 27.9268, 26.8152, 25.9274, 24.6505, 23.2116,
    23.4221, 25.1337, 28.4872, 29.3088, 27.8232, 28.0031, 30.5643, 31.6529, 33.3083, 34.5568,};
static const double KA_Y2[150] = {
    11.2071, 11.6936, 11.9512, 11.3333, 10.8138, 9.8269, 8.9739, 8.8749, 9.4663, 9.9687,
    10.9112, 11.5271, 10.1558, 8.3337, 9.7364, 10.0059, 10.0499, 10.0901, 9.6331, 9.8073,
    8.9344, 9.1432, 10.2724, 11.4555, 13.0022, 12.8381, 10.6505, 8.8867, 10.7573, 10.4976,
    9.7733, 8.9965, 8.8191, 8.9773, 7.217, 7.81, 9.4598, 10.7678, 10.5407, 8.7763, 9.4537,
    10.7602, 12.3658, 13.214, 11.3733, 9.919, 10.9557, 10.4127, 9.4429, 8.5287, 7.1948,
    5.9194, 6.3744, 8.5754, 9.731, 11.635, 9.864, 8.3449, 7.4732, 8.0181, 9.2432, 11.7291,
    11.4419, 9.7892, 9.2384, 8.9198, 9.3688, 8.8297, 9.9917, 10.4076, 11.6366, 10.8035,
    7.8989, 6.7009, 8.7108, 10.667, 10.6575, 10.2527, 10.2226, 8.3016, 8.385, 10.8009, 9.1513,
    7.7333, 9.1508, 11.6474, 9.7625, 9.6483, 10.0778, 10.623, 10.8752, 11.483, 11.5954,
    12.6238, 12.1664, 10.6035, 9.2253, 7.3063, 5.7762, 7.6508, 8.9196, 9.4301, 8.3177, 8.3815,
    8.6488, 8.6997, 9.8874, 10.4386, 9.1749, 9.3907, 11.1912, 10.9841, 9.1278, 9.2274, 9.7901,
    9.851, 9.9474, 10.3468, 12.4577, 12.0647, 12.1966, 11.3282, 9.7285, 10.1041, 10.9962,
    11.0599, 11.0804, 9.2663, 7.5158, 9.0293, 8.6786, 8.3482, 9.0032, 10.1684, 9.5795, 8.0556,
    7.8428, 11.1453, 11.6195, 11.3011, 8.5718, 7.7805, 7.2578, 8.559, 10.9061, 12.8137,
    13.1401, 12.6805, 11.5423, 9.7289,};
/* ARIMA(1,1,1), no constant: ar1 ma1 */
static const double KA_F1_COEF[2] = {
    0.5520061118, 0.2220659535,};
static const double KA_F1_SIGMA2[1] = {
    0.9918420695,};
static const double KA_F1_MEAN[10] = {
    35.25949157, 35.64738162, 35.86149929, 35.97969355, 36.04493751, 36.08095257, 36.10083311,
    36.11180729, 36.1178651, 36.12120905,};
static const double KA_F1_SE[10] = {
    0.9959126817, 2.02817604, 2.986631994, 3.848586069, 4.620557715, 5.315887125, 5.947859448,
    6.527807134, 7.064871813, 7.566275073,};
/* ARIMA(2,0,1) with mean: ar1 ar2 ma1 intercept */
static const double KA_F2_COEF[4] = {
    0.8101407262, -0.3583948297, 0.2421083366, 9.834532188,};
static const double KA_F2_SIGMA2[1] = {
    0.9479313074,};
static const double KA_F2_MEAN[10] = {
    9.003218478, 9.198909125, 9.617526594, 9.886531138, 9.954432338, 9.913032028, 9.855156511,
    9.823106856, 9.81788441, 9.825139925,};
static const double KA_F2_SE[10] = {
    0.9736176392, 1.413332048, 1.492952471, 1.493122595, 1.501057969, 1.506934659,
    1.507847803, 1.507856576, 1.508031546, 1.508124751,};
/* ARIMA(0,1,1) with drift: ma1 drift */
static const double KA_F3_COEF[2] = {
    0.6312613137, -0.09981876145,};
static const double KA_F3_SIGMA2[1] = {
    1.112567434,};
static const double KA_F3_MEAN[10] = {
    34.57289291, 34.47307415, 34.37325539, 34.27343663, 34.17361786, 34.0737991, 33.97398034,
    33.87416158, 33.77434282, 33.67452406,};
static const double KA_F3_SE[10] = {
    1.054783122, 2.018198297, 2.65210884, 3.161366513, 3.599277033, 3.98940498, 4.344641415,
    4.672950456, 4.979660921, 5.268546272,};
/* R version 4.2.2 Patched (2022-11-10 r83330) */

static void check_known(const double *y, size_t n, const arima_info *o, const double *phi,
                        const double *theta, double c, double sigma2, const double *mean,
                        const double *se)
{
    fx f;
    fx_open(&f, 0, n, 10);
    assert_int_equal(arima_fit_order(f.state, y, n, f.scratch, o), 0);
    arima_info in;
    arima_get_info(f.state, &in);
    /* Tolerances: both sides minimise the same CSS objective (R by BFGS at reltol 1e-12, here
     * by Nelder-Mead); observed differences are below 1e-5 in the coefficients and 1e-5 of a
     * standard error in the forecasts. Coefficients 1e-4, sigma2 1e-5 relative, forecast means
     * 1e-4 of R's standard error, standard errors 1e-5 relative. */
    for (int i = 0; i < o->p; i++)
        assert_close(in.phi[i], phi[i], 1e-4);
    for (int j = 0; j < o->q; j++)
        assert_close(in.theta[j], theta[j], 1e-4);
    if (o->constant)
        assert_close(in.c, c, 1e-4 * (fabs(c) + 1));
    assert_close(in.sigma2, sigma2, 1e-5 * sigma2);
    assert_int_equal(arima_ops.forecast(f.state, 10, &f.out), 0);
    for (size_t k = 0; k < 10; k++) {
        assert_close(f.mean[k], mean[k], 1e-4 * se[k]);
        double my_se = (f.hi95[k] - f.lo95[k]) / (2 * 1.959963984540054);
        assert_close(my_se, se[k], 1e-5 * se[k]);
    }
    fx_close(&f);
}

static void test_arima_known_answer_arima111_matches_r_css(void **unused)
{
    (void)unused;
    arima_info o = {.p = 1, .d = 1, .q = 1};
    check_known(KA_Y1, 150, &o, &KA_F1_COEF[0], &KA_F1_COEF[1], 0, KA_F1_SIGMA2[0], KA_F1_MEAN,
                KA_F1_SE);
}

static void test_arima_known_answer_arima201_mean_matches_r_css(void **unused)
{
    (void)unused;
    arima_info o = {.p = 2, .d = 0, .q = 1, .constant = 1};
    check_known(KA_Y2, 150, &o, &KA_F2_COEF[0], &KA_F2_COEF[2], KA_F2_COEF[3], KA_F2_SIGMA2[0],
                KA_F2_MEAN, KA_F2_SE);
}

static void test_arima_known_answer_arima011_drift_matches_r_css(void **unused)
{
    (void)unused;
    arima_info o = {.p = 0, .d = 1, .q = 1, .constant = 1};
    check_known(KA_Y1, 150, &o, NULL, &KA_F3_COEF[0], KA_F3_COEF[1], KA_F3_SIGMA2[0], KA_F3_MEAN,
                KA_F3_SE);
}

static void test_arima_invalid_fixed_order_is_einval(void **unused)
{
    (void)unused;
    fx f;
    fx_open(&f, 0, 150, 1);
    arima_info o = {.p = 4, .d = 0, .q = 0};
    assert_int_equal(arima_fit_order(f.state, KA_Y2, 150, f.scratch, &o), -MAI_EINVAL);
    o = (arima_info){.p = 1, .d = 2, .q = 0, .constant = 1};
    assert_int_equal(arima_fit_order(f.state, KA_Y2, 150, f.scratch, &o), -MAI_EINVAL);
    o = (arima_info){.p = 1, .d = 0, .q = 0, .D = 1};   /* no season configured */
    assert_int_equal(arima_fit_order(f.state, KA_Y2, 150, f.scratch, &o), -MAI_EINVAL);
    fx_close(&f);
}

static void test_arima_save_load_forecast_bit_identical(void **unused)
{
    (void)unused;
    enum { S = 24, N = 24 * 10, H = 60 };
    static double y[N];
    rng r = {8};
    for (size_t i = 0; i < N; i++)
        y[i] = 5.0 * sin(6.283185307179586 * (double)(i % S) / S) + 0.3 * rng_normal(&r) +
               0.01 * (double)i;
    fx f, g;
    fx_open(&f, S, N, H);
    fx_open(&g, S, N, H);
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    arima_ops.update(f.state, 1.0);
    arima_ops.update(f.state, NAN);
    size_t need = arima_ops.save(f.state, NULL, 0);
    assert_int_equal(need, ARIMA_SAVE_FIXED + 8 * S);
    uint8_t *buf = malloc(need);
    assert_int_equal(arima_ops.save(f.state, buf, need - 1), need);   /* too small: size only */
    assert_int_equal(arima_ops.save(f.state, buf, need), need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, buf, need), 0);
    assert_int_equal(arima_ops.forecast(f.state, H, &f.out), 0);
    assert_int_equal(arima_ops.forecast(g.state, H, &g.out), 0);
    for (size_t k = 0; k < H; k++) {
        assert_int_equal(mai_double_bits(f.mean[k]), mai_double_bits(g.mean[k]));
        assert_int_equal(mai_double_bits(f.lo80[k]), mai_double_bits(g.lo80[k]));
        assert_int_equal(mai_double_bits(f.hi95[k]), mai_double_bits(g.hi95[k]));
    }
    /* And they stay identical after further updates. */
    arima_ops.update(f.state, 2.5);
    arima_ops.update(g.state, 2.5);
    arima_ops.forecast(f.state, H, &f.out);
    arima_ops.forecast(g.state, H, &g.out);
    for (size_t k = 0; k < H; k++)
        assert_int_equal(mai_double_bits(f.mean[k]), mai_double_bits(g.mean[k]));
    /* A second save of the loaded state gives the same bytes. */
    uint8_t *buf2 = malloc(need);
    arima_ops.update(f.state, 3.0);
    arima_ops.save(f.state, buf, need);
    arima_ops.update(g.state, 3.0);
    arima_ops.save(g.state, buf2, need);
    assert_memory_equal(buf, buf2, need);
    free(buf);
    free(buf2);
    fx_close(&f);
    fx_close(&g);
}

static uint32_t test_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ ((c & 1u) ? 0xEDB88320u : 0u);
    }
    return c ^ 0xFFFFFFFFu;
}

static void reseal(uint8_t *buf, size_t n)
{
    uint32_t c = test_crc32(buf, n - 4);
    for (int i = 0; i < 4; i++)
        buf[n - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
}

static void test_arima_truncated_or_garbled_load_is_eproto(void **unused)
{
    (void)unused;
    enum { S = 12, N = 200 };
    static double y[N];
    sim_arma11(y, N, 0.5, 0.0, 0.0, 3);
    fx f, g;
    fx_open(&f, S, N, 4);
    fx_open(&g, S, N, 4);
    arima_info o = {.p = 1, .d = 0, .q = 0, .constant = 1};
    assert_int_equal(arima_fit_order(f.state, y, N, f.scratch, &o), 0);
    size_t need = arima_ops.save(f.state, NULL, 0);
    uint8_t *buf = malloc(need + 8), *bad = malloc(need + 8);
    arima_ops.save(f.state, buf, need);
    memset(buf + need, 0, 8);
    for (size_t n = 0; n < need; n++)
        assert_int_equal(arima_ops.load(g.state, &g.prm, buf, n), -MAI_EPROTO);
    assert_int_equal(arima_ops.load(g.state, &g.prm, buf, need + 8), -MAI_EPROTO);
    assert_int_equal(arima_ops.load(g.state, &g.prm, NULL, need), -MAI_EPROTO);
    for (size_t i = 0; i < need; i++) {                 /* any flipped byte */
        memcpy(bad, buf, need);
        bad[i] ^= 0x5A;
        assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    }
    fc_params other = f.prm;
    other.season_day = S + 1;                           /* sized for another season */
    void *st2 = malloc(arima_ops.state_size(&other));
    uint8_t *b2 = calloc(1, need + 8);
    memcpy(b2, buf, need);
    assert_int_equal(arima_ops.load(st2, &other, b2, need + 8), -MAI_EPROTO);
    free(st2);
    free(b2);
    /* Well-sealed but out of range: p = 7, version 2, NaN coefficient, explosive AR. */
    memcpy(bad, buf, need);
    bad[5] = 7;
    reseal(bad, need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    memcpy(bad, buf, need);
    bad[4] = 2;
    reseal(bad, need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    memcpy(bad, buf, need);
    bad[48 + 7] = 0x7F;
    bad[48 + 6] = 0xF8;                                 /* phi[0] = NaN */
    reseal(bad, need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    memcpy(bad, buf, need);
    bad[5] = 1;
    double two = 2.0;
    uint64_t bits;
    memcpy(&bits, &two, sizeof bits);
    for (int i = 0; i < 8; i++)
        bad[48 + i] = (uint8_t)(bits >> (8 * i));       /* phi[0] = 2: not stationary */
    reseal(bad, need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    /* An MA(3) a fit ended with, on the invertibility boundary by rounding: it loads. */
    memcpy(bad, buf, need);
    bad[7] = 3;
    const double ma3[3] = {-0.99999977492898551, -0.99999999999915201, 0.99999977492967584};
    for (int j = 0; j < 3; j++) {
        memcpy(&bits, &ma3[j], sizeof bits);
        for (int i = 0; i < 8; i++)
            bad[48 + 8 * (3 + j) + i] = (uint8_t)(bits >> (8 * i));
    }
    reseal(bad, need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), 0);
    bad[48 + 8 * 3 + 7] = 0x40;                         /* theta[0] = 2 and more: refused */
    reseal(bad, need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    memcpy(bad, buf, need);
    bad[48 + 8 * 17 + 7] = 0x7F;
    bad[48 + 8 * 17 + 6] = 0xF8;                        /* last value = NaN */
    reseal(bad, need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    memcpy(bad, buf, need);
    bad[48 + 8 * 7 + 7] ^= 0x80;                        /* sigma2 < 0 */
    reseal(bad, need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    memcpy(bad, buf, need);
    bad[32 + 7] = 0x01;                                 /* more differenced values than points */
    reseal(bad, need);
    assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    /* Random bytes. */
    rng r = {1};
    for (int t = 0; t < 200; t++) {
        for (size_t i = 0; i < need; i++)
            bad[i] = (uint8_t)(rng_uniform(&r) * 256.0);
        assert_int_equal(arima_ops.load(g.state, &g.prm, bad, need), -MAI_EPROTO);
    }
    /* The original still loads. */
    assert_int_equal(arima_ops.load(g.state, &g.prm, buf, need), 0);
    free(buf);
    free(bad);
    fx_close(&f);
    fx_close(&g);
}

static void test_arima_80pct_interval_covers_70_to_90pct_of_ar1(void **unused)
{
    (void)unused;
    enum { N = 600, T = 1500, H = 6 };
    static double y[N + T + H];
    sim_arma11(y, N + T + H, 0.7, 0.0, 10.0, 2718);
    fx f;
    fx_open(&f, 0, N, H);
    assert_int_equal(arima_ops.fit(f.state, y, N, f.scratch), 0);
    size_t in1 = 0, in6 = 0, in95 = 0;
    for (size_t t = N; t < N + T; t++) {
        assert_int_equal(arima_ops.forecast(f.state, H, &f.out), 0);
        in1 += y[t] >= f.lo80[0] && y[t] <= f.hi80[0];
        in6 += y[t + H - 1] >= f.lo80[H - 1] && y[t + H - 1] <= f.hi80[H - 1];
        in95 += y[t] >= f.lo95[0] && y[t] <= f.hi95[0];
        arima_ops.update(f.state, y[t]);
    }
    double c1 = (double)in1 / T, c6 = (double)in6 / T, c95 = (double)in95 / T;
    assert_true(c1 >= 0.70 && c1 <= 0.90);
    assert_true(c6 >= 0.70 && c6 <= 0.90);
    assert_true(c95 >= 0.90 && c95 <= 0.99);
    fx_close(&f);
}

static void test_arima_state_size_is_bounded(void **unused)
{
    (void)unused;
    fc_params p = {300.0, 288, 2016, 2016};
    assert_true(arima_ops.state_size(&p) <= 8u * 288u + 512u);
    assert_int_equal(arima_ops.state_size(&p), arima_ops.state_size(&(fc_params){300.0, 0, 0, 0}) +
                                                   8u * 288u);
    /* max_history caps the scratch and the points looked at. */
    assert_int_equal(arima_ops.fit_scratch_size(&p, 100000), arima_ops.fit_scratch_size(&p, 2016));
    assert_string_equal(arima_ops.name, "arima");
}

static void test_arima_max_history_uses_the_newest_points(void **unused)
{
    (void)unused;
    enum { N = 1000 };
    static double y[N];
    for (size_t i = 0; i < N; i++)
        y[i] = i < 500 ? 1000.0 + 50.0 * sin((double)i) : 7.0;   /* old junk, new constant */
    fc_params p = {300.0, 0, 0, 400};
    void *st = malloc(arima_ops.state_size(&p));
    void *sc = malloc(arima_ops.fit_scratch_size(&p, N));
    double m[3], l8[3], h8[3], l9[3], h9[3];
    fc_output out = {m, l8, h8, l9, h9};
    arima_ops.init(st, &p);
    assert_int_equal(arima_ops.fit(st, y, N, sc), 0);
    assert_int_equal(arima_ops.forecast(st, 3, &out), 0);
    assert_close(m[2], 7.0, 1e-9);
    free(st);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arima_constant_series_forecasts_the_constant),
        cmocka_unit_test(test_arima_linear_trend_recovered_within_one_percent_at_h10),
        cmocka_unit_test(test_arima_quadratic_trend_takes_d2_but_a_drift_shift_does_not),
        cmocka_unit_test(test_arima_ar1_phi_recovered_and_p_at_least_one),
        cmocka_unit_test(test_arima_ma1_fitted_reasonably),
        cmocka_unit_test(test_arima_gaps_and_all_nan_never_produce_nan),
        cmocka_unit_test(test_arima_extreme_values_never_produce_nan_or_inf),
        cmocka_unit_test(test_arima_short_history_falls_back_to_last_value_with_wide_interval),
        cmocka_unit_test(test_arima_daily_season_with_trend_is_differenced_and_followed),
        cmocka_unit_test(test_arima_keep_order_refit_keeps_the_order),
        cmocka_unit_test(test_arima_update_advances_differencing_and_residuals),
        cmocka_unit_test(test_arima_known_answer_arima111_matches_r_css),
        cmocka_unit_test(test_arima_known_answer_arima201_mean_matches_r_css),
        cmocka_unit_test(test_arima_known_answer_arima011_drift_matches_r_css),
        cmocka_unit_test(test_arima_invalid_fixed_order_is_einval),
        cmocka_unit_test(test_arima_save_load_forecast_bit_identical),
        cmocka_unit_test(test_arima_truncated_or_garbled_load_is_eproto),
        cmocka_unit_test(test_arima_80pct_interval_covers_70_to_90pct_of_ar1),
        cmocka_unit_test(test_arima_state_size_is_bounded),
        cmocka_unit_test(test_arima_max_history_uses_the_newest_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
