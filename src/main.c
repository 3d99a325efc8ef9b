/*
 * main.c - global options and dispatch to a subcommand, nothing else.
 *
 * The global options may come before the command or anywhere after it
 * (`vgpu-agent dump -v` is `vgpu-agent -v dump`): they are taken out of
 * the command's arguments before it parses its own.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "log.h"
#include "suggest.h"

static const struct cmd *const commands[] = {
    &cmd_dump,
    &cmd_sync,
    &cmd_run,
    &cmd_reconcile,
    &cmd_devices,
    &cmd_mdevs,
    &cmd_restore,
    &cmd_check_config,
    &cmd_status,
    &cmd_show,
    &cmd_import_nova_conf,
};

#define N_COMMANDS (sizeof(commands) / sizeof(*commands))

static const struct option global_opts[] = {
    { "config", required_argument, NULL, 'c' },
    { "sysfs-root", required_argument, NULL, 'S' },
    { "help", no_argument, NULL, 'h' },
    { "verbose", no_argument, NULL, 'v' },
    { "log-format", required_argument, NULL, 'L' },
    { "version", no_argument, NULL, 'V' },
    { 0 },
};

/* What the global options said. */
struct globals {
    struct ctx ctx;
    enum log_level level;
    enum log_format format;
};

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [OPTIONS] COMMAND [ARGS]\n"
            "\n"
            "Report a host's vGPUs (mdev, and NVIDIA's vendor-specific "
            "VFIO) to OpenStack\nPlacement, and make the vGPUs its "
            "claims need.\n"
            "\n"
            "Options (before or after the command):\n"
            "  -c, --config FILE    configuration file (default %s;\n"
            "                       a missing default file means built-in "
            "defaults)\n"
            "      --sysfs-root DIR read sysfs from DIR instead of /sys\n"
            "  -v, --verbose        also log decisions and every pass "
            "(twice: debug)\n"
            "      --log-format F   text (default) or json: one object a line\n"
            "  -h, --help           show this help\n"
            "  -V, --version        show the version\n"
            "\n"
            "Commands (vgpu-agent COMMAND --help for each):\n",
            CONF_DEFAULT_PATH);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (*commands[i]->args)
            fprintf(out, "  %-12s %s\n  %-12s ", commands[i]->name,
                    commands[i]->args, "");
        else
            fprintf(out, "  %-12s ", commands[i]->name);
        fprintf(out, "%s\n", commands[i]->summary);
    }
    fprintf(out, "\nExit status: 0 ok, 1 failed, 2 usage or configuration "
                 "error, 3 sync --dry-run:\nwrites pending.  "
                 "See vgpu-agent(8).\n");
}

/* One global option; returns -1 to go on, else the exit status. */
static int
global_option(int c, struct globals *g, char **argv)
{
    switch (c) {
    case 'c':
        g->ctx.host.conf_path = optarg;
        g->ctx.host.conf_explicit = true;
        return -1;
    case 'S':
        g->ctx.host.sysfs_root = optarg;
        return -1;
    case 'h':
        usage(stdout);
        return CMD_EXIT_OK;
    case 'L':
        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
            log_error("--log-format: text or json, not '%s'", optarg);
            return CMD_EXIT_USAGE;
        }
        g->format =
            strcmp(optarg, "json") == 0 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT;
        return -1;
    case 'v':
        if (g->level < LOG_DEBUG)
            g->level++;
        return -1;
    case 'V':
        printf("vgpu-agent %s\n", PACKAGE_VERSION);
        return CMD_EXIT_OK;
    case ':':
        log_error("option '%s' needs a value (see vgpu-agent --help)",
                  argv[optind - 1]);
        return CMD_EXIT_USAGE;
    default:
        log_error("unknown option '%s' (see vgpu-agent --help)",
                  argv[optind - 1]);
        return CMD_EXIT_USAGE;
    }
}

/* Parse argv[0..argc) as global options ("+": up to the first word that is
 * none); returns -1 to go on, else the exit status. */
static int
parse_globals(int argc, char **argv, struct globals *g)
{
    int c, r;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:hvV", global_opts, NULL)) != -1)
        if ((r = global_option(c, g, argv)) >= 0)
            return r;
    return -1;
}

/* Whether arg is a global option, and whether it takes the next word as
 * its value. */
static bool
is_global(const char *arg, bool *ret_takes_value)
{
    static const char *const with_value[] = { "--config", "--sysfs-root",
                                              "--log-format" };

    *ret_takes_value = false;
    if (strcmp(arg, "--verbose") == 0 ||
        (arg[0] == '-' && arg[1] == 'v' &&
         strspn(arg + 1, "v") == strlen(arg + 1)))
        return true;
    if (strcmp(arg, "-c") == 0) {
        *ret_takes_value = true;
        return true;
    }
    for (size_t i = 0; i < sizeof(with_value) / sizeof(*with_value); i++) {
        size_t n = strlen(with_value[i]);

        if (strncmp(arg, with_value[i], n) == 0 &&
            (arg[n] == 0 || arg[n] == '=')) {
            *ret_takes_value = arg[n] == 0;
            return true;
        }
    }
    return false;
}

/* Move the global options after the command (argv[first]) in front of it,
 * keeping their order; stops at "--". */
static void
hoist_globals(int argc, char **argv, int first)
{
    char **moved = calloc((size_t)argc + 1, sizeof(*moved));
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    int nm = 0, nr = 0;

    if (!moved || !rest) {
        free(moved);
        free(rest);
        return;
    }
    for (int i = first + 1; i < argc; i++) {
        bool value;

        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                rest[nr++] = argv[i++];
            break;
        }
        if (!is_global(argv[i], &value)) {
            rest[nr++] = argv[i];
            continue;
        }
        moved[nm++] = argv[i];
        if (value && i + 1 < argc)
            moved[nm++] = argv[++i];
    }
    /* argv: ... globals-before, globals-after, COMMAND, its arguments */
    {
        char *cmd = argv[first];
        int k = first;

        for (int i = 0; i < nm; i++)
            argv[k++] = moved[i];
        argv[k++] = cmd;
        for (int i = 0; i < nr; i++)
            argv[k++] = rest[i];
    }
    free(moved);
    free(rest);
}

static int
unknown_command(const char *name)
{
    const char *names[N_COMMANDS];
    const char *near;

    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i]->name;
    near = suggest_closest(name, names, N_COMMANDS);
    if (near)
        log_error("unknown command '%s' (did you mean '%s'? see --help)", name,
                  near);
    else
        log_error("unknown command '%s' (see --help)", name);
    return CMD_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    struct globals g = { .ctx.host.conf_path = CONF_DEFAULT_PATH,
                         .level = LOG_LEVEL_DEFAULT,
                         .format = LOG_FORMAT_TEXT };
    int r, first;

    r = parse_globals(argc, argv, &g);
    if (r >= 0)
        return r;
    if (optind >= argc) {
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    first = optind;
    hoist_globals(argc, argv, first);
    r = parse_globals(argc, argv, &g); /* the hoisted ones, from optind */
    if (r >= 0)
        return r;
    log_setup(g.format, g.level);
    first = optind;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[first], commands[i]->name) != 0)
            continue;
        optind = 0; /* glibc: re-initialise getopt for the command's parse */
        return commands[i]->exec(&g.ctx, argc - first, argv + first);
    }
    return unknown_command(argv[first]);
}
