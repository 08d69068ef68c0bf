/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_plot_set.c -- every file the seed lists for a small cluster (host and pod
 * layers with backtests, two disks, two I/O-network series, three nodes), with the window from
 * --plot-history-hours/--plot-forecast-hours in each title; each file a sound PNG of the
 * configured size, read back by cairo, not blank, titled; no other file in the directory (no
 * temporary files); the history window cuts old data; file names from hostile node and mount
 * names stay inside the directory; empty and NaN inputs; directory errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <sys/stat.h>

#include "exporter/plot_set.h"
#include "png_check.h"

#define W 640
#define H 320
#define SW 500
#define SH 400

enum { N_HIST = 96 * 60, N_FC = 12 * 60 };     /* 96 h of history at 60 s, 12 h forecast */
static double ht[N_HIST], hv[N_HIST], ft[N_FC], fm[N_FC], fl[N_FC], fu[N_FC];
static const double NOW = 1795000000.0;
static char root[] = "/tmp/test_plot_set.XXXXXX";

static int setup(void **st)
{
    (void)st;
    if (!mkdtemp(root))
        return -1;
    for (int i = 0; i < N_HIST; i++) {
        ht[i] = NOW - (N_HIST - 1 - i) * 60.0;
        hv[i] = 0.5 + 0.2 * sin(i * 2 * M_PI / 1440);
    }
    for (int i = 0; i < N_FC; i++) {
        ft[i] = NOW + (i + 1) * 60.0;
        fm[i] = 0.5 + 0.2 * sin((N_HIST + i) * 2 * M_PI / 1440);
        fl[i] = fm[i] - 0.04;
        fu[i] = fm[i] + 0.04;
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    chk_rmtree(root);
    return 0;
}

static plot_series_in series(const char *signal, const char *unit, const char *node,
                             const char *mount, double threshold)
{
    plot_series_in s;
    memset(&s, 0, sizeof s);
    s.signal = signal;
    s.unit = unit;
    s.node = node;
    s.mountpoint = mount;
    s.hist_t = ht;
    s.hist_v = hv;
    s.hist_n = N_HIST;
    s.fc_t = ft;
    s.fc_mean = fm;
    s.fc_lower = fl;
    s.fc_upper = fu;
    s.fc_n = N_FC;
    s.threshold = threshold;
    s.eta_s = NAN;
    s.bt_split_t = NAN;
    s.bt_mae = NAN;
    return s;
}

/* the configuration as main() builds it, from flags */
static plot_set_cfg cfg_for(mai_config *c, const char *dir)
{
    char err[256];
    char *argv[] = {"metrics-ai", "--plot-history-hours", "48", "--plot-forecast-hours", "12",
                    NULL};
    assert_int_equal(config_load(c, 5, argv, NULL, err, sizeof err), 0);
    snprintf(c->forecast_plots_dir, sizeof c->forecast_plots_dir, "%s", dir);
    plot_set_cfg g = plot_set_cfg_from(c);
    g.width = W;
    g.height = H;
    g.scatter_width = SW;
    g.scatter_height = SH;
    return g;
}

/* one file: sound PNG of w x h, read back, not blank, title containing want */
static void check_file_var(const char *dir, const char *name, int w, int h, const char *want,
                           double min_var)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t n;
    uint8_t *png = chk_slurp(path, &n);
    if (!png)
        fail_msg("missing %s", name);
    uint32_t pw, ph;
    char title[600];
    if (!chk_png(png, n, &pw, &ph, "Title", title, sizeof title))
        fail_msg("not a sound PNG: %s", name);
    assert_int_equal(pw, (uint32_t)w);
    assert_int_equal(ph, (uint32_t)h);
    if (!strstr(title, want))
        fail_msg("%s: title \"%s\" lacks \"%s\"", name, title, want);
    free(png);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(img), w);
    cairo_surface_flush(img);
    if (!(chk_variance(img, w / 5, h / 5, w * 9 / 10, h * 4 / 5) > min_var))
        fail_msg("%s: blank plot area", name);
    if (chk_count_nonwhite(img, w / 4, 0, w * 3 / 4, h / 12) < 20)
        fail_msg("%s: blank title area", name);
    cairo_surface_destroy(img);
}

static void check_file(const char *dir, const char *name, int w, int h, const char *want)
{
    check_file_var(dir, name, w, h, want, 30);
}

static void test_every_file(void **st)
{
    (void)st;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/full/plots", root);      /* created, parents too */
    mai_config c;
    plot_set_cfg g = cfg_for(&c, dir);

    plot_series_in host = series("HOST_CPU", "ratio", "cluster", NULL, NAN);
    plot_series_in pod = series("POD_CPU", "ratio", "cluster", NULL, NAN);
    host.bt_t = ht + N_HIST - 600;
    host.bt_mean = hv + N_HIST - 600;
    host.bt_n = 600;
    host.bt_mae = 0.012;
    pod.bt_t = ht + N_HIST - 600;
    pod.bt_mean = hv + N_HIST - 600;
    pod.bt_n = 600;
    plot_series_in disks[2] = {series("DISK_USAGE", "ratio", "host02", "/", 0.9),
                               series("DISK_USAGE", "ratio", "host02", "/var/lib", 0.9)};
    disks[0].display = "host02 (192.168.10.82)";
    disks[0].eta_s = 3 * 86400;
    plot_series_in io[2] = {series("DISK_IO_WAIT", "seconds_per_second", "host02", NULL, 0.8),
                            series("NET_RX_BW", "bytes_per_second", "host03", NULL, 1e8)};
    io[1].eta_s = INFINITY;
    double at[1] = {ht[N_HIST - 100]}, av[1] = {hv[N_HIST - 100]};
    io[0].anom_t = at;
    io[0].anom_v = av;
    io[0].anom_n = 1;
    plot_node_in nodes[3] = {{"host01 (10.0.0.1)", 0.2, 0.3, 0, ""},
                             {"host02 (10.0.0.2)", 0.9, 0.1, 1, "cpu_saturation"},
                             {"host03 (10.0.0.3)", 0.4, 0.5, 0, NULL}};
    plot_set_in in = {.now = NAN,
                      .host_layer = &host,
                      .pod_layer = &pod,
                      .disks = disks,
                      .ndisks = 2,
                      .ionet = io,
                      .nionet = 2,
                      .nodes = nodes,
                      .nnodes = 3,
                      .backtest = 1};
    plot_set_stats stats;
    char err[256];
    assert_int_equal(plot_set_write(&g, &in, &stats, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(stats.written, 11);
    assert_int_equal(stats.failed, 0);
    assert_true(stats.seconds > 0);

    const char *win = "48 hours Historical + 12 hours Forecast";
    check_file(dir, "host_layer_forecast.png", W, H, win);
    check_file(dir, "pod_layer_forecast.png", W, H, win);
    check_file(dir, "host_layer_backtest.png", W, H, "48 hours Historical, train | test, test MAE 1.2%");
    check_file(dir, "pod_layer_backtest.png", W, H, "48 hours Historical");
    check_file(dir, "disk_host02_root_forecast.png", W, H, win);
    check_file(dir, "disk_host02_root_forecast.png", W, H,
               "Disk host02 (192.168.10.82) /: threshold in 3.0 days");
    check_file(dir, "disk_host02_var_lib_forecast.png", W, H, win);
    check_file(dir, "host02_DISK_IO_WAIT_forecast.png", W, H, win);
    check_file(dir, "host03_NET_RX_BW_forecast.png", W, H, "no crossing predicted");
    check_file(dir, "DISK_IO_WAIT_host02_layer_forecast.png", W, H, win);
    check_file(dir, "NET_RX_BW_host03_layer_forecast.png", W, H, win);
    /* a scatter of three nodes is mostly white: lower variance, and the flagged node in red */
    check_file_var(dir, "classification_host_vs_pod.png", SW, SH, "(3 nodes, 1 flagged)", 5);
    char path0[512];
    snprintf(path0, sizeof path0, "%s/classification_host_vs_pod.png", dir);
    cairo_surface_t *sc = cairo_image_surface_create_from_png(path0);
    cairo_surface_flush(sc);
    assert_true(chk_count_color(sc, 0, 0, SW, SH, 214, 39, 40, 40) > 50);
    cairo_surface_destroy(sc);
    /* exactly these files: nothing temporary left behind */
    char names[2048];
    assert_int_equal(chk_dir_count(dir, names, sizeof names), 11);
    assert_null(strstr(names, ".XXXXXX"));
    assert_null(strchr(names, '~'));
    for (char *p = names; *p; p = strchr(p, '\n') + 1)
        assert_true(*p != '.');

    /* again without backtests into a fresh directory: no backtest files */
    snprintf(dir, sizeof dir, "%s/nobacktest", root);
    g.dir = dir;
    in.backtest = 0;
    in.nnodes = 0;
    assert_int_equal(plot_set_write(&g, &in, &stats, err, sizeof err), 0);
    assert_int_equal(stats.written, 8);
    struct stat sb;
    char path[512];
    snprintf(path, sizeof path, "%s/host_layer_backtest.png", dir);
    assert_int_equal(stat(path, &sb), -1);
    snprintf(path, sizeof path, "%s/classification_host_vs_pod.png", dir);
    assert_int_equal(stat(path, &sb), -1);
}

static void test_history_window(void **st)
{
    (void)st;
    /* 96 h of history: high for the first 72 h, flat low for the last 24 h */
    static double v[N_HIST];
    for (int i = 0; i < N_HIST; i++)
        v[i] = i < N_HIST - 24 * 60 ? 0.95 : 0.05;
    plot_series_in s = series("DISK_USAGE", "ratio", "host01", "/", NAN);
    s.hist_v = v;
    s.fc_n = 0;
    plot_set_in in = {.now = NOW, .disks = &s, .ndisks = 1};
    char dir[256], path[600], err[256];
    mai_config c;
    long top[2];
    for (int k = 0; k < 2; k++) {
        snprintf(dir, sizeof dir, "%s/window%d", root, k);
        plot_set_cfg g = cfg_for(&c, dir);
        g.history_hours = k == 0 ? 96 : 24;
        assert_int_equal(plot_set_write(&g, &in, NULL, err, sizeof err), 0);
        snprintf(path, sizeof path, "%s/disk_host01_root_forecast.png", dir);
        cairo_surface_t *img = cairo_image_surface_create_from_png(path);
        assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
        cairo_surface_flush(img);
        top[k] = chk_count_color(img, W / 5, H / 8, W * 9 / 10, H / 3, 31, 119, 180, 30);
        cairo_surface_destroy(img);
    }
    assert_true(top[0] > 100);      /* 96 h: the old high values are drawn near the top */
    assert_int_equal(top[1], 0);    /* 24 h: only the flat recent part, across the middle */
}

static void test_hostile_names(void **st)
{
    (void)st;
    char dir[256], err[256], names[1024];
    snprintf(dir, sizeof dir, "%s/hostile", root);
    mai_config c;
    plot_set_cfg g = cfg_for(&c, dir);
    plot_series_in d = series("DISK_USAGE", "ratio", "../../evil", "/../../x y", 0.9);
    plot_series_in io = series("../NET", "bytes_per_second", "a/b", NULL, NAN);
    plot_set_in in = {.now = NAN, .disks = &d, .ndisks = 1, .ionet = &io, .nionet = 1};
    assert_int_equal(plot_set_write(&g, &in, NULL, err, sizeof err), 0);
    assert_int_equal(chk_dir_count(dir, names, sizeof names), 3);
    assert_non_null(strstr(names, "disk_.._.._evil_.._.._x_y_forecast.png\n"));
    assert_non_null(strstr(names, "a_b_.._NET_forecast.png\n"));
    assert_non_null(strstr(names, ".._NET_a_b_layer_forecast.png\n"));
    /* nothing escaped the directory */
    assert_int_equal(chk_dir_count(root, names, sizeof names) >= 1, 1);
    assert_null(strstr(names, "evil"));
    assert_null(strstr(names, "NET"));

    char b[256];
    plot_set_disk_name("host02", "/", b, sizeof b);
    assert_string_equal(b, "disk_host02_root_forecast.png");
    plot_set_disk_name("host02", "/var/lib/docker", b, sizeof b);
    assert_string_equal(b, "disk_host02_var_lib_docker_forecast.png");
    plot_set_disk_name(NULL, NULL, b, sizeof b);
    assert_string_equal(b, "disk_____forecast.png");
    plot_set_crisis_name("host02", "DISK_IO_WAIT", b, sizeof b);
    assert_string_equal(b, "host02_DISK_IO_WAIT_forecast.png");
    plot_set_ensemble_name("DISK_IO_WAIT", "host02", b, sizeof b);
    assert_string_equal(b, "DISK_IO_WAIT_host02_layer_forecast.png");
    /* long names are cut, the file name stays bounded */
    char longname[400];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    plot_set_crisis_name(longname, longname, b, sizeof b);
    assert_true(strlen(b) < 220);
    assert_non_null(strstr(b, "_forecast.png"));
}

static void test_empty_and_nan_inputs(void **st)
{
    (void)st;
    char dir[256], err[256];
    snprintf(dir, sizeof dir, "%s/empty", root);
    mai_config c;
    plot_set_cfg g = cfg_for(&c, dir);
    static double nan_v[N_HIST];
    for (int i = 0; i < N_HIST; i++)
        nan_v[i] = NAN;
    plot_series_in empty;
    memset(&empty, 0, sizeof empty);
    empty.threshold = NAN;
    empty.eta_s = NAN;
    empty.bt_split_t = NAN;
    empty.bt_mae = NAN;
    plot_series_in nan = series("NET_TX_BW", "bytes_per_second", "host09", NULL, 1e6);
    nan.hist_v = nan_v;
    nan.fc_mean = nan_v;
    nan.fc_lower = NULL;
    nan.fc_upper = NULL;
    plot_set_in in = {.now = NAN,
                      .host_layer = &empty,
                      .disks = &empty,
                      .ndisks = 1,
                      .ionet = &nan,
                      .nionet = 1,
                      .classification = 1,
                      .backtest = 1};
    plot_set_stats stats;
    assert_int_equal(plot_set_write(&g, &in, &stats, err, sizeof err), 0);
    assert_int_equal(stats.written, 6);
    char names[1024];
    assert_int_equal(chk_dir_count(dir, names, sizeof names), 6);
    /* each titled and sound */
    const char *files[] = {"host_layer_forecast.png", "host_layer_backtest.png",
                           "disk_____forecast.png", "host09_NET_TX_BW_forecast.png",
                           "NET_TX_BW_host09_layer_forecast.png", "classification_host_vs_pod.png"};
    for (size_t i = 0; i < 6; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        size_t n;
        uint8_t *png = chk_slurp(path, &n);
        if (!png)
            fail_msg("missing %s", files[i]);
        uint32_t w, h;
        char title[600];
        assert_true(chk_png(png, n, &w, &h, "Title", title, sizeof title));
        assert_true(strlen(title) > 5);
        free(png);
    }
}

static void test_errors_and_config(void **st)
{
    (void)st;
    char err[512], path[300];
    mai_config c;
    config_defaults(&c);
    plot_set_cfg g = plot_set_cfg_from(&c);
    assert_string_equal(g.dir, "./forecast_plots");
    assert_int_equal(g.width, PLOT_SET_WIDTH);
    char win[96];
    plot_set_window_text(&g, win, sizeof win);
    assert_string_equal(win, "168 hours Historical + 168 hours Forecast");
    g.history_hours = 1;
    g.forecast_hours = 2;
    plot_set_window_text(&g, win, sizeof win);
    assert_string_equal(win, "1 hour Historical + 2 hours Forecast");

    /* the directory is a file: one error naming it, nothing written */
    snprintf(path, sizeof path, "%s/afile", root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    g.dir = path;
    plot_series_in s = series("DISK_USAGE", "ratio", "h", "/", 0.9);
    plot_set_in in = {.now = NAN, .disks = &s, .ndisks = 1};
    plot_set_stats stats;
    assert_int_equal(plot_set_write(&g, &in, &stats, err, sizeof err), -1);
    assert_non_null(strstr(err, "afile"));
    assert_int_equal(stats.written, 0);
    /* a bad size fails each file, the first failure is reported */
    snprintf(path, sizeof path, "%s/badsize", root);
    g.dir = path;
    g.width = 10;
    assert_int_equal(plot_set_write(&g, &in, &stats, err, sizeof err), -1);
    assert_int_equal(stats.failed, 1);
    assert_non_null(strstr(err, "size 10x"));
    /* no input */
    assert_int_equal(plot_set_write(&g, NULL, NULL, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_file),
        cmocka_unit_test(test_history_window),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_empty_and_nan_inputs),
        cmocka_unit_test(test_errors_and_config),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
