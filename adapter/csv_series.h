/* SPDX-License-Identifier: Apache-2.0
 * adapter/csv_series.h -- reads a `timestamp,value` CSV (header optional; unix seconds or RFC
 * 3339) and puts it on a regular grid the way the ingest path does: points are bucketed by
 * step and averaged, a point older than the newest is dropped, a repeat of the newest
 * timestamp is dropped unless it is an exact duplicate, and a missing step is a gap (NaN),
 * never an invented value. Every dropped point is a warning naming file and line. */
#ifndef MAI_ADAPTER_CSV_SERIES_H
#define MAI_ADAPTER_CSV_SERIES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct csv_series {
    double *t;              /* seconds, as read (in file order) */
    double *v;
    uint32_t *line;         /* 1-based line of each point */
    size_t n, cap;
} csv_series;

/* A regular grid: y[i] is the mean of the points in [t0 + i * step, t0 + (i + 1) * step). */
typedef struct csv_grid {
    double t0;              /* time of y[0] */
    double step;
    double *y;
    size_t n;
} csv_grid;

/* Reads path. Returns 0, or -MAI_EIO (cannot open), -MAI_EPROTO (a line that is not
 * "timestamp,value": err names file and line), -MAI_ENOMEM. warn (may be NULL) gets one line
 * per irregularity that is not an error. */
int csv_series_read(const char *path, csv_series *out, FILE *warn, char *err, size_t errlen);
/* The same from an open stream f (read to its end, not closed); messages name the file as
 * path. Returns 0, -MAI_EIO (a read error), -MAI_EPROTO or -MAI_ENOMEM. */
int csv_series_read_stream(FILE *f, const char *path, csv_series *out, FILE *warn, char *err,
                           size_t errlen);
void csv_series_free(csv_series *s);

/* The most common positive difference between consecutive timestamps (0 when fewer than two). */
double csv_series_infer_step(const csv_series *s);

/* Most grid steps csv_grid_build makes (10 years of minutes is 5.3 million). */
#define CSV_GRID_MAX_POINTS 10000000

/* The number of steps csv_grid_build makes for s and step into *n (0 for no points or a step
 * that is not positive), without building anything. Returns 0 or -MAI_ETOOBIG (*n = 0). */
int csv_grid_size(const csv_series *s, double step, size_t *n);

/* Builds the grid with the given step from the first timestamp; warns (naming the file and line)
 * about points dropped as out of order or conflicting repeats. Returns 0, -MAI_ETOOBIG when the
 * time span needs more than CSV_GRID_MAX_POINTS steps, or -MAI_ENOMEM. */
int csv_grid_build(const csv_series *s, double step, const char *path, FILE *warn,
                   csv_grid *out);
void csv_grid_free(csv_grid *g);

/* Parses "1392388200", "1392388200.5" or RFC 3339 ("2014-02-14T14:30:00Z", offsets allowed).
 * Returns 0 or -1. */
int csv_parse_time(const char *s, size_t n, double *out);

#endif
