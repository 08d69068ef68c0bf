/* SPDX-License-Identifier: Apache-2.0
 * adapter/predict.h -- `metrics-ai predict`: the offline forecaster on CSV files, driving the
 * same ensemble code as the service. Points are fed in time order through the update path; at
 * each origin it forecasts with only the data up to and including the origin. */
#ifndef MAI_ADAPTER_PREDICT_H
#define MAI_ADAPTER_PREDICT_H

/* Runs the subcommand with its own arguments (argv[0] is "predict"). Returns the process exit
 * code: 0 ok, 1 failure (a one-line message on stderr), 2 bad usage. */
int predict_main(int argc, char **argv);

#endif
