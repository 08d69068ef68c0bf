/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_rw_decode.c -- libFuzzer target: each input goes to rw_decode_v1/v2 and to
 * protobuf-c's unpack of the same bytes; abort() when they disagree on accept/reject beyond the
 * documented differences below, or on the decoded content.
 *
 * The oracle (everything but the entry point and the seed writer at the end) is also compiled
 * into tests/unit/test_rw_decode.c, which includes this file with RW_ORACLE_ONLY defined.
 * With -DRW_FUZZ_SEEDS the file instead builds a main() that writes seed bodies into a directory.
 *
 * Accept/reject: rw_decode and protobuf-c 1.4.1 agree except for these documented differences,
 * each one a flag of a schema-aware wire walker (w_accepts) that says what either side must do:
 *   rw_decode accepts, protobuf-c refuses
 *     W_SHALLOW    exemplars and histograms are counted, not parsed: rw_decode checks only their
 *                  framing, so bad contents inside one do not refuse the body (deliberate: they
 *                  are never stored).
 *     W_PC_TAG5    protobuf-c refuses a tag varint longer than 5 bytes, W_PC_LEN5 a length
 *                  prefix longer than 5 bytes. Padded (non-minimal) varints are valid protobuf
 *                  (Go's protowire and gogo accept them); rw_decode is right.
 *   protobuf-c accepts, rw_decode refuses
 *     W_PC_TAGNUM  protobuf-c keeps only 32 bits of a tag's field number and takes field number 0
 *                  when it is spelled in more than one byte (80 00). Valid field numbers are
 *                  1 .. 2^29-1; rw_decode is right.
 *     W_PC_VARINT  protobuf-c takes a 10-byte varint whose last byte is above 1 (a value past
 *                  64 bits) and drops the excess; rw_decode refuses it, as Go's protowire does.
 *     W_SYM0       rw_decode_v2 refuses symbols[0] != "" (a MUST of remote write 2.0; not a
 *                  wire rule, protobuf-c has no reason to care).
 *   Count limits (-MAI_ETOOBIG) are out of reach: the oracle's limits cannot be hit.
 * Content: remote write 1.0 is compared exactly. For 2.0 three things differ by design, so a
 * fuzzed 2.0 body is compared one way only (a series rw_decode accepts must be valid, with the
 * same labels, per protobuf-c; bodies made by protobuf-c itself are compared exactly):
 *   - a labels_refs / help_ref / unit_ref value wider than 32 bits: protobuf-c truncates it (the
 *     proto uint32 rule), rw_decode marks the series RW_INVALID_BAD_REF (stricter, no aliasing);
 *   - Metadata given twice: protobuf-c keeps the later message's type even when the later one
 *     omits it, rw_decode the last type on the wire (the protobuf merge rule);
 *   - a type field that is absent is -1 in rw_decode, 0 (UNSPECIFIED) in protobuf-c.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/rw_decode.h"
#include "models/base.h"
#include "remote.pb-c.h"
#include "types.pb-c.h"
#include "write_v2.pb-c.h"

#ifndef RW_FUZZ_SEEDS

/* ---- protobuf-c allocator that remembers sizes (protobuf-c strings lose their length) ---- */

#define SZ_HDR 16

static void *sz_alloc(void *data, size_t size)
{
    (void)data;
    uint8_t *p = malloc(size + SZ_HDR);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    return p + SZ_HDR;
}

static void sz_free(void *data, void *p)
{
    (void)data;
    if (p)
        free((uint8_t *)p - SZ_HDR);
}

static ProtobufCAllocator sz_allocator = {sz_alloc, sz_free, NULL};

/* Length of a string unpacked with sz_allocator: it allocates len + 1 for a string of len. */
static size_t pc_strlen(const char *s)
{
    if (s == NULL || s == protobuf_c_empty_string)
        return 0;
    size_t n;
    memcpy(&n, s - SZ_HDR, sizeof n);
    return n - 1;
}

/* ---- schema-aware wire walker: what each side must accept ------------------------------- */

#define W_SHALLOW   0x01u   /* rw_decode: exemplars, histograms not parsed */
#define W_SYM0      0x02u   /* rw_decode_v2: symbols[0] must be "" */
#define W_PC_TAG5   0x04u   /* protobuf-c: tag of at most 5 bytes */
#define W_PC_TAGNUM 0x08u   /* protobuf-c: 32-bit field number, field 0 only refused in 1 byte */
#define W_PC_LEN5   0x10u   /* protobuf-c: length prefix of at most 5 bytes */
#define W_PC_VARINT 0x20u   /* protobuf-c: a 10-byte varint may pass 64 bits */
#define W_RW (W_SHALLOW | W_SYM0)
#define W_PC (W_PC_TAG5 | W_PC_TAGNUM | W_PC_LEN5 | W_PC_VARINT)
#define W_NFLAGS 6

enum { K_VARINT, K_I64, K_LEN, K_MSG, K_RVARINT, K_RI64 };
enum {
    T_WR, T_TS1, T_LABEL, T_SAMPLE1, T_EX1, T_HIST1, T_SPAN, T_META1,
    T_REQ2, T_TS2, T_SAMPLE2, T_EX2, T_HIST2, T_META2, T__N
};

typedef struct wfield {
    uint32_t f;
    uint8_t kind, sub;
} wfield;

typedef struct wmsg {
    const wfield *fields;
    size_t n;
    int shallow;    /* skipped by rw_decode (W_SHALLOW) */
} wmsg;

/* Field numbers and types from proto/types.proto, remote.proto and write_v2.proto. */
static const wfield f_wr[] = {{1, K_MSG, T_TS1}, {3, K_MSG, T_META1}};
static const wfield f_ts1[] = {{1, K_MSG, T_LABEL}, {2, K_MSG, T_SAMPLE1}, {3, K_MSG, T_EX1},
                               {4, K_MSG, T_HIST1}};
static const wfield f_label[] = {{1, K_LEN, 0}, {2, K_LEN, 0}};
static const wfield f_sample1[] = {{1, K_I64, 0}, {2, K_VARINT, 0}};
static const wfield f_ex1[] = {{1, K_MSG, T_LABEL}, {2, K_I64, 0}, {3, K_VARINT, 0}};
#define HIST_FIELDS                                                                         \
    {1, K_VARINT, 0}, {2, K_I64, 0}, {3, K_I64, 0}, {4, K_VARINT, 0}, {5, K_I64, 0},        \
    {6, K_VARINT, 0}, {7, K_I64, 0}, {8, K_MSG, T_SPAN}, {9, K_RVARINT, 0}, {10, K_RI64, 0}, \
    {11, K_MSG, T_SPAN}, {12, K_RVARINT, 0}, {13, K_RI64, 0}, {14, K_VARINT, 0},            \
    {15, K_VARINT, 0}, {16, K_RI64, 0}
static const wfield f_hist1[] = {HIST_FIELDS};
static const wfield f_hist2[] = {HIST_FIELDS, {17, K_VARINT, 0}};
static const wfield f_span[] = {{1, K_VARINT, 0}, {2, K_VARINT, 0}};
static const wfield f_meta1[] = {{1, K_VARINT, 0}, {2, K_LEN, 0}, {4, K_LEN, 0}, {5, K_LEN, 0}};
static const wfield f_req2[] = {{4, K_LEN, 0}, {5, K_MSG, T_TS2}};
static const wfield f_ts2[] = {{1, K_RVARINT, 0}, {2, K_MSG, T_SAMPLE2}, {3, K_MSG, T_HIST2},
                               {4, K_MSG, T_EX2}, {5, K_MSG, T_META2}};
static const wfield f_sample2[] = {{1, K_I64, 0}, {2, K_VARINT, 0}, {3, K_VARINT, 0}};
static const wfield f_ex2[] = {{1, K_RVARINT, 0}, {2, K_I64, 0}, {3, K_VARINT, 0}};
static const wfield f_meta2[] = {{1, K_VARINT, 0}, {3, K_VARINT, 0}, {4, K_VARINT, 0}};

#define WMSG(a, sh) {a, sizeof a / sizeof a[0], sh}
static const wmsg w_schema[T__N] = {
    [T_WR] = WMSG(f_wr, 0),         [T_TS1] = WMSG(f_ts1, 0),     [T_LABEL] = WMSG(f_label, 0),
    [T_SAMPLE1] = WMSG(f_sample1, 0), [T_EX1] = WMSG(f_ex1, 1),   [T_HIST1] = WMSG(f_hist1, 1),
    [T_SPAN] = WMSG(f_span, 0),     [T_META1] = WMSG(f_meta1, 0), [T_REQ2] = WMSG(f_req2, 0),
    [T_TS2] = WMSG(f_ts2, 0),       [T_SAMPLE2] = WMSG(f_sample2, 0), [T_EX2] = WMSG(f_ex2, 1),
    [T_HIST2] = WMSG(f_hist2, 1),   [T_META2] = WMSG(f_meta2, 0),
};

typedef struct wcur {
    const uint8_t *p, *end;
} wcur;

typedef struct wctx {
    unsigned flags;
    uint32_t nsym;
    uint64_t sym0_len;
} wctx;

/* A varint of at most 10 bytes; *nb = its bytes, *ovf = its value passes 64 bits. */
static int w_raw(wcur *c, uint64_t *v, unsigned *nb, int *ovf)
{
    uint64_t x = 0;
    *ovf = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (c->p >= c->end)
            return -1;
        uint8_t b = *c->p++;
        if (i == 9 && b > 1)
            *ovf = 1;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *v = x;
            *nb = i + 1;
            return 0;
        }
    }
    return -1;
}

static int w_varint(wcur *c, unsigned fl, uint64_t *v)
{
    unsigned nb;
    int ovf;
    if (w_raw(c, v, &nb, &ovf) != 0)
        return -1;
    return ovf && !(fl & W_PC_VARINT) ? -1 : 0;
}

static int w_fixed(wcur *c, size_t n)
{
    if ((size_t)(c->end - c->p) < n)
        return -1;
    c->p += n;
    return 0;
}

static int w_tag(wcur *c, unsigned fl, uint32_t *f, uint32_t *wt)
{
    uint8_t first = *c->p;
    uint64_t t;
    unsigned nb;
    int ovf;
    if (w_raw(c, &t, &nb, &ovf) != 0)
        return -1;
    if ((fl & W_PC_TAG5) && nb > 5)
        return -1;
    *wt = (uint32_t)(t & 7);
    *f = (uint32_t)(t >> 3);
    if (fl & W_PC_TAGNUM)
        return (first & 0xf8) == 0 ? -1 : 0;
    return ovf || t > UINT32_MAX || (t >> 3) == 0 ? -1 : 0;
}

static int w_len(wcur *c, unsigned fl, wcur *sub)
{
    uint64_t n;
    unsigned nb;
    int ovf;
    if (w_raw(c, &n, &nb, &ovf) != 0)
        return -1;
    if ((fl & W_PC_LEN5) ? nb > 5 : ovf)
        return -1;
    if (n > (uint64_t)(c->end - c->p))
        return -1;
    sub->p = c->p;
    sub->end = c->p + n;
    c->p += n;
    return 0;
}

static int w_skip(wcur *c, unsigned fl, uint32_t wt)
{
    uint64_t v;
    wcur s;
    switch (wt) {
    case 0: return w_varint(c, fl, &v);
    case 1: return w_fixed(c, 8);
    case 2: return w_len(c, fl, &s);
    case 5: return w_fixed(c, 4);
    default: return -1;     /* groups (3, 4) and 6, 7: refused by both decoders */
    }
}

static int w_msg(int type, wcur c, wctx *x)
{
    const wmsg *m = &w_schema[type];
    while (c.p < c.end) {
        uint32_t f, wt;
        uint64_t v;
        wcur s;
        if (w_tag(&c, x->flags, &f, &wt) != 0)
            return -1;
        const wfield *fd = NULL;
        for (size_t i = 0; i < m->n; i++)
            if (m->fields[i].f == f)
                fd = &m->fields[i];
        if (!fd) {
            if (w_skip(&c, x->flags, wt) != 0)
                return -1;
            continue;
        }
        switch (fd->kind) {
        case K_VARINT:
            if (wt != 0 || w_varint(&c, x->flags, &v) != 0)
                return -1;
            break;
        case K_I64:
            if (wt != 1 || w_fixed(&c, 8) != 0)
                return -1;
            break;
        case K_LEN:
            if (wt != 2 || w_len(&c, x->flags, &s) != 0)
                return -1;
            if (type == T_REQ2 && x->nsym++ == 0)
                x->sym0_len = (uint64_t)(s.end - s.p);
            break;
        case K_MSG:
            if (wt != 2 || w_len(&c, x->flags, &s) != 0)
                return -1;
            if ((x->flags & W_SHALLOW) && w_schema[fd->sub].shallow)
                break;
            if (w_msg(fd->sub, s, x) != 0)
                return -1;
            break;
        case K_RVARINT:     /* repeated varint scalar: unpacked or packed */
            if (wt == 0) {
                if (w_varint(&c, x->flags, &v) != 0)
                    return -1;
            } else if (wt == 2) {
                if (w_len(&c, x->flags, &s) != 0)
                    return -1;
                while (s.p < s.end)
                    if (w_varint(&s, x->flags, &v) != 0)
                        return -1;
            } else {
                return -1;
            }
            break;
        case K_RI64:        /* repeated double: unpacked or packed (a multiple of 8 bytes) */
            if (wt == 1) {
                if (w_fixed(&c, 8) != 0)
                    return -1;
            } else if (wt == 2) {
                if (w_len(&c, x->flags, &s) != 0 || (s.end - s.p) % 8 != 0)
                    return -1;
            } else {
                return -1;
            }
            break;
        default:
            return -1;
        }
    }
    return 0;
}

/* 1 when a decoder following `flags` accepts the body as message `type` (T_WR or T_REQ2). */
static int w_accepts(int type, const uint8_t *b, size_t n, unsigned flags)
{
    wctx x = {flags, 0, 0};
    wcur c = {b, b + n};
    if (w_msg(type, c, &x) != 0)
        return 0;
    if (type == T_REQ2 && (flags & W_SYM0) && x.nsym > 0 && x.sym0_len != 0)
        return 0;
    return 1;
}

/* ---- content comparison ------------------------------------------------------------------- */

static char g_diff[512];
#define DIFF(...)                                             \
    do {                                                      \
        snprintf(g_diff, sizeof g_diff, __VA_ARGS__);         \
        return g_diff;                                        \
    } while (0)

typedef struct mlab {
    const char *n, *v;
    size_t nn, vn;
} mlab;

static mlab *g_lab;
static size_t g_lab_cap;

static mlab *lab_scratch(size_t n)
{
    if (n > g_lab_cap) {
        size_t cap = n < 64 ? 64 : n * 2;
        mlab *p = realloc(g_lab, cap * sizeof *p);
        if (!p)
            abort();
        g_lab = p;
        g_lab_cap = cap;
    }
    return g_lab;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? c : (an < bn ? -1 : an > bn);
}

static int mlab_cmp(const void *a, const void *b)
{
    const mlab *x = a, *y = b;
    return bytes_cmp(x->n, x->nn, y->n, y->nn);
}

static int same(mai_str s, const char *p, size_t n)
{
    return s.n == n && (n == 0 || memcmp(s.p, p, n) == 0);
}

/* UTF-8 by decoding each code point: the sequence length from the lead byte, continuation bytes
 * 10xxxxxx, then the value must need exactly that length, not be a surrogate, be <= U+10FFFF. */
static int model_utf8(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n)
            return 0;
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
        for (size_t j = 1; j < len; j++) {
            unsigned char d = (unsigned char)s[i + j];
            if ((d >> 6) != 2)
                return 0;
            cp = cp << 6 | (d & 0x3fu);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* The label rules of the remote write specs as rw_decode documents them, written independently:
 * labels with an empty value are absent; the first label in wire order that is too long or has
 * an empty name decides (too long before bad UTF-8 in one label); then the count limit,
 * duplicates, __name__, samples+histograms.
 * Leaves the kept labels sorted in l[0 .. *kept). */
static int model_rules(mlab *l, size_t n, size_t nsamples, size_t nhist, const rw_limits *lim,
                       size_t *kept)
{
    int bad = RW_VALID;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!bad && (l[i].nn > lim->max_label_bytes || l[i].vn > lim->max_label_bytes))
            bad = RW_INVALID_LABEL_TOO_LONG;
        if (!bad && (!model_utf8(l[i].n, l[i].nn) || !model_utf8(l[i].v, l[i].vn)))
            bad = RW_INVALID_BAD_UTF8;
        if (l[i].nn == 0) {
            if (!bad)
                bad = RW_INVALID_EMPTY_LABEL_NAME;
        } else if (l[i].vn != 0) {
            l[k++] = l[i];
        }
    }
    *kept = k;
    if (!bad && k > lim->max_labels_per_series)
        bad = RW_INVALID_TOO_MANY_LABELS;
    if (bad)
        return bad;
    qsort(l, k, sizeof *l, mlab_cmp);
    int has_name = 0;
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && mlab_cmp(&l[i - 1], &l[i]) == 0)
            return RW_INVALID_DUPLICATE_LABEL;
        if (bytes_cmp(l[i].n, l[i].nn, "__name__", 8) == 0)
            has_name = 1;
    }
    if (!has_name)
        return RW_INVALID_NO_NAME;
    if (nsamples > 0 && nhist > 0)
        return RW_INVALID_MIXED;
    return RW_VALID;
}

static int reason_is_one_line(const rw_request *req)
{
    const char *end = memchr(req->reason, '\0', sizeof req->reason);
    if (!end)
        return 0;
    for (const char *p = req->reason; p < end; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* Checks the request's own bookkeeping: ranges, running offsets, invalid counters, reason. */
static const char *check_totals(const rw_request *req)
{
    uint32_t sample0 = 0, inv = 0, inv_samples = 0, by[RW_INVALID__COUNT] = {0};
    uint64_t hist = 0, ex = 0;
    for (uint32_t i = 0; i < req->nseries; i++) {
        const rw_series *s = &req->series[i];
        if (s->sample0 != sample0 || s->label0 > req->nlabels ||
            s->nlabels > req->nlabels - s->label0)
            DIFF("series %u: label/sample ranges out of place", i);
        sample0 += s->nsamples;
        if (s->invalid >= RW_INVALID__COUNT)
            DIFF("series %u: invalid code %u out of range", i, s->invalid);
        if (s->invalid) {
            inv++;
            inv_samples += s->nsamples;
            by[s->invalid]++;
        }
        hist += s->nhistograms;
        ex += s->nexemplars;
    }
    if (sample0 != req->nsamples)
        DIFF("samples stored %u, series hold %u", req->nsamples, sample0);
    if (inv != req->invalid_series || inv_samples != req->invalid_samples)
        DIFF("invalid_series %u/%u, invalid_samples %u/%u", req->invalid_series, inv,
             req->invalid_samples, inv_samples);
    if (memcmp(by, req->invalid_by_reason, sizeof by) != 0)
        DIFF("invalid_by_reason does not add up");
    if (hist != req->histograms || ex != req->exemplars)
        DIFF("histograms %llu/%llu exemplars %llu/%llu", (unsigned long long)req->histograms,
             (unsigned long long)hist, (unsigned long long)req->exemplars,
             (unsigned long long)ex);
    if (!reason_is_one_line(req))
        DIFF("reason is not one line of text");
    if ((inv > 0) != (req->reason[0] != '\0'))
        DIFF("reason \"%s\" with %u invalid series", req->reason, inv);
    return NULL;
}

static const char *diff_samples(const rw_request *req, uint32_t i, size_t n,
                                const uint64_t *bits, const int64_t *ts)
{
    const rw_series *s = &req->series[i];
    if (s->nsamples != n)
        DIFF("series %u: %u samples, protobuf-c %zu", i, s->nsamples, n);
    for (size_t j = 0; j < n; j++) {
        const rw_sample *sm = &req->samples[s->sample0 + j];
        if (mai_double_bits(sm->v) != bits[j] || sm->t_ms != ts[j])
            DIFF("series %u sample %zu: %016llx@%lld, protobuf-c %016llx@%lld", i, j,
                 (unsigned long long)mai_double_bits(sm->v), (long long)sm->t_ms,
                 (unsigned long long)bits[j], (long long)ts[j]);
    }
    return NULL;
}

static uint64_t *g_bits;
static int64_t *g_ts;
static size_t g_samp_cap;

static void samp_scratch(size_t n)
{
    if (n > g_samp_cap) {
        size_t cap = n < 64 ? 64 : n * 2;
        uint64_t *b = realloc(g_bits, cap * sizeof *b);
        if (b)
            g_bits = b;
        int64_t *t = realloc(g_ts, cap * sizeof *t);
        if (!b || !t)
            abort();
        g_ts = t;
        g_samp_cap = cap;
    }
}

static const char *diff_labels(const rw_request *req, uint32_t i, const mlab *l, size_t k)
{
    const rw_series *s = &req->series[i];
    if (s->nlabels != k)
        DIFF("series %u: %u labels, expected %zu", i, s->nlabels, k);
    for (size_t j = 0; j < k; j++) {
        const rw_label *rl = &req->labels[s->label0 + j];
        if (!same(rl->name, l[j].n, l[j].nn) || !same(rl->value, l[j].v, l[j].vn))
            DIFF("series %u label %zu: %.*s=%.*s, expected %.*s=%.*s", i, j, (int)rl->name.n,
                 rl->name.p, (int)rl->value.n, rl->value.p, (int)l[j].nn, l[j].n, (int)l[j].vn,
                 l[j].v);
    }
    return NULL;
}

/* NULL when rw_decode_v1's result equals protobuf-c's unpack of the same body. */
static const char *diff_v1(const rw_request *req, const Prometheus__WriteRequest *w,
                           const rw_limits *lim)
{
    const char *e;
    if (req->nseries != w->n_timeseries || req->nmeta != w->n_metadata || req->nsymbols != 0)
        DIFF("series %u/%zu, metadata %u/%zu, symbols %u", req->nseries, w->n_timeseries,
             req->nmeta, w->n_metadata, req->nsymbols);
    for (uint32_t i = 0; i < req->nseries; i++) {
        const rw_series *s = &req->series[i];
        const Prometheus__TimeSeries *t = w->timeseries[i];
        samp_scratch(t->n_samples);
        for (size_t j = 0; j < t->n_samples; j++) {
            g_bits[j] = mai_double_bits(t->samples[j]->value);
            g_ts[j] = t->samples[j]->timestamp;
        }
        if ((e = diff_samples(req, i, t->n_samples, g_bits, g_ts)) != NULL)
            return e;
        if (s->nexemplars != t->n_exemplars || s->nhistograms != t->n_histograms)
            DIFF("series %u: exemplars %u/%zu histograms %u/%zu", i, s->nexemplars,
                 t->n_exemplars, s->nhistograms, t->n_histograms);
        if (s->meta_type != -1)
            DIFF("series %u: 1.0 series with meta_type %d", i, s->meta_type);
        mlab *l = lab_scratch(t->n_labels);
        for (size_t j = 0; j < t->n_labels; j++) {
            l[j].n = t->labels[j]->name;
            l[j].nn = pc_strlen(t->labels[j]->name);
            l[j].v = t->labels[j]->value;
            l[j].vn = pc_strlen(t->labels[j]->value);
        }
        size_t k;
        int code = model_rules(l, t->n_labels, t->n_samples, t->n_histograms, lim, &k);
        if (s->invalid != code)
            DIFF("series %u: invalid %u (%s), expected %d (%s)", i, s->invalid,
                 rw_invalid_metric_reason(s->invalid), code, rw_invalid_metric_reason(code));
        if (code == RW_VALID && (e = diff_labels(req, i, l, k)) != NULL)
            return e;
    }
    for (uint32_t i = 0; i < req->nmeta; i++) {
        const Prometheus__MetricMetadata *m = w->metadata[i];
        if (req->meta[i].type != (int32_t)m->type ||
            !same(req->meta[i].family, m->metric_family_name, pc_strlen(m->metric_family_name)))
            DIFF("metadata %u: type %d family %.*s, protobuf-c %d %s", i, req->meta[i].type,
                 (int)req->meta[i].family.n, req->meta[i].family.p, (int)m->type,
                 m->metric_family_name);
    }
    return check_totals(req);
}

/* NULL when rw_decode_v2's result agrees with protobuf-c's unpack. exact: the body was packed by
 * protobuf-c (canonical, one Metadata, refs within 32 bits), so validity and metadata type must
 * match exactly; otherwise only a series rw_decode calls valid is checked (see the top). */
static const char *diff_v2(const rw_request *req, const Io__Prometheus__Write__V2__Request *r,
                           const rw_limits *lim, int exact)
{
    const char *e;
    if (req->nsymbols != r->n_symbols || req->nseries != r->n_timeseries || req->nmeta != 0)
        DIFF("symbols %u/%zu, series %u/%zu, metadata %u", req->nsymbols, r->n_symbols,
             req->nseries, r->n_timeseries, req->nmeta);
    for (uint32_t i = 0; i < req->nsymbols; i++)
        if (!same(req->symbols[i], r->symbols[i], pc_strlen(r->symbols[i])))
            DIFF("symbol %u differs", i);
    for (uint32_t i = 0; i < req->nseries; i++) {
        const rw_series *s = &req->series[i];
        const Io__Prometheus__Write__V2__TimeSeries *t = r->timeseries[i];
        samp_scratch(t->n_samples);
        for (size_t j = 0; j < t->n_samples; j++) {
            g_bits[j] = mai_double_bits(t->samples[j]->value);
            g_ts[j] = t->samples[j]->timestamp;
        }
        if ((e = diff_samples(req, i, t->n_samples, g_bits, g_ts)) != NULL)
            return e;
        if (s->nexemplars != t->n_exemplars || s->nhistograms != t->n_histograms)
            DIFF("series %u: exemplars %u/%zu histograms %u/%zu", i, s->nexemplars,
                 t->n_exemplars, s->nhistograms, t->n_histograms);
        const Io__Prometheus__Write__V2__Metadata *md = t->metadata;
        int code = RW_VALID;
        size_t nsym = r->n_symbols, k = 0;
        for (size_t j = 0; j < t->n_labels_refs; j++)
            if (t->labels_refs[j] >= nsym)
                code = RW_INVALID_BAD_REF;
        if (t->n_labels_refs % 2 != 0)
            code = RW_INVALID_BAD_REF;
        if (md && ((md->help_ref != 0 && md->help_ref >= nsym) ||
                   (md->unit_ref != 0 && md->unit_ref >= nsym)))
            code = RW_INVALID_BAD_REF;
        mlab *l = lab_scratch(t->n_labels_refs / 2 + 1);
        if (code == RW_VALID) {
            size_t n = t->n_labels_refs / 2;
            for (size_t j = 0; j < n; j++) {
                const char *nm = r->symbols[t->labels_refs[2 * j]];
                const char *vl = r->symbols[t->labels_refs[2 * j + 1]];
                l[j] = (mlab){nm, vl, pc_strlen(nm), pc_strlen(vl)};
            }
            code = model_rules(l, n, t->n_samples, t->n_histograms, lim, &k);
        }
        if (exact) {
            int32_t ty = md ? (int32_t)md->type : 0;
            int want = ty == 0 ? -1 : (ty < 0 || ty > 7 ? 0 : ty);
            if (s->invalid != code)
                DIFF("series %u: invalid %u (%s), expected %d (%s)", i, s->invalid,
                     rw_invalid_metric_reason(s->invalid), code, rw_invalid_metric_reason(code));
            if (s->meta_type != want)
                DIFF("series %u: meta_type %d, expected %d", i, s->meta_type, want);
        } else if (s->invalid == RW_VALID && code != RW_VALID) {
            DIFF("series %u: valid, protobuf-c's content makes it %s", i,
                 rw_invalid_metric_reason(code));
        } else if (s->invalid != RW_VALID && code == RW_VALID && s->invalid != RW_INVALID_BAD_REF) {
            DIFF("series %u: %s, valid per protobuf-c", i, rw_invalid_metric_reason(s->invalid));
        }
        if (s->invalid == RW_VALID && (e = diff_labels(req, i, l, k)) != NULL)
            return e;
    }
    return check_totals(req);
}

/* ---- the oracle ---------------------------------------------------------------------------- */

typedef struct ostats {
    unsigned long decodes, both_ok, both_bad, rw_only, pc_only;
    unsigned long cause[W_NFLAGS];  /* disagreements explained by each W_ flag (bit index) */
} ostats;

static const char *const w_flag_name[W_NFLAGS] = {
    "exemplar/histogram contents (W_SHALLOW)", "symbols[0] not empty (W_SYM0)",
    "tag over 5 bytes (W_PC_TAG5)", "field number 0 or past 2^29-1 (W_PC_TAGNUM)",
    "length prefix over 5 bytes (W_PC_LEN5)", "varint past 64 bits (W_PC_VARINT)",
};

static const char *check_rc(const rw_request *req, int rc)
{
    if (rc != 0 && rc != -MAI_EPROTO)
        DIFF("rw_decode returned %d (%s): %s", rc, mai_strerror(rc), req->reason);
    if (rc != 0 && (req->reason[0] == '\0' || !reason_is_one_line(req)))
        DIFF("rejected without a one-line reason");
    return NULL;
}

static const char *judge(int type, const uint8_t *b, size_t n, int rw_ok, int pc_ok, ostats *st)
{
    int m_rw = w_accepts(type, b, n, W_RW), m_pc = w_accepts(type, b, n, W_PC);
    if (rw_ok != m_rw)
        DIFF("rw_decode %s a body its documented wire rules %s", rw_ok ? "accepts" : "refuses",
             m_rw ? "accept" : "refuse");
    if (rw_ok != pc_ok && (pc_ok != m_pc || m_rw == m_pc))
        DIFF("rw_decode %s, protobuf-c %s: not a documented difference",
             rw_ok ? "accepts" : "refuses", pc_ok ? "accepts" : "refuses");
    if (st) {
        st->decodes++;
        if (rw_ok == pc_ok) {
            *(rw_ok ? &st->both_ok : &st->both_bad) += 1;
        } else {
            *(rw_ok ? &st->rw_only : &st->pc_only) += 1;
            for (unsigned i = 0; i < W_NFLAGS; i++) {
                unsigned bit = 1u << i, base = (bit & W_RW) ? W_RW : W_PC;
                if (w_accepts(type, b, n, base ^ bit) != w_accepts(type, b, n, base))
                    st->cause[i]++;
            }
        }
    }
    return NULL;
}

/* Decodes body as remote write 1.0 with rw_decode and protobuf-c; NULL when they agree. */
static const char *oracle_v1(rw_request *req, const uint8_t *b, size_t n, const rw_limits *lim,
                             ostats *st, int *rw_ok, int *pc_ok)
{
    int rc = rw_decode_v1(req, b, n, lim);
    const char *e = check_rc(req, rc);
    Prometheus__WriteRequest *w = prometheus__write_request__unpack(&sz_allocator, n, b);
    if (!e)
        e = judge(T_WR, b, n, rc == 0, w != NULL, st);
    if (!e && rc == 0 && w)
        e = diff_v1(req, w, lim);
    if (rw_ok)
        *rw_ok = rc == 0;
    if (pc_ok)
        *pc_ok = w != NULL;
    if (w)
        prometheus__write_request__free_unpacked(w, &sz_allocator);
    return e;
}

/* The same for remote write 2.0; exact as in diff_v2. */
static const char *oracle_v2(rw_request *req, const uint8_t *b, size_t n, const rw_limits *lim,
                             ostats *st, int exact, int *rw_ok, int *pc_ok)
{
    int rc = rw_decode_v2(req, b, n, lim);
    const char *e = check_rc(req, rc);
    Io__Prometheus__Write__V2__Request *r =
        io__prometheus__write__v2__request__unpack(&sz_allocator, n, b);
    if (!e)
        e = judge(T_REQ2, b, n, rc == 0, r != NULL, st);
    if (!e && rc == 0 && r)
        e = diff_v2(req, r, lim, exact);
    if (rw_ok)
        *rw_ok = rc == 0;
    if (pc_ok)
        *pc_ok = r != NULL;
    if (r)
        io__prometheus__write__v2__request__free_unpacked(r, &sz_allocator);
    return e;
}

static void ostats_print(const ostats *st, FILE *f)
{
    fprintf(f, "%lu decodes: both accept %lu, both refuse %lu; only rw_decode accepts %lu, "
               "only protobuf-c accepts %lu\n",
            st->decodes, st->both_ok, st->both_bad, st->rw_only, st->pc_only);
    for (unsigned i = 0; i < W_NFLAGS; i++)
        if (st->cause[i])
            fprintf(f, "  explained by %s: %lu\n", w_flag_name[i], st->cause[i]);
}

#endif /* !RW_FUZZ_SEEDS */

/* ---- libFuzzer entry point ----------------------------------------------------------------- */

#if !defined(RW_ORACLE_ONLY) && !defined(RW_FUZZ_SEEDS)

static ostats g_fuzz_stats;

static void print_fuzz_stats(void)
{
    fprintf(stderr, "fuzz_rw_decode: ");
    ostats_print(&g_fuzz_stats, stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rw_request req;  /* zeroed = rw_request_init; reused across inputs on purpose */
    static const rw_limits lim = {.max_labels_per_series = 8, .max_label_bytes = 32,
                                  .max_series = UINT32_MAX, .max_samples = UINT32_MAX};
    static int once;
    if (!once) {
        once = 1;
        atexit(print_fuzz_stats);
    }
    const char *e = oracle_v1(&req, data, size, &lim, &g_fuzz_stats, NULL, NULL);
    if (e) {
        fprintf(stderr, "fuzz_rw_decode (1.0): %s\n", e);
        abort();
    }
    e = oracle_v2(&req, data, size, &lim, &g_fuzz_stats, 0, NULL, NULL);
    if (e) {
        fprintf(stderr, "fuzz_rw_decode (2.0): %s\n", e);
        abort();
    }
    return 0;
}

#endif

/* ---- seed corpus writer (-DRW_FUZZ_SEEDS) ------------------------------------------------- */

#ifdef RW_FUZZ_SEEDS

static void put_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void put_v1(const char *dir, const char *name, const Prometheus__WriteRequest *w)
{
    size_t n = prometheus__write_request__get_packed_size(w);
    uint8_t *b = malloc(n + 1);
    if (!b)
        exit(1);
    prometheus__write_request__pack(w, b);
    put_file(dir, name, b, n);
    free(b);
}

static void put_v2(const char *dir, const char *name, const Io__Prometheus__Write__V2__Request *r)
{
    size_t n = io__prometheus__write__v2__request__get_packed_size(r);
    uint8_t *b = malloc(n + 1);
    if (!b)
        exit(1);
    io__prometheus__write__v2__request__pack(r, b);
    put_file(dir, name, b, n);
    free(b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];

    /* 1.0: two series, special values, metadata, an exemplar and a histogram. */
    Prometheus__Label l[5];
    for (int i = 0; i < 5; i++)
        prometheus__label__init(&l[i]);
    l[0].name = "__name__", l[0].value = "http_requests_total";
    l[1].name = "code", l[1].value = "200";
    l[2].name = "job", l[2].value = "api";
    l[3].name = "__name__", l[3].value = "rpc_seconds";
    l[4].name = "le", l[4].value = "+Inf";
    Prometheus__Label *la[] = {&l[0], &l[1], &l[2]}, *lb[] = {&l[3], &l[4]};
    Prometheus__Sample sm[4];
    const uint64_t bits[4] = {0x3ff8000000000000ULL, MAI_STALE_NAN_BITS, 0x7ff0000000000000ULL,
                              0x8000000000000000ULL};
    const int64_t ts[4] = {1700000000000LL, -1, INT64_MAX, INT64_MIN};
    Prometheus__Sample *sa[4];
    for (int i = 0; i < 4; i++) {
        prometheus__sample__init(&sm[i]);
        memcpy(&sm[i].value, &bits[i], 8);
        sm[i].timestamp = ts[i];
        sa[i] = &sm[i];
    }
    Prometheus__Exemplar ex = PROMETHEUS__EXEMPLAR__INIT;
    ex.n_labels = 1, ex.labels = &la[1], ex.value = 0.25, ex.timestamp = 1700000000001LL;
    Prometheus__Exemplar *exa[] = {&ex};
    Prometheus__BucketSpan span = PROMETHEUS__BUCKET_SPAN__INIT;
    span.offset = -2, span.length = 2;
    Prometheus__BucketSpan *spa[] = {&span};
    int64_t deltas[] = {3, -1};
    double counts[] = {1.5, 2.5};
    Prometheus__Histogram h = PROMETHEUS__HISTOGRAM__INIT;
    h.count_case = PROMETHEUS__HISTOGRAM__COUNT_COUNT_INT, h.count_int = 4;
    h.sum = 9.5, h.schema = 3, h.n_positive_spans = 1, h.positive_spans = spa;
    h.n_positive_deltas = 2, h.positive_deltas = deltas;
    h.n_negative_counts = 2, h.negative_counts = counts, h.timestamp = 1700000000002LL;
    Prometheus__Histogram *ha[] = {&h};
    Prometheus__TimeSeries t[2];
    prometheus__time_series__init(&t[0]);
    prometheus__time_series__init(&t[1]);
    t[0].n_labels = 3, t[0].labels = la, t[0].n_samples = 4, t[0].samples = sa;
    t[0].n_exemplars = 1, t[0].exemplars = exa;
    t[1].n_labels = 2, t[1].labels = lb, t[1].n_histograms = 1, t[1].histograms = ha;
    Prometheus__TimeSeries *ta[] = {&t[0], &t[1]};
    Prometheus__MetricMetadata md = PROMETHEUS__METRIC_METADATA__INIT;
    md.type = PROMETHEUS__METRIC_METADATA__METRIC_TYPE__COUNTER;
    md.metric_family_name = "http_requests_total", md.help = "Requests.", md.unit = "";
    Prometheus__MetricMetadata *mda[] = {&md};
    Prometheus__WriteRequest w = PROMETHEUS__WRITE_REQUEST__INIT;
    w.n_timeseries = 2, w.timeseries = ta, w.n_metadata = 1, w.metadata = mda;
    put_v1(dir, "v1-full", &w);
    w.n_metadata = 0, w.n_timeseries = 1;
    put_v1(dir, "v1-one-series", &w);
    w.n_timeseries = 0, w.n_metadata = 1;
    put_v1(dir, "v1-metadata-only", &w);

    /* 2.0: symbols, packed refs, samples, a histogram series, metadata. */
    char *sym[] = {"", "__name__", "node_cpu_seconds_total", "cpu", "0", "mode", "idle",
                   "Seconds.", "seconds", "rpc_seconds"};
    uint32_t refs_a[] = {1, 2, 3, 4, 5, 6}, refs_b[] = {1, 9};
    Io__Prometheus__Write__V2__Sample s2[2];
    Io__Prometheus__Write__V2__Sample *s2a[2];
    for (int i = 0; i < 2; i++) {
        io__prometheus__write__v2__sample__init(&s2[i]);
        memcpy(&s2[i].value, &bits[i], 8);
        s2[i].timestamp = ts[i];
        s2[i].start_timestamp = i;
        s2a[i] = &s2[i];
    }
    Io__Prometheus__Write__V2__Metadata m2 = IO__PROMETHEUS__WRITE__V2__METADATA__INIT;
    m2.type = IO__PROMETHEUS__WRITE__V2__METADATA__METRIC_TYPE__METRIC_TYPE_COUNTER;
    m2.help_ref = 7, m2.unit_ref = 8;
    Io__Prometheus__Write__V2__Histogram h2 = IO__PROMETHEUS__WRITE__V2__HISTOGRAM__INIT;
    h2.count_case = IO__PROMETHEUS__WRITE__V2__HISTOGRAM__COUNT_COUNT_FLOAT, h2.count_float = 2;
    h2.n_positive_counts = 2, h2.positive_counts = counts;
    Io__Prometheus__Write__V2__Histogram *h2a[] = {&h2};
    Io__Prometheus__Write__V2__Exemplar e2 = IO__PROMETHEUS__WRITE__V2__EXEMPLAR__INIT;
    e2.n_labels_refs = 2, e2.labels_refs = refs_a + 2, e2.value = 1, e2.timestamp = 5;
    Io__Prometheus__Write__V2__Exemplar *e2a[] = {&e2};
    Io__Prometheus__Write__V2__TimeSeries t2[2];
    io__prometheus__write__v2__time_series__init(&t2[0]);
    io__prometheus__write__v2__time_series__init(&t2[1]);
    t2[0].n_labels_refs = 6, t2[0].labels_refs = refs_a, t2[0].n_samples = 2;
    t2[0].samples = s2a, t2[0].metadata = &m2, t2[0].n_exemplars = 1, t2[0].exemplars = e2a;
    t2[1].n_labels_refs = 2, t2[1].labels_refs = refs_b, t2[1].n_histograms = 1;
    t2[1].histograms = h2a;
    Io__Prometheus__Write__V2__TimeSeries *t2a[] = {&t2[0], &t2[1]};
    Io__Prometheus__Write__V2__Request r = IO__PROMETHEUS__WRITE__V2__REQUEST__INIT;
    r.n_symbols = sizeof sym / sizeof sym[0], r.symbols = sym;
    r.n_timeseries = 2, r.timeseries = t2a;
    put_v2(dir, "v2-full", &r);

    /* 2.0 with unpacked labels_refs, written by hand: symbols "", __name__, up; refs 1, 2. */
    static const uint8_t v2_unpacked[] = {0x22, 0x00, 0x22, 0x08, '_', '_', 'n', 'a', 'm', 'e',
                                          '_', '_', 0x22, 0x02, 'u', 'p', 0x2a, 0x11, 0x08,
                                          0x01, 0x08, 0x02, 0x12, 0x0b, 0x09, 0, 0, 0, 0, 0,
                                          0, 0xf0, 0x3f, 0x10, 0x07};
    put_file(dir, "v2-unpacked-refs", v2_unpacked, sizeof v2_unpacked);
    return 0;
}

#endif
