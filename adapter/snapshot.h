/* SPDX-License-Identifier: Apache-2.0
 * adapter/snapshot.h -- persistence of the series store and the model cycle in one versioned,
 * checksummed file, MODEL_FILES_DIR/snapshot.bin (the one before it kept as snapshot.prev.bin).
 * Written atomically (temporary file, fsync, rename, directory fsync) every --snapshot-interval
 * from the cycle thread and at shutdown; read at start, before the HTTP listener opens. A file
 * that is corrupt, truncated or of a newer version is refused whole with a one-line reason, and
 * the previous one is tried, then an empty start.
 *
 * Layout, little-endian (models/codec.h):
 *   header, 32 bytes: magic "MAI-SNAP", version u32, sections u32, written unix ms u64,
 *     flags u32 (0), CRC-32 of the 28 bytes before it
 *   sections, in this order: "STOR" (store_save records), "MODL" (cycle_save records),
 *     "DGST" (the digests, 16 bytes). Each: tag u32, reserved u32 (0), records u64, payload
 *     length u64, payload (records: length u32 and bytes), CRC-32 of the payload then the
 *     24-byte section head.
 * Digest: the sum (mod 2^64) of a 64-bit hash of each record, per section, so it does not
 * depend on the order series are walked; snapshot_digest() computes it over the live state. */
#ifndef MAI_ADAPTER_SNAPSHOT_H
#define MAI_ADAPTER_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "adapter/cycle.h"
#include "adapter/store.h"

#define SNAPSHOT_VERSION 1
#define SNAPSHOT_FILE "snapshot.bin"
#define SNAPSHOT_PREV_FILE "snapshot.prev.bin"

typedef struct snapshot_digest_t {
    uint64_t store, models;
} snapshot_digest_t;

typedef struct snapshot_stats {
    uint64_t series, metadata, models;          /* records written, or restored */
    uint64_t series_skipped, models_skipped;    /* records read but not restored */
    uint64_t bytes;                             /* file size */
    double seconds;                             /* wall time of the write or the restore */
    snapshot_digest_t digest;                   /* of what was written; of the live state
                                                   after a restore */
    snapshot_digest_t file_digest;              /* restore: the digest the file recorded */
    char path[1100];                            /* restore: the file restored ("" = none) */
} snapshot_stats;

/* Writes dir/snapshot.bin (creating dir when missing), keeping the one before as
 * snapshot.prev.bin. cy may be NULL (store only). Model states must not change meanwhile: call
 * it on the cycle thread or with the thread stopped. Returns 0, or -MAI_EIO / -MAI_ENOMEM with
 * a one-line message naming the file in err; the files already there are then untouched. */
int snapshot_write(const char *dir, store *st, cycle *cy, snapshot_stats *out, char *err,
                   size_t errlen);

/* Checks one file whole (header, version, every section's length and CRC) without restoring
 * anything. Returns 0; -MAI_EIO when it cannot be read (ENOENT included); -MAI_EPROTO when
 * corrupt, truncated or of a newer version. err gets "PATH: reason". */
int snapshot_check(const char *path, char *err, size_t errlen);

/* Restores dir/snapshot.bin, else dir/snapshot.prev.bin, else nothing, into an empty store and a
 * cycle whose thread has not started (cy may be NULL). Logs one line per file refused, naming
 * it and the reason, and one line for the outcome. Never fails: returns 1 when a file was
 * restored, 0 for an empty start. */
int snapshot_restore(const char *dir, store *st, cycle *cy, snapshot_stats *out);

/* snapshot_check() and snapshot_restore() for one file already in memory (n bytes at b),
 * named name in err and in the log: the check returns 0 or -MAI_EPROTO; the restore 1 when it
 * restored the file, 0 when it refused it (nothing restored). */
int snapshot_check_buffer(const void *b, size_t n, const char *name, char *err, size_t errlen);
int snapshot_restore_buffer(const void *b, size_t n, const char *name, store *st, cycle *cy,
                            snapshot_stats *out);

/* The digest of the live state, as snapshot_write would record it. 0 or -MAI_ENOMEM. */
int snapshot_digest(store *st, cycle *cy, snapshot_digest_t *out);

#endif
