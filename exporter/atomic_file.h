/* SPDX-License-Identifier: Apache-2.0
 * exporter/atomic_file.h -- output files that readers see whole or not at all: write to a
 * temporary file in the target's directory (created with its parents when missing), then flush,
 * fsync, rename over the target and fsync the directory. Used by every file the service writes
 * (reports, training data dumps, plots, rule files). */
#ifndef MAI_EXPORTER_ATOMIC_FILE_H
#define MAI_EXPORTER_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct atomic_file {
    FILE *f;            /* write here between open and commit/abort */
    char *path;         /* dir/name */
    char *tmp;          /* dir/.name.XXXXXX */
} atomic_file;

/* mkdir -p dir; 0, or -1 with errno set (ENOTDIR when dir exists and is not a directory). */
int atomic_mkdirs(const char *dir);

/* Opens a temporary file for dir/name (mode 0644; dir "" or NULL = "."). Returns 0, or -1 with
 * one line "cannot write PATH: reason" in err; nothing is left behind on failure. */
int atomic_open(atomic_file *a, const char *dir, const char *name, char *err, size_t errlen);

/* Flushes, fsyncs and renames the temporary file over the target. Returns 0, or -1 with one
 * line in err; the temporary file is removed and the target left as it was. Frees a. */
int atomic_commit(atomic_file *a, char *err, size_t errlen);

/* Closes and removes the temporary file; the target is left as it was. Frees a. */
void atomic_abort(atomic_file *a);

#endif
