/*
 * test-conf.c - agent.yaml: defaults, every key, every rule's message.
 *
 * Most inputs are in memory, named "agent.yaml", so a message can be
 * compared whole; the files under test/data/conf cover the paths through
 * the file system (missing default file, missing -c file, empty file).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "xalloc.h"

static struct conf *conf;
static struct strv errors;

static void
teardown(void)
{
    conf_free(conf);
    conf = NULL;
    strv_clear(&errors);
}

TestSuite(conf, .fini = teardown);

static int
load(const char *text)
{
    return conf_load_buf("agent.yaml", text, strlen(text), &conf, &errors);
}

/* Load text that must be valid. */
static void
load_ok(const char *text)
{
    int r = load(text);

    cr_assert(eq(int, r, 0), "first error: %s",
              errors.n ? errors.v[0] : "(none)");
    cr_assert(eq(sz, errors.n, 0));
}

static char *
data_path(const char *var, const char *rel)
{
    const char *dir = getenv(var);

    cr_assert(dir != NULL, "%s is not set", var);
    return xasprintf("%s/%s", dir, rel);
}

/* --- defaults and values ----------------------------------------------- */

Test(conf, empty_text_gives_the_defaults)
{
    char host[HOST_NAME_MAX + 1] = "";

    load_ok("");
    cr_assert(eq(int, gethostname(host, sizeof(host) - 1), 0));
    cr_assert(eq(str, conf->node_name, host));
    cr_assert(eq(str, conf->path, "agent.yaml"));
    cr_assert(eq(ptr, conf->node_uuid, NULL));
    cr_assert(eq(str, conf->sysfs_root, "/sys"));
    cr_assert(
        eq(str, conf->provider_config_dir, CONF_DEFAULT_PROVIDER_CONFIG_DIR));
    cr_assert(not(conf->provider_config_dir_set));
    cr_assert(eq(sz, conf->n_types, 0));
}

Test(conf, a_null_document_gives_the_defaults)
{
    load_ok("# nothing but a comment\n---\n~\n");
    cr_assert(eq(str, conf->sysfs_root, "/sys"));
}

Test(conf, the_example_of_the_issue_is_read)
{
    const struct conf_type *t;

    load_ok("node_name: compute-1\n"
            "node_uuid: 5C0F8A43-2A4B-4F1E-9C3E-0A7D1C2B3E4F\n"
            "sysfs_root: /host/sys\n"
            "enabled_mdev_types: [nvidia-36, nvidia-35]\n"
            "mdev_types:\n"
            "  nvidia-35:\n"
            "    device_addresses: [\"0000:84:00.0\", \"0000:8A:00.0\"]\n"
            "    mdev_class: VGPU\n"
            "    max_instances: 8\n"
            "    traits: [CUSTOM_M60_FOR_CAD]\n"
            "  nvidia-36:\n"
            "    mdev_class: CUSTOM_M60_4Q\n"
            "provider_config_dir: /etc/pc\n");
    cr_assert(eq(str, conf->node_name, "compute-1"));
    cr_assert(eq(str, conf->node_uuid, "5c0f8a43-2a4b-4f1e-9c3e-0a7d1c2b3e4f"));
    cr_assert(eq(str, conf->sysfs_root, "/host/sys"));
    cr_assert(eq(str, conf->provider_config_dir, "/etc/pc"));
    cr_assert(conf->provider_config_dir_set);
    cr_assert(eq(sz, conf->n_types, 2));
    /* enabled_mdev_types order, not mdev_types order */
    cr_assert(eq(str, conf->types[0].id, "nvidia-36"));
    cr_assert(eq(str, conf->types[0].mdev_class, "CUSTOM_M60_4Q"));
    cr_assert(eq(sz, conf->types[0].parents.n, 0));
    t = conf_find_type(conf, "nvidia-35");
    cr_assert(t == &conf->types[1]);
    cr_assert(eq(str, t->mdev_class, "VGPU"));
    cr_assert(eq(u32, t->max_instances, 8));
    cr_assert(eq(sz, t->traits.n, 1));
    cr_assert(eq(str, t->traits.v[0], "CUSTOM_M60_FOR_CAD"));
    cr_assert(eq(sz, t->parents.n, 2));
    cr_assert(eq(str, t->parents.v[1], "0000:8a:00.0"));
    cr_assert(eq(sz, t->n_addresses, 2));
    cr_assert(eq(u32, t->addresses[1].bus, 0x8a));
    cr_assert(conf_find_type(conf, "nvidia-11") == NULL);
}

Test(conf, without_enabled_list_the_mdev_types_keys_are_enabled_in_order)
{
    load_ok("mdev_types:\n  nvidia-36: {}\n  nvidia-35:\n  nvidia-11: {}\n");
    cr_assert(not(conf->enabled_mdev_types_set));
    cr_assert(eq(sz, conf->n_types, 3));
    cr_assert(eq(str, conf->types[0].id, "nvidia-36"));
    cr_assert(eq(str, conf->types[1].id, "nvidia-35"));
    cr_assert(eq(str, conf->types[1].mdev_class, "VGPU"));
    cr_assert(eq(str, conf->types[2].id, "nvidia-11"));
}

Test(conf, an_enabled_type_without_entry_gets_the_defaults)
{
    load_ok("enabled_mdev_types: [nvidia-35]\n");
    cr_assert(eq(sz, conf->n_types, 1));
    cr_assert(eq(str, conf->types[0].id, "nvidia-35"));
    cr_assert(eq(str, conf->types[0].mdev_class, "VGPU"));
    cr_assert(eq(u32, conf->types[0].max_instances, 0));
    cr_assert(eq(sz, conf->types[0].parents.n, 0));
    cr_assert(eq(sz, conf->types[0].n_addresses, 0));
    cr_assert(eq(sz, conf->types[0].traits.n, 0));
}

Test(conf, an_empty_enabled_list_enables_nothing)
{
    load_ok("enabled_mdev_types: []\n");
    cr_assert(conf->enabled_mdev_types_set);
    cr_assert(eq(sz, conf->n_types, 0));
}

Test(conf, enabled_vgpu_types_is_an_alias)
{
    load_ok("enabled_vgpu_types: [nvidia-35]\n");
    cr_assert(eq(sz, conf->n_types, 1));
    cr_assert(eq(str, conf->types[0].id, "nvidia-35"));
}

Test(conf, non_pci_parents_are_kept_verbatim_and_are_no_addresses)
{
    load_ok("mdev_types:\n"
            "  mtty-2:\n    device_addresses: [mtty]\n"
            "  vfio_ccw-io:\n    device_addresses: [\"0.0.0010\"]\n");
    cr_assert(eq(str, conf->types[0].parents.v[0], "mtty"));
    cr_assert(eq(sz, conf->types[0].n_addresses, 0));
    cr_assert(eq(str, conf->types[1].parents.v[0], "0.0.0010"));
    cr_assert(eq(sz, conf->types[1].n_addresses, 0));
}

Test(conf, null_list_and_mapping_values_are_empty)
{
    load_ok("mdev_types:\n  nvidia-35:\n    traits:\n    device_addresses:\n");
    cr_assert(eq(sz, conf->types[0].traits.n, 0));
    cr_assert(eq(sz, conf->types[0].parents.n, 0));
}

/* --- one rule, one message ---------------------------------------------- */

/* Arrays, not pointers: Criterion hands parameters to a new process. */
struct bad {
    char text[320];
    char error[384]; /* the whole message */
};

#define LONG_TRAIT                                                             \
    "CUSTOM_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" \
    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" \
    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" \
    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" /* 256 characters */

static struct bad bad_inputs[] = {
    /* the document */
    { "- a\n", "agent.yaml:1:1: expected a mapping, got a list" },
    { "just text\n", "agent.yaml:1:1: expected a mapping, got a scalar" },
    /* unknown and duplicate keys, at any level */
    { "nodename: x\n", "agent.yaml:1:1: nodename: unknown key" },
    { "mdev_types:\n  nvidia-35:\n    max_instance: 2\n",
      "agent.yaml:3:5: mdev_types.nvidia-35.max_instance: unknown key" },
    { "node_name: a\nnode_name: b\n",
      "agent.yaml:2:1: node_name: duplicate key (first at agent.yaml:1:1)" },
    { "mdev_types:\n  t:\n    max_instances: 1\n    max_instances: 2\n",
      "agent.yaml:4:5: mdev_types.t.max_instances: duplicate key (first at "
      "agent.yaml:3:5)" },
    { "mdev_types:\n  t: {}\n  t: {}\n",
      "agent.yaml:3:3: mdev_types.t: duplicate key (first at agent.yaml:2:3)" },
    { "enabled_mdev_types: [a]\nenabled_vgpu_types: [a]\n",
      "agent.yaml:2:1: enabled_vgpu_types: the same setting as "
      "enabled_mdev_types, given at agent.yaml:1:1" },
    { "enabled_vgpu_types: [a]\nenabled_mdev_types: [a]\n",
      "agent.yaml:2:1: enabled_mdev_types: the same setting as "
      "enabled_vgpu_types, given at agent.yaml:1:1" },
    /* scalar, list or mapping */
    { "node_name: [a]\n",
      "agent.yaml:1:12: node_name: expected a string, got a list" },
    { "node_name:\n",
      "agent.yaml:1:11: node_name: expected a string, got nothing" },
    { "enabled_mdev_types: nvidia-35\n",
      "agent.yaml:1:21: enabled_mdev_types: expected a list, got a scalar" },
    { "enabled_mdev_types: {a: b}\n",
      "agent.yaml:1:21: enabled_mdev_types: expected a list, got a mapping" },
    { "enabled_mdev_types: [[a]]\n",
      "agent.yaml:1:22: enabled_mdev_types: expected a string, got a list" },
    { "mdev_types: [nvidia-35]\n",
      "agent.yaml:1:13: mdev_types: expected a mapping, got a list" },
    { "mdev_types:\n  nvidia-35: 4\n",
      "agent.yaml:2:14: mdev_types.nvidia-35: expected a mapping, got a "
      "scalar" },
    { "mdev_types:\n  t:\n    max_instances: \"8\"\n",
      "agent.yaml:3:20: mdev_types.t.max_instances: expected an integer, got "
      "a quoted string" },
    /* device_addresses */
    { "mdev_types:\n  t:\n    device_addresses: [\"0000:84:00\"]\n",
      "agent.yaml:3:24: mdev_types.t.device_addresses: \"0000:84:00\" is not "
      "a PCI address (dddd:bb:ss.f)" },
    { "mdev_types:\n  t:\n    device_addresses: [\"84:00.0\"]\n",
      "agent.yaml:3:24: mdev_types.t.device_addresses: \"84:00.0\" is not a "
      "PCI address (dddd:bb:ss.f)" },
    { "mdev_types:\n  t:\n    device_addresses: [\"a/b\"]\n",
      "agent.yaml:3:24: mdev_types.t.device_addresses: \"a/b\" is not a "
      "device name" },
    { "mdev_types:\n  t:\n    device_addresses: [\"..\"]\n",
      "agent.yaml:3:24: mdev_types.t.device_addresses: \"..\" is not a device "
      "name" },
    { "mdev_types:\n  t:\n    device_addresses: [\"0000:8A:00.0\", "
      "\"0000:8a:00.0\"]\n",
      "agent.yaml:3:40: mdev_types.t.device_addresses: 0000:8a:00.0 is listed "
      "twice (first at agent.yaml:3:24)" },
    { "mdev_types:\n"
      "  a:\n    device_addresses: [\"0000:84:00.0\"]\n"
      "  b:\n    device_addresses: [mtty, \"0000:84:00.0\"]\n",
      "agent.yaml:5:30: mdev_types.b.device_addresses: 0000:84:00.0 is also "
      "listed in mdev_types.a.device_addresses at agent.yaml:3:24" },
    /* mdev_class, max_instances, traits */
    { "mdev_types:\n  t:\n    mdev_class: vgpu\n",
      "agent.yaml:3:17: mdev_types.t.mdev_class: \"vgpu\" is not a resource "
      "class (VGPU or CUSTOM_[A-Z0-9_]+)" },
    { "mdev_types:\n  t:\n    mdev_class: PGPU\n",
      "agent.yaml:3:17: mdev_types.t.mdev_class: \"PGPU\" is not a resource "
      "class (VGPU or CUSTOM_[A-Z0-9_]+)" },
    { "mdev_types:\n  t:\n    mdev_class: CUSTOM_\n",
      "agent.yaml:3:17: mdev_types.t.mdev_class: \"CUSTOM_\" is not a "
      "resource class (VGPU or CUSTOM_[A-Z0-9_]+)" },
    { "mdev_types:\n  t:\n    max_instances: 0\n",
      "agent.yaml:3:20: mdev_types.t.max_instances: must be an integer in "
      "[1, 4294967295], not \"0\"" },
    { "mdev_types:\n  t:\n    max_instances: -1\n",
      "agent.yaml:3:20: mdev_types.t.max_instances: must be an integer in "
      "[1, 4294967295], not \"-1\"" },
    { "mdev_types:\n  t:\n    max_instances: 4294967296\n",
      "agent.yaml:3:20: mdev_types.t.max_instances: must be an integer in "
      "[1, 4294967295], not \"4294967296\"" },
    { "mdev_types:\n  t:\n    traits: [custom_x]\n",
      "agent.yaml:3:14: mdev_types.t.traits: \"custom_x\" is not a trait name "
      "([A-Z0-9_]{1,255})" },
    { "mdev_types:\n  t:\n    traits: [" LONG_TRAIT "]\n",
      "agent.yaml:3:14: mdev_types.t.traits: \"" LONG_TRAIT "\" is not a "
      "trait name ([A-Z0-9_]{1,255})" },
    { "mdev_types:\n  t:\n    traits: [HW_GPU_API_VULKAN]\n",
      "agent.yaml:3:14: mdev_types.t.traits: \"HW_GPU_API_VULKAN\" is not a "
      "CUSTOM_ trait (standard traits come from sysfs)" },
    { "mdev_types:\n  t:\n    traits: [CUSTOM_A, CUSTOM_A]\n",
      "agent.yaml:3:24: mdev_types.t.traits: CUSTOM_A is listed twice (first "
      "at agent.yaml:3:14)" },
    /* enabled types */
    { "enabled_mdev_types: [a]\nmdev_types:\n  b: {}\n",
      "agent.yaml:3:3: mdev_types.b: type is not enabled (not in "
      "enabled_mdev_types)" },
    { "enabled_mdev_types: [a, a]\n",
      "agent.yaml:1:25: enabled_mdev_types: a is listed twice (first at "
      "agent.yaml:1:22)" },
    { "enabled_mdev_types: [\"a b\"]\n",
      "agent.yaml:1:22: enabled_mdev_types: \"a b\" is not an mdev type name" },
    { "mdev_types:\n  \"a/b\": {}\n",
      "agent.yaml:2:3: mdev_types: \"a/b\" is not an mdev type name" },
    /* the node and the paths */
    { "node_uuid: 1234\n",
      "agent.yaml:1:12: node_uuid: \"1234\" is not a UUID" },
    { "node_uuid: 5c0f8a43-2a4b-4f1e-9c3e-0a7d1c2b3e4\n",
      "agent.yaml:1:12: node_uuid: \"5c0f8a43-2a4b-4f1e-9c3e-0a7d1c2b3e4\" is "
      "not a UUID" },
    { "node_name: \"\"\n",
      "agent.yaml:1:12: node_name: must be 1 to 200 characters long" },
    { "sysfs_root: sys\n",
      "agent.yaml:1:13: sysfs_root: \"sys\" is not an absolute path" },
    { "provider_config_dir: etc/pc\n",
      "agent.yaml:1:22: provider_config_dir: \"etc/pc\" is not an absolute "
      "path" },
};

ParameterizedTestParameters(conf, each_bad_input_gives_its_one_message)
{
    return cr_make_param_array(struct bad, bad_inputs,
                               sizeof(bad_inputs) / sizeof(*bad_inputs));
}

ParameterizedTest(struct bad *b, conf, each_bad_input_gives_its_one_message)
{
    int r = load(b->text);

    cr_assert(eq(int, r, -EINVAL), "input: %s", b->text);
    cr_assert(eq(ptr, conf, NULL));
    cr_assert(eq(sz, errors.n, 1), "input: %s\nfirst: %s\nsecond: %s", b->text,
              errors.v[0], errors.n > 1 ? errors.v[1] : "");
    cr_assert(eq(str, errors.v[0], b->error));
}

Test(conf, every_problem_is_reported_not_only_the_first)
{
    cr_assert(eq(int,
                 load("nodename: x\n"
                      "sysfs_root: sys\n"
                      "enabled_mdev_types: [a]\n"
                      "mdev_types:\n"
                      "  b:\n"
                      "    traits: [HW_X]\n"
                      "    max_instances: 0\n"),
                 -EINVAL));
    cr_assert(eq(sz, errors.n, 5));
    cr_assert(eq(str, errors.v[0], "agent.yaml:1:1: nodename: unknown key"));
    cr_assert(eq(str, errors.v[1],
                 "agent.yaml:2:13: sysfs_root: \"sys\" is not an absolute "
                 "path"));
    cr_assert(eq(str, errors.v[2],
                 "agent.yaml:6:14: mdev_types.b.traits: \"HW_X\" is not a "
                 "CUSTOM_ trait (standard traits come from sysfs)"));
    cr_assert(eq(str, errors.v[3],
                 "agent.yaml:7:20: mdev_types.b.max_instances: must be an "
                 "integer in [1, 4294967295], not \"0\""));
    cr_assert(eq(str, errors.v[4],
                 "agent.yaml:5:3: mdev_types.b: type is not enabled (not in "
                 "enabled_mdev_types)"));
}

Test(conf, a_yaml_syntax_error_names_the_position)
{
    cr_assert(eq(int, load("a: [b\n"), -EINVAL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(int, strncmp(errors.v[0], "agent.yaml:2:1: ", 16), 0), "%s",
              errors.v[0]);
}

/* --- files ------------------------------------------------------------- */

Test(conf, a_missing_default_file_gives_the_defaults)
{
    _cleanup_free_ char *path = data_path("VGPU_TEST_DATA", "conf/nope.yaml");

    cr_assert(eq(int, conf_load(path, false, &conf, &errors), 0));
    cr_assert(eq(sz, errors.n, 0));
    cr_assert(eq(ptr, conf->path, NULL));
    cr_assert(eq(str, conf->sysfs_root, "/sys"));
}

Test(conf, a_missing_explicit_file_is_an_error_naming_it)
{
    _cleanup_free_ char *path = data_path("VGPU_TEST_DATA", "conf/nope.yaml");
    _cleanup_free_ char *want =
        xasprintf("%s: No such file or directory", path);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -ENOENT));
    cr_assert(eq(ptr, conf, NULL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(str, errors.v[0], want));
}

Test(conf, an_empty_file_gives_the_defaults)
{
    _cleanup_free_ char *path = data_path("VGPU_TEST_DATA", "conf/empty.yaml");

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0));
    cr_assert(eq(str, conf->path, path));
    cr_assert(eq(sz, conf->n_types, 0));
}

Test(conf, a_file_is_read)
{
    _cleanup_free_ char *path = data_path("VGPU_TEST_DATA", "conf/good.yaml");

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0));
    cr_assert(eq(str, conf->node_name, "from-file"));
    cr_assert(eq(str, conf->types[0].parents.v[0], "0000:84:00.0"));
}

Test(conf, messages_from_a_file_name_the_file)
{
    _cleanup_free_ char *path = data_path("VGPU_TEST_DATA", "conf/bad.yaml");
    _cleanup_free_ char *want =
        xasprintf("%s:2:13: sysfs_root: \"sys\" is not an absolute path", path);

    cr_assert(eq(int, conf_load(path, false, &conf, &errors), -EINVAL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(str, errors.v[0], want));
}

Test(conf, the_shipped_example_and_demo_configs_are_valid)
{
    _cleanup_free_ char *example = data_path("VGPU_DATA", "agent.yaml.example");
    _cleanup_free_ char *demo = data_path("VGPU_DATA", "demo.yaml");

    cr_assert(eq(int, conf_load(example, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(sz, conf->n_types, 2));
    cr_assert(eq(u32, conf->types[0].max_instances, 8));
    conf_free(TAKE_PTR(conf));
    cr_assert(eq(int, conf_load(demo, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(str, conf->node_name, "demo-host"));
    cr_assert(eq(str, conf->types[0].id, "nvidia-18"));
    cr_assert(eq(str, conf->types[1].id, "nvidia-13"));
}
