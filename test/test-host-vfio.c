/*
 * test-host-vfio.c - the vendor-specific VFIO producer of the host model:
 * the creatable_vgpu_types format and the framebuffer rule, the three
 * sample hosts read with and without the fake NVML, the SR-IOV warning, and
 * the operations on the live fake kernel (the driver's errnos).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fakevfio.h"
#include "fixture.h"
#include "fstree.h"
#include "host-vfio.h"
#include "host.h"
#include "nvml-load.h"
#include "xalloc.h"

#define ASSERT_MSG_HAS(eb, s)                                                  \
    cr_assert(ne(ptr, strstr((eb).msg, (s)), NULL), "message: %s", (eb).msg)

static struct host *h;
static struct sysfs *fs;
static char *root;                /* a materialized host, or NULL */
static struct fakesys_live *live; /* or a live one */

static void
teardown(void)
{
    host_free(h);
    h = NULL;
    sysfs_close(fs);
    fs = NULL;
    if (root)
        fixture_rm_rf(root);
    free(root);
    root = NULL;
    fakesys_live_stop(live);
    live = NULL;
    unsetenv("VGPU_FAKENVML_HOST");
}

TestSuite(host_vfio, .fini = teardown);

/* --- the format and the rule ---------------------------------------------- */

Test(host_vfio, a_list_is_a_header_then_id_colon_name_lines)
{
    _cleanup_free_ struct host_vfio_listed *v = NULL;
    size_t n = 0;

    cr_assert(eq(int,
                 host_vfio_parse_creatable("ID    : vGPU Name\n"
                                           "594   : NVIDIA A10-6Q\n"
                                           "1145  : NVIDIA L40S-1B\n"
                                           "  602:NVIDIA A10-6A  \n\n",
                                           &v, &n, NULL),
                 0));
    cr_assert(eq(sz, n, 3));
    cr_assert(eq(u32, v[0].id, 594));
    cr_assert(eq(str, v[0].name, "NVIDIA A10-6Q"));
    cr_assert(eq(u32, v[1].id, 1145));
    cr_assert(eq(str, v[1].name, "NVIDIA L40S-1B"));
    cr_assert(eq(u32, v[2].id, 602));
    cr_assert(eq(str, v[2].name, "NVIDIA A10-6A"));
}

Test(host_vfio, the_header_alone_lists_nothing_and_a_headless_list_is_read)
{
    _cleanup_free_ struct host_vfio_listed *v = NULL;
    _cleanup_free_ struct host_vfio_listed *w = NULL;
    size_t n = 9, m = 0;

    cr_assert(eq(int,
                 host_vfio_parse_creatable("ID    : vGPU Name\n", &v, &n, NULL),
                 0));
    cr_assert(eq(sz, n, 0));
    cr_assert(eq(int,
                 host_vfio_parse_creatable("1561  : NVIDIA RTX Pro 6000 "
                                           "Blackwell DC-1-24Q",
                                           &w, &m, NULL),
                 0));
    cr_assert(eq(sz, m, 1));
    cr_assert(eq(str, w[0].name, "NVIDIA RTX Pro 6000 Blackwell DC-1-24Q"));
}

Test(host_vfio, a_line_that_is_no_type_fails_and_is_quoted)
{
    static const char *const bad[] = { "ID : x\n594 NVIDIA A10-6Q\n",
                                       "ID : x\nabc : NVIDIA\n",
                                       "ID : x\n0 : NVIDIA\n", "ID : x\n7 :\n",
                                       NULL };

    for (size_t i = 0; bad[i]; i++) {
        _cleanup_free_ struct host_vfio_listed *v = NULL;
        _cleanup_free_ char *quoted = NULL;
        size_t n = 0;

        cr_assert(eq(int, host_vfio_parse_creatable(bad[i], &v, &n, &quoted),
                     -EINVAL),
                  "%s", bad[i]);
        cr_assert(ne(ptr, quoted, NULL));
    }
}

Test(host_vfio, a_names_framebuffer_is_the_number_before_the_series)
{
    cr_assert(eq(u32, host_vfio_name_gb("NVIDIA A10-6Q"), 6));
    cr_assert(eq(u32, host_vfio_name_gb("NVIDIA L40S-48A"), 48));
    cr_assert(eq(
        u32, host_vfio_name_gb("NVIDIA RTX Pro 6000 Blackwell DC-1-24Q"), 24));
    cr_assert(eq(u32, host_vfio_name_gb("NVIDIA H100-80C"), 80));
    cr_assert(eq(u32, host_vfio_name_gb("nvidia-594"), 0));
    cr_assert(eq(u32, host_vfio_name_gb("NVIDIA A10"), 0));
    cr_assert(eq(u32, host_vfio_name_gb("NVIDIA A10-6q"), 0));
}

Test(host_vfio, the_rule_gives_the_published_max_instances)
{
    /* vgpu-device-manager, vGPU 20: A10 1Q 24, 6Q 4, 24Q 1; L40S 1Q 32,
     * 3Q 16, 48Q 1 (32 VFs each) */
    cr_assert(eq(u32, host_vfio_rule_max(32, 24, 1, 0), 24));
    cr_assert(eq(u32, host_vfio_rule_max(32, 24, 6, 0), 4));
    cr_assert(eq(u32, host_vfio_rule_max(32, 24, 24, 0), 1));
    cr_assert(eq(u32, host_vfio_rule_max(32, 48, 1, 0), 32));
    cr_assert(eq(u32, host_vfio_rule_max(32, 48, 3, 0), 16));
    cr_assert(eq(u32, host_vfio_rule_max(32, 48, 48, 0), 1));
    /* unknown sizes: only the floor */
    cr_assert(eq(u32, host_vfio_rule_max(32, 0, 6, 2), 2));
    cr_assert(eq(u32, host_vfio_rule_max(32, 24, 0, 0), 0));
    /* the driver still lists it on a GPU with 1 vGPU: at least 2 */
    cr_assert(eq(u32, host_vfio_rule_max(32, 6, 6, 2), 2));
}

/* --- reading the sample hosts --------------------------------------------- */

static char *
fake_nvml_path(void)
{
    const char *b = getenv("VGPU_BUILDDIR");

    return xasprintf("%s/test/libnvidia-ml.so.1", b ? b : ".");
}

/* Read data/hosts/<name>.yaml materialized; with the fake NVML serving it
 * when nvml, else with none. */
static void
read_host(const char *name, bool nvml)
{
    _cleanup_free_ char *lib = fake_nvml_path();
    _cleanup_free_ char *rel = xasprintf("hosts/%s.yaml", name);
    _cleanup_free_ char *yaml = fixture_data_path(rel);
    struct host_vfio_opts o = { .nvml_path = lib, .no_nvml = !nvml };
    struct errbuf eb = { 0 };

    if (nvml)
        cr_assert(eq(int, setenv("VGPU_FAKENVML_HOST", yaml, 1), 0));
    root = fixture_host(name);
    cr_assert(eq(int, sysfs_open(root, &fs, &eb), 0), "%s", eb.msg);
    h = host_new();
    cr_assert(eq(int, host_vfio_read(fs, h, &o, &eb), 0), "%s", eb.msg);
    host_sort(h);
}

static const struct host_type *
type_on(const char *vf, const char *type_id)
{
    const struct host_fn *f = host_find_fn(h, vf, NULL);

    cr_assert(f != NULL, "no function %s", vf);
    return host_fn_find_type(f, type_id);
}

Test(host_vfio, the_a10s_vfs_are_one_gpu_of_its_pf)
{
    const struct host_gpu *g;
    const struct host_type *t;

    read_host("a10-vfio", false);
    cr_assert(h->has_vgpu_info);
    cr_assert(eq(sz, h->warnings.n, 0), "%s", h->warnings.v[0]);
    cr_assert(eq(sz, h->n_gpus, 1));
    g = &h->gpus[0];
    cr_assert(eq(str, g->address, "0000:41:00.0"));
    cr_assert(g->is_sriov);
    cr_assert(eq(int, g->mode, HOST_MODE_VENDOR_VFIO));
    cr_assert(g->ops == &host_vfio_ops);
    cr_assert(eq(sz, g->n_fns, 32));
    cr_assert(eq(str, g->fns[0].name, "0000:41:00.4"));
    cr_assert(eq(str, g->fns[31].name, "0000:41:04.3"));
    cr_assert(eq(str, g->fns[0].path,
                 "devices/pci0000:40/0000:40:01.1/0000:41:00.4"));
    cr_assert(eq(u32, g->fns[0].pci_class, 0x030200));
    /* the typed VF holds its type, available 0, and lists nothing else */
    t = type_on("0000:41:00.5", "nvidia-594");
    cr_assert(t != NULL);
    cr_assert(eq(u32, t->available, 0));
    cr_assert(eq(str, t->name, "NVIDIA A10-6Q"));
    cr_assert(eq(sz, host_find_fn(h, "0000:41:00.5", NULL)->n_types, 1));
    /* a free VF lists the same-size types, available 1 */
    t = type_on("0000:41:00.6", "nvidia-602");
    cr_assert(t != NULL);
    cr_assert(eq(u32, t->available, 1));
    cr_assert(eq(str, t->device_api, "vfio-pci"));
    cr_assert(type_on("0000:41:00.6", "nvidia-597") == NULL);
    cr_assert(eq(sz, h->n_vgpus, 1));
    cr_assert(eq(str, h->vgpus[0].id, "0000:41:00.5"));
    cr_assert(eq(str, h->vgpus[0].fn, "0000:41:00.5"));
    cr_assert(eq(str, h->vgpus[0].type_id, "nvidia-594"));
}

Test(host_vfio, nvml_gives_max_instances_less_the_other_types_vgpus)
{
    read_host("a10-vfio", true);
    /* A10-6Q: 4 per GPU, its own vGPU counted by policy as existing */
    cr_assert(
        eq(u32, type_on("0000:41:00.6", "nvidia-594")->desc.max_instance, 4));
    /* A10-6A: 4 per GPU, less the A10-6Q the GPU holds */
    cr_assert(
        eq(u32, type_on("0000:41:00.6", "nvidia-602")->desc.max_instance, 3));
    cr_assert(
        eq(u32, type_on("0000:41:00.6", "nvidia-594")->desc.num_heads, 4));
    cr_assert(
        eq(u32, type_on("0000:41:00.6", "nvidia-594")->desc.max_res_w, 7680));
    cr_assert(eq(
        u32, type_on("0000:41:00.6", "nvidia-594")->desc.framebuffer_mb, 6144));
}

Test(host_vfio, without_nvml_a_narrowed_gpu_counts_what_the_driver_shows)
{
    read_host("a10-vfio", false);
    /* the lists show only 6 GB types: the GPU's size is unknown, so the
     * rule's floor holds: the one vGPU plus the one the driver offers */
    cr_assert(
        eq(u32, type_on("0000:41:00.6", "nvidia-594")->desc.max_instance, 2));
    cr_assert(
        eq(u32, type_on("0000:41:00.6", "nvidia-594")->desc.num_heads, 0));
    cr_assert(eq(
        u32, type_on("0000:41:00.6", "nvidia-594")->desc.framebuffer_mb, 6144));
}

Test(host_vfio, without_nvml_an_identical_empty_gpu_names_and_sizes_the_full)
{
    const struct host_type *t;

    read_host("l40s-vfio", false);
    cr_assert(eq(sz, h->n_gpus, 2));
    /* the empty GPU: every type, L40S-4Q 48/4 = 12 */
    cr_assert(
        eq(u32, type_on("0000:3d:00.4", "nvidia-1150")->desc.max_instance, 12));
    cr_assert(
        eq(u32, type_on("0000:3d:00.4", "nvidia-1145")->desc.max_instance, 32));
    /* the full one lists nothing; its L40S-48Q is named by the other */
    t = type_on("0000:3e:00.4", "nvidia-1156");
    cr_assert(t != NULL);
    cr_assert(eq(str, t->name, "NVIDIA L40S-48Q"));
    cr_assert(eq(u32, t->desc.max_instance, 1));
    cr_assert(eq(sz, host_find_fn(h, "0000:3e:00.5", NULL)->n_types, 0));
}

Test(host_vfio, a_mig_gpu_lists_its_mig_backed_types)
{
    read_host("rtxpro6000-mig", true);
    cr_assert(eq(sz, h->n_gpus, 1));
    cr_assert(eq(str, h->gpus[0].address, "0001:04:00.0"));
    cr_assert(eq(str, h->gpus[0].fns[0].name, "0001:04:00.2"));
    cr_assert(eq(u32, type_on("0001:04:00.3", "nvidia-1561")->available, 1));
    cr_assert(
        eq(u32, type_on("0001:04:00.3", "nvidia-1561")->desc.max_instance, 4));
    cr_assert(type_on("0001:04:00.3", "nvidia-1519") == NULL);
    cr_assert(eq(str, h->vgpus[0].id, "0001:04:00.2"));
}

Test(host_vfio, an_nvidia_gpu_without_vfs_is_a_warning_naming_sriov_manage)
{
    _cleanup_free_ char *yaml = NULL;
    _cleanup_free_ char *sys = NULL;
    struct host_vfio_opts o = { .no_nvml = true };
    struct errbuf eb = { 0 };
    FILE *f;

    root = fixture_tmpdir();
    yaml = xasprintf("%s/host.yaml", root);
    f = fopen(yaml, "w");
    cr_assert(ne(ptr, f, NULL));
    fputs("description: an A10 before sriov-manage -e\n"
          "vfio_gpus:\n"
          "  - name: \"0000:41:00.0\"\n"
          "    path: devices/pci0000:40/0000:40:01.1/0000:41:00.0\n"
          "    class: \"0x030200\"\n"
          "    vendor: \"0x10de\"\n"
          "    device: \"0x2236\"\n"
          "    vfs: 0\n"
          "    total_vfs: 32\n"
          "    types:\n"
          "      - {id: 594, name: NVIDIA A10-6Q, framebuffer: 6144, "
          "max_instances: 4}\n",
          f);
    cr_assert(eq(int, fclose(f), 0));
    sys = xasprintf("%s/sys", root);
    cr_assert(eq(int, mkdir(sys, 0755), 0));
    cr_assert(eq(int, fakesys_materialize(yaml, sys, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, sysfs_open(sys, &fs, &eb), 0), "%s", eb.msg);
    h = host_new();
    cr_assert(eq(int, host_vfio_read(fs, h, &o, &eb), 0), "%s", eb.msg);
    cr_assert(eq(sz, h->n_gpus, 0));
    cr_assert(h->has_vgpu_info);
    cr_assert(eq(sz, h->warnings.n, 1));
    cr_assert(eq(str, h->warnings.v[0],
                 "bus/pci/devices/0000:41:00.0: NVIDIA GPU with SR-IOV not "
                 "enabled (sriov_numvfs 0 of 32): its vGPUs live on virtual "
                 "functions; enable them with `/usr/lib/nvidia/sriov-manage "
                 "-e 0000:41:00.0`"));
}

Test(host_vfio, an_mdev_host_has_no_vendor_vfio_gpu_and_no_warning)
{
    struct host_vfio_opts o = { .no_nvml = true };
    struct errbuf eb = { 0 };

    root = fixture_host("a100-sriov");
    cr_assert(eq(int, sysfs_open(root, &fs, &eb), 0), "%s", eb.msg);
    h = host_new();
    cr_assert(eq(int, host_vfio_read(fs, h, &o, &eb), 0), "%s", eb.msg);
    cr_assert(eq(sz, h->n_gpus, 0));
    cr_assert(eq(sz, h->warnings.n, 0), "%s", h->warnings.v[0]);
    cr_assert(not(h->has_vgpu_info));
}

/* --- the operations on the live fake kernel ------------------------------- */

static const struct host_fn *
live_fn(const char *vf)
{
    _cleanup_free_ char *yaml = fixture_data_path("hosts/a10-vfio.yaml");
    struct host_vfio_opts o = { .no_nvml = true };
    struct errbuf eb = { 0 };

    if (!live) {
        cr_assert(eq(int, fakesys_live_start(yaml, &live, &eb), 0), "%s",
                  eb.msg);
        cr_assert(eq(int, sysfs_open(fakesys_live_root(live), &fs, &eb), 0),
                  "%s", eb.msg);
    }
    host_free(h);
    h = host_new();
    cr_assert(eq(int, host_vfio_read(fs, h, &o, &eb), 0), "%s", eb.msg);
    host_sort(h);
    return host_find_fn(h, vf, NULL);
}

static unsigned
current(const char *vf)
{
    _cleanup_free_ char *rel =
        xasprintf("bus/pci/devices/%s/nvidia/current_vgpu_type", vf);
    unsigned v = 99;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, sysfs_read_uint(fs, rel, &v, &eb), 0), "%s", eb.msg);
    return v;
}

Test(host_vfio, create_types_a_free_vf_and_a_second_create_is_a_no_op)
{
    const struct host_fn *f = live_fn("0000:41:00.6");
    struct errbuf eb = { 0 };

    cr_assert(eq(int,
                 host_vfio_ops.create(fs, f, "nvidia-594", "0000:41:00.6", &eb),
                 0),
              "%s", eb.msg);
    cr_assert(eq(u32, current("0000:41:00.6"), 594));
    /* the driver would say EPERM to a rewrite: compared first */
    cr_assert(eq(int,
                 host_vfio_ops.create(fs, f, "nvidia-594", "0000:41:00.6", &eb),
                 0),
              "%s", eb.msg);
    f = live_fn("0000:41:00.6");
    cr_assert(eq(u32, type_on("0000:41:00.6", "nvidia-594")->available, 0));
}

Test(host_vfio, create_on_a_vf_of_another_type_is_eperm_naming_both)
{
    const struct host_fn *f = live_fn("0000:41:00.5");
    struct errbuf eb = { 0 };

    cr_assert(eq(int,
                 host_vfio_ops.create(fs, f, "nvidia-602", "0000:41:00.5", &eb),
                 -EPERM));
    cr_assert(eq(str, eb.msg,
                 "VF 0000:41:00.5: type nvidia-602: it already carries "
                 "nvidia-594"));
    cr_assert(eq(u32, current("0000:41:00.5"), 594));
}

Test(host_vfio, a_type_the_driver_refuses_is_eio_with_the_reason)
{
    const struct host_fn *f = live_fn("0000:41:00.6");
    struct errbuf eb = { 0 };

    /* A10-24Q is not listed beside an A10-6Q: RM refuses it */
    cr_assert(eq(int,
                 host_vfio_ops.create(fs, f, "nvidia-597", "0000:41:00.6", &eb),
                 -EIO));
    ASSERT_MSG_HAS(eb, "VF 0000:41:00.6: type nvidia-597: ");
    ASSERT_MSG_HAS(eb, "nvidia/current_vgpu_type: write \"597\": ");
    ASSERT_MSG_HAS(eb, "the driver refused the type");
    cr_assert(eq(u32, current("0000:41:00.6"), 0));
}

Test(host_vfio, remove_resets_the_vf_and_again_is_a_no_op)
{
    const struct host_fn *f = live_fn("0000:41:00.5");
    struct errbuf eb = { 0 };

    cr_assert(eq(int, host_vfio_ops.remove(fs, f, "0000:41:00.5", &eb), 0),
              "%s", eb.msg);
    cr_assert(eq(u32, current("0000:41:00.5"), 0));
    cr_assert(eq(int, host_vfio_ops.remove(fs, f, "0000:41:00.5", &eb), 0),
              "%s", eb.msg);
}

Test(host_vfio, a_vf_a_guest_holds_is_busy_and_left_as_it_is)
{
    const struct host_fn *f = live_fn("0000:41:00.5");
    struct errbuf eb = { 0 };

    cr_assert(eq(int,
                 fakesys_live_control(fakesys_live_root(live),
                                      "hold 0000:41:00.5", &eb),
                 0),
              "%s", eb.msg);
    cr_assert(
        eq(int, host_vfio_ops.remove(fs, f, "0000:41:00.5", &eb), -EBUSY));
    ASSERT_MSG_HAS(eb, "VF 0000:41:00.5: reset of nvidia-594: ");
    ASSERT_MSG_HAS(eb, "its VFIO device is open");
    cr_assert(eq(u32, current("0000:41:00.5"), 594));
}

Test(host_vfio, ids_are_pci_addresses_as_the_kernel_spells_them)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, host_vfio_ops.check_id("0000:41:00.5", &eb), 0));
    cr_assert(eq(int, host_vfio_ops.check_id("0000:41:00.5 ", &eb), -EINVAL));
    cr_assert(eq(int, host_vfio_ops.check_id("0000:41:0.5", &eb), -EINVAL));
    cr_assert(eq(int, host_vfio_ops.check_id("0000:41:00.A", &eb), -EINVAL));
    cr_assert(
        eq(int,
           host_vfio_ops.check_id("a1a1a1a1-0000-4000-8000-000000000001", &eb),
           -EINVAL));
    ASSERT_MSG_HAS(eb, "not a PCI address");
}

/* --- the one write sysfs allows for it ------------------------------------ */

static void
mk(const char *rel, const char *content)
{
    struct errbuf eb = { 0 };

    if (!root)
        root = fixture_tmpdir();
    cr_assert(eq(int, fstree_write(root, rel, content, &eb), 0), "%s", eb.msg);
}

Test(host_vfio, sysfs_writes_a_vfs_nvidia_current_vgpu_type)
{
    _cleanup_free_ char *got = NULL;
    struct errbuf eb = { 0 };

    mk("devices/vf/nvidia/current_vgpu_type", "0");
    cr_assert(eq(int, sysfs_open(root, &fs, &eb), 0), "%s", eb.msg);
    cr_assert(
        eq(int,
           sysfs_write(fs, "devices/vf/nvidia/current_vgpu_type", "594", &eb),
           0),
        "%s", eb.msg);
    cr_assert(
        eq(int,
           sysfs_read_str(fs, "devices/vf/nvidia/current_vgpu_type", &got, &eb),
           0));
    cr_assert(eq(str, got, "594"));
}

Test(host_vfio, sysfs_refuses_current_vgpu_type_outside_an_nvidia_directory)
{
    struct errbuf eb = { 0 };

    mk("devices/vf/current_vgpu_type", "0");
    mk("devices/vf/xnvidia/current_vgpu_type", "0");
    cr_assert(eq(int, sysfs_open(root, &fs, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, sysfs_write(fs, "devices/vf/current_vgpu_type", "1", &eb),
                 -EPERM));
    cr_assert(eq(
        int, sysfs_write(fs, "devices/vf/xnvidia/current_vgpu_type", "1", &eb),
        -EPERM));
    ASSERT_MSG_HAS(eb, "not a create, remove or nvidia/current_vgpu_type file "
                       "(it is devices/vf/xnvidia/current_vgpu_type)");
}
