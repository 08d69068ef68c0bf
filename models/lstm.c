/* SPDX-License-Identifier: Apache-2.0
 * models/lstm.c -- LSTM forecaster (see lstm.h): one layer of LSTM_HIDDEN cells run as a
 * stateful recurrence over the normalised series, linear heads giving the change from the last
 * value to a few horizons, truncated BPTT with Adam, gate products as cblas_dgemm over
 * mini-batches. update() is one cell step; forecast() reads the heads and interpolates. */

/* Design note
 * -----------
 * Cell (Hochreiter & Schmidhuber, "Long short-term memory", Neural Computation 9(8), 1997, with
 * the forget gate of Gers, Schmidhuber & Cummins 2000 -- the form every library ships):
 *     [i f g o] = [sigm sigm tanh sigm](W^T [u_t; h_{t-1}; 1])
 *     c_t = f * c_{t-1} + i * g,      h_t = o * tanh(c_t)
 * Input u_t: x_t less the median of the last seq_len x (the running location), clipped to
 * +-LSTM_CLIP_IN. x = (y - loc) / scale, loc = median and scale = 1.4826 MAD of the fit window
 * (then mean |y - median| x 1.2533, then 1e-3 |median|, then 1 when those are 0), fixed between
 * fits. Median/MAD, not mean/sd: spikes move neither. The location is the window's running median
 * because a fixed one pinned level-shifted series at the clip and pulled their forecasts back to
 * the old level; the scale is the fit window's (a 60-point MAD is 0 on flat stretches).
 * Heads: direct multi-horizon. For each head horizon H_j (1, 2, 3, 4, 6, 8, 12, ... below D, then
 * D = season_day, or 256 without a season; 17 heads at D = 288):
 *     xhat_{t+H_j} = x_t + sqrt(H_j) (v_j . h_t + b_j)
 * forecast() interpolates linearly in k between heads; beyond D a daily season repeats the first
 * day's path, otherwise the last head holds. Why direct and not the
 * one-step output fed back: that was the first version, and fed its own smooth mean path for 288
 * steps the net drifted (24 h median MASE 1.2-2.2 on the development traces, 0.75 for the last
 * value), the known weakness of the recursive strategy (Taieb, Bontempi, Atiya & Sorjamaa, Expert
 * Syst. Appl. 39, 2012); heads on the recurrent state are the MQ-RNN design (Wen et al. 2017).
 * The one-step head bridges gaps in update(). The skip from x_t makes an untrained or unsure net
 * the last-value forecast, hard to beat on these traces; sqrt(H_j) keeps all heads' targets on
 * one scale so that no head dominates the loss.
 *
 * Training (truncated BPTT, Williams & Peng 1990; Adam, Kingma & Ba, "Adam: a method for
 * stochastic optimization", ICLR 2015, with their beta1 0.9, beta2 0.999, eps 1e-8): windows of
 * seq_len points start at every point of the history; the loss is the mean squared error of every
 * head at every step of the window whose target is observed (targets (x_{t+H} - x_t) / sqrt(H)
 * clipped to +-LSTM_CLIP_TGT, so spikes cannot dominate: a Huber-like loss in effect),
 * backpropagated through the window's seq_len steps only. Windows are shuffled every epoch (own
 * xorshift64*, seeded by splitmix64 of the seed) and cut into mini-batches of LSTM_BATCH (fewer
 * for long seq_len: at most LSTM_BATCH_STEPS window-steps); the global gradient norm is clipped
 * to LSTM_CLIP_NORM (Pascanu, Mikolov & Bengio 2013). The batched products are cblas_dgemm calls:
 * gates U_t W and heads H_t V^T (forward), dOUT_t V and dZ_t W_h^T (backward through time),
 * sum_t U_t^T dZ_t and sum_t dOUT_t^T H_t (weight gradients, one GEMM each over all steps). In
 * double, so the gradient check of test_lstm holds to ~1e-7; tanh is computed through one exp
 * (glibc's tanh took 45 % of fit()). About 0.9 s of CPU for 2016 points, seq_len 60, 10 epochs,
 * one thread. Initial weights uniform(+-1/sqrt(hidden)) (PyTorch's default), forget-gate bias 1
 * (Jozefowicz, Zaremba & Sutskever 2015), head weights a tenth of that, head biases 0.
 *
 * Deviations from the seed's Keras model (stateless windows, many-to-one, one output, lr 1e-3):
 *  - Stateful: update() advances (h, c) by ONE cell step per point, O(hidden^2) plus O(seq_len)
 *    for the running median, instead of re-running a window from a zero state. So that training
 *    matches what update() runs, a window does not start from zero but from the state the
 *    whole-history forward pass reached there (recomputed with the current weights at the start
 *    of every epoch, constant within it; no gradient flows into it). The pass after the last
 *    epoch positions the state.
 *  - Loss at every step of a window and on every head (above); learning rate LSTM_LR = 3e-3:
 *    ten epochs on 2016 points are only ~600 Adam steps.
 *  - Gaps: the missing point's input is the model's one-step prediction ("bridged"), with no
 *    loss term; in training the bridged values come from the epoch's forward pass. Leading gaps
 *    are skipped.
 *  - Intervals: yhat_k -+ z sd_res sqrt(g + k), where sd_res is the root mean square of the
 *    one-step errors of the final forward pass over the training window (after a burn-in of
 *    seq_len points; original units), g the points missed since the last observation, z normal
 *    (1.2816, 1.9600). A random-walk growth: too wide at long horizons for series that revert to
 *    a daily pattern (README-lstm.md); the ensemble uses its own empirical intervals once it has
 *    scored enough forecasts.
 *  - refit (the seed's "minimal update"): 2 epochs on the last 2 days (2 season_day points, or
 *    LSTM_FINETUNE_POINTS; at least seq_len + LSTM_MIN_EXTRA, which one training window needs)
 *    from the current weights and normalisation, fresh Adam moments; then the state is re-run
 *    over those points from a zero state. Without trained weights it is fit(). With fewer than
 *    seq_len + LSTM_MIN_EXTRA observed points it returns -MAI_EINVAL, the state left as it was.
 *  - No daily-phase inputs: sin/cos of the time of day as two more inputs were tried; over three
 *    seeds on the development traces they moved the medians both ways (1 h better, 15 min and
 *    the 24 h mean worse; README-lstm.md), not worth the refit phase bookkeeping they need.
 * Memory: the weights (lstm_param_count() doubles, 1,441 at D = 288) live in the state
 * (LSTM_STATE_BYTES = 14,456 B); the Adam moments, gradient, per-point inputs, targets and states
 * of the history and the batch buffers are fit()'s scratch (3.5 MB at 2016 points). The state
 * keeps the last LSTM_MAX_SEQ_LEN inputs in a ring (the running median reads the last seq_len);
 * should (h, c) stop being finite, the cell is re-run over the ring from a zero state, and if
 * that fails too the state drops to the last-value fallback. Outputs are never NaN; models/
 * allocates nothing. */
#include "lstm.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "codec.h"

#define LSTM_D_IN 1u                                    /* inputs per step */
#define LSTM_K (LSTM_D_IN + LSTM_HIDDEN + 1u)           /* rows of W: input, h, bias */
#define LSTM_G (4u * LSTM_HIDDEN)                       /* gate units */
#define LSTM_NPARAM_MAX (LSTM_K * LSTM_G + LSTM_MAX_HEADS * (LSTM_HIDDEN + 1u))

#define LSTM_NOSEASON_HMAX 256u     /* longest head without a daily season */
#define LSTM_BATCH 32u              /* windows per mini-batch */
#define LSTM_BATCH_STEPS 2048u      /* at most this many window-steps per mini-batch */
#define LSTM_LR 3e-3
#define LSTM_ADAM_B1 0.9
#define LSTM_ADAM_B2 0.999
#define LSTM_ADAM_EPS 1e-8
#define LSTM_CLIP_NORM 1.0
#define LSTM_CLIP_IN 6.0            /* cell input, in scales */
#define LSTM_CLIP_TGT 4.0           /* training target (change / sqrt(H)), in scales */
#define LSTM_X_MAX 1e12             /* |normalised value| bound: keeps y ~ 1e308 finite */
#define LSTM_W_MAX 1e6              /* load() rejects larger weights */
#define LSTM_MIN_RESID 10u          /* residuals needed for sd_res */

#define LSTM_MODE_FALLBACK 0u
#define LSTM_MODE_MODEL 1u


typedef struct lstm_state {
    uint32_t season_day;        /* from fc_params */
    uint32_t max_history;
    uint32_t seq_len, epochs;   /* options */
    uint64_t seed;
    uint64_t nobs;              /* observed points in the fallback statistics */
    uint32_t mode;              /* LSTM_MODE_* */
    uint32_t gap;               /* missing points since the last observed one (saturating) */
    uint32_t ring_head;         /* where the next input goes */
    uint32_t ring_count;        /* inputs held (<= LSTM_MAX_SEQ_LEN) */
    uint32_t nheads;
    uint32_t hz[LSTM_MAX_HEADS];    /* head horizons, ascending, hz[0] = 1 */
    uint32_t pad;
    double loc, scale;          /* x = (y - loc) / scale */
    double sd_res;              /* one-step residual sd of the training pass */
    double pred;                /* normalised one-step prediction of the next point */
    double xlast;               /* normalised last input fed (observed or bridged) */
    double last;                /* last observed value */
    double fb_mean, fb_m2, fb_d2;   /* fallback: Welford mean / M2, sum of squared steps */
    double last_loss;           /* mean training loss of the last epoch */
    double h[LSTM_HIDDEN], c[LSTM_HIDDEN];
    double ring[LSTM_MAX_SEQ_LEN];  /* normalised inputs as fed (unclipped, bridged) */
    double w[LSTM_NPARAM_MAX];  /* W (K x 4H, row-major, gate order i f g o), heads (J x H+1) */
} lstm_state;

_Static_assert(sizeof(lstm_state) == LSTM_STATE_BYTES, "LSTM_STATE_BYTES must match lstm_state");
_Static_assert(LSTM_BATCH_STEPS >= LSTM_MAX_SEQ_LEN, "a batch must hold one window");

/* ---------------------------------------------------------------------------------------------
 * PRNG: splitmix64 to seed, xorshift64* to draw */

static uint64_t lstm_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t lstm_rng_next(uint64_t *st)
{
    uint64_t x = *st;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *st = x;
    return x * 2685821657736338717ULL;
}

static double lstm_rng_u01(uint64_t *st)
{
    return (double)(lstm_rng_next(st) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---------------------------------------------------------------------------------------------
 * The cell and the heads */

size_t lstm_param_count(uint32_t hidden, uint32_t d_in, uint32_t nheads)
{
    return (size_t)(d_in + hidden + 1) * 4 * hidden + (size_t)nheads * (hidden + 1);
}

uint32_t lstm_head_horizons(uint32_t season_day, uint32_t *out)
{
    uint32_t hmax = season_day >= 4 ? season_day : LSTM_NOSEASON_HMAX, j = 0;
    out[j++] = 1;                                       /* 1, 2, 3, 4, 6, 8, 12, 16, 24, ... */
    for (uint32_t p2 = 2; p2 < hmax && j < LSTM_MAX_HEADS - 1; p2 *= 2) {
        out[j++] = p2;
        if (p2 + p2 / 2 < hmax && j < LSTM_MAX_HEADS - 1)
            out[j++] = p2 + p2 / 2;
    }
    out[j++] = hmax;
    return j;
}

static double lstm_sigm(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/* tanh through one exp: glibc's tanh (via expm1) took 45 % of fit(); this is exact up to
 * rounding (absolute error ~1e-16, +-1 at the ends, NaN stays NaN). */
static double lstm_tanh(double z)
{
    return 1.0 - 2.0 / (exp(2.0 * z) + 1.0);
}

static double lstm_clip(double x, double lim)
{
    return x > lim ? lim : (x < -lim ? -lim : x);
}

/* One step of one sequence: (h, c) <- cell(u, h, c). */
static void lstm_cell_step(const double *w, uint32_t nh, uint32_t d, const double *u, double *h,
                           double *c)
{
    const uint32_t k = d + nh + 1, g = 4 * nh;
    double z[LSTM_G];
    const double *row = w + (size_t)(k - 1) * g;        /* bias row */
    for (uint32_t j = 0; j < g; j++)
        z[j] = row[j];
    for (uint32_t i = 0; i < d; i++) {
        row = w + (size_t)i * g;
        for (uint32_t j = 0; j < g; j++)
            z[j] += u[i] * row[j];
    }
    for (uint32_t i = 0; i < nh; i++) {
        row = w + (size_t)(d + i) * g;
        for (uint32_t j = 0; j < g; j++)
            z[j] += h[i] * row[j];
    }
    for (uint32_t j = 0; j < nh; j++) {
        double ig = lstm_sigm(z[j]), fg = lstm_sigm(z[nh + j]);
        double gg = lstm_tanh(z[2 * nh + j]), og = lstm_sigm(z[3 * nh + j]);
        c[j] = fg * c[j] + ig * gg;
        h[j] = og * lstm_tanh(c[j]);
    }
}

/* Output of head j: v_j . h + b_j. */
static double lstm_head(const double *w, uint32_t nh, uint32_t d, uint32_t j, const double *h)
{
    const double *v = w + (size_t)(d + nh + 1) * 4 * nh + (size_t)j * (nh + 1);
    double out = v[nh];
    for (uint32_t i = 0; i < nh; i++)
        out += v[i] * h[i];
    return out;
}

/* ---------------------------------------------------------------------------------------------
 * Batched forward / backward (BPTT) over B windows of L steps and J heads, gate products by
 * dgemm. Buffers (row-major):
 *   U  (L+1) x B x K   step t's [u_t, h_{t-1}, 1]; U_L holds h_{L-1} only
 *   C  (L+1) x B x H   cell states, C_0 = initial
 *   TC  L    x B x H   tanh(c_t)
 *   A   L    x B x G   gate activations, overwritten by dLoss/dz in the backward pass
 *   OUT L    x B x J   head outputs
 *   DH, DC   B x H     gradients flowing to the previous step */

typedef struct lstm_core {
    uint32_t nh, d, k, g, nj, L, B;
    double *U, *C, *TC, *A, *OUT, *DH, *DC;
} lstm_core;

static size_t lstm_core_doubles(uint32_t nh, uint32_t d, uint32_t nj, size_t L, size_t B)
{
    size_t k = d + nh + 1, g = 4 * (size_t)nh;
    return (L + 1) * B * (k + nh) + L * B * (nh + g + nj) + 2 * B * nh;
}

static void lstm_core_bind(lstm_core *cr, uint32_t nh, uint32_t d, uint32_t nj, uint32_t L,
                           uint32_t B, double *mem)
{
    cr->nh = nh;
    cr->d = d;
    cr->k = d + nh + 1;
    cr->g = 4 * nh;
    cr->nj = nj;
    cr->L = L;
    cr->B = B;
    size_t lb = (size_t)L * B;
    cr->U = mem;
    mem += (lb + B) * cr->k;
    cr->C = mem;
    mem += (lb + B) * nh;
    cr->TC = mem;
    mem += lb * nh;
    cr->A = mem;
    mem += lb * cr->g;
    cr->OUT = mem;
    mem += lb * nj;
    cr->DH = mem;
    mem += (size_t)B * nh;
    cr->DC = mem;
}

/* Forward pass. The caller fills the input part of U_0..U_{L-1}, the h part of U_0 and C_0.
 * Returns 0.5 * sum of squared errors over the finite targets (tgt: L x B x J); *nvalid counts
 * them. */
static double lstm_core_forward(const lstm_core *cr, const double *w, const double *tgt,
                                size_t *nvalid)
{
    const uint32_t nh = cr->nh, d = cr->d, k = cr->k, g = cr->g, nj = cr->nj, L = cr->L;
    const uint32_t B = cr->B;
    const double *vw = w + (size_t)k * g;
    double sse = 0.0;
    size_t nv = 0;
    for (uint32_t t = 0; t < L; t++) {
        double *Ut = cr->U + (size_t)t * B * k, *Un = Ut + (size_t)B * k;
        double *At = cr->A + (size_t)t * B * g;
        for (uint32_t b = 0; b < B; b++)
            Ut[(size_t)b * k + k - 1] = 1.0;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)g, (int)k, 1.0, Ut,
                    (int)k, w, (int)g, 0.0, At, (int)g);
        for (uint32_t b = 0; b < B; b++) {
            double *a = At + (size_t)b * g;
            const double *cp = cr->C + ((size_t)t * B + b) * nh;
            double *cn = cr->C + ((size_t)(t + 1) * B + b) * nh;
            double *tc = cr->TC + ((size_t)t * B + b) * nh;
            double *hn = Un + (size_t)b * k + d;
            for (uint32_t j = 0; j < nh; j++) {
                double ig = lstm_sigm(a[j]), fg = lstm_sigm(a[nh + j]);
                double gg = lstm_tanh(a[2 * nh + j]), og = lstm_sigm(a[3 * nh + j]);
                a[j] = ig;
                a[nh + j] = fg;
                a[2 * nh + j] = gg;
                a[3 * nh + j] = og;
                cn[j] = fg * cp[j] + ig * gg;
                tc[j] = lstm_tanh(cn[j]);
                hn[j] = og * tc[j];
            }
        }
        /* heads: OUT_t = H_t V^T + b */
        double *out = cr->OUT + (size_t)t * B * nj;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)nj, (int)nh, 1.0,
                    Un + d, (int)k, vw, (int)(nh + 1), 0.0, out, (int)nj);
        const double *tg = tgt + (size_t)t * B * nj;
        for (uint32_t b = 0; b < B; b++, out += nj, tg += nj) {
            for (uint32_t q = 0; q < nj; q++) {
                out[q] += vw[(size_t)q * (nh + 1) + nh];
                if (isfinite(tg[q])) {
                    sse += 0.5 * (out[q] - tg[q]) * (out[q] - tg[q]);
                    nv++;
                }
            }
        }
    }
    *nvalid = nv;
    return sse;
}

/* Backward pass for loss = forward's sse / norm; grad gets dLoss/dw (overwritten). OUT is
 * overwritten by dLoss/dOUT. */
static void lstm_core_backward(const lstm_core *cr, const double *w, const double *tgt,
                               double norm, double *grad)
{
    const uint32_t nh = cr->nh, d = cr->d, k = cr->k, g = cr->g, nj = cr->nj, L = cr->L;
    const uint32_t B = cr->B;
    const double *vw = w + (size_t)k * g;
    double *dvw = grad + (size_t)k * g;
    const size_t lbj = (size_t)L * B * nj;
    for (uint32_t q = 0; q < nj; q++)
        dvw[(size_t)q * (nh + 1) + nh] = 0.0;
    for (size_t i = 0; i < lbj; i += nj) {          /* dLoss/dOUT and the head biases */
        for (uint32_t q = 0; q < nj; q++) {
            double dout = isfinite(tgt[i + q]) ? (cr->OUT[i + q] - tgt[i + q]) / norm : 0.0;
            cr->OUT[i + q] = dout;
            dvw[(size_t)q * (nh + 1) + nh] += dout;
        }
    }
    memset(cr->DH, 0, (size_t)B * nh * sizeof(double));
    memset(cr->DC, 0, (size_t)B * nh * sizeof(double));
    for (uint32_t t = L; t-- > 0;) {
        double *At = cr->A + (size_t)t * B * g;
        /* dh_t += dOUT_t V (V: J x H inside the J x (H + 1) head block) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)nh, (int)nj, 1.0,
                    cr->OUT + (size_t)t * B * nj, (int)nj, vw, (int)(nh + 1), 1.0, cr->DH,
                    (int)nh);
        for (uint32_t b = 0; b < B; b++) {
            const double *cp = cr->C + ((size_t)t * B + b) * nh;
            const double *tc = cr->TC + ((size_t)t * B + b) * nh;
            double *a = At + (size_t)b * g, *dh = cr->DH + (size_t)b * nh;
            double *dc = cr->DC + (size_t)b * nh;
            for (uint32_t j = 0; j < nh; j++) {
                double ig = a[j], fg = a[nh + j], gg = a[2 * nh + j], og = a[3 * nh + j];
                double dcj = dc[j] + dh[j] * og * (1.0 - tc[j] * tc[j]);
                double dog = dh[j] * tc[j];
                dc[j] = dcj * fg;
                a[j] = dcj * gg * ig * (1.0 - ig);
                a[nh + j] = dcj * cp[j] * fg * (1.0 - fg);
                a[2 * nh + j] = dcj * ig * (1.0 - gg * gg);
                a[3 * nh + j] = dog * og * (1.0 - og);
            }
        }
        /* dh_{t-1} = dZ_t W_h^T, W_h = rows d .. d + nh of W */
        if (t > 0)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)nh, (int)g, 1.0,
                        At, (int)g, w + (size_t)d * g, (int)g, 0.0, cr->DH, (int)nh);
    }
    /* dW = sum_t U_t^T dZ_t and dV = sum_t dOUT_t^T H_t: one GEMM each over the L x B rows */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)g, (int)(L * B), 1.0,
                cr->U, (int)k, cr->A, (int)g, 0.0, grad, (int)g);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nj, (int)nh, (int)(L * B), 1.0,
                cr->OUT, (int)nj, cr->U + (size_t)B * k + d, (int)k, 0.0, dvw, (int)(nh + 1));
}

size_t lstm_loss_grad_scratch(uint32_t hidden, uint32_t d_in, uint32_t nheads, uint32_t seq_len,
                              uint32_t batch)
{
    return sizeof(double) * lstm_core_doubles(hidden, d_in, nheads, seq_len, batch);
}

double lstm_loss_grad(uint32_t hidden, uint32_t d_in, uint32_t nheads, uint32_t seq_len,
                      uint32_t batch, const double *w, const double *h0, const double *c0,
                      const double *x, const double *target, double *grad, void *scratch)
{
    if (hidden == 0 || hidden > LSTM_HIDDEN || d_in == 0 || nheads == 0 || seq_len == 0 ||
        batch == 0 || !w || !h0 || !c0 || !x || !target || !scratch)
        return NAN;
    lstm_core cr;
    lstm_core_bind(&cr, hidden, d_in, nheads, seq_len, batch, scratch);
    for (uint32_t t = 0; t < seq_len; t++)
        for (uint32_t b = 0; b < batch; b++)
            memcpy(cr.U + ((size_t)t * batch + b) * cr.k, x + ((size_t)t * batch + b) * d_in,
                   d_in * sizeof(double));
    for (uint32_t b = 0; b < batch; b++)
        memcpy(cr.U + (size_t)b * cr.k + d_in, h0 + (size_t)b * hidden, hidden * sizeof(double));
    memcpy(cr.C, c0, (size_t)batch * hidden * sizeof(double));
    size_t nv = 0;
    double sse = lstm_core_forward(&cr, w, target, &nv);
    if (nv == 0) {
        if (grad)
            memset(grad, 0, lstm_param_count(hidden, d_in, nheads) * sizeof(double));
        return 0.0;
    }
    if (grad)
        lstm_core_backward(&cr, w, target, (double)nv, grad);
    return sse / (double)nv;
}

/* ---------------------------------------------------------------------------------------------
 * State, options, update */

static size_t lstm_state_size(const fc_params *p)
{
    (void)p;
    return sizeof(lstm_state);
}

/* Batch size for a window length: LSTM_BATCH windows, fewer when they are long. */
static uint32_t lstm_batch_for(uint32_t L)
{
    uint32_t b = LSTM_BATCH_STEPS / L;
    return b < 1 ? 1 : (b > LSTM_BATCH ? LSTM_BATCH : b);
}

static size_t lstm_used_len(uint32_t max_history, size_t n)
{
    return (max_history != 0 && n > max_history) ? max_history : n;
}

static size_t lstm_fit_scratch_size(const fc_params *p, size_t n)
{
    size_t w = lstm_used_len(p->max_history, n);
    /* per point: sort buffer / window starts, raw input, cell input, targets (heads),
     * the states before it (2 hidden; one more point); Adam: gradient, m, v; batch targets;
     * one batch of at most LSTM_BATCH_STEPS window-steps and LSTM_BATCH windows */
    size_t per_point = w * (3 + LSTM_MAX_HEADS) + (w + 1) * 2 * LSTM_HIDDEN;
    size_t batch = (LSTM_BATCH_STEPS + LSTM_BATCH) * (LSTM_K + LSTM_HIDDEN) +
                   LSTM_BATCH_STEPS * (LSTM_HIDDEN + LSTM_G + LSTM_MAX_HEADS) +
                   2 * LSTM_BATCH * LSTM_HIDDEN;
    return sizeof(double) * (per_point + 3 * (size_t)LSTM_NPARAM_MAX +
                             (size_t)LSTM_BATCH_STEPS * LSTM_MAX_HEADS + batch + 8);
}

/* Empties the state, keeping sizes and options. */
static void lstm_reset(lstm_state *s)
{
    uint32_t sd = s->season_day, mh = s->max_history, sl = s->seq_len, ep = s->epochs;
    uint64_t seed = s->seed;
    memset(s, 0, sizeof *s);
    s->season_day = sd;
    s->max_history = mh;
    s->seq_len = sl;
    s->epochs = ep;
    s->seed = seed;
    s->mode = LSTM_MODE_FALLBACK;
    s->scale = 1.0;
    s->nheads = lstm_head_horizons(sd, s->hz);
}

static void lstm_init(void *state, const fc_params *p)
{
    lstm_state *s = state;
    memset(s, 0, sizeof *s);
    s->season_day = p->season_day;
    s->max_history = p->max_history;
    s->seq_len = LSTM_DEFAULT_SEQ_LEN;
    s->epochs = LSTM_DEFAULT_EPOCHS;
    s->seed = LSTM_DEFAULT_SEED;
    lstm_reset(s);
}

void lstm_set_options(void *state, uint32_t seq_len, uint32_t epochs, uint64_t seed)
{
    lstm_state *s = state;
    if (seq_len < LSTM_MIN_SEQ_LEN)
        seq_len = LSTM_MIN_SEQ_LEN;
    if (seq_len > LSTM_MAX_SEQ_LEN)
        seq_len = LSTM_MAX_SEQ_LEN;
    s->seq_len = seq_len;
    s->epochs = epochs > LSTM_MAX_EPOCHS ? LSTM_MAX_EPOCHS : epochs;
    s->seed = seed ? seed : 1;
}

static void lstm_fallback_add(lstm_state *s, double y)
{
    s->nobs++;
    if (s->nobs > 1) {
        double d = y - s->last;
        s->fb_d2 += d * d;
    }
    double d = y - s->fb_mean;
    s->fb_mean += d / (double)s->nobs;
    s->fb_m2 += d * (y - s->fb_mean);
    s->last = y;
    s->gap = 0;
}

/* k-th smallest of a[0..n) (quickselect, Hoare partition); afterwards a[0..k) <= a[k]. */
static double lstm_select(double *a, ptrdiff_t n, ptrdiff_t k)
{
    ptrdiff_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double piv = a[lo + (hi - lo) / 2];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < piv)
                i++;
            while (a[j] > piv)
                j--;
            if (i <= j) {
                double t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return a[k];
}

/* Median of v[0..n) (1 <= n <= LSTM_MAX_SEQ_LEN), computed in a copy. */
static double lstm_median_of(const double *v, uint32_t n)
{
    double a[LSTM_MAX_SEQ_LEN];
    memcpy(a, v, n * sizeof(double));
    double hi = lstm_select(a, n, n / 2);
    if (n % 2)
        return hi;
    double lo = a[0];
    for (uint32_t i = 1; i < n / 2; i++)
        lo = a[i] > lo ? a[i] : lo;
    return 0.5 * (lo + hi);
}

/* The running location: median of the newest min(count, seq_len) inputs of the ring. */
static double lstm_ring_median(const lstm_state *s)
{
    uint32_t n = s->ring_count < s->seq_len ? s->ring_count : s->seq_len;
    if (n == 0)
        return 0.0;
    double a[LSTM_MAX_SEQ_LEN];
    for (uint32_t i = 0; i < n; i++)
        a[i] = s->ring[(s->ring_head + LSTM_MAX_SEQ_LEN - 1 - i) % LSTM_MAX_SEQ_LEN];
    return lstm_median_of(a, n);
}

/* The cell's input: the normalised value less the running median, clipped. */
static double lstm_input(double xraw, double med)
{
    return lstm_clip(xraw - med, LSTM_CLIP_IN);
}

static int lstm_cell_finite(const lstm_state *s)
{
    if (!isfinite(s->pred))
        return 0;
    for (uint32_t j = 0; j < LSTM_HIDDEN; j++)
        if (!isfinite(s->h[j]) || !isfinite(s->c[j]))
            return 0;
    return 1;
}

/* (h, c, pred) from a zero state over the ring's last seq_len inputs; 0 when finite. */
static int lstm_rebuild(lstm_state *s)
{
    uint32_t cnt = s->ring_count < s->seq_len ? s->ring_count : s->seq_len;
    double seq[LSTM_MAX_SEQ_LEN];
    for (uint32_t i = 0; i < cnt; i++)         /* oldest first */
        seq[i] = s->ring[(s->ring_head + LSTM_MAX_SEQ_LEN - cnt + i) % LSTM_MAX_SEQ_LEN];
    memset(s->h, 0, sizeof s->h);
    memset(s->c, 0, sizeof s->c);
    for (uint32_t i = 0; i < cnt; i++) {
        double u = lstm_input(seq[i], lstm_median_of(seq, i + 1));
        lstm_cell_step(s->w, LSTM_HIDDEN, LSTM_D_IN, &u, s->h, s->c);
    }
    s->pred = lstm_clip(s->xlast + lstm_head(s->w, LSTM_HIDDEN, LSTM_D_IN, 0, s->h), LSTM_X_MAX);
    return lstm_cell_finite(s) ? 0 : -1;
}

/* Feeds one point to a fitted state: one cell step. Returns the one-step error y - yhat in
 * original units (NaN for a gap). *xraw_out / *u_out (may be NULL) get the input fed. */
static double lstm_advance(lstm_state *s, double y, double *xraw_out, double *u_out)
{
    double xraw, err = NAN;
    if (isfinite(y)) {
        err = y - (s->loc + s->scale * s->pred);
        xraw = lstm_clip((y - s->loc) / s->scale, LSTM_X_MAX);
        lstm_fallback_add(s, y);
    } else {
        xraw = s->pred;                 /* bridge the gap with the model's own prediction */
        if (s->gap < UINT32_MAX)
            s->gap++;
    }
    s->ring[s->ring_head] = xraw;
    s->ring_head = (s->ring_head + 1) % LSTM_MAX_SEQ_LEN;
    if (s->ring_count < LSTM_MAX_SEQ_LEN)
        s->ring_count++;
    s->xlast = xraw;
    double u = lstm_input(xraw, lstm_ring_median(s));
    lstm_cell_step(s->w, LSTM_HIDDEN, LSTM_D_IN, &u, s->h, s->c);
    s->pred = lstm_clip(xraw + lstm_head(s->w, LSTM_HIDDEN, LSTM_D_IN, 0, s->h), LSTM_X_MAX);
    if (!lstm_cell_finite(s) && lstm_rebuild(s) != 0)
        s->mode = LSTM_MODE_FALLBACK;   /* not with finite weights; never NaN out */
    if (xraw_out)
        *xraw_out = xraw;
    if (u_out)
        *u_out = u;
    return err;
}

static void lstm_update(void *state, double y)
{
    lstm_state *s = state;
    if (s->mode == LSTM_MODE_MODEL) {
        lstm_advance(s, y, NULL, NULL);
    } else if (isfinite(y)) {
        lstm_fallback_add(s, y);
    } else if (s->gap < UINT32_MAX) {
        s->gap++;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Fit */

static int lstm_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double lstm_median_sorted(const double *v, size_t n)
{
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* loc = median, scale = 1.4826 MAD (fallbacks in the design note) of the finite y[0..n). */
static void lstm_robust_scale(const double *y, size_t n, double *tmp, double *loc,
                              double *scale)
{
    size_t k = 0;
    for (size_t t = 0; t < n; t++)
        if (isfinite(y[t]))
            tmp[k++] = y[t];
    qsort(tmp, k, sizeof *tmp, lstm_cmp_double);
    double med = lstm_median_sorted(tmp, k), mean_abs = 0.0;
    for (size_t i = 0; i < k; i++) {
        tmp[i] = fabs(tmp[i] - med);
        mean_abs += tmp[i];
    }
    mean_abs /= (double)k;
    qsort(tmp, k, sizeof *tmp, lstm_cmp_double);
    double sc = 1.482602218505602 * lstm_median_sorted(tmp, k);
    if (!(sc > 1e-12 * fabs(med)) || !isfinite(sc))
        sc = 1.2533141373155003 * mean_abs;
    if (!(sc > 1e-12 * fabs(med)) || !isfinite(sc))
        sc = 1e-3 * fabs(med);
    if (!(sc > 0.0) || !isfinite(sc))
        sc = 1.0;
    *loc = isfinite(med) ? med : 0.0;
    *scale = sc;
}

static void lstm_init_weights(lstm_state *s)
{
    const uint32_t nh = LSTM_HIDDEN, k = LSTM_K, g = 4 * nh;
    uint64_t sm = s->seed, rs = lstm_splitmix(&sm);
    if (rs == 0)
        rs = 0x2545F4914F6CDD1DULL;
    const double a = 1.0 / sqrt((double)nh);
    memset(s->w, 0, sizeof s->w);
    for (size_t i = 0; i < (size_t)(k - 1) * g; i++)
        s->w[i] = a * (2.0 * lstm_rng_u01(&rs) - 1.0);
    double *bias = s->w + (size_t)(k - 1) * g;
    for (uint32_t j = 0; j < nh; j++)
        bias[nh + j] = 1.0;                             /* forget gate */
    for (uint32_t q = 0; q < s->nheads; q++) {
        double *v = s->w + (size_t)k * g + (size_t)q * (nh + 1);
        for (uint32_t j = 0; j < nh; j++)
            v[j] = 0.1 * a * (2.0 * lstm_rng_u01(&rs) - 1.0);
        v[nh] = 0.0;
    }
}

typedef struct lstm_fitbuf {
    double *sorted;             /* n: sort buffer, then window starts */
    double *xraw;               /* n: normalised inputs as fed */
    double *u;                  /* n cell inputs */
    double *tgt;                /* n x nheads targets */
    double *sh, *sc;            /* (n + 1) x hidden: state before each point */
    double *grad, *m, *v;       /* nparam_max each */
    double *bt;                 /* batch targets, LSTM_BATCH_STEPS x nheads */
    double *core;
} lstm_fitbuf;

static void lstm_fitbuf_bind(lstm_fitbuf *fb, size_t n, void *scratch)
{
    double *p = scratch;
    fb->sorted = p;
    p += n;
    fb->xraw = p;
    p += n;
    fb->u = p;
    p += n;
    fb->tgt = p;
    p += n * LSTM_MAX_HEADS;
    fb->sh = p;
    p += (n + 1) * LSTM_HIDDEN;
    fb->sc = p;
    p += (n + 1) * LSTM_HIDDEN;
    fb->grad = p;
    p += LSTM_NPARAM_MAX;
    fb->m = p;
    p += LSTM_NPARAM_MAX;
    fb->v = p;
    p += LSTM_NPARAM_MAX;
    fb->bt = p;
    p += (size_t)LSTM_BATCH_STEPS * LSTM_MAX_HEADS;
    fb->core = p;
}

/* Forward pass over the window y[t0..n) with the current weights from a zero state, through
 * lstm_advance() (so exactly what update() does): records the states before each point, the
 * inputs fed and the training targets; returns the sum of squared one-step errors after
 * `burn` points and their count in *nres (HUGE_VAL if the state broke down). The state ends
 * positioned after y[n-1]. */
static double lstm_pass(lstm_state *s, const double *y, size_t n, size_t t0, size_t burn,
                        lstm_fitbuf *fb, size_t *nres)
{
    memset(s->h, 0, sizeof s->h);
    memset(s->c, 0, sizeof s->c);
    s->ring_head = s->ring_count = 0;
    s->gap = 0;
    s->nobs = 0;
    s->fb_mean = s->fb_m2 = s->fb_d2 = 0.0;
    s->pred = lstm_clip((y[t0] - s->loc) / s->scale, LSTM_X_MAX);
    double sse = 0.0;
    size_t nr = 0;
    for (size_t t = t0; t < n; t++) {
        if (fb) {
            memcpy(fb->sh + t * LSTM_HIDDEN, s->h, sizeof s->h);
            memcpy(fb->sc + t * LSTM_HIDDEN, s->c, sizeof s->c);
        }
        double xr, u;
        double e = lstm_advance(s, y[t], &xr, &u);
        if (s->mode != LSTM_MODE_MODEL)
            return HUGE_VAL;
        if (fb) {
            fb->xraw[t] = xr;
            fb->u[t] = u;
        }
        if (t >= t0 + burn && isfinite(e)) {
            sse += e * e;
            nr++;
        }
    }
    if (fb) {
        const uint32_t nj = s->nheads;
        for (size_t t = t0; t < n; t++) {
            for (uint32_t q = 0; q < nj; q++) {
                size_t ta = t + s->hz[q];
                double nx = ta < n ? y[ta] : NAN;
                fb->tgt[t * nj + q] =
                    isfinite(nx) ? lstm_clip(((nx - s->loc) / s->scale - fb->xraw[t]) /
                                                 sqrt((double)s->hz[q]),
                                             LSTM_CLIP_TGT)
                                 : NAN;
            }
        }
    }
    *nres = nr;
    return sse;
}

/* Trains the state's weights (fresh: new normalisation and initial weights) for `epochs` over
 * y[0..n), then positions the state after y[n-1]. Returns 0, or -MAI_EINVAL when the window is
 * too short (nothing changed then) or training broke down (the state is then a fallback). */
static int lstm_train(lstm_state *s, const double *y, size_t n, uint32_t epochs, int fresh,
                      void *scratch)
{
    const uint32_t L = s->seq_len, nh = LSTM_HIDDEN;
    size_t t0 = 0, nv = 0;
    while (t0 < n && !isfinite(y[t0]))
        t0++;
    for (size_t t = t0; t < n; t++)
        nv += isfinite(y[t]) ? 1 : 0;
    if (nv < (size_t)L + LSTM_MIN_EXTRA || n - t0 < (size_t)L + 2 || scratch == NULL)
        return -MAI_EINVAL;
    lstm_fitbuf fb;
    lstm_fitbuf_bind(&fb, n, scratch);
    if (fresh) {
        lstm_robust_scale(y, n, fb.sorted, &s->loc, &s->scale);
        lstm_init_weights(s);
    }
    s->mode = LSTM_MODE_MODEL;
    const uint32_t d = LSTM_D_IN, k = LSTM_K, nj = s->nheads;
    const size_t np = lstm_param_count(nh, d, nj);
    const uint32_t Bmax = lstm_batch_for(L);
    /* window starts: every point from t0 whose window lies inside y (the last window's last
     * one-step target is y[n - 1]) */
    const size_t nwin = n - t0 - L;
    uint32_t *starts = (uint32_t *)(void *)fb.sorted;   /* n doubles hold n uint32 */
    memset(fb.m, 0, np * sizeof(double));
    memset(fb.v, 0, np * sizeof(double));
    double b1t = 1.0, b2t = 1.0, loss_sum = 0.0;
    size_t loss_n = 0, nres;
    uint64_t sm = s->seed ^ 0x5DEECE66DULL, rs = lstm_splitmix(&sm);
    if (rs == 0)
        rs = 0x2545F4914F6CDD1DULL;
    for (uint32_t ep = 0; ep < epochs; ep++) {
        if (lstm_pass(s, y, n, t0, L, &fb, &nres) == HUGE_VAL)
            break;
        for (size_t i = 0; i < nwin; i++)
            starts[i] = (uint32_t)(t0 + i);
        for (size_t i = nwin; i > 1; i--) {             /* Fisher-Yates */
            size_t j = (size_t)(lstm_rng_u01(&rs) * (double)i);
            j = j < i ? j : i - 1;
            uint32_t tmp = starts[i - 1];
            starts[i - 1] = starts[j];
            starts[j] = tmp;
        }
        loss_sum = 0.0;
        loss_n = 0;
        for (size_t b0 = 0; b0 < nwin; b0 += Bmax) {
            uint32_t B = (uint32_t)(nwin - b0 < Bmax ? nwin - b0 : Bmax);
            lstm_core cr;
            lstm_core_bind(&cr, nh, d, nj, L, B, fb.core);
            for (uint32_t b = 0; b < B; b++) {
                size_t st = starts[b0 + b];
                memcpy(cr.U + (size_t)b * k + d, fb.sh + st * nh, nh * sizeof(double));
                memcpy(cr.C + (size_t)b * nh, fb.sc + st * nh, nh * sizeof(double));
                for (uint32_t t = 0; t < L; t++) {
                    cr.U[((size_t)t * B + b) * k] = fb.u[st + t];
                    memcpy(fb.bt + ((size_t)t * B + b) * nj, fb.tgt + (st + t) * nj,
                           nj * sizeof(double));
                }
            }
            size_t nvb = 0;
            double sse = lstm_core_forward(&cr, s->w, fb.bt, &nvb);
            if (nvb == 0)
                continue;
            loss_sum += 2.0 * sse;
            loss_n += nvb;
            lstm_core_backward(&cr, s->w, fb.bt, (double)nvb, fb.grad);
            double gn = 0.0;
            for (size_t i = 0; i < np; i++)
                gn += fb.grad[i] * fb.grad[i];
            gn = sqrt(gn);
            if (!isfinite(gn))
                continue;
            double gs = gn > LSTM_CLIP_NORM ? LSTM_CLIP_NORM / gn : 1.0;
            b1t *= LSTM_ADAM_B1;
            b2t *= LSTM_ADAM_B2;
            const double c1 = 1.0 / (1.0 - b1t), c2 = 1.0 / (1.0 - b2t);
            for (size_t i = 0; i < np; i++) {
                double gi = gs * fb.grad[i];
                fb.m[i] = LSTM_ADAM_B1 * fb.m[i] + (1.0 - LSTM_ADAM_B1) * gi;
                fb.v[i] = LSTM_ADAM_B2 * fb.v[i] + (1.0 - LSTM_ADAM_B2) * gi * gi;
                s->w[i] -= LSTM_LR * (fb.m[i] * c1) / (sqrt(fb.v[i] * c2) + LSTM_ADAM_EPS);
            }
        }
    }
    s->last_loss = loss_n ? loss_sum / (double)loss_n : 0.0;
    for (size_t i = 0; i < np; i++)
        if (!isfinite(s->w[i]) || fabs(s->w[i]) > LSTM_W_MAX)
            s->mode = LSTM_MODE_FALLBACK;
    if (s->mode == LSTM_MODE_MODEL) {
        double sse = lstm_pass(s, y, n, t0, L, NULL, &nres);
        if (sse == HUGE_VAL || !isfinite(sse))
            s->mode = LSTM_MODE_FALLBACK;
        else if (nres >= LSTM_MIN_RESID)
            s->sd_res = sqrt(sse / (double)nres);
        else if (fresh)
            s->sd_res = s->nobs > 1 ? sqrt(s->fb_d2 / (double)(s->nobs - 1)) : 0.0;
    }
    return s->mode == LSTM_MODE_MODEL ? 0 : -MAI_EINVAL;
}

/* Resets to the fallback and feeds y[0..n) to it. */
static void lstm_fallback_feed(lstm_state *s, const double *y, size_t n)
{
    lstm_reset(s);
    for (size_t t = 0; t < n; t++)
        lstm_update(s, y[t]);
}

static int lstm_fit(void *state, const double *y, size_t n, void *scratch)
{
    lstm_state *s = state;
    lstm_reset(s);
    if (y == NULL)
        n = 0;
    size_t used = lstm_used_len(s->max_history, n);
    y += n - used;
    n = used;
    if (lstm_train(s, y, n, s->epochs, 1, scratch) != 0) {
        lstm_fallback_feed(s, y, n);
        return -MAI_EINVAL;
    }
    return 0;
}

/* The seed's minimal update: fine-tune on the last two days from the current weights. */
static int lstm_refit(void *state, const double *y, size_t n, void *scratch)
{
    lstm_state *s = state;
    if (s->mode != LSTM_MODE_MODEL)
        return lstm_fit(state, y, n, scratch);
    if (y == NULL)
        n = 0;
    /* two days, but at least what one training window needs (48 points at 1 h steps are not) */
    size_t win = s->season_day ? 2 * (size_t)s->season_day : LSTM_FINETUNE_POINTS;
    if (win < (size_t)s->seq_len + LSTM_MIN_EXTRA)
        win = (size_t)s->seq_len + LSTM_MIN_EXTRA;
    win = lstm_used_len(s->max_history, win);
    if (n > win) {
        y += n - win;
        n = win;
    }
    int rc = lstm_train(s, y, n, LSTM_FINETUNE_EPOCHS, 0, scratch);
    if (rc != 0 && s->mode != LSTM_MODE_MODEL) {        /* training broke the weights */
        lstm_fallback_feed(s, y, n);
        return -MAI_EINVAL;
    }
    return rc;      /* -MAI_EINVAL: too few points to fine-tune, the state is unchanged */
}

/* ---------------------------------------------------------------------------------------------
 * Forecast */


static void lstm_forecast_fallback(const lstm_state *s, size_t h, const fc_output *out)
{
    double mean = s->nobs ? s->last : 0.0, s0 = 0.0;
    if (s->nobs >= 2) {
        double n1 = (double)(s->nobs - 1);
        s0 = fmax(sqrt(s->fb_m2 / n1), sqrt(s->fb_d2 / n1));
    }
    s0 = fmax(s0, 0.1 * fabs(mean));
    if (!(s0 > 0.0))
        s0 = 1.0;
    for (size_t k = 0; k < h; k++)
        fc_output_put(out, k, mean, fmin(s0 * sqrt((double)s->gap + (double)k + 1.0), DBL_MAX / 4));
}

static int lstm_forecast(const void *state, size_t h, fc_output *out)
{
    const lstm_state *s = state;
    if (h == 0 || out == NULL || out->mean == NULL)
        return -MAI_EINVAL;
    if (s->mode != LSTM_MODE_MODEL) {
        lstm_forecast_fallback(s, h, out);
        return 0;
    }
    /* changes (normalised) from the last input to each head's horizon */
    double dx[LSTM_MAX_HEADS];
    for (uint32_t q = 0; q < s->nheads; q++)
        dx[q] = sqrt((double)s->hz[q]) * lstm_head(s->w, LSTM_HIDDEN, LSTM_D_IN, q, s->h);
    const uint32_t hmax = s->hz[s->nheads - 1];
    const int seasonal = s->season_day >= 4;
    uint32_t q = 0;
    for (size_t k = 0; k < h; k++) {
        double kk = (double)(k + 1), d;
        if (k + 1 > hmax && seasonal) {
            /* beyond a day: the first day's path again (its trend is not carried on: a day's
             * change is partly reversion, and compounding it overshoots) */
            fc_output_put(out, k, out->mean[k - hmax], s->sd_res * sqrt((double)s->gap + kk));
            continue;
        }
        if (k + 1 > hmax) {
            d = dx[s->nheads - 1];                      /* no season: the last head holds */
        } else {
            while (q + 1 < s->nheads && kk > (double)s->hz[q + 1])
                q++;
            if (kk <= (double)s->hz[q] || q + 1 >= s->nheads)
                d = dx[q];
            else
                d = dx[q] + (dx[q + 1] - dx[q]) * (kk - s->hz[q]) /
                                (double)(s->hz[q + 1] - s->hz[q]);
        }
        double mean = s->loc + s->scale * (s->xlast + d);
        double sd = s->sd_res * sqrt((double)s->gap + kk);
        if (!isfinite(mean) || !isfinite(sd)) {
            lstm_forecast_fallback(s, h, out);
            return 0;
        }
        fc_output_put(out, k, mean, sd);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Save / load */







#define LSTM_NF64 10

static size_t lstm_save_bytes(uint32_t seq_len, uint32_t nheads)
{
    return LSTM_SAVE_FIXED +
           8 * (2 * (size_t)LSTM_HIDDEN + seq_len +
                lstm_param_count(LSTM_HIDDEN, LSTM_D_IN, nheads)) +
           4;
}

static size_t lstm_save(const void *state, uint8_t *buf, size_t cap)
{
    const lstm_state *s = state;
    size_t need = lstm_save_bytes(s->seq_len, s->nheads);
    if (buf == NULL || cap < need)
        return need;
    uint32_t cnt = s->ring_count < s->seq_len ? s->ring_count : s->seq_len;
    buf[0] = 'L';
    buf[1] = 'S';
    buf[2] = 'T';
    buf[3] = 'M';
    buf[4] = (uint8_t)LSTM_SAVE_VERSION;
    buf[5] = (uint8_t)s->mode;
    buf[6] = (uint8_t)LSTM_D_IN;
    buf[7] = (uint8_t)s->nheads;
    le_put_u32(buf + 8, LSTM_HIDDEN);
    le_put_u32(buf + 12, s->seq_len);
    le_put_u32(buf + 16, s->epochs);
    le_put_u32(buf + 20, s->season_day);
    le_put_u32(buf + 24, 0);
    le_put_u32(buf + 28, s->gap);
    le_put_u32(buf + 32, cnt);
    le_put_u32(buf + 36, 0);
    le_put_u64(buf + 40, s->seed);
    le_put_u64(buf + 48, s->nobs);
    const double f[LSTM_NF64] = {s->loc,   s->scale,  s->sd_res, s->pred, s->xlast,
                                 s->last,  s->fb_mean, s->fb_m2, s->fb_d2, s->last_loss};
    uint8_t *p = buf + 56;
    for (int i = 0; i < LSTM_NF64; i++, p += 8)
        le_put_u64(p, mai_double_bits(f[i]));
    for (uint32_t j = 0; j < LSTM_HIDDEN; j++, p += 8)
        le_put_u64(p, mai_double_bits(s->h[j]));
    for (uint32_t j = 0; j < LSTM_HIDDEN; j++, p += 8)
        le_put_u64(p, mai_double_bits(s->c[j]));
    for (uint32_t i = 0; i < s->seq_len; i++, p += 8) {
        double x = 0.0;
        if (i >= s->seq_len - cnt) {
            uint32_t back = s->seq_len - i;             /* 1 = newest */
            x = s->ring[(s->ring_head + LSTM_MAX_SEQ_LEN - back) % LSTM_MAX_SEQ_LEN];
        }
        le_put_u64(p, mai_double_bits(x));
    }
    size_t np = lstm_param_count(LSTM_HIDDEN, LSTM_D_IN, s->nheads);
    for (size_t i = 0; i < np; i++, p += 8)
        le_put_u64(p, mai_double_bits(s->w[i]));
    le_put_u32(p, mai_crc32(buf, need - 4));
    return need;
}

static int lstm_load(void *state, const fc_params *p, const uint8_t *buf, size_t n)
{
    if (state == NULL || p == NULL || buf == NULL || n < LSTM_SAVE_FIXED + 4)
        return -MAI_EPROTO;
    if (buf[0] != 'L' || buf[1] != 'S' || buf[2] != 'T' || buf[3] != 'M' ||
        buf[4] != LSTM_SAVE_VERSION || buf[5] > LSTM_MODE_MODEL)
        return -MAI_EPROTO;
    uint32_t hz[LSTM_MAX_HEADS], nj = lstm_head_horizons(p->season_day, hz);
    uint32_t seq_len = le_get_u32(buf + 12), epochs = le_get_u32(buf + 16);
    uint32_t sd = le_get_u32(buf + 20), gap = le_get_u32(buf + 28);
    uint32_t cnt = le_get_u32(buf + 32);
    if (buf[6] != LSTM_D_IN || buf[7] != nj || le_get_u32(buf + 8) != LSTM_HIDDEN ||
        seq_len < LSTM_MIN_SEQ_LEN || seq_len > LSTM_MAX_SEQ_LEN || epochs > LSTM_MAX_EPOCHS ||
        sd != p->season_day || le_get_u32(buf + 24) != 0 || le_get_u32(buf + 36) != 0 ||
        cnt > seq_len)
        return -MAI_EPROTO;
    size_t need = lstm_save_bytes(seq_len, nj);
    if (n != need || le_get_u32(buf + need - 4) != mai_crc32(buf, need - 4))
        return -MAI_EPROTO;
    uint64_t seed = le_get_u64(buf + 40), nobs = le_get_u64(buf + 48);
    if (seed == 0)
        return -MAI_EPROTO;
    double f[LSTM_NF64];
    for (int i = 0; i < LSTM_NF64; i++)
        f[i] = le_get_f64(buf + 56 + 8 * i);
    for (int i = 0; i < LSTM_NF64; i++)         /* fb_m2, fb_d2 may have overflowed to +Inf */
        if (i != 7 && i != 8 && !isfinite(f[i]))
            return -MAI_EPROTO;
    if (!(f[1] > 0.0) || !(f[2] >= 0.0) || fabs(f[3]) > LSTM_X_MAX || fabs(f[4]) > LSTM_X_MAX ||
        !(f[7] >= 0.0) || !(f[8] >= 0.0) || !(f[9] >= 0.0))
        return -MAI_EPROTO;
    const uint8_t *q = buf + LSTM_SAVE_FIXED;
    size_t np = lstm_param_count(LSTM_HIDDEN, LSTM_D_IN, nj);
    size_t nd = 2 * (size_t)LSTM_HIDDEN + seq_len + np;
    for (size_t i = 0; i < nd; i++) {
        double x = le_get_f64(q + 8 * i);
        if (!isfinite(x))
            return -MAI_EPROTO;
        if (i < LSTM_HIDDEN && fabs(x) > 1.0)                       /* h = o tanh(c) */
            return -MAI_EPROTO;
        if (i >= 2 * (size_t)LSTM_HIDDEN && i < 2 * (size_t)LSTM_HIDDEN + seq_len &&
            fabs(x) > LSTM_X_MAX)
            return -MAI_EPROTO;
        if (i >= 2 * (size_t)LSTM_HIDDEN + seq_len && fabs(x) > LSTM_W_MAX)
            return -MAI_EPROTO;
    }

    lstm_state *s = state;
    memset(s, 0, sizeof *s);
    s->season_day = sd;
    s->max_history = p->max_history;
    s->seq_len = seq_len;
    s->epochs = epochs;
    s->seed = seed;
    s->nobs = nobs;
    s->mode = buf[5];
    s->gap = gap;
    s->nheads = nj;
    memcpy(s->hz, hz, sizeof hz);
    s->loc = f[0];
    s->scale = f[1];
    s->sd_res = f[2];
    s->pred = f[3];
    s->xlast = f[4];
    s->last = f[5];
    s->fb_mean = f[6];
    s->fb_m2 = f[7];
    s->fb_d2 = f[8];
    s->last_loss = f[9];
    for (uint32_t j = 0; j < LSTM_HIDDEN; j++) {
        s->h[j] = le_get_f64(q + 8 * (size_t)j);
        s->c[j] = le_get_f64(q + 8 * (size_t)(LSTM_HIDDEN + j));
    }
    q += 16 * (size_t)LSTM_HIDDEN;
    for (uint32_t i = seq_len - cnt; i < seq_len; i++)
        s->ring[i - (seq_len - cnt)] = le_get_f64(q + 8 * (size_t)i);
    s->ring_count = cnt;
    s->ring_head = cnt % LSTM_MAX_SEQ_LEN;
    q += 8 * (size_t)seq_len;
    for (size_t i = 0; i < np; i++)
        s->w[i] = le_get_f64(q + 8 * i);
    return 0;
}

void lstm_get_info(const void *state, lstm_info *out)
{
    const lstm_state *s = state;
    out->fitted = s->mode == LSTM_MODE_MODEL;
    out->seq_len = s->seq_len;
    out->epochs = s->epochs;
    out->nheads = s->nheads;
    memcpy(out->horizons, s->hz, sizeof out->horizons);
    out->gap = s->gap;
    out->seed = s->seed;
    out->loc = s->loc;
    out->scale = s->scale;
    out->sd_res = s->sd_res;
    out->last_loss = s->last_loss;
    out->nparams = (uint32_t)lstm_param_count(LSTM_HIDDEN, LSTM_D_IN, s->nheads);
    out->weights = s->w;
}

const forecaster_ops lstm_ops = {
    .name = "lstm",
    .state_size = lstm_state_size,
    .fit_scratch_size = lstm_fit_scratch_size,
    .init = lstm_init,
    .update = lstm_update,
    .fit = lstm_fit,
    .forecast = lstm_forecast,
    .refit = lstm_refit,
    .save = lstm_save,
    .load = lstm_load,
};
