/*
 * test-dump.c - end to end: the vgpu-agent binary on each sample host.
 *
 * Each sample host (data/hosts/<host>.yaml) is materialized into a
 * kernel-shaped tree and dumped with test/data/dump/<host>.conf.yaml; what
 * the binary prints is compared with the golden <host>.json and the
 * warnings it logs with <host>.stderr.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agentrun.h"
#include "cleanup.h"
#include "fixture.h"
#include "golden.h"
#include "xalloc.h"

static char *root; /* the materialized host, or NULL */
static struct agentrun run;

static void
cleanup(void)
{
    agentrun_clear(&run);
    if (root)
        fixture_rm_rf(root);
    free(root);
    root = NULL;
}

TestSuite(dump, .fini = cleanup);

/* test/data/dump/<host>.conf.yaml */
static char *
host_conf(const char *host)
{
    _cleanup_free_ char *rel = xasprintf("dump/%s.conf.yaml", host);

    return fixture_data_path(rel);
}

/* dump host with its config in format; the result lands in run. */
static void
dump_host(const char *host, const char *format)
{
    _cleanup_free_ char *conf = host_conf(host);

    root = fixture_host(host);
    agentrun(&run, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                          "dump", "--format", format, NULL });
}

static bool
has(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

ParameterizedTestParameters(dump, sample_hosts)
{
    return cr_make_param_array(struct fixture_sample_host, fixture_sample_hosts,
                               fixture_n_sample_hosts);
}

ParameterizedTest(struct fixture_sample_host *c, dump, sample_hosts)
{
    _cleanup_free_ char *json = xasprintf("dump/%s.json", c->name);
    _cleanup_free_ char *err = xasprintf("dump/%s.stderr", c->name);

    dump_host(c->name, "json");
    cr_assert(eq(int, run.status, 0), "stderr: %s", run.err);
    golden_assert(json, run.out);
    golden_assert(err, run.err);
}

/* Hosts whose dump pins one rule each; the goldens show the whole tree. */
Test(dump, p100_existing_mdevs_choose_the_type_and_make_the_total)
{
    dump_host("p100", "json");
    cr_assert(has(run.out, "\"mdev_type\":\t\"nvidia-294\""), "%s", run.out);
    cr_assert(has(run.out, "\"total\":\t2,"), "%s", run.out);
}

Test(dump, a100_vfs_are_one_provider_capped_by_max_instance)
{
    dump_host("a100-sriov", "json");
    cr_assert(has(run.out, "compute-a100_pci_0000_41_00_0"), "%s", run.out);
    cr_assert(not(has(run.out, "compute-a100_pci_0000_41_00_4")));
    cr_assert(has(run.out, "\"total\":\t5,"), "%s", run.out);
}

Test(dump, s390_yields_only_the_root)
{
    cJSON *d, *providers;

    dump_host("s390", "json");
    cr_assert(eq(int, run.status, 0));
    cr_assert(not(has(run.out, "s390-host_")), "%s", run.out);
    /* and not nothing: the root itself is there, alone */
    d = cJSON_Parse(run.out);
    cr_assert(d != NULL, "not JSON: [%s]", run.out);
    providers = cJSON_GetObjectItem(d, "providers");
    cr_assert(eq(int, cJSON_GetArraySize(providers), 1), "%s", run.out);
    cr_assert(eq(str,
                 cJSON_GetStringValue(cJSON_GetObjectItem(
                     cJSON_GetArrayItem(providers, 0), "name")),
                 "s390-host"),
              "%s", run.out);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(providers, 0),
                                               "parent_provider_uuid")),
              "%s", run.out);
    cJSON_Delete(d);
}

struct format_case {
    char format[8];
};

ParameterizedTestParameters(dump, formats)
{
    static struct format_case formats[] = { { "yaml" },
                                            { "table" },
                                            { "dot" } };
    return cr_make_param_array(struct format_case, formats, NELEM(formats));
}

ParameterizedTest(struct format_case *c, dump, formats)
{
    _cleanup_free_ char *golden = xasprintf("dump/m60.%s", c->format);

    dump_host("m60", c->format);
    cr_assert(eq(int, run.status, 0), "stderr: %s", run.err);
    golden_assert(golden, run.out);
}

Test(dump, json_is_the_default_when_stdout_is_not_a_terminal)
{
    _cleanup_free_ char *conf = host_conf("m60");

    root = fixture_host("m60");
    agentrun(&run, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                          "dump", NULL });
    cr_assert(eq(int, run.status, 0));
    golden_assert("dump/m60.json", run.out);
}

Test(dump, odd_sysfs_content_is_warned_about_and_skipped)
{
    _cleanup_free_ char *host = fixture_data_path("dump/bad-sysfs.yaml");
    _cleanup_free_ char *conf = fixture_data_path("dump/bad-sysfs.conf.yaml");
    struct errbuf eb = { 0 };

    root = fixture_tmpdir();
    cr_assert(eq(int, fakesys_materialize(host, root, &eb), 0), "%s", eb.msg);
    agentrun(&run, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                          "dump", "--format", "json", NULL });
    cr_assert(eq(int, run.status, 0), "stderr: %s", run.err);
    cr_assert(has(run.out, "compute-bad_pci_0000_84_00_0"), "%s", run.out);
    cr_assert(not(has(run.out, "compute-bad_pci_0000_85")));
    cr_assert(not(has(run.out, "compute-bad_pci_0000_86")));
    golden_assert("dump/bad-sysfs.stderr", run.err);
}

Test(dump, a_root_without_mdev_information_gives_the_root_and_a_warning)
{
    root = fixture_tmpdir();
    agentrun(&run, (const char *const[]){ "-c", "/dev/null", "--sysfs-root",
                                          root, "dump", NULL });
    cr_assert(eq(int, run.status, 0), "stderr: %s", run.err);
    cr_assert(has(run.err, "no mediated-device information"), "%s", run.err);
    cr_assert(has(run.out, "\"parent_provider_uuid\":\tnull"), "%s", run.out);
    cr_assert(not(has(run.out, "_pci_")));
}

Test(dump, a_missing_sysfs_root_fails_naming_it)
{
    agentrun(&run, (const char *const[]){ "-c", "/dev/null", "--sysfs-root",
                                          "/nonexistent/sys", "dump", NULL });
    cr_assert(eq(int, run.status, 1));
    cr_assert(has(run.err, "/nonexistent/sys"), "%s", run.err);
    cr_assert(eq(str, run.out, ""));
}

Test(dump, every_config_error_is_reported_with_its_position)
{
    _cleanup_free_ char *conf = fixture_data_path("dump/bad-conf.yaml");

    agentrun(&run, (const char *const[]){ "-c", conf, "--sysfs-root", "/",
                                          "dump", NULL });
    cr_assert(eq(int, run.status, 2));
    cr_assert(eq(str, run.out, ""));
    cr_assert(has(run.err, "bad-conf.yaml:5:40:"), "%s", run.err);
    cr_assert(has(run.err, "bad-conf.yaml:6:17:"), "%s", run.err);
    /* line 7, a type not enabled, is a warning: not among the errors */
    cr_assert(not(has(run.err, "bad-conf.yaml:7:3:")), "%s", run.err);
    cr_assert(has(run.err, "bad-conf.yaml:9:1:"), "%s", run.err);
}

Test(dump, a_missing_explicit_config_file_is_a_usage_error)
{
    agentrun(&run, (const char *const[]){ "-c", "/nonexistent/agent.yaml",
                                          "dump", NULL });
    cr_assert(eq(int, run.status, 2));
    cr_assert(has(run.err, "/nonexistent/agent.yaml"), "%s", run.err);
}

/* A config naming this provider_config_dir; caller frees and unlinks. */
static char *
conf_with_provconf(const char *dir_rel, const char *mdev_class)
{
    _cleanup_free_ char *dir = fixture_data_path(dir_rel);
    char *path = xasprintf("%s/agent.yaml", root);
    FILE *f = fopen(path, "we");

    cr_assert(f != NULL);
    fprintf(f,
            "node_name: compute-m60\n"
            "provider_config_dir: %s\n"
            "mdev_types:\n"
            "  nvidia-18:\n"
            "    device_addresses: [\"0000:3e:00.0\"]\n"
            "    mdev_class: %s\n",
            dir, mdev_class);
    fclose(f);
    return path;
}

Test(dump, provider_config_files_add_traits_and_inventories)
{
    _cleanup_free_ char *conf = NULL;

    root = fixture_host("m60");
    conf = conf_with_provconf("dump/provconf-ok", "VGPU");
    agentrun(&run, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                          "dump", "--format", "json", NULL });
    cr_assert(eq(int, run.status, 0), "stderr: %s", run.err);
    golden_assert("dump/m60-provconf.json", run.out);
}

Test(dump, provider_config_may_not_redefine_the_agents_inventory)
{
    _cleanup_free_ char *conf = NULL;

    root = fixture_host("m60");
    conf = conf_with_provconf("dump/provconf-owned", "CUSTOM_M60_2Q");
    agentrun(&run, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                          "dump", NULL });
    cr_assert(eq(int, run.status, 2));
    cr_assert(has(run.err, "gpu.yaml:"), "%s", run.err);
    cr_assert(has(run.err, "inventory CUSTOM_M60_2Q of provider "
                           "compute-m60_pci_0000_3e_00_0 is owned by "
                           "vgpu-agent"),
              "%s", run.err);
}

Test(dump, help_lists_the_commands_and_exits_0)
{
    agentrun(&run, (const char *const[]){ "--help", NULL });
    cr_assert(eq(int, run.status, 0));
    cr_assert(has(run.out, "Usage: vgpu-agent"), "%s", run.out);
    cr_assert(has(run.out, "dump"));
    agentrun_clear(&run);
    agentrun(&run, (const char *const[]){ "dump", "--help", NULL });
    cr_assert(eq(int, run.status, 0));
    cr_assert(has(run.out, "--format"), "%s", run.out);
}

Test(dump, usage_errors_exit_2)
{
    agentrun(&run, (const char *const[]){ "frobnicate", NULL });
    cr_assert(eq(int, run.status, 2));
    cr_assert(has(run.err, "unknown command 'frobnicate'"), "%s", run.err);
    agentrun_clear(&run);
    agentrun(&run, (const char *const[]){ "-c", "/dev/null", "dump", "--format",
                                          "xml", NULL });
    cr_assert(eq(int, run.status, 2));
    cr_assert(
        has(run.err, "--format: 'xml' is not one of json, yaml, table, dot"),
        "%s", run.err);
    agentrun_clear(&run);
    agentrun(&run, (const char *const[]){ NULL });
    cr_assert(eq(int, run.status, 2));
}
