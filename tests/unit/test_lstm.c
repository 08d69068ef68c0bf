/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_lstm.c -- the LSTM member (models/lstm.c): determinism per seed, constants,
 * a learned sine, gaps and all-NaN input, the BPTT gradient against finite differences, the
 * fine-tune refit, save/load round trips and rejection of damaged images. Sizes are kept small
 * (short windows, few epochs) so the file runs in about a second under ASan+UBSan. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/base.h"
#include "models/lstm.h"

/* cmocka's assert_float_equal compares floats; this compares doubles and says what failed */
#define assert_close(a, b, tol)                                                              \
    do {                                                                                     \
        double a_ = (a), b_ = (b), t_ = (tol);                                               \
        if (!(fabs(a_ - b_) <= t_))                                                          \
            fail_msg("%s = %.17g, %s = %.17g, tolerance %.3g", #a, a_, #b, b_, t_);          \
    } while (0)

/* --- helpers ------------------------------------------------------------------------------- */

typedef struct fcbuf {
    double mean[400], lo80[400], hi80[400], lo95[400], hi95[400];
    fc_output out;
} fcbuf;

static fcbuf *fcbuf_new(void)
{
    fcbuf *b = test_calloc(1, sizeof *b);
    b->out = (fc_output){b->mean, b->lo80, b->hi80, b->lo95, b->hi95};
    return b;
}

static void *lstm_new(const fc_params *p, uint32_t seq_len, uint32_t epochs, uint64_t seed)
{
    void *st = test_malloc(lstm_ops.state_size(p));
    lstm_ops.init(st, p);
    lstm_set_options(st, seq_len, epochs, seed);
    return st;
}

/* fit() / refit() with exactly fit_scratch_size bytes (cmocka's guard bytes catch overruns) */
static int fit_n(void *st, const fc_params *p, const double *y, size_t n, int refit)
{
    void *scratch = test_malloc(lstm_ops.fit_scratch_size(p, n));
    int rc = refit ? lstm_ops.refit(st, y, n, scratch) : lstm_ops.fit(st, y, n, scratch);
    test_free(scratch);
    return rc;
}

static int no_nan(const fcbuf *b, size_t h)
{
    for (size_t k = 0; k < h; k++)
        if (!isfinite(b->mean[k]) || isnan(b->lo80[k]) || isnan(b->hi80[k]) ||
            isnan(b->lo95[k]) || isnan(b->hi95[k]))
            return 0;
    return 1;
}

static int ordered(const fcbuf *b, size_t h)
{
    for (size_t k = 0; k < h; k++)
        if (!(b->lo95[k] <= b->lo80[k] && b->lo80[k] <= b->mean[k] && b->mean[k] <= b->hi80[k] &&
              b->hi80[k] <= b->hi95[k]))
            return 0;
    return 1;
}

/* xorshift64* and Box-Muller: deterministic noise */
static uint64_t rng_state = 88172645463325252ULL;

static double rng_u01(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

static double rng_normal(void)
{
    double u1 = rng_u01(), u2 = rng_u01();
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* y = 100 + amp sin(2 pi t / m) + N(0, sd^2) */
static void make_seasonal(double *y, size_t n, uint32_t m, double amp, double sd)
{
    for (size_t t = 0; t < n; t++)
        y[t] = 100.0 + amp * sin(2.0 * M_PI * (double)t / m) + (sd > 0 ? sd * rng_normal() : 0);
}

/* --- determinism --------------------------------------------------------------------------- */

static void test_lstm_same_seed_is_bit_identical_other_seed_differs(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 168, 2016};
    double y[300];
    make_seasonal(y, 300, 24, 10.0, 1.0);
    y[100] = y[101] = NAN;
    void *a = lstm_new(&p, 16, 3, 7), *b = lstm_new(&p, 16, 3, 7), *c = lstm_new(&p, 16, 3, 8);
    fcbuf *fa = fcbuf_new(), *fb = fcbuf_new(), *fc = fcbuf_new();
    assert_int_equal(fit_n(a, &p, y, 300, 0), 0);
    assert_int_equal(fit_n(b, &p, y, 300, 0), 0);
    assert_int_equal(fit_n(c, &p, y, 300, 0), 0);
    lstm_info ia, ib, ic;
    lstm_get_info(a, &ia);
    lstm_get_info(b, &ib);
    lstm_get_info(c, &ic);
    assert_true(ia.fitted && ic.fitted);
    assert_int_equal(ia.nparams, ic.nparams);
    assert_memory_equal(ia.weights, ib.weights, ia.nparams * sizeof(double));
    assert_memory_not_equal(ia.weights, ic.weights, ia.nparams * sizeof(double));
    assert_int_equal(lstm_ops.forecast(a, 300, &fa->out), 0);
    assert_int_equal(lstm_ops.forecast(b, 300, &fb->out), 0);
    assert_int_equal(lstm_ops.forecast(c, 300, &fc->out), 0);
    assert_memory_equal(fa->mean, fb->mean, 300 * sizeof(double));
    assert_memory_equal(fa->lo80, fb->lo80, 300 * sizeof(double));
    assert_memory_equal(fa->hi95, fb->hi95, 300 * sizeof(double));
    assert_memory_not_equal(fa->mean, fc->mean, 300 * sizeof(double));
    /* the initial weights themselves depend on the seed (epochs 0: no training) */
    lstm_set_options(a, 16, 0, 7);
    lstm_set_options(b, 16, 0, 7);
    lstm_set_options(c, 16, 0, 8);
    assert_int_equal(fit_n(a, &p, y, 300, 0), 0);
    assert_int_equal(fit_n(b, &p, y, 300, 0), 0);
    assert_int_equal(fit_n(c, &p, y, 300, 0), 0);
    assert_memory_equal(ia.weights, ib.weights, ia.nparams * sizeof(double));
    assert_memory_not_equal(ia.weights, ic.weights, ia.nparams * sizeof(double));
    /* and updates keep them together */
    for (int t = 0; t < 30; t++) {
        double v = t == 7 ? NAN : 100.0 + rng_normal();
        lstm_ops.update(a, v);
        lstm_ops.update(b, v);
    }
    assert_int_equal(lstm_ops.forecast(a, 300, &fa->out), 0);
    assert_int_equal(lstm_ops.forecast(b, 300, &fb->out), 0);
    assert_memory_equal(fa->mean, fb->mean, 300 * sizeof(double));
    test_free(fa);
    test_free(fb);
    test_free(fc);
    test_free(a);
    test_free(b);
    test_free(c);
}

/* --- accuracy ------------------------------------------------------------------------------ */

static void test_lstm_constant_series_forecasts_the_constant(void **state)
{
    (void)state;
    const double levels[3] = {42.5, 0.0, -3e6};
    for (int i = 0; i < 3; i++) {
        fc_params p = {300, 0, 0, 2016};
        double y[200];
        for (size_t t = 0; t < 200; t++)
            y[t] = levels[i];
        void *st = lstm_new(&p, 20, 5, 1);
        fcbuf *b = fcbuf_new();
        assert_int_equal(fit_n(st, &p, y, 200, 0), 0);
        assert_int_equal(lstm_ops.forecast(st, 300, &b->out), 0);
        assert_true(no_nan(b, 300));
        assert_true(ordered(b, 300));
        double tol = levels[i] != 0.0 ? 0.01 * fabs(levels[i]) : 0.01;
        for (size_t k = 0; k < 300; k++)
            assert_close(b->mean[k], levels[i], tol);
        test_free(b);
        test_free(st);
    }
}

/* 20 periods of a pure sine (period 24, amplitude 10; no daily-phase input: season_day 0, so the
 * cell has to learn the oscillation from the values). The one-step forecasts of the next 48
 * points, fed the truth after each, are within 10 % of the amplitude on average; the last value
 * would be off by 1.66 on average, so this fails for a net that learned nothing. */
static void test_lstm_learns_a_sine(void **state)
{
    (void)state;
    fc_params p = {300, 0, 0, 2016};
    const size_t n = 480;
    double y[480 + 48];
    for (size_t t = 0; t < n + 48; t++)
        y[t] = 100.0 + 10.0 * sin(2.0 * M_PI * (double)t / 24.0);
    void *st = lstm_new(&p, 24, 10, 1);
    fcbuf *b = fcbuf_new();
    assert_int_equal(fit_n(st, &p, y, n, 0), 0);
    double mae = 0.0, mae_naive = 0.0;
    for (size_t k = 0; k < 48; k++) {
        assert_int_equal(lstm_ops.forecast(st, 1, &b->out), 0);
        mae += fabs(b->mean[0] - y[n + k]);
        mae_naive += fabs(y[n + k - 1] - y[n + k]);
        lstm_ops.update(st, y[n + k]);
    }
    mae /= 48;
    mae_naive /= 48;
    print_message("sine: one-step MAE %.4f (last value %.4f), amplitude 10\n", mae, mae_naive);
    assert_true(mae_naive > 1.0);
    assert_true(mae < 0.1 * 10.0);
    /* the 48-step mean path follows the sine too (coarser) */
    lstm_info in;
    lstm_get_info(st, &in);
    assert_true(in.sd_res < 1.0);
    test_free(b);
    test_free(st);
}

/* --- gaps and degenerate input ------------------------------------------------------------- */

static void test_lstm_gaps_never_produce_nan(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 168, 2016};
    double y[400];
    make_seasonal(y, 400, 24, 10.0, 1.0);
    for (size_t t = 0; t < 30; t++)
        y[t] = NAN;                                     /* leading gap */
    for (size_t t = 150; t < 190; t++)
        y[t] = NAN;                                     /* a long interior gap */
    for (size_t t = 200; t < 400; t += 7)
        y[t] = NAN;                                     /* scattered */
    y[397] = INFINITY;                                  /* not a number either */
    void *st = lstm_new(&p, 16, 2, 1);
    fcbuf *b = fcbuf_new();
    assert_int_equal(fit_n(st, &p, y, 400, 0), 0);
    assert_int_equal(lstm_ops.forecast(st, 300, &b->out), 0);
    assert_true(no_nan(b, 300));
    assert_true(ordered(b, 300));
    double w1 = b->hi80[0] - b->lo80[0];
    for (int t = 0; t < 50; t++)                        /* a gap after the fit */
        lstm_ops.update(st, NAN);
    assert_int_equal(lstm_ops.forecast(st, 300, &b->out), 0);
    assert_true(no_nan(b, 300));
    assert_true(b->hi80[0] - b->lo80[0] > 5.0 * w1);   /* sqrt(51) times wider */
    lstm_info in;
    lstm_get_info(st, &in);
    assert_int_equal(in.gap, 50);
    lstm_ops.update(st, 101.0);
    lstm_get_info(st, &in);
    assert_int_equal(in.gap, 0);
    assert_int_equal(lstm_ops.forecast(st, 300, &b->out), 0);
    assert_true(no_nan(b, 300));
    /* extreme values: still no NaN */
    lstm_ops.update(st, 1e300);
    lstm_ops.update(st, -1e300);
    assert_int_equal(lstm_ops.forecast(st, 300, &b->out), 0);
    assert_true(no_nan(b, 300));
    test_free(b);
    test_free(st);
}

static void test_lstm_all_nan_and_short_history_fall_back(void **state)
{
    (void)state;
    fc_params p = {300, 24, 168, 2016};
    double y[200];
    for (size_t t = 0; t < 200; t++)
        y[t] = NAN;
    void *st = lstm_new(&p, 60, 10, 1);
    fcbuf *b = fcbuf_new();
    assert_int_equal(fit_n(st, &p, y, 200, 0), -MAI_EINVAL);
    assert_int_equal(lstm_ops.forecast(st, 300, &b->out), 0);
    assert_true(no_nan(b, 300));
    assert_int_equal(lstm_ops.refit(st, y, 200, NULL), -MAI_EINVAL);
    assert_int_equal(lstm_ops.fit(st, NULL, 0, NULL), -MAI_EINVAL);
    assert_int_equal(lstm_ops.forecast(st, 300, &b->out), 0);
    assert_true(no_nan(b, 300));
    for (int t = 0; t < 10; t++)
        lstm_ops.update(st, NAN);
    assert_int_equal(lstm_ops.forecast(st, 10, &b->out), 0);
    assert_true(no_nan(b, 10));

    /* seq_len + 19 observed points: last value, wide interval */
    for (size_t t = 0; t < 79; t++)
        y[t] = 50.0 + (double)(t % 5);
    assert_int_equal(fit_n(st, &p, y, 79, 0), -MAI_EINVAL);
    lstm_info in;
    lstm_get_info(st, &in);
    assert_false(in.fitted);
    assert_int_equal(lstm_ops.forecast(st, 50, &b->out), 0);
    for (size_t k = 0; k < 50; k++) {
        assert_close(b->mean[k], y[78], 0.0);
        assert_true(b->hi95[k] - b->lo95[k] >= 2 * 1.95 * 5.0);   /* >= 0.1 |last| each side */
    }
    assert_true(b->hi80[49] - b->lo80[49] > 7.0 * (b->hi80[0] - b->lo80[0]));
    /* one more observed point and it trains */
    y[79] = 52.0;
    assert_int_equal(fit_n(st, &p, y, 80, 0), 0);
    lstm_get_info(st, &in);
    assert_true(in.fitted);
    assert_int_equal(lstm_ops.forecast(st, 0, &b->out), -MAI_EINVAL);
    test_free(b);
    test_free(st);
}

/* --- the gradient ---------------------------------------------------------------------------- */

/* BPTT on a 3-cell network with 2 inputs and 3 heads over 6 steps and 2 windows, from non-zero
 * states, with some missing targets, against central differences of the same loss (double). */
static void test_lstm_bptt_gradient_matches_finite_differences(void **state)
{
    (void)state;
    rng_state = 1234567ULL;
    enum { H = 3, D = 2, J = 3, L = 6, B = 2 };
    size_t np = lstm_param_count(H, D, J);
    assert_int_equal(np, (size_t)(D + H + 1) * 4 * H + (size_t)J * (H + 1));
    double *w = test_malloc(np * sizeof(double)), *g = test_malloc(np * sizeof(double));
    double h0[B * H], c0[B * H], x[L * B * D], tgt[L * B * J];
    for (size_t i = 0; i < np; i++)
        w[i] = 0.6 * rng_normal();
    for (int i = 0; i < B * H; i++) {
        h0[i] = 0.8 * (2 * rng_u01() - 1);
        c0[i] = 2.0 * rng_normal();
    }
    for (int i = 0; i < L * B * D; i++)
        x[i] = rng_normal();
    for (int i = 0; i < L * B * J; i++)
        tgt[i] = i % 7 == 3 ? NAN : rng_normal();
    void *scratch = test_malloc(lstm_loss_grad_scratch(H, D, J, L, B));
    double f0 = lstm_loss_grad(H, D, J, L, B, w, h0, c0, x, tgt, g, scratch);
    assert_true(isfinite(f0) && f0 > 0);
    double worst = 0.0, num2 = 0.0, diff2 = 0.0;
    for (size_t i = 0; i < np; i++) {
        const double eps = 1e-5, wi = w[i];
        w[i] = wi + eps;
        double fp = lstm_loss_grad(H, D, J, L, B, w, h0, c0, x, tgt, NULL, scratch);
        w[i] = wi - eps;
        double fm = lstm_loss_grad(H, D, J, L, B, w, h0, c0, x, tgt, NULL, scratch);
        w[i] = wi;
        double num = (fp - fm) / (2 * eps);
        double den = fabs(num) + fabs(g[i]);
        if (den > 1e-7) {
            double rel = fabs(num - g[i]) / den;
            worst = rel > worst ? rel : worst;
        } else {
            assert_true(fabs(num - g[i]) < 1e-9);
        }
        num2 += num * num;
        diff2 += (num - g[i]) * (num - g[i]);
    }
    print_message("gradient check: %zu parameters, worst relative error %.2e, overall %.2e\n",
                  np, worst, sqrt(diff2 / num2));
    assert_true(worst < 1e-4);
    assert_true(sqrt(diff2 / num2) < 1e-6);
    /* an all-missing target set has loss 0 and gradient 0 */
    for (int i = 0; i < L * B * J; i++)
        tgt[i] = NAN;
    assert_close(lstm_loss_grad(H, D, J, L, B, w, h0, c0, x, tgt, g, scratch), 0.0, 0.0);
    for (size_t i = 0; i < np; i++)
        assert_close(g[i], 0.0, 0.0);
    assert_true(isnan(lstm_loss_grad(LSTM_HIDDEN + 1, D, J, L, B, w, h0, c0, x, tgt, g,
                                     scratch)));
    test_free(scratch);
    test_free(w);
    test_free(g);
}

/* --- refit --------------------------------------------------------------------------------- */

static void test_lstm_refit_fine_tunes_from_current_weights(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 168, 2016};
    double y[400];
    make_seasonal(y, 400, 24, 10.0, 0.5);
    void *st = lstm_new(&p, 16, 3, 1);
    fcbuf *b = fcbuf_new();
    assert_int_equal(fit_n(st, &p, y, 300, 0), 0);
    lstm_info in;
    lstm_get_info(st, &in);
    double *w0 = test_malloc(in.nparams * sizeof(double));
    memcpy(w0, in.weights, in.nparams * sizeof(double));
    for (size_t t = 300; t < 400; t++) {
        y[t] += 5.0;                                    /* the level moves */
        lstm_ops.update(st, y[t]);
    }
    assert_int_equal(fit_n(st, &p, y, 400, 1), 0);
    lstm_info in2;
    lstm_get_info(st, &in2);
    assert_true(in2.fitted);
    assert_int_equal(in2.nparams, in.nparams);
    assert_memory_not_equal(w0, in2.weights, in.nparams * sizeof(double));
    assert_close(in2.loc, in.loc, 0.0);                 /* same normalisation */
    assert_close(in2.scale, in.scale, 0.0);
    /* small steps from the old weights, not a new initialisation */
    double dmax = 0.0;
    for (uint32_t i = 0; i < in.nparams; i++)
        dmax = fmax(dmax, fabs(in2.weights[i] - w0[i]));
    assert_true(dmax < 0.2);
    assert_int_equal(lstm_ops.forecast(st, 300, &b->out), 0);
    assert_true(no_nan(b, 300));
    assert_true(ordered(b, 300));
    assert_close(b->mean[0], y[399] + 10.0 * sin(2.0 * M_PI * 400 / 24) -
                             10.0 * sin(2.0 * M_PI * 399 / 24), 4.0);
    for (size_t k = 24; k < 300; k++)                   /* beyond a day: day one again */
        assert_close(b->mean[k], b->mean[k - 24], 0.0);
    assert_true(b->hi80[299] - b->lo80[299] > b->hi80[23] - b->lo80[23]);
    /* too short to fine-tune: -MAI_EINVAL, the state is left as it was */
    memcpy(w0, in2.weights, in.nparams * sizeof(double));
    assert_int_equal(fit_n(st, &p, y + 390, 10, 1), -MAI_EINVAL);
    lstm_get_info(st, &in2);
    assert_true(in2.fitted);
    assert_memory_equal(w0, in2.weights, in.nparams * sizeof(double));
    /* refit of an untrained state is a fit */
    void *st2 = lstm_new(&p, 16, 3, 1), *st3 = lstm_new(&p, 16, 3, 1);
    assert_int_equal(fit_n(st2, &p, y, 300, 1), 0);
    assert_int_equal(fit_n(st3, &p, y, 300, 0), 0);
    lstm_get_info(st2, &in);
    lstm_get_info(st3, &in2);
    assert_memory_equal(in.weights, in2.weights, in.nparams * sizeof(double));
    test_free(w0);
    test_free(b);
    test_free(st);
    test_free(st2);
    test_free(st3);
}

/* --- save / load --------------------------------------------------------------------------- */

static void test_lstm_save_load_roundtrip_is_bit_exact(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 168, 2016};
    double y[300];
    make_seasonal(y, 300, 24, 10.0, 1.0);
    for (size_t t = 295; t < 300; t++)
        y[t] = NAN;                                     /* save in the middle of a gap */
    void *a = lstm_new(&p, 16, 2, 3), *c = lstm_new(&p, 60, 10, 1);
    fcbuf *fa = fcbuf_new(), *fc = fcbuf_new();
    assert_int_equal(fit_n(a, &p, y, 300, 0), 0);
    size_t need = lstm_ops.save(a, NULL, 0);
    lstm_info in;
    lstm_get_info(a, &in);
    assert_int_equal(need, LSTM_SAVE_FIXED + 8 * (2 * LSTM_HIDDEN + 16 + (size_t)in.nparams) + 4);
    uint8_t small[16];
    memset(small, 0xAB, sizeof small);
    assert_int_equal(lstm_ops.save(a, small, sizeof small), need);
    for (size_t i = 0; i < sizeof small; i++)
        assert_int_equal(small[i], 0xAB);               /* too small: nothing written */
    uint8_t *buf = test_malloc(need);
    assert_int_equal(lstm_ops.save(a, buf, need), need);
    assert_int_equal(lstm_ops.load(c, &p, buf, need), 0);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(lstm_ops.forecast(a, 400, &fa->out), 0);
        assert_int_equal(lstm_ops.forecast(c, 400, &fc->out), 0);
        assert_memory_equal(fa->mean, fc->mean, sizeof fa->mean);
        assert_memory_equal(fa->lo80, fc->lo80, sizeof fa->lo80);
        assert_memory_equal(fa->hi80, fc->hi80, sizeof fa->hi80);
        assert_memory_equal(fa->lo95, fc->lo95, sizeof fa->lo95);
        assert_memory_equal(fa->hi95, fc->hi95, sizeof fa->hi95);
        for (size_t t = 0; t < 37; t++) {               /* and both continue identically */
            double v = t == 5 ? NAN : 100.0 + 3.0 * rng_normal();
            lstm_ops.update(a, v);
            lstm_ops.update(c, v);
        }
    }
    lstm_info ic;
    lstm_get_info(c, &ic);
    assert_int_equal(ic.seq_len, 16);                   /* options travel with the image */
    assert_int_equal(ic.epochs, 2);
    assert_int_equal(ic.seed, 3);
    /* a fallback state round-trips too */
    lstm_ops.init(a, &p);
    lstm_ops.update(a, 7.0);
    lstm_ops.update(a, 9.0);
    lstm_ops.update(a, NAN);
    need = lstm_ops.save(a, NULL, 0);
    uint8_t *buf2 = test_malloc(need);
    assert_int_equal(lstm_ops.save(a, buf2, need), need);
    assert_int_equal(lstm_ops.load(c, &p, buf2, need), 0);
    assert_int_equal(lstm_ops.forecast(a, 300, &fa->out), 0);
    assert_int_equal(lstm_ops.forecast(c, 300, &fc->out), 0);
    assert_memory_equal(fa->mean, fc->mean, 300 * sizeof(double));
    assert_memory_equal(fa->hi95, fc->hi95, 300 * sizeof(double));
    test_free(buf);
    test_free(buf2);
    test_free(fa);
    test_free(fc);
    test_free(a);
    test_free(c);
}

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static void put_f64(uint8_t *p, double v)
{
    uint64_t b = mai_double_bits(v);
    for (int k = 0; k < 8; k++)
        p[k] = (uint8_t)(b >> (8 * k));
}

static void reseal(uint8_t *buf, size_t n)
{
    put_u32(buf + n - 4, crc32_ref(buf, n - 4));
}

static void test_lstm_load_rejects_truncated_and_garbled_bytes(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 168, 2016};
    double y[300];
    make_seasonal(y, 300, 24, 10.0, 1.0);
    void *a = lstm_new(&p, 16, 1, 1), *c = lstm_new(&p, 16, 1, 1);
    fcbuf *before = fcbuf_new(), *after = fcbuf_new();
    assert_int_equal(fit_n(a, &p, y, 300, 0), 0);
    size_t n = lstm_ops.save(a, NULL, 0);
    uint8_t *good = test_malloc(n + 1), *bad = test_malloc(n + 1);
    assert_int_equal(lstm_ops.save(a, good, n), n);
    good[n] = 0;
    assert_int_equal(lstm_ops.load(c, &p, good, n), 0);    /* the intact image loads */
    lstm_ops.init(c, &p);
    lstm_ops.update(c, 5.0);
    assert_int_equal(lstm_ops.forecast(c, 50, &before->out), 0);

    for (size_t len = 0; len < n; len++)                /* every truncation */
        assert_int_equal(lstm_ops.load(c, &p, good, len), -MAI_EPROTO);
    assert_int_equal(lstm_ops.load(c, &p, good, n + 1), -MAI_EPROTO);  /* trailing byte */
    assert_int_equal(lstm_ops.load(c, &p, NULL, n), -MAI_EPROTO);
    fc_params other = p;
    other.season_day = 48;                              /* made for another season */
    assert_int_equal(lstm_ops.load(c, &other, good, n), -MAI_EPROTO);
    for (size_t i = 0; i < n; i += i < 140 ? 1 : 23) {  /* single bit flips (CRC) */
        memcpy(bad, good, n);
        bad[i] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(lstm_ops.load(c, &p, bad, n), -MAI_EPROTO);
    }

    /* fields that are wrong although the CRC matches */
    const size_t f64 = 56, hc = LSTM_SAVE_FIXED, ring = hc + 16 * LSTM_HIDDEN;
    const size_t wts = ring + 8 * 16;
    struct { size_t off; int kind; double v; uint32_t u; } cases[] = {
        {0, 0, 0, 'X'}, {4, 0, 0, 2}, {5, 0, 0, 2}, {6, 0, 0, 2}, {6, 0, 0, 3}, {7, 0, 0, 8},
        {8, 1, 0, 15}, {12, 1, 0, 1}, {12, 1, 0, 17}, {16, 1, 0, LSTM_MAX_EPOCHS + 1},
        {20, 1, 0, 24 * 2}, {24, 1, 0, 1}, {32, 1, 0, 17}, {36, 1, 0, 1},
        {40, 1, 0, 0},                                  /* seed 0 (low word; high word is 0) */
        {f64, 2, NAN, 0}, {f64 + 8, 2, 0.0, 0}, {f64 + 8, 2, -1.0, 0}, {f64 + 16, 2, -1.0, 0},
        {f64 + 24, 2, INFINITY, 0}, {f64 + 24, 2, 1e13, 0}, {f64 + 32, 2, NAN, 0},
        {f64 + 32, 2, -1e13, 0}, {f64 + 40, 2, NAN, 0}, {f64 + 56, 2, -1.0, 0},
        {f64 + 72, 2, NAN, 0}, {f64 + 72, 2, -1.0, 0},
        {hc, 2, 1.5, 0}, {hc + 8 * LSTM_HIDDEN, 2, NAN, 0}, {ring, 2, INFINITY, 0},
        {ring + 8, 2, -1e13, 0}, {wts, 2, NAN, 0}, {wts + 80, 2, 1e7, 0},
        {wts + 8 * 100, 2, -INFINITY, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(bad, good, n);
        if (cases[i].kind == 0)
            bad[cases[i].off] = (uint8_t)cases[i].u;
        else if (cases[i].kind == 1)
            put_u32(bad + cases[i].off, cases[i].u);
        else
            put_f64(bad + cases[i].off, cases[i].v);
        reseal(bad, n);
        if (lstm_ops.load(c, &p, bad, n) != -MAI_EPROTO)
            fail_msg("case %zu (offset %zu) was accepted", i, cases[i].off);
    }
    /* a failed load leaves the state as it was */
    assert_int_equal(lstm_ops.forecast(c, 50, &after->out), 0);
    assert_memory_equal(before->mean, after->mean, 50 * sizeof(double));
    assert_memory_equal(before->hi95, after->hi95, 50 * sizeof(double));

    /* random corruption, resealed so the field checks are what stands guard: 0 or
     * -MAI_EPROTO, never a crash, never NaN afterwards */
    int accepted = 0;
    for (int trial = 0; trial < 1000; trial++) {
        memcpy(bad, good, n);
        int flips = 1 + (int)(rng_u01() * 4);
        for (int f = 0; f < flips; f++)
            bad[(size_t)(rng_u01() * (double)(n - 4))] ^= (uint8_t)(1u << (int)(rng_u01() * 8));
        size_t len = n;
        if (trial % 10 == 0)
            len = 140 + (size_t)(rng_u01() * (double)(n - 140));
        reseal(bad, len);
        int rc = lstm_ops.load(c, &p, bad, len);
        assert_true(rc == 0 || rc == -MAI_EPROTO);
        if (rc == 0) {
            accepted++;
            assert_int_equal(lstm_ops.forecast(c, 100, &after->out), 0);
            assert_true(no_nan(after, 100));
            lstm_ops.update(c, 1.0);
            lstm_ops.update(c, NAN);
            lstm_ops.update(c, 1e300);
            assert_int_equal(lstm_ops.forecast(c, 100, &after->out), 0);
            assert_true(no_nan(after, 100));
        }
    }
    print_message("garbled images accepted after resealing: %d of 1000\n", accepted);
    test_free(good);
    test_free(bad);
    test_free(before);
    test_free(after);
    test_free(a);
    test_free(c);
}

/* --- sizes and options --------------------------------------------------------------------- */

static void test_lstm_sizes_and_options(void **state)
{
    (void)state;
    assert_string_equal(lstm_ops.name, "lstm");
    assert_non_null(lstm_ops.refit);
    const uint32_t days[3] = {0, 24, 288};
    for (int i = 0; i < 3; i++) {
        fc_params p = {300, days[i], 7 * days[i], 2016};
        assert_int_equal(lstm_ops.state_size(&p), LSTM_STATE_BYTES);
        size_t s1 = lstm_ops.fit_scratch_size(&p, 2016);
        size_t s2 = lstm_ops.fit_scratch_size(&p, 1u << 20);
        assert_int_equal(s1, s2);                        /* bounded by max_history */
        assert_true(s1 < 4u << 20);
    }
    uint32_t hz[LSTM_MAX_HEADS];
    static const uint32_t hz288[17] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192,
                                       256, 288};
    assert_int_equal(lstm_head_horizons(288, hz), 17);
    assert_memory_equal(hz, hz288, sizeof hz288);
    assert_int_equal(lstm_head_horizons(24, hz), 9);
    assert_int_equal(hz[8], 24);
    assert_int_equal(lstm_head_horizons(0, hz), 16);
    assert_int_equal(hz[15], 256);
    uint32_t nj = lstm_head_horizons(86400, hz);
    assert_int_equal(nj, LSTM_MAX_HEADS);
    assert_int_equal(hz[nj - 1], 86400);
    for (uint32_t j = 1; j < nj; j++)
        assert_true(hz[j] > hz[j - 1]);
    fc_params p = {300, 24, 168, 2016};
    void *st = lstm_new(&p, 1, 5000, 0);
    lstm_info in;
    lstm_get_info(st, &in);
    assert_int_equal(in.seq_len, LSTM_MIN_SEQ_LEN);
    assert_int_equal(in.epochs, LSTM_MAX_EPOCHS);
    assert_int_equal(in.seed, 1);
    lstm_set_options(st, 1000, 3, 9);
    lstm_get_info(st, &in);
    assert_int_equal(in.seq_len, LSTM_MAX_SEQ_LEN);
    lstm_ops.init(st, &p);
    lstm_get_info(st, &in);
    assert_int_equal(in.seq_len, LSTM_DEFAULT_SEQ_LEN);
    assert_int_equal(in.epochs, LSTM_DEFAULT_EPOCHS);
    assert_int_equal(in.seed, LSTM_DEFAULT_SEED);
    assert_false(in.fitted);
    test_free(st);
}

/* fit() looks at the newest max_history points only: garbage before them changes nothing */
static void test_lstm_fit_uses_only_max_history(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 168, 200};
    double y[500];
    make_seasonal(y, 500, 24, 10.0, 1.0);
    void *a = lstm_new(&p, 16, 2, 1), *b = lstm_new(&p, 16, 2, 1);
    fcbuf *fa = fcbuf_new(), *fb = fcbuf_new();
    assert_int_equal(fit_n(a, &p, y, 500, 0), 0);
    for (size_t t = 0; t < 300; t++)
        y[t] = t % 2 ? 1e6 : NAN;
    assert_int_equal(fit_n(b, &p, y, 500, 0), 0);
    assert_int_equal(lstm_ops.forecast(a, 100, &fa->out), 0);
    assert_int_equal(lstm_ops.forecast(b, 100, &fb->out), 0);
    assert_memory_equal(fa->mean, fb->mean, 100 * sizeof(double));
    test_free(fa);
    test_free(fb);
    test_free(a);
    test_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lstm_same_seed_is_bit_identical_other_seed_differs),
        cmocka_unit_test(test_lstm_constant_series_forecasts_the_constant),
        cmocka_unit_test(test_lstm_learns_a_sine),
        cmocka_unit_test(test_lstm_gaps_never_produce_nan),
        cmocka_unit_test(test_lstm_all_nan_and_short_history_fall_back),
        cmocka_unit_test(test_lstm_bptt_gradient_matches_finite_differences),
        cmocka_unit_test(test_lstm_refit_fine_tunes_from_current_weights),
        cmocka_unit_test(test_lstm_save_load_roundtrip_is_bit_exact),
        cmocka_unit_test(test_lstm_load_rejects_truncated_and_garbled_bytes),
        cmocka_unit_test(test_lstm_sizes_and_options),
        cmocka_unit_test(test_lstm_fit_uses_only_max_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
