/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/png_check.h -- PNG checks shared by the plot tests: chunk walk with an independent
 * CRC-32, IHDR size, tEXt lookup, read-back through cairo (libpng), pixel statistics and colour
 * counts in a region, and a directory listing. Header-only; include after cmocka. */
#ifndef MAI_TESTS_PNG_CHECK_H
#define MAI_TESTS_PNG_CHECK_H

#include <cairo.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CRC-32 written here from the PNG specification's sample code, not shared with the encoder */
static inline uint32_t chk_crc(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static inline uint32_t chk_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint8_t *chk_slurp(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    uint8_t *p = malloc(cap);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            p = realloc(p, cap);
        }
        size_t r = fread(p + len, 1, cap - len, f);
        if (r == 0)
            break;
        len += r;
    }
    fclose(f);
    *n = len;
    return p;
}

/* Walks every chunk: signature, IHDR first, every CRC right, IEND last. Fills w, h and the
 * tEXt value of key (when key is not NULL; "" when absent). Returns 1 when the file is sound. */
static inline int chk_png(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h, const char *key,
                   char *text, size_t textlen)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (text && textlen)
        text[0] = '\0';
    if (n < 8 + 25 + 12 || memcmp(p, sig, 8) != 0 || memcmp(p + 12, "IHDR", 4) != 0)
        return 0;
    *w = chk_be32(p + 16);
    *h = chk_be32(p + 20);
    size_t i = 8;
    int iend = 0;
    while (i + 12 <= n) {
        uint32_t len = chk_be32(p + i);
        if (i + 12 + len > n)
            return 0;
        if (chk_crc(p + i + 4, 4 + (size_t)len) != chk_be32(p + i + 8 + len))
            return 0;
        if (key && memcmp(p + i + 4, "tEXt", 4) == 0) {
            size_t kl = strlen(key);
            if (len > kl && memcmp(p + i + 8, key, kl) == 0 && p[i + 8 + kl] == 0) {
                size_t tl = len - kl - 1;
                if (tl >= textlen)
                    tl = textlen - 1;
                memcpy(text, p + i + 8 + kl + 1, tl);
                text[tl] = '\0';
            }
        }
        if (memcmp(p + i + 4, "IEND", 4) == 0) {
            iend = 1;
            /* the CRC of an empty IEND is the same in every PNG */
            if (len != 0 || chk_be32(p + i + 8) != 0xAE426082u)
                return 0;
            i += 12;
            break;
        }
        i += 12 + len;
    }
    return iend && i == n;
}

/* mean and variance of the luminance in [x0,x1) x [y0,y1) */
static inline double chk_variance(cairo_surface_t *s, int x0, int y0, int x1, int y1)
{
    const uint8_t *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    double sum = 0, sum2 = 0, n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint32_t px;
            memcpy(&px, d + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
            double l = 0.299 * ((px >> 16) & 0xff) + 0.587 * ((px >> 8) & 0xff) + 0.114 * (px & 0xff);
            sum += l;
            sum2 += l * l;
            n++;
        }
    if (n == 0)
        return 0;
    double m = sum / n;
    return sum2 / n - m * m;
}

/* pixels in the region within tol of (r, g, b) in every channel */
static inline long chk_count_color(cairo_surface_t *s, int x0, int y0, int x1, int y1, int r, int g,
                            int b, int tol)
{
    const uint8_t *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint32_t px;
            memcpy(&px, d + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
            int pr = (px >> 16) & 0xff, pg = (px >> 8) & 0xff, pb = px & 0xff;
            if (abs(pr - r) <= tol && abs(pg - g) <= tol && abs(pb - b) <= tol)
                n++;
        }
    return n;
}

/* pixels in the region that are not white */
static inline long chk_count_nonwhite(cairo_surface_t *s, int x0, int y0, int x1, int y1)
{
    long all = (long)(x1 - x0) * (y1 - y0);
    return all - chk_count_color(s, x0, y0, x1, y1, 255, 255, 255, 8);
}

/* entries of dir other than . and .. ; names (when not NULL) gets a newline-separated list */
static inline int chk_dir_count(const char *dir, char *names, size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    if (names && len)
        names[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (names && strlen(names) + strlen(e->d_name) + 2 < len) {
            strcat(names, e->d_name);
            strcat(names, "\n");
        }
    }
    closedir(d);
    return n;
}

static inline void chk_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p)
            continue;
        if (e->d_type == DT_DIR)
            chk_rmtree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

#endif
