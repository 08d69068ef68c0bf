/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_report.c -- a hand-built result set (two DISK_USAGE rows: filling, 2 days to
 * 90% -> CRITICAL, and flat -> 9999 / OK; one non-disk row) through disk_full_prediction.csv
 * (exact header, sorted rows, 9999, atomic replace, errors naming the file) and the console
 * tables at verbosity -1, 0 and 1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/report.h"

#define HEADER "instance,mountpoint,current_%,days_to_90pct,ensemble_eta,linear_eta,prophet_eta,alert"

static const char *const flat_labels[] = {"__name__", "instance_mountpoint:metrics_ai_disk_usage:ratio",
                                          "instance", "host01", "mountpoint", "/data"};
static const char *const full_labels[] = {"__name__", "instance_mountpoint:metrics_ai_disk_usage:ratio",
                                          "instance", "host02", "mountpoint", "/"};
static const char *const cpu_labels[] = {"__name__", "node_load1", "instance", "host03"};

static void disk_row(result_row *row, const char *const *labels, double now, double eta_s)
{
    memset(row, 0, sizeof *row);
    row->labels = labels;
    row->nlabels = 3;
    row->metric = labels[1];
    for (int h = 0; h < 2; h++) {
        row->mean[h] = now;
        row->lower[h] = now - 0.01;
        row->upper[h] = now + 0.01;
        row->skill[h] = NAN;
    }
    row->mean[0] = now + 0.004;     /* the table shows the newest value, not the forecast */
    row->current = now;
    row->ready = 1;
    row->points = 100;
    row->has_eta = 1;
    row->signal = "DISK_USAGE";
    row->threshold = 0.9;
    row->eta[0] = row->eta[1] = row->eta[2] = eta_s;
    row->eta_lower = eta_s;
    row->eta_upper = eta_s;
}

/* flat disk first in row order, so the report has to sort */
static void build(results *r, result_row rows[3])
{
    memset(r, 0, sizeof *r);
    r->nh = 2;
    snprintf(r->horizon[0], sizeof r->horizon[0], "15m");
    snprintf(r->horizon[1], sizeof r->horizon[1], "1h");
    disk_row(&rows[0], flat_labels, 0.5, INFINITY);
    disk_row(&rows[1], full_labels, 0.8, 2 * 86400.0);
    rows[1].eta[1] = INFINITY;                  /* linear never, prophet 3 days */
    rows[1].eta[2] = 3 * 86400.0;
    memset(&rows[2], 0, sizeof rows[2]);
    rows[2].labels = cpu_labels;
    rows[2].nlabels = 2;
    rows[2].metric = "node_load1";
    rows[2].mean[0] = 1.5, rows[2].lower[0] = 1.0, rows[2].upper[0] = 2.0;
    rows[2].mean[1] = 1.6, rows[2].lower[1] = 0.9, rows[2].upper[1] = 2.3;
    rows[2].skill[0] = 0.7, rows[2].skill[1] = 0.8;
    rows[2].ready = 1;
    rows[2].eta[0] = rows[2].eta[1] = rows[2].eta[2] = NAN;
    rows[2].current = NAN;
    r->rows = rows;
    r->nrows = 3;
    r->disk_critical = 1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_csv_rows(void **state)
{
    (void)state;
    char base[] = "/tmp/test_report.XXXXXX";
    assert_non_null(mkdtemp(base));
    char dir[256], path[320], err[256];
    snprintf(dir, sizeof dir, "%s/new/reports", base);      /* created when missing */
    snprintf(path, sizeof path, "%s/disk_full_prediction.csv", dir);
    results r;
    result_row rows[3];
    build(&r, rows);
    assert_int_equal(report_disk_csv(&r, dir, err, sizeof err), 0);
    const char *s = slurp(path);
    assert_non_null(s);
    assert_string_equal(s, HEADER "\n"
                           "host02,/,80.0,2.0,2.0,9999.0,3.0,CRITICAL\n"
                           "host01,/data,50.0,9999.0,9999.0,9999.0,9999.0,OK\n");
    assert_null(strstr(s, "node_load1"));
    assert_null(strstr(s, "host03"));
    assert_int_equal(dir_entries(dir), 1);                  /* no temporary file left */

    /* rewritten in place: the new set replaces the file, still one entry */
    rows[1].eta[0] = 5 * 86400.0;
    assert_int_equal(report_disk_csv(&r, dir, err, sizeof err), 0);
    s = slurp(path);
    assert_non_null(strstr(s, "host02,/,80.0,5.0,5.0,9999.0,3.0,WARNING\n"));
    assert_int_equal(dir_entries(dir), 1);

    /* no result set yet: header only */
    assert_int_equal(report_disk_csv(NULL, dir, err, sizeof err), 0);
    assert_string_equal(slurp(path), HEADER "\n");
    rm_rf(base);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    char base[] = "/tmp/test_report.XXXXXX";
    assert_non_null(mkdtemp(base));
    static const char *const odd[] = {"__name__", "d", "instance", "a,b", "mountpoint", "/x\"y"};
    results r;
    result_row rows[3];
    build(&r, rows);
    disk_row(&rows[0], odd, 0.25, INFINITY);
    r.nrows = 1;
    char err[256], path[320];
    assert_int_equal(report_disk_csv(&r, base, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/disk_full_prediction.csv", base);
    assert_string_equal(slurp(path), HEADER "\n\"a,b\",\"/x\"\"y\",25.0,9999.0,9999.0,9999.0,"
                                            "9999.0,OK\n");
    rm_rf(base);
}

static void test_csv_error(void **state)
{
    (void)state;
    char base[] = "/tmp/test_report.XXXXXX";
    assert_non_null(mkdtemp(base));
    char file[300], dir[320], err[512];
    snprintf(file, sizeof file, "%s/plainfile", base);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    /* a directory below a regular file cannot exist, even for root */
    snprintf(dir, sizeof dir, "%s/sub", file);
    results r;
    result_row rows[3];
    build(&r, rows);
    err[0] = '\0';
    assert_int_equal(report_disk_csv(&r, dir, err, sizeof err), -1);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "disk_full_prediction.csv"));
    assert_null(strchr(err, '\n'));
    /* the file itself as the directory */
    assert_int_equal(report_disk_csv(&r, file, err, sizeof err), -1);
    assert_non_null(strstr(err, file));
    assert_int_equal(dir_entries(base), 1);
    rm_rf(base);
}

/* The console output as a malloc'd string (via a temporary file). */
static char *console(const results *r, int verbosity, size_t *len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    report_console(r, f, verbosity);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void test_console_default(void **state)
{
    (void)state;
    results r;
    result_row rows[3];
    build(&r, rows);
    size_t len;
    char *s = console(&r, 0, &len);
    assert_non_null(strstr(s, "Disk forecast: 1 critical, 0 warning, 0 soon, 2 disks"));
    char *hdr = strstr(s, "instance");
    assert_non_null(hdr);
    assert_non_null(strstr(hdr, "mountpoint"));
    assert_non_null(strstr(hdr, "current %"));
    assert_non_null(strstr(hdr, "days to 90%"));
    assert_non_null(strstr(hdr, "alert"));
    char *crit = strstr(s, "host02");
    char *ok = strstr(s, "host01");
    assert_non_null(crit);
    assert_non_null(ok);
    assert_true(crit < ok);                                /* non-OK first */
    char *eol = strchr(crit, '\n');
    assert_non_null(eol);
    char *c = strstr(crit, "CRITICAL");
    assert_true(c && c < eol);
    assert_non_null(strstr(s, "Predictions:"));
    assert_non_null(strstr(s, "node_load1"));
    assert_non_null(strstr(s, "1.5 [1, 2]"));
    assert_null(strstr(s, "DEBUG"));
    free(s);
}

static void test_console_quiet(void **state)
{
    (void)state;
    results r;
    result_row rows[3];
    build(&r, rows);
    size_t len = 99;
    char *s = console(&r, -1, &len);
    assert_int_equal(len, 0);
    free(s);
    s = console(NULL, -1, &len);
    assert_int_equal(len, 0);
    free(s);
}

static void test_console_debug(void **state)
{
    (void)state;
    results r;
    result_row rows[3];
    build(&r, rows);
    size_t len;
    char *s = console(&r, 1, &len);
    char *d = strstr(s, "DEBUG: disk_alerts[0]={'instance': 'host02', 'mountpoint': '/', "
                        "'current_%': 80.0, 'days_to_90pct': 2.0, 'ensemble_eta': 2.0, "
                        "'linear_eta': 9999.0, 'prophet_eta': 3.0, 'alert': 'CRITICAL'");
    assert_non_null(d);
    assert_null(strstr(d + 1, "DEBUG"));                   /* the OK disk has no line */
    free(s);

    /* no alerts: one line saying so */
    rows[1].eta[0] = INFINITY;
    s = console(&r, 2, &len);
    assert_non_null(strstr(s, "DEBUG: disk_alerts=[]"));
    free(s);
}

/* Flagged nodes with the feature that explains most, host pressure, and the I/O, network and
 * golden signals at or above the alert threshold, with display names. */
static void test_console_nodes_and_signal_anomalies(void **state)
{
    (void)state;
    results r;
    result_row rows[3];
    build(&r, rows);
    result_node nodes[3];
    memset(nodes, 0, sizeof nodes);
    snprintf(nodes[0].node, sizeof nodes[0].node, "host02");
    snprintf(nodes[0].display, sizeof nodes[0].display, "host02 (192.168.10.82)");
    nodes[0].value[0] = 0.31, nodes[0].value[1] = 0.45, nodes[0].value[2] = 0.84;
    nodes[0].value[3] = 0.97;
    nodes[0].contrib[0] = 0.1, nodes[0].contrib[1] = 0.1, nodes[0].contrib[2] = 0.2;
    nodes[0].contrib[3] = 0.6;
    nodes[0].score = 0.71, nodes[0].flagged = 1, nodes[0].severity = 1;
    nodes[0].kind = "memory_pressure";
    snprintf(nodes[1].node, sizeof nodes[1].node, "pi");
    snprintf(nodes[1].display, sizeof nodes[1].display, "pi (192.168.10.200)");
    nodes[1].value[0] = 0.17, nodes[1].value[1] = 0.84;
    nodes[1].host_pressure = 1, nodes[1].kind = "";
    snprintf(nodes[2].node, sizeof nodes[2].node, "quiet");
    snprintf(nodes[2].display, sizeof nodes[2].display, "quiet");
    nodes[2].kind = "";
    r.nodes = nodes;
    r.nnodes = 3;
    r.anomaly_threshold = 0.9;
    rows[2].signal = "NET_ERRORS";
    rows[2].layer = "golden";
    rows[2].display = "host03 (10.0.0.3)";
    rows[2].current = 12.5;
    rows[2].anomaly = 0.97;
    rows[2].anomalous = 1;
    size_t len;
    char *s = console(&r, 0, &len);
    assert_non_null(strstr(s, "Classification anomalies: 1 of 3 nodes\n"));
    assert_non_null(strstr(s, "  host02 (192.168.10.82)  0.31"));
    assert_non_null(strstr(s, "0.71   WARNING   memory_pressure  pod_mem 60%\n"));
    assert_non_null(strstr(s, "Host pressure: 1 of 3 nodes\n"));
    assert_non_null(strstr(s, "  pi (192.168.10.200)  0.17"));
    assert_null(strstr(s, "quiet"));
    assert_non_null(strstr(s, "I/O+Network anomalies: 0, golden signal anomalies: 1 "
                              "(score >= 0.9)\n"));
    assert_non_null(strstr(s, "  host03 (10.0.0.3)  NET_ERRORS  -             12.5     0.97\n"));
    free(s);
}

static void test_console_many(void **state)
{
    (void)state;
    enum { N = 25 };
    result_row rows[N];
    results r;
    memset(&r, 0, sizeof r);
    r.nh = 1;
    snprintf(r.horizon[0], sizeof r.horizon[0], "1h");
    for (int i = 0; i < N; i++) {
        disk_row(&rows[i], full_labels, 0.5, INFINITY);
        rows[i].skill[0] = 0.5;
    }
    r.rows = rows;
    r.nrows = N;
    size_t len;
    char *s = console(&r, 0, &len);
    assert_non_null(strstr(s, "\xe2\x80\xa6 5 more\n"));    /* 20 disk rows shown */
    assert_non_null(strstr(s, "\xe2\x80\xa6 15 more\n"));   /* 10 prediction rows shown */
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_rows),      cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_error),     cmocka_unit_test(test_console_default),
        cmocka_unit_test(test_console_nodes_and_signal_anomalies),
        cmocka_unit_test(test_console_quiet), cmocka_unit_test(test_console_debug),
        cmocka_unit_test(test_console_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
