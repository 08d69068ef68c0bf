/* SPDX-License-Identifier: Apache-2.0
 * adapter/log.c -- stderr logging (see log.h); one fprintf per line keeps lines whole. */
#include "adapter/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int verbosity;

void log_set_verbosity(int v)
{
    verbosity = v;
}

int log_verbosity(void)
{
    return verbosity;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > verbosity)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    int li = level < LOG_ERROR ? 0 : (level > LOG_TRACE ? 4 : level - LOG_ERROR);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
            names[li], line);
}

int64_t log_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t mai_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
