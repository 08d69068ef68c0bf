/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_atomic_file.c -- whole-or-nothing output files: commit replaces the target and
 * leaves no temporary file, abort leaves the old target, parents are created, and errors are
 * one line naming the path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/atomic_file.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/mai-atomic.XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    if (d)
        closedir(d);
    return n;
}

static void test_commit_and_abort(void **state)
{
    (void)state;
    char dir[128], path[160], err[256];
    snprintf(dir, sizeof dir, "%s/a/b", g_dir);
    snprintf(path, sizeof path, "%s/out.csv", dir);
    atomic_file af;
    assert_int_equal(atomic_open(&af, dir, "out.csv", err, sizeof err), 0);
    fputs("one\n", af.f);
    assert_null(slurp(path));                   /* not visible before the commit */
    assert_int_equal(atomic_commit(&af, err, sizeof err), 0);
    assert_string_equal(slurp(path), "one\n");
    assert_int_equal(entries(dir), 1);          /* no temporary file left */

    assert_int_equal(atomic_open(&af, dir, "out.csv", err, sizeof err), 0);
    fputs("two\n", af.f);
    atomic_abort(&af);
    assert_string_equal(slurp(path), "one\n");
    assert_int_equal(entries(dir), 1);
}

static void test_errors_name_the_path(void **state)
{
    (void)state;
    char file[128], err[256];
    snprintf(file, sizeof file, "%s/plain", g_dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    atomic_file af;
    assert_int_equal(atomic_open(&af, file, "x.csv", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create directory for "));
    assert_non_null(strstr(err, "/plain/x.csv: Not a directory"));
    assert_null(strchr(err, '\n'));
    assert_int_equal(atomic_mkdirs(file), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_and_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_the_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
