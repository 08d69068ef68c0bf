/* SPDX-License-Identifier: Apache-2.0
 * models/hw.c -- Holt-Winters / ETS(A,Ad,A) forecaster (see hw.h): additive level, damped
 * additive trend, additive daily season and (Taylor's double-seasonal Holt-Winters) an additive
 * weekly season in the innovations (error-correction) form, fitted by a bounded Nelder-Mead on
 * the one-step SSE, with analytic prediction intervals. */

/* Design note
 * -----------
 * Model (Hyndman & Athanasopoulos, "Forecasting: principles and practice", 3rd ed., ch. 8; the
 * error-correction form of ETS(A,Ad,A)):
 *     yhat_t = l_{t-1} + phi b_{t-1} + s_{t-m},          e_t = y_t - yhat_t
 *     l_t = l_{t-1} + phi b_{t-1} + alpha e_t
 *     b_t = phi b_{t-1} + beta e_t                        (beta = alpha * beta* of the HW form)
 *     s_t = s_{t-m} + gamma e_t
 *     yhat_{T+h|T} = l_T + (phi + ... + phi^h) b_T + s_{T+h-m(k+1)},   k = floor((h-1)/m)
 * This is the recursion of statsmodels' ETSModel(error="add", trend="add", damped_trend=True,
 * seasonal="add"); test_hw checks forecasts and v_h / v_1 against it to 1e-9. (statsmodels 0.13's
 * ExponentialSmoothing agrees except at h = m, 2m, ..., where it uses s_{T-m} instead of s_T:
 * statsmodels issue #9538, fixed by PR #10230.)
 * Forecast variance (FPP3 section 8.7, table of forecast variance expressions for the additive
 * ETS models, row ETS(A,Ad,A); the same result as Hyndman, Koehler, Ord & Snyder 2008, ch. 6,
 * for linear "class 1" models):
 *     v_h = sigma2 [1 + sum_{j=1}^{h-1} c_j^2],  c_j = alpha + beta phi_j + gamma d_{j,m},
 *     phi_j = phi + ... + phi^j,  d_{j,m} = 1 when j mod m == 0 else 0.
 * The table's closed form is this sum written out; we accumulate the sum term by term (O(1) per
 * step, no 1/(1-phi)^2 cancellation; test_hw checks it against the closed form and statsmodels).
 * Intervals are yhat -+ z sqrt(v_h) with z = 1.2816 (80 %) and 1.9600 (95 %): normal errors.
 *
 * Weekly season (J. W. Taylor 2003, "Short-term electricity demand forecasting using double
 * seasonal exponential smoothing", JORS 54: 799-805): a second additive season w of period
 * mw = season_week (a multiple of m = season_day, > m), with its own gain:
 *     yhat_t = l_{t-1} + phi b_{t-1} + (s_{t-m} + w_{t-mw}),     w_t = w_{t-mw} + delta e_t
 * (level, trend and daily season as above). Taylor's component form has
 * D_t = d (y_t - S_t - W_{t-mw}) + (1 - d) D_{t-m}, i.e. gamma = d (1 - alpha) here, and likewise
 * delta = w (1 - alpha); so delta has gamma's bounds, (0, 1 - alpha). Differences from Taylor:
 * his damped trend is our phi (he uses an undamped one), and his AR(1) adjustment of the
 * one-step error is not included. Used only when the daily season is, season_week is a multiple
 * of season_day above it, the fitted history (from its first observed point) holds two full
 * weeks, and at least season_week + HW_MIN_POINTS points are observed; otherwise everything is
 * exactly the model without it, bit for bit (separate code paths; the weekly array is untouched).
 * delta is the fifth Nelder-Mead coordinate (logistic like gamma); the start grid adds delta* in
 * {0.05, 0.3} (12 points instead of 6), the evaluation budgets are the same.
 * Initial states (hw_init_weekly): classical decomposition of the first two weeks: level and
 * slope from a least squares line through the centred 2 x mw moving average; daily profile =
 * per-slot median of y minus the centred 2 x m moving average (centred, smoothed as below);
 * weekly profile = per-slot mean over the two weeks of y - line - daily, centred at each daily
 * slot across the days of the week (the daily profile keeps the shape common to all days, the
 * weekly one the day-of-week deviations), smoothed like the daily one.
 * Variance: the model is still linear with one source of error, so the same expression holds
 * with c_j = alpha + beta phi_j + gamma d_{j,m} + delta d_{j,mw} (the weekly slot hit by an error
 * is next used mw steps later; at j a multiple of mw both seasonal terms apply). This is exact
 * for the model (normal iid errors, known parameters), not an approximation; it is accumulated
 * term by term as before, also across gaps.
 * State: the weekly array follows the daily one (8 * season_week bytes, present whenever
 * season_week > 0); the weekly gain shares the storage of the fallback statistics, which are
 * dead in model mode, so the fixed part stays HW_STATE_BASE bytes. In a weekly state the season
 * index runs over the week and the daily slot is index % m. The weekly season is dropped (and
 * the index reduced mod m) when the recursion overflows into the fallback.
 *
 * Deviations from the textbook / from R's ets() and statsmodels:
 *  - No model selection: always A,Ad,A (or A,Ad,N when the history holds fewer than two seasons
 *    of season_day points), plus the weekly season whenever the history allows it (above).
 *    In the offline evaluation (2016-point fit window) only the 30-minute series
 *    (nab_nyc_taxi: 48 a day, 336 a week, 6 weeks in the window) gets one; at 5 minutes the
 *    window is 7 days. In the service the coarse ring (1 h x 35 days) gets (24, 168).
 *  - Parameters minimise the one-step SSE (not the likelihood; for additive errors the two share
 *    the optimum in the smoothing parameters for fixed initial states). Initial states are not
 *    optimised: they come from a classical decomposition of the first (up to 5) seasons: a 2xm
 *    centred moving average (NaN-aware); seasonal = per-slot MEDIAN of the detrended values (R
 *    and statsmodels take the mean, which copies every spike of the first days into the profile
 *    for good when gamma is small), centred, then smoothed by a circular moving average of
 *    2 (m / 96) + 1 slots (7 at 288 a day, none at 24 or 48); level and slope = least squares
 *    line through the moving average. Non-seasonal: line through the first 10 observed points.
 *    On the development traces (tests/unit/known/README-hw.md) the median took the 24 h median
 *    MASE from 0.910 to 0.724 and the smoothing the 15 min one from 1.060 to 0.977.
 *    Bounds as in R's ets(): alpha in [1e-4, 0.9999], beta* = beta/alpha in [1e-4, 0.9999],
 *    gamma in (0, 1-alpha), phi in [0.8, 0.98]; enforced by a logistic transform, so Nelder-Mead
 *    runs unconstrained (at most ~530 SSE evaluations: a 6-point start grid, then 320 and a
 *    200-evaluation restart from the best vertex; about 5 ms for 2016 points with m = 288).
 *  - sigma2 is an exponentially weighted estimate (weight HW_SIGMA_LAMBDA = 0.01, about 100
 *    points) kept online by update(), so intervals follow changes in volatility between refits;
 *    fit() seeds it with the fit's mean squared error and runs it through the whole window. It
 *    is a robust variant: sigma2 = (sqrt(pi/2) x EW mean |e|)^2, which estimates the variance
 *    for normal errors but is not blown up by single spikes. On the development traces it brought
 *    the 80 % coverage from 0.905 / 0.906 / 0.930 (EW mean e^2) to 0.864 / 0.866 / 0.913 at
 *    15 min / 1 h / 24 h. R uses SSE / (n - #params) over the whole window.
 *  - Missing values (NaN or +-Inf): the step advances the state with e = 0 (level by the damped
 *    trend, season index by one, season untouched) and the SSE skips it. The first point after
 *    a gap of g steps is a (g+1)-step error: its |e| enters sigma2 divided by
 *    sqrt(1 + sum_{j<=g} c_j^2), and forecasts made during a gap use v_{g+h} (the state keeps
 *    the sum).
 *  - Fewer than HW_MIN_POINTS observed points: fit() returns -MAI_EINVAL and the state forecasts
 *    the last value with a random-walk interval s0 sqrt(g + h), s0 = max(sd of values, rms step
 *    change, 0.1 |last|), or 1 when that is 0; with no observation at all the mean is 0.
 *  - Should the recursion overflow (non-finite level, trend or sigma2), the state drops to that
 *    fallback from the next point on. Outputs are never NaN.
 * No allocation: the state and fit()'s scratch are caller memory (both must be 8-byte aligned). */
#include "hw.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "base.h"
#include "codec.h"

#define HW_SIGMA_LAMBDA 0.01    /* EW weight of the newest |error| in the scale (~100 points) */

#define HW_MODE_FALLBACK 0u
#define HW_MODE_MODEL 1u
#define HW_SAVE_MODE_WEEKLY 2u  /* save images only: a fitted model with the weekly season */

#define HW_A_LO 1e-4
#define HW_A_HI 0.9999
#define HW_B_LO 1e-4            /* bounds of beta* = beta / alpha */
#define HW_B_HI 0.9999
#define HW_G_LO 1e-4            /* bounds of gamma / (1 - alpha) */
#define HW_G_HI 0.9999
#define HW_PHI_LO 0.8
#define HW_PHI_HI 0.98

#define HW_INIT_CYCLES 5u
#define HW_SEASON_SMOOTH_DIV 96u     /* profile smoothing half-width = period / 96 slots */
#define HW_SQRT_PI_2 1.2533141373155003
#define HW_NM_MAXD 5
#define HW_NM_EVALS1 320
#define HW_NM_EVALS2 200


typedef struct hw_state {
    uint32_t m_cap;             /* season_day the state was sized for */
    uint32_t w_cap;             /* season_week the state was sized for (0: no weekly array) */
    uint32_t idx;               /* season slot of the next point: in the week when the weekly
                                 * season is in use (daily slot = idx % m_cap), else in the day */
    uint32_t gap;               /* missing points since the last observed one (saturating) */
    uint32_t max_history;       /* from fc_params; 0 = no limit */
    uint8_t mode;               /* HW_MODE_* */
    uint8_t daily;              /* 1: daily season in use (period m_cap) */
    uint8_t weekly;             /* 1: weekly season in use too (period w_cap; needs daily) */
    uint8_t pad_;
    uint64_t nobs;              /* observed points in the fallback statistics */
    double alpha, beta, gamma, phi;
    double level, trend, sigma2;
    double gphisum, gphipow, gsumc2;  /* phi_g, phi^g, sum_{j<=g} c_j^2 over the current gap */
    double last;                /* last observed value */
    union {
        /* fallback mode: Welford mean / M2, sum of squared steps */
        struct {
            double fb_mean, fb_m2, fb_d2;
        };
        /* model mode (where the fallback statistics are dead: fit() zeroes them, the overflow
         * path resets them before use): the weekly gain. Sharing the storage keeps the fixed
         * part at HW_STATE_BASE bytes. */
        double delta;
    };
    double season[];            /* m_cap daily slots, then w_cap weekly slots */
} hw_state;

_Static_assert(sizeof(hw_state) == HW_STATE_BASE, "HW_STATE_BASE must match hw_state");
_Static_assert(sizeof(hw_state) % sizeof(double) == 0, "season[] must stay 8-byte aligned");

static uint32_t hw_period(const hw_state *s)
{
    return s->daily ? s->m_cap : 0;
}

static uint32_t hw_wperiod(const hw_state *s)
{
    return s->weekly ? s->w_cap : 0;
}

static double *hw_week(hw_state *s)
{
    return s->season + s->m_cap;
}

static const double *hw_week_c(const hw_state *s)
{
    return s->season + s->m_cap;
}

/* ---------------------------------------------------------------------------------------------
 * Sizes, init, update */

static size_t hw_state_size(const fc_params *p)
{
    return sizeof(hw_state) + ((size_t)p->season_day + p->season_week) * sizeof(double);
}

static size_t hw_used_len(uint32_t max_history, size_t n)
{
    return (max_history != 0 && n > max_history) ? max_history : n;
}

static size_t hw_fit_scratch_size(const fc_params *p, size_t n)
{
    size_t w = hw_used_len(p->max_history, n);
    /* prefix sums of values and counts (2 (w+1)), moving average (w), initial and working
     * season (2 m_cap), slack */
    size_t k = 3 * (w + 1) + 2 * (size_t)p->season_day + 8;
    /* a weekly season is possible: initial and working weekly season (2 season_week), a second
     * moving average and the median buffer of the weekly initialisation (2 (w+1)) */
    if (p->season_week != 0 && w >= 2 * (size_t)p->season_week)
        k += 2 * (size_t)p->season_week + 2 * (w + 1);
    return sizeof(double) * k;
}

static void hw_reset(hw_state *s, uint32_t m_cap, uint32_t w_cap, uint32_t max_history)
{
    memset(s, 0, sizeof *s + ((size_t)m_cap + w_cap) * sizeof(double));
    s->m_cap = m_cap;
    s->w_cap = w_cap;
    s->max_history = max_history;
    s->mode = HW_MODE_FALLBACK;
    s->gphipow = 1.0;
}

static void hw_init(void *state, const fc_params *p)
{
    hw_reset(state, p->season_day, p->season_week, p->max_history);
}

static void hw_fallback_add(hw_state *s, double y)
{
    s->nobs++;
    if (s->nobs > 1) {
        double d = y - s->last;
        s->fb_d2 += d * d;
    }
    double d = y - s->fb_mean;
    s->fb_mean += d / (double)s->nobs;
    s->fb_m2 += d * (y - s->fb_mean);
    s->last = y;
    s->gap = 0;
}

static void hw_update(void *state, double y)
{
    hw_state *s = state;
    if (s->mode != HW_MODE_MODEL) {
        if (isfinite(y))
            hw_fallback_add(s, y);
        else if (s->gap < UINT32_MAX)
            s->gap++;
        return;
    }
    uint32_t m = hw_period(s), mw = hw_wperiod(s);
    double lb = s->level + s->phi * s->trend;
    if (!isfinite(y)) {                 /* a gap: propagate the mean, widen the variance */
        s->level = lb;
        s->trend *= s->phi;
        if (s->gap < UINT32_MAX)
            s->gap++;
        s->gphipow *= s->phi;
        s->gphisum += s->gphipow;
        double c = s->alpha + s->beta * s->gphisum;
        if (m != 0 && s->gap % m == 0)
            c += s->gamma;
        if (mw != 0 && s->gap % mw == 0)
            c += s->delta;
        s->gsumc2 += c * c;
    } else {
        double sv, dv = 0.0, wv = 0.0;
        if (mw != 0) {
            dv = s->season[s->idx % m];
            wv = hw_week(s)[s->idx];
            sv = dv + wv;
        } else {
            sv = m != 0 ? s->season[s->idx] : 0.0;
        }
        double e = y - (lb + sv);
        /* sigma2 = (sqrt(pi/2) x EW mean |e|)^2: an EW scale estimate that equals sigma in
         * expectation for normal errors and is not dominated by single spikes */
        double ae = HW_SQRT_PI_2 * fabs(e), sd = sqrt(s->sigma2);
        if (s->gap != 0)
            ae /= sqrt(1.0 + s->gsumc2);
        sd += HW_SIGMA_LAMBDA * (ae - sd);
        s->sigma2 = sd * sd;
        s->level = lb + s->alpha * e;
        s->trend = s->phi * s->trend + s->beta * e;
        if (mw != 0) {
            s->season[s->idx % m] = dv + s->gamma * e;
            hw_week(s)[s->idx] = wv + s->delta * e;
        } else if (m != 0) {
            s->season[s->idx] = sv + s->gamma * e;
        }
        s->gap = 0;
        s->gphipow = 1.0;
        s->gphisum = 0.0;
        s->gsumc2 = 0.0;
        s->last = y;
        s->nobs++;
        if (!isfinite(s->level) || !isfinite(s->trend) || !isfinite(s->sigma2)) {
            s->mode = HW_MODE_FALLBACK;   /* overflowed: last value from here on */
            s->nobs = 0;
            s->fb_mean = s->fb_m2 = s->fb_d2 = 0.0;
            hw_fallback_add(s, y);
            if (mw != 0) {              /* keep only the daily position, as without a week */
                s->weekly = 0;
                s->idx %= m;
                mw = 0;
            }
        }
    }
    if (mw != 0) {
        if (++s->idx == mw)
            s->idx = 0;
    } else if (m != 0 && ++s->idx == m) {
        s->idx = 0;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Fit: initial states, SSE, Nelder-Mead */

typedef struct hw_fitctx {
    const double *y;            /* from the first observed point on */
    size_t n;
    uint32_t m;                 /* period in use, 0 = none */
    uint32_t mw;                /* weekly period in use, 0 = none (a multiple of m) */
    double l0, b0;
    const double *s0;           /* initial season, m slots (unused when m == 0) */
    double *sw;                 /* working season copy */
    const double *w0;           /* initial weekly season, mw slots (unused when mw == 0) */
    double *ww;                 /* working weekly season copy */
    int dim;                    /* 3 (alpha, beta*, phi), 4 (+ gamma) or 5 (+ delta) */
} hw_fitctx;

typedef struct hw_par {
    double alpha, beta, gamma, phi, delta;
} hw_par;

static double hw_logistic(double u)
{
    return 1.0 / (1.0 + exp(-u));
}

static double hw_logit(double x, double lo, double hi)
{
    return log((x - lo) / (hi - x));
}

static hw_par hw_unpack(const double *u, int dim)
{
    hw_par p;
    p.alpha = HW_A_LO + (HW_A_HI - HW_A_LO) * hw_logistic(u[0]);
    p.beta = p.alpha * (HW_B_LO + (HW_B_HI - HW_B_LO) * hw_logistic(u[1]));
    p.phi = HW_PHI_LO + (HW_PHI_HI - HW_PHI_LO) * hw_logistic(u[2]);
    p.gamma = dim >= 4 ? (1.0 - p.alpha) * (HW_G_LO + (HW_G_HI - HW_G_LO) * hw_logistic(u[3]))
                       : 0.0;
    p.delta = dim == 5 ? (1.0 - p.alpha) * (HW_G_LO + (HW_G_HI - HW_G_LO) * hw_logistic(u[4]))
                       : 0.0;
    return p;
}

/* One-step SSE of the recursion from the initial states; HUGE_VAL when it overflows. */
static double hw_sse(const hw_fitctx *c, const hw_par *p, size_t *nvalid)
{
    const double a = p->alpha, b = p->beta, g = p->gamma, phi = p->phi;
    double l = c->l0, tr = c->b0, sse = 0.0;
    size_t nv = 0;
    if (c->mw != 0) {                   /* Taylor's double season */
        const double dl = p->delta;
        double *s = c->sw, *w = c->ww;
        memcpy(s, c->s0, c->m * sizeof(double));
        memcpy(w, c->w0, c->mw * sizeof(double));
        uint32_t j = 0, k = 0;
        for (size_t t = 0; t < c->n; t++) {
            double yt = c->y[t], lb = l + phi * tr;
            if (isfinite(yt)) {
                double e = yt - (lb + (s[j] + w[k]));
                sse += e * e;
                nv++;
                l = lb + a * e;
                tr = phi * tr + b * e;
                s[j] += g * e;
                w[k] += dl * e;
            } else {
                l = lb;
                tr *= phi;
            }
            if (++j == c->m)
                j = 0;
            if (++k == c->mw)
                k = 0;
        }
    } else if (c->m != 0) {
        double *s = c->sw;
        memcpy(s, c->s0, c->m * sizeof(double));
        uint32_t j = 0;
        for (size_t t = 0; t < c->n; t++) {
            double yt = c->y[t], lb = l + phi * tr;
            if (isfinite(yt)) {
                double e = yt - (lb + s[j]);
                sse += e * e;
                nv++;
                l = lb + a * e;
                tr = phi * tr + b * e;
                s[j] += g * e;
            } else {
                l = lb;
                tr *= phi;
            }
            if (++j == c->m)
                j = 0;
        }
    } else {
        for (size_t t = 0; t < c->n; t++) {
            double yt = c->y[t], lb = l + phi * tr;
            if (isfinite(yt)) {
                double e = yt - lb;
                sse += e * e;
                nv++;
                l = lb + a * e;
                tr = phi * tr + b * e;
            } else {
                l = lb;
                tr *= phi;
            }
        }
    }
    if (nvalid)
        *nvalid = nv;
    return isfinite(sse) ? sse : HUGE_VAL;
}

static double hw_objective(const hw_fitctx *c, const double *u)
{
    hw_par p = hw_unpack(u, c->dim);
    return hw_sse(c, &p, NULL);
}

/* Nelder-Mead (reflection 1, expansion 2, contraction 0.5, shrink 0.5) from u with initial step
 * `step` on each axis; at most max_eval evaluations. Leaves the best point in u. */
static double hw_nelder_mead(const hw_fitctx *c, double *u, double fu, double step, int max_eval)
{
    const int d = c->dim;
    double x[HW_NM_MAXD + 1][HW_NM_MAXD], f[HW_NM_MAXD + 1];
    double xc[HW_NM_MAXD], xr[HW_NM_MAXD], xe[HW_NM_MAXD], xk[HW_NM_MAXD];
    int evals = 0;

    for (int i = 0; i <= d; i++) {
        memcpy(x[i], u, (size_t)d * sizeof(double));
        if (i > 0) {
            x[i][i - 1] += step;
            f[i] = hw_objective(c, x[i]);
            evals++;
        } else {
            f[i] = fu;
        }
    }
    for (;;) {
        int lo = 0, hi = 0;
        for (int i = 1; i <= d; i++) {
            if (f[i] < f[lo])
                lo = i;
            if (f[i] > f[hi])
                hi = i;
        }
        int nh = lo;                    /* second worst */
        for (int i = 0; i <= d; i++)
            if (i != hi && f[i] > f[nh])
                nh = i;
        double spread = 0.0;
        for (int i = 0; i <= d; i++)
            for (int k = 0; k < d; k++)
                spread = fmax(spread, fabs(x[i][k] - x[lo][k]));
        if (evals >= max_eval || spread < 1e-6 ||
            (isfinite(f[hi]) && f[hi] - f[lo] <= 1e-10 * fabs(f[lo]) + DBL_MIN)) {
            memcpy(u, x[lo], (size_t)d * sizeof(double));
            return f[lo];
        }
        for (int k = 0; k < d; k++) {
            double sum = 0.0;
            for (int i = 0; i <= d; i++)
                if (i != hi)
                    sum += x[i][k];
            xc[k] = sum / d;
            xr[k] = xc[k] + (xc[k] - x[hi][k]);
        }
        double fr = hw_objective(c, xr);
        evals++;
        if (fr < f[lo]) {
            for (int k = 0; k < d; k++)
                xe[k] = xc[k] + 2.0 * (xc[k] - x[hi][k]);
            double fe = hw_objective(c, xe);
            evals++;
            if (fe < fr) {
                memcpy(x[hi], xe, (size_t)d * sizeof(double));
                f[hi] = fe;
            } else {
                memcpy(x[hi], xr, (size_t)d * sizeof(double));
                f[hi] = fr;
            }
        } else if (fr < f[nh]) {
            memcpy(x[hi], xr, (size_t)d * sizeof(double));
            f[hi] = fr;
        } else {
            int outside = fr < f[hi];
            for (int k = 0; k < d; k++)
                xk[k] = outside ? xc[k] + 0.5 * (xr[k] - xc[k])
                                : xc[k] + 0.5 * (x[hi][k] - xc[k]);
            double fk = hw_objective(c, xk);
            evals++;
            if (fk < (outside ? fr : f[hi])) {
                memcpy(x[hi], xk, (size_t)d * sizeof(double));
                f[hi] = fk;
            } else {                    /* shrink towards the best vertex */
                for (int i = 0; i <= d; i++) {
                    if (i == lo)
                        continue;
                    for (int k = 0; k < d; k++)
                        x[i][k] = x[lo][k] + 0.5 * (x[i][k] - x[lo][k]);
                    f[i] = hw_objective(c, x[i]);
                    evals++;
                }
            }
        }
    }
}

/* Least squares line v = a + b t through the finite v[t], t in [0, n). Returns points used. */
static size_t hw_line(const double *v, size_t n, size_t max_pts, double *a, double *b)
{
    double st = 0, sv = 0, stt = 0, stv = 0;
    size_t k = 0;
    for (size_t t = 0; t < n && k < max_pts; t++) {
        if (!isfinite(v[t]))
            continue;
        double tt = (double)t;
        st += tt;
        sv += v[t];
        stt += tt * tt;
        stv += tt * v[t];
        k++;
    }
    if (k == 0) {
        *a = 0;
        *b = 0;
        return 0;
    }
    double den = (double)k * stt - st * st;
    if (k < 2 || den <= 0) {
        *a = sv / (double)k;
        *b = 0;
    } else {
        *b = ((double)k * stv - st * sv) / den;
        *a = (sv - *b * st) / (double)k;
    }
    return k;
}

/* Classical decomposition of the first up-to-5 seasons of y[0..n) into l0, b0 (the states
 * before y[0]) and a centred season s0[0..m). Scratch: 3 (n + 1) doubles at most. */
static void hw_init_seasonal(const double *y, size_t n, uint32_t m, double *scratch,
                             double *l0, double *b0, double *s0)
{
    size_t cycles = n / m < HW_INIT_CYCLES ? n / m : HW_INIT_CYCLES;
    size_t w = cycles * m;
    double *ps = scratch, *pc = scratch + (w + 1), *ma = scratch + 2 * (w + 1);
    ps[0] = pc[0] = 0;
    for (size_t t = 0; t < w; t++) {
        int ok = isfinite(y[t]);
        ps[t + 1] = ps[t] + (ok ? y[t] : 0.0);
        pc[t + 1] = pc[t] + (ok ? 1.0 : 0.0);
    }
    /* mean of the window [i, i + m) when at least half of it is observed */
    size_t half = m / 2;
    for (size_t t = 0; t < w; t++) {
        ma[t] = NAN;
        if (m % 2 == 1) {
            if (t < half || t + half >= w)
                continue;
            double cnt = pc[t + half + 1] - pc[t - half];
            if (cnt >= 0.5 * m)
                ma[t] = (ps[t + half + 1] - ps[t - half]) / cnt;
        } else {                        /* 2 x m: average of windows starting at t-m/2, t-m/2+1 */
            if (t < half || t + half >= w)
                continue;
            double c1 = pc[t + half] - pc[t - half], c2 = pc[t + half + 1] - pc[t - half + 1];
            double s1 = ps[t + half] - ps[t - half], s2 = ps[t + half + 1] - ps[t - half + 1];
            int ok1 = c1 >= 0.5 * m, ok2 = c2 >= 0.5 * m;
            if (ok1 && ok2)
                ma[t] = 0.5 * (s1 / c1 + s2 / c2);
            else if (ok1)
                ma[t] = s1 / c1;
            else if (ok2)
                ma[t] = s2 / c2;
        }
    }
    double mean = 0.0;
    for (uint32_t j = 0; j < m; j++) {
        double v[HW_INIT_CYCLES];
        size_t k = 0;
        for (size_t t = j; t < w; t += m) {
            if (isfinite(y[t]) && isfinite(ma[t])) {
                double x = y[t] - ma[t];
                size_t i = k++;
                for (; i > 0 && v[i - 1] > x; i--)     /* insertion sort */
                    v[i] = v[i - 1];
                v[i] = x;
            }
        }
        s0[j] = k == 0 ? 0.0 : (k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]));
        mean += s0[j];
    }
    mean /= m;
    for (uint32_t j = 0; j < m; j++)
        s0[j] -= mean;
    double a, b;
    if (hw_line(ma, w, w, &a, &b) < 2) {
        /* too few moving-average points: deseasonalised observed points instead */
        for (size_t t = 0; t < w; t++)
            ma[t] = isfinite(y[t]) ? y[t] - s0[t % m] : NAN;
        hw_line(ma, w, w, &a, &b);
    }
    *l0 = a - b;                        /* the line at t = -1: the state before y[0] */
    *b0 = b;

    /* smooth the profile with a centred circular moving average of 2 r + 1 slots (about 35
     * minutes of a day): the per-slot medians of a few days are noisy, and that noise would go
     * straight into every short-horizon forecast */
    size_t r = m / HW_SEASON_SMOOTH_DIV;
    if (r > 0) {
        memcpy(ma, s0, m * sizeof(double));
        double sum = 0.0;
        for (size_t q = 0; q <= 2 * r; q++)
            sum += ma[(q + m - r) % m];
        for (uint32_t j = 0; j < m; j++) {
            s0[j] = sum / (double)(2 * r + 1);
            sum += ma[(j + r + 1) % m] - ma[(j + m - r) % m];
        }
    }
}

/* Centred moving average of y over a window of m points at t (2 x m when m is even), from the
 * prefix sums ps / pc of y[0..w); NaN near the ends or when less than half a window is observed.
 * (The weekly initialisation's copy of hw_init_seasonal's loop, which stays as it is.) */
static double hw_cma(const double *ps, const double *pc, size_t w, size_t m, size_t t)
{
    size_t half = m / 2;
    if (t < half || t + half >= w)
        return NAN;
    if (m % 2 == 1) {
        double cnt = pc[t + half + 1] - pc[t - half];
        return cnt >= 0.5 * (double)m ? (ps[t + half + 1] - ps[t - half]) / cnt : NAN;
    }
    double c1 = pc[t + half] - pc[t - half], c2 = pc[t + half + 1] - pc[t - half + 1];
    double s1 = ps[t + half] - ps[t - half], s2 = ps[t + half + 1] - ps[t - half + 1];
    int ok1 = c1 >= 0.5 * (double)m, ok2 = c2 >= 0.5 * (double)m;
    if (ok1 && ok2)
        return 0.5 * (s1 / c1 + s2 / c2);
    if (ok1)
        return s1 / c1;
    if (ok2)
        return s2 / c2;
    return NAN;
}

/* Centred circular moving average of 2 r + 1 slots over v[0..m), tmp: m doubles. */
static void hw_circ_smooth(double *v, size_t m, size_t r, double *tmp)
{
    if (r == 0)
        return;
    memcpy(tmp, v, m * sizeof(double));
    double sum = 0.0;
    for (size_t q = 0; q <= 2 * r; q++)
        sum += tmp[(q + m - r) % m];
    for (size_t j = 0; j < m; j++) {
        v[j] = sum / (double)(2 * r + 1);
        sum += tmp[(j + r + 1) % m] - tmp[(j + m - r) % m];
    }
}

/* Classical decomposition of the first two weeks (2 mw points, mw a multiple of m, n >= 2 mw)
 * into l0, b0, a daily profile d0[0..m) and a weekly profile w0[0..mw):
 *  - trend: least squares line through the centred 2 x mw moving average (through the daily
 *    one, then the observed points, when that has fewer than two points);
 *  - daily: per-slot median of y - (centred 2 x m moving average), centred and smoothed as in
 *    hw_init_seasonal;
 *  - weekly: per-slot mean over the two weeks of y - line - daily, then centred at each daily
 *    slot over the days of the week (so the daily profile keeps the shape common to all days
 *    and the weekly one only the day-of-week deviations), smoothed like the daily one.
 * Scratch: 4 (2 mw) + 2 + 2 mw / m doubles. */
static void hw_init_weekly(const double *y, size_t n, uint32_t m, uint32_t mw, double *scratch,
                           double *l0, double *b0, double *d0, double *w0)
{
    (void)n;
    size_t w = 2 * (size_t)mw, days = w / m;
    double *ps = scratch, *pc = ps + (w + 1), *maw = pc + (w + 1), *mad = maw + w;
    double *v = mad + w;
    ps[0] = pc[0] = 0;
    for (size_t t = 0; t < w; t++) {
        int ok = isfinite(y[t]);
        ps[t + 1] = ps[t] + (ok ? y[t] : 0.0);
        pc[t + 1] = pc[t] + (ok ? 1.0 : 0.0);
    }
    for (size_t t = 0; t < w; t++) {
        maw[t] = hw_cma(ps, pc, w, mw, t);
        mad[t] = hw_cma(ps, pc, w, m, t);
    }
    double a, b;
    if (hw_line(maw, w, w, &a, &b) < 2 && hw_line(mad, w, w, &a, &b) < 2)
        hw_line(y, w, w, &a, &b);
    *l0 = a - b;                        /* the line at t = -1: the state before y[0] */
    *b0 = b;

    double mean = 0.0;
    for (uint32_t j = 0; j < m; j++) {
        size_t k = 0;
        for (size_t t = j; t < w; t += m) {
            if (isfinite(y[t]) && isfinite(mad[t])) {
                double x = y[t] - mad[t];
                size_t i = k++;
                for (; i > 0 && v[i - 1] > x; i--)     /* insertion sort, <= 2 mw / m values */
                    v[i] = v[i - 1];
                v[i] = x;
            }
        }
        d0[j] = k == 0 ? 0.0 : (k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]));
        mean += d0[j];
    }
    mean /= m;
    for (uint32_t j = 0; j < m; j++)
        d0[j] -= mean;
    size_t r = m / HW_SEASON_SMOOTH_DIV;
    hw_circ_smooth(d0, m, r, maw);

    for (uint32_t k = 0; k < mw; k++) {
        double sum = 0.0;
        int cnt = 0;
        for (size_t t = k; t < w; t += mw) {
            if (isfinite(y[t])) {
                sum += y[t] - (a + b * (double)t) - d0[k % m];
                cnt++;
            }
        }
        w0[k] = cnt ? sum / cnt : NAN;
    }
    size_t dpw = days / 2;              /* days in a week */
    for (uint32_t j = 0; j < m; j++) {
        double sum = 0.0;
        size_t cnt = 0;
        for (size_t i = 0; i < dpw; i++) {
            double x = w0[j + i * m];
            if (isfinite(x)) {
                sum += x;
                cnt++;
            }
        }
        double c = cnt ? sum / (double)cnt : 0.0;
        for (size_t i = 0; i < dpw; i++) {
            double *x = &w0[j + i * m];
            *x = isfinite(*x) ? *x - c : 0.0;
        }
    }
    hw_circ_smooth(w0, mw, r, maw);
}

static int hw_fit(void *state, const double *y, size_t n, void *scratch)
{
    hw_state *s = state;
    uint32_t m_cap = s->m_cap, w_cap = s->w_cap;
    hw_reset(s, m_cap, w_cap, s->max_history);
    if (y == NULL)
        n = 0;
    size_t used = hw_used_len(s->max_history, n);
    y += n - used;
    n = used;

    size_t t0 = 0, nv = 0;
    while (t0 < n && !isfinite(y[t0]))
        t0++;
    for (size_t t = t0; t < n; t++)
        nv += isfinite(y[t]) ? 1 : 0;
    if (nv < HW_MIN_POINTS || scratch == NULL) {
        for (size_t t = 0; t < n; t++)
            hw_update(s, y[t]);
        return -MAI_EINVAL;
    }
    const double *yy = y + t0;
    size_t len = n - t0;

    double *sc = scratch;
    hw_fitctx c;
    c.y = yy;
    c.n = len;
    c.m = (m_cap >= 2 && len >= 2 * (size_t)m_cap && nv >= (size_t)m_cap + HW_MIN_POINTS)
              ? m_cap : 0;
    /* Taylor's weekly season on top of the daily one: with two full weeks of history */
    c.mw = (c.m && w_cap > c.m && w_cap % c.m == 0 && len >= 2 * (size_t)w_cap &&
            nv >= (size_t)w_cap + HW_MIN_POINTS)
               ? w_cap : 0;
    c.dim = c.mw ? 5 : c.m ? 4 : 3;
    double *s0 = sc, *sw = sc + m_cap, *dec = sc + 2 * (size_t)m_cap;
    double *w0 = NULL;
    c.s0 = s0;
    c.sw = sw;
    c.w0 = NULL;
    c.ww = NULL;
    if (c.mw) {
        w0 = dec;
        c.w0 = w0;
        c.ww = w0 + c.mw;
        dec = w0 + 2 * (size_t)c.mw;
        hw_init_weekly(yy, len, c.m, c.mw, dec, &c.l0, &c.b0, s0, w0);
    } else if (c.m) {
        hw_init_seasonal(yy, len, c.m, dec, &c.l0, &c.b0, s0);
    } else {
        double a, b;
        hw_line(yy, len, HW_MIN_POINTS, &a, &b);
        c.l0 = a - b;
        c.b0 = b;
    }

    /* start: the best of a small grid, then Nelder-Mead and one restart from its best vertex */
    static const double a_grid[3] = {0.1, 0.4, 0.8};
    static const double g_grid[2] = {0.05, 0.3};
    double u[HW_NM_MAXD], best[HW_NM_MAXD], fbest = HUGE_VAL;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < (c.m ? 2 : 1); j++) {
            for (int k = 0; k < (c.mw ? 2 : 1); k++) {
                u[0] = hw_logit(a_grid[i], HW_A_LO, HW_A_HI);
                u[1] = hw_logit(0.1, HW_B_LO, HW_B_HI);
                u[2] = hw_logit(0.95, HW_PHI_LO, HW_PHI_HI);
                u[3] = hw_logit(g_grid[j], HW_G_LO, HW_G_HI);
                u[4] = hw_logit(g_grid[k], HW_G_LO, HW_G_HI);
                double f = hw_objective(&c, u);
                if (f < fbest || fbest == HUGE_VAL) {
                    fbest = f;
                    memcpy(best, u, sizeof best);
                }
            }
        }
    }
    fbest = hw_nelder_mead(&c, best, fbest, 1.0, HW_NM_EVALS1);
    fbest = hw_nelder_mead(&c, best, fbest, 0.3, HW_NM_EVALS2);
    hw_par p = hw_unpack(best, c.dim);
    size_t nvalid = 0;
    double sse = hw_sse(&c, &p, &nvalid);

    /* position the state after y[n-1]: run the recursion again through update() */
    s->mode = HW_MODE_MODEL;
    s->daily = c.m != 0;
    s->weekly = c.mw != 0;
    s->idx = 0;
    s->alpha = p.alpha;
    s->beta = p.beta;
    s->gamma = p.gamma;
    s->phi = p.phi;
    s->delta = p.delta;                 /* 0 without a week; the fallback statistics are 0 too */
    s->level = c.l0;
    s->trend = c.b0;
    s->sigma2 = (isfinite(sse) && nvalid) ? sse / (double)nvalid : 0.0;
    if (c.m)
        memcpy(s->season, s0, c.m * sizeof(double));
    if (c.mw)
        memcpy(hw_week(s), w0, c.mw * sizeof(double));
    s->last = yy[0];
    for (size_t t = 0; t < len; t++)
        hw_update(s, yy[t]);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Forecast */


static void hw_forecast_fallback(const hw_state *s, size_t h, const fc_output *out)
{
    double mean = s->nobs ? s->last : 0.0, s0 = 0.0;
    if (s->nobs >= 2) {
        double n1 = (double)(s->nobs - 1);
        s0 = fmax(sqrt(s->fb_m2 / n1), sqrt(s->fb_d2 / n1));
    }
    s0 = fmax(s0, 0.1 * fabs(mean));
    if (!(s0 > 0.0))
        s0 = 1.0;
    for (size_t k = 0; k < h; k++)
        fc_output_put(out, k, mean, s0 * sqrt((double)s->gap + (double)k + 1.0));
}

static int hw_forecast(const void *state, size_t h, fc_output *out)
{
    const hw_state *s = state;
    if (h == 0 || out == NULL || out->mean == NULL)
        return -MAI_EINVAL;
    if (s->mode != HW_MODE_MODEL) {
        hw_forecast_fallback(s, h, out);
        return 0;
    }
    const uint32_t m = hw_period(s), mw = hw_wperiod(s);
    const double phi = s->phi, l = s->level, b = s->trend, sig2 = s->sigma2;
    double fpow = 1.0, fsum = 0.0;                      /* for the mean, from the state */
    double vpow = s->gphipow, vsum = s->gphisum, sc2 = s->gsumc2;   /* from the last obs */
    uint64_t j = s->gap;
    uint32_t si = s->idx;
    int bad = 0;
    if (mw != 0) {                      /* Taylor's double season: the same with a weekly term */
        const double *wk = hw_week_c(s);
        uint32_t wi = s->idx;
        si = wi % m;
        for (size_t k = 0; k < h; k++) {
            fpow *= phi;
            fsum += fpow;
            double mean = l + fsum * b + (s->season[si] + wk[wi]);
            double sd = sqrt(sig2 * (1.0 + sc2));
            if (!isfinite(mean) || isnan(sd)) {
                bad = 1;
                break;
            }
            fc_output_put(out, k, mean, sd);
            if (++si == m)
                si = 0;
            if (++wi == mw)
                wi = 0;
            j++;
            vpow *= phi;
            vsum += vpow;
            double c = s->alpha + s->beta * vsum;
            if (j % m == 0)
                c += s->gamma;
            if (j % mw == 0)
                c += s->delta;
            sc2 += c * c;
        }
        if (bad)
            hw_forecast_fallback(s, h, out);
        return 0;
    }
    for (size_t k = 0; k < h; k++) {
        fpow *= phi;
        fsum += fpow;
        double mean = l + fsum * b + (m ? s->season[si] : 0.0);
        double sd = sqrt(sig2 * (1.0 + sc2));
        if (!isfinite(mean) || isnan(sd)) {
            bad = 1;
            break;
        }
        fc_output_put(out, k, mean, sd);
        if (m && ++si == m)
            si = 0;
        /* c_{j} for j = gap + k + 1: the next step's extra variance */
        j++;
        vpow *= phi;
        vsum += vpow;
        double c = s->alpha + s->beta * vsum;
        if (m && j % m == 0)
            c += s->gamma;
        sc2 += c * c;
    }
    if (bad)
        hw_forecast_fallback(s, h, out);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Save / load */

#define HW_NDOUBLES 14

static size_t hw_save(const void *state, uint8_t *buf, size_t cap)
{
    const hw_state *s = state;
    const uint32_t m = hw_period(s);
    const int model = s->mode == HW_MODE_MODEL, week = model && s->weekly;
    size_t need = HW_SAVE_FIXED + (size_t)m * sizeof(double);
    if (week)
        need += sizeof(double) * (1 + (size_t)s->w_cap);
    if (buf == NULL || cap < need)
        return need;
    buf[0] = 'H';
    buf[1] = 'W';
    buf[2] = (uint8_t)HW_SAVE_VERSION;
    buf[3] = (uint8_t)(week ? HW_SAVE_MODE_WEEKLY : s->mode);
    le_put_u32(buf + 4, s->m_cap);
    le_put_u32(buf + 8, m);
    le_put_u32(buf + 12, s->idx);
    le_put_u32(buf + 16, s->gap);
    le_put_u32(buf + 20, s->w_cap);
    le_put_u64(buf + 24, s->nobs);
    /* in model mode the fallback statistics are dead (0 as fit() left them); delta, which
     * shares their storage, has its own field after the daily season */
    const double d[HW_NDOUBLES] = {s->alpha, s->beta, s->gamma, s->phi, s->level, s->trend,
                                   s->sigma2, s->gphisum, s->gphipow, s->gsumc2, s->last,
                                   model ? 0.0 : s->fb_mean, model ? 0.0 : s->fb_m2,
                                   model ? 0.0 : s->fb_d2};
    for (int i = 0; i < HW_NDOUBLES; i++)
        le_put_u64(buf + 32 + 8 * i, mai_double_bits(d[i]));
    for (uint32_t j = 0; j < m; j++)
        le_put_u64(buf + HW_SAVE_FIXED + 8 * (size_t)j, mai_double_bits(s->season[j]));
    if (week) {
        uint8_t *p = buf + HW_SAVE_FIXED + 8 * (size_t)m;
        le_put_u64(p, mai_double_bits(s->delta));
        for (uint32_t k = 0; k < s->w_cap; k++)
            le_put_u64(p + 8 + 8 * (size_t)k, mai_double_bits(hw_week_c(s)[k]));
    }
    return need;
}

static int hw_in01(double v)
{
    return v >= 0.0 && v <= 1.0;
}

static int hw_load(void *state, const fc_params *p, const uint8_t *buf, size_t n)
{
    if (state == NULL || p == NULL || buf == NULL || n < HW_SAVE_FIXED)
        return -MAI_EPROTO;
    if (buf[0] != 'H' || buf[1] != 'W' || (buf[2] != 1 && buf[2] != HW_SAVE_VERSION))
        return -MAI_EPROTO;
    const int v1 = buf[2] == 1;
    if (buf[3] > (v1 ? HW_MODE_MODEL : HW_SAVE_MODE_WEEKLY))
        return -MAI_EPROTO;
    const int week = buf[3] == HW_SAVE_MODE_WEEKLY;
    uint32_t m_cap = le_get_u32(buf + 4), m = le_get_u32(buf + 8), idx = le_get_u32(buf + 12);
    uint32_t gap = le_get_u32(buf + 16), w_cap = le_get_u32(buf + 20);
    if (m_cap != p->season_day)
        return -MAI_EPROTO;
    /* version 1: offset 20 was reserved (0) and the image has no week; it loads into a state of
     * any season_week. Version 2: the season_week the state was sized for. */
    if (v1 ? w_cap != 0 : w_cap != p->season_week)
        return -MAI_EPROTO;
    if (m != 0 && (m != m_cap || m < 2))
        return -MAI_EPROTO;
    if (week && (m == 0 || w_cap <= m || w_cap % m != 0))
        return -MAI_EPROTO;
    uint32_t pos = week ? w_cap : m;    /* the season index runs over the week when there is one */
    if ((pos == 0 && idx != 0) || (pos != 0 && idx >= pos))
        return -MAI_EPROTO;
    uint64_t want = (uint64_t)HW_SAVE_FIXED + 8u * (uint64_t)m;
    if (week)
        want += 8u + 8u * (uint64_t)w_cap;
    if ((uint64_t)n != want)
        return -MAI_EPROTO;
    double d[HW_NDOUBLES];
    for (int i = 0; i < HW_NDOUBLES; i++)
        d[i] = le_get_f64(buf + 32 + 8 * i);
    for (int i = 0; i < 12; i++)            /* fb_m2, fb_d2 may have overflowed to +Inf */
        if (!isfinite(d[i]))
            return -MAI_EPROTO;
    if (!hw_in01(d[0]) || !hw_in01(d[1]) || !hw_in01(d[2]) || !hw_in01(d[3]) || !(d[6] >= 0) ||
        !(d[7] >= 0) || !hw_in01(d[8]) || !(d[9] >= 0) || !(d[12] >= 0) || !(d[13] >= 0))
        return -MAI_EPROTO;
    for (uint32_t j = 0; j < m; j++)
        if (!isfinite(le_get_f64(buf + HW_SAVE_FIXED + 8 * (size_t)j)))
            return -MAI_EPROTO;
    const uint8_t *wb = buf + HW_SAVE_FIXED + 8 * (size_t)m;   /* delta, then the week */
    double delta = 0.0;
    if (week) {
        delta = le_get_f64(wb);
        if (!hw_in01(delta))
            return -MAI_EPROTO;
        for (uint32_t k = 0; k < w_cap; k++)
            if (!isfinite(le_get_f64(wb + 8 + 8 * (size_t)k)))
                return -MAI_EPROTO;
    }

    hw_state *s = state;
    hw_reset(s, m_cap, p->season_week, p->max_history);
    s->mode = week ? HW_MODE_MODEL : buf[3];
    s->daily = m != 0;
    s->weekly = (uint8_t)week;
    s->idx = idx;
    s->gap = gap;
    s->nobs = le_get_u64(buf + 24);
    s->alpha = d[0];
    s->beta = d[1];
    s->gamma = d[2];
    s->phi = d[3];
    s->level = d[4];
    s->trend = d[5];
    s->sigma2 = d[6];
    s->gphisum = d[7];
    s->gphipow = d[8];
    s->gsumc2 = d[9];
    s->last = d[10];
    if (s->mode == HW_MODE_MODEL) {
        s->delta = delta;               /* the fallback statistics are dead in model mode */
    } else {
        s->fb_mean = d[11];
        s->fb_m2 = d[12];
        s->fb_d2 = d[13];
    }
    for (uint32_t j = 0; j < m; j++)
        s->season[j] = le_get_f64(buf + HW_SAVE_FIXED + 8 * (size_t)j);
    for (uint32_t k = 0; week && k < w_cap; k++)
        hw_week(s)[k] = le_get_f64(wb + 8 + 8 * (size_t)k);
    return 0;
}

void hw_get_info(const void *state, hw_info *out)
{
    const hw_state *s = state;
    out->fitted = s->mode == HW_MODE_MODEL;
    out->period = hw_period(s);
    out->wperiod = s->mode == HW_MODE_MODEL ? hw_wperiod(s) : 0;
    out->gap = s->gap;
    out->alpha = s->alpha;
    out->beta = s->beta;
    out->gamma = s->gamma;
    out->phi = s->phi;
    out->delta = s->mode == HW_MODE_MODEL ? s->delta : 0.0;
    out->level = s->level;
    out->trend = s->trend;
    out->sigma2 = s->sigma2;
}

const forecaster_ops hw_ops = {
    .name = "hw",
    .state_size = hw_state_size,
    .fit_scratch_size = hw_fit_scratch_size,
    .init = hw_init,
    .update = hw_update,
    .fit = hw_fit,
    .forecast = hw_forecast,
    .save = hw_save,
    .load = hw_load,
};
