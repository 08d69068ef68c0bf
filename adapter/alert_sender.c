/* SPDX-License-Identifier: Apache-2.0
 * adapter/alert_sender.c -- the alert sender thread (see alert_sender.h). */
#include "adapter/alert_sender.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapter/log.h"
#include "adapter/pushgateway.h"
#include "adapter/webhook.h"
#include "exporter/alert_payload.h"
#include "models/base.h"

struct alert_sender {
    alert_sender_config cfg;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int woken;
    atomic_int stop;
    _Atomic uint64_t delivered;
    uint64_t last_cycle;            /* cycles of the last set delivered; 0 = none yet */
    const char *urls[MAI_CONFIG_MAX_WEBHOOKS];  /* copies of the caller's pointers */
    char instance[320];
};

static void deliver(alert_sender *s, const results *r)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (s->cfg.n_webhooks > 0) {
        char *body = NULL;
        int rc = webhook_body(r, &now, &body);
        if (rc < 0)
            log_msg(LOG_WARN, "Alert webhook not sent: out of memory building the payload");
        else if (rc > 0)
            webhook_send(s->cfg.webhooks, s->cfg.n_webhooks, body, &s->cfg.policy, &s->stop);
        free(body);
    }
    if (s->cfg.pushgateway && *s->cfg.pushgateway && !atomic_load(&s->stop)) {
        alert_counts c;
        alert_counts_of(r, &c);
        pushgateway_push(s->cfg.pushgateway, s->cfg.instance, &c,
                         &s->cfg.policy, &s->stop);
    }
}

static void *thread_main(void *arg)
{
    alert_sender *s = arg;
    while (!atomic_load(&s->stop)) {
        const results *r = results_acquire(s->cfg.box);
        if (r && r->cycles != s->last_cycle) {
            s->last_cycle = r->cycles;
            deliver(s, r);
            atomic_fetch_add(&s->delivered, 1);
        }
        if (r)
            results_release(s->cfg.box, r);
        pthread_mutex_lock(&s->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + (long)s->cfg.poll_ms * 1000000L;
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        while (!s->woken && !atomic_load(&s->stop) &&
               pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
            ;
        s->woken = 0;
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

int alert_sender_start(const alert_sender_config *c, alert_sender **out)
{
    *out = NULL;
    if (!c->box || (c->n_webhooks <= 0 && !(c->pushgateway && *c->pushgateway)) ||
        c->n_webhooks > MAI_CONFIG_MAX_WEBHOOKS)
        return -MAI_EINVAL;
    alert_sender *s = calloc(1, sizeof *s);
    if (!s)
        return -MAI_ENOMEM;
    s->cfg = *c;
    for (int i = 0; i < c->n_webhooks; i++)
        s->urls[i] = c->webhooks[i];
    s->cfg.webhooks = s->urls;
    snprintf(s->instance, sizeof s->instance, "%s", c->instance ? c->instance : "");
    s->cfg.instance = s->instance;
    if (!s->cfg.poll_ms)
        s->cfg.poll_ms = ALERT_SENDER_POLL_MS;
    atomic_init(&s->stop, 0);
    atomic_init(&s->delivered, 0);
    if (alert_http_global_init() != 0) {
        free(s);
        return -MAI_ENOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->th, NULL, thread_main, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        alert_http_global_cleanup();
        free(s);
        return -MAI_ENOMEM;
    }
    *out = s;
    return 0;
}

void alert_sender_notify(alert_sender *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->woken = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

uint64_t alert_sender_delivered(alert_sender *s)
{
    return atomic_load(&s->delivered);
}

void alert_sender_stop(alert_sender *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->stop, 1);
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    alert_http_global_cleanup();
    free(s);
}

int alert_sender_from_config(const mai_config *cfg, results_box *box, alert_sender **out,
                             char *err, size_t errlen)
{
    *out = NULL;
    if (cfg->n_alert_webhooks <= 0 && !cfg->pushgateway[0])
        return 0;
    alert_sender_config c = {.box = box, .n_webhooks = cfg->n_alert_webhooks,
                             .pushgateway = cfg->pushgateway,
                             .policy = (alert_http_policy)ALERT_HTTP_POLICY_DEFAULT};
    const char *urls[MAI_CONFIG_MAX_WEBHOOKS];
    for (int i = 0; i < cfg->n_alert_webhooks && i < MAI_CONFIG_MAX_WEBHOOKS; i++)
        urls[i] = cfg->alert_webhooks[i];
    c.webhooks = urls;
    char instance[320];
    if (gethostname(instance, sizeof instance) != 0 || !instance[0]) {
        if (strchr(cfg->listen_host, ':'))
            snprintf(instance, sizeof instance, "[%s]:%u", cfg->listen_host,
                     (unsigned)cfg->listen_port);
        else
            snprintf(instance, sizeof instance, "%s:%u",
                     cfg->listen_host[0] ? cfg->listen_host : "0.0.0.0",
                     (unsigned)cfg->listen_port);
    }
    instance[sizeof instance - 1] = '\0';
    c.instance = instance;
    alert_sender *s = NULL;
    int rc = alert_sender_start(&c, &s);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the alert sender: %s", mai_strerror(rc));
        return -1;
    }
    char host[256];
    alert_http_url_host(cfg->pushgateway, host, sizeof host);
    log_msg(LOG_INFO, "alerts: webhook to %d URL%s%s%s%s%s", cfg->n_alert_webhooks,
            cfg->n_alert_webhooks == 1 ? "" : "s", cfg->pushgateway[0] ? "; Pushgateway " : "",
            cfg->pushgateway[0] ? host : "", cfg->pushgateway[0] ? ", instance " : "",
            cfg->pushgateway[0] ? instance : "");
    *out = s;
    return 0;
}
