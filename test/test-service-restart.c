/*
 * test-service-restart.c - the service stopped and started again, in
 * process, against the real Placement: what it reads (the state files in
 * state_dir: sync-state.json, claims-state.json), what it notices moved
 * meanwhile, another Placement.  Shared set-up: servicetest.h.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fixture.h"
#include "reconcile.h"
#include "servicetest.h"
#include "testproc.h"
#include "xalloc.h"

TestSuite(service, .init = servicetest_setup, .fini = servicetest_teardown);

/* The sync's requests only: reconcile re-reads the claims after a restart
 * (they are not in the state file). */
Test(service, a_restart_on_an_unchanged_host_costs_at_most_2_requests)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *root = NULL, *before = NULL, *after = NULL;
    _cleanup_free_ char *state = agentenv_path(&env, "state/sync-state.json");
    struct stat st;

    write_conf("CUSTOM_CAD", uri, "reconcile:\n  enabled: false\n",
               placement_server_url(srv));
    start_service();
    cr_assert(service_pass(svc), "the first pass");
    cr_assert(eq(int, stat(state, &st), 0), "the state file is written");
    root = root_uuid_now();
    before = placement_server_generations(srv, root);
    restart_service();
    cr_assert(service_pass(svc), "the first pass after the restart");
    after = placement_server_generations(srv, root);
    cr_assert(eq(str, after, before), "an unchanged host: nothing written");
    cr_assert(le(dbl, requests(NULL), 2),
              "the first pass after a restart counted %g requests",
              requests(NULL));
    assert_placement_holds_the_host();
}

/* The state files are bound to the endpoint they were written against:
 * pointed at another (here the same server under another name, as a
 * Placement restored elsewhere from a backup would look), the agent
 * trusts none of it and reads in full. */
Test(service, a_restart_against_another_endpoint_reads_in_full)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *state = agentenv_path(&env, "state/sync-state.json");
    const char *url = placement_server_url(srv);
    _cleanup_free_ char *other =
        xasprintf("http://localhost%s", strrchr(url, ':'));
    _cleanup_free_ char *text = NULL;
    cJSON *doc;

    write_conf("CUSTOM_CAD", uri, "reconcile:\n  enabled: false\n", url);
    start_service();
    cr_assert(service_pass(svc), "the first pass");
    write_conf("CUSTOM_CAD", uri, "reconcile:\n  enabled: false\n", other);
    restart_service();
    cr_assert(service_pass(svc), "the first pass after the restart");
    cr_assert(gt(dbl, requests(NULL), 2),
              "read in full, not confirmed: %g requests", requests(NULL));
    text = testproc_read_file(state);
    doc = cJSON_Parse(text);
    cr_assert(eq(str,
                 cJSON_GetStringValue(cJSON_GetObjectItem(doc, "placement")),
                 other),
              "saved for the new endpoint:\n%s", text);
    cJSON_Delete(doc);
    assert_placement_holds_the_host();
}

Test(service, a_restart_notices_what_moved_in_placement_meanwhile)
{
    _cleanup_free_ char *gpu = NULL, *path = NULL, *resp = NULL;
    cJSON *invs;
    long status = 0, gen;

    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc), "the first pass");
    service_free(svc);
    svc = NULL;
    gpu = gpu_3e_uuid();
    path = xasprintf("/resource_providers/%s/inventories", gpu);
    invs = placement_server_get_json(srv, path);
    gen = (long)cJSON_GetNumberValue(
        cJSON_GetObjectItem(invs, "resource_provider_generation"));
    cJSON_Delete(invs);
    resp = xasprintf("{\"resource_provider_generation\": %ld, "
                     "\"inventories\": {\"VGPU\": {\"total\": 1}}}",
                     gen);
    free(placement_server_call(srv, "PUT", path, resp, &status));
    cr_assert(eq(long, status, 200), "the inventory changed behind the agent");
    start_service();
    cr_assert(service_pass(svc), "the first pass after the restart");
    assert_placement_holds_the_host();
}

Test(service, a_restart_against_another_placement_reads_it_in_full)
{
    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc), "the first pass");
    service_free(svc);
    svc = NULL;
    placement_server_stop(srv);
    srv = placement_server_start(); /* empty: the state file's root is not
                                     * there */
    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc), "the first pass after the restart");
    assert_placement_holds_the_host();
}

/* With reconcile on, what a restart reads of the claims is only what
 * moved: the claims state file (state_dir/claims-state.json) holds the
 * rest. */
Test(service, a_restart_with_reconcile_on_costs_at_most_2_requests)
{
    _cleanup_free_ char *rp = NULL;
    _cleanup_free_ char *state = agentenv_path(&env, "state/claims-state.json");
    struct stat st;

    agentenv_live(&env, "hosts/m60.yaml");
    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc));
    rp = gpu_3e_uuid();
    claim_one(CONSUMER, rp);
    cr_assert(service_pass(svc), "the pass that makes the claim's mdev");
    cr_assert(eq(dbl, metric(METRICS_PREFIX "gpu_used", "address", GPU_3E), 1));
    cr_assert(eq(int, stat(state, &st), 0), "the claims state is written");
    restart_service();
    cr_assert(service_pass(svc), "the first pass after the restart");
    cr_assert(le(dbl, requests(NULL), 2),
              "the first pass after a restart counted %g requests",
              requests(NULL));
    cr_assert(eq(dbl, metric(METRICS_PREFIX "gpu_used", "address", GPU_3E), 1),
              "the claim is known from the state file");
    cr_assert(
        eq(dbl, metric(METRICS_PREFIX "unsatisfied_claims", NULL, NULL), 0));
}

/* A claim made while the agent was stopped moved its provider's
 * generation: the restarted agent reads it and makes its mdev. */
Test(service, a_claim_made_while_the_agent_was_stopped_is_met_after_a_restart)
{
    _cleanup_free_ char *rp = NULL, *link = NULL;
    char mdev[UUIDSTR_LEN];
    struct stat st;

    agentenv_live(&env, "hosts/m60.yaml");
    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc));
    service_free(svc);
    svc = NULL;
    rp = gpu_3e_uuid();
    claim_one(CONSUMER, rp);
    cr_assert(eq(int, reconcile_uuid(CONSUMER, rp, 0, mdev), 0));
    link = xasprintf("%s/bus/mdev/devices/%s", env.root, mdev);
    start_service();
    cr_assert(service_pass(svc), "the first pass after the restart");
    cr_assert(eq(int, lstat(link, &st), 0), "the claim's mdev %s", mdev);
    cr_assert(eq(dbl, metric(METRICS_PREFIX "gpu_used", "address", GPU_3E), 1));
}
