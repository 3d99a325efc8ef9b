/*
 * bench-fleet.c - `make bench-fleet`: what a fleet of agents costs one
 * production-shaped Placement, beside Nova's report client.
 *
 * Not a test, and not part of `make check`: N real agent processes
 * (test/bench/fleet.h; $VGPU_BENCH_FLEET_N, default 200), each its own
 * host of 4 GPUs, `run` with interval_s 10 standing for 60 s (full_refresh_s
 * scaled the same way), against the harness's default Placement (uwsgi as
 * Debian's placement-api runs it, over PostgreSQL 15).  Phases:
 *
 *   first start    every agent started at once on an empty Placement
 *   steady         a window of unchanged passes
 *   restart storm  every agent stopped, then all started at once
 *   outage         Placement killed for 20 s and started again
 *   Nova           K hosts ($VGPU_BENCH_FLEET_K, default N) of
 *                  python3-nova's SchedulerReportClient in one process
 *                  (test/bench/nova-fleet.py), on a fresh Placement: first
 *                  start, steady, restart
 *
 * Each phase's main figures go to stderr as it ends (a long run that
 * fails later still shows them); the table beside Nova's at the end.
 * Requests are what Placement's request log holds (test/bench/reqlog.h)
 * and, for the agents, what each counted up to its first done pass;
 * Placement's CPU is its workers' and its PostgreSQL backends'.  After the
 * agents' phases every host's tree in Placement is compared with its dump.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentrun.h"
#include "bench/fleet.h"
#include "bench/novafleet.h"
#include "bench/reqlog.h"
#include "cleanup.h"
#include "fixture.h"
#include "placement-server.h"
#include "testproc.h"
#include "xalloc.h"

/* Placement as production runs it (placement-server.h) */
PLACEMENT_SERVER_PREFER(UWSGI);

/* One phase as Placement saw it. */
struct window {
    size_t log_from; /* request log offset at the start */
    double cpu_ms;   /* Placement's CPU at the start, then over it */
    double start_ms; /* testproc_now_ms() at the start, then its length */
    struct reqlog_count served;
};

/* Passes agents made after their first done one, within a phase. */
struct later {
    unsigned long requests, passes;
};

struct figures {
    size_t n, k;
    unsigned interval_s, steady_s, outage_s;
    struct window first, steady, restart, outage;
    double first_s, restart_s, outage_s_back; /* until every host done */
    double outage_restart_s; /* Placement's start-up after the outage */
    unsigned long first_own, restart_own;       /* the agents' counts */
    unsigned long first_passes, restart_passes; /* up to the done one */
    struct later first_later, restart_later;    /* passes after it */
    unsigned long restart_failed; /* passes that failed, or followed an error */
    unsigned long steady_passes;  /* done ones */
    struct fleet_scan steady_scan;
    unsigned long anon_kib;
    /* Nova */
    struct window nfirst, nsteady, nrestart;
    struct novafleet nova;
    bool nova_done, nova_failed;
};

static struct placement_server *srv;
static struct fleet fleet;
static char *novadir;

static unsigned
env_uint(const char *name, unsigned def)
{
    const char *v = getenv(name);
    unsigned long n = v && *v ? strtoul(v, NULL, 10) : def;

    cr_assert(n > 0 && n < 100000, "%s=%s: not a count", name, v);
    return (unsigned)n;
}

static size_t
log_len(void)
{
    _cleanup_free_ char *log = placement_server_log(srv);

    return strlen(log);
}

static void
window_open(struct window *w)
{
    w->log_from = log_len();
    w->cpu_ms = placement_server_cpu_ms(srv);
    w->start_ms = (double)testproc_now_ms();
}

static void
window_close(struct window *w)
{
    _cleanup_free_ char *log = placement_server_log(srv);

    w->served = reqlog_count(log, w->log_from);
    w->cpu_ms = placement_server_cpu_ms(srv) - w->cpu_ms;
    w->start_ms = (double)testproc_now_ms() - w->start_ms;
}

/* Providers Placement holds; every phase must leave 5 per host. */
static int
providers(void)
{
    cJSON *j = placement_server_get_json(srv, "/resource_providers");
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "resource_providers"));

    cJSON_Delete(j);
    return n;
}

static void
assert_providers(const struct figures *f, size_t hosts, const char *phase)
{
    int n = providers();

    cr_assert(n == (int)(hosts * (FLEET_GPUS + 1)),
              "after %s: %d providers in Placement, %zu hosts", phase, n,
              hosts);
    fprintf(stderr, "bench-fleet: %s done (%zu hosts)\n", phase, f->n);
}

static long
wait_ms(const struct figures *f)
{
    return 300000L + 2000L * (long)f->n;
}

static double
wait_all_done(struct figures *f, double start_ms, const char *phase)
{
    double ms = fleet_wait_done(&fleet, start_ms, wait_ms(f));

    cr_assert(ms >= 0, "%s: not every agent had a done pass in %ld s", phase,
              wait_ms(f) / 1000);
    return ms / 1e3;
}

/* --- the agents' phases -------------------------------------------------- */

/* What the agents did after their first done pass while the last were on
 * theirs: read before the window closes, so nothing logged after is left
 * out. */
static void
later_read(struct later *l)
{
    l->requests = fleet_requests_after_done(&fleet, &l->passes);
}

static void
phase_first(struct figures *f)
{
    fleet_mark(&fleet);
    window_open(&f->first);
    fleet_start(&fleet);
    f->first_s = wait_all_done(f, f->first.start_ms, "first start");
    later_read(&f->first_later);
    window_close(&f->first);
    f->first_own = fleet_requests_to_done(&fleet, &f->first_passes);
    assert_providers(f, f->n, "first start");
}

static void
phase_steady(struct figures *f)
{
    testproc_sleep_ms(1000L * f->interval_s); /* the first passes settle */
    fleet_mark(&fleet);
    window_open(&f->steady);
    testproc_sleep_ms(1000L * f->steady_s);
    window_close(&f->steady);
    f->steady_scan = fleet_scan(&fleet);
    f->steady_passes = f->steady_scan.done;
    f->anon_kib = fleet_anon_kib(&fleet);
    assert_providers(f, f->n, "steady");
}

static void
phase_restart(struct figures *f)
{
    fleet_stop(&fleet);
    fleet_mark(&fleet);
    window_open(&f->restart);
    fleet_start(&fleet);
    f->restart_s = wait_all_done(f, f->restart.start_ms, "restart storm");
    later_read(&f->restart_later);
    f->restart_failed = fleet_scan(&fleet).failed;
    window_close(&f->restart);
    f->restart_own = fleet_requests_to_done(&fleet, &f->restart_passes);
    assert_providers(f, f->n, "restart storm");
}

static void
phase_outage(struct figures *f)
{
    testproc_sleep_ms(1000L * f->interval_s);
    placement_server_kill(srv);
    testproc_sleep_ms(1000L * f->outage_s);
    fleet_mark(&fleet);
    f->outage.log_from = log_len();
    f->outage_restart_s = (double)testproc_now_ms();
    placement_server_restart(srv);
    f->outage_restart_s =
        ((double)testproc_now_ms() - f->outage_restart_s) / 1e3;
    f->outage.cpu_ms = placement_server_cpu_ms(srv);
    f->outage.start_ms = (double)testproc_now_ms();
    f->outage_s_back = wait_all_done(f, f->outage.start_ms, "outage");
    window_close(&f->outage);
    assert_providers(f, f->n, "outage");
}

/* Every host's tree in Placement is its dump. */
static void
check_trees(void)
{
    for (size_t i = 0; i < fleet.n; i++) {
        cJSON *dump = agentrun_dump(fleet.agents[i].conf, fleet.sys);

        placement_server_assert_tree(srv, dump);
        cJSON_Delete(dump);
    }
}

/* --- Nova ---------------------------------------------------------------- */

static void
nova_mark(const char *name, void *arg)
{
    struct figures *f = arg;

    if (!strcmp(name, "first"))
        window_open(&f->nfirst);
    else if (!strcmp(name, "first-done"))
        window_close(&f->nfirst);
    else if (!strcmp(name, "steady"))
        window_open(&f->nsteady);
    else if (!strcmp(name, "steady-done"))
        window_close(&f->nsteady);
    else if (!strcmp(name, "restart"))
        window_open(&f->nrestart);
    else if (!strcmp(name, "restart-done"))
        window_close(&f->nrestart);
}

static void
phase_nova(struct figures *f)
{
    _cleanup_free_ char *path = NULL, *text = NULL, *err = NULL;
    cJSON *dump;
    FILE *file;

    if (access("/usr/lib/python3/dist-packages/nova/scheduler/client/report.py",
               R_OK) != 0)
        return;
    novadir = fixture_tmpdir();
    path = xasprintf("%s/dump.json", novadir);
    dump = agentrun_dump(fleet.agents[0].conf, fleet.sys);
    text = cJSON_Print(dump);
    cJSON_Delete(dump);
    file = fopen(path, "we");
    cr_assert(file && fputs(text, file) >= 0 && fclose(file) == 0, "%s", path);
    placement_server_stop(srv);
    srv = placement_server_start();
    if (novafleet_run(placement_server_url(srv), path, f->k, f->interval_s,
                      f->steady_s, nova_mark, f, &f->nova, &err) < 0) {
        /* Nova's client gives up on an overloaded Placement (a None
         * response it then reads); the agent's figures still stand */
        size_t len = strlen(err);

        fprintf(stderr,
                "bench-fleet: Nova's report client did not finish; "
                "the end of its output:\n%s\n",
                err + (len > 2000 ? len - 2000 : 0));
        f->nova_failed = true;
        return;
    }
    f->nova_done = true;
    assert_providers(f, f->k, "Nova");
}

/* --- the report ---------------------------------------------------------- */

static double
per(double a, double b)
{
    return b > 0 ? a / b : 0;
}

/* One figure, agent and Nova, with prec decimals. */
static void
print_row(const char *what, double agent, double nova, bool nova_done, int prec)
{
    printf("%-46s %10.*f", what, prec, agent);
    if (nova_done)
        printf("  %10.*f", prec, nova);
    printf("\n");
}

/* Placement's log over a phase up to every host's first done pass, per
 * host: less the passes early agents made after theirs while the last were
 * still on theirs (not their reconcile reads, which the pass lines do not
 * count: with no claim, only a full re-read's). */
static double
logged_to_done(const struct figures *f, const struct window *w,
               const struct later *l)
{
    return per((double)(w->served.requests - l->requests), (double)f->n);
}

static void
print_figures(const struct figures *f)
{
    double rate =
        per((double)f->steady.served.requests, f->steady.start_ms / 1e3);
    double nrate =
        per((double)f->nsteady.served.requests, f->nsteady.start_ms / 1e3);
    const struct fleet_scan *s = &f->steady_scan;
    bool nd = f->nova_done;

    printf("vgpu-agent fleet against one Placement (%s)\n"
           "%zu agents, each its own host of %d GPUs (%d providers), "
           "interval_s %u standing\nfor 60 s, full_refresh_s %u; Nova: %zu "
           "hosts of python3-nova's SchedulerReportClient\nin one process "
           "(green threads), the same tree, its association refresh scaled "
           "the\nsame way, on a fresh Placement\n\n",
           strcmp(placement_server_kind_name(srv), "uwsgi") == 0
               ? "uwsgi as Debian's placement-api runs it, 2 processes x 8 "
                 "threads,\nConnection: close, listen 100, PostgreSQL 15"
               : "wsgiref, one Python process, sqlite",
           f->n, FLEET_GPUS, FLEET_GPUS + 1, f->interval_s, 5 * f->interval_s,
           f->k);
    if (f->nova_failed)
        printf("(Nova's %zu hosts did not finish: its client gave up on "
               "Placement, see above)\n\n",
               f->k);
    printf("%-46s %10s%s\n", "", "agent", nd ? "        Nova" : "");
    print_row("first start: requests per host",
              logged_to_done(f, &f->first, &f->first_later),
              per((double)f->nfirst.served.requests, (double)f->k), nd, 1);
    print_row("first start: s until every host done", f->first_s,
              f->nfirst.start_ms / 1e3, nd, 1);
    print_row(
        "steady: requests per host per pass",
        per((double)f->steady.served.requests, (double)f->steady_passes),
        per((double)f->nsteady.served.requests, (double)f->nova.steady.passes),
        nd, 2);
    print_row("steady: Placement CPU ms per host-pass",
              per(f->steady.cpu_ms, (double)f->steady_passes),
              per(f->nsteady.cpu_ms, (double)f->nova.steady.passes), nd, 1);
    print_row("steady: requests per second", rate, nrate, nd, 1);
    print_row("steady: anonymous memory KiB per host",
              per((double)f->anon_kib, (double)f->n),
              per((double)f->nova.rss_anon_kib, (double)f->k), nd, 0);
    print_row("restart storm: requests per host (logged)",
              logged_to_done(f, &f->restart, &f->restart_later),
              per((double)f->nrestart.served.requests, (double)f->k), nd, 2);
    print_row("restart storm: s until every host done", f->restart_s,
              f->nrestart.start_ms / 1e3, nd, 1);
    printf("\nthe agents' own counts up to their first done pass, per host: "
           "first start %.1f\nrequests in %.2f passes, restart storm %.1f in "
           "%.2f; steady window %.0f s: %lu host\npasses: %lu of 1 request, "
           "%lu scheduled full re-reads (%.1f requests on\naverage), %lu that "
           "failed or came right after an error, %lu other (%.1f\nrequests on "
           "average); agents' summed anonymous memory %.1f MiB; left out of\n"
           "the logged requests, as passes agents made after their first "
           "while the last\nwere on theirs: first start %lu passes (%lu "
           "requests), restart storm %lu (%lu); restart\nstorm passes that "
           "failed or came right after an error: %lu\n",
           per((double)f->first_own, (double)f->n),
           per((double)f->first_passes, (double)f->n),
           per((double)f->restart_own, (double)f->n),
           per((double)f->restart_passes, (double)f->n),
           f->steady.start_ms / 1e3, s->passes, s->one_request, s->full,
           per((double)s->full_requests, (double)s->full), s->failed, s->other,
           per((double)s->other_requests, (double)s->other),
           (double)f->anon_kib / 1024, f->first_later.passes,
           f->first_later.requests, f->restart_later.passes,
           f->restart_later.requests, f->restart_failed);
    printf("\noutage: Placement killed for %u s, then started (%.1f s until "
           "it served again\nis not counted): every host had a done pass %.1f "
           "s after; the busiest second\nheld %lu requests, %.1fx the steady "
           "%.1f/s; %.1f requests per host until all were back\n",
           f->outage_s, f->outage_restart_s, f->outage_s_back,
           f->outage.served.busiest,
           per((double)f->outage.served.busiest, rate), rate,
           per((double)f->outage.served.requests, (double)f->n));
    /* Placement's own log for the restart; every steady pass but the
     * scheduled full re-reads and the passes a failure made (a timed-out
     * write is read back) must have cost the one listing */
    printf("\ntargets (issue 14): restart storm <= 2 requests per host (as "
           "Placement logged\nthem): %s; outage back within 2 intervals: %s, "
           "busiest second <= 3x steady: %s;\nan unchanged steady pass "
           "(not a scheduled full re-read, no failure) costs 1 request: %s\n",
           logged_to_done(f, &f->restart, &f->restart_later) <= 2 ? "met"
                                                                  : "NOT met",
           f->outage_s_back <= 2.0 * f->interval_s ? "met" : "NOT met",
           per((double)f->outage.served.busiest, rate) <= 3 ? "met" : "NOT met",
           s->other == 0 ? "met" : "NOT met");
}

static void
bench_fini(void)
{
    fleet_free(&fleet);
    placement_server_stop(srv);
    srv = NULL;
    if (novadir)
        fixture_rm_rf(novadir);
    free(novadir);
    novadir = NULL;
}

Test(bench, fleet, .fini = bench_fini, .timeout = 14400)
{
    struct figures f = { 0 };
    double start = (double)testproc_now_ms();

    f.n = env_uint("VGPU_BENCH_FLEET_N", 200);
    f.k = env_uint("VGPU_BENCH_FLEET_K", (unsigned)f.n);
    f.interval_s = env_uint("VGPU_BENCH_FLEET_INTERVAL", 10);
    f.steady_s = env_uint("VGPU_BENCH_FLEET_STEADY", 6 * f.interval_s);
    f.outage_s = env_uint("VGPU_BENCH_FLEET_OUTAGE", 20);
    srv = placement_server_start();
    fleet_prepare(&fleet, f.n, f.interval_s, placement_server_url(srv));
    phase_first(&f);
    fprintf(stderr,
            "bench-fleet: first start: %.1f requests per host, %.1f s until "
            "every host done\n",
            logged_to_done(&f, &f.first, &f.first_later), f.first_s);
    phase_steady(&f);
    fprintf(stderr,
            "bench-fleet: steady: %.2f requests per host per pass, %.1f ms "
            "Placement CPU per host-pass\n",
            per((double)f.steady.served.requests, (double)f.steady_passes),
            per(f.steady.cpu_ms, (double)f.steady_passes));
    phase_restart(&f);
    fprintf(stderr,
            "bench-fleet: restart storm: %.1f requests per host (%.1f "
            "counted by the agents), %.1f s until every host done\n",
            logged_to_done(&f, &f.restart, &f.restart_later),
            per((double)f.restart_own, (double)f.n), f.restart_s);
    phase_outage(&f);
    fprintf(stderr,
            "bench-fleet: outage: every host back %.1f s after Placement "
            "served again; busiest second %lu requests\n",
            f.outage_s_back, f.outage.served.busiest);
    fleet_stop(&fleet);
    check_trees();
    fprintf(stderr, "bench-fleet: every host's tree is its dump\n");
    phase_nova(&f);
    print_figures(&f);
    printf("(benchmark took %.0f s)\n",
           ((double)testproc_now_ms() - start) / 1e3);
    fflush(stdout);
}
