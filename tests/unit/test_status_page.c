/* SPDX-License-Identifier: Apache-2.0
 * tests/unit/test_status_page.c -- the HTML status page: counts and the seed's summary, one row
 * per alert in each category with display names, escaping of label values, the page before the
 * first cycle, and the links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/status_page.h"

static const char *const disk_labels[] = {
    "__name__", "instance_mountpoint:metrics_ai_disk_usage:ratio", "instance", "10.0.0.2:9100",
    "mountpoint", "/var/<lib>"};
static const char *const neterr_labels[] = {
    "__name__", "instance:metrics_ai_net_errors:packets_per_second", "instance", "10.0.0.3:9100"};

static char *render(const results *r)
{
    status_store s = {.series = 1234, .active = 1200, .samples_accepted = 99,
                      .samples_rejected = 1, .uptime_s = 60, .version = "9.9.9",
                      .refresh_s = 15, .plots_href = "/plots/"};
    expo_buf b;
    expo_init(&b);
    status_page_write(&b, r, &s);
    assert_false(b.oom);
    return b.p;
}

static void test_alerts_and_summary(void **state)
{
    (void)state;
    result_row rows[2];
    memset(rows, 0, sizeof rows);
    rows[0].labels = disk_labels;
    rows[0].nlabels = 3;
    rows[0].metric = disk_labels[1];
    rows[0].signal = "DISK_USAGE";
    rows[0].layer = "disk";
    rows[0].display = "host02 (10.0.0.2)";
    rows[0].has_eta = 1;
    rows[0].threshold = 0.9;
    rows[0].current = 0.85;
    rows[0].eta[0] = 86400;             /* 1 day: CRITICAL */
    rows[0].eta[1] = INFINITY;
    rows[0].eta[2] = 2 * 86400;
    rows[1].labels = neterr_labels;
    rows[1].nlabels = 2;
    rows[1].metric = neterr_labels[1];
    rows[1].signal = "NET_ERRORS";
    rows[1].layer = "golden";
    rows[1].current = 12;
    rows[1].anomaly = 0.995;
    rows[1].anomalous = 1;
    result_node nodes[2];
    memset(nodes, 0, sizeof nodes);
    snprintf(nodes[0].display, sizeof nodes[0].display, "worker01 (10.0.0.4)");
    nodes[0].flagged = 1, nodes[0].severity = 2, nodes[0].kind = "memory_pressure";
    nodes[0].score = 0.8;
    snprintf(nodes[1].display, sizeof nodes[1].display, "pi (10.0.0.5)");
    nodes[1].host_pressure = 1, nodes[1].kind = "";
    results r;
    memset(&r, 0, sizeof r);
    r.rows = rows;
    r.nrows = 2;
    r.nodes = nodes;
    r.nnodes = 2;
    r.disk_critical = 1;
    r.golden_anomaly = 1;
    r.models = 10;
    r.models_ready = 7;
    r.cycles = 3;
    char *html = render(&r);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "<meta http-equiv=\"refresh\" content=\"15\">"));
    assert_non_null(strstr(html, "<h1>metrics-ai 9.9.9</h1>"));
    assert_non_null(strstr(html, "1234 (1200 active)"));
    assert_non_null(strstr(html, "7 ready, 3 warming up"));
    assert_non_null(strstr(html, "<p id=\"summary\" class=\"alert\">Alerts: Disk &rarr; 1 critical, "
                                 "0 warning, 0 soon | I/O+Network Crisis &rarr; 0 | I/O+Network "
                                 "Anomaly &rarr; 0 | Golden Signals &rarr; 1 | Classification "
                                 "Anomalies &rarr; 1 | Host Pressure &rarr; 1</p>"));
    assert_non_null(strstr(html, "<tr class=\"CRITICAL\"><td>host02 (10.0.0.2)</td><td>/var/&lt;lib&gt;"
                                 "</td><td>85</td><td>1.0</td><td>9999.0</td><td>2.0</td>"
                                 "<td>CRITICAL</td></tr>"));
    assert_null(strstr(html, "<lib>"));                     /* escaped */
    assert_non_null(strstr(html, "<h2 id=\"golden\">Golden signal anomalies: 1</h2>"));
    assert_non_null(strstr(html, "<td>10.0.0.3:9100</td><td>NET_ERRORS</td>"));
    assert_non_null(strstr(html, "<h2 id=\"classification\">Classification anomalies: 1</h2>"));
    assert_non_null(strstr(html, "worker01 (10.0.0.4)"));
    assert_non_null(strstr(html, "memory_pressure"));
    assert_non_null(strstr(html, "<h2 id=\"pressure\">Host pressure: 1</h2>"));
    assert_non_null(strstr(html, "<h2 id=\"crisis\">I/O+Network crisis: 0</h2>"));
    assert_non_null(strstr(html, "<a href=\"/plots/\">plots and reports</a>"));
    assert_non_null(strstr(html, "<a href=\"/metrics\">"));
    assert_non_null(strstr(html, "</html>\n"));
    free(html);
}

static void test_before_first_cycle_and_all_ok(void **state)
{
    (void)state;
    char *html = render(NULL);
    assert_non_null(strstr(html, "waiting for the first cycle"));
    assert_null(strstr(html, "id=\"summary\""));
    free(html);
    results r;
    memset(&r, 0, sizeof r);
    html = render(&r);
    assert_non_null(strstr(html, "<p id=\"summary\" class=\"ok\">All OK: Disk &rarr; 0 critical"));
    assert_null(strstr(html, "<table>"));
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alerts_and_summary),
        cmocka_unit_test(test_before_first_cycle_and_all_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
