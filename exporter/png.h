/* SPDX-License-Identifier: Apache-2.0
 * exporter/png.h -- PNG encoding of opaque 8-bit RGB images into memory on libpng: fastest zlib
 * level and no row filter (charts are mostly flat colour: adaptive Sub/Up filtering made files
 * under 1% smaller and encoding slower), and a tEXt chunk right after IHDR. */
#ifndef MAI_EXPORTER_PNG_H
#define MAI_EXPORTER_PNG_H

#include <stddef.h>
#include <stdint.h>

/* Buffers kept between encodes of a batch (zero-initialise; png_work_free when done). */
typedef struct png_work {
    uint8_t *rows, *out;
    size_t rows_cap, out_cap, out_len;
    int oom;
} png_work;

void png_work_free(png_work *w);

/* Encodes a width x height image whose rows are stride bytes apart, each pixel a native-endian
 * uint32 0x00RRGGBB (cairo's CAIRO_FORMAT_RGB24), as an RGB PNG: signature, IHDR, one tEXt chunk
 * keyword=text after IHDR (when keyword is not NULL; bytes outside printable ASCII in text
 * become '?'), IDAT, IEND. *out points into w and stays valid until the next encode with w or
 * png_work_free. Returns 0, or -1 on bad arguments, a libpng error or out of memory. */
int png_encode(png_work *w, const uint8_t *pixels, int width, int height, int stride,
               const char *keyword, const char *text, const uint8_t **out, size_t *outlen);

/* The same with its own buffers; *out is malloc'ed (caller frees). */
int png_encode_rgb24(const uint8_t *pixels, int width, int height, int stride,
                     const char *keyword, const char *text, uint8_t **out, size_t *outlen);

#endif
