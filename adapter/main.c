/* SPDX-License-Identifier: Apache-2.0
 * adapter/main.c -- the metrics-ai process: reads the configuration, creates the series store,
 * starts the HTTP server and waits for SIGINT/SIGTERM. The only file that exits. */
#include <cblas.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "adapter/alert_sender.h"
#include "adapter/auth.h"
#include "adapter/config.h"
#include "adapter/cycle.h"
#include "adapter/http.h"
#include "adapter/log.h"
#include "adapter/manifest.h"
#include "adapter/naming.h"
#include "adapter/retrain.h"
#include "adapter/predict.h"
#include "adapter/pull.h"
#include "adapter/score_cmd.h"
#include "adapter/signals.h"
#include "adapter/selfstats.h"
#include "adapter/snapshot.h"
#include "adapter/store.h"
#include "adapter/write_handler.h"
#include "models/anomaly.h"


/* The signal catalogue: the built-in table with the --signals override files applied, in
 * order. NULL with one line in err when a file is refused. */
static signals *load_catalogue(const mai_config *cfg, char *err, size_t errlen)
{
    signals *cat = NULL;
    if (signals_new(&cat) != 0) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char files[sizeof cfg->signals_files];
    snprintf(files, sizeof files, "%s", cfg->signals_files);
    for (char *save = NULL, *f = strtok_r(files, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        if (signals_load(cat, f, err, errlen) != 0) {
            signals_free(cat);
            return NULL;
        }
        log_msg(LOG_INFO, "signal catalogue: %s applied (%zu signals)", f, signals_count(cat));
    }
    return cat;
}

/* What the admin retrain endpoint needs: the cycle and the catalogue the lists are checked
 * against. */
typedef struct admin_ctx {
    cycle *cyc;
    const signals *cat;
} admin_ctx;

/* POST /api/v1/admin/retrain: parses the lists, then waits up to 2 s for the cycle to apply
 * the request, so that a worker thread is never held for long. */
static int admin_retrain(void *arg, const char *disk, const char *io_net, size_t *matched,
                         char *err, size_t errlen)
{
    const admin_ctx *a = arg;
    retrain_spec *spec = malloc(2 * sizeof *spec);
    if (!spec)
        return -MAI_ENOMEM;
    int rc = retrain_parse(disk, RETRAIN_DISK, "disk", a->cat, &spec[0], err, errlen);
    if (rc == 0)
        rc = retrain_parse(io_net, RETRAIN_IO_NET, "io_net", a->cat, &spec[1], err, errlen);
    if (rc == 0)
        rc = cycle_retrain(a->cyc, &spec[0], &spec[1], 2.0, matched);
    free(spec);
    return rc;
}

/* Snapshots of the store and the models into MODEL_FILES_DIR (adapter/snapshot.h). */
typedef struct snapshot_timer {
    const char *dir;
    store *st;
    cycle *cyc;
    int interval_s;             /* 0: only at shutdown */
    int64_t last_ns;
    int backtest;               /* --training: the manifests' models are backtested */
    double train_fraction;
} snapshot_timer;

static void take_snapshot(snapshot_timer *t, const char *why)
{
    snapshot_stats ss;
    char err[1400];
    if (snapshot_write(t->dir, t->st, t->cyc, &ss, err, sizeof err) != 0) {
        log_msg(LOG_WARN, "snapshot not written (%s): %s", why, err);
        return;
    }
    log_msg(LOG_INFO, "snapshot written (%s) to %s/%s: %llu series, %llu models, %llu bytes in "
            "%.3f s; digest store=%016llx models=%016llx", why, t->dir, SNAPSHOT_FILE,
            (unsigned long long)ss.series, (unsigned long long)ss.models,
            (unsigned long long)ss.bytes, ss.seconds, (unsigned long long)ss.digest.store,
            (unsigned long long)ss.digest.models);
    /* the seed's manifests and per-model files, refreshed with every snapshot */
    manifest_options mo = {.dir = t->dir, .backtest = t->backtest,
                           .train_fraction = t->train_fraction,
                           .console = t->backtest ? stdout : NULL};
    manifest_stats ms;
    if (manifest_write(t->cyc, t->st, &mo, &ms, err, sizeof err) != 0)
        log_msg(LOG_WARN, "manifests not written (%s): %s", why, err);
    else
        log_msg(LOG_INFO, "manifests written to %s: %zu models (%zu disk, %zu I/O and network, "
                "%zu host, pod and golden), %zu backtests", t->dir, ms.models, ms.disk, ms.io_net,
                ms.layer, ms.backtests);
}

/* Runs on the cycle thread after each cycle: models are quiet, ingest goes on. */
static void periodic_snapshot(void *arg)
{
    snapshot_timer *t = arg;
    int64_t now = mai_monotonic_ns();
    if (t->interval_s <= 0 || now - t->last_ns < (int64_t)t->interval_s * 1000000000)
        return;
    take_snapshot(t, "periodic");
    t->last_ns = mai_monotonic_ns();
}

/* Where a backfill after a restore starts: two steps before the restored snapshot was written
 * (unix seconds), or 0 (the whole START_HOURS_AGO range) when nothing was restored. */
static int64_t gap_start(const mai_config *cfg, const snapshot_stats *restored)
{
    struct stat sb;
    return restored->path[0] && stat(restored->path, &sb) == 0
               ? (int64_t)sb.st_mtime - 2 * cfg->step_s : 0;
}

/* A single run (--training, or --interval 0): the history comes from VM_URL's query_range (after
 * a restore, only the gap, unless --training), one model cycle runs on this thread (with
 * --training every model is fitted again and the backtest table printed), the alerts go out once,
 * the snapshot is written, and the process exits. */
static int run_one_shot(const mai_config *cfg, const signals *cat, store *st, cycle *cyc,
                        results_box *box, snapshot_timer *snap, const snapshot_stats *restored)
{
    pull_backfill_at_start(cfg, cat, st, cfg->training ? 0 : gap_start(cfg, restored));
    if (cfg->training)
        cycle_fit_all(cyc);
    char err[512];
    alert_sender *alerts = NULL;
    if (alert_sender_from_config(cfg, box, &alerts, err, sizeof err) != 0) {
        fprintf(stderr, "metrics-ai: %s\n", err);
        return 1;
    }
    cycle_run_once(cyc);
    if (alerts) {           /* deliver this cycle's alerts before exiting (bounded) */
        alert_sender_notify(alerts);
        for (int i = 0; i < 600 && alert_sender_delivered(alerts) == 0; i++)
            nanosleep(&(struct timespec){0, 50000000}, NULL);
        alert_sender_stop(alerts);
    }
    take_snapshot(snap, cfg->training ? "training" : "single run");
    const results *r = results_acquire(box);
    log_msg(LOG_INFO, "single run done: %llu models (%llu ready), %llu fits in %.3f s",
            r ? (unsigned long long)r->models : 0ULL,
            r ? (unsigned long long)r->models_ready : 0ULL,
            r ? (unsigned long long)r->fits : 0ULL, r ? r->fit_seconds : 0.0);
    if (r)
        results_release(box, r);
    return 0;
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
    signals *cat = load_catalogue(&cfg, err, sizeof err);
    if (!cat) {
        fprintf(stderr, "metrics-ai: %s\n", err);
        return 2;
    }
    /* --model-allow / --model-deny (checked by config_load already) */
    static regex_t model_rx[2];
    int have_rx[2] = {cfg.model_allow[0] != '\0', cfg.model_deny[0] != '\0'};
    if ((have_rx[0] && config_name_regex("--model-allow", cfg.model_allow, &model_rx[0], err,
                                         sizeof err) != 0) ||
        (have_rx[1] && config_name_regex("--model-deny", cfg.model_deny, &model_rx[1], err,
                                         sizeof err) != 0)) {
        fprintf(stderr, "metrics-ai: %s\n", err);
        return 2;
    }
    static retrain_spec retrain[2];    /* --disk-retrain, --io-net-retrain: checked now */
    if (retrain_parse(cfg.disk_retrain, RETRAIN_DISK, "--disk-retrain", cat, &retrain[0], err,
                      sizeof err) != 0 ||
        retrain_parse(cfg.io_net_retrain, RETRAIN_IO_NET, "--io-net-retrain", cat, &retrain[1],
                      err, sizeof err) != 0) {
        fprintf(stderr, "metrics-ai: %s (see --help)\n", err);
        return 2;
    }
    if (auth_check_config(&cfg, err, sizeof err) != 0) {   /* credential and TLS files, now */
        fprintf(stderr, "metrics-ai: %s\n", err);
        return 1;
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
        size_t len = 0;
        for (size_t i = 0; i < signals_count(cat); i++) {
            const signal_def *sig = signals_get(cat, i);
            if (strcmp(sig->layer, "host") == 0 || strcmp(sig->layer, "pod") == 0)
                len += (size_t)snprintf(lstm_metrics + len, sizeof lstm_metrics - len, "%s%s",
                                        len ? "," : "", sig->record);
        }
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
        .max_models = cfg.max_models, .cat = cat,
        .model_allow = have_rx[0] ? &model_rx[0] : NULL,
        .model_deny = have_rx[1] ? &model_rx[1] : NULL,
        .show_backtest = cfg.show_backtest || cfg.training, .minimal_refits = cfg.forecast,
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
    /* a single run fits what is due within one budget of 60 s; --training fits everything */
    if (cfg.interval_s == 0 || cfg.training)
        cc.fit_budget_s = 60;
    static snapshot_timer snap;
    snap = (snapshot_timer){.dir = cfg.model_files_dir, .st = st,
                            .interval_s = cfg.snapshot_interval_s,
                            .last_ns = mai_monotonic_ns(),
                            .backtest = cfg.training || (cfg.show_backtest && cfg.interval_s == 0),
                            .train_fraction = cfg.train_fraction};
    cc.after_cycle = periodic_snapshot;
    cc.after_cycle_arg = &snap;
    for (int i = 0; i < nh && i < CYCLE_MAX_HORIZONS; i++)
        cc.horizon_s[i] = horizons[i];
    /* the thread starts after the restore: models come back before the first cycle */
    if (!box || nh < 1 || cycle_create(&cc, 0, &cyc) != 0) {
        fprintf(stderr, "metrics-ai: cannot start the model cycle: %s\n",
                nh < 1 ? err : "out of memory");
        results_box_destroy(box);
        store_destroy(st);
        naming_destroy(names);
        return 1;
    }
    snap.cyc = cyc;
    snapshot_stats restored;
    snapshot_restore(cfg.model_files_dir, st, cyc, &restored);
    if (cfg.training || cfg.interval_s == 0) {
        cycle_retrain(cyc, &retrain[0], &retrain[1], 0, NULL);
        int code = run_one_shot(&cfg, cat, st, cyc, box, &snap, &restored);
        cycle_destroy(cyc);
        naming_destroy(names);
        results_box_destroy(box);
        store_destroy(st);
        return code;
    }
    /* History on day one: with VM_URL set in the environment, backfill from its query_range
     * before the listener starts, so no remote write can make these samples out of order; after
     * a restore, only the gap since the snapshot was written. */
    const char *vm_url_env = getenv("VM_URL");
    if (vm_url_env && vm_url_env[0]) {
        pull_backfill_at_start(&cfg, cat, st, gap_start(&cfg, &restored));
    }
    if (cycle_start(cyc) != 0) {
        fprintf(stderr, "metrics-ai: cannot start the model cycle: out of memory\n");
        cycle_destroy(cyc);
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
    static admin_ctx admin;
    admin = (admin_ctx){.cyc = cyc, .cat = cat};
    http_set_retrain(srv, admin_retrain, &admin);
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
    cycle_stop(cyc);
    take_snapshot(&snap, "shutdown");
    cycle_destroy(cyc);
    naming_destroy(names);
    results_box_destroy(box);
    store_destroy(st);
    signals_free(cat);
    for (int i = 0; i < 2; i++)
        if (have_rx[i])
            regfree(&model_rx[i]);
    write_worker_release();
    return 0;
}
