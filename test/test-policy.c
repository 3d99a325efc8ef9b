/*
 * test-policy.c - which type each GPU offers, inventory totals, caps, traits.
 *
 * Hosts and configurations are built in memory, so each test states exactly
 * the sysfs facts its rule depends on.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "uuidstr.h"
#include "xalloc.h"

#define PCI_DISPLAY_VGA 0x030000
#define PCI_DISPLAY_3D 0x030200
#define PCI_NETWORK 0x020000

static struct host *host;
static struct conf *conf;
static struct policy *pol;

static void
setup(void)
{
    host = host_new();
    host->has_vgpu_info = true;
    conf = xcalloc(1, sizeof(*conf));
    conf->node_name = xstrdup("compute-1");
}

static void
teardown(void)
{
    policy_free(pol);
    host_free(host);
    conf_free(conf);
}

TestSuite(policy, .init = setup, .fini = teardown);

/* An mdev parent: a PCI function (name is its address) or, with pci_class
 * 0 and a name that is no address, a non-PCI one. */
static struct host_fn *
add_parent(const char *name, unsigned pci_class, const char *physfn)
{
    struct host_fn fn = { .name = xstrdup(name), .pci_class = pci_class };

    fn.is_pci = pci_addr_parse(name, &fn.addr) == 0;
    fn.path =
        xasprintf("devices/%s/%s", fn.is_pci ? "pci0000:00" : "virtual", name);
    if (physfn) {
        fn.is_vf = true;
        cr_assert(eq(int, pci_addr_parse(physfn, &fn.physfn), 0));
    }
    return host_add_fn(host, HOST_MODE_MDEV, &host_mdev_ops, &fn);
}

static struct host_type *
add_type(struct host_fn *p, const char *id, const char *api, unsigned available)
{
    struct host_type *t = host_fn_add_type(p, id);

    free(t->name);
    t->name = xasprintf("name of %s", id);
    t->device_api = xstrdup(api);
    t->available = available;
    return t;
}

static void
add_mdev(const char *uuid, const char *parent, const char *type_id)
{
    host_add_vgpu(host, uuid, parent, type_id);
}

/* Enable a type; addresses is NULL or a NULL-terminated list. */
static struct conf_type *
enable(const char *id, const char *const *addresses, unsigned max_instances)
{
    struct conf_type *t;

    conf->types = xrealloc(conf->types, (conf->n_types + 1) * sizeof(*t));
    t = &conf->types[conf->n_types++];
    *t = (struct conf_type){ .id = xstrdup(id),
                             .mdev_class = xstrdup("VGPU"),
                             .max_instances = max_instances };
    for (size_t i = 0; addresses && addresses[i]; i++) {
        struct pci_addr a;

        strv_push(&t->parents, addresses[i]);
        if (pci_addr_parse(addresses[i], &a) < 0)
            continue;
        t->addresses = xrealloc(t->addresses, (t->n_addresses + 1) * sizeof(a));
        t->addresses[t->n_addresses++] = a;
    }
    return t;
}

static const struct policy_gpu *
find_gpu(const char *address)
{
    for (size_t i = 0; i < pol->n_gpus; i++)
        if (strcmp(pol->gpus[i].address, address) == 0)
            return &pol->gpus[i];
    return NULL;
}

/* The GPU at address, which must have a provider. */
static const struct policy_gpu *
gpu(const char *address)
{
    const struct policy_gpu *g = find_gpu(address);

    cr_assert(g != NULL, "no provider for %s", address);
    if (!g)
        abort(); /* not reached; tells the compiler g is set */
    return g;
}

static bool
any_contains(const struct strv *sv, const char *needle)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strstr(sv->v[i], needle))
            return true;
    return false;
}

/* Two M60-like GPUs offering nvidia-35 (16) and nvidia-36 (8). */
static void
two_gpus(void)
{
    const char *addrs[] = { "0000:84:00.0", "0000:85:00.0" };

    for (size_t i = 0; i < 2; i++) {
        struct host_fn *p = add_parent(addrs[i], PCI_DISPLAY_VGA, NULL);

        add_type(p, "nvidia-35", "vfio-pci", 16);
        add_type(p, "nvidia-36", "vfio-pci", 8);
    }
}

Test(policy, the_single_type_without_addresses_is_every_gpus_default)
{
    two_gpus();
    enable("nvidia-36", NULL, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 2));
    cr_assert(eq(str, pol->gpus[0].address, "0000:84:00.0"));
    cr_assert(eq(str, pol->gpus[0].conf->id, "nvidia-36"));
    cr_assert(eq(u32, pol->gpus[0].total, 8));
    cr_assert(eq(str, pol->gpus[1].conf->id, "nvidia-36"));
}

Test(policy, device_addresses_beat_the_default_type)
{
    const char *addrs[] = { "0000:85:00.0", NULL };

    two_gpus();
    enable("nvidia-35", NULL, 0);
    enable("nvidia-36", addrs, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 2));
    cr_assert(eq(str, gpu("0000:84:00.0")->conf->id, "nvidia-35"));
    cr_assert(eq(u32, gpu("0000:84:00.0")->total, 16));
    cr_assert(eq(str, gpu("0000:85:00.0")->conf->id, "nvidia-36"));
    cr_assert(eq(u32, gpu("0000:85:00.0")->total, 8));
}

Test(policy, two_types_without_addresses_leave_unlisted_gpus_without_type)
{
    two_gpus();
    enable("nvidia-35", NULL, 0);
    enable("nvidia-36", NULL, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 0));
    cr_assert(
        any_contains(&pol->notes, "0000:84:00.0: no enabled type applies"));
}

Test(policy, existing_mdevs_choose_the_type_when_nothing_else_does)
{
    two_gpus();
    host->gpus[1].fns[0].types[0].available = 14; /* two nvidia-35 made */
    add_mdev("11111111-1111-4111-8111-111111111111", "0000:85:00.0",
             "nvidia-35");
    add_mdev("22222222-2222-4222-8222-222222222222", "0000:85:00.0",
             "nvidia-35");
    enable("nvidia-35", NULL, 0);
    enable("nvidia-36", NULL, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 1));
    cr_assert(eq(str, pol->gpus[0].address, "0000:85:00.0"));
    cr_assert(eq(str, pol->gpus[0].conf->id, "nvidia-35"));
    cr_assert(eq(u32, pol->gpus[0].total, 16), "14 available + 2 existing");
    cr_assert(eq(sz, pol->gpus[0].mdevs.n, 2));
    cr_assert(eq(str, pol->gpus[0].mdevs.v[0],
                 "11111111-1111-4111-8111-111111111111"));
}

Test(policy, time_sliced_total_is_available_plus_existing_mdevs)
{
    struct host_fn *p = add_parent("0000:3b:00.0", PCI_DISPLAY_3D, NULL);

    add_type(p, "nvidia-294", "vfio-pci", 0);
    add_mdev("aaaaaaaa-0000-4000-8000-000000000001", "0000:3b:00.0",
             "nvidia-294");
    add_mdev("aaaaaaaa-0000-4000-8000-000000000002", "0000:3b:00.0",
             "nvidia-294");
    enable("nvidia-294", NULL, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 1));
    cr_assert(eq(u32, pol->gpus[0].total, 2));
}

Test(policy, mdevs_of_another_type_are_not_counted_and_warned_about)
{
    two_gpus();
    add_mdev("33333333-3333-4333-8333-333333333333", "0000:84:00.0",
             "nvidia-36");
    host->gpus[0].fns[0].types[0].available = 0;
    enable("nvidia-35", NULL, 0);
    pol = policy_decide(conf, host);
    cr_assert(find_gpu("0000:84:00.0") == NULL, "total 0: dropped");
    cr_assert(any_contains(&pol->warnings,
                           "mdev 33333333-3333-4333-8333-333333333333 is of "
                           "type nvidia-36, not the configured nvidia-35"));
    cr_assert(any_contains(&pol->notes, "0000:84:00.0: no capacity"));
}

Test(policy, a_gpu_without_the_listed_type_gets_no_provider_and_a_warning)
{
    const char *addrs[] = { "0000:84:00.0", NULL };

    two_gpus();
    enable("nvidia-99", addrs, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 0));
    cr_assert(any_contains(&pol->warnings,
                           "0000:84:00.0: does not support nvidia-99"));
}

Test(policy, a_gpu_without_the_default_type_is_only_noted)
{
    struct host_fn *p = add_parent("0000:d8:00.0", PCI_DISPLAY_3D, NULL);

    add_type(p, "nvidia-105", "vfio-pci", 16);
    enable("nvidia-259", NULL, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 0));
    cr_assert(eq(sz, pol->warnings.n, 0));
    cr_assert(any_contains(&pol->notes, "does not support nvidia-259"));
}

Test(policy, non_gpu_parents_are_ignored)
{
    /* add_parent() may move earlier parents: add each one's type at once. */
    add_type(add_parent("0000:01:00.0", PCI_NETWORK, NULL), "mlx5-sf",
             "vfio-pci", 4);
    add_type(add_parent("0.0.0010", 0, NULL), "vfio_ccw-io", "vfio-ccw", 1);
    add_type(add_parent("0000:02:00.0", PCI_DISPLAY_VGA, NULL),
             "vfio_ap-passthrough", "vfio-ap", 1);
    enable("mlx5-sf", NULL, 0);
    enable("vfio_ccw-io", (const char *const[]){ "0000:99:00.0", NULL }, 0);
    enable("vfio_ap-passthrough", (const char *const[]){ "0000:98:00.0", NULL },
           0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 0));
    cr_assert(any_contains(&pol->notes, "0.0.0010: not a vfio-pci GPU"));
    cr_assert(any_contains(&pol->notes, "0000:01:00.0: not a vfio-pci GPU"));
}

Test(policy, a_non_pci_parent_named_in_device_addresses_is_managed)
{
    struct host_fn *p = add_parent("mtty", 0, NULL);

    add_type(p, "mtty-2", "vfio-pci", 2);
    enable("mtty-2", (const char *const[]){ "mtty", NULL }, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 1));
    cr_assert(eq(str, pol->gpus[0].address, "mtty"));
    cr_assert(not(pol->gpus[0].is_pci));
    cr_assert(eq(u32, pol->gpus[0].total, 2));
}

/* An A100: PF 0000:41:00.0 with n VFs 0000:41:00.4 ... as mdev parents. */
static void
sriov_vfs(unsigned n, unsigned with_mdev, unsigned max_instance)
{
    for (unsigned i = 0; i < n; i++) {
        char name[PCI_ADDR_STR_MAX], uuid[UUIDSTR_LEN];
        struct pci_addr a = { 0, 0x41, (4 + i) / 8, (4 + i) % 8 };
        struct host_fn *p = add_parent(pci_addr_format(&a, name),
                                       PCI_DISPLAY_3D, "0000:41:00.0");
        struct host_type *t =
            add_type(p, "nvidia-472", "vfio-pci", i < with_mdev ? 0 : 1);

        t->desc.max_instance = max_instance;
        if (i < with_mdev) {
            snprintf(uuid, sizeof(uuid), "bbbbbbbb-0000-4000-8000-%012u", i);
            add_mdev(uuid, name, "nvidia-472");
        }
    }
}

Test(policy, sriov_vfs_of_one_function_form_one_gpu)
{
    sriov_vfs(16, 3, 0);
    enable("nvidia-472", NULL, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 1));
    cr_assert(eq(str, pol->gpus[0].address, "0000:41:00.0"));
    cr_assert(pol->gpus[0].is_sriov);
    cr_assert(eq(sz, pol->gpus[0].parents.n, 16));
    cr_assert(eq(str, pol->gpus[0].parents.v[0], "0000:41:00.4"));
    cr_assert(eq(u32, pol->gpus[0].total, 16), "3 existing + 13 with room");
    cr_assert(eq(sz, pol->gpus[0].mdevs.n, 3));
}

Test(policy, sriov_total_is_capped_by_the_types_max_instance)
{
    sriov_vfs(16, 3, 10);
    enable("nvidia-472", NULL, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(u32, pol->gpus[0].total, 10));
}

Test(policy, the_physical_functions_address_selects_an_sriov_group)
{
    sriov_vfs(4, 0, 0);
    enable("nvidia-999", NULL, 0);
    enable("nvidia-472", (const char *const[]){ "0000:41:00.0", NULL }, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 1));
    cr_assert(eq(str, pol->gpus[0].conf->id, "nvidia-472"));
    cr_assert(eq(u32, pol->gpus[0].total, 4));
}

Test(policy, max_instances_caps_a_type_host_wide_in_address_order)
{
    const char *addrs[] = { "0000:86:00.0", "0000:84:00.0", "0000:85:00.0" };

    for (size_t i = 0; i < 3; i++)
        add_type(add_parent(addrs[i], PCI_DISPLAY_VGA, NULL), "nvidia-35",
                 "vfio-pci", 16);
    enable("nvidia-35", NULL, 20);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 2), "the third GPU gets nothing");
    cr_assert(eq(str, pol->gpus[0].address, "0000:84:00.0"));
    cr_assert(eq(u32, pol->gpus[0].total, 16));
    cr_assert(eq(str, pol->gpus[1].address, "0000:85:00.0"));
    cr_assert(eq(u32, pol->gpus[1].total, 4), "capped, not dropped");
}

Test(policy, a_gpu_with_nothing_available_and_no_mdevs_gets_no_provider)
{
    add_type(add_parent("0000:84:00.0", PCI_DISPLAY_VGA, NULL), "nvidia-35",
             "vfio-pci", 0);
    enable("nvidia-35", NULL, 0);
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->n_gpus, 0));
}

Test(policy, traits_name_the_type_the_configured_traits_and_the_description)
{
    struct host_type *t =
        add_type(add_parent("0000:84:00.0", PCI_DISPLAY_VGA, NULL), "nvidia-18",
                 "vfio-pci", 4);
    struct conf_type *ct = enable("nvidia-18", NULL, 0);
    char *want[] = {
        "CUSTOM_M60_FOR_CAD",           "CUSTOM_NVIDIA_18",
        "HW_GPU_MAX_DISPLAY_HEADS_2",   "HW_GPU_RESOLUTION_W1024H600",
        "HW_GPU_RESOLUTION_W1024H768",  "HW_GPU_RESOLUTION_W1152H864",
        "HW_GPU_RESOLUTION_W1280H1024", "HW_GPU_RESOLUTION_W1280H720",
        "HW_GPU_RESOLUTION_W1280H768",  "HW_GPU_RESOLUTION_W1280H800",
        "HW_GPU_RESOLUTION_W1360H768",  "HW_GPU_RESOLUTION_W1366H768",
        "HW_GPU_RESOLUTION_W1440H900",  "HW_GPU_RESOLUTION_W1600H1200",
        "HW_GPU_RESOLUTION_W1600H900",  "HW_GPU_RESOLUTION_W1680H1050",
        "HW_GPU_RESOLUTION_W1920H1080", "HW_GPU_RESOLUTION_W1920H1200",
        "HW_GPU_RESOLUTION_W2560H1440", "HW_GPU_RESOLUTION_W2560H1600",
        "HW_GPU_RESOLUTION_W320H240",   "HW_GPU_RESOLUTION_W640H480",
        "HW_GPU_RESOLUTION_W800H600",
    };

    t->desc.num_heads = 2;
    t->desc.max_res_w = 2560;
    t->desc.max_res_h = 1600;
    strv_push(&ct->traits, "CUSTOM_M60_FOR_CAD");
    pol = policy_decide(conf, host);
    cr_assert(eq(sz, pol->gpus[0].traits.n, sizeof(want) / sizeof(*want)));
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        cr_assert(eq(str, pol->gpus[0].traits.v[i], want[i]));
}

Test(policy, only_standard_head_counts_and_resolutions_become_traits)
{
    struct type_desc d = { .num_heads = 3,
                           .max_res_w = 1280,
                           .max_res_h = 700 };
    struct strv traits = { 0 };

    policy_desc_traits(&d, &traits);
    /* 3 heads is no standard trait; 1280x720 is taller than 700. */
    cr_assert(not(any_contains(&traits, "HEADS")));
    cr_assert(strv_contains(&traits, "HW_GPU_RESOLUTION_W1024H600"));
    cr_assert(not(strv_contains(&traits, "HW_GPU_RESOLUTION_W1280H720")));
    cr_assert(not(strv_contains(&traits, "HW_GPU_RESOLUTION_W1024H768")));
    strv_clear(&traits);
}

/* Arrays, not pointers: each test runs in a fresh process image. */
struct trait_case {
    char type_id[32], trait[40];
};

ParameterizedTestParameters(policy, type_traits)
{
    static struct trait_case cases[] = {
        { "nvidia-35", "CUSTOM_NVIDIA_35" },
        { "i915-GVTg_V5_4", "CUSTOM_I915_GVTG_V5_4" },
        { "mtty-2", "CUSTOM_MTTY_2" },
        { "vfio_ap-passthrough", "CUSTOM_VFIO_AP_PASSTHROUGH" },
    };
    return cr_make_param_array(struct trait_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct trait_case *c, policy, type_traits)
{
    _cleanup_free_ char *t = policy_type_trait(c->type_id);

    cr_assert(eq(str, t, c->trait));
}
