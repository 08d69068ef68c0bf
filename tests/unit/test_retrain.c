/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_retrain.c -- the selective retraining grammar: the seed's examples, blanks,
 * "/mount" alone, errors with their one-line messages, and matching by node name, host part or
 * instance, mountpoint and signal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "adapter/retrain.h"
#include "models/base.h"

static const char *const HOST02[3] = {"host02", "192.168.10.82", "192.168.10.82:9100"};
static const char *const WORKER01[3] = {"worker01", "10.0.0.1", "10.0.0.1:9100"};

static int disk(const retrain_spec *s, const char *const names[3], const char *mount)
{
    return retrain_matches(s, "DISK_USAGE", "disk", names, mount);
}

static void test_seed_disk_examples(void **state)
{
    (void)state;
    retrain_spec s;
    char err[256];
    assert_int_equal(retrain_parse("all", RETRAIN_DISK, "--disk-retrain",
                                   NULL, &s, err, sizeof err), 0);
    assert_true(s.all);
    assert_true(disk(&s, HOST02, "/"));
    assert_false(retrain_matches(&s, "DISK_IO_UTIL", "io", HOST02, NULL));  /* disk only */

    assert_int_equal(retrain_parse("host02", RETRAIN_DISK, "--disk-retrain",
                                   NULL, &s, err, sizeof err), 0);
    assert_true(disk(&s, HOST02, "/"));
    assert_true(disk(&s, HOST02, "/home"));
    assert_false(disk(&s, WORKER01, "/"));

    assert_int_equal(retrain_parse("host02:/, worker01:/home", RETRAIN_DISK, "--disk-retrain",
                                   NULL, &s,
                                   err, sizeof err), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.t[1].node, "worker01");
    assert_string_equal(s.t[1].sub, "/home");
    assert_true(disk(&s, HOST02, "/"));
    assert_false(disk(&s, HOST02, "/home"));
    assert_true(disk(&s, WORKER01, "/home"));
    assert_false(disk(&s, WORKER01, "/"));

    /* the runbook's "host02,/home": all of host02, and /home everywhere */
    assert_int_equal(retrain_parse("host02,/home", RETRAIN_DISK, "--disk-retrain", NULL, &s, err,
                                   sizeof err), 0);
    assert_true(disk(&s, HOST02, "/var"));
    assert_true(disk(&s, WORKER01, "/home"));
    assert_false(disk(&s, WORKER01, "/"));

    /* by host part or instance, case-insensitively; mountpoints with ':' */
    assert_int_equal(retrain_parse("192.168.10.82:/mnt/a:b,HOST02", RETRAIN_DISK, "--disk-retrain",
                                   NULL, &s, err, sizeof err), 0);
    assert_string_equal(s.t[0].sub, "/mnt/a:b");
    assert_true(disk(&s, HOST02, "/mnt/a:b"));
    assert_true(disk(&s, HOST02, "/"));
}

static void test_seed_io_net_examples(void **state)
{
    (void)state;
    retrain_spec s;
    char err[256];
    assert_int_equal(retrain_parse("host02:DISK_IO_WAIT,worker01:NET_TX_BW", RETRAIN_IO_NET,
                                   "--io-net-retrain", NULL, &s, err, sizeof err), 0);
    assert_true(retrain_matches(&s, "DISK_IO_WAIT", "io", HOST02, NULL));
    assert_false(retrain_matches(&s, "DISK_IO_UTIL", "io", HOST02, NULL));
    assert_true(retrain_matches(&s, "NET_TX_BW", "net", WORKER01, NULL));
    assert_false(retrain_matches(&s, "NET_TX_BW", "net", HOST02, NULL));
    assert_false(retrain_matches(&s, "DISK_USAGE", "disk", HOST02, "/"));

    assert_int_equal(retrain_parse("host02", RETRAIN_IO_NET, "--io-net-retrain", NULL, &s, err,
                                   sizeof err), 0);
    assert_true(retrain_matches(&s, "NET_RX_BW", "net", HOST02, NULL));
    assert_false(retrain_matches(&s, "CPU_IOWAIT", "golden", HOST02, NULL));
    assert_false(retrain_matches(&s, "HOST_CPU", "host", HOST02, NULL));

    assert_int_equal(retrain_parse("", RETRAIN_IO_NET, "--io-net-retrain",
                                   NULL, &s, err, sizeof err), 0);
    assert_false(retrain_matches(&s, "NET_RX_BW", "net", HOST02, NULL));
}

static void assert_bad(const char *text, retrain_kind kind, const char *want)
{
    retrain_spec s;
    char err[256] = "";
    const char *what = kind == RETRAIN_DISK ? "--disk-retrain" : "--io-net-retrain";
    assert_int_equal(retrain_parse(text, kind, what, NULL, &s, err, sizeof err), -MAI_EINVAL);
    if (!strstr(err, want))
        fail_msg("\"%s\": got \"%s\", want \"%s\"", text, err, want);
    assert_null(strchr(err, '\n'));
}

static void test_errors(void **state)
{
    (void)state;
    assert_bad("host02,,worker01", RETRAIN_DISK, "--disk-retrain=\"host02,,worker01\": empty item");
    assert_bad("host02,", RETRAIN_DISK, "empty item");
    assert_bad("all,host02", RETRAIN_DISK, "\"all\" cannot be combined with targets");
    assert_bad("host02:home", RETRAIN_DISK, "\"host02:home\": a mountpoint starts with '/'");
    assert_bad(":/home", RETRAIN_DISK, "\":/home\": expected node:/mount");
    assert_bad("host02:", RETRAIN_DISK, "nothing after ':'");
    assert_bad("host02:DISK_USAGE", RETRAIN_IO_NET,
               "--io-net-retrain: \"host02:DISK_USAGE\": unknown I/O or network signal");
    assert_bad("host02:CPU_IOWAIT", RETRAIN_IO_NET, "unknown I/O or network signal");
    assert_bad("/home", RETRAIN_IO_NET, "expected node or node:SIGNAL");
    char many[RETRAIN_MAX_TARGETS * 4 + 8] = "";
    for (int i = 0; i <= RETRAIN_MAX_TARGETS; i++)
        strcat(many, i ? ",n" : "n");
    assert_bad(many, RETRAIN_DISK, "more than 64 targets");
    char longname[RETRAIN_NAME_MAX + 8];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_bad(longname, RETRAIN_DISK, "is longer than");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_disk_examples),
        cmocka_unit_test(test_seed_io_net_examples),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
