/*
 * cmd-sync.c - `vgpu-agent sync`: one reporting pass, then exit.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "hostload.h"
#include "hostplan.h"
#include "log.h"
#include "pass.h"
#include "session.h"
#include "sync.h"

static void
sync_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] [--sysfs-root DIR] sync "
            "[--dry-run]\n"
            "\n"
            "Make Placement hold the provider tree `dump` prints: one pass,\n"
            "then exit.  Only what differs is written; each write is logged\n"
            "and a last line counts them.\n"
            "\n"
            "  -n, --dry-run  read Placement, print the writes a sync would\n"
            "                 make (method, path, what changes), write "
            "nothing\n"
            "\n"
            "Exit status: 0 Placement holds the tree (--dry-run: nothing to\n"
            "do), 1 it could not be brought there (the failed requests are\n"
            "logged), 2 usage or configuration error, 3 (--dry-run) writes\n"
            "pending.\n");
}

/* --dry-run: the writes a pass would make, on stdout, one a line; exit 0
 * when there are none, CMD_EXIT_PENDING when there are. */
static int
dry_run_sync(struct session *s, const struct hostload *h)
{
    _cleanup_(sync_cache_freep) struct sync_cache *cache = sync_cache_new();
    struct sync_report rep = { 0 };
    struct errbuf eb = { 0 };
    int r = session_sync(s, h, cache, SYNC_DRY_RUN, &rep, &eb);

    if (r < 0) {
        errbuf_prefix(&eb, "sync --dry-run");
        log_failure(LOG_EVENT_SYNC_FAILED, r, &eb.req, eb.msg);
        sync_report_clear(&rep);
        return CMD_EXIT_FAILED;
    }
    for (size_t i = 0; i < rep.changes.n; i++) {
        const struct sync_change *c = &rep.changes.v[i];

        printf("%-6s %s  %s%s%s\n", c->method, c->path,
               c->provider ? c->provider : "", c->provider ? ": " : "",
               c->what);
    }
    pass_log_problems(&rep);
    if (rep.changes.n == 0)
        printf("nothing to do: Placement holds the tree\n");
    else
        printf("%zu write(s) pending: %u provider(s) to create, %u to "
               "update, %u to delete\n",
               rep.changes.n, rep.created, rep.updated, rep.deleted);
    r = rep.errors.n > 0     ? CMD_EXIT_FAILED
        : rep.changes.n == 0 ? CMD_EXIT_OK
                             : CMD_EXIT_PENDING;
    sync_report_clear(&rep);
    return r;
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
    r = hostload_open(&ctx->host, &host);
    if (r == 0) {
        hostload_check(&host, LOG_WARNING);
        r = session_open(s, &host);
    }
    if (r == 0) /* hold back only the vGPUs no claim owns */
        r = hostplan_hold_back(&host, s, NULL, 0);
    if (r == 0 && dry_run) {
        r = dry_run_sync(s, &host);
        hostload_clear(&host);
        return r;
    }
    /* The cost is counted from the connection's first request (0), and a
     * tree Placement does not hold is a failure, whatever the cause. */
    if (r == 0 && pass_sync(s, &host, cache, 0, LOG_NOTICE) != 0)
        r = -EIO;
    hostload_clear(&host);
    return cmd_exit_status(r);
}

const struct cmd cmd_sync = {
    .name = "sync",
    .args = "[--dry-run]",
    .summary = "report the provider tree to Placement once",
    .exec = cmd_sync_exec,
};
