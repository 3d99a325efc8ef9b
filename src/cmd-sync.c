/*
 * cmd-sync.c - `vgpu-agent sync`: one reporting pass, then exit.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "hostload.h"
#include "pass.h"
#include "session.h"
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

static int
cmd_sync_exec(const struct ctx *ctx, int argc, char **argv)
{
    _cleanup_(sync_cache_freep) struct sync_cache *cache = sync_cache_new();
    _cleanup_(session_freep) struct session *s = session_new();
    struct hostload host = { 0 };
    int r;

    static const struct option opts[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool dry_run = false;
    int c;

    while ((c = cmd_getopt(argc, argv, "nh", opts)) != -1) {
        if (c == 'h') {
            sync_usage(stdout);
            return CMD_EXIT_OK;
        }
        if (c != 'n')
            return CMD_EXIT_USAGE;
        dry_run = true;
    }
    if (cmd_no_more_args(argc, argv) != CMD_EXIT_OK)
        return CMD_EXIT_USAGE;
    (void)dry_run;
    r = hostload_open(&ctx->host, &host);
    if (r == 0)
        r = session_open(s, &host);
    /* The cost is counted from the connection's first request (0), and a
     * tree Placement does not hold is a failure, whatever the cause. */
    if (r == 0 && pass_sync(s, &host, cache, 0) != 0)
        r = -EIO;
    hostload_clear(&host);
    return cmd_exit_status(r);
}

const struct cmd cmd_sync = {
    .name = "sync",
    .args = "",
    .summary = "report the provider tree to Placement once",
    .exec = cmd_sync_exec,
};
