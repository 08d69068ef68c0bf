/* SPDX-License-Identifier: Apache-2.0
 * adapter/store_api.c -- the JSON answer of GET /api/v1/store, built with cJSON (see
 * store_api.h). Shape, in the style of Prometheus' HTTP API:
 *   {"status":"success","data":{"fine_step_seconds":60,"truncated":false,"series":[
 *     {"labels":{...},"kind":"counter","stale":false,"samples":12,"counter_resets":0,
 *      "last_timestamp_ms":...,"fine":{"start_ms":...,"values":[0.5,null,...]}}]}}
 * Counter values are per-second rates; null is an empty slot. */
#include "adapter/store_api.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "adapter/intern.h"

typedef struct visit_ctx {
    cJSON *list;
    size_t limit, points, seen;
    int truncated, oom;
} visit_ctx;

static int add_series(const store_series_view *v, void *p)
{
    visit_ctx *c = p;
    if (c->seen >= c->limit) {
        c->truncated = 1;
        return 1;
    }
    c->seen++;
    cJSON *o = cJSON_CreateObject();
    cJSON *labels = cJSON_AddObjectToObject(o, "labels");
    for (uint32_t i = 0; i < v->nlabels && labels; i++)
        cJSON_AddStringToObject(labels, v->labels[2 * i]->s, v->labels[2 * i + 1]->s);
    cJSON_AddStringToObject(o, "kind", v->info.kind == STORE_COUNTER ? "counter" : "gauge");
    cJSON_AddBoolToObject(o, "stale", v->info.stale);
    cJSON_AddNumberToObject(o, "samples", (double)v->info.samples);
    cJSON_AddNumberToObject(o, "counter_resets", v->info.counter_resets);
    cJSON_AddNumberToObject(o, "last_timestamp_ms", (double)v->info.last_t_ms);
    cJSON *fine = cJSON_AddObjectToObject(o, "fine");
    const ring *r = v->fine;
    size_t n = r->count < c->points ? r->count : c->points;
    int64_t first = r->last - (int64_t)n + 1;
    cJSON_AddNumberToObject(fine, "start_ms", n ? (double)(first * v->fine_step_ms) : 0);
    cJSON *vals = cJSON_AddArrayToObject(fine, "values");
    for (size_t i = 0; i < n && vals; i++) {
        float x = ring_get(r, first + (int64_t)i);
        cJSON_AddItemToArray(vals, isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull());
    }
    if (!o || !labels || !fine || !vals) {
        cJSON_Delete(o);
        c->oom = 1;
        return 1;
    }
    cJSON_AddItemToArray(c->list, o);
    return 0;
}

unsigned store_api_render(store *s, const store_api_query *q, char **out)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return 500;
    if (!q->metric || !*q->metric) {
        cJSON_AddStringToObject(root, "status", "error");
        cJSON_AddStringToObject(root, "errorType", "bad_data");
        cJSON_AddStringToObject(root, "error", "missing parameter metric=NAME");
        *out = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        return *out ? 400 : 500;
    }
    cJSON_AddStringToObject(root, "status", "success");
    cJSON *data = cJSON_AddObjectToObject(root, "data");
    visit_ctx c = {.list = cJSON_CreateArray(), .limit = q->limit, .points = q->points};
    if (!data || !c.list) {
        cJSON_Delete(c.list);
        cJSON_Delete(root);
        return 500;
    }
    mai_str name = {q->metric, (uint32_t)strlen(q->metric)};
    store_visit(s, name, add_series, &c);
    cJSON_AddBoolToObject(data, "truncated", c.truncated);
    cJSON_AddItemToObject(data, "series", c.list);
    if (!c.oom)
        *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return *out ? 200 : 500;
}
