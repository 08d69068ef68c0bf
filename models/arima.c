/* SPDX-License-Identifier: Apache-2.0
 * models/arima.c -- ARIMA(p,d,q) forecaster with an optional seasonal difference (see arima.h).
 * fit() picks D, then d, then (p, q, constant) and estimates coefficients by conditional sum of
 * squares; update() advances the differencing and the ARMA recursion in O(p + q); forecast()
 * runs the recursion forward and takes interval widths from the psi-weights.
 *
 * Design note. Sources: Box, Jenkins, Reinsel & Ljung, "Time Series Analysis" (5th ed., 2015):
 * the model, CSS estimation (ch. 7), psi-weight forecast variance (ch. 5); Hyndman & Khandakar,
 * "Automatic time series forecasting: the forecast package for R", J. Stat. Softw. 27(3), 2008:
 * KPSS unit-root tests for d, the stepwise AICc search and its starting models; Kwiatkowski,
 * Phillips, Schmidt & Shin (1992) for the test, with urca's "short" Bartlett lag; Jones (1980) /
 * Monahan (1984) for the partial-autocorrelation parametrisation (the one R's arima() uses) that
 * keeps AR stationary and MA invertible; Nelder & Mead (1965) with Lagarias et al.'s (1998) steps.
 * CSS conditioning follows R's arima(method = "CSS"): residuals start after d + D*s + p points,
 * sigma2 = SSE / residuals, log-likelihood -n/2 (log(2 pi sigma2) + 1) with n the differenced
 * length. Deviations from auto.arima: p, q <= 3 and at most ARIMA_MAX_CANDIDATES models; CSS only
 * (no exact Kalman likelihood); no seasonal AR/MA terms; a second difference needs, besides the
 * KPSS rejection, a lower variance than the first (Box-Jenkins' over-differencing check: on spiky
 * counts KPSS alone picked d = 2 and extrapolated a quadratic); D (0/1) is decided by the seasonal
 * strength of an STL-like split (moving-average trend, mean seasonal profile) with auto.arima's
 * 0.64 threshold rather than by STL itself; interior gaps are linearly interpolated for fitting
 * and fed as one-step forecasts (residual 0) by update(); coefficients come from a derivative-free
 * simplex search with one restart instead of BFGS. */
#include "arima.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "base.h"
#include "codec.h"

#define AR_MAGIC0 'A'
#define AR_MAGIC1 'R'
#define AR_MAGIC2 'I'
#define AR_MAGIC3 'M'

#define KPSS_CRIT_5PCT 0.463    /* level-stationarity KPSS, 5 % critical value */
#define SEAS_STRENGTH_MIN 0.64  /* auto.arima's seasonal-strength threshold for D = 1 */
#define Z80 1.2815515655446004
#define Z95 1.959963984540054
#define NM_MAXK (ARIMA_MAX_P + ARIMA_MAX_Q + 1)
#define TWO_PI 6.283185307179586
#define U_CLAMP 8.0             /* |u| bound inside tanh: |pacf| <= 0.99999977 */

typedef struct arima_state {
    uint32_t season;            /* ring capacity: the params' season_day */
    uint32_t max_history;
    uint8_t p, d, q, D, has_c;
    uint8_t fitted;             /* the coefficients below drive update()/forecast() */
    uint8_t order_valid;        /* p, d, q, D, has_c hold an order chosen earlier */
    uint8_t keep_order;
    int32_t candidates;
    uint64_t n_seen, n_w, n_z, n_diff;
    double phi[ARIMA_MAX_P], theta[ARIMA_MAX_Q], c, sigma2, aicc;
    double w1, w2;              /* last two seasonally differenced values */
    double zl[ARIMA_MAX_P];     /* last differenced values, newest first */
    double el[ARIMA_MAX_Q];     /* last residuals, newest first */
    double last;                /* last value (observed or gap-filled) */
    double abs_sum;             /* sum of |one-step change| over observed pairs (fallback scale) */
    double ring[];              /* season doubles: value i is at ring[i % season] */
} arima_state;

_Static_assert(sizeof(arima_state) <= ARIMA_STATE_BASE, "ARIMA_STATE_BASE too small");

typedef struct order {
    int p, d, q, D, c;
} order;

/* ---- small helpers ---------------------------------------------------------------------- */

static size_t used_len(const arima_state *s, size_t n)
{
    if (s->max_history > 0 && n > s->max_history)
        return s->max_history;
    return n;
}

static void mean_sd(const double *x, size_t n, double *mean, double *sd)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m = n ? m / (double)n : 0;
    double v = 0;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(v / (double)(n - 1)) : 0;
}

static double max_abs(const double *x, size_t n)
{
    double a = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > a)
            a = fabs(x[i]);
    return a;
}

/* Nearly constant: spread below 1e-9 of the magnitude (or exactly zero). */
static int is_constant(const double *x, size_t n)
{
    double m, sd;
    mean_sd(x, n, &m, &sd);
    return sd <= 1e-9 * max_abs(x, n) || sd == 0;
}

/* Partial autocorrelations r[0..k) in (-1,1) to AR coefficients (Durbin-Levinson; R partrans). */
static void pacf_to_ar(const double *r, int k, double *phi)
{
    double work[ARIMA_MAX_P > ARIMA_MAX_Q ? ARIMA_MAX_P : ARIMA_MAX_Q];
    for (int j = 0; j < k; j++) {
        double a = r[j];
        for (int i = 0; i < j; i++)
            work[i] = phi[i] - a * phi[j - i - 1];
        for (int i = 0; i < j; i++)
            phi[i] = work[i];
        phi[j] = a;
    }
}

/* Inverse of pacf_to_ar; returns -1 when phi is not stationary (some |r| >= 1). */
static int ar_to_pacf(const double *phi, int k, double *r)
{
    double cur[ARIMA_MAX_P > ARIMA_MAX_Q ? ARIMA_MAX_P : ARIMA_MAX_Q];
    double work[ARIMA_MAX_P > ARIMA_MAX_Q ? ARIMA_MAX_P : ARIMA_MAX_Q];
    for (int i = 0; i < k; i++)
        cur[i] = phi[i];
    for (int j = k - 1; j >= 0; j--) {
        double a = cur[j];
        if (!(fabs(a) < 1))
            return -1;
        r[j] = a;
        for (int i = 0; i < j; i++)
            work[i] = (cur[i] + a * cur[j - i - 1]) / (1 - a * a);
        for (int i = 0; i < j; i++)
            cur[i] = work[i];
    }
    return 0;
}

/* ---- state position ----------------------------------------------------------------------- */

static void reset_position(arima_state *s)
{
    s->n_seen = s->n_w = s->n_z = s->n_diff = 0;
    s->w1 = s->w2 = 0;
    for (int i = 0; i < ARIMA_MAX_P; i++)
        s->zl[i] = 0;
    for (int i = 0; i < ARIMA_MAX_Q; i++)
        s->el[i] = 0;
    s->last = 0;
    s->abs_sum = 0;
    for (uint32_t i = 0; i < s->season; i++)
        s->ring[i] = 0;
}

static void clear_coef(arima_state *s)
{
    for (int i = 0; i < ARIMA_MAX_P; i++)
        s->phi[i] = 0;
    for (int i = 0; i < ARIMA_MAX_Q; i++)
        s->theta[i] = 0;
    s->c = 0;
    s->sigma2 = 0;
    s->aicc = HUGE_VAL;
}

/* The model's one-step prediction of the differenced value. */
static double zhat_next(const arima_state *s)
{
    double v = s->c;
    for (int i = 0; i < s->p; i++)
        v += s->phi[i] * (s->zl[i] - s->c);
    for (int j = 0; j < s->q; j++)
        v += s->theta[j] * s->el[j];
    return v;
}

/* Model ready to predict: enough points for the differencing and the AR lags. */
static int ready(const arima_state *s)
{
    if (!s->fitted)
        return 0;
    if (s->D && s->n_seen < s->season)
        return 0;
    return s->n_w >= (uint64_t)s->d && s->n_z >= (uint64_t)s->p;
}

/* Undoes the differencing of one predicted z (next point). */
static double undiff_next(const arima_state *s, double z)
{
    double w = z;
    if (s->d == 1)
        w += s->w1;
    else if (s->d == 2)
        w += 2 * s->w1 - s->w2;
    if (s->D)
        w += s->ring[s->n_seen % s->season];
    return w;
}

static double one_step(const arima_state *s)
{
    if (!ready(s))
        return s->last;
    double v = undiff_next(s, zhat_next(s));
    return isfinite(v) ? v : s->last;
}

static void arima_update(void *state, double y)
{
    arima_state *s = state;
    int gap = !isfinite(y);
    if (gap) {
        if (s->n_seen == 0)
            return;             /* nothing to continue from: a leading gap is dropped */
        y = one_step(s);
    } else if (s->n_seen > 0) {
        double ch = fabs(y - s->last);
        if (isfinite(ch)) {
            s->abs_sum += ch;
            s->n_diff++;
        }
    }
    if (s->fitted) {
        int have_w = 1;
        double w = y;
        if (s->D) {
            have_w = s->n_seen >= s->season;
            if (have_w)
                w = y - s->ring[s->n_seen % s->season];
        }
        if (have_w) {
            int have_z = s->n_w >= (uint64_t)s->d;
            double z = w;
            if (s->d == 1)
                z = w - s->w1;
            else if (s->d == 2)
                z = w - 2 * s->w1 + s->w2;
            s->w2 = s->w1;
            s->w1 = w;
            s->n_w++;
            if (have_z) {
                double e = 0;
                if (!gap && s->n_z >= (uint64_t)s->p) {
                    e = z - zhat_next(s);
                    if (!isfinite(e))
                        e = 0;
                }
                for (int i = ARIMA_MAX_P - 1; i > 0; i--)
                    s->zl[i] = s->zl[i - 1];
                s->zl[0] = z;
                for (int j = ARIMA_MAX_Q - 1; j > 0; j--)
                    s->el[j] = s->el[j - 1];
                s->el[0] = e;
                s->n_z++;
            }
        }
    }
    if (s->season > 0)
        s->ring[s->n_seen % s->season] = y;
    s->n_seen++;
    s->last = y;
}

/* ---- ops: sizes and init ------------------------------------------------------------------ */

static size_t arima_state_size(const fc_params *p)
{
    return sizeof(arima_state) + (size_t)p->season_day * sizeof(double);
}

static size_t arima_fit_scratch_size(const fc_params *p, size_t n)
{
    size_t m = n;
    if (p->max_history > 0 && m > p->max_history)
        m = p->max_history;
    return 3 * m * sizeof(double) + 64;
}

static void arima_init(void *state, const fc_params *p)
{
    arima_state *s = state;
    memset(s, 0, sizeof *s);
    s->season = p->season_day;
    s->max_history = p->max_history;
    clear_coef(s);
    reset_position(s);
}

/* ---- order selection statistics ------------------------------------------------------------ */

/* KPSS level-stationarity statistic with a Bartlett long-run variance, lag trunc(4 (n/100)^.25). */
static double kpss_stat(const double *x, size_t n)
{
    double m, sd;
    mean_sd(x, n, &m, &sd);
    double cum = 0, s_cum2 = 0, s2 = 0;
    for (size_t t = 0; t < n; t++) {
        double e = x[t] - m;
        cum += e;
        s_cum2 += cum * cum;
        s2 += e * e;
    }
    size_t l = (size_t)(4.0 * pow((double)n / 100.0, 0.25));
    if (l >= n)
        l = n - 1;
    for (size_t j = 1; j <= l; j++) {
        double cov = 0;
        for (size_t t = j; t < n; t++)
            cov += (x[t] - m) * (x[t - j] - m);
        s2 += 2.0 * (1.0 - (double)j / (double)(l + 1)) * cov;
    }
    s2 /= (double)n;
    if (!(s2 > 0))
        return 0;
    return s_cum2 / ((double)n * (double)n * s2);
}

/* Seasonal strength max(0, 1 - var(remainder) / var(detrended)) with a centred (2x)s moving
 * average trend and the mean detrended value per phase as the season. sum, cnt: s doubles. */
static double seasonal_strength(const double *x, size_t m, size_t s, double *sum, double *cnt)
{
    size_t half = s / 2;
    int even = (s % 2) == 0;
    if (m < 2 * s + 1)
        return 0;
    for (size_t i = 0; i < s; i++)
        sum[i] = cnt[i] = 0;
    double sd_mean = 0, sd_m2 = 0, sr_mean = 0, sr_m2 = 0;
    for (int pass = 0; pass < 2; pass++) {
        double win = 0;         /* sum of x[t-half .. t-half+s-1] */
        for (size_t i = 0; i < s; i++)
            win += x[i];
        size_t t_end = m - 1 - half;      /* last t whose window [t-half, t+half] fits */
        size_t k = 0;
        for (size_t t = half; t <= t_end; t++) {
            double tr;
            if (even) {
                double next = win - x[t - half] + x[t + half];
                tr = (win + next) / (2.0 * (double)s);
                win = next;
            } else {
                tr = win / (double)s;
                if (t + half + 1 < m)
                    win += x[t + half + 1] - x[t - half];
            }
            double dt = x[t] - tr;
            size_t ph = t % s;
            if (pass == 0) {
                sum[ph] += dt;
                cnt[ph] += 1;
            } else {
                double r = dt - sum[ph];
                k++;
                double dd = dt - sd_mean, dr = r - sr_mean;
                sd_mean += dd / (double)k;
                sd_m2 += dd * (dt - sd_mean);
                sr_mean += dr / (double)k;
                sr_m2 += dr * (r - sr_mean);
            }
        }
        if (pass == 0) {
            double tot = 0;
            for (size_t i = 0; i < s; i++) {
                sum[i] = cnt[i] > 0 ? sum[i] / cnt[i] : 0;
                tot += sum[i];
            }
            tot /= (double)s;
            for (size_t i = 0; i < s; i++)
                sum[i] -= tot;
        }
    }
    if (!(sd_m2 > 0))
        return 0;
    double f = 1.0 - sr_m2 / sd_m2;
    return f > 0 ? f : 0;
}

/* Sample partial autocorrelations 1..k of x (Durbin-Levinson on the sample autocorrelations). */
static void sample_pacf(const double *x, size_t n, int k, double *r)
{
    double m, sd;
    mean_sd(x, n, &m, &sd);
    double acf[ARIMA_MAX_P + 1];
    double c0 = 0;
    for (size_t t = 0; t < n; t++)
        c0 += (x[t] - m) * (x[t] - m);
    for (int j = 0; j < k; j++)
        r[j] = 0;
    if (!(c0 > 0))
        return;
    acf[0] = 1;
    for (int j = 1; j <= k; j++) {
        double c = 0;
        for (size_t t = (size_t)j; t < n; t++)
            c += (x[t] - m) * (x[t - (size_t)j] - m);
        acf[j] = c / c0;
    }
    double a[ARIMA_MAX_P + 1] = {0}, prev[ARIMA_MAX_P + 1] = {0};
    for (int j = 1; j <= k; j++) {
        double num = acf[j], den = 1;
        for (int i = 1; i < j; i++) {
            num -= prev[i] * acf[j - i];
            den -= prev[i] * acf[i];
        }
        double kj = den > 1e-12 ? num / den : 0;
        if (kj > 0.95)
            kj = 0.95;
        if (kj < -0.95)
            kj = -0.95;
        a[j] = kj;
        for (int i = 1; i < j; i++)
            a[i] = prev[i] - kj * prev[j - i];
        for (int i = 1; i <= j; i++)
            prev[i] = a[i];
        r[j - 1] = kj;
    }
}

/* ---- conditional sum of squares ------------------------------------------------------------ */

typedef struct css_ctx {
    const double *z;
    size_t nz;
    int p, q, has_c;
    double zmean, zsd;
} css_ctx;

static double clamp_u(double u)
{
    if (u > U_CLAMP)
        return U_CLAMP;
    if (u < -U_CLAMP)
        return -U_CLAMP;
    return u;
}

static void unpack(const css_ctx *cx, const double *u, double *phi, double *theta, double *c)
{
    double r[ARIMA_MAX_P > ARIMA_MAX_Q ? ARIMA_MAX_P : ARIMA_MAX_Q];
    for (int i = 0; i < ARIMA_MAX_P; i++)
        phi[i] = 0;
    for (int j = 0; j < ARIMA_MAX_Q; j++)
        theta[j] = 0;
    for (int i = 0; i < cx->p; i++)
        r[i] = tanh(clamp_u(u[i]));
    pacf_to_ar(r, cx->p, phi);
    for (int j = 0; j < cx->q; j++)
        r[j] = tanh(clamp_u(u[cx->p + j]));
    pacf_to_ar(r, cx->q, theta);
    for (int j = 0; j < cx->q; j++)
        theta[j] = -theta[j];   /* 1 + theta(B) = 1 - (stationary AR polynomial): invertible */
    *c = cx->has_c ? cx->zmean + u[cx->p + cx->q] * cx->zsd : 0;
}

/* Inverse of unpack (starting point from known coefficients); -1 when not representable. */
static int pack(const css_ctx *cx, const double *phi, const double *theta, double c, double *u)
{
    double r[ARIMA_MAX_P > ARIMA_MAX_Q ? ARIMA_MAX_P : ARIMA_MAX_Q];
    double mt[ARIMA_MAX_Q] = {0};
    if (ar_to_pacf(phi, cx->p, r) != 0)
        return -1;
    for (int i = 0; i < cx->p; i++)
        u[i] = clamp_u(atanh(r[i] > 0.9999 ? 0.9999 : (r[i] < -0.9999 ? -0.9999 : r[i])));
    for (int j = 0; j < cx->q; j++)
        mt[j] = -theta[j];
    if (ar_to_pacf(mt, cx->q, r) != 0)
        return -1;
    for (int j = 0; j < cx->q; j++)
        u[cx->p + j] = clamp_u(atanh(r[j] > 0.9999 ? 0.9999 : (r[j] < -0.9999 ? -0.9999 : r[j])));
    if (cx->has_c)
        u[cx->p + cx->q] = (c - cx->zmean) / cx->zsd;
    return 0;
}

static double css_ssq(const css_ctx *cx, const double *phi, const double *theta, double c)
{
    const double *z = cx->z;
    size_t p = (size_t)cx->p;
    double p0 = phi[0], p1 = phi[1], p2 = phi[2];
    double t0 = theta[0], t1 = theta[1], t2 = theta[2];
    double z1 = p >= 1 ? z[p - 1] - c : 0;
    double z2 = p >= 2 ? z[p - 2] - c : 0;
    double z3 = p >= 3 ? z[p - 3] - c : 0;
    double e1 = 0, e2 = 0, e3 = 0, ssq = 0;
    for (size_t t = p; t < cx->nz; t++) {
        double zc = z[t] - c;
        double e = zc - p0 * z1 - p1 * z2 - p2 * z3 - t0 * e1 - t1 * e2 - t2 * e3;
        ssq += e * e;
        z3 = z2;
        z2 = z1;
        z1 = zc;
        e3 = e2;
        e2 = e1;
        e1 = e;
    }
    return ssq;
}

static double css_obj(const css_ctx *cx, const double *u)
{
    double phi[ARIMA_MAX_P], theta[ARIMA_MAX_Q], c;
    unpack(cx, u, phi, theta, &c);
    double f = css_ssq(cx, phi, theta, c);
    return isfinite(f) ? f : HUGE_VAL;
}

/* Nelder-Mead minimisation of css_obj over u[0..k) (k <= NM_MAXK), at most max_eval
 * evaluations; u holds the start and receives the best point. Returns the best value. */
static double nelder_mead(const css_ctx *cx, double *u, int k, double step, int max_eval,
                          double ftol)
{
    double sim[NM_MAXK + 1][NM_MAXK], fv[NM_MAXK + 1];
    double cen[NM_MAXK], xr[NM_MAXK], xe[NM_MAXK], xc[NM_MAXK];
    int evals = 0;
    if (k == 0)
        return css_obj(cx, u);
    for (int i = 0; i <= k; i++) {
        for (int j = 0; j < k; j++)
            sim[i][j] = u[j];
        if (i > 0)
            sim[i][i - 1] += step;
        fv[i] = css_obj(cx, sim[i]);
        evals++;
    }
    for (;;) {
        int ib = 0, iw = 0;
        for (int i = 1; i <= k; i++) {
            if (fv[i] < fv[ib])
                ib = i;
            if (fv[i] > fv[iw])
                iw = i;
        }
        int is = ib;            /* second worst */
        for (int i = 0; i <= k; i++)
            if (i != iw && fv[i] > fv[is])
                is = i;
        if (evals >= max_eval || fv[iw] - fv[ib] <= ftol * (fabs(fv[ib]) + fabs(fv[iw])) + 1e-300) {
            for (int j = 0; j < k; j++)
                u[j] = sim[ib][j];
            return fv[ib];
        }
        for (int j = 0; j < k; j++) {
            double a = 0;
            for (int i = 0; i <= k; i++)
                if (i != iw)
                    a += sim[i][j];
            cen[j] = a / k;
        }
        for (int j = 0; j < k; j++)
            xr[j] = cen[j] + (cen[j] - sim[iw][j]);
        double fr = css_obj(cx, xr);
        evals++;
        if (fr < fv[ib]) {
            for (int j = 0; j < k; j++)
                xe[j] = cen[j] + 2.0 * (cen[j] - sim[iw][j]);
            double fe = css_obj(cx, xe);
            evals++;
            const double *take = fe < fr ? xe : xr;
            for (int j = 0; j < k; j++)
                sim[iw][j] = take[j];
            fv[iw] = fe < fr ? fe : fr;
            continue;
        }
        if (fr < fv[is]) {
            for (int j = 0; j < k; j++)
                sim[iw][j] = xr[j];
            fv[iw] = fr;
            continue;
        }
        int outside = fr < fv[iw];
        for (int j = 0; j < k; j++)
            xc[j] = cen[j] + 0.5 * ((outside ? xr[j] : sim[iw][j]) - cen[j]);
        double fc = css_obj(cx, xc);
        evals++;
        if ((outside && fc <= fr) || (!outside && fc < fv[iw])) {
            for (int j = 0; j < k; j++)
                sim[iw][j] = xc[j];
            fv[iw] = fc;
            continue;
        }
        for (int i = 0; i <= k; i++) {  /* shrink towards the best */
            if (i == ib)
                continue;
            for (int j = 0; j < k; j++)
                sim[i][j] = sim[ib][j] + 0.5 * (sim[i][j] - sim[ib][j]);
            fv[i] = css_obj(cx, sim[i]);
            evals++;
        }
    }
}

typedef struct cand {
    order o;
    double phi[ARIMA_MAX_P], theta[ARIMA_MAX_Q], c, sigma2, aicc;
} cand;

/* Estimates one ARMA(p,q)(+c) on z by CSS; start = optional coefficients to start from.
 * Returns 0, or -1 when there are too few residuals for this many parameters. */
static int estimate(const double *z, size_t nz, double zmean, double zsd, order o,
                    const cand *start, cand *out)
{
    css_ctx cx = {z, nz, o.p, o.q, o.c, zmean, zsd > 0 ? zsd : 1.0};
    int k = o.p + o.q + o.c;
    size_t nres = nz - (size_t)o.p;
    if (nz <= (size_t)o.p || nres < (size_t)(k + 1) + 4 || nz < (size_t)k + 3)
        return -1;
    double u[NM_MAXK] = {0};
    int packed = 0;
    if (start && start->o.p == o.p && start->o.q == o.q && start->o.c == o.c)
        packed = pack(&cx, start->phi, start->theta, start->c, u) == 0;
    if (!packed) {
        double r[ARIMA_MAX_P];
        for (int j = 0; j < NM_MAXK; j++)
            u[j] = 0;
        sample_pacf(z, nz, o.p, r);
        for (int i = 0; i < o.p; i++)
            u[i] = atanh(r[i]);
    }
    int max_eval = 150 + 80 * k;
    double f = nelder_mead(&cx, u, k, packed ? 0.1 : 0.3, max_eval, 1e-10);
    double f2 = nelder_mead(&cx, u, k, 0.05, max_eval, 1e-11);   /* restart at the optimum */
    if (f2 < f)
        f = f2;
    out->o = o;
    unpack(&cx, u, out->phi, out->theta, &out->c);
    double ssq = css_ssq(&cx, out->phi, out->theta, out->c);
    if (!isfinite(ssq))
        return -1;
    out->sigma2 = ssq / (double)nres;
    double nn = (double)nz, kk = (double)(k + 1);
    double s2 = out->sigma2 > DBL_MIN ? out->sigma2 : DBL_MIN;
    double aic = nn * (log(TWO_PI * s2) + 1.0) + 2.0 * kk;
    out->aicc = nn - kk - 1.0 > 0 ? aic + 2.0 * kk * (kk + 1.0) / (nn - kk - 1.0) : HUGE_VAL;
    return 0;
}

/* ---- fit ----------------------------------------------------------------------------------- */

typedef struct prep {
    double *x;                  /* filled history, m points */
    size_t m;
    size_t first, last;         /* index range of y that x covers */
} prep;

/* Copies the newest points of y into x, drops leading/trailing gaps and linearly interpolates
 * interior ones. Returns the number of points in x (0 if none is finite). */
static size_t prepare(const arima_state *s, const double *y, size_t n, double *x, prep *pr)
{
    size_t m = used_len(s, n);
    size_t off = n - m;
    size_t a = 0, b = 0;
    int any = 0;
    for (size_t i = 0; i < m; i++) {
        if (isfinite(y[off + i])) {
            if (!any)
                a = i;
            b = i;
            any = 1;
        }
    }
    pr->x = x;
    pr->m = 0;
    pr->first = off;
    pr->last = off;
    if (!any)
        return 0;
    size_t prev = a;
    for (size_t i = a; i <= b; i++) {
        double v = y[off + i];
        if (isfinite(v)) {
            for (size_t g = prev + 1; g < i; g++) {   /* fill the gap (prev, i) */
                double f = (double)(g - prev) / (double)(i - prev);
                x[g - a] = y[off + prev] + f * (v - y[off + prev]);
            }
            x[i - a] = v;
            prev = i;
        }
    }
    pr->m = b - a + 1;
    pr->first = off + a;
    pr->last = off + b;
    return pr->m;
}

/* Replays the filled history and any trailing gaps through update() so the state stands after
 * y[n-1]. */
static void position(arima_state *s, const prep *pr, const double *y, size_t n)
{
    reset_position(s);
    for (size_t i = 0; i < pr->m; i++)
        arima_update(s, pr->x[i]);
    for (size_t i = pr->m ? pr->last + 1 : n; i < n; i++)
        arima_update(s, y[i]);
    if (pr->m == 0)
        for (size_t i = 0; i < n; i++)
            arima_update(s, y[i]);
}

/* Seasonal and regular differencing of x into the scratch; returns z and its length. */
static const double *difference(const double *x, size_t m, size_t season, int D, int d,
                                double *wbuf, double *zbuf, size_t *nz)
{
    const double *w = x;
    size_t nw = m;
    if (D) {
        for (size_t t = season; t < m; t++)
            wbuf[t - season] = x[t] - x[t - season];
        w = wbuf;
        nw = m - season;
    }
    if (d == 0) {
        *nz = nw;
        return w;
    }
    for (size_t t = 1; t < nw; t++)
        zbuf[t - 1] = w[t] - w[t - 1];
    size_t k = nw - 1;
    if (d == 2) {
        for (size_t t = 1; t < k; t++)
            zbuf[t - 1] = zbuf[t] - zbuf[t - 1];
        k--;
    }
    *nz = k;
    return zbuf;
}

static int order_feasible(const arima_state *s, size_t m, order o)
{
    if (o.p < 0 || o.p > ARIMA_MAX_P || o.q < 0 || o.q > ARIMA_MAX_Q || o.d < 0 ||
        o.d > ARIMA_MAX_D || o.D < 0 || o.D > 1 || o.c < 0 || o.c > 1)
        return 0;
    if (o.D && s->season < 2)
        return 0;
    if (o.c && o.d + o.D > 1)
        return 0;
    size_t lost = (size_t)o.d + (o.D ? s->season : 0);
    if (m <= lost)
        return 0;
    size_t nz = m - lost;
    return nz >= (size_t)(o.p + o.q + o.c) * 2 + 8 && nz > (size_t)o.p;
}

static void apply(arima_state *s, const cand *c)
{
    s->p = (uint8_t)c->o.p;
    s->d = (uint8_t)c->o.d;
    s->q = (uint8_t)c->o.q;
    s->D = (uint8_t)c->o.D;
    s->has_c = (uint8_t)c->o.c;
    for (int i = 0; i < ARIMA_MAX_P; i++)
        s->phi[i] = c->phi[i];
    for (int j = 0; j < ARIMA_MAX_Q; j++)
        s->theta[j] = c->theta[j];
    s->c = c->c;
    s->sigma2 = c->sigma2;
    s->aicc = c->aicc;
    s->order_valid = 1;
    s->fitted = 1;
}

static int fallback(arima_state *s, const prep *pr, const double *y, size_t n)
{
    s->fitted = 0;
    position(s, pr, y, n);
    return -MAI_EINVAL;
}

/* Full or fixed-order fit. fixed: NULL = search; else the order to estimate. start: previous
 * coefficients for the fixed order (warm start) or NULL. */
static int fit_impl(arima_state *s, const double *y, size_t n, void *scratch, const order *fixed,
                    const cand *start)
{
    size_t mmax = used_len(s, n);
    double *x = scratch;
    double *wbuf = x + mmax, *zbuf = wbuf + mmax;
    prep pr;
    size_t m = prepare(s, y, n, x, &pr);
    s->candidates = 0;
    if (m < ARIMA_MIN_POINTS)
        return fallback(s, &pr, y, n);

    order base = {0, 0, 0, 0, 0};
    if (fixed) {
        base = *fixed;
        if (!order_feasible(s, m, base))
            return fallback(s, &pr, y, n);
    } else {
        /* D: seasonal strength over >= 2 full seasons. */
        size_t sl = s->season;
        if (sl >= 2 && m >= 2 * sl + 1 && m - sl >= 4 * (size_t)ARIMA_MIN_POINTS &&
            !is_constant(x, m) && seasonal_strength(x, m, sl, wbuf, zbuf) > SEAS_STRENGTH_MIN)
            base.D = 1;
        /* d: KPSS at 5 %, up to twice, stopping on a constant series. */
        size_t nz;
        const double *z = difference(x, m, sl, base.D, 0, wbuf, zbuf, &nz);
        while (base.d < ARIMA_MAX_D && nz > ARIMA_MIN_POINTS && !is_constant(z, nz) &&
               kpss_stat(z, nz) > KPSS_CRIT_5PCT) {
            double m0, sd0, m1, sd1;
            size_t nz1;
            mean_sd(z, nz, &m0, &sd0);
            const double *z1 = difference(x, m, sl, base.D, base.d + 1, wbuf, zbuf, &nz1);
            mean_sd(z1, nz1, &m1, &sd1);
            if (base.d >= 1 && !(sd1 < sd0)) {  /* a second difference that adds variance */
                z = difference(x, m, sl, base.D, base.d, wbuf, zbuf, &nz);
                break;
            }
            base.d++;
            z = z1;
            nz = nz1;
        }
        if (nz < ARIMA_MIN_POINTS)
            return fallback(s, &pr, y, n);
    }

    size_t nz;
    const double *z = difference(x, m, s->season, base.D, base.d, wbuf, zbuf, &nz);
    double zmean, zsd;
    mean_sd(z, nz, &zmean, &zsd);
    int allow_c = base.d + base.D <= 1;
    cand best;
    memset(&best, 0, sizeof best);
    best.aicc = HUGE_VAL;

    if (!fixed && is_constant(z, nz)) {
        /* Deterministic after differencing (constant, exact trend): no ARMA terms. */
        best.o = base;
        best.o.c = allow_c;
        best.c = allow_c ? zmean : 0;
        best.sigma2 = zsd * zsd;
        best.aicc = -HUGE_VAL;
        s->candidates = 0;
        apply(s, &best);
        position(s, &pr, y, n);
        return 0;
    }

    if (fixed) {
        if (estimate(z, nz, zmean, zsd, base, start, &best) != 0)
            return fallback(s, &pr, y, n);
        s->candidates = 1;
        apply(s, &best);
        position(s, &pr, y, n);
        return 0;
    }

    /* Hyndman-Khandakar stepwise search over (p, q, c). */
    uint32_t seen = 0;          /* bit (p * 4 + q) * 2 + c */
    int fits = 0;
    order init[5] = {
        {2, base.d, 2, base.D, allow_c}, {0, base.d, 0, base.D, allow_c},
        {1, base.d, 0, base.D, allow_c}, {0, base.d, 1, base.D, allow_c},
        {0, base.d, 0, base.D, 0},
    };
    int n_init = allow_c ? 5 : 4;
    for (int i = 0; i < n_init; i++) {
        order o = init[i];
        uint32_t bit = 1u << ((o.p * 4 + o.q) * 2 + o.c);
        if (seen & bit)
            continue;
        seen |= bit;
        cand c;
        if (!order_feasible(s, m, o) || estimate(z, nz, zmean, zsd, o, NULL, &c) != 0)
            continue;
        fits++;
        if (c.aicc < best.aicc)
            best = c;
    }
    if (!(best.aicc < HUGE_VAL))
        return fallback(s, &pr, y, n);
    int improved = 1;
    while (improved && fits < ARIMA_MAX_CANDIDATES) {
        improved = 0;
        static const int dp[9] = {-1, 1, 0, 0, -1, 1, -1, 1, 0};
        static const int dq[9] = {0, 0, -1, 1, -1, 1, 1, -1, 0};
        for (int k = 0; k < 9 && fits < ARIMA_MAX_CANDIDATES; k++) {
            order o = best.o;
            o.p += dp[k];
            o.q += dq[k];
            if (k == 8) {
                if (!allow_c)
                    continue;
                o.c = !o.c;
            }
            if (o.p < 0 || o.p > ARIMA_MAX_P || o.q < 0 || o.q > ARIMA_MAX_Q)
                continue;
            uint32_t bit = 1u << ((o.p * 4 + o.q) * 2 + o.c);
            if (seen & bit)
                continue;
            seen |= bit;
            cand c;
            if (!order_feasible(s, m, o) || estimate(z, nz, zmean, zsd, o, NULL, &c) != 0)
                continue;
            fits++;
            if (c.aicc < best.aicc - 1e-9) {
                best = c;
                improved = 1;
                break;
            }
        }
    }
    s->candidates = fits;
    apply(s, &best);
    position(s, &pr, y, n);
    return 0;
}

static int arima_fit(void *state, const double *y, size_t n, void *scratch)
{
    arima_state *s = state;
    if (s->keep_order)
        return arima_fit_keep_order(state, y, n, scratch);
    return fit_impl(s, y, n, scratch, NULL, NULL);
}

int arima_fit_keep_order(void *state, const double *y, size_t n, void *scratch)
{
    arima_state *s = state;
    if (s->order_valid) {
        order o = {s->p, s->d, s->q, s->D, s->has_c};
        cand prev;
        memset(&prev, 0, sizeof prev);
        prev.o = o;
        for (int i = 0; i < ARIMA_MAX_P; i++)
            prev.phi[i] = s->phi[i];
        for (int j = 0; j < ARIMA_MAX_Q; j++)
            prev.theta[j] = s->theta[j];
        prev.c = s->c;
        prep pr;
        size_t m = prepare(s, y, n, scratch, &pr);
        if (m >= ARIMA_MIN_POINTS && order_feasible(s, m, o))
            return fit_impl(s, y, n, scratch, &o, s->fitted ? &prev : NULL);
    }
    return fit_impl(s, y, n, scratch, NULL, NULL);
}

void arima_set_keep_order(void *state, int on)
{
    ((arima_state *)state)->keep_order = on ? 1 : 0;
}

int arima_fit_order(void *state, const double *y, size_t n, void *scratch,
                    const arima_info *order_in)
{
    arima_state *s = state;
    order o = {order_in->p, order_in->d, order_in->q, order_in->D, order_in->constant};
    if (o.p < 0 || o.p > ARIMA_MAX_P || o.q < 0 || o.q > ARIMA_MAX_Q || o.d < 0 ||
        o.d > ARIMA_MAX_D || o.D < 0 || o.D > 1 || o.c < 0 || o.c > 1 ||
        (o.D && s->season < 2) || (o.c && o.d + o.D > 1))
        return -MAI_EINVAL;
    return fit_impl(s, y, n, scratch, &o, NULL);
}

void arima_get_info(const void *state, arima_info *out)
{
    const arima_state *s = state;
    memset(out, 0, sizeof *out);
    out->p = s->p;
    out->d = s->d;
    out->q = s->q;
    out->D = s->D;
    out->season = s->season;
    out->constant = s->has_c;
    out->fitted = s->fitted;
    out->order_kept = s->order_valid;
    for (int i = 0; i < ARIMA_MAX_P; i++)
        out->phi[i] = s->phi[i];
    for (int j = 0; j < ARIMA_MAX_Q; j++)
        out->theta[j] = s->theta[j];
    out->c = s->c;
    out->sigma2 = s->sigma2;
    out->aicc = s->aicc;
    out->candidates = s->candidates;
}

/* ---- forecast ------------------------------------------------------------------------------ */

/* mean + z * sd, kept finite: an interval that overflows is clamped to +-DBL_MAX. */
static double bound(double mean, double zsd)
{
    double v = mean + zsd;
    if (isfinite(v))
        return v;
    return zsd < 0 ? -DBL_MAX : DBL_MAX;
}

static void set_interval(fc_output *out, size_t k, double mean, double sd)
{
    if (!(sd >= 0))             /* NaN: no usable width; an infinite one clamps below */
        sd = fabs(mean) + 1.0;
    if (out->lo80)
        out->lo80[k] = bound(mean, -Z80 * sd);
    if (out->hi80)
        out->hi80[k] = bound(mean, Z80 * sd);
    if (out->lo95)
        out->lo95[k] = bound(mean, -Z95 * sd);
    if (out->hi95)
        out->hi95[k] = bound(mean, Z95 * sd);
}

/* Last value with a random-walk interval twice as wide as the observed one-step changes. */
static void forecast_naive(const arima_state *s, size_t h, fc_output *out)
{
    double last = s->n_seen > 0 && isfinite(s->last) ? s->last : 0.0;
    double scale = s->n_diff > 0 ? s->abs_sum / (double)s->n_diff : 0.0;
    double sd1 = 2.0 * 1.2533141373155 * scale;       /* 2 x (sd of a normal from its MAD) */
    if (!(sd1 > 0) || !isfinite(sd1))
        sd1 = fabs(last) > 0 ? 0.1 * fabs(last) : 1.0;
    for (size_t k = 0; k < h; k++) {
        out->mean[k] = last;
        set_interval(out, k, last, sd1 * sqrt((double)(k + 1)));
    }
}

static int arima_forecast(const void *state, size_t h, fc_output *out)
{
    const arima_state *s = state;
    if (h == 0 || !out || !out->mean)
        return -MAI_EINVAL;
    if (!ready(s)) {
        forecast_naive(s, h, out);
        return 0;
    }
    double zl[ARIMA_MAX_P], el[ARIMA_MAX_Q], w1 = s->w1, w2 = s->w2;
    for (int i = 0; i < ARIMA_MAX_P; i++)
        zl[i] = s->zl[i];
    for (int j = 0; j < ARIMA_MAX_Q; j++)
        el[j] = s->el[j];
    int ok = 1;
    for (size_t k = 0; k < h; k++) {
        double z = s->c;
        for (int i = 0; i < s->p; i++)
            z += s->phi[i] * (zl[i] - s->c);
        for (int j = 0; j < s->q; j++)
            z += s->theta[j] * el[j];
        for (int i = ARIMA_MAX_P - 1; i > 0; i--)
            zl[i] = zl[i - 1];
        zl[0] = z;
        for (int j = ARIMA_MAX_Q - 1; j > 0; j--)
            el[j] = el[j - 1];
        el[0] = 0;
        double w = z;
        if (s->d == 1)
            w += w1;
        else if (s->d == 2)
            w += 2 * w1 - w2;
        w2 = w1;
        w1 = w;
        double yv = w;
        if (s->D) {
            size_t sl = s->season;
            yv += k < sl ? s->ring[(s->n_seen + k) % sl] : out->mean[k - sl];
        }
        out->mean[k] = yv;
        if (!isfinite(yv))
            ok = 0;
    }
    if (!ok) {
        forecast_naive(s, h, out);
        return 0;
    }
    /* psi-weights of the full (integrated) model, accumulated into the forecast variance. */
    double *buf = out->hi95 ? out->hi95 : out->lo95 ? out->lo95 : out->hi80 ? out->hi80 : out->lo80;
    if (!buf)
        return 0;
    for (size_t j = 0; j < h; j++) {
        double v = j == 0 ? 1.0 : (j <= (size_t)s->q ? s->theta[j - 1] : 0.0);
        for (int i = 1; i <= s->p && (size_t)i <= j; i++)
            v += s->phi[i - 1] * buf[j - (size_t)i];
        buf[j] = v;
    }
    for (int dd = 0; dd < s->d; dd++)
        for (size_t j = 1; j < h; j++)
            buf[j] += buf[j - 1];
    if (s->D)
        for (size_t j = s->season; j < h; j++)
            buf[j] += buf[j - s->season];
    double acc = 0;
    for (size_t k = 0; k < h; k++) {
        acc += buf[k] * buf[k];
        double sd = sqrt(s->sigma2 * acc);
        set_interval(out, k, out->mean[k], sd);
    }
    return 0;
}

/* ---- save / load --------------------------------------------------------------------------- */

#define N_F64 19

static size_t arima_save(const void *state, uint8_t *buf, size_t cap)
{
    const arima_state *s = state;
    size_t need = ARIMA_SAVE_FIXED + (size_t)s->season * 8;
    if (!buf || cap < need)
        return need;
    buf[0] = AR_MAGIC0;
    buf[1] = AR_MAGIC1;
    buf[2] = AR_MAGIC2;
    buf[3] = AR_MAGIC3;
    buf[4] = ARIMA_SAVE_VERSION;
    buf[5] = s->p;
    buf[6] = s->d;
    buf[7] = s->q;
    buf[8] = s->D;
    buf[9] = s->has_c;
    buf[10] = (uint8_t)((s->fitted ? 1 : 0) | (s->order_valid ? 2 : 0) | (s->keep_order ? 4 : 0));
    buf[11] = 0;
    le_put_u32(buf + 12, s->season);
    le_put_u64(buf + 16, s->n_seen);
    le_put_u64(buf + 24, s->n_w);
    le_put_u64(buf + 32, s->n_z);
    le_put_u64(buf + 40, s->n_diff);
    const double f[N_F64] = {s->phi[0], s->phi[1], s->phi[2], s->theta[0], s->theta[1],
                             s->theta[2], s->c, s->sigma2, s->aicc, s->w1, s->w2, s->zl[0],
                             s->zl[1], s->zl[2], s->el[0], s->el[1], s->el[2], s->last,
                             s->abs_sum};
    for (int i = 0; i < N_F64; i++)
        le_put_f64(buf + 48 + 8 * i, f[i]);
    for (uint32_t i = 0; i < s->season; i++)
        le_put_f64(buf + 200 + 8 * (size_t)i, s->ring[i]);
    le_put_u32(buf + need - 4, mai_crc32(buf, need - 4));
    return need;
}

/* Whether |c[j]| <= C(k, j + 1) for j < k: true of the coefficients of every polynomial
 * 1 - c1 z - ... - ck z^k whose roots all lie on or outside the unit circle. */
static int coefs_bounded(const double *c, int k)
{
    double binom = 1;
    for (int j = 0; j < k; j++) {
        binom = binom * (k - j) / (j + 1);
        if (!(fabs(c[j]) <= binom * (1 + 1e-9)))
            return 0;
    }
    return 1;
}

static int arima_load(void *state, const fc_params *p, const uint8_t *buf, size_t n)
{
    size_t need = ARIMA_SAVE_FIXED + (size_t)p->season_day * 8;
    if (!buf || n != need)
        return -MAI_EPROTO;
    if (buf[0] != AR_MAGIC0 || buf[1] != AR_MAGIC1 || buf[2] != AR_MAGIC2 ||
        buf[3] != AR_MAGIC3 || buf[4] != ARIMA_SAVE_VERSION || buf[11] != 0)
        return -MAI_EPROTO;
    if (le_get_u32(buf + need - 4) != mai_crc32(buf, need - 4))
        return -MAI_EPROTO;
    if (le_get_u32(buf + 12) != p->season_day)
        return -MAI_EPROTO;
    int pp = buf[5], dd = buf[6], qq = buf[7], DD = buf[8], cc = buf[9], fl = buf[10];
    if (pp > ARIMA_MAX_P || dd > ARIMA_MAX_D || qq > ARIMA_MAX_Q || DD > 1 || cc > 1 ||
        (fl & ~7) != 0 || (DD && p->season_day < 2) || (cc && dd + DD > 1))
        return -MAI_EPROTO;
    uint64_t n_seen = le_get_u64(buf + 16), n_w = le_get_u64(buf + 24), n_z = le_get_u64(buf + 32);
    uint64_t n_diff = le_get_u64(buf + 40);
    if (n_w > n_seen || n_z > n_w || n_diff > n_seen)
        return -MAI_EPROTO;
    double f[N_F64];
    for (int i = 0; i < N_F64; i++) {
        f[i] = le_get_f64(buf + 48 + 8 * i);
        if (i == 8 ? isnan(f[i]) : !isfinite(f[i]))
            return -MAI_EPROTO;
    }
    if (f[7] < 0 || f[18] < 0)
        return -MAI_EPROTO;
    /* Coefficients inside the closure of the stationary / invertible region: a fit may end on
     * its boundary (a unit root by rounding), which the strict PACF test would refuse. */
    if (!coefs_bounded(f, pp) || !coefs_bounded(f + 3, qq))
        return -MAI_EPROTO;
    for (int i = pp; i < ARIMA_MAX_P; i++)
        if (f[i] != 0)
            return -MAI_EPROTO;
    for (int j = qq; j < ARIMA_MAX_Q; j++)
        if (f[3 + j] != 0)
            return -MAI_EPROTO;
    for (uint32_t i = 0; i < p->season_day; i++)
        if (!isfinite(le_get_f64(buf + 200 + 8 * (size_t)i)))
            return -MAI_EPROTO;

    arima_state *s = state;
    arima_init(s, p);
    s->p = (uint8_t)pp;
    s->d = (uint8_t)dd;
    s->q = (uint8_t)qq;
    s->D = (uint8_t)DD;
    s->has_c = (uint8_t)cc;
    s->fitted = (fl & 1) != 0;
    s->order_valid = (fl & 2) != 0;
    s->keep_order = (fl & 4) != 0;
    s->n_seen = n_seen;
    s->n_w = n_w;
    s->n_z = n_z;
    s->n_diff = n_diff;
    for (int i = 0; i < ARIMA_MAX_P; i++)
        s->phi[i] = f[i];
    for (int j = 0; j < ARIMA_MAX_Q; j++)
        s->theta[j] = f[3 + j];
    s->c = f[6];
    s->sigma2 = f[7];
    s->aicc = f[8];
    s->w1 = f[9];
    s->w2 = f[10];
    for (int i = 0; i < ARIMA_MAX_P; i++)
        s->zl[i] = f[11 + i];
    for (int j = 0; j < ARIMA_MAX_Q; j++)
        s->el[j] = f[14 + j];
    s->last = f[17];
    s->abs_sum = f[18];
    for (uint32_t i = 0; i < p->season_day; i++)
        s->ring[i] = le_get_f64(buf + 200 + 8 * (size_t)i);
    return 0;
}

const forecaster_ops arima_ops = {
    .name = "arima",
    .state_size = arima_state_size,
    .fit_scratch_size = arima_fit_scratch_size,
    .init = arima_init,
    .update = arima_update,
    .fit = arima_fit,
    .forecast = arima_forecast,
    .refit = arima_fit_keep_order,
    .save = arima_save,
    .load = arima_load,
};
