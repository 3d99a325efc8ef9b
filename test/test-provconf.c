/*
 * test-provconf.c - Nova provider config files: schema, names, ranges,
 * duplicates across files, and reading a directory in order.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "provconf.h"
#include "xalloc.h"

static struct provconf *pc;
static struct strv errors;

static void
setup(void)
{
    pc = provconf_new();
}

static void
teardown(void)
{
    provconf_free(pc);
    strv_clear(&errors);
}

TestSuite(provconf, .init = setup, .fini = teardown);

#define META "meta:\n  schema_version: '1.0'\n"

static int
load_as(const char *name, const char *text)
{
    return provconf_load_buf(pc, name, text, strlen(text), &errors);
}

static int
load(const char *text)
{
    return load_as("p.yaml", text);
}

static void
load_ok(const char *text)
{
    int r = load(text);

    cr_assert(eq(int, r, 0), "first error: %s",
              errors.n ? errors.v[0] : "(none)");
}

static char *
data_path(const char *rel)
{
    const char *dir = getenv("VGPU_TEST_DATA");

    cr_assert(dir != NULL, "VGPU_TEST_DATA is not set");
    return xasprintf("%s/%s", dir, rel);
}

/* --- what is read ------------------------------------------------------- */

Test(provconf, novas_documented_example_is_read)
{
    const struct inventory *inv;

    load_ok(META "providers:\n"
                 "  - identification:\n"
                 "      name: 'EXAMPLE_RESOURCE_PROVIDER'\n"
                 "    inventories:\n"
                 "      additional:\n"
                 "        - CUSTOM_EXAMPLE_RESOURCE_CLASS: {total: 100, "
                 "reserved: 0, min_unit: 1, max_unit: 10, step_size: 1, "
                 "allocation_ratio: 1.0}\n"
                 "    traits:\n"
                 "      additional: ['CUSTOM_EXAMPLE_TRAIT']\n");
    cr_assert(eq(sz, pc->n_entries, 1));
    cr_assert(eq(int, pc->entries[0].by, PROVCONF_BY_NAME));
    cr_assert(eq(str, pc->entries[0].ident, "EXAMPLE_RESOURCE_PROVIDER"));
    cr_assert(eq(str, pc->entries[0].where, "p.yaml:4:5"));
    cr_assert(eq(sz, pc->entries[0].n_invs, 1));
    inv = &pc->entries[0].invs[0];
    cr_assert(eq(str, inv->rc, "CUSTOM_EXAMPLE_RESOURCE_CLASS"));
    cr_assert(eq(i64, inv->total, 100));
    cr_assert(eq(i64, inv->reserved, 0));
    cr_assert(eq(i64, inv->min_unit, 1));
    cr_assert(eq(i64, inv->max_unit, 10));
    cr_assert(eq(i64, inv->step_size, 1));
    cr_assert(eq(dbl, inv->allocation_ratio, 1.0));
    cr_assert(eq(sz, pc->entries[0].traits.n, 1));
    cr_assert(eq(str, pc->entries[0].traits.v[0], "CUSTOM_EXAMPLE_TRAIT"));
    cr_assert(eq(sz, pc->warnings.n, 0));
}

Test(provconf, a_uuid_is_stored_lower_case)
{
    load_ok(META "providers:\n"
                 "  - identification: {uuid: 5C0F8A43-2A4B-4F1E-9C3E-"
                 "0A7D1C2B3E4F}\n"
                 "    traits: {additional: [CUSTOM_X]}\n");
    cr_assert(eq(int, pc->entries[0].by, PROVCONF_BY_UUID));
    cr_assert(
        eq(str, pc->entries[0].ident, "5c0f8a43-2a4b-4f1e-9c3e-0a7d1c2b3e4f"));
}

Test(provconf, compute_node_names_the_root_provider)
{
    load_ok(META "providers:\n"
                 "  - identification: {uuid: $COMPUTE_NODE}\n"
                 "    traits: {additional: [CUSTOM_X]}\n");
    cr_assert(eq(int, pc->entries[0].by, PROVCONF_COMPUTE_NODE));
    cr_assert(eq(ptr, pc->entries[0].ident, NULL));
}

Test(provconf, inventory_fields_default_as_the_agent_reports_them)
{
    const struct inventory *inv;

    load_ok(META "providers:\n"
                 "  - identification: {name: gpu}\n"
                 "    inventories:\n"
                 "      additional:\n"
                 "        - CUSTOM_A: {total: 4}\n"
                 "          CUSTOM_B: {total: 2, allocation_ratio: 1.5}\n");
    cr_assert(eq(sz, pc->entries[0].n_invs, 2));
    inv = &pc->entries[0].invs[0];
    cr_assert(eq(i64, inv->total, 4));
    cr_assert(eq(i64, inv->reserved, 0));
    cr_assert(eq(i64, inv->min_unit, 1));
    cr_assert(eq(i64, inv->max_unit, 4));
    cr_assert(eq(i64, inv->step_size, 1));
    cr_assert(eq(dbl, inv->allocation_ratio, 1.0));
    cr_assert(eq(dbl, pc->entries[0].invs[1].allocation_ratio, 1.5));
}

Test(provconf, a_file_without_providers_is_fine)
{
    load_ok(META);
    load_ok(META "providers: []\n");
    cr_assert(eq(sz, pc->n_entries, 0));
}

Test(provconf, a_newer_minor_version_warns_and_unknown_keys_only_warn)
{
    load_ok("meta:\n  schema_version: '1.3'\n"
            "providers:\n"
            "  - identification: {name: gpu}\n"
            "    new_feature: 1\n"
            "    traits: {additional: [CUSTOM_X]}\n");
    cr_assert(eq(sz, pc->n_entries, 1));
    cr_assert(eq(sz, pc->warnings.n, 2));
    cr_assert(eq(str, pc->warnings.v[0],
                 "p.yaml:2:19: meta.schema_version: version 1.3 is newer than "
                 "1.0; unknown keys are ignored"));
    cr_assert(eq(str, pc->warnings.v[1],
                 "p.yaml:5:5: providers[0].new_feature: unknown key, "
                 "ignored"));
}

Test(provconf, an_entry_adding_nothing_is_dropped_with_a_warning)
{
    load_ok(META "providers:\n"
                 "  - identification: {name: gpu}\n"
                 "  - identification: {name: gpu}\n"
                 "    traits: {additional: []}\n");
    cr_assert(eq(sz, pc->n_entries, 0));
    cr_assert(eq(sz, pc->warnings.n, 2));
    cr_assert(eq(str, pc->warnings.v[0],
                 "p.yaml:4:5: providers[0]: no additional inventories or "
                 "traits; ignored"));
}

Test(provconf, a_provider_identified_in_two_files_is_an_error)
{
    const char *text = META "providers:\n"
                            "  - identification: {name: gpu}\n"
                            "    traits: {additional: [CUSTOM_X]}\n";

    cr_assert(eq(int, load_as("a.yaml", text), 0));
    cr_assert(eq(int, load_as("b.yaml", text), -EINVAL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(str, errors.v[0],
                 "b.yaml:4:21: providers[0].identification: provider gpu has "
                 "multiple definitions (first at a.yaml:4:5)"));
    cr_assert(eq(sz, pc->n_entries, 1));
}

Test(provconf, every_problem_is_reported_not_only_the_first)
{
    cr_assert(eq(int,
                 load(META "providers:\n"
                           "  - identification: {name: a}\n"
                           "    traits: {additional: [HW_X, custom]}\n"
                           "  - identification: {}\n"
                           "    traits: {additional: [CUSTOM_OK]}\n"),
                 -EINVAL));
    cr_assert(eq(sz, errors.n, 3));
    cr_assert(eq(str, errors.v[0],
                 "p.yaml:5:27: providers[0].traits.additional[0]: \"HW_X\": "
                 "only custom traits (CUSTOM_*) are allowed"));
    cr_assert(eq(str, errors.v[1],
                 "p.yaml:5:33: providers[0].traits.additional[1]: \"custom\" "
                 "is not a trait name ([A-Z0-9_]{1,255})"));
    cr_assert(eq(str, errors.v[2],
                 "p.yaml:6:21: providers[1].identification: needs exactly one "
                 "of uuid and name"));
    cr_assert(eq(sz, pc->n_entries, 0));
}

/* --- one rule, one message ---------------------------------------------- */

/* Arrays, not pointers: Criterion hands parameters to a new process. */
struct bad {
    char text[256];
    char error[192];
};

#define P "providers:\n  - identification: {name: gpu}\n"
#define INV(rec)                                                               \
    META P "    inventories:\n      additional:\n        - CUSTOM_A: " rec "\n"
#define INV_AT "p.yaml:7:21: providers[0].inventories.additional[0].CUSTOM_A"

static struct bad bad_inputs[] = {
    /* the document and meta */
    { "", "p.yaml:1:1: empty file; meta.schema_version is required" },
    { "- a\n", "p.yaml:1:1: expected a mapping, got a list" },
    { "providers: []\n", "p.yaml:1:1: meta.schema_version is required" },
    { "meta: {}\n", "p.yaml:1:7: meta: meta.schema_version is required" },
    { "meta: '1.0'\n", "p.yaml:1:7: meta: expected a mapping, got a scalar" },
    { "meta:\n  schema_version: '2.0'\n",
      "p.yaml:2:19: meta.schema_version: unsupported schema major version 2 "
      "(1 is supported)" },
    { "meta:\n  schema_version: 'one'\n",
      "p.yaml:2:19: meta.schema_version: \"one\" is not a schema version "
      "(MAJOR.MINOR)" },
    { "meta:\n  schema_version: '1'\n",
      "p.yaml:2:19: meta.schema_version: \"1\" is not a schema version "
      "(MAJOR.MINOR)" },
    { META "  version: 2\n", "p.yaml:3:3: meta.version: unknown key" },
    { META "__source_file: x\n", "p.yaml:3:1: __source_file: unknown key" },
    { META "providers: {}\n",
      "p.yaml:3:12: providers: expected a list, got a mapping" },
    { META "providers:\n",
      "p.yaml:3:11: providers: expected a list, got nothing" },
    { META "providers: [gpu]\n",
      "p.yaml:3:13: providers[0]: expected a mapping, got a scalar" },
    { META "meta: {}\n",
      "p.yaml:3:1: meta: duplicate key (first at p.yaml:1:1)" },
    /* providers[] */
    { META "providers:\n  - traits: {additional: [CUSTOM_X]}\n",
      "p.yaml:4:5: providers[0]: identification is required" },
    { META P "    trait: {additional: [CUSTOM_X]}\n",
      "p.yaml:5:5: providers[0].trait: unknown key; did you mean traits?" },
    { META "providers:\n  - identification: {name: a, uuid: $COMPUTE_NODE}\n",
      "p.yaml:4:21: providers[0].identification: needs exactly one of uuid "
      "and name" },
    { META "providers:\n  - identification: {name: a, id: a}\n",
      "p.yaml:4:31: providers[0].identification.id: unknown key" },
    { META "providers:\n  - identification:\n",
      "p.yaml:4:20: providers[0].identification: expected a mapping, got "
      "nothing" },
    { META "providers:\n  - identification: {uuid: 1234}\n",
      "p.yaml:4:28: providers[0].identification.uuid: \"1234\" is neither a "
      "UUID nor $COMPUTE_NODE" },
    { META "providers:\n  - identification: {uuid: $compute_node}\n",
      "p.yaml:4:28: providers[0].identification.uuid: \"$compute_node\" is "
      "neither a UUID nor $COMPUTE_NODE" },
    { META "providers:\n  - identification: {name: ''}\n",
      "p.yaml:4:28: providers[0].identification.name: must be 1 to 200 "
      "characters long" },
    { META "providers:\n  - identification: {name: [a]}\n",
      "p.yaml:4:28: providers[0].identification.name: expected a string, got "
      "a list" },
    { META P "    traits: {additional: [CUSTOM_X]}\n"
             "  - identification: {name: gpu}\n"
             "    inventories: {additional: [CUSTOM_A: {total: 1}]}\n",
      "p.yaml:6:21: providers[1].identification: provider gpu has multiple "
      "definitions (first at p.yaml:4:5)" },
    { META "providers:\n  - identification: {uuid: $COMPUTE_NODE}\n    "
           "traits: {additional: [CUSTOM_X]}\n  - identification: {uuid: "
           "$COMPUTE_NODE}\n    traits: {additional: [CUSTOM_Y]}\n",
      "p.yaml:6:21: providers[1].identification: provider $COMPUTE_NODE has "
      "multiple definitions (first at p.yaml:4:5)" },
    /* traits */
    { META P "    traits: [CUSTOM_X]\n",
      "p.yaml:5:13: providers[0].traits: expected a mapping, got a list" },
    { META P "    traits: {additional: CUSTOM_X}\n",
      "p.yaml:5:26: providers[0].traits.additional: expected a list, got a "
      "scalar" },
    { META P "    traits: {additional: [HW_GPU_API_VULKAN]}\n",
      "p.yaml:5:27: providers[0].traits.additional[0]: \"HW_GPU_API_VULKAN\": "
      "only custom traits (CUSTOM_*) are allowed" },
    { META P "    traits: {additional: [CUSTOM_X, CUSTOM_X]}\n",
      "p.yaml:5:37: providers[0].traits.additional[1]: CUSTOM_X is listed "
      "twice" },
    { META P "    traits: {addition: [CUSTOM_X]}\n",
      "p.yaml:5:14: providers[0].traits.addition: unknown key; did you mean "
      "additional?" },
    /* inventories */
    { META P "    inventories: {additional: [VGPU: {total: 1}]}\n",
      "p.yaml:5:32: providers[0].inventories.additional[0].VGPU: only custom "
      "resource classes (CUSTOM_*) are allowed" },
    { META P "    inventories: {additional: [custom_a: {total: 1}]}\n",
      "p.yaml:5:32: providers[0].inventories.additional[0].custom_a: not a "
      "resource class name ([A-Z0-9_]{1,255})" },
    { META P "    inventories: {additional: [CUSTOM_A]}\n",
      "p.yaml:5:32: providers[0].inventories.additional[0]: expected a "
      "mapping, got a scalar" },
    { META P "    inventories: {additional: [CUSTOM_A: {total: 1}, "
             "CUSTOM_A: {total: 2}]}\n",
      "p.yaml:5:54: providers[0].inventories.additional[1].CUSTOM_A: given "
      "twice for this provider" },
    { INV("{reserved: 1}"), INV_AT ": total is required" },
    { INV("{total: 1, used: 0}"),
      "p.yaml:7:32: providers[0].inventories.additional[0].CUSTOM_A.used: "
      "unknown key" },
    { INV("{total: 0}"),
      "p.yaml:7:29: providers[0].inventories.additional[0].CUSTOM_A.total: "
      "must be an integer in [1, 2147483647], not \"0\"" },
    { INV("{total: 2147483648}"),
      "p.yaml:7:29: providers[0].inventories.additional[0].CUSTOM_A.total: "
      "must be an integer in [1, 2147483647], not \"2147483648\"" },
    { INV("{total: '4'}"),
      "p.yaml:7:29: providers[0].inventories.additional[0].CUSTOM_A.total: "
      "expected a number, got a quoted string" },
    { INV("{total: 4, reserved: -1}"),
      "p.yaml:7:42: providers[0].inventories.additional[0].CUSTOM_A.reserved: "
      "must be an integer in [0, 2147483647], not \"-1\"" },
    { INV("{total: 4, step_size: 0}"),
      "p.yaml:7:43: "
      "providers[0].inventories.additional[0].CUSTOM_A.step_size: must be an "
      "integer in [1, 2147483647], not \"0\"" },
    { INV("{total: 4, min_unit: 0}"),
      "p.yaml:7:42: providers[0].inventories.additional[0].CUSTOM_A.min_unit: "
      "must be an integer in [1, 2147483647], not \"0\"" },
    { INV("{total: 4, reserved: 5}"),
      "p.yaml:7:42: providers[0].inventories.additional[0].CUSTOM_A: "
      "reserved (5) is greater than total (4)" },
    { INV("{total: 4, max_unit: 5}"),
      "p.yaml:7:42: providers[0].inventories.additional[0].CUSTOM_A: "
      "max_unit (5) is greater than total (4)" },
    { INV("{total: 4, min_unit: 3, max_unit: 2}"),
      "p.yaml:7:42: providers[0].inventories.additional[0].CUSTOM_A: "
      "min_unit (3) is greater than max_unit (2)" },
    { INV("{total: 4, allocation_ratio: 0}"),
      "p.yaml:7:50: "
      "providers[0].inventories.additional[0].CUSTOM_A.allocation_ratio: must "
      "be a number > 0 and <= 3.40282e+38, not \"0\"" },
    { INV("{total: 4, allocation_ratio: x}"),
      "p.yaml:7:50: "
      "providers[0].inventories.additional[0].CUSTOM_A.allocation_ratio: must "
      "be a number > 0 and <= 3.40282e+38, not \"x\"" },
};

ParameterizedTestParameters(provconf, each_bad_input_gives_its_one_message)
{
    return cr_make_param_array(struct bad, bad_inputs,
                               sizeof(bad_inputs) / sizeof(*bad_inputs));
}

ParameterizedTest(struct bad *b, provconf, each_bad_input_gives_its_one_message)
{
    int r = load(b->text);

    cr_assert(eq(int, r, -EINVAL), "input: %s", b->text);
    cr_assert(eq(sz, errors.n, 1), "input: %s\nfirst: %s\nsecond: %s", b->text,
              errors.n ? errors.v[0] : "", errors.n > 1 ? errors.v[1] : "");
    cr_assert(eq(str, errors.v[0], b->error));
}

/* --- directories -------------------------------------------------------- */

Test(provconf, a_directory_is_read_in_sorted_order_yaml_files_only)
{
    _cleanup_free_ char *dir = data_path("provconf/dir-ok");
    _cleanup_free_ char *first = xasprintf("%s/10-gpu.yaml:4:5", dir);
    struct provconf *got = NULL;

    cr_assert(eq(int, provconf_load_dir(dir, true, &got, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(sz, got->n_entries, 2));
    cr_assert(eq(int, got->entries[0].by, PROVCONF_BY_NAME));
    cr_assert(eq(str, got->entries[0].where, first));
    cr_assert(eq(int, got->entries[1].by, PROVCONF_COMPUTE_NODE));
    provconf_free(got);
}

Test(provconf, a_missing_directory_is_empty_unless_it_must_exist)
{
    _cleanup_free_ char *dir = data_path("provconf/nope");
    _cleanup_free_ char *want = xasprintf("%s: No such file or directory", dir);
    struct provconf *got = NULL;

    cr_assert(eq(int, provconf_load_dir(dir, false, &got, &errors), 0));
    cr_assert(eq(sz, got->n_entries, 0));
    cr_assert(eq(sz, errors.n, 0));
    provconf_free(TAKE_PTR(got));
    cr_assert(eq(int, provconf_load_dir(dir, true, &got, &errors), -ENOENT));
    cr_assert(eq(ptr, got, NULL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(str, errors.v[0], want));
}

Test(provconf, a_duplicate_across_files_names_both_files)
{
    _cleanup_free_ char *dir = data_path("provconf/dir-dup");
    _cleanup_free_ char *want = xasprintf(
        "%s/b.yaml:5:7: providers[0].identification: provider gpu-a has "
        "multiple definitions (first at %s/a.yaml:4:5)",
        dir, dir);
    struct provconf *got = NULL;

    cr_assert(eq(int, provconf_load_dir(dir, true, &got, &errors), -EINVAL));
    cr_assert(eq(ptr, got, NULL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(str, errors.v[0], want));
}

Test(provconf, every_file_of_a_directory_reports_its_errors)
{
    _cleanup_free_ char *dir = data_path("provconf/dir-bad");
    struct provconf *got = NULL;

    cr_assert(eq(int, provconf_load_dir(dir, true, &got, &errors), -EINVAL));
    cr_assert(eq(sz, errors.n, 3));
    cr_assert(ne(ptr, strstr(errors.v[0], "/1-syntax.yaml:2:1: "), NULL), "%s",
              errors.v[0]);
    cr_assert(ne(ptr,
                 strstr(errors.v[1], "/2-schema.yaml:2:19: "
                                     "meta.schema_version: unsupported "
                                     "schema major version 2"),
                 NULL),
              "%s", errors.v[1]);
    cr_assert(ne(ptr,
                 strstr(errors.v[2], "/3-trait.yaml:5:27: providers[0]"
                                     ".traits.additional[0]: "
                                     "\"HW_CPU_X86_AVX\": only custom"),
                 NULL),
              "%s", errors.v[2]);
}

Test(provconf, a_yaml_name_that_is_no_regular_file_is_an_error)
{
    _cleanup_free_ char *dir = data_path("provconf/dir-notreg");
    _cleanup_free_ char *want = xasprintf("%s/x.yaml: not a regular file", dir);
    struct provconf *got = NULL;

    cr_assert(eq(int, provconf_load_dir(dir, true, &got, &errors), -EINVAL));
    cr_assert(eq(ptr, got, NULL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(str, errors.v[0], want));
}
