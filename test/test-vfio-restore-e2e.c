/*
 * test-vfio-restore-e2e.c - end to end: a host reboot resets every VF's
 * type (the fake kernel's `reboot`), and `vgpu-agent restore` (what
 * vgpu-agent-restore.service runs at boot) brings every guest's VF back at
 * its old address: from the state file alone, and with Placement and
 * libvirt answering.  Set-up as in test-vfio-e2e (test/vfioe2e.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "vfioe2e.h"
#include "xalloc.h"

#define C1 "11111111-1111-4111-8111-111111111111" /* guest on 41:00.5 */
#define C2 "22222222-2222-4222-8222-222222222222" /* no guest yet */
#define C4 "44444444-4444-4444-8444-444444444444" /* shut off, 41:01.3 */

static struct vfioe2e e;

static void
teardown(void)
{
    vfioe2e_stop(&e);
}

TestSuite(vfio_restore_e2e, .fini = teardown, .timeout = 120);

static bool
has(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

static const char *const typed[] = { "0000:41:00.4", "0000:41:00.5",
                                     "0000:41:01.3", NULL };

/* C1 keeps its guest's 41:00.5, C4 gets its guest's 41:01.3, C2 the
 * lowest free VF, 41:00.4 (3 of the 4 A10-6Q).  Then the host reboots. */
static void
claim_and_reboot(const char *extra)
{
    vfioe2e_start(&e, "guests.xml", extra);
    vfioe2e_claim(&e, C1, 1);
    vfioe2e_claim(&e, C2, 1);
    vfioe2e_claim(&e, C4, 1);
    vfioe2e_reconcile(&e, NULL);
    cr_assert(eq(int, e.run.status, 0), "%s\n%s", e.run.out, e.run.err);
    for (size_t i = 0; typed[i]; i++)
        cr_assert(eq(u32, vfioe2e_current(&e, typed[i]), 594), "%s", typed[i]);
    vfioe2e_control(&e, "reboot");
    for (size_t i = 0; typed[i]; i++)
        cr_assert(eq(u32, vfioe2e_current(&e, typed[i]), 0), "%s", typed[i]);
}

static void
assert_all_back(void)
{
    for (size_t i = 0; typed[i]; i++)
        cr_assert(eq(u32, vfioe2e_current(&e, typed[i]), 594), "%s: %s",
                  typed[i], e.run.err);
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.6"), 0));
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.7"), 0));
}

Test(vfio_restore_e2e, after_a_reboot_every_vf_is_back_at_its_old_address)
{
    claim_and_reboot(NULL);
    vfioe2e_agent(&e, (const char *const[]){ "-v", "restore", NULL });
    cr_assert(eq(int, e.run.status, 0), "%s", e.run.err);
    assert_all_back();
    cr_assert(has(e.run.err, "restore: VF 0000:41:00.4: nvidia-594 for "
                             "consumer " C2),
              "%s", e.run.err);
    /* what the guests will be given is what they had */
    vfioe2e_agent(&e, (const char *const[]){ "devices", C2, NULL });
    cr_assert(eq(str, e.run.out, "0000:41:00.4 0000:41:00.4 nvidia-594\n"));
    /* and a reconcile pass finds nothing to do */
    vfioe2e_reconcile(&e, NULL);
    cr_assert(eq(int, vfioe2e_count(&e, "actions"), 0), "%s", e.run.out);
}

Test(vfio_restore_e2e, without_placement_the_state_file_is_enough)
{
    claim_and_reboot(NULL);
    placement_server_kill(e.srv);
    vfioe2e_agent(&e, (const char *const[]){ "restore", NULL });
    /* every VF back; the reconcile pass could not run: status 1 */
    assert_all_back();
    cr_assert(eq(int, e.run.status, 1), "%s", e.run.err);
    cr_assert(has(e.run.err, "restore: no reconcile pass"), "%s", e.run.err);
    vfioe2e_control(&e, "reboot");
    vfioe2e_agent(&e, (const char *const[]){ "restore", "--state-only", NULL });
    cr_assert(eq(int, e.run.status, 0), "%s", e.run.err);
    assert_all_back();
}

Test(vfio_restore_e2e, a_new_claim_after_the_reboot_never_takes_an_old_vf)
{
    claim_and_reboot(NULL);
    /* a scheduler claims before the restore ran: the lowest free VF is
     * C2's, reset by the reboot; the new claim must go past it */
    vfioe2e_claim(&e, "55555555-5555-4555-8555-555555555555", 1);
    vfioe2e_reconcile(&e, NULL);
    cr_assert(eq(int, e.run.status, 0), "%s", e.run.err);
    for (size_t i = 0; typed[i]; i++)
        cr_assert(eq(u32, vfioe2e_current(&e, typed[i]), 594), "%s", typed[i]);
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.6"), 594));
}

Test(vfio_restore_e2e, a_vf_the_driver_refuses_at_boot_is_an_error_naming_it)
{
    claim_and_reboot(NULL);
    /* before the restore, someone types an A10-24Q: the GPU is full */
    cr_assert(eq(int, vfioe2e_poke(&e, "0000:41:04.3", "597"), 0));
    vfioe2e_agent(&e, (const char *const[]){ "restore", "--state-only", NULL });
    cr_assert(eq(int, e.run.status, 1), "%s", e.run.err);
    cr_assert(has(e.run.err, "error: restore: nvidia-594 for consumer " C2
                             ": VF 0000:41:00.4: type nvidia-594: "),
              "%s", e.run.err);
    cr_assert(has(e.run.err, "Input/output error (the driver refused"), "%s",
              e.run.err);
    cr_assert(eq(u32, vfioe2e_current(&e, "0000:41:00.4"), 0));
}

/* The boot unit's journal says what it did without -v: each VF typed
 * again, then the count; as JSON, events a script can select. */
Test(vfio_restore_e2e, restore_says_what_it_did_at_the_default_level)
{
    claim_and_reboot(NULL);
    vfioe2e_agent(&e, (const char *const[]){ "restore", NULL });
    cr_assert(eq(int, e.run.status, 0), "%s", e.run.err);
    assert_all_back();
    cr_assert(has(e.run.err, "vgpu-agent: notice: restore: VF 0000:41:00.4: "
                             "nvidia-594 for consumer " C2 "\n"),
              "%s", e.run.err);
    cr_assert(has(e.run.err, "vgpu-agent: notice: restore: 3 VF(s) typed "
                             "again from the state file, 0 failed; "
                             "reconcile pass done\n"),
              "%s", e.run.err);
    vfioe2e_control(&e, "reboot");
    vfioe2e_agent(&e, (const char *const[]){ "--log-format", "json", "restore",
                                             "--state-only", NULL });
    cr_assert(eq(int, e.run.status, 0), "%s", e.run.err);
    cr_assert(has(e.run.err, "\"level\":\"notice\",\"msg\":\"restore: VF "
                             "0000:41:01.3: nvidia-594 for consumer " C4
                             "\",\"event\":\"mdev_created\",\"gpu\":"
                             "\"0000:41:00.0\",\"consumer\":\"" C4
                             "\",\"device\":\"0000:41:01.3\"}"),
              "%s", e.run.err);
}

/* A VF the driver refuses is an mdev_failed event naming VF and consumer. */
Test(vfio_restore_e2e, a_refused_vf_is_a_failed_event_with_its_fields)
{
    claim_and_reboot(NULL);
    cr_assert(eq(int, vfioe2e_poke(&e, "0000:41:04.3", "597"), 0));
    vfioe2e_agent(&e, (const char *const[]){ "--log-format", "json", "restore",
                                             "--state-only", NULL });
    cr_assert(eq(int, e.run.status, 1), "%s", e.run.err);
    cr_assert(has(e.run.err, "\"event\":\"mdev_failed\",\"gpu\":"
                             "\"0000:41:00.0\",\"consumer\":\"" C2
                             "\",\"device\":\"0000:41:00.4\",\"errno\":5}"),
              "%s", e.run.err);
}
