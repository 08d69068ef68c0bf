/* SPDX-License-Identifier: Apache-2.0
 * tests/fuzz/fuzz_signals.c -- libFuzzer target for the signal-catalogue override parser: each
 * input is an override file given to signals_load_string() on a fresh catalogue; an accepted
 * file must leave a catalogue whose every entry has the required fields and that the rule
 * writer turns into YAML; a refused one must leave the catalogue exactly as it was (the
 * all-or-nothing rule of signals.h) with a one-line message.
 * Seeds: tests/fuzz/corpus/fuzz_signals/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/signals.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_signals: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    signals *cat;
    if (signals_new(&cat) != 0) {
        free(text);
        return 0;
    }
    size_t n0 = signals_count(cat);
    char err[512] = "";
    int rc = signals_load_string(cat, text, "fuzz.signals", err, sizeof err);
    if (rc != 0) {
        must(strchr(err, '\n') == NULL && strncmp(err, "fuzz.signals", 12) == 0,
             "a refused file's message is one line naming the file");
        must(signals_count(cat) == n0, "a refused file changed the catalogue");
    }
    for (size_t i = 0; i < signals_count(cat); i++) {
        const signal_def *d = signals_get(cat, i);
        must(d && d->id && d->record && d->expr && d->layer && d->unit && d->group && d->by,
             "an entry lacks a required field");
        must(signals_by_id(cat, d->id) != NULL, "an entry is not found by its id");
    }
    static FILE *out;               /* one sink for the whole run: opening it cost a syscall */
    if (!out && !(out = fopen("/dev/null", "w")))
        abort();
    must(signals_write_rules(cat, out) == 0, "the rule writer failed");
    signals_free(cat);
    free(text);
    return 0;
}
