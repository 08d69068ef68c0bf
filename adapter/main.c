/* SPDX-License-Identifier: Apache-2.0
 * adapter/main.c -- the metrics-ai process: reads the configuration, creates the series store,
 * starts the HTTP server and waits for SIGINT/SIGTERM. The only file that exits. */
#include <cblas.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/alert_sender.h"
#include "adapter/config.h"
#include "adapter/cycle.h"
#include "adapter/http.h"
#include "adapter/log.h"
#include "adapter/naming.h"
#include "adapter/retrain.h"
#include "adapter/predict.h"
#include "adapter/score_cmd.h"
#include "adapter/signals.h"
#include "adapter/selfstats.h"
#include "adapter/store.h"
#include "adapter/write_handler.h"
#include "models/anomaly.h"


/* Seed features that arrive with later modules: accepted on the command line, reported here. */
static void report_pending(const mai_config *cfg)
{
    struct { int on; const char *what; } pending[] = {
        {cfg->training, "--training"},
        {cfg->forecast, "--forecast"},
    };
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++)
        if (pending[i].on)
            log_msg(LOG_WARN, "%s is not yet available in this version; ignored", pending[i].what);
}

/* POST /api/v1/admin/retrain: waits up to 2 s for the cycle to apply the request, so that a
 * worker thread is never held for long. */
static int admin_retrain(void *ctx, const retrain_spec *disk, const retrain_spec *io_net,
                         size_t *matched)
{
    return cycle_retrain(ctx, disk, io_net, 2.0, matched);
}

int main(int argc, char **argv)
{
    /* one BLAS thread: the problems are small and the cycle parallelises across series */
    openblas_set_num_threads(1);
    if (argc > 1 && strcmp(argv[1], "predict") == 0)
        return predict_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "backtest") == 0)
        return backtest_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "score") == 0)
        return score_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "rules") == 0)
        return rules_main(argc - 1, argv + 1);
    static mai_config cfg;
    char err[512];
    if (config_load(&cfg, argc, argv, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "metrics-ai: %s (see --help)\n", err);
        return 2;
    }
    if (cfg.command == MAI_CMD_HELP) {
        config_print_help(stdout, "metrics-ai");
        return 0;
    }
    if (cfg.command == MAI_CMD_VERSION) {
        printf("metrics-ai %s\n", MAI_VERSION);
        return 0;
    }
    log_set_verbosity(cfg.verbose_level);
    report_pending(&cfg);
    static retrain_spec retrain[2];    /* --disk-retrain, --io-net-retrain: checked now */
    if (retrain_parse(cfg.disk_retrain, RETRAIN_DISK, "--disk-retrain", &retrain[0], err,
                      sizeof err) != 0 ||
        retrain_parse(cfg.io_net_retrain, RETRAIN_IO_NET, "--io-net-retrain", &retrain[1], err,
                      sizeof err) != 0) {
        fprintf(stderr, "metrics-ai: %s (see --help)\n", err);
        return 2;
    }
    naming *names = NULL;       /* checks INSTANCE_ALIAS_MAP now, not at the first alert */
    if (naming_create(&cfg, &names, err, sizeof err) != 0) {
        fprintf(stderr, "metrics-ai: %s\n", err);
        return 2;
    }

    /* Signals are taken synchronously by this thread; every other thread blocks them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    g_selfstats.start_time_s = log_now_s();
    store_config sc = {
        .shards = cfg.shards,
        .max_series = cfg.max_series,
        .fine_cap = (uint32_t)((int64_t)cfg.fine_hours * 3600 / cfg.step_s),
        .fine_step_ms = cfg.step_s * 1000,
        .coarse_cap = (uint32_t)((uint64_t)cfg.coarse_days * 86400 / cfg.coarse_step_s),
        .coarse_step_ms = (int64_t)cfg.coarse_step_s * 1000,
    };
    if (sc.fine_cap == 0)
        sc.fine_cap = 1;
    if (sc.coarse_cap == 0)
        sc.coarse_cap = 1;
    store *st = NULL;
    int rc = store_create(&sc, &st);
    if (rc != 0) {
        fprintf(stderr, "metrics-ai: cannot create the series store: %s\n", mai_strerror(rc));
        naming_destroy(names);
        return 1;
    }
    /* --lstm-metrics: "layer" (the default) = the catalogue's host and pod layer signals */
    char lstm_metrics[MAI_CONFIG_PATH_MAX] = "";
    if (strcmp(cfg.lstm_metrics, "layer") == 0) {
        size_t n, len = 0;
        const signal_def *sig = signals_builtin(&n);
        for (size_t i = 0; i < n; i++)
            if (strcmp(sig[i].layer, "host") == 0 || strcmp(sig[i].layer, "pod") == 0)
                len += (size_t)snprintf(lstm_metrics + len, sizeof lstm_metrics - len, "%s%s",
                                        len ? "," : "", sig[i].record);
    } else if (strcmp(cfg.lstm_metrics, "none") != 0) {
        snprintf(lstm_metrics, sizeof lstm_metrics, "%s", cfg.lstm_metrics);
    }
    results_box *box = results_box_create();
    cycle *cyc = NULL;
    double horizons[MAI_CONFIG_MAX_HORIZONS];
    int nh = config_horizons(&cfg, horizons, err, sizeof err);
    cycle_config cc = {
        .st = st, .box = box, .fine_step_s = cfg.step_s, .coarse_step_s = cfg.coarse_step_s,
        .fine_cap = sc.fine_cap, .coarse_cap = sc.coarse_cap, .nh = (uint32_t)nh,
        .interval_s = cfg.interval_s > 0 ? (unsigned)cfg.interval_s : 15,
        .max_models = cfg.max_models, .show_backtest = cfg.show_backtest,
        .lstm_metrics = lstm_metrics, .lstm_seq_len = (uint32_t)cfg.lstm_seq_len,
        .lstm_epochs = (uint32_t)cfg.lstm_epochs,
        .console = cfg.verbose_level >= 0, .verbosity = cfg.verbose_level,
        .reports_dir = cfg.forecast_plots_dir, .names = names,
        .dump_csv_dir = cfg.dump_csv_dir[0] ? cfg.dump_csv_dir : NULL,
        .lookback_hrs = cfg.lookback_hrs, .contamination = cfg.contamination,
        .anomaly_direction = strcmp(cfg.anomaly_direction, "up") == 0     ? AN_UP
                             : strcmp(cfg.anomaly_direction, "down") == 0 ? AN_DOWN
                                                                          : AN_BOTH,
        .anomaly_min_change = cfg.anomaly_min_change,
        .anomaly_persistence = cfg.anomaly_persistence,
        .anomaly_threshold = cfg.anomaly_threshold,
        .plot_interval_s = (unsigned)cfg.plot_interval_s, .plot_set = plot_set_cfg_from(&cfg),
        .plot_backtest = cfg.show_backtest || cfg.training, .train_fraction = cfg.train_fraction,
        .fit_budget_s = 0.5 * (cfg.interval_s > 0 ? cfg.interval_s : 15)};
    for (int i = 0; i < nh && i < CYCLE_MAX_HORIZONS; i++)
        cc.horizon_s[i] = horizons[i];
    if (!box || nh < 1 || cycle_create(&cc, 1, &cyc) != 0) {
        fprintf(stderr, "metrics-ai: cannot start the model cycle: %s\n",
                nh < 1 ? err : "out of memory");
        results_box_destroy(box);
        store_destroy(st);
        naming_destroy(names);
        return 1;
    }
    /* the named series are fitted again at the first cycle that holds them */
    cycle_retrain(cyc, &retrain[0], &retrain[1], 0, NULL);
    alert_sender *alerts = NULL;   /* --alert-webhook / --pushgateway, off the cycle thread */
    http_server *srv = NULL;
    if (alert_sender_from_config(&cfg, box, &alerts, err, sizeof err) != 0 ||
        http_start(&cfg, st, box, &srv, err, sizeof err) != 0) {
        fprintf(stderr, "metrics-ai: %s\n", err);
        alert_sender_stop(alerts);
        cycle_destroy(cyc);
        results_box_destroy(box);
        store_destroy(st);
        naming_destroy(names);
        return 1;
    }
    http_set_retrain(srv, admin_retrain, cyc);
    log_msg(LOG_INFO, "metrics-ai %s listening on %s:%u (remote write: POST /api/v1/write; "
            "metrics: GET /metrics); %u worker threads, %u shards, series limit %zu, "
            "%zu bytes per series record (fine ring %u x %llds, coarse ring %u x %llds)",
            MAI_VERSION, cfg.listen_host[0] ? cfg.listen_host : "0.0.0.0", http_port(srv),
            cfg.threads, cfg.shards, cfg.max_series, store_record_bytes(st), sc.fine_cap,
            (long long)cfg.step_s, sc.coarse_cap, (long long)cfg.coarse_step_s);

    int sig = 0;
    sigwait(&sigs, &sig);
    log_msg(LOG_INFO, "received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    http_stop(srv);
    alert_sender_stop(alerts);
    cycle_destroy(cyc);
    naming_destroy(names);
    results_box_destroy(box);
    store_destroy(st);
    write_worker_release();
    return 0;
}
