/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_expo.c -- unit tests for exporter/expo.c: escaping, number formatting,
 * buffer growth/reset/oom, and (when installed) `promtool check metrics` on a sample page. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exporter/expo.h"

#define PROMTOOL "/usr/bin/promtool"

static void test_expo_escapes_label_values(void **state)
{
    static const char raw[] = { 'a', '\0', 'b', '\xff' };
    expo_buf b;
    expo_label l[3] = {
        { "path", "C:\\dir \"x\"\nnext", 0 },
        { "city", "Z\xc3\xbcrich \xe6\xb8\xa9\xe5\xba\xa6 \xf0\x9f\x8c\xa1", 0 },
        { "raw", raw, sizeof raw },
    };
    static const char want[] =
        "m{path=\"C:\\\\dir \\\"x\\\"\\nnext\","
        "city=\"Z\xc3\xbcrich \xe6\xb8\xa9\xe5\xba\xa6 \xf0\x9f\x8c\xa1\","
        "raw=\"a\0b\xff\"} 1\n";

    (void)state;
    expo_init(&b);
    expo_sample(&b, "m", l, 3, 1.0);
    assert_int_equal(b.oom, 0);
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.p, want, sizeof want);

    /* value_len limits the copy; value_len 0 means strlen; empty values stay empty. */
    expo_reset(&b);
    l[0].value = "abc\"def";
    l[0].value_len = 4;
    l[1].value = "";
    l[1].value_len = 0;
    expo_sample(&b, "m", l, 2, 2.0);
    assert_string_equal(b.p, "m{path=\"abc\\\"\",city=\"\"} 2\n");
    expo_free(&b);
}

static void test_expo_help_escaping(void **state)
{
    expo_buf b;

    (void)state;
    expo_init(&b);
    expo_family(&b, "mai_x_total", "counter", "a \\ b\nc \"q\" d");
    assert_string_equal(b.p,
                        "# HELP mai_x_total a \\\\ b\\nc \"q\" d\n"
                        "# TYPE mai_x_total counter\n");
    expo_reset(&b);
    expo_family(&b, "g", "gauge", "");
    assert_string_equal(b.p, "# HELP g \n# TYPE g gauge\n");
    expo_free(&b);
}

static void assert_formats(double v, const char *want)
{
    char out[32];
    size_t n = expo_format_double(out, v);

    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_expo_special_values(void **state)
{
    expo_buf b;
    expo_label l = { "le", "+Inf", 0 };

    (void)state;
    assert_formats(NAN, "NaN");
    assert_formats(-NAN, "NaN");
    assert_formats(INFINITY, "+Inf");
    assert_formats(-INFINITY, "-Inf");
    assert_formats(0.0, "0");
    assert_formats(-0.0, "-0");
    assert_formats(1.0, "1");
    assert_formats(-42.0, "-42");
    assert_formats(100.0, "100");
    assert_formats(0.1, "0.1");
    assert_formats(0.5, "0.5");
    assert_formats(1.0 / 3.0, "0.3333333333333333");
    assert_formats(0.1 + 0.2, "0.30000000000000004");
    assert_formats(1e21, "1e+21");
    assert_formats(1e-7, "1e-07");
    assert_formats(123456789012345.0, "123456789012345");
    assert_formats(9007199254740992.0, "9007199254740992");
    assert_formats(DBL_MAX, "1.7976931348623157e+308");
    assert_formats(4.9406564584124654e-324, "4.94065645841247e-324");

    expo_init(&b);
    expo_sample(&b, "a", NULL, 0, NAN);
    expo_sample(&b, "b", NULL, 0, INFINITY);
    expo_sample2(&b, "c_bucket", NULL, 0, &l, 1, -INFINITY);
    assert_string_equal(b.p, "a NaN\nb +Inf\nc_bucket{le=\"+Inf\"} -Inf\n");
    expo_free(&b);
}

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* Checks that text parses back to exactly v and that no shorter %.15g/%.16g form would have. */
static void check_round_trip(double v)
{
    char out[32], shorter[40];
    size_t n = expo_format_double(out, v);
    double back;
    int prec;

    assert_true(n > 0 && n < 32);
    assert_int_equal(strlen(out), n);
    assert_int_equal(strspn(out, "0123456789+-.e"), n);
    back = strtod(out, NULL);
    if (memcmp(&back, &v, sizeof v) != 0)
        fail_msg("%.17g printed as %s which parses to %.17g", v, out, back);
    for (prec = 15; prec < 17; prec++) {
        double s;

        snprintf(shorter, sizeof shorter, "%.*g", prec, v);
        s = strtod(shorter, NULL);
        if (memcmp(&s, &v, sizeof v) == 0) {
            if (strlen(shorter) < n)
                fail_msg("%s is shorter than %s for %.17g", shorter, out, v);
            break;
        }
    }
}

static void test_expo_round_trips_doubles(void **state)
{
    static const double fixed[] = {
        0.0, -0.0, 0.1, 0.2, 0.3, 1.0 / 3.0, 2.0 / 3.0, 1e-300, 1e300, 1e15, 1e16, 1e17,
        1e21, 1e22, 1e23, -1e23, 5e-324, 4.9406564584124654e-324, 2.2250738585072009e-308,
        2.2250738585072014e-308, DBL_MIN, DBL_MAX, -DBL_MAX, DBL_EPSILON, 1.0 + DBL_EPSILON,
        9007199254740992.0, 9007199254740993.0, 9007199254740994.0, 18014398509481985.0,
        123456789.123456789, 0.000123456789, 299792458.0, -273.15, 1e-5, 0.999999999999999,
        0.9999999999999999, 1.7976931348623157e308, 3.141592653589793, 2.718281828459045,
    };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    double v;
    size_t i;
    int e;

    (void)state;
    for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        check_round_trip(fixed[i]);
        check_round_trip(-fixed[i]);
    }
    /* Denormals around the bottom of the range and at the normal boundary. */
    for (v = 5e-324, i = 0; i < 2000; i++, v = nextafter(v, 1.0))
        check_round_trip(v);
    for (v = DBL_MIN, i = 0; i < 2000; i++, v = nextafter(v, 0.0))
        check_round_trip(v);
    /* Every power of two and its neighbours. */
    for (e = -1074; e <= 1023; e++) {
        double p = ldexp(1.0, e);

        check_round_trip(p);
        check_round_trip(nextafter(p, 0.0));
        check_round_trip(nextafter(p, INFINITY));
    }
    /* Integers near 2^53 and decimal fractions. */
    for (i = 0; i < 1000; i++) {
        check_round_trip(9007199254740992.0 - (double)i);
        check_round_trip((double)i / 10.0);
        check_round_trip((double)i / 7.0);
    }
    /* Random bit patterns (finite only). */
    for (i = 0; i < 200000; i++) {
        uint64_t bits = xorshift64(&seed);

        memcpy(&v, &bits, sizeof v);
        if (isfinite(v))
            check_round_trip(v);
    }
}

static void test_expo_no_labels_no_braces(void **state)
{
    expo_buf b;
    expo_label le = { "le", "0.5", 0 };
    expo_label job = { "job", "x", 0 };

    (void)state;
    expo_init(&b);
    expo_sample(&b, "up", NULL, 0, 1.0);
    expo_sample2(&b, "up2", NULL, 0, NULL, 0, 0.25);
    expo_sample2(&b, "h_bucket", NULL, 0, &le, 1, 3.0);
    expo_sample2(&b, "h_bucket", &job, 1, &le, 1, 4.0);
    expo_sample2(&b, "h_count", &job, 1, NULL, 0, 4.0);
    assert_string_equal(b.p,
                        "up 1\n"
                        "up2 0.25\n"
                        "h_bucket{le=\"0.5\"} 3\n"
                        "h_bucket{job=\"x\",le=\"0.5\"} 4\n"
                        "h_count{job=\"x\"} 4\n");
    expo_free(&b);
}

static void test_expo_grows_buffer(void **state)
{
    expo_buf b;
    char big[4096];
    size_t i, lines = 0, grows = 0, last_cap;
    expo_label l = { "i", NULL, 0 };
    char idx[32];
    const char *p;

    (void)state;
    memset(big, 'x', sizeof big);
    expo_init(&b);
    last_cap = b.cap;
    for (i = 0; b.len <= (1u << 20) + 12345; i++) {
        snprintf(idx, sizeof idx, "%zu", i);
        l.value = idx;
        expo_sample(&b, "mai_grow_test", &l, 1, (double)i);
        if (b.cap != last_cap) {
            grows++;
            assert_true(b.cap >= 2 * last_cap);
            last_cap = b.cap;
        }
    }
    assert_int_equal(b.oom, 0);
    assert_true(b.len > (1u << 20));
    assert_true(b.cap > b.len);
    assert_int_equal(b.p[b.len], '\0');
    assert_int_equal(strlen(b.p), b.len);
    assert_true(grows <= 16);
    for (p = b.p; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    assert_int_equal(lines, i);
    snprintf(idx, sizeof idx, "mai_grow_test{i=\"%zu\"} %zu\n", i - 1, i - 1);
    assert_string_equal(b.p + b.len - strlen(idx), idx);

    /* One large raw append and a large printf. */
    expo_reset(&b);
    for (i = 0; i < 300; i++)
        expo_append(&b, big, sizeof big);
    assert_int_equal(b.len, 300 * sizeof big);
    expo_printf(&b, "%.*s|%d\n", 3000, big, 42);
    assert_int_equal(b.len, 300 * sizeof big + 3000 + 4);
    assert_string_equal(b.p + b.len - 4, "|42\n");
    assert_int_equal(strlen(b.p), b.len);
    expo_free(&b);
    assert_null(b.p);
    assert_int_equal(b.cap, 0);
}

static void test_expo_reset_keeps_capacity(void **state)
{
    expo_buf b;
    size_t cap;
    char *p;
    int i;

    (void)state;
    expo_init(&b);
    for (i = 0; i < 1000; i++)
        expo_printf(&b, "line_%d %d\n", i, i);
    cap = b.cap;
    p = b.p;
    assert_true(cap > 256);
    expo_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, cap);
    assert_ptr_equal(b.p, p);
    assert_string_equal(b.p, "");
    expo_sample(&b, "x", NULL, 0, 2.0);
    assert_string_equal(b.p, "x 2\n");
    assert_int_equal(b.cap, cap);
    expo_free(&b);
    expo_free(&b); /* NULL p is fine */

    /* A freed buffer can be written again. */
    expo_append(&b, "ok", 2);
    assert_string_equal(b.p, "ok");
    expo_free(&b);
}

static void test_expo_oom_drops_further_writes(void **state)
{
    expo_buf b;
    size_t cap;

    (void)state;
    expo_init(&b);
    expo_append(&b, "keep", 4);
    cap = b.cap;
    /* A size that cannot be represented: must set oom without touching the source. */
    expo_append(&b, "z", SIZE_MAX);
    assert_int_equal(b.oom, 1);
    assert_int_equal(b.len, 4);
    assert_int_equal(b.cap, cap);
    expo_sample(&b, "m", NULL, 0, 1.0);
    expo_printf(&b, "%s", "more");
    expo_family(&b, "m", "gauge", "h");
    assert_int_equal(b.len, 4);
    assert_string_equal(b.p, "keep");
    expo_reset(&b);
    assert_int_equal(b.oom, 0);
    expo_append(&b, "new", 3);
    assert_string_equal(b.p, "new");
    expo_free(&b);
}

static int run_promtool(const char *text, size_t len, char *err, size_t errsz)
{
    char in[] = "/tmp/test_expo_in.XXXXXX";
    char errp[] = "/tmp/test_expo_err.XXXXXX";
    char cmd[256];
    int fd, efd, st;
    FILE *f;
    size_t n;

    fd = mkstemp(in);
    assert_true(fd >= 0);
    efd = mkstemp(errp);
    assert_true(efd >= 0);
    close(efd);
    f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, PROMTOOL " check metrics < %s > %s 2>&1", in, errp);
    st = system(cmd);
    f = fopen(errp, "r");
    n = f != NULL ? fread(err, 1, errsz - 1, f) : 0;
    err[n] = '\0';
    if (f != NULL)
        fclose(f);
    unlink(in);
    unlink(errp);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_expo_output_passes_promtool(void **state)
{
    static const double bounds[] = { 0.005, 0.1, 1.0, 2.5 };
    static const double counts[] = { 1.0, 7.0, 9.0, 10.0 };
    static const char bad[] = "# HELP bad_total x\n# TYPE bad_total counter\n"
                              "bad_total{a=\"unterminated} 1\n";
    expo_buf b;
    expo_label tricky[2] = {
        { "model", "back\\slash \"quoted\"\nnew line", 0 },
        { "city", "Z\xc3\xbcrich \xe2\x84\x83", 0 },
    };
    expo_label job = { "job", "node", 0 };
    expo_label le = { "le", NULL, 0 };
    char num[32], err[4096];
    size_t i;
    int rc;

    (void)state;
    if (access(PROMTOOL, X_OK) != 0) {
        skip();
        return;
    }
    /* The harness itself must notice a broken page. */
    rc = run_promtool(bad, sizeof bad - 1, err, sizeof err);
    assert_int_not_equal(rc, 0);

    expo_init(&b);
    expo_family(&b, "mai_samples_received_total", "counter",
                "Samples accepted via remote write.\nPer \\ job.");
    expo_sample(&b, "mai_samples_received_total", &job, 1, 12345678901.0);
    expo_family(&b, "mai_forecast_value", "gauge", "Forecast for the next step.");
    expo_sample(&b, "mai_forecast_value", tricky, 2, 0.1);
    tricky[0].value = "other";
    expo_sample(&b, "mai_forecast_value", tricky, 2, NAN);
    tricky[0].value = "neg";
    expo_sample(&b, "mai_forecast_value", tricky, 2, -INFINITY);
    expo_family(&b, "mai_request_duration_seconds", "histogram", "Handler latency.");
    for (i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        expo_format_double(num, bounds[i]);
        le.value = num;
        expo_sample2(&b, "mai_request_duration_seconds_bucket", &job, 1, &le, 1, counts[i]);
    }
    le.value = "+Inf";
    expo_sample2(&b, "mai_request_duration_seconds_bucket", &job, 1, &le, 1, 11.0);
    expo_sample(&b, "mai_request_duration_seconds_sum", &job, 1, 3.3000000000000003);
    expo_sample(&b, "mai_request_duration_seconds_count", &job, 1, 11.0);
    assert_int_equal(b.oom, 0);

    rc = run_promtool(b.p, b.len, err, sizeof err);
    if (rc != 0)
        fail_msg("promtool exit %d: %s\npage:\n%s", rc, err, b.p);
    expo_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expo_escapes_label_values),
        cmocka_unit_test(test_expo_help_escaping),
        cmocka_unit_test(test_expo_special_values),
        cmocka_unit_test(test_expo_round_trips_doubles),
        cmocka_unit_test(test_expo_no_labels_no_braces),
        cmocka_unit_test(test_expo_grows_buffer),
        cmocka_unit_test(test_expo_reset_keeps_capacity),
        cmocka_unit_test(test_expo_oom_drops_further_writes),
        cmocka_unit_test(test_expo_output_passes_promtool),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
