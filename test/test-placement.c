/*
 * test-placement.c - the typed Placement client against the real Placement.
 *
 * One Placement serves the whole binary: main() starts it in Criterion's
 * runner process before any test and stops it after the last one, so a
 * failing or crashing test (each runs in a process of its own) never leaks
 * it, and a killed runner takes it along (PR_SET_PDEATHSIG in the harness).
 * Tests find it through $VGPU_TEST_PLACEMENT_URL (set it to use a server of
 * your own) and never share a provider: every name and UUID is fresh.  On
 * sqlite they run one at a time (see main()).
 *
 * What Placement holds is read back with an independent client (plain
 * libcurl, below): the harness's placement_server_call() needs the struct
 * placement_server, which lives in the runner, not in the test processes.
 *
 * Suite placement_proto needs no Placement: done halves get hand-made
 * responses (bad shapes must be -EPROTO), and a canned responder on a thread
 * serves version documents to placement_open().
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <uuid/uuid.h>

#include "cleanup.h"
#include "http.h"
#include "inventory.h"
#include "placement-server.h"
#include "placement.h"
#include "strv.h"
#include "testsecrets.h"
#include "xalloc.h"

#define URL_ENV "VGPU_TEST_PLACEMENT_URL"

/* eq(str, ...) wants char *; these are const. */
#define assert_streq(a, b)                                                     \
    cr_assert(strcmp((a), (b)) == 0, "'%s' != '%s'", (a), (b))

static struct http *http;
static struct placement *pl;

/* ---- the shared server ------------------------------------------------ */

/* placement_server_start() reports a failure with cr_assert, which outside
 * a test only aborts: say what was going on. */
static void
start_aborted(int sig)
{
    static const char msg[] =
        "test-placement: the shared Placement server did not start; "
        "test/test-http shows why with the server's log\n";

    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

static struct placement_server *
start_shared_server(void)
{
    struct placement_server *srv;

    signal(SIGABRT, start_aborted);
    srv = placement_server_start();
    signal(SIGABRT, SIG_DFL);
    setenv(URL_ENV, placement_server_url(srv), 1);
    return srv;
}

int
main(int argc, char *argv[])
{
    struct criterion_test_set *tests = criterion_initialize();
    struct placement_server *srv = NULL;
    int result = 0;

    if (criterion_handle_args(argc, argv, true)) {
        if (!getenv(URL_ENV))
            srv = start_shared_server();
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

static const char *
server_url(void)
{
    const char *url = getenv(URL_ENV);

    cr_assert(url != NULL, URL_ENV " is not set (main() sets it)");
    return url;
}

static size_t
collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    return fwrite(data, size, nmemb, userdata) * size;
}

/* The independent client: admin at 1.39, like placement_server_call(). */
static char *
srv_call(const char *method, const char *path, const char *body,
         long *ret_status)
{
    _cleanup_free_ char *url = xasprintf("%s%s", server_url(), path);
    struct curl_slist *h = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    CURL *c = curl_easy_init();
    CURLcode rc;

    cr_assert(c != NULL && mem != NULL);
    h = curl_slist_append(h, "X-Auth-Token: admin");
    h = curl_slist_append(h, "OpenStack-API-Version: placement 1.39");
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body || !strcmp(method, "PUT") || !strcmp(method, "POST"))
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)mem);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    fclose(mem);
    cr_assert(rc == CURLE_OK, "%s %s: %s", method, path,
              curl_easy_strerror(rc));
    return buf;
}

static cJSON *
srv_json(const char *path)
{
    long status = 0;
    _cleanup_free_ char *body = srv_call("GET", path, NULL, &status);
    cJSON *j = cJSON_Parse(body);

    cr_assert(status == 200 && j != NULL, "GET %s: %ld %s", path, status, body);
    return j;
}

static void
srv_must(const char *method, const char *path, const char *body, long want)
{
    long status = 0;
    _cleanup_free_ char *got = srv_call(method, path, body, &status);

    cr_assert(eq(long, status, want), "%s %s: %s", method, path, got);
}

/* ---- live tests --------------------------------------------------------- */

static void
open_live(void)
{
    struct http_opts o = { .base_url = server_url(),
                           .token = TEST_TOKEN,
                           .timeout_s = 30 };
    struct errbuf eb = { 0 };

    cr_assert(eq(int, http_new(&o, &http, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, placement_open(http, &pl, &eb), 0), "%s", eb.msg);
}

static void
close_live(void)
{
    placement_free(pl);
    pl = NULL;
    http_free(http);
    http = NULL;
}

/* No .timeout: it leaks in the sanitizer build (see test-http.c). */
TestSuite(placement_live, .init = open_live, .fini = close_live);

static void
new_uuid(char out[PLACEMENT_UUID_LEN])
{
    uuid_t u;

    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

/* A provider with a fresh name and UUID; parent NULL for a root. */
static void
create(const char *parent, char uuid[PLACEMENT_UUID_LEN], char **ret_name)
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
    cr_assert(eq(ulong, placement_writes(pl), 0));
}

Test(placement_live, root_and_child_are_listed_with_parent_and_root)
{
    char root[PLACEMENT_UUID_LEN], child[PLACEMENT_UUID_LEN];
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
    cr_assert(eq(ulong, placement_writes(pl), 2));
    cr_assert(eq(ulong, placement_requests(pl), 5)); /* GET /, 2 POST, 2 GET */
}

Test(placement_live, names_are_url_encoded_in_the_query)
{
    char uuid[PLACEMENT_UUID_LEN];
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
    char uuid[PLACEMENT_UUID_LEN], other[PLACEMENT_UUID_LEN];
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

static const struct inventory vgpu4 = { .rc = "VGPU",
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

/* PUT inventories; returns the done half's result. */
static int
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
    char uuid[PLACEMENT_UUID_LEN];
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
    doc = srv_json(path);
    rec = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "inventories"), "VGPU");
    cr_assert(eq(int, cJSON_GetObjectItem(rec, "total")->valueint, 4));
    cr_assert(eq(int, cJSON_GetObjectItem(rec, "reserved")->valueint, 1));
    cr_assert(eq(int, cJSON_GetObjectItem(rec, "max_unit")->valueint, 4));
    cJSON_Delete(doc);
}

Test(placement_live, stale_generation_is_eagain_naming_concurrent_update)
{
    char uuid[PLACEMENT_UUID_LEN];
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
    char u[PLACEMENT_UUID_LEN];
    char *name;

    new_uuid(u);
    name = xasprintf("CUSTOM_PL_%s", u);
    for (char *s = name; *s; s++)
        *s = *s == '-' ? '_' : (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
    return name;
}

Test(placement_live, traits_round_trip_sorted)
{
    char uuid[PLACEMENT_UUID_LEN];
    _cleanup_free_ char *custom = custom_name(), *path = NULL;
    struct placement_traits got = { 0 };
    struct strv want = { 0 };
    struct errbuf eb = { 0 };
    long status = 0;
    cJSON *doc;

    create(NULL, uuid, NULL);
    cr_assert(eq(int, ensure(true, custom, &status, &eb), 0), "%s", eb.msg);
    strv_push(&want, "HW_GPU_API_VULKAN");
    strv_push(&want, custom);
    cr_assert(eq(int, put_traits(uuid, 0, &want, &got, &eb), 0), "%s", eb.msg);
    cr_assert(eq(long, got.generation, 1));
    cr_assert(eq(sz, got.traits.n, 2));
    cr_assert(eq(str, got.traits.v[0], custom)); /* "C" < "H" */
    cr_assert(eq(str, got.traits.v[1], "HW_GPU_API_VULKAN"));
    placement_traits_clear(&got);
    cr_assert(eq(int, placement_get_traits(pl, uuid, &got, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(sz, got.traits.n, 2));
    cr_assert(eq(long, got.generation, 1));
    placement_traits_clear(&got);
    path = xasprintf("/resource_providers/%s/traits", uuid);
    doc = srv_json(path);
    cr_assert(
        eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(doc, "traits")), 2));
    cJSON_Delete(doc);
    strv_clear(&want);
}

Test(placement_live, unknown_trait_is_refused_by_name)
{
    char uuid[PLACEMENT_UUID_LEN];
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

Test(placement_live, ensure_trait_twice_is_201_then_204_both_0)
{
    _cleanup_free_ char *name = custom_name(), *path = NULL;
    struct errbuf eb = { 0 };
    long status = 0;

    cr_assert(eq(int, ensure(true, name, &status, &eb), 0), "%s", eb.msg);
    cr_assert(eq(long, status, 201));
    cr_assert(eq(int, ensure(true, name, &status, &eb), 0), "%s", eb.msg);
    cr_assert(eq(long, status, 204));
    path = xasprintf("/traits/%s", name);
    srv_must("GET", path, NULL, 204);
    cr_assert(eq(ulong, placement_writes(pl), 2));
}

Test(placement_live, ensure_resource_class_then_usable_and_bad_name_refused)
{
    _cleanup_free_ char *name = custom_name(), *path = NULL;
    struct errbuf eb = { 0 };
    long status = 0;
    cJSON *doc;

    cr_assert(eq(int, ensure(false, name, &status, &eb), 0), "%s", eb.msg);
    cr_assert(eq(long, status, 201));
    cr_assert(eq(int, ensure(false, name, &status, &eb), 0), "%s", eb.msg);
    cr_assert(eq(long, status, 204));
    path = xasprintf("/resource_classes/%s", name);
    doc = srv_json(path);
    cr_assert(
        eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(doc, "name")), name));
    cJSON_Delete(doc);
    cr_assert(eq(int, ensure(false, "VGPU", &status, &eb), -EIO));
    cr_assert(
        eq(int, strncmp(eb.msg, "PUT /resource_classes/VGPU: 400 ", 32), 0),
        "%s", eb.msg);
}

/* A root with VGPU 4 and one VGPU claimed by a fresh consumer, as a
 * scheduler would (placement.md 10.3). */
static void
claimed_provider(char uuid[PLACEMENT_UUID_LEN],
                 char consumer[PLACEMENT_UUID_LEN])
{
    struct placement_invs got = { 0 };
    struct errbuf eb = { 0 };
    _cleanup_free_ char *path = NULL, *body = NULL;

    create(NULL, uuid, NULL);
    cr_assert(eq(int, put_invs(uuid, 0, &vgpu4, 1, &got, &eb), 0), "%s",
              eb.msg);
    placement_invs_clear(&got);
    new_uuid(consumer);
    path = xasprintf("/allocations/%s", consumer);
    body = xasprintf("{\"allocations\": {\"%s\": {\"resources\": "
                     "{\"VGPU\": 1}}}, \"project_id\": \"p\", \"user_id\": "
                     "\"u\", \"consumer_generation\": null, "
                     "\"consumer_type\": \"INSTANCE\"}",
                     uuid);
    srv_must("PUT", path, body, 204);
}

Test(placement_live, allocations_show_the_claim)
{
    char uuid[PLACEMENT_UUID_LEN], consumer[PLACEMENT_UUID_LEN];
    struct placement_allocs a = { 0 };
    struct errbuf eb = { 0 };

    claimed_provider(uuid, consumer);
    cr_assert(eq(int, placement_get_allocations(pl, uuid, &a, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(long, a.generation, 2)); /* PUT inventories, the claim */
    cr_assert(eq(sz, a.n, 1));
    cr_assert(eq(str, a.allocs[0].consumer, consumer));
    cr_assert(eq(sz, a.allocs[0].n_used, 1));
    cr_assert(eq(str, a.allocs[0].used[0].rc, "VGPU"));
    cr_assert(eq(long, a.allocs[0].used[0].total, 1));
    placement_allocs_clear(&a);
}

static int
delete_rp(const char *uuid, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };

    placement_prep_delete_provider(pl, &c, uuid);
    placement_run(pl, &c, 1, 1);
    return placement_done_delete_provider(pl, &c, eb);
}

Test(placement_live, delete_is_ebusy_with_allocations_then_0_then_enoent)
{
    char uuid[PLACEMENT_UUID_LEN], consumer[PLACEMENT_UUID_LEN];
    _cleanup_free_ char *path = NULL, *body = NULL;
    struct errbuf eb = { 0 };

    claimed_provider(uuid, consumer);
    cr_assert(eq(int, delete_rp(uuid, &eb), -EBUSY));
    cr_assert(ne(ptr, strstr(eb.msg, "409 placement.resource_provider.inuse: "),
                 NULL),
              "%s", eb.msg);
    path = xasprintf("/allocations/%s", consumer);
    srv_must("DELETE", path, NULL, 204);
    cr_assert(eq(int, delete_rp(uuid, &eb), 0), "%s", eb.msg);
    free(path);
    path = xasprintf("/resource_providers/%s", uuid);
    srv_must("GET", path, NULL, 404);
    cr_assert(eq(int, delete_rp(uuid, &eb), -ENOENT));
    body = xasprintf("DELETE /resource_providers/%s: 404 "
                     "placement.undefined_code: No resource provider with "
                     "uuid %s found for delete",
                     uuid, uuid);
    cr_assert(eq(str, eb.msg, body));
}

Test(placement_live, delete_parent_is_ebusy)
{
    char root[PLACEMENT_UUID_LEN], child[PLACEMENT_UUID_LEN];
    struct errbuf eb = { 0 };

    create(NULL, root, NULL);
    create(root, child, NULL);
    cr_assert(eq(int, delete_rp(root, &eb), -EBUSY));
    cr_assert(ne(ptr, strstr(eb.msg, "cannot_delete_parent"), NULL), "%s",
              eb.msg);
    cr_assert(eq(int, delete_rp(child, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, delete_rp(root, &eb), 0), "%s", eb.msg);
}

Test(placement_live, unknown_provider_is_enoent_with_the_specific_detail)
{
    char uuid[PLACEMENT_UUID_LEN];
    struct placement_invs got = { 0 };
    struct errbuf eb = { 0 };
    _cleanup_free_ char *want = NULL;

    new_uuid(uuid);
    cr_assert(eq(int, placement_get_inventories(pl, uuid, &got, &eb), -ENOENT));
    want = xasprintf("GET /resource_providers/%s/inventories: 404 "
                     "placement.undefined_code: No resource provider with "
                     "uuid %s found",
                     uuid, uuid);
    cr_assert(eq(int, strncmp(eb.msg, want, strlen(want)), 0), "%s", eb.msg);
}

#define BATCH 20

Test(placement_live, a_batch_of_20_reads_counts_20_requests)
{
    char uuid[BATCH][PLACEMENT_UUID_LEN];
    struct placement_call *calls = NULL;
    struct placement_invs got = { 0 };
    struct errbuf eb = { 0 };
    unsigned long before, writes;
    size_t cap = 0;

    for (size_t i = 0; i < BATCH; i++)
        create(NULL, uuid[i], NULL);
    before = placement_requests(pl);
    writes = placement_writes(pl);
    /* grown one by one: prepared calls move when the array is realloc'd */
    for (size_t i = 0; i < BATCH; i++) {
        xgrow(&calls, &cap, i, sizeof(*calls));
        placement_prep_get_inventories(pl, &calls[i], uuid[i]);
    }
    placement_run(pl, calls, BATCH, 8);
    cr_assert(eq(ulong, placement_requests(pl) - before, BATCH));
    cr_assert(eq(ulong, placement_writes(pl), writes));
    for (size_t i = 0; i < BATCH; i++) {
        cr_assert(eq(int,
                     placement_done_get_inventories(pl, &calls[i], &got, &eb),
                     0),
                  "%s", eb.msg);
        cr_assert(eq(sz, got.n, 0));
        placement_invs_clear(&got);
        placement_call_clear(&calls[i]);
    }
    free(calls);
}

static int
open_with_token(const char *token, struct errbuf *eb)
{
    struct http_opts o = { .base_url = server_url(), .token = token };
    struct placement *p = NULL;
    struct http *h = NULL;
    struct placement_rp *rps = NULL;
    size_t n = 0;
    int r;

    cr_assert(eq(int, http_new(&o, &h, eb), 0), "%s", eb->msg);
    cr_assert(eq(int, placement_open(h, &p, eb), 0), "%s", eb->msg);
    r = placement_list_providers(p, "name", "x", &rps, &n, eb);
    placement_free(p);
    http_free(h);
    return r;
}

Test(placement_live, no_token_and_non_admin_are_eacces)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, open_with_token(NULL, &eb), -EACCES));
    cr_assert(eq(int,
                 strncmp(eb.msg,
                         "GET /resource_providers?name=x: 401 Unauthorized: "
                         "This server could not verify",
                         77),
                 0),
              "%s", eb.msg);
    cr_assert(eq(int, open_with_token("demo", &eb), -EACCES));
    cr_assert(
        ne(ptr, strstr(eb.msg, ": 403 placement.undefined_code: Policy"), NULL),
        "%s", eb.msg);
}

/* ---- no server: hand-made responses ------------------------------------ */

#define U1 "b0a4c4a8-8f5e-4e43-9a0b-0f3c7d6e2a11"
#define U2 "c1b5d5b9-9f6f-4f54-8b1c-1f4d8e7f3b22"
#define RP(uuid, parent)                                                       \
    "{\"uuid\": \"" uuid "\", \"name\": \"n\", "                               \
    "\"generation\": 0, \"parent_provider_uuid\": " parent                     \
    ", \"root_provider_uuid\": \"" U1 "\"}"
#define INV(total, ratio)                                                      \
    "{\"total\": " total ", \"reserved\": 0, "                                 \
    "\"min_unit\": 1, \"max_unit\": 4, \"step_size\": 1, "                     \
    "\"allocation_ratio\": " ratio "}"
#define GEN "\"resource_provider_generation\": "

enum kind { K_LIST, K_CREATE, K_INVS, K_TRAITS, K_ALLOCS, K_DELETE, K_ENSURE };

/* Arrays, not pointers: Criterion copies parameters into the test's own
 * process, where the runner's pointers mean nothing. */
struct canned {
    enum kind kind;
    long status;
    char body[400];
    int rc;
    char msg[160]; /* expected in the message */
};

static int
feed(enum kind kind, long status, const char *body, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };
    _cleanup_(placement_freep) struct placement *p = NULL;
    struct placement_rp *rps = NULL, rp = { 0 };
    struct placement_invs invs = { 0 };
    struct placement_traits traits = { 0 };
    struct placement_allocs allocs = { 0 };
    size_t n = 0;
    int r = -1;

    cr_assert(eq(int, placement_open_at(NULL, "1.39", &p, eb), 0));
    placement_prep_get_inventories(p, &c, U1); /* any call will do */
    c.req.resp.status = status;
    c.req.resp.body = xstrdup(body);
    c.req.resp.len = strlen(body);
    if (kind == K_LIST)
        r = placement_done_list_providers(p, &c, &rps, &n, eb);
    else if (kind == K_CREATE)
        r = placement_done_create_provider(p, &c, &rp, eb);
    else if (kind == K_INVS)
        r = placement_done_get_inventories(p, &c, &invs, eb);
    else if (kind == K_TRAITS)
        r = placement_done_get_traits(p, &c, &traits, eb);
    else if (kind == K_ALLOCS)
        r = placement_done_get_allocations(p, &c, &allocs, eb);
    else if (kind == K_DELETE)
        r = placement_done_delete_provider(p, &c, eb);
    else
        r = placement_done_ensure(p, &c, eb);
    placement_rps_free(rps, n);
    placement_rp_clear(&rp);
    placement_invs_clear(&invs);
    placement_traits_clear(&traits);
    placement_allocs_clear(&allocs);
    return r;
}

static struct canned canned_cases[] = {
    { K_INVS, 200, "not json", -EPROTO,
      "inventories: response is not a "
      "JSON object" },
    { K_INVS, 200, "[]", -EPROTO, "not a JSON object" },
    { K_INVS, 200, "{" GEN "1, \"inventories\": {\"VGPU\": ", -EPROTO,
      "not a JSON object" },
    { K_INVS, 200, "{" GEN "1, \"inventories\": []}", -EPROTO,
      "bad response: inventories: not an object" },
    { K_INVS, 200, "{" GEN "-1, \"inventories\": {}}", -EPROTO,
      "resource_provider_generation: -1 is out of range" },
    { K_INVS, 200, "{" GEN "1e300, \"inventories\": {}}", -EPROTO,
      "resource_provider_generation: 1000000" },
    { K_INVS, 200, "{" GEN "9007199254740993, \"inventories\": {}}", -EPROTO,
      "out of range" },
    { K_INVS, 200, "{" GEN "\"1\", \"inventories\": {}}", -EPROTO,
      "resource_provider_generation: not a number" },
    { K_INVS, 200, "{\"inventories\": {}}", -EPROTO,
      "resource_provider_generation: missing" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"VGPU\": " INV("4.5", "1.0") "}}", -EPROTO,
      "inventories.VGPU.total: 4.5 is not an integer" },
    { K_INVS, 200, "{" GEN "1, \"inventories\": {\"VGPU\": {\"total\": 4}}}",
      -EPROTO, "inventories.VGPU.reserved: missing" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"vgpu\": " INV("4", "1.0") "}}", -EPROTO,
      "'vgpu' is not a valid name" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"VGPU\": " INV("4", "\"1\"") "}}", -EPROTO,
      "inventories.VGPU.allocation_ratio: missing or not" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"VGPU\": " INV(
          "4", "1") ", \"VGPU\": " INV("2", "1") "}}",
      -EPROTO, "VGPU appears twice" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"VGPU\": " INV("1e10", "1") "}}", -EPROTO,
      "inventories.VGPU.total: 10000000000 is out of range" },
    { K_LIST, 200, "{\"resource_providers\": {}}", -EPROTO,
      "resource_providers: not an array" },
    { K_LIST, 200, "{\"resource_providers\": [\"x\"]}", -EPROTO,
      "resource_providers[0]: not an object" },
    { K_LIST, 200,
      "{\"resource_providers\": [" RP(U2, "null") ", " RP("not-a-uuid",
                                                          "null") "]}",
      -EPROTO, "resource_providers[1].uuid: 'not-a-uuid' is not a UUID" },
    { K_LIST, 200,
      "{\"resource_providers\": [" RP("zzzzzzzz-8f5e-4e43-9a0b-0f3c7d6e2a11",
                                      "null") "]}",
      -EPROTO, "is not a UUID" },
    { K_LIST, 200, "{\"resource_providers\": [" RP(U2, "7") "]}", -EPROTO,
      "resource_providers[0].parent_provider_uuid: not a string" },
    { K_LIST, 200,
      "{\"resource_providers\": [{\"uuid\": \"" U1 "\", "
      "\"root_provider_uuid\": \"" U1 "\", \"name\": \"n\", "
      "\"generation\": 0}]}",
      -EPROTO, "resource_providers[0].parent_provider_uuid: missing" },
    { K_CREATE, 200,
      "{\"uuid\": \"" U1 "\", \"name\": 5, "
      "\"generation\": 0, \"parent_provider_uuid\": null, "
      "\"root_provider_uuid\": \"" U1 "\"}",
      -EPROTO, "provider.name: not a name" },
    { K_TRAITS, 200, "{" GEN "1, \"traits\": [1]}", -EPROTO,
      "traits[0]: not a string" },
    { K_TRAITS, 200, "{" GEN "1.5, \"traits\": []}", -EPROTO,
      "resource_provider_generation: 1.5 is not an integer" },
    { K_ALLOCS, 200,
      "{" GEN "1, \"allocations\": {\"x\": {\"resources\": "
      "{\"VGPU\": 1}}}}",
      -EPROTO, "allocations key: 'x' is not a UUID" },
    { K_ALLOCS, 200,
      "{" GEN "1, \"allocations\": {\"" U2 "\": "
      "{\"resources\": {\"VGPU\": 0}}}}",
      -EPROTO, "allocations." U2 ".resources.VGPU: 0 is out of range" },
    { K_ALLOCS, 200,
      "{" GEN "1, \"allocations\": {\"" U2 "\": "
      "{\"resources\": \"VGPU\"}}}",
      -EPROTO, "missing or not an object" },
    { K_DELETE, 200, "", -EPROTO, "unexpected status 200" },
    { K_ENSURE, 200, "", -EPROTO, "unexpected status 200" },
    { K_INVS, 500, "Internal Server Error\n\nboom", -EIO,
      "inventories: 500: boom" },
    { K_INVS, 502, "<html>\n<body>bad\tgateway</body>\n</html>\n", -EIO,
      "inventories: 502: <html> <body>bad gateway</body> </html>" },
    { K_INVS, 409,
      "{\"errors\": [{\"status\": 409, \"code\": "
      "\"placement.inventory.inuse\", \"title\": \"Conflict\", "
      "\"detail\": \"There was a conflict.\\n\\n update conflict: in use  "
      "\"}]}",
      -EBUSY,
      "409 placement.inventory.inuse: update conflict: "
      "in use" },
    { K_INVS, 409,
      "{\"errors\": [{\"status\": 409, \"code\": "
      "\"placement.undefined_code\", \"detail\": 7}]}",
      -EIO, "409 placement.undefined_code: " },
    { K_INVS, 406,
      "{\"errors\": [{\"status\": 406, \"title\": \"Not "
      "Acceptable\", \"detail\": \"x.\\n\\n Invalid microversion\"}]}",
      -EIO, "406 Not Acceptable: Invalid microversion" },
};

ParameterizedTestParameters(placement_proto, bad_bodies_and_statuses)
{
    return cr_make_param_array(struct canned, canned_cases,
                               sizeof(canned_cases) / sizeof(*canned_cases));
}

ParameterizedTest(struct canned *k, placement_proto, bad_bodies_and_statuses)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, feed(k->kind, k->status, k->body, &eb), k->rc),
              "body: %s\nmessage: %s", k->body, eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, k->msg), NULL),
              "body: %s\nmessage: %s\nwanted: %s", k->body, eb.msg, k->msg);
    cr_assert(eq(int, strncmp(eb.msg, "GET /resource_providers/" U1, 60), 0),
              "%s", eb.msg);
    cr_assert(eq(ptr, strchr(eb.msg, '\n'), NULL), "%s", eb.msg);
}

Test(placement_proto, a_long_detail_is_cut_to_one_bounded_line)
{
    char detail[4000], body[4200];
    struct errbuf eb = { 0 };

    memset(detail, 'x', sizeof(detail) - 1);
    detail[sizeof(detail) - 1] = '\0';
    memcpy(detail + 100, "\\n\\n ", 5); /* JSON escapes: "\n\n " */
    snprintf(body, sizeof(body),
             "{\"errors\": [{\"status\": 400, \"code\": "
             "\"placement.undefined_code\", \"detail\": \"%s\"}]}",
             detail);
    cr_assert(eq(int, feed(K_INVS, 400, body, &eb), -EIO));
    cr_assert(strlen(eb.msg) < 450, "%zu: %s", strlen(eb.msg), eb.msg);
    cr_assert(eq(ptr, strchr(eb.msg, '\n'), NULL), "%s", eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, "xxx..."), NULL), "%s", eb.msg);
}

Test(placement_proto, good_bodies_decode_sorted)
{
    struct canned k = { K_INVS, 200,
                        "{" GEN "3, \"inventories\": {\"VGPU\": " INV(
                            "4", "1") ", \"CUSTOM_A\": " INV("2.0", "1.5") "}}",
                        0, "" };
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };
    _cleanup_(placement_freep) struct placement *p = NULL;
    struct placement_invs v = { 0 };
    struct errbuf eb = { 0 };

    cr_assert(eq(int, feed(k.kind, k.status, k.body, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, placement_open_at(NULL, "1.30", &p, &eb), 0));
    placement_prep_get_inventories(p, &c, "a/b?c");
    cr_assert(eq(str, c.path, "/resource_providers/a%2Fb%3Fc/inventories"));
    assert_streq(c.headers[0], "OpenStack-API-Version: placement 1.30");
    c.req.resp.status = 200;
    c.req.resp.body = xstrdup(k.body);
    c.req.resp.len = strlen(k.body);
    cr_assert(eq(int, placement_done_get_inventories(p, &c, &v, &eb), 0));
    cr_assert(eq(long, v.generation, 3));
    cr_assert(eq(sz, v.n, 2));
    cr_assert(eq(str, v.invs[0].rc, "CUSTOM_A"));
    cr_assert(eq(long, v.invs[0].total, 2));
    cr_assert(eq(dbl, v.invs[0].allocation_ratio, 1.5));
    cr_assert(eq(str, v.invs[1].rc, "VGPU"));
    placement_invs_clear(&v);
}

Test(placement_proto, open_at_refuses_versions_outside_the_range)
{
    struct placement *p = NULL;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, placement_open_at(NULL, "1.25", &p, &eb), -ENOTSUP));
    cr_assert(eq(str, eb.msg,
                 "microversion '1.25': the agent needs 1.26 "
                 "to 1.39"));
    cr_assert(eq(int, placement_open_at(NULL, "1.40", &p, &eb), -ENOTSUP));
    cr_assert(eq(int, placement_open_at(NULL, "x", &p, &eb), -ENOTSUP));
    cr_assert(eq(ptr, p, NULL));
}

/* ---- no server: version documents from a canned responder -------------- */

static int listen_fd = -1;
static pthread_t responder;
static bool responder_running;
static char reply[2048];

static void *
respond_once(void *unused)
{
    char buf[8192];
    size_t len = 0;
    int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

    (void)unused;
    if (c < 0)
        return NULL;
    while (len < sizeof(buf) - 1) {
        ssize_t n = read(c, buf + len, sizeof(buf) - 1 - len);

        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    (void)!write(c, reply, strlen(reply));
    close(c);
    return NULL;
}

/* Serve one GET / with doc; returns the client's URL. */
static char *
serve_root(const char *doc)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);

    snprintf(reply, sizeof(reply),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(doc), doc);
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(listen_fd >= 0);
    cr_assert(eq(int, bind(listen_fd, (struct sockaddr *)&a, sizeof(a)), 0));
    cr_assert(eq(int, listen(listen_fd, 8), 0));
    cr_assert(eq(int, getsockname(listen_fd, (struct sockaddr *)&a, &len), 0));
    cr_assert(eq(int, pthread_create(&responder, NULL, respond_once, NULL), 0));
    responder_running = true;
    return xasprintf("http://127.0.0.1:%d", ntohs(a.sin_port));
}

static void
stop_responder(void)
{
    if (responder_running)
        pthread_join(responder, NULL);
    responder_running = false;
    if (listen_fd >= 0)
        close(listen_fd);
    listen_fd = -1;
    close_live();
}

TestSuite(placement_versions, .fini = stop_responder);

struct version_case {
    char doc[200];
    int rc;
    char want[120]; /* the version, or what the message contains */
};

#define VDOC(lo, hi)                                                           \
    "{\"versions\": [{\"id\": \"v1.0\", \"min_version\": " lo                  \
    ", \"max_version\": " hi ", \"status\": \"CURRENT\"}]}"

ParameterizedTestParameters(placement_versions, negotiation)
{
    static struct version_case cases[] = {
        { VDOC("\"1.0\"", "\"1.39\""), 0, "1.39" },
        { VDOC("\"1.0\"", "\"1.45\""), 0, "1.39" },
        { VDOC("\"1.0\"", "\"1.30\""), 0, "1.30" },
        { VDOC("\"1.26\"", "\"1.26\""), 0, "1.26" },
        { VDOC("\"1.0\"", "\"1.20\""), -ENOTSUP,
          "GET /: Placement speaks microversions 1.0 to 1.20, the agent "
          "needs 1.26 to 1.39" },
        { VDOC("\"1.40\"", "\"1.50\""), -ENOTSUP, "1.40 to 1.50" },
        { VDOC("\"1.0\"", "\"1.x\""), -EPROTO,
          "GET /: bad response: versions[0].max_version: missing or not a "
          "version" },
        { VDOC("\"1.0\"", "139"), -EPROTO, "max_version" },
        { "{\"versions\": \"1.39\"}", -EPROTO, "versions[0]: missing" },
        { "{\"versions\": []}", -EPROTO, "versions[0]: missing" },
        { "<html>", -EPROTO, "GET /: response is not a JSON object" },
    };

    return cr_make_param_array(struct version_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct version_case *v, placement_versions, negotiation)
{
    _cleanup_free_ char *url = serve_root(v->doc);
    struct http_opts o = { .base_url = url, .timeout_s = 5 };
    struct errbuf eb = { 0 };
    int r;

    cr_assert(eq(int, http_new(&o, &http, &eb), 0), "%s", eb.msg);
    r = placement_open(http, &pl, &eb);
    cr_assert(eq(int, r, v->rc), "%s", eb.msg);
    if (r == 0)
        assert_streq(placement_version(pl), v->want);
    else
        cr_assert(ne(ptr, strstr(eb.msg, v->want), NULL), "%s", eb.msg);
}

Test(placement_versions, no_server_is_the_transport_error_naming_get_root)
{
    _cleanup_free_ char *url = serve_root("{}");
    struct http_opts o = { .base_url = url, .timeout_s = 5 };
    struct errbuf eb = { 0 };

    /* Wake the responder out of accept() (shutdown makes it fail) and wait
     * for it: an accept() still in progress keeps the socket listening after
     * close(), and the connect below would time out instead of failing.
     * (pthread_cancel does not mix with ASan's thread teardown.) */
    shutdown(listen_fd, SHUT_RDWR);
    pthread_join(responder, NULL);
    responder_running = false;
    close(listen_fd); /* nothing listens on the port now */
    listen_fd = -1;
    cr_assert(eq(int, http_new(&o, &http, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, placement_open(http, &pl, &eb), -ECONNREFUSED));
    cr_assert(eq(int, strncmp(eb.msg, "GET /: ", 7), 0), "%s", eb.msg);
    cr_assert(eq(ptr, pl, NULL));
}
