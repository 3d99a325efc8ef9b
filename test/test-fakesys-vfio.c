/*
 * test-fakesys-vfio.c - the fake kernel in NVIDIA's vendor-specific VFIO
 * mode: the sample hosts are laid out as the captures show, and the live
 * tree answers plain open/write/read on nvidia/current_vgpu_type with the
 * driver's rules and errnos (test/fakehost-vfio.c says which and why).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "fakevfio.h"
#include "fixture.h"
#include "xalloc.h"

#define A10_PF "bus/pci/devices/0000:41:00.0"
#define VF(addr) "bus/pci/devices/" addr
#define NV(addr, attr) "bus/pci/devices/" addr "/nvidia/" attr
#define HEADER "ID    : vGPU Name\n"

/* root/rel's whole text ("" when unreadable). */
static char *
slurp(const char *root, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    char buf[8192] = "";
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

    buf[n > 0 ? n : 0] = '\0';
    return xstrdup(buf);
}

/* read(2) of root/rel: 0 or -errno, from open or read. */
static int
read_errno(const char *root, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    char buf[64];

    if (fd < 0)
        return -errno;
    return read(fd, buf, sizeof(buf)) < 0 ? -errno : 0;
}

/* write(2) of s to root/rel: 0 or -errno from open or write. */
static int
poke(const char *root, const char *rel, const char *s)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    return write(fd, s, strlen(s)) < 0 ? -errno : 0;
}

static char *
link_text(const char *root, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);

    buf[n > 0 ? n : 0] = '\0';
    return xstrdup(buf);
}

static bool
exists(const char *root, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    struct stat st;

    return lstat(path, &st) == 0;
}

/* Lines of a creatable_vgpu_types text after the header. */
static unsigned
n_listed(const char *text)
{
    unsigned n = 0;

    for (const char *p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
        n++;
    return n;
}

/* The number of types root/rel (a creatable_vgpu_types) lists. */
static unsigned
listed(const char *root, const char *rel)
{
    _cleanup_free_ char *text = slurp(root, rel);

    return n_listed(text);
}

/* Expect root/rel to read want exactly. */
#define expect_text(root, rel, want)                                           \
    do {                                                                       \
        _cleanup_free_ char *got_ = slurp(root, rel);                          \
                                                                               \
        cr_expect(eq(str, got_, want), "%s", rel);                             \
    } while (0)

/* ---- materialized trees ------------------------------------------------- */

static char *dir;

static void
rm_dir(void)
{
    if (dir)
        fixture_rm_rf(dir);
    free(dir);
    dir = NULL;
}

TestSuite(fakesys_vfio, .fini = rm_dir);

static char *
resolve(const char *root, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    char *r = realpath(path, NULL);

    return r ? r : xstrdup("(unresolved)");
}

/* Every VF of h in dir: bus link, physfn and virtfnN both ways. */
static void
expect_vfs_resolve(const struct fakesys_host *h, const char *host)
{
    for (size_t g = 0; g < h->n_gpus; g++)
        for (size_t k = 0; k < h->gpus[g].n_vfs; k++) {
            const struct fakevfio_vf *v = &h->gpus[g].vfs[k];
            _cleanup_free_ char *bus = xasprintf("bus/pci/devices/%s", v->name);
            _cleanup_free_ char *phys = xasprintf("%s/physfn", bus);
            _cleanup_free_ char *virt =
                xasprintf("bus/pci/devices/%s/virtfn%zu", h->gpus[g].name, k);
            _cleanup_free_ char *want = xasprintf("%s/%s", dir, v->path);
            _cleanup_free_ char *pf = xasprintf("%s/%s", dir, h->gpus[g].path);
            _cleanup_free_ char *got = resolve(dir, bus);
            _cleanup_free_ char *got_pf = resolve(dir, phys);
            _cleanup_free_ char *got_vf = resolve(dir, virt);

            cr_expect(eq(str, got, want), "%s: %s", host, v->name);
            cr_expect(eq(str, got_pf, pf), "%s: %s", host, v->name);
            cr_expect(eq(str, got_vf, want), "%s: %s", host, v->name);
        }
}

Test(fakesys_vfio, every_vf_of_every_vfio_sample_host_links_both_ways)
{
    const char *hosts[] = { "a10-vfio", "l40s-vfio", "rtxpro6000-mig" };
    size_t vfs[] = { 32, 64, 32 };

    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        _cleanup_free_ char *rel = xasprintf("hosts/%s.yaml", hosts[i]);
        _cleanup_free_ char *yaml = fixture_data_path(rel);
        _cleanup_(fakesys_host_freep) struct fakesys_host *h = NULL;
        struct errbuf eb = { 0 };
        size_t n = 0;

        rm_dir();
        dir = fixture_host(hosts[i]);
        cr_assert(eq(int, fakesys_host_load(yaml, &h, &eb), 0), "%s", eb.msg);
        for (size_t g = 0; g < h->n_gpus; g++)
            n += h->gpus[g].n_vfs;
        cr_expect(eq(sz, n, vfs[i]), "%s", hosts[i]);
        cr_expect(eq(sz, h->n_parents, 0), "%s", hosts[i]);
        expect_vfs_resolve(h, hosts[i]);
    }
}

Test(fakesys_vfio, a10_pf_has_32_vfs_at_the_captured_addresses_and_no_nvidia)
{
    _cleanup_free_ char *v0 = NULL, *v10 = NULL, *v31 = NULL, *phys = NULL;
    _cleanup_free_ char *n = NULL, *vid = NULL, *did = NULL, *vfdid = NULL;

    dir = fixture_host("a10-vfio");
    v0 = link_text(dir, A10_PF "/virtfn0");
    v10 = link_text(dir, A10_PF "/virtfn10");
    v31 = link_text(dir, A10_PF "/virtfn31");
    phys = link_text(dir, VF("0000:41:04.3") "/physfn");
    n = slurp(dir, A10_PF "/sriov_numvfs");
    vid = slurp(dir, VF("0000:41:01.6") "/vendor");
    did = slurp(dir, A10_PF "/device");
    vfdid = slurp(dir, VF("0000:41:01.6") "/device");
    cr_expect(eq(str, v0, "../0000:41:00.4"));
    cr_expect(eq(str, v10, "../0000:41:01.6"));
    cr_expect(eq(str, v31, "../0000:41:04.3"));
    cr_expect(eq(str, phys, "../0000:41:00.0"));
    cr_expect(eq(str, n, "32\n"));
    cr_expect(eq(str, vid, "0x10de\n"));
    cr_expect(eq(str, did, "0x2236\n"));
    cr_expect(eq(str, vfdid, "0x2236\n"));
    cr_expect(not(exists(dir, A10_PF "/virtfn32")));
    cr_expect(not(exists(dir, A10_PF "/nvidia")));
    cr_expect(not(exists(dir, "class/mdev_bus")));
    cr_expect(not(exists(dir, VF("0000:41:00.4") "/mdev_supported_types")));
}

Test(fakesys_vfio, vf_has_driver_iommu_group_and_vfio_dev_and_old_files)
{
    _cleanup_free_ char *drv = NULL, *grp = NULL, *back = NULL, *cls = NULL;

    dir = fixture_host("a10-vfio");
    drv = link_text(dir, VF("0000:41:00.4") "/driver");
    grp = link_text(dir, VF("0000:41:00.4") "/iommu_group");
    back = link_text(dir, "kernel/iommu_groups/21/devices/0000:41:00.4");
    cls = link_text(dir, "class/vfio-dev/vfio0");
    cr_expect(eq(str, drv, "../../../../bus/pci/drivers/nvidia"));
    cr_expect(eq(str, grp, "../../../../kernel/iommu_groups/21"));
    cr_expect(eq(str, back,
                 "../../../../devices/pci0000:40/0000:40:01.1/"
                 "0000:41:00.4"));
    cr_expect(eq(str, cls,
                 "../../devices/pci0000:40/0000:40:01.1/"
                 "0000:41:00.4/vfio-dev/vfio0"));
    cr_expect(exists(dir, VF("0000:41:04.3") "/vfio-dev/vfio31/dev"));
    /* an older driver: only the two files */
    cr_expect(exists(dir, NV("0000:41:00.4", "current_vgpu_type")));
    cr_expect(not(exists(dir, NV("0000:41:00.4", "gpu_instance_id"))));
}

Test(fakesys_vfio, a10_free_vfs_list_the_reference_narrowed_list)
{
    _cleanup_free_ char *free_vf = NULL, *typed = NULL, *cur = NULL;

    dir = fixture_host("a10-vfio");
    free_vf = slurp(dir, NV("0000:41:04.3", "creatable_vgpu_types"));
    typed = slurp(dir, NV("0000:41:00.5", "creatable_vgpu_types"));
    cur = slurp(dir, NV("0000:41:00.5", "current_vgpu_type"));
    cr_expect(eq(str, free_vf,
                 HEADER "594   : NVIDIA A10-6Q\n602   : NVIDIA A10-6A\n"));
    cr_expect(eq(str, typed, HEADER));
    cr_expect(eq(str, cur, "594\n"));
}

Test(fakesys_vfio, l40s_empty_gpu_lists_every_captured_type_in_driver_format)
{
    _cleanup_free_ char *list = NULL, *full = NULL, *cur = NULL;

    dir = fixture_host("l40s-vfio");
    list = slurp(dir, NV("0000:3d:00.4", "creatable_vgpu_types"));
    cr_expect(eq(uint, n_listed(list), 23));
    cr_expect(eq(int, strncmp(list, HEADER "1145  : NVIDIA L40S-1B\n", 41), 0),
              "%s", list);
    cr_expect(ne(ptr, strstr(list, "\n1147  : NVIDIA L40S-1Q\n"), NULL));
    cr_expect(ne(ptr, strstr(list, "\n2164  : NVIDIA L40S-3B\n"), NULL));
    /* the second GPU holds an L40S-48Q (max 1): header only everywhere */
    full = slurp(dir, NV("0000:3e:04.3", "creatable_vgpu_types"));
    cur = slurp(dir, NV("0000:3e:00.4", "current_vgpu_type"));
    cr_expect(eq(str, full, HEADER));
    cr_expect(eq(str, cur, "1156\n"));
    cr_expect(exists(dir, NV("0000:3e:00.4", "warm_update")));
}

Test(fakesys_vfio, rtx_pro_6000_reads_as_captured_after_writing_1561)
{
    _cleanup_free_ char *gi = NULL, *pl = NULL, *params = NULL, *warm = NULL;
    _cleanup_free_ char *v0 = NULL, *other = NULL;

    dir = fixture_host("rtxpro6000-mig");
    v0 = link_text(dir, "bus/pci/devices/0001:04:00.0/virtfn0");
    gi = slurp(dir, NV("0001:04:00.2", "gpu_instance_id"));
    pl = slurp(dir, NV("0001:04:00.2", "placement_id"));
    params = slurp(dir, NV("0001:04:00.2", "vgpu_params"));
    warm = slurp(dir, NV("0001:04:00.2", "warm_update"));
    other = slurp(dir, NV("0001:04:00.3", "creatable_vgpu_types"));
    cr_expect(eq(str, v0, "../0001:04:00.2"));
    cr_expect(eq(str, gi, "3\n"));
    cr_expect(eq(str, pl, "0\n"));
    cr_expect(eq(str, params, "\n"));
    cr_expect(eq(str, warm, "0\n"));
    /* MIG on: only the MIG-backed types of the three free instances */
    cr_expect(eq(str, other,
                 HEADER "1561  : NVIDIA RTX Pro 6000 Blackwell DC-1-24Q\n"
                        "1562  : NVIDIA RTX Pro 6000 Blackwell DC-1-24A\n"
                        "1563  : NVIDIA RTX Pro 6000 Blackwell DC-1-24C\n"));
}

Test(fakesys_vfio, vgpu_the_rules_forbid_is_an_error_naming_the_line)
{
    _cleanup_free_ char *yaml = fixture_data_path("fakesys/vfio-bad.yaml");
    _cleanup_free_ char *where = xasprintf("%s:20:15: ", yaml);
    struct errbuf eb = { 0 };

    dir = fixture_tmpdir();
    cr_assert(eq(int, fakesys_materialize(yaml, dir, &eb), -EINVAL));
    cr_expect(ne(ptr, strstr(eb.msg, where), NULL), "%s", eb.msg);
    cr_expect(ne(ptr, strstr(eb.msg, "does not list type 3"), NULL), "%s",
              eb.msg);
}

/* ---- the live fake kernel ------------------------------------------------ */

static struct fakesys_live *live;

static void
stop_live(void)
{
    fakesys_live_stop(live);
    live = NULL;
}

TestSuite(fakesys_vfio_live, .fini = stop_live);

static const char *
start(const char *host)
{
    _cleanup_free_ char *rel = xasprintf("hosts/%s.yaml", host);
    _cleanup_free_ char *yaml = fixture_data_path(rel);
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fakesys_live_start(yaml, &live, &eb), 0), "%s", eb.msg);
    return fakesys_live_root(live);
}

static int
control(const char *root, const char *cmd)
{
    struct errbuf eb = { 0 };

    return fakesys_live_control(root, cmd, &eb);
}

Test(fakesys_vfio_live, first_vgpu_narrows_every_list_to_its_size_until_max)
{
    const char *root = start("l40s-vfio");
    char vf[64];

    /* L40S-6Q (1151): 6 GB, max 8 */
    cr_assert(eq(
        int, poke(root, NV("0000:3d:00.4", "current_vgpu_type"), "1151\n"), 0));
    expect_text(root, NV("0000:3d:00.4", "current_vgpu_type"), "1151\n");
    expect_text(root, NV("0000:3d:00.4", "creatable_vgpu_types"), HEADER);
    expect_text(root, NV("0000:3d:04.3", "creatable_vgpu_types"),
                HEADER "1151  : NVIDIA L40S-6Q\n1161  : NVIDIA L40S-6A\n");
    /* the other GPU is untouched */
    cr_expect(
        eq(uint, listed(root, NV("0000:3e:00.5", "creatable_vgpu_types")), 0));
    for (int i = 5; i < 12; i++) { /* seven more: 8 in all */
        snprintf(vf, sizeof(vf),
                 "bus/pci/devices/0000:3d:%02x.%x/nvidia/"
                 "current_vgpu_type",
                 (i >> 3), i & 7);
        cr_assert(eq(int, poke(root, vf, i % 2 ? "1161" : "1151\n"), 0), "%s",
                  vf);
    }
    expect_text(root, NV("0000:3d:04.3", "creatable_vgpu_types"), HEADER);
    cr_expect(eq(int,
                 poke(root, NV("0000:3d:04.3", "current_vgpu_type"), "1151"),
                 -EIO));
}

Test(fakesys_vfio_live, a_type_the_vf_does_not_list_is_eio)
{
    const char *root = start("a10-vfio");

    /* A10-6Q on 41:00.5 already: a 4 GB type is not listed any more */
    cr_expect(eq(int,
                 poke(root, NV("0000:41:00.6", "current_vgpu_type"), "593\n"),
                 -EIO));
    cr_expect(eq(int,
                 poke(root, NV("0000:41:00.6", "current_vgpu_type"),
                      "11\n"), /* an M60 type: not this GPU's */
                 -EIO));
    cr_expect(eq(int,
                 poke(root, NV("0000:41:00.6", "current_vgpu_type"), "-594"),
                 -EIO));
    expect_text(root, NV("0000:41:00.6", "current_vgpu_type"), "0\n");
    cr_expect(
        eq(int, poke(root, NV("0000:41:00.6", "current_vgpu_type"), "602"), 0));
}

Test(fakesys_vfio_live, second_write_is_eperm_even_with_the_same_id)
{
    const char *root = start("a10-vfio");

    cr_expect(eq(int,
                 poke(root, NV("0000:41:00.5", "current_vgpu_type"), "594\n"),
                 -EPERM));
    cr_expect(eq(int,
                 poke(root, NV("0000:41:00.5", "current_vgpu_type"), "602\n"),
                 -EPERM));
    expect_text(root, NV("0000:41:00.5", "current_vgpu_type"), "594\n");
}

Test(fakesys_vfio_live, non_numeric_is_einval_as_kstrtol_reads_it)
{
    const char *root = start("a10-vfio");
    const char *bad[] = { "abc",   " 594",
                          "594 ",  "594\n\n",
                          "0x252", "",
                          "\n",    "+",
                          "59 4",  "123456789012345678901234567890123456789x" };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect(
            eq(int, poke(root, NV("0000:41:00.6", "current_vgpu_type"), bad[i]),
               bad[i][0] ? -EINVAL : 0), /* write(2) of 0 bytes: 0 */
            "'%s'", bad[i]);
    cr_expect(eq(int,
                 poke(root, NV("0000:41:00.6", "current_vgpu_type"),
                      "99999999999999999999"),
                 -ERANGE));
    cr_expect(eq(
        int, poke(root, NV("0000:41:00.6", "current_vgpu_type"), "+594\n"), 0));
}

Test(fakesys_vfio_live, destroy_is_eperm_without_a_vgpu_and_ebusy_while_held)
{
    const char *root = start("a10-vfio");
    const char *cur = NV("0000:41:00.5", "current_vgpu_type");

    cr_expect(eq(int, poke(root, NV("0000:41:00.6", "current_vgpu_type"), "0"),
                 -EPERM));
    cr_assert(eq(int, control(root, "hold 0000:41:00.5\n"), 0));
    cr_expect(eq(int, poke(root, cur, "0\n"), -EBUSY));
    expect_text(root, cur, "594\n");
    cr_assert(eq(int, control(root, "release 0000:41:00.5"), 0));
    cr_expect(eq(int, poke(root, cur, "0\n"), 0));
    expect_text(root, cur, "0\n");
    cr_expect(eq(int, poke(root, cur, "0\n"), -EPERM));
    /* an empty GPU again: every VF lists all 18 types */
    cr_expect(
        eq(uint, listed(root, NV("0000:41:04.3", "creatable_vgpu_types")), 18));
}

Test(fakesys_vfio_live, reboot_resets_every_type_and_every_guest)
{
    const char *root = start("l40s-vfio");

    cr_assert(eq(
        int, poke(root, NV("0000:3d:00.4", "current_vgpu_type"), "1147"), 0));
    cr_assert(eq(int, control(root, "hold 0000:3d:00.4"), 0));
    cr_assert(eq(int, control(root, "reboot\n"), 0));
    expect_text(root, NV("0000:3d:00.4", "current_vgpu_type"), "0\n");
    expect_text(root, NV("0000:3e:00.4", "current_vgpu_type"), "0\n");
    cr_expect(
        eq(uint, listed(root, NV("0000:3e:00.4", "creatable_vgpu_types")), 23));
    /* the guest went with the reboot: a new vGPU can go again */
    cr_assert(eq(
        int, poke(root, NV("0000:3d:00.4", "current_vgpu_type"), "1156"), 0));
    cr_expect(
        eq(int, poke(root, NV("0000:3d:00.4", "current_vgpu_type"), "0"), 0));
}

Test(fakesys_vfio_live, instance_ids_read_enxio_until_a_vgpu_exists)
{
    const char *root = start("l40s-vfio");
    const char *gi = NV("0000:3d:00.4", "gpu_instance_id");
    const char *pl = NV("0000:3d:00.4", "placement_id");

    cr_expect(eq(int, read_errno(root, gi), -ENXIO));
    cr_expect(eq(int, read_errno(root, pl), -ENXIO));
    cr_expect(eq(int, poke(root, gi, "1"), -ENXIO));
    cr_assert(eq(
        int, poke(root, NV("0000:3d:00.4", "current_vgpu_type"), "1155"), 0));
    cr_expect(eq(int, read_errno(root, gi), 0));
    expect_text(root, pl, "0\n");
    cr_assert(eq(
        int, poke(root, NV("0000:3d:00.5", "current_vgpu_type"), "1165"), 0));
    expect_text(root, NV("0000:3d:00.5", "placement_id"), "24\n");
}

Test(fakesys_vfio_live, mig_type_without_a_free_gpu_instance_is_eio)
{
    const char *root = start("rtxpro6000-mig");
    const char *vfs[] = { NV("0001:04:00.3", "current_vgpu_type"),
                          NV("0001:04:00.4", "current_vgpu_type"),
                          NV("0001:04:00.5", "current_vgpu_type") };

    /* a time-sliced type while MIG is on: RM refuses it */
    cr_expect(eq(int, poke(root, vfs[0], "1521\n"), -EIO));
    cr_assert(eq(int, poke(root, vfs[0], "1561\n"), 0));
    cr_assert(eq(int, poke(root, vfs[1], "1563\n"), 0));
    cr_assert(eq(int, poke(root, vfs[2], "1562\n"), 0));
    expect_text(root, NV("0001:04:00.5", "gpu_instance_id"), "6\n");
    expect_text(root, NV("0001:04:00.5", "placement_id"), "3\n");
    expect_text(root, NV("0001:04:00.6", "creatable_vgpu_types"), HEADER);
    cr_expect(eq(int,
                 poke(root, NV("0001:04:00.6", "current_vgpu_type"), "1561\n"),
                 -EIO));
    /* freeing one instance makes its types creatable again */
    cr_assert(eq(int, poke(root, vfs[1], "0\n"), 0));
    cr_expect(eq(
        int, poke(root, NV("0001:04:00.6", "current_vgpu_type"), "1561\n"), 0));
    expect_text(root, NV("0001:04:00.6", "gpu_instance_id"), "5\n");
}

Test(fakesys_vfio_live, control_refuses_what_no_guest_could_do)
{
    const char *root = start("a10-vfio");
    _cleanup_free_ char *path = xasprintf("%s/" FAKEVFIO_CONTROL, root);
    struct errbuf eb = { 0 };
    DIR *d;
    struct dirent *e;
    bool listed = false;

    cr_expect(eq(int, fakesys_live_control(root, "hold 0000:41:00.6", &eb),
                 -ENODEV)); /* no vGPU: opening the VF fails */
    cr_expect(ne(ptr, strstr(eb.msg, "hold 0000:41:00.6"), NULL), "%s", eb.msg);
    cr_expect(eq(int, control(root, "hold 0000:99:00.4"), -ENOENT));
    cr_expect(eq(int, control(root, "unplug 0000:41:00.5"), -EINVAL));
    cr_expect(eq(int, control(root, "reboot now"), -EINVAL));
    cr_expect(eq(int, open(path, O_RDONLY | O_CLOEXEC), -1));
    cr_expect(eq(int, errno, EACCES));
    d = opendir(root);
    cr_assert(ne(ptr, d, NULL));
    while ((e = readdir(d)))
        listed |= strcmp(e->d_name, FAKEVFIO_CONTROL) == 0;
    closedir(d);
    cr_expect(not(listed));
}
