/*
 * test-reconcile.c - from claims to mdevs: the planning rules.
 *
 * Trees, hosts and guests are built in memory so each test states exactly
 * what its rule depends on; the end-to-end runs are in test-reconcile-e2e.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile-act.h"
#include "reconcile.h"
#include "xalloc.h"

#define C1 "11111111-1111-4111-8111-111111111111"
#define C2 "22222222-2222-4222-8222-222222222222"
#define C3 "33333333-3333-4333-8333-333333333333"
#define GPU_A "aaaaaaaa-0000-5000-8000-00000000000a"
#define GPU_B "bbbbbbbb-0000-5000-8000-00000000000b"
#define M1 "e55bf865-6983-4d53-967f-51e8a3bb0f57"
#define M2 "3131f5fd-7c04-4a61-92c1-0c37f9547b6b"

static struct tree tree;
static struct host *host;
static struct guests guests;
static struct reconcile_plan *plan;

/* provider i of the tree: GPU_A on 0000:84:00.0, GPU_B on the VFs. */
static void
setup(void)
{
    static struct tree_provider providers[3];
    static struct tree_device dev_a, dev_b;

    memset(providers, 0, sizeof(providers));
    dev_a = (struct tree_device){ .address = "0000:84:00.0",
                                  .mdev_type = "nvidia-35",
                                  .rc = "VGPU" };
    dev_b = (struct tree_device){ .address = "0000:41:00.0",
                                  .mdev_type = "nvidia-470",
                                  .rc = "VGPU" };
    memset(&dev_a.parents, 0, sizeof(dev_a.parents));
    strv_push(&dev_a.parents, "0000:84:00.0");
    strv_push(&dev_b.parents, "0000:41:00.4");
    strv_push(&dev_b.parents, "0000:41:00.5");
    snprintf(providers[1].uuid, sizeof(providers[1].uuid), GPU_A);
    providers[1].device = &dev_a;
    snprintf(providers[2].uuid, sizeof(providers[2].uuid), GPU_B);
    providers[2].device = &dev_b;
    tree = (struct tree){ .providers = providers, .n_providers = 3 };
    host = host_new();
    guests = (struct guests){ 0 };
    plan = NULL;
}

static void
teardown(void)
{
    reconcile_plan_free(plan);
    strv_clear(&tree.providers[1].device->parents);
    strv_clear(&tree.providers[2].device->parents);
    host_free(host);
    for (size_t i = 0; i < guests.n; i++)
        strv_clear(&guests.v[i].mdevs);
    free(guests.v);
}

TestSuite(reconcile, .init = setup, .fini = teardown);

static void
parent(const char *name, const char *type, unsigned available)
{
    struct host_fn fn = { .name = xstrdup(name),
                          .path = xasprintf("devices/x/%s", name) };

    host_fn_add_type(host_add_fn(host, HOST_MODE_MDEV, &host_mdev_ops, &fn),
                     type)
        ->available = available;
}

static void
mdev(const char *uuid, const char *parent_name, const char *type)
{
    host_add_vgpu(host, uuid, parent_name, type);
}

static void
guest(const char *uuid, const char *mdev1, const char *mdev2)
{
    struct guest *g;

    guests.v = xrealloc(guests.v, (guests.n + 1) * sizeof(*g));
    g = &guests.v[guests.n++];
    *g = (struct guest){ 0 };
    snprintf(g->uuid, sizeof(g->uuid), "%s", uuid);
    if (mdev1)
        strv_push(&g->mdevs, mdev1);
    if (mdev2)
        strv_push(&g->mdevs, mdev2);
}

static struct reconcile_claim
claim(int provider, const char *consumer, long n)
{
    struct reconcile_claim c = { .provider = &tree.providers[provider],
                                 .n = n };

    snprintf(c.uuid, sizeof(c.uuid), "%s", tree.providers[provider].uuid);
    snprintf(c.consumer, sizeof(c.consumer), "%s", consumer);
    return c;
}

static void
run(const struct reconcile_claim *claims, size_t n, bool with_guests)
{
    plan = reconcile_plan(&tree, host, with_guests ? &guests : NULL, NULL,
                          claims, n);
}

Test(reconcile, deterministic_uuids_are_uuid5_of_consumer_and_provider)
{
    char u0[UUIDSTR_LEN], u1[UUIDSTR_LEN];

    /* Python: uuid.uuid5(uuid.UUID(C1), GPU_A + "/0") */
    cr_assert(eq(int, reconcile_uuid(C1, GPU_A, 0, u0), 0));
    cr_assert(eq(str, u0, "d925472b-8b47-58c2-959a-540ee6ebdc40"));
    cr_assert(eq(int, reconcile_uuid(C1, GPU_A, 1, u1), 0));
    cr_assert(ne(str, u0, u1));
    cr_assert(eq(int, reconcile_uuid("not-a-uuid", GPU_A, 0, u0), -EINVAL));
}

Test(reconcile, a_fresh_claim_without_a_guest_creates_deterministic_mdevs)
{
    struct reconcile_claim c = claim(1, C1, 2);
    char u0[UUIDSTR_LEN], u1[UUIDSTR_LEN];

    parent("0000:84:00.0", "nvidia-35", 16);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_create, 2));
    cr_assert(eq(int, reconcile_uuid(C1, GPU_A, 0, u0), 0));
    cr_assert(eq(int, reconcile_uuid(C1, GPU_A, 1, u1), 0));
    cr_assert(eq(str, plan->create[0].uuid, u0));
    cr_assert(eq(str, plan->create[1].uuid, u1));
    cr_assert(eq(str, plan->create[0].parent, "0000:84:00.0"));
    cr_assert(eq(str, plan->create[0].consumer, C1));
    cr_assert(eq(str, plan->create[0].provider, GPU_A));
}

Test(reconcile, after_a_reboot_the_guests_mdevs_come_back_with_their_uuids)
{
    struct reconcile_claim c = claim(1, C1, 2);

    parent("0000:84:00.0", "nvidia-35", 16);
    guest(C1, M1, M2);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_create, 2));
    cr_assert(eq(str, plan->create[0].uuid, M1));
    cr_assert(eq(str, plan->create[1].uuid, M2));
}

Test(reconcile,
     an_existing_mdev_of_the_claim_is_kept_and_a_second_pass_plans_nothing)
{
    struct reconcile_claim c = claim(1, C1, 1);

    parent("0000:84:00.0", "nvidia-35", 15);
    mdev(M1, "0000:84:00.0", "nvidia-35");
    guest(C1, M1, NULL);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_create, 0));
    cr_assert(eq(sz, plan->n_keep, 1));
    cr_assert(eq(sz, plan->n_orphans + plan->n_misplaced + plan->n_errors, 0));
}

Test(reconcile, an_sriov_claim_takes_the_first_vf_with_room)
{
    struct reconcile_claim c = claim(2, C1, 1);

    parent("0000:41:00.4", "nvidia-470", 0);
    parent("0000:41:00.5", "nvidia-470", 1);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_create, 1));
    cr_assert(eq(str, plan->create[0].parent, "0000:41:00.5"));
}

Test(reconcile, two_consumers_never_share_an_mdev_even_while_a_guest_is_rescued)
{
    /* C3's guest is being rescued: its XML lacks its mdev for now, but its
     * claim still names the GPU, so its deterministic UUID stays its own. */
    struct reconcile_claim c[3] = { claim(1, C1, 1), claim(1, C2, 1),
                                    claim(1, C3, 1) };

    parent("0000:84:00.0", "nvidia-35", 16);
    guest(C3, NULL, NULL);
    run(c, 3, true);
    cr_assert(eq(sz, plan->n_create, 3));
    cr_assert(ne(str, plan->create[0].uuid, plan->create[1].uuid));
    cr_assert(ne(str, plan->create[1].uuid, plan->create[2].uuid));
    cr_assert(ne(str, plan->create[0].uuid, plan->create[2].uuid));
}

Test(reconcile, a_rescued_guests_claimed_mdev_stays_its_own_and_no_orphan)
{
    /* C3's guest is being rescued and no XML names its mdev, which is the
     * deterministic one of its claim: the claim still expects it, so it is
     * kept for C3, not created again, not an orphan; C1 and C2, claiming
     * the GPU's last two units, get two new ones. */
    struct reconcile_claim c[3] = { claim(1, C1, 1), claim(1, C2, 1),
                                    claim(1, C3, 1) };
    char mine[UUIDSTR_LEN];

    cr_assert(eq(int, reconcile_uuid(C3, GPU_A, 0, mine), 0));
    parent("0000:84:00.0", "nvidia-35", 2);
    mdev(mine, "0000:84:00.0", "nvidia-35");
    guest(C3, NULL, NULL);
    run(c, 3, true);
    cr_assert(eq(sz, plan->n_keep, 1));
    cr_assert(eq(str, plan->keep[0].uuid, mine));
    cr_assert(eq(str, plan->keep[0].consumer, C3));
    cr_assert(eq(sz, plan->n_create, 2));
    cr_assert(eq(str, plan->create[0].consumer, C1));
    cr_assert(eq(str, plan->create[1].consumer, C2));
    cr_assert(ne(str, plan->create[0].uuid, plan->create[1].uuid));
    cr_assert(ne(str, plan->create[0].uuid, mine));
    cr_assert(ne(str, plan->create[1].uuid, mine));
    cr_assert(eq(sz,
                 plan->n_orphans + plan->n_errors + plan->n_misplaced +
                     plan->n_unaccounted,
                 0));
}

Test(reconcile, capacity_exhausted_is_an_error_naming_the_gpu)
{
    struct reconcile_claim c = claim(1, C1, 2);

    parent("0000:84:00.0", "nvidia-35", 1);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_create, 1));
    cr_assert(eq(sz, plan->n_errors, 1));
    cr_assert(ne(ptr, strstr(plan->errors[0].why, "no capacity left"), NULL));
    cr_assert(eq(str, plan->errors[0].consumer, C1));
}

Test(reconcile, a_claimed_uuid_on_another_gpu_is_misplaced_and_untouched)
{
    struct reconcile_claim c = claim(1, C1, 1);

    parent("0000:84:00.0", "nvidia-35", 16);
    parent("0000:41:00.4", "nvidia-470", 0);
    mdev(M1, "0000:41:00.4", "nvidia-470");
    guest(C1, M1, NULL);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_misplaced, 1));
    cr_assert(eq(sz, plan->n_create, 0), "nothing created in its place");
    cr_assert(ne(ptr, strstr(plan->misplaced[0].why, "0000:41:00.4"), NULL));
}

Test(reconcile, a_guest_with_mdevs_but_no_claim_is_unaccounted)
{
    parent("0000:84:00.0", "nvidia-35", 15);
    mdev(M1, "0000:84:00.0", "nvidia-35");
    guest(C2, M1, NULL);
    run(NULL, 0, true);
    cr_assert(eq(sz, plan->n_unaccounted, 1));
    cr_assert(eq(str, plan->unaccounted[0].consumer, C2));
    cr_assert(eq(sz, plan->n_orphans, 0), "a guest's mdev is never an orphan");
}

Test(reconcile, an_unclaimed_unused_mdev_is_an_orphan)
{
    parent("0000:84:00.0", "nvidia-35", 15);
    mdev(M1, "0000:84:00.0", "nvidia-35");
    run(NULL, 0, true);
    cr_assert(eq(sz, plan->n_orphans, 1));
    cr_assert(eq(str, plan->orphans[0].uuid, M1));
}

Test(reconcile, without_the_guest_list_nothing_is_an_orphan)
{
    parent("0000:84:00.0", "nvidia-35", 15);
    mdev(M1, "0000:84:00.0", "nvidia-35");
    run(NULL, 0, false);
    cr_assert(eq(sz, plan->n_orphans, 0));
}

Test(reconcile, mdevs_of_unmanaged_types_or_gpus_are_not_orphans)
{
    parent("0000:84:00.0", "nvidia-35", 15);
    parent("0000:99:00.0", "nvidia-35", 15);
    mdev(M1, "0000:84:00.0", "nvidia-36");
    mdev(M2, "0000:99:00.0", "nvidia-35");
    run(NULL, 0, true);
    cr_assert(eq(sz, plan->n_orphans, 0));
}

Test(reconcile, actions_and_results_print_as_reports_show_them)
{
    struct reconcile_action a = { .action = RECONCILE_UNPERSIST,
                                  .result = RECONCILE_PLANNED };
    _cleanup_free_ char *create =
        xstrdup(reconcile_verb_name(RECONCILE_CREATE));
    _cleanup_free_ char *verb = xstrdup(reconcile_verb_name(a.action));
    char *text = reconcile_result_text(&a);

    cr_assert(eq(str, create, "create"));
    cr_assert(eq(str, verb, "unpersist"));
    cr_assert(eq(str, text, "planned"));
    free(text);
    a.result = RECONCILE_OK;
    text = reconcile_result_text(&a);
    cr_assert(eq(str, text, "ok"));
    free(text);
    a.result = RECONCILE_FAILED;
    a.error = "parent 0000:84:00.0 is gone";
    text = reconcile_result_text(&a);
    cr_assert(eq(str, text, "error: parent 0000:84:00.0 is gone"));
    free(text);
}
