/* SPDX-License-Identifier: Apache-2.0
 * adapter/write_handler.h -- POST /api/v1/write without the HTTP plumbing: protocol negotiation
 * from Content-Type/Content-Encoding, snappy block decompression with the declared length
 * checked before any allocation, decoding, ingest into the store, and the reply (status, one-line
 * reason, the 2.0 *-Written counts). Callable from any thread; each thread keeps its own decode
 * buffers (released at thread exit, or by write_worker_release()). */
#ifndef MAI_ADAPTER_WRITE_HANDLER_H
#define MAI_ADAPTER_WRITE_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "adapter/rw_decode.h"
#include "adapter/store.h"

typedef struct write_env {
    store *st;
    size_t max_decoded_bytes;   /* larger declared snappy length: 413 */
    rw_limits limits;
    unsigned debug_delay_ms;    /* test only (--debug-ingest-delay-ms): sleep after decoding */
} write_env;

typedef struct write_reply {
    unsigned status;            /* 204, 400, 413, 415 or 503 */
    int version;                /* enum selfstats_version */
    int written_headers;        /* 1: send X-Prometheus-Remote-Write-*-Written (2.0 only) */
    uint64_t samples_written, histograms_written, exemplars_written;
    char text[512];             /* one-line reason when status != 204 */
} write_reply;

/* Chooses the protocol: missing Content-Type = 1.0, missing Content-Encoding = snappy (as
 * Prometheus' own receiver). Returns 0 with r->version set, or -MAI_ENOTSUP with r filled
 * as a 415 reply. */
int write_negotiate(const char *content_type, const char *content_encoding, write_reply *r);

/* Handles a whole body for r->version (set by write_negotiate). Fills r; never fails otherwise. */
void write_process(const write_env *env, const uint8_t *body, size_t n, write_reply *r);

/* Frees the calling thread's decode buffers (worker threads do this at exit by themselves). */
void write_worker_release(void);

#endif
