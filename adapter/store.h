/* SPDX-License-Identifier: Apache-2.0
 * adapter/store.h -- the series table: sharded by label-set hash (a power of two of shards, one
 * mutex each), labels interned per shard, one fixed-size record per series holding its fine and
 * coarse rings and counter state. store_ingest() is called from any HTTP worker thread: it groups
 * a request's series by shard and takes each shard lock once per request, never per sample.
 * Reading functions take the shard lock of the series they read. */
#ifndef MAI_ADAPTER_STORE_H
#define MAI_ADAPTER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "adapter/rw_decode.h"
#include "models/ring.h"

typedef struct store store;

typedef struct store_config {
    unsigned shards;            /* power of two */
    size_t max_series;          /* new series past this are refused */
    uint32_t fine_cap;          /* fine ring slots */
    int64_t fine_step_ms;
    uint32_t coarse_cap;        /* coarse ring slots */
    int64_t coarse_step_ms;
} store_config;

/* Outcome of one store_ingest call, in samples unless named otherwise. */
/* Sample timestamps past this distance from 1970 (2^53 ms, about 285 000 years: every one exact
 * as a double) are dropped: bucket arithmetic near the ends of int64 would overflow. */
#define STORE_MAX_ABS_TS_MS (INT64_C(1) << 53)

typedef struct store_result {
    uint64_t accepted;          /* stored, or exact duplicates of the newest sample */
    uint64_t duplicates;        /* of accepted: exact duplicates (retries) */
    uint64_t out_of_order;      /* older than the series' newest sample: dropped */
    uint64_t conflicts;         /* same timestamp as the newest, different value: dropped */
    uint64_t series_limit;      /* refused because the series limit was reached */
    uint64_t bad_timestamp;     /* |timestamp| over STORE_MAX_ABS_TS_MS: dropped */
    uint64_t stale_markers;     /* of accepted: stale markers */
    uint32_t new_series;
    uint32_t refused_series;
    uint32_t kind_changes;      /* series whose kind (counter/gauge) changed with new metadata:
                                 * their history so far was dropped */
} store_result;

typedef struct store_stats {
    uint64_t series;            /* series held */
    uint64_t active;            /* series not ended by a stale marker */
    uint64_t memory_series_bytes;   /* records with their rings */
    uint64_t memory_labels_bytes;   /* interned strings and label arrays */
    uint64_t memory_index_bytes;    /* hash tables */
    uint64_t metadata_families;
} store_stats;

enum store_kind { STORE_GAUGE = 0, STORE_COUNTER = 1 };

/* A copy of one series' state, for tests and the model cycle. */
typedef struct store_series_info {
    int kind;                   /* enum store_kind */
    int stale;
    int64_t last_t_ms;          /* newest raw sample; INT64_MIN when none */
    uint64_t samples;           /* raw samples accepted */
    uint32_t counter_resets;
} store_series_info;

int store_create(const store_config *cfg, store **out);   /* 0, -MAI_EINVAL, -MAI_ENOMEM */
void store_destroy(store *s);                              /* NULL is a no-op */

/* Records metric metadata (family name -> type) from a request's metadata entries. */
void store_set_metadata(store *s, const rw_metadata *meta, uint32_t n);

/* Per-thread scratch space for store_ingest (one per worker thread; grows, never shrinks). */
typedef struct store_scratch store_scratch;
store_scratch *store_scratch_create(void);         /* NULL when out of memory */
void store_scratch_destroy(store_scratch *sc);     /* NULL is a no-op */

/* Appends the valid series of a decoded request. Invalid series (req->series[i].invalid) are
 * skipped. Returns 0 or -MAI_ENOMEM (then res says how far it got). Per sample O(1), no malloc
 * once the series exists and the scratch has grown to the request's size. */
int store_ingest(store *s, const rw_request *req, store_scratch *sc, store_result *res);

void store_get_stats(store *s, store_stats *out);

/* Finds a series by its label set (any order). Returns 0, or -MAI_EINVAL when absent. */
int store_series_get(store *s, const rw_label *labels, uint32_t n, store_series_info *info);

/* Copies a series' fine (coarse = 0) or coarse mean (coarse = 1) ring, oldest first, and the
 * bucket number of out[0]. Returns the number of values, or -MAI_EINVAL when absent. */
long store_series_ring(store *s, const rw_label *labels, uint32_t n, int coarse,
                       float *out, size_t max, int64_t *first_bucket);

/* A stable handle to a series (series are never moved or freed while the store lives). */
typedef struct store_ref {
    void *series;
    uint32_t shard;
} store_ref;

/* A read-only view of one series, valid only during a store_visit callback, apart from model,
 * the series' model slot, which belongs to the model cycle (only its thread reads or writes it). */
typedef struct store_series_view {
    store_ref ref;
    void **model;
    const struct istr *const *labels;  /* 2 * nlabels: name, value, ... sorted by name */
    uint32_t nlabels;
    store_series_info info;
    const ring *fine;
    const ring_agg *coarse;
    int64_t fine_step_ms, coarse_step_ms;
} store_series_view;

/* Called per series; return non-zero to stop the walk. Runs under the series' shard lock: it
 * must be quick and must not call into the store. */
typedef int (*store_visit_fn)(const store_series_view *v, void *ctx);

/* Walks the series whose metric name is name (every series when name.n == 0), shard by shard.
 * O(series); for diagnostics and the cycle, not for the ingest path. */
void store_visit(store *s, mai_str name, store_visit_fn fn, void *ctx);

/* Copies the ring buckets in (after, newest) -- the finished ones: the newest bucket may still
 * receive points -- oldest first (coarse: the means), at most max (the newest max when more).
 * *first gets the bucket number of out[0], *newest the ring's newest bucket (RING_EMPTY when
 * empty). Returns the count. Takes the series' shard lock. after = RING_EMPTY copies every
 * finished bucket the ring holds. */
size_t store_ring_since(store *s, store_ref ref, int coarse, int64_t after, float *out,
                        size_t max, int64_t *first, int64_t *newest);

/* Calls fn with the view of the one series with these labels (any order). Returns fn's result,
 * or -MAI_EINVAL when absent. Runs under the series' shard lock, as store_visit. */
int store_visit_series(store *s, const rw_label *labels, uint32_t n, store_visit_fn fn,
                       void *ctx);

/* ---- persistence (adapter/snapshot.c writes the records into a file) ---- */

/* Receives one serialised record; returns 0, or non-zero to stop the walk. */
typedef int (*store_record_fn)(void *ctx, const uint8_t *rec, size_t n);

/* Emits one record per metadata family (name, type), then one per series: labels, kind, stale
 * flag, last sample, counter state and both rings with their positions, steps and running
 * means (the held buckets only), little-endian. Series go shard by shard under each shard's
 * lock. Returns 0, -MAI_ENOMEM, or fn's non-zero result. */
int store_save(store *s, store_record_fn fn, void *ctx);

/* Restores one record of store_save into a store that no other thread uses yet. Returns 0;
 * -MAI_EPROTO for a malformed record or a series already present; -MAI_EINVAL for a series
 * whose ring steps differ from this store's (not restored; a smaller ring keeps the newest
 * buckets); -MAI_ELIMIT over --max-series; -MAI_ENOMEM. */
int store_load(store *s, const uint8_t *rec, size_t n);

/* Bytes of one series record with its rings (a figure for the docs and benchmarks). */
size_t store_record_bytes(const store *s);

#endif
