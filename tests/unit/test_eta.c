/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_eta.c -- time to threshold: paths, robust linear fit on a real trace's noise
 * with a known fill (plain and with log-rotation sawtooth), flat disks, the seed's 9999 and
 * alert levels at their boundaries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/eta.h"

#define DAY 86400.0
#define STEP 300.0
#define TRACE_MAX 6000
#define TRACE_PATH "../shared/data/series/nab_ec2_disk_write_bytes_1ef3de.csv"

/* Real traces as noise (NAB, MIT), median 0 and largest |value| 1 (percent of the disk):
 * ec2_disk_write_bytes is mostly flat with bursts of up to the full 1%; ec2_cpu_utilization_5f5533
 * wanders everywhere (no point sits exactly on the line). */
#define CPU_PATH "../shared/data/series/nab_ec2_cpu_utilization_5f5533.csv"
static double g_noise[TRACE_MAX], g_cpu[TRACE_MAX];
static size_t g_nn, g_nc;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t load_trace(const char *path, double *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    size_t n = 0;
    while (n < TRACE_MAX && fgets(line, sizeof line, f)) {
        double ts, v;
        if (sscanf(line, "%lf,%lf", &ts, &v) == 2)
            out[n++] = v;
    }
    fclose(f);
    if (n < 2000)
        return 0;
    static double tmp[TRACE_MAX];
    for (size_t i = 0; i < n; i++)
        tmp[i] = out[i];
    qsort(tmp, n, sizeof *tmp, cmp_d);
    double med = tmp[n / 2], amax = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] -= med;
        if (fabs(out[i]) > amax)
            amax = fabs(out[i]);
    }
    for (size_t i = 0; i < n; i++)
        out[i] /= amax;
    return n;
}

static int load_noise(void)
{
    if (!g_nn)
        g_nn = load_trace(TRACE_PATH, g_noise);
    return g_nn != 0;
}

static int load_cpu(void)
{
    if (!g_nc)
        g_nc = load_trace(CPU_PATH, g_cpu);
    return g_nc != 0;
}

static double g_t[TRACE_MAX], g_y[TRACE_MAX];

/* Disk % at 5-minute steps: 50% + rate_per_day * t + noise * amp, minus drop% at every
 * rotate_s seconds (0: never). Returns the noiseless level at the last point. */
static double make_disk(size_t n, double rate_per_day, double amp, double drop, double rotate_s,
                        double rot_phase_s)
{
    double truth = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i * STEP;
        double v = 50.0 + rate_per_day * t / DAY;
        if (rotate_s > 0)
            v -= drop * floor((t + rot_phase_s) / rotate_s);
        truth = v;
        g_t[i] = 1393695240.0 + t;      /* the trace's own epoch: any origin works */
        g_y[i] = v + amp * g_noise[i];
    }
    return truth;
}

static void test_linear_fill_on_real_trace(void **state)
{
    (void)state;
    if (!load_noise())
        skip();
    size_t n = g_nn;                    /* 4730 points, 16.4 days */
    double rate = 1.5;                  /* % per day */
    double now = make_disk(n, rate, 1.0, 0, 0, 0);
    double truth = (90.0 - now) / rate * DAY;
    double lo, hi;
    double eta = eta_linear(g_t, g_y, n, 90.0, 365 * DAY, &lo, &hi);
    print_message("fill %.1f%%/day: now %.2f%%, true %.3f d, eta %.3f d [%.3f, %.3f]\n", rate, now,
                  truth / DAY, eta / DAY, lo / DAY, hi / DAY);
    assert_true(fabs(eta - truth) <= 0.05 * truth);
    assert_true(lo <= eta && eta <= hi);
    assert_true(hi - lo < 0.5 * truth);
    assert_int_equal(eta_alert_level(eta_days_seed(eta)), ETA_SOON);

    /* a shorter window (7 days) at a faster fill, with bursts at three times the size */
    n = 2016;
    rate = 3.0;
    now = make_disk(n, rate, 3.0, 0, 0, 0);
    truth = (90.0 - now) / rate * DAY;
    eta = eta_linear(g_t, g_y, n, 90.0, 365 * DAY, &lo, &hi);
    print_message("fill %.1f%%/day, bursts 3%%: true %.3f d, eta %.3f d [%.3f, %.3f]\n", rate,
                  truth / DAY, eta / DAY, lo / DAY, hi / DAY);
    assert_true(fabs(eta - truth) <= 0.05 * truth);
    assert_true(lo <= eta && eta <= hi);
}

static void test_sawtooth_uses_current_segment(void **state)
{
    (void)state;
    if (!load_noise())
        skip();
    /* 12%/day fill, 10% deleted every day (rotation at 03:00): net +2%/day */
    size_t n = 2016 + 144;              /* 7.5 days: the last rotation was ~9 hours ago */
    double rate = 12.0;
    double now = make_disk(n, rate, 1.0, 10.0, DAY, 21 * 3600.0);
    double truth = (90.0 - now) / rate * DAY;
    double lo, hi;
    double eta = eta_linear(g_t, g_y, n, 90.0, 365 * DAY, &lo, &hi);
    print_message("sawtooth: now %.2f%%, true %.3f d, eta %.3f d [%.3f, %.3f]\n", now,
                  truth / DAY, eta / DAY, lo / DAY, hi / DAY);
    assert_true(fabs(eta - truth) <= 0.05 * truth);
    assert_true(lo <= eta && eta <= hi);

    /* a rotation 4 points ago: slope from the segment before, level from the 4 points */
    n = 2016 + 4 + 100;
    double phase = DAY - (double)(n - 4) * STEP + 8 * DAY;  /* a drop exactly at index n - 4 */
    now = make_disk(n, rate, 1.0, 10.0, DAY, phase);
    assert_true(g_y[n - 5] - g_y[n - 4] > 8.0);
    truth = (90.0 - now) / rate * DAY;
    eta = eta_linear(g_t, g_y, n, 90.0, 365 * DAY, &lo, &hi);
    print_message("just rotated: now %.2f%%, true %.3f d, eta %.3f d [%.3f, %.3f]\n", now,
                  truth / DAY, eta / DAY, lo / DAY, hi / DAY);
    assert_true(fabs(eta - truth) <= 0.05 * truth);
}

/* Noise on every point: the CPU trace (+-1%) plus the disk trace's bursts (+-1%). */
static void test_linear_fill_continuous_noise(void **state)
{
    (void)state;
    if (!load_noise() || !load_cpu())
        skip();
    size_t n = g_nc < g_nn ? g_nc : g_nn;   /* 4032 points, 14 days */
    double rate = 1.0;
    double now = make_disk(n, rate, 1.0, 0, 0, 0);
    for (size_t i = 0; i < n; i++)
        g_y[i] += g_cpu[i];
    double truth = (90.0 - now) / rate * DAY;
    double lo, hi;
    double eta = eta_linear(g_t, g_y, n, 90.0, 365 * DAY, &lo, &hi);
    print_message("continuous noise, fill %.1f%%/day: true %.3f d, eta %.3f d [%.3f, %.3f]\n",
                  rate, truth / DAY, eta / DAY, lo / DAY, hi / DAY);
    assert_true(fabs(eta - truth) <= 0.05 * truth);
    assert_true(lo < eta && eta < hi);

    /* with daily rotation too (10% a day at 10.5%/day fill) */
    now = make_disk(n, 10.5, 1.0, 10.0, DAY, 21 * 3600.0);
    for (size_t i = 0; i < n; i++)
        g_y[i] += g_cpu[i];
    truth = (90.0 - now) / 10.5 * DAY;
    eta = eta_linear(g_t, g_y, n, 90.0, 365 * DAY, &lo, &hi);
    print_message("continuous noise, sawtooth: now %.2f%%, true %.3f d, eta %.3f d [%.3f, %.3f]\n",
                  now, truth / DAY, eta / DAY, lo / DAY, hi / DAY);
    assert_true(fabs(eta - truth) <= 0.05 * truth);
    assert_true(lo <= eta && eta <= hi);
}

static void test_flat_disk_is_infinite_and_ok(void **state)
{
    (void)state;
    size_t n = 2016;
    for (size_t i = 0; i < n; i++) {
        g_t[i] = (double)i * STEP;
        g_y[i] = 80.0;
    }
    double lo = 0, hi = 0;
    double eta = eta_linear(g_t, g_y, n, 90.0, 0, &lo, &hi);
    assert_true(isinf(eta) && eta > 0);
    assert_true(isinf(lo) && isinf(hi));
    assert_float_equal(eta_days_seed(eta), 9999.0, 0);
    assert_int_equal(eta_alert_level(eta_days_seed(eta)), ETA_OK);
    assert_string_equal(eta_alert_name(eta_alert_level(eta_days_seed(eta))), "OK");

    /* flat with the real trace's bursts (and a 1-year horizon) */
    if (load_noise()) {
        make_disk(g_nn, 0.0, 1.0, 0, 0, 0);
        eta = eta_linear(g_t, g_y, g_nn, 90.0, 365 * DAY, &lo, &hi);
        assert_true(isinf(eta));
        assert_float_equal(eta_days_seed(eta), 9999.0, 0);
        assert_int_equal(eta_alert_level(eta_days_seed(eta)), ETA_OK);
    }

    /* an emptying disk never reaches 90% */
    for (size_t i = 0; i < n; i++)
        g_y[i] = 80.0 - (double)i * 0.001;
    assert_true(isinf(eta_linear(g_t, g_y, n, 90.0, 0, NULL, NULL)));
}

static void test_linear_horizon_and_edges(void **state)
{
    (void)state;
    size_t n = 288;
    for (size_t i = 0; i < n; i++) {
        g_t[i] = (double)i * STEP;
        g_y[i] = 50.0 + 0.5 * g_t[i] / DAY;         /* 0.5%/day: 90% in ~79 days */
    }
    double now = g_y[n - 1];
    double truth = (90.0 - now) / 0.5 * DAY;
    double eta = eta_linear(g_t, g_y, n, 90.0, 0, NULL, NULL);
    assert_float_equal(eta, truth, 1e-6 * truth);
    assert_true(isinf(eta_linear(g_t, g_y, n, 90.0, 30 * DAY, NULL, NULL)));
    assert_float_equal(eta_linear(g_t, g_y, n, 90.0, 90 * DAY, NULL, NULL), truth, 1e-6 * truth);
    /* already over: 0 */
    assert_float_equal(eta_linear(g_t, g_y, n, 40.0, 0, NULL, NULL), 0, 0);
    /* NaN gaps are skipped */
    for (size_t i = 10; i < 40; i++)
        g_y[i] = NAN;
    assert_float_equal(eta_linear(g_t, g_y, n, 90.0, 0, NULL, NULL), truth, 1e-6 * truth);
    /* too few points */
    assert_true(isinf(eta_linear(g_t, g_y, 2, 90.0, 0, NULL, NULL)));
}

static void test_path_interpolation_exact(void **state)
{
    (void)state;
    double p[48];
    for (size_t k = 0; k < 48; k++)
        p[k] = 50.0 + 2.0 * (double)(k + 1);        /* +2 per hourly step from 50 */
    assert_float_equal(eta_from_path(p, 48, 3600, 90.0, 50.0), 20 * 3600.0, 1e-9);
    assert_float_equal(eta_from_path(p, 48, 3600, 89.0, 50.0), 19.5 * 3600.0, 1e-9);
    assert_float_equal(eta_from_path(p, 48, 3600, 51.5, 50.0), 0.75 * 3600.0, 1e-9);
    assert_float_equal(eta_from_path(p, 48, 3600, 50.0, 50.0), 0, 0);
    assert_true(isinf(eta_from_path(p, 48, 3600, 200.0, 50.0)));
    assert_true(isinf(eta_from_path(p, 10, 3600, 90.0, 50.0)));    /* beyond the path */
    /* first crossing of a path that goes back down; a NaN in the path is spanned */
    double q[6] = { 60, 95, 70, NAN, 100, 80 };
    assert_float_equal(eta_from_path(q, 6, 60, 90.0, 50.0), 60 + 60 * (30.0 / 35.0), 1e-9);
    double r[4] = { 60, NAN, 80, 100 };
    assert_float_equal(eta_from_path(r, 4, 60, 70.0, 50.0), 60 + 120 * 0.5, 1e-9);
    assert_true(isnan(eta_from_path(p, 48, 0, 90.0, 50.0)));
}

static void test_levels_at_boundaries(void **state)
{
    (void)state;
    static const struct { double hours; int level; } c[] = {
        { 71, ETA_CRITICAL }, { 72, ETA_WARNING }, { 73, ETA_WARNING },
        { 167, ETA_WARNING }, { 168, ETA_SOON }, { 169, ETA_SOON },
        { 719, ETA_SOON }, { 720, ETA_OK }, { 721, ETA_OK },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        double days = eta_days_seed(c[i].hours * 3600.0);
        assert_float_equal(days, c[i].hours / 24.0, 1e-12);
        assert_int_equal(eta_alert_level(days), c[i].level);
    }
    assert_int_equal(eta_alert_level(0), ETA_CRITICAL);
    assert_int_equal(eta_alert_level(9999.0), ETA_OK);
    assert_int_equal(eta_alert_level(NAN), ETA_OK);
    assert_string_equal(eta_alert_name(ETA_OK), "OK");
    assert_string_equal(eta_alert_name(ETA_SOON), "SOON");
    assert_string_equal(eta_alert_name(ETA_WARNING), "WARNING");
    assert_string_equal(eta_alert_name(ETA_CRITICAL), "CRITICAL");
    assert_string_equal(eta_alert_name(42), "OK");
    /* the seed's 9999 */
    assert_float_equal(eta_days_seed(INFINITY), 9999.0, 0);
    assert_float_equal(eta_days_seed(NAN), 9999.0, 0);
    assert_float_equal(eta_days_seed(10000.0 * DAY), 9999.0, 0);
    assert_float_equal(eta_days_seed(31.8 * DAY), 31.8, 1e-12);
    assert_float_equal(eta_days_seed(-5), 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_fill_on_real_trace),
        cmocka_unit_test(test_sawtooth_uses_current_segment),
        cmocka_unit_test(test_linear_fill_continuous_noise),
        cmocka_unit_test(test_flat_disk_is_infinite_and_ok),
        cmocka_unit_test(test_linear_horizon_and_edges),
        cmocka_unit_test(test_path_interpolation_exact),
        cmocka_unit_test(test_levels_at_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
