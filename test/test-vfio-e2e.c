/*
 * test-vfio-e2e.c - end to end on NVIDIA's vendor-specific VFIO mode: the
 * A10 sample host on the live fake kernel (its driver's rules and errnos),
 * Debian's Placement, libvirt's test driver, the fake NVML, and the agent
 * binary: sync reports the A10, claims become typed VFs, `devices` prints
 * them as the guest needs them, orphans are reserved and reset only when
 * free.  The reboot and the restore are in test-vfio-restore-e2e.
 *
 * The A10 (data/hosts/a10-vfio.yaml): 32 VFs 41:00.4 ... 41:04.3, an
 * A10-6Q (nvidia-594, 4 per GPU) on 41:00.5, which guest C1 of
 * test/data/vfio/guests.xml uses.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "vfioe2e.h"
#include "xalloc.h"

#define C1 "11111111-1111-4111-8111-111111111111"
#define C2 "22222222-2222-4222-8222-222222222222"
#define C3 "33333333-3333-4333-8333-333333333333"
#define C4 "44444444-4444-4444-8444-444444444444" /* shut off, 41:01.3 */

static struct vfioe2e e;

static void
teardown(void)
{
    vfioe2e_stop(&e);
}

TestSuite(vfio_e2e, .fini = teardown, .timeout = 120);

static bool
has(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

/* eq(str, ...) takes no const strings */
#define ASSERT_STR(a, b)                                                       \
    cr_assert(strcmp((a), (b)) == 0, "\"%s\" is not \"%s\"", (a), (b))

static void
assert_action(const char *action, const char *vf, const char *consumer,
              const char *result)
{
    const cJSON *x = vfioe2e_entry(&e, "actions", vf, action);

    cr_assert(x != NULL, "no %s of %s in: %s", action, vf, e.run.out);
    ASSERT_STR(vfioe2e_field(x, "parent"), vf);
    ASSERT_STR(vfioe2e_field(x, "mdev_type"), "nvidia-594");
    ASSERT_STR(vfioe2e_field(x, "result"), result);
    if (consumer)
        ASSERT_STR(vfioe2e_field(x, "consumer"), consumer);
}

Test(vfio_e2e, sync_reports_the_a10_with_nvmls_max_instances)
{
    _cleanup_free_ char *path = NULL, *traits = NULL;
    cJSON *j;
    const cJSON *vgpu;

    vfioe2e_start(&e, "guests.xml", NULL);
    path = xasprintf("/resource_providers/%s/inventories", e.rp);
    j = placement_server_get_json(e.srv, path);
    vgpu = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "inventories"), "VGPU");
    /* min(1 existing + 31 free VFs listing it, 4) */
    cr_assert(eq(int, cJSON_GetObjectItem(vgpu, "total")->valueint, 4));
    cJSON_Delete(j);
    path = (free(path), xasprintf("/resource_providers/%s/traits", e.rp));
    j = placement_server_get_json(e.srv, path);
    traits = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    cr_assert(has(traits, "CUSTOM_NVIDIA_594"), "%s", traits);
}

Test(vfio_e2e, claims_become_typed_vfs_the_lowest_free_first)
{
    _cleanup_free_ char *state = NULL;

    vfioe2e_start(&e, "guests.xml", NULL);
    vfioe2e_claim(&e, C1, 1);
    vfioe2e_claim(&e, C2, 2);
    vfioe2e_reconcile(&e, NULL);
    cr_assert(eq(int, e.run.status, 0), "%s", e.run.err);
    /* C1's guest keeps its VF; C2 gets the lowest two free ones */
    cr_assert(vfioe2e_entry(&e, "actions", "0000:41:00.5", NULL) == NULL);
    assert_action("create", "0000:41:00.4", C2, "ok");
    assert_action("create", "0000:41:00.6", C2, "ok");
    cr_assert(eq(int, vfioe2e_count(&e, "actions"), 2), "%s", e.run.out);
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.4"), 594));
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.5"), 594));
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.6"), 594));
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.7"), 0));
    state = vfioe2e_state(&e);
    cr_assert(has(state, "\"0000:41:00.4\""), "%s", state);
    cr_assert(has(state, "\"consumer\":\t\"" C2 "\""), "%s", state);
    cr_assert(has(state, "\"consumer\":\t\"" C1 "\""), "%s", state);
    /* a second pass (a restarted agent) finds every VF in place */
    vfioe2e_reconcile(&e, NULL);
    cr_assert(eq(int, e.run.status, 0), "%s", e.run.err);
    cr_assert(eq(int, vfioe2e_count(&e, "actions"), 0), "%s", e.run.out);
}

Test(vfio_e2e, devices_prints_the_unmanaged_pci_hostdev_of_each_vf)
{
    vfioe2e_start(&e, "guests.xml", NULL);
    vfioe2e_claim(&e, C2, 2);
    vfioe2e_reconcile(&e, NULL);
    vfioe2e_agent(
        &e, (const char *const[]){ "devices", C2, "--format", "xml", NULL });
    cr_assert(eq(int, e.run.status, 0), "%s", e.run.err);
    cr_assert(eq(str, e.run.out,
                 "<hostdev mode='subsystem' type='pci' managed='no'>\n"
                 "  <driver name='vfio'/>\n"
                 "  <source><address domain='0x0000' bus='0x41' "
                 "slot='0x00' function='0x4'/></source>\n"
                 "</hostdev>\n"
                 "<hostdev mode='subsystem' type='pci' managed='no'>\n"
                 "  <driver name='vfio'/>\n"
                 "  <source><address domain='0x0000' bus='0x41' "
                 "slot='0x00' function='0x6'/></source>\n"
                 "</hostdev>\n"));
    /* the old name and the text format */
    vfioe2e_agent(&e, (const char *const[]){ "mdevs", C2, NULL });
    cr_assert(eq(str, e.run.out,
                 "0000:41:00.4 0000:41:00.4 nvidia-594\n"
                 "0000:41:00.6 0000:41:00.6 nvidia-594\n"));
}

Test(vfio_e2e, a_claim_beyond_what_the_driver_allows_is_reported_unmet)
{
    vfioe2e_start(&e, "guests.xml", NULL);
    vfioe2e_claim(&e, C2, 3);
    /* an A10-6Q typed by hand meanwhile: the GPU holds 2 of 4 */
    cr_assert(eq(int, vfioe2e_poke(&e, "0000:41:04.3", "594"), 0));
    vfioe2e_reconcile(&e, NULL);
    cr_assert(eq(int, e.run.status, 1), "%s", e.run.err);
    assert_action("create", "0000:41:00.4", C2, "ok");
    assert_action("create", "0000:41:00.6", C2, "ok");
    cr_assert(eq(int, vfioe2e_count(&e, "errors"), 1), "%s", e.run.out);
    cr_assert(has(e.run.out, "no capacity left for nvidia-594 on "
                             "0000:41:00.0"),
              "%s", e.run.out);
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.7"), 0));
}

Test(vfio_e2e, a_vf_the_driver_refuses_is_logged_with_vf_type_and_consumer)
{
    /* C4's shut-off guest names 41:01.3, untyped; three A10-6Q typed by
     * hand fill the GPU (4 of 4): no VF lists the type any more */
    vfioe2e_start(&e, "guests.xml", NULL);
    vfioe2e_claim(&e, C4, 1);
    cr_assert(eq(int, vfioe2e_poke(&e, "0000:41:02.0", "594"), 0));
    cr_assert(eq(int, vfioe2e_poke(&e, "0000:41:02.1", "594"), 0));
    cr_assert(eq(int, vfioe2e_poke(&e, "0000:41:02.2", "594"), 0));
    vfioe2e_agent(&e, (const char *const[]){ "run", "--passes", "1", NULL });
    cr_assert(has(e.run.err,
                  "error: reconcile: the claim of consumer " C4
                  " cannot be met: VF 0000:41:01.3: VF 0000:41:01.3 cannot "
                  "take nvidia-594 now"),
              "%s", e.run.err);
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:01.3"), 0));
}

Test(vfio_e2e, an_orphan_vf_stays_typed_until_orphan_removal_is_asked)
{
    vfioe2e_start(&e, "guests.xml", "reconcile:\n  orphan_grace_s: 0\n");
    /* typed by hand: no claim, no guest */
    cr_assert(eq(int, vfioe2e_poke(&e, "0000:41:01.0", "594"), 0));
    vfioe2e_claim(&e, C1, 1);
    vfioe2e_reconcile(&e, NULL);
    cr_assert(eq(int, vfioe2e_count(&e, "orphans"), 1), "%s", e.run.out);
    cr_assert(vfioe2e_entry(&e, "orphans", "0000:41:01.0", NULL) != NULL);
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:01.0"), 594));
    vfioe2e_reconcile(&e, (const char *const[]){ "--remove-orphans", NULL });
    assert_action("remove", "0000:41:01.0", NULL, "ok");
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:01.0"), 0));
    /* C1's VF is its guest's: never an orphan */
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.5"), 594));
}

Test(vfio_e2e, an_orphan_vf_a_process_holds_is_retried_at_later_passes)
{
    const cJSON *x;

    vfioe2e_start(&e, "guests.xml", "reconcile:\n  orphan_grace_s: 0\n");
    cr_assert(eq(int, vfioe2e_poke(&e, "0000:41:01.0", "594"), 0));
    vfioe2e_control(&e, "hold 0000:41:01.0");
    vfioe2e_reconcile(&e, (const char *const[]){ "--remove-orphans", NULL });
    x = vfioe2e_entry(&e, "actions", "0000:41:01.0", "remove");
    cr_assert(x != NULL, "%s", e.run.out);
    cr_assert(has(vfioe2e_field(x, "result"), "its VFIO device is open"), "%s",
              vfioe2e_field(x, "result"));
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:01.0"), 594));
    vfioe2e_control(&e, "release 0000:41:01.0");
    vfioe2e_reconcile(&e, (const char *const[]){ "--remove-orphans", NULL });
    assert_action("remove", "0000:41:01.0", NULL, "ok");
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:01.0"), 0));
}

/* The A10 provider's VGPU reserved in Placement. */
static int
vgpu_reserved(void)
{
    _cleanup_free_ char *path =
        xasprintf("/resource_providers/%s/inventories", e.rp);
    cJSON *j = placement_server_get_json(e.srv, path);
    const cJSON *r = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "inventories"), "VGPU"),
        "reserved");
    int n = cJSON_IsNumber(r) ? r->valueint : -1;

    cJSON_Delete(j);
    return n;
}

Test(vfio_e2e, a_released_claims_vf_becomes_an_orphan_and_is_reserved)
{
    int held; /* what the host already holds back: guests' VFs no claim owns */

    vfioe2e_start(&e, "guests.xml", NULL);
    held = vgpu_reserved();
    vfioe2e_claim(&e, C3, 1);
    vfioe2e_reconcile(&e, NULL);
    assert_action("create", "0000:41:00.4", C3, "ok");
    vfioe2e_unclaim(&e, C3);
    vfioe2e_claim(&e, C2, 1);
    vfioe2e_reconcile(&e, NULL);
    /* C3's VF is nobody's now, but keeps its type: a new claim takes
     * another VF, not this one */
    cr_assert(vfioe2e_entry(&e, "orphans", "0000:41:00.4", NULL) != NULL, "%s",
              e.run.out);
    assert_action("create", "0000:41:00.6", C2, "ok");
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.4"), 594));
    /* and Placement holds it back from the next sync on */
    vfioe2e_agent(&e, (const char *const[]){ "sync", NULL });
    cr_assert(eq(int, e.run.status, 0), "%s", e.run.err);
    cr_assert(eq(int, vgpu_reserved(), held + 1), "%s", e.run.err);
}

/* show names a VF once: it is its own function, so "0000:41:00.4 present",
 * not "0000:41:00.4 present on 0000:41:00.4". */
Test(vfio_e2e, show_names_each_vf_once)
{
    vfioe2e_start(&e, "guests.xml", NULL);
    vfioe2e_claim(&e, C1, 1);
    vfioe2e_claim(&e, C2, 1);
    cr_assert(eq(int, vfioe2e_poke(&e, "0000:41:01.0", "594"), 0));
    vfioe2e_agent(&e, (const char *const[]){ "show", NULL });
    cr_assert(eq(int, e.run.status, 1), "%s\n%s", e.run.out, e.run.err);
    cr_assert(has(e.run.out, "  consumer " C1 ": 1 unit(s)\n"
                             "    0000:41:00.5 present\n"),
              "%s", e.run.out);
    cr_assert(has(e.run.out, "    0000:41:00.4 missing, to be made\n"), "%s",
              e.run.out);
    cr_assert(has(e.run.out, "orphan 0000:41:01.0 (nvidia-594)\n"), "%s",
              e.run.out);
    cr_assert(has(e.run.out, "  - orphan 0000:41:01.0 (nvidia-594): no "
                             "claim, no guest"),
              "%s", e.run.out);
}
