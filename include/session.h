/*
 * session.h - the connection to Placement, and the Keystone token it
 * carries.
 *
 * The token's whole life is here: got on the first connection, reused
 * while it is good, renewed before it expires, and at once when Placement
 * answers 401 (the pass is then retried once).  A renewal that fails is an
 * error like any Placement outage: `run` backs off and tries again.  A
 * session outlives its connections (run drops one after a failed pass),
 * and so do the request counts it keeps for the metrics.
 *
 * Part of the service layer (see hostload.h): it logs what it meets.
 */
#pragma once

#include <stdbool.h>

#include "cleanup.h"
#include "errbuf.h"
#include "hostload.h"
#include "keystone.h"
#include "placement.h"
#include "sync.h"

struct session;

struct session *session_new(void);
void session_free(struct session *s); /* NULL is a no-op */
DEFINE_CLEANUP(struct session, session_free)

/* Whether h knows where Placement is (an endpoint, or Keystone's catalog). */
bool session_configured(const struct hostload *h);

/* Connect to h's Placement and negotiate the microversion, unless s is
 * connected already.  With Keystone credentials, a token first when s has
 * none or it is about to expire (logged: "keystone: authenticated ..."),
 * and the endpoint from the catalog unless placement.endpoint is set.
 * Returns 0, -EINVAL when h has no endpoint and no Keystone credentials,
 * or another negative errno; each logged. */
int session_open(struct session *s, const struct hostload *h)
    __attribute__((warn_unused_result));
/* Drop the connection (renegotiate at the next open: Placement may have
 * been replaced); the token and the counts stay. */
void session_close(struct session *s);
/* session_close(), and forget the token too: the credentials changed. */
void session_logout(struct session *s);

/* The connection, or NULL while closed. */
struct placement *session_placement(const struct session *s);
/* The Keystone client, or NULL when the session uses none (yet). */
const struct keystone *session_keystone(const struct session *s);
/* Requests by method and status over every connection of the session. */
const struct placement_counts *session_counts(const struct session *s);

/* sync_pass() of h's tree (flags: enum sync_flags) with the token looked after:
 * renewed first when about to expire, and on a 401 (-EACCES) renewed at once
 * and the pass retried once.  s must be open.  Returns sync_pass()'s result, or
 * the renewal's error (eb set). */
int session_sync(struct session *s, const struct hostload *h,
                 struct sync_cache *cache, unsigned flags,
                 struct sync_report *rep, struct errbuf *eb)
    __attribute__((warn_unused_result));
