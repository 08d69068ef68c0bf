/* SPDX-License-Identifier: Apache-2.0
 * adapter/log.h -- one-line log messages on stderr with a UTC timestamp and a level. The level
 * is set once at start (VERBOSE_LEVEL, -v, -q) before threads start; log_msg is thread-safe. */
#ifndef MAI_ADAPTER_LOG_H
#define MAI_ADAPTER_LOG_H

#include <stdint.h>

enum log_level { LOG_ERROR = -2, LOG_WARN = -1, LOG_INFO = 0, LOG_DEBUG = 1, LOG_TRACE = 2 };

/* Messages at a level above v are dropped: -1 = errors and warnings only (-q), 0 = default,
 * 1..3 = -v, -vv, -vvv. */
void log_set_verbosity(int v);
int log_verbosity(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Seconds since the epoch (CLOCK_REALTIME) and a monotonic clock in ns. */
int64_t log_now_s(void);
int64_t mai_monotonic_ns(void);

#endif
