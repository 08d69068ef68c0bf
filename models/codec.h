/* SPDX-License-Identifier: Apache-2.0
 * models/codec.h -- little-endian field access and CRC-32 for the models' save/load layouts, so
 * that a saved state reads back the same on any host. Pure functions over caller buffers. */
#ifndef MAI_MODELS_CODEC_H
#define MAI_MODELS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void le_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void le_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void le_put_f64(uint8_t *p, double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    le_put_u64(p, b);
}

static inline uint32_t le_get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static inline uint64_t le_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline double le_get_f64(const uint8_t *p)
{
    uint64_t b = le_get_u64(p);
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* A bounds-checked little-endian reader over a caller's buffer: a read past the end returns
 * NULL or 0 and sets bad, and every later read fails too, so a loader checks bad once. */
typedef struct codec_rd {
    const uint8_t *p;
    size_t n, at;
    int bad;
} codec_rd;

static inline const uint8_t *codec_take(codec_rd *r, size_t k)
{
    if (r->bad || r->n - r->at < k) {
        r->bad = 1;
        return NULL;
    }
    r->at += k;
    return r->p + r->at - k;
}

static inline uint32_t codec_u32(codec_rd *r)
{
    const uint8_t *q = codec_take(r, 4);
    return q ? le_get_u32(q) : 0;
}

static inline uint64_t codec_u64(codec_rd *r)
{
    const uint8_t *q = codec_take(r, 8);
    return q ? le_get_u64(q) : 0;
}

static inline double codec_f64(codec_rd *r)
{
    const uint8_t *q = codec_take(r, 8);
    return q ? le_get_f64(q) : 0;
}

static inline float codec_f32(codec_rd *r)
{
    uint32_t bits = codec_u32(r);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of p[0..n). */
uint32_t mai_crc32(const uint8_t *p, size_t n);
/* Continues a CRC-32 over more bytes, as zlib's crc32(crc, p, n): start from 0;
 * mai_crc32_update(mai_crc32(a), b) is the CRC-32 of a followed by b. */
uint32_t mai_crc32_update(uint32_t crc, const uint8_t *p, size_t n);

#endif
