/* SPDX-License-Identifier: Apache-2.0
 * models/naive.h -- the two trivial forecasters every other member must beat: naive (the last
 * value) and seasonal naive (the value one season earlier, season = season_day), with
 * random-walk / seasonal random-walk intervals from the observed one-step and one-season changes.
 * They are also the warm-up fallback while a series is too short for the fitted members.
 * State: naive 64 bytes; seasonal naive 64 + 8 * season_day bytes. */
#ifndef MAI_MODELS_NAIVE_H
#define MAI_MODELS_NAIVE_H

#include "forecaster.h"

extern const forecaster_ops naive_ops;
extern const forecaster_ops snaive_ops;

#endif
