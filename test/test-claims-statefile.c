/*
 * test-claims-statefile.c - the claims run keeps across restarts
 * (claims-statefile.h): what is saved is loaded, a bad file is refused
 * saying where, and what is loaded is pruned against the confirmed cache:
 * a provider gone takes its claims along, a tree provider that moved keeps
 * them until run re-reads it, a stale provider that moved means a full
 * read.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims-statefile.h"
#include "cleanup.h"
#include "fixture.h"
#include "statefile.h"
#include "sync-cache.h"
#include "xalloc.h"

#define NODE "compute-1"
#define PLACEMENT "http://placement.example:8778"
#define ROOT "5c0f0000-0000-4000-8000-000000000001"
#define GPU "5c0f0000-0000-4000-8000-000000000002"
#define STALE "5c0f0000-0000-4000-8000-000000000003"

static const struct statefile_owner owner = { NODE, PLACEMENT };
#define C1 "6f1c2a4e-5b7d-4c8e-9f0a-1b2c3d4e5f01"
#define C2 "6f1c2a4e-5b7d-4c8e-9f0a-1b2c3d4e5f02"

static struct tree_provider providers[] = {
    { .uuid = ROOT, .name = NODE },
    { .uuid = GPU, .name = NODE "_pci_0000_3e_00_0", .parent_uuid = ROOT },
};
static const struct tree tree = { .providers = providers, .n_providers = 2 };

static struct sync_cache *cache;
static char *dir;
static struct reconcile_claim *claims;
static size_t n;
static struct strv read_at;

static void
setup(void)
{
    cache = sync_cache_new();
    dir = fixture_tmpdir();
}

static void
teardown(void)
{
    sync_cache_free(cache);
    free(claims);
    strv_clear(&read_at);
    fixture_rm_rf(dir);
    free(dir);
}

TestSuite(claims_statefile, .init = setup, .fini = teardown);

/* The cache a sync pass leaves: provider uuid called name at gen. */
static void
cached(const char *uuid, const char *name, long gen)
{
    struct placement_invs invs = { .generation = gen };
    struct strv traits = { 0 };

    sync_cache_remember(cache, uuid, name, gen, &invs, &traits);
}

/* Save C1 x 1 on GPU (read at generation 4), C2 x 2 on STALE (at 7);
 * load them back. */
static void
save_and_load(void)
{
    struct reconcile_claim v[] = {
        { .uuid = GPU, .consumer = C1, .n = 1 },
        { .uuid = STALE, .consumer = C2, .n = 2 },
    };
    struct strv at = { 0 };
    _cleanup_free_ char *path = claims_statefile_path(dir);
    _cleanup_free_ char *text = NULL;
    struct errbuf eb = { 0 };

    strv_push(&at, GPU " 4");
    strv_push(&at, STALE " 7");
    text = claims_statefile_format(v, 2, &at, &owner);
    strv_clear(&at);
    cr_assert(eq(int, statefile_save(path, text, &eb), 0), "%s", eb.msg);
    cr_assert(
        eq(int, claims_statefile_load(path, &owner, &claims, &n, &read_at, &eb),
           0),
        "%s", eb.msg);
}

Test(claims_statefile, what_is_saved_is_loaded)
{
    save_and_load();
    cr_assert(eq(sz, n, 2));
    cr_assert(eq(str, claims[0].uuid, GPU));
    cr_assert(eq(str, claims[0].consumer, C1));
    cr_assert(eq(long, claims[0].n, 1));
    cr_assert(claims[0].provider == NULL, "pointed at the tree later");
    cr_assert(eq(str, claims[1].consumer, C2));
    cr_assert(eq(long, claims[1].n, 2));
    cr_assert(eq(sz, read_at.n, 2));
    cr_assert(eq(str, read_at.v[1], STALE " 7"));
}

/* The file with body after the header, loaded: the error's message. */
static int
load_text(const char *body, char msg[ERRBUF_MSG_MAX])
{
    _cleanup_free_ char *path = claims_statefile_path(dir);
    _cleanup_free_ char *text =
        xasprintf("{\"format\": \"vgpu-agent-claims-state\", \"version\": 2, "
                  "\"node\": \"" NODE "\", \"placement\": \"" PLACEMENT "\"%s}",
                  body);
    struct errbuf eb = { 0 };
    int r;

    cr_assert(eq(int, statefile_save(path, text, &eb), 0), "%s", eb.msg);
    r = claims_statefile_load(path, &owner, &claims, &n, &read_at, &eb);
    snprintf(msg, ERRBUF_MSG_MAX, "%s", eb.msg);
    if (r < 0) {
        cr_assert(claims == NULL && n == 0 && read_at.n == 0,
                  "nothing returned on failure");
        cr_assert(ne(ptr, strstr(msg, path), NULL), "names the file: %s", msg);
    }
    return r;
}

Test(claims_statefile, a_bad_file_is_refused_saying_where)
{
    static const char *const bad[][2] = {
        { "", "read_at: not an array" },
        { ", \"read_at\": [\"" GPU "\"], \"claims\": []", "read_at[0]" },
        { ", \"read_at\": [\"" GPU " -1\"], \"claims\": []", "read_at[0]" },
        { ", \"read_at\": [\"5C0F0000-0000-4000-8000-000000000002 1\"], "
          "\"claims\": []",
          "read_at[0]" },
        { ", \"read_at\": [], \"claims\": {}", "claims: not an array" },
        { ", \"read_at\": [], \"claims\": [{\"provider\": \"" GPU
          "\", \"consumer\": \"" C1 "\", \"used\": 0}]",
          "claims[0]" },
        { ", \"read_at\": [], \"claims\": [{\"provider\": \"" GPU
          "\", \"consumer\": \"x\", \"used\": 1}]",
          "claims[0]" },
    };
    char msg[ERRBUF_MSG_MAX];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert(eq(int, load_text(bad[i][0], msg), -EPROTO), "case %zu: %s",
                  i, bad[i][0]);
        cr_assert(ne(ptr, strstr(msg, bad[i][1]), NULL),
                  "case %zu: %s (wanted %s)", i, msg, bad[i][1]);
    }
    cr_assert(eq(int, load_text(", \"read_at\": [], \"claims\": []", msg), 0),
              "%s", msg);
}

/* A file written for another node, or for this node in another Placement
 * (another endpoint: its generations say nothing of this one's). */
Test(claims_statefile,
     another_nodes_or_placements_or_a_missing_file_is_not_used)
{
    static const struct statefile_owner other_node = { "compute-2", PLACEMENT };
    static const struct statefile_owner other_placement = {
        NODE, "https://placement.example:8778"
    };
    _cleanup_free_ char *path = claims_statefile_path(dir);
    struct errbuf eb = { 0 };

    cr_assert(
        eq(int, claims_statefile_load(path, &owner, &claims, &n, &read_at, &eb),
           -ENOENT));
    save_and_load();
    free(claims);
    cr_assert(
        eq(int,
           claims_statefile_load(path, &other_node, &claims, &n, &read_at, &eb),
           -ESTALE));
    cr_assert(
        ne(ptr, strstr(eb.msg, "for node compute-1, not compute-2"), NULL),
        "%s", eb.msg);
    cr_assert(eq(int,
                 claims_statefile_load(path, &other_placement, &claims, &n,
                                       &read_at, &eb),
                 -ESTALE));
    cr_assert(ne(ptr,
                 strstr(eb.msg, "for the Placement at " PLACEMENT
                                ", not https://placement.example:8778"),
                 NULL),
              "%s", eb.msg);
}

Test(claims_statefile, unchanged_generations_keep_every_claim)
{
    save_and_load();
    cached(GPU, providers[1].name, 4);
    cached(STALE, NODE "_pci_0000_3f_00_0", 7);
    cr_assert(claims_statefile_prune(claims, &n, &read_at, &tree, cache));
    cr_assert(eq(sz, n, 2));
    cr_assert(eq(sz, read_at.n, 2));
}

Test(claims_statefile, a_tree_provider_that_moved_keeps_its_claims_unread)
{
    save_and_load();
    cached(GPU, providers[1].name, 5);
    cached(STALE, NODE "_pci_0000_3f_00_0", 7);
    cr_assert(claims_statefile_prune(claims, &n, &read_at, &tree, cache));
    cr_assert(eq(sz, n, 2), "run re-reads GPU: its claims go then");
    cr_assert(eq(sz, read_at.n, 1), "GPU's old key is dropped");
    cr_assert(eq(str, read_at.v[0], STALE " 7"));
}

Test(claims_statefile, a_provider_placement_no_longer_has_loses_its_claims)
{
    save_and_load();
    cached(GPU, providers[1].name, 4);
    cr_assert(claims_statefile_prune(claims, &n, &read_at, &tree, cache));
    cr_assert(eq(sz, n, 1));
    cr_assert(eq(str, claims[0].consumer, C1));
    cr_assert(eq(sz, read_at.n, 1));
}

Test(claims_statefile, a_stale_provider_that_moved_means_a_full_read)
{
    save_and_load();
    cached(GPU, providers[1].name, 4);
    cached(STALE, NODE "_pci_0000_3f_00_0", 8);
    cr_assert(not(claims_statefile_prune(claims, &n, &read_at, &tree, cache)));
}
