/* SPDX-License-Identifier: Apache-2.0
 * adapter/write_handler.c -- the remote write request path after HTTP: negotiate, decompress,
 * decode, ingest, count, answer (see write_handler.h). Answers follow the receiver checklist:
 * 204 when everything was written, 400 with the first reason when anything was not, 413 over
 * limits, 415 for unknown media types or encodings, 503 when memory runs out (retryable; a
 * resend is idempotent because exact duplicates are accepted). */
#include "adapter/write_handler.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "adapter/log.h"
#include "adapter/selfstats.h"

/* ---- per-thread decode buffers ---- */

/* A worker keeps its decompression buffer for the next request up to this size. */
#define KEEP_DECODE_BYTES (16u << 20)

typedef struct write_worker {
    rw_request req;
    store_scratch *scratch;
    char *buf;
    size_t cap;
} write_worker;

static pthread_key_t worker_key;
static pthread_once_t worker_once = PTHREAD_ONCE_INIT;

static void worker_free(void *p)
{
    write_worker *w = p;
    if (!w)
        return;
    rw_request_free(&w->req);
    store_scratch_destroy(w->scratch);
    atomic_fetch_sub(&g_selfstats.decode_buffer_bytes, w->cap);
    free(w->buf);
    free(w);
}

static void worker_key_init(void)
{
    pthread_key_create(&worker_key, worker_free);
}

static write_worker *worker_get(void)
{
    pthread_once(&worker_once, worker_key_init);
    write_worker *w = pthread_getspecific(worker_key);
    if (w)
        return w;
    w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    rw_request_init(&w->req);
    w->scratch = store_scratch_create();
    if (!w->scratch || pthread_setspecific(worker_key, w) != 0) {
        store_scratch_destroy(w->scratch);
        free(w);
        return NULL;
    }
    return w;
}

static void release_buffer(write_worker *w)
{
    atomic_fetch_sub(&g_selfstats.decode_buffer_bytes, w->cap);
    free(w->buf);
    w->buf = NULL;
    w->cap = 0;
}

void write_worker_release(void)
{
    pthread_once(&worker_once, worker_key_init);
    write_worker *w = pthread_getspecific(worker_key);
    if (w) {
        pthread_setspecific(worker_key, NULL);
        worker_free(w);
    }
}

/* ---- negotiation ---- */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Case-insensitive compare of [p, p+n) with a token, ignoring trailing blanks in the range. */
static int token_eq(const char *p, size_t n, const char *tok)
{
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return strlen(tok) == n && strncasecmp(p, tok, n) == 0;
}

static void reply_415(write_reply *r, const char *what, const char *value)
{
    r->status = 415;
    snprintf(r->text, sizeof r->text, "unsupported %s \"%.100s\": send application/x-protobuf "
             "(proto=prometheus.WriteRequest or io.prometheus.write.v2.Request) with "
             "Content-Encoding: snappy", what, value);
}

/* Version from the Content-Type's media type and proto= parameter; -1 when unsupported. */
static int version_of(const char *content_type)
{
    if (!content_type || !*skip_ws(content_type))
        return VER_1;
    const char *p = skip_ws(content_type);
    const char *semi = strchr(p, ';');
    size_t mlen = semi ? (size_t)(semi - p) : strlen(p);
    if (!token_eq(p, mlen, "application/x-protobuf"))
        return -1;
    int version = VER_1;
    while (semi) {
        p = skip_ws(semi + 1);
        semi = strchr(p, ';');
        size_t plen = semi ? (size_t)(semi - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        if (!eq || !token_eq(p, (size_t)(eq - p), "proto"))
            continue;
        const char *v = skip_ws(eq + 1);
        size_t vlen = (size_t)(p + plen - v);
        while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
            v++;
            vlen -= 2;
        }
        if (vlen == strlen("prometheus.WriteRequest") &&
            memcmp(v, "prometheus.WriteRequest", vlen) == 0)
            version = VER_1;
        else if (vlen == strlen("io.prometheus.write.v2.Request") &&
                 memcmp(v, "io.prometheus.write.v2.Request", vlen) == 0)
            version = VER_2;
        else
            return -1;
    }
    return version;
}

int write_negotiate(const char *content_type, const char *content_encoding, write_reply *r)
{
    memset(r, 0, sizeof *r);
    r->version = VER_UNKNOWN;
    int version = version_of(content_type);
    if (version < 0) {
        reply_415(r, "Content-Type", content_type);
        return -MAI_ENOTSUP;
    }
    r->version = version;
    r->written_headers = version == VER_2;      /* a 2.0 sender gets its counts even on a 415 */
    if (content_encoding && *skip_ws(content_encoding) &&
        !token_eq(skip_ws(content_encoding), strlen(skip_ws(content_encoding)), "snappy")) {
        reply_415(r, "Content-Encoding", content_encoding);
        return -MAI_ENOTSUP;
    }
    return 0;
}

/* ---- processing ---- */

static const unsigned char framed_magic[10] = {0xff, 0x06, 0x00, 0x00, 0x73,
                                               0x4e, 0x61, 0x50, 0x70, 0x59};

static void fail(write_reply *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(write_reply *r, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->status = status;
    vsnprintf(r->text, sizeof r->text, fmt, ap);
    va_end(ap);
}

/* Decompresses into the worker buffer. Returns 0, or fills r and returns -1. */
static int uncompress(const write_env *env, write_worker *w, const uint8_t *body, size_t n,
                      size_t *out_n, write_reply *r)
{
    if (n == 0) {
        fail(r, 400, "empty body: expected a snappy-compressed protobuf message");
        return -1;
    }
    if (n >= sizeof framed_magic && memcmp(body, framed_magic, sizeof framed_magic) == 0) {
        fail(r, 400, "snappy framed stream: remote write uses the snappy block format");
        return -1;
    }
    size_t len;
    if (snappy_uncompressed_length((const char *)body, n, &len) != SNAPPY_OK) {
        fail(r, 400, "corrupt snappy block: unreadable length header");
        return -1;
    }
    if (len > env->max_decoded_bytes) {
        fail(r, 413, "snappy block declares %zu bytes uncompressed, over the limit of %zu "
             "(--max-decoded-bytes)", len, env->max_decoded_bytes);
        return -1;
    }
    if (len > w->cap) {
        size_t cap = w->cap ? w->cap : 64 * 1024;
        while (cap < len)
            cap *= 2;
        char *b = realloc(w->buf, cap);
        if (!b) {
            fail(r, 503, "out of memory decompressing the body; retry later");
            return -1;
        }
        selfstats_add(&g_selfstats.decode_buffer_bytes, cap - w->cap);
        w->buf = b;
        w->cap = cap;
    }
    size_t got = len;
    if (len > 0 && snappy_uncompress((const char *)body, n, w->buf, &got) != SNAPPY_OK) {
        fail(r, 400, "corrupt snappy block: decompression failed");
        return -1;
    }
    if (len == 0 && n != 1) {
        fail(r, 400, "corrupt snappy block: data after an empty block");
        return -1;
    }
    *out_n = got;
    return 0;
}

static const int invalid_to_reject[RW_INVALID__COUNT] = {
    [RW_INVALID_NO_NAME] = REJ_NO_METRIC_NAME,
    [RW_INVALID_EMPTY_LABEL_NAME] = REJ_EMPTY_LABEL_NAME,
    [RW_INVALID_DUPLICATE_LABEL] = REJ_DUPLICATE_LABEL,
    [RW_INVALID_TOO_MANY_LABELS] = REJ_TOO_MANY_LABELS,
    [RW_INVALID_LABEL_TOO_LONG] = REJ_LABEL_TOO_LONG,
    [RW_INVALID_BAD_REF] = REJ_BAD_SYMBOL_REF,
    [RW_INVALID_MIXED] = REJ_SAMPLES_AND_HISTOGRAMS,
    [RW_INVALID_BAD_UTF8] = REJ_INVALID_UTF8,
};

/* Counts per reason and builds the 400 text when anything was not written. */
static void account(const rw_request *req, const store_result *res, write_reply *r)
{
    selfstats *st = &g_selfstats;
    selfstats_add(&st->samples_received, req->nsamples);
    selfstats_add(&st->samples_accepted, res->accepted);
    selfstats_add(&st->samples_duplicate, res->duplicates);
    selfstats_add(&st->stale_markers, res->stale_markers);
    selfstats_add(&st->samples_rejected[REJ_OUT_OF_ORDER], res->out_of_order);
    selfstats_add(&st->samples_rejected[REJ_DUPLICATE_TIMESTAMP], res->conflicts);
    selfstats_add(&st->samples_rejected[REJ_SERIES_LIMIT], res->series_limit);
    selfstats_add(&st->samples_rejected[REJ_TIMESTAMP_RANGE], res->bad_timestamp);
    selfstats_add(&st->series_created, res->new_series);
    selfstats_add(&st->series_kind_changes, res->kind_changes);
    if (res->kind_changes)
        log_msg(LOG_INFO, "%u series changed between counter and gauge with new metric metadata; "
                "their history restarts (metrics_ai_series_kind_changes_total)", res->kind_changes);
    selfstats_add(&st->metadata_received, req->nmeta);
    uint64_t exemplars_ok = 0;
    for (uint32_t i = 0; i < req->nseries; i++) {
        const rw_series *s = &req->series[i];
        if (s->invalid)
            selfstats_add(&st->samples_rejected[invalid_to_reject[s->invalid]], s->nsamples);
        else
            exemplars_ok += s->nexemplars;
    }
    selfstats_add(&st->exemplars_received, req->exemplars);
    selfstats_add(&st->histograms_dropped, req->histograms);

    r->samples_written = res->accepted;
    r->histograms_written = 0;
    r->exemplars_written = exemplars_ok;
    uint64_t lost = req->invalid_samples + res->out_of_order + res->conflicts + res->series_limit +
                    res->bad_timestamp;
    if (lost == 0 && req->histograms == 0 && req->invalid_series == 0) {
        r->status = 204;
        return;
    }
    r->status = 400;
    int k = snprintf(r->text, sizeof r->text, "%llu of %u samples not written",
                     (unsigned long long)lost, req->nsamples);
    size_t cap = sizeof r->text;
#define PART(cond, ...)                                                                   \
    if ((cond) && k > 0 && (size_t)k < cap)                                               \
        k += snprintf(r->text + k, cap - (size_t)k, __VA_ARGS__)
    PART(req->invalid_series, "; %u series refused: %s", req->invalid_series, req->reason);
    PART(res->out_of_order, "; %llu out of order (older than the series' newest sample)",
         (unsigned long long)res->out_of_order);
    PART(res->conflicts, "; %llu with the newest sample's timestamp but another value",
         (unsigned long long)res->conflicts);
    PART(res->series_limit, "; %u new series refused: series limit reached (--max-series)",
         res->refused_series);
    PART(res->bad_timestamp, "; %llu with a timestamp more than 2^53 ms from 1970",
         (unsigned long long)res->bad_timestamp);
    PART(req->histograms, "; %llu native histograms dropped: not supported",
         (unsigned long long)req->histograms);
#undef PART
}

void write_process(const write_env *env, const uint8_t *body, size_t n, write_reply *r)
{
    int version = r->version;
    r->written_headers = version == VER_2;
    r->samples_written = r->histograms_written = r->exemplars_written = 0;
    r->text[0] = '\0';
    write_worker *w = worker_get();
    if (!w) {
        fail(r, 503, "out of memory; retry later");
        return;
    }
    size_t len;
    if (uncompress(env, w, body, n, &len, r) != 0)
        return;
    const uint8_t *msg = (const uint8_t *)w->buf;
    int rc = version == VER_2 ? rw_decode_v2(&w->req, msg, len, &env->limits)
                              : rw_decode_v1(&w->req, msg, len, &env->limits);
    if (rc == -MAI_EPROTO) {
        r->status = 400;
        snprintf(r->text, sizeof r->text, "malformed %s: %s",
                 version == VER_2 ? "io.prometheus.write.v2.Request" : "prometheus.WriteRequest",
                 w->req.reason);
        return;
    }
    if (rc == -MAI_ETOOBIG) {
        r->status = 413;
        snprintf(r->text, sizeof r->text, "request too large: %s", w->req.reason);
        return;
    }
    if (rc != 0) {
        fail(r, 503, "out of memory decoding the request; retry later");
        return;
    }
    if (env->debug_delay_ms) {  /* an artificially slow ingest, for the overload test */
        struct timespec ts = {.tv_sec = env->debug_delay_ms / 1000,
                              .tv_nsec = (long)(env->debug_delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    if (w->req.nmeta)
        store_set_metadata(env->st, w->req.meta, w->req.nmeta);
    store_result res;
    rc = store_ingest(env->st, &w->req, w->scratch, &res);
    account(&w->req, &res, r);
    if (rc != 0) {
        r->status = 503;
        snprintf(r->text, sizeof r->text, "out of memory storing samples; retry later");
    }
    if (w->cap > KEEP_DECODE_BYTES)     /* one huge request must not pin its buffer */
        release_buffer(w);
}
