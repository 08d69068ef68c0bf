/* SPDX-License-Identifier: Apache-2.0
 * exporter/plot.h -- a small chart renderer on cairo: one PNG from a plain description (time
 * series with history, forecast mean and band, threshold lines, a split line, anomaly points,
 * a legend; or an x/y scatter with flagged points). UTC time axis with tick spacing chosen by
 * span, y ticks on round numbers in the unit's scale (percent, bytes, SI). Empty or all-NaN input
 * gives a "no data" chart. The PNG is written atomically and carries a tEXt "Title" chunk. */
#ifndef MAI_EXPORTER_PLOT_H
#define MAI_EXPORTER_PLOT_H

#include <stddef.h>
#include <stdint.h>

#define PLOT_MAX_HLINES 4
#define PLOT_MIN_SIZE 64
#define PLOT_MAX_SIZE 8192

/* A horizontal line across the plot area, e.g. the disk 90% threshold. */
typedef struct plot_hline {
    double y;                   /* in data units; NaN skips the line */
    const char *label;          /* drawn at the line's right end; NULL for none */
} plot_hline;

/* A scatter point (scatter mode). */
typedef struct plot_point {
    double x, y;                /* data units; a non-finite coordinate skips the point */
    int flagged;                /* drawn highlighted and labelled */
    const char *label;          /* text beside a flagged point; NULL for none */
} plot_point;

typedef struct plot_spec {
    const char *title;          /* top line, and the PNG tEXt "Title" */
    const char *unit;           /* y unit: "ratio" (shown as %), "percent", "bytes",
                                 * "bytes_per_second", "seconds", or anything else (SI prefixes,
                                 * the unit appended after '_per_' becomes '/') */
    int width, height;          /* pixels, PLOT_MIN_SIZE..PLOT_MAX_SIZE */

    /* time mode: t in Unix seconds, ascending; v NaN = gap */
    const double *hist_t, *hist_v;
    size_t hist_n;
    const double *fc_t, *fc_mean, *fc_lower, *fc_upper;   /* lower/upper may be NULL */
    size_t fc_n;
    const double *anom_t, *anom_v;                       /* highlighted points */
    size_t anom_n;
    plot_hline hlines[PLOT_MAX_HLINES];
    size_t n_hlines;
    double vline_t;             /* split line ("now", "train | test"); NaN for none */
    const char *vline_label;
    double x_min, x_max;        /* time window to show; NaN each = the data's extent */

    /* legend entries; NULL leaves an item out of the legend (it is still drawn) */
    const char *hist_label, *fc_label, *band_label, *anom_label;

    /* scatter mode: set when points is not NULL; the time-mode fields are then ignored */
    const plot_point *points;
    size_t n_points;
    const char *x_unit;         /* formatted like unit */
    const char *x_title, *y_title;  /* axis captions; NULL for none */
} plot_spec;

/* A spec with every optional field empty (NaN lines and window, no series), the given title,
 * unit and size. */
plot_spec plot_spec_init(const char *title, const char *unit, int width, int height);

/* Buffers reused across the plots of a batch (the image surface and the encoder's). One per
 * thread. */
typedef struct plot_ctx plot_ctx;

plot_ctx *plot_ctx_new(void);      /* NULL when out of memory */
void plot_ctx_free(plot_ctx *c);

/* Renders s and writes it to path as a PNG: a temporary file in the same directory, renamed
 * over path (readers see the old file or the new one). Creates no directories. Returns 0, or -1
 * with a one-line message naming the file in err (bad size, no memory, cannot write). */
int plot_write_png(const plot_spec *s, const char *path, char *err, size_t errlen);

/* The same with c's buffers (c NULL: its own). */
int plot_write_png_ctx(plot_ctx *c, const plot_spec *s, const char *path, char *err,
                       size_t errlen);

/* Renders s to PNG bytes in memory (*out malloc'ed, caller frees). 0 or -1 with err. */
int plot_render_png(const plot_spec *s, uint8_t **out, size_t *outlen, char *err, size_t errlen);

/* Formats v for an axis label in unit's scale: "45%", "1.5 GiB", "2.3 MB/s", "12 k". */
void plot_format_value(const char *unit, double v, char *buf, size_t len);

/* The time-axis tick step in seconds for a span shown on width pixels (1 min .. 28 days). */
double plot_time_step(double span_s, int width_px);

/* Replaces every byte outside [A-Za-z0-9_.-] with '_' and truncates to len-1 bytes; an empty or
 * NULL name gives "_". A name of only dots ("." "..") becomes underscores. Returns buf. */
char *plot_sanitize(const char *name, char *buf, size_t len);

#endif
