/*
 * claims-statefile.c - the claims kept across restarts (see
 * claims-statefile.h).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "claims-statefile.h"
#include "cleanup.h"
#include "statefile.h"
#include "sync-cache.h"
#include "uuidstr.h"
#include "xalloc.h"

char *
claims_statefile_path(const char *state_dir)
{
    return xasprintf("%s/%s", state_dir, CLAIMS_STATEFILE_NAME);
}

char *
claims_statefile_format(const struct reconcile_claim *v, size_t n,
                        const struct strv *read_at,
                        const struct statefile_owner *owner)
{
    cJSON *doc =
        statefile_new(CLAIMS_STATEFILE_FORMAT, CLAIMS_STATEFILE_VERSION, owner);
    cJSON *at = cJSON_AddArrayToObject(doc, "read_at");
    cJSON *claims = cJSON_AddArrayToObject(doc, "claims");
    char *text;

    for (size_t i = 0; i < read_at->n; i++)
        cJSON_AddItemToArray(at, cJSON_CreateString(read_at->v[i]));
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "provider", v[i].uuid);
        cJSON_AddStringToObject(o, "consumer", v[i].consumer);
        cJSON_AddNumberToObject(o, "used", (double)v[i].n);
        cJSON_AddItemToArray(claims, o);
    }
    text = statefile_format(doc);
    cJSON_Delete(doc);
    return text;
}

/* "<uuid> <generation>", as pass-reconcile.c keys what it read. */
static bool
is_read_at(const char *s)
{
    char uuid[UUIDSTR_LEN], lower[UUIDSTR_LEN];
    const char *gen;
    char *end = NULL;

    if (!s || strlen(s) < UUIDSTR_LEN || s[UUIDSTR_LEN - 1] != ' ')
        return false;
    memcpy(uuid, s, UUIDSTR_LEN - 1);
    uuid[UUIDSTR_LEN - 1] = '\0';
    gen = s + UUIDSTR_LEN;
    if (uuidstr_lower(uuid, lower) < 0 || strcmp(lower, uuid) != 0)
        return false;
    return *gen >= '0' && *gen <= '9' && strtol(gen, &end, 10) >= 0 &&
           *end == '\0';
}

static int
parse_read_at(const cJSON *doc, struct strv *read_at, struct errbuf *eb)
{
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(doc, "read_at");
    const cJSON *v;
    size_t i = 0;

    if (!cJSON_IsArray(at))
        return errbuf_set(eb, -EPROTO, "read_at: not an array");
    cJSON_ArrayForEach(v, at) {
        if (!is_read_at(cJSON_GetStringValue(v)))
            return errbuf_set(eb, -EPROTO,
                              "read_at[%zu]: not \"<uuid> <generation>\"", i);
        strv_push(read_at, cJSON_GetStringValue(v));
        i++;
    }
    return 0;
}

/* A lower-case UUID string at key of o into ret. */
static bool
get_uuid(const cJSON *o, const char *key, char ret[UUIDSTR_LEN])
{
    const char *s =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

    return s && uuidstr_lower(s, ret) == 0;
}

static int
parse_claim(const cJSON *o, size_t i, struct reconcile_claim *ret,
            struct errbuf *eb)
{
    const cJSON *used = cJSON_GetObjectItemCaseSensitive(o, "used");

    *ret = (struct reconcile_claim){ 0 };
    if (!cJSON_IsObject(o) || !get_uuid(o, "provider", ret->uuid) ||
        !get_uuid(o, "consumer", ret->consumer) || !cJSON_IsNumber(used) ||
        used->valuedouble < 1 || used->valuedouble > 1e6 ||
        used->valuedouble != floor(used->valuedouble))
        return errbuf_set(eb, -EPROTO,
                          "claims[%zu]: not {\"provider\": uuid, "
                          "\"consumer\": uuid, \"used\": a count}",
                          i);
    ret->n = (long)used->valuedouble;
    return 0;
}

static int
parse_doc(const cJSON *doc, const struct statefile_owner *owner,
          struct reconcile_claim **ret, size_t *ret_n, struct strv *read_at,
          struct errbuf *eb)
{
    const cJSON *claims = cJSON_GetObjectItemCaseSensitive(doc, "claims");
    const cJSON *o;
    int r = statefile_check(doc, CLAIMS_STATEFILE_FORMAT,
                            CLAIMS_STATEFILE_VERSION, owner, eb);

    if (r == 0)
        r = parse_read_at(doc, read_at, eb);
    if (r == 0 && !cJSON_IsArray(claims))
        r = errbuf_set(eb, -EPROTO, "claims: not an array");
    if (r < 0)
        return r;
    *ret = xcalloc((size_t)cJSON_GetArraySize(claims) + 1, sizeof(**ret));
    cJSON_ArrayForEach(o, claims) {
        if (r == 0)
            r = parse_claim(o, *ret_n, &(*ret)[*ret_n], eb);
        if (r == 0)
            (*ret_n)++;
    }
    return r;
}

int
claims_statefile_load(const char *path, const struct statefile_owner *owner,
                      struct reconcile_claim **ret, size_t *ret_n,
                      struct strv *read_at, struct errbuf *eb)
{
    cJSON *doc = NULL;
    int r = statefile_read(path, CLAIMS_STATEFILE_MAX, &doc, eb);

    *ret = NULL;
    *ret_n = 0;
    strv_clear(read_at);
    if (r == 0) {
        r = parse_doc(doc, owner, ret, ret_n, read_at, eb);
        if (r < 0)
            errbuf_prefix(eb, "%s", path);
    }
    cJSON_Delete(doc);
    if (r < 0) {
        free(*ret);
        *ret = NULL;
        *ret_n = 0;
        strv_clear(read_at);
    }
    return r;
}

/* The generation the cache holds for provider uuid, -1 if none. */
static long
cached_generation(const struct sync_cache *cache, const char *uuid)
{
    for (size_t i = 0; i < sync_cache_size(cache); i++) {
        struct sync_cache_entry e;

        sync_cache_entry(cache, i, &e);
        if (strcmp(e.uuid, uuid) == 0)
            return e.generation;
    }
    return -1;
}

static bool
is_tree_provider(const struct tree *t, const struct sync_cache *cache,
                 const char *uuid)
{
    for (size_t i = 1; i < t->n_providers; i++) {
        char u[UUIDSTR_LEN];
        long gen;

        if (sync_cache_lookup(cache, t->providers[i].name, u, &gen) == 0 &&
            strcmp(u, uuid) == 0)
            return true;
    }
    return false;
}

/* Whether uuid's claims stand: known, and read at its current generation
 * or re-read by run because it is in the tree; *drop when it is gone. */
static bool
provider_stands(const char *uuid, const struct strv *read_at,
                const struct tree *t, const struct sync_cache *cache,
                bool *drop)
{
    long gen = cached_generation(cache, uuid);
    _cleanup_free_ char *key = NULL;

    *drop = gen < 0;
    if (gen < 0)
        return true;
    key = xasprintf("%s %ld", uuid, gen);
    return strv_contains(read_at, key) || is_tree_provider(t, cache, uuid);
}

bool
claims_statefile_prune(struct reconcile_claim *v, size_t *n,
                       struct strv *read_at, const struct tree *t,
                       const struct sync_cache *cache)
{
    struct strv keys = { 0 };
    size_t kept = 0;
    bool drop;

    for (size_t i = 0; i < *n; i++) {
        if (!provider_stands(v[i].uuid, read_at, t, cache, &drop)) {
            strv_clear(&keys);
            return false;
        }
        if (!drop)
            v[kept++] = v[i];
    }
    *n = kept;
    for (size_t i = 0; i < read_at->n; i++) {
        char uuid[UUIDSTR_LEN];
        _cleanup_free_ char *key = NULL;

        snprintf(uuid, sizeof(uuid), "%s", read_at->v[i]);
        key = xasprintf("%s %ld", uuid, cached_generation(cache, uuid));
        if (strcmp(key, read_at->v[i]) == 0)
            strv_push(&keys, key);
    }
    strv_clear(read_at);
    *read_at = keys;
    return true;
}
