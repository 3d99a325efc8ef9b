/*
 * test-mdev.c - discovery of parents, types and mdevs from kernel-shaped
 * trees built in a temporary directory (DIR/sys is the root; DIR/outside
 * is a directory no link may reach).  The binary has two sources
 * (test/testmdev.h): what a good tree gives here, bad input in
 * test-mdev-bad.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "cleanup.h"
#include "fstree.h"
#include "mdev.h"
#include "testmdev.h"
#include "xalloc.h"

struct mdev_host *h;

/* Lookups the tests read the scan with (the agent reads the host model).
 * Not inlined: tests dereference what a cr_assert() checked, which
 * -Wnull-dereference cannot follow. */
__attribute__((noinline)) const struct mdev_parent *
mdev_host_find_parent(const struct mdev_host *host, const char *name)
{
    for (size_t i = 0; i < host->n_parents; i++)
        if (strcmp(host->parents[i].name, name) == 0)
            return &host->parents[i];
    return NULL;
}

__attribute__((noinline)) const struct mdev_type *
mdev_parent_find_type(const struct mdev_parent *p, const char *type_id)
{
    for (size_t i = 0; i < p->n_types; i++)
        if (strcmp(p->types[i].id, type_id) == 0)
            return &p->types[i];
    return NULL;
}

/* Number of existing mdevs of type_id on the parent called parent. */
unsigned
mdev_host_count(const struct mdev_host *host, const char *parent,
                const char *type_id)
{
    unsigned n = 0;

    for (size_t i = 0; i < host->n_mdevs; i++)
        n += strcmp(host->mdevs[i].parent, parent) == 0 &&
             strcmp(host->mdevs[i].type_id, type_id) == 0;
    return n;
}

/* --- building trees ----------------------------------------------------------
 */

/* A parent device registered with mdev; klass NULL for a non-PCI one. */
void
add_parent(const char *name, const char *dev, const char *klass,
           const char *driver)
{
    _cleanup_free_ char *types = xasprintf("%s/mdev_supported_types", dev);
    _cleanup_free_ char *link = xasprintf("class/mdev_bus/%s", name);

    mkd(types);
    ln(link, dev);
    if (klass) {
        _cleanup_free_ char *c = xasprintf("%s/class", dev);
        _cleanup_free_ char *pci = xasprintf("bus/pci/devices/%s", name);
        _cleanup_free_ char *v = xasprintf("%s\n", klass);

        mk(c, v);
        ln(pci, dev);
    }
    if (driver) {
        _cleanup_free_ char *drv = xasprintf("bus/pci/drivers/%s", driver);
        _cleanup_free_ char *dl = xasprintf("%s/driver", dev);

        mkd(drv);
        ln(dl, drv);
    }
}

void
attr(const char *dir, const char *name, const char *value)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
    _cleanup_free_ char *v = xasprintf("%s\n", value);

    mk(p, v);
}

/* A type; name and desc may be NULL (absent). */
void
add_type(const char *dev, const char *id, const char *avail, const char *api,
         const char *name, const char *desc)
{
    _cleanup_free_ char *dir = xasprintf("%s/mdev_supported_types/%s", dev, id);
    _cleanup_free_ char *devs = xasprintf("%s/devices", dir);
    _cleanup_free_ char *create = xasprintf("%s/create", dir);

    mkd(devs);
    mk(create, "");
    if (avail)
        attr(dir, "available_instances", avail);
    if (api)
        attr(dir, "device_api", api);
    if (name)
        attr(dir, "name", name);
    if (desc)
        attr(dir, "description", desc);
}

/* An mdev as the kernel shows it: child of the parent, three links. */
void
add_mdev(const char *dev, const char *uuid, const char *type)
{
    _cleanup_free_ char *dir = xasprintf("%s/%s", dev, uuid);
    _cleanup_free_ char *bus = xasprintf("bus/mdev/devices/%s", uuid);
    _cleanup_free_ char *tl = xasprintf("%s/mdev_type", dir);
    _cleanup_free_ char *tdir =
        xasprintf("%s/mdev_supported_types/%s", dev, type);
    _cleanup_free_ char *back = xasprintf("%s/devices/%s", tdir, uuid);

    mkd(dir);
    attr(dir, "remove", "");
    ln(bus, dir);
    ln(tl, tdir);
    ln(back, dir);
}

void
two_gpus_and_mtty(void)
{
    add_parent("0000:84:00.0", GPU_A, "0x030000", "nvidia");
    add_type(GPU_A, "nvidia-35", "16", "vfio-pci", "GRID M10-0B", M60_0B);
    add_type(GPU_A, "nvidia-11", "8", "vfio-pci", "GRID M60-0B", M60_0B);
    add_parent("0000:3e:00.0", GPU_B, "0x030200", "nvidia");
    add_type(GPU_B, "nvidia-64", "4", "vfio-pci", "GRID P4-2Q", P4_2Q);
    add_parent("mtty", MTTY, NULL, NULL);
    add_type(MTTY, "mtty-2", "12", "vfio-pci", NULL, NULL);
    add_type(MTTY, "mtty-1", "24", "vfio-pci", "Single port serial", NULL);
    mkd("bus/mdev/devices");
}

/* --- fixture ---------------------------------------------------------------
 */

static void
setup(void)
{
    struct errbuf eb = { 0 };

    sysroot_setup();
    cr_assert(
        eq(int, fstree_mkdir_p(tmp, "outside/mdev_supported_types", &eb), 0));
}

static void
teardown(void)
{
    mdev_host_free(h);
    h = NULL;
    sysroot_teardown();
}

TestSuite(mdev, .init = setup, .fini = teardown);

void
scan(void)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, mdev_scan(fs, &h, &eb), 0), "%s", eb.msg);
    for (size_t i = 0; i < h->warnings.n; i++)
        cr_assert(eq(ptr, strstr(h->warnings.v[i], tmp), NULL),
                  "warning names an absolute path: %s", h->warnings.v[i]);
}

/* Exactly one warning, equal to want. */
void
assert_warning(const char *want)
{
    cr_assert(eq(sz, h->warnings.n, 1), "warnings: %zu, first: %s",
              h->warnings.n, h->warnings.n ? h->warnings.v[0] : "");
    cr_assert(eq(int, strcmp(h->warnings.v[0], want), 0),
              "warning: %s\nwanted:  %s", h->warnings.v[0], want);
}

/* Exactly one warning, starting with prefix. */
void
assert_warning_starts(const char *prefix)
{
    cr_assert(eq(sz, h->warnings.n, 1), "warnings: %zu, first: %s",
              h->warnings.n, h->warnings.n ? h->warnings.v[0] : "");
    cr_assert(eq(int, strncmp(h->warnings.v[0], prefix, strlen(prefix)), 0),
              "warning: %s\nwanted:  %s...", h->warnings.v[0], prefix);
}

void
assert_no_warnings(void)
{
    cr_assert(eq(sz, h->warnings.n, 0), "first warning: %s",
              h->warnings.n ? h->warnings.v[0] : "");
}

/* --- the good path ----------------------------------------------------------
 */

Test(mdev, reports_parents_and_types)
{
    const struct mdev_parent *a, *b, *m;

    two_gpus_and_mtty();
    scan();
    assert_no_warnings();
    cr_assert(h->has_mdev_info);
    cr_assert(eq(sz, h->n_parents, 3));
    b = &h->parents[0];
    a = &h->parents[1];
    m = &h->parents[2];
    cr_assert(eq(str, b->name, "0000:3e:00.0"));
    cr_assert(eq(str, b->path, GPU_B));
    cr_assert(b->is_pci);
    cr_assert(eq(uint, b->addr.bus, 0x3e));
    cr_assert(eq(uint, b->pci_class, 0x030200));
    cr_assert(eq(str, b->driver, "nvidia"));
    cr_assert(not(b->is_vf));
    cr_assert(eq(str, a->name, "0000:84:00.0"));
    cr_assert(eq(uint, a->pci_class, 0x030000));
    cr_assert(eq(str, m->name, "mtty"));
    cr_assert(eq(str, m->path, MTTY));
    cr_assert(not(m->is_pci));
    cr_assert(eq(uint, m->pci_class, 0));
    cr_assert(eq(ptr, m->driver, NULL));
}

Test(mdev, types_are_sorted_and_complete)
{
    const struct mdev_parent *a, *b;
    const struct mdev_type *t;

    two_gpus_and_mtty();
    scan();
    a = mdev_host_find_parent(h, "0000:84:00.0");
    cr_assert(a != NULL);
    cr_assert(eq(sz, a->n_types, 2));
    cr_assert(eq(str, a->types[0].id, "nvidia-11"));
    cr_assert(eq(str, a->types[1].id, "nvidia-35"));
    b = mdev_host_find_parent(h, "0000:3e:00.0");
    t = &b->types[0];
    cr_assert(eq(str, t->id, "nvidia-64"));
    cr_assert(eq(str, t->name, "GRID P4-2Q"));
    cr_assert(eq(str, t->device_api, "vfio-pci"));
    cr_assert(eq(str, t->description, P4_2Q));
    cr_assert(eq(uint, t->available, 4));
    cr_assert(eq(uint, t->desc.max_instance, 4));
    cr_assert(eq(uint, t->desc.framebuffer_mb, 2048));
    cr_assert(eq(uint, t->desc.num_heads, 4));
    cr_assert(eq(sz, t->desc.pairs.n, 5));
}

Test(mdev, name_defaults_to_the_id_and_description_may_be_absent)
{
    const struct mdev_parent *m;
    const struct mdev_type *t1, *t2;

    two_gpus_and_mtty();
    scan();
    m = mdev_host_find_parent(h, "mtty");
    t1 = mdev_parent_find_type(m, "mtty-1");
    t2 = mdev_parent_find_type(m, "mtty-2");
    cr_assert(eq(str, t1->name, "Single port serial"));
    cr_assert(eq(str, t2->name, "mtty-2"));
    cr_assert(eq(ptr, t2->description, NULL));
    cr_assert(eq(sz, t2->desc.pairs.n, 0));
    cr_assert(eq(uint, t2->available, 12));
}

Test(mdev, intel_multi_line_description_is_accepted)
{
    const struct mdev_type *t;

    add_parent("0000:00:02.0", "devices/pci0000:00/0000:00:02.0", "0x030000",
               "i915");
    add_type("devices/pci0000:00/0000:00:02.0", "i915-GVTg_V5_4", "1",
             "vfio-pci", NULL,
             "low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\n"
             "resolution: 1920x1200\nweight: 4");
    scan();
    assert_no_warnings();
    t = mdev_parent_find_type(&h->parents[0], "i915-GVTg_V5_4");
    cr_assert(t != NULL);
    cr_assert(eq(str, t->name, "i915-GVTg_V5_4"));
    cr_assert(eq(uint, t->desc.framebuffer_mb, 512));
    cr_assert(eq(uint, t->desc.max_res_w, 1920));
    cr_assert(eq(str, h->parents[0].driver, "i915"));
}

Test(mdev, parents_sort_pci_by_address_then_others_by_name)
{
    /* bytewise "0000:3E" < "0000:3a" and "0.0.26ab" < "0000:", but not
     * in address order */
    add_parent("0000:3E:00.0", "devices/pci0000:3a/0000:3E:00.0", "0x030000",
               NULL);
    add_parent("0000:3a:00.0", "devices/pci0000:3a/0000:3a:00.0", "0x030000",
               NULL);
    add_parent("0001:00:00.0", "devices/pci0001:00/0001:00:00.0", "0x030000",
               NULL);
    add_parent("0000:ff:1f.7", "devices/pci0000:ff/0000:ff:1f.7", "0x030000",
               NULL);
    add_parent("mtty", MTTY, NULL, NULL);
    add_parent("0.0.26ab", "devices/css0/0.0.26ab", NULL, NULL);
    add_parent("matrix", "devices/vfio_ap/matrix", NULL, NULL);
    scan();
    assert_no_warnings();
    cr_assert(eq(sz, h->n_parents, 7));
    cr_assert(eq(str, h->parents[0].name, "0000:3a:00.0"));
    cr_assert(eq(str, h->parents[1].name, "0000:3E:00.0"));
    cr_assert(eq(str, h->parents[2].name, "0000:ff:1f.7"));
    cr_assert(eq(str, h->parents[3].name, "0001:00:00.0"));
    cr_assert(eq(str, h->parents[4].name, "0.0.26ab"));
    cr_assert(eq(str, h->parents[5].name, "matrix"));
    cr_assert(eq(str, h->parents[6].name, "mtty"));
}

Test(mdev, pci_needs_both_an_address_name_and_a_pci_path)
{
    add_parent("0000:99:00.0", "devices/virtual/fake/0000:99:00.0", NULL, NULL);
    add_parent("mdpy", "devices/pci0000:00/mdpy", NULL, NULL);
    scan();
    assert_no_warnings();
    cr_assert(eq(sz, h->n_parents, 2));
    cr_assert(not(h->parents[0].is_pci));
    cr_assert(not(h->parents[1].is_pci));
    cr_assert(eq(uint, h->parents[0].pci_class, 0));
}

Test(mdev, vf_names_its_physical_function)
{
    const struct mdev_parent *vf;

    mkd("devices/pci0000:40/0000:40:03.1/0000:41:00.0");
    add_parent("0000:41:00.4", "devices/pci0000:40/0000:40:03.1/0000:41:00.4",
               "0x030200", "nvidia");
    ln("devices/pci0000:40/0000:40:03.1/0000:41:00.4/physfn",
       "devices/pci0000:40/0000:40:03.1/0000:41:00.0");
    scan();
    assert_no_warnings();
    vf = mdev_host_find_parent(h, "0000:41:00.4");
    cr_assert(vf->is_vf);
    cr_assert(eq(uint, vf->physfn.bus, 0x41));
    cr_assert(eq(uint, vf->physfn.slot, 0));
    cr_assert(eq(uint, vf->physfn.func, 0));
    cr_assert(eq(uint, vf->addr.func, 4));
}

Test(mdev, without_class_mdev_bus_pci_devices_are_searched)
{
    add_parent("0000:84:00.0", GPU_A, "0x030000", "nvidia");
    add_type(GPU_A, "nvidia-35", "16", "vfio-pci", NULL, NULL);
    mkd("devices/pci0000:00/0000:00:1f.0");
    ln("bus/pci/devices/0000:00:1f.0", "devices/pci0000:00/0000:00:1f.0");
    rm("class/mdev_bus/0000:84:00.0");
    rm("class/mdev_bus");
    scan();
    assert_no_warnings();
    cr_assert(not(h->has_mdev_info)); /* neither class/mdev_bus nor bus/mdev */
    cr_assert(eq(sz, h->n_parents, 1));
    cr_assert(eq(str, h->parents[0].name, "0000:84:00.0"));
    cr_assert(eq(str, h->parents[0].path, GPU_A));
    cr_assert(eq(sz, h->parents[0].n_types, 1));
}

Test(mdev, bus_mdev_alone_means_mdev_info)
{
    mkd("bus/mdev/devices");
    scan();
    cr_assert(h->has_mdev_info);
    cr_assert(eq(sz, h->n_parents, 0));
}

Test(mdev, root_without_mdev_information_is_empty_not_an_error)
{
    mkd("bus/pci/devices");
    mkd("class/net");
    scan();
    assert_no_warnings();
    cr_assert(not(h->has_mdev_info));
    cr_assert(eq(sz, h->n_parents, 0));
    cr_assert(eq(sz, h->n_mdevs, 0));
}

Test(mdev, empty_class_mdev_bus_has_info_and_no_parents)
{
    mkd("class/mdev_bus");
    scan();
    assert_no_warnings();
    cr_assert(h->has_mdev_info);
    cr_assert(eq(sz, h->n_parents, 0));
}

Test(mdev, unreadable_root_is_an_error)
{
    struct errbuf eb = { 0 };
    struct mdev_host *got = NULL;
    int r;

    cr_assert(eq(int, chmod(tmp, 0755), 0));
    cr_assert(eq(int, chmod(root, 0), 0));
    if (geteuid() == 0)
        cr_assert(eq(int, seteuid(65534), 0));
    r = mdev_scan(fs, &got, &eb);
    if (getuid() == 0)
        cr_assert(eq(int, seteuid(0), 0));
    cr_assert(eq(int, r, -EACCES), "%s", eb.msg);
    cr_assert(eq(ptr, got, NULL));
    cr_assert(ne(ptr, strstr(eb.msg, root), NULL), "%s", eb.msg);
}

/* --- existing mdevs ---------------------------------------------------------
 */

Test(mdev, existing_mdevs_are_matched_to_parent_and_type)
{
    two_gpus_and_mtty();
    add_mdev(GPU_A, UUID2, "nvidia-35");
    add_mdev(GPU_A, UUID1, "nvidia-35");
    add_mdev(GPU_B, UUID3, "nvidia-64");
    scan();
    assert_no_warnings();
    cr_assert(eq(sz, h->n_mdevs, 3));
    cr_assert(eq(str, h->mdevs[0].uuid, UUID3));
    cr_assert(eq(str, h->mdevs[0].parent, "0000:3e:00.0"));
    cr_assert(eq(str, h->mdevs[0].type_id, "nvidia-64"));
    cr_assert(eq(str, h->mdevs[1].uuid, UUID1));
    cr_assert(eq(str, h->mdevs[1].parent, "0000:84:00.0"));
    cr_assert(eq(str, h->mdevs[2].uuid, UUID2));
    cr_assert(eq(uint, mdev_host_count(h, "0000:84:00.0", "nvidia-35"), 2));
    cr_assert(eq(uint, mdev_host_count(h, "0000:84:00.0", "nvidia-11"), 0));
    cr_assert(eq(uint, mdev_host_count(h, "0000:3e:00.0", "nvidia-64"), 1));
    cr_assert(eq(uint, mdev_host_count(h, "0000:3e:00.0", "nvidia-35"), 0));
}

Test(mdev, uuids_are_stored_lower_case)
{
    two_gpus_and_mtty();
    add_mdev(GPU_A, "3131F5FD-7C04-4A61-92C1-0C37F9547B6B", "nvidia-35");
    scan();
    assert_no_warnings();
    cr_assert(eq(sz, h->n_mdevs, 1));
    cr_assert(eq(str, h->mdevs[0].uuid, UUID1));
}

Test(mdev, same_uuid_in_two_cases_is_reported_once)
{
    two_gpus_and_mtty();
    add_mdev(GPU_A, UUID1, "nvidia-35");
    add_mdev(GPU_B, "3131F5FD-7C04-4A61-92C1-0C37F9547B6B", "nvidia-64");
    scan();
    cr_assert(eq(sz, h->n_mdevs, 1));
    assert_warning("bus/mdev/devices/" UUID1 ": listed twice");
}

Test(mdev, find_functions_return_null_for_unknown_names)
{
    two_gpus_and_mtty();
    scan();
    cr_assert(mdev_host_find_parent(h, "0000:00:00.0") == NULL);
    cr_assert(mdev_parent_find_type(&h->parents[0], "x") == NULL);
    cr_assert(eq(uint, mdev_host_count(h, "nope", "nvidia-35"), 0));
}
