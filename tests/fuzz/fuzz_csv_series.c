/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_csv_series.c -- libFuzzer target for the `timestamp,value` CSV reader used by
 * `metrics-ai predict`, `backtest` and `score`: each input is written to a file in a private
 * directory of /dev/shm (csv_series_read takes a path), read, and when accepted put on a grid with
 * the inferred step and with a fixed one, as the commands do. An accepted file must give finite
 * timestamps and 1-based line numbers; a refused one a one-line message naming the file.
 * Seeds: tests/fuzz/corpus/fuzz_csv_series/ (heads of real series from shared/data/series). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter/csv_series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_path[128];

static void cleanup(void)
{
    unlink(g_path);
    *strrchr(g_path, '/') = '\0';
    rmdir(g_path);
}

static void must(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_csv_series: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_path[0]) {
        char dir[] = "/dev/shm/mai-fuzz-csv-XXXXXX";
        if (!mkdtemp(dir))
            abort();
        snprintf(g_path, sizeof g_path, "%s/in.csv", dir);
        atexit(cleanup);
    }
    FILE *f = fopen(g_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    FILE *warn = fopen("/dev/null", "w");
    csv_series s;
    char err[512] = "";
    int rc = csv_series_read(g_path, &s, warn, err, sizeof err);
    if (rc != 0) {
        must(strchr(err, '\n') == NULL && strstr(err, g_path) != NULL,
             "a refused file's message is one line naming the file");
    } else {
        for (size_t i = 0; i < s.n; i++)
            must(isfinite(s.t[i]) && s.line[i] >= 1, "a point with a bad time or line");
        double steps[2] = {csv_series_infer_step(&s), 60};
        for (int k = 0; k < 2; k++) {
            csv_grid g;
            if (csv_grid_build(&s, steps[k], g_path, warn, &g) == 0) {
                must(g.n == 0 || g.y != NULL, "a grid without values");
                csv_grid_free(&g);
            }
        }
        csv_series_free(&s);
    }
    if (warn)
        fclose(warn);
    return 0;
}
