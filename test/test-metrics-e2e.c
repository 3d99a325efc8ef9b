/*
 * test-metrics-e2e.c - end to end: the metrics file `run` writes and what
 * `vgpu-agent status` makes of it.
 *
 * The agent runs as a service on the m60 sample host served by the live
 * fake kernel (test/fakesys.c), with Debian's Placement behind the fault
 * proxy (which logs every request and can take Placement "down") and
 * libvirt's test driver for the guests.  Every figure the file holds is
 * checked against an independent source: the proxy's request log, what
 * Placement holds (inventories, usages), the mdevs the fake kernel holds,
 * the agent's own log; the file itself is read with Prometheus's parser
 * (test/promcheck.h).  `status` on files written without a service:
 * test-status.c.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fault-proxy.h"
#include "fixture.h"
#include "metrics.h"
#include "placement-server.h"
#include "promcheck.h"
#include "testproc.h"
#include "testsecrets.h"
#include "xalloc.h"

#define PASS_DONE "pass done: "
#define PASS_MS 15000 /* patience for one pass (sanitizers, loaded CI box) */
#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define CONSUMER "6f1c2a4e-5b7d-4c8e-9f0a-1b2c3d4e5f60"
/* UUIDv5 of the m60 GPU 3e provider's name (see test-reconcile-e2e.c). */
#define RP_3E "fe6a96b7-1751-5e79-850d-9e41aa8e5bd0"
#define NAME_3E "compute-m60_pci_0000_3e_00_0"

static struct placement_server *srv;
static struct fault_proxy *proxy;
static struct agentenv env;         /* agent.yaml, the metrics file, the lock */
static const char *reconcile_extra; /* more lines of the reconcile section */

static void
setup(void)
{
    agentenv_init(&env);
    env.patience_ms = PASS_MS;
    srv = placement_server_start();
    proxy = fault_proxy_start(placement_server_url(srv));
    agentenv_live(&env, "hosts/m60.yaml");
}

static void
teardown(void)
{
    agentenv_clear(&env); /* the agent first */
    fault_proxy_stop(proxy);
    proxy = NULL;
    reconcile_extra = NULL;
    placement_server_stop(srv);
    srv = NULL;
}

TestSuite(metrics_run, .init = setup, .fini = teardown);

static char *
metrics_path(void)
{
    return agentenv_path(&env, "vgpu-agent.prom");
}

/* agent.yaml: test/data/dump/m60.conf.yaml, interval_s, the metrics file
 * (metrics_file, or the default place in env's directory when NULL), the
 * mdevctl directory there, Placement through the proxy. */
static void
write_conf(const char *metrics_file, unsigned interval_s)
{
    _cleanup_free_ char *mpath = metrics_path();
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *settings =
        xasprintf("interval_s: %u\nmetrics_file: %s\n", interval_s,
                  metrics_file ? metrics_file : mpath);

    agentenv_write_conf(&env, &(struct agentconf){
                                  .settings_file = "dump/m60.conf.yaml",
                                  .settings = settings,
                                  .libvirt_uri = uri,
                                  .reconcile = true,
                                  .reconcile_extra = reconcile_extra,
                                  .endpoint = fault_proxy_url(proxy),
                              });
}

/* The metrics file, once its last_pass_success is want (polled: the file
 * is written just after the pass whose log line the test may have seen). */
static void
wait_last_pass(double want, struct metrics_file *ret)
{
    _cleanup_free_ char *path = metrics_path();
    struct errbuf eb = { 0 };

    for (int waited = 0; waited < PASS_MS; waited += 50) {
        const struct metrics_sample *s;

        if (metrics_load(path, ret, &eb) == 0) {
            s = metrics_find(ret, METRICS_PREFIX "last_pass_success");
            if (s && s->value == want)
                return;
            metrics_file_clear(ret);
        }
        testproc_sleep_ms(50);
    }
    cr_assert(false, "%s: no last_pass_success %g within %d ms (%s):\n%s", path,
              want, PASS_MS, eb.msg, agentproc_err(env.agent));
}

/* passes_total in the metrics file; -1 when it cannot be read. */
static double
passes_in_file(struct errbuf *eb)
{
    _cleanup_free_ char *path = metrics_path();
    struct metrics_file f = { 0 };
    const struct metrics_sample *s;
    double n = -1;

    if (metrics_load(path, &f, eb) == 0 &&
        (s = metrics_find(&f, METRICS_PREFIX "passes_total")))
        n = s->value;
    metrics_file_clear(&f);
    return n;
}

/* Bring the service to rest: a new config with interval_s 60 and SIGHUP;
 * the reload is followed by a pass at once, then a minute's wait.  Returns
 * once that pass is in the metrics file, so the test can read or stop the
 * agent with no request in flight (SIGTERM aborts one: it would count as
 * unanswered while the proxy may still log it as answered).  When the
 * reload is logged, the file holds every pass before it (written before
 * the wait that took the signal) and not yet the one after. */
static void
settle(void)
{
    unsigned reloads = agentproc_count(env.agent, "configuration reloaded");
    struct errbuf eb = { 0 };
    double before;

    write_conf(NULL, 60);
    agentproc_signal(env.agent, SIGHUP);
    agentenv_expect(&env, "configuration reloaded", reloads + 1);
    before = passes_in_file(&eb);
    cr_assert(ge(dbl, before, 1), "%s", eb.msg);
    for (int waited = 0; waited < PASS_MS; waited += 50) {
        if (passes_in_file(&eb) == before + 1)
            return;
        testproc_sleep_ms(50);
    }
    cr_assert(false,
              "the pass after SIGHUP is not in the metrics file (%s):\n%s",
              eb.msg, agentproc_err(env.agent));
}

/* `vgpu-agent -c CONF status` into ret. */
static void
status(struct agentrun *ret)
{
    agentrun(ret, (const char *const[]){ "-c", env.conf, "status", NULL });
    agentrun_assert_sane(ret, "status");
}

static void
claim(const char *consumer, const char *rp, int n)
{
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);
    _cleanup_free_ char *body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": %d}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        rp, n, PROJECT, PROJECT);
    long st = 0;
    _cleanup_free_ char *resp =
        placement_server_call(srv, "PUT", path, body, &st);

    cr_assert(eq(long, st, 204), "PUT %s: %s", path, resp);
}

/* Entries of the fake kernel's bus/mdev/devices: the mdevs that exist. */
static unsigned
count_mdevs(void)
{
    return agentenv_count_mdevs(&env);
}

/* Lines of the proxy's request log for method answered with status:
 * "pass METHOD PATH STATUS", or for status "error" (no response)
 * "down METHOD PATH", the connection closed unanswered. */
static unsigned long
proxy_count(const char *log, const char *method, const char *status)
{
    bool error = strcmp(status, "error") == 0;
    _cleanup_free_ char *head =
        xasprintf("%s %s ", error ? "down" : "pass", method);
    _cleanup_free_ char *tail = xasprintf(" %s", status);
    unsigned long n = 0;

    for (const char *l = log; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);

        if (len > strlen(head) && strncmp(l, head, strlen(head)) == 0 &&
            (error || (len > strlen(tail) && strncmp(l + len - strlen(tail),
                                                     tail, strlen(tail)) == 0)))
            n++;
        l += len + (nl ? 1 : 0);
    }
    return n;
}

/* Every request series in the file matches the proxy's log.  A request
 * without a response may be more than one line there (libcurl reconnects
 * once on its own when a kept-alive connection dies): the agent counts
 * the requests it sent. */
static void
assert_requests_match_the_proxy(const cJSON *samples)
{
    _cleanup_free_ char *log = fault_proxy_log(proxy);
    struct fault_proxy_stats st;
    double answered = 0, unanswered = 0;
    const cJSON *s;

    fault_proxy_stats(proxy, &st);
    cJSON_ArrayForEach(s, samples) {
        const cJSON *l = cJSON_GetObjectItem(s, "labels");
        const char *method, *code;
        double v = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "value"));
        double seen;

        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(s, "name")),
                   METRICS_PREFIX "placement_requests_total") != 0)
            continue;
        method = cJSON_GetStringValue(cJSON_GetObjectItem(l, "method"));
        code = cJSON_GetStringValue(cJSON_GetObjectItem(l, "status"));
        cr_assert(method != NULL && code != NULL);
        seen = (double)proxy_count(log, method, code);
        if (strcmp(code, "error") == 0) {
            cr_assert(ge(dbl, v, 1));
            cr_assert(le(dbl, v, seen), "%s error: %g, the proxy closed %g",
                      method, v, seen);
            unanswered += seen;
            continue;
        }
        cr_assert(eq(dbl, v, seen),
                  "%s %s: the proxy saw otherwise:\n%s\nthe agent:\n%s", method,
                  code, log, agentproc_err(env.agent));
        answered += v;
    }
    cr_assert(gt(dbl, answered, 0));
    cr_assert(eq(dbl, answered + unanswered, (double)st.received),
              "every request the proxy received is in a series");
}

/* Every GPU provider of the dump has one capacity series, and total,
 * reserved and used are what Placement holds for its UUID. */
static void
assert_gpus_match_placement(const cJSON *samples)
{
    cJSON *d = agentenv_dump(&env);
    const cJSON *p;
    unsigned gpus = 0;

    cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "providers")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(p, "name"));
        const char *uuid = cJSON_GetStringValue(cJSON_GetObjectItem(p, "uuid"));
        const cJSON *inv =
            cJSON_GetObjectItem(p, "inventories")->child; /* its one class */
        _cleanup_free_ char *ipath =
            xasprintf("/resource_providers/%s/inventories", uuid);
        _cleanup_free_ char *upath =
            xasprintf("/resource_providers/%s/usages", uuid);
        cJSON *invs, *usages;
        const cJSON *held;

        if (!cJSON_GetObjectItem(p, "device"))
            continue;
        gpus++;
        invs = placement_server_get_json(srv, ipath);
        usages = placement_server_get_json(srv, upath);
        held = cJSON_GetObjectItem(cJSON_GetObjectItem(invs, "inventories"),
                                   inv->string);
        cr_assert(held != NULL, "%s: no %s in Placement", name, inv->string);
        cr_assert(eq(dbl,
                     promcheck_value(samples, "vgpu_agent_gpu_capacity",
                                     "provider", name),
                     cJSON_GetNumberValue(cJSON_GetObjectItem(held, "total"))),
                  "%s", name);
        cr_assert(
            eq(dbl,
               promcheck_value(samples, "vgpu_agent_gpu_reserved", "provider",
                               name),
               cJSON_GetNumberValue(cJSON_GetObjectItem(held, "reserved"))),
            "%s", name);
        cr_assert(
            eq(dbl,
               promcheck_value(samples, "vgpu_agent_gpu_used", "uuid", uuid),
               cJSON_GetNumberValue(cJSON_GetObjectItem(
                   cJSON_GetObjectItem(usages, "usages"), inv->string))),
            "%s", name);
        cJSON_Delete(invs);
        cJSON_Delete(usages);
    }
    cr_assert(gt(uint, gpus, 0));
    {
        unsigned series = 0;
        const cJSON *s;

        cJSON_ArrayForEach(s, samples)
            series +=
                strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(s, "name")),
                       "vgpu_agent_gpu_capacity") == 0;
        cr_assert(eq(uint, series, gpus), "one series per GPU provider");
    }
    cJSON_Delete(d);
}

static double
value(const cJSON *samples, const char *name)
{
    double v = promcheck_value(samples, name, NULL, NULL);

    cr_assert(ge(dbl, v, 0), "no %s", name);
    return v;
}

Test(metrics_run,
     the_file_holds_what_the_run_did_as_placement_and_the_kernel_say)
{
    _cleanup_free_ char *path = metrics_path();
    _cleanup_free_ char *line = NULL;
    struct agentrun st = { 0 };
    unsigned before;
    double total;
    cJSON *samples;

    write_conf(NULL, 60);
    before = count_mdevs();
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    claim(CONSUMER, RP_3E, 2);
    settle(); /* its pass makes the claim's mdevs */
    agentenv_expect(&env, "reconcile: create ", 2);
    agentproc_assert_stops(env.agent);
    samples = promcheck(path);
    cr_assert(eq(dbl, value(samples, "vgpu_agent_passes_total"),
                 (double)agentproc_count(env.agent, PASS_DONE)));
    cr_assert(eq(uint, agentproc_count(env.agent, PASS_DONE), 2));
    cr_assert(eq(dbl, value(samples, "vgpu_agent_pass_failures_total"), 0));
    cr_assert(eq(dbl, value(samples, "vgpu_agent_last_pass_success"), 1));
    cr_assert(eq(dbl,
                 value(samples, "vgpu_agent_last_success_timestamp_seconds"),
                 value(samples, "vgpu_agent_last_pass_timestamp_seconds")));
    assert_requests_match_the_proxy(samples);
    assert_gpus_match_placement(samples);
    cr_assert(eq(uint, count_mdevs() - before, 2), "the claim's two mdevs");
    cr_assert(eq(dbl, value(samples, "vgpu_agent_mdevs_created_total"),
                 (double)(count_mdevs() - before)));
    cr_assert(eq(dbl, value(samples, "vgpu_agent_mdevs_removed_total"), 0));
    cr_assert(eq(dbl, value(samples, "vgpu_agent_orphan_mdevs"), 0));
    cr_assert(eq(dbl, value(samples, "vgpu_agent_unaccounted_guests"), 0));
    /* status: ok, and GPU 3e's use as Placement holds it */
    total = promcheck_value(samples, "vgpu_agent_gpu_capacity", "uuid", RP_3E);
    line = xasprintf(
        "%.0f/%.0f",
        promcheck_value(samples, "vgpu_agent_gpu_used", "uuid", RP_3E), total);
    cJSON_Delete(samples);
    status(&st);
    cr_assert(eq(int, st.status, 0), "%s%s", st.out, st.err);
    cr_assert(ne(ptr, strstr(st.out, "last pass: ok at "), NULL), "%s", st.out);
    cr_assert(ne(ptr, strstr(st.out, NAME_3E), NULL), "%s", st.out);
    cr_assert(ne(ptr, strstr(strstr(st.out, NAME_3E), line), NULL),
              "'%s' on GPU 3e's line:\n%s", line, st.out);
    agentrun_clear(&st);
}

Test(metrics_run, a_failing_pass_shows_in_the_file_and_in_status_until_it_heals)
{
    _cleanup_free_ char *path = metrics_path();
    struct metrics_file f = { 0 };
    struct agentrun st = { 0 };
    double since, last, success;
    cJSON *samples;

    write_conf(NULL, 1);
    agentenv_start(&env, NULL);
    wait_last_pass(1, &f);
    metrics_file_clear(&f);
    fault_proxy_set(proxy, "down", NULL);
    wait_last_pass(0, &f);
    since = metrics_find(&f, METRICS_PREFIX "failing_since_timestamp_seconds")
                ->value;
    last =
        metrics_find(&f, METRICS_PREFIX "last_pass_timestamp_seconds")->value;
    success = metrics_find(&f, METRICS_PREFIX "last_success_timestamp_seconds")
                  ->value;
    metrics_file_clear(&f);
    cr_assert(gt(dbl, since, 0));
    cr_assert(le(dbl, since, last));
    cr_assert(gt(dbl, success, 0));
    cr_assert(lt(dbl, success, since));
    status(&st);
    cr_assert(eq(int, st.status, 1), "%s%s", st.out, st.err);
    cr_assert(ne(ptr, strstr(st.out, "FAILED"), NULL), "%s", st.out);
    cr_assert(ne(ptr, strstr(st.out, "failing since "), NULL), "%s", st.out);
    agentrun_clear(&st);
    samples = promcheck(path);
    cr_assert(ge(dbl,
                 promcheck_value(samples, "vgpu_agent_placement_requests_total",
                                 "status", "error"),
                 1),
              "requests without a response are counted");
    cJSON_Delete(samples);
    fault_proxy_set(proxy, "pass", NULL);
    wait_last_pass(1, &f);
    metrics_file_clear(&f);
    status(&st);
    cr_assert(eq(int, st.status, 0), "%s%s", st.out, st.err);
    agentrun_clear(&st);
    settle();
    agentproc_assert_stops(env.agent);
    samples = promcheck(path);
    cr_assert(eq(
        dbl, value(samples, "vgpu_agent_failing_since_timestamp_seconds"), 0));
    cr_assert(ge(dbl, value(samples, "vgpu_agent_pass_failures_total"), 1));
    cr_assert(eq(dbl, value(samples, "vgpu_agent_pass_failures_total"),
                 (double)agentproc_count(env.agent, "pass incomplete") +
                     (double)agentproc_count(env.agent, "error: GET /: ")),
              "every failed pass is counted:\n%s", agentproc_err(env.agent));
    assert_requests_match_the_proxy(samples);
    cJSON_Delete(samples);
}

Test(metrics_run,
     a_metrics_file_it_cannot_write_is_logged_and_the_service_goes_on)
{
    _cleanup_free_ char *missing =
        agentenv_path(&env, "missing/vgpu-agent.prom");
    struct agentrun st = { 0 };

    write_conf(missing, 1);
    agentenv_start(&env, NULL);
    agentenv_expect(&env, missing, 1);
    agentenv_expect_more(&env, PASS_DONE, 1);
    agentenv_expect(&env, missing, 2); /* logged again, after the next pass */
    cr_assert(ne(ptr,
                 strstr(agentproc_err(env.agent), "No such file or directory"),
                 NULL),
              "%s", agentproc_err(env.agent));
    cr_assert(ne(ptr, strstr(agentproc_err(env.agent), "errno 2"), NULL), "%s",
              agentproc_err(env.agent));
    agentproc_assert_running(env.agent);
    status(&st);
    cr_assert(eq(int, st.status, 2), "%s%s", st.out, st.err);
    cr_assert(ne(ptr, strstr(st.err, missing), NULL), "%s", st.err);
    agentrun_clear(&st);
    agentproc_assert_stops(env.agent);
}

Test(metrics_run, without_reconcile_the_use_of_a_gpu_is_unknown_not_zero)
{
    struct metrics_file f = { 0 };
    struct agentrun st = { 0 };
    const struct metrics_sample *cap;

    reconcile_extra = "  enabled: false\n";
    write_conf(NULL, 60);
    agentenv_start(&env, NULL);
    wait_last_pass(1, &f);
    cap = metrics_find(&f, METRICS_PREFIX "gpu_capacity");
    cr_assert(cap != NULL, "the GPUs are there");
    cr_assert(metrics_find(&f, METRICS_PREFIX "gpu_used") == NULL,
              "no use without reconcile");
    cr_assert(metrics_find(&f, METRICS_PREFIX "orphan_mdevs") == NULL);
    metrics_file_clear(&f);
    status(&st);
    cr_assert(eq(int, st.status, 0), "%s%s", st.out, st.err);
    cr_assert(ne(ptr, strstr(st.out, " ?/"), NULL), "%s", st.out);
    cr_assert(eq(ptr, strstr(st.out, " 0/"), NULL), "%s", st.out);
    agentrun_clear(&st);
    agentproc_assert_stops(env.agent);
}
