/* SPDX-License-Identifier: Apache-2.0
 * adapter/config.h -- the process configuration: the seed's environment variables (same names,
 * same defaults), the seed's command-line flags, and the service flags (listen address, limits,
 * ring sizes). Filled once in main() before any thread starts; read-only afterwards. */
#ifndef MAI_ADAPTER_CONFIG_H
#define MAI_ADAPTER_CONFIG_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MAI_CONFIG_MAX_WEBHOOKS 8
#define MAI_CONFIG_PATH_MAX 1024

#define MAI_VERSION "0.1.0"     /* the release; metrics_ai_build_info, --version, "/" */

typedef enum mai_command {
    MAI_CMD_SERVE = 0,   /* default: run the receiver/exporter */
    MAI_CMD_HELP,        /* --help printed; exit 0 */
    MAI_CMD_VERSION,     /* --version printed; exit 0 */
} mai_command;

typedef struct mai_config {
    mai_command command;

    /* Seed environment variables (data source, models, files, advanced). */
    char vm_url[MAI_CONFIG_PATH_MAX];          /* VM_URL */
    int64_t step_s;                            /* STEP, "60s" -> 60; also the fine ring step */
    int start_hours_ago;                       /* START_HOURS_AGO, 360 */
    int horizon_min;                           /* HORIZON_MIN, 15 */
    int lookback_hrs;                          /* LOOKBACK_HRS, 24 */
    double contamination;                      /* CONTAMINATION, 0.12, in (0, 0.5] */
    double train_fraction;                     /* TRAIN_FRACTION, 0.8, in (0, 1) */
    int plot_history_hours;                    /* PLOT_HISTORY_HOURS, 168 */
    int plot_forecast_hours;                   /* PLOT_FORECAST_HOURS, 168 */
    int lstm_seq_len;                          /* LSTM_SEQ_LEN, 60 */
    int lstm_epochs;                           /* LSTM_EPOCHS, 10 */
    char model_files_dir[MAI_CONFIG_PATH_MAX]; /* MODEL_FILES_DIR, ./model_files */
    char forecast_plots_dir[MAI_CONFIG_PATH_MAX]; /* FORECAST_PLOTS_DIR, ./forecast_plots */
    char dns_domain_suffixes[MAI_CONFIG_PATH_MAX]; /* DNS_DOMAIN_SUFFIXES, .london.local,.local */
    char instance_alias_map[8192];             /* INSTANCE_ALIAS_MAP, {} (JSON object text) */
    int auto_alias_enabled;                    /* AUTO_ALIAS_ENABLED, 1 */
    int verbose_level;                         /* VERBOSE_LEVEL, 0; -v adds 1 each, -q sets -1 */

    /* Seed command-line flags. */
    int training;                              /* --training */
    int forecast;                              /* --forecast */
    int interval_s;                            /* --interval N, 15; 0 = one cycle and exit */
    int show_backtest;                         /* --show-backtest */
    char disk_retrain[MAI_CONFIG_PATH_MAX];    /* --disk-retrain all|node|node:/mount,... */
    char io_net_retrain[MAI_CONFIG_PATH_MAX];  /* --io-net-retrain all|node|node:SIGNAL,... */
    char alert_webhooks[MAI_CONFIG_MAX_WEBHOOKS][MAI_CONFIG_PATH_MAX]; /* --alert-webhook URL */
    int n_alert_webhooks;
    char pushgateway[MAI_CONFIG_PATH_MAX];     /* --pushgateway URL */
    char dump_csv_dir[MAI_CONFIG_PATH_MAX];    /* --dump-csv DIR */

    /* Service flags. */
    char listen_host[256];                     /* --listen HOST:PORT, host part ("" = all) */
    uint16_t listen_port;                      /* port part, default 9201 */
    unsigned threads;                          /* --threads, HTTP worker threads, default 2 */
    int plot_interval_s;                       /* --plot-interval N, 300; 0 = no plots */
    unsigned shards;                           /* --shards, power of two, default 64 */
    size_t max_body_bytes;                     /* --max-body-bytes, compressed, default 32 MiB */
    size_t max_decoded_bytes;                  /* --max-decoded-bytes, default 128 MiB */
    size_t max_series;                         /* --max-series, default 2,000,000 */
    unsigned max_labels_per_series;            /* --max-labels-per-series, default 64 */
    unsigned max_label_bytes;                  /* --max-label-bytes, name or value, default 4096 */
    unsigned max_inflight;                     /* --max-inflight requests, default 64 */
    unsigned request_timeout_s;                /* --request-timeout: headers, body, 60 */
    unsigned fine_hours;                       /* --fine-hours, fine ring span, default 24 */
    unsigned coarse_days;                      /* --coarse-days, coarse ring span, default 35 */
    unsigned coarse_step_s;                    /* --coarse-step, coarse bucket, default 3600 */
    size_t max_models;                         /* --max-models, series forecast, default 10000 */
    char horizons[256];                        /* --horizons, "" = HORIZON_MIN m,1h,24h,7d */
    char lstm_metrics[MAI_CONFIG_PATH_MAX];     /* --lstm-metrics, names that get the LSTM */
    char signals_files[MAI_CONFIG_PATH_MAX];   /* --signals FILE[,FILE...]: catalogue overrides */
    char model_allow[1024];                    /* --model-allow RE: metric names modelled */
    char model_deny[1024];                     /* --model-deny RE: metric names not modelled */
    double anomaly_threshold;                  /* --anomaly-threshold, alert level, default 0.75*/
    char anomaly_direction[16];                /* --anomaly-direction both|up|down */
    double anomaly_min_change;                 /* --anomaly-min-change, series units, 0 = off */
    unsigned anomaly_persistence;              /* --anomaly-persistence K points, default 1 */
    char backfill_selectors[4096];             /* --backfill-selectors, ';'-separated, "" */
    int snapshot_interval_s;                   /* --snapshot-interval, default 300; 0 = only at
                                                  shutdown */
    unsigned max_samples_per_request;          /* --max-samples-per-request, default 1,000,000 */
    unsigned debug_ingest_delay_ms;            /* --debug-ingest-delay-ms, test-only, hidden */

    /* Security flags (adapter/auth.h). */
    char bearer_token[4096];                   /* METRICS_AI_BEARER_TOKEN, "" = none */
    char auth_bearer_token_file[MAI_CONFIG_PATH_MAX]; /* --auth-bearer-token-file FILE */
    char auth_basic_users_file[MAI_CONFIG_PATH_MAX];  /* --auth-basic-users-file FILE */
    int auth_metrics;                          /* --auth-metrics: /metrics, / need credentials */
    int admin_open;                            /* --admin-open: admin open without credentials */
    char tls_cert[MAI_CONFIG_PATH_MAX];        /* --tls-cert FILE (PEM) */
    char tls_key[MAI_CONFIG_PATH_MAX];         /* --tls-key FILE (PEM) */
} mai_config;

#define MAI_CONFIG_MAX_HORIZONS 4

/* Fills every field with its default. Cannot fail. */
void config_defaults(mai_config *c);

/* Looks up an environment variable; returns NULL when unset. Tests pass their own. */
typedef const char *(*config_getenv_fn)(const char *name);

/* Defaults, then environment (through getenv_fn, or getenv when NULL), then argv (flags win).
 * Returns 0, or -MAI_EINVAL with a one-line message naming the variable or flag in err. */
int config_load(mai_config *c, int argc, char **argv, config_getenv_fn getenv_fn,
                char *err, size_t errlen);

/* The forecast horizons in seconds, ascending: --horizons, or HORIZON_MIN minutes, 1h, 24h and
 * 7d (those longer than HORIZON_MIN). Returns the count (>= 1), or -MAI_EINVAL with a one-line
 * message in err. */
int config_horizons(const mai_config *c, double out[MAI_CONFIG_MAX_HORIZONS], char *err,
                    size_t errlen);

/* Prints usage: every seed flag, every service flag, every environment variable with its default. */
void config_print_help(FILE *out, const char *prog);

/* Compiles a --model-allow / --model-deny expression as POSIX ERE anchored to the whole name
 * (^(RE)$, as Prometheus anchors its regexes). Returns 0, or -MAI_EINVAL with one line naming
 * the flag in err (what, e.g. "--model-allow"). Free with regfree(). */
int config_name_regex(const char *what, const char *re, regex_t *out, char *err, size_t errlen);

#endif
