/* SPDX-License-Identifier: Apache-2.0
 * models/codec.c -- CRC-32 for saved model states (see codec.h). Bitwise: states are a few KiB
 * and saved rarely, so a table buys nothing worth its cache lines. */
#include "codec.h"

uint32_t mai_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}
