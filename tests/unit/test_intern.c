/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_intern.c -- label interning: one copy per string, growth, stable pointers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "adapter/hash.h"
#include "adapter/intern.h"

static const istr *get(interner *in, const char *s, size_t n)
{
    mai_str v = {s, (uint32_t)n};
    return interner_get(in, v, mai_hash_bytes(s, n, 0));
}

static void test_intern_returns_one_copy(void **state)
{
    (void)state;
    interner *in;
    assert_int_equal(interner_create(&in), 0);
    char a[] = "node_cpu_seconds_total", b[] = "node_cpu_seconds_total";
    const istr *x = get(in, a, strlen(a));
    const istr *y = get(in, b, strlen(b));
    assert_ptr_equal(x, y);
    assert_string_equal(x->s, "node_cpu_seconds_total");
    assert_int_equal(x->n, strlen(a));
    assert_int_equal(interner_count(in), 1);
    interner_destroy(in);
}

static void test_intern_keeps_pointers_across_growth(void **state)
{
    (void)state;
    interner *in;
    assert_int_equal(interner_create(&in), 0);
    const istr *first[2000];
    char buf[32];
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(buf, sizeof buf, "value-%d", i);
        first[i] = get(in, buf, (size_t)n);
        assert_non_null(first[i]);
    }
    assert_int_equal(interner_count(in), 2000);
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(buf, sizeof buf, "value-%d", i);
        assert_ptr_equal(get(in, buf, (size_t)n), first[i]);
    }
    assert_true(interner_bytes(in) > 2000 * 8);
    interner_destroy(in);
}

static void test_intern_distinguishes_prefixes_and_embedded_nul(void **state)
{
    (void)state;
    interner *in;
    assert_int_equal(interner_create(&in), 0);
    const istr *a = get(in, "ab\0c", 4);
    const istr *b = get(in, "ab", 2);
    const istr *e = get(in, "", 0);
    assert_ptr_not_equal(a, b);
    assert_int_equal(a->n, 4);
    assert_int_equal(e->n, 0);
    assert_int_equal(interner_count(in), 3);
    interner_destroy(in);
}

static void test_intern_holds_long_strings(void **state)
{
    (void)state;
    interner *in;
    assert_int_equal(interner_create(&in), 0);
    static char big[200000];
    memset(big, 'x', sizeof big);
    const istr *s = get(in, big, sizeof big);
    assert_non_null(s);
    assert_int_equal(s->n, sizeof big);
    assert_int_equal(s->s[sizeof big], '\0');
    interner_destroy(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intern_returns_one_copy),
        cmocka_unit_test(test_intern_keeps_pointers_across_growth),
        cmocka_unit_test(test_intern_distinguishes_prefixes_and_embedded_nul),
        cmocka_unit_test(test_intern_holds_long_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
