/* SPDX-License-Identifier: Apache-2.0
 * models/backtest.h -- rolling-origin backtest of an ensemble and each of its members on one
 * series: fit on the first TRAIN_FRACTION of the points, then at evenly spaced origins over the
 * rest forecast every tracked horizon with only the data up to the origin (points are streamed
 * through the online update between origins). Scores: MAE, RMSE, MASE (scale: mean absolute
 * one-step change over the training part), sMAPE and the share of outcomes inside the 80%
 * interval. Pure computation over arrays; memory comes from the caller. */
#ifndef MAI_MODELS_BACKTEST_H
#define MAI_MODELS_BACKTEST_H

#include <stddef.h>
#include <stdint.h>

#include "ensemble.h"

typedef struct bt_metrics {
    double mae, rmse, mase, smape, coverage80;
    uint32_t n;                 /* forecasts scored */
} bt_metrics;

typedef struct bt_result {
    uint32_t nh, nm;            /* horizons; members (row nm is the ensemble) */
    uint32_t horizons[ENS_MAX_HORIZONS];
    const char *names[ENS_MAX_MEMBERS + 1];
    bt_metrics m[ENS_MAX_HORIZONS][ENS_MAX_MEMBERS + 1];
    size_t ntrain;
    double scale;
} bt_result;

/* Memory backtest_run needs besides the ensemble state: bytes. */
size_t backtest_work_size(const ens_config *c);

/* Runs the backtest. state: ens_state_size(c) bytes (ENS_ALIGN-aligned); scratch:
 * ens_fit_scratch_size(c, c->p.max_history); work: backtest_work_size(c) bytes. Returns 0, or
 * -MAI_EINVAL when the series is too short for a training part and one forecast. */
int backtest_run(const ens_config *c, const double *y, size_t n, double train_fraction,
                 uint32_t origins, void *state, void *scratch, void *work, bt_result *out);

#endif
