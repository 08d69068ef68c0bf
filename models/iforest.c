/* SPDX-License-Identifier: Apache-2.0
 * models/iforest.c -- Isolation Forest as in Liu, Ting & Zhou, "Isolation Forest", ICDM 2008,
 * with scikit-learn 1.2's IsolationForest conventions (max depth ceil(log2(psi)), leaf path length
 * depth + c(n_leaf), s = 2^(-E[h]/c(psi)), contamination threshold = training-score quantile).
 *
 * Design note. Each tree is an array of 16-byte nodes in preorder (left child = node + 1), so the
 * model is one flat block: header, per-feature medians, trees x (2 psi - 1) nodes. Deviations from
 * sklearn: own PRNG (xorshift64*, seeded through splitmix64), so trees differ from sklearn's for
 * the same seed and only the distribution of scores matches; features are kept in double (sklearn
 * casts to float32); non-finite features are imputed with the training median instead of being
 * rejected; a split's feature is drawn uniformly among the features not constant in the node
 * (sklearn draws until it hits a non-constant one: the same distribution); if c(psi) = 0 (psi = 1)
 * the score is 0.5, as sklearn's guarded division gives. */
#include "models/iforest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/base.h"

#define IF_MAGIC 0x5453524f46464946ULL /* "IFFOREST" */
#define IF_LEAF 0xFFFFu
#define IF_EULER_GAMMA 0.57721566490153286061

typedef struct if_node {
    double v;       /* split threshold (x <= v goes left), or the leaf's path length */
    uint32_t right; /* index of the right child within the tree */
    uint16_t feat;  /* split feature, IF_LEAF for a leaf */
    uint16_t n;     /* training points that reached the node */
} if_node;

typedef struct if_header {
    uint64_t magic;
    uint32_t dims, trees, psi, stride; /* stride = nodes per tree (2 psi - 1) */
    uint32_t cap_samples, pad;
    double c_psi, threshold, contamination;
} if_header;

/* ---- sizes -------------------------------------------------------------------------------- */

static size_t hdr_bytes(void) { return mai_round_up(sizeof(if_header), 16); }

static size_t med_bytes(uint32_t dims) { return mai_round_up((size_t)dims * sizeof(double), 16); }

size_t iforest_size(uint32_t trees, uint32_t max_samples, uint32_t dims)
{
    if (trees == 0)
        trees = IFOREST_DEFAULT_TREES;
    if (max_samples == 0)
        max_samples = IFOREST_DEFAULT_MAX_SAMPLES;
    if (dims == 0 || dims > IFOREST_MAX_DIMS || trees > IFOREST_MAX_TREES ||
        max_samples > IFOREST_MAX_SAMPLES_LIMIT)
        return 0;
    size_t stride = 2 * (size_t)max_samples - 1;
    return hdr_bytes() + med_bytes(dims) + (size_t)trees * stride * sizeof(if_node);
}

size_t iforest_scratch_size(size_t n, uint32_t dims)
{
    /* scores or column copy (n doubles), node min/max (2 dims doubles), sample indices (n
     * uint32), non-constant feature list (dims uint32) */
    size_t d = (n + 2 * (size_t)dims) * sizeof(double);
    return d + mai_round_up((n + (size_t)dims) * sizeof(uint32_t), 8);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static const if_header *hdr_c(const void *mem) { return (const if_header *)mem; }

static const double *med_c(const void *mem)
{
    return (const double *)(const void *)((const char *)mem + hdr_bytes());
}

static const if_node *tree_c(const void *mem, uint32_t t)
{
    const if_header *h = hdr_c(mem);
    const char *base = (const char *)mem + hdr_bytes() + med_bytes(h->dims);
    return (const if_node *)(const void *)base + (size_t)t * h->stride;
}

/* c(n): the average path length of an unsuccessful BST search, sklearn's _average_path_length. */
static double avg_path(double n)
{
    if (n <= 1.0)
        return 0.0;
    if (n <= 2.0)
        return 1.0;
    return 2.0 * (log(n - 1.0) + IF_EULER_GAMMA) - 2.0 * (n - 1.0) / n;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t xs_next(uint64_t *s) /* xorshift64* */
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static double xs_unif(uint64_t *s) { return (double)(xs_next(s) >> 11) * 0x1.0p-53; }

/* Uniform integer in [0, k), k >= 1 (Lemire's multiply-shift; the bias is below 2^-32 here). */
static uint32_t xs_below(uint64_t *s, uint32_t k)
{
    return (uint32_t)(((xs_next(s) >> 32) * (uint64_t)k) >> 32);
}

/* numpy.percentile(v, 100 q) with linear interpolation; v sorted ascending, n >= 1. */
static double quantile_sorted(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo >= n - 1)
        return v[n - 1];
    double frac = pos - (double)lo;
    return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

/* ---- fit ---------------------------------------------------------------------------------- */

typedef struct build_ctx {
    const double *x;
    const double *med;
    uint32_t dims;
    uint32_t max_depth;
    if_node *nodes;
    uint32_t next;
    uint64_t rng;
    double *mins, *maxs;
    uint32_t *nonconst;
} build_ctx;

static double xval(const double *x, const double *med, uint32_t dims, size_t i, uint32_t f)
{
    double v = x[i * dims + f];
    return isfinite(v) ? v : med[f];
}

static uint32_t build(build_ctx *c, uint32_t *idx, uint32_t cnt, uint32_t depth)
{
    uint32_t me = c->next++;
    if_node *nd = &c->nodes[me];
    nd->n = (uint16_t)cnt;
    nd->feat = IF_LEAF;
    nd->right = 0;
    nd->v = (double)depth + avg_path((double)cnt);
    if (cnt < 2 || depth >= c->max_depth)
        return me;

    uint32_t nnc = 0;
    for (uint32_t f = 0; f < c->dims; f++) {
        double lo = xval(c->x, c->med, c->dims, idx[0], f), hi = lo;
        for (uint32_t i = 1; i < cnt; i++) {
            double v = xval(c->x, c->med, c->dims, idx[i], f);
            if (v < lo)
                lo = v;
            if (v > hi)
                hi = v;
        }
        c->mins[f] = lo;
        c->maxs[f] = hi;
        if (hi > lo)
            c->nonconst[nnc++] = f;
    }
    if (nnc == 0)
        return me; /* every feature constant: an external node holding cnt points */

    uint32_t f = c->nonconst[xs_below(&c->rng, nnc)];
    double lo = c->mins[f], hi = c->maxs[f];
    double thr = lo + (hi - lo) * xs_unif(&c->rng);
    if (thr >= hi) /* rounding: as sklearn, fall back to the minimum so both sides are non-empty */
        thr = lo;

    /* partition: x <= thr first */
    uint32_t nl = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        if (xval(c->x, c->med, c->dims, idx[i], f) <= thr) {
            uint32_t t = idx[i];
            idx[i] = idx[nl];
            idx[nl++] = t;
        }
    }
    nd->feat = (uint16_t)f;
    nd->v = thr;
    build(c, idx, nl, depth + 1);
    uint32_t r = build(c, idx + nl, cnt - nl, depth + 1);
    c->nodes[me].right = r;
    return me;
}

int iforest_fit(void *mem, const double *x, size_t n, uint32_t dims, uint32_t trees,
                uint32_t max_samples, double contamination, uint64_t seed, void *scratch)
{
    if (trees == 0)
        trees = IFOREST_DEFAULT_TREES;
    if (max_samples == 0)
        max_samples = IFOREST_DEFAULT_MAX_SAMPLES;
    if (!mem || !x || !scratch || n == 0 || n > UINT32_MAX ||
        iforest_size(trees, max_samples, dims) == 0 || !(contamination <= 0.5) /* and NaN */)
        return -MAI_EINVAL;

    if_header *h = (if_header *)mem;
    double *med = (double *)(void *)((char *)mem + hdr_bytes());
    if_node *nodes = (if_node *)(void *)((char *)mem + hdr_bytes() + med_bytes(dims));

    double *dbuf = (double *)scratch; /* n doubles */
    double *mins = dbuf + n, *maxs = mins + dims;
    uint32_t *idx = (uint32_t *)(void *)(maxs + dims);
    uint32_t *nonconst = idx + n;

    /* training medians of the finite values (numpy.median: mean of the middle two) */
    for (uint32_t f = 0; f < dims; f++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double v = x[i * dims + f];
            if (isfinite(v))
                dbuf[m++] = v;
        }
        if (m == 0) {
            med[f] = 0.0;
            continue;
        }
        qsort(dbuf, m, sizeof *dbuf, mai_cmp_double);
        med[f] = (m & 1) ? dbuf[m / 2] : 0.5 * (dbuf[m / 2 - 1] + dbuf[m / 2]);
    }

    uint32_t psi = max_samples < n ? max_samples : (uint32_t)n;
    uint32_t max_depth = (uint32_t)ceil(log2((double)(psi > 2 ? psi : 2)));
    memset(h, 0, sizeof *h);
    h->dims = dims;
    h->trees = trees;
    h->psi = psi;
    h->stride = 2 * psi - 1;
    h->cap_samples = max_samples;
    h->c_psi = avg_path((double)psi);
    h->contamination = contamination;

    uint64_t sm = seed;
    build_ctx c = {.x = x, .med = med, .dims = dims, .max_depth = max_depth, .mins = mins,
                   .maxs = maxs, .nonconst = nonconst};
    c.rng = splitmix64(&sm);
    if (c.rng == 0)
        c.rng = 0x9E3779B97F4A7C15ULL;

    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    for (uint32_t t = 0; t < trees; t++) {
        /* psi of n without replacement: a partial Fisher-Yates shuffle of the index array */
        if (psi < n) {
            for (uint32_t i = 0; i < psi; i++) {
                uint32_t j = i + xs_below(&c.rng, (uint32_t)(n - i));
                uint32_t tmp = idx[i];
                idx[i] = idx[j];
                idx[j] = tmp;
            }
        }
        c.nodes = nodes + (size_t)t * h->stride;
        c.next = 0;
        build(&c, idx, psi, 0);
    }
    h->magic = IF_MAGIC;
    h->threshold = 0.5; /* sklearn's contamination="auto": offset_ = -0.5 */

    if (contamination > 0.0) {
        for (size_t i = 0; i < n; i++) {
            const double *p = x + i * dims;
            dbuf[i] = iforest_score(mem, p);
        }
        qsort(dbuf, n, sizeof *dbuf, mai_cmp_double);
        h->threshold = quantile_sorted(dbuf, n, 1.0 - contamination);
    }
    return 0;
}

/* ---- scoring ------------------------------------------------------------------------------ */

static const if_node *leaf_of(const if_node *tr, const double *p, const double *med)
{
    const if_node *nd = tr;
    while (nd->feat != IF_LEAF) {
        double v = p[nd->feat];
        if (!isfinite(v))
            v = med[nd->feat];
        nd = v <= nd->v ? nd + 1 : tr + nd->right;
    }
    return nd;
}

double iforest_score(const void *mem, const double *point)
{
    if (!mem || !point || hdr_c(mem)->magic != IF_MAGIC)
        return NAN;
    const if_header *h = hdr_c(mem);
    const double *med = med_c(mem);
    double sum = 0.0;
    for (uint32_t t = 0; t < h->trees; t++)
        sum += leaf_of(tree_c(mem, t), point, med)->v;
    if (!(h->c_psi > 0.0))
        return 0.5;
    return exp2(-(sum / (double)h->trees) / h->c_psi);
}

double iforest_threshold(const void *mem)
{
    if (!mem || hdr_c(mem)->magic != IF_MAGIC)
        return NAN;
    return hdr_c(mem)->threshold;
}

int iforest_is_anomaly(const void *mem, const double *point)
{
    double s = iforest_score(mem, point);
    /* 1e-12 of slack: with degenerate data every score is 0.5 up to the rounding of the mean
     * path length, which must not beat the "auto" threshold of exactly 0.5 */
    return s > iforest_threshold(mem) + 1e-12; /* false for NaN */
}

void iforest_explain(const void *mem, const double *point, double *contrib)
{
    if (!mem || !contrib || hdr_c(mem)->magic != IF_MAGIC)
        return;
    const if_header *h = hdr_c(mem);
    const double *med = med_c(mem);
    for (uint32_t f = 0; f < h->dims; f++)
        contrib[f] = 0.0;
    if (!point)
        return;
    for (uint32_t t = 0; t < h->trees; t++) {
        const if_node *tr = tree_c(mem, t);
        double ht = leaf_of(tr, point, med)->v;
        if (!(ht > 0.0))
            continue;
        const if_node *nd = tr;
        while (nd->feat != IF_LEAF) {
            double v = point[nd->feat];
            if (!isfinite(v))
                v = med[nd->feat];
            const if_node *ch = v <= nd->v ? nd + 1 : tr + nd->right;
            contrib[nd->feat] += log2((double)nd->n / (double)ch->n) / ht;
            nd = ch;
        }
    }
    double tot = 0.0;
    for (uint32_t f = 0; f < h->dims; f++)
        tot += contrib[f];
    if (tot > 0.0)
        for (uint32_t f = 0; f < h->dims; f++)
            contrib[f] /= tot;
}
