/* SPDX-License-Identifier: Apache-2.0
 * adapter/store.c -- sharded series table (see store.h). Anatomy of an append: hash the sorted
 * label set, pick the shard from the hash's top bits, look the series up by open addressing
 * (full label comparison on a hash match), then drop/dedupe by timestamp, turn counters into
 * rates and merge the value into both rings. Series records come from per-shard slab chunks. */
#include "adapter/store.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "adapter/hash.h"
#include "adapter/intern.h"
#include "adapter/log.h"
#include "models/codec.h"
#include "models/rate.h"

#define SLAB_RECORDS 64u
#define LABEL_CHUNK_BYTES (64u * 1024u)

typedef struct series {
    uint64_t hash;
    const istr **labels;        /* 2 * nlabels: name, value, ... sorted by name */
    uint32_t nlabels;
    uint32_t name_idx;          /* index of __name__ */
    uint32_t meta_gen;          /* metadata generation the kind was resolved at */
    uint8_t kind;               /* enum store_kind */
    uint8_t stale;
    int8_t wire_type;           /* v2 per-series metadata type, -1 when none */
    int64_t last_t_ms;
    uint64_t last_bits;
    uint64_t samples;
    rate_state rate;
    ring fine;
    ring_agg coarse;
    void *model;                /* the model cycle's per-series state; NULL until it makes one */
    /* tail: float fine[fine_cap]; ring_agg_slot coarse[coarse_cap]; */
} series;

typedef struct mem_chunk {
    struct mem_chunk *next;
    size_t used, cap;
    _Alignas(16) char data[];
} mem_chunk;

/* A table slot keeps the hash beside the pointer, so probing touches no series record. */
typedef struct slot {
    uint64_t hash;
    series *se;
} slot;

typedef struct shard {
    pthread_mutex_t mu;
    slot *table;                /* open addressing, cap power of two */
    uint32_t cap, n;
    interner *strings;
    mem_chunk *label_chunks;    /* label pointer arrays */
    mem_chunk *record_chunks;   /* series records */
    size_t label_bytes, record_bytes;
    uint64_t stale;
    char pad[64];
} shard;

typedef struct meta_entry {
    char *family;
    uint32_t n;
    int32_t type;
} meta_entry;

struct store {
    store_config cfg;
    size_t record_bytes;
    unsigned shard_bits;
    shard *shards;
    atomic_size_t series;
    atomic_size_t active;
    atomic_uint meta_gen;
    pthread_rwlock_t meta_mu;
    meta_entry *meta;           /* open addressing by hash of family */
    uint32_t meta_cap, meta_n;
    atomic_llong refused_logged_s;
};

#define META_MAX 200000u

/* ---- memory ---- */

static void *chunk_alloc(mem_chunk **head, size_t n, size_t chunk_bytes, size_t *accounted)
{
    n = (n + 15) & ~(size_t)15;
    mem_chunk *c = *head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > chunk_bytes ? n : chunk_bytes;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = *head;
        *head = c;
        *accounted += sizeof *c + cap;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static void chunks_free(mem_chunk *c)
{
    while (c) {
        mem_chunk *next = c->next;
        free(c);
        c = next;
    }
}

/* ---- create / destroy ---- */

int store_create(const store_config *cfg, store **out)
{
    if (!cfg || cfg->shards == 0 || (cfg->shards & (cfg->shards - 1)) || cfg->fine_cap == 0 ||
        cfg->coarse_cap == 0 || cfg->fine_step_ms <= 0 || cfg->coarse_step_ms <= 0)
        return -MAI_EINVAL;
    store *s = calloc(1, sizeof *s);
    if (!s)
        return -MAI_ENOMEM;
    s->cfg = *cfg;
    s->record_bytes = sizeof(series) + cfg->fine_cap * sizeof(float) +
                      cfg->coarse_cap * sizeof(ring_agg_slot);
    s->record_bytes = (s->record_bytes + 15) & ~(size_t)15;
    while ((1u << s->shard_bits) < cfg->shards)
        s->shard_bits++;
    s->shards = calloc(cfg->shards, sizeof *s->shards);
    s->meta_cap = 1024;
    s->meta = calloc(s->meta_cap, sizeof *s->meta);
    if (!s->shards || !s->meta) {
        free(s->shards);
        free(s->meta);
        free(s);
        return -MAI_ENOMEM;
    }
    pthread_rwlock_init(&s->meta_mu, NULL);
    for (unsigned i = 0; i < cfg->shards; i++) {
        shard *sh = &s->shards[i];
        pthread_mutex_init(&sh->mu, NULL);
        sh->cap = 1024;
        sh->table = calloc(sh->cap, sizeof *sh->table);
        if (!sh->table || interner_create(&sh->strings) != 0) {
            s->cfg.shards = i + 1;
            store_destroy(s);
            return -MAI_ENOMEM;
        }
    }
    *out = s;
    return 0;
}

void store_destroy(store *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->cfg.shards; i++) {
        shard *sh = &s->shards[i];
        free(sh->table);
        interner_destroy(sh->strings);
        chunks_free(sh->label_chunks);
        chunks_free(sh->record_chunks);
        pthread_mutex_destroy(&sh->mu);
    }
    for (uint32_t i = 0; i < s->meta_cap; i++)
        free(s->meta[i].family);
    free(s->meta);
    pthread_rwlock_destroy(&s->meta_mu);
    free(s->shards);
    free(s);
}

size_t store_record_bytes(const store *s)
{
    return s->record_bytes;
}

/* ---- metadata ---- */

static meta_entry *meta_find(store *s, mai_str fam)
{
    uint32_t mask = s->meta_cap - 1;
    uint32_t j = (uint32_t)mai_hash_bytes(fam.p, fam.n, 7) & mask;
    for (;;) {
        meta_entry *e = &s->meta[j];
        if (!e->family || (e->n == fam.n && memcmp(e->family, fam.p, fam.n) == 0))
            return e;
        j = (j + 1) & mask;
    }
}

static int meta_grow(store *s)
{
    uint32_t ocap = s->meta_cap;
    meta_entry *old = s->meta;
    meta_entry *t = calloc((size_t)ocap * 2, sizeof *t);
    if (!t)
        return -MAI_ENOMEM;
    s->meta = t;
    s->meta_cap = ocap * 2;
    for (uint32_t i = 0; i < ocap; i++) {
        if (!old[i].family)
            continue;
        mai_str f = {old[i].family, old[i].n};
        *meta_find(s, f) = old[i];
    }
    free(old);
    return 0;
}

void store_set_metadata(store *s, const rw_metadata *meta, uint32_t n)
{
    /* Prometheus resends the same metadata every minute: look first under the read lock. */
    uint32_t changed = 0;
    pthread_rwlock_rdlock(&s->meta_mu);
    for (uint32_t i = 0; i < n && !changed; i++) {
        meta_entry *e = meta_find(s, meta[i].family);
        changed = !e->family || e->type != meta[i].type;
    }
    pthread_rwlock_unlock(&s->meta_mu);
    if (!changed)
        return;
    pthread_rwlock_wrlock(&s->meta_mu);
    for (uint32_t i = 0; i < n; i++) {
        if (meta[i].family.n == 0)
            continue;
        meta_entry *e = meta_find(s, meta[i].family);
        if (e->family) {
            if (e->type != meta[i].type) {
                e->type = meta[i].type;
                changed = 2;
            }
            continue;
        }
        if (s->meta_n >= META_MAX)
            break;
        if ((s->meta_n + 1) * 4 > s->meta_cap * 3) {
            if (meta_grow(s) != 0)
                break;
            e = meta_find(s, meta[i].family);
        }
        e->family = malloc(meta[i].family.n + 1);
        if (!e->family)
            break;
        memcpy(e->family, meta[i].family.p, meta[i].family.n);
        e->family[meta[i].family.n] = '\0';
        e->n = meta[i].family.n;
        e->type = meta[i].type;
        s->meta_n++;
        changed = 2;
    }
    pthread_rwlock_unlock(&s->meta_mu);
    if (changed == 2)
        atomic_fetch_add(&s->meta_gen, 1);
}

/* Type of a family, -1 when unknown. Caller holds meta_mu for reading. */
static int meta_type_of(store *s, const char *p, size_t n)
{
    mai_str f = {p, (uint32_t)n};
    meta_entry *e = meta_find(s, f);
    return e->family ? e->type : -1;
}

static int has_suffix(mai_str name, const char *suf, size_t *base)
{
    size_t k = strlen(suf);
    if (name.n <= k || memcmp(name.p + name.n - k, suf, k) != 0)
        return 0;
    *base = name.n - k;
    return 1;
}

/* Counter or gauge for a metric name: metadata first (the family itself, the family without
 * `_total`, or the histogram/summary family of a `_bucket`/`_sum`/`_count` series), then the
 * `_total` naming convention. */
static int resolve_kind(store *s, mai_str name, int wire_type)
{
    size_t base = 0, cbase = 0;
    int is_total = has_suffix(name, "_total", &base);
    int classic = has_suffix(name, "_bucket", &cbase) || has_suffix(name, "_sum", &cbase) ||
                  has_suffix(name, "_count", &cbase);
    if (wire_type == RW_TYPE_COUNTER)
        return STORE_COUNTER;
    if (wire_type == RW_TYPE_HISTOGRAM || wire_type == RW_TYPE_SUMMARY)
        return classic ? STORE_COUNTER : STORE_GAUGE;
    if (wire_type > 0)
        return STORE_GAUGE;
    pthread_rwlock_rdlock(&s->meta_mu);
    int t = meta_type_of(s, name.p, name.n);
    if (t < 0 && is_total)
        t = meta_type_of(s, name.p, base);
    if (t < 0 && classic) {
        int bt = meta_type_of(s, name.p, cbase);
        if (bt == RW_TYPE_HISTOGRAM || bt == RW_TYPE_SUMMARY)
            t = RW_TYPE_COUNTER;
    }
    pthread_rwlock_unlock(&s->meta_mu);
    if (t == RW_TYPE_COUNTER)
        return STORE_COUNTER;
    if (t >= 0 && t != RW_TYPE_UNKNOWN)
        return STORE_GAUGE;
    return is_total ? STORE_COUNTER : STORE_GAUGE;
}

/* ---- series lookup ---- */

static uint64_t labels_hash(const rw_label *l, uint32_t n)
{
    uint64_t h = 0x6a09e667f3bcc909ULL;
    for (uint32_t i = 0; i < n; i++) {
        h = mai_hash_mix(h ^ mai_hash_bytes(l[i].name.p, l[i].name.n, 1));
        h = mai_hash_mix(h ^ mai_hash_bytes(l[i].value.p, l[i].value.n, 2));
    }
    return h;
}

static int labels_equal(const series *se, const rw_label *l, uint32_t n)
{
    if (se->nlabels != n)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        const istr *a = se->labels[2 * i], *b = se->labels[2 * i + 1];
        if (a->n != l[i].name.n || b->n != l[i].value.n ||
            memcmp(a->s, l[i].name.p, a->n) != 0 || memcmp(b->s, l[i].value.p, b->n) != 0)
            return 0;
    }
    return 1;
}

/* Caller holds sh->mu. Returns the slot where the series is or would go. */
static slot *shard_slot(shard *sh, uint64_t h, const rw_label *l, uint32_t n)
{
    uint32_t mask = sh->cap - 1;
    uint32_t j = (uint32_t)(h >> 7) & mask;
    for (;;) {
        slot *p = &sh->table[j];
        if (!p->se || (p->hash == h && labels_equal(p->se, l, n)))
            return p;
        j = (j + 1) & mask;
    }
}

/* Caller holds sh->mu. */
static int shard_grow(shard *sh)
{
    uint32_t ncap = sh->cap * 2;
    slot *t = calloc(ncap, sizeof *t);
    if (!t)
        return -MAI_ENOMEM;
    for (uint32_t i = 0; i < sh->cap; i++) {
        if (!sh->table[i].se)
            continue;
        uint32_t j = (uint32_t)(sh->table[i].hash >> 7) & (ncap - 1);
        while (t[j].se)
            j = (j + 1) & (ncap - 1);
        t[j] = sh->table[i];
    }
    free(sh->table);
    sh->table = t;
    sh->cap = ncap;
    return 0;
}

static void log_refusal(store *s)
{
    long long now = (long long)log_now_s();
    long long last = atomic_load(&s->refused_logged_s);
    if (now - last >= 60 && atomic_compare_exchange_strong(&s->refused_logged_s, &last, now))
        log_msg(LOG_WARN, "series limit %zu reached (--max-series): new series are refused",
                s->cfg.max_series);
}

/* Caller holds sh->mu. Creates a series for labels (sorted, valid). NULL when refused/OOM. */
static series *series_new(store *s, shard *sh, uint64_t h, const rw_label *l, uint32_t n,
                          int wire_type, int *refused)
{
    size_t cur = atomic_fetch_add(&s->series, 1);
    if (cur >= s->cfg.max_series) {
        atomic_fetch_sub(&s->series, 1);
        *refused = 1;
        log_refusal(s);
        return NULL;
    }
    if ((sh->n + 1) * 4 > sh->cap * 3 && shard_grow(sh) != 0)
        goto oom;
    series *se = chunk_alloc(&sh->record_chunks, s->record_bytes, s->record_bytes * SLAB_RECORDS,
                             &sh->record_bytes);
    const istr **lab = chunk_alloc(&sh->label_chunks, 2 * n * sizeof *lab, LABEL_CHUNK_BYTES,
                                   &sh->label_bytes);
    if (!se || !lab)
        goto oom;
    memset(se, 0, sizeof *se);
    for (uint32_t i = 0; i < n; i++) {
        lab[2 * i] = interner_get(sh->strings, l[i].name, mai_hash_bytes(l[i].name.p, l[i].name.n, 0));
        lab[2 * i + 1] =
            interner_get(sh->strings, l[i].value, mai_hash_bytes(l[i].value.p, l[i].value.n, 0));
        if (!lab[2 * i] || !lab[2 * i + 1])
            goto oom;
        if (mai_str_eq_cstr(l[i].name, "__name__"))
            se->name_idx = i;
    }
    se->hash = h;
    se->labels = lab;
    se->nlabels = n;
    se->wire_type = (int8_t)wire_type;
    se->meta_gen = atomic_load(&s->meta_gen);
    se->kind = (uint8_t)resolve_kind(s, istr_view(lab[2 * se->name_idx + 1]), wire_type);
    se->last_t_ms = INT64_MIN;
    rate_init(&se->rate);
    float *fine = (float *)(se + 1);
    ring_init(&se->fine, fine, s->cfg.fine_cap);
    ring_agg_init(&se->coarse, (ring_agg_slot *)(fine + s->cfg.fine_cap), s->cfg.coarse_cap);
    slot *sl = shard_slot(sh, h, l, n);
    sl->hash = h;
    sl->se = se;
    sh->n++;
    atomic_fetch_add(&s->active, 1);
    return se;
oom:
    atomic_fetch_sub(&s->series, 1);
    return NULL;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* A sample time the store keeps: within STORE_MAX_ABS_TS_MS of 1970. */
static int ts_in_range(int64_t t_ms)
{
    return t_ms <= STORE_MAX_ABS_TS_MS && t_ms >= -STORE_MAX_ABS_TS_MS;
}

/* Caller holds the series' shard lock. */
static void recheck_kind(store *s, series *se, unsigned gen, store_result *res)
{
    se->meta_gen = gen;
    int k = resolve_kind(s, istr_view(se->labels[2 * se->name_idx + 1]), se->wire_type);
    if (k != se->kind) {        /* the history so far has the other meaning: start again */
        se->kind = (uint8_t)k;
        res->kind_changes++;
        rate_init(&se->rate);
        ring_clear(&se->fine);
        ring_agg_clear(&se->coarse);
    }
}

/* Caller holds the series' shard lock. O(1) per sample. */
static void append(store *s, shard *sh, series *se, const rw_sample *sm, uint32_t n,
                   store_result *res)
{
    unsigned gen = atomic_load_explicit(&s->meta_gen, memory_order_relaxed);
    if (se->meta_gen != gen && se->wire_type < 0)
        recheck_kind(s, se, gen, res);
    for (uint32_t i = 0; i < n; i++) {
        int64_t t = sm[i].t_ms;
        if (!ts_in_range(t)) {
            res->bad_timestamp++;
            continue;
        }
        uint64_t bits = mai_double_bits(sm[i].v);
        if (se->last_t_ms != INT64_MIN && t <= se->last_t_ms) {
            if (t == se->last_t_ms && bits == se->last_bits) {
                res->accepted++;
                res->duplicates++;
            } else if (t == se->last_t_ms) {
                res->conflicts++;
            } else {
                res->out_of_order++;
            }
            continue;
        }
        se->last_t_ms = t;
        se->last_bits = bits;
        se->samples++;
        res->accepted++;
        if (bits == MAI_STALE_NAN_BITS) {
            res->stale_markers++;
            if (!se->stale) {
                se->stale = 1;
                sh->stale++;
                atomic_fetch_sub(&s->active, 1);
            }
            rate_init(&se->rate);
            continue;
        }
        if (se->stale) {
            se->stale = 0;
            sh->stale--;
            atomic_fetch_add(&s->active, 1);
        }
        double x = sm[i].v;
        if (se->kind == STORE_COUNTER && !rate_update(&se->rate, t, x, &x))
            continue;
        if (!isfinite(x))
            continue;       /* accepted, but NaN and infinities carry no level to model */
        ring_add(&se->fine, floor_div(t, s->cfg.fine_step_ms), x);
        ring_agg_add(&se->coarse, floor_div(t, s->cfg.coarse_step_ms), x);
    }
}

/* Scratch for grouping a request's series by shard; grows, never shrinks. */
struct store_scratch {
    uint64_t *hash;
    uint32_t *order;
    uint32_t cap;
    uint32_t *count;
    unsigned ncount;
};

store_scratch *store_scratch_create(void)
{
    return calloc(1, sizeof(store_scratch));
}

void store_scratch_destroy(store_scratch *sc)
{
    if (!sc)
        return;
    free(sc->hash);
    free(sc->order);
    free(sc->count);
    free(sc);
}

static int scratch_reserve(store_scratch *sc, uint32_t n, unsigned shards)
{
    if (n > sc->cap) {
        uint32_t cap = sc->cap ? sc->cap : 256;
        while (cap < n)
            cap *= 2;
        uint64_t *h = realloc(sc->hash, cap * sizeof *h);
        if (!h)
            return -MAI_ENOMEM;
        sc->hash = h;
        uint32_t *o = realloc(sc->order, cap * sizeof *o);
        if (!o)
            return -MAI_ENOMEM;
        sc->order = o;
        sc->cap = cap;
    }
    if (shards + 1 > sc->ncount) {
        uint32_t *c = realloc(sc->count, (shards + 1) * sizeof *c);
        if (!c)
            return -MAI_ENOMEM;
        sc->count = c;
        sc->ncount = shards + 1;
    }
    return 0;
}

int store_ingest(store *s, const rw_request *req, store_scratch *sc, store_result *res)
{
    memset(res, 0, sizeof *res);
    unsigned nsh = s->cfg.shards;
    if (scratch_reserve(sc, req->nseries, nsh) != 0)
        return -MAI_ENOMEM;
    memset(sc->count, 0, (nsh + 1) * sizeof *sc->count);
    unsigned shift = 64 - s->shard_bits;
    for (uint32_t i = 0; i < req->nseries; i++) {
        const rw_series *rs = &req->series[i];
        if (rs->invalid || rs->nsamples == 0)
            continue;
        uint64_t h = labels_hash(req->labels + rs->label0, rs->nlabels);
        sc->hash[i] = h;
        sc->count[(s->shard_bits ? h >> shift : 0) + 1]++;
    }
    for (unsigned k = 1; k <= nsh; k++)     /* count[k] = first index of shard k */
        sc->count[k] += sc->count[k - 1];
    for (uint32_t i = 0; i < req->nseries; i++) {
        const rw_series *rs = &req->series[i];
        if (rs->invalid || rs->nsamples == 0)
            continue;
        unsigned k = s->shard_bits ? (unsigned)(sc->hash[i] >> shift) : 0;
        sc->order[sc->count[k]++] = i;
    }
    /* count[k] is now the end of shard k's run; runs are in shard order. */
    uint32_t pos = 0;
    int rc = 0;
    for (unsigned k = 0; k < nsh && rc == 0; k++) {
        uint32_t end = sc->count[k];
        if (pos == end)
            continue;
        shard *sh = &s->shards[k];
        pthread_mutex_lock(&sh->mu);
        for (; pos < end; pos++) {
            uint32_t i = sc->order[pos];
            const rw_series *rs = &req->series[i];
            const rw_label *l = req->labels + rs->label0;
            series *se = shard_slot(sh, sc->hash[i], l, rs->nlabels)->se;
            if (!se) {
                int refused = 0;
                se = series_new(s, sh, sc->hash[i], l, rs->nlabels, rs->meta_type, &refused);
                if (!se) {
                    res->series_limit += rs->nsamples;
                    res->refused_series++;
                    if (!refused) {
                        rc = -MAI_ENOMEM;
                        pos = end;
                        break;
                    }
                    continue;
                }
                res->new_series++;
            }
            append(s, sh, se, req->samples + rs->sample0, rs->nsamples, res);
        }
        pthread_mutex_unlock(&sh->mu);
    }
    return rc;
}

void store_get_stats(store *s, store_stats *out)
{
    memset(out, 0, sizeof *out);
    out->series = atomic_load(&s->series);
    out->active = atomic_load(&s->active);
    for (unsigned k = 0; k < s->cfg.shards; k++) {
        shard *sh = &s->shards[k];
        pthread_mutex_lock(&sh->mu);
        out->memory_series_bytes += sh->record_bytes;
        out->memory_labels_bytes += sh->label_bytes + interner_bytes(sh->strings);
        out->memory_index_bytes += (uint64_t)sh->cap * sizeof(slot);
        pthread_mutex_unlock(&sh->mu);
    }
    pthread_rwlock_rdlock(&s->meta_mu);
    out->metadata_families = s->meta_n;
    out->memory_index_bytes += (uint64_t)s->meta_cap * sizeof(meta_entry);
    pthread_rwlock_unlock(&s->meta_mu);
}

static void fill_info(const series *se, store_series_info *info)
{
    info->kind = se->kind;
    info->stale = se->stale;
    info->last_t_ms = se->last_t_ms;
    info->samples = se->samples;
    info->counter_resets = se->rate.resets;
}

/* Sorts a copy of the labels and finds the series; returns it with its shard locked. */
static series *find_locked(store *s, const rw_label *labels, uint32_t n, shard **out_sh)
{
    rw_label sorted[256];
    if (n == 0 || n > 256)
        return NULL;
    memcpy(sorted, labels, n * sizeof *sorted);
    for (uint32_t i = 1; i < n; i++) {
        rw_label x = sorted[i];
        uint32_t j = i;
        while (j > 0 && mai_str_cmp(sorted[j - 1].name, x.name) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = x;
    }
    uint64_t h = labels_hash(sorted, n);
    shard *sh = &s->shards[s->shard_bits ? h >> (64 - s->shard_bits) : 0];
    pthread_mutex_lock(&sh->mu);
    series *se = shard_slot(sh, h, sorted, n)->se;
    if (!se) {
        pthread_mutex_unlock(&sh->mu);
        return NULL;
    }
    *out_sh = sh;
    return se;
}

int store_series_get(store *s, const rw_label *labels, uint32_t n, store_series_info *info)
{
    shard *sh;
    series *se = find_locked(s, labels, n, &sh);
    if (!se)
        return -MAI_EINVAL;
    fill_info(se, info);
    pthread_mutex_unlock(&sh->mu);
    return 0;
}

long store_series_ring(store *s, const rw_label *labels, uint32_t n, int coarse, float *out,
                       size_t max, int64_t *first_bucket)
{
    shard *sh;
    series *se = find_locked(s, labels, n, &sh);
    if (!se)
        return -MAI_EINVAL;
    size_t got;
    if (!coarse) {
        got = ring_copy(&se->fine, out, max, first_bucket);
    } else {
        const ring_agg *r = &se->coarse;
        got = r->count < max ? r->count : max;
        int64_t b0 = r->last - (int64_t)got + 1;
        for (size_t i = 0; i < got; i++)
            out[i] = ring_agg_get(r, b0 + (int64_t)i).mean;
        *first_bucket = got ? b0 : RING_EMPTY;
    }
    pthread_mutex_unlock(&sh->mu);
    return (long)got;
}


void store_visit(store *s, mai_str name, store_visit_fn fn, void *ctx)
{
    for (unsigned k = 0; k < s->cfg.shards; k++) {
        shard *sh = &s->shards[k];
        int stop = 0;
        pthread_mutex_lock(&sh->mu);
        for (uint32_t i = 0; i < sh->cap && !stop; i++) {
            series *se = sh->table[i].se;
            if (!se)
                continue;
            if (name.n && !mai_str_eq(istr_view(se->labels[2 * se->name_idx + 1]), name))
                continue;
            store_series_view v = {.ref = {se, k}, .model = &se->model,
                                   .labels = se->labels, .nlabels = se->nlabels,
                                   .fine = &se->fine, .coarse = &se->coarse,
                                   .fine_step_ms = s->cfg.fine_step_ms,
                                   .coarse_step_ms = s->cfg.coarse_step_ms};
            fill_info(se, &v.info);
            stop = fn(&v, ctx);
        }
        pthread_mutex_unlock(&sh->mu);
        if (stop)
            return;
    }
}

size_t store_ring_since(store *s, store_ref ref, int coarse, int64_t after, float *out,
                        size_t max, int64_t *first, int64_t *newest)
{
    shard *sh = &s->shards[ref.shard];
    const series *se = ref.series;
    pthread_mutex_lock(&sh->mu);
    int64_t last = coarse ? se->coarse.last : se->fine.last;
    uint32_t count = coarse ? se->coarse.count : se->fine.count;
    *newest = last;
    size_t n = 0;
    if (count > 1) {
        int64_t lo = last - (int64_t)count + 1;        /* oldest bucket held */
        if (after != RING_EMPTY && after + 1 > lo)
            lo = after + 1;
        int64_t hi = last - 1;                          /* newest finished bucket */
        if (hi >= lo) {
            if ((uint64_t)(hi - lo + 1) > max)
                lo = hi - (int64_t)max + 1;
            for (int64_t b = lo; b <= hi; b++)
                out[n++] = coarse ? ring_agg_get(&se->coarse, b).mean : ring_get(&se->fine, b);
            *first = lo;
        }
    }
    pthread_mutex_unlock(&sh->mu);
    return n;
}

int store_visit_series(store *s, const rw_label *labels, uint32_t n, store_visit_fn fn,
                       void *ctx)
{
    shard *sh;
    series *se = find_locked(s, labels, n, &sh);
    if (!se)
        return -MAI_EINVAL;
    store_series_view v = {.ref = {se, (uint32_t)(sh - s->shards)}, .model = &se->model,
                           .labels = se->labels, .nlabels = se->nlabels,
                           .fine = &se->fine, .coarse = &se->coarse,
                           .fine_step_ms = s->cfg.fine_step_ms,
                           .coarse_step_ms = s->cfg.coarse_step_ms};
    fill_info(se, &v.info);
    int rc = fn(&v, ctx);
    pthread_mutex_unlock(&sh->mu);
    return rc;
}

/* ---- persistence ----
 * Metadata record: 'M', type i32, name length u32, name.
 * Series record: 'S', kind u8, stale u8, wire_type i8, nlabels u32, per label name and value
 * (length u32, bytes); last_t_ms i64, last_bits u64, samples u64; rate t_ms i64, v f64,
 * resets u32; then the fine and the coarse ring: step_ms i64, cap u32, count u32, last i64,
 * cur_sum f64, cur_n u32, count slots oldest first (f32 bits; the coarse ring mean, min, max). */

typedef struct recbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} recbuf;

static void rb_put(recbuf *b, const void *p, size_t k)
{
    if (b->n + k > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + k)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, k);
    b->n += k;
}

static void rb_u32(recbuf *b, uint32_t v)
{
    uint8_t x[4];
    le_put_u32(x, v);
    rb_put(b, x, 4);
}

static void rb_u64(recbuf *b, uint64_t v)
{
    uint8_t x[8];
    le_put_u64(x, v);
    rb_put(b, x, 8);
}

static void rb_f32(recbuf *b, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    rb_u32(b, bits);
}

static void rb_ring_head(recbuf *b, int64_t step_ms, uint32_t cap, uint32_t count, int64_t last,
                         double cur_sum, uint32_t cur_n)
{
    rb_u64(b, (uint64_t)step_ms);
    rb_u32(b, cap);
    rb_u32(b, count);
    rb_u64(b, (uint64_t)last);
    rb_u64(b, mai_double_bits(cur_sum));
    rb_u32(b, cur_n);
}

static void save_series(store *s, const series *se, recbuf *b)
{
    const uint8_t head[4] = {'S', se->kind, se->stale, (uint8_t)se->wire_type};
    rb_put(b, head, sizeof head);
    rb_u32(b, se->nlabels);
    for (uint32_t i = 0; i < 2 * se->nlabels; i++) {
        rb_u32(b, se->labels[i]->n);
        rb_put(b, se->labels[i]->s, se->labels[i]->n);
    }
    rb_u64(b, (uint64_t)se->last_t_ms);
    rb_u64(b, se->last_bits);
    rb_u64(b, se->samples);
    rb_u64(b, (uint64_t)se->rate.t_ms);
    rb_u64(b, mai_double_bits(se->rate.v));
    rb_u32(b, se->rate.resets);
    const ring *f = &se->fine;
    rb_ring_head(b, s->cfg.fine_step_ms, f->cap, f->count, f->last, f->cur_sum, f->cur_n);
    for (uint32_t i = 0; i < f->count; i++)
        rb_f32(b, ring_get(f, f->last - (int64_t)f->count + 1 + i));
    const ring_agg *c = &se->coarse;
    rb_ring_head(b, s->cfg.coarse_step_ms, c->cap, c->count, c->last, c->cur_sum, c->cur_n);
    for (uint32_t i = 0; i < c->count; i++) {
        ring_agg_slot v = ring_agg_get(c, c->last - (int64_t)c->count + 1 + i);
        rb_f32(b, v.mean);
        rb_f32(b, v.min);
        rb_f32(b, v.max);
    }
}

int store_save(store *s, store_record_fn fn, void *ctx)
{
    recbuf b = {0};
    int rc = 0;
    pthread_rwlock_rdlock(&s->meta_mu);
    for (uint32_t i = 0; i < s->meta_cap && rc == 0; i++) {
        const meta_entry *e = &s->meta[i];
        if (!e->family)
            continue;
        b.n = 0;
        rb_put(&b, "M", 1);
        rb_u32(&b, (uint32_t)e->type);
        rb_u32(&b, e->n);
        rb_put(&b, e->family, e->n);
        rc = b.oom ? -MAI_ENOMEM : fn(ctx, b.p, b.n);
    }
    pthread_rwlock_unlock(&s->meta_mu);
    for (unsigned k = 0; k < s->cfg.shards && rc == 0; k++) {
        shard *sh = &s->shards[k];
        pthread_mutex_lock(&sh->mu);
        for (uint32_t i = 0; i < sh->cap && rc == 0; i++) {
            const series *se = sh->table[i].se;
            if (!se)
                continue;
            b.n = 0;
            save_series(s, se, &b);
            rc = b.oom ? -MAI_ENOMEM : fn(ctx, b.p, b.n);
        }
        pthread_mutex_unlock(&sh->mu);
    }
    free(b.p);
    return rc;
}

static double double_from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

typedef struct ring_head {
    int64_t step_ms, last;
    uint32_t cap, count, cur_n;
    double cur_sum;
} ring_head;

static void rd_ring_head(codec_rd *r, ring_head *h)
{
    h->step_ms = (int64_t)codec_u64(r);
    h->cap = codec_u32(r);
    h->count = codec_u32(r);
    h->last = (int64_t)codec_u64(r);
    h->cur_sum = double_from_bits(codec_u64(r));
    h->cur_n = codec_u32(r);
    if (h->count > h->cap || (size_t)h->count * 4 > r->n - r->at ||
        (h->count > 0 && (h->last == RING_EMPTY || h->last < INT64_MIN + (int64_t)h->count)))
        r->bad = 1;
}

static int load_metadata(store *s, codec_rd *r)
{
    int32_t type = (int32_t)codec_u32(r);
    uint32_t len = codec_u32(r);
    const uint8_t *name = codec_take(r, len);
    if (!name || r->at != r->n || len == 0)
        return -MAI_EPROTO;
    rw_metadata m = {.family = {(const char *)name, len}, .type = type};
    store_set_metadata(s, &m, 1);
    return 0;
}

/* Parses the labels of a series record into l (2 * n views into the record). */
static int rd_labels(codec_rd *r, rw_label *l, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t kn = codec_u32(r);
        const uint8_t *k = codec_take(r, kn);
        uint32_t vn = codec_u32(r);
        const uint8_t *v = codec_take(r, vn);
        if (!k || !v || kn == 0)
            return -MAI_EPROTO;
        l[i].name = (mai_str){(const char *)k, kn};
        l[i].value = (mai_str){(const char *)v, vn};
        if (i > 0 && mai_str_cmp(l[i - 1].name, l[i].name) >= 0)
            return -MAI_EPROTO;         /* stored sorted, names unique */
    }
    return 0;
}

/* A saved ring's newest bucket: none, or one that a timestamp within STORE_MAX_ABS_TS_MS gives. */
static int bucket_in_range(int64_t last, int64_t step_ms)
{
    int64_t lim = STORE_MAX_ABS_TS_MS / step_ms + 1;
    return last == RING_EMPTY || (last >= -lim && last <= lim);
}

static int load_series(store *s, codec_rd *r, const uint8_t *head)
{
    if (head[1] > STORE_COUNTER || head[2] > 1)
        return -MAI_EPROTO;
    uint32_t n = codec_u32(r);
    if (n == 0 || (size_t)n * 8 > r->n - r->at)
        return -MAI_EPROTO;
    rw_label *l = malloc(n * sizeof *l);
    if (!l)
        return -MAI_ENOMEM;
    int rc = rd_labels(r, l, n);
    series tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.last_t_ms = (int64_t)codec_u64(r);
    tmp.last_bits = codec_u64(r);
    tmp.samples = codec_u64(r);
    tmp.rate.t_ms = (int64_t)codec_u64(r);
    tmp.rate.v = double_from_bits(codec_u64(r));
    tmp.rate.resets = codec_u32(r);
    ring_head fh, ch;
    rd_ring_head(r, &fh);
    size_t fine_at = r->at;
    codec_take(r, (size_t)fh.count * 4);
    rd_ring_head(r, &ch);
    size_t coarse_at = r->at;
    codec_take(r, (size_t)ch.count * 12);
    if (rc == 0 && (r->bad || r->at != r->n))
        rc = -MAI_EPROTO;
    if (rc == 0 && (fh.step_ms != s->cfg.fine_step_ms || ch.step_ms != s->cfg.coarse_step_ms))
        rc = -MAI_EINVAL;
    /* times the ingest path could have written: within STORE_MAX_ABS_TS_MS of 1970 */
    int t_ok = tmp.last_t_ms == INT64_MIN || ts_in_range(tmp.last_t_ms);
    if (rc == 0 && (!t_ok || !bucket_in_range(fh.last, fh.step_ms) ||
                    !bucket_in_range(ch.last, ch.step_ms)))
        rc = -MAI_EPROTO;
    if (rc != 0) {
        free(l);
        return rc;
    }
    float *fv = malloc(((size_t)fh.count + 1) * sizeof *fv);
    ring_agg_slot *cv = malloc(((size_t)ch.count + 1) * sizeof *cv);
    codec_rd body = {r->p, r->n, fine_at, 0};
    for (uint32_t i = 0; fv && i < fh.count; i++)
        fv[i] = codec_f32(&body);
    body.at = coarse_at;
    for (uint32_t i = 0; cv && i < ch.count; i++) {
        cv[i].mean = codec_f32(&body);
        cv[i].min = codec_f32(&body);
        cv[i].max = codec_f32(&body);
    }
    uint64_t h = labels_hash(l, n);
    shard *sh = &s->shards[s->shard_bits ? h >> (64 - s->shard_bits) : 0];
    pthread_mutex_lock(&sh->mu);
    series *se = NULL;
    if (!fv || !cv)
        rc = -MAI_ENOMEM;
    else if (shard_slot(sh, h, l, n)->se)
        rc = -MAI_EPROTO;
    if (rc == 0) {
        int refused = 0;
        se = series_new(s, sh, h, l, n, (int8_t)head[3], &refused);
        rc = se ? 0 : refused ? -MAI_ELIMIT : -MAI_ENOMEM;
    }
    if (rc == 0) {
        se->kind = head[1];
        se->last_t_ms = tmp.last_t_ms;
        se->last_bits = tmp.last_bits;
        se->samples = tmp.samples;
        se->rate = tmp.rate;
        ring_restore(&se->fine, fh.last, fh.count, fv, fh.cur_sum, fh.cur_n);  /* checked */
        ring_agg_restore(&se->coarse, ch.last, ch.count, cv, ch.cur_sum, ch.cur_n);
        if (head[2]) {
            se->stale = 1;
            sh->stale++;
            atomic_fetch_sub(&s->active, 1);
        }
    }
    pthread_mutex_unlock(&sh->mu);
    free(fv);
    free(cv);
    free(l);
    return rc;
}

int store_load(store *s, const uint8_t *rec, size_t n)
{
    codec_rd r = {rec, n, 0, 0};
    const uint8_t *head = codec_take(&r, 1);
    if (head && head[0] == 'M')
        return load_metadata(s, &r);
    if (head && head[0] == 'S' && codec_take(&r, 3))
        return load_series(s, &r, head);
    return -MAI_EPROTO;
}
