/*
 * test-service.c - the service layer in-process, against the real
 * Placement.
 *
 * No agent binary here: each test calls the library as the commands do
 * (service.h for `run`, session.h and pass.h for `sync`, hostplan.h for
 * `reconcile` and `mdevs`) on a sample host, then reads back what
 * Placement holds with the harness's own HTTP client
 * (test/placement-server.h), what the metrics file says, and what the
 * fake kernel holds.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fixture.h"
#include "hostplan.h"
#include "metrics.h"
#include "output.h"
#include "pass.h"
#include "placement-server.h"
#include "service.h"
#include "session.h"
#include "testsecrets.h"
#include "xalloc.h"

#define CONSUMER "6f1c2a4e-5b7d-4c8e-9f0a-1b2c3d4e5f60"
#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define GPU_3E "0000:3e:00.0"
#define REQUESTS METRICS_PREFIX "placement_requests_total"

static struct placement_server *srv;
static struct service *svc;
static struct agentenv env; /* agent.yaml, the lock, the metrics file; m60 */

static void
setup(void)
{
    srv = placement_server_start();
    agentenv_init(&env);
    agentenv_host(&env, "m60");
}

static void
teardown(void)
{
    service_free(svc);
    svc = NULL;
    placement_server_stop(srv);
    srv = NULL;
    agentenv_clear(&env);
}

TestSuite(service, .init = setup, .fini = teardown);

/* agent.yaml: the m60 sample host's settings (nvidia-18 on GPU 3e with
 * traits), a metrics file in env's directory, extra lines, libvirt_uri, a
 * lock, and a placement section (none when endpoint is NULL). */
static void
write_conf(const char *traits, const char *uri, const char *extra,
           const char *endpoint)
{
    _cleanup_free_ char *metrics = agentenv_path(&env, "agent.prom");
    _cleanup_free_ char *settings =
        xasprintf("node_name: compute-m60\n"
                  "enabled_mdev_types: [nvidia-18, nvidia-11]\n"
                  "mdev_types:\n"
                  "  nvidia-18:\n"
                  "    device_addresses: [\"" GPU_3E "\"]\n"
                  "    traits: [%s]\n"
                  "  nvidia-11:\n"
                  "    max_instances: 10\n"
                  "interval_s: 60\nmetrics_file: %s\n%s",
                  traits, metrics, extra ? extra : "");

    agentenv_write_conf(&env, &(struct agentconf){
                                  .settings = settings,
                                  .libvirt_uri = uri,
                                  .endpoint = endpoint,
                              });
}

/* write_conf() with no guests in libvirt and the test's Placement. */
static void
write_m60_conf(const char *traits)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");

    write_conf(traits, uri, NULL, placement_server_url(srv));
}

/* The global options a command would get: -c agent.yaml --sysfs-root. */
static struct hostload_opts
opts(void)
{
    return (struct hostload_opts){ .conf_path = env.conf,
                                   .conf_explicit = true,
                                   .sysfs_root = env.root };
}

static void
start_service(void)
{
    struct hostload_opts o = opts();

    cr_assert(eq(int, service_start(&o, 0, &svc), 0));
}

/* What `dump --format json` prints for the current agent.yaml. */
static cJSON *
dump(void)
{
    struct hostload_opts o = opts();
    struct hostload h = { 0 };
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    cJSON *j;

    cr_assert(mem != NULL);
    cr_assert(eq(int, hostload_open(&o, &h), 0));
    cr_assert(eq(int, output_write(h.tree, OUTPUT_JSON, mem), 0));
    cr_assert(eq(int, fclose(mem), 0));
    hostload_clear(&h);
    j = cJSON_Parse(text);
    cr_assert(j != NULL, "%s", text);
    return j;
}

static void
assert_placement_holds_the_host(void)
{
    cJSON *d = dump();

    placement_server_assert_tree(srv, d);
    cJSON_Delete(d);
}

/* The metrics file run writes, parsed. */
static void
load_metrics(struct metrics_file *ret)
{
    _cleanup_free_ char *path = agentenv_path(&env, "agent.prom");
    struct errbuf eb = { 0 };

    cr_assert(eq(int, metrics_load(path, ret, &eb), 0), "%s", eb.msg);
}

/* The value of the sample called name (label = value, when label). */
static double
metric(const char *name, const char *label, const char *value)
{
    struct metrics_file f = { 0 };
    double v = -1;

    load_metrics(&f);
    for (size_t i = 0; i < f.n; i++) {
        const char *l = label ? metrics_label(&f.v[i], label) : NULL;

        if (strcmp(f.v[i].name, name) == 0 &&
            (!label || (l && strcmp(l, value) == 0))) {
            v = f.v[i].value;
            break;
        }
    }
    metrics_file_clear(&f);
    return v;
}

/* Placement requests in the metrics file with this status ("200",
 * "error"), or all of them (NULL). */
static double
requests(const char *status)
{
    struct metrics_file f = { 0 };
    double sum = 0;

    load_metrics(&f);
    for (size_t i = 0; i < f.n; i++)
        if (strcmp(f.v[i].name, REQUESTS) == 0 &&
            (!status || strcmp(metrics_label(&f.v[i], "status"), status) == 0))
            sum += f.v[i].value;
    metrics_file_clear(&f);
    return sum;
}

/* The Placement UUID of the tree's GPU provider at address. */
static char *
gpu_uuid(const struct hostload *h, const char *address)
{
    const struct tree_provider *gpu = NULL;

    for (size_t i = 1; i < h->tree->n_providers; i++) {
        const struct tree_provider *p = &h->tree->providers[i];

        if (p->device && strcmp(p->device->address, address) == 0)
            gpu = p;
    }
    cr_assert(gpu != NULL, "no provider for %s", address);
    return xstrdup(gpu->uuid);
}

/* consumer takes one VGPU of provider rp, as nova's scheduler would. */
static void
claim_one(const char *consumer, const char *rp)
{
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);
    _cleanup_free_ char *body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": 1}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        rp, PROJECT, PROJECT);
    long status = 0;
    _cleanup_free_ char *resp =
        placement_server_call(srv, "PUT", path, body, &status);

    cr_assert(eq(long, status, 204), "PUT %s: %s", path, resp);
}

Test(service, a_pass_makes_placement_hold_the_tree_and_an_unchanged_one_costs_1)
{
    _cleanup_free_ char *before = NULL, *after = NULL;
    _cleanup_free_ char *root_uuid = NULL;
    struct hostload_opts o;
    struct hostload h = { 0 };
    double first;

    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc), "the first pass");
    assert_placement_holds_the_host();
    o = opts();
    cr_assert(eq(int, hostload_open(&o, &h), 0));
    root_uuid = xstrdup(h.tree->providers[0].uuid);
    hostload_clear(&h);
    before = placement_server_generations(srv, root_uuid);
    first = requests(NULL);
    cr_assert(gt(dbl, first, 2), "the first pass counted %g requests", first);
    cr_assert(eq(dbl, metric(METRICS_PREFIX "passes_total", NULL, NULL), 1));
    cr_assert(service_pass(svc), "the second pass");
    after = placement_server_generations(srv, root_uuid);
    cr_assert(eq(str, after, before), "an unchanged host: nothing written");
    cr_assert(eq(dbl, requests(NULL), first + 1),
              "an unchanged pass costs one request");
    cr_assert(eq(dbl, metric(METRICS_PREFIX "passes_total", NULL, NULL), 2));
    cr_assert(eq(uint, service_failures(svc), 0));
}

/* The root's UUID of the current agent.yaml; caller frees. */
static char *
root_uuid_now(void)
{
    struct hostload_opts o = opts();
    struct hostload h = { 0 };
    char *uuid;

    cr_assert(eq(int, hostload_open(&o, &h), 0));
    uuid = xstrdup(h.tree->providers[0].uuid);
    hostload_clear(&h);
    return uuid;
}

/* Stop the service and start another, as a restart of the agent. */
static void
restart_service(void)
{
    service_free(svc);
    svc = NULL;
    start_service();
}

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

Test(service, a_restart_notices_what_moved_in_placement_meanwhile)
{
    _cleanup_free_ char *gpu = NULL, *path = NULL, *resp = NULL;
    struct hostload_opts o;
    struct hostload h = { 0 };
    cJSON *invs;
    long status = 0, gen;

    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc), "the first pass");
    service_free(svc);
    svc = NULL;
    o = opts();
    cr_assert(eq(int, hostload_open(&o, &h), 0));
    gpu = gpu_uuid(&h, GPU_3E);
    hostload_clear(&h);
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

Test(service,
     placement_down_backs_off_with_full_jitter_and_the_counts_outlive_it)
{
    double wait, ok_200, down;

    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc));
    ok_200 = requests("200");
    placement_server_kill(srv);
    for (unsigned i = 1; i <= 3; i++) {
        cr_assert(service_pass(svc) == false, "pass %u with Placement down", i);
        cr_assert(eq(uint, service_failures(svc), i));
        wait = service_next_wait(svc);
        cr_assert(wait >= 0 && wait < (i == 1 ? 60 : 120),
                  "the backoff after %u failures: %g", i, wait);
    }
    cr_assert(ge(dbl, requests("error"), 3),
              "each failed pass counted its request without a response");
    cr_assert(
        eq(dbl, metric(METRICS_PREFIX "pass_failures_total", NULL, NULL), 3));
    down = requests(NULL);
    placement_server_restart(srv);
    cr_assert(service_pass(svc), "Placement is back");
    cr_assert(eq(dbl, requests(NULL), down + 2),
              "the version and the tree's generations confirm the cache");
    cr_assert(eq(uint, service_failures(svc), 0));
    wait = service_next_wait(svc);
    cr_assert(wait >= 54 && wait <= 66, "the interval with +-10%% jitter: %g",
              wait);
    cr_assert(gt(dbl, requests("200"), ok_200),
              "the new connection's requests add to the old one's");
    assert_placement_holds_the_host();
}

Test(service, a_reload_applies_at_the_next_pass_and_an_invalid_one_is_kept_out)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    cJSON *fast;

    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc));
    write_m60_conf("CUSTOM_CAD, CUSTOM_FAST");
    fast = dump();
    cr_assert(eq(int, service_reload(svc), 0));
    cr_assert(service_pass(svc));
    placement_server_assert_tree(srv, fast);
    write_conf("CUSTOM_CAD", uri, "interval_s: soon\n",
               placement_server_url(srv));
    cr_assert(eq(int, service_reload(svc), -EINVAL));
    cr_assert(service_pass(svc), "the old configuration goes on");
    placement_server_assert_tree(srv, fast);
    cJSON_Delete(fast);
}

Test(service, the_lock_keeps_a_second_service_out_until_the_first_is_freed)
{
    struct hostload_opts o;
    struct service *second = NULL;
    int r;

    write_m60_conf("CUSTOM_CAD");
    start_service();
    o = opts();
    r = service_start(&o, 0, &second);
    cr_assert(lt(int, r, 0), "a second service started");
    cr_assert(ne(int, r, -EINVAL), "not the configuration's fault");
    cr_assert(second == NULL);
    service_free(svc);
    svc = NULL;
    cr_assert(eq(int, service_start(&o, 0, &svc), 0));
}

Test(service, without_placement_in_the_config_the_service_does_not_start)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *lock = NULL;
    struct hostload_opts o;
    struct stat st;

    write_conf("CUSTOM_CAD", uri, NULL, NULL);
    o = opts();
    cr_assert(eq(int, service_start(&o, 0, &svc), -EINVAL));
    cr_assert(svc == NULL);
    lock = agentenv_path(&env, "lock");
    cr_assert(ne(int, stat(lock, &st), 0), "the lock was never taken");
}

/* The reconcile step of a pass, on a live fake kernel: a new claim gets
 * its mdev (the deterministic UUID: no guest references one), and the
 * metrics say so. */
Test(service, a_pass_creates_the_mdev_a_new_claim_needs)
{
    _cleanup_free_ char *rp = NULL, *link = NULL;
    char mdev[UUIDSTR_LEN];
    struct hostload_opts o;
    struct hostload h = { 0 };
    struct stat st;

    agentenv_live(&env, "hosts/m60.yaml");
    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc));
    o = opts();
    cr_assert(eq(int, hostload_open(&o, &h), 0));
    rp = gpu_uuid(&h, GPU_3E);
    hostload_clear(&h);
    claim_one(CONSUMER, rp);
    cr_assert(eq(int, reconcile_uuid(CONSUMER, rp, 0, mdev), 0));
    link = xasprintf("%s/bus/mdev/devices/%s", env.root, mdev);
    cr_assert(ne(int, lstat(link, &st), 0), "no mdev before the pass");
    cr_assert(service_pass(svc));
    cr_assert(eq(int, lstat(link, &st), 0), "the claim's mdev %s", mdev);
    cr_assert(
        eq(dbl, metric(METRICS_PREFIX "mdevs_created_total", NULL, NULL), 1));
    cr_assert(eq(dbl, metric(METRICS_PREFIX "gpu_used", "address", GPU_3E), 1));
    cr_assert(service_pass(svc), "the next pass leaves it");
    cr_assert(
        eq(dbl, metric(METRICS_PREFIX "mdevs_created_total", NULL, NULL), 1));
}

/* The UUID of GPU_3E's provider, as the current agent.yaml makes it. */
static char *
gpu_3e_uuid(void)
{
    struct hostload_opts o = opts();
    struct hostload h = { 0 };
    char *rp;

    cr_assert(eq(int, hostload_open(&o, &h), 0));
    rp = gpu_uuid(&h, GPU_3E);
    hostload_clear(&h);
    return rp;
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

TestSuite(session, .init = setup, .fini = teardown);

/* Requests in a table of counts. */
static unsigned long
counted(const struct placement_counts *c)
{
    unsigned long n = 0;

    for (size_t i = 0; i < c->n; i++)
        n += c->v[i].n;
    return n;
}

/* What `sync` does: a host, a session, one sync; then a second connection
 * of the same session. */
Test(session, a_sync_counts_every_request_and_a_reconnect_adds_to_them)
{
    _cleanup_(sync_cache_freep) struct sync_cache *cache = sync_cache_new();
    _cleanup_(session_freep) struct session *s = session_new();
    struct hostload_opts o;
    struct hostload h = { 0 };
    unsigned long first;

    write_m60_conf("CUSTOM_CAD");
    o = opts();
    cr_assert(eq(int, hostload_open(&o, &h), 0));
    cr_assert(eq(int, session_open(s, &h), 0));
    cr_assert(eq(int, pass_sync(s, &h, cache, 0, LOG_INFO), 0));
    assert_placement_holds_the_host();
    first = counted(session_counts(s));
    cr_assert(eq(ulong, first, placement_requests(session_placement(s))),
              "GET / included");
    session_close(s);
    cr_assert(session_placement(s) == NULL);
    cr_assert(eq(int, session_open(s, &h), 0));
    cr_assert(eq(int, pass_sync(s, &h, cache, 0, LOG_INFO), 0));
    cr_assert(eq(ulong, counted(session_counts(s)),
                 first + placement_requests(session_placement(s))),
              "the counts outlive the first connection");
    hostload_clear(&h);
}

Test(session, without_an_endpoint_or_keystone_it_does_not_open)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_(session_freep) struct session *s = session_new();
    struct hostload_opts o;
    struct hostload h = { 0 };

    write_conf("CUSTOM_CAD", uri, NULL, NULL);
    o = opts();
    cr_assert(eq(int, hostload_open(&o, &h), 0));
    cr_assert(session_configured(&h) == false);
    cr_assert(eq(int, session_open(s, &h), -EINVAL));
    cr_assert(session_placement(s) == NULL);
    hostload_clear(&h);
}

TestSuite(hostplan, .init = setup, .fini = teardown);

/* What `mdevs` and `reconcile --dry-run` start from, with libvirt out of
 * reach: the claim is planned with its deterministic UUID, nothing is
 * an orphan, and a dry run only plans. */
Test(hostplan, a_claim_is_planned_with_its_deterministic_uuid_without_libvirt)
{
    struct hostplan hp = { 0 };
    struct reconcile_report rep = { 0 };
    struct hostload_opts o;
    _cleanup_free_ char *rp = NULL;
    char mdev[UUIDSTR_LEN];

    write_conf("CUSTOM_CAD", "test:///nonexistent/node.xml", NULL,
               placement_server_url(srv));
    start_service();
    cr_assert(service_pass(svc));
    o = opts();
    cr_assert(eq(int, hostplan_load(&o, &hp), 0));
    rp = gpu_uuid(&hp.host, GPU_3E);
    cr_assert(eq(sz, hp.n_claims, 0));
    hostplan_clear(&hp);
    claim_one(CONSUMER, rp);
    cr_assert(eq(int, hostplan_load(&o, &hp), 0));
    cr_assert(eq(sz, hp.n_claims, 1));
    hostplan_make(&hp, HOSTPLAN_NEED_UUIDS);
    cr_assert(hp.guests == NULL, "libvirt is out of reach");
    cr_assert(eq(int, reconcile_uuid(CONSUMER, rp, 0, mdev), 0));
    cr_assert(eq(sz, hp.plan->n_create, 1));
    cr_assert(eq(str, hp.plan->create[0].uuid, mdev));
    cr_assert(eq(str, hp.plan->create[0].consumer, CONSUMER));
    cr_assert(eq(sz, hp.plan->n_orphans, 0));
    cr_assert(eq(int,
                 hostplan_act(&hp.host, hp.guests, hp.claims, hp.n_claims, true,
                              false, &hp.plan, &rep),
                 0));
    cr_assert(ge(sz, rep.n, 1));
    for (size_t i = 0; i < rep.n; i++)
        cr_assert(eq(int, rep.v[i].result, RECONCILE_PLANNED), "%s %s",
                  reconcile_verb_name(rep.v[i].action), rep.v[i].uuid);
    reconcile_report_clear(&rep);
    hostplan_clear(&hp);
}
