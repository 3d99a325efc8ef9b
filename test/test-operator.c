/*
 * test-operator.c - the one-shot commands as an operator meets them: every
 * mistake named, the global options anywhere, sync saying what it did (and
 * --dry-run what it would do), check-config --connect trying everything,
 * the JSON log.  Each test runs the built binary and checks what it prints
 * and its exit status; those that talk to Placement start Debian's real
 * one (test/placement-server.h).  The service's own lines: test-runlog.c.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentrun.h"
#include "cleanup.h"
#include "fixture.h"
#include "placement-server.h"
#include "xalloc.h"

static struct placement_server *srv; /* started by the tests that need it */
static char *root;                   /* the materialized m60 host */
static char *dir;                    /* agent.yaml and what it names */
static struct agentrun run;
static char *metrics_path; /* metrics_file; NULL: dir/metrics/... */

static void
setup(void)
{
    dir = fixture_tmpdir();
    root = fixture_host("m60");
}

static void
teardown(void)
{
    agentrun_clear(&run);
    placement_server_stop(srv);
    srv = NULL;
    fixture_rm_rf(root);
    fixture_rm_rf(dir);
    free(root);
    free(dir);
    free(metrics_path);
    metrics_path = NULL;
}

TestSuite(operator, .init = setup, .fini = teardown, .timeout = 120);

/* dir/rel; caller frees. */
static char *
path_of(const char *rel)
{
    return xasprintf("%s/%s", dir, rel);
}

/* Write dir/rel (mode 0600); returns the path, caller frees. */
static char *
put(const char *rel, const char *text)
{
    char *path = path_of(rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    cr_assert(fd >= 0, "%s", path);
    cr_assert(
        eq(long, (long)write(fd, text, strlen(text)), (long)strlen(text)));
    close(fd);
    return path;
}

/* The demo's settings (two GPUs: nvidia-18 pinned, nvidia-13 capped at
 * cap), the files in dir, Placement at srv with token (NULL: admin). */
static char *
conf_cap(unsigned cap, const char *enabled, const char *extra,
         const char *token)
{
    _cleanup_free_ char *placement =
        srv ? xasprintf("placement:\n  endpoint: %s\n  token: %s\n",
                        placement_server_url(srv), token ? token : "admin")
            : xstrdup("");
    _cleanup_free_ char *metrics =
        metrics_path ? xstrdup(metrics_path)
                     : xasprintf("%s/metrics/vgpu-agent.prom", dir);
    _cleanup_free_ char *text = xasprintf(
        "node_name: op-host\n"
        "enabled_mdev_types: [%s]\n"
        "mdev_types:\n"
        "  nvidia-18:\n"
        "    device_addresses: [\"0000:3d:00.0\"]\n"
        "  nvidia-13:\n"
        "    max_instances: %u\n"
        "lock_file: %s/lock\n"
        "metrics_file: %s\n"
        "libvirt_uri: test:///default\n"
        "reconcile:\n"
        "  mdevctl_dir: %s/mdevctl.d\n"
        "%s%s",
        enabled, cap, dir, metrics, dir, extra ? extra : "", placement);

    return put("agent.yaml", text);
}

static char *
conf(const char *extra, const char *token)
{
    return conf_cap(4, "nvidia-18, nvidia-13", extra, token);
}

/* vgpu-agent -c CONF --sysfs-root ROOT args... */
static void
agent(const char *conf_path, const char *const *args)
{
    const char *argv[16] = { "-c", conf_path, "--sysfs-root", root };
    size_t n = 4;

    for (size_t i = 0; args[i]; i++) {
        cr_assert(lt(sz, n, sizeof(argv) / sizeof(*argv) - 1));
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    agentrun_clear(&run);
    agentrun(&run, argv);
}

#define AGENT(conf_path, ...)                                                  \
    agent(conf_path, (const char *const[]){ __VA_ARGS__, NULL })

static void
assert_has(const char *text, const char *needle)
{
    cr_assert(ne(ptr, strstr(text, needle), NULL), "no '%s' in:\n%s", needle,
              text);
}

static void
assert_str(const char *got, const char *want)
{
    cr_assert(strcmp(got, want) == 0, "got '%s', want '%s'", got, want);
}

static void
assert_lacks(const char *text, const char *needle)
{
    cr_assert(eq(ptr, strstr(text, needle), NULL), "'%s' in:\n%s", needle,
              text);
}

/* Every line of s starts with prefix. */
static void
assert_every_line_starts(const char *s, const char *prefix)
{
    for (const char *l = s; *l; l = strchr(l, '\n') + 1) {
        cr_assert(eq(int, strncmp(l, prefix, strlen(prefix)), 0),
                  "a line without '%s': %s", prefix, l);
        if (!strchr(l, '\n'))
            break;
    }
}

/* --- 3. every mistake gets a clear answer ----------------------------- */

Test(operator, usage_errors_name_what_was_wrong)
{
    static const struct {
        const char *args[4];
        const char *says;
    } cases[] = {
        { { "sync", "extra" },
          "vgpu-agent: error: sync: unexpected argument 'extra' (see "
          "vgpu-agent sync --help)\n" },
        { { "reconcile", "--format", "yaml" },
          "vgpu-agent: error: reconcile: --format: 'yaml' is not one of "
          "text, json (see vgpu-agent reconcile --help)\n" },
        { { "check-config", "--conect" },
          "vgpu-agent: error: check-config: unknown option '--conect'; did "
          "you mean '--connect'? (see vgpu-agent check-config --help)\n" },
        { { "mdevs", "not-a-uuid" },
          "vgpu-agent: error: mdevs: 'not-a-uuid' is not a consumer UUID "
          "(see vgpu-agent mdevs --help)\n" },
        { { "run", "--passes" },
          "vgpu-agent: error: run: option '--passes' needs a value (see "
          "vgpu-agent run --help)\n" },
        { { "dump", "-x" },
          "vgpu-agent: error: dump: unknown option '-x' (see vgpu-agent "
          "dump --help)\n" },
        { { "snyc" },
          "vgpu-agent: error: unknown command 'snyc' (did you mean 'sync'? "
          "see --help)\n" },
    };
    _cleanup_free_ char *c = conf(NULL, NULL);

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const char *const *a = cases[i].args;

        agent(c, a);
        cr_assert(eq(int, run.status, 2), "%s: %s", a[0], run.err);
        assert_str(run.err, cases[i].says);
        cr_assert(eq(str, run.out, ""));
    }
}

Test(operator, global_options_work_after_the_command_too)
{
    _cleanup_free_ char *c = conf(NULL, NULL);

    /* -v after the command: the cap is an info line */
    AGENT(c, "dump", "-v", "--format", "table");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: info: 0000:3e:00.0: nvidia-13 capped "
                        "from 8 to 4 by max_instances 4");
    assert_has(run.out, "op-host_pci_0000_3d_00_0");
    /* without it, not */
    AGENT(c, "dump", "--format", "table");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_lacks(run.err, "capped");
    /* --log-format=json after the command */
    AGENT(c, "dump", "--log-format=json", "--verbose", "--format", "json");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "{\"ts\":\"");
}

Test(operator, every_command_has_help)
{
    static const char *const cmds[] = { "dump",      "sync",  "run",
                                        "reconcile", "mdevs", "check-config",
                                        "status",    "show" };
    _cleanup_free_ char *c = conf(NULL, NULL);

    for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
        AGENT(c, cmds[i], "--help");
        cr_assert(eq(int, run.status, 0), "%s --help: %s", cmds[i], run.err);
        assert_has(run.out, "Usage: vgpu-agent");
        cr_assert(eq(str, run.err, ""));
    }
}

Test(operator, config_mistakes_are_named)
{
    _cleanup_free_ char *typo = put("typo.yaml", "interval_sec: 5\n"
                                                 "enabled_mdev_type: [a]\n");
    _cleanup_free_ char *tab = put("tab.yaml", "placement:\n\tendpoint: x\n");
    _cleanup_free_ char *ini = put("nova.conf", "[DEFAULT]\nenabled_vgpu_types"
                                                " = nvidia-35\n");
    _cleanup_free_ char *off =
        put("off.yaml", "enabled_mdev_types: [nvidia-18]\n"
                        "mdev_types:\n  nvidia-13:\n    max_instances: 2\n");

    AGENT(typo, "dump");
    cr_assert(eq(int, run.status, 2));
    assert_has(run.err, "typo.yaml:1:1: interval_sec: unknown key; did you "
                        "mean interval_s?");
    assert_has(run.err, "typo.yaml:2:1: enabled_mdev_type: unknown key; did "
                        "you mean enabled_mdev_types?");
    assert_every_line_starts(run.err, "vgpu-agent: ");
    AGENT(tab, "dump");
    cr_assert(eq(int, run.status, 2));
    assert_has(run.err, "tab.yaml:2:1: ");
    assert_has(run.err, "(a tab: YAML indents with spaces only)");
    AGENT(ini, "dump");
    cr_assert(eq(int, run.status, 2));
    assert_has(run.err, "this looks like nova.conf, an INI file, not YAML; "
                        "see vgpu-agent import-nova-conf");
    AGENT(off, "dump", "--format", "table");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: warning: ");
    assert_has(run.err, "off.yaml:3:3: mdev_types.nvidia-13: type is not "
                        "enabled (not in enabled_mdev_types); its entry is "
                        "ignored");
}

/* --- 1. and 2.: sync says what it did, --dry-run what it would ---------- */

/* Providers whose name starts with prefix in Placement. */
static int
count_providers(const char *prefix)
{
    cJSON *rps = placement_server_get_json(srv, "/resource_providers");
    cJSON *v = cJSON_GetObjectItem(rps, "resource_providers");
    const cJSON *rp;
    int n = 0;

    cJSON_ArrayForEach(rp, v) {
        const char *name =
            cJSON_GetStringValue(cJSON_GetObjectItem(rp, "name"));

        n += name && strncmp(name, prefix, strlen(prefix)) == 0;
    }
    cJSON_Delete(rps);
    return n;
}

Test(operator, sync_dry_run_prints_the_writes_and_makes_none)
{
    _cleanup_free_ char *c = NULL;

    srv = placement_server_start();
    c = conf(NULL, NULL);
    AGENT(c, "sync", "--dry-run");
    cr_assert(eq(int, run.status, 3), "%s", run.err);
    assert_has(run.out, "POST   /resource_providers  op-host: root, uuid ");
    assert_has(run.out, "POST   /resource_providers  op-host_pci_0000_3d_00_0: "
                        "uuid ");
    assert_has(run.out, "PUT    /traits/CUSTOM_NVIDIA_18  CUSTOM_NVIDIA_18\n");
    assert_has(run.out, "/inventories  op-host_pci_0000_3e_00_0: VGPU added "
                        "(total 4, reserved 0)\n");
    /* the GPU's type, then the trait that marks it this host's own */
    assert_has(run.out, "/traits  op-host_pci_0000_3d_00_0: +CUSTOM_NVIDIA_18 "
                        "+CUSTOM_VGPU_HOST_");
    assert_has(run.out, "_VM +HW_GPU_MAX_DISPLAY_HEADS_4 ");
    assert_has(run.out, "10 write(s) pending: 3 provider(s) to create, 0 to "
                        "update, 0 to delete\n");
    cr_assert(eq(int, count_providers("op-host"), 0), "it wrote");

    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: notice: provider op-host created (root, "
                        "uuid ");
    assert_has(run.err, "vgpu-agent: notice: provider op-host_pci_0000_3e_00_0 "
                        "inventory: VGPU added (total 4, reserved 0)\n");
    assert_has(run.err, "vgpu-agent: notice: custom name CUSTOM_NVIDIA_13 "
                        "created\n");
    assert_has(run.err, "vgpu-agent: notice: pass done: 3 created, 0 updated, "
                        "0 deleted; ");
    cr_assert(eq(int, count_providers("op-host"), 3));

    AGENT(c, "sync", "--dry-run");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(eq(str, run.out, "nothing to do: Placement holds the tree\n"));
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: notice: pass done: 0 created, 0 updated, "
                        "0 deleted; ");
    assert_lacks(run.err, "provider op-host");

    /* the cap lowered: one inventory write, one provider updated */
    free(c);
    c = conf_cap(2, "nvidia-18, nvidia-13", NULL, NULL);
    AGENT(c, "sync", "--dry-run");
    cr_assert(eq(int, run.status, 3), "%s", run.err);
    assert_has(run.out, "/inventories  op-host_pci_0000_3e_00_0: VGPU total "
                        "4 -> 2, max_unit 4 -> 2\n");
    assert_has(run.out, "1 write(s) pending: 0 provider(s) to create, 1 to "
                        "update, 0 to delete\n");
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: notice: provider op-host_pci_0000_3e_00_0 "
                        "inventory: VGPU total 4 -> 2, max_unit 4 -> 2\n");
    assert_has(run.err, "pass done: 0 created, 1 updated, 0 deleted; ");
}

/* The UUID of the provider called name in Placement; caller frees. */
static char *
provider_uuid(const char *name)
{
    _cleanup_free_ char *path = xasprintf("/resource_providers?name=%s", name);
    cJSON *rps = placement_server_get_json(srv, path);
    cJSON *rp =
        cJSON_GetArrayItem(cJSON_GetObjectItem(rps, "resource_providers"), 0);
    char *uuid;

    cr_assert(rp != NULL, "no provider %s", name);
    uuid = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(rp, "uuid")));
    cJSON_Delete(rps);
    return uuid;
}

#define CONSUMER "6f1e3a52-3c1f-4d0e-9a51-3b3c2b1e0a01"
#define PROJECT "5e0f6e5a9a3c4b8e8f2d1c0b9a8e7d6c"

/* CONSUMER takes n VGPU of provider rp, as nova's scheduler would. */
static void
claim(const char *rp, int n)
{
    _cleanup_free_ char *body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": %d}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        rp, n, PROJECT, PROJECT);
    long status = 0;
    _cleanup_free_ char *resp = placement_server_call(
        srv, "PUT", "/allocations/" CONSUMER, body, &status);

    cr_assert(eq(long, status, 204), "PUT /allocations: %s", resp);
}

Test(operator, a_drain_is_logged_and_counted_as_an_update)
{
    _cleanup_free_ char *c = NULL, *rp = NULL;
    long status = 0;

    srv = placement_server_start();
    c = conf(NULL, NULL);
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    rp = provider_uuid("op-host_pci_0000_3e_00_0");
    claim(rp, 1);
    free(c);
    c = conf_cap(4, "nvidia-18", NULL, NULL); /* nvidia-13 disabled */
    AGENT(c, "sync", "--dry-run");
    cr_assert(eq(int, run.status, 3), "%s", run.err);
    assert_has(run.out, "op-host_pci_0000_3e_00_0: VGPU reserved 0 -> 4\n");
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: notice: provider op-host_pci_0000_3e_00_0 "
                        "drained (guests still hold it): VGPU reserved 0 -> "
                        "4\n");
    assert_has(run.err, "pass done: 0 created, 1 updated, 0 deleted; ");
    /* the guest gone: deleted */
    free(placement_server_call(srv, "DELETE", "/allocations/" CONSUMER, NULL,
                               &status));
    cr_assert(eq(long, status, 204));
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: notice: provider op-host_pci_0000_3e_00_0 "
                        "deleted: no longer offered, no guest holds it\n");
    assert_has(run.err, "pass done: 0 created, 0 updated, 1 deleted; ");
}

/* The JSON line of stderr whose "event" is event; cJSON_Delete() it. */
static cJSON *
json_event(const char *err, const char *event)
{
    for (const char *l = err; l && *l;) {
        const char *nl = strchr(l, '\n');
        _cleanup_free_ char *line =
            xstrndup(l, nl ? (size_t)(nl - l) : strlen(l));
        cJSON *o = cJSON_Parse(line);

        cr_assert(o != NULL, "not JSON: %s", line);
        cr_assert(cJSON_IsString(cJSON_GetObjectItem(o, "ts")), "%s", line);
        cr_assert(cJSON_IsString(cJSON_GetObjectItem(o, "level")), "%s", line);
        cr_assert(cJSON_IsString(cJSON_GetObjectItem(o, "msg")), "%s", line);
        if (cJSON_GetStringValue(cJSON_GetObjectItem(o, "event")) &&
            strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "event")),
                   event) == 0)
            return o;
        cJSON_Delete(o);
        l = nl ? nl + 1 : NULL;
    }
    cr_assert(err == NULL, "no event %s in:\n%s", event, err);
    return NULL;
}

static const char *
field(const cJSON *o, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

    return v ? v : "(none)";
}

Test(operator, json_log_lines_carry_the_event_and_its_fields)
{
    _cleanup_free_ char *c = NULL;
    cJSON *o;

    srv = placement_server_start();
    c = conf(NULL, NULL);
    AGENT(c, "--log-format", "json", "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    o = json_event(run.err, "provider_created");
    assert_str(field(o, "level"), "notice");
    assert_str(field(o, "provider"), "op-host");
    assert_str(field(o, "method"), "POST");
    assert_str(field(o, "path"), "/resource_providers");
    cr_assert(eq(int, (int)strlen(field(o, "ts")), 24), "%s", field(o, "ts"));
    cJSON_Delete(o);
    o = json_event(run.err, "inventory_changed");
    cr_assert(
        eq(int, strncmp(field(o, "path"), "/resource_providers/", 20), 0));
    cJSON_Delete(o);
    o = json_event(run.err, "sync_done");
    assert_has(field(o, "msg"), "pass done: 3 created, 0 updated, 0 deleted");
    cJSON_Delete(o);
}

Test(operator, check_config_connect_reads_as_the_agent_and_checks_the_dirs)
{
    _cleanup_free_ char *c = NULL, *bad = NULL, *afile = NULL;

    srv = placement_server_start();
    c = conf(NULL, NULL);
    AGENT(c, "check-config", "--connect");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.out, "gpu 0000:3d:00.0: nvidia-18 (GRID M60-2Q), 4 vGPU(s) "
                        "as op-host_pci_0000_3d_00_0\n");
    assert_has(run.out, "gpu 0000:3e:00.0: nvidia-13 (GRID M60-1A), 4 vGPU(s) "
                        "as op-host_pci_0000_3e_00_0\n");
    assert_has(run.out, "/lock: directory writable\n");
    assert_has(run.out, "/metrics/vgpu-agent.prom: to be made; its parent is "
                        "writable\n");
    assert_has(run.out, "node: op-host is not in Placement yet (sync creates "
                        "it, uuid ");
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    AGENT(c, "check-config", "--connect");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.out, "node: op-host exists (uuid ");
    assert_has(run.out, "with the UUID the agent derives (its own)\n");

    /* a token Placement refuses: GET / passes, the read does not */
    bad = conf(NULL, "not-the-admin-token");
    AGENT(bad, "check-config", "--connect");
    cr_assert(eq(int, run.status, 1), "%s\n%s", run.out, run.err);
    assert_has(run.err, "vgpu-agent: error: check-config: GET "
                        "/resource_providers?name=op-host: 403 ");
    assert_has(run.err, "is the token right?");

    /* a metrics_file whose directory cannot be */
    afile = put("afile", "x");
    metrics_path = xasprintf("%s/afile/m.prom", dir);
    free(c);
    c = conf(NULL, NULL);
    AGENT(c, "check-config", "--connect");
    cr_assert(eq(int, run.status, 1), "%s\n%s", run.out, run.err);
    assert_has(run.err, "vgpu-agent: error: check-config: metrics_file ");
    assert_has(run.err, "/afile is not writable: Not a directory\n");
}

Test(operator, mdevs_for_a_consumer_holding_nothing_here_fails)
{
    _cleanup_free_ char *c = NULL;

    srv = placement_server_start();
    c = conf(NULL, NULL);
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    AGENT(c, "mdevs", CONSUMER);
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    cr_assert(eq(str, run.out, ""));
    assert_has(run.err, "vgpu-agent: error: mdevs: consumer " CONSUMER
                        " holds no VGPU on this host's GPUs");
    claim(provider_uuid("op-host_pci_0000_3d_00_0"), 1);
    AGENT(c, "mdevs", CONSUMER);
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.out, " 0000:3d:00.0 nvidia-18\n");
}

/* --- 2. show: the live picture ----------------------------------------- */

Test(operator, show_draws_the_gpus_the_claims_and_their_devices)
{
    _cleanup_free_ char *c = NULL;
    cJSON *o, *g, *d;

    srv = placement_server_start();
    c = conf(NULL, NULL);
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    AGENT(c, "show");
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    assert_has(run.out, "node op-host\n");
    assert_has(run.out, "0000:3d:00.0   nvidia-18         4     0        0  "
                        "op-host_pci_0000_3d_00_0\n");
    assert_has(run.out, "problems: none\n");

    /* a guest's claim whose mdev does not exist (yet) */
    claim(provider_uuid("op-host_pci_0000_3e_00_0"), 1);
    AGENT(c, "show");
    cr_assert(eq(int, run.status, 1), "%s\n%s", run.out, run.err);
    assert_has(run.out, "0000:3e:00.0   nvidia-13         4     1        0");
    assert_has(run.out, "  consumer " CONSUMER ": 1 unit(s)\n");
    assert_has(run.out, " missing, to be made on 0000:3e:00.0\n");
    assert_has(run.out, "problems:\n  - consumer " CONSUMER ": device ");
    AGENT(c, "show", "--format", "json");
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    o = cJSON_Parse(run.out);
    cr_assert(o != NULL, "%s", run.out);
    g = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "gpus"), 1);
    assert_str(field(g, "gpu"), "0000:3e:00.0");
    cr_assert(eq(int, cJSON_GetObjectItem(g, "used")->valueint, 1));
    cr_assert(eq(int, cJSON_GetObjectItem(g, "total")->valueint, 4));
    d = cJSON_GetArrayItem(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(g, "claims"), 0), "devices"),
        0);
    assert_str(field(d, "state"), "missing");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(d, "exists")));
    cr_assert(
        eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(o, "problems")), 1));
    cJSON_Delete(o);
}

/* --- 4. bash completion knows every command and option ------------------ */

/* Whether word occurs in text as a whole word (not inside a longer one). */
static bool
has_word(const char *text, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        bool start = p == text || !(isalnum((unsigned char)p[-1]) ||
                                    p[-1] == '-' || p[-1] == '_');
        bool end =
            !(isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '_');

        if (start && end)
            return true;
    }
    return false;
}

/* Every "--long-option" a help text names is in the completion. */
static void
assert_options_completed(const char *help, const char *completion,
                         const char *what)
{
    for (const char *p = strstr(help, "--"); p; p = strstr(p + 2, "--")) {
        size_t n = 2;
        _cleanup_free_ char *opt = NULL;

        while (isalnum((unsigned char)p[n]) || p[n] == '-')
            n++;
        if (n == 2)
            continue;
        opt = xstrndup(p, n);
        cr_assert(has_word(completion, opt), "%s: %s is not completed", what,
                  opt);
    }
}

Test(operator, bash_completion_knows_every_command_and_option)
{
    _cleanup_free_ char *path = fixture_data_path("vgpu-agent.bash-completion");
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    _cleanup_free_ char *c = conf(NULL, NULL);
    _cleanup_free_ char *help = NULL;
    static char text[16384];
    size_t n;

    cr_assert(f != NULL, "%s", path);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = 0;
    agentrun_clear(&run);
    agentrun(&run, (const char *const[]){ "--help", NULL });
    cr_assert(eq(int, run.status, 0));
    assert_options_completed(run.out, text, "vgpu-agent");
    help = xstrdup(run.out); /* run is reused for each command's --help */
    /* the commands: the lines "  NAME ..." after "Commands" */
    for (const char *l = strstr(help, "Commands"); l && *l;
         l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        _cleanup_free_ char *cmd = NULL;
        size_t k = 0;

        if (strncmp(l, "  ", 2) != 0 || l[2] == ' ')
            continue;
        while (isalnum((unsigned char)l[2 + k]) || l[2 + k] == '-')
            k++;
        cmd = xstrndup(l + 2, k);
        cr_assert(has_word(text, cmd), "command %s is not completed", cmd);
        AGENT(c, cmd, "--help");
        cr_assert(eq(int, run.status, 0), "%s --help", cmd);
        assert_options_completed(run.out, text, cmd);
    }
}
