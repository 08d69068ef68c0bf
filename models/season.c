/* SPDX-License-Identifier: Apache-2.0
 * models/season.c -- seasonal period detection by autocorrelation (see season.h). The linear
 * trend is removed first (least squares on the finite points), since a trend alone makes every
 * lag look correlated. The threshold follows the usual reading of an ACF plot: a seasonal
 * spike above the +-2/sqrt(pairs) noise band of white noise and above min_acf. */
#include "season.h"

#include <math.h>

/* Least-squares line a + b * i through the finite points. */
static void trend(const double *y, size_t n, double *a, double *b)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            continue;
        double x = (double)i;
        sx += x;
        sy += y[i];
        sxx += x * x;
        sxy += x * y[i];
        k++;
    }
    double den = k * sxx - sx * sx;
    *b = (k > 1 && den != 0) ? (k * sxy - sx * sy) / den : 0;
    *a = k > 0 ? (sy - *b * sx) / k : 0;
}

double season_acf(const double *y, size_t n, size_t lag)
{
    if (lag == 0 || n <= lag)
        return 0;
    double a, b;
    trend(y, n, &a, &b);
    double mean = 0, k = 0, maxabs = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(y[i])) {
            mean += y[i] - (a + b * (double)i);
            k++;
            maxabs = fabs(y[i]) > maxabs ? fabs(y[i]) : maxabs;
        }
    }
    if (k < 2)
        return 0;
    mean /= k;
    double var = 0, cov = 0, pairs = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            continue;
        double d = y[i] - (a + b * (double)i) - mean;
        var += d * d;
        if (i + lag < n && isfinite(y[i + lag])) {
            double e = y[i + lag] - (a + b * (double)(i + lag)) - mean;
            cov += d * e;
            pairs++;
        }
    }
    /* residuals at rounding level (a pure trend, or one stored as float) are not a season */
    if (var <= 0 || sqrt(var / k) <= SEASON_REL_FLOOR * maxabs || pairs < (double)lag / 2)
        return 0;
    return (cov / pairs) / (var / k);
}

uint32_t season_detect(const double *y, size_t n, const uint32_t *candidates, size_t ncand,
                       double min_acf)
{
    uint32_t best = 0;
    double best_acf = min_acf;
    for (size_t c = 0; c < ncand; c++) {
        uint32_t lag = candidates[c];
        if (lag < 2 || n < 2 * (size_t)lag)
            continue;
        double r = season_acf(y, n, lag);
        double band = 2.0 / sqrt((double)(n - lag));   /* the ACF is a mean over n - lag pairs */
        if (r >= best_acf && r > band) {
            best_acf = r;
            best = lag;
        }
    }
    return best;
}
