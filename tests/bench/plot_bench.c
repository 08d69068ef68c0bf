/* SPDX-License-Identifier: Apache-2.0
 * tests/bench/plot_bench.c -- the cost of writing every plot for N series (make bench-plots):
 * host and pod layer series (forecast and backtest), disks and I/O-network series with 48 h of
 * history at 60 s and a 12 h forecast at 60 s, and the classification scatter; prints the files
 * written, the wall time and the time per file. Usage: plot_bench [--series N] [--dir DIR]
 * [--rounds R]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/plot_set.h"

#define HIST (48 * 60)
#define FC (12 * 60)

typedef struct data {
    double ht[HIST], hv[HIST], ft[FC], fm[FC], fl[FC], fu[FC], at[4], av[4];
    char node[32], display[64], mount[32];
} data;

static unsigned long long rng = 88172645463325252ULL;

static double noise(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 - 0.5;
}

static void fill(data *d, int k, double now, double level, double amp, double trend)
{
    for (int i = 0; i < HIST; i++) {
        d->ht[i] = now - (HIST - 1 - i) * 60.0;
        d->hv[i] = level + amp * sin(2 * M_PI * i / 1440.0 + k) + trend * i + amp * 0.1 * noise();
    }
    for (int i = 0; i < FC; i++) {
        d->ft[i] = now + (i + 1) * 60.0;
        d->fm[i] = level + amp * sin(2 * M_PI * (HIST + i) / 1440.0 + k) + trend * (HIST + i);
        double w = amp * 0.1 * (1 + i / 120.0);
        d->fl[i] = d->fm[i] - w;
        d->fu[i] = d->fm[i] + w;
    }
    for (int i = 0; i < 4; i++) {
        int j = (k * 97 + i * 613) % HIST;
        d->at[i] = d->ht[j];
        d->av[i] = d->hv[j];
    }
    snprintf(d->node, sizeof d->node, "host%02d", k % 50);
    snprintf(d->display, sizeof d->display, "host%02d (192.168.10.%d)", k % 50, 10 + k % 50);
    snprintf(d->mount, sizeof d->mount, k % 2 ? "/" : "/var/lib/data%d", k);
}

static plot_series_in series(const data *d, const char *signal, const char *unit, double th)
{
    plot_series_in s;
    memset(&s, 0, sizeof s);
    s.signal = signal;
    s.unit = unit;
    s.node = d->node;
    s.display = d->display;
    s.mountpoint = d->mount;
    s.hist_t = d->ht;
    s.hist_v = d->hv;
    s.hist_n = HIST;
    s.fc_t = d->ft;
    s.fc_mean = d->fm;
    s.fc_lower = d->fl;
    s.fc_upper = d->fu;
    s.fc_n = FC;
    s.anom_t = d->at;
    s.anom_v = d->av;
    s.anom_n = 4;
    s.threshold = th;
    s.eta_s = 3.5 * 86400;
    s.bt_split_t = NAN;
    s.bt_mae = NAN;
    return s;
}

int main(int argc, char **argv)
{
    int nseries = 100, rounds = 3;
    const char *dir = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--series") == 0)
            nseries = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
    }
    if (nseries < 2 || rounds < 1) {
        fprintf(stderr, "usage: plot_bench [--series N>=2] [--dir DIR] [--rounds R>=1]\n");
        return 2;
    }
    char tmpdir[] = "/tmp/plot_bench.XXXXXX";
    if (!dir && !(dir = mkdtemp(tmpdir))) {
        perror("plot_bench: mkdtemp");
        return 1;
    }
    double now = 1795000000.0;
    data *d = calloc((size_t)nseries, sizeof *d);
    plot_series_in *in = calloc((size_t)nseries, sizeof *in);
    plot_node_in nodes[50];
    if (!d || !in)
        return 1;
    /* 2 layer series, then half disks, half I/O and network */
    int ndisk = (nseries - 2) / 2, nio = nseries - 2 - ndisk;
    static const char *const io_sig[] = {"DISK_IO_WAIT", "NET_RX_BW", "NET_TX_BW", "CPU_IOWAIT"};
    static const char *const io_unit[] = {"seconds_per_second", "bytes_per_second",
                                          "bytes_per_second", "ratio"};
    for (int k = 0; k < nseries; k++) {
        if (k < 2) {
            fill(&d[k], k, now, 0.45, 0.15, 0);
            in[k] = series(&d[k], k == 0 ? "HOST_CPU" : "POD_CPU", "ratio", NAN);
            in[k].bt_t = d[k].ht + HIST * 8 / 10;
            in[k].bt_mean = d[k].hv + HIST * 8 / 10;
            in[k].bt_n = HIST - HIST * 8 / 10;
            in[k].bt_mae = 0.012;
        } else if (k < 2 + ndisk) {
            fill(&d[k], k, now, 0.6, 0.02, 0.00005);
            in[k] = series(&d[k], "DISK_USAGE", "ratio", 0.9);
        } else {
            int j = (k - 2 - ndisk) % 4;
            double scale = j == 1 || j == 2 ? 50e6 : 0.2;
            fill(&d[k], k, now, scale, scale * 0.5, 0);
            in[k] = series(&d[k], io_sig[j], io_unit[j], scale * 3);
        }
    }
    for (int i = 0; i < 50; i++) {
        nodes[i].display = d[i % nseries].display;
        nodes[i].host = 0.3 + 0.4 * (noise() + 0.5);
        nodes[i].pod = 0.2 + 0.5 * (noise() + 0.5);
        nodes[i].flagged = i % 17 == 3;
        nodes[i].kind = nodes[i].flagged ? "cpu_saturation" : "";
    }
    plot_set_in set = {.now = now,
                       .host_layer = &in[0],
                       .pod_layer = &in[1],
                       .disks = in + 2,
                       .ndisks = (size_t)ndisk,
                       .ionet = in + 2 + ndisk,
                       .nionet = (size_t)nio,
                       .nodes = nodes,
                       .nnodes = 50,
                       .backtest = 1};
    mai_config c;
    config_defaults(&c);
    c.plot_history_hours = 48;
    c.plot_forecast_hours = 12;
    plot_set_cfg cfg = plot_set_cfg_from(&c);
    cfg.dir = dir;
    double best = INFINITY;
    plot_set_stats st = {0};
    for (int r = 0; r < rounds; r++) {
        char err[512];
        if (plot_set_write(&cfg, &set, &st, err, sizeof err) != 0) {
            fprintf(stderr, "plot_bench: %s\n", err);
            return 1;
        }
        if (st.seconds < best)
            best = st.seconds;
    }
    printf("plots: %d series (2 layer, %d disk, %d io/net), %zu files %dx%d in %s\n", nseries,
           ndisk, nio, st.written, cfg.width, cfg.height, dir);
    printf("plots: best of %d rounds %.3f s total, %.1f ms per file\n", rounds, best,
           best * 1e3 / (double)st.written);
    free(d);
    free(in);
    if (dir == tmpdir) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "plot_bench: could not remove %s\n", tmpdir);
    }
    return 0;
}
