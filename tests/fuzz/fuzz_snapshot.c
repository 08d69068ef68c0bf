/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_snapshot.c -- libFuzzer target for the snapshot loader (adapter/snapshot.c, and
 * through it store_load() and cycle_load()). Each input is a snapshot file, checked as is with
 * snapshot_check_buffer() (a refusal must be one line naming the file); then its CRCs (header
 * and every section whose framing fits) are recomputed, so that mutations get past the checksums
 * to the record parsers, and the repaired file is restored with snapshot_restore_buffer() into
 * an empty store and cycle. Nothing may crash, leak or hang.
 * Speed, and what it costs: every input goes through the check and the restore, with every
 * record parser. Three costs are cut, because they took 90% of the time (585 inputs/s before,
 * mostly creating and freeing a cycle's work buffers under ASan):
 *  - the file is read from memory, not written to /dev/shm and mapped (the file path, map_file
 *    and the snapshot.prev.bin fallback are covered by tests/unit/test_snapshot.c);
 *  - the store and cycle are created once and reused while restores refuse the input (it is
 *    checked that they are still empty), and replaced after each restore;
 *  - a restored state is walked (a model cycle, then a new snapshot write) for the 1st, 9th,
 *    17th ... restored input of a run only (FUZZ_WALK_EVERY), so replaying one input always
 *    walks it (build-and-run.sh replays each regression input in a process of its own).
 * With -DFUZZ_SNAPSHOT_SEEDS the file instead builds a main() that writes a real snapshot of a
 * small fed store with fitted models (the seed in tests/fuzz/corpus/fuzz_snapshot/). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter/cycle.h"
#include "adapter/log.h"
#include "adapter/snapshot.h"
#include "adapter/store.h"
#include "exporter/results.h"
#include "models/codec.h"
#include "tests/unit/req_builder.h"

/* The store and cycle shapes of the seed and of every restore (small rings keep inputs small). */
static const store_config SC = {.shards = 2, .max_series = 64, .fine_cap = 48,
                                .fine_step_ms = 60000, .coarse_cap = 12,
                                .coarse_step_ms = 3600000};

static int make_cycle(store *st, results_box *box, cycle **out)
{
    cycle_config c = {.st = st, .box = box, .fine_step_s = 60, .coarse_step_s = 3600,
                      .fine_cap = SC.fine_cap, .coarse_cap = SC.coarse_cap,
                      .horizon_s = {900, 3600}, .nh = 2, .interval_s = 15, .max_models = 16,
                      .fit_budget_s = 1, .lstm_metrics = ""};
    return cycle_create(&c, 0, out);
}

#ifndef FUZZ_SNAPSHOT_SEEDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char NAME[] = "fuzz/snapshot.bin";
static char g_out[64];

/* A restored state is walked (cycle, write) for one restored input in this many. */
#define FUZZ_WALK_EVERY 8
static unsigned long g_restored;

/* The empty store and cycle restores go into; replaced after every restore. */
static store *g_st;
static results_box *g_box;
static cycle *g_cy;

static void fresh_state(void)
{
    g_box = results_box_create();
    if (!g_box || store_create(&SC, &g_st) != 0 || make_cycle(g_st, g_box, &g_cy) != 0)
        abort();
}

static void drop_state(void)
{
    cycle_destroy(g_cy);
    results_box_destroy(g_box);
    store_destroy(g_st);
    g_cy = NULL;
    g_box = NULL;
    g_st = NULL;
}

static int count_model(const cycle_model_view *v, void *ctx)
{
    (void)v;
    ++*(size_t *)ctx;
    return 0;
}

static void cleanup(void)
{
    const char *const names[] = {SNAPSHOT_FILE, SNAPSHOT_PREV_FILE};
    char p[256];
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", g_out, names[i]);
        unlink(p);
    }
    rmdir(g_out);
    drop_state();
}

/* Recomputes the header CRC and the CRC of every section whose declared length fits. */
static void repair(uint8_t *b, size_t n)
{
    if (n < 32)
        return;
    le_put_u32(b + 28, mai_crc32(b, 28));
    size_t at = 32;
    while (n - at >= 24) {
        uint8_t *h = b + at;
        uint64_t len = le_get_u64(h + 16);
        if (len > n - at - 24 || n - at - 24 - len < 4)
            return;
        uint8_t *pay = h + 24;
        le_put_u32(pay + len, mai_crc32_update(mai_crc32(pay, (size_t)len), h, 24));
        at += 24 + (size_t)len + 4;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_out[0]) {
        snprintf(g_out, sizeof g_out, "/dev/shm/mai-fuzz-snapw-XXXXXX");
        if (!mkdtemp(g_out))
            abort();
        log_set_verbosity(-3);          /* restore's per-file lines would flood the output */
        atexit(cleanup);
        fresh_state();
    }
    char err[1600] = "";
    if (snapshot_check_buffer(data, size, NAME, err, sizeof err) != 0 &&
        (strchr(err, '\n') != NULL || strncmp(err, NAME, sizeof NAME - 1) != 0)) {
        fprintf(stderr, "fuzz_snapshot: a refusal is not one line naming the file: %s\n", err);
        abort();
    }
    uint8_t *b = malloc(size ? size : 1);
    if (!b)
        return 0;
    memcpy(b, data, size);
    repair(b, size);
    snapshot_stats ss;
    int restored = snapshot_restore_buffer(b, size, NAME, g_st, g_cy, &ss);
    free(b);
    if (restored) {
        if (g_restored++ % FUZZ_WALK_EVERY == 0) {
            cycle_run_once(g_cy);
            snapshot_stats ws;
            if (snapshot_write(g_out, g_st, g_cy, &ws, err, sizeof err) != 0) {
                fprintf(stderr, "fuzz_snapshot: writing a restored state failed: %s\n", err);
                abort();
            }
        }
        drop_state();
        fresh_state();          /* here, so that the input's allocations and frees balance */
    } else {
        store_stats sst;
        store_get_stats(g_st, &sst);
        size_t models = 0;
        cycle_visit_models(g_cy, count_model, &models);
        if (sst.series != 0 || sst.metadata_families != 0 || models != 0) {
            fprintf(stderr, "fuzz_snapshot: a refused snapshot changed the store or cycle\n");
            abort();
        }
    }
    return 0;
}

#else   /* FUZZ_SNAPSHOT_SEEDS */

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    static const char *const GAUGE[] = {"__name__", "node_load1", "instance", "a:9100", NULL};
    static const char *const COUNTER[] = {"__name__", "http_requests_total", "job", "api", NULL};
    static const char *const *const ALL[] = {GAUGE, COUNTER, NULL};
    store *st;
    results_box *box = results_box_create();
    cycle *cy;
    store_scratch *sc = store_scratch_create();
    static req_builder rb;
    if (!box || !sc || store_create(&SC, &st) != 0 || make_cycle(st, box, &cy) != 0)
        return 1;
    const int64_t t0 = 19675 * 86400000LL;
    for (int64_t m = 0; m < 180; m += 30) {
        rb_init(&rb);
        for (int k = 0; ALL[k]; k++) {
            rw_series *se = rb_series(&rb, ALL[k]);
            for (int64_t i = m; i < m + 30; i++)
                rb_sample(&rb, se, t0 + i * 60000,
                          k ? 1000 + 3.0 * (double)i : 5 + sin((double)i / 10));
        }
        store_result res;
        if (store_ingest(st, &rb.req, sc, &res) != 0)
            return 1;
        cycle_run_once(cy);
    }
    snapshot_stats ws;
    char err[1600];
    if (snapshot_write(argv[1], st, cy, &ws, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("%s/%s: %llu series, %llu models, %llu bytes\n", argv[1], SNAPSHOT_FILE,
           (unsigned long long)ws.series, (unsigned long long)ws.models,
           (unsigned long long)ws.bytes);
    cycle_destroy(cy);
    results_box_destroy(box);
    store_destroy(st);
    store_scratch_destroy(sc);
    return 0;
}

#endif
