/* SPDX-License-Identifier: Apache-2.0
 * adapter/naming.h -- instance naming as in the seed: node_uname_info maps an instance to its
 * node name (AUTO_ALIAS_ENABLED), INSTANCE_ALIAS_MAP overrides, DNS_DOMAIN_SUFFIXES are
 * stripped, and alerts show "host02 (192.168.10.82)". */
#ifndef MAI_ADAPTER_NAMING_H
#define MAI_ADAPTER_NAMING_H

#include <stddef.h>

#include "adapter/config.h"
#include "adapter/store.h"

/* Thread contract: a naming is built, updated (naming_learn_from_store) and read by one thread,
 * the model cycle. It has no lock; nothing else may touch it. Lookups allocate nothing. */
typedef struct naming naming;

/* Builds a naming from cfg: dns_domain_suffixes (comma list; blanks around items and empty items
 * are ignored; an item without a leading '.' gets one), instance_alias_map (a JSON object whose
 * keys are instances "192.168.10.82:9100" or hosts "192.168.10.82" and whose values are node
 * names; a repeated key: the last one wins) and auto_alias_enabled. Returns 0, -MAI_ENOMEM, or
 * -MAI_EINVAL with a one-line message naming INSTANCE_ALIAS_MAP and what is wrong in err. */
int naming_create(const mai_config *cfg, naming **out, char *err, size_t errlen);
void naming_destroy(naming *n);    /* NULL is a no-op */

/* Walks st's node_uname_info series and records instance -> nodename (a later nodename for the
 * same instance replaces the earlier one; names once learned are kept). Does nothing when auto
 * alias is off. Series without both labels are skipped. O(series * learned). Out of memory
 * leaves the names learned so far. */
void naming_learn_from_store(naming *n, store *st);

/* Names learned from node_uname_info so far. */
size_t naming_learned_count(const naming *n);

/* The host part of an instance: ":port" removed, IPv6 brackets removed ("[::1]:9100" -> "::1");
 * a bare IPv6 address (more than one ':') is kept whole. Into buf (cap bytes, truncated, always
 * NUL-terminated when cap > 0); returns buf. */
const char *naming_host(const char *instance, char *buf, size_t cap);

/* The node name of an instance: INSTANCE_ALIAS_MAP by the instance, then by its host part; else
 * the learned nodename of that instance, then of any learned instance with the same host part;
 * else the host part. Then the longest matching DNS suffix is stripped from the end (once, case
 * insensitive, never leaving an empty name). Into buf as naming_host; returns buf. */
const char *naming_node(const naming *n, const char *instance, char *buf, size_t cap);

/* The display form of the seed's payloads: "host02 (192.168.10.82)", the node name then the host
 * part in parentheses; just the node name when it equals the host part (with or without its DNS
 * suffix). Into buf as naming_host; returns buf. */
const char *naming_display(const naming *n, const char *instance, char *buf, size_t cap);

#endif
