/* SPDX-License-Identifier: Apache-2.0
 * models/rate.c -- counter to per-second rate conversion with reset handling (see rate.h). */
#include "rate.h"

#include <math.h>

void rate_init(rate_state *s)
{
    s->t_ms = INT64_MIN;
    s->v = 0;
    s->resets = 0;
}

int rate_update(rate_state *s, int64_t t_ms, double v, double *out_rate)
{
    if (isnan(v)) {            /* a gap: start again from the next real value */
        s->t_ms = INT64_MIN;
        return 0;
    }
    if (s->t_ms == INT64_MIN || t_ms <= s->t_ms) {
        s->t_ms = t_ms;
        s->v = v;
        return 0;
    }
    double inc = v - s->v;
    if (inc < 0) {             /* counter reset: it restarted from zero */
        inc = v;
        s->resets++;
    }
    *out_rate = inc / ((double)(t_ms - s->t_ms) / 1000.0);
    s->t_ms = t_ms;
    s->v = v;
    return 1;
}
