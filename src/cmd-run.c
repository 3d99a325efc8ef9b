/*
 * cmd-run.c - `vgpu-agent run`: the periodic service.
 *
 * Every interval_s (+-10% jitter, so a thousand hosts do not hit Placement
 * in step) it rescans sysfs and does a sync pass; a failed pass is retried
 * with exponential backoff capped at the interval.  It never exits because
 * Placement is down or answers garbage.  Signals are handled synchronously
 * (blocked, then sigtimedwait): SIGTERM/SIGINT end it with status 0,
 * SIGHUP re-reads the configuration (an invalid one is logged and the old
 * one kept).  --interval overrides interval_s (fractions allowed) and
 * --passes stops it after N passes, for operators and tests alike.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd-run.h"
#include "cmd.h"
#include "http.h"
#include "keystone.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"
#include "placement.h"
#include "sync.h"

struct service {
    const struct ctx *ctx;
    struct cmd_host host;
    struct keystone *ks; /* the token, kept across passes */
    struct http *http;
    struct placement *pl;
    struct sync_cache *cache;
    struct run_claims *claims;      /* for the reconcile step */
    struct metrics *metrics;        /* over the service's life */
    struct placement_counts counts; /* requests, over every connection */
    double last_full;               /* when the cache was last dropped */
    bool refresh_now;               /* drop it at the next pass anyway */
    unsigned failures;    /* passes failed in a row, for the backoff */
    double interval;      /* --interval; 0: the config's interval_s */
    unsigned long passes; /* --passes; 0: run until a signal */
};

#define RUN_INTERVAL_MIN 0.001 /* --interval below this is a busy loop */
#define RUN_INTERVAL_MAX 86400.0

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
disconnect(struct service *s)
{
    placement_free(TAKE_PTR(s->pl));
    http_free(TAKE_PTR(s->http));
}

/* One pass; returns whether Placement now holds the tree. */
static bool
pass(struct service *s)
{
    const struct conf *c = s->host.conf;
    struct sync_report rep = { 0 };
    struct errbuf eb = { 0 };
    unsigned long before;
    bool ok, full = false;
    int r;

    if (cmd_host_scan(s->ctx, &s->host) != CMD_EXIT_OK)
        return false;
    if (!s->pl && cmd_placement_open(&s->host, &s->counts, &s->ks, &s->http,
                                     &s->pl) != CMD_EXIT_OK)
        return false;
    if (s->refresh_now || c->full_refresh_s == 0 ||
        now_s() - s->last_full >= c->full_refresh_s) {
        sync_cache_forget(s->cache);
        s->last_full = now_s();
        s->refresh_now = false;
        full = true;
    }
    before = placement_requests(s->pl);
    r = cmd_sync_pass(&s->host, s->ks, s->http, s->pl, s->cache, &rep, &eb);
    if (r < 0 && r != -EAGAIN)
        log_error("%s", eb.msg);
    ok = cmd_sync_report(&rep, s->pl, before, r) == CMD_EXIT_OK;
    /* The pass's result is the sync's: reconcile problems are logged, they
     * are no reason to back off from Placement. */
    if (ok && c->reconcile.enabled)
        run_reconcile(s->claims, s->ctx, &s->host, s->pl, s->cache, full);
    if (r < 0 && r != -EAGAIN) {
        disconnect(s); /* renegotiate: Placement may have been replaced */
        s->refresh_now = true; /* and re-read everything */
    }
    sync_report_clear(&rep);
    return ok;
}

/* Seconds until the next pass: the interval with +-10% jitter, or the
 * backoff after failures (1, 2, 4 ... s, capped at the interval). */
static double
next_wait(const struct service *s)
{
    double interval = s->interval > 0 ? s->interval : s->host.conf->interval_s;
    double jitter = interval * 0.1 * (2.0 * rand() / RAND_MAX - 1.0);
    double backoff;

    if (s->failures == 0)
        return interval + jitter;
    backoff = (double)(1u << (s->failures < 16 ? s->failures - 1 : 15));
    return backoff < interval ? backoff : interval + jitter;
}

static void
reload(struct service *s)
{
    struct cmd_host fresh = { 0 };

    if (cmd_host_conf(s->ctx, &fresh) != CMD_EXIT_OK) {
        log_error("SIGHUP: the new configuration is invalid; keeping the "
                  "old one");
        return;
    }
    log_info("SIGHUP: configuration reloaded");
    cmd_host_clear(&s->host);
    s->host = fresh;
    disconnect(s);
    keystone_free(TAKE_PTR(s->ks)); /* the credentials may have changed */
    s->refresh_now = true;          /* the next pass re-reads everything */
}

/* Wait up to seconds for a signal; returns it, or 0 on timeout. */
static int
wait_signal(const sigset_t *set, double seconds)
{
    struct timespec ts = { (time_t)seconds,
                           (long)((seconds - (double)(time_t)seconds) * 1e9) };
    int sig;

    do
        sig = sigtimedwait(set, NULL, &ts);
    while (sig < 0 && errno == EINTR);
    return sig < 0 ? 0 : sig;
}

static int
serve(struct service *s, const sigset_t *set)
{
    for (unsigned long done = 1;; done++) {
        double start = now_s();
        bool ok = pass(s);
        int sig;

        s->failures = ok ? 0 : s->failures + 1;
        run_metrics_pass(s->metrics, &s->host, s->cache, s->claims, &s->counts,
                         ok, now_s() - start);
        if (s->passes && done >= s->passes) {
            log_info("%lu passes: stopping", done);
            return s->failures ? CMD_EXIT_FAILED : CMD_EXIT_OK;
        }
        sig = wait_signal(set, next_wait(s));
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("signal %d: stopping", sig);
            return CMD_EXIT_OK;
        }
        if (sig == SIGHUP)
            reload(s);
    }
}

static void
run_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] [--sysfs-root DIR] run "
            "[--interval SECONDS] [--passes N]\n"
            "\n"
            "The periodic service: a sync pass (then reconcile) every "
            "interval_s seconds,\nuntil SIGTERM or SIGINT; SIGHUP re-reads "
            "the configuration.\n"
            "\n"
            "  --interval SECONDS  seconds between passes, instead of "
            "interval_s\n"
            "                      (fractions allowed: 0.5)\n"
            "  --passes N          stop after N passes: status 0, or 1 if the "
            "last\n"
            "                      pass failed\n");
}

/* --interval SECONDS: a finite number in [RUN_INTERVAL_MIN,
 * RUN_INTERVAL_MAX]. */
static int
parse_interval(const char *arg, double *ret)
{
    double v;

    if (parse_double(arg, &v) < 0 || v < RUN_INTERVAL_MIN ||
        v > RUN_INTERVAL_MAX) {
        log_error("run: --interval: a number of seconds from %g to %g, not "
                  "'%s'",
                  RUN_INTERVAL_MIN, RUN_INTERVAL_MAX, arg);
        return CMD_EXIT_USAGE;
    }
    *ret = v;
    return CMD_EXIT_OK;
}

/* Returns CMD_EXIT_OK, CMD_EXIT_USAGE, or -1 after --help. */
static int
parse_args(int argc, char **argv, struct service *s)
{
    static const struct option opts[] = {
        { "interval", required_argument, NULL, 'i' },
        { "passes", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;

    /* no short options: reconcile's -n is --dry-run */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'i') {
            if (parse_interval(optarg, &s->interval) != CMD_EXIT_OK)
                return CMD_EXIT_USAGE;
        } else if (c == 'n') {
            if (parse_uint(optarg, ULONG_MAX, &s->passes) < 0 ||
                s->passes == 0) {
                log_error("run: --passes: a whole number >= 1, not '%s'",
                          optarg);
                return CMD_EXIT_USAGE;
            }
        } else if (c == 'h') {
            run_usage(stdout);
            return -1;
        } else {
            run_usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        log_error("run: unexpected argument '%s'", argv[optind]);
        return CMD_EXIT_USAGE;
    }
    return CMD_EXIT_OK;
}

static int
cmd_run_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct service s = { .ctx = ctx, .refresh_now = true };
    sigset_t set;
    int r, lock = -1;

    r = parse_args(argc, argv, &s);
    if (r != CMD_EXIT_OK)
        return r < 0 ? CMD_EXIT_OK : r;
    s.cache = sync_cache_new();
    s.claims = run_claims_new();
    s.metrics = metrics_new();
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    srand((unsigned)getpid() ^ (unsigned)time(NULL));
    r = cmd_host_conf(ctx, &s.host);
    if (r == CMD_EXIT_OK && !cmd_placement_configured(&s.host)) {
        log_error("placement.endpoint is not set and there are no Keystone "
                  "credentials; run needs one of them");
        r = CMD_EXIT_USAGE;
    }
    if (r == CMD_EXIT_OK && (lock = cmd_lock(s.host.conf)) < 0)
        r = CMD_EXIT_FAILED;
    if (r == CMD_EXIT_OK)
        r = serve(&s, &set);
    if (lock >= 0)
        close(lock);
    disconnect(&s);
    keystone_free(s.ks);
    cmd_host_clear(&s.host);
    sync_cache_free(s.cache);
    run_claims_free(s.claims);
    metrics_free(s.metrics);
    placement_counts_clear(&s.counts);
    return r;
}

const struct cmd cmd_run = {
    .name = "run",
    .args = "[--interval SECONDS] [--passes N]",
    .summary = "the periodic service: sync every interval_s, forever",
    .exec = cmd_run_exec,
};
