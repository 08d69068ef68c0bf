/* SPDX-License-Identifier: Apache-2.0
 * models/anomaly.c -- streaming anomaly score (see anomaly.h). Three predictors run side by
 * side on every point: an EW level of the series; the same of the series minus a daily profile;
 * and minus a weekly profile. The one with the smallest recent absolute residual is used, so a
 * daily peak that the profile expects is not a deviation. Its deviations (of the point and of
 * two EW means) from its level, fixed before the point is seen, are divided by the largest past
 * deviation of the same sign and scale from before the current episode (and by at least a few
 * robust scales): matching that record scores 0.5, twice it 0.94. A lasting step far beyond the
 * noise moves the level to the new regime at once, so it is scored at its onset only. The score
 * then decays from the highest recent value rather than dropping at once (hold). */
#include "models/anomaly.h"

#include <math.h>

#include "models/base.h"

#define AN_REF_STEP 300.0   /* the grid the default time constants are set for, seconds */

void an_config_default(an_config *c)
{
    *c = (an_config){
        .direction = AN_BOTH,
        .min_change = 0,
        .persistence = 1,
        .day_points = 0,
        .level_alpha = 0.1,
        .scale_alpha = 0.02,
        .fit_alpha = 0.003,
        .profile_alpha = 0.1,
        .pick_ratio = 0.9,
        .scale_floor = 3.0,
        .spans = {1, 12, 48},
        .warm = 100,
        .record_delay = 48,
        .shift_scales = 8.0,
        .shift_points = 20,
        .half_life = 0,
        .hold_half_life = 10,
    };
}

uint32_t an_day_points(double step_s)
{
    if (!(step_s > 0) || step_s > 86400.0 / AN_DAY_BINS)
        return 0;
    double n = 86400.0 / step_s;
    if (fabs(n - floor(n + 0.5)) > 1e-6 * n)
        return 0;
    return (uint32_t)floor(n + 0.5);
}

/* The EW weight that covers f times as many points as a. */
static double stretch_alpha(double a, double f)
{
    return 1.0 - pow(1.0 - a, 1.0 / f);
}

/* n points stretched by f, at least 1. */
static uint32_t stretch_points(uint32_t n, double f)
{
    double v = floor((double)n * f + 0.5);
    return v < 1 ? 1 : v > 1e9 ? 1000000000u : (uint32_t)v;
}

void an_config_for_step(an_config *c, double step_s)
{
    c->day_points = an_day_points(step_s);
    if (!(step_s > 0) || !isfinite(step_s))
        return;
    double f = AN_REF_STEP / step_s;
    c->level_alpha = stretch_alpha(c->level_alpha, f);
    c->scale_alpha = stretch_alpha(c->scale_alpha, f);
    c->fit_alpha = stretch_alpha(c->fit_alpha, f);
    for (int j = 0; j < AN_SCALES; j++)
        if (c->spans[j] > 1)
            c->spans[j] = stretch_points(c->spans[j], f);
    c->warm = stretch_points(c->warm, f);
    c->record_delay = stretch_points(c->record_delay, f);
    c->shift_points = stretch_points(c->shift_points, f);
    c->half_life *= f;
    c->hold_half_life *= f;
}

static int weight_ok(double a)
{
    return a > 0 && a <= 1;
}

int an_init(an_state *s, const an_config *c)
{
    if (c->persistence == 0 || c->persistence > AN_MAX_PERSIST || !(c->min_change >= 0) ||
        (c->direction != AN_BOTH && c->direction != AN_UP && c->direction != AN_DOWN) ||
        !weight_ok(c->level_alpha) || !weight_ok(c->scale_alpha) || !weight_ok(c->fit_alpha) ||
        !weight_ok(c->profile_alpha) || !weight_ok(c->pick_ratio) || !(c->scale_floor >= 0) ||
        !(c->shift_scales >= 0) || (c->shift_scales > 0 && c->shift_points == 0) ||
        !(c->half_life >= 0) || !(c->hold_half_life >= 0))
        return -MAI_EINVAL;
    for (int j = 0; j < AN_SCALES; j++)
        if (c->spans[j] == 0)
            return -MAI_EINVAL;
    if (c->record_delay == 0)
        return -MAI_EINVAL;
    *s = (an_state){.c = *c};
    s->decay = c->half_life > 0 ? pow(0.5, 1.0 / c->half_life) : 1.0;
    s->hold_decay = c->hold_half_life > 0 ? pow(0.5, 1.0 / c->hold_half_life) : 0.0;
    return 0;
}

/* q = deviation / past extreme, mapped by q^4 / (1 + q^4): as surprising as the worst seen
 * gives 0.5, 1.5x it 0.84, 2x 0.94, 3x 0.99. It does not saturate, so bigger events keep
 * ranking above smaller ones under one threshold. */
static double map_ratio(double q)
{
    if (!(q > 0))
        return 0;
    if (q > 1e3)
        return 1;
    double q4 = q * q * q * q;
    return q4 / (1.0 + q4);
}

/* Where the clock is in a cycle of `period` points carrying nb knots at the bin centres: the
 * two knots around it and the weight of the second (linear interpolation). */
typedef struct knots {
    uint32_t a, b;
    double w;
} knots;

static knots knots_at(uint32_t phase, uint64_t period, uint32_t nb)
{
    double x = (double)phase * nb / (double)period - 0.5;
    double f = floor(x);    /* -1 .. nb-1: before the first knot wraps to the last */
    knots r;
    r.a = f < 0 ? nb - 1 : (uint32_t)f;
    r.b = r.a + 1 == nb ? 0 : r.a + 1;
    r.w = x - f;
    return r;
}

typedef struct profile_view {
    double *v, *sum;
    uint32_t nb;
    uint64_t period;    /* points */
} profile_view;

static profile_view view(an_state *s, int k)
{
    uint64_t day = s->c.day_points;
    if (k == 1)
        return (profile_view){s->day, &s->day_sum, AN_DAY_BINS, day};
    return (profile_view){s->week, &s->week_sum, AN_WEEK_BINS, 7 * day};
}

static int wanted(const an_config *c, int down)
{
    return c->direction == AN_BOTH || (c->direction == AN_UP && !down) ||
           (c->direction == AN_DOWN && down);
}

/* The predictor to score with: the plain level, unless a warm profile fits clearly better. */
static int pick(an_state *s, uint64_t tick, int npred)
{
    int use = 0;
    double best = s->p[0].fit;
    for (int k = 1; k < npred; k++) {
        profile_view pv = view(s, k);
        if (tick >= pv.period + s->c.warm && s->p[k].fit < s->c.pick_ratio * best) {
            best = s->p[k].fit;
            use = k;
        }
    }
    return use;
}

/* Scores y with predictor k (when k is `use`), then updates its level, scale, fit and profile.
 * Returns the raw score of the point from this predictor (0 unless k == use). */
static double step_predictor(an_state *s, int k, int use, uint64_t tick, double y)
{
    const an_config *c = &s->c;
    an_pred *p = &s->p[k];
    double yd = y;
    knots kn = {0, 0, 0};
    profile_view pv = {0};
    int warm = s->seen > c->warm;
    if (k > 0) {
        pv = view(s, k);
        kn = knots_at(s->phase[k], pv.period, pv.nb);
        yd = y - ((1 - kn.w) * pv.v[kn.a] + kn.w * pv.v[kn.b] - *pv.sum / pv.nb);
        warm = warm && tick >= pv.period + c->warm;
    }
    /* a deviation this small relative to the level is rounding, not signal */
    double tiny = 1e-9 * (fabs(p->level) + 1e-300);
    /* records: when the current block of D points is full, the block before it joins them */
    uint32_t delay = c->record_delay > c->persistence ? c->record_delay : c->persistence;
    int roll = ++p->nblk > delay;
    if (roll)
        p->nblk = 1;
    for (int j = 0; j < AN_SCALES; j++)
        for (int d = 0; d < 2; d++) {
            p->hi[j][d] *= s->decay;
            if (roll) {
                if (p->prev[j][d] > p->hi[j][d])
                    p->hi[j][d] = p->prev[j][d];
                p->prev[j][d] = p->blk[j][d];
                p->blk[j][d] = 0;
            }
        }
    double raw = 0;
    for (int j = 0; j < AN_SCALES; j++) {
        double a = 2.0 / ((double)c->spans[j] + 1.0);
        p->sm[j] += a * (yd - p->sm[j]);
        double r = p->sm[j] - p->level;     /* the level predates y: no look-ahead */
        int down = r < 0;
        double mag = fabs(r);
        if (k == use && warm && wanted(c, down) && mag >= c->min_change && mag > tiny) {
            double h = p->hi[j][down];
            if (h < c->scale_floor * p->mad)
                h = c->scale_floor * p->mad;
            if (h < tiny)
                h = tiny;
            double q = map_ratio(mag / h);
            if (q > raw)
                raw = q;
        }
        if (warm && mag > p->blk[j][down])  /* records start once the predictor is warm */
            p->blk[j][down] = mag;
    }
    /* A shift: shift_points points in a row, each far beyond the noise on the same side of the
     * level. The level jumps to their mean and the EW means restart there: the step has been
     * scored at its onset (against the old level) and the new level is not a deviation any more,
     * where the capped updates below would take hours to reach it. */
    double e = yd - p->level, ae = fabs(e);
    int side = e > 0 ? 1 : -1;
    if (c->shift_scales > 0 && p->mad > 0 && ae > c->shift_scales * p->mad) {
        if (side != p->run_sign) {
            p->run_sign = side;
            p->run = 0;
            p->run_sum = 0;
        }
        p->run++;
        p->run_sum += yd;
        if (p->run >= c->shift_points) {
            p->level = p->run_sum / p->run;
            for (int j = 1; j < AN_SCALES; j++)
                p->sm[j] = p->level;
            p->run = 0;
            p->run_sum = 0;
            p->run_sign = 0;
            /* a profile's fit restarts from the plain level's, as when the profile started:
             * its fit was measured in the regime before the shift, so the profile has to beat
             * the plain level again in the new regime before it is picked */
            if (k > 0)
                p->fit = s->p[0].fit;
            e = yd - p->level;
            ae = fabs(e);
        }
    } else {
        p->run = 0;
        p->run_sum = 0;
        p->run_sign = 0;
    }
    /* Huber-style updates: a spike moves the level by at most 2 robust scales, so it does not
     * bias the residuals of the points after it; the scale follows lasting change */
    if (s->seen == 2)
        p->mad = p->fit = ae;
    double lim = 2.0 * p->mad;
    double ec = p->mad > 0 && ae > lim ? (e > 0 ? lim : -lim) : e;
    p->level += c->level_alpha * ec;
    double aclip = p->mad > 0 && ae > 3.0 * p->mad ? 3.0 * p->mad : ae;
    p->mad += c->scale_alpha * (aclip - p->mad);
    if (k > 0 && !p->started && warm) {
        p->started = 1;
        p->fit = s->p[0].fit;               /* a profile starts even with the plain level */
    }
    p->fit += c->fit_alpha * (aclip - p->fit);
    if (k > 0) {
        /* the profile learns the clipped residual: a plain mean over the first cycles, then
         * an EW mean with weight profile_alpha per cycle */
        double pa = 1.0 / ((double)s->cycles[k] + 1.0);
        if (pa < c->profile_alpha)
            pa = c->profile_alpha;
        double da = pa * (1 - kn.w) * ec, db = pa * kn.w * ec;
        pv.v[kn.a] += da;
        pv.v[kn.b] += db;
        *pv.sum += da + db;
    }
    return raw;
}

double an_update(an_state *s, double y)
{
    const an_config *c = &s->c;
    int npred = c->day_points > 0 ? AN_PREDICTORS : 1;
    uint64_t tick = s->tick++;
    if (tick > 0)           /* the profiles' clocks: phase and whole cycles of this point */
        for (int k = 1; k < npred; k++)
            if (++s->phase[k] == view(s, k).period) {
                s->phase[k] = 0;
                s->cycles[k]++;
            }
    if (!isfinite(y))       /* NaN, the stale marker, +-Inf: missing */
        return 0;
    if (s->seen++ == 0) {
        for (int k = 0; k < npred; k++) {
            s->p[k].level = y;
            for (int j = 0; j < AN_SCALES; j++)
                s->p[k].sm[j] = y;
        }
        return s->last = 0;
    }
    int use = pick(s, tick, npred);
    s->used = use;
    double raw = 0;
    for (int k = 0; k < npred; k++) {
        double r = step_predictor(s, k, use, tick, y);
        if (r > raw)
            raw = r;
    }
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
