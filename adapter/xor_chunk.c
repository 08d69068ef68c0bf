/* SPDX-License-Identifier: Apache-2.0
 * adapter/xor_chunk.c -- XOR chunk encoder and CRC-32C (see xor_chunk.h). Bits are written most
 * significant first, as Prometheus' bstream does; the chunk's memory starts zeroed, so a write
 * only ORs bits in. */
#include "adapter/xor_chunk.h"

#include <pthread.h>
#include <string.h>

void xor_chunk_init(xor_chunk *c)
{
    memset(c, 0, sizeof *c);
    c->bits = 16;
    c->leading = 0xff;
}

static void put_bits(xor_chunk *c, uint64_t v, unsigned nbits)
{
    while (nbits > 0) {
        unsigned room = 8 - (unsigned)(c->bits % 8);   /* free bits in the current byte */
        unsigned take = nbits < room ? nbits : room;
        uint64_t part = (v >> (nbits - take)) & ((1u << take) - 1);
        c->data[c->bits / 8] |= (uint8_t)(part << (room - take));
        c->bits += take;
        nbits -= take;
    }
}

static void put_uvarint(xor_chunk *c, uint64_t v)
{
    while (v >= 0x80) {
        put_bits(c, (v & 0x7f) | 0x80, 8);
        v >>= 7;
    }
    put_bits(c, v, 8);
}

static uint64_t dbits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* Whether x fits the nbits class of the delta-of-delta encoding. */
static int bit_range(int64_t x, unsigned nbits)
{
    int64_t lim = (int64_t)1 << (nbits - 1);
    return -(lim - 1) <= x && x <= lim;
}

static void put_value(xor_chunk *c, double v)
{
    uint64_t delta = dbits(v) ^ c->vbits;
    if (delta == 0) {
        put_bits(c, 0, 1);
        return;
    }
    put_bits(c, 1, 1);
    unsigned leading = (unsigned)__builtin_clzll(delta), trailing = (unsigned)__builtin_ctzll(delta);
    if (leading >= 32)
        leading = 31;
    if (c->leading != 0xff && leading >= c->leading && trailing >= c->trailing) {
        put_bits(c, 0, 1);
        put_bits(c, delta >> c->trailing, 64 - c->leading - c->trailing);
        return;
    }
    c->leading = (uint8_t)leading;
    c->trailing = (uint8_t)trailing;
    put_bits(c, 1, 1);
    put_bits(c, leading, 5);
    unsigned sig = 64 - leading - trailing;
    put_bits(c, sig & 63, 6);       /* 64 is written as 0 */
    put_bits(c, delta >> trailing, sig);
}

int xor_chunk_append(xor_chunk *c, int64_t t, double v)
{
    if (c->n >= XOR_CHUNK_MAX_SAMPLES)
        return -1;
    uint64_t tdelta = 0;
    if (c->n == 0) {
        put_uvarint(c, ((uint64_t)t << 1) ^ (uint64_t)(t >> 63));     /* zigzag varint */
        put_bits(c, dbits(v), 64);
        c->min_t = t;
    } else if (c->n == 1) {
        tdelta = (uint64_t)t - (uint64_t)c->t;
        put_uvarint(c, tdelta);
        put_value(c, v);
    } else {
        tdelta = (uint64_t)t - (uint64_t)c->t;
        int64_t dod = (int64_t)(tdelta - c->tdelta);
        if (dod == 0) {
            put_bits(c, 0, 1);
        } else if (bit_range(dod, 14)) {
            put_bits(c, 2, 2);
            put_bits(c, (uint64_t)dod, 14);
        } else if (bit_range(dod, 17)) {
            put_bits(c, 6, 3);
            put_bits(c, (uint64_t)dod, 17);
        } else if (bit_range(dod, 20)) {
            put_bits(c, 14, 4);
            put_bits(c, (uint64_t)dod, 20);
        } else {
            put_bits(c, 15, 4);
            put_bits(c, (uint64_t)dod, 64);
        }
        put_value(c, v);
    }
    c->t = t;
    c->vbits = dbits(v);
    c->tdelta = tdelta;
    c->n++;
    c->data[0] = (uint8_t)(c->n >> 8);
    c->data[1] = (uint8_t)c->n;
    return 0;
}

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t crc32c(const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *b = p;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}
