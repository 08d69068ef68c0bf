/* SPDX-License-Identifier: Apache-2.0
 * adapter/rules_cmd.c -- `metrics-ai rules`: prints the signal catalogue (built in, plus any
 * --signals override files) as a Prometheus 2.x recording-rule file for rule_files, or as a
 * table with --list. The file is written whole or not at all (temporary file, then rename). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter/signals.h"
#include "models/base.h"

#define MAX_SIGNAL_FILES 16

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: metrics-ai rules [--signals FILE]... [--output FILE] [--interval DUR] [--list]\n"
            "Prints the signal catalogue as Prometheus recording rules (YAML) on stdout or FILE.\n"
            "  --signals FILE   override file, applied in order (lines: ID key=value ... expr=PROMQL,\n"
            "                   or ID off; keys record layer unit threshold group by help expr)\n"
            "  --output FILE    write there instead of stdout\n"
            "  --interval DUR   rule group evaluation interval (default 30s)\n"
            "  --list           print a table of the signals instead of rules\n");
}

static void list(const signals *cat, FILE *out)
{
    fprintf(out, "%-13s %-7s %-19s %-9s %s\n", "SIGNAL", "LAYER", "UNIT", "THRESHOLD",
            "RECORDED AS");
    for (size_t i = 0; i < signals_count(cat); i++) {
        const signal_def *d = signals_get(cat, i);
        char thr[32];
        if (d->threshold != d->threshold)
            snprintf(thr, sizeof thr, "-");
        else
            snprintf(thr, sizeof thr, "%g", d->threshold);
        fprintf(out, "%-13s %-7s %-19s %-9s %s\n", d->id, d->layer, d->unit, thr, d->record);
    }
}

static int write_file(const signals *cat, const char *path, int as_list)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        fprintf(stderr, "metrics-ai rules: out of memory\n");
        return 1;
    }
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        perror(tmp);
        free(tmp);
        return 1;
    }
    int rc = 0;
    if (as_list)
        list(cat, f);
    else
        rc = signals_write_rules(cat, f);
    if (fclose(f) != 0 || rc != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "metrics-ai rules: cannot write %s\n", path);
        remove(tmp);
        free(tmp);
        return 1;
    }
    free(tmp);
    return 0;
}

int rules_main(int argc, char **argv)
{
    const char *files[MAX_SIGNAL_FILES];
    int nfiles = 0, as_list = 0;
    const char *output = NULL, *interval = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--list") == 0) {
            as_list = 1;
            continue;
        }
        if (strcmp(a, "--signals") != 0 && strcmp(a, "--output") != 0 &&
            strcmp(a, "--interval") != 0) {
            fprintf(stderr, "metrics-ai rules: unknown argument \"%s\" (see rules --help)\n", a);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "metrics-ai rules: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--signals") == 0) {
            if (nfiles == MAX_SIGNAL_FILES) {
                fprintf(stderr, "metrics-ai rules: at most %d --signals files\n",
                        MAX_SIGNAL_FILES);
                return 2;
            }
            files[nfiles++] = v;
        } else if (strcmp(a, "--output") == 0) {
            output = v;
        } else {
            interval = v;
        }
    }

    signals *cat;
    if (signals_new(&cat) != 0) {
        fprintf(stderr, "metrics-ai rules: out of memory\n");
        return 1;
    }
    int code = 0;
    if (interval && signals_set_interval(cat, interval) != 0) {
        fprintf(stderr, "metrics-ai rules: --interval \"%s\": expected a duration like 30s, 1m\n",
                interval);
        code = 2;
    }
    for (int i = 0; i < nfiles && code == 0; i++) {
        char err[512];
        if (signals_load(cat, files[i], err, sizeof err) != 0) {
            fprintf(stderr, "metrics-ai rules: %s\n", err);
            code = 1;
        }
    }
    if (code == 0) {
        if (output) {
            code = write_file(cat, output, as_list);
        } else if (as_list) {
            list(cat, stdout);
        } else if (signals_write_rules(cat, stdout) != 0) {
            fprintf(stderr, "metrics-ai rules: cannot write to stdout\n");
            code = 1;
        }
    }
    signals_free(cat);
    return code;
}
