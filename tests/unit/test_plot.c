/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_plot.c -- the chart renderer through its PNG files: size and title chunk,
 * read back by cairo (libpng), pixels in the plot area vary, the title area is drawn, series
 * colours appear only where data exists (no-data and all-NaN charts carry none), thresholds
 * and scatter highlights are drawn, a 100k-point series is decimated; value formatting, time
 * tick spacing, file-name sanitising, bad sizes, and atomic writes leaving no temporary file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <sys/stat.h>

#include "exporter/plot.h"
#include "png_check.h"

#define W 800
#define H 400

static char dir[] = "/tmp/test_plot.XXXXXX";

enum { N_HIST = 2880, N_FC = 720 };
static double ht[N_HIST], hv[N_HIST], ft[N_FC], fm[N_FC], fl[N_FC], fu[N_FC];
static const double T0 = 1795000000.0;

static int setup(void **st)
{
    (void)st;
    if (!mkdtemp(dir))
        return -1;
    for (int i = 0; i < N_HIST; i++) {
        ht[i] = T0 + i * 60.0;
        hv[i] = 0.5 + 0.2 * sin(i * 2 * M_PI / 1440);
    }
    for (int i = 0; i < N_FC; i++) {
        ft[i] = T0 + (N_HIST + i) * 60.0;
        fm[i] = 0.5 + 0.2 * sin((N_HIST + i) * 2 * M_PI / 1440);
        fl[i] = fm[i] - 0.05;
        fu[i] = fm[i] + 0.05;
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    chk_rmtree(dir);
    return 0;
}

static plot_spec full_spec(const char *title)
{
    plot_spec s = plot_spec_init(title, "ratio", W, H);
    s.hist_t = ht;
    s.hist_v = hv;
    s.hist_n = N_HIST;
    s.fc_t = ft;
    s.fc_mean = fm;
    s.fc_lower = fl;
    s.fc_upper = fu;
    s.fc_n = N_FC;
    s.vline_t = ft[0];
    s.vline_label = "now";
    s.hist_label = "history";
    s.fc_label = "forecast";
    s.band_label = "80% interval";
    return s;
}

/* writes s to dir/name, checks the file (size, title, readable) and returns the decoded image */
static cairo_surface_t *write_and_read(const plot_spec *s, const char *name)
{
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(plot_write_png(s, path, err, sizeof err), 0);
    assert_string_equal(err, "");
    size_t n;
    uint8_t *png = chk_slurp(path, &n);
    assert_non_null(png);
    uint32_t w, h;
    char title[600];
    assert_true(chk_png(png, n, &w, &h, "Title", title, sizeof title));
    assert_int_equal(w, (uint32_t)s->width);
    assert_int_equal(h, (uint32_t)s->height);
    assert_string_equal(title, s->title);
    free(png);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(img), s->width);
    assert_int_equal(cairo_image_surface_get_height(img), s->height);
    cairo_surface_flush(img);
    return img;
}

/* the plot area's inside, well clear of the axes and labels */
#define AREA(w, h) (w) / 5, (h) / 5, (w) * 9 / 10, (h) * 4 / 5
/* the title band */
#define TITLE_BAND(w, h) (w) / 4, 0, (w) * 3 / 4, (h) / 12

static long blue(cairo_surface_t *img, int w, int h)
{
    return chk_count_color(img, AREA(w, h), 31, 119, 180, 30);
}

static long orange(cairo_surface_t *img, int w, int h)
{
    return chk_count_color(img, AREA(w, h), 255, 127, 14, 30);
}

static long red(cairo_surface_t *img, int w, int h)
{
    return chk_count_color(img, 0, 0, w, h, 214, 39, 40, 40) +
           chk_count_color(img, 0, 0, w, h, 204, 26, 26, 40);
}

static void test_full_chart(void **st)
{
    (void)st;
    plot_spec s = full_spec("host02 DISK_USAGE / - 48 hours Historical + 12 hours Forecast");
    cairo_surface_t *img = write_and_read(&s, "full.png");
    assert_true(chk_variance(img, AREA(W, H)) > 50);
    assert_true(chk_count_nonwhite(img, TITLE_BAND(W, H)) > 50);
    assert_true(blue(img, W, H) > 200);
    assert_true(orange(img, W, H) > 100);
    cairo_surface_destroy(img);

    /* the same spec in memory gives the same bytes as the file */
    uint8_t *png;
    size_t n, fn;
    char err[128];
    assert_int_equal(plot_render_png(&s, &png, &n, err, sizeof err), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/full.png", dir);
    uint8_t *file = chk_slurp(path, &fn);
    assert_int_equal(n, fn);
    assert_memory_equal(png, file, n);
    free(png);
    free(file);
}

static void test_blank_background_differs_from_titled(void **st)
{
    (void)st;
    /* an untitled no-data chart has a blank title band; a titled one does not */
    plot_spec a = plot_spec_init("", "ratio", W, H);
    cairo_surface_t *img = write_and_read(&a, "untitled.png");
    assert_int_equal(chk_count_nonwhite(img, TITLE_BAND(W, H)), 0);
    cairo_surface_destroy(img);
    plot_spec b = plot_spec_init("Some title", "ratio", W, H);
    img = write_and_read(&b, "titled.png");
    assert_true(chk_count_nonwhite(img, TITLE_BAND(W, H)) > 20);
    cairo_surface_destroy(img);
}

static void test_no_data(void **st)
{
    (void)st;
    plot_spec s = plot_spec_init("empty - 48 hours Historical + 12 hours Forecast", "bytes", W, H);
    cairo_surface_t *img = write_and_read(&s, "empty.png");
    assert_int_equal(blue(img, W, H), 0);
    assert_int_equal(orange(img, W, H), 0);
    /* "no data" is written in the middle */
    assert_true(chk_count_nonwhite(img, W / 3, H / 3, W * 2 / 3, H * 2 / 3) > 100);
    cairo_surface_destroy(img);

    /* counts with NULL arrays are ignored too */
    s.hist_n = 10;
    s.fc_n = 10;
    img = write_and_read(&s, "null_arrays.png");
    assert_int_equal(blue(img, W, H), 0);
    cairo_surface_destroy(img);
}

static void test_all_nan(void **st)
{
    (void)st;
    double t[50], v[50];
    for (int i = 0; i < 50; i++) {
        t[i] = T0 + i * 60.0;
        v[i] = NAN;
    }
    plot_spec s = plot_spec_init("all NaN", "ratio", W, H);
    s.hist_t = t;
    s.hist_v = v;
    s.hist_n = 50;
    s.fc_t = t;
    s.fc_mean = v;
    s.fc_lower = v;
    s.fc_upper = v;
    s.fc_n = 50;
    s.anom_t = t;
    s.anom_v = v;
    s.anom_n = 50;
    s.hlines[0].y = 0.9;
    s.hlines[0].label = "threshold";
    s.n_hlines = 1;
    s.vline_t = T0;
    cairo_surface_t *img = write_and_read(&s, "nan.png");
    assert_int_equal(blue(img, W, H), 0);
    assert_true(chk_count_nonwhite(img, W / 3, H / 3, W * 2 / 3, H * 2 / 3) > 100);
    cairo_surface_destroy(img);

    /* infinities and a single point: drawn, no crash */
    v[10] = INFINITY;
    v[20] = 0.3;
    img = write_and_read(&s, "one_point.png");
    cairo_surface_destroy(img);
}

static void test_gaps_and_threshold(void **st)
{
    (void)st;
    double v[N_HIST];
    memcpy(v, hv, sizeof v);
    for (int i = 1000; i < 1400; i++)
        v[i] = NAN;
    plot_spec s = full_spec("gaps");
    s.hist_v = v;
    cairo_surface_t *img = write_and_read(&s, "gaps.png");
    assert_true(blue(img, W, H) > 100);
    assert_int_equal(red(img, W, H), 0);
    /* the gap (minutes 1000-1399 of 3600 on the time axis) is empty; the plot area spans
     * about x 86..776 at this size */
    double x0 = 86 * (W / 640.0 < 1 ? W / 640.0 : 1), x1 = W - 24;
    int g0 = (int)(x0 + (x1 - x0) * 1010 / 3599), g1 = (int)(x0 + (x1 - x0) * 1390 / 3599);
    assert_int_equal(chk_count_color(img, g0, H / 10, g1, H * 4 / 5, 31, 119, 180, 60), 0);
    assert_true(chk_count_color(img, g0 - 60, H / 10, g0 - 10, H * 4 / 5, 31, 119, 180, 60) > 20);
    cairo_surface_destroy(img);

    s.hlines[0].y = 0.9;
    s.hlines[0].label = "90% threshold";
    s.n_hlines = 1;
    double at[2] = {ht[100], ht[2000]}, av[2] = {hv[100], hv[2000]};
    s.anom_t = at;
    s.anom_v = av;
    s.anom_n = 2;
    s.anom_label = "anomaly";
    img = write_and_read(&s, "threshold.png");
    assert_true(red(img, W, H) > 100);
    cairo_surface_destroy(img);
}

static void test_large_series(void **st)
{
    (void)st;
    enum { BIG = 100000 };
    double *t = malloc(BIG * sizeof *t), *v = malloc(BIG * sizeof *v);
    assert_non_null(t);
    assert_non_null(v);
    for (int i = 0; i < BIG; i++) {
        t[i] = T0 + i * 15.0;
        v[i] = 1e9 + 1e8 * sin(i / 3000.0) + (i % 7) * 1e6;
    }
    plot_spec s = plot_spec_init("100k points", "bytes", W, H);
    s.hist_t = t;
    s.hist_v = v;
    s.hist_n = BIG;
    cairo_surface_t *img = write_and_read(&s, "big.png");
    assert_true(blue(img, W, H) > 300);
    assert_true(chk_variance(img, AREA(W, H)) > 50);
    cairo_surface_destroy(img);
    free(t);
    free(v);
}

static void test_window(void **st)
{
    (void)st;
    /* x_min cuts the first half away: the old high values (0.9) must not show */
    double v[N_HIST];
    for (int i = 0; i < N_HIST; i++)
        v[i] = i < N_HIST / 2 ? 0.9 : 0.1;      /* flat after: drawn across the middle */
    plot_spec s = plot_spec_init("window", "ratio", W, H);
    s.hist_t = ht;
    s.hist_v = v;
    s.hist_n = N_HIST;
    cairo_surface_t *img = write_and_read(&s, "nowindow.png");
    long top_all = chk_count_color(img, W / 5, H / 10, W * 9 / 10, H / 3, 31, 119, 180, 30);
    cairo_surface_destroy(img);
    s.x_min = ht[N_HIST / 2 + 10];
    img = write_and_read(&s, "window.png");
    long top_cut = chk_count_color(img, W / 5, H / 10, W * 9 / 10, H / 3, 31, 119, 180, 30);
    cairo_surface_destroy(img);
    assert_true(top_all > 100);
    assert_true(top_cut < top_all / 10);
}

static void test_scatter(void **st)
{
    (void)st;
    plot_point p[5] = {{0.2, 0.3, 0, NULL},
                       {0.5, 0.4, 0, NULL},
                       {0.95, 0.1, 1, "host03 cpu_saturation"},
                       {NAN, 0.5, 1, "skipped"},
                       {0.4, 0.6, 0, NULL}};
    plot_spec s = plot_spec_init("Node classification", "ratio", 700, 500);
    s.points = p;
    s.n_points = 5;
    s.x_unit = "ratio";
    s.x_title = "host";
    s.y_title = "pod";
    s.hist_label = "normal";
    s.anom_label = "anomalous";
    cairo_surface_t *img = write_and_read(&s, "scatter.png");
    assert_true(chk_count_color(img, 0, 0, 700, 500, 214, 39, 40, 40) > 50);
    assert_true(chk_count_color(img, 0, 0, 700, 500, 31, 119, 180, 60) > 50);
    cairo_surface_destroy(img);

    plot_point q[2] = {{NAN, 1, 0, NULL}, {1, INFINITY, 1, "x"}};
    s.points = q;
    s.n_points = 2;
    img = write_and_read(&s, "scatter_nan.png");
    assert_int_equal(chk_count_color(img, 0, 0, 700, 500, 214, 39, 40, 40), 0);
    assert_true(chk_count_nonwhite(img, 700 / 3, 500 / 3, 700 * 2 / 3, 500 * 2 / 3) > 100);
    cairo_surface_destroy(img);
}

static void test_small_size_and_bad_size(void **st)
{
    (void)st;
    plot_spec s = full_spec("tiny");
    s.width = PLOT_MIN_SIZE;
    s.height = PLOT_MIN_SIZE;
    cairo_surface_t *img = write_and_read(&s, "tiny.png");
    cairo_surface_destroy(img);

    char path[256], err[256];
    snprintf(path, sizeof path, "%s/bad.png", dir);
    s.width = PLOT_MIN_SIZE - 1;
    assert_int_equal(plot_write_png(&s, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "size 63x64"));
    s.width = 100;
    s.height = PLOT_MAX_SIZE + 1;
    assert_int_equal(plot_write_png(&s, path, err, sizeof err), -1);
    struct stat sb;
    assert_int_equal(stat(path, &sb), -1);
    assert_int_equal(plot_write_png(&s, "", err, sizeof err), -1);
}

static void test_context_reuse(void **st)
{
    (void)st;
    /* one context across sizes and kinds gives the same bytes as separate calls */
    plot_ctx *c = plot_ctx_new();
    assert_non_null(c);
    plot_spec a = full_spec("big");
    plot_spec b = plot_spec_init("small empty", "bytes", 300, 200);
    const plot_spec *seq[] = {&a, &b, &a, &b};
    char path[256], err[256];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/ctx%zu.png", dir, i);
        assert_int_equal(plot_write_png_ctx(c, seq[i], path, err, sizeof err), 0);
        uint8_t *want;
        size_t wn, gn;
        assert_int_equal(plot_render_png(seq[i], &want, &wn, err, sizeof err), 0);
        uint8_t *got = chk_slurp(path, &gn);
        assert_int_equal(gn, wn);
        assert_memory_equal(got, want, wn);
        free(got);
        free(want);
    }
    plot_ctx_free(c);
    plot_ctx_free(NULL);
}

static void test_atomic_write(void **st)
{
    (void)st;
    char sub[256], path[300], err[256], names[512];
    snprintf(sub, sizeof sub, "%s/atomic", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(path, sizeof path, "%s/chart.png", sub);
    plot_spec s = full_spec("first");
    assert_int_equal(plot_write_png(&s, path, err, sizeof err), 0);
    s.title = "second";
    assert_int_equal(plot_write_png(&s, path, err, sizeof err), 0);
    /* replaced, and nothing else left in the directory */
    assert_int_equal(chk_dir_count(sub, names, sizeof names), 1);
    assert_string_equal(names, "chart.png\n");
    size_t n;
    uint8_t *png = chk_slurp(path, &n);
    uint32_t w, h;
    char title[64];
    assert_true(chk_png(png, n, &w, &h, "Title", title, sizeof title));
    assert_string_equal(title, "second");
    free(png);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);

    /* a missing directory: an error naming the file, nothing created */
    snprintf(path, sizeof path, "%s/missing/chart.png", dir);
    assert_int_equal(plot_write_png(&s, path, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_int_equal(stat(path, &sb), -1);
    /* a directory in the way of the file: the temporary file is removed */
    snprintf(path, sizeof path, "%s/adir", sub);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(plot_write_png(&s, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "adir"));
    assert_int_equal(chk_dir_count(sub, names, sizeof names), 2);
}

static void test_format_value(void **st)
{
    (void)st;
    char b[64];
    plot_format_value("ratio", 0.45, b, sizeof b);
    assert_string_equal(b, "45%");
    plot_format_value("ratio", 0.905, b, sizeof b);
    assert_string_equal(b, "90.5%");
    plot_format_value("percent", 12.25, b, sizeof b);
    assert_string_equal(b, "12.2%");
    plot_format_value("bytes", 1.5 * 1024 * 1024 * 1024, b, sizeof b);
    assert_string_equal(b, "1.5 GiB");
    plot_format_value("bytes", 512, b, sizeof b);
    assert_string_equal(b, "512 B");
    plot_format_value("bytes_per_second", 2.5 * 1024 * 1024, b, sizeof b);
    assert_string_equal(b, "2.5 MiB/s");
    plot_format_value("packets_per_second", 12000, b, sizeof b);
    assert_string_equal(b, "12 kpackets/s");
    plot_format_value("seconds_per_second", 0.25, b, sizeof b);
    assert_string_equal(b, "0.25 s/s");
    plot_format_value("seconds", 0.005, b, sizeof b);
    assert_string_equal(b, "5 ms");
    plot_format_value("cores", 3, b, sizeof b);
    assert_string_equal(b, "3 cores");
    plot_format_value(NULL, 2e6, b, sizeof b);
    assert_string_equal(b, "2 M");
    plot_format_value(NULL, 7, b, sizeof b);
    assert_string_equal(b, "7");
    plot_format_value("ratio", NAN, b, sizeof b);
    assert_string_equal(b, "NaN");
    plot_format_value("bytes", -INFINITY, b, sizeof b);
    assert_string_equal(b, "-Inf");
}

static void test_time_step(void **st)
{
    (void)st;
    assert_true(plot_time_step(3600, 1000) == 600);         /* 1 h: 10-minute ticks */
    assert_true(plot_time_step(60 * 3600, 1100) == 21600);  /* 48+12 h: 6-hour ticks */
    assert_true(plot_time_step(14 * 86400, 1100) == 172800); /* 14 days: 2-day ticks */
    assert_true(plot_time_step(600, 1100) == 60);
    assert_true(plot_time_step(0, 1000) == 60);
    assert_true(plot_time_step(NAN, 1000) == 60);
    assert_true(plot_time_step(1e9, 1000) == 2419200);
}

static void test_sanitize(void **st)
{
    (void)st;
    char b[16];
    assert_string_equal(plot_sanitize("host02", b, sizeof b), "host02");
    assert_string_equal(plot_sanitize("/var/lib", b, sizeof b), "_var_lib");
    assert_string_equal(plot_sanitize("a b\n/c", b, sizeof b), "a_b__c");
    assert_string_equal(plot_sanitize("h\xc3\xa9", b, sizeof b), "h__");
    assert_string_equal(plot_sanitize("..", b, sizeof b), "__");
    assert_string_equal(plot_sanitize(".", b, sizeof b), "_");
    assert_string_equal(plot_sanitize("a..b-c_d.E", b, sizeof b), "a..b-c_d.E");
    assert_string_equal(plot_sanitize("", b, sizeof b), "_");
    assert_string_equal(plot_sanitize(NULL, b, sizeof b), "_");
    assert_string_equal(plot_sanitize("0123456789abcdefXYZ", b, sizeof b), "0123456789abcde");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_chart),
        cmocka_unit_test(test_blank_background_differs_from_titled),
        cmocka_unit_test(test_no_data),
        cmocka_unit_test(test_all_nan),
        cmocka_unit_test(test_gaps_and_threshold),
        cmocka_unit_test(test_large_series),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_scatter),
        cmocka_unit_test(test_small_size_and_bad_size),
        cmocka_unit_test(test_context_reuse),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_format_value),
        cmocka_unit_test(test_time_step),
        cmocka_unit_test(test_sanitize),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
