/*
 * test-coexist-hosts.c - end to end, against the real Placement: two hosts
 * given one node name, the node name nova-compute gives a host, and
 * nova.conf's vGPU settings imported (test-coexist's second source: its
 * main() serves both).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "cleanup.h"
#include "testcoexist.h"
#include "xalloc.h"

static struct site a, b;

static void
teardown(void)
{
    site_clear(&a);
    site_clear(&b);
}

TestSuite(coexist_hosts, .fini = teardown);

#define M60_TYPES                                                              \
    "enabled_mdev_types: [nvidia-18, nvidia-11]\n"                             \
    "mdev_types:\n"                                                            \
    "  nvidia-18:\n"                                                           \
    "    device_addresses: [\"0000:3e:00.0\"]\n"
#define RTX_TYPES                                                              \
    "mdev_types:\n"                                                            \
    "  nvidia-262:\n"                                                          \
    "    device_addresses: [\"0000:41:00.0\"]\n"                               \
    "  nvidia-105:\n"                                                          \
    "    device_addresses: [\"0000:c1:00.0\"]\n"

/* The owner trait Placement shows on provider uuid. */
static char *
owner_of(const char *uuid)
{
    _cleanup_free_ char *state = coexist_state(uuid);
    const char *t = strstr(state, "trait:CUSTOM_VGPU_HOST_");

    cr_assert(t != NULL, "%s has no owner trait: %s", uuid, state);
    t += strlen("trait:");
    return xstrndup(t, strcspn(t, " "));
}

static bool
has(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

Test(coexist_hosts, two_hosts_with_one_node_name_never_fight)
{
    const char *node = "cx-two-hosts.example.com";
    _cleanup_free_ char *sa = xasprintf("node_name: %s\n" M60_TYPES, node);
    _cleanup_free_ char *sb = xasprintf("node_name: %s\n" RTX_TYPES, node);
    _cleanup_free_ char *root = NULL, *a3e = NULL, *b41 = NULL, *owner_a = NULL,
                        *owner_b = NULL, *gens = NULL, *again = NULL,
                        *state_a = NULL, *later_a = NULL;

    site_init(&a, "m60", false);
    site_init(&b, "rtx6000-v100", false);
    site_conf(&a, sa);
    site_conf(&b, sb);
    cr_assert(eq(int, site_sync(&a), 0), "%s", a.run.err);
    a3e = coexist_uuid_of("cx-two-hosts.example.com_pci_0000_3e_00_0");
    cr_assert(ne(ptr, a3e, NULL));
    owner_a = owner_of(a3e);
    state_a = coexist_state(a3e);
    cr_assert(eq(int, site_sync(&b), 1), "an error: %s", b.run.err);
    cr_assert(has(b.run.err, "cx-two-hosts.example.com_pci_0000_3e_00_0: "
                             "another host's GPU provider"),
              "%s", b.run.err);
    cr_assert(has(b.run.err, owner_a), "it names the other host: %s",
              b.run.err);
    cr_assert(has(b.run.err, "this host is"), "%s", b.run.err);
    b41 = coexist_uuid_of("cx-two-hosts.example.com_pci_0000_41_00_0");
    cr_assert(ne(ptr, b41, NULL), "B still reports its own GPUs");
    owner_b = owner_of(b41);
    cr_assert(ne(str, owner_a, owner_b));
    cr_assert(eq(int, site_sync(&a), 1), "%s", a.run.err);
    cr_assert(has(a.run.err, "cx-two-hosts.example.com_pci_0000_41_00_0: "
                             "another host's GPU provider"),
              "%s", a.run.err);
    cr_assert(has(a.run.err, owner_b), "%s", a.run.err);
    root = coexist_uuid_of(node);
    gens = coexist_generations(root);
    for (int i = 0; i < 2; i++) {
        cr_assert(eq(int, site_sync(&a), 1), "%s", a.run.err);
        cr_assert(has(a.run.err, "0 created, 0 updated, 0 deleted"), "%s",
                  a.run.err);
        cr_assert(eq(int, site_sync(&b), 1), "%s", b.run.err);
        cr_assert(has(b.run.err, "0 created, 0 updated, 0 deleted"), "%s",
                  b.run.err);
    }
    again = coexist_generations(root);
    cr_assert(eq(str, again, gens), "nobody writes the other's providers");
    later_a = coexist_state(a3e);
    cr_assert(eq(str, later_a, state_a));
}

Test(coexist_hosts, twin_hosts_leave_each_others_gpus_alone)
{
    const char *node = "cx-twins.example.com";
    _cleanup_free_ char *settings =
        xasprintf("node_name: %s\n" M60_TYPES, node);
    _cleanup_free_ char *gpu = NULL, *root = NULL, *gens = NULL, *after = NULL,
                        *owner = NULL;

    site_init(&a, "m60", false);
    site_init(&b, "m60", false);
    site_conf(&a, settings);
    site_conf(&b, settings);
    cr_assert(eq(int, site_sync(&a), 0), "%s", a.run.err);
    root = coexist_uuid_of(node);
    gpu = coexist_uuid_of("cx-twins.example.com_pci_0000_3e_00_0");
    owner = owner_of(gpu);
    gens = coexist_generations(root);
    cr_assert(eq(int, site_sync(&b), 1), "%s", b.run.err);
    cr_assert(has(b.run.err, "cx-twins.example.com_pci_0000_3e_00_0: another "
                             "host's GPU provider"),
              "%s", b.run.err);
    cr_assert(has(b.run.err, "cx-twins.example.com_pci_0000_3d_00_0: another "
                             "host's GPU provider"),
              "%s", b.run.err);
    after = coexist_generations(root);
    cr_assert(eq(str, after, gens), "B wrote nothing");
    free(after);
    after = owner_of(gpu);
    cr_assert(eq(str, after, owner), "the GPU stays A's");
    cr_assert(eq(int, site_sync(&a), 0), "A is undisturbed: %s", a.run.err);
}

/* What nova-compute's libvirt driver names its node. */
static char *
libvirt_hostname(void)
{
    virConnectPtr conn = virConnectOpenReadOnly("test:///default");
    char *name;

    cr_assert(conn != NULL);
    name = virConnectGetHostname(conn);
    cr_assert(name != NULL);
    virConnectClose(conn);
    return name;
}

Test(coexist_hosts, with_no_node_name_the_agent_finds_nova_computes_root)
{
    const char *cn = "0c000006-0000-4000-8000-000000000006";
    _cleanup_free_ char *host = libvirt_hostname();
    _cleanup_free_ char *gpu_name = xasprintf("%s_pci_0000_3e_00_0", host);
    _cleanup_free_ char *gpu = NULL;
    cJSON *d;

    site_init(&a, "m60", false);
    site_nova_id(&a, cn);
    site_conf(&a, M60_TYPES);
    coexist_nova(cn, host, NULL, 0, false);
    cr_assert(eq(int, site_sync(&a), 0), "%s", a.run.err);
    gpu = coexist_uuid_of(gpu_name);
    cr_assert(ne(ptr, gpu, NULL), "%s", gpu_name);
    d = site_dump(&a);
    coexist_assert_gpus(d, cn);
    cJSON_Delete(d);
}

/* nova.conf of an M60 host, in the deprecated spellings too. */
static const char nova_conf[] =
    "[DEFAULT]\n"
    "host = compute-7\n"
    "\n"
    "[devices]\n"
    "# the Xena name; the old one below is the same option\n"
    "enabled_vgpu_types = nvidia-18,\n"
    "    nvidia-11\n"
    "\n"
    "[vgpu_nvidia-18]\n"
    "device_addresses = 0000:3e:00.0\n"
    "\n"
    "[mdev_nvidia-11]\n"
    "max_instances = 10\n"
    "mdev_class = CUSTOM_M60_11\n";

Test(coexist_hosts, nova_conf_imported_reports_what_nova_would)
{
    const char *node = "cx-imported.example.com";
    _cleanup_free_ char *path = NULL, *settings = NULL, *gpu3d = NULL,
                        *gpu3e = NULL, *s3d = NULL, *s3e = NULL, *root = NULL;
    cJSON *d;

    site_init(&a, "m60", false);
    site_put(&a, "nova.conf", nova_conf);
    path = site_path(&a, "nova.conf");
    site_agent(&a, (const char *const[]){ "import-nova-conf", path, NULL });
    cr_assert(eq(int, a.run.status, 0), "%s", a.run.err);
    settings = xasprintf("node_name: %s\n%s", node, a.run.out);
    site_conf(&a, settings);
    cr_assert(eq(int, site_sync(&a), 0), "%s\n%s", settings, a.run.err);
    d = site_dump(&a);
    root = coexist_uuid_of(node);
    coexist_assert_gpus(d, root);
    cJSON_Delete(d);
    gpu3e = coexist_uuid_of("cx-imported.example.com_pci_0000_3e_00_0");
    gpu3d = coexist_uuid_of("cx-imported.example.com_pci_0000_3d_00_0");
    s3e = coexist_state(gpu3e);
    s3d = coexist_state(gpu3d);
    cr_assert(has(s3e, "VGPU={") && has(s3e, "{\"total\":4,"), "%s", s3e);
    cr_assert(has(s3e, "trait:CUSTOM_NVIDIA_18"), "%s", s3e);
    cr_assert(has(s3d, "CUSTOM_M60_11={"), "%s", s3d);
    cr_assert(has(s3d, "{\"total\":10,"), "max_instances: %s", s3d);
}
