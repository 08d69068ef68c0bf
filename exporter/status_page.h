/* SPDX-License-Identifier: Apache-2.0
 * exporter/status_page.h -- the HTML status page served at "/": what the service holds (series,
 * samples, models ready and warming up, the last cycle), the current alerts of the seed's
 * categories with their rows, and links to the exports, reports and plots. Plain HTML with an
 * inline style sheet, no script; every label value is escaped. */
#ifndef MAI_EXPORTER_STATUS_PAGE_H
#define MAI_EXPORTER_STATUS_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "exporter/expo.h"
#include "exporter/results.h"

/* Figures of the store and the process that the page shows beside the result set. */
typedef struct status_store {
    uint64_t series, active, samples_accepted, samples_rejected;
    int64_t uptime_s;
    const char *version;
    int refresh_s;              /* the page reloads itself this often; 0 = never */
    const char *plots_href;     /* link to the plots, NULL when none are served */
} status_store;

/* Appends the page to b (expo_buf is used as a growing text buffer; b->oom on failure). r may be
 * NULL before the first cycle. */
void status_page_write(expo_buf *b, const results *r, const status_store *s);

#endif
