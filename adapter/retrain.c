/* SPDX-License-Identifier: Apache-2.0
 * adapter/retrain.c -- the selective retraining grammar (see retrain.h). */
#include "adapter/retrain.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "adapter/signals.h"
#include "models/base.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -MAI_EINVAL;
}

static int is_io_net(const char *layer)
{
    return strcmp(layer, "io") == 0 || strcmp(layer, "net") == 0;
}

static int known_io_net_signal(const signals *cat, const char *id)
{
    const signal_def *s = signals_by_id(cat, id);
    return s && is_io_net(s->layer);
}

/* Copies [p, p + len) without surrounding blanks into out; returns its length or -1 when it does
 * not fit. */
static int trimmed(const char *p, size_t len, char *out, size_t cap)
{
    while (len && (*p == ' ' || *p == '\t'))
        p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len >= cap)
        return -1;
    memcpy(out, p, len);
    out[len] = '\0';
    return (int)len;
}

int retrain_parse(const char *text, retrain_kind kind, const char *what, const signals *cat,
                  retrain_spec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    if (!text)
        return 0;
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[2 * RETRAIN_NAME_MAX];
        int il = trimmed(p, len, item, sizeof item);
        if (il < 0)
            return fail(err, errlen, "%s: an item is longer than %d bytes", what,
                        2 * RETRAIN_NAME_MAX - 1);
        if (il == 0)
            return fail(err, errlen, "%s=\"%s\": empty item", what, text);
        if (strcasecmp(item, "all") == 0) {
            out->all = 1;
        } else {
            if (out->n == RETRAIN_MAX_TARGETS)
                return fail(err, errlen, "%s: more than %d targets", what, RETRAIN_MAX_TARGETS);
            retrain_target *t = &out->t[out->n];
            /* "/home" alone: that mountpoint everywhere; else node[:sub], split at the first
             * ':' (a mountpoint may hold ':' itself) */
            const char *colon = item[0] == '/' ? NULL : strchr(item, ':');
            const char *sub = item[0] == '/' ? item : colon ? colon + 1 : "";
            size_t nl = item[0] == '/' ? 0 : colon ? (size_t)(colon - item) : strlen(item);
            if (trimmed(item, nl, t->node, sizeof t->node) < 0 ||
                trimmed(sub, strlen(sub), t->sub, sizeof t->sub) < 0)
                return fail(err, errlen, "%s: a node, mountpoint or signal name is longer than "
                            "%d bytes", what, RETRAIN_NAME_MAX - 1);
            if (colon && !t->node[0])
                return fail(err, errlen, "%s: \"%s\": expected node:%s", what, item,
                            kind == RETRAIN_DISK ? "/mount" : "SIGNAL");
            if (colon && !t->sub[0])
                return fail(err, errlen, "%s: \"%s\": nothing after ':'", what, item);
            if (kind == RETRAIN_DISK && t->sub[0] && t->sub[0] != '/')
                return fail(err, errlen, "%s: \"%s\": a mountpoint starts with '/'", what, item);
            if (kind == RETRAIN_IO_NET && item[0] == '/')
                return fail(err, errlen, "%s: \"%s\": expected node or node:SIGNAL", what, item);
            if (kind == RETRAIN_IO_NET && t->sub[0] && !known_io_net_signal(cat, t->sub))
                return fail(err, errlen, "%s: \"%s\": unknown I/O or network signal \"%s\" "
                            "(DISK_IO_WAIT, DISK_IO_UTIL, NET_RX_BW, NET_TX_BW)", what, item,
                            t->sub);
            out->n++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (out->all && out->n)
        return fail(err, errlen, "%s=\"%s\": \"all\" cannot be combined with targets", what,
                    text);
    return 0;
}

static int node_is(const char *want, const char *const names[3])
{
    if (!want[0])
        return 1;
    for (int i = 0; i < 3; i++)
        if (names[i] && strcasecmp(names[i], want) == 0)
            return 1;
    return 0;
}

int retrain_matches(const retrain_spec *spec, const char *signal_id, const char *layer,
                    const char *const names[3], const char *mountpoint)
{
    if (!spec || !signal_id || !layer)
        return 0;
    if (spec->kind == RETRAIN_DISK ? strcmp(signal_id, "DISK_USAGE") != 0 : !is_io_net(layer))
        return 0;
    if (spec->all)
        return 1;
    for (size_t i = 0; i < spec->n; i++) {
        const retrain_target *t = &spec->t[i];
        if (!node_is(t->node, names))
            continue;
        if (!t->sub[0])
            return 1;
        if (spec->kind == RETRAIN_DISK ? mountpoint && strcmp(mountpoint, t->sub) == 0
                                       : strcmp(signal_id, t->sub) == 0)
            return 1;
    }
    return 0;
}
