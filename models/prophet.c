/* SPDX-License-Identifier: Apache-2.0
 * models/prophet.c -- Prophet-style forecaster: piecewise-linear trend with changepoints plus
 * Fourier daily/weekly seasonality, MAP-fitted by ridge least squares with LAPACKE_dposv, the
 * hyperparameters chosen on a holdout, and a damped residual level for the short horizons.
 *
 * Design note. The model is the one of Taylor & Letham, "Forecasting at scale", The American
 * Statistician 72(1):37-45, 2018 (Prophet): y(t) = g(t) + s(t) + e(t) with
 *   g(s) = m + k s + sum_j delta_j (s - c_j)_+   (s = time scaled to [0,1] over the window; the
 *          hinge form is Prophet's (k + a(t)'delta) t + (m + a(t)'gamma), gamma_j = -c_j delta_j)
 *   s(t) = sum_n a_n cos(2 pi n t / P) + b_n sin(2 pi n t / P)  for P = a day and a week,
 * K = min(25, H-1) changepoints at the rows round(j (H-1) / K), j = 1..K, H = floor(0.8 rows),
 * priors (in scaled units) k, m ~ N(0, 5^2), beta ~ N(0, 10^2), delta ~ Laplace(0, cps),
 * future trend = the last segment's slope, trend uncertainty from future changepoints that occur
 * at the fitted rate (K per window) with Laplace(0, mean|delta|) sizes. Deviations:
 *  - MAP in closed form instead of Stan's L-BFGS: the Laplace prior on delta is replaced by the
 *    Gaussian of the same variance (sd = cps * sqrt(2)), so the objective is a ridge problem
 *    |y - X b|^2 / sigma^2 + sum_i b_i^2 / tau_i^2, solved by Cholesky on the normal equations;
 *    sigma is profiled out by 5 fixed-point rounds sigma^2 = RSS / n (the joint-MAP condition),
 *    starting from the mean square of the scaled data. L2 shrinks but never zeroes a delta.
 *  - Gaussian likelihood made robust: the final fit (and every keep-hyper refit) runs 4 Huber
 *    IRLS rounds (k = 1.345, scale = 1.4826 x median |residual|), so the spikes of infra metrics
 *    do not drag the trend and level (Prophet's docs tell users to remove outliers by hand).
 *  - y is scaled as (y - mean) / max|y - mean| instead of y / max|y|: offset-invariant, so a
 *    memory gauge at 1e7 +- 1e5 gets the same prior strength as a 0..1 ratio.
 *  - time is the point index (ring slot); periods are season_day / season_week points; daily
 *    terms only when the data span >= 2 days, weekly >= 2 weeks; no yearly, holidays, logistic
 *    growth or multiplicative seasonality.
 *  - hyperparameters (cps in {0.001, 0.005, 0.05, 0.5}, daily order in {0, 4, 10}, weekly in
 *    {0, 3}) are chosen by holdout MAE on the last 20% of the window (Prophet leaves tuning to
 *    the user's cross-validation), then kept by prophet_fit_keep_hyper().
 *  - a residual level L (damped EWMA: L <- phi L + alpha (r - phi L)) is added as phi^h L, with
 *    (alpha, phi) picked at fit() by in-sample one-step SSE on the residuals; update() advances it
 *    so the forecast follows the data between refits (Prophet has no such term).
 *  - intervals are analytic Gaussian, not sampled: var(h) = var_e (1 + alpha^2 sum_{i<h} phi^2i)
 *    (the h-step variance of the level model) + scale^2 2 lambda^2 K tau^3 / 3, tau = h / window:
 *    the variance of a compound-Poisson sum of slope changes (rate K, Laplace(0, lambda) sizes,
 *    variance 2 lambda^2) each acting for tau - u after its time u, integrated over (0, tau).
 * update() is O(K + orders) (one model evaluation, two trig calls), no allocation.
 * Nothing here allocates: the state is a fixed 800-byte struct, fit() uses the caller's scratch
 * (the design matrix for max_history rows is its bulk: 464 bytes a row + 46 KB, 982 KB for 2016
 * rows), LAPACKE_dposv_work runs column-major, so LAPACKE makes no transposed copy. */
#include "prophet.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "base.h"
#include "codec.h"

#define PR_MAX_CP PROPHET_MAX_CP
#define PR_MAX_D PROPHET_MAX_ORDER_DAY
#define PR_MAX_W PROPHET_MAX_ORDER_WEEK
#define PR_NCOEF (2 + PR_MAX_CP + 2 * PR_MAX_D + 2 * PR_MAX_W)  /* 53 */
#define PR_SLOT_D (2 + PR_MAX_CP)                                /* first daily slot */
#define PR_SLOT_W (PR_SLOT_D + 2 * PR_MAX_D)                     /* first weekly slot */
#define PR_T_MAX ((int64_t)1 << 52)
#define PR_SIGMA_ITERS 5
#define PR_HUBER_ITERS 4
#define PR_HUBER_K 1.345
#define PR_VAR_GAIN 0.002          /* update(): EWMA gain of the innovation variance */
#define PR_Z80 1.2815515655446004
#define PR_Z95 1.959963984540054
#define PR_TWO_PI 6.283185307179586

static const double pr_grid_cps[] = {0.001, 0.005, 0.05, 0.5};
static const double pr_grid_alpha[] = {0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0};
static const double pr_grid_phi[] = {0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 1.0};

typedef struct pr_state {
    uint32_t season_day, season_week, max_history;
    double step_s;
    uint8_t fitted, has_hyper, prev_valid;
    uint8_t ord_d, ord_w;           /* orders in the fitted model */
    uint8_t hyp_d, hyp_w;           /* orders selected (kept by keep-hyper refits) */
    uint32_t n_cp;
    double cps, alpha, phi;         /* hyperparameters */
    double y_off, y_scale;          /* y_s = (y - y_off) / y_scale */
    double t_scale;                 /* s = t / t_scale, t = points since the first fitted point */
    int64_t t_last;                 /* t of the newest point fed */
    int64_t t_end;                  /* t of the last valid point of the fitted window */
    double cp[PR_MAX_CP];           /* changepoints, in s */
    double coef[PR_NCOEF];          /* m, k, delta[25], day cos/sin x10, week cos/sin x3 */
    double lam;                     /* mean |delta| (scaled units) */
    double var_e;                   /* one-step innovation variance, y units^2 */
    double level;                   /* residual level at t_last, y units */
    /* fallback statistics (also used with too little data) */
    double last_y, w_mean, w_m2, d2_mean;
    uint64_t n_obs, n_d;
} pr_state;

/* ---------------------------------------------------------------- model evaluation */

/* cos(n th), sin(n th) for n = 1..ord into out[2(n-1)], out[2(n-1)+1]; th = 2 pi (t mod P) / P. */
static void season_terms(int64_t t, uint32_t period, uint32_t ord, double *out)
{
    if (ord == 0 || period == 0)
        return;
    int64_t ph = t % (int64_t)period;
    if (ph < 0)
        ph += (int64_t)period;
    double th = PR_TWO_PI * (double)ph / (double)period;
    double c1 = cos(th), s1 = sin(th), c = c1, s = s1;
    for (uint32_t n = 0; n < ord; n++) {
        out[2 * n] = c;
        out[2 * n + 1] = s;
        double cn = c * c1 - s * s1;
        s = s * c1 + c * s1;
        c = cn;
    }
}

/* Model mean in scaled units at point t. */
static double model_scaled(const pr_state *st, int64_t t)
{
    double s = (double)t / st->t_scale;
    double g = st->coef[0] + st->coef[1] * s;
    for (uint32_t j = 0; j < st->n_cp; j++)
        if (s > st->cp[j])
            g += st->coef[2 + j] * (s - st->cp[j]);
    double f[2 * PR_MAX_D];
    season_terms(t, st->season_day, st->ord_d, f);
    for (uint32_t i = 0; i < 2u * st->ord_d; i++)
        g += st->coef[PR_SLOT_D + i] * f[i];
    season_terms(t, st->season_week, st->ord_w, f);
    for (uint32_t i = 0; i < 2u * st->ord_w; i++)
        g += st->coef[PR_SLOT_W + i] * f[i];
    return g;
}

static double model_mean(const pr_state *st, int64_t t)
{
    return st->y_off + st->y_scale * model_scaled(st, t);
}

static uint32_t max_order(uint32_t period, uint32_t cap, uint64_t span)
{
    if (period < 3 || span < 2 * (uint64_t)period)
        return 0;
    uint32_t o = (period - 1) / 2;
    return o < cap ? o : cap;
}

/* ---------------------------------------------------------------- fallback statistics */

static void stats_reset(pr_state *st)
{
    st->last_y = 0;
    st->w_mean = st->w_m2 = st->d2_mean = 0;
    st->n_obs = st->n_d = 0;
    st->prev_valid = 0;
}

static void stats_add(pr_state *st, double y)
{
    if (!isfinite(y)) {
        st->prev_valid = 0;
        return;
    }
    if (st->prev_valid) {
        double d = y - st->last_y;
        st->n_d++;
        st->d2_mean += (d * d - st->d2_mean) / (double)st->n_d;
    }
    st->n_obs++;
    double dm = y - st->w_mean;
    st->w_mean += dm / (double)st->n_obs;
    st->w_m2 += dm * (y - st->w_mean);
    st->last_y = y;
    st->prev_valid = 1;
}

/* Standard deviation for the fallback forecast k+1 steps ahead: the largest of the spread of the
 * values seen, a random walk on their one-step changes and 10% of the last value. */
static double fallback_sd(const pr_state *st, size_t k)
{
    double sd = st->n_obs > 1 ? sqrt(st->w_m2 / (double)(st->n_obs - 1)) : 0;
    double rw = sqrt(st->d2_mean * (double)(k + 1));
    double rel = 0.1 * fabs(st->last_y);
    if (rw > sd)
        sd = rw;
    if (rel > sd)
        sd = rel;
    if (st->n_obs == 0)
        sd = 1.0;
    if (!isfinite(sd))
        sd = isfinite(rel) ? rel : DBL_MAX / 4;
    return sd;
}

/* ---------------------------------------------------------------- ops: sizes, init, update */

static size_t pr_state_size(const fc_params *p)
{
    (void)p;
    return sizeof(pr_state);
}

static size_t pr_rows(const fc_params *p, size_t n)
{
    if (p && p->max_history && n > p->max_history)
        return p->max_history;
    return n;
}

/* Scratch: per row, 53 design columns, ys, rr, wk, ww (doubles) and tv (int64): 464 bytes; then
 * G and A (53 x 53), three vectors of 53, the column list and 64 bytes of alignment slack. */
static size_t scratch_bytes(size_t m)
{
    const size_t per_row = (PR_NCOEF + 5) * sizeof(double);
    const size_t fixed = (2 * PR_NCOEF * PR_NCOEF + 3 * PR_NCOEF) * sizeof(double) +
                         PR_NCOEF * sizeof(int) + 64;
    if (m > (SIZE_MAX - fixed) / per_row)
        return SIZE_MAX;
    return m * per_row + fixed;
}

static size_t pr_fit_scratch_size(const fc_params *p, size_t n)
{
    return scratch_bytes(pr_rows(p, n));
}

static void pr_init(void *state, const fc_params *p)
{
    pr_state *st = state;
    memset(st, 0, sizeof *st);
    if (p) {
        st->step_s = p->step_s;
        st->season_day = p->season_day;
        st->season_week = p->season_week;
        st->max_history = p->max_history;
    }
    st->phi = 1.0;
    st->y_scale = 1.0;
    st->t_scale = 1.0;
}

static void pr_update(void *state, double y)
{
    pr_state *st = state;
    stats_add(st, y);
    if (!st->fitted)
        return;
    if (st->t_last < PR_T_MAX)
        st->t_last++;
    double lp = st->phi * st->level;
    if (!isfinite(y)) {
        st->level = lp;
        return;
    }
    double e = y - model_mean(st, st->t_last) - lp;
    if (!isfinite(e))
        return;
    st->level = lp + st->alpha * e;
    st->var_e += PR_VAR_GAIN * (e * e - st->var_e);
}

/* ---------------------------------------------------------------- fitting */

typedef struct pr_ctx {
    double *X;          /* nv rows x P, row-major */
    double *ys;         /* scaled target per valid row */
    double *rr;         /* residuals (scaled in the IRLS rounds, then y units) */
    int64_t *tv;        /* time per valid row, 0 = first valid point */
    double *G, *A, *gb, *beta, *prec;
    int *cols;
    size_t nv;          /* valid rows */
    size_t P;           /* design columns: 2 + K + 2D + 2W */
    size_t K;
    uint32_t Pd, Pw, D, W;
    double T;           /* time scale of the current design */
    double cp[PR_MAX_CP];
    double yy;          /* sum of w ys^2 over the rows in G */
    double nw;          /* sum of the weights in G */
    double *wk, *ww;    /* per-row work: weights and a copy for medians */
} pr_ctx;

/* Changepoints of a fit on rows [0, nrows): K = min(25, H-1) at rows round(j (H-1) / K). */
static void place_cps(pr_ctx *c, size_t nrows)
{
    size_t H = nrows * 4 / 5;
    c->K = 0;
    if (H < 2)
        return;
    size_t K = H - 1 < PR_MAX_CP ? H - 1 : PR_MAX_CP;
    for (size_t j = 1; j <= K; j++) {
        size_t idx = ((H - 1) * j * 2 + K) / (2 * K);
        c->cp[j - 1] = (double)c->tv[idx] / c->T;
    }
    c->K = K;
}

static void build_design(pr_ctx *c)
{
    c->P = 2 + c->K + 2 * (size_t)c->D + 2 * (size_t)c->W;
    for (size_t i = 0; i < c->nv; i++) {
        double *row = c->X + i * c->P;
        double s = (double)c->tv[i] / c->T;
        row[0] = 1.0;
        row[1] = s;
        for (size_t j = 0; j < c->K; j++)
            row[2 + j] = s > c->cp[j] ? s - c->cp[j] : 0.0;
        season_terms(c->tv[i], c->Pd, c->D, row + 2 + c->K);
        season_terms(c->tv[i], c->Pw, c->W, row + 2 + c->K + 2 * c->D);
    }
}

/* G = X'WX, gb = X'Wy, yy = y'Wy, nw = sum w over rows [0, nfit); w == NULL: unit weights. */
static void gram(pr_ctx *c, size_t nfit, const double *w)
{
    size_t P = c->P;
    memset(c->G, 0, P * P * sizeof(double));
    memset(c->gb, 0, P * sizeof(double));
    c->yy = 0;
    c->nw = 0;
    for (size_t i = 0; i < nfit; i++) {
        const double *x = c->X + i * P;
        double wi = w ? w[i] : 1.0;
        double yv = c->ys[i] * wi;
        c->nw += wi;
        c->yy += yv * c->ys[i];
        for (size_t a = 0; a < P; a++) {
            double xa = x[a];
            double xw = xa * wi;
            double *g = c->G + a * P;
            c->gb[a] += xa * yv;
            for (size_t b = a; b < P; b++)
                g[b] += xw * x[b];
        }
    }
    for (size_t a = 0; a < P; a++)
        for (size_t b = 0; b < a; b++)
            c->G[a * P + b] = c->G[b * P + a];
}

/* Columns of a model with daily order d and weekly order w: the trend, then the first 2d daily
 * and the first 2w weekly columns of the design. */
static size_t select_cols(const pr_ctx *c, uint32_t d, uint32_t w, int *cols)
{
    size_t q = 0;
    for (size_t j = 0; j < 2 + c->K; j++)
        cols[q++] = (int)j;
    for (size_t j = 0; j < 2 * (size_t)d; j++)
        cols[q++] = (int)(2 + c->K + j);
    for (size_t j = 0; j < 2 * (size_t)w; j++)
        cols[q++] = (int)(2 + c->K + 2 * c->D + j);
    return q;
}

/* Ridge MAP on the columns cols[0..q) of the current Gram matrix (nfit rows): prior precisions
 * 1/25 (m, k), 1/(2 cps^2) (deltas), 1/100 (Fourier), scaled by sigma^2 from PR_SIGMA_ITERS
 * fixed-point rounds. beta[0..q). Returns 0 or -MAI_EINVAL (not positive definite). */
static int solve_cols(pr_ctx *c, const int *cols, size_t q, double cps, double *beta)
{
    size_t P = c->P;
    double tr = 0;
    for (size_t a = 0; a < q; a++) {
        size_t ca = (size_t)cols[a];
        c->prec[a] = ca < 2 ? 1.0 / 25.0 : (ca < 2 + c->K ? 1.0 / (2.0 * cps * cps) : 1.0 / 100.0);
        tr += c->G[ca * P + ca];
    }
    double jit = tr > 0 ? 1e-12 * tr / (double)q : 1e-12;
    double s2 = c->yy / c->nw;
    if (!(s2 >= 1e-12))
        s2 = 1e-12;
    for (int it = 0; it < PR_SIGMA_ITERS; it++) {
        for (size_t b = 0; b < q; b++) {
            const double *grow = c->G + (size_t)cols[b] * P;
            for (size_t a = 0; a < q; a++)
                c->A[a + b * q] = grow[cols[a]];
            c->A[b + b * q] += s2 * c->prec[b] + jit;
            beta[b] = c->gb[cols[b]];
        }
        lapack_int info = LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)q, 1, c->A,
                                             (lapack_int)q, beta, (lapack_int)q);
        if (info != 0)
            return -MAI_EINVAL;
        /* RSS = y'y - 2 b'X'y + b'X'X b */
        double rss = c->yy;
        for (size_t a = 0; a < q; a++) {
            const double *grow = c->G + (size_t)cols[a] * P;
            double gbeta = 0;
            for (size_t b = 0; b < q; b++)
                gbeta += grow[cols[b]] * beta[b];
            rss += beta[a] * (gbeta - 2.0 * c->gb[cols[a]]);
        }
        s2 = rss / c->nw;
        if (!(s2 >= 1e-12))
            s2 = 1e-12;
    }
    for (size_t a = 0; a < q; a++)
        if (!isfinite(beta[a]))
            return -MAI_EINVAL;
    return 0;
}

static double pred_row(const pr_ctx *c, size_t i, const int *cols, size_t q, const double *beta)
{
    const double *x = c->X + i * c->P;
    double v = 0;
    for (size_t a = 0; a < q; a++)
        v += x[cols[a]] * beta[a];
    return v;
}

/* Holdout search: fit on the first 80% of the valid rows (its own time scale and changepoints),
 * score MAE on the rest. Keeps *hp when nothing solves. */
static void select_hyper(pr_ctx *c, prophet_hyper *hp)
{
    size_t nt = c->nv * 4 / 5, nh = c->nv - nt;
    if (nt < 16 || nh < 4)
        return;
    c->T = (double)c->tv[nt - 1];
    place_cps(c, nt);
    build_design(c);
    gram(c, nt, NULL);
    uint32_t dset[3] = {0, c->D < 4 ? c->D : 4, c->D};
    uint32_t wset[2] = {0, c->W};
    double best = INFINITY;
    for (size_t wi = 0; wi < 2; wi++) {
        if (wi > 0 && wset[wi] == wset[wi - 1])
            continue;
        for (size_t di = 0; di < 3; di++) {
            if (di > 0 && dset[di] == dset[di - 1])
                continue;
            size_t q = select_cols(c, dset[di], wset[wi], c->cols);
            for (size_t gi = 0; gi < sizeof pr_grid_cps / sizeof pr_grid_cps[0]; gi++) {
                if (solve_cols(c, c->cols, q, pr_grid_cps[gi], c->beta) != 0)
                    continue;
                double mae = 0;
                for (size_t i = nt; i < c->nv; i++)
                    mae += fabs(c->ys[i] - pred_row(c, i, c->cols, q, c->beta));
                mae /= (double)nh;
                if (mae < best) {
                    best = mae;
                    hp->cps = pr_grid_cps[gi];
                    hp->order_day = dset[di];
                    hp->order_week = wset[wi];
                }
            }
        }
    }
}

/* Runs the residual level filter over rr (valid rows) with (alpha, phi); returns the mean
 * squared one-step innovation after a short burn-in, and the level at the last valid row. */
static double level_run(const pr_ctx *c, double alpha, double phi, double *level_out)
{
    double L = 0, sse = 0;
    size_t cnt = 0, burn = c->nv / 4 < 10 ? c->nv / 4 : 10;
    for (size_t i = 0; i < c->nv; i++) {
        int64_t gap = i ? c->tv[i] - c->tv[i - 1] : 1;
        double lp = gap == 1 ? phi * L : L * pow(phi, (double)gap);
        double e = c->rr[i] - lp;
        if (i >= burn) {
            sse += e * e;
            cnt++;
        }
        L = lp + alpha * e;
    }
    *level_out = L;
    return cnt ? sse / (double)cnt : 0;
}

static void select_level(const pr_ctx *c, prophet_hyper *hp)
{
    double best = INFINITY, L;
    hp->alpha = 0;
    hp->phi = 1.0;
    for (size_t ai = 0; ai < sizeof pr_grid_alpha / sizeof pr_grid_alpha[0]; ai++) {
        for (size_t pi = 0; pi < sizeof pr_grid_phi / sizeof pr_grid_phi[0]; pi++) {
            double v = level_run(c, pr_grid_alpha[ai], pr_grid_phi[pi], &L);
            if (v < best * (1 - 1e-9)) {
                best = v;
                hp->alpha = pr_grid_alpha[ai];
                hp->phi = pr_grid_alpha[ai] > 0 ? pr_grid_phi[pi] : 1.0;
            }
            if (pr_grid_alpha[ai] == 0)
                break;          /* phi is irrelevant without a correction */
        }
    }
}

/* k-th smallest of v[0..n) (v is reordered; Wirth's selection). */
static double select_kth(double *v, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (lo < hi) {
        double pv = v[kk];
        ptrdiff_t i = lo, j = hi;
        do {
            while (v[i] < pv)
                i++;
            while (pv < v[j])
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            lo = i;
        if (kk < i)
            hi = j;
    }
    return v[kk];
}

/* One Huber IRLS round (k = 1.345, scale = 1.4826 median |r|, floored): reweights the Gram
 * matrix and re-solves; keeps the previous beta when the weighted system does not solve. */
static int huber_step(pr_ctx *c, size_t q, double cps)
{
    for (size_t i = 0; i < c->nv; i++) {
        c->rr[i] = c->ys[i] - pred_row(c, i, c->cols, q, c->beta);
        c->ww[i] = fabs(c->rr[i]);
    }
    double sr = 1.4826 * select_kth(c->ww, c->nv, c->nv / 2);
    if (!(sr > 1e-6))
        sr = 1e-6;
    double kk = PR_HUBER_K * sr;
    for (size_t i = 0; i < c->nv; i++) {
        double a = fabs(c->rr[i]);
        double w = a <= kk ? 1.0 : kk / a;
        c->wk[i] = w < 1e-4 ? 1e-4 : w;
    }
    memcpy(c->ww, c->beta, q * sizeof(double));
    gram(c, c->nv, c->wk);
    if (solve_cols(c, c->cols, q, cps, c->beta) != 0) {
        memcpy(c->beta, c->ww, q * sizeof(double));
        return -MAI_EINVAL;
    }
    return 0;
}

static int hyper_ok(const prophet_hyper *hp)
{
    return hp && isfinite(hp->cps) && hp->cps > 0 && hp->alpha >= 0 && hp->alpha <= 1 &&
           hp->phi >= 0 && hp->phi <= 1;
}

/* fit(), keep-hyper and explicit-hyper fits. fixed == NULL: select everything. */
static int fit_common(pr_state *st, const double *y, size_t n, void *scratch,
                      const prophet_hyper *fixed)
{
    if (!st)
        return -MAI_EINVAL;
    size_t m = st->max_history && n > st->max_history ? st->max_history : n;
    if (y)
        y += n - m;
    else
        m = 0;

    /* Reset to the fallback positioned after y[n-1]. */
    st->fitted = 0;
    memset(st->cp, 0, sizeof st->cp);
    memset(st->coef, 0, sizeof st->coef);
    st->n_cp = 0;
    st->ord_d = st->ord_w = 0;
    st->y_off = 0;
    st->y_scale = st->t_scale = 1.0;
    st->t_last = st->t_end = 0;
    st->lam = st->var_e = st->level = 0;
    stats_reset(st);
    size_t nv = 0, i_first = 0, i_last = 0;
    for (size_t i = 0; i < m; i++) {
        stats_add(st, y[i]);
        if (isfinite(y[i])) {
            if (nv++ == 0)
                i_first = i;
            i_last = i;
        }
    }
    if (fixed && !hyper_ok(fixed))
        return -MAI_EINVAL;
    if (nv < PROPHET_MIN_POINTS || !scratch || m - i_first > (size_t)PR_T_MAX)
        return -MAI_EINVAL;

    /* Scaling: offset = mean (computed around the first value, exact for constants). */
    double y0 = y[i_first], acc = 0;
    for (size_t i = i_first; i <= i_last; i++)
        if (isfinite(y[i]))
            acc += y[i] - y0;
    double off = y0 + acc / (double)nv, sc = 0;
    for (size_t i = i_first; i <= i_last; i++)
        if (isfinite(y[i]) && fabs(y[i] - off) > sc)
            sc = fabs(y[i] - off);
    if (!isfinite(off) || !isfinite(sc))
        return -MAI_EINVAL;
    if (!(sc > 0))
        sc = 1.0;

    /* Carve the scratch. */
    pr_ctx c;
    memset(&c, 0, sizeof c);
    uintptr_t base = ((uintptr_t)scratch + 63) & ~(uintptr_t)63;
    double *d = (double *)base;
    c.X = d;
    d += m * PR_NCOEF;
    c.ys = d;
    d += m;
    c.rr = d;
    d += m;
    c.wk = d;
    d += m;
    c.ww = d;
    d += m;
    c.G = d;
    d += PR_NCOEF * PR_NCOEF;
    c.A = d;
    d += PR_NCOEF * PR_NCOEF;
    c.gb = d;
    d += PR_NCOEF;
    c.beta = d;
    d += PR_NCOEF;
    c.prec = d;
    d += PR_NCOEF;
    c.tv = (int64_t *)d;
    d += m;
    c.cols = (int *)d;
    c.nv = nv;
    for (size_t i = i_first, r = 0; i <= i_last; i++) {
        if (!isfinite(y[i]))
            continue;
        c.ys[r] = (y[i] - off) / sc;
        c.tv[r] = (int64_t)(i - i_first);
        r++;
    }
    uint64_t span = (uint64_t)(i_last - i_first) + 1;
    c.Pd = st->season_day;
    c.Pw = st->season_week;
    c.D = max_order(c.Pd, PR_MAX_D, span);
    c.W = max_order(c.Pw, PR_MAX_W, span);

    /* Hyperparameters. */
    prophet_hyper hp = {0.05, c.D < 4 ? c.D : 4, c.W, 0, 1.0};
    uint32_t want_d, want_w;    /* the orders to keep: requested ones survive a short window */
    if (fixed) {
        hp = *fixed;
        want_d = hp.order_day;
        want_w = hp.order_week;
        if (hp.order_day > c.D)
            hp.order_day = c.D;
        if (hp.order_week > c.W)
            hp.order_week = c.W;
    } else {
        select_hyper(&c, &hp);
        want_d = hp.order_day;
        want_w = hp.order_week;
    }

    /* Final fit on every valid row. */
    c.T = (double)c.tv[nv - 1];
    place_cps(&c, nv);
    build_design(&c);
    gram(&c, nv, NULL);
    size_t q = select_cols(&c, hp.order_day, hp.order_week, c.cols);
    if (solve_cols(&c, c.cols, q, hp.cps, c.beta) != 0)
        return -MAI_EINVAL;
    for (int it = 0; it < PR_HUBER_ITERS; it++)
        if (huber_step(&c, q, hp.cps) != 0)
            break;
    for (size_t i = 0; i < nv; i++)
        c.rr[i] = (c.ys[i] - pred_row(&c, i, c.cols, q, c.beta)) * sc;
    if (!fixed)
        select_level(&c, &hp);
    double L;
    double ve = level_run(&c, hp.alpha, hp.phi, &L);

    /* Commit to the state. */
    st->y_off = off;
    st->y_scale = sc;
    st->t_scale = c.T;
    st->n_cp = (uint32_t)c.K;
    memcpy(st->cp, c.cp, c.K * sizeof(double));
    st->ord_d = (uint8_t)hp.order_day;
    st->ord_w = (uint8_t)hp.order_week;
    double lam = 0;
    for (size_t a = 0; a < q; a++) {
        size_t ca = (size_t)c.cols[a], slot;
        if (ca < 2 + c.K)
            slot = ca;
        else if (ca < 2 + c.K + 2 * (size_t)c.D)
            slot = PR_SLOT_D + (ca - 2 - c.K);
        else
            slot = PR_SLOT_W + (ca - 2 - c.K - 2 * (size_t)c.D);
        st->coef[slot] = c.beta[a];
        if (ca >= 2 && ca < 2 + c.K)
            lam += fabs(c.beta[a]);
    }
    st->lam = c.K ? lam / (double)c.K : 0;
    st->hyp_d = (uint8_t)want_d;
    st->hyp_w = (uint8_t)want_w;
    st->cps = hp.cps;
    st->alpha = hp.alpha;
    st->phi = hp.phi;
    st->has_hyper = 1;
    st->t_end = c.tv[nv - 1];
    st->t_last = (int64_t)(m - 1 - i_first);
    st->level = L * pow(hp.phi, (double)(st->t_last - st->t_end));
    st->var_e = ve;
    st->fitted = 1;
    return 0;
}

static int pr_fit(void *state, const double *y, size_t n, void *scratch)
{
    return fit_common(state, y, n, scratch, NULL);
}

int prophet_fit_keep_hyper(void *state, const double *y, size_t n, void *scratch)
{
    pr_state *st = state;
    if (!st || !st->has_hyper)
        return fit_common(st, y, n, scratch, NULL);
    prophet_hyper hp = {st->cps, st->hyp_d, st->hyp_w, st->alpha, st->phi};
    return fit_common(st, y, n, scratch, &hp);
}

int prophet_fit_with_hyper(void *state, const double *y, size_t n, void *scratch,
                           const prophet_hyper *hp)
{
    pr_state *st = state;
    if (!st || !hyper_ok(hp) || hp->order_day > max_order(st->season_day, PR_MAX_D, UINT64_MAX) ||
        hp->order_week > max_order(st->season_week, PR_MAX_W, UINT64_MAX))
        return -MAI_EINVAL;
    return fit_common(st, y, n, scratch, hp);
}

int prophet_get_hyper(const void *state, prophet_hyper *out)
{
    const pr_state *st = state;
    if (!st || !out || !st->has_hyper)
        return -MAI_EINVAL;
    out->cps = st->cps;
    out->order_day = st->hyp_d;
    out->order_week = st->hyp_w;
    out->alpha = st->alpha;
    out->phi = st->phi;
    return 0;
}

/* ---------------------------------------------------------------- forecast */

static void put_out(fc_output *out, size_t k, double mu, double sd)
{
    if (out->mean)
        out->mean[k] = mu;
    double b[4] = {mu - PR_Z80 * sd, mu + PR_Z80 * sd, mu - PR_Z95 * sd, mu + PR_Z95 * sd};
    for (int i = 0; i < 4; i++) {
        if (!isfinite(b[i]))
            b[i] = i % 2 ? DBL_MAX : -DBL_MAX;
    }
    if (out->lo80)
        out->lo80[k] = b[0];
    if (out->hi80)
        out->hi80[k] = b[1];
    if (out->lo95)
        out->lo95[k] = b[2];
    if (out->hi95)
        out->hi95[k] = b[3];
}

static int pr_forecast(const void *state, size_t h, fc_output *out)
{
    const pr_state *st = state;
    if (!st || !out || h == 0)
        return -MAI_EINVAL;
    double fb_mu = st->n_obs ? st->last_y : 0.0;
    double pw = 1.0, sum2 = 0.0, phi2 = st->phi * st->phi;
    double trend_c = st->y_scale * st->y_scale * 2.0 * st->lam * st->lam * (double)st->n_cp / 3.0;
    for (size_t k = 0; k < h; k++) {
        double mu = NAN, var = NAN;
        if (st->fitted && (uint64_t)k < (uint64_t)PR_T_MAX) {
            int64_t t = st->t_last + (int64_t)k + 1;
            if (k > 0)
                sum2 = sum2 * phi2 + phi2;      /* sum_{i=1..k} phi^2i */
            pw *= st->phi;
            mu = model_mean(st, t) + pw * st->level;
            double tau = (double)(t - st->t_end) / st->t_scale;
            var = st->var_e * (1.0 + st->alpha * st->alpha * sum2) + trend_c * tau * tau * tau;
        }
        double sd = sqrt(var);
        if (!isfinite(mu) || !isfinite(sd)) {
            mu = fb_mu;
            sd = fallback_sd(st, k);
        }
        put_out(out, k, mu, sd);
    }
    return 0;
}

/* ---------------------------------------------------------------- save / load
 * Save layout (little-endian, PROPHET_SAVE_BYTES = 792; f64 = IEEE-754 bits as u64):
 *   0 "PRPH"  4 version u8 (1)  5 flags u8 (1 fitted, 2 has_hyper, 4 prev_valid, others 0)
 *   6 ord_d u8  7 ord_w u8  8 hyp_d u8  9 hyp_w u8  10 u16 0  12 n_cp u32  16 season_day u32
 *   20 season_week u32  24 step_s  32 cps  40 alpha  48 phi  56 y_off  64 y_scale  72 t_scale
 *   80 t_last i64  88 t_end i64  96 cp[25]  296 coef[53]  720 lam  728 var_e  736 level
 *   744 last_y  752 w_mean  760 w_m2  768 d2_mean  776 n_obs u64  784 n_d u64  792 end */
enum {
    PO_FLAGS = 5, PO_ORD_D = 6, PO_ORD_W = 7, PO_HYP_D = 8, PO_HYP_W = 9, PO_PAD = 10,
    PO_NCP = 12, PO_SDAY = 16, PO_SWEEK = 20, PO_STEP = 24, PO_CPS = 32, PO_ALPHA = 40,
    PO_PHI = 48, PO_YOFF = 56, PO_YSCALE = 64, PO_TSCALE = 72, PO_TLAST = 80, PO_TEND = 88,
    PO_CP = 96, PO_COEF = PO_CP + 8 * PR_MAX_CP, PO_LAM = PO_COEF + 8 * PR_NCOEF,
    PO_VARE = PO_LAM + 8, PO_LEVEL = PO_VARE + 8, PO_LASTY = PO_LEVEL + 8,
    PO_WMEAN = PO_LASTY + 8, PO_WM2 = PO_WMEAN + 8, PO_D2 = PO_WM2 + 8, PO_NOBS = PO_D2 + 8,
    PO_ND = PO_NOBS + 8, PO_END = PO_ND + 8
};
_Static_assert(PO_END == PROPHET_SAVE_BYTES, "save layout and PROPHET_SAVE_BYTES disagree");

static size_t pr_save(const void *state, uint8_t *buf, size_t cap)
{
    const pr_state *st = state;
    if (!st || !buf || cap < PROPHET_SAVE_BYTES)
        return PROPHET_SAVE_BYTES;
    memset(buf, 0, PROPHET_SAVE_BYTES);
    memcpy(buf, "PRPH", 4);
    buf[4] = PROPHET_SAVE_VERSION;
    buf[PO_FLAGS] = (uint8_t)((st->fitted ? 1 : 0) | (st->has_hyper ? 2 : 0) |
                              (st->prev_valid ? 4 : 0));
    buf[PO_ORD_D] = st->ord_d;
    buf[PO_ORD_W] = st->ord_w;
    buf[PO_HYP_D] = st->hyp_d;
    buf[PO_HYP_W] = st->hyp_w;
    le_put_u32(buf + PO_NCP, st->n_cp);
    le_put_u32(buf + PO_SDAY, st->season_day);
    le_put_u32(buf + PO_SWEEK, st->season_week);
    le_put_f64(buf + PO_STEP, st->step_s);
    le_put_f64(buf + PO_CPS, st->cps);
    le_put_f64(buf + PO_ALPHA, st->alpha);
    le_put_f64(buf + PO_PHI, st->phi);
    le_put_f64(buf + PO_YOFF, st->y_off);
    le_put_f64(buf + PO_YSCALE, st->y_scale);
    le_put_f64(buf + PO_TSCALE, st->t_scale);
    le_put_u64(buf + PO_TLAST, (uint64_t)st->t_last);
    le_put_u64(buf + PO_TEND, (uint64_t)st->t_end);
    for (int i = 0; i < PR_MAX_CP; i++)
        le_put_f64(buf + PO_CP + 8 * i, st->cp[i]);
    for (int i = 0; i < PR_NCOEF; i++)
        le_put_f64(buf + PO_COEF + 8 * i, st->coef[i]);
    le_put_f64(buf + PO_LAM, st->lam);
    le_put_f64(buf + PO_VARE, st->var_e);
    le_put_f64(buf + PO_LEVEL, st->level);
    le_put_f64(buf + PO_LASTY, st->last_y);
    le_put_f64(buf + PO_WMEAN, st->w_mean);
    le_put_f64(buf + PO_WM2, st->w_m2);
    le_put_f64(buf + PO_D2, st->d2_mean);
    le_put_u64(buf + PO_NOBS, st->n_obs);
    le_put_u64(buf + PO_ND, st->n_d);
    return PROPHET_SAVE_BYTES;
}

/* Decodes into a temporary and copies it over the state only when every field is in the range
 * fit() leaves it in, so a bad image never reaches forecast(). */
static int pr_load(void *state, const fc_params *p, const uint8_t *buf, size_t n)
{
    if (!state || !p || !buf || n != PROPHET_SAVE_BYTES)
        return -MAI_EPROTO;
    if (memcmp(buf, "PRPH", 4) != 0 || buf[4] != PROPHET_SAVE_VERSION || (buf[PO_FLAGS] & ~7u) ||
        buf[PO_PAD] || buf[PO_PAD + 1])
        return -MAI_EPROTO;
    if (le_get_u32(buf + PO_SDAY) != p->season_day || le_get_u32(buf + PO_SWEEK) != p->season_week ||
        le_get_f64(buf + PO_STEP) != p->step_s)
        return -MAI_EPROTO;
    pr_state t;
    pr_init(&t, p);
    t.fitted = buf[PO_FLAGS] & 1;
    t.has_hyper = (buf[PO_FLAGS] >> 1) & 1;
    t.prev_valid = (buf[PO_FLAGS] >> 2) & 1;
    t.ord_d = buf[PO_ORD_D];
    t.ord_w = buf[PO_ORD_W];
    t.hyp_d = buf[PO_HYP_D];
    t.hyp_w = buf[PO_HYP_W];
    t.n_cp = le_get_u32(buf + PO_NCP);
    t.cps = le_get_f64(buf + PO_CPS);
    t.alpha = le_get_f64(buf + PO_ALPHA);
    t.phi = le_get_f64(buf + PO_PHI);
    t.y_off = le_get_f64(buf + PO_YOFF);
    t.y_scale = le_get_f64(buf + PO_YSCALE);
    t.t_scale = le_get_f64(buf + PO_TSCALE);
    t.t_last = (int64_t)le_get_u64(buf + PO_TLAST);
    t.t_end = (int64_t)le_get_u64(buf + PO_TEND);
    for (int i = 0; i < PR_MAX_CP; i++)
        t.cp[i] = le_get_f64(buf + PO_CP + 8 * i);
    for (int i = 0; i < PR_NCOEF; i++)
        t.coef[i] = le_get_f64(buf + PO_COEF + 8 * i);
    t.lam = le_get_f64(buf + PO_LAM);
    t.var_e = le_get_f64(buf + PO_VARE);
    t.level = le_get_f64(buf + PO_LEVEL);
    t.last_y = le_get_f64(buf + PO_LASTY);
    t.w_mean = le_get_f64(buf + PO_WMEAN);
    t.w_m2 = le_get_f64(buf + PO_WM2);
    t.d2_mean = le_get_f64(buf + PO_D2);
    t.n_obs = le_get_u64(buf + PO_NOBS);
    t.n_d = le_get_u64(buf + PO_ND);

    const double all[] = {t.cps, t.alpha, t.phi, t.y_off, t.y_scale, t.t_scale, t.lam, t.var_e,
                          t.level, t.last_y, t.w_mean, t.w_m2, t.d2_mean};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!isfinite(all[i]))
            return -MAI_EPROTO;
    for (int i = 0; i < PR_NCOEF; i++)
        if (!isfinite(t.coef[i]))
            return -MAI_EPROTO;
    uint32_t dmax = max_order(p->season_day, PR_MAX_D, UINT64_MAX);
    uint32_t wmax = max_order(p->season_week, PR_MAX_W, UINT64_MAX);
    if (t.hyp_d > dmax || t.hyp_w > wmax || t.ord_d > t.hyp_d || t.ord_w > t.hyp_w ||
        t.n_cp > PR_MAX_CP)
        return -MAI_EPROTO;
    if (t.fitted && !t.has_hyper)
        return -MAI_EPROTO;
    if (t.has_hyper && !(t.cps > 0 && t.alpha >= 0 && t.alpha <= 1 && t.phi >= 0 && t.phi <= 1))
        return -MAI_EPROTO;
    if (!(t.y_scale > 0) || !(t.t_scale > 0) || t.var_e < 0 || t.lam < 0 || t.w_m2 < 0 ||
        t.d2_mean < 0 || t.n_d > t.n_obs || (t.prev_valid && !t.n_obs))
        return -MAI_EPROTO;
    if (t.t_end < 0 || t.t_last < t.t_end || t.t_last > PR_T_MAX)
        return -MAI_EPROTO;
    for (uint32_t i = 0; i < PR_MAX_CP; i++) {
        if (i >= t.n_cp) {
            if (t.cp[i] != 0 || t.coef[2 + i] != 0)
                return -MAI_EPROTO;
        } else if (!(t.cp[i] >= 0 && t.cp[i] <= 1) || (i > 0 && t.cp[i] < t.cp[i - 1])) {
            return -MAI_EPROTO;
        }
    }
    for (uint32_t i = 2u * t.ord_d; i < 2 * PR_MAX_D; i++)
        if (t.coef[PR_SLOT_D + i] != 0)
            return -MAI_EPROTO;
    for (uint32_t i = 2u * t.ord_w; i < 2 * PR_MAX_W; i++)
        if (t.coef[PR_SLOT_W + i] != 0)
            return -MAI_EPROTO;
    memcpy(state, &t, sizeof t);
    return 0;
}

const forecaster_ops prophet_ops = {
    .name = "prophet",
    .state_size = pr_state_size,
    .fit_scratch_size = pr_fit_scratch_size,
    .init = pr_init,
    .update = pr_update,
    .fit = pr_fit,
    .forecast = pr_forecast,
    .refit = prophet_fit_keep_hyper,
    .save = pr_save,
    .load = pr_load,
};
