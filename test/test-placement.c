/*
 * test-placement.c - the typed Placement client against the real Placement.
 *
 * One Placement serves the whole binary (test/placement-shared.h): main()
 * starts it in Criterion's runner process before any test and stops it
 * after the last one.  Tests never share a provider: every name and UUID
 * is fresh.  On sqlite they run one at a time (see main()).  What
 * Placement holds is read back with the independent client of
 * test/placement-shared.h.  The binary has two sources (test/testplacement.h):
 * claims, deletes, batches and tokens are in test-placement-claims.c.
 *
 * Hand-made responses and version documents, no Placement:
 * test-placement-proto.c.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <uuid/uuid.h>

#include "cleanup.h"
#include "http.h"
#include "inventory.h"
#include "placement-shared.h"
#include "placement.h"
#include "strv.h"
#include "testplacement.h"
#include "testsecrets.h"
#include "xalloc.h"

/* Placement as production runs it (placement-server.h) */
PLACEMENT_SERVER_PREFER(UWSGI);

struct http *http;
struct placement *pl;
static struct placement_counts counts; /* the live connection's requests */

int
main(int argc, char *argv[])
{
    struct criterion_test_set *tests = criterion_initialize();
    struct placement_server *srv = NULL;
    int result = 0;

    if (criterion_handle_args(argc, argv, true)) {
        srv = placement_shared_start();
        /* One test at a time on sqlite (wsgiref, or a server of your own):
         * two tests writing at once make it answer 500 "database is
         * locked".  The uwsgi shape's PostgreSQL takes them in parallel. */
        if (!srv || strcmp(placement_server_kind_name(srv), "uwsgi") != 0)
            criterion_options.jobs = 1;
        result = !criterion_run_all_tests(tests);
        placement_server_stop(srv);
    }
    criterion_finalize(tests);
    return result;
}

/* ---- live tests --------------------------------------------------------- */

static void
open_live(void)
{
    struct http_opts o = { .base_url = placement_shared_url(),
                           .token = TEST_TOKEN,
                           .timeout_s = 30 };
    struct errbuf eb = { 0 };

    cr_assert(eq(int, http_new(&o, &http, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, placement_open_counted(http, &counts, &pl, &eb), 0), "%s",
              eb.msg);
}

static void
close_live(void)
{
    placement_free(pl);
    pl = NULL;
    placement_counts_clear(&counts);
    http_free(http);
    http = NULL;
}

unsigned long
writes_sent(void)
{
    unsigned long w = 0;

    for (size_t i = 0; i < counts.n; i++)
        if (strcmp(counts.v[i].method, "GET") != 0 &&
            strcmp(counts.v[i].method, "HEAD") != 0)
            w += counts.v[i].n;
    return w;
}

/* No .timeout: it leaks in the sanitizer build (see test-http.c). */
TestSuite(placement_live, .init = open_live, .fini = close_live);

void
new_uuid(char out[UUIDSTR_LEN])
{
    uuid_t u;

    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

void
create(const char *parent, char uuid[UUIDSTR_LEN], char **ret_name)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };
    struct placement_rp rp = { 0 };
    struct errbuf eb = { 0 };
    char *name;

    new_uuid(uuid);
    name = xasprintf("pl-%s", uuid);
    placement_prep_create_provider(pl, &c, uuid, name, parent);
    placement_run(pl, &c, 1, 1);
    cr_assert(eq(int, placement_done_create_provider(pl, &c, &rp, &eb), 0),
              "%s", eb.msg);
    cr_assert(eq(str, rp.uuid, uuid));
    cr_assert(eq(str, rp.name, name));
    cr_assert(eq(long, rp.generation, 0));
    assert_streq(rp.parent_uuid, parent ? parent : "");
    placement_rp_clear(&rp);
    if (ret_name)
        *ret_name = name;
    else
        free(name);
}

Test(placement_live, negotiation_gives_1_39_and_counts_get_root)
{
    assert_streq(placement_version(pl), "1.39");
    cr_assert(eq(ulong, placement_requests(pl), 1));
    cr_assert(eq(ulong, writes_sent(), 0));
}

Test(placement_live, root_and_child_are_listed_with_parent_and_root)
{
    char root[UUIDSTR_LEN], child[UUIDSTR_LEN];
    _cleanup_free_ char *child_name = NULL;
    struct placement_rp *rps = NULL;
    struct errbuf eb = { 0 };
    size_t n = 0;

    create(NULL, root, NULL);
    create(root, child, &child_name);
    cr_assert(
        eq(int, placement_list_providers(pl, "name", child_name, &rps, &n, &eb),
           0),
        "%s", eb.msg);
    cr_assert(eq(sz, n, 1));
    cr_assert(eq(str, rps[0].uuid, child));
    cr_assert(eq(str, rps[0].parent_uuid, root));
    cr_assert(eq(str, rps[0].root_uuid, root));
    placement_rps_free(rps, n);
    cr_assert(eq(int,
                 placement_list_providers(pl, "in_tree", child, &rps, &n, &eb),
                 0),
              "%s", eb.msg);
    cr_assert(eq(sz, n, 2));
    for (size_t i = 0; i < n; i++) {
        cr_assert(eq(str, rps[i].root_uuid, root));
        cr_assert(eq(str, rps[i].parent_uuid,
                     strcmp(rps[i].uuid, root) == 0 ? "" : root));
    }
    placement_rps_free(rps, n);
    cr_assert(eq(ulong, writes_sent(), 2));
    cr_assert(eq(ulong, placement_requests(pl), 5)); /* GET /, 2 POST, 2 GET */
}

Test(placement_live, names_are_url_encoded_in_the_query)
{
    char uuid[UUIDSTR_LEN];
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };
    struct placement_rp rp = { 0 }, *rps = NULL;
    struct errbuf eb = { 0 };
    _cleanup_free_ char *name = NULL;
    size_t n = 0;

    new_uuid(uuid);
    name = xasprintf("a b&name=x+%s/?#", uuid);
    placement_prep_create_provider(pl, &c, uuid, name, NULL);
    placement_run(pl, &c, 1, 1);
    cr_assert(eq(int, placement_done_create_provider(pl, &c, &rp, &eb), 0),
              "%s", eb.msg);
    placement_rp_clear(&rp);
    cr_assert(
        eq(int, placement_list_providers(pl, "name", name, &rps, &n, &eb), 0),
        "%s", eb.msg);
    cr_assert(eq(sz, n, 1));
    cr_assert(eq(str, rps[0].name, name));
    placement_rps_free(rps, n);
}

Test(placement_live, duplicate_name_is_eexist)
{
    char uuid[UUIDSTR_LEN], other[UUIDSTR_LEN];
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };
    _cleanup_free_ char *name = NULL;
    struct placement_rp rp = { 0 };
    struct errbuf eb = { 0 };

    create(NULL, uuid, &name);
    new_uuid(other);
    placement_prep_create_provider(pl, &c, other, name, NULL);
    placement_run(pl, &c, 1, 1);
    cr_assert(
        eq(int, placement_done_create_provider(pl, &c, &rp, &eb), -EEXIST));
    cr_assert(eq(int,
                 strncmp(eb.msg,
                         "POST /resource_providers: 409 "
                         "placement.duplicate_name: Conflicting",
                         67),
                 0),
              "%s", eb.msg);
    cr_assert(eq(ptr, strchr(eb.msg, '\n'), NULL), "%s", eb.msg);
}

const struct inventory vgpu4 = { .rc = "VGPU",
                                 .total = 4,
                                 .reserved = 1,
                                 .min_unit = 1,
                                 .max_unit = 4,
                                 .step_size = 1,
                                 .allocation_ratio = 1.0 };

static void
assert_vgpu4(const struct placement_invs *v, long generation)
{
    cr_assert(eq(long, v->generation, generation));
    cr_assert(eq(sz, v->n, 1));
    cr_assert(eq(str, v->invs[0].rc, "VGPU"));
    cr_assert(eq(long, v->invs[0].total, 4));
    cr_assert(eq(long, v->invs[0].reserved, 1));
    cr_assert(eq(long, v->invs[0].max_unit, 4));
    cr_assert(eq(dbl, v->invs[0].allocation_ratio, 1.0));
}

int
put_invs(const char *uuid, long generation, const struct inventory *invs,
         size_t n, struct placement_invs *ret, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };

    placement_prep_put_inventories(pl, &c, uuid, generation, invs, n);
    placement_run(pl, &c, 1, 1);
    return placement_done_put_inventories(pl, &c, ret, eb);
}

Test(placement_live, inventories_round_trip_and_placement_holds_them)
{
    char uuid[UUIDSTR_LEN];
    struct placement_invs got = { 0 };
    struct errbuf eb = { 0 };
    _cleanup_free_ char *path = NULL;
    cJSON *doc, *rec;

    create(NULL, uuid, NULL);
    cr_assert(eq(int, put_invs(uuid, 0, &vgpu4, 1, &got, &eb), 0), "%s",
              eb.msg);
    assert_vgpu4(&got, 1);
    placement_invs_clear(&got);
    cr_assert(eq(int, placement_get_inventories(pl, uuid, &got, &eb), 0), "%s",
              eb.msg);
    assert_vgpu4(&got, 1);
    placement_invs_clear(&got);
    path = xasprintf("/resource_providers/%s/inventories", uuid);
    doc = placement_shared_json(path);
    rec = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "inventories"), "VGPU");
    cr_assert(eq(int, cJSON_GetObjectItem(rec, "total")->valueint, 4));
    cr_assert(eq(int, cJSON_GetObjectItem(rec, "reserved")->valueint, 1));
    cr_assert(eq(int, cJSON_GetObjectItem(rec, "max_unit")->valueint, 4));
    cJSON_Delete(doc);
}

Test(placement_live, stale_generation_is_eagain_naming_concurrent_update)
{
    char uuid[UUIDSTR_LEN];
    struct placement_invs got = { 0 };
    struct errbuf eb = { 0 };
    _cleanup_free_ char *want = NULL;

    create(NULL, uuid, NULL);
    cr_assert(eq(int, put_invs(uuid, 5, &vgpu4, 1, &got, &eb), -EAGAIN));
    want = xasprintf("PUT /resource_providers/%s/inventories: 409 "
                     "placement.concurrent_update: resource provider "
                     "generation conflict",
                     uuid);
    cr_assert(eq(str, eb.msg, want));
}

/* PUT traits; returns the done half's result. */
static int
put_traits(const char *uuid, long generation, const struct strv *traits,
           struct placement_traits *ret, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };

    placement_prep_put_traits(pl, &c, uuid, generation, traits);
    placement_run(pl, &c, 1, 1);
    return placement_done_put_traits(pl, &c, ret, eb);
}

/* GET traits, prep + run + done. */
static int
get_traits(const char *uuid, struct placement_traits *ret, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };

    placement_prep_get_traits(pl, &c, uuid);
    placement_run(pl, &c, 1, 1);
    return placement_done_get_traits(pl, &c, ret, eb);
}

static int
ensure(bool trait, const char *name, long *ret_status, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };

    if (trait)
        placement_prep_ensure_trait(pl, &c, name);
    else
        placement_prep_ensure_resource_class(pl, &c, name);
    placement_run(pl, &c, 1, 1);
    *ret_status = c.req.resp.status;
    return placement_done_ensure(pl, &c, eb);
}

static char *
custom_name(void)
{
    char u[UUIDSTR_LEN];
    char *name;

    new_uuid(u);
    name = xasprintf("CUSTOM_PL_%s", u);
    for (char *s = name; *s; s++)
        *s = *s == '-' ? '_' : (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
    return name;
}

Test(placement_live, traits_round_trip_sorted)
{
    char uuid[UUIDSTR_LEN];
    _cleanup_free_ char *custom = custom_name(), *path = NULL;
    struct placement_traits got = { 0 };
    struct strv want = { 0 };
    struct errbuf eb = { 0 };
    long status = 0;
    cJSON *doc;

    create(NULL, uuid, NULL);
    cr_assert(eq(int, ensure(true, custom, &status, &eb), 1), "%s", eb.msg);
    strv_push(&want, "HW_GPU_API_VULKAN");
    strv_push(&want, custom);
    cr_assert(eq(int, put_traits(uuid, 0, &want, &got, &eb), 0), "%s", eb.msg);
    cr_assert(eq(long, got.generation, 1));
    cr_assert(eq(sz, got.traits.n, 2));
    cr_assert(eq(str, got.traits.v[0], custom)); /* "C" < "H" */
    cr_assert(eq(str, got.traits.v[1], "HW_GPU_API_VULKAN"));
    placement_traits_clear(&got);
    cr_assert(eq(int, get_traits(uuid, &got, &eb), 0), "%s", eb.msg);
    cr_assert(eq(sz, got.traits.n, 2));
    cr_assert(eq(long, got.generation, 1));
    placement_traits_clear(&got);
    path = xasprintf("/resource_providers/%s/traits", uuid);
    doc = placement_shared_json(path);
    cr_assert(
        eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(doc, "traits")), 2));
    cJSON_Delete(doc);
    strv_clear(&want);
}

Test(placement_live, unknown_trait_is_refused_by_name)
{
    char uuid[UUIDSTR_LEN];
    _cleanup_free_ char *custom = custom_name();
    struct placement_traits got = { 0 };
    struct strv want = { 0 };
    struct errbuf eb = { 0 };

    create(NULL, uuid, NULL);
    strv_push(&want, custom);
    cr_assert(eq(int, put_traits(uuid, 0, &want, &got, &eb), -EIO));
    cr_assert(ne(ptr, strstr(eb.msg, ": 400 placement.undefined_code: "), NULL),
              "%s", eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, custom), NULL), "%s", eb.msg);
    strv_clear(&want);
}

Test(placement_live, ensure_trait_twice_is_201_then_204_made_then_found)
{
    _cleanup_free_ char *name = custom_name(), *path = NULL;
    struct errbuf eb = { 0 };
    long status = 0;

    cr_assert(eq(int, ensure(true, name, &status, &eb), 1), "%s", eb.msg);
    cr_assert(eq(long, status, 201));
    cr_assert(eq(int, ensure(true, name, &status, &eb), 0), "%s", eb.msg);
    cr_assert(eq(long, status, 204));
    path = xasprintf("/traits/%s", name);
    placement_shared_must("GET", path, NULL, 204);
    cr_assert(eq(ulong, writes_sent(), 2));
}

Test(placement_live, ensure_resource_class_then_usable_and_bad_name_refused)
{
    _cleanup_free_ char *name = custom_name(), *path = NULL;
    struct errbuf eb = { 0 };
    long status = 0;
    cJSON *doc;

    cr_assert(eq(int, ensure(false, name, &status, &eb), 1), "%s", eb.msg);
    cr_assert(eq(long, status, 201));
    cr_assert(eq(int, ensure(false, name, &status, &eb), 0), "%s", eb.msg);
    cr_assert(eq(long, status, 204));
    path = xasprintf("/resource_classes/%s", name);
    doc = placement_shared_json(path);
    cr_assert(
        eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(doc, "name")), name));
    cJSON_Delete(doc);
    cr_assert(eq(int, ensure(false, "VGPU", &status, &eb), -EIO));
    cr_assert(
        eq(int, strncmp(eb.msg, "PUT /resource_classes/VGPU: 400 ", 32), 0),
        "%s", eb.msg);
}
