/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_base.c -- shared helpers: error texts, byte views, stale-marker detection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "models/base.h"

static void test_base_error_texts_accept_both_signs(void **state)
{
    (void)state;
    assert_string_equal(mai_strerror(-MAI_EPROTO), "malformed input");
    assert_string_equal(mai_strerror(MAI_EPROTO), "malformed input");
    assert_string_equal(mai_strerror(0), "ok");
    assert_string_equal(mai_strerror(-9999), "unknown error");
}

static void test_base_stale_marker_matched_by_bits_only(void **state)
{
    (void)state;
    double stale, other_nan;
    uint64_t a = 0x7ff0000000000002ULL, b = 0x7ff8000000000001ULL;
    memcpy(&stale, &a, 8);
    memcpy(&other_nan, &b, 8);
    assert_true(mai_is_stale(stale));
    assert_false(mai_is_stale(other_nan));
    assert_false(mai_is_stale(NAN));
    assert_false(mai_is_stale(0.0));
}

static void test_base_str_compare_orders_like_bytes(void **state)
{
    (void)state;
    mai_str a = {"abc", 3}, b = {"abd", 3}, p = {"ab", 2}, e = {"", 0};
    assert_true(mai_str_cmp(a, b) < 0);
    assert_true(mai_str_cmp(p, a) < 0);
    assert_true(mai_str_cmp(a, p) > 0);
    assert_int_equal(mai_str_cmp(e, e), 0);
    assert_true(mai_str_eq(a, a));
    assert_false(mai_str_eq(a, p));
    assert_true(mai_str_eq_cstr(p, "ab"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_error_texts_accept_both_signs),
        cmocka_unit_test(test_base_stale_marker_matched_by_bits_only),
        cmocka_unit_test(test_base_str_compare_orders_like_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
