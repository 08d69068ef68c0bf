/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_auth.c -- adapter/auth: SHA-256 against the FIPS 180-4 vectors, base64, the
 * constant-time comparison (results, and that its time does not depend on where inputs differ),
 * loading the token and users files with their one-line errors, the endpoint classes and the
 * decision (401/403, admin closed without credentials, --admin-open, --auth-metrics), the
 * WWW-Authenticate challenges, and that no message ever holds a secret. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapter/auth.h"
#include "adapter/config.h"
#include "models/base.h"

static char g_dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/mai-auth.XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text into g_dir/name; returns the path (static buffer per call site is enough). */
static const char *write_file(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* ---- SHA-256 and base64 ----------------------------------------------------------------- */

static void test_sha256_fips_vectors(void **state)
{
    (void)state;
    uint8_t d[32];
    char h[65];
    auth_sha256("", 0, d);
    hex(d, 32, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    auth_sha256("abc", 3, d);
    hex(d, 32, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";   /* 56 bytes */
    auth_sha256(two, strlen(two), d);
    hex(d, 32, h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *mil = malloc(1000000);
    assert_non_null(mil);
    memset(mil, 'a', 1000000);
    auth_sha256(mil, 1000000, d);
    free(mil);
    hex(d, 32, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* 64 bytes: the padding takes a block of its own */
    char b64[64];
    memset(b64, 'x', sizeof b64);
    auth_sha256(b64, 64, d);
    hex(d, 32, h);
    assert_string_equal(h, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

static void test_base64_decode(void **state)
{
    (void)state;
    uint8_t out[32];
    assert_int_equal(auth_base64_decode("YWxpY2U6cHcx", 12, out, sizeof out), 9);
    assert_memory_equal(out, "alice:pw1", 9);
    assert_int_equal(auth_base64_decode("YQ==", 4, out, sizeof out), 1);
    assert_int_equal(out[0], 'a');
    assert_int_equal(auth_base64_decode("YWI=", 4, out, sizeof out), 2);
    assert_int_equal(auth_base64_decode("", 0, out, sizeof out), 0);
    assert_int_equal(auth_base64_decode("YWI", 3, out, sizeof out), -1);      /* not 4n */
    assert_int_equal(auth_base64_decode("Y=I=", 4, out, sizeof out), -1);     /* data after = */
    assert_int_equal(auth_base64_decode("YW!=", 4, out, sizeof out), -1);
    assert_int_equal(auth_base64_decode("YQ==YQ==", 8, out, sizeof out), -1); /* = mid-stream */
    assert_int_equal(auth_base64_decode("YWxpY2U6cHcx", 12, out, 8), -1);      /* too long */
}

/* ---- constant-time comparison -------------------------------------------------------------- */

static void test_equal_results(void **state)
{
    (void)state;
    assert_true(auth_equal("abc", 3, "abc", 3));
    assert_true(auth_equal("", 0, "", 0));
    assert_false(auth_equal("abc", 3, "abd", 3));
    assert_false(auth_equal("abc", 3, "abc\0", 4));  /* a prefix with a zero byte after it */
    assert_false(auth_equal("abc", 3, "ab", 2));
    assert_false(auth_equal("", 0, "a", 1));
    assert_false(auth_equal("xbc", 3, "abc", 3));
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best of several rounds of many comparisons of a and b. */
static double time_equal(const char *a, const char *b, size_t n)
{
    double best = 1e9;
    volatile int sink = 0;
    for (int r = 0; r < 7; r++) {
        double t0 = seconds();
        for (int i = 0; i < 2000; i++)
            sink += auth_equal(a, n, b, n);
        double t = seconds() - t0;
        if (t < best)
            best = t;
    }
    (void)sink;
    return best;
}

/* A mismatch in the first byte costs the same as one in the last: no early exit. (An early-exit
 * memcmp would make the first case ~n times faster; the bound here is a factor of 2.) */
static void test_equal_time_does_not_depend_on_first_difference(void **state)
{
    (void)state;
    enum { N = 8192 };
    char *a = malloc(N), *first = malloc(N), *last = malloc(N);
    assert_non_null(a);
    assert_non_null(first);
    assert_non_null(last);
    memset(a, 'k', N);
    memcpy(first, a, N);
    memcpy(last, a, N);
    first[0] = 'x';
    last[N - 1] = 'x';
    double t_first = time_equal(a, first, N), t_last = time_equal(a, last, N);
    print_message("auth_equal over %d bytes: first byte differs %.3f ms, last %.3f ms\n", N,
                  t_first * 1e3, t_last * 1e3);
    assert_true(t_first > t_last / 2 && t_first < t_last * 2);
    free(a);
    free(first);
    free(last);
}

/* ---- loading ------------------------------------------------------------------------------- */

static void base_cfg(mai_config *c)
{
    config_defaults(c);
}

static void test_load_nothing_configured(void **state)
{
    (void)state;
    mai_config c;
    base_cfg(&c);
    mai_auth *a = NULL;
    char err[256];
    assert_int_equal(auth_load(&c, &a, err, sizeof err), 0);
    assert_non_null(a);
    assert_false(auth_configured(a));
    assert_null(auth_challenge(a, 0));
    char why[256];
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, NULL, why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_VIEW, NULL, why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_PUBLIC, NULL, why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_ADMIN, NULL, why, sizeof why), 403);
    assert_non_null(strstr(why, "--admin-open"));
    auth_free(a);
    c.admin_open = 1;
    assert_int_equal(auth_load(&c, &a, err, sizeof err), 0);
    assert_int_equal(auth_decide(a, AUTH_ADMIN, NULL, why, sizeof why), 0);
    auth_free(a);
}

static void test_bearer_token_file_and_env(void **state)
{
    (void)state;
    mai_config c;
    base_cfg(&c);
    char path[256], err[256], why[256];
    write_file("tok", "  file-token-42\n", path, sizeof path);
    snprintf(c.auth_bearer_token_file, sizeof c.auth_bearer_token_file, "%s", path);
    snprintf(c.bearer_token, sizeof c.bearer_token, "env-token");
    mai_auth *a = NULL;
    assert_int_equal(auth_load(&c, &a, err, sizeof err), 0);
    assert_true(auth_configured(a));
    assert_string_equal(auth_challenge(a, 0), "Bearer realm=\"metrics-ai\"");
    assert_null(auth_challenge(a, 1));
    /* the file wins over the environment; blanks and the line end are not part of it */
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Bearer file-token-42", why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "bearer  file-token-42 ", why, sizeof why),
                     0);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Bearer env-token", why, sizeof why), 401);
    assert_string_equal(why, "invalid credentials");
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Bearer file-token-4", why, sizeof why), 401);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Bearer file-token-421", why, sizeof why),
                     401);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, NULL, why, sizeof why), 401);
    assert_string_equal(why, "authentication required");
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic Zm9vOmJhcg==", why, sizeof why), 401);
    assert_string_equal(why, "unsupported authorization scheme (use Bearer)");
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Digest x", why, sizeof why), 401);
    assert_string_equal(why, "unsupported authorization scheme (use Bearer)");
    assert_int_equal(auth_decide(a, AUTH_ADMIN, NULL, why, sizeof why), 401);
    assert_int_equal(auth_decide(a, AUTH_ADMIN, "Bearer file-token-42", why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_VIEW, NULL, why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_PUBLIC, NULL, why, sizeof why), 0);
    auth_free(a);

    c.auth_bearer_token_file[0] = '\0';         /* now the environment's token */
    c.auth_metrics = 1;
    assert_int_equal(auth_load(&c, &a, err, sizeof err), 0);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Bearer env-token", why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_VIEW, NULL, why, sizeof why), 401);
    assert_int_equal(auth_decide(a, AUTH_VIEW, "Bearer env-token", why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_PUBLIC, NULL, why, sizeof why), 0);
    auth_free(a);
}

static void test_bad_token_files(void **state)
{
    (void)state;
    mai_config c;
    base_cfg(&c);
    char path[256], err[256];
    mai_auth *a = NULL;
    snprintf(c.auth_bearer_token_file, sizeof c.auth_bearer_token_file, "%s/missing", g_dir);
    assert_int_equal(auth_load(&c, &a, err, sizeof err), -MAI_EIO);
    assert_non_null(strstr(err, "--auth-bearer-token-file"));
    assert_non_null(strstr(err, "No such file"));
    write_file("empty", " \n", path, sizeof path);
    snprintf(c.auth_bearer_token_file, sizeof c.auth_bearer_token_file, "%s", path);
    assert_int_equal(auth_load(&c, &a, err, sizeof err), -MAI_EINVAL);
    assert_non_null(strstr(err, "one line of 1 to 4096 bytes"));
    write_file("two", "secret-one\nsecret-two\n", path, sizeof path);
    assert_int_equal(auth_load(&c, &a, err, sizeof err), -MAI_EINVAL);
    assert_null(strstr(err, "secret"));
    assert_null(strchr(err, '\n'));
}

static void test_basic_users(void **state)
{
    (void)state;
    mai_config c;
    base_cfg(&c);
    char path[256], err[256], why[256], text[512], h[65];
    uint8_t d[32];
    auth_sha256("NaClpw2", 7, d);               /* SALT "NaCl", password "pw2" */
    hex(d, 32, h);
    snprintf(text, sizeof text, "# users\n\nalice:pw1\r\nbob:sha256:NaCl:%s\ncarol:a:b:c\n", h);
    write_file("users", text, path, sizeof path);
    snprintf(c.auth_basic_users_file, sizeof c.auth_basic_users_file, "%s", path);
    mai_auth *a = NULL;
    assert_int_equal(auth_load(&c, &a, err, sizeof err), 0);
    int bearer;
    size_t users;
    auth_describe(a, &bearer, &users);
    assert_int_equal(bearer, 0);
    assert_int_equal(users, 3);
    assert_string_equal(auth_challenge(a, 0), "Basic realm=\"metrics-ai\", charset=\"UTF-8\"");
    /* alice:pw1, bob:pw2 (hashed), carol:a:b:c (a password may hold ':') */
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic YWxpY2U6cHcx", why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic Ym9iOnB3Mg==", why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic Y2Fyb2w6YTpiOmM=", why, sizeof why),
                     0);
    /* bob:pw1, alice:pw2, alice:pw1x, alice (no colon), garbage base64 */
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic Ym9iOnB3MQ==", why, sizeof why), 401);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic YWxpY2U6cHcy", why, sizeof why), 401);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic YWxpY2U6cHcxeA==", why, sizeof why),
                     401);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic YWxpY2U=", why, sizeof why), 401);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic !!!!", why, sizeof why), 401);
    /* bob's stored salt is not his password: "bob:NaCl" */
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Basic Ym9iOk5hQ2w=", why, sizeof why), 401);
    assert_int_equal(auth_decide(a, AUTH_PROTECTED, "Bearer pw1", why, sizeof why), 401);
    assert_string_equal(why, "unsupported authorization scheme (use Basic)");
    auth_free(a);
}

static void test_bad_users_files(void **state)
{
    (void)state;
    mai_config c;
    base_cfg(&c);
    char path[256], err[256];
    mai_auth *a = NULL;
    snprintf(c.auth_basic_users_file, sizeof c.auth_basic_users_file, "%s",
             write_file("u1", "alice:topsecret\nnocolon\n", path, sizeof path));
    assert_int_equal(auth_load(&c, &a, err, sizeof err), -MAI_EINVAL);
    assert_non_null(strstr(err, "line 2: expected user:password"));
    assert_null(strstr(err, "topsecret"));
    write_file("u1", "alice:\n", path, sizeof path);
    assert_int_equal(auth_load(&c, &a, err, sizeof err), -MAI_EINVAL);
    assert_non_null(strstr(err, "line 1: empty password"));
    write_file("u1", ":pw\n", path, sizeof path);
    assert_int_equal(auth_load(&c, &a, err, sizeof err), -MAI_EINVAL);
    write_file("u1", "bob:sha256:salt:abcd\n", path, sizeof path);
    assert_int_equal(auth_load(&c, &a, err, sizeof err), -MAI_EINVAL);
    assert_non_null(strstr(err, "64 hex digits"));
    write_file("u1", "# only a comment\n", path, sizeof path);
    assert_int_equal(auth_load(&c, &a, err, sizeof err), -MAI_EINVAL);
    assert_non_null(strstr(err, "no user:password line"));
}

static void test_both_schemes_two_challenges(void **state)
{
    (void)state;
    mai_config c;
    base_cfg(&c);
    char path[256], err[256], why[256];
    snprintf(c.auth_basic_users_file, sizeof c.auth_basic_users_file, "%s",
             write_file("u2", "alice:pw1\n", path, sizeof path));
    snprintf(c.bearer_token, sizeof c.bearer_token, "T0K");
    mai_auth *a = NULL;
    assert_int_equal(auth_load(&c, &a, err, sizeof err), 0);
    assert_string_equal(auth_challenge(a, 0), "Bearer realm=\"metrics-ai\"");
    assert_string_equal(auth_challenge(a, 1), "Basic realm=\"metrics-ai\", charset=\"UTF-8\"");
    assert_null(auth_challenge(a, 2));
    assert_int_equal(auth_decide(a, AUTH_ADMIN, "Bearer T0K", why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_ADMIN, "Basic YWxpY2U6cHcx", why, sizeof why), 0);
    assert_int_equal(auth_decide(a, AUTH_ADMIN, "Basic VDBL", why, sizeof why), 401);
    assert_int_equal(auth_decide(a, AUTH_ADMIN, "Bearer pw1", why, sizeof why), 401);
    auth_free(a);
}

static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(auth_classify("/-/healthy"), AUTH_PUBLIC);
    assert_int_equal(auth_classify("/-/ready"), AUTH_PUBLIC);
    assert_int_equal(auth_classify("/metrics"), AUTH_VIEW);
    assert_int_equal(auth_classify("/"), AUTH_VIEW);
    assert_int_equal(auth_classify("/plots/a.png"), AUTH_VIEW);
    assert_int_equal(auth_classify("/api/v1/write"), AUTH_PROTECTED);
    assert_int_equal(auth_classify("/api/v1/read"), AUTH_PROTECTED);
    assert_int_equal(auth_classify("/api/v1/store"), AUTH_PROTECTED);
    assert_int_equal(auth_classify("/-/healthy/x"), AUTH_PROTECTED);
    assert_int_equal(auth_classify("/metricsx"), AUTH_PROTECTED);
    assert_int_equal(auth_classify("/nope"), AUTH_PROTECTED);
    assert_int_equal(auth_classify("/api/v1/admin/retrain"), AUTH_ADMIN);
    assert_int_equal(auth_classify("/api/v1/admin"), AUTH_ADMIN);
}

/* ---- PEM files ----------------------------------------------------------------------------- */

static void test_read_pem(void **state)
{
    (void)state;
    char path[256], err[256];
    write_file("c.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", path,
               sizeof path);
    char *p = auth_read_pem("--tls-cert", path, "certificate", err, sizeof err);
    assert_non_null(p);
    assert_non_null(strstr(p, "MIIB"));
    free(p);
    assert_null(auth_read_pem("--tls-key", path, "private key", err, sizeof err));
    assert_non_null(strstr(err, "--tls-key"));
    assert_non_null(strstr(err, "not a PEM private key"));
    write_file("k.pem", "-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----\n", path,
               sizeof path);
    p = auth_read_pem("--tls-key", path, "private key", err, sizeof err);
    assert_non_null(p);
    free(p);
    snprintf(path, sizeof path, "%s/none.pem", g_dir);
    assert_null(auth_read_pem("--tls-cert", path, "certificate", err, sizeof err));
    assert_non_null(strstr(err, "cannot read: No such file or directory"));
    assert_null(strchr(err, '\n'));
}

/* The start-up check reads every named file and keeps nothing. */
static void test_check_config(void **state)
{
    (void)state;
    mai_config c;
    base_cfg(&c);
    char path[256], cert[256], key[256], err[256];
    assert_int_equal(auth_check_config(&c, err, sizeof err), 0);
    write_file("cc.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", cert,
               sizeof cert);
    write_file("ck.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", key,
               sizeof key);
    snprintf(c.tls_cert, sizeof c.tls_cert, "%s", cert);
    snprintf(c.tls_key, sizeof c.tls_key, "%s", key);
    assert_int_equal(auth_check_config(&c, err, sizeof err), 0);
    snprintf(c.tls_key, sizeof c.tls_key, "%s", cert);
    assert_int_equal(auth_check_config(&c, err, sizeof err), -MAI_EINVAL);
    assert_non_null(strstr(err, "--tls-key"));
    snprintf(c.tls_key, sizeof c.tls_key, "%s", key);
    snprintf(c.auth_basic_users_file, sizeof c.auth_basic_users_file, "%s",
             write_file("cu", "alice\n", path, sizeof path));
    assert_int_equal(auth_check_config(&c, err, sizeof err), -MAI_EINVAL);
    assert_non_null(strstr(err, "--auth-basic-users-file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_fips_vectors),
        cmocka_unit_test(test_base64_decode),
        cmocka_unit_test(test_equal_results),
        cmocka_unit_test(test_equal_time_does_not_depend_on_first_difference),
        cmocka_unit_test(test_load_nothing_configured),
        cmocka_unit_test(test_bearer_token_file_and_env),
        cmocka_unit_test(test_bad_token_files),
        cmocka_unit_test(test_basic_users),
        cmocka_unit_test(test_bad_users_files),
        cmocka_unit_test(test_both_schemes_two_challenges),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_read_pem),
        cmocka_unit_test(test_check_config),
    };
    return cmocka_run_group_tests_name("auth", tests, make_dir, remove_dir);
}
