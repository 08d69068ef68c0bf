/* SPDX-License-Identifier: Apache-2.0
 * adapter/classify.c -- node classification: per-node vectors from the fine rings of HOST_CPU,
 * HOST_MEM, POD_CPU and POD_MEM, an Isolation Forest on the pooled rows of the lookback window,
 * each node's newest row scored and explained, and the seed's host pressure rule. */
#include "adapter/classify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/hash.h"
#include "adapter/intern.h"
#include "models/base.h"
#include "models/iforest.h"
#include "models/ring.h"

#define KEY_MAX 256

static const char *const METRIC[CLASSIFY_FEATURES] = {
    "instance:metrics_ai_host_cpu:ratio",
    "instance:metrics_ai_host_mem:ratio",
    "node:metrics_ai_pod_cpu:cores",
    "node:metrics_ai_pod_mem:bytes",
};

/* ---- a string -> index map (insertion order indices) -------------------------------------- */

typedef struct smap {
    char **keys;
    size_t n, kcap;
    uint32_t *slot;     /* index + 1; 0 = empty */
    size_t scap;        /* power of two */
} smap;

static void smap_free(smap *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->slot);
    memset(m, 0, sizeof *m);
}

static uint64_t key_hash(const char *k) { return mai_hash_bytes(k, strlen(k), 0x636c6173u); }

static int smap_rehash(smap *m, size_t scap)
{
    uint32_t *s = calloc(scap, sizeof *s);
    if (!s)
        return -MAI_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        size_t h = (size_t)key_hash(m->keys[i]) & (scap - 1);
        while (s[h])
            h = (h + 1) & (scap - 1);
        s[h] = (uint32_t)(i + 1);
    }
    free(m->slot);
    m->slot = s;
    m->scap = scap;
    return 0;
}

/* Index of k, inserting it when insert; -1 when absent (not inserting), -2 out of memory. */
static long smap_get(smap *m, const char *k, int insert)
{
    if (m->scap) {
        size_t h = (size_t)key_hash(k) & (m->scap - 1);
        while (m->slot[h]) {
            uint32_t i = m->slot[h] - 1;
            if (strcmp(m->keys[i], k) == 0)
                return (long)i;
            h = (h + 1) & (m->scap - 1);
        }
    }
    if (!insert)
        return -1;
    if ((m->n + 1) * 2 > m->scap && smap_rehash(m, m->scap ? m->scap * 2 : 64) != 0)
        return -2;
    if (m->n == m->kcap) {
        size_t nc = m->kcap ? m->kcap * 2 : 32;
        char **nk = realloc(m->keys, nc * sizeof *nk);
        if (!nk)
            return -2;
        m->keys = nk;
        m->kcap = nc;
    }
    size_t len = strlen(k);
    char *c = malloc(len + 1);
    if (!c)
        return -2;
    memcpy(c, k, len + 1);
    m->keys[m->n] = c;
    size_t h = (size_t)key_hash(k) & (m->scap - 1);
    while (m->slot[h])
        h = (h + 1) & (m->scap - 1);
    m->slot[h] = (uint32_t)(m->n + 1);
    return (long)m->n++;
}

/* ---- per-node and per-instance state ------------------------------------------------------ */

typedef struct cnode {
    char instance[KEY_MAX];             /* of the host CPU series (display form) */
    store_ref ref[CLASSIFY_FEATURES];
    int has[CLASSIFY_FEATURES];
    int64_t last_t[CLASSIFY_FEATURES];  /* newest raw sample of the chosen series */
    double ncpu;                        /* 0 = unknown */
    double memtotal;                    /* 0 = unknown */
    float *ring[CLASSIFY_FEATURES];     /* copied finished fine buckets */
    size_t count[CLASSIFY_FEATURES];
    int64_t first[CLASSIFY_FEATURES];
    size_t newest_row;                  /* index into the pooled rows; SIZE_MAX = none */
    int64_t newest_bucket;
} cnode;

typedef struct cinst {
    double ncpu, memtotal;
} cinst;

typedef struct ctx {
    const naming *names;
    smap nodes;
    cnode *node;
    size_t node_cap;
    smap insts;
    cinst *inst;
    size_t inst_cap;
    uint32_t fine_cap;
    int64_t fine_step_ms;
    int feature;
    int err;
} ctx;

static int label_value(const store_series_view *v, const char *name, char *buf, size_t cap)
{
    for (uint32_t i = 0; i < v->nlabels; i++) {
        const istr *ln = v->labels[2 * i], *lv = v->labels[2 * i + 1];
        if (strcmp(ln->s, name) == 0) {
            size_t n = lv->n < cap - 1 ? lv->n : cap - 1;
            memcpy(buf, lv->s, n);
            buf[n] = '\0';
            return n > 0;
        }
    }
    return 0;
}

static const char *node_of(const ctx *c, const char *label, char *buf, size_t cap)
{
    if (c->names)
        return naming_node(c->names, label, buf, cap);
    return naming_host(label, buf, cap);
}

static long node_index(ctx *c, const char *name)
{
    long i = smap_get(&c->nodes, name, 1);
    if (i < 0)
        return i;
    if ((size_t)i >= c->node_cap) {
        size_t nc = c->node_cap ? c->node_cap * 2 : 32;
        cnode *nn = realloc(c->node, nc * sizeof *nn);
        if (!nn)
            return -2;
        c->node = nn;
        c->node_cap = nc;
    }
    return i;   /* a new entry is zeroed by the caller */
}

static int visit_signal(const store_series_view *v, void *arg)
{
    ctx *c = arg;
    char label[KEY_MAX], name[KEY_MAX];
    int host = c->feature <= CLASSIFY_HOST_MEM;
    if (!label_value(v, host ? "instance" : "node", label, sizeof label))
        return 0;
    node_of(c, label, name, sizeof name);
    size_t before = c->nodes.n;
    long i = node_index(c, name);
    if (i < 0) {
        c->err = -MAI_ENOMEM;
        return 1;
    }
    cnode *nd = &c->node[i];
    if (c->nodes.n != before) {
        memset(nd, 0, sizeof *nd);
        nd->newest_row = SIZE_MAX;
        nd->newest_bucket = RING_EMPTY;
    }
    int f = c->feature;
    if (nd->has[f] && v->info.last_t_ms <= nd->last_t[f])
        return 0;   /* two series for one node: the one with the newer sample wins */
    nd->has[f] = 1;
    nd->ref[f] = v->ref;
    nd->last_t[f] = v->info.last_t_ms;
    if (f == CLASSIFY_HOST_CPU || (f == CLASSIFY_HOST_MEM && !nd->has[CLASSIFY_HOST_CPU]))
        snprintf(nd->instance, sizeof nd->instance, "%s", label);
    if (v->fine->cap > c->fine_cap)
        c->fine_cap = v->fine->cap;
    c->fine_step_ms = v->fine_step_ms;
    return 0;
}

static long inst_index(ctx *c, const char *instance)
{
    size_t before = c->insts.n;
    long i = smap_get(&c->insts, instance, 1);
    if (i < 0)
        return i;
    if ((size_t)i >= c->inst_cap) {
        size_t nc = c->inst_cap ? c->inst_cap * 2 : 32;
        cinst *ni = realloc(c->inst, nc * sizeof *ni);
        if (!ni)
            return -2;
        c->inst = ni;
        c->inst_cap = nc;
    }
    if (c->insts.n != before)
        memset(&c->inst[i], 0, sizeof c->inst[i]);
    return i;
}

/* node_cpu_seconds_total{instance, cpu="N"}: the CPU count is the largest numeric cpu + 1. */
static int visit_cpu(const store_series_view *v, void *arg)
{
    ctx *c = arg;
    char inst[KEY_MAX], cpu[32];
    if (!label_value(v, "instance", inst, sizeof inst) || !label_value(v, "cpu", cpu, sizeof cpu))
        return 0;
    char *end;
    long k = strtol(cpu, &end, 10);
    if (*end != '\0' || k < 0 || k > 1000000)
        return 0;
    long i = inst_index(c, inst);
    if (i < 0) {
        c->err = -MAI_ENOMEM;
        return 1;
    }
    if ((double)(k + 1) > c->inst[i].ncpu)
        c->inst[i].ncpu = (double)(k + 1);
    return 0;
}

/* node_memory_MemTotal_bytes{instance}: the newest finite value in the fine ring. */
static int visit_memtotal(const store_series_view *v, void *arg)
{
    ctx *c = arg;
    char inst[KEY_MAX];
    if (!label_value(v, "instance", inst, sizeof inst) || v->fine->count == 0)
        return 0;
    double val = NAN;
    for (uint32_t j = 0; j < v->fine->count; j++) {
        float x = ring_get(v->fine, v->fine->last - (int64_t)j);
        if (isfinite(x)) {
            val = x;
            break;
        }
    }
    if (!(val > 0))
        return 0;
    long i = inst_index(c, inst);
    if (i < 0) {
        c->err = -MAI_ENOMEM;
        return 1;
    }
    c->inst[i].memtotal = val;
    return 0;
}

static float bucket_val(const cnode *nd, int f, int64_t b)
{
    if (!nd->has[f] || nd->count[f] == 0 || b < nd->first[f] ||
        b >= nd->first[f] + (int64_t)nd->count[f])
        return NAN;
    return nd->ring[f][b - nd->first[f]];
}

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const classify_row *)a)->node, ((const classify_row *)b)->node);
}

static const char *kind_of(int dominant, double value, double median)
{
    int up = value > median;
    switch (dominant) {
    case CLASSIFY_HOST_CPU: return up ? "cpu_saturation" : "cpu_drop";
    case CLASSIFY_HOST_MEM: return up ? "memory_pressure" : "memory_drop";
    case CLASSIFY_POD_CPU: return "pod_cpu";
    case CLASSIFY_POD_MEM: return "pod_memory";
    default: return "unexplained";
    }
}

const char *classify_severity_name(int severity)
{
    switch (severity) {
    case CLASSIFY_WARNING: return "WARNING";
    case CLASSIFY_CRITICAL: return "CRITICAL";
    default: return "OK";
    }
}

const char *classify_feature_name(int feature)
{
    static const char *const n[CLASSIFY_FEATURES] = {"host_cpu", "host_mem", "pod_cpu",
                                                     "pod_mem"};
    return feature >= 0 && feature < CLASSIFY_FEATURES ? n[feature] : "";
}

void classify_result_free(classify_result *r)
{
    if (!r)
        return;
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

static void ctx_free(ctx *c)
{
    if (c->node)
        for (size_t i = 0; i < c->nodes.n; i++)
            for (int f = 0; f < CLASSIFY_FEATURES; f++)
                free(c->node[i].ring[f]);
    free(c->node);
    free(c->inst);
    smap_free(&c->nodes);
    smap_free(&c->insts);
}

/* Pod usage counts as small when its share of the node is below share; with the capacity
 * unknown only no usage at all does. */
static int pod_small(double v, int normalised, double share)
{
    return normalised ? v < share : !(v > 0);
}

int classify_run(store *st, const naming *names, const classify_config *cfg,
                 classify_result *out)
{
    if (!out)
        return -MAI_EINVAL;
    memset(out, 0, sizeof *out);
    out->threshold = NAN;
    out->window_end_bucket = RING_EMPTY;
    if (!st)
        return -MAI_EINVAL;

    classify_config k;
    memset(&k, 0, sizeof k);
    if (cfg)
        k = *cfg;
    if (k.lookback_hrs <= 0)
        k.lookback_hrs = 24;
    if (k.contamination == 0)
        k.contamination = 0.12;
    if (k.contamination > 0.5)
        k.contamination = 0.5;
    if (k.seed == 0)
        k.seed = 42;
    if (k.max_rows == 0)
        k.max_rows = 32768;
    if (k.critical_margin <= 0)
        k.critical_margin = 0.1;
    if (k.pressure_host <= 0)
        k.pressure_host = 0.8;
    if (k.pressure_pod_share <= 0)
        k.pressure_pod_share = 0.2;

    ctx c;
    memset(&c, 0, sizeof c);
    c.names = names;
    int rc = 0;
    double *x = NULL, *train = NULL, *col = NULL;
    void *forest = NULL, *scratch = NULL;

    for (int f = 0; f < CLASSIFY_FEATURES && !c.err; f++) {
        c.feature = f;
        mai_str nm = {METRIC[f], (uint32_t)strlen(METRIC[f])};
        store_visit(st, nm, visit_signal, &c);
    }
    if (!c.err) {
        mai_str nm = {"node_cpu_seconds_total", 22};
        store_visit(st, nm, visit_cpu, &c);
    }
    if (!c.err) {
        mai_str nm = {"node_memory_MemTotal_bytes", 26};
        store_visit(st, nm, visit_memtotal, &c);
    }
    if (c.err) {
        rc = c.err;
        goto done;
    }

    /* capacities per node (several instances naming one node: the largest) */
    for (size_t i = 0; i < c.insts.n; i++) {
        char name[KEY_MAX];
        node_of(&c, c.insts.keys[i], name, sizeof name);
        long j = smap_get(&c.nodes, name, 0);
        if (j < 0)
            continue;
        if (c.inst[i].ncpu > c.node[j].ncpu)
            c.node[j].ncpu = c.inst[i].ncpu;
        if (c.inst[i].memtotal > c.node[j].memtotal)
            c.node[j].memtotal = c.inst[i].memtotal;
    }

    /* copy the rings; the window ends at the newest bucket with both host values of any node */
    int64_t end = RING_EMPTY;
    for (size_t i = 0; i < c.nodes.n; i++) {
        cnode *nd = &c.node[i];
        if (!nd->has[CLASSIFY_HOST_CPU] || !nd->has[CLASSIFY_HOST_MEM])
            continue;
        for (int f = 0; f < CLASSIFY_FEATURES; f++) {
            if (!nd->has[f])
                continue;
            nd->ring[f] = malloc((size_t)c.fine_cap * sizeof(float));
            if (!nd->ring[f]) {
                rc = -MAI_ENOMEM;
                goto done;
            }
            int64_t newest;
            nd->count[f] = store_ring_since(st, nd->ref[f], 0, RING_EMPTY, nd->ring[f],
                                            c.fine_cap, &nd->first[f], &newest);
        }
        int64_t a = nd->first[CLASSIFY_HOST_CPU], z = a + (int64_t)nd->count[CLASSIFY_HOST_CPU];
        for (int64_t b = z - 1; b >= a && nd->count[CLASSIFY_HOST_CPU]; b--) {
            if (isfinite(bucket_val(nd, CLASSIFY_HOST_CPU, b)) &&
                isfinite(bucket_val(nd, CLASSIFY_HOST_MEM, b))) {
                nd->newest_bucket = b;
                break;
            }
        }
        if (nd->newest_bucket != RING_EMPTY && (end == RING_EMPTY || nd->newest_bucket > end))
            end = nd->newest_bucket;
    }
    out->window_end_bucket = end;
    if (end == RING_EMPTY)
        goto done;

    int64_t span = (int64_t)k.lookback_hrs * 3600000 / (c.fine_step_ms > 0 ? c.fine_step_ms : 1);
    if (span < 1)
        span = 1;
    int64_t lo = end - span + 1;

    size_t cap_rows = 0, nrows = 0, nscored = 0;
    for (size_t i = 0; i < c.nodes.n; i++)
        if (c.node[i].newest_bucket != RING_EMPTY && c.node[i].newest_bucket >= lo) {
            cap_rows += (size_t)(c.node[i].newest_bucket - lo + 1);
            nscored++;
        }
    x = malloc((cap_rows ? cap_rows : 1) * CLASSIFY_FEATURES * sizeof *x);
    out->rows = calloc(nscored ? nscored : 1, sizeof *out->rows);
    if (!x || !out->rows) {
        rc = -MAI_ENOMEM;
        goto done;
    }

    for (size_t i = 0; i < c.nodes.n; i++) {
        cnode *nd = &c.node[i];
        if (nd->newest_bucket == RING_EMPTY || nd->newest_bucket < lo)
            continue;
        double carry[2] = {0, 0};
        for (int p = 0; p < 2; p++) {   /* the pod values in force at the window's start */
            int f = CLASSIFY_POD_CPU + p;
            for (int64_t b = lo - 1; nd->has[f] && b >= nd->first[f]; b--) {
                float v = bucket_val(nd, f, b);
                if (isfinite(v)) {
                    carry[p] = v;
                    break;
                }
            }
        }
        for (int64_t b = lo; b <= nd->newest_bucket; b++) {
            for (int p = 0; p < 2; p++) {
                float v = bucket_val(nd, CLASSIFY_POD_CPU + p, b);
                if (isfinite(v))
                    carry[p] = v;
            }
            float hc = bucket_val(nd, CLASSIFY_HOST_CPU, b);
            float hm = bucket_val(nd, CLASSIFY_HOST_MEM, b);
            if (!isfinite(hc) || !isfinite(hm))
                continue;
            double *r = x + nrows * CLASSIFY_FEATURES;
            r[0] = hc;
            r[1] = hm;
            r[2] = nd->ncpu > 0 ? carry[0] / nd->ncpu : carry[0];
            r[3] = nd->memtotal > 0 ? carry[1] / nd->memtotal : carry[1];
            nd->newest_row = nrows++;
        }
    }

    /* training rows: all of them, or an even stride through the pool past max_rows */
    size_t ntrain = nrows < k.max_rows ? nrows : k.max_rows;
    train = malloc((ntrain ? ntrain : 1) * CLASSIFY_FEATURES * sizeof *train);
    col = malloc((ntrain ? ntrain : 1) * sizeof *col);
    if (!train || !col) {
        rc = -MAI_ENOMEM;
        goto done;
    }
    for (size_t t = 0; t < ntrain; t++) {
        size_t s = (size_t)((double)t * (double)nrows / (double)ntrain);
        memcpy(train + t * CLASSIFY_FEATURES, x + s * CLASSIFY_FEATURES,
               CLASSIFY_FEATURES * sizeof *train);
    }
    double median[CLASSIFY_FEATURES] = {0, 0, 0, 0};
    for (int f = 0; f < CLASSIFY_FEATURES && ntrain; f++) {
        for (size_t t = 0; t < ntrain; t++)
            col[t] = train[t * CLASSIFY_FEATURES + f];
        qsort(col, ntrain, sizeof *col, mai_cmp_double);
        median[f] = ntrain % 2 ? col[ntrain / 2] : 0.5 * (col[ntrain / 2 - 1] + col[ntrain / 2]);
    }
    int fitted = 0;
    if (ntrain >= 2) {
        size_t fb = iforest_size(k.trees, k.max_samples, CLASSIFY_FEATURES);
        if (fb == 0) {
            rc = -MAI_EINVAL;
            goto done;
        }
        forest = malloc(fb);
        scratch = malloc(iforest_scratch_size(ntrain, CLASSIFY_FEATURES));
        if (!forest || !scratch) {
            rc = -MAI_ENOMEM;
            goto done;
        }
        rc = iforest_fit(forest, train, ntrain, CLASSIFY_FEATURES, k.trees, k.max_samples,
                         k.contamination, k.seed, scratch);
        if (rc != 0)
            goto done;
        fitted = 1;
        out->threshold = iforest_threshold(forest);
    }
    out->train_rows = fitted ? ntrain : 0;

    for (size_t i = 0; i < c.nodes.n; i++) {
        cnode *nd = &c.node[i];
        if (nd->newest_row == SIZE_MAX)
            continue;
        classify_row *r = &out->rows[out->n++];
        const double *v = x + nd->newest_row * CLASSIFY_FEATURES;
        snprintf(r->node, sizeof r->node, "%s", c.nodes.keys[i]);
        if (names)
            naming_display(names, nd->instance, r->display, sizeof r->display);
        else
            snprintf(r->display, sizeof r->display, "%s", r->node);
        r->t_ms = nd->newest_bucket * c.fine_step_ms;
        r->host_cpu = v[0];
        r->host_mem = v[1];
        r->pod_cpu = v[2];
        r->pod_mem = v[3];
        r->pod_cpu_normalised = nd->ncpu > 0;
        r->pod_mem_normalised = nd->memtotal > 0;
        r->has_pods = nd->has[CLASSIFY_POD_CPU] || nd->has[CLASSIFY_POD_MEM];
        r->kind = "";
        r->dominant = -1;
        r->score = NAN;
        if (fitted) {
            r->score = iforest_score(forest, v);
            r->flagged = iforest_is_anomaly(forest, v);
            iforest_explain(forest, v, r->contrib);
            double best = 0;
            for (int f = 0; f < CLASSIFY_FEATURES; f++)
                if (r->contrib[f] > best) {
                    best = r->contrib[f];
                    r->dominant = f;
                }
            if (r->flagged) {
                r->severity = r->score >= out->threshold + k.critical_margin ? CLASSIFY_CRITICAL
                                                                             : CLASSIFY_WARNING;
                r->kind = kind_of(r->dominant, r->dominant >= 0 ? v[r->dominant] : 0,
                                  r->dominant >= 0 ? median[r->dominant] : 0);
                out->flagged++;
            }
        }
        r->host_pressure = (r->host_cpu >= k.pressure_host || r->host_mem >= k.pressure_host) &&
                           pod_small(r->pod_cpu, r->pod_cpu_normalised, k.pressure_pod_share) &&
                           pod_small(r->pod_mem, r->pod_mem_normalised, k.pressure_pod_share);
        r->pressure_severity = r->host_pressure ? CLASSIFY_WARNING : CLASSIFY_OK;
        if (r->host_pressure)
            out->host_pressure++;
    }
    qsort(out->rows, out->n, sizeof *out->rows, cmp_row);

done:
    free(x);
    free(train);
    free(col);
    free(forest);
    free(scratch);
    ctx_free(&c);
    if (rc != 0) {
        free(out->rows);
        out->rows = NULL;
        out->n = out->flagged = out->host_pressure = 0;
    }
    return rc;
}
