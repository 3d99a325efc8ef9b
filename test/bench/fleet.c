/*
 * fleet.c - the agent processes of `make bench-fleet` (see fleet.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchhost.h"
#include "cleanup.h"
#include "fixture.h"
#include "fleet.h"
#include "testproc.h"
#include "testsecrets.h"
#include "xalloc.h"

#define STOP_GRACE_MS 10000

static void
write_conf(const struct fleet *f, const struct fleet_agent *a, const char *url)
{
    _cleanup_free_ char *text =
        xasprintf("node_name: %s\n"
                  "enabled_mdev_types: [%s]\n"
                  "interval_s: %u\n"
                  "full_refresh_s: %u\n" /* Nova's 300 s per 60 s, scaled */
                  "lock_file: %s/lock\n"
                  "state_dir: %s/state\n"
                  "machine_id_file: %s/machine-id\n"
                  /* reconcile on, as by default: no guest, no claim */
                  "libvirt_uri: test:///default\n"
                  "reconcile: {mdevctl_dir: %s/mdevctl.d}\n"
                  "placement:\n"
                  "  endpoint: %s\n"
                  "  token: %s\n",
                  a->node, BENCHHOST_TYPE, f->interval_s, 5 * f->interval_s,
                  a->dir, a->dir, a->dir, a->dir, url, TEST_TOKEN);

    fixture_write(a->conf, text, 0600);
}

static void
agent_prepare(const struct fleet *f, struct fleet_agent *a, size_t i,
              const char *url)
{
    _cleanup_free_ char *state = NULL, *mid = NULL, *id = NULL;

    a->dir = xasprintf("%s/host-%04zu", f->dir, i);
    a->conf = xasprintf("%s/agent.yaml", a->dir);
    a->log = xasprintf("%s/agent.log", a->dir);
    a->node = xasprintf("fleet-%04zu", i);
    a->pid = -1;
    state = xasprintf("%s/state", a->dir);
    cr_assert(mkdir(a->dir, 0700) == 0 && mkdir(state, 0700) == 0, "%s: %s",
              a->dir, strerror(errno));
    /* a distinct machine ID, so a distinct owner trait, per host */
    id = xasprintf("%016zx%016zx\n", (size_t)0xf1ee7, i + 1);
    mid = xasprintf("%s/machine-id", a->dir);
    fixture_write(mid, id, 0644);
    write_conf(f, a, url);
}

void
fleet_prepare(struct fleet *f, size_t n, unsigned interval_s, const char *url)
{
    _cleanup_free_ char *yaml = NULL;
    struct errbuf eb = { 0 };
    int r;

    f->dir = fixture_tmpdir();
    f->n = n;
    f->interval_s = interval_s;
    f->agents = xcalloc(n, sizeof(*f->agents));
    yaml = xasprintf("%s/host.yaml", f->dir);
    f->sys = xasprintf("%s/sys", f->dir);
    r = benchhost_write_yaml(yaml, FLEET_GPUS);
    cr_assert(r == 0, "%s: %s", yaml, strerror(-r));
    cr_assert(mkdir(f->sys, 0700) == 0, "%s: %s", f->sys, strerror(errno));
    cr_assert(fakesys_materialize(yaml, f->sys, &eb) == 0, "%s", eb.msg);
    for (size_t i = 0; i < n; i++)
        agent_prepare(f, &f->agents[i], i, url);
}

static void
agent_start(const struct fleet *f, struct fleet_agent *a, char *bin)
{
    char *argv[] = { bin,    "-v",  "-c", a->conf, "--sysfs-root",
                     f->sys, "run", NULL };
    int log = open(a->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t parent = getpid();

    cr_assert(log >= 0 && null >= 0, "%s: %s", a->log, strerror(errno));
    a->pid = fork();
    cr_assert(a->pid >= 0, "fork: %s", strerror(errno));
    if (a->pid == 0)
        testproc_child_exec(parent, null, log, null, argv);
    close(log);
    close(null);
}

void
fleet_start(struct fleet *f)
{
    const char *builddir = getenv("VGPU_BUILDDIR");
    _cleanup_free_ char *bin = NULL;

    cr_assert(builddir != NULL, "VGPU_BUILDDIR is not set (make bench-fleet)");
    bin = xasprintf("%s/src/vgpu-agent", builddir);
    for (size_t i = 0; i < f->n; i++)
        if (f->agents[i].pid < 0)
            agent_start(f, &f->agents[i], bin);
}

void
fleet_stop(struct fleet *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->agents[i].pid > 0)
            kill(f->agents[i].pid, SIGTERM);
    for (size_t i = 0; i < f->n; i++) {
        struct fleet_agent *a = &f->agents[i];

        if (a->pid <= 0)
            continue;
        if (!testproc_reap(a->pid, STOP_GRACE_MS)) {
            kill(a->pid, SIGKILL);
            waitpid(a->pid, NULL, 0);
        }
        a->pid = -1;
    }
}

void
fleet_free(struct fleet *f)
{
    if (!f->agents)
        return;
    fleet_stop(f);
    for (size_t i = 0; i < f->n; i++) {
        free(f->agents[i].dir);
        free(f->agents[i].conf);
        free(f->agents[i].log);
        free(f->agents[i].node);
    }
    free(f->agents);
    if (f->dir)
        fixture_rm_rf(f->dir);
    free(f->dir);
    free(f->sys);
    *f = (struct fleet){ 0 };
}

void
fleet_mark(struct fleet *f)
{
    for (size_t i = 0; i < f->n; i++) {
        struct stat st;

        f->agents[i].mark = stat(f->agents[i].log, &st) == 0 ? st.st_size : 0;
        f->agents[i].done_ms = -1;
        f->agents[i].to_done = 0;
        f->agents[i].passes_to_done = 0;
    }
}

/* What run logs (at -v) before a scheduled full re-read. */
#define FULL_LINE "re-reading Placement in full (every full_refresh_s"

/* The agent's log since its mark; free() it. */
static char *
log_since_mark(const struct fleet_agent *a)
{
    _cleanup_free_ char *all = testproc_read_file(a->log);
    size_t len = strlen(all);

    return xstrdup(all + ((size_t)a->mark < len ? (size_t)a->mark : len));
}

/* line is a pass line: whether done, and its requests. */
static bool
pass_line(const char *line, bool *ret_done, unsigned long *ret_req)
{
    const char *p = strstr(line, ": pass ");
    char state[16];
    unsigned c, u, d;

    if (!p || sscanf(p,
                     ": pass %15[a-z]: %u created, %u updated, %u deleted; "
                     "%lu requests",
                     state, &c, &u, &d, ret_req) != 5)
        return false;
    *ret_done = strcmp(state, "done") == 0;
    return true;
}

/* The line at *pos (a copy: free() it) and *pos moved past it; NULL at
 * the end.  A copy, so that matching stays within the line. */
static char *
line_next(const char **pos)
{
    const char *p = *pos, *eol = strchr(p, '\n');

    if (!*p)
        return NULL;
    *pos = eol ? eol + 1 : p + strlen(p);
    return eol ? xstrndup(p, (size_t)(eol - p)) : xstrdup(p);
}

/* Calls fn for every pass line of text in order until it returns false. */
static void
passes_each(const char *text, bool (*fn)(bool done, unsigned long req, void *),
            void *arg)
{
    const char *pos = text;
    char *line;

    while ((line = line_next(&pos)) != NULL) {
        bool done = false;
        unsigned long req = 0;
        bool is_pass = pass_line(line, &done, &req);

        free(line);
        if (is_pass && !fn(done, req, arg))
            return;
    }
}

/* What the lines since the last pass line said of the next pass. */
struct pass_context {
    bool full;    /* a scheduled full re-read */
    bool failure; /* an error, or a pass that did not finish */
};

static void
count_pass(struct fleet_scan *s, const struct pass_context *ctx, bool done,
           unsigned long req)
{
    s->passes++;
    s->done += done;
    s->requests += req;
    if (!done || ctx->failure) {
        s->failed++;
    } else if (ctx->full) {
        s->full++;
        s->full_requests += req;
    } else if (req == 1) {
        s->one_request++;
    } else {
        s->other++;
        s->other_requests += req;
    }
}

/* One agent's log: its passes after the mark, each judged by the lines
 * since the pass before it, which may be before the mark (a full re-read
 * announced just before it). */
static void
scan_agent(const struct fleet_agent *a, struct fleet_scan *s)
{
    _cleanup_free_ char *text = testproc_read_file(a->log);
    struct pass_context ctx = { 0 };
    unsigned long done_before = s->done;
    const char *pos = text;

    for (;;) {
        long at = (long)(pos - text);
        _cleanup_free_ char *line = line_next(&pos);
        bool done;
        unsigned long req;

        if (!line)
            break;
        if (pass_line(line, &done, &req)) {
            if (at >= a->mark)
                count_pass(s, &ctx, done, req);
            ctx = (struct pass_context){ .failure = !done };
        } else if (strstr(line, FULL_LINE)) {
            ctx.full = true;
        } else if (strstr(line, ": error: ")) {
            ctx.failure = true;
        }
    }
    s->hosts_done += s->done > done_before;
}

struct fleet_scan
fleet_scan(const struct fleet *f)
{
    struct fleet_scan s = { 0 };

    for (size_t i = 0; i < f->n; i++)
        scan_agent(&f->agents[i], &s);
    return s;
}

/* An agent's passes counted up to, or after, its first done one. */
struct pass_tally {
    unsigned long requests, passes;
    bool done;
};

static bool
until_done(bool done, unsigned long req, void *arg)
{
    struct pass_tally *t = arg;

    t->requests += req;
    t->passes++;
    t->done = done;
    return !done;
}

double
fleet_wait_done(struct fleet *f, double start_ms, long timeout_ms)
{
    double deadline = start_ms + (double)timeout_ms, last = start_ms;
    size_t left = f->n;

    while (left > 0) {
        double now = (double)testproc_now_ms();

        if (now > deadline)
            return -1;
        for (size_t i = 0; i < f->n; i++) {
            struct fleet_agent *a = &f->agents[i];
            _cleanup_free_ char *text = NULL;
            struct pass_tally t = { 0 };

            if (a->done_ms >= 0)
                continue;
            text = log_since_mark(a);
            passes_each(text, until_done, &t);
            if (!t.done)
                continue;
            a->done_ms = now - start_ms;
            a->to_done = t.requests;
            a->passes_to_done = t.passes;
            last = now;
            left--;
        }
        if (left > 0)
            testproc_sleep_ms(100);
    }
    return last - start_ms;
}

unsigned long
fleet_anon_kib(const struct fleet *f)
{
    unsigned long sum = 0;

    for (size_t i = 0; i < f->n; i++) {
        _cleanup_free_ char *path = NULL, *status = NULL;
        const char *p;

        if (f->agents[i].pid <= 0)
            continue;
        path = xasprintf("/proc/%d/status", (int)f->agents[i].pid);
        status = testproc_read_file(path);
        p = strstr(status, "RssAnon:");
        if (p)
            sum += strtoul(p + strlen("RssAnon:"), NULL, 10);
    }
    return sum;
}

static bool
count_after_done(bool done, unsigned long req, void *arg)
{
    struct pass_tally *t = arg;

    if (t->done) {
        t->requests += req;
        t->passes++;
    }
    t->done = t->done || done;
    return true;
}

unsigned long
fleet_requests_after_done(const struct fleet *f, unsigned long *ret_passes)
{
    unsigned long sum = 0, passes = 0;

    for (size_t i = 0; i < f->n; i++) {
        _cleanup_free_ char *text = log_since_mark(&f->agents[i]);
        struct pass_tally t = { 0 };

        passes_each(text, count_after_done, &t);
        sum += t.requests;
        passes += t.passes;
    }
    *ret_passes = passes;
    return sum;
}

unsigned long
fleet_requests_to_done(const struct fleet *f, unsigned long *ret_passes)
{
    unsigned long sum = 0, passes = 0;

    for (size_t i = 0; i < f->n; i++) {
        sum += f->agents[i].to_done;
        passes += f->agents[i].passes_to_done;
    }
    *ret_passes = passes;
    return sum;
}
