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
