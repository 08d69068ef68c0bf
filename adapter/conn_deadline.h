/* SPDX-License-Identifier: Apache-2.0
 * adapter/conn_deadline.h -- closes HTTP connections that take too long to send a request: its
 * headers (counted from the connection's start or the end of its previous request) or its body
 * (counted from the headers). libmicrohttpd only times out a connection that sends nothing for
 * its idle timeout, so a client trickling bytes (slowloris) could hold a connection for ever.
 * Each connection is registered here. While it waits for headers or a body it is "armed" with
 * the time that stage began; while a request is handled and answered it is not. A watch thread
 * shuts down (shutdown(2), both ways) the socket of any connection armed for longer than the
 * timeout; libmicrohttpd then sees the end of the stream and closes and releases the connection
 * on its own thread as usual. Each one counts in g_selfstats.connections_timed_out. An idle
 * keep-alive connection is waiting for headers, so the timeout also bounds how long one may stay
 * idle. */
#ifndef MAI_ADAPTER_CONN_DEADLINE_H
#define MAI_ADAPTER_CONN_DEADLINE_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct conn_deadline conn_deadline;

/* One connection; embedded in the caller's per-connection state. */
typedef struct conn_deadline_entry {
    struct conn_deadline_entry *prev, *next;
    int fd;
    int cut;                        /* shut down already (guarded by the watch's lock) */
    _Atomic int64_t stage_ns;       /* monotonic time the armed stage began; 0: not armed */
} conn_deadline_entry;

/* Starts the watch thread with a deadline of timeout_s seconds (>= 1), checking every
 * check_ms milliseconds. Returns 0, or -MAI_ENOMEM / -MAI_EIO. */
int conn_deadline_start(unsigned timeout_s, unsigned check_ms, conn_deadline **out);

/* Stops and joins the thread and frees. Every entry must have been removed. NULL is a no-op. */
void conn_deadline_stop(conn_deadline *d);

/* Registers a new connection on socket fd, armed from now (waiting for headers). Any thread. */
void conn_deadline_add(conn_deadline *d, conn_deadline_entry *e, int fd);

/* Unregisters it; after this returns the watch no longer touches e or its socket, so the caller
 * may close the socket and free e. Call before the socket is closed. Any thread. */
void conn_deadline_remove(conn_deadline *d, conn_deadline_entry *e);

/* A stage that must end within the timeout begins now: the wait for the next request's headers
 * (a request finished), or for the body of one whose headers arrived. */
void conn_deadline_arm(conn_deadline_entry *e);

/* The request is being handled and answered: no timeout until the next conn_deadline_arm(). */
void conn_deadline_disarm(conn_deadline_entry *e);

#endif
