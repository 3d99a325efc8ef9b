/*
 * bench-sync.c - `make bench`: what a sync costs, against the real Placement.
 *
 * Not a test: it prints what a sync costs in requests, time and memory, and
 * notes where that is not what the agent promises (an unchanged pass is one
 * request and writes nothing).  For hosts of 1, 16, 64 and 256 time-sliced
 * GPUs (test/bench/benchhost.c) it starts a fresh Placement and runs the
 * built binary as an operator would:
 *
 *   first sync       requests and wall time, on an empty Placement
 *   unchanged sync   a fresh process: requests, and writes (none expected)
 *   run              interval_s 1; the first pass re-reads everything, the
 *                    ones after it are unchanged passes (1 request expected)
 *   Nova             the same first sync by Nova's report client, on a
 *                    fresh Placement (test/bench/nova-sync.py), when
 *                    python3-nova is installed
 *
 * Requests are the agent's own count (its -v "pass ...; N requests" line),
 * checked against Placement's request log, which also gives the writes.
 * Peak RSS is the agent child's ru_maxrss.
 *
 * The server is the harness's default shape, production-shaped uwsgi over
 * PostgreSQL; VGPU_PLACEMENT_SERVER=wsgiref measures against the single
 * Python process on sqlite instead (placement-server.h).
 *
 * It is a Criterion binary with one test because the Placement harness
 * (test/placement-server.c) reports failures with cr_assert.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentrun.h"
#include "bench/benchagent.h"
#include "bench/benchhost.h"
#include "bench/novasync.h"
#include "cleanup.h"
#include "fixture.h"
#include "placement-server.h"
#include "xalloc.h"

/* Placement as production runs it (placement-server.h) */
PLACEMENT_SERVER_PREFER(UWSGI);

#define RUN_PASSES 4 /* the full re-read, then 3 unchanged */
#define PLACEMENT_EGG "/usr/lib/python3/dist-packages/openstack_placement"

/* Placement's request log over one phase. */
struct served {
    unsigned long requests, writes;
};

struct phase {
    struct pass_cost passes[RUN_PASSES];
    size_t n_passes;
    struct served served;
    double ms, cpu_ms, server_cpu_ms;
    long rss;
};

struct row {
    unsigned n;
    struct phase first, again, run;
    struct novasync_vs vs; /* against Nova's first sync */
    double start_ms;       /* placement_server_start() */
};

/* What .fini must undo if an assertion ends the benchmark early. */
static struct placement_server *srv;
static char *workdir;
static const char *server_kind = "?"; /* placement_server_kind_name() */

/* --- what Placement saw ------------------------------------------------ */

/* Requests and writes in Placement's request log so far: one
 * `127.0.0.1 "METHOD /path" status: ...` line per request. */
static struct served
served_so_far(void)
{
    _cleanup_free_ char *log = placement_server_log(srv);
    struct served s = { 0 };

    for (const char *p = log; (p = strstr(p, "127.0.0.1 \"")) != NULL; p++) {
        const char *method = p + strlen("127.0.0.1 \"");
        const char *eol = strchr(p, '\n');
        const char *st = strstr(p, "\" status: ");

        if (!st || (eol && st > eol))
            continue;
        s.requests++;
        if (strncmp(method, "GET ", 4) != 0 && strncmp(method, "HEAD ", 5) != 0)
            s.writes++;
    }
    return s;
}

static char *
root_uuid(void)
{
    cJSON *j = placement_server_get_json(
        srv, "/resource_providers?name=" BENCHHOST_NODE);
    const cJSON *rp =
        cJSON_GetArrayItem(cJSON_GetObjectItem(j, "resource_providers"), 0);
    const char *uuid = cJSON_GetStringValue(cJSON_GetObjectItem(rp, "uuid"));
    char *copy;

    cr_assert(uuid != NULL, "no root provider named " BENCHHOST_NODE);
    copy = xstrdup(uuid);
    cJSON_Delete(j);
    return copy;
}

/* " uuid=generation ..." of the tree, in Placement's order; *ret_n
 * providers. */
static char *
generations(const char *root, size_t *ret_n)
{
    _cleanup_free_ char *path =
        xasprintf("/resource_providers?in_tree=%s", root);
    cJSON *tree = placement_server_get_json(srv, path);
    const cJSON *rp;
    char *s = xstrdup("");
    size_t n = 0;

    cJSON_ArrayForEach(rp, cJSON_GetObjectItem(tree, "resource_providers")) {
        char *next = xasprintf("%s %s=%d", s,
                               cJSON_GetObjectItem(rp, "uuid")->valuestring,
                               cJSON_GetObjectItem(rp, "generation")->valueint);
        free(s);
        s = next;
        n++;
    }
    cJSON_Delete(tree);
    *ret_n = n;
    return s;
}

/* "8.0.0" from the egg-info directory name, else "?". */
static char *
placement_package_version(void)
{
    glob_t g = { 0 };
    char *v = NULL;

    if (glob(PLACEMENT_EGG "-*.egg-info", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        const char *ver = g.gl_pathv[0] + strlen(PLACEMENT_EGG "-");
        const char *end = strstr(ver, ".egg-info");

        v = xasprintf("%.*s", (int)(end - ver), ver);
    }
    globfree(&g);
    return v ? v : xstrdup("?");
}

static char *
placement_api_version(void)
{
    cJSON *j = placement_server_get_json(srv, "/");
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "versions"), 0);
    const char *max =
        cJSON_GetStringValue(cJSON_GetObjectItem(v, "max_version"));
    char *copy = xstrdup(max ? max : "?");

    cJSON_Delete(j);
    return copy;
}

/* --- one host size ------------------------------------------------------- */

/* Run the agent with command; fill ph from its log and Placement's. */
static void
measure(const char *conf, const char *sys, const char *command,
        size_t stop_after, struct phase *ph)
{
    const char *const args[] = { "-v", "-c",    conf, "--sysfs-root",
                                 sys,  command, NULL };
    struct served before = served_so_far(), after;
    double server_cpu = placement_server_cpu_ms(srv);
    struct agent_run run;

    benchagent_run(args, stop_after, &run);
    ph->server_cpu_ms = placement_server_cpu_ms(srv) - server_cpu;
    after = served_so_far();
    ph->n_passes = benchagent_passes(run.err, ph->passes, RUN_PASSES);
    ph->served = (struct served){ after.requests - before.requests,
                                  after.writes - before.writes };
    ph->ms = run.ms;
    ph->cpu_ms = run.cpu_ms;
    ph->rss = run.maxrss_kib;
    cr_assert(run.status == 0, "vgpu-agent %s exited %d:\n%s", command,
              run.status, run.err);
    cr_assert(ph->n_passes >= 1 && ph->passes[0].done,
              "vgpu-agent %s: no completed pass in its log:\n%s", command,
              run.err);
    free(run.err);
}

static void
host_prepare(unsigned n, char **ret_conf, char **ret_sys, double *ret_start_ms)
{
    _cleanup_free_ char *yaml = NULL;
    struct errbuf eb = { 0 };
    int r;

    workdir = fixture_tmpdir();
    yaml = xasprintf("%s/host.yaml", workdir);
    *ret_sys = xasprintf("%s/sys", workdir);
    *ret_conf = xasprintf("%s/agent.yaml", workdir);
    r = benchhost_write_yaml(yaml, n);
    cr_assert(r == 0, "%s: %s", yaml, strerror(-r));
    cr_assert(mkdir(*ret_sys, 0700) == 0, "%s: %s", *ret_sys, strerror(errno));
    cr_assert(fakesys_materialize(yaml, *ret_sys, &eb) == 0, "%s", eb.msg);
    *ret_start_ms = benchagent_now_ms();
    srv = placement_server_start();
    *ret_start_ms = benchagent_now_ms() - *ret_start_ms;
    r = benchhost_write_conf(*ret_conf, placement_server_url(srv));
    cr_assert(r == 0, "%s: %s", *ret_conf, strerror(-r));
}

static void
host_done(void)
{
    placement_server_stop(srv);
    srv = NULL;
    if (workdir)
        fixture_rm_rf(workdir);
    free(workdir);
    workdir = NULL;
}

/* Nova's report client does the same first sync on a fresh Placement:
 * the tree of the agent's dump, which Placement must then hold. */
static void
bench_nova(const char *conf, const char *sys, struct row *row)
{
    _cleanup_free_ char *path = xasprintf("%s/dump.json", workdir);
    _cleanup_free_ char *err = NULL, *text = NULL;
    cJSON *dump = agentrun_dump(conf, sys);
    struct served before;
    FILE *f = fopen(path, "we");

    text = cJSON_Print(dump);
    cr_assert(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0, "%s", path);
    placement_server_stop(srv);
    srv = placement_server_start();
    before = served_so_far();
    row->vs.nova_server_ms = placement_server_cpu_ms(srv);
    if (novasync_run(placement_server_url(srv), path, &row->vs.nova, &err) < 0)
        cr_assert_fail("test/bench/nova-sync.py:\n%s", err);
    row->vs.nova_server_ms =
        placement_server_cpu_ms(srv) - row->vs.nova_server_ms;
    row->vs.nova_logged = served_so_far().requests - before.requests;
    row->vs.nova_done = true;
    placement_server_assert_tree(srv, dump);
    cJSON_Delete(dump);
}

/* Measure a host of n GPUs; with ret_api, also note Placement's API
 * version. */
static void
bench_host(unsigned n, struct row *row, char **ret_api)
{
    _cleanup_free_ char *conf = NULL, *sys = NULL, *root = NULL;
    _cleanup_free_ char *gen_before = NULL, *gen_after = NULL;
    size_t providers = 0;

    row->n = n;
    host_prepare(n, &conf, &sys, &row->start_ms);
    if (ret_api) {
        *ret_api = placement_api_version();
        server_kind = placement_server_kind_name(srv);
    }
    measure(conf, sys, "sync", 0, &row->first);
    root = root_uuid();
    gen_before = generations(root, &providers);
    cr_assert(providers == n + 1, "%u GPUs: %zu providers in Placement", n,
              providers);
    measure(conf, sys, "sync", 0, &row->again);
    gen_after = generations(root, &providers);
    cr_assert(strcmp(gen_before, gen_after) == 0,
              "%u GPUs: an unchanged sync moved a generation", n);
    measure(conf, sys, "run", RUN_PASSES, &row->run);
    cr_assert(row->run.n_passes >= RUN_PASSES, "run: %zu passes",
              row->run.n_passes);
    row->vs.gpus = n;
    row->vs.agent_requests = row->first.passes[0].requests;
    row->vs.agent_ms = row->first.ms;
    row->vs.agent_cpu_ms = row->first.cpu_ms;
    row->vs.agent_server_ms = row->first.server_cpu_ms;
    if (novasync_available())
        bench_nova(conf, sys, row);
    host_done();
}

/* --- the report -------------------------------------------------------- */

/* Most requests any unchanged run pass (all but the first) cost. */
static unsigned long
run_pass_max(const struct phase *run)
{
    unsigned long max = 0;

    for (size_t i = 1; i < run->n_passes && i < RUN_PASSES; i++)
        if (run->passes[i].requests > max)
            max = run->passes[i].requests;
    return max;
}

/* What the server is, in the words of the header. */
static const char *
server_shape(const char *kind)
{
    return strcmp(kind, "uwsgi") == 0
               ? "uwsgi as Debian's placement-api runs it, 2 processes x 8 "
                 "threads,\nConnection: close, PostgreSQL 15"
               : "one Python process, wsgiref, sqlite, writes serialized";
}

static void
print_header(const char *pkg, const char *api, const char *kind)
{
    printf("vgpu-agent sync cost against the real Placement %s (API up to "
           "%s; 127.0.0.1;\n%s)\n"
           "one enabled type, %s, on every GPU; requests as the agent counts "
           "them, writes as Placement\nlogged them; ms is wall time, mostly "
           "Placement's; agent ms is the agent's own CPU time\n\n",
           pkg, api, server_shape(kind), BENCHHOST_TYPE);
    printf("%5s | %-25s | %-24s | %-21s | %s\n", "", "first sync",
           "unchanged sync", "run (interval_s 1)", "peak RSS KiB");
    printf("%5s | %8s %7s %8s | %8s %6s %8s | %10s %10s | %7s %7s\n", "GPUs",
           "requests", "ms", "agent ms", "requests", "writes", "ms",
           "full pass", "next pass", "sync", "run");
}

static void
print_row(const struct row *r)
{
    printf("%5u | %8lu %7.0f %8.0f | %8lu %6lu %8.0f | %10lu %10lu | %7ld "
           "%7ld\n",
           r->n, r->first.passes[0].requests, r->first.ms, r->first.cpu_ms,
           r->again.passes[0].requests, r->again.served.writes, r->again.ms,
           r->run.passes[0].requests, run_pass_max(&r->run), r->first.rss,
           r->run.rss);
}

/* Anything that breaks the promises: the agent's request count is what
 * Placement logged, an unchanged sync writes nothing, an unchanged run
 * pass is one request. */
static void
print_notes(const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        const struct phase *phases[] = { &r->first, &r->again };

        for (size_t k = 0; k < 2; k++)
            if (phases[k]->served.requests != phases[k]->passes[0].requests)
                printf("NOTE %u GPUs: the agent counted %lu requests, "
                       "Placement logged %lu\n",
                       r->n, phases[k]->passes[0].requests,
                       phases[k]->served.requests);
        if (r->again.served.writes > 0)
            printf("NOTE %u GPUs: the unchanged sync wrote %lu times\n", r->n,
                   r->again.served.writes);
        if (run_pass_max(&r->run) > 1)
            printf("NOTE %u GPUs: an unchanged run pass cost %lu requests\n",
                   r->n, run_pass_max(&r->run));
    }
}

static void
print_scale(const struct row *rows, size_t n)
{
    printf("\nFor scale: Nova's report client re-reads every "
           "provider's inventory, traits\nand aggregates every 300 s, and "
           "every provider's allocations every 60 s.\n\n");
    printf("%-50s", "requests per 300 s, for GPUs:");
    for (size_t i = 0; i < n; i++)
        printf(" %6u", rows[i].n);
    printf("\n%-50s", "Nova's 300 s re-read alone (3 x providers)");
    for (size_t i = 0; i < n; i++)
        printf(" %6u", 3 * (rows[i].n + 1));
    printf("\n%-50s", "this agent, interval_s 60 (1 full + 4 unchanged)");
    for (size_t i = 0; i < n; i++)
        printf(" %6lu",
               rows[i].run.passes[0].requests + 4 * run_pass_max(&rows[i].run));
    printf("\n");
}

static void
bench_fini(void)
{
    host_done();
}

/* The start-up times of the servers the rows started. */
static void
print_start(const struct row *rows, size_t n)
{
    double min = rows[0].start_ms, max = rows[0].start_ms;

    for (size_t i = 1; i < n; i++) {
        min = rows[i].start_ms < min ? rows[i].start_ms : min;
        max = rows[i].start_ms > max ? rows[i].start_ms : max;
    }
    printf("\nPlacement (%s) start-up, until every worker serves: %.0f to "
           "%.0f ms over %zu starts\n",
           server_kind, min, max, n);
}

Test(bench, sync_cost, .fini = bench_fini, .timeout = 3600)
{
    unsigned sizes[32];
    int n = benchhost_sizes(getenv("VGPU_BENCH_GPUS"), sizes,
                            sizeof(sizes) / sizeof(*sizes));
    struct row rows[sizeof(sizes) / sizeof(*sizes)] = { 0 };
    struct novasync_vs vs[sizeof(sizes) / sizeof(*sizes)];
    _cleanup_free_ char *pkg = placement_package_version();
    _cleanup_free_ char *api = NULL;
    double start = benchagent_now_ms();

    cr_assert(n > 0, "VGPU_BENCH_GPUS=%s: not a list of 1..1024",
              getenv("VGPU_BENCH_GPUS"));
    for (int i = 0; i < n; i++) {
        bench_host(sizes[i], &rows[i], api ? NULL : &api);
        vs[i] = rows[i].vs;
        fprintf(stderr, "bench: %u GPUs measured\n", sizes[i]);
    }
    print_header(pkg, api, server_kind);
    for (int i = 0; i < n; i++)
        print_row(&rows[i]);
    print_notes(rows, (size_t)n);
    print_scale(rows, (size_t)n);
    novasync_print(vs, (size_t)n);
    print_start(rows, (size_t)n);
    printf("(benchmark took %.0f s)\n", (benchagent_now_ms() - start) / 1e3);
    fflush(stdout);
}
