/* SPDX-License-Identifier: Apache-2.0
 * adapter/pull.c -- the query_range pull client (see pull.h): answer parsing into an rw_request,
 * range planning and URLs (no I/O), then the libcurl transport with retries and the backfill
 * loop that feeds store_ingest(). */
#include "adapter/pull.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/log.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes one line into err (control bytes become spaces) and returns code. */
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        for (char *p = err; *p; p++)
            if ((unsigned char)*p < 0x20)
                *p = ' ';
    }
    return code;
}

/* ---- answer parsing --------------------------------------------------------------------- */

void pull_matrix_init(pull_matrix *m)
{
    memset(m, 0, sizeof *m);
}

void pull_matrix_free(pull_matrix *m)
{
    free(m->req.series);
    free(m->req.labels);
    free(m->req.samples);
    cJSON_Delete(m->tree);
    pull_matrix_init(m);
}

/* A series while parsing: its labels (sorted) and samples in the staging arrays. */
typedef struct staged {
    const rw_label *labels;
    uint32_t nlabels, label0;
    uint32_t sample0, nsamples;
    uint32_t order;             /* position in the answer: earlier wins a timestamp tie */
    uint8_t invalid;
} staged;

static int cmp_label(const void *a, const void *b)
{
    const rw_label *x = a, *y = b;
    int c = mai_str_cmp(x->name, y->name);
    return c ? c : mai_str_cmp(x->value, y->value);
}

static int cmp_labelset(const staged *x, const staged *y)
{
    uint32_t n = x->nlabels < y->nlabels ? x->nlabels : y->nlabels;
    for (uint32_t i = 0; i < n; i++) {
        int c = cmp_label(&x->labels[i], &y->labels[i]);
        if (c)
            return c;
    }
    return (x->nlabels > y->nlabels) - (x->nlabels < y->nlabels);
}

static int cmp_staged(const void *a, const void *b)
{
    const staged *x = a, *y = b;
    int c = cmp_labelset(x, y);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

typedef struct ordered_sample {
    rw_sample s;
    uint32_t order;
} ordered_sample;

static int cmp_ordered(const void *a, const void *b)
{
    const ordered_sample *x = a, *y = b;
    if (x->s.t_ms != y->s.t_ms)
        return x->s.t_ms < y->s.t_ms ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static mai_str view(const char *s)
{
    mai_str v = {s, (uint32_t)strlen(s)};
    return v;
}

/* A sample value: a decimal string, "NaN", "+Inf", "-Inf" (a JSON number is taken too). */
static int parse_value(const cJSON *j, double *out)
{
    if (cJSON_IsNumber(j)) {
        *out = j->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(j) || !j->valuestring[0])
        return -1;
    char *end;
    errno = 0;
    double v = strtod(j->valuestring, &end);
    if (*end != '\0' || end == j->valuestring)
        return -1;
    *out = isnan(v) ? (double)NAN : v;  /* a plain quiet NaN, never the stale marker's bits */
    return 0;
}

/* Labels of one series into lab (room for the metric object's size + 1), sorted, empty values
 * dropped, __name__ replaced by name when given. Returns the count; *invalid gets a reason. */
static uint32_t take_labels(const cJSON *metric, const char *name, const rw_limits *lim,
                            rw_label *lab, uint8_t *invalid, int *bad)
{
    uint32_t n = 0;
    int has_name = 0;
    *invalid = RW_VALID;
    *bad = 0;
    for (const cJSON *l = metric ? metric->child : NULL; l; l = l->next) {
        if (!cJSON_IsString(l) || !l->string) {
            *bad = 1;
            return 0;
        }
        if (name && strcmp(l->string, "__name__") == 0)
            continue;
        if (!l->valuestring[0])
            continue;
        if (strcmp(l->string, "__name__") == 0)
            has_name = 1;
        lab[n].name = view(l->string);
        lab[n].value = view(l->valuestring);
        n++;
    }
    if (name) {
        lab[n].name = view("__name__");
        lab[n].value = view(name);
        n++;
        has_name = 1;
    }
    qsort(lab, n, sizeof *lab, cmp_label);
    if (!has_name)
        *invalid = RW_INVALID_NO_NAME;
    for (uint32_t i = 0; i < n && *invalid == RW_VALID; i++) {
        if (lab[i].name.n == 0)
            *invalid = RW_INVALID_EMPTY_LABEL_NAME;
        else if (i > 0 && mai_str_eq(lab[i].name, lab[i - 1].name))
            *invalid = RW_INVALID_DUPLICATE_LABEL;
        else if (lim && lim->max_label_bytes &&
                 (lab[i].name.n > lim->max_label_bytes || lab[i].value.n > lim->max_label_bytes))
            *invalid = RW_INVALID_LABEL_TOO_LONG;
    }
    if (*invalid == RW_VALID && lim && lim->max_labels_per_series &&
        n > lim->max_labels_per_series)
        *invalid = RW_INVALID_TOO_MANY_LABELS;
    return n;
}

/* Checks the envelope; *result gets data.result. */
static int check_envelope(const cJSON *root, const cJSON **result, char *err, size_t errlen)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (!cJSON_IsString(status))
        return fail(err, errlen, -MAI_EPROTO, "answer has no \"status\" string");
    if (strcmp(status->valuestring, "success") != 0) {
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(root, "errorType");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        return fail(err, errlen, -MAI_EPROTO, "server answered status \"%.32s\": %.64s%s%.300s",
                    status->valuestring, cJSON_IsString(et) ? et->valuestring : "",
                    cJSON_IsString(et) ? ": " : "",
                    cJSON_IsString(e) ? e->valuestring : "(no error text)");
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(data, "resultType");
    if (!cJSON_IsObject(data) || !cJSON_IsString(type))
        return fail(err, errlen, -MAI_EPROTO, "answer has no data.resultType");
    if (strcmp(type->valuestring, "matrix") != 0)
        return fail(err, errlen, -MAI_EPROTO,
                    "resultType is \"%.32s\", expected \"matrix\" (a range query answer)",
                    type->valuestring);
    *result = cJSON_GetObjectItemCaseSensitive(data, "result");
    if (!cJSON_IsArray(*result))
        return fail(err, errlen, -MAI_EPROTO, "answer has no data.result array");
    return 0;
}

/* Merges the sorted staged series into m->req (labels are already in m->req.labels). */
static int emit(pull_matrix *m, staged *st, uint32_t ns, const rw_sample *samples)
{
    rw_request *r = &m->req;
    r->series = calloc(ns ? ns : 1, sizeof *r->series);
    r->samples = malloc((m->points ? m->points : 1) * sizeof *r->samples);
    ordered_sample *tmp = NULL;
    size_t tmp_cap = 0;
    if (!r->series || !r->samples)
        return -MAI_ENOMEM;
    uint32_t out = 0;
    for (uint32_t i = 0; i < ns;) {
        uint32_t j = i + 1;
        while (j < ns && cmp_labelset(&st[i], &st[j]) == 0)
            j++;
        rw_series *se = &r->series[r->nseries++];
        se->label0 = st[i].label0;
        se->nlabels = st[i].nlabels;
        se->sample0 = out;
        se->meta_type = -1;
        se->invalid = st[i].invalid;
        if (j == i + 1) {
            memcpy(r->samples + out, samples + st[i].sample0, st[i].nsamples * sizeof *samples);
            out += st[i].nsamples;
        } else {    /* the same label set more than once: merge in time order */
            size_t total = 0;
            for (uint32_t k = i; k < j; k++)
                total += st[k].nsamples;
            if (total > tmp_cap) {
                ordered_sample *g = realloc(tmp, total * sizeof *tmp);
                if (!g) {
                    free(tmp);
                    return -MAI_ENOMEM;
                }
                tmp = g;
                tmp_cap = total;
            }
            size_t t = 0;
            for (uint32_t k = i; k < j; k++)
                for (uint32_t q = 0; q < st[k].nsamples; q++)
                    tmp[t++] = (ordered_sample){samples[st[k].sample0 + q], st[k].order};
            qsort(tmp, total, sizeof *tmp, cmp_ordered);
            for (size_t q = 0; q < total; q++)
                if (q == 0 || tmp[q].s.t_ms != tmp[q - 1].s.t_ms)
                    r->samples[out++] = tmp[q].s;
            m->merged += j - i - 1;
        }
        se->nsamples = out - se->sample0;
        if (se->invalid) {
            r->invalid_series++;
            r->invalid_samples += se->nsamples;
            r->invalid_by_reason[se->invalid]++;
        }
        i = j;
    }
    free(tmp);
    r->nsamples = out;
    m->points = out;
    return 0;
}

int pull_parse_matrix(pull_matrix *m, const char *body, size_t n, const char *name,
                      const rw_limits *lim, char *err, size_t errlen)
{
    pull_matrix_free(m);
    cJSON *root = cJSON_ParseWithLength(body, n);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= body && at <= body + n ? (size_t)(at - body) : 0;
        return fail(err, errlen, -MAI_EPROTO, "answer is not valid JSON (near byte %zu of %zu)",
                    off, n);
    }
    m->tree = root;
    const cJSON *result = NULL;
    int rc = check_envelope(root, &result, err, errlen);
    if (rc != 0) {
        pull_matrix_free(m);
        return rc;
    }

    /* sizes first, so the arrays are allocated once */
    size_t ns = 0, nl = 0, np = 0, i = 0;
    for (const cJSON *s = result->child; s; s = s->next, i++) {
        const cJSON *metric = cJSON_GetObjectItemCaseSensitive(s, "metric");
        const cJSON *values = cJSON_GetObjectItemCaseSensitive(s, "values");
        if (!cJSON_IsObject(metric) || !cJSON_IsArray(values)) {
            pull_matrix_free(m);
            return fail(err, errlen, -MAI_EPROTO,
                        "series %zu has no \"metric\" object or no \"values\" array", i);
        }
        ns++;
        nl += (size_t)cJSON_GetArraySize(metric) + 1;
        np += (size_t)cJSON_GetArraySize(values);
    }
    if (ns > UINT32_MAX / 2 || nl > UINT32_MAX / 2 || np > UINT32_MAX / 2) {
        pull_matrix_free(m);
        return fail(err, errlen, -MAI_EPROTO, "answer too large (%zu series, %zu points)", ns, np);
    }
    staged *st = calloc(ns ? ns : 1, sizeof *st);
    rw_sample *samples = malloc((np ? np : 1) * sizeof *samples);
    m->req.labels = malloc((nl ? nl : 1) * sizeof *m->req.labels);
    if (!st || !samples || !m->req.labels) {
        free(st);
        free(samples);
        pull_matrix_free(m);
        return -MAI_ENOMEM;
    }

    uint32_t kept = 0, lab_used = 0, smp_used = 0;
    i = 0;
    for (const cJSON *s = result->child; s; s = s->next, i++) {
        const cJSON *metric = cJSON_GetObjectItemCaseSensitive(s, "metric");
        const cJSON *values = cJSON_GetObjectItemCaseSensitive(s, "values");
        uint8_t invalid;
        int bad;
        uint32_t nlab = take_labels(metric, name, lim, m->req.labels + lab_used, &invalid, &bad);
        if (bad) {
            rc = fail(err, errlen, -MAI_EPROTO, "series %zu: a label value is not a string", i);
            goto out;
        }
        uint32_t s0 = smp_used, k = 0;
        for (const cJSON *p = values->child; p; p = p->next, k++) {
            const cJSON *ts = cJSON_GetArrayItem(p, 0), *val = cJSON_GetArrayItem(p, 1);
            double v;
            if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 || !cJSON_IsNumber(ts) ||
                !isfinite(ts->valuedouble) || fabs(ts->valuedouble) > 1e13 ||
                parse_value(val, &v) != 0) {
                rc = fail(err, errlen, -MAI_EPROTO,
                          "series %zu, point %u: expected [unix seconds, \"value\"]", i, k);
                goto out;
            }
            int64_t t = (int64_t)llround(ts->valuedouble * 1000.0);
            if (k > 0 && t <= samples[smp_used - 1].t_ms) {
                rc = fail(err, errlen, -MAI_EPROTO,
                          "series %zu, point %u: timestamps not increasing", i, k);
                goto out;
            }
            samples[smp_used++] = (rw_sample){.v = v, .t_ms = t};
        }
        if (invalid == RW_INVALID_NO_NAME) {    /* an expression's answer with no name given */
            m->unnamed++;
            smp_used = s0;
            continue;
        }
        st[kept++] = (staged){.labels = m->req.labels + lab_used, .nlabels = nlab,
                              .label0 = lab_used, .sample0 = s0, .nsamples = smp_used - s0,
                              .order = (uint32_t)i, .invalid = invalid};
        lab_used += nlab;
    }
    m->req.nlabels = lab_used;
    m->points = smp_used;
    qsort(st, kept, sizeof *st, cmp_staged);
    rc = emit(m, st, kept, samples);
out:
    free(st);
    free(samples);
    if (rc != 0)
        pull_matrix_free(m);
    return rc;
}

void pull_error_text(const char *body, size_t n, char *out, size_t outlen)
{
    if (!outlen)
        return;
    out[0] = '\0';
    cJSON *root = body && n ? cJSON_ParseWithLength(body, n) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *et = cJSON_GetObjectItemCaseSensitive(root, "errorType");
    /* VictoriaMetrics puts the HTTP status in errorType: not worth repeating */
    int type = cJSON_IsString(et) && et->valuestring[0] &&
               strspn(et->valuestring, "0123456789") != strlen(et->valuestring);
    if (cJSON_IsString(e)) {
        snprintf(out, outlen, "%.64s%s%.300s", type ? et->valuestring : "", type ? ": " : "",
                 e->valuestring);
    } else if (body && n) {
        size_t k = 0;
        while (k < n && k < 200 && k + 1 < outlen && body[k] != '\n' && body[k] != '\r') {
            out[k] = body[k];
            k++;
        }
        out[k] = '\0';
    }
    cJSON_Delete(root);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}

/* ---- planning and URLs ------------------------------------------------------------------ */

int pull_endpoint(const char *vm_url, char *out, size_t outlen)
{
    static const char suffix[] = "/api/v1/query_range";
    const char *q = strchr(vm_url, '?');
    size_t path = q ? (size_t)(q - vm_url) : strlen(vm_url);
    const char *rest = q ? q : "";
    size_t sl = sizeof suffix - 1;
    int n;
    if (path >= sl && memcmp(vm_url + path - sl, suffix, sl) == 0) {
        n = snprintf(out, outlen, "%s", vm_url);
    } else {
        while (path > 0 && vm_url[path - 1] == '/')
            path--;
        n = snprintf(out, outlen, "%.*s%s%s", (int)path, vm_url, suffix, rest);
    }
    return n < 0 || (size_t)n >= outlen ? -MAI_EINVAL : 0;
}

void pull_url_shown(const char *url, char *out, size_t outlen)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    size_t hostpart = strcspn(host, "/?#");
    const char *at = memchr(host, '@', hostpart);
    if (!at) {
        snprintf(out, outlen, "%s", url);
        return;
    }
    snprintf(out, outlen, "%.*s***@%s", (int)(host - url), url, at + 1);
}

int pull_query_url(const char *endpoint, const char *query, int64_t start_s, int64_t end_s,
                   int64_t step_s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    int n = snprintf(out, outlen, "%s%cquery=", endpoint, strchr(endpoint, '?') ? '&' : '?');
    if (n < 0 || (size_t)n >= outlen)
        return -MAI_EINVAL;
    size_t o = (size_t)n;
    for (const unsigned char *p = (const unsigned char *)query; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (o + 4 >= outlen)
            return -MAI_EINVAL;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    n = snprintf(out + o, outlen - o, "&start=%lld&end=%lld&step=%lld", (long long)start_s,
                 (long long)end_s, (long long)step_s);
    return n < 0 || (size_t)n >= outlen - o ? -MAI_EINVAL : 0;
}

int pull_signal_query(const signal_def *sig, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s or (%s)", sig->record, sig->expr);
    return n < 0 || (size_t)n >= outlen ? -MAI_EINVAL : 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void pull_range(int64_t now_s, int hours, int64_t step_s, int64_t *start_s, int64_t *end_s)
{
    *end_s = floor_div(now_s, step_s) * step_s;
    *start_s = *end_s - (int64_t)hours * 3600 / step_s * step_s;
}

int64_t pull_chunk_points(uint32_t nseries, int first)
{
    int64_t p;
    if (first)
        p = PULL_FIRST_CHUNK_POINTS;
    else if (nseries == 0)
        p = PULL_MAX_POINTS_PER_SERIES;
    else
        p = PULL_TARGET_POINTS_PER_QUERY / (int64_t)nseries;
    return p < 1 ? 1 : (p > PULL_MAX_POINTS_PER_SERIES ? PULL_MAX_POINTS_PER_SERIES : p);
}

int64_t pull_chunk_end(int64_t start_s, int64_t end_s, int64_t step_s, int64_t points)
{
    if (points < 1)
        points = 1;
    if ((points - 1) > (end_s - start_s) / step_s)
        return end_s;
    return start_s + (points - 1) * step_s;
}

unsigned pull_backoff_ms(unsigned retry)
{
    if (retry < 1)
        retry = 1;
    unsigned ms = PULL_BACKOFF_FIRST_MS;
    for (unsigned k = 1; k < retry && ms < PULL_BACKOFF_MAX_MS; k++)
        ms *= 2;
    return ms > PULL_BACKOFF_MAX_MS ? PULL_BACKOFF_MAX_MS : ms;
}

int pull_retryable(int curl_code, long http_status)
{
    if (curl_code != 0)
        return 1;
    return http_status >= 500 || http_status == 429;
}

size_t pull_split_selectors(char *list, char **out, size_t max)
{
    size_t n = 0;
    char *p = list;
    while (p && *p && n < max) {
        char *semi = p, quote = 0;     /* a ';' inside "...", '...' or `...` is the selector's */
        for (; *semi && (quote || *semi != ';'); semi++) {
            if (quote && *semi == '\\' && semi[1] && quote != '`')
                semi++;
            else if (quote && *semi == quote)
                quote = 0;
            else if (!quote && (*semi == '"' || *semi == '\'' || *semi == '`'))
                quote = *semi;
        }
        if (*semi)
            *semi = '\0';
        else
            semi = NULL;
        while (*p == ' ' || *p == '\t')
            p++;
        char *e = p + strlen(p);
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (*p)
            out[n++] = p;
        p = semi ? semi + 1 : NULL;
    }
    return n;
}

/* ---- transport -------------------------------------------------------------------------- */

typedef struct body_buf {
    char *p;
    size_t n, cap;
    int too_big;
} body_buf;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    body_buf *b = ud;
    size_t add = size * nmemb;
    if (add > PULL_MAX_BODY_BYTES - b->n) {
        b->too_big = 1;
        return 0;
    }
    if (b->n + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->n + add + 1)
            cap *= 2;
        char *g = realloc(b->p, cap);
        if (!g)
            return 0;
        b->p = g;
        b->cap = cap;
    }
    memcpy(b->p + b->n, ptr, add);
    b->n += add;
    b->p[b->n] = '\0';
    return add;
}

static int stop_requested(void)
{
    sigset_t p;
    if (sigpending(&p) != 0)
        return 0;
    return sigismember(&p, SIGINT) == 1 || sigismember(&p, SIGTERM) == 1;
}

/* Sleeps ms in slices, returning early (non-zero) when a stop is requested. */
static int sleep_ms(unsigned ms)
{
    for (unsigned done = 0; done < ms; done += 100) {
        if (stop_requested())
            return 1;
        unsigned s = ms - done < 100 ? ms - done : 100;
        struct timespec ts = {0, (long)s * 1000000L};
        nanosleep(&ts, NULL);
    }
    return stop_requested();
}

/* GET url into b with retries. 0 on a 2xx answer; -MAI_EIO when the server stays unreachable or
 * failing (5xx, 429) after the attempts; -MAI_EPROTO for a 4xx or an oversized answer. */
static int fetch(CURL *h, const char *url, unsigned attempts, body_buf *b, char *err,
                 size_t errlen)
{
    char cerr[CURL_ERROR_SIZE];
    CURLcode cc = CURLE_OK;
    long status = 0;
    unsigned a;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    for (a = 1;; a++) {
        b->n = 0;
        b->too_big = 0;
        cerr[0] = '\0';
        cc = curl_easy_perform(h);
        status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (cc == CURLE_OK && status >= 200 && status < 300)
            return 0;
        if (b->too_big)
            return fail(err, errlen, -MAI_EPROTO, "answer larger than %zu MiB",
                        PULL_MAX_BODY_BYTES >> 20);
        if (!pull_retryable((int)cc, status) || a >= attempts)
            break;
        unsigned ms = pull_backoff_ms(a);
        log_msg(LOG_DEBUG, "backfill: %s; retry %u of %u in %u ms",
                cc != CURLE_OK ? curl_easy_strerror(cc) : "HTTP 5xx", a, attempts - 1, ms);
        if (sleep_ms(ms))
            return fail(err, errlen, -MAI_EIO, "stopped by a signal");
    }
    if (cc != CURLE_OK)
        return fail(err, errlen, -MAI_EIO, "%s (after %u attempts)",
                    cerr[0] ? cerr : curl_easy_strerror(cc), a);
    char text[400];
    pull_error_text(b->p, b->n, text, sizeof text);
    return fail(err, errlen, status >= 500 || status == 429 ? -MAI_EIO : -MAI_EPROTO,
                "HTTP %ld%s%s%s", status, text[0] ? ": " : "", text,
                status >= 500 || status == 429 ? " (after retries)" : "");
}

/* ---- backfill --------------------------------------------------------------------------- */

typedef struct run_ctx {
    const pull_config *cfg;
    store *st;
    store_scratch *sc;
    CURL *h;
    body_buf body;
    pull_matrix m;
    char endpoint[MAI_CONFIG_PATH_MAX + 32];
    char shown[MAI_CONFIG_PATH_MAX + 32];     /* endpoint without credentials, for messages */
    char *url;
    size_t url_cap;
    pull_stats *stats;
} run_ctx;

/* One signal or selector over the whole range, oldest chunk first. */
static int run_one(run_ctx *x, const char *what, const char *query, const char *name,
                   char *err, size_t errlen)
{
    const pull_config *c = x->cfg;
    int64_t t0 = mai_monotonic_ns();
    uint64_t points = 0, accepted = 0, dropped = 0;
    uint32_t series = 0, queries = 0, nseries = 0, unnamed = 0;
    size_t need = strlen(x->endpoint) + 3 * strlen(query) + 128;
    if (need > x->url_cap) {
        char *g = realloc(x->url, need);
        if (!g)
            return fail(err, errlen, -MAI_ENOMEM, "backfill %s: out of memory", what);
        x->url = g;
        x->url_cap = need;
    }
    int first = 1;
    int64_t cap = 0;            /* steps per query after a refusal; 0 = none */
    unsigned halvings = 0;
    for (int64_t s = c->start_s; s <= c->end_s; first = 0) {
        if (stop_requested())
            return fail(err, errlen, -MAI_EIO, "stopped by a signal");
        int64_t want = pull_chunk_points(nseries, first);
        int64_t e = pull_chunk_end(s, c->end_s, c->step_s, cap && want > cap ? cap : want);
        if (pull_query_url(x->endpoint, query, s, e, c->step_s, x->url, x->url_cap) != 0)
            return fail(err, errlen, -MAI_EINVAL, "%s: query URL too long", what);
        char why[512];
        int rc = fetch(x->h, x->url, c->max_attempts ? c->max_attempts : PULL_MAX_ATTEMPTS,
                       &x->body, why, sizeof why);
        int64_t steps = (e - s) / c->step_s + 1;
        if (rc == -MAI_EPROTO && halvings < PULL_MAX_HALVINGS && steps > 1) {
            /* refused (4xx) or too large: a server with lower limits (points per series,
             * samples per query) takes a shorter range */
            cap = steps / 2;
            halvings++;
            log_msg(LOG_DEBUG, "backfill %s: %s; asking for %lld steps per query", what, why,
                    (long long)cap);
            continue;
        }
        if (rc == 0)
            rc = pull_parse_matrix(&x->m, x->body.p, x->body.n, name, &c->lim, why, sizeof why);
        if (rc != 0) {
            x->stats->queries_failed++;
            x->stats->signals_failed++;
            return fail(err, errlen, rc, "backfill %s from %s: %s", what, x->shown, why);
        }
        queries++;
        x->stats->queries_ok++;
        store_result res;
        memset(&res, 0, sizeof res);
        rc = store_ingest(x->st, &x->m.req, x->sc, &res);
        if (rc != 0)
            return fail(err, errlen, rc, "backfill %s: store: %s", what, mai_strerror(rc));
        nseries = x->m.req.nseries;
        unnamed += x->m.unnamed;
        series += res.new_series;
        points += x->m.points;
        accepted += res.accepted;
        dropped += res.out_of_order + res.conflicts + res.series_limit + res.bad_timestamp +
                   x->m.req.invalid_samples;
        pull_matrix_free(&x->m);
        if (e >= c->end_s)
            break;
        s = e + c->step_s;
    }
    double secs = (double)(mai_monotonic_ns() - t0) / 1e9;
    x->stats->series += series;
    x->stats->points += points;
    x->stats->accepted += accepted;
    x->stats->dropped += dropped;
    if (points == 0) {
        x->stats->signals_empty++;
        log_msg(LOG_WARN, "backfill %s: no data in the last %lld h (%u %s%s)", what,
                (long long)((c->end_s - c->start_s) / 3600), queries,
                queries == 1 ? "query" : "queries",
                unnamed ? "; answers without __name__ dropped: give a selector" : "");
        return 0;
    }
    x->stats->signals_ok++;
    char halved[96] = "";
    if (halvings)
        snprintf(halved, sizeof halved, " (refused over longer ranges: %lld steps per query)",
                 (long long)cap);
    log_msg(LOG_INFO, "backfill %s%s%s: %u series, %llu points in %u %s, %.3f s, "
            "%.0f points/s%s", what, name ? " as " : "", name ? name : "", series,
            (unsigned long long)points, queries, queries == 1 ? "query" : "queries", secs,
            secs > 0 ? (double)points / secs : 0.0, halved);
    if (dropped)
        log_msg(LOG_WARN, "backfill %s: %llu points refused by the store (out of order, "
                "conflicting, invalid labels or the series limit)", what,
                (unsigned long long)dropped);
    return 0;
}

int pull_backfill(const pull_config *cfg, store *st, pull_stats *stats, char *err,
                  size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    if (err && errlen)
        err[0] = '\0';
    if (!cfg->vm_url || !cfg->vm_url[0] || cfg->step_s <= 0 || cfg->end_s < cfg->start_s)
        return fail(err, errlen, -MAI_EINVAL, "backfill: no VM_URL, or a bad range or step");
    run_ctx x;
    memset(&x, 0, sizeof x);
    x.cfg = cfg;
    x.st = st;
    x.stats = stats;
    pull_matrix_init(&x.m);
    if (pull_endpoint(cfg->vm_url, x.endpoint, sizeof x.endpoint) != 0)
        return fail(err, errlen, -MAI_EINVAL, "backfill: VM_URL too long");
    pull_url_shown(x.endpoint, x.shown, sizeof x.shown);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return fail(err, errlen, -MAI_ENOMEM, "backfill: libcurl initialisation failed");
    int64_t t0 = mai_monotonic_ns();
    x.h = curl_easy_init();
    x.sc = store_scratch_create();
    char *sel_copy = strdup(cfg->selectors ? cfg->selectors : "");
    int rc = 0;
    if (!x.h || !x.sc || !sel_copy) {
        rc = fail(err, errlen, -MAI_ENOMEM, "backfill: out of memory");
        goto out;
    }
    curl_easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x.body);
    curl_easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT_MS,
                     cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
                                                 : (long)PULL_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(x.h, CURLOPT_TIMEOUT_MS,
                     cfg->timeout_ms > 0 ? cfg->timeout_ms : (long)PULL_TIMEOUT_MS);
    curl_easy_setopt(x.h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(x.h, CURLOPT_USERAGENT, "metrics-ai-backfill");
    curl_easy_setopt(x.h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(x.h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(x.h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");

    size_t nsig = signals_count(cfg->cat);
    for (size_t i = 0; i < nsig && rc != -MAI_EIO && rc != -MAI_ENOMEM; i++) {
        const signal_def *sig = signals_get(cfg->cat, i);
        size_t qn = strlen(sig->record) + strlen(sig->expr) + 8;
        char *q = malloc(qn);
        if (!q) {
            rc = fail(err, errlen, -MAI_ENOMEM, "backfill: out of memory");
            break;
        }
        pull_signal_query(sig, q, qn);
        char why[1024];
        rc = run_one(&x, sig->id, q, sig->record, why, sizeof why);
        free(q);
        if (rc == -MAI_EPROTO || rc == -MAI_EINVAL)
            log_msg(LOG_ERROR, "%s; signal skipped", why);
        else if (rc != 0)
            fail(err, errlen, rc, "%s", why);
    }
    char *sel[64];
    size_t nsel = pull_split_selectors(sel_copy, sel, sizeof sel / sizeof sel[0]);
    for (size_t i = 0; i < nsel && rc != -MAI_EIO && rc != -MAI_ENOMEM; i++) {
        char why[1024];
        rc = run_one(&x, sel[i], sel[i], NULL, why, sizeof why);
        if (rc == -MAI_EPROTO || rc == -MAI_EINVAL)
            log_msg(LOG_ERROR, "%s; selector skipped", why);
        else if (rc != 0)
            fail(err, errlen, rc, "%s", why);
    }
    if (rc == -MAI_EPROTO || rc == -MAI_EINVAL)
        rc = 0;
out:
    stats->seconds = (double)(mai_monotonic_ns() - t0) / 1e9;
    pull_matrix_free(&x.m);
    free(x.body.p);
    free(x.url);
    free(sel_copy);
    store_scratch_destroy(x.sc);
    if (x.h)
        curl_easy_cleanup(x.h);
    curl_global_cleanup();
    return rc;
}

void pull_backfill_at_start(const mai_config *cfg, const signals *cat, store *st,
                            int64_t since_s)
{
    pull_config pc = {
        .vm_url = cfg->vm_url, .step_s = cfg->step_s, .selectors = cfg->backfill_selectors,
        .cat = cat,
        .lim = {.max_labels_per_series = cfg->max_labels_per_series,
                .max_label_bytes = cfg->max_label_bytes}};
    pull_range(log_now_s(), cfg->start_hours_ago, cfg->step_s, &pc.start_s, &pc.end_s);
    if (since_s > pc.start_s) {     /* after a restore: the gap since the snapshot */
        pc.start_s = since_s - since_s % cfg->step_s;
        if (pc.start_s > pc.end_s)
            pc.start_s = pc.end_s;
    }
    char endpoint[MAI_CONFIG_PATH_MAX + 32], shown[MAI_CONFIG_PATH_MAX + 32];
    if (pull_endpoint(cfg->vm_url, endpoint, sizeof endpoint) != 0)
        snprintf(endpoint, sizeof endpoint, "%s", cfg->vm_url);
    pull_url_shown(endpoint, shown, sizeof shown);
    log_msg(LOG_INFO, "backfill from %s: range %lld..%lld (unix s; START_HOURS_AGO=%d), "
            "STEP=%llds, %zu signals%s%s", shown, (long long)pc.start_s, (long long)pc.end_s,
            cfg->start_hours_ago, (long long)cfg->step_s, signals_count(cat),
            cfg->backfill_selectors[0] ? " and selectors " : "", cfg->backfill_selectors);
    pull_stats s;
    char err[1200];
    int rc = pull_backfill(&pc, st, &s, err, sizeof err);
    if (rc != 0)
        log_msg(LOG_ERROR, "%s; backfill stopped, the service starts with the data received so "
                "far", err[0] ? err : mai_strerror(rc));
    log_msg(LOG_INFO, "backfill done: %u with data, %u empty, %u failed; %llu series, %llu "
            "points (%llu stored) in %u queries, %.3f s, %.0f points/s",
            s.signals_ok, s.signals_empty, s.signals_failed, (unsigned long long)s.series,
            (unsigned long long)s.points, (unsigned long long)s.accepted, s.queries_ok,
            s.seconds, s.seconds > 0 ? (double)s.points / s.seconds : 0.0);
}
