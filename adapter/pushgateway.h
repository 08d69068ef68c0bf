/* SPDX-License-Identifier: Apache-2.0
 * adapter/pushgateway.h -- --pushgateway: PUTs the seed's nine alert-count gauges
 * (metrics_ai_disk_alerts_critical ... metrics_ai_host_pressure_total) in text exposition format
 * to URL/metrics/job/metrics_ai/instance/INSTANCE each cycle, replacing the group, with the
 * retry policy of adapter/alert_http.h; logs "Metrics pushed" with the host and status code. */
#ifndef MAI_ADAPTER_PUSHGATEWAY_H
#define MAI_ADAPTER_PUSHGATEWAY_H

#include <stdatomic.h>
#include <stddef.h>

#include "adapter/alert_http.h"
#include "exporter/alert_payload.h"

#define PUSHGATEWAY_JOB "metrics_ai"
#define PUSHGATEWAY_CONTENT_TYPE "text/plain; version=0.0.4"
#define PUSHGATEWAY_GAUGES 9

/* One grouping-key segment "name/value": value percent-encoded (RFC 3986 unreserved characters
 * kept), or "name@base64/BASE64URL" when it holds a '/' or is empty (the Pushgateway's rule;
 * base64url with padding, "=" for the empty value). Returns the length written, or -1 when out
 * is too small. */
int pushgateway_segment(const char *name, const char *value, char *out, size_t len);

/* base + "/metrics/job/" + job + "/instance/" + instance (a trailing '/' of base dropped, each
 * value a segment as above). Returns 0, or -1 when out is too small. */
int pushgateway_url(const char *base, const char *job, const char *instance, char *out,
                    size_t len);

/* The nine gauges of c, "# HELP", "# TYPE name gauge" and "name value" each; malloc'd text or
 * NULL when out of memory. */
char *pushgateway_body(const alert_counts *c);

/* PUTs the gauges of c to base for instance and logs the outcome. Returns 0 when the
 * Pushgateway took them (2xx), -1 otherwise. */
int pushgateway_push(const char *base, const char *instance, const alert_counts *c,
                     const alert_http_policy *p, const atomic_int *stop);

#endif
