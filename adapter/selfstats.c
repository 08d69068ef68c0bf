/* SPDX-License-Identifier: Apache-2.0
 * adapter/selfstats.c -- the global self-metrics counters and their label names. */
#include "adapter/selfstats.h"

selfstats g_selfstats;

const double selfstats_latency_bounds[SELFSTATS_LATENCY_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

const char *const selfstats_reject_names[REJ__COUNT] = {
    [REJ_OUT_OF_ORDER] = "out_of_order",
    [REJ_DUPLICATE_TIMESTAMP] = "duplicate_timestamp",
    [REJ_SERIES_LIMIT] = "series_limit",
    [REJ_NO_METRIC_NAME] = "no_metric_name",
    [REJ_EMPTY_LABEL_NAME] = "empty_label_name",
    [REJ_DUPLICATE_LABEL] = "duplicate_label",
    [REJ_TOO_MANY_LABELS] = "too_many_labels",
    [REJ_LABEL_TOO_LONG] = "label_too_long",
    [REJ_BAD_SYMBOL_REF] = "bad_symbol_ref",
    [REJ_SAMPLES_AND_HISTOGRAMS] = "samples_and_histograms",
    [REJ_INVALID_UTF8] = "invalid_utf8",
    [REJ_TIMESTAMP_RANGE] = "timestamp_out_of_range",
};

const char *const selfstats_code_names[CODE__COUNT] = {"204", "400", "404", "405", "413", "415",
                                                       "500", "503"};
const char *const selfstats_version_names[VER__COUNT] = {"unknown", "1.0", "2.0"};

int selfstats_code_index(unsigned http_status)
{
    switch (http_status) {
    case 204: return CODE_204;
    case 400: return CODE_400;
    case 404: return CODE_404;
    case 405: return CODE_405;
    case 413: return CODE_413;
    case 415: return CODE_415;
    case 503: return CODE_503;
    default: return CODE_500;
    }
}

void selfstats_observe_request(int version, unsigned http_status, int64_t duration_ns)
{
    if (version < 0 || version >= VER__COUNT)
        version = VER_UNKNOWN;
    selfstats_add(&g_selfstats.requests[version][selfstats_code_index(http_status)], 1);
    double s = (double)duration_ns / 1e9;
    int b = 0;
    while (b < SELFSTATS_LATENCY_BUCKETS && s > selfstats_latency_bounds[b])
        b++;
    if (b < SELFSTATS_LATENCY_BUCKETS)
        selfstats_add(&g_selfstats.latency_bucket[b], 1);
    selfstats_add(&g_selfstats.latency_count, 1);
    selfstats_add(&g_selfstats.latency_sum_ns, duration_ns > 0 ? (uint64_t)duration_ns : 0);
}
