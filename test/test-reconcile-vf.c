/*
 * test-reconcile-vf.c - from claims to typed VFs: the planning rules for
 * vendor-specific VFIO GPUs (reconcile-vf.c) and the state they leave.
 *
 * One GPU, 0000:41:00.0, with six VFs, built in memory; nvidia-594 (A10-6Q,
 * 4 per GPU) is its type.  The end-to-end runs are in test-vfio-e2e.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile-act.h"
#include "reconcile.h"
#include "xalloc.h"

#define C1 "11111111-1111-4111-8111-111111111111"
#define C2 "22222222-2222-4222-8222-222222222222"
#define C3 "33333333-3333-4333-8333-333333333333"
#define RP "aaaaaaaa-0000-5000-8000-00000000000a"
#define RP_GONE "dddddddd-0000-5000-8000-00000000000d"
#define T "nvidia-594"
#define T_OTHER "nvidia-602"

static const char *const vfs[] = { "0000:41:00.4", "0000:41:00.5",
                                   "0000:41:00.6", "0000:41:00.7",
                                   "0000:41:01.0", "0000:41:01.1" };
#define N_VFS (sizeof(vfs) / sizeof(*vfs))

static struct tree tree;
static struct tree_provider providers[2];
static struct tree_device dev;
static struct host *host;
static struct guests guests;
static struct vfstate *state;
static struct reconcile_plan *plan;
static const char *held[N_VFS]; /* the type each VF carries; NULL: none */
static unsigned max_instance = 4;

static void
setup(void)
{
    memset(providers, 0, sizeof(providers));
    memset(held, 0, sizeof(held));
    dev = (struct tree_device){ .address = "0000:41:00.0",
                                .mode = HOST_MODE_VENDOR_VFIO,
                                .mdev_type = T,
                                .rc = "VGPU" };
    snprintf(providers[1].uuid, sizeof(providers[1].uuid), RP);
    providers[1].device = &dev;
    tree = (struct tree){ .providers = providers, .n_providers = 2 };
    guests = (struct guests){ 0 };
    state = vfstate_new();
    host = NULL;
    plan = NULL;
    max_instance = 4;
}

static void
teardown(void)
{
    reconcile_plan_free(plan);
    strv_clear(&dev.parents);
    host_free(host);
    for (size_t i = 0; i < guests.n; i++)
        strv_clear(&guests.v[i].pcidevs);
    free(guests.v);
    vfstate_free(state);
}

TestSuite(reconcile_vf, .init = setup, .fini = teardown);

/* The host as the driver shows it: a VF with a type lists only that one
 * (available 0); a free VF lists T and T_OTHER while the GPU has room. */
static void
build_host(void)
{
    unsigned n = 0;

    for (size_t i = 0; i < N_VFS; i++)
        n += held[i] != NULL;
    host = host_new();
    for (size_t i = 0; i < N_VFS; i++) {
        struct host_fn fn = { .name = xstrdup(vfs[i]),
                              .path = xasprintf("devices/x/%s", vfs[i]),
                              .is_pci = true,
                              .is_vf = true };
        struct host_fn *f;

        cr_assert(eq(int, pci_addr_parse(vfs[i], &fn.addr), 0));
        cr_assert(eq(int, pci_addr_parse("0000:41:00.0", &fn.physfn), 0));
        f = host_add_fn(host, HOST_MODE_VENDOR_VFIO, &host_vfio_ops, &fn);
        if (held[i]) {
            host_fn_add_type(f, held[i])->desc.max_instance = max_instance;
            host_add_vgpu(host, vfs[i], vfs[i], held[i]);
        } else if (n < max_instance) {
            host_fn_add_type(f, T)->available = 1;
            host_fn_add_type(f, T_OTHER)->available = 1;
            f->types[0].desc.max_instance = max_instance;
        }
        if (host_fn_find_type(f, T))
            strv_push(&dev.parents, vfs[i]);
    }
    host_sort(host);
}

static void
guest(const char *uuid, const char *vf1, const char *vf2)
{
    struct guest *g;

    guests.v = xrealloc(guests.v, (guests.n + 1) * sizeof(*g));
    g = &guests.v[guests.n++];
    *g = (struct guest){ 0 };
    snprintf(g->uuid, sizeof(g->uuid), "%s", uuid);
    if (vf1)
        strv_push(&g->pcidevs, vf1);
    if (vf2)
        strv_push(&g->pcidevs, vf2);
}

static struct reconcile_claim
claim(const char *consumer, long n)
{
    struct reconcile_claim c = { .provider = &providers[1], .n = n };

    snprintf(c.uuid, sizeof(c.uuid), "%s", RP);
    snprintf(c.consumer, sizeof(c.consumer), "%s", consumer);
    return c;
}

static void
run(const struct reconcile_claim *claims, size_t n, bool with_guests)
{
    if (!host)
        build_host();
    plan = reconcile_plan(&tree, host, with_guests ? &guests : NULL, state,
                          claims, n);
}

/* eq(str, ...) takes no const strings */
#define ASSERT_STR(a, b)                                                       \
    cr_assert(strcmp((a), (b)) == 0, "\"%s\" is not \"%s\"", (a), (b))

static void
assert_item(const struct reconcile_mdev *m, const char *vf,
            const char *consumer, const char *type)
{
    ASSERT_STR(m->uuid, vf);
    ASSERT_STR(m->parent, vf);
    ASSERT_STR(m->consumer, consumer);
    ASSERT_STR(m->mdev_type, type);
    cr_assert(eq(int, m->mode, HOST_MODE_VENDOR_VFIO));
}

Test(reconcile_vf, a_new_claim_takes_the_lowest_free_vfs_listing_the_type)
{
    struct reconcile_claim c = claim(C1, 2);

    held[1] = T; /* 41:00.5: another guest's */
    guest(C2, vfs[1], NULL);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_create, 2));
    assert_item(&plan->create[0], vfs[0], C1, T);
    assert_item(&plan->create[1], vfs[2], C1, T);
    ASSERT_STR(plan->create[0].provider, RP);
    cr_assert(eq(sz, plan->n_errors, 0));
    /* 41:00.5's guest holds no claim: unaccounted, not an orphan */
    cr_assert(eq(sz, plan->n_unaccounted, 1));
    assert_item(&plan->unaccounted[0], vfs[1], C2, T);
    cr_assert(eq(sz, plan->n_orphans, 0));
}

Test(reconcile_vf, a_guests_vf_is_kept_and_after_a_reboot_typed_again_there)
{
    struct reconcile_claim c[] = { claim(C1, 1), claim(C2, 1) };

    held[3] = T; /* C1's guest: 41:00.7, typed */
    guest(C1, vfs[3], NULL);
    guest(C2, vfs[5], NULL); /* C2's: 41:01.1, reset by a reboot */
    run(c, 2, true);
    cr_assert(eq(sz, plan->n_keep, 1));
    assert_item(&plan->keep[0], vfs[3], C1, T);
    cr_assert(eq(sz, plan->n_create, 1));
    assert_item(&plan->create[0], vfs[5], C2, T);
    cr_assert(eq(sz, plan->n_unaccounted + plan->n_orphans, 0));
}

Test(reconcile_vf, the_state_gives_a_claim_its_vf_without_libvirt)
{
    struct reconcile_claim c = claim(C1, 2);

    held[4] = T;
    vfstate_set(state, vfs[4], T, C1, RP, 0);
    vfstate_set(state, vfs[2], T, C1, RP, 0); /* after a reboot: untyped */
    run(&c, 1, false);
    cr_assert(eq(sz, plan->n_keep, 1));
    assert_item(&plan->keep[0], vfs[4], C1, T);
    cr_assert(eq(sz, plan->n_create, 1));
    assert_item(&plan->create[0], vfs[2], C1, T);
}

Test(reconcile_vf, a_new_claim_never_takes_a_vf_an_older_claim_holds)
{
    /* C1 is first in the claims, but C2's VF (the lowest) is C2's */
    struct reconcile_claim c[] = { claim(C1, 1), claim(C2, 1) };

    vfstate_set(state, vfs[0], T, C2, RP, 0);
    vfstate_set(state, vfs[1], T, C3, RP, 0); /* C3 has no claim any more */
    run(c, 2, true);
    cr_assert(eq(sz, plan->n_create, 2));
    assert_item(&plan->create[0], vfs[0], C2, T);
    assert_item(&plan->create[1], vfs[1], C1, T);
}

Test(reconcile_vf, no_two_claims_get_one_vf_even_when_guests_share_it)
{
    struct reconcile_claim c[] = { claim(C1, 1), claim(C2, 1) };

    held[0] = T;
    guest(C1, vfs[0], NULL);
    guest(C2, vfs[0], NULL);
    run(c, 2, true);
    cr_assert(eq(sz, plan->n_keep, 1));
    assert_item(&plan->keep[0], vfs[0], C1, T);
    cr_assert(eq(sz, plan->n_create, 1));
    assert_item(&plan->create[0], vfs[1], C2, T);
}

Test(reconcile_vf, creates_stop_at_the_types_max_instances)
{
    struct reconcile_claim c = claim(C1, 3);

    max_instance = 4;
    held[0] = held[1] = T; /* two of four taken, by orphans */
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_create, 2));
    assert_item(&plan->create[0], vfs[2], C1, T);
    assert_item(&plan->create[1], vfs[3], C1, T);
    cr_assert(eq(sz, plan->n_errors, 1));
    ASSERT_STR(plan->errors[0].uuid, "");
    cr_assert(eq(str, plan->errors[0].parent, "0000:41:00.0"));
    ASSERT_STR(plan->errors[0].consumer, C1);
    cr_assert(ne(ptr, strstr(plan->errors[0].why, "no capacity left"), NULL));
    cr_assert(eq(sz, plan->n_orphans, 2));
}

Test(reconcile_vf, a_state_vf_retyped_by_someone_else_is_given_up)
{
    struct reconcile_claim c = claim(C1, 1);

    held[0] = T_OTHER;
    vfstate_set(state, vfs[0], T, C1, RP, 0);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_create, 1));
    assert_item(&plan->create[0], vfs[1], C1, T);
    cr_assert(eq(sz, plan->n_misplaced + plan->n_errors, 0));
}

Test(reconcile_vf, a_guests_vf_of_another_type_is_misplaced)
{
    struct reconcile_claim c = claim(C1, 1);

    held[2] = T_OTHER;
    guest(C1, vfs[2], NULL);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_misplaced, 1));
    assert_item(&plan->misplaced[0], vfs[2], C1, T_OTHER);
    cr_assert(ne(ptr, strstr(plan->misplaced[0].why, "claim is for " T), NULL));
    cr_assert(eq(sz, plan->n_create, 0));
}

Test(reconcile_vf, a_pinned_vf_the_driver_would_refuse_is_an_error_there)
{
    struct reconcile_claim c = claim(C1, 1);

    max_instance = 1;
    held[0] = T_OTHER; /* the GPU is full: no free VF lists anything */
    guest(C1, vfs[3], NULL);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_errors, 1));
    assert_item(&plan->errors[0], vfs[3], C1, T);
    cr_assert(ne(ptr, strstr(plan->errors[0].why, "cannot take " T), NULL));
}

Test(reconcile_vf, an_unowned_typed_vf_is_an_orphan_aged_by_the_state)
{
    held[0] = T;
    held[1] = T;
    vfstate_set(state, vfs[1], T, NULL, NULL, 1000);
    run(NULL, 0, true);
    cr_assert(eq(sz, plan->n_orphans, 2));
    assert_item(&plan->orphans[0], vfs[0], "", T);
    cr_assert(eq(i64, (long long)plan->orphans[0].since, 0));
    cr_assert(eq(i64, (long long)plan->orphans[1].since, 1000));
}

Test(reconcile_vf, without_the_guest_list_no_vf_is_an_orphan)
{
    held[0] = T;
    run(NULL, 0, false);
    cr_assert(eq(sz, plan->n_orphans, 0));
}

Test(reconcile_vf, a_claim_on_a_stale_provider_names_its_vfs)
{
    struct reconcile_claim c = claim(C1, 2);

    c.provider = NULL;
    snprintf(c.uuid, sizeof(c.uuid), RP_GONE);
    held[0] = T;
    vfstate_set(state, vfs[0], T, C1, RP_GONE, 0);
    vfstate_set(state, vfs[1], T, C1, RP_GONE, 0);
    run(&c, 1, true);
    cr_assert(eq(sz, plan->n_misplaced, 1));
    assert_item(&plan->misplaced[0], vfs[0], C1, T);
    cr_assert(eq(sz, plan->n_errors, 1));
    assert_item(&plan->errors[0], vfs[1], C1, T);
    cr_assert(
        ne(ptr, strstr(plan->errors[0].why, "no GPU on this host now"), NULL));
}

/* --- the state a plan leaves ---------------------------------------------- */

Test(reconcile_vf, the_next_state_holds_every_owned_vf_and_unremoved_orphan)
{
    struct reconcile_claim c = claim(C1, 2);
    struct reconcile_report rep = { 0 };
    struct reconcile_action removed = { .action = RECONCILE_REMOVE,
                                        .result = RECONCILE_OK };
    _cleanup_(vfstate_freep) struct vfstate *next = vfstate_new();

    held[0] = T; /* C1's */
    held[1] = T; /* an orphan, removed */
    held[2] = T; /* an orphan, seen before */
    guest(C1, vfs[0], NULL);
    vfstate_set(state, vfs[2], T, NULL, NULL, 500);
    run(&c, 1, true);
    snprintf(removed.uuid, sizeof(removed.uuid), "%s", vfs[1]);
    rep = (struct reconcile_report){ .v = &removed, .n = 1 };
    reconcile_next_state(plan, &rep, 7000, next);
    cr_assert(eq(sz, next->n, 3));
    ASSERT_STR(next->v[0].vf, vfs[0]);
    cr_assert(eq(str, next->v[0].consumer, C1));
    cr_assert(eq(str, next->v[0].provider, RP));
    ASSERT_STR(next->v[1].vf, vfs[2]);
    cr_assert(eq(str, next->v[1].consumer, ""));
    cr_assert(eq(i64, (long long)next->v[1].since, 500));
    ASSERT_STR(next->v[2].vf, vfs[3]); /* the new one */
    cr_assert(eq(str, next->v[2].consumer, C1));
}

Test(reconcile_vf, mdev_claims_leave_no_state)
{
    _cleanup_(vfstate_freep) struct vfstate *next = vfstate_new();
    struct reconcile_plan p = { 0 };
    struct reconcile_mdev m = { .mode = HOST_MODE_MDEV,
                                .uuid = "e55bf865-6983-4d53-967f-51e8a3bb0f57",
                                .consumer = C1,
                                .provider = RP,
                                .mdev_type = "nvidia-35" };

    p.keep = &m;
    p.n_keep = 1;
    reconcile_next_state(&p, NULL, 1, next);
    cr_assert(eq(sz, next->n, 0));
}
