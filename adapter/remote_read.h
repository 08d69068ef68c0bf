/* SPDX-License-Identifier: Apache-2.0
 * adapter/remote_read.h -- POST /api/v1/read (Prometheus remote read) without the HTTP plumbing:
 * the snappy block is checked against --max-decoded-bytes before anything is allocated, the
 * ReadRequest is decoded (protobuf-c), and each query is answered from
 * (a) the store's rings: the fine ring at its step, and the coarse ring's means before the fine
 *     ring's oldest bucket (counters are held, and so served, as per-second rates), and
 * (b) the published forecast curves, as series named metrics_ai_forecast_curve with the source
 *     series' labels plus metric="<source name>" and bound="mean|lower|upper" (a source label
 *     called metric, bound, horizon, quantile or le is renamed exported_<name>, as on /metrics),
 *     with points at most 5 minutes apart (the coarse path is interpolated linearly).
 * Answers are SAMPLES (a snappy ReadResponse) or, when the client lists STREAMED_XOR_CHUNKS first,
 * streamed XOR chunks (frames of ChunkedReadResponse, one series a frame unless it passes
 * RREAD_FRAME_BYTES; the whole stream is built before it is sent).
 * Matchers: EQ, NEQ, RE, NRE; regexes are POSIX extended, fully anchored (^(re)$); a missing
 * label matches as "". Hints are ignored. Callable from any thread. */
#ifndef MAI_ADAPTER_REMOTE_READ_H
#define MAI_ADAPTER_REMOTE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "adapter/store.h"
#include "exporter/results.h"

#define RREAD_CURVE_NAME "metrics_ai_forecast_curve"
#define RREAD_CURVE_MAX_STEP_MS 300000      /* Prometheus' default lookback delta */
#define RREAD_FRAME_BYTES (1u << 20)        /* streamed frames, as Prometheus' server */
#define RREAD_STREAMED_CONTENT_TYPE \
    "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"
#define RREAD_MAX_SAMPLES 2000000           /* per answer over HTTP (~45 bytes each at peak) */

typedef struct rread_env {
    store *st;
    results_box *box;           /* published forecasts; NULL: no curves */
    size_t max_decoded_bytes;   /* larger declared snappy length: 413 */
    size_t max_samples;         /* more samples in one answer: 400 */
} rread_env;

typedef struct rread_reply {
    unsigned status;            /* 200, 400, 413 or 500 */
    char text[512];             /* one-line reason when status != 200 */
    char *body;                 /* 200: the answer (malloc'd, caller frees) */
    size_t len;
    const char *content_type;   /* 200: the answer's Content-Type */
    const char *content_encoding;   /* 200: "snappy" for SAMPLES, NULL for streamed chunks */
    uint64_t series, samples;   /* in the answer, over all queries */
} rread_reply;

/* Handles a whole request body and fills r. Never fails otherwise. */
void rread_process(const rread_env *env, const uint8_t *body, size_t n, rread_reply *r);

#endif
