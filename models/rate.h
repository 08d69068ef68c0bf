/* SPDX-License-Identifier: Apache-2.0
 * models/rate.h -- turns a counter's raw samples into per-second rates, with reset handling as
 * Prometheus' rate() does: a drop in value means the counter restarted from zero, so the increase
 * over that interval is the new value itself. O(1), no allocation. */
#ifndef MAI_MODELS_RATE_H
#define MAI_MODELS_RATE_H

#include <stdint.h>

typedef struct rate_state {
    int64_t t_ms;       /* time of the previous raw sample; INT64_MIN when there is none */
    double v;           /* previous raw value */
    uint32_t resets;    /* resets seen */
} rate_state;

void rate_init(rate_state *s);

/* Feeds one raw counter sample (t_ms after the previous one). Returns 1 and sets *out_rate
 * (per second) when a rate is known, 0 for the first sample after init or after a NaN value. */
int rate_update(rate_state *s, int64_t t_ms, double v, double *out_rate);

#endif
