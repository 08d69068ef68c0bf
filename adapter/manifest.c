/* SPDX-License-Identifier: Apache-2.0
 * adapter/manifest.c -- the manifests and per-model artifacts in MODEL_FILES_DIR (see
 * manifest.h), built with cJSON from the cycle's model views. */
#include "adapter/manifest.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/log.h"
#include "exporter/atomic_file.h"
#include "models/backtest.h"
#include "models/base.h"

enum { M_DISK, M_IO_NET, M_LAYER, M_COUNT };
static const char *const MANIFEST_FILE[M_COUNT] = {"disk_full_models.json", "io_net_models.json",
                                                   "layer_models.json"};

typedef struct mctx {
    const manifest_options *o;
    store *st;
    cJSON *list[M_COUNT];
    manifest_stats stats;
    float *ring;
    double *y;
    size_t cap;
    char err[600];
    int failed;
} mctx;

static void clean(const char *s, char *out, size_t cap, size_t *len)
{
    for (; s && *s && *len + 1 < cap; s++)
        out[(*len)++] = (isalnum((unsigned char)*s) || *s == '.' || *s == '-' || *s == '_')
                            ? *s : '_';
    out[*len] = '\0';
}

void manifest_name(const char *signal_id, const char *node, const char *mount_or_device,
                   char *out, size_t cap)
{
    size_t len = 0;
    if (!cap)
        return;
    out[0] = '\0';
    int disk = strcmp(signal_id, "DISK_USAGE") == 0;
    if (disk)
        clean("disk_", out, cap, &len);
    clean(node && *node ? node : "unknown", out, cap, &len);
    clean("_", out, cap, &len);
    if (disk) {
        const char *m = mount_or_device && *mount_or_device ? mount_or_device : "/";
        clean(strcmp(m, "/") == 0 ? "root" : m + (m[0] == '/'), out, cap, &len);
    } else {
        clean(signal_id, out, cap, &len);
        if (mount_or_device && *mount_or_device) {
            clean("_", out, cap, &len);
            clean(mount_or_device, out, cap, &len);
        }
    }
}

static const char *label(const cycle_model_view *v, const char *name)
{
    for (uint32_t i = 0; i < v->nlabels; i++)
        if (strcmp(v->labels[2 * i], name) == 0)
            return v->labels[2 * i + 1];
    return NULL;
}

static void iso_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_time(cJSON *o, const char *k, int64_t t)
{
    char b[32];
    if (t <= 0) {
        cJSON_AddNullToObject(o, k);
        return;
    }
    iso_time(t, b, sizeof b);
    cJSON_AddStringToObject(o, k, b);
}

static int write_json(const char *dir, const char *name, cJSON *j, char *err, size_t errlen)
{
    char *text = cJSON_Print(j);
    if (!text) {
        snprintf(err, errlen, "cannot write %s/%s: out of memory", dir, name);
        return -1;
    }
    atomic_file af;
    int rc = atomic_open(&af, dir, name, err, errlen);
    if (rc == 0) {
        fputs(text, af.f);
        fputc('\n', af.f);
        rc = atomic_commit(&af, err, errlen);
    }
    free(text);
    return rc;
}

/* The part's members and seasons, weights and recent errors per horizon. */
static cJSON *part_json(const cycle_part_view *p)
{
    cJSON *o = cJSON_CreateObject();
    ens_info info;
    ens_get_info(p->state, &info);
    cJSON_AddNumberToObject(o, "step_seconds", (double)p->step_s);
    cJSON_AddNumberToObject(o, "points", (double)p->points);
    int64_t first = p->last_bucket - (int64_t)p->points + 1;
    add_time(o, "data_start", p->points ? first * p->step_s : 0);
    add_time(o, "data_end", p->points ? (p->last_bucket + 1) * p->step_s : 0);
    add_time(o, "trained_at", p->fitted_unix);
    cJSON_AddBoolToObject(o, "fitted", p->fitted_at > 0);
    cJSON_AddNumberToObject(o, "season_day_steps", p->cfg->p.season_day);
    cJSON_AddNumberToObject(o, "season_week_steps", p->cfg->p.season_week);
    cJSON *members = cJSON_AddArrayToObject(o, "members");
    for (uint32_t m = 0; m < p->cfg->nm; m++)
        cJSON_AddItemToArray(members, cJSON_CreateString(p->cfg->members[m]->name));
    cJSON *hz = cJSON_AddArrayToObject(o, "horizons");
    for (uint32_t h = 0; h < p->cfg->nh; h++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "steps", p->cfg->horizons[h]);
        cJSON_AddNumberToObject(x, "scored", info.scored[h]);
        add_num(x, "mase_ensemble", info.scale > 0 ? info.mae_ens[h] / info.scale : NAN);
        add_num(x, "mase_naive", info.scale > 0 ? info.mae_naive[h] / info.scale : NAN);
        cJSON *w = cJSON_AddObjectToObject(x, "weights");
        cJSON *e = cJSON_AddObjectToObject(x, "mae");
        for (uint32_t m = 0; m < p->cfg->nm; m++) {
            add_num(w, p->cfg->members[m]->name, info.weight[h][m]);
            add_num(e, p->cfg->members[m]->name, info.mae[h][m]);
        }
        cJSON_AddItemToArray(hz, x);
    }
    return o;
}

/* The TRAIN_FRACTION backtest of the fine part on its ring; NULL when too short. */
static cJSON *backtest_json(mctx *m, const cycle_model_view *v, const char *name)
{
    const cycle_part_view *p = &v->part[0];
    if (!p->used || p->points < 30)
        return NULL;
    int64_t first = 0, newest;
    size_t n = store_ring_since(m->st, v->ref, 0, RING_EMPTY, m->ring, m->cap, &first, &newest);
    if (n < 30)
        return NULL;
    for (size_t i = 0; i < n; i++)
        m->y[i] = m->ring[i];
    size_t ntrain = (size_t)(m->o->train_fraction * (double)n);
    ens_config cfg = ens_config_for_data(p->cfg, m->y, ntrain);
    size_t a = ENS_ALIGN;
    void *state = aligned_alloc(a, mai_round_up(ens_state_size(p->cfg), a));
    void *scratch = aligned_alloc(a, mai_round_up(ens_fit_scratch_size(p->cfg, n) + a, a));
    void *work = aligned_alloc(a, mai_round_up(backtest_work_size(p->cfg), a));
    bt_result r;
    int rc = state && scratch && work
                 ? backtest_run(&cfg, m->y, n, m->o->train_fraction, 10, state, scratch, work, &r)
                 : -MAI_ENOMEM;
    free(state);
    free(scratch);
    free(work);
    if (rc != 0)
        return NULL;
    m->stats.backtests++;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "train_fraction", m->o->train_fraction);
    cJSON_AddNumberToObject(o, "points", (double)n);
    cJSON_AddNumberToObject(o, "train_points", (double)r.ntrain);
    cJSON *hz = cJSON_AddArrayToObject(o, "horizons");
    for (uint32_t h = 0; h < r.nh; h++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "steps", r.horizons[h]);
        for (uint32_t k = 0; k <= r.nm; k++) {
            cJSON *e = cJSON_AddObjectToObject(x, r.names[k]);
            add_num(e, "mae", r.m[h][k].mae);
            add_num(e, "rmse", r.m[h][k].rmse);
            add_num(e, "mase", r.m[h][k].mase);
            add_num(e, "coverage80", r.m[h][k].coverage80);
        }
        cJSON_AddItemToArray(hz, x);
        if (m->o->console)
            fprintf(m->o->console, "  %-44s %6u steps  ensemble MAE %-10.4g MASE %-6.3f  "
                    "naive MASE %.3f\n", name, r.horizons[h], r.m[h][r.nm].mae,
                    r.m[h][r.nm].mase, r.m[h][0].mase);
    }
    return o;
}

static int visit(const cycle_model_view *v, void *arg)
{
    mctx *m = arg;
    if (!v->sig)
        return 0;
    int kind = strcmp(v->sig->id, "DISK_USAGE") == 0                                ? M_DISK
               : strcmp(v->sig->layer, "io") == 0 || strcmp(v->sig->layer, "net") == 0 ? M_IO_NET
                                                                                   : M_LAYER;
    char node[256] = "";
    const char *inst = label(v, "instance"), *where = label(v, "mountpoint");
    if (!where)
        where = label(v, "device");
    snprintf(node, sizeof node, "%s", v->display ? v->display : inst ? inst : "");
    char *paren = strstr(node, " (");
    if (paren)
        *paren = '\0';
    if (!node[0])
        snprintf(node, sizeof node, "%s", label(v, "node") ? label(v, "node") : "cluster");
    char name[300], file[340];
    manifest_name(v->sig->id, node, where, name, sizeof name);

    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "signal", v->sig->id);
    cJSON_AddStringToObject(meta, "metric", v->metric);
    cJSON_AddStringToObject(meta, "instance", v->display ? v->display : inst ? inst : "");
    cJSON *labels = cJSON_AddObjectToObject(meta, "labels");
    for (uint32_t i = 0; i < v->nlabels; i++)
        cJSON_AddStringToObject(labels, v->labels[2 * i], v->labels[2 * i + 1]);
    add_num(meta, "threshold", v->sig->threshold);
    static const char *const part_name[2] = {"fine", "coarse"};
    for (int i = 0; i < 2; i++)
        if (v->part[i].used)
            cJSON_AddItemToObject(meta, part_name[i], part_json(&v->part[i]));
    cJSON *bt = m->o->backtest ? backtest_json(m, v, name) : NULL;
    if (bt)
        cJSON_AddItemToObject(meta, "backtest", bt);
    snprintf(file, sizeof file, "%s.meta.json", name);
    int rc = write_json(m->o->dir, file, meta, m->err, sizeof m->err);
    cJSON_Delete(meta);

    /* NAME.model: "MAIM", part count, then per part its length and ens_save bytes */
    atomic_file af;
    snprintf(file, sizeof file, "%s.model", name);
    if (rc == 0 && (rc = atomic_open(&af, m->o->dir, file, m->err, sizeof m->err)) == 0) {
        fputs("MAIM", af.f);
        for (int i = 0; i < 2; i++) {
            size_t need = v->part[i].used ? ens_save(v->part[i].state, NULL, 0) : 0;
            uint8_t *buf = need ? malloc(need) : NULL;
            uint32_t len = buf ? (uint32_t)ens_save(v->part[i].state, buf, need) : 0;
            uint8_t le[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                             (uint8_t)(len >> 24)};
            fwrite(le, 1, 4, af.f);
            if (len)
                fwrite(buf, 1, len, af.f);
            free(buf);
        }
        rc = atomic_commit(&af, m->err, sizeof m->err);
    }
    if (rc != 0) {
        m->failed = 1;
        return 1;
    }
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "name", name);
    cJSON_AddStringToObject(entry, "signal", v->sig->id);
    cJSON_AddStringToObject(entry, "node", node);
    if (where)
        cJSON_AddStringToObject(entry, kind == M_DISK ? "mountpoint" : "device", where);
    add_time(entry, "trained_at", v->part[1].used && v->part[1].fitted_unix > v->part[0].fitted_unix
                                      ? v->part[1].fitted_unix : v->part[0].fitted_unix);
    snprintf(file, sizeof file, "%s.meta.json", name);
    cJSON_AddStringToObject(entry, "meta", file);
    snprintf(file, sizeof file, "%s.model", name);
    cJSON_AddStringToObject(entry, "model", file);
    cJSON_AddItemToArray(m->list[kind], entry);
    m->stats.models++;
    m->stats.disk += kind == M_DISK;
    m->stats.io_net += kind == M_IO_NET;
    m->stats.layer += kind == M_LAYER;
    return 0;
}

int manifest_write(cycle *c, store *st, const manifest_options *o, manifest_stats *out,
                   char *err, size_t errlen)
{
    mctx m = {.o = o, .st = st, .cap = 1 << 17};
    m.ring = malloc(m.cap * sizeof *m.ring);
    m.y = malloc(m.cap * sizeof *m.y);
    for (int k = 0; k < M_COUNT; k++)
        m.list[k] = cJSON_CreateArray();
    if (o->console && o->backtest)
        fprintf(o->console, "backtest of the catalogue models (fine part, TRAIN_FRACTION %g, "
                "10 origins over the test part):\n", o->train_fraction);
    if (m.ring && m.y)
        cycle_visit_models(c, visit, &m);
    else
        m.failed = 1, snprintf(m.err, sizeof m.err, "manifests: out of memory");
    char now[32];
    iso_time((int64_t)time(NULL), now, sizeof now);
    for (int k = 0; k < M_COUNT && !m.failed; k++) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "written_at", now);
        cJSON_AddStringToObject(doc, "format", "metrics-ai manifest 1");
        cJSON_AddItemToObject(doc, "models", m.list[k]);
        m.list[k] = NULL;
        if (write_json(o->dir, MANIFEST_FILE[k], doc, m.err, sizeof m.err) != 0)
            m.failed = 1;
        cJSON_Delete(doc);
    }
    for (int k = 0; k < M_COUNT; k++)
        cJSON_Delete(m.list[k]);
    free(m.ring);
    free(m.y);
    if (out)
        *out = m.stats;
    if (m.failed) {
        snprintf(err, errlen, "%s", m.err);
        return -1;
    }
    return 0;
}
