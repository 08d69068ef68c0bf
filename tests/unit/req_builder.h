/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/req_builder.h -- builds a decoded remote write request (rw_request) by hand for
 * tests that start after the decoder: the store and its JSON view. */
#ifndef MAI_TESTS_REQ_BUILDER_H
#define MAI_TESTS_REQ_BUILDER_H

#include <string.h>

#include "adapter/rw_decode.h"

/* A request built by hand: series with labels given as "name=value" C strings. */
typedef struct req_builder {
    rw_request req;
    rw_series series[64];
    rw_label labels[512];
    rw_sample samples[1024];
} req_builder;

static inline void rb_init(req_builder *b)
{
    memset(b, 0, sizeof *b);
    b->req.series = b->series;
    b->req.labels = b->labels;
    b->req.samples = b->samples;
}

static inline mai_str S(const char *s)
{
    mai_str v = {s, (uint32_t)strlen(s)};
    return v;
}

/* Adds a series; pairs is "name", "value", ..., NULL. Labels must be sorted (the decoder sorts). */
static inline rw_series *rb_series(req_builder *b, const char *const *pairs)
{
    rw_series *s = &b->series[b->req.nseries++];
    memset(s, 0, sizeof *s);
    s->meta_type = -1;
    s->label0 = b->req.nlabels;
    for (int i = 0; pairs[i]; i += 2) {
        b->labels[b->req.nlabels].name = S(pairs[i]);
        b->labels[b->req.nlabels].value = S(pairs[i + 1]);
        b->req.nlabels++;
        s->nlabels++;
    }
    s->sample0 = b->req.nsamples;
    return s;
}

static inline void rb_sample(req_builder *b, rw_series *s, int64_t t_ms, double v)
{
    b->samples[b->req.nsamples].t_ms = t_ms;
    b->samples[b->req.nsamples].v = v;
    b->req.nsamples++;
    s->nsamples++;
}

#endif
