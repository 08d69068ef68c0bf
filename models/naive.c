/* SPDX-License-Identifier: Apache-2.0
 * models/naive.c -- naive and seasonal naive forecasters (see naive.h). Intervals follow
 * Hyndman & Athanasopoulos, FPP3 section 5.5: naive sigma_h = sigma * sqrt(h); seasonal naive
 * sigma_h = sigma * sqrt(k + 1), k = floor((h - 1) / m). Deviation: sigma is the root mean square
 * of the observed changes (no mean removed), tracked online over the whole history. Gaps (NaN)
 * are skipped; the season index still advances, so a missing season slot keeps its old value. */
#include "naive.h"

#include <math.h>
#include <string.h>

#include "base.h"


typedef struct naive_state {
    double last;            /* newest finite value */
    double sq_sum;          /* sum of squared changes (one step for naive, one season for snaive) */
    uint64_t n_changes;
    uint64_t seen;          /* finite points seen */
    uint64_t pos;           /* points (incl. gaps) fed: the season index */
    uint32_t m;             /* season length, 0 for naive */
    uint32_t pad;
    /* snaive: double season[m] follows, NaN where nothing was seen */
} naive_state;

static double *season_of(naive_state *s)
{
    return (double *)(s + 1);
}

static const double *season_of_c(const naive_state *s)
{
    return (const double *)(s + 1);
}

static size_t naive_size(const fc_params *p)
{
    (void)p;
    return sizeof(naive_state);
}

static size_t snaive_size(const fc_params *p)
{
    return sizeof(naive_state) + (size_t)p->season_day * sizeof(double);
}

static size_t no_scratch(const fc_params *p, size_t n)
{
    (void)p;
    (void)n;
    return 0;
}

static void init_common(naive_state *s, uint32_t m)
{
    memset(s, 0, sizeof *s);
    s->last = NAN;
    s->m = m;
    for (uint32_t i = 0; i < m; i++)
        season_of(s)[i] = NAN;
}

static void naive_init(void *state, const fc_params *p)
{
    (void)p;
    init_common(state, 0);
}

static void snaive_init(void *state, const fc_params *p)
{
    init_common(state, p->season_day);
}

static void naive_update(void *state, double y)
{
    naive_state *s = state;
    s->pos++;
    if (!isfinite(y))
        return;
    if (s->seen > 0) {
        double d = y - s->last;
        s->sq_sum += d * d;
        s->n_changes++;
    }
    s->last = y;
    s->seen++;
}

static void snaive_update(void *state, double y)
{
    naive_state *s = state;
    if (s->m == 0) {
        naive_update(state, y);
        return;
    }
    uint32_t k = (uint32_t)(s->pos % s->m);
    s->pos++;
    if (!isfinite(y))
        return;
    double *season = season_of(s);
    if (!isnan(season[k])) {
        double d = y - season[k];
        s->sq_sum += d * d;
        s->n_changes++;
    }
    season[k] = y;
    s->last = y;
    s->seen++;
}

static int fit_by_replay(void *state, const double *y, size_t n, void (*update)(void *, double),
                         const fc_params *p, void (*init)(void *, const fc_params *))
{
    init(state, p);
    for (size_t i = 0; i < n; i++)
        update(state, y[i]);
    return ((naive_state *)state)->seen > 0 ? 0 : -MAI_EINVAL;
}

static int naive_fit(void *state, const double *y, size_t n, void *scratch)
{
    (void)scratch;
    fc_params p = {0};
    return fit_by_replay(state, y, n, naive_update, &p, naive_init);
}

static int snaive_fit(void *state, const double *y, size_t n, void *scratch)
{
    (void)scratch;
    fc_params p = {.season_day = ((naive_state *)state)->m};
    return fit_by_replay(state, y, n, snaive_update, &p, snaive_init);
}

/* RMS of the observed changes, or a wide stand-in (the level's size) before there are any. */
static double sigma_of(const naive_state *s)
{
    if (s->n_changes > 0)
        return sqrt(s->sq_sum / (double)s->n_changes);
    double level = isfinite(s->last) ? fabs(s->last) : 0;
    return level > 0 ? level : 1.0;
}


static int naive_forecast(const void *state, size_t h, fc_output *out)
{
    const naive_state *s = state;
    if (h == 0)
        return -MAI_EINVAL;
    double last = isfinite(s->last) ? s->last : 0;
    double sigma = sigma_of(s);
    for (size_t k = 0; k < h; k++)
        fc_output_put(out, k, last, sigma * sqrt((double)(k + 1)));
    return 0;
}

static int snaive_forecast(const void *state, size_t h, fc_output *out)
{
    const naive_state *s = state;
    if (h == 0)
        return -MAI_EINVAL;
    if (s->m == 0 || s->pos < s->m || s->n_changes == 0)
        return naive_forecast(state, h, out);
    const double *season = season_of_c(s);
    double last = isfinite(s->last) ? s->last : 0;
    double sigma = sigma_of(s);
    for (size_t k = 0; k < h; k++) {
        double v = season[(s->pos + k) % s->m];
        double periods = (double)(k / s->m + 1);
        fc_output_put(out, k, isfinite(v) ? v : last, sigma * sqrt(periods));
    }
    return 0;
}

/* Layout: "NAIV", version u8, 3 reserved, then the state struct and season as stored. This is
 * a same-machine snapshot format (host byte order), checked by size and magic. */
static size_t naive_save(const void *state, uint8_t *buf, size_t cap)
{
    const naive_state *s = state;
    size_t body = sizeof *s + (size_t)s->m * sizeof(double);
    size_t need = 8 + body;
    if (cap >= need) {
        memcpy(buf, "NAIV\1\0\0\0", 8);
        memcpy(buf + 8, s, body);
    }
    return need;
}

static int naive_load(void *state, const fc_params *p, const uint8_t *buf, size_t n)
{
    naive_state hdr;
    if (n < 8 + sizeof hdr || memcmp(buf, "NAIV\1\0\0\0", 8) != 0)
        return -MAI_EPROTO;
    memcpy(&hdr, buf + 8, sizeof hdr);
    if ((hdr.m != 0 && hdr.m != p->season_day) ||
        n != 8 + sizeof hdr + (size_t)hdr.m * sizeof(double) || hdr.n_changes > hdr.seen ||
        !(hdr.sq_sum >= 0))
        return -MAI_EPROTO;
    memcpy(state, buf + 8, n - 8);
    return 0;
}

const forecaster_ops naive_ops = {
    .name = "naive", .state_size = naive_size, .fit_scratch_size = no_scratch,
    .init = naive_init, .update = naive_update, .fit = naive_fit, .forecast = naive_forecast,
    .save = naive_save, .load = naive_load,
};

const forecaster_ops snaive_ops = {
    .name = "snaive", .state_size = snaive_size, .fit_scratch_size = no_scratch,
    .init = snaive_init, .update = snaive_update, .fit = snaive_fit, .forecast = snaive_forecast,
    .save = naive_save, .load = naive_load,
};
