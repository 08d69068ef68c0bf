/* SPDX-License-Identifier: Apache-2.0
 * adapter/predict.h -- the offline tools on CSV files, `metrics-ai predict` and
 * `metrics-ai backtest`, driving the same ensemble code as the service. Points are fed in time order through the update path; at
 * each origin it forecasts with only the data up to and including the origin. */
#ifndef MAI_ADAPTER_PREDICT_H
#define MAI_ADAPTER_PREDICT_H

#include <stddef.h>

/* Runs the subcommand with its own arguments (argv[0] is "predict"). Returns the process exit
 * code: 0 ok, 1 failure (a one-line message on stderr), 2 bad usage. */
int predict_main(int argc, char **argv);

/* `metrics-ai backtest --input SERIES.csv [...] [--train-fraction F] [--origins-count K]
 * [--horizon LIST] [--step S] [--output FILE]`: the TRAIN_FRACTION split, then MAE, RMSE, MASE,
 * sMAPE and 80% coverage per member and for the ensemble at each horizon, as a table. Same exit
 * codes as predict_main. */
int backtest_main(int argc, char **argv);

/* Helpers shared with the other offline tools (score_cmd.c). "300", "300s", "5m", "1h", "1d" ->
 * seconds, -1 when malformed; the series name of an input file (base name without ".csv"). */
double predict_parse_duration(const char *s);
void predict_series_name(const char *path, char *out, size_t cap);

#endif
