/* SPDX-License-Identifier: Apache-2.0
 * adapter/http.h -- the HTTP server (libmicrohttpd, epoll, a pool of --threads worker threads):
 * POST /api/v1/write, POST /api/v1/read, GET /metrics, /-/healthy, /-/ready, /, /plots/,
 * POST /api/v1/admin/retrain. Owns its threads; http_stop joins them. Every worker thread decodes
 * and ingests on its own; they share only the store, the published results and the atomic
 * self-metrics. */
#ifndef MAI_ADAPTER_HTTP_H
#define MAI_ADAPTER_HTTP_H

#include <stddef.h>

#include "adapter/config.h"
#include "adapter/store.h"
#include "exporter/results.h"

typedef struct http_server http_server;

/* Binds cfg->listen_host:listen_port and starts serving; /metrics also renders the result sets
 * published into box (may be NULL). Returns 0, or -MAI_EIO / -MAI_ENOMEM with a one-line
 * message in err. */
int http_start(const mai_config *cfg, store *st, results_box *box, http_server **out, char *err,
               size_t errlen);

/* The admin retrain hook behind POST /api/v1/admin/retrain?disk=LIST&io_net=LIST (the seed's
 * --disk-retrain / --io-net-retrain grammar, adapter/retrain.h): called on a worker thread with
 * the two lists as given (either may be NULL); returns 0 with *matched once applied, 1 while
 * pending, -MAI_EINVAL with one line in err for a bad list, another negative on failure. */
typedef int (*http_retrain_fn)(void *ctx, const char *disk, const char *io_net, size_t *matched,
                               char *err, size_t errlen);

/* Installs the hook (until then the endpoint answers 503). Any thread. */
void http_set_retrain(http_server *h, http_retrain_fn fn, void *ctx);

/* Stops accepting, finishes or closes connections, joins the threads, frees. NULL is a no-op. */
void http_stop(http_server *h);

/* The port actually bound (useful with --listen :0). */
unsigned http_port(const http_server *h);

#endif
