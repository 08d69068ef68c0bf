/* SPDX-License-Identifier: Apache-2.0
 * models/eta.c -- time to threshold from forecast paths and robust linear fits (see eta.h). */
#include "eta.h"

#include <math.h>
#include <stdlib.h>

#include "base.h"

#define ETA_SLOPES (ETA_TS_POINTS * (ETA_TS_POINTS - 1) / 2)
#define ETA_DIFFS 1024          /* first differences sampled for the drop scale */
#define ETA_Z80 1.2815515655446004

double eta_from_path(const double *path, size_t h, double step_s, double threshold, double current)
{
    if (!(step_s > 0) || isnan(threshold))
        return NAN;
    if (current >= threshold)
        return 0;
    double pv = current, pt = 0;
    int have_prev = isfinite(current);
    for (size_t k = 0; k < h; k++) {
        double v = path[k];
        if (isnan(v))
            continue;
        double t = (double)(k + 1) * step_s;
        if (v >= threshold) {
            if (!have_prev || !isfinite(v))
                return t;
            /* pv < threshold <= v: interpolate on the segment */
            return pt + (t - pt) * (threshold - pv) / (v - pv);
        }
        pv = v;
        pt = t;
        have_prev = isfinite(v);
    }
    return INFINITY;
}

/* Median of a small array, sorted in place. n >= 1. */
static double median_inplace(double *v, size_t n)
{
    qsort(v, n, sizeof *v, mai_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Scale of the first differences of the finite values (consecutive finite pairs): the larger of
 * 1.4826 * MAD and the mean absolute difference (the MAD alone is ~1e-14 on a smooth fill with
 * rounding, and 0 on spiky, mostly constant series). */
static double diff_scale(const double *y, size_t n)
{
    size_t nd = 0;
    double prev = NAN;
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i]))
            continue;
        if (!isnan(prev))
            nd++;
        prev = y[i];
    }
    if (nd == 0)
        return 0;
    double d[ETA_DIFFS];
    size_t m = 0, r = 0;
    double sum_abs = 0;
    prev = NAN;
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i]))
            continue;
        if (!isnan(prev)) {
            double di = y[i] - prev;
            sum_abs += fabs(di);
            /* difference rank r is taken when it starts a new bucket of nd / ETA_DIFFS */
            if (nd <= ETA_DIFFS || (r * ETA_DIFFS) / nd != ((r + 1) * ETA_DIFFS) / nd)
                if (m < ETA_DIFFS)
                    d[m++] = di;
            r++;
        }
        prev = y[i];
    }
    double med = median_inplace(d, m);
    for (size_t i = 0; i < m; i++)
        d[i] = fabs(d[i] - med);
    double mad = 1.4826 * median_inplace(d, m), mean_abs = sum_abs / (double)nd;
    return mad > mean_abs ? mad : mean_abs;
}

/* Start of the segment after the last large drop in y[from..n) (from when there is none). */
static size_t last_drop(const double *y, size_t n, size_t from, double thr)
{
    for (size_t i = n; i-- > from + 1;) {
        if (isnan(y[i]))
            continue;
        size_t j = i;               /* previous finite point */
        while (j > from && isnan(y[j - 1]))
            j--;
        if (j == from)
            break;
        j--;
        if (!(y[j] - y[i] > thr))
            continue;
        double pre[ETA_DROP_PRE], post[3];
        size_t np = 0, nq = 0;
        for (size_t k = i; k-- > from && np < ETA_DROP_PRE;)
            if (!isnan(y[k]))
                pre[np++] = y[k];
        for (size_t k = i; k < n && nq < 3; k++)
            if (!isnan(y[k]))
                post[nq++] = y[k];
        if (median_inplace(pre, np) - median_inplace(post, nq) > thr)
            return i;
    }
    return from;
}

typedef struct ts_fit {
    double slope, slope_lo, slope_hi;
    size_t used;                /* finite points used (0: no fit) */
} ts_fit;

/* Evenly spaced subsample of at most ETA_TS_POINTS finite points of [a, b). */
static size_t subsample(const double *t, const double *y, size_t a, size_t b, double *st, double *sy)
{
    size_t nf = 0;
    for (size_t i = a; i < b; i++)
        nf += !isnan(y[i]) && isfinite(t[i]);
    size_t m = 0, r = 0;
    for (size_t i = a; i < b; i++) {
        if (isnan(y[i]) || !isfinite(t[i]))
            continue;
        if (nf <= ETA_TS_POINTS || (r * ETA_TS_POINTS) / nf != ((r + 1) * ETA_TS_POINTS) / nf) {
            if (m < ETA_TS_POINTS) {
                st[m] = t[i];
                sy[m] = y[i];
                m++;
            }
        }
        r++;
    }
    return m;
}

/* Theil-Sen slope with Sen's 80% interval on the points st/sy[0..m). */
static ts_fit theil_sen(const double *st, const double *sy, size_t m)
{
    ts_fit f = { 0, 0, 0, 0 };
    static const size_t cap = ETA_SLOPES;
    double s[ETA_SLOPES];
    size_t ns = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m && ns < cap; j++)
            if (st[j] != st[i])
                s[ns++] = (sy[j] - sy[i]) / (st[j] - st[i]);
    if (ns == 0)
        return f;
    qsort(s, ns, sizeof *s, mai_cmp_double);
    f.slope = ns % 2 ? s[ns / 2] : 0.5 * (s[ns / 2 - 1] + s[ns / 2]);
    double dm = (double)m;
    double c = ETA_Z80 * sqrt(dm * (dm - 1) * (2 * dm + 5) / 18.0);
    double lo_rank = floor(((double)ns - c) / 2.0);       /* 1-based M1 */
    double hi_rank = ceil(((double)ns + c) / 2.0) + 1.0;  /* 1-based M2 + 1 */
    if (lo_rank < 1)
        lo_rank = 1;
    if (hi_rank > (double)ns)
        hi_rank = (double)ns;
    f.slope_lo = s[(size_t)lo_rank - 1];
    f.slope_hi = s[(size_t)hi_rank - 1];
    f.used = m;
    return f;
}

/* Seconds to go from level to threshold at slope, INFINITY beyond the horizon or slope <= 0. */
static double crossing(double level, double slope, double threshold, double horizon_s)
{
    if (level >= threshold)
        return 0;
    if (!(slope > 0))
        return INFINITY;
    double eta = (threshold - level) / slope;
    if (horizon_s > 0 && isfinite(horizon_s) && eta > horizon_s)
        return INFINITY;
    return eta;
}

double eta_linear(const double *t_s, const double *y, size_t n, double threshold, double horizon_s,
                  double *lo_s, double *hi_s)
{
    if (lo_s)
        *lo_s = INFINITY;
    if (hi_s)
        *hi_s = INFINITY;
    if (n < 3 || isnan(threshold))
        return INFINITY;

    double thr = ETA_DROP_K * diff_scale(y, n);
    size_t start = thr > 0 ? last_drop(y, n, 0, thr) : 0;

    double st[ETA_TS_POINTS], sy[ETA_TS_POINTS];
    size_t m = subsample(t_s, y, start, n, st, sy);
    ts_fit f = { 0, 0, 0, 0 };
    if (m >= ETA_MIN_SEG || start == 0) {
        if (m < 3)
            return INFINITY;
        f = theil_sen(st, sy, m);
    } else {
        /* too little since the last drop: the fill rate from the segment before it */
        size_t prev = last_drop(y, start, 0, thr);
        double pt[ETA_TS_POINTS], py[ETA_TS_POINTS];
        size_t pm = subsample(t_s, y, prev, start, pt, py);
        if (pm >= 3)
            f = theil_sen(pt, py, pm);
        if (f.used == 0 && m >= 3)
            f = theil_sen(st, sy, m);
        if (m == 0)
            return INFINITY;
    }
    if (f.used == 0)
        return INFINITY;

    /* level now: median of the residual line through t_now over the current segment */
    double t_now = t_s[n - 1];
    double r[ETA_TS_POINTS];
    for (size_t i = 0; i < m; i++)
        r[i] = sy[i] - f.slope * (st[i] - t_now);
    double level = median_inplace(r, m);

    double eta = crossing(level, f.slope, threshold, horizon_s);
    if (lo_s)
        *lo_s = crossing(level, f.slope_hi, threshold, horizon_s);
    if (hi_s)
        *hi_s = crossing(level, f.slope_lo, threshold, horizon_s);
    return eta;
}

double eta_days_seed(double seconds)
{
    if (isnan(seconds))
        return 9999.0;
    double d = seconds / 86400.0;
    if (d > 9999.0)
        return 9999.0;
    return d < 0 ? 0 : d;
}

int eta_alert_level(double days)
{
    if (isnan(days))
        return ETA_OK;
    if (days < 3)
        return ETA_CRITICAL;
    if (days < 7)
        return ETA_WARNING;
    if (days < 30)
        return ETA_SOON;
    return ETA_OK;
}

const char *eta_alert_name(int level)
{
    switch (level) {
    case ETA_SOON: return "SOON";
    case ETA_WARNING: return "WARNING";
    case ETA_CRITICAL: return "CRITICAL";
    default: return "OK";
    }
}
