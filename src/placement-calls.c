/*
 * placement-calls.c - one prep and one done half per Placement endpoint.
 *
 * Every variable part of a path or query is URL-escaped, even a UUID from
 * our own tree: a value with a '/' or '?' must never reach another route.
 * Done halves check the status the API promises at the negotiated version
 * (>= 1.26: POST /resource_providers answers 200 with the provider) and hand
 * the body to placement-json.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "errbuf.h"
#include "placement-internal.h"
#include "placement.h"
#include "xalloc.h"

/* "/resource_providers/<uuid><suffix>" */
static char *
rp_path(struct placement *p, const char *uuid, const char *suffix)
{
    _cleanup_free_ char *u = placement_escape(p, uuid);

    return xasprintf("/resource_providers/%s%s", u, suffix);
}

void
placement_prep_list_providers(struct placement *p, struct placement_call *c,
                              const char *key, const char *value)
{
    _cleanup_free_ char *k = placement_escape(p, key);
    _cleanup_free_ char *v = placement_escape(p, value);

    placement_call_init(p, c, "GET",
                        xasprintf("/resource_providers?%s=%s", k, v), NULL);
}

int
placement_done_list_providers(struct placement *p, struct placement_call *c,
                              struct placement_rp **ret, size_t *ret_n,
                              struct errbuf *eb)
{
    _cleanup_(placement_cjson_deletep) cJSON *doc = NULL;
    int r = placement_call_json(c, &doc, eb);

    (void)p;
    if (r == 0)
        r = placement_json_rps(doc, ret, ret_n, eb);
    return r == -EPROTO && doc ? placement_bad_response(c, r, eb) : r;
}

void
placement_prep_create_provider(struct placement *p, struct placement_call *c,
                               const char *uuid, const char *name,
                               const char *parent_uuid)
{
    placement_call_init(p, c, "POST", xstrdup("/resource_providers"),
                        placement_json_rp_body(uuid, name, parent_uuid));
}

int
placement_done_create_provider(struct placement *p, struct placement_call *c,
                               struct placement_rp *ret, struct errbuf *eb)
{
    _cleanup_(placement_cjson_deletep) cJSON *doc = NULL;
    int r = placement_call_json(c, &doc, eb);

    (void)p;
    if (r == 0)
        r = placement_json_rp(doc, "provider", ret, eb);
    return r == -EPROTO && doc ? placement_bad_response(c, r, eb) : r;
}

void
placement_prep_delete_provider(struct placement *p, struct placement_call *c,
                               const char *uuid)
{
    placement_call_init(p, c, "DELETE", rp_path(p, uuid, ""), NULL);
}

int
placement_done_delete_provider(struct placement *p, struct placement_call *c,
                               struct errbuf *eb)
{
    (void)p;
    return placement_call_status(c, 204, 204, eb);
}

void
placement_prep_get_inventories(struct placement *p, struct placement_call *c,
                               const char *uuid)
{
    placement_call_init(p, c, "GET", rp_path(p, uuid, "/inventories"), NULL);
}

int
placement_done_get_inventories(struct placement *p, struct placement_call *c,
                               struct placement_invs *ret, struct errbuf *eb)
{
    _cleanup_(placement_cjson_deletep) cJSON *doc = NULL;
    int r = placement_call_json(c, &doc, eb);

    (void)p;
    if (r == 0)
        r = placement_json_invs(doc, ret, eb);
    return r == -EPROTO && doc ? placement_bad_response(c, r, eb) : r;
}

void
placement_prep_put_inventories(struct placement *p, struct placement_call *c,
                               const char *uuid, long generation,
                               const struct inventory *invs, size_t n)
{
    placement_call_init(p, c, "PUT", rp_path(p, uuid, "/inventories"),
                        placement_json_invs_body(generation, invs, n));
}

int
placement_done_put_inventories(struct placement *p, struct placement_call *c,
                               struct placement_invs *ret, struct errbuf *eb)
{
    return placement_done_get_inventories(p, c, ret, eb); /* same shape */
}

void
placement_prep_get_traits(struct placement *p, struct placement_call *c,
                          const char *uuid)
{
    placement_call_init(p, c, "GET", rp_path(p, uuid, "/traits"), NULL);
}

int
placement_done_get_traits(struct placement *p, struct placement_call *c,
                          struct placement_traits *ret, struct errbuf *eb)
{
    _cleanup_(placement_cjson_deletep) cJSON *doc = NULL;
    int r = placement_call_json(c, &doc, eb);

    (void)p;
    if (r == 0)
        r = placement_json_traits(doc, ret, eb);
    return r == -EPROTO && doc ? placement_bad_response(c, r, eb) : r;
}

void
placement_prep_put_traits(struct placement *p, struct placement_call *c,
                          const char *uuid, long generation,
                          const struct strv *traits)
{
    placement_call_init(p, c, "PUT", rp_path(p, uuid, "/traits"),
                        placement_json_traits_body(generation, traits));
}

int
placement_done_put_traits(struct placement *p, struct placement_call *c,
                          struct placement_traits *ret, struct errbuf *eb)
{
    return placement_done_get_traits(p, c, ret, eb); /* same shape */
}

/* PUT <prefix><name> with no body: Content-Length 0, as Placement wants
 * for PUT /traits/{name} and /resource_classes/{name}. */
static void
prep_ensure(struct placement *p, struct placement_call *c, const char *prefix,
            const char *name)
{
    _cleanup_free_ char *n = placement_escape(p, name);

    placement_call_init(p, c, "PUT", xasprintf("%s%s", prefix, n), NULL);
}

void
placement_prep_ensure_trait(struct placement *p, struct placement_call *c,
                            const char *name)
{
    prep_ensure(p, c, "/traits/", name);
}

void
placement_prep_ensure_resource_class(struct placement *p,
                                     struct placement_call *c, const char *name)
{
    prep_ensure(p, c, "/resource_classes/", name);
}

int
placement_done_ensure(struct placement *p, struct placement_call *c,
                      struct errbuf *eb)
{
    int r;

    (void)p;
    r = placement_call_status(c, 201, 204, eb);
    return r < 0 ? r : c->req.resp.status == 201;
}

void
placement_prep_get_allocations(struct placement *p, struct placement_call *c,
                               const char *uuid)
{
    placement_call_init(p, c, "GET", rp_path(p, uuid, "/allocations"), NULL);
}

int
placement_done_get_allocations(struct placement *p, struct placement_call *c,
                               struct placement_allocs *ret, struct errbuf *eb)
{
    _cleanup_(placement_cjson_deletep) cJSON *doc = NULL;
    int r = placement_call_json(c, &doc, eb);

    (void)p;
    if (r == 0)
        r = placement_json_allocs(doc, ret, eb);
    return r == -EPROTO && doc ? placement_bad_response(c, r, eb) : r;
}

int
placement_list_providers(struct placement *p, const char *key,
                         const char *value, struct placement_rp **ret,
                         size_t *ret_n, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };

    placement_prep_list_providers(p, &c, key, value);
    placement_run(p, &c, 1, 1);
    return placement_done_list_providers(p, &c, ret, ret_n, eb);
}

int
placement_get_inventories(struct placement *p, const char *uuid,
                          struct placement_invs *ret, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };

    placement_prep_get_inventories(p, &c, uuid);
    placement_run(p, &c, 1, 1);
    return placement_done_get_inventories(p, &c, ret, eb);
}

int
placement_get_allocations(struct placement *p, const char *uuid,
                          struct placement_allocs *ret, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };

    placement_prep_get_allocations(p, &c, uuid);
    placement_run(p, &c, 1, 1);
    return placement_done_get_allocations(p, &c, ret, eb);
}
