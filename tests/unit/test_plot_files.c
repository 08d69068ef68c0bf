/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_plot_files.c -- the plots directory behind GET /plots/: the index lists the
 * regular files sorted, with sizes and times, names HTML-escaped and links percent-encoded,
 * without dot files, directories or symlinks leading outside; a missing directory; opening by
 * name with the content types; names with '/', '..', a leading '.' refused (-400); missing
 * files, directories and symlinks leading outside refused (-404); a symlink inside served. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapter/plot_files.h"

static char root[] = "/tmp/test_plot_files.XXXXXX";
static char dir[300], outside[300];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **st)
{
    (void)st;
    if (!mkdtemp(root))
        return -1;
    char p[400], q[400];
    snprintf(dir, sizeof dir, "%s/plots", root);
    snprintf(outside, sizeof outside, "%s/secret.txt", root);
    mkdir(dir, 0755);
    write_file(outside, "secret\n");
    snprintf(p, sizeof p, "%s/host_layer_forecast.png", dir);
    write_file(p, "\x89PNG-not-really");
    snprintf(p, sizeof p, "%s/disk_full_prediction.csv", dir);
    write_file(p, "instance,mountpoint\n");
    snprintf(p, sizeof p, "%s/<b>&\"x'.png", dir);
    write_file(p, "x");
    snprintf(p, sizeof p, "%s/.host_layer_forecast.png.AbC123", dir);      /* a temporary */
    write_file(p, "partial");
    snprintf(p, sizeof p, "%s/sub", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/escape", dir);
    if (symlink(outside, p) != 0)
        return -1;
    snprintf(p, sizeof p, "%s/alias.png", dir);
    snprintf(q, sizeof q, "%s/host_layer_forecast.png", dir);
    if (symlink(q, p) != 0)
        return -1;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_index(void **st)
{
    (void)st;
    expo_buf b;
    expo_init(&b);
    assert_int_equal(plot_files_index(dir, "/plots/", &b), 0);
    expo_append(&b, "", 1);
    const char *html = b.p;
    assert_non_null(strstr(html, "<p>4 files.</p>"));
    /* sorted by name: <b>... , alias.png, disk_..., host_... */
    const char *x = strstr(html, "href=\"/plots/%3Cb%3E%26%22x%27.png\">"
                                 "&lt;b&gt;&amp;&quot;x&#39;.png</a>");
    const char *alias = strstr(html, "href=\"/plots/alias.png\">alias.png</a>");
    const char *csv = strstr(html, "href=\"/plots/disk_full_prediction.csv\">");
    const char *png = strstr(html, "href=\"/plots/host_layer_forecast.png\">");
    assert_non_null(x);
    assert_non_null(alias);
    assert_non_null(csv);
    assert_non_null(png);
    assert_true(x < alias && alias < csv && csv < png);
    assert_non_null(strstr(csv, "</a></td><td>20</td><td>20"));     /* size, then the year */
    assert_null(strstr(html, "escape"));
    assert_null(strstr(html, "sub<"));
    assert_null(strstr(html, "AbC123"));
    assert_null(strstr(html, "<b>"));
    expo_free(&b);

    expo_init(&b);
    char missing[400];
    snprintf(missing, sizeof missing, "%s/none", root);
    assert_int_equal(plot_files_index(missing, "/plots/", &b), 0);
    expo_append(&b, "", 1);
    assert_non_null(strstr(b.p, "No plots written yet."));
    expo_free(&b);
}

static void test_open(void **st)
{
    (void)st;
    uint64_t size = 0;
    const char *ct = NULL;
    int fd = plot_files_open(dir, "host_layer_forecast.png", &size, &ct);
    assert_true(fd >= 0);
    assert_int_equal(size, 15);
    assert_string_equal(ct, "image/png");
    close(fd);
    fd = plot_files_open(dir, "disk_full_prediction.csv", &size, &ct);
    assert_true(fd >= 0);
    assert_string_equal(ct, "text/csv; charset=utf-8");
    close(fd);
    fd = plot_files_open(dir, "alias.png", &size, &ct);         /* symlink inside: served */
    assert_true(fd >= 0);
    assert_int_equal(size, 15);
    close(fd);
    const char *bad[] = {"", "..", ".", "../secret.txt", "sub/../host_layer_forecast.png",
                         "/etc/passwd", ".host_layer_forecast.png.AbC123", "a/b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (plot_files_open(dir, bad[i], &size, &ct) != -400)
            fail_msg("\"%s\" not refused as a bad name", bad[i]);
    const char *absent[] = {"nope.png", "sub", "escape"};
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
        if (plot_files_open(dir, absent[i], &size, &ct) != -404)
            fail_msg("\"%s\" not refused as not found", absent[i]);
    char missing[400];
    snprintf(missing, sizeof missing, "%s/none", root);
    assert_int_equal(plot_files_open(missing, "host_layer_forecast.png", &size, &ct), -404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_open),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
