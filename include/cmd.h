/*
 * cmd.h - subcommands: a table entry each, dispatched by main.c.
 *
 * A command parses its arguments, calls the library's service layer
 * (hostload.h, session.h, hostplan.h, pass.h, service.h) and prints what it
 * got; the work is all in the library, where tests can drive it.
 */
#pragma once

#include <errno.h>
#include <getopt.h>

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
    CMD_EXIT_PENDING = 3, /* sync --dry-run: there are writes to make */
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

/* getopt_long() over a command's own arguments (argv[0] its name) with
 * the agent's own messages: an unknown option, or one without its value,
 * is logged as "vgpu-agent: error: CMD: unknown option '--conect' (did you
 * mean '--connect'?; see vgpu-agent CMD --help)" and returned as '?'.
 * Otherwise as getopt_long(); the caller resets nothing (main.c did). */
int cmd_getopt(int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* Log "CMD: <what> (see vgpu-agent CMD --help)" as an error; returns
 * CMD_EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Arguments left after the options: none expected.  Returns CMD_EXIT_OK,
 * or CMD_EXIT_USAGE after naming the first. */
int cmd_no_more_args(int argc, char **argv);

/* A value of --format that is not one of choices (NULL-terminated):
 * "CMD: --format: 'yaml' is not one of text, json". */
int cmd_bad_choice(const char *cmd, const char *opt, const char *value,
                   const char *const *choices);

extern const struct cmd cmd_dump, cmd_sync, cmd_run, cmd_reconcile, cmd_devices,
    cmd_mdevs, cmd_restore, cmd_check_config, cmd_status, cmd_show,
    cmd_import_nova_conf;
