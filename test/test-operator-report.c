/*
 * test-operator-report.c - what the one-shot commands say against
 * Debian's real Placement (test/placement-server.h): sync's change lines
 * and counts (a drain included) and --dry-run's writes, the JSON log's
 * events and fields, check-config --connect, devices for a consumer that
 * holds nothing, show.  Set-up and helpers: test-operator.c.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "testoperator.h"
#include "xalloc.h"

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
    long status = 0;

    srv = placement_server_start();
    c = conf(NULL, NULL);
    AGENT(c, "sync", "--dry-run");
    cr_assert(eq(int, run.status, 3), "%s", run.err);
    assert_has(run.out, "POST   /resource_providers  op-host: root, uuid ");
    assert_has(run.out, "POST   /resource_providers  op-host_pci_0000_3d_00_0: "
                        "uuid ");
    assert_has(run.out, "PUT    /traits/CUSTOM_NVIDIA_18  CUSTOM_NVIDIA_18\n");
    assert_has(run.out, "POST   /reshaper  op-host_pci_0000_3e_00_0: VGPU "
                        "added (total 4, reserved 0)\n");
    /* the GPU's type, then the trait that marks it this host's own */
    assert_has(run.out, "/traits  op-host_pci_0000_3d_00_0: +CUSTOM_NVIDIA_18 "
                        "+CUSTOM_VGPU_HOST_");
    assert_has(run.out, "_VM +HW_GPU_MAX_DISPLAY_HEADS_4 ");
    assert_has(run.out, "10 write(s) pending: 3 provider(s) to create, 0 to "
                        "update, 0 to delete\n");
    cr_assert(eq(int, count_providers("op-host"), 0), "it wrote");

    /* another host made one of the custom names already: not "created" */
    free(placement_server_call(srv, "PUT", "/traits/CUSTOM_NVIDIA_18", NULL,
                               &status));
    cr_assert(eq(long, status, 201));
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(eq(ptr, strstr(run.err, "custom name CUSTOM_NVIDIA_18"), NULL),
              "%s", run.err);
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
                        "4 -> 2\n");
    assert_has(run.out, "1 write(s) pending: 0 provider(s) to create, 1 to "
                        "update, 0 to delete\n");
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: notice: provider op-host_pci_0000_3e_00_0 "
                        "inventory: VGPU total 4 -> 2\n");
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
    /* a first sync's new providers: one reshape for all */
    assert_str(field(o, "method"), "POST");
    assert_str(field(o, "path"), "/reshaper");
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
    _cleanup_free_ char *c = NULL, *rp = NULL;

    srv = placement_server_start();
    c = conf(NULL, NULL);
    AGENT(c, "sync");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    AGENT(c, "mdevs", CONSUMER);
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    cr_assert(eq(str, run.out, ""));
    assert_has(run.err, "vgpu-agent: error: mdevs: consumer " CONSUMER
                        " holds no VGPU on this host's GPUs");
    AGENT(c, "devices", CONSUMER); /* the error names the command given */
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    assert_has(run.err, "vgpu-agent: error: devices: consumer " CONSUMER
                        " holds no VGPU on this host's GPUs");
    rp = provider_uuid("op-host_pci_0000_3d_00_0");
    claim(rp, 1);
    AGENT(c, "mdevs", CONSUMER);
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.out, " 0000:3d:00.0 nvidia-18\n");
}

/* --- 2. show: the live picture ----------------------------------------- */

Test(operator, show_draws_the_gpus_the_claims_and_their_devices)
{
    _cleanup_free_ char *c = NULL, *rp = NULL;
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
    rp = provider_uuid("op-host_pci_0000_3e_00_0");
    claim(rp, 1);
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
