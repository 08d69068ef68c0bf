/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_csv_series.c -- the CSV series reader and grid builder of `metrics-ai
 * predict`: timestamps (unix seconds, RFC 3339), file parsing (header, blank lines, CRLF,
 * quotes, errors naming file:line; from a path or an open stream), step inference, and the
 * grid (bucket means, dropped points warned about with file:line, gaps as NaN). */
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

#include "adapter/csv_series.h"
#include "models/base.h"

static void near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol)) {
        print_error("%s: got %.17g, want %.17g +- %.3g\n", what, got, want, tol);
        fail();
    }
}

static double parse_ok(const char *s)
{
    double t = -12345;
    if (csv_parse_time(s, strlen(s), &t) != 0) {
        print_error("csv_parse_time(\"%s\") refused\n", s);
        fail();
    }
    return t;
}

static void parse_bad(const char *s)
{
    double t = -12345;
    if (csv_parse_time(s, strlen(s), &t) != -1) {
        print_error("csv_parse_time(\"%s\") accepted as %.17g\n", s, t);
        fail();
    }
    near(t, -12345, 0, "output untouched on error");
}

static void test_parse_time_unix_seconds(void **state)
{
    (void)state;
    near(parse_ok("1392388200"), 1392388200, 0, "unix");
    near(parse_ok("1392388200.5"), 1392388200.5, 0, "fractional");
    near(parse_ok("0"), 0, 0, "zero");
    near(parse_ok("1e9"), 1e9, 0, "exponent");
    near(parse_ok("-60"), -60, 0, "before 1970");
    /* only the n bytes given are read */
    double t = 0;
    assert_int_equal(csv_parse_time("1392388200,42", 10, &t), 0);
    near(t, 1392388200, 0, "length-bounded");
    parse_bad("");
    parse_bad("abc");
    parse_bad("12x");
    parse_bad("1392388200 5");
    parse_bad("nan");
    parse_bad("inf");
    parse_bad("1e999");
    char longer[100];
    memset(longer, '1', sizeof longer);
    assert_int_equal(csv_parse_time(longer, sizeof longer, &t), -1);
}

static void test_parse_time_rfc3339(void **state)
{
    (void)state;
    near(parse_ok("2014-02-14T14:30:00Z"), 1392388200, 0, "Z");
    near(parse_ok("2014-02-14t14:30:00z"), 1392388200, 0, "lower case t and z");
    near(parse_ok("2014-02-14 14:30:00Z"), 1392388200, 0, "space separator");
    near(parse_ok("2014-02-14T14:30:00.25Z"), 1392388200.25, 1e-6, "fractional seconds");
    near(parse_ok("2014-02-14T15:30:00+01:00"), 1392388200, 0, "positive offset");
    near(parse_ok("2014-02-14T09:00:00-05:30"), 1392388200, 0, "negative offset");
    near(parse_ok("2014-02-14T14:30:00+00:00"), 1392388200, 0, "zero offset");
    near(parse_ok("1970-01-01T00:00:00Z"), 0, 0, "epoch");
    near(parse_ok("1969-12-31T23:59:59Z"), -1, 0, "before the epoch");
    near(parse_ok("2016-02-29T00:00:00Z"), 1456704000, 0, "leap day");
    near(parse_ok("2000-03-01T00:00:00Z"), 951868800, 0, "after a 400-year leap day");
    near(parse_ok("2038-01-19T03:14:08Z"), 2147483648.0, 0, "past 32 bits");
    near(parse_ok("2016-12-31T23:59:60Z"), 1483228800, 0, "leap second");

    parse_bad("2014-13-01T00:00:00Z");         /* month */
    parse_bad("2014-00-10T00:00:00Z");
    parse_bad("2014-02-00T00:00:00Z");         /* day */
    parse_bad("2014-02-32T00:00:00Z");
    parse_bad("2014-02-30T00:00:00Z");         /* not in February */
    parse_bad("2015-02-29T00:00:00Z");         /* not a leap year */
    parse_bad("2014-04-31T00:00:00Z");
    parse_bad("2014-02-14T24:00:00Z");         /* hour */
    parse_bad("2014-02-14T14:60:00Z");         /* minute */
    parse_bad("2014-02-14T14:30:61Z");         /* second */
    parse_bad("2014-02-14T-1:30:00Z");         /* negative fields */
    parse_bad("2014-02-14T14:-5:00Z");
    parse_bad("2014-02-14T14:30:-1Z");
    parse_bad("2014-02-14T14:30:nanZ");
    parse_bad("2014-02-14T14:30Z");            /* no seconds */
    parse_bad("2014-02-14T14:30:00+0100");     /* offset without colon */
    parse_bad("2014-02-14T14:30:00+24:00");    /* offset out of range */
    parse_bad("2014-02-14T14:30:00+01:60");
    parse_bad("2014-02-14T14:30:00Zjunk");     /* trailing text */
    parse_bad("2014-02-14X14:30:00Z");
    parse_bad("2014-02");
    parse_bad("2014/02/14");
    parse_bad("not-a-time");
}

/* A temp file holding text; its path in path (PATH_MAX-ish buffer). */
static void write_file(char *path, size_t cap, const char *text)
{
    snprintf(path, cap, "/tmp/test_csv_series_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* Everything a FILE* received, NUL-terminated (caller frees). */
static char *slurp(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    assert_true(n >= 0);
    char *s = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    return s;
}

static void read_ok(const char *text, csv_series *s, FILE *warn)
{
    char path[64], err[256] = "";
    write_file(path, sizeof path, text);
    int rc = csv_series_read(path, s, warn, err, sizeof err);
    unlink(path);
    if (rc != 0) {
        print_error("csv_series_read: %d (%s) on:\n%s", rc, err, text);
        fail();
    }
}

static void test_read_with_and_without_header(void **state)
{
    (void)state;
    csv_series s;
    read_ok("timestamp,value\n100,1.5\n160,2\n220,-3e2\n", &s, NULL);
    assert_int_equal(s.n, 3);
    near(s.t[0], 100, 0, "t0");
    near(s.t[2], 220, 0, "t2");
    near(s.v[0], 1.5, 0, "v0");
    near(s.v[2], -300, 0, "v2");
    assert_int_equal(s.line[0], 2);
    assert_int_equal(s.line[2], 4);
    csv_series_free(&s);
    assert_null(s.t);
    assert_int_equal(s.n, 0);

    read_ok("100,1.5\n160,2\n", &s, NULL);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.line[0], 1);
    near(s.v[1], 2, 0, "v1");
    csv_series_free(&s);

    /* RFC 3339 timestamps, NaN values (a stale marker in a dump) are values */
    read_ok("time,value\n2014-02-14T14:30:00Z,1\n2014-02-14T14:35:00+00:00,NaN\n", &s, NULL);
    assert_int_equal(s.n, 2);
    near(s.t[1] - s.t[0], 300, 0, "rfc3339 step");
    assert_true(isnan(s.v[1]));
    csv_series_free(&s);

    read_ok("", &s, NULL);                     /* empty file: no points, no error */
    assert_int_equal(s.n, 0);
    csv_series_free(&s);
    read_ok("timestamp,value\n", &s, NULL);    /* header only */
    assert_int_equal(s.n, 0);
    csv_series_free(&s);
}

static void test_read_blank_lines_crlf_and_quotes(void **state)
{
    (void)state;
    csv_series s;
    read_ok("timestamp,value\r\n100,1\r\n\r\n   \r\n160 , 2 \r\n\n220,3", &s, NULL);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.line[1], 5);             /* blank lines still count */
    assert_int_equal(s.line[2], 7);             /* last line without a newline */
    near(s.t[1], 160, 0, "spaces around fields");
    near(s.v[1], 2, 0, "spaces around fields");
    near(s.v[2], 3, 0, "no final newline");
    csv_series_free(&s);

    read_ok("\"timestamp\",\"value\"\r\n\"100\",\"1.25\"\r\n\"2014-02-14T14:30:00Z\",\"7\"\r\n"
            "160,\"2\"\n\"170\",3\n", &s, NULL);
    assert_int_equal(s.n, 4);
    near(s.t[0], 100, 0, "quoted t");
    near(s.v[0], 1.25, 0, "quoted v");
    near(s.t[1], 1392388200, 0, "quoted rfc3339");
    near(s.v[2], 2, 0, "quoted v only");
    near(s.t[3], 170, 0, "quoted t only");
    csv_series_free(&s);

    /* more points than the first allocation */
    size_t cap = 4000 * 24;
    char *big = malloc(cap), *p = big;
    for (int i = 0; i < 4000; i++)
        p += snprintf(p, cap - (size_t)(p - big), "%d,%d\n", 1000 + i * 60, i);
    read_ok(big, &s, NULL);
    free(big);
    assert_int_equal(s.n, 4000);
    near(s.t[3999], 1000 + 3999 * 60, 0, "last of many");
    near(s.v[3999], 3999, 0, "last of many");
    assert_int_equal(s.line[3999], 4000);
    csv_series_free(&s);
}

static void read_err(const char *text, int want_rc, int want_line)
{
    char path[64], err[256] = "", where[96];
    write_file(path, sizeof path, text);
    csv_series s;
    int rc = csv_series_read(path, &s, NULL, err, sizeof err);
    unlink(path);
    assert_int_equal(rc, want_rc);
    snprintf(where, sizeof where, "%s:%d:", path, want_line);
    if (strstr(err, where) == NULL) {
        print_error("error \"%s\" does not name %s\n", err, where);
        fail();
    }
    assert_null(strchr(err, '\n'));
    assert_int_equal(s.n, 0);                   /* nothing half-read is handed back */
    assert_null(s.t);
}

static void test_read_errors_name_file_and_line(void **state)
{
    (void)state;
    read_err("timestamp,value\n100,1\n160,2\n220,x\n280,4\n", -MAI_EPROTO, 4);
    read_err("100,1\n160,2\n\n220\n", -MAI_EPROTO, 4);            /* no comma */
    read_err("100,1\nbad,2\n", -MAI_EPROTO, 2);                   /* bad timestamp */
    read_err("100,1\n160,\n", -MAI_EPROTO, 2);                    /* empty value */
    read_err("100,1\n160,2,3\n", -MAI_EPROTO, 2);                 /* extra column */
    read_err("timestamp,value\nfoo,bar\n", -MAI_EPROTO, 2);       /* only line 1 is a header */
    read_err("timestamp\n100,1\n", -MAI_EPROTO, 1);               /* a header must be 2 columns */

    char err[256] = "";
    csv_series s;
    const char *missing = "/nonexistent-dir-for-test/series.csv";
    assert_int_equal(csv_series_read(missing, &s, NULL, err, sizeof err), -MAI_EIO);
    assert_non_null(strstr(err, missing));
    assert_int_equal(s.n, 0);
}

/* The stream entry point: a memory buffer read to its end, errors naming the given name, the
 * stream left open, a stream that cannot be read refused as -MAI_EIO. */
static void test_read_stream_from_memory(void **state)
{
    (void)state;
    static const char text[] = "timestamp,value\n100,1.5\n160,2\n";
    FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
    assert_non_null(f);
    csv_series s;
    char err[256] = "";
    assert_int_equal(csv_series_read_stream(f, "mem.csv", &s, NULL, err, sizeof err), 0);
    assert_int_equal(s.n, 2);
    near(s.t[1], 160, 0, "t1");
    near(s.v[0], 1.5, 0, "v0");
    assert_int_equal(s.line[0], 2);
    assert_int_equal(fgetc(f), EOF);            /* read to its end, still open */
    assert_int_equal(fclose(f), 0);
    csv_series_free(&s);

    static const char bad[] = "100,1\n160,2\n220,x\n";
    f = fmemopen((void *)bad, sizeof bad - 1, "r");
    assert_non_null(f);
    assert_int_equal(csv_series_read_stream(f, "mem.csv", &s, NULL, err, sizeof err),
                     -MAI_EPROTO);
    assert_non_null(strstr(err, "mem.csv:3:"));
    assert_null(strchr(err, '\n'));
    assert_int_equal(s.n, 0);
    assert_null(s.t);
    fclose(f);

    f = fopen("/dev/null", "w");                /* open, but not for reading */
    assert_non_null(f);
    err[0] = '\0';
    assert_int_equal(csv_series_read_stream(f, "wo.csv", &s, NULL, err, sizeof err), -MAI_EIO);
    assert_non_null(strstr(err, "wo.csv: read error"));
    assert_int_equal(s.n, 0);
    fclose(f);
}

/* A series over caller arrays (lines 1..n). */
typedef struct fake {
    double t[64], v[64];
    uint32_t line[64];
    csv_series s;
} fake;

static void fake_init(fake *f, const double *t, const double *v, size_t n)
{
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        f->t[i] = t[i];
        f->v[i] = v ? v[i] : (double)i;
        f->line[i] = (uint32_t)i + 1;
    }
    f->s = (csv_series){f->t, f->v, f->line, n, 64};
}

static void test_infer_step_is_the_mode(void **state)
{
    (void)state;
    fake f;
    const double irregular[] = {0, 60, 120, 180, 400, 460, 520, 1000, 1060, 1061, 1121};
    fake_init(&f, irregular, NULL, 11);
    near(csv_series_infer_step(&f.s), 60, 0, "mode with gaps");

    const double backwards[] = {0, 300, 600, 450, 900, 1200, 1500, 1510, 1520};
    fake_init(&f, backwards, NULL, 9);             /* diffs 300 x5, 10 x2, negative ignored */
    near(csv_series_infer_step(&f.s), 300, 0, "mode with a step back");

    const double repeats[] = {0, 0, 0, 15, 15, 30, 45};
    fake_init(&f, repeats, NULL, 7);               /* zero differences are not steps */
    near(csv_series_infer_step(&f.s), 15, 0, "repeats ignored");

    const double fractional[] = {0.5, 1.0, 1.5, 2.0, 4.0};
    fake_init(&f, fractional, NULL, 5);
    near(csv_series_infer_step(&f.s), 0.5, 0, "fractional");

    const double one[] = {100};
    fake_init(&f, one, NULL, 1);
    near(csv_series_infer_step(&f.s), 0, 0, "one point");
    fake_init(&f, one, NULL, 0);
    near(csv_series_infer_step(&f.s), 0, 0, "no point");
    const double same[] = {5, 5, 5};
    fake_init(&f, same, NULL, 3);
    near(csv_series_infer_step(&f.s), 0, 0, "one timestamp");
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_grid_means_and_gaps(void **state)
{
    (void)state;
    fake f;
    /* step 60 from t0 = 1000: [1000,1060) holds 1, 2, 3 -> 2; 1060 -> 10; 1120..1239 nothing;
     * 1240 -> -4 (a value of 0 and a gap must not be confused) */
    const double t[] = {1000, 1010, 1059.5, 1060, 1240, 1300};
    const double v[] = {1, 2, 3, 10, -4, 0};
    fake_init(&f, t, v, 6);
    FILE *warn = tmpfile();
    csv_grid g;
    assert_int_equal(csv_grid_build(&f.s, 60, "s.csv", warn, &g), 0);
    near(g.t0, 1000, 0, "t0");
    near(g.step, 60, 0, "step");
    assert_int_equal(g.n, 6);
    near(g.y[0], 2, 1e-12, "mean of a step");
    near(g.y[1], 10, 0, "one point");
    assert_true(isnan(g.y[2]) && isnan(g.y[3]));
    near(g.y[4], -4, 0, "after the gap");
    near(g.y[5], 0, 0, "a real zero");
    char *w = slurp(warn);
    /* gaps are reported once, as a count; no point was dropped */
    assert_int_equal(count(w, "\n"), 1);
    assert_non_null(strstr(w, "s.csv"));
    assert_non_null(strstr(w, "2 of 6"));
    assert_null(strstr(w, "dropped"));
    free(w);
    fclose(warn);
    csv_grid_free(&g);
    assert_null(g.y);

    /* NaN values are gaps too, never zeros; a NaN beside a value does not dilute it */
    const double t2[] = {0, 30, 60, 120};
    const double v2[] = {NAN, 5, NAN, 7};
    fake_init(&f, t2, v2, 4);
    assert_int_equal(csv_grid_build(&f.s, 60, "s.csv", NULL, &g), 0);
    assert_int_equal(g.n, 3);
    near(g.y[0], 5, 0, "NaN does not count");
    assert_true(isnan(g.y[1]));
    near(g.y[2], 7, 0, "last");
    csv_grid_free(&g);

    fake_init(&f, t2, v2, 0);                      /* nothing: an empty grid */
    assert_int_equal(csv_grid_build(&f.s, 60, "s.csv", NULL, &g), 0);
    assert_int_equal(g.n, 0);
    assert_null(g.y);
    csv_grid_free(&g);
}

/* A span that needs more than CSV_GRID_MAX_POINTS steps is refused before any allocation. */
/* The grid equals a plain per-step sum and count over the kept points, on random series with
 * several points per step, long gaps, NaN values, out-of-order points and repeats. */
static void test_grid_matches_per_step_means(void **state)
{
    (void)state;
    srand(7);
    for (int trial = 0; trial < 200; trial++) {
        fake f;
        double t[64], v[64], x = 1000;
        size_t n = 1 + (size_t)(rand() % 64);
        for (size_t i = 0; i < n; i++) {
            int r = rand() % 10;
            x += r == 0 ? -(double)(rand() % 200) : r == 1 ? 0 : r < 4 ? 60.0 * (rand() % 50)
                                                                     : (double)(rand() % 40);
            t[i] = x;
            v[i] = rand() % 13 == 0 ? NAN : (double)(rand() % 1000) / 7;
        }
        fake_init(&f, t, v, n);
        csv_grid g;
        assert_int_equal(csv_grid_build(&f.s, 60, "r.csv", NULL, &g), 0);
        double sum[4096] = {0}, cnt[4096] = {0}, last = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (t[i] <= last)
                continue;
            last = t[i];
            if (isnan(v[i]))
                continue;
            size_t b = (size_t)floor((t[i] - t[0]) / 60 + 1e-9);
            assert_true(b < g.n && b < 4096);
            sum[b] += v[i];
            cnt[b] += 1;
        }
        for (size_t b = 0; b < g.n; b++) {
            if (cnt[b] > 0)
                near(g.y[b], sum[b] / cnt[b], 0, "a step's mean");
            else
                assert_true(isnan(g.y[b]));
        }
        csv_grid_free(&g);
    }
}

static void test_grid_refuses_a_span_past_its_bound(void **state)
{
    (void)state;
    fake f;
    const double t[] = {0, 60, 60.0 * CSV_GRID_MAX_POINTS};
    const double v[] = {1, 2, 3};
    fake_init(&f, t, v, 3);
    csv_grid g;
    size_t n = 99;
    assert_int_equal(csv_grid_size(&f.s, 60, &n), -MAI_ETOOBIG);
    assert_int_equal(n, 0);
    assert_int_equal(csv_grid_build(&f.s, 60, "s.csv", NULL, &g), -MAI_ETOOBIG);
    assert_null(g.y);
    assert_int_equal(g.n, 0);
    assert_int_equal(csv_grid_size(&f.s, 600, &n), 0);
    assert_int_equal(n, CSV_GRID_MAX_POINTS / 10 + 1);
    assert_int_equal(csv_grid_build(&f.s, 600, "s.csv", NULL, &g), 0);    /* a tenth of it */
    assert_int_equal(g.n, CSV_GRID_MAX_POINTS / 10 + 1);
    csv_grid_free(&g);
    assert_int_equal(csv_grid_size(&f.s, 0, &n), 0);                       /* no step */
    assert_int_equal(n, 0);
    const double t2[] = {0, 1e300};
    fake_init(&f, t2, v, 2);
    assert_int_equal(csv_grid_size(&f.s, 1, &n), -MAI_ETOOBIG);
    assert_int_equal(csv_grid_build(&f.s, 1, "s.csv", NULL, &g), -MAI_ETOOBIG);
}

static void test_grid_drops_out_of_order_and_conflicting_repeats(void **state)
{
    (void)state;
    fake f;
    /* line 3 goes back (dropped, warned); line 5 repeats line 4 exactly (ignored silently: not
     * counted twice, so step 1 is (1 + 4) / 2 = 2.5, not 2); line 6 repeats it with another value
     * (dropped, warned); line 8 goes back again */
    const double t[] = {0, 60, 30, 120, 120, 120, 150, 100, 240};
    const double v[] = {1, 2, 99, 1, 1, 50, 4, 77, 6};
    fake_init(&f, t, v, 9);
    FILE *warn = tmpfile();
    csv_grid g;
    assert_int_equal(csv_grid_build(&f.s, 60, "dir/web.csv", warn, &g), 0);
    assert_int_equal(g.n, 5);
    near(g.y[0], 1, 0, "out of order point not averaged in");
    near(g.y[1], 2, 0, "step 1");
    near(g.y[2], 2.5, 1e-12, "exact duplicate counted once, conflicting one dropped");
    assert_true(isnan(g.y[3]));
    near(g.y[4], 6, 0, "last");
    char *w = slurp(warn);
    assert_int_equal(count(w, "dir/web.csv:3:"), 1);
    assert_int_equal(count(w, "dir/web.csv:6:"), 1);
    assert_int_equal(count(w, "dir/web.csv:8:"), 1);
    assert_int_equal(count(w, "dir/web.csv:5:"), 0);
    assert_int_equal(count(w, "out of order"), 2);
    assert_int_equal(count(w, "another value"), 1);
    assert_int_equal(count(w, "\n"), 4);           /* 3 drops + the gap count */
    free(w);
    fclose(warn);
    csv_grid_free(&g);

    /* a stale marker repeated bit for bit is a duplicate; a plain NaN after it is not */
    uint64_t b = MAI_STALE_NAN_BITS;
    double stale;
    memcpy(&stale, &b, sizeof stale);
    const double t2[] = {0, 60, 60, 60};
    const double v2[] = {3, stale, stale, NAN};
    fake_init(&f, t2, v2, 4);
    warn = tmpfile();
    assert_int_equal(csv_grid_build(&f.s, 60, "x.csv", warn, &g), 0);
    assert_int_equal(g.n, 2);
    near(g.y[0], 3, 0, "first");
    assert_true(isnan(g.y[1]));
    w = slurp(warn);
    assert_int_equal(count(w, "x.csv:3:"), 0);
    assert_int_equal(count(w, "x.csv:4:"), 1);
    free(w);
    fclose(warn);
    csv_grid_free(&g);
}

static void test_grid_from_a_file_round_trip(void **state)
{
    (void)state;
    char path[64], err[256] = "";
    write_file(path, sizeof path,
               "timestamp,value\n"
               "2014-02-14T14:30:00Z,1\n"
               "2014-02-14T14:35:00Z,2\n"
               "2014-02-14T14:33:00Z,9\n"          /* line 4: out of order */
               "2014-02-14T14:45:00Z,4\n"
               "2014-02-14T14:50:00Z,5\n");
    csv_series s;
    assert_int_equal(csv_series_read(path, &s, NULL, err, sizeof err), 0);
    double step = csv_series_infer_step(&s);
    near(step, 300, 0, "step");
    FILE *warn = tmpfile();
    csv_grid g;
    assert_int_equal(csv_grid_build(&s, step, path, warn, &g), 0);
    assert_int_equal(g.n, 5);
    near(g.t0, 1392388200, 0, "t0");
    near(g.y[0], 1, 0, "y0");
    near(g.y[1], 2, 0, "y1");
    assert_true(isnan(g.y[2]));
    near(g.y[3], 4, 0, "y3");
    near(g.y[4], 5, 0, "y4");
    char *w = slurp(warn), where[96];
    snprintf(where, sizeof where, "%s:4:", path);
    assert_non_null(strstr(w, where));
    free(w);
    fclose(warn);
    csv_grid_free(&g);
    csv_series_free(&s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time_unix_seconds),
        cmocka_unit_test(test_parse_time_rfc3339),
        cmocka_unit_test(test_read_with_and_without_header),
        cmocka_unit_test(test_read_blank_lines_crlf_and_quotes),
        cmocka_unit_test(test_read_errors_name_file_and_line),
        cmocka_unit_test(test_read_stream_from_memory),
        cmocka_unit_test(test_infer_step_is_the_mode),
        cmocka_unit_test(test_grid_means_and_gaps),
        cmocka_unit_test(test_grid_matches_per_step_means),
        cmocka_unit_test(test_grid_refuses_a_span_past_its_bound),
        cmocka_unit_test(test_grid_drops_out_of_order_and_conflicting_repeats),
        cmocka_unit_test(test_grid_from_a_file_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
