/*
 * test-reconcile-e2e.c - end to end: `vgpu-agent reconcile` with every part
 * real, meeting the claims.
 *
 * Each test runs a live fake kernel of a sample host, Debian's Placement,
 * and libvirt's test driver for the guests (test/reconcile-host.h).  The
 * agent binary syncs first so the providers exist; the test then claims
 * vGPUs as a scheduler would (PUT /allocations at 1.39) and runs
 * `reconcile --format json`, checking its report, the fake kernel and the
 * mdevctl directory.  What it does with mdevs no claim explains:
 * test-reconcile-orphans.c; the planning rules one by one: test-reconcile.c.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "reconcile-host.h"
#include "xalloc.h"

TestSuite(reconcile_e2e, .init = rh_setup, .fini = rh_teardown);

/* One PUT of claim_at_once(), sent from a thread of its own.  Its status
 * and answer are checked after the join, in the test's thread (only a
 * transport failure, no answer at all, makes placement_server_call()
 * assert in the thread itself). */
struct racing_claim {
    const char *consumer, *rp;
    pthread_barrier_t *go;
    long status;
    char *resp;
};

static void *
send_claim(void *arg)
{
    struct racing_claim *c = arg;
    _cleanup_free_ char *path = xasprintf("/allocations/%s", c->consumer);
    _cleanup_free_ char *body = rh_claim_body(c->rp, 1);

    pthread_barrier_wait(c->go);
    c->resp = placement_server_call(rh.srv, "PUT", path, body, &c->status);
    return NULL;
}

/* a and b take 1 VGPU of rp each at the same moment, as two schedulers
 * racing for one GPU would: both PUTs leave together from a barrier. */
static void
claim_at_once(const char *a, const char *b, const char *rp)
{
    pthread_barrier_t go;
    struct racing_claim c[2] = { { .consumer = a, .rp = rp, .go = &go },
                                 { .consumer = b, .rp = rp, .go = &go } };
    pthread_t t[2];

    cr_assert(eq(int, pthread_barrier_init(&go, NULL, 2), 0));
    for (size_t i = 0; i < 2; i++)
        cr_assert(eq(int, pthread_create(&t[i], NULL, send_claim, &c[i]), 0));
    for (size_t i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    for (size_t i = 0; i < 2; i++) {
        _cleanup_free_ char *resp = c[i].resp;

        cr_assert(eq(long, c[i].status, 204), "PUT /allocations/%s: %s",
                  c[i].consumer, resp);
    }
}

/* The VGPU units of provider rp that Placement counts as used (-1: none). */
static int
vgpus_used(const char *rp)
{
    _cleanup_free_ char *path = xasprintf("/resource_providers/%s/usages", rp);
    cJSON *j = placement_server_get_json(rh.srv, path);
    const cJSON *n =
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "usages"), "VGPU");
    int ret = cJSON_IsNumber(n) ? n->valueint : -1;

    cJSON_Delete(j);
    return ret;
}

Test(reconcile_e2e, a_reboot_recreates_the_guests_mdevs_on_the_claimed_gpus)
{
    rh_start_m60("reboot.xml", NULL);
    rh_claim(C1, RP_3E, 1);
    rh_claim(C2, RP_3D, 2);
    cr_assert(eq(int, rh_count_mdevs(), 0), "a rebooted host has no mdevs");
    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    rh_assert_action("create", M_A, GPU_3E, C1, "ok");
    rh_assert_action("create", M_B1, GPU_3D, C2, "ok");
    rh_assert_action("create", M_B2, GPU_3D, C2, "ok");
    cr_assert(eq(int, rh_count_actions("create"), 3), "%s", rh.run.out);
    cr_assert(eq(str, rh_field(rh_entry("actions", M_A, "create"), "provider"),
                 RP_3E));
    rh_assert_mdev(M_A, PATH_3E, "nvidia-18");
    rh_assert_mdev(M_B1, PATH_3D, "nvidia-11");
    rh_assert_mdev(M_B2, PATH_3D, "nvidia-11");
    cr_assert(eq(int, rh_count_mdevs(), 3));
    cr_assert(eq(int,
                 rh_count("misplaced") + rh_count("unaccounted") +
                     rh_count("orphans") + rh_count("errors"),
                 0),
              "%s", rh.run.out);
}

Test(reconcile_e2e, a_fresh_claim_without_a_guest_gets_deterministic_uuids)
{
    rh_start_m60("no-guests.xml", NULL);
    rh_claim(C3, RP_3E, 2);
    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    rh_assert_action("create", C3_3E_0, GPU_3E, C3, "ok");
    rh_assert_action("create", C3_3E_1, GPU_3E, C3, "ok");
    cr_assert(eq(int, rh_count_actions("create"), 2), "%s", rh.run.out);
    rh_assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");
    rh_assert_mdev(C3_3E_1, PATH_3E, "nvidia-18");

    /* `mdevs` names the same ones, so whatever builds the guest uses them */
    rh_agent((const char *const[]){ "mdevs", C3, NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s", rh.run.err);
    cr_assert(ne(ptr, strstr(rh.run.out, C3_3E_0), NULL), "%s", rh.run.out);
    cr_assert(ne(ptr, strstr(rh.run.out, C3_3E_1), NULL), "%s", rh.run.out);
}

Test(reconcile_e2e, an_sriov_claim_lands_on_the_first_vf_with_room)
{
    rh_start("hosts/a100-sriov.yaml", "dump/a100-sriov.conf.yaml",
             "no-guests.xml", NULL);
    rh_assert_provider("compute-a100_pci_0000_41_00_0", RP_A100);
    rh_claim(C1, RP_A100, 1);
    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    /* 41:00.4 is full (one mdev per VF): the next VF in address order */
    rh_assert_action("create", C1_A100_0, "0000:41:00.5", C1, "ok");
    rh_assert_mdev(C1_A100_0, PATH_VF5, "nvidia-470");
    rh_assert_defined("0000:41:00.5", C1_A100_0, "nvidia-470");
    /* the host's unclaimed mdev is an orphan, reported and kept */
    cr_assert(rh_entry("orphans", A100_MDEV, NULL) != NULL, "%s", rh.run.out);
    rh_assert_mdev(A100_MDEV, "devices/pci0000:40/0000:40:01.1/0000:41:00.4",
                   "nvidia-470");
}

/* vm-c (C3) runs with the mdev its claim owns.  Then it is rescued, its XML
 * without the mdev, and at that moment two new consumers claim the same
 * GPU at once: the old trap of finding a "free" mdev by scanning guests.
 * Each claim owns its own UUIDs, so nobody gets vm-c's mdev, and it is no
 * orphan either, even with removal asked and no grace: C3's claim still
 * expects it. */
Test(reconcile_e2e, two_claims_racing_for_a_gpu_during_a_rescue_share_no_mdev)
{
    const char *const remove[] = { "--remove-orphans", NULL };

    rh_start_m60("rescue-before.xml", "  orphan_grace_s: 0\n");
    rh_claim(C3, RP_3E, 1);
    rh_reconcile(remove);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    rh_assert_action("create", C3_3E_0, GPU_3E, C3, "ok");
    rh_assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");

    /* the rescue: no XML the agent can read names vm-c's mdev now */
    rh_switch_guests("rescue.xml", "  orphan_grace_s: 0\n");
    claim_at_once(C4, C5, RP_3E);
    cr_assert(eq(int, vgpus_used(RP_3E), 3), "C3's claim and both new ones");
    rh_reconcile(remove);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    rh_assert_action("create", C4_3E_0, GPU_3E, C4, "ok");
    rh_assert_action("create", C5_3E_0, GPU_3E, C5, "ok");
    cr_assert(eq(int, rh_count_actions("create"), 2), "%s", rh.run.out);
    cr_assert(eq(int, rh_count_actions("remove"), 0), "%s", rh.run.out);
    cr_assert(rh_entry("orphans", C3_3E_0, NULL) == NULL, "%s", rh.run.out);
    cr_assert(eq(int,
                 rh_count("misplaced") + rh_count("unaccounted") +
                     rh_count("orphans") + rh_count("errors"),
                 0),
              "%s", rh.run.out);
    rh_assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");
    rh_assert_mdev(C4_3E_0, PATH_3E, "nvidia-18");
    rh_assert_mdev(C5_3E_0, PATH_3E, "nvidia-18");
    cr_assert(eq(int, rh_count_mdevs(), 3), "one mdev per claim, none shared");
    rh_assert_defined(GPU_3E, C3_3E_0, "nvidia-18");

    /* whatever builds the new guests is handed their own mdev, not vm-c's */
    rh_agent((const char *const[]){ "mdevs", C4, NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s", rh.run.err);
    cr_assert(ne(ptr, strstr(rh.run.out, C4_3E_0), NULL), "%s", rh.run.out);
    cr_assert(eq(ptr, strstr(rh.run.out, C3_3E_0), NULL), "%s", rh.run.out);
    rh_agent((const char *const[]){ "mdevs", C5, NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s", rh.run.err);
    cr_assert(ne(ptr, strstr(rh.run.out, C5_3E_0), NULL), "%s", rh.run.out);
    cr_assert(eq(ptr, strstr(rh.run.out, C3_3E_0), NULL), "%s", rh.run.out);

    /* the rescue ends: vm-c's mdev is where its XML says, nothing to do */
    rh_switch_guests("rescue-before.xml", "  orphan_grace_s: 0\n");
    rh_reconcile(remove);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(eq(int,
                 rh_count("actions") + rh_count("misplaced") +
                     rh_count("unaccounted") + rh_count("orphans") +
                     rh_count("errors"),
                 0),
              "%s", rh.run.out);
    cr_assert(eq(int, rh_count_mdevs(), 3));
}

Test(reconcile_e2e, exhausted_capacity_is_an_error_naming_the_consumer)
{
    const cJSON *e;

    rh_start("reconcile/shared-gpu.yaml", "reconcile/shared-gpu.conf.yaml",
             "no-guests.xml", NULL);
    rh_assert_provider("compute-shared_pci_0000_00_02_0", RP_SHARED);
    /* half the pool goes to another type: V5_8 has room for 2 of its 4 */
    rh_kernel_create(GPU_SHARED, "i915-GVTg_V5_4", M_ORPHAN);
    rh_claim(C3, RP_SHARED, 3); /* Placement still counts 4 */
    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 1), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(eq(int, rh_count("errors"), 1), "%s", rh.run.out);
    e = rh_entry("errors", C3_SH_2, NULL);
    cr_assert(e != NULL, "%s", rh.run.out);
    cr_assert(eq(str, rh_field(e, "consumer"), C3));
    cr_assert(eq(str, rh_field(e, "provider"), RP_SHARED));
    cr_assert(eq(str, rh_field(e, "parent"), GPU_SHARED));
    cr_assert(ne(ptr, strstr(rh_field(e, "why"), "no capacity"), NULL), "%s",
              rh_field(e, "why"));
    rh_assert_no_mdev(C3_SH_2);
    /* the rest is still done */
    rh_assert_action("create", C3_SH_0, GPU_SHARED, C3, "ok");
    rh_assert_action("create", C3_SH_1, GPU_SHARED, C3, "ok");
    rh_assert_mdev(C3_SH_0, PATH_SHARED, "i915-GVTg_V5_8");
    rh_assert_mdev(C3_SH_1, PATH_SHARED, "i915-GVTg_V5_8");
    /* another type is not ours to call an orphan */
    cr_assert(eq(int, rh_count("orphans"), 0), "%s", rh.run.out);
}

/* A time-sliced GPU running another type has no room for its configured
 * one, so the tree drops its provider; Placement keeps it (sync drains it)
 * with the claim on it.  That claim cannot be met: an error, not silence. */
Test(reconcile_e2e, a_claim_on_a_gpu_with_no_room_left_for_its_type_is_an_error)
{
    const cJSON *e;

    rh_start_m60("no-guests.xml", NULL);
    rh_claim(C3, RP_3E, 2);
    rh_claim(C2, RP_3D, 1);
    rh_kernel_create(GPU_3E, "nvidia-12", M_ORPHAN); /* homogeneous: 3e full */
    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 1), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(eq(int, rh_count("errors"), 2), "%s", rh.run.out);
    e = rh_entry("errors", C3_3E_0, NULL);
    cr_assert(e != NULL, "%s", rh.run.out);
    cr_assert(eq(str, rh_field(e, "consumer"), C3));
    cr_assert(eq(str, rh_field(e, "provider"), RP_3E));
    cr_assert(ne(ptr, strstr(rh_field(e, "why"), "no capacity"), NULL), "%s",
              rh_field(e, "why"));
    cr_assert(rh_entry("errors", C3_3E_1, NULL) != NULL, "%s", rh.run.out);
    rh_assert_no_mdev(C3_3E_0);
    rh_assert_action("create", C2_3D_0, GPU_3D, C2, "ok");
    rh_assert_mdev(C2_3D_0, PATH_3D, "nvidia-11");
}

Test(reconcile_e2e, a_second_pass_right_after_a_successful_one_plans_nothing)
{
    rh_start_m60("reboot.xml", NULL);
    rh_claim(C1, RP_3E, 1);
    rh_claim(C2, RP_3D, 2);
    rh_claim(C3, RP_3E, 2);
    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(eq(int, rh_count_actions("create"), 5), "%s", rh.run.out);
    cr_assert(eq(int, rh_count_actions("persist"), 5), "%s", rh.run.out);
    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(eq(int, rh_count("actions"), 0), "%s", rh.run.out);
    cr_assert(eq(int,
                 rh_count("misplaced") + rh_count("unaccounted") +
                     rh_count("orphans") + rh_count("errors"),
                 0),
              "%s", rh.run.out);
    cr_assert(eq(int, rh_count_mdevs(), 5));
    /* the text format says so too */
    rh_agent((const char *const[]){ "reconcile", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s", rh.run.err);
    cr_assert(ne(ptr, strstr(rh.run.out, "nothing to do: 5 mdev(s)"), NULL),
              "%s", rh.run.out);
}

Test(reconcile_e2e, created_mdevs_get_mdevctl_definitions_in_its_exact_format)
{
    _cleanup_free_ char *dir = rh_mdevctl_dir();
    _cleanup_free_ char *file = xasprintf("%s/%s/%s", dir, GPU_3E, M_A);
    _cleanup_free_ char *pdir = xasprintf("%s/%s", dir, GPU_3E);
    struct stat st;

    rh_start_m60("reboot.xml", NULL);
    rh_claim(C1, RP_3E, 1);
    rh_claim(C2, RP_3D, 2);
    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    rh_assert_action("persist", M_A, GPU_3E, C1, "ok");
    rh_assert_action("persist", M_B1, GPU_3D, C2, "ok");
    rh_assert_action("persist", M_B2, GPU_3D, C2, "ok");
    rh_assert_defined(GPU_3E, M_A, "nvidia-18");
    rh_assert_defined(GPU_3D, M_B1, "nvidia-11");
    rh_assert_defined(GPU_3D, M_B2, "nvidia-11");
    cr_assert(eq(int, stat(file, &st), 0));
    cr_assert(eq(int, (int)(st.st_mode & 07777), 0644));
    cr_assert(eq(int, stat(pdir, &st), 0));
    cr_assert(eq(int, (int)(st.st_mode & 07777), 0755));
}

Test(reconcile_e2e, run_reconciles_after_each_sync_reading_only_what_moved)
{
    struct agentproc *p; /* rh.env's, stopped with it */

    rh_start_m60("no-guests.xml", NULL);
    /* top level, after the reconcile section rh_write_conf() opens */
    rh_write_conf("interval_s: 1\n");
    p = agentenv_start(&rh.env, NULL);
    cr_assert(agentproc_wait_for(p, "pass done", 2, 15000), "%s",
              agentproc_err(p));
    rh_claim(C2, RP_3D, 1); /* a scheduler claims: the generation moves */
    cr_assert(agentproc_wait_for(p, "reconcile: create " C2_3D_0, 1, 15000),
              "%s", agentproc_err(p));
    rh_assert_mdev(C2_3D_0, PATH_3D, "nvidia-11");
    cr_assert(agentproc_wait_for(p, "pass done", 6, 15000), "%s",
              agentproc_err(p));
    cr_assert(eq(u32, agentproc_count(p, "reconcile: create"), 1),
              "later passes plan nothing: %s", agentproc_err(p));
    cr_assert(ne(ptr, strstr(agentproc_err(p), "0 deleted; 1 requests"), NULL),
              "an unchanged pass still costs one request: %s",
              agentproc_err(p));
    agentproc_signal(p, SIGTERM);
    cr_assert(eq(int, agentproc_wait(p, 2000), 0));
}
