/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_log.c -- log lines: one line each, level filtering by verbosity. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "adapter/log.h"

/* Runs the logger with stderr sent to a temp file and returns what was written. */
static void capture(int verbosity, char *out, size_t cap)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), 2);
    log_set_verbosity(verbosity);
    log_msg(LOG_ERROR, "an error %d", 1);
    log_msg(LOG_WARN, "a warning");
    log_msg(LOG_INFO, "some info");
    log_msg(LOG_DEBUG, "debug detail");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, cap - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_log_default_hides_debug(void **state)
{
    (void)state;
    char buf[4096];
    capture(0, buf, sizeof buf);
    assert_int_equal(lines(buf), 3);
    assert_non_null(strstr(buf, "error an error 1\n"));
    assert_non_null(strstr(buf, "warn  a warning\n"));
    assert_null(strstr(buf, "debug detail"));
}

static void test_log_quiet_keeps_errors_and_warnings(void **state)
{
    (void)state;
    char buf[4096];
    capture(-1, buf, sizeof buf);
    assert_int_equal(lines(buf), 2);
    assert_null(strstr(buf, "some info"));
}

static void test_log_verbose_shows_debug_with_timestamp(void **state)
{
    (void)state;
    char buf[4096];
    capture(1, buf, sizeof buf);
    assert_int_equal(lines(buf), 4);
    assert_non_null(strstr(buf, "debug detail"));
    assert_int_equal(buf[4], '-');      /* 2026-11-28T... */
    assert_int_equal(buf[10], 'T');
    log_set_verbosity(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_default_hides_debug),
        cmocka_unit_test(test_log_quiet_keeps_errors_and_warnings),
        cmocka_unit_test(test_log_verbose_shows_debug_with_timestamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
