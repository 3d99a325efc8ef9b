/*
 * test-placement-claims.c - the typed Placement client against the real
 * Placement: allocations, deletes, unknown providers, a batch of reads,
 * and the tokens Placement refuses.  Part of the test-placement binary
 * (test/testplacement.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "http.h"
#include "placement-shared.h"
#include "placement.h"
#include "testplacement.h"
#include "testsecrets.h"
#include "xalloc.h"

/* A root with VGPU 4 and one VGPU claimed by a fresh consumer, as a
 * scheduler would: PUT /allocations/{consumer} at 1.39. */
static void
claimed_provider(char uuid[UUIDSTR_LEN], char consumer[UUIDSTR_LEN])
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
    placement_shared_must("PUT", path, body, 204);
}

Test(placement_live, allocations_show_the_claim)
{
    char uuid[UUIDSTR_LEN], consumer[UUIDSTR_LEN];
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
    char uuid[UUIDSTR_LEN], consumer[UUIDSTR_LEN];
    _cleanup_free_ char *path = NULL, *body = NULL;
    struct errbuf eb = { 0 };

    claimed_provider(uuid, consumer);
    cr_assert(eq(int, delete_rp(uuid, &eb), -EBUSY));
    cr_assert(ne(ptr, strstr(eb.msg, "409 placement.resource_provider.inuse: "),
                 NULL),
              "%s", eb.msg);
    path = xasprintf("/allocations/%s", consumer);
    placement_shared_must("DELETE", path, NULL, 204);
    cr_assert(eq(int, delete_rp(uuid, &eb), 0), "%s", eb.msg);
    free(path);
    path = xasprintf("/resource_providers/%s", uuid);
    placement_shared_must("GET", path, NULL, 404);
    cr_assert(eq(int, delete_rp(uuid, &eb), -ENOENT));
    body = xasprintf("DELETE /resource_providers/%s: 404 "
                     "placement.undefined_code: No resource provider with "
                     "uuid %s found for delete",
                     uuid, uuid);
    cr_assert(eq(str, eb.msg, body));
}

Test(placement_live, delete_parent_is_ebusy)
{
    char root[UUIDSTR_LEN], child[UUIDSTR_LEN];
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
    char uuid[UUIDSTR_LEN];
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
    char uuid[BATCH][UUIDSTR_LEN];
    struct placement_call *calls = NULL;
    struct placement_invs got = { 0 };
    struct errbuf eb = { 0 };
    unsigned long before, writes;
    size_t cap = 0;

    for (size_t i = 0; i < BATCH; i++)
        create(NULL, uuid[i], NULL);
    before = placement_requests(pl);
    writes = writes_sent();
    /* grown one by one: prepared calls move when the array is realloc'd */
    for (size_t i = 0; i < BATCH; i++) {
        xgrow(&calls, &cap, i, sizeof(*calls));
        placement_prep_get_inventories(pl, &calls[i], uuid[i]);
    }
    placement_run(pl, calls, BATCH, 8);
    cr_assert(eq(ulong, placement_requests(pl) - before, BATCH));
    cr_assert(eq(ulong, writes_sent(), writes));
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
    struct http_opts o = { .base_url = placement_shared_url(), .token = token };
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
