/*
 * test-novaconf.c - nova.conf's vGPU settings read as oslo.config and Nova
 * read them, and printed as the agent's YAML (import-nova-conf).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "conf.h"
#include "novaconf.h"

static struct novaconf *n;

static void
teardown(void)
{
    novaconf_free(n);
    n = NULL;
}

TestSuite(novaconf, .fini = teardown);

static void
parse_ok(const char *text)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, novaconf_parse("nova.conf", text, &n, &eb), 0), "%s",
              eb.msg);
}

static bool
warned(const char *needle)
{
    for (size_t i = 0; i < n->warnings.n; i++)
        if (strstr(n->warnings.v[i], needle))
            return true;
    return false;
}

Test(novaconf, the_types_and_their_groups_are_read)
{
    parse_ok("[DEFAULT]\nhost = x\n"
             "[devices]\nenabled_mdev_types = nvidia-35, nvidia-36\n"
             "[mdev_nvidia-35]\n"
             "device_addresses = 0000:84:00.0,0000:85:00.0\n"
             "mdev_class = CUSTOM_A\n"
             "max_instances = 8\n"
             "[mdev_nvidia-36]\n"
             "device_addresses = 0000:86:00.0\n");
    cr_assert(eq(sz, n->n_types, 2));
    cr_assert(eq(str, n->types[0].id, "nvidia-35"));
    cr_assert(eq(sz, n->types[0].addresses.n, 2));
    cr_assert(eq(str, n->types[0].addresses.v[1], "0000:85:00.0"));
    cr_assert(eq(str, n->types[0].mdev_class, "CUSTOM_A"));
    cr_assert(eq(ulong, n->types[0].max_instances, 8));
    cr_assert(eq(ptr, n->types[1].mdev_class, NULL));
    cr_assert(eq(sz, n->warnings.n, 0));
}

Test(novaconf, oslo_configs_syntax_is_honoured)
{
    parse_ok("# a comment\n"
             "; another\n"
             "[devices]\n"
             "enabled_mdev_types: \"nvidia-35,\n"
             "\tnvidia-36\"\n"
             "enabled_mdev_types = nvidia-11,\n" /* the last one wins */
             "  nvidia-12,\n"
             "\n"
             "[mdev_nvidia-11]\n"
             "device_addresses = '0000:84:00.0'   \n"
             "[mdev_nvidia-12]\n"
             "device_addresses = 0000:85:00.0\n");
    cr_assert(eq(sz, n->n_types, 2));
    cr_assert(eq(str, n->types[0].id, "nvidia-11"));
    cr_assert(eq(str, n->types[1].id, "nvidia-12"));
    cr_assert(eq(str, n->types[0].addresses.v[0], "0000:84:00.0"));
}

Test(novaconf, the_old_names_are_read_and_the_new_ones_win)
{
    parse_ok("[devices]\nenabled_vgpu_types = nvidia-35\n"
             "[vgpu_nvidia-35]\ndevice_addresses = 0000:84:00.0\n"
             "max_instances = 2\n"
             "[mdev_nvidia-35]\nmax_instances = 4\n");
    cr_assert(eq(sz, n->n_types, 1));
    cr_assert(eq(str, n->types[0].addresses.v[0], "0000:84:00.0"));
    cr_assert(eq(ulong, n->types[0].max_instances, 4));
}

Test(novaconf, only_the_first_type_without_addresses_is_kept_as_in_nova)
{
    parse_ok("[devices]\nenabled_mdev_types = nvidia-35,nvidia-36,nvidia-37\n"
             "[mdev_nvidia-36]\ndevice_addresses = 0000:86:00.0\n");
    cr_assert(eq(sz, n->n_types, 2));
    cr_assert(eq(str, n->types[0].id, "nvidia-35"));
    cr_assert(eq(str, n->types[1].id, "nvidia-36"));
    cr_assert(warned("nova.conf:2: [devices] enabled_mdev_types: the default "
                     "type is nvidia-35 already, so nvidia-37"));
}

Test(novaconf, groups_of_types_not_enabled_and_no_types_are_warned_about)
{
    parse_ok("[mdev_nvidia-22]\nmax_instances = 3\n");
    cr_assert(eq(sz, n->n_types, 0));
    cr_assert(warned("nova.conf:2: [mdev_nvidia-22]: nvidia-22 is not an "
                     "enabled type"));
    cr_assert(warned("enabled_mdev_types is not set"));
}

struct bad {
    char text[128];
    char msg[128];
};

ParameterizedTestParameters(novaconf, each_bad_input_gives_its_message)
{
    static struct bad cases[] = {
        { "[devices]\nenabled_mdev_types = a\n[mdev_a]\nmax_instances = 0\n",
          "nova.conf:4: [mdev_a] max_instances: \"0\" is not an integer of "
          "at least 1" },
        { "[devices]\nenabled_mdev_types = a\n[mdev_a]\nmax_instances = x\n",
          "nova.conf:4: [mdev_a] max_instances: \"x\"" },
        { "[devices]\n  indented\n",
          "nova.conf:2: an indented line continues no value" },
        { "[devices\n", "nova.conf:1: a bad section header" },
        { "[devices]\njust words\n", "nova.conf:2: not \"key = value\"" },
        { "[devices]\n= x\n", "nova.conf:2: a value without a key" },
    };

    return cr_make_param_array(struct bad, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct bad *c, novaconf, each_bad_input_gives_its_message)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, novaconf_parse("nova.conf", c->text, &n, &eb), -EINVAL),
              "%s", c->text);
    cr_assert(ne(ptr, strstr(eb.msg, c->msg), NULL), "%s", eb.msg);
}

Test(novaconf, the_yaml_is_what_the_agent_reads_as_nova_meant)
{
    _cleanup_free_ char *yaml = NULL;
    _cleanup_(conf_freep) struct conf *c = NULL;
    struct strv errors = { 0 };

    parse_ok("[devices]\nenabled_mdev_types = nvidia-35, nvidia-36\n"
             "[mdev_nvidia-35]\ndevice_addresses = 0000:84:00.0\n"
             "mdev_class = CUSTOM_A\nmax_instances = 8\n");
    yaml = novaconf_yaml(n);
    cr_assert(eq(int, conf_load_buf("y", yaml, strlen(yaml), &c, &errors), 0),
              "%s\n%s", yaml, errors.n ? errors.v[0] : "");
    cr_assert(eq(sz, c->n_types, 2));
    cr_assert(eq(str, c->types[0].id, "nvidia-35"));
    cr_assert(eq(str, c->types[0].parents.v[0], "0000:84:00.0"));
    cr_assert(eq(str, c->types[0].mdev_class, "CUSTOM_A"));
    cr_assert(eq(uint, c->types[0].max_instances, 8));
    cr_assert(eq(str, c->types[1].id, "nvidia-36"));
    cr_assert(eq(sz, c->types[1].parents.n, 0));
    cr_assert(eq(str, c->types[1].mdev_class, "VGPU"));
}

Test(novaconf, odd_characters_are_quoted_in_the_yaml)
{
    _cleanup_free_ char *yaml = NULL;

    parse_ok("[devices]\nenabled_mdev_types = a\"b\\c\n");
    yaml = novaconf_yaml(n);
    cr_assert(ne(ptr, strstr(yaml, "[\"a\\\"b\\\\c\"]"), NULL), "%s", yaml);
}
