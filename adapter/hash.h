/* SPDX-License-Identifier: Apache-2.0
 * adapter/hash.h -- a fast 64-bit hash of byte strings (8 bytes per step, multiply-xorshift
 * mixing) for label interning and series keys. Not cryptographic: collisions are resolved by
 * full comparison wherever it is used. */
#ifndef MAI_ADAPTER_HASH_H
#define MAI_ADAPTER_HASH_H

#include <stdint.h>
#include <string.h>

static inline uint64_t mai_hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint64_t mai_hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    while (n >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        h = (h ^ mai_hash_mix(k)) * 0x9e3779b97f4a7c15ULL;
        p += 8;
        n -= 8;
    }
    uint64_t k = 0;
    memcpy(&k, p, n);
    h = (h ^ mai_hash_mix(k ^ n)) * 0x9e3779b97f4a7c15ULL;
    return mai_hash_mix(h);
}

#endif
