/*
 * keystone.h - a Keystone v3 token for Placement, and where Placement is.
 *
 * keystone_authenticate() POSTs {auth_url}/auth/tokens (password or
 * application credential), takes the token from X-Subject-Token, its
 * expiry from token.expires_at and the Placement endpoint from the
 * token's catalog (service type "placement", the configured interface and
 * region).  The token is reused until keystone_expiring() says renew:
 * less than KEYSTONE_RENEW_BEFORE_S, or a tenth of its lifetime, whichever
 * is smaller, is left.  The token and the credentials never appear in a
 * message; they are wiped when freed.
 *
 * Errors (the message names "POST <auth_url>/auth/tokens"): -EACCES for a
 * 401 (wrong password, unknown project, ...), -EIO for another status,
 * -EPROTO for an answer that is not a token, the transport's errno
 * (-ECONNREFUSED ...) when Keystone cannot be reached, -ENOENT when the
 * catalog has no Placement endpoint for the interface and region.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cleanup.h"
#include "clouds.h"
#include "errbuf.h"

#define KEYSTONE_RENEW_BEFORE_S 300
#define KEYSTONE_TIME_MAX 32 /* "2026-11-25T22:10:05Z" and its NUL */

/* The request body of POST /v3/auth/tokens for a (password or application
 * credential; scoped to the project for a password).  A secret: the caller
 * wipes and frees it (secret_free()). */
char *keystone_auth_body(const struct clouds_auth *a);

/* token.expires_at (and issued_at, or expires_at when missing) of a
 * response body, as UTC seconds.  -EPROTO, the message naming what, for
 * a body that is not a token. */
int keystone_parse_times(const char *body, size_t len, time_t *ret_issued,
                         time_t *ret_expires, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* The URL of the token's Placement endpoint for interface and region (NULL:
 * any); *ret is the caller's to free().  -ENOENT with "no placement service
 * in the catalog" or "no placement endpoint for interface 'X' (region 'Y')"
 * (listing the ones there are), -EPROTO for a bad catalog. */
int keystone_parse_endpoint(const char *body, size_t len, const char *interface,
                            const char *region, char **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* ISO 8601 "2026-11-25T22:10:05Z" parsed, fractions and "+00:00" allowed;
 * -EINVAL if it is not one. */
int keystone_parse_time(const char *s, time_t *ret);
/* t as "2026-11-25T22:10:05Z" into buf; returns buf. */
const char *keystone_format_time(time_t t, char buf[KEYSTONE_TIME_MAX]);

struct keystone; /* the settings, the token, its expiry, the endpoint */

/* A session for a (which must outlive it): nothing is sent yet.  TLS
 * settings (cacert, insecure, timeout) are Placement's, as Nova's are one
 * [placement] section. */
int keystone_new(const struct clouds_auth *a, const char *cacert, bool insecure,
                 long timeout_s, struct keystone **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
void keystone_free(struct keystone *k); /* NULL is a no-op */
DEFINE_CLEANUP(struct keystone, keystone_free)

/* Get a new token (dropping the one held, even when this fails).  With
 * want_endpoint, the catalog must have a Placement endpoint. */
int keystone_authenticate(struct keystone *k, bool want_endpoint,
                          struct errbuf *eb)
    __attribute__((warn_unused_result));
/* No token, or it is about to expire at time now. */
bool keystone_expiring(const struct keystone *k, time_t now);
const char *keystone_token(const struct keystone *k);    /* or NULL */
const char *keystone_endpoint(const struct keystone *k); /* or NULL */
time_t keystone_expires(const struct keystone *k);
const char *keystone_auth_url(const struct keystone *k);
