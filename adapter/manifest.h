/* SPDX-License-Identifier: Apache-2.0
 * adapter/manifest.h -- the seed's model artifacts in MODEL_FILES_DIR, in readable JSON beside the
 * snapshot: the manifests disk_full_models.json (DISK_USAGE), io_net_models.json (the I/O and
 * network signals) and layer_models.json (host, pod and golden signals), listing every
 * catalogue model, and per model NAME.meta.json (trained-at, data range, members, seasons,
 * weights and recent errors per horizon, and with a backtest the TRAIN_FRACTION split's errors)
 * plus NAME.model, the ensemble's saved state (models/ensemble.h ens_save format). */
#ifndef MAI_ADAPTER_MANIFEST_H
#define MAI_ADAPTER_MANIFEST_H

#include <stddef.h>
#include <stdio.h>

#include "adapter/cycle.h"
#include "adapter/store.h"

typedef struct manifest_options {
    const char *dir;            /* MODEL_FILES_DIR */
    int backtest;               /* run the TRAIN_FRACTION backtest of each model's fine part */
    double train_fraction;      /* TRAIN_FRACTION */
    FILE *console;              /* the backtest table (NULL: none) */
} manifest_options;

typedef struct manifest_stats {
    size_t models, disk, io_net, layer, backtests;
} manifest_stats;

/* Writes the manifests and the per-model files (each atomically). Call it on the cycle thread
 * or with the thread stopped. Returns 0, or -1 with one line naming the file in err (the files
 * written before it stay). */
int manifest_write(cycle *c, store *st, const manifest_options *o, manifest_stats *out,
                   char *err, size_t errlen);

/* The artifact name of a catalogue model: disk_<node>_<mount> for DISK_USAGE (mount "/" is
 * "root"), <node>_<SIGNAL>[_<device>] otherwise; characters outside [A-Za-z0-9_.-] become '_'.
 * Into out (cap bytes, always NUL-terminated). */
void manifest_name(const char *signal_id, const char *node, const char *mount_or_device,
                   char *out, size_t cap);

#endif
