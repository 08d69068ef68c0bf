/* SPDX-License-Identifier: Apache-2.0
 * exporter/results.c -- publication of result sets (see results.h): a mutex guards the current
 * pointer and the reference counts; it is held for a few instructions, never while rendering. */
#include "exporter/results.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct slot {
    results *r;
    unsigned refs;      /* readers holding it, plus 1 while it is the current set */
} slot;

#define SLOTS 16      /* sets held at once: the current one and those slow readers still hold */

struct results_box {
    pthread_mutex_t mu;
    slot s[SLOTS];
    int current;        /* index in s, -1 none */
};

results_box *results_box_create(void)
{
    results_box *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    pthread_mutex_init(&b->mu, NULL);
    b->current = -1;
    return b;
}

static void free_set(results *r)
{
    if (r && r->free_fn)
        r->free_fn(r);
}

void results_box_destroy(results_box *b)
{
    if (!b)
        return;
    for (int i = 0; i < SLOTS; i++)
        free_set(b->s[i].r);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

void results_publish(results_box *b, results *r)
{
    results *gone = NULL;
    pthread_mutex_lock(&b->mu);
    int free_slot = -1;
    for (int i = 0; i < SLOTS && free_slot < 0; i++)
        if (b->s[i].r == NULL)
            free_slot = i;
    if (free_slot < 0) {                /* every slot still read: readers are slow; drop r */
        pthread_mutex_unlock(&b->mu);
        free_set(r);
        return;
    }
    if (b->current >= 0) {
        slot *old = &b->s[b->current];
        if (--old->refs == 0) {
            gone = old->r;
            old->r = NULL;
        }
    }
    b->s[free_slot].r = r;
    b->s[free_slot].refs = 1;
    b->current = free_slot;
    pthread_mutex_unlock(&b->mu);
    free_set(gone);
}

const results *results_acquire(results_box *b)
{
    pthread_mutex_lock(&b->mu);
    const results *r = NULL;
    if (b->current >= 0) {
        b->s[b->current].refs++;
        r = b->s[b->current].r;
    }
    pthread_mutex_unlock(&b->mu);
    return r;
}

void results_release(results_box *b, const results *r)
{
    if (!r)
        return;
    results *gone = NULL;
    pthread_mutex_lock(&b->mu);
    for (int i = 0; i < SLOTS; i++) {
        if (b->s[i].r == r) {
            if (--b->s[i].refs == 0) {
                gone = b->s[i].r;
                b->s[i].r = NULL;
            }
            break;
        }
    }
    pthread_mutex_unlock(&b->mu);
    free_set(gone);
}
