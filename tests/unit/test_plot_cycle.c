/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_plot_cycle.c -- the cycle's plots over a real store and cycle: every file of
 * the set written for the catalogue series (host and pod layer means over nodes, with backtests
 * when asked, one per disk, the I/O crisis and ensemble plots, the classification scatter),
 * sound PNGs of the configured size with the window and the aggregate in the Title, history
 * left of now and the forecast right of it, anomaly markers on a spike; nothing for
 * signals without a plot; --plot-interval respected (0: never; not again before it is due);
 * the scatter from the result set's nodes; plot_cycle_create's checks, and a cycle that runs
 * without plots when they are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/cycle.h"
#include "adapter/plot_cycle.h"
#include "adapter/store.h"
#include "exporter/results.h"
#include "models/base.h"

#include "png_check.h"
#include "req_builder.h"

#define MIN_S 60
#define T0_MS (19675 * 86400000LL)

static const char *const CPU_A[] = {"__name__", "instance:metrics_ai_host_cpu:ratio",
                                    "instance", "a:9100", NULL};
static const char *const CPU_B[] = {"__name__", "instance:metrics_ai_host_cpu:ratio",
                                    "instance", "b:9100", NULL};
static const char *const POD_A[] = {"__name__", "node:metrics_ai_pod_cpu:cores", "node", "a",
                                    NULL};
static const char *const DISK[] = {"__name__", "instance_mountpoint:metrics_ai_disk_usage:ratio",
                                   "instance", "a:9100", "mountpoint", "/var/lib", NULL};
static const char *const UTIL_SDA[] = {"__name__", "instance_device:metrics_ai_disk_io_util:ratio",
                                       "instance", "b:9100", "device", "sda", NULL};
static const char *const UTIL_SDB[] = {"__name__", "instance_device:metrics_ai_disk_io_util:ratio",
                                       "instance", "b:9100", "device", "sdb", NULL};
static const char *const NETERR[] = {"__name__",
                                     "instance:metrics_ai_net_errors:packets_per_second",
                                     "instance", "b:9100", NULL};
static const char *const GENERIC[] = {"__name__", "node_load1", "instance", "a:9100", NULL};
static const char *const *const ALL[] = {CPU_A, CPU_B, POD_A, DISK, UTIL_SDA, UTIL_SDB, NETERR,
                                         GENERIC, NULL};

static char root[] = "/tmp/test_plot_cycle.XXXXXX";

typedef struct fixture {
    store *st;
    store_scratch *sc;
    results_box *box;
    cycle *cyc;
    req_builder rb;
    char dir[300];
} fixture;

static int setup(void **st)
{
    (void)st;
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    chk_rmtree(root);
    return 0;
}

static double value(const char *const *s, int64_t m)
{
    double x = (double)m;
    if (s == CPU_A)         /* one spike, inside the plotted hour */
        return 0.3 + 0.1 * sin(x / 20) + (m == 690 ? 0.4 : 0);
    if (s == CPU_B)
        return 0.5 + 0.1 * cos(x / 15);
    if (s == POD_A)
        return 1.5 + 0.3 * sin(x / 25);
    if (s == DISK)
        return 0.5 + 0.001 * x;
    if (s == UTIL_SDA)
        return 0.2 + 0.05 * sin(x / 7);
    if (s == UTIL_SDB)
        return 0.6 + 0.05 * sin(x / 9);
    return 1 + 0.2 * sin(x * 0.7);
}

/* A store and cycle (fine 60 s x 720, coarse 1 h x 48) with 12 hours of every series (the
 * anomaly score's warm-up at 60 s is about 8 h); plots into a fresh directory with 1 h windows. */
static void fx_init(fixture *f, const char *name, unsigned plot_interval, int backtest)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/%s", root, name);
    store_config sc = {.shards = 4, .max_series = 100, .fine_cap = 720, .fine_step_ms = 60000,
                       .coarse_cap = 48, .coarse_step_ms = 3600000};
    assert_int_equal(store_create(&sc, &f->st), 0);
    f->sc = store_scratch_create();
    f->box = results_box_create();
    assert_non_null(f->sc);
    assert_non_null(f->box);
    cycle_config c = {.st = f->st, .box = f->box, .fine_step_s = 60, .coarse_step_s = 3600,
                      .fine_cap = 720, .coarse_cap = 48, .horizon_s = {900, 3600, 86400},
                      .nh = 3, .interval_s = 15, .max_models = 100, .fit_budget_s = 30,
                      .plot_interval_s = plot_interval, .plot_backtest = backtest,
                      .train_fraction = 0.8};
    c.plot_set = (plot_set_cfg){.dir = f->dir, .history_hours = 1, .forecast_hours = 1,
                                .width = 640, .height = 320, .scatter_width = 500,
                                .scatter_height = 400};
    assert_int_equal(cycle_create(&c, 0, &f->cyc), 0);
    for (int64_t m0 = 0; m0 < 720; m0 += 60) {
        rb_init(&f->rb);
        for (int k = 0; ALL[k]; k++) {
            rw_series *se = rb_series(&f->rb, ALL[k]);
            for (int64_t m = m0; m < m0 + 60; m++)
                rb_sample(&f->rb, se, T0_MS + m * MIN_S * 1000, value(ALL[k], m));
        }
        store_result res;
        assert_int_equal(store_ingest(f->st, &f->rb.req, f->sc, &res), 0);
    }
}

static void fx_free(fixture *f)
{
    cycle_destroy(f->cyc);
    results_box_destroy(f->box);
    store_destroy(f->st);
    store_scratch_destroy(f->sc);
}

/* a sound PNG of w x h whose Title holds every string of want (NULL-terminated) */
static void check_png_drawn(const char *dir, const char *name, uint32_t w, uint32_t h,
                            const char *const *want, int drawn)
{
    char path[512], title[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t n;
    uint8_t *png = chk_slurp(path, &n);
    if (!png)
        fail_msg("missing %s", name);
    uint32_t pw, ph;
    if (!chk_png(png, n, &pw, &ph, "Title", title, sizeof title))
        fail_msg("not a sound PNG: %s", name);
    free(png);
    assert_int_equal(pw, w);
    assert_int_equal(ph, h);
    for (int i = 0; want[i]; i++)
        if (!strstr(title, want[i]))
            fail_msg("%s: title \"%s\" lacks \"%s\"", name, title, want[i]);
    /* something drawn left of the centre of the plot area, where a "no data" chart is blank */
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(img);
    long ink = chk_count_nonwhite(img, (int)w / 5, (int)h / 5, (int)w * 2 / 5, (int)h * 4 / 5);
    if (drawn ? ink < 100 : ink > 0)
        fail_msg("%s: %s plot area (%ld pixels)", name, drawn ? "blank" : "non-blank", ink);
    cairo_surface_destroy(img);
}

static void check_png(const char *dir, const char *name, uint32_t w, uint32_t h,
                      const char *const *want)
{
    check_png_drawn(dir, name, w, h, want, 1);
}

/* the history line (blue) left of now and the forecast line (orange) right of it */
static void check_lines(const char *dir, const char *name, int w, int h)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(img);
    long hist = chk_count_color(img, w * 3 / 10, h / 10, w / 2, h * 9 / 10, 31, 119, 180, 25);
    long fc = chk_count_color(img, w * 6 / 10, h / 10, w * 97 / 100, h * 9 / 10, 255, 127, 14, 25);
    if (hist < 50 || fc < 50)
        fail_msg("%s: %ld history and %ld forecast pixels", name, hist, fc);
    cairo_surface_destroy(img);
}

/* pixels of the anomaly marker colour in the plot area */
static long count_anomaly_red(const char *dir, const char *name, int w, int h)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(img);
    long n = chk_count_color(img, w / 6, h / 10, w * 97 / 100, h * 9 / 10, 214, 39, 40, 20);
    cairo_surface_destroy(img);
    return n;
}

#define WANT(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_plot_cycle_writes_the_set(void **st)
{
    (void)st;
    fixture f;
    fx_init(&f, "full", 1, 1);
    cycle_run_once(f.cyc);
    const char *win = "1 hour Historical + 1 hour Forecast";
    check_png(f.dir, "host_layer_forecast.png", 640, 320, WANT(win, "HOST_CPU, mean of 2 nodes"));
    check_png(f.dir, "pod_layer_forecast.png", 640, 320, WANT(win, "POD_CPU, mean of 1 node"));
    check_png(f.dir, "host_layer_backtest.png", 640, 320,
              WANT("HOST_CPU, mean of 2 nodes", "train | test", "test MAE"));
    check_png(f.dir, "pod_layer_backtest.png", 640, 320, WANT("train | test", "test MAE"));
    check_png(f.dir, "disk_a_var_lib_forecast.png", 640, 320, WANT(win, "/var/lib"));
    check_png(f.dir, "b_DISK_IO_UTIL_forecast.png", 640, 320, WANT(win, "DISK_IO_UTIL crisis"));
    check_png(f.dir, "DISK_IO_UTIL_b_layer_forecast.png", 640, 320,
              WANT(win, "DISK_IO_UTIL b ensemble forecast"));
    check_lines(f.dir, "host_layer_forecast.png", 640, 320);
    /* the spike of a is an anomaly of the host layer mean: red markers; the pod layer has none */
    assert_true(count_anomaly_red(f.dir, "host_layer_forecast.png", 640, 320) >= 10);
    assert_int_equal(count_anomaly_red(f.dir, "pod_layer_forecast.png", 640, 320), 0);
    check_lines(f.dir, "pod_layer_forecast.png", 640, 320);
    check_lines(f.dir, "disk_a_var_lib_forecast.png", 640, 320);
    check_lines(f.dir, "DISK_IO_UTIL_b_layer_forecast.png", 640, 320);
    /* no node classification without host memory and the lookback: "no data" */
    check_png_drawn(f.dir, "classification_host_vs_pod.png", 500, 400, WANT("lassification"), 0);
    /* the two devices of b share the seed's file names; no plot for NET_ERRORS or node_load1;
     * no temporary files left */
    char names[2048];
    assert_int_equal(chk_dir_count(f.dir, names, sizeof names), 8);
    assert_null(strstr(names, "NET_ERRORS"));
    assert_null(strstr(names, "node_load1"));
    fx_free(&f);
}

static void test_plot_cycle_without_backtest(void **st)
{
    (void)st;
    fixture f;
    fx_init(&f, "nobt", 1, 0);
    cycle_run_once(f.cyc);
    char names[2048];
    assert_int_equal(chk_dir_count(f.dir, names, sizeof names), 6);
    assert_null(strstr(names, "backtest"));
    fx_free(&f);
}

static void test_plot_cycle_interval(void **st)
{
    (void)st;
    fixture f;
    fx_init(&f, "off", 0, 0);               /* --plot-interval 0: never */
    cycle_run_once(f.cyc);
    cycle_run_once(f.cyc);
    assert_int_equal(chk_dir_count(f.dir, NULL, 0), -1);
    fx_free(&f);

    fx_init(&f, "hourly", 3600, 0);         /* the first cycle, then not before an hour */
    cycle_run_once(f.cyc);
    assert_int_equal(chk_dir_count(f.dir, NULL, 0), 6);
    chk_rmtree(f.dir);
    cycle_run_once(f.cyc);
    assert_int_equal(chk_dir_count(f.dir, NULL, 0), -1);
    fx_free(&f);
}

/* The scatter from the result set's nodes: host CPU against pod CPU; no series: "no data"
 * layer plots */
static void test_plot_cycle_nodes(void **st)
{
    (void)st;
    store_config sc = {.shards = 1, .max_series = 1, .fine_cap = 10, .fine_step_ms = 60000,
                       .coarse_cap = 10, .coarse_step_ms = 3600000};
    store *s;
    assert_int_equal(store_create(&sc, &s), 0);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/nodes", root);
    plot_cycle_config pc = {.st = s, .set = {.dir = dir, .history_hours = 1, .forecast_hours = 1,
                                             .width = 400, .height = 300, .scatter_width = 500,
                                             .scatter_height = 400},
                            .fine_step_s = 60, .coarse_step_s = 3600, .fine_cap = 10,
                            .coarse_cap = 10, .train_fraction = 0.8};
    an_config_default(&pc.an);
    plot_cycle *p = NULL;
    assert_int_equal(plot_cycle_create(&pc, &p), 0);
    result_node nodes[3];
    memset(nodes, 0, sizeof nodes);
    for (int i = 0; i < 3; i++) {
        snprintf(nodes[i].node, sizeof nodes[i].node, "host%d", i);
        snprintf(nodes[i].display, sizeof nodes[i].display, "host%d (10.0.0.%d)", i, i);
        nodes[i].value[0] = 0.2 + 0.3 * i;
        nodes[i].value[2] = 0.1 + 0.2 * i;
        nodes[i].kind = "";
    }
    nodes[2].flagged = 1;
    nodes[2].kind = "cpu_saturation";
    results r = {.nodes = nodes, .nnodes = 3, .anomaly_threshold = 0.9};
    plot_set_stats stats;
    char err[256];
    assert_int_equal(plot_cycle_run(p, &r, NULL, 0, NAN, &stats, err, sizeof err), 0);
    assert_int_equal(stats.written, 3);
    check_png_drawn(dir, "classification_host_vs_pod.png", 500, 400, WANT("lassification"), 1);
    check_png_drawn(dir, "host_layer_forecast.png", 400, 300, WANT("HOST_CPU"), 0);
    check_png_drawn(dir, "pod_layer_forecast.png", 400, 300, WANT("POD_CPU"), 0);
    plot_cycle_destroy(p);
    store_destroy(s);
}

/* a plot configuration plot_cycle refuses leaves the cycle running without plots */
static void test_plot_cycle_bad_config_runs_without(void **st)
{
    (void)st;
    store_config sc = {.shards = 1, .max_series = 10, .fine_cap = 10, .fine_step_ms = 60000,
                       .coarse_cap = 10, .coarse_step_ms = 3600000};
    store *s;
    assert_int_equal(store_create(&sc, &s), 0);
    results_box *box = results_box_create();
    assert_non_null(box);
    cycle_config c = {.st = s, .box = box, .fine_step_s = 60, .coarse_step_s = 3600,
                      .fine_cap = 10, .coarse_cap = 10, .horizon_s = {900}, .nh = 1,
                      .interval_s = 15, .max_models = 10, .fit_budget_s = 1,
                      .plot_interval_s = 1, .train_fraction = 0.8};
    c.plot_set = (plot_set_cfg){.dir = "", .history_hours = 1, .forecast_hours = 1};
    cycle *cyc = NULL;
    assert_int_equal(cycle_create(&c, 0, &cyc), 0);
    cycle_run_once(cyc);
    const results *r = results_acquire(box);
    assert_non_null(r);
    results_release(box, r);
    cycle_destroy(cyc);
    results_box_destroy(box);
    store_destroy(s);
}

static void test_plot_cycle_create_checks(void **st)
{
    (void)st;
    store_config sc = {.shards = 1, .max_series = 1, .fine_cap = 10, .fine_step_ms = 60000,
                       .coarse_cap = 10, .coarse_step_ms = 3600000};
    store *s;
    assert_int_equal(store_create(&sc, &s), 0);
    plot_cycle_config ok = {.st = s, .set = {.dir = root, .history_hours = 1, .forecast_hours = 1,
                                             .width = 100, .height = 100},
                            .fine_step_s = 60, .coarse_step_s = 3600, .fine_cap = 10,
                            .coarse_cap = 10, .train_fraction = 0.8};
    plot_cycle *p = NULL;
    assert_int_equal(plot_cycle_create(&ok, &p), 0);
    plot_cycle_destroy(p);
    plot_cycle_destroy(NULL);
    plot_cycle_config bad = ok;
    bad.set.dir = "";
    assert_int_equal(plot_cycle_create(&bad, &p), -MAI_EINVAL);
    bad = ok;
    bad.st = NULL;
    assert_int_equal(plot_cycle_create(&bad, &p), -MAI_EINVAL);
    bad = ok;
    bad.train_fraction = 1;
    assert_int_equal(plot_cycle_create(&bad, &p), -MAI_EINVAL);
    bad = ok;
    bad.set.forecast_hours = 0;
    assert_int_equal(plot_cycle_create(&bad, &p), -MAI_EINVAL);
    store_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plot_cycle_writes_the_set),
        cmocka_unit_test(test_plot_cycle_without_backtest),
        cmocka_unit_test(test_plot_cycle_interval),
        cmocka_unit_test(test_plot_cycle_nodes),
        cmocka_unit_test(test_plot_cycle_bad_config_runs_without),
        cmocka_unit_test(test_plot_cycle_create_checks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
