/* SPDX-License-Identifier: Apache-2.0
 * models/season.h -- detects which seasonal periods a series actually has, from its
 * autocorrelation, so that daily and weekly seasons are found in the data, not assumed.
 * Pure function over an array; no allocation. */
#ifndef MAI_MODELS_SEASON_H
#define MAI_MODELS_SEASON_H

#include <stddef.h>
#include <stdint.h>

/* Minimum autocorrelation at the seasonal lag for a season to count. */
#define SEASON_MIN_ACF 0.1

/* Residuals (after the trend) whose RMS is at most this fraction of the largest |y| are rounding,
 * not signal: float32 rings quantize to ~1e-7 of the level. Their ACF counts as 0. */
#define SEASON_REL_FLOOR 1e-6

/* Autocorrelation of y (NaN = missing, pairs with a NaN skipped) at lag, after removing a linear
 * trend; 0 when fewer than lag / 2 usable pairs exist. O(n). */
double season_acf(const double *y, size_t n, size_t lag);

/* Returns the period (one of candidates, in steps) with the strongest autocorrelation of at least
 * min_acf, needing two full periods of history; 0 when none qualifies. */
uint32_t season_detect(const double *y, size_t n, const uint32_t *candidates, size_t ncand,
                       double min_acf);

#endif
