/* SPDX-License-Identifier: Apache-2.0
 * models/anomaly.h -- the streaming anomaly score of one series, in [0,1], from the one-step
 * residual against cheap robust predictors (a level, and a level plus a daily or a weekly
 * profile), with no look-ahead. Pure numerics: the state is a fixed-size struct in caller
 * memory; nothing is allocated. One state, one thread at a time. */
#ifndef MAI_MODELS_ANOMALY_H
#define MAI_MODELS_ANOMALY_H

#include <stddef.h>
#include <stdint.h>

#define AN_SCALES 3         /* residual of the point itself and of two EW means */
#define AN_MAX_PERSIST 64
#define AN_PREDICTORS 3     /* level only; level + daily profile; level + weekly profile */
#define AN_DAY_BINS 48      /* daily profile: one knot per half hour */
#define AN_WEEK_BINS 168    /* weekly profile: one knot per hour */

typedef enum an_direction { AN_BOTH = 0, AN_UP = 1, AN_DOWN = 2 } an_direction;

typedef struct an_config {
    an_direction direction;
    double min_change;      /* |deviation| below this (series units) scores 0; 0 = off */
    uint32_t persistence;   /* K >= 1: the score is the minimum raw score of the last K points,
                             * each compared with the extremes before those K points */
    uint32_t day_points;    /* points in one day (86400 / step in seconds); 0 = the series is
                             * not on a regular clock: no daily or weekly profile */
    /* Tuning, the same for every series (an_config_default fills them). Time constants are in
     * points of a 300 s grid; an_config_for_step rescales them to another grid. */
    double level_alpha;     /* EW weight of each predictor's level */
    double scale_alpha;     /* EW weight of the robust scale (mean absolute residual) */
    double fit_alpha;       /* EW weight of the fit that picks the predictor */
    double profile_alpha;   /* floor of the per-cycle weight of the seasonal profiles */
    double pick_ratio;      /* a profile is used when its fit is below this times the best
                             * simpler predictor's */
    double scale_floor;     /* the record a deviation is divided by is at least this many
                             * robust scales: moves within the usual noise are not surprising */
    uint32_t spans[AN_SCALES];  /* EW spans of the residual scales, in points (1 = the point) */
    uint32_t warm;          /* finite points seen before any score is given */
    uint32_t record_delay;  /* D: a deviation joins the records D to 2D points after it (at
                             * least persistence), so an episode that grows for hours is compared
                             * with what came before it, not with its own last points */
    double shift_scales;    /* a shift: shift_points points in a row, each beyond this many robust
                             * scales from the level on the same side; 0 = off */
    uint32_t shift_points;  /* then the level jumps to their mean, so a step is scored at its
                             * onset and the new level is learnt at once */
    double half_life;       /* of the running extreme residual, in points; 0 = never decays */
    double hold_half_life;  /* after the persistence minimum, the score is held at the highest
                             * recent score decayed with this half-life (points); 0 = off. A big
                             * event keeps a high score through its label window even when its
                             * peak comes early. */
} an_config;

/* One predictor: its level (of the deseasonalised series), scale and the records of its
 * residuals. */
typedef struct an_pred {
    double level;           /* the prediction of the next deseasonalised point */
    double mad;             /* EW mean absolute one-step residual (clipped): the robust scale */
    double fit;             /* EW mean absolute residual used to choose the predictor */
    double sm[AN_SCALES];   /* EW means of the deseasonalised series */
    double hi[AN_SCALES][2];    /* running extreme of past deviations, [0] up, [1] down */
    double blk[AN_SCALES][2];   /* largest deviations of the current block of D points */
    double prev[AN_SCALES][2];  /* and of the block before it; neither is in hi yet */
    uint32_t nblk;          /* points in the current block */
    uint32_t run;           /* points in a row beyond shift_scales from the level ... */
    int run_sign;           /* ... on this side (+1 above, -1 below, 0 no run) */
    double run_sum;         /* and their sum (deseasonalised) */
    int started;            /* a profile predictor: past its first cycle and warm-up */
} an_pred;

typedef struct an_state {
    an_config c;
    uint64_t seen;          /* finite points fed */
    uint64_t tick;          /* points fed, missing ones included: the clock of the profiles */
    uint32_t phase[AN_PREDICTORS];  /* tick modulo each profile's period (index 0 unused) */
    uint64_t cycles[AN_PREDICTORS]; /* whole periods elapsed */
    an_pred p[AN_PREDICTORS];
    double day[AN_DAY_BINS], week[AN_WEEK_BINS];    /* profiles, knot values */
    double day_sum, week_sum;   /* their sums, to keep them centred */
    double decay;
    double hold_decay;      /* per point, from hold_half_life */
    double held;            /* the held score */
    double raw[AN_MAX_PERSIST]; /* last raw scores, a ring (persistence) */
    uint32_t pos;
    int used;               /* predictor behind the last score */
    double last;            /* score of the last point */
} an_state;

void an_config_default(an_config *c);

/* Sets day_points for a grid of step_s seconds and rescales the time constants (spans, warm,
 * record_delay, shift_points, half-lives, EW weights), which an_config_default gives for a 300 s grid, so that
 * they cover the same time on this grid. Call it once, on the defaults. The user controls
 * (direction, min_change, persistence, in points) are left as they are. */
void an_config_for_step(an_config *c, double step_s);

/* The day_points for a grid of step_s seconds: 86400 / step_s when a day is a whole number of
 * steps and holds at least AN_DAY_BINS of them, else 0 (no profiles). */
uint32_t an_day_points(double step_s);

/* Returns 0, or -MAI_EINVAL for persistence 0 or above AN_MAX_PERSIST, a negative or NaN
 * min_change, an unknown direction, an EW weight outside (0,1], a pick_ratio outside (0,1], a
 * negative or NaN scale_floor, shift_scales, half_life or hold_half_life, a zero span or
 * record_delay, or a zero shift_points with shift_scales above 0. */
int an_init(an_state *s, const an_config *c);

/* Feeds y (NaN or the stale marker = missing: score 0, only the clock of the profiles advances)
 * and returns its score in [0,1], computed only from y and the points before it. */
double an_update(an_state *s, double y);

#endif
