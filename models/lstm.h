/* SPDX-License-Identifier: Apache-2.0
 * models/lstm.h -- the LSTM forecaster (lstm_ops, name "lstm"): one stateful LSTM layer of
 * LSTM_HIDDEN cells over the normalised series, linear heads predicting the change to a few
 * horizons (interpolated between them), trained by truncated BPTT over seq_len steps with Adam
 * on mini-batches (gate products by cblas_dgemm). refit = the seed's fine-tune: 2 epochs on the
 * last 2 days from the current weights. Design note and deviations: lstm.c. */
#ifndef MAI_MODELS_LSTM_H
#define MAI_MODELS_LSTM_H

#include <stddef.h>
#include <stdint.h>

#include "forecaster.h"

extern const forecaster_ops lstm_ops;

#define LSTM_HIDDEN 16u             /* cells of the one layer */
#define LSTM_DEFAULT_SEQ_LEN 60u    /* the seed's LSTM_SEQ_LEN */
#define LSTM_DEFAULT_EPOCHS 10u     /* the seed's LSTM_EPOCHS */
#define LSTM_DEFAULT_SEED 1u
#define LSTM_MIN_SEQ_LEN 2u
#define LSTM_MAX_SEQ_LEN 256u       /* the state's ring holds this many inputs */
#define LSTM_MAX_EPOCHS 1000u
#define LSTM_MAX_HEADS 20u          /* output heads (forecast horizons) */
#define LSTM_FINETUNE_EPOCHS 2u     /* refit: epochs on the last 2 days */
#define LSTM_FINETUNE_POINTS 576u   /* refit window when season_day is 0 (2 days at 300 s) */
/* fit() needs seq_len + LSTM_MIN_EXTRA observed points (after leading gaps); with fewer it
 * returns -MAI_EINVAL and the state forecasts the last value with a wide interval. */
#define LSTM_MIN_EXTRA 20u

/* Per-series state (bytes, exact; the same for every fc_params): the weights live here, the
 * Adam moments in fit()'s scratch. */
#define LSTM_STATE_BYTES 14456u

/* Sets the options of a state (after init(), before fit()): seq_len is clamped to
 * [LSTM_MIN_SEQ_LEN, LSTM_MAX_SEQ_LEN], epochs to [0, LSTM_MAX_EPOCHS] (0 = no training: the
 * initial weights, for tests), seed 0 is taken as 1. init() sets the defaults. A fitted model
 * keeps its weights; its running median then uses the new seq_len, and the next fit() or
 * refit() all new values. */
void lstm_set_options(void *state, uint32_t seq_len, uint32_t epochs, uint64_t seed);

/* The head horizons (steps, ascending, out[0] = 1) for a season_day: 1, 2, 3, 4, 6, 8, 12, 16,
 * 24, ... below D, then D, where D = season_day (>= 4) or 256; at most LSTM_MAX_HEADS (17 heads
 * at D = 288). Returns how many. */
uint32_t lstm_head_horizons(uint32_t season_day, uint32_t *out);

/* Serialised layout, version 1, all fields little-endian, doubles as IEEE-754 bit patterns:
 *   off  0  4 x u8 'L' 'S' 'T' 'M'
 *   off  4  u8   version (1)      off 5  u8  mode (0 = last-value fallback, 1 = fitted model)
 *   off  6  u8   inputs per step (1)
 *   off  7  u8   heads (must equal lstm_head_horizons(season_day))
 *   off  8  u32  hidden (LSTM_HIDDEN)    off 12  u32 seq_len       off 16  u32 epochs
 *   off 20  u32  season_day the state was made for (must equal the params given to load)
 *   off 24  u32  reserved, 0
 *   off 28  u32  missing points since the last observed one
 *   off 32  u32  inputs in the ring (<= seq_len)               off 36  u32  reserved, 0
 *   off 40  u64  seed               off 48  u64  observed points counted by the fallback stats
 *   off 56  10 x f64: loc, scale, sd_res, pred, xlast, last, fb_mean, fb_m2, fb_d2, last_loss
 *   off 136 f64 h[hidden], c[hidden], then ring[seq_len] (oldest first; the first
 *           seq_len - count are 0), then the weights (lstm_param_count() f64)
 *   then    u32  CRC-32 (IEEE) of every byte before it
 * load() wants exactly that many bytes and returns -MAI_EPROTO otherwise. */
#define LSTM_SAVE_VERSION 1u
#define LSTM_SAVE_FIXED 136u

/* A read-only view of a state, for diagnostics and tests. */
typedef struct lstm_info {
    int fitted;                 /* 1 = trained network, 0 = last-value fallback */
    uint32_t seq_len, epochs, gap;
    uint32_t nheads, horizons[LSTM_MAX_HEADS];
    uint64_t seed;
    double loc, scale;          /* normalisation: x = (y - loc) / scale */
    double sd_res;              /* training one-step residual sd (original units) */
    double last_loss;           /* mean squared normalised error of the last training epoch */
    uint32_t nparams;
    const double *weights;      /* nparams doubles inside the state */
} lstm_info;

void lstm_get_info(const void *state, lstm_info *out);

/* ---- for tests: the training core on a network of any size ------------------------------ */

/* Parameters of a network with the given hidden size, inputs per step and heads:
 * 4 hidden (inputs + hidden + 1) gate weights + heads (hidden + 1) head weights. */
size_t lstm_param_count(uint32_t hidden, uint32_t d_in, uint32_t nheads);
/* Scratch (bytes) for lstm_loss_grad() with these sizes. */
size_t lstm_loss_grad_scratch(uint32_t hidden, uint32_t d_in, uint32_t nheads, uint32_t seq_len,
                              uint32_t batch);
/* Loss 0.5 * mean over the finite targets of (head output - target)^2 over `batch` windows of
 * seq_len steps, from states h0, c0 (batch x hidden, row-major), inputs x (seq_len x batch x
 * d_in) and targets (seq_len x batch x nheads, NaN = none); writes dLoss/dw into grad
 * (lstm_param_count doubles) when grad is not NULL. Exactly the code fit() trains with.
 * hidden <= LSTM_HIDDEN; NaN for bad arguments. */
double lstm_loss_grad(uint32_t hidden, uint32_t d_in, uint32_t nheads, uint32_t seq_len,
                      uint32_t batch, const double *w, const double *h0, const double *c0,
                      const double *x, const double *target, double *grad, void *scratch);

#endif
