/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_hw.c -- the Holt-Winters / ETS(A,Ad,A) member (models/hw.c): recovery of
 * constants, trends and daily seasons, gaps, fallbacks, save/load, interval calibration, and
 * known answers from statsmodels (tests/unit/known/hw_reference.py made the numbers; run by hand). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/base.h"
#include "models/hw.h"

#define Z80 1.2815515655446004
#define Z95 1.9599639845400540

/* --- reference data: output of tests/unit/known/hw_reference.py ----------------------------- */
/* statsmodels 0.13.5+dfsg, numpy 1.24.2 */
static const double ref_y[120] = {
    54.691, 55.334, 56.061, 56.308, 55.839, 57.002, 54.799, 47.845,
    44.989, 42.300, 43.946, 50.628, 57.105, 59.139, 59.385, 58.047,
    60.783, 60.724, 58.674, 51.673, 49.222, 45.454, 47.785, 56.429,
    60.155, 61.549, 62.823, 60.812, 64.878, 63.784, 61.257, 57.872,
    49.521, 49.435, 49.707, 57.338, 62.596, 68.062, 68.594, 66.371,
    68.269, 67.620, 66.168, 59.647, 53.063, 50.697, 55.755, 63.848,
    67.669, 69.675, 72.340, 70.537, 71.130, 71.653, 69.068, 63.691,
    56.937, 56.602, 58.877, 66.393, 70.631, 71.894, 73.929, 75.600,
    74.245, 74.110, 71.606, 66.550, 61.672, 58.520, 64.069, 68.517,
    74.709, 78.838, 79.132, 77.287, 78.560, 79.335, 76.207, 69.422,
    66.227, 64.194, 66.587, 71.476, 78.004, 80.409, 80.928, 82.397,
    83.358, 82.869, 80.549, 75.477, 69.160, 66.824, 69.098, 75.944,
    84.060, 85.469, 84.486, 84.228, 84.564, 86.174, 83.992, 76.957,
    73.258, 69.931, 74.799, 79.757, 87.118, 87.742, 88.140, 88.600,
    90.084, 89.966, 85.966, 82.183, 76.394, 73.671, 76.324, 84.948,
};
/* A: alpha 0.34999999999999998 beta 0.034999999999999996 gamma 0.20000000000000001 phi 0.90000000000000002 l0 49.5 b0 0.28000000000000003, sse 197.13938709320504 */
static const double ref_a_s0[12] = {
    3, 5.5, 5.4279999999999999, 5, 5.4279999999999999, 5.5,
    3, -2.5, -8.4280000000000008, -11, -8.4280000000000008, -2.5,
};
static const double ref_a_fc[24] = {
    89.667592763543723, 91.362096854069705, 91.731116377996344, 91.470034490045464,
    92.159391148227613, 92.166325718732423, 89.199729563429301, 83.630331335210883,
    78.257102991157382, 75.599440757025036, 78.635735024770312, 85.027347217197587,
    90.713889649915416, 92.303764051804251, 92.578616855957421, 92.232784920210435,
    92.845866535376075, 92.78415356716603, 89.755774627019534, 84.130771892442098,
    78.707499492665477, 76.004797608382319, 79.000556190991873, 85.355686266796994,
};
static const double ref_a_relvar[24] = {
    0.99999999999999989, 1.1455422500000001, 1.3135192725000002, 1.5030619557249998,
    1.7131269696372498, 1.942563802356172, 2.1901656661634998, 2.4547076772219336,
    2.7349750324163176, 3.0297833587371121, 3.3379929698089659, 3.6585184098539769,
    4.2607482592629591, 4.6028927988897017, 4.9544683937883569, 5.3146415666771603,
    5.6826413586358981, 6.0577570348494003, 6.4393352678365687, 6.8267769932849847,
    7.2195340869541305, 7.6171059742764733, 8.0190362553128729, 8.424909405027126,
};
/* A: ExponentialSmoothing vs ETSModel, max |diff| at h not a multiple of m: 5.68e-14; at h = m, 2m: 0.4814, 0.4814 */
/* B ExponentialSmoothing(heuristic).fit(): alpha 0.0884 beta* 0.0884 gamma 0.0000 phi 0.9950 sse 119.7008 */
static const double ref_b_fc[24] = {
    89.459666992152961, 91.57513178902461, 92.32278391501471, 91.735457967470325,
    92.8623030918626, 92.988380713938668, 90.465464413962167, 84.739587210238753,
    79.622035281891954, 77.309225419838725, 80.208676989767312, 87.008163341845147,
    92.73559237154403, 94.83467754151873, 95.566031938746349, 94.962489751083311,
    96.073199716557525, 96.18322285551011, 93.644332344825756, 87.902560801448033,
    82.769194005145181, 80.44064834947568, 83.324442804756089, 90.10835032775897,
};
/* B ETSModel.fit(): alpha 0.0796 beta 0.0251 gamma 0.0001 phi 0.9800 mse 1.0813 */
static const double ref_b_ets_fc[24] = {
    89.363520372668489, 91.494128152786701, 92.252886719858196, 91.672280009146689,
    92.801194715850613, 92.92521500641908, 90.396237321095356, 84.659911853297487,
    79.528140463981487, 77.197343562698975, 80.07467151087485, 86.847956584886887,
    92.53438762505273, 94.601578060123259, 95.29818762904803, 94.656674900152737,
    95.725901709036535, 95.79142785974129, 93.205125917351126, 87.412622677628136,
    82.225797071825525, 79.841047038386137, 82.665500917048277, 89.386969402936842,
};
static const double ref_b_ets_hi80[24] = {
    90.696120351078122, 92.833932075176577, 93.603535758713122, 93.037986459733588,
    94.186640507360949, 94.335442914782192, 91.836539394223436, 86.135720254995618,
    81.044925805013619, 78.760524906694229, 81.689540870857357, 88.519619186144112,
    94.267750225571021, 96.401220749338776, 97.168446271490311, 96.601600472521682,
    97.749261215831652, 97.896711117688071, 95.395556417459971, 89.691171064334924,
    84.595196100697748, 82.303807160682126, 85.223925879579298, 92.043171443667035,
};
/* B: the two statsmodels fits differ by up to 0.721 over h = 1..24, 0.160 over h = 1..12 */

/* --- helpers ------------------------------------------------------------------------------- */

typedef struct fcbuf {
    double mean[600], lo80[600], hi80[600], lo95[600], hi95[600];
    fc_output out;
} fcbuf;

static fcbuf *fcbuf_new(void)
{
    fcbuf *b = test_calloc(1, sizeof *b);
    b->out = (fc_output){b->mean, b->lo80, b->hi80, b->lo95, b->hi95};
    return b;
}

static void *hw_new(const fc_params *p)
{
    void *st = test_malloc(hw_ops.state_size(p));
    hw_ops.init(st, p);
    return st;
}

/* fit() with exactly fit_scratch_size bytes of scratch (cmocka's guard bytes catch overruns) */
static int hw_fit_n(void *st, const fc_params *p, const double *y, size_t n)
{
    void *scratch = test_malloc(hw_ops.fit_scratch_size(p, n));
    int rc = hw_ops.fit(st, y, n, scratch);
    test_free(scratch);
    return rc;
}

static int all_finite(const fcbuf *b, size_t h)
{
    for (size_t k = 0; k < h; k++)
        if (!isfinite(b->mean[k]) || isnan(b->lo80[k]) || isnan(b->hi80[k]) ||
            isnan(b->lo95[k]) || isnan(b->hi95[k]))
            return 0;
    return 1;
}

static int no_nan(const fcbuf *b, size_t h)
{
    for (size_t k = 0; k < h; k++)
        if (isnan(b->mean[k]) || isnan(b->lo80[k]) || isnan(b->hi80[k]) || isnan(b->lo95[k]) ||
            isnan(b->hi95[k]))
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
    return ((rng_state * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
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

/* A version-1 blob as hw.h documents it: lets the tests set parameters and initial states. */
static size_t make_blob(uint8_t *buf, uint8_t mode, uint32_t m_cap, uint32_t m, uint32_t idx,
                        uint32_t gap, uint64_t nobs, const double d[14], const double *season)
{
    uint32_t u32[5] = {m_cap, m, idx, gap, 0};
    buf[0] = 'H';
    buf[1] = 'W';
    buf[2] = HW_SAVE_VERSION;
    buf[3] = mode;
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 4; k++)
            buf[4 + 4 * i + k] = (uint8_t)(u32[i] >> (8 * k));
    for (int k = 0; k < 8; k++)
        buf[24 + k] = (uint8_t)(nobs >> (8 * k));
    for (int i = 0; i < 14 + (int)m; i++) {
        uint64_t b = mai_double_bits(i < 14 ? d[i] : season[i - 14]);
        for (int k = 0; k < 8; k++)
            buf[32 + 8 * i + k] = (uint8_t)(b >> (8 * k));
    }
    return HW_SAVE_FIXED + 8 * (size_t)m;
}

/* A fitted-model state with given parameters and states; sigma2 = 1. */
static void *hw_with(const fc_params *p, double alpha, double beta, double gamma, double phi,
                     double l0, double b0, const double *season)
{
    uint8_t buf[HW_SAVE_FIXED + 8 * 64];
    double d[14] = {alpha, beta, gamma, phi, l0, b0, 1.0, 0.0, 1.0, 0.0, l0, 0.0, 0.0, 0.0};
    uint32_t m = season ? p->season_day : 0;
    assert_true(m <= 64);
    size_t n = make_blob(buf, 1, p->season_day, m, 0, 0, 1, d, season);
    void *st = test_malloc(hw_ops.state_size(p));
    hw_ops.init(st, p);
    assert_int_equal(hw_ops.load(st, p, buf, n), 0);
    return st;
}

/* FPP3 section 8.7, table of forecast variance expressions, row ETS(A,Ad,A): v_h / sigma2
 * (innovations beta). Written out independently of hw.c, which sums the c_j instead. */
static double relvar_table(double a, double b, double g, double phi, uint32_t m, int h)
{
    double k = m ? floor((double)(h - 1) / m) : 0.0;
    double v = 1.0 + a * a * (h - 1) + g * k * (2 * a + g) +
               b * phi * h / ((1 - phi) * (1 - phi)) * (2 * a * (1 - phi) + b * phi) -
               b * phi * (1 - pow(phi, h)) / ((1 - phi) * (1 - phi) * (1 - phi * phi)) *
                   (2 * a * (1 - phi * phi) + b * phi * (1 + 2 * phi - pow(phi, h)));
    if (m)
        v += 2 * b * g * phi / ((1 - phi) * (1 - pow(phi, m))) *
             (k * (1 - pow(phi, m)) - pow(phi, m) * (1 - pow(phi, m * k)));
    return v;
}

/* --- tests --------------------------------------------------------------------------------- */

static void test_hw_constant_series_forecasts_the_constant(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 2016};
    double y[500];
    for (size_t t = 0; t < 500; t++)
        y[t] = 42.5;
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_fit_n(st, &p, y, 500), 0);
    assert_int_equal(hw_ops.forecast(st, 100, &b->out), 0);
    for (size_t k = 0; k < 100; k++) {
        assert_float_equal(b->mean[k], 42.5, 1e-9);
        assert_true(b->hi95[k] - b->lo95[k] < 1e-6);     /* width near 0 */
        assert_true(b->lo95[k] <= b->lo80[k] && b->lo80[k] <= b->mean[k]);
        assert_true(b->mean[k] <= b->hi80[k] && b->hi80[k] <= b->hi95[k]);
    }
    test_free(b);
    test_free(st);
}

/* y = 10 + 0.5 t: the forecast 10 steps ahead lands within 1 % of the true value (ignoring the
 * trend would miss by 5 / 164.5 = 3 %; the damping phi <= 0.98 costs about 0.5 / 164.5). */
static void test_hw_linear_trend_recovered_at_h10(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    for (uint32_t season = 0; season <= 24; season += 24) {
        fc_params p = {300, season, 0, 2016};
        double y[300];
        for (size_t t = 0; t < 300; t++)
            y[t] = 10.0 + 0.5 * (double)t;
        void *st = hw_new(&p);
        fcbuf *b = fcbuf_new();
        assert_int_equal(hw_fit_n(st, &p, y, 300), 0);
        assert_int_equal(hw_ops.forecast(st, 10, &b->out), 0);
        double truth = 10.0 + 0.5 * (299 + 10);
        assert_float_equal(b->mean[9], truth, 0.01 * truth);
        for (size_t k = 1; k < 10; k++)
            assert_true(b->mean[k] > b->mean[k - 1]);      /* still rising */
        hw_info in;
        hw_get_info(st, &in);
        assert_float_equal(in.trend, 0.5, 0.05);
        test_free(b);
        test_free(st);
    }
}

/* 10 days of a pure daily sine (amplitude 10): the next two days come back within 2 % of the
 * amplitude, at 24 points a day and at 288 (where the season profile is smoothed over 7 slots),
 * and also when 300 missing points come first. */
static void test_hw_daily_season_recovered(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    static double y[300 + 2880];
    const uint32_t periods[3] = {24, 288, 24};
    for (int i = 0; i < 3; i++) {
        uint32_t m = periods[i];
        size_t lead = i == 2 ? 300 : 0;                 /* the third run starts with a long gap */
        size_t n = lead + 10 * (size_t)m;
        fc_params p = {86400.0 / m, m, 7 * m, 0};
        make_seasonal(y, n, m, 10.0, 0.0);
        for (size_t t = 0; t < lead; t++)
            y[t] = NAN;
        void *st = hw_new(&p);
        fcbuf *b = fcbuf_new();
        assert_int_equal(hw_fit_n(st, &p, y, n), 0);
        hw_info in;
        hw_get_info(st, &in);
        assert_int_equal(in.period, m);
        size_t h = 2 * (size_t)m;
        assert_int_equal(hw_ops.forecast(st, h, &b->out), 0);
        for (size_t k = 0; k < h; k++) {
            double truth = 100.0 + 10.0 * sin(2.0 * M_PI * (double)(n + k) / m);
            assert_float_equal(b->mean[k], truth, 0.02 * 10.0);
        }
        test_free(b);
        test_free(st);
    }
}

static void test_hw_gaps_never_produce_nan(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 2016};
    double y[600];
    make_seasonal(y, 600, 24, 10.0, 1.0);
    for (size_t t = 0; t < 10; t++)
        y[t] = NAN;                                     /* leading gap */
    for (size_t t = 200; t < 260; t++)
        y[t] = NAN;                                     /* a 60-point hole */
    for (size_t t = 400; t < 600; t += 7)
        y[t] = NAN;                                     /* scattered */
    for (size_t t = 570; t < 600; t++)
        y[t] = NAN;                                     /* trailing gap */
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_fit_n(st, &p, y, 600), 0);
    hw_info in;
    hw_get_info(st, &in);
    assert_int_equal(in.period, 24);
    assert_int_equal(in.gap, 30);
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);
    assert_true(all_finite(b, 300));
    /* still the season: the forecast follows the sine (noise sd 1, amplitude 10) */
    for (size_t k = 0; k < 24; k++)
        assert_float_equal(b->mean[k], 100.0 + 10.0 * sin(2.0 * M_PI * (600.0 + k) / 24), 2.5);
    /* a longer gap widens the interval of the next point */
    double w0 = b->hi80[0] - b->lo80[0];
    uint64_t stale = MAI_STALE_NAN_BITS;
    double stale_nan;
    memcpy(&stale_nan, &stale, sizeof stale_nan);
    for (int i = 0; i < 20; i++)
        hw_ops.update(st, i % 2 ? NAN : stale_nan);
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);
    assert_true(all_finite(b, 300));
    assert_true(b->hi80[0] - b->lo80[0] > w0);
    /* and it narrows again once points arrive */
    for (size_t t = 0; t < 48; t++)
        hw_ops.update(st, 100.0 + 10.0 * sin(2.0 * M_PI * (620.0 + t) / 24));
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);
    assert_true(all_finite(b, 300));
    assert_true(b->hi80[0] - b->lo80[0] < w0);
    test_free(b);
    test_free(st);
}

static void test_hw_all_nan_series_never_produces_nan(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 288, 0, 2016};
    static double y[2016];
    for (size_t t = 0; t < 2016; t++)
        y[t] = t % 3 ? NAN : (t % 2 ? INFINITY : -INFINITY);
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);    /* fresh state */
    assert_true(all_finite(b, 300));
    assert_int_equal(hw_fit_n(st, &p, y, 2016), -MAI_EINVAL);
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);
    assert_true(all_finite(b, 300));
    assert_float_equal(b->mean[0], 0.0, 0);
    for (int i = 0; i < 1000; i++)
        hw_ops.update(st, NAN);
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);
    assert_true(all_finite(b, 300));
    assert_int_equal(hw_fit_n(st, &p, NULL, 0), -MAI_EINVAL);
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);
    assert_true(all_finite(b, 300));
    test_free(b);
    test_free(st);
}

/* Fewer than HW_MIN_POINTS points: -MAI_EINVAL, last value, an interval that grows like a
 * random walk and is at least as wide as the data's spread. */
static void test_hw_short_history_falls_back_to_last_value(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 2016};
    double y[9] = {3, NAN, 5, 4, 6, NAN, 5, 7, 6};     /* 7 points */
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_fit_n(st, &p, y, 9), -MAI_EINVAL);
    hw_info in;
    hw_get_info(st, &in);
    assert_int_equal(in.fitted, 0);
    assert_int_equal(hw_ops.forecast(st, 50, &b->out), 0);
    for (size_t k = 0; k < 50; k++) {
        assert_float_equal(b->mean[k], 6.0, 0);
        assert_true(b->hi80[k] - b->lo80[k] >= 2 * Z80 * 1.2);    /* sd of y is 1.29 */
        assert_float_equal((b->hi95[k] - b->mean[k]) / (b->hi95[0] - b->mean[0]),
                           sqrt((double)k + 1.0), 1e-9);
    }
    /* the interval covers the whole range of what was seen */
    assert_true(b->lo95[0] <= 3.0 && b->hi95[0] >= 7.0);
    test_free(b);
    test_free(st);
}

static void test_hw_forecast_rejects_zero_horizon(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 2016};
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_ops.forecast(st, 0, &b->out), -MAI_EINVAL);
    test_free(b);
    test_free(st);
}

/* The season starts at two full periods of history; below that the model is non-seasonal. */
static void test_hw_season_needs_two_full_periods(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 2016};
    double y[48];
    make_seasonal(y, 48, 24, 10.0, 0.5);
    void *st = hw_new(&p);
    hw_info in;
    assert_int_equal(hw_fit_n(st, &p, y, 47), 0);
    hw_get_info(st, &in);
    assert_int_equal(in.fitted, 1);
    assert_int_equal(in.period, 0);
    assert_float_equal(in.gamma, 0.0, 0);
    assert_int_equal(hw_fit_n(st, &p, y, 48), 0);
    hw_get_info(st, &in);
    assert_int_equal(in.period, 24);
    test_free(st);
}

/* fit() looks at the newest max_history points only. */
static void test_hw_fit_uses_only_max_history(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 200};
    double y[1000];
    for (size_t t = 0; t < 1000; t++)
        y[t] = t < 800 ? 1000.0 + (double)(t % 24) * 50.0 : 5.0;
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_fit_n(st, &p, y, 1000), 0);
    assert_int_equal(hw_ops.forecast(st, 48, &b->out), 0);
    for (size_t k = 0; k < 48; k++) {
        assert_float_equal(b->mean[k], 5.0, 1e-9);
        assert_true(b->hi95[k] - b->lo95[k] < 1e-6);
    }
    test_free(b);
    test_free(st);
}

static void test_hw_state_size_is_bounded(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    const uint32_t days[4] = {0, 24, 288, 1440};
    for (int i = 0; i < 4; i++) {
        fc_params p = {300, days[i], 0, 2016};
        size_t sz = hw_ops.state_size(&p);
        assert_true(sz <= 8 * (size_t)days[i] + 256);
        assert_int_equal(sz, HW_STATE_BASE + 8 * (size_t)days[i]);
        assert_true(hw_ops.fit_scratch_size(&p, 1u << 20) < 8 * (3 * 2017 + 2 * (size_t)days[i] + 16));
        /* a weekly season costs exactly 8 * season_week more state; the scratch grows only when
         * the fit window can hold two weeks (not with 2016 points of 288 or 1440 a day) */
        p.season_week = 7 * days[i];
        assert_int_equal(hw_ops.state_size(&p), sz + 8 * (size_t)p.season_week);
        size_t sc0 = hw_ops.fit_scratch_size(&(fc_params){300, days[i], 0, 2016}, 1u << 20);
        size_t sc = hw_ops.fit_scratch_size(&p, 1u << 20);
        if (2 * (size_t)p.season_week > 2016 || p.season_week == 0)
            assert_int_equal(sc, sc0);
        else
            assert_true(sc < sc0 + 8 * (2 * (size_t)p.season_week + 2 * 2017 + 16));
    }
    fc_params svc = {3600, 24, 168, 840};               /* the service's coarse ring */
    assert_int_equal(hw_ops.state_size(&svc), HW_STATE_BASE + 8 * (24 + 168));
    assert_string_equal(hw_ops.name, "hw");
}

static void test_hw_save_load_roundtrip_is_bit_exact(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 2016};
    double y[500];
    make_seasonal(y, 500, 24, 10.0, 1.0);
    for (size_t t = 490; t < 500; t++)
        y[t] = NAN;                                     /* save in the middle of a gap */
    void *a = hw_new(&p), *c = hw_new(&p);
    fcbuf *fa = fcbuf_new(), *fc = fcbuf_new();
    assert_int_equal(hw_fit_n(a, &p, y, 500), 0);
    size_t need = hw_ops.save(a, NULL, 0);
    assert_int_equal(need, HW_SAVE_FIXED + 8 * 24);
    uint8_t small[16];
    memset(small, 0xAB, sizeof small);
    assert_int_equal(hw_ops.save(a, small, sizeof small), need);
    for (size_t i = 0; i < sizeof small; i++)
        assert_int_equal(small[i], 0xAB);               /* too small: nothing written */
    uint8_t *buf = test_malloc(need);
    assert_int_equal(hw_ops.save(a, buf, need), need);
    assert_int_equal(hw_ops.load(c, &p, buf, need), 0);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(hw_ops.forecast(a, 300, &fa->out), 0);
        assert_int_equal(hw_ops.forecast(c, 300, &fc->out), 0);
        assert_memory_equal(fa->mean, fc->mean, sizeof fa->mean);
        assert_memory_equal(fa->lo80, fc->lo80, sizeof fa->lo80);
        assert_memory_equal(fa->hi80, fc->hi80, sizeof fa->hi80);
        assert_memory_equal(fa->lo95, fc->lo95, sizeof fa->lo95);
        assert_memory_equal(fa->hi95, fc->hi95, sizeof fa->hi95);
        for (size_t t = 0; t < 37; t++) {               /* and both continue identically */
            double v = t == 5 ? NAN : 100.0 + 3.0 * rng_normal();
            hw_ops.update(a, v);
            hw_ops.update(c, v);
        }
    }
    /* a fallback state round-trips too */
    hw_ops.init(a, &p);
    hw_ops.update(a, 7.0);
    hw_ops.update(a, 9.0);
    need = hw_ops.save(a, buf, HW_SAVE_FIXED + 8 * 24);
    assert_int_equal(need, HW_SAVE_FIXED);
    assert_int_equal(hw_ops.load(c, &p, buf, need), 0);
    assert_int_equal(hw_ops.forecast(a, 300, &fa->out), 0);
    assert_int_equal(hw_ops.forecast(c, 300, &fc->out), 0);
    assert_memory_equal(fa->mean, fc->mean, sizeof fa->mean);
    assert_memory_equal(fa->hi95, fc->hi95, sizeof fa->hi95);
    test_free(buf);
    test_free(fa);
    test_free(fc);
    test_free(a);
    test_free(c);
}

static void put_f64(uint8_t *p, double v)
{
    uint64_t b = mai_double_bits(v);
    for (int k = 0; k < 8; k++)
        p[k] = (uint8_t)(b >> (8 * k));
}

static void test_hw_load_rejects_truncated_and_garbled_bytes(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 2016};
    double y[500];
    make_seasonal(y, 500, 24, 10.0, 1.0);
    void *a = hw_new(&p), *c = hw_new(&p);
    fcbuf *before = fcbuf_new(), *after = fcbuf_new();
    assert_int_equal(hw_fit_n(a, &p, y, 500), 0);
    size_t n = hw_ops.save(a, NULL, 0);
    uint8_t *good = test_malloc(n + 1), *bad = test_malloc(n + 1);
    assert_int_equal(hw_ops.save(a, good, n), n);
    good[n] = 0;
    assert_int_equal(hw_ops.forecast(c, 50, &before->out), 0);

    for (size_t len = 0; len < n; len++)                /* every truncation */
        assert_int_equal(hw_ops.load(c, &p, good, len), -MAI_EPROTO);
    assert_int_equal(hw_ops.load(c, &p, good, n + 1), -MAI_EPROTO);    /* trailing byte */
    assert_int_equal(hw_ops.load(c, &p, NULL, n), -MAI_EPROTO);
    fc_params other = p;
    other.season_day = 48;                              /* sized for another season */
    assert_int_equal(hw_ops.load(c, &other, good, n), -MAI_EPROTO);

    struct { size_t off; int kind; double v; uint32_t u; } cases[] = {
        {0, 0, 0, 'X'}, {2, 0, 0, 3}, {3, 0, 0, 2},     /* magic, version, mode */
        {4, 1, 0, 25}, {8, 1, 0, 1}, {8, 1, 0, 12},     /* season_day, period */
        {12, 1, 0, 24}, {20, 1, 0, 1},                  /* season index, reserved */
        {32, 2, NAN, 0}, {32, 2, 1.5, 0}, {40, 2, -0.1, 0}, {48, 2, INFINITY, 0},
        {56, 2, 1.01, 0}, {64, 2, NAN, 0}, {80, 2, -1.0, 0}, {96, 2, 2.0, 0},
        {136, 2, -1.0, 0}, {HW_SAVE_FIXED + 8 * 7, 2, NAN, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(bad, good, n);
        if (cases[i].kind == 0)
            bad[cases[i].off] = (uint8_t)cases[i].u;
        else if (cases[i].kind == 1)
            for (int k = 0; k < 4; k++)
                bad[cases[i].off + k] = (uint8_t)(cases[i].u >> (8 * k));
        else
            put_f64(bad + cases[i].off, cases[i].v);
        assert_int_equal(hw_ops.load(c, &p, bad, n), -MAI_EPROTO);
    }
    /* a failed load leaves the state as it was */
    assert_int_equal(hw_ops.forecast(c, 50, &after->out), 0);
    assert_memory_equal(before->mean, after->mean, 50 * sizeof(double));
    assert_memory_equal(before->hi95, after->hi95, 50 * sizeof(double));

    /* random corruption: 0 or -MAI_EPROTO, never a crash, never NaN afterwards */
    for (int trial = 0; trial < 20000; trial++) {
        memcpy(bad, good, n);
        int flips = 1 + (int)(rng_u01() * 4);
        for (int f = 0; f < flips; f++)
            bad[(size_t)(rng_u01() * n)] ^= (uint8_t)(1u << (int)(rng_u01() * 8));
        size_t len = trial % 10 == 0 ? (size_t)(rng_u01() * (n + 1)) : n;
        int rc = hw_ops.load(c, &p, bad, len);
        assert_true(rc == 0 || rc == -MAI_EPROTO);
        if (rc == 0) {
            assert_int_equal(hw_ops.forecast(c, 300, &after->out), 0);
            assert_true(no_nan(after, 300));
            hw_ops.update(c, 1.0);
            hw_ops.update(c, NAN);
            assert_int_equal(hw_ops.forecast(c, 300, &after->out), 0);
            assert_true(no_nan(after, 300));
        }
    }
    test_free(good);
    test_free(bad);
    test_free(before);
    test_free(after);
    test_free(a);
    test_free(c);
}

/* Values near the double range overflow the recursion: the state falls back, never NaN. */
static void test_hw_overflow_falls_back_without_nan(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 2016};
    double y[500];
    make_seasonal(y, 500, 24, 10.0, 1.0);
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_fit_n(st, &p, y, 500), 0);
    for (int i = 0; i < 50; i++)
        hw_ops.update(st, i % 2 ? 1.7e308 : -1.7e308);
    hw_info in;
    hw_get_info(st, &in);
    assert_int_equal(in.fitted, 0);                     /* dropped to the last-value fallback */
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);
    assert_true(no_nan(b, 300));
    for (int i = 0; i < 20; i++)
        hw_ops.update(st, 5.0 + i % 2);
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);
    assert_true(all_finite(b, 300));
    assert_float_equal(b->mean[0], 6.0, 0);
    for (size_t t = 0; t < 500; t++)
        y[t] = t % 2 ? 1.7e308 : -1.7e308;
    int rc = hw_fit_n(st, &p, y, 500);
    assert_true(rc == 0 || rc == -MAI_EINVAL);
    assert_int_equal(hw_ops.forecast(st, 300, &b->out), 0);
    assert_true(no_nan(b, 300));
    make_seasonal(y, 500, 24, 10.0, 1.0);               /* a refit on sane data recovers */
    assert_int_equal(hw_fit_n(st, &p, y, 500), 0);
    hw_get_info(st, &in);
    assert_int_equal(in.fitted, 1);
    test_free(b);
    test_free(st);
}

/* Noisy daily season with N(0, 2^2) noise: the one-step 80 % interval covers 70-90 % of 3000
 * next points (updating after each), the 95 % one 90-99 %, and sigma2 lands near 4. */
static void test_hw_80_interval_covers_80_percent_one_step(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 24, 0, 2016};
    static double y[480 + 3000];
    make_seasonal(y, 480 + 3000, 24, 10.0, 2.0);
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_fit_n(st, &p, y, 480), 0);
    int in80 = 0, in95 = 0;
    for (size_t t = 480; t < 480 + 3000; t++) {
        assert_int_equal(hw_ops.forecast(st, 1, &b->out), 0);
        in80 += y[t] >= b->lo80[0] && y[t] <= b->hi80[0];
        in95 += y[t] >= b->lo95[0] && y[t] <= b->hi95[0];
        hw_ops.update(st, y[t]);
    }
    print_message("hw one-step coverage: 80%% -> %.3f, 95%% -> %.3f\n", in80 / 3000.0, in95 / 3000.0);
    assert_true(in80 >= 0.70 * 3000 && in80 <= 0.90 * 3000);
    assert_true(in95 >= 0.90 * 3000 && in95 <= 0.99 * 3000);
    hw_info in;
    hw_get_info(st, &in);
    assert_float_equal(in.sigma2, 4.0, 1.0);
    /* the noise triples without a refit: the online sigma2 follows; scored after 500 points */
    make_seasonal(y, 480 + 3000, 24, 10.0, 6.0);
    in80 = 0;
    for (size_t t = 480; t < 480 + 3000; t++) {
        assert_int_equal(hw_ops.forecast(st, 1, &b->out), 0);
        if (t >= 980)
            in80 += y[t] >= b->lo80[0] && y[t] <= b->hi80[0];
        hw_ops.update(st, y[t]);
    }
    print_message("hw one-step coverage after the noise tripled: 80%% -> %.3f\n", in80 / 2500.0);
    assert_true(in80 >= 0.70 * 2500 && in80 <= 0.90 * 2500);
    hw_get_info(st, &in);
    assert_float_equal(in.sigma2, 36.0, 9.0);
    test_free(b);
    test_free(st);
}

/* A random walk (unit steps) seen only every 10th point: the first point after each 9-point gap
 * is a 10-step-ahead outcome; its 80 % interval still covers 70-90 % of them, and sigma2 stays
 * the one-step variance (1). */
static void test_hw_interval_after_gaps_covers_80_percent(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 0, 0, 2016};
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    static double y[500];
    double x = 50.0;
    for (size_t t = 0; t < 500; t++)
        y[t] = x += rng_normal();
    assert_int_equal(hw_fit_n(st, &p, y, 500), 0);
    int in80 = 0, n = 0;
    for (int cycle = 0; cycle < 600; cycle++) {
        for (int g = 0; g < 9; g++) {
            x += rng_normal();
            hw_ops.update(st, NAN);
        }
        x += rng_normal();
        assert_int_equal(hw_ops.forecast(st, 1, &b->out), 0);
        if (cycle >= 100) {
            in80 += x >= b->lo80[0] && x <= b->hi80[0];
            n++;
        }
        hw_ops.update(st, x);
    }
    hw_info in;
    hw_get_info(st, &in);
    print_message("hw coverage after 9-point gaps: 80%% -> %.3f (alpha %.3f, sigma2 %.3f)\n",
                  (double)in80 / n, in.alpha, in.sigma2);
    assert_true(in80 >= 0.70 * n && in80 <= 0.90 * n);
    assert_float_equal(in.sigma2, 1.0, 0.35);
    test_free(b);
    test_free(st);
}

/* Fixed parameters and initial states (hw_reference.py part A): hw.c's recursion and forecast
 * equal statsmodels' ETSModel to 1e-9, and so do the interval growth factors v_h / v_1. */
static void test_hw_matches_statsmodels_with_known_parameters(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 12, 0, 2016};
    void *st = hw_with(&p, 0.35, 0.35 * 0.1, 0.2, 0.9, 49.5, 0.28, ref_a_s0);
    for (size_t t = 0; t < 120; t++)
        hw_ops.update(st, ref_y[t]);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_ops.forecast(st, 24, &b->out), 0);
    for (size_t k = 0; k < 24; k++) {
        assert_float_equal(b->mean[k], ref_a_fc[k], 1e-9);
        double r = (b->hi80[k] - b->mean[k]) / (b->hi80[0] - b->mean[0]);
        assert_float_equal(r * r, ref_a_relvar[k] / ref_a_relvar[0], 1e-9);
    }
    test_free(b);
    test_free(st);
}

/* The interval half-width over z sqrt(sigma2) is the table's closed form for several parameter
 * sets, with and without season, also when the forecast starts inside a gap. */
static void test_hw_interval_follows_ets_variance_table(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    const double sets[4][4] = {{0.35, 0.035, 0.2, 0.9}, {0.9, 0.2, 0.05, 0.98},
                               {0.1, 0.01, 0.6, 0.8}, {0.5, 0.4, 0.3, 0.95}};
    double season[12];
    for (int j = 0; j < 12; j++)
        season[j] = sin(j);
    fcbuf *b = fcbuf_new();
    for (int s = 0; s < 4; s++) {
        for (int seasonal = 0; seasonal < 2; seasonal++) {
            fc_params p = {300, seasonal ? 12 : 0, 0, 2016};
            double g = seasonal ? sets[s][2] : 0.0;
            void *st = hw_with(&p, sets[s][0], sets[s][1], g, sets[s][3], 10.0, 0.1,
                               seasonal ? season : NULL);
            assert_int_equal(hw_ops.forecast(st, 60, &b->out), 0);
            for (int h = 1; h <= 60; h++) {
                double want = relvar_table(sets[s][0], sets[s][1], g, sets[s][3], p.season_day, h);
                double r95 = (b->hi95[h - 1] - b->mean[h - 1]) / Z95;
                double r80 = (b->mean[h - 1] - b->lo80[h - 1]) / Z80;
                assert_float_equal(r95 * r95, want, 1e-9 * want);
                assert_float_equal(r80 * r80, want, 1e-9 * want);
            }
            /* 7 missing points: the next forecast is the 8-step one from the last observation */
            for (int i = 0; i < 7; i++)
                hw_ops.update(st, NAN);
            assert_int_equal(hw_ops.forecast(st, 30, &b->out), 0);
            for (int h = 1; h <= 30; h++) {
                double want = relvar_table(sets[s][0], sets[s][1], g, sets[s][3], p.season_day, h + 7);
                double r95 = (b->hi95[h - 1] - b->mean[h - 1]) / Z95;
                assert_float_equal(r95 * r95, want, 1e-9 * want);
            }
            test_free(st);
        }
    }
    test_free(b);
}

/* Free fit on the reference series (hw_reference.py part B). Different optimisers and initial
 * states land on different parameters (the two statsmodels fits differ by 0.16 over h = 1..12
 * and 0.72 over h = 1..24; the noise sd is 1), so hw must stay within 0.5 of ETSModel's forecast
 * over the first season, within 1.0 over two seasons, and its 80 % upper bound within 0.5;
 * within 1.0 of ExponentialSmoothing's forecast over two seasons. */
static void test_hw_fit_near_statsmodels_free_fit(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {300, 12, 0, 2016};
    void *st = hw_new(&p);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_fit_n(st, &p, ref_y, 120), 0);
    assert_int_equal(hw_ops.forecast(st, 24, &b->out), 0);
    hw_info in;
    hw_get_info(st, &in);
    double dmax1 = 0, dmax2 = 0, dhi = 0, dhw = 0;
    for (size_t k = 0; k < 24; k++) {
        double d = fabs(b->mean[k] - ref_b_ets_fc[k]);
        dhw = fmax(dhw, fabs(b->mean[k] - ref_b_fc[k]));
        if (k < 12)
            dmax1 = fmax(dmax1, d);
        dmax2 = fmax(dmax2, d);
        dhi = fmax(dhi, fabs(b->hi80[k] - ref_b_ets_hi80[k]));
    }
    print_message("hw fit: alpha %.4f beta %.4f gamma %.4f phi %.4f sigma2 %.4f; |hw - ETSModel| "
                  "max %.3f (h<=12) %.3f (h<=24), hi80 %.3f; |hw - ExponentialSmoothing| %.3f\n",
                  in.alpha, in.beta, in.gamma, in.phi, in.sigma2, dmax1, dmax2, dhi, dhw);
    assert_true(dmax1 <= 0.5);
    assert_true(dmax2 <= 1.0);
    assert_true(dhi <= 0.5);
    assert_true(dhw <= 1.0);
    test_free(b);
    test_free(st);
}

/* --- weekly season (Taylor's double-seasonal Holt-Winters) --------------------------------- */

/* Hourly: a daily sine of amplitude 10 on weekdays, and a weekend (days 5 and 6 of each week)
 * 15 lower with a daily amplitude of 2; N(0, sd^2) noise. */
static void make_weekly(double *y, size_t n, double sd)
{
    for (size_t t = 0; t < n; t++) {
        int weekend = (t / 24) % 7 >= 5;
        y[t] = 100.0 + (weekend ? -15.0 : 0.0) +
               (weekend ? 2.0 : 10.0) * sin(2.0 * M_PI * (double)t / 24) +
               (sd > 0 ? sd * rng_normal() : 0);
    }
}

static double rmse_vs(const fcbuf *b, const double *truth, size_t h)
{
    double s = 0.0;
    for (size_t k = 0; k < h; k++)
        s += (b->mean[k] - truth[k]) * (b->mean[k] - truth[k]);
    return sqrt(s / (double)h);
}

/* Five weeks of hourly data with a daily and a weekly pattern: fit on the first four, forecast
 * the fifth (168 steps). With season_week = 168 the weekly season is used and the RMSE against
 * the noise-free fifth week is well below the daily-only model's. */
static void test_hw_weekly_season_beats_daily_only_over_a_week(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    static double y[840], truth[840];
    make_weekly(y, 840, 1.0);
    make_weekly(truth, 840, 0.0);
    fc_params pw = {3600, 24, 168, 840}, pd = {3600, 24, 0, 840};
    void *sw = hw_new(&pw), *sd = hw_new(&pd);
    fcbuf *bw = fcbuf_new(), *bd = fcbuf_new();
    assert_int_equal(hw_fit_n(sw, &pw, y, 672), 0);
    assert_int_equal(hw_fit_n(sd, &pd, y, 672), 0);
    hw_info iw, id;
    hw_get_info(sw, &iw);
    hw_get_info(sd, &id);
    assert_int_equal(iw.period, 24);
    assert_int_equal(iw.wperiod, 168);
    assert_true(iw.delta > 0.0 && iw.delta < 1.0 - iw.alpha);
    assert_int_equal(id.wperiod, 0);
    assert_float_equal(id.delta, 0.0, 0);
    assert_int_equal(hw_ops.forecast(sw, 168, &bw->out), 0);
    assert_int_equal(hw_ops.forecast(sd, 168, &bd->out), 0);
    assert_true(all_finite(bw, 168));
    double ew = rmse_vs(bw, truth + 672, 168), ed = rmse_vs(bd, truth + 672, 168);
    /* the 80 % interval of the weekly model covers most of the noisy fifth week */
    int in80 = 0;
    for (size_t k = 0; k < 168; k++)
        in80 += y[672 + k] >= bw->lo80[k] && y[672 + k] <= bw->hi80[k];
    print_message("hw weekly: 168-step RMSE %.3f (daily-only %.3f); alpha %.3f gamma %.4f delta "
                  "%.4f phi %.3f; 80%% interval covers %d / 168\n",
                  ew, ed, iw.alpha, iw.gamma, iw.delta, iw.phi, in80);
    assert_true(ew < 2.0);
    assert_true(ew < 0.25 * ed);
    assert_true(in80 >= 0.6 * 168);
    /* the fitted state runs on through update(): one more week, then the next week's forecast */
    for (size_t t = 672; t < 840; t++)
        hw_ops.update(sw, y[t]);
    assert_int_equal(hw_ops.forecast(sw, 168, &bw->out), 0);
    static double t6[1008];
    make_weekly(t6, 1008, 0.0);
    assert_true(rmse_vs(bw, t6 + 840, 168) < 2.0);
    test_free(bw);
    test_free(bd);
    test_free(sw);
    test_free(sd);
}

/* Below two full weeks of fitted history the weekly season is not used: forecasts and intervals
 * are bit for bit those of season_week = 0; at exactly two weeks it is. Also when max_history cuts
 * the window below two weeks, and when season_week is not a multiple of season_day. */
static void test_hw_weekly_needs_two_full_weeks(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    static double y[840];
    make_weekly(y, 840, 1.0);
    fc_params pw = {3600, 24, 168, 840}, pd = {3600, 24, 0, 840};
    fc_params pshort = {3600, 24, 168, 335}, podd = {3600, 24, 170, 840};
    void *sw = hw_new(&pw), *sd = hw_new(&pd), *ss = hw_new(&pshort), *so = hw_new(&podd);
    fcbuf *bw = fcbuf_new(), *bd = fcbuf_new();
    hw_info in;
    const size_t lens[3] = {100, 300, 335};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(hw_fit_n(sw, &pw, y, lens[i]), 0);
        assert_int_equal(hw_fit_n(sd, &pd, y, lens[i]), 0);
        hw_get_info(sw, &in);
        assert_int_equal(in.wperiod, 0);
        assert_int_equal(in.period, lens[i] >= 48 ? 24 : 0);
        assert_int_equal(hw_ops.forecast(sw, 400, &bw->out), 0);
        assert_int_equal(hw_ops.forecast(sd, 400, &bd->out), 0);
        assert_memory_equal(bw->mean, bd->mean, 400 * sizeof(double));
        assert_memory_equal(bw->lo80, bd->lo80, 400 * sizeof(double));
        assert_memory_equal(bw->hi95, bd->hi95, 400 * sizeof(double));
        for (size_t t = 0; t < 30; t++) {               /* and they go on identically */
            double v = t % 7 == 3 ? NAN : y[lens[i] + t];
            hw_ops.update(sw, v);
            hw_ops.update(sd, v);
        }
        assert_int_equal(hw_ops.forecast(sw, 400, &bw->out), 0);
        assert_int_equal(hw_ops.forecast(sd, 400, &bd->out), 0);
        assert_memory_equal(bw->mean, bd->mean, 400 * sizeof(double));
        assert_memory_equal(bw->hi80, bd->hi80, 400 * sizeof(double));
    }
    assert_int_equal(hw_fit_n(sw, &pw, y, 336), 0);     /* exactly two weeks */
    hw_get_info(sw, &in);
    assert_int_equal(in.wperiod, 168);
    assert_int_equal(hw_fit_n(sw, &pw, y, 336 + 5), 0);
    hw_get_info(sw, &in);
    assert_int_equal(in.wperiod, 168);
    /* two weeks only counting from the first observed point */
    static double yn[341];
    memcpy(yn, y, sizeof yn);
    for (size_t t = 0; t < 6; t++)
        yn[t] = NAN;
    assert_int_equal(hw_fit_n(sw, &pw, yn, 341), 0);
    hw_get_info(sw, &in);
    assert_int_equal(in.wperiod, 0);
    assert_int_equal(hw_fit_n(ss, &pshort, y, 840), 0);   /* max_history 335 < two weeks */
    hw_get_info(ss, &in);
    assert_int_equal(in.wperiod, 0);
    assert_int_equal(hw_fit_n(so, &podd, y, 840), 0);     /* 170 is not a number of days */
    hw_get_info(so, &in);
    assert_int_equal(in.wperiod, 0);
    assert_int_equal(in.period, 24);
    test_free(bw);
    test_free(bd);
    test_free(sw);
    test_free(sd);
    test_free(ss);
    test_free(so);
}

/* A state with the weekly season saves as a mode-2 version-2 image of the documented size, loads
 * back into a fresh state bit for bit (forecasts, intervals, the continuation, the next image),
 * also in the middle of a gap; it does not load into a state sized for another season_week. */
static void test_hw_weekly_save_load_roundtrip_is_bit_exact(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    fc_params p = {3600, 24, 168, 840};
    static double y[700];
    make_weekly(y, 700, 1.0);
    for (size_t t = 690; t < 700; t++)
        y[t] = NAN;                                     /* save in the middle of a gap */
    void *a = hw_new(&p), *c = hw_new(&p);
    fcbuf *fa = fcbuf_new(), *fc = fcbuf_new();
    assert_int_equal(hw_fit_n(a, &p, y, 700), 0);
    hw_info in;
    hw_get_info(a, &in);
    assert_int_equal(in.wperiod, 168);
    size_t need = hw_ops.save(a, NULL, 0);
    assert_int_equal(need, HW_SAVE_FIXED + 8 * 24 + 8 + 8 * 168);
    uint8_t *buf = test_malloc(need), *buf2 = test_malloc(need);
    assert_int_equal(hw_ops.save(a, buf, need - 1), need);
    assert_int_equal(hw_ops.save(a, buf, need), need);
    assert_int_equal(buf[2], 2);                        /* version 2 */
    assert_int_equal(buf[3], 2);                        /* fitted, with the week */
    assert_int_equal(buf[20], 168);                     /* season_week */
    assert_int_equal(hw_ops.load(c, &p, buf, need), 0);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(hw_ops.forecast(a, 600, &fa->out), 0);
        assert_int_equal(hw_ops.forecast(c, 600, &fc->out), 0);
        assert_memory_equal(fa->mean, fc->mean, sizeof fa->mean);
        assert_memory_equal(fa->lo80, fc->lo80, sizeof fa->lo80);
        assert_memory_equal(fa->hi80, fc->hi80, sizeof fa->hi80);
        assert_memory_equal(fa->lo95, fc->lo95, sizeof fa->lo95);
        assert_memory_equal(fa->hi95, fc->hi95, sizeof fa->hi95);
        assert_int_equal(hw_ops.save(c, buf2, need), need);
        assert_memory_equal(buf, buf2, need);           /* and saves the same bytes again */
        for (size_t t = 0; t < 101; t++) {               /* both continue identically */
            double v = t == 5 ? NAN : 100.0 + 3.0 * rng_normal();
            hw_ops.update(a, v);
            hw_ops.update(c, v);
        }
        assert_int_equal(hw_ops.save(a, buf, need), need);
    }
    /* the weekly part is checked like the rest */
    fc_params other = p;
    other.season_week = 0;
    void *o = hw_new(&other);
    assert_int_equal(hw_ops.load(o, &other, buf, need), -MAI_EPROTO);
    for (size_t len = 0; len < need; len++)
        assert_int_equal(hw_ops.load(c, &p, buf, len), -MAI_EPROTO);
    memcpy(buf2, buf, need);
    put_f64(buf2 + HW_SAVE_FIXED + 8 * 24, 1.5);        /* delta out of [0, 1] */
    assert_int_equal(hw_ops.load(c, &p, buf2, need), -MAI_EPROTO);
    memcpy(buf2, buf, need);
    put_f64(buf2 + need - 8, NAN);                      /* a weekly slot */
    assert_int_equal(hw_ops.load(c, &p, buf2, need), -MAI_EPROTO);
    memcpy(buf2, buf, need);
    buf2[12] = 168;                                     /* season index past the week */
    buf2[13] = buf2[14] = buf2[15] = 0;
    assert_int_equal(hw_ops.load(c, &p, buf2, need), -MAI_EPROTO);
    memcpy(buf2, buf, need);
    buf2[2] = 1;                                        /* mode 2 does not exist in version 1 */
    assert_int_equal(hw_ops.load(c, &p, buf2, need), -MAI_EPROTO);
    test_free(o);
    test_free(buf);
    test_free(buf2);
    test_free(fa);
    test_free(fc);
    test_free(a);
    test_free(c);
}

/* Version-1 images (the layout before the weekly season: offset 20 reserved, no mode 2) still
 * load: the statsmodels known answer from a version-1 image, also into a state sized for a week,
 * and a fitted daily state's image relabelled as version 1 gives the same forecasts. */
static void test_hw_version1_images_still_load(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    uint8_t img[HW_SAVE_FIXED + 8 * 24];
    double d[14] = {0.35, 0.35 * 0.1, 0.2, 0.9, 49.5, 0.28, 1.0, 0.0, 1.0, 0.0, 49.5, 0, 0, 0};
    size_t n = make_blob(img, 1, 12, 12, 0, 0, 1, d, ref_a_s0);
    img[2] = 1;                                         /* version 1 */
    fcbuf *b = fcbuf_new(), *b2 = fcbuf_new();
    for (uint32_t week = 0; week <= 84; week += 84) {
        fc_params p = {300, 12, week, 2016};
        void *st = hw_new(&p);
        assert_int_equal(hw_ops.load(st, &p, img, n), 0);
        for (size_t t = 0; t < 120; t++)
            hw_ops.update(st, ref_y[t]);
        assert_int_equal(hw_ops.forecast(st, 24, &b->out), 0);
        for (size_t k = 0; k < 24; k++)
            assert_float_equal(b->mean[k], ref_a_fc[k], 1e-9);
        hw_info in;
        hw_get_info(st, &in);
        assert_int_equal(in.wperiod, 0);
        /* a version-1 image with offset 20 set, or with mode 2, is refused */
        img[20] = 84;
        assert_int_equal(hw_ops.load(st, &p, img, n), -MAI_EPROTO);
        img[20] = 0;
        img[3] = 2;
        assert_int_equal(hw_ops.load(st, &p, img, n), -MAI_EPROTO);
        img[3] = 1;
        test_free(st);
    }
    /* a fitted daily model (with a fallback state too) saved, relabelled version 1, loaded */
    fc_params p = {300, 24, 0, 2016};
    double y[500];
    make_seasonal(y, 500, 24, 10.0, 1.0);
    void *a = hw_new(&p), *c = hw_new(&p);
    assert_int_equal(hw_fit_n(a, &p, y, 500), 0);
    uint8_t buf[HW_SAVE_FIXED + 8 * 24];
    size_t need = hw_ops.save(a, buf, sizeof buf);
    assert_int_equal(need, sizeof buf);
    buf[2] = 1;
    assert_int_equal(hw_ops.load(c, &p, buf, need), 0);
    assert_int_equal(hw_ops.forecast(a, 300, &b->out), 0);
    assert_int_equal(hw_ops.forecast(c, 300, &b2->out), 0);
    assert_memory_equal(b->mean, b2->mean, 300 * sizeof(double));
    assert_memory_equal(b->hi95, b2->hi95, 300 * sizeof(double));
    hw_ops.init(a, &p);
    hw_ops.update(a, 7.0);
    hw_ops.update(a, 9.0);
    need = hw_ops.save(a, buf, sizeof buf);
    buf[2] = 1;
    assert_int_equal(hw_ops.load(c, &p, buf, need), 0);
    assert_int_equal(hw_ops.forecast(a, 300, &b->out), 0);
    assert_int_equal(hw_ops.forecast(c, 300, &b2->out), 0);
    assert_memory_equal(b->mean, b2->mean, 300 * sizeof(double));
    assert_memory_equal(b->hi95, b2->hi95, 300 * sizeof(double));
    buf[2] = 3;                                         /* an unknown version is refused */
    assert_int_equal(hw_ops.load(c, &p, buf, need), -MAI_EPROTO);
    test_free(a);
    test_free(c);
    test_free(b);
    test_free(b2);
}

/* Known parameters and states with a week (m = 4, mw = 12, from a mode-2 image): the mean is
 * l + phi_h b + s_day + s_week, and v_h / sigma2 is the daily-only table value plus, for each
 * j = mw, 2 mw, ... < h, (c_j + delta)^2 - c_j^2 with c_j = alpha + beta phi_j + gamma (the
 * c_j of the double-seasonal model gains delta at the multiples of the week). */
static void test_hw_weekly_forecast_and_variance_with_known_states(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    const double a = 0.3, bt = 0.05, g = 0.1, dl = 0.15, phi = 0.9, l0 = 10.0, b0 = 0.5;
    double day[4] = {1.0, -2.0, 0.5, 0.5}, week[12];
    for (int k = 0; k < 12; k++)
        week[k] = 0.25 * (k % 5) - 0.3 * (k / 4);
    fc_params p = {3600, 4, 12, 2016};
    uint8_t buf[HW_SAVE_FIXED + 8 * (4 + 1 + 12)];
    double d[14] = {a, bt, g, phi, l0, b0, 1.0, 0.0, 1.0, 0.0, l0, 0.0, 0.0, 0.0};
    make_blob(buf, 2, 4, 4, 5, 0, 1, d, day);           /* mode 2, season index 5 of the week */
    buf[20] = 12;
    put_f64(buf + HW_SAVE_FIXED + 8 * 4, dl);
    for (int k = 0; k < 12; k++)
        put_f64(buf + HW_SAVE_FIXED + 8 * 5 + 8 * k, week[k]);
    void *st = hw_new(&p);
    assert_int_equal(hw_ops.load(st, &p, buf, sizeof buf), 0);
    hw_info in;
    hw_get_info(st, &in);
    assert_int_equal(in.wperiod, 12);
    assert_float_equal(in.delta, dl, 0);
    fcbuf *b = fcbuf_new();
    assert_int_equal(hw_ops.forecast(st, 60, &b->out), 0);
    double phih = 0.0, pw = 1.0, extra = 0.0, pj = 0.0, pwj = 1.0;
    for (int h = 1; h <= 60; h++) {
        pw *= phi;
        phih += pw;
        double want = l0 + phih * b0 + day[(5 + h - 1) % 4] + week[(5 + h - 1) % 12];
        assert_float_equal(b->mean[h - 1], want, 1e-12);
        if (h >= 2) {                                   /* j = h - 1 */
            pwj *= phi;
            pj += pwj;
            if ((h - 1) % 12 == 0) {
                double cj = a + bt * pj + g;
                extra += (cj + dl) * (cj + dl) - cj * cj;
            }
        }
        double v = relvar_table(a, bt, g, phi, 4, h) + extra;
        double r = (b->hi95[h - 1] - b->mean[h - 1]) / Z95;
        assert_float_equal(r * r, v, 1e-9 * v);
    }
    /* one observation moves the week's slot by delta e and the day's slot by gamma e */
    double y1 = b->mean[0] + 2.0;
    hw_ops.update(st, y1);
    uint8_t after[sizeof buf];
    assert_int_equal(hw_ops.save(st, after, sizeof after), sizeof after);
    double w5, d1;
    uint64_t bits = 0;
    for (int k = 0; k < 8; k++)
        bits |= (uint64_t)after[HW_SAVE_FIXED + 8 * 5 + 8 * 5 + k] << (8 * k);
    memcpy(&w5, &bits, 8);
    bits = 0;
    for (int k = 0; k < 8; k++)
        bits |= (uint64_t)after[HW_SAVE_FIXED + 8 * 1 + k] << (8 * k);
    memcpy(&d1, &bits, 8);
    assert_true(fabs(w5 - (week[5] + dl * 2.0)) < 1e-12);     /* (about 0: -0.3 + 0.15 x 2) */
    assert_true(fabs(d1 - (day[1] + g * 2.0)) < 1e-12);
    test_free(b);
    test_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hw_constant_series_forecasts_the_constant),
        cmocka_unit_test(test_hw_linear_trend_recovered_at_h10),
        cmocka_unit_test(test_hw_daily_season_recovered),
        cmocka_unit_test(test_hw_gaps_never_produce_nan),
        cmocka_unit_test(test_hw_all_nan_series_never_produces_nan),
        cmocka_unit_test(test_hw_short_history_falls_back_to_last_value),
        cmocka_unit_test(test_hw_forecast_rejects_zero_horizon),
        cmocka_unit_test(test_hw_season_needs_two_full_periods),
        cmocka_unit_test(test_hw_fit_uses_only_max_history),
        cmocka_unit_test(test_hw_state_size_is_bounded),
        cmocka_unit_test(test_hw_save_load_roundtrip_is_bit_exact),
        cmocka_unit_test(test_hw_load_rejects_truncated_and_garbled_bytes),
        cmocka_unit_test(test_hw_overflow_falls_back_without_nan),
        cmocka_unit_test(test_hw_80_interval_covers_80_percent_one_step),
        cmocka_unit_test(test_hw_interval_after_gaps_covers_80_percent),
        cmocka_unit_test(test_hw_matches_statsmodels_with_known_parameters),
        cmocka_unit_test(test_hw_interval_follows_ets_variance_table),
        cmocka_unit_test(test_hw_fit_near_statsmodels_free_fit),
        cmocka_unit_test(test_hw_weekly_season_beats_daily_only_over_a_week),
        cmocka_unit_test(test_hw_weekly_needs_two_full_weeks),
        cmocka_unit_test(test_hw_weekly_save_load_roundtrip_is_bit_exact),
        cmocka_unit_test(test_hw_version1_images_still_load),
        cmocka_unit_test(test_hw_weekly_forecast_and_variance_with_known_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
