/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_remote_read.c -- libFuzzer target for the remote read request path
 * (rread_process: snappy length check, ReadRequest decoding, matcher compilation including
 * POSIX regexes, the store walk and both answer encodings). The first input byte picks the
 * framing: even = the rest is a ReadRequest protobuf that the target snappy-compresses (so
 * mutations reach the decoder), odd = the rest is the body as sent (snappy framing itself).
 * The store holds a few series at fixed times (gauges, a counter, a series only in the coarse
 * ring) so that queries find data. An answer must be 200 with a body, or 400/413 with a one-line
 * reason and no body. Seeds: tests/fuzz/corpus/fuzz_remote_read/ (requests shaped as
 * Prometheus 2.42 sends them: SAMPLES and STREAMED_XOR_CHUNKS, EQ/NEQ/RE/NRE matchers, hints). */
#include <snappy-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/remote_read.h"
#include "adapter/store.h"
#include "exporter/results.h"
#include "tests/unit/req_builder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIN INT64_C(60000)
#define T0 INT64_C(1700000000000)

static store *g_st;
static results_box *g_box;

static void setup(void)
{
    store_config c = {.shards = 2, .max_series = 64, .fine_cap = 60, .fine_step_ms = MIN,
                      .coarse_cap = 24, .coarse_step_ms = 60 * MIN};
    if (store_create(&c, &g_st) != 0 || !(g_box = results_box_create()))
        abort();
    static const char *const A[] = {"__name__", "temp", "host", "a", NULL};
    static const char *const B[] = {"__name__", "temp", "host", "b", NULL};
    static const char *const U[] = {"__name__", "up", "job", "node", NULL};
    static const char *const C[] = {"__name__", "http_requests_total", "code", "200", NULL};
    static const char *const O[] = {"__name__", "old", NULL};
    static req_builder rb;
    rb_init(&rb);
    const char *const *sets[] = {A, B, U, C};
    for (int s = 0; s < 4; s++) {
        rw_series *x = rb_series(&rb, sets[s]);
        for (int i = 0; i < 20; i++)
            rb_sample(&rb, x, T0 + i * MIN, s == 3 ? 100.0 * i : s * 10 + i);
    }
    rw_series *so = rb_series(&rb, O);
    for (int h = 0; h < 4; h++)
        rb_sample(&rb, so, T0 - (4 - h) * 60 * MIN, 10 * h);
    store_scratch *sc = store_scratch_create();
    store_result res;
    if (!sc || store_ingest(g_st, &rb.req, sc, &res) != 0)
        abort();
    store_scratch_destroy(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_st)
        setup();
    if (size == 0)
        return 0;
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    char *z = NULL;
    if (!(data[0] & 1)) {
        size_t zn = snappy_max_compressed_length(n);
        z = malloc(zn ? zn : 1);
        if (!z || snappy_compress((const char *)body, n, z, &zn) != SNAPPY_OK)
            abort();
        body = (const uint8_t *)z;
        n = zn;
    }
    rread_env env = {.st = g_st, .box = g_box, .max_decoded_bytes = 1 << 16,
                     .max_samples = 5000};
    rread_reply r;
    rread_process(&env, body, n, &r);
    if (r.status == 200) {
        if (!r.body || !r.content_type) {
            fprintf(stderr, "fuzz_remote_read: 200 without a body\n");
            abort();
        }
    } else if ((r.status != 400 && r.status != 413) || r.body || !r.text[0] ||
               strchr(r.text, '\n')) {
        fprintf(stderr, "fuzz_remote_read: answer %u with reason \"%s\"\n", r.status, r.text);
        abort();
    }
    free(r.body);
    free(z);
    return 0;
}
