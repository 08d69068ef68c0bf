/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_config.c -- adapter/config: defaults, environment over defaults, flags over
 * environment, strict parsing with limits tested at n-1, n and n+1, one-line errors naming the
 * variable or flag, and the help text. The environment is a fake table, never the real one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/config.h"
#include "models/base.h"

/* ---- fake environment ------------------------------------------------------------------- */

#define ENV_MAX 32

/* name/value pairs; a test fills it with set_env() before calling config_load. */
static const char *g_env[ENV_MAX][2];
static size_t g_env_n;

static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < g_env_n; i++)
        if (strcmp(g_env[i][0], name) == 0)
            return g_env[i][1];
    return NULL;
}

static void set_env(const char *name, const char *value)
{
    for (size_t i = 0; i < g_env_n; i++) {
        if (strcmp(g_env[i][0], name) == 0) {
            g_env[i][1] = value;
            return;
        }
    }
    assert_true(g_env_n < ENV_MAX);
    g_env[g_env_n][0] = name;
    g_env[g_env_n][1] = value;
    g_env_n++;
}

static int reset_env(void **state)
{
    (void)state;
    g_env_n = 0;
    return 0;
}

/* ---- helpers -------------------------------------------------------------------------------- */

#define MAX_ARGS 32
#define ERR_LEN 512

/* Loads with argv = {"metrics-ai", args...} (args NULL-terminated) and the fake environment. */
static int load_args(mai_config *c, char *err, const char *const *args)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"metrics-ai";
    for (size_t i = 0; args && args[i]; i++) {
        assert_true(argc <= MAX_ARGS);
        argv[argc++] = (char *)args[i];
    }
    argv[argc] = NULL;
    return config_load(c, argc, argv, fake_getenv, err, ERR_LEN);
}

#define LOAD(c, err, ...) load_args((c), (err), (const char *const[]){ __VA_ARGS__, NULL })

static int load_none(mai_config *c, char *err)
{
    return load_args(c, err, NULL);
}

/* One flag with a value, in the separated form. */
static int load_flag(mai_config *c, char *err, const char *flag, const char *value)
{
    return LOAD(c, err, flag, value);
}

/* One environment variable, no flags. */
static int load_env1(mai_config *c, char *err, const char *name, const char *value)
{
    reset_env(NULL);
    set_env(name, value);
    return load_none(c, err);
}

static void assert_rejected(int rc, const char *err, const char *must_contain)
{
    assert_int_equal(rc, -MAI_EINVAL);
    assert_non_null(strstr(err, must_contain));
    assert_null(strchr(err, '\n'));
}

/* A string of n copies of ch (n < sizeof buf). */
static char *repeat(char *buf, size_t n, char ch)
{
    memset(buf, ch, n);
    buf[n] = '\0';
    return buf;
}

/* ---- defaults ------------------------------------------------------------------------------- */

static void test_config_defaults_match_seed(void **state)
{
    mai_config c;
    (void)state;
    config_defaults(&c);
    assert_int_equal(c.command, MAI_CMD_SERVE);
    assert_string_equal(c.vm_url, "http://vm.london.local/api/v1/query_range");
    assert_int_equal(c.step_s, 60);
    assert_int_equal(c.start_hours_ago, 360);
    assert_int_equal(c.horizon_min, 15);
    assert_int_equal(c.lookback_hrs, 24);
    assert_true(c.contamination == 0.12);
    assert_true(c.train_fraction == 0.8);
    assert_int_equal(c.plot_history_hours, 168);
    assert_int_equal(c.plot_forecast_hours, 168);
    assert_int_equal(c.lstm_seq_len, 60);
    assert_int_equal(c.lstm_epochs, 10);
    assert_string_equal(c.model_files_dir, "./model_files");
    assert_string_equal(c.forecast_plots_dir, "./forecast_plots");
    assert_string_equal(c.dns_domain_suffixes, ".london.local,.local");
    assert_string_equal(c.instance_alias_map, "{}");
    assert_int_equal(c.auto_alias_enabled, 1);
    assert_int_equal(c.verbose_level, 0);
    assert_int_equal(c.training, 0);
    assert_int_equal(c.forecast, 0);
    assert_int_equal(c.interval_s, 15);
    assert_int_equal(c.snapshot_interval_s, 300);
    assert_int_equal(c.show_backtest, 0);
    assert_string_equal(c.disk_retrain, "");
    assert_string_equal(c.io_net_retrain, "");
    assert_int_equal(c.n_alert_webhooks, 0);
    assert_string_equal(c.pushgateway, "");
    assert_string_equal(c.dump_csv_dir, "");
    assert_string_equal(c.listen_host, "");
    assert_int_equal(c.listen_port, 9201);
    assert_int_equal(c.threads, 2);
    assert_int_equal(c.shards, 64);
    assert_int_equal(c.max_body_bytes, 32u * 1024 * 1024);
    assert_int_equal(c.max_decoded_bytes, 128u * 1024 * 1024);
    assert_int_equal(c.max_series, 2000000);
    assert_int_equal(c.max_labels_per_series, 64);
    assert_int_equal(c.max_label_bytes, 4096);
    assert_int_equal(c.max_inflight, 64);
    assert_int_equal(c.fine_hours, 24);
    assert_int_equal(c.coarse_days, 35);
    assert_int_equal(c.coarse_step_s, 3600);
}

static void test_config_load_with_nothing_set_gives_defaults(void **state)
{
    mai_config want, got;
    char err[ERR_LEN] = "stale";
    (void)state;
    config_defaults(&want);
    memset(&got, 0xa5, sizeof got);
    assert_int_equal(load_none(&got, err), 0);
    assert_memory_equal(&want, &got, sizeof want);
    assert_string_equal(err, "");
}

static void test_config_load_accepts_empty_argv(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(config_load(&c, 0, NULL, fake_getenv, err, sizeof err), 0);
    assert_int_equal(c.listen_port, 9201);
}

/* ---- environment ---------------------------------------------------------------------------- */

static void test_config_env_overrides_default(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    set_env("VM_URL", "http://prometheus.example.com/api/v1/query_range");
    set_env("STEP", "30s");
    set_env("START_HOURS_AGO", "720");
    set_env("HORIZON_MIN", "30");
    set_env("LOOKBACK_HRS", "48");
    set_env("CONTAMINATION", "0.05");
    set_env("TRAIN_FRACTION", "0.75");
    set_env("PLOT_HISTORY_HOURS", "72");
    set_env("PLOT_FORECAST_HOURS", "6");
    set_env("LSTM_SEQ_LEN", "120");
    set_env("LSTM_EPOCHS", "3");
    set_env("MODEL_FILES_DIR", "/var/lib/metrics-ai/models");
    set_env("FORECAST_PLOTS_DIR", "/var/lib/metrics-ai/plots");
    set_env("DNS_DOMAIN_SUFFIXES", ".example.com");
    set_env("INSTANCE_ALIAS_MAP", "{\"10.0.0.1:9100\": \"host01\"}");
    set_env("AUTO_ALIAS_ENABLED", "0");
    set_env("VERBOSE_LEVEL", "2");
    assert_int_equal(load_none(&c, err), 0);
    assert_string_equal(c.vm_url, "http://prometheus.example.com/api/v1/query_range");
    assert_int_equal(c.step_s, 30);
    assert_int_equal(c.start_hours_ago, 720);
    assert_int_equal(c.horizon_min, 30);
    assert_int_equal(c.lookback_hrs, 48);
    assert_true(c.contamination == 0.05);
    assert_true(c.train_fraction == 0.75);
    assert_int_equal(c.plot_history_hours, 72);
    assert_int_equal(c.plot_forecast_hours, 6);
    assert_int_equal(c.lstm_seq_len, 120);
    assert_int_equal(c.lstm_epochs, 3);
    assert_string_equal(c.model_files_dir, "/var/lib/metrics-ai/models");
    assert_string_equal(c.forecast_plots_dir, "/var/lib/metrics-ai/plots");
    assert_string_equal(c.dns_domain_suffixes, ".example.com");
    assert_string_equal(c.instance_alias_map, "{\"10.0.0.1:9100\": \"host01\"}");
    assert_int_equal(c.auto_alias_enabled, 0);
    assert_int_equal(c.verbose_level, 2);
}

static void test_config_flag_wins_over_env(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    set_env("PLOT_HISTORY_HOURS", "48");
    set_env("PLOT_FORECAST_HOURS", "24");
    assert_int_equal(LOAD(&c, err, "--plot-history-hours", "12", "--plot-forecast-hours=6"), 0);
    assert_int_equal(c.plot_history_hours, 12);
    assert_int_equal(c.plot_forecast_hours, 6);

    /* The environment alone still applies. */
    assert_int_equal(load_none(&c, err), 0);
    assert_int_equal(c.plot_history_hours, 48);
    assert_int_equal(c.plot_forecast_hours, 24);
}

static void test_config_bad_env_fails_even_with_good_flag(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    set_env("PLOT_HISTORY_HOURS", "lots");
    assert_rejected(LOAD(&c, err, "--plot-history-hours", "12"), err,
                    "PLOT_HISTORY_HOURS=\"lots\"");
}

static void test_config_rejects_bad_contamination(void **state)
{
    static const char *const bad[] = {
        "abc", "", "0", "-0.1", "0.5000001", "0.51", "1", "nan", "inf", "0x0.1p0", " 0.1",
        "0.1 ", "0.1.2", "1e-400", "0,1",
    };
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = load_env1(&c, err, "CONTAMINATION", bad[i]);
        assert_rejected(rc, err, "CONTAMINATION=\"");
        assert_non_null(strstr(err, "(0, 0.5]"));
    }
    assert_rejected(load_env1(&c, err, "CONTAMINATION", "abc"), err,
                    "CONTAMINATION=\"abc\": expected a number in (0, 0.5]");

    assert_int_equal(load_env1(&c, err, "CONTAMINATION", "0.5"), 0);
    assert_true(c.contamination == 0.5);
    assert_int_equal(load_env1(&c, err, "CONTAMINATION", "1e-3"), 0);
    assert_true(c.contamination == 0.001);
    assert_int_equal(load_env1(&c, err, "CONTAMINATION", ".25"), 0);
    assert_true(c.contamination == 0.25);
}

static void test_config_train_fraction_is_open_interval(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(load_env1(&c, err, "TRAIN_FRACTION", "0"), err, "TRAIN_FRACTION=\"0\"");
    assert_rejected(load_env1(&c, err, "TRAIN_FRACTION", "1"), err, "(0, 1)");
    assert_rejected(load_env1(&c, err, "TRAIN_FRACTION", "1.0001"), err, "TRAIN_FRACTION");
    assert_int_equal(load_env1(&c, err, "TRAIN_FRACTION", "0.9999"), 0);
    assert_true(c.train_fraction == 0.9999);
    assert_int_equal(load_env1(&c, err, "TRAIN_FRACTION", "0.0001"), 0);
    assert_true(c.train_fraction == 0.0001);
}

static void test_config_env_integers_are_strict(void **state)
{
    static const char *const bad[] = {
        "", "12abc", " 12", "12 ", "+12", "1e3", "0x10", "12.0", "-", "99999999999999999999",
    };
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_rejected(load_env1(&c, err, "START_HOURS_AGO", bad[i]), err,
                        "START_HOURS_AGO=\"");
    assert_rejected(load_env1(&c, err, "START_HOURS_AGO", "0"), err, "[1, 87600]");
    assert_int_equal(load_env1(&c, err, "START_HOURS_AGO", "1"), 0);
    assert_int_equal(c.start_hours_ago, 1);
    assert_int_equal(load_env1(&c, err, "START_HOURS_AGO", "87600"), 0);
    assert_int_equal(c.start_hours_ago, 87600);
    assert_rejected(load_env1(&c, err, "START_HOURS_AGO", "87601"), err, "START_HOURS_AGO");
    assert_int_equal(load_env1(&c, err, "START_HOURS_AGO", "0360"), 0);
    assert_int_equal(c.start_hours_ago, 360);
}

static void test_config_env_integer_limits(void **state)
{
    static const struct {
        const char *name, *below, *lo, *hi, *above;
    } cases[] = {
        { "HORIZON_MIN", "0", "1", "525600", "525601" },
        { "LOOKBACK_HRS", "0", "1", "87600", "87601" },
        { "PLOT_HISTORY_HOURS", "0", "1", "87600", "87601" },
        { "PLOT_FORECAST_HOURS", "0", "1", "87600", "87601" },
        { "LSTM_SEQ_LEN", "0", "1", "10000", "10001" },
        { "LSTM_EPOCHS", "0", "1", "10000", "10001" },
        { "VERBOSE_LEVEL", "-2", "-1", "9", "10" },
    };
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_rejected(load_env1(&c, err, cases[i].name, cases[i].below), err, cases[i].name);
        assert_int_equal(load_env1(&c, err, cases[i].name, cases[i].lo), 0);
        assert_int_equal(load_env1(&c, err, cases[i].name, cases[i].hi), 0);
        assert_rejected(load_env1(&c, err, cases[i].name, cases[i].above), err, cases[i].name);
    }
    assert_int_equal(load_env1(&c, err, "VERBOSE_LEVEL", "-1"), 0);
    assert_int_equal(c.verbose_level, -1);
    assert_int_equal(load_env1(&c, err, "LSTM_EPOCHS", "10000"), 0);
    assert_int_equal(c.lstm_epochs, 10000);
}

static void test_config_auto_alias_takes_boolean_words(void **state)
{
    static const char *const yes[] = { "1", "true", "TRUE", "Yes", "on" };
    static const char *const no[] = { "0", "false", "No", "OFF" };
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        assert_int_equal(load_env1(&c, err, "AUTO_ALIAS_ENABLED", yes[i]), 0);
        assert_int_equal(c.auto_alias_enabled, 1);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        assert_int_equal(load_env1(&c, err, "AUTO_ALIAS_ENABLED", no[i]), 0);
        assert_int_equal(c.auto_alias_enabled, 0);
    }
    assert_rejected(load_env1(&c, err, "AUTO_ALIAS_ENABLED", "2"), err,
                    "AUTO_ALIAS_ENABLED=\"2\"");
    assert_rejected(load_env1(&c, err, "AUTO_ALIAS_ENABLED", ""), err, "AUTO_ALIAS_ENABLED");
}

static void test_config_alias_map_must_start_with_brace(void **state)
{
    char big[8200];
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(load_env1(&c, err, "INSTANCE_ALIAS_MAP", " \t\n{\"a\": \"b\"}"), 0);
    assert_string_equal(c.instance_alias_map, " \t\n{\"a\": \"b\"}");
    assert_rejected(load_env1(&c, err, "INSTANCE_ALIAS_MAP", "[]"), err,
                    "INSTANCE_ALIAS_MAP=\"[]\"");
    assert_rejected(load_env1(&c, err, "INSTANCE_ALIAS_MAP", ""), err, "INSTANCE_ALIAS_MAP");
    assert_rejected(load_env1(&c, err, "INSTANCE_ALIAS_MAP", "   "), err, "INSTANCE_ALIAS_MAP");

    /* The field holds 8191 bytes and a NUL: 8190 and 8191 fit, 8192 is an error. */
    repeat(big, 8190, ' ');
    big[0] = '{';
    assert_int_equal(load_env1(&c, err, "INSTANCE_ALIAS_MAP", big), 0);
    repeat(big, 8191, ' ');
    big[0] = '{';
    assert_int_equal(load_env1(&c, err, "INSTANCE_ALIAS_MAP", big), 0);
    assert_int_equal(strlen(c.instance_alias_map), 8191);
    repeat(big, 8192, ' ');
    big[0] = '{';
    assert_rejected(load_env1(&c, err, "INSTANCE_ALIAS_MAP", big), err, "too long");
}

static void test_config_too_long_string_is_error(void **state)
{
    char big[MAI_CONFIG_PATH_MAX + 2];
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    repeat(big, MAI_CONFIG_PATH_MAX - 2, 'd');
    assert_int_equal(load_env1(&c, err, "MODEL_FILES_DIR", big), 0);
    repeat(big, MAI_CONFIG_PATH_MAX - 1, 'd');
    assert_int_equal(load_env1(&c, err, "MODEL_FILES_DIR", big), 0);
    assert_int_equal(strlen(c.model_files_dir), MAI_CONFIG_PATH_MAX - 1);
    repeat(big, MAI_CONFIG_PATH_MAX, 'd');
    assert_rejected(load_env1(&c, err, "MODEL_FILES_DIR", big), err, "MODEL_FILES_DIR=\"ddd");
    assert_non_null(strstr(err, "too long (1024 bytes, at most 1023)"));

    reset_env(NULL);
    repeat(big, MAI_CONFIG_PATH_MAX - 1, 'x');
    assert_int_equal(load_flag(&c, err, "--dump-csv", big), 0);
    assert_int_equal(strlen(c.dump_csv_dir), MAI_CONFIG_PATH_MAX - 1);
    repeat(big, MAI_CONFIG_PATH_MAX, 'x');
    assert_rejected(load_flag(&c, err, "--dump-csv", big), err, "--dump-csv=\"xxx");
    /* The shown value is cut, so the message stays short. */
    assert_true(strlen(err) < 200);
}

static void test_config_empty_strings(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    /* VM_URL may be empty (no backfill source) and so may the suffix list. */
    assert_int_equal(load_env1(&c, err, "VM_URL", ""), 0);
    assert_string_equal(c.vm_url, "");
    assert_int_equal(load_env1(&c, err, "DNS_DOMAIN_SUFFIXES", ""), 0);
    assert_string_equal(c.dns_domain_suffixes, "");
    assert_rejected(load_env1(&c, err, "MODEL_FILES_DIR", ""), err,
                    "MODEL_FILES_DIR=\"\": must not be empty");
    assert_rejected(load_env1(&c, err, "FORECAST_PLOTS_DIR", ""), err, "FORECAST_PLOTS_DIR");
    reset_env(NULL);
    assert_rejected(LOAD(&c, err, "--dump-csv="), err, "--dump-csv=\"\": must not be empty");
    assert_rejected(LOAD(&c, err, "--disk-retrain="), err, "--disk-retrain");
}

static void test_config_urls_need_http_scheme(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(load_env1(&c, err, "VM_URL", "vm.local/api/v1/query_range"), err,
                    "VM_URL=\"vm.local/api/v1/query_range\"");
    assert_int_equal(load_env1(&c, err, "VM_URL", "HTTPS://vm.local/q"), 0);
    reset_env(NULL);
    assert_rejected(load_flag(&c, err, "--pushgateway", "pushgateway:9091"), err,
                    "--pushgateway=\"pushgateway:9091\"");
    assert_int_equal(load_flag(&c, err, "--pushgateway", "http://pushgateway.monitoring:9091"),
                     0);
    assert_string_equal(c.pushgateway, "http://pushgateway.monitoring:9091");
    assert_rejected(load_flag(&c, err, "--alert-webhook", "ftp://x"), err, "--alert-webhook");
    assert_int_equal(c.n_alert_webhooks, 0);
}

/* ---- STEP ----------------------------------------------------------------------------------- */

static void test_config_step_units(void **state)
{
    static const struct {
        const char *text;
        int64_t seconds;
    } good[] = {
        { "60s", 60 }, { "60", 60 }, { "1m", 60 }, { "2h", 7200 }, { "1d", 86400 },
        { "1", 1 }, { "1s", 1 }, { "86400", 86400 }, { "1440m", 86400 }, { "15s", 15 },
    };
    static const char *const bad[] = {
        "0", "0s", "0m", "-1", "1x", "1.5m", "s", "", "86401", "86401s", "2d", "25h", "1441m",
        "60 s", " 60", "1mm", "1M", "1H", "+60", "99999999999999999999s", "9223372036854775807d",
    };
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(load_env1(&c, err, "STEP", good[i].text), 0);
        assert_int_equal(c.step_s, good[i].seconds);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_rejected(load_env1(&c, err, "STEP", bad[i]), err, "STEP=\"");
    assert_rejected(load_env1(&c, err, "STEP", "1x"), err, "STEP=\"1x\": expected a duration");
}

static void test_config_coarse_step_takes_seconds_or_units(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(load_flag(&c, err, "--coarse-step", "7200"), 0);
    assert_int_equal(c.coarse_step_s, 7200);
    assert_int_equal(load_flag(&c, err, "--coarse-step", "2h"), 0);
    assert_int_equal(c.coarse_step_s, 7200);
    assert_int_equal(load_flag(&c, err, "--coarse-step", "1"), 0);
    assert_int_equal(c.coarse_step_s, 1);
    assert_int_equal(load_flag(&c, err, "--coarse-step", "86400"), 0);
    assert_int_equal(c.coarse_step_s, 86400);
    assert_rejected(load_flag(&c, err, "--coarse-step", "0"), err, "--coarse-step=\"0\"");
    assert_rejected(load_flag(&c, err, "--coarse-step", "86401"), err, "[1s, 1d]");
    /* A STEP coarser than the coarse bucket is still a valid seed setting. */
    set_env("STEP", "2h");
    assert_int_equal(load_none(&c, err), 0);
    assert_int_equal(c.step_s, 7200);
    assert_int_equal(c.coarse_step_s, 3600);
}

static void test_config_fine_ring_holds_one_step(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    set_env("STEP", "1d");
    assert_rejected(LOAD(&c, err, "--fine-hours", "23"), err,
                    "--fine-hours=\"23\" with STEP=\"86400s\"");
    assert_int_equal(LOAD(&c, err, "--fine-hours", "24"), 0);
    assert_int_equal(c.step_s, 86400);
    assert_int_equal(c.fine_hours, 24);
}

static void test_config_anomaly_controls(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(load_none(&c, err), 0);
    assert_true(c.anomaly_threshold == 0.75);
    assert_string_equal(c.anomaly_direction, "both");
    assert_true(c.anomaly_min_change == 0.0);
    assert_int_equal(c.anomaly_persistence, 1);
    assert_int_equal(LOAD(&c, err, "--anomaly-threshold", "0.75", "--anomaly-direction", "up",
                          "--anomaly-min-change", "0", "--anomaly-persistence", "64"), 0);
    assert_true(c.anomaly_threshold == 0.75);
    assert_string_equal(c.anomaly_direction, "up");
    assert_int_equal(c.anomaly_persistence, 64);
    assert_int_equal(LOAD(&c, err, "--anomaly-min-change", "2.5"), 0);
    assert_true(c.anomaly_min_change == 2.5);
    assert_rejected(LOAD(&c, err, "--anomaly-min-change", "-1"), err,
                    "--anomaly-min-change=\"-1\": expected a number >= 0");
    assert_rejected(LOAD(&c, err, "--anomaly-threshold", "0"), err,
                    "--anomaly-threshold=\"0\": expected a number in (0, 1]");
    assert_rejected(LOAD(&c, err, "--anomaly-threshold", "1.5"), err, "--anomaly-threshold");
    assert_rejected(LOAD(&c, err, "--anomaly-persistence", "65"), err, "--anomaly-persistence");
    assert_int_equal(LOAD(&c, err, "--model-allow", "node_.*", "--model-deny", "go_.*|process_.*",
                          "--signals", "a.txt,b.txt"), 0);
    assert_string_equal(c.model_allow, "node_.*");
    assert_string_equal(c.signals_files, "a.txt,b.txt");
    assert_rejected(LOAD(&c, err, "--model-deny", "go_("), err, "--model-deny=\"go_(\": ");
    assert_rejected(LOAD(&c, err, "--anomaly-direction", "sideways"), err,
                    "--anomaly-direction=\"sideways\": expected both, up or down");
}

/* ---- flags ---------------------------------------------------------------------------------- */

static void test_config_mode_flags_set_booleans(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(LOAD(&c, err, "--training", "--show-backtest"), 0);
    assert_int_equal(c.training, 1);
    assert_int_equal(c.show_backtest, 1);
    assert_int_equal(c.forecast, 0);
    assert_int_equal(LOAD(&c, err, "--forecast"), 0);
    assert_int_equal(c.forecast, 1);
    assert_int_equal(c.training, 0);
}

static void test_config_flag_without_value_rejects_equals(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(LOAD(&c, err, "--training=1"), err, "--training takes no value");
    assert_rejected(LOAD(&c, err, "--verbose=2"), err, "--verbose");
}

static void test_config_equals_and_separate_forms_agree(void **state)
{
    mai_config a, b;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(LOAD(&a, err, "--threads", "4", "--listen", "127.0.0.1:9300",
                          "--max-body-bytes", "8m", "--disk-retrain", "host02:/,worker01:/home",
                          "--io-net-retrain", "host02:DISK_IO_WAIT"), 0);
    assert_int_equal(LOAD(&b, err, "--threads=4", "--listen=127.0.0.1:9300",
                          "--max-body-bytes=8m", "--disk-retrain=host02:/,worker01:/home",
                          "--io-net-retrain=host02:DISK_IO_WAIT"), 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(a.threads, 4);
    assert_string_equal(a.listen_host, "127.0.0.1");
    assert_int_equal(a.listen_port, 9300);
    assert_int_equal(a.max_body_bytes, 8u * 1024 * 1024);
    assert_string_equal(a.disk_retrain, "host02:/,worker01:/home");
    assert_string_equal(a.io_net_retrain, "host02:DISK_IO_WAIT");
}

static void test_config_equals_value_may_contain_equals(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(LOAD(&c, err, "--alert-webhook=https://h.example/x?a=b&c=d"), 0);
    assert_string_equal(c.alert_webhooks[0], "https://h.example/x?a=b&c=d");
}

static void test_config_missing_value_is_error(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(LOAD(&c, err, "--threads"), err, "--threads: missing value");
    assert_rejected(LOAD(&c, err, "--dump-csv", "--forecast"), err, "--dump-csv: missing value");
    assert_rejected(LOAD(&c, err, "--listen", "--threads", "2"), err, "--listen");
}

static void test_config_negative_value_is_taken_then_range_checked(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(LOAD(&c, err, "--interval", "-1"), err, "--interval=\"-1\"");
    assert_non_null(strstr(err, "[0, 86400]"));
}

static void test_config_interval_accepts_zero(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(load_flag(&c, err, "--interval", "0"), 0);
    assert_int_equal(c.interval_s, 0);
    assert_int_equal(load_flag(&c, err, "--interval", "30"), 0);
    assert_int_equal(c.interval_s, 30);
    assert_int_equal(load_flag(&c, err, "--interval", "86400"), 0);
    assert_int_equal(c.interval_s, 86400);
    assert_int_equal(load_flag(&c, err, "--snapshot-interval", "0"), 0);
    assert_int_equal(c.snapshot_interval_s, 0);
    assert_rejected(LOAD(&c, err, "--snapshot-interval", "-5"), err, "--snapshot-interval");
    assert_rejected(load_flag(&c, err, "--interval", "86401"), err, "--interval=\"86401\"");
    assert_rejected(load_flag(&c, err, "--interval", "15s"), err, "--interval=\"15s\"");
    assert_rejected(load_flag(&c, err, "--interval", ""), err, "--interval=\"\"");
}

static void test_config_plot_interval(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(load_flag(&c, err, "--interval", "30"), 0);
    assert_int_equal(c.plot_interval_s, 300);
    assert_int_equal(load_flag(&c, err, "--plot-interval", "0"), 0);
    assert_int_equal(c.plot_interval_s, 0);
    assert_int_equal(load_flag(&c, err, "--plot-interval", "1"), 0);
    assert_int_equal(c.plot_interval_s, 1);
    assert_rejected(load_flag(&c, err, "--plot-interval", "-1"), err, "--plot-interval=\"-1\"");
    assert_rejected(load_flag(&c, err, "--plot-interval", "86401"), err,
                    "--plot-interval=\"86401\"");
    assert_rejected(load_flag(&c, err, "--plot-interval", "5m"), err, "--plot-interval=\"5m\"");
}

static void test_config_unknown_flag_names_it(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(LOAD(&c, err, "--bogus"), err, "unknown flag \"--bogus\"");
    assert_rejected(LOAD(&c, err, "--bogus=3"), err, "unknown flag \"--bogus\"");
    assert_null(strstr(err, "=3"));
    assert_rejected(LOAD(&c, err, "-x"), err, "unknown flag \"-x\"");
    assert_rejected(LOAD(&c, err, "-vx"), err, "unknown flag \"-x\" in \"-vx\"");
    /* Prefixes are not abbreviations. */
    assert_rejected(LOAD(&c, err, "--thread", "2"), err, "unknown flag \"--thread\"");
    assert_rejected(LOAD(&c, err, "--threadsx=2"), err, "\"--threadsx\"");
    /* Single-dash long names are not long flags. */
    assert_rejected(LOAD(&c, err, "-training"), err, "unknown flag \"-t\"");
}

static void test_config_positional_argument_is_error(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(LOAD(&c, err, "foo"), err, "unexpected argument \"foo\"");
    assert_rejected(LOAD(&c, err, "--forecast", "train"), err, "unexpected argument \"train\"");
    assert_rejected(LOAD(&c, err, "-"), err, "unexpected argument \"-\"");
    assert_rejected(LOAD(&c, err, "--", "--forecast"), err, "unexpected argument \"--forecast\"");
    /* "--" alone ends the flags and is fine. */
    assert_int_equal(LOAD(&c, err, "--forecast", "--"), 0);
    assert_int_equal(c.forecast, 1);
}

static void test_config_error_is_one_line_with_escaped_value(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(load_env1(&c, err, "LSTM_EPOCHS", "1\n2\"\\"), err,
                    "LSTM_EPOCHS=\"1\\x0a2\\\"\\\\\"");
}

static void test_config_small_error_buffer_is_safe(void **state)
{
    mai_config c;
    char err[16];
    char *argv[] = { (char *)"metrics-ai", (char *)"--threads", (char *)"0", NULL };
    (void)state;
    memset(err, 'Z', sizeof err);
    assert_int_equal(config_load(&c, 3, argv, fake_getenv, err, 8), -MAI_EINVAL);
    assert_int_equal(strlen(err), 7);
    assert_memory_equal(err, "--threa", 7);
    assert_int_equal(err[8], 'Z');
    assert_int_equal(config_load(&c, 3, argv, fake_getenv, NULL, 0), -MAI_EINVAL);
}

/* ---- verbosity ------------------------------------------------------------------------------ */

static void test_config_verbose_counts(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(LOAD(&c, err, "-v"), 0);
    assert_int_equal(c.verbose_level, 1);
    assert_int_equal(LOAD(&c, err, "-vv"), 0);
    assert_int_equal(c.verbose_level, 2);
    assert_int_equal(LOAD(&c, err, "-vvv"), 0);
    assert_int_equal(c.verbose_level, 3);
    assert_int_equal(LOAD(&c, err, "-v", "--verbose", "-vv"), 0);
    assert_int_equal(c.verbose_level, 4);
    set_env("VERBOSE_LEVEL", "2");
    assert_int_equal(LOAD(&c, err, "-v"), 0);
    assert_int_equal(c.verbose_level, 3);
}

static void test_config_quiet_wins_over_verbose(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(LOAD(&c, err, "-q"), 0);
    assert_int_equal(c.verbose_level, -1);
    assert_int_equal(LOAD(&c, err, "--quiet", "-vvv"), 0);
    assert_int_equal(c.verbose_level, -1);
    assert_int_equal(LOAD(&c, err, "-vq"), 0);
    assert_int_equal(c.verbose_level, -1);
    set_env("VERBOSE_LEVEL", "3");
    assert_int_equal(LOAD(&c, err, "-q"), 0);
    assert_int_equal(c.verbose_level, -1);
}

/* ---- service flags -------------------------------------------------------------------------- */

static void test_config_listen_forms(void **state)
{
    static const struct {
        const char *text, *host;
        unsigned port;
    } good[] = {
        { "127.0.0.1:9000", "127.0.0.1", 9000 },
        { ":9300", "", 9300 },
        { "9400", "", 9400 },
        { "[::1]:9201", "::1", 9201 },
        { "[::]:80", "::", 80 },
        { "localhost:1", "localhost", 1 },
        { "my-host_1.example:65535", "my-host_1.example", 65535 },
        { "[fe80::1%eth0]:9201", "fe80::1%eth0", 9201 },
    };
    static const char *const bad[] = {
        "", "x:0", "x:65536", "0", "65536", "::1:80", "::1", "[::1]", "[::1]9201", "[::1:80",
        "[]:80", "[host]:80", "host:", "host:abc", "ho st:80", "localhost", "*:80", ":+80",
        ": 80", "host:80x", "-1",
    };
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(load_flag(&c, err, "--listen", good[i].text), 0);
        assert_string_equal(c.listen_host, good[i].host);
        assert_int_equal(c.listen_port, good[i].port);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_rejected(load_flag(&c, err, "--listen", bad[i]), err, "--listen=\"");
    assert_rejected(load_flag(&c, err, "--listen", "::1:80"), err, "needs brackets");
    assert_rejected(load_flag(&c, err, "--listen", "x:65536"), err, "[1, 65535]");
}

static void test_config_listen_host_length_limit(void **state)
{
    char arg[300];
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    repeat(arg, 254, 'h');
    strcat(arg, ":80");
    assert_int_equal(load_flag(&c, err, "--listen", arg), 0);
    repeat(arg, 255, 'h');
    strcat(arg, ":80");
    assert_int_equal(load_flag(&c, err, "--listen", arg), 0);
    assert_int_equal(strlen(c.listen_host), 255);
    repeat(arg, 256, 'h');
    strcat(arg, ":80");
    assert_rejected(load_flag(&c, err, "--listen", arg), err, "host is too long");
}

/* Flags whose value is a plain integer range: lo-1 and hi+1 fail, lo and hi pass. */
static void test_config_integer_flag_limits(void **state)
{
    static const struct {
        const char *flag, *below, *lo, *hi, *above;
    } cases[] = {
        { "--threads", "0", "1", "256", "257" },
        { "--max-series", "0", "1", "100000000", "100000001" },
        { "--max-labels-per-series", "0", "1", "1024", "1025" },
        { "--max-inflight", "0", "1", "65536", "65537" },
        { "--request-timeout", "0", "1", "3600", "3601" },
        { "--fine-hours", "0", "1", "720", "721" },
        { "--coarse-days", "0", "1", "3650", "3651" },
        { "--plot-history-hours", "0", "1", "87600", "87601" },
        { "--plot-forecast-hours", "0", "1", "87600", "87601" },
    };
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_rejected(load_flag(&c, err, cases[i].flag, cases[i].below), err, cases[i].flag);
        assert_int_equal(load_flag(&c, err, cases[i].flag, cases[i].lo), 0);
        assert_int_equal(load_flag(&c, err, cases[i].flag, cases[i].hi), 0);
        assert_rejected(load_flag(&c, err, cases[i].flag, cases[i].above), err, cases[i].flag);
        assert_rejected(load_flag(&c, err, cases[i].flag, "1k"), err, cases[i].flag);
    }
    assert_int_equal(load_flag(&c, err, "--threads", "256"), 0);
    assert_int_equal(c.threads, 256);
    assert_int_equal(load_flag(&c, err, "--max-series", "100000000"), 0);
    assert_int_equal(c.max_series, 100000000);
    assert_rejected(load_flag(&c, err, "--threads", "257"), err,
                    "--threads=\"257\": expected an integer in [1, 256]");
}

static void test_config_shards_power_of_two(void **state)
{
    static const char *const good[] = { "1", "2", "64", "2048", "4096" };
    static const char *const bad[] = { "0", "3", "6", "4095", "4097", "8192", "-64", "64k" };
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(load_flag(&c, err, "--shards", good[i]), 0);
        assert_int_equal(c.shards, (unsigned)atoi(good[i]));
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_rejected(load_flag(&c, err, "--shards", bad[i]), err, "power of two in [1, 4096]");
}

static void test_config_byte_suffixes(void **state)
{
    static const struct {
        const char *text;
        size_t bytes;
    } good[] = {
        { "1k", 1024 }, { "1K", 1024 }, { "2m", 2u << 20 }, { "2M", 2u << 20 },
        { "1g", 1u << 30 }, { "1G", 1u << 30 }, { "1024", 1024 }, { "1025", 1025 },
        { "1048576k", 1u << 30 }, { "1024M", 1u << 30 }, { "1073741824", 1u << 30 },
    };
    static const char *const bad[] = {
        "1023", "0", "1073741825", "2g", "1025m", "1t", "k", "-1k", "1kb", "1KiB", "1 k", " 1k",
        "1.5m", "", "99999999999999999999", "9223372036854775807k", "0x400",
    };
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(load_flag(&c, err, "--max-body-bytes", good[i].text), 0);
        assert_int_equal(c.max_body_bytes, good[i].bytes);
        assert_int_equal(load_flag(&c, err, "--max-decoded-bytes", good[i].text), 0);
        assert_int_equal(c.max_decoded_bytes, good[i].bytes);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_rejected(load_flag(&c, err, "--max-body-bytes", bad[i]), err,
                        "--max-body-bytes=\"");
        assert_non_null(strstr(err, "[1K, 1G]"));
    }
}

static void test_config_max_label_bytes_limits(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(load_flag(&c, err, "--max-label-bytes", "0"), err, "--max-label-bytes");
    assert_int_equal(load_flag(&c, err, "--max-label-bytes", "1"), 0);
    assert_int_equal(c.max_label_bytes, 1);
    assert_int_equal(load_flag(&c, err, "--max-label-bytes", "16k"), 0);
    assert_int_equal(c.max_label_bytes, 16384);
    assert_int_equal(load_flag(&c, err, "--max-label-bytes", "1m"), 0);
    assert_int_equal(c.max_label_bytes, 1048576);
    assert_rejected(load_flag(&c, err, "--max-label-bytes", "1048577"), err, "[1, 1M]");
}

static void test_config_repeated_webhooks(void **state)
{
    char url[MAI_CONFIG_MAX_WEBHOOKS + 1][64];
    const char *args[2 * (MAI_CONFIG_MAX_WEBHOOKS + 1) + 1];
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    for (int i = 0; i <= MAI_CONFIG_MAX_WEBHOOKS; i++) {
        snprintf(url[i], sizeof url[i], "https://hooks.example/%d", i);
        args[2 * i] = "--alert-webhook";
        args[2 * i + 1] = url[i];
    }
    /* n-1 and n fit; n+1 is an error naming the flag and the extra URL. */
    args[2 * (MAI_CONFIG_MAX_WEBHOOKS - 1)] = NULL;
    assert_int_equal(load_args(&c, err, args), 0);
    assert_int_equal(c.n_alert_webhooks, MAI_CONFIG_MAX_WEBHOOKS - 1);
    args[2 * (MAI_CONFIG_MAX_WEBHOOKS - 1)] = "--alert-webhook";
    args[2 * MAI_CONFIG_MAX_WEBHOOKS] = NULL;
    assert_int_equal(load_args(&c, err, args), 0);
    assert_int_equal(c.n_alert_webhooks, MAI_CONFIG_MAX_WEBHOOKS);
    for (int i = 0; i < MAI_CONFIG_MAX_WEBHOOKS; i++)
        assert_string_equal(c.alert_webhooks[i], url[i]);
    args[2 * MAI_CONFIG_MAX_WEBHOOKS] = "--alert-webhook";
    args[2 * MAI_CONFIG_MAX_WEBHOOKS + 1] = url[MAI_CONFIG_MAX_WEBHOOKS];
    args[2 * MAI_CONFIG_MAX_WEBHOOKS + 2] = NULL;
    assert_rejected(load_args(&c, err, args), err, "--alert-webhook=\"https://hooks.example/8\"");
    assert_non_null(strstr(err, "at most 8"));
}

/* ---- security and request limits ------------------------------------------------------------ */

static void test_config_security_defaults_are_off(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(load_none(&c, err), 0);
    assert_string_equal(c.bearer_token, "");
    assert_string_equal(c.auth_bearer_token_file, "");
    assert_string_equal(c.auth_basic_users_file, "");
    assert_string_equal(c.tls_cert, "");
    assert_string_equal(c.tls_key, "");
    assert_int_equal(c.auth_metrics, 0);
    assert_int_equal(c.admin_open, 0);
    assert_int_equal(c.max_samples_per_request, 1000000);
    assert_int_equal(c.debug_ingest_delay_ms, 0);
}

static void test_config_security_flags(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(LOAD(&c, err, "--auth-bearer-token-file", "/run/tok",
                          "--auth-basic-users-file=/run/users", "--auth-metrics", "--admin-open",
                          "--tls-cert", "/c.pem", "--tls-key", "/k.pem"), 0);
    assert_string_equal(c.auth_bearer_token_file, "/run/tok");
    assert_string_equal(c.auth_basic_users_file, "/run/users");
    assert_int_equal(c.auth_metrics, 1);
    assert_int_equal(c.admin_open, 1);
    assert_string_equal(c.tls_cert, "/c.pem");
    assert_string_equal(c.tls_key, "/k.pem");
    assert_rejected(LOAD(&c, err, "--auth-metrics=1"), err, "--auth-metrics takes no value");
    assert_rejected(load_flag(&c, err, "--auth-bearer-token-file", ""), err, "must not be empty");
}

static void test_config_tls_needs_cert_and_key(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_rejected(load_flag(&c, err, "--tls-cert", "/c.pem"), err,
                    "--tls-cert given without --tls-key");
    assert_rejected(load_flag(&c, err, "--tls-key", "/k.pem"), err,
                    "--tls-key given without --tls-cert");
}

static void test_config_bearer_token_from_env_is_never_shown(void **state)
{
    mai_config c;
    char err[ERR_LEN], big[5000];
    (void)state;
    assert_int_equal(load_env1(&c, err, "METRICS_AI_BEARER_TOKEN", "tok-123"), 0);
    assert_string_equal(c.bearer_token, "tok-123");
    /* too long: the message names the variable but shows none of the value */
    repeat(big, 4096, 'S');
    assert_rejected(load_env1(&c, err, "METRICS_AI_BEARER_TOKEN", big), err,
                    "METRICS_AI_BEARER_TOKEN (value not shown)");
    assert_null(strstr(err, "SSS"));
}

static void test_config_max_samples_per_request_limits(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(load_flag(&c, err, "--max-samples-per-request", "1"), 0);
    assert_int_equal(c.max_samples_per_request, 1);
    assert_int_equal(load_flag(&c, err, "--max-samples-per-request", "100000000"), 0);
    assert_int_equal(c.max_samples_per_request, 100000000);
    assert_rejected(load_flag(&c, err, "--max-samples-per-request", "0"), err,
                    "--max-samples-per-request=\"0\": expected an integer in [1, 100000000]");
    assert_rejected(load_flag(&c, err, "--max-samples-per-request", "100000001"), err,
                    "expected an integer in [1, 100000000]");
}

static void test_config_debug_ingest_delay_is_hidden(void **state)
{
    mai_config c;
    char err[ERR_LEN], *text = NULL;
    size_t len = 0;
    (void)state;
    assert_int_equal(load_flag(&c, err, "--debug-ingest-delay-ms", "250"), 0);
    assert_int_equal(c.debug_ingest_delay_ms, 250);
    assert_rejected(load_flag(&c, err, "--debug-ingest-delay-ms", "60001"), err,
                    "expected an integer in [0, 60000]");
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    config_print_help(f, NULL);
    assert_int_equal(fclose(f), 0);
    assert_null(strstr(text, "--debug-ingest-delay-ms"));
    assert_non_null(strstr(text, "Security flags:"));
    free(text);
}

/* ---- help and version ----------------------------------------------------------------------- */

static void test_config_help_and_version_commands(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    assert_int_equal(LOAD(&c, err, "--help"), 0);
    assert_int_equal(c.command, MAI_CMD_HELP);
    assert_int_equal(LOAD(&c, err, "-h"), 0);
    assert_int_equal(c.command, MAI_CMD_HELP);
    assert_int_equal(LOAD(&c, err, "-vh"), 0);
    assert_int_equal(c.command, MAI_CMD_HELP);
    assert_int_equal(LOAD(&c, err, "--version"), 0);
    assert_int_equal(c.command, MAI_CMD_VERSION);
    assert_int_equal(LOAD(&c, err, "--forecast"), 0);
    assert_int_equal(c.command, MAI_CMD_SERVE);
}

static void test_config_help_wins_over_bad_input(void **state)
{
    mai_config c;
    char err[ERR_LEN];
    (void)state;
    set_env("CONTAMINATION", "abc");
    assert_int_equal(LOAD(&c, err, "--bogus", "--help"), 0);
    assert_int_equal(c.command, MAI_CMD_HELP);
    assert_int_equal(LOAD(&c, err, "--threads", "0", "--version"), 0);
    assert_int_equal(c.command, MAI_CMD_VERSION);
    /* A flag value that merely looks like -h is a value, and after "--" nothing is a flag. */
    reset_env(NULL);
    assert_int_equal(LOAD(&c, err, "--dump-csv", "-h"), 0);
    assert_int_equal(c.command, MAI_CMD_SERVE);
    assert_string_equal(c.dump_csv_dir, "-h");
    assert_rejected(LOAD(&c, err, "--", "--help"), err, "unexpected argument \"--help\"");
    assert_rejected(LOAD(&c, err, "--help=1"), err, "--help takes no value");
}

static void test_config_help_lists_every_flag_and_env(void **state)
{
    static const char *const needles[] = {
        "Usage: metrics-ai [flags]",
        "--training", "--forecast", "--interval N", "(default: 15)", "--show-backtest",
        "--disk-retrain LIST", "--io-net-retrain LIST", "--alert-webhook URL", "--pushgateway URL",
        "--plot-history-hours H", "--plot-forecast-hours H", "--dump-csv DIR", "-v, --verbose",
        "-q, --quiet", "-h, --help", "--version",
        "--listen HOST:PORT", "(default: :9201)", "--threads N", "(default: 2)", "--shards N",
        "(default: 64)", "--max-body-bytes SIZE", "(default: 32M)", "--max-decoded-bytes SIZE",
        "(default: 128M)", "--max-series N", "(default: 2000000)", "--max-labels-per-series N",
        "--max-label-bytes SIZE", "(default: 4K)", "--max-inflight N", "--fine-hours H",
        "(default: 24)", "--coarse-days D", "(default: 35)", "--coarse-step SECONDS",
        "(default: 3600)",
        "VM_URL", "(default: http://vm.london.local/api/v1/query_range)", "STEP",
        "(default: 60s)", "START_HOURS_AGO", "(default: 360)", "HORIZON_MIN", "LOOKBACK_HRS",
        "CONTAMINATION", "(default: 0.12)", "TRAIN_FRACTION", "(default: 0.8)",
        "PLOT_HISTORY_HOURS", "PLOT_FORECAST_HOURS", "(default: 168)", "LSTM_SEQ_LEN",
        "(default: 60)", "LSTM_EPOCHS", "(default: 10)", "MODEL_FILES_DIR",
        "(default: ./model_files)", "FORECAST_PLOTS_DIR", "(default: ./forecast_plots)",
        "DNS_DOMAIN_SUFFIXES", "(default: .london.local,.local)", "INSTANCE_ALIAS_MAP",
        "(default: {})", "AUTO_ALIAS_ENABLED", "(default: 1)", "VERBOSE_LEVEL", "(default: 0)",
        "--max-samples-per-request N", "(default: 1000000)", "--auth-bearer-token-file FILE",
        "--auth-basic-users-file FILE", "--auth-metrics", "--admin-open", "--tls-cert FILE",
        "--tls-key FILE", "METRICS_AI_BEARER_TOKEN",
    };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    (void)state;
    assert_non_null(f);
    config_print_help(f, "/usr/local/bin/metrics-ai");
    assert_int_equal(fclose(f), 0);
    assert_non_null(text);
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        if (!strstr(text, needles[i]))
            fail_msg("help lacks \"%s\"", needles[i]);
    }
    /* Every line fits in 100 columns. */
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (n > 100)
            fail_msg("help line longer than 100 columns: %.*s", (int)n, line);
        line += n + (nl ? 1 : 0);
    }
    free(text);

    /* Without a program name the usage line still names metrics-ai. */
    text = NULL;
    f = open_memstream(&text, &len);
    assert_non_null(f);
    config_print_help(f, NULL);
    assert_int_equal(fclose(f), 0);
    assert_non_null(text);
    assert_memory_equal(text, "Usage: metrics-ai [flags]\n", 26);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup(name, reset_env)
        T(test_config_defaults_match_seed),
        T(test_config_load_with_nothing_set_gives_defaults),
        T(test_config_load_accepts_empty_argv),
        T(test_config_env_overrides_default),
        T(test_config_flag_wins_over_env),
        T(test_config_bad_env_fails_even_with_good_flag),
        T(test_config_rejects_bad_contamination),
        T(test_config_train_fraction_is_open_interval),
        T(test_config_env_integers_are_strict),
        T(test_config_env_integer_limits),
        T(test_config_auto_alias_takes_boolean_words),
        T(test_config_alias_map_must_start_with_brace),
        T(test_config_too_long_string_is_error),
        T(test_config_empty_strings),
        T(test_config_urls_need_http_scheme),
        T(test_config_step_units),
        T(test_config_coarse_step_takes_seconds_or_units),
        T(test_config_fine_ring_holds_one_step),
        T(test_config_anomaly_controls),
        T(test_config_mode_flags_set_booleans),
        T(test_config_flag_without_value_rejects_equals),
        T(test_config_equals_and_separate_forms_agree),
        T(test_config_equals_value_may_contain_equals),
        T(test_config_missing_value_is_error),
        T(test_config_negative_value_is_taken_then_range_checked),
        T(test_config_interval_accepts_zero),
        T(test_config_plot_interval),
        T(test_config_unknown_flag_names_it),
        T(test_config_positional_argument_is_error),
        T(test_config_error_is_one_line_with_escaped_value),
        T(test_config_small_error_buffer_is_safe),
        T(test_config_verbose_counts),
        T(test_config_quiet_wins_over_verbose),
        T(test_config_listen_forms),
        T(test_config_listen_host_length_limit),
        T(test_config_integer_flag_limits),
        T(test_config_shards_power_of_two),
        T(test_config_byte_suffixes),
        T(test_config_max_label_bytes_limits),
        T(test_config_repeated_webhooks),
        T(test_config_security_defaults_are_off),
        T(test_config_security_flags),
        T(test_config_tls_needs_cert_and_key),
        T(test_config_bearer_token_from_env_is_never_shown),
        T(test_config_max_samples_per_request_limits),
        T(test_config_debug_ingest_delay_is_hidden),
        T(test_config_help_and_version_commands),
        T(test_config_help_wins_over_bad_input),
        T(test_config_help_lists_every_flag_and_env),
#undef T
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
