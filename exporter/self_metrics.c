/* SPDX-License-Identifier: Apache-2.0
 * exporter/self_metrics.c -- the metrics_ai_* self-metrics and the standard process_* metrics
 * (see self_metrics.h). Names follow Prometheus conventions: base units, _total on counters. */
#include "exporter/self_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter/config.h"


static uint64_t ld(const atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void counter(expo_buf *b, const char *name, const char *help, uint64_t v)
{
    expo_family(b, name, "counter", help);
    expo_sample(b, name, NULL, 0, (double)v);
}

static void gauge(expo_buf *b, const char *name, const char *help, double v)
{
    expo_family(b, name, "gauge", help);
    expo_sample(b, name, NULL, 0, v);
}

/* Reads utime+stime (clock ticks) and RSS (pages) of this process from /proc/self/stat. */
static int proc_self(double *cpu_s, double *rss_bytes, double *vsize_bytes)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long utime = 0, stime = 0, vsize = 0;
    long rss = 0;
    /* fields after the command: state(3) ... utime(14) stime(15) ... vsize(23) rss(24) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d "
               "%*d %*u %lu %ld", &utime, &stime, &vsize, &rss) != 4)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    *cpu_s = (double)(utime + stime) / (double)(hz > 0 ? hz : 100);
    *rss_bytes = (double)rss * (double)(page > 0 ? page : 4096);
    *vsize_bytes = (double)vsize;
    return 0;
}

static void requests(expo_buf *b, const selfstats *st)
{
    const char *name = "metrics_ai_remote_write_requests_total";
    expo_family(b, name, "counter", "Remote write requests answered, by HTTP status code and "
                "protocol version.");
    for (int v = 0; v < VER__COUNT; v++) {
        for (int c = 0; c < CODE__COUNT; c++) {
            uint64_t n = ld(&st->requests[v][c]);
            if (n == 0 && !(c == CODE_204 && v == VER_1))
                continue;
            expo_label l[2] = {{"code", selfstats_code_names[c], 0},
                               {"version", selfstats_version_names[v], 0}};
            expo_sample(b, name, l, 2, (double)n);
        }
    }
}

static void latency(expo_buf *b, const selfstats *st)
{
    const char *base = "metrics_ai_remote_write_request_duration_seconds";
    expo_family(b, base, "histogram", "Time from the first byte of a remote write request to "
                "its answer.");
    char name[96];
    snprintf(name, sizeof name, "%s_bucket", base);
    uint64_t cum = 0;
    for (int i = 0; i < SELFSTATS_LATENCY_BUCKETS; i++) {
        cum += ld(&st->latency_bucket[i]);
        char le[32];
        expo_format_double(le, selfstats_latency_bounds[i]);
        expo_label l = {"le", le, 0};
        expo_sample(b, name, &l, 1, (double)cum);
    }
    uint64_t count = ld(&st->latency_count);
    expo_label inf = {"le", "+Inf", 0};
    expo_sample(b, name, &inf, 1, (double)count);
    snprintf(name, sizeof name, "%s_sum", base);
    expo_sample(b, name, NULL, 0, (double)ld(&st->latency_sum_ns) / 1e9);
    snprintf(name, sizeof name, "%s_count", base);
    expo_sample(b, name, NULL, 0, (double)count);
}

void self_metrics_write(expo_buf *b, const selfstats *st, const self_metrics_store *ss)
{
    expo_family(b, "metrics_ai_build_info", "gauge", "Build information; the value is 1.");
    expo_label ver = {"version", MAI_VERSION, 0};
    expo_sample(b, "metrics_ai_build_info", &ver, 1, 1);

    counter(b, "metrics_ai_samples_received_total", "Samples received in remote write requests "
            "that could be decoded.", ld(&st->samples_received));
    counter(b, "metrics_ai_samples_accepted_total", "Samples written to the store, including "
            "exact duplicates and stale markers.", ld(&st->samples_accepted));
    counter(b, "metrics_ai_samples_duplicate_total", "Accepted samples that repeated a series' "
            "newest sample exactly (sender retries).", ld(&st->samples_duplicate));
    counter(b, "metrics_ai_stale_markers_total", "Stale markers received; each ends a series' "
            "activity.", ld(&st->stale_markers));

    const char *rej = "metrics_ai_samples_rejected_total";
    expo_family(b, rej, "counter", "Samples not written, by reason.");
    for (int i = 0; i < REJ__COUNT; i++) {
        expo_label l = {"reason", selfstats_reject_names[i], 0};
        expo_sample(b, rej, &l, 1, (double)ld(&st->samples_rejected[i]));
    }
    counter(b, "metrics_ai_histograms_dropped_total", "Native histogram samples received and "
            "dropped (not supported).", ld(&st->histograms_dropped));
    counter(b, "metrics_ai_http_connections_timed_out_total", "HTTP connections closed because "
            "a request's headers or body took over --request-timeout.",
            ld(&st->connections_timed_out));
    counter(b, "metrics_ai_exemplars_received_total", "Exemplars received (accepted, not "
            "stored).", ld(&st->exemplars_received));
    counter(b, "metrics_ai_metadata_received_total", "Metric metadata entries received.",
            ld(&st->metadata_received));
    counter(b, "metrics_ai_series_created_total", "Series created in the store.",
            ld(&st->series_created));
    counter(b, "metrics_ai_series_kind_changes_total", "Series that new metric metadata turned "
            "from gauge into counter or back; their history so far was dropped.",
            ld(&st->series_kind_changes));

    requests(b, st);
    gauge(b, "metrics_ai_remote_write_requests_in_flight", "Remote write requests being "
          "received or processed now.", (double)ld(&st->inflight));
    latency(b, st);

    gauge(b, "metrics_ai_series_stored", "Series held in memory.", (double)ss->series);
    gauge(b, "metrics_ai_series_active", "Series held that were not ended by a stale marker.",
          (double)ss->active);
    gauge(b, "metrics_ai_series_limit", "Maximum number of series (--max-series).",
          (double)ss->series_limit);
    gauge(b, "metrics_ai_metadata_families", "Metric families with known type metadata.",
          (double)ss->metadata_families);
    gauge(b, "metrics_ai_series_record_bytes", "Bytes of one series record with its fine and "
          "coarse rings.", (double)ss->record_bytes);
    expo_family(b, "metrics_ai_ring_slots", "gauge", "Slots of each per-series ring.");
    expo_label fine = {"ring", "fine", 0}, coarse = {"ring", "coarse", 0};
    expo_sample(b, "metrics_ai_ring_slots", &fine, 1, (double)ss->fine_slots);
    expo_sample(b, "metrics_ai_ring_slots", &coarse, 1, (double)ss->coarse_slots);
    expo_family(b, "metrics_ai_ring_step_seconds", "gauge", "Time covered by one ring slot.");
    expo_sample(b, "metrics_ai_ring_step_seconds", &fine, 1, (double)ss->fine_step_s);
    expo_sample(b, "metrics_ai_ring_step_seconds", &coarse, 1, (double)ss->coarse_step_s);

    const char *mem = "metrics_ai_memory_bytes";
    expo_family(b, mem, "gauge", "Memory held, by pool.");
    struct { const char *pool; uint64_t v; } pools[] = {
        {"series", ss->memory_series_bytes}, {"labels", ss->memory_labels_bytes},
        {"index", ss->memory_index_bytes}, {"decode", ld(&st->decode_buffer_bytes)}};
    for (size_t i = 0; i < sizeof pools / sizeof pools[0]; i++) {
        expo_label l = {"pool", pools[i].pool, 0};
        expo_sample(b, mem, &l, 1, (double)pools[i].v);
    }

    double cpu, rss, vsize;
    if (proc_self(&cpu, &rss, &vsize) == 0) {
        expo_family(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time "
                    "spent in seconds.");
        expo_sample(b, "process_cpu_seconds_total", NULL, 0, cpu);
        gauge(b, "process_resident_memory_bytes", "Resident memory size in bytes.", rss);
        gauge(b, "process_virtual_memory_bytes", "Virtual memory size in bytes.", vsize);
    }
    gauge(b, "process_start_time_seconds", "Start time of the process since unix epoch in "
          "seconds.", (double)st->start_time_s);
}
