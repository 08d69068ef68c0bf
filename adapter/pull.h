/* SPDX-License-Identifier: Apache-2.0
 * adapter/pull.h -- the query_range pull client (libcurl + cJSON): backfills the series store
 * from Prometheus / VictoriaMetrics at start, so the models have history on day one. For each
 * catalogue signal it asks `RECORD or (EXPR)` (the recorded series where the recording rule ran,
 * the expression elsewhere) and names every answer RECORD; extra selectors keep their __name__.
 * Long ranges are split into queries under the server's points-per-series limit; 5xx answers and
 * transport failures are retried with exponential backoff; redirects are followed (3 at most);
 * credentials in VM_URL (http://user:pass@host) are used but never logged. The parsing, planning
 * and URL functions take no network and are what the unit tests drive; pull_backfill() does I/O.
 *
 * Ordering: the store drops samples older than a series' newest one, so the backfill runs before
 * the HTTP listener accepts remote writes, and walks each signal's range oldest chunk first. */
#ifndef MAI_ADAPTER_PULL_H
#define MAI_ADAPTER_PULL_H

#include <stddef.h>
#include <stdint.h>

#include "adapter/config.h"
#include "adapter/rw_decode.h"
#include "adapter/signals.h"
#include "adapter/store.h"

/* Prometheus refuses a range query whose (end - start) / step exceeds 11,000 ("exceeded maximum
 * resolution of 11,000 points per timeseries"); VictoriaMetrics allows 30,000 by default. One
 * query asks for at most this many steps per series, so it passes on both. */
#define PULL_MAX_POINTS_PER_SERIES 11000
/* Points wanted in one answer (all series): bounds the answer's size (about 25 bytes of JSON a
 * point) once the first chunk has told how many series a query returns. */
#define PULL_TARGET_POINTS_PER_QUERY 2000000
/* Steps in a signal's first query, before its series count is known. */
#define PULL_FIRST_CHUNK_POINTS 1440
/* Largest answer body accepted. */
#define PULL_MAX_BODY_BYTES ((size_t)512 * 1024 * 1024)
/* Retries: attempts per query, and the backoff before retry k (k = 1, 2, ...):
 * FIRST << (k - 1), at most MAX. */
#define PULL_MAX_ATTEMPTS 4
/* A query refused with a 4xx (a server with lower limits: VictoriaMetrics'
 * -search.maxPointsPerTimeseries, Prometheus' query.max-samples) or too large an answer is asked
 * again over half the range, at most this many times per signal. */
#define PULL_MAX_HALVINGS 4
#define PULL_BACKOFF_FIRST_MS 500
#define PULL_BACKOFF_MAX_MS 8000
#define PULL_CONNECT_TIMEOUT_MS 5000
#define PULL_TIMEOUT_MS 120000

/* A parsed query_range answer: an rw_request ready for store_ingest (labels sorted by name,
 * samples in increasing time, one series per label set) and the JSON tree its label views point
 * into. */
typedef struct pull_matrix {
    rw_request req;
    void *tree;              /* cJSON root; labels view its strings */
    uint64_t points;         /* samples over all series */
    uint32_t unnamed;        /* series dropped: no __name__ (an expression, not a selector) */
    uint32_t merged;         /* series merged into another with the same label set */
} pull_matrix;

void pull_matrix_init(pull_matrix *m);
void pull_matrix_free(pull_matrix *m);     /* and back to the empty state */

/* Parses an answer body of GET /api/v1/query_range into m (freed first). name, when not NULL,
 * becomes every series' __name__ (it must outlive m); otherwise a series keeps the __name__ it
 * came with and one without it is dropped (counted in m->unnamed). Values are decimal strings,
 * "NaN", "+Inf" or "-Inf"; timestamps are seconds (fractions allowed). Empty label values are
 * dropped (Prometheus' meaning of an empty label). Series with the same label set once named
 * (the two sides of `RECORD or EXPR`) are merged in time order, the first one winning a tie.
 * lim bounds labels per series and label bytes (0 = no limit). Returns 0 (an empty result is
 * not an error: m->req.nseries == 0), -MAI_EPROTO with one line in err (bad JSON, status not
 * "success" with the server's error, resultType not "matrix", a malformed series or point,
 * timestamps not increasing, a label limit passed), or -MAI_ENOMEM. */
int pull_parse_matrix(pull_matrix *m, const char *body, size_t n, const char *name,
                      const rw_limits *lim, char *err, size_t errlen);

/* The error text of a Prometheus API error body ({"status":"error","errorType":..,"error":..}),
 * as "errorType: error", or the body's first line (at most 200 bytes). */
void pull_error_text(const char *body, size_t n, char *out, size_t outlen);

/* The query_range endpoint for a VM_URL: the URL itself when it already ends in
 * /api/v1/query_range (the seed's form), otherwise URL + "/api/v1/query_range" (a trailing '/'
 * dropped first), so both "http://vm:8428" and "http://vm:8428/api/v1/query_range" work.
 * Returns 0 or -MAI_EINVAL (does not fit in out). */
int pull_endpoint(const char *vm_url, char *out, size_t outlen);

/* url for messages: credentials in it (http://user:pass@host/...) shown as "***@". */
void pull_url_shown(const char *url, char *out, size_t outlen);

/* The URL of one query: endpoint?query=..&start=..&end=..&step=.. (query percent-encoded; '&'
 * instead of '?' when the endpoint already has a query string). Returns 0 or -MAI_EINVAL. */
int pull_query_url(const char *endpoint, const char *query, int64_t start_s, int64_t end_s,
                   int64_t step_s, char *out, size_t outlen);

/* The PromQL asked for a catalogue signal: "RECORD or (EXPR)". Returns 0 or -MAI_EINVAL. */
int pull_signal_query(const signal_def *sig, char *out, size_t outlen);

/* The backfill range for now_s: [start, end] on multiples of step, end the last one at or before
 * now_s, start = end - hours * 3600 rounded down to whole steps (so hours * 3600 / step + 1
 * points per series when the step divides an hour). */
void pull_range(int64_t now_s, int hours, int64_t step_s, int64_t *start_s, int64_t *end_s);

/* Steps in the next query after one that returned nseries series (0: the first query of a
 * signal): PULL_FIRST_CHUNK_POINTS first, then PULL_TARGET_POINTS_PER_QUERY / nseries, always
 * within [1, PULL_MAX_POINTS_PER_SERIES]. */
int64_t pull_chunk_points(uint32_t nseries, int first);

/* The end of the chunk starting at start_s that asks for at most points steps (both ends
 * included, so points - 1 steps apart), capped at end_s. The next chunk starts one step later. */
int64_t pull_chunk_end(int64_t start_s, int64_t end_s, int64_t step_s, int64_t points);

/* Backoff in ms before retry k (1-based). */
unsigned pull_backoff_ms(unsigned retry);

/* Whether an answer is worth retrying: a transport failure (curl_code != 0: no connection,
 * timeout, reset) or HTTP 5xx / 429. */
int pull_retryable(int curl_code, long http_status);

/* Splits a ';'-separated selector list in place (a ';' inside a quoted label value does not
 * separate): returns the count, sets out[0..count) to the trimmed non-empty items (at most
 * max). */
size_t pull_split_selectors(char *list, char **out, size_t max);

/* Totals of a backfill. */
typedef struct pull_stats {
    uint32_t queries_ok, queries_failed;    /* queries answered / failing after retries */
    uint32_t signals_ok, signals_empty, signals_failed;
    uint64_t series, points;                /* series and points parsed */
    uint64_t accepted, dropped;             /* points the store kept / refused */
    double seconds;                         /* wall time of the whole backfill */
} pull_stats;

typedef struct pull_config {
    const char *vm_url;          /* VM_URL */
    int64_t step_s;              /* STEP */
    int64_t start_s, end_s;      /* range, multiples of step_s (see pull_range) */
    const signals *cat;          /* NULL: the built-in catalogue */
    const char *selectors;       /* ';'-separated extra selectors, or NULL */
    rw_limits lim;               /* labels per series, label bytes */
    long connect_timeout_ms, timeout_ms;   /* 0: the defaults above */
    unsigned max_attempts;       /* 0: PULL_MAX_ATTEMPTS */
} pull_config;

/* Backfills st: each catalogue signal, then each extra selector, each over [start, end] in
 * chunks, oldest first. Logs one line per signal (series, points, points/s) and warns on an
 * empty result. A query refused with a 4xx is asked again over half the range (see
 * PULL_MAX_HALVINGS); a query-side failure that remains (HTTP 4xx, bad JSON, status error, wrong
 * result type) skips that signal; a server-side failure that outlives the retries (no connection, timeout,
 * 5xx) stops the backfill. Stops early when SIGINT or SIGTERM is pending. Returns 0, -MAI_EIO
 * (server failing; err holds one line), -MAI_EINVAL (bad configuration) or -MAI_ENOMEM. */
int pull_backfill(const pull_config *cfg, store *st, pull_stats *stats, char *err,
                  size_t errlen);

/* The serve path's backfill at start from the process configuration (VM_URL, STEP,
 * START_HOURS_AGO, --backfill-selectors, label limits) and the catalogue cat (NULL: built-in):
 * runs pull_backfill and logs a summary.
 * since_s > 0 (unix seconds, e.g. when the restored snapshot was written) moves the range's start
 * up to it, so that only the gap is fetched. Failures are logged, never fatal: the service
 * starts with what it got. */
void pull_backfill_at_start(const mai_config *cfg, const signals *cat, store *st,
                            int64_t since_s);

#endif
