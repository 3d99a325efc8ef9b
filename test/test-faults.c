/*
 * test-faults.c - end to end: `vgpu-agent sync` when Placement misbehaves.
 *
 * Each test starts Debian's Placement (test/placement-server.h) and the
 * fault proxy (test/fault-proxy.h) in front of it, points the agent at the
 * proxy and breaks requests the way a network or a sick server does.  The
 * agent must fail cleanly (exit 1, a message naming the request, never a
 * crash), get through a genuine 409, and converge once the fault is gone.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
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

static struct placement_server *srv;
static struct fault_proxy *proxy;
static struct agentenv env; /* agent.yaml; the m60 host */
static struct agentrun run;

static void
setup(void)
{
    srv = placement_server_start();
    proxy = fault_proxy_start(placement_server_url(srv));
    agentenv_init(&env);
    agentenv_host(&env, "m60");
}

static void
teardown(void)
{
    agentrun_clear(&run);
    fault_proxy_stop(proxy);
    placement_server_stop(srv);
    proxy = NULL;
    srv = NULL;
    agentenv_clear(&env);
}

TestSuite(faults, .init = setup, .fini = teardown);

/* agent.yaml = test/data/dump/m60.conf.yaml + a placement section pointing
 * at the proxy, with placement_extra ("  timeout_s: 1\n") in it. */
static void
write_conf(const char *placement_extra)
{
    agentenv_write_conf(&env, &(struct agentconf){
                                  .settings_file = "dump/m60.conf.yaml",
                                  .endpoint = fault_proxy_url(proxy),
                                  .placement_extra = placement_extra,
                              });
}

static void
agent(const char *command)
{
    agentenv_run(&env, &run, (const char *const[]){ "-v", command, NULL });
}

/* A sanitizer that found something also exits 1: read what it printed. */
static void
assert_no_crash(const char *what)
{
    agentrun_assert_sane(&run, what);
}

static void
assert_sync_fails_with(const char *what, const char *const *needles)
{
    agent("sync");
    assert_no_crash(what);
    cr_assert(eq(int, run.status, 1), "%s: sync exit status; stderr:\n%s", what,
              run.err);
    for (size_t i = 0; needles[i]; i++)
        cr_assert(ne(ptr, strstr(run.err, needles[i]), NULL),
                  "%s: the message names '%s'; stderr:\n%s", what, needles[i],
                  run.err);
}

/* --- reading back what Placement holds (the proxy's upstream) ------------ */

/* Placement (read directly, not through the proxy) holds what dump says. */
static void
assert_placement_holds_dump(void)
{
    agentenv_assert_placement_holds(&env, srv);
}

static void
assert_sync_converges(const char *what)
{
    agent("sync");
    assert_no_crash(what);
    cr_assert(eq(int, run.status, 0), "%s: sync: %s", what, run.err);
    assert_placement_holds_dump();
}

/* --- the cases ----------------------------------------------------------- */

/* Set a GPU provider's VGPU total in Placement behind the agent's back, so
 * that the next sync PUTs its inventory (a first sync's new providers get
 * theirs in one POST /reshaper instead). */
static void
shrink_a_gpu(void)
{
    cJSON *rps = placement_server_get_json(srv, "/resource_providers");
    const cJSON *rp;
    _cleanup_free_ char *path = NULL, *body = NULL;
    long status = 0;

    cJSON_ArrayForEach(rp, cJSON_GetObjectItem(rps, "resource_providers")) {
        const char *name =
            cJSON_GetStringValue(cJSON_GetObjectItem(rp, "name"));

        if (name && strstr(name, "_pci_")) {
            path = xasprintf(
                "/resource_providers/%s/inventories",
                cJSON_GetStringValue(cJSON_GetObjectItem(rp, "uuid")));
            body = xasprintf(
                "{\"resource_provider_generation\": %d, \"inventories\": "
                "{\"VGPU\": {\"total\": 1}}}",
                (int)cJSON_GetNumberValue(
                    cJSON_GetObjectItem(rp, "generation")));
            break;
        }
    }
    cJSON_Delete(rps);
    cr_assert(path != NULL, "no GPU provider in Placement");
    free(placement_server_call(srv, "PUT", path, body, &status));
    cr_assert(eq(long, status, 200), "PUT %s", path);
}

Test(faults, a_409_from_a_concurrent_claim_is_retried_and_sync_converges)
{
    _cleanup_free_ char *log = NULL;

    write_conf(NULL);
    assert_sync_converges("a clean first sync");
    shrink_a_gpu();
    fault_proxy_set(proxy, "bump409", NULL);
    assert_sync_converges("bump409");
    log = fault_proxy_log(proxy);
    cr_assert(ne(ptr, strstr(log, "/aggregates: 200) 409"), NULL),
              "the proxy bumped a generation and the PUT got a 409:\n%s", log);
    cr_assert(ne(ptr, strstr(run.err, "409"), NULL),
              "-v tells of the conflict and the retry:\n%s", run.err);
}

struct fault_case {
    char mode[16];
    char match[32];   /* "": every request */
    bool converged;   /* a clean sync first, so the faulted one reads */
    char want[3][64]; /* what the message must name */
};

ParameterizedTestParameters(faults, a_broken_answer_fails_the_sync_cleanly)
{
    static struct fault_case cases[] = {
        { "status500", "", false, { "GET /: 500", "injected failure" } },
        { "status500",
          "/inventories",
          true,
          { "GET /resource_providers/", "/inventories: 500",
            "placement.fault_proxy" } },
        { "503retry",
          "/resource_providers",
          false,
          { "GET /resource_providers?name=compute-m60: 503" } },
        { "malformed", "", false, { "GET /: ", "not a JSON object" } },
        { "malformed",
          "/inventories",
          true,
          { "GET /resource_providers/", "/inventories: " } },
        { "wrongshape",
          "/resource_providers",
          false,
          { "GET /resource_providers?name=compute-m60: bad response" } },
        { "wrongshape",
          "/traits",
          true,
          { "GET /resource_providers/", "/traits: bad response" } },
        { "huge", "", false, { "GET /: response larger than" } },
        { "huge",
          "/inventories",
          true,
          { "GET /resource_providers/", "/inventories: response larger" } },
        { "down", "", false, { "GET /: " } },
    };
    return cr_make_param_array(struct fault_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct fault_case *c, faults,
                  a_broken_answer_fails_the_sync_cleanly)
{
    const char *needles[4] = { NULL, NULL, NULL, NULL };
    _cleanup_free_ char *what =
        xasprintf("%s%s%s", c->mode, c->match[0] ? " " : "", c->match);

    for (size_t i = 0; i < 3 && c->want[i][0]; i++)
        needles[i] = c->want[i];
    write_conf(NULL);
    if (c->converged)
        assert_sync_converges("clean sync first");
    fault_proxy_set(proxy, c->mode, c->match[0] ? c->match : NULL);
    assert_sync_fails_with(what, needles);
    fault_proxy_set(proxy, "pass", NULL);
    assert_sync_converges(what);
}

Test(faults, a_placement_that_never_answers_times_out_after_timeout_s)
{
    long t0, ms;

    write_conf("  timeout_s: 1\n");
    assert_sync_converges("clean sync first");
    fault_proxy_set(proxy, "slow", "/inventories");
    t0 = testproc_now_ms();
    assert_sync_fails_with(
        "slow", (const char *const[]){ "GET /resource_providers/",
                                       "/inventories: ", "timed out", NULL });
    ms = testproc_now_ms() - t0;
    cr_assert(lt(long, ms, 4000), "sync gave up after %ld ms", ms);
    fault_proxy_set(proxy, "pass", NULL);
    assert_sync_converges("slow");
}
