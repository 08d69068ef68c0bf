/* SPDX-License-Identifier: Apache-2.0
 * adapter/config.c -- fills mai_config: defaults, then the seed's environment variables, then the
 * command-line flags (seed flags and service flags; flags win). Two static tables, one per source,
 * drive strict parsing, range checks, one-line error messages and the --help text.
 * Called once from main() before any thread starts; keeps no state of its own. */
#include "adapter/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "models/base.h"

/* ---- types -------------------------------------------------------------------------------- */

/* How a value is parsed and checked. */
typedef enum opt_parse {
    P_FLAG,     /* takes no value; sets an int to 1 */
    P_INT,      /* decimal integer in [lo, hi] */
    P_POW2,     /* P_INT that must also be a power of two */
    P_BYTES,    /* integer with an optional k/m/g suffix (powers of 1024), in [lo, hi] */
    P_STEP,     /* duration N, Ns, Nm, Nh or Nd, stored in seconds, in [lo, hi] */
    P_DOUBLE,   /* decimal number in (dlo, dhi], or (dlo, dhi) with O_HI_OPEN */
    P_BOOL,     /* 0/1/true/false/yes/no/on/off, stored as 0 or 1 */
    P_STR,      /* text that fits its field */
    P_URL,      /* P_STR starting with http:// or https:// */
    P_JSON_OBJ, /* P_STR whose first non-blank byte is '{' (full JSON parsing comes later) */
    P_LISTEN,   /* HOST:PORT, :PORT, PORT or [IPv6]:PORT */
    P_WEBHOOK,  /* P_URL appended to alert_webhooks */
    P_VERBOSE,  /* verbose_level += 1 */
    P_QUIET,    /* verbose_level = -1 once all flags are read */
    P_HELP,
    P_VERSION,
} opt_parse;

/* The C type of the field an integer is stored into. */
typedef enum opt_store { S_NONE, S_INT, S_UINT, S_SIZE, S_I64 } opt_store;

enum {
    O_EMPTY_OK = 1, /* strings: "" is a valid value */
    O_HI_OPEN = 2,  /* doubles: the upper bound is excluded */
    O_LO_CLOSED = 4,    /* doubles: the lower bound is included */
    O_SECRET = 8,       /* strings: messages never show the value */
};

enum {
    G_SEED, G_SERVICE, G_SECURITY, G_GENERAL, G_HIDDEN,     /* flag groups */
    G_DATA, G_MODEL, G_LSTM, G_FILES, G_ADVANCED, G_ENV_SECURITY, /* environment groups */
};

typedef struct opt {
    const char *name;     /* "--threads" or "STEP" */
    char short_name;      /* 'v' for -v; 0 when there is none */
    const char *metavar;  /* "N"; NULL when the flag takes no value (always set for env) */
    opt_parse parse;
    opt_store store;
    size_t off;           /* offsetof(mai_config, field) */
    size_t size;          /* sizeof the field */
    long long lo, hi;     /* integer range, both included */
    double dlo, dhi;      /* number range, dlo excluded */
    unsigned flags;
    int group;
    const char *help;
} opt;

#define FIELD(f) .off = offsetof(mai_config, f), .size = sizeof(((mai_config *)0)->f)

#define STR2(x) #x
#define STR(x) STR2(x)

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)
#define HOURS_MAX 87600 /* ten years */
#define DAY_S 86400

/* ---- tables ------------------------------------------------------------------------------- */

static const opt env_opts[] = {
    { .name = "VM_URL", .metavar = "URL", .parse = P_URL, FIELD(vm_url), .flags = O_EMPTY_OK,
      .group = G_DATA, .help = "Prometheus/VictoriaMetrics query_range endpoint (empty: none)" },
    { .name = "STEP", .metavar = "DURATION", .parse = P_STEP, .store = S_I64, FIELD(step_s),
      .lo = 1, .hi = DAY_S, .group = G_DATA,
      .help = "Query step and fine ring step: 60, 60s, 1m, 2h, 1d" },
    { .name = "START_HOURS_AGO", .metavar = "H", .parse = P_INT, .store = S_INT,
      FIELD(start_hours_ago), .lo = 1, .hi = HOURS_MAX, .group = G_DATA,
      .help = "Historical data range in hours" },
    { .name = "HORIZON_MIN", .metavar = "MIN", .parse = P_INT, .store = S_INT, FIELD(horizon_min),
      .lo = 1, .hi = 525600, .group = G_MODEL, .help = "Forecast horizon in minutes" },
    { .name = "LOOKBACK_HRS", .metavar = "H", .parse = P_INT, .store = S_INT, FIELD(lookback_hrs),
      .lo = 1, .hi = HOURS_MAX, .group = G_MODEL,
      .help = "Lookback window for anomaly detection, hours" },
    { .name = "CONTAMINATION", .metavar = "X", .parse = P_DOUBLE, FIELD(contamination),
      .dlo = 0.0, .dhi = 0.5, .group = G_MODEL,
      .help = "Anomaly detection contamination rate, in (0, 0.5]" },
    { .name = "TRAIN_FRACTION", .metavar = "X", .parse = P_DOUBLE, FIELD(train_fraction),
      .dlo = 0.0, .dhi = 1.0, .flags = O_HI_OPEN, .group = G_MODEL,
      .help = "Train/test split ratio, in (0, 1)" },
    { .name = "PLOT_HISTORY_HOURS", .metavar = "H", .parse = P_INT, .store = S_INT,
      FIELD(plot_history_hours), .lo = 1, .hi = HOURS_MAX, .group = G_MODEL,
      .help = "Hours of history in plots (also --plot-history-hours)" },
    { .name = "PLOT_FORECAST_HOURS", .metavar = "H", .parse = P_INT, .store = S_INT,
      FIELD(plot_forecast_hours), .lo = 1, .hi = HOURS_MAX, .group = G_MODEL,
      .help = "Hours of forecast in plots (also --plot-forecast-hours)" },
    { .name = "LSTM_SEQ_LEN", .metavar = "N", .parse = P_INT, .store = S_INT, FIELD(lstm_seq_len),
      .lo = 1, .hi = 10000, .group = G_LSTM, .help = "LSTM sequence length" },
    { .name = "LSTM_EPOCHS", .metavar = "N", .parse = P_INT, .store = S_INT, FIELD(lstm_epochs),
      .lo = 1, .hi = 10000, .group = G_LSTM, .help = "LSTM training epochs" },
    { .name = "MODEL_FILES_DIR", .metavar = "DIR", .parse = P_STR, FIELD(model_files_dir),
      .group = G_FILES, .help = "Directory for model files and snapshots" },
    { .name = "FORECAST_PLOTS_DIR", .metavar = "DIR", .parse = P_STR, FIELD(forecast_plots_dir),
      .group = G_FILES, .help = "Directory for forecast plots" },
    { .name = "DNS_DOMAIN_SUFFIXES", .metavar = "LIST", .parse = P_STR,
      FIELD(dns_domain_suffixes), .flags = O_EMPTY_OK, .group = G_ADVANCED,
      .help = "Comma-separated DNS suffixes stripped from host names" },
    { .name = "INSTANCE_ALIAS_MAP", .metavar = "JSON", .parse = P_JSON_OBJ,
      FIELD(instance_alias_map), .group = G_ADVANCED,
      .help = "JSON object mapping instances to aliases" },
    { .name = "AUTO_ALIAS_ENABLED", .metavar = "BOOL", .parse = P_BOOL, .store = S_INT,
      FIELD(auto_alias_enabled), .group = G_ADVANCED,
      .help = "Automatic alias detection: 0/1, true/false, yes/no, on/off" },
    { .name = "VERBOSE_LEVEL", .metavar = "N", .parse = P_INT, .store = S_INT,
      FIELD(verbose_level), .lo = -1, .hi = 9, .group = G_ADVANCED,
      .help = "Logging verbosity, -1 (quiet) to 9; -v adds 1, -q sets -1" },
    { .name = "METRICS_AI_BEARER_TOKEN", .metavar = "TOKEN", .parse = P_STR,
      FIELD(bearer_token), .flags = O_EMPTY_OK | O_SECRET, .group = G_ENV_SECURITY,
      .help = "Bearer token for write, read, admin (the token file wins)" },
};

static const opt flag_opts[] = {
    /* Seed flags. */
    { .name = "--training", .parse = P_FLAG, FIELD(training), .group = G_SEED,
      .help = "Train all models from scratch" },
    { .name = "--forecast", .parse = P_FLAG, FIELD(forecast), .group = G_SEED,
      .help = "Forecast mode: cached models, minimal updates" },
    { .name = "--interval", .metavar = "N", .parse = P_INT, .store = S_INT, FIELD(interval_s),
      .lo = 0, .hi = DAY_S, .group = G_SEED,
      .help = "Seconds between cycles; 0 = one cycle and exit" },
    { .name = "--show-backtest", .parse = P_FLAG, FIELD(show_backtest), .group = G_SEED,
      .help = "Show backtest metrics and plots without retraining" },
    { .name = "--disk-retrain", .metavar = "LIST", .parse = P_STR, FIELD(disk_retrain),
      .group = G_SEED, .help = "Retrain disk models: all, node or node:/mount, comma-separated" },
    { .name = "--io-net-retrain", .metavar = "LIST", .parse = P_STR, FIELD(io_net_retrain),
      .group = G_SEED, .help = "Retrain I/O+network models: all, node or node:SIGNAL, ..." },
    { .name = "--alert-webhook", .metavar = "URL", .parse = P_WEBHOOK, FIELD(alert_webhooks),
      .group = G_SEED,
      .help = "POST alerts as JSON to URL (repeatable, up to " STR(MAI_CONFIG_MAX_WEBHOOKS) ")" },
    { .name = "--pushgateway", .metavar = "URL", .parse = P_URL, FIELD(pushgateway),
      .group = G_SEED, .help = "Push alert counts to a Prometheus Pushgateway" },
    { .name = "--plot-history-hours", .metavar = "H", .parse = P_INT, .store = S_INT,
      FIELD(plot_history_hours), .lo = 1, .hi = HOURS_MAX, .group = G_SEED,
      .help = "Hours of history in plots" },
    { .name = "--plot-forecast-hours", .metavar = "H", .parse = P_INT, .store = S_INT,
      FIELD(plot_forecast_hours), .lo = 1, .hi = HOURS_MAX, .group = G_SEED,
      .help = "Hours of forecast in plots" },
    { .name = "--dump-csv", .metavar = "DIR", .parse = P_STR, FIELD(dump_csv_dir),
      .group = G_SEED, .help = "Dump each model's training data into DIR" },
    { .name = "--verbose", .short_name = 'v', .parse = P_VERBOSE, .group = G_SEED,
      .help = "More output; repeatable (-vv, -vvv)" },
    { .name = "--quiet", .short_name = 'q', .parse = P_QUIET, .group = G_SEED,
      .help = "Quiet output (verbose level -1; wins over -v)" },
    /* Service flags. */
    { .name = "--listen", .metavar = "HOST:PORT", .parse = P_LISTEN, FIELD(listen_host),
      .group = G_SERVICE, .help = "Listen address: HOST:PORT, :PORT, PORT, [IPv6]:PORT" },
    { .name = "--threads", .metavar = "N", .parse = P_INT, .store = S_UINT, FIELD(threads),
      .lo = 1, .hi = 256, .group = G_SERVICE, .help = "HTTP worker threads, 1 to 256" },
    { .name = "--shards", .metavar = "N", .parse = P_POW2, .store = S_UINT, FIELD(shards),
      .lo = 1, .hi = 4096, .group = G_SERVICE,
      .help = "Series table shards, a power of two up to 4096" },
    { .name = "--max-body-bytes", .metavar = "SIZE", .parse = P_BYTES, .store = S_SIZE,
      FIELD(max_body_bytes), .lo = KIB, .hi = GIB, .group = G_SERVICE,
      .help = "Largest compressed request body" },
    { .name = "--max-decoded-bytes", .metavar = "SIZE", .parse = P_BYTES, .store = S_SIZE,
      FIELD(max_decoded_bytes), .lo = KIB, .hi = GIB, .group = G_SERVICE,
      .help = "Largest request after snappy decoding" },
    { .name = "--max-series", .metavar = "N", .parse = P_INT, .store = S_SIZE, FIELD(max_series),
      .lo = 1, .hi = 100000000, .group = G_SERVICE, .help = "Most active series held" },
    { .name = "--max-labels-per-series", .metavar = "N", .parse = P_INT, .store = S_UINT,
      FIELD(max_labels_per_series), .lo = 1, .hi = 1024, .group = G_SERVICE,
      .help = "Most labels on one series" },
    { .name = "--max-label-bytes", .metavar = "SIZE", .parse = P_BYTES, .store = S_UINT,
      FIELD(max_label_bytes), .lo = 1, .hi = MIB, .group = G_SERVICE,
      .help = "Longest label name or value" },
    { .name = "--max-inflight", .metavar = "N", .parse = P_INT, .store = S_UINT,
      FIELD(max_inflight), .lo = 1, .hi = 65536, .group = G_SERVICE,
      .help = "Requests processed at once; more get 503" },
    { .name = "--request-timeout", .metavar = "N", .parse = P_INT, .store = S_UINT,
      FIELD(request_timeout_s), .lo = 1, .hi = 3600, .group = G_SERVICE,
      .help = "Request headers, then the body, must each arrive within N s" },
    { .name = "--fine-hours", .metavar = "H", .parse = P_INT, .store = S_UINT, FIELD(fine_hours),
      .lo = 1, .hi = 720, .group = G_SERVICE, .help = "Span of the fine ring (step STEP)" },
    { .name = "--coarse-days", .metavar = "D", .parse = P_INT, .store = S_UINT,
      FIELD(coarse_days), .lo = 1, .hi = 3650, .group = G_SERVICE,
      .help = "Span of the coarse ring" },
    { .name = "--coarse-step", .metavar = "SECONDS", .parse = P_STEP, .store = S_UINT,
      FIELD(coarse_step_s), .lo = 1, .hi = DAY_S, .group = G_SERVICE,
      .help = "Coarse ring bucket in seconds (or 1h)" },
    { .name = "--plot-interval", .metavar = "N", .parse = P_INT, .store = S_INT,
      FIELD(plot_interval_s), .lo = 0, .hi = DAY_S, .group = G_SERVICE,
      .help = "Seconds between plot writes into FORECAST_PLOTS_DIR; 0 = no plots" },
    { .name = "--max-models", .metavar = "N", .parse = P_INT, .store = S_SIZE,
      FIELD(max_models), .lo = 0, .hi = 10000000, .group = G_SERVICE,
      .help = "Most series given forecasts (0: none)" },
    { .name = "--horizons", .metavar = "LIST", .parse = P_STR, FIELD(horizons),
      .flags = O_EMPTY_OK, .group = G_SERVICE,
      .help = "Forecast horizons; empty: HORIZON_MIN,1h,24h,7d" },
    { .name = "--lstm-metrics", .metavar = "LIST", .parse = P_STR, FIELD(lstm_metrics),
      .flags = O_EMPTY_OK, .group = G_SERVICE,
      .help = "Series given the LSTM: layer (host/pod), none, or names" },
    { .name = "--signals", .metavar = "FILE", .parse = P_STR, FIELD(signals_files),
      .flags = O_EMPTY_OK, .group = G_SERVICE,
      .help = "Catalogue override files, comma-separated (metrics-ai rules format)" },
    { .name = "--model-allow", .metavar = "RE", .parse = P_STR, FIELD(model_allow),
      .flags = O_EMPTY_OK, .group = G_SERVICE,
      .help = "Outside the catalogue, model only names matching RE (anchored)" },
    { .name = "--model-deny", .metavar = "RE", .parse = P_STR, FIELD(model_deny),
      .flags = O_EMPTY_OK, .group = G_SERVICE,
      .help = "Outside the catalogue, never model names matching RE" },
    { .name = "--anomaly-threshold", .metavar = "X", .parse = P_DOUBLE, FIELD(anomaly_threshold),
      .dlo = 0.0, .dhi = 1.0, .group = G_SERVICE,
      .help = "Anomaly score at which I/O, network and golden signals alert" },
    { .name = "--anomaly-direction", .metavar = "DIR", .parse = P_STR, FIELD(anomaly_direction),
      .group = G_SERVICE, .help = "Deviations scored: both, up or down" },
    { .name = "--anomaly-min-change", .metavar = "X", .parse = P_DOUBLE,
      FIELD(anomaly_min_change), .dlo = 0.0, .dhi = 1e300, .flags = O_LO_CLOSED,
      .group = G_SERVICE, .help = "Deviations smaller than X (series units) score 0" },
    { .name = "--anomaly-persistence", .metavar = "K", .parse = P_INT, .store = S_UINT,
      FIELD(anomaly_persistence), .lo = 1, .hi = 64, .group = G_SERVICE,
      .help = "Points a deviation must last before it scores" },
    { .name = "--backfill-selectors", .metavar = "LIST", .parse = P_STR,
      FIELD(backfill_selectors), .flags = O_EMPTY_OK, .group = G_SERVICE,
      .help = "More selectors to backfill from VM_URL, ';'-separated" },
    { .name = "--snapshot-interval", .metavar = "N", .parse = P_INT, .store = S_INT,
      FIELD(snapshot_interval_s), .lo = 0, .hi = DAY_S, .group = G_SERVICE,
      .help = "Seconds between snapshots to MODEL_FILES_DIR; 0 = at exit only" },
    { .name = "--max-samples-per-request", .metavar = "N", .parse = P_INT, .store = S_UINT,
      FIELD(max_samples_per_request), .lo = 1, .hi = 100000000, .group = G_SERVICE,
      .help = "Most samples in one remote write request; more get 413" },
    { .name = "--debug-ingest-delay-ms", .metavar = "MS", .parse = P_INT, .store = S_UINT,
      FIELD(debug_ingest_delay_ms), .lo = 0, .hi = 60000, .group = G_HIDDEN,
      .help = "Test only: sleep MS in each remote write after decoding" },
    /* Security. */
    { .name = "--auth-bearer-token-file", .metavar = "FILE", .parse = P_STR,
      FIELD(auth_bearer_token_file), .group = G_SECURITY,
      .help = "Bearer token (the file's one line) for write, read, admin" },
    { .name = "--auth-basic-users-file", .metavar = "FILE", .parse = P_STR,
      FIELD(auth_basic_users_file), .group = G_SECURITY,
      .help = "Basic auth: user:password or user:sha256:SALT:HEX lines" },
    { .name = "--auth-metrics", .parse = P_FLAG, FIELD(auth_metrics), .group = G_SECURITY,
      .help = "Credentials also for /metrics, / and /plots/" },
    { .name = "--admin-open", .parse = P_FLAG, FIELD(admin_open), .group = G_SECURITY,
      .help = "Serve admin endpoints without any credentials set" },
    { .name = "--tls-cert", .metavar = "FILE", .parse = P_STR, FIELD(tls_cert),
      .group = G_SECURITY, .help = "Serve HTTPS with this PEM certificate (with --tls-key)" },
    { .name = "--tls-key", .metavar = "FILE", .parse = P_STR, FIELD(tls_key),
      .group = G_SECURITY, .help = "PEM private key of --tls-cert" },
    /* General. */
    { .name = "--help", .short_name = 'h', .parse = P_HELP, .group = G_GENERAL,
      .help = "Print this help and exit" },
    { .name = "--version", .parse = P_VERSION, .group = G_GENERAL,
      .help = "Print the version and exit" },
};

#define N_ENV (sizeof env_opts / sizeof env_opts[0])
#define N_FLAGS (sizeof flag_opts / sizeof flag_opts[0])

/* ---- errors and formatting ---------------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the message into err (when there is room) and returns -MAI_EINVAL. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -MAI_EINVAL;
}

#define QUOTE_SHOWN 64                     /* bytes of a value shown in a message */
#define QUOTE_MAX (QUOTE_SHOWN * 4 + 8)    /* worst case: every byte as \xNN, quotes, "..." */

/* Writes the first n bytes of s as "text" for an error message: quotes and backslashes escaped,
 * control bytes as \xNN (so the message stays on one line), cut after QUOTE_SHOWN bytes. */
static void quote_n(char out[QUOTE_MAX], const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n && s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (i == QUOTE_SHOWN) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

static void quote(char out[QUOTE_MAX], const char *s)
{
    quote_n(out, s, strlen(s));
}

/* 1048576 -> "1M", 4096 -> "4K", 1000 -> "1000". */
static void fmt_bytes(char *buf, size_t n, long long v)
{
    if (v != 0 && v % GIB == 0)
        snprintf(buf, n, "%lldG", v / GIB);
    else if (v != 0 && v % MIB == 0)
        snprintf(buf, n, "%lldM", v / MIB);
    else if (v != 0 && v % KIB == 0)
        snprintf(buf, n, "%lldK", v / KIB);
    else
        snprintf(buf, n, "%lld", v);
}

/* 86400 -> "1d", 7200 -> "2h", 60 -> "1m", 90 -> "90s". */
static void fmt_duration(char *buf, size_t n, long long s)
{
    if (s != 0 && s % DAY_S == 0)
        snprintf(buf, n, "%lldd", s / DAY_S);
    else if (s != 0 && s % 3600 == 0)
        snprintf(buf, n, "%lldh", s / 3600);
    else if (s != 0 && s % 60 == 0)
        snprintf(buf, n, "%lldm", s / 60);
    else
        snprintf(buf, n, "%llds", s);
}

/* What a valid value looks like, for "expected ..." messages. */
static void expected_text(const opt *o, char *buf, size_t n)
{
    char a[32], b[32];
    switch (o->parse) {
    case P_INT:
        snprintf(buf, n, "expected an integer in [%lld, %lld]", o->lo, o->hi);
        break;
    case P_POW2:
        snprintf(buf, n, "expected a power of two in [%lld, %lld]", o->lo, o->hi);
        break;
    case P_BYTES:
        fmt_bytes(a, sizeof a, o->lo);
        fmt_bytes(b, sizeof b, o->hi);
        snprintf(buf, n, "expected a size in bytes in [%s, %s] (suffix k, m or g: powers of 1024)",
                 a, b);
        break;
    case P_STEP:
        fmt_duration(a, sizeof a, o->lo);
        fmt_duration(b, sizeof b, o->hi);
        snprintf(buf, n, "expected a duration in [%s, %s] (N seconds, or N with s, m, h or d)",
                 a, b);
        break;
    case P_DOUBLE:
        if (o->dhi >= 1e300)
            snprintf(buf, n, "expected a number %s %g", (o->flags & O_LO_CLOSED) ? ">=" : ">",
                     o->dlo);
        else
            snprintf(buf, n, "expected a number in %c%g, %g%c",
                 (o->flags & O_LO_CLOSED) ? '[' : '(', o->dlo, o->dhi,
                 (o->flags & O_HI_OPEN) ? ')' : ']');
        break;
    case P_BOOL:
        snprintf(buf, n, "expected 0, 1, true, false, yes, no, on or off");
        break;
    case P_URL:
    case P_WEBHOOK:
        snprintf(buf, n, "expected an http:// or https:// URL of at most %zu bytes",
                 (o->parse == P_WEBHOOK ? (size_t)MAI_CONFIG_PATH_MAX : o->size) - 1);
        break;
    case P_JSON_OBJ:
        snprintf(buf, n, "expected a JSON object such as {}");
        break;
    case P_LISTEN:
        snprintf(buf, n, "expected HOST:PORT, :PORT, PORT or [IPv6]:PORT with port in [1, 65535]");
        break;
    case P_STR:
        snprintf(buf, n, "expected a value of at most %zu bytes", o->size - 1);
        break;
    default:
        snprintf(buf, n, "expected no value");
        break;
    }
}

/* "NAME=\"value\": why" (environment) or "--flag=\"value\": why" (flags). */
static int fail_value(char *err, size_t errlen, const opt *o, const char *val, const char *why)
{
    char q[QUOTE_MAX];
    if (o->flags & O_SECRET)
        return fail(err, errlen, "%s (value not shown): %s", o->name, why);
    quote(q, val);
    return fail(err, errlen, "%s=%s: %s", o->name, q, why);
}

static int fail_expected(char *err, size_t errlen, const opt *o, const char *val)
{
    char why[160];
    expected_text(o, why, sizeof why);
    return fail_value(err, errlen, o, val, why);
}

/* ---- parsers: 0 on success, -1 on a malformed or out-of-range value ------------------------- */

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Whole string, base 10, optional leading '-', no blanks, no '+'. */
static int parse_ll(const char *s, long long *out)
{
    char *end;
    long long v;
    if (!is_digit(s[0]) && !(s[0] == '-' && is_digit(s[1])))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* A non-negative integer followed by at most one suffix character (0 when none). */
static int parse_suffixed(const char *s, long long *num, char *suffix)
{
    char *end;
    long long v;
    if (!is_digit(s[0]))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE)
        return -1;
    if (end[0] != '\0' && end[1] != '\0')
        return -1;
    *num = v;
    *suffix = end[0];
    return 0;
}

/* v * mult within [lo, hi], without overflow. */
static int scale_in_range(long long v, long long mult, long long lo, long long hi, long long *out)
{
    if (v > hi / mult)
        return -1;
    v *= mult;
    if (v < lo)
        return -1;
    *out = v;
    return 0;
}

static int parse_bytes(const char *s, long long lo, long long hi, long long *out)
{
    long long v, mult;
    char suf;
    if (parse_suffixed(s, &v, &suf) != 0)
        return -1;
    switch (suf) {
    case '\0': mult = 1; break;
    case 'k': case 'K': mult = KIB; break;
    case 'm': case 'M': mult = MIB; break;
    case 'g': case 'G': mult = GIB; break;
    default: return -1;
    }
    return scale_in_range(v, mult, lo, hi, out);
}

static int parse_step(const char *s, long long lo, long long hi, long long *out)
{
    long long v, mult;
    char suf;
    if (parse_suffixed(s, &v, &suf) != 0)
        return -1;
    switch (suf) {
    case '\0': case 's': mult = 1; break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = DAY_S; break;
    default: return -1;
    }
    return scale_in_range(v, mult, lo, hi, out);
}

/* Plain decimal notation only: no blanks, hex, inf or nan. */
static int parse_double(const char *s, double *out)
{
    char *end;
    double v;
    if (!is_digit(s[0]) && s[0] != '.' && s[0] != '-')
        return -1;
    for (const char *p = s; *p; p++)
        if (!is_digit(*p) && !strchr(".eE+-", *p))
            return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno == ERANGE || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int is_url(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

static int all_chars_in(const char *s, size_t n, const char *allowed)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit((char)ch) ||
              (ch != '\0' && strchr(allowed, ch))))
            return 0;
    }
    return 1;
}

/* Splits a listen address. Returns NULL, or the reason it is not valid. */
static const char *parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *h, *p, *colon;
    size_t hn;
    long long v;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close)
            return "missing ] after an IPv6 address";
        if (close[1] != ':')
            return "expected [IPv6]:PORT";
        h = s + 1;
        hn = (size_t)(close - h);
        p = close + 2;
        if (hn == 0 || !memchr(h, ':', hn) || !all_chars_in(h, hn, ":.%_-"))
            return "expected an IPv6 address between [ and ]";
    } else {
        colon = strrchr(s, ':');
        if (!colon) {
            if (s[0] == '\0' || !all_chars_in(s, strlen(s), ""))
                return "expected HOST:PORT, :PORT, PORT or [IPv6]:PORT";
            h = s;
            hn = 0;
            p = s;
        } else {
            if (strchr(s, ':') != colon)
                return "an IPv6 address needs brackets, e.g. [::1]:9201";
            h = s;
            hn = (size_t)(colon - s);
            p = colon + 1;
            if (!all_chars_in(h, hn, ".-_"))
                return "host may hold only letters, digits, '.', '-' and '_'";
        }
    }
    if (parse_ll(p, &v) != 0 || v < 1 || v > 65535)
        return "port must be an integer in [1, 65535]";
    if (hn >= hostlen)
        return "host is too long";
    memcpy(host, h, hn);
    host[hn] = '\0';
    *port = (uint16_t)v;
    return NULL;
}

/* ---- storing -------------------------------------------------------------------------------- */

static void *field_ptr(mai_config *c, const opt *o)
{
    return (char *)c + o->off;
}

static void store_integer(mai_config *c, const opt *o, long long v)
{
    void *p = field_ptr(c, o);
    switch (o->store) {
    case S_INT: *(int *)p = (int)v; break;
    case S_UINT: *(unsigned *)p = (unsigned)v; break;
    case S_SIZE: *(size_t *)p = (size_t)v; break;
    case S_I64: *(int64_t *)p = (int64_t)v; break;
    case S_NONE: break;
    }
}

static long long load_integer(const mai_config *c, const opt *o)
{
    const void *p = (const char *)c + o->off;
    switch (o->store) {
    case S_INT: return *(const int *)p;
    case S_UINT: return *(const unsigned *)p;
    case S_SIZE: return (long long)*(const size_t *)p;
    case S_I64: return (long long)*(const int64_t *)p;
    case S_NONE: break;
    }
    return 0;
}

/* Copies a string value into a char[size] field after its checks. */
static int store_string(char *dst, size_t size, const opt *o, const char *val, char *err,
                        size_t errlen)
{
    size_t n = strlen(val);
    char why[96];

    if (n == 0 && !(o->flags & O_EMPTY_OK))
        return fail_value(err, errlen, o, val, "must not be empty");
    if (n > 0 && (o->parse == P_URL || o->parse == P_WEBHOOK) && !is_url(val))
        return fail_expected(err, errlen, o, val);
    if (o->parse == P_JSON_OBJ && val[strspn(val, " \t\r\n")] != '{')
        return fail_expected(err, errlen, o, val);
    if (n >= size) {
        snprintf(why, sizeof why, "too long (%zu bytes, at most %zu)", n, size - 1);
        return fail_value(err, errlen, o, val, why);
    }
    memcpy(dst, val, n + 1);
    return 0;
}

/* Parses val for o and stores it into c. quiet is set by -q. */
static int apply(mai_config *c, const opt *o, const char *val, int *quiet, char *err,
                 size_t errlen)
{
    long long v = 0;
    double d;
    int b;

    switch (o->parse) {
    case P_FLAG:
        *(int *)field_ptr(c, o) = 1;
        return 0;
    case P_VERBOSE:
        c->verbose_level++;
        return 0;
    case P_QUIET:
        *quiet = 1;
        return 0;
    case P_HELP:
        c->command = MAI_CMD_HELP;
        return 0;
    case P_VERSION:
        c->command = MAI_CMD_VERSION;
        return 0;
    case P_INT:
    case P_POW2:
        if (parse_ll(val, &v) != 0 || v < o->lo || v > o->hi ||
            (o->parse == P_POW2 && (v & (v - 1)) != 0))
            return fail_expected(err, errlen, o, val);
        store_integer(c, o, v);
        return 0;
    case P_BYTES:
        if (parse_bytes(val, o->lo, o->hi, &v) != 0)
            return fail_expected(err, errlen, o, val);
        store_integer(c, o, v);
        return 0;
    case P_STEP:
        if (parse_step(val, o->lo, o->hi, &v) != 0)
            return fail_expected(err, errlen, o, val);
        store_integer(c, o, v);
        return 0;
    case P_DOUBLE:
        if (parse_double(val, &d) != 0 ||
            ((o->flags & O_LO_CLOSED) ? !(d >= o->dlo) : !(d > o->dlo)) ||
            ((o->flags & O_HI_OPEN) ? !(d < o->dhi) : !(d <= o->dhi)))
            return fail_expected(err, errlen, o, val);
        *(double *)field_ptr(c, o) = d;
        return 0;
    case P_BOOL:
        if (parse_bool(val, &b) != 0)
            return fail_expected(err, errlen, o, val);
        *(int *)field_ptr(c, o) = b;
        return 0;
    case P_STR:
    case P_URL:
    case P_JSON_OBJ:
        return store_string(field_ptr(c, o), o->size, o, val, err, errlen);
    case P_WEBHOOK: {
        char why[64];
        int rc;
        if (c->n_alert_webhooks >= MAI_CONFIG_MAX_WEBHOOKS) {
            snprintf(why, sizeof why, "at most %d webhooks allowed", MAI_CONFIG_MAX_WEBHOOKS);
            return fail_value(err, errlen, o, val, why);
        }
        rc = store_string(c->alert_webhooks[c->n_alert_webhooks],
                          sizeof c->alert_webhooks[0], o, val, err, errlen);
        if (rc == 0)
            c->n_alert_webhooks++;
        return rc;
    }
    case P_LISTEN: {
        char host[sizeof c->listen_host] = "";  /* zeros past the name: copied whole below */
        uint16_t port;
        const char *why = parse_listen(val, host, sizeof host, &port);
        if (why)
            return fail_value(err, errlen, o, val, why);
        memcpy(c->listen_host, host, sizeof host);
        c->listen_port = port;
        return 0;
    }
    }
    return fail(err, errlen, "%s: internal error: unknown option kind", o->name);
}

/* ---- sources -------------------------------------------------------------------------------- */

static const char *system_getenv(const char *name)
{
    return getenv(name);
}

static int load_env(mai_config *c, config_getenv_fn get, char *err, size_t errlen)
{
    int quiet = 0;
    for (size_t i = 0; i < N_ENV; i++) {
        const char *val = get(env_opts[i].name);
        if (val) {
            int rc = apply(c, &env_opts[i], val, &quiet, err, errlen);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static const opt *find_long(const char *arg, size_t len)
{
    for (size_t i = 0; i < N_FLAGS; i++)
        if (strlen(flag_opts[i].name) == len && memcmp(flag_opts[i].name, arg, len) == 0)
            return &flag_opts[i];
    return NULL;
}

static const opt *find_short(char ch)
{
    for (size_t i = 0; i < N_FLAGS; i++)
        if (flag_opts[i].short_name == ch)
            return &flag_opts[i];
    return NULL;
}

/* A separated value is taken unless it is missing or looks like the next long flag. */
static int next_is_value(int argc, char **argv, int i)
{
    return i + 1 < argc && argv[i + 1] && strncmp(argv[i + 1], "--", 2) != 0;
}

/* --help and --version win over everything else, including bad environment values, so that help
 * is always reachable. Walks argv the way parse_args does, skipping flag values. */
static mai_command scan_for_info(int argc, char **argv)
{
    for (int i = 1; i < argc && argv[i]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strcmp(a, "--help") == 0)
            return MAI_CMD_HELP;
        if (strcmp(a, "--version") == 0)
            return MAI_CMD_VERSION;
        if (a[0] == '-' && a[1] != '-' && a[1] != '\0') {
            int all_known = 1, has_h = 0;
            for (const char *p = a + 1; *p; p++) {
                all_known &= find_short(*p) != NULL;
                has_h |= *p == 'h';
            }
            if (all_known && has_h)
                return MAI_CMD_HELP;
        } else if (a[0] == '-' && a[1] == '-' && !strchr(a, '=')) {
            const opt *o = find_long(a, strlen(a));
            if (o && o->metavar && next_is_value(argc, argv, i))
                i++;
        }
    }
    return MAI_CMD_SERVE;
}

static int parse_short_cluster(mai_config *c, const char *a, int *quiet, char *err,
                               size_t errlen)
{
    char q[QUOTE_MAX];
    for (const char *p = a + 1; *p; p++) {
        const opt *o = find_short(*p);
        if (!o) {
            char flag[3] = { '-', *p, '\0' };
            char qf[QUOTE_MAX];
            quote(qf, flag);
            if (a[2] == '\0')
                return fail(err, errlen, "unknown flag %s", qf);
            quote(q, a);
            return fail(err, errlen, "unknown flag %s in %s", qf, q);
        }
        apply(c, o, NULL, quiet, err, errlen);
    }
    return 0;
}

static int parse_args(mai_config *c, int argc, char **argv, char *err, size_t errlen)
{
    int quiet = 0, flags_done = 0;
    char q[QUOTE_MAX], why[160];

    for (int i = 1; i < argc && argv[i]; i++) {
        const char *a = argv[i], *eq, *val = NULL;
        const opt *o;
        size_t len;
        int rc;

        if (flags_done || a[0] != '-' || a[1] == '\0') {
            quote(q, a);
            return fail(err, errlen, "unexpected argument %s: only flags are taken",
                        q);
        }
        if (strcmp(a, "--") == 0) {
            flags_done = 1;
            continue;
        }
        if (a[1] != '-') {
            rc = parse_short_cluster(c, a, &quiet, err, errlen);
            if (rc != 0)
                return rc;
            continue;
        }
        eq = strchr(a, '=');
        len = eq ? (size_t)(eq - a) : strlen(a);
        o = find_long(a, len);
        if (!o) {
            quote_n(q, a, len);
            return fail(err, errlen, "unknown flag %s", q);
        }
        if (o->metavar) {
            if (eq) {
                val = eq + 1;
            } else if (next_is_value(argc, argv, i)) {
                val = argv[++i];
            } else {
                expected_text(o, why, sizeof why);
                return fail(err, errlen, "%s: missing value %s (%s)", o->name, o->metavar, why);
            }
        } else if (eq) {
            quote(q, a);
            return fail(err, errlen, "%s takes no value (got %s)", o->name, q);
        }
        rc = apply(c, o, val, &quiet, err, errlen);
        if (rc != 0)
            return rc;
    }
    if (quiet)
        c->verbose_level = -1;
    return 0;
}

/* Checks between fields: the fine ring must hold at least one STEP bucket. Whether the coarse step
 * must be a multiple of STEP is left to the ring code (STEP=2h alone is a valid seed setting). */
/* "15m", "1h", "24h", "7d", "90s", "3600" -> seconds; -1 when malformed. */
static double parse_horizon(const char *s, size_t n)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (end == buf || !(v > 0))
        return -1;
    double mul = 1;
    switch (*end) {
    case '\0': break;
    case 's': mul = 1; end++; break;
    case 'm': mul = 60; end++; break;
    case 'h': mul = 3600; end++; break;
    case 'd': mul = 86400; end++; break;
    case 'w': mul = 7 * 86400; end++; break;
    default: return -1;
    }
    return *end == '\0' ? v * mul : -1;
}

int config_horizons(const mai_config *c, double out[MAI_CONFIG_MAX_HORIZONS], char *err,
                    size_t errlen)
{
    int n = 0;
    if (c->horizons[0] == '\0') {
        double h0 = (double)c->horizon_min * 60;
        const double rest[] = {3600, 86400, 7 * 86400};
        out[n++] = h0;
        for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
            if (rest[i] > h0 && n < MAI_CONFIG_MAX_HORIZONS)
                out[n++] = rest[i];
        return n;
    }
    const char *p = c->horizons;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        double h = parse_horizon(p, len);
        if (h <= 0 || n == MAI_CONFIG_MAX_HORIZONS || (n > 0 && h <= out[n - 1]))
            return fail(err, errlen, "--horizons=\"%s\": expected up to %d ascending durations "
                        "like 15m,1h,24h,7d", c->horizons, MAI_CONFIG_MAX_HORIZONS);
        out[n++] = h;
        p = comma ? comma + 1 : p + len;
    }
    if (n == 0)
        return fail(err, errlen, "--horizons is empty");
    return n;
}

int config_name_regex(const char *what, const char *re, regex_t *out, char *err, size_t errlen)
{
    size_t n = strlen(re) + 5;
    char *anchored = malloc(n);
    if (!anchored)
        return fail(err, errlen, "%s: out of memory", what);
    snprintf(anchored, n, "^(%s)$", re);
    int rc = regcomp(out, anchored, REG_EXTENDED | REG_NOSUB);
    free(anchored);
    if (rc != 0) {
        char why[128];
        regerror(rc, out, why, sizeof why);
        return fail(err, errlen, "%s=\"%s\": %s", what, re, why);
    }
    return 0;
}

static int check_combined(const mai_config *c, char *err, size_t errlen)
{
    const char *res[2][2] = {{"--model-allow", c->model_allow}, {"--model-deny", c->model_deny}};
    for (int i = 0; i < 2; i++) {
        regex_t rx;
        if (res[i][1][0] && config_name_regex(res[i][0], res[i][1], &rx, err, errlen) != 0)
            return -MAI_EINVAL;
        if (res[i][1][0])
            regfree(&rx);
    }
    double h[MAI_CONFIG_MAX_HORIZONS];
    int nh = config_horizons(c, h, err, errlen);
    if (nh < 0)
        return nh;
    long long step = (long long)c->step_s;
    if ((long long)c->fine_hours * 3600 < step)
        return fail(err, errlen,
                    "--fine-hours=\"%u\" with STEP=\"%llds\": the fine ring must span at least "
                    "one STEP", c->fine_hours, step);
    if (strcmp(c->anomaly_direction, "both") != 0 && strcmp(c->anomaly_direction, "up") != 0 &&
        strcmp(c->anomaly_direction, "down") != 0)
        return fail(err, errlen, "--anomaly-direction=\"%s\": expected both, up or down",
                    c->anomaly_direction);
    if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0'))
        return fail(err, errlen, "%s given without %s: HTTPS needs both",
                    c->tls_cert[0] ? "--tls-cert" : "--tls-key",
                    c->tls_cert[0] ? "--tls-key" : "--tls-cert");
    return 0;
}

/* ---- API ------------------------------------------------------------------------------------ */

void config_defaults(mai_config *c)
{
    static const char vm_url[] = "http://vm.london.local/api/v1/query_range";
    static const char model_dir[] = "./model_files";
    static const char plots_dir[] = "./forecast_plots";
    static const char suffixes[] = ".london.local,.local";

    memset(c, 0, sizeof *c);
    c->command = MAI_CMD_SERVE;

    memcpy(c->vm_url, vm_url, sizeof vm_url);
    c->step_s = 60;
    c->start_hours_ago = 360;
    c->horizon_min = 15;
    c->lookback_hrs = 24;
    c->contamination = 0.12;
    c->train_fraction = 0.8;
    c->plot_history_hours = 168;
    c->plot_forecast_hours = 168;
    c->lstm_seq_len = 60;
    c->lstm_epochs = 10;
    memcpy(c->model_files_dir, model_dir, sizeof model_dir);
    memcpy(c->forecast_plots_dir, plots_dir, sizeof plots_dir);
    memcpy(c->dns_domain_suffixes, suffixes, sizeof suffixes);
    memcpy(c->instance_alias_map, "{}", 3);
    c->auto_alias_enabled = 1;
    c->verbose_level = 0;

    c->interval_s = 15;
    c->plot_interval_s = 300;

    c->listen_host[0] = '\0';
    c->listen_port = 9201;
    c->threads = 2;
    c->shards = 64;
    c->max_body_bytes = 32 * (size_t)MIB;
    c->max_decoded_bytes = 128 * (size_t)MIB;
    c->max_series = 2000000;
    c->max_labels_per_series = 64;
    c->max_label_bytes = 4096;
    c->max_inflight = 64;
    c->request_timeout_s = 60;
    c->fine_hours = 24;
    c->coarse_days = 35;
    c->coarse_step_s = 3600;
    c->max_models = 10000;
    c->snapshot_interval_s = 300;
    memcpy(c->lstm_metrics, "layer", sizeof "layer");
    c->anomaly_threshold = 0.75;
    memcpy(c->anomaly_direction, "both", sizeof "both");
    c->anomaly_persistence = 1;
    c->max_samples_per_request = 1000000;
}

int config_load(mai_config *c, int argc, char **argv, config_getenv_fn getenv_fn,
                char *err, size_t errlen)
{
    mai_command cmd;
    int rc;

    if (err && errlen > 0)
        err[0] = '\0';
    if (!c)
        return fail(err, errlen, "config_load: no config to fill");
    config_defaults(c);
    if (!argv)
        argc = 0;

    cmd = scan_for_info(argc, argv);
    if (cmd != MAI_CMD_SERVE) {
        c->command = cmd;
        return 0;
    }
    rc = load_env(c, getenv_fn ? getenv_fn : system_getenv, err, errlen);
    if (rc == 0)
        rc = parse_args(c, argc, argv, err, errlen);
    if (rc == 0)
        rc = check_combined(c, err, errlen);
    return rc;
}

/* ---- help ----------------------------------------------------------------------------------- */

/* The default of o as help shows it, from d; returns 0 when there is none worth showing. */
static int default_text(const mai_config *d, const opt *o, char *buf, size_t n)
{
    const char *s;
    switch (o->parse) {
    case P_INT:
    case P_POW2:
    case P_BOOL:
        snprintf(buf, n, "%lld", load_integer(d, o));
        return 1;
    case P_BYTES:
        fmt_bytes(buf, n, load_integer(d, o));
        return 1;
    case P_STEP: /* STEP shows "60s" as the seed's README does; --coarse-step takes SECONDS */
        snprintf(buf, n, o->name[0] == '-' ? "%lld" : "%llds", load_integer(d, o));
        return 1;
    case P_DOUBLE:
        snprintf(buf, n, "%g", *(const double *)((const char *)d + o->off));
        return 1;
    case P_STR:
    case P_URL:
    case P_JSON_OBJ:
        s = (const char *)d + o->off;
        snprintf(buf, n, "%s", s);
        return s[0] != '\0';
    case P_LISTEN:
        if (strchr(d->listen_host, ':'))
            snprintf(buf, n, "[%s]:%u", d->listen_host, (unsigned)d->listen_port);
        else
            snprintf(buf, n, "%s:%u", d->listen_host, (unsigned)d->listen_port);
        return 1;
    default:
        return 0;
    }
}

#define HELP_COL 32   /* where descriptions start */
#define HELP_WIDTH 100 /* a default that would pass this column goes on its own line */

static void print_opt(FILE *out, const mai_config *d, const opt *o, int is_env)
{
    char left[64], def[MAI_CONFIG_PATH_MAX];
    int used;

    if (is_env)
        snprintf(left, sizeof left, "  %s", o->name);
    else if (o->short_name)
        snprintf(left, sizeof left, "  -%c, %s", o->short_name, o->name);
    else
        snprintf(left, sizeof left, "      %s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
    used = fprintf(out, "%-*s %s", HELP_COL - 1, left, o->help);
    if (default_text(d, o, def, sizeof def)) {
        if (used + (int)strlen(def) + (int)sizeof " (default: )" - 1 > HELP_WIDTH)
            fprintf(out, "\n%*s(default: %s)", HELP_COL, "", def);
        else
            fprintf(out, " (default: %s)", def);
    }
    fputc('\n', out);
}

static void print_group(FILE *out, const mai_config *d, const opt *tab, size_t n, int group,
                        const char *title)
{
    int is_env = tab == env_opts;
    fprintf(out, "\n%s\n", title);
    for (size_t i = 0; i < n; i++)
        if (tab[i].group == group)
            print_opt(out, d, &tab[i], is_env);
}

void config_print_help(FILE *out, const char *prog)
{
    mai_config d;
    const char *name = "metrics-ai";

    if (!out)
        out = stdout;
    if (prog && prog[0]) {
        const char *slash = strrchr(prog, '/');
        name = slash && slash[1] ? slash + 1 : prog;
    }
    config_defaults(&d);

    fprintf(out, "Usage: %s [flags]\n", name);
    fprintf(out, "Prometheus remote_write receiver that forecasts and scores every series.\n");
    print_group(out, &d, flag_opts, N_FLAGS, G_SEED, "Seed flags:");
    print_group(out, &d, flag_opts, N_FLAGS, G_SERVICE, "Service flags:");
    print_group(out, &d, flag_opts, N_FLAGS, G_SECURITY, "Security flags:");
    print_group(out, &d, flag_opts, N_FLAGS, G_GENERAL, "General:");
    fprintf(out, "\nFlags take \"--flag value\" or \"--flag=value\". SIZE takes a k, m or g suffix "
                 "(powers of 1024).\n");
    fprintf(out, "\nEnvironment variables (flags win over them):\n");
    print_group(out, &d, env_opts, N_ENV, G_DATA, " Data source:");
    print_group(out, &d, env_opts, N_ENV, G_MODEL, " Model configuration:");
    print_group(out, &d, env_opts, N_ENV, G_LSTM, " LSTM configuration:");
    print_group(out, &d, env_opts, N_ENV, G_FILES, " File paths:");
    print_group(out, &d, env_opts, N_ENV, G_ADVANCED, " Advanced:");
    print_group(out, &d, env_opts, N_ENV, G_ENV_SECURITY, " Security:");
}
