/* SPDX-License-Identifier: Apache-2.0
 * exporter/forecast_metrics.c -- forecast series on /metrics (see forecast_metrics.h). A source
 * label called "metric" or "horizon" is renamed "exported_metric" / "exported_horizon", as
 * Prometheus does for clashing target labels, so no series loses a label; "quantile" and "le",
 * which the exposition format reserves for summaries and histograms, become "exported_quantile"
 * and "exported_le" (a forecast of one quantile or bucket is a plain gauge). */
#include "exporter/forecast_metrics.h"

#include <math.h>
#include <string.h>

#define MAX_LABELS 80

/* Source labels of a row (without __name__), then metric=, then extra. Returns the count. */
static size_t row_labels(const result_row *row, expo_label *out, const char *horizon)
{
    size_t n = 0;
    for (uint32_t i = 0; i < row->nlabels && n < MAX_LABELS - 3; i++) {
        const char *name = row->labels[2 * i];
        if (strcmp(name, "__name__") == 0)
            continue;
        if (strcmp(name, "metric") == 0)
            name = "exported_metric";
        else if (strcmp(name, "horizon") == 0)
            name = "exported_horizon";
        else if (strcmp(name, "quantile") == 0)     /* reserved for summaries, */
            name = "exported_quantile";
        else if (strcmp(name, "le") == 0)           /* and for histogram buckets */
            name = "exported_le";
        out[n++] = (expo_label){name, row->labels[2 * i + 1], 0};
    }
    out[n++] = (expo_label){"metric", row->metric, 0};
    if (horizon)
        out[n++] = (expo_label){"horizon", horizon, 0};
    return n;
}

/* One family over every row and horizon: which = 0 mean, 1 lower, 2 upper, 3 skill. */
static void per_horizon(expo_buf *b, const results *r, const char *name, const char *help,
                        int which)
{
    expo_family(b, name, "gauge", help);
    expo_label l[MAX_LABELS];
    for (size_t i = 0; i < r->nrows; i++) {
        const result_row *row = &r->rows[i];
        for (uint32_t h = 0; h < r->nh; h++) {
            double v = which == 0 ? row->mean[h] : which == 1 ? row->lower[h]
                     : which == 2 ? row->upper[h] : row->skill[h];
            if (which == 3 && isnan(v))
                continue;
            size_t n = row_labels(row, l, r->horizon[h]);
            expo_sample(b, name, l, n, v);
        }
    }
}

void forecast_metrics_write(expo_buf *b, const results *r)
{
    per_horizon(b, r, "metrics_ai_forecast", "Ensemble forecast of the series named by metric, "
                "horizon ahead of now.", 0);
    per_horizon(b, r, "metrics_ai_forecast_lower", "Lower bound of the 80% prediction interval.",
                1);
    per_horizon(b, r, "metrics_ai_forecast_upper", "Upper bound of the 80% prediction interval.",
                2);
    per_horizon(b, r, "metrics_ai_forecast_skill_ratio", "Rolling mean absolute error of the "
                "ensemble divided by that of the seasonal naive forecast (below 1: better than "
                "the trivial forecast).", 3);

    expo_label l[MAX_LABELS];
    expo_family(b, "metrics_ai_forecast_points", "gauge", "Points of the series the models have "
                "seen (warm-up progress).");
    for (size_t i = 0; i < r->nrows; i++) {
        size_t n = row_labels(&r->rows[i], l, NULL);
        expo_sample(b, "metrics_ai_forecast_points", l, n, (double)r->rows[i].points);
    }
    expo_family(b, "metrics_ai_forecast_ready", "gauge", "1 once the series' models are fitted; "
                "0 while a last-value fallback forecast is exported.");
    for (size_t i = 0; i < r->nrows; i++) {
        size_t n = row_labels(&r->rows[i], l, NULL);
        expo_sample(b, "metrics_ai_forecast_ready", l, n, r->rows[i].ready);
    }

    expo_family(b, "metrics_ai_model_error", "gauge", "Mean over ready series of each member's "
                "(and the ensemble's) rolling mean absolute error scaled by the series' mean "
                "absolute change (MASE).");
    for (uint32_t h = 0; h < r->nh; h++) {
        for (uint32_t m = 0; m < r->nm; m++) {
            if (isnan(r->model_error[h][m]))
                continue;
            expo_label ml[2] = {{"model", r->model[m], 0}, {"horizon", r->horizon[h], 0}};
            expo_sample(b, "metrics_ai_model_error", ml, 2, r->model_error[h][m]);
        }
        if (!isnan(r->ensemble_error[h])) {
            expo_label ml[2] = {{"model", "ensemble", 0}, {"horizon", r->horizon[h], 0}};
            expo_sample(b, "metrics_ai_model_error", ml, 2, r->ensemble_error[h]);
        }
    }
    expo_family(b, "metrics_ai_ensemble_weight", "gauge", "Mean weight of each member in the "
                "ensemble over ready series and horizons.");
    for (uint32_t m = 0; m < r->nm; m++) {
        if (isnan(r->ensemble_weight[m]))
            continue;           /* no ready series has this member (the LSTM is opt-in) */
        expo_label ml = {"model", r->model[m], 0};
        expo_sample(b, "metrics_ai_ensemble_weight", &ml, 1, r->ensemble_weight[m]);
    }

    expo_family(b, "metrics_ai_cycle_duration_seconds", "gauge", "Wall time of the last model "
                "cycle.");
    expo_sample(b, "metrics_ai_cycle_duration_seconds", NULL, 0, r->cycle_seconds);
    expo_family(b, "metrics_ai_cycles_total", "counter", "Model cycles completed.");
    expo_sample(b, "metrics_ai_cycles_total", NULL, 0, (double)r->cycles);
    expo_family(b, "metrics_ai_model_fits_total", "counter", "Ensemble fits (all members) done.");
    expo_sample(b, "metrics_ai_model_fits_total", NULL, 0, (double)r->fits);
    expo_family(b, "metrics_ai_model_fit_seconds_total", "counter", "CPU time spent fitting.");
    expo_sample(b, "metrics_ai_model_fit_seconds_total", NULL, 0, r->fit_seconds);
    expo_family(b, "metrics_ai_models", "gauge", "Series with models, by state.");
    expo_label ready = {"state", "ready", 0}, warm = {"state", "warming_up", 0};
    expo_sample(b, "metrics_ai_models", &ready, 1, (double)r->models_ready);
    expo_sample(b, "metrics_ai_models", &warm, 1, (double)(r->models - r->models_ready));
    expo_family(b, "metrics_ai_model_state_bytes", "gauge", "Memory held by model states.");
    expo_sample(b, "metrics_ai_model_state_bytes", NULL, 0, (double)r->state_bytes);
}
