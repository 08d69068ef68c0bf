/* SPDX-License-Identifier: Apache-2.0
 * adapter/cycle.h -- the model cycle: a background thread that, every --interval seconds, finds
 * new series in the store, feeds each model the ring buckets finished since the last cycle,
 * fits and refits ensembles within a CPU budget, forecasts every configured horizon (short ones
 * from the fine ring, long ones from the coarse ring) and publishes an immutable result set.
 * The ingest path never waits for it: it takes each shard lock only to copy ring slices. */
#ifndef MAI_ADAPTER_CYCLE_H
#define MAI_ADAPTER_CYCLE_H

#include <stddef.h>
#include <regex.h>
#include <stdint.h>

#include "adapter/naming.h"
#include "adapter/retrain.h"
#include "adapter/signals.h"
#include "models/ensemble.h"
#include "adapter/store.h"
#include "exporter/plot_set.h"
#include "exporter/results.h"

#define CYCLE_MAX_HORIZONS 4

typedef struct cycle_config {
    store *st;
    results_box *box;
    int64_t fine_step_s, coarse_step_s;
    uint32_t fine_cap, coarse_cap;          /* ring slots */
    double horizon_s[CYCLE_MAX_HORIZONS];   /* ascending */
    uint32_t nh;
    unsigned interval_s;                    /* seconds between cycles (>= 1) */
    size_t max_models;                      /* series outside the catalogue given models, at
                                               most (catalogue signals always are) */
    const signals *cat;                     /* the signal catalogue; NULL: the built-in one */
    const regex_t *model_allow;             /* outside the catalogue, only metric names it
                                               matches get models (NULL: all) */
    const regex_t *model_deny;              /* ... and none it matches (NULL: none) */
    double fit_budget_s;                    /* CPU seconds of fitting per cycle (at least one fit) */
    int minimal_refits;                     /* --forecast: a fitted part's periodic refits keep
                                               its seasons, orders and hyperparameters (forced
                                               fits still select them again) */
    const char *lstm_metrics;               /* comma-separated metric names that also get the
                                               LSTM member (NULL or "": none) */
    uint32_t lstm_seq_len, lstm_epochs;
    int show_backtest;                      /* print the scores table after fits (at most every
                                               10 minutes) and at the end */
    int console;                            /* print the console tables every cycle */
    int verbosity;                          /* with console: 1 adds the DEBUG lines */
    const char *reports_dir;                /* write disk_full_prediction.csv here (NULL: no) */
    const char *dump_csv_dir;               /* --dump-csv: each fit's training data (NULL: no) */
    naming *names;                          /* node names (NULL: host part of the instance);
                                               used by the cycle thread only */
    int lookback_hrs;                       /* node classification window (LOOKBACK_HRS) */
    double contamination;                   /* node classification threshold (CONTAMINATION) */
    /* anomaly score controls (models/anomaly.h); all zero = the defaults, both directions */
    int anomaly_direction;                  /* an_direction */
    double anomaly_min_change;
    unsigned anomaly_persistence;           /* 0 = 1 */
    double anomaly_threshold;               /* I/O, network and golden alerts; 0 = 0.75 */
    void (*after_cycle)(void *arg);         /* run on the cycle thread after each cycle, while
                                               no model changes (snapshots); NULL: none */
    void *after_cycle_arg;
    /* plots (adapter/plot_cycle.h) into plot_set.dir every plot_interval_s seconds, on the
     * cycle thread after the forecasts; 0 = never */
    unsigned plot_interval_s;
    plot_set_cfg plot_set;
    int plot_backtest;                      /* also the layer backtest plots */
    double train_fraction;                  /* their train/test split; 0 = 0.8 */
} cycle_config;

typedef struct cycle cycle;

/* Creates the cycle; with start set, also its thread. Returns 0, -MAI_EINVAL or -MAI_ENOMEM. */
int cycle_create(const cycle_config *c, int start, cycle **out);

/* Stops the thread (if any) and frees every model. NULL is a no-op. */
void cycle_destroy(cycle *c);

/* Requests that the catalogue series named by disk and io_net (either may be NULL or empty) be
 * fitted again from their whole rings at the next cycle, whatever the fit budget; a request
 * replaces one still pending, and wakes the thread to run a cycle now. With wait_s > 0 and the
 * thread running, waits up to wait_s for the cycle to apply it. Returns 0 with *matched (may be
 * NULL) the number of series named once applied, 1 when still pending, -MAI_ENOMEM. Any thread. */
int cycle_retrain(cycle *c, const retrain_spec *disk, const retrain_spec *io_net, double wait_s,
                  size_t *matched);

/* A read-only view of one modelled series, for manifests and reports (cycle_visit_models). */
typedef struct cycle_part_view {
    int used;
    int64_t step_s;                 /* bucket */
    int64_t last_bucket;            /* newest bucket fed (bucket index: time = index * step_s) */
    uint64_t points, fitted_at;     /* points fed; points at the last fit (0 = never fitted) */
    int64_t fitted_unix;            /* wall clock of the last fit; 0 = never or unknown */
    const ens_config *cfg;          /* the shape (members, horizons, seasons) */
    const void *state;              /* the ensemble: ens_get_info(), ens_save() */
} cycle_part_view;

typedef struct cycle_model_view {
    store_ref ref;                  /* for store_ring_since() */
    const char *metric;
    const char *const *labels;      /* 2 * nlabels: name, value, ... */
    uint32_t nlabels;
    const signal_def *sig;          /* catalogue signal or NULL */
    const char *display;            /* "host02 (10.0.0.2)" or NULL */
    cycle_part_view part[2];        /* fine, coarse */
} cycle_model_view;

/* Calls fn for every modelled series, in discovery order, on the calling thread: the cycle thread
 * (after_cycle) or with the thread stopped. Stops when fn returns non-zero. */
void cycle_visit_models(cycle *c, int (*fn)(const cycle_model_view *v, void *ctx), void *ctx);

/* --training: every modelled series (discovered by then) is fitted again at the next cycle,
 * whatever the budget. Any thread. */
void cycle_fit_all(cycle *c);

/* Runs one cycle on the calling thread (tests, one-shot runs; never while the thread runs). */
void cycle_run_once(cycle *c);

/* Starts the thread of a cycle created without it (after cycle_load); 0 or -MAI_ENOMEM. */
int cycle_start(cycle *c);

/* Stops the thread and waits for it, keeping every model (for a last cycle_save). */
void cycle_stop(cycle *c);

/* Emits one record per model entry, in the cycle's order: the series' labels, the fine and
 * coarse parts (ensemble state by ens_save, newest bucket fed, points, points at the last fit),
 * the anomaly state (an opaque blob with its size) and score. Call it on the cycle thread
 * (after_cycle) or while no thread runs. Returns 0, -MAI_ENOMEM or fn's non-zero result. */
int cycle_save(cycle *c, store_record_fn fn, void *ctx);

/* Restores one record of cycle_save: finds the series in the store (restored first) and gives
 * it its models back. Call before cycle_start. Returns 0; -MAI_EPROTO for a malformed record;
 * -MAI_EINVAL when the series is absent or a part has another shape (that part, or the anomaly
 * state of another size, starts empty); -MAI_ELIMIT past --max-models. */
int cycle_load(cycle *c, const uint8_t *rec, size_t n);

/* Formats a horizon in seconds the way labels show it: 900 -> "15m", 86400 -> "24h",
 * 604800 -> "7d". */
void cycle_horizon_name(double seconds, char *out, size_t cap);

#endif
