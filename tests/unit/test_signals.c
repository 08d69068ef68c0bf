/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_signals.c -- the signal catalogue: every seed signal is built in with a
 * recorded name that follows the scheme, lookups by id and recorded name, override files
 * (replace, extend, remove, errors naming file:line), and the rule file, which promtool (when
 * installed) must accept, so every PromQL expression is parsed by Prometheus' own parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter/signals.h"
#include "models/base.h"

#define PROMTOOL "/usr/bin/promtool"

static const struct {
    const char *id, *layer;
} seed[] = {
    {"HOST_CPU", "host"},       {"HOST_MEM", "host"},       {"POD_CPU", "pod"},
    {"POD_MEM", "pod"},         {"DISK_USAGE", "disk"},     {"DISK_IO_WAIT", "io"},
    {"DISK_IO_UTIL", "io"},     {"NET_RX_BW", "net"},       {"NET_TX_BW", "net"},
    {"CPU_IOWAIT", "golden"},   {"INODE_USAGE", "golden"},  {"NET_DROPS", "golden"},
    {"NET_ERRORS", "golden"},   {"OOM_KILLS", "golden"},
};
#define NSEED (sizeof seed / sizeof seed[0])

/* A temporary file holding text; returns its path (static buffer per call site). */
static void write_tmp(char *path, size_t n, const char *text)
{
    snprintf(path, n, "/tmp/test_signals.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (n + 2 > cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        buf[n++] = (char)c;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    buf[n] = '\0';
    return buf;
}

static void test_seed_signals_present(void **state)
{
    (void)state;
    size_t n = 0;
    const signal_def *b = signals_builtin(&n);
    assert_non_null(b);
    assert_int_equal(n, NSEED);
    for (size_t i = 0; i < NSEED; i++) {
        const signal_def *d = signals_by_id(NULL, seed[i].id);
        if (!d) {
            print_error("signal %s missing\n", seed[i].id);
            fail();
        }
        assert_true(d->expr && strlen(d->expr) > 0);
        assert_true(d->record && strlen(d->record) > 0);
        assert_string_equal(d->layer, seed[i].layer);
        assert_true(d->unit && *d->unit);
        assert_true(d->group && *d->group);
        assert_true(d->by && *d->by);
        assert_true(d->help && *d->help);
        for (const char *p = d->expr; *p; p++)
            assert_true((unsigned char)*p >= 0x20);
    }
    /* Saturation thresholds where the seed has one, none elsewhere. */
    assert_true(signals_by_id(NULL, "DISK_USAGE")->threshold == 0.9);
    assert_true(signals_by_id(NULL, "DISK_IO_UTIL")->threshold == 0.9);
    assert_true(signals_by_id(NULL, "INODE_USAGE")->threshold == 0.9);
    assert_true(isnan(signals_by_id(NULL, "NET_RX_BW")->threshold));
    assert_true(isnan(signals_by_id(NULL, "OOM_KILLS")->threshold));
    /* The pod layer joins cAdvisor to kube_pod_info's node label; disks keep their labels. */
    assert_non_null(strstr(signals_by_id(NULL, "POD_CPU")->expr, "kube_pod_info"));
    assert_non_null(strstr(signals_by_id(NULL, "POD_MEM")->expr,
                           "container_memory_working_set_bytes"));
    assert_non_null(strstr(signals_by_id(NULL, "DISK_USAGE")->expr, "mountpoint, fstype"));
    assert_non_null(strstr(signals_by_id(NULL, "NET_RX_BW")->expr, "device!~\"lo|"));
}

/* <by labels joined with '_'>:metrics_ai_<lower id>:<unit>; ids and records unique. */
static void test_record_name_scheme(void **state)
{
    (void)state;
    size_t n;
    const signal_def *b = signals_builtin(&n);
    for (size_t i = 0; i < n; i++) {
        char want[256], lower[64];
        size_t k = 0;
        for (; b[i].id[k] && k < sizeof lower - 1; k++)
            lower[k] = (char)tolower((unsigned char)b[i].id[k]);
        lower[k] = '\0';
        char level[128];
        snprintf(level, sizeof level, "%s", b[i].by);
        for (char *p = level; *p; p++)
            if (*p == ',')
                *p = '_';
        snprintf(want, sizeof want, "%s:metrics_ai_%s:%s", level, lower, b[i].unit);
        assert_string_equal(b[i].record, want);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(b[i].id, b[j].id);
            assert_string_not_equal(b[i].record, b[j].record);
        }
    }
}

static void test_lookup_by_metric(void **state)
{
    (void)state;
    size_t n;
    const signal_def *b = signals_builtin(&n);
    signals *cat;
    assert_int_equal(signals_new(&cat), 0);
    assert_int_equal(signals_count(cat), n);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(signals_by_metric(NULL, b[i].record), &b[i]);
        const signal_def *d = signals_by_metric(cat, b[i].record);
        assert_non_null(d);
        assert_string_equal(d->id, b[i].id);
        assert_ptr_equal(signals_get(cat, i), d);
    }
    const signal_def *d = signals_by_metric(cat, "instance:metrics_ai_host_cpu:ratio");
    assert_non_null(d);
    assert_string_equal(d->id, "HOST_CPU");
    assert_null(signals_by_metric(cat, "node_cpu_seconds_total"));
    assert_null(signals_by_metric(cat, "instance:metrics_ai_host_cpu:rati"));
    assert_null(signals_by_metric(cat, NULL));
    assert_null(signals_get(cat, n));
    /* A view that is not NUL-terminated, as the ingest path has. */
    const char view[] = "instance:metrics_ai_host_mem:ratioXYZ";
    d = signals_by_metric_n(cat, view, strlen("instance:metrics_ai_host_mem:ratio"));
    assert_non_null(d);
    assert_string_equal(d->id, "HOST_MEM");
    assert_null(signals_by_id(cat, "NOPE"));
    signals_free(cat);
}

static void test_rule_file_shape(void **state)
{
    (void)state;
    signals *cat;
    assert_int_equal(signals_new(&cat), 0);
    assert_string_equal(signals_interval(cat), "30s");
    assert_int_equal(signals_set_interval(cat, "1m30s"), 0);
    assert_int_equal(signals_set_interval(cat, "soon"), -MAI_EINVAL);
    assert_int_equal(signals_set_interval(cat, ""), -MAI_EINVAL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(signals_write_rules(cat, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "groups:\n  - name: metrics-ai-host\n    interval: 1m30s\n"
                                "    rules:\n"));
    assert_non_null(strstr(buf, "      - record: instance:metrics_ai_host_cpu:ratio\n"
                                "        expr: '1 - avg by (instance)"));
    const char *groups[] = {"metrics-ai-host", "metrics-ai-pod", "metrics-ai-disk",
                            "metrics-ai-io", "metrics-ai-net", "metrics-ai-golden"};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "  - name: %s\n", groups[i]);
        char *p = strstr(buf, want);
        assert_non_null(p);
        assert_null(strstr(p + 1, want));     /* each group once */
    }
    for (size_t i = 0; i < signals_count(cat); i++) {
        char want[256];
        snprintf(want, sizeof want, "- record: %s\n", signals_get(cat, i)->record);
        assert_non_null(strstr(buf, want));
    }
    free(buf);
    /* single quotes in an expression are doubled, everything else is written as is */
    char err[256];
    assert_int_equal(signals_load_string(cat, "Q record=i:q:ratio layer=host unit=ratio "
                                         "expr=up{a='x',b=\"y\"}+'' '\n", "q.signals", err,
                                         sizeof err), 0);
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(signals_write_rules(cat, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "      - record: i:q:ratio\n"
                                "        expr: 'up{a=''x'',b=\"y\"}+'''' '''\n"));
    free(buf);
    signals_free(cat);
}

/* Runs promtool check rules on the catalogue's rule file; returns its exit status, or -1 when
 * promtool is not installed. output gets promtool's text. */
static int promtool_check(const signals *cat, char *output, size_t outlen)
{
    if (access(PROMTOOL, X_OK) != 0)
        return -1;
    char path[64];
    write_tmp(path, sizeof path, "");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(signals_write_rules(cat, f), 0);
    assert_int_equal(fclose(f), 0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, PROMTOOL " check rules %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(output, 1, outlen - 1, p);
    output[n] = '\0';
    int st = pclose(p);
    unlink(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_promtool_accepts_builtin(void **state)
{
    (void)state;
    char out[8192];
    int st = promtool_check(NULL, out, sizeof out);
    if (st < 0)
        skip();
    if (st != 0)
        print_error("promtool check rules failed:\n%s\n", out);
    assert_int_equal(st, 0);
    char want[64];
    snprintf(want, sizeof want, "SUCCESS: %zu rules found", signals_count(NULL));
    assert_non_null(strstr(out, want));
}

/* Quoting: PromQL single-quoted strings, backslashes and YAML-special characters survive, and
 * promtool really parses the expressions (a broken one is refused). */
static void test_promtool_quoting_and_parsing(void **state)
{
    (void)state;
    if (access(PROMTOOL, X_OK) != 0)
        skip();
    signals *cat;
    assert_int_equal(signals_new(&cat), 0);
    char err[256];
    const char *ok =
        "QUOTED record=instance:metrics_ai_quoted:ratio layer=host unit=ratio "
        "expr=sum by (instance) (up{job='node', instance=~\"a\\\\.b|: #x\"}) # not a comment\n";
    assert_int_equal(signals_load_string(cat, ok, "ok.signals", err, sizeof err), 0);
    assert_string_equal(signals_by_id(cat, "QUOTED")->expr,
                        "sum by (instance) (up{job='node', instance=~\"a\\\\.b|: #x\"}) "
                        "# not a comment");
    char out[8192];
    int st = promtool_check(cat, out, sizeof out);
    if (st != 0)
        print_error("promtool check rules failed:\n%s\n", out);
    assert_int_equal(st, 0);
    assert_int_equal(signals_load_string(cat, "QUOTED expr=rate(up[5m]\n", "bad.signals", err,
                                         sizeof err), 0);
    st = promtool_check(cat, out, sizeof out);
    assert_int_not_equal(st, 0);
    signals_free(cat);
}

static void test_override_replaces_extends_removes(void **state)
{
    (void)state;
    char path[64];
    write_tmp(path, sizeof path,
              "# site overrides\r\n"
              "\r\n"
              "HOST_CPU threshold=0.8 help=\"busy \\\"CPU\\\" share\" "
              "expr=1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[2m]))\r\n"
              "   DISK_USAGE threshold=none group=disks\n"
              "GPU_UTIL record=instance_gpu:metrics_ai_gpu_util:ratio layer=gpu unit=ratio "
              "threshold=0.95 by=instance,gpu expr=avg by (instance, gpu) (DCGM_FI_DEV_GPU_UTIL) / 100\n"
              "POD_MEM off\n"
              "NET_TX_BW record=instance:net_tx:bytes_per_second");
    signals *cat;
    assert_int_equal(signals_new(&cat), 0);
    size_t n0 = signals_count(cat);
    char err[256] = "untouched";
    assert_int_equal(signals_load(cat, path, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(signals_count(cat), n0);       /* one added, one removed */

    const signal_def *d = signals_by_id(cat, "HOST_CPU");
    assert_non_null(d);
    assert_true(d->threshold == 0.8);
    assert_string_equal(d->help, "busy \"CPU\" share");
    assert_string_equal(d->expr,
                        "1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[2m]))");
    assert_string_equal(d->record, "instance:metrics_ai_host_cpu:ratio");   /* kept */
    assert_string_equal(d->layer, "host");

    d = signals_by_id(cat, "DISK_USAGE");
    assert_true(isnan(d->threshold));
    assert_string_equal(d->group, "disks");

    d = signals_by_metric(cat, "instance_gpu:metrics_ai_gpu_util:ratio");
    assert_non_null(d);
    assert_string_equal(d->id, "GPU_UTIL");
    assert_string_equal(d->layer, "gpu");
    assert_string_equal(d->group, "metrics-ai-gpu");
    assert_string_equal(d->by, "instance,gpu");
    assert_true(d->threshold == 0.95);

    assert_null(signals_by_id(cat, "POD_MEM"));
    assert_null(signals_by_metric(cat, "node:metrics_ai_pod_mem:bytes"));
    assert_null(signals_by_metric(cat, "instance:metrics_ai_net_tx_bw:bytes_per_second"));
    assert_string_equal(signals_by_metric(cat, "instance:net_tx:bytes_per_second")->id,
                        "NET_TX_BW");
    /* The built-in table is untouched. */
    assert_true(signals_by_id(NULL, "HOST_CPU")->threshold == 0.9);
    assert_non_null(signals_by_id(NULL, "POD_MEM"));

    char out[8192];
    int st = promtool_check(cat, out, sizeof out);
    if (st > 0)
        print_error("promtool check rules failed:\n%s\n", out);
    assert_true(st <= 0);
    signals_free(cat);
    unlink(path);
}

static void bad_line(const char *line, const char *reason)
{
    char text[1024], path[64], want[128], err[512] = "";
    snprintf(text, sizeof text, "# header\n\nHOST_MEM threshold=0.85\n%s\nHOST_CPU off\n", line);
    write_tmp(path, sizeof path, text);
    signals *cat;
    assert_int_equal(signals_new(&cat), 0);
    int rc = signals_load(cat, path, err, sizeof err);
    snprintf(want, sizeof want, "%s:4: ", path);
    if (rc != -MAI_EPROTO || strncmp(err, want, strlen(want)) != 0 || !strstr(err, reason) ||
        strchr(err, '\n')) {
        print_error("line \"%s\": rc %d, err \"%s\", want prefix \"%s\" and \"%s\"\n", line, rc,
                    err, want, reason);
        fail();
    }
    /* Nothing of the file was applied. */
    assert_true(signals_by_id(cat, "HOST_MEM")->threshold == 0.9);
    assert_non_null(signals_by_id(cat, "HOST_CPU"));
    assert_int_equal(signals_count(cat), signals_count(NULL));
    signals_free(cat);
    unlink(path);
}

static void test_override_errors(void **state)
{
    (void)state;
    bad_line("HOST_CPU threshold", "expected key=value");
    bad_line("HOST_CPU colour=red", "unknown key \"colour\"");
    bad_line("host_cpu threshold=1", "signal id");
    bad_line("HOST_CPU threshold=high", "threshold \"high\"");
    bad_line("HOST_CPU threshold=inf", "threshold");
    bad_line("HOST_CPU record=9bad", "not a metric name");
    bad_line("HOST_CPU record=a-b", "not a metric name");
    bad_line("HOST_CPU expr=", "expr is empty");
    bad_line("HOST_CPU layer=Host!", "layer");
    bad_line("HOST_CPU by=instance,,device", "by");
    bad_line("HOST_CPU help=\"open", "unterminated");
    bad_line("HOST_CPU threshold=1 threshold=2", "given twice");
    bad_line("HOST_CPU", "nothing to set");
    bad_line("NEW_ONE record=x:y:z layer=host unit=ratio", "needs record=, layer=, unit= and expr=");
    bad_line("NEW_ONE expr=up", "needs");
    bad_line("NOPE off", "no such signal");
    bad_line("HOST_CPU off now", "off");
    bad_line("HOST_CPU record=instance:metrics_ai_host_mem:ratio", "already HOST_MEM's");

    char err[256] = "";
    signals *cat;
    assert_int_equal(signals_new(&cat), 0);
    assert_int_equal(signals_load(cat, "/nonexistent/dir/x.signals", err, sizeof err), -MAI_EIO);
    assert_non_null(strstr(err, "/nonexistent/dir/x.signals: "));
    assert_int_equal(signals_load_string(cat, "A b=c", "inline", err, sizeof err), -MAI_EPROTO);
    assert_string_equal(err, "inline:1: unknown key \"b\" (record, expr, layer, unit, threshold, "
                             "group, by, help)");
    assert_int_equal(signals_load_string(cat, "HOST_CPU off", "inline", NULL, 0), 0);
    assert_null(signals_by_id(cat, "HOST_CPU"));
    signals_free(cat);
}

static void test_rules_main(void **state)
{
    (void)state;
    char out[64], sig[64];
    write_tmp(out, sizeof out, "");
    write_tmp(sig, sizeof sig, "OOM_KILLS threshold=1\n");
    char *argv1[] = {"rules", "--signals", sig, "--interval", "15s", "--output", out, NULL};
    assert_int_equal(rules_main(7, argv1), 0);
    char *text = read_all(out);
    assert_non_null(strstr(text, "interval: 15s\n"));
    assert_non_null(strstr(text, "# OOM_KILLS (golden layer, per_second, by instance, "
                                 "saturation at 1)"));
    assert_non_null(strstr(text, "record: instance:metrics_ai_host_cpu:ratio"));
    free(text);

    char *argv2[] = {"rules", "--bogus", NULL};
    assert_int_equal(rules_main(2, argv2), 2);
    char *argv3[] = {"rules", "--output", NULL};
    assert_int_equal(rules_main(2, argv3), 2);
    char *argv4[] = {"rules", "--interval", "later", NULL};
    assert_int_equal(rules_main(3, argv4), 2);

    FILE *f = fopen(sig, "w");
    assert_non_null(f);
    fputs("OOM_KILLS threshold=x\n", f);
    fclose(f);
    char *argv5[] = {"rules", "--signals", sig, "--output", out, NULL};
    assert_int_equal(rules_main(5, argv5), 1);
    text = read_all(out);                   /* the earlier file is left as it was */
    assert_non_null(strstr(text, "interval: 15s\n"));
    free(text);

    char *argv6[] = {"rules", "--list", "--output", out, NULL};
    assert_int_equal(rules_main(4, argv6), 0);
    text = read_all(out);
    assert_non_null(strstr(text, "DISK_USAGE"));
    assert_non_null(strstr(text, "instance_mountpoint:metrics_ai_disk_usage:ratio"));
    free(text);
    unlink(out);
    unlink(sig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_signals_present),
        cmocka_unit_test(test_record_name_scheme),
        cmocka_unit_test(test_lookup_by_metric),
        cmocka_unit_test(test_rule_file_shape),
        cmocka_unit_test(test_promtool_accepts_builtin),
        cmocka_unit_test(test_promtool_quoting_and_parsing),
        cmocka_unit_test(test_override_replaces_extends_removes),
        cmocka_unit_test(test_override_errors),
        cmocka_unit_test(test_rules_main),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
