/* SPDX-License-Identifier: Apache-2.0
 * adapter/alert_sender.h -- delivers each model cycle's alerts off the cycle thread, so a slow
 * or dead sink never delays a cycle: a sender thread watches the results box (one slot: the
 * newest published set wins; sets published while a delivery runs are skipped), holds a
 * reference to the set while it sends, and per new cycle POSTs the webhook payload (when
 * actionable) to every --alert-webhook URL and PUTs the nine gauges to --pushgateway. */
#ifndef MAI_ADAPTER_ALERT_SENDER_H
#define MAI_ADAPTER_ALERT_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "adapter/alert_http.h"
#include "adapter/config.h"
#include "exporter/results.h"

#define ALERT_SENDER_POLL_MS 200

typedef struct alert_sender_config {
    results_box *box;
    const char *const *webhooks;    /* n_webhooks URLs (the strings outlive the sender) */
    int n_webhooks;
    const char *pushgateway;        /* base URL, NULL or "" = none */
    const char *instance;           /* the Pushgateway's instance grouping label (copied) */
    alert_http_policy policy;
    unsigned poll_ms;               /* how often the box is looked at; 0 = ALERT_SENDER_POLL_MS */
} alert_sender_config;

typedef struct alert_sender alert_sender;

/* Starts the sender thread. Returns 0, -MAI_EINVAL (no box, or no sink) or -MAI_ENOMEM. */
int alert_sender_start(const alert_sender_config *c, alert_sender **out);

/* Wakes the sender now instead of at its next poll (a hook for the cycle after publishing). */
void alert_sender_notify(alert_sender *s);

/* Cycles delivered so far (every sink tried once, whatever the outcome). */
uint64_t alert_sender_delivered(alert_sender *s);

/* Stops the thread (an HTTP transfer in progress is aborted within about a second), releases
 * the set it held and frees s. NULL is a no-op. */
void alert_sender_stop(alert_sender *s);

/* From the configuration: NULL in *out when neither --alert-webhook nor --pushgateway is set;
 * else a started sender whose Pushgateway instance is the host name (the --listen address when
 * the host name is unknown). Returns 0, or -1 with a one-line message in err. */
int alert_sender_from_config(const mai_config *cfg, results_box *box, alert_sender **out,
                             char *err, size_t errlen);

#endif
