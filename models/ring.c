/* SPDX-License-Identifier: Apache-2.0
 * models/ring.c -- fine and coarse time rings (see ring.h). Each add is O(1) apart from the NaN
 * fill of skipped buckets, which is bounded by the capacity. */
#include "ring.h"

#include <math.h>

static uint32_t slot_of(int64_t b, uint32_t cap)
{
    int64_t m = b % (int64_t)cap;
    return (uint32_t)(m < 0 ? m + cap : m);
}

void ring_init(ring *r, float *slots, uint32_t cap)
{
    r->slot = slots;
    r->cap = cap;
    ring_clear(r);
}

void ring_clear(ring *r)
{
    for (uint32_t i = 0; i < r->cap; i++)
        r->slot[i] = NAN;
    r->count = 0;
    r->last = RING_EMPTY;
    r->cur_sum = 0;
    r->cur_n = 0;
}

/* Moves the newest bucket to b > last, clearing the slots skipped over. */
static void advance(uint32_t *count, int64_t *last, uint32_t cap, int64_t b,
                    void (*clear_slot)(void *, uint32_t), void *slots)
{
    if (*last == RING_EMPTY) {
        clear_slot(slots, slot_of(b, cap));
        *count = 1;
        *last = b;
        return;
    }
    int64_t gap = b - *last;
    int64_t fill = gap < (int64_t)cap ? gap : (int64_t)cap;
    for (int64_t k = 0; k < fill; k++)
        clear_slot(slots, slot_of(b - k, cap));
    uint64_t n = (uint64_t)*count + (uint64_t)gap;
    *count = n > cap ? cap : (uint32_t)n;
    *last = b;
}

static void clear_float(void *slots, uint32_t i)
{
    ((float *)slots)[i] = NAN;
}

static void clear_agg(void *slots, uint32_t i)
{
    ring_agg_slot *s = slots;
    s[i].mean = s[i].min = s[i].max = NAN;
}

int ring_add(ring *r, int64_t b, double v)
{
    if (r->last != RING_EMPTY && b < r->last)
        return -1;
    if (r->last == RING_EMPTY || b > r->last) {
        advance(&r->count, &r->last, r->cap, b, clear_float, r->slot);
        r->cur_sum = 0;
        r->cur_n = 0;
    }
    r->cur_sum += v;
    r->cur_n++;
    r->slot[slot_of(b, r->cap)] = (float)(r->cur_sum / r->cur_n);
    return 0;
}

float ring_get(const ring *r, int64_t b)
{
    if (r->count == 0 || b > r->last || b <= r->last - (int64_t)r->count)
        return NAN;
    return r->slot[slot_of(b, r->cap)];
}

size_t ring_copy(const ring *r, float *out, size_t max, int64_t *first)
{
    size_t n = r->count < max ? r->count : max;
    int64_t b0 = r->last - (int64_t)n + 1;
    for (size_t i = 0; i < n; i++)
        out[i] = r->slot[slot_of(b0 + (int64_t)i, r->cap)];
    if (first)
        *first = n ? b0 : RING_EMPTY;
    return n;
}

void ring_agg_init(ring_agg *r, ring_agg_slot *slots, uint32_t cap)
{
    r->slot = slots;
    r->cap = cap;
    ring_agg_clear(r);
}

void ring_agg_clear(ring_agg *r)
{
    for (uint32_t i = 0; i < r->cap; i++)
        clear_agg(r->slot, i);
    r->count = 0;
    r->last = RING_EMPTY;
    r->cur_sum = 0;
    r->cur_n = 0;
}

int ring_agg_add(ring_agg *r, int64_t b, double v)
{
    if (r->last != RING_EMPTY && b < r->last)
        return -1;
    if (r->last == RING_EMPTY || b > r->last) {
        advance(&r->count, &r->last, r->cap, b, clear_agg, r->slot);
        r->cur_sum = 0;
        r->cur_n = 0;
    }
    ring_agg_slot *s = &r->slot[slot_of(b, r->cap)];
    float fv = (float)v;
    if (r->cur_n == 0) {
        s->min = s->max = fv;
    } else {
        if (fv < s->min)
            s->min = fv;
        if (fv > s->max)
            s->max = fv;
    }
    r->cur_sum += v;
    r->cur_n++;
    s->mean = (float)(r->cur_sum / r->cur_n);
    return 0;
}

ring_agg_slot ring_agg_get(const ring_agg *r, int64_t b)
{
    if (r->count == 0 || b > r->last || b <= r->last - (int64_t)r->count) {
        ring_agg_slot e = {NAN, NAN, NAN};
        return e;
    }
    return r->slot[slot_of(b, r->cap)];
}

/* The bucket range a restore keeps: count clipped to cap, and the index of the first kept value. */
static int restore_range(int64_t last, uint32_t *count, uint32_t cap, uint32_t *skip)
{
    if (*count > 0 && (last == RING_EMPTY || last < INT64_MIN + (int64_t)*count))
        return -1;
    *skip = *count > cap ? *count - cap : 0;
    *count -= *skip;
    return 0;
}

int ring_restore(ring *r, int64_t last, uint32_t count, const float *vals, double cur_sum,
                 uint32_t cur_n)
{
    uint32_t skip;
    if (restore_range(last, &count, r->cap, &skip) != 0)
        return -1;
    ring_clear(r);
    if (count == 0)
        return 0;
    for (uint32_t i = 0; i < count; i++)
        r->slot[slot_of(last - (int64_t)count + 1 + i, r->cap)] = vals[skip + i];
    r->count = count;
    r->last = last;
    r->cur_sum = cur_sum;
    r->cur_n = cur_n;
    return 0;
}

int ring_agg_restore(ring_agg *r, int64_t last, uint32_t count, const ring_agg_slot *vals,
                     double cur_sum, uint32_t cur_n)
{
    uint32_t skip;
    if (restore_range(last, &count, r->cap, &skip) != 0)
        return -1;
    ring_agg_clear(r);
    if (count == 0)
        return 0;
    for (uint32_t i = 0; i < count; i++)
        r->slot[slot_of(last - (int64_t)count + 1 + i, r->cap)] = vals[skip + i];
    r->count = count;
    r->last = last;
    r->cur_sum = cur_sum;
    r->cur_n = cur_n;
    return 0;
}
