/* SPDX-License-Identifier: Apache-2.0
 * adapter/signals.c -- the built-in signal catalogue (see signals.h), its override-file parser,
 * lookups by id and recorded name, and the Prometheus rule-file writer. Expressions use
 * node_exporter 1.x names, cAdvisor's container_* series and kube-state-metrics' kube_pod_info. */
#include "adapter/signals.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "models/base.h"

/* Filesystems that are not disks (memory, container layers, pseudo filesystems) and mountpoints
 * that belong to container runtimes. */
#define FS_SEL "fstype!~\"tmpfs|devtmpfs|ramfs|overlay|squashfs|nsfs|autofs|fuse.lxcfs|iso9660|" \
               "rootfs|proc|sysfs|cgroup2?\",mountpoint!~\"/var/lib/(docker|kubelet|containers)/.+|" \
               "/run/.*|/snap/.+\""
/* Block devices that are disks (the node-exporter mixin's list): no loop, ram, zram, sr. */
#define DISK_SEL "device=~\"(/dev/)?(mmcblk.p.+|nvme.+|rbd.+|sd.+|vd.+|xvd.+|dm-.+|md.+|dasd.+)\""
/* Network devices that are not virtual: no loopback, bridges, veths, overlays, tunnels. */
#define NET_SEL "device!~\"lo|veth.*|docker.*|br-.*|virbr.*|vnet.*|cni.*|flannel.*|cali.*|" \
                "cilium.*|lxc.*|weave.*|vxlan.*|genev_sys.*|kube-.*|tun.*|tap.*|ifb.*|dummy.*|" \
                "nodelocaldns\""
/* kube_pod_info carries the node a pod runs on in its "node" label; one row per pod. */
#define POD_NODE "topk by (namespace, pod) (1, max by (namespace, pod, node) " \
                 "(kube_pod_info{node!=\"\"}))"
#define CONTAINER_SEL "container!=\"\",container!=\"POD\",pod!=\"\""
#define FS_BY "instance, device, mountpoint, fstype"

static const signal_def builtin[] = {
    {"HOST_CPU", "instance:metrics_ai_host_cpu:ratio",
     "1 - avg by (instance) (sum by (instance, cpu) "
     "(rate(node_cpu_seconds_total{mode=~\"idle|iowait|steal\"}[5m])))",
     "host", "ratio", 0.9, "metrics-ai-host", "instance",
     "share of CPU time busy (not idle, iowait or steal), averaged over CPUs"},
    {"HOST_MEM", "instance:metrics_ai_host_mem:ratio",
     "1 - max by (instance) (node_memory_MemAvailable_bytes) / "
     "max by (instance) (node_memory_MemTotal_bytes > 0)",
     "host", "ratio", 0.9, "metrics-ai-host", "instance",
     "share of memory not available (1 - MemAvailable / MemTotal)"},
    {"POD_CPU", "node:metrics_ai_pod_cpu:cores",
     "sum by (node) (sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{"
     CONTAINER_SEL "}[5m])) * on (namespace, pod) group_left (node) " POD_NODE ")",
     "pod", "cores", NAN, "metrics-ai-pod", "node",
     "CPU cores used by pod containers (cAdvisor), summed per node from kube_pod_info's node label"},
    {"POD_MEM", "node:metrics_ai_pod_mem:bytes",
     "sum by (node) (sum by (namespace, pod) (container_memory_working_set_bytes{"
     CONTAINER_SEL "}) * on (namespace, pod) group_left (node) " POD_NODE ")",
     "pod", "bytes", NAN, "metrics-ai-pod", "node",
     "working set of pod containers (cAdvisor), summed per node from kube_pod_info's node label"},
    {"DISK_USAGE", "instance_mountpoint:metrics_ai_disk_usage:ratio",
     "1 - max by (" FS_BY ") (node_filesystem_avail_bytes{" FS_SEL "}) / max by (" FS_BY ") "
     "(node_filesystem_size_bytes{" FS_SEL "} > 0)",
     "disk", "ratio", 0.9, "metrics-ai-disk", "instance,mountpoint",
     "share of the filesystem not available to users (1 - avail / size)"},
    {"DISK_IO_WAIT", "instance_device:metrics_ai_disk_io_wait:seconds_per_second",
     "max by (instance, device) (rate(node_disk_io_time_weighted_seconds_total{" DISK_SEL
     "}[5m]))",
     "io", "seconds_per_second", NAN, "metrics-ai-io", "instance,device",
     "weighted time doing I/O per second: the average request queue (iostat aqu-sz)"},
    {"DISK_IO_UTIL", "instance_device:metrics_ai_disk_io_util:ratio",
     "clamp_max(max by (instance, device) (rate(node_disk_io_time_seconds_total{" DISK_SEL
     "}[5m])), 1)",
     "io", "ratio", 0.9, "metrics-ai-io", "instance,device",
     "share of time the device was busy with I/O (iostat %util / 100)"},
    {"NET_RX_BW", "instance:metrics_ai_net_rx_bw:bytes_per_second",
     "sum by (instance) (rate(node_network_receive_bytes_total{" NET_SEL "}[5m]))",
     "net", "bytes_per_second", NAN, "metrics-ai-net", "instance",
     "bytes received per second on physical interfaces"},
    {"NET_TX_BW", "instance:metrics_ai_net_tx_bw:bytes_per_second",
     "sum by (instance) (rate(node_network_transmit_bytes_total{" NET_SEL "}[5m]))",
     "net", "bytes_per_second", NAN, "metrics-ai-net", "instance",
     "bytes sent per second on physical interfaces"},
    {"CPU_IOWAIT", "instance:metrics_ai_cpu_iowait:ratio",
     "avg by (instance) (rate(node_cpu_seconds_total{mode=\"iowait\"}[5m]))",
     "golden", "ratio", NAN, "metrics-ai-golden", "instance",
     "share of CPU time idle while waiting for I/O"},
    {"INODE_USAGE", "instance_mountpoint:metrics_ai_inode_usage:ratio",
     "1 - max by (" FS_BY ") (node_filesystem_files_free{" FS_SEL "}) / max by (" FS_BY ") "
     "(node_filesystem_files{" FS_SEL "} > 0)",
     "golden", "ratio", 0.9, "metrics-ai-golden", "instance,mountpoint",
     "share of inodes used"},
    {"NET_DROPS", "instance:metrics_ai_net_drops:packets_per_second",
     "sum by (instance) (rate(node_network_receive_drop_total{" NET_SEL "}[5m])) + "
     "sum by (instance) (rate(node_network_transmit_drop_total{" NET_SEL "}[5m]))",
     "golden", "packets_per_second", NAN, "metrics-ai-golden", "instance",
     "packets dropped per second, received and sent, on physical interfaces"},
    {"NET_ERRORS", "instance:metrics_ai_net_errors:packets_per_second",
     "sum by (instance) (rate(node_network_receive_errs_total{" NET_SEL "}[5m])) + "
     "sum by (instance) (rate(node_network_transmit_errs_total{" NET_SEL "}[5m]))",
     "golden", "packets_per_second", NAN, "metrics-ai-golden", "instance",
     "packet errors per second, received and sent, on physical interfaces"},
    {"OOM_KILLS", "instance:metrics_ai_oom_kills:per_second",
     "sum by (instance) (rate(node_vmstat_oom_kill[5m]))",
     "golden", "per_second", NAN, "metrics-ai-golden", "instance",
     "kernel OOM killer invocations per second (node_exporter vmstat collector)"},
};

#define NBUILTIN (sizeof builtin / sizeof builtin[0])

struct signals {
    signal_def *defs;       /* every string owned (malloc) */
    size_t n, cap;
    char interval[32];
};

const signal_def *signals_builtin(size_t *n)
{
    if (n)
        *n = NBUILTIN;
    return builtin;
}

/* ---- owned definitions ---- */

static void def_free(signal_def *d)
{
    free((char *)d->id);
    free((char *)d->record);
    free((char *)d->expr);
    free((char *)d->layer);
    free((char *)d->unit);
    free((char *)d->group);
    free((char *)d->by);
    free((char *)d->help);
    memset(d, 0, sizeof *d);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int def_copy(signal_def *dst, const signal_def *src)
{
    memset(dst, 0, sizeof *dst);
    dst->threshold = src->threshold;
    dst->id = dup_or_null(src->id);
    dst->record = dup_or_null(src->record);
    dst->expr = dup_or_null(src->expr);
    dst->layer = dup_or_null(src->layer);
    dst->unit = dup_or_null(src->unit);
    dst->group = dup_or_null(src->group);
    dst->by = dup_or_null(src->by);
    dst->help = strdup(src->help ? src->help : "");
    if ((src->id && !dst->id) || (src->record && !dst->record) || (src->expr && !dst->expr) ||
        (src->layer && !dst->layer) || (src->unit && !dst->unit) ||
        (src->group && !dst->group) || (src->by && !dst->by) || !dst->help) {
        def_free(dst);
        return -MAI_ENOMEM;
    }
    return 0;
}

static int cat_push(signals *c, const signal_def *src)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        signal_def *d = realloc(c->defs, cap * sizeof *d);
        if (!d)
            return -MAI_ENOMEM;
        c->defs = d;
        c->cap = cap;
    }
    int rc = def_copy(&c->defs[c->n], src);
    if (rc == 0)
        c->n++;
    return rc;
}

static void cat_clear(signals *c)
{
    for (size_t i = 0; i < c->n; i++)
        def_free(&c->defs[i]);
    free(c->defs);
    c->defs = NULL;
    c->n = c->cap = 0;
}

int signals_new(signals **out)
{
    *out = NULL;
    signals *c = calloc(1, sizeof *c);
    if (!c)
        return -MAI_ENOMEM;
    snprintf(c->interval, sizeof c->interval, "30s");
    for (size_t i = 0; i < NBUILTIN; i++) {
        if (cat_push(c, &builtin[i]) != 0) {
            signals_free(c);
            return -MAI_ENOMEM;
        }
    }
    *out = c;
    return 0;
}

void signals_free(signals *cat)
{
    if (!cat)
        return;
    cat_clear(cat);
    free(cat);
}

/* ---- access ---- */

size_t signals_count(const signals *cat)
{
    return cat ? cat->n : NBUILTIN;
}

const signal_def *signals_get(const signals *cat, size_t i)
{
    if (i >= signals_count(cat))
        return NULL;
    return cat ? &cat->defs[i] : &builtin[i];
}

const signal_def *signals_by_id(const signals *cat, const char *id)
{
    size_t n = signals_count(cat);
    for (size_t i = 0; i < n; i++) {
        const signal_def *d = signals_get(cat, i);
        if (strcmp(d->id, id) == 0)
            return d;
    }
    return NULL;
}

const signal_def *signals_by_metric_n(const signals *cat, const char *name, size_t len)
{
    size_t n = signals_count(cat);
    for (size_t i = 0; i < n; i++) {
        const signal_def *d = signals_get(cat, i);
        if (strlen(d->record) == len && memcmp(d->record, name, len) == 0)
            return d;
    }
    return NULL;
}

const signal_def *signals_by_metric(const signals *cat, const char *name)
{
    return name ? signals_by_metric_n(cat, name, strlen(name)) : NULL;
}

/* A Prometheus duration: one or more <digits><unit>, units y w d h m s ms. */
static int valid_duration(const char *s)
{
    if (!*s)
        return 0;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
        if (strncmp(s, "ms", 2) == 0)
            s += 2;
        else if (*s && strchr("ywdhms", *s))
            s++;
        else
            return 0;
    }
    return 1;
}

int signals_set_interval(signals *cat, const char *interval)
{
    if (!interval || strlen(interval) >= sizeof cat->interval || !valid_duration(interval))
        return -MAI_EINVAL;
    snprintf(cat->interval, sizeof cat->interval, "%s", interval);
    return 0;
}

const char *signals_interval(const signals *cat)
{
    return cat ? cat->interval : "30s";
}

/* ---- the override format ---- */

static int valid_id(const char *s)
{
    if (!(*s >= 'A' && *s <= 'Z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (metric names) or, without colons, label names. */
static int valid_name(const char *s, int colon)
{
    if (!*s || isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!(isalnum(c) || c == '_' || (colon && c == ':')) || c > 127)
            return 0;
    }
    return 1;
}

static int valid_token(const char *s, const char *extra)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!(c < 128 && (isalnum(c) || c == '_' || (extra && strchr(extra, c)))))
            return 0;
    }
    return 1;
}

static int valid_by(const char *s)
{
    if (!*s)
        return 0;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || n > 127)
            return 0;
        char buf[128];
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (!valid_name(buf, 0))
            return 0;
        if (!e)
            return 1;
        s = e + 1;
    }
}

/* No control characters (so a line stays a line in YAML and in comments). */
static int valid_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

typedef struct perr {
    char *buf;
    size_t len;
    const char *name;
    unsigned line;
} perr;

static int fail(const perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const perr *e, const char *fmt, ...)
{
    if (e->buf && e->len) {
        int k = snprintf(e->buf, e->len, "%s:%u: ", e->name, e->line);
        if (k >= 0 && (size_t)k < e->len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(e->buf + k, e->len - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return -MAI_EPROTO;
}

enum { F_RECORD, F_EXPR, F_LAYER, F_UNIT, F_THRESHOLD, F_GROUP, F_BY, F_HELP, F_N };
static const char *const field_names[F_N] = {"record", "expr", "layer", "unit", "threshold",
                                             "group", "by", "help"};

static int replace_str(const char **slot, const char *v)
{
    char *s = strdup(v);
    if (!s)
        return -MAI_ENOMEM;
    free((char *)*slot);
    *slot = s;
    return 0;
}

/* Parses and applies one non-blank, non-comment line (NUL-terminated, no newline). */
static int apply_line(signals *c, char *p, const perr *e)
{
    char *id = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p)
        *p++ = '\0';
    if (!valid_id(id))
        return fail(e, "signal id \"%s\" must match [A-Z][A-Z0-9_]*", id);
    size_t idx = c->n;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->defs[i].id, id) == 0)
            idx = i;

    char *val[F_N] = {0};
    int seen_any = 0, off = 0;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        char *key = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            p++;
        if (*p != '=') {
            char save = *p;
            *p = '\0';
            if (strcmp(key, "off") == 0 && !seen_any) {
                *p = save;
                while (isspace((unsigned char)*p))
                    p++;
                if (*p)
                    return fail(e, "\"off\" takes nothing after it");
                off = 1;
                break;
            }
            return fail(e, "expected key=value, got \"%s\"", key);
        }
        *p++ = '\0';
        int f = -1;
        for (int k = 0; k < F_N; k++)
            if (strcmp(key, field_names[k]) == 0)
                f = k;
        if (f < 0)
            return fail(e, "unknown key \"%s\" (record, expr, layer, unit, threshold, group, "
                        "by, help)", key);
        if (val[f])
            return fail(e, "key \"%s\" given twice", key);
        seen_any = 1;
        if (f == F_EXPR) {
            char *end = p + strlen(p);
            while (end > p && isspace((unsigned char)end[-1]))
                *--end = '\0';
            val[f] = p;
            break;
        }
        if (*p == '"') {
            char *w = ++p, *v = p;
            for (;;) {
                if (!*p)
                    return fail(e, "unterminated quoted value of \"%s\"", key);
                if (*p == '"')
                    break;
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                *w++ = *p++;
            }
            p++;
            if (*p && !isspace((unsigned char)*p))
                return fail(e, "text after the quoted value of \"%s\"", key);
            *w = '\0';
            val[f] = v;
        } else {
            val[f] = p;
            while (*p && !isspace((unsigned char)*p))
                p++;
            if (*p)
                *p++ = '\0';
        }
    }

    if (off) {
        if (idx == c->n)
            return fail(e, "\"%s off\": no such signal", id);
        def_free(&c->defs[idx]);
        memmove(&c->defs[idx], &c->defs[idx + 1], (c->n - idx - 1) * sizeof c->defs[0]);
        c->n--;
        return 0;
    }
    if (!seen_any)
        return fail(e, "signal %s: nothing to set (key=value ... or off)", id);

    /* Check every value before changing anything. */
    if (val[F_RECORD] && !valid_name(val[F_RECORD], 1))
        return fail(e, "record \"%s\" is not a metric name", val[F_RECORD]);
    if (val[F_EXPR] && (!*val[F_EXPR] || !valid_text(val[F_EXPR])))
        return fail(e, "expr is empty or has control characters");
    if (val[F_LAYER] && !valid_token(val[F_LAYER], NULL))
        return fail(e, "layer \"%s\" must be [a-z0-9_]+", val[F_LAYER]);
    if (val[F_UNIT] && !valid_token(val[F_UNIT], NULL))
        return fail(e, "unit \"%s\" must be [a-z0-9_]+", val[F_UNIT]);
    if (val[F_GROUP] && !valid_token(val[F_GROUP], ".-"))
        return fail(e, "group \"%s\" must be [A-Za-z0-9_.-]+", val[F_GROUP]);
    if (val[F_BY] && !valid_by(val[F_BY]))
        return fail(e, "by \"%s\" must be a comma list of label names", val[F_BY]);
    if (val[F_HELP] && !valid_text(val[F_HELP]))
        return fail(e, "help has control characters");
    double thr = NAN;
    if (val[F_THRESHOLD] && strcmp(val[F_THRESHOLD], "none") != 0) {
        char *end;
        errno = 0;
        thr = strtod(val[F_THRESHOLD], &end);
        if (end == val[F_THRESHOLD] || *end || errno || !isfinite(thr))
            return fail(e, "threshold \"%s\" is not a finite number or \"none\"",
                        val[F_THRESHOLD]);
    }
    if (idx == c->n) {
        static const int need[] = {F_RECORD, F_EXPR, F_LAYER, F_UNIT};
        for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
            if (!val[need[k]])
                return fail(e, "new signal %s needs record=, layer=, unit= and expr= (no %s=)",
                            id, field_names[need[k]]);
    }
    const char *rec = val[F_RECORD] ? val[F_RECORD] : c->defs[idx].record;
    for (size_t i = 0; i < c->n; i++)
        if (i != idx && strcmp(c->defs[i].record, rec) == 0)
            return fail(e, "record \"%s\" is already %s's", rec, c->defs[i].id);

    if (idx == c->n) {
        char group[128];
        snprintf(group, sizeof group, "metrics-ai-%s", val[F_LAYER]);
        signal_def nd = {.id = id, .record = val[F_RECORD], .expr = val[F_EXPR],
                         .layer = val[F_LAYER], .unit = val[F_UNIT], .threshold = NAN,
                         .group = group, .by = "instance", .help = ""};
        int rc = cat_push(c, &nd);
        if (rc)
            return rc;
    }
    signal_def *d = &c->defs[idx];
    static const int strf[] = {F_RECORD, F_EXPR, F_LAYER, F_UNIT, F_GROUP, F_BY, F_HELP};
    for (size_t k = 0; k < sizeof strf / sizeof strf[0]; k++) {
        const char **slot = NULL;
        switch (strf[k]) {
        case F_RECORD: slot = &d->record; break;
        case F_EXPR: slot = &d->expr; break;
        case F_LAYER: slot = &d->layer; break;
        case F_UNIT: slot = &d->unit; break;
        case F_GROUP: slot = &d->group; break;
        case F_BY: slot = &d->by; break;
        default: slot = &d->help; break;
        }
        if (val[strf[k]] && replace_str(slot, val[strf[k]]) != 0)
            return -MAI_ENOMEM;
    }
    if (val[F_THRESHOLD])
        d->threshold = thr;
    return 0;
}

int signals_load_string(signals *cat, const char *text, const char *name, char *err,
                        size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    signals work = {0};
    memcpy(work.interval, cat->interval, sizeof work.interval);
    for (size_t i = 0; i < cat->n; i++) {
        if (cat_push(&work, &cat->defs[i]) != 0) {
            cat_clear(&work);
            return -MAI_ENOMEM;
        }
    }
    perr e = {err, errlen, name ? name : "(string)", 0};
    int rc = 0;
    const char *p = text;
    char *line = NULL;
    size_t cap = 0;
    while (*p && rc == 0) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        e.line++;
        if (n + 1 > cap) {
            char *l = realloc(line, n + 1);
            if (!l) {
                rc = -MAI_ENOMEM;
                break;
            }
            line = l;
            cap = n + 1;
        }
        memcpy(line, p, n);
        line[n] = '\0';
        p += n + (nl ? 1 : 0);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (strlen(line) != n) {
            rc = fail(&e, "NUL byte in line");
            break;
        }
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#')
            continue;
        rc = apply_line(&work, s, &e);
    }
    free(line);
    if (rc == -MAI_ENOMEM && err && errlen)
        snprintf(err, errlen, "%s:%u: out of memory", e.name, e.line);
    if (rc) {
        cat_clear(&work);
        return rc;
    }
    cat_clear(cat);
    cat->defs = work.defs;
    cat->n = work.n;
    cat->cap = work.cap;
    return 0;
}

int signals_load(signals *cat, const char *path, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -MAI_EIO;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (cap - n < 4096) {
            size_t nc = cap ? cap * 2 : 8192;
            char *b = realloc(buf, nc);
            if (!b) {
                rc = -MAI_ENOMEM;
                break;
            }
            buf = b;
            cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (rc == 0 && ferror(f)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: read error", path);
        rc = -MAI_EIO;
    }
    fclose(f);
    if (rc == 0) {
        buf[n] = '\0';
        if (strlen(buf) != n) {
            if (err && errlen)
                snprintf(err, errlen, "%s: NUL byte in file", path);
            rc = -MAI_EPROTO;
        } else {
            rc = signals_load_string(cat, buf, path, err, errlen);
        }
    } else if (rc == -MAI_ENOMEM && err && errlen) {
        snprintf(err, errlen, "%s: out of memory", path);
    }
    free(buf);
    return rc;
}

/* ---- rule file ---- */

/* A YAML single-quoted scalar: no escapes inside except '' for '. */
static void put_squoted(FILE *out, const char *s)
{
    fputc('\'', out);
    for (;;) {
        const char *q = strchr(s, '\'');
        size_t n = q ? (size_t)(q - s) + 1 : strlen(s);
        fwrite(s, 1, n, out);       /* the run up to and including the next quote */
        if (!q)
            break;
        fputc('\'', out);
        s = q + 1;
    }
    fputc('\'', out);
}

int signals_write_rules(const signals *cat, FILE *out)
{
    size_t n = signals_count(cat);
    fprintf(out,
            "# Prometheus recording rules for metrics-ai's signal catalogue, written by\n"
            "# `metrics-ai rules`. Recorded names: <labels>:metrics_ai_<signal>:<unit>.\n"
            "# Load with rule_files and remote_write the recorded series to metrics-ai.\n"
            "groups:\n");
    for (size_t i = 0; i < n; i++) {
        const signal_def *d = signals_get(cat, i);
        int first = 1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(signals_get(cat, j)->group, d->group) == 0)
                first = 0;
        if (!first)
            continue;
        fprintf(out, "  - name: %s\n    interval: %s\n    rules:\n", d->group,
                signals_interval(cat));
        for (size_t j = i; j < n; j++) {
            const signal_def *r = signals_get(cat, j);
            if (strcmp(r->group, d->group) != 0)
                continue;
            fprintf(out, "      # %s (%s layer, %s, by %s", r->id, r->layer, r->unit, r->by);
            if (!isnan(r->threshold))
                fprintf(out, ", saturation at %g", r->threshold);
            fprintf(out, ")%s%s\n", r->help && *r->help ? ": " : "", r->help ? r->help : "");
            fprintf(out, "      - record: %s\n        expr: ", r->record);
            put_squoted(out, r->expr);
            fputc('\n', out);
        }
    }
    if (fflush(out) != 0 || ferror(out))
        return -MAI_EIO;
    return 0;
}
