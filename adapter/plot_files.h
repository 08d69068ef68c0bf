/* SPDX-License-Identifier: Apache-2.0
 * adapter/plot_files.h -- what GET /plots/ serves from FORECAST_PLOTS_DIR: an HTML index of the
 * regular files (names escaped, sizes, modification times) and one file by name. A name is one
 * path component of the directory: no '/', no leading '.', and it must resolve (symlinks
 * followed) to a regular file inside the directory. No HTTP in here. */
#ifndef MAI_ADAPTER_PLOT_FILES_H
#define MAI_ADAPTER_PLOT_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "exporter/expo.h"

/* Appends the index page of dir (href_base prefixes each link, e.g. "/plots/"). A missing
 * directory gives a page saying no plots were written yet. Returns 0, or -1 out of memory. */
int plot_files_index(const char *dir, const char *href_base, expo_buf *out);

/* Opens dir/name read-only. Returns the fd with *size and *ctype ("image/png", "text/csv;
 * charset=utf-8", "application/octet-stream"); -400 for a name that is not one plain
 * component; -404 when it is not a regular file inside dir (missing, a directory, a symlink
 * leading outside). */
int plot_files_open(const char *dir, const char *name, uint64_t *size, const char **ctype);

#endif
