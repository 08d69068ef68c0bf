/* SPDX-License-Identifier: Apache-2.0
 * adapter/retrain.h -- the seed's selective retraining grammar, for --disk-retrain,
 * --io-net-retrain and POST /api/v1/admin/retrain: "all", or a comma list of targets "node",
 * "node:/mount" (disk) or "node:SIGNAL" (I/O and network), and "/mount" alone for that mountpoint
 * on every node. A parsed spec matches the catalogue series it names. */
#ifndef MAI_ADAPTER_RETRAIN_H
#define MAI_ADAPTER_RETRAIN_H

#include <stddef.h>

#include "adapter/signals.h"

#define RETRAIN_MAX_TARGETS 64
#define RETRAIN_NAME_MAX 256

typedef enum retrain_kind {
    RETRAIN_DISK = 0,       /* DISK_USAGE series; a target's part after ':' is a mountpoint */
    RETRAIN_IO_NET = 1,     /* I/O and network layer signals; the part after ':' is a signal ID */
} retrain_kind;

typedef struct retrain_target {
    char node[RETRAIN_NAME_MAX];    /* "" = every node ("/home" alone) */
    char sub[RETRAIN_NAME_MAX];     /* mountpoint or signal ID; "" = all of the node's */
} retrain_target;

typedef struct retrain_spec {
    retrain_kind kind;
    int all;                        /* "all" */
    size_t n;
    retrain_target t[RETRAIN_MAX_TARGETS];
} retrain_spec;

/* Parses text ("" gives an empty spec that matches nothing). Blanks around items are ignored.
 * Returns 0, or -MAI_EINVAL with one line in err naming the flag (what, e.g. "--disk-retrain")
 * and the bad item: an empty item, "all" mixed with targets, a mountpoint not starting with '/',
 * an I/O-network signal that is not one of the io/net layer IDs of cat (NULL: the built-in
 * catalogue), more than
 * RETRAIN_MAX_TARGETS items, or a name longer than RETRAIN_NAME_MAX - 1 bytes. */
int retrain_parse(const char *text, retrain_kind kind, const char *what, const signals *cat,
                  retrain_spec *out, char *err, size_t errlen);

/* Whether spec names a series of a catalogue signal (id and layer as in adapter/signals.h) on a
 * node known by any of names (node name, host part, instance: NULL entries skipped), with the
 * series' mountpoint label (NULL when none). Disk specs match DISK_USAGE only; I/O-network specs
 * match the io and net layers only. Node names compare case-insensitively. */
int retrain_matches(const retrain_spec *spec, const char *signal_id, const char *layer,
                    const char *const names[3], const char *mountpoint);

#endif
