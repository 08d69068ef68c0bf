/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_iforest.c -- the Isolation Forest (models/iforest.c): outliers score highest and
 * are flagged, the inlier flag rate follows contamination, determinism by seed, the "why" vector,
 * small and degenerate inputs, NaN handling, and agreement with scikit-learn on real NAB data
 * (tests/unit/known/iforest_reference.py wrote the reference CSVs; run by hand). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/base.h"
#include "models/iforest.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static uint64_t rng_state;

static void rng_seed(uint64_t s) { rng_state = s ? s : 0x9e3779b97f4a7c15ull; }

static double rng_u(void) /* (0, 1) */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) + 0.5) * 0x1.0p-53;
}

static double rng_gauss(void)
{
    return sqrt(-2.0 * log(rng_u())) * cos(6.283185307179586 * rng_u());
}

/* n x dims standard Gaussian blob */
static double *blob(size_t n, uint32_t dims, uint64_t seed)
{
    double *x = malloc(n * dims * sizeof *x);
    assert_non_null(x);
    rng_seed(seed);
    for (size_t i = 0; i < n * dims; i++)
        x[i] = rng_gauss();
    return x;
}

typedef struct model {
    void *mem;
    size_t bytes;
} model;

static model fit(const double *x, size_t n, uint32_t dims, uint32_t trees, uint32_t ms,
                 double cont, uint64_t seed)
{
    model m;
    m.bytes = iforest_size(trees, ms, dims);
    assert_true(m.bytes > 0);
    m.mem = calloc(1, m.bytes);
    void *scratch = malloc(iforest_scratch_size(n, dims));
    assert_non_null(m.mem);
    assert_non_null(scratch);
    assert_int_equal(iforest_fit(m.mem, x, n, dims, trees, ms, cont, seed, scratch), 0);
    free(scratch);
    return m;
}

static size_t count_flags(const model *m, const double *x, size_t n, uint32_t dims)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)iforest_is_anomaly(m->mem, x + i * dims);
    return k;
}

/* ---- behaviour ---------------------------------------------------------------------------- */

static void test_clear_outlier_scores_highest_and_is_flagged(void **unused)
{
    (void)unused;
    const size_t n = 500;
    const uint32_t d = 3;
    double *x = blob(n, d, 1);
    x[(n - 1) * d + 0] = 7.0; /* the last row is far out */
    x[(n - 1) * d + 1] = -7.0;
    x[(n - 1) * d + 2] = 7.0;
    model m = fit(x, n, d, 0, 0, 0.05, 7);
    double top = -1.0;
    size_t arg = 0;
    for (size_t i = 0; i < n; i++) {
        double s = iforest_score(m.mem, x + i * d);
        if (s > top) {
            top = s;
            arg = i;
        }
    }
    assert_int_equal(arg, n - 1);
    assert_true(top > 0.7);
    assert_true(iforest_is_anomaly(m.mem, x + (n - 1) * d));
    double centre[3] = {0, 0, 0};
    assert_false(iforest_is_anomaly(m.mem, centre));
    assert_true(iforest_score(m.mem, centre) < 0.5);
    free(m.mem);
    free(x);
}

static void test_inlier_flag_rate_follows_contamination(void **unused)
{
    (void)unused;
    const size_t n = 2000;
    const uint32_t d = 4;
    double *x = blob(n, d, 2);
    model m = fit(x, n, d, 100, 256, 0.1, 11);
    size_t k = count_flags(&m, x, n, d);
    /* the threshold is the 0.9 quantile of the training scores: ~200 of the training rows */
    assert_true(k >= 190 && k <= 210);
    double *y = blob(n, d, 3); /* fresh points from the same blob */
    size_t k2 = count_flags(&m, y, n, d);
    assert_true(k2 >= 120 && k2 <= 280);
    double thr = iforest_threshold(m.mem);
    assert_true(thr > 0.4 && thr < 0.7);
    free(m.mem);
    free(x);
    free(y);
}

static void test_deterministic_by_seed(void **unused)
{
    (void)unused;
    const size_t n = 700;
    const uint32_t d = 2;
    double *x = blob(n, d, 4);
    model a = fit(x, n, d, 50, 128, 0.1, 99);
    model b = fit(x, n, d, 50, 128, 0.1, 99);
    model c = fit(x, n, d, 50, 128, 0.1, 100);
    assert_int_equal(a.bytes, b.bytes);
    assert_memory_equal(a.mem, b.mem, a.bytes);
    int differ = 0;
    for (size_t i = 0; i < n; i++) {
        double sa = iforest_score(a.mem, x + i * d), sb = iforest_score(b.mem, x + i * d);
        assert_true(mai_double_bits(sa) == mai_double_bits(sb));
        differ |= sa != iforest_score(c.mem, x + i * d);
    }
    assert_true(differ);
    free(a.mem);
    free(b.mem);
    free(c.mem);
    free(x);
}

static void test_explain_points_at_the_extreme_feature(void **unused)
{
    (void)unused;
    const size_t n = 1000;
    const uint32_t d = 4;
    double *x = blob(n, d, 5);
    model m = fit(x, n, d, 0, 0, 0.05, 3);
    double p[4] = {0.1, -0.2, 9.0, 0.3}; /* extreme in feature 2 only */
    assert_true(iforest_is_anomaly(m.mem, p));
    double c[4];
    iforest_explain(m.mem, p, c);
    double sum = 0.0;
    for (uint32_t f = 0; f < d; f++) {
        assert_true(c[f] >= 0.0);
        sum += c[f];
    }
    assert_true(fabs(sum - 1.0) < 1e-12);
    for (uint32_t f = 0; f < d; f++)
        if (f != 2)
            assert_true(c[2] > c[f]);
    assert_true(c[2] > 0.5);
    printf("explain (feature 2 extreme): %.3f %.3f %.3f %.3f\n", c[0], c[1], c[2], c[3]);

    double q[4] = {-8.0, 0.0, 0.0, 0.0}; /* extreme in feature 0 only */
    iforest_explain(m.mem, q, c);
    assert_true(c[0] > 0.5);
    free(m.mem);
    free(x);
}

static void test_scores_in_unit_interval(void **unused)
{
    (void)unused;
    const size_t n = 300;
    const uint32_t d = 2;
    double *x = blob(n, d, 6);
    model m = fit(x, n, d, 0, 0, 0.1, 5);
    rng_seed(77);
    for (int i = 0; i < 2000; i++) {
        double p[2] = {(rng_u() - 0.5) * 1e6 * rng_u(), (rng_u() - 0.5) * 10};
        if (i % 97 == 0)
            p[i % 2] = NAN;
        if (i % 101 == 0)
            p[0] = INFINITY;
        double s = iforest_score(m.mem, p);
        assert_true(s >= 0.0 && s <= 1.0);
    }
    free(m.mem);
    free(x);
}

static void test_n_smaller_than_max_samples(void **unused)
{
    (void)unused;
    const uint32_t d = 2;
    double x[11 * 2];
    rng_seed(8);
    for (int i = 0; i < 20; i++)
        x[i] = rng_gauss();
    x[20] = 30.0;
    x[21] = 30.0;
    model m = fit(x, 11, d, 100, 256, 0.1, 1);
    double top = 0.0;
    for (size_t i = 0; i < 10; i++) {
        double s = iforest_score(m.mem, x + i * d);
        assert_true(s >= 0.0 && s <= 1.0);
        if (s > top)
            top = s;
    }
    assert_true(iforest_score(m.mem, x + 20) > top);
    assert_true(iforest_is_anomaly(m.mem, x + 20));
    free(m.mem);

    model one = fit(x, 1, d, 10, 256, 0.1, 1); /* psi = 1: c(1) = 0, score 0.5 as sklearn */
    assert_true(iforest_score(one.mem, x) == 0.5);
    assert_false(iforest_is_anomaly(one.mem, x + 20));
    free(one.mem);
}

static void test_degenerate_all_equal_flags_nothing(void **unused)
{
    (void)unused;
    const size_t n = 400;
    const uint32_t d = 3;
    double *x = malloc(n * d * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n * d; i++)
        x[i] = 42.0;
    model m = fit(x, n, d, 0, 0, 0.1, 9);
    assert_int_equal(count_flags(&m, x, n, d), 0);
    assert_true(fabs(iforest_score(m.mem, x) - 0.5) < 1e-12);
    double far[3] = {1e9, -1e9, 0.0};
    double s = iforest_score(m.mem, far);
    assert_true(s >= 0.0 && s <= 1.0);
    double c[3] = {1, 1, 1};
    iforest_explain(m.mem, x, c);
    assert_true(c[0] == 0.0 && c[1] == 0.0 && c[2] == 0.0);
    free(m.mem);

    model a = fit(x, n, d, 0, 0, 0.0, 9); /* "auto" threshold 0.5 */
    assert_true(iforest_threshold(a.mem) == 0.5);
    assert_int_equal(count_flags(&a, x, n, d), 0);
    free(a.mem);
    free(x);
}

static void test_nan_features_are_imputed_with_the_median(void **unused)
{
    (void)unused;
    const size_t n = 600;
    const uint32_t d = 3;
    double *x = blob(n, d, 10);
    for (size_t i = 0; i < n; i += 7)
        x[i * d + (i % 3)] = NAN;
    x[1 * d + 0] = NAN; /* row 1: missing feature 0, extreme feature 1 */
    x[1 * d + 1] = 9.0;
    x[1 * d + 2] = 0.0;
    model m = fit(x, n, d, 0, 0, 0.05, 2);
    size_t k = count_flags(&m, x, n, d);
    assert_true(k >= 20 && k <= 40);
    const double *p = x + 1 * d;
    assert_true(iforest_is_anomaly(m.mem, p));
    double c[3];
    iforest_explain(m.mem, p, c);
    assert_true(c[1] > 0.5);
    double q[3] = {NAN, NAN, NAN}; /* all missing = the median point: an inlier */
    assert_false(iforest_is_anomaly(m.mem, q));
    free(m.mem);
    free(x);
}

static void test_bad_arguments(void **unused)
{
    (void)unused;
    double x[4] = {1, 2, 3, 4};
    size_t bytes = iforest_size(10, 16, 2);
    void *mem = calloc(1, bytes);
    void *scr = malloc(iforest_scratch_size(2, 2));
    assert_non_null(mem);
    assert_non_null(scr);
    assert_int_equal(iforest_size(10, 16, 0), 0);
    assert_int_equal(iforest_size(10, 70000, 2), 0);
    assert_int_equal(iforest_fit(mem, x, 0, 2, 10, 16, 0.1, 1, scr), -MAI_EINVAL);
    assert_int_equal(iforest_fit(mem, x, 2, 2, 10, 16, 0.6, 1, scr), -MAI_EINVAL);
    assert_int_equal(iforest_fit(mem, x, 2, 2, 10, 16, NAN, 1, scr), -MAI_EINVAL);
    assert_true(isnan(iforest_score(mem, x))); /* never fitted */
    assert_false(iforest_is_anomaly(mem, x));
    assert_int_equal(iforest_fit(mem, x, 2, 2, 10, 16, 0.1, 1, scr), 0);
    assert_false(isnan(iforest_score(mem, x)));
    free(mem);
    free(scr);
}

static void test_fit_time_1440x4(void **unused)
{
    (void)unused;
    const size_t n = 1440;
    const uint32_t d = 4;
    double *x = blob(n, d, 12);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    model m = fit(x, n, d, 100, 256, 0.12, 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double acc = 0.0;
    for (size_t i = 0; i < n; i++)
        acc += iforest_score(m.mem, x + i * d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
                1e3 / (double)n;
    assert_true(acc > 0.0);
    printf("iforest 100 trees x 256, 1440 x 4: %zu bytes, fit %.2f ms (incl. training scores), "
           "score %.2f us/point, scratch %zu bytes\n",
           m.bytes, ms, us, iforest_scratch_size(n, d));
    free(m.mem);
    free(x);
}

/* ---- agreement with scikit-learn ---------------------------------------------------------- */

#define REF_DIMS 4
#define REF_MAX 2000

typedef struct ref_set {
    size_t n;
    double x[REF_MAX * REF_DIMS];
    double sk_score[REF_MAX];
    int sk_flag[REF_MAX];
} ref_set;

/* timestamp,f0,f1,f2,f3,sk_score,sk_flag after one '#' line and one header line */
static void load_ref(const char *path, ref_set *r)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s (run the tests from the project root)", path);
    char line[512];
    r->n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == 't')
            continue;
        assert_true(r->n < REF_MAX);
        char *p = line, *e;
        (void)strtod(p, &e); /* timestamp */
        for (int j = 0; j < REF_DIMS; j++) {
            assert_true(*e == ',');
            r->x[r->n * REF_DIMS + (size_t)j] = strtod(e + 1, &e);
        }
        assert_true(*e == ',');
        r->sk_score[r->n] = strtod(e + 1, &e);
        assert_true(*e == ',');
        r->sk_flag[r->n] = (int)strtol(e + 1, &e, 10);
        r->n++;
    }
    fclose(f);
    assert_true(r->n > 0);
}

static const double *rank_key;

static int cmp_idx(const void *a, const void *b)
{
    double x = rank_key[*(const size_t *)a], y = rank_key[*(const size_t *)b];
    return (x > y) - (x < y);
}

/* average ranks (ties share the mean rank), as scipy.stats.rankdata */
static void ranks(const double *v, size_t n, size_t *idx, double *rk)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    rank_key = v;
    qsort(idx, n, sizeof *idx, cmp_idx);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[idx[j + 1]] == v[idx[i]])
            j++;
        double r = 0.5 * (double)(i + j) + 1.0;
        for (size_t k = i; k <= j; k++)
            rk[idx[k]] = r;
        i = j + 1;
    }
}

static double spearman(const double *a, const double *b, size_t n)
{
    size_t *idx = malloc(n * sizeof *idx);
    double *ra = malloc(n * sizeof *ra), *rb = malloc(n * sizeof *rb);
    assert_non_null(idx);
    assert_non_null(ra);
    assert_non_null(rb);
    ranks(a, n, idx, ra);
    ranks(b, n, idx, rb);
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += ra[i];
        mb += rb[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(idx);
    free(ra);
    free(rb);
    return sab / sqrt(saa * sbb);
}

static void compare(const char *path, int flags_must_match, double min_rho)
{
    ref_set *r = malloc(sizeof *r);
    assert_non_null(r);
    load_ref(path, r);
    model m = fit(r->x, r->n, REF_DIMS, 100, 256, 0.12, 42);
    double *s = malloc(r->n * sizeof *s);
    assert_non_null(s);
    size_t same = 0, ours = 0, theirs = 0, both = 0;
    for (size_t i = 0; i < r->n; i++) {
        s[i] = iforest_score(m.mem, r->x + i * REF_DIMS);
        int fl = iforest_is_anomaly(m.mem, r->x + i * REF_DIMS);
        same += fl == r->sk_flag[i];
        ours += (size_t)fl;
        theirs += (size_t)r->sk_flag[i];
        both += (size_t)(fl && r->sk_flag[i]);
    }
    double rho = spearman(s, r->sk_score, r->n);
    printf("%s: n=%zu spearman=%.4f flags: ours %zu sklearn %zu both %zu, same on %zu/%zu rows; "
           "threshold ours %.4f\n",
           path, r->n, rho, ours, theirs, both, same, r->n, iforest_threshold(m.mem));
    assert_true(rho >= min_rho);
    if (flags_must_match)
        for (size_t i = 0; i < r->n; i++)
            assert_int_equal(iforest_is_anomaly(m.mem, r->x + i * REF_DIMS), r->sk_flag[i]);
    free(s);
    free(m.mem);
    free(r);
}

static void test_sklearn_clear_cut_same_flags(void **unused)
{
    (void)unused;
    compare("tests/unit/known/iforest_clearcut.csv", 1, 0.9);
}

static void test_sklearn_nab4_rank_correlation(void **unused)
{
    (void)unused;
    compare("tests/unit/known/iforest_nab4.csv", 0, 0.9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_outlier_scores_highest_and_is_flagged),
        cmocka_unit_test(test_inlier_flag_rate_follows_contamination),
        cmocka_unit_test(test_deterministic_by_seed),
        cmocka_unit_test(test_explain_points_at_the_extreme_feature),
        cmocka_unit_test(test_scores_in_unit_interval),
        cmocka_unit_test(test_n_smaller_than_max_samples),
        cmocka_unit_test(test_degenerate_all_equal_flags_nothing),
        cmocka_unit_test(test_nan_features_are_imputed_with_the_median),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_fit_time_1440x4),
        cmocka_unit_test(test_sklearn_clear_cut_same_flags),
        cmocka_unit_test(test_sklearn_nab4_rank_correlation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
