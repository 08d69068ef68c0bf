/* SPDX-License-Identifier: Apache-2.0
 * models/arima.h -- the ARIMA forecaster (arima_ops, name "arima"): ARIMA(p,d,q), p,q in 0..3,
 * d in 0..2 chosen by KPSS tests, optional seasonal difference at lag season_day, mean or drift
 * when d + D <= 1. Order by AICc over a bounded stepwise search, coefficients by conditional sum
 * of squares (Nelder-Mead), intervals from psi-weights. Per-series state: at most
 * ARIMA_STATE_BASE + 8 * season_day bytes (208 + 8 * season_day on LP64: the ring holds the last
 * season_day values, needed once a seasonal difference is used). Fit scratch: 24 bytes a point. */
#ifndef MAI_MODELS_ARIMA_H
#define MAI_MODELS_ARIMA_H

#include <stddef.h>
#include <stdint.h>

#include "forecaster.h"

extern const forecaster_ops arima_ops;

/* Fixed part of the state (bytes, an upper bound checked at compile time); the ring of the last
 * season_day values (doubles) follows it. */
#define ARIMA_STATE_BASE 256u

#define ARIMA_MAX_P 3
#define ARIMA_MAX_Q 3
#define ARIMA_MAX_D 2

/* Fewer usable points than this (after dropping leading/trailing gaps) and fit() returns
 * -MAI_EINVAL: the state then forecasts the last value with a wide random-walk interval. */
#define ARIMA_MIN_POINTS 12u

/* At most this many (p, q, constant) candidates are estimated by one order search. */
#define ARIMA_MAX_CANDIDATES 24

/* Serialised layout, version 1, all fields little-endian, doubles as IEEE-754 bit patterns:
 *   off  0  4 x u8  'A' 'R' 'I' 'M'
 *   off  4  u8   version (1)
 *   off  5  u8   p        off 6  u8  d       off 7  u8  q       off 8  u8  D (0/1)
 *   off  9  u8   constant (0/1)
 *   off 10  u8   flags: bit 0 fitted, bit 1 order chosen (kept for refits), bit 2 keep order
 *   off 11  u8   reserved, 0
 *   off 12  u32  season_day the state was sized for (must equal the params given to load)
 *   off 16  u64  points seen        off 24  u64  seasonally differenced values seen
 *   off 32  u64  fully differenced values seen       off 40  u64  one-step changes counted
 *   off 48  19 x f64: phi[3], theta[3], c, sigma2, aicc, w1, w2, z[3], e[3], last, abs_change_sum
 *   off 200 season_day x f64: ring of the last values
 *   then    u32  CRC-32 (IEEE) of every byte before it
 * Total ARIMA_SAVE_FIXED + 8 * season_day bytes; load() wants exactly that many. */
#define ARIMA_SAVE_VERSION 1u
#define ARIMA_SAVE_FIXED 204u

/* A read-only view of a state (diagnostics, tests), also the order given to arima_fit_order(). */
typedef struct arima_info {
    int p, d, q;                /* non-seasonal order */
    int D;                      /* 1 = seasonal difference at lag season */
    uint32_t season;            /* season_day of the params */
    int constant;               /* mean (d + D == 0) or drift (d + D == 1) */
    int fitted;                 /* 1 = fitted model, 0 = last-value fallback */
    int order_kept;             /* an order is remembered for arima_fit_keep_order() */
    /* z (the differenced series): z_t - c = sum phi_i (z_{t-i} - c) + e_t + sum theta_j e_{t-j} */
    double phi[ARIMA_MAX_P];
    double theta[ARIMA_MAX_Q];
    double c;                   /* mean of the differenced series */
    double sigma2;              /* CSS residual variance */
    double aicc;                /* AICc of the fitted model (CSS likelihood), HUGE_VAL if none */
    int candidates;             /* models estimated by the last fit() */
} arima_info;

void arima_get_info(const void *state, arima_info *out);

/* The seed's "minimal update": refits coefficients on y[0..n) keeping the order (p, d, q, D,
 * constant) chosen by an earlier fit when the state holds one and it is usable on these data;
 * otherwise selects an order as fit() does. Same returns and scratch as fit(). */
int arima_fit_keep_order(void *state, const double *y, size_t n, void *scratch);

/* When on, arima_ops.fit() behaves as arima_fit_keep_order() (off after init()). */
void arima_set_keep_order(void *state, int on);

/* Fits the given order (p, d, q, D, constant of *order; other fields ignored) by CSS without a
 * search. Returns 0, -MAI_EINVAL for an invalid order (p or q > 3, d > 2, D without a season of
 * at least 2, a constant with d + D > 1) or too few points (then as fit()'s fallback). */
int arima_fit_order(void *state, const double *y, size_t n, void *scratch,
                    const arima_info *order);

#endif
