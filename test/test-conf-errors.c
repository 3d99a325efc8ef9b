/*
 * test-conf-errors.c - agent.yaml: every rule's message, whole, with its
 * position, and every problem of a document reported, not only the first.
 * Part of the test-conf binary (test/testconf.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "fixture.h"
#include "testconf.h"

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
    { "nodename: x\n",
      "agent.yaml:1:1: nodename: unknown key; did you mean node_name?" },
    { "mdev_types:\n  nvidia-35:\n    max_instance: 2\n",
      "agent.yaml:3:5: mdev_types.nvidia-35.max_instance: unknown key; did "
      "you mean max_instances?" },
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
    { "root_provider: never\n",
      "agent.yaml:1:16: root_provider: must be auto, create or adopt" },
    { "machine_id_file: etc/machine-id\n",
      "agent.yaml:1:18: machine_id_file: \"etc/machine-id\" is not an "
      "absolute path" },
    /* scalar, list or mapping */
    { "node_name: [a]\n",
      "agent.yaml:1:12: node_name: expected a string, got a list" },
    { "node_name:\n",
      "agent.yaml:1:11: node_name: expected a string, got nothing" },
    /* a string is Nova's comma-separated form of a list */
    { "enabled_mdev_types: nvidia-35,,nvidia-36\n",
      "agent.yaml:1:21: enabled_mdev_types: an empty item in the "
      "comma-separated list" },
    { "enabled_mdev_types: \"nvidia-35, a/b\"\n",
      "agent.yaml:1:21: enabled_mdev_types: \"a/b\" is not an mdev type "
      "name" },
    { "enabled_mdev_types: nvidia-35, nvidia-35\n",
      "agent.yaml:1:21: enabled_mdev_types: nvidia-35 is listed twice (first "
      "at agent.yaml:1:21)" },
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
    /* placement: the section, unknown and repeated keys */
    { "placement: http://h\n",
      "agent.yaml:1:12: placement: expected a mapping, got a scalar" },
    { "placement:\n  frobnicate: 1\n",
      "agent.yaml:2:3: placement.frobnicate: unknown key" },
    { "placement:\n  endpoint: http://a\n  endpoint: http://b\n",
      "agent.yaml:3:3: placement.endpoint: duplicate key (first at "
      "agent.yaml:2:3)" },
    { "endpoint: http://a\n", "agent.yaml:1:1: endpoint: unknown key" },
    /* placement.endpoint */
    { "placement:\n  endpoint: ftp://h\n",
      "agent.yaml:2:13: placement.endpoint: \"ftp://h\" is not an http:// or "
      "https:// URL" },
    { "placement:\n  endpoint: 127.0.0.1:8778\n",
      "agent.yaml:2:13: placement.endpoint: \"127.0.0.1:8778\" is not an "
      "http:// or https:// URL" },
    { "placement:\n  endpoint: http://\n",
      "agent.yaml:2:13: placement.endpoint: \"http://\" has no valid "
      "host[:port]" },
    { "placement:\n  endpoint: http:///placement\n",
      "agent.yaml:2:13: placement.endpoint: \"http:///placement\" has no "
      "valid host[:port]" },
    { "placement:\n  endpoint: http://h:0\n",
      "agent.yaml:2:13: placement.endpoint: \"http://h:0\" has no valid "
      "host[:port]" },
    { "placement:\n  endpoint: http://h:65536\n",
      "agent.yaml:2:13: placement.endpoint: \"http://h:65536\" has no valid "
      "host[:port]" },
    { "placement:\n  endpoint: http://h:x/\n",
      "agent.yaml:2:13: placement.endpoint: \"http://h:x/\" has no valid "
      "host[:port]" },
    { "placement:\n  endpoint: \"http://[::1/\"\n",
      "agent.yaml:2:13: placement.endpoint: \"http://[::1/\" has no valid "
      "host[:port]" },
    { "placement:\n  endpoint: http://h/?x=1\n",
      "agent.yaml:2:13: placement.endpoint: \"http://h/?x=1\": a query (?) "
      "or fragment (#) is not allowed" },
    { "placement:\n  endpoint: \"http://h/#top\"\n",
      "agent.yaml:2:13: placement.endpoint: \"http://h/#top\": a query (?) "
      "or fragment (#) is not allowed" },
    { "placement:\n  endpoint: \"http://h/a b\"\n",
      "agent.yaml:2:13: placement.endpoint: \"http://h/a b\" contains a "
      "space or a non-printable character" },
    { "placement:\n  endpoint: http://admin:pw@h\n",
      "agent.yaml:2:13: placement.endpoint: credentials (user:password@) in "
      "the URL are not supported (value not shown)" },
    { "placement:\n  endpoint:\n",
      "agent.yaml:2:12: placement.endpoint: expected a string, got nothing" },
    /* placement.token, token_file */
    { "placement:\n  token: \"\"\n",
      "agent.yaml:2:10: placement.token: the token is empty" },
    { "placement:\n  token: \"a b\"\n",
      "agent.yaml:2:10: placement.token: the token must be printable ASCII "
      "without spaces (value not shown)" },
    { "placement:\n  token: a\n  token_file: /t\n",
      "agent.yaml:3:3: placement.token_file: the same setting as token, "
      "given at agent.yaml:2:3" },
    { "placement:\n  token_file: /t\n  token: a\n",
      "agent.yaml:3:3: placement.token: the same setting as token_file, "
      "given at agent.yaml:2:3" },
    { "placement:\n  token_file: token\n",
      "agent.yaml:2:15: placement.token_file: must be an absolute path "
      "(value not shown: it may be the token itself)" },
    /* placement.cacert, insecure, numbers */
    { "placement:\n  cacert: ca.pem\n",
      "agent.yaml:2:11: placement.cacert: \"ca.pem\" is not an absolute "
      "path" },
    { "placement:\n  insecure: maybe\n",
      "agent.yaml:2:13: placement.insecure: expected true or false, not "
      "\"maybe\"" },
    { "placement:\n  timeout_s: 0\n",
      "agent.yaml:2:14: placement.timeout_s: must be an integer in [1, "
      "3600], not \"0\"" },
    { "placement:\n  timeout_s: 3601\n",
      "agent.yaml:2:14: placement.timeout_s: must be an integer in [1, "
      "3600], not \"3601\"" },
    { "placement:\n  max_parallel: 0\n",
      "agent.yaml:2:17: placement.max_parallel: must be an integer in [1, "
      "64], not \"0\"" },
    { "placement:\n  max_parallel: 65\n",
      "agent.yaml:2:17: placement.max_parallel: must be an integer in [1, "
      "64], not \"65\"" },
    { "interval_s: 0\n",
      "agent.yaml:1:13: interval_s: must be an integer in [1, 86400], not "
      "\"0\"" },
    { "interval_s: 86401\n",
      "agent.yaml:1:13: interval_s: must be an integer in [1, 86400], not "
      "\"86401\"" },
    { "interval_s: 1.5\n",
      "agent.yaml:1:13: interval_s: must be an integer in [1, 86400], not "
      "\"1.5\"" },
    { "full_refresh_s: 604801\n",
      "agent.yaml:1:17: full_refresh_s: must be an integer in [0, 604800], "
      "not \"604801\"" },
    { "full_refresh_s: -1\n",
      "agent.yaml:1:17: full_refresh_s: must be an integer in [0, 604800], "
      "not \"-1\"" },
};

ParameterizedTestParameters(conf, each_bad_input_gives_its_one_message)
{
    return cr_make_param_array(struct bad, bad_inputs, NELEM(bad_inputs));
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
    cr_assert(eq(sz, errors.n, 4));
    cr_assert(eq(str, errors.v[0],
                 "agent.yaml:1:1: nodename: unknown key; did you mean "
                 "node_name?"));
    cr_assert(eq(str, errors.v[1],
                 "agent.yaml:2:13: sysfs_root: \"sys\" is not an absolute "
                 "path"));
    cr_assert(eq(str, errors.v[2],
                 "agent.yaml:6:14: mdev_types.b.traits: \"HW_X\" is not a "
                 "CUSTOM_ trait (standard traits come from sysfs)"));
    cr_assert(eq(str, errors.v[3],
                 "agent.yaml:7:20: mdev_types.b.max_instances: must be an "
                 "integer in [1, 4294967295], not \"0\""));
}

Test(conf, an_entry_for_a_type_not_enabled_is_a_warning_and_ignored)
{
    cr_assert(eq(int,
                 load("enabled_mdev_types: [a]\n"
                      "mdev_types:\n"
                      "  b:\n"
                      "    max_instances: 2\n"),
                 0));
    cr_assert(eq(sz, errors.n, 0));
    cr_assert(eq(sz, conf->n_types, 1));
    cr_assert(eq(str, conf->types[0].id, "a"));
    cr_assert(eq(sz, conf->warnings.n, 1));
    cr_assert(eq(str, conf->warnings.v[0],
                 "agent.yaml:3:3: mdev_types.b: type is not enabled (not in "
                 "enabled_mdev_types); its entry is ignored"));
}

Test(conf, a_tab_is_named_as_such)
{
    cr_assert(
        eq(int, load("node_name: x\nplacement:\n\tendpoint: a\n"), -EINVAL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(ne(ptr, strstr(errors.v[0], "agent.yaml:3:1: "), NULL), "%s",
              errors.v[0]);
    cr_assert(ne(ptr,
                 strstr(errors.v[0], "(a tab: YAML indents with spaces only)"),
                 NULL),
              "%s", errors.v[0]);
}

Test(conf, a_nova_style_ini_file_is_named_as_such)
{
    cr_assert(eq(int,
                 load("# nova.conf\n[DEFAULT]\nenabled_vgpu_types = "
                      "nvidia-35\n\n[placement]\nauth_url = http://k\n"),
                 -EINVAL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(ne(ptr,
                 strstr(errors.v[0],
                        "this looks like nova.conf, an INI file, not YAML; "
                        "see vgpu-agent import-nova-conf"),
                 NULL),
              "%s", errors.v[0]);
}

Test(conf, a_yaml_syntax_error_names_the_position)
{
    cr_assert(eq(int, load("a: [b\n"), -EINVAL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(int, strncmp(errors.v[0], "agent.yaml:2:1: ", 16), 0), "%s",
              errors.v[0]);
}

Test(conf, every_placement_problem_is_reported)
{
    cr_assert(eq(int,
                 load("placement:\n"
                      "  endpoint: ftp://h\n"
                      "  frobnicate: 1\n"
                      "  timeout_s: 0\n"
                      "  max_parallel: 65\n"
                      "  insecure: 2\n"
                      "interval_s: 0\n"
                      "full_refresh_s: -1\n"),
                 -EINVAL));
    cr_assert(eq(sz, errors.n, 7));
    cr_assert(eq(str, errors.v[1],
                 "agent.yaml:3:3: placement.frobnicate: unknown key"));
    cr_assert(eq(str, errors.v[6],
                 "agent.yaml:8:17: full_refresh_s: must be an integer in [0, "
                 "604800], not \"-1\""));
}
