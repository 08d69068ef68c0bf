/* SPDX-License-Identifier: Apache-2.0
 * exporter/results.h -- the immutable result set a model cycle publishes: per modelled series,
 * its forecast and 80% interval at each configured horizon, its skill against seasonal naive and
 * its warm-up state, plus per-model aggregates and cycle timings. The cycle builds a new set and
 * publishes it by pointer swap; readers (scrapes) acquire a reference, read without any store
 * lock, and release it; the last release frees a replaced set. */
#ifndef MAI_EXPORTER_RESULTS_H
#define MAI_EXPORTER_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#define RESULTS_MAX_HORIZONS 8
#define RESULTS_MAX_MODELS 8

/* A forecast path at one model part's own step, kept for remote read: point k (0-based) is the
 * forecast for start_ms + k * step_ms. mean, lower and upper (80% interval) point into one
 * allocation (mean, 3 * n floats) that the set's free_fn frees; n == 0 when absent. */
typedef struct result_curve {
    int64_t start_ms, step_ms;
    uint32_t n;
    float *mean, *lower, *upper;
} result_curve;

#define RESULTS_CURVES 2    /* curve[0]: the fine part's path, curve[1]: the coarse part's */

typedef struct result_row {
    const char *const *labels;  /* 2 * nlabels: name, value, ... sorted; includes __name__ */
    uint32_t nlabels;
    const char *metric;         /* the __name__ value */
    double mean[RESULTS_MAX_HORIZONS];
    double lower[RESULTS_MAX_HORIZONS];     /* 80% interval */
    double upper[RESULTS_MAX_HORIZONS];
    double skill[RESULTS_MAX_HORIZONS];     /* ensemble MAE / seasonal naive MAE; NaN unknown */
    uint64_t points;            /* ring points the models have seen */
    int ready;                  /* 1 once fitted; before, a last-value fallback is exported */
    double anomaly;             /* streaming anomaly score in [0,1] */
    double current;             /* the newest finished fine-ring value (NaN when none) */
    /* catalogue signal of the series (signal set, layer set) or NULL; display is the node's
     * "host02 (192.168.10.82)" form of its instance label (owned by the set; NULL without
     * one) */
    const char *layer;          /* "host", "pod", "disk", "io", "net", "golden" */
    const char *display;
    int anomalous;              /* I/O, network or golden signal with anomaly >= the alert
                                 * threshold (--anomaly-threshold) */
    /* time to the catalogue signal's saturation threshold (has_eta set), seconds, INFINITY when
     * not within 30 days: eta[0] ensemble, eta[1] linear, eta[2] prophet */
    int has_eta;
    const char *signal;         /* "DISK_USAGE"; set for every catalogue signal */
    double threshold;
    double eta[3], eta_lower, eta_upper;
    result_curve curve[RESULTS_CURVES];
} result_row;

/* One node's classification: Isolation Forest over host CPU, host memory, pod CPU, pod memory. */
typedef struct result_node {
    char node[128];             /* node name (label value) */
    char display[256];          /* "host02 (192.168.10.82)" */
    double value[4];            /* host_cpu, host_mem, pod_cpu, pod_mem */
    double contrib[4];          /* why: each feature's share of the isolation (sum 1) */
    double score;               /* anomaly score in [0,1] */
    int flagged, severity;      /* severity 0 OK, 1 WARNING, 2 CRITICAL */
    const char *kind;           /* "cpu_saturation", "memory_pressure", ... ("" when not flagged) */
    int host_pressure;          /* high host usage, little Kubernetes workload */
} result_node;

typedef struct results {
    uint32_t nh;
    char horizon[RESULTS_MAX_HORIZONS][16];         /* "15m", "1h", "24h", "7d" */
    uint32_t nm;
    char model[RESULTS_MAX_MODELS][16];             /* member names */
    double model_error[RESULTS_MAX_HORIZONS][RESULTS_MAX_MODELS];  /* mean MASE over series */
    double ensemble_error[RESULTS_MAX_HORIZONS];    /* the same for the ensemble itself */
    double ensemble_weight[RESULTS_MAX_MODELS];     /* mean weight over series and horizons */
    result_row *rows;
    size_t nrows;
    /* cycle figures */
    double cycle_seconds;       /* the last cycle's wall time */
    uint64_t cycles;
    uint64_t fits;              /* model fits so far */
    double fit_seconds;         /* CPU time in fits so far */
    uint64_t state_bytes;       /* model state held for all series */
    uint64_t models;            /* series with models */
    uint64_t models_ready;
    /* the seed's alert counts that the forecasts answer */
    uint64_t disk_critical, disk_warning, disk_soon;    /* DISK_USAGE: < 3, 3-7, 7-30 days to 90% */
    uint64_t io_network_crisis;     /* I/O and network signals predicted to saturate in 30 days */
    uint64_t io_network_anomaly;    /* I/O and network signals anomalous now */
    uint64_t golden_anomaly;        /* golden signals (iowait, inodes, drops, errors, OOM kills)
                                     * anomalous now */
    double anomaly_threshold;       /* the alert threshold on the anomaly score */
    result_node *nodes;             /* node classification (owned; NULL when none) */
    size_t nnodes;
    double node_threshold;          /* the forest's flagging threshold, NaN when not fitted */
    /* the label strings of rows point into memory the store keeps alive; the cycle owns rows */
    void (*free_fn)(struct results *);
} results;

typedef struct results_box results_box;

results_box *results_box_create(void);             /* NULL when out of memory */
void results_box_destroy(results_box *b);          /* frees the current set; no readers left */

/* Publishes r (takes ownership); the set it replaces is freed once its last reader releases.
 * When 16 sets are still held by readers, r is dropped (freed) and the current one stays. */
void results_publish(results_box *b, results *r);

/* The current set, or NULL before the first cycle; release it when done. */
const results *results_acquire(results_box *b);
void results_release(results_box *b, const results *r);

#endif
