/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_conn_deadline.c -- the connection deadline watch on real socket pairs: a
 * connection armed past the timeout is shut down (its peer reads the end of the stream) and
 * counted; a disarmed one, a fresh one and a removed one are left alone; arming again restarts
 * the clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "adapter/conn_deadline.h"
#include "adapter/selfstats.h"

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* 1 when the peer of fd was shut down (reads end of stream), 0 when it is still open. */
static int peer_cut(int peer)
{
    struct timeval tv = {0, 50000};
    setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char b[8];
    ssize_t n = recv(peer, b, sizeof b, 0);
    if (n == 0)
        return 1;
    assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    return 0;
}

static void test_waiting_past_the_deadline_is_cut(void **state)
{
    (void)state;
    conn_deadline *d;
    assert_int_equal(conn_deadline_start(1, 50, &d), 0);
    int waiting[2], busy[2], rewound[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, waiting), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, busy), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, rewound), 0);
    conn_deadline_entry ew = {0}, eb = {0}, er = {0};
    uint64_t before = atomic_load(&g_selfstats.connections_timed_out);
    conn_deadline_add(d, &ew, waiting[0]);
    conn_deadline_add(d, &eb, busy[0]);
    conn_deadline_add(d, &er, rewound[0]);
    conn_deadline_disarm(&eb);
    sleep_ms(500);
    assert_int_equal(peer_cut(waiting[1]), 0);          /* within the deadline */
    conn_deadline_disarm(&er);
    conn_deadline_arm(&er);                            /* its stage starts again at 0.5 s */
    sleep_ms(800);                                      /* 1.3 s: past for the first only */
    assert_int_equal(peer_cut(waiting[1]), 1);
    assert_int_equal(peer_cut(busy[1]), 0);
    assert_int_equal(peer_cut(rewound[1]), 0);
    sleep_ms(600);                                      /* 1.9 s: the rewound one is past too */
    assert_int_equal(peer_cut(rewound[1]), 1);
    assert_int_equal(peer_cut(busy[1]), 0);
    assert_int_equal(atomic_load(&g_selfstats.connections_timed_out) - before, 2);
    conn_deadline_remove(d, &ew);
    conn_deadline_remove(d, &eb);
    conn_deadline_remove(d, &er);
    for (int i = 0; i < 2; i++) {
        close(waiting[i]);
        close(busy[i]);
        close(rewound[i]);
    }
    conn_deadline_stop(d);
}

static void test_removed_entries_are_left_alone(void **state)
{
    (void)state;
    conn_deadline *d;
    assert_int_equal(conn_deadline_start(1, 50, &d), 0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    conn_deadline_entry e = {0};
    conn_deadline_add(d, &e, sv[0]);
    conn_deadline_remove(d, &e);
    conn_deadline_remove(d, &e);                        /* twice is harmless */
    sleep_ms(1300);
    assert_int_equal(peer_cut(sv[1]), 0);
    close(sv[0]);
    close(sv[1]);
    conn_deadline_stop(d);
    conn_deadline_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waiting_past_the_deadline_is_cut),
        cmocka_unit_test(test_removed_entries_are_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
