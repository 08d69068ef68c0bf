/* SPDX-License-Identifier: Apache-2.0
 * adapter/xor_chunk.h -- Prometheus TSDB XOR chunks (tsdb/chunkenc/xor.go: a 2-byte big-endian
 * sample count, then the Gorilla bitstream: first timestamp as a signed varint and value as 64
 * bits, second timestamp delta as an unsigned varint, then delta-of-delta timestamps in
 * 1/14/17/20/64-bit classes and XOR-ed values with leading/trailing zero counts), and the CRC-32C
 * (Castagnoli) that frames streamed remote read messages. For the STREAMED_XOR_CHUNKS answer of
 * remote read. A chunk lives in its own fixed-size struct: no allocation. */
#ifndef MAI_ADAPTER_XOR_CHUNK_H
#define MAI_ADAPTER_XOR_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#define XOR_CHUNK_MAX_SAMPLES 120   /* what Prometheus cuts its head chunks at */
/* worst case: header 2 + first 10 + 8 + second 10 + 9 bytes, then 4+64 + 1+1+5+6+64 bits each */
#define XOR_CHUNK_MAX_BYTES (2 + 10 + 8 + 10 + 9 + (XOR_CHUNK_MAX_SAMPLES - 2) * 19 + 8)

typedef struct xor_chunk {
    uint8_t data[XOR_CHUNK_MAX_BYTES];
    size_t bits;                /* bits written, the 16-bit header included */
    uint16_t n;                 /* samples */
    int64_t t, min_t;           /* newest and oldest timestamp */
    uint64_t tdelta;
    uint64_t vbits;             /* newest value's bits */
    uint8_t leading, trailing;
} xor_chunk;

void xor_chunk_init(xor_chunk *c);

/* Appends a sample (timestamps ascending). Returns 0, or -1 when the chunk holds
 * XOR_CHUNK_MAX_SAMPLES already. */
int xor_chunk_append(xor_chunk *c, int64_t t_ms, double v);

/* The chunk's bytes (header included). */
static inline size_t xor_chunk_len(const xor_chunk *c)
{
    return (c->bits + 7) / 8;
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Go's crc32.Checksum(b, castagnoli). */
uint32_t crc32c(const void *p, size_t n);

#endif
