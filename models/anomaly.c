/* SPDX-License-Identifier: Apache-2.0
 * models/anomaly.c -- streaming anomaly score (see anomaly.h). The deviation of the point, and
 * of a short EW mean, from an EW level fixed before the point is seen, is standardised by the
 * running extreme of past deviations of the same sign: matching the record scores 0.5. The
 * score then decays from the highest recent value rather than dropping at once (hold). */
#include "models/anomaly.h"

#include <math.h>

#include "models/base.h"

void an_config_default(an_config *c)
{
    *c = (an_config){
        .direction = AN_BOTH,
        .min_change = 0,
        .persistence = 1,
        .level_alpha = 0.1,
        .spans = {1, 6},
        .warm = 100,
        .half_life = 0,
        .hold_half_life = 30,
    };
}

int an_init(an_state *s, const an_config *c)
{
    if (c->persistence == 0 || c->persistence > AN_MAX_PERSIST || !(c->min_change >= 0) ||
        (c->direction != AN_BOTH && c->direction != AN_UP && c->direction != AN_DOWN) ||
        !(c->level_alpha > 0 && c->level_alpha <= 1) || !(c->half_life >= 0) ||
        !(c->hold_half_life >= 0))
        return -MAI_EINVAL;
    for (int j = 0; j < AN_SCALES; j++)
        if (c->spans[j] == 0)
            return -MAI_EINVAL;
    *s = (an_state){.c = *c};
    s->decay = c->half_life > 0 ? pow(0.5, 1.0 / c->half_life) : 1.0;
    s->hold_decay = c->hold_half_life > 0 ? pow(0.5, 1.0 / c->hold_half_life) : 0.0;
    return 0;
}

/* q = deviation / past extreme, mapped so that q = 1 (as surprising as the worst seen) gives
 * 0.5, 1.2 gives 0.87, 1.44 gives 0.99 and 0.8 gives 0.17. */
static double map_ratio(double q)
{
    if (!(q > 0))
        return 0;
    if (q > 3)
        return 1;
    double q3 = q * q * q;
    return 1.0 - exp(-M_LN2 * q3 * q3);
}

double an_update(an_state *s, double y)
{
    if (!isfinite(y))       /* NaN, the stale marker, +-Inf: missing */
        return 0;
    const an_config *c = &s->c;
    if (s->seen++ == 0) {
        s->level = y;
        for (int j = 0; j < AN_SCALES; j++)
            s->sm[j] = y;
        return s->last = 0;
    }
    /* a deviation this small relative to the level is rounding, not signal */
    double tiny = 1e-9 * (fabs(s->level) + 1e-300);
    double raw = 0;
    /* the deviations of the point K back leave the window: fold them into the extremes */
    for (int j = 0; j < AN_SCALES; j++) {
        double d = s->dev[s->pos][j];
        s->hi[j][0] *= s->decay;
        s->hi[j][1] *= s->decay;
        if (fabs(d) > s->hi[j][d < 0])
            s->hi[j][d < 0] = fabs(d);
    }
    for (int j = 0; j < AN_SCALES; j++) {
        double a = 2.0 / ((double)c->spans[j] + 1.0);
        s->sm[j] += a * (y - s->sm[j]);
        double r = s->sm[j] - s->level;     /* the level predates y: no look-ahead */
        int dir = r < 0;                    /* 0 up, 1 down */
        double mag = fabs(r);
        int wanted = c->direction == AN_BOTH || (c->direction == AN_UP && !dir) ||
                     (c->direction == AN_DOWN && dir);
        if (s->seen > c->warm && wanted && mag >= c->min_change && mag > tiny) {
            double h = s->hi[j][dir] > tiny ? s->hi[j][dir] : tiny;
            double q = map_ratio(mag / h);
            if (q > raw)
                raw = q;
        }
        s->dev[s->pos][j] = r;
    }
    /* Huber-style level update: a spike moves the level by at most 2 robust scales, so it does
     * not bias the residuals of the points after it; the scale itself follows lasting change */
    double e = y - s->level, ae = fabs(e);
    if (s->seen == 2)
        s->mad = ae;
    double lim = 2.0 * s->mad;
    if (s->mad > 0 && ae > lim)
        e = e > 0 ? lim : -lim;
    s->level += c->level_alpha * e;
    s->mad += 0.02 * ((s->mad > 0 && ae > 3.0 * s->mad ? 3.0 * s->mad : ae) - s->mad);
    s->raw[s->pos] = raw;
    s->pos = (s->pos + 1) % c->persistence;
    double out = raw;
    for (uint32_t k = 0; k < c->persistence; k++)
        if (s->raw[k] < out)
            out = s->raw[k];
    if (s->seen <= c->persistence)  /* fewer than K points: the ring is not full yet */
        out = 0;
    /* hold: a decaying memory of the highest recent score (hold_decay 0 = off) */
    s->held *= s->hold_decay;
    if (out > s->held)
        s->held = out;
    return s->last = s->held;
}
