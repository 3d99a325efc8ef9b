/*
 * test-tree.c - provider names, UUIDs, order, and provider config merging.
 *
 * Expected UUIDs were computed independently with Python's uuid.uuid5().
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <string.h>

#include "tree.h"
#include "xalloc.h"

#define ROOT_UUID                                                              \
    "a4759065-eb4f-5a46-96b0-019ee60cabef" /* uuid5(DNS, compute-1) */
#define GPU84_UUID "dd53bf12-ae3f-51ca-a32f-c85899f34940"

static struct conf conf;
static struct conf_type type35 = { .id = "nvidia-35", .mdev_class = "VGPU" };
static struct host_type mtype35 = { .id = "nvidia-35", .name = "GRID M60-0B" };
static struct policy pol;
static struct provconf pc;
static struct tree *tree;
static struct errbuf eb;

static void
add_gpu(const char *address, unsigned total)
{
    struct policy_gpu *g;

    pol.gpus = xrealloc(pol.gpus, (pol.n_gpus + 1) * sizeof(*g));
    g = &pol.gpus[pol.n_gpus++];
    *g = (struct policy_gpu){ .address = xstrdup(address),
                              .conf = &type35,
                              .type = &mtype35,
                              .total = total };
    g->is_pci = pci_addr_parse(address, &g->addr) == 0;
    strv_push(&g->parents, address);
    strv_push(&g->traits, "CUSTOM_NVIDIA_35");
}

/* A provider config entry; rc may be NULL (traits only). */
static struct provconf_entry *
add_entry(enum provconf_ident by, const char *ident, const char *rc,
          const char *trait)
{
    struct provconf_entry *e;

    pc.entries = xrealloc(pc.entries, (pc.n_entries + 1) * sizeof(*e));
    e = &pc.entries[pc.n_entries];
    *e = (struct provconf_entry){ .by = by,
                                  .ident = ident ? xstrdup(ident) : NULL,
                                  .where = xasprintf("p.yaml:%zu:5",
                                                     pc.n_entries + 3) };
    pc.n_entries++;
    if (rc) {
        e->invs = xcalloc(1, sizeof(*e->invs));
        e->n_invs = 1;
        inventory_init(&e->invs[0], rc, 10);
    }
    if (trait)
        strv_push(&e->traits, trait);
    return e;
}

static void
setup(void)
{
    conf = (struct conf){ .node_name = "compute-1" };
    pol = (struct policy){ 0 };
    pc = (struct provconf){ 0 };
    tree = NULL;
    eb = (struct errbuf){ 0 };
}

static void
teardown(void)
{
    tree_free(tree);
    for (size_t i = 0; i < pol.n_gpus; i++) {
        free(pol.gpus[i].address);
        strv_clear(&pol.gpus[i].parents);
        strv_clear(&pol.gpus[i].traits);
    }
    free(pol.gpus);
    for (size_t i = 0; i < pc.n_entries; i++) {
        free(pc.entries[i].ident);
        free(pc.entries[i].where);
        if (pc.entries[i].invs)
            inventory_clear(&pc.entries[i].invs[0]);
        free(pc.entries[i].invs);
        strv_clear(&pc.entries[i].traits);
    }
    free(pc.entries);
    strv_clear(&pc.warnings);
}

TestSuite(tree, .init = setup, .fini = teardown);

static void
build(void)
{
    cr_assert(eq(int, tree_build(&conf, &pol, &pc, &tree, &eb), 0), "%s",
              eb.msg);
}

Test(tree, the_root_uuid_is_uuid5_of_the_node_name_in_the_dns_namespace)
{
    build();
    cr_assert(eq(sz, tree->n_providers, 1));
    cr_assert(eq(str, tree->providers[0].uuid, ROOT_UUID));
    cr_assert(eq(str, tree->providers[0].name, "compute-1"));
    cr_assert(eq(str, tree->providers[0].parent_uuid, ""));
    cr_assert(eq(sz, tree->providers[0].n_invs, 0), "no inventory on the root");
}

Test(tree, node_uuid_replaces_the_derived_root_uuid)
{
    conf.node_uuid = "5c0f4b3e-8a61-4a3c-9c1e-2f3a4b5c6d7e";
    add_gpu("0000:84:00.0", 16);
    build();
    cr_assert(eq(str, tree->providers[0].uuid, conf.node_uuid));
    cr_assert(eq(str, tree->providers[1].uuid,
                 "d06a4ca4-1661-572a-b7ba-76186e65ea7c"));
}

Test(tree, a_gpu_child_is_named_like_nova_and_derives_its_uuid_from_the_root)
{
    add_gpu("0000:84:00.0", 16);
    build();
    cr_assert(eq(sz, tree->n_providers, 2));
    cr_assert(eq(str, tree->providers[1].name, "compute-1_pci_0000_84_00_0"));
    cr_assert(eq(str, tree->providers[1].uuid, GPU84_UUID));
    cr_assert(eq(str, tree->providers[1].parent_uuid, ROOT_UUID));
    cr_assert(eq(str, tree->providers[1].device->mdev_type, "nvidia-35"));
    cr_assert(eq(str, tree->providers[1].device->type_name, "GRID M60-0B"));
}

Test(tree, a_child_carries_the_agents_inventory_record)
{
    add_gpu("0000:84:00.0", 16);
    build();
    const struct inventory *inv = &tree->providers[1].invs[0];

    cr_assert(eq(sz, tree->providers[1].n_invs, 1));
    cr_assert(eq(str, inv->rc, "VGPU"));
    cr_assert(eq(i64, inv->total, 16));
    cr_assert(eq(i64, inv->reserved, 0));
    cr_assert(eq(i64, inv->min_unit, 1));
    cr_assert(eq(i64, inv->max_unit, 16));
    cr_assert(eq(i64, inv->step_size, 1));
    cr_assert(eq(dbl, inv->allocation_ratio, 1.0));
}

Test(tree, a_non_pci_child_name_is_sanitized)
{
    add_gpu("mtty", 2);
    build();
    cr_assert(eq(str, tree->providers[1].name, "compute-1_mtty"));
    cr_assert(eq(str, tree->providers[1].uuid,
                 "c75e9691-8d4f-598a-a3e3-18429bed2f51"));
}

Test(tree, children_follow_the_root_sorted_by_name)
{
    add_gpu("0000:85:00.0", 8);
    add_gpu("0000:0a:00.0", 8);
    add_gpu("0000:84:00.0", 8);
    build();
    cr_assert(eq(str, tree->providers[0].name, "compute-1"));
    cr_assert(eq(str, tree->providers[1].name, "compute-1_pci_0000_0a_00_0"));
    cr_assert(eq(str, tree->providers[2].name, "compute-1_pci_0000_84_00_0"));
    cr_assert(eq(str, tree->providers[3].name, "compute-1_pci_0000_85_00_0"));
}

Test(tree, provider_config_adds_traits_and_inventories_by_name)
{
    add_gpu("0000:84:00.0", 16);
    add_entry(PROVCONF_BY_NAME, "compute-1_pci_0000_84_00_0", "CUSTOM_LICENSE",
              "CUSTOM_CAD");
    build();
    const struct tree_provider *p = &tree->providers[1];

    cr_assert(eq(sz, p->n_invs, 2));
    cr_assert(eq(str, p->invs[0].rc, "CUSTOM_LICENSE"), "sorted by class");
    cr_assert(eq(str, p->invs[1].rc, "VGPU"));
    cr_assert(eq(sz, p->traits.n, 2));
    cr_assert(eq(str, p->traits.v[0], "CUSTOM_CAD"));
    cr_assert(eq(str, p->traits.v[1], "CUSTOM_NVIDIA_35"));
}

Test(tree, provider_config_matches_by_uuid_and_compute_node)
{
    add_gpu("0000:84:00.0", 16);
    add_entry(PROVCONF_BY_UUID, GPU84_UUID, NULL, "CUSTOM_BY_UUID");
    add_entry(PROVCONF_COMPUTE_NODE, NULL, NULL, "CUSTOM_ON_ROOT");
    build();
    cr_assert(strv_contains(&tree->providers[1].traits, "CUSTOM_BY_UUID"));
    cr_assert(strv_contains(&tree->providers[0].traits, "CUSTOM_ON_ROOT"));
}

Test(tree, compute_node_does_not_apply_to_a_root_named_explicitly)
{
    add_entry(PROVCONF_COMPUTE_NODE, NULL, NULL, "CUSTOM_GENERIC");
    add_entry(PROVCONF_BY_NAME, "compute-1", NULL, "CUSTOM_SPECIFIC");
    build();
    cr_assert(strv_contains(&tree->providers[0].traits, "CUSTOM_SPECIFIC"));
    cr_assert(not(strv_contains(&tree->providers[0].traits, "CUSTOM_GENERIC")));
}

Test(tree, provider_config_for_an_unknown_provider_is_a_warning)
{
    add_entry(PROVCONF_BY_NAME, "compute-1_pci_0000_99_00_0", NULL, "CUSTOM_X");
    build();
    cr_assert(eq(sz, tree->warnings.n, 1));
    cr_assert(eq(str, tree->warnings.v[0],
                 "p.yaml:3:5: provider compute-1_pci_0000_99_00_0 is not in "
                 "the tree; ignored"));
}

Test(tree, provider_config_may_not_define_the_agents_own_inventory)
{
    add_gpu("0000:84:00.0", 16);
    add_entry(PROVCONF_BY_NAME, "compute-1_pci_0000_84_00_0", "VGPU", NULL);
    cr_assert(eq(int, tree_build(&conf, &pol, &pc, &tree, &eb), -EINVAL));
    cr_assert(eq(ptr, tree, NULL));
    cr_assert(eq(str, eb.msg,
                 "p.yaml:3:5: inventory VGPU of provider "
                 "compute-1_pci_0000_84_00_0 is owned by vgpu-agent"));
}

Test(tree, one_provider_identified_by_name_and_by_uuid_is_an_error)
{
    add_gpu("0000:84:00.0", 16);
    add_entry(PROVCONF_BY_NAME, "compute-1_pci_0000_84_00_0", NULL, "CUSTOM_A");
    add_entry(PROVCONF_BY_UUID, GPU84_UUID, NULL, "CUSTOM_B");
    cr_assert(eq(int, tree_build(&conf, &pol, &pc, &tree, &eb), -EINVAL));
    cr_assert(eq(str, eb.msg,
                 "p.yaml:4:5: provider compute-1_pci_0000_84_00_0 is already "
                 "identified at p.yaml:3:5"));
}
