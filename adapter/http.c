/* SPDX-License-Identifier: Apache-2.0
 * adapter/http.c -- libmicrohttpd server and routing (see http.h). A remote write body is
 * gathered into a per-connection buffer that is reused across keep-alive requests (so the steady
 * state does not allocate per request), then handed to write_process() on the same worker thread.
 * Limits are applied before the body is read: in-flight requests (503 + Retry-After), media type
 * (415) and Content-Length (413). A remote read body (POST /api/v1/read) is gathered the same
 * way, under the same body limit, and answered by rread_process(). Every request first passes
 * refuse_access() (adapter/auth.h: 401/403 before anything else); with --tls-cert/--tls-key the
 * daemon serves HTTPS through libmicrohttpd's GnuTLS support. A request's headers, and then its
 * body, must arrive within --request-timeout each (adapter/conn_deadline.h). */
#include "adapter/http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapter/auth.h"
#include "adapter/conn_deadline.h"
#include "adapter/log.h"
#include "adapter/remote_read.h"
#include "adapter/plot_files.h"
#include "adapter/selfstats.h"
#include "adapter/store_api.h"
#include "adapter/write_handler.h"
#include "exporter/expo.h"
#include "exporter/forecast_metrics.h"
#include "exporter/self_metrics.h"
#include "exporter/status_page.h"

enum route { ROUTE_NONE, ROUTE_WRITE, ROUTE_READ, ROUTE_DONE };

/* Connections from one client address at once: above Prometheus' 200 remote write shards,
 * below what a slow-client attack from one address would need to starve the others. */
#define PER_IP_CONNECTIONS 512

/* A connection keeps its body buffer for the next request up to this size. */
#define KEEP_BODY_BYTES (4u << 20)

/* Per connection; per-request fields are reset when a request starts. */
typedef struct conn {
    int route;
    int counted_inflight;
    int counted_read;           /* counted in http_server.reads_inflight */
    int too_big;
    int64_t t0_ns;
    char *body;
    size_t len, cap;
    write_reply reply;
    conn_deadline_entry dl;     /* --request-timeout for headers and body */
} conn;

struct http_server {
    struct MHD_Daemon *d;
    const mai_config *cfg;
    store *st;
    results_box *box;
    write_env env;
    rread_env rread;
    atomic_uint reads_inflight;     /* remote read requests; at most --max-inflight */
    unsigned port;
    void *retrain_ctx;
    _Atomic(http_retrain_fn) retrain_fn;    /* set once the cycle exists */
    mai_auth *auth;
    conn_deadline *dl;              /* --request-timeout for headers and body */
    char *tls_cert, *tls_key;       /* PEM text, kept for the daemon's lifetime */
    atomic_int capture_log;         /* 1 while the daemon starts: keep its last message */
    char start_error[512];
};

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text,
                                 const char *allow)
{
    size_t n = strlen(text);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)text,
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == 503)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_metrics(http_server *h, struct MHD_Connection *c)
{
    store_stats s;
    store_get_stats(h->st, &s);
    self_metrics_store ss = {
        .series = s.series, .active = s.active, .series_limit = h->cfg->max_series,
        .metadata_families = s.metadata_families, .memory_series_bytes = s.memory_series_bytes,
        .memory_labels_bytes = s.memory_labels_bytes, .memory_index_bytes = s.memory_index_bytes,
        .record_bytes = store_record_bytes(h->st),
        .fine_slots = (uint64_t)h->cfg->fine_hours * 3600 / (uint64_t)h->cfg->step_s,
        .fine_step_s = (uint64_t)h->cfg->step_s,
        .coarse_slots = (uint64_t)h->cfg->coarse_days * 86400 / h->cfg->coarse_step_s,
        .coarse_step_s = h->cfg->coarse_step_s};
    expo_buf b;
    expo_init(&b);
    self_metrics_write(&b, &g_selfstats, &ss);
    const results *res = h->box ? results_acquire(h->box) : NULL;
    if (res) {
        forecast_metrics_write(&b, res);
        results_release(h->box, res);
    }
    if (b.oom || !b.p) {
        expo_free(&b);
        return send_text(c, 500, "out of memory rendering /metrics\n", NULL);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        expo_free(&b);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, EXPO_CONTENT_TYPE);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* Reads a numeric query argument, clamped to [lo, hi]; def when absent or not a number. */
static size_t arg_size(struct MHD_Connection *c, const char *key, size_t def, size_t lo, size_t hi)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    if (!v || !*v)
        return def;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end != '\0')
        return def;
    return n < lo ? lo : (n > hi ? hi : (size_t)n);
}

void http_set_retrain(http_server *h, http_retrain_fn fn, void *ctx)
{
    h->retrain_ctx = ctx;
    atomic_store(&h->retrain_fn, fn);
}

/* POST /api/v1/admin/retrain?disk=LIST&io_net=LIST: 200 {"status":"applied","matched":N} once
 * the cycle has applied it, 202 {"status":"pending"} when it has not within the hook's wait, 400
 * with one line for a bad list or none given. */
static enum MHD_Result send_retrain(http_server *h, struct MHD_Connection *c)
{
    const char *d = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "disk");
    const char *io = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "io_net");
    if ((!d || !*d) && (!io || !*io))
        return send_text(c, 400, "give disk=LIST and/or io_net=LIST (all, node, node:/mount, "
                         "node:SIGNAL, comma-separated)\n", NULL);
    char err[300] = "", text[360];
    http_retrain_fn fn = atomic_load(&h->retrain_fn);
    if (!fn)
        return send_text(c, 503, "the model cycle is not running yet\n", NULL);
    size_t matched = 0;
    int rc = fn(h->retrain_ctx, d, io, &matched, err, sizeof err);
    if (rc == -MAI_EINVAL) {
        snprintf(text, sizeof text, "%s\n", err);
        return send_text(c, 400, text, NULL);
    }
    if (rc < 0)
        return send_text(c, 503, "out of memory queueing the retrain\n", NULL);
    if (rc == 0)
        snprintf(text, sizeof text, "{\"status\":\"applied\",\"matched\":%zu}\n", matched);
    else
        snprintf(text, sizeof text, "{\"status\":\"pending\"}\n");
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text,
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, rc == 0 ? 200 : 202, r);
    MHD_destroy_response(r);
    return ret;
}

/* GET /: the HTML status page. */
static enum MHD_Result send_status_page(http_server *h, struct MHD_Connection *c)
{
    store_stats s;
    store_get_stats(h->st, &s);
    uint64_t rejected = 0;
    for (int i = 0; i < REJ__COUNT; i++)
        rejected += atomic_load_explicit(&g_selfstats.samples_rejected[i], memory_order_relaxed);
    status_store ss = {
        .series = s.series, .active = s.active,
        .samples_accepted = atomic_load_explicit(&g_selfstats.samples_accepted,
                                                 memory_order_relaxed),
        .samples_rejected = rejected, .uptime_s = log_now_s() - g_selfstats.start_time_s,
        .version = MAI_VERSION, .refresh_s = 15, .plots_href = "/plots/"};
    expo_buf b;
    expo_init(&b);
    const results *res = h->box ? results_acquire(h->box) : NULL;
    status_page_write(&b, res, &ss);
    if (res)
        results_release(h->box, res);
    if (b.oom || !b.p) {
        expo_free(&b);
        return send_text(c, 500, "out of memory rendering the status page\n", NULL);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        expo_free(&b);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* GET /plots/: the index of FORECAST_PLOTS_DIR; GET /plots/<name>: one file of it
 * (adapter/plot_files.h refuses names that are not one plain component, and files outside). */
static enum MHD_Result send_plots(http_server *h, struct MHD_Connection *c, const char *name)
{
    const char *dir = h->cfg->forecast_plots_dir;
    struct MHD_Response *r;
    const char *ctype;
    if (!*name) {
        expo_buf b;
        expo_init(&b);
        if (plot_files_index(dir, "/plots/", &b) != 0 || !b.p) {
            expo_free(&b);
            return send_text(c, 500, "out of memory rendering the plot index\n", NULL);
        }
        r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            expo_free(&b);
            return MHD_NO;
        }
        ctype = "text/html; charset=utf-8";
    } else {
        uint64_t size;
        int fd = plot_files_open(dir, name, &size, &ctype);
        if (fd == -400)
            return send_text(c, 400, "bad plot file name: one file name of the plots "
                             "directory, without '/' or a leading '.'\n", NULL);
        if (fd < 0)
            return send_text(c, 404, "no such plot file\n", NULL);
        r = MHD_create_response_from_fd(size, fd);      /* closes fd */
        if (!r) {
            close(fd);
            return MHD_NO;
        }
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_store(http_server *h, struct MHD_Connection *c)
{
    store_api_query q = {
        .metric = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "metric"),
        .limit = arg_size(c, "limit", 100, 1, 10000),
        .points = arg_size(c, "points", 60, 0, 100000)};
    char *json = NULL;
    unsigned status = store_api_render(h->st, &q, &json);
    if (!json)
        return send_text(c, 500, "out of memory rendering the answer\n", NULL);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(json), json,
                                                             MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(json);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_write_reply(conn *k, struct MHD_Connection *c)
{
    write_reply *w = &k->reply;
    char text[sizeof w->text + 2];
    size_t n = 0;
    if (w->status != 204)
        n = (size_t)snprintf(text, sizeof text, "%s\n", w->text);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, n ? text : (void *)"",
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (n)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (w->status == 503)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (w->written_headers) {
        char v[32];
        snprintf(v, sizeof v, "%llu", (unsigned long long)w->samples_written);
        MHD_add_response_header(r, "X-Prometheus-Remote-Write-Samples-Written", v);
        snprintf(v, sizeof v, "%llu", (unsigned long long)w->histograms_written);
        MHD_add_response_header(r, "X-Prometheus-Remote-Write-Histograms-Written", v);
        snprintf(v, sizeof v, "%llu", (unsigned long long)w->exemplars_written);
        MHD_add_response_header(r, "X-Prometheus-Remote-Write-Exemplars-Written", v);
    }
    if (w->status != 204 && w->status != 503)
        log_msg(LOG_DEBUG, "remote write answered %u: %s", w->status, w->text);
    selfstats_observe_request(w->version, w->status, mai_monotonic_ns() - k->t0_ns);
    enum MHD_Result ret = MHD_queue_response(c, w->status, r);
    MHD_destroy_response(r);
    k->route = ROUTE_DONE;
    return ret;
}

/* Early answer for a write request (before or while reading its body). */
static enum MHD_Result write_early(conn *k, struct MHD_Connection *c, unsigned status,
                                   const char *text)
{
    k->reply.status = status;
    k->reply.written_headers = k->reply.version == VER_2;
    snprintf(k->reply.text, sizeof k->reply.text, "%s", text);
    return send_write_reply(k, c);
}

static enum MHD_Result start_write(http_server *h, conn *k, struct MHD_Connection *c)
{
    unsigned long inflight = atomic_fetch_add(&g_selfstats.inflight, 1) + 1;
    k->counted_inflight = 1;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
    if (write_negotiate(ct, ce, &k->reply) != 0)
        return send_write_reply(k, c);
    if (inflight > h->cfg->max_inflight) {
        char t[160];
        snprintf(t, sizeof t, "too many requests in flight (--max-inflight=%u); retry later",
                 h->cfg->max_inflight);
        return write_early(k, c, 503, t);
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (*end == '\0' && n > h->cfg->max_body_bytes) {
            char t[200];
            snprintf(t, sizeof t, "body of %llu bytes over the limit of %zu (--max-body-bytes)",
                     n, h->cfg->max_body_bytes);
            return write_early(k, c, 413, t);
        }
        if (*end == '\0' && n > k->cap) {
            char *b = realloc(k->body, n);
            if (!b)
                return write_early(k, c, 503, "out of memory receiving the body; retry later");
            k->body = b;
            k->cap = n;
        }
    }
    k->route = ROUTE_WRITE;
    return MHD_YES;
}

/* Checks the in-flight reads and the Content-Length before a remote read's body is read. */
static enum MHD_Result start_read(http_server *h, conn *k, struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    k->route = ROUTE_DONE;
    k->counted_read = 1;
    if (atomic_fetch_add(&h->reads_inflight, 1) + 1 > h->cfg->max_inflight) {
        char t[160];
        snprintf(t, sizeof t, "too many remote read requests in flight (--max-inflight=%u); "
                 "retry later\n", h->cfg->max_inflight);
        return send_text(c, 503, t, NULL);
    }
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (*end == '\0' && n > h->cfg->max_body_bytes) {
            char t[200];
            snprintf(t, sizeof t, "body of %llu bytes over the limit of %zu (--max-body-bytes)\n",
                     n, h->cfg->max_body_bytes);
            return send_text(c, 413, t, NULL);
        }
    }
    k->route = ROUTE_READ;
    return MHD_YES;
}

static enum MHD_Result send_read(http_server *h, conn *k, struct MHD_Connection *c)
{
    k->route = ROUTE_DONE;
    if (k->too_big == 2)
        return send_text(c, 503, "out of memory receiving the body; retry later\n", NULL);
    if (k->too_big) {
        char t[160];
        snprintf(t, sizeof t, "body over the limit of %zu bytes (--max-body-bytes)\n",
                 h->cfg->max_body_bytes);
        return send_text(c, 413, t, NULL);
    }
    rread_reply rr;
    rread_process(&h->rread, (const uint8_t *)k->body, k->len, &rr);
    if (rr.status != 200) {
        char t[sizeof rr.text + 2];
        snprintf(t, sizeof t, "%s\n", rr.text);
        log_msg(LOG_DEBUG, "remote read answered %u: %s", rr.status, rr.text);
        return send_text(c, rr.status, t, NULL);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(rr.len, rr.body,
                                                             MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(rr.body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rr.content_type);
    if (rr.content_encoding)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, rr.content_encoding);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result take_body(http_server *h, conn *k, const char *data, size_t n)
{
    if (k->too_big)
        return MHD_YES;
    if (k->len + n > h->cfg->max_body_bytes) {
        k->too_big = 1;
        return MHD_YES;
    }
    if (k->len + n > k->cap) {
        size_t cap = k->cap ? k->cap : 16384;
        while (cap < k->len + n)
            cap *= 2;
        if (cap > h->cfg->max_body_bytes)
            cap = h->cfg->max_body_bytes;
        char *b = realloc(k->body, cap);
        if (!b) {
            k->too_big = 2;
            return MHD_YES;
        }
        k->body = b;
        k->cap = cap;
    }
    memcpy(k->body + k->len, data, n);
    k->len += n;
    return MHD_YES;
}

/* The access check at the top of routing: returns 1 when the request was answered (401 with
 * WWW-Authenticate, or 403) and *ret holds the result; 0 to go on. Never logs credentials. */
static int refuse_access(http_server *h, struct MHD_Connection *c, const char *url,
                         enum MHD_Result *ret)
{
    char why[256];
    const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
    unsigned status = auth_decide(h->auth, auth_classify(url), authz, why, sizeof why);
    if (status == 0)
        return 0;
    log_msg(LOG_DEBUG, "http: %s refused with %u: %s", url, status, why);
    char text[sizeof why + 2];
    snprintf(text, sizeof text, "%s\n", why);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text,
                                                             MHD_RESPMEM_MUST_COPY);
    *ret = MHD_NO;
    if (!r)
        return 1;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    for (int i = 0; status == 401 && auth_challenge(h->auth, i); i++)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, auth_challenge(h->auth, i));
    *ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return 1;
}

/* After start_write/start_read: a request going on to receive its body must have it all within
 * --request-timeout of now (conn_deadline.h); one already answered is not timed. */
static enum MHD_Result expect_body(conn *k, enum MHD_Result ret)
{
    if (k->route == ROUTE_WRITE || k->route == ROUTE_READ)
        conn_deadline_arm(&k->dl);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    http_server *h = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn *k = ci ? ci->socket_context : NULL;
    if (!k)
        return MHD_NO;
    if (*con_cls == NULL) {     /* first call of a new request */
        *con_cls = k;
        conn_deadline_disarm(&k->dl);
        k->route = ROUTE_NONE;
        k->counted_inflight = 0;
        k->counted_read = 0;
        k->too_big = 0;
        k->len = 0;
        k->t0_ns = mai_monotonic_ns();
        memset(&k->reply, 0, sizeof k->reply);
        enum MHD_Result denied;
        if (refuse_access(h, c, url, &denied)) {
            k->route = ROUTE_DONE;
            return denied;
        }
        int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
        if (strcmp(url, "/api/v1/write") == 0) {
            if (strcmp(method, "POST") != 0) {
                k->route = ROUTE_DONE;
                return send_text(c, 405, "use POST for /api/v1/write\n", "POST");
            }
            return expect_body(k, start_write(h, k, c));
        }
        if (strcmp(url, "/api/v1/read") == 0) {
            if (strcmp(method, "POST") != 0) {
                k->route = ROUTE_DONE;
                return send_text(c, 405, "use POST for /api/v1/read\n", "POST");
            }
            return expect_body(k, start_read(h, k, c));
        }
        k->route = ROUTE_DONE;
        if (strcmp(url, "/api/v1/admin/retrain") == 0) {
            if (strcmp(method, "POST") != 0)
                return send_text(c, 405, "use POST for /api/v1/admin/retrain\n", "POST");
            return send_retrain(h, c);
        }
        int plots = strcmp(url, "/plots") == 0 || strncmp(url, "/plots/", 7) == 0;
        int known = strcmp(url, "/metrics") == 0 || strcmp(url, "/-/healthy") == 0 ||
                    strcmp(url, "/-/ready") == 0 || strcmp(url, "/") == 0 ||
                    strcmp(url, "/api/v1/store") == 0 || plots;
        if (known && !get)
            return send_text(c, 405, "method not allowed\n", "GET, HEAD");
        if (strcmp(url, "/metrics") == 0)
            return send_metrics(h, c);
        if (strcmp(url, "/api/v1/store") == 0)
            return send_store(h, c);
        if (strcmp(url, "/-/healthy") == 0)
            return send_text(c, 200, "metrics-ai is Healthy.\n", NULL);
        if (strcmp(url, "/-/ready") == 0)
            return send_text(c, 200, "metrics-ai is Ready.\n", NULL);
        if (strcmp(url, "/") == 0)
            return send_status_page(h, c);
        if (plots)
            return send_plots(h, c, url[6] ? url + 7 : "");
        return send_text(c, 404, "not found\n", NULL);
    }
    if (k->route != ROUTE_WRITE && k->route != ROUTE_READ) {  /* answered: discard the rest */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        take_body(h, k, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    conn_deadline_disarm(&k->dl);   /* the whole body is in: handled and answered untimed */
    if (k->route == ROUTE_READ)
        return send_read(h, k, c);
    if (k->too_big == 2)
        return write_early(k, c, 503, "out of memory receiving the body; retry later");
    if (k->too_big) {
        char t[160];
        snprintf(t, sizeof t, "body over the limit of %zu bytes (--max-body-bytes)",
                 h->cfg->max_body_bytes);
        return write_early(k, c, 413, t);
    }
    write_process(&h->env, (const uint8_t *)k->body, k->len, &k->reply);
    return send_write_reply(k, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    conn *k = *con_cls;
    if (k)
        conn_deadline_arm(&k->dl);     /* now waiting for the next request's headers */
    if (k && k->counted_inflight) {
        atomic_fetch_sub(&g_selfstats.inflight, 1);
        k->counted_inflight = 0;
    }
    if (k && k->counted_read) {
        atomic_fetch_sub(&((http_server *)cls)->reads_inflight, 1);
        k->counted_read = 0;
    }
    if (k && k->cap > KEEP_BODY_BYTES) {     /* one huge request must not pin its buffer */
        free(k->body);
        k->body = NULL;
        k->cap = 0;
    }
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    http_server *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn *k = calloc(1, sizeof(conn));
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (k && ci)
            conn_deadline_add(h->dl, &k->dl, ci->connect_fd);
        *socket_context = k;
    } else if (*socket_context) {
        conn *k = *socket_context;
        conn_deadline_remove(h->dl, &k->dl);    /* before libmicrohttpd closes the socket */
        free(k->body);
        free(k);
        *socket_context = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    http_server *h = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    if (atomic_load(&h->capture_log) && !h->start_error[0])   /* the first is the cause */
        snprintf(h->start_error, sizeof h->start_error, "%s", line);
    log_msg(LOG_DEBUG, "http: %s", line);
}

int http_start(const mai_config *cfg, store *st, results_box *box, http_server **out, char *err,
               size_t errlen)
{
    http_server *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory starting the HTTP server");
        return -MAI_ENOMEM;
    }
    atomic_init(&h->reads_inflight, 0);
    atomic_init(&h->capture_log, 0);
    h->cfg = cfg;
    h->st = st;
    h->box = box;
    h->env.st = st;
    h->env.max_decoded_bytes = cfg->max_decoded_bytes;
    h->env.limits.max_labels_per_series = cfg->max_labels_per_series;
    h->env.limits.max_label_bytes = cfg->max_label_bytes;
    h->env.limits.max_series = UINT32_MAX;
    h->env.limits.max_samples = cfg->max_samples_per_request;
    h->env.debug_delay_ms = cfg->debug_ingest_delay_ms;
    h->rread = (rread_env){.st = st, .box = box, .max_decoded_bytes = cfg->max_decoded_bytes,
                           .max_samples = RREAD_MAX_SAMPLES};

    int arc = auth_load(cfg, &h->auth, err, errlen);
    if (arc != 0) {
        free(h);
        return arc;
    }
    if (conn_deadline_start(cfg->request_timeout_s, 250, &h->dl) != 0) {
        snprintf(err, errlen, "cannot start the HTTP connection watch thread: out of memory "
                 "or at the process limit (ulimit -u)");
        http_stop(h);
        return -MAI_ENOMEM;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (cfg->tls_cert[0]) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errlen, "--tls-cert: this libmicrohttpd was built without TLS support");
            http_stop(h);
            return -MAI_EINVAL;
        }
        h->tls_cert = auth_read_pem("--tls-cert", cfg->tls_cert, "certificate", err, errlen);
        h->tls_key = h->tls_cert ? auth_read_pem("--tls-key", cfg->tls_key, "private key", err,
                                                 errlen) : NULL;
        if (!h->tls_key) {
            http_stop(h);
            return -MAI_EINVAL;
        }
        flags |= MHD_USE_TLS;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (cfg->listen_host[0] == '\0') {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_ANY);
        a->sin_port = htons(cfg->listen_port);
    } else {
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;
        char port[8];
        snprintf(port, sizeof port, "%u", cfg->listen_port);
        int rc = getaddrinfo(cfg->listen_host, port, &hints, &res);
        if (rc != 0 || !res) {
            snprintf(err, errlen, "--listen %s:%u: cannot resolve host: %s", cfg->listen_host,
                     cfg->listen_port, gai_strerror(rc));
            http_stop(h);
            return -MAI_EIO;
        }
        memcpy(&ss, res->ai_addr, res->ai_addrlen);
        if (res->ai_family == AF_INET6)
            flags |= MHD_USE_IPv6;
        freeaddrinfo(res);
    }
    struct MHD_OptionItem opts[4];
    size_t no = 0;
    if (cfg->threads > 1)
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL};
    if (h->tls_cert) {
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert};
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key};
    }
    opts[no] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    atomic_store(&h->capture_log, 1);
    h->d = MHD_start_daemon(flags, cfg->listen_port, NULL, NULL, on_request, h,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_CONNECTIONS,
                            MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    atomic_store(&h->capture_log, 0);
    if (!h->d) {
        if (h->tls_cert)
            snprintf(err, errlen, "cannot start HTTPS on %s:%u: %s (--tls-cert %s, --tls-key "
                     "%s: invalid PEM, or a key that does not match the certificate?)",
                     cfg->listen_host[0] ? cfg->listen_host : "0.0.0.0", cfg->listen_port,
                     h->start_error[0] ? h->start_error : "libmicrohttpd refused to start",
                     cfg->tls_cert, cfg->tls_key);
        else
            snprintf(err, errlen, "cannot listen on %s:%u (address in use, or not allowed?)",
                     cfg->listen_host[0] ? cfg->listen_host : "0.0.0.0", cfg->listen_port);
        http_stop(h);
        return -MAI_EIO;
    }
    int bearer;
    size_t users;
    char who[80] = "none";
    auth_describe(h->auth, &bearer, &users);
    if (bearer || users)
        snprintf(who, sizeof who, "%s%s%.0zu%s", bearer ? "bearer token" : "",
                 bearer && users ? " and " : "", users, users ? " basic users" : "");
    log_msg(LOG_INFO, "http: %s; auth: %s%s; admin endpoints %s",
            h->tls_cert ? "HTTPS (TLS)" : "plain HTTP", who,
            cfg->auth_metrics && (bearer || users) ? ", also on /metrics" : "",
            bearer || users ? "need credentials"
                            : cfg->admin_open ? "OPEN (--admin-open)" : "closed");
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : cfg->listen_port;
    *out = h;
    return 0;
}

unsigned http_port(const http_server *h)
{
    return h->port;
}

void http_stop(http_server *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    conn_deadline_stop(h->dl);      /* after the daemon: every connection is gone */
    auth_free(h->auth);
    free(h->tls_cert);
    if (h->tls_key) {
        memset(h->tls_key, 0, strlen(h->tls_key));
        free(h->tls_key);
    }
    free(h);
}
