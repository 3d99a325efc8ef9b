/*
 * test-sync.c - end to end: `vgpu-agent sync` against the real Placement.
 *
 * Each test starts Debian's Placement (test/placement-server.h), runs the
 * agent binary on a sample host, and reads back what Placement holds with
 * the harness's own HTTP client, comparing it with what `dump` prints.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fixture.h"
#include "placement-server.h"
#include "testsecrets.h"
#include "xalloc.h"

/* Placement as production runs it (placement-server.h) */
PLACEMENT_SERVER_PREFER(UWSGI);

#define CONSUMER "6f1c2a4e-5b7d-4c8e-9f0a-1b2c3d4e5f60"
#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

static struct placement_server *srv;
static struct agentenv env; /* agent.yaml; the host, once a test sets it */
static struct agentrun run;

static void
setup(void)
{
    srv = placement_server_start();
    agentenv_init(&env);
}

static void
teardown(void)
{
    agentrun_clear(&run);
    placement_server_stop(srv);
    srv = NULL;
    agentenv_clear(&env);
}

TestSuite(sync, .init = setup, .fini = teardown);

/* agent.yaml = test/data/dump/<host_conf>.conf.yaml + extra + the placement
 * section pointing at the test's server with token. */
static void
write_conf(const char *host_conf, const char *extra, const char *token)
{
    _cleanup_free_ char *rel =
        host_conf ? xasprintf("dump/%s.conf.yaml", host_conf) : NULL;

    agentenv_write_conf(&env, &(struct agentconf){
                                  .settings_file = rel,
                                  .settings = extra,
                                  .endpoint = placement_server_url(srv),
                                  .token = token,
                              });
}

/* `vgpu-agent -v -c agent.yaml --sysfs-root ROOT sync`, into run. */
static void
agent_sync(void)
{
    agentenv_run(&env, &run, (const char *const[]){ "-v", "sync", NULL });
}

/* GET <prefix><uuid><suffix> as JSON; the request must succeed. */
static cJSON *
get(const char *prefix, const char *uuid, const char *suffix)
{
    _cleanup_free_ char *path = xasprintf("%s%s%s", prefix, uuid, suffix);
    cJSON *j = placement_server_get_json(srv, path);

    cr_assert(j != NULL, "GET %s failed", path);
    return j;
}

/* Placement's traits of uuid, sorted, as one space-separated string. */
static char *
traits_of(const char *uuid)
{
    cJSON *got = get("/resource_providers/", uuid, "/traits");
    struct strv sv = { 0 };
    const cJSON *t;
    char *s = xstrdup("");

    cJSON_ArrayForEach(t, cJSON_GetObjectItem(got, "traits"))
        strv_push(&sv, t->valuestring);
    cJSON_Delete(got);
    strv_sort_uniq(&sv);
    for (size_t i = 0; i < sv.n; i++) {
        char *next = xasprintf("%s%s%s", s, i ? " " : "", sv.v[i]);
        free(s);
        s = next;
    }
    strv_clear(&sv);
    return s;
}

/* Every provider of the dump is in Placement with the same parent,
 * inventories and traits, and the tree holds nothing else. */
static void
assert_placement_holds(cJSON *d)
{
    placement_server_assert_tree(srv, d);
}

ParameterizedTestParameters(sync, sample_hosts)
{
    return cr_make_param_array(struct fixture_sample_host, fixture_sample_hosts,
                               fixture_n_sample_hosts);
}

ParameterizedTest(struct fixture_sample_host *c, sync, sample_hosts)
{
    cJSON *d;

    agentenv_host(&env, c->name);
    write_conf(c->name, NULL, TEST_TOKEN);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "sync: %s", run.err);
    d = agentenv_dump(&env);
    assert_placement_holds(d);
    cJSON_Delete(d);
}

static char *
root_uuid_of_dump(void)
{
    cJSON *d = agentenv_dump(&env);
    char *uuid = xstrdup(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(d, "providers"), 0), "uuid")
            ->valuestring);

    cJSON_Delete(d);
    return uuid;
}

Test(sync, an_unchanged_host_is_synced_with_reads_only)
{
    _cleanup_free_ char *uuid = NULL;
    _cleanup_free_ char *before = NULL;
    _cleanup_free_ char *after = NULL;

    agentenv_host(&env, "m60");
    write_conf("m60", NULL, TEST_TOKEN);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    uuid = root_uuid_of_dump();
    before = placement_server_generations(srv, uuid);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, "0 created, 0 updated, 0 deleted"), NULL),
              "%s", run.err);
    after = placement_server_generations(srv, uuid);
    cr_assert(eq(str, after, before), "no write bumped a generation");
}

/* The provider of GPU 0000:3e:00.0 on the m60 host with m60.conf.yaml. */
static char *
gpu_3e_uuid(void)
{
    cJSON *d = agentenv_dump(&env);
    const cJSON *p;
    char *uuid = NULL;

    cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "providers"))
        if (strcmp(cJSON_GetObjectItem(p, "name")->valuestring,
                   "compute-m60_pci_0000_3e_00_0") == 0)
            uuid = xstrdup(cJSON_GetObjectItem(p, "uuid")->valuestring);
    cJSON_Delete(d);
    cr_assert(uuid != NULL);
    return uuid;
}

static void
unplug_gpu_3e(void)
{
    _cleanup_free_ char *link =
        xasprintf("%s/class/mdev_bus/0000:3e:00.0", env.root);

    cr_assert(eq(int, unlink(link), 0));
}

/* The status of METHOD <prefix><uuid><suffix>. */
static long
status_of(const char *method, const char *prefix, const char *uuid,
          const char *suffix, const char *body)
{
    _cleanup_free_ char *path = xasprintf("%s%s%s", prefix, uuid, suffix);
    long status = 0;

    free(placement_server_call(srv, method, path, body, &status));
    return status;
}

Test(sync, a_removed_gpu_without_guests_loses_its_provider)
{
    _cleanup_free_ char *gpu = NULL;
    cJSON *d;

    agentenv_host(&env, "m60");
    write_conf("m60", NULL, TEST_TOKEN);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    gpu = gpu_3e_uuid();
    unplug_gpu_3e();
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(
        eq(long, status_of("GET", "/resource_providers/", gpu, "", NULL), 404));
    d = agentenv_dump(&env);
    assert_placement_holds(d);
    cJSON_Delete(d);
}

static void
claim_vgpu(const char *gpu)
{
    _cleanup_free_ char *body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": 1}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        gpu, PROJECT, PROJECT);

    cr_assert(
        eq(long, status_of("PUT", "/allocations/", CONSUMER, "", body), 204));
}

Test(sync, a_removed_gpu_with_a_guest_is_drained_then_deleted_when_free)
{
    _cleanup_free_ char *gpu = NULL;
    cJSON *invs;

    agentenv_host(&env, "m60");
    write_conf("m60", NULL, TEST_TOKEN);
    agent_sync();
    gpu = gpu_3e_uuid();
    claim_vgpu(gpu);
    unplug_gpu_3e();
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, CONSUMER), NULL),
              "the warning names the guest: %s", run.err);
    invs = get("/resource_providers/", gpu, "/inventories");
    const cJSON *vgpu =
        cJSON_GetObjectItem(cJSON_GetObjectItem(invs, "inventories"), "VGPU");
    cr_assert(eq(int, cJSON_GetObjectItem(vgpu, "reserved")->valueint,
                 cJSON_GetObjectItem(vgpu, "total")->valueint),
              "reserved = total: nothing new lands there");
    cJSON_Delete(invs);
    cr_assert(eq(long, status_of("DELETE", "/allocations/", CONSUMER, "", NULL),
                 204));
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(
        eq(long, status_of("GET", "/resource_providers/", gpu, "", NULL), 404));
}

Test(sync, a_type_switch_replaces_inventory_and_type_trait)
{
    _cleanup_free_ char *gpu = NULL;
    _cleanup_free_ char *traits = NULL;
    cJSON *d;

    agentenv_host(&env, "m60");
    write_conf("m60", NULL, TEST_TOKEN);
    agent_sync();
    gpu = gpu_3e_uuid();
    write_conf(NULL,
               "node_name: compute-m60\n"
               "mdev_types:\n"
               "  nvidia-11:\n"
               "    max_instances: 10\n"
               "  nvidia-12:\n"
               "    device_addresses: [\"0000:3e:00.0\"]\n"
               "  nvidia-18:\n" /* still enabled: its traits stay managed */
               "    device_addresses: [\"0000:99:00.0\"]\n"
               "    traits: [CUSTOM_CAD]\n",
               TEST_TOKEN);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    traits = traits_of(gpu);
    cr_assert(ne(ptr, strstr(traits, "CUSTOM_NVIDIA_12"), NULL), "%s", traits);
    cr_assert(eq(ptr, strstr(traits, "CUSTOM_NVIDIA_18"), NULL), "%s", traits);
    cr_assert(eq(ptr, strstr(traits, "CUSTOM_CAD"), NULL),
              "the old type's configured trait goes too: %s", traits);
    d = agentenv_dump(&env);
    assert_placement_holds(d);
    cJSON_Delete(d);
}

Test(sync, a_trait_an_operator_set_survives_a_sync)
{
    _cleanup_free_ char *gpu = NULL;
    _cleanup_free_ char *traits = NULL;
    _cleanup_free_ char *body = NULL;
    cJSON *t;

    agentenv_host(&env, "m60");
    write_conf("m60", NULL, TEST_TOKEN);
    agent_sync();
    gpu = gpu_3e_uuid();
    cr_assert(eq(
        long, status_of("PUT", "/traits/CUSTOM_OPERATOR", "", "", NULL), 201));
    t = get("/resource_providers/", gpu, "/traits");
    cJSON_AddItemToArray(cJSON_GetObjectItem(t, "traits"),
                         cJSON_CreateString("CUSTOM_OPERATOR"));
    body = cJSON_PrintUnformatted(t);
    cJSON_Delete(t);
    cr_assert(eq(long,
                 status_of("PUT", "/resource_providers/", gpu, "/traits", body),
                 200));
    write_conf("m60", "", TEST_TOKEN);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    traits = traits_of(gpu);
    cr_assert(ne(ptr, strstr(traits, "CUSTOM_OPERATOR"), NULL), "%s", traits);
    cr_assert(ne(ptr, strstr(traits, "CUSTOM_NVIDIA_18"), NULL), "%s", traits);
}

Test(sync, a_root_and_child_made_by_nova_are_adopted)
{
    const char *nova_root = "11111111-2222-4333-8444-555555555555";
    const char *nova_gpu = "11111111-2222-4333-8444-666666666666";
    _cleanup_free_ char *body = NULL;
    cJSON *tree, *rp;

    agentenv_host(&env, "m60");
    write_conf("m60", NULL, TEST_TOKEN);
    body =
        xasprintf("{\"name\": \"compute-m60\", \"uuid\": \"%s\"}", nova_root);
    cr_assert(
        eq(long, status_of("POST", "/resource_providers", "", "", body), 200));
    free(body);
    body = xasprintf("{\"name\": \"compute-m60_pci_0000_3e_00_0\", \"uuid\": "
                     "\"%s\", \"parent_provider_uuid\": \"%s\"}",
                     nova_gpu, nova_root);
    cr_assert(
        eq(long, status_of("POST", "/resource_providers", "", "", body), 200));
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    tree = get("/resource_providers?in_tree=", nova_root, "");
    cr_assert(
        eq(int,
           cJSON_GetArraySize(cJSON_GetObjectItem(tree, "resource_providers")),
           3),
        "root and two GPUs, no duplicates");
    cJSON_Delete(tree);
    rp = get("/resource_providers/", nova_gpu, "/inventories");
    cr_assert(eq(int,
                 cJSON_GetObjectItem(
                     cJSON_GetObjectItem(cJSON_GetObjectItem(rp, "inventories"),
                                         "VGPU"),
                     "total")
                     ->valueint,
                 4),
              "the adopted child got nvidia-18's 4 vGPUs");
    cJSON_Delete(rp);
}

Test(sync, provider_config_traits_and_inventories_reach_placement)
{
    _cleanup_free_ char *dir = fixture_data_path("dump/provconf-ok");
    _cleanup_free_ char *extra = xasprintf("provider_config_dir: %s\n", dir);
    cJSON *d;

    agentenv_host(&env, "m60");
    write_conf("m60", extra, TEST_TOKEN);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    d = agentenv_dump(&env);
    assert_placement_holds(d);
    cJSON_Delete(d);
}

Test(sync, a_wrong_token_fails_with_a_clear_message_and_status_1)
{
    agentenv_host(&env, "m60");
    write_conf("m60", NULL, TEST_WRONG_TOKEN);
    agent_sync();
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, "403"), NULL), "%s", run.err);
    cr_assert(eq(ptr, strstr(run.err, TEST_WRONG_TOKEN), NULL),
              "the token is never printed: %s", run.err);
}

Test(sync, a_missing_endpoint_is_a_configuration_error)
{
    _cleanup_free_ char *conf = NULL;

    agentenv_host(&env, "m60");
    conf = fixture_data_path("dump/m60.conf.yaml");
    agentrun(&run, (const char *const[]){ "-c", conf, "--sysfs-root", env.root,
                                          "sync", NULL });
    cr_assert(eq(int, run.status, 2), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, "placement.endpoint"), NULL), "%s",
              run.err);
}

/* Delete every provider of the tree rooted at root_uuid, children first
 * (Placement refuses to delete a parent). */
static void
delete_tree(const char *root_uuid)
{
    cJSON *tree = get("/resource_providers?in_tree=", root_uuid, "");
    const cJSON *rp;

    cJSON_ArrayForEach(rp, cJSON_GetObjectItem(tree, "resource_providers")) {
        const char *uuid = cJSON_GetObjectItem(rp, "uuid")->valuestring;

        if (strcmp(uuid, root_uuid) != 0)
            cr_assert(
                eq(long,
                   status_of("DELETE", "/resource_providers/", uuid, "", NULL),
                   204));
    }
    cJSON_Delete(tree);
    cr_assert(eq(
        long, status_of("DELETE", "/resource_providers/", root_uuid, "", NULL),
        204));
}

#define VANISH_MS 30000 /* a pass or two of `run`, on a loaded box */

/* `run` keeps the root's UUID between passes; when someone deletes the
 * tree, the failed pass says why, and the next one rebuilds it. */
Test(sync, a_root_deleted_under_run_is_logged_with_its_reason_then_rebuilt)
{
    const char *extra = "interval_s: 2\nreconcile:\n  enabled: false\n";
    struct agentproc *p; /* env's, stopped with it */
    _cleanup_free_ char *uuid = NULL;
    _cleanup_free_ char *reason = NULL;
    cJSON *d;

    agentenv_host(&env, "m60");
    write_conf("m60", extra, TEST_TOKEN);
    uuid = root_uuid_of_dump();
    p = agentenv_start(&env, NULL);
    cr_assert(agentproc_wait_for(p, "pass done", 1, VANISH_MS), "%s",
              agentproc_err(p));
    delete_tree(uuid);
    cr_assert(agentproc_wait_for(p, "pass incomplete", 1, VANISH_MS), "%s",
              agentproc_err(p));
    reason = xasprintf("error: root provider compute-m60 (uuid %s) vanished "
                       "from Placement; recreating it next pass",
                       uuid);
    cr_assert(ne(ptr, strstr(agentproc_err(p), reason), NULL),
              "the log says why the pass is incomplete: %s", agentproc_err(p));
    cr_assert(agentproc_wait_for(p, "pass done", 2, VANISH_MS), "%s",
              agentproc_err(p));
    d = agentenv_dump(&env);
    assert_placement_holds(d);
    cJSON_Delete(d);
    agentproc_signal(p, SIGTERM);
    cr_assert(eq(int, agentproc_wait(p, 5000), 0), "%s", agentproc_err(p));
}

Test(sync, capacity_cut_below_what_guests_hold_is_written_with_a_warning)
{
    _cleanup_free_ char *gpu = NULL;
    _cleanup_free_ char *body = NULL;
    cJSON *invs;

    agentenv_host(&env, "m60");
    write_conf("m60", NULL, TEST_TOKEN);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    gpu = gpu_3e_uuid();
    body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": 3}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        gpu, PROJECT, PROJECT);
    cr_assert(
        eq(long, status_of("PUT", "/allocations/", CONSUMER, "", body), 204));
    write_conf(NULL,
               "node_name: compute-m60\n"
               "mdev_types:\n"
               "  nvidia-18:\n"
               "    device_addresses: [\"0000:3e:00.0\"]\n"
               "    max_instances: 1\n",
               TEST_TOKEN);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(ne(ptr,
                 strstr(run.err, "compute-m60_pci_0000_3e_00_0: VGPU total 1 "
                                 "is below what guests hold (3)"),
                 NULL),
              "%s", run.err);
    invs = get("/resource_providers/", gpu, "/inventories");
    cr_assert(eq(int,
                 cJSON_GetObjectItem(
                     cJSON_GetObjectItem(
                         cJSON_GetObjectItem(invs, "inventories"), "VGPU"),
                     "total")
                     ->valueint,
                 1),
              "Placement takes the smaller total");
    cJSON_Delete(invs);
}

#define OTHER_RP "22222222-3333-4444-8555-666666666666"

Test(sync, a_gpu_name_taken_outside_the_tree_fails_that_provider_only)
{
    const char *body = "{\"name\": \"compute-m60_pci_0000_3e_00_0\", "
                       "\"uuid\": \"" OTHER_RP "\"}";

    agentenv_host(&env, "m60");
    write_conf("m60", NULL, TEST_TOKEN);
    cr_assert(
        eq(long, status_of("POST", "/resource_providers", "", "", body), 200));
    agent_sync();
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    cr_assert(ne(ptr,
                 strstr(run.err,
                        "error: compute-m60_pci_0000_3e_00_0: a provider of "
                        "this name (" OTHER_RP ") exists outside this host's "
                        "tree; rename or delete it"),
                 NULL),
              "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, "pass incomplete: 2 created"), NULL),
              "the root and the other GPU were made: %s", run.err);
}
