/* SPDX-License-Identifier: Apache-2.0
 * exporter/expo.c -- writer for the Prometheus text exposition format 0.0.4 served on /metrics:
 * a growable NUL-terminated buffer, HELP/TYPE headers, samples with escaped label values and
 * shortest round-tripping doubles. Allocation failure sets oom and drops later writes. */
#include "exporter/expo.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPO_INITIAL_CAP 256

/* Makes room for `extra` more bytes plus the NUL. Returns 0 (and sets oom) when that is not
 * possible; all later writes are then dropped until expo_reset. */
static int expo_reserve(expo_buf *b, size_t extra)
{
    size_t need, cap;
    char *np;

    if (b->oom)
        return 0;
    if (extra > SIZE_MAX - 1 - b->len) {
        b->oom = 1;
        return 0;
    }
    need = b->len + extra + 1;
    if (b->p != NULL && need <= b->cap)
        return 1;
    cap = b->cap ? b->cap : EXPO_INITIAL_CAP;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    np = realloc(b->p, cap);
    if (np == NULL) {
        b->oom = 1;
        return 0;
    }
    if (b->p == NULL)
        np[0] = '\0';
    b->p = np;
    b->cap = cap;
    return 1;
}

void expo_init(expo_buf *b)
{
    b->len = 0;
    b->oom = 0;
    b->p = malloc(EXPO_INITIAL_CAP);
    b->cap = b->p != NULL ? EXPO_INITIAL_CAP : 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

void expo_free(expo_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
}

/* Starts a new page: drops the text (and a previous oom) but keeps the allocation. */
void expo_reset(expo_buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

void expo_append(expo_buf *b, const char *s, size_t n)
{
    if (!expo_reserve(b, n))
        return;
    if (n > 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void expo_puts(expo_buf *b, const char *s)
{
    expo_append(b, s, strlen(s));
}

void expo_printf(expo_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->oom)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !expo_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->p[b->len] = '\0';
        return;
    }
    b->len += (size_t)n;
}

/* Appends s[0..n) with `esc` (one of the characters to escape) written as backslash pairs:
 * '\\' -> "\\\\", '\n' -> "\\n", '"' -> "\\\"" when quote is set. Other bytes are copied. */
static void expo_escaped(expo_buf *b, const char *s, size_t n, int quote)
{
    size_t i, run = 0;

    for (i = 0; i < n; i++) {
        const char *rep;
        unsigned char c = (unsigned char)s[i];

        if (c == '\\')
            rep = "\\\\";
        else if (c == '\n')
            rep = "\\n";
        else if (c == '"' && quote)
            rep = "\\\"";
        else
            continue;
        expo_append(b, s + run, i - run);
        expo_append(b, rep, 2);
        run = i + 1;
    }
    expo_append(b, s + run, n - run);
}

void expo_family(expo_buf *b, const char *name, const char *type, const char *help)
{
    if (help != NULL) {
        expo_puts(b, "# HELP ");
        expo_puts(b, name);
        expo_append(b, " ", 1);
        expo_escaped(b, help, strlen(help), 0);
        expo_append(b, "\n", 1);
    }
    if (type != NULL) {
        expo_puts(b, "# TYPE ");
        expo_puts(b, name);
        expo_append(b, " ", 1);
        expo_puts(b, type);
        expo_append(b, "\n", 1);
    }
}

/* Writes `name="value"` pairs from labels[0..n), each preceded by a comma unless *first. */
static void expo_labels(expo_buf *b, const expo_label *labels, size_t n, int *first)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *v = labels[i].value != NULL ? labels[i].value : "";
        size_t vlen = labels[i].value_len != 0 ? labels[i].value_len : strlen(v);

        if (!*first)
            expo_append(b, ",", 1);
        *first = 0;
        expo_puts(b, labels[i].name);
        expo_append(b, "=\"", 2);
        expo_escaped(b, v, vlen, 1);
        expo_append(b, "\"", 1);
    }
}

void expo_sample2(expo_buf *b, const char *name, const expo_label *labels, size_t n,
                  const expo_label *extra, size_t n_extra, double v)
{
    char num[32];
    size_t nlen;
    int first = 1;

    expo_puts(b, name);
    if (n + n_extra > 0) {
        expo_append(b, "{", 1);
        expo_labels(b, labels, n, &first);
        expo_labels(b, extra, n_extra, &first);
        expo_append(b, "}", 1);
    }
    expo_append(b, " ", 1);
    nlen = expo_format_double(num, v);
    expo_append(b, num, nlen);
    expo_append(b, "\n", 1);
}

void expo_sample(expo_buf *b, const char *name, const expo_label *labels, size_t n, double v)
{
    expo_sample2(b, name, labels, n, NULL, 0, v);
}

/* Rewrites a locale decimal separator (any run of bytes other than digits, signs and 'e') as '.',
 * in place, so the text stays valid should some library have changed LC_NUMERIC. */
static size_t expo_c_decimal_point(char *s, size_t n)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        char c = s[i];

        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e') {
            s[o++] = c;
        } else if (o == 0 || s[o - 1] != '.') {
            s[o++] = '.';
        }
    }
    s[o] = '\0';
    return o;
}

size_t expo_format_double(char out[32], double v)
{
    static const int precs[] = { 15, 16, 17 };
    size_t i;
    int n = 0;

    if (isnan(v)) {
        memcpy(out, "NaN", 4);
        return 3;
    }
    if (isinf(v)) {
        memcpy(out, v > 0 ? "+Inf" : "-Inf", 5);
        return 4;
    }
    for (i = 0; i < sizeof precs / sizeof precs[0]; i++) {
        double back;

        n = snprintf(out, 32, "%.*g", precs[i], v);
        if (n < 0 || n >= 32)
            break;
        back = strtod(out, NULL);
        if (memcmp(&back, &v, sizeof v) == 0)
            break;
    }
    if (n < 0 || n >= 32) { /* cannot happen for a finite double; keep the output sane */
        memcpy(out, "NaN", 4);
        return 3;
    }
    return expo_c_decimal_point(out, (size_t)n);
}

void expo_html(expo_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': expo_puts(b, "&amp;"); break;
        case '<': expo_puts(b, "&lt;"); break;
        case '>': expo_puts(b, "&gt;"); break;
        case '"': expo_puts(b, "&quot;"); break;
        case '\'': expo_puts(b, "&#39;"); break;
        default: expo_append(b, s, 1);
        }
    }
}
