/*
 * cmd-sync.c - `vgpu-agent sync`: one reporting pass, then exit.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "http.h"
#include "keystone.h"
#include "log.h"
#include "placement.h"
#include "sync.h"

static void
sync_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] [--sysfs-root DIR] sync\n"
            "\n"
            "Make Placement hold the provider tree `dump` prints: one pass,\n"
            "then exit.  Only what differs is written.\n"
            "\n"
            "Exit status: 0 Placement holds the tree, 1 it could not be\n"
            "brought there (the failed requests are logged), 2 usage or\n"
            "configuration error.\n");
}

/* Log what a pass did and found; returns its exit status. */
int
cmd_sync_report(const struct sync_report *rep, const struct placement *pl,
                unsigned long requests_before, int r)
{
    bool done = r == 0 && rep->result == SYNC_DONE;

    for (size_t i = 0; i < rep->warnings.n; i++)
        log_warn("%s", rep->warnings.v[i]);
    for (size_t i = 0; i < rep->errors.n; i++)
        log_error("%s", rep->errors.v[i]);
    for (size_t i = 0; i < rep->notes.n; i++)
        log_info("%s", rep->notes.v[i]);
    log_info("pass %s: %u created, %u updated, %u deleted; %lu requests",
             done ? "done" : "incomplete", rep->created, rep->updated,
             rep->deleted, placement_requests(pl) - requests_before);
    return done ? CMD_EXIT_OK : CMD_EXIT_FAILED;
}

static int
cmd_sync_exec(const struct ctx *ctx, int argc, char **argv)
{
    _cleanup_(sync_cache_freep) struct sync_cache *cache = sync_cache_new();
    _cleanup_(placement_freep) struct placement *pl = NULL;
    _cleanup_(http_freep) struct http *http = NULL;
    _cleanup_(keystone_freep) struct keystone *ks = NULL;
    struct sync_report rep = { 0 };
    struct cmd_host host = { 0 };
    struct errbuf eb = { 0 };
    int r;

    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        sync_usage(stdout);
        return CMD_EXIT_OK;
    }
    if (argc > 1) {
        sync_usage(stderr);
        return CMD_EXIT_USAGE;
    }
    r = cmd_host_load(ctx, &host);
    if (r == CMD_EXIT_OK)
        r = cmd_placement_open(&host, &ks, &http, &pl);
    if (r == CMD_EXIT_OK) {
        r = cmd_sync_pass(&host, ks, http, pl, cache, &rep, &eb);
        if (r < 0)
            log_error("%s", eb.msg);
        r = cmd_sync_report(&rep, pl, 0, r);
    }
    sync_report_clear(&rep);
    cmd_host_clear(&host);
    return r;
}

const struct cmd cmd_sync = {
    .name = "sync",
    .args = "",
    .summary = "report the provider tree to Placement once",
    .exec = cmd_sync_exec,
};
