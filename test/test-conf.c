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
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "xalloc.h"

static struct conf *conf;
static struct strv errors;
static char *tmpdir;     /* made by tmp_file(), removed by teardown() */
static struct strv made; /* files in tmpdir */

static void
teardown(void)
{
    conf_free(conf);
    conf = NULL;
    strv_clear(&errors);
    for (size_t i = 0; i < made.n; i++)
        if (unlink(made.v[i]) < 0)
            rmdir(made.v[i]);
    strv_clear(&made);
    if (tmpdir)
        rmdir(tmpdir);
    free(tmpdir);
    tmpdir = NULL;
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

/* A file name holding text, with exactly this mode (umask aside), in a
 * fresh temporary directory; text NULL makes a directory.  The path is the
 * caller's to free. */
static char *
tmp_file(const char *name, const char *text, mode_t mode)
{
    char *path;
    int fd;

    if (!tmpdir) {
        tmpdir = xstrdup("/tmp/test-conf-XXXXXX");
        cr_assert(mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
    }
    path = xasprintf("%s/%s", tmpdir, name);
    if (text) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
        cr_assert(eq(sz, (size_t)write(fd, text, strlen(text)), strlen(text)));
        close(fd);
    } else {
        cr_assert(eq(int, mkdir(path, 0700), 0));
    }
    cr_assert(eq(int, chmod(path, mode), 0));
    strv_push(&made, path);
    return path;
}

/* A config file whose placement section says token_file: tokpath. */
static char *
conf_with_token_file(const char *tokpath)
{
    _cleanup_free_ char *text =
        xasprintf("placement:\n  token_file: %s\n", tokpath);

    _cleanup_free_ char *name = xasprintf("agent-%zu.yaml", made.n);

    return tmp_file(name, text, 0644);
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
    cr_assert(eq(u32, conf->placement.max_parallel, 8));
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

Test(conf, the_smallest_values_and_other_endpoint_forms_are_accepted)
{
    static const char *const urls[] = {
        "http://127.0.0.1:8778", "http://[::1]:8778/",
        "http://controller",     "https://h.example:1/a/b",
        "http://[fe80::1]",      "http://host_1.x:65535",
    };

    for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
        _cleanup_free_ char *text = xasprintf(
            "placement:\n  endpoint: \"%s\"\n  timeout_s: 1\n"
            "  max_parallel: 1\ninterval_s: 1\nfull_refresh_s: 604800\n",
            urls[i]);

        load_ok(text);
        cr_assert(eq(u32, conf->placement.timeout_s, 1));
        cr_assert(eq(u32, conf->placement.max_parallel, 1));
        cr_assert(eq(u32, conf->interval_s, 1));
        cr_assert(eq(u32, conf->full_refresh_s, 604800));
        conf_free(TAKE_PTR(conf));
    }
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

/* --- the token: token_file, file modes, the environment ---------------- */

Test(conf, token_file_gives_its_first_line_as_the_token)
{
    _cleanup_free_ char *tok = tmp_file("token", "gAAAA-tok_1\nrest\n", 0600);
    _cleanup_free_ char *path = conf_with_token_file(tok);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(str, conf->placement.token, "gAAAA-tok_1"));
    cr_assert(eq(str, conf->placement.token_file, tok));
}

Test(conf, token_file_without_newline_and_read_only_is_fine)
{
    _cleanup_free_ char *tok = tmp_file("token", "admin", 0400);
    _cleanup_free_ char *path = conf_with_token_file(tok);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(str, conf->placement.token, "admin"));
}

/* Arrays, not pointers: Criterion hands parameters to a new process. */
struct bad_token_file {
    char text[64];
    unsigned mode;
    char error[160]; /* after "FILE:2:15: placement.token_file: TOKFILE" */
};

static struct bad_token_file bad_token_files[] = {
    { "admin\n", 0644, " contains a secret but is mode 0644; chmod 600 it" },
    { "admin\n", 0640, " contains a secret but is mode 0640; chmod 600 it" },
    { "admin\n", 0620, " contains a secret but is mode 0620; chmod 600 it" },
    { "admin\n", 0602, " contains a secret but is mode 0602; chmod 600 it" },
    { "", 0600, ": the token is empty" },
    { "\nadmin\n", 0600, ": the token is empty" },
    { "ad min\n", 0600,
      ": the token must be printable ASCII without spaces (value not "
      "shown)" },
    { "admin\r\n", 0600,
      ": the token must be printable ASCII without spaces (value not "
      "shown)" },
};

ParameterizedTestParameters(conf, a_bad_token_file_names_the_file)
{
    return cr_make_param_array(struct bad_token_file, bad_token_files,
                               sizeof(bad_token_files) /
                                   sizeof(*bad_token_files));
}

ParameterizedTest(struct bad_token_file *b, conf,
                  a_bad_token_file_names_the_file)
{
    _cleanup_free_ char *tok = tmp_file("token", b->text, b->mode);
    _cleanup_free_ char *path = conf_with_token_file(tok);
    _cleanup_free_ char *want =
        xasprintf("%s:2:15: placement.token_file: %s%s", path, tok, b->error);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -EINVAL));
    cr_assert(eq(ptr, conf, NULL));
    cr_assert(eq(sz, errors.n, 1), "first: %s", errors.v[0]);
    cr_assert(eq(str, errors.v[0], want));
}

Test(conf, a_missing_or_odd_token_file_is_an_error_naming_it)
{
    _cleanup_free_ char *dir = tmp_file("tokdir", NULL, 0700);
    _cleanup_free_ char *big = xmalloc(9000);
    _cleanup_free_ char *huge = NULL;
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *want = NULL;

    memset(big, 'x', 8999);
    big[8999] = '\0';
    huge = tmp_file("huge", big, 0600);
    path = tmp_file("agent.yaml",
                    "placement:\n  token_file: /nonexistent/token\n", 0600);
    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -EINVAL));
    want = xasprintf("%s:2:15: placement.token_file: /nonexistent/token: No "
                     "such file or directory",
                     path);
    cr_assert(eq(str, errors.v[0], want));
    strv_clear(&errors);
    free(path);
    path = conf_with_token_file(dir);
    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -EINVAL));
    free(want);
    want = xasprintf("%s:2:15: placement.token_file: %s is not a regular file",
                     path, dir);
    cr_assert(eq(str, errors.v[0], want));
    strv_clear(&errors);
    free(path);
    path = conf_with_token_file(huge);
    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -EINVAL));
    free(want);
    want = xasprintf("%s:2:15: placement.token_file: %s: the token is longer "
                     "than 8192 bytes",
                     path, huge);
    cr_assert(eq(str, errors.v[0], want));
}

Test(conf, a_config_file_holding_the_token_must_be_private)
{
    _cleanup_free_ char *path = tmp_file(
        "agent.yaml", "node_name: n\nplacement:\n  token: admin\n", 0644);
    _cleanup_free_ char *want = xasprintf(
        "%s:3:3: placement.token: %s contains a secret but is mode 0644; "
        "chmod 600 it",
        path, path);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -EINVAL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(str, errors.v[0], want));
    strv_clear(&errors);
    cr_assert(eq(int, chmod(path, 0600), 0));
    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(str, conf->placement.token, "admin"));
}

Test(conf, a_config_file_without_the_token_may_be_world_readable)
{
    _cleanup_free_ char *tok = tmp_file("token", "admin\n", 0600);
    _cleanup_free_ char *path = conf_with_token_file(tok); /* 0644 */

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    conf_free(TAKE_PTR(conf));
    cr_assert(eq(int, chmod(path, 0666), 0));
    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
}

Test(conf, loading_ignores_the_environment_and_apply_env_overrides)
{
    cr_assert(eq(int, setenv(CONF_TOKEN_ENV, "from-env", 1), 0));
    load_ok("placement:\n  token: from-file\n");
    cr_assert(eq(str, conf->placement.token, "from-file"));
    cr_assert(not(conf->placement.token_from_env));
    conf_apply_env(conf);
    cr_assert(eq(str, conf->placement.token, "from-env"));
    cr_assert(conf->placement.token_from_env);
}

Test(conf, apply_env_sets_a_token_the_file_has_not)
{
    cr_assert(eq(int, setenv(CONF_TOKEN_ENV, "from-env", 1), 0));
    load_ok("");
    conf_apply_env(conf);
    cr_assert(eq(str, conf->placement.token, "from-env"));
}

Test(conf, an_empty_or_unset_environment_token_changes_nothing)
{
    load_ok("placement:\n  token: from-file\n");
    cr_assert(eq(int, setenv(CONF_TOKEN_ENV, "", 1), 0));
    conf_apply_env(conf);
    cr_assert(eq(str, conf->placement.token, "from-file"));
    cr_assert(eq(int, unsetenv(CONF_TOKEN_ENV), 0));
    conf_apply_env(conf);
    cr_assert(eq(str, conf->placement.token, "from-file"));
    cr_assert(not(conf->placement.token_from_env));
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

/* Every way we know to make the loader talk about a token. */
static const char *const token_leaks[] = {
    "placement:\n  token: [s3cr3t-TOKEN]\n",
    "placement:\n  token: {s3cr3t-TOKEN: 1}\n",
    "placement:\n  token: \"s3cr3t-TOKEN with a space\"\n",
    "placement:\n  token: \"s3cr3t-TOKEN\\u0001\"\n",
    "placement:\n  token: \"s3cr3t-TOKEN\\u00e9\"\n",
    "placement:\n  token: s3cr3t-TOKEN\n  token: s3cr3t-TOKEN2\n",
    "placement:\n  token: s3cr3t-TOKEN\n  token_file: /nope\n",
    "placement:\n  token_file: /nope\n  token: s3cr3t-TOKEN\n",
    "placement:\n  token: s3cr3t-TOKEN\n  frobnicate: 1\n",
    "placement:\n  token_file: s3cr3t-TOKEN\n",
    "placement:\n  endpoint: http://admin:s3cr3t-TOKEN@h\n",
    "placement:\n  endpoint: \"http://admin:s3cr3t-TOKEN/x@h\"\n",
    "placement:\n  token: &t s3cr3t-TOKEN\n  cacert: *t\n",
    "placement:\n  token: &t s3cr3t-TOKEN\nnode_uuid: *t\n",
    "placement:\n  token: s3cr3t-TOKEN\n   bad: indent\n",
    "placement:\n  token: \"s3cr3t-TOKEN\n",
    "placement: {token: s3cr3t-TOKEN\n",
    "token: s3cr3t-TOKEN\n",
    "placement: s3cr3t-TOKEN\n",
    "placement:\n  - token: s3cr3t-TOKEN\n",
};

static void
assert_no_leak(const char *input)
{
    for (size_t i = 0; i < errors.n; i++)
        cr_assert(eq(ptr, strstr(errors.v[i], "s3cr3t"), NULL),
                  "input: %s\nmessage: %s", input, errors.v[i]);
}

Test(conf, no_message_ever_shows_the_token)
{
    size_t n = sizeof(token_leaks) / sizeof(*token_leaks);

    for (size_t i = 0; i < n; i++) {
        cr_assert(eq(int, load(token_leaks[i]), -EINVAL), "input: %s",
                  token_leaks[i]);
        cr_assert(eq(ptr, conf, NULL));
        assert_no_leak(token_leaks[i]);
    }
}

Test(conf, no_message_from_token_files_or_modes_shows_the_token)
{
    _cleanup_free_ char *p644 = tmp_file(
        "a.yaml",
        "placement:\n  token: s3cr3t-TOKEN\n  timeout_s: s3cr3t-TOKEN\n", 0644);
    _cleanup_free_ char *open_tok = tmp_file("t1", "s3cr3t-TOKEN\n", 0644);
    _cleanup_free_ char *bad_tok = tmp_file("t2", "s3cr3t-TOKEN x\n", 0600);
    _cleanup_free_ char *c1 = conf_with_token_file(open_tok);
    _cleanup_free_ char *c2 = NULL;

    cr_assert(eq(int, conf_load(p644, true, &conf, &errors), -EINVAL));
    cr_assert(eq(sz, errors.n, 2));
    cr_assert(ne(ptr, strstr(errors.v[0], "<token>"), NULL), "%s",
              errors.v[0]); /* the alias-proof redaction at work */
    cr_assert(eq(int, conf_load(c1, true, &conf, &errors), -EINVAL));
    c2 = conf_with_token_file(bad_tok);
    cr_assert(eq(int, conf_load(c2, true, &conf, &errors), -EINVAL));
    cr_assert(eq(sz, errors.n, 4));
    assert_no_leak("the files");
}
