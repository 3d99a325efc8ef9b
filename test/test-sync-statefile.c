/*
 * test-sync-statefile.c - the sync cache kept across restarts: the file's
 * format, and every way it can be unusable (missing, old, another node's,
 * corrupt, too large), each a full read, never an error of the pass.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fixture.h"
#include "statefile.h"
#include "sync-cache.h"
#include "sync-statefile.h"
#include "xalloc.h"

#define NODE "compute-1"
#define PLACEMENT "http://placement.example:8778"
#define ROOT "5c0f0000-0000-4000-8000-000000000001"
#define GPU "5c0f0000-0000-4000-8000-000000000002"
#define GPU_NAME "compute-1_pci_0000_3e_00_0"

static const struct statefile_owner owner = { NODE, PLACEMENT };

static struct sync_cache *cache;
static char *dir;

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
    fixture_rm_rf(dir);
    free(dir);
}

TestSuite(sync_statefile, .init = setup, .fini = teardown);

/* A root of ours and one GPU at generation 3: VGPU 4, CUSTOM_CAD. */
static void
fill(struct sync_cache *c)
{
    struct inventory inv = { .rc = "VGPU",
                             .total = 4,
                             .reserved = 1,
                             .min_unit = 1,
                             .max_unit = 4,
                             .step_size = 1,
                             .allocation_ratio = 1.0 };
    struct placement_invs invs = { .generation = 3, .invs = &inv, .n = 1 };
    struct strv traits = { 0 };

    strv_push(&traits, "CUSTOM_CAD");
    sync_cache_set_root(c, ROOT, true);
    sync_cache_remember(c, GPU, GPU_NAME, 3, &invs, &traits);
    sync_cache_learn(c, "CUSTOM_VGPU_HOST_X");
    strv_clear(&traits);
}

/* The cache is empty: nothing to trust, everything to read. */
static void
assert_empty(const struct sync_cache *c)
{
    cr_assert(sync_cache_root(c, NULL) == NULL);
    cr_assert(eq(sz, sync_cache_size(c), 0));
    cr_assert(eq(sz, sync_cache_known(c)->n, 0));
    cr_assert(not(sync_cache_unconfirmed(c)));
}

Test(sync_statefile, what_is_saved_is_loaded_unconfirmed_and_formats_the_same)
{
    _cleanup_free_ char *path = sync_statefile_path(dir);
    _cleanup_free_ char *text = NULL, *again = NULL;
    struct placement_invs invs = { 0 };
    struct strv traits = { 0 };
    struct errbuf eb = { 0 };
    struct stat st;
    bool owned = false;

    fill(cache);
    text = sync_statefile_format(cache, &owner);
    cr_assert(eq(int, statefile_save(path, text, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, stat(path, &st), 0));
    cr_assert(eq(int, st.st_mode & 07777, 0600));
    sync_cache_reset(cache);
    cr_assert(eq(int, sync_statefile_load(path, &owner, cache, &eb), 0), "%s",
              eb.msg);
    cr_assert(sync_cache_unconfirmed(cache), "a pass confirms it first");
    cr_assert(strcmp(sync_cache_root(cache, &owned), ROOT) == 0);
    cr_assert(owned);
    cr_assert(eq(int, sync_cache_recall(cache, GPU, 3, &invs, &traits), 0));
    cr_assert(eq(long, invs.invs[0].reserved, 1));
    cr_assert(eq(long, invs.invs[0].max_unit, 4));
    cr_assert(eq(str, traits.v[0], "CUSTOM_CAD"));
    cr_assert(strv_contains(sync_cache_known(cache), "CUSTOM_VGPU_HOST_X"));
    again = sync_statefile_format(cache, &owner);
    cr_assert(eq(str, again, text), "a round trip changes nothing");
    placement_invs_clear(&invs);
    strv_clear(&traits);
}

Test(sync_statefile, a_missing_directory_is_made)
{
    _cleanup_free_ char *sub = xasprintf("%s/state", dir);
    _cleanup_free_ char *path = sync_statefile_path(sub);
    _cleanup_free_ char *text = sync_statefile_format(cache, &owner);
    struct errbuf eb = { 0 };

    cr_assert(eq(int, statefile_save(path, text, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, sync_statefile_load(path, &owner, cache, &eb), 0), "%s",
              eb.msg);
    cr_assert(sync_cache_root(cache, NULL) == NULL, "no root yet");
}

Test(sync_statefile, a_missing_file_is_enoent_naming_it)
{
    _cleanup_free_ char *path = sync_statefile_path(dir);
    struct errbuf eb = { 0 };

    fill(cache);
    cr_assert(eq(int, sync_statefile_load(path, &owner, cache, &eb), -ENOENT));
    cr_assert(ne(ptr, strstr(eb.msg, path), NULL), "%s", eb.msg);
    assert_empty(cache);
}

/* Load text written to the state file; the errno, eb's message in msg. */
static int
load_text(const char *text, char msg[ERRBUF_MSG_MAX])
{
    _cleanup_free_ char *path =
        fixture_put(dir, SYNC_STATEFILE_NAME, text, 0600);
    struct errbuf eb = { 0 };
    int r;

    fill(cache);
    r = sync_statefile_load(path, &owner, cache, &eb);
    snprintf(msg, ERRBUF_MSG_MAX, "%s", eb.msg);
    if (r < 0) {
        cr_assert(ne(ptr, strstr(msg, path), NULL), "names the file: %s", msg);
        assert_empty(cache);
    }
    return r;
}

/* Version 1 files named no Placement: a full read once after an upgrade. */
Test(sync_statefile,
     an_old_format_or_another_nodes_or_placements_file_is_estale)
{
    char msg[ERRBUF_MSG_MAX];

    cr_assert(eq(int,
                 load_text("{\"format\": \"vgpu-agent-sync-state\", "
                           "\"version\": 1, \"node\": \"compute-1\"}",
                           msg),
                 -ESTALE));
    cr_assert(ne(ptr, strstr(msg, "version 1, not 2"), NULL), "%s", msg);
    cr_assert(eq(int, load_text("{\"providers\": []}", msg), -ESTALE));
    cr_assert(ne(ptr, strstr(msg, "not a vgpu-agent-sync-state file"), NULL),
              "%s", msg);
    cr_assert(eq(int,
                 load_text("{\"format\": \"vgpu-agent-sync-state\", "
                           "\"version\": 2, \"node\": \"compute-2\", "
                           "\"placement\": \"" PLACEMENT "\", "
                           "\"root\": null, \"known\": [], \"providers\": []}",
                           msg),
                 -ESTALE));
    cr_assert(ne(ptr, strstr(msg, "for node compute-2, not compute-1"), NULL),
              "%s", msg);
    cr_assert(eq(int,
                 load_text("{\"format\": \"vgpu-agent-sync-state\", "
                           "\"version\": 2, \"node\": \"compute-1\", "
                           "\"placement\": \"http://10.0.0.9:8778\", "
                           "\"root\": null, \"known\": [], \"providers\": []}",
                           msg),
                 -ESTALE));
    cr_assert(
        ne(ptr,
           strstr(msg,
                  "for the Placement at http://10.0.0.9:8778, not " PLACEMENT),
           NULL),
        "%s", msg);
}

#define HEAD                                                                   \
    "{\"format\": \"vgpu-agent-sync-state\", \"version\": 2, \"node\": "       \
    "\"compute-1\", \"placement\": \"" PLACEMENT "\", "

/* Files that are not what the format says, and what the message says. */
static const char *const corrupt[][2] = {
    { "", "not JSON" },
    { HEAD "\"root\": null, \"known\": [], \"providers\": [", "not JSON" },
    { "[]", "not a JSON object" },
    { "{\"format\": \"vgpu-agent-sync-state\", \"version\": 2, \"node\": "
      "\"compute-1\", \"root\": null, \"known\": [], \"providers\": []}",
      "no placement" },
    { HEAD "\"root\": {\"uuid\": \"nope\", \"owned\": true}, \"known\": [], "
           "\"providers\": []}",
      "root: uuid is not a UUID" },
    { HEAD "\"root\": 7, \"known\": [], \"providers\": []}", "root: not" },
    { HEAD "\"root\": null, \"known\": [\"lower\"], \"providers\": []}",
      "known: not a trait" },
    { HEAD "\"root\": null, \"known\": [], \"providers\": {}}",
      "providers: not an array" },
    { HEAD "\"root\": null, \"known\": [], \"providers\": [7]}",
      "providers[0]: not an object" },
    { HEAD "\"root\": null, \"known\": [], \"providers\": [{\"uuid\": \"" GPU
           "\", \"name\": \"g\", \"resource_provider_generation\": -1, "
           "\"inventories\": {}, \"traits\": []}]}",
      "providers[0]" },
    { HEAD "\"root\": null, \"known\": [], \"providers\": [{\"uuid\": \"" GPU
           "\", \"name\": \"g\", \"resource_provider_generation\": 1, "
           "\"inventories\": {\"VGPU\": {\"total\": \"four\"}}, "
           "\"traits\": []}]}",
      "providers[0]" },
};

Test(sync_statefile, a_corrupt_file_is_eproto_and_says_where)
{
    char msg[ERRBUF_MSG_MAX];

    for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
        cr_assert(eq(int, load_text(corrupt[i][0], msg), -EPROTO),
                  "case %zu: %s", i, corrupt[i][0]);
        cr_assert(ne(ptr, strstr(msg, corrupt[i][1]), NULL),
                  "case %zu: %s (wanted %s)", i, msg, corrupt[i][1]);
    }
}

Test(sync_statefile, a_file_larger_than_the_cap_is_efbig)
{
    char *big = xmalloc(SYNC_STATEFILE_MAX + 2);
    char msg[ERRBUF_MSG_MAX];

    memset(big, ' ', SYNC_STATEFILE_MAX + 1);
    big[SYNC_STATEFILE_MAX + 1] = '\0';
    cr_assert(eq(int, load_text(big, msg), -EFBIG));
    free(big);
}
