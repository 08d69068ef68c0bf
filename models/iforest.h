/* SPDX-License-Identifier: Apache-2.0
 * models/iforest.h -- Isolation Forest (Liu, Ting & Zhou, ICDM 2008) over n x dims row-major
 * vectors, in caller memory, deterministic by seed, with scikit-learn's IsolationForest semantics
 * for scores and the contamination threshold, plus a per-feature "why" (simplified DIFFI). */
#ifndef MAI_MODELS_IFOREST_H
#define MAI_MODELS_IFOREST_H

#include <stddef.h>
#include <stdint.h>

#define IFOREST_DEFAULT_TREES 100u
#define IFOREST_DEFAULT_MAX_SAMPLES 256u
#define IFOREST_MAX_SAMPLES_LIMIT 65535u /* per-node counts are 16-bit */
#define IFOREST_MAX_DIMS 65535u
#define IFOREST_MAX_TREES 100000u

/* Bytes of model memory for a forest of `trees` trees (0 = 100) over at most `max_samples`
 * (0 = 256) points per tree in `dims` features; 0 if an argument is out of range. Any alignment of
 * 8 bytes or more will do. */
size_t iforest_size(uint32_t trees, uint32_t max_samples, uint32_t dims);

/* Bytes of scratch memory iforest_fit() needs for n training points (8-byte aligned). */
size_t iforest_scratch_size(size_t n, uint32_t dims);

/* Fits the forest on x (n x dims, row-major). trees and max_samples as in iforest_size() (the
 * same values); each tree gets min(max_samples, n) points drawn without replacement.
 * contamination in (0, 0.5] sets the threshold to the (1 - contamination) quantile (linear
 * interpolation, as numpy.percentile) of the training scores; contamination <= 0 means sklearn's
 * "auto" (threshold 0.5). Non-finite features (NaN, +-Inf) are treated as missing and replaced
 * by the feature's training median, at fit and at scoring. Returns 0 or -MAI_EINVAL. */
int iforest_fit(void *mem, const double *x, size_t n, uint32_t dims, uint32_t trees,
                uint32_t max_samples, double contamination, uint64_t seed, void *scratch);

/* Anomaly score s = 2^(-E[h(x)] / c(psi)) in [0,1]; higher = more anomalous (sklearn's
 * score_samples is -s). NaN if mem is not a fitted forest. */
double iforest_score(const void *mem, const double *point);

/* 1 if iforest_score(point) > iforest_threshold() + 1e-12 (sklearn: decision_function < 0; the
 * slack keeps all-equal training data, scored 0.5 up to rounding, unflagged), else 0. */
int iforest_is_anomaly(const void *mem, const double *point);

/* The score threshold (sklearn: -offset_). */
double iforest_threshold(const void *mem);

/* Per-feature contribution to the isolation of `point`, contrib[dims] >= 0 summing to 1 (all 0
 * when no split separates the point from anything, e.g. degenerate training data). Per tree,
 * each split on the point's path credits its feature with log2(n_parent / n_child), the bits of
 * isolation it bought, weighted by 1 / h_t(x) so that trees that isolate the point early count
 * more: a simplified local DIFFI (Carletti, Terzi & Susto, "Interpretable Anomaly Detection with
 * DIFFI", arXiv:2007.11117, 2020). */
void iforest_explain(const void *mem, const double *point, double *contrib);

#endif
