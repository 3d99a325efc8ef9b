/*
 * placement-reshape.c - a consumer's allocations (GET /allocations/{c})
 * and POST /reshaper, which moves inventories and allocations in one
 * transaction (microversion 1.30+): how Nova's per-VF GPU providers become
 * one provider per GPU without a guest losing its claim.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "inventory.h"
#include "placement-internal.h"
#include "placement.h"
#include "xalloc.h"

#define RESHAPER_MIN 1030 /* POST /reshaper: 1.30 */
#define CONSUMER_TYPE_MIN 1038

void
placement_consumer_clear(struct placement_consumer *c)
{
    if (!c)
        return;
    placement_allocs_clear(&c->holds);
    free(c->project_id);
    free(c->user_id);
    free(c->consumer_type);
    *c = (struct placement_consumer){ .generation = 0 };
}

/* "/allocations/<uuid>" */
void
placement_prep_get_consumer(struct placement *p, struct placement_call *c,
                            const char *uuid)
{
    _cleanup_free_ char *u = placement_escape(p, uuid);

    placement_call_init(p, c, "GET", xasprintf("/allocations/%s", u), NULL);
}

/* A string member, copied; -EPROTO when it is missing or not a string. */
static int
get_string(const cJSON *doc, const char *key, char **ret, struct errbuf *eb)
{
    const char *s =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, key));

    if (!s || !*s || strlen(s) > 255)
        return errbuf_set(eb, -EPROTO, "%s: missing or not a string", key);
    *ret = xstrdup(s);
    return 0;
}

static int
json_consumer(const cJSON *doc, bool typed, struct placement_consumer *c,
              struct errbuf *eb)
{
    const cJSON *gen =
        cJSON_GetObjectItemCaseSensitive(doc, "consumer_generation");
    int r = placement_json_alloc_map(doc, &c->holds, eb);

    if (r == 0 && c->holds.n == 0)
        return 0; /* no allocations: nothing else comes */
    if (r == 0)
        r = get_string(doc, "project_id", &c->project_id, eb);
    if (r == 0)
        r = get_string(doc, "user_id", &c->user_id, eb);
    if (r == 0 && typed)
        r = get_string(doc, "consumer_type", &c->consumer_type, eb);
    if (r == 0 && (!cJSON_IsNumber(gen) || gen->valuedouble < 0 ||
                   gen->valuedouble > (double)PLACEMENT_JSON_GEN_MAX))
        r = errbuf_set(eb, -EPROTO, "consumer_generation: not a generation");
    if (r == 0)
        c->generation = (long)gen->valuedouble;
    return r;
}

/* The negotiated version as 1000 * major + minor. */
static int
version_num(const struct placement *p)
{
    const char *v = placement_version(p);
    const char *dot = strchr(v, '.');

    return dot ? 1000 * atoi(v) + atoi(dot + 1) : 0;
}

int
placement_done_get_consumer(struct placement *p, struct placement_call *c,
                            const char *uuid, struct placement_consumer *ret,
                            struct errbuf *eb)
{
    _cleanup_(placement_cjson_deletep) cJSON *doc = NULL;
    struct placement_consumer got = { .generation = 0 };
    int r = placement_call_json(c, &doc, eb);

    if (r == 0)
        r = json_consumer(doc, version_num(p) >= CONSUMER_TYPE_MIN, &got, eb);
    if (r < 0) {
        placement_consumer_clear(&got);
        return r == -EPROTO && doc ? placement_bad_response(c, r, eb) : r;
    }
    snprintf(got.uuid, sizeof(got.uuid), "%s", uuid);
    *ret = got;
    return 0;
}

static cJSON *
consumer_json(const struct placement_consumer *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *map = cJSON_AddObjectToObject(o, "allocations");

    for (size_t i = 0; i < c->holds.n; i++) {
        const struct placement_alloc *h = &c->holds.allocs[i];
        cJSON *res = cJSON_CreateObject();
        cJSON *rp = cJSON_CreateObject();

        for (size_t k = 0; k < h->n_used; k++)
            cJSON_AddNumberToObject(res, h->used[k].rc,
                                    (double)h->used[k].total);
        cJSON_AddItemToObject(rp, "resources", res);
        cJSON_AddItemToObject(map, h->consumer, rp);
    }
    cJSON_AddStringToObject(o, "project_id", c->project_id);
    cJSON_AddStringToObject(o, "user_id", c->user_id);
    cJSON_AddNumberToObject(o, "consumer_generation", (double)c->generation);
    if (c->consumer_type)
        cJSON_AddStringToObject(o, "consumer_type", c->consumer_type);
    return o;
}

/* The body of POST /reshaper; the caller free()s it. */
static char *
reshape_body(const struct placement_reshape_inv *invs, size_t n_invs,
             const struct placement_consumer *cons, size_t n_cons)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *iv = cJSON_AddObjectToObject(o, "inventories");
    cJSON *al = cJSON_AddObjectToObject(o, "allocations");
    char *text, *copy;

    for (size_t i = 0; i < n_invs; i++) {
        cJSON *rp = cJSON_CreateObject();

        cJSON_AddNumberToObject(rp, "resource_provider_generation",
                                (double)invs[i].generation);
        cJSON_AddItemToObject(rp, "inventories",
                              inventory_to_json(invs[i].invs, invs[i].n));
        cJSON_AddItemToObject(iv, invs[i].uuid, rp);
    }
    for (size_t i = 0; i < n_cons; i++)
        cJSON_AddItemToObject(al, cons[i].uuid, consumer_json(&cons[i]));
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        abort(); /* cJSON ran out of memory: as xalloc does */
    copy = xstrdup(text);
    cJSON_free(text);
    return copy;
}

void
placement_prep_reshape(struct placement *p, struct placement_call *c,
                       const struct placement_reshape_inv *invs, size_t n_invs,
                       const struct placement_consumer *cons, size_t n_cons)
{
    placement_call_init(p, c, "POST", xstrdup("/reshaper"),
                        reshape_body(invs, n_invs, cons, n_cons));
}

int
placement_done_reshape(struct placement *p, struct placement_call *c,
                       struct errbuf *eb)
{
    (void)p;
    return placement_call_status(c, 204, 204, eb);
}

bool
placement_has_reshaper(const struct placement *p)
{
    return version_num(p) >= RESHAPER_MIN;
}
