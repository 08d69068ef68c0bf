/* SPDX-License-Identifier: Apache-2.0
 * adapter/rw_decode.c -- hand-written protobuf wire decoder for remote write 1.0 and 2.0
 * (see rw_decode.h). It walks the body once (twice for 2.0: symbols, then series), checks every
 * length against what is left, skips unknown fields, accepts packed and unpacked repeated
 * scalars, and refuses a known field sent with the wrong wire type, as protobuf-c does. */
#include "adapter/rw_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

typedef struct cur {
    const uint8_t *p, *end;
} cur;

#define FAIL(req, ...)                                                   \
    do {                                                                 \
        snprintf((req)->reason, sizeof (req)->reason, __VA_ARGS__);      \
        return -MAI_EPROTO;                                              \
    } while (0)

static inline int rd_varint(cur *c, uint64_t *out)
{
    const uint8_t *p = c->p;
    if (p < c->end && *p < 0x80) {
        *out = *p;
        c->p = p + 1;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p >= c->end)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return -1;      /* past 64 bits: an 11-byte or overflowing varint */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *out = v;
            c->p = p;
            return 0;
        }
    }
    return -1;
}

static inline int rd_fixed64(cur *c, uint64_t *out)
{
    if (c->end - c->p < 8)
        return -1;
    uint64_t v;
    memcpy(&v, c->p, 8);    /* the wire is little-endian, as is every target we build for */
    c->p += 8;
    *out = v;
    return 0;
}

static inline int rd_len(cur *c, cur *sub)
{
    uint64_t n;
    if (rd_varint(c, &n) != 0 || n > (uint64_t)(c->end - c->p))
        return -1;
    sub->p = c->p;
    sub->end = c->p + n;
    c->p += n;
    return 0;
}

static inline int rd_tag(cur *c, uint32_t *field, uint32_t *wt)
{
    uint64_t t;
    if (rd_varint(c, &t) != 0 || t > UINT32_MAX)
        return -1;
    *field = (uint32_t)(t >> 3);
    *wt = (uint32_t)(t & 7);
    return *field == 0 ? -1 : 0;
}

/* Skips one field's value; groups are refused (no message of ours uses them). */
static int skip(cur *c, uint32_t wt)
{
    uint64_t v;
    cur sub;
    switch (wt) {
    case WT_VARINT: return rd_varint(c, &v);
    case WT_I64: return rd_fixed64(c, &v);
    case WT_LEN: return rd_len(c, &sub);
    case WT_I32:
        if (c->end - c->p < 4)
            return -1;
        c->p += 4;
        return 0;
    default: return -1;
    }
}

static int grow(void **arr, uint32_t *cap, size_t elem, uint32_t need)
{
    if (need <= *cap)
        return 0;
    uint64_t ncap = *cap ? (uint64_t)*cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        return -MAI_ENOMEM;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p)
        return -MAI_ENOMEM;
    *arr = p;
    *cap = (uint32_t)ncap;
    return 0;
}

#define ENSURE(req, arr, n, cap, need)                                              \
    do {                                                                            \
        if ((need) > (req)->cap) {                                                  \
            int rc_ = grow((void **)&(req)->arr, &(req)->cap, sizeof *(req)->arr, (need)); \
            if (rc_ != 0)                                                           \
                return rc_;                                                         \
        }                                                                           \
    } while (0)

void rw_request_init(rw_request *req)
{
    memset(req, 0, sizeof *req);
}

void rw_request_free(rw_request *req)
{
    if (!req)
        return;
    free(req->series);
    free(req->labels);
    free(req->samples);
    free(req->meta);
    free(req->symbols);
    rw_request_init(req);
}

static void reset(rw_request *req)
{
    req->nseries = req->nlabels = req->nsamples = req->nmeta = req->nsymbols = 0;
    req->histograms = req->exemplars = 0;
    req->invalid_series = req->invalid_samples = 0;
    memset(req->invalid_by_reason, 0, sizeof req->invalid_by_reason);
    req->reason[0] = '\0';
}

static const char *const invalid_text[RW_INVALID__COUNT] = {
    [RW_VALID] = "valid",
    [RW_INVALID_NO_NAME] = "series without metric name (__name__)",
    [RW_INVALID_EMPTY_LABEL_NAME] = "series with an empty label name",
    [RW_INVALID_DUPLICATE_LABEL] = "series with a duplicate label name",
    [RW_INVALID_TOO_MANY_LABELS] = "series with more labels than --max-labels-per-series",
    [RW_INVALID_LABEL_TOO_LONG] = "label name or value longer than --max-label-bytes",
    [RW_INVALID_BAD_REF] = "labels_refs odd or outside the symbols table",
    [RW_INVALID_MIXED] = "series with both samples and histograms",
    [RW_INVALID_BAD_UTF8] = "label name or value not valid UTF-8",
};

static const char *const invalid_metric[RW_INVALID__COUNT] = {
    [RW_VALID] = "valid",
    [RW_INVALID_NO_NAME] = "no_metric_name",
    [RW_INVALID_EMPTY_LABEL_NAME] = "empty_label_name",
    [RW_INVALID_DUPLICATE_LABEL] = "duplicate_label",
    [RW_INVALID_TOO_MANY_LABELS] = "too_many_labels",
    [RW_INVALID_LABEL_TOO_LONG] = "label_too_long",
    [RW_INVALID_BAD_REF] = "bad_symbol_ref",
    [RW_INVALID_MIXED] = "samples_and_histograms",
    [RW_INVALID_BAD_UTF8] = "invalid_utf8",
};

const char *rw_invalid_text(int code)
{
    return code >= 0 && code < RW_INVALID__COUNT ? invalid_text[code] : "invalid series";
}

const char *rw_invalid_metric_reason(int code)
{
    return code >= 0 && code < RW_INVALID__COUNT ? invalid_metric[code] : "invalid";
}

/* Quotes the metric name (or the first label) of a series into the reason, bounded. */
static void describe(rw_request *req, const rw_series *s, int code)
{
    const rw_label *l = s->nlabels ? req->labels + s->label0 : NULL;   /* no array yet: NULL */
    mai_str what = {"", 0};
    for (uint32_t i = 0; i < s->nlabels; i++) {
        if (mai_str_eq_cstr(l[i].name, "__name__")) {
            what = l[i].value;
            break;
        }
    }
    if (what.n == 0 && s->nlabels > 0)
        what = l[0].value;
    char q[65];     /* label bytes are anything: keep the reason one printable line */
    uint32_t n = what.n > 64 ? 64 : what.n;
    for (uint32_t i = 0; i < n; i++)
        q[i] = (unsigned char)what.p[i] < 0x20 || what.p[i] == 0x7f ? '?' : what.p[i];
    q[n] = '\0';
    snprintf(req->reason, sizeof req->reason, "%s (series %u, \"%s%s\")", rw_invalid_text(code),
             req->nseries, q, what.n > 64 ? "..." : "");
}

/* 1 when s is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
 * ASCII, the common case, is checked 8 bytes at a time. */
static int utf8_valid(mai_str s)
{
    const unsigned char *p = (const unsigned char *)s.p, *end = p + s.n;
    while (p < end) {
        if (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if ((w & 0x8080808080808080ULL) == 0) {
                p += 8;
                continue;
            }
        }
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t k;
        unsigned lo = 0x80, hi = 0xbf;      /* the allowed range of the second byte */
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80;
            hi = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf;
        } else {
            return 0;
        }
        if ((size_t)(end - p) <= k || p[1] < lo || p[1] > hi)
            return 0;
        for (size_t i = 2; i <= k; i++)
            if ((p[i] & 0xc0) != 0x80)
                return 0;
        p += k + 1;
    }
    return 1;
}

/* Drops empty-valued labels (absent by definition), sorts by name and checks the label rules.
 * Sorting is an insertion sort: label sets are short and almost always sorted already. */
static int check_labels(rw_request *req, rw_series *s, const rw_limits *lim)
{
    rw_label *l = s->nlabels ? req->labels + s->label0 : NULL;   /* no array yet: NULL */
    uint32_t n = 0;
    int bad = RW_VALID;
    for (uint32_t i = 0; i < s->nlabels; i++) {
        if (l[i].name.n > lim->max_label_bytes || l[i].value.n > lim->max_label_bytes)
            bad = bad ? bad : RW_INVALID_LABEL_TOO_LONG;
        if (!bad && (!utf8_valid(l[i].name) || !utf8_valid(l[i].value)))
            bad = RW_INVALID_BAD_UTF8;
        if (l[i].name.n == 0) {
            bad = bad ? bad : RW_INVALID_EMPTY_LABEL_NAME;
            continue;
        }
        if (l[i].value.n == 0)
            continue;
        l[n++] = l[i];
    }
    req->nlabels -= s->nlabels - n;
    s->nlabels = n;
    if (n > lim->max_labels_per_series)     /* before sorting: keeps the sort O(n * limit) */
        return bad ? bad : RW_INVALID_TOO_MANY_LABELS;
    for (uint32_t i = 1; i < n; i++) {
        if (mai_str_cmp(l[i - 1].name, l[i].name) <= 0)
            continue;
        rw_label x = l[i];
        uint32_t j = i;
        while (j > 0 && mai_str_cmp(l[j - 1].name, x.name) > 0) {
            l[j] = l[j - 1];
            j--;
        }
        l[j] = x;
    }
    int has_name = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && !bad && mai_str_eq(l[i - 1].name, l[i].name))
            bad = RW_INVALID_DUPLICATE_LABEL;
        if (mai_str_eq_cstr(l[i].name, "__name__"))
            has_name = 1;
    }
    if (!bad && !has_name)
        bad = RW_INVALID_NO_NAME;
    if (!bad && s->nsamples > 0 && s->nhistograms > 0)
        bad = RW_INVALID_MIXED;
    return bad;
}

static void mark_invalid(rw_request *req, rw_series *s, int code)
{
    s->invalid = (uint8_t)code;
    if (req->invalid_series == 0)
        describe(req, s, code);
    req->invalid_series++;
    req->invalid_samples += s->nsamples;
    req->invalid_by_reason[code]++;
}

/* message Sample { double value = 1; int64 timestamp = 2; int64 start_timestamp = 3 (2.0); }
 * v2: field 3 is known (start_timestamp); in 1.0 it is an unknown field, skipped. */
static int decode_sample(rw_request *req, cur *c, const rw_limits *lim, int v2)
{
    if (req->nsamples >= lim->max_samples) {
        snprintf(req->reason, sizeof req->reason, "more than %u samples in one request",
                 lim->max_samples);
        return -MAI_ETOOBIG;
    }
    ENSURE(req, samples, nsamples, cap_samples, req->nsamples + 1);
    rw_sample *sm = &req->samples[req->nsamples];
    uint64_t bits = 0, ts = 0;
    /* Fast path: the canonical encoding 09 <8 bytes> 10 <varint>. */
    if (c->end - c->p >= 10 && c->p[0] == 0x09 && c->p[9] == 0x10) {
        memcpy(&bits, c->p + 1, 8);
        c->p += 10;
        if (rd_varint(c, &ts) != 0)
            FAIL(req, "malformed sample timestamp");
    }
    while (c->p < c->end) {
        uint32_t f, wt;
        if (rd_tag(c, &f, &wt) != 0)
            FAIL(req, "malformed sample field tag");
        if (f == 1) {
            if (wt != WT_I64 || rd_fixed64(c, &bits) != 0)
                FAIL(req, "malformed sample value");
        } else if (f == 2 || (f == 3 && v2)) {
            uint64_t v;
            if (wt != WT_VARINT || rd_varint(c, &v) != 0)
                FAIL(req, "malformed sample timestamp");
            if (f == 2)
                ts = v;
        } else if (skip(c, wt) != 0) {
            FAIL(req, "malformed unknown field in sample");
        }
    }
    memcpy(&sm->v, &bits, 8);
    sm->t_ms = (int64_t)ts;
    req->nsamples++;
    return 0;
}

/* message Label { string name = 1; string value = 2; } */
static int decode_label(rw_request *req, cur *c)
{
    ENSURE(req, labels, nlabels, cap_labels, req->nlabels + 1);
    rw_label *l = &req->labels[req->nlabels];
    l->name.p = l->value.p = "";
    l->name.n = l->value.n = 0;
    while (c->p < c->end) {
        uint32_t f, wt;
        cur s;
        if (rd_tag(c, &f, &wt) != 0)
            FAIL(req, "malformed label field tag");
        if (f == 1 || f == 2) {
            if (wt != WT_LEN || rd_len(c, &s) != 0)
                FAIL(req, "malformed label %s", f == 1 ? "name" : "value");
            mai_str *dst = f == 1 ? &l->name : &l->value;
            dst->p = (const char *)s.p;
            dst->n = (uint32_t)(s.end - s.p);
        } else if (skip(c, wt) != 0) {
            FAIL(req, "malformed unknown field in label");
        }
    }
    req->nlabels++;
    return 0;
}

static int begin_series(rw_request *req, const rw_limits *lim, rw_series **out)
{
    if (req->nseries >= lim->max_series) {
        snprintf(req->reason, sizeof req->reason, "more than %u series in one request",
                 lim->max_series);
        return -MAI_ETOOBIG;
    }
    ENSURE(req, series, nseries, cap_series, req->nseries + 1);
    rw_series *s = &req->series[req->nseries];
    memset(s, 0, sizeof *s);
    s->label0 = req->nlabels;
    s->sample0 = req->nsamples;
    s->meta_type = -1;
    *out = s;
    return 0;
}

static void end_series(rw_request *req, rw_series *s, const rw_limits *lim, int bad)
{
    if (!bad)
        bad = check_labels(req, s, lim);
    if (bad)
        mark_invalid(req, s, bad);
    req->histograms += s->nhistograms;
    req->exemplars += s->nexemplars;
    req->nseries++;
}

/* message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2;
 *                      repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; } */
static int decode_series_v1(rw_request *req, cur *c, const rw_limits *lim)
{
    rw_series *s;
    int rc = begin_series(req, lim, &s);
    if (rc != 0)
        return rc;
    while (c->p < c->end) {
        uint32_t f, wt;
        cur sub;
        if (rd_tag(c, &f, &wt) != 0)
            FAIL(req, "malformed timeseries field tag");
        if (f >= 1 && f <= 4) {
            if (wt != WT_LEN || rd_len(c, &sub) != 0)
                FAIL(req, "malformed timeseries field %u", f);
            if (f == 1) {
                if ((rc = decode_label(req, &sub)) != 0)
                    return rc;
                s->nlabels++;
            } else if (f == 2) {
                if ((rc = decode_sample(req, &sub, lim, 0)) != 0)
                    return rc;
                s->nsamples++;
            } else if (f == 3) {
                s->nexemplars++;
            } else {
                s->nhistograms++;
            }
        } else if (skip(c, wt) != 0) {
            FAIL(req, "malformed unknown field in timeseries");
        }
    }
    end_series(req, s, lim, RW_VALID);
    return 0;
}

/* message MetricMetadata { MetricType type = 1; string metric_family_name = 2;
 *                          string help = 4; string unit = 5; } */
static int decode_meta_v1(rw_request *req, cur *c)
{
    ENSURE(req, meta, nmeta, cap_meta, req->nmeta + 1);
    rw_metadata *m = &req->meta[req->nmeta];
    m->family.p = "";
    m->family.n = 0;
    m->type = 0;
    while (c->p < c->end) {
        uint32_t f, wt;
        cur s;
        uint64_t v;
        if (rd_tag(c, &f, &wt) != 0)
            FAIL(req, "malformed metadata field tag");
        if (f == 1) {
            if (wt != WT_VARINT || rd_varint(c, &v) != 0)
                FAIL(req, "malformed metadata type");
            m->type = (int32_t)v;
        } else if (f == 2 || f == 4 || f == 5) {
            if (wt != WT_LEN || rd_len(c, &s) != 0)
                FAIL(req, "malformed metadata field %u", f);
            if (f == 2) {
                m->family.p = (const char *)s.p;
                m->family.n = (uint32_t)(s.end - s.p);
            }
        } else if (skip(c, wt) != 0) {
            FAIL(req, "malformed unknown field in metadata");
        }
    }
    req->nmeta++;
    return 0;
}

/* message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2;
 *                        repeated MetricMetadata metadata = 3; } */
int rw_decode_v1(rw_request *req, const uint8_t *body, size_t n, const rw_limits *lim)
{
    reset(req);
    cur c = {body, body + n};
    while (c.p < c.end) {
        uint32_t f, wt;
        cur sub;
        int rc;
        if (rd_tag(&c, &f, &wt) != 0)
            FAIL(req, "malformed field tag in WriteRequest");
        if (f == 1 || f == 3) {
            if (wt != WT_LEN || rd_len(&c, &sub) != 0)
                FAIL(req, "malformed %s in WriteRequest", f == 1 ? "timeseries" : "metadata");
            rc = f == 1 ? decode_series_v1(req, &sub, lim) : decode_meta_v1(req, &sub);
            if (rc != 0)
                return rc;
        } else if (skip(&c, wt) != 0) {
            FAIL(req, "malformed unknown field in WriteRequest");
        }
    }
    return 0;
}

/* ---- remote write 2.0 ---- */

static int add_ref(rw_request *req, uint64_t ref, uint32_t *pending, int *bad)
{
    /* Refs come in (name, value) pairs; a label is added once its value ref arrives. */
    if (ref >= req->nsymbols) {
        *bad = RW_INVALID_BAD_REF;
        return 0;
    }
    if (*pending == UINT32_MAX) {
        *pending = (uint32_t)ref;
        return 0;
    }
    ENSURE(req, labels, nlabels, cap_labels, req->nlabels + 1);
    req->labels[req->nlabels].name = req->symbols[*pending];
    req->labels[req->nlabels].value = req->symbols[ref];
    req->nlabels++;
    *pending = UINT32_MAX;
    return 0;
}

/* message Metadata { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; } */
static int decode_meta_v2(rw_request *req, cur *c, rw_series *s, int *bad)
{
    while (c->p < c->end) {
        uint32_t f, wt;
        uint64_t v;
        if (rd_tag(c, &f, &wt) != 0)
            FAIL(req, "malformed metadata field tag");
        if (f == 1 || f == 3 || f == 4) {
            if (wt != WT_VARINT || rd_varint(c, &v) != 0)
                FAIL(req, "malformed metadata field %u", f);
            if (f == 1)
                s->meta_type = (int32_t)(v > 7 ? 0 : v);
            else if (v >= req->nsymbols)
                *bad = RW_INVALID_BAD_REF;
        } else if (skip(c, wt) != 0) {
            FAIL(req, "malformed unknown field in metadata");
        }
    }
    return 0;
}

/* message TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2;
 *   repeated Histogram histograms = 3; repeated Exemplar exemplars = 4; Metadata metadata = 5;
 *   reserved 6; } */
static int decode_series_v2(rw_request *req, cur *c, const rw_limits *lim)
{
    rw_series *s;
    int rc = begin_series(req, lim, &s);
    if (rc != 0)
        return rc;
    uint32_t pending = UINT32_MAX;
    int bad = RW_VALID;
    uint32_t nrefs = 0;
    while (c->p < c->end) {
        uint32_t f, wt;
        cur sub;
        uint64_t v;
        if (rd_tag(c, &f, &wt) != 0)
            FAIL(req, "malformed timeseries field tag");
        if (f == 1 && wt == WT_VARINT) {
            if (rd_varint(c, &v) != 0)
                FAIL(req, "malformed labels_refs");
            if ((rc = add_ref(req, v, &pending, &bad)) != 0)
                return rc;
            nrefs++;
        } else if (f == 1 && wt == WT_LEN) {
            if (rd_len(c, &sub) != 0)
                FAIL(req, "malformed packed labels_refs");
            while (sub.p < sub.end) {
                if (rd_varint(&sub, &v) != 0)
                    FAIL(req, "malformed packed labels_refs");
                if ((rc = add_ref(req, v, &pending, &bad)) != 0)
                    return rc;
                nrefs++;
            }
        } else if (f >= 2 && f <= 5) {
            if (wt != WT_LEN || rd_len(c, &sub) != 0)
                FAIL(req, "malformed timeseries field %u", f);
            if (f == 2) {
                if ((rc = decode_sample(req, &sub, lim, 1)) != 0)
                    return rc;
                s->nsamples++;
            } else if (f == 3) {
                s->nhistograms++;
            } else if (f == 4) {
                s->nexemplars++;
            } else if ((rc = decode_meta_v2(req, &sub, s, &bad)) != 0) {
                return rc;
            }
        } else if (f == 1) {
            FAIL(req, "malformed labels_refs wire type %u", wt);
        } else if (skip(c, wt) != 0) {
            FAIL(req, "malformed unknown field in timeseries");
        }
    }
    if (nrefs % 2 != 0)
        bad = bad ? bad : RW_INVALID_BAD_REF;
    s->nlabels = req->nlabels - s->label0;
    end_series(req, s, lim, bad);
    return 0;
}

/* message Request { reserved 1 to 3; repeated string symbols = 4;
 *                   repeated TimeSeries timeseries = 5; } */
int rw_decode_v2(rw_request *req, const uint8_t *body, size_t n, const rw_limits *lim)
{
    reset(req);
    cur c = {body, body + n};
    while (c.p < c.end) {       /* pass 1: the symbols table, wherever it is */
        uint32_t f, wt;
        cur sub;
        if (rd_tag(&c, &f, &wt) != 0)
            FAIL(req, "malformed field tag in Request");
        if (f == 4 || f == 5) {
            if (wt != WT_LEN || rd_len(&c, &sub) != 0)
                FAIL(req, "malformed %s in Request", f == 4 ? "symbol" : "timeseries");
            if (f == 4) {
                ENSURE(req, symbols, nsymbols, cap_symbols, req->nsymbols + 1);
                req->symbols[req->nsymbols].p = (const char *)sub.p;
                req->symbols[req->nsymbols].n = (uint32_t)(sub.end - sub.p);
                req->nsymbols++;
            }
        } else if (skip(&c, wt) != 0) {
            FAIL(req, "malformed unknown field in Request");
        }
    }
    if (req->nsymbols > 0 && req->symbols[0].n != 0)
        FAIL(req, "symbols[0] must be the empty string");
    c.p = body;
    while (c.p < c.end) {       /* pass 2: the series; framing was checked in pass 1 */
        uint32_t f = 0, wt = 0;
        cur sub;
        int rc;
        (void)rd_tag(&c, &f, &wt);
        if (f == 5) {
            (void)rd_len(&c, &sub);
            if ((rc = decode_series_v2(req, &sub, lim)) != 0)
                return rc;
        } else {
            (void)skip(&c, wt);
        }
    }
    return 0;
}
