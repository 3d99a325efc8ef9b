/*
 * test-sync-state.c - the parts of a sync pass that need no server: what
 * the cache remembers between passes, and which providers in Placement are
 * this host's root and stale GPUs (the rule sync and claims share).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sync-cache.h"
#include "sync-tree.h"
#include "xalloc.h"

#define ROOT "5c0f0000-0000-4000-8000-000000000001"
#define GPU "5c0f0000-0000-4000-8000-000000000002"

static struct sync_cache *cache;

static void
open_cache(void)
{
    cache = sync_cache_new();
}

static void
close_cache(void)
{
    sync_cache_free(cache);
}

TestSuite(sync_cache, .init = open_cache, .fini = close_cache);

/* Remember GPU at generation 3 holding VGPU: 4 and CUSTOM_CAD. */
static void
remember_gpu(void)
{
    struct inventory inv = { .rc = "VGPU", .total = 4, .max_unit = 4 };
    struct placement_invs invs = { .generation = 3, .invs = &inv, .n = 1 };
    struct strv traits = { 0 };

    strv_push(&traits, "CUSTOM_CAD");
    sync_cache_remember(cache, GPU, "compute-1_pci_0000_3e_00_0", 3, &invs,
                        &traits);
    strv_clear(&traits);
}

Test(sync_cache, a_provider_is_recalled_only_at_the_generation_remembered)
{
    struct placement_invs invs = { 0 };
    struct strv traits = { 0 };

    cr_assert(
        eq(int, sync_cache_recall(cache, GPU, 3, &invs, &traits), -ENOENT));
    remember_gpu();
    cr_assert(
        eq(int, sync_cache_recall(cache, GPU, 4, &invs, &traits), -ESTALE));
    cr_assert(eq(sz, invs.n, 0), "nothing written when the generation moved");
    cr_assert(eq(int, sync_cache_recall(cache, GPU, 3, &invs, &traits), 0));
    cr_assert(eq(sz, invs.n, 1));
    cr_assert(eq(str, invs.invs[0].rc, "VGPU"));
    cr_assert(eq(long, invs.invs[0].total, 4));
    cr_assert(eq(sz, traits.n, 1));
    cr_assert(eq(str, traits.v[0], "CUSTOM_CAD"));
    placement_invs_clear(&invs);
    strv_clear(&traits);
}

Test(sync_cache, what_a_provider_holds_is_known_to_exist)
{
    remember_gpu();
    sync_cache_learn(cache, "CUSTOM_A");
    cr_assert(eq(sz, sync_cache_known(cache)->n, 3));
    cr_assert(eq(str, sync_cache_known(cache)->v[0], "CUSTOM_A"));
    cr_assert(eq(str, sync_cache_known(cache)->v[1], "CUSTOM_CAD"));
    cr_assert(eq(str, sync_cache_known(cache)->v[2], "VGPU"));
}

Test(sync_cache, lookup_by_name_gives_the_uuid_and_generation)
{
    char uuid[UUIDSTR_LEN] = "";
    long gen = 0;

    cr_assert(eq(
        int, sync_cache_lookup(cache, "compute-1_pci_0000_3e_00_0", uuid, &gen),
        -ENOENT));
    remember_gpu();
    cr_assert(eq(
        int, sync_cache_lookup(cache, "compute-1_pci_0000_3e_00_0", uuid, &gen),
        0));
    cr_assert(eq(str, uuid, GPU));
    cr_assert(eq(long, gen, 3));
    sync_cache_drop(cache, GPU);
    cr_assert(eq(
        int, sync_cache_lookup(cache, "compute-1_pci_0000_3e_00_0", uuid, &gen),
        -ENOENT));
}

Test(sync_cache, forget_drops_the_root_and_providers_but_not_known_names)
{
    bool owned = false;

    cr_assert(sync_cache_root(cache, &owned) == NULL);
    sync_cache_set_root(cache, ROOT, true);
    cr_assert(sync_cache_root(cache, &owned) != NULL);
    cr_assert(strcmp(sync_cache_root(cache, &owned), ROOT) == 0);
    cr_assert(owned);
    remember_gpu();
    sync_cache_forget(cache);
    cr_assert(sync_cache_root(cache, NULL) == NULL);
    cr_assert(eq(int,
                 sync_cache_recall(cache, GPU, 3, &(struct placement_invs){ 0 },
                                   &(struct strv){ 0 }),
                 -ENOENT));
    cr_assert(eq(sz, sync_cache_known(cache)->n, 2),
              "names once created stay created");
}

/* A root compute-1 and one GPU provider in the tree. */
static struct tree_provider providers[] = {
    { .uuid = ROOT, .name = "compute-1" },
    { .uuid = GPU, .name = "compute-1_pci_0000_3e_00_0", .parent_uuid = ROOT },
};
static const struct tree tree = { .providers = providers, .n_providers = 2 };

static struct placement_rp
rp(const char *uuid, char *name, const char *parent)
{
    struct placement_rp r = { .name = name };

    snprintf(r.uuid, sizeof(r.uuid), "%s", uuid);
    snprintf(r.parent_uuid, sizeof(r.parent_uuid), "%s", parent);
    return r;
}

Test(sync_tree, stale_means_ours_by_name_under_our_root_and_not_in_the_tree)
{
    struct placement_rp gone = rp("5c0f0000-0000-4000-8000-000000000003",
                                  "compute-1_pci_0000_3f_00_0", ROOT);
    struct placement_rp kept = rp(GPU, "compute-1_pci_0000_3e_00_0", ROOT);
    struct placement_rp other = rp("5c0f0000-0000-4000-8000-000000000004",
                                   "compute-2_pci_0000_3f_00_0", ROOT);
    struct placement_rp elsewhere =
        rp("5c0f0000-0000-4000-8000-000000000005", "compute-1_pci_0000_40_00_0",
           "5c0f0000-0000-4000-8000-000000000009");

    cr_assert(sync_tree_is_stale(&tree, &gone, ROOT));
    cr_assert(not(sync_tree_is_stale(&tree, &kept, ROOT)), "in the tree");
    cr_assert(not(sync_tree_is_stale(&tree, &other, ROOT)), "not our name");
    cr_assert(not(sync_tree_is_stale(&tree, &elsewhere, ROOT)),
              "not under our root");
}

Test(sync_tree, find_gives_the_first_with_that_uuid_or_that_name)
{
    struct placement_rp rps[] = {
        rp("5c0f0000-0000-4000-8000-000000000007", "compute-1", ""),
        rp(ROOT, "compute-1-renamed", ""),
    };

    cr_assert(sync_tree_find(rps, 2, ROOT, "compute-1") == &rps[0],
              "whichever comes first");
    cr_assert(sync_tree_find(rps, 2, ROOT, NULL) == &rps[1]);
    cr_assert(sync_tree_find(rps, 2, NULL, "compute-1") == &rps[0]);
    cr_assert(sync_tree_find(rps, 2, NULL, "compute-9") == NULL);
}
