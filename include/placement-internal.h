/*
 * placement-internal.h - what src/placement*.c share; nothing else includes it.
 *
 * placement.c: the client, the calls' plumbing, status and error mapping.
 * placement-calls.c: one prep and one done half per endpoint.
 * placement-json.c: Placement's JSON bodies to and from placement.h's types.
 *
 * The JSON
 * decoders trust nothing: every key is looked up by name, every value's type,
 * integrality and range is checked and every UUID goes through libuuid, so a
 * body that is not what the API promises is -EPROTO with a message naming the
 * field ("inventories.VGPU.total: 4.5 is not an integer"), never a crash.
 * Output parameters are written only on success.
 */
#pragma once

#include <stddef.h>

#include <cjson/cJSON.h>

#include "errbuf.h"
#include "inventory.h"
#include "placement.h"
#include "strv.h"

/* Generations are compared, never computed with: any integer a double holds
 * exactly is accepted.  Inventory fields and amounts are Placement's
 * 32-bit columns. */
#define PLACEMENT_JSON_GEN_MAX 9007199254740991L /* 2^53 - 1 */
#define PLACEMENT_JSON_INT_MAX 2147483647L

/* Fill c for METHOD path [body]; c takes path and body (body may be NULL).
 * Whatever c held before is overwritten, not freed. */
void placement_call_init(struct placement *p, struct placement_call *c,
                         const char *method, char *path, char *body);
/* s URL-encoded (curl_easy_escape) for a path segment or query value. */
char *placement_escape(struct placement *p, const char *s)
    __attribute__((malloc, returns_nonnull));
/* 0 when c got status want or want2; otherwise the transport error, the
 * HTTP error mapped as placement.h says, or -EPROTO for another 2xx. */
int placement_call_status(const struct placement_call *c, long want, long want2,
                          struct errbuf *eb);
/* A 200 whose body is a JSON object; cJSON_Delete() *ret. */
int placement_call_json(const struct placement_call *c, cJSON **ret,
                        struct errbuf *eb);
/* The done half of placement_open()'s GET /: {"versions": [{"min_version",
 * "max_version", ...}]} read into 1000 * major + minor ("1.39" is 1039). */
int placement_done_root(const struct placement_call *c, int *ret_min,
                        int *ret_max, struct errbuf *eb);
/* Prefix eb with "METHOD PATH: bad response"; returns r. */
int placement_bad_response(const struct placement_call *c, int r,
                           struct errbuf *eb);
void placement_cjson_deletep(cJSON **j);

/* {"resource_providers": [RP, ...]} */
int placement_json_rps(const cJSON *doc, struct placement_rp **ret,
                       size_t *ret_n, struct errbuf *eb);
/* One RP object (what POST /resource_providers returns at >= 1.20). */
int placement_json_rp(const cJSON *o, const char *what,
                      struct placement_rp *ret, struct errbuf *eb);
/* {"resource_provider_generation": N, "inventories": {RC: {...}}} */
int placement_json_invs(const cJSON *doc, struct placement_invs *ret,
                        struct errbuf *eb);
/* {"resource_provider_generation": N, "traits": [...]} */
int placement_json_traits(const cJSON *doc, struct placement_traits *ret,
                          struct errbuf *eb);
/* {"resource_provider_generation": N, "allocations": {C: {"resources":
 * {RC: n}}}} */
int placement_json_allocs(const cJSON *doc, struct placement_allocs *ret,
                          struct errbuf *eb);

/* {"allocations": {UUID: {"resources": {RC: n}}}}: the map alone, keyed
 * by consumers (a provider's allocations) or by providers (a consumer's:
 * allocs[i].consumer is then a provider's UUID); generation 0. */
int placement_json_alloc_map(const cJSON *doc, struct placement_allocs *ret,
                             struct errbuf *eb);

/* Request bodies; the caller free()s the text. */
char *placement_json_rp_body(const char *uuid, const char *name,
                             const char *parent_uuid);
char *placement_json_invs_body(long generation, const struct inventory *invs,
                               size_t n);
char *placement_json_traits_body(long generation, const struct strv *traits);
