/* SPDX-License-Identifier: Apache-2.0
 * adapter/alert_http.c -- outgoing HTTP for the alert sinks (see alert_http.h): the retry loop
 * and its policy, and the libcurl transport (one easy handle per request; responses are read and
 * dropped; a progress callback aborts the transfer when the stop flag rises). */
#include "adapter/alert_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SLEEP_SLICE_MS 50

int alert_http_retryable(int transport, long status)
{
    if (transport == ALERT_HTTP_TIMEOUT || transport == ALERT_HTTP_CONNECT)
        return 1;
    if (transport != ALERT_HTTP_DONE)
        return 0;
    return status == 429 || (status >= 500 && status <= 599);
}

long alert_http_backoff_ms(const alert_http_policy *p, int attempt)
{
    long ms = p->backoff_ms > 0 ? p->backoff_ms : 0;
    for (int i = 1; i < attempt && ms < p->backoff_max_ms; i++)
        ms *= 2;
    return ms > p->backoff_max_ms ? p->backoff_max_ms : ms;
}

int alert_http_retry(const alert_http_policy *p, alert_http_attempt_fn attempt, void *actx,
                     alert_http_sleep_fn sleep_fn, void *sctx, alert_http_result *res)
{
    memset(res, 0, sizeof *res);
    int max = p->max_attempts > 0 ? p->max_attempts : 1;
    for (int a = 1; a <= max; a++) {
        long status = 0;
        res->err[0] = '\0';
        res->transport = attempt(actx, &status, res->err, sizeof res->err);
        res->status = res->transport == ALERT_HTTP_DONE ? status : 0;
        res->attempts = a;
        if (res->transport == ALERT_HTTP_DONE && status >= 200 && status <= 299)
            return 0;
        if (res->transport == ALERT_HTTP_DONE)
            snprintf(res->err, sizeof res->err, "HTTP status %ld", status);
        if (a == max || !alert_http_retryable(res->transport, res->status))
            break;
        if (sleep_fn(sctx, alert_http_backoff_ms(p, a)) != 0) {
            res->transport = ALERT_HTTP_STOPPED;
            snprintf(res->err, sizeof res->err, "stopped while waiting to retry");
            break;
        }
    }
    return -1;
}

void alert_http_url_host(const char *url, char *out, size_t len)
{
    if (!len)
        return;
    const char *s = url ? strstr(url, "://") : NULL;
    s = s ? s + 3 : url;
    size_t n = s ? strcspn(s, "/?#") : 0;
    /* user info (user:password@) is a secret too */
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == '@') {
            s += i;
            n -= i;
            break;
        }
    if (n == 0) {
        snprintf(out, len, "?");
        return;
    }
    snprintf(out, len, "%.*s", (int)n, s);
}

int alert_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void alert_http_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ---- libcurl transport ---- */

typedef struct request {
    const char *method, *url, *content_type, *body;
    size_t len;
    const alert_http_policy *p;
    const atomic_int *stop;
} request;

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb;
}

static int progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    const atomic_int *stop = ud;
    return stop && atomic_load(stop) ? 1 : 0;
}

static int classify(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return ALERT_HTTP_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
        return ALERT_HTTP_CONNECT;
    case CURLE_ABORTED_BY_CALLBACK:
        return ALERT_HTTP_STOPPED;
    default:
        return ALERT_HTTP_FATAL;
    }
}

static int curl_attempt(void *ctx, long *status, char *err, size_t errlen)
{
    const request *q = ctx;
    if (q->stop && atomic_load(q->stop)) {
        snprintf(err, errlen, "stopped");
        return ALERT_HTTP_STOPPED;
    }
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "cannot create a curl handle");
        return ALERT_HTTP_FATAL;
    }
    char ct[160];
    snprintf(ct, sizeof ct, "Content-Type: %s", q->content_type);
    struct curl_slist *hdr = curl_slist_append(NULL, ct);
    struct curl_slist *h2 = hdr ? curl_slist_append(hdr, "Expect:") : NULL;
    if (!h2) {
        curl_slist_free_all(hdr);
        curl_easy_cleanup(h);
        snprintf(err, errlen, "out of memory");
        return ALERT_HTTP_FATAL;
    }
    hdr = h2;
    curl_easy_setopt(h, CURLOPT_URL, q->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "metrics-ai");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, q->p->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, q->p->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)q->stop);
    CURLcode rc = curl_easy_perform(h);
    int out = ALERT_HTTP_DONE;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    } else {
        out = classify(rc);
        /* curl's own text only: its error buffer may quote the URL */
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return out;
}

static int stop_sleep(void *ctx, long ms)
{
    const atomic_int *stop = ctx;
    for (long left = ms; left > 0; left -= SLEEP_SLICE_MS) {
        if (stop && atomic_load(stop))
            return 1;
        long slice = left < SLEEP_SLICE_MS ? left : SLEEP_SLICE_MS;
        struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return stop && atomic_load(stop) ? 1 : 0;
}

int alert_http_send(const char *method, const char *url, const char *content_type,
                    const char *body, size_t len, const alert_http_policy *p,
                    const atomic_int *stop, alert_http_result *res)
{
    request q = {method, url, content_type, body, len, p, stop};
    return alert_http_retry(p, curl_attempt, &q, stop_sleep, (void *)stop, res);
}
