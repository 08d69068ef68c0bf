/* SPDX-License-Identifier: Apache-2.0
 * adapter/signals.h -- the signal catalogue: the seed's host, pod, disk, I/O, network and golden
 * signals, each a PromQL expression over node_exporter 1.x / cAdvisor / kube-state-metrics names
 * with its recorded metric name, layer, unit and saturation threshold. Built in, overridable by a
 * file; `metrics-ai rules` prints it as a Prometheus 2.x recording-rule file. */
#ifndef MAI_ADAPTER_SIGNALS_H
#define MAI_ADAPTER_SIGNALS_H

#include <stddef.h>
#include <stdio.h>

/* Recorded names follow Prometheus' level:metric:operations convention as
 *     <by labels joined with '_'>:metrics_ai_<id in lower case>:<unit>
 * e.g. HOST_CPU by instance in ratio -> "instance:metrics_ai_host_cpu:ratio", DISK_USAGE by
 * instance and mountpoint -> "instance_mountpoint:metrics_ai_disk_usage:ratio". The built-in
 * table follows it (a unit test checks); override files may name things as they like. */
typedef struct signal_def {
    const char *id;         /* "HOST_CPU": [A-Z][A-Z0-9_]* */
    const char *record;     /* recorded metric name */
    const char *expr;       /* PromQL, one line */
    const char *layer;      /* "host", "pod", "disk", "io", "net", "golden" (files may add others) */
    const char *unit;       /* "ratio", "bytes", "cores", "bytes_per_second", ... */
    double threshold;       /* saturation threshold in unit, NaN when none */
    const char *group;      /* rule group, "metrics-ai-<layer>" for the built-ins */
    const char *by;         /* labels identifying one series, comma-separated: "instance,mountpoint" */
    const char *help;       /* one line, written as a comment above the rule */
} signal_def;

/* A catalogue: the built-in table plus any override files. Not thread-safe while loading;
 * read-only afterwards. Functions taking a const signals * accept NULL for the built-in table. */
typedef struct signals signals;

/* The built-in table (static, never freed); *n gets its length. */
const signal_def *signals_builtin(size_t *n);

/* A catalogue holding a copy of the built-in table and the default rule interval (30s).
 * Returns 0 or -MAI_ENOMEM. */
int signals_new(signals **out);
void signals_free(signals *cat);

/* Applies an override file. The catalogue is unchanged unless the whole file is accepted.
 * Format, one directive per line; blank lines and lines starting with '#' are ignored:
 *     ID key=value ... [expr=PROMQL TO THE END OF THE LINE]
 *     ID off                              (removes the signal)
 * keys: record, layer, unit, threshold (a number, or "none"), group, by (comma list of label
 * names), help="quoted text" (\" and \\ escapes), expr (must come last; the rest of the line,
 * verbatim). A known ID keeps the fields not given; a new ID needs record, expr, layer and unit
 * (threshold defaults to none, group to "metrics-ai-<layer>", by to "instance").
 * Returns 0; -MAI_EIO when the file cannot be read; -MAI_EPROTO on a bad line, with err set to
 * one line "FILE:LINE: reason"; -MAI_ENOMEM. err may be NULL. */
int signals_load(signals *cat, const char *path, char *err, size_t errlen);

/* The same format from a string; name stands for the file in messages. */
int signals_load_string(signals *cat, const char *text, const char *name, char *err,
                        size_t errlen);

/* Rule group interval, a Prometheus duration ("30s", "1m", "1m30s"). 0 or -MAI_EINVAL. */
int signals_set_interval(signals *cat, const char *interval);
const char *signals_interval(const signals *cat);

size_t signals_count(const signals *cat);
const signal_def *signals_get(const signals *cat, size_t i);   /* NULL past the end */
const signal_def *signals_by_id(const signals *cat, const char *id);

/* The signal whose recorded metric name is name (a received series' __name__), or NULL. */
const signal_def *signals_by_metric(const signals *cat, const char *name);
/* The same for a name that is not NUL-terminated (a label view of the ingest path). */
const signal_def *signals_by_metric_n(const signals *cat, const char *name, size_t n);

/* Writes a Prometheus 2.x rule file (YAML): one group per distinct group name in catalogue
 * order, each with name, interval and its rules (record, expr in single quotes). Returns 0 or
 * -MAI_EIO when writing fails. */
int signals_write_rules(const signals *cat, FILE *out);

/* `metrics-ai rules [--signals FILE]... [--output FILE] [--interval DUR] [--list]` (argv[0] is
 * "rules"). Returns the exit code: 0 ok, 1 failure (one line on stderr), 2 bad usage. Lives in
 * adapter/rules_cmd.c. */
int rules_main(int argc, char **argv);

#endif
