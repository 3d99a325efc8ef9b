/*
 * main.c - global options and dispatch to a subcommand, nothing else.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "log.h"

static const struct cmd *const commands[] = {
    &cmd_dump,    &cmd_sync,
    &cmd_run,     &cmd_reconcile,
    &cmd_devices, &cmd_mdevs,
    &cmd_restore, &cmd_check_config,
    &cmd_status,  &cmd_import_nova_conf,
};

#define N_COMMANDS (sizeof(commands) / sizeof(*commands))

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] [--sysfs-root DIR] COMMAND [ARGS]\n"
            "\n"
            "Report a host's mediated-device GPUs (vGPUs) to OpenStack "
            "Placement.\n"
            "\n"
            "Options:\n"
            "  -c, --config FILE    configuration file (default %s;\n"
            "                       a missing default file means built-in "
            "defaults)\n"
            "      --sysfs-root DIR read sysfs from DIR instead of /sys\n"
            "  -v, --verbose        also log decisions (twice: debug)\n"
            "      --log-format F   text (default) or json: one object a line\n"
            "  -h, --help           show this help\n"
            "  -V, --version        show the version\n"
            "\n"
            "Commands:\n",
            CONF_DEFAULT_PATH);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (*commands[i]->args)
            fprintf(out, "  %-10s %s\n  %-10s ", commands[i]->name,
                    commands[i]->args, "");
        else
            fprintf(out, "  %-10s ", commands[i]->name);
        fprintf(out, "%s\n", commands[i]->summary);
    }
    fprintf(out, "\nExit status: 0 ok, 1 failed, 2 usage or configuration "
                 "error.\nSee vgpu-agent(8).\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "sysfs-root", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "log-format", required_argument, NULL, 'L' },
        { "version", no_argument, NULL, 'V' },
        { 0 },
    };
    struct ctx ctx = { .host.conf_path = CONF_DEFAULT_PATH };
    enum log_level level = LOG_WARNING;
    enum log_format format = LOG_FORMAT_TEXT;
    int c;

    /* "+": stop at the command name; its options are its own. */
    while ((c = getopt_long(argc, argv, "+c:hvV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            ctx.host.conf_path = optarg;
            ctx.host.conf_explicit = true;
            break;
        case 'S':
            ctx.host.sysfs_root = optarg;
            break;
        case 'h':
            usage(stdout);
            return CMD_EXIT_OK;
        case 'L':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr,
                        "vgpu-agent: --log-format: text or json, "
                        "not '%s'\n",
                        optarg);
                return CMD_EXIT_USAGE;
            }
            format =
                strcmp(optarg, "json") == 0 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT;
            break;
        case 'v':
            if (level < LOG_DEBUG)
                level++;
            break;
        case 'V':
            printf("vgpu-agent %s\n", PACKAGE_VERSION);
            return CMD_EXIT_OK;
        default:
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    log_setup(format, level);
    if (optind >= argc) {
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        int first = optind;

        if (strcmp(argv[first], commands[i]->name) != 0)
            continue;
        optind = 0; /* glibc: re-initialise getopt for the command's parse */
        return commands[i]->exec(&ctx, argc - first, argv + first);
    }
    fprintf(stderr, "vgpu-agent: unknown command '%s' (see --help)\n",
            argv[optind]);
    return CMD_EXIT_USAGE;
}
