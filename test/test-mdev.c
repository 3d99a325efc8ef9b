/*
 * test-mdev.c - discovery of parents, types and mdevs from kernel-shaped
 * trees built in a temporary directory (DIR/sys is the root; DIR/outside
 * is a directory no link may reach).
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
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
#include "xalloc.h"

#define GPU_A "devices/pci0000:80/0000:80:02.0/0000:84:00.0"
#define GPU_B "devices/pci0000:3a/0000:3a:00.0/0000:3e:00.0"
#define MTTY "devices/virtual/mtty/mtty"
#define TYPES_A "class/mdev_bus/0000:84:00.0/mdev_supported_types"
#define UUID1 "3131f5fd-7c04-4a61-92c1-0c37f9547b6b"
#define UUID2 "e55bf865-6983-4d53-967f-51e8a3bb0f57"
#define UUID3 "00000000-0000-0000-0000-000000000101"
#define P4_2Q                                                                  \
    "num_heads=4, frl_config=60, framebuffer=2048M, "                          \
    "max_resolution=7680x4320, max_instance=4"
#define M60_0B                                                                 \
    "num_heads=2, frl_config=45, framebuffer=512M, "                           \
    "max_resolution=2560x1600, max_instance=16"

static char tmp[] = "/tmp/vgpu-test-mdev-XXXXXX";
static char *root;
static struct sysfs *fs;
static struct mdev_host *h;

/* Lookups the tests read the scan with (the agent reads the host model).
 * Not inlined: tests dereference what a cr_assert() checked, which
 * -Wnull-dereference cannot follow. */
static __attribute__((noinline)) const struct mdev_parent *
mdev_host_find_parent(const struct mdev_host *host, const char *name)
{
    for (size_t i = 0; i < host->n_parents; i++)
        if (strcmp(host->parents[i].name, name) == 0)
            return &host->parents[i];
    return NULL;
}

static __attribute__((noinline)) const struct mdev_type *
mdev_parent_find_type(const struct mdev_parent *p, const char *type_id)
{
    for (size_t i = 0; i < p->n_types; i++)
        if (strcmp(p->types[i].id, type_id) == 0)
            return &p->types[i];
    return NULL;
}

/* Number of existing mdevs of type_id on the parent called parent. */
static unsigned
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

static void
mk(const char *rel, const char *content)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_write(root, rel, content, &eb), 0), "%s", eb.msg);
}

static void
mkd(const char *rel)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_mkdir_p(root, rel, &eb), 0), "%s", eb.msg);
}

static void
ln(const char *link, const char *target)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_symlink(root, link, target, &eb), 0), "%s",
              eb.msg);
}

static void
rm(const char *rel)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);

    cr_assert(eq(int, remove(p), 0), "remove %s", p);
}

/* A parent device registered with mdev; klass NULL for a non-PCI one. */
static void
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

static void
attr(const char *dir, const char *name, const char *value)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
    _cleanup_free_ char *v = xasprintf("%s\n", value);

    mk(p, v);
}

/* A type; name and desc may be NULL (absent). */
static void
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
static void
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

static void
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

    cr_assert(ne(ptr, mkdtemp(tmp), NULL));
    root = xasprintf("%s/sys", tmp);
    cr_assert(eq(int, mkdir(root, 0755), 0));
    mkd("devices");
    cr_assert(
        eq(int, fstree_mkdir_p(tmp, "outside/mdev_supported_types", &eb), 0));
    cr_assert(eq(int, sysfs_open(root, &fs, &eb), 0), "%s", eb.msg);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void
teardown(void)
{
    mdev_host_free(h);
    h = NULL;
    sysfs_close(fs);
    fs = NULL;
    chmod(root, 0755);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(root);
}

TestSuite(mdev, .init = setup, .fini = teardown);

static void
scan(void)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, mdev_scan(fs, &h, &eb), 0), "%s", eb.msg);
    for (size_t i = 0; i < h->warnings.n; i++)
        cr_assert(eq(ptr, strstr(h->warnings.v[i], tmp), NULL),
                  "warning names an absolute path: %s", h->warnings.v[i]);
}

/* Exactly one warning, equal to want. */
static void
assert_warning(const char *want)
{
    cr_assert(eq(sz, h->warnings.n, 1), "warnings: %zu, first: %s",
              h->warnings.n, h->warnings.n ? h->warnings.v[0] : "");
    cr_assert(eq(int, strcmp(h->warnings.v[0], want), 0),
              "warning: %s\nwanted:  %s", h->warnings.v[0], want);
}

/* Exactly one warning, starting with prefix. */
static void
assert_warning_starts(const char *prefix)
{
    cr_assert(eq(sz, h->warnings.n, 1), "warnings: %zu, first: %s",
              h->warnings.n, h->warnings.n ? h->warnings.v[0] : "");
    cr_assert(eq(int, strncmp(h->warnings.v[0], prefix, strlen(prefix)), 0),
              "warning: %s\nwanted:  %s...", h->warnings.v[0], prefix);
}

static void
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

/* --- bad input: one warning naming the path, the rest reported ---------- */

/* The issue's own example, verbatim. */
Test(mdev, the_warning_from_the_issue)
{
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-35", "available_instances", "-1");
    scan();
    assert_warning("class/mdev_bus/0000:84:00.0/mdev_supported_types/"
                   "nvidia-35/available_instances: not an unsigned number: "
                   "\"-1\"");
}

struct bad_avail {
    char value[32];
    char warning[64];
};

ParameterizedTestParameters(mdev, bad_available_instances_skips_the_type)
{
    static struct bad_avail cases[] = {
        { "-1\n", "not an unsigned number: \"-1\"" },
        { "abc\n", "not an unsigned number: \"abc\"" },
        { "12abc\n", "not an unsigned number: \"12abc\"" },
        { "\n", "not an unsigned number: \"\"" },
        { "99999999999\n", "number out of range: \"99999999999\"" },
    };

    return cr_make_param_array(struct bad_avail, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct bad_avail *c, mdev,
                  bad_available_instances_skips_the_type)
{
    _cleanup_free_ char *want =
        xasprintf(TYPES_A "/nvidia-35/available_instances: %s", c->warning);

    two_gpus_and_mtty();
    mk(GPU_A "/mdev_supported_types/nvidia-35/available_instances", c->value);
    scan();
    assert_warning(want);
    cr_assert(eq(sz, h->n_parents, 3));
    cr_assert(eq(sz, h->parents[1].n_types, 1));
    cr_assert(eq(str, h->parents[1].types[0].id, "nvidia-11"));
}

enum op { MK, RM, LN, MKD, TYPE, PARENT, MDEV };

struct step {
    enum op op;
    char a[128], b[96], c[16];
};

/* Criterion re-executes the binary per test: parameters hold no pointers.
 * A warning ending in "..." is a prefix. */
struct bad_case {
    struct step steps[3];
    char warning[160];
    struct {
        size_t parents, types_a, mdevs; /* types_a: of 0000:84:00.0 */
    } want;
};

#define T_A GPU_A "/mdev_supported_types/"
#define U1 GPU_A "/" UUID1

static struct bad_case bad_cases[] = {
    { { { RM, T_A "nvidia-35/available_instances" } },
      TYPES_A "/nvidia-35/available_instances: No such file or directory",
      { 3, 1, 0 } },
    { { { RM, T_A "nvidia-11/device_api" } },
      TYPES_A "/nvidia-11/device_api: No such file or directory",
      { 3, 1 } },
    { { { RM, T_A "nvidia-11/device_api" },
        { MKD, T_A "nvidia-11/device_api" } },
      TYPES_A "/nvidia-11/device_api: Is a directory",
      { 3, 1 } },
    { { { MK, T_A "nvidia-11/device_api", "\n" } },
      TYPES_A "/nvidia-11/device_api: value is empty: \"\"",
      { 3, 1 } },
    { { { MK, T_A "nvidia-11/name", "GRID \xff\xfe\n" } },
      TYPES_A "/nvidia-11/name: value is not valid UTF-8: "
              "\"GRID \\xff\\xfe\"",
      { 3, 1 } },
    { { { MK, T_A "nvidia-11/name", "GRID\x1b[31m\n" } },
      TYPES_A "/nvidia-11/name: value contains a non-printable "
              "character: \"GRID\\x1b[31m\"",
      { 3, 1 } },
    { { { MK, T_A "nvidia-11/description", "num_heads=\x80\n" } },
      TYPES_A "/nvidia-11/description: value is not valid UTF-8...",
      { 3, 1 } },
    { { { TYPE, GPU_A, "nvidia-\xff" } },
      TYPES_A "/nvidia-\\xff: type id is not valid UTF-8",
      { 3, 2 } },
    { { { TYPE, GPU_A, "nvidia-\n1" } },
      TYPES_A "/nvidia-\\x0a1: type id contains a non-printable character",
      { 3, 2 } },
    { { { MK, T_A "README", "hi\n" } },
      TYPES_A "/README/available_instances: Not a directory",
      { 3, 2 } },
    /* parents */
    { { { LN, "class/mdev_bus/0000:99:00.0", "devices/pci0000:98/x" } },
      "class/mdev_bus/0000:99:00.0: dangling link...",
      { 3, 2 } },
    { { { LN, "class/mdev_bus/0000:99:00.0", "!../../../outside" } },
      "class/mdev_bus/0000:99:00.0: link leaves the sysfs root",
      { 3, 2 } },
    { { { LN, "class/mdev_bus/abs", "!/" MTTY } },
      "class/mdev_bus/abs: link leaves the sysfs root: "
      "absolute target \"/" MTTY "\"",
      { 3, 2 } },
    { { { LN, "class/mdev_bus/loop", "class/mdev_bus/loop" } },
      "class/mdev_bus/loop: Too many levels of symbolic links",
      { 3, 2 } },
    { { { PARENT, "gpu\xff", "devices/virtual/x/gpu" } },
      "class/mdev_bus/gpu\\xff: parent name is not valid UTF-8",
      { 3, 2 } },
    { { { MKD, "devices/virtual/bare/bare" },
        { LN, "class/mdev_bus/bare", "devices/virtual/bare/bare" } },
      "class/mdev_bus/bare/mdev_supported_types: No such file or "
      "directory",
      { 3, 2 } },
    { { { PARENT, "bad", "devices/virtual/bad/bad" },
        { RM, "devices/virtual/bad/bad/mdev_supported_types" },
        { LN, "devices/virtual/bad/bad/mdev_supported_types",
          "!../../../../../outside/mdev_supported_types" } },
      "class/mdev_bus/bad/mdev_supported_types: link ...",
      { 3, 2 } },
    { { { RM, GPU_A "/class" } },
      "class/mdev_bus/0000:84:00.0/class: No such file or directory",
      { 2 } },
    { { { MK, GPU_A "/class", "VGA\n" } },
      "class/mdev_bus/0000:84:00.0/class: not a PCI class: \"VGA\"",
      { 2 } },
    { { { MK, GPU_A "/class", "0x1000000\n" } },
      "class/mdev_bus/0000:84:00.0/class: not a PCI class: "
      "\"0x1000000\"",
      { 2 } },
    { { { LN, GPU_A "/physfn", "!../../../../../outside" } },
      "class/mdev_bus/0000:84:00.0/physfn: link ...",
      { 2 } },
    { { { LN, GPU_A "/physfn", MTTY } },
      "class/mdev_bus/0000:84:00.0/physfn: not a PCI address: \"mtty\"",
      { 2 } },
    { { { LN, "class/mdev_bus/zzz", MTTY } },
      "class/mdev_bus/zzz: same device as parent mtty",
      { 3, 2 } },
    /* existing mdevs */
    { { { MDEV, GPU_A, UUID1, "nvidia-35" },
        { MDEV, GPU_A, UUID2, "nvidia-35" },
        { RM, U1 "/mdev_type" } },
      "bus/mdev/devices/" UUID1 "/mdev_type: No such file or directory",
      { 3, 2, 1 } },
    { { { MDEV, GPU_A, UUID1, "nvidia-35" },
        { RM, U1 "/mdev_type" },
        { LN, U1 "/mdev_type", T_A "nvidia-99" } },
      "bus/mdev/devices/" UUID1 "/mdev_type: dangling link...",
      { 3, 2 } },
    { { { MDEV, GPU_A, UUID1, "nvidia-35" },
        { RM, U1 "/mdev_type" },
        { LN, U1 "/mdev_type", "!/outside/mdev_supported_types" } },
      "bus/mdev/devices/" UUID1 "/mdev_type: link ...",
      { 3, 2 } },
    { { { MKD, "devices/virtual/o/o/mdev_supported_types/x-1" },
        { MDEV, "devices/virtual/o/o", UUID1, "x-1" },
        { MDEV, GPU_A, UUID2, "nvidia-35" } },
      "bus/mdev/devices/" UUID1 ": parent device devices/virtual/o/o "
      "is not an mdev parent",
      { 3, 2, 1 } },
    { { { LN, "bus/mdev/devices/" UUID1, U1 } },
      "bus/mdev/devices/" UUID1 ": dangling link...",
      { 3, 2 } },
    { { { LN, "bus/mdev/devices/" UUID1, "!../../../../outside" } },
      "bus/mdev/devices/" UUID1 ": link ...",
      { 3, 2 } },
    { { { MKD, UUID1 }, { LN, "bus/mdev/devices/" UUID1, UUID1 } },
      "bus/mdev/devices/" UUID1 ": parent device . is not an mdev parent",
      { 3, 2 } },
};

ParameterizedTestParameters(mdev, bad_input)
{
    return cr_make_param_array(struct bad_case, bad_cases,
                               sizeof(bad_cases) / sizeof(*bad_cases));
}

static void
apply(const struct step *s)
{
    switch (s->op) {
    case MK:
        if (s->a[0])
            mk(s->a, s->b);
        break;
    case RM:
        rm(s->a);
        break;
    case LN:
        ln(s->a, s->b);
        break;
    case MKD:
        mkd(s->a);
        break;
    case TYPE:
        add_type(s->a, s->b, "1", "vfio-pci", NULL, NULL);
        break;
    case PARENT:
        add_parent(s->a, s->b, NULL, NULL);
        break;
    case MDEV:
        add_mdev(s->a, s->b, s->c);
        break;
    }
}

ParameterizedTest(struct bad_case *c, mdev, bad_input)
{
    size_t n = strlen(c->warning);
    const struct mdev_parent *a;

    two_gpus_and_mtty();
    for (size_t i = 0; i < sizeof(c->steps) / sizeof(*c->steps); i++)
        apply(&c->steps[i]);
    scan();
    if (n > 3 && strcmp(c->warning + n - 3, "...") == 0) {
        c->warning[n - 3] = '\0';
        assert_warning_starts(c->warning);
    } else {
        assert_warning(c->warning);
    }
    cr_assert(eq(sz, h->n_parents, c->want.parents));
    a = mdev_host_find_parent(h, "0000:84:00.0");
    if (a)
        cr_assert(eq(sz, a->n_types, c->want.types_a));
    cr_assert(eq(sz, h->n_mdevs, c->want.mdevs));
}

Test(mdev, overlong_utf8_and_surrogates_are_not_utf8)
{
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-11", "name", "\xc0\xaf");
    attr(GPU_A "/mdev_supported_types/nvidia-35", "name", "\xed\xa0\x80");
    scan();
    cr_assert(eq(sz, h->warnings.n, 2));
    cr_assert(eq(sz, h->parents[1].n_types, 0));
}

Test(mdev, valid_utf8_name_is_kept)
{
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-11", "name",
         "GRID M60-0B \xc3\xa9");
    scan();
    assert_no_warnings();
    cr_assert(eq(str, h->parents[1].types[0].name, "GRID M60-0B \xc3\xa9"));
}

Test(mdev, overlong_name_skips_the_type)
{
    char name[257];

    memset(name, 'n', 256);
    name[256] = '\0';
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-11", "name", name);
    scan();
    assert_warning_starts(TYPES_A "/nvidia-11/name: value is longer than 255 "
                                  "bytes: \"nnn");
    cr_assert(eq(sz, h->parents[1].n_types, 1));
}

Test(mdev, name_of_255_bytes_is_fine)
{
    char name[256];

    memset(name, 'n', 255);
    name[255] = '\0';
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-11", "name", name);
    scan();
    assert_no_warnings();
}

Test(mdev, dangling_driver_link_skips_the_parent)
{
    two_gpus_and_mtty();
    rm("bus/pci/drivers/nvidia");
    scan();
    cr_assert(eq(sz, h->warnings.n, 2)); /* both GPUs use it */
    cr_assert(
        eq(int,
           strncmp(h->warnings.v[0],
                   "class/mdev_bus/0000:3e:00.0/driver: dangling link", 49),
           0),
        "%s", h->warnings.v[0]);
    cr_assert(
        eq(int,
           strncmp(h->warnings.v[1],
                   "class/mdev_bus/0000:84:00.0/driver: dangling link", 49),
           0),
        "%s", h->warnings.v[1]);
    cr_assert(eq(sz, h->n_parents, 1));
}

Test(mdev, mdev_of_a_skipped_parent_is_skipped_too)
{
    two_gpus_and_mtty();
    add_mdev(GPU_A, UUID1, "nvidia-35");
    rm(GPU_A "/class");
    scan();
    cr_assert(eq(sz, h->warnings.n, 2));
    cr_assert(eq(sz, h->n_mdevs, 0));
}

Test(mdev, mdev_name_that_is_not_a_uuid_is_skipped)
{
    two_gpus_and_mtty();
    add_mdev(GPU_A, "not-a-uuid", "nvidia-35");
    add_mdev(GPU_A, "3131f5fd7c044a6192c10c37f9547b6b", "nvidia-35");
    add_mdev(GPU_A, UUID1, "nvidia-35");
    scan();
    cr_assert(eq(sz, h->warnings.n, 2));
    cr_assert(eq(str, h->warnings.v[0],
                 "bus/mdev/devices/3131f5fd7c044a6192c10c37f9547b6b: "
                 "not a UUID"));
    cr_assert(
        eq(str, h->warnings.v[1], "bus/mdev/devices/not-a-uuid: not a UUID"));
    cr_assert(eq(sz, h->n_mdevs, 1));
}
