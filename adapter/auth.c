/* SPDX-License-Identifier: Apache-2.0
 * adapter/auth.c -- credentials and the access decision (see auth.h): loading the token and the
 * users file, constant-time comparison, SHA-256 for salted password lines, base64 for the Basic
 * scheme, the endpoint classes, and reading the TLS PEM files. */
#include "adapter/auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "models/base.h"

#define AUTH_MAX_FILE (1u << 20)        /* credential and PEM files: 1 MiB at most */
#define AUTH_MAX_SECRET 4096            /* token, user name or password */
#define AUTH_REALM "realm=\"metrics-ai\""

typedef struct auth_user {
    char *name;
    size_t name_len;
    int hashed;                 /* 1: salt + digest; 0: plaintext password */
    char *secret;               /* plaintext password, or the salt */
    size_t secret_len;
    uint8_t digest[32];
} auth_user;

struct mai_auth {
    char *token;                /* NULL when no bearer token */
    size_t token_len;
    auth_user *users;
    size_t nusers;
    int admin_open;
    int view_protected;         /* --auth-metrics */
    const char *challenge[2];
};

/* ---- constant-time comparison ------------------------------------------------------------- */

int auth_equal(const void *a, size_t an, const void *b, size_t bn)
{
    const volatile unsigned char *x = a, *y = b;
    size_t n = an > bn ? an : bn;
    unsigned diff = an != bn;
    for (size_t i = 0; i < n; i++) {
        /* past the end of the shorter one, compare against 0: every byte of the longer is read */
        unsigned char cx = i < an ? x[i] : 0, cy = i < bn ? y[i] : 0;
        diff |= (unsigned)(cx ^ cy);
    }
    return diff == 0;
}

/* ---- SHA-256 ------------------------------------------------------------------------------ */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t p[64])
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] +
                      w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

void auth_sha256(const void *data, size_t n, uint8_t out[32])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const uint8_t *p = data;
    size_t left = n;
    while (left >= 64) {
        sha256_block(h, p);
        p += 64;
        left -= 64;
    }
    uint8_t tail[128];
    memset(tail, 0, sizeof tail);
    if (left)
        memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t tl = left + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        tail[tl - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
    sha256_block(h, tail);
    if (tl == 128)
        sha256_block(h, tail + 64);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

/* ---- base64 ------------------------------------------------------------------------------- */

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

long auth_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    if (n % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char ch = (unsigned char)in[i + (size_t)j];
            if (ch == '=' && i + 4 == n && j >= 2) {
                v[j] = 0;
                pad++;
                continue;
            }
            if (pad)            /* data after '=' */
                return -1;
            v[j] = b64_value(ch);
            if (v[j] < 0)
                return -1;
        }
        uint32_t triple = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                          (uint32_t)v[3];
        size_t k = 3 - (size_t)pad;
        if (o + k > cap)
            return -1;
        for (size_t j = 0; j < k; j++)
            out[o++] = (uint8_t)(triple >> (16 - 8 * j));
    }
    return (long)o;
}

/* ---- files -------------------------------------------------------------------------------- */

/* Reads a whole file into a NUL-terminated buffer; NULL with errno-based text in err. */
static char *read_file(const char *flag, const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s %s: cannot read: %s", flag, path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(AUTH_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s %s: out of memory", flag, path);
        return NULL;
    }
    size_t n = fread(buf, 1, AUTH_MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > AUTH_MAX_FILE) {
        free(buf);
        snprintf(err, errlen, bad ? "%s %s: cannot read: I/O error"
                                  : "%s %s: larger than 1 MiB", flag, path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

char *auth_read_pem(const char *flag, const char *path, const char *what, char *err,
                    size_t errlen)
{
    size_t n;
    char *buf = read_file(flag, path, &n, err, errlen);
    if (!buf)
        return NULL;
    int is_cert = strcmp(what, "certificate") == 0;
    int ok = strlen(buf) == n &&
             (is_cert ? strstr(buf, "-----BEGIN CERTIFICATE-----") != NULL
                      : strstr(buf, "-----BEGIN") != NULL && strstr(buf, "PRIVATE KEY-----"));
    if (!ok) {
        snprintf(err, errlen, "%s %s: not a PEM %s (expected a \"-----BEGIN %s-----\" block)",
                 flag, path, what, is_cert ? "CERTIFICATE" : "PRIVATE KEY");
        free(buf);
        return NULL;
    }
    return buf;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Strips blanks and line ends at both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && strchr(" \t\r\n", (*s)[0]))
        (*s)++, (*n)--;
    while (*n && strchr(" \t\r\n", (*s)[*n - 1]))
        (*n)--;
}

static int hex_digest(const char *s, size_t n, uint8_t out[32])
{
    if (n != 64)
        return -1;
    for (size_t i = 0; i < 32; i++) {
        int v = 0;
        for (size_t j = 0; j < 2; j++) {
            char ch = s[2 * i + j];
            int d = ch >= '0' && ch <= '9' ? ch - '0'
                  : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                  : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* One "user:password" or "user:sha256:SALT:HEX" line (no line end). Messages name the line only. */
static int parse_user(const char *flag, const char *path, unsigned lineno, const char *s, size_t n,
                      auth_user *u, char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', n);
    if (!colon || colon == s) {
        snprintf(err, errlen, "%s %s line %u: expected user:password or "
                 "user:sha256:SALT:HEX", flag, path, lineno);
        return -MAI_EINVAL;
    }
    size_t ulen = (size_t)(colon - s), plen = n - ulen - 1;
    const char *pw = colon + 1;
    if (ulen > AUTH_MAX_SECRET || plen > AUTH_MAX_SECRET || plen == 0) {
        snprintf(err, errlen, "%s %s line %u: %s", flag, path, lineno,
                 plen == 0 ? "empty password" : "user name or password longer than 4096 bytes");
        return -MAI_EINVAL;
    }
    memset(u, 0, sizeof *u);
    const char *salt = pw + 7, *sep;
    if (plen > 7 && memcmp(pw, "sha256:", 7) == 0 &&
        (sep = memchr(salt, ':', plen - 7)) != NULL) {
        const char *hex = sep + 1;
        size_t hexlen = (size_t)(pw + plen - hex);
        if (sep == salt || hex_digest(hex, hexlen, u->digest) != 0) {
            snprintf(err, errlen, "%s %s line %u: sha256:SALT:HEX needs a non-empty SALT and "
                     "64 hex digits", flag, path, lineno);
            return -MAI_EINVAL;
        }
        u->hashed = 1;
        u->secret_len = (size_t)(sep - salt);
        u->secret = dup_n(salt, u->secret_len);
    } else {
        u->secret_len = plen;
        u->secret = dup_n(pw, plen);
    }
    u->name_len = ulen;
    u->name = dup_n(s, ulen);
    if (!u->name || !u->secret) {
        free(u->name);
        free(u->secret);
        snprintf(err, errlen, "%s %s: out of memory", flag, path);
        return -MAI_ENOMEM;
    }
    return 0;
}

static int load_users(mai_auth *a, const char *path, char *err, size_t errlen)
{
    static const char flag[] = "--auth-basic-users-file";
    size_t n;
    char *buf = read_file(flag, path, &n, err, errlen);
    if (!buf)
        return -MAI_EIO;
    int rc = 0;
    unsigned lineno = 0;
    const char *p = buf, *end = buf + n;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        size_t len = (size_t)(le - p);
        lineno++;
        p = nl ? nl + 1 : end;
        trim(&s, &len);
        if (len == 0 || s[0] == '#')
            continue;
        auth_user *grown = realloc(a->users, (a->nusers + 1) * sizeof *grown);
        if (!grown) {
            snprintf(err, errlen, "%s %s: out of memory", flag, path);
            rc = -MAI_ENOMEM;
            break;
        }
        a->users = grown;
        rc = parse_user(flag, path, lineno, s, len, &a->users[a->nusers], err, errlen);
        if (rc == 0)
            a->nusers++;
    }
    /* the file held passwords: wipe the copy before freeing it */
    memset(buf, 0, n);
    free(buf);
    if (rc == 0 && a->nusers == 0) {
        snprintf(err, errlen, "%s %s: no user:password line", flag, path);
        rc = -MAI_EINVAL;
    }
    return rc;
}

static int set_token(mai_auth *a, const char *s, size_t n, const char *what, char *err,
                     size_t errlen)
{
    trim(&s, &n);
    if (n == 0 || n > AUTH_MAX_SECRET || memchr(s, '\n', n) || memchr(s, '\0', n)) {
        snprintf(err, errlen, "%s: the bearer token must be one line of 1 to 4096 bytes", what);
        return -MAI_EINVAL;
    }
    a->token = dup_n(s, n);
    if (!a->token) {
        snprintf(err, errlen, "%s: out of memory", what);
        return -MAI_ENOMEM;
    }
    a->token_len = n;
    return 0;
}

int auth_load(const mai_config *cfg, mai_auth **out, char *err, size_t errlen)
{
    mai_auth *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory loading credentials");
        return -MAI_ENOMEM;
    }
    a->admin_open = cfg->admin_open;
    a->view_protected = cfg->auth_metrics;
    int rc = 0;
    if (cfg->auth_bearer_token_file[0]) {       /* the file wins over the environment */
        char what[MAI_CONFIG_PATH_MAX + 40];
        size_t n;
        snprintf(what, sizeof what, "--auth-bearer-token-file %s", cfg->auth_bearer_token_file);
        char *buf = read_file("--auth-bearer-token-file", cfg->auth_bearer_token_file, &n, err,
                              errlen);
        if (!buf) {
            rc = -MAI_EIO;
        } else {
            rc = set_token(a, buf, n, what, err, errlen);
            memset(buf, 0, n);
            free(buf);
        }
    } else if (cfg->bearer_token[0]) {
        rc = set_token(a, cfg->bearer_token, strlen(cfg->bearer_token),
                       "METRICS_AI_BEARER_TOKEN", err, errlen);
    }
    if (rc == 0 && cfg->auth_basic_users_file[0])
        rc = load_users(a, cfg->auth_basic_users_file, err, errlen);
    if (rc != 0) {
        auth_free(a);
        return rc;
    }
    int k = 0;
    if (a->token)
        a->challenge[k++] = "Bearer " AUTH_REALM;
    if (a->nusers)
        a->challenge[k++] = "Basic " AUTH_REALM ", charset=\"UTF-8\"";
    *out = a;
    return 0;
}

static void wipe_free(char *p, size_t n)
{
    if (p) {
        memset(p, 0, n);
        free(p);
    }
}

void auth_free(mai_auth *a)
{
    if (!a)
        return;
    wipe_free(a->token, a->token_len);
    for (size_t i = 0; i < a->nusers; i++) {
        wipe_free(a->users[i].name, a->users[i].name_len);
        wipe_free(a->users[i].secret, a->users[i].secret_len);
    }
    free(a->users);
    free(a);
}

int auth_configured(const mai_auth *a)
{
    return a && (a->token || a->nusers);
}

void auth_describe(const mai_auth *a, int *has_bearer, size_t *basic_users)
{
    *has_bearer = a && a->token;
    *basic_users = a ? a->nusers : 0;
}

const char *auth_challenge(const mai_auth *a, int i)
{
    return a && i >= 0 && i < 2 ? a->challenge[i] : NULL;
}

/* ---- the decision ------------------------------------------------------------------------- */

auth_class auth_classify(const char *url)
{
    if (strcmp(url, "/-/healthy") == 0 || strcmp(url, "/-/ready") == 0)
        return AUTH_PUBLIC;
    if (strcmp(url, "/metrics") == 0 || strcmp(url, "/") == 0 || strncmp(url, "/plots/", 7) == 0)
        return AUTH_VIEW;
    if (strncmp(url, "/api/v1/admin/", 14) == 0 || strcmp(url, "/api/v1/admin") == 0)
        return AUTH_ADMIN;
    return AUTH_PROTECTED;
}

/* "user:password" against every user, with no early exit: the time does not tell which user
 * matched, nor where a name or password first differs. */
static int basic_ok(const mai_auth *a, const uint8_t *cred, size_t n)
{
    const uint8_t *colon = memchr(cred, ':', n);
    if (!colon)
        return 0;
    size_t ulen = (size_t)(colon - cred), plen = n - ulen - 1;
    const uint8_t *pw = colon + 1;
    int ok = 0;
    uint8_t *salted = malloc(AUTH_MAX_SECRET * 2 + 2);
    if (!salted)
        return 0;
    for (size_t i = 0; i < a->nusers; i++) {
        const auth_user *u = &a->users[i];
        int name_ok = auth_equal(u->name, u->name_len, cred, ulen);
        int pw_ok;
        if (u->hashed) {
            uint8_t d[32];
            size_t sl = u->secret_len;
            memcpy(salted, u->secret, sl);
            memcpy(salted + sl, pw, plen);
            auth_sha256(salted, sl + plen, d);
            pw_ok = auth_equal(d, 32, u->digest, 32);
        } else {
            pw_ok = auth_equal(u->secret, u->secret_len, pw, plen);
        }
        ok |= name_ok & pw_ok;
    }
    memset(salted, 0, AUTH_MAX_SECRET * 2 + 2);
    free(salted);
    return ok;
}

/* Case-insensitive scheme match: "Bearer " / "Basic " followed by the credentials. */
static const char *after_scheme(const char *h, const char *scheme)
{
    size_t n = strlen(scheme);
    if (strncasecmp(h, scheme, n) != 0 || h[n] != ' ')
        return NULL;
    h += n;
    while (*h == ' ')
        h++;
    return h;
}

unsigned auth_decide(const mai_auth *a, auth_class cls, const char *authorization,
                     char *why, size_t whylen)
{
    why[0] = '\0';
    if (cls == AUTH_PUBLIC || (cls == AUTH_VIEW && !a->view_protected))
        return 0;
    if (!auth_configured(a)) {
        if (cls == AUTH_ADMIN && !a->admin_open) {
            snprintf(why, whylen, "admin endpoints are closed: configure credentials "
                     "(--auth-bearer-token-file, --auth-basic-users-file or "
                     "METRICS_AI_BEARER_TOKEN) or start with --admin-open");
            return 403;
        }
        return 0;
    }
    if (!authorization || !*authorization) {
        snprintf(why, whylen, "authentication required");
        return 401;
    }
    const char *cred;
    int ok = 0;
    if (a->token && (cred = after_scheme(authorization, "Bearer")) != NULL) {
        size_t n = strlen(cred);
        while (n && (cred[n - 1] == ' ' || cred[n - 1] == '\t'))
            n--;
        ok = a->token && auth_equal(a->token, a->token_len, cred, n);
    } else if (a->nusers && (cred = after_scheme(authorization, "Basic")) != NULL) {
        size_t n = strlen(cred);
        while (n && (cred[n - 1] == ' ' || cred[n - 1] == '\t'))
            n--;
        uint8_t dec[AUTH_MAX_SECRET * 2 + 2];
        long m = n <= (sizeof dec / 3) * 4 ? auth_base64_decode(cred, n, dec, sizeof dec) : -1;
        ok = m >= 0 && basic_ok(a, dec, (size_t)m);
        memset(dec, 0, sizeof dec);
    } else {
        snprintf(why, whylen, "unsupported authorization scheme (use %s)",
                 a->token && a->nusers ? "Bearer or Basic" : a->token ? "Bearer" : "Basic");
        return 401;
    }
    if (!ok) {
        snprintf(why, whylen, "invalid credentials");
        return 401;
    }
    return 0;
}

int auth_check_config(const mai_config *cfg, char *err, size_t errlen)
{
    mai_auth *a = NULL;
    int rc = auth_load(cfg, &a, err, errlen);
    if (rc != 0)
        return rc;
    auth_free(a);
    if (!cfg->tls_cert[0])
        return 0;
    char *cert = auth_read_pem("--tls-cert", cfg->tls_cert, "certificate", err, errlen);
    char *key = cert ? auth_read_pem("--tls-key", cfg->tls_key, "private key", err, errlen) : NULL;
    if (key)
        wipe_free(key, strlen(key));
    free(cert);
    return key ? 0 : -MAI_EINVAL;
}
