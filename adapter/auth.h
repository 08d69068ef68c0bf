/* SPDX-License-Identifier: Apache-2.0
 * adapter/auth.h -- who may call which endpoint: the bearer token (--auth-bearer-token-file or
 * METRICS_AI_BEARER_TOKEN) and the basic-auth users (--auth-basic-users-file, "user:password" or
 * "user:sha256:SALT:HEX" lines), checked in constant time; the endpoint classes (public, the
 * optional /metrics group, protected, admin) and the decision with its status. No I/O but the
 * credential files read by auth_load(); no secret is ever written into a message. */
#ifndef MAI_ADAPTER_AUTH_H
#define MAI_ADAPTER_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "adapter/config.h"

typedef struct mai_auth mai_auth;

/* Endpoint classes, from the path alone. */
typedef enum auth_class {
    AUTH_PUBLIC,      /* /-/healthy, /-/ready: never checked */
    AUTH_VIEW,        /* /metrics, /, /plots/...: checked only with --auth-metrics */
    AUTH_PROTECTED,   /* /api/v1/write, /api/v1/read, /api/v1/store and any other path */
    AUTH_ADMIN,       /* /api/v1/admin/...: checked; refused when nothing is configured */
} auth_class;

auth_class auth_classify(const char *url);

/* Reads the credential files named in cfg and takes cfg->bearer_token (from the environment).
 * Returns 0 with *out (never NULL on success, also when nothing is configured), or -MAI_EINVAL /
 * -MAI_EIO / -MAI_ENOMEM with a one-line message naming the flag and file in err. */
int auth_load(const mai_config *cfg, mai_auth **out, char *err, size_t errlen);

void auth_free(mai_auth *a);

/* 1 when a bearer token or at least one basic user is configured. */
int auth_configured(const mai_auth *a);

/* Counts for the start-up log line: whether a token is set, how many basic users. */
void auth_describe(const mai_auth *a, int *has_bearer, size_t *basic_users);

/* The verdict for one request: 0 = serve it; otherwise the HTTP status to answer (401 or 403),
 * with a one-line reason in why (no secret in it). authorization is the Authorization header
 * or NULL. */
unsigned auth_decide(const mai_auth *a, auth_class cls, const char *authorization,
                     char *why, size_t whylen);

/* The WWW-Authenticate value for a 401: the configured schemes, e.g.
 * `Bearer realm="metrics-ai"` or `Basic realm="metrics-ai", charset="UTF-8"`. Two schemes give
 * two headers: call with i = 0 and 1; NULL past the last. */
const char *auth_challenge(const mai_auth *a, int i);

/* Constant-time equality of two byte strings: the time depends only on the longer length, never
 * on where they first differ; different lengths compare unequal. */
int auth_equal(const void *a, size_t an, const void *b, size_t bn);

/* SHA-256 of n bytes (FIPS 180-4), for "user:sha256:SALT:HEX" lines (HEX = SHA-256(SALT PASSWORD),
 * lower-case hex, as `printf %s "$SALT$PASSWORD" | sha256sum` prints). */
void auth_sha256(const void *data, size_t n, uint8_t out[32]);

/* Decodes standard base64 (with padding) into out. Returns the length, or -1 when malformed or
 * longer than cap. */
long auth_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* Reads a whole PEM file for --tls-cert / --tls-key (what is "certificate" or "private key"):
 * returns a NUL-terminated buffer to free, or NULL with a one-line message naming flag and path
 * (unreadable, empty, too large, or without the PEM block expected). */
char *auth_read_pem(const char *flag, const char *path, const char *what, char *err,
                    size_t errlen);

/* Start-up check of every file the security flags name: loads the credentials and reads both
 * PEM files, then frees them. Returns 0, or the error of auth_load()/auth_read_pem() with its
 * one-line message, so that main() can stop before restoring or backfilling anything. */
int auth_check_config(const mai_config *cfg, char *err, size_t errlen);

#endif
