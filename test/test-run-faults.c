/*
 * test-run-faults.c - end to end: what the `vgpu-agent run` service must
 * survive from Placement and from itself, with every part real.
 *
 * Placement killed in the middle of a pass and restarted on the same port
 * and database; another writer bumping the providers' generations for ten
 * seconds; --passes and --interval; a thousand passes without a leak.
 * Each test runs Debian's Placement (test/placement-server.h), the m60
 * sample host (test/fixture.h), the libvirt test driver for the guests,
 * and the built agent (test/agentenv.h), and reads back what Placement
 * holds with the harness's own client.  The binary has two sources
 * (test/testrunfaults.h): what the host does under the service is in
 * test-run-host.c.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fault-proxy.h"
#include "fixture.h"
#include "placement-server.h"
#include "sync.h"
#include "testproc.h"
#include "testrunfaults.h"
#include "testsecrets.h"
#include "xalloc.h"

/* Placement as production runs it (placement-server.h) */
PLACEMENT_SERVER_PREFER(UWSGI);

struct placement_server *srv;
struct fault_proxy *proxy;
struct agentenv env;
struct testproc_thread busy;

/* The 409 storm's count of generations it moved. */
static atomic_ulong storm_bumps;

static void
setup(void)
{
    srv = placement_server_start();
    agentenv_init(&env);
    env.patience_ms = WAIT_MS;
}

/* Runs even when an assertion failed: every process and thread stops. */
static void
teardown(void)
{
    testproc_thread_stop(&busy);
    agentenv_clear(&env); /* the agent first */
    fault_proxy_stop(proxy);
    proxy = NULL;
    placement_server_stop(srv);
    srv = NULL;
}

TestSuite(run_faults, .init = setup, .fini = teardown);

/* --- helpers ------------------------------------------------------------ */

void
write_conf_settings(const char *settings, const char *extra, const char *uri,
                    const char *reconcile_extra, const char *endpoint)
{
    _cleanup_free_ char *top =
        xasprintf("%s%s", settings ? settings : "", extra ? extra : "");

    agentenv_write_conf(
        &env, &(struct agentconf){
                  .settings_file = settings ? NULL : "dump/m60.conf.yaml",
                  .settings = top,
                  .libvirt_uri = uri,
                  .reconcile = true,
                  .reconcile_extra = reconcile_extra,
                  .endpoint = endpoint,
              });
}

void
write_conf(const char *extra, const char *uri, const char *reconcile_extra,
           const char *endpoint)
{
    write_conf_settings(NULL, extra, uri, reconcile_extra, endpoint);
}

void
assert_placement_holds_dump(void)
{
    agentenv_assert_placement_holds(&env, srv);
}

/* --- 1,000 passes: no leak, flat RSS ------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define RSS_GROWTH_MAX_KB 1024L
#define PASSES_DEFAULT 1000UL

/* VmRSS of pid in kB. */
static long
rss_kb(int pid)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/status", pid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char line[256];
    long kb = -1;

    cr_assert(f != NULL, "%s: %s", path, strerror(errno));
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    cr_assert(gt(long, kb, 0), "%s: no VmRSS", path);
    return kb;
}

/* $VGPU_TEST_PASSES, or the 1,000 CI runs. */
static unsigned long
pass_count(void)
{
    const char *var = getenv("VGPU_TEST_PASSES");
    char *end;
    unsigned long n;

    if (!var || !*var)
        return PASSES_DEFAULT;
    n = strtoul(var, &end, 10);
    cr_assert(end[0] == 0 && n >= 200, "VGPU_TEST_PASSES=%s: >= 200", var);
    return n;
}

/* 1,000 passes at --interval 0.01 on the m60 host against the real
 * Placement, reconcile included (libvirt's test driver, no guests).  VmRSS
 * after 100 passes and near the end may differ by less than 1 MiB; a leak
 * of a few hundred bytes a pass shows.  Under ASan the allocator's
 * quarantine would grow RSS by itself, so the child runs with
 * quarantine_size_mb=0, and LeakSanitizer checks every allocation at its
 * exit (status 0 required, no report in its log). */
Test(run_faults, a_thousand_short_passes_leak_nothing_and_keep_rss_flat,
     .timeout = 600)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    unsigned long n = pass_count();
    _cleanup_free_ char *n_arg = xasprintf("%lu", n);
    _cleanup_free_ char *stopping = xasprintf("%lu passes: stopping", n);
    long t0 = testproc_now_ms(), rss_early, rss_late;
    int pid, status;

#ifdef UNDER_ASAN
    setenv("ASAN_OPTIONS",
           "quarantine_size_mb=0:thread_local_quarantine_size_kb=0", 1);
#endif
    agentenv_host(&env, "m60");
    write_conf(NULL, uri, NULL, placement_server_url(srv));
    agentenv_start(&env, (const char *const[]){ "--interval", "0.01",
                                                "--passes", n_arg, NULL });
    pid = agentproc_pid(env.agent);
    agentenv_expect(&env, PASS_DONE, 100);
    rss_early = rss_kb(pid);
    cr_assert(agentproc_wait_for(env.agent, PASS_DONE, (unsigned)(n - n / 20),
                                 (long)n * 200),
              "%s", agentproc_err(env.agent));
    rss_late = rss_kb(pid);
    status = agentproc_wait(env.agent, WAIT_MS);
    fprintf(stderr,
            "run_faults: %lu passes in %ld ms; VmRSS %ld kB after 100, "
            "%ld kB after %lu\n",
            n, testproc_now_ms() - t0, rss_early, rss_late, n - n / 20);
    cr_assert(eq(int, status, 0), "--passes %lu: exit status\n%s", n,
              agentproc_err(env.agent));
    agentproc_assert_sane(env.agent);
    cr_assert(eq(u32, agentproc_count(env.agent, PASS_DONE), (unsigned)n),
              "every pass succeeded");
    cr_assert(ne(ptr, strstr(agentproc_err(env.agent), stopping), NULL), "%s",
              agentproc_err(env.agent));
    cr_assert(le(long, rss_late - rss_early, RSS_GROWTH_MAX_KB),
              "VmRSS grew from %ld to %ld kB over %lu passes", rss_early,
              rss_late, n - n / 20 - 100);
    assert_placement_holds_dump();
}

/* --- Placement killed mid-pass ------------------------------------------ */

/* Occurrences of needle in Placement's log. */
static unsigned
server_log_count(const char *needle)
{
    _cleanup_free_ char *log = placement_server_log(srv);
    unsigned n = 0;

    for (const char *p = strstr(log, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Placement's request log names each write: "POST /resource_providers"
 * is a provider created.  The proxy delays every request by 0.3 s, so the
 * first pass (about 12 requests) is still going when the second provider
 * (the first GPU) has been created but not yet given inventory or traits:
 * Placement dies then, with a provider half-written. */
Test(run_faults, placement_killed_mid_pass_and_restarted_is_converged_on)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    long deadline;
    unsigned incomplete;

    agentenv_host(&env, "m60");
    proxy = fault_proxy_start(placement_server_url(srv));
    fault_proxy_set(proxy, "delay", NULL);
    write_conf("interval_s: 1\n", uri, NULL, fault_proxy_url(proxy));
    agentenv_start(&env, NULL);
    deadline = testproc_now_ms() + WAIT_MS;
    while (server_log_count("POST /resource_providers") < 2) {
        _cleanup_free_ char *log = placement_server_log(srv);

        cr_assert(lt(long, testproc_now_ms(), deadline),
                  "no second provider created; Placement's log:\n%s\n"
                  "agent:\n%s",
                  log, agentproc_err(env.agent));
        testproc_sleep_ms(5);
    }
    placement_server_kill(srv);
    /* The pass Placement died under may already have ended, incomplete, by
     * the time the log is read; none may have ended done. */
    cr_assert(eq(u32, agentproc_count(env.agent, PASS_DONE), 0),
              "killed mid-pass, not after one:\n%s", agentproc_err(env.agent));
    fault_proxy_set(proxy, "pass", NULL);
    testproc_sleep_ms(5000);
    incomplete = agentproc_count(env.agent, "error: ");
    cr_assert(gt(u32, incomplete, 0), "the agent saw Placement go:\n%s",
              agentproc_err(env.agent));
    cr_assert(eq(int, agentproc_wait(env.agent, 0), -1),
              "the service stopped:\n%s", agentproc_err(env.agent));
    placement_server_restart(srv);
    agentenv_expect(&env, PASS_DONE, 1);
    agentenv_expect(&env, PASS_DONE, 2);
    assert_placement_holds_dump();
    agentproc_assert_stops(env.agent);
}

/* SIGTERM while a pass waits on a slow Placement: the pass is abandoned,
 * not failed.  No error, no "Placement unreachable" (nothing went wrong with
 * Placement), the stop said at the default level, within a second. */
Test(run_faults, sigterm_mid_pass_abandons_it_without_an_error)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    const char *err;
    long deadline, t0;

    agentenv_host(&env, "m60");
    proxy = fault_proxy_start(placement_server_url(srv));
    fault_proxy_set(proxy, "delay", NULL);
    write_conf("interval_s: 1\n", uri, NULL, fault_proxy_url(proxy));
    agentenv_start(&env, NULL);
    deadline = testproc_now_ms() + WAIT_MS;
    while (server_log_count("POST /resource_providers") < 1) {
        cr_assert(lt(long, testproc_now_ms(), deadline),
                  "no provider made:\n%s", agentproc_err(env.agent));
        testproc_sleep_ms(5);
    }
    t0 = testproc_now_ms();
    agentproc_signal(env.agent, SIGTERM);
    cr_assert(eq(int, agentproc_wait(env.agent, 5000), 0), "%s",
              agentproc_err(env.agent));
    err = agentproc_err(env.agent);
    cr_assert(lt(long, testproc_now_ms() - t0, 1500), "%s", err);
    cr_assert(eq(u32, agentproc_count(env.agent, PASS_DONE), 0),
              "stopped mid-pass, not after one:\n%s", err);
    cr_assert(eq(u32, agentproc_count(env.agent, "error: "), 0), "%s", err);
    cr_assert(eq(u32, agentproc_count(env.agent, "Placement unreachable"), 0),
              "%s", err);
    cr_assert(
        eq(u32, agentproc_count(env.agent, "notice: signal 15: stopping"), 1),
        "%s", err);
}

/* --- a 409 storm ---------------------------------------------------------- */

#define STORM_MS 10000
#define AGGREGATE "5c0ffee0-0000-4000-8000-000000000001"
#define RETRYING "; re-reading and retrying"

/* Another writer: re-PUT each GPU provider's aggregates with its current
 * generation, which moves the generation every time, until told to stop. */
static void *
storm(void *arg)
{
    static const char *const rps[] = { RP_3D, RP_3E };

    (void)arg;
    while (testproc_thread_going(&busy)) {
        for (size_t i = 0; i < 2; i++) {
            _cleanup_free_ char *path =
                xasprintf("/resource_providers/%s", rps[i]);
            _cleanup_free_ char *agg = xasprintf("%s/aggregates", path);
            _cleanup_free_ char *body = NULL, *resp = NULL;
            long status = 0;
            char *got = placement_server_get(srv, path, &status);
            cJSON *j = cJSON_Parse(got);
            const cJSON *gen = cJSON_GetObjectItem(j, "generation");

            free(got);
            if (status == 200 && cJSON_IsNumber(gen)) {
                body = xasprintf("{\"aggregates\": [\"%s\"], "
                                 "\"resource_provider_generation\": %d}",
                                 AGGREGATE, gen->valueint);
                resp = placement_server_call(srv, "PUT", agg, body, &status);
                if (status == 200)
                    atomic_fetch_add(&storm_bumps, 1);
            }
            cJSON_Delete(j);
        }
    }
    return NULL;
}

static unsigned long
received(void)
{
    struct fault_proxy_stats st;

    fault_proxy_stats(proxy, &st);
    return st.received;
}

/* The most 409 notes one pass logged (the notes of a pass come before its
 * "pass ..." line). */
static unsigned
most_retries_in_a_pass(const char *log)
{
    unsigned most = 0, n = 0;

    for (const char *line = log; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (memmem(line, len, RETRYING, strlen(RETRYING)))
            n++;
        if (memmem(line, len, PASS_DONE, strlen(PASS_DONE)) ||
            memmem(line, len, PASS_INCOMPLETE, strlen(PASS_INCOMPLETE))) {
            most = n > most ? n : most;
            n = 0;
        }
        line += len + (end != NULL);
    }
    return most;
}

/* The m60 settings with nvidia-11 capped lower and one more trait on the
 * nvidia-18 GPU: both GPU providers have inventory and traits to write. */
static const char storm_conf[] = "node_name: compute-m60\n"
                                 "enabled_mdev_types: [nvidia-18, nvidia-11]\n"
                                 "mdev_types:\n"
                                 "  nvidia-18:\n"
                                 "    device_addresses: [\"0000:3e:00.0\"]\n"
                                 "    traits: [CUSTOM_CAD, CUSTOM_STORM]\n"
                                 "  nvidia-11:\n"
                                 "    max_instances: 8\n"
                                 "    traits: [CUSTOM_STORM]\n";

/* While another writer moves both GPU providers' generations for 10 s, the
 * agent, which has inventory and traits to write on both, retries each
 * provider at most SYNC_MAX_CONFLICTS times a pass (sync.h), backs off
 * between failed passes (at least 0.9 x interval_s here: 1 s capped at
 * interval_s 1, minus jitter), so the requests it sends in the storm are
 * bounded by passes x what one pass may send, and it converges after. */
Test(run_faults, a_409_storm_is_retried_boundedly_and_converged_on_after)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    struct agentrun first = { 0 };
    /* one pass: the tree listing, then per round and provider (3) at most
     * a read of inventories and traits and a write of each; after the pass
     * reconcile reads each moved provider's allocations once */
    const unsigned long per_pass = 1 + SYNC_MAX_CONFLICTS * 3 * 4 + 3;
    unsigned long sent, storm_requests;
    unsigned passes0, storm_passes, most;
    long t0, storm_ms;

    agentenv_host(&env, "m60");
    proxy = fault_proxy_start(placement_server_url(srv));
    write_conf("interval_s: 1\n", uri, NULL, fault_proxy_url(proxy));
    agentenv_run(&env, &first, (const char *const[]){ "sync", NULL });
    cr_assert(eq(int, first.status, 0), "%s", first.err);
    agentrun_clear(&first);
    write_conf_settings(storm_conf, "interval_s: 1\n", uri, NULL,
                        fault_proxy_url(proxy));

    cr_assert(eq(int, testproc_thread_start(&busy, storm, NULL), 0));
    while (atomic_load(&storm_bumps) < 10)
        testproc_sleep_ms(10);
    t0 = testproc_now_ms();
    sent = received();
    agentenv_start(&env, NULL);
    testproc_sleep_ms(STORM_MS);
    storm_passes = agentproc_passes(env.agent);
    storm_requests = received() - sent;
    testproc_thread_stop(&busy);
    storm_ms = testproc_now_ms() - t0;
    passes0 = agentproc_passes(env.agent);

    fprintf(stderr,
            "run_faults: 409 storm: %lu bumps in %ld ms; the agent made %u "
            "passes, %lu requests, %u 409s\n",
            (unsigned long)atomic_load(&storm_bumps), storm_ms, storm_passes,
            storm_requests, agentproc_count(env.agent, RETRYING));
    cr_assert(gt(u32, agentproc_count(env.agent, RETRYING), 0),
              "no 409 reached the agent: the storm tested nothing\n%s",
              agentproc_err(env.agent));
    most = most_retries_in_a_pass(agentproc_err(env.agent));
    cr_assert(le(u32, most, SYNC_MAX_CONFLICTS * 2),
              "%u retries in one pass; at most %d per GPU provider\n%s", most,
              SYNC_MAX_CONFLICTS, agentproc_err(env.agent));
    cr_assert(le(long, (long)storm_passes, 2 + storm_ms / 900),
              "%u passes in %ld ms: no backoff\n%s", storm_passes, storm_ms,
              agentproc_err(env.agent));
    cr_assert(le(ulong, storm_requests, (storm_passes + 1) * per_pass),
              "%lu requests in %u passes: more than %lu a pass", storm_requests,
              storm_passes, per_pass);

    agentenv_expect(&env, PASS_DONE, agentproc_count(env.agent, PASS_DONE) + 1);
    cr_assert(ge(u32, agentproc_passes(env.agent), passes0 + 1));
    assert_placement_holds_dump();
    agentproc_assert_stops(env.agent);
}

/* --- run --interval / --passes ------------------------------------------- */

Test(run_faults,
     passes_ends_with_the_last_pass_status_and_bad_options_are_usage)
{
    static const char *const bad[][2] = {
        { "--interval", "0" },   { "--interval", "soon" },
        { "--interval", "nan" }, { "--interval", "86401" },
        { "--passes", "0" },     { "--passes", "-1" },
        { "--passes", "2x" },
    };
    struct agentrun r = { 0 };

    agentenv_host(&env, "m60");
    proxy = fault_proxy_start(placement_server_url(srv));
    write_conf(NULL, "test:///default", NULL, fault_proxy_url(proxy));
    for (size_t i = 0; i < NELEM(bad); i++) {
        agentenv_run(
            &env, &r,
            (const char *const[]){ "run", bad[i][0], bad[i][1], NULL });
        cr_assert(eq(int, r.status, 2), "run %s %s: %s", bad[i][0], bad[i][1],
                  r.err);
        cr_assert(ne(ptr, strstr(r.err, bad[i][0]), NULL),
                  "the message names the option: %s", r.err);
        cr_assert(eq(ulong, received(), 0), "no pass ran");
        agentrun_clear(&r);
    }
    /* Placement down: every pass fails, the last one too */
    fault_proxy_set(proxy, "down", NULL);
    agentenv_run(&env, &r,
                 (const char *const[]){ "-v", "run", "--interval", "0.01",
                                        "--passes", "3", NULL });
    cr_assert(eq(int, r.status, 1), "%s", r.err);
    cr_assert(ne(ptr, strstr(r.err, "3 passes: stopping"), NULL), "%s", r.err);
    agentrun_clear(&r);
    /* back up: the last pass succeeds */
    fault_proxy_set(proxy, "pass", NULL);
    agentenv_run(&env, &r,
                 (const char *const[]){ "-v", "run", "--interval", "0.01",
                                        "--passes", "2", NULL });
    cr_assert(eq(int, r.status, 0), "%s", r.err);
    cr_assert(eq(ptr, strstr(r.err, "Sanitizer"), NULL), "%s", r.err);
    agentrun_clear(&r);
    assert_placement_holds_dump();
}
