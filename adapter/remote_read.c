/* SPDX-License-Identifier: Apache-2.0
 * adapter/remote_read.c -- Prometheus remote read (see remote_read.h). Per query: the matchers
 * are compiled once, the store is walked (by metric name when an EQ matcher on __name__ gives
 * one) and the published forecast rows are matched; matching series' points in [start, end] are
 * gathered into flat arrays and sorted by label set. A small protobuf writer then writes them as
 * a snappy ReadResponse (SAMPLES: sizes first, then bytes), or as CRC-32C framed
 * ChunkedReadResponse messages of XOR chunks (STREAMED_XOR_CHUNKS). */
#include "adapter/remote_read.h"

#include <math.h>
#include <regex.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/intern.h"
#include "adapter/xor_chunk.h"
#include "remote.pb-c.h"

enum { M_EQ = 0, M_NEQ = 1, M_RE = 2, M_NRE = 3 };

typedef struct matcher {
    int type;
    const char *name, *value;
    regex_t re;
    int has_re;
} matcher;

typedef struct sample {
    int64_t t;
    double v;
} sample;

typedef struct series_out {
    size_t label0, nlabels;     /* pairs in gather.labels */
    size_t sample0, nsamples;   /* in gather.samples */
    const char **lab;           /* set after gathering (the arrays stop moving) */
    size_t msg_bytes;           /* encoded TimeSeries size */
} series_out;

/* One query's answer while it is gathered. */
typedef struct gather {
    int64_t start, end;
    const matcher *m;
    size_t nm;
    series_out *series;
    size_t nseries, series_cap;
    const char **labels;
    size_t nlabels, labels_cap;
    sample *samples;
    size_t nsamples, samples_cap;
    size_t *budget;             /* samples still allowed over the whole answer */
    const char **tmp;           /* a store series' labels as C strings */
    size_t tmp_cap;
    int oom, over;
    size_t msg_bytes;           /* encoded QueryResult size */
} gather;

static void fail(rread_reply *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(rread_reply *r, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->status = status;
    vsnprintf(r->text, sizeof r->text, fmt, ap);
    va_end(ap);
    /* names and values from the request may hold control bytes: the reason stays one line */
    for (char *c = r->text; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* ---------------------------------------------------------------- matchers */

/* The value of label name in a sorted pair list; "" when absent (Prometheus' semantics). */
static const char *label_value(const char *const *lab, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(lab[2 * i], name) == 0)
            return lab[2 * i + 1];
    return "";
}

static int matches(const matcher *m, size_t nm, const char *const *lab, size_t n)
{
    for (size_t i = 0; i < nm; i++) {
        const char *v = label_value(lab, n, m[i].name);
        int ok;
        switch (m[i].type) {
        case M_EQ: ok = strcmp(v, m[i].value) == 0; break;
        case M_NEQ: ok = strcmp(v, m[i].value) != 0; break;
        case M_RE: ok = regexec(&m[i].re, v, 0, NULL, 0) == 0; break;
        default: ok = regexec(&m[i].re, v, 0, NULL, 0) != 0; break;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

static void matchers_free(matcher *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++)
        if (m[i].has_re)
            regfree(&m[i].re);
    free(m);
}

/* Compiles a query's matchers; NULL with r filled on a bad one. */
static matcher *matchers_compile(const Prometheus__Query *q, size_t qi, rread_reply *r)
{
    if (q->n_matchers == 0) {
        fail(r, 400, "query %zu has no matchers", qi);
        return NULL;
    }
    matcher *m = calloc(q->n_matchers, sizeof *m);
    if (!m) {
        fail(r, 500, "out of memory compiling matchers");
        return NULL;
    }
    for (size_t i = 0; i < q->n_matchers; i++) {
        const Prometheus__LabelMatcher *lm = q->matchers[i];
        m[i].type = (int)lm->type;
        m[i].name = lm->name;
        m[i].value = lm->value;
        if (m[i].type < M_EQ || m[i].type > M_NRE) {
            fail(r, 400, "query %zu: matcher on %s has unknown type %d", qi, lm->name,
                 m[i].type);
            matchers_free(m, i);
            return NULL;
        }
        if (m[i].type != M_RE && m[i].type != M_NRE)
            continue;
        size_t len = strlen(lm->value);
        char *anchored = malloc(len + 5);
        if (!anchored) {
            fail(r, 500, "out of memory compiling matchers");
            matchers_free(m, i);
            return NULL;
        }
        snprintf(anchored, len + 5, "^(%s)$", lm->value);
        int rc = regcomp(&m[i].re, anchored, REG_EXTENDED | REG_NOSUB);
        free(anchored);
        if (rc != 0) {
            char why[128];
            regerror(rc, &m[i].re, why, sizeof why);
            fail(r, 400, "query %zu: bad regex in matcher %s%s\"%.200s\": %s (POSIX extended "
                 "syntax)", qi, lm->name, m[i].type == M_RE ? "=~" : "!~", lm->value, why);
            matchers_free(m, i);
            return NULL;
        }
        m[i].has_re = 1;
    }
    return m;
}

/* ---------------------------------------------------------------- gathering */

/* Starts a series with the n label pairs in lab. Returns 0, or -1 (g->oom set). */
static int series_begin(gather *g, const char *const *lab, size_t n)
{
    if (grow((void **)&g->series, &g->series_cap, g->nseries + 1, sizeof *g->series) ||
        grow((void **)&g->labels, &g->labels_cap, g->nlabels + 2 * n, sizeof *g->labels)) {
        g->oom = 1;
        return -1;
    }
    series_out *s = &g->series[g->nseries++];
    memset(s, 0, sizeof *s);
    s->label0 = g->nlabels;
    s->nlabels = n;
    s->sample0 = g->nsamples;
    memcpy(g->labels + g->nlabels, lab, 2 * n * sizeof *lab);
    g->nlabels += 2 * n;
    return 0;
}

/* Adds a point to the newest series. Returns 0, or -1 (oom or over the sample limit). */
static int add_point(gather *g, int64_t t, double v)
{
    if (*g->budget == 0) {
        g->over = 1;
        return -1;
    }
    if (grow((void **)&g->samples, &g->samples_cap, g->nsamples + 1, sizeof *g->samples)) {
        g->oom = 1;
        return -1;
    }
    g->samples[g->nsamples++] = (sample){t, v};
    g->series[g->nseries - 1].nsamples++;
    (*g->budget)--;
    return 0;
}

/* Drops the newest series when it got no point in range. */
static void series_end(gather *g)
{
    series_out *s = &g->series[g->nseries - 1];
    if (s->nsamples == 0) {
        g->nlabels -= 2 * s->nlabels;
        g->nseries--;
    }
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return -floor_div(-a, b);
}

/* A store series' points in [start, end]: the coarse ring's means before the fine ring's oldest
 * bucket, then the fine ring; empty slots skipped. */
static int visit_series(const store_series_view *v, void *arg)
{
    gather *g = arg;
    if (grow((void **)&g->tmp, &g->tmp_cap, 2 * (size_t)v->nlabels, sizeof *g->tmp)) {
        g->oom = 1;
        return 1;
    }
    for (uint32_t i = 0; i < 2 * v->nlabels; i++)
        g->tmp[i] = v->labels[i]->s;
    if (!matches(g->m, g->nm, g->tmp, v->nlabels))
        return 0;
    if (series_begin(g, g->tmp, v->nlabels))
        return 1;
    const ring *f = v->fine;
    const ring_agg *c = v->coarse;
    int64_t fs = v->fine_step_ms, cs = v->coarse_step_ms;
    int64_t fine_first = f->count ? f->last - (int64_t)f->count + 1 : INT64_MAX;
    int64_t fine_t0 = f->count ? fine_first * fs : INT64_MAX;
    if (c->count && cs > 0) {
        int64_t b0 = c->last - (int64_t)c->count + 1, b1 = c->last;
        int64_t lo = ceil_div(g->start, cs), hi = floor_div(g->end, cs);
        b0 = b0 > lo ? b0 : lo;
        b1 = b1 < hi ? b1 : hi;
        for (int64_t b = b0; b <= b1 && b * cs < fine_t0; b++) {
            ring_agg_slot s = ring_agg_get(c, b);
            if (!isnan(s.mean) && add_point(g, b * cs, s.mean))
                return 1;
        }
    }
    if (f->count && fs > 0) {
        int64_t b0 = fine_first, b1 = f->last;
        int64_t lo = ceil_div(g->start, fs), hi = floor_div(g->end, fs);
        b0 = b0 > lo ? b0 : lo;
        b1 = b1 < hi ? b1 : hi;
        for (int64_t b = b0; b <= b1; b++) {
            float x = ring_get(f, b);
            if (!isnan(x) && add_point(g, b * fs, x))
                return 1;
        }
    }
    series_end(g);
    return 0;
}

/* Source labels renamed on forecast series, as on /metrics, plus the curve's own bound. */
static const char *curve_label_name(const char *name)
{
    static const char *const renamed[][2] = {
        {"metric", "exported_metric"}, {"horizon", "exported_horizon"},
        {"quantile", "exported_quantile"}, {"le", "exported_le"}, {"bound", "exported_bound"}};
    for (size_t i = 0; i < sizeof renamed / sizeof renamed[0]; i++)
        if (strcmp(name, renamed[i][0]) == 0)
            return renamed[i][1];
    return name;
}

/* Sorts label pairs by name (insertion sort: label sets are small). */
static void sort_pairs(const char **lab, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const char *a = lab[2 * i], *b = lab[2 * i + 1];
        size_t j = i;
        while (j > 0 && strcmp(lab[2 * (j - 1)], a) > 0) {
            lab[2 * j] = lab[2 * (j - 1)];
            lab[2 * j + 1] = lab[2 * (j - 1) + 1];
            j--;
        }
        lab[2 * j] = a;
        lab[2 * j + 1] = b;
    }
}

/* Linear interpolation of a curve's bound at time t (within the curve's span). */
static double curve_at(const result_curve *cv, const float *y, int64_t t)
{
    double x = (double)(t - cv->start_ms) / (double)cv->step_ms;
    double k = floor(x);
    size_t i = (size_t)k;
    if (i + 1 >= cv->n)
        return y[cv->n - 1];
    double w = x - k;
    return (1 - w) * y[i] + w * y[i + 1];
}

/* One forecast row's curve for one bound: the fine path at its step, then the coarse path after
 * the fine path's end, interpolated at a step <= RREAD_CURVE_MAX_STEP_MS. */
static int curve_points(gather *g, const result_row *row, int bound)
{
    int64_t after = INT64_MIN;      /* the last time emitted or skipped by the fine part */
    const result_curve *f = &row->curve[0];
    if (f->n && f->step_ms > 0) {
        const float *y = bound == 0 ? f->mean : bound == 1 ? f->lower : f->upper;
        for (uint32_t k = 0; k < f->n; k++) {
            int64_t t = f->start_ms + (int64_t)k * f->step_ms;
            after = t;
            if (t < g->start || t > g->end || isnan(y[k]))
                continue;
            if (add_point(g, t, y[k]))
                return -1;
        }
    }
    const result_curve *c = &row->curve[1];
    if (c->n && c->step_ms > 0) {
        const float *y = bound == 0 ? c->mean : bound == 1 ? c->lower : c->upper;
        int64_t per = ceil_div(c->step_ms, RREAD_CURVE_MAX_STEP_MS);
        int64_t step = c->step_ms / per;
        int64_t last = c->start_ms + (int64_t)(c->n - 1) * c->step_ms;
        int64_t from = c->start_ms;
        if (after != INT64_MIN && after >= from)
            from = c->start_ms + (floor_div(after - c->start_ms, step) + 1) * step;
        if (g->start > from)
            from = c->start_ms + ceil_div(g->start - c->start_ms, step) * step;
        for (int64_t t = from; t <= last && t <= g->end; t += step) {
            double v = curve_at(c, y, t);
            if (!isnan(v) && add_point(g, t, v))
                return -1;
        }
    }
    return 0;
}

static void gather_curves(gather *g, const results *res)
{
    static const char *const bounds[3] = {"mean", "lower", "upper"};
    for (size_t i = 0; res && i < res->nrows; i++) {
        const result_row *row = &res->rows[i];
        if (!row->curve[0].n && !row->curve[1].n)
            continue;
        if (grow((void **)&g->tmp, &g->tmp_cap, 2 * ((size_t)row->nlabels + 3), sizeof *g->tmp)) {
            g->oom = 1;
            return;
        }
        size_t n = 0;
        for (uint32_t j = 0; j < row->nlabels; j++) {
            if (strcmp(row->labels[2 * j], "__name__") == 0)
                continue;
            g->tmp[2 * n] = curve_label_name(row->labels[2 * j]);
            g->tmp[2 * n + 1] = row->labels[2 * j + 1];
            n++;
        }
        const char *extra[6] = {"__name__", RREAD_CURVE_NAME, "metric", row->metric, "bound", ""};
        memcpy(g->tmp + 2 * n, extra, sizeof extra);
        n += 3;
        sort_pairs(g->tmp, n);
        size_t bi = 0;          /* the bound label's pair, found by name after the sort */
        while (strcmp(g->tmp[2 * bi], "bound") != 0)
            bi++;
        for (int b = 0; b < 3; b++) {
            g->tmp[2 * bi + 1] = bounds[b];
            if (!matches(g->m, g->nm, g->tmp, n))
                continue;
            if (series_begin(g, g->tmp, n) || curve_points(g, row, b))
                return;
            series_end(g);
        }
    }
}

/* Sorts an answer's series by label set (name, then value, pair by pair). */
static int cmp_series(const void *pa, const void *pb)
{
    const series_out *a = pa, *b = pb;
    size_t n = a->nlabels < b->nlabels ? a->nlabels : b->nlabels;
    for (size_t i = 0; i < 2 * n; i++) {
        int c = strcmp(a->lab[i], b->lab[i]);
        if (c)
            return c;
    }
    return (a->nlabels > b->nlabels) - (a->nlabels < b->nlabels);
}

static void gather_free(gather *g)
{
    free(g->series);
    free(g->labels);
    free(g->samples);
    free(g->tmp);
}

/* ---------------------------------------------------------------- protobuf writer */

static size_t uv_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_uv(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* A length-delimited field's total size for a payload of n bytes (field numbers < 16). */
static size_t ld_len(size_t n)
{
    return 1 + uv_len(n) + n;
}

static size_t label_msg_len(const char *name, const char *value)
{
    return ld_len(strlen(name)) + ld_len(strlen(value));
}

static size_t sample_msg_len(const sample *s)
{
    return 9 + (s->t ? 1 + uv_len((uint64_t)s->t) : 0);
}

/* Sizes of every TimeSeries and of the QueryResult. */
static void gather_sizes(gather *g)
{
    g->msg_bytes = 0;
    for (size_t i = 0; i < g->nseries; i++) {
        series_out *s = &g->series[i];
        size_t n = 0;
        for (size_t j = 0; j < s->nlabels; j++)
            n += ld_len(label_msg_len(s->lab[2 * j], s->lab[2 * j + 1]));
        for (size_t j = 0; j < s->nsamples; j++)
            n += ld_len(sample_msg_len(&g->samples[s->sample0 + j]));
        s->msg_bytes = n;
        g->msg_bytes += ld_len(n);
    }
}

static uint8_t *put_str(uint8_t *p, unsigned field, const char *s)
{
    size_t n = strlen(s);
    *p++ = (uint8_t)(field << 3 | 2);
    p = put_uv(p, n);
    memcpy(p, s, n);
    return p + n;
}

/* ReadResponse{1: QueryResult{1: TimeSeries{1: Label{1 name, 2 value}, 2: Sample{1 double,
 * 2 int64}}}}; proto3 defaults (a zero timestamp) are left out, as protobuf does. */
static uint8_t *put_result(uint8_t *p, const gather *g)
{
    *p++ = 1 << 3 | 2;
    p = put_uv(p, g->msg_bytes);
    for (size_t i = 0; i < g->nseries; i++) {
        const series_out *s = &g->series[i];
        *p++ = 1 << 3 | 2;
        p = put_uv(p, s->msg_bytes);
        for (size_t j = 0; j < s->nlabels; j++) {
            *p++ = 1 << 3 | 2;
            p = put_uv(p, label_msg_len(s->lab[2 * j], s->lab[2 * j + 1]));
            p = put_str(p, 1, s->lab[2 * j]);
            p = put_str(p, 2, s->lab[2 * j + 1]);
        }
        for (size_t j = 0; j < s->nsamples; j++) {
            const sample *x = &g->samples[s->sample0 + j];
            *p++ = 2 << 3 | 2;
            p = put_uv(p, sample_msg_len(x));
            *p++ = 1 << 3 | 1;
            memcpy(p, &x->v, 8);    /* little-endian hosts only, as the ingest decoder */
            p += 8;
            if (x->t) {
                *p++ = 2 << 3 | 0;
                p = put_uv(p, (uint64_t)x->t);
            }
        }
    }
    return p;
}

/* ---------------------------------------------------------------- the request */

static int answer_query(const rread_env *env, const results *res, const Prometheus__Query *q,
                        size_t qi, gather *g, size_t *budget, rread_reply *r)
{
    matcher *m = matchers_compile(q, qi, r);
    if (!m)
        return -1;
    g->start = q->start_timestamp_ms;
    g->end = q->end_timestamp_ms;
    g->m = m;
    g->nm = q->n_matchers;
    g->budget = budget;
    if (g->start <= g->end) {
        mai_str name = {"", 0};
        for (size_t i = 0; i < q->n_matchers; i++)
            if (m[i].type == M_EQ && strcmp(m[i].name, "__name__") == 0)
                name = (mai_str){m[i].value, (uint32_t)strlen(m[i].value)};
        store_visit(env->st, name, visit_series, g);
        if (!g->oom && !g->over)
            gather_curves(g, res);
    }
    matchers_free(m, q->n_matchers);
    if (g->oom) {
        fail(r, 500, "out of memory answering query %zu", qi);
        return -1;
    }
    if (g->over) {
        fail(r, 400, "the answer would hold more than %zu samples: narrow the query's time range "
             "or matchers", env->max_samples);
        return -1;
    }
    for (size_t i = 0; i < g->nseries; i++)
        g->series[i].lab = g->labels + g->series[i].label0;
    if (g->nseries > 1)
        qsort(g->series, g->nseries, sizeof *g->series, cmp_series);
    gather_sizes(g);
    return 0;
}

/* Decompresses the body into a new buffer (*out, caller frees). Returns 0, or fills r. */
static int uncompress_body(const rread_env *env, const uint8_t *body, size_t n, char **out,
                           size_t *out_n, rread_reply *r)
{
    size_t len;
    if (n == 0) {
        fail(r, 400, "empty body: expected a snappy-compressed ReadRequest");
        return -1;
    }
    if (snappy_uncompressed_length((const char *)body, n, &len) != SNAPPY_OK) {
        fail(r, 400, "corrupt snappy block: unreadable length header");
        return -1;
    }
    if (len > env->max_decoded_bytes) {
        fail(r, 413, "snappy block declares %zu bytes uncompressed, over the limit of %zu "
             "(--max-decoded-bytes)", len, env->max_decoded_bytes);
        return -1;
    }
    *out = malloc(len ? len : 1);
    if (!*out) {
        fail(r, 500, "out of memory decompressing the body");
        return -1;
    }
    size_t got = len;
    if (len > 0 && snappy_uncompress((const char *)body, n, *out, &got) != SNAPPY_OK) {
        fail(r, 400, "corrupt snappy block: decompression failed");
        free(*out);
        return -1;
    }
    if (len == 0 && n != 1) {
        fail(r, 400, "corrupt snappy block: data after an empty block");
        free(*out);
        return -1;
    }
    *out_n = got;
    return 0;
}

/* The answer type: the first listed type this server has, SAMPLES when the list is empty
 * (Prometheus' read handler does the same). Returns -1 when none is known. */
static int response_type(const Prometheus__ReadRequest *req)
{
    if (req->n_accepted_response_types == 0)
        return PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__SAMPLES;
    for (size_t i = 0; i < req->n_accepted_response_types; i++) {
        int t = (int)req->accepted_response_types[i];
        if (t == PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__SAMPLES ||
            t == PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__STREAMED_XOR_CHUNKS)
            return t;
    }
    return -1;
}

/* ---------------------------------------------------------------- streamed XOR chunks */

typedef struct bbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} bbuf;

static uint8_t *bb_room(bbuf *b, size_t need)
{
    if (b->oom || grow((void **)&b->p, &b->cap, b->n + need, 1)) {
        b->oom = 1;
        return NULL;
    }
    return b->p + b->n;
}

/* One frame: uvarint(size), the big-endian CRC-32C of the message, then
 * ChunkedReadResponse{1: ChunkedSeries{1: labels (pre-encoded), 2: chunks}, 2: query_index}. */
static void put_frame(bbuf *out, const bbuf *labels, const bbuf *chunks, size_t qi)
{
    size_t series_len = labels->n + chunks->n;
    size_t msg_len = ld_len(series_len) + (qi ? 1 + uv_len(qi) : 0);
    uint8_t *d = bb_room(out, 10 + 4 + msg_len);
    if (!d)
        return;
    uint8_t *p = put_uv(d, msg_len);
    uint8_t *crc_at = p, *msg = p + 4;
    p = msg;
    *p++ = 1 << 3 | 2;
    p = put_uv(p, series_len);
    memcpy(p, labels->p, labels->n);
    p += labels->n;
    memcpy(p, chunks->p, chunks->n);
    p += chunks->n;
    if (qi) {
        *p++ = 2 << 3 | 0;
        p = put_uv(p, qi);
    }
    uint32_t crc = crc32c(msg, msg_len);
    crc_at[0] = (uint8_t)(crc >> 24);
    crc_at[1] = (uint8_t)(crc >> 16);
    crc_at[2] = (uint8_t)(crc >> 8);
    crc_at[3] = (uint8_t)crc;
    out->n += (size_t)(p - d);
}

/* Chunk{1: min_time_ms, 2: max_time_ms, 3: XOR, 4: data} as a ChunkedSeries field 2. */
static void put_chunk(bbuf *b, const xor_chunk *c)
{
    size_t len = xor_chunk_len(c);
    size_t msg = 1 + uv_len((uint64_t)c->min_t) + 1 + uv_len((uint64_t)c->t) + 2 + ld_len(len);
    uint8_t *d = bb_room(b, 1 + 10 + msg);
    if (!d)
        return;
    uint8_t *p = d;
    *p++ = 2 << 3 | 2;
    p = put_uv(p, msg);
    *p++ = 1 << 3 | 0;
    p = put_uv(p, (uint64_t)c->min_t);
    *p++ = 2 << 3 | 0;
    p = put_uv(p, (uint64_t)c->t);
    *p++ = 3 << 3 | 0;
    *p++ = PROMETHEUS__CHUNK__ENCODING__XOR;
    *p++ = 4 << 3 | 2;
    p = put_uv(p, len);
    memcpy(p, c->data, len);
    p += len;
    b->n += (size_t)(p - d);
}

/* A series' frames: its samples cut into chunks of XOR_CHUNK_MAX_SAMPLES, as many chunks a frame
 * as fit in RREAD_FRAME_BYTES (a series spans frames only when it must). */
static void put_series_frames(bbuf *out, const gather *g, const series_out *s, size_t qi,
                              bbuf *labels, bbuf *chunks, xor_chunk *c)
{
    labels->n = 0;
    chunks->n = 0;
    for (size_t j = 0; j < s->nlabels; j++) {
        uint8_t *d = bb_room(labels, 1 + 10 + label_msg_len(s->lab[2 * j], s->lab[2 * j + 1]));
        if (!d)
            return;
        uint8_t *p = d;
        *p++ = 1 << 3 | 2;
        p = put_uv(p, label_msg_len(s->lab[2 * j], s->lab[2 * j + 1]));
        p = put_str(p, 1, s->lab[2 * j]);
        p = put_str(p, 2, s->lab[2 * j + 1]);
        labels->n += (size_t)(p - d);
    }
    xor_chunk_init(c);
    for (size_t j = 0; j <= s->nsamples; j++) {
        int last = j == s->nsamples;
        if (c->n && (last || c->n == XOR_CHUNK_MAX_SAMPLES)) {
            if (chunks->n && chunks->n + xor_chunk_len(c) + 32 > RREAD_FRAME_BYTES) {
                put_frame(out, labels, chunks, qi);
                chunks->n = 0;
            }
            put_chunk(chunks, c);
            xor_chunk_init(c);
        }
        if (!last) {
            const sample *x = &g->samples[s->sample0 + j];
            xor_chunk_append(c, x->t, x->v);
        }
    }
    if (chunks->n)
        put_frame(out, labels, chunks, qi);
}

static void encode_streamed(gather *g, size_t nq, rread_reply *r)
{
    bbuf out = {0}, labels = {0}, chunks = {0};
    xor_chunk *c = malloc(sizeof *c);
    for (size_t i = 0; c && i < nq; i++) {
        for (size_t k = 0; k < g[i].nseries; k++)
            put_series_frames(&out, &g[i], &g[i].series[k], i, &labels, &chunks, c);
        r->series += g[i].nseries;
        r->samples += g[i].nsamples;
    }
    free(c);
    free(labels.p);
    free(chunks.p);
    if (!c || out.oom || labels.oom || chunks.oom) {
        free(out.p);
        fail(r, 500, "out of memory encoding the answer");
        return;
    }
    r->status = 200;
    r->body = out.p ? (char *)out.p : malloc(1);
    r->len = out.n;
    r->content_type = RREAD_STREAMED_CONTENT_TYPE;
    r->content_encoding = NULL;
    if (!r->body)
        fail(r, 500, "out of memory encoding the answer");
}

static void encode_reply(gather *g, size_t nq, rread_reply *r)
{
    size_t total = 0;
    for (size_t i = 0; i < nq; i++)
        total += ld_len(g[i].msg_bytes);
    uint8_t *raw = malloc(total ? total : 1);
    char *z = malloc(snappy_max_compressed_length(total));
    if (!raw || !z) {
        free(raw);
        free(z);
        fail(r, 500, "out of memory encoding the answer");
        return;
    }
    uint8_t *p = raw;
    for (size_t i = 0; i < nq; i++) {
        p = put_result(p, &g[i]);
        r->series += g[i].nseries;
        r->samples += g[i].nsamples;
    }
    size_t zn = snappy_max_compressed_length(total);
    if (snappy_compress((const char *)raw, (size_t)(p - raw), z, &zn) != SNAPPY_OK) {
        free(raw);
        free(z);
        fail(r, 500, "snappy compression of the answer failed");
        return;
    }
    free(raw);
    r->status = 200;
    r->body = z;
    r->len = zn;
    r->content_type = "application/x-protobuf";
    r->content_encoding = "snappy";
}

void rread_process(const rread_env *env, const uint8_t *body, size_t n, rread_reply *r)
{
    memset(r, 0, sizeof *r);
    char *raw;
    size_t raw_n;
    if (uncompress_body(env, body, n, &raw, &raw_n, r))
        return;
    Prometheus__ReadRequest *req =
        prometheus__read_request__unpack(NULL, raw_n, (const uint8_t *)raw);
    free(raw);
    if (!req) {
        fail(r, 400, "malformed ReadRequest: protobuf decoding failed");
        return;
    }
    int type = response_type(req);
    if (type < 0) {
        fail(r, 400, "none of the accepted response types is supported: this server answers "
             "SAMPLES and STREAMED_XOR_CHUNKS");
        prometheus__read_request__free_unpacked(req, NULL);
        return;
    }
    gather *g = calloc(req->n_queries ? req->n_queries : 1, sizeof *g);
    if (!g) {
        fail(r, 500, "out of memory answering the request");
        prometheus__read_request__free_unpacked(req, NULL);
        return;
    }
    const results *res = env->box ? results_acquire(env->box) : NULL;
    size_t budget = env->max_samples;
    int ok = 1;
    for (size_t i = 0; ok && i < req->n_queries; i++)
        ok = answer_query(env, res, req->queries[i], i, &g[i], &budget, r) == 0;
    if (ok && type == PROMETHEUS__READ_REQUEST__RESPONSE_TYPE__STREAMED_XOR_CHUNKS)
        encode_streamed(g, req->n_queries, r);
    else if (ok)
        encode_reply(g, req->n_queries, r);
    if (res)
        results_release(env->box, res);
    for (size_t i = 0; i < req->n_queries; i++)
        gather_free(&g[i]);
    free(g);
    prometheus__read_request__free_unpacked(req, NULL);
}
