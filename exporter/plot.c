/* SPDX-License-Identifier: Apache-2.0
 * exporter/plot.c -- the chart renderer behind plot.h: layout, axes and ticks, series drawing
 * (decimated to per-pixel min/max when a series has more points than the plot is wide), the
 * "no data" chart, and the atomic file write; exporter/png.c encodes the image with its tEXt
 * "Title" chunk. Text uses
 * cairo's built-in font ("@cairo:"), so rendering needs no fontconfig or installed fonts. */
#include "exporter/plot.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exporter/png.h"

#define FONT "@cairo:sans-serif"

typedef struct rgb {
    double r, g, b;
} rgb;

static const rgb C_HIST = {0.122, 0.467, 0.706};    /* blue */
static const rgb C_FC = {1.0, 0.498, 0.055};        /* orange */
static const rgb C_ANOM = {0.839, 0.153, 0.157};    /* red */
static const rgb C_THRESH = {0.80, 0.10, 0.10};
static const rgb C_SPLIT = {0.35, 0.35, 0.35};
static const rgb C_GRID = {0.88, 0.88, 0.88};
static const rgb C_TEXT = {0.10, 0.10, 0.10};

/* one axis: data range, the unit's scale and the ticks */
typedef struct axis {
    double lo, hi;              /* data units shown */
    double div;                 /* data / div = displayed number */
    char suffix[24];            /* after the number: "%", " GiB", " MB/s" */
    double step;                /* tick step in displayed units */
    int decimals;
} axis;

/* pixel geometry */
typedef struct frame {
    double x0, y0, x1, y1;      /* plot area: x0 left, y0 top */
    double f;                   /* scale of fonts and margins for small images */
} frame;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void color(cairo_t *cr, rgb c, double a)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, a);
}

plot_spec plot_spec_init(const char *title, const char *unit, int width, int height)
{
    plot_spec s;
    memset(&s, 0, sizeof s);
    s.title = title;
    s.unit = unit;
    s.width = width;
    s.height = height;
    s.vline_t = NAN;
    s.x_min = NAN;
    s.x_max = NAN;
    for (size_t i = 0; i < PLOT_MAX_HLINES; i++)
        s.hlines[i].y = NAN;
    return s;
}

char *plot_sanitize(const char *name, char *buf, size_t len)
{
    if (!buf || !len)
        return buf;
    size_t o = 0;
    int only_dots = 1;
    for (const char *p = name ? name : ""; *p && o + 1 < len; p++) {
        unsigned char c = (unsigned char)*p;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '-';
        buf[o++] = ok ? (char)c : '_';
        if (c != '.')
            only_dots = 0;
    }
    buf[o] = '\0';
    if (o == 0) {
        if (len >= 2) {
            buf[0] = '_';
            buf[1] = '\0';
        }
    } else if (only_dots) {
        memset(buf, '_', o);
    }
    return buf;
}

/* ---- units and ticks ---- */

static int unit_is(const char *unit, const char *name)
{
    return unit && strcmp(unit, name) == 0;
}

/* "packets_per_second" -> "packets/s", "seconds_per_second" -> "s/s", "per_second" -> "/s",
 * "cores" -> "cores" */
static void unit_text(const char *unit, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!unit || !*unit)
        return;
    const char *per = strstr(unit, "per_second");
    if (per) {
        size_t head = (size_t)(per - unit);
        if (head > 0 && unit[head - 1] == '_')
            head--;
        if (head == 7 && strncmp(unit, "seconds", 7) == 0)
            snprintf(buf, len, "s/s");
        else
            snprintf(buf, len, "%.*s/s", (int)(head < 16 ? head : 16), unit);
    } else {
        snprintf(buf, len, "%.16s", unit);
    }
}

/* scale for values up to |m|: div and suffix */
static void unit_scale(const char *unit, double m, double *div, char *suffix, size_t len)
{
    m = fabs(m);
    if (!isfinite(m))
        m = 0;
    if (unit_is(unit, "ratio")) {
        *div = 0.01;
        snprintf(suffix, len, "%%");
        return;
    }
    if (unit_is(unit, "percent")) {
        *div = 1;
        snprintf(suffix, len, "%%");
        return;
    }
    int bytes = unit_is(unit, "bytes") || unit_is(unit, "bytes_per_second");
    if (bytes) {
        static const char *const iec[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int k = 0;
        double d = 1;
        while (k < 6 && m >= d * 1024) {
            d *= 1024;
            k++;
        }
        *div = d;
        snprintf(suffix, len, " %s%s", iec[k], unit_is(unit, "bytes") ? "" : "/s");
        return;
    }
    char ut[24];
    int seconds = unit_is(unit, "seconds");
    if (seconds)
        snprintf(ut, sizeof ut, "s");
    else
        unit_text(unit, ut, sizeof ut);
    static const char *const si[] = {"", "k", "M", "G", "T", "P", "E"};
    int k = 0;
    double d = 1;
    while (k < 6 && m >= d * 1000) {
        d *= 1000;
        k++;
    }
    const char *prefix = si[k];
    if (k == 0 && seconds && m > 0 && m < 1) {
        d = m < 1e-3 ? 1e-6 : 1e-3;
        prefix = m < 1e-3 ? "u" : "m";
    }
    *div = d;
    if (*prefix || *ut)
        snprintf(suffix, len, " %s%s", prefix, ut);
    else
        suffix[0] = '\0';
}

static int decimals_for(double step)
{
    int d = 0;
    double s = step;
    while (d < 6 && fabs(s - round(s)) > 1e-9 * fmax(1, fabs(s))) {
        s *= 10;
        d++;
    }
    return d;
}

void plot_format_value(const char *unit, double v, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    if (!isfinite(v)) {
        snprintf(buf, len, "%s", isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
        return;
    }
    double div;
    char suffix[24];
    unit_scale(unit, v, &div, suffix, sizeof suffix);
    double x = v / div;
    double ax = fabs(x);
    int dec = ax == 0 || ax >= 100 ? 0 : ax >= 10 ? 1 : 2;
    char num[64];
    snprintf(num, sizeof num, "%.*f", dec, x);
    /* drop trailing zeros after a decimal point */
    char *dot = strchr(num, '.');
    if (dot) {
        char *e = num + strlen(num) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    snprintf(buf, len, "%s%s", num, suffix);
}

/* a round step (1, 2, 2.5, 5 x 10^k) giving about target ticks over span */
static double nice_step(double span, int target)
{
    if (!(span > 0) || target < 1)
        return 1;
    double raw = span / target;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    double n = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return n * p;
}

/* fits ax to [lo, hi] with about target ticks */
static void axis_fit(axis *ax, const char *unit, double lo, double hi, int target)
{
    if (!(lo <= hi)) {
        lo = 0;
        hi = 1;
    }
    if (hi - lo <= fmax(fabs(hi), fabs(lo)) * 1e-12) {
        double d = lo != 0 ? fabs(lo) * 0.1 : 1;
        if (unit_is(unit, "ratio") && lo == 0)
            d = 0.01;
        lo -= d;
        hi += d;
    }
    double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
    unit_scale(unit, fmax(fabs(lo), fabs(hi)), &ax->div, ax->suffix, sizeof ax->suffix);
    double slo = lo / ax->div, shi = hi / ax->div;
    ax->step = nice_step(shi - slo, target);
    ax->decimals = decimals_for(ax->step);
    ax->lo = lo;
    ax->hi = hi;
}

double plot_time_step(double span_s, int width_px)
{
    static const double steps[] = {60,    120,   300,    600,    900,    1800,   3600,
                                   7200,  10800, 21600,  43200,  86400,  172800, 345600,
                                   604800, 1209600, 2419200};
    size_t n = sizeof steps / sizeof steps[0];
    int maxticks = width_px / 110;
    if (maxticks < 2)
        maxticks = 2;
    if (!(span_s > 0))
        return steps[0];
    for (size_t i = 0; i < n; i++)
        if (span_s / steps[i] <= maxticks)
            return steps[i];
    return steps[n - 1];
}

/* ---- text ---- */

static void font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

/* draws s with its anchor at (x, y): ha 0 left, 0.5 centre, 1 right; va 0 top, 0.5 middle,
 * 1 baseline-ish bottom */
static double text(cairo_t *cr, const char *s, double x, double y, double ha, double va)
{
    if (!s || !*s)
        return 0;
    cairo_text_extents_t e;
    cairo_font_extents_t fe;
    cairo_text_extents(cr, s, &e);
    cairo_font_extents(cr, &fe);
    double h = fe.ascent;
    cairo_move_to(cr, x - e.x_advance * ha, y + h * (1 - va));
    cairo_show_text(cr, s);
    return e.x_advance;
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s ? s : "", &e);
    return e.x_advance;
}

/* ---- mapping ---- */

static double px_x(const frame *fr, double lo, double hi, double x)
{
    return fr->x0 + (x - lo) / (hi - lo) * (fr->x1 - fr->x0);
}

static double px_y(const frame *fr, const axis *ay, double y)
{
    return fr->y1 - (y - ay->lo) / (ay->hi - ay->lo) * (fr->y1 - fr->y0);
}

/* ---- data ranges ---- */

typedef struct range {
    double lo, hi;
    size_t n;
} range;

static void range_add(range *r, double v)
{
    if (!isfinite(v))
        return;
    if (r->n == 0 || v < r->lo)
        r->lo = v;
    if (r->n == 0 || v > r->hi)
        r->hi = v;
    r->n++;
}

/* time extent of points with a finite value */
static void time_extent(range *r, const double *t, const double *v, size_t n)
{
    if (!t || !v)
        return;
    for (size_t i = 0; i < n; i++)
        if (isfinite(t[i]) && isfinite(v[i]))
            range_add(r, t[i]);
}

static void value_extent(range *r, const double *t, const double *v, size_t n, double tlo,
                         double thi)
{
    if (!t || !v)
        return;
    for (size_t i = 0; i < n; i++)
        if (t[i] >= tlo && t[i] <= thi)
            range_add(r, v[i]);
}

/* ---- drawing ---- */

/* a series as a line of width lw: a polyline through (t, v), broken at NaN; when the series has
 * more points than twice the plot width, a filled envelope instead (each pixel column's min and
 * max, widened by lw): the same picture as the dense line at a fraction of the stroke's cost */
static void draw_series(cairo_t *cr, const frame *fr, double tlo, double thi, const axis *ay,
                        const double *t, const double *v, size_t n, double lw)
{
    if (!t || !v || n == 0)
        return;
    double w = fr->x1 - fr->x0;
    if ((double)n <= 2 * w) {
        int pen = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(v[i])) {
                pen = 0;
                continue;
            }
            if (!(t[i] >= tlo && t[i] <= thi))
                continue;
            double x = px_x(fr, tlo, thi, t[i]), y = px_y(fr, ay, v[i]);
            if (pen)
                cairo_line_to(cr, x, y);
            else
                cairo_move_to(cr, x, y);
            pen = 1;
        }
        cairo_set_line_width(cr, lw);
        cairo_stroke(cr);
        return;
    }
    size_t ncol = (size_t)ceil(w) + 2;
    double *top = malloc(ncol * sizeof *top), *bot = malloc(ncol * sizeof *bot);
    unsigned char *brk = calloc(ncol, 1);
    if (!top || !bot || !brk) {
        free(top);
        free(bot);
        free(brk);
        return;
    }
    for (size_t c = 0; c < ncol; c++) {
        top[c] = INFINITY;      /* pixel y: smaller is higher */
        bot[c] = -INFINITY;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(t[i] >= tlo && t[i] <= thi))
            continue;
        double xc = floor(px_x(fr, tlo, thi, t[i]) - fr->x0);
        size_t c = xc < 0 ? 0 : xc >= (double)ncol ? ncol - 1 : (size_t)xc;
        if (!isfinite(v[i])) {
            brk[c] = 1;         /* a gap: the envelope ends after this column */
            continue;
        }
        double y = px_y(fr, ay, v[i]);
        if (y < top[c])
            top[c] = y;
        if (y > bot[c])
            bot[c] = y;
    }
    double h = lw / 2;
    size_t c = 0;
    while (c < ncol) {
        if (!(bot[c] >= top[c])) {
            c++;
            continue;
        }
        size_t e = c;
        while (e + 1 < ncol && bot[e + 1] >= top[e + 1] && !brk[e])
            e++;
        /* columns [c, e]: along the tops left to right, back along the bottoms */
        cairo_move_to(cr, fr->x0 + (double)c, top[c] - h);
        for (size_t k = c; k <= e; k++)
            cairo_line_to(cr, fr->x0 + (double)k + 0.5, top[k] - h);
        cairo_line_to(cr, fr->x0 + (double)e + 1, top[e] - h);
        cairo_line_to(cr, fr->x0 + (double)e + 1, bot[e] + h);
        for (size_t k = e + 1; k-- > c;)
            cairo_line_to(cr, fr->x0 + (double)k + 0.5, bot[k] + h);
        cairo_line_to(cr, fr->x0 + (double)c, bot[c] + h);
        cairo_close_path(cr);
        c = e + 1;
    }
    cairo_fill(cr);
    free(top);
    free(bot);
    free(brk);
}

/* filled band between lo and hi, split where either is missing */
static void path_band(cairo_t *cr, const frame *fr, double tlo, double thi, const axis *ay,
                      const double *t, const double *lo, const double *hi, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (!(t[i] >= tlo && t[i] <= thi) || !isfinite(lo[i]) || !isfinite(hi[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && t[j] >= tlo && t[j] <= thi && isfinite(lo[j]) && isfinite(hi[j]))
            j++;
        /* run [i, j) */
        cairo_move_to(cr, px_x(fr, tlo, thi, t[i]), px_y(fr, ay, hi[i]));
        size_t stride = (double)(j - i) > 2 * (fr->x1 - fr->x0)
                            ? (size_t)((double)(j - i) / (fr->x1 - fr->x0))
                            : 1;
        for (size_t k = i; k < j; k += stride)
            cairo_line_to(cr, px_x(fr, tlo, thi, t[k]), px_y(fr, ay, hi[k]));
        cairo_line_to(cr, px_x(fr, tlo, thi, t[j - 1]), px_y(fr, ay, hi[j - 1]));
        cairo_line_to(cr, px_x(fr, tlo, thi, t[j - 1]), px_y(fr, ay, lo[j - 1]));
        for (size_t k = j - 1;; k -= stride) {
            cairo_line_to(cr, px_x(fr, tlo, thi, t[k]), px_y(fr, ay, lo[k]));
            if (k < i + stride)
                break;
        }
        cairo_line_to(cr, px_x(fr, tlo, thi, t[i]), px_y(fr, ay, lo[i]));
        cairo_close_path(cr);
        i = j;
    }
}

static frame layout(const plot_spec *s)
{
    frame fr;
    double f = fmin(1.0, fmin(s->width / 640.0, s->height / 320.0));
    fr.f = f;
    fr.x0 = 86 * f;
    fr.x1 = s->width - 24 * f;
    fr.y0 = 44 * f;
    fr.y1 = s->height - 52 * f;
    if (fr.x1 - fr.x0 < 8) {
        fr.x0 = 2;
        fr.x1 = s->width - 2;
    }
    if (fr.y1 - fr.y0 < 8) {
        fr.y0 = 2;
        fr.y1 = s->height - 2;
    }
    return fr;
}

static void draw_title(cairo_t *cr, const plot_spec *s, const frame *fr)
{
    const char *t = s->title ? s->title : "";
    double size = 17 * fr->f;
    font(cr, size, 1);
    while (size > 6 && text_width(cr, t) > s->width - 8) {
        size -= 1;
        font(cr, size, 1);
    }
    color(cr, C_TEXT, 1);
    text(cr, t, s->width / 2.0, 10 * fr->f, 0.5, 0);
}

static void draw_frame(cairo_t *cr, const frame *fr)
{
    cairo_set_line_width(cr, 1);
    color(cr, C_TEXT, 1);
    cairo_rectangle(cr, floor(fr->x0) + 0.5, floor(fr->y0) + 0.5, floor(fr->x1 - fr->x0),
                    floor(fr->y1 - fr->y0));
    cairo_stroke(cr);
}

static void draw_y_axis(cairo_t *cr, const frame *fr, const axis *ay, const char *caption)
{
    font(cr, 11 * fr->f, 0);
    double first = ceil(ay->lo / ay->div / ay->step - 1e-9) * ay->step;
    for (int k = 0; k < 200; k++) {
        double sv = first + k * ay->step;
        double v = sv * ay->div;
        if (v > ay->hi)
            break;
        double y = floor(px_y(fr, ay, v)) + 0.5;
        color(cr, C_GRID, 1);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, fr->x0, y);
        cairo_line_to(cr, fr->x1, y);
        cairo_stroke(cr);
        char b[64];
        double shown = fabs(sv) < ay->step * 1e-9 ? 0 : sv;
        snprintf(b, sizeof b, "%.*f%s", ay->decimals, shown, ay->suffix);
        color(cr, C_TEXT, 1);
        text(cr, b, fr->x0 - 6 * fr->f, y, 1, 0.5);
    }
    if (caption && *caption) {
        cairo_save(cr);
        cairo_translate(cr, 12 * fr->f, (fr->y0 + fr->y1) / 2);
        cairo_rotate(cr, -M_PI / 2);
        text(cr, caption, 0, 0, 0.5, 0.5);
        cairo_restore(cr);
    }
}

static void draw_time_axis(cairo_t *cr, const frame *fr, double tlo, double thi)
{
    font(cr, 11 * fr->f, 0);
    double step = plot_time_step(thi - tlo, (int)(fr->x1 - fr->x0));
    double first = ceil(tlo / step) * step;
    for (int k = 0; k < 400; k++) {
        double t = first + k * step;
        if (t > thi)
            break;
        double x = floor(px_x(fr, tlo, thi, t)) + 0.5;
        color(cr, C_GRID, 1);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, x, fr->y0);
        cairo_line_to(cr, x, fr->y1);
        cairo_stroke(cr);
        time_t tt = (time_t)t;
        struct tm tm;
        char b[32];
        if (!gmtime_r(&tt, &tm))
            continue;
        strftime(b, sizeof b, step >= 86400 ? "%m-%d" : "%m-%d %H:%M", &tm);
        color(cr, C_TEXT, 1);
        text(cr, b, x, fr->y1 + 6 * fr->f, 0.5, 0);
    }
    text(cr, "time (UTC)", (fr->x0 + fr->x1) / 2, fr->y1 + 26 * fr->f, 0.5, 0);
}

static void draw_x_value_axis(cairo_t *cr, const frame *fr, const axis *ax, const char *caption)
{
    font(cr, 11 * fr->f, 0);
    double first = ceil(ax->lo / ax->div / ax->step - 1e-9) * ax->step;
    for (int k = 0; k < 200; k++) {
        double sv = first + k * ax->step;
        double v = sv * ax->div;
        if (v > ax->hi)
            break;
        double x = floor(px_x(fr, ax->lo, ax->hi, v)) + 0.5;
        color(cr, C_GRID, 1);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, x, fr->y0);
        cairo_line_to(cr, x, fr->y1);
        cairo_stroke(cr);
        char b[64];
        double shown = fabs(sv) < ax->step * 1e-9 ? 0 : sv;
        snprintf(b, sizeof b, "%.*f%s", ax->decimals, shown, ax->suffix);
        color(cr, C_TEXT, 1);
        text(cr, b, x, fr->y1 + 6 * fr->f, 0.5, 0);
    }
    if (caption && *caption)
        text(cr, caption, (fr->x0 + fr->x1) / 2, fr->y1 + 26 * fr->f, 0.5, 0);
}

typedef enum swatch { SW_LINE, SW_DASH, SW_FILL, SW_DOT } swatch;

typedef struct legend_item {
    const char *label;
    rgb c;
    swatch kind;
} legend_item;

static void draw_legend(cairo_t *cr, const frame *fr, const legend_item *it, size_t n)
{
    size_t shown = 0;
    double wmax = 0;
    font(cr, 11 * fr->f, 0);
    for (size_t i = 0; i < n; i++) {
        if (!it[i].label || !*it[i].label)
            continue;
        shown++;
        wmax = fmax(wmax, text_width(cr, it[i].label));
    }
    if (!shown)
        return;
    double lh = 16 * fr->f, sw = 22 * fr->f, pad = 6 * fr->f;
    double bx = fr->x0 + 8 * fr->f, by = fr->y0 + 8 * fr->f;
    double bw = pad * 3 + sw + wmax, bh = pad * 2 + lh * (double)shown;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_fill_preserve(cr);
    color(cr, C_GRID, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    double y = by + pad + lh / 2;
    for (size_t i = 0; i < n; i++) {
        if (!it[i].label || !*it[i].label)
            continue;
        double sx = bx + pad;
        color(cr, it[i].c, it[i].kind == SW_FILL ? 0.3 : 1);
        switch (it[i].kind) {
        case SW_FILL:
            cairo_rectangle(cr, sx, y - lh * 0.3, sw, lh * 0.6);
            cairo_fill(cr);
            break;
        case SW_DOT:
            cairo_arc(cr, sx + sw / 2, y, 4 * fr->f + 1, 0, 2 * M_PI);
            cairo_fill(cr);
            break;
        case SW_LINE:
        case SW_DASH: {
            double d[] = {5, 3};
            cairo_set_dash(cr, d, it[i].kind == SW_DASH ? 2 : 0, 0);
            cairo_set_line_width(cr, 2);
            cairo_move_to(cr, sx, y);
            cairo_line_to(cr, sx + sw, y);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
            break;
        }
        }
        color(cr, C_TEXT, 1);
        text(cr, it[i].label, sx + sw + pad, y, 0, 0.5);
        y += lh;
    }
}

static void draw_no_data(cairo_t *cr, const frame *fr)
{
    draw_frame(cr, fr);
    font(cr, 28 * fr->f + 4, 1);
    cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
    text(cr, "no data", (fr->x0 + fr->x1) / 2, (fr->y0 + fr->y1) / 2, 0.5, 0.5);
}

static int render_time(cairo_t *cr, const plot_spec *s, const frame *fr)
{
    /* x window: the data's extent, narrowed by x_min/x_max */
    range tr = {0, 0, 0};
    time_extent(&tr, s->hist_t, s->hist_v, s->hist_n);
    time_extent(&tr, s->fc_t, s->fc_mean, s->fc_n);
    double tlo = isfinite(s->x_min) ? fmax(s->x_min, tr.n ? tr.lo : s->x_min) : tr.lo;
    double thi = isfinite(s->x_max) ? fmin(s->x_max, tr.n ? tr.hi : s->x_max) : tr.hi;
    range vr = {0, 0, 0};
    if (tr.n) {
        value_extent(&vr, s->hist_t, s->hist_v, s->hist_n, tlo, thi);
        value_extent(&vr, s->fc_t, s->fc_mean, s->fc_n, tlo, thi);
    }
    if (vr.n == 0)
        return 0;
    value_extent(&vr, s->fc_t, s->fc_lower, s->fc_n, tlo, thi);
    value_extent(&vr, s->fc_t, s->fc_upper, s->fc_n, tlo, thi);
    value_extent(&vr, s->anom_t, s->anom_v, s->anom_n, tlo, thi);
    size_t nh = s->n_hlines < PLOT_MAX_HLINES ? s->n_hlines : PLOT_MAX_HLINES;
    for (size_t i = 0; i < nh; i++)
        range_add(&vr, s->hlines[i].y);
    if (!(thi > tlo)) {
        /* one instant: widen by a minute each side */
        tlo -= 60;
        thi += 60;
    }
    axis ay;
    axis_fit(&ay, s->unit, vr.lo, vr.hi, (int)fmax(2, (fr->y1 - fr->y0) / 45));

    draw_y_axis(cr, fr, &ay, NULL);
    draw_time_axis(cr, fr, tlo, thi);

    cairo_save(cr);
    cairo_rectangle(cr, fr->x0, fr->y0, fr->x1 - fr->x0, fr->y1 - fr->y0);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);

    if (s->fc_t && s->fc_lower && s->fc_upper && s->fc_n) {
        color(cr, C_FC, 0.25);
        path_band(cr, fr, tlo, thi, &ay, s->fc_t, s->fc_lower, s->fc_upper, s->fc_n);
        cairo_fill(cr);
    }
    color(cr, C_HIST, 1);
    draw_series(cr, fr, tlo, thi, &ay, s->hist_t, s->hist_v, s->hist_n, 1.5);
    color(cr, C_FC, 1);
    draw_series(cr, fr, tlo, thi, &ay, s->fc_t, s->fc_mean, s->fc_n, 2);

    /* threshold lines */
    font(cr, 11 * fr->f, 0);
    for (size_t i = 0; i < nh; i++) {
        if (!isfinite(s->hlines[i].y))
            continue;
        double y = px_y(fr, &ay, s->hlines[i].y);
        double d[] = {6, 4};
        color(cr, C_THRESH, 1);
        cairo_set_dash(cr, d, 2, 0);
        cairo_set_line_width(cr, 1.5);
        cairo_move_to(cr, fr->x0, y);
        cairo_line_to(cr, fr->x1, y);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        text(cr, s->hlines[i].label, fr->x1 - 6 * fr->f, y - 3, 1, 1);
    }
    /* split line */
    if (isfinite(s->vline_t) && s->vline_t >= tlo && s->vline_t <= thi) {
        double x = px_x(fr, tlo, thi, s->vline_t);
        double d[] = {4, 4};
        color(cr, C_SPLIT, 1);
        cairo_set_dash(cr, d, 2, 0);
        cairo_set_line_width(cr, 1.2);
        cairo_move_to(cr, x, fr->y0);
        cairo_line_to(cr, x, fr->y1);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        if (s->vline_label) {
            double w = text_width(cr, s->vline_label);
            int right = x + 4 + w < fr->x1;
            text(cr, s->vline_label, right ? x + 4 : x - 4, fr->y0 + 4, right ? 0 : 1, 0);
        }
    }
    /* anomalies */
    if (s->anom_t && s->anom_v) {
        color(cr, C_ANOM, 1);
        for (size_t i = 0; i < s->anom_n; i++) {
            if (!(s->anom_t[i] >= tlo && s->anom_t[i] <= thi) || !isfinite(s->anom_v[i]))
                continue;
            double x = px_x(fr, tlo, thi, s->anom_t[i]), y = px_y(fr, &ay, s->anom_v[i]);
            cairo_new_sub_path(cr);
            cairo_arc(cr, x, y, 3.5 * fr->f + 1, 0, 2 * M_PI);
        }
        cairo_fill(cr);
    }
    cairo_restore(cr);

    legend_item items[] = {
        {s->hist_label, C_HIST, SW_LINE},
        {s->fc_label, C_FC, SW_LINE},
        {s->band_label, C_FC, SW_FILL},
        {s->anom_label, C_ANOM, SW_DOT},
    };
    draw_legend(cr, fr, items, sizeof items / sizeof items[0]);
    draw_frame(cr, fr);
    return 1;
}

static int render_scatter(cairo_t *cr, const plot_spec *s, const frame *fr)
{
    range xr = {0, 0, 0}, yr = {0, 0, 0};
    for (size_t i = 0; i < s->n_points; i++) {
        if (!isfinite(s->points[i].x) || !isfinite(s->points[i].y))
            continue;
        range_add(&xr, s->points[i].x);
        range_add(&yr, s->points[i].y);
    }
    if (xr.n == 0)
        return 0;
    size_t nh = s->n_hlines < PLOT_MAX_HLINES ? s->n_hlines : PLOT_MAX_HLINES;
    for (size_t i = 0; i < nh; i++)
        range_add(&yr, s->hlines[i].y);
    axis ax, ay;
    axis_fit(&ax, s->x_unit, xr.lo, xr.hi, (int)fmax(2, (fr->x1 - fr->x0) / 90));
    axis_fit(&ay, s->unit, yr.lo, yr.hi, (int)fmax(2, (fr->y1 - fr->y0) / 45));
    draw_y_axis(cr, fr, &ay, s->y_title);
    draw_x_value_axis(cr, fr, &ax, s->x_title);

    cairo_save(cr);
    cairo_rectangle(cr, fr->x0, fr->y0, fr->x1 - fr->x0, fr->y1 - fr->y0);
    cairo_clip(cr);
    font(cr, 11 * fr->f, 0);
    for (size_t i = 0; i < nh; i++) {
        if (!isfinite(s->hlines[i].y))
            continue;
        double y = px_y(fr, &ay, s->hlines[i].y);
        double d[] = {6, 4};
        color(cr, C_THRESH, 1);
        cairo_set_dash(cr, d, 2, 0);
        cairo_set_line_width(cr, 1.5);
        cairo_move_to(cr, fr->x0, y);
        cairo_line_to(cr, fr->x1, y);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        text(cr, s->hlines[i].label, fr->x1 - 6 * fr->f, y - 3, 1, 1);
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->n_points; i++) {
            const plot_point *p = &s->points[i];
            if (!isfinite(p->x) || !isfinite(p->y) || (p->flagged != 0) != pass)
                continue;
            double x = px_x(fr, ax.lo, ax.hi, p->x), y = px_y(fr, &ay, p->y);
            cairo_new_sub_path(cr);
            cairo_arc(cr, x, y, (pass ? 6 : 4.5) * fr->f + 1, 0, 2 * M_PI);
            color(cr, pass ? C_ANOM : C_HIST, pass ? 0.95 : 0.75);
            cairo_fill(cr);
            if (pass && p->label) {
                color(cr, C_TEXT, 1);
                double w = text_width(cr, p->label);
                int right = x + 9 + w < fr->x1;
                text(cr, p->label, right ? x + 9 : x - 9, y, right ? 0 : 1, 0.5);
            }
        }
    }
    cairo_restore(cr);
    legend_item items[] = {
        {s->hist_label, C_HIST, SW_DOT},
        {s->anom_label, C_ANOM, SW_DOT},
    };
    draw_legend(cr, fr, items, 2);
    draw_frame(cr, fr);
    return 1;
}

struct plot_ctx {
    cairo_surface_t *sf;
    png_work pw;
};

plot_ctx *plot_ctx_new(void)
{
    return calloc(1, sizeof(plot_ctx));
}

void plot_ctx_free(plot_ctx *c)
{
    if (!c)
        return;
    if (c->sf)
        cairo_surface_destroy(c->sf);
    png_work_free(&c->pw);
    free(c);
}

/* renders s into c's surface and encodes it; *out points into c */
static int render(plot_ctx *c, const plot_spec *s, const uint8_t **out, size_t *outlen,
                  char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    *outlen = 0;
    if (!s || s->width < PLOT_MIN_SIZE || s->width > PLOT_MAX_SIZE ||
        s->height < PLOT_MIN_SIZE || s->height > PLOT_MAX_SIZE) {
        set_err(err, errlen, "plot: size %dx%d out of range (%d..%d)", s ? s->width : 0,
                s ? s->height : 0, PLOT_MIN_SIZE, PLOT_MAX_SIZE);
        return -1;
    }
    if (c->sf && (cairo_image_surface_get_width(c->sf) != s->width ||
                  cairo_image_surface_get_height(c->sf) != s->height)) {
        cairo_surface_destroy(c->sf);
        c->sf = NULL;
    }
    if (!c->sf) {
        c->sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s->width, s->height);
        if (cairo_surface_status(c->sf) != CAIRO_STATUS_SUCCESS) {
            cairo_surface_destroy(c->sf);
            c->sf = NULL;
            set_err(err, errlen, "plot: cannot create a %dx%d image", s->width, s->height);
            return -1;
        }
    }
    cairo_t *cr = cairo_create(c->sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    frame fr = layout(s);
    draw_title(cr, s, &fr);
    int drawn = s->points ? render_scatter(cr, s, &fr) : render_time(cr, s, &fr);
    if (!drawn)
        draw_no_data(cr, &fr);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st != CAIRO_STATUS_SUCCESS) {
        set_err(err, errlen, "plot: cannot render: %s", cairo_status_to_string(st));
        return -1;
    }
    cairo_surface_flush(c->sf);
    if (png_encode(&c->pw, cairo_image_surface_get_data(c->sf), s->width, s->height,
                   cairo_image_surface_get_stride(c->sf), "Title", s->title ? s->title : "", out,
                   outlen) != 0) {
        set_err(err, errlen, "plot: cannot encode: out of memory");
        return -1;
    }
    return 0;
}

int plot_render_png(const plot_spec *s, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    plot_ctx c;
    memset(&c, 0, sizeof c);
    const uint8_t *p;
    size_t n;
    int rc = render(&c, s, &p, &n, err, errlen);
    if (rc == 0) {
        *out = malloc(n);
        if (*out) {
            memcpy(*out, p, n);
            *outlen = n;
        } else {
            set_err(err, errlen, "plot: cannot render: out of memory");
            rc = -1;
        }
    }
    if (c.sf)
        cairo_surface_destroy(c.sf);
    png_work_free(&c.pw);
    return rc;
}

int plot_write_png(const plot_spec *s, const char *path, char *err, size_t errlen)
{
    return plot_write_png_ctx(NULL, s, path, err, errlen);
}

int plot_write_png_ctx(plot_ctx *ctx, const plot_spec *s, const char *path, char *err,
                       size_t errlen)
{
    if (!path || !*path) {
        set_err(err, errlen, "plot: empty file name");
        return -1;
    }
    plot_ctx local;
    memset(&local, 0, sizeof local);
    plot_ctx *c = ctx ? ctx : &local;
    const uint8_t *png;
    size_t n;
    int rc = -1, e = 0;
    char *tmp = NULL;
    if (render(c, s, &png, &n, err, errlen) != 0)
        goto out;
    /* temporary file beside path: dir/.base.XXXXXX */
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    size_t tlen = strlen(path) + sizeof ".XXXXXX" + 1;
    tmp = malloc(tlen);
    if (!tmp) {
        set_err(err, errlen, "plot: cannot write %s: %s", path, strerror(ENOMEM));
        goto out;
    }
    snprintf(tmp, tlen, "%.*s.%s.XXXXXX", (int)dl, path, base);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        e = errno;
    } else {
        (void)fchmod(fd, 0644);
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(fd, png + off, n - off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                e = errno;
                break;
            }
            off += (size_t)w;
        }
        if (close(fd) != 0 && !e)
            e = errno;
        if (!e && rename(tmp, path) != 0)
            e = errno;
        if (e)
            unlink(tmp);
        else
            rc = 0;
    }
    if (rc != 0)
        set_err(err, errlen, "plot: cannot write %s: %s", path, strerror(e ? e : EIO));
out:
    free(tmp);
    if (c == &local) {
        if (local.sf)
            cairo_surface_destroy(local.sf);
        png_work_free(&local.pw);
    }
    return rc;
}
