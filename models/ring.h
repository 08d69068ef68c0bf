/* SPDX-License-Identifier: Apache-2.0
 * models/ring.h -- fixed-capacity time rings, indexed by absolute bucket number (t / step).
 * The fine ring holds one float per step (the mean of that step's points); the coarse ring holds
 * mean, min and max per bucket. Slots are caller memory (a series record's tail); rings never
 * allocate and are never reallocated. An empty slot holds NaN. Not thread-safe: the owner (the
 * store's shard lock) serialises access. */
#ifndef MAI_MODELS_RING_H
#define MAI_MODELS_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_EMPTY INT64_MIN

/* One step per slot: 4 bytes a slot. Invariant: count == 0 <=> last == RING_EMPTY. */
typedef struct ring {
    float *slot;        /* cap floats, caller-owned */
    uint32_t cap;
    uint32_t count;     /* slots in use, oldest = last - count + 1 */
    int64_t last;       /* bucket number of the newest slot */
    double cur_sum;     /* sum and count of the points merged into the newest slot */
    uint32_t cur_n;
} ring;

/* Mean, min and max per bucket: 12 bytes a slot. */
typedef struct ring_agg_slot {
    float mean, min, max;
} ring_agg_slot;

typedef struct ring_agg {
    ring_agg_slot *slot;
    uint32_t cap;
    uint32_t count;
    int64_t last;
    double cur_sum;
    uint32_t cur_n;
} ring_agg;

void ring_init(ring *r, float *slots, uint32_t cap);
void ring_agg_init(ring_agg *r, ring_agg_slot *slots, uint32_t cap);

/* Merges v into bucket b. b == last: running mean; b > last: slots between stay NaN and the
 * oldest fall off; b < last: refused. Returns 0, or -1 when b is older than the newest bucket.
 * O(min(b - last, cap)), no allocation. */
int ring_add(ring *r, int64_t b, double v);
int ring_agg_add(ring_agg *r, int64_t b, double v);

/* Value of bucket b, or NaN when b is outside the ring or empty. O(1). */
float ring_get(const ring *r, int64_t b);
ring_agg_slot ring_agg_get(const ring_agg *r, int64_t b);

/* Copies the ring oldest to newest into out (at most max values); *first gets the bucket number
 * of out[0]. Returns the number copied. */
size_t ring_copy(const ring *r, float *out, size_t max, int64_t *first);

/* Puts a saved ring back: vals[0..count) are buckets last - count + 1 .. last, oldest first
 * (only the newest cap are kept when count > cap); cur_sum and cur_n are the newest bucket's
 * running mean. Returns 0, or -1 for count > 0 with last == RING_EMPTY. */
int ring_restore(ring *r, int64_t last, uint32_t count, const float *vals, double cur_sum,
                 uint32_t cur_n);
int ring_agg_restore(ring_agg *r, int64_t last, uint32_t count, const ring_agg_slot *vals,
                     double cur_sum, uint32_t cur_n);

/* Empties the ring (keeps its memory). */
void ring_clear(ring *r);
void ring_agg_clear(ring_agg *r);

#endif
