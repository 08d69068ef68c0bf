/* SPDX-License-Identifier: Apache-2.0
 * exporter/expo.h -- Prometheus text exposition format 0.0.4 writer: a growable text buffer,
 * family headers (HELP/TYPE once), samples with escaped label values, values printed with 17
 * significant digits and NaN/+Inf/-Inf, never timestamps. Not thread-safe; one buffer per scrape. */
#ifndef MAI_EXPORTER_EXPO_H
#define MAI_EXPORTER_EXPO_H

#include <stddef.h>
#include <stdint.h>

#define EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct expo_buf {
    char *p;        /* NUL-terminated text, owned */
    size_t len;     /* bytes written, excluding the NUL */
    size_t cap;
    int oom;        /* set once an allocation failed; later writes are dropped */
} expo_buf;

typedef struct expo_label {
    const char *name;
    const char *value;      /* escaped on output: backslash, double quote, newline */
    size_t value_len;       /* 0 = strlen(value) */
} expo_label;

void expo_init(expo_buf *b);               /* empty buffer; cannot fail */
void expo_free(expo_buf *b);               /* NULL p is fine */
void expo_reset(expo_buf *b);              /* keep capacity, len = 0 */

/* "# HELP name help" (help escaped: backslash, newline) and "# TYPE name type". */
void expo_family(expo_buf *b, const char *name, const char *type, const char *help);

/* "name{l1="v1",...} value"; n may be 0 (no braces). */
void expo_sample(expo_buf *b, const char *name, const expo_label *labels, size_t n, double v);

/* As expo_sample with extra label pairs appended (e.g. le= for histogram buckets). */
void expo_sample2(expo_buf *b, const char *name, const expo_label *labels, size_t n,
                  const expo_label *extra, size_t n_extra, double v);

/* Formats v as the format wants: NaN, +Inf, -Inf, or %.17g (shortest exact when possible). Returns
 * the length written to out (out has room for 32 bytes). */
size_t expo_format_double(char out[32], double v);

/* Appends a NUL-terminated string; and one escaped as HTML text or attribute value (& < > " '). */
void expo_puts(expo_buf *b, const char *s);
void expo_html(expo_buf *b, const char *s);

/* Raw append; printf-style helper. */
void expo_append(expo_buf *b, const char *s, size_t n);
void expo_printf(expo_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
