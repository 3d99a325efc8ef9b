/*
 * placement-json.c - decode and encode Placement's JSON bodies.
 *
 * A decoder builds its result in locals and hands it out only when the whole
 * document checked out, so a half-read body never reaches the caller.  Sizes
 * come from the document itself, which http.c already capped.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "errbuf.h"
#include "inventory.h"
#include "placement-internal.h"
#include "placement.h"
#include "strv.h"
#include "uuidstr.h"
#include "xalloc.h"

#define WHAT_MAX 320 /* "inventories.<255-char class>.allocation_ratio" */

/* s made printable and short, for quoting a bad value in a message. */
static const char *
quote(const char *s, char out[48])
{
    size_t i;

    for (i = 0; i < 40 && s[i]; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

static int
get_integer(const cJSON *v, const char *what, long min, long max, long *ret,
            struct errbuf *eb)
{
    double d;

    if (!v)
        return errbuf_set(eb, -EPROTO, "%s: missing", what);
    if (!cJSON_IsNumber(v))
        return errbuf_set(eb, -EPROTO, "%s: not a number", what);
    d = v->valuedouble;
    if (!isfinite(d) || d != floor(d))
        return errbuf_set(eb, -EPROTO, "%s: %g is not an integer", what, d);
    if (d < (double)min || d > (double)max)
        return errbuf_set(eb, -EPROTO, "%s: %.0f is out of range [%ld, %ld]",
                          what, d, min, max);
    *ret = (long)d;
    return 0;
}

static int
get_field_integer(const cJSON *o, const char *key, const char *what, long min,
                  long max, long *ret, struct errbuf *eb)
{
    char w[WHAT_MAX];

    /* A field path longer than WHAT_MAX is cut: it only names the field. */
    if (snprintf(w, sizeof(w), "%s%s%s", what, *what ? "." : "", key) < 0)
        w[0] = '\0';
    return get_integer(cJSON_GetObjectItemCaseSensitive(o, key), w, min, max,
                       ret, eb);
}

static int
get_generation(const cJSON *doc, long *ret, struct errbuf *eb)
{
    return get_field_integer(doc, "resource_provider_generation", "", 0,
                             PLACEMENT_JSON_GEN_MAX, ret, eb);
}

static int
check_uuid(const char *s, const char *what, char ret[UUIDSTR_LEN],
           struct errbuf *eb)
{
    char q[48];

    if (!s)
        return errbuf_set(eb, -EPROTO, "%s: not a string", what);
    if (uuidstr_lower(s, ret) < 0)
        return errbuf_set(eb, -EPROTO, "%s: '%s' is not a UUID", what,
                          quote(s, q));
    return 0;
}

static int
get_uuid(const cJSON *v, const char *what, char ret[UUIDSTR_LEN],
         struct errbuf *eb)
{
    if (!v)
        return errbuf_set(eb, -EPROTO, "%s: missing", what);
    return check_uuid(cJSON_GetStringValue(v), what, ret, eb);
}

/* An object member that must be an object (or, for "arrays", an array). */
static const cJSON *
get_container(const cJSON *o, const char *key, bool array, struct errbuf *eb)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!v)
        errbuf_set(eb, -EPROTO, "%s: missing", key);
    else if (array ? !cJSON_IsArray(v) : !cJSON_IsObject(v))
        errbuf_set(eb, -EPROTO, "%s: not an %s", key,
                   array ? "array" : "object");
    else
        return v;
    return NULL;
}

/* Paranoia: the members counted up front are the members iterated. */
static int
n_fits(size_t n, size_t cap, struct errbuf *eb)
{
    return n < cap ? 0 : errbuf_set(eb, -EPROTO, "more members than counted");
}

/* A resource class or trait name: ^[A-Z0-9_]+$, at most 255. */
static int
check_name(const char *s, const char *what, struct errbuf *eb)
{
    char q[48];

    if (!s)
        return errbuf_set(eb, -EPROTO, "%s: not a string", what);
    if (!inventory_is_valid_name(s))
        return errbuf_set(eb, -EPROTO, "%s: '%s' is not a valid name", what,
                          quote(s, q));
    return 0;
}

void
placement_rp_clear(struct placement_rp *rp)
{
    if (!rp)
        return;
    free(rp->name);
    *rp = (struct placement_rp){ .generation = 0 };
}

void
placement_rps_free(struct placement_rp *rps, size_t n)
{
    for (size_t i = 0; rps && i < n; i++)
        placement_rp_clear(&rps[i]);
    free(rps);
}

static int
get_parent(const cJSON *o, const char *what, char ret[UUIDSTR_LEN],
           struct errbuf *eb)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(o, "parent_provider_uuid");
    char w[WHAT_MAX];

    snprintf(w, sizeof(w), "%s.parent_provider_uuid", what);
    if (cJSON_IsNull(v)) {
        ret[0] = '\0';
        return 0;
    }
    return get_uuid(v, w, ret, eb);
}

int
placement_json_rp(const cJSON *o, const char *what, struct placement_rp *ret,
                  struct errbuf *eb)
{
    struct placement_rp rp = { .generation = 0 };
    const char *name =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name"));
    char w[WHAT_MAX];
    int r;

    if (!cJSON_IsObject(o))
        return errbuf_set(eb, -EPROTO, "%s: not an object", what);
    snprintf(w, sizeof(w), "%s.uuid", what);
    r = get_uuid(cJSON_GetObjectItemCaseSensitive(o, "uuid"), w, rp.uuid, eb);
    if (r == 0) {
        snprintf(w, sizeof(w), "%s.root_provider_uuid", what);
        r = get_uuid(cJSON_GetObjectItemCaseSensitive(o, "root_provider_uuid"),
                     w, rp.root_uuid, eb);
    }
    if (r == 0)
        r = get_parent(o, what, rp.parent_uuid, eb);
    if (r == 0)
        r = get_field_integer(o, "generation", what, 0, PLACEMENT_JSON_GEN_MAX,
                              &rp.generation, eb);
    if (r == 0 && (!name || !*name || strlen(name) > 255))
        r = errbuf_set(eb, -EPROTO, "%s.name: not a name", what);
    if (r < 0)
        return r;
    rp.name = xstrdup(name);
    *ret = rp;
    return 0;
}

int
placement_json_rps(const cJSON *doc, struct placement_rp **ret, size_t *ret_n,
                   struct errbuf *eb)
{
    const cJSON *arr = get_container(doc, "resource_providers", true, eb);
    size_t n = 0, cap = (size_t)cJSON_GetArraySize(arr);
    struct placement_rp *rps;
    const cJSON *o;

    if (!arr)
        return -EPROTO;
    rps = xcalloc(cap ? cap : 1, sizeof(*rps));
    cJSON_ArrayForEach(o, arr) {
        char w[64];
        int r;

        snprintf(w, sizeof(w), "resource_providers[%zu]", n);
        r = n_fits(n, cap, eb);
        if (r == 0)
            r = placement_json_rp(o, w, &rps[n], eb);
        if (r < 0) {
            placement_rps_free(rps, n);
            return r;
        }
        n++;
    }
    *ret = rps;
    *ret_n = n;
    return 0;
}

void
placement_invs_clear(struct placement_invs *v)
{
    if (!v)
        return;
    for (size_t i = 0; v->invs && i < v->n; i++)
        inventory_clear(&v->invs[i]);
    free(v->invs);
    *v = (struct placement_invs){ .generation = 0 };
}

/* One record of "inventories"; inv->rc is set by the caller. */
static int
get_inventory(const cJSON *o, struct inventory *inv, struct errbuf *eb)
{
    static const char *const keys[] = { "total", "reserved", "min_unit",
                                        "max_unit", "step_size" };
    long *fields[] = { &inv->total, &inv->reserved, &inv->min_unit,
                       &inv->max_unit, &inv->step_size };
    const cJSON *ratio =
        cJSON_GetObjectItemCaseSensitive(o, "allocation_ratio");
    char what[WHAT_MAX];
    int r;

    snprintf(what, sizeof(what), "inventories.%s", inv->rc);
    if (!cJSON_IsObject(o))
        return errbuf_set(eb, -EPROTO, "%s: not an object", what);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        r = get_field_integer(o, keys[i], what, 0, PLACEMENT_JSON_INT_MAX,
                              fields[i], eb);
        if (r < 0)
            return r;
    }
    if (!cJSON_IsNumber(ratio) || !isfinite(ratio->valuedouble) ||
        ratio->valuedouble < 0 || ratio->valuedouble > 3.40282e+38)
        return errbuf_set(eb, -EPROTO,
                          "%s.allocation_ratio: missing or not a "
                          "non-negative number",
                          what);
    inv->allocation_ratio = ratio->valuedouble;
    return 0;
}

int
placement_json_invs(const cJSON *doc, struct placement_invs *ret,
                    struct errbuf *eb)
{
    const cJSON *map = get_container(doc, "inventories", false, eb);
    struct placement_invs v = { .generation = 0 };
    size_t cap = (size_t)cJSON_GetArraySize(map);
    const cJSON *o;
    int r;

    if (!map)
        return -EPROTO;
    r = get_generation(doc, &v.generation, eb);
    if (r < 0)
        return r;
    v.invs = xcalloc(cap ? cap : 1, sizeof(*v.invs));
    cJSON_ArrayForEach(o, map) {
        r = n_fits(v.n, cap, eb);
        if (r == 0)
            r = check_name(o->string, "inventories key", eb);
        if (r == 0) {
            v.invs[v.n].rc = xstrdup(o->string);
            v.n++;
            r = get_inventory(o, &v.invs[v.n - 1], eb);
        }
        if (r < 0) {
            placement_invs_clear(&v);
            return r;
        }
    }
    qsort(v.invs, v.n, sizeof(*v.invs), inventory_cmp_rc);
    for (size_t i = 1; i < v.n; i++)
        if (strcmp(v.invs[i - 1].rc, v.invs[i].rc) == 0) {
            r = errbuf_set(eb, -EPROTO, "inventories: %s appears twice",
                           v.invs[i].rc);
            placement_invs_clear(&v);
            return r;
        }
    *ret = v;
    return 0;
}

void
placement_traits_clear(struct placement_traits *t)
{
    if (!t)
        return;
    strv_clear(&t->traits);
    t->generation = 0;
}

int
placement_json_traits(const cJSON *doc, struct placement_traits *ret,
                      struct errbuf *eb)
{
    const cJSON *arr = get_container(doc, "traits", true, eb);
    struct placement_traits t = { .generation = 0 };
    const cJSON *v;
    size_t i = 0;
    int r;

    if (!arr)
        return -EPROTO;
    r = get_generation(doc, &t.generation, eb);
    cJSON_ArrayForEach(v, arr) {
        char w[64];

        snprintf(w, sizeof(w), "traits[%zu]", i++);
        if (r == 0)
            r = check_name(cJSON_GetStringValue(v), w, eb);
        if (r == 0)
            strv_push(&t.traits, v->valuestring);
    }
    if (r < 0) {
        strv_clear(&t.traits);
        return r;
    }
    strv_sort_uniq(&t.traits);
    *ret = t;
    return 0;
}

void
placement_allocs_clear(struct placement_allocs *a)
{
    if (!a)
        return;
    for (size_t i = 0; a->allocs && i < a->n; i++) {
        for (size_t j = 0; j < a->allocs[i].n_used; j++)
            inventory_clear(&a->allocs[i].used[j]);
        free(a->allocs[i].used);
    }
    free(a->allocs);
    *a = (struct placement_allocs){ .generation = 0 };
}

static int
alloc_cmp(const void *a, const void *b)
{
    return strcmp(((const struct placement_alloc *)a)->consumer,
                  ((const struct placement_alloc *)b)->consumer);
}

/* {"resources": {RC: n, ...}, ...} of consumer a->consumer. */
static int
get_alloc(const cJSON *o, struct placement_alloc *a, struct errbuf *eb)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(o, "resources");
    size_t cap = (size_t)cJSON_GetArraySize(res);
    char what[WHAT_MAX];
    const cJSON *v;
    int r = 0;

    snprintf(what, sizeof(what), "allocations.%s.resources", a->consumer);
    if (!cJSON_IsObject(o) || !cJSON_IsObject(res))
        return errbuf_set(eb, -EPROTO, "%s: missing or not an object", what);
    a->used = xcalloc(cap ? cap : 1, sizeof(*a->used));
    cJSON_ArrayForEach(v, res) {
        if (r == 0)
            r = n_fits(a->n_used, cap, eb);
        if (r == 0)
            r = check_name(v->string, what, eb);
        if (r == 0) {
            char w[2 * WHAT_MAX];

            snprintf(w, sizeof(w), "%s.%s", what, v->string);
            r = get_integer(v, w, 1, PLACEMENT_JSON_INT_MAX,
                            &a->used[a->n_used].total, eb);
        }
        if (r == 0)
            a->used[a->n_used++].rc = xstrdup(v->string);
    }
    qsort(a->used, a->n_used, sizeof(*a->used), inventory_cmp_rc);
    return r;
}

int
placement_json_allocs(const cJSON *doc, struct placement_allocs *ret,
                      struct errbuf *eb)
{
    long generation;
    int r = placement_json_alloc_map(doc, ret, eb);

    if (r == 0 && (r = get_generation(doc, &generation, eb)) < 0)
        placement_allocs_clear(ret);
    if (r == 0)
        ret->generation = generation;
    return r;
}

int
placement_json_alloc_map(const cJSON *doc, struct placement_allocs *ret,
                         struct errbuf *eb)
{
    const cJSON *map = get_container(doc, "allocations", false, eb);
    struct placement_allocs a = { .generation = 0 };
    size_t cap = (size_t)cJSON_GetArraySize(map);
    const cJSON *o;
    int r = 0;

    if (!map)
        return -EPROTO;
    a.allocs = xcalloc(cap ? cap : 1, sizeof(*a.allocs));
    cJSON_ArrayForEach(o, map) {
        if (r == 0)
            r = n_fits(a.n, cap, eb);
        if (r == 0)
            r = check_uuid(o->string, "allocations key", a.allocs[a.n].consumer,
                           eb);
        if (r == 0)
            r = get_alloc(o, &a.allocs[a.n++], eb);
    }
    if (r == 0)
        qsort(a.allocs, a.n, sizeof(*a.allocs), alloc_cmp);
    for (size_t i = 1; r == 0 && i < a.n; i++)
        if (strcmp(a.allocs[i - 1].consumer, a.allocs[i].consumer) == 0)
            r = errbuf_set(eb, -EPROTO, "allocations: %s appears twice",
                           a.allocs[i].consumer);
    if (r < 0) {
        placement_allocs_clear(&a);
        return r;
    }
    *ret = a;
    return 0;
}

/* The text of j (which this consumes), in memory the caller free()s. */
static char *
print_json(cJSON *j)
{
    _cleanup_(placement_cjson_deletep) cJSON *doc = j;
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    char *copy;

    if (!text)
        abort(); /* cJSON ran out of memory: as xalloc does */
    copy = xstrdup(text);
    cJSON_free(text);
    return copy;
}

char *
placement_json_rp_body(const char *uuid, const char *name,
                       const char *parent_uuid)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "uuid", uuid);
    if (parent_uuid && *parent_uuid)
        cJSON_AddStringToObject(o, "parent_provider_uuid", parent_uuid);
    return print_json(o);
}

char *
placement_json_invs_body(long generation, const struct inventory *invs,
                         size_t n)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddItemToObject(o, "inventories", inventory_to_json(invs, n));
    cJSON_AddNumberToObject(o, "resource_provider_generation",
                            (double)generation);
    return print_json(o);
}

char *
placement_json_traits_body(long generation, const struct strv *traits)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "traits");

    for (size_t i = 0; i < traits->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(traits->v[i]));
    cJSON_AddNumberToObject(o, "resource_provider_generation",
                            (double)generation);
    return print_json(o);
}
