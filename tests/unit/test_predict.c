/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_predict.c -- `metrics-ai predict` end to end through predict_main() on temp
 * files: one row per listed (origin_ts, target_ts), ordered finite intervals, no look-ahead past
 * the origin, train-fraction origins, usage errors (exit 2, one line) and data errors (exit 1,
 * file:line on stderr). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter/predict.h"

#define T0 1700000100LL     /* a multiple of 300 */
#define STEP 300
#define NPTS (3 * 288)      /* three days */
#define O1 600              /* origins, as point indexes */
#define O2 650

static char dir[64];

static int setup(void **state)
{
    (void)state;
    unsetenv("TRAIN_FRACTION");
    snprintf(dir, sizeof dir, "/tmp/test_predict_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static void rm(const char *name)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    unlink(p);
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"web1.csv", "bad.csv", "origins.csv", "out.csv", "out2.csv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        rm(names[i]);
    rmdir(dir);
    return 0;
}

static const char *path(const char *name)
{
    static char buf[8][128];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    return p;
}

static uint64_t rng = 88172645463325252ULL;

static double noise(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53 - 0.5;
}

/* A daily sine with noise at 300 s; points listed in skip are missing. Points after index
 * wild_after (if >= 0) are replaced by wild values. */
static void write_series(const char *file, long wild_after)
{
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "timestamp,value\n");
    rng = 88172645463325252ULL;
    const long skip[] = {O1 + 3, O2 + 12, 100, 101, 102};
    for (long i = 0; i < NPTS; i++) {
        double v = 50 + 20 * sin(2 * M_PI * (double)i / 288) + 2 * noise();
        if (wild_after >= 0 && i > wild_after)
            v = (i % 2 ? 1e6 : -1e6) * (1 + noise());
        int skipped = 0;
        for (size_t k = 0; k < sizeof skip / sizeof skip[0]; k++)
            skipped |= skip[k] == i;
        if (!skipped)
            fprintf(f, "%lld,%.6f\n", T0 + i * STEP, v);
    }
    fclose(f);
}

static const long targets[] = {3, 12, 288};

static void write_origins(const char *file)
{
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "series,origin_ts,target_ts\n");
    /* the later origin first: the file order does not matter */
    const long origins[] = {O2, O1};
    for (size_t o = 0; o < 2; o++)
        for (size_t k = 0; k < 3; k++)
            fprintf(f, "web1,%lld,%lld\n", T0 + origins[o] * STEP,
                    T0 + (origins[o] + targets[k]) * STEP);
    fprintf(f, "other,%lld,%lld\n", T0, T0 + STEP);     /* another series: no rows here */
    fclose(f);
}

/* Runs predict_main with the given arguments (NULL-terminated after "predict"); stderr into
 * *err (caller frees). Returns the exit code. */
static int run(char **err, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"predict";
    va_list ap;
    va_start(ap, err);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31;)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    FILE *cap = tmpfile();
    assert_non_null(cap);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(cap), 2) >= 0);
    int rc = predict_main(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    long n = ftell(cap);
    if (n < 0) {
        fseek(cap, 0, SEEK_END);
        n = ftell(cap);
    }
    char *s = calloc(1, (size_t)n + 1);
    rewind(cap);
    assert_int_equal(fread(s, 1, (size_t)n, cap), (size_t)n);
    fclose(cap);
    *err = s;
    return rc;
}

static size_t lines_in(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

typedef struct row {
    char series[32];
    long long origin, target;
    double yhat, lo, hi;
    char text[512];
} row;

/* Reads the output file: checks the header and each row's shape; returns the rows. */
static row *read_output(const char *file, size_t *nrows)
{
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "series,origin_ts,target_ts,yhat,yhat_lower,yhat_upper\n");
    size_t cap = 64, n = 0;
    row *rows = malloc(cap * sizeof *rows);
    while (fgets(line, sizeof line, f)) {
        if (n == cap)
            rows = realloc(rows, (cap *= 2) * sizeof *rows);
        row *r = &rows[n++];
        snprintf(r->text, sizeof r->text, "%s", line);
        char *fields[8];
        int nf = 0;
        char *save = NULL;
        for (char *tok = strtok_r(line, ",\n", &save); tok && nf < 8;
             tok = strtok_r(NULL, ",\n", &save))
            fields[nf++] = tok;
        if (nf != 6) {
            print_error("row \"%s\" has %d fields\n", r->text, nf);
            fail();
        }
        snprintf(r->series, sizeof r->series, "%.31s", fields[0]);
        char *end;
        r->origin = strtoll(fields[1], &end, 10);
        assert_true(*end == '\0');
        r->target = strtoll(fields[2], &end, 10);
        assert_true(*end == '\0');
        double *v[3] = {&r->yhat, &r->lo, &r->hi};
        for (int k = 0; k < 3; k++) {
            *v[k] = strtod(fields[3 + k], &end);
            assert_true(*end == '\0');
            if (!isfinite(*v[k])) {
                print_error("row \"%s\": not finite\n", r->text);
                fail();
            }
        }
        if (!(r->lo <= r->yhat && r->yhat <= r->hi)) {
            print_error("row \"%s\": interval does not hold the forecast\n", r->text);
            fail();
        }
    }
    fclose(f);
    *nrows = n;
    return rows;
}

static void test_predict_one_row_per_listed_pair(void **state)
{
    (void)state;
    write_series(path("web1.csv"), -1);
    write_origins(path("origins.csv"));
    char *err;
    int rc = run(&err, "--input", path("web1.csv"), "--output", path("out.csv"), "--origins",
                 path("origins.csv"), NULL);
    if (rc != 0)
        print_error("stderr: %s\n", err);
    assert_int_equal(rc, 0);
    free(err);
    size_t n;
    row *rows = read_output(path("out.csv"), &n);
    assert_int_equal(n, 6);
    const long origins[] = {O1, O2};
    for (size_t o = 0; o < 2; o++) {
        for (size_t k = 0; k < 3; k++) {
            long long ot = T0 + origins[o] * STEP, tt = T0 + (origins[o] + targets[k]) * STEP;
            size_t found = 0;
            for (size_t i = 0; i < n; i++)
                found += rows[i].origin == ot && rows[i].target == tt;
            if (found != 1) {
                print_error("pair (%lld, %lld): %zu rows\n", ot, tt, found);
                fail();
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].series, "web1");
        /* near the noise-free sine (noise is +-1) at the short horizons; the day-ahead one
         * rests on two days of history, only sane */
        long long k = (rows[i].target - T0) / STEP;
        double truth = 50 + 20 * sin(2 * M_PI * (double)k / 288);
        int near_term = rows[i].target - rows[i].origin <= 12 * STEP;
        if (!(fabs(rows[i].yhat - truth) < (near_term ? 4 : 40)) ||
            (near_term && !(rows[i].hi - rows[i].lo < 8))) {
            print_error("row \"%s\": truth %g\n", rows[i].text, truth);
            fail();
        }
    }
    free(rows);
}

static void test_predict_uses_only_data_up_to_the_origin(void **state)
{
    (void)state;
    write_origins(path("origins.csv"));
    write_series(path("web1.csv"), -1);
    char *err;
    assert_int_equal(run(&err, "--input", path("web1.csv"), "--output", path("out.csv"),
                         "--origins", path("origins.csv"), NULL), 0);
    free(err);
    write_series(path("web1.csv"), O1);       /* everything after the first origin goes wild */
    assert_int_equal(run(&err, "--input", path("web1.csv"), "--output", path("out2.csv"),
                         "--origins", path("origins.csv"), NULL), 0);
    free(err);
    size_t na, nb;
    row *a = read_output(path("out.csv"), &na);
    row *b = read_output(path("out2.csv"), &nb);
    assert_int_equal(na, 6);
    assert_int_equal(nb, 6);
    size_t same = 0, changed = 0;
    for (size_t i = 0; i < na; i++) {
        for (size_t j = 0; j < nb; j++) {
            if (a[i].origin != b[j].origin || a[i].target != b[j].target)
                continue;
            if (a[i].origin == T0 + O1 * STEP) {
                assert_string_equal(a[i].text, b[j].text);
                same++;
            } else {
                changed += strcmp(a[i].text, b[j].text) != 0;
            }
        }
    }
    assert_int_equal(same, 3);
    assert_int_equal(changed, 3);           /* the later origin did see the change */
    free(a);
    free(b);
}

static void test_predict_train_fraction_origins(void **state)
{
    (void)state;
    write_series(path("web1.csv"), -1);
    char *err;
    int rc = run(&err, "--input", path("web1.csv"), "--output", path("out.csv"),
                 "--train-fraction", "0.8", "--origins-count", "4", NULL);
    if (rc != 0)
        print_error("stderr: %s\n", err);
    assert_int_equal(rc, 0);
    free(err);
    size_t n;
    row *rows = read_output(path("out.csv"), &n);
    const long long K = 288;                /* the default longest horizon, 24h at 300 s */
    assert_int_equal(n, 4 * K);
    long long origins[4];
    size_t no = 0;
    for (size_t i = 0; i < n; i++) {
        size_t o = 0;
        while (o < no && origins[o] != rows[i].origin)
            o++;
        if (o == no) {
            assert_true(no < 4);
            origins[no++] = rows[i].origin;
        }
    }
    assert_int_equal(no, 4);
    long long last = T0 + (NPTS - 1) * STEP;
    for (size_t o = 0; o < 4; o++) {
        /* in the last 20% of the data, on the grid */
        assert_true(origins[o] >= T0 + (long long)(0.8 * NPTS - 1) * STEP);
        assert_true(origins[o] <= last);
        assert_int_equal((origins[o] - T0) % STEP, 0);
        /* every step 1 .. K exactly once */
        char seen[288] = {0};
        for (size_t i = 0; i < n; i++) {
            if (rows[i].origin != origins[o])
                continue;
            long long d = rows[i].target - rows[i].origin;
            assert_int_equal(d % STEP, 0);
            long long k = d / STEP;
            assert_true(k >= 1 && k <= K);
            assert_int_equal(seen[k - 1], 0);
            seen[k - 1] = 1;
        }
        for (long long k = 0; k < K; k++)
            assert_int_equal(seen[k], 1);
    }
    free(rows);
}

static void usage_error(const char *what, const char *mention, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, mention);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 15;)
        argv[argc++] = (char *)a;
    va_end(ap);
    while (argc < 15)
        argv[argc++] = NULL;
    rm("out.csv");
    char *err;
    int rc = run(&err, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7],
                 NULL);
    if (rc != 2 || lines_in(err) != 1 || strstr(err, mention) == NULL) {
        print_error("%s: exit %d, stderr \"%s\" (want 2, one line naming %s)\n", what, rc, err,
                    mention);
        fail();
    }
    free(err);
    assert_int_equal(access(path("out.csv"), F_OK), -1);      /* no output was started */
}

static void test_predict_bad_usage_exits_2_with_one_line(void **state)
{
    (void)state;
    write_series(path("web1.csv"), -1);
    char in[128], out[128];                 /* path() reuses its buffers */
    snprintf(in, sizeof in, "%s", path("web1.csv"));
    snprintf(out, sizeof out, "%s", path("out.csv"));
    usage_error("missing --output", "--output", "--input", in, NULL);
    usage_error("missing --input", "--input", "--output", out, NULL);
    usage_error("unknown flag", "--bogus", "--input", in, "--output", out, "--bogus", NULL);
    usage_error("flag without value", "--horizon", "--input", in, "--output", out, "--horizon",
                NULL);
    usage_error("horizon not a duration", "--horizon", "--input", in, "--output", out,
                "--horizon", "soon", NULL);
    usage_error("horizons descending", "--horizon", "--input", in, "--output", out, "--horizon",
                "1h,15m", NULL);
    usage_error("zero horizon", "--horizon", "--input", in, "--output", out, "--horizon", "0m",
                NULL);
    usage_error("too many horizons", "--horizon", "--input", in, "--output", out, "--horizon",
                "5m,10m,15m,20m,25m", NULL);
    usage_error("empty horizon list", "--horizon", "--input", in, "--output", out, "--horizon",
                ",", NULL);
    usage_error("bad step", "--step", "--input", in, "--output", out, "--step", "5x", NULL);
    usage_error("bad train fraction", "--train-fraction", "--input", in, "--output", out,
                "--train-fraction", "1.5", NULL);
}

static void test_predict_bad_data_line_exits_1_naming_file_and_line(void **state)
{
    (void)state;
    FILE *f = fopen(path("bad.csv"), "w");
    assert_non_null(f);
    fprintf(f, "timestamp,value\n%lld,1\n%lld,2\n\n%lld,two\n%lld,4\n", T0, T0 + STEP,
            T0 + 2 * STEP, T0 + 3 * STEP);
    fclose(f);
    char *err, where[160];
    int rc = run(&err, "--input", path("bad.csv"), "--output", path("out.csv"), NULL);
    snprintf(where, sizeof where, "%s:5:", path("bad.csv"));
    if (rc != 1 || strstr(err, where) == NULL || lines_in(err) != 1) {
        print_error("exit %d, stderr \"%s\" (want 1, one line naming %s)\n", rc, err, where);
        fail();
    }
    free(err);
    /* the output holds the header and nothing else */
    size_t n;
    row *rows = read_output(path("out.csv"), &n);
    assert_int_equal(n, 0);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predict_one_row_per_listed_pair),
        cmocka_unit_test(test_predict_uses_only_data_up_to_the_origin),
        cmocka_unit_test(test_predict_train_fraction_origins),
        cmocka_unit_test(test_predict_bad_usage_exits_2_with_one_line),
        cmocka_unit_test(test_predict_bad_data_line_exits_1_naming_file_and_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
