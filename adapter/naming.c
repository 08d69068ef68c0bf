/* SPDX-License-Identifier: Apache-2.0
 * adapter/naming.c -- instance naming: DNS suffixes sorted longest first, the alias map and the
 * learned node_uname_info names as small arrays searched linearly (one entry per node; the cycle
 * asks a few times per node and cycle). */
#include "adapter/naming.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adapter/intern.h"
#include "models/base.h"

typedef struct name_pair {
    char *key;      /* instance or host */
    char *host;     /* learned only: the host part of key */
    char *value;    /* node name */
} name_pair;

struct naming {
    char **suffixes;        /* longest first, each starting with '.' */
    size_t nsuffixes;
    name_pair *alias;
    size_t nalias;
    name_pair *learned;
    size_t nlearned, learned_cap;
    int auto_alias;
};

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void copy_out(char *buf, size_t cap, const char *s, size_t n)
{
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    memmove(buf, s, n);
    buf[n] = '\0';
}

static int by_length_desc(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
    return la < lb ? 1 : (la > lb ? -1 : 0);
}

static int parse_suffixes(naming *n, const char *list)
{
    size_t items = 1;
    for (const char *p = list; *p; p++)
        items += *p == ',';
    n->suffixes = calloc(items, sizeof *n->suffixes);
    if (!n->suffixes)
        return -MAI_ENOMEM;
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a && !(b - a == 1 && *a == '.')) {
            int dot = *a != '.';
            char *s = malloc((size_t)(b - a) + (size_t)dot + 1);
            if (!s)
                return -MAI_ENOMEM;
            if (dot)
                s[0] = '.';
            memcpy(s + dot, a, (size_t)(b - a));
            s[(size_t)(b - a) + (size_t)dot] = '\0';
            n->suffixes[n->nsuffixes++] = s;
        }
        if (!*end)
            break;
        p = end + 1;
    }
    qsort(n->suffixes, n->nsuffixes, sizeof *n->suffixes, by_length_desc);
    return 0;
}

static int parse_alias(naming *n, const char *text, char *err, size_t errlen)
{
    cJSON *root = cJSON_Parse(text);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        snprintf(err, errlen, "INSTANCE_ALIAS_MAP: invalid JSON near \"%.20s\"", at ? at : "");
        return -MAI_EINVAL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(err, errlen, "INSTANCE_ALIAS_MAP: not a JSON object (want {\"instance\": \"node\"})");
        return -MAI_EINVAL;
    }
    size_t count = (size_t)cJSON_GetArraySize(root);
    n->alias = calloc(count ? count : 1, sizeof *n->alias);
    if (!n->alias) {
        cJSON_Delete(root);
        return -MAI_ENOMEM;
    }
    int rc = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        const char *key = it->string ? it->string : "";
        if (!*key) {
            snprintf(err, errlen, "INSTANCE_ALIAS_MAP: empty key");
            rc = -MAI_EINVAL;
            break;
        }
        if (!cJSON_IsString(it) || !it->valuestring || !*it->valuestring) {
            snprintf(err, errlen, "INSTANCE_ALIAS_MAP: value for \"%.200s\" is not a non-empty string",
                     key);
            rc = -MAI_EINVAL;
            break;
        }
        name_pair *e = &n->alias[n->nalias];
        e->key = dup_n(key, strlen(key));
        e->value = dup_n(it->valuestring, strlen(it->valuestring));
        n->nalias++;
        if (!e->key || !e->value) {
            rc = -MAI_ENOMEM;
            break;
        }
    }
    cJSON_Delete(root);
    return rc;
}

void naming_destroy(naming *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nsuffixes; i++)
        free(n->suffixes[i]);
    free(n->suffixes);
    for (size_t i = 0; i < n->nalias; i++) {
        free(n->alias[i].key);
        free(n->alias[i].value);
    }
    free(n->alias);
    for (size_t i = 0; i < n->nlearned; i++) {
        free(n->learned[i].key);
        free(n->learned[i].host);
        free(n->learned[i].value);
    }
    free(n->learned);
    free(n);
}

int naming_create(const mai_config *cfg, naming **out, char *err, size_t errlen)
{
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    naming *n = calloc(1, sizeof *n);
    if (!n)
        return -MAI_ENOMEM;
    n->auto_alias = cfg->auto_alias_enabled != 0;
    int rc = parse_suffixes(n, cfg->dns_domain_suffixes);
    if (rc == 0)
        rc = parse_alias(n, cfg->instance_alias_map, err, errlen);
    if (rc != 0) {
        if (rc == -MAI_ENOMEM && errlen)
            snprintf(err, errlen, "instance naming: out of memory");
        naming_destroy(n);
        return rc;
    }
    *out = n;
    return 0;
}

/* The host part as a view into instance. */
static mai_str host_view(const char *instance)
{
    size_t len = strlen(instance);
    mai_str v = {instance, (uint32_t)len};
    if (instance[0] == '[') {
        const char *close = strchr(instance, ']');
        if (close) {
            v.p = instance + 1;
            v.n = (uint32_t)(close - instance - 1);
        }
        return v;
    }
    const char *colon = strchr(instance, ':');
    if (colon && !strchr(colon + 1, ':'))
        v.n = (uint32_t)(colon - instance);
    return v;
}

const char *naming_host(const char *instance, char *buf, size_t cap)
{
    mai_str h = host_view(instance);
    copy_out(buf, cap, h.p, h.n);
    return buf;
}

/* Length of s once the longest matching suffix is stripped. */
static size_t stripped_len(const naming *n, const char *s, size_t len)
{
    for (size_t i = 0; i < n->nsuffixes; i++) {
        size_t sl = strlen(n->suffixes[i]);
        if (sl < len && strncasecmp(s + len - sl, n->suffixes[i], sl) == 0)
            return len - sl;
    }
    return len;
}

static const char *alias_find(const naming *n, const char *key, size_t klen)
{
    for (size_t i = n->nalias; i-- > 0;)
        if (strlen(n->alias[i].key) == klen && memcmp(n->alias[i].key, key, klen) == 0)
            return n->alias[i].value;
    return NULL;
}

static const char *learned_find(const naming *n, const char *instance, mai_str host)
{
    for (size_t i = 0; i < n->nlearned; i++)
        if (strcmp(n->learned[i].key, instance) == 0)
            return n->learned[i].value;
    for (size_t i = 0; i < n->nlearned; i++)
        if (mai_str_eq_cstr(host, n->learned[i].host))
            return n->learned[i].value;
    return NULL;
}

/* The node name before suffix stripping, as a view (into n's tables or instance). */
static mai_str raw_node(const naming *n, const char *instance, mai_str host)
{
    const char *v = alias_find(n, instance, strlen(instance));
    if (!v)
        v = alias_find(n, host.p, host.n);
    if (!v)
        v = learned_find(n, instance, host);
    if (v) {
        mai_str s = {v, (uint32_t)strlen(v)};
        return s;
    }
    return host;
}

const char *naming_node(const naming *n, const char *instance, char *buf, size_t cap)
{
    mai_str host = host_view(instance);
    mai_str raw = raw_node(n, instance, host);
    copy_out(buf, cap, raw.p, stripped_len(n, raw.p, raw.n));
    return buf;
}

const char *naming_display(const naming *n, const char *instance, char *buf, size_t cap)
{
    mai_str host = host_view(instance);
    mai_str raw = raw_node(n, instance, host);
    size_t nl = stripped_len(n, raw.p, raw.n);
    size_t hl = stripped_len(n, host.p, host.n);
    if (cap == 0)
        return buf;
    if ((nl == host.n || nl == hl) && memcmp(raw.p, host.p, nl) == 0) {
        copy_out(buf, cap, raw.p, nl);
        return buf;
    }
    snprintf(buf, cap, "%.*s (%.*s)", (int)nl, raw.p, (int)host.n, host.p);
    return buf;
}

size_t naming_learned_count(const naming *n)
{
    return n->nlearned;
}

typedef struct learn_ctx {
    naming *n;
    int oom;
} learn_ctx;

static int learn_one(naming *n, mai_str inst, mai_str node)
{
    for (size_t i = 0; i < n->nlearned; i++) {
        name_pair *e = &n->learned[i];
        if (!mai_str_eq_cstr(inst, e->key))
            continue;
        if (mai_str_eq_cstr(node, e->value))
            return 0;
        char *v = dup_n(node.p, node.n);
        if (!v)
            return -MAI_ENOMEM;
        free(e->value);
        e->value = v;
        return 0;
    }
    if (n->nlearned == n->learned_cap) {
        size_t cap = n->learned_cap ? 2 * n->learned_cap : 16;
        name_pair *p = realloc(n->learned, cap * sizeof *p);
        if (!p)
            return -MAI_ENOMEM;
        n->learned = p;
        n->learned_cap = cap;
    }
    name_pair e = {dup_n(inst.p, inst.n), NULL, dup_n(node.p, node.n)};
    if (e.key) {
        mai_str h = host_view(e.key);
        e.host = dup_n(h.p, h.n);
    }
    if (!e.key || !e.host || !e.value) {
        free(e.key);
        free(e.host);
        free(e.value);
        return -MAI_ENOMEM;
    }
    n->learned[n->nlearned++] = e;
    return 0;
}

static int learn_visit(const store_series_view *v, void *ctx)
{
    learn_ctx *c = ctx;
    mai_str inst = {NULL, 0}, node = {NULL, 0};
    for (uint32_t i = 0; i < v->nlabels; i++) {
        mai_str name = istr_view(v->labels[2 * i]);
        if (mai_str_eq_cstr(name, "instance"))
            inst = istr_view(v->labels[2 * i + 1]);
        else if (mai_str_eq_cstr(name, "nodename"))
            node = istr_view(v->labels[2 * i + 1]);
    }
    if (inst.n == 0 || node.n == 0)
        return 0;
    if (learn_one(c->n, inst, node) != 0) {
        c->oom = 1;
        return 1;
    }
    return 0;
}

void naming_learn_from_store(naming *n, store *st)
{
    if (!n->auto_alias)
        return;
    static const char metric[] = "node_uname_info";
    mai_str name = {metric, (uint32_t)(sizeof metric - 1)};
    learn_ctx c = {n, 0};
    store_visit(st, name, learn_visit, &c);
}
