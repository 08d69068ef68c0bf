/* SPDX-License-Identifier: Apache-2.0
 * adapter/plot_cycle.h -- the plots of a model cycle: turns a result set and the series' rings
 * and ensembles into exporter/plot_set.h inputs and writes the files into FORECAST_PLOTS_DIR.
 * History comes from the fine ring when PLOT_HISTORY_HOURS fits in its span, else from the
 * coarse ring; the forecast (mean and 80% band over PLOT_FORECAST_HOURS) from the part whose
 * step suits the window; anomalies are the history points a fresh models/anomaly.h score,
 * replayed over the plotted history, puts at or above the results' alert threshold. The host
 * and pod layer plots show the mean over nodes of HOST_CPU and POD_CPU. Runs on the cycle
 * thread: rings are copied under their shard lock, rendering holds no store lock. */
#ifndef MAI_ADAPTER_PLOT_CYCLE_H
#define MAI_ADAPTER_PLOT_CYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "adapter/naming.h"
#include "adapter/signals.h"
#include "adapter/store.h"
#include "exporter/plot_set.h"
#include "exporter/results.h"
#include "models/anomaly.h"
#include "models/ensemble.h"

typedef struct plot_cycle_config {
    store *st;
    naming *names;                  /* node names for file names (NULL: the instance's host) */
    plot_set_cfg set;               /* directory, windows, sizes */
    int64_t fine_step_s, coarse_step_s;
    uint32_t fine_cap, coarse_cap;  /* ring slots */
    an_config an;                   /* the anomaly score replayed over the plotted history */
    int backtest;                   /* also the host/pod layer backtest plots */
    double train_fraction;          /* backtest split, in (0, 1) */
    const signals *cat;             /* the signal catalogue (units); NULL: the built-in one */
} plot_cycle_config;

/* One modelled series of the cycle: its published row and its two parts' ensembles (a state
 * and the shape it was sized for; NULL when the part is not used). */
typedef struct plot_src {
    const result_row *row;
    store_ref ref;
    const void *fine_state, *coarse_state;
    const ens_config *fine_cfg, *coarse_cfg;
} plot_src;

typedef struct plot_cycle plot_cycle;

/* Returns 0, -MAI_EINVAL (no store, no directory, bad steps) or -MAI_ENOMEM. */
int plot_cycle_create(const plot_cycle_config *c, plot_cycle **out);
void plot_cycle_destroy(plot_cycle *p);     /* NULL is a no-op */

/* Writes every plot for the catalogue series among src (rows whose signal is set) and the node
 * classification of r. now: the "now" line (Unix seconds; NaN: the newest history point).
 * Returns plot_set_write's result; stats may be NULL; err gets one line on failure. */
int plot_cycle_run(plot_cycle *p, const results *r, const plot_src *src, size_t n, double now,
                   plot_set_stats *stats, char *err, size_t errlen);

#endif
