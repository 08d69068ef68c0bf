/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_http.c -- the HTTP server on a loopback port: routes, methods, early answers
 * before the body (413 by Content-Length, 503 over the in-flight limit), the /metrics content
 * type, a keep-alive connection carrying several writes, GET /plots/ (index, files with their
 * content types, traversal and symlinks leading outside refused, the status page link), the
 * access check before routing (401 with WWW-Authenticate, 403 for admin without credentials) and
 * the samples-per-request limit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "adapter/config.h"
#include "adapter/http.h"
#include "adapter/log.h"
#include "adapter/selfstats.h"
#include "adapter/store.h"
#include "adapter/write_handler.h"

static mai_config cfg;
static store *st;
static http_server *srv;
static const char *plots_dir;   /* FORECAST_PLOTS_DIR for the next start(), NULL: default */

/* Starts on cfg as it is. */
static int start_cfg(void)
{
    store_config sc = {.shards = 4, .max_series = 100, .fine_cap = 10, .fine_step_ms = 60000,
                       .coarse_cap = 10, .coarse_step_ms = 3600000};
    char err[256];
    if (store_create(&sc, &st) != 0 || http_start(&cfg, st, NULL, &srv, err, sizeof err) != 0)
        return -1;
    return 0;
}

static void test_cfg(unsigned max_inflight)
{
    config_defaults(&cfg);
    snprintf(cfg.listen_host, sizeof cfg.listen_host, "127.0.0.1");
    cfg.listen_port = 0;
    cfg.max_body_bytes = 4096;
    cfg.max_inflight = max_inflight;
    if (plots_dir)
        snprintf(cfg.forecast_plots_dir, sizeof cfg.forecast_plots_dir, "%s", plots_dir);
}

static int start(unsigned max_inflight)
{
    test_cfg(max_inflight);
    return start_cfg();
}

static int setup(void **state)
{
    (void)state;
    return start(64);
}

static int teardown(void **state)
{
    (void)state;
    http_stop(srv);
    store_destroy(st);
    srv = NULL;
    st = NULL;
    return 0;
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_port(srv))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Sends raw bytes and reads one response (headers + Content-Length body) into buf. */
static int roundtrip(int fd, const char *req, size_t n, char *buf, size_t cap)
{
    assert_int_equal(send(fd, req, n, 0), (ssize_t)n);
    size_t got = 0;
    for (int tries = 0; tries < 100 && got < cap - 1; tries++) {
        ssize_t k = recv(fd, buf + got, cap - 1 - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
        buf[got] = '\0';
        char *hdr_end = strstr(buf, "\r\n\r\n");
        if (!hdr_end)
            continue;
        char *cl = strstr(buf, "Content-Length: ");
        size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0;
        if (got >= (size_t)(hdr_end + 4 - buf) + body)
            break;
    }
    buf[got] = '\0';
    int status = 0;
    sscanf(buf, "HTTP/1.1 %d", &status);
    return status;
}

static int request(const char *req, char *buf, size_t cap)
{
    int fd = connect_server();
    int status = roundtrip(fd, req, strlen(req), buf, cap);
    close(fd);
    return status;
}

static void test_http_serves_health_ready_and_metrics(void **state)
{
    (void)state;
    char buf[65536];
    assert_int_equal(request("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    assert_int_equal(request("GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    assert_int_equal(request("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "text/plain; version=0.0.4"));
    assert_non_null(strstr(buf, "# TYPE metrics_ai_samples_received_total counter"));
    assert_int_equal(request("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 404);
}

static void test_http_refuses_wrong_methods(void **state)
{
    (void)state;
    char buf[4096];
    assert_int_equal(request("GET /api/v1/write HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf),
                     405);
    assert_non_null(strstr(buf, "Allow: POST"));
    assert_int_equal(request("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf),
                     405);
}

static void test_http_answers_413_before_reading_a_large_body(void **state)
{
    (void)state;
    char buf[4096];
    int status = request("POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         "application/x-protobuf\r\nContent-Length: 4097\r\n\r\n", buf,
                         sizeof buf);
    assert_int_equal(status, 413);
    assert_non_null(strstr(buf, "--max-body-bytes"));
}

static void test_http_routes_remote_read(void **state)
{
    (void)state;
    char buf[4096];
    assert_int_equal(request("GET /api/v1/read HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf),
                     405);
    assert_non_null(strstr(buf, "Allow: POST"));
    assert_int_equal(request("POST /api/v1/read HTTP/1.1\r\nHost: x\r\nContent-Length: 4097"
                             "\r\n\r\n", buf, sizeof buf), 413);
    assert_non_null(strstr(buf, "--max-body-bytes"));
    assert_int_equal(request("POST /api/v1/read HTTP/1.1\r\nHost: x\r\nContent-Length: 3"
                             "\r\n\r\nabc", buf, sizeof buf), 400);
    assert_non_null(strstr(buf, "\r\n\r\ncorrupt snappy block: decompression failed\n"));
    /* ReadRequest{Query{end 1, matcher __name__="up"}} as one snappy literal */
    static const char req[] =
        "POST /api/v1/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
        "Content-Encoding: snappy\r\nContent-Length: 22\r\n\r\n"
        "\x14\x4c\x0a\x12\x10\x01\x1a\x0e\x12\x08__name__\x1a\x02up";
    int fd = connect_server();
    int status = roundtrip(fd, req, sizeof req - 1, buf, sizeof buf);
    close(fd);
    assert_int_equal(status, 200);
    assert_non_null(strstr(buf, "Content-Type: application/x-protobuf"));
    assert_non_null(strstr(buf, "Content-Encoding: snappy"));
}

static void test_http_answers_415_for_json(void **state)
{
    (void)state;
    char buf[4096];
    int status = request("POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         "application/json\r\nContent-Length: 2\r\n\r\n{}", buf, sizeof buf);
    assert_int_equal(status, 415);
}

static void test_http_keeps_alive_across_writes(void **state)
{
    (void)state;
    /* WriteRequest{timeseries{labels{__name__=k} samples{value=1 timestamp=t}}} */
    int fd = connect_server();
    char buf[4096];
    for (int i = 1; i <= 3; i++) {
        uint8_t raw[64];
        size_t n = 0;
        const uint8_t label[] = {0x0a, 0x0d, 0x0a, 0x08, '_', '_', 'n', 'a', 'm', 'e', '_', '_',
                                 0x12, 0x01, 'k'};
        double v = 1.0;
        uint8_t sample[12] = {0x12, 0x0b, 0x09};
        memcpy(sample + 3, &v, 8);
        sample[11] = 0x10;
        raw[n++] = 0x0a;
        raw[n++] = (uint8_t)(sizeof label + sizeof sample + 1);
        memcpy(raw + n, label, sizeof label);
        n += sizeof label;
        memcpy(raw + n, sample, sizeof sample);
        n += sizeof sample;
        raw[n++] = (uint8_t)i;          /* timestamp i ms */
        char body[128];
        size_t blen = sizeof body;
        assert_int_equal(snappy_compress((const char *)raw, n, body, &blen), SNAPPY_OK);
        char req[512];
        int hl = snprintf(req, sizeof req, "POST /api/v1/write HTTP/1.1\r\nHost: x\r\n"
                          "Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n"
                          "Content-Length: %zu\r\n\r\n", blen);
        memcpy(req + hl, body, blen);
        assert_int_equal(roundtrip(fd, req, (size_t)hl + blen, buf, sizeof buf), 204);
        assert_null(strstr(buf, "Written"));
    }
    close(fd);
    store_stats s;
    store_get_stats(st, &s);
    assert_int_equal(s.series, 1);
}

static void test_http_answers_503_with_retry_after_over_inflight_limit(void **state)
{
    (void)state;
    teardown(NULL);
    assert_int_equal(start(0), 0);      /* no request may be in flight */
    char buf[4096];
    int status = request("POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         "application/x-protobuf\r\nContent-Length: 1\r\n\r\n\0", buf,
                         sizeof buf);
    assert_int_equal(status, 503);
    assert_non_null(strstr(buf, "Retry-After: 1"));
    assert_non_null(strstr(buf, "--max-inflight"));
    status = request("POST /api/v1/read HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n\0",
                     buf, sizeof buf);
    assert_int_equal(status, 503);
    assert_non_null(strstr(buf, "too many remote read requests in flight (--max-inflight=0)"));
    teardown(NULL);
    assert_int_equal(start(64), 0);
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* GET /plots/ and /plots/<file> from FORECAST_PLOTS_DIR; traversal refused with one line */
static void test_http_serves_plots(void **state)
{
    (void)state;
    char root[] = "/tmp/test_http_plots.XXXXXX", dir[128], link[160];
    assert_non_null(mkdtemp(root));
    snprintf(dir, sizeof dir, "%s/plots", root);
    assert_int_equal(mkdir(dir, 0755), 0);
    put_file(root, "secret.txt", "secret\n");
    put_file(dir, "host_layer_forecast.png", "\x89PNG\r\n\x1a\nbody");
    put_file(dir, "disk_full_prediction.csv", "instance,mountpoint\n");
    snprintf(link, sizeof link, "%s/leak.png", dir);
    assert_int_equal(symlink("../secret.txt", link), 0);
    teardown(NULL);
    plots_dir = dir;
    assert_int_equal(start(64), 0);
    char buf[16384];
    assert_int_equal(request("GET /plots/ HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "Content-Type: text/html; charset=utf-8"));
    assert_non_null(strstr(buf, "<a href=\"/plots/host_layer_forecast.png\">"));
    assert_non_null(strstr(buf, "<a href=\"/plots/disk_full_prediction.csv\">"));
    assert_null(strstr(buf, "leak.png"));
    assert_int_equal(request("GET /plots HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "host_layer_forecast.png"));
    assert_int_equal(request("GET /plots/host_layer_forecast.png HTTP/1.1\r\nHost: x\r\n\r\n",
                             buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "Content-Type: image/png"));
    assert_non_null(strstr(buf, "Content-Length: 12\r\n"));
    assert_non_null(strstr(buf, "\r\n\r\n\x89PNG\r\n\x1a\nbody"));
    assert_int_equal(request("GET /plots/disk_full_prediction.csv HTTP/1.1\r\nHost: x\r\n\r\n",
                             buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "Content-Type: text/csv; charset=utf-8"));
    assert_non_null(strstr(buf, "instance,mountpoint"));
    /* traversal: names with '/' or "..", encoded or not, absolute paths: 400 with one line */
    const char *bad[] = {"/plots/../secret.txt", "/plots/..", "/plots/%2e%2e/secret.txt",
                         "/plots/..%2fsecret.txt", "/plots//etc/passwd", "/plots/a/../../x",
                         "/plots/.hidden"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char req[256];
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", bad[i]);
        int status = request(req, buf, sizeof buf);
        if (status != 400)
            fail_msg("%s: got %d", bad[i], status);
        assert_non_null(strstr(buf, "\r\n\r\nbad plot file name"));
        assert_null(strstr(buf, "secret\n"));
    }
    /* a symlink leading outside, a missing file: 404 */
    assert_int_equal(request("GET /plots/leak.png HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf),
                     404);
    assert_null(strstr(buf, "secret\n"));
    assert_int_equal(request("GET /plots/nope.png HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf),
                     404);
    assert_int_equal(request("POST /plots/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                             buf, sizeof buf), 405);
    /* the status page links the plots */
    assert_int_equal(request("GET / HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "href=\"/plots/\""));
    teardown(NULL);
    plots_dir = NULL;
    assert_int_equal(start(64), 0);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

/* Without credentials: everything open but the admin endpoint (403). With a bearer token:
 * write, read, store and admin answer 401 with WWW-Authenticate unless the token comes along;
 * /-/healthy, /-/ready and /metrics stay open. */
static void test_http_checks_access_first(void **state)
{
    (void)state;
    char buf[4096];
    assert_int_equal(request("POST /api/v1/admin/retrain?disk=all HTTP/1.1\r\nHost: x\r\n\r\n",
                             buf, sizeof buf), 403);
    assert_non_null(strstr(buf, "--admin-open"));
    assert_null(strstr(buf, "WWW-Authenticate"));
    teardown(NULL);
    test_cfg(64);
    snprintf(cfg.bearer_token, sizeof cfg.bearer_token, "unit-token");
    assert_int_equal(start_cfg(), 0);
    static const char *const closed[] = {
        "POST /api/v1/write", "POST /api/v1/read", "GET /api/v1/store?metric=x",
        "POST /api/v1/admin/retrain?disk=all", "GET /api/v1/write"};
    char req[512];
    for (size_t i = 0; i < sizeof closed / sizeof closed[0]; i++) {
        snprintf(req, sizeof req, "%s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                 closed[i]);
        assert_int_equal(request(req, buf, sizeof buf), 401);
        assert_non_null(strstr(buf, "WWW-Authenticate: Bearer realm=\"metrics-ai\""));
        snprintf(req, sizeof req, "%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                 "Content-Length: 0\r\n\r\n", closed[i]);
        assert_int_equal(request(req, buf, sizeof buf), 401);
        assert_non_null(strstr(buf, "invalid credentials"));
    }
    /* with the token the request goes on to the handler: 415 for JSON, 405 for GET */
    assert_int_equal(request("POST /api/v1/write HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                             "unit-token\r\nContent-Type: application/json\r\nContent-Length: "
                             "2\r\n\r\n{}", buf, sizeof buf), 415);
    assert_int_equal(request("GET /api/v1/write HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                             "unit-token\r\n\r\n", buf, sizeof buf), 405);
    assert_int_equal(request("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    assert_int_equal(request("GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    assert_int_equal(request("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    teardown(NULL);
    cfg.auth_metrics = 1;
    assert_int_equal(start_cfg(), 0);
    assert_int_equal(request("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 401);
    assert_int_equal(request("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                             "unit-token\r\n\r\n", buf, sizeof buf), 200);
    assert_int_equal(request("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    teardown(NULL);
    assert_int_equal(start(64), 0);
}

/* --request-timeout: a body still trickling in after the timeout gets its connection closed,
 * without an answer; the server goes on answering others. */
static void test_http_closes_slow_bodies(void **state)
{
    (void)state;
    teardown(NULL);
    test_cfg(64);
    cfg.request_timeout_s = 1;
    assert_int_equal(start_cfg(), 0);
    int fd = connect_server();
    struct timeval tv = {.tv_sec = 3};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const char head[] = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: "
                        "application/x-protobuf\r\nContent-Length: 100\r\n\r\n0123456789";
    assert_int_equal(send(fd, head, sizeof head - 1, 0), (ssize_t)(sizeof head - 1));
    struct timespec pause = {1, 300000000};
    nanosleep(&pause, NULL);
    (void)send(fd, "0123456789", 10, MSG_NOSIGNAL);
    char buf[512];
    errno = 0;
    ssize_t k = recv(fd, buf, sizeof buf, 0);
    /* closed by the server, with no answer (a receive timeout would mean it still waited) */
    if (!(k == 0 || (k < 0 && errno == ECONNRESET)))
        fail_msg("recv gave %zd (%s): the slow body was not cut off", k, strerror(errno));
    close(fd);
    assert_int_equal(request("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    teardown(NULL);
    assert_int_equal(start(64), 0);
}

/* --request-timeout also bounds the headers: a client trickling a header byte every 200 ms
 * (well inside libmicrohttpd's idle timeout) has its connection closed about a second after it
 * connected, with no answer and one count in metrics_ai_http_connections_timed_out_total. */
static void test_http_closes_slow_headers(void **state)
{
    (void)state;
    teardown(NULL);
    test_cfg(64);
    cfg.request_timeout_s = 1;
    assert_int_equal(start_cfg(), 0);
    uint64_t before = atomic_load(&g_selfstats.connections_timed_out);
    int fd = connect_server();
    const char head[] = "GET /-/healthy HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    assert_int_equal(send(fd, head, sizeof head - 1, 0), (ssize_t)(sizeof head - 1));
    int64_t t0 = mai_monotonic_ns();
    int closed = 0;
    char buf[512];
    for (int i = 0; i < 20 && !closed; i++) {           /* 4 s at most */
        struct timespec pause = {0, 200000000};
        nanosleep(&pause, NULL);
        if (send(fd, "a", 1, MSG_NOSIGNAL) != 1) {
            closed = 1;
            break;
        }
        ssize_t k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            closed = 1;
        else if (k > 0)
            fail_msg("the server answered a request whose headers never ended");
    }
    double took = (double)(mai_monotonic_ns() - t0) / 1e9;
    close(fd);
    if (!closed)
        fail_msg("a client trickling its headers was not cut off after %.1f s", took);
    assert_true(took < 2.5);
    assert_int_equal(atomic_load(&g_selfstats.connections_timed_out) - before, 1);
    assert_int_equal(request("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf), 200);
    teardown(NULL);
    assert_int_equal(start(64), 0);
}

/* --max-samples-per-request: 413 naming the limit, and nothing stored. */
static void test_http_limits_samples_per_request(void **state)
{
    (void)state;
    teardown(NULL);
    test_cfg(64);
    cfg.max_samples_per_request = 1;
    assert_int_equal(start_cfg(), 0);
    /* WriteRequest{timeseries{labels{__name__=k} samples{1,1ms} samples{1,2ms}}} */
    uint8_t raw[64];
    size_t n = 0;
    const uint8_t label[] = {0x0a, 0x0d, 0x0a, 0x08, '_', '_', 'n', 'a', 'm', 'e', '_', '_',
                             0x12, 0x01, 'k'};
    raw[n++] = 0x0a;
    raw[n++] = (uint8_t)(sizeof label + 2 * 13);
    memcpy(raw + n, label, sizeof label);
    n += sizeof label;
    for (int i = 1; i <= 2; i++) {
        double v = 1.0;
        raw[n++] = 0x12;
        raw[n++] = 0x0b;
        raw[n++] = 0x09;
        memcpy(raw + n, &v, 8);
        n += 8;
        raw[n++] = 0x10;
        raw[n++] = (uint8_t)i;
    }
    char body[128];
    size_t blen = sizeof body;
    assert_int_equal(snappy_compress((const char *)raw, n, body, &blen), SNAPPY_OK);
    char req[512], buf[4096];
    int hl = snprintf(req, sizeof req, "POST /api/v1/write HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n"
                      "Content-Length: %zu\r\n\r\n", blen);
    memcpy(req + hl, body, blen);
    int fd = connect_server();
    assert_int_equal(roundtrip(fd, req, (size_t)hl + blen, buf, sizeof buf), 413);
    close(fd);
    assert_non_null(strstr(buf, "more than 1 samples in one request"));
    store_stats s;
    store_get_stats(st, &s);
    assert_int_equal(s.series, 0);
    teardown(NULL);
    assert_int_equal(start(64), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_serves_health_ready_and_metrics),
        cmocka_unit_test(test_http_refuses_wrong_methods),
        cmocka_unit_test(test_http_answers_413_before_reading_a_large_body),
        cmocka_unit_test(test_http_routes_remote_read),
        cmocka_unit_test(test_http_answers_415_for_json),
        cmocka_unit_test(test_http_keeps_alive_across_writes),
        cmocka_unit_test(test_http_answers_503_with_retry_after_over_inflight_limit),
        cmocka_unit_test(test_http_serves_plots),
        cmocka_unit_test(test_http_checks_access_first),
        cmocka_unit_test(test_http_limits_samples_per_request),
        cmocka_unit_test(test_http_closes_slow_bodies),
        cmocka_unit_test(test_http_closes_slow_headers),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    write_worker_release();
    return rc;
}
