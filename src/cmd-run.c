/*
 * cmd-run.c - `vgpu-agent run`: the periodic service (service.h), and the
 * loop that waits between its passes.
 *
 * Signals are handled synchronously (blocked, then sigtimedwait):
 * SIGTERM/SIGINT end it with status 0, SIGHUP re-reads the configuration
 * (an invalid one is logged and the old one kept).  --interval overrides
 * interval_s (fractions allowed) and --passes stops it after N passes, for
 * operators and tests alike.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "parse.h"
#include "service.h"

/* What the command line asked for. */
struct run_args {
    double interval;      /* --interval; 0: the config's interval_s */
    unsigned long passes; /* --passes; 0: run until a signal */
};

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
serve(struct service *s, const struct run_args *a, const sigset_t *set)
{
    for (unsigned long done = 1;; done++) {
        int sig;

        (void)service_pass(s);
        if (a->passes && done >= a->passes) {
            log_info("%lu passes: stopping", done);
            return service_failures(s) ? CMD_EXIT_FAILED : CMD_EXIT_OK;
        }
        sig = wait_signal(set, service_next_wait(s));
        if (sig == SIGTERM || sig == SIGINT) {
            log_event(LOG_NOTICE,
                      &(struct log_fields){ .event = LOG_EVENT_STOPPING },
                      "signal %d: stopping", sig);
            return CMD_EXIT_OK;
        }
        if (sig == SIGHUP)
            (void)service_reload(s);
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

/* --interval SECONDS: a finite number in [SERVICE_INTERVAL_MIN,
 * SERVICE_INTERVAL_MAX]. */
static int
parse_interval(const char *arg, double *ret)
{
    double v;

    if (parse_double(arg, &v) < 0 || v < SERVICE_INTERVAL_MIN ||
        v > SERVICE_INTERVAL_MAX) {
        log_error("run: --interval: a number of seconds from %g to %g, not "
                  "'%s'",
                  SERVICE_INTERVAL_MIN, SERVICE_INTERVAL_MAX, arg);
        return CMD_EXIT_USAGE;
    }
    *ret = v;
    return CMD_EXIT_OK;
}

/* Returns CMD_EXIT_OK, CMD_EXIT_USAGE, or -1 after --help. */
static int
parse_args(int argc, char **argv, struct run_args *a)
{
    static const struct option opts[] = {
        { "interval", required_argument, NULL, 'i' },
        { "passes", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;

    /* no short options: reconcile's -n is --dry-run */
    while ((c = cmd_getopt(argc, argv, "h", opts)) != -1) {
        if (c == 'i') {
            if (parse_interval(optarg, &a->interval) != CMD_EXIT_OK)
                return CMD_EXIT_USAGE;
        } else if (c == 'n') {
            if (parse_uint(optarg, ULONG_MAX, &a->passes) < 0 ||
                a->passes == 0) {
                log_error("run: --passes: a whole number >= 1, not '%s'",
                          optarg);
                return CMD_EXIT_USAGE;
            }
        } else if (c == 'h') {
            run_usage(stdout);
            return -1;
        } else {
            return CMD_EXIT_USAGE;
        }
    }
    return cmd_no_more_args(argc, argv);
}

static int
cmd_run_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct run_args a = { 0 };
    _cleanup_(service_freep) struct service *s = NULL;
    sigset_t set;
    int r;

    r = parse_args(argc, argv, &a);
    if (r != CMD_EXIT_OK)
        return r < 0 ? CMD_EXIT_OK : r;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    r = service_start(&ctx->host, a.interval, &s);
    if (r < 0)
        return cmd_exit_status(r);
    return serve(s, &a, &set);
}

const struct cmd cmd_run = {
    .name = "run",
    .args = "[--interval SECONDS] [--passes N]",
    .summary = "the periodic service: sync every interval_s, forever",
    .exec = cmd_run_exec,
};
