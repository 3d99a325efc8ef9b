/*
 * test-host.c - the host model: how functions become GPUs, its order and
 * lookups (built in memory), and the mdev producer with its operations on
 * materialized sample hosts.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fixture.h"
#include "host.h"
#include "xalloc.h"

#define OLD_MDEV "e55bf865-6983-4d53-967f-51e8a3bb0f57" /* on p100 */

static struct host *h;

static void
new_host(void)
{
    h = host_new();
}

static void
free_host(void)
{
    host_free(h);
    h = NULL;
}

TestSuite(host, .init = new_host, .fini = free_host);

/* A function called name (a PCI address or not); a VF when physfn. */
static struct host_fn *
fn(const char *name, const char *physfn)
{
    struct host_fn f = { .name = xstrdup(name),
                         .path = xasprintf("devices/x/%s", name) };

    f.is_pci = pci_addr_parse(name, &f.addr) == 0;
    if (physfn) {
        f.is_vf = true;
        cr_assert(eq(int, pci_addr_parse(physfn, &f.physfn), 0));
    }
    return host_add_fn(h, HOST_MODE_MDEV, &host_mdev_ops, &f);
}

Test(host, the_vfs_of_one_physical_function_are_one_sriov_gpu)
{
    fn("0000:41:00.5", "0000:41:00.0");
    fn("0000:41:00.4", "0000:41:00.0");
    fn("0000:84:00.0", NULL);
    host_sort(h);
    cr_assert(eq(sz, h->n_gpus, 2));
    cr_assert(eq(str, h->gpus[0].address, "0000:41:00.0"));
    cr_assert(h->gpus[0].is_sriov);
    cr_assert(eq(sz, h->gpus[0].n_fns, 2));
    cr_assert(eq(str, h->gpus[0].fns[0].name, "0000:41:00.4"));
    cr_assert(eq(str, h->gpus[0].fns[1].name, "0000:41:00.5"));
    cr_assert(eq(str, h->gpus[1].address, "0000:84:00.0"));
    cr_assert(not(h->gpus[1].is_sriov));
    cr_assert(h->gpus[1].ops == &host_mdev_ops);
}

Test(host, gpus_sort_pci_by_address_then_the_others_by_name)
{
    fn("mtty", NULL);
    fn("0000:85:00.0", NULL);
    fn("0.0.0010", NULL);
    fn("0000:3E:00.0", NULL);
    host_sort(h);
    cr_assert(eq(sz, h->n_gpus, 4));
    cr_assert(eq(str, h->gpus[0].address, "0000:3E:00.0"));
    cr_assert(eq(str, h->gpus[1].address, "0000:85:00.0"));
    cr_assert(eq(str, h->gpus[2].address, "0.0.0010"));
    cr_assert(eq(str, h->gpus[3].address, "mtty"));
    cr_assert(not(h->gpus[3].is_pci));
}

Test(host, functions_types_and_vgpus_are_found_by_name)
{
    const struct host_gpu *gpu = NULL;
    const struct host_fn *f;

    host_fn_add_type(fn("0000:41:00.4", "0000:41:00.0"), "nvidia-470")
        ->available = 1;
    fn("0000:84:00.0", NULL);
    host_add_vgpu(h, "e55bf865-6983-4d53-967f-51e8a3bb0f57", "0000:41:00.4",
                  "nvidia-470");
    host_add_vgpu(h, "3131f5fd-7c04-4a61-92c1-0c37f9547b6b", "0000:84:00.0",
                  "nvidia-35");
    host_sort(h);
    f = host_find_fn(h, "0000:41:00.4", &gpu);
    cr_assert(f != NULL);
    cr_assert(eq(str, gpu->address, "0000:41:00.0"));
    cr_assert(eq(u32, host_fn_find_type(f, "nvidia-470")->available, 1));
    cr_assert(eq(str, host_fn_find_type(f, "nvidia-470")->name, "nvidia-470"),
              "the name defaults to the id");
    cr_assert(host_fn_find_type(f, "nvidia-35") == NULL);
    cr_assert(host_find_fn(h, "0000:41:00.0", NULL) == NULL,
              "a GPU's address is no function of it");
    cr_assert(eq(str, h->vgpus[0].id, "3131f5fd-7c04-4a61-92c1-0c37f9547b6b"));
    cr_assert(eq(str,
                 host_find_vgpu(h, "E55BF865-6983-4D53-967F-51E8A3BB0F57")->fn,
                 "0000:41:00.4"));
    cr_assert(host_find_vgpu(h, "0000:41:00.4") == NULL);
}

/* --- the mdev producer --------------------------------------------------- */

static char *root;
static struct sysfs *fs;

static void
scan_host(const char *name)
{
    struct errbuf eb = { 0 };

    root = fixture_host(name);
    cr_assert(eq(int, sysfs_open(root, &fs, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, host_scan(fs, &h, &eb), 0), "%s", eb.msg);
    cr_assert(eq(sz, h->warnings.n, 0), "%s",
              h->warnings.n ? h->warnings.v[0] : "");
}

static void
close_host(void)
{
    free_host();
    sysfs_close(fs);
    fs = NULL;
    if (root)
        fixture_rm_rf(root);
    free(root);
    root = NULL;
}

TestSuite(host_mdev, .fini = close_host);

Test(host_mdev, an_a100s_sixteen_vf_parents_are_one_gpu)
{
    const struct host_gpu *g;

    scan_host("a100-sriov");
    cr_assert(h->has_vgpu_info);
    cr_assert(eq(sz, h->n_gpus, 1));
    g = &h->gpus[0];
    cr_assert(eq(str, g->address, "0000:41:00.0"));
    cr_assert(g->is_pci && g->is_sriov);
    cr_assert(eq(int, g->mode, HOST_MODE_MDEV));
    cr_assert(eq(sz, g->n_fns, 16));
    cr_assert(eq(str, g->fns[0].name, "0000:41:00.4"));
    cr_assert(eq(str, g->fns[15].name, "0000:41:02.3"));
    cr_assert(eq(u32, g->fns[0].pci_class, 0x030200));
    cr_assert(
        eq(u32, host_fn_find_type(&g->fns[0], "nvidia-470")->available, 0),
        "the VF holding the A100-8C has no room");
    cr_assert(
        eq(u32, host_fn_find_type(&g->fns[1], "nvidia-470")->available, 1));
    cr_assert(eq(u32,
                 host_fn_find_type(&g->fns[1], "nvidia-470")->desc.max_instance,
                 5));
    cr_assert(eq(sz, h->n_vgpus, 1));
    cr_assert(eq(str, h->vgpus[0].fn, "0000:41:00.4"));
    cr_assert(eq(str, h->vgpus[0].type_id, "nvidia-470"));
    cr_assert(eq(ptr, h->vgpus[0].owner, NULL), "mdev records no owner");
}

Test(host_mdev, the_kernel_samples_are_gpus_named_like_their_parents)
{
    scan_host("kernel-samples");
    cr_assert(eq(sz, h->n_gpus, 3));
    cr_assert(eq(str, h->gpus[0].address, "mbochs"));
    cr_assert(eq(str, h->gpus[2].address, "mtty"));
    cr_assert(not(h->gpus[2].is_pci));
    cr_assert(eq(str, h->gpus[2].fns[0].name, "mtty"));
}

Test(host_mdev, an_mdev_id_is_a_lower_case_uuid)
{
    struct errbuf eb = { 0 };

    cr_assert(
        eq(int,
           host_mdev_ops.check_id("e55bf865-6983-4d53-967f-51e8a3bb0f57", &eb),
           0));
    cr_assert(
        eq(int,
           host_mdev_ops.check_id("E55BF865-6983-4D53-967F-51E8A3BB0F57", &eb),
           -EINVAL));
    cr_assert(eq(str, eb.msg,
                 "mdev uuid \"E55BF865-6983-4D53-967F-51E8A3BB0F57\": not a "
                 "lower-case UUID"));
}

/* Size of root/rel; the test fails if it is not there. */
static long long
size_of(const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    struct stat st;

    cr_assert(eq(int, stat(path, &st), 0), "%s", path);
    return (long long)st.st_size;
}

Test(host_mdev, create_and_remove_write_the_kernels_files)
{
    static const char uuid[] = "3b0c5c2e-6a51-4f2e-9d6a-0b7c1f2e3d4a";
    const struct host_gpu *g = NULL;
    const struct host_fn *f;
    struct errbuf eb = { 0 };
    time_t born = 0;

    scan_host("p100");
    f = host_find_fn(h, "0000:3b:00.0", &g);
    cr_assert(f != NULL);
    cr_assert(eq(int, g->ops->create(fs, f, "nvidia-294", uuid, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(i64,
                 size_of("class/mdev_bus/0000:3b:00.0/mdev_supported_types/"
                         "nvidia-294/create"),
                 (long long)strlen(uuid)));
    cr_assert(eq(int, g->ops->born(fs, f, OLD_MDEV, &born, &eb), 0), "%s",
              eb.msg);
    cr_assert(born > 0);
    cr_assert(eq(int, g->ops->remove(fs, f, OLD_MDEV, &eb), 0), "%s", eb.msg);
    cr_assert(eq(i64, size_of("bus/mdev/devices/" OLD_MDEV "/remove"), 1));
}
