/* SPDX-License-Identifier: Apache-2.0
 * adapter/classify.h -- node classification (the seed's classification_anomaly, signal
 * "anomalous_node") by an Isolation Forest over per-node vectors (host CPU, host mem, pod CPU,
 * pod mem) from the fine rings, with the why (per-feature contributions and a kind), and the
 * seed's host_pressure (busy host, little Kubernetes workload). */
#ifndef MAI_ADAPTER_CLASSIFY_H
#define MAI_ADAPTER_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "adapter/naming.h"
#include "adapter/store.h"

enum classify_feature {
    CLASSIFY_HOST_CPU = 0,  /* instance:metrics_ai_host_cpu:ratio */
    CLASSIFY_HOST_MEM = 1,  /* instance:metrics_ai_host_mem:ratio */
    CLASSIFY_POD_CPU = 2,   /* node:metrics_ai_pod_cpu:cores, / CPU count when known */
    CLASSIFY_POD_MEM = 3,   /* node:metrics_ai_pod_mem:bytes, / MemTotal when known */
    CLASSIFY_FEATURES = 4
};

enum classify_severity { CLASSIFY_OK = 0, CLASSIFY_WARNING = 1, CLASSIFY_CRITICAL = 2 };

/* Zero in any field means its default. */
typedef struct classify_config {
    int lookback_hrs;           /* LOOKBACK_HRS; 0 = 24. Window ends at the newest finished
                                 * host bucket of any node (data time, not wall clock) */
    double contamination;       /* CONTAMINATION in (0, 0.5]; 0 = 0.12; < 0 = sklearn "auto" */
    uint32_t trees;             /* 0 = 100 */
    uint32_t max_samples;       /* 0 = 256 */
    uint64_t seed;              /* 0 = 42 */
    size_t max_rows;            /* training rows kept (even stride over the pool); 0 = 32768 */
    double critical_margin;     /* CRITICAL when score >= threshold + this; 0 = 0.1 */
    double pressure_host;       /* host pressure: host_cpu or host_mem >= this; 0 = 0.8 */
    double pressure_pod_share;  /* ... while pod CPU and pod mem are both "small": share of the
                                 * node < this when normalised (0 = 0.2), and when the capacity
                                 * is unknown only 0 (no pod usage) counts as small */
} classify_config;

/* One node's newest vector and verdict. */
typedef struct classify_row {
    char node[128];             /* node name (naming_node) */
    char display[256];          /* seed payload form, "host02 (192.168.10.82)" (naming_display
                                 * of the host series' instance) */
    int64_t t_ms;               /* start of the newest vector's fine bucket ("detected_at") */
    double host_cpu, host_mem;  /* ratios */
    double pod_cpu;             /* share of the node's CPUs when pod_cpu_normalised, else cores */
    double pod_mem;             /* share of MemTotal when pod_mem_normalised, else bytes */
    int pod_cpu_normalised, pod_mem_normalised;
    int has_pods;               /* the node has a POD_CPU or POD_MEM series */
    double score;               /* Isolation Forest score in [0,1], higher = more anomalous */
    int flagged;                /* score > threshold (iforest_is_anomaly) */
    int severity;               /* enum classify_severity; OK when not flagged */
    const char *kind;           /* static: "" when not flagged; else "cpu_saturation",
                                 * "cpu_drop", "memory_pressure", "memory_drop", "pod_cpu",
                                 * "pod_memory", or "unexplained" (no split isolates it) */
    double contrib[CLASSIFY_FEATURES];  /* iforest_explain, >= 0, sum 1 (or all 0) */
    int dominant;               /* enum classify_feature of the largest contribution, -1 if none */
    int host_pressure;          /* see classify_config.pressure_* */
    int pressure_severity;      /* CLASSIFY_WARNING when host_pressure, else CLASSIFY_OK */
} classify_row;

typedef struct classify_result {
    classify_row *rows;         /* malloc'd, one per node with a vector in the window, sorted
                                 * by node name */
    size_t n;
    size_t flagged;             /* rows with flagged */
    size_t host_pressure;       /* rows with host_pressure */
    size_t train_rows;          /* rows the forest was fitted on */
    double threshold;           /* iforest_threshold; NaN when no forest was fitted */
    int64_t window_end_bucket;  /* newest fine bucket used; RING_EMPTY when no data */
} classify_result;

/* Fills *out (always initialised, free it with classify_result_free even on error). Walks the
 * four recorded series and node_cpu_seconds_total / node_memory_MemTotal_bytes with
 * store_visit(), copies the fine rings with store_ring_since(), builds one row per node and fine
 * step of the last lookback_hrs where host CPU and host mem are both present (pod values carried
 * forward over gaps, 0 when the node has no pod series or none yet), fits the forest on the
 * pooled rows and scores each node's newest row. Host series are keyed by naming_node(instance),
 * pod series by naming_node(node label). names may be NULL (then the instance's host part
 * names the node). cfg may be NULL (all defaults). Fewer than 2 training rows: no forest, rows
 * unflagged (host pressure is still judged). Deterministic for a given store and seed. Returns
 * 0, -MAI_EINVAL (st or out NULL), -MAI_ENOMEM. Call from the model cycle's thread (naming). */
int classify_run(store *st, const naming *names, const classify_config *cfg,
                 classify_result *out);

void classify_result_free(classify_result *r);   /* frees rows; NULL is a no-op */

/* "OK", "WARNING", "CRITICAL". */
const char *classify_severity_name(int severity);

/* "host_cpu", "host_mem", "pod_cpu", "pod_mem"; "" out of range. */
const char *classify_feature_name(int feature);

#endif
