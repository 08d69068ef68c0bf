/* SPDX-License-Identifier: Apache-2.0
 * exporter/alert_payload.h -- the seed's alert payload from a published result set: the counts
 * of the six alert categories, whether any is actionable, the summary line, and the webhook JSON
 * (timestamp, summary_text, text, disk, io_network_crisis, io_network_anomaly, golden_anomaly,
 * classification_anomaly, host_pressure) with the seed's field names and types. */
#ifndef MAI_EXPORTER_ALERT_PAYLOAD_H
#define MAI_EXPORTER_ALERT_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "exporter/results.h"

/* Samples listed per category at most (the totals always count every alert). */
#define ALERT_PAYLOAD_MAX_SAMPLES 50

typedef struct alert_counts {
    uint64_t disk_critical, disk_warning, disk_soon, disk_total;
    uint64_t io_network_crisis, io_network_anomaly, golden_anomaly;
    uint64_t classification_anomaly;    /* flagged nodes */
    uint64_t host_pressure;             /* nodes under host pressure */
} alert_counts;

/* The counts of r (all zero when r is NULL). */
void alert_counts_of(const results *r, alert_counts *out);

/* 1 when any category is non-zero: the webhook is sent only then. */
int alert_actionable(const alert_counts *c);

/* The seed's summary line, UTF-8 arrows: "Disk → 0 critical, 0 warning, 1 soon | I/O+Network
 * Crisis → 0 | I/O+Network Anomaly → 0 | Golden Signals → 0 | Classification Anomalies → 1 |
 * Host Pressure → 1". Truncated to len - 1 bytes. Returns the length it needed. */
size_t alert_summary_text(const alert_counts *c, char *buf, size_t len);

/* "2025-11-21T11:32:56.529548" (ISO, microseconds) and "2025-11-21 11:32:56" of t in UTC. */
void alert_iso_time(const struct timespec *t, char out[32]);
void alert_detected_at(const struct timespec *t, char out[32]);

/* The webhook payload of r at wall-clock time now, compact JSON (malloc'd, free it), or NULL
 * when out of memory. r may be NULL (all categories empty). Counts are integers, values floats
 * printed as Python does (79.67, 9999.0); days are rounded to 2 decimals (9999.0 = none within
 * range), usages and scores to 6. */
char *alert_payload_json(const results *r, const struct timespec *now);

#endif
