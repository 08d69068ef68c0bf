/* SPDX-License-Identifier: Apache-2.0
 * models/ensemble.h -- the self-weighting ensemble over forecaster members, one per series.
 * Every few steps it records each member's forecast at each tracked horizon; when the target
 * arrives it scores them, so per-horizon weights come from each member's own recent error, with
 * no separate backtest pass. Prediction intervals come from the empirical distribution of the
 * ensemble's own errors per horizon (80% and 95%), falling back to the members' model intervals
 * until enough errors are seen. State and work memory are caller memory; nothing is allocated.
 * Threads: none of its own; one state is used by one thread at a time. */
#ifndef MAI_MODELS_ENSEMBLE_H
#define MAI_MODELS_ENSEMBLE_H

#include <stddef.h>
#include <stdint.h>

#include "forecaster.h"

#define ENS_MAX_MEMBERS 6
#define ENS_MAX_HORIZONS 4
#define ENS_PENDING 16      /* forecasts awaiting their target, per horizon */
#define ENS_ERRORS 96       /* recent ensemble errors kept per horizon, for intervals */

typedef struct ens_config {
    fc_params p;
    uint32_t horizons[ENS_MAX_HORIZONS];    /* in steps, ascending, each >= 1 */
    uint32_t nh;
    const forecaster_ops *members[ENS_MAX_MEMBERS];
    uint32_t nm;
    /* Points at the end of a fit() window that are streamed through update() after the
     * members are fitted on the rest, to score them before the first forecast (0 = half the
     * window, at most the longest horizon plus two seasons). */
    uint32_t warm_points;
    uint32_t lstm_seq_len, lstm_epochs;     /* options of an LSTM member (LSTM_SEQ_LEN/_EPOCHS) */
} ens_config;

/* What the ensemble currently believes, for exports and tests. */
typedef struct ens_info {
    uint64_t points;                                /* points fed (gaps included) */
    uint64_t observed;                              /* finite points fed */
    double weight[ENS_MAX_HORIZONS][ENS_MAX_MEMBERS];
    double mae[ENS_MAX_HORIZONS][ENS_MAX_MEMBERS];  /* recent mean absolute error per member */
    double mae_naive[ENS_MAX_HORIZONS];             /* the same for the naive forecast */
    double mae_ens[ENS_MAX_HORIZONS];               /* and for the ensemble itself */
    uint32_t scored[ENS_MAX_HORIZONS];              /* forecasts scored so far */
    uint32_t errors[ENS_MAX_HORIZONS];              /* ensemble errors held for intervals */
    double scale;                                   /* mean |y[t] - y[t-1]|: the MASE scale */
} ens_info;

/* Fills a config with the default members (naive, seasonal naive, Holt-Winters, ARIMA,
 * Prophet-style) and the given horizons. */
void ens_config_default(ens_config *c, const fc_params *p, const uint32_t *horizons, uint32_t nh);

/* Bytes of state; the state must be 64-byte aligned (ENS_ALIGN) for reproducible numerics. */
#define ENS_ALIGN 64
size_t ens_state_size(const ens_config *c);

/* The shape for a fit on y[0..n): the daily season kept only when the data show it
 * (season_detect at SEASON_MIN_ACF), the weekly season 7 times it. */
ens_config ens_config_for_data(const ens_config *c, const double *y, size_t n);

/* Adds the LSTM member (for the host and pod layer signals, not every series) with the seed's
 * LSTM_SEQ_LEN and LSTM_EPOCHS. Returns 0, or -MAI_EINVAL when the config is full. */
int ens_config_add_lstm(ens_config *c, uint32_t seq_len, uint32_t epochs);
/* Work memory for ens_update() and ens_forecast(h <= max_h): doubles. */
size_t ens_work_size(const ens_config *c, size_t max_h);
/* Scratch memory for ens_fit() on n points. */
size_t ens_fit_scratch_size(const ens_config *c, size_t n);

/* Returns 0, or -MAI_EINVAL for a config it cannot hold (no members, horizons not ascending). */
int ens_init(void *state, const ens_config *c);

/* One new point (NaN = missing). Scores forecasts that were due now, feeds every member, and
 * records new forecasts every few steps. work: ens_work_size(c, longest horizon) bytes. */
void ens_update(void *state, double y, void *work);

/* Fits every member on y[0..n - w) and streams the last w points through ens_update so the
 * weights and error distributions are warm; keeps error history when refit is set and the
 * members support a minimal refit (ARIMA order, Prophet hyperparameters are kept). Returns 0,
 * or -MAI_EINVAL when no member could fit (the state still forecasts, as naive). */
int ens_fit(void *state, const double *y, size_t n, int refit, void *scratch, void *work);

/* Forecasts h points ahead with 80% and 95% intervals. Never writes NaN. work:
 * ens_work_size(c, h) bytes. */
int ens_forecast(const void *state, size_t h, fc_output *out, void *work);

void ens_get_info(const void *state, ens_info *out);

/* Serialises the whole state (config with member names, counters, every horizon's error
 * trackers, pending forecasts and conformal residuals, then each member's own save) into buf,
 * little-endian, version-tagged, with a CRC-32 at the end. Returns the bytes needed; when that
 * exceeds cap, buf holds nothing useful. */
#define ENS_SAVE_VERSION 1
size_t ens_save(const void *state, uint8_t *buf, size_t cap);

/* Restores a state saved by ens_save into memory sized for cfg (ens_state_size(cfg) bytes,
 * ENS_ALIGN aligned). The saved config must match cfg (members by name, horizons, step, history,
 * LSTM options) apart from the seasons a fit chose, which must fit in cfg's. Returns 0,
 * -MAI_EPROTO for a malformed or corrupt buffer (bad magic, newer version, CRC, a member that
 * refuses its part), -MAI_EINVAL for a state of another shape; on error the state is left
 * initialised empty for cfg. */
int ens_load(void *state, const ens_config *cfg, const uint8_t *buf, size_t n);

/* Member m's own forecast (backtests compare members with the ensemble). Returns 0, or
 * -MAI_EINVAL for a member index out of range or h == 0. */
int ens_member_forecast(const void *state, uint32_t m, size_t h, fc_output *out);

#endif
