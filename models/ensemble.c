/* SPDX-License-Identifier: Apache-2.0
 * models/ensemble.c -- self-weighting ensemble (see ensemble.h).
 *
 * Design note. Weights follow the "forecast combination by inverse error" family (Bates &
 * Granger 1969; Stock & Watson 2004 use inverse MSE): per tracked horizon H, member m gets
 * w_m proportional to 1 / MAE_m(H)^2, where MAE_m(H) is an exponentially weighted mean of the
 * absolute errors of m's own H-step forecasts, scored online when their targets arrive.
 * Deviations: MAE instead of MSE (the traces are spiky; one outlier must not silence a member);
 * members more than TRIM times worse than the best get weight 0, so a member that is badly wrong
 * on a series drops out instead of dragging the mean. Intervals are empirical (the ensemble's
 * own signed errors at H, quantiles 10/90 and 2.5/97.5 with the split-conformal finite-sample
 * correction), scaled by sqrt(k / H) for other steps k; until MIN_ERRORS errors are held, the
 * weighted members' model intervals stand in. fit() fits the members on the window but its last
 * w points, streams those w points to score them (warm weights and errors), then refits the
 * members on the whole window keeping the orders and hyperparameters the first fit chose. */
#include "ensemble.h"

#include <math.h>
#include <string.h>

#include "arima.h"
#include "base.h"
#include "codec.h"
#include "hw.h"
#include "lstm.h"
#include "naive.h"
#include "season.h"
#include "prophet.h"

#define MIN_SCORED 3        /* scored forecasts before a member's error counts */
#define MIN_ERRORS 20       /* ensemble errors before intervals are empirical */
#define MAE_WINDOW 30.0     /* effective number of recent scored forecasts */
#define TRIM 3.0            /* members worse than TRIM x the best MAE are dropped */

typedef struct pending {
    uint64_t due;                       /* point index of the target */
    uint64_t probe_due;                 /* point index of the probe target, UINT64_MAX = none */
    double f[ENS_MAX_MEMBERS];
    double fp[ENS_MAX_MEMBERS];         /* member forecasts at the probe step */
    double ens;
} pending;

typedef struct hstate {
    uint32_t h, every;
    uint32_t scored;
    uint32_t q_head, q_n;
    uint32_t err_head, err_n;
    uint32_t lo;                        /* the previous tracked horizon (0 for the first) */
    uint32_t nrec, nsamp;               /* forecasts recorded; member error samples taken */
    double mae[ENS_MAX_MEMBERS];
    double mae_ens;
    pending q[ENS_PENDING];
    float err[ENS_ERRORS];              /* y - ensemble forecast */
} hstate;

typedef struct ens_state {
    ens_config cfg;
    uint64_t pos;                       /* index of the next point */
    uint64_t observed;
    double last;
    double abs_diff_sum;
    uint64_t n_diff;
    size_t off[ENS_MAX_MEMBERS];        /* member state offsets from the start of the state */
    hstate hs[];                        /* cfg.nh of them, then the member states */
} ens_state;

/* Member states start on 64-byte boundaries: vectorised BLAS kernels sum in an order that
 * depends on alignment, and forecasts must not depend on where malloc put the state. */
static size_t align64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

static void *member(ens_state *s, uint32_t m)
{
    return (char *)s + s->off[m];
}

static const void *member_c(const ens_state *s, uint32_t m)
{
    return (const char *)s + s->off[m];
}

/* Puts member m in its empty state, with the options the config gives it. */
static void member_init(ens_state *s, uint32_t m)
{
    const forecaster_ops *ops = s->cfg.members[m];
    ops->init(member(s, m), &s->cfg.p);
    if (ops == &lstm_ops)
        lstm_set_options(member(s, m), s->cfg.lstm_seq_len, s->cfg.lstm_epochs, 1);
}

int ens_config_add_lstm(ens_config *c, uint32_t seq_len, uint32_t epochs)
{
    if (c->nm >= ENS_MAX_MEMBERS)
        return -MAI_EINVAL;
    c->members[c->nm++] = &lstm_ops;
    c->lstm_seq_len = seq_len;
    c->lstm_epochs = epochs;
    return 0;
}

void ens_config_default(ens_config *c, const fc_params *p, const uint32_t *horizons, uint32_t nh)
{
    memset(c, 0, sizeof *c);
    c->p = *p;
    c->nh = nh > ENS_MAX_HORIZONS ? ENS_MAX_HORIZONS : nh;
    for (uint32_t i = 0; i < c->nh; i++)
        c->horizons[i] = horizons[i];
    const forecaster_ops *def[] = {&naive_ops, &snaive_ops, &hw_ops, &arima_ops, &prophet_ops};
    c->nm = sizeof def / sizeof def[0];
    for (uint32_t i = 0; i < c->nm; i++)
        c->members[i] = def[i];
}

static size_t header_size(const ens_config *c)
{
    return align64(sizeof(ens_state) + c->nh * sizeof(hstate));
}

size_t ens_state_size(const ens_config *c)
{
    size_t n = header_size(c);
    for (uint32_t m = 0; m < c->nm; m++)
        n += align64(c->members[m]->state_size(&c->p));
    return n;
}

static uint32_t max_horizon(const ens_config *c)
{
    return c->nh ? c->horizons[c->nh - 1] : 1;
}

size_t ens_work_size(const ens_config *c, size_t max_h)
{
    if (max_h < max_horizon(c))
        max_h = max_horizon(c);
    return ((size_t)c->nm * 5 * max_h + ENS_ERRORS + 8) * sizeof(double);
}

size_t ens_fit_scratch_size(const ens_config *c, size_t n)
{
    size_t most = 0;
    for (uint32_t m = 0; m < c->nm; m++) {
        size_t k = c->members[m]->fit_scratch_size(&c->p, n);
        most = k > most ? k : most;
    }
    return most;
}

static void reset_scores(ens_state *s)
{
    for (uint32_t j = 0; j < s->cfg.nh; j++) {
        hstate *hs = &s->hs[j];
        uint32_t h = hs->h, every = hs->every, lo = hs->lo;
        memset(hs, 0, sizeof *hs);
        hs->h = h;
        hs->every = every;
        hs->lo = lo;
    }
}

int ens_init(void *state, const ens_config *c)
{
    if (c->nm == 0 || c->nm > ENS_MAX_MEMBERS || c->nh == 0 || c->nh > ENS_MAX_HORIZONS)
        return -MAI_EINVAL;
    for (uint32_t j = 0; j < c->nh; j++)
        if (c->horizons[j] == 0 || (j > 0 && c->horizons[j] <= c->horizons[j - 1]))
            return -MAI_EINVAL;
    ens_state *s = state;
    memset(s, 0, sizeof *s + c->nh * sizeof(hstate));
    s->cfg = *c;
    s->last = NAN;
    size_t off = header_size(c);
    for (uint32_t m = 0; m < c->nm; m++) {
        s->off[m] = off;
        off += align64(c->members[m]->state_size(&c->p));
        member_init(s, m);
    }
    for (uint32_t j = 0; j < c->nh; j++) {
        s->hs[j].h = c->horizons[j];
        s->hs[j].lo = j ? c->horizons[j - 1] : 0;
        /* at most ENS_PENDING - 1 forecasts outstanding: a fuller queue gives each one up
         * before its target arrives, and horizon h would never be scored */
        uint32_t every = (c->horizons[j] + ENS_PENDING - 3) / (ENS_PENDING - 1);
        s->hs[j].every = every ? every : 1;
    }
    return 0;
}

/* Current weights for horizon j into w (sum 1). */
static void weights(const ens_state *s, uint32_t j, double *w)
{
    const hstate *hs = &s->hs[j];
    uint32_t nm = s->cfg.nm;
    if (hs->scored < MIN_SCORED) {
        for (uint32_t m = 0; m < nm; m++)
            w[m] = 1.0 / nm;
        return;
    }
    double best = HUGE_VAL;
    for (uint32_t m = 0; m < nm; m++)
        best = hs->mae[m] < best ? hs->mae[m] : best;
    double floor_mae = best > 0 ? best * 1e-3 : 1e-12;
    double sum = 0;
    for (uint32_t m = 0; m < nm; m++) {
        double e = hs->mae[m] > floor_mae ? hs->mae[m] : floor_mae;
        w[m] = (isfinite(e) && e <= TRIM * (best > floor_mae ? best : floor_mae)) ? 1.0 / (e * e)
                                                                                 : 0;
        sum += w[m];
    }
    for (uint32_t m = 0; m < nm; m++)
        w[m] = sum > 0 ? w[m] / sum : 1.0 / nm;
}

/* One member error sample for horizon j's weights: forecasts f against y. */
static void score_members(hstate *hs, uint32_t nm, double y, const double *f)
{
    double a = 1.0 / (hs->nsamp + 1.0);
    if (a < 1.0 / MAE_WINDOW)
        a = 1.0 / MAE_WINDOW;
    for (uint32_t m = 0; m < nm; m++)
        hs->mae[m] += a * (fabs(y - f[m]) - hs->mae[m]);
    hs->nsamp++;
}

static void score(ens_state *s, double y)
{
    uint64_t t = s->pos;
    for (uint32_t j = 0; j < s->cfg.nh; j++) {
        hstate *hs = &s->hs[j];
        for (uint32_t i = 0; i < hs->q_n && isfinite(y); i++) {
            const pending *p = &hs->q[(hs->q_head + i) % ENS_PENDING];
            if (p->probe_due == t)
                score_members(hs, s->cfg.nm, y, p->fp);
        }
        while (hs->q_n > 0 && hs->q[hs->q_head].due <= t) {
            const pending *p = &hs->q[hs->q_head];
            if (p->due == t && isfinite(y)) {
                double a = 1.0 / (hs->scored + 1.0);
                if (a < 1.0 / MAE_WINDOW)
                    a = 1.0 / MAE_WINDOW;
                score_members(hs, s->cfg.nm, y, p->f);
                hs->mae_ens += a * (fabs(y - p->ens) - hs->mae_ens);
                hs->scored++;
                hs->err[hs->err_head] = (float)(y - p->ens);
                hs->err_head = (hs->err_head + 1) % ENS_ERRORS;
                if (hs->err_n < ENS_ERRORS)
                    hs->err_n++;
            }
            hs->q_head = (hs->q_head + 1) % ENS_PENDING;
            hs->q_n--;
        }
    }
}

/* Member mean paths up to h into work (nm rows of h), intervals not wanted. */
static void member_paths(const ens_state *s, size_t h, double *work)
{
    for (uint32_t m = 0; m < s->cfg.nm; m++) {
        fc_output o = {work + (size_t)m * h, NULL, NULL, NULL, NULL};
        s->cfg.members[m]->forecast(member_c(s, m), h, &o);
    }
}

static void record(ens_state *s, double *work)
{
    uint32_t need = 0;
    for (uint32_t j = 0; j < s->cfg.nh; j++)
        if (s->pos % s->hs[j].every == 0)
            need = s->hs[j].h;
    if (need == 0 || s->observed == 0)
        return;
    member_paths(s, need, work);
    for (uint32_t j = 0; j < s->cfg.nh; j++) {
        hstate *hs = &s->hs[j];
        if (s->pos % hs->every != 0 || hs->h > need)
            continue;
        if (hs->q_n == ENS_PENDING) {   /* full: the oldest is given up */
            hs->q_head = (hs->q_head + 1) % ENS_PENDING;
            hs->q_n--;
        }
        pending *p = &hs->q[(hs->q_head + hs->q_n) % ENS_PENDING];
        double w[ENS_MAX_MEMBERS];
        weights(s, j, w);
        p->due = s->pos - 1 + hs->h;    /* the last point fed was pos - 1 */
        p->ens = 0;
        for (uint32_t m = 0; m < s->cfg.nm; m++) {
            p->f[m] = work[(size_t)m * need + hs->h - 1];
            p->ens += w[m] * p->f[m];
        }
        /* The weights of horizon h serve every step in (lo, h], so the members are also scored
         * at a probe step inside that range, spread over it by the golden ratio sequence:
         * scored only at h, naive looks perfect whenever h is a multiple of the season. */
        p->probe_due = UINT64_MAX;
        uint32_t span = hs->h - hs->lo;
        if (span > 1) {
            double g = (double)hs->nrec * 0.6180339887498949;
            uint32_t kp = hs->lo + 1 + (uint32_t)((g - floor(g)) * (span - 1));
            p->probe_due = s->pos - 1 + kp;
            for (uint32_t m = 0; m < s->cfg.nm; m++)
                p->fp[m] = work[(size_t)m * need + kp - 1];
        }
        hs->nrec++;
        hs->q_n++;
    }
}

void ens_update(void *state, double y, void *work)
{
    ens_state *s = state;
    score(s, y);
    if (isfinite(y)) {
        if (isfinite(s->last)) {
            s->abs_diff_sum += fabs(y - s->last);
            s->n_diff++;
        }
        s->last = y;
        s->observed++;
    }
    for (uint32_t m = 0; m < s->cfg.nm; m++)
        s->cfg.members[m]->update(member(s, m), y);
    s->pos++;
    record(s, work);
}

int ens_fit(void *state, const double *y, size_t n, int refit, void *scratch, void *work)
{
    ens_state *s = state;
    size_t w = 0;
    if (!refit) {
        w = s->cfg.warm_points;
        if (w == 0) {
            /* enough to score the longest horizon over two seasons, at most half the window */
            size_t season = s->cfg.p.season_day ? s->cfg.p.season_day : 96;
            size_t cap = max_horizon(&s->cfg) + 2 * season;
            w = n / 2 < cap ? n / 2 : cap;
        }
        if (w > n)
            w = n;
    }
    size_t nfit = n - w;
    int fitted = 0;
    for (uint32_t m = 0; m < s->cfg.nm; m++) {
        const forecaster_ops *ops = s->cfg.members[m];
        void *ms = member(s, m);
        int rc;
        if (refit && ops->refit) {
            rc = ops->refit(ms, y, nfit, scratch);
        } else {
            member_init(s, m);
            rc = ops->fit(ms, y, nfit, scratch);
        }
        fitted += rc == 0;
    }
    /* the ensemble's own view of the history the members have now seen */
    s->last = NAN;
    s->abs_diff_sum = 0;
    s->n_diff = 0;
    s->observed = 0;
    for (size_t i = 0; i < nfit; i++) {
        if (!isfinite(y[i]))
            continue;
        if (isfinite(s->last)) {
            s->abs_diff_sum += fabs(y[i] - s->last);
            s->n_diff++;
        }
        s->last = y[i];
        s->observed++;
    }
    if (!refit) {
        reset_scores(s);
        s->pos = nfit;
        for (size_t i = nfit; i < n; i++)
            ens_update(s, y[i], work);
        /* the members now see the whole window, keeping what the first fit chose */
        for (uint32_t m = 0; m < s->cfg.nm && w > 0; m++) {
            const forecaster_ops *ops = s->cfg.members[m];
            void *ms = member(s, m);
            if (ops->refit) {
                ops->refit(ms, y, n, scratch);
            } else {
                member_init(s, m);
                ops->fit(ms, y, n, scratch);
            }
        }
    }
    return fitted ? 0 : -MAI_EINVAL;
}

/* Tracked horizon whose weights and errors serve step k (1-based). */
static uint32_t bracket(const ens_state *s, size_t k)
{
    for (uint32_t j = 0; j < s->cfg.nh; j++)
        if (k <= s->hs[j].h)
            return j;
    return s->cfg.nh - 1;
}

/* Sample quantile (linear interpolation) of sorted v[0..n). */
static double quantile(const double *v, uint32_t n, double q)
{
    double pos = q * (n - 1);
    uint32_t i = (uint32_t)pos;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

/* Lower quantile level for a tail of a, with split conformal prediction's finite-sample
 * correction (Vovk et al. 2005; Lei et al. 2018): the upper level (1 - a)(n + 1) / n, mirrored. */
static double conformal_level(double a, uint32_t n)
{
    double hi = (1 - a) * (n + 1.0) / n;
    return hi >= 1 ? 0 : 1 - hi;
}

static void insertion_sort(double *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        double x = v[i];
        uint32_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static double finite_or(double v, double fallback)
{
    return isfinite(v) ? v : fallback;
}

int ens_forecast(const void *state, size_t h, fc_output *out, void *work)
{
    const ens_state *s = state;
    if (h == 0)
        return -MAI_EINVAL;
    uint32_t nm = s->cfg.nm;
    double *paths = work;                       /* nm x 5 rows of h */
    double *errs = paths + (size_t)nm * 5 * h;  /* ENS_ERRORS */
    for (uint32_t m = 0; m < nm; m++) {
        double *b = paths + (size_t)m * 5 * h;
        fc_output o = {b, b + h, b + 2 * h, b + 3 * h, b + 4 * h};
        s->cfg.members[m]->forecast(member_c(s, m), h, &o);
    }
    double last = isfinite(s->last) ? s->last : 0;
    uint32_t cur = UINT32_MAX;
    double w[ENS_MAX_MEMBERS];
    double q10 = 0, q90 = 0, q025 = 0, q975 = 0;
    int empirical = 0;
    for (size_t k = 1; k <= h; k++) {
        uint32_t j = bracket(s, k);
        const hstate *hs = &s->hs[j];
        if (j != cur) {
            cur = j;
            weights(s, j, w);
            empirical = hs->err_n >= MIN_ERRORS;
            if (empirical) {
                for (uint32_t i = 0; i < hs->err_n; i++)
                    errs[i] = hs->err[i];
                insertion_sort(errs, hs->err_n);
                q10 = quantile(errs, hs->err_n, conformal_level(0.10, hs->err_n));
                q90 = quantile(errs, hs->err_n, 1 - conformal_level(0.10, hs->err_n));
                q025 = quantile(errs, hs->err_n, conformal_level(0.025, hs->err_n));
                q975 = quantile(errs, hs->err_n, 1 - conformal_level(0.025, hs->err_n));
            }
        }
        double mean = 0, lo80 = 0, hi80 = 0, lo95 = 0, hi95 = 0;
        for (uint32_t m = 0; m < nm; m++) {
            const double *b = paths + (size_t)m * 5 * h;
            double mm = finite_or(b[k - 1], last);
            mean += w[m] * mm;
            lo80 += w[m] * finite_or(b[h + k - 1], mm);
            hi80 += w[m] * finite_or(b[2 * h + k - 1], mm);
            lo95 += w[m] * finite_or(b[3 * h + k - 1], mm);
            hi95 += w[m] * finite_or(b[4 * h + k - 1], mm);
        }
        if (empirical) {
            double f = sqrt((double)k / hs->h);
            lo80 = mean + f * q10;
            hi80 = mean + f * q90;
            lo95 = mean + f * q025;
            hi95 = mean + f * q975;
        }
        mean = finite_or(mean, last);
        /* errors of one sign put an empirical interval beside the mean: widen it to hold it */
        lo80 = lo80 < mean ? lo80 : mean;
        hi80 = hi80 > mean ? hi80 : mean;
        lo80 = finite_or(lo80, mean);
        hi80 = finite_or(hi80, mean);
        if (hi80 < lo80)
            hi80 = lo80;
        lo95 = finite_or(lo95 < lo80 ? lo95 : lo80, lo80);
        hi95 = finite_or(hi95 > hi80 ? hi95 : hi80, hi80);
        out->mean[k - 1] = mean;
        if (out->lo80) {
            out->lo80[k - 1] = lo80;
            out->hi80[k - 1] = hi80;
        }
        if (out->lo95) {
            out->lo95[k - 1] = lo95;
            out->hi95[k - 1] = hi95;
        }
    }
    return 0;
}

void ens_get_info(const void *state, ens_info *out)
{
    const ens_state *s = state;
    memset(out, 0, sizeof *out);
    out->points = s->pos;
    out->observed = s->observed;
    out->scale = s->n_diff ? s->abs_diff_sum / (double)s->n_diff : 0;
    for (uint32_t j = 0; j < s->cfg.nh; j++) {
        const hstate *hs = &s->hs[j];
        weights(s, j, out->weight[j]);
        for (uint32_t m = 0; m < s->cfg.nm; m++)
            out->mae[j][m] = hs->mae[m];
        out->mae_ens[j] = hs->mae_ens;
        out->scored[j] = hs->scored;
        out->errors[j] = hs->err_n;
        for (uint32_t m = 0; m < s->cfg.nm; m++)
            if (strcmp(s->cfg.members[m]->name, "naive") == 0)
                out->mae_naive[j] = hs->mae[m];
    }
}

int ens_member_forecast(const void *state, uint32_t m, size_t h, fc_output *out)
{
    const ens_state *s = state;
    if (m >= s->cfg.nm || h == 0)
        return -MAI_EINVAL;
    return s->cfg.members[m]->forecast(member_c(s, m), h, out);
}

/* ---- save / load ----
 * Layout (little-endian): "ENSM", version u8, nm u8, nh u8, 0; step_s f64; season_day,
 * season_week, max_history, warm_points, lstm_seq_len, lstm_epochs u32; horizons[nh] u32;
 * member names (ENS_NAME_BYTES each, NUL padded); pos, observed, n_diff u64; last,
 * abs_diff_sum f64; per horizon: ten u32 counters, mae[nm], mae_ens f64, ENS_PENDING pending
 * forecasts (due, probe_due u64, f[nm], fp[nm], ens f64), ENS_ERRORS errors (f32 bits); per
 * member: u32 length and its own save; CRC-32 of everything before it. */
#define ENS_NAME_BYTES 8

/* A member's name, NUL padded to ENS_NAME_BYTES (cut there when longer). */
static void name_bytes(const forecaster_ops *ops, char out[ENS_NAME_BYTES])
{
    size_t k = strlen(ops->name);
    memset(out, 0, ENS_NAME_BYTES);
    memcpy(out, ops->name, k < ENS_NAME_BYTES ? k : ENS_NAME_BYTES);
}

typedef struct wcur {
    uint8_t *buf;
    size_t cap, n;
} wcur;

static void w_bytes(wcur *w, const void *p, size_t k)
{
    if (w->buf && w->n + k <= w->cap)
        memcpy(w->buf + w->n, p, k);
    w->n += k;
}

static void w_u32(wcur *w, uint32_t v)
{
    uint8_t b[4];
    le_put_u32(b, v);
    w_bytes(w, b, 4);
}

static void w_u64(wcur *w, uint64_t v)
{
    uint8_t b[8];
    le_put_u64(b, v);
    w_bytes(w, b, 8);
}

static void w_f64(wcur *w, double v)
{
    uint8_t b[8];
    le_put_f64(b, v);
    w_bytes(w, b, 8);
}

size_t ens_save(const void *state, uint8_t *buf, size_t cap)
{
    const ens_state *s = state;
    const ens_config *c = &s->cfg;
    wcur w = {buf, cap, 0};
    const uint8_t head[8] = {'E', 'N', 'S', 'M', ENS_SAVE_VERSION, (uint8_t)c->nm,
                             (uint8_t)c->nh, 0};
    w_bytes(&w, head, sizeof head);
    w_f64(&w, c->p.step_s);
    w_u32(&w, c->p.season_day);
    w_u32(&w, c->p.season_week);
    w_u32(&w, c->p.max_history);
    w_u32(&w, c->warm_points);
    w_u32(&w, c->lstm_seq_len);
    w_u32(&w, c->lstm_epochs);
    for (uint32_t j = 0; j < c->nh; j++)
        w_u32(&w, c->horizons[j]);
    for (uint32_t m = 0; m < c->nm; m++) {
        char name[ENS_NAME_BYTES];
        name_bytes(c->members[m], name);
        w_bytes(&w, name, sizeof name);
    }
    w_u64(&w, s->pos);
    w_u64(&w, s->observed);
    w_u64(&w, s->n_diff);
    w_f64(&w, s->last);
    w_f64(&w, s->abs_diff_sum);
    for (uint32_t j = 0; j < c->nh; j++) {
        const hstate *hs = &s->hs[j];
        const uint32_t u[10] = {hs->h,     hs->every, hs->scored, hs->q_head, hs->q_n,
                                hs->err_head, hs->err_n, hs->lo,  hs->nrec,   hs->nsamp};
        for (int i = 0; i < 10; i++)
            w_u32(&w, u[i]);
        for (uint32_t m = 0; m < c->nm; m++)
            w_f64(&w, hs->mae[m]);
        w_f64(&w, hs->mae_ens);
        for (uint32_t i = 0; i < ENS_PENDING; i++) {
            const pending *p = &hs->q[i];
            w_u64(&w, p->due);
            w_u64(&w, p->probe_due);
            for (uint32_t m = 0; m < c->nm; m++)
                w_f64(&w, p->f[m]);
            for (uint32_t m = 0; m < c->nm; m++)
                w_f64(&w, p->fp[m]);
            w_f64(&w, p->ens);
        }
        for (uint32_t i = 0; i < ENS_ERRORS; i++) {
            uint32_t bits;
            memcpy(&bits, &hs->err[i], sizeof bits);
            w_u32(&w, bits);
        }
    }
    for (uint32_t m = 0; m < c->nm; m++) {
        size_t at = w.n + 4;
        int room = w.buf && at <= w.cap;
        size_t k = c->members[m]->save(member_c(s, m), room ? w.buf + at : NULL,
                                       room ? w.cap - at : 0);
        w_u32(&w, (uint32_t)k);
        w.n += k;
    }
    if (w.buf && w.n + 4 <= w.cap) {
        uint32_t crc = mai_crc32(w.buf, w.n);
        w_u32(&w, crc);
    } else {
        w.n += 4;
    }
    return w.n;
}

/* Reads the saved config into out (cfg's member table, the saved seasons). Returns 0,
 * -MAI_EPROTO or -MAI_EINVAL as ens_load. */
static int load_config(codec_rd *r, const ens_config *cfg, ens_config *out)
{
    const uint8_t *head = codec_take(r, 8);
    if (!head || memcmp(head, "ENSM", 4) != 0 || head[4] != ENS_SAVE_VERSION || head[7] != 0)
        return -MAI_EPROTO;
    if (head[5] != cfg->nm || head[6] != cfg->nh)
        return -MAI_EINVAL;
    *out = *cfg;
    double step = codec_f64(r);
    out->p.season_day = codec_u32(r);
    out->p.season_week = codec_u32(r);
    uint32_t hist = codec_u32(r), warm = codec_u32(r), seq = codec_u32(r), epochs = codec_u32(r);
    int same = step == cfg->p.step_s && hist == cfg->p.max_history &&
               warm == cfg->warm_points && seq == cfg->lstm_seq_len && epochs == cfg->lstm_epochs;
    for (uint32_t j = 0; j < cfg->nh; j++)
        same &= codec_u32(r) == cfg->horizons[j];
    for (uint32_t m = 0; m < cfg->nm; m++) {
        const uint8_t *name = codec_take(r, ENS_NAME_BYTES);
        char want[ENS_NAME_BYTES];
        name_bytes(cfg->members[m], want);
        same &= name && memcmp(name, want, sizeof want) == 0;
    }
    if (r->bad)
        return -MAI_EPROTO;
    if (!same || (out->p.season_week && !out->p.season_day) ||
        ens_state_size(out) > ens_state_size(cfg))
        return -MAI_EINVAL;
    return 0;
}

static int load_body(ens_state *s, codec_rd *r)
{
    const ens_config *c = &s->cfg;
    s->pos = codec_u64(r);
    s->observed = codec_u64(r);
    s->n_diff = codec_u64(r);
    s->last = codec_f64(r);
    s->abs_diff_sum = codec_f64(r);
    if (s->observed > s->pos || s->n_diff > s->observed)
        return -MAI_EPROTO;
    for (uint32_t j = 0; j < c->nh; j++) {
        hstate *hs = &s->hs[j];
        uint32_t u[10];
        for (int i = 0; i < 10; i++)
            u[i] = codec_u32(r);
        /* h, every and lo are what ens_init derived from the config: they must agree */
        if (u[0] != hs->h || u[1] != hs->every || u[7] != hs->lo || u[3] >= ENS_PENDING ||
            u[4] > ENS_PENDING || u[5] >= ENS_ERRORS || u[6] > ENS_ERRORS)
            return -MAI_EPROTO;
        hs->scored = u[2];
        hs->q_head = u[3];
        hs->q_n = u[4];
        hs->err_head = u[5];
        hs->err_n = u[6];
        hs->nrec = u[8];
        hs->nsamp = u[9];
        for (uint32_t m = 0; m < c->nm; m++)
            hs->mae[m] = codec_f64(r);
        hs->mae_ens = codec_f64(r);
        for (uint32_t i = 0; i < ENS_PENDING; i++) {
            pending *p = &hs->q[i];
            p->due = codec_u64(r);
            p->probe_due = codec_u64(r);
            for (uint32_t m = 0; m < c->nm; m++)
                p->f[m] = codec_f64(r);
            for (uint32_t m = 0; m < c->nm; m++)
                p->fp[m] = codec_f64(r);
            p->ens = codec_f64(r);
        }
        for (uint32_t i = 0; i < ENS_ERRORS; i++) {
            uint32_t bits = codec_u32(r);
            memcpy(&hs->err[i], &bits, sizeof bits);
        }
    }
    for (uint32_t m = 0; m < c->nm; m++) {
        uint32_t k = codec_u32(r);
        const uint8_t *blob = codec_take(r, k);
        if (!blob || c->members[m]->load(member(s, m), &c->p, blob, k) != 0)
            return -MAI_EPROTO;
    }
    return r->bad ? -MAI_EPROTO : 0;
}

int ens_load(void *state, const ens_config *cfg, const uint8_t *buf, size_t n)
{
    if (ens_init(state, cfg) != 0)
        return -MAI_EINVAL;
    if (!buf || n < 12 || le_get_u32(buf + n - 4) != mai_crc32(buf, n - 4))
        return -MAI_EPROTO;
    codec_rd r = {buf, n - 4, 0, 0};
    ens_config saved;
    int rc = load_config(&r, cfg, &saved);
    if (rc == 0)
        rc = ens_init(state, &saved);
    if (rc == 0)
        rc = load_body(state, &r);
    if (rc == 0 && r.at != r.n)
        rc = -MAI_EPROTO;
    if (rc != 0)
        ens_init(state, cfg);
    return rc;
}

ens_config ens_config_for_data(const ens_config *c, const double *y, size_t n)
{
    ens_config out = *c;
    uint32_t day = c->p.season_day;
    out.p.season_day = day ? season_detect(y, n, &day, 1, SEASON_MIN_ACF) : 0;
    out.p.season_week = out.p.season_day * 7;
    return out;
}
