/* SPDX-License-Identifier: Apache-2.0
 * exporter/self_metrics.h -- writes metrics-ai's own metrics (ingest counters, request codes and
 * latency, series counts, memory, process figures) as exposition text. Reads the atomic
 * counters and a store snapshot handed in by the caller; never the live store. */
#ifndef MAI_EXPORTER_SELF_METRICS_H
#define MAI_EXPORTER_SELF_METRICS_H

#include <stdint.h>

#include "adapter/selfstats.h"
#include "exporter/expo.h"

/* Figures the HTTP layer reads from the store just before a scrape. */
typedef struct self_metrics_store {
    uint64_t series, active, series_limit, metadata_families;
    uint64_t memory_series_bytes, memory_labels_bytes, memory_index_bytes;
    uint64_t record_bytes;
    uint64_t fine_slots, fine_step_s, coarse_slots, coarse_step_s;
} self_metrics_store;

void self_metrics_write(expo_buf *b, const selfstats *st, const self_metrics_store *ss);

#endif
