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
#include "bench/benchhost.h"
#include "bench/novasync.h"
#include "cleanup.h"
#include "fixture.h"
#include "placement-server.h"
#include "xalloc.h"

/* Placement as production runs it (placement-server.h) */
PLACEMENT_SERVER_PREFER(UWSGI);

#define RUN_PASSES 4             /* the full re-read, then 3 unchanged */
#define AGENT_TIMEOUT_MS 180000L /* one agent process, 256 GPUs included */
#define PLACEMENT_EGG "/usr/lib/python3/dist-packages/openstack_placement"

extern char **environ;

/* One agent process. */
struct agent_run {
    int status;      /* exit status; 128 + signal if killed */
    char *err;       /* its stderr */
    long maxrss_kib; /* ru_maxrss */
    double ms;       /* wall time, spawn to exit */
    double cpu_ms;   /* its user + system time */
};

/* One "pass ...: ... ; N requests" line of the agent's log. */
struct pass_cost {
    unsigned long requests;
    unsigned created, updated, deleted;
    bool done;
};

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

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double
tv_ms(const struct timeval *tv)
{
    return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

/* --- the agent as a child process -------------------------------------- */

static pid_t
agent_spawn(const char *const *args, int *ret_fd)
{
    const char *builddir = getenv("VGPU_BUILDDIR");
    _cleanup_free_ char *bin = NULL;
    posix_spawn_file_actions_t fa;
    char *argv[16] = { NULL };
    size_t n = 0;
    int p[2];
    pid_t pid;

    cr_assert(builddir != NULL, "VGPU_BUILDDIR is not set (run make bench)");
    bin = xasprintf("%s/src/vgpu-agent", builddir);
    while (args[n])
        n++;
    cr_assert(n + 2 <= sizeof(argv) / sizeof(*argv), "too many arguments");
    argv[0] = bin;
    memcpy(argv + 1, args, n * sizeof(*argv)); /* posix_spawn's char *[] */
    cr_assert(pipe2(p, O_CLOEXEC) == 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY,
                                     0);
    posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
    cr_assert(posix_spawn(&pid, bin, &fa, NULL, argv, environ) == 0,
              "cannot run %s", bin);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    *ret_fd = p[0];
    return pid;
}

/* "pass done: 0 created, 0 updated, 0 deleted; 1 requests" lines. */
static size_t
passes_parse(const char *log, struct pass_cost *ret, size_t max)
{
    size_t n = 0;

    for (const char *p = log; (p = strstr(p, ": pass ")) != NULL; p++) {
        struct pass_cost c = { 0 };
        char state[16];

        if (sscanf(p,
                   ": pass %15[a-z]: %u created, %u updated, %u "
                   "deleted; %lu requests",
                   state, &c.created, &c.updated, &c.deleted, &c.requests) != 5)
            continue;
        c.done = strcmp(state, "done") == 0;
        if (ret && n < max)
            ret[n] = c;
        n++;
    }
    return n;
}

/* Read the child's stderr to EOF; with stop_after, SIGTERM it once it has
 * logged that many passes.  A child past the timeout is killed. */
static char *
agent_drain(pid_t pid, int fd, size_t stop_after)
{
    double deadline = now_ms() + AGENT_TIMEOUT_MS;
    size_t len = 0, cap = 4096;
    char *buf = xmalloc(cap);
    bool signalled = false;

    for (;;) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        double left = deadline - now_ms();
        ssize_t got;

        if (left <= 0 && !signalled) {
            kill(pid, SIGKILL);
            signalled = true;
        }
        if (poll(&pfd, 1, left > 0 ? (int)left : 1000) < 0 && errno != EINTR)
            break;
        if (!(pfd.revents & (POLLIN | POLLHUP)))
            continue;
        if (cap - len < 4097)
            buf = xrealloc(buf, cap *= 2);
        got = read(fd, buf + len, cap - len - 1);
        if (got <= 0)
            break;
        len += (size_t)got;
        buf[len] = '\0';
        if (stop_after && !signalled &&
            passes_parse(buf, NULL, 0) >= stop_after) {
            kill(pid, SIGTERM);
            signalled = true;
        }
    }
    buf[len] = '\0';
    close(fd);
    return buf;
}

static void
agent_run(const char *const *args, size_t stop_after, struct agent_run *ret)
{
    double start = now_ms();
    struct rusage ru = { 0 };
    int fd, status = 0;
    pid_t pid = agent_spawn(args, &fd);
    char *err = agent_drain(pid, fd, stop_after);

    cr_assert(wait4(pid, &status, 0, &ru) == pid, "wait4: %s", strerror(errno));
    *ret = (struct agent_run){
        .status =
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
        .err = err,
        .maxrss_kib = ru.ru_maxrss,
        .ms = now_ms() - start,
        .cpu_ms = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime),
    };
}

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

    agent_run(args, stop_after, &run);
    ph->server_cpu_ms = placement_server_cpu_ms(srv) - server_cpu;
    after = served_so_far();
    ph->n_passes = passes_parse(run.err, ph->passes, RUN_PASSES);
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
    *ret_start_ms = now_ms();
    srv = placement_server_start();
    *ret_start_ms = now_ms() - *ret_start_ms;
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
    double start = now_ms();

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
    printf("(benchmark took %.0f s)\n", (now_ms() - start) / 1e3);
    fflush(stdout);
}
