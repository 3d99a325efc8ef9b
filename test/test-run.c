/*
 * test-run.c - end to end: the `vgpu-agent run` service against the real
 * Placement.
 *
 * Each test starts Debian's Placement (test/placement-server.h) with the
 * fault proxy (test/fault-proxy.h) in front of it, which counts the requests
 * the agent sends and can take Placement "down".  The agent runs in the
 * background (agentenv_start() in test/agentenv.h) with interval_s: 1; the
 * test follows its passes through its log, changes the host, the config or
 * Placement under it, signals it, and reads back what Placement holds with
 * the harness's own HTTP client.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fault-proxy.h"
#include "fixture.h"
#include "placement-server.h"
#include "testproc.h"
#include "testsecrets.h"
#include "xalloc.h"

/* Placement as production runs it (placement-server.h) */
PLACEMENT_SERVER_PREFER(UWSGI);

#define PASS_DONE "pass done: "
#define PASS_MS 15000 /* patience for one pass (sanitizers, loaded CI box) */

static struct placement_server *srv;
static struct fault_proxy *proxy;
static struct agentenv env; /* the m60 host */

static void
setup(void)
{
    srv = placement_server_start();
    proxy = fault_proxy_start(placement_server_url(srv));
    agentenv_init(&env);
    env.patience_ms = PASS_MS;
    agentenv_host(&env, "m60");
}

static void
teardown(void)
{
    agentenv_clear(&env); /* the agent first */
    fault_proxy_stop(proxy);
    placement_server_stop(srv);
    proxy = NULL;
    srv = NULL;
}

TestSuite(run, .init = setup, .fini = teardown);

/* agent.yaml: settings (NULL: test/data/dump/m60.conf.yaml with
 * interval_s) + a placement section pointing at the proxy with token and
 * placement_extra. */
static void
write_conf_settings(const char *settings, unsigned interval_s,
                    const char *token, const char *placement_extra)
{
    _cleanup_free_ char *interval = xasprintf("interval_s: %u\n", interval_s);

    agentenv_write_conf(
        &env, &(struct agentconf){
                  .settings_file = settings ? NULL : "dump/m60.conf.yaml",
                  .settings = settings ? settings : interval,
                  .endpoint = fault_proxy_url(proxy),
                  .token = token,
                  .placement_extra = placement_extra,
              });
}

/* The m60 host with interval_s. */
static void
write_conf(unsigned interval_s, const char *token, const char *placement_extra)
{
    write_conf_settings(NULL, interval_s, token, placement_extra);
}

/* The requests count of the last "pass done: ... N requests" line. */
static unsigned long
last_pass_requests(void)
{
    const char *log = agentproc_err(env.agent), *p = NULL, *q;
    unsigned long n;

    for (q = strstr(log, PASS_DONE); q; q = strstr(q + 1, PASS_DONE))
        p = q;
    cr_assert(p != NULL);
    q = strchr(p, ';');
    cr_assert(q != NULL && sscanf(q, "; %lu requests", &n) == 1, "%s", p);
    return n;
}

/* SIGTERM, then exit 0 within a second. */
static void
assert_stops_on_sigterm(void)
{
    long t0 = testproc_now_ms(), ms;

    agentproc_assert_stops(env.agent); /* exit 0, no sanitizer report */
    ms = testproc_now_ms() - t0;
    cr_assert(lt(long, ms, 1000), "stopped %ld ms after SIGTERM", ms);
    cr_assert(ne(ptr, strstr(agentproc_err(env.agent), "stopping"), NULL), "%s",
              agentproc_err(env.agent));
}

static void
assert_placement_holds(const cJSON *d)
{
    placement_server_assert_tree(srv, d);
}

static char *
root_uuid(const cJSON *d)
{
    return xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(d, "providers"), 0), "uuid")));
}

static unsigned long
received(void)
{
    struct fault_proxy_stats st;

    fault_proxy_stats(proxy, &st);
    return st.received;
}

static unsigned long
faulted(void)
{
    struct fault_proxy_stats st;

    fault_proxy_stats(proxy, &st);
    return st.faulted;
}

Test(run, converges_then_an_unchanged_pass_costs_one_read_and_no_write)
{
    _cleanup_free_ char *uuid = NULL, *before = NULL, *after = NULL;
    cJSON *d;

    write_conf(1, TEST_TOKEN, NULL);
    d = agentenv_dump(&env);
    uuid = root_uuid(d);
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    assert_placement_holds(d);
    cJSON_Delete(d);
    /* the next pass may have started before the check above */
    agentenv_expect_more(&env, PASS_DONE, 1);
    before = placement_server_generations(srv, uuid);
    for (int i = 0; i < 2; i++) {
        unsigned long sent = received();

        agentenv_expect_more(&env, PASS_DONE, 1);
        cr_assert(eq(ulong, last_pass_requests(), 1), "%s",
                  agentproc_err(env.agent));
        cr_assert(eq(ulong, received() - sent, 1),
                  "the proxy saw what the agent counted");
    }
    after = placement_server_generations(srv, uuid);
    cr_assert(eq(str, after, before), "an unchanged pass writes nothing");
    assert_stops_on_sigterm();
}

Test(run, a_gpu_unplugged_while_it_runs_leaves_placement_at_the_next_pass)
{
    _cleanup_free_ char *link =
        xasprintf("%s/class/mdev_bus/0000:3e:00.0", env.root);
    cJSON *d;

    write_conf(1, TEST_TOKEN, NULL);
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    cr_assert(eq(int, unlink(link), 0));
    agentenv_expect(&env, "1 deleted", 1);
    d = agentenv_dump(&env);
    cr_assert(
        eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(d, "providers")), 2),
        "the root and one GPU left");
    assert_placement_holds(d);
    cJSON_Delete(d);
    agentproc_assert_running(env.agent);
    assert_stops_on_sigterm();
}

#define CONSUMER "6f1c2a4e-5b7d-4c8e-9f0a-1b2c3d4e5f60"
#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

/* The provider of GPU 0000:3e:00.0 in dump d. */
static char *
gpu_3e_uuid(const cJSON *d)
{
    const cJSON *p;
    char *uuid = NULL;

    cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "providers"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "name")),
                   "compute-m60_pci_0000_3e_00_0") == 0)
            uuid =
                xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(p, "uuid")));
    cr_assert(uuid != NULL, "no provider for GPU 0000:3e:00.0");
    return uuid;
}

static long
call(const char *method, const char *path, const char *body)
{
    long status = 0;

    free(placement_server_call(srv, method, path, body, &status));
    return status;
}

Test(run, an_unplugged_gpu_with_a_guest_is_drained_then_deleted_when_free)
{
    _cleanup_free_ char *link =
        xasprintf("%s/class/mdev_bus/0000:3e:00.0", env.root);
    _cleanup_free_ char *gpu = NULL, *gpu_path = NULL, *body = NULL;
    _cleanup_free_ char *alloc = xasprintf("/allocations/%s", CONSUMER);
    cJSON *d;

    /* a guest that leaves with DELETE /allocations moves no generation:
     * seen at the next full re-read */
    agentenv_write_conf(&env, &(struct agentconf){
                                  .settings_file = "dump/m60.conf.yaml",
                                  .settings = "interval_s: 1\n"
                                              "full_refresh_s: 4\n",
                                  .endpoint = fault_proxy_url(proxy),
                              });
    d = agentenv_dump(&env);
    gpu = gpu_3e_uuid(d);
    cJSON_Delete(d);
    gpu_path = xasprintf("/resource_providers/%s", gpu);
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": 1}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        gpu, PROJECT, PROJECT);
    cr_assert(eq(long, call("PUT", alloc, body), 204));
    cr_assert(eq(int, unlink(link), 0));
    agentenv_expect(&env, CONSUMER, 1); /* the warning names the guest */
    agentenv_expect_more(&env, PASS_DONE, 1);
    agentenv_expect_more(&env, PASS_DONE, 1); /* drained passes: still there */
    cr_assert(eq(long, call("GET", gpu_path, NULL), 200));
    agentenv_expect_more(&env, "1 requests", 1);
    cr_assert(eq(ulong, last_pass_requests(), 1),
              "a drained provider adds no request to an unchanged pass\n%s",
              agentproc_err(env.agent));
    cr_assert(eq(long, call("DELETE", alloc, NULL), 204));
    agentenv_expect(&env, "1 deleted", 1);
    cr_assert(eq(long, call("GET", gpu_path, NULL), 404));
    d = agentenv_dump(&env);
    assert_placement_holds(d);
    cJSON_Delete(d);
    assert_stops_on_sigterm();
}

Test(run, sigterm_stops_it_within_a_second_even_while_placement_hangs)
{

    write_conf(1, TEST_TOKEN, "  timeout_s: 30\n");
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    fault_proxy_set(proxy, "slow", NULL);
    for (long t0 = testproc_now_ms(); faulted() < 1; testproc_sleep_ms(20))
        cr_assert(lt(long, testproc_now_ms() - t0, PASS_MS),
                  "no request reached the hanging proxy");
    testproc_sleep_ms(200); /* well inside the request */
    assert_stops_on_sigterm();
}

Test(run, sighup_applies_a_valid_new_config)
{
    cJSON *d;

    write_conf(1, TEST_TOKEN, NULL);
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    /* GPU 0000:3e:00.0 switches from nvidia-18 to nvidia-12 */
    write_conf_settings("node_name: compute-m60\n"
                        "interval_s: 1\n"
                        "mdev_types:\n"
                        "  nvidia-11:\n"
                        "    max_instances: 10\n"
                        "  nvidia-12:\n"
                        "    device_addresses: [\"0000:3e:00.0\"]\n"
                        "  nvidia-18:\n"
                        "    device_addresses: [\"0000:99:00.0\"]\n"
                        "    traits: [CUSTOM_CAD]\n",
                        0, TEST_TOKEN, NULL);
    d = agentenv_dump(&env);
    agentproc_signal(env.agent, SIGHUP);
    agentenv_expect(&env, "configuration reloaded", 1);
    agentenv_expect_more(&env, PASS_DONE, 1);
    assert_placement_holds(d);
    cJSON_Delete(d);
    assert_stops_on_sigterm();
}

Test(run, sighup_with_an_invalid_config_keeps_the_old_one)
{
    unsigned passes;
    cJSON *d;

    write_conf(1, TEST_TOKEN, NULL);
    d = agentenv_dump(&env);
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    write_conf_settings("interval_s: soon\n", 0, TEST_TOKEN, NULL);
    agentproc_signal(env.agent, SIGHUP);
    agentenv_expect(&env, "keeping the old one", 1);
    cr_assert(ne(ptr, strstr(agentproc_err(env.agent), env.conf), NULL),
              "the error names the file:\n%s", agentproc_err(env.agent));
    passes = agentproc_count(env.agent, PASS_DONE);
    agentenv_expect(&env, PASS_DONE, passes + 2);
    cr_assert(eq(ulong, last_pass_requests(), 1),
              "the old config and what it knew are kept:\n%s",
              agentproc_err(env.agent));
    assert_placement_holds(d);
    cJSON_Delete(d);
    assert_stops_on_sigterm();
}

Test(run, placement_down_at_start_is_retried_with_backoff_then_converges)
{
    unsigned long attempts;
    cJSON *d;

    write_conf(4, TEST_TOKEN, NULL);
    d = agentenv_dump(&env);
    fault_proxy_set(proxy, "down", NULL);
    agentenv_start(&env, NULL);
    /* a pass at 0 s, the first retry within interval_s 4, then waits in
     * [0, 8) s (full jitter): 9 attempts in 4.5 s has odds below 1e-6 */
    testproc_sleep_ms(4500);
    attempts = received();
    cr_assert(ge(ulong, attempts, 2), "%s", agentproc_err(env.agent));
    cr_assert(le(ulong, attempts, 8), "%lu attempts in 4.5 s: no backoff\n%s",
              attempts, agentproc_err(env.agent));
    cr_assert(ge(int, agentproc_count(env.agent, "error: GET /: "), 2), "%s",
              agentproc_err(env.agent));
    agentproc_assert_running(env.agent);
    fault_proxy_set(proxy, "pass", NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    assert_placement_holds(d);
    cJSON_Delete(d);
    assert_stops_on_sigterm();
}

Test(run, a_wrong_token_is_reported_clearly_and_the_service_keeps_going)
{
    const char *log;

    write_conf(1, TEST_WRONG_TOKEN, NULL);
    agentenv_start(&env, NULL);
    agentenv_expect(&env, "403", 2);
    agentproc_assert_running(env.agent);
    log = agentproc_err(env.agent);
    cr_assert(
        ne(ptr, strstr(log, "error: GET /resource_providers?name="), NULL),
        "the request is named:\n%s", log);
    cr_assert(ne(ptr, strstr(log, "is the token right?"), NULL), "%s", log);
    cr_assert(eq(ptr, strstr(log, TEST_WRONG_TOKEN), NULL),
              "the token is never printed:\n%s", log);
    assert_stops_on_sigterm();
}

Test(run, a_second_agent_on_the_same_host_refuses_to_run)
{
    struct agentrun second = { 0 };

    write_conf(1, TEST_TOKEN, NULL);
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    agentenv_run(&env, &second, (const char *const[]){ "run", NULL });
    cr_assert(eq(int, second.status, 1), "%s", second.err);
    cr_assert(ne(ptr, strstr(second.err, "another vgpu-agent (pid "), NULL),
              "%s", second.err);
    cr_assert(ne(ptr, strstr(second.err, "/lock"), NULL), "names the lock");
    agentrun_clear(&second);
    assert_stops_on_sigterm();
}
