/*
 * placement.h - typed calls to the OpenStack Placement REST API.
 *
 * Every call comes in two halves so that a caller can run many of them
 * concurrently in one http_request_many() batch:
 *
 *     placement_prep_get_inventories(p, &call, uuid);   fill the request
 *     ... http_request_many(http, reqs, n, max, NULL) ...
 *     placement_done_get_inventories(p, &call, &invs, eb);  parse the answer
 *
 * and a one-shot form (placement_get_inventories()) that does both around a
 * batch of one.  Every request carries "OpenStack-API-Version: placement
 * <negotiated>".  A done half returns 0, or:
 *   -ENOENT   404                      -EAGAIN  409 placement.concurrent_update
 *   -EEXIST   409 duplicate_name       -EBUSY   409 *.inuse /
 * cannot_delete_parent -EACCES   401 / 403                -EPROTO  a 2xx body
 * that is not what -EIO      any other status                  the API promises
 * (bad JSON, the transport error of the request          wrong shape, bad
 * values) with eb reading "PUT /resource_providers/<uuid>/inventories: 409
 * placement.concurrent_update: <detail>" (detail trimmed, one line).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "errbuf.h"
#include "http.h"
#include "inventory.h"
#include "strv.h"
#include "uuidstr.h"

#define PLACEMENT_VERSION_MAX "1.39" /* the newest the agent speaks */
#define PLACEMENT_VERSION_MIN "1.26" /* reserved = total needs 1.26 */

struct placement; /* the http client, the negotiated version, counters */

/* GET / and pick the highest version both sides support, up to
 * PLACEMENT_VERSION_MAX.  -ENOTSUP (message naming both ranges) when the
 * server's range misses [MIN, MAX]; -EPROTO for a bad version document.
 * http must outlive *ret. */
int placement_open(struct http *http, struct placement **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Requests by method and status (0: no response came back), for the
 * metrics of `run`.  The table belongs to whoever keeps the counts (the
 * Placement session, which outlives its connections: run drops one after a
 * failed pass); a connection only adds to it. */
struct placement_count {
    char method[8]; /* "GET", "PUT", ... */
    long status;
    unsigned long n;
};
struct placement_counts {
    struct placement_count *v; /* sorted by method then status */
    size_t n;
};
void placement_counts_clear(struct placement_counts *c); /* leaves it empty */
/* placement_open() that counts every request of the connection in counts
 * (GET / included, whether the open succeeds or not); counts must outlive
 * *ret.  NULL: nothing is counted (placement_open()). */
int placement_open_counted(struct http *http, struct placement_counts *counts,
                           struct placement **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* Skip GET /: use version as negotiated before (a cached result; tests that
 * feed done halves hand-made responses pass http NULL).  -ENOTSUP unless
 * version is within [MIN, MAX]. */
int placement_open_at(struct http *http, const char *version,
                      struct placement **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
void placement_free(struct placement *p);
DEFINE_CLEANUP(struct placement, placement_free)
const char *placement_version(const struct placement *p); /* "1.39" */
/* The URL p's requests go to (http_base_url()); "" without a connection
 * (placement_open_at() with http NULL). */
const char *placement_endpoint(const struct placement *p);
/* The server's "min-max" from GET / ("1.0-1.39"); "" after open_at. */
const char *placement_server_range(const struct placement *p);

/* A request being made: the http_req plus the strings it points to. */
struct placement_call {
    struct http_req req;
    char *path;
    char *body;
    const char *headers[2]; /* the microversion line, NULL */
};
/* A call starts zeroed (or cleared); a prep half overwrites it without
 * freeing, so clear a used call before preparing it again.  A prepared call
 * may be moved (its array realloc'd) before placement_run(). */
void placement_call_clear(struct placement_call *c); /* also the response */
static inline void
placement_call_clearp(struct placement_call *c)
{
    placement_call_clear(c);
}

struct placement_rp {
    char uuid[UUIDSTR_LEN];
    char *name;
    char parent_uuid[UUIDSTR_LEN]; /* "" for a root */
    char root_uuid[UUIDSTR_LEN];
    long generation;
};
void placement_rp_clear(struct placement_rp *rp);
void placement_rps_free(struct placement_rp *rps, size_t n);

/* GET /resource_providers?<query>, query e.g. "in_tree=<uuid>" or
 * "name=<name>" (the value is URL-encoded here). */
void placement_prep_list_providers(struct placement *p,
                                   struct placement_call *c, const char *key,
                                   const char *value);
int placement_done_list_providers(struct placement *p, struct placement_call *c,
                                  struct placement_rp **ret, size_t *ret_n,
                                  struct errbuf *eb);

/* POST /resource_providers {uuid, name, parent_provider_uuid?}. */
void placement_prep_create_provider(struct placement *p,
                                    struct placement_call *c, const char *uuid,
                                    const char *name, const char *parent_uuid);
int placement_done_create_provider(struct placement *p,
                                   struct placement_call *c,
                                   struct placement_rp *ret, struct errbuf *eb);

/* DELETE /resource_providers/{uuid}. */
void placement_prep_delete_provider(struct placement *p,
                                    struct placement_call *c, const char *uuid);
int placement_done_delete_provider(struct placement *p,
                                   struct placement_call *c, struct errbuf *eb);

/* GET and PUT /resource_providers/{uuid}/inventories.  Inventories are
 * sorted by resource class. */
struct placement_invs {
    long generation;
    struct inventory *invs;
    size_t n;
};
void placement_invs_clear(struct placement_invs *v);
void placement_prep_get_inventories(struct placement *p,
                                    struct placement_call *c, const char *uuid);
int placement_done_get_inventories(struct placement *p,
                                   struct placement_call *c,
                                   struct placement_invs *ret,
                                   struct errbuf *eb);
void placement_prep_put_inventories(struct placement *p,
                                    struct placement_call *c, const char *uuid,
                                    long generation,
                                    const struct inventory *invs, size_t n);
/* *ret gets the generation and inventories Placement now holds. */
int placement_done_put_inventories(struct placement *p,
                                   struct placement_call *c,
                                   struct placement_invs *ret,
                                   struct errbuf *eb);

/* GET and PUT /resource_providers/{uuid}/traits.  Traits sorted. */
struct placement_traits {
    long generation;
    struct strv traits;
};
void placement_traits_clear(struct placement_traits *t);
void placement_prep_get_traits(struct placement *p, struct placement_call *c,
                               const char *uuid);
int placement_done_get_traits(struct placement *p, struct placement_call *c,
                              struct placement_traits *ret, struct errbuf *eb);
void placement_prep_put_traits(struct placement *p, struct placement_call *c,
                               const char *uuid, long generation,
                               const struct strv *traits);
int placement_done_put_traits(struct placement *p, struct placement_call *c,
                              struct placement_traits *ret, struct errbuf *eb);

/* PUT /traits/{name} and PUT /resource_classes/{name}: 1 when it made the
 * name (201), 0 when the name existed (204). */
void placement_prep_ensure_trait(struct placement *p, struct placement_call *c,
                                 const char *name);
void placement_prep_ensure_resource_class(struct placement *p,
                                          struct placement_call *c,
                                          const char *name);
int placement_done_ensure(struct placement *p, struct placement_call *c,
                          struct errbuf *eb);

/* GET /resource_providers/{uuid}/allocations: who holds what there. */
struct placement_alloc {
    char consumer[UUIDSTR_LEN];
    struct inventory *used; /* rc and total (= amount) only, sorted by rc */
    size_t n_used;
};
struct placement_allocs {
    long generation;
    struct placement_alloc *allocs; /* sorted by consumer */
    size_t n;
};
void placement_allocs_clear(struct placement_allocs *a);
void placement_prep_get_allocations(struct placement *p,
                                    struct placement_call *c, const char *uuid);
int placement_done_get_allocations(struct placement *p,
                                   struct placement_call *c,
                                   struct placement_allocs *ret,
                                   struct errbuf *eb);

/* GET /allocations/{consumer}: everything one consumer holds, and what
 * writing its allocations back needs. */
struct placement_consumer {
    char uuid[UUIDSTR_LEN];
    /* what it holds, by provider: holds.allocs[i].consumer is a provider's
     * UUID here (a provider's allocations turned around); generation 0 */
    struct placement_allocs holds;
    char *project_id, *user_id; /* NULL when it holds nothing */
    long generation;            /* consumer_generation */
    char *consumer_type;        /* NULL below microversion 1.38 */
};
void placement_consumer_clear(struct placement_consumer *c);
void placement_prep_get_consumer(struct placement *p, struct placement_call *c,
                                 const char *uuid);
/* uuid: the consumer's, as prepared (it is no part of the answer). */
int placement_done_get_consumer(struct placement *p, struct placement_call *c,
                                const char *uuid,
                                struct placement_consumer *ret,
                                struct errbuf *eb);

/* POST /reshaper (microversion 1.30 and later): set the inventories of
 * n_invs providers (n 0: none left) and replace the allocations of n_cons
 * consumers (each with its generation) in one transaction.  A 409 is
 * -EAGAIN (a generation moved) or -EBUSY (inventory in use), anything
 * else as placement.h's first comment says. */
struct placement_reshape_inv {
    char uuid[UUIDSTR_LEN];
    long generation;
    const struct inventory *invs;
    size_t n;
};
bool placement_has_reshaper(const struct placement *p);
void placement_prep_reshape(struct placement *p, struct placement_call *c,
                            const struct placement_reshape_inv *invs,
                            size_t n_invs,
                            const struct placement_consumer *cons,
                            size_t n_cons);
int placement_done_reshape(struct placement *p, struct placement_call *c,
                           struct errbuf *eb);

/* Run the prepared calls concurrently (at most max_parallel in flight).
 * Returns 0; each call's own result is read with its done half. */
void placement_run(struct placement *p, struct placement_call *calls, size_t n,
                   size_t max_parallel);
/* Requests sent since placement_open() (GET / included): for the
 * cost figures in logs and benchmarks. */
unsigned long placement_requests(const struct placement *p);

/* One-shot forms: prep, run alone, done. */
int placement_list_providers(struct placement *p, const char *key,
                             const char *value, struct placement_rp **ret,
                             size_t *ret_n, struct errbuf *eb);
int placement_get_inventories(struct placement *p, const char *uuid,
                              struct placement_invs *ret, struct errbuf *eb);
int placement_get_allocations(struct placement *p, const char *uuid,
                              struct placement_allocs *ret, struct errbuf *eb);
