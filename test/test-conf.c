/*
 * test-conf.c - agent.yaml: defaults, every key, the files.
 *
 * Most inputs are in memory, named "agent.yaml", so a message can be
 * compared whole; the files under test/data/conf cover the paths through
 * the file system (missing default file, missing -c file, empty file).
 * The binary has three sources (test/testconf.h): every rule's message is
 * in test-conf-errors.c, the token and its files in test-conf-token.c.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixture.h"
#include "testconf.h"
#include "xalloc.h"

struct conf *conf;
struct strv errors;
static char *tmpdir; /* made by tmp_file(), removed by teardown() */

static void
teardown(void)
{
    conf_free(conf);
    conf = NULL;
    strv_clear(&errors);
    if (tmpdir)
        fixture_rm_rf(tmpdir);
    free(tmpdir);
    tmpdir = NULL;
}

TestSuite(conf, .fini = teardown);

int
load(const char *text)
{
    return conf_load_buf("agent.yaml", text, strlen(text), &conf, &errors);
}

void
load_ok(const char *text)
{
    int r = load(text);

    cr_assert(eq(int, r, 0), "first error: %s",
              errors.n ? errors.v[0] : "(none)");
    cr_assert(eq(sz, errors.n, 0));
}

char *
tmp_file(const char *name, const char *text, mode_t mode)
{
    char *path;

    if (!tmpdir)
        tmpdir = fixture_tmpdir();
    path = xasprintf("%s/%s", tmpdir, name);
    if (text)
        fixture_write(path, text, mode);
    else
        cr_assert(eq(int, mkdir(path, mode), 0), "%s: %s", path,
                  strerror(errno));
    cr_assert(eq(int, chmod(path, mode), 0));
    return path;
}

char *
conf_with_token_file(const char *tokpath)
{
    static unsigned made;
    _cleanup_free_ char *text =
        xasprintf("placement:\n  token_file: %s\n", tokpath);
    _cleanup_free_ char *name = xasprintf("agent-%u.yaml", made++);

    return tmp_file(name, text, 0644);
}

/* $var/rel: a file below the source tree's test/data or data. */
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

Test(conf, without_placement_keys_the_defaults_hold)
{
    load_ok("node_name: x\nplacement:\n");
    cr_assert(eq(ptr, conf->placement.endpoint, NULL));
    cr_assert(not(conf->placement.endpoint_set));
    cr_assert(eq(ptr, conf->placement.token, NULL));
    cr_assert(eq(ptr, conf->placement.token_file, NULL));
    cr_assert(not(conf->placement.token_from_env));
    cr_assert(eq(ptr, conf->placement.cacert, NULL));
    cr_assert(not(conf->placement.insecure));
    cr_assert(eq(u32, conf->placement.timeout_s, 10));
    cr_assert(eq(u32, conf->placement.max_parallel, 2));
    cr_assert(eq(u32, conf->interval_s, 60));
    cr_assert(eq(u32, conf->full_refresh_s, 300));
}

Test(conf, the_reconcile_keys_default_and_are_read)
{
    load_ok("node_name: x\n");
    cr_assert(eq(str, conf->libvirt_uri, "qemu:///system"));
    cr_assert(conf->reconcile.enabled);
    cr_assert(not(conf->reconcile.remove_orphans));
    cr_assert(eq(u32, conf->reconcile.orphan_grace_s, 300));
    cr_assert(eq(str, conf->reconcile.persist, "mdevctl"));
    cr_assert(eq(str, conf->reconcile.mdevctl_dir, "/etc/mdevctl.d"));
    cr_assert(eq(str, conf->lock_file, "/run/vgpu-agent/lock"));
    conf_free(conf);
    conf = NULL;
    load_ok("lock_file: /tmp/agent.lock\n"
            "libvirt_uri: test:///tmp/node.xml\n"
            "reconcile:\n"
            "  enabled: false\n"
            "  remove_orphans: true\n"
            "  orphan_grace_s: 0\n"
            "  persist: none\n"
            "  mdevctl_dir: /tmp/mdevctl.d\n");
    cr_assert(eq(str, conf->libvirt_uri, "test:///tmp/node.xml"));
    cr_assert(not(conf->reconcile.enabled));
    cr_assert(conf->reconcile.remove_orphans);
    cr_assert(eq(u32, conf->reconcile.orphan_grace_s, 0));
    cr_assert(eq(str, conf->reconcile.persist, "none"));
    cr_assert(eq(str, conf->reconcile.mdevctl_dir, "/tmp/mdevctl.d"));
    cr_assert(eq(str, conf->lock_file, "/tmp/agent.lock"));
}

Test(conf, a_bad_reconcile_setting_is_reported_with_its_position)
{
    cr_assert(lt(int,
                 load("reconcile:\n  persist: systemd\n"
                      "  mdevctl_dir: etc\n"),
                 0));
    cr_assert(eq(sz, errors.n, 2));
    cr_assert(ne(ptr, strstr(errors.v[0], "agent.yaml:2:12:"), NULL), "%s",
              errors.v[0]);
    cr_assert(ne(ptr, strstr(errors.v[0], "must be mdevctl or none"), NULL),
              "%s", errors.v[0]);
    cr_assert(ne(ptr, strstr(errors.v[1], "agent.yaml:3:16:"), NULL), "%s",
              errors.v[1]);
}

Test(conf, metrics_file_defaults_to_none_and_must_be_absolute)
{
    load_ok("node_name: x\n");
    cr_assert(eq(ptr, conf->metrics_file, NULL));
    conf_free(conf);
    conf = NULL;
    load_ok(
        "metrics_file: /var/lib/prometheus/node-exporter/vgpu-agent.prom\n");
    cr_assert(eq(str, conf->metrics_file,
                 "/var/lib/prometheus/node-exporter/vgpu-agent.prom"));
    conf_free(conf);
    conf = NULL;
    cr_assert(
        lt(int, load("node_name: x\nmetrics_file: vgpu-agent.prom\n"), 0));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(
        ne(ptr, strstr(errors.v[0], "agent.yaml:2:15: metrics_file: "), NULL),
        "%s", errors.v[0]);
    cr_assert(ne(ptr, strstr(errors.v[0], "is not an absolute path"), NULL),
              "%s", errors.v[0]);
}

Test(conf, the_placement_keys_are_read)
{
    load_ok("placement:\n"
            "  endpoint: HTTPS://placement.example:8778/placement//\n"
            "  token: gAAAAABl-x_Y.z\n"
            "  cacert: /etc/ssl/ca.pem\n"
            "  insecure: true\n"
            "  timeout_s: 3600\n"
            "  max_parallel: 64\n"
            "interval_s: 86400\n"
            "full_refresh_s: 0\n");
    cr_assert(eq(str, conf->placement.endpoint,
                 "https://placement.example:8778/placement"));
    cr_assert(conf->placement.endpoint_set);
    cr_assert(eq(str, conf->placement.token, "gAAAAABl-x_Y.z"));
    cr_assert(eq(str, conf->placement.cacert, "/etc/ssl/ca.pem"));
    cr_assert(conf->placement.insecure);
    cr_assert(eq(u32, conf->placement.timeout_s, 3600));
    cr_assert(eq(u32, conf->placement.max_parallel, 64));
    cr_assert(eq(u32, conf->interval_s, 86400));
    cr_assert(eq(u32, conf->full_refresh_s, 0));
}

/* Arrays, not pointers: Criterion hands parameters to a new process. */
struct endpoint_case {
    char url[32];
};

ParameterizedTestParameters(
    conf, the_smallest_values_and_other_endpoint_forms_are_accepted)
{
    static struct endpoint_case urls[] = {
        { "http://127.0.0.1:8778" }, { "http://[::1]:8778/" },
        { "http://controller" },     { "https://h.example:1/a/b" },
        { "http://[fe80::1]" },      { "http://host_1.x:65535" },
    };

    return cr_make_param_array(struct endpoint_case, urls, NELEM(urls));
}

ParameterizedTest(struct endpoint_case *c, conf,
                  the_smallest_values_and_other_endpoint_forms_are_accepted)
{
    _cleanup_free_ char *text =
        xasprintf("placement:\n  endpoint: \"%s\"\n  timeout_s: 1\n"
                  "  max_parallel: 1\ninterval_s: 1\nfull_refresh_s: 604800\n",
                  c->url);

    load_ok(text);
    cr_assert(eq(u32, conf->placement.timeout_s, 1));
    cr_assert(eq(u32, conf->placement.max_parallel, 1));
    cr_assert(eq(u32, conf->interval_s, 1));
    cr_assert(eq(u32, conf->full_refresh_s, 604800));
}

Test(conf, a_null_document_gives_the_defaults)
{
    load_ok("# nothing but a comment\n---\n~\n");
    cr_assert(eq(str, conf->sysfs_root, "/sys"));
}

Test(conf, an_example_with_every_kind_of_key_is_read)
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

/* Messages that blame a line (a device address not on the host, a cap
 * that cut a GPU's total) need to know where each setting is. */
Test(conf, each_types_settings_keep_where_the_file_says_them)
{
    const struct conf_type *t;

    load_ok("enabled_vgpu_types: [nvidia-36, nvidia-35]\n"
            "mdev_types:\n"
            "  nvidia-35:\n"
            "    device_addresses: [\"0000:84:00.0\", \"0000:8A:00.0\"]\n"
            "    max_instances: 8\n"
            "    max_unit: 2\n"
            "  nvidia-36: {}\n");
    t = conf_find_type(conf, "nvidia-35");
    cr_assert(eq(str, t->where, "agent.yaml:1:33"), "the enabled list wins");
    cr_assert(eq(str, t->parents_where.v[0], "agent.yaml:4:24"));
    cr_assert(eq(str, t->parents_where.v[1], "agent.yaml:4:40"));
    cr_assert(conf_parent_where(t, 0) == t->parents_where.v[0]);
    cr_assert(conf_parent_where(t, 2) == NULL);
    cr_assert(eq(str, t->max_instances_where, "agent.yaml:5:5"));
    cr_assert(eq(u32, t->max_unit, 2));
    cr_assert(eq(str, t->max_unit_where, "agent.yaml:6:5"));
    t = conf_find_type(conf, "nvidia-36");
    cr_assert(eq(str, t->where, "agent.yaml:1:22"));
    cr_assert(t->max_instances_where == NULL && t->max_unit_where == NULL);
    conf_free(conf);
    conf = NULL;
    load_ok("mdev_types:\n  nvidia-11: {}\n");
    cr_assert(eq(str, conf->types[0].where, "agent.yaml:2:3"));
    cr_assert(eq(u32, conf->types[0].max_unit, 0), "0: the default");
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

Test(conf, a_list_may_be_written_as_nova_writes_one)
{
    load_ok("enabled_mdev_types: nvidia-35 , nvidia-36\n"
            "mdev_types:\n"
            "  nvidia-35:\n"
            "    device_addresses: 0000:84:00.0,0000:85:00.0\n"
            "    traits: CUSTOM_A\n"
            "  nvidia-36:\n"
            "    device_addresses: \"\"\n");
    cr_assert(eq(sz, conf->n_types, 2));
    cr_assert(eq(str, conf->types[0].id, "nvidia-35"));
    cr_assert(eq(str, conf->types[1].id, "nvidia-36"));
    cr_assert(eq(sz, conf->types[0].parents.n, 2));
    cr_assert(eq(str, conf->types[0].parents.v[1], "0000:85:00.0"));
    cr_assert(eq(sz, conf->types[0].n_addresses, 2));
    cr_assert(eq(str, conf->types[0].traits.v[0], "CUSTOM_A"));
    cr_assert(eq(sz, conf->types[1].parents.n, 0));
}

Test(conf, the_node_identity_keys_default_and_are_read)
{
    load_ok("");
    cr_assert(not(conf->node_name_set));
    cr_assert(eq(str, conf->root_provider, "auto"));
    cr_assert(eq(str, conf->nova_compute_id_file, "/var/lib/nova/compute_id"));
    cr_assert(eq(str, conf->machine_id_file, "/etc/machine-id"));
    conf_free(conf);
    conf = NULL;
    load_ok("node_name: n\nroot_provider: adopt\n"
            "nova_compute_id_file: /x/compute_id\nmachine_id_file: /x/m\n");
    cr_assert(conf->node_name_set);
    cr_assert(eq(str, conf->root_provider, "adopt"));
    cr_assert(eq(str, conf->nova_compute_id_file, "/x/compute_id"));
    cr_assert(eq(str, conf->machine_id_file, "/x/m"));
}

Test(conf, null_list_and_mapping_values_are_empty)
{
    load_ok("mdev_types:\n  nvidia-35:\n    traits:\n    device_addresses:\n");
    cr_assert(eq(sz, conf->types[0].traits.n, 0));
    cr_assert(eq(sz, conf->types[0].parents.n, 0));
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
    cr_assert(eq(str, conf->placement.endpoint, "http://127.0.0.1:8778"));
    cr_assert(eq(ptr, conf->placement.token, NULL));
    cr_assert(eq(u32, conf->interval_s, CONF_DEFAULT_INTERVAL_S));
    conf_free(TAKE_PTR(conf));
    cr_assert(eq(int, conf_load(demo, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(str, conf->node_name, "demo-host"));
    cr_assert(eq(str, conf->types[0].id, "nvidia-18"));
    cr_assert(eq(str, conf->types[1].id, "nvidia-13"));
}
