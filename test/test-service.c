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
#include "servicetest.h"
#include "session.h"
#include "testsecrets.h"
#include "xalloc.h"

TestSuite(service, .init = servicetest_setup, .fini = servicetest_teardown);

Test(service, a_pass_makes_placement_hold_the_tree_and_an_unchanged_one_costs_1)
{
    _cleanup_free_ char *before = NULL, *after = NULL;
    _cleanup_free_ char *root_uuid = NULL;
    double first;

    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc), "the first pass");
    assert_placement_holds_the_host();
    root_uuid = root_uuid_now();
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
    struct stat st;

    agentenv_live(&env, "hosts/m60.yaml");
    write_m60_conf("CUSTOM_CAD");
    start_service();
    cr_assert(service_pass(svc));
    rp = gpu_3e_uuid();
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

TestSuite(session, .init = servicetest_setup, .fini = servicetest_teardown);

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

TestSuite(hostplan, .init = servicetest_setup, .fini = servicetest_teardown);

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
