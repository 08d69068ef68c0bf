/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/http_sink.h -- a real HTTP server on 127.0.0.1 (libmicrohttpd, its own thread, a
 * kernel-chosen port) for the alert sink tests: it records each request (method, path,
 * Content-Type, body) and answers with the next status of a script (the last one repeats), after
 * an optional delay. Header-only, for tests. */
#ifndef MAI_TESTS_HTTP_SINK_H
#define MAI_TESTS_HTTP_SINK_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SINK_MAX_REQ 32
#define SINK_MAX_BODY 65536

typedef struct sink_req {
    char method[8];
    char path[1024];
    char content_type[128];
    char *body;
    size_t len;
} sink_req;

typedef struct http_sink {
    struct MHD_Daemon *d;
    unsigned short port;
    pthread_mutex_t mu;
    sink_req req[SINK_MAX_REQ];
    int n;
    unsigned status[8];
    int nstatus;
    long delay_ms;
} http_sink;

typedef struct sink_conn {
    char *body;
    size_t len;
} sink_conn;

static enum MHD_Result sink_handler(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    http_sink *s = cls;
    sink_conn *k = *con_cls;
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k)
            return MHD_NO;
        *con_cls = k;
        return MHD_YES;
    }
    if (*upload_size) {
        if (k->len + *upload_size <= SINK_MAX_BODY) {
            char *nb = realloc(k->body, k->len + *upload_size + 1);
            if (!nb)
                return MHD_NO;
            k->body = nb;
            memcpy(k->body + k->len, upload, *upload_size);
            k->len += *upload_size;
            k->body[k->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (s->delay_ms > 0) {
        struct timespec ts = {s->delay_ms / 1000, (s->delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    unsigned status;
    pthread_mutex_lock(&s->mu);
    int i = s->n;
    status = s->nstatus ? s->status[i < s->nstatus ? i : s->nstatus - 1] : 200;
    if (i < SINK_MAX_REQ) {
        sink_req *r = &s->req[i];
        snprintf(r->method, sizeof r->method, "%s", method);
        snprintf(r->path, sizeof r->path, "%s", url);
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        snprintf(r->content_type, sizeof r->content_type, "%s", ct ? ct : "");
        r->body = k->body ? k->body : calloc(1, 1);
        r->len = k->len;
        k->body = NULL;
        s->n++;
    }
    pthread_mutex_unlock(&s->mu);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
                                                                MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void sink_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    sink_conn *k = *con_cls;
    if (k) {
        free(k->body);
        free(k);
        *con_cls = NULL;
    }
}

/* Starts the sink; statuses answer the 1st, 2nd, ... request (the last repeats; none = 200). */
static inline int sink_start(http_sink *s, const unsigned *statuses, int nstatus, long delay_ms)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    for (int i = 0; i < nstatus && i < 8; i++)
        s->status[s->nstatus++] = statuses[i];
    s->delay_ms = delay_ms;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, sink_handler, s, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, sink_completed,
                            s, MHD_OPTION_END);
    if (!s->d)
        return -1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    return s->port ? 0 : -1;
}

static inline int sink_count(http_sink *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static inline void sink_stop(http_sink *s)
{
    if (s->d)
        MHD_stop_daemon(s->d);
    for (int i = 0; i < s->n && i < SINK_MAX_REQ; i++)
        free(s->req[i].body);
    pthread_mutex_destroy(&s->mu);
    memset(s, 0, sizeof *s);
}

/* A loopback port nobody listens on (bound, then closed). */
static inline unsigned short sink_dead_port(void)
{
    http_sink s;
    if (sink_start(&s, NULL, 0, 0) != 0)
        return 1;
    unsigned short p = s.port;
    sink_stop(&s);
    return p;
}

#endif
