/* SPDX-License-Identifier: Apache-2.0
 * models/codec.c -- CRC-32 for saved model states and snapshot sections (see codec.h), by zlib's
 * crc32 (the same polynomial as PNG and gzip). */
#include "codec.h"

#include <zlib.h>

uint32_t mai_crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    /* zlib takes uInt lengths: feed large buffers in pieces */
    uLong c = crc;
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

uint32_t mai_crc32(const uint8_t *p, size_t n)
{
    return mai_crc32_update(0, p, n);
}
