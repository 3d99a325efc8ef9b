/*
 * test-reconcile-orphans.c - end to end: what `vgpu-agent reconcile` does
 * with mdevs that no claim explains, with every part real.
 *
 * A guest's mdev on the other GPU (misplaced), a guest's mdev without a
 * claim (unaccounted), an mdev of nobody (an orphan: kept until removal is
 * asked and its grace is over), a dry run, libvirt unreachable.  Each test
 * runs a live fake kernel of a sample host, Debian's Placement, and
 * libvirt's test driver for the guests (test/reconcile-host.h), claims as
 * a scheduler would, and checks the report of `reconcile --format json`,
 * the fake kernel and the mdevctl directory.  Meeting the claims:
 * test-reconcile-e2e.c.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "reconcile-host.h"
#include "xalloc.h"

TestSuite(reconcile_e2e, .init = rh_setup, .fini = rh_teardown);

Test(reconcile_e2e, a_guests_mdev_on_the_other_gpu_is_misplaced_and_untouched)
{
    const cJSON *e;

    rh_start_m60("one-guest.xml", NULL);
    rh_kernel_create(GPU_3D, "nvidia-11", M_A);
    rh_claim(C1, RP_3E, 1);
    rh_reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, rh.run.status, 1), "%s\n%s", rh.run.out, rh.run.err);
    e = rh_entry("misplaced", M_A, NULL);
    cr_assert(e != NULL, "%s", rh.run.out);
    cr_assert(eq(str, rh_field(e, "consumer"), C1));
    cr_assert(eq(str, rh_field(e, "parent"), GPU_3D));
    cr_assert(eq(int, rh_count("actions"), 0), "touch nothing: %s", rh.run.out);
    cr_assert(eq(int, rh_count("orphans"), 0), "%s", rh.run.out);
    rh_assert_mdev(M_A, PATH_3D, "nvidia-11");
    cr_assert(eq(int, rh_count_mdevs(), 1));
}

Test(reconcile_e2e, a_guests_mdev_without_a_claim_is_unaccounted)
{
    const cJSON *e;

    rh_start_m60("one-guest.xml", "  orphan_grace_s: 0\n");
    rh_kernel_create(GPU_3E, "nvidia-18", M_A);
    rh_reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, rh.run.status, 0), "Placement's to fix: %s\n%s",
              rh.run.out, rh.run.err);
    e = rh_entry("unaccounted", M_A, NULL);
    cr_assert(e != NULL, "%s", rh.run.out);
    cr_assert(eq(str, rh_field(e, "consumer"), C1));
    cr_assert(eq(str, rh_field(e, "parent"), GPU_3E));
    cr_assert(eq(int, rh_count("orphans"), 0), "a guest's mdev: %s",
              rh.run.out);
    cr_assert(eq(int, rh_count("actions"), 0), "%s", rh.run.out);
    rh_assert_mdev(M_A, PATH_3E, "nvidia-18");
}

Test(reconcile_e2e, an_orphan_is_kept_until_removal_is_asked_and_grace_is_over)
{
    _cleanup_free_ char *def = NULL;
    _cleanup_free_ char *dir = rh_mdevctl_dir();
    _cleanup_free_ char *pdir = xasprintf("%s/%s", dir, GPU_3E);
    _cleanup_free_ char *path = xasprintf("%s/%s", pdir, M_ORPHAN);
    _cleanup_free_ char *text = rh_mdevctl_text("nvidia-18");
    FILE *f;

    rh_start_m60("one-guest.xml", NULL);
    rh_kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    rh_kernel_create(GPU_3E, "nvidia-18", M_A); /* vm-a's, unclaimed */
    cr_assert(eq(int, mkdir(dir, 0755), 0));
    cr_assert(eq(int, mkdir(pdir, 0755), 0));
    f = fopen(path, "we");
    cr_assert(f != NULL);
    fputs(text, f);
    fclose(f);

    /* reported, kept: not asked */
    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(rh_entry("orphans", M_ORPHAN, NULL) != NULL, "%s", rh.run.out);
    cr_assert(eq(int, rh_count("orphans"), 1), "%s", rh.run.out);
    cr_assert(eq(int, rh_count("actions"), 0), "%s", rh.run.out);
    rh_assert_mdev(M_ORPHAN, PATH_3E, "nvidia-18");

    /* asked, but younger than the default orphan_grace_s (300 s) */
    rh_reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(eq(int, rh_count("actions"), 0), "%s", rh.run.out);
    rh_assert_mdev(M_ORPHAN, PATH_3E, "nvidia-18");

    /* asked, no grace: gone from the kernel and from mdevctl; vm-a's stays */
    rh_write_conf("  orphan_grace_s: 0\n");
    rh_reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    rh_assert_action("remove", M_ORPHAN, GPU_3E, NULL, "ok");
    rh_assert_action("unpersist", M_ORPHAN, GPU_3E, NULL, "ok");
    cr_assert(eq(int, rh_count("actions"), 2), "%s", rh.run.out);
    rh_assert_no_mdev(M_ORPHAN);
    def = rh_definition(GPU_3E, M_ORPHAN);
    cr_assert(eq(ptr, def, NULL), "%s still defined", path);
    rh_assert_mdev(M_A, PATH_3E, "nvidia-18");
    cr_assert(rh_entry("unaccounted", M_A, NULL) != NULL, "%s", rh.run.out);

    /* and with remove_orphans in the config, a guest's mdev still stays */
    rh_write_conf("  orphan_grace_s: 0\n  remove_orphans: true\n");
    rh_reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(eq(int, rh_count("actions") + rh_count("orphans"), 0), "%s",
              rh.run.out);
    rh_assert_mdev(M_A, PATH_3E, "nvidia-18");
}

/* The host of the reboot test plus an old orphan: what a pass would do. */
Test(reconcile_e2e, a_dry_run_prints_the_plan_and_changes_nothing)
{
    _cleanup_free_ char *dir = rh_mdevctl_dir();
    struct stat st;

    rh_start_m60("reboot.xml", "  orphan_grace_s: 0\n");
    rh_kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    rh_claim(C1, RP_3E, 1);
    rh_claim(C2, RP_3D, 1);
    rh_claim(C3, RP_3E, 1);
    rh_reconcile(
        (const char *const[]){ "--dry-run", "--remove-orphans", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    rh_assert_action("create", M_A, GPU_3E, C1, "planned");
    rh_assert_action("create", M_B1, GPU_3D, C2, "planned");
    rh_assert_action("create", C3_3E_0, GPU_3E, C3, "planned");
    rh_assert_action("remove", M_ORPHAN, GPU_3E, NULL, "planned");
    cr_assert(eq(int, rh_count("actions"), 4), "%s", rh.run.out);
    /* vm-b references two mdevs but its claim holds one */
    cr_assert(rh_entry("unaccounted", M_B2, NULL) != NULL, "%s", rh.run.out);
    cr_assert(eq(int, rh_count_mdevs(), 1), "the fake kernel is unchanged");
    rh_assert_mdev(M_ORPHAN, PATH_3E, "nvidia-18");
    cr_assert(lstat(dir, &st) < 0 && errno == ENOENT,
              "%s: no definitions written", dir);
}

Test(reconcile_e2e, without_libvirt_claims_are_still_met_and_nothing_removed)
{
    rh_start_m60(NULL, "  orphan_grace_s: 0\n");
    rh_kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    rh_claim(C3, RP_3E, 1);
    rh_reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(ne(ptr, strstr(rh.run.err, "test:///nonexistent/node.xml"), NULL),
              "the libvirt error is reported: %s", rh.run.err);
    cr_assert(eq(int, rh.run.status, 1), "a partial pass: %s", rh.run.err);
    rh_assert_action("create", C3_3E_0, GPU_3E, C3, "ok");
    rh_assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");
    cr_assert(eq(int, rh_count_actions("remove"), 0), "%s", rh.run.out);
    rh_assert_mdev(M_ORPHAN, PATH_3E, "nvidia-18");
}
