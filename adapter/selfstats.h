/* SPDX-License-Identifier: Apache-2.0
 * adapter/selfstats.h -- the process' own counters (samples received, accepted, rejected by
 * reason; requests by code and protocol version; request latency histogram). Lock-free atomics
 * updated by HTTP worker threads, read by the /metrics page. */
#ifndef MAI_ADAPTER_SELFSTATS_H
#define MAI_ADAPTER_SELFSTATS_H

#include <stdatomic.h>
#include <stdint.h>

/* Why samples were not stored (label values of metrics_ai_samples_rejected_total). */
enum selfstats_reject {
    REJ_OUT_OF_ORDER = 0,
    REJ_DUPLICATE_TIMESTAMP,    /* same timestamp as the newest sample, another value */
    REJ_SERIES_LIMIT,
    REJ_NO_METRIC_NAME,
    REJ_EMPTY_LABEL_NAME,
    REJ_DUPLICATE_LABEL,
    REJ_TOO_MANY_LABELS,
    REJ_LABEL_TOO_LONG,
    REJ_BAD_SYMBOL_REF,
    REJ_SAMPLES_AND_HISTOGRAMS,
    REJ_INVALID_UTF8,
    REJ_TIMESTAMP_RANGE,        /* more than 2^53 ms from 1970 */
    REJ__COUNT
};

enum selfstats_code { CODE_204, CODE_400, CODE_404, CODE_405, CODE_413, CODE_415, CODE_500,
                      CODE_503, CODE__COUNT };
enum selfstats_version { VER_UNKNOWN, VER_1, VER_2, VER__COUNT };

#define SELFSTATS_LATENCY_BUCKETS 14

typedef struct selfstats {
    atomic_uint_fast64_t samples_received;
    atomic_uint_fast64_t samples_accepted;
    atomic_uint_fast64_t samples_duplicate;
    atomic_uint_fast64_t stale_markers;
    atomic_uint_fast64_t samples_rejected[REJ__COUNT];
    atomic_uint_fast64_t histograms_dropped;
    atomic_uint_fast64_t exemplars_received;
    atomic_uint_fast64_t metadata_received;
    atomic_uint_fast64_t series_created;
    atomic_uint_fast64_t series_kind_changes;   /* history dropped: counter <-> gauge */
    atomic_uint_fast64_t requests[VER__COUNT][CODE__COUNT];
    atomic_uint_fast64_t latency_bucket[SELFSTATS_LATENCY_BUCKETS]; /* not cumulative */
    atomic_uint_fast64_t latency_count;
    atomic_uint_fast64_t latency_sum_ns;
    atomic_uint_fast64_t inflight;
    atomic_uint_fast64_t decode_buffer_bytes;
    atomic_uint_fast64_t connections_timed_out; /* headers or body over --request-timeout */
    int64_t start_time_s;
} selfstats;

extern selfstats g_selfstats;

extern const double selfstats_latency_bounds[SELFSTATS_LATENCY_BUCKETS];  /* seconds */
extern const char *const selfstats_reject_names[REJ__COUNT];
extern const char *const selfstats_code_names[CODE__COUNT];
extern const char *const selfstats_version_names[VER__COUNT];

int selfstats_code_index(unsigned http_status);
void selfstats_observe_request(int version, unsigned http_status, int64_t duration_ns);

static inline void selfstats_add(atomic_uint_fast64_t *c, uint64_t n)
{
    if (n)
        atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

#endif
