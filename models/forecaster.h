/* SPDX-License-Identifier: Apache-2.0
 * models/forecaster.h -- the one interface every forecasting member implements (Holt-Winters/ETS,
 * ARIMA, Prophet-style regression, LSTM, naive baselines). State and scratch are caller memory:
 * models allocate nothing. update() runs on the ingest path (O(1) or O(p), no allocation);
 * fit() and forecast() run in the background cycle. A point is one ring slot (step_s seconds);
 * NaN is a gap and never reaches a forecast as NaN. State and scratch are 8-byte aligned; the
 * interval pointers of fc_output may be NULL when only the mean is wanted. */
#ifndef MAI_MODELS_FORECASTER_H
#define MAI_MODELS_FORECASTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct fc_params {
    double step_s;              /* seconds between points (> 0) */
    uint32_t season_day;        /* points per day, 0 = no daily season (e.g. 288 at 300 s) */
    uint32_t season_week;       /* points per week, 0 = none */
    uint32_t max_history;       /* most points fit() will look at (the newest ones) */
} fc_params;

/* One forecast path: h points ahead, k = 0 .. h-1 is the point k+1 steps after the last one. */
typedef struct fc_output {
    double *mean;
    double *lo80, *hi80;        /* central 80% interval */
    double *lo95, *hi95;        /* central 95% interval */
} fc_output;

/* Standard normal quantiles of the central 80% and 95% intervals. */
#define FC_Z80 1.2815515655446004
#define FC_Z95 1.9599639845400540

/* Writes point k of a normal forecast: the mean and, where out asks for them, mean -/+ z * sd. */
static inline void fc_output_put(const fc_output *out, size_t k, double mean, double sd)
{
    out->mean[k] = mean;
    if (out->lo80)
        out->lo80[k] = mean - FC_Z80 * sd;
    if (out->hi80)
        out->hi80[k] = mean + FC_Z80 * sd;
    if (out->lo95)
        out->lo95[k] = mean - FC_Z95 * sd;
    if (out->hi95)
        out->hi95[k] = mean + FC_Z95 * sd;
}

typedef struct forecaster_ops {
    const char *name;           /* "hw", "arima", "prophet", "lstm", "naive", "snaive" */

    /* Bytes of per-series state for these parameters. */
    size_t (*state_size)(const fc_params *p);
    /* Bytes of scratch fit() needs for n points. */
    size_t (*fit_scratch_size)(const fc_params *p, size_t n);

    /* Sets an empty state (a forecaster that has seen nothing yet). */
    void (*init)(void *state, const fc_params *p);

    /* Feeds one new point (NaN = missing); advances the state with the current parameters.
     * O(1) or O(p), no allocation. */
    void (*update)(void *state, double y);

    /* Fits parameters on y[0..n) (oldest first, NaN = missing) and leaves the state positioned
     * after y[n-1], so update() continues from there. Returns 0, or -MAI_EINVAL when n is too
     * short for this member (the state then falls back to a simple method, still usable). */
    int (*fit)(void *state, const double *y, size_t n, void *scratch);

    /* Forecasts h points from the current state. Never writes NaN: with too little data it
     * returns the last value with a wide interval. Returns 0 or -MAI_EINVAL (h == 0). */
    int (*forecast)(const void *state, size_t h, fc_output *out);

    /* The seed's "minimal update": refits on y[0..n) keeping the order or hyperparameters an
     * earlier fit() chose (ARIMA order, Prophet hyperparameters). NULL: the member has none to
     * keep, and callers use fit(). Same returns and scratch as fit(). */
    int (*refit)(void *state, const double *y, size_t n, void *scratch);

    /* Serialises the state (parameters and position) into buf; returns the bytes needed, which
     * may exceed cap (then nothing useful was written). load() returns 0 or -MAI_EPROTO. */
    size_t (*save)(const void *state, uint8_t *buf, size_t cap);
    int (*load)(void *state, const fc_params *p, const uint8_t *buf, size_t n);
} forecaster_ops;

#endif
