/*
 * cmd-run.c - `vgpu-agent run`: the periodic service.
 *
 * Every interval_s (+-10% jitter, so a thousand hosts do not hit Placement
 * in step) it rescans sysfs and does a sync pass; a failed pass is retried
 * with exponential backoff capped at the interval.  It never exits because
 * Placement is down or answers garbage.  Signals are handled synchronously
 * (blocked, then sigtimedwait): SIGTERM/SIGINT end it with status 0,
 * SIGHUP re-reads the configuration (an invalid one is logged and the old
 * one kept).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
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
#include "placement.h"
#include "sync.h"

struct service {
    const struct ctx *ctx;
    struct cmd_host host;
    struct keystone *ks; /* the token, kept across passes */
    struct http *http;
    struct placement *pl;
    struct sync_cache *cache;
    struct run_claims *claims; /* for the reconcile step */
    struct metrics *metrics;   /* over the service's life */
    double last_full;          /* when the cache was last dropped */
    bool refresh_now;          /* drop it at the next pass anyway */
    unsigned failures;         /* passes failed in a row, for the backoff */
};

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
    if (!s->pl &&
        cmd_placement_open(&s->host, &s->ks, &s->http, &s->pl) != CMD_EXIT_OK)
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
    double interval = s->host.conf->interval_s;
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
    for (;;) {
        double start = now_s();
        bool ok = pass(s);
        int sig;

        s->failures = ok ? 0 : s->failures + 1;
        run_metrics_pass(s->metrics, &s->host, s->cache, s->claims, ok,
                         now_s() - start);
        sig = wait_signal(set, next_wait(s));
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("signal %d: stopping", sig);
            return CMD_EXIT_OK;
        }
        if (sig == SIGHUP)
            reload(s);
    }
}

static int
cmd_run_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct service s = { .ctx = ctx,
                         .cache = sync_cache_new(),
                         .claims = run_claims_new(),
                         .metrics = metrics_new(),
                         .refresh_now = true };
    sigset_t set;
    int r, lock = -1;

    if (argc > 1) {
        log_error("run: unexpected argument '%s'", argv[1]);
        sync_cache_free(s.cache);
        run_claims_free(s.claims);
        metrics_free(s.metrics);
        return CMD_EXIT_USAGE;
    }
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
    return r;
}

const struct cmd cmd_run = {
    .name = "run",
    .args = "",
    .summary = "the periodic service: sync every interval_s, forever",
    .exec = cmd_run_exec,
};
