/*
 * sync-statefile.c - the sync cache kept across restarts (see
 * sync-statefile.h).  Each provider entry has the shape of Placement's own
 * inventories and traits answers, so Placement's parsers read it back.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "inventory.h"
#include "placement-internal.h"
#include "statefile.h"
#include "sync-cache.h"
#include "sync-statefile.h"
#include "uuidstr.h"
#include "xalloc.h"

char *
sync_statefile_path(const char *state_dir)
{
    return xasprintf("%s/%s", state_dir, SYNC_STATEFILE_NAME);
}

static cJSON *
strv_to_json(const struct strv *sv)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
    return a;
}

static cJSON *
entry_to_json(const struct sync_cache_entry *e)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "uuid", e->uuid);
    cJSON_AddStringToObject(o, "name", e->name);
    cJSON_AddNumberToObject(o, "resource_provider_generation",
                            (double)e->generation);
    cJSON_AddItemToObject(o, "inventories",
                          inventory_to_json(e->invs->invs, e->invs->n));
    cJSON_AddItemToObject(o, "traits", strv_to_json(e->traits));
    return o;
}

char *
sync_statefile_format(const struct sync_cache *c,
                      const struct statefile_owner *owner)
{
    cJSON *doc =
        statefile_new(SYNC_STATEFILE_FORMAT, SYNC_STATEFILE_VERSION, owner);
    cJSON *providers = cJSON_CreateArray();
    bool owned = false;
    const char *root = sync_cache_root(c, &owned);
    char *text;

    if (root) {
        cJSON *r = cJSON_AddObjectToObject(doc, "root");

        cJSON_AddStringToObject(r, "uuid", root);
        cJSON_AddBoolToObject(r, "owned", owned);
    } else {
        cJSON_AddNullToObject(doc, "root");
    }
    cJSON_AddItemToObject(doc, "known", strv_to_json(sync_cache_known(c)));
    for (size_t i = 0; i < sync_cache_size(c); i++) {
        struct sync_cache_entry e;

        sync_cache_entry(c, i, &e);
        cJSON_AddItemToArray(providers, entry_to_json(&e));
    }
    cJSON_AddItemToObject(doc, "providers", providers);
    text = statefile_format(doc);
    cJSON_Delete(doc);
    return text;
}

/* A lower-case UUID string at key of o into ret. */
static int
get_uuid(const cJSON *o, const char *key, const char *what,
         char ret[UUIDSTR_LEN], struct errbuf *eb)
{
    const char *s =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

    if (!s || uuidstr_lower(s, ret) < 0)
        return errbuf_set(eb, -EPROTO, "%s: %s is not a UUID", what, key);
    return 0;
}

static int
parse_root(const cJSON *doc, struct sync_cache *c, struct errbuf *eb)
{
    const cJSON *root = cJSON_GetObjectItemCaseSensitive(doc, "root");
    const cJSON *owned = cJSON_GetObjectItemCaseSensitive(root, "owned");
    char uuid[UUIDSTR_LEN];
    int r;

    if (cJSON_IsNull(root))
        return 0;
    if (!cJSON_IsObject(root) || !cJSON_IsBool(owned))
        return errbuf_set(eb, -EPROTO, "root: not {\"uuid\", \"owned\"}");
    r = get_uuid(root, "uuid", "root", uuid, eb);
    if (r == 0)
        sync_cache_set_root(c, uuid, cJSON_IsTrue(owned));
    return r;
}

static int
parse_known(const cJSON *doc, struct sync_cache *c, struct errbuf *eb)
{
    const cJSON *known = cJSON_GetObjectItemCaseSensitive(doc, "known");
    const cJSON *v;

    if (!cJSON_IsArray(known))
        return errbuf_set(eb, -EPROTO, "known: not an array");
    cJSON_ArrayForEach(v, known) {
        const char *s = cJSON_GetStringValue(v);

        if (!s || !inventory_is_valid_name(s))
            return errbuf_set(eb, -EPROTO, "known: not a trait or class name");
        sync_cache_learn(c, s);
    }
    return 0;
}

static int
parse_provider(const cJSON *o, size_t i, struct sync_cache *c,
               struct errbuf *eb)
{
    const char *name =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name"));
    struct placement_invs invs = { 0 };
    struct placement_traits traits = { 0 };
    char uuid[UUIDSTR_LEN];
    int r = cJSON_IsObject(o) ? 0 : -EPROTO;

    if (r == 0 && !name)
        r = errbuf_set(eb, -EPROTO, "no name");
    if (r == 0)
        r = get_uuid(o, "uuid", name, uuid, eb);
    if (r == 0)
        r = placement_json_invs(o, &invs, eb);
    if (r == 0)
        r = placement_json_traits(o, &traits, eb);
    if (r == 0)
        sync_cache_remember(c, uuid, name, invs.generation, &invs,
                            &traits.traits);
    placement_invs_clear(&invs);
    placement_traits_clear(&traits);
    if (r < 0 && eb && eb->code)
        errbuf_prefix(eb, "providers[%zu]", i);
    else if (r < 0)
        errbuf_set(eb, -EPROTO, "providers[%zu]: not an object", i);
    return r < 0 ? -EPROTO : 0;
}

static int
parse_doc(const cJSON *doc, const struct statefile_owner *owner,
          struct sync_cache *c, struct errbuf *eb)
{
    const cJSON *providers = cJSON_GetObjectItemCaseSensitive(doc, "providers");
    const cJSON *o;
    size_t i = 0;
    int r = statefile_check(doc, SYNC_STATEFILE_FORMAT, SYNC_STATEFILE_VERSION,
                            owner, eb);

    if (r == 0)
        r = parse_root(doc, c, eb);
    if (r == 0)
        r = parse_known(doc, c, eb);
    if (r == 0 && !cJSON_IsArray(providers))
        r = errbuf_set(eb, -EPROTO, "providers: not an array");
    cJSON_ArrayForEach(o, providers) {
        if (r == 0)
            r = parse_provider(o, i++, c, eb);
    }
    return r;
}

/* Fill c from doc, or leave it empty. */
static int
from_doc(const cJSON *doc, const struct statefile_owner *owner,
         struct sync_cache *c, struct errbuf *eb)
{
    int r;

    sync_cache_reset(c);
    r = parse_doc(doc, owner, c, eb);
    if (r < 0)
        sync_cache_reset(c);
    else
        sync_cache_set_unconfirmed(c, true);
    return r;
}

int
sync_statefile_parse(const char *text, const struct statefile_owner *owner,
                     struct sync_cache *c, struct errbuf *eb)
{
    cJSON *doc = cJSON_Parse(text);
    int r;

    if (!doc) {
        sync_cache_reset(c);
        return errbuf_set(eb, -EPROTO, "not JSON");
    }
    r = from_doc(doc, owner, c, eb);
    cJSON_Delete(doc);
    return r;
}

int
sync_statefile_load(const char *path, const struct statefile_owner *owner,
                    struct sync_cache *c, struct errbuf *eb)
{
    cJSON *doc = NULL;
    int r = statefile_read(path, SYNC_STATEFILE_MAX, &doc, eb);

    if (r < 0) {
        sync_cache_reset(c);
        return r;
    }
    r = from_doc(doc, owner, c, eb);
    cJSON_Delete(doc);
    if (r < 0)
        errbuf_prefix(eb, "%s", path);
    return r;
}
