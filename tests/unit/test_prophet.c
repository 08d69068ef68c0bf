/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_prophet.c -- the Prophet-style member: what it recovers (constant, trend,
 * changepoint, daily season), that gaps never become NaN, keep-hyper refits, save/load, interval
 * coverage, and a known answer computed independently (tests/unit/known/prophet_reference.py). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/base.h"
#include "models/prophet.h"

#define TWO_PI 6.283185307179586

/* cmocka's assert_float_equal compares floats (single precision): this is the double one. */
#define assert_near(a, b, tol) assert_near_at((a), (b), (tol), __FILE__, __LINE__)

static void assert_near_at(double a, double b, double tol, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%.17g != %.17g (tolerance %g)\n", a, b, tol);
        _fail(file, line);
    }
}

static const fc_params P5M = {300.0, 288, 2016, 2016};

/* A fitted (or failed) forecaster with its own memory. */
typedef struct fx {
    void *st;
    void *scr;
    fc_params p;
} fx;

static fx fx_new(const fc_params *p, size_t n)
{
    fx f;
    f.p = *p;
    f.st = malloc(prophet_ops.state_size(p));
    f.scr = malloc(prophet_ops.fit_scratch_size(p, n));
    assert_non_null(f.st);
    assert_non_null(f.scr);
    prophet_ops.init(f.st, p);
    return f;
}

static void fx_free(fx *f)
{
    free(f->st);
    free(f->scr);
}

typedef struct fcst {
    double *mean, *lo80, *hi80, *lo95, *hi95;
    fc_output out;
} fcst;

static fcst fc_new(size_t h)
{
    fcst o;
    double *m = calloc(5 * h, sizeof(double));
    assert_non_null(m);
    o.mean = m;
    o.lo80 = m + h;
    o.hi80 = m + 2 * h;
    o.lo95 = m + 3 * h;
    o.hi95 = m + 4 * h;
    o.out = (fc_output){o.mean, o.lo80, o.hi80, o.lo95, o.hi95};
    return o;
}

static void fc_run(const fx *f, size_t h, fcst *o)
{
    assert_int_equal(prophet_ops.forecast(f->st, h, &o->out), 0);
}

static void assert_all_finite_ordered(const fcst *o, size_t h)
{
    for (size_t k = 0; k < h; k++) {
        assert_true(isfinite(o->mean[k]) && isfinite(o->lo80[k]) && isfinite(o->hi80[k]) &&
                    isfinite(o->lo95[k]) && isfinite(o->hi95[k]));
        assert_true(o->lo95[k] <= o->lo80[k] && o->lo80[k] <= o->mean[k]);
        assert_true(o->mean[k] <= o->hi80[k] && o->hi80[k] <= o->hi95[k]);
    }
}

/* xorshift64* and Box-Muller: reproducible Gaussian noise. */
static uint64_t rng_s = 0x9E3779B97F4A7C15ULL;

static double urand(void)
{
    rng_s ^= rng_s >> 12;
    rng_s ^= rng_s << 25;
    rng_s ^= rng_s >> 27;
    return (double)((rng_s * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

static double nrand(void)
{
    double u = urand(), v = urand();
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(TWO_PI * v);
}

static void test_prophet_ops_contract(void **state)
{
    (void)state;
    assert_string_equal(prophet_ops.name, "prophet");
    assert_true(prophet_ops.state_size(&P5M) <= 1024);
    assert_true(prophet_ops.fit_scratch_size(&P5M, 2016) <= 1000 * 1000);
    /* max_history caps the scratch: more points cost nothing more */
    assert_int_equal(prophet_ops.fit_scratch_size(&P5M, 100000),
                     prophet_ops.fit_scratch_size(&P5M, 2016));
    fx f = fx_new(&P5M, 16);
    fcst o = fc_new(4);
    assert_int_equal(prophet_ops.forecast(f.st, 0, &o.out), -MAI_EINVAL);
    prophet_hyper hp;
    assert_int_equal(prophet_get_hyper(f.st, &hp), -MAI_EINVAL);   /* nothing selected yet */
    free(o.mean);
    fx_free(&f);
}

static void test_prophet_constant_series_forecasts_the_constant(void **state)
{
    (void)state;
    double y[2016];
    for (size_t i = 0; i < 2016; i++)
        y[i] = 42.5;
    fx f = fx_new(&P5M, 2016);
    assert_int_equal(prophet_ops.fit(f.st, y, 2016, f.scr), 0);
    fcst o = fc_new(288);
    fc_run(&f, 288, &o);
    assert_all_finite_ordered(&o, 288);
    for (size_t k = 0; k < 288; k++) {
        assert_near(o.mean[k], 42.5, 1e-9);
        assert_true(o.hi95[k] - o.lo95[k] < 1e-6);
    }
    free(o.mean);
    fx_free(&f);
}

static void test_prophet_linear_trend_recovered_within_1pct_at_h10(void **state)
{
    (void)state;
    double y[2016];
    for (size_t i = 0; i < 2016; i++)
        y[i] = 100.0 + 0.5 * (double)i;
    fx f = fx_new(&P5M, 2016);
    assert_int_equal(prophet_ops.fit(f.st, y, 2016, f.scr), 0);
    fcst o = fc_new(10);
    fc_run(&f, 10, &o);
    double truth = 100.0 + 0.5 * (2015 + 10);
    /* the 10-step increase (5.0) within 1%, not just the level */
    assert_near(o.mean[9] - y[2015], truth - y[2015], 0.01 * (truth - y[2015]));
    free(o.mean);
    fx_free(&f);
}

static double kinked(size_t i)
{
    return i < 1200 ? 10.0 + 0.02 * (double)i : 10.0 + 0.02 * 1200 - 0.03 * ((double)i - 1200);
}

static void test_prophet_trend_change_is_followed(void **state)
{
    (void)state;
    double y[2016];
    for (size_t i = 0; i < 2016; i++)
        y[i] = kinked(i);
    fx f = fx_new(&P5M, 2016);
    assert_int_equal(prophet_ops.fit(f.st, y, 2016, f.scr), 0);
    fcst o = fc_new(50);
    fc_run(&f, 50, &o);
    double slope = (o.mean[49] - o.mean[0]) / 49.0;
    assert_near(slope, -0.03, 0.05 * 0.03);          /* the new slope, within 5% */
    for (size_t k = 0; k < 50; k++)
        assert_near(o.mean[k], kinked(2016 + k), 0.1);  /* a line through both would miss by ~10 */
    free(o.mean);
    fx_free(&f);
}

static void test_prophet_daily_season_recovered_within_2pct_of_amplitude(void **state)
{
    (void)state;
    enum { N = 5 * 288 };
    double y[N];
    const double amp = 3.0;
    for (size_t i = 0; i < N; i++)
        y[i] = 20.0 + amp * sin(TWO_PI * (double)i / 288.0 + 0.7);
    fx f = fx_new(&P5M, N);
    assert_int_equal(prophet_ops.fit(f.st, y, N, f.scr), 0);
    prophet_hyper hp;
    assert_int_equal(prophet_get_hyper(f.st, &hp), 0);
    assert_true(hp.order_day > 0);
    fcst o = fc_new(288);
    fc_run(&f, 288, &o);
    for (size_t k = 0; k < 288; k++) {
        double truth = 20.0 + amp * sin(TWO_PI * (double)(N + k) / 288.0 + 0.7);
        assert_near(o.mean[k], truth, 0.02 * amp);
    }
    free(o.mean);
    fx_free(&f);
}

static void test_prophet_gaps_never_produce_nan(void **state)
{
    (void)state;
    enum { N = 2016 };
    double y[N];
    double stale;
    uint64_t sb = MAI_STALE_NAN_BITS;
    memcpy(&stale, &sb, sizeof stale);
    rng_s = 7;
    for (size_t i = 0; i < N; i++) {
        y[i] = 50 + 10 * sin(TWO_PI * (double)i / 288.0) + nrand();
        if (urand() < 0.3 || (i >= 700 && i < 1000) || i >= N - 20 || i < 5)
            y[i] = (i % 2) ? NAN : stale;
    }
    y[300] = INFINITY;                   /* not a number either */
    fx f = fx_new(&P5M, N);
    assert_int_equal(prophet_ops.fit(f.st, y, N, f.scr), 0);
    fcst o = fc_new(600);
    fc_run(&f, 600, &o);
    assert_all_finite_ordered(&o, 600);
    assert_near(o.mean[0], 50 + 10 * sin(TWO_PI * (double)N / 288.0), 3.0);
    for (int i = 0; i < 50; i++)
        prophet_ops.update(f.st, i % 3 ? NAN : 55.0);
    fc_run(&f, 600, &o);
    assert_all_finite_ordered(&o, 600);
    assert_int_equal(prophet_fit_keep_hyper(f.st, y, N, f.scr), 0);
    fc_run(&f, 600, &o);
    assert_all_finite_ordered(&o, 600);
    free(o.mean);
    fx_free(&f);
}

static void test_prophet_all_nan_falls_back_without_nan(void **state)
{
    (void)state;
    double y[500];
    for (size_t i = 0; i < 500; i++)
        y[i] = NAN;
    fx f = fx_new(&P5M, 500);
    assert_int_equal(prophet_ops.fit(f.st, y, 500, f.scr), -MAI_EINVAL);
    fcst o = fc_new(100);
    fc_run(&f, 100, &o);
    assert_all_finite_ordered(&o, 100);
    assert_int_equal(prophet_fit_keep_hyper(f.st, y, 500, f.scr), -MAI_EINVAL);
    fc_run(&f, 100, &o);
    assert_all_finite_ordered(&o, 100);
    prophet_ops.init(f.st, &f.p);                  /* never fitted, never fed */
    fc_run(&f, 100, &o);
    assert_all_finite_ordered(&o, 100);
    free(o.mean);
    fx_free(&f);
}

static void test_prophet_too_little_data_gives_last_value_with_wide_interval(void **state)
{
    (void)state;
    double y[6] = {10, 12, NAN, 11, 13, 12};
    fx f = fx_new(&P5M, 6);
    assert_int_equal(prophet_ops.fit(f.st, y, 6, f.scr), -MAI_EINVAL);
    fcst o = fc_new(12);
    fc_run(&f, 12, &o);
    assert_all_finite_ordered(&o, 12);
    for (size_t k = 0; k < 12; k++) {
        assert_near(o.mean[k], 12.0, 0);
        assert_true(o.hi80[k] - o.lo80[k] >= 2.0);      /* wider than the data's own spread */
    }
    /* update() alone, never fitted: still the last value */
    prophet_ops.init(f.st, &f.p);
    prophet_ops.update(f.st, 3.0);
    prophet_ops.update(f.st, NAN);
    fc_run(&f, 12, &o);
    assert_near(o.mean[11], 3.0, 0);
    assert_true(o.hi95[0] > o.lo95[0]);
    free(o.mean);
    fx_free(&f);
}

static void test_prophet_keep_hyper_refit_keeps_hyperparameters(void **state)
{
    (void)state;
    enum { N = 2016 };
    static double a[N], b[N];
    rng_s = 11;
    for (size_t i = 0; i < N; i++) {
        a[i] = 100 + 20 * sin(TWO_PI * (double)i / 288.0) + 5 * cos(3 * TWO_PI * i / 288.0) +
               nrand();
        b[i] = 300 + 0.05 * (double)i + 2 * nrand();          /* no season, another level */
    }
    fx f = fx_new(&P5M, N);
    prophet_hyper ha, hb, hk;
    assert_int_equal(prophet_ops.fit(f.st, b, N, f.scr), 0);
    assert_int_equal(prophet_get_hyper(f.st, &hb), 0);
    assert_int_equal(prophet_ops.fit(f.st, a, N, f.scr), 0);
    assert_int_equal(prophet_get_hyper(f.st, &ha), 0);
    /* precondition: a full fit selects differently on the two series */
    assert_true(ha.order_day != hb.order_day || ha.cps != hb.cps || ha.alpha != hb.alpha ||
                ha.phi != hb.phi);
    assert_int_equal(prophet_fit_keep_hyper(f.st, b, N, f.scr), 0);
    assert_int_equal(prophet_get_hyper(f.st, &hk), 0);
    assert_memory_equal(&hk, &ha, sizeof ha);
    /* ... while the coefficients were refitted on b */
    fcst o = fc_new(1);
    fc_run(&f, 1, &o);
    assert_near(o.mean[0], 300 + 0.05 * N, 10.0);
    /* a window too short for daily terms: fitted without them, the selection is still kept */
    assert_int_equal(prophet_fit_keep_hyper(f.st, b, 400, f.scr), 0);
    assert_int_equal(prophet_get_hyper(f.st, &hk), 0);
    assert_memory_equal(&hk, &ha, sizeof ha);
    free(o.mean);
    fx_free(&f);
}

static void test_prophet_update_moves_forecast_between_refits(void **state)
{
    (void)state;
    enum { N = 2016 };
    static double y[N];
    rng_s = 5;
    double v = 0;
    for (size_t i = 0; i < N; i++) {
        v += nrand();                      /* a random walk: persistent residuals */
        y[i] = 1000 + v;
    }
    fx f = fx_new(&P5M, N);
    assert_int_equal(prophet_ops.fit(f.st, y, N, f.scr), 0);
    prophet_hyper hp;
    assert_int_equal(prophet_get_hyper(f.st, &hp), 0);
    assert_true(hp.alpha > 0);
    fcst o = fc_new(1);
    double target = y[N - 1] + 40;                           /* a jump the trend did not see */
    for (int i = 0; i < 30; i++)
        prophet_ops.update(f.st, target);
    fc_run(&f, 1, &o);
    assert_near(o.mean[0], target, 10.0);
    free(o.mean);
    fx_free(&f);
}

/* Season + random walk: every part of the state is in use (alpha > 0, a non-zero level). */
static void make_fitted(fx *f, double *y, size_t n)
{
    rng_s = 3;
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        w += 0.1 * nrand();
        y[i] = 10 + w + 2 * sin(TWO_PI * (double)i / 288.0) + 0.1 * nrand();
    }
    *f = fx_new(&P5M, n);
    assert_int_equal(prophet_ops.fit(f->st, y, n, f->scr), 0);
    prophet_hyper hp;
    assert_int_equal(prophet_get_hyper(f->st, &hp), 0);
    assert_true(hp.alpha > 0 && hp.order_day > 0);
    prophet_ops.update(f->st, 11.0);
    prophet_ops.update(f->st, NAN);
    prophet_ops.update(f->st, 10.5);
}

static void test_prophet_save_load_forecast_bit_identical(void **state)
{
    (void)state;
    static double y[2016];
    fx f;
    make_fitted(&f, y, 2016);
    uint8_t small[8];
    assert_int_equal(prophet_ops.save(f.st, small, sizeof small), PROPHET_SAVE_BYTES);
    uint8_t buf[PROPHET_SAVE_BYTES];
    assert_int_equal(prophet_ops.save(f.st, buf, sizeof buf), PROPHET_SAVE_BYTES);
    fx g = fx_new(&P5M, 16);
    assert_int_equal(prophet_ops.load(g.st, &P5M, buf, sizeof buf), 0);
    fcst a = fc_new(600), b = fc_new(600);
    fc_run(&f, 600, &a);
    fc_run(&g, 600, &b);
    assert_memory_equal(a.mean, b.mean, 5 * 600 * sizeof(double));
    /* and they go on identically */
    prophet_ops.update(f.st, 12.0);
    prophet_ops.update(g.st, 12.0);
    fc_run(&f, 600, &a);
    fc_run(&g, 600, &b);
    assert_memory_equal(a.mean, b.mean, 5 * 600 * sizeof(double));
    /* the image of a loaded state is the same bytes */
    uint8_t buf2[PROPHET_SAVE_BYTES];
    prophet_ops.save(f.st, buf, sizeof buf);
    prophet_ops.save(g.st, buf2, sizeof buf2);
    assert_memory_equal(buf, buf2, sizeof buf);
    prophet_hyper h1, h2;
    assert_int_equal(prophet_get_hyper(f.st, &h1), 0);
    assert_int_equal(prophet_get_hyper(g.st, &h2), 0);
    assert_memory_equal(&h1, &h2, sizeof h1);
    free(a.mean);
    free(b.mean);
    fx_free(&f);
    fx_free(&g);
}

static void put_le64(uint8_t *p, double v)
{
    uint64_t b = mai_double_bits(v);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(b >> (8 * i));
}

static void test_prophet_garbled_load_is_eproto(void **state)
{
    (void)state;
    static double y[2016];
    fx f;
    make_fitted(&f, y, 2016);
    uint8_t good[PROPHET_SAVE_BYTES], bad[PROPHET_SAVE_BYTES + 1];
    assert_int_equal(prophet_ops.save(f.st, good, sizeof good), PROPHET_SAVE_BYTES);
    fcst before = fc_new(48), after = fc_new(48);
    fc_run(&f, 48, &before);

    /* size checks */
    assert_int_equal(prophet_ops.load(f.st, &P5M, good, sizeof good - 1), -MAI_EPROTO);
    memcpy(bad, good, sizeof good);
    bad[sizeof good] = 0;
    assert_int_equal(prophet_ops.load(f.st, &P5M, bad, sizeof bad), -MAI_EPROTO);
    assert_int_equal(prophet_ops.load(f.st, &P5M, good, 0), -MAI_EPROTO);
    /* header, params and field ranges (offsets from the layout in prophet.c) */
    struct { size_t off; uint8_t v; } pokes[] = {
        {0, 'X'}, {4, 2}, {5, 0x80}, {5, 1}, {6, 11}, {8, 11}, {10, 1}, {12, 26}, {16, 100},
    };
    for (size_t i = 0; i < sizeof pokes / sizeof pokes[0]; i++) {
        memcpy(bad, good, sizeof good);
        bad[pokes[i].off] = pokes[i].v;
        assert_int_equal(prophet_ops.load(f.st, &P5M, bad, sizeof good), -MAI_EPROTO);
    }
    struct { size_t off; double v; } dpokes[] = {
        {64, NAN}, {64, -1.0}, {72, 0.0}, {32, 0.0}, {40, 1.5}, {48, -0.1},
        {296, INFINITY}, {728, -1.0}, {96, 2.0}, {96 + 8 * 24, 0.5},
        {296 + 8 * 47, 1.0},   /* a weekly coefficient while ord_w = 0 (window < 2 weeks) */
    };
    for (size_t i = 0; i < sizeof dpokes / sizeof dpokes[0]; i++) {
        memcpy(bad, good, sizeof good);
        put_le64(bad + dpokes[i].off, dpokes[i].v);
        assert_int_equal(prophet_ops.load(f.st, &P5M, bad, sizeof good), -MAI_EPROTO);
    }
    fc_params other = P5M;
    other.season_day = 96;
    assert_int_equal(prophet_ops.load(f.st, &other, good, sizeof good), -MAI_EPROTO);
    /* a refused image leaves the state as it was */
    fc_run(&f, 48, &after);
    assert_memory_equal(before.mean, after.mean, 5 * 48 * sizeof(double));
    /* every single-byte corruption: refused, or accepted and still never NaN */
    size_t refused = 0;
    for (size_t i = 0; i < sizeof good; i++) {
        memcpy(bad, good, sizeof good);
        bad[i] ^= 0xA5;
        int rc = prophet_ops.load(f.st, &P5M, bad, sizeof good);
        assert_true(rc == 0 || rc == -MAI_EPROTO);
        refused += rc != 0;
        fc_run(&f, 48, &after);
        for (size_t k = 0; k < 48; k++)
            assert_false(isnan(after.mean[k]) || isnan(after.lo95[k]) || isnan(after.hi95[k]));
    }
    assert_true(refused > 100);
    assert_int_equal(prophet_ops.load(f.st, &P5M, good, sizeof good), 0);
    free(before.mean);
    free(after.mean);
    fx_free(&f);
}

static void test_prophet_interval_coverage_80_on_seasonal_gaussian_series(void **state)
{
    (void)state;
    enum { W = 2016, ORIG = 12, H = 48, N = W + ORIG * 100 + H };
    static double y[N];
    rng_s = 2024;
    for (size_t i = 0; i < N; i++)
        y[i] = 40 + 6 * sin(TWO_PI * (double)i / 288.0) + 2 * cos(2 * TWO_PI * i / 288.0) + nrand();
    fx f = fx_new(&P5M, W);
    fcst o = fc_new(H);
    size_t in80 = 0, in95 = 0, tot = 0;
    for (size_t r = 0; r < ORIG; r++) {
        size_t end = W + r * 100;                  /* history y[end-W .. end) */
        assert_int_equal(prophet_ops.fit(f.st, y + end - W, W, f.scr), 0);
        fc_run(&f, H, &o);
        for (size_t k = 0; k < H; k++) {
            double v = y[end + k];
            in80 += v >= o.lo80[k] && v <= o.hi80[k];
            in95 += v >= o.lo95[k] && v <= o.hi95[k];
            tot++;
        }
    }
    double c80 = (double)in80 / (double)tot, c95 = (double)in95 / (double)tot;
    print_message("coverage80 %.3f coverage95 %.3f over %zu\n", c80, c95, tot);
    assert_true(c80 >= 0.70 && c80 <= 0.90);
    assert_true(c95 >= 0.88 && c95 <= 0.99);
    free(o.mean);
    fx_free(&f);
}

/* Known answer: numbers printed by tests/unit/known/prophet_reference.py (numpy lstsq on the
 * augmented system) for this series and the fixed hyperparameters below. */
/* generated by tests/unit/known/prophet_reference.py (numpy 1.24.2) */
static const double ka_mean[30] = {
    52.609827735710532, 52.644231278867814, 52.685394892192001,
    52.730902353598324, 52.778010287355201, 52.823701575070473,
    52.86474448956195, 52.897756540695681, 52.919271936539339,
    52.925811494980017, 52.913953791562164, 52.880406299708788,
    52.822075270397164, 52.736133110158583, 52.620082049018748,
    52.471812943413781, 52.289658132582062, 52.072437359478123,
    51.819495877573814, 51.530733991372685, 51.206627419124139,
    50.848238018860002, 50.457214581012209, 50.035783559814718,
    49.586729788581856, 49.113367397804922, 48.619501326756875,
    48.109379985870703, 47.587639785524871, 47.059242394097836,
};
static const double ka_hi80[30] = {
    54.143742825050388, 54.178147113773306, 54.219311956272485,
    54.26482125136426, 54.311931744216942, 54.357626437336549,
    54.398673724436712, 54.43169123627623, 54.453213301811644,
    54.45976085981416, 54.447912606706545, 54.41437613678324,
    54.356057821884896, 54.270130189396838, 54.154095590188049,
    54.005845001525742, 53.823710883465594, 53.606513099764008,
    53.353597024677484, 53.064863083475174, 52.740787115151079,
    52.382431098458554, 51.991443944525905, 51.570052228256024,
    51.12104090360242, 50.647724221663431, 50.153907242284376,
    49.643838496433297, 49.122154514983777, 48.593817086766585,
};
static const double ka_hi95[30] = {
    54.955748423787618, 54.990153107189144, 55.031318600374256,
    55.076828866160476, 55.123940713716649, 55.169637209548419,
    55.210686811367793, 55.243707213930335, 55.2652328101873,
    55.271784602902052, 55.259941352486486, 55.22641071722051,
    55.168099132925995, 55.08217919096451, 54.96615330617562,
    54.817912519790646, 54.635789355822084, 54.418603741974977,
    54.165701116445362, 53.876981968431835, 53.55292220084673,
    53.194583856349524, 52.803615909961316, 52.382245000463264,
    51.933256145671422, 51.459963660529624, 50.966172668710335,
    50.456131764989024, 49.934477544025512, 49.406171858414183,
};

static void test_prophet_known_answer_matches_numpy_reference(void **state)
{
    (void)state;
    enum { N = 700, PERIOD = 96, H = 30 };
    double y[N];
    for (size_t i = 0; i < N; i++) {
        double v = 50.0 + 0.01 * (double)i + (i > 400 ? -0.025 * ((double)i - 400) : 0.0);
        v += 5.0 * sin(TWO_PI * (double)i / PERIOD) + 2.0 * cos(2 * TWO_PI * (double)i / PERIOD);
        v += (double)((i * 7919) % 101) / 101.0 - 0.5;
        if (i == 250)
            v += 30.0;
        if (i < 3 || i >= N - 2 || i % 37 == 5)
            v = NAN;
        y[i] = v;
    }
    const fc_params p = {900.0, PERIOD, 0, 0};
    fx f = fx_new(&p, N);
    const prophet_hyper hp = {0.05, 3, 0, 0.0, 1.0};
    assert_int_equal(prophet_fit_with_hyper(f.st, y, N, f.scr, &hp), 0);
    fcst o = fc_new(H);
    fc_run(&f, H, &o);
    for (size_t k = 0; k < H; k++) {
        assert_near(o.mean[k], ka_mean[k], 1e-8);
        assert_near(o.hi80[k], ka_hi80[k], 1e-8);
        assert_near(o.hi95[k], ka_hi95[k], 1e-8);
        assert_near(o.mean[k] - o.lo80[k], o.hi80[k] - o.mean[k], 1e-9);
    }
    free(o.mean);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prophet_ops_contract),
        cmocka_unit_test(test_prophet_constant_series_forecasts_the_constant),
        cmocka_unit_test(test_prophet_linear_trend_recovered_within_1pct_at_h10),
        cmocka_unit_test(test_prophet_trend_change_is_followed),
        cmocka_unit_test(test_prophet_daily_season_recovered_within_2pct_of_amplitude),
        cmocka_unit_test(test_prophet_gaps_never_produce_nan),
        cmocka_unit_test(test_prophet_all_nan_falls_back_without_nan),
        cmocka_unit_test(test_prophet_too_little_data_gives_last_value_with_wide_interval),
        cmocka_unit_test(test_prophet_keep_hyper_refit_keeps_hyperparameters),
        cmocka_unit_test(test_prophet_update_moves_forecast_between_refits),
        cmocka_unit_test(test_prophet_save_load_forecast_bit_identical),
        cmocka_unit_test(test_prophet_garbled_load_is_eproto),
        cmocka_unit_test(test_prophet_interval_coverage_80_on_seasonal_gaussian_series),
        cmocka_unit_test(test_prophet_known_answer_matches_numpy_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
