/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_forecast_metrics.c -- a hand-built result set rendered as exposition text:
 * forecast, lower and upper per series and horizon carry the source labels plus metric= and
 * horizon=, __name__ is not repeated, a clashing "metric" label becomes exported_metric, NaN
 * skill and model error are omitted, HELP/TYPE appear once per family, and (when installed)
 * `promtool check metrics` accepts the page. The page is parsed back, not string-matched. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exporter/forecast_metrics.h"

#define PROMTOOL "/usr/bin/promtool"

/* ---- a tiny exposition parser: enough for what expo.c writes ---- */

#define MAXL 24
#define MAXS 256

typedef struct sample {
    char name[96];
    int nl;
    char lname[MAXL][64];
    char lval[MAXL][128];
    double v;
} sample;

typedef struct page {
    sample s[MAXS];
    int n;
    char help[64][96];      /* family names of "# HELP" lines, in order */
    int nhelp;
    char type[64][96];
    char type_kind[64][16];
    int ntype;
} page;

static void parse_page(const char *text, page *pg)
{
    memset(pg, 0, sizeof *pg);
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            fail_msg("page does not end with a newline: %s", p);
        if (strncmp(p, "# HELP ", 7) == 0) {
            assert_true(pg->nhelp < 64);
            sscanf(p + 7, "%95s", pg->help[pg->nhelp++]);
        } else if (strncmp(p, "# TYPE ", 7) == 0) {
            assert_true(pg->ntype < 64);
            sscanf(p + 7, "%95s %15s", pg->type[pg->ntype], pg->type_kind[pg->ntype]);
            pg->ntype++;
        } else if (*p == '#') {
            fail_msg("unexpected comment line: %.*s", (int)(eol - p), p);
        } else {
            assert_true(pg->n < MAXS);
            sample *s = &pg->s[pg->n++];
            size_t k = 0;
            while (p < eol && *p != '{' && *p != ' ') {
                assert_true(k + 1 < sizeof s->name);
                s->name[k++] = *p++;
            }
            if (*p == '{') {
                p++;
                while (*p != '}') {
                    assert_true(s->nl < MAXL);
                    k = 0;
                    while (*p != '=') {
                        assert_true(p < eol && k + 1 < 64);
                        s->lname[s->nl][k++] = *p++;
                    }
                    p++;
                    assert_int_equal(*p, '"');
                    p++;
                    k = 0;
                    while (*p != '"') {
                        assert_true(p < eol && k + 1 < 128);
                        if (*p == '\\') {
                            p++;
                            s->lval[s->nl][k++] = *p == 'n' ? '\n' : *p;
                            p++;
                        } else {
                            s->lval[s->nl][k++] = *p++;
                        }
                    }
                    p++;
                    s->nl++;
                    if (*p == ',')
                        p++;
                }
                p++;
            }
            assert_int_equal(*p, ' ');
            p++;
            char num[64];
            size_t nn = (size_t)(eol - p);
            assert_true(nn > 0 && nn < sizeof num);
            memcpy(num, p, nn);
            num[nn] = '\0';
            if (strcmp(num, "NaN") == 0)
                s->v = NAN;
            else if (strcmp(num, "+Inf") == 0)
                s->v = INFINITY;
            else if (strcmp(num, "-Inf") == 0)
                s->v = -INFINITY;
            else {
                char *end;
                s->v = strtod(num, &end);
                if (*end != '\0')
                    fail_msg("bad value '%s'", num);
            }
        }
        p = eol + 1;
    }
}

/* Label pairs "n", "v", ..., NULL; the sample whose name and label set (any order) match. */
static const sample *find(const page *pg, const char *name, const char *const *pairs)
{
    int want = 0;
    while (pairs[2 * want])
        want++;
    for (int i = 0; i < pg->n; i++) {
        const sample *s = &pg->s[i];
        if (strcmp(s->name, name) != 0 || s->nl != want)
            continue;
        int ok = 1;
        for (int j = 0; j < want && ok; j++) {
            int hit = 0;
            for (int l = 0; l < s->nl; l++)
                if (strcmp(s->lname[l], pairs[2 * j]) == 0 &&
                    strcmp(s->lval[l], pairs[2 * j + 1]) == 0)
                    hit = 1;
            ok = hit;
        }
        if (ok)
            return s;
    }
    return NULL;
}

static int count_named(const page *pg, const char *name)
{
    int c = 0;
    for (int i = 0; i < pg->n; i++)
        c += strcmp(pg->s[i].name, name) == 0;
    return c;
}

static void assert_same(double got, double want)
{
    if (!(got == want || (isnan(got) && isnan(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* ---- the result set ---- */

static const char *const L0[] = {"__name__", "node_load1", "instance", "a:9100", "job", "node"};
static const char *const L1[] = {"__name__", "http_requests_total", "code", "200",
                                 "horizon", "old", "job", "api", "metric", "foo"};
static const char *const L2[] = {"__name__", "odd", "le", "0.5", "path", "C:\\x \"q\"\nz",
                                 "quantile", "0.99"};

static void build(results *r, result_row rows[3])
{
    memset(r, 0, sizeof *r);
    memset(rows, 0, 3 * sizeof *rows);
    r->nh = 3;
    strcpy(r->horizon[0], "15m");
    strcpy(r->horizon[1], "1h");
    strcpy(r->horizon[2], "24h");
    r->nm = 2;
    strcpy(r->model[0], "naive");
    strcpy(r->model[1], "hw");
    for (int h = 0; h < 3; h++)
        for (int m = 0; m < 2; m++)
            r->model_error[h][m] = 0.5 + h + 0.25 * m;
    r->model_error[1][1] = NAN;
    r->ensemble_error[0] = 0.4;         /* exported as model="ensemble" */
    r->ensemble_error[1] = NAN;
    r->ensemble_error[2] = 0.6;
    r->ensemble_weight[0] = 0.25;
    r->ensemble_weight[1] = 0.75;
    rows[0] = (result_row){.labels = L0, .nlabels = 3, .metric = "node_load1", .points = 150,
                           .ready = 1};
    rows[1] = (result_row){.labels = L1, .nlabels = 5, .metric = "http_requests_total",
                           .points = 10, .ready = 0};
    rows[2] = (result_row){.labels = L2, .nlabels = 4, .metric = "odd", .points = 0};
    for (int i = 0; i < 3; i++)
        for (int h = 0; h < 3; h++) {
            rows[i].mean[h] = 10 * i + h + 0.125;
            rows[i].lower[h] = rows[i].mean[h] - 1.5;
            rows[i].upper[h] = rows[i].mean[h] + 2.25;
            rows[i].skill[h] = NAN;
        }
    rows[0].skill[0] = 0.8;
    rows[0].skill[2] = 1.2;
    rows[1].skill[1] = 0.1 + 0.2;       /* needs 17 digits to round-trip */
    rows[2].mean[0] = -1e-300;
    rows[2].upper[2] = 1e300;
    r->rows = rows;
    r->nrows = 3;
    r->cycle_seconds = 0.0625;
    r->cycles = 12;
    r->fits = 34;
    r->fit_seconds = 1.5;
    r->state_bytes = 123456;
    r->models = 3;
    r->models_ready = 1;
}

static char *render(const results *r)
{
    expo_buf b;
    expo_init(&b);
    forecast_metrics_write(&b, r);
    assert_int_equal(b.oom, 0);
    assert_non_null(b.p);
    return b.p;
}

static const char *const FAMILIES[] = {
    "metrics_ai_forecast", "metrics_ai_forecast_lower", "metrics_ai_forecast_upper",
    "metrics_ai_forecast_skill_ratio", "metrics_ai_forecast_points", "metrics_ai_forecast_ready",
    "metrics_ai_model_error", "metrics_ai_ensemble_weight", "metrics_ai_cycle_duration_seconds",
    "metrics_ai_cycles_total", "metrics_ai_model_fits_total",
    "metrics_ai_model_fit_seconds_total", "metrics_ai_models", "metrics_ai_model_state_bytes",
    "metrics_ai_anomaly_score", "metrics_ai_time_to_threshold_seconds",
    "metrics_ai_time_to_threshold_lower_seconds", "metrics_ai_time_to_threshold_upper_seconds",
    "metrics_ai_disk_alerts_critical", "metrics_ai_disk_alerts_warning",
    "metrics_ai_disk_alerts_soon", "metrics_ai_io_network_crisis",
    "metrics_ai_io_network_anomalies", "metrics_ai_golden_anomalies",
    "metrics_ai_node_anomaly_score", "metrics_ai_node_anomaly",
    "metrics_ai_node_anomaly_contribution", "metrics_ai_node_anomaly_kind",
    "metrics_ai_host_pressure", "metrics_ai_classification_anomalies",
    "metrics_ai_host_pressure_nodes",
};
#define NFAM (sizeof FAMILIES / sizeof FAMILIES[0])

/* The expected label set of row i: its labels without __name__, "metric" and "horizon"
 * renamed, then metric= and (when h) horizon=. */
static void expected_labels(const result_row *row, const char *horizon, const char **out)
{
    int n = 0;
    for (uint32_t i = 0; i < row->nlabels; i++) {
        const char *name = row->labels[2 * i];
        if (strcmp(name, "__name__") == 0)
            continue;
        if (strcmp(name, "metric") == 0)
            name = "exported_metric";
        else if (strcmp(name, "horizon") == 0)
            name = "exported_horizon";
        else if (strcmp(name, "quantile") == 0)
            name = "exported_quantile";
        else if (strcmp(name, "le") == 0)
            name = "exported_le";
        out[n++] = name;
        out[n++] = row->labels[2 * i + 1];
    }
    out[n++] = "metric";
    out[n++] = row->metric;
    if (horizon) {
        out[n++] = "horizon";
        out[n++] = horizon;
    }
    out[n] = NULL;
}

static void test_forecast_families_carry_source_labels(void **state)
{
    (void)state;
    results r;
    result_row rows[3];
    build(&r, rows);
    char *text = render(&r);
    static page pg;
    parse_page(text, &pg);

    static const char *const fam[3] = {"metrics_ai_forecast", "metrics_ai_forecast_lower",
                                       "metrics_ai_forecast_upper"};
    for (int f = 0; f < 3; f++)
        assert_int_equal(count_named(&pg, fam[f]), 3 * 3);     /* rows x horizons */
    for (int i = 0; i < 3; i++) {
        for (int h = 0; h < 3; h++) {
            const char *want[2 * MAXL + 1];
            expected_labels(&rows[i], r.horizon[h], want);
            const double v[3] = {rows[i].mean[h], rows[i].lower[h], rows[i].upper[h]};
            for (int f = 0; f < 3; f++) {
                const sample *s = find(&pg, fam[f], want);
                if (!s)
                    fail_msg("no %s for row %d horizon %s in:\n%s", fam[f], i, r.horizon[h],
                             text);
                assert_same(s->v, v[f]);
            }
        }
        const char *want[2 * MAXL + 1];
        expected_labels(&rows[i], NULL, want);
        const sample *s = find(&pg, "metrics_ai_forecast_points", want);
        assert_non_null(s);
        assert_same(s->v, (double)rows[i].points);
        s = find(&pg, "metrics_ai_forecast_ready", want);
        assert_non_null(s);
        assert_same(s->v, rows[i].ready);
    }
    /* the clashing labels, spelled out once */
    static const char *const clash[] = {"code", "200", "exported_horizon", "old", "job", "api",
                                        "exported_metric", "foo", "metric",
                                        "http_requests_total", "horizon", "1h", NULL};
    const sample *s = find(&pg, "metrics_ai_forecast", clash);
    assert_non_null(s);
    assert_same(s->v, 11.125);
    /* escaping survives: the parser unescaped the value back */
    /* and the reserved quantile / le labels of a source series come out renamed */
    static const char *const odd[] = {"exported_le", "0.5", "path", "C:\\x \"q\"\nz",
                                      "exported_quantile", "0.99", "metric", "odd", "horizon",
                                      "24h", NULL};
    s = find(&pg, "metrics_ai_forecast_upper", odd);
    assert_non_null(s);
    assert_same(s->v, 1e300);

    /* __name__ is never a label; no sample has two labels of one name */
    for (int i = 0; i < pg.n; i++)
        for (int l = 0; l < pg.s[i].nl; l++) {
            assert_string_not_equal(pg.s[i].lname[l], "__name__");
            for (int m = l + 1; m < pg.s[i].nl; m++)
                if (strcmp(pg.s[i].lname[l], pg.s[i].lname[m]) == 0)
                    fail_msg("%s has label %s twice", pg.s[i].name, pg.s[i].lname[l]);
        }
    free(text);
}

static void test_nan_skill_and_model_error_are_omitted(void **state)
{
    (void)state;
    results r;
    result_row rows[3];
    build(&r, rows);
    char *text = render(&r);
    static page pg;
    parse_page(text, &pg);

    assert_int_equal(count_named(&pg, "metrics_ai_forecast_skill_ratio"), 3);
    const char *want[2 * MAXL + 1];
    expected_labels(&rows[0], "15m", want);
    const sample *s = find(&pg, "metrics_ai_forecast_skill_ratio", want);
    assert_non_null(s);
    assert_same(s->v, 0.8);
    expected_labels(&rows[0], "1h", want);
    assert_null(find(&pg, "metrics_ai_forecast_skill_ratio", want));
    expected_labels(&rows[0], "24h", want);
    assert_non_null(find(&pg, "metrics_ai_forecast_skill_ratio", want));
    expected_labels(&rows[1], "1h", want);
    s = find(&pg, "metrics_ai_forecast_skill_ratio", want);
    assert_non_null(s);
    assert_same(s->v, 0.1 + 0.2);
    for (int i = 0; i < pg.n; i++)
        if (strncmp(pg.s[i].name, "metrics_ai_forecast", 19) == 0 ||
            strcmp(pg.s[i].name, "metrics_ai_model_error") == 0)
            assert_false(isnan(pg.s[i].v));

    assert_int_equal(count_named(&pg, "metrics_ai_model_error"), 3 * 2 - 1 + 2);
    static const char *const ens15[] = {"model", "ensemble", "horizon", "15m", NULL};
    s = find(&pg, "metrics_ai_model_error", ens15);
    assert_non_null(s);
    assert_same(s->v, 0.4);
    static const char *const ens1h[] = {"model", "ensemble", "horizon", "1h", NULL};
    assert_null(find(&pg, "metrics_ai_model_error", ens1h));
    static const char *const hw1h[] = {"model", "hw", "horizon", "1h", NULL};
    assert_null(find(&pg, "metrics_ai_model_error", hw1h));
    static const char *const hw24[] = {"model", "hw", "horizon", "24h", NULL};
    s = find(&pg, "metrics_ai_model_error", hw24);
    assert_non_null(s);
    assert_same(s->v, 2.75);

    /* the figures without series labels */
    static const char *const none[] = {NULL};
    static const char *const ready[] = {"state", "ready", NULL};
    static const char *const warm[] = {"state", "warming_up", NULL};
    static const char *const naive[] = {"model", "naive", NULL};
    assert_same(find(&pg, "metrics_ai_cycles_total", none)->v, 12);
    assert_same(find(&pg, "metrics_ai_model_fits_total", none)->v, 34);
    assert_same(find(&pg, "metrics_ai_model_fit_seconds_total", none)->v, 1.5);
    assert_same(find(&pg, "metrics_ai_cycle_duration_seconds", none)->v, 0.0625);
    assert_same(find(&pg, "metrics_ai_model_state_bytes", none)->v, 123456);
    assert_same(find(&pg, "metrics_ai_models", ready)->v, 1);
    assert_same(find(&pg, "metrics_ai_models", warm)->v, 2);
    assert_same(find(&pg, "metrics_ai_ensemble_weight", naive)->v, 0.25);
    free(text);
}

static void test_each_family_has_help_and_type_once(void **state)
{
    (void)state;
    results r;
    result_row rows[3];
    build(&r, rows);
    char *text = render(&r);
    static page pg;
    parse_page(text, &pg);
    assert_int_equal(pg.nhelp, (int)NFAM);
    assert_int_equal(pg.ntype, (int)NFAM);
    for (size_t f = 0; f < NFAM; f++) {
        int nh = 0, nt = 0;
        for (int i = 0; i < pg.nhelp; i++)
            nh += strcmp(pg.help[i], FAMILIES[f]) == 0;
        for (int i = 0; i < pg.ntype; i++)
            nt += strcmp(pg.type[i], FAMILIES[f]) == 0;
        if (nh != 1 || nt != 1)
            fail_msg("%s: %d HELP, %d TYPE lines", FAMILIES[f], nh, nt);
    }
    for (int i = 0; i < pg.ntype; i++) {
        int is_total = strstr(pg.type[i], "_total") != NULL;
        assert_string_equal(pg.type_kind[i], is_total ? "counter" : "gauge");
    }
    /* every sample belongs to a family with a TYPE line, and the families are not interleaved:
     * a family's samples follow its TYPE line, before the next family's */
    const char *p = text;
    char cur[96] = "";
    while (*p) {
        const char *eol = strchr(p, '\n');
        if (strncmp(p, "# TYPE ", 7) == 0)
            sscanf(p + 7, "%95s", cur);
        else if (*p != '#') {
            size_t k = strcspn(p, "{ ");
            if (strlen(cur) != k || strncmp(p, cur, k) != 0)
                fail_msg("sample '%.*s' outside its family (current: %s)", (int)(eol - p), p,
                         cur);
        }
        p = eol + 1;
    }
    free(text);
}

static void test_empty_result_set(void **state)
{
    (void)state;
    results r;
    memset(&r, 0, sizeof r);
    r.nh = 1;
    strcpy(r.horizon[0], "15m");
    char *text = render(&r);
    static page pg;
    parse_page(text, &pg);
    assert_int_equal(count_named(&pg, "metrics_ai_forecast"), 0);
    assert_int_equal(pg.ntype, (int)NFAM);
    static const char *const none[] = {NULL};
    assert_same(find(&pg, "metrics_ai_cycles_total", none)->v, 0);
    free(text);
}

static int run_promtool(const char *text, char *err, size_t errsz)
{
    char in[] = "/tmp/test_forecast_metrics_in.XXXXXX";
    char errp[] = "/tmp/test_forecast_metrics_err.XXXXXX";
    char cmd[256];
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    int efd = mkstemp(errp);
    assert_true(efd >= 0);
    close(efd);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    size_t len = strlen(text);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, PROMTOOL " check metrics < %s > %s 2>&1", in, errp);
    int st = system(cmd);
    f = fopen(errp, "r");
    size_t n = f ? fread(err, 1, errsz - 1, f) : 0;
    err[n] = '\0';
    if (f)
        fclose(f);
    unlink(in);
    unlink(errp);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_promtool_accepts_the_page(void **state)
{
    (void)state;
    if (access(PROMTOOL, X_OK) != 0) {
        skip();
        return;
    }
    char err[4096];
    /* the harness notices a broken page: a label repeated */
    assert_int_not_equal(run_promtool("# HELP x_y A.\n# TYPE x_y gauge\nx_y{a=\"1\",a=\"2\"} 1\n",
                                      err, sizeof err), 0);

    results r;
    result_row rows[3];
    build(&r, rows);
    char *text = render(&r);
    int rc = run_promtool(text, err, sizeof err);
    if (rc != 0)
        fail_msg("promtool exit %d: %s\npage:\n%s", rc, err, text);
    free(text);

    memset(&r, 0, sizeof r);
    r.nh = 1;
    strcpy(r.horizon[0], "15m");
    text = render(&r);
    rc = run_promtool(text, err, sizeof err);
    if (rc != 0)
        fail_msg("promtool exit %d on the empty set: %s\npage:\n%s", rc, err, text);
    free(text);
}

static void test_eta_and_anomaly_exports(void **state)
{
    (void)state;
    results r;
    result_row rows[3];
    build(&r, rows);
    rows[0].anomaly = 0.75;
    rows[0].has_eta = 1;
    rows[0].signal = "DISK_USAGE";
    rows[0].threshold = 0.9;
    rows[0].eta[0] = 86400;
    rows[0].eta[1] = INFINITY;
    rows[0].eta[2] = 43200;
    rows[0].eta_lower = 3600;
    rows[0].eta_upper = INFINITY;
    r.disk_critical = 1;
    r.io_network_anomaly = 2;
    r.golden_anomaly = 3;
    char *text = render(&r);
    static page pg;
    parse_page(text, &pg);
    const char *want[2 * MAXL + 1];
    expected_labels(&rows[0], NULL, want);
    const sample *s = find(&pg, "metrics_ai_anomaly_score", want);
    assert_non_null(s);
    assert_same(s->v, 0.75);
    assert_int_equal(count_named(&pg, "metrics_ai_time_to_threshold_seconds"), 3);
    assert_int_equal(count_named(&pg, "metrics_ai_time_to_threshold_lower_seconds"), 1);
    assert_non_null(strstr(text, "method=\"linear\"} +Inf\n"));
    assert_non_null(strstr(text, "signal=\"DISK_USAGE\",threshold=\"0.9\",method=\"ensemble\"} "
                                 "86400\n"));
    assert_non_null(strstr(text, "\nmetrics_ai_disk_alerts_critical 1\n"));
    assert_non_null(strstr(text, "\nmetrics_ai_io_network_anomalies 2\n"));
    assert_non_null(strstr(text, "\nmetrics_ai_golden_anomalies 3\n"));
    assert_null(strstr(text, "_alerts_total"));
    free(text);
}

static void test_node_classification_exports(void **state)
{
    (void)state;
    results r;
    result_row rows[3];
    build(&r, rows);
    result_node nodes[2];
    memset(nodes, 0, sizeof nodes);
    strcpy(nodes[0].node, "host01");
    nodes[0].score = 0.4;
    nodes[0].kind = "";
    strcpy(nodes[1].node, "host02");
    nodes[1].score = 0.7;
    nodes[1].flagged = 1;
    nodes[1].severity = 2;
    nodes[1].kind = "cpu_saturation";
    nodes[1].host_pressure = 1;
    nodes[1].contrib[0] = 0.7;
    nodes[1].contrib[1] = 0.3;
    r.nodes = nodes;
    r.nnodes = 2;
    char *text = render(&r);
    assert_non_null(strstr(text, "\nmetrics_ai_node_anomaly{node=\"host02\"} 2\n"));
    assert_non_null(strstr(text, "\nmetrics_ai_node_anomaly{node=\"host01\"} 0\n"));
    assert_non_null(strstr(text, "metrics_ai_node_anomaly_kind{node=\"host02\","
                                 "kind=\"cpu_saturation\"} 1\n"));
    assert_null(strstr(text, "metrics_ai_node_anomaly_kind{node=\"host01\""));
    assert_non_null(strstr(text, "metrics_ai_node_anomaly_contribution{node=\"host02\","
                                 "feature=\"host_cpu\"} 0.7\n"));
    assert_non_null(strstr(text, "\nmetrics_ai_classification_anomalies 1\n"));
    assert_non_null(strstr(text, "\nmetrics_ai_host_pressure_nodes 1\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eta_and_anomaly_exports),
        cmocka_unit_test(test_node_classification_exports),
        cmocka_unit_test(test_forecast_families_carry_source_labels),
        cmocka_unit_test(test_nan_skill_and_model_error_are_omitted),
        cmocka_unit_test(test_each_family_has_help_and_type_once),
        cmocka_unit_test(test_empty_result_set),
        cmocka_unit_test(test_promtool_accepts_the_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
