/* SPDX-License-Identifier: Apache-2.0
 * adapter/csv_series.c -- CSV series reader and grid builder (see csv_series.h). */
#include "adapter/csv_series.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/base.h"

static int grow(csv_series *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    double *t = realloc(s->t, cap * sizeof *t);
    if (!t)
        return -MAI_ENOMEM;
    s->t = t;
    double *v = realloc(s->v, cap * sizeof *v);
    if (!v)
        return -MAI_ENOMEM;
    s->v = v;
    uint32_t *l = realloc(s->line, cap * sizeof *l);
    if (!l)
        return -MAI_ENOMEM;
    s->line = l;
    s->cap = cap;
    return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's days_from_civil. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int csv_parse_time(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (strchr(buf, '-') == NULL || buf[0] == '-') {     /* unix seconds */
        char *end;
        errno = 0;
        double v = strtod(buf, &end);
        if (errno || end == buf || *end != '\0' || !isfinite(v))
            return -1;
        *out = v;
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, consumed = 0;
    double sec = 0;
    if (sscanf(buf, "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3)
        return -1;
    const char *p = buf + consumed;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d:%lf%n", &h, &mi, &sec, &k) != 3)
            return -1;
        p += 1 + k;
    }
    double offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || oh < 0 || oh > 23 || om < 0 ||
            om > 59)
            return -1;
        offset = (*p == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
        p += 1 + k;
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        !(sec >= 0 && sec < 61))        /* sscanf takes signs, and "nan" for %lf */
        return -1;
    *out = (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 +
           mi * 60.0 + sec - offset;
    return 0;
}

/* Strips white space, and with unquote one pair of surrounding double quotes (a field, never a
 * whole line: "1","2" is two quoted fields, not one). */
static size_t trim(const char *s, size_t n, const char **start, int unquote)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (unquote && n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    *start = s;
    return n;
}

int csv_series_read(const char *path, csv_series *out, FILE *warn, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -MAI_EIO;
    }
    int rc = csv_series_read_stream(f, path, out, warn, err, errlen);
    fclose(f);
    return rc;
}

int csv_series_read_stream(FILE *f, const char *path, csv_series *out, FILE *warn, char *err,
                           size_t errlen)
{
    (void)warn;
    memset(out, 0, sizeof *out);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint32_t lineno = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        const char *s;
        size_t n = trim(line, (size_t)len, &s, 0);
        if (n == 0)
            continue;
        const char *comma = memchr(s, ',', n);
        if (!comma) {
            snprintf(err, errlen, "%s:%u: expected \"timestamp,value\"", path, lineno);
            rc = -MAI_EPROTO;
            break;
        }
        const char *ts, *vs;
        size_t tn = trim(s, (size_t)(comma - s), &ts, 1);
        size_t vn = trim(comma + 1, n - (size_t)(comma - s) - 1, &vs, 1);
        double t, v;
        char vbuf[64];
        int bad_v = vn == 0 || vn >= sizeof vbuf;
        if (!bad_v) {
            memcpy(vbuf, vs, vn);
            vbuf[vn] = '\0';
            char *end;
            v = strtod(vbuf, &end);
            bad_v = *end != '\0';
        }
        if (csv_parse_time(ts, tn, &t) != 0 || bad_v) {
            if (out->n == 0 && lineno == 1)     /* a header line */
                continue;
            snprintf(err, errlen, "%s:%u: cannot parse \"%.*s\" as timestamp,value", path,
                     lineno, (int)(n > 80 ? 80 : n), s);
            rc = -MAI_EPROTO;
            break;
        }
        if (out->n == out->cap && (rc = grow(out)) != 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            break;
        }
        out->t[out->n] = t;
        out->v[out->n] = v;
        out->line[out->n] = lineno;
        out->n++;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -MAI_EIO;
    }
    free(line);
    if (rc != 0)
        csv_series_free(out);
    return rc;
}

void csv_series_free(csv_series *s)
{
    free(s->t);
    free(s->v);
    free(s->line);
    memset(s, 0, sizeof *s);
}

double csv_series_infer_step(const csv_series *s)
{
    if (s->n < 2)
        return 0;
    double *d = malloc((s->n - 1) * sizeof *d);
    if (!d)
        return 0;
    size_t k = 0;
    for (size_t i = 1; i < s->n; i++)
        if (s->t[i] > s->t[i - 1])
            d[k++] = s->t[i] - s->t[i - 1];
    double step = 0;
    if (k > 0) {
        qsort(d, k, sizeof *d, mai_cmp_double);
        /* the mode of the sorted differences: longest run of equal values */
        size_t best = 0, run = 1;
        step = d[0];
        for (size_t i = 1; i <= k; i++) {
            if (i < k && d[i] == d[i - 1]) {
                run++;
                continue;
            }
            if (run > best) {
                best = run;
                step = d[i - 1];
            }
            run = 1;
        }
    }
    free(d);
    return step;
}

/* Sets y[0..n) to NaN: y[0], then copies doubling in size (a few memcpy calls, whatever n). */
static void fill_nan(double *y, size_t n)
{
    if (n == 0)
        return;
    y[0] = NAN;
    for (size_t k = 1; k < n; k *= 2)
        memcpy(y + k, y, (k < n - k ? k : n - k) * sizeof *y);
}

int csv_grid_size(const csv_series *s, double step, size_t *n)
{
    *n = 0;
    if (s->n == 0 || !(step > 0))
        return 0;
    double newest = s->t[0];
    for (size_t i = 1; i < s->n; i++)
        newest = s->t[i] > newest ? s->t[i] : newest;
    double span = floor((newest - s->t[0]) / step + 1e-9);
    if (!(span < CSV_GRID_MAX_POINTS))
        return -MAI_ETOOBIG;
    *n = (size_t)span + 1;
    return 0;
}

int csv_grid_build(const csv_series *s, double step, const char *path, FILE *warn,
                   csv_grid *out)
{
    memset(out, 0, sizeof *out);
    size_t n;
    int rc = csv_grid_size(s, step, &n);
    if (rc != 0 || n == 0)
        return rc;
    double t0 = s->t[0];
    out->y = malloc(n * sizeof *out->y);
    if (!out->y)
        return -MAI_ENOMEM;
    fill_nan(out->y, n);            /* a step no point falls in stays a gap */
    /* Kept points have increasing times, so their steps never go back: each step's mean is
     * complete when the next kept point falls in a later step. The work is per point, not per
     * step, however sparse the series. */
    double last_t = -INFINITY, last_v = NAN, sum = 0, cnt = 0;
    size_t cur = 0, filled = 0;
    for (size_t i = 0; i < s->n; i++) {
        double t = s->t[i], v = s->v[i];
        if (t < last_t) {
            if (warn)
                fprintf(warn, "%s:%u: timestamp %.17g goes back from %.17g: dropped as out of "
                        "order\n", path, s->line[i], t, last_t);
            continue;
        }
        if (t == last_t) {
            if (warn && memcmp(&v, &last_v, sizeof v) != 0)
                fprintf(warn, "%s:%u: timestamp %.17g repeated with another value: dropped\n",
                        path, s->line[i], t);
            continue;       /* an exact duplicate changes nothing */
        }
        last_t = t;
        last_v = v;
        if (!isfinite(v))
            continue;
        size_t b = (size_t)floor((t - t0) / step + 1e-9);
        if (cnt > 0 && b != cur) {
            out->y[cur] = sum / cnt;
            filled++;
            sum = cnt = 0;
        }
        cur = b;
        sum += v;
        cnt += 1;
    }
    if (cnt > 0) {
        out->y[cur] = sum / cnt;
        filled++;
    }
    size_t gaps = n - filled;
    if (warn && gaps)
        fprintf(warn, "%s: %zu of %zu steps of %.17gs have no point: gaps, bridged by the "
                "models\n", path, gaps, n, step);
    out->t0 = t0;
    out->step = step;
    out->n = n;
    return 0;
}

void csv_grid_free(csv_grid *g)
{
    free(g->y);
    memset(g, 0, sizeof *g);
}
