/* SPDX-License-Identifier: Apache-2.0
 * adapter/webhook.h -- --alert-webhook: POSTs the seed's alert payload (exporter/alert_payload.h)
 * as application/json to every configured URL when something is actionable, with the retry
 * policy of adapter/alert_http.h, and logs "Alert webhook sent" with the URL's host (never the
 * full URL: Slack webhook URLs are secrets) and the status code, or a one-line error. */
#ifndef MAI_ADAPTER_WEBHOOK_H
#define MAI_ADAPTER_WEBHOOK_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "adapter/alert_http.h"
#include "exporter/results.h"

#define WEBHOOK_CONTENT_TYPE "application/json"

/* The body to POST for r at wall-clock time now: 1 with *body (malloc'd JSON) when r has
 * anything actionable, 0 with *body NULL when not (no webhook), -1 when out of memory. */
int webhook_body(const results *r, const struct timespec *now, char **body);

/* The log line for one delivery to url: "Alert webhook sent to HOST: HTTP 200 (1 attempt)" or
 * "Alert webhook to HOST failed after N attempts: REASON" (HOST from alert_http_url_host). */
void webhook_log_line(const char *url, int rc, const alert_http_result *res, char *out,
                      size_t len);

/* POSTs body to each of the n urls in turn and logs each outcome (INFO when sent, WARN when
 * not). Returns the number of URLs that did not take it. */
int webhook_send(const char *const *urls, int n, const char *body, const alert_http_policy *p,
                 const atomic_int *stop);

#endif
