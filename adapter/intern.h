/* SPDX-License-Identifier: Apache-2.0
 * adapter/intern.h -- label string interning: one copy of each distinct string, kept in arena
 * chunks that are never freed before the interner. Not thread-safe: each store shard owns one
 * and calls it under the shard lock. */
#ifndef MAI_ADAPTER_INTERN_H
#define MAI_ADAPTER_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include "models/base.h"

/* An interned string: its length, its hash, and its bytes with a NUL after them. */
typedef struct istr {
    uint64_t hash;
    uint32_t n;
    char s[];
} istr;

typedef struct interner interner;

int interner_create(interner **out);    /* 0 or -MAI_ENOMEM */
void interner_destroy(interner *in);    /* NULL is a no-op */

/* Returns the one copy of s (hash = mai_hash_bytes(s, 0)), inserting it when new; NULL when out
 * of memory. The result lives as long as the interner. Amortised O(|s|). */
const istr *interner_get(interner *in, mai_str s, uint64_t hash);

size_t interner_count(const interner *in);
size_t interner_bytes(const interner *in);  /* memory held: table and arena chunks */

static inline mai_str istr_view(const istr *s)
{
    mai_str v = {s->s, s->n};
    return v;
}

#endif
