/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_rw_decode.c -- adapter/rw_decode: 1.0/2.0 round trips through protobuf-c, a seeded
 * differential against protobuf-c's unpack (random requests, then mutated bodies), malformed
 * bodies made by hand, the label rules and count limits at their edges, and request reuse. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The oracle shared with the fuzz target (a wire walker with the documented differences between
 * rw_decode and protobuf-c, and the content comparison); see the top of that file. */
#define RW_ORACLE_ONLY
#include "tests/fuzz/fuzz_rw_decode.c"

/* ---- byte builder ---------------------------------------------------------------------------- */

typedef struct buf {
    uint8_t *b;
    size_t n, cap;
} buf;

static void b_put(buf *w, const void *p, size_t n)
{
    if (w->b == NULL || w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->n + n)
            cap *= 2;
        uint8_t *q = realloc(w->b, cap);
        assert_non_null(q);
        w->b = q;
        w->cap = cap;
    }
    if (n)
        memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void b_byte(buf *w, uint8_t c)
{
    b_put(w, &c, 1);
}

static void b_varint(buf *w, uint64_t v)
{
    while (v >= 0x80) {
        b_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    b_byte(w, (uint8_t)v);
}

static void b_tag(buf *w, uint32_t f, unsigned wt)
{
    b_varint(w, (uint64_t)f << 3 | wt);
}

static void b_uint(buf *w, uint32_t f, uint64_t v)
{
    b_tag(w, f, 0);
    b_varint(w, v);
}

static void b_fixed64(buf *w, uint32_t f, uint64_t bits)
{
    b_tag(w, f, 1);
    for (int i = 0; i < 8; i++)
        b_byte(w, (uint8_t)(bits >> (8 * i)));
}

static void b_bytes(buf *w, uint32_t f, const void *p, size_t n)
{
    b_tag(w, f, 2);
    b_varint(w, n);
    b_put(w, p, n);
}

static void b_str(buf *w, uint32_t f, const char *s)
{
    b_bytes(w, f, s, strlen(s));
}

static void b_msg(buf *w, uint32_t f, const buf *sub)
{
    b_bytes(w, f, sub->b, sub->n);
}

static void b_free(buf *w)
{
    free(w->b);
    memset(w, 0, sizeof *w);
}

__attribute__((format(printf, 2, 3))) static void b_printf(buf *w, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof tmp);
    b_put(w, tmp, (size_t)n);
}

static const char *hex(const uint8_t *b, size_t n)
{
    static char out[3 * 96 + 8];
    size_t o = 0;
    for (size_t i = 0; i < n && i < 96; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%02x ", b[i]);
    snprintf(out + o, sizeof out - o, "%s", n > 96 ? "..." : "");
    return out;
}

/* ---- hand-made messages ---------------------------------------------------------------------- */

#define ONE_BITS 0x3ff0000000000000ULL

/* 1.0 Label as TimeSeries field 1. */
static void h_label(buf *ts, const char *name, const char *value)
{
    buf l = {0};
    b_str(&l, 1, name);
    b_str(&l, 2, value);
    b_msg(ts, 1, &l);
    b_free(&l);
}

/* Sample (1.0 and 2.0) as TimeSeries field 2. */
static void h_sample(buf *ts, uint64_t bits, int64_t t)
{
    buf s = {0};
    b_fixed64(&s, 1, bits);
    b_uint(&s, 2, (uint64_t)t);
    b_msg(ts, 2, &s);
    b_free(&s);
}

/* 1.0 TimeSeries: labels "name", "value", ... up to NULL, nsamples samples (value i, time
 * 1000 + i) and nhist empty histograms. */
static void h_series(buf *body, const char *const *kv, int nsamples, int nhist)
{
    buf ts = {0};
    for (; kv && kv[0]; kv += 2)
        h_label(&ts, kv[0], kv[1]);
    for (int i = 0; i < nsamples; i++) {
        double v = i;
        h_sample(&ts, mai_double_bits(v), 1000 + i);
    }
    for (int i = 0; i < nhist; i++)
        b_bytes(&ts, 4, "", 0);
    b_msg(body, 1, &ts);
    b_free(&ts);
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* 2.0 symbols table. */
static void h2_symbols(buf *body, const char *const *syms)
{
    for (; *syms; syms++)
        b_str(body, 4, *syms);
}

/* 2.0 TimeSeries: packed labels_refs, nsamples samples, nhist empty histograms, and Metadata
 * of meta_type when >= 0. */
static void h2_series(buf *body, const uint32_t *refs, size_t nrefs, int nsamples, int nhist,
                      int meta_type)
{
    buf ts = {0}, packed = {0};
    for (size_t i = 0; i < nrefs; i++)
        b_varint(&packed, refs[i]);
    if (nrefs)
        b_msg(&ts, 1, &packed);
    for (int i = 0; i < nsamples; i++)
        h_sample(&ts, ONE_BITS, 2000 + i);
    for (int i = 0; i < nhist; i++)
        b_bytes(&ts, 3, "", 0);
    if (meta_type >= 0) {
        buf md = {0};
        b_uint(&md, 1, (uint64_t)meta_type);
        b_msg(&ts, 5, &md);
        b_free(&md);
    }
    b_msg(body, 5, &ts);
    b_free(&ts);
    b_free(&packed);
}

#define REFS(...) ((const uint32_t[]){__VA_ARGS__}), (sizeof((const uint32_t[]){__VA_ARGS__}) / 4)

/* ---- decoded-request helpers --------------------------------------------------------------- */

static const rw_limits LIM = {.max_labels_per_series = 64, .max_label_bytes = 4096,
                              .max_series = 100000, .max_samples = 1000000};

typedef struct fx {
    rw_request req;
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    rw_request_init(&f->req);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    rw_request_free(&f->req);
    free(f);
    return 0;
}

static const rw_series *series_at(const rw_request *req, uint32_t i)
{
    if (i >= req->nseries)
        fail_msg("series %u of %u", i, req->nseries);
    return &req->series[i];
}

/* The series' labels are exactly kv ("name", "value", ..., NULL), in that order. */
static void expect_labels(const rw_request *req, uint32_t i, const char *const *kv)
{
    const rw_series *s = series_at(req, i);
    uint32_t n = 0;
    for (const char *const *p = kv; *p; p += 2, n++) {
        if (n >= s->nlabels)
            fail_msg("series %u: %u labels, expected more (%s)", i, s->nlabels, p[0]);
        const rw_label *l = &req->labels[s->label0 + n];
        if (!same(l->name, p[0], strlen(p[0])) || !same(l->value, p[1], strlen(p[1])))
            fail_msg("series %u label %u: %.*s=%.*s, expected %s=%s", i, n, (int)l->name.n,
                     l->name.p, (int)l->value.n, l->value.p, p[0], p[1]);
    }
    if (s->nlabels != n)
        fail_msg("series %u: %u labels, expected %u", i, s->nlabels, n);
}

static void expect_one_line_reason(const rw_request *req)
{
    if (!reason_is_one_line(req))
        fail_msg("reason is not one line of printable text");
}

static void expect_reason_has(const rw_request *req, const char *part)
{
    expect_one_line_reason(req);
    if (!strstr(req->reason, part))
        fail_msg("reason \"%s\" lacks \"%s\"", req->reason, part);
}

/* Canonical text of everything a decode produced, to compare two decodes. */
static void render(const rw_request *req, buf *out)
{
    out->n = 0;
    b_printf(out, "series %u samples %u meta %u symbols %u hist %llu ex %llu invalid %u/%u:",
             req->nseries, req->nsamples, req->nmeta, req->nsymbols,
             (unsigned long long)req->histograms, (unsigned long long)req->exemplars,
             req->invalid_series, req->invalid_samples);
    for (int i = 0; i < RW_INVALID__COUNT; i++)
        b_printf(out, " %u", req->invalid_by_reason[i]);
    b_printf(out, "\nreason %s\n", req->reason);
    for (uint32_t i = 0; i < req->nsymbols; i++) {
        b_put(out, req->symbols[i].p, req->symbols[i].n);
        b_byte(out, '|');
    }
    for (uint32_t i = 0; i < req->nseries; i++) {
        const rw_series *s = &req->series[i];
        b_printf(out, "\n[%u] invalid %u meta %d h %u e %u {", i, s->invalid, s->meta_type,
                 s->nhistograms, s->nexemplars);
        for (uint32_t j = 0; j < s->nlabels; j++) {
            const rw_label *l = &req->labels[s->label0 + j];
            b_put(out, l->name.p, l->name.n);
            b_byte(out, '=');
            b_put(out, l->value.p, l->value.n);
            b_byte(out, ',');
        }
        b_printf(out, "}");
        for (uint32_t j = 0; j < s->nsamples; j++) {
            const rw_sample *sm = &req->samples[s->sample0 + j];
            b_printf(out, " %016llx@%lld", (unsigned long long)mai_double_bits(sm->v),
                     (long long)sm->t_ms);
        }
    }
    for (uint32_t i = 0; i < req->nmeta; i++) {
        b_printf(out, "\nmeta %d ", req->meta[i].type);
        b_put(out, req->meta[i].family.p, req->meta[i].family.n);
    }
}

static void expect_same_render(const rw_request *a, const rw_request *b)
{
    buf ra = {0}, rb = {0};
    render(a, &ra);
    render(b, &rb);
    if (ra.n != rb.n || memcmp(ra.b, rb.b, ra.n) != 0) {
        b_byte(&ra, 0);
        b_byte(&rb, 0);
        print_message("first:\n%s\nsecond:\n%s\n", (char *)ra.b, (char *)rb.b);
        b_free(&ra);
        b_free(&rb);
        fail_msg("the two decodes differ");
    }
    b_free(&ra);
    b_free(&rb);
}

static void pack_v1(const Prometheus__WriteRequest *w, buf *out)
{
    out->n = 0;
    size_t n = prometheus__write_request__get_packed_size(w);
    b_put(out, NULL, 0);
    uint8_t *tmp = malloc(n + 1);
    assert_non_null(tmp);
    assert_int_equal(prometheus__write_request__pack(w, tmp), n);
    b_put(out, tmp, n);
    free(tmp);
}

static void pack_v2(const Io__Prometheus__Write__V2__Request *r, buf *out)
{
    out->n = 0;
    size_t n = io__prometheus__write__v2__request__get_packed_size(r);
    b_put(out, NULL, 0);
    uint8_t *tmp = malloc(n + 1);
    assert_non_null(tmp);
    assert_int_equal(io__prometheus__write__v2__request__pack(r, tmp), n);
    b_put(out, tmp, n);
    free(tmp);
}

/* ---- round trips ----------------------------------------------------------------------------- */

static void test_v1_round_trip_keeps_labels_value_bits_timestamps_and_metadata(void **state)
{
    fx *f = *state;
    enum { NS = 14 };
    static const uint64_t bits[NS] = {
        0x3ff8000000000000ULL, /* 1.5 */
        0x7ff8000000000001ULL, /* Prometheus' NaN */
        0x7ff8000000000000ULL, /* the usual quiet NaN */
        0xfff8000000000000ULL, /* negative NaN */
        MAI_STALE_NAN_BITS,    /* stale marker, a signalling NaN */
        0x7ff0000000000000ULL, /* +Inf */
        0xfff0000000000000ULL, /* -Inf */
        0x8000000000000001ULL, /* negative subnormal (-0.0 is below: protobuf-c drops it) */
        0x0000000000000000ULL, /* +0.0 (omitted on the wire by protobuf-c) */
        0x0000000000000001ULL, /* smallest subnormal */
        0x7fefffffffffffffULL, /* DBL_MAX */
        0xc00c000000000000ULL, /* -3.5 */
        0x4341c37937e08000ULL, /* 1e16 */
        0x3fb999999999999aULL, /* 0.1 */
    };
    static const int64_t ts[NS] = {INT64_MIN, INT64_MIN + 1, -1700000000000LL, -2, -1, 0, 1,
                                   127, 128, 1700000000123LL, INT64_MAX - 1, INT64_MAX,
                                   -128, 16384};
    Prometheus__Sample sm[NS], *smp[NS];
    for (int i = 0; i < NS; i++) {
        prometheus__sample__init(&sm[i]);
        memcpy(&sm[i].value, &bits[i], 8);
        sm[i].timestamp = ts[i];
        smp[i] = &sm[i];
    }
    Prometheus__Label l[7], *la[4], *lb[2], *lc[1];
    const char *kv[7][2] = {{"__name__", "http_requests_total"}, {"code", "200"},
                            {"job", "api"}, {"path", "/\xc3\xbc\xe2\x9c\x93 x"},
                            {"__name__", "up"}, {"instance", "10.0.0.1:9100"},
                            {"__name__", "rpc_seconds"}};
    for (int i = 0; i < 7; i++) {
        prometheus__label__init(&l[i]);
        l[i].name = (char *)kv[i][0];
        l[i].value = (char *)kv[i][1];
    }
    la[0] = &l[0], la[1] = &l[1], la[2] = &l[2], la[3] = &l[3];
    lb[0] = &l[4], lb[1] = &l[5], lc[0] = &l[6];
    Prometheus__Exemplar ex[2], *exp_[2];
    Prometheus__Histogram h = PROMETHEUS__HISTOGRAM__INIT, *hp = &h;
    h.count_case = PROMETHEUS__HISTOGRAM__COUNT_COUNT_INT, h.count_int = 3, h.sum = 1.5;
    for (int i = 0; i < 2; i++) {
        prometheus__exemplar__init(&ex[i]);
        ex[i].n_labels = 1, ex[i].labels = &la[1], ex[i].value = i, ex[i].timestamp = 5 + i;
        exp_[i] = &ex[i];
    }
    Prometheus__TimeSeries t[3], *tp[3];
    for (int i = 0; i < 3; i++) {
        prometheus__time_series__init(&t[i]);
        tp[i] = &t[i];
    }
    t[0].n_labels = 4, t[0].labels = la, t[0].n_samples = NS, t[0].samples = smp;
    t[1].n_labels = 2, t[1].labels = lb, t[1].n_samples = 1, t[1].samples = &smp[0];
    t[2].n_labels = 1, t[2].labels = lc, t[2].n_histograms = 1, t[2].histograms = &hp;
    t[2].n_exemplars = 2, t[2].exemplars = exp_;
    Prometheus__MetricMetadata md[8], *mdp[8];
    static const char *const fam[8] = {"f_unknown", "f_counter", "f_gauge", "f_histogram",
                                       "f_gaugehistogram", "f_summary", "f_info", "f_stateset"};
    for (int i = 0; i < 8; i++) {
        prometheus__metric_metadata__init(&md[i]);
        md[i].type = (Prometheus__MetricMetadata__MetricType)i;
        md[i].metric_family_name = (char *)fam[i];
        md[i].help = "Help text.";
        md[i].unit = i % 2 ? "seconds" : "";
        mdp[i] = &md[i];
    }
    Prometheus__WriteRequest w = PROMETHEUS__WRITE_REQUEST__INIT;
    w.n_timeseries = 3, w.timeseries = tp, w.n_metadata = 8, w.metadata = mdp;
    buf body = {0};
    pack_v1(&w, &body);

    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &LIM), 0);
    const rw_request *req = &f->req;
    assert_int_equal(req->nseries, 3);
    assert_int_equal(req->invalid_series, 0);
    assert_string_equal(req->reason, "");
    expect_labels(req, 0, KV("__name__", "http_requests_total", "code", "200", "job", "api",
                             "path", "/\xc3\xbc\xe2\x9c\x93 x"));
    expect_labels(req, 1, KV("__name__", "up", "instance", "10.0.0.1:9100"));
    expect_labels(req, 2, KV("__name__", "rpc_seconds"));
    const rw_series *s0 = series_at(req, 0);
    assert_int_equal(s0->nsamples, NS);
    for (int i = 0; i < NS; i++) {
        const rw_sample *sm_ = &req->samples[s0->sample0 + i];
        if (mai_double_bits(sm_->v) != bits[i] || sm_->t_ms != ts[i])
            fail_msg("sample %d: %016llx@%lld, sent %016llx@%lld", i,
                     (unsigned long long)mai_double_bits(sm_->v), (long long)sm_->t_ms,
                     (unsigned long long)bits[i], (long long)ts[i]);
    }
    assert_true(mai_is_stale(req->samples[s0->sample0 + 4].v));
    assert_false(mai_is_stale(req->samples[s0->sample0 + 1].v));
    assert_true(isnan(req->samples[s0->sample0 + 1].v));
    assert_true(isinf(req->samples[s0->sample0 + 6].v) && req->samples[s0->sample0 + 6].v < 0);
    assert_true(signbit(req->samples[s0->sample0 + 7].v) && req->samples[s0->sample0 + 7].v > -1e-300);
    assert_int_equal(series_at(req, 1)->nsamples, 1);
    assert_int_equal(series_at(req, 2)->nhistograms, 1);
    assert_int_equal(series_at(req, 2)->nexemplars, 2);
    assert_int_equal(req->histograms, 1);
    assert_int_equal(req->exemplars, 2);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(series_at(req, i)->meta_type, -1);
    /* Zero copy: label views point into the body. */
    const rw_label *l0 = &req->labels[s0->label0];
    assert_true((const uint8_t *)l0->name.p >= body.b &&
                (const uint8_t *)l0->name.p + l0->name.n <= body.b + body.n);
    assert_int_equal(req->nmeta, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(req->meta[i].type, i);
        if (!same(req->meta[i].family, fam[i], strlen(fam[i])))
            fail_msg("metadata %d family %.*s", i, (int)req->meta[i].family.n,
                     req->meta[i].family.p);
    }

    /* protobuf-c 1.4.1 packs -0.0 as the default (omits it); on the wire it must survive. */
    body.n = 0;
    buf nz = {0};
    h_label(&nz, "__name__", "neg_zero");
    h_sample(&nz, 0x8000000000000000ULL, -1);
    b_msg(&body, 1, &nz);
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &LIM), 0);
    assert_int_equal(mai_double_bits(f->req.samples[0].v), 0x8000000000000000ULL);
    assert_true(signbit(f->req.samples[0].v) && f->req.samples[0].v == 0.0);
    assert_int_equal(f->req.samples[0].t_ms, -1);
    b_free(&nz);
    b_free(&body);
}

static void test_v2_round_trip_resolves_symbols_and_keeps_counts_and_metadata_type(void **state)
{
    fx *f = *state;
    char *sym[] = {"", "__name__", "node_cpu_seconds_total", "cpu", "0", "mode", "idle",
                   "Seconds spent.", "seconds", "job", "node", "rpc_duration_seconds"};
    enum { NSYM = sizeof sym / sizeof sym[0] };
    uint32_t ra[] = {1, 2, 5, 6, 3, 4}, rb[] = {9, 10, 1, 11}, rc[] = {1, 2};
    static const uint64_t bits[3] = {0x3ff8000000000000ULL, MAI_STALE_NAN_BITS,
                                     0x7ff8000000000001ULL};
    static const int64_t ts[3] = {1700000000000LL, 1700000015000LL, -5};
    Io__Prometheus__Write__V2__Sample sm[4], *smp[4];
    for (int i = 0; i < 4; i++) {
        io__prometheus__write__v2__sample__init(&sm[i]);
        smp[i] = &sm[i];
    }
    for (int i = 0; i < 3; i++) {
        memcpy(&sm[i].value, &bits[i], 8);
        sm[i].timestamp = ts[i];
    }
    sm[0].start_timestamp = 1699999999000LL;
    sm[3].value = -INFINITY, sm[3].timestamp = INT64_MIN;
    Io__Prometheus__Write__V2__Exemplar ex[3], *exp_[3];
    for (int i = 0; i < 3; i++) {
        io__prometheus__write__v2__exemplar__init(&ex[i]);
        ex[i].n_labels_refs = 2, ex[i].labels_refs = rc, ex[i].value = i, ex[i].timestamp = i;
        exp_[i] = &ex[i];
    }
    Io__Prometheus__Write__V2__Histogram h[2], *hp[2];
    for (int i = 0; i < 2; i++) {
        io__prometheus__write__v2__histogram__init(&h[i]);
        h[i].count_case = IO__PROMETHEUS__WRITE__V2__HISTOGRAM__COUNT_COUNT_INT;
        h[i].count_int = 10 + i, h[i].timestamp = 1700000000000LL;
        hp[i] = &h[i];
    }
    Io__Prometheus__Write__V2__Metadata md[3];
    for (int i = 0; i < 3; i++)
        io__prometheus__write__v2__metadata__init(&md[i]);
    md[0].type = IO__PROMETHEUS__WRITE__V2__METADATA__METRIC_TYPE__METRIC_TYPE_COUNTER;
    md[0].help_ref = 7, md[0].unit_ref = 8;
    md[1].type = IO__PROMETHEUS__WRITE__V2__METADATA__METRIC_TYPE__METRIC_TYPE_HISTOGRAM;
    md[2].type = IO__PROMETHEUS__WRITE__V2__METADATA__METRIC_TYPE__METRIC_TYPE_GAUGE;
    Io__Prometheus__Write__V2__TimeSeries t[4], *tp[4];
    for (int i = 0; i < 4; i++) {
        io__prometheus__write__v2__time_series__init(&t[i]);
        tp[i] = &t[i];
    }
    t[0].n_labels_refs = 6, t[0].labels_refs = ra, t[0].n_samples = 3, t[0].samples = smp;
    t[0].n_exemplars = 2, t[0].exemplars = exp_, t[0].metadata = &md[0];
    t[1].n_labels_refs = 4, t[1].labels_refs = rb, t[1].n_histograms = 2, t[1].histograms = hp;
    t[1].n_exemplars = 1, t[1].exemplars = &exp_[2], t[1].metadata = &md[1];
    t[2].n_labels_refs = 2, t[2].labels_refs = rc, t[2].n_samples = 1, t[2].samples = &smp[3];
    t[3].n_labels_refs = 2, t[3].labels_refs = rc, t[3].metadata = &md[2]; /* metadata only */
    Io__Prometheus__Write__V2__Request r = IO__PROMETHEUS__WRITE__V2__REQUEST__INIT;
    r.n_symbols = NSYM, r.symbols = sym, r.n_timeseries = 4, r.timeseries = tp;
    buf body = {0};
    pack_v2(&r, &body);

    assert_int_equal(rw_decode_v2(&f->req, body.b, body.n, &LIM), 0);
    const rw_request *req = &f->req;
    assert_int_equal(req->nsymbols, NSYM);
    for (int i = 0; i < NSYM; i++) {
        assert_true(same(req->symbols[i], sym[i], strlen(sym[i])));
        assert_true((const uint8_t *)req->symbols[i].p >= body.b &&
                    (const uint8_t *)req->symbols[i].p <= body.b + body.n);
    }
    assert_int_equal(req->nseries, 4);
    assert_int_equal(req->invalid_series, 0);
    expect_labels(req, 0, KV("__name__", "node_cpu_seconds_total", "cpu", "0", "mode", "idle"));
    expect_labels(req, 1, KV("__name__", "rpc_duration_seconds", "job", "node"));
    expect_labels(req, 2, KV("__name__", "node_cpu_seconds_total"));
    expect_labels(req, 3, KV("__name__", "node_cpu_seconds_total"));
    const rw_series *s0 = series_at(req, 0), *s1 = series_at(req, 1);
    assert_int_equal(s0->nsamples, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mai_double_bits(req->samples[s0->sample0 + i].v), bits[i]);
        assert_int_equal(req->samples[s0->sample0 + i].t_ms, ts[i]);
    }
    assert_int_equal(s0->nexemplars, 2);
    assert_int_equal(s0->nhistograms, 0);
    assert_int_equal(s0->meta_type, RW_TYPE_COUNTER);
    assert_int_equal(s1->nsamples, 0);
    assert_int_equal(s1->nhistograms, 2);
    assert_int_equal(s1->nexemplars, 1);
    assert_int_equal(s1->meta_type, RW_TYPE_HISTOGRAM);
    const rw_series *s2 = series_at(req, 2);
    assert_int_equal(s2->meta_type, -1);
    assert_int_equal(mai_double_bits(req->samples[s2->sample0].v), 0xfff0000000000000ULL);
    assert_int_equal(req->samples[s2->sample0].t_ms, INT64_MIN);
    assert_int_equal(series_at(req, 3)->meta_type, RW_TYPE_GAUGE);
    assert_int_equal(series_at(req, 3)->nsamples, 0);
    assert_int_equal(req->histograms, 2);
    assert_int_equal(req->exemplars, 3);
    assert_int_equal(req->nmeta, 0);
    b_free(&body);
}

/* ---- differential against protobuf-c ---------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnext(rng *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t rbelow(rng *r, uint32_t n)
{
    return (uint32_t)(rnext(r) % n);
}

static int rchance(rng *r, unsigned pct)
{
    return rbelow(r, 100) < pct;
}

typedef struct arena {
    void **p;
    size_t n, cap;
} arena;

static void *ar_new(arena *a, size_t size)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        void **p = realloc(a->p, cap * sizeof *p);
        assert_non_null(p);
        a->p = p;
        a->cap = cap;
    }
    void *q = calloc(1, size ? size : 1);
    assert_non_null(q);
    a->p[a->n++] = q;
    return q;
}

static void ar_free(arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
    memset(a, 0, sizeof *a);
}

/* A string of up to maxlen bytes, never NUL (protobuf-c packs strings with strlen). */
static char *gen_str(rng *r, arena *a, size_t minlen, size_t maxlen)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz_0123456789:";
    size_t n = minlen + rbelow(r, (uint32_t)(maxlen - minlen + 1));
    char *s = ar_new(a, n + 1);
    int raw = rchance(r, 5);    /* some strings of any bytes: mostly not UTF-8 */
    for (size_t i = 0; i < n; i++)
        s[i] = !raw || rchance(r, 75) ? alnum[rbelow(r, sizeof alnum - 1)]
                                      : (char)(1 + rbelow(r, 255));
    return s;
}

static char *gen_name(rng *r, arena *a)
{
    static char *const pool[] = {"job", "instance", "le", "a", "b", "code"};
    uint32_t k = rbelow(r, 60);
    if (k < 20)
        return pool[rbelow(r, sizeof pool / sizeof pool[0])];
    if (k == 20)
        return "";
    if (k == 21)
        return "__name__";
    return gen_str(r, a, 1, k < 25 ? 18 : 10);
}

static char *gen_value(rng *r, arena *a)
{
    uint32_t k = rbelow(r, 40);
    if (k < 3)
        return "";
    return gen_str(r, a, 1, k < 5 ? 18 : 10);
}

static uint64_t gen_bits(rng *r)
{
    static const uint64_t special[] = {0, 0x8000000000000000ULL, 0x7ff8000000000001ULL,
                                       MAI_STALE_NAN_BITS, 0x7ff0000000000000ULL,
                                       0xfff0000000000000ULL, 1, 0x7fefffffffffffffULL, ONE_BITS};
    if (rchance(r, 30))
        return special[rbelow(r, sizeof special / sizeof special[0])];
    if (rchance(r, 50))
        return rnext(r);
    return mai_double_bits((double)rbelow(r, 100000) / 8);
}

static int64_t gen_ts(rng *r)
{
    static const int64_t special[] = {INT64_MIN, INT64_MAX, -1, 0, 1, -1700000000000LL};
    if (rchance(r, 20))
        return special[rbelow(r, sizeof special / sizeof special[0])];
    if (rchance(r, 60))
        return 1700000000000LL + rbelow(r, 1000000);
    uint64_t u = rnext(r);
    int64_t t;
    memcpy(&t, &u, sizeof t);
    return t;
}

/* Appends a well-formed field of a random wire type (0, 1, 2 or 5) with number f. */
static void gen_field(rng *r, buf *d, uint32_t f)
{
    unsigned wt = (unsigned[]){0, 1, 2, 5}[rbelow(r, 4)];
    b_tag(d, f, wt);
    switch (wt) {
    case 0: {
        uint32_t shift = rbelow(r, 64); /* one draw per statement: the order is fixed */
        b_varint(d, rnext(r) >> shift);
        break;
    }
    case 1:
    case 5:
        for (unsigned i = 0; i < (wt == 1 ? 8u : 4u); i++)
            b_byte(d, (uint8_t)rnext(r));
        break;
    default: {
        size_t n = rbelow(r, 12);
        b_varint(d, n);
        for (size_t i = 0; i < n; i++)
            b_byte(d, (uint8_t)rnext(r));
    }
    }
}

/* Sometimes attaches unknown fields (numbers from nums) to a message, for protobuf-c to pack. */
static void gen_unknown(rng *r, arena *a, ProtobufCMessage *m, const uint32_t *nums, size_t nn)
{
    if (!rchance(r, 12))
        return;
    size_t k = 1 + rbelow(r, 2);
    ProtobufCMessageUnknownField *u = ar_new(a, k * sizeof *u);
    for (size_t i = 0; i < k; i++) {
        buf d = {0};
        gen_field(r, &d, nums[rbelow(r, (uint32_t)nn)]);
        /* Split the tag back off: protobuf-c stores tag and wire type apart from the value. */
        wcur c = {d.b, d.b + d.n};
        uint32_t f, wt;
        assert_int_equal(w_tag(&c, 0, &f, &wt), 0);
        u[i].tag = f;
        u[i].wire_type = (ProtobufCWireType)wt;
        u[i].len = (size_t)(c.end - c.p);
        u[i].data = ar_new(a, u[i].len);
        memcpy(u[i].data, c.p, u[i].len);
        b_free(&d);
    }
    m->n_unknown_fields = k;
    m->unknown_fields = u;
}

#define UNKNOWN(r, a, msg, ...)                                                         \
    gen_unknown(r, a, &(msg)->base, (const uint32_t[]){__VA_ARGS__},                    \
                sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

static void gen_hist_v1(rng *r, arena *a, Prometheus__Histogram *h)
{
    prometheus__histogram__init(h);
    if (rchance(r, 50)) {
        h->count_case = PROMETHEUS__HISTOGRAM__COUNT_COUNT_INT;
        h->count_int = rbelow(r, 1000);
    } else {
        h->count_case = PROMETHEUS__HISTOGRAM__COUNT_COUNT_FLOAT;
        h->count_float = rbelow(r, 1000) / 4.0;
    }
    h->schema = (int32_t)rbelow(r, 9) - 4;
    Prometheus__BucketSpan *sp = ar_new(a, sizeof *sp), **spp = ar_new(a, sizeof *spp);
    prometheus__bucket_span__init(sp);
    sp->offset = (int32_t)rbelow(r, 5) - 2, sp->length = 2;
    *spp = sp;
    h->n_positive_spans = 1, h->positive_spans = spp;
    int64_t *d = ar_new(a, 2 * sizeof *d);
    d[0] = 3, d[1] = -2;
    h->n_positive_deltas = 2, h->positive_deltas = d;
    h->timestamp = gen_ts(r);
}

static void gen_v1(rng *r, arena *a, buf *out)
{
    Prometheus__WriteRequest *w = ar_new(a, sizeof *w);
    prometheus__write_request__init(w);
    size_t ns = rbelow(r, 7);
    w->n_timeseries = ns;
    w->timeseries = ar_new(a, ns * sizeof *w->timeseries);
    for (size_t i = 0; i < ns; i++) {
        Prometheus__TimeSeries *t = ar_new(a, sizeof *t);
        prometheus__time_series__init(t);
        size_t nl = rchance(r, 10) ? rbelow(r, 8) : 1 + rbelow(r, 5);
        size_t name_at = nl ? rbelow(r, (uint32_t)nl) : 0;
        int named = rchance(r, 92);
        t->n_labels = nl;
        t->labels = ar_new(a, nl * sizeof *t->labels);
        for (size_t j = 0; j < nl; j++) {
            Prometheus__Label *l = ar_new(a, sizeof *l);
            prometheus__label__init(l);
            l->name = named && j == name_at ? "__name__" : gen_name(r, a);
            l->value = gen_value(r, a);
            UNKNOWN(r, a, l, 3, 4, 15, 100);
            t->labels[j] = l;
        }
        size_t nsm = rbelow(r, 5);
        t->n_samples = nsm;
        t->samples = ar_new(a, nsm * sizeof *t->samples);
        for (size_t j = 0; j < nsm; j++) {
            Prometheus__Sample *s = ar_new(a, sizeof *s);
            prometheus__sample__init(s);
            uint64_t bits = gen_bits(r);
            memcpy(&s->value, &bits, 8);
            s->timestamp = gen_ts(r);
            UNKNOWN(r, a, s, 3, 4, 15, 100);
            t->samples[j] = s;
        }
        if (rchance(r, 20)) {
            t->n_exemplars = 1 + rbelow(r, 2);
            t->exemplars = ar_new(a, t->n_exemplars * sizeof *t->exemplars);
            for (size_t j = 0; j < t->n_exemplars; j++) {
                Prometheus__Exemplar *e = ar_new(a, sizeof *e);
                prometheus__exemplar__init(e);
                e->n_labels = nl ? 1 : 0, e->labels = t->labels;
                e->value = rbelow(r, 10), e->timestamp = gen_ts(r);
                t->exemplars[j] = e;
            }
        }
        if (rchance(r, 15)) {
            if (rchance(r, 70))
                t->n_samples = 0;
            t->n_histograms = 1 + rbelow(r, 2);
            t->histograms = ar_new(a, t->n_histograms * sizeof *t->histograms);
            for (size_t j = 0; j < t->n_histograms; j++) {
                t->histograms[j] = ar_new(a, sizeof *t->histograms[j]);
                gen_hist_v1(r, a, t->histograms[j]);
            }
        }
        UNKNOWN(r, a, t, 5, 6, 15, 2047, 536870911);
        w->timeseries[i] = t;
    }
    w->n_metadata = rbelow(r, 4);
    w->metadata = ar_new(a, w->n_metadata * sizeof *w->metadata);
    for (size_t i = 0; i < w->n_metadata; i++) {
        Prometheus__MetricMetadata *m = ar_new(a, sizeof *m);
        prometheus__metric_metadata__init(m);
        m->type = (Prometheus__MetricMetadata__MetricType)rbelow(r, 8);
        m->metric_family_name = gen_str(r, a, 0, 12);
        m->help = gen_str(r, a, 0, 12);
        m->unit = gen_str(r, a, 0, 4);
        UNKNOWN(r, a, m, 3, 6, 15, 100);
        w->metadata[i] = m;
    }
    UNKNOWN(r, a, w, 2, 4, 7, 15, 16, 1000, 536870911);
    pack_v1(w, out);
    if (rchance(r, 10)) /* a field after everything, by hand */
        gen_field(r, out, (uint32_t[]){2, 9, 100}[rbelow(r, 3)]);
}

static void gen_v2(rng *r, arena *a, buf *out)
{
    Io__Prometheus__Write__V2__Request *q = ar_new(a, sizeof *q);
    io__prometheus__write__v2__request__init(q);
    size_t nsym = rchance(r, 5) ? 1 + rbelow(r, 5) : 6 + rbelow(r, 12);
    q->n_symbols = nsym;
    q->symbols = ar_new(a, nsym * sizeof *q->symbols);
    q->symbols[0] = "";
    for (size_t i = 1; i < nsym; i++)
        q->symbols[i] = i == 1 && rchance(r, 95) ? "__name__"
                        : rchance(r, 2)          ? ""
                                                 : gen_str(r, a, 1, rchance(r, 5) ? 18 : 10);
    size_t ns = rbelow(r, 7);
    q->n_timeseries = ns;
    q->timeseries = ar_new(a, ns * sizeof *q->timeseries);
    for (size_t i = 0; i < ns; i++) {
        Io__Prometheus__Write__V2__TimeSeries *t = ar_new(a, sizeof *t);
        io__prometheus__write__v2__time_series__init(t);
        size_t npairs = rchance(r, 10) ? rbelow(r, 8) : 1 + rbelow(r, 5);
        size_t nrefs = 2 * npairs + (rchance(r, 2) ? 1 : 0);
        t->n_labels_refs = nrefs;
        t->labels_refs = ar_new(a, nrefs * sizeof *t->labels_refs);
        uint32_t base = rbelow(r, (uint32_t)nsym);
        for (size_t j = 0; j < nrefs; j++) {
            uint32_t ref = rbelow(r, (uint32_t)nsym); /* a value, or a name below */
            if (j % 2 == 0 && nsym > 2 && !rchance(r, 2)) /* names mostly distinct */
                ref = j == 0 && rchance(r, 92) ? 1 : 2 + (uint32_t)(base + j / 2) % ((uint32_t)nsym - 2);
            if (rchance(r, 1))
                ref = (uint32_t)nsym + rbelow(r, 3);
            t->labels_refs[j] = ref;
        }
        int hist = rchance(r, 20);
        size_t nsm = hist && rchance(r, 70) ? 0 : rbelow(r, 5);
        t->n_samples = nsm;
        t->samples = ar_new(a, nsm * sizeof *t->samples);
        for (size_t j = 0; j < nsm; j++) {
            Io__Prometheus__Write__V2__Sample *s = ar_new(a, sizeof *s);
            io__prometheus__write__v2__sample__init(s);
            uint64_t bits = gen_bits(r);
            memcpy(&s->value, &bits, 8);
            s->timestamp = gen_ts(r);
            s->start_timestamp = rchance(r, 30) ? gen_ts(r) : 0;
            UNKNOWN(r, a, s, 4, 5, 15, 100);
            t->samples[j] = s;
        }
        if (hist) {
            t->n_histograms = 1 + rbelow(r, 2);
            t->histograms = ar_new(a, t->n_histograms * sizeof *t->histograms);
            for (size_t j = 0; j < t->n_histograms; j++) {
                Io__Prometheus__Write__V2__Histogram *h = ar_new(a, sizeof *h);
                io__prometheus__write__v2__histogram__init(h);
                h->count_case = IO__PROMETHEUS__WRITE__V2__HISTOGRAM__COUNT_COUNT_INT;
                h->count_int = rbelow(r, 100);
                h->start_timestamp = gen_ts(r);
                double *c = ar_new(a, 2 * sizeof *c);
                c[0] = 1, c[1] = 2.5;
                h->n_positive_counts = 2, h->positive_counts = c;
                t->histograms[j] = h;
            }
        }
        if (rchance(r, 20)) {
            t->n_exemplars = 1 + rbelow(r, 2);
            t->exemplars = ar_new(a, t->n_exemplars * sizeof *t->exemplars);
            for (size_t j = 0; j < t->n_exemplars; j++) {
                Io__Prometheus__Write__V2__Exemplar *e = ar_new(a, sizeof *e);
                io__prometheus__write__v2__exemplar__init(e);
                e->n_labels_refs = nrefs >= 2 ? 2 : 0, e->labels_refs = t->labels_refs;
                e->value = 1, e->timestamp = gen_ts(r);
                t->exemplars[j] = e;
            }
        }
        if (rchance(r, 60)) {
            Io__Prometheus__Write__V2__Metadata *m = ar_new(a, sizeof *m);
            io__prometheus__write__v2__metadata__init(m);
            m->type = (Io__Prometheus__Write__V2__Metadata__MetricType)rbelow(r, 8);
            m->help_ref = rbelow(r, (uint32_t)nsym + (rchance(r, 2) ? 3 : 0));
            m->unit_ref = rbelow(r, (uint32_t)nsym + (rchance(r, 2) ? 3 : 0));
            UNKNOWN(r, a, m, 2, 5, 15, 100);
            t->metadata = m;
        }
        UNKNOWN(r, a, t, 6, 7, 15, 100);
        q->timeseries[i] = t;
    }
    UNKNOWN(r, a, q, 1, 2, 3, 6, 15, 100);
    pack_v2(q, out);
    if (rchance(r, 10))
        gen_field(r, out, (uint32_t[]){1, 2, 3, 9, 100}[rbelow(r, 5)]);
}

/* Small limits so that the random label sets hit every rule. */
static const rw_limits DIFF_LIM = {.max_labels_per_series = 5, .max_label_bytes = 16,
                                   .max_series = 1u << 20, .max_samples = 1u << 24};

static void test_differential_random_v1_requests_decode_like_protobuf_c(void **state)
{
    fx *f = *state;
    rng r = {0x5eed0001};
    buf body = {0};
    unsigned long series = 0, by[RW_INVALID__COUNT] = {0};
    for (int i = 0; i < 2500; i++) {
        arena a = {0};
        gen_v1(&r, &a, &body);
        int rw_ok, pc_ok;
        const char *e = oracle_v1(&f->req, body.b, body.n, &DIFF_LIM, NULL, &rw_ok, &pc_ok);
        if (e || !rw_ok || !pc_ok)
            fail_msg("request %d: %s (rw_decode %s, protobuf-c %s; reason \"%s\")\n%s", i,
                     e ? e : "refused", rw_ok ? "accepts" : "refuses",
                     pc_ok ? "accepts" : "refuses", f->req.reason, hex(body.b, body.n));
        series += f->req.nseries;
        for (int k = 0; k < RW_INVALID__COUNT; k++)
            by[k] += f->req.invalid_by_reason[k];
        ar_free(&a);
    }
    /* The generator reaches every 1.0 rule (BAD_REF is 2.0 only) and leaves most series valid. */
    unsigned long invalid = 0;
    for (int k = 1; k < RW_INVALID__COUNT; k++) {
        if (k != RW_INVALID_BAD_REF && by[k] == 0)
            fail_msg("no series was %s", rw_invalid_metric_reason(k));
        invalid += by[k];
    }
    print_message("%lu series, %lu invalid:", series, invalid);
    for (int k = 1; k < RW_INVALID__COUNT; k++)
        print_message(" %s %lu", rw_invalid_metric_reason(k), by[k]);
    print_message("\n");
    assert_true(invalid < series / 2);
    b_free(&body);
}

static void test_differential_random_v2_requests_decode_like_protobuf_c(void **state)
{
    fx *f = *state;
    rng r = {0x5eed0002};
    buf body = {0};
    unsigned long series = 0, by[RW_INVALID__COUNT] = {0}, typed = 0;
    for (int i = 0; i < 2500; i++) {
        arena a = {0};
        gen_v2(&r, &a, &body);
        int rw_ok, pc_ok;
        const char *e = oracle_v2(&f->req, body.b, body.n, &DIFF_LIM, NULL, 1, &rw_ok, &pc_ok);
        if (e || !rw_ok || !pc_ok)
            fail_msg("request %d: %s (rw_decode %s, protobuf-c %s; reason \"%s\")\n%s", i,
                     e ? e : "refused", rw_ok ? "accepts" : "refuses",
                     pc_ok ? "accepts" : "refuses", f->req.reason, hex(body.b, body.n));
        series += f->req.nseries;
        for (int k = 0; k < RW_INVALID__COUNT; k++)
            by[k] += f->req.invalid_by_reason[k];
        for (uint32_t k = 0; k < f->req.nseries; k++)
            typed += f->req.series[k].meta_type > 0;
        ar_free(&a);
    }
    unsigned long invalid = 0;
    for (int k = 1; k < RW_INVALID__COUNT; k++) {
        if (by[k] == 0)
            fail_msg("no series was %s", rw_invalid_metric_reason(k));
        invalid += by[k];
    }
    print_message("%lu series, %lu invalid:", series, invalid);
    for (int k = 1; k < RW_INVALID__COUNT; k++)
        print_message(" %s %lu", rw_invalid_metric_reason(k), by[k]);
    print_message("\n");
    assert_true(invalid < series / 2);
    assert_true(typed > 0);
    b_free(&body);
}

static void mutate(rng *r, buf *b)
{
    static const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 0x08,
                                          0x0a, 0x0b, 0x0c, 0x12, 0x1a, 0x22, 0x2a};
    size_t at = b->n ? rbelow(r, (uint32_t)b->n) : 0;
    switch (rbelow(r, 8)) {
    case 0:
        if (b->n)
            b->b[at] ^= (uint8_t)(1u << rbelow(r, 8));
        break;
    case 1:
        if (b->n)
            b->b[at] = (uint8_t)rnext(r);
        break;
    case 2:
        if (b->n)
            b->b[at] = interesting[rbelow(r, sizeof interesting)];
        break;
    case 3:
        b->n = rbelow(r, (uint32_t)b->n + 1);
        break;
    case 4: { /* insert 1-3 bytes */
        size_t k = 1 + rbelow(r, 3), n = b->n;
        uint8_t tmp[3];
        for (size_t i = 0; i < k; i++)
            tmp[i] = rchance(r, 50) ? interesting[rbelow(r, sizeof interesting)] : (uint8_t)rnext(r);
        b_put(b, tmp, k); /* grow, then shift the tail */
        memmove(b->b + at + k, b->b + at, n - at);
        memcpy(b->b + at, tmp, k);
        break;
    }
    case 5: { /* delete 1-3 bytes */
        size_t k = 1 + rbelow(r, 3);
        if (at + k <= b->n) {
            memmove(b->b + at, b->b + at + k, b->n - at - k);
            b->n -= k;
        }
        break;
    }
    case 6: /* a well-formed field of any number at the end */
        gen_field(r, b, 1 + rbelow(r, 20));
        break;
    default: /* a varint byte made long: set the continuation bit */
        if (b->n)
            b->b[at] |= 0x80;
        break;
    }
}

static void test_differential_mutated_bodies_agree_on_accept_or_reject(void **state)
{
    fx *f = *state;
    rng r = {0x5eed0003};
    buf body = {0}, m = {0};
    ostats st1 = {0}, st2 = {0};
    for (int i = 0; i < 2000; i++) {
        arena a = {0};
        (i % 2 ? gen_v2 : gen_v1)(&r, &a, &body);
        for (int k = 0; k < 5; k++) {
            m.n = 0;
            b_put(&m, body.b, body.n);
            for (uint32_t nm = 1 + rbelow(&r, 3); nm > 0; nm--)
                mutate(&r, &m);
            const char *e = oracle_v1(&f->req, m.b, m.n, &DIFF_LIM, &st1, NULL, NULL);
            const char *which = "1.0";
            if (!e) {
                e = oracle_v2(&f->req, m.b, m.n, &DIFF_LIM, &st2, 0, NULL, NULL);
                which = "2.0";
            }
            if (e)
                fail_msg("body %d mutant %d as %s: %s\n%s", i, k, which, e, hex(m.b, m.n));
        }
        ar_free(&a);
    }
    print_message("1.0: ");
    ostats_print(&st1, stdout);
    print_message("2.0: ");
    ostats_print(&st2, stdout);
    /* The mutants exercise both outcomes, and both directions of the documented differences. */
    assert_true(st1.both_ok > 1000 && st1.both_bad > 1000);
    assert_true(st2.both_ok > 1000 && st2.both_bad > 1000);
    assert_true(st1.rw_only + st2.rw_only > 0 && st1.pc_only + st2.pc_only > 0);
    b_free(&body);
    b_free(&m);
}

/* ---- malformed bodies --------------------------------------------------------------------- */

typedef struct bad_case {
    const char *why;
    int v2;              /* rw_decode_v2 (else v1) */
    const uint8_t *b;
    size_t n;
    const char *reason;  /* part of req->reason */
    int pc_accepts;      /* protobuf-c accepts it: a documented difference */
} bad_case;

#define BODY(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define ONE_LE 0, 0, 0, 0, 0, 0, 0xf0, 0x3f

static void test_malformed_bodies_are_refused_with_a_reason(void **state)
{
    fx *f = *state;
    const bad_case cases[] = {
        {"truncated varint: a sample timestamp ends inside its varint", 0,
         BODY(0x0a, 0x0d, 0x12, 0x0b, 0x09, ONE_LE, 0x10, 0x80), "sample timestamp", 0},
        {"truncated varint: the body ends inside a tag", 0, BODY(0x8a), "field tag", 0},
        {"truncated varint: the body ends inside a length", 0, BODY(0x0a), "timeseries", 0},
        {"11-byte varint in an unknown field", 0,
         BODY(0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
         "unknown field in WriteRequest", 0},
        {"11-byte varint as a sample timestamp", 0,
         BODY(0x0a, 0x17, 0x12, 0x15, 0x09, ONE_LE, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
              0xff, 0xff, 0xff, 0x81, 0x00),
         "sample timestamp", 0},
        {"10-byte varint past 64 bits (last byte 0x02) as a sample timestamp", 0,
         BODY(0x0a, 0x16, 0x12, 0x14, 0x09, ONE_LE, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
              0xff, 0xff, 0xff, 0x02),
         "sample timestamp", 1},
        {"length prefix past 64 bits", 0,
         BODY(0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
         "timeseries in WriteRequest", 0},
        {"length past the end of the body", 0, BODY(0x0a, 0x05, 0x0a, 0x03),
         "timeseries in WriteRequest", 0},
        {"length past the end of the enclosing message, though inside the body", 0,
         BODY(0x0a, 0x04, 0x0a, 0x06, 0x0a, 0x00, 0x3a, 0x04, 0x00, 0x00, 0x00, 0x00),
         "timeseries field 1", 0},
        {"wrong wire type: labels as a varint", 0, BODY(0x0a, 0x02, 0x08, 0x01),
         "timeseries field 1", 0},
        {"wrong wire type: timeseries as fixed64", 0, BODY(0x09, ONE_LE),
         "timeseries in WriteRequest", 0},
        {"wrong wire type: a sample value as a varint", 0, BODY(0x0a, 0x04, 0x12, 0x02, 0x08, 0x01),
         "sample value", 0},
        {"wrong wire type: a sample timestamp as fixed64", 0,
         BODY(0x0a, 0x0b, 0x12, 0x09, 0x11, ONE_LE), "sample timestamp", 0},
        {"wrong wire type: a label name as a varint", 0, BODY(0x0a, 0x04, 0x0a, 0x02, 0x08, 0x01),
         "label name", 0},
        {"wrong wire type: a metadata type as bytes", 0, BODY(0x1a, 0x03, 0x0a, 0x01, 0x41),
         "metadata type", 0},
        {"group start (wire type 3) as an unknown field", 0, BODY(0x3b, 0x3c),
         "unknown field in WriteRequest", 0},
        {"group end (wire type 4) alone", 0, BODY(0x3c), "unknown field in WriteRequest", 0},
        {"group wire type for a known field (timeseries)", 0, BODY(0x0b, 0x0c),
         "timeseries in WriteRequest", 0},
        {"wire type 6 does not exist", 0, BODY(0x3e, 0x00), "unknown field in WriteRequest", 0},
        {"group inside a sample", 0, BODY(0x0a, 0x04, 0x12, 0x02, 0x23, 0x24),
         "unknown field in sample", 0},
        {"field number 0", 0, BODY(0x00, 0x00), "field tag", 0},
        {"field number 0 spelled in two bytes (80 00)", 0, BODY(0x80, 0x00, 0x00), "field tag", 1},
        {"field number 2^29, past the largest (2^29-1)", 0,
         BODY(0x80, 0x80, 0x80, 0x80, 0x10, 0x00), "field tag", 1},
        {"11-byte tag", 0,
         BODY(0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00),
         "field tag", 0},
        {"truncated fixed64 sample value", 0, BODY(0x0a, 0x07, 0x12, 0x05, 0x09, 0, 0, 0, 0),
         "sample value", 0},
        {"truncated fixed64 unknown field", 0, BODY(0x11, 0x00, 0x00, 0x00),
         "unknown field in WriteRequest", 0},
        {"truncated fixed32 unknown field", 0, BODY(0x15, 0x00, 0x00),
         "unknown field in WriteRequest", 0},
        {"2.0: symbols[0] is not the empty string", 1, BODY(0x22, 0x01, 0x78), "symbols[0]", 1},
        {"2.0: a symbol as a varint", 1, BODY(0x20, 0x01), "symbol in Request", 0},
        {"2.0: timeseries past the end of the body", 1, BODY(0x2a, 0x05, 0x0a), "timeseries", 0},
        {"2.0: labels_refs as fixed64", 1, BODY(0x2a, 0x09, 0x09, ONE_LE),
         "labels_refs wire type", 0},
        {"2.0: packed labels_refs ending inside a varint", 1,
         BODY(0x2a, 0x04, 0x0a, 0x02, 0x01, 0x81), "packed labels_refs", 0},
        {"2.0: metadata type as fixed64", 1, BODY(0x2a, 0x0b, 0x2a, 0x09, 0x09, ONE_LE),
         "metadata field 1", 0},
        {"2.0: start_timestamp as bytes", 1, BODY(0x2a, 0x06, 0x12, 0x04, 0x1a, 0x02, 0x00, 0x00),
         "sample timestamp", 0},
        {"2.0: sample timestamp ends inside its varint", 1,
         BODY(0x2a, 0x0d, 0x12, 0x0b, 0x09, ONE_LE, 0x10, 0x80), "sample timestamp", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        int rc = c->v2 ? rw_decode_v2(&f->req, c->b, c->n, &LIM)
                       : rw_decode_v1(&f->req, c->b, c->n, &LIM);
        if (rc != -MAI_EPROTO)
            fail_msg("%s: rc %d, expected -MAI_EPROTO", c->why, rc);
        if (!reason_is_one_line(&f->req) || !strstr(f->req.reason, c->reason))
            fail_msg("%s: reason \"%s\" lacks \"%s\"", c->why, f->req.reason, c->reason);
        ProtobufCMessage *m =
            c->v2 ? protobuf_c_message_unpack(&io__prometheus__write__v2__request__descriptor,
                                              NULL, c->n, c->b)
                  : protobuf_c_message_unpack(&prometheus__write_request__descriptor, NULL, c->n,
                                              c->b);
        if ((m != NULL) != c->pc_accepts)
            fail_msg("%s: protobuf-c %s it", c->why, m ? "accepts" : "refuses");
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        /* ... and the difference is one the oracle documents. */
        const char *e = judge(c->v2 ? T_REQ2 : T_WR, c->b, c->n, 0, c->pc_accepts, NULL);
        if (e)
            fail_msg("%s: %s", c->why, e);
    }
}

/* Bodies valid per the protobuf encoding that protobuf-c 1.4.1 refuses, and contents rw_decode
 * does not parse: rw_decode accepts them, and the oracle names the difference. */
static void test_documented_differences_rw_decode_accepts_protobuf_c_refuses(void **state)
{
    fx *f = *state;
    const bad_case cases[] = {
        {"a padded 6-byte tag (timeseries)", 0, BODY(0x8a, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00),
         NULL, 0},
        {"a padded 6-byte length prefix", 0, BODY(0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
         NULL, 0},
        {"a padded 10-byte length prefix", 1,
         BODY(0x22, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), NULL, 0},
        {"garbage inside a histogram (not parsed)", 0, BODY(0x0a, 0x04, 0x22, 0x02, 0xff, 0xff),
         NULL, 0},
        {"a group inside an exemplar (not parsed)", 0, BODY(0x0a, 0x04, 0x1a, 0x02, 0x0b, 0x0c),
         NULL, 0},
        {"2.0: packed doubles of 7 bytes inside a histogram (not parsed)", 1,
         BODY(0x2a, 0x0b, 0x1a, 0x09, 0x6a, 0x07, 0, 0, 0, 0, 0, 0, 0), NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        int rc = c->v2 ? rw_decode_v2(&f->req, c->b, c->n, &LIM)
                       : rw_decode_v1(&f->req, c->b, c->n, &LIM);
        if (rc != 0)
            fail_msg("%s: rc %d (%s)", c->why, rc, f->req.reason);
        assert_int_equal(f->req.nseries + f->req.nsymbols, 1);
        ProtobufCMessage *m =
            c->v2 ? protobuf_c_message_unpack(&io__prometheus__write__v2__request__descriptor,
                                              NULL, c->n, c->b)
                  : protobuf_c_message_unpack(&prometheus__write_request__descriptor, NULL, c->n,
                                              c->b);
        if (m) {
            protobuf_c_message_free_unpacked(m, NULL);
            fail_msg("%s: protobuf-c accepts it now; the difference is gone", c->why);
        }
        const char *e = judge(c->v2 ? T_REQ2 : T_WR, c->b, c->n, 1, 0, NULL);
        if (e)
            fail_msg("%s: %s", c->why, e);
    }
}

/* ---- label rules ----------------------------------------------------------------------------- */

static void test_series_without_metric_name_is_invalid_and_the_rest_stay_valid(void **state)
{
    fx *f = *state;
    buf body = {0};
    h_series(&body, KV("job", "a"), 2, 0);
    h_series(&body, KV("__name__", "up", "job", "b"), 1, 0);
    h_series(&body, KV("__name__", "", "job", "c"), 3, 0); /* empty value = absent */
    h_series(&body, NULL, 1, 0);                          /* no labels at all */
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &LIM), 0);
    const rw_request *req = &f->req;
    assert_int_equal(req->nseries, 4);
    assert_int_equal(series_at(req, 0)->invalid, RW_INVALID_NO_NAME);
    assert_int_equal(series_at(req, 1)->invalid, RW_VALID);
    expect_labels(req, 1, KV("__name__", "up", "job", "b"));
    assert_int_equal(series_at(req, 2)->invalid, RW_INVALID_NO_NAME);
    assert_int_equal(series_at(req, 3)->invalid, RW_INVALID_NO_NAME);
    assert_int_equal(req->invalid_series, 3);
    assert_int_equal(req->invalid_samples, 6);
    for (int k = 0; k < RW_INVALID__COUNT; k++)
        assert_int_equal(req->invalid_by_reason[k], k == RW_INVALID_NO_NAME ? 3 : 0);
    expect_reason_has(req, rw_invalid_text(RW_INVALID_NO_NAME));
    expect_reason_has(req, "series 0");
    expect_reason_has(req, "\"a\""); /* quotes the first label when there is no name */
    b_free(&body);
}

static void test_empty_label_name_is_invalid(void **state)
{
    fx *f = *state;
    buf body = {0};
    h_series(&body, KV("__name__", "up", "", "x"), 1, 0);
    h_series(&body, KV("__name__", "up", "a", "x"), 1, 0);
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_EMPTY_LABEL_NAME);
    assert_int_equal(series_at(&f->req, 1)->invalid, RW_VALID);
    assert_int_equal(f->req.invalid_by_reason[RW_INVALID_EMPTY_LABEL_NAME], 1);
    expect_reason_has(&f->req, rw_invalid_text(RW_INVALID_EMPTY_LABEL_NAME));
    expect_reason_has(&f->req, "\"up\"");
    b_free(&body);
}

static void test_duplicate_label_names_are_invalid_even_apart_and_unsorted(void **state)
{
    fx *f = *state;
    buf body = {0};
    h_series(&body, KV("job", "a", "__name__", "up", "instance", "x", "job", "b"), 1, 0);
    h_series(&body, KV("__name__", "up", "__name__", "up"), 1, 0);
    h_series(&body, KV("__name__", "up", "job", "a", "job", ""), 1, 0); /* the empty one is absent */
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_DUPLICATE_LABEL);
    assert_int_equal(series_at(&f->req, 1)->invalid, RW_INVALID_DUPLICATE_LABEL);
    assert_int_equal(series_at(&f->req, 2)->invalid, RW_VALID);
    expect_labels(&f->req, 2, KV("__name__", "up", "job", "a"));
    assert_int_equal(f->req.invalid_by_reason[RW_INVALID_DUPLICATE_LABEL], 2);
    expect_reason_has(&f->req, rw_invalid_text(RW_INVALID_DUPLICATE_LABEL));
    b_free(&body);
}

static void test_unsorted_labels_are_sorted_by_name_bytes(void **state)
{
    fx *f = *state;
    buf body = {0};
    h_series(&body, KV("zone", "z", "\xc3\xa9t\xc3\xa9", "e", "ab", "2", "__name__", "up", "Job",
                       "J", "aa", "1", "a", "0", "job", "j"),
             1, 0);
    h_series(&body, KV("b", "2", "__name__", "x", "a", "1"), 0, 0);
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &LIM), 0);
    assert_int_equal(f->req.invalid_series, 0);
    expect_labels(&f->req, 0, KV("Job", "J", "__name__", "up", "a", "0", "aa", "1", "ab", "2",
                                 "job", "j", "zone", "z", "\xc3\xa9t\xc3\xa9", "e"));
    expect_labels(&f->req, 1, KV("__name__", "x", "a", "1", "b", "2"));
    b_free(&body);
}

static void test_empty_valued_labels_are_dropped_and_not_counted(void **state)
{
    fx *f = *state;
    buf body = {0};
    h_series(&body, KV("__name__", "up", "a", "", "b", "x", "c", ""), 2, 0);
    h_series(&body, KV("__name__", "down", "z", "1"), 1, 0);
    rw_limits lim = LIM;
    lim.max_labels_per_series = 2; /* three labels are sent, two are present */
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &lim), 0);
    assert_int_equal(f->req.invalid_series, 0);
    expect_labels(&f->req, 0, KV("__name__", "up", "b", "x"));
    expect_labels(&f->req, 1, KV("__name__", "down", "z", "1"));
    assert_int_equal(f->req.nlabels, 4); /* dropped labels leave no holes */
    assert_int_equal(series_at(&f->req, 1)->label0, 2);
    b_free(&body);
}

static void test_label_count_limit_at_n_minus_1_n_and_n_plus_1(void **state)
{
    fx *f = *state;
    rw_limits lim = LIM;
    lim.max_labels_per_series = 4;
    buf body = {0};
    h_series(&body, KV("__name__", "m", "a", "1", "b", "2"), 1, 0);
    h_series(&body, KV("__name__", "m", "a", "1", "b", "2", "c", "3"), 1, 0);
    h_series(&body, KV("__name__", "m", "a", "1", "b", "2", "c", "3", "d", "4"), 2, 0);
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &lim), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_VALID);
    assert_int_equal(series_at(&f->req, 1)->invalid, RW_VALID);
    assert_int_equal(series_at(&f->req, 2)->invalid, RW_INVALID_TOO_MANY_LABELS);
    assert_int_equal(f->req.invalid_samples, 2);
    expect_reason_has(&f->req, rw_invalid_text(RW_INVALID_TOO_MANY_LABELS));
    expect_reason_has(&f->req, "series 2");

    /* The same in 2.0. */
    buf b2 = {0};
    h2_symbols(&b2, KV("", "__name__", "m", "a", "1", "b", "2", "c", "3", "d", "4"));
    h2_series(&b2, REFS(1, 2, 3, 4, 5, 6), 1, 0, -1);
    h2_series(&b2, REFS(1, 2, 3, 4, 5, 6, 7, 8), 1, 0, -1);
    h2_series(&b2, REFS(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 1, 0, -1);
    assert_int_equal(rw_decode_v2(&f->req, b2.b, b2.n, &lim), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_VALID);
    assert_int_equal(series_at(&f->req, 1)->invalid, RW_VALID);
    assert_int_equal(series_at(&f->req, 2)->invalid, RW_INVALID_TOO_MANY_LABELS);
    b_free(&body);
    b_free(&b2);
}

static void test_label_length_limit_at_n_minus_1_n_and_n_plus_1(void **state)
{
    fx *f = *state;
    rw_limits lim = LIM;
    lim.max_label_bytes = 8;
    buf body = {0};
    h_series(&body, KV("__name__", "m", "a", "1234567"), 1, 0);
    h_series(&body, KV("__name__", "m", "a", "12345678"), 1, 0);
    h_series(&body, KV("__name__", "m", "a", "123456789"), 1, 0);
    h_series(&body, KV("__name__", "m", "abcdefg", "1"), 1, 0);
    h_series(&body, KV("__name__", "m", "abcdefgh", "1"), 1, 0);
    h_series(&body, KV("__name__", "m", "abcdefghi", "1"), 1, 0);
    h_series(&body, KV("__name__", "m_long_9"), 1, 0);
    h_series(&body, KV("__name__", "m_long_10"), 1, 0);
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &lim), 0);
    static const int want[] = {RW_VALID, RW_VALID, RW_INVALID_LABEL_TOO_LONG,
                               RW_VALID, RW_VALID, RW_INVALID_LABEL_TOO_LONG,
                               RW_VALID, RW_INVALID_LABEL_TOO_LONG};
    for (uint32_t i = 0; i < 8; i++)
        if (series_at(&f->req, i)->invalid != want[i])
            fail_msg("series %u: %s, expected %s", i,
                     rw_invalid_metric_reason(series_at(&f->req, i)->invalid),
                     rw_invalid_metric_reason(want[i]));
    /* "__name__" itself is 8 bytes: at the limit, not over it. */
    assert_int_equal(f->req.invalid_by_reason[RW_INVALID_LABEL_TOO_LONG], 3);
    expect_reason_has(&f->req, rw_invalid_text(RW_INVALID_LABEL_TOO_LONG));
    b_free(&body);
}

static void test_many_unsorted_labels_over_the_limit_are_refused_quickly(void **state)
{
    /* A series with far more labels than allowed, in reverse order: sorting them first would be
     * quadratic (an insertion sort of 100k labels is ~5e9 steps). */
    fx *f = *state;
    enum { N = 100000 };
    buf ts = {0}, body = {0};
    for (int i = N; i > 0; i--) {
        char name[16];
        snprintf(name, sizeof name, "l%06d", i);
        h_label(&ts, name, "v");
    }
    h_label(&ts, "__name__", "m");
    b_msg(&body, 1, &ts);
    h_series(&body, KV("__name__", "ok"), 1, 0);
    clock_t t0 = clock();
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &LIM), 0);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_TOO_MANY_LABELS);
    assert_int_equal(series_at(&f->req, 1)->invalid, RW_VALID);
    expect_labels(&f->req, 1, KV("__name__", "ok"));
    if (secs > 2.0)
        fail_msg("decoding took %.1f s of CPU", secs);
    b_free(&ts);
    b_free(&body);
}

static void test_v2_odd_labels_refs_is_a_bad_ref(void **state)
{
    fx *f = *state;
    buf body = {0};
    h2_symbols(&body, KV("", "__name__", "up", "job", "a"));
    h2_series(&body, REFS(1, 2, 3), 2, 0, -1);
    h2_series(&body, REFS(1, 2, 3, 4), 1, 0, -1);
    assert_int_equal(rw_decode_v2(&f->req, body.b, body.n, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_BAD_REF);
    assert_int_equal(series_at(&f->req, 1)->invalid, RW_VALID);
    expect_labels(&f->req, 1, KV("__name__", "up", "job", "a"));
    assert_int_equal(f->req.invalid_series, 1);
    assert_int_equal(f->req.invalid_samples, 2);
    assert_int_equal(f->req.invalid_by_reason[RW_INVALID_BAD_REF], 1);
    expect_reason_has(&f->req, rw_invalid_text(RW_INVALID_BAD_REF));
    b_free(&body);
}

static void test_v2_refs_out_of_the_symbols_table_are_bad_refs(void **state)
{
    fx *f = *state;
    buf body = {0};
    h2_symbols(&body, KV("", "__name__", "up", "x")); /* 4 symbols: refs 0 .. 3 */
    h2_series(&body, REFS(1, 3), 1, 0, -1);           /* last symbol: fine */
    h2_series(&body, REFS(1, 4), 1, 0, -1);           /* one past the end */
    h2_series(&body, REFS(1, 2, 4000000000u, 2), 1, 0, -1);
    {   /* help_ref one past the end; unit_ref at the end */
        buf ts = {0}, md = {0}, packed = {0};
        b_varint(&packed, 1);
        b_varint(&packed, 2);
        b_msg(&ts, 1, &packed);
        b_uint(&md, 1, 2);
        b_uint(&md, 3, 4);
        b_uint(&md, 4, 3);
        b_msg(&ts, 5, &md);
        b_msg(&body, 5, &ts);
        b_free(&ts);
        b_free(&md);
        b_free(&packed);
    }
    assert_int_equal(rw_decode_v2(&f->req, body.b, body.n, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_VALID);
    expect_labels(&f->req, 0, KV("__name__", "x"));
    assert_int_equal(series_at(&f->req, 1)->invalid, RW_INVALID_BAD_REF);
    assert_int_equal(series_at(&f->req, 2)->invalid, RW_INVALID_BAD_REF);
    assert_int_equal(series_at(&f->req, 3)->invalid, RW_INVALID_BAD_REF);
    assert_int_equal(f->req.invalid_by_reason[RW_INVALID_BAD_REF], 3);
    assert_int_equal(f->req.invalid_series, 3);

    /* A request without symbols: any ref is out of range. */
    buf none = {0};
    h2_series(&none, REFS(0, 0), 1, 0, -1);
    assert_int_equal(rw_decode_v2(&f->req, none.b, none.n, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_BAD_REF);
    b_free(&body);
    b_free(&none);
}

static void test_samples_and_histograms_in_one_series_are_refused(void **state)
{
    fx *f = *state;
    buf body = {0};
    h2_symbols(&body, KV("", "__name__", "h"));
    h2_series(&body, REFS(1, 2), 2, 1, -1); /* both */
    h2_series(&body, REFS(1, 2), 0, 2, 3);  /* histograms only */
    h2_series(&body, REFS(1, 2), 1, 0, 1);  /* samples only */
    h2_series(&body, REFS(1, 2), 0, 0, 2);  /* metadata only: accepted */
    assert_int_equal(rw_decode_v2(&f->req, body.b, body.n, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_MIXED);
    assert_int_equal(series_at(&f->req, 1)->invalid, RW_VALID);
    assert_int_equal(series_at(&f->req, 2)->invalid, RW_VALID);
    assert_int_equal(series_at(&f->req, 3)->invalid, RW_VALID);
    assert_int_equal(series_at(&f->req, 1)->meta_type, RW_TYPE_HISTOGRAM);
    assert_int_equal(f->req.histograms, 3);
    assert_int_equal(f->req.invalid_samples, 2);
    expect_reason_has(&f->req, rw_invalid_text(RW_INVALID_MIXED));

    buf b1 = {0}; /* the same rule in 1.0 */
    h_series(&b1, KV("__name__", "h"), 1, 1);
    assert_int_equal(rw_decode_v1(&f->req, b1.b, b1.n, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_MIXED);
    b_free(&body);
    b_free(&b1);
}

static void test_reason_is_one_readable_line_whatever_the_label_bytes(void **state)
{
    fx *f = *state;
    buf body = {0};
    /* Label values are any bytes; the reason quotes one, so it must be tamed. */
    h_series(&body, KV("__name__", "evil\nname\r\x01\x7f", "a", "1", "a", "2"), 1, 0);
    assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_DUPLICATE_LABEL);
    expect_reason_has(&f->req, rw_invalid_text(RW_INVALID_DUPLICATE_LABEL));
    expect_reason_has(&f->req, "evil");

    /* A long name is cut, and the reason stays a terminated string of the buffer. */
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    buf b2 = {0};
    h_series(&b2, KV("__name__", longname, "", "v"), 1, 0);
    assert_int_equal(rw_decode_v1(&f->req, b2.b, b2.n, &LIM), 0);
    expect_reason_has(&f->req, "...");
    assert_true(strlen(f->req.reason) < 160);

    /* Found by the fuzzer: a 2.0 series without a name quoting a value with a control byte. */
    static const uint8_t crash[] = {
        0x22, 0x00, 0x22, 0x08, '_', '_', 'm', 'e', 'a', 'n', '_', '_', 0x22, 0x02, 0x10, 0x70,
        0x2a, 0x11, 0x08, 0x01, 0x08, 0x02, 0x12, 0x0b, 0x09, 0x00, 0x00, 0xa9, 0x00, 0x00, 0x00,
        0xf0, 0x3f, 0x10, 0x07};
    assert_int_equal(rw_decode_v2(&f->req, crash, sizeof crash, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_NO_NAME);
    expect_reason_has(&f->req, rw_invalid_text(RW_INVALID_NO_NAME));
    b_free(&body);
    b_free(&b2);
}

/* Label names and values must be UTF-8 (RFC 3629): overlong forms, surrogates, code points past
 * U+10FFFF, stray continuation bytes and cut sequences refuse the series, whichever label holds
 * them; two- to four-byte characters are kept. */
static void test_label_bytes_must_be_valid_utf8(void **state)
{
    fx *f = *state;
    static const char *const bad[] = {"\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
                                      "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\x80",
                                      "ok\xe2\x82", "\xff", "abcdefgh\xfe"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf body = {0};
        h_series(&body, KV("__name__", "x", "v", bad[i]), 1, 0);
        h_series(&body, KV("__name__", "y", bad[i], "1"), 1, 0);
        h_series(&body, KV("__name__", "ok"), 1, 0);
        assert_int_equal(rw_decode_v1(&f->req, body.b, body.n, &LIM), 0);
        assert_int_equal(series_at(&f->req, 0)->invalid, RW_INVALID_BAD_UTF8);
        assert_int_equal(series_at(&f->req, 1)->invalid, RW_INVALID_BAD_UTF8);
        assert_int_equal(series_at(&f->req, 2)->invalid, RW_VALID);
        expect_reason_has(&f->req, rw_invalid_text(RW_INVALID_BAD_UTF8));
        b_free(&body);
    }
    buf good = {0};
    h_series(&good, KV("__name__", "x", "unit", "\xc2\xb5s", "city", "\xe6\x9d\xb1\xe4\xba\xac",
                       "e", "\xf0\x9f\x94\xa5", "max", "\xf4\x8f\xbf\xbf\xef\xbf\xbd"), 1, 0);
    assert_int_equal(rw_decode_v1(&f->req, good.b, good.n, &LIM), 0);
    assert_int_equal(series_at(&f->req, 0)->invalid, RW_VALID);
    b_free(&good);
}

static void test_invalid_texts_exist_for_every_code(void **state)
{
    (void)state;
    for (int i = 0; i < RW_INVALID__COUNT; i++) {
        const char *t = rw_invalid_text(i), *m = rw_invalid_metric_reason(i);
        assert_non_null(t);
        assert_non_null(m);
        assert_true(strlen(t) > 0 && strlen(m) > 0);
        assert_int_equal(strspn(m, "abcdefghijklmnopqrstuvwxyz_0123456789"), strlen(m));
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(t, rw_invalid_text(j));
            assert_string_not_equal(m, rw_invalid_metric_reason(j));
        }
    }
    assert_string_equal(rw_invalid_text(-1), "invalid series");
    assert_string_equal(rw_invalid_text(RW_INVALID__COUNT), "invalid series");
    assert_string_equal(rw_invalid_metric_reason(RW_INVALID__COUNT), "invalid");
}

/* ---- limits ---------------------------------------------------------------------------------- */

static void test_count_limits_give_etoobig_past_n(void **state)
{
    fx *f = *state;
    rw_limits lim = LIM;
    lim.max_series = 3;
    lim.max_samples = 5;
    buf b = {0};
    h_series(&b, KV("__name__", "a"), 2, 0);
    h_series(&b, KV("__name__", "b"), 2, 0);
    h_series(&b, KV("__name__", "c"), 1, 0); /* 3 series, 5 samples: at both limits */
    b_bytes(&b, 3, "\x08\x01", 2);           /* metadata does not count */
    assert_int_equal(rw_decode_v1(&f->req, b.b, b.n, &lim), 0);
    assert_int_equal(f->req.nseries, 3);
    assert_int_equal(f->req.nsamples, 5);

    buf more_series = {0};
    b_put(&more_series, b.b, b.n);
    h_series(&more_series, KV("__name__", "d"), 0, 0);
    assert_int_equal(rw_decode_v1(&f->req, more_series.b, more_series.n, &lim), -MAI_ETOOBIG);
    expect_reason_has(&f->req, "series");

    buf more_samples = {0};
    h_series(&more_samples, KV("__name__", "a"), 6, 0);
    assert_int_equal(rw_decode_v1(&f->req, more_samples.b, more_samples.n, &lim), -MAI_ETOOBIG);
    expect_reason_has(&f->req, "samples");

    buf v2 = {0};
    h2_symbols(&v2, KV("", "__name__", "a"));
    for (int i = 0; i < 3; i++)
        h2_series(&v2, REFS(1, 2), i < 2 ? 2 : 1, 0, -1);
    assert_int_equal(rw_decode_v2(&f->req, v2.b, v2.n, &lim), 0);
    h2_series(&v2, REFS(1, 2), 0, 0, -1);
    assert_int_equal(rw_decode_v2(&f->req, v2.b, v2.n, &lim), -MAI_ETOOBIG);
    expect_reason_has(&f->req, "series");
    buf v2s = {0};
    h2_symbols(&v2s, KV("", "__name__", "a"));
    h2_series(&v2s, REFS(1, 2), 6, 0, -1);
    assert_int_equal(rw_decode_v2(&f->req, v2s.b, v2s.n, &lim), -MAI_ETOOBIG);
    expect_reason_has(&f->req, "samples");
    b_free(&b);
    b_free(&more_series);
    b_free(&more_samples);
    b_free(&v2);
    b_free(&v2s);
}

/* ---- wire forms ------------------------------------------------------------------------------ */

static void test_packed_and_unpacked_labels_refs_both_work(void **state)
{
    fx *f = *state;
    buf body = {0};
    h2_symbols(&body, KV("", "__name__", "up", "job", "a"));
    h2_series(&body, REFS(1, 2, 3, 4), 1, 0, -1); /* packed */
    {
        buf ts = {0};
        for (uint32_t r = 1; r <= 4; r++) /* unpacked */
            b_uint(&ts, 1, r);
        h_sample(&ts, ONE_BITS, 2000);
        b_msg(&body, 5, &ts);
        b_free(&ts);
    }
    {
        buf ts = {0}, p1 = {0}, p2 = {0};
        b_varint(&p1, 1); /* packed [1], unpacked 2, packed [3, 4]: a pair split across forms */
        b_msg(&ts, 1, &p1);
        b_uint(&ts, 1, 2);
        b_varint(&p2, 3);
        b_varint(&p2, 4);
        b_msg(&ts, 1, &p2);
        b_bytes(&ts, 1, "", 0); /* an empty packed run */
        h_sample(&ts, ONE_BITS, 2000);
        b_msg(&body, 5, &ts);
        b_free(&ts);
        b_free(&p1);
        b_free(&p2);
    }
    int rw_ok, pc_ok;
    const char *e = oracle_v2(&f->req, body.b, body.n, &LIM, NULL, 1, &rw_ok, &pc_ok);
    if (e)
        fail_msg("%s", e);
    assert_true(rw_ok && pc_ok);
    assert_int_equal(f->req.nseries, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(series_at(&f->req, i)->invalid, RW_VALID);
        expect_labels(&f->req, i, KV("__name__", "up", "job", "a"));
    }
    b_free(&body);
}

static void test_unknown_fields_are_skipped_at_every_level(void **state)
{
    fx *f = *state;
    rw_request plain;
    rw_request_init(&plain);
    /* 1.0, first without, then with unknown fields of every wire type in every message. */
    buf p = {0}, u = {0}, ts = {0}, l = {0}, s = {0}, m = {0}, ex = {0}, h = {0}, ts2 = {0};
    h_label(&ts, "__name__", "up");
    h_label(&ts, "job", "a");
    h_sample(&ts, 0, 1000);
    b_bytes(&ts, 3, "", 0);
    b_msg(&p, 1, &ts);
    h_series(&p, KV("__name__", "h"), 0, 1);
    b_bytes(&p, 3, "\x08\x01\x12\x02up", 6);
    assert_int_equal(rw_decode_v1(&plain, p.b, p.n, &LIM), 0);

    ts.n = 0;
    b_uint(&u, 2, 7);                    /* reserved 2 of WriteRequest */
    b_fixed64(&u, 15, 1);
    b_bytes(&u, 1000, "zz", 2);
    b_tag(&u, 536870911, 5);             /* the largest field number, fixed32 */
    b_put(&u, "\1\2\3\4", 4);
    b_str(&l, 1, "__name__");
    b_uint(&l, 3, 300);
    b_str(&l, 2, "up");
    b_fixed64(&l, 4, 9);
    b_msg(&ts, 1, &l);
    l.n = 0;
    b_bytes(&l, 9, "x", 1);
    b_str(&l, 1, "job");
    b_tag(&l, 10, 5);
    b_put(&l, "abcd", 4);
    b_str(&l, 2, "a");
    b_msg(&ts, 1, &l);
    b_fixed64(&s, 1, 0);
    b_uint(&s, 2, 1000);
    b_uint(&s, 3, 5);
    b_bytes(&s, 4, "abc", 3);
    b_msg(&ts, 2, &s);
    b_uint(&ts, 5, 1);
    b_bytes(&ts, 6, "", 0);
    b_bytes(&ex, 99, "?", 1);            /* exemplar and histogram contents too */
    b_msg(&ts, 3, &ex);
    b_msg(&u, 1, &ts);
    h_label(&ts2, "__name__", "h");
    b_fixed64(&h, 77, 1);
    b_msg(&ts2, 4, &h);
    b_tag(&ts2, 9, 5);
    b_put(&ts2, "abcd", 4);
    b_msg(&u, 1, &ts2);
    b_uint(&m, 1, 1);
    b_uint(&m, 3, 1);                    /* field 3 of MetricMetadata is not used */
    b_str(&m, 2, "up");
    b_bytes(&m, 6, "zz", 2);
    b_msg(&u, 3, &m);
    b_uint(&u, 100, 1);
    assert_int_equal(rw_decode_v1(&f->req, u.b, u.n, &LIM), 0);
    expect_same_render(&plain, &f->req);
    int rw_ok, pc_ok;
    const char *e = oracle_v1(&f->req, u.b, u.n, &LIM, NULL, &rw_ok, &pc_ok);
    if (e || !pc_ok)
        fail_msg("protobuf-c: %s", e ? e : "refused");

    /* 2.0: reserved Request fields 1-3, TimeSeries 6 (created_timestamp in 2.54-3.7), Sample 4,
     * Metadata 2, unknown numbers of every wire type. */
    buf p2 = {0}, u2 = {0}, t2 = {0}, s2 = {0}, m2 = {0}, r2 = {0};
    h2_symbols(&p2, KV("", "__name__", "up"));
    h2_series(&p2, REFS(1, 2), 1, 0, 1);
    assert_int_equal(rw_decode_v2(&plain, p2.b, p2.n, &LIM), 0);
    b_uint(&u2, 1, 1);
    b_bytes(&u2, 2, "old", 3);
    b_fixed64(&u2, 3, 3);
    h2_symbols(&u2, KV("", "__name__", "up"));
    b_varint(&r2, 1);
    b_varint(&r2, 2);
    b_msg(&t2, 1, &r2);
    b_uint(&t2, 6, 1700000000000ULL);
    b_fixed64(&s2, 1, ONE_BITS);
    b_uint(&s2, 2, 2000);
    b_bytes(&s2, 4, "x", 1);
    b_tag(&s2, 5, 5);
    b_put(&s2, "abcd", 4);
    b_msg(&t2, 2, &s2);
    b_uint(&m2, 1, 1);
    b_str(&m2, 2, "unused");
    b_fixed64(&m2, 9, 0);
    b_msg(&t2, 5, &m2);
    b_tag(&t2, 7, 5);
    b_put(&t2, "wxyz", 4);
    b_msg(&u2, 5, &t2);
    b_bytes(&u2, 6, "tail", 4);
    assert_int_equal(rw_decode_v2(&f->req, u2.b, u2.n, &LIM), 0);
    expect_same_render(&plain, &f->req);
    e = oracle_v2(&f->req, u2.b, u2.n, &LIM, NULL, 1, &rw_ok, &pc_ok);
    if (e || !pc_ok)
        fail_msg("protobuf-c: %s", e ? e : "refused");
    rw_request_free(&plain);
    buf *all[] = {&p, &u, &ts, &l, &s, &m, &ex, &h, &ts2, &p2, &u2, &t2, &s2, &m2, &r2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        b_free(all[i]);
}

static void test_v1_sample_field_3_is_an_unknown_field_not_a_start_timestamp(void **state)
{
    fx *f = *state;
    /* 1.0 Sample has fields 1 and 2 only: a field 3 of any wire type must be skipped. */
    for (unsigned wt = 0; wt < 6; wt++) {
        if (wt == 3 || wt == 4)
            continue;
        buf ts = {0}, s = {0}, body = {0};
        b_fixed64(&s, 1, ONE_BITS);
        b_uint(&s, 2, 42);
        b_tag(&s, 3, wt);
        if (wt == 2)
            b_varint(&s, 2);
        b_put(&s, "\0\0\0\0\0\0\0\0", wt == 0 ? 1 : wt == 1 ? 8 : wt == 2 ? 2 : 4);
        h_label(&ts, "__name__", "up");
        b_msg(&ts, 2, &s);
        b_msg(&body, 1, &ts);
        int rc = rw_decode_v1(&f->req, body.b, body.n, &LIM);
        if (rc != 0)
            fail_msg("field 3 wire type %u: rc %d (%s)", wt, rc, f->req.reason);
        assert_int_equal(f->req.nsamples, 1);
        assert_int_equal(mai_double_bits(f->req.samples[0].v), ONE_BITS);
        assert_int_equal(f->req.samples[0].t_ms, 42);
        b_free(&ts);
        b_free(&s);
        b_free(&body);
    }
}

static void test_fields_are_accepted_in_any_order(void **state)
{
    fx *f = *state;
    rw_request canon;
    rw_request_init(&canon);
    buf c = {0}, o = {0}, ts = {0}, l = {0}, s = {0};
    h_series(&c, KV("__name__", "up", "job", "a"), 1, 0);
    b_bytes(&c, 3, "\x08\x02\x12\x02up", 6);
    assert_int_equal(rw_decode_v1(&canon, c.b, c.n, &LIM), 0);
    /* Metadata first; in the series a sample before the labels, the labels with value first,
     * the sample with timestamp first. */
    b_bytes(&o, 3, "\x12\x02up\x08\x02", 6);
    b_uint(&s, 2, 1000);
    b_fixed64(&s, 1, 0);
    b_msg(&ts, 2, &s);
    b_str(&l, 2, "a");
    b_str(&l, 1, "job");
    b_msg(&ts, 1, &l);
    l.n = 0;
    b_str(&l, 2, "up");
    b_str(&l, 1, "__name__");
    b_msg(&ts, 1, &l);
    b_msg(&o, 1, &ts);
    assert_int_equal(rw_decode_v1(&f->req, o.b, o.n, &LIM), 0);
    expect_same_render(&canon, &f->req);

    /* 2.0: symbols after the series (and split around them); metadata before the refs. */
    buf c2 = {0}, o2 = {0}, t2 = {0}, refs = {0};
    h2_symbols(&c2, KV("", "__name__", "up", "job", "a"));
    h2_series(&c2, REFS(1, 2, 3, 4), 1, 0, 2);
    h2_series(&c2, REFS(1, 2), 0, 0, -1);
    assert_int_equal(rw_decode_v2(&canon, c2.b, c2.n, &LIM), 0);
    h2_symbols(&o2, KV("", "__name__"));
    b_bytes(&t2, 5, "\x08\x02", 2);
    h_sample(&t2, ONE_BITS, 2000);
    b_varint(&refs, 1);
    b_varint(&refs, 2);
    b_msg(&t2, 1, &refs);
    b_uint(&t2, 1, 3);
    b_uint(&t2, 1, 4);
    b_msg(&o2, 5, &t2);
    h2_symbols(&o2, KV("up", "job"));
    h2_series(&o2, REFS(1, 2), 0, 0, -1);
    h2_symbols(&o2, KV("a"));
    assert_int_equal(rw_decode_v2(&f->req, o2.b, o2.n, &LIM), 0);
    expect_same_render(&canon, &f->req);
    rw_request_free(&canon);
    buf *all[] = {&c, &o, &ts, &l, &s, &c2, &o2, &t2, &refs};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        b_free(all[i]);
}

static void test_a_repeated_scalar_field_keeps_its_last_value(void **state)
{
    fx *f = *state;
    buf ts = {0}, s = {0}, l = {0}, body = {0};
    b_fixed64(&s, 1, ONE_BITS);
    b_uint(&s, 2, 1);
    b_fixed64(&s, 1, MAI_STALE_NAN_BITS);
    b_uint(&s, 2, 2);
    b_str(&l, 1, "job");
    b_str(&l, 2, "first");
    b_str(&l, 1, "__name__");
    b_str(&l, 2, "last");
    b_msg(&ts, 1, &l);
    b_msg(&ts, 2, &s);
    b_msg(&body, 1, &ts);
    int rw_ok, pc_ok;
    const char *e = oracle_v1(&f->req, body.b, body.n, &LIM, NULL, &rw_ok, &pc_ok);
    if (e)
        fail_msg("%s", e);
    expect_labels(&f->req, 0, KV("__name__", "last"));
    assert_int_equal(mai_double_bits(f->req.samples[0].v), MAI_STALE_NAN_BITS);
    assert_int_equal(f->req.samples[0].t_ms, 2);
    b_free(&ts);
    b_free(&s);
    b_free(&l);
    b_free(&body);
}

static void test_empty_metadata_only_and_2_0_bodies_read_as_1_0(void **state)
{
    fx *f = *state;
    static const uint8_t empty[1] = {0};
    assert_int_equal(rw_decode_v1(&f->req, empty, 0, &LIM), 0);
    assert_int_equal(f->req.nseries + f->req.nmeta + f->req.nsamples, 0);
    assert_int_equal(rw_decode_v2(&f->req, empty, 0, &LIM), 0);
    assert_int_equal(f->req.nseries + f->req.nsymbols, 0);

    buf md = {0};
    b_bytes(&md, 3, "\x08\x01\x12\x02up", 6);
    assert_int_equal(rw_decode_v1(&f->req, md.b, md.n, &LIM), 0);
    assert_int_equal(f->req.nmeta, 1);
    assert_int_equal(f->req.nseries, 0);

    /* A 2.0 body read as 1.0: fields 4 and 5 are unknown there, so an empty request. */
    buf v2 = {0};
    h2_symbols(&v2, KV("", "__name__", "up"));
    h2_series(&v2, REFS(1, 2), 3, 0, 1);
    assert_int_equal(rw_decode_v1(&f->req, v2.b, v2.n, &LIM), 0);
    assert_int_equal(f->req.nseries + f->req.nmeta + f->req.nsamples + f->req.nlabels, 0);
    b_free(&md);
    b_free(&v2);
}

/* ---- reuse ----------------------------------------------------------------------------------- */

static void test_reusing_a_request_gives_only_the_last_body(void **state)
{
    fx *f = *state;
    rw_request fresh;
    buf big = {0}, small = {0}, v2 = {0}, broken = {0};
    for (int i = 0; i < 200; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        h_series(&big, i % 7 ? KV("__name__", "m", "i", v) : KV("i", v), 3, i % 11 == 0);
    }
    for (int i = 0; i < 5; i++)
        b_bytes(&big, 3, "\x08\x01\x12\x02up", 6);
    h_series(&small, KV("__name__", "small"), 1, 0);
    h2_symbols(&v2, KV("", "__name__", "two"));
    h2_series(&v2, REFS(1, 2), 2, 0, 2);
    h2_series(&v2, REFS(1), 1, 0, -1);
    b_put(&broken, small.b, small.n);
    b_byte(&broken, 0x0a); /* cut inside a length */

    const struct { const buf *b; int v2; int rc; } steps[] = {
        {&big, 0, 0}, {&small, 0, 0}, {&big, 0, 0}, {&v2, 1, 0}, {&small, 0, 0},
        {&v2, 1, 0}, {&broken, 0, -MAI_EPROTO}, {&small, 0, 0}, {&big, 0, 0}, {&v2, 1, 0},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const buf *b = steps[i].b;
        int rc = steps[i].v2 ? rw_decode_v2(&f->req, b->b, b->n, &LIM)
                             : rw_decode_v1(&f->req, b->b, b->n, &LIM);
        assert_int_equal(rc, steps[i].rc);
        if (rc != 0)
            continue;
        rw_request_init(&fresh);
        assert_int_equal(steps[i].v2 ? rw_decode_v2(&fresh, b->b, b->n, &LIM)
                                     : rw_decode_v1(&fresh, b->b, b->n, &LIM),
                         0);
        expect_same_render(&fresh, &f->req);
        rw_request_free(&fresh);
    }
    assert_int_equal(f->req.nseries, 2);
    assert_int_equal(f->req.invalid_series, 1);
    b_free(&big);
    b_free(&small);
    b_free(&v2);
    b_free(&broken);
}

static int group_teardown(void **state)
{
    (void)state;
    free(g_lab);
    free(g_bits);
    free(g_ts);
    return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_v1_round_trip_keeps_labels_value_bits_timestamps_and_metadata),
        T(test_v2_round_trip_resolves_symbols_and_keeps_counts_and_metadata_type),
        T(test_differential_random_v1_requests_decode_like_protobuf_c),
        T(test_differential_random_v2_requests_decode_like_protobuf_c),
        T(test_differential_mutated_bodies_agree_on_accept_or_reject),
        T(test_malformed_bodies_are_refused_with_a_reason),
        T(test_documented_differences_rw_decode_accepts_protobuf_c_refuses),
        T(test_series_without_metric_name_is_invalid_and_the_rest_stay_valid),
        T(test_empty_label_name_is_invalid),
        T(test_duplicate_label_names_are_invalid_even_apart_and_unsorted),
        T(test_unsorted_labels_are_sorted_by_name_bytes),
        T(test_empty_valued_labels_are_dropped_and_not_counted),
        T(test_label_count_limit_at_n_minus_1_n_and_n_plus_1),
        T(test_label_length_limit_at_n_minus_1_n_and_n_plus_1),
        T(test_many_unsorted_labels_over_the_limit_are_refused_quickly),
        T(test_v2_odd_labels_refs_is_a_bad_ref),
        T(test_v2_refs_out_of_the_symbols_table_are_bad_refs),
        T(test_samples_and_histograms_in_one_series_are_refused),
        T(test_label_bytes_must_be_valid_utf8),
        T(test_reason_is_one_readable_line_whatever_the_label_bytes),
        T(test_invalid_texts_exist_for_every_code),
        T(test_count_limits_give_etoobig_past_n),
        T(test_packed_and_unpacked_labels_refs_both_work),
        T(test_unknown_fields_are_skipped_at_every_level),
        T(test_v1_sample_field_3_is_an_unknown_field_not_a_start_timestamp),
        T(test_fields_are_accepted_in_any_order),
        T(test_a_repeated_scalar_field_keeps_its_last_value),
        T(test_empty_metadata_only_and_2_0_bodies_read_as_1_0),
        T(test_reusing_a_request_gives_only_the_last_body),
    };
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
