/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_results.c -- publication of result sets by pointer swap with reference counts:
 * nothing before the first publish, a held set stays valid across publishes and is freed exactly
 * when its last reader releases, destroy frees the current set, and concurrent readers and a
 * publisher neither crash nor leak (the sanitizer build checks the memory). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/results.h"

/* A set that knows its id and reports its freeing. */
typedef struct tracked {
    results r;                  /* first: free_fn gets &r */
    uint64_t id;
    atomic_int alive;
} tracked;

static atomic_uint g_freed;
static atomic_uint g_made;
static atomic_uint g_double_free;
static atomic_uint g_dropped;                   /* freed by the publish that brought them */
static atomic_uint_least64_t g_last_freed_id;
static _Thread_local uint64_t tl_publishing;    /* the id this thread is publishing */

static void tracked_free(results *r)
{
    tracked *t = (tracked *)r;
    if (atomic_exchange(&t->alive, 0) != 1)     /* any thread may free: no cmocka assert here */
        atomic_fetch_add(&g_double_free, 1);
    if (t->id == tl_publishing)
        atomic_fetch_add(&g_dropped, 1);
    atomic_store(&g_last_freed_id, t->id);
    atomic_fetch_add(&g_freed, 1);
    free(t);
}

static results *make(uint64_t id)
{
    tracked *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->id = id;
    atomic_init(&t->alive, 1);
    t->r.free_fn = tracked_free;
    t->r.cycles = id;
    t->r.fits = id * 3 + 1;     /* a checksum readers verify */
    atomic_fetch_add(&g_made, 1);
    return &t->r;
}

static uint64_t id_of(const results *r)
{
    return ((const tracked *)r)->id;
}

static int reset(void **state)
{
    (void)state;
    atomic_store(&g_freed, 0);
    atomic_store(&g_made, 0);
    atomic_store(&g_last_freed_id, 0);
    atomic_store(&g_double_free, 0);
    atomic_store(&g_dropped, 0);
    return 0;
}

static int check_no_double_free(void **state)
{
    (void)state;
    assert_int_equal(atomic_load(&g_double_free), 0);
    return 0;
}

static void test_acquire_before_publish_is_null(void **state)
{
    (void)state;
    results_box *b = results_box_create();
    assert_non_null(b);
    assert_null(results_acquire(b));
    results_release(b, NULL);           /* a no-op */
    results_box_destroy(b);
    results_box_destroy(NULL);
    assert_int_equal(atomic_load(&g_freed), 0);
}

static void test_publish_then_acquire(void **state)
{
    (void)state;
    results_box *b = results_box_create();
    results *r = make(1);
    results_publish(b, r);
    const results *got = results_acquire(b);
    assert_ptr_equal(got, r);
    assert_int_equal(got->cycles, 1);
    const results *again = results_acquire(b);     /* two readers of the same set */
    assert_ptr_equal(again, r);
    results_release(b, got);
    results_release(b, again);
    assert_int_equal(atomic_load(&g_freed), 0);     /* still current: not freed */
    assert_ptr_equal(results_acquire(b), r);
    results_release(b, r);
    results_box_destroy(b);
    assert_int_equal(atomic_load(&g_freed), 1);
}

static void test_held_set_survives_publish_and_is_freed_by_last_release(void **state)
{
    (void)state;
    results_box *b = results_box_create();
    results_publish(b, make(1));
    const results *a1 = results_acquire(b);
    const results *a2 = results_acquire(b);
    assert_int_equal(id_of(a1), 1);

    results_publish(b, make(2));                    /* replaces 1 while two readers hold it */
    assert_int_equal(atomic_load(&g_freed), 0);
    assert_int_equal(a1->fits, 4);                  /* still readable (ASan would object) */
    assert_int_equal(((const tracked *)a1)->alive, 1);

    const results *n1 = results_acquire(b);
    assert_int_equal(id_of(n1), 2);                 /* new readers get the new set */

    results_release(b, a1);
    assert_int_equal(atomic_load(&g_freed), 0);     /* a2 still holds it */
    results_release(b, a2);
    assert_int_equal(atomic_load(&g_freed), 1);     /* the last reader freed it, right then */
    assert_int_equal(atomic_load(&g_last_freed_id), 1);

    /* a set replaced with no reader goes at once */
    results_release(b, n1);
    results_publish(b, make(3));
    assert_int_equal(atomic_load(&g_freed), 2);
    assert_int_equal(atomic_load(&g_last_freed_id), 2);

    /* a set that is replaced twice while held, then released */
    const results *h3 = results_acquire(b);
    results_publish(b, make(4));
    results_publish(b, make(5));
    assert_int_equal(atomic_load(&g_freed), 3);     /* 4 went (no reader), 3 is held */
    assert_int_equal(atomic_load(&g_last_freed_id), 4);
    assert_int_equal(h3->cycles, 3);
    results_release(b, h3);
    assert_int_equal(atomic_load(&g_freed), 4);
    assert_int_equal(atomic_load(&g_last_freed_id), 3);

    const results *cur = results_acquire(b);
    assert_int_equal(id_of(cur), 5);
    results_release(b, cur);
    results_box_destroy(b);
    assert_int_equal(atomic_load(&g_freed), 5);
    assert_int_equal(atomic_load(&g_last_freed_id), 5);
}

static void test_destroy_frees_current(void **state)
{
    (void)state;
    results_box *b = results_box_create();
    results_publish(b, make(7));
    assert_int_equal(atomic_load(&g_freed), 0);
    results_box_destroy(b);
    assert_int_equal(atomic_load(&g_freed), 1);
    assert_int_equal(atomic_load(&g_last_freed_id), 7);
}

static void test_many_held_sets_neither_leak_nor_block(void **state)
{
    (void)state;
    /* Readers hold many old sets at once: publishing must stay safe, whatever the box keeps. */
    results_box *b = results_box_create();
    const results *held[12];
    for (uint64_t i = 0; i < 12; i++) {
        results_publish(b, make(i + 1));
        held[i] = results_acquire(b);
        assert_non_null(held[i]);
        assert_true(((const tracked *)held[i])->alive);
        assert_int_equal(held[i]->fits, held[i]->cycles * 3 + 1);
        if (i > 0)
            assert_true(id_of(held[i]) >= id_of(held[i - 1]));
    }
    for (int i = 0; i < 12; i++)
        results_release(b, held[i]);
    /* with every reader gone, the next publish is what readers see */
    results_publish(b, make(100));
    const results *cur = results_acquire(b);
    assert_int_equal(id_of(cur), 100);
    results_release(b, cur);
    results_box_destroy(b);
    assert_int_equal(atomic_load(&g_freed), atomic_load(&g_made));
}

/* Concurrency */

#define READERS 4
#define PUBLISHES 3000
#define READS_MAX 5000000     /* a bound; readers stop once the publisher is done */

static atomic_int g_started;     /* readers running; the publisher waits for all */

typedef struct rctx {
    results_box *b;
    atomic_int *done;
    unsigned seen;              /* acquisitions that returned a set */
    int bad;
} rctx;

static void *reader(void *arg)
{
    rctx *x = arg;
    uint64_t last = 0;
    atomic_fetch_add(&g_started, 1);
    for (unsigned i = 0; i < READS_MAX && !atomic_load(x->done); i++) {
        const results *r = results_acquire(x->b);
        if (r) {
            const tracked *t = (const tracked *)r;
            if (!atomic_load(&t->alive) || r->fits != r->cycles * 3 + 1 || t->id < last)
                x->bad++;
            last = t->id;
            x->seen++;
            if (i % 64 == 0) {      /* sometimes hold two at once */
                const results *r2 = results_acquire(x->b);
                if (!r2 || id_of(r2) < t->id || !atomic_load(&((const tracked *)r2)->alive))
                    x->bad++;
                results_release(x->b, r2);
            }
        }
        results_release(x->b, r);
    }
    return NULL;
}

typedef struct pctx {
    results_box *b;
} pctx;

static void *publisher(void *arg)
{
    pctx *p = arg;
    while (atomic_load(&g_started) < READERS)
        sched_yield();
    for (uint64_t i = 1; i <= PUBLISHES; i++) {
        tl_publishing = i;
        results_publish(p->b, make(i));
        if (i % 8 == 0)
            sched_yield();      /* let readers interleave, even on one CPU */
    }
    tl_publishing = 0;
    return NULL;
}

static void test_concurrent_readers_and_publisher(void **state)
{
    (void)state;
    results_box *b = results_box_create();
    atomic_int done;
    atomic_init(&done, 0);
    atomic_store(&g_started, 0);
    rctx rx[READERS];
    pthread_t rt[READERS], pt;
    pctx px = {b};
    for (int i = 0; i < READERS; i++) {
        rx[i] = (rctx){.b = b, .done = &done};
        assert_int_equal(pthread_create(&rt[i], NULL, reader, &rx[i]), 0);
    }
    assert_int_equal(pthread_create(&pt, NULL, publisher, &px), 0);
    pthread_join(pt, NULL);
    atomic_store(&done, 1);
    unsigned seen = 0;
    for (int i = 0; i < READERS; i++) {
        pthread_join(rt[i], NULL);
        assert_int_equal(rx[i].bad, 0);
        seen += rx[i].seen;
    }
    assert_true(seen > 0);
    print_message("readers saw %u sets\n", seen);
    assert_int_equal(atomic_load(&g_made), PUBLISHES);
    assert_int_equal(atomic_load(&g_double_free), 0);
    /* readers gone: all but the current set are freed, and a new publish is what one sees */
    assert_int_equal(atomic_load(&g_freed), PUBLISHES - 1);
    const results *cur = results_acquire(b);
    assert_non_null(cur);
    assert_true(((const tracked *)cur)->alive);
    results_release(b, cur);
    results_publish(b, make(PUBLISHES + 1));
    cur = results_acquire(b);
    assert_int_equal(id_of(cur), PUBLISHES + 1);
    results_release(b, cur);
    results_box_destroy(b);
    assert_int_equal(atomic_load(&g_freed), PUBLISHES + 1);
    assert_int_equal(atomic_load(&g_double_free), 0);
    if (atomic_load(&g_dropped))
        print_message("note: %u of %u publishes dropped while every slot was held\n",
                      atomic_load(&g_dropped), PUBLISHES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, reset, check_no_double_free)
        T(test_acquire_before_publish_is_null),
        T(test_publish_then_acquire),
        T(test_held_set_survives_publish_and_is_freed_by_last_release),
        T(test_destroy_frees_current),
        T(test_many_held_sets_neither_leak_nor_block),
        T(test_concurrent_readers_and_publisher),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
