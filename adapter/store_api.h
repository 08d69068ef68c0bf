/* SPDX-License-Identifier: Apache-2.0
 * adapter/store_api.h -- GET /api/v1/store: what the store holds for one metric, as JSON (labels,
 * kind, sample count, staleness and the newest fine-ring points), so users and tests can see the
 * values metrics-ai models. Runs on an HTTP worker thread; takes shard locks briefly. */
#ifndef MAI_ADAPTER_STORE_API_H
#define MAI_ADAPTER_STORE_API_H

#include <stddef.h>

#include "adapter/store.h"

typedef struct store_api_query {
    const char *metric;     /* metric name; required */
    size_t limit;           /* most series returned */
    size_t points;          /* newest fine points per series */
} store_api_query;

/* Renders the answer into a malloc'd NUL-terminated string (*out, caller frees) and returns the
 * HTTP status: 200, 400 (no metric given; *out holds a JSON error) or 500 (out of memory, *out
 * NULL). */
unsigned store_api_render(store *s, const store_api_query *q, char **out);

#endif
