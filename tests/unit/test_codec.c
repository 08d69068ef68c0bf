/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_codec.c -- little-endian field access and CRC-32 of saved model states (whole and
 * continued over pieces). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "models/codec.h"

static void test_codec_crc32_known_answer(void **state)
{
    (void)state;
    assert_int_equal(mai_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
    assert_int_equal(mai_crc32((const uint8_t *)"", 0), 0);
}

static void test_codec_crc32_continues_over_pieces(void **state)
{
    (void)state;
    const uint8_t *s = (const uint8_t *)"123456789";
    for (size_t cut = 0; cut <= 9; cut++)
        assert_int_equal(mai_crc32_update(mai_crc32(s, cut), s + cut, 9 - cut), 0xCBF43926u);
    /* every byte value through the table against the bitwise definition */
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    uint32_t c = 0xFFFFFFFFu;
    for (int i = 0; i < 256; i++) {
        c ^= all[i];
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    assert_int_equal(mai_crc32(all, sizeof all), c ^ 0xFFFFFFFFu);
}

static void test_codec_writes_little_endian(void **state)
{
    (void)state;
    uint8_t b[8];
    le_put_u32(b, 0x04030201u);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[3], 4);
    le_put_u64(b, 0x0807060504030201ULL);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[7], 8);
    assert_true(le_get_u64(b) == 0x0807060504030201ULL);
    assert_int_equal(le_get_u32(b), 0x04030201u);
}

static void test_codec_doubles_round_trip_bit_for_bit(void **state)
{
    (void)state;
    const double v[] = {0.0, -0.0, 1.5, -1e-300, INFINITY, NAN, 4.9406564584124654e-324};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t b[8];
        le_put_f64(b, v[i]);
        double w = le_get_f64(b);
        assert_memory_equal(&w, &v[i], sizeof w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_crc32_known_answer),
        cmocka_unit_test(test_codec_crc32_continues_over_pieces),
        cmocka_unit_test(test_codec_writes_little_endian),
        cmocka_unit_test(test_codec_doubles_round_trip_bit_for_bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
