/* SPDX-License-Identifier: Apache-2.0
 * exporter/png.c -- the PNG encoder behind png.h: scanline filtering, a greedy single-candidate
 * LZ77 (one hash head per 3-byte prefix, as zlib's fastest level) emitted as one fixed-Huffman
 * deflate block, Adler-32 and chunk CRCs (models/codec.h's CRC-32). */
#include "exporter/png.h"

#include <stdlib.h>
#include <string.h>

#include "models/codec.h"

#define HBITS 15
#define WINDOW 32768
#define MAXMATCH 258

typedef struct bitw {
    uint8_t *p;
    size_t n;
    uint64_t acc;
    int nb;
} bitw;

static inline void put_bits(bitw *b, uint32_t v, int n)
{
    b->acc |= (uint64_t)v << b->nb;
    b->nb += n;
    while (b->nb >= 8) {
        b->p[b->n++] = (uint8_t)b->acc;
        b->acc >>= 8;
        b->nb -= 8;
    }
}

static uint32_t reverse(uint32_t v, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++) {
        r = (r << 1) | (v & 1);
        v >>= 1;
    }
    return r;
}

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                       33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* fixed Huffman codes (RFC 1951 3.2.6), bit-reversed for the LSB-first stream */
typedef struct fixed_codes {
    uint16_t lit[288];
    uint8_t lit_len[288];
    uint8_t dist[30];
    uint8_t len_code[MAXMATCH + 1];     /* match length -> index into len_base */
} fixed_codes;

static void fixed_init(fixed_codes *f)
{
    for (int v = 0; v < 288; v++) {
        uint32_t code;
        int n;
        if (v < 144) {
            code = 0x30u + (uint32_t)v;
            n = 8;
        } else if (v < 256) {
            code = 0x190u + (uint32_t)(v - 144);
            n = 9;
        } else if (v < 280) {
            code = (uint32_t)(v - 256);
            n = 7;
        } else {
            code = 0xC0u + (uint32_t)(v - 280);
            n = 8;
        }
        f->lit[v] = (uint16_t)reverse(code, n);
        f->lit_len[v] = (uint8_t)n;
    }
    for (int d = 0; d < 30; d++)
        f->dist[d] = (uint8_t)reverse((uint32_t)d, 5);
    int k = 0;
    for (int len = 3; len <= MAXMATCH; len++) {
        while (k < 28 && len >= len_base[k + 1])
            k++;
        f->len_code[len] = (uint8_t)k;
    }
}

static int dist_code(uint32_t d)
{
    int lo = 0, hi = 29;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (dist_base[mid] <= d)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static inline uint32_t hash3(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return (v * 2654435761u) >> (32 - HBITS);
}

/* deflates p[0..n) as one final fixed-Huffman block into b (room for n * 9 / 8 + 16 bytes) */
static void deflate_fixed(const uint8_t *p, size_t n, int32_t *head, bitw *b)
{
    fixed_codes f;
    fixed_init(&f);
    memset(head, 0xff, sizeof(int32_t) << HBITS);
    put_bits(b, 1, 1);      /* BFINAL */
    put_bits(b, 1, 2);      /* BTYPE 01: fixed Huffman */
    size_t i = 0;
    while (i + 3 <= n) {
        uint32_t h = hash3(p + i);
        int32_t cand = head[h];
        head[h] = (int32_t)i;
        if (cand >= 0 && i - (size_t)cand <= WINDOW && p[cand] == p[i] &&
            p[cand + 1] == p[i + 1] && p[cand + 2] == p[i + 2]) {
            size_t max = n - i < MAXMATCH ? n - i : MAXMATCH;
            size_t len = 3;
            while (len < max && p[(size_t)cand + len] == p[i + len])
                len++;
            int lc = f.len_code[len];
            put_bits(b, f.lit[257 + lc], f.lit_len[257 + lc]);
            if (len_extra[lc])
                put_bits(b, (uint32_t)(len - len_base[lc]), len_extra[lc]);
            uint32_t d = (uint32_t)(i - (size_t)cand);
            int dc = dist_code(d);
            put_bits(b, f.dist[dc], 5);
            if (dist_extra[dc])
                put_bits(b, d - dist_base[dc], dist_extra[dc]);
            i += len;
        } else {
            put_bits(b, f.lit[p[i]], f.lit_len[p[i]]);
            i++;
        }
    }
    for (; i < n; i++)
        put_bits(b, f.lit[p[i]], f.lit_len[p[i]]);
    put_bits(b, f.lit[256], f.lit_len[256]);   /* end of block */
    if (b->nb > 0)
        put_bits(b, 0, 8 - b->nb);
}

/* Adler-32; runs of zero bytes (most of a filtered chart) advance in 8-byte steps */
static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint64_t a = 1, s = 0;
    size_t i = 0;
    while (i < n) {
        /* at most 4096 bytes between reductions: s grows by < 4096 * (a + 255 * 4096) */
        size_t end = n - i < 4096 ? n : i + 4096;
        while (i < end) {
            uint64_t w;
            if (i + 8 <= end && (memcpy(&w, p + i, 8), w == 0)) {
                s += 8 * a;
                i += 8;
                continue;
            }
            a += p[i++];
            s += a;
        }
        a %= 65521;
        s %= 65521;
    }
    return (uint32_t)(s << 16 | a);
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* finishes the chunk whose 4-byte length field is at c, holding dlen data bytes; returns the
 * byte after it */
static uint8_t *chunk_end(uint8_t *c, size_t dlen)
{
    be32(c, (uint32_t)dlen);
    be32(c + 8 + dlen, mai_crc32(c + 4, 4 + dlen));
    return c + 12 + dlen;
}

/* filter cost: the count of 8-byte words the filter leaves non-zero (zero runs are what the
 * LZ77 stage turns into a few bits); much cheaper than the usual sum of |signed bytes| and as
 * good on flat-colour charts */
static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static unsigned cost_sub(const uint8_t *r, size_t n)
{
    unsigned s = 0;
    size_t i = 3;
    for (; i + 8 <= n; i += 8)
        s += load64(r + i) != load64(r + i - 3);
    for (; i < n; i++)
        s += r[i] != r[i - 3];
    return s;
}

static unsigned cost_up(const uint8_t *r, const uint8_t *prev, size_t n)
{
    unsigned s = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        s += load64(r + i) != load64(prev + i);
    for (; i < n; i++)
        s += r[i] != prev[i];
    return s;
}

/* one row of 0x00RRGGBB words as RGB bytes */
static void rgb_row(const uint8_t *restrict src, int width, uint8_t *restrict out)
{
    for (int x = 0; x < width; x++) {
        uint32_t px;
        memcpy(&px, src + (size_t)x * 4, 4);
        out[x * 3] = (uint8_t)(px >> 16);
        out[x * 3 + 1] = (uint8_t)(px >> 8);
        out[x * 3 + 2] = (uint8_t)px;
    }
}

/* writes the row filtered with ft (0 None, 1 Sub, 2 Up) to out */
static void filter_row(int ft, const uint8_t *restrict r, const uint8_t *restrict prev, size_t n,
                       uint8_t *restrict out)
{
    if (ft == 0) {
        memcpy(out, r, n);
    } else if (ft == 1) {
        for (size_t i = 0; i < 3 && i < n; i++)
            out[i] = r[i];
        for (size_t i = 3; i < n; i++)
            out[i] = (uint8_t)(r[i] - r[i - 3]);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(r[i] - prev[i]);
    }
}

/* p grown to at least need bytes (cap updated), or NULL with *bad set; p stays owned by the
 * caller either way */
static void *grow(void *p, size_t *cap, size_t need, int *bad)
{
    if (*bad)
        return p;
    if (p && *cap >= need)
        return p;
    void *q = realloc(p, need);
    if (!q) {
        *bad = 1;
        return p;
    }
    *cap = need;
    return q;
}

void png_work_free(png_work *w)
{
    if (!w)
        return;
    free(w->filt);
    free(w->rows);
    free(w->out);
    free(w->head);
    memset(w, 0, sizeof *w);
}

int png_encode(png_work *w, const uint8_t *pixels, int width, int height, int stride,
               const char *keyword, const char *text, const uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (!pixels || width <= 0 || height <= 0 || width > (1 << 20) || height > (1 << 20) ||
        stride < width * 4)
        return -1;
    size_t rowlen = (size_t)width * 3;
    size_t flen = (rowlen + 1) * (size_t)height;
    size_t klen = keyword ? strlen(keyword) : 0, tlen = text ? strlen(text) : 0;
    if (klen > 79)
        return -1;
    size_t text_chunk = keyword ? 12 + klen + 1 + tlen : 0;
    size_t zcap = 2 + flen + flen / 8 + 64 + 4;
    size_t cap = 8 + 25 + text_chunk + 12 + zcap + 12;
    size_t hcap = w->head ? sizeof(int32_t) << HBITS : 0;
    int bad = 0;
    w->filt = grow(w->filt, &w->filt_cap, flen, &bad);
    w->rows = grow(w->rows, &w->rows_cap, rowlen * 2, &bad);
    w->head = grow(w->head, &hcap, sizeof(int32_t) << HBITS, &bad);
    w->out = grow(w->out, &w->out_cap, cap, &bad);
    if (bad)
        return -1;
    uint8_t *filt = w->filt, *rows = w->rows, *png = w->out;
    int32_t *head = w->head;
    /* scanlines: raw RGB of this row and the previous, filtered into filt */
    uint8_t *cur = rows, *prev = rows + rowlen;
    memset(prev, 0, rowlen);
    for (int y = 0; y < height; y++) {
        rgb_row(pixels + (size_t)y * (size_t)stride, width, cur);
        uint8_t *dst = filt + (size_t)y * (rowlen + 1);
        int ft;
        if (y > 0 && memcmp(cur, prev, rowlen) == 0) {
            ft = 2;     /* same as the row above: all zeros */
        } else {
            ft = y > 0 && cost_up(cur, prev, rowlen) < cost_sub(cur, rowlen) ? 2 : 1;
        }
        dst[0] = (uint8_t)ft;
        filter_row(ft, cur, prev, rowlen, dst + 1);
        uint8_t *t = prev;
        prev = cur;
        cur = t;
    }

    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t *c = png;
    memcpy(c, sig, 8);
    c += 8;
    memcpy(c + 4, "IHDR", 4);
    be32(c + 8, (uint32_t)width);
    be32(c + 12, (uint32_t)height);
    c[16] = 8;      /* bit depth */
    c[17] = 2;      /* colour type RGB */
    c[18] = 0;      /* deflate */
    c[19] = 0;      /* adaptive filtering */
    c[20] = 0;      /* no interlace */
    c = chunk_end(c, 13);
    if (keyword) {
        memcpy(c + 4, "tEXt", 4);
        memcpy(c + 8, keyword, klen);
        c[8 + klen] = 0;
        for (size_t i = 0; i < tlen; i++) {
            unsigned char ch = (unsigned char)text[i];
            c[8 + klen + 1 + i] = (ch >= 0x20 && ch < 0x7f) ? ch : '?';
        }
        c = chunk_end(c, klen + 1 + tlen);
    }
    memcpy(c + 4, "IDAT", 4);
    bitw b = {c + 8, 0, 0, 0};
    b.p[b.n++] = 0x78;      /* deflate, 32 KiB window */
    b.p[b.n++] = 0x01;      /* fastest; (0x7801 % 31) == 0 */
    deflate_fixed(filt, flen, head, &b);
    be32(b.p + b.n, adler32(filt, flen));
    b.n += 4;
    c = chunk_end(c, b.n);
    memcpy(c + 4, "IEND", 4);
    c = chunk_end(c, 0);
    *outlen = (size_t)(c - png);
    *out = png;
    return 0;
}

int png_encode_rgb24(const uint8_t *pixels, int width, int height, int stride,
                     const char *keyword, const char *text, uint8_t **out, size_t *outlen)
{
    png_work w;
    memset(&w, 0, sizeof w);
    const uint8_t *p;
    size_t n;
    *out = NULL;
    *outlen = 0;
    int rc = png_encode(&w, pixels, width, height, stride, keyword, text, &p, &n);
    if (rc == 0) {
        *out = malloc(n);
        if (*out) {
            memcpy(*out, p, n);
            *outlen = n;
        } else {
            rc = -1;
        }
    }
    png_work_free(&w);
    return rc;
}
