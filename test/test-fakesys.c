/*
 * test-fakesys.c - the sample hosts, the materializer and the live fake
 * kernel behave like sysfs: links resolve as on a real host, and writes to
 * create/remove answer with the kernel's errno.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "fixture.h"
#include "xalloc.h"

static const char *const hosts[] = { "m60",          "p100",
                                     "rtx6000-v100", "a100-sriov",
                                     "intel-gvtg",   "kernel-samples",
                                     "s390" };

#define P100 "devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0"
#define P100_MDEV "3131f5fd-7c04-4a61-92c1-0c37f9547b6b"
#define M60_A "class/mdev_bus/0000:3d:00.0/mdev_supported_types/"
#define M60_B "class/mdev_bus/0000:3e:00.0/mdev_supported_types/"
#define UUID1 "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c1"
#define UUID2 "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c2"

/* root/rel's text, one trailing newline stripped; "" when unreadable. */
static char *
slurp(const char *root, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    char buf[4096] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
    return xstrdup(buf);
}

/* write(2) of s to root/rel: 0 or -errno from open or write. */
static int
poke(const char *root, const char *rel, const char *s)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = write(fd, s, strlen(s));
    return n < 0 ? -errno : 0;
}

static char *
resolve(const char *root, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    char *r = realpath(path, NULL);

    return r ? r : xstrdup("(unresolved)");
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

/* ---- materialized trees ----------------------------------------------------
 */

static char *dir;

static void
rm_dir(void)
{
    if (dir)
        fixture_rm_rf(dir);
    free(dir);
    dir = NULL;
}

TestSuite(fakesys, .fini = rm_dir);

Test(fakesys, every_parent_of_every_sample_host_resolves_to_its_device_path)
{
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        _cleanup_free_ char *rel = xasprintf("hosts/%s.yaml", hosts[i]);
        _cleanup_free_ char *yaml = fixture_data_path(rel);
        _cleanup_(fakesys_host_freep) struct fakesys_host *h = NULL;
        struct errbuf eb = { 0 };

        rm_dir();
        dir = fixture_host(hosts[i]);
        cr_assert(eq(int, fakesys_host_load(yaml, &h, &eb), 0), "%s", eb.msg);
        cr_assert(gt(sz, h->n_parents, 0), "%s", hosts[i]);
        for (size_t p = 0; p < h->n_parents; p++) {
            const struct fakesys_parent *pa = &h->parents[p];
            _cleanup_free_ char *cls = xasprintf("class/mdev_bus/%s", pa->name);
            _cleanup_free_ char *want = xasprintf("%s/%s", dir, pa->path);
            _cleanup_free_ char *got = resolve(dir, cls);

            cr_expect(eq(str, got, want), "%s: %s", hosts[i], pa->name);
        }
    }
}

Test(fakesys, pci_parent_has_bus_driver_and_class_like_the_kernel)
{
    _cleanup_free_ char *bus = NULL, *drv = NULL, *cls = NULL, *want = NULL;

    dir = fixture_host("p100");
    want = xasprintf("%s/" P100, dir);
    bus = resolve(dir, "bus/pci/devices/0000:3b:00.0");
    drv = link_text(dir, P100 "/driver");
    cls = slurp(dir, P100 "/class");
    cr_expect(eq(str, bus, want));
    cr_expect(eq(str, drv, "../../../../bus/pci/drivers/nvidia"));
    cr_expect(eq(str, cls, "0x030200"));
    cr_expect(exists(dir, "bus/pci/drivers/nvidia/0000:3b:00.0"));
}

Test(fakesys, existing_mdev_links_read_as_on_the_captured_p100)
{
    _cleanup_free_ char *bus = NULL, *type = NULL, *dev = NULL, *want = NULL;
    _cleanup_free_ char *typedir = NULL, *avail = NULL;

    dir = fixture_host("p100");
    /* the exact text of `ls -l /sys/bus/mdev/devices` on that host */
    bus = link_text(dir, "bus/mdev/devices/" P100_MDEV);
    cr_expect(eq(str, bus, "../../../" P100 "/" P100_MDEV));
    want = xasprintf("%s/" P100 "/" P100_MDEV, dir);
    free(bus);
    bus = resolve(dir, "bus/mdev/devices/" P100_MDEV);
    cr_expect(eq(str, bus, want));
    type = link_text(dir, P100 "/" P100_MDEV "/mdev_type");
    cr_expect(eq(str, type, "../mdev_supported_types/nvidia-294"));
    typedir = resolve(dir, "bus/mdev/devices/" P100_MDEV "/mdev_type");
    cr_expect(eq(str, strrchr(typedir, '/'), "/nvidia-294"));
    dev = link_text(dir,
                    P100 "/mdev_supported_types/nvidia-294/devices/" P100_MDEV);
    cr_expect(eq(str, dev, "../../../" P100_MDEV));
    avail = slurp(dir, P100 "/mdev_supported_types/nvidia-294/"
                            "available_instances");
    cr_expect(eq(str, avail, "0"));
    cr_expect(exists(dir, P100 "/" P100_MDEV "/remove"));
}

Test(fakesys, sriov_vfs_and_pf_link_both_ways)
{
    const char *pf = "devices/pci0000:40/0000:40:01.1/0000:41:00.0";
    _cleanup_free_ char *phys = NULL, *v0 = NULL, *v15 = NULL, *n = NULL;
    _cleanup_free_ char *used = NULL, *free_vf = NULL, *other = NULL;

    dir = fixture_host("a100-sriov");
    phys = link_text(dir, "class/mdev_bus/0000:41:02.3/physfn");
    v0 = link_text(dir, "bus/pci/devices/0000:41:00.0/virtfn0");
    v15 = link_text(dir, "bus/pci/devices/0000:41:00.0/virtfn15");
    n = slurp(dir, "bus/pci/devices/0000:41:00.0/sriov_numvfs");
    cr_expect(eq(str, phys, "../0000:41:00.0"));
    cr_expect(eq(str, v0, "../0000:41:00.4"));
    cr_expect(eq(str, v15, "../0000:41:02.3"));
    cr_expect(eq(str, n, "16"));
    cr_expect(not(exists(dir, "class/mdev_bus/0000:41:00.0")));
    cr_expect(exists(dir, pf));
    used = slurp(dir, "class/mdev_bus/0000:41:00.4/mdev_supported_types/"
                      "nvidia-470/available_instances");
    free_vf = slurp(dir, "class/mdev_bus/0000:41:00.5/mdev_supported_types/"
                         "nvidia-470/available_instances");
    other = slurp(dir, "class/mdev_bus/0000:41:00.5/mdev_supported_types/"
                       "nvidia-468/available_instances");
    cr_expect(eq(str, used, "0"));
    cr_expect(eq(str, free_vf, "1"));
    cr_expect(eq(str, other, "0"));
}

Test(fakesys, multi_line_description_is_written_as_i915_writes_it)
{
    _cleanup_free_ char *d = NULL;

    dir = fixture_host("intel-gvtg");
    d = slurp(dir, "class/mdev_bus/0000:00:02.0/mdev_supported_types/"
                   "i915-GVTg_V5_8/description");
    cr_expect(eq(str, d,
                 "low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\n"
                 "resolution: 1024x768\nweight: 2"));
}

/* A type attribute below class/mdev_bus/<parent>. */
static char *
type_attr(const char *root, const char *parent, const char *type,
          const char *file)
{
    _cleanup_free_ char *rel = xasprintf(
        "class/mdev_bus/%s/mdev_supported_types/%s/%s", parent, type, file);

    return slurp(root, rel);
}

Test(fakesys, odd_host_omits_files_and_keeps_bad_values_verbatim)
{
    _cleanup_free_ char *yaml = fixture_data_path("fakesys/odd.yaml");
    _cleanup_free_ char *neg = NULL, *abc = NULL, *name = NULL, *abs = NULL;
    const char *kept = "bus/pci/devices/0000:85:00.0/mdev_supported_types/"
                       "nvidia-35/available_instances";
    const char *dropped = "bus/pci/devices/0000:85:00.0/mdev_supported_types/"
                          "nvidia-35/device_api";
    struct errbuf eb = { 0 };

    dir = fixture_tmpdir();
    cr_assert(eq(int, fakesys_materialize(yaml, dir, &eb), 0), "%s", eb.msg);
    neg = type_attr(dir, "0000:84:00.0", "nvidia-35", "available_instances");
    abc = type_attr(dir, "0000:84:00.0", "nvidia-37", "available_instances");
    name = type_attr(dir, "0000:84:00.0", "nvidia-37", "name");
    abs = link_text(dir, "class/mdev_bus/absolute");
    cr_expect(eq(str, neg, "-1"));
    cr_expect(eq(str, abc, "abc"));
    cr_expect(eq(str, name, "no newline"));
    cr_expect(eq(str, abs, "/etc"));
    cr_expect(not(exists(dir, "class/mdev_bus/0000:84:00.0/"
                              "mdev_supported_types/nvidia-36/devices")));
    cr_expect(not(exists(dir, "class/mdev_bus/0000:84:00.0/"
                              "mdev_supported_types/nvidia-36/"
                              "available_instances")));
    cr_expect(not(exists(dir, "class/mdev_bus/0000:85:00.0")));
    cr_expect(exists(dir, kept));
    cr_expect(not(exists(dir, dropped)));
    cr_expect(exists(dir, "class/mdev_bus/gone"));
    cr_expect(exists(dir, "class/mdev_bus/empty-dir"));
}

Test(fakesys, unknown_key_is_an_error_naming_file_line_and_column)
{
    _cleanup_free_ char *yaml = fixture_data_path("fakesys/unknown-key.yaml");
    _cleanup_free_ char *where = xasprintf("%s:8:9: ", yaml);
    struct errbuf eb = { 0 };

    dir = fixture_tmpdir();
    cr_assert(eq(int, fakesys_materialize(yaml, dir, &eb), -EINVAL));
    cr_expect(ne(ptr, strstr(eb.msg, where), NULL), "%s", eb.msg);
    cr_expect(ne(ptr, strstr(eb.msg, "'avaliable_instances'"), NULL), "%s",
              eb.msg);
}

Test(fakesys, mdev_of_an_unknown_type_is_an_error_naming_the_line)
{
    _cleanup_free_ char *yaml = fixture_data_path("fakesys/unknown-type.yaml");
    _cleanup_free_ char *where = xasprintf("%s:10:5: ", yaml);
    struct errbuf eb = { 0 };

    dir = fixture_tmpdir();
    cr_assert(eq(int, fakesys_materialize(yaml, dir, &eb), -EINVAL));
    cr_expect(ne(ptr, strstr(eb.msg, where), NULL), "%s", eb.msg);
    cr_expect(ne(ptr, strstr(eb.msg, "no type 'mtty-3'"), NULL), "%s", eb.msg);
}

/* test/fakesys materialize HOST DIR, as `make demo` runs it. */
static int
run_materialize(const char *yaml, const char *out)
{
    _cleanup_free_ char *bin =
        xasprintf("%s/test/fakesys",
                  getenv("VGPU_BUILDDIR") ? getenv("VGPU_BUILDDIR") : ".");
    int status = -1;
    pid_t pid = fork();

    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

        dup2(null, STDERR_FILENO);
        execl(bin, "fakesys", "materialize", yaml, out, (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(fakesys, command_materializes_into_a_new_directory_or_exits_1)
{
    _cleanup_free_ char *good = fixture_data_path("hosts/m60.yaml");
    _cleanup_free_ char *bad = fixture_data_path("fakesys/unknown-key.yaml");
    _cleanup_free_ char *out = NULL, *out2 = NULL;

    dir = fixture_tmpdir();
    out = xasprintf("%s/sys", dir);
    out2 = xasprintf("%s/sys2", dir);
    cr_assert(eq(int, run_materialize(good, out), 0));
    cr_expect(exists(out, M60_B "nvidia-22/create"));
    cr_expect(eq(int, run_materialize(bad, out2), 1));
}

/* ---- the live fake kernel ---------------------------------------------------
 */

static struct fakesys_live *live;

static void
stop_live(void)
{
    fakesys_live_stop(live); /* runs even when an assertion failed */
    live = NULL;
}

TestSuite(fakesys_live, .fini = stop_live);

/* Serve a sample host (hosts/) or test host (fakesys/); returns the root. */
static const char *
start(const char *rel)
{
    _cleanup_free_ char *yaml = fixture_data_path(rel);
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fakesys_live_start(yaml, &live, &eb), 0), "%s", eb.msg);
    return fakesys_live_root(live);
}

static unsigned
avail(const char *root, const char *parent, const char *type)
{
    _cleanup_free_ char *s =
        type_attr(root, parent, type, "available_instances");

    return (unsigned)strtoul(s, NULL, 10);
}

Test(fakesys_live, create_makes_the_mdev_with_every_link_and_lowers_available)
{
    const char *root = start("hosts/m60.yaml");
    const char *gpu = "devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/"
                      "0000:3c:08.0/0000:3d:00.0";
    _cleanup_free_ char *want = xasprintf("%s/%s/" UUID1, root, gpu);
    _cleanup_free_ char *bus = NULL, *type = NULL, *dev = NULL;

    cr_assert(eq(uint, avail(root, "0000:3d:00.0", "nvidia-18"), 4));
    cr_assert(eq(int, poke(root, M60_A "nvidia-18/create", UUID1 "\n"), 0));
    bus = resolve(root, "bus/mdev/devices/" UUID1);
    type = link_text(root, "bus/mdev/devices/" UUID1 "/mdev_type");
    dev = resolve(root, M60_A "nvidia-18/devices/" UUID1);
    cr_expect(eq(str, bus, want));
    cr_expect(eq(str, type, "../mdev_supported_types/nvidia-18"));
    cr_expect(eq(str, dev, want));
    cr_expect(exists(root, "bus/mdev/devices/" UUID1 "/remove"));
    cr_expect(exists(root, "bus/mdev/devices/" UUID1 "/subsystem"));
    cr_expect(eq(uint, avail(root, "0000:3d:00.0", "nvidia-18"), 3));
    cr_expect(eq(uint, avail(root, "0000:3e:00.0", "nvidia-18"), 4));
}

Test(fakesys_live, create_takes_36_bytes_in_either_case_and_names_it_lower)
{
    const char *root = start("hosts/m60.yaml");

    cr_assert(eq(int,
                 poke(root, M60_B "nvidia-20/create",
                      "6E1BD8C8-5A36-4E69-A0F4-1BA2A1E9A0C1"),
                 0));
    cr_expect(exists(root, "bus/mdev/devices/" UUID1));
    cr_expect(eq(uint, avail(root, "0000:3e:00.0", "nvidia-20"), 1));
}

Test(fakesys_live, malformed_uuid_is_einval)
{
    const char *root = start("hosts/m60.yaml");
    const char *bad[] = {
        "abc\n",
        "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c\n",    /* 35 + newline */
        "{6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c1}",   /* 38 */
        "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c1\r\n", /* 38 */
        "6e1bd8c8x5a36-4e69-a0f4-1ba2a1e9a0c1",     /* no dash */
        "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0cg",     /* not hex */
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect(
            eq(int, poke(root, M60_A "nvidia-11/create", bad[i]), -EINVAL),
            "%s", bad[i]);
    cr_expect(eq(uint, avail(root, "0000:3d:00.0", "nvidia-11"), 16));
}

Test(fakesys_live, uuid_in_use_anywhere_on_the_host_is_eexist)
{
    const char *root = start("hosts/m60.yaml");

    cr_assert(eq(int, poke(root, M60_A "nvidia-11/create", UUID1), 0));
    cr_expect(
        eq(int, poke(root, M60_A "nvidia-11/create", UUID1 "\n"), -EEXIST));
    cr_expect(eq(int, poke(root, M60_B "nvidia-11/create", UUID1), -EEXIST));
    cr_expect(eq(uint, avail(root, "0000:3e:00.0", "nvidia-11"), 16));
}

Test(fakesys_live, no_capacity_left_is_enospc)
{
    const char *root = start("hosts/m60.yaml");

    cr_assert(eq(int, poke(root, M60_A "nvidia-22/create", UUID1), 0));
    cr_expect(eq(uint, avail(root, "0000:3d:00.0", "nvidia-22"), 0));
    cr_expect(eq(int, poke(root, M60_A "nvidia-22/create", UUID2), -ENOSPC));
    cr_expect(not(exists(root, "bus/mdev/devices/" UUID2)));
}

Test(fakesys_live, homogeneous_gpu_offers_only_the_type_in_use)
{
    const char *root = start("hosts/m60.yaml");

    cr_assert(eq(int, poke(root, M60_A "nvidia-15/create", UUID1), 0));
    cr_expect(eq(uint, avail(root, "0000:3d:00.0", "nvidia-15"), 7));
    cr_expect(eq(uint, avail(root, "0000:3d:00.0", "nvidia-11"), 0));
    cr_expect(eq(uint, avail(root, "0000:3d:00.0", "nvidia-22"), 0));
    cr_expect(eq(int, poke(root, M60_A "nvidia-11/create", UUID2), -ENOSPC));
    cr_expect(eq(uint, avail(root, "0000:3e:00.0", "nvidia-11"), 16));
}

Test(fakesys_live, remove_undoes_everything_and_restores_capacity)
{
    const char *root = start("hosts/m60.yaml");
    const char *rm = "bus/mdev/devices/" UUID1 "/remove";

    cr_assert(eq(int, poke(root, M60_A "nvidia-15/create", UUID1), 0));
    cr_expect(eq(int, poke(root, rm, "yes\n"), -EINVAL));
    cr_expect(eq(int, poke(root, rm, "0\n"), 0)); /* accepted, no-op */
    cr_expect(exists(root, "bus/mdev/devices/" UUID1));
    cr_assert(eq(int, poke(root, rm, "1\n"), 0));
    cr_expect(not(exists(root, "bus/mdev/devices/" UUID1)));
    cr_expect(not(exists(root, M60_A "nvidia-15/devices/" UUID1)));
    cr_expect(not(exists(root, "class/mdev_bus/0000:3d:00.0/" UUID1)));
    cr_expect(eq(uint, avail(root, "0000:3d:00.0", "nvidia-15"), 8));
    cr_expect(eq(uint, avail(root, "0000:3d:00.0", "nvidia-11"), 16));
    cr_expect(eq(int, poke(root, M60_A "nvidia-11/create", UUID1), 0));
}

Test(fakesys_live, existing_mdev_of_the_description_can_be_removed)
{
    const char *root = start("hosts/p100.yaml");

    cr_assert(
        eq(int, poke(root, "bus/mdev/devices/" P100_MDEV "/remove", "1"), 0));
    cr_expect(eq(uint, avail(root, "0000:3b:00.0", "nvidia-294"), 1));
    cr_expect(eq(uint, avail(root, "0000:3b:00.0", "nvidia-86"), 0));
    cr_expect(eq(
        int, poke(root, P100 "/mdev_supported_types/nvidia-294/create", UUID1),
        0));
}

Test(fakesys_live, other_attributes_are_read_only_and_create_write_only)
{
    const char *root = start("hosts/m60.yaml");
    _cleanup_free_ char *path = xasprintf("%s/" M60_A "nvidia-11/create", root);

    cr_expect(eq(int, poke(root, M60_A "nvidia-11/available_instances", "9"),
                 -EACCES));
    cr_expect(eq(int, poke(root, M60_A "nvidia-11/name", "x"), -EACCES));
    cr_expect(eq(int, open(path, O_RDONLY | O_CLOEXEC), -1));
    cr_expect(eq(int, errno, EACCES));
    cr_expect(eq(int, mkdir(path, 0755), -1));
}

#define A100_VF(vf, type)                                                      \
    "class/mdev_bus/0000:41:" vf "/mdev_supported_types/" type "/create"

Test(fakesys_live, sriov_vf_holds_one_mdev_and_the_gpu_one_type)
{
    const char *root = start("hosts/a100-sriov.yaml");

    /* the host already has one A100-8C (nvidia-470) on VF 00.4 */
    cr_assert(eq(int, poke(root, A100_VF("00.5", "nvidia-470"), UUID1), 0));
    cr_expect(eq(uint, avail(root, "0000:41:00.5", "nvidia-470"), 0));
    cr_expect(eq(uint, avail(root, "0000:41:00.6", "nvidia-470"), 1));
    cr_expect(
        eq(int, poke(root, A100_VF("00.5", "nvidia-470"), UUID2), -ENOSPC));
    cr_expect(
        eq(int, poke(root, A100_VF("00.6", "nvidia-468"), UUID2), -ENOSPC));
    /* max_instance=5 per GPU: three more, then every VF says 0 */
    cr_assert(eq(int, poke(root, A100_VF("00.6", "nvidia-470"), UUID2), 0));
    cr_assert(eq(int,
                 poke(root, A100_VF("00.7", "nvidia-470"),
                      "00000000-0000-0000-0000-000000000001"),
                 0));
    cr_assert(eq(int,
                 poke(root, A100_VF("01.0", "nvidia-470"),
                      "00000000-0000-0000-0000-000000000002"),
                 0));
    cr_expect(eq(uint, avail(root, "0000:41:02.3", "nvidia-470"), 0));
    cr_expect(eq(int,
                 poke(root, A100_VF("02.3", "nvidia-470"),
                      "00000000-0000-0000-0000-000000000003"),
                 -ENOSPC));
    cr_assert(eq(int, poke(root, "bus/mdev/devices/" UUID1 "/remove", "1"), 0));
    cr_expect(eq(uint, avail(root, "0000:41:02.3", "nvidia-470"), 1));
    cr_expect(eq(uint, avail(root, "0000:41:00.5", "nvidia-470"), 1));
}

Test(fakesys_live, shared_pool_lowers_every_type_and_mdpy_runs_out_with_eusers)
{
    const char *root = start("hosts/kernel-samples.yaml");
    const char *mdpy =
        "class/mdev_bus/mdpy/mdev_supported_types/mdpy-hd/create";
    const char *ids[] = { "00000000-0000-0000-0000-000000000001",
                          "00000000-0000-0000-0000-000000000002",
                          "00000000-0000-0000-0000-000000000003",
                          "00000000-0000-0000-0000-000000000004" };

    cr_assert(eq(int,
                 poke(root,
                      "class/mdev_bus/mtty/mdev_supported_types/"
                      "mtty-2/create",
                      UUID1),
                 0));
    cr_expect(eq(uint, avail(root, "mtty", "mtty-1"), 22));
    cr_expect(eq(uint, avail(root, "mtty", "mtty-2"), 11));
    for (size_t i = 0; i < 4; i++)
        cr_assert(eq(int, poke(root, mdpy, ids[i]), 0));
    cr_expect(eq(uint, avail(root, "mdpy", "mdpy-vga"), 0));
    cr_expect(eq(int, poke(root, mdpy, UUID2), -EUSERS));
}

Test(fakesys_live, stop_unmounts_and_removes_the_mount_point)
{
    _cleanup_free_ char *mnt = xstrdup(start("fakesys/small.yaml"));

    cr_assert(fixture_is_mounted(mnt));
    fakesys_live_stop(live);
    live = NULL;
    cr_expect(not(fixture_is_mounted(mnt)));
    cr_expect(not(exists(mnt, ".")));
}
