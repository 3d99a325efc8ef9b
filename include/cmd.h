/*
 * cmd.h - subcommands: a table entry each, dispatched by main.c.
 *
 * A command parses its arguments, calls the library's service layer
 * (hostload.h, session.h, hostplan.h, pass.h, service.h) and prints what it
 * got; the work is all in the library, where tests can drive it.
 */
#pragma once

#include <errno.h>

#include "hostload.h"

/* What the global options decided, shared by every subcommand. */
struct ctx {
    struct hostload_opts host; /* -c FILE, --sysfs-root DIR */
};

/* Exit statuses every command uses. */
enum {
    CMD_EXIT_OK = 0,
    CMD_EXIT_FAILED = 1,
    CMD_EXIT_USAGE = 2,
};

/* The exit status a service-layer result means: 0 ok, -EINVAL the
 * configuration is at fault (usage), anything else a failure. */
static inline int
cmd_exit_status(int r)
{
    return r == 0         ? CMD_EXIT_OK
           : r == -EINVAL ? CMD_EXIT_USAGE
                          : CMD_EXIT_FAILED;
}

struct cmd {
    const char *name;
    const char *args;    /* "[--format json|yaml|table|dot]" */
    const char *summary; /* one line for --help */
    /* argv[0] is the command name; returns an exit status. */
    int (*exec)(const struct ctx *ctx, int argc, char **argv);
};

extern const struct cmd cmd_dump, cmd_sync, cmd_run, cmd_reconcile, cmd_devices,
    cmd_mdevs, cmd_restore, cmd_check_config, cmd_status, cmd_import_nova_conf;
