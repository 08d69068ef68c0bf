/* SPDX-License-Identifier: Apache-2.0
 * adapter/rw_decode.h -- zero-allocation streaming decoder for remote write 1.0
 * (prometheus.WriteRequest) and 2.0 (io.prometheus.write.v2.Request) bodies, written from the
 * field numbers. The result is views into the body plus flat arrays in a reusable rw_request,
 * which only grows (a worker thread keeps one, so the steady state allocates nothing).
 * A wire error rejects the whole body; a well-formed series that breaks a label rule is marked
 * invalid with a reason and the rest of the request stays usable. */
#ifndef MAI_ADAPTER_RW_DECODE_H
#define MAI_ADAPTER_RW_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "models/base.h"

typedef struct rw_label {
    mai_str name, value;
} rw_label;

typedef struct rw_sample {
    double v;
    int64_t t_ms;
} rw_sample;

/* Why a series was refused (0 = valid). */
enum rw_invalid {
    RW_VALID = 0,
    RW_INVALID_NO_NAME,          /* no __name__ label, or an empty one */
    RW_INVALID_EMPTY_LABEL_NAME,
    RW_INVALID_DUPLICATE_LABEL,
    RW_INVALID_TOO_MANY_LABELS,
    RW_INVALID_LABEL_TOO_LONG,
    RW_INVALID_BAD_REF,          /* v2: labels_refs odd or out of the symbols table */
    RW_INVALID_MIXED,            /* v2: samples and histograms in one series */
    RW_INVALID_BAD_UTF8,         /* a label name or value that is not valid UTF-8 */
    RW_INVALID__COUNT
};

typedef struct rw_series {
    uint32_t label0, nlabels;    /* req->labels[label0 .. label0 + nlabels), sorted by name */
    uint32_t sample0, nsamples;  /* req->samples[sample0 .. sample0 + nsamples) */
    uint32_t nhistograms, nexemplars;
    int32_t meta_type;           /* v2 metadata type (rw_metric_type), -1 when absent */
    uint8_t invalid;             /* enum rw_invalid */
} rw_series;

/* Metric types, same numbers in 1.0 MetricMetadata and 2.0 Metadata. */
enum rw_metric_type {
    RW_TYPE_UNKNOWN = 0, RW_TYPE_COUNTER = 1, RW_TYPE_GAUGE = 2, RW_TYPE_HISTOGRAM = 3,
    RW_TYPE_GAUGEHISTOGRAM = 4, RW_TYPE_SUMMARY = 5, RW_TYPE_INFO = 6, RW_TYPE_STATESET = 7
};

typedef struct rw_metadata {
    mai_str family;
    int32_t type;
} rw_metadata;

typedef struct rw_limits {
    uint32_t max_labels_per_series;  /* more: series invalid */
    uint32_t max_label_bytes;        /* a longer name or value: series invalid */
    uint32_t max_series;             /* more series entries in one request: wire error */
    uint32_t max_samples;            /* more samples in one request: wire error */
} rw_limits;

/* Decoded request. Views point into the body given to rw_decode_*: valid while it lives and
 * until the next decode into this request. */
typedef struct rw_request {
    rw_series *series;     uint32_t nseries, cap_series;
    rw_label *labels;      uint32_t nlabels, cap_labels;
    rw_sample *samples;    uint32_t nsamples, cap_samples;
    rw_metadata *meta;     uint32_t nmeta, cap_meta;
    mai_str *symbols;      uint32_t nsymbols, cap_symbols;
    uint64_t histograms;         /* histograms seen (not stored) */
    uint64_t exemplars;          /* exemplars seen (accepted, not stored) */
    uint32_t invalid_series;     /* series with invalid != 0 */
    uint32_t invalid_samples;    /* samples in those series */
    uint32_t invalid_by_reason[RW_INVALID__COUNT];
    char reason[256];            /* wire error, or the first invalid series' reason */
} rw_request;

void rw_request_init(rw_request *req);
void rw_request_free(rw_request *req);

/* Decodes a 1.0 / 2.0 body. Returns 0 (invalid series may still be marked), -MAI_EPROTO with
 * req->reason for a malformed body, -MAI_ETOOBIG when limits on counts are passed, -MAI_ENOMEM.
 * Cost O(body bytes + labels * max_labels_per_series) in the worst case (label sets are sorted
 * only when within the limit); no allocation once warm. */
int rw_decode_v1(rw_request *req, const uint8_t *body, size_t n, const rw_limits *lim);
int rw_decode_v2(rw_request *req, const uint8_t *body, size_t n, const rw_limits *lim);

/* Short text for an rw_invalid code ("series without metric name (__name__)"). */
const char *rw_invalid_text(int code);

/* Label rules name for self-metrics ("no_name", "duplicate_label", ...). */
const char *rw_invalid_metric_reason(int code);

#endif
