/* SPDX-License-Identifier: Apache-2.0
 * adapter/pushgateway.c -- --pushgateway delivery (see pushgateway.h). */
#include "adapter/pushgateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/log.h"
#include "exporter/expo.h"

static int unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Appends s (n bytes) to out at *at; -1 when it does not fit (with the NUL). */
static int put(char *out, size_t len, size_t *at, const char *s, size_t n)
{
    if (*at + n + 1 > len)
        return -1;
    memcpy(out + *at, s, n);
    *at += n;
    out[*at] = '\0';
    return 0;
}

int pushgateway_segment(const char *name, const char *value, char *out, size_t len)
{
    size_t at = 0;
    if (!len || put(out, len, &at, name, strlen(name)) != 0)
        return -1;
    size_t n = strlen(value);
    if (n == 0 || strchr(value, '/')) {
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        if (put(out, len, &at, "@base64/", 8) != 0)
            return -1;
        if (n == 0)
            return put(out, len, &at, "=", 1) == 0 ? (int)at : -1;
        const unsigned char *v = (const unsigned char *)value;
        for (size_t i = 0; i < n; i += 3) {
            unsigned x = (unsigned)v[i] << 16 | (i + 1 < n ? (unsigned)v[i + 1] << 8 : 0) |
                         (i + 2 < n ? v[i + 2] : 0);
            char q[4] = {b64[x >> 18 & 63], b64[x >> 12 & 63],
                         i + 1 < n ? b64[x >> 6 & 63] : '=', i + 2 < n ? b64[x & 63] : '='};
            if (put(out, len, &at, q, 4) != 0)
                return -1;
        }
        return (int)at;
    }
    if (put(out, len, &at, "/", 1) != 0)
        return -1;
    for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
        char e[4];
        size_t k = 1;
        if (unreserved(*v))
            e[0] = (char)*v;
        else
            k = (size_t)snprintf(e, sizeof e, "%%%02X", *v);
        if (put(out, len, &at, e, k) != 0)
            return -1;
    }
    return (int)at;
}

int pushgateway_url(const char *base, const char *job, const char *instance, char *out,
                    size_t len)
{
    size_t bl = strlen(base), at = 0;
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    if (!len || put(out, len, &at, base, bl) != 0 || put(out, len, &at, "/metrics/", 9) != 0)
        return -1;
    int n = pushgateway_segment("job", job, out + at, len - at);
    if (n < 0)
        return -1;
    at += (size_t)n;
    if (put(out, len, &at, "/", 1) != 0)
        return -1;
    n = pushgateway_segment("instance", instance, out + at, len - at);
    return n < 0 ? -1 : 0;
}

char *pushgateway_body(const alert_counts *c)
{
    const struct {
        const char *name, *help;
        uint64_t v;
    } g[PUSHGATEWAY_GAUGES] = {
        {"metrics_ai_disk_alerts_critical", "Count of critical disk alerts (under 3 days to 90%)",
         c->disk_critical},
        {"metrics_ai_disk_alerts_warning", "Count of warning disk alerts (3 to 7 days to 90%)",
         c->disk_warning},
        {"metrics_ai_disk_alerts_soon", "Count of soon disk alerts (7 to 30 days to 90%)",
         c->disk_soon},
        {"metrics_ai_disk_alerts_total", "Total non-OK disk alerts", c->disk_total},
        {"metrics_ai_io_network_crisis_total", "I/O+Network crisis count", c->io_network_crisis},
        {"metrics_ai_io_network_anomaly_total", "I/O+Network anomaly count",
         c->io_network_anomaly},
        {"metrics_ai_golden_anomaly_total", "Golden anomaly signal count", c->golden_anomaly},
        {"metrics_ai_classification_anomaly_total", "Classification anomaly count",
         c->classification_anomaly},
        {"metrics_ai_host_pressure_total", "Host pressure alert count", c->host_pressure},
    };
    expo_buf b;
    expo_init(&b);
    for (int i = 0; i < PUSHGATEWAY_GAUGES; i++) {
        expo_family(&b, g[i].name, "gauge", g[i].help);
        expo_sample(&b, g[i].name, NULL, 0, (double)g[i].v);
    }
    if (b.oom) {
        expo_free(&b);
        return NULL;
    }
    return b.p;
}

int pushgateway_push(const char *base, const char *instance, const alert_counts *c,
                     const alert_http_policy *p, const atomic_int *stop)
{
    char url[2048], host[256];
    alert_http_url_host(base, host, sizeof host);
    if (pushgateway_url(base, PUSHGATEWAY_JOB, instance, url, sizeof url) != 0) {
        log_msg(LOG_WARN, "Metrics push to %s failed: the grouping key is too long", host);
        return -1;
    }
    char *body = pushgateway_body(c);
    if (!body) {
        log_msg(LOG_WARN, "Metrics push to %s failed: out of memory", host);
        return -1;
    }
    alert_http_result res;
    int rc = alert_http_send("PUT", url, PUSHGATEWAY_CONTENT_TYPE, body, strlen(body), p, stop,
                             &res);
    free(body);
    if (rc == 0)
        log_msg(LOG_INFO, "Metrics pushed to %s: HTTP %ld (%d gauges, job %s, instance %s)", host,
                res.status, PUSHGATEWAY_GAUGES, PUSHGATEWAY_JOB, instance);
    else
        log_msg(res.transport == ALERT_HTTP_STOPPED ? LOG_DEBUG : LOG_WARN,
                "Metrics push to %s failed after %d attempt%s: %s", host, res.attempts,
                res.attempts == 1 ? "" : "s", res.err);
    return rc;
}
