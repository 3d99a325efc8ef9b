/*
 * test-tls.c - the agent against a real TLS endpoint.
 *
 * stunnel4 (test/tls-proxy.h) terminates TLS in front of the real Placement
 * with a certificate from a CA the test just made.  `sync` must go through
 * with that CA as placement.cacert, and be refused with another CA, with
 * the system's bundle, or with a certificate for another host name; with
 * `insecure: true` it goes through and says, at every start, that nothing
 * is verified.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fixture.h"
#include "placement-server.h"
#include "testsecrets.h"
#include "tls-proxy.h"
#include "xalloc.h"

#define INSECURE_WARNING                                                       \
    "warning: placement.insecure: TLS certificates are NOT verified"
#define PASS_DONE "pass done: "
#define WAIT_MS 15000 /* patience for one pass (sanitizers, loaded CI box) */

static struct placement_server *srv;
static struct tls_proxy *tls;
static struct agentenv env; /* agent.yaml and the lock; the m60 host */
static struct agentrun run;

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
    agentrun_clear(&run);
    tls_proxy_stop(tls);
    placement_server_stop(srv);
    tls = NULL;
    srv = NULL;
    agentenv_clear(&env);
}

TestSuite(tls, .init = setup, .fini = teardown);

/* stunnel in front of the test's Placement, certificate for san. */
static void
start_tls(const char *san)
{
    tls = tls_proxy_start(placement_server_url(srv), san);
}

/* agent.yaml: the m60 host, a lock, the placement section at the TLS
 * endpoint plus extra lines of it. */
static void
write_conf(const char *placement_extra)
{
    agentenv_write_conf(&env, &(struct agentconf){
                                  .settings_file = "dump/m60.conf.yaml",
                                  .settings = "interval_s: 1\n",
                                  .endpoint = tls_proxy_url(tls),
                                  .placement_extra = placement_extra,
                              });
}

/* placement_extra setting cacert to ca. */
static char *
cacert(const char *ca)
{
    return xasprintf("  cacert: %s\n", ca);
}

static void
agent_sync(void)
{
    agentenv_run(&env, &run, (const char *const[]){ "-v", "sync", NULL });
}

/* Placement (read past TLS) holds what `dump` prints. */
static void
assert_placement_holds_the_tree(void)
{
    agentenv_assert_placement_holds(&env, srv);
}

/* sync failed with status 1, naming a request and an untrusted
 * certificate of the TLS endpoint, and Placement holds nothing. */
static void
assert_refused_as_untrusted(const char *bundle)
{
    const char *authority = tls_proxy_url(tls) + strlen("https://");
    _cleanup_free_ char *want =
        xasprintf(": TLS certificate of %s not trusted (CA bundle: %s",
                  authority, bundle);
    long status = 0;
    _cleanup_free_ char *rps =
        placement_server_get(srv, "/resource_providers", &status);

    cr_assert(eq(int, run.status, 1), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, "error: GET /"), NULL),
              "the request is named:\n%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, want), NULL), "want '%s' in:\n%s", want,
              run.err);
    cr_assert(eq(ptr, strstr(run.err, INSECURE_WARNING), NULL), "%s", run.err);
    cr_assert(eq(long, status, 200));
    cr_assert(ne(ptr, strstr(rps, "\"resource_providers\": []"), NULL),
              "nothing went through: %s", rps);
}

Test(tls, sync_with_the_right_ca_succeeds)
{
    _cleanup_free_ char *extra = NULL;

    start_tls("IP:127.0.0.1");
    extra = cacert(tls_proxy_ca(tls));
    write_conf(extra);
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(eq(ptr, strstr(run.err, INSECURE_WARNING), NULL), "%s", run.err);
    assert_placement_holds_the_tree();
}

Test(tls, a_certificate_from_another_ca_is_refused_and_named)
{
    _cleanup_free_ char *extra = NULL;

    start_tls("IP:127.0.0.1");
    extra = cacert(tls_proxy_other_ca(tls));
    write_conf(extra);
    agent_sync();
    assert_refused_as_untrusted(tls_proxy_other_ca(tls));
    cr_assert(ne(ptr, strstr(run.err, "placement.cacert"), NULL), "%s",
              run.err);
}

Test(tls, without_cacert_the_system_bundle_does_not_trust_a_test_ca)
{
    start_tls("IP:127.0.0.1");
    write_conf("");
    agent_sync();
    assert_refused_as_untrusted("the system's");
}

Test(tls, a_certificate_for_another_host_name_is_refused)
{
    _cleanup_free_ char *extra = NULL;

    start_tls("DNS:elsewhere.invalid");
    extra = cacert(tls_proxy_ca(tls));
    write_conf(extra);
    agent_sync();
    assert_refused_as_untrusted(tls_proxy_ca(tls));
    cr_assert(ne(ptr, strstr(run.err, "127.0.0.1"), NULL), "%s", run.err);
}

Test(tls, a_missing_ca_bundle_is_named)
{
    _cleanup_free_ char *missing = agentenv_path(&env, "no-such-ca.pem");
    _cleanup_free_ char *extra = NULL;
    _cleanup_free_ char *want = NULL;

    start_tls("IP:127.0.0.1");
    extra = cacert(missing);
    write_conf(extra);
    agent_sync();
    want = xasprintf("cannot use the CA bundle %s (placement.cacert)", missing);
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, want), NULL), "want '%s' in:\n%s", want,
              run.err);
}

Test(tls, insecure_skips_verification_and_says_so)
{
    start_tls("DNS:elsewhere.invalid"); /* wrong name, unknown CA */
    write_conf("  insecure: true\n");
    agent_sync();
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, INSECURE_WARNING), NULL), "%s", run.err);
    assert_placement_holds_the_tree();
}

Test(tls, run_warns_about_insecure_at_every_start)
{
    struct agentproc *agent; /* env's, stopped with it */

    start_tls("IP:127.0.0.1");
    write_conf("  insecure: true\n");
    agent = agentenv_start(&env, NULL);
    cr_assert(agentproc_wait_for(agent, PASS_DONE, 1, WAIT_MS), "%s",
              agentproc_err(agent));
    cr_assert(eq(u32, agentproc_count(agent, INSECURE_WARNING), 1), "%s",
              agentproc_err(agent));
    /* a reload reconnects: the warning comes again, before the next pass */
    agentproc_signal(agent, SIGHUP);
    cr_assert(agentproc_wait_for(agent, INSECURE_WARNING, 2, WAIT_MS), "%s",
              agentproc_err(agent));
    agentproc_signal(agent, SIGTERM);
    cr_assert(eq(int, agentproc_wait(agent, WAIT_MS), 0), "%s",
              agentproc_err(agent));
}
