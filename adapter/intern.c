/* SPDX-License-Identifier: Apache-2.0
 * adapter/intern.c -- open-addressing string set over arena chunks (see intern.h). The table
 * doubles at 3/4 load; strings never move, so returned pointers stay valid. */
#include "adapter/intern.h"

#include <stdlib.h>

#define CHUNK_BYTES (64u * 1024u)

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(8) char data[];
} chunk;

struct interner {
    const istr **table;
    uint32_t cap, n;        /* cap is a power of two */
    chunk *chunks;
    size_t bytes;
};

int interner_create(interner **out)
{
    interner *in = calloc(1, sizeof *in);
    if (!in)
        return -MAI_ENOMEM;
    in->cap = 256;
    in->table = calloc(in->cap, sizeof *in->table);
    if (!in->table) {
        free(in);
        return -MAI_ENOMEM;
    }
    in->bytes = sizeof *in + in->cap * sizeof *in->table;
    *out = in;
    return 0;
}

void interner_destroy(interner *in)
{
    if (!in)
        return;
    chunk *c = in->chunks;
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(in->table);
    free(in);
}

static void *arena_alloc(interner *in, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    chunk *c = in->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = in->chunks;
        in->chunks = c;
        in->bytes += sizeof *c + cap;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static int grow_table(interner *in)
{
    uint32_t ncap = in->cap * 2;
    const istr **t = calloc(ncap, sizeof *t);
    if (!t)
        return -MAI_ENOMEM;
    for (uint32_t i = 0; i < in->cap; i++) {
        const istr *s = in->table[i];
        if (!s)
            continue;
        uint32_t j = (uint32_t)s->hash & (ncap - 1);
        while (t[j])
            j = (j + 1) & (ncap - 1);
        t[j] = s;
    }
    free(in->table);
    in->bytes += (size_t)(ncap - in->cap) * sizeof *t;
    in->table = t;
    in->cap = ncap;
    return 0;
}

const istr *interner_get(interner *in, mai_str s, uint64_t hash)
{
    uint32_t mask = in->cap - 1;
    uint32_t j = (uint32_t)hash & mask;
    for (;;) {
        const istr *e = in->table[j];
        if (!e)
            break;
        if (e->hash == hash && e->n == s.n && memcmp(e->s, s.p, s.n) == 0)
            return e;
        j = (j + 1) & mask;
    }
    if ((in->n + 1) * 4 > in->cap * 3) {
        if (grow_table(in) != 0)
            return NULL;
        return interner_get(in, s, hash);
    }
    istr *e = arena_alloc(in, sizeof *e + s.n + 1);
    if (!e)
        return NULL;
    e->hash = hash;
    e->n = s.n;
    if (s.n)
        memcpy(e->s, s.p, s.n);
    e->s[s.n] = '\0';
    in->table[j] = e;
    in->n++;
    return e;
}

size_t interner_count(const interner *in)
{
    return in->n;
}

size_t interner_bytes(const interner *in)
{
    return in->bytes;
}
