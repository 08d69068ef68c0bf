/* SPDX-License-Identifier: Apache-2.0
 * demo/replay.c -- replays recorded traces (CSV "timestamp,value", Unix seconds) into a Prometheus
 * remote_write 1.0 endpoint, retimed so that the trace's history ends now: each series is
 * resampled on a grid of --step seconds (linear interpolation between neighbouring trace rows when
 * the step is finer than the trace; never across a gap), scaled, and sent oldest first; the last
 * --live-hours of the grid are then sent in real time, each point when its time comes, until the
 * trace ends or SIGINT/SIGTERM. Requests are hand-encoded protobuf, snappy-compressed, POSTed
 * with libcurl. Used by the embedded demo (demo/run.sh). */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <snappy-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SERIES 16
#define MAX_LABELS 8
#define MAX_ROWS 200000
#define SEND_RETRIES 20


typedef struct trace {
    const char *file;
    double scale;
    const char *lname[MAX_LABELS], *lvalue[MAX_LABELS];  /* [0] is __name__ */
    int nlabels;
    char *owned[MAX_LABELS];    /* label names copied from the arguments, freed at exit */
    double *v;          /* grid values (NAN = gap) */
    size_t n;           /* grid points */
    int64_t t0_ms;      /* retimed time of grid point 0 */
} trace;

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "replay: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(2);
}

static void put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            die("out of memory", NULL);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_varint(buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t k = 0;
    do {
        tmp[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[k] |= 0x80;
        k++;
    } while (v);
    put(b, tmp, k);
}

/* A length-delimited field: tag, length, bytes. */
static void put_bytes(buf *b, unsigned field, const void *p, size_t n)
{
    put_varint(b, (uint64_t)field << 3 | 2);
    put_varint(b, n);
    put(b, p, n);
}

static void put_label(buf *b, const char *name, const char *value)
{
    buf l = {0};
    put_bytes(&l, 1, name, strlen(name));
    put_bytes(&l, 2, value, strlen(value));
    put_bytes(b, 1, l.p, l.n);
    free(l.p);
}

/* Sample { double value = 1; int64 timestamp = 2; } */
static void put_sample(buf *b, double v, int64_t t_ms)
{
    uint8_t s[32];
    buf sb = {s, 0, sizeof s};
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(bits >> (8 * i));
    uint8_t tag = 1 << 3 | 1;
    put(&sb, &tag, 1);
    put(&sb, le, 8);
    put_varint(&sb, 2 << 3 | 0);
    put_varint(&sb, (uint64_t)t_ms);
    put_bytes(b, 2, sb.p, sb.n);
}

/* One TimeSeries of trace tr with its grid points [from, to) that are not gaps; nothing when
 * none is. Labels are already sorted by name. */
static size_t put_series(buf *req, const trace *tr, size_t from, size_t to, int64_t step_ms)
{
    buf ts = {0};
    size_t ns = 0;
    for (int i = 0; i < tr->nlabels; i++)
        put_label(&ts, tr->lname[i], tr->lvalue[i]);
    for (size_t k = from; k < to && k < tr->n; k++) {
        if (isnan(tr->v[k]))
            continue;
        put_sample(&ts, tr->v[k] * tr->scale, tr->t0_ms + (int64_t)k * step_ms);
        ns++;
    }
    if (ns)
        put_bytes(req, 1, ts.p, ts.n);
    free(ts.p);
    return ns;
}

static int post(CURL *h, const char *url, const buf *req)
{
    size_t zcap = snappy_max_compressed_length(req->n), zn = zcap;
    char *z = malloc(zcap);
    if (!z)
        die("out of memory", NULL);
    if (snappy_compress((const char *)req->p, req->n, z, &zn) != SNAPPY_OK)
        die("snappy_compress failed", NULL);
    struct curl_slist *hd = NULL;
    hd = curl_slist_append(hd, "Content-Type: application/x-protobuf");
    hd = curl_slist_append(hd, "Content-Encoding: snappy");
    hd = curl_slist_append(hd, "X-Prometheus-Remote-Write-Version: 0.1.0");
    hd = curl_slist_append(hd, "User-Agent: metrics-ai-replay/1.0");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, z);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)zn);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    int rc = -1;
    for (int attempt = 0; attempt < SEND_RETRIES && !stop_flag; attempt++) {
        long code = 0;
        CURLcode cc = curl_easy_perform(h);
        if (cc == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (cc == CURLE_OK && code >= 200 && code < 300) {
            rc = 0;
            break;
        }
        if (cc == CURLE_OK && code >= 400 && code < 500) {
            fprintf(stderr, "replay: %s answered HTTP %ld; not retried\n", url, code);
            break;
        }
        fprintf(stderr, "replay: %s: %s; retrying\n", url,
                cc != CURLE_OK ? curl_easy_strerror(cc) : "server error");
        struct timespec ts = {0, 500000000L};
        nanosleep(&ts, NULL);
    }
    curl_slist_free_all(hd);
    free(z);
    return rc;
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts a trace's labels by name (remote write wants them sorted; "__name__" sorts first). */
static void sort_labels(trace *tr)
{
    for (int i = 1; i < tr->nlabels; i++)
        for (int j = i; j > 0 && cmp_label(&tr->lname[j - 1], &tr->lname[j]) > 0; j--) {
            const char *t = tr->lname[j];
            tr->lname[j] = tr->lname[j - 1];
            tr->lname[j - 1] = t;
            t = tr->lvalue[j];
            tr->lvalue[j] = tr->lvalue[j - 1];
            tr->lvalue[j - 1] = t;
        }
}

/* Reads FILE into rows (strictly increasing timestamps; a row not later than the previous one is
 * skipped) and resamples it on a grid of step_s seconds. */
static void load(trace *tr, double step_s)
{
    FILE *f = fopen(tr->file, "r");
    if (!f)
        die(tr->file, strerror(errno));
    static double t[MAX_ROWS], y[MAX_ROWS];
    size_t n = 0, skipped = 0, line = 0;
    char ln[256];
    while (fgets(ln, sizeof ln, f)) {
        line++;
        char *end;
        double ts = strtod(ln, &end);
        if (end == ln || *end != ',') {
            if (line == 1)
                continue;   /* header */
            fprintf(stderr, "replay: %s:%zu: expected timestamp,value\n", tr->file, line);
            exit(2);
        }
        double v = strtod(end + 1, &end);
        if (n == MAX_ROWS)
            die("too many rows", tr->file);
        if (n && ts <= t[n - 1]) {
            skipped++;
            continue;
        }
        t[n] = ts;
        y[n] = v;
        n++;
    }
    fclose(f);
    if (n < 2)
        die("fewer than two rows", tr->file);
    double tstep = INFINITY;
    for (size_t i = 1; i < n; i++)
        if (t[i] - t[i - 1] < tstep)
            tstep = t[i] - t[i - 1];
    tr->n = (size_t)floor((t[n - 1] - t[0]) / step_s) + 1;
    tr->v = malloc(tr->n * sizeof *tr->v);
    if (!tr->v)
        die("out of memory", NULL);
    size_t r = 0, gaps = 0;
    for (size_t k = 0; k < tr->n; k++) {
        double g = t[0] + (double)k * step_s;
        while (r + 1 < n && t[r + 1] <= g)
            r++;
        if (g == t[r])
            tr->v[k] = y[r];
        else if (r + 1 < n && t[r + 1] - t[r] <= 1.5 * tstep)
            tr->v[k] = y[r] + (y[r + 1] - y[r]) * (g - t[r]) / (t[r + 1] - t[r]);
        else {
            tr->v[k] = NAN;  /* inside a gap of the trace */
            gaps++;
        }
    }
    fprintf(stderr, "replay: %s: %zu rows every %.0f s -> %zu points every %.0f s "
            "(%zu in gaps, %zu rows out of order skipped)\n",
            tr->file, n, tstep, tr->n, step_s, gaps, skipped);
}

static void usage(void)
{
    fputs("usage: replay [--url URL] [--step S] [--live-hours H] [--batch N]\n"
          "              (--series FILE --metric NAME [--scale X] [--label NAME=VALUE]...)...\n"
          "  --url URL         remote write endpoint (default http://127.0.0.1:9201/api/v1/write)\n"
          "  --step S          seconds between points sent (default 60); finer than the trace:\n"
          "                    linear interpolation between neighbouring rows\n"
          "  --live-hours H    the trace's last H hours are sent in real time after the history\n"
          "                    (default 0: everything at once, then exit)\n"
          "  --batch N         samples per request while sending history (default 5000)\n"
          "  --series FILE     a CSV trace (timestamp,value); --metric, --scale and --label\n"
          "                    that follow apply to it\n",
          stderr);
    exit(2);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    const char *url = "http://127.0.0.1:9201/api/v1/write";
    double step_s = 60, live_h = 0;
    long batch = 5000;
    trace tr[MAX_SERIES];
    int nt = 0;
    memset(tr, 0, sizeof tr);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        char *end;
        i++;
        if (!strcmp(a, "--url")) {
            url = v;
        } else if (!strcmp(a, "--step")) {
            step_s = strtod(v, &end);
            if (*end || !(step_s >= 1 && step_s <= 86400))
                die("--step takes seconds in [1, 86400]", v);
        } else if (!strcmp(a, "--live-hours")) {
            live_h = strtod(v, &end);
            if (*end || !(live_h >= 0 && live_h <= 10000))
                die("--live-hours takes hours in [0, 10000]", v);
        } else if (!strcmp(a, "--batch")) {
            batch = strtol(v, &end, 10);
            if (*end || batch < 1 || batch > 1000000)
                die("--batch takes 1 to 1000000", v);
        } else if (!strcmp(a, "--series")) {
            if (nt == MAX_SERIES)
                die("too many --series", v);
            tr[nt].file = v;
            tr[nt].scale = 1;
            tr[nt].lname[0] = "__name__";
            tr[nt].nlabels = 1;
            nt++;
        } else if (nt == 0) {
            die("--series FILE must come before", a);
        } else if (!strcmp(a, "--metric")) {
            tr[nt - 1].lvalue[0] = v;
        } else if (!strcmp(a, "--scale")) {
            tr[nt - 1].scale = strtod(v, &end);
            if (*end || !isfinite(tr[nt - 1].scale))
                die("--scale takes a number", v);
        } else if (!strcmp(a, "--label")) {
            trace *t = &tr[nt - 1];
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || t->nlabels == MAX_LABELS)
                die("--label takes NAME=VALUE (at most 7 per series)", v);
            t->owned[t->nlabels] = strndup(v, (size_t)(eq - v));
            if (!t->owned[t->nlabels])
                die("out of memory", NULL);
            t->lname[t->nlabels] = t->owned[t->nlabels];
            t->lvalue[t->nlabels] = eq + 1;
            t->nlabels++;
        } else {
            usage();
        }
    }
    if (nt == 0)
        usage();
    for (int s = 0; s < nt; s++) {
        if (!tr[s].lvalue[0])
            die("--metric NAME missing for", tr[s].file);
        sort_labels(&tr[s]);
        load(&tr[s], step_s);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    if (!h)
        die("curl_easy_init failed", NULL);

    /* Retime: the last history point of every series falls on the step boundary at or before
     * now; the live points follow it one step apart. */
    int64_t step_ms = (int64_t)(step_s * 1000);
    int64_t end_ms = now_ms() / step_ms * step_ms;
    size_t hist[MAX_SERIES], longest = 0;
    size_t live_pts = (size_t)(live_h * 3600 / step_s);
    for (int s = 0; s < nt; s++) {
        hist[s] = tr[s].n > live_pts ? tr[s].n - live_pts : 1;
        tr[s].t0_ms = end_ms - (int64_t)(hist[s] - 1) * step_ms;
        if (hist[s] > longest)
            longest = hist[s];
    }

    /* History, oldest first: each request carries one time window of every series. */
    size_t per = (size_t)batch / (size_t)nt ? (size_t)batch / (size_t)nt : 1;
    uint64_t sent = 0, reqs = 0;
    for (size_t w = 0; w < longest && !stop_flag; w += per) {
        buf req = {0};
        size_t ns = 0;
        for (int s = 0; s < nt; s++) {
            /* align windows on time: series s's point k is at end - (hist - 1 - k) steps */
            size_t lag = longest - hist[s];
            size_t from = w >= lag ? w - lag : 0, to = w + per > lag ? w + per - lag : 0;
            if (to > hist[s])
                to = hist[s];
            if (from < to)
                ns += put_series(&req, &tr[s], from, to, step_ms);
        }
        if (ns && post(h, url, &req) != 0) {
            free(req.p);
            die("sending the history failed", url);
        }
        sent += ns;
        reqs += ns ? 1 : 0;
        free(req.p);
    }
    fprintf(stderr, "replay: history sent: %llu samples in %llu requests, ending at %lld ms\n",
            (unsigned long long)sent, (unsigned long long)reqs, (long long)end_ms);
    printf("history-sent %llu\n", (unsigned long long)sent);
    fflush(stdout);

    /* Live: point hist[s] + j of every series when its time comes. */
    for (size_t j = 0; j < live_pts && !stop_flag; j++) {
        int64_t due = end_ms + (int64_t)(j + 1) * step_ms;
        while (!stop_flag && now_ms() < due) {
            struct timespec ts = {0, 200000000L};
            nanosleep(&ts, NULL);
        }
        if (stop_flag)
            break;
        buf req = {0};
        size_t ns = 0;
        for (int s = 0; s < nt; s++)
            if (hist[s] + j < tr[s].n)
                ns += put_series(&req, &tr[s], hist[s] + j, hist[s] + j + 1, step_ms);
        if (ns && post(h, url, &req) != 0)
            fprintf(stderr, "replay: a live point was not delivered\n");
        free(req.p);
    }
    curl_easy_cleanup(h);
    curl_global_cleanup();
    for (int s = 0; s < nt; s++) {
        free(tr[s].v);
        for (int i = 0; i < MAX_LABELS; i++)
            free(tr[s].owned[i]);
    }
    return 0;
}
