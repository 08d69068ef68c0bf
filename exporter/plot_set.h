/* SPDX-License-Identifier: Apache-2.0
 * exporter/plot_set.h -- every forecast plot the seed lists, under its file name in
 * FORECAST_PLOTS_DIR: host/pod layer forecast and backtest, one per disk, the I/O and network
 * crisis and ensemble plots, and the node classification scatter. The caller fills plain structs
 * (arrays, counts, strings); windows and titles follow PLOT_HISTORY_HOURS/PLOT_FORECAST_HOURS. */
#ifndef MAI_EXPORTER_PLOT_SET_H
#define MAI_EXPORTER_PLOT_SET_H

#include <stddef.h>

#include "adapter/config.h"

#define PLOT_SET_WIDTH 1200
#define PLOT_SET_HEIGHT 500
#define PLOT_SET_SCATTER_WIDTH 900
#define PLOT_SET_SCATTER_HEIGHT 650

#define PLOT_HOST_FORECAST "host_layer_forecast.png"
#define PLOT_POD_FORECAST "pod_layer_forecast.png"
#define PLOT_HOST_BACKTEST "host_layer_backtest.png"
#define PLOT_POD_BACKTEST "pod_layer_backtest.png"
#define PLOT_CLASSIFICATION "classification_host_vs_pod.png"

/* One modelled series. Times are Unix seconds, ascending; a NaN value is a gap. Pointers not
 * needed by a plot may be NULL with a zero count. */
typedef struct plot_series_in {
    const char *signal;         /* catalogue id ("HOST_CPU", "DISK_USAGE", "DISK_IO_WAIT") */
    const char *unit;           /* catalogue unit ("ratio", "bytes", "bytes_per_second", ...) */
    const char *node;           /* node name, used in file names ("host02") */
    const char *display;        /* node in titles ("host02 (192.168.10.82)"); NULL = node */
    const char *mountpoint;     /* disks: "/", "/var/lib" */
    const double *hist_t, *hist_v;          /* history */
    size_t hist_n;
    const double *fc_t, *fc_mean, *fc_lower, *fc_upper;    /* forecast after now (80% band) */
    size_t fc_n;
    /* backtest (layer plots): the prediction over the test part; train ends at bt_split_t */
    const double *bt_t, *bt_mean, *bt_lower, *bt_upper;
    size_t bt_n;
    double bt_split_t;          /* NaN: the first bt_t */
    double bt_mae;              /* shown in the backtest title; NaN for none */
    double threshold;           /* saturation threshold in unit; NaN for none */
    double eta_s;               /* seconds to the threshold (crisis plots); INFINITY none, NaN unknown */
    const double *anom_t, *anom_v;          /* anomalous points */
    size_t anom_n;
} plot_series_in;

/* One node of the classification scatter. */
typedef struct plot_node_in {
    const char *display;        /* "host02 (192.168.10.82)" */
    double host, pod;           /* x: host usage, y: pod usage, as ratios 0..1 */
    int flagged;
    const char *kind;           /* "cpu_saturation", ... shown beside a flagged node; may be NULL */
} plot_node_in;

typedef struct plot_set_in {
    double now;                 /* the "now" line; NaN = the latest history time of any series */
    const plot_series_in *host_layer, *pod_layer;   /* NULL: those files are not written */
    const plot_series_in *disks;            /* disk_{node}_{mountpoint}_forecast.png */
    size_t ndisks;
    const plot_series_in *ionet;            /* {node}_{signal}_forecast.png (crisis) and
                                             * {signal}_{node}_layer_forecast.png (ensemble) */
    size_t nionet;
    const plot_node_in *nodes;              /* classification_host_vs_pod.png when nnodes > 0
                                             * or classification is set */
    size_t nnodes;
    int classification;         /* write the scatter even with no nodes ("no data") */
    int backtest;               /* also write host/pod_layer_backtest.png */
} plot_set_in;

typedef struct plot_set_cfg {
    const char *dir;            /* FORECAST_PLOTS_DIR; created when missing */
    int history_hours, forecast_hours;
    int width, height;          /* time plots */
    int scatter_width, scatter_height;
} plot_set_cfg;

typedef struct plot_set_stats {
    size_t written, failed;
    double seconds;             /* wall time */
} plot_set_stats;

/* The configuration from c (FORECAST_PLOTS_DIR, PLOT_HISTORY_HOURS, PLOT_FORECAST_HOURS) with
 * the default sizes. c must outlive the result (dir points into it). */
plot_set_cfg plot_set_cfg_from(const mai_config *c);

/* "48 hours Historical + 12 hours Forecast" */
void plot_set_window_text(const plot_set_cfg *cfg, char *buf, size_t len);

/* File names (no directory), node, signal and mountpoint made safe with plot_sanitize();
 * mountpoint "/" is "root", others lose their leading '/' ("/var/lib" -> "var_lib"). */
void plot_set_disk_name(const char *node, const char *mountpoint, char *buf, size_t len);
void plot_set_crisis_name(const char *node, const char *signal, char *buf, size_t len);
void plot_set_ensemble_name(const char *signal, const char *node, char *buf, size_t len);

/* Writes every plot in is to cfg->dir, each atomically. Goes on after a failed file; returns 0
 * when all were written, else -1 with the first failure in err (one line naming the file).
 * stats may be NULL. */
int plot_set_write(const plot_set_cfg *cfg, const plot_set_in *in, plot_set_stats *stats,
                   char *err, size_t errlen);

#endif
