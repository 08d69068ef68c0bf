/* SPDX-License-Identifier: Apache-2.0
 * adapter/predict.c -- `metrics-ai predict` (see predict.h):
 *   metrics-ai predict --input SERIES.csv [--input ...] --output FORECASTS.csv [--step S]
 *       [--horizon 15m,1h,24h] [--origins ORIGINS.csv | --train-fraction F --origins-count K]
 *       [--max-history N] [--refit-every K] [--timing TIMING.csv]
 * Output rows: series,origin_ts,target_ts,yhat,yhat_lower,yhat_upper (80% interval). With an
 * origins file that lists target_ts, exactly one row per (origin_ts, target_ts) pair; otherwise
 * every step up to the longest horizon. The ensemble is fitted on the newest --max-history points
 * at the first origin and every --refit-every origins; between them, points are streamed through
 * the online update, as the service does between refits. */
#include "adapter/predict.h"

#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/csv_series.h"
#include "adapter/cycle.h"
#include "models/backtest.h"
#include "models/base.h"
#include "models/ensemble.h"
#include "models/season.h"

#define MAX_INPUTS 256

typedef struct origin_row {
    char series[128];
    double origin_ts, target_ts;    /* target_ts NaN when the file has none */
} origin_row;

typedef struct predict_opts {
    const char *inputs[MAX_INPUTS];
    int ninputs;
    const char *output;
    const char *timing;
    const char *origins;
    double step;
    double horizon_s[ENS_MAX_HORIZONS];
    uint32_t nh;
    double train_fraction;
    uint32_t origins_count;
    uint32_t max_history;
    uint32_t refit_every;
    int lstm;                       /* --lstm: add the LSTM member */
    uint32_t lstm_seq_len, lstm_epochs;
    origin_row *rows;
    size_t nrows;
} predict_opts;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: metrics-ai predict --input SERIES.csv [--input ...] --output FORECASTS.csv\n"
            "         [--step S] [--horizon 15m,1h,24h]\n"
            "         [--origins ORIGINS.csv | --train-fraction F --origins-count K]\n"
            "         [--max-history N] [--refit-every K] [--timing TIMING.csv] [--lstm]\n"
            "Input: timestamp,value (unix seconds or RFC 3339; header optional).\n"
            "Output: series,origin_ts,target_ts,yhat,yhat_lower,yhat_upper (80%% interval).\n"
            "  --step S            grid step in seconds or with a unit (300, 5m); default: "
            "inferred\n"
            "  --horizon LIST      horizons, default 15m,1h,24h (at most %d)\n"
            "  --origins FILE      CSV with series,origin_ts[,target_ts] columns\n"
            "  --train-fraction F  without --origins: origins over the last 1-F of the data "
            "(default TRAIN_FRACTION or 0.8)\n"
            "  --origins-count K   without --origins: how many origins (default 20)\n"
            "  --max-history N     points a fit looks at (default 2016)\n"
            "  --refit-every K     full refit every K origins, online updates between "
            "(default 5)\n"
            "  --timing FILE       CPU seconds per series (series,cpu_s)\n"
            "  --lstm              add the LSTM member (LSTM_SEQ_LEN, LSTM_EPOCHS; slow)\n",
            ENS_MAX_HORIZONS);
}

/* "300", "300s", "5m", "1h", "1d" -> seconds; -1 when malformed. */
static double parse_duration(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v > 0))
        return -1;
    double mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    return *end == '\0' ? v * mul : -1;
}

/* Splits a CSV line in place (no quoting in the files this reads). */
static int split(char *line, char **cols, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, ",\r\n", &save); tok && n < max;
         tok = strtok_r(NULL, ",\r\n", &save))
        cols[n++] = tok;
    return n;
}

static int read_origins(predict_opts *o)
{
    FILE *f = fopen(o->origins, "r");
    if (!f) {
        fprintf(stderr, "metrics-ai predict: %s: cannot open\n", o->origins);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, rcap = 0;
    int c_series = -1, c_origin = -1, c_target = -1, rc = 0;
    unsigned lineno = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *cols[32];
        int n = split(line, cols, 32);
        if (n == 0)
            continue;
        if (c_series < 0) {     /* the header */
            for (int i = 0; i < n; i++) {
                if (strcmp(cols[i], "series") == 0)
                    c_series = i;
                else if (strcmp(cols[i], "origin_ts") == 0)
                    c_origin = i;
                else if (strcmp(cols[i], "target_ts") == 0)
                    c_target = i;
            }
            if (c_series < 0 || c_origin < 0) {
                fprintf(stderr, "metrics-ai predict: %s:1: header needs series and origin_ts "
                        "columns\n", o->origins);
                rc = -1;
                break;
            }
            continue;
        }
        if (n <= c_series || n <= c_origin || (c_target >= 0 && n <= c_target)) {
            fprintf(stderr, "metrics-ai predict: %s:%u: too few columns\n", o->origins, lineno);
            rc = -1;
            break;
        }
        if (o->nrows == rcap) {
            rcap = rcap ? rcap * 2 : 1024;
            origin_row *r = realloc(o->rows, rcap * sizeof *r);
            if (!r) {
                rc = -1;
                break;
            }
            o->rows = r;
        }
        origin_row *r = &o->rows[o->nrows];
        snprintf(r->series, sizeof r->series, "%s", cols[c_series]);
        char *end;
        r->origin_ts = strtod(cols[c_origin], &end);
        int bad = *end != '\0';
        r->target_ts = NAN;
        if (c_target >= 0) {
            r->target_ts = strtod(cols[c_target], &end);
            bad |= *end != '\0';
        }
        if (bad) {
            fprintf(stderr, "metrics-ai predict: %s:%u: origin_ts/target_ts not a number\n",
                    o->origins, lineno);
            rc = -1;
            break;
        }
        o->nrows++;
    }
    free(line);
    fclose(f);
    return rc;
}

static int parse_args(int argc, char **argv, predict_opts *o, int need_output)
{
    memset(o, 0, sizeof *o);
    const char *tf = getenv("TRAIN_FRACTION");
    o->train_fraction = tf ? atof(tf) : 0.8;
    o->origins_count = 20;
    o->max_history = 2016;
    o->refit_every = 5;
    const char *seq = getenv("LSTM_SEQ_LEN"), *epochs = getenv("LSTM_EPOCHS");
    o->lstm_seq_len = seq && atoi(seq) > 0 ? (uint32_t)atoi(seq) : 60;
    o->lstm_epochs = epochs && atoi(epochs) >= 0 ? (uint32_t)atoi(epochs) : 10;
    const char *horizons = "15m,1h,24h";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        }
#define NEED() do { if (!v) { fprintf(stderr, "metrics-ai predict: %s needs a value\n", a); \
                                return -1; } i++; } while (0)
        if (strcmp(a, "--input") == 0) {
            NEED();
            if (o->ninputs == MAX_INPUTS) {
                fprintf(stderr, "metrics-ai predict: at most %d --input files\n", MAX_INPUTS);
                return -1;
            }
            o->inputs[o->ninputs++] = v;
        } else if (strcmp(a, "--output") == 0) {
            NEED();
            o->output = v;
        } else if (strcmp(a, "--timing") == 0) {
            NEED();
            o->timing = v;
        } else if (strcmp(a, "--origins") == 0) {
            NEED();
            o->origins = v;
        } else if (strcmp(a, "--step") == 0) {
            NEED();
            if ((o->step = parse_duration(v)) <= 0) {
                fprintf(stderr, "metrics-ai predict: --step \"%s\": expected seconds or 5m, 1h\n",
                        v);
                return -1;
            }
        } else if (strcmp(a, "--horizon") == 0) {
            NEED();
            horizons = v;
        } else if (strcmp(a, "--train-fraction") == 0) {
            NEED();
            o->train_fraction = atof(v);
        } else if (strcmp(a, "--origins-count") == 0) {
            NEED();
            o->origins_count = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(a, "--max-history") == 0) {
            NEED();
            o->max_history = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(a, "--lstm") == 0) {
            o->lstm = 1;
        } else if (strcmp(a, "--refit-every") == 0) {
            NEED();
            o->refit_every = (uint32_t)strtoul(v, NULL, 10);
        } else {
            fprintf(stderr, "metrics-ai predict: unknown argument \"%s\" (see predict --help)\n",
                    a);
            return -1;
        }
#undef NEED
    }
    if (o->ninputs == 0 || (need_output && !o->output)) {
        fprintf(stderr, "metrics-ai %s: --input%s required (see --help)\n", argv[0],
                need_output ? " and --output are" : " is");
        return -1;
    }
    if (!(o->train_fraction > 0 && o->train_fraction < 1) || o->origins_count == 0 ||
        o->max_history < 16 || o->refit_every == 0) {
        fprintf(stderr, "metrics-ai predict: --train-fraction must be in (0,1), --origins-count "
                "and --refit-every >= 1, --max-history >= 16\n");
        return -1;
    }
    char hbuf[256];
    snprintf(hbuf, sizeof hbuf, "%s", horizons);
    char *save = NULL;
    for (char *tok = strtok_r(hbuf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double s = parse_duration(tok);
        if (s <= 0 || o->nh == ENS_MAX_HORIZONS ||
            (o->nh > 0 && s <= o->horizon_s[o->nh - 1])) {
            fprintf(stderr, "metrics-ai predict: --horizon \"%s\": expected up to %d ascending "
                    "durations like 15m,1h,24h\n", horizons, ENS_MAX_HORIZONS);
            return -1;
        }
        o->horizon_s[o->nh++] = s;
    }
    if (o->nh == 0) {       /* "" or ",": no horizon at all, nothing to forecast */
        fprintf(stderr, "metrics-ai predict: --horizon \"%s\": expected up to %d ascending "
                "durations like 15m,1h,24h\n", horizons, ENS_MAX_HORIZONS);
        return -1;
    }
    if (o->origins && read_origins(o) != 0)
        return -1;
    return 0;
}

/* The series name of an input file: its base name without ".csv". */
static void series_name(const char *path, char *out, size_t cap)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(out, cap, "%s", basename(tmp));
    size_t n = strlen(out);
    if (n > 4 && strcmp(out + n - 4, ".csv") == 0)
        out[n - 4] = '\0';
}

static void print_ts(FILE *f, double t)
{
    if (t == floor(t) && fabs(t) < 1e15)
        fprintf(f, "%lld", (long long)t);
    else
        fprintf(f, "%.17g", t);
}

static void print_row(FILE *out, const char *name, double origin, double target, double mean,
                      double lo, double hi)
{
    fprintf(out, "%s,", name);
    print_ts(out, origin);
    fputc(',', out);
    print_ts(out, target);
    fprintf(out, ",%.10g,%.10g,%.10g\n", mean, lo, hi);
}

/* One input file: grid, origins, fits, forecasts, rows. Returns 0 or -1 (message printed). */
/* Reads path onto a grid with the given or inferred step. Returns 0 or -1 (message printed). */
static int load_grid(const predict_opts *o, const char *path, csv_grid *g)
{
    char err[512];
    csv_series cs;
    if (csv_series_read(path, &cs, stderr, err, sizeof err) != 0) {
        fprintf(stderr, "metrics-ai: %s\n", err);
        return -1;
    }
    double step = o->step > 0 ? o->step : csv_series_infer_step(&cs);
    if (!(step > 0)) {
        fprintf(stderr, "metrics-ai: %s: fewer than two distinct timestamps; give --step\n",
                path);
        csv_series_free(&cs);
        return -1;
    }
    int rc = csv_grid_build(&cs, step, path, stderr, g);
    csv_series_free(&cs);
    if (rc == -MAI_ETOOBIG) {
        fprintf(stderr, "metrics-ai: %s: the time span needs more than %d steps of %gs; give a "
                "larger --step\n", path, CSV_GRID_MAX_POINTS, step);
        return -1;
    }
    if (rc != 0 || g->n == 0) {
        fprintf(stderr, "metrics-ai: %s: no usable points\n", path);
        csv_grid_free(g);
        return -1;
    }
    return 0;
}

/* The ensemble shape for a grid step: horizons in steps, the daily season when the step divides
 * a day (whether the data have one is decided at each fit). */
static void make_config(const predict_opts *o, double step, ens_config *cfg)
{
    uint32_t hsteps[ENS_MAX_HORIZONS];
    uint32_t nh = 0;
    for (uint32_t j = 0; j < o->nh; j++) {
        double k = floor(o->horizon_s[j] / step + 0.5);
        uint32_t ks = k < 1 ? 1 : (uint32_t)k;
        if (nh == 0 || ks > hsteps[nh - 1])
            hsteps[nh++] = ks;
    }
    fc_params p = {.step_s = step, .max_history = o->max_history};
    double per_day = 86400.0 / step;
    if (per_day >= 4 && fabs(per_day - floor(per_day + 0.5)) < 1e-6)
        p.season_day = (uint32_t)floor(per_day + 0.5);
    p.season_week = p.season_day * 7;
    ens_config_default(cfg, &p, hsteps, nh);
    if (o->lstm)
        ens_config_add_lstm(cfg, o->lstm_seq_len, o->lstm_epochs);
}

/* The shape for a fit on y[0..n): the daily season only when the data show one. */
static void *alloc_aligned(size_t n)
{
    return aligned_alloc(ENS_ALIGN, mai_round_up(n ? n : 1, ENS_ALIGN));
}

static int predict_series(const predict_opts *o, const char *path, FILE *out, double *cpu_s)
{
    clock_t c0 = clock();
    char name[128];
    series_name(path, name, sizeof name);
    csv_grid g;
    if (load_grid(o, path, &g) != 0)
        return -1;
    double step = g.step;
    int rc;

    /* origins (timestamps) and the targets each one asks for */
    size_t norig = 0;
    double *origins = malloc((o->nrows + o->origins_count + 1) * sizeof *origins);
    if (!origins) {
        csv_grid_free(&g);
        return -1;
    }
    if (o->origins) {
        for (size_t r = 0; r < o->nrows; r++)
            if (strcmp(o->rows[r].series, name) == 0)
                origins[norig++] = o->rows[r].origin_ts;
        qsort(origins, norig, sizeof *origins, mai_cmp_double);
        size_t u = 0;
        for (size_t i = 0; i < norig; i++)
            if (u == 0 || origins[i] != origins[u - 1])
                origins[u++] = origins[i];
        norig = u;
        if (norig == 0)
            fprintf(stderr, "metrics-ai predict: %s: no origins for series \"%s\" in %s\n", path,
                    name, o->origins);
    } else {
        size_t ntrain = (size_t)(o->train_fraction * (double)g.n);
        if (ntrain == 0)
            ntrain = 1;
        for (uint32_t i = 0; i < o->origins_count && ntrain <= g.n; i++) {
            size_t idx = ntrain - 1 + (size_t)((double)i * (double)(g.n - ntrain) /
                                               o->origins_count);
            origins[norig++] = g.t0 + (double)idx * step;
        }
    }

    ens_config cfg;
    make_config(o, step, &cfg);

    size_t max_k = cfg.horizons[cfg.nh - 1];
    for (size_t r = 0; o->origins && r < o->nrows; r++) {
        if (strcmp(o->rows[r].series, name) != 0 || isnan(o->rows[r].target_ts))
            continue;
        double k = floor((o->rows[r].target_ts - o->rows[r].origin_ts) / step + 0.5);
        if (k >= 1 && k <= 100000 && (size_t)k > max_k)
            max_k = (size_t)k;
    }
    void *st = alloc_aligned(ens_state_size(&cfg));
    double *work = alloc_aligned(ens_work_size(&cfg, max_k));
    void *scratch = alloc_aligned(ens_fit_scratch_size(&cfg, o->max_history) + 64);
    double *buf = malloc(3 * max_k * sizeof *buf);
    rc = (!st || !work || !scratch || !buf) ? -1 : ens_init(st, &cfg);
    size_t fed = 0;
    for (size_t i = 0; i < norig && rc == 0; i++) {
        double oi_f = floor((origins[i] - g.t0) / step + 1e-9);
        if (oi_f < 0 || oi_f >= (double)g.n) {
            fprintf(stderr, "metrics-ai predict: %s: origin %.17g is outside the data; "
                    "skipped\n", path, origins[i]);
            continue;
        }
        size_t oi = (size_t)oi_f;
        if (oi + 1 < fed) {
            fprintf(stderr, "metrics-ai predict: %s: origin %.17g is before data already fed; "
                    "skipped\n", path, origins[i]);
            continue;
        }
        if (i % o->refit_every == 0) {
            size_t start = oi + 1 > o->max_history ? oi + 1 - o->max_history : 0;
            ens_config fit_cfg = ens_config_for_data(&cfg, g.y + start, oi + 1 - start);
            ens_init(st, &fit_cfg);
            ens_fit(st, g.y + start, oi + 1 - start, 0, scratch, work);
        } else {
            for (; fed < oi + 1; fed++)
                ens_update(st, g.y[fed], work);
        }
        fed = oi + 1;
        fc_output fo = {buf, buf + max_k, buf + 2 * max_k, NULL, NULL};
        ens_forecast(st, max_k, &fo, work);
        if (o->origins) {
            for (size_t r = 0; r < o->nrows; r++) {
                const origin_row *row = &o->rows[r];
                if (row->origin_ts != origins[i] || strcmp(row->series, name) != 0)
                    continue;
                if (isnan(row->target_ts)) {
                    for (size_t k = 1; k <= max_k; k++)
                        print_row(out, name, origins[i], origins[i] + (double)k * step,
                                  buf[k - 1], buf[max_k + k - 1], buf[2 * max_k + k - 1]);
                    break;
                }
                double kf = floor((row->target_ts - row->origin_ts) / step + 0.5);
                if (kf < 1 || kf > (double)max_k)
                    continue;
                size_t k = (size_t)kf;
                print_row(out, name, row->origin_ts, row->target_ts, buf[k - 1],
                          buf[max_k + k - 1], buf[2 * max_k + k - 1]);
            }
        } else {
            for (size_t k = 1; k <= max_k; k++)
                print_row(out, name, origins[i], origins[i] + (double)k * step, buf[k - 1],
                          buf[max_k + k - 1], buf[2 * max_k + k - 1]);
        }
    }
    free(st);
    free(work);
    free(scratch);
    free(buf);
    free(origins);
    csv_grid_free(&g);
    *cpu_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
    return rc;
}

double predict_parse_duration(const char *s)
{
    return parse_duration(s);
}

void predict_series_name(const char *path, char *out, size_t cap)
{
    series_name(path, out, cap);
}

int predict_main(int argc, char **argv)
{
    predict_opts o;
    int rc = parse_args(argc, argv, &o, 1);
    if (rc != 0) {
        free(o.rows);
        return rc > 0 ? 0 : 2;
    }
    FILE *out = strcmp(o.output, "-") == 0 ? stdout : fopen(o.output, "w");
    FILE *timing = o.timing ? fopen(o.timing, "w") : NULL;
    if (!out || (o.timing && !timing)) {
        fprintf(stderr, "metrics-ai predict: cannot write %s\n", !out ? o.output : o.timing);
        free(o.rows);
        return 1;
    }
    fprintf(out, "series,origin_ts,target_ts,yhat,yhat_lower,yhat_upper\n");
    if (timing)
        fprintf(timing, "series,cpu_s\n");
    int failed = 0;
    for (int i = 0; i < o.ninputs; i++) {
        double cpu = 0;
        if (predict_series(&o, o.inputs[i], out, &cpu) != 0) {
            failed++;
            continue;
        }
        if (timing) {
            char name[128];
            series_name(o.inputs[i], name, sizeof name);
            fprintf(timing, "%s,%.4f\n", name, cpu);
        }
    }
    if (out != stdout)
        fclose(out);
    if (timing)
        fclose(timing);
    free(o.rows);
    return failed ? 1 : 0;
}

/* One input file's backtest table. Returns 0 or -1 (message printed). */
static int backtest_series(const predict_opts *o, const char *path, FILE *out)
{
    char name[128];
    series_name(path, name, sizeof name);
    csv_grid g;
    if (load_grid(o, path, &g) != 0)
        return -1;
    ens_config cfg;
    make_config(o, g.step, &cfg);
    size_t ntrain = (size_t)(o->train_fraction * (double)g.n);
    ens_config fit_cfg = ens_config_for_data(&cfg, g.y, ntrain);
    void *st = alloc_aligned(ens_state_size(&cfg));
    void *work = alloc_aligned(backtest_work_size(&cfg));
    void *scratch = alloc_aligned(ens_fit_scratch_size(&cfg, o->max_history) + 64);
    bt_result r;
    int rc = (!st || !work || !scratch) ? -1
             : backtest_run(&fit_cfg, g.y, g.n, o->train_fraction, o->origins_count, st,
                            scratch, work, &r);
    if (rc != 0) {
        fprintf(stderr, "metrics-ai backtest: %s: %zu points are too few for a %.2f train/test "
                "split\n", path, g.n, o->train_fraction);
    } else {
        fprintf(out, "%s: %zu points of %gs, train %zu, %u origins, MASE scale %.6g, season %u\n",
                name, g.n, g.step, r.ntrain, o->origins_count, r.scale, fit_cfg.p.season_day);
        fprintf(out, "%-8s %-9s %12s %12s %8s %8s %6s %5s\n", "horizon", "model", "MAE", "RMSE",
                "MASE", "sMAPE", "cov80", "n");
        for (uint32_t j = 0; j < r.nh; j++) {
            char hn[16];
            cycle_horizon_name(r.horizons[j] * g.step, hn, sizeof hn);
            for (uint32_t m = 0; m <= r.nm; m++) {
                const bt_metrics *x = &r.m[j][m];
                fprintf(out, "%-8s %-9s %12.6g %12.6g %8.3f %8.2f %6.3f %5u\n", hn, r.names[m],
                        x->mae, x->rmse, x->mase, x->smape, x->coverage80, x->n);
            }
        }
    }
    free(st);
    free(work);
    free(scratch);
    csv_grid_free(&g);
    return rc == 0 ? 0 : -1;
}

int backtest_main(int argc, char **argv)
{
    predict_opts o;
    int rc = parse_args(argc, argv, &o, 0);
    if (rc != 0) {
        free(o.rows);
        return rc > 0 ? 0 : 2;
    }
    FILE *out = !o.output || strcmp(o.output, "-") == 0 ? stdout : fopen(o.output, "w");
    if (!out) {
        fprintf(stderr, "metrics-ai backtest: cannot write %s\n", o.output);
        free(o.rows);
        return 1;
    }
    int failed = 0;
    for (int i = 0; i < o.ninputs; i++)
        failed += backtest_series(&o, o.inputs[i], out) != 0;
    if (out != stdout)
        fclose(out);
    free(o.rows);
    return failed ? 1 : 0;
}
