/* SPDX-License-Identifier: Apache-2.0
 * adapter/conn_deadline.h -- closes HTTP connections whose next request's headers take too
 * long. libmicrohttpd only times out a connection that sends nothing for its idle timeout, so a
 * client trickling header bytes (slowloris) could hold a connection for ever. Each connection is
 * registered here; between requests it is "waiting" since a time, while a request is handled it
 * is "busy". A watch thread shuts down (shutdown(2), both ways) the socket of any connection that
 * has waited longer than the deadline; libmicrohttpd then sees the end of the stream and closes
 * and releases the connection on its own thread as usual. Each one counts in
 * g_selfstats.connections_timed_out. An idle keep-alive connection counts as
 * waiting too, so the deadline also bounds how long one may stay idle. */
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
    _Atomic int64_t waiting_ns;     /* monotonic time the wait began; 0 while busy */
} conn_deadline_entry;

/* Starts the watch thread with a deadline of timeout_s seconds (>= 1), checking every
 * check_ms milliseconds. Returns 0, or -MAI_ENOMEM / -MAI_EIO. */
int conn_deadline_start(unsigned timeout_s, unsigned check_ms, conn_deadline **out);

/* Stops and joins the thread and frees. Every entry must have been removed. NULL is a no-op. */
void conn_deadline_stop(conn_deadline *d);

/* Registers a new connection on socket fd, waiting from now. Any thread. */
void conn_deadline_add(conn_deadline *d, conn_deadline_entry *e, int fd);

/* Unregisters it; after this returns the watch no longer touches e or its socket, so the caller
 * may close the socket and free e. Call before the socket is closed. Any thread. */
void conn_deadline_remove(conn_deadline *d, conn_deadline_entry *e);

/* A request's headers have arrived: the connection is busy until conn_deadline_wait(). */
void conn_deadline_busy(conn_deadline_entry *e);

/* The request is finished: the wait for the next request begins now. */
void conn_deadline_wait(conn_deadline_entry *e);

#endif
