/* SPDX-License-Identifier: Apache-2.0
 * exporter/report.h -- the seed's human-facing reports from a published result set: the disk
 * report disk_full_prediction.csv (written atomically) and the console tables printed each cycle
 * (disk forecast, predictions) with the seed's "DEBUG: disk_alerts" lines at -v. */
#ifndef MAI_EXPORTER_REPORT_H
#define MAI_EXPORTER_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "exporter/results.h"

#define REPORT_DISK_CSV "disk_full_prediction.csv"

/* One DISK_USAGE row as the CSV, the console tables and the alert payload show it. */
typedef struct report_disk {
    const char *instance, *mountpoint;  /* display form of the node ("host02 (10.0.0.2)") */
    double current_pct;         /* newest value in percent; the shortest forecast without one */
    double days, ens, lin, pro; /* the seed's days, 9999 for none (days = the ensemble's) */
    double days_lo, days_hi;    /* the ensemble's 80% bounds, days */
    int level;                  /* ETA_OK .. ETA_CRITICAL from days */
} report_disk;

/* The DISK_USAGE rows of r, sorted by days to 90% ascending (so non-OK first; ties by instance,
 * mountpoint). *out (free it) is NULL with *n = 0 when there are none or r is NULL; returns -1
 * when out of memory. The strings point into r. */
int report_disk_rows(const results *r, report_disk **out, size_t *n);

/* The value of label name on row, "" when absent. */
const char *report_row_label(const result_row *row, const char *name);

/* v rounded to decimals places the way the seed's pandas/JSON output shows it: trailing zeros
 * dropped but one decimal kept (79.67, 31.8, 9999.0); "" for NaN, "inf"/"-inf". Returns buf. */
const char *report_num(char *buf, size_t len, double v, int decimals);

/* Writes dir/disk_full_prediction.csv: one row per DISK_USAGE row of r, columns
 * instance,mountpoint,current_%,days_to_90pct,ensemble_eta,linear_eta,prophet_eta,alert (days,
 * 9999 for none within range), sorted by days to 90% ascending (ties by instance, mountpoint).
 * Creates dir (and its parents) when missing; writes a temporary file in dir, fsyncs it and
 * renames it over the report, so readers see the old file or the new one, never a part. r may
 * be NULL (header only). Returns 0, or -1 with a one-line message naming the file in err. */
int report_disk_csv(const results *r, const char *dir, char *err, size_t errlen);

/* Prints the console tables for one cycle to out: verbosity < 0 (quiet) prints nothing; 0 the
 * disk forecast table (non-OK disks first, at most 20 rows) and the predictions table (at most
 * 10 series, see report.c); >= 1 also one "DEBUG: disk_alerts[i]={...}" line per non-OK disk
 * (or "DEBUG: disk_alerts=[]"). r may be NULL (before the first cycle). */
void report_console(const results *r, FILE *out, int verbosity);

#endif
