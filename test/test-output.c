/*
 * test-output.c - the four `dump` formats of one small tree, against golden
 * files in test/data/output/.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "golden.h"
#include "output.h"
#include "xalloc.h"

static struct tree *tree;

/* Root + one M60 GPU with two mdevs + one GPU with a provider-config extra. */
static void
make_tree(void)
{
    struct tree_provider *p;
    struct tree_device *d;

    tree = xcalloc(1, sizeof(*tree));
    tree->providers = xcalloc(3, sizeof(*tree->providers));
    tree->n_providers = 3;
    p = &tree->providers[0];
    p->name = xstrdup("compute-1");
    snprintf(p->uuid, sizeof(p->uuid), "a4759065-eb4f-5a46-96b0-019ee60cabef");
    for (int i = 1; i <= 2; i++) {
        p = &tree->providers[i];
        p->name = xasprintf("compute-1_pci_0000_8%d_00_0", 3 + i);
        snprintf(p->uuid, sizeof(p->uuid),
                 "dd53bf12-ae3f-51ca-a32f-c85899f3494%d", i);
        snprintf(p->parent_uuid, sizeof(p->parent_uuid), "%s",
                 tree->providers[0].uuid);
        p->n_invs = (size_t)i;
        p->invs = xcalloc(p->n_invs, sizeof(*p->invs));
        inventory_init(&p->invs[p->n_invs - 1], "VGPU", i == 1 ? 16 : 4);
        strv_push(&p->traits, "CUSTOM_NVIDIA_35");
        strv_push(&p->traits, "HW_GPU_MAX_DISPLAY_HEADS_1");
        p->device = d = xcalloc(1, sizeof(*d));
        d->address = xasprintf("0000:8%d:00.0", 3 + i);
        d->mdev_type = xstrdup("nvidia-35");
        d->type_name = xstrdup("GRID M60-0B");
        strv_push(&d->parents, d->address);
    }
    inventory_init(&tree->providers[2].invs[0], "CUSTOM_LICENSE", 100);
    tree->providers[2].invs[0].allocation_ratio = 1.5;
    strv_push(&tree->providers[1].device->mdevs,
              "11111111-1111-4111-8111-111111111111");
    strv_push(&tree->providers[1].device->mdevs,
              "22222222-2222-4222-8222-222222222222");
}

static void
free_tree(void)
{
    tree_free(tree);
}

TestSuite(output, .init = make_tree, .fini = free_tree);

static char *
render(enum output_format f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    cr_assert(out != NULL);
    cr_assert(eq(int, output_write(tree, f, out), 0));
    fclose(out);
    return buf;
}

Test(output, json_has_placements_shape)
{
    _cleanup_free_ char *s = render(OUTPUT_JSON);

    golden_assert("output/tree.json", s);
}

Test(output, json_writes_allocation_ratio_as_placement_does)
{
    _cleanup_free_ char *s = render(OUTPUT_JSON);

    cr_assert(ne(ptr, strstr(s, "\"allocation_ratio\":\t1.0"), NULL), "%s", s);
    cr_assert(ne(ptr, strstr(s, "\"allocation_ratio\":\t1.5"), NULL), "%s", s);
    cr_assert(ne(ptr, strstr(s, "\"parent_provider_uuid\":\tnull"), NULL));
}

Test(output, json_parses_back_with_the_same_providers)
{
    _cleanup_free_ char *s = render(OUTPUT_JSON);
    cJSON *j = cJSON_Parse(s);
    cJSON *providers = cJSON_GetObjectItem(j, "providers");
    cJSON *gpu = cJSON_GetArrayItem(providers, 1);
    cJSON *vgpu =
        cJSON_GetObjectItem(cJSON_GetObjectItem(gpu, "inventories"), "VGPU");

    cr_assert(eq(int, cJSON_GetArraySize(providers), 3));
    cr_assert(eq(dbl, cJSON_GetObjectItem(vgpu, "max_unit")->valuedouble, 16));
    cr_assert(
        eq(str,
           cJSON_GetObjectItem(cJSON_GetObjectItem(gpu, "device"), "mdev_type")
               ->valuestring,
           "nvidia-35"));
    cr_assert(
        eq(ptr, cJSON_GetObjectItem(cJSON_GetArrayItem(providers, 0), "device"),
           NULL),
        "the root has no device");
    cJSON_Delete(j);
}

Test(output, yaml_is_the_same_document)
{
    _cleanup_free_ char *s = render(OUTPUT_YAML);

    golden_assert("output/tree.yaml", s);
}

Test(output, yaml_reads_back_with_libyaml)
{
    _cleanup_free_ char *s = render(OUTPUT_YAML);
    yaml_parser_t parser;
    yaml_document_t doc;

    cr_assert(yaml_parser_initialize(&parser));
    yaml_parser_set_input_string(&parser, (unsigned char *)s, strlen(s));
    cr_assert(yaml_parser_load(&parser, &doc), "%s", parser.problem);
    cr_assert(yaml_document_get_root_node(&doc) != NULL);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
}

Test(output, table_is_aligned_for_a_person)
{
    _cleanup_free_ char *s = render(OUTPUT_TABLE);

    golden_assert("output/tree.table", s);
}

Test(output, dot_draws_the_tree)
{
    _cleanup_free_ char *s = render(OUTPUT_DOT);

    golden_assert("output/tree.dot", s);
}

Test(output, format_names_parse_and_unknown_ones_do_not)
{
    enum output_format f;

    cr_assert(eq(int, output_parse_format("yaml", &f), 0));
    cr_assert(eq(int, f, OUTPUT_YAML));
    cr_assert(eq(int, output_parse_format("dot", &f), 0));
    cr_assert(eq(int, f, OUTPUT_DOT));
    cr_assert(eq(int, output_parse_format("xml", &f), -EINVAL));
    cr_assert(eq(int, output_parse_format("", &f), -EINVAL));
}
