/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_snapshot.c -- the snapshot file: a store with fitted models written and
 * restored into a fresh store and cycle gives the same digest (rings and model states) and the
 * same forecasts after more data; a file cut at every section boundary, byte flips, a newer
 * version, an empty file and trailing bytes are refused with the matching one-line reason; a bad
 * snapshot.bin falls back to snapshot.prev.bin, and two bad files to an empty start; a file in
 * memory is checked and restored the same way. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter/cycle.h"
#include "adapter/snapshot.h"
#include "adapter/store.h"
#include "exporter/results.h"
#include "models/codec.h"

#include "req_builder.h"

#define PI 3.14159265358979323846
#define T0_MS (19675 * 86400000LL)

static const char *const GAUGE[] = {"__name__", "node_load1", "instance", "a:9100", NULL};
static const char *const COUNTER[] = {"__name__", "http_requests_total", "job", "api", NULL};
static const char *const DISK[] = {"__name__", "instance_mountpoint:metrics_ai_disk_usage:ratio",
                                   "instance", "a:9100", "mountpoint", "/", NULL};
static const char *const *const ALL[] = {GAUGE, COUNTER, DISK, NULL};

typedef struct fixture {
    store *st;
    store_scratch *sc;
    results_box *box;
    cycle *cyc;
    req_builder *rb;
    int64_t next_min;
} fixture;

static void fx_make(fixture *f)
{
    memset(f, 0, sizeof *f);
    store_config sc = {.shards = 4, .max_series = 100, .fine_cap = 120, .fine_step_ms = 60000,
                       .coarse_cap = 72, .coarse_step_ms = 3600000};
    assert_int_equal(store_create(&sc, &f->st), 0);
    f->sc = store_scratch_create();
    f->box = results_box_create();
    f->rb = malloc(sizeof *f->rb);
    cycle_config c = {.st = f->st, .box = f->box, .fine_step_s = 60, .coarse_step_s = 3600,
                      .fine_cap = 120, .coarse_cap = 72, .horizon_s = {900, 3600, 86400},
                      .nh = 3, .interval_s = 15, .max_models = 100, .fit_budget_s = 30};
    assert_int_equal(cycle_create(&c, 0, &f->cyc), 0);
}

static void fx_free(fixture *f)
{
    cycle_destroy(f->cyc);
    results_box_destroy(f->box);
    store_destroy(f->st);
    store_scratch_destroy(f->sc);
    free(f->rb);
}

static double value_at(const char *const *series, int64_t t_s)
{
    if (series == COUNTER)
        return 20000 + 2 * (double)t_s - 86400 / (2 * PI) * cos(2 * PI * (double)t_s / 86400);
    if (series == DISK)
        return 0.5 + 0.004 * (double)t_s / 3600;
    return 10 + 5 * sin(2 * PI * (double)t_s / 86400) + 0.3 * sin((double)t_s * 0.37);
}

/* Minutes more of every series, a cycle after each hour. */
static void feed(fixture *f, int64_t minutes)
{
    int64_t end = f->next_min + minutes;
    while (f->next_min < end) {
        int64_t chunk = end - f->next_min < 60 ? end - f->next_min : 60;
        rb_init(f->rb);
        for (int k = 0; ALL[k]; k++) {
            rw_series *se = rb_series(f->rb, ALL[k]);
            for (int64_t m = f->next_min; m < f->next_min + chunk; m++)
                rb_sample(f->rb, se, T0_MS + m * 60000, value_at(ALL[k], m * 60));
        }
        store_result res;
        assert_int_equal(store_ingest(f->st, &f->rb->req, f->sc, &res), 0);
        f->next_min += chunk;
        cycle_run_once(f->cyc);
    }
}

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mai-snap-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {SNAPSHOT_FILE, SNAPSHOT_PREV_FILE, "copy.bin"};
    char p[200];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        path_of(p, sizeof p, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return 0;
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n + 1);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void write_all(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void write_snapshot(fixture *f, snapshot_stats *st)
{
    char err[512] = "";
    int rc = snapshot_write(tmpdir, f->st, f->cyc, st, err, sizeof err);
    if (rc != 0)
        fail_msg("snapshot_write: %s", err);
}

static void assert_same_forecasts(fixture *a, fixture *b)
{
    const results *ra = results_acquire(a->box), *rb = results_acquire(b->box);
    assert_non_null(ra);
    assert_non_null(rb);
    assert_int_equal(ra->nrows, rb->nrows);
    assert_int_equal(ra->models_ready, rb->models_ready);
    for (size_t i = 0; i < ra->nrows; i++) {
        const result_row *x = &ra->rows[i], *y = NULL;
        for (size_t j = 0; j < rb->nrows; j++)
            if (strcmp(rb->rows[j].metric, x->metric) == 0)
                y = &rb->rows[j];
        assert_non_null(y);
        assert_memory_equal(x->mean, y->mean, sizeof x->mean);
        assert_memory_equal(x->lower, y->lower, sizeof x->lower);
        assert_memory_equal(x->upper, y->upper, sizeof x->upper);
        assert_true(x->points == y->points && x->ready == y->ready);
        assert_memory_equal(&x->anomaly, &y->anomaly, sizeof x->anomaly);
    }
    results_release(a->box, ra);
    results_release(b->box, rb);
}

static void test_snapshot_round_trip_is_bit_for_bit(void **state)
{
    (void)state;
    fixture a, b;
    fx_make(&a);
    feed(&a, 50 * 60);                  /* 50 h: fine and coarse parts fitted */
    const results *r = results_acquire(a.box);
    assert_int_equal(r->models_ready, 3);
    results_release(a.box, r);
    snapshot_stats ws, rs;
    write_snapshot(&a, &ws);
    assert_int_equal(ws.series, 3);
    assert_int_equal(ws.models, 3);
    snapshot_digest_t live;
    assert_int_equal(snapshot_digest(a.st, a.cyc, &live), 0);
    assert_true(live.store == ws.digest.store && live.models == ws.digest.models);

    fx_make(&b);
    assert_int_equal(snapshot_restore(tmpdir, b.st, b.cyc, &rs), 1);
    char want[200];
    path_of(want, sizeof want, SNAPSHOT_FILE);
    assert_string_equal(rs.path, want);
    assert_int_equal(rs.series, 3);
    assert_int_equal(rs.models, 3);
    assert_int_equal(rs.series_skipped + rs.models_skipped, 0);
    assert_true(rs.digest.store == ws.digest.store && rs.digest.models == ws.digest.models);
    assert_true(rs.file_digest.store == ws.digest.store);
    assert_int_equal(rs.bytes, ws.bytes);

    /* the same data from here gives the same forecasts, bit for bit */
    b.next_min = a.next_min;
    feed(&a, 90);
    feed(&b, 90);
    assert_same_forecasts(&a, &b);
    snapshot_digest_t da, db;
    assert_int_equal(snapshot_digest(a.st, a.cyc, &da), 0);
    assert_int_equal(snapshot_digest(b.st, b.cyc, &db), 0);
    assert_true(da.store == db.store && da.models == db.models);
    /* and the digest sees a change: one more sample in one store */
    assert_true(da.store != ws.digest.store && da.models != ws.digest.models);
    feed(&b, 1);
    assert_int_equal(snapshot_digest(b.st, b.cyc, &db), 0);
    assert_true(da.store != db.store);
    fx_free(&a);
    fx_free(&b);
    teardown(NULL);
    setup(NULL);
}

/* Section boundaries of a snapshot file: offsets of each section head and payload end. */
typedef struct bounds {
    size_t head[3], payload[3], end[3];
} bounds;

static void find_bounds(const uint8_t *b, size_t n, bounds *o)
{
    size_t at = 32;
    for (int s = 0; s < 3; s++) {
        o->head[s] = at;
        o->payload[s] = at + 24;
        at += 24 + (size_t)le_get_u64(b + at + 16);
        o->end[s] = at;             /* the CRC starts here */
        at += 4;
    }
    assert_int_equal(at, n);
}

static void expect_refused(const char *path, const char *reason)
{
    char err[512] = "";
    assert_int_equal(snapshot_check(path, err, sizeof err), -MAI_EPROTO);
    if (!strstr(err, reason) || strncmp(err, path, strlen(path)) != 0 || strchr(err, '\n'))
        fail_msg("got \"%s\", want \"%s: ...%s...\"", err, path, reason);
}

static const char *const SECTION[3] = {"STOR", "MODL", "DGST"};

static void test_snapshot_refuses_truncated_flipped_newer_files(void **state)
{
    (void)state;
    fixture a;
    fx_make(&a);
    feed(&a, 30 * 60);
    snapshot_stats ws;
    write_snapshot(&a, &ws);
    char path[200], copy[200];
    path_of(path, sizeof path, SNAPSHOT_FILE);
    path_of(copy, sizeof copy, "copy.bin");
    size_t n;
    uint8_t *b = read_all(path, &n);
    char err[512];
    assert_int_equal(snapshot_check(path, err, sizeof err), 0);
    bounds bd;
    find_bounds(b, n, &bd);

    /* cut at every section boundary (and just inside each) */
    write_all(copy, b, 0);
    expect_refused(copy, "truncated header (0 of 32 bytes)");
    write_all(copy, b, 31);
    expect_refused(copy, "truncated header");
    char want[120];
    for (int s = 0; s < 3; s++) {
        write_all(copy, b, bd.head[s]);
        snprintf(want, sizeof want, "truncated: section %d of 3 (%s) missing", s + 1, SECTION[s]);
        expect_refused(copy, want);
        write_all(copy, b, bd.head[s] + 10);
        snprintf(want, sizeof want, "truncated in the head of section %s", SECTION[s]);
        expect_refused(copy, want);
        snprintf(want, sizeof want, "truncated in section %s", SECTION[s]);
        write_all(copy, b, bd.payload[s]);
        expect_refused(copy, want);
        write_all(copy, b, bd.end[s]);
        expect_refused(copy, want);
        write_all(copy, b, bd.end[s] + 3);
        expect_refused(copy, want);
    }
    uint8_t *longer = malloc(n + 5);
    memcpy(longer, b, n);
    memset(longer + n, 0, 5);
    write_all(copy, longer, n + 5);
    expect_refused(copy, "5 unexpected bytes after the last section");
    free(longer);

    /* byte flips: in the payload or CRC of a section, that section's CRC; in the header */
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    for (int t = 0; t < 120; t++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        size_t at = (size_t)(rng % n);
        uint8_t flip = (uint8_t)(1 + (rng >> 40) % 255);
        b[at] ^= flip;
        write_all(copy, b, n);
        b[at] ^= flip;
        if (at < 8) {
            expect_refused(copy, "bad magic");
        } else if (at < 32) {
            expect_refused(copy, "header CRC mismatch");
        } else {
            int s = 0;
            while (s < 2 && at >= bd.head[s + 1])
                s++;
            if (at >= bd.payload[s]) {
                snprintf(want, sizeof want, "CRC mismatch in section %s", SECTION[s]);
                expect_refused(copy, want);
            } else {
                expect_refused(copy, "");       /* a head: tag, count or length; refused */
            }
        }
    }

    /* a newer version, with a valid header CRC */
    le_put_u32(b + 8, SNAPSHOT_VERSION + 1);
    le_put_u32(b + 28, mai_crc32(b, 28));
    write_all(copy, b, n);
    snprintf(want, sizeof want, "version %d is newer than this build reads (%d)",
             SNAPSHOT_VERSION + 1, SNAPSHOT_VERSION);
    expect_refused(copy, want);
    assert_int_equal(snapshot_check("/nonexistent/snapshot.bin", err, sizeof err), -MAI_EIO);
    free(b);
    fx_free(&a);
    teardown(NULL);
    setup(NULL);
}

static void test_snapshot_falls_back_to_prev_then_to_empty(void **state)
{
    (void)state;
    fixture a, b;
    fx_make(&a);
    feed(&a, 26 * 60);
    snapshot_stats first, second, rs;
    write_snapshot(&a, &first);
    feed(&a, 120);
    write_snapshot(&a, &second);
    assert_true(first.digest.store != second.digest.store);
    char path[200], prev[200];
    path_of(path, sizeof path, SNAPSHOT_FILE);
    path_of(prev, sizeof prev, SNAPSHOT_PREV_FILE);
    size_t n, np;
    uint8_t *cur = read_all(path, &n), *old = read_all(prev, &np);
    assert_int_equal(np, first.bytes);

    /* snapshot.bin corrupt: snapshot.prev.bin, the first one, is restored */
    cur[n / 2] ^= 0x40;
    write_all(path, cur, n);
    fx_make(&b);
    assert_int_equal(snapshot_restore(tmpdir, b.st, b.cyc, &rs), 1);
    assert_string_equal(rs.path, prev);
    assert_true(rs.digest.store == first.digest.store && rs.digest.models == first.digest.models);
    fx_free(&b);

    /* snapshot.bin missing (a crash between the renames of a filesystem without links) */
    unlink(path);
    fx_make(&b);
    assert_int_equal(snapshot_restore(tmpdir, b.st, b.cyc, &rs), 1);
    assert_string_equal(rs.path, prev);
    fx_free(&b);

    /* both bad: an empty start */
    write_all(path, cur, n / 3);
    old[40] ^= 1;
    write_all(prev, old, np);
    fx_make(&b);
    assert_int_equal(snapshot_restore(tmpdir, b.st, b.cyc, &rs), 0);
    assert_string_equal(rs.path, "");
    store_stats ss;
    store_get_stats(b.st, &ss);
    assert_int_equal(ss.series, 0);
    /* the next write replaces the bad files */
    feed(&b, 10);
    snapshot_stats w3;
    write_snapshot(&b, &w3);
    char err[512];
    assert_int_equal(snapshot_check(path, err, sizeof err), 0);
    fx_free(&b);

    /* nothing there at all */
    teardown(NULL);
    setup(NULL);
    fx_make(&b);
    assert_int_equal(snapshot_restore(tmpdir, b.st, b.cyc, &rs), 0);
    fx_free(&b);
    free(cur);
    free(old);
    fx_free(&a);
}

/* A file already in memory is checked and restored like the file itself; a flipped byte is
 * refused with the same reason, naming the given name, and restores nothing. */
static void test_snapshot_check_and_restore_from_memory(void **state)
{
    (void)state;
    fixture a, b;
    fx_make(&a);
    feed(&a, 26 * 60);
    snapshot_stats ws, rs;
    write_snapshot(&a, &ws);
    char path[200], err[512] = "", ferr[512] = "";
    path_of(path, sizeof path, SNAPSHOT_FILE);
    size_t n;
    uint8_t *buf = read_all(path, &n);
    assert_int_equal(snapshot_check_buffer(buf, n, "mem.bin", err, sizeof err), 0);
    fx_make(&b);
    assert_int_equal(snapshot_restore_buffer(buf, n, "mem.bin", b.st, b.cyc, &rs), 1);
    assert_string_equal(rs.path, "mem.bin");
    assert_int_equal(rs.series, ws.series);
    assert_int_equal(rs.models, ws.models);
    assert_int_equal(rs.bytes, n);
    assert_true(rs.digest.store == ws.digest.store && rs.digest.models == ws.digest.models);
    fx_free(&b);

    buf[n / 2] ^= 0x40;
    assert_int_equal(snapshot_check_buffer(buf, n, "mem.bin", err, sizeof err), -MAI_EPROTO);
    write_all(path, buf, n);
    assert_int_equal(snapshot_check(path, ferr, sizeof ferr), -MAI_EPROTO);
    assert_string_equal(err + strlen("mem.bin"), ferr + strlen(path));    /* same reason */
    assert_int_equal(strncmp(err, "mem.bin: ", 9), 0);
    assert_null(strchr(err, '\n'));
    fx_make(&b);
    assert_int_equal(snapshot_restore_buffer(buf, n, "mem.bin", b.st, b.cyc, &rs), 0);
    assert_string_equal(rs.path, "");
    store_stats ss;
    store_get_stats(b.st, &ss);
    assert_int_equal(ss.series, 0);
    fx_free(&b);
    assert_int_equal(snapshot_check_buffer(buf, 0, "mem.bin", err, sizeof err), -MAI_EPROTO);
    free(buf);
    fx_free(&a);
    teardown(NULL);
    setup(NULL);
}

static void test_snapshot_write_reports_an_unwritable_dir(void **state)
{
    (void)state;
    fixture a;
    fx_make(&a);
    snapshot_stats ws;
    char err[512] = "";
    assert_int_equal(snapshot_write("/proc/no-such-dir/x", a.st, a.cyc, &ws, err, sizeof err),
                     -MAI_EIO);
    assert_non_null(strstr(err, "/proc/no-such-dir"));
    assert_null(strchr(err, '\n'));
    fx_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_round_trip_is_bit_for_bit),
        cmocka_unit_test(test_snapshot_refuses_truncated_flipped_newer_files),
        cmocka_unit_test(test_snapshot_falls_back_to_prev_then_to_empty),
        cmocka_unit_test(test_snapshot_check_and_restore_from_memory),
        cmocka_unit_test(test_snapshot_write_reports_an_unwritable_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
