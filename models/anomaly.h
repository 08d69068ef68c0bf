/* SPDX-License-Identifier: Apache-2.0
 * models/anomaly.h -- the streaming anomaly score of one series, in [0,1], from the one-step
 * residual against a cheap robust predictor, with no look-ahead. Pure numerics: the state is a
 * fixed-size struct in caller memory; nothing is allocated. One state, one thread at a time. */
#ifndef MAI_MODELS_ANOMALY_H
#define MAI_MODELS_ANOMALY_H

#include <stddef.h>
#include <stdint.h>

#define AN_SCALES 2         /* residual of the point itself and of a short EW mean */
#define AN_MAX_PERSIST 64

typedef enum an_direction { AN_BOTH = 0, AN_UP = 1, AN_DOWN = 2 } an_direction;

typedef struct an_config {
    an_direction direction;
    double min_change;      /* |deviation| below this (series units) scores 0; 0 = off */
    uint32_t persistence;   /* K >= 1: the score is the minimum raw score of the last K points,
                             * each compared with the extremes before those K points */
    /* Tuning, the same for every series (an_config_default fills them). */
    double level_alpha;     /* EW weight of the predictor's level */
    uint32_t spans[AN_SCALES];  /* EW spans of the residual scales, in points (1 = the point) */
    uint32_t warm;          /* finite points seen before any score is given */
    double half_life;       /* of the running extreme residual, in points; 0 = never decays */
    double hold_half_life;  /* after the persistence minimum, the score is held at the highest
                             * recent score decayed with this half-life (points); 0 = off. A big
                             * event keeps a high score for a while, so it outranks isolated
                             * smaller blips when one threshold is shared across series. */
} an_config;

typedef struct an_state {
    an_config c;
    uint64_t seen;          /* finite points fed */
    double level;           /* the prediction of the next point */
    double mad;             /* EW mean absolute one-step residual (clipped): the robust scale */
    double sm[AN_SCALES];   /* short EW means */
    double hi[AN_SCALES][2];    /* running extreme of past deviations, [0] up, [1] down */
    double decay;
    double hold_decay;      /* per point, from hold_half_life */
    double held;            /* the held score */
    double raw[AN_MAX_PERSIST]; /* last raw scores, a ring */
    double dev[AN_MAX_PERSIST][AN_SCALES];  /* their signed deviations, not yet in hi */
    uint32_t pos;
    double last;            /* score of the last point */
} an_state;

void an_config_default(an_config *c);

/* Returns 0, or -MAI_EINVAL for persistence 0 or above AN_MAX_PERSIST, a negative or NaN
 * min_change, an unknown direction, a level_alpha outside (0,1], or a negative or NaN
 * half_life or hold_half_life. */
int an_init(an_state *s, const an_config *c);

/* Feeds y (NaN or the stale marker = missing: state unchanged, score 0) and returns its score in
 * [0,1], computed only from y and the points before it. */
double an_update(an_state *s, double y);

#endif
