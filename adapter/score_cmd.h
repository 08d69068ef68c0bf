/* SPDX-License-Identifier: Apache-2.0
 * adapter/score_cmd.h -- `metrics-ai score`: the streaming anomaly score (models/anomaly.h) over
 * CSV files, one output row per input row. */
#ifndef MAI_ADAPTER_SCORE_CMD_H
#define MAI_ADAPTER_SCORE_CMD_H

/* metrics-ai score --input SERIES.csv [--input ...] --output SCORES.csv [--step S]
 *     [--direction both|up|down] [--min-change X] [--persistence K]
 * (argv[0] is "score"). Returns the exit code: 0 ok, 1 failure (message on stderr), 2 usage. */
int score_main(int argc, char **argv);

#endif
