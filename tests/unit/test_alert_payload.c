/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_alert_payload.c -- the webhook payload from hand-built result sets: the seed's
 * example (one SOON disk, one classification anomaly, one node under host pressure) field by
 * field with its JSON types (ints for counts, floats with ".0" kept, strings), the summary line
 * byte for byte with its UTF-8 arrows, the I/O+network crisis and anomaly and golden samples,
 * sample order and cap, and "not actionable" when everything is healthy. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/alert_payload.h"

/* 2025-11-21 11:32:56.529548 UTC */
static const struct timespec NOW = {1763724776, 529548000};

static const char *const disk_labels[] = {"__name__", "instance_mountpoint:metrics_ai_disk_usage:ratio",
                                          "instance", "192.168.10.82:9100", "mountpoint", "/"};
static const char *const ok_disk_labels[] = {"__name__", "instance_mountpoint:metrics_ai_disk_usage:ratio",
                                             "instance", "192.168.10.83:9100", "mountpoint", "/data"};
static const char *const io_labels[] = {"__name__", "instance_device:metrics_ai_disk_io_util:ratio",
                                        "device", "sda", "instance", "192.168.10.82:9100"};
static const char *const net_labels[] = {"__name__", "instance:metrics_ai_net_rx_bw:bytes_per_second",
                                         "instance", "192.168.10.84:9100"};
static const char *const inode_labels[] = {"__name__", "instance_mountpoint:metrics_ai_inode_usage:ratio",
                                           "instance", "192.168.10.85:9100", "mountpoint", "/var"};

static void row_init(result_row *row, const char *const *labels, uint32_t nlabels,
                     const char *signal, const char *layer, const char *display)
{
    memset(row, 0, sizeof *row);
    row->labels = labels;
    row->nlabels = nlabels;
    row->metric = labels[1];
    row->signal = signal;
    row->layer = layer;
    row->display = display;
    row->current = NAN;
    row->threshold = NAN;
    row->eta[0] = row->eta[1] = row->eta[2] = row->eta_lower = row->eta_upper = INFINITY;
}

static void set_eta(result_row *row, double thr, double ens_days, double lin_days, double pro_days)
{
    row->has_eta = 1;
    row->threshold = thr;
    row->eta[0] = ens_days * 86400.0;
    row->eta[1] = lin_days * 86400.0;
    row->eta[2] = pro_days * 86400.0;
    row->eta_lower = row->eta[0] * 0.8;
    row->eta_upper = row->eta[0] * 1.2;
}

/* The seed's example: host02's "/" at 79.67% reaches 90% in 21.8 days (SOON; the seed's own
 * example shows 31.8, which its 7-30 day rule would call OK), linear: never; a healthy disk;
 * host02 flagged by the classifier; pi under host pressure. */
static void seed_example(results *r, result_row rows[2], result_node nodes[3])
{
    memset(r, 0, sizeof *r);
    r->anomaly_threshold = 0.9;
    row_init(&rows[0], disk_labels, 3, "DISK_USAGE", "disk", "host02 (192.168.10.82)");
    rows[0].current = 0.7967;
    set_eta(&rows[0], 0.9, 21.8, INFINITY, 21.8);
    rows[0].eta[1] = INFINITY;
    row_init(&rows[1], ok_disk_labels, 3, "DISK_USAGE", "disk", "host03 (192.168.10.83)");
    rows[1].current = 0.5;
    set_eta(&rows[1], 0.9, INFINITY, INFINITY, INFINITY);
    r->rows = rows;
    r->nrows = 2;
    r->disk_soon = 1;
    memset(nodes, 0, 3 * sizeof *nodes);
    snprintf(nodes[0].node, sizeof nodes[0].node, "host02");
    snprintf(nodes[0].display, sizeof nodes[0].display, "host02 (192.168.10.82)");
    double v0[4] = {0.313898, 0.454784, 0.843041, 0.974526}, c0[4] = {0.1, 0.2, 0.3, 0.4};
    memcpy(nodes[0].value, v0, sizeof v0);
    memcpy(nodes[0].contrib, c0, sizeof c0);
    nodes[0].score = 0.71;
    nodes[0].flagged = 1;
    nodes[0].severity = 1;
    nodes[0].kind = "pod_memory";
    snprintf(nodes[1].node, sizeof nodes[1].node, "pi");
    snprintf(nodes[1].display, sizeof nodes[1].display, "pi (192.168.10.200)");
    double v1[4] = {0.174918, 0.840407, 0, 0};
    memcpy(nodes[1].value, v1, sizeof v1);
    nodes[1].score = 0.4;
    nodes[1].kind = "";
    nodes[1].host_pressure = 1;
    snprintf(nodes[2].node, sizeof nodes[2].node, "host03");
    snprintf(nodes[2].display, sizeof nodes[2].display, "host03 (192.168.10.83)");
    nodes[2].kind = "";
    r->nodes = nodes;
    r->nnodes = 3;
}

static cJSON *get(const cJSON *o, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!it)
        fail_msg("missing field \"%s\"", name);
    return (cJSON *)it;
}

static void expect_str(const cJSON *o, const char *name, const char *want)
{
    const cJSON *it = get(o, name);
    assert_true(cJSON_IsString(it));
    assert_string_equal(it->valuestring, want);
}

/* An integer count: a number printed without '.' or exponent (Python reads it as int). */
static void expect_int(const char *text, const cJSON *o, const char *name, long want)
{
    const cJSON *it = get(o, name);
    assert_true(cJSON_IsNumber(it));
    assert_int_equal(it->valueint, want);
    char *p = cJSON_PrintUnformatted(it);
    assert_non_null(p);
    char w[32];
    snprintf(w, sizeof w, "%ld", want);
    assert_string_equal(p, w);
    free(p);
    assert_non_null(text);
}

/* A float printed as the seed prints it: the exact text "name":want appears in the payload and
 * the field is a number with that value. */
static void expect_float(const char *text, const cJSON *o, const char *name, const char *want)
{
    const cJSON *it = get(o, name);
    assert_true(cJSON_IsNumber(it));
    assert_true(fabs(it->valuedouble - strtod(want, NULL)) < 1e-12);
    assert_non_null(strchr(want, '.'));
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":%s", name, want);
    if (!strstr(text, pat))
        fail_msg("%s not in the payload", pat);
}

static int nkeys(const cJSON *o)
{
    return cJSON_GetArraySize(o);
}

static void test_seed_example(void **state)
{
    (void)state;
    results r;
    result_row rows[2];
    result_node nodes[3];
    seed_example(&r, rows, nodes);
    alert_counts c;
    alert_counts_of(&r, &c);
    assert_true(alert_actionable(&c));
    char *text = alert_payload_json(&r, &NOW);
    assert_non_null(text);
    /* the counts are integers in the text, not 1.0 */
    assert_non_null(strstr(text, "\"soon\":1,\"total\":1,"));
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    assert_int_equal(nkeys(root), 9);
    expect_str(root, "timestamp", "2025-11-21T11:32:56.529548");
    const char *summary = "Disk \xe2\x86\x92 0 critical, 0 warning, 1 soon | I/O+Network Crisis "
                          "\xe2\x86\x92 0 | I/O+Network Anomaly \xe2\x86\x92 0 | Golden Signals "
                          "\xe2\x86\x92 0 | Classification Anomalies \xe2\x86\x92 1 | Host "
                          "Pressure \xe2\x86\x92 1";
    expect_str(root, "summary_text", summary);
    expect_str(root, "text", summary);
    /* the arrow is the raw UTF-8 sequence, not a \u escape */
    assert_non_null(strstr(text, "Disk \xe2\x86\x92 0 critical"));
    assert_null(strstr(text, "\\u"));

    const cJSON *disk = get(root, "disk");
    assert_int_equal(nkeys(disk), 5);
    expect_int(text, disk, "critical", 0);
    expect_int(text, disk, "warning", 0);
    expect_int(text, disk, "soon", 1);
    expect_int(text, disk, "total", 1);
    const cJSON *ds = get(disk, "samples");
    assert_true(cJSON_IsArray(ds));
    assert_int_equal(cJSON_GetArraySize(ds), 1);     /* the OK disk is left out */
    const cJSON *d0 = cJSON_GetArrayItem(ds, 0);
    assert_int_equal(nkeys(d0), 8);
    expect_str(d0, "instance", "host02 (192.168.10.82)");
    expect_str(d0, "mountpoint", "/");
    expect_float(text, d0, "current_%", "79.67");
    expect_float(text, d0, "days_to_90pct", "21.8");
    expect_float(text, d0, "ensemble_eta", "21.8");
    expect_float(text, d0, "linear_eta", "9999.0");
    expect_float(text, d0, "prophet_eta", "21.8");
    expect_str(d0, "alert", "SOON");

    static const char *const empty[] = {"io_network_crisis", "io_network_anomaly",
                                        "golden_anomaly"};
    for (int i = 0; i < 3; i++) {
        const cJSON *o = get(root, empty[i]);
        assert_int_equal(nkeys(o), 2);
        expect_int(text, o, "total", 0);
        assert_true(cJSON_IsArray(get(o, "samples")));
        assert_int_equal(cJSON_GetArraySize(get(o, "samples")), 0);
    }

    const cJSON *cl = get(root, "classification_anomaly");
    expect_int(text, cl, "total", 1);
    assert_int_equal(cJSON_GetArraySize(get(cl, "samples")), 1);
    const cJSON *c0 = cJSON_GetArrayItem(get(cl, "samples"), 0);
    assert_int_equal(nkeys(c0), 10);
    expect_str(c0, "instance", "host02 (192.168.10.82)");
    expect_float(text, c0, "host_cpu", "0.313898");
    expect_float(text, c0, "host_mem", "0.454784");
    expect_float(text, c0, "pod_cpu", "0.843041");
    expect_float(text, c0, "pod_mem", "0.974526");
    expect_str(c0, "severity", "WARNING");
    expect_str(c0, "signal", "anomalous_node");
    expect_str(c0, "detected_at", "2025-11-21 11:32:56");
    expect_str(c0, "kind", "pod_memory");
    const cJSON *why = get(c0, "contributions");
    assert_int_equal(nkeys(why), 4);
    expect_float(text, why, "host_cpu", "0.1");
    expect_float(text, why, "host_mem", "0.2");
    expect_float(text, why, "pod_cpu", "0.3");
    expect_float(text, why, "pod_mem", "0.4");

    const cJSON *hp = get(root, "host_pressure");
    expect_int(text, hp, "total", 1);
    assert_int_equal(cJSON_GetArraySize(get(hp, "samples")), 1);
    const cJSON *h0 = cJSON_GetArrayItem(get(hp, "samples"), 0);
    assert_int_equal(nkeys(h0), 6);
    expect_str(h0, "instance", "pi (192.168.10.200)");
    expect_float(text, h0, "host_cpu", "0.174918");
    expect_float(text, h0, "host_mem", "0.840407");
    expect_str(h0, "severity", "WARNING");
    expect_str(h0, "signal", "host_pressure");
    expect_str(h0, "detected_at", "2025-11-21 11:32:56");

    /* the seed's key order */
    const char *order[] = {"\"timestamp\"", "\"summary_text\"", "\"text\"", "\"disk\"",
                           "\"io_network_crisis\"", "\"io_network_anomaly\"", "\"golden_anomaly\"",
                           "\"classification_anomaly\"", "\"host_pressure\""};
    const char *at = text;
    for (int i = 0; i < 9; i++) {
        const char *p = strstr(at, order[i]);
        assert_non_null(p);
        at = p;
    }
    cJSON_Delete(root);
    free(text);
}

static void test_summary_exact(void **state)
{
    (void)state;
    alert_counts c = {.disk_critical = 2, .disk_warning = 3, .disk_soon = 4, .disk_total = 9,
                      .io_network_crisis = 5, .io_network_anomaly = 6, .golden_anomaly = 7,
                      .classification_anomaly = 8, .host_pressure = 10};
    char buf[512];
    size_t n = alert_summary_text(&c, buf, sizeof buf);
    const char *want = "Disk \xe2\x86\x92 2 critical, 3 warning, 4 soon | I/O+Network Crisis "
                       "\xe2\x86\x92 5 | I/O+Network Anomaly \xe2\x86\x92 6 | Golden Signals "
                       "\xe2\x86\x92 7 | Classification Anomalies \xe2\x86\x92 8 | Host Pressure "
                       "\xe2\x86\x92 10";
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
    char small[8];
    assert_int_equal(alert_summary_text(&c, small, sizeof small), strlen(want));
    assert_string_equal(small, "Disk \xe2\x86");   /* truncated, terminated */
}

static void test_not_actionable(void **state)
{
    (void)state;
    alert_counts c;
    alert_counts_of(NULL, &c);
    assert_false(alert_actionable(&c));
    results r;
    result_row rows[2];
    result_node nodes[3];
    seed_example(&r, rows, nodes);
    r.disk_soon = 0;
    set_eta(&rows[0], 0.9, INFINITY, INFINITY, INFINITY);
    nodes[0].flagged = 0;
    nodes[1].host_pressure = 0;
    alert_counts_of(&r, &c);
    assert_false(alert_actionable(&c));
    /* each category alone makes it actionable */
    uint64_t *f[] = {&c.disk_total, &c.io_network_crisis, &c.io_network_anomaly,
                     &c.golden_anomaly, &c.classification_anomaly, &c.host_pressure};
    for (int i = 0; i < 6; i++) {
        alert_counts one = c;
        uint64_t *p = (uint64_t *)((char *)&one + ((char *)f[i] - (char *)&c));
        *p = 1;
        assert_true(alert_actionable(&one));
    }
    /* the healthy payload still renders: zeros, empty samples, no disk sample */
    char *text = alert_payload_json(&r, &NOW);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"disk\":{\"critical\":0,\"warning\":0,\"soon\":0,\"total\":0,"
                                 "\"samples\":[]}"));
    assert_non_null(strstr(text, "\"host_pressure\":{\"total\":0,\"samples\":[]}"));
    free(text);
    text = alert_payload_json(NULL, &NOW);
    assert_non_null(text);
    assert_non_null(strstr(text, "Disk \xe2\x86\x92 0 critical, 0 warning, 0 soon"));
    free(text);
}

/* I/O crisis (sda 6.5 days to 90% -> WARNING), an anomalous network series (score 0.995 ->
 * CRITICAL) and an anomalous golden series on a mountpoint (0.93 -> WARNING). */
static void test_io_and_golden(void **state)
{
    (void)state;
    results r;
    memset(&r, 0, sizeof r);
    result_row rows[4];
    row_init(&rows[0], io_labels, 3, "DISK_IO_UTIL", "io", "host02 (192.168.10.82)");
    rows[0].current = 0.8125;
    set_eta(&rows[0], 0.9, 6.5, 8.25, INFINITY);
    row_init(&rows[1], net_labels, 2, "NET_RX_BW", "net", "host04 (192.168.10.84)");
    rows[1].current = 123456.5;
    rows[1].anomaly = 0.995;
    rows[1].anomalous = 1;
    row_init(&rows[2], inode_labels, 3, "INODE_USAGE", "golden", "host05 (192.168.10.85)");
    rows[2].current = 0.5;
    rows[2].anomaly = 0.93;
    rows[2].anomalous = 1;
    /* a far-off I/O ETA is no crisis */
    row_init(&rows[3], io_labels, 3, "DISK_IO_UTIL", "io", "host09 (192.168.10.89)");
    set_eta(&rows[3], 0.9, 45, 60, 70);
    r.rows = rows;
    r.nrows = 4;
    r.io_network_crisis = 1;
    r.io_network_anomaly = 1;
    r.golden_anomaly = 1;
    char *text = alert_payload_json(&r, &NOW);
    assert_non_null(text);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);

    const cJSON *cr = get(root, "io_network_crisis");
    expect_int(text, cr, "total", 1);
    assert_int_equal(cJSON_GetArraySize(get(cr, "samples")), 1);
    const cJSON *s = cJSON_GetArrayItem(get(cr, "samples"), 0);
    assert_int_equal(nkeys(s), 10);
    expect_str(s, "instance", "host02 (192.168.10.82)");
    expect_str(s, "signal", "DISK_IO_UTIL");
    expect_str(s, "device", "sda");
    expect_float(text, s, "current", "0.8125");
    expect_float(text, s, "threshold", "0.9");
    expect_float(text, s, "days_to_threshold", "6.5");
    expect_float(text, s, "ensemble_eta", "6.5");
    expect_float(text, s, "linear_eta", "8.25");
    expect_float(text, s, "prophet_eta", "9999.0");
    expect_str(s, "severity", "WARNING");

    const cJSON *an = get(root, "io_network_anomaly");
    expect_int(text, an, "total", 1);
    s = cJSON_GetArrayItem(get(an, "samples"), 0);
    assert_int_equal(nkeys(s), 6);  /* no device or mountpoint label */
    expect_str(s, "instance", "host04 (192.168.10.84)");
    expect_str(s, "signal", "NET_RX_BW");
    expect_float(text, s, "current", "123456.5");
    expect_float(text, s, "anomaly_score", "0.995");
    expect_str(s, "severity", "CRITICAL");
    expect_str(s, "detected_at", "2025-11-21 11:32:56");

    const cJSON *go = get(root, "golden_anomaly");
    expect_int(text, go, "total", 1);
    s = cJSON_GetArrayItem(get(go, "samples"), 0);
    assert_int_equal(nkeys(s), 7);
    expect_str(s, "signal", "INODE_USAGE");
    expect_str(s, "mountpoint", "/var");
    expect_float(text, s, "current", "0.5");
    expect_float(text, s, "anomaly_score", "0.93");
    expect_str(s, "severity", "WARNING");
    cJSON_Delete(root);
    free(text);
}

/* More disks than the cap: the totals count all, the samples are the most urgent first. */
static void test_order_and_cap(void **state)
{
    (void)state;
    size_t n = ALERT_PAYLOAD_MAX_SAMPLES + 10;
    result_row *rows = calloc(n, sizeof *rows);
    assert_non_null(rows);
    results r;
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < n; i++) {
        row_init(&rows[i], disk_labels, 3, "DISK_USAGE", "disk", "host02 (192.168.10.82)");
        rows[i].current = 0.8;
        set_eta(&rows[i], 0.9, 29.0 - 0.25 * (double)i, 9999, 9999);  /* later rows: sooner */
    }
    r.rows = rows;
    r.nrows = n;
    r.disk_soon = n;    /* all within 7-30 days */
    char *text = alert_payload_json(&r, &NOW);
    assert_non_null(text);
    cJSON *root = cJSON_Parse(text);
    const cJSON *disk = get(root, "disk");
    expect_int(text, disk, "total", (long)n);
    const cJSON *ds = get(disk, "samples");
    assert_int_equal(cJSON_GetArraySize(ds), ALERT_PAYLOAD_MAX_SAMPLES);
    double first = cJSON_GetObjectItem(cJSON_GetArrayItem(ds, 0), "days_to_90pct")->valuedouble;
    double last = cJSON_GetObjectItem(cJSON_GetArrayItem(ds, ALERT_PAYLOAD_MAX_SAMPLES - 1),
                                      "days_to_90pct")->valuedouble;
    assert_true(fabs(first - (29.0 - 0.25 * (double)(n - 1))) < 1e-9);
    assert_true(first < last);
    cJSON_Delete(root);
    free(text);
    free(rows);
}

static void test_times(void **state)
{
    (void)state;
    char b[32];
    struct timespec t = {0, 999999999};
    alert_iso_time(&t, b);
    assert_string_equal(b, "1970-01-01T00:00:00.999999");
    alert_detected_at(&t, b);
    assert_string_equal(b, "1970-01-01 00:00:00");
    t = (struct timespec){1763724776, 0};
    alert_iso_time(&t, b);
    assert_string_equal(b, "2025-11-21T11:32:56.000000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_example),
        cmocka_unit_test(test_summary_exact),
        cmocka_unit_test(test_not_actionable),
        cmocka_unit_test(test_io_and_golden),
        cmocka_unit_test(test_order_and_cap),
        cmocka_unit_test(test_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
