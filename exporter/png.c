/* SPDX-License-Identifier: Apache-2.0
 * exporter/png.c -- the PNG encoder behind png.h on libpng: cairo RGB24 rows converted to packed
 * RGB, written to a growing memory buffer through png_set_write_fn; libpng errors come back
 * through longjmp and become -1. */
#include "exporter/png.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

/* p grown to at least need bytes (cap updated); 0, or -1 with p unchanged */
static int grow(uint8_t **p, size_t *cap, size_t need)
{
    if (*p && *cap >= need)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    uint8_t *q = realloc(*p, c);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static void write_mem(png_structp png, png_bytep data, size_t len)
{
    png_work *w = png_get_io_ptr(png);
    if (w->oom || grow(&w->out, &w->out_cap, w->out_len + len) != 0) {
        w->oom = 1;
        png_error(png, "out of memory");
    }
    memcpy(w->out + w->out_len, data, len);
    w->out_len += len;
}

static void flush_mem(png_structp png)
{
    (void)png;
}

/* libpng's warnings (e.g. about text) are not errors here and would only clutter stderr */
static void quiet_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void rgb_row(const uint8_t *src, int width, uint8_t *dst)
{
    for (int x = 0; x < width; x++) {
        uint32_t v;
        memcpy(&v, src + (size_t)x * 4, 4);
        dst[3 * x] = (uint8_t)(v >> 16);
        dst[3 * x + 1] = (uint8_t)(v >> 8);
        dst[3 * x + 2] = (uint8_t)v;
    }
}

void png_work_free(png_work *w)
{
    if (!w)
        return;
    free(w->rows);
    free(w->out);
    memset(w, 0, sizeof *w);
}

/* Everything touching libpng after png_create_write_struct; the arrays it needs are prepared
 * by the caller so that nothing here has to be freed when libpng longjmps out. */
static int encode(png_work *w, const uint8_t *pixels, int width, int height, int stride,
                  png_text *text)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, quiet_warning);
    if (!png)
        return -1;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, w, write_mem, flush_mem);
    png_set_compression_level(png, 1);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (text)
        png_set_text(png, info, text, 1);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        rgb_row(pixels + (size_t)y * (size_t)stride, width, w->rows);
        png_write_row(png, w->rows);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int png_encode(png_work *w, const uint8_t *pixels, int width, int height, int stride,
               const char *keyword, const char *text, const uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (!w || !pixels || width <= 0 || height <= 0 || width > (1 << 20) || height > (1 << 20) ||
        stride < width * 4)
        return -1;
    size_t klen = keyword ? strlen(keyword) : 0;
    if (keyword && (klen == 0 || klen > 79))
        return -1;
    if (grow(&w->rows, &w->rows_cap, (size_t)width * 3) != 0)
        return -1;
    char *clean = NULL;
    png_text t;
    if (keyword) {
        size_t tlen = text ? strlen(text) : 0;
        clean = malloc(tlen + 1);
        if (!clean)
            return -1;
        for (size_t i = 0; i < tlen; i++) {
            unsigned char ch = (unsigned char)text[i];
            clean[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
        }
        clean[tlen] = '\0';
        memset(&t, 0, sizeof t);
        t.compression = PNG_TEXT_COMPRESSION_NONE;
        t.key = (png_charp)(uintptr_t)keyword;
        t.text = clean;
        t.text_length = tlen;
    }
    w->out_len = 0;
    w->oom = 0;
    int rc = encode(w, pixels, width, height, stride, keyword ? &t : NULL);
    free(clean);
    if (rc != 0)
        return -1;
    *out = w->out;
    *outlen = w->out_len;
    return 0;
}

int png_encode_rgb24(const uint8_t *pixels, int width, int height, int stride,
                     const char *keyword, const char *text, uint8_t **out, size_t *outlen)
{
    png_work w;
    memset(&w, 0, sizeof w);
    const uint8_t *p;
    size_t n;
    *out = NULL;
    *outlen = 0;
    int rc = png_encode(&w, pixels, width, height, stride, keyword, text, &p, &n);
    if (rc == 0) {
        /* hand the buffer over instead of copying it */
        *out = w.out;
        *outlen = n;
        w.out = NULL;
    }
    png_work_free(&w);
    return rc;
}
