/* SPDX-License-Identifier: Apache-2.0
 * models/hw.h -- the Holt-Winters / ETS(A,Ad,A) forecaster (hw_ops, name "hw"): additive level,
 * damped additive trend, additive daily season (period fc_params.season_day once the history
 * holds two full days, otherwise none) and, with Taylor's (2003) double-seasonal Holt-Winters, an
 * additive weekly season on top (period fc_params.season_week, a multiple of season_day, once the
 * fitted history holds two full weeks; otherwise exactly the model without it). Parameters are
 * fitted by Nelder-Mead on the one-step SSE; intervals use the analytic ETS variance.
 * Per-series state: HW_STATE_BASE + 8 * (season_day + season_week) bytes (season_week = 0: no
 * weekly array, HW_STATE_BASE + 8 * season_day). */
#ifndef MAI_MODELS_HW_H
#define MAI_MODELS_HW_H

#include <stddef.h>
#include <stdint.h>

#include "forecaster.h"

extern const forecaster_ops hw_ops;

/* Fixed part of the state; the season array (season_day doubles, then season_week doubles for
 * the weekly season) follows it. */
#define HW_STATE_BASE 144u

/* Fewer valid points than this and fit() returns -MAI_EINVAL: the state forecasts the last value
 * with a wide random-walk interval. */
#define HW_MIN_POINTS 10u

/* Serialised layout, version 2, all fields little-endian, doubles as IEEE-754 bit patterns:
 *   off  0  u8   'H'            off  1  u8  'W'
 *   off  2  u8   version (2)    off  3  u8  mode (0 = last-value fallback, 1 = fitted model,
 *                                            2 = fitted model with the weekly season)
 *   off  4  u32  season_day the state was sized for (must equal the params given to load)
 *   off  8  u32  period in use (0, or equal to season_day; >= 2; mode 2: equal to season_day)
 *   off 12  u32  season index of the next point (< period, 0 without season; mode 2: the index
 *                in the week, < season_week)
 *   off 16  u32  missing points since the last observed one
 *   off 20  u32  season_week the state was sized for (must equal the params given to load;
 *                mode 2: a multiple of season_day, > season_day)
 *   off 24  u64  observed points counted by the fallback statistics
 *   off 32  14 x f64: alpha, beta, gamma, phi, level, trend, sigma2, gap_phisum, gap_phipow,
 *                    gap_sumc2, last, fb_mean, fb_m2, fb_d2 (fb_*: 0 in modes 1 and 2)
 *   off 144 period x f64: season[0 .. period)
 *   mode 2 only, from off 144 + 8 * period: f64 delta (the weekly gain), then season_week x f64:
 *           the weekly season[0 .. season_week)
 * Total HW_SAVE_FIXED + 8 * period bytes (mode 2: + 8 + 8 * season_week); load() wants exactly
 * that many. Version 1 is the same without mode 2, with offset 20 reserved (0); load() still
 * takes version 1 images, whatever the season_week of the params (the image has no week). */
#define HW_SAVE_VERSION 2u
#define HW_SAVE_FIXED 144u

/* A read-only view of a state, for diagnostics and tests. beta is the innovations-form trend
 * gain (beta = alpha * beta* of the component form). */
typedef struct hw_info {
    int fitted;                 /* 1 = fitted ETS model, 0 = last-value fallback */
    uint32_t period;            /* season length in use, 0 = non-seasonal */
    uint32_t gap;               /* missing points since the last observed one */
    double alpha, beta, gamma, phi;
    double level, trend, sigma2;
    uint32_t wperiod;           /* weekly season length in use, 0 = none */
    double delta;               /* weekly gain (innovations form, like gamma), 0 without a week */
} hw_info;

void hw_get_info(const void *state, hw_info *out);

#endif
