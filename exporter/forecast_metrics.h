/* SPDX-License-Identifier: Apache-2.0
 * exporter/forecast_metrics.h -- renders a published result set as exposition text:
 * metrics_ai_forecast / _lower / _upper per series and horizon (the source series' labels plus
 * metric="<its name>" and horizon="15m"), skill, warm-up, per-model error and weight, and the
 * cycle figures. Gauges without timestamps: a forecast is the current belief about a future
 * value; the future curve itself goes through remote read. */
#ifndef MAI_EXPORTER_FORECAST_METRICS_H
#define MAI_EXPORTER_FORECAST_METRICS_H

#include "exporter/expo.h"
#include "exporter/results.h"

void forecast_metrics_write(expo_buf *b, const results *r);

#endif
