/* SPDX-License-Identifier: Apache-2.0
 * adapter/score_cmd.c -- `metrics-ai score` (see score_cmd.h): each input is put on the grid the
 * ingest path would build, the grid is streamed through models/anomaly.c, and every input row
 * gets the score of the grid point its timestamp falls in. Output: series,timestamp,anomaly_score. */
#include "adapter/score_cmd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/csv_series.h"
#include "adapter/predict.h"
#include "models/anomaly.h"
#include "models/base.h"

#define MAX_INPUTS 256

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: metrics-ai score --input SERIES.csv [--input ...] --output SCORES.csv\n"
            "         [--step S] [--direction both|up|down] [--min-change X] [--persistence K]\n"
            "Input: timestamp,value (unix seconds or RFC 3339; header optional).\n"
            "Output: series,timestamp,anomaly_score (one row per input row, score in [0,1]; a\n"
            "  deviation equal to the largest seen before scores 0.5, 2x it 0.94).\n"
            "  --step S         grid step in seconds or with a unit (300, 5m); default: inferred\n"
            "  --direction D    which deviations count: both (default), up or down\n"
            "  --min-change X   deviations smaller than X (series units) score 0 (default 0)\n"
            "  --persistence K  the score is the minimum of the last K points' scores, so a\n"
            "                   condition must hold K points in a row (default 1, at most %d)\n",
            AN_MAX_PERSIST);
}

static void print_ts(FILE *f, double t)
{
    if (t == floor(t) && fabs(t) < 1e15)
        fprintf(f, "%lld", (long long)t);
    else
        fprintf(f, "%.17g", t);
}

/* One input file. Returns 0 or -1 (message printed). */
static int score_series(const char *path, double step_opt, const an_config *ac, FILE *out)
{
    char name[128], err[512];
    predict_series_name(path, name, sizeof name);
    csv_series cs;
    if (csv_series_read(path, &cs, stderr, err, sizeof err) != 0) {
        fprintf(stderr, "metrics-ai score: %s\n", err);
        return -1;
    }
    double step = step_opt > 0 ? step_opt : csv_series_infer_step(&cs);
    if (!(step > 0)) {
        fprintf(stderr, "metrics-ai score: %s: fewer than two distinct timestamps; give --step\n",
                path);
        csv_series_free(&cs);
        return -1;
    }
    csv_grid g;
    int grc = csv_grid_build(&cs, step, path, stderr, &g);
    if (grc == -MAI_ETOOBIG) {
        fprintf(stderr, "metrics-ai score: %s: the time span needs more than %d steps of %gs; "
                "give a larger --step\n", path, CSV_GRID_MAX_POINTS, step);
        csv_series_free(&cs);
        return -1;
    }
    if (grc != 0) {
        fprintf(stderr, "metrics-ai score: %s: out of memory\n", path);
        csv_series_free(&cs);
        return -1;
    }
    double *sc = calloc(g.n ? g.n : 1, sizeof *sc);
    an_state st;
    an_config c = *ac;
    an_config_for_step(&c, step);
    if (!sc || an_init(&st, &c) != 0) {
        fprintf(stderr, "metrics-ai score: %s: out of memory\n", path);
        free(sc);
        csv_grid_free(&g);
        csv_series_free(&cs);
        return -1;
    }
    for (size_t i = 0; i < g.n; i++)
        sc[i] = an_update(&st, g.y[i]);
    for (size_t r = 0; r < cs.n; r++) {
        double k = floor((cs.t[r] - g.t0) / g.step + 1e-9);
        double s = k >= 0 && k < (double)g.n ? sc[(size_t)k] : 0;
        fprintf(out, "%s,", name);
        print_ts(out, cs.t[r]);
        fprintf(out, ",%.6g\n", s);
    }
    free(sc);
    csv_grid_free(&g);
    csv_series_free(&cs);
    return 0;
}

int score_main(int argc, char **argv)
{
    const char *inputs[MAX_INPUTS], *output = NULL;
    int ninputs = 0;
    double step = 0;
    an_config ac;
    an_config_default(&ac);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "metrics-ai score: unknown argument or missing value \"%s\" "
                    "(see score --help)\n", a);
            return 2;
        }
        i++;
        char *end = NULL;
        if (strcmp(a, "--input") == 0) {
            if (ninputs == MAX_INPUTS) {
                fprintf(stderr, "metrics-ai score: at most %d --input files\n", MAX_INPUTS);
                return 2;
            }
            inputs[ninputs++] = v;
        } else if (strcmp(a, "--output") == 0) {
            output = v;
        } else if (strcmp(a, "--step") == 0) {
            if ((step = predict_parse_duration(v)) <= 0) {
                fprintf(stderr, "metrics-ai score: --step \"%s\": expected seconds or 5m, 1h\n",
                        v);
                return 2;
            }
        } else if (strcmp(a, "--direction") == 0) {
            if (strcmp(v, "both") == 0)
                ac.direction = AN_BOTH;
            else if (strcmp(v, "up") == 0)
                ac.direction = AN_UP;
            else if (strcmp(v, "down") == 0)
                ac.direction = AN_DOWN;
            else {
                fprintf(stderr, "metrics-ai score: --direction \"%s\": expected both, up or "
                        "down\n", v);
                return 2;
            }
        } else if (strcmp(a, "--min-change") == 0) {
            ac.min_change = strtod(v, &end);
            if (*end != '\0' || !(ac.min_change >= 0) || isinf(ac.min_change)) {
                fprintf(stderr, "metrics-ai score: --min-change \"%s\": expected a number >= 0\n",
                        v);
                return 2;
            }
        } else if (strcmp(a, "--persistence") == 0) {
            unsigned long k = strtoul(v, &end, 10);
            if (*end != '\0' || k < 1 || k > AN_MAX_PERSIST) {
                fprintf(stderr, "metrics-ai score: --persistence \"%s\": expected 1..%d\n", v,
                        AN_MAX_PERSIST);
                return 2;
            }
            ac.persistence = (uint32_t)k;
        } else {
            fprintf(stderr, "metrics-ai score: unknown argument \"%s\" (see score --help)\n", a);
            return 2;
        }
    }
    if (ninputs == 0 || !output) {
        fprintf(stderr, "metrics-ai score: --input and --output are required (see --help)\n");
        return 2;
    }
    FILE *out = strcmp(output, "-") == 0 ? stdout : fopen(output, "w");
    if (!out) {
        fprintf(stderr, "metrics-ai score: cannot write %s\n", output);
        return 1;
    }
    fprintf(out, "series,timestamp,anomaly_score\n");
    int failed = 0;
    for (int i = 0; i < ninputs; i++)
        failed += score_series(inputs[i], step, &ac, out) != 0;
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "metrics-ai score: cannot write %s\n", output);
        return 1;
    }
    return failed ? 1 : 0;
}
