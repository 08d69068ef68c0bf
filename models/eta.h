/* SPDX-License-Identifier: Apache-2.0
 * models/eta.h -- time to threshold (ETA): from a forecast path, from a robust linear fit of the
 * recent history, the seed's 9999-day convention and its disk alert levels. Pure numerics: no
 * I/O, no allocation (fixed stack buffers), reentrant. */
#ifndef MAI_MODELS_ETA_H
#define MAI_MODELS_ETA_H

#include <stddef.h>

/*
 * Robustness of eta_linear() (design note).
 *
 * Slope: the Theil-Sen estimator (H. Theil, "A rank-invariant method of linear and polynomial
 * regression analysis", Indagationes Math. 1950; P. K. Sen, "Estimates of the regression
 * coefficient based on Kendall's tau", JASA 63, 1968): the median of the pairwise slopes, which
 * tolerates up to ~29% of arbitrary outliers (bursts, scrape glitches). To keep the cost and the
 * stack bounded it runs on an evenly spaced subsample of at most ETA_TS_POINTS finite points of
 * the segment (ETA_TS_POINTS * (ETA_TS_POINTS - 1) / 2 slopes). The level "now" is the median of
 * y - slope * (t - t_now) over the same points. The slope's confidence interval is Sen's
 * distribution-free one (ranks of the sorted slopes from Kendall's S variance, no tie
 * correction) at 80%, the same level as the forecast's lo80/hi80; it assumes independent errors,
 * so with autocorrelated noise it is too narrow.
 *
 * Sawtooth: the fit uses only the segment since the last large drop (log rotation, files
 * deleted). A drop at sample i is large when BOTH
 *   1. the step y[i-1] - y[i] > thr, and
 *   2. the level falls: median(the ETA_DROP_PRE finite points before i) - median(the next up to
 *      3 finite points from i) > thr,
 * with thr = ETA_DROP_K * sigma, sigma the larger of 1.4826 * MAD of the first differences (from
 * an evenly spaced subsample) and their mean absolute value (the MAD is 0 on spiky series that
 * are mostly constant, and rounding-small on a smooth fill). Condition 2 keeps the end of a burst (a rise and a return to the
 * earlier baseline, up to ETA_DROP_PRE / 2 points long) and a single low glitch from being
 * taken as a drop. When the segment since the last drop holds fewer than ETA_MIN_SEG finite
 * points, the slope (and its interval) come from the segment before it and only the level from
 * the current one: the fill rate goes on across a rotation.
 */
#define ETA_TS_POINTS 96
#define ETA_DROP_K 8.0
#define ETA_DROP_PRE 11
#define ETA_MIN_SEG 8

/* Seconds until a forecast path first reaches threshold (value >= threshold: an upper limit such
 * as 90% disk). path[k] is the forecast k + 1 steps of step_s seconds after now; current is the
 * value now (time 0). Linear interpolation between consecutive points (from current to path[0]
 * for the first step). Returns 0 when current >= threshold, INFINITY when the path never reaches
 * it within h steps, and NaN for step_s <= 0 or a NaN threshold. NaN points are skipped
 * (interpolation spans the gap); a NaN current means the first point reaching the threshold
 * counts at its own time. For ensemble bounds: the hi80 path gives the earliest crossing, the
 * lo80 path the latest. */
double eta_from_path(const double *path, size_t h, double step_s, double threshold, double current);

/* Robust linear ETA: seconds after t_s[n - 1] (the last sample, "now") until the Theil-Sen line
 * of the segment since the last large drop reaches threshold. t_s ascending (seconds, any
 * origin); NaN values are skipped. lo_s / hi_s (each may be NULL) get the earliest / latest
 * crossing from the slope's 80% confidence interval (upper slope -> lo_s, lower slope -> hi_s).
 * Returns INFINITY (with lo_s / hi_s INFINITY where they are too) when the slope is <= 0, when the
 * crossing lies beyond horizon_s seconds (horizon_s <= 0, NaN or INFINITY: no limit), or with
 * fewer than 3 finite points; 0 when the fitted level now is already >= threshold. */
double eta_linear(const double *t_s, const double *y, size_t n, double threshold, double horizon_s,
                  double *lo_s, double *hi_s);

/* The seed's days for payloads and CSV: seconds / 86400, and 9999.0 for INFINITY, NaN or more
 * than 9999 days; negative gives 0. The library itself keeps INFINITY. */
double eta_days_seed(double seconds);

/* The seed's disk alert levels from days to threshold. */
enum { ETA_OK = 0, ETA_SOON = 1, ETA_WARNING = 2, ETA_CRITICAL = 3 };

/* CRITICAL when days < 3, WARNING when 3 <= days < 7, SOON when 7 <= days < 30, else OK (30
 * days and more, 9999, INFINITY and NaN are OK). */
int eta_alert_level(double days);

/* "OK", "SOON", "WARNING", "CRITICAL"; "OK" for any other value. Never NULL. */
const char *eta_alert_name(int level);

#endif
