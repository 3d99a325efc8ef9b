/*
 * cmd-dump.c - `vgpu-agent dump`: print the provider tree, no network.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "output.h"

static void
dump_usage(FILE *out)
{
    fprintf(out, "Usage: vgpu-agent [-c FILE] [--sysfs-root DIR] dump "
                 "[--format json|yaml|table|dot]\n"
                 "\n"
                 "Print the resource-provider tree the agent would report to "
                 "Placement.\nNothing is written and no network is used.\n"
                 "\n"
                 "  -f, --format FMT  json (default when stdout is not a "
                 "terminal), yaml,\n"
                 "                    table (default on a terminal) or dot "
                 "(Graphviz)\n"
                 "  -h, --help        show this help\n");
}

static int
parse_args(int argc, char **argv, enum output_format *ret)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;

    *ret = isatty(STDOUT_FILENO) ? OUTPUT_TABLE : OUTPUT_JSON;
    static const char *const formats[] = { "json", "yaml", "table", "dot",
                                           NULL };

    while ((c = cmd_getopt(argc, argv, "f:h", opts)) != -1) {
        if (c == 'h') {
            dump_usage(stdout);
            return -1;
        }
        if (c == '?')
            return CMD_EXIT_USAGE;
        if (output_parse_format(optarg, ret) < 0)
            return cmd_bad_choice("dump", "--format", optarg, formats);
    }
    return cmd_no_more_args(argc, argv);
}

static int
cmd_dump_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct hostload host = { 0 };
    enum output_format format;
    int r = parse_args(argc, argv, &format);

    if (r != CMD_EXIT_OK)
        return r < 0 ? CMD_EXIT_OK : r;
    r = hostload_open(&ctx->host, &host);
    if (r < 0)
        return cmd_exit_status(r);
    if (output_write(host.tree, format, stdout) < 0 || fflush(stdout) != 0) {
        log_error("dump: cannot write the output");
        r = CMD_EXIT_FAILED;
    }
    hostload_clear(&host);
    return r;
}

const struct cmd cmd_dump = {
    .name = "dump",
    .args = "[--format json|yaml|table|dot]",
    .summary = "print the provider tree built from sysfs; no network",
    .exec = cmd_dump_exec,
};
