/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/xor_decoder.h -- a Prometheus XOR chunk decoder for tests, written after
 * Prometheus' xorIterator (tsdb/chunkenc/xor.go), independent of adapter/xor_chunk.c; it fails
 * the running cmocka test on a truncated chunk. */
#ifndef MAI_TESTS_XOR_DECODER_H
#define MAI_TESTS_XOR_DECODER_H

#include <stdint.h>
#include <string.h>

typedef struct breader {
    const uint8_t *p;
    size_t nbits, pos;
} breader;

static inline uint64_t get_bits(breader *r, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        assert_true(r->pos < r->nbits);
        unsigned bit = (r->p[r->pos / 8] >> (7 - r->pos % 8)) & 1;
        v = v << 1 | bit;
        r->pos++;
    }
    return v;
}

static inline uint64_t get_uvarint(breader *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint64_t b = get_bits(r, 8);
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    fail_msg("varint too long");
    return 0;
}

/* Decodes a chunk; returns the sample count. */
static inline size_t xor_decode(const uint8_t *p, size_t len, int64_t *t, double *v)
{
    assert_true(len >= 2);
    size_t total = (size_t)p[0] << 8 | p[1];
    breader r = {p + 2, (len - 2) * 8, 0};
    uint64_t tdelta = 0, vbits = 0;
    unsigned leading = 0, trailing = 0;
    for (size_t i = 0; i < total; i++) {
        if (i == 0) {
            uint64_t z = get_uvarint(&r);
            t[0] = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            vbits = get_bits(&r, 64);
        } else {
            if (i == 1) {
                tdelta = get_uvarint(&r);
            } else {
                unsigned d = 0;
                for (int k = 0; k < 4; k++) {
                    d <<= 1;
                    if (get_bits(&r, 1) == 0)
                        break;
                    d |= 1;
                }
                int64_t dod = 0;
                unsigned sz = d == 2 ? 14 : d == 6 ? 17 : d == 14 ? 20 : 0;
                if (d == 15)
                    dod = (int64_t)get_bits(&r, 64);
                if (sz) {
                    uint64_t b = get_bits(&r, sz);
                    if (b > (UINT64_C(1) << (sz - 1)))
                        b -= UINT64_C(1) << sz;
                    dod = (int64_t)b;
                }
                tdelta = (uint64_t)((int64_t)tdelta + dod);
            }
            t[i] = t[i - 1] + (int64_t)tdelta;
            if (get_bits(&r, 1)) {
                if (get_bits(&r, 1)) {
                    leading = (unsigned)get_bits(&r, 5);
                    unsigned m = (unsigned)get_bits(&r, 6);
                    if (m == 0)
                        m = 64;
                    trailing = 64 - leading - m;
                }
                unsigned m = 64 - leading - trailing;
                vbits ^= get_bits(&r, m) << trailing;
            }
        }
        memcpy(&v[i], &vbits, sizeof v[i]);
    }
    return total;
}

#endif
