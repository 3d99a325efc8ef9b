/*
 * test-paths.c - hostile names never become paths the agent writes.
 *
 * Names reach paths from sysfs (readdir entries, link targets), from
 * Placement (consumer and provider UUIDs) and from libvirt (mdev UUIDs).
 * Each is checked where it is read (test-mdev, test-placement, test-guests,
 * test-mdevctl); here the last line of defence is fed hostile names
 * directly: reconcile_act() with a plan no honest planner makes, on a
 * materialized host with decoy create/remove files inside the root and
 * sentinels outside it.  Nothing may be written, and each refusal is an
 * error naming the bad value.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixture.h"
#include "fstree.h"
#include "host.h"
#include "reconcile-act.h"
#include "reconcile.h"
#include "sysfs.h"
#include "xalloc.h"

#define GPU "0000:3d:00.0"
#define VGPU_TYPE "nvidia-11"
#define TYPE_CREATE                                                            \
    "class/mdev_bus/" GPU "/mdev_supported_types/" VGPU_TYPE "/create"
#define UUID "3b0c5c2e-6a51-4f2e-9d6a-0b7c1f2e3d4a"
#define CONSUMER "6f1c2a4e-5b7d-4c8e-9f0a-1b2c3d4e5f60"

static char *root;    /* the materialized m60 host */
static char *outside; /* next to it: sentinels */
static char *mdevctl_dir;
static struct sysfs *fs;
static struct host *host;
static struct reconcile_report report;

static void
put(const char *dir, const char *rel)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_write(dir, rel, "", &eb), 0), "%s", eb.msg);
}

static void
setup(void)
{
    struct errbuf eb = { 0 };

    root = fixture_host("m60");
    outside = fixture_tmpdir();
    mdevctl_dir = xasprintf("%s/mdevctl.d", outside);
    cr_assert(eq(int, mkdir(mdevctl_dir, 0755), 0));
    /* decoys a climbing name would reach inside the root, sentinels out */
    put(root, "decoy/create");
    put(root, "decoy/remove");
    put(root, "bus/mdev/decoy/remove");
    put(outside, "create");
    put(outside, "remove");
    cr_assert(eq(int, sysfs_open(root, &fs, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, host_scan(fs, &host, &eb), 0), "%s", eb.msg);
}

static void
teardown(void)
{
    reconcile_report_clear(&report);
    host_free(host);
    sysfs_close(fs);
    fixture_rm_rf(root);
    fixture_rm_rf(outside);
    free(root);
    free(outside);
    free(mdevctl_dir);
    host = NULL;
    fs = NULL;
    root = outside = mdevctl_dir = NULL;
}

TestSuite(paths, .init = setup, .fini = teardown);

/* Size of dir/rel; the test fails if it is not there. */
static long long
size_of(const char *dir, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);
    struct stat st;

    cr_assert(eq(int, stat(path, &st), 0), "%s", path);
    return (long long)st.st_size;
}

/* Nothing was written anywhere the names could have led. */
static void
assert_nothing_written(void)
{
    static const char *const in_root[] = { "decoy/create", "decoy/remove",
                                           "bus/mdev/decoy/remove", TYPE_CREATE,
                                           NULL };
    _cleanup_free_ char *defs = xasprintf("%s/" GPU, mdevctl_dir);

    for (size_t i = 0; in_root[i]; i++)
        cr_assert(eq(i64, size_of(root, in_root[i]), 0), "%s was written",
                  in_root[i]);
    cr_assert(eq(i64, size_of(outside, "create"), 0));
    cr_assert(eq(i64, size_of(outside, "remove"), 0));
    cr_assert(ne(int, access(defs, F_OK), 0), "a definition was written");
}

/* Every action of the report failed, naming bad. */
static void
assert_refused(size_t n, const char *bad)
{
    cr_assert(eq(sz, report.n, n));
    cr_assert(eq(u32, report.failed, (unsigned)n));
    for (size_t i = 0; i < report.n; i++)
        cr_assert(ne(ptr, strstr(report.v[i].error, bad), NULL), "%s: %s",
                  reconcile_verb_name(report.v[i].action), report.v[i].error);
}

static void
act(struct reconcile_plan *plan)
{
    struct reconcile_opts o = { .remove_orphans = true,
                                .grace_s = 0,
                                .mdevctl_dir = mdevctl_dir };

    reconcile_act(plan, fs, host, &o, &report);
}

static struct reconcile_mdev
mdev(const char *uuid, char *parent, char *type)
{
    struct reconcile_mdev m = { .parent = parent, .mdev_type = type };

    snprintf(m.uuid, sizeof(m.uuid), "%s", uuid);
    return m;
}

Test(paths, a_type_that_climbs_or_has_a_slash_is_never_created)
{
    struct reconcile_mdev creates[] = {
        mdev(UUID, GPU, "../../../../../decoy"),
        mdev(UUID, GPU, VGPU_TYPE "/../../../../../../decoy"),
        mdev(UUID, GPU, ".."),
        mdev(UUID, GPU, "."),
        mdev(UUID, GPU, ""),
    };
    struct reconcile_plan plan = { .create = creates, .n_create = 5 };

    act(&plan);
    assert_refused(5, "not a file name");
    assert_nothing_written();
}

Test(paths, a_parent_that_climbs_is_never_created_under)
{
    struct reconcile_mdev creates[] = {
        mdev(UUID, "../decoy", VGPU_TYPE),
        mdev(UUID, "..", VGPU_TYPE),
    };
    struct reconcile_plan plan = { .create = creates, .n_create = 2 };

    act(&plan);
    assert_refused(2, "not a file name");
    assert_nothing_written();
}

Test(paths, an_mdev_uuid_that_is_a_path_is_never_created_or_removed)
{
    struct reconcile_mdev bad[] = {
        mdev("../../../decoy", GPU, VGPU_TYPE),
        mdev("../decoy", GPU, VGPU_TYPE),
        mdev("3B0C5C2E-6A51-4F2E-9D6A-0B7C1F2E3D4A", GPU, VGPU_TYPE),
        mdev("", GPU, VGPU_TYPE),
    };
    struct reconcile_plan plan = {
        .create = bad, .n_create = 4, .orphans = bad, .n_orphans = 4
    };

    act(&plan);
    assert_refused(8, "not a lower-case UUID");
    cr_assert(ne(ptr, strstr(report.v[4].error, "\"../../../decoy\""), NULL),
              "%s", report.v[4].error);
    assert_nothing_written();
}

Test(paths, a_consumer_that_is_a_path_gets_no_mdev_uuid)
{
    char out[UUIDSTR_LEN] = "";

    cr_assert(eq(int, reconcile_uuid("../../etc", UUID, 0, out), -EINVAL));
    cr_assert(eq(int, reconcile_uuid(CONSUMER "/..", UUID, 0, out), -EINVAL));
    cr_assert(eq(str, out, ""));
}

Test(paths, the_honest_create_still_goes_to_the_types_create_file)
{
    struct reconcile_mdev creates[] = { mdev(UUID, GPU, VGPU_TYPE) };
    struct reconcile_plan plan = { .create = creates, .n_create = 1 };

    act(&plan);
    cr_assert(eq(sz, report.n, 2), "create and persist");
    cr_assert(eq(int, report.v[0].result, RECONCILE_OK));
    cr_assert(eq(i64, size_of(root, TYPE_CREATE), (long long)strlen(UUID)));
    cr_assert(eq(i64, size_of(mdevctl_dir, GPU "/" UUID) > 0, 1));
}
