/* SPDX-License-Identifier: Apache-2.0
 * models/base.h -- types and error codes shared by every folder: a byte view (mai_str) and the
 * negative MAI_E* codes that functions return. The bottom layer: includes nothing of the project. */
#ifndef MAI_MODELS_BASE_H
#define MAI_MODELS_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A view of bytes owned by someone else; not NUL-terminated. */
typedef struct mai_str {
    const char *p;
    uint32_t n;
} mai_str;

static inline int mai_str_eq(mai_str a, mai_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline int mai_str_eq_cstr(mai_str a, const char *s)
{
    size_t n = strlen(s);
    return a.n == n && memcmp(a.p, s, n) == 0;
}

static inline int mai_str_cmp(mai_str a, mai_str b)
{
    uint32_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c != 0)
        return c;
    return a.n < b.n ? -1 : (a.n > b.n ? 1 : 0);
}

enum {
    MAI_OK = 0,
    MAI_EINVAL = 1,   /* bad argument or configuration */
    MAI_ENOMEM = 2,   /* allocation failed */
    MAI_EPROTO = 3,   /* malformed input from the network */
    MAI_ETOOBIG = 4,  /* input over a configured limit */
    MAI_ELIMIT = 5,   /* a capacity limit (series, in-flight) was reached */
    MAI_EIO = 6,      /* system call failed */
    MAI_ENOTSUP = 7,  /* valid input of a kind not supported */
};

/* qsort comparator for doubles, ascending (NaN compares equal to everything). */
int mai_cmp_double(const void *a, const void *b);

/* Text for a MAI_E* code (positive or negative); never NULL. */
const char *mai_strerror(int code);

/* The stale marker: a NaN with exactly these bits ends a series. Compare bits, never values. */
#define MAI_STALE_NAN_BITS 0x7ff0000000000002ULL

static inline int mai_is_stale(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b == MAI_STALE_NAN_BITS;
}

/* n rounded up to a multiple of a (a power of two), e.g. for aligned_alloc's size rule. */
static inline size_t mai_round_up(size_t n, size_t a)
{
    return (n + a - 1) & ~(a - 1);
}

static inline uint64_t mai_double_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

#endif
