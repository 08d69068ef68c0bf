/* SPDX-License-Identifier: Apache-2.0
 * adapter/snapshot.c -- the snapshot file of the store and the models (see snapshot.h): the
 * streaming writer with its atomic replace, and the reader, which checks the whole file (mapped
 * read-only) before it restores a single record. */
#include "adapter/snapshot.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adapter/hash.h"
#include "adapter/log.h"
#include "exporter/atomic_file.h"
#include "models/base.h"
#include "models/codec.h"

#define MAGIC "MAI-SNAP"
#define HEADER_BYTES 32
#define SECTION_HEAD 24
#define NSECTIONS 3
#define DIGEST_SEED 0x5d1e5eedULL

static const char TAGS[NSECTIONS][5] = {"STOR", "MODL", "DGST"};

static uint32_t tag_u32(const char *t)
{
    return le_get_u32((const uint8_t *)t);
}

static double now_s(void)
{
    return (double)mai_monotonic_ns() / 1e9;
}

static uint64_t record_hash(const uint8_t *rec, size_t n)
{
    return mai_hash_bytes(rec, n, DIGEST_SEED);
}

/* ---- digest of the live state ---- */

typedef struct digest_ctx {
    uint64_t sum, count, metadata;
} digest_ctx;

static int digest_record(void *ctx, const uint8_t *rec, size_t n)
{
    digest_ctx *d = ctx;
    d->sum += record_hash(rec, n);
    d->count++;
    d->metadata += n > 0 && rec[0] == 'M';
    return 0;
}

int snapshot_digest(store *st, cycle *cy, snapshot_digest_t *out)
{
    digest_ctx ds = {0}, dm = {0};
    int rc = store_save(st, digest_record, &ds);
    if (rc == 0 && cy)
        rc = cycle_save(cy, digest_record, &dm);
    out->store = ds.sum;
    out->models = dm.sum;
    return rc;
}

/* ---- writer ---- */

typedef struct writer {
    FILE *f;
    uint32_t crc;               /* of the current section's payload */
    uint64_t records, payload, metadata;
    uint64_t digest;
    int failed;
} writer;

static void w_raw(writer *w, const void *p, size_t n)
{
    if (!w->failed && n && fwrite(p, 1, n, w->f) != n)
        w->failed = 1;
}

static int write_record(void *ctx, const uint8_t *rec, size_t n)
{
    writer *w = ctx;
    uint8_t len[4];
    le_put_u32(len, (uint32_t)n);
    w_raw(w, len, 4);
    w_raw(w, rec, n);
    w->crc = mai_crc32_update(w->crc, len, 4);
    w->crc = mai_crc32_update(w->crc, rec, n);
    w->payload += 4 + n;
    w->records++;
    w->metadata += n > 0 && rec[0] == 'M';
    w->digest += record_hash(rec, n);
    return w->failed ? -MAI_EIO : 0;
}

static void section_head(uint8_t h[SECTION_HEAD], const char *tag, uint64_t records,
                         uint64_t payload)
{
    memcpy(h, tag, 4);
    le_put_u32(h + 4, 0);
    le_put_u64(h + 8, records);
    le_put_u64(h + 16, payload);
}

/* Writes a section whose records come from fill (NULL: the 16 digest bytes). */
static int write_section(writer *w, const char *tag, int (*fill)(void *, writer *), void *arg,
                         const uint8_t *raw, size_t raw_n)
{
    long at = ftell(w->f);
    uint8_t h[SECTION_HEAD];
    section_head(h, tag, 0, 0);
    w_raw(w, h, sizeof h);
    w->crc = 0;
    w->records = w->payload = w->digest = 0;
    int rc = 0;
    if (fill) {
        rc = fill(arg, w);
    } else {
        w_raw(w, raw, raw_n);
        w->crc = mai_crc32_update(0, raw, raw_n);
        w->payload = raw_n;
    }
    if (rc != 0 || w->failed || at < 0)
        return rc ? rc : -MAI_EIO;
    section_head(h, tag, w->records, w->payload);
    uint8_t crc[4];
    le_put_u32(crc, mai_crc32_update(w->crc, h, sizeof h));
    w_raw(w, crc, 4);
    long end = ftell(w->f);
    if (end < 0 || fseek(w->f, at, SEEK_SET) != 0)
        return -MAI_EIO;
    w_raw(w, h, sizeof h);
    if (fseek(w->f, end, SEEK_SET) != 0)
        return -MAI_EIO;
    return w->failed ? -MAI_EIO : 0;
}

typedef struct sources {
    store *st;
    cycle *cy;
} sources;

static int fill_store(void *arg, writer *w)
{
    return store_save(((sources *)arg)->st, write_record, w);
}

static int fill_models(void *arg, writer *w)
{
    sources *s = arg;
    return s->cy ? cycle_save(s->cy, write_record, w) : 0;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int snapshot_write(const char *dir, store *st, cycle *cy, snapshot_stats *out, char *err,
                   size_t errlen)
{
    double t0 = now_s();
    memset(out, 0, sizeof *out);
    char path[1100], tmp[1100], prev[1100], prev_tmp[1100];
    snprintf(path, sizeof path, "%s/%s", dir, SNAPSHOT_FILE);
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, SNAPSHOT_FILE);
    snprintf(prev, sizeof prev, "%s/%s", dir, SNAPSHOT_PREV_FILE);
    snprintf(prev_tmp, sizeof prev_tmp, "%s/%s.tmp", dir, SNAPSHOT_PREV_FILE);
    if (atomic_mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -MAI_EIO;
    }
    writer w = {.f = fopen(tmp, "wb")};
    if (!w.f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -MAI_EIO;
    }
    setvbuf(w.f, NULL, _IOFBF, 1 << 20);
    uint8_t h[HEADER_BYTES];
    memcpy(h, MAGIC, 8);
    le_put_u32(h + 8, SNAPSHOT_VERSION);
    le_put_u32(h + 12, NSECTIONS);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    le_put_u64(h + 16, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
    le_put_u32(h + 24, 0);
    le_put_u32(h + 28, mai_crc32(h, 28));
    w_raw(&w, h, sizeof h);
    sources src = {st, cy};
    int rc = write_section(&w, TAGS[0], fill_store, &src, NULL, 0);
    out->series = w.records - w.metadata;
    out->metadata = w.metadata;
    out->digest.store = w.digest;
    if (rc == 0)
        rc = write_section(&w, TAGS[1], fill_models, &src, NULL, 0);
    out->models = w.records;
    out->digest.models = w.digest;
    uint8_t dg[16];
    le_put_u64(dg, out->digest.store);
    le_put_u64(dg + 8, out->digest.models);
    if (rc == 0)
        rc = write_section(&w, TAGS[2], NULL, NULL, dg, sizeof dg);
    long size = ftell(w.f);
    int saved_errno = errno;
    if (rc == 0 && (fflush(w.f) != 0 || fsync(fileno(w.f)) != 0))
        rc = -MAI_EIO;
    saved_errno = rc ? errno : saved_errno;
    if (fclose(w.f) != 0 && rc == 0) {
        rc = -MAI_EIO;
        saved_errno = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write %s: %s", tmp,
                 rc == -MAI_ENOMEM ? "out of memory" : strerror(saved_errno));
        return rc;
    }
    /* keep the current file as the previous one without a moment where neither name exists:
     * a hard link renamed over snapshot.prev.bin, then the new file renamed over the current */
    unlink(prev_tmp);
    if (link(path, prev_tmp) == 0) {
        if (rename(prev_tmp, prev) != 0)
            unlink(prev_tmp);
    } else if (errno != ENOENT) {
        rename(path, prev);             /* no hard links here: a short gap, covered at restore */
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -MAI_EIO;
    }
    fsync_dir(dir);
    out->bytes = size > 0 ? (uint64_t)size : 0;
    out->seconds = now_s() - t0;
    return 0;
}

/* ---- reader ---- */

typedef struct mapped {
    const uint8_t *p;
    size_t n;
} mapped;

static int map_file(const char *path, mapped *m, char *err, size_t errlen)
{
    m->p = NULL;
    m->n = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? -MAI_EINVAL : -MAI_EIO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -MAI_EIO;
    }
    m->n = (size_t)sb.st_size;
    if (m->n > 0) {
        void *p = mmap(NULL, m->n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
            close(fd);
            return -MAI_EIO;
        }
        m->p = p;
    }
    close(fd);
    return 0;
}

static void unmap_file(mapped *m)
{
    if (m->p)
        munmap((void *)m->p, m->n);
}

/* Where each section's payload is, after a full check. */
typedef struct layout {
    size_t off[NSECTIONS], len[NSECTIONS];
    uint64_t records[NSECTIONS];
} layout;

static int bad(char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    char why[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s: %s", path, why);
    return -MAI_EPROTO;
}

/* Checks the header, the version and every section (framing, record count, CRC). */
static int check_mapped(const char *path, const mapped *m, layout *lay, char *err,
                        size_t errlen)
{
    const uint8_t *p = m->p;
    if (m->n < HEADER_BYTES)
        return bad(err, errlen, path, "truncated header (%zu of %d bytes)", m->n, HEADER_BYTES);
    if (memcmp(p, MAGIC, 8) != 0)
        return bad(err, errlen, path, "not a metrics-ai snapshot (bad magic)");
    if (le_get_u32(p + 28) != mai_crc32(p, 28))
        return bad(err, errlen, path, "header CRC mismatch");
    uint32_t version = le_get_u32(p + 8);
    if (version > SNAPSHOT_VERSION)
        return bad(err, errlen, path, "version %u is newer than this build reads (%u)", version,
                   SNAPSHOT_VERSION);
    if (version != SNAPSHOT_VERSION || le_get_u32(p + 12) != NSECTIONS || le_get_u32(p + 24))
        return bad(err, errlen, path, "unsupported version %u layout", version);
    size_t at = HEADER_BYTES;
    for (int s = 0; s < NSECTIONS; s++) {
        size_t left = m->n - at;
        if (left == 0)
            return bad(err, errlen, path, "truncated: section %d of %d (%s) missing", s + 1,
                       NSECTIONS, TAGS[s]);
        if (left < SECTION_HEAD)
            return bad(err, errlen, path, "truncated in the head of section %s", TAGS[s]);
        const uint8_t *h = p + at;
        if (le_get_u32(h) != tag_u32(TAGS[s]) || le_get_u32(h + 4) != 0)
            return bad(err, errlen, path, "section %d is not %s", s + 1, TAGS[s]);
        uint64_t records = le_get_u64(h + 8), len = le_get_u64(h + 16);
        if (len > left - SECTION_HEAD || left - SECTION_HEAD - len < 4)
            return bad(err, errlen, path,
                       "truncated in section %s (%llu payload bytes declared, %zu left)",
                       TAGS[s], (unsigned long long)len, left - SECTION_HEAD);
        const uint8_t *pay = h + SECTION_HEAD;
        uint32_t crc = mai_crc32_update(mai_crc32(pay, (size_t)len), h, SECTION_HEAD);
        if (le_get_u32(pay + len) != crc)
            return bad(err, errlen, path, "CRC mismatch in section %s", TAGS[s]);
        /* the framing: records of length u32 that fill the payload exactly */
        uint64_t count = 0;
        size_t r = 0;
        while (s < 2 && r < len) {
            if (len - r < 4 || le_get_u32(pay + r) > len - r - 4)
                return bad(err, errlen, path, "bad record framing in section %s at %zu",
                           TAGS[s], r);
            r += 4 + le_get_u32(pay + r);
            count++;
        }
        if ((s < 2 && count != records) || (s == 2 && (len != 16 || records != 0)))
            return bad(err, errlen, path, "record count mismatch in section %s", TAGS[s]);
        lay->off[s] = at + SECTION_HEAD;
        lay->len[s] = (size_t)len;
        lay->records[s] = records;
        at += SECTION_HEAD + (size_t)len + 4;
    }
    if (at != m->n)
        return bad(err, errlen, path, "%zu unexpected bytes after the last section",
                   m->n - at);
    return 0;
}

int snapshot_check(const char *path, char *err, size_t errlen)
{
    mapped m;
    int rc = map_file(path, &m, err, errlen);
    if (rc != 0)
        return -MAI_EIO;
    layout lay;
    rc = check_mapped(path, &m, &lay, err, errlen);
    unmap_file(&m);
    return rc;
}

int snapshot_check_buffer(const void *b, size_t n, const char *name, char *err, size_t errlen)
{
    const mapped m = {b, n};
    layout lay;
    return check_mapped(name, &m, &lay, err, errlen);
}

/* Restores a checked file: the store's records, then the models'. */
static void apply(const mapped *m, const layout *lay, store *st, cycle *cy, snapshot_stats *out)
{
    for (int s = 0; s < 2; s++) {
        const uint8_t *pay = m->p + lay->off[s];
        size_t r = 0;
        while (r < lay->len[s]) {
            uint32_t n = le_get_u32(pay + r);
            const uint8_t *rec = pay + r + 4;
            r += 4 + (size_t)n;
            if (s == 0) {
                int is_meta = n > 0 && rec[0] == 'M';
                int ok = store_load(st, rec, n) == 0;
                out->metadata += is_meta && ok;
                out->series += !is_meta && ok;
                out->series_skipped += !is_meta && !ok;
            } else if (cy) {
                int rc = cycle_load(cy, rec, n);
                out->models += rc == 0;
                out->models_skipped += rc != 0;
            } else {
                out->models_skipped++;
            }
        }
    }
    const uint8_t *dg = m->p + lay->off[2];
    out->file_digest.store = le_get_u64(dg);
    out->file_digest.models = le_get_u64(dg + 8);
}

/* Applies a checked file, then computes the live digest and logs the outcome. */
static void restore_checked(const char *path, const mapped *m, const layout *lay, store *st,
                            cycle *cy, snapshot_stats *out, double t0)
{
    apply(m, lay, st, cy, out);
    out->bytes = m->n;
    snapshot_digest(st, cy, &out->digest);
    snprintf(out->path, sizeof out->path, "%s", path);
    out->seconds = now_s() - t0;
    int same = out->digest.store == out->file_digest.store &&
               out->digest.models == out->file_digest.models;
    log_msg(same ? LOG_INFO : LOG_WARN,
            "snapshot restored from %s: %llu series, %llu models (%llu series, %llu models "
            "not restored), %llu bytes in %.3f s; digest store=%016llx models=%016llx (%s)",
            path, (unsigned long long)out->series, (unsigned long long)out->models,
            (unsigned long long)out->series_skipped, (unsigned long long)out->models_skipped,
            (unsigned long long)out->bytes, out->seconds,
            (unsigned long long)out->digest.store, (unsigned long long)out->digest.models,
            same ? "as written" : "differs from the file's: records not restored");
}

int snapshot_restore(const char *dir, store *st, cycle *cy, snapshot_stats *out)
{
    double t0 = now_s();
    memset(out, 0, sizeof *out);
    const char *names[2] = {SNAPSHOT_FILE, SNAPSHOT_PREV_FILE};
    int missing = 0;
    for (int i = 0; i < 2; i++) {
        char path[1100], err[1400];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        mapped m;
        int rc = map_file(path, &m, err, sizeof err);
        layout lay;
        if (rc == 0) {
            rc = check_mapped(path, &m, &lay, err, sizeof err);
            if (rc != 0)
                unmap_file(&m);
        }
        if (rc == -MAI_EINVAL) {        /* no such file */
            char prev[1100];
            snprintf(prev, sizeof prev, "%s/%s", dir, names[1]);
            if (i == 0 && access(prev, F_OK) == 0)
                log_msg(LOG_INFO, "snapshot: %s is missing; trying %s", path, names[1]);
            missing++;
            continue;
        }
        if (rc != 0) {
            log_msg(LOG_WARN, "snapshot refused: %s", err);
            continue;
        }
        restore_checked(path, &m, &lay, st, cy, out, t0);
        unmap_file(&m);
        return 1;
    }
    log_msg(missing == 2 ? LOG_INFO : LOG_WARN, "no usable snapshot in %s: starting empty", dir);
    return 0;
}

int snapshot_restore_buffer(const void *b, size_t n, const char *name, store *st, cycle *cy,
                            snapshot_stats *out)
{
    double t0 = now_s();
    memset(out, 0, sizeof *out);
    const mapped m = {b, n};
    layout lay;
    char err[1400];
    if (check_mapped(name, &m, &lay, err, sizeof err) != 0) {
        log_msg(LOG_WARN, "snapshot refused: %s", err);
        return 0;
    }
    restore_checked(name, &m, &lay, st, cy, out, t0);
    return 1;
}
