/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_naming.c -- instance naming: DNS suffix stripping, ports and IPv6, the alias
 * map by instance and by host, malformed maps, names learned from node_uname_info in a store,
 * the alias map over learned names, auto alias off, and the seed's display form. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/naming.h"
#include "adapter/store.h"
#include "models/base.h"

#include "req_builder.h"

static mai_config *cfg_with(const char *suffixes, const char *alias, int auto_alias)
{
    mai_config *c = calloc(1, sizeof *c);
    assert_non_null(c);
    config_defaults(c);
    snprintf(c->dns_domain_suffixes, sizeof c->dns_domain_suffixes, "%s", suffixes);
    snprintf(c->instance_alias_map, sizeof c->instance_alias_map, "%s", alias);
    c->auto_alias_enabled = auto_alias;
    return c;
}

static naming *make(const char *suffixes, const char *alias, int auto_alias)
{
    mai_config *c = cfg_with(suffixes, alias, auto_alias);
    naming *n = NULL;
    char err[256];
    int rc = naming_create(c, &n, err, sizeof err);
    free(c);
    if (rc != 0)
        fail_msg("naming_create: %d %s", rc, err);
    assert_non_null(n);
    return n;
}

static char buf[256];

static const char *node(naming *n, const char *instance)
{
    return naming_node(n, instance, buf, sizeof buf);
}

static const char *display(naming *n, const char *instance)
{
    return naming_display(n, instance, buf, sizeof buf);
}

static store *make_store(void)
{
    store_config c = {.shards = 4, .max_series = 100, .fine_cap = 60, .fine_step_ms = 60000,
                      .coarse_cap = 24, .coarse_step_ms = 3600000};
    store *s = NULL;
    assert_int_equal(store_create(&c, &s), 0);
    return s;
}

static void ingest(store *s, req_builder *b)
{
    store_scratch *sc = store_scratch_create();
    assert_non_null(sc);
    store_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(store_ingest(s, &b->req, sc, &res), 0);
    assert_int_equal(res.new_series, b->req.nseries);
    store_scratch_destroy(sc);
}

/* A store with node_uname_info for two instances and an unrelated series carrying a nodename. */
static store *uname_store(void)
{
    static const char *const U1[] = {"__name__", "node_uname_info", "instance",
                                     "192.168.10.82:9100", "job", "node", "nodename",
                                     "host02.london.local", NULL};
    static const char *const U2[] = {"__name__", "node_uname_info", "instance", "[fe80::7]:9100",
                                     "job", "node", "nodename", "pi", NULL};
    static const char *const OTHER[] = {"__name__", "node_other_info", "instance",
                                        "10.0.0.9:9100", "nodename", "decoy", NULL};
    static const char *const NO_NODENAME[] = {"__name__", "node_uname_info", "instance",
                                              "10.0.0.8:9100", NULL};
    store *s = make_store();
    static req_builder b;
    rb_init(&b);
    rb_sample(&b, rb_series(&b, U1), 60000, 1);
    rb_sample(&b, rb_series(&b, U2), 60000, 1);
    rb_sample(&b, rb_series(&b, OTHER), 60000, 1);
    rb_sample(&b, rb_series(&b, NO_NODENAME), 60000, 1);
    ingest(s, &b);
    return s;
}

static void test_naming_strips_suffixes_at_end_longest_first(void **state)
{
    (void)state;
    naming *n = make(".local, .london.local ,,", "{}", 1);
    assert_string_equal(node(n, "host02.london.local"), "host02");        /* not host02.london */
    assert_string_equal(node(n, "host02.local:9100"), "host02");
    assert_string_equal(node(n, "HOST03.London.Local"), "HOST03");        /* DNS is case-blind */
    assert_string_equal(node(n, "db.local.example.com"), "db.local.example.com");  /* end only */
    assert_string_equal(node(n, "host02.london.local.local"), "host02.london.local"); /* once */
    assert_string_equal(node(n, "mylocal"), "mylocal");                   /* at a dot only */
    assert_string_equal(node(n, ".local"), ".local");                     /* never empty */
    naming_destroy(n);

    n = make("london.local", "{}", 1);                                    /* dot added */
    assert_string_equal(node(n, "host02.london.local"), "host02");
    assert_string_equal(node(n, "xlondon.local"), "xlondon.local");
    naming_destroy(n);

    n = make("", "{}", 1);
    assert_string_equal(node(n, "host02.london.local:9100"), "host02.london.local");
    naming_destroy(n);
}

static void test_naming_ports_and_ipv6(void **state)
{
    (void)state;
    char h[64];
    assert_string_equal(naming_host("192.168.10.82:9100", h, sizeof h), "192.168.10.82");
    assert_string_equal(naming_host("192.168.10.82", h, sizeof h), "192.168.10.82");
    assert_string_equal(naming_host("[fe80::1]:9100", h, sizeof h), "fe80::1");
    assert_string_equal(naming_host("[::1]", h, sizeof h), "::1");
    assert_string_equal(naming_host("fe80::1", h, sizeof h), "fe80::1");   /* bare IPv6 */
    assert_string_equal(naming_host("host02:9100", h, sizeof h), "host02");
    assert_string_equal(naming_host("192.168.10.82:9100", h, 4), "192");    /* truncated */

    naming *n = make(".london.local,.local", "{}", 1);
    assert_string_equal(node(n, "[::1]:9100"), "::1");
    assert_string_equal(node(n, "host02.london.local:9100"), "host02");
    assert_string_equal(node(n, "192.168.10.82:9100"), "192.168.10.82");
    naming_destroy(n);
}

static void test_naming_alias_map_by_instance_then_host(void **state)
{
    (void)state;
    naming *n = make(".local", "{\"192.168.10.82:9100\": \"host02\", \"192.168.10.82\": \"hostB\","
                               " \"[::1]:9100\": \"loop\", \"10.0.0.1\": \"gw.local\"}", 1);
    assert_string_equal(node(n, "192.168.10.82:9100"), "host02");   /* the instance first */
    assert_string_equal(node(n, "192.168.10.82:8080"), "hostB");    /* then the host */
    assert_string_equal(node(n, "192.168.10.82"), "hostB");
    assert_string_equal(node(n, "[::1]:9100"), "loop");
    assert_string_equal(node(n, "10.0.0.1:9100"), "gw");            /* suffix stripped too */
    assert_string_equal(node(n, "10.0.0.2:9100"), "10.0.0.2");      /* no alias */
    naming_destroy(n);

    n = make(".local", "{\"a:1\": \"first\", \"a:1\": \"second\"}", 1);   /* last key wins */
    assert_string_equal(node(n, "a:1"), "second");
    naming_destroy(n);
}

static void expect_bad_map(const char *json, const char *what)
{
    mai_config *c = cfg_with(".local", json, 1);
    naming *n = (naming *)1;
    char err[256] = "unset";
    assert_int_equal(naming_create(c, &n, err, sizeof err), -MAI_EINVAL);
    free(c);
    assert_null(n);
    assert_non_null(strstr(err, "INSTANCE_ALIAS_MAP"));
    assert_non_null(strstr(err, what));
    assert_null(strchr(err, '\n'));
}

static void test_naming_malformed_alias_map(void **state)
{
    (void)state;
    expect_bad_map("[\"host02\"]", "not a JSON object");
    expect_bad_map("\"host02\"", "not a JSON object");
    expect_bad_map("{\"192.168.10.82\": 7}", "\"192.168.10.82\" is not a non-empty string");
    expect_bad_map("{\"192.168.10.82\": {\"x\": \"y\"}}", "is not a non-empty string");
    expect_bad_map("{\"a\": \"\"}", "\"a\" is not a non-empty string");
    expect_bad_map("{\"\": \"x\"}", "empty key");
    expect_bad_map("{\"a\": \"b\",", "invalid JSON");
    expect_bad_map("", "invalid JSON");
}

static void test_naming_learns_from_node_uname_info(void **state)
{
    (void)state;
    store *s = uname_store();
    naming *n = make(".london.local,.local", "{}", 1);
    assert_string_equal(node(n, "192.168.10.82:9100"), "192.168.10.82");   /* not learned yet */
    naming_learn_from_store(n, s);
    assert_int_equal(naming_learned_count(n), 2);                  /* not the decoy, not 10.0.0.8 */
    assert_string_equal(node(n, "192.168.10.82:9100"), "host02");  /* nodename, suffix stripped */
    assert_string_equal(node(n, "192.168.10.82:8080"), "host02");  /* same host, other exporter */
    assert_string_equal(node(n, "[fe80::7]:9100"), "pi");
    assert_string_equal(node(n, "10.0.0.9:9100"), "10.0.0.9");     /* decoy metric ignored */
    naming_learn_from_store(n, s);                                  /* again: no duplicates */
    assert_int_equal(naming_learned_count(n), 2);

    /* A new nodename for a known instance replaces the old one. */
    static const char *const U1B[] = {"__name__", "node_uname_info", "instance",
                                      "192.168.10.82:9100", "job", "node", "nodename", "host02b",
                                      NULL};
    store *s2 = make_store();
    static req_builder b;
    rb_init(&b);
    rb_sample(&b, rb_series(&b, U1B), 60000, 1);
    ingest(s2, &b);
    naming_learn_from_store(n, s2);
    assert_int_equal(naming_learned_count(n), 2);
    assert_string_equal(node(n, "192.168.10.82:9100"), "host02b");
    naming_destroy(n);
    store_destroy(s2);
    store_destroy(s);
}

static void test_naming_alias_map_wins_over_learned(void **state)
{
    (void)state;
    store *s = uname_store();
    naming *n = make(".london.local,.local", "{\"192.168.10.82\": \"db-primary\"}", 1);
    naming_learn_from_store(n, s);
    assert_int_equal(naming_learned_count(n), 2);
    assert_string_equal(node(n, "192.168.10.82:9100"), "db-primary");
    assert_string_equal(node(n, "[fe80::7]:9100"), "pi");          /* learned where no alias */
    naming_destroy(n);
    store_destroy(s);
}

static void test_naming_auto_alias_off_ignores_uname(void **state)
{
    (void)state;
    store *s = uname_store();
    naming *n = make(".london.local,.local", "{\"[fe80::7]:9100\": \"pi-alias\"}", 0);
    naming_learn_from_store(n, s);
    assert_int_equal(naming_learned_count(n), 0);
    assert_string_equal(node(n, "192.168.10.82:9100"), "192.168.10.82");
    assert_string_equal(node(n, "[fe80::7]:9100"), "pi-alias");    /* the map still applies */
    naming_destroy(n);
    store_destroy(s);
}

static void test_naming_display_matches_seed(void **state)
{
    (void)state;
    store *s = uname_store();
    naming *n = make(".london.local,.local", "{\"192.168.10.200:9100\": \"pi\"}", 1);
    naming_learn_from_store(n, s);
    assert_string_equal(display(n, "192.168.10.82:9100"), "host02 (192.168.10.82)");
    assert_string_equal(display(n, "192.168.10.200:9100"), "pi (192.168.10.200)");
    assert_string_equal(display(n, "[fe80::7]:9100"), "pi (fe80::7)");
    assert_string_equal(display(n, "10.0.0.5:9100"), "10.0.0.5");          /* name == host */
    assert_string_equal(display(n, "host07.london.local:9100"), "host07"); /* == host sans suffix */
    char small[12];
    assert_string_equal(naming_display(n, "192.168.10.82:9100", small, sizeof small),
                        "host02 (192");
    naming_destroy(n);
    store_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_naming_strips_suffixes_at_end_longest_first),
        cmocka_unit_test(test_naming_ports_and_ipv6),
        cmocka_unit_test(test_naming_alias_map_by_instance_then_host),
        cmocka_unit_test(test_naming_malformed_alias_map),
        cmocka_unit_test(test_naming_learns_from_node_uname_info),
        cmocka_unit_test(test_naming_alias_map_wins_over_learned),
        cmocka_unit_test(test_naming_auto_alias_off_ignores_uname),
        cmocka_unit_test(test_naming_display_matches_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
