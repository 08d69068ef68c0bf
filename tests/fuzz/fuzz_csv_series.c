/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_csv_series.c -- libFuzzer target for the `timestamp,value` CSV reader used by
 * `metrics-ai predict`, `backtest` and `score`: each input is read from memory (fmemopen) with
 * csv_series_read_stream(), the reader under csv_series_read(), and when accepted put on a grid
 * with the inferred step and with a fixed one, as the commands do. An accepted file must give
 * finite timestamps and 1-based line numbers; a refused one a one-line message naming the file.
 * Every grid is sized with csv_grid_size(); one over CSV_GRID_MAX_POINTS must be refused by
 * csv_grid_build() too. Grids of more than FUZZ_GRID_STEPS steps are sized but not built: their
 * code path is the one of smaller grids, and filling up to 10 million steps (80 MB of page
 * faults) per input made the target run at under 1000 inputs/s. Reading from memory instead of
 * a file in /dev/shm saves three system calls per input.
 * Seeds: tests/fuzz/corpus/fuzz_csv_series/ (heads of real series from shared/data/series). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/csv_series.h"
#include "models/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char NAME[] = "fuzz.csv";

/* Largest grid built per input (512 KiB of values). */
#define FUZZ_GRID_STEPS 65536

static void must(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_csv_series: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *warn;              /* one sink for the whole run: opening it cost a syscall */
    if (!warn && !(warn = fopen("/dev/null", "w")))
        abort();
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        abort();
    csv_series s;
    char err[512] = "";
    int rc = csv_series_read_stream(f, NAME, &s, warn, err, sizeof err);
    fclose(f);
    if (rc != 0) {
        must(strchr(err, '\n') == NULL && strncmp(err, NAME, sizeof NAME - 1) == 0,
             "a refused file's message is one line naming the file");
    } else {
        for (size_t i = 0; i < s.n; i++)
            must(isfinite(s.t[i]) && s.line[i] >= 1, "a point with a bad time or line");
        double steps[2] = {csv_series_infer_step(&s), 60};
        for (int k = 0; k < 2; k++) {
            size_t n;
            csv_grid g;
            if (csv_grid_size(&s, steps[k], &n) != 0) {
                must(csv_grid_build(&s, steps[k], NAME, warn, &g) == -MAI_ETOOBIG && !g.y,
                     "a grid over the bound is not refused");
            } else if (n <= FUZZ_GRID_STEPS && csv_grid_build(&s, steps[k], NAME, warn, &g) == 0) {
                must(g.n == n && (n == 0 || g.y != NULL), "a grid of another size than sized");
                csv_grid_free(&g);
            }
        }
        csv_series_free(&s);
    }
    return 0;
}
