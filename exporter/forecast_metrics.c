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

/* Time to a catalogue signal's saturation threshold, per method, and the ensemble's bounds. */
static void eta_families(expo_buf *b, const results *r)
{
    static const char *const methods[3] = {"ensemble", "linear", "prophet"};
    expo_label l[MAX_LABELS + 3];
    char thr[32];
    const char *names[3] = {"metrics_ai_time_to_threshold_seconds",
                            "metrics_ai_time_to_threshold_lower_seconds",
                            "metrics_ai_time_to_threshold_upper_seconds"};
    const char *help[3] = {("Time until the signal reaches its saturation threshold; +Inf when "
                            "not within 30 days."),
                           "Earliest time to the threshold within the ensemble's 80% interval.",
                           "Latest time to the threshold within the ensemble's 80% interval."};
    for (int f = 0; f < 3; f++) {
        expo_family(b, names[f], "gauge", help[f]);
        for (size_t i = 0; i < r->nrows; i++) {
            const result_row *row = &r->rows[i];
            if (!row->has_eta)
                continue;
            expo_format_double(thr, row->threshold);
            for (int m = 0; m < (f == 0 ? 3 : 1); m++) {
                size_t n = row_labels(row, l, NULL);
                l[n++] = (expo_label){"signal", row->signal, 0};
                l[n++] = (expo_label){"threshold", thr, 0};
                l[n++] = (expo_label){"method", methods[m], 0};
                double v = f == 0 ? row->eta[m] : f == 1 ? row->eta_lower : row->eta_upper;
                expo_sample(b, names[f], l, n, v);
            }
        }
    }
}

/* Node classification: score, flag, host pressure, and why (feature shares and the kind). */
static void node_families(expo_buf *b, const results *r)
{
    static const char *const feature[4] = {"host_cpu", "host_mem", "pod_cpu", "pod_mem"};
    expo_family(b, "metrics_ai_node_anomaly_score", "gauge", "Isolation Forest anomaly score of "
                "the node's newest host CPU, host memory, pod CPU and pod memory vector.");
    for (size_t i = 0; i < r->nnodes; i++) {
        expo_label l = {"node", r->nodes[i].node, 0};
        expo_sample(b, "metrics_ai_node_anomaly_score", &l, 1, r->nodes[i].score);
    }
    expo_family(b, "metrics_ai_node_anomaly", "gauge", "1 when the node is classified anomalous "
                "(score above the CONTAMINATION threshold), 2 when critical, else 0.");
    for (size_t i = 0; i < r->nnodes; i++) {
        expo_label l = {"node", r->nodes[i].node, 0};
        expo_sample(b, "metrics_ai_node_anomaly", &l, 1,
                    r->nodes[i].flagged ? (r->nodes[i].severity >= 2 ? 2 : 1) : 0);
    }
    expo_family(b, "metrics_ai_node_anomaly_contribution", "gauge", "Why a node is flagged: each "
                "feature's share of its isolation (sums to 1).");
    for (size_t i = 0; i < r->nnodes; i++) {
        for (int f = 0; f < 4; f++) {
            expo_label l[2] = {{"node", r->nodes[i].node, 0}, {"feature", feature[f], 0}};
            expo_sample(b, "metrics_ai_node_anomaly_contribution", l, 2, r->nodes[i].contrib[f]);
        }
    }
    expo_family(b, "metrics_ai_node_anomaly_kind", "gauge", "The kind of a flagged node's anomaly "
                "(cpu_saturation, memory_pressure, pod_cpu, pod_memory, ...); 1 while flagged.");
    for (size_t i = 0; i < r->nnodes; i++) {
        if (!r->nodes[i].flagged)
            continue;
        expo_label l[2] = {{"node", r->nodes[i].node, 0}, {"kind", r->nodes[i].kind, 0}};
        expo_sample(b, "metrics_ai_node_anomaly_kind", l, 2, 1);
    }
    expo_family(b, "metrics_ai_host_pressure", "gauge", "1 when the node's host CPU or memory is "
                "high while its Kubernetes workload is small.");
    for (size_t i = 0; i < r->nnodes; i++) {
        expo_label l = {"node", r->nodes[i].node, 0};
        expo_sample(b, "metrics_ai_host_pressure", &l, 1, r->nodes[i].host_pressure);
    }
}

static void alert_counts(expo_buf *b, const results *r)
{
    uint64_t flagged = 0, pressure = 0;
    for (size_t i = 0; i < r->nnodes; i++) {
        flagged += r->nodes[i].flagged != 0;
        pressure += r->nodes[i].host_pressure != 0;
    }
    struct { const char *name, *help; uint64_t v; } c[] = {
        {"metrics_ai_disk_alerts_critical", "Disks predicted to reach 90% within 3 days.",
         r->disk_critical},
        {"metrics_ai_disk_alerts_warning", "Disks predicted to reach 90% in 3 to 7 days.",
         r->disk_warning},
        {"metrics_ai_disk_alerts_soon", "Disks predicted to reach 90% in 7 to 30 days.",
         r->disk_soon},
        {"metrics_ai_io_network_crisis", "I/O and network signals predicted to saturate "
         "within 30 days.", r->io_network_crisis},
        {"metrics_ai_io_network_anomalies", "I/O and network signals whose anomaly score is at "
         "or above the alert threshold now.", r->io_network_anomaly},
        {"metrics_ai_golden_anomalies", "Golden signals (iowait, inodes, drops, errors, OOM "
         "kills) whose anomaly score is at or above the alert threshold now.",
         r->golden_anomaly},
        {"metrics_ai_classification_anomalies", "Nodes classified anomalous.", flagged},
        {"metrics_ai_host_pressure_nodes", "Nodes under host pressure.", pressure},
    };
    /* The seed's *_total names (metrics_ai_disk_alerts_total, ..._io_network_crisis_total,
     * ..._io_network_anomaly_total, ..._golden_anomaly_total, ..._classification_anomaly_total,
     * ..._host_pressure_total) are gauges named like counters, which promtool's lint refuses:
     * /metrics carries the lint-clean names above (sum the disk levels for the total); the
     * Pushgateway push keeps the seed's names. */
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        expo_family(b, c[i].name, "gauge", c[i].help);
        expo_sample(b, c[i].name, NULL, 0, (double)c[i].v);
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
    expo_family(b, "metrics_ai_anomaly_score", "gauge", "Streaming anomaly score in [0,1] of the "
                "series' newest points (the highest since the last cycle).");
    for (size_t i = 0; i < r->nrows; i++) {
        size_t n = row_labels(&r->rows[i], l, NULL);
        expo_sample(b, "metrics_ai_anomaly_score", l, n, r->rows[i].anomaly);
    }
    eta_families(b, r);
    node_families(b, r);
    alert_counts(b, r);

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
