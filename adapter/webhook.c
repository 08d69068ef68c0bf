/* SPDX-License-Identifier: Apache-2.0
 * adapter/webhook.c -- --alert-webhook delivery (see webhook.h). */
#include "adapter/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/log.h"
#include "exporter/alert_payload.h"

int webhook_body(const results *r, const struct timespec *now, char **body)
{
    *body = NULL;
    alert_counts c;
    alert_counts_of(r, &c);
    if (!alert_actionable(&c))
        return 0;
    *body = alert_payload_json(r, now);
    return *body ? 1 : -1;
}

void webhook_log_line(const char *url, int rc, const alert_http_result *res, char *out,
                      size_t len)
{
    char host[256];
    alert_http_url_host(url, host, sizeof host);
    if (rc == 0)
        snprintf(out, len, "Alert webhook sent to %s: HTTP %ld (%d attempt%s)", host,
                 res->status, res->attempts, res->attempts == 1 ? "" : "s");
    else
        snprintf(out, len, "Alert webhook to %s failed after %d attempt%s: %s", host,
                 res->attempts, res->attempts == 1 ? "" : "s", res->err);
}

int webhook_send(const char *const *urls, int n, const char *body, const alert_http_policy *p,
                 const atomic_int *stop)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        alert_http_result res;
        int rc = alert_http_send("POST", urls[i], WEBHOOK_CONTENT_TYPE, body, strlen(body), p,
                                 stop, &res);
        char line[512];
        webhook_log_line(urls[i], rc, &res, line, sizeof line);
        /* a transfer cut short by shutdown is no delivery problem */
        log_msg(rc == 0 ? LOG_INFO : res.transport == ALERT_HTTP_STOPPED ? LOG_DEBUG : LOG_WARN,
                "%s", line);
        failed += rc != 0;
    }
    return failed;
}
