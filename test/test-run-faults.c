/*
 * test-run-faults.c - end to end: what the `vgpu-agent run` service must
 * survive (issue 5), with every part real.
 *
 * Placement killed in the middle of a pass and restarted on the same port
 * and database; another writer bumping the providers' generations for ten
 * seconds; libvirt unreachable while orphan removal is on; sysfs changing
 * under the scans; a thousand passes without a leak.  Each test runs
 * Debian's Placement (test/placement-server.h), a fake host (a materialized
 * tree or the live FUSE fake kernel, test/fixture.h), the libvirt test
 * driver for the guests, and the built agent (test/agentrun.h), and reads
 * back what Placement holds with the harness's own client.
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

#include "agentrun.h"
#include "cleanup.h"
#include "fault-proxy.h"
#include "fixture.h"
#include "placement-server.h"
#include "sync.h"
#include "testproc.h"
#include "testsecrets.h"
#include "xalloc.h"

#define PASS_DONE ": pass done: "
#define PASS_INCOMPLETE ": pass incomplete: "
#define WAIT_MS 30000 /* patience for a pass (sanitizers, loaded CI box) */

/* m60 with test/data/dump/m60.conf.yaml: the providers' UUIDs are UUIDv5
 * of their names (see test-reconcile-e2e.c). */
#define GPU_3E "0000:3e:00.0"
#define RP_3D "e4137598-d408-5bdf-9b22-f9c6dce755ac"
#define RP_3E "fe6a96b7-1751-5e79-850d-9e41aa8e5bd0"
#define M_ORPHAN "0d0d0d0d-0000-4000-8000-0000000000aa"

static struct placement_server *srv;
static struct fault_proxy *proxy;
static struct fakesys_live *live;
static struct agentproc *agent;
static char *tmp;  /* agent.yaml, lock, mdevctl.d, node.xml */
static char *root; /* the sysfs root the agent reads */

/* The storm thread (409 test); stopped in teardown too. */
static pthread_t storm_thread;
static bool storm_running;
static atomic_bool storm_stop;
static atomic_ulong storm_bumps;

static void
setup(void)
{
    srv = placement_server_start();
    tmp = fixture_tmpdir();
}

static void
stop_storm(void)
{
    if (!storm_running)
        return;
    atomic_store(&storm_stop, true);
    pthread_join(storm_thread, NULL);
    storm_running = false;
}

/* Runs even when an assertion failed: every process and thread stops. */
static void
teardown(void)
{
    stop_storm();
    agentproc_stop(agent);
    agent = NULL;
    fault_proxy_stop(proxy);
    proxy = NULL;
    placement_server_stop(srv);
    srv = NULL;
    if (live)
        fakesys_live_stop(live);
    else if (root)
        fixture_rm_rf(root);
    live = NULL;
    if (tmp)
        fixture_rm_rf(tmp);
    free(tmp);
    free(root);
    tmp = root = NULL;
}

TestSuite(run_faults, .init = setup, .fini = teardown);

/* --- helpers ------------------------------------------------------------ */

/* agent.yaml: test/data/dump/m60.conf.yaml (or body, when not NULL) + extra
 * (top-level lines), the
 * libvirt URI, a lock and mdevctl directory in tmp, reconcile_extra lines
 * of the reconcile section, a placement section for endpoint.  Written to
 * a new file renamed over the old. */
static void
write_conf_body(const char *body, const char *extra, const char *uri,
                const char *reconcile_extra, const char *endpoint)
{
    _cleanup_free_ char *path = xasprintf("%s/agent.yaml", tmp);
    _cleanup_free_ char *part = xasprintf("%s/agent.yaml.new", tmp);
    _cleanup_free_ char *src = fixture_data_path("dump/m60.conf.yaml");
    _cleanup_fclose_ FILE *in = fopen(src, "re");
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *out = fdopen(fd, "w");
    char line[1024];

    cr_assert(in != NULL && out != NULL, "%s", src);
    while (!body && fgets(line, sizeof(line), in))
        fputs(line, out);
    fputs(body ? body : "", out);
    fprintf(out,
            "%slibvirt_uri: %s\nlock_file: %s/lock\n"
            "reconcile:\n  mdevctl_dir: %s/mdevctl.d\n%s"
            "placement:\n  endpoint: %s\n  token: " TEST_TOKEN "\n",
            extra ? extra : "", uri, tmp, tmp,
            reconcile_extra ? reconcile_extra : "", endpoint);
    cr_assert(eq(int, fclose(out), 0));
    cr_assert(eq(int, rename(part, path), 0));
}

static void
write_conf(const char *extra, const char *uri, const char *reconcile_extra,
           const char *endpoint)
{
    write_conf_body(NULL, extra, uri, reconcile_extra, endpoint);
}

static void
start_agent(const char *const *run_args)
{
    _cleanup_free_ char *conf = xasprintf("%s/agent.yaml", tmp);
    const char *argv[16] = { "-v", "-c", conf, "--sysfs-root", root, "run" };
    size_t n = 6;

    for (; run_args && *run_args; run_args++) {
        cr_assert(n < sizeof(argv) / sizeof(*argv) - 1);
        argv[n++] = *run_args;
    }
    argv[n] = NULL;
    agent = agentproc_start(argv);
}

static void
wait_for(const char *needle, unsigned n)
{
    cr_assert(agentproc_wait_for(agent, needle, n, WAIT_MS),
              "no %u x '%s' in the agent's log within %d ms:\n%s", n, needle,
              WAIT_MS, agentproc_err(agent));
}

/* Wait for n more passes, done or incomplete, than logged so far. */
static unsigned
passes(void)
{
    return agentproc_count(agent, PASS_DONE) +
           agentproc_count(agent, PASS_INCOMPLETE);
}

static void
wait_passes(unsigned n)
{
    unsigned want = passes() + n;
    long deadline = testproc_now_ms() + WAIT_MS;

    while (passes() < want) {
        cr_assert(lt(long, testproc_now_ms(), deadline),
                  "no %u more passes within %d ms:\n%s", n, WAIT_MS,
                  agentproc_err(agent));
        cr_assert(eq(int, agentproc_wait(agent, 0), -1),
                  "the service stopped:\n%s", agentproc_err(agent));
        testproc_sleep_ms(20);
    }
}

/* The log has no sanitizer report and no crash. */
static void
assert_sane_log(void)
{
    const char *log = agentproc_err(agent);

    cr_assert(eq(ptr, strstr(log, "Sanitizer"), NULL), "%s", log);
    cr_assert(eq(ptr, strstr(log, "runtime error"), NULL), "%s", log);
}

static void
stop_agent(void)
{
    int status;

    agentproc_signal(agent, SIGTERM);
    status = agentproc_wait(agent, 5000);
    cr_assert(eq(int, status, 0), "exit status after SIGTERM:\n%s",
              agentproc_err(agent));
    assert_sane_log();
}

static cJSON *
dump(void)
{
    _cleanup_free_ char *conf = xasprintf("%s/agent.yaml", tmp);

    return agentrun_dump(conf, root);
}

/* Placement holds what dump says, each provider once: by name too, not
 * only in the root's tree (a duplicate would be a second root). */
static void
assert_placement_holds_dump(void)
{
    cJSON *d = dump();
    const cJSON *p;
    cJSON *all = placement_server_get_json(srv, "/resource_providers");

    placement_server_assert_tree(srv, d);
    cr_assert(
        eq(int,
           cJSON_GetArraySize(cJSON_GetObjectItem(all, "resource_providers")),
           cJSON_GetArraySize(cJSON_GetObjectItem(d, "providers"))),
        "providers in Placement besides the host's tree");
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "providers")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(p, "name"));
        _cleanup_free_ char *path =
            xasprintf("/resource_providers?name=%s", name);
        cJSON *j = placement_server_get_json(srv, path);

        cr_assert(
            eq(int,
               cJSON_GetArraySize(cJSON_GetObjectItem(j, "resource_providers")),
               1),
            "providers named %s", name);
        cJSON_Delete(j);
    }
    cJSON_Delete(all);
    cJSON_Delete(d);
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
    const char *env = getenv("VGPU_TEST_PASSES");
    char *end;
    unsigned long n;

    if (!env || !*env)
        return PASSES_DEFAULT;
    n = strtoul(env, &end, 10);
    cr_assert(end[0] == 0 && n >= 200, "VGPU_TEST_PASSES=%s: >= 200", env);
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
    root = fixture_host("m60");
    write_conf(NULL, uri, NULL, placement_server_url(srv));
    start_agent(
        (const char *const[]){ "--interval", "0.01", "--passes", n_arg, NULL });
    pid = agentproc_pid(agent);
    wait_for(PASS_DONE, 100);
    rss_early = rss_kb(pid);
    cr_assert(agentproc_wait_for(agent, PASS_DONE, (unsigned)(n - n / 20),
                                 (long)n * 200),
              "%s", agentproc_err(agent));
    rss_late = rss_kb(pid);
    status = agentproc_wait(agent, WAIT_MS);
    fprintf(stderr,
            "run_faults: %lu passes in %ld ms; VmRSS %ld kB after 100, "
            "%ld kB after %lu\n",
            n, testproc_now_ms() - t0, rss_early, rss_late, n - n / 20);
    cr_assert(eq(int, status, 0), "--passes %lu: exit status\n%s", n,
              agentproc_err(agent));
    assert_sane_log();
    cr_assert(eq(u32, agentproc_count(agent, PASS_DONE), (unsigned)n),
              "every pass succeeded");
    cr_assert(ne(ptr, strstr(agentproc_err(agent), stopping), NULL), "%s",
              agentproc_err(agent));
    cr_assert(le(long, rss_late - rss_early, RSS_GROWTH_MAX_KB),
              "VmRSS grew from %ld to %ld kB over %lu passes", rss_early,
              rss_late, n - n / 20 - 100);
    assert_placement_holds_dump();
}

/* --- libvirt unreachable ------------------------------------------------ */

#define NO_ORPHANS "orphans are not looked for"
#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define C1 "11111111-1111-4111-8111-111111111111"  /* vm-a of one-guest.xml */
#define M_A "a1a1a1a1-0000-4000-8000-000000000001" /* vm-a's mdev */
#define ORPHAN_REMOVAL "  remove_orphans: true\n  orphan_grace_s: 0\n"

/* The live fake kernel of the m60 host as the agent's sysfs root. */
static void
start_live_m60(void)
{
    _cleanup_free_ char *yaml = fixture_data_path("hosts/m60.yaml");
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fakesys_live_start(yaml, &live, &eb), 0), "%s", eb.msg);
    root = xstrdup(fakesys_live_root(live));
}

/* Make an mdev behind the agent's back: write uuid to the type's create. */
static void
kernel_create(const char *parent, const char *type, const char *uuid)
{
    _cleanup_free_ char *path =
        xasprintf("%s/class/mdev_bus/%s/mdev_supported_types/%s/create", root,
                  parent, type);
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    cr_assert(eq(long, (long)write(fd, uuid, strlen(uuid)), (long)strlen(uuid)),
              "%s: %s", path, strerror(errno));
    close(fd);
}

static bool
kernel_has(const char *uuid)
{
    _cleanup_free_ char *link = xasprintf("%s/bus/mdev/devices/%s", root, uuid);
    struct stat st;

    return lstat(link, &st) == 0;
}

/* A copy of test/data/reconcile/<name> at tmp/node.xml; its URI. */
static char *
node_copy(const char *name)
{
    _cleanup_free_ char *rel = xasprintf("reconcile/%s", name);
    _cleanup_free_ char *src = fixture_data_path(rel);
    _cleanup_free_ char *dst = xasprintf("%s/node.xml", tmp);
    _cleanup_fclose_ FILE *in = fopen(src, "re");
    _cleanup_fclose_ FILE *out = fopen(dst, "we");
    char buf[4096];
    size_t n;

    cr_assert(in != NULL && out != NULL, "%s -> %s", src, dst);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        cr_assert(eq(sz, fwrite(buf, 1, n, out), n));
    return xasprintf("test://%s", dst);
}

Test(run_faults, a_bad_libvirt_uri_is_logged_once_sync_goes_on_no_orphan_goes)
{
    start_live_m60();
    kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    write_conf(NULL, "test:///nonexistent/node.xml", ORPHAN_REMOVAL,
               placement_server_url(srv));
    start_agent(
        (const char *const[]){ "--interval", "0.05", "--passes", "10", NULL });
    cr_assert(eq(int, agentproc_wait(agent, WAIT_MS), 0), "%s",
              agentproc_err(agent));
    assert_sane_log();
    cr_assert(eq(u32, agentproc_count(agent, PASS_DONE), 10),
              "sync goes on: %s", agentproc_err(agent));
    cr_assert(eq(u32, agentproc_count(agent, NO_ORPHANS), 1),
              "logged once in 10 passes: %s", agentproc_err(agent));
    cr_assert(
        ne(ptr, strstr(agentproc_err(agent), "/nonexistent/node.xml"), NULL),
        "the message names the URI: %s", agentproc_err(agent));
    cr_assert(kernel_has(M_ORPHAN), "the orphan-looking mdev was removed:\n%s",
              agentproc_err(agent));
    cr_assert(eq(u32, agentproc_count(agent, "reconcile: remove"), 0), "%s",
              agentproc_err(agent));
    assert_placement_holds_dump();
}

Test(run_faults, libvirt_gone_mid_run_is_logged_once_then_cleared_once)
{
    _cleanup_free_ char *uri = NULL;
    _cleanup_free_ char *node = xasprintf("%s/node.xml", tmp);
    _cleanup_free_ char *away = xasprintf("%s/node.xml.away", tmp);

    start_live_m60();
    uri = node_copy("no-guests.xml");
    write_conf(NULL, uri, ORPHAN_REMOVAL, placement_server_url(srv));
    start_agent((const char *const[]){ "--interval", "0.05", NULL });
    wait_for(PASS_DONE, 2);
    cr_assert(eq(int, rename(node, away), 0));
    wait_for(NO_ORPHANS, 1);
    kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    wait_passes(10);
    cr_assert(kernel_has(M_ORPHAN),
              "removed while libvirt was unreachable:\n%s",
              agentproc_err(agent));
    cr_assert(eq(u32, agentproc_count(agent, NO_ORPHANS), 1),
              "logged once in 10 passes: %s", agentproc_err(agent));
    cr_assert(ne(ptr, strstr(agentproc_err(agent), node), NULL),
              "the message names the file: %s", agentproc_err(agent));
    cr_assert(eq(int, rename(away, node), 0));
    wait_for("warning: cleared: reconcile: ", 1);
    /* with libvirt back, the same mdev is an orphan and goes */
    wait_for("reconcile: remove " M_ORPHAN, 1);
    wait_passes(5);
    cr_assert(kernel_has(M_ORPHAN) == false, "%s", agentproc_err(agent));
    cr_assert(eq(u32, agentproc_count(agent, "cleared: "), 1), "%s",
              agentproc_err(agent));
    cr_assert(eq(u32, agentproc_count(agent, NO_ORPHANS), 2),
              "the error once, and once in the line that clears it: %s",
              agentproc_err(agent));
    assert_placement_holds_dump();
    stop_agent();
}

/* A guest's mdev without a claim is "unaccounted" at every pass until the
 * claim comes: one warning when it appears, one line when it clears. */
Test(run_faults, a_lasting_reconcile_warning_is_logged_once_then_cleared_once)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/one-guest.xml");
    _cleanup_free_ char *body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": 1}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        RP_3E, PROJECT, PROJECT);
    long status = 0;

    start_live_m60();
    kernel_create(GPU_3E, "nvidia-18", M_A);
    write_conf(NULL, uri, NULL, placement_server_url(srv));
    start_agent((const char *const[]){ "--interval", "0.05", NULL });
    wait_for("reconcile: mdev " M_A " of guest " C1, 1);
    wait_passes(10);
    cr_assert(eq(u32, agentproc_count(agent, "reconcile: mdev " M_A), 1),
              "logged once in 10 passes: %s", agentproc_err(agent));
    free(placement_server_call(srv, "PUT", "/allocations/" C1, body, &status));
    cr_assert(eq(long, status, 204));
    wait_for("warning: cleared: reconcile: mdev " M_A, 1);
    wait_passes(5);
    cr_assert(eq(u32, agentproc_count(agent, "cleared: "), 1), "%s",
              agentproc_err(agent));
    cr_assert(kernel_has(M_A), "a guest's mdev stays");
    stop_agent();
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

    root = fixture_host("m60");
    proxy = fault_proxy_start(placement_server_url(srv));
    fault_proxy_set(proxy, "delay", NULL);
    write_conf("interval_s: 1\n", uri, NULL, fault_proxy_url(proxy));
    start_agent(NULL);
    deadline = testproc_now_ms() + WAIT_MS;
    while (server_log_count("POST /resource_providers") < 2) {
        _cleanup_free_ char *log = placement_server_log(srv);

        cr_assert(lt(long, testproc_now_ms(), deadline),
                  "no second provider created; Placement's log:\n%s\n"
                  "agent:\n%s",
                  log, agentproc_err(agent));
        testproc_sleep_ms(5);
    }
    placement_server_kill(srv);
    cr_assert(eq(u32, passes(), 0), "killed mid-pass, not after one:\n%s",
              agentproc_err(agent));
    fault_proxy_set(proxy, "pass", NULL);
    testproc_sleep_ms(5000);
    incomplete = agentproc_count(agent, "error: ");
    cr_assert(gt(u32, incomplete, 0), "the agent saw Placement go:\n%s",
              agentproc_err(agent));
    cr_assert(eq(int, agentproc_wait(agent, 0), -1), "the service stopped:\n%s",
              agentproc_err(agent));
    placement_server_restart(srv);
    wait_for(PASS_DONE, 1);
    wait_for(PASS_DONE, 2);
    assert_placement_holds_dump();
    stop_agent();
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
    while (!atomic_load(&storm_stop)) {
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
    _cleanup_free_ char *conf = xasprintf("%s/agent.yaml", tmp);
    /* one pass: the tree listing, then per round and provider (3) at most
     * a read of inventories and traits and a write of each; after the pass
     * reconcile reads each moved provider's allocations once */
    const unsigned long per_pass = 1 + SYNC_MAX_CONFLICTS * 3 * 4 + 3;
    unsigned long sent, storm_requests;
    unsigned passes0, storm_passes, most;
    long t0, storm_ms;

    root = fixture_host("m60");
    proxy = fault_proxy_start(placement_server_url(srv));
    write_conf("interval_s: 1\n", uri, NULL, fault_proxy_url(proxy));
    agentrun(&first, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                            "sync", NULL });
    cr_assert(eq(int, first.status, 0), "%s", first.err);
    agentrun_clear(&first);
    write_conf_body(storm_conf, "interval_s: 1\n", uri, NULL,
                    fault_proxy_url(proxy));

    atomic_store(&storm_stop, false);
    cr_assert(eq(int, pthread_create(&storm_thread, NULL, storm, NULL), 0));
    storm_running = true;
    while (atomic_load(&storm_bumps) < 10)
        testproc_sleep_ms(10);
    t0 = testproc_now_ms();
    sent = received();
    start_agent(NULL);
    testproc_sleep_ms(STORM_MS);
    storm_passes = passes();
    storm_requests = received() - sent;
    stop_storm();
    storm_ms = testproc_now_ms() - t0;
    passes0 = passes();

    fprintf(stderr,
            "run_faults: 409 storm: %lu bumps in %ld ms; the agent made %u "
            "passes, %lu requests, %u 409s\n",
            (unsigned long)atomic_load(&storm_bumps), storm_ms, storm_passes,
            storm_requests, agentproc_count(agent, RETRYING));
    cr_assert(gt(u32, agentproc_count(agent, RETRYING), 0),
              "no 409 reached the agent: the storm tested nothing\n%s",
              agentproc_err(agent));
    most = most_retries_in_a_pass(agentproc_err(agent));
    cr_assert(le(u32, most, SYNC_MAX_CONFLICTS * 2),
              "%u retries in one pass; at most %d per GPU provider\n%s", most,
              SYNC_MAX_CONFLICTS, agentproc_err(agent));
    cr_assert(le(long, (long)storm_passes, 2 + storm_ms / 900),
              "%u passes in %ld ms: no backoff\n%s", storm_passes, storm_ms,
              agentproc_err(agent));
    cr_assert(le(ulong, storm_requests, (storm_passes + 1) * per_pass),
              "%lu requests in %u passes: more than %lu a pass", storm_requests,
              storm_passes, per_pass);

    wait_for(PASS_DONE, agentproc_count(agent, PASS_DONE) + 1);
    cr_assert(ge(u32, passes(), passes0 + 1));
    assert_placement_holds_dump();
    stop_agent();
}

/* --- sysfs changing under the scans -------------------------------------- */

#define PATH_3E                                                                \
    "devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/0000:3c:10.0/0000:3e:00.0"
#define M_FLIP "f1f1f1f1-0000-4000-8000-000000000001"
#define FLIP_DUMPS 3 /* dumps and run passes while sysfs flips */
#define FLIP_PASSES 3

static pthread_t flip_thread;
static atomic_ulong flips;

/* Write text to path (under the live mount); ignores refusals. */
static void
poke(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return;
    if (write(fd, text, strlen(text)) < 0) {
        /* the GPU may be unplugged right now: the kernel refuses too */
    }
    close(fd);
}

/* Until told to stop: the mdev M_FLIP appears and vanishes on GPU 3e
 * (through the fake kernel's create and remove), and GPU 3e itself is
 * hot-unplugged and plugged back (its device directory leaves the backing
 * tree, so class/mdev_bus/0000:3e:00.0 dangles).  Scans running meanwhile
 * meet entries that vanish between readdir and read. */
static void *
flip(void *arg)
{
    const char *backing = arg;
    _cleanup_free_ char *dev = xasprintf("%s/" PATH_3E, backing);
    _cleanup_free_ char *gone = xasprintf("%s.unplugged", dev);
    _cleanup_free_ char *create = xasprintf(
        "%s/class/mdev_bus/" GPU_3E "/mdev_supported_types/nvidia-18/create",
        root);
    _cleanup_free_ char *remove =
        xasprintf("%s/bus/mdev/devices/" M_FLIP "/remove", root);

    while (!atomic_load(&storm_stop)) {
        unsigned long i = atomic_fetch_add(&flips, 1);

        if (i % 4 == 0)
            poke(create, M_FLIP);
        else if (i % 4 == 2)
            poke(remove, "1");
        else if (i % 8 == 1)
            rename(dev, gone);
        else if (i % 8 == 3 || i % 8 == 5 || i % 8 == 7)
            rename(gone, dev);
        testproc_sleep_ms(5); /* the fake kernel serves one request at a time */
    }
    rename(gone, dev); /* the GPU ends plugged in */
    return NULL;
}

/* Every warning or error line names what it is about: a sysfs path of the
 * flipping GPU or mdev. */
static void
assert_messages_name_the_path(const char *what, const char *log)
{
    for (const char *line = log; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        _cleanup_free_ char *l = xasprintf("%.*s", (int)len, line);

        if (strstr(l, "warning: ") || strstr(l, "error: "))
            cr_assert(strstr(l, GPU_3E) || strstr(l, M_FLIP),
                      "%s: a message that names neither the GPU nor the "
                      "mdev that changed: %s\nlog:\n%s",
                      what, l, log);
        line += len + (end != NULL);
    }
}

Test(run_faults, sysfs_changing_under_the_scans_is_survived_and_converged_on)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *conf = xasprintf("%s/agent.yaml", tmp);
    _cleanup_free_ char *backing = NULL;
    unsigned dumps = 0, dumps_warned = 0, passes0;
    long t0;

    start_live_m60();
    backing = xasprintf("%.*s/backing", (int)(strrchr(root, '/') - root), root);
    write_conf(NULL, uri, NULL, placement_server_url(srv));
    start_agent((const char *const[]){ "--interval", "0.01", NULL });
    wait_for(PASS_DONE, 1);

    atomic_store(&storm_stop, false);
    cr_assert(eq(int, pthread_create(&flip_thread, NULL, flip, backing), 0));
    passes0 = passes();
    for (t0 = testproc_now_ms();
         dumps < FLIP_DUMPS || passes() < passes0 + FLIP_PASSES; dumps++) {
        struct agentrun d = { 0 };

        cr_assert(lt(long, testproc_now_ms() - t0, 4L * WAIT_MS),
                  "%u dumps, %u passes so far:\n%s", dumps, passes() - passes0,
                  agentproc_err(agent));

        agentrun(&d, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                            "dump", "--format", "json", NULL });
        cr_assert(d.status == 0 || d.status == 1, "dump: status %d: %s",
                  d.status, d.err);
        cr_assert(eq(ptr, strstr(d.err, "Sanitizer"), NULL), "%s", d.err);
        cr_assert(eq(ptr, strstr(d.err, "runtime error"), NULL), "%s", d.err);
        if (d.status == 0) {
            cJSON *j = cJSON_Parse(d.out);

            cr_assert(ne(ptr, j, NULL), "%s", d.out);
            cJSON_Delete(j);
        }
        assert_messages_name_the_path("dump", d.err);
        dumps_warned += d.err[0] != '\0';
        agentrun_clear(&d);
    }
    atomic_store(&storm_stop, true);
    pthread_join(flip_thread, NULL);
    fprintf(stderr,
            "run_faults: sysfs flips: %lu changes, %u dumps (%u with "
            "warnings), %u run passes in %ld ms\n",
            (unsigned long)atomic_load(&flips), dumps, dumps_warned,
            passes() - passes0, testproc_now_ms() - t0);

    cr_assert(eq(int, agentproc_wait(agent, 0), -1), "the service stopped:\n%s",
              agentproc_err(agent));
    assert_sane_log();
    assert_messages_name_the_path("run", agentproc_err(agent));
    wait_passes(3);
    assert_placement_holds_dump();
    stop_agent();
}

/* The provider of GPU 3e in dump d as "traits | inventories" JSON text, or
 * NULL when there is none. */
static char *
gpu_3e_provider(const cJSON *d)
{
    const cJSON *p;

    cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "providers")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(p, "name"));
        _cleanup_free_ char *traits = NULL, *invs = NULL;

        if (!name || strcmp(name, "compute-m60_pci_0000_3e_00_0") != 0)
            continue;
        traits = cJSON_PrintUnformatted(cJSON_GetObjectItem(p, "traits"));
        invs = cJSON_PrintUnformatted(cJSON_GetObjectItem(p, "inventories"));
        return xasprintf("%s | %s", traits, invs);
    }
    return NULL;
}

/* dump --format json of the live host; its stderr in *ret_err. */
static cJSON *
dump_live(char **ret_err)
{
    _cleanup_free_ char *conf = xasprintf("%s/agent.yaml", tmp);
    struct agentrun d = { 0 };
    cJSON *j;

    agentrun(&d, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                        "dump", "--format", "json", NULL });
    cr_assert(eq(int, d.status, 0), "dump: %s", d.err);
    j = cJSON_Parse(d.out);
    cr_assert(j != NULL, "dump: %s", d.out);
    *ret_err = TAKE_PTR(d.err);
    agentrun_clear(&d);
    return j;
}

/* Start the live m60 host, its GPU 3e unplugged after k reads (0: never);
 * GPU 3e's provider in its dump (NULL: none), dump's stderr in *ret_err,
 * and whether the GPU was unplugged; stop it again. */
static char *
dump_unplugging(unsigned long k, char **ret_err, bool *ret_fired)
{
    _cleanup_free_ char *yaml = fixture_data_path("hosts/m60.yaml");
    _cleanup_free_ char *dev = NULL;
    struct errbuf eb = { 0 };
    struct stat st;
    char *got;
    cJSON *d;

    cr_assert(eq(int,
                 k ? fakesys_live_start_unplug(yaml, PATH_3E, k, &live, &eb)
                   : fakesys_live_start(yaml, &live, &eb),
                 0),
              "%s", eb.msg);
    root = xstrdup(fakesys_live_root(live));
    d = dump_live(ret_err);
    got = gpu_3e_provider(d);
    cJSON_Delete(d);
    dev = xasprintf("%s/" PATH_3E, root);
    *ret_fired = lstat(dev, &st) < 0;
    fakesys_live_stop(live);
    live = NULL;
    free(root);
    root = NULL;
    return got;
}

/* Every 7th k: a fresh mount each (about 0.5 s); about 110 reads reach
 * the m60's GPU 3e, its 11 types at 7 to 10 reads each. */
#define UNPLUG_STRIDE 7

/* GPU 3e is hot-unplugged after k reads of its files (the fake kernel's
 * fault hook), for k = 1, 8, 15 ... until the scan no longer gets that far.
 * Wherever the scan was, dump reports the GPU as it was whole, or not at
 * all with a warning naming it; never a GPU with part of its types (which
 * can give it another type: a wrong inventory and traits). */
Test(run_faults, a_gpu_unplugged_mid_scan_is_reported_whole_or_not_at_all,
     .timeout = 600)
{
    _cleanup_free_ char *whole = NULL, *err = NULL;
    unsigned long k;
    unsigned dropped = 0;
    bool fired;

    write_conf(NULL, "test:///default", NULL, placement_server_url(srv));
    whole = dump_unplugging(0, &err, &fired);
    cr_assert(ne(ptr, whole, NULL), "GPU 3e has a provider: %s", err);
    for (k = 1;; k += UNPLUG_STRIDE) {
        _cleanup_free_ char *got = NULL, *msgs = NULL;

        cr_assert(lt(ulong, k, 1000), "the hook never stopped firing");
        got = dump_unplugging(k, &msgs, &fired);
        if (!fired)
            break;
        if (got) {
            cr_assert(eq(str, got, whole),
                      "unplugged after %lu reads: GPU 3e reported with part "
                      "of its types\n%s",
                      k, msgs);
            continue;
        }
        dropped++;
        cr_assert(ne(ptr, strstr(msgs, "class/mdev_bus/" GPU_3E), NULL),
                  "unplugged after %lu reads: dropped without a warning "
                  "naming it: %s",
                  k, msgs);
    }
    fprintf(stderr,
            "run_faults: GPU 3e unplugged after 1..%lu reads (every %d): "
            "dropped %u times, else reported whole\n",
            k - UNPLUG_STRIDE, UNPLUG_STRIDE, dropped);
    cr_assert(gt(u32, dropped, 0), "never dropped: the hook tested nothing");
}

/* --- run --interval / --passes ------------------------------------------- */

Test(run_faults,
     passes_ends_with_the_last_pass_status_and_bad_options_are_usage)
{
    _cleanup_free_ char *conf = xasprintf("%s/agent.yaml", tmp);
    static const char *const bad[][2] = {
        { "--interval", "0" },   { "--interval", "soon" },
        { "--interval", "nan" }, { "--interval", "86401" },
        { "--passes", "0" },     { "--passes", "-1" },
        { "--passes", "2x" },
    };
    struct agentrun r = { 0 };

    root = fixture_host("m60");
    proxy = fault_proxy_start(placement_server_url(srv));
    write_conf(NULL, "test:///default", NULL, fault_proxy_url(proxy));
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        agentrun(&r,
                 (const char *const[]){ "-c", conf, "--sysfs-root", root, "run",
                                        bad[i][0], bad[i][1], NULL });
        cr_assert(eq(int, r.status, 2), "run %s %s: %s", bad[i][0], bad[i][1],
                  r.err);
        cr_assert(ne(ptr, strstr(r.err, bad[i][0]), NULL),
                  "the message names the option: %s", r.err);
        cr_assert(eq(ulong, received(), 0), "no pass ran");
        agentrun_clear(&r);
    }
    /* Placement down: every pass fails, the last one too */
    fault_proxy_set(proxy, "down", NULL);
    agentrun(&r, (const char *const[]){ "-v", "-c", conf, "--sysfs-root", root,
                                        "run", "--interval", "0.01", "--passes",
                                        "3", NULL });
    cr_assert(eq(int, r.status, 1), "%s", r.err);
    cr_assert(ne(ptr, strstr(r.err, "3 passes: stopping"), NULL), "%s", r.err);
    agentrun_clear(&r);
    /* back up: the last pass succeeds */
    fault_proxy_set(proxy, "pass", NULL);
    agentrun(&r, (const char *const[]){ "-v", "-c", conf, "--sysfs-root", root,
                                        "run", "--interval", "0.01", "--passes",
                                        "2", NULL });
    cr_assert(eq(int, r.status, 0), "%s", r.err);
    cr_assert(eq(ptr, strstr(r.err, "Sanitizer"), NULL), "%s", r.err);
    agentrun_clear(&r);
    assert_placement_holds_dump();
}
