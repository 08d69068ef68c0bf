/* SPDX-License-Identifier: Apache-2.0
 * models/prophet.h -- Prophet-style member ("prophet"): piecewise-linear trend with up to 25
 * changepoints + Fourier daily (order <= 10) and weekly (order <= 3) terms, fit by ridge least
 * squares (LAPACKE_dposv), hyperparameters picked on a holdout at fit() and kept for the cheap
 * refits of forecast mode (prophet_fit_keep_hyper). Design note and deviations: prophet.c. */
#ifndef MAI_MODELS_PROPHET_H
#define MAI_MODELS_PROPHET_H

#include <stddef.h>
#include <stdint.h>

#include "forecaster.h"

#define PROPHET_MAX_CP 25           /* changepoints, uniform over the first 80% of the rows */
#define PROPHET_MAX_ORDER_DAY 10
#define PROPHET_MAX_ORDER_WEEK 3
#define PROPHET_MIN_POINTS 8        /* fewer valid points: fit() returns -MAI_EINVAL */

/* Bytes of a save() image (fixed layout, little-endian; see prophet.c "save layout"). */
#define PROPHET_SAVE_BYTES 792u
#define PROPHET_SAVE_VERSION 1u

/* The hyperparameters fit() selects and prophet_fit_keep_hyper() reuses. */
typedef struct prophet_hyper {
    double cps;                 /* changepoint prior scale (Laplace scale, data-scaled units) */
    uint32_t order_day;         /* daily Fourier order, 0 = none */
    uint32_t order_week;        /* weekly Fourier order, 0 = none */
    double alpha;               /* residual level correction gain, 0 = off */
    double phi;                 /* its per-step decay in [0, 1] */
} prophet_hyper;

extern const forecaster_ops prophet_ops;

/* Refits the coefficients on y[0..n) (the newest max_history points) with the hyperparameters
 * saved by the last full fit(); no selection. Without saved hyperparameters it runs a full fit().
 * Same contract and scratch as fit(). */
int prophet_fit_keep_hyper(void *state, const double *y, size_t n, void *scratch);

/* Fits with the given hyperparameters (orders are clamped to what the window allows) and saves
 * them in the state. Returns 0, or -MAI_EINVAL (bad hyperparameters or too little data). */
int prophet_fit_with_hyper(void *state, const double *y, size_t n, void *scratch,
                           const prophet_hyper *hp);

/* The saved hyperparameters; -MAI_EINVAL when none were selected yet. */
int prophet_get_hyper(const void *state, prophet_hyper *out);

#endif
