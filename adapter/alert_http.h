/* SPDX-License-Identifier: Apache-2.0
 * adapter/alert_http.h -- outgoing HTTP for the alert sinks (webhook, Pushgateway): one request
 * through libcurl with connect and total timeouts, retried with exponential backoff on 5xx, 429
 * and transport failures (timeouts, refused connections), never on other 4xx; the retry loop is
 * separate from the transport so that its policy is testable; and the host of a URL for logs
 * (webhook URLs carry secrets in their path, so the full URL is never logged). */
#ifndef MAI_ADAPTER_ALERT_HTTP_H
#define MAI_ADAPTER_ALERT_HTTP_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct alert_http_policy {
    long connect_timeout_ms;    /* TCP + TLS connect */
    long timeout_ms;            /* whole request */
    int max_attempts;           /* >= 1 */
    long backoff_ms;            /* wait before the 2nd attempt; doubles each time */
    long backoff_max_ms;        /* cap on one wait */
} alert_http_policy;

/* 5 s connect, 10 s total, 3 attempts, 1 s then 2 s between them (at most 8 s). */
#define ALERT_HTTP_POLICY_DEFAULT {5000, 10000, 3, 1000, 8000}

/* An attempt's outcome besides its status code. */
enum alert_http_transport {
    ALERT_HTTP_DONE = 0,        /* a response arrived (status set) */
    ALERT_HTTP_TIMEOUT,         /* connect or total timeout */
    ALERT_HTTP_CONNECT,         /* refused, unreachable, DNS: worth another try */
    ALERT_HTTP_FATAL,           /* bad URL, unsupported scheme, out of memory: never retried */
    ALERT_HTTP_STOPPED,         /* the stop flag was raised */
};

typedef struct alert_http_result {
    long status;                /* last HTTP status, 0 when no response */
    int transport;              /* enum alert_http_transport of the last attempt */
    int attempts;
    char err[256];              /* one line when transport != DONE */
} alert_http_result;

/* 1 when an attempt with this outcome should be tried again: transport TIMEOUT or CONNECT, or
 * a response with status 429 or 5xx. */
int alert_http_retryable(int transport, long status);

/* The wait before attempt number attempt + 1 (attempt >= 1): backoff_ms * 2^(attempt - 1),
 * capped at backoff_max_ms. */
long alert_http_backoff_ms(const alert_http_policy *p, int attempt);

/* One attempt: returns an enum alert_http_transport, sets *status when DONE, err otherwise. */
typedef int (*alert_http_attempt_fn)(void *ctx, long *status, char *err, size_t errlen);
/* Waits ms milliseconds; returns non-zero when asked to stop (no more attempts). */
typedef int (*alert_http_sleep_fn)(void *ctx, long ms);

/* Runs attempt until it succeeds (2xx), fails for good, or max_attempts are used, sleeping the
 * backoff between attempts. Returns 0 when the last response was 2xx, -1 otherwise; res is
 * always filled. */
int alert_http_retry(const alert_http_policy *p, alert_http_attempt_fn attempt, void *actx,
                     alert_http_sleep_fn sleep_fn, void *sctx, alert_http_result *res);

/* Sends body with method ("POST", "PUT") and Content-Type to url through libcurl under policy
 * p, with alert_http_retry. stop (may be NULL) aborts a transfer in progress and the waits
 * between attempts once non-zero. Thread-safe (call alert_http_global_init() first). */
int alert_http_send(const char *method, const char *url, const char *content_type,
                    const char *body, size_t len, const alert_http_policy *p,
                    const atomic_int *stop, alert_http_result *res);

/* curl_global_init; call once before threads start. Returns 0 or -1. */
int alert_http_global_init(void);
void alert_http_global_cleanup(void);

/* The host[:port] of url for logs ("hooks.slack.com"), never its path, query or user info;
 * "?" when url has none. */
void alert_http_url_host(const char *url, char *out, size_t len);

#endif
