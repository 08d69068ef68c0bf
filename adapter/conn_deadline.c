/* SPDX-License-Identifier: Apache-2.0
 * adapter/conn_deadline.c -- the watch thread that shuts down connections taking too long to
 * send a request's headers or body (see conn_deadline.h). The entries form a doubly linked list
 * under one lock; the thread walks it every check interval. Removal takes the same lock, and the
 * caller removes an entry before its socket is closed, so a socket is only ever shut down while
 * it is still open and still the connection's own. */
#include "adapter/conn_deadline.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "adapter/log.h"
#include "adapter/selfstats.h"
#include "models/base.h"

struct conn_deadline {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int64_t timeout_ns;
    unsigned check_ms;
    conn_deadline_entry head;       /* sentinel of the circular list */
};

static void sweep(conn_deadline *d)
{
    int64_t now = mai_monotonic_ns();
    unsigned cut = 0;
    pthread_mutex_lock(&d->mu);
    for (conn_deadline_entry *e = d->head.next; e != &d->head; e = e->next) {
        int64_t since = atomic_load_explicit(&e->stage_ns, memory_order_relaxed);
        if (e->cut || since == 0 || now - since <= d->timeout_ns)
            continue;
        shutdown(e->fd, SHUT_RDWR);
        e->cut = 1;
        cut++;
    }
    pthread_mutex_unlock(&d->mu);
    if (cut) {
        selfstats_add(&g_selfstats.connections_timed_out, cut);
        log_msg(LOG_DEBUG, "http: closed %u connection(s) whose request headers or body took over "
                "%lld s (--request-timeout)", cut, (long long)(d->timeout_ns / 1000000000));
    }
}

static void *watch_main(void *arg)
{
    conn_deadline *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + (long)d->check_ms * 1000000L;
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        while (!d->stop && pthread_cond_timedwait(&d->cv, &d->mu, &until) == 0)
            ;
        if (d->stop)
            break;
        pthread_mutex_unlock(&d->mu);
        sweep(d);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int conn_deadline_start(unsigned timeout_s, unsigned check_ms, conn_deadline **out)
{
    *out = NULL;
    conn_deadline *d = calloc(1, sizeof *d);
    if (!d)
        return -MAI_ENOMEM;
    d->timeout_ns = (int64_t)(timeout_s ? timeout_s : 1) * 1000000000;
    d->check_ms = check_ms ? check_ms : 1000;
    d->head.next = d->head.prev = &d->head;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    if (pthread_create(&d->thread, NULL, watch_main, d) != 0) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return -MAI_EIO;
    }
    *out = d;
    return 0;
}

void conn_deadline_stop(conn_deadline *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

void conn_deadline_add(conn_deadline *d, conn_deadline_entry *e, int fd)
{
    e->fd = fd;
    e->cut = 0;
    atomic_store(&e->stage_ns, mai_monotonic_ns());
    pthread_mutex_lock(&d->mu);
    e->prev = d->head.prev;
    e->next = &d->head;
    d->head.prev->next = e;
    d->head.prev = e;
    pthread_mutex_unlock(&d->mu);
}

void conn_deadline_remove(conn_deadline *d, conn_deadline_entry *e)
{
    pthread_mutex_lock(&d->mu);
    if (e->next) {
        e->prev->next = e->next;
        e->next->prev = e->prev;
        e->next = e->prev = NULL;
    }
    pthread_mutex_unlock(&d->mu);
}

void conn_deadline_arm(conn_deadline_entry *e)
{
    atomic_store_explicit(&e->stage_ns, mai_monotonic_ns(), memory_order_relaxed);
}

void conn_deadline_disarm(conn_deadline_entry *e)
{
    atomic_store_explicit(&e->stage_ns, 0, memory_order_relaxed);
}
