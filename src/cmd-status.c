/*
 * cmd-status.c - `vgpu-agent status`: how the service is doing, from the
 * metrics file `run` writes after every pass (metrics_file), in a few
 * lines a human reads: the last pass (ok, or failing since when), whether
 * it is stale, and every GPU's use.
 *
 * Exit status: 0 when the last pass was ok and recent, 1 when it failed or
 * is older than STALE_INTERVALS x interval_s (the service is stuck or
 * stopped), 2 when no metrics file is configured or it cannot be read.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "metrics.h"

#define STALE_INTERVALS 3

/* The value of the sample called name (METRICS_PREFIX added), or def. */
static double
value_of(const struct metrics_file *f, const char *name, double def)
{
    char full[128];
    const struct metrics_sample *s;

    snprintf(full, sizeof(full), METRICS_PREFIX "%s", name);
    s = metrics_find(f, full);
    return s ? s->value : def;
}

/* "2026-11-25 21:00:03 UTC" */
static void
format_time(double t, char *buf, size_t size)
{
    time_t secs = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r(&secs, &tm) ||
        strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(buf, size, "never");
}

static double
ago(double t)
{
    double d = (double)time(NULL) - floor(t);

    return d < 0 ? 0 : d;
}

/* The last error a failed pass logged: while failing, and for a while
 * after (an operator asks why it failed an hour ago, too). */
static void
print_last_error(const struct metrics_file *f, bool ok)
{
    const struct metrics_sample *e =
        metrics_find(f, METRICS_PREFIX "last_error_info");
    char when[64];

    if (!e)
        return;
    format_time(e->value, when, sizeof(when));
    printf("%s: %s (at %s, %.0f s ago)\n", ok ? "last error" : "error",
           metrics_label(e, "message"), when, ago(e->value));
}

/* The lines about the last pass; returns the exit status they mean. */
static int
print_passes(const struct metrics_file *f, unsigned conf_interval_s)
{
    /* the interval the service runs with (--interval), else the config's */
    double interval_s = value_of(f, "interval_seconds", conf_interval_s);
    double last = value_of(f, "last_pass_timestamp_seconds", 0);
    double since = value_of(f, "failing_since_timestamp_seconds", 0);
    double success = value_of(f, "last_success_timestamp_seconds", 0);
    bool ok = value_of(f, "last_pass_success", 0) == 1;
    double stale_s = (double)STALE_INTERVALS * interval_s +
                     value_of(f, "last_pass_duration_seconds", 0);
    char at[64], when[64];

    if (last <= 0) {
        printf("last pass: none yet (service started %.0f s ago)\n",
               ago(value_of(f, "start_time_seconds", 0)));
        return CMD_EXIT_FAILED;
    }
    format_time(last, at, sizeof(at));
    printf("last pass: %s at %s (%.0f s ago, took %.3f s)\n",
           ok ? "ok" : "FAILED", at, ago(last),
           value_of(f, "last_pass_duration_seconds", 0));
    if (!ok) {
        format_time(since, when, sizeof(when));
        printf("failing since %s (for %.0f s)\n", when, ago(since));
        format_time(success, when, sizeof(when));
        printf("last success: %s\n", when);
    }
    print_last_error(f, ok);
    if (ago(last) > stale_s) {
        printf("stale: no pass for %.0f s, more than %u x the service's "
               "interval of %g s; is the service running?\n",
               ago(last), STALE_INTERVALS, interval_s);
        return CMD_EXIT_FAILED;
    }
    format_time(value_of(f, "start_time_seconds", 0), when, sizeof(when));
    printf("passes: %.0f (%.0f failed) since %s\n",
           value_of(f, "passes_total", 0),
           value_of(f, "pass_failures_total", 0), when);
    return ok ? CMD_EXIT_OK : CMD_EXIT_FAILED;
}

static void
print_gpus(const struct metrics_file *f)
{
    size_t n = 0;

    for (size_t i = 0; i < f->n; i++) {
        const struct metrics_sample *cap = &f->v[i], *used, *res;
        char used_s[32];

        if (strcmp(cap->name, METRICS_PREFIX "gpu_capacity") != 0)
            continue;
        if (n++ == 0)
            printf("%-36s %-14s %-14s %10s %8s\n", "GPU", "ADDRESS", "TYPE",
                   "USED/TOTAL", "RESERVED");
        used = metrics_find_like(f, METRICS_PREFIX "gpu_used", cap);
        res = metrics_find_like(f, METRICS_PREFIX "gpu_reserved", cap);
        if (used)
            snprintf(used_s, sizeof(used_s), "%.0f/%.0f", used->value,
                     cap->value);
        else
            snprintf(used_s, sizeof(used_s), "?/%.0f", cap->value);
        printf("%-36s %-14s %-14s %10s %8.0f\n", metrics_label(cap, "provider"),
               metrics_label(cap, "address"), metrics_label(cap, "mdev_type"),
               used_s, res ? res->value : 0);
    }
    if (n == 0)
        printf("no GPUs\n");
}

static void
print_reconcile(const struct metrics_file *f)
{
    double orphans = value_of(f, "orphan_mdevs", 0);
    double unaccounted = value_of(f, "unaccounted_guests", 0);

    if (orphans > 0)
        printf("orphan mdevs: %.0f (vgpu-agent reconcile --dry-run lists "
               "them)\n",
               orphans);
    if (unaccounted > 0)
        printf("guests with mdevs no allocation accounts for: %.0f (logged "
               "as warnings; vgpu-agent reconcile --dry-run lists them)\n",
               unaccounted);
}

static void
status_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] status\n"
            "\n"
            "How the service is doing, from the metrics file it writes after\n"
            "every pass (metrics_file): the last pass, ok or failing since\n"
            "when and why, whether it is stale (no pass for 3 intervals of\n"
            "the service's own interval), and each GPU's use.\n"
            "\n"
            "Exit status: 0 ok, 1 failing or stale, 2 no metrics file\n"
            "configured or readable.\n");
}

static int
cmd_status_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct hostload host = { 0 };
    struct metrics_file f = { 0 };
    struct errbuf eb = { 0 };
    int r;

    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;

    while ((c = cmd_getopt(argc, argv, "h", opts)) != -1) {
        if (c != 'h')
            return CMD_EXIT_USAGE;
        status_usage(stdout);
        return CMD_EXIT_OK;
    }
    if (cmd_no_more_args(argc, argv) != CMD_EXIT_OK)
        return CMD_EXIT_USAGE;
    r = hostload_conf(&ctx->host, &host);
    if (r < 0)
        return cmd_exit_status(r);
    if (!host.conf->metrics_file) {
        log_error("%s: metrics_file is not set: run writes no metrics, so "
                  "there is no status to show",
                  hostload_conf_name(&host));
        r = CMD_EXIT_USAGE;
    } else if (metrics_load(host.conf->metrics_file, &f, &eb) < 0) {
        log_error("cannot read the metrics file: %s", eb.msg);
        r = CMD_EXIT_USAGE;
    } else {
        r = print_passes(&f, host.conf->interval_s);
        print_gpus(&f);
        print_reconcile(&f);
    }
    metrics_file_clear(&f);
    hostload_clear(&host);
    return r;
}

const struct cmd cmd_status = {
    .name = "status",
    .args = "",
    .summary = "the last pass of run and each GPU's use, from metrics_file",
    .exec = cmd_status_exec,
};
