/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_png.c -- the PNG encoder against libpng (through cairo's reader): pixel-exact
 * round trips of a noisy image, a flat one, one-pixel and odd sizes; every chunk CRC checked by
 * an independent CRC-32; the tEXt chunk right after IHDR with non-ASCII bytes replaced; bad
 * arguments refused; flat images compress (zlib level 1). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "exporter/png.h"
#include "png_check.h"

typedef struct reader {
    const uint8_t *p;
    size_t n, off;
} reader;

static cairo_status_t read_mem(void *closure, unsigned char *data, unsigned int len)
{
    reader *r = closure;
    if (r->off + len > r->n)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p + r->off, len);
    r->off += len;
    return CAIRO_STATUS_SUCCESS;
}

/* encodes an image of w x h from fn, decodes it with libpng and compares every pixel */
static void round_trip(int w, int h, uint32_t (*fn)(int x, int y), size_t *size)
{
    int stride = w * 4 + 12;            /* rows padded, as cairo may */
    uint8_t *pix = calloc((size_t)stride * (size_t)h, 1);
    assert_non_null(pix);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t v = fn(x, y) & 0xffffffu;
            memcpy(pix + (size_t)y * (size_t)stride + (size_t)x * 4, &v, 4);
        }
    uint8_t *png;
    size_t n;
    assert_int_equal(png_encode_rgb24(pix, w, h, stride, "Title", "round trip", &png, &n), 0);
    uint32_t pw, ph;
    char text[64];
    assert_true(chk_png(png, n, &pw, &ph, "Title", text, sizeof text));
    assert_int_equal(pw, (uint32_t)w);
    assert_int_equal(ph, (uint32_t)h);
    assert_string_equal(text, "round trip");
    reader r = {png, n, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_mem, &r);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(s), w);
    assert_int_equal(cairo_image_surface_get_height(s), h);
    cairo_surface_flush(s);
    const uint8_t *d = cairo_image_surface_get_data(s);
    int ds = cairo_image_surface_get_stride(s);
    long bad = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t got, want;
            memcpy(&got, d + (size_t)y * (size_t)ds + (size_t)x * 4, 4);
            memcpy(&want, pix + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
            bad += (got & 0xffffffu) != (want & 0xffffffu);
        }
    assert_int_equal(bad, 0);
    cairo_surface_destroy(s);
    free(png);
    free(pix);
    if (size)
        *size = n;
}

static uint32_t noisy(int x, int y)
{
    uint32_t v = (uint32_t)x * 73856093u ^ (uint32_t)y * 19349663u;
    v ^= v >> 13;
    v *= 0x5bd1e995u;
    return v ^ (v >> 15);
}

static uint32_t flat(int x, int y)
{
    (void)x;
    (void)y;
    return 0xffffff;
}

/* a chart-like image: white, grid lines, a sloped line */
static uint32_t chart(int x, int y)
{
    if (x % 50 == 0 || y % 40 == 0)
        return 0xe0e0e0;
    if (abs(y - (x / 3 + 20)) < 2)
        return 0x1f77b4;
    return 0xffffff;
}

static void test_noisy_round_trip(void **st)
{
    (void)st;
    round_trip(97, 61, noisy, NULL);
}

static void test_flat_compresses(void **st)
{
    (void)st;
    size_t n;
    round_trip(1200, 500, flat, &n);
    assert_true(n < 20000);         /* raw is 1.8 MB */
    round_trip(640, 320, chart, &n);
    assert_true(n < 60000);         /* raw is 614 kB */
}

static void test_small_and_odd(void **st)
{
    (void)st;
    round_trip(1, 1, noisy, NULL);
    round_trip(1, 300, chart, NULL);
    round_trip(301, 2, noisy, NULL);
    round_trip(3, 3, flat, NULL);
}

static void test_text_chunk(void **st)
{
    (void)st;
    uint32_t pix[4] = {0, 0xffffff, 0x123456, 0xabcdef};
    uint8_t *png;
    size_t n;
    /* UTF-8 and a control byte become '?' */
    assert_int_equal(png_encode_rgb24((const uint8_t *)pix, 2, 2, 8, "Title", "a\xc3\xa9\tb", &png,
                                      &n), 0);
    /* directly after IHDR */
    assert_memory_equal(png + 8 + 25 + 4, "tEXt", 4);
    uint32_t w, h;
    char text[32];
    assert_true(chk_png(png, n, &w, &h, "Title", text, sizeof text));
    assert_string_equal(text, "a???b");
    free(png);
    /* without a keyword there is no tEXt */
    assert_int_equal(png_encode_rgb24((const uint8_t *)pix, 2, 2, 8, NULL, NULL, &png, &n), 0);
    assert_true(chk_png(png, n, &w, &h, "Title", text, sizeof text));
    assert_string_equal(text, "");
    assert_memory_equal(png + 8 + 25 + 4, "IDAT", 4);
    free(png);
}

static void test_bad_arguments(void **st)
{
    (void)st;
    uint32_t pix[4] = {0};
    uint8_t *png = (uint8_t *)1;
    size_t n = 7;
    assert_int_equal(png_encode_rgb24(NULL, 2, 2, 8, NULL, NULL, &png, &n), -1);
    assert_null(png);
    assert_int_equal(n, 0);
    assert_int_equal(png_encode_rgb24((const uint8_t *)pix, 0, 2, 8, NULL, NULL, &png, &n), -1);
    assert_int_equal(png_encode_rgb24((const uint8_t *)pix, 2, -1, 8, NULL, NULL, &png, &n), -1);
    assert_int_equal(png_encode_rgb24((const uint8_t *)pix, 2, 2, 4, NULL, NULL, &png, &n), -1);
    char longkey[100];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[99] = '\0';
    assert_int_equal(png_encode_rgb24((const uint8_t *)pix, 2, 2, 8, longkey, "x", &png, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noisy_round_trip),
        cmocka_unit_test(test_flat_compresses),
        cmocka_unit_test(test_small_and_odd),
        cmocka_unit_test(test_text_chunk),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
