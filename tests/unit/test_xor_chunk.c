/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_xor_chunk.c -- the XOR chunk encoder against hand-computed bytes and against a
 * decoder (xor_decoder.h) written after Prometheus' xorIterator (tsdb/chunkenc/xor.go): regular and
 * irregular timestamps (every delta-of-delta class), negative timestamps, NaN and repeated
 * values, the 120-sample limit; and CRC-32C's check value. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/xor_chunk.h"
#include "xor_decoder.h"

static void roundtrip(const int64_t *t, const double *v, size_t n)
{
    xor_chunk c;
    xor_chunk_init(&c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(xor_chunk_append(&c, t[i], v[i]), 0);
    assert_int_equal(c.n, n);
    assert_true(xor_chunk_len(&c) <= XOR_CHUNK_MAX_BYTES);
    int64_t dt[XOR_CHUNK_MAX_SAMPLES];
    double dv[XOR_CHUNK_MAX_SAMPLES];
    assert_int_equal(xor_decode(c.data, xor_chunk_len(&c), dt, dv), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(dt[i], t[i]);
        assert_memory_equal(&dv[i], &v[i], sizeof v[i]);    /* bit for bit, NaN included */
    }
    if (n) {
        assert_int_equal(c.min_t, t[0]);
        assert_int_equal(c.t, t[n - 1]);
    }
}

/* ---------------------------------------------------------------- tests */

static void test_xor_chunk_hand_computed_bytes(void **state)
{
    (void)state;
    xor_chunk c;
    xor_chunk_init(&c);
    assert_int_equal(xor_chunk_append(&c, 0, 1.0), 0);
    assert_int_equal(xor_chunk_append(&c, 1000, 1.0), 0);
    /* count 2; zigzag varint 0; 1.0's bits; uvarint 1000 = e8 07; one 0 bit (same value) */
    static const uint8_t want[] = {0x00, 0x02, 0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0,
                                   0xe8, 0x07, 0x00};
    assert_int_equal(xor_chunk_len(&c), sizeof want);
    assert_memory_equal(c.data, want, sizeof want);
    /* a third sample on the same step and value: one 0 bit for the delta-of-delta, one for the
     * value, in the same last byte */
    assert_int_equal(xor_chunk_append(&c, 2000, 1.0), 0);
    assert_int_equal(xor_chunk_len(&c), sizeof want);
    assert_int_equal(c.data[1], 3);
}

static void test_xor_chunk_regular_series_round_trip(void **state)
{
    (void)state;
    int64_t t[XOR_CHUNK_MAX_SAMPLES];
    double v[XOR_CHUNK_MAX_SAMPLES];
    for (size_t i = 0; i < XOR_CHUNK_MAX_SAMPLES; i++) {
        t[i] = INT64_C(1700000000000) + (int64_t)i * 60000;
        v[i] = 10 + 0.5 * (double)i;
    }
    roundtrip(t, v, XOR_CHUNK_MAX_SAMPLES);
    for (size_t i = 0; i < XOR_CHUNK_MAX_SAMPLES; i++)
        v[i] = 42;
    roundtrip(t, v, XOR_CHUNK_MAX_SAMPLES);
    roundtrip(t, v, 1);
    roundtrip(t, v, 2);
}

static void test_xor_chunk_every_delta_class_and_odd_values(void **state)
{
    (void)state;
    /* deltas chosen so the delta-of-delta takes each class: 0, 14, 17, 20 and 64 bits, both
     * signs, and the class edges */
    static const int64_t gaps[] = {60000, 60000, 60001, 68192, 60000, 125535, 60000,
                                   584287, 60000, 5000000000, 60000, 1, 8193, 1, 65537, 1,
                                   524289, 1, 2, 3};
    int64_t t[32];
    double v[32];
    size_t n = 0;
    t[n] = -5000000;        /* negative: a zigzag varint */
    v[n++] = -1.5;
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++, n++) {
        t[n] = t[n - 1] + gaps[i];
        v[n] = n % 5 == 0 ? NAN : n % 3 == 0 ? v[n - 1] : n % 7 == 0 ? INFINITY
             : (double)n * 1.0e15 / 7.0;
    }
    roundtrip(t, v, n);
    double r[64];
    int64_t rt[64];
    srand(7);
    for (size_t i = 0; i < 64; i++) {
        rt[i] = (int64_t)i * 15000 + rand() % 2000;
        r[i] = (double)rand() / RAND_MAX * (i % 2 ? 1e-9 : 1e12);
    }
    roundtrip(rt, r, 64);
}

static void test_xor_chunk_refuses_past_its_sample_limit(void **state)
{
    (void)state;
    xor_chunk c;
    xor_chunk_init(&c);
    for (int i = 0; i < XOR_CHUNK_MAX_SAMPLES; i++)
        assert_int_equal(xor_chunk_append(&c, i, i), 0);
    assert_int_equal(xor_chunk_append(&c, 1000, 1), -1);
    assert_int_equal(c.n, XOR_CHUNK_MAX_SAMPLES);
    assert_int_equal(c.data[0] << 8 | c.data[1], XOR_CHUNK_MAX_SAMPLES);
}

static void test_crc32c_check_value(void **state)
{
    (void)state;
    assert_int_equal(crc32c("123456789", 9), 0xE3069283u);
    assert_int_equal(crc32c("", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xor_chunk_hand_computed_bytes),
        cmocka_unit_test(test_xor_chunk_regular_series_round_trip),
        cmocka_unit_test(test_xor_chunk_every_delta_class_and_odd_values),
        cmocka_unit_test(test_xor_chunk_refuses_past_its_sample_limit),
        cmocka_unit_test(test_crc32c_check_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
